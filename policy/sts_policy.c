/*
 * sts_policy.c: the MTA-STS policy file (RFC 8461 §3.2, errata 6253 and
 * 7282; RFC 5321 §4.1.2 for the mx host names, RFC 3629 for UTF-8 in
 * extension values), the MX match (§4.1, through name_match) and the
 * policy process's cache entry (§3.3, doc/design.md §8). See
 * sts_policy.h for the grammar and every decision where the RFC leaves
 * room. The policy text comes from a web server and the cache from a
 * file: every read is checked against the length, never a NUL
 * (doc/design.md §10).
 * Pure: no I/O, no allocation (doc/design.md §1.5). Linked by the policy
 * process, tests/unit/test_sts_policy and
 * tests/fuzz/fuzz_sts_policy.
 */
#include "config.h"

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "name_match.h"
#include "sts_policy.h"

#define STS_POLICY_KEY_MAX	32	/* sts-policy-ext-name: 1 + *31 */
#define STS_POLICY_AGE_DIGITS	10	/* 1*10(DIGIT) */
#define STS_POLICY_HOST_MAX	253	/* octets of a name, no final dot */
#define STS_POLICY_LABEL_MAX	63

#define STS_CACHE_MAGIC		"sealpost-sts-cache 1\n"
#define STS_CACHE_MAGIC_LEN	(sizeof(STS_CACHE_MAGIC) - 1)
#define STS_CACHE_PREFIX	"sealpost-sts-cache "
/* times are bounded so that fetched + max_age cannot overflow */
#define STS_CACHE_TIME_MAX	(INT64_MAX - STS_MAX_AGE_MAX)
#define STS_CACHE_DIGITS_MAX	19	/* INT64_MAX has 19 digits */

/* The state of one parse: which of the single fields were seen. */
struct sts_policy_seen {
	int	version;
	int	mode;
	int	max_age;
};

/* Writes a one-line reason into err (a prefix of it if it does not
 * fit, which is still one printable line); always returns -1. */
static int	sts_policy_fail(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));

static int
sts_policy_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
	return -1;
}

static int
sts_policy_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
sts_policy_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static char
sts_policy_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * The length of the UTF-8 sequence of two to four octets at s[0..len)
 * (RFC 3629 §4: no overlong form, no surrogate, nothing past U+10FFFF),
 * or 0 when there is none.
 */
static size_t
sts_policy_utf8(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * sts-policy-ext-value: v[0..len) (trailing white space already cut)
 * is sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar].
 * Returns 0 or -1.
 */
static int
sts_policy_value_ok(const char *v, size_t len)
{
	const unsigned char	*u = (const unsigned char *)v;
	size_t			 i, n;

	if (len == 0 || u[0] == ' ' || u[len - 1] == ' ')
		return -1;
	for (i = 0; i < len; i += n) {
		n = 1;
		if (u[i] >= 0x20 && u[i] <= 0x7e)
			continue;
		if ((n = sts_policy_utf8(u + i, len - i)) == 0)
			return -1;
	}
	return 0;
}

/*
 * A host name (RFC 5321 §4.1.2 Domain): LDH labels of 1 to 63 octets
 * that neither start nor end with '-', at most 253 octets, no final
 * dot. With wild, an optional "*." before it (RFC 8461 §3.2 mx), the
 * whole pattern still at most 253 octets. Returns 1 or 0.
 */
static int
sts_policy_host(const char *s, size_t len, int wild)
{
	size_t i, label = 0;

	if (len > STS_POLICY_HOST_MAX)
		return 0;
	if (wild && len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!sts_policy_alnum(s[i]) && s[i] != '-')
			return 0;
		if (label == 0 && s[i] == '-')
			return 0;
		if (++label > STS_POLICY_LABEL_MAX)
			return 0;
	}
	return label > 0 && s[len - 1] != '-';
}

int
sts_cache_domain_valid(const char *name, size_t len)
{
	return sts_policy_host(name, len, 0);
}

/* max_age's 1*10(DIGIT), clamped to STS_MAX_AGE_MAX. 0 or -1. */
static int
sts_policy_max_age(const char *v, size_t len, uint32_t *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (len == 0 || len > STS_POLICY_AGE_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');	/* < 10^10 */
	}
	*out = n > STS_MAX_AGE_MAX ? STS_MAX_AGE_MAX : (uint32_t)n;
	return 0;
}

/* Adds an mx pattern (valid) in lower case unless it is there. */
static int
sts_policy_add_mx(struct sts_policy *pol, const char *v, size_t len)
{
	char	lower[STS_NAME_MAX];
	size_t	i;

	for (i = 0; i < len; i++)
		lower[i] = sts_policy_lower(v[i]);
	lower[len] = '\0';
	for (i = 0; i < pol->nmx; i++)
		if (strcmp(pol->mx[i], lower) == 0)
			return 0;
	if (pol->nmx >= STS_MX_MAX)
		return -1;
	memcpy(pol->mx[pol->nmx++], lower, len + 1);
	return 0;
}

/* 1 when key[0..klen) is the string name. */
static int
sts_policy_key_is(const char *key, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(key, name, klen) == 0;
}

/*
 * One line s[0..len) without its terminator: sts-policy-field *WSP.
 * Returns 0, or -1 with the reason in err.
 */
static int
sts_policy_line(const char *s, size_t len, size_t line,
    struct sts_policy *pol, struct sts_policy_seen *seen, char *err,
    size_t errlen)
{
	size_t	k, v, end;

	/* sts-policy-ext-name: every key, the four known ones included */
	if (len == 0)
		return sts_policy_fail(err, errlen, "line %zu: empty line",
		    line);
	if (!sts_policy_alnum(s[0]))
		return sts_policy_fail(err, errlen,
		    "line %zu: does not start with a key", line);
	for (k = 1; k < len && (sts_policy_alnum(s[k]) || s[k] == '_' ||
	    s[k] == '-' || s[k] == '.'); k++)
		;
	if (k > STS_POLICY_KEY_MAX)
		return sts_policy_fail(err, errlen,
		    "line %zu: key longer than %d octets", line,
		    STS_POLICY_KEY_MAX);
	if (k == len || s[k] != ':')
		return sts_policy_fail(err, errlen,
		    "line %zu: no ':' right after the key", line);
	/* sts-policy-field-delim = ":" *WSP; the line ends in *WSP */
	for (v = k + 1; v < len && sts_policy_wsp(s[v]); v++)
		;
	for (end = len; end > v && sts_policy_wsp(s[end - 1]); end--)
		;
	if (v == end)
		return sts_policy_fail(err, errlen, "line %zu: empty value",
		    line);
	if (sts_policy_value_ok(s + v, end - v) == -1)
		return sts_policy_fail(err, errlen,
		    "line %zu: control octet, tab or invalid UTF-8 in the "
		    "value", line);

	if (sts_policy_key_is(s, k, "version")) {
		if (seen->version++)
			return sts_policy_fail(err, errlen,
			    "line %zu: version given twice", line);
		if (end - v != 5 || memcmp(s + v, "STSv1", 5) != 0)
			return sts_policy_fail(err, errlen,
			    "line %zu: version: not STSv1", line);
	} else if (sts_policy_key_is(s, k, "mode")) {
		if (seen->mode++)
			return sts_policy_fail(err, errlen,
			    "line %zu: mode given twice", line);
		if (sts_policy_key_is(s + v, end - v, "enforce"))
			pol->mode = STS_MODE_ENFORCE;
		else if (sts_policy_key_is(s + v, end - v, "testing"))
			pol->mode = STS_MODE_TESTING;
		else if (sts_policy_key_is(s + v, end - v, "none"))
			pol->mode = STS_MODE_NONE;
		else
			return sts_policy_fail(err, errlen,
			    "line %zu: mode: not enforce, testing or none",
			    line);
	} else if (sts_policy_key_is(s, k, "max_age")) {
		if (seen->max_age++)
			return sts_policy_fail(err, errlen,
			    "line %zu: max_age given twice", line);
		if (sts_policy_max_age(s + v, end - v, &pol->max_age) == -1)
			return sts_policy_fail(err, errlen,
			    "line %zu: max_age: not 1 to 10 digits", line);
	} else if (sts_policy_key_is(s, k, "mx")) {
		if (!sts_policy_host(s + v, end - v, 1))
			return sts_policy_fail(err, errlen,
			    "line %zu: mx: not a host name or *. and a host "
			    "name", line);
		if (sts_policy_add_mx(pol, s + v, end - v) == -1)
			return sts_policy_fail(err, errlen,
			    "line %zu: more than %d mx patterns", line,
			    STS_MX_MAX);
	}
	/* any other key: an extension, ignored (§3.2) */
	return 0;
}

int
sts_policy_parse(const char *text, size_t len, struct sts_policy *out,
    char *err, size_t errlen)
{
	struct sts_policy_seen	 seen;
	const char		*nl;
	size_t			 p, end, next, line = 0;

	memset(out, 0, sizeof(*out));
	memset(&seen, 0, sizeof(seen));
	if (len == 0)
		return sts_policy_fail(err, errlen, "empty policy");
	if (len > STS_POLICY_SIZE_MAX)
		return sts_policy_fail(err, errlen,
		    "policy longer than %d octets", STS_POLICY_SIZE_MAX);
	if (memchr(text, '\0', len) != NULL)
		return sts_policy_fail(err, errlen, "NUL octet in the policy");
	for (p = 0; p < len; p = next) {
		line++;
		/* sts-policy-term = LF / CRLF (erratum 6253), the last one
		 * optional */
		if ((nl = memchr(text + p, '\n', len - p)) != NULL) {
			end = (size_t)(nl - text);
			next = end + 1;
			if (end > p && text[end - 1] == '\r')
				end--;
		} else
			end = next = len;	/* a CR there is a bare CR */
		if (sts_policy_line(text + p, end - p, line, out, &seen, err,
		    errlen) == -1) {
			memset(out, 0, sizeof(*out));
			return -1;
		}
	}
	if (!seen.version || !seen.mode || !seen.max_age) {
		memset(out, 0, sizeof(*out));
		return sts_policy_fail(err, errlen, "no %s",
		    !seen.version ? "version" : !seen.mode ? "mode" :
		    "max_age");
	}
	/* §3.2: mx "required at least once, except when mode is none" */
	if (out->nmx == 0 && out->mode != STS_MODE_NONE) {
		(void)sts_policy_fail(err, errlen, "no mx in mode %s",
		    sts_mode_name(out->mode));
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

int
sts_policy_mx_match(const struct sts_policy *pol, const char *host)
{
	size_t hlen, i;

	/* a name from dns_wire is bounded; anything longer is no host */
	for (hlen = 0; host[hlen] != '\0'; hlen++)
		if (hlen > STS_NAME_MAX)
			return 0;
	for (i = 0; i < pol->nmx && i < STS_MX_MAX; i++)
		if (name_match(pol->mx[i], strlen(pol->mx[i]), host, hlen))
			return 1;
	return 0;
}

const char *
sts_mode_name(int mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		return "none";
	}
	return "?";
}

/* ---- the cache entry ------------------------------------------------- */

/* 1 when id[0..len) is 1 to 32 ALPHA/DIGIT (RFC 8461 §3.1 sts-id). */
static int
sts_cache_id_ok(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > STS_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!sts_policy_alnum(id[i]))
			return 0;
	return 1;
}

/* The length of the NUL-terminated s[0..size), or size if no NUL. */
static size_t
sts_cache_strlen(const char *s, size_t size)
{
	size_t n;

	for (n = 0; n < size && s[n] != '\0'; n++)
		;
	return n;
}

ssize_t
sts_cache_format(const struct sts_cache_entry *e, char *out, size_t size)
{
	struct sts_policy	pol;
	size_t			dlen, ilen, n;
	int			r;

	dlen = sts_cache_strlen(e->domain, sizeof(e->domain));
	ilen = sts_cache_strlen(e->id, sizeof(e->id));
	if (dlen == sizeof(e->domain) || !sts_cache_domain_valid(e->domain,
	    dlen) || ilen == sizeof(e->id) || !sts_cache_id_ok(e->id, ilen))
		return -1;
	if (e->fetched < 0 || e->fetched > STS_CACHE_TIME_MAX ||
	    (e->text == NULL && e->textlen > 0))
		return -1;
	if (sts_policy_parse(e->text != NULL ? e->text : "", e->textlen, &pol,
	    NULL, 0) == -1 || e->expires != e->fetched + (int64_t)pol.max_age)
		return -1;
	r = snprintf(out, size, STS_CACHE_MAGIC "domain %s\nid %s\n"
	    "fetched %lld\nexpires %lld\npolicy %zu\n", e->domain, e->id,
	    (long long)e->fetched, (long long)e->expires, e->textlen);
	if (r < 0 || (size_t)r >= size)
		return -1;
	n = (size_t)r;
	if (e->textlen > size - n)
		return -1;
	memcpy(out + n, e->text, e->textlen);
	return (ssize_t)(n + e->textlen);
}

/*
 * A decimal number without sign or leading zero ("0" alone) of at most
 * 19 digits and at most max. Returns 0 or -1.
 */
static int
sts_cache_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (len == 0 || len > STS_CACHE_DIGITS_MAX ||
	    (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');	/* < 10^19 */
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

/*
 * The next header line, "key value\n", at buf[*p..len). Sets *val and
 * *vlen to the value and moves *p past the LF. Returns 0 or -1.
 */
static int
sts_cache_line(const char *buf, size_t len, size_t *p, const char *key,
    const char **val, size_t *vlen)
{
	const char	*nl;
	size_t		 klen = strlen(key);

	if ((nl = memchr(buf + *p, '\n', len - *p)) == NULL)
		return -1;
	if ((size_t)(nl - (buf + *p)) < klen + 1 ||
	    memcmp(buf + *p, key, klen) != 0 || buf[*p + klen] != ' ')
		return -1;
	*val = buf + *p + klen + 1;
	*vlen = (size_t)(nl - *val);
	*p = (size_t)(nl - buf) + 1;
	return 0;
}

int
sts_cache_parse(const char *buf, size_t len, struct sts_cache_entry *e,
    char *err, size_t errlen)
{
	char		 perr[160];
	const char	*v;
	size_t		 p, vlen;
	uint64_t	 fetched, expires, textlen;

	memset(e, 0, sizeof(*e));
	if (len < STS_CACHE_MAGIC_LEN ||
	    memcmp(buf, STS_CACHE_MAGIC, STS_CACHE_MAGIC_LEN) != 0) {
		if (len >= sizeof(STS_CACHE_PREFIX) - 1 && memcmp(buf,
		    STS_CACHE_PREFIX, sizeof(STS_CACHE_PREFIX) - 1) == 0)
			return sts_policy_fail(err, errlen,
			    "cache: not format version 1");
		return sts_policy_fail(err, errlen,
		    "cache: not a sealpost-sts-cache file");
	}
	p = STS_CACHE_MAGIC_LEN;
	if (sts_cache_line(buf, len, &p, "domain", &v, &vlen) == -1 ||
	    !sts_cache_domain_valid(v, vlen))
		return sts_policy_fail(err, errlen, "cache: bad domain line");
	memcpy(e->domain, v, vlen);
	e->domain[vlen] = '\0';
	if (sts_cache_line(buf, len, &p, "id", &v, &vlen) == -1 ||
	    !sts_cache_id_ok(v, vlen)) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen, "cache: bad id line");
	}
	memcpy(e->id, v, vlen);
	e->id[vlen] = '\0';
	if (sts_cache_line(buf, len, &p, "fetched", &v, &vlen) == -1 ||
	    sts_cache_number(v, vlen, STS_CACHE_TIME_MAX, &fetched) == -1 ||
	    sts_cache_line(buf, len, &p, "expires", &v, &vlen) == -1 ||
	    sts_cache_number(v, vlen, INT64_MAX, &expires) == -1) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen,
		    "cache: bad fetched or expires line");
	}
	if (sts_cache_line(buf, len, &p, "policy", &v, &vlen) == -1 ||
	    sts_cache_number(v, vlen, STS_POLICY_SIZE_MAX, &textlen) == -1) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen, "cache: bad policy line");
	}
	/* exactly the text: a truncated or extended file is corrupt */
	if (len - p != textlen) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen,
		    "cache: policy text of %zu octets, not %llu", len - p,
		    (unsigned long long)textlen);
	}
	if (sts_policy_parse(buf + p, (size_t)textlen, &e->policy, perr,
	    sizeof(perr)) == -1) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen, "cache: policy text: %s",
		    perr);
	}
	if (expires != fetched + e->policy.max_age) {
		memset(e, 0, sizeof(*e));
		return sts_policy_fail(err, errlen,
		    "cache: expires is not fetched + max_age");
	}
	e->fetched = (int64_t)fetched;
	e->expires = (int64_t)expires;
	e->text = buf + p;
	e->textlen = (size_t)textlen;
	return 0;
}
