/*
 * history.c: the attempt history of a queued message, queue/ID.hist
 * (doc/design.md §12, sealpost-envelope(5)): one text line per recipient
 * per attempt with the facts of its TLS session (RFC 8460 failure types,
 * RFC 3463 status codes).  Pure: no I/O, no logging, no allocation.
 * Linked by queue and the sealpost CLI.
 *
 * A line is "attempt" and then every key of history_keys, in that order,
 * each once, as " key=value".  A value is a canonical decimal number, a
 * result name, or a string escaped with the envelope's rule
 * (envelope_esc.h: %XX for every octet outside 0x21..0x7e and for '%'), so
 * that it holds no space, no control octet and no non-ASCII octet; unlike
 * the envelope, an empty string is written empty ("failure=").  The value
 * runs from the first '=' of its field to the next space, so '=' and '\'
 * need no escape.  One spelling per record: parse(format(r)) == r and a
 * line that is not exactly what history_format would write is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "envelope_esc.h"
#include "history.h"

static const char *const history_result_names[] = {
	[HISTORY_SENT] = "sent",
	[HISTORY_DEFERRED] = "deferred",
	[HISTORY_BOUNCED] = "bounced",
	[HISTORY_EXPIRED] = "expired",
};
#define HISTORY_NRESULTS \
	(sizeof(history_result_names) / sizeof(history_result_names[0]))

#define HISTORY_TAG		"attempt"

enum history_key_type {
	HISTORY_K_TIME,		/* int64_t, >= 0 */
	HISTORY_K_U32,		/* uint32_t */
	HISTORY_K_RESULT,	/* enum history_result, by name */
	HISTORY_K_CODE,		/* int, 200..599 */
	HISTORY_K_STR		/* char array of size */
};

#define HISTORY_F(f)	offsetof(struct history_rec, f)
#define HISTORY_S(f)	HISTORY_F(f), sizeof(((struct history_rec *)0)->f)

/* The fields of a line, in the only order they may appear. */
static const struct history_key {
	const char		*name;
	enum history_key_type	 type;
	size_t			 off;
	size_t			 size;	/* of the char array, HISTORY_K_STR */
} history_keys[] = {
	{ "time", HISTORY_K_TIME, HISTORY_F(time), 0 },
	{ "n", HISTORY_K_U32, HISTORY_F(attempt), 0 },
	{ "rcpt", HISTORY_K_U32, HISTORY_F(rcpt), 0 },
	{ "result", HISTORY_K_RESULT, HISTORY_F(result), 0 },
	{ "code", HISTORY_K_CODE, HISTORY_F(code), 0 },
	{ "dsn", HISTORY_K_STR, HISTORY_S(dsn) },
	{ "failure", HISTORY_K_STR, HISTORY_S(failure) },
	{ "policy", HISTORY_K_STR, HISTORY_S(policy) },
	{ "policy_src", HISTORY_K_STR, HISTORY_S(policy_src) },
	{ "mx", HISTORY_K_STR, HISTORY_S(mx) },
	{ "ip", HISTORY_K_STR, HISTORY_S(ip) },
	{ "tls", HISTORY_K_STR, HISTORY_S(tls) },
	{ "cipher", HISTORY_K_STR, HISTORY_S(cipher) },
	{ "verify", HISTORY_K_STR, HISTORY_S(verify) },
	{ "cert", HISTORY_K_STR, HISTORY_S(cert) },
	{ "tls_fail", HISTORY_K_STR, HISTORY_S(tls_fail) },
	{ "text", HISTORY_K_STR, HISTORY_S(text) },
};
#define HISTORY_NKEYS	(sizeof(history_keys) / sizeof(history_keys[0]))

const char *
history_result_name(enum history_result res)
{
	if ((unsigned)res >= HISTORY_NRESULTS)
		return NULL;
	return history_result_names[res];
}

/* Whether *r can be written: the checks history_format promises. */
static int
history_check(const struct history_rec *r)
{
	const char	*base = (const char *)r;
	size_t		 i;

	if (r->time < 0 || (unsigned)r->result >= HISTORY_NRESULTS ||
	    r->code < 200 || r->code > 599)
		return -1;
	for (i = 0; i < HISTORY_NKEYS; i++)
		if (history_keys[i].type == HISTORY_K_STR &&
		    memchr(base + history_keys[i].off, '\0',
		    history_keys[i].size) == NULL)
			return -1;
	return 0;
}

/* ---- formatting ---- */

/*
 * Appends " key=value" of key k of *r to line[*len..size).  Returns 0, or
 * -1 if it does not fit (HISTORY_LINE_MAX always fits: test_history.c).
 */
static int
history_put_key(const struct history_rec *r, const struct history_key *k,
    char *line, size_t size, size_t *len)
{
	const char	*p = (const char *)r + k->off;
	int		 n = -1;

	switch (k->type) {
	case HISTORY_K_TIME:
		n = snprintf(line + *len, size - *len, " %s=%lld", k->name,
		    (long long)*(const int64_t *)(const void *)p);
		break;
	case HISTORY_K_U32:
		n = snprintf(line + *len, size - *len, " %s=%lu", k->name,
		    (unsigned long)*(const uint32_t *)(const void *)p);
		break;
	case HISTORY_K_RESULT:
		n = snprintf(line + *len, size - *len, " %s=%s", k->name,
		    history_result_names[*(const enum history_result *)
		    (const void *)p]);
		break;
	case HISTORY_K_CODE:
		n = snprintf(line + *len, size - *len, " %s=%d", k->name,
		    *(const int *)(const void *)p);
		break;
	case HISTORY_K_STR:
		n = snprintf(line + *len, size - *len, " %s=", k->name);
		if (n < 0 || (size_t)n >= size - *len)
			return -1;
		*len += (size_t)n;
		*len += envelope_esc_encode(p, line + *len, size - *len);
		return *len < size ? 0 : -1;
	}
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

int
history_format(const struct history_rec *r, char *buf, size_t size)
{
	char	line[HISTORY_LINE_MAX];
	size_t	len, i;

	if (history_check(r) == -1)
		return -1;
	len = strlcpy(line, HISTORY_TAG, sizeof(line));
	if (len >= sizeof(line))
		return -1;
	for (i = 0; i < HISTORY_NKEYS; i++)
		if (history_put_key(r, &history_keys[i], line, sizeof(line),
		    &len) == -1)
			return -1;
	/* history_put_key leaves room for at least one octet */
	line[len++] = '\n';
	if (len > size)
		return -1;
	memcpy(buf, line, len);
	return (int)len;
}

/* ---- parsing ---- */

static int	history_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Fills why (if any) and returns -1; a cut text is acceptable, it is
 * only informative. */
static int
history_fail(char *why, size_t whysize, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (why == NULL || whysize == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	return -1;
}

/* The index of the key named p[0..n), or -1. */
static int
history_key_index(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < HISTORY_NKEYS; i++)
		if (strlen(history_keys[i].name) == n &&
		    memcmp(history_keys[i].name, p, n) == 0)
			return (int)i;
	return -1;
}

/* Stores the value v[0..n) of key k into *r; returns 0 or -1. */
static int
history_get_value(const struct history_key *k, const char *v, size_t n,
    struct history_rec *r)
{
	char		*p = (char *)r + k->off;
	uint64_t	 x;
	size_t		 i;

	switch (k->type) {
	case HISTORY_K_TIME:
		if (envelope_esc_number(v, n, INT64_MAX, &x) == -1)
			return -1;
		*(int64_t *)(void *)p = (int64_t)x;
		return 0;
	case HISTORY_K_U32:
		if (envelope_esc_number(v, n, UINT32_MAX, &x) == -1)
			return -1;
		*(uint32_t *)(void *)p = (uint32_t)x;
		return 0;
	case HISTORY_K_RESULT:
		for (i = 0; i < HISTORY_NRESULTS; i++)
			if (strlen(history_result_names[i]) == n &&
			    memcmp(history_result_names[i], v, n) == 0) {
				*(enum history_result *)(void *)p =
				    (enum history_result)i;
				return 0;
			}
		return -1;
	case HISTORY_K_CODE:
		if (envelope_esc_number(v, n, 599, &x) == -1 || x < 200)
			return -1;
		*(int *)(void *)p = (int)x;
		return 0;
	case HISTORY_K_STR:
		return envelope_esc_decode(v, n, p, k->size);
	}
	return -1;
}

/*
 * Reads the fields of buf[0..len) after the tag; pos is where the first
 * " key=value" starts.  Returns 0 or -1 with why filled.
 */
static int
history_parse_fields(const char *buf, size_t len, size_t pos,
    struct history_rec *r, char *why, size_t whysize)
{
	const char	*f, *sp, *eq;
	size_t		 k, flen, klen;
	int		 j;

	for (k = 0; k <= HISTORY_NKEYS; k++) {
		if (pos == len) {
			if (k == HISTORY_NKEYS)
				return 0;
			return history_fail(why, whysize, "missing key %s",
			    history_keys[k].name);
		}
		if (buf[pos] != ' ')
			return history_fail(why, whysize, "no space before "
			    "field %zu", k + 1);
		f = buf + pos + 1;
		sp = memchr(f, ' ', len - pos - 1);
		flen = sp != NULL ? (size_t)(sp - f) : len - pos - 1;
		pos += 1 + flen;
		if (flen == 0)
			return history_fail(why, whysize, "empty field %zu",
			    k + 1);
		if ((eq = memchr(f, '=', flen)) == NULL) {
			if (k == HISTORY_NKEYS)
				return history_fail(why, whysize,
				    "trailing junk after text");
			return history_fail(why, whysize, "field %zu has no "
			    "'='", k + 1);
		}
		klen = (size_t)(eq - f);
		j = history_key_index(f, klen);
		if (j == -1)
			return history_fail(why, whysize, "unknown key %.*s",
			    (int)(klen > 32 ? 32 : klen), f);
		if ((size_t)j < k)
			return history_fail(why, whysize, "repeated key %s",
			    history_keys[j].name);
		if ((size_t)j > k)
			return history_fail(why, whysize, "missing key %s "
			    "(or out of order: %s found)",
			    history_keys[k].name, history_keys[j].name);
		if (history_get_value(&history_keys[k], eq + 1,
		    flen - klen - 1, r) == -1)
			return history_fail(why, whysize, "bad value for %s",
			    history_keys[k].name);
	}
	/* not reached: the last round returns */
	return history_fail(why, whysize, "trailing junk after text");
}

int
history_parse(const char *buf, size_t len, struct history_rec *r, char *why,
    size_t whysize)
{
	size_t taglen = strlen(HISTORY_TAG);

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return history_fail(why, whysize, "empty line");
	if (len < taglen || memcmp(buf, HISTORY_TAG, taglen) != 0 ||
	    (len > taglen && buf[taglen] != ' '))
		return history_fail(why, whysize, "not an attempt line");
	if (history_parse_fields(buf, len, taglen, r, why, whysize) == -1) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return 0;
}
