/*
 * test_tlsrpt.c: unit tests for policy/tlsrpt.c and
 * mta/cli/cli_tlsrpt_fmt.c (RFC 8460; doc/design.md §8, §11): dates,
 * the counters and their limits, the day file (round trip; malformed,
 * cut and oversized files refused), the `_smtp._tls` TXT record (a
 * table), mailto: addresses, the command line, and the report JSON
 * checked against RFC 8460 §4.4's schema by a small JSON reader here
 * (required members, their types, the date-time format), the mail, the
 * sent state's text, and what an https rua may reach (every refused
 * address range on both sides of its boundaries; the URL's host: ASCII
 * names and public literals).
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli_tlsrpt.h"
#include "policy/tlsrpt.h"

/* ---- a small JSON reader: a tree of values (test only) ---- */

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt		 t;
	char		*s;		/* J_STR: the string; J_NUM: its text */
	size_t		 n;		/* members or elements */
	char		**keys;		/* J_OBJ */
	struct jv	**v;		/* J_ARR, J_OBJ */
};

struct jp {
	const char	*p, *end;
};

static void
jws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
	    *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static struct jv *jval(struct jp *);

static char *
jstr(struct jp *j)
{
	char *s = malloc((size_t)(j->end - j->p) + 1);
	size_t n = 0;

	if (s == NULL || j->p >= j->end || *j->p != '"')
		goto bad;
	for (j->p++; j->p < j->end && *j->p != '"'; j->p++) {
		if ((unsigned char)*j->p < 0x20)
			goto bad;
		if (*j->p == '\\') {
			if (++j->p >= j->end)
				goto bad;
			if (*j->p == 'u') {
				if (j->end - j->p < 5)
					goto bad;
				j->p += 4;
				s[n++] = '?';
				continue;
			}
			if (strchr("\"\\/bfnrt", *j->p) == NULL)
				goto bad;
		}
		s[n++] = *j->p;
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	s[n] = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

static struct jv *
jval(struct jp *j)
{
	struct jv *v = calloc(1, sizeof(*v));
	const char *st;

	assert_non_null(v);
	jws(j);
	if (j->p >= j->end)
		goto bad;
	if (*j->p == '"') {
		v->t = J_STR;
		if ((v->s = jstr(j)) == NULL)
			goto bad;
	} else if (*j->p == '{' || *j->p == '[') {
		int obj = *j->p == '{';

		v->t = obj ? J_OBJ : J_ARR;
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			return v;
		}
		for (;;) {
			v->keys = realloc(v->keys, (v->n + 1) * sizeof(char *));
			v->v = realloc(v->v, (v->n + 1) * sizeof(struct jv *));
			assert_non_null(v->keys);
			assert_non_null(v->v);
			v->keys[v->n] = NULL;
			jws(j);
			if (obj) {
				if ((v->keys[v->n] = jstr(j)) == NULL)
					goto bad;
				jws(j);
				if (j->p >= j->end || *j->p++ != ':')
					goto bad;
			}
			if ((v->v[v->n++] = jval(j)) == NULL)
				goto bad;
			jws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
				j->p++;
				break;
			}
			goto bad;
		}
	} else if ((*j->p >= '0' && *j->p <= '9') || *j->p == '-') {
		v->t = J_NUM;
		st = j->p;
		while (j->p < j->end && strchr("0123456789-+.eE", *j->p))
			j->p++;
		v->s = strndup(st, (size_t)(j->p - st));
	} else
		goto bad;
	return v;
bad:
	free(v);
	return NULL;
}

static void
jfree(struct jv *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		jfree(v->v[i]);
	}
	free(v->keys);
	free(v->v);
	free(v->s);
	free(v);
}

/* Parses a whole document; NULL when it is no JSON (jfree the tree). */
static struct jv *
jparse(const char *s, size_t len)
{
	struct jp j = { s, s + len };
	struct jv *v = jval(&j);

	jws(&j);
	return j.p == j.end ? v : NULL;
}

static struct jv *
jget(const struct jv *o, const char *key)
{
	size_t i;

	if (o == NULL || o->t != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->v[i];
	return NULL;
}

/* A non-negative integer JSON number. */
static int
jint(const struct jv *v, long long *out)
{
	char *end;

	if (v == NULL || v->t != J_NUM || v->s[0] == '-')
		return 0;
	*out = strtoll(v->s, &end, 10);
	return *end == '\0';
}

/* RFC 3339 date-time, as RFC 8460 §4.4 uses it: YYYY-MM-DDTHH:MM:SSZ */
static int
jdatetime(const struct jv *v)
{
	const char *f = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (v == NULL || v->t != J_STR || strlen(v->s) != strlen(f))
		return 0;
	for (i = 0; f[i] != '\0'; i++)
		if (f[i] == 'd' ? v->s[i] < '0' || v->s[i] > '9' :
		    v->s[i] != f[i])
			return 0;
	return 1;
}

static int
jstrp(const struct jv *v)
{
	return v != NULL && v->t == J_STR && v->s[0] != '\0';
}

static int
jstrarr(const struct jv *v)
{
	size_t i;

	if (v == NULL || v->t != J_ARR)
		return 0;
	for (i = 0; i < v->n; i++)
		if (v->v[i]->t != J_STR)
			return 0;
	return 1;
}

static const char *const result_types[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted",
	"validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
	"sts-webpki-invalid", NULL
};

/*
 * RFC 8460 §4.4 (the JSON schema of the report): asserts every required
 * member, its type, and the sums; returns the policies array.
 */
static const struct jv *
schema_check(const struct jv *r)
{
	const struct jv *dr, *pol, *p, *pd, *sum, *fd, *f;
	long long ok, fail, cnt, fsum;
	size_t i, k, t;

	assert_non_null(r);
	assert_int_equal(r->t, J_OBJ);
	assert_true(jstrp(jget(r, "organization-name")));
	assert_true(jstrp(jget(r, "contact-info")));
	assert_true(jstrp(jget(r, "report-id")));
	assert_non_null(dr = jget(r, "date-range"));
	assert_true(jdatetime(jget(dr, "start-datetime")));
	assert_true(jdatetime(jget(dr, "end-datetime")));
	assert_true(strcmp(jget(dr, "start-datetime")->s,
	    jget(dr, "end-datetime")->s) < 0);
	assert_non_null(pol = jget(r, "policies"));
	assert_int_equal(pol->t, J_ARR);
	assert_true(pol->n >= 1);
	for (i = 0; i < pol->n; i++) {
		p = pol->v[i];
		assert_int_equal(p->t, J_OBJ);
		assert_non_null(pd = jget(p, "policy"));
		assert_true(jstrp(jget(pd, "policy-type")));
		t = !strcmp(jget(pd, "policy-type")->s, "sts") ||
		    !strcmp(jget(pd, "policy-type")->s, "tlsa") ||
		    !strcmp(jget(pd, "policy-type")->s, "no-policy-found");
		assert_true(t);
		assert_true(jstrp(jget(pd, "policy-domain")));
		if (jget(pd, "policy-string") != NULL)
			assert_true(jstrarr(jget(pd, "policy-string")));
		if (jget(pd, "mx-host") != NULL)
			assert_true(jstrarr(jget(pd, "mx-host")));
		assert_non_null(sum = jget(p, "summary"));
		assert_true(jint(jget(sum, "total-successful-session-count"),
		    &ok));
		assert_true(jint(jget(sum, "total-failure-session-count"),
		    &fail));
		fsum = 0;
		if ((fd = jget(p, "failure-details")) != NULL) {
			assert_int_equal(fd->t, J_ARR);
			for (k = 0; k < fd->n; k++) {
				f = fd->v[k];
				assert_true(jstrp(jget(f, "result-type")));
				for (t = 0; result_types[t] != NULL; t++)
					if (!strcmp(result_types[t],
					    jget(f, "result-type")->s))
						break;
				assert_non_null(result_types[t]);
				assert_true(jint(jget(f,
				    "failed-session-count"), &cnt));
				assert_true(cnt > 0);
				fsum += cnt;
				if (jget(f, "receiving-mx-hostname") != NULL)
					assert_true(jstrp(jget(f,
					    "receiving-mx-hostname")));
				if (jget(f, "receiving-ip") != NULL)
					assert_true(jstrp(jget(f,
					    "receiving-ip")));
			}
		}
		assert_true(fsum <= fail);
	}
	return pol;
}

/* ---- dates ---- */

static void
test_dates(void **state)
{
	int64_t s, e;
	char d[11];

	(void)state;
	assert_true(tlsrpt_date("2026-12-01", &s, &e));
	assert_int_equal(e - s, 86400);
	assert_int_equal(tlsrpt_date_of(s, d), 0);
	assert_string_equal(d, "2026-12-01");
	assert_int_equal(tlsrpt_date_of(e - 1, d), 0);
	assert_string_equal(d, "2026-12-01");
	assert_true(tlsrpt_date("1970-01-01", &s, &e));
	assert_int_equal(s, 0);
	assert_true(tlsrpt_date("2024-02-29", NULL, NULL));
	assert_true(tlsrpt_date("2000-02-29", NULL, NULL));
	assert_false(tlsrpt_date("1900-02-29", NULL, NULL));
	assert_false(tlsrpt_date("2025-02-29", NULL, NULL));
	assert_false(tlsrpt_date("2026-13-01", NULL, NULL));
	assert_false(tlsrpt_date("2026-04-31", NULL, NULL));
	assert_false(tlsrpt_date("2026-1-01", NULL, NULL));
	assert_false(tlsrpt_date("2026-01-01x", NULL, NULL));
	assert_false(tlsrpt_date("1969-12-31", NULL, NULL));
	assert_false(tlsrpt_date("", NULL, NULL));
	assert_false(tlsrpt_date("2026/01/01", NULL, NULL));
	assert_true(tlsrpt_date("2026-12-31", &s, &e));
	assert_int_equal(tlsrpt_date_of(e, d), 0);
	assert_string_equal(d, "2027-01-01");
}

/* ---- counters and the day file ---- */

static void
fill(struct tlsrpt_day *day)
{
	tlsrpt_day_init(day, "2026-12-01");
	assert_int_equal(tlsrpt_add(day, "good.test", TLSRPT_T_STS,
	    "mx1.good.test", "127.25.1.1", ""), 0);
	assert_int_equal(tlsrpt_add(day, "good.test", TLSRPT_T_STS,
	    "mx1.good.test", "127.25.1.1", ""), 0);
	assert_int_equal(tlsrpt_add(day, "good.test", TLSRPT_T_STS,
	    "mx2.good.test", "127.25.1.2", "certificate-host-mismatch"), 0);
	assert_int_equal(tlsrpt_add(day, "dane.test", TLSRPT_T_TLSA,
	    "mx.dane.test", "127.25.2.1", "tlsa-invalid"), 0);
	assert_int_equal(tlsrpt_add(day, "dane.test", TLSRPT_T_TLSA,
	    "mx.dane.test", "127.25.2.1", "tlsa-invalid"), 0);
	assert_int_equal(tlsrpt_add(day, "dane.test", TLSRPT_T_TLSA,
	    "mx.dane.test", "", "dnssec-invalid"), 0);
	assert_int_equal(tlsrpt_add(day, "plain.test", TLSRPT_T_NONE,
	    "mx.plain.test", "fd00::25", ""), 0);
}

static void
test_counters(void **state)
{
	struct tlsrpt_day day;
	char name[64];
	int i;

	(void)state;
	fill(&day);
	assert_int_equal(day.n, 3);
	assert_string_equal(day.p[0].domain, "good.test");
	assert_string_equal(day.p[0].mx, "");		/* sts: no mx key */
	assert_int_equal(day.p[0].ok, 2);
	assert_int_equal(day.p[0].fail, 1);
	assert_int_equal(day.p[0].ndetail, 1);
	assert_string_equal(day.p[1].mx, "mx.dane.test");
	assert_int_equal(day.p[1].fail, 3);
	assert_int_equal(day.p[1].ndetail, 2);
	assert_int_equal(day.p[1].d[0].count, 2);
	/* invalid fields are not counted */
	assert_int_equal(tlsrpt_add(&day, "Bad.test", TLSRPT_T_STS, "mx.t",
	    "", ""), -1);
	assert_int_equal(tlsrpt_add(&day, "a.test", 9, "mx.t", "", ""), -1);
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx t",
	    "", ""), -1);
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx.t",
	    "1.2.3.4x", ""), -1);
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx.t",
	    "", "Bad Type"), -1);
	/* details past the limit are counted in other */
	for (i = 0; i < TLSRPT_DETAILS_MAX + 3; i++) {
		(void)snprintf(name, sizeof(name), "mx%d.many.test", i);
		assert_int_equal(tlsrpt_add(&day, "many.test", TLSRPT_T_STS,
		    name, "", "validation-failure"), 0);
	}
	assert_int_equal(day.p[3].ndetail, TLSRPT_DETAILS_MAX);
	assert_int_equal(day.p[3].other, 3);
	assert_int_equal(day.p[3].fail, TLSRPT_DETAILS_MAX + 3);
	/* policies past the limit are dropped, counted */
	for (i = (int)day.n; i < TLSRPT_POLICIES_MAX; i++) {
		(void)snprintf(name, sizeof(name), "d%d.test", i);
		assert_int_equal(tlsrpt_add(&day, name, TLSRPT_T_NONE, "mx.t",
		    "", ""), 0);
	}
	assert_int_equal(tlsrpt_add(&day, "one-more.test", TLSRPT_T_NONE,
	    "mx.t", "", ""), 1);
	assert_int_equal(day.dropped, 1);
	assert_int_equal(tlsrpt_add(&day, "good.test", TLSRPT_T_STS,
	    "mx1.good.test", "", ""), 0);	/* a known one still counts */
	tlsrpt_day_free(&day);
}

static void
test_dayfile_roundtrip(void **state)
{
	struct tlsrpt_day day, back;
	char *text, *text2, err[128];
	size_t len, len2;

	(void)state;
	fill(&day);
	assert_int_equal(tlsrpt_format(&day, &text, &len), 0);
	assert_string_equal(text,
	    "sealpost-tlsrpt 1 2026-12-01\n"
	    "p good.test sts - 2 1 0\n"
	    "d certificate-host-mismatch mx2.good.test 127.25.1.2 1\n"
	    "p dane.test tlsa mx.dane.test 0 3 0\n"
	    "d tlsa-invalid mx.dane.test 127.25.2.1 2\n"
	    "d dnssec-invalid mx.dane.test - 1\n"
	    "p plain.test no-policy-found - 1 0 0\n"
	    "end 3\n");
	assert_int_equal(tlsrpt_parse(text, len, &back, err, sizeof(err)), 0);
	assert_int_equal(tlsrpt_format(&back, &text2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	free(text);
	free(text2);
	tlsrpt_day_free(&day);
	tlsrpt_day_free(&back);
}

static const char *const bad_days[] = {
	"",
	"sealpost-tlsrpt 1 2026-12-01\n",			/* no end */
	"sealpost-tlsrpt 2 2026-12-01\nend 0\n",		/* version */
	"sealpost-tlsrpt 1 2026-02-30\nend 0\n",		/* date */
	"sealpost-tlsrpt 1 2026-12-01\nend 1\n",		/* count */
	"sealpost-tlsrpt 1 2026-12-01\nend 0",			/* no LF */
	"sealpost-tlsrpt 1 2026-12-01\nend 0\nend 0\n",	/* after end */
	"sealpost-tlsrpt 1 2026-12-01\nd tlsa-invalid mx.t - 1\nend 0\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 0 0\n"
	    "p a.test sts - 1 0 0\nend 2\n",			/* twice */
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts mx.t 1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test tlsa - 1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np A.test sts - 1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test bogus - 1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 01 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - -1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 0 1\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 99999999999999999 0 0\n"
	    "end 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 1 0\n"
	    "d tlsa-invalid mx.t - 2\nend 1\n",		/* > fail */
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 1 0\n"
	    "d tlsa-invalid mx.t - 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 1 0\n"
	    "d Tlsa mx.t - 1\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 1 0\n"
	    "d tlsa-invalid mx.t 1.2.3.x 1\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test  sts - 1 0 0\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 1 0 0 x\nend 1\n",
	"sealpost-tlsrpt 1 2026-12-01\nx\nend 0\n",
	"sealpost-tlsrpt 1 2026-12-01\r\nend 0\n",
	NULL
};

static void
test_dayfile_bad(void **state)
{
	struct tlsrpt_day day;
	struct buf big;
	char err[128], line[128];
	size_t i;
	int n;

	(void)state;
	for (i = 0; bad_days[i] != NULL; i++) {
		err[0] = '\0';
		if (tlsrpt_parse(bad_days[i], strlen(bad_days[i]), &day, err,
		    sizeof(err)) != -1)
			fail_msg("accepted bad day file %zu", i);
		assert_true(err[0] != '\0');
		tlsrpt_day_free(&day);
	}
	/* a NUL inside */
	assert_int_equal(tlsrpt_parse("sealpost-tlsrpt 1 2026-12-01\nend\0 0\n",
	    36, &day, err, sizeof(err)), -1);
	tlsrpt_day_free(&day);
	/* too many detail rows for one policy */
	buf_init(&big, TLSRPT_FILE_MAX * 2);
	assert_int_equal(buf_puts(&big, "sealpost-tlsrpt 1 2026-12-01\n"
	    "p a.test sts - 0 100 0\n"), 0);
	for (i = 0; i <= TLSRPT_DETAILS_MAX; i++) {
		n = snprintf(line, sizeof(line), "d tlsa-invalid mx%zu.t - 1\n",
		    i);
		assert_int_equal(buf_append(&big, line, (size_t)n), 0);
	}
	assert_int_equal(buf_puts(&big, "end 1\n"), 0);
	assert_int_equal(tlsrpt_parse(big.data, big.len, &day, err,
	    sizeof(err)), -1);
	tlsrpt_day_free(&day);
	/* oversized: refused before it is read */
	buf_reset(&big);
	assert_int_equal(buf_puts(&big, "sealpost-tlsrpt 1 2026-12-01\n"), 0);
	while (big.len <= TLSRPT_FILE_MAX)
		assert_int_equal(buf_puts(&big, "p a.test sts - 0 0 0\n"), 0);
	assert_int_equal(tlsrpt_parse(big.data, big.len, &day, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	tlsrpt_day_free(&day);
	buf_free(&big);
}

/* ---- the TXT record ---- */

struct txt_case {
	const char	*txt;
	int		 rv;
	size_t		 nrua;
	const char	*rua0;
};

static const struct txt_case txt_cases[] = {
	{ "v=TLSRPTv1; rua=mailto:reports@example.com", 1, 1,
	    "mailto:reports@example.com" },
	{ "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", 1, 1,
	    "https://reporting.example.com/v1/tlsrpt" },
	{ "v=TLSRPTv1; rua=mailto:a@b.test,https://c.test/x", 1, 2,
	    "mailto:a@b.test" },
	{ "v=TLSRPTv1; rua=mailto:a@b.test , https://c.test/x;", 1, 2,
	    "mailto:a@b.test" },
	{ "v=TLSRPTv1 ; rua=mailto:a@b.test ;", 1, 1, "mailto:a@b.test" },
	{ "v=TLSRPTv1; ext=1; rua=mailto:a@b.test", 1, 1, "mailto:a@b.test" },
	{ "v=TLSRPTv1; rua=ftp://x.test/, mailto:a@b.test", 1, 1,
	    "mailto:a@b.test" },				/* ftp skipped */
	/* not ours */
	{ "", 0, 0, NULL },
	{ "v=spf1 -all", 0, 0, NULL },
	{ "v=TLSRPTv10; rua=mailto:a@b.test", 0, 0, NULL },
	{ "V=TLSRPTv1; rua=mailto:a@b.test", 0, 0, NULL },
	{ " v=TLSRPTv1; rua=mailto:a@b.test", 0, 0, NULL },
	/* ours, malformed */
	{ "v=TLSRPTv1", -1, 0, NULL },			/* no rua */
	{ "v=TLSRPTv1;", -1, 0, NULL },
	{ "v=TLSRPTv1; rua=", -1, 0, NULL },
	{ "v=TLSRPTv1; rua=ftp://x.test/", -1, 0, NULL },
	{ "v=TLSRPTv1; rua=mailto:a@b.test; rua=mailto:c@d.test", -1, 0,
	    NULL },
	{ "v=TLSRPTv1; rua=mailto:a@b.test,,mailto:c@d.test", -1, 0, NULL },
	{ "v=TLSRPTv1; rua=mailto:a@b.test x", -1, 0, NULL },
	{ "v=TLSRPTv1; =x; rua=mailto:a@b.test", -1, 0, NULL },
	{ "v=TLSRPTv1; ext=; rua=mailto:a@b.test", -1, 0, NULL },
	{ "v=TLSRPTv1 rua=mailto:a@b.test", -1, 0, NULL },
	{ NULL, 0, 0, NULL }
};

static void
test_txt(void **state)
{
	struct tlsrpt_record rec;
	char err[128], big[2048];
	size_t i;
	int r;

	(void)state;
	for (i = 0; txt_cases[i].txt != NULL; i++) {
		r = tlsrpt_record_parse(txt_cases[i].txt,
		    strlen(txt_cases[i].txt), &rec, err, sizeof(err));
		if (r != txt_cases[i].rv)
			fail_msg("TXT case %zu \"%s\": %d, want %d (%s)", i,
			    txt_cases[i].txt, r, txt_cases[i].rv, err);
		if (r == 1) {
			assert_int_equal(rec.nrua, txt_cases[i].nrua);
			assert_string_equal(rec.rua[0], txt_cases[i].rua0);
		}
	}
	/* the bounds: len is honoured, an over-long URI is refused */
	assert_int_equal(tlsrpt_record_parse("v=TLSRPTv1; rua=mailto:a@b.t",
	    10, &rec, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big));
	memcpy(big, "v=TLSRPTv1; rua=https://", 24);
	assert_int_equal(tlsrpt_record_parse(big, sizeof(big), &rec, err,
	    sizeof(err)), -1);
}

static void
test_mailto(void **state)
{
	char a[128];

	(void)state;
	assert_int_equal(tlsrpt_mailto("mailto:tlsrpt@example.test", a,
	    sizeof(a)), 0);
	assert_string_equal(a, "tlsrpt@example.test");
	assert_int_equal(tlsrpt_mailto("MAILTO:x%2By@example.test", a,
	    sizeof(a)), 0);
	assert_string_equal(a, "x+y@example.test");
	assert_int_equal(tlsrpt_mailto("mailto:a@b.test?subject=x", a,
	    sizeof(a)), -1);
	assert_int_equal(tlsrpt_mailto("mailto:ab.test", a, sizeof(a)), -1);
	assert_int_equal(tlsrpt_mailto("mailto:a@b@c", a, sizeof(a)), -1);
	assert_int_equal(tlsrpt_mailto("mailto:a%0d@b.test", a, sizeof(a)),
	    -1);
	assert_int_equal(tlsrpt_mailto("mailto:a%@b.test", a, sizeof(a)), -1);
	assert_int_equal(tlsrpt_mailto("mailto:<a@b.test>", a, sizeof(a)),
	    -1);
	assert_int_equal(tlsrpt_mailto("mailto:a@b.test", a, 5), -1);
	assert_int_equal(tlsrpt_mailto("https://x", a, sizeof(a)), -1);
}

/* ---- the command line ---- */

static void
test_args(void **state)
{
	struct cli_tlsrpt_opts o;
	char err[160];
	char *a1[] = { "tlsrpt", "--dry-run", "--date", "2026-11-30",
	    "--domain", "Good.Test" };
	char *a2[] = { "tlsrpt", "--date", "today" };
	char *a3[] = { "tlsrpt", "--date", "today", "--partial" };
	char *a4[] = { "tlsrpt", "--date", "2026-12-02" };
	char *a5[] = { "tlsrpt", "--bogus" };
	char *a6[] = { "tlsrpt", "--date" };
	char *a7[] = { "tlsrpt", "--partial" };
	char *a8[] = { "tlsrpt", "--domain", "a b" };
	char *a9[] = { "tlsrpt", "--help" };
	char *a10[] = { "tlsrpt", "--date", "2026-11-17" };
	char *a11[] = { "tlsrpt", "--date", "2026-11-16" };
	char *a12[] = { "tlsrpt", "--date", "2026-11-16", "--dry-run" };

	(void)state;
	assert_int_equal(cli_tlsrpt_args(6, a1, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_true(o.dry_run);
	assert_string_equal(o.date, "2026-11-30");
	assert_string_equal(o.domain, "good.test");
	assert_int_equal(cli_tlsrpt_args(3, a2, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(4, a3, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_string_equal(o.date, "2026-12-01");
	assert_int_equal(cli_tlsrpt_args(3, a4, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(2, a5, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(2, a6, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(2, a7, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(3, a8, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_int_equal(cli_tlsrpt_args(2, a9, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_HELP);
	assert_int_equal(cli_tlsrpt_args(1, a9, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_string_equal(o.date, "");
	/* older than the sent state is kept: a dry run only */
	assert_int_equal(cli_tlsrpt_args(3, a10, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_int_equal(cli_tlsrpt_args(3, a11, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_USAGE);
	assert_non_null(strstr(err, "more than 14 days ago"));
	assert_int_equal(cli_tlsrpt_args(4, a12, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
}

/* ---- the report ---- */

static const char sts_text[] = "version: STSv1\r\nmode: enforce\r\n"
    "mx: mx1.good.test\r\nmx: *.good.test\r\nmax_age: 86400\r\n";

static void
test_json(void **state)
{
	struct tlsrpt_day day;
	struct cli_tlsrpt_meta m;
	const struct jv *pol, *p, *fd;
	struct jv *r;
	struct buf out;
	char rid[128];
	int pretty;

	(void)state;
	fill(&day);
	assert_int_equal(cli_tlsrpt_report_id("2026-12-01", "good.test",
	    "mx.sender.test", rid, sizeof(rid)), 0);
	assert_string_equal(rid, "2026-12-01.good.test@mx.sender.test");
	assert_int_equal(cli_tlsrpt_report_id("2026-12-01", "good.test",
	    "mx.sender.test", rid, 10), -1);
	memset(&m, 0, sizeof(m));
	m.org = "mx.sender.test";
	m.contact = "postmaster@mx.sender.test";
	m.report_id = rid;
	assert_true(tlsrpt_date("2026-12-01", &m.start, &m.end));
	m.sts_text = sts_text;
	m.sts_len = sizeof(sts_text) - 1;
	for (pretty = 0; pretty <= 1; pretty++) {
		buf_init(&out, 1024 * 1024);
		assert_int_equal(cli_tlsrpt_json(&day, "good.test", &m, pretty,
		    &out), 1);
		r = jparse(out.data, out.len);
		pol = schema_check(r);
		assert_string_equal(jget(jget(r, "date-range"),
		    "start-datetime")->s, "2026-12-01T00:00:00Z");
		assert_string_equal(jget(jget(r, "date-range"),
		    "end-datetime")->s, "2026-12-01T23:59:59Z");
		p = pol->v[0];
		assert_string_equal(jget(jget(p, "policy"), "policy-type")->s,
		    "sts");
		assert_int_equal(jget(jget(p, "policy"), "policy-string")->n,
		    5);
		assert_string_equal(jget(jget(p, "policy"),
		    "policy-string")->v[1]->s, "mode: enforce");
		assert_int_equal(jget(jget(p, "policy"), "mx-host")->n, 2);
		assert_string_equal(jget(jget(p, "policy"),
		    "mx-host")->v[1]->s, "*.good.test");
		assert_string_equal(jget(jget(p, "summary"),
		    "total-successful-session-count")->s, "2");
		assert_string_equal(jget(jget(p, "summary"),
		    "total-failure-session-count")->s, "1");
		fd = jget(p, "failure-details");
		assert_int_equal(fd->n, 1);
		assert_string_equal(jget(fd->v[0], "result-type")->s,
		    "certificate-host-mismatch");
		assert_string_equal(jget(fd->v[0], "receiving-ip")->s,
		    "127.25.1.2");
		jfree(r);
		buf_free(&out);
	}
	/* TLSA: no policy-string, the host as mx-host */
	buf_init(&out, 1024 * 1024);
	m.sts_text = NULL;
	assert_int_equal(cli_tlsrpt_json(&day, "dane.test", &m, 0, &out), 1);
	r = jparse(out.data, out.len);
	pol = schema_check(r);
	p = pol->v[0];
	assert_null(jget(jget(p, "policy"), "policy-string"));
	assert_string_equal(jget(jget(p, "policy"), "mx-host")->v[0]->s,
	    "mx.dane.test");
	assert_int_equal(jget(p, "failure-details")->n, 2);
	assert_null(jget(jget(p, "failure-details")->v[1], "receiving-ip"));
	jfree(r);
	buf_free(&out);
	/* an unknown domain: nothing */
	buf_init(&out, 1024);
	assert_int_equal(cli_tlsrpt_json(&day, "other.test", &m, 0, &out), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	/* a buffer too small fails */
	buf_init(&out, 200);
	assert_int_equal(cli_tlsrpt_json(&day, "dane.test", &m, 1, &out), -1);
	buf_free(&out);
	tlsrpt_day_free(&day);
}

static void
test_mime(void **state)
{
	struct cli_tlsrpt_mail m;
	struct buf out;
	const uint8_t gz[5] = { 0x1f, 0x8b, 0x08, 0x00, 0xff };

	(void)state;
	memset(&m, 0, sizeof(m));
	m.host = "mx.sender.test";
	m.domain = "good.test";
	m.to = "tlsrpt@good.test";
	m.report_id = "2026-12-01.good.test@mx.sender.test";
	m.date_hdr = "Tue, 01 Dec 2026 00:15:00 +0000";
	assert_true(tlsrpt_date("2026-12-01", &m.start, &m.end));
	m.gz = gz;
	m.gzlen = sizeof(gz);
	m.boundary = "tlsrpt-b";
	buf_init(&out, 64 * 1024);
	assert_int_equal(cli_tlsrpt_mime(&m, &out), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	assert_non_null(strstr(out.data, "\r\nSubject: Report Domain: "
	    "good.test Submitter: mx.sender.test Report-ID: "
	    "<2026-12-01.good.test@mx.sender.test>\r\n"));
	assert_non_null(strstr(out.data, "\r\nTLS-Report-Domain: good.test"
	    "\r\n"));
	assert_non_null(strstr(out.data, "\r\nTLS-Report-Submitter: "
	    "mx.sender.test\r\n"));
	assert_non_null(strstr(out.data, "Content-Type: multipart/report; "
	    "report-type=\"tlsrpt\";"));
	assert_non_null(strstr(out.data, "Content-Type: "
	    "application/tlsrpt+gzip\r\n"));
	assert_non_null(strstr(out.data, "filename=\"mx.sender.test!"
	    "good.test!1796083200!1796169599.json.gz\""));
	assert_non_null(strstr(out.data, "\r\n\r\nH4sIAP8=\r\n"));
	assert_non_null(strstr(out.data, "\r\n--tlsrpt-b--\r\n"));
	assert_null(strstr(out.data, "\n\n"));		/* CRLF only */
	buf_free(&out);
}

/* ---- G1: what a session counts under (tlsrpt_classify, §8) ---- */

static const struct {
	const char	*src, *base, *failure;
	int		 own, testing, unusable, report;
	int		 want;		/* 0 not counted, else the type */
	const char	*wdomain, *wresult;
	const char	*policy;	/* NULL: not given */
} g1_classify_tab[] = {
	/* a relay, a report's own delivery, the message's own rules */
	{ "dane", "mx.r.test", "", 0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "dane", "mx.r.test", "", 1, 0, 0, 1, 0, NULL, NULL, NULL },
	{ "floor", "", "", 1, 0, 0, 1, 0, NULL, NULL, NULL },
	{ "mta-sts", "", "validation-failure", 1, 0, 0, 1, 0, NULL, NULL, NULL },
	{ "tls-required-no", "", "", 1, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "tls-required-no", "", "starttls-not-supported", 1, 0, 0, 0, 0,
	    NULL, NULL, NULL },
	{ "requiretls", "", "", 1, 0, 0, 0, 0, NULL, NULL, NULL },
	/* DANE: the TLSA base domain, else the MX host */
	{ "dane", "base.r.test", "", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "base.r.test", "", NULL },
	{ "dane", "", "tlsa-invalid", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "mx.r.test", "tlsa-invalid", NULL },
	/* only unusable records: delivered under encrypt, tlsa-invalid */
	{ "dane", "", "", 1, 0, 1, 0, TLSRPT_T_TLSA, "mx.r.test",
	    "tlsa-invalid", NULL },
	{ "dane", "", "starttls-not-supported", 1, 0, 1, 0, TLSRPT_T_TLSA,
	    "mx.r.test", "starttls-not-supported", NULL },
	/* a TLSA lookup that failed is DANE's, whatever the source */
	{ "floor", "", "dnssec-invalid", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "mx.r.test", "dnssec-invalid", NULL },
	{ "table", "", "dnssec-invalid", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "mx.r.test", "dnssec-invalid", NULL },
	/* MTA-STS, enforce or testing: the recipient domain */
	{ "mta-sts", "", "", 1, 0, 0, 0, TLSRPT_T_STS, "r.test", "", NULL },
	{ "mta-sts", "", "validation-failure", 1, 0, 0, 0, TLSRPT_T_STS,
	    "r.test", "validation-failure", NULL },
	{ "floor", "", "certificate-expired", 1, 1, 0, 0, TLSRPT_T_STS,
	    "r.test", "certificate-expired", NULL },
	/* none of the domain's */
	{ "floor", "", "", 1, 0, 0, 0, TLSRPT_T_NONE, "r.test", "", NULL },
	{ "memory", "", "dane-required", 1, 0, 0, 0, TLSRPT_T_NONE,
	    "r.test", "dane-required", NULL },
	/* the downgrade memory: the policy it raised the host to */
	{ "memory", "", "dane-required", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "mx.r.test", "dane-required", "dane" },
	{ "memory", "base.r.test", "", 1, 0, 0, 0, TLSRPT_T_TLSA,
	    "base.r.test", "", "dane" },
	{ "memory", "", "certificate-host-mismatch", 1, 0, 0, 0,
	    TLSRPT_T_STS, "r.test", "certificate-host-mismatch", "mta-sts" },
	{ "memory", "", "", 1, 0, 0, 0, TLSRPT_T_NONE, "r.test", "",
	    "encrypt" },
	/* the word of a source other than the memory is not looked at */
	{ "table", "", "", 1, 0, 0, 0, TLSRPT_T_NONE, "r.test", "",
	    "mta-sts" },
	{ "table", "", "starttls-not-supported", 1, 0, 0, 0, TLSRPT_T_NONE,
	    "r.test", "starttls-not-supported", NULL },
};

static void
test_g1_classify(void **state)
{
	struct tlsrpt_sess in;
	struct tlsrpt_count c;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(g1_classify_tab) / sizeof(g1_classify_tab[0]);
	    i++) {
		memset(&in, 0, sizeof(in));
		in.domain = "r.test";
		in.mx = "mx.r.test";
		in.tlsa_base = g1_classify_tab[i].base;
		in.policy_src = g1_classify_tab[i].src;
		in.failure = g1_classify_tab[i].failure;
		in.own_mx = g1_classify_tab[i].own;
		in.sts_testing = g1_classify_tab[i].testing;
		in.dane_unusable = g1_classify_tab[i].unusable;
		in.report_mail = g1_classify_tab[i].report;
		in.policy = g1_classify_tab[i].policy;
		r = tlsrpt_classify(&in, &c);
		if (g1_classify_tab[i].want == 0) {
			if (r != 0)
				fail_msg("row %zu: counted", i);
			continue;
		}
		if (r != 1 || c.type != g1_classify_tab[i].want ||
		    strcmp(c.domain, g1_classify_tab[i].wdomain) != 0 ||
		    strcmp(c.result, g1_classify_tab[i].wresult) != 0)
			fail_msg("row %zu: %d type %d domain %s result %s", i,
			    r, c.type, r ? c.domain : "-",
			    r ? c.result : "-");
	}
}

/* A refused host: once per domain, host and type a minute. */
static void
test_g1_seen(void **state)
{
	struct tlsrpt_seen *seen;

	(void)state;
	assert_non_null(seen = calloc(1, sizeof(*seen)));
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dnssec-invalid", 1000), 1);
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dnssec-invalid", 1000), 0);
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dnssec-invalid", 1000 + TLSRPT_SEEN_SECS - 1), 0);
	/* another domain, host or type is another refusal */
	assert_int_equal(tlsrpt_seen_first(seen, "b.test", "mx.a.test",
	    "dnssec-invalid", 1001), 1);
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx2.a.test",
	    "dnssec-invalid", 1001), 1);
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dane-required", 1001), 1);
	/* the next attempt after the backoff counts again */
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dnssec-invalid", 1000 + TLSRPT_SEEN_SECS), 1);
	/* a clock set back counts anew */
	assert_int_equal(tlsrpt_seen_first(seen, "a.test", "mx.a.test",
	    "dnssec-invalid", 10), 1);
	free(seen);
}

/* Result types: RFC 8460 §4.3.2's list only. */
static void
test_g1_results(void **state)
{
	static const char *const bad[] = {
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 1 0\n"
		    "d bogus-type mx.t - 1\nend 1\n",
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 1 0\n"
		    "d tlsa-invalid2 mx.t - 1\nend 1\n",
		NULL
	};
	struct tlsrpt_day day;
	char err[128];
	size_t i;

	(void)state;
	assert_true(tlsrpt_result_known("sts-webpki-invalid", 18));
	assert_true(tlsrpt_result_known("starttls-not-supported", 22));
	assert_false(tlsrpt_result_known("starttls-not-supporte", 21));
	assert_false(tlsrpt_result_known("", 0));
	tlsrpt_day_init(&day, "2026-12-01");
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx.t",
	    "", "bogus-type"), -1);
	assert_int_equal(day.n, 0);
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx.t",
	    "", "sts-policy-fetch-error"), 0);
	tlsrpt_day_free(&day);
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(tlsrpt_parse(bad[i], strlen(bad[i]), &day,
		    err, sizeof(err)), -1);
		tlsrpt_day_free(&day);
	}
}

/* The detail counts and other add up to the failures, or no file. */
static void
test_g1_sums(void **state)
{
	static const char *const bad[] = {
		/* a failure without its row */
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 2 0\n"
		    "d tlsa-invalid mx.t - 1\nend 1\n",
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 1 0\nend 1\n",
		/* the first policy's sum, checked at the second */
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 3 1\n"
		    "d tlsa-invalid mx.t - 1\np b.test sts - 1 0 0\nend 2\n",
		/* rows that add up to more (each below fail) */
		"sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 2 0\n"
		    "d tlsa-invalid mx.t - 2\nd dnssec-invalid mx.t - 1\n"
		    "end 1\n",
		NULL
	};
	static const char good[] =
	    "sealpost-tlsrpt 1 2026-12-01\np a.test sts - 0 4 1\n"
	    "d tlsa-invalid mx.t - 2\nd dnssec-invalid mx.t - 1\n"
	    "p b.test sts - 1 0 0\nend 2\n";
	struct tlsrpt_day day;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		if (tlsrpt_parse(bad[i], strlen(bad[i]), &day, err,
		    sizeof(err)) != -1)
			fail_msg("bad sum %zu accepted", i);
		tlsrpt_day_free(&day);
	}
	assert_int_equal(tlsrpt_parse(good, sizeof(good) - 1, &day, err,
	    sizeof(err)), 0);
	/* a count at the top stays there, and the sum holds */
	day.p[0].fail = TLSRPT_COUNT_MAX;
	day.p[0].other = TLSRPT_COUNT_MAX - 3;
	assert_int_equal(tlsrpt_add(&day, "a.test", TLSRPT_T_STS, "mx.t", "",
	    "tlsa-invalid"), 0);
	assert_true(day.p[0].fail == TLSRPT_COUNT_MAX);
	assert_true(day.p[0].d[0].count == 2);
	tlsrpt_day_free(&day);
}

/* The worst day stays under TLSRPT_FILE_MAX and reads back. */
static void
test_g1_file_cap(void **state)
{
	struct tlsrpt_day day, back;
	char dom[TLSRPT_NAME_MAX], mx[TLSRPT_NAME_MAX], *text, err[128];
	char ip[TLSRPT_IP_MAX];
	size_t len, i, dropped_rows = 0;
	uint64_t other = 0;
	int p, d, r;

	(void)state;
	tlsrpt_day_init(&day, "2026-12-01");
	for (p = 0; p < TLSRPT_POLICIES_MAX + 5; p++) {
		/* 253-octet names, the longest the file allows */
		memset(dom, 'd', 253);
		memset(mx, 'm', 253);
		(void)snprintf(dom, 12, "%010d.", p);
		dom[11] = 'x';
		dom[253] = mx[253] = '\0';
		/* one policy per MX host (tlsa), a row per address */
		for (d = 0; d < TLSRPT_DETAILS_MAX + 2; d++) {
			(void)snprintf(ip, sizeof(ip),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:%04x", d);
			r = tlsrpt_add(&day, dom, TLSRPT_T_TLSA, mx, ip,
			    "certificate-host-mismatch");
			assert_true(r == 0 || r == 1);
			if (r == 1)
				dropped_rows++;
		}
	}
	assert_true(day.bytes <= TLSRPT_FILE_MAX);
	assert_true(day.dropped > 0 && day.dropped == dropped_rows);
	for (i = 0; i < day.n; i++)
		other += day.p[i].other;
	assert_true(other > 0);
	assert_int_equal(tlsrpt_format(&day, &text, &len), 0);
	assert_true(len <= TLSRPT_FILE_MAX && len <= day.bytes);
	assert_int_equal(tlsrpt_parse(text, len, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, day.n);
	assert_true(back.bytes == day.bytes);
	/* read back, the day still refuses what would not fit */
	assert_int_equal(tlsrpt_add(&back, "another.test", TLSRPT_T_TLSA,
	    mx, "", "certificate-host-mismatch"), 1);
	free(text);
	tlsrpt_day_free(&day);
	tlsrpt_day_free(&back);
}

/* ---- G2 (the sending side): --partial, the mail, rua addresses ---- */

static void
test_g2_args(void **state)
{
	struct cli_tlsrpt_opts o;
	char err[160];
	char *a1[] = { "tlsrpt", "--date", "today", "--partial" };
	char *a2[] = { "tlsrpt", "--dns" };

	(void)state;
	/* --partial implies --dry-run: never sent, never recorded */
	assert_int_equal(cli_tlsrpt_args(4, a1, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_true(o.partial);
	assert_true(o.dry_run);
	assert_int_equal(cli_tlsrpt_args(2, a2, "2026-12-01", &o, err,
	    sizeof(err)), CLI_TLSRPT_RUN);
	assert_true(o.dns);
	assert_false(o.dry_run);
	assert_false(o.verbose);
}

/* -v / --verbose: what is not reported is listed too. */
static void
test_g4_verbose(void **state)
{
	static const struct {
		int		 argc;
		char		*argv[4];
		int		 want;		/* enum cli_tlsrpt_cmd */
		int		 verbose;
	} t[] = {
		{ 2, { "tlsrpt", "-v" }, CLI_TLSRPT_RUN, 1 },
		{ 2, { "tlsrpt", "--verbose" }, CLI_TLSRPT_RUN, 1 },
		{ 3, { "tlsrpt", "--dry-run", "-v" }, CLI_TLSRPT_RUN, 1 },
		{ 1, { "tlsrpt" }, CLI_TLSRPT_RUN, 0 },
		{ 2, { "tlsrpt", "-vv" }, CLI_TLSRPT_USAGE, 0 },
		{ 2, { "tlsrpt", "--verbos" }, CLI_TLSRPT_USAGE, 0 },
	};
	struct cli_tlsrpt_opts o;
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(cli_tlsrpt_args(t[i].argc,
		    (char **)(uintptr_t)t[i].argv, "2026-12-01", &o, err,
		    sizeof(err)), t[i].want);
		if (t[i].want == CLI_TLSRPT_RUN)
			assert_int_equal(o.verbose, t[i].verbose);
	}
}

/*
 * What a run does again (doc/design.md §8): a report skipped for want
 * of a DKIM key is not final (it was, and adding the key later never
 * sent those days); sent and no-record are.
 */
static void
test_g4_due(void **state)
{
	static const struct {
		const char	*text;		/* sent-DATE */
		int		 due;
	} t[] = {
		{ "d.test sent\n", 0 },
		{ "d.test no-record\n", 0 },
		{ "d.test failed\n", 1 },
		{ "d.test skipped\n", 1 },
		{ "d.test skipped\nd.test to https://r.d.test/x\n", 1 },
		{ "d.test to mailto:r@d.test\n", 1 },	/* new: cut short */
		{ "", 1 },				/* never tried */
		{ "other.test sent\n", 1 },
	};
	struct cli_tlsrpt_sent s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(cli_tlsrpt_sent_parse(t[i].text,
		    strlen(t[i].text), &s), 0);
		assert_int_equal(cli_tlsrpt_ent_due(cli_tlsrpt_sent_find(&s,
		    "d.test")), t[i].due);
		cli_tlsrpt_sent_free(&s);
	}
}

/*
 * A full list of rua reached makes room for a new rua of the record by
 * dropping the URIs the record no longer has (the new rua was recorded
 * as failed and sent again by every run); those still in the record
 * are kept, and a list with room is left alone.
 */
static void
test_g4_room(void **state)
{
	struct cli_tlsrpt_sent s;
	struct cli_tlsrpt_ent *e;
	struct tlsrpt_record rec;
	char text[4096];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < TLSRPT_RUA_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "m.test to mailto:old%zu@m.test\n", i);
	assert_int_equal(cli_tlsrpt_sent_parse(text, n, &s), 0);
	assert_non_null(e = cli_tlsrpt_sent_find(&s, "m.test"));
	assert_int_equal(e->nto, TLSRPT_RUA_MAX);
	memset(&rec, 0, sizeof(rec));
	(void)strlcpy(rec.rua[rec.nrua++], "mailto:old3@m.test",
	    TLSRPT_URI_MAX);
	(void)strlcpy(rec.rua[rec.nrua++], "https://new.m.test/r",
	    TLSRPT_URI_MAX);
	(void)strlcpy(rec.rua[rec.nrua++], "mailto:old5@m.test",
	    TLSRPT_URI_MAX);
	/* without room, the new rua could not be recorded */
	assert_int_equal(cli_tlsrpt_ent_add(e, rec.rua[1]), -1);
	assert_int_equal(cli_tlsrpt_ent_room(e, &rec), TLSRPT_RUA_MAX - 2);
	assert_int_equal(e->nto, 2);
	assert_true(cli_tlsrpt_ent_has(e, "mailto:old3@m.test"));
	assert_true(cli_tlsrpt_ent_has(e, "mailto:old5@m.test"));
	assert_false(cli_tlsrpt_ent_has(e, "mailto:old0@m.test"));
	assert_false(cli_tlsrpt_ent_has(e, "mailto:old7@m.test"));
	assert_int_equal(cli_tlsrpt_ent_add(e, rec.rua[1]), 0);
	assert_true(cli_tlsrpt_ent_has(e, "https://new.m.test/r"));
	assert_int_equal(e->nto, 3);
	/* room left: nothing dropped, even what the record lacks */
	memset(&rec, 0, sizeof(rec));
	(void)strlcpy(rec.rua[rec.nrua++], "mailto:x@m.test", TLSRPT_URI_MAX);
	assert_int_equal(cli_tlsrpt_ent_room(e, &rec), TLSRPT_RUA_MAX - 3);
	assert_int_equal(e->nto, 3);
	cli_tlsrpt_sent_free(&s);
}

/*
 * A failed POST names an address the socket callback refused only when
 * the transfer failed to connect: a timeout or a TLS error after one
 * refused address is said as itself.
 */
static void
test_g4_post_why(void **state)
{
	static const struct {
		int		 couldnt;
		const char	*refused, *err, *want;
	} t[] = {
		{ 1, "127.0.0.1", "Couldn't connect to server",
		  "Couldn't connect to server (a connection to 127.0.0.1 "
		  "refused: not a public address)" },
		{ 0, "127.0.0.1", "Timeout was reached",
		  "Timeout was reached" },
		{ 0, "::1", "SSL peer certificate or SSH remote key was not "
		  "OK", "SSL peer certificate or SSH remote key was not OK" },
		{ 1, "", "Couldn't connect to server",
		  "Couldn't connect to server" },
	};
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cli_tlsrpt_post_why(t[i].couldnt, t[i].refused, t[i].err, why,
		    sizeof(why));
		assert_string_equal(why, t[i].want);
	}
}

static void
test_g2_mime(void **state)
{
	struct cli_tlsrpt_mail m;
	struct buf out;
	const uint8_t gz[3] = { 0x1f, 0x8b, 0x08 };

	(void)state;
	memset(&m, 0, sizeof(m));
	m.host = "mx.sender.test";
	m.domain = "good.test";
	m.to = "tlsrpt@good.test";
	m.report_id = "2026-12-01.good.test@mx.sender.test";
	m.date_hdr = "Tue, 01 Dec 2026 00:15:00 +0000";
	assert_true(tlsrpt_date("2026-12-01", &m.start, &m.end));
	m.gz = gz;
	m.gzlen = sizeof(gz);
	m.boundary = "tlsrpt-b";
	buf_init(&out, 64 * 1024);
	assert_int_equal(cli_tlsrpt_mime(&m, &out), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	/* RFC 8460 §3: delivered despite TLS failures (RFC 8689 §5) */
	assert_non_null(strstr(out.data, "\r\nTLS-Required: No\r\n"));
	/* the display name quoted (RFC 5322 §3.2.5: no obsolete phrase) */
	assert_true(strncmp(out.data, "From: \"TLS reporting of "
	    "mx.sender.test\" <postmaster@mx.sender.test>\r\n", 67) == 0);
	buf_free(&out);
}

/*
 * The addresses an https rua may reach (doc/design.md §8): every range
 * refused, each on both sides of its boundaries.
 */
static void
test_g2_addr(void **state)
{
	static const struct {
		int		 af;
		const char	*a;
		int		 ok;
	} t[] = {
		/* 0/8 this network */
		{ AF_INET, "0.0.0.0", 0 }, { AF_INET, "0.255.255.255", 0 },
		{ AF_INET, "1.0.0.0", 1 },
		/* 10/8 */
		{ AF_INET, "9.255.255.255", 1 }, { AF_INET, "10.0.0.0", 0 },
		{ AF_INET, "10.255.255.255", 0 }, { AF_INET, "11.0.0.0", 1 },
		/* 100.64/10 */
		{ AF_INET, "100.63.255.255", 1 }, { AF_INET, "100.64.0.0", 0 },
		{ AF_INET, "100.127.255.255", 0 },
		{ AF_INET, "100.128.0.0", 1 },
		/* 127/8 */
		{ AF_INET, "126.255.255.255", 1 }, { AF_INET, "127.0.0.0", 0 },
		{ AF_INET, "127.0.0.1", 0 }, { AF_INET, "127.255.255.255", 0 },
		{ AF_INET, "128.0.0.0", 1 },
		/* 169.254/16 */
		{ AF_INET, "169.253.255.255", 1 },
		{ AF_INET, "169.254.0.0", 0 },
		{ AF_INET, "169.254.169.254", 0 },
		{ AF_INET, "169.254.255.255", 0 },
		{ AF_INET, "169.255.0.0", 1 },
		/* 172.16/12 */
		{ AF_INET, "172.15.255.255", 1 }, { AF_INET, "172.16.0.0", 0 },
		{ AF_INET, "172.31.255.255", 0 }, { AF_INET, "172.32.0.0", 1 },
		/* 192.0.0/24 IETF protocol assignments */
		{ AF_INET, "191.255.255.255", 1 }, { AF_INET, "192.0.0.0", 0 },
		{ AF_INET, "192.0.0.255", 0 }, { AF_INET, "192.0.1.0", 1 },
		/* 192.0.2/24 TEST-NET-1 */
		{ AF_INET, "192.0.1.255", 1 }, { AF_INET, "192.0.2.0", 0 },
		{ AF_INET, "192.0.2.255", 0 }, { AF_INET, "192.0.3.0", 1 },
		/* 192.168/16 */
		{ AF_INET, "192.167.255.255", 1 },
		{ AF_INET, "192.168.0.0", 0 },
		{ AF_INET, "192.168.255.255", 0 },
		{ AF_INET, "192.169.0.0", 1 },
		/* 198.18/15 benchmarking */
		{ AF_INET, "198.17.255.255", 1 }, { AF_INET, "198.18.0.0", 0 },
		{ AF_INET, "198.19.255.255", 0 }, { AF_INET, "198.20.0.0", 1 },
		/* 198.51.100/24 TEST-NET-2 */
		{ AF_INET, "198.51.99.255", 1 }, { AF_INET, "198.51.100.0", 0 },
		{ AF_INET, "198.51.100.255", 0 },
		{ AF_INET, "198.51.101.0", 1 },
		/* 203.0.113/24 TEST-NET-3 */
		{ AF_INET, "203.0.112.255", 1 }, { AF_INET, "203.0.113.0", 0 },
		{ AF_INET, "203.0.113.255", 0 }, { AF_INET, "203.0.114.0", 1 },
		/* 224/4 multicast, 240/4 reserved, broadcast */
		{ AF_INET, "223.255.255.255", 1 }, { AF_INET, "224.0.0.0", 0 },
		{ AF_INET, "239.255.255.255", 0 }, { AF_INET, "240.0.0.0", 0 },
		{ AF_INET, "255.255.255.255", 0 }, { AF_INET, "8.8.8.8", 1 },
		/* ::ffff:0:0/96 mapped: the IPv4 address */
		{ AF_INET6, "::ffff:8.8.8.8", 1 },
		{ AF_INET6, "::ffff:127.0.0.1", 0 },
		{ AF_INET6, "::ffff:10.0.0.1", 0 },
		{ AF_INET6, "::ffff:192.0.2.1", 0 },
		{ AF_INET6, "::fffe:808:808", 0 },
		{ AF_INET6, "::1:ffff:808:808", 0 },
		/* ::/8: unspecified, loopback, IPv4-compatible (refused) */
		{ AF_INET6, "::", 0 }, { AF_INET6, "::1", 0 },
		{ AF_INET6, "::2", 0 }, { AF_INET6, "::8.8.8.8", 0 },
		{ AF_INET6, "::127.0.0.1", 0 },
		/* 64:ff9b::/96 NAT64: the IPv4 address */
		{ AF_INET6, "64:ff9b::8.8.8.8", 1 },
		{ AF_INET6, "64:ff9b::1.0.0.0", 1 },
		{ AF_INET6, "64:ff9b::127.0.0.1", 0 },
		{ AF_INET6, "64:ff9b::10.0.0.1", 0 },
		{ AF_INET6, "64:ff9b::192.0.2.1", 0 },
		{ AF_INET6, "64:ff9b::1:808:808", 0 },
		{ AF_INET6, "64:ff9a:ffff:ffff:ffff:ffff:808:808", 0 },
		/* 64:ff9b:1::/48 local-use NAT64 */
		{ AF_INET6, "64:ff9b:1::808:808", 0 },
		{ AF_INET6, "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "64:ff9b:2::808:808", 0 },
		/* 100::/64 discard */
		{ AF_INET6, "100::", 0 },
		{ AF_INET6, "100::ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "100:0:0:1::", 0 },
		/* 2000::/3 global unicast only */
		{ AF_INET6, "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "2000::", 1 },
		{ AF_INET6, "2a00:1450:4001::1", 1 },
		{ AF_INET6, "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ AF_INET6, "4000::", 0 },
		/* 2001::/23 IETF (Teredo, benchmarking, ORCHID) */
		{ AF_INET6, "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ AF_INET6, "2001::", 0 }, { AF_INET6, "2001::1", 0 },
		{ AF_INET6, "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "2001:200::", 1 },
		/* 2001:db8::/32 documentation */
		{ AF_INET6, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ AF_INET6, "2001:db8::", 0 }, { AF_INET6, "2001:db8::1", 0 },
		{ AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "2001:db9::", 1 },
		/* 2002::/16 6to4: the IPv4 address in bits 16..47 */
		{ AF_INET6, "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ AF_INET6, "2002:808:808::1", 1 },
		{ AF_INET6, "2002:7f00:1::1", 0 },
		{ AF_INET6, "2002:a00:1::1", 0 },
		{ AF_INET6, "2002:c000:201::1", 0 },
		{ AF_INET6, "2002:ffff:ffff::1", 0 },
		{ AF_INET6, "2003::", 1 },
		/* 3fff::/20 documentation */
		{ AF_INET6, "3ffe:ffff::1", 1 }, { AF_INET6, "3fff::", 0 },
		{ AF_INET6, "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "3fff:1000::", 1 },
		/* outside 2000::/3: ULA, link-local, site-local, multicast */
		{ AF_INET6, "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ AF_INET6, "fc00::", 0 }, { AF_INET6, "fd12:3456::1", 0 },
		{ AF_INET6, "fe80::1", 0 }, { AF_INET6, "febf::1", 0 },
		{ AF_INET6, "fec0::1", 0 }, { AF_INET6, "ff00::", 0 },
		{ AF_INET6, "ff02::1", 0 },
	};
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	struct sockaddr sa;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].af == AF_INET) {
			memset(&s4, 0, sizeof(s4));
			s4.sin_family = AF_INET;
			assert_int_equal(inet_pton(AF_INET, t[i].a,
			    &s4.sin_addr), 1);
			if (cli_tlsrpt_addr_public((struct sockaddr *)&s4) !=
			    t[i].ok)
				fail_msg("%s: want %d", t[i].a, t[i].ok);
		} else {
			memset(&s6, 0, sizeof(s6));
			s6.sin6_family = AF_INET6;
			assert_int_equal(inet_pton(AF_INET6, t[i].a,
			    &s6.sin6_addr), 1);
			if (cli_tlsrpt_addr_public((struct sockaddr *)&s6) !=
			    t[i].ok)
				fail_msg("%s: want %d", t[i].a, t[i].ok);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	assert_int_equal(cli_tlsrpt_addr_public(&sa), 0);
}

/*
 * The host of an https rua, checked before any lookup (doc/design.md
 * §8): ASCII names and public literals only; an IDN in UTF-8, which
 * libcurl would turn into another name than the one checked, refused.
 */
static void
test_g2_https_host(void **state)
{
	static const struct {
		const char	*url;
		int		 kind;		/* -1 refused */
		const char	*host;
		int		 port;
		const char	*why;		/* in the refusal */
	} t[] = {
		{ "https://reports.example.org/tlsrpt", CLI_TLSRPT_HOST_NAME,
		    "reports.example.org", 443, NULL },
		{ "HTTPS://Reports.Example.ORG", CLI_TLSRPT_HOST_NAME,
		    "Reports.Example.ORG", 443, NULL },
		{ "https://xn--bcher-kva.example:8443/r?x=1#f",
		    CLI_TLSRPT_HOST_NAME, "xn--bcher-kva.example", 8443, NULL },
		{ "https://a-b.c1.example/", CLI_TLSRPT_HOST_NAME,
		    "a-b.c1.example", 443, NULL },
		{ "https://r.example:65535/", CLI_TLSRPT_HOST_NAME,
		    "r.example", 65535, NULL },
		{ "https://r.example?q", CLI_TLSRPT_HOST_NAME, "r.example", 443,
		    NULL },
		{ "https://8.8.8.8/r", CLI_TLSRPT_HOST_ADDR, "8.8.8.8", 443,
		    NULL },
		{ "https://[2a00:1450:4001::1]:444/r", CLI_TLSRPT_HOST_ADDR,
		    "2a00:1450:4001::1", 444, NULL },
		/* an IDN in UTF-8: curl would look up its punycode */
		{ "https://\xc3\xbc.example/", -1, NULL, 0, "A-label" },
		{ "https://r\xc3\xa9ports.example/", -1, NULL, 0, "ASCII" },
		{ "https://r.example/\xc3\xbc", -1, NULL, 0, "ASCII" },
		/* no controls, no spaces */
		{ "https://r.example/a\nb", -1, NULL, 0, "ASCII" },
		{ "https://r.example/a b", -1, NULL, 0, "ASCII" },
		{ "https://r.ex\tample/", -1, NULL, 0, "ASCII" },
		/* literals that are not public */
		{ "https://127.0.0.1/", -1, NULL, 0, "loopback" },
		{ "https://10.1.2.3:8443/", -1, NULL, 0, "private" },
		{ "https://192.0.2.1/", -1, NULL, 0, "reserved" },
		{ "https://[::1]/", -1, NULL, 0, "loopback" },
		{ "https://[::ffff:127.0.0.1]/", -1, NULL, 0, "loopback" },
		{ "https://[fe80::1%25eth0]/", -1, NULL, 0, "IPv6" },
		{ "https://[2001:db8::1]/", -1, NULL, 0, "reserved" },
		{ "https://[::1/", -1, NULL, 0, "']'" },
		{ "https://[]/", -1, NULL, 0, "no host" },
		{ "https://[r.example]/", -1, NULL, 0, "IPv6" },
		/* numbers a resolver reads as addresses */
		{ "https://127.1/", -1, NULL, 0, "letter" },
		{ "https://0x7f000001/", -1, NULL, 0, "fully qualified" },
		{ "https://2130706433/", -1, NULL, 0, "fully qualified" },
		{ "https://1.2.3.04/", -1, NULL, 0, "letter" },
		{ "https://r.0x7f/", -1, NULL, 0, "letter" },
		{ "https://r.example.123/", -1, NULL, 0, "letter" },
		/* one label: no name of the Internet */
		{ "https://localhost/", -1, NULL, 0, "fully qualified" },
		{ "https://intranet:443/", -1, NULL, 0, "fully qualified" },
		/* not LDH: userinfo, escapes, underscores, empty labels */
		{ "https://user@r.example/", -1, NULL, 0, "user@" },
		{ "https://u.example:pw@r.example/", -1, NULL, 0, "port" },
		{ "https://r%2eexample/", -1, NULL, 0, "%-escapes" },
		{ "https://r_x.example/", -1, NULL, 0, "ASCII letters" },
		{ "https://r.example\\@evil.example/", -1, NULL, 0,
		    "ASCII letters" },
		{ "https://r..example/", -1, NULL, 0, "empty" },
		{ "https://.r.example/", -1, NULL, 0, "empty" },
		{ "https://r.example./", -1, NULL, 0, "empty" },
		{ "https://-r.example/", -1, NULL, 0, "'-'" },
		{ "https://r-.example/", -1, NULL, 0, "'-'" },
		{ "https://r.example-/", -1, NULL, 0, "'-'" },
		/* 64 octets in a label; 63 pass */
		{ "https://" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ".example/", -1, NULL, 0,
		    "63" },
		{ "https://" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ".example/",
		    CLI_TLSRPT_HOST_NAME, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ".example", 443, NULL },
		/* ports */
		{ "https://r.example:/", -1, NULL, 0, "port" },
		{ "https://r.example:0/", -1, NULL, 0, "port" },
		{ "https://r.example:65536/", -1, NULL, 0, "port" },
		{ "https://r.example:123456/", -1, NULL, 0, "port" },
		{ "https://r.example:44x/", -1, NULL, 0, "junk" },
		{ "https://[2a00:1450:4001::1]x/", -1, NULL, 0, "junk" },
		/* not https */
		{ "http://r.example/", -1, NULL, 0, "https" },
		{ "mailto:r@r.example", -1, NULL, 0, "https" },
		{ "https://", -1, NULL, 0, "no host" },
		{ "https:///r", -1, NULL, 0, "no host" },
	};
	char host[TLSRPT_NAME_MAX], why[256], big[600];
	size_t i;
	int port, r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		r = cli_tlsrpt_https_host(t[i].url, host, sizeof(host), &port,
		    why, sizeof(why));
		if (r != t[i].kind)
			fail_msg("%s: %d, want %d (%s)", t[i].url, r,
			    t[i].kind, why);
		if (r == -1) {
			if (strstr(why, t[i].why) == NULL ||
			    strstr(why, "refused") == NULL)
				fail_msg("%s: why \"%s\", want \"%s\"",
				    t[i].url, why, t[i].why);
			continue;
		}
		assert_string_equal(host, t[i].host);
		assert_int_equal(port, t[i].port);
	}
	/* a host longer than the buffer, or than a name may be */
	memcpy(big, "https://", 8);
	memset(big + 8, 'a', 300);
	for (i = 8 + 50; i < 8 + 300; i += 50)
		big[i] = '.';
	memcpy(big + 308, ".example/", 10);
	assert_int_equal(cli_tlsrpt_https_host(big, host, sizeof(host), &port,
	    why, sizeof(why)), -1);
	assert_non_null(strstr(why, "too long"));
	assert_int_equal(cli_tlsrpt_https_host("https://r.example/", host, 5,
	    &port, why, sizeof(why)), -1);
}

/*
 * The sent state's text (data_dir/tlsrpt/sent-DATE, `user`'s, read as
 * root): what it keeps, and malformed lines skipped, never fatal.
 */
static void
test_g2_sent(void **state)
{
	static const char good[] =
	    "a.test sent\n"
	    "a.test to mailto:r@a.test\n"
	    "a.test to https://r.a.test/x\n"
	    "a.test to mailto:r@a.test\n"		/* once only */
	    "b.test failed\n"
	    "c.test no-record\n"
	    "d.test skipped\n"
	    "e.test to mailto:r@e.test";		/* no final newline */
	struct cli_tlsrpt_sent s;
	struct cli_tlsrpt_ent *e;
	char big[TLSRPT_NAME_MAX + TLSRPT_URI_MAX + 64], *text;
	size_t i, n;

	(void)state;
	assert_int_equal(cli_tlsrpt_sent_parse(good, sizeof(good) - 1, &s), 0);
	assert_int_equal(s.n, 5);
	assert_non_null(e = cli_tlsrpt_sent_find(&s, "a.test"));
	assert_int_equal(e->state, CLI_TLSRPT_SENT);
	assert_int_equal(e->nto, 2);
	assert_true(cli_tlsrpt_ent_has(e, "https://r.a.test/x"));
	assert_false(cli_tlsrpt_ent_has(e, "mailto:x@a.test"));
	assert_int_equal(cli_tlsrpt_sent_find(&s, "b.test")->state,
	    CLI_TLSRPT_FAILED);
	assert_int_equal(cli_tlsrpt_sent_find(&s, "c.test")->state,
	    CLI_TLSRPT_NOREC);
	assert_int_equal(cli_tlsrpt_sent_find(&s, "d.test")->state,
	    CLI_TLSRPT_SKIPPED);
	assert_non_null(e = cli_tlsrpt_sent_find(&s, "e.test"));
	assert_int_equal(e->state, CLI_TLSRPT_NEW);
	assert_true(cli_tlsrpt_ent_has(e, "mailto:r@e.test"));
	assert_null(cli_tlsrpt_sent_find(&s, "f.test"));
	assert_false(cli_tlsrpt_ent_has(NULL, "mailto:r@e.test"));
	cli_tlsrpt_sent_free(&s);

	/* skipped: unknown or empty words, "new", no space, an empty
	   domain, an empty URI, a NUL inside, a line too long */
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 6, " sent", 5);
	big[sizeof(big) - 1] = '\n';
	n = 0;
	text = malloc(4096 + sizeof(big));
	assert_non_null(text);
#define T_ADD(str) do {							\
		memcpy(text + n, str, sizeof(str) - 1);			\
		n += sizeof(str) - 1;					\
	} while (0)
	T_ADD("x.test done\n");
	T_ADD("x.test new\n");
	T_ADD("x.test\n");
	T_ADD(" sent\n");
	T_ADD("x.test \n");
	T_ADD("x.test to \n");
	T_ADD("x.test Sent\n");
	T_ADD("x.test sent \n");
	T_ADD("\n\n");
	T_ADD("y.t\0st sent\n");
	T_ADD("z.test sent\0\n");
#undef T_ADD
	memcpy(text + n, big, sizeof(big));
	n += sizeof(big);
	assert_int_equal(cli_tlsrpt_sent_parse(text, n, &s), 0);
	assert_int_equal(s.n, 0);
	cli_tlsrpt_sent_free(&s);

	/* more URIs than TLSRPT_RUA_MAX for a domain: the rest skipped */
	n = 0;
	for (i = 0; i < TLSRPT_RUA_MAX + 3; i++)
		n += (size_t)snprintf(text + n, 4096 - n,
		    "m.test to mailto:r%zu@m.test\n", i);
	n += (size_t)snprintf(text + n, 4096 - n, "m.test sent\n");
	assert_int_equal(cli_tlsrpt_sent_parse(text, n, &s), 0);
	assert_non_null(e = cli_tlsrpt_sent_find(&s, "m.test"));
	assert_int_equal(e->nto, TLSRPT_RUA_MAX);
	assert_int_equal(e->state, CLI_TLSRPT_SENT);
	assert_int_equal(cli_tlsrpt_ent_add(e, "mailto:r0@m.test"), 0);
	assert_int_equal(cli_tlsrpt_ent_add(e, "mailto:new@m.test"), -1);
	cli_tlsrpt_sent_free(&s);
	free(text);

	/* nothing at all */
	assert_int_equal(cli_tlsrpt_sent_parse("", 0, &s), 0);
	assert_int_equal(s.n, 0);
	cli_tlsrpt_sent_free(&s);
}

/* A policy line longer than the old 2,048-octet buffer is reported. */
static void
test_g2_long_sts(void **state)
{
	struct tlsrpt_day day;
	struct cli_tlsrpt_meta m;
	struct buf out;
	char *text;
	size_t n = 5000;
	int r;

	(void)state;
	tlsrpt_day_init(&day, "2026-12-01");
	assert_int_equal(tlsrpt_add(&day, "good.test", TLSRPT_T_STS,
	    "mx1.good.test", "127.25.1.1", ""), 0);
	text = malloc(n + 16);
	assert_non_null(text);
	memcpy(text, "mx: ", 4);
	memset(text + 4, 'a', n - 4);
	memcpy(text + n, "\r\n", 2);
	memset(&m, 0, sizeof(m));
	m.org = "mx.sender.test";
	m.contact = "postmaster@mx.sender.test";
	m.report_id = "r";
	assert_true(tlsrpt_date("2026-12-01", &m.start, &m.end));
	m.sts_text = text;
	m.sts_len = n + 2;
	buf_init(&out, 1024 * 1024);
	r = cli_tlsrpt_json(&day, "good.test", &m, 0, &out);
	assert_int_equal(r, 1);
	assert_true(out.len > 2 * n);
	buf_free(&out);
	free(text);
	tlsrpt_day_free(&day);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_dayfile_roundtrip),
		cmocka_unit_test(test_dayfile_bad),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_mailto),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_mime),
		cmocka_unit_test(test_g2_args),
		cmocka_unit_test(test_g2_mime),
		cmocka_unit_test(test_g2_addr),
		cmocka_unit_test(test_g2_https_host),
		cmocka_unit_test(test_g2_sent),
		cmocka_unit_test(test_g2_long_sts),
		cmocka_unit_test(test_g4_verbose),
		cmocka_unit_test(test_g4_due),
		cmocka_unit_test(test_g4_room),
		cmocka_unit_test(test_g4_post_why),
		cmocka_unit_test(test_g1_classify),
		cmocka_unit_test(test_g1_seen),
		cmocka_unit_test(test_g1_results),
		cmocka_unit_test(test_g1_sums),
		cmocka_unit_test(test_g1_file_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
