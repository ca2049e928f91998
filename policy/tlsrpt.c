/*
 * tlsrpt.c: SMTP TLS Reporting (RFC 8460), the pure parts: a day's
 * counters, the day file, dates, the `_smtp._tls` TXT record
 * (doc/design.md §8; the formats in tlsrpt.h).
 * Pure: no I/O. Linked by the policy process, sealpost(8), their tests
 * and tests/fuzz/fuzz_tlsrpt.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tlsrpt.h"

/*
 * The day file's fixed lines, and the widest count (TLSRPT_COUNT_MAX
 * has 16 digits), for the size bound (doc/design.md §8).
 */
#define TLSRPT_COUNT_DIGITS	16
#define TLSRPT_HEAD_BYTES	\
	(sizeof("sealpost-tlsrpt 1 YYYY-MM-DD\n") - 1 + sizeof("end 1000\n") - 1)

const char *
tlsrpt_type_word(int type)
{
	switch (type) {
	case TLSRPT_T_STS:
		return "sts";
	case TLSRPT_T_TLSA:
		return "tlsa";
	case TLSRPT_T_NONE:
		return "no-policy-found";
	}
	return NULL;
}

int
tlsrpt_type_parse(const char *word, size_t len)
{
	int t;

	for (t = TLSRPT_T_STS; t <= TLSRPT_T_NONE; t++)
		if (strlen(tlsrpt_type_word(t)) == len &&
		    memcmp(tlsrpt_type_word(t), word, len) == 0)
			return t;
	return 0;
}

static int
tlsrpt_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian, y >= 1970). */
static int64_t
tlsrpt_days(int y, int m, int d)
{
	static const int cum[12] = { 0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334 };
	int64_t days = 0;
	int i;

	for (i = 1970; i < y; i++)
		days += tlsrpt_leap(i) ? 366 : 365;
	days += cum[m - 1] + (m > 2 && tlsrpt_leap(y)) + d - 1;
	return days;
}

int
tlsrpt_date(const char *s, int64_t *start, int64_t *end)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && tlsrpt_leap(y)))
		return 0;
	if (start != NULL) {
		*start = tlsrpt_days(y, m, d) * 86400;
		*end = *start + 86400;
	}
	return 1;
}

int
tlsrpt_date_of(int64_t t, char out[11])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		return -1;
	return 0;
}

void
tlsrpt_day_init(struct tlsrpt_day *day, const char *date)
{
	memset(day, 0, sizeof(*day));
	(void)strlcpy(day->date, date, sizeof(day->date));
	day->bytes = TLSRPT_HEAD_BYTES;
}

void
tlsrpt_day_free(struct tlsrpt_day *day)
{
	free(day->p);
	day->p = NULL;
	day->n = day->cap = 0;
}

/* A lower-case host name label string: [a-z0-9-_.], 1..253 octets. */
static int
tlsrpt_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= TLSRPT_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static int
tlsrpt_ip_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= TLSRPT_IP_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

/* RFC 8460 §4.3.2's result types (the IANA registry of 2018). */
static const char *const tlsrpt_results[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted",
	"validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
	"sts-webpki-invalid",
};

int
tlsrpt_result_known(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(tlsrpt_results) / sizeof(tlsrpt_results[0]);
	    i++)
		if (strlen(tlsrpt_results[i]) == len &&
		    memcmp(tlsrpt_results[i], s, len) == 0)
			return 1;
	return 0;
}

/*
 * The most octets a row can take in the day file, its counts at their
 * widest (TLSRPT_COUNT_MAX has 16 digits): "p D T M OK FAIL OTHER\n",
 * "d R M IP COUNT\n" (doc/design.md §8: the file stays under
 * TLSRPT_FILE_MAX by construction).
 */

static size_t
tlsrpt_pline_bytes(const char *domain, int type, const char *mx)
{
	return 2 + strlen(domain) + 1 + strlen(tlsrpt_type_word(type)) + 1 +
	    (mx[0] != '\0' ? strlen(mx) : 1) + 3 * (1 + TLSRPT_COUNT_DIGITS) +
	    1;
}

static size_t
tlsrpt_dline_bytes(const char *result, const char *mx, const char *ip)
{
	return 2 + strlen(result) + 1 + strlen(mx) + 1 +
	    (ip[0] != '\0' ? strlen(ip) : 1) + 1 + TLSRPT_COUNT_DIGITS + 1;
}

static struct tlsrpt_policy *
tlsrpt_find(struct tlsrpt_day *day, const char *domain, int type,
    const char *mx)
{
	size_t i;

	for (i = 0; i < day->n; i++)
		if (day->p[i].type == type &&
		    strcmp(day->p[i].domain, domain) == 0 &&
		    strcmp(day->p[i].mx, mx) == 0)
			return &day->p[i];
	return NULL;
}

/* A new zeroed policy at the end; NULL when full (1) or no memory. */
static struct tlsrpt_policy *
tlsrpt_new(struct tlsrpt_day *day, int *full)
{
	struct tlsrpt_policy *np;
	size_t ncap;

	*full = 0;
	if (day->n >= TLSRPT_POLICIES_MAX) {
		*full = 1;
		return NULL;
	}
	if (day->n == day->cap) {
		ncap = day->cap == 0 ? 8 : day->cap * 2;
		if (ncap > TLSRPT_POLICIES_MAX)
			ncap = TLSRPT_POLICIES_MAX;
		if ((np = reallocarray(day->p, ncap, sizeof(*np))) == NULL)
			return NULL;
		day->p = np;
		day->cap = ncap;
	}
	np = &day->p[day->n++];
	memset(np, 0, sizeof(*np));
	return np;
}

int
tlsrpt_add(struct tlsrpt_day *day, const char *domain, int type,
    const char *mx, const char *ip, const char *result)
{
	struct tlsrpt_policy *p;
	struct tlsrpt_detail *d;
	const char *pmx = type == TLSRPT_T_TLSA ? mx : "";
	size_t i, pb, db;
	int full;

	if (!tlsrpt_name_ok(domain, strlen(domain)) ||
	    tlsrpt_type_word(type) == NULL ||
	    !tlsrpt_name_ok(mx, strlen(mx)) ||
	    (ip[0] != '\0' && !tlsrpt_ip_ok(ip, strlen(ip))) ||
	    (result[0] != '\0' && !tlsrpt_result_known(result,
	    strlen(result))))
		return -1;
	db = result[0] != '\0' ? tlsrpt_dline_bytes(result, mx, ip) : 0;
	if ((p = tlsrpt_find(day, domain, type, pmx)) == NULL) {
		/* the policy's row, and its first detail row, must fit */
		pb = tlsrpt_pline_bytes(domain, type, pmx);
		if (day->bytes + pb + db > TLSRPT_FILE_MAX) {
			day->dropped++;
			return 1;
		}
		if ((p = tlsrpt_new(day, &full)) == NULL) {
			if (!full)
				return -1;
			day->dropped++;
			return 1;
		}
		day->bytes += pb;
		(void)strlcpy(p->domain, domain, sizeof(p->domain));
		(void)strlcpy(p->mx, pmx, sizeof(p->mx));
		p->type = type;
	}
	if (result[0] == '\0') {
		if (p->ok < TLSRPT_COUNT_MAX)
			p->ok++;
		return 0;
	}
	/* at the top, fail and the details stay as they are: they add up */
	if (p->fail >= TLSRPT_COUNT_MAX)
		return 0;
	p->fail++;
	for (i = 0; i < p->ndetail; i++) {
		d = &p->d[i];
		if (strcmp(d->result, result) == 0 && strcmp(d->mx, mx) == 0 &&
		    strcmp(d->ip, ip) == 0) {
			d->count++;
			return 0;
		}
	}
	if (p->ndetail == TLSRPT_DETAILS_MAX ||
	    day->bytes + db > TLSRPT_FILE_MAX) {
		p->other++;
		return 0;
	}
	day->bytes += db;
	d = &p->d[p->ndetail++];
	(void)strlcpy(d->result, result, sizeof(d->result));
	(void)strlcpy(d->mx, mx, sizeof(d->mx));
	(void)strlcpy(d->ip, ip, sizeof(d->ip));
	d->count = 1;
	return 0;
}

int
tlsrpt_classify(const struct tlsrpt_sess *in, struct tlsrpt_count *out)
{
	int memory;

	memset(out, 0, sizeof(*out));
	/*
	 * RFC 8460 §3: a report's own delivery is not reported (it would
	 * feed the next day's report forever); a relay is no policy of the
	 * domain's; under REQUIRETLS or TLS-Required: No the message's own
	 * requirement replaced the domain's policy, which was not applied.
	 */
	if (!in->own_mx || in->report_mail ||
	    strcmp(in->policy_src, "tls-required-no") == 0 ||
	    strcmp(in->policy_src, "requiretls") == 0)
		return 0;
	out->domain = in->domain;
	out->result = in->failure;
	/*
	 * The downgrade memory raised the host to what the domain once
	 * proved (doc/design.md §8): its DANE or MTA-STS is what the
	 * session was held to, so it counts under that policy type.
	 */
	memory = strcmp(in->policy_src, "memory") == 0 && in->policy != NULL;
	if (strcmp(in->policy_src, "dane") == 0 ||
	    strcmp(in->failure, "dnssec-invalid") == 0 ||
	    (memory && strcmp(in->policy, "dane") == 0)) {
		/* RFC 8460 §4.3: DANE's policy domain is the TLSA base */
		out->type = TLSRPT_T_TLSA;
		out->domain = in->tlsa_base[0] != '\0' ? in->tlsa_base :
		    in->mx;
		/* RFC 8460 §4.3.2: none of the records was usable */
		if (in->failure[0] == '\0' && in->dane_unusable)
			out->result = "tlsa-invalid";
	} else if (strcmp(in->policy_src, "mta-sts") == 0 ||
	    in->sts_testing || (memory && strcmp(in->policy, "mta-sts") == 0))
		out->type = TLSRPT_T_STS;
	else
		out->type = TLSRPT_T_NONE;
	return 1;
}

/* FNV-1a over the strings, each with its NUL. */
static uint64_t
tlsrpt_seen_key(const char *domain, const char *mx, const char *result)
{
	const char *parts[3] = { domain, mx, result };
	uint64_t h = 14695981039346656037ULL;
	size_t i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; ; j++) {
			h ^= (unsigned char)parts[i][j];
			h *= 1099511628211ULL;
			if (parts[i][j] == '\0')
				break;
		}
	return h == 0 ? 1 : h;
}

int
tlsrpt_seen_first(struct tlsrpt_seen *seen, const char *domain,
    const char *mx, const char *result, int64_t now)
{
	uint64_t k = tlsrpt_seen_key(domain, mx, result);
	size_t slot = (size_t)(k % TLSRPT_SEEN_SLOTS);

	/* a clock that went back counts anew rather than never */
	if (seen->key[slot] == k && now >= seen->when[slot] &&
	    now - seen->when[slot] < TLSRPT_SEEN_SECS)
		return 0;
	seen->key[slot] = k;
	seen->when[slot] = now;
	return 1;
}

/* An appending writer over a malloc'd buffer. */
struct tlsrpt_out {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
tlsrpt_put(struct tlsrpt_out *o, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
tlsrpt_put(struct tlsrpt_out *o, const char *fmt, ...)
{
	va_list ap;
	char *ns;
	size_t ncap;
	int n;

	if (o->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		ncap = o->cap * 2 + (size_t)n + 1;
		if ((ns = realloc(o->s, ncap)) == NULL) {
			o->err = 1;
			return;
		}
		o->s = ns;
		o->cap = ncap;
	}
}

int
tlsrpt_format(const struct tlsrpt_day *day, char **out, size_t *outlen)
{
	struct tlsrpt_out o;
	const struct tlsrpt_policy *p;
	size_t i, j;

	memset(&o, 0, sizeof(o));
	if ((o.s = malloc(4096)) == NULL)
		return -1;
	o.cap = 4096;
	o.s[0] = '\0';
	tlsrpt_put(&o, "sealpost-tlsrpt 1 %s\n", day->date);
	for (i = 0; i < day->n; i++) {
		p = &day->p[i];
		tlsrpt_put(&o, "p %s %s %s %" PRIu64 " %" PRIu64 " %" PRIu64
		    "\n", p->domain, tlsrpt_type_word(p->type),
		    p->mx[0] != '\0' ? p->mx : "-", p->ok, p->fail, p->other);
		for (j = 0; j < p->ndetail; j++)
			tlsrpt_put(&o, "d %s %s %s %" PRIu64 "\n",
			    p->d[j].result, p->d[j].mx,
			    p->d[j].ip[0] != '\0' ? p->d[j].ip : "-",
			    p->d[j].count);
	}
	tlsrpt_put(&o, "end %zu\n", day->n);
	if (o.err) {
		free(o.s);
		return -1;
	}
	*out = o.s;
	*outlen = o.len;
	return 0;
}

#define TLSRPT_FIELDS_MAX	8

/* Splits line[0..len) at single spaces into at most max fields. */
static int
tlsrpt_split(const char *line, size_t len, const char **f, size_t *flen,
    size_t max)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start || n == max)
			return -1;	/* an empty field, or too many */
		f[n] = line + start;
		flen[n++] = i - start;
		start = i + 1;
	}
	return (int)n;
}

static int
tlsrpt_count(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 16 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > TLSRPT_COUNT_MAX)
		return -1;
	*v = x;
	return 0;
}

static int
tlsrpt_is(const char *f, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(f, word, len) == 0;
}

static void
tlsrpt_err(char *err, size_t errlen, unsigned line, const char *what)
{
	if (errlen > 0)
		(void)snprintf(err, errlen, "line %u: %s", line, what);
}

int
tlsrpt_parse(const char *buf, size_t len, struct tlsrpt_day *day,
    char *err, size_t errlen)
{
	const char *f[TLSRPT_FIELDS_MAX], *line, *nl;
	size_t fl[TLSRPT_FIELDS_MAX], off = 0, ll;
	struct tlsrpt_policy *p = NULL, *q;
	struct tlsrpt_detail *d;
	uint64_t v, sum = 0;
	unsigned lineno = 0;
	int n, ended = 0, type, full;
	char date[11];

	tlsrpt_day_init(day, "");
	if (len > TLSRPT_FILE_MAX) {
		tlsrpt_err(err, errlen, 0, "file too large");
		return -1;
	}
	while (off < len) {
		line = buf + off;
		if ((nl = memchr(line, '\n', len - off)) == NULL) {
			tlsrpt_err(err, errlen, lineno + 1, "no newline");
			return -1;
		}
		ll = (size_t)(nl - line);
		off += ll + 1;
		lineno++;
		if (ended) {
			tlsrpt_err(err, errlen, lineno, "after the end");
			return -1;
		}
		if ((n = tlsrpt_split(line, ll, f, fl, TLSRPT_FIELDS_MAX)) < 1)
			goto bad;
		if (lineno == 1) {
			if (n != 3 || !tlsrpt_is(f[0], fl[0], "sealpost-tlsrpt") ||
			    !tlsrpt_is(f[1], fl[1], "1") || fl[2] != 10) {
				tlsrpt_err(err, errlen, 1, "not a version 1 "
				    "sealpost-tlsrpt file");
				return -1;
			}
			memcpy(date, f[2], 10);
			date[10] = '\0';
			if (!tlsrpt_date(date, NULL, NULL))
				goto bad;
			(void)strlcpy(day->date, date, sizeof(day->date));
			continue;
		}
		/* the policy before this line is complete: its rows add up */
		if (p != NULL && !tlsrpt_is(f[0], fl[0], "d") &&
		    sum + p->other != p->fail) {
			tlsrpt_err(err, errlen, lineno, "the detail counts do "
			    "not add up to the failures");
			return -1;
		}
		if (tlsrpt_is(f[0], fl[0], "end")) {
			if (n != 2 || tlsrpt_count(f[1], fl[1], &v) == -1 ||
			    v != day->n)
				goto bad;
			ended = 1;
		} else if (tlsrpt_is(f[0], fl[0], "p")) {
			sum = 0;
			if (n != 7 || !tlsrpt_name_ok(f[1], fl[1]) ||
			    (type = tlsrpt_type_parse(f[2], fl[2])) == 0)
				goto bad;
			if (type == TLSRPT_T_TLSA ?
			    !tlsrpt_name_ok(f[3], fl[3]) :
			    !tlsrpt_is(f[3], fl[3], "-"))
				goto bad;
			if ((p = tlsrpt_new(day, &full)) == NULL) {
				tlsrpt_err(err, errlen, lineno, full ?
				    "too many policies" : "out of memory");
				return -1;
			}
			memcpy(p->domain, f[1], fl[1]);
			p->type = type;
			if (type == TLSRPT_T_TLSA)
				memcpy(p->mx, f[3], fl[3]);
			if (tlsrpt_count(f[4], fl[4], &p->ok) == -1 ||
			    tlsrpt_count(f[5], fl[5], &p->fail) == -1 ||
			    tlsrpt_count(f[6], fl[6], &p->other) == -1 ||
			    p->other > p->fail)
				goto bad;
			day->n--;	/* not counted by tlsrpt_find */
			q = tlsrpt_find(day, p->domain, p->type, p->mx);
			day->n++;
			if (q != NULL) {
				tlsrpt_err(err, errlen, lineno,
				    "a policy twice");
				return -1;
			}
			day->bytes += tlsrpt_pline_bytes(p->domain, p->type,
			    p->mx);
		} else if (tlsrpt_is(f[0], fl[0], "d")) {
			if (p == NULL || n != 5 ||
			    p->ndetail == TLSRPT_DETAILS_MAX ||
			    !tlsrpt_result_known(f[1], fl[1]) ||
			    !tlsrpt_name_ok(f[2], fl[2]) ||
			    (!tlsrpt_is(f[3], fl[3], "-") &&
			    !tlsrpt_ip_ok(f[3], fl[3])))
				goto bad;
			d = &p->d[p->ndetail++];
			memcpy(d->result, f[1], fl[1]);
			memcpy(d->mx, f[2], fl[2]);
			if (!tlsrpt_is(f[3], fl[3], "-"))
				memcpy(d->ip, f[3], fl[3]);
			if (tlsrpt_count(f[4], fl[4], &d->count) == -1 ||
			    d->count == 0 || d->count > p->fail)
				goto bad;
			sum += d->count;
			day->bytes += tlsrpt_dline_bytes(d->result, d->mx,
			    d->ip);
		} else
			goto bad;
	}
	if (lineno == 0 || !ended) {
		tlsrpt_err(err, errlen, lineno, "cut off: no end line");
		return -1;
	}
	return 0;
bad:
	tlsrpt_err(err, errlen, lineno, "malformed");
	return -1;
}

/* RFC 8460 §3's WSP. */
static int
tlsrpt_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E) */
static int
tlsrpt_extvalue(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 0x21 && u <= 0x3a) || u == 0x3c ||
	    (u >= 0x3e && u <= 0x7e);
}

static int
tlsrpt_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
tlsrpt_rec_err(char *err, size_t errlen, const char *what)
{
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s", what);
	return -1;
}

/*
 * The rua list value[0..len): URIs separated by *WSP "," *WSP. A URI is
 * the octets up to the next ',' or WSP (the RFC has commas and
 * semicolons in a URI percent-encoded).
 */
static int
tlsrpt_rua(const char *v, size_t len, struct tlsrpt_record *rec,
    char *err, size_t errlen)
{
	size_t i = 0, start, ulen;

	for (;;) {
		start = i;
		while (i < len && v[i] != ',' && !tlsrpt_wsp(v[i]))
			i++;
		if ((ulen = i - start) == 0)
			return tlsrpt_rec_err(err, errlen, "empty rua URI");
		if (ulen >= TLSRPT_URI_MAX)
			return tlsrpt_rec_err(err, errlen, "rua URI too long");
		if (rec->nrua < TLSRPT_RUA_MAX &&
		    ((ulen > 7 && strncasecmp(v + start, "mailto:", 7) == 0) ||
		    (ulen > 8 && strncasecmp(v + start, "https://", 8) == 0))) {
			memcpy(rec->rua[rec->nrua], v + start, ulen);
			rec->rua[rec->nrua][ulen] = '\0';
			rec->nrua++;
		}
		while (i < len && tlsrpt_wsp(v[i]))
			i++;
		if (i == len)
			return 0;
		if (v[i] != ',')
			return tlsrpt_rec_err(err, errlen,
			    "junk in the rua list");
		i++;
		while (i < len && tlsrpt_wsp(v[i]))
			i++;
	}
}

int
tlsrpt_record_parse(const char *txt, size_t len, struct tlsrpt_record *rec,
    char *err, size_t errlen)
{
	static const char ver[] = "v=TLSRPTv1";
	size_t i, ns, vs, nrua_fields = 0;

	memset(rec, 0, sizeof(*rec));
	if (errlen > 0)
		err[0] = '\0';
	if (len < sizeof(ver) - 1 || memcmp(txt, ver, sizeof(ver) - 1) != 0 ||
	    (len > sizeof(ver) - 1 && txt[sizeof(ver) - 1] != ';' &&
	    !tlsrpt_wsp(txt[sizeof(ver) - 1])))
		return 0;
	i = sizeof(ver) - 1;
	for (;;) {
		/* field-delim = *WSP ";" *WSP, or the end */
		while (i < len && tlsrpt_wsp(txt[i]))
			i++;
		if (i == len)
			break;
		if (txt[i] != ';')
			return tlsrpt_rec_err(err, errlen, "expected ';'");
		i++;
		while (i < len && tlsrpt_wsp(txt[i]))
			i++;
		if (i == len)
			break;		/* a trailing delimiter */
		ns = i;
		if (!tlsrpt_alnum(txt[i]))
			return tlsrpt_rec_err(err, errlen, "bad field name");
		while (i < len && (tlsrpt_alnum(txt[i]) || txt[i] == '_' ||
		    txt[i] == '-' || txt[i] == '.'))
			i++;
		if (i - ns > 32 || i == len || txt[i] != '=')
			return tlsrpt_rec_err(err, errlen, "bad field");
		vs = ++i;
		if (i - 1 - ns == 3 && memcmp(txt + ns, "rua", 3) == 0) {
			/* the value runs to the next ';' (WSP inside) */
			while (i < len && txt[i] != ';')
				i++;
			while (i > vs && tlsrpt_wsp(txt[i - 1]))
				i--;
			if (++nrua_fields > 1)
				return tlsrpt_rec_err(err, errlen,
				    "more than one rua field");
			if (tlsrpt_rua(txt + vs, i - vs, rec, err,
			    errlen) == -1)
				return -1;
			continue;
		}
		while (i < len && tlsrpt_extvalue(txt[i]))
			i++;
		if (i == vs)
			return tlsrpt_rec_err(err, errlen,
			    "empty extension value");
	}
	if (nrua_fields == 0)
		return tlsrpt_rec_err(err, errlen, "no rua field");
	if (rec->nrua == 0)
		return tlsrpt_rec_err(err, errlen,
		    "no mailto: or https: URI in rua");
	return 1;
}

static int
tlsrpt_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tlsrpt_mailto(const char *uri, char *out, size_t size)
{
	size_t i, o = 0, at = 0;
	int hi, lo;
	char c;

	if (strncasecmp(uri, "mailto:", 7) != 0 || size == 0)
		return -1;
	for (i = 7; uri[i] != '\0'; i++) {
		c = uri[i];
		if (c == '%') {
			if ((hi = tlsrpt_hex(uri[i + 1])) == -1 ||
			    (lo = tlsrpt_hex(uri[i + 2])) == -1)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '?')
			return -1;	/* hfields: not a plain address */
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f ||
		    c == '<' || c == '>' || c == ',' || c == '"' ||
		    c == '\\' || c == ';')
			return -1;
		if (c == '@')
			at++;
		if (o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	if (at != 1 || out[0] == '@' || out[o - 1] == '@')
		return -1;
	return 0;
}
