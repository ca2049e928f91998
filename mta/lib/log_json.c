/*
 * log_json.c: JSON string escaping (RFC 8259 §7, UTF-8 per RFC 3629) and
 * the number keys of the log's JSON schema (see log_json.h, sealpost(8)
 * "LOG RECORDS", doc/design.md §9). Pure. Linked by every sealpost
 * binary.
 */
#include "config.h"

#include <string.h>

#include "log_json.h"

static const char *const log_json_number_keys[] = {
	"pid", "seq", "port", "uid", "nrcpt", "size", "delay", "attempt",
	"max_age", "truncated", "n", "msgs", "rejected", NULL
};

/* Appends piece to dst unless it, or an earlier piece, did not fit whole. */
static void
log_json_put(char *dst, size_t dstsize, size_t *out, size_t *written,
    const char *piece, size_t plen)
{
	if (*written == *out && dstsize > 0 && *out + plen < dstsize) {
		memcpy(dst + *out, piece, plen);
		*written += plen;
	}
	*out += plen;
}

/*
 * The length of the well-formed UTF-8 sequence at s[0..len) (RFC 3629
 * §4), or 0 when s[0] does not start one.
 */
static size_t
log_json_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* no overlong form */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no surrogate */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

size_t
log_json_escape(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, out = 0, written = 0, plen, n;
	char piece[8];

	log_json_put(dst, dstsize, &out, &written, "\"", 1);
	while (i < srclen) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			piece[0] = '\\';
			piece[1] = (char)c;
			plen = 2;
			n = 1;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(piece, "\\u00", 4);
			piece[4] = hex[c >> 4];
			piece[5] = hex[c & 0xf];
			plen = 6;
			n = 1;
		} else if (c < 0x80) {
			piece[0] = (char)c;
			plen = 1;
			n = 1;
		} else if ((n = log_json_utf8_len(s + i, srclen - i)) != 0) {
			memcpy(piece, s + i, n);
			plen = n;
		} else {
			memcpy(piece, "\\udc", 4);
			piece[4] = hex[c >> 4];
			piece[5] = hex[c & 0xf];
			plen = 6;
			n = 1;
		}
		log_json_put(dst, dstsize, &out, &written, piece, plen);
		i += n;
	}
	log_json_put(dst, dstsize, &out, &written, "\"", 1);
	if (dstsize > 0)
		dst[written] = '\0';
	return out;
}

int
log_json_numeric_key(const char *key)
{
	size_t i;

	for (i = 0; log_json_number_keys[i] != NULL; i++)
		if (strcmp(key, log_json_number_keys[i]) == 0)
			return 1;
	return 0;
}

size_t
log_json_value(char *dst, size_t dstsize, const char *key, const char *val,
    size_t vallen)
{
	size_t i, written = 0, out = 0;

	if (!log_json_numeric_key(key) || vallen == 0 || vallen > 15 ||
	    (val[0] == '0' && vallen > 1))
		return log_json_escape(dst, dstsize, val, vallen);
	for (i = 0; i < vallen; i++)
		if (val[i] < '0' || val[i] > '9')
			return log_json_escape(dst, dstsize, val, vallen);
	log_json_put(dst, dstsize, &out, &written, val, vallen);
	if (dstsize > 0)
		dst[written] = '\0';
	return out;
}
