/*
 * test_history.c: unit tests for mta/smtp/history.c, the attempt history
 * lines of queue/ID.hist (sealpost-envelope(5)): the exact text form,
 * round trips with awkward strings, the size bound, what history_format
 * refuses, every truncation refused, and a table of malformed lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/history.h"

#define TEST_HISTORY_WHY	256

static void
xstrlcpy(char *dst, const char *src, size_t size)
{
	assert_true(strlcpy(dst, src, size) < size);
}

/* A deferral with every field set, escapes included. */
static void
sample(struct history_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->time = 1700000600;
	r->attempt = 3;
	r->rcpt = 1;
	r->result = HISTORY_DEFERRED;
	r->code = 451;
	xstrlcpy(r->dsn, "4.7.5", sizeof(r->dsn));
	xstrlcpy(r->failure, "tlsa-invalid", sizeof(r->failure));
	xstrlcpy(r->mx, "mx1.example.net", sizeof(r->mx));
	xstrlcpy(r->ip, "2001:db8::25", sizeof(r->ip));
	xstrlcpy(r->policy, "dane", sizeof(r->policy));
	xstrlcpy(r->policy_src, "dane", sizeof(r->policy_src));
	xstrlcpy(r->tls, "TLSv1.3", sizeof(r->tls));
	xstrlcpy(r->cipher, "TLS_AES_256_GCM_SHA384", sizeof(r->cipher));
	xstrlcpy(r->verify, "dane", sizeof(r->verify));
	xstrlcpy(r->cert, "9F86D081884C7D659A2FEAA0C55AD015"
	    "A3BF4F1B2B0B822CD15D6C15B0F00A08", sizeof(r->cert));
	xstrlcpy(r->tls_fail, "", sizeof(r->tls_fail));
	xstrlcpy(r->text, "TLSA: no record matches 100% a=b\\c",
	    sizeof(r->text));
}

static const char golden[] =
    "attempt time=1700000600 n=3 rcpt=1 result=deferred code=451 "
    "dsn=4.7.5 failure=tlsa-invalid policy=dane policy_src=dane "
    "mx=mx1.example.net ip=2001:db8::25 tls=TLSv1.3 "
    "cipher=TLS_AES_256_GCM_SHA384 verify=dane "
    "cert=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 "
    "tls_fail= text=TLSA:%20no%20record%20matches%20100%25%20a=b\\c\n";

static void
same_rec(const struct history_rec *a, const struct history_rec *b)
{
	assert_true(a->time == b->time);
	assert_int_equal(a->attempt, b->attempt);
	assert_int_equal(a->rcpt, b->rcpt);
	assert_int_equal(a->result, b->result);
	assert_int_equal(a->code, b->code);
	assert_string_equal(a->dsn, b->dsn);
	assert_string_equal(a->failure, b->failure);
	assert_string_equal(a->mx, b->mx);
	assert_string_equal(a->ip, b->ip);
	assert_string_equal(a->policy, b->policy);
	assert_string_equal(a->policy_src, b->policy_src);
	assert_string_equal(a->tls, b->tls);
	assert_string_equal(a->cipher, b->cipher);
	assert_string_equal(a->verify, b->verify);
	assert_string_equal(a->cert, b->cert);
	assert_string_equal(a->tls_fail, b->tls_fail);
	assert_string_equal(a->text, b->text);
}

/* format, compare with want (if any), parse, compare, format again. */
static void
roundtrip(const struct history_rec *r, const char *want)
{
	struct history_rec	 p;
	char			 buf[HISTORY_LINE_MAX], buf2[HISTORY_LINE_MAX];
	char			 why[TEST_HISTORY_WHY];
	int			 n, n2;

	n = history_format(r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(buf[n - 1] == '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));
	if (want != NULL && ((size_t)n != strlen(want) ||
	    memcmp(buf, want, (size_t)n) != 0))
		fail_msg("text form differs:\n%.*s", n, buf);
	if (history_parse(buf, (size_t)n - 1, &p, why, sizeof(why)) != 0)
		fail_msg("parse: %s\n%.*s", why, n, buf);
	same_rec(r, &p);
	n2 = history_format(&p, buf2, sizeof(buf2));
	assert_int_equal(n, n2);
	assert_memory_equal(buf, buf2, (size_t)n);
}

static void
test_golden(void **state)
{
	struct history_rec r;

	(void)state;
	sample(&r);
	roundtrip(&r, golden);
}

/* Awkward texts (and other strings) that must come back unchanged. */
static void
test_roundtrip_texts(void **state)
{
	static const struct {
		const char	*text;
		const char	*spelled;	/* in the line, or NULL */
	} c[] = {
		{ "", " text=\n" },
		{ "-", " text=-\n" },
		{ " ", " text=%20\n" },
		{ "  two  spaces  ", NULL },
		{ "=", " text==\n" },
		{ "a==b=", " text=a==b=\n" },
		{ "text=x n=1", " text=text=x%20n=1\n" },
		{ "\\", " text=\\\n" },
		{ "\\x41\\%", " text=\\x41\\%25\n" },
		{ "%", " text=%25\n" },
		{ "%20", " text=%2520\n" },
		{ "tab\there", " text=tab%09here\n" },
		{ "cr\rlf\n", " text=cr%0Dlf%0A\n" },
		{ "\x7f\x01", " text=%7F%01\n" },
		{ "gr\xc3\xbc\xc3\x9f \xe2\x9c\x89", " text=gr%C3%BC%C3%9F"
		    "%20%E2%9C%89\n" },
		{ "550 5.7.1 <a@b>: \"quoted\" 'x'", NULL },
	};
	struct history_rec	r;
	char			buf[HISTORY_LINE_MAX];
	size_t			i, sl;
	int			n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		sample(&r);
		xstrlcpy(r.text, c[i].text, sizeof(r.text));
		roundtrip(&r, NULL);
		if (c[i].spelled == NULL)
			continue;
		n = history_format(&r, buf, sizeof(buf));
		sl = strlen(c[i].spelled);
		if (n < 0 || (size_t)n < sl ||
		    memcmp(buf + n - sl, c[i].spelled, sl) != 0)
			fail_msg("case %zu: %.*s", i, n, buf);
	}

	/* every octet 1..255 in one string, and in each string field */
	{
		char	all[256];
		int	v;

		for (v = 1; v < 256; v++)
			all[v - 1] = (char)v;
		all[255] = '\0';
		sample(&r);
		xstrlcpy(r.text, all, sizeof(r.text));
		roundtrip(&r, NULL);
		xstrlcpy(r.mx, all, sizeof(r.mx));
		roundtrip(&r, NULL);
	}

	/* empty strings everywhere: a sent record of the first attempt */
	memset(&r, 0, sizeof(r));
	r.attempt = 1;
	r.result = HISTORY_SENT;
	r.code = 250;
	roundtrip(&r, "attempt time=0 n=1 rcpt=0 result=sent code=250 dsn= "
	    "failure= policy= policy_src= mx= ip= tls= cipher= verify= "
	    "cert= tls_fail= text=\n");

	/* the largest numbers */
	sample(&r);
	r.time = INT64_MAX;
	r.attempt = UINT32_MAX;
	r.rcpt = UINT32_MAX;
	r.code = 599;
	roundtrip(&r, NULL);
	r.code = 200;
	roundtrip(&r, NULL);
}

/* The longest text, and every field full of octets that need %XX. */
static void
test_sizes(void **state)
{
	struct history_rec	 r;
	char			 buf[HISTORY_LINE_MAX], small[64];
	size_t			 i;
	int			 n, need;

	(void)state;
	sample(&r);
	memset(r.text, 'x', sizeof(r.text) - 1);	/* 511 octets */
	r.text[sizeof(r.text) - 1] = '\0';
	roundtrip(&r, NULL);

	/* the worst case: every string full, every octet escaped */
	memset(&r, 0, sizeof(r));
	r.time = INT64_MAX;
	r.attempt = UINT32_MAX;
	r.rcpt = UINT32_MAX;
	r.result = HISTORY_DEFERRED;
	r.code = 599;
	{
		char	*f[] = { r.dsn, r.failure, r.mx, r.ip, r.policy,
			    r.policy_src, r.tls, r.cipher, r.verify, r.cert,
			    r.tls_fail, r.text };
		size_t	 s[] = { sizeof(r.dsn), sizeof(r.failure),
			    sizeof(r.mx), sizeof(r.ip), sizeof(r.policy),
			    sizeof(r.policy_src), sizeof(r.tls),
			    sizeof(r.cipher), sizeof(r.verify),
			    sizeof(r.cert), sizeof(r.tls_fail),
			    sizeof(r.text) };

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			memset(f[i], '\xff', s[i] - 1);
			f[i][s[i] - 1] = '\0';
		}
	}
	need = history_format(&r, buf, sizeof(buf));
	assert_true(need > 0 && need <= HISTORY_LINE_MAX);
	roundtrip(&r, NULL);

	/* a buffer too small by one, or none at all, is refused */
	assert_int_equal(history_format(&r, buf, (size_t)need - 1), -1);
	assert_int_equal(history_format(&r, NULL, 0), -1);
	assert_int_equal(history_format(&r, small, sizeof(small)), -1);
	assert_int_equal(history_format(&r, buf, (size_t)need), need);

	/* a value over its field is refused when read: 16 octets in 16 */
	{
		struct history_rec	q;
		char			why[TEST_HISTORY_WHY];
		char			line[HISTORY_LINE_MAX + 64];
		const char		*rest = strstr(golden, " cert=");

		n = snprintf(line, sizeof(line), "%.*s verify=%s%s",
		    (int)(strstr(golden, " verify=") - golden),
		    golden, "0123456789abcdef", rest);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(history_parse(line, (size_t)n - 1, &q, why,
		    sizeof(why)), -1);
		assert_non_null(strstr(why, "bad value for verify"));
		/* 15 octets fit */
		n = snprintf(line, sizeof(line), "%.*s verify=%s%s",
		    (int)(strstr(golden, " verify=") - golden),
		    golden, "0123456789abcde", rest);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(history_parse(line, (size_t)n - 1, &q, why,
		    sizeof(why)), 0);
		assert_string_equal(q.verify, "0123456789abcde");
	}
}

/* What history_format refuses. */
static void
test_format_refuses(void **state)
{
	struct history_rec	r;
	char			buf[HISTORY_LINE_MAX];

	(void)state;
	sample(&r);
	r.code = 199;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.code = 600;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.code = 0;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.code = 250;
	r.result = (enum history_result)4;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.result = (enum history_result)-1;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.result = HISTORY_EXPIRED;
	r.time = -1;
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	r.time = 0;
	assert_true(history_format(&r, buf, sizeof(buf)) > 0);
	memset(r.text, 'x', sizeof(r.text));		/* unterminated */
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	sample(&r);
	memset(r.cert, 'A', sizeof(r.cert));
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
	sample(&r);
	memset(r.dsn, '4', sizeof(r.dsn));
	assert_int_equal(history_format(&r, buf, sizeof(buf)), -1);
}

static void
test_result_names(void **state)
{
	static const struct {
		enum history_result	 res;
		const char		*name;
	} c[] = {
		{ HISTORY_SENT, "sent" },
		{ HISTORY_DEFERRED, "deferred" },
		{ HISTORY_BOUNCED, "bounced" },
		{ HISTORY_EXPIRED, "expired" },
	};
	struct history_rec	r;
	char			buf[HISTORY_LINE_MAX], want[32];
	size_t			i;
	int			n, m;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_string_equal(history_result_name(c[i].res), c[i].name);
		sample(&r);
		r.result = c[i].res;
		n = history_format(&r, buf, sizeof(buf));
		assert_true(n > 0);
		m = snprintf(want, sizeof(want), " result=%s ", c[i].name);
		assert_true(m > 0 && (size_t)m < sizeof(want));
		assert_true((size_t)n < sizeof(buf));
		buf[n] = '\0';
		assert_non_null(strstr(buf, want));
		roundtrip(&r, NULL);
	}
	assert_null(history_result_name((enum history_result)4));
	assert_null(history_result_name((enum history_result)-1));
}

/* Every prefix of the golden line is refused, in its own heap block. */
static void
test_truncations(void **state)
{
	struct history_rec	 r;
	char			 why[TEST_HISTORY_WHY];
	size_t			 n, len = sizeof(golden) - 2;	/* no \n */
	char			*copy;
	size_t			 accepted = 0;

	(void)state;
	for (n = 0; n < len; n++) {
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, golden, n);
		if (history_parse(copy, n, &r, why, sizeof(why)) == 0) {
			/* only a shorter text can be a valid line */
			assert_true(n > (size_t)(strstr(golden, " text=") -
			    golden));
			accepted++;
		} else
			assert_true(r.code == 0 && r.text[0] == '\0');
		free(copy);
	}
	/* "text=...%2" is refused, "text=...b\" is a line of its own */
	assert_true(accepted > 0);
	assert_int_equal(history_parse(golden, len, &r, why, sizeof(why)), 0);
	/* the "\n" is not part of the line */
	assert_int_equal(history_parse(golden, len + 1, &r, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "bad value for text"));
}

struct bad_case {
	const char	*find;		/* in golden */
	const char	*replace;
	const char	*why;		/* substring of the reason */
};

static const struct bad_case bad_cases[] = {
	/* the tag */
	{ "attempt ", "", "not an attempt line" },
	{ "attempt ", "Attempt ", "not an attempt line" },
	{ "attempt ", "attempts ", "not an attempt line" },
	{ "attempt ", "attempt  ", "empty field" },
	{ "attempt ", " attempt ", "not an attempt line" },
	/* missing keys */
	{ "time=1700000600 ", "", "missing key time" },
	{ " n=3", "", "missing key n" },
	{ " dsn=4.7.5", "", "missing key dsn" },
	{ " failure=tlsa-invalid", "", "missing key failure" },
	{ " policy_src=dane", "", "missing key policy_src" },
	{ " tls_fail=", "", "missing key tls_fail" },
	{ " text=TLSA:%20no%20record%20matches%20100%25%20a=b\\c", "",
	    "missing key text" },
	/* unknown keys */
	{ " n=3", " attempt=3", "unknown key attempt" },
	{ " n=3", " n=3 color=red", "unknown key color" },
	{ " n=3", " N=3", "unknown key N" },
	{ " ip=", " IP=", "unknown key IP" },
	{ " code=451", " =451", "unknown key" },
	/* repeated keys */
	{ " rcpt=1", " rcpt=1 rcpt=1", "repeated key rcpt" },
	{ " rcpt=1", " rcpt=1 n=3", "repeated key n" },
	{ "\\c\n", "\\c text=x\n", "repeated key text" },
	{ "\\c\n", "\\c time=1\n", "repeated key time" },
	/* wrong order */
	{ " n=3 rcpt=1", " rcpt=1 n=3", "missing key n" },
	{ " mx=mx1.example.net ip=2001:db8::25",
	    " ip=2001:db8::25 mx=mx1.example.net", "out of order" },
	{ " policy=dane policy_src=dane", " policy_src=dane policy=dane",
	    "missing key policy" },
	/* numbers */
	{ "time=1700000600", "time=01700000600", "bad value for time" },
	{ "time=1700000600", "time=-1", "bad value for time" },
	{ "time=1700000600", "time=+1", "bad value for time" },
	{ "time=1700000600", "time=", "bad value for time" },
	{ "time=1700000600", "time=17x", "bad value for time" },
	{ "time=1700000600", "time=9223372036854775808",
	    "bad value for time" },
	{ "time=1700000600", "time=1e9", "bad value for time" },
	{ " n=3", " n=00", "bad value for n" },
	{ " n=3", " n=4294967296", "bad value for n" },
	{ " n=3", " n=0x3", "bad value for n" },
	{ " rcpt=1", " rcpt=-1", "bad value for rcpt" },
	{ " rcpt=1", " rcpt=99999999999999999999", "bad value for rcpt" },
	/* the code */
	{ "code=451", "code=199", "bad value for code" },
	{ "code=451", "code=600", "bad value for code" },
	{ "code=451", "code=0", "bad value for code" },
	{ "code=451", "code=0451", "bad value for code" },
	{ "code=451", "code=", "bad value for code" },
	{ "code=451", "code=45l", "bad value for code" },
	/* the result */
	{ "result=deferred", "result=Deferred", "bad value for result" },
	{ "result=deferred", "result=pending", "bad value for result" },
	{ "result=deferred", "result=", "bad value for result" },
	{ "result=deferred", "result=deferred%20", "bad value for result" },
	{ "result=deferred", "result=0", "bad value for result" },
	/* escapes */
	{ "100%25", "100%", "bad value for text" },
	{ "100%25", "100%2", "bad value for text" },
	{ "100%25", "100%2g", "bad value for text" },
	{ "100%25", "100%2f", "bad value for text" },
	{ "%20no", "%20%41no", "bad value for text" },
	{ "%20no", "%00no", "bad value for text" },
	{ "%20no", "%2Dno", "bad value for text" },
	{ "mx1.example.net", "mx1.ex%61mple.net", "bad value for mx" },
	{ "mx1.example.net", "mx1.\xc3\xa4xample.net", "bad value for mx" },
	{ "mx1.example.net", "mx1.\texample.net", "bad value for mx" },
	{ "mx1.example.net", "mx1.example.net\r", "bad value for mx" },
	{ "\\c\n", "\\c\r\n", "bad value for text" },
	/* overlong values */
	{ "dsn=4.7.5", "dsn=4.7.5.12345678901", "bad value for dsn" },
	{ "policy=dane", "policy=danedanedanedane", "bad value for policy" },
	{ "tls=TLSv1.3", "tls=TLSv1.3TLSv1.3TLSv1.3", "bad value for tls" },
	{ "B0F00A08 ", "B0F00A080 ", "bad value for cert" },
	/* separators, fields without '=' */
	{ " n=3", "  n=3", "empty field" },
	{ " n=3", " n 3", "has no '='" },
	{ " n=3", " n", "has no '='" },
	{ " n=3", " n=3\tx", "bad value for n" },
	/* trailing junk */
	{ "\\c\n", "\\c \n", "empty field" },
	{ "\\c\n", "\\c junk\n", "trailing junk" },
	{ "\\c\n", "\\c x=y\n", "unknown key x" },
	{ "\\c\n", "\\c  \n", "empty field" },
};

static void
test_malformed(void **state)
{
	struct history_rec	 r;
	char			 why[TEST_HISTORY_WHY];
	char			*buf;
	const char		*at;
	size_t			 i, pre, flen, rlen, len;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		at = strstr(golden, c->find);
		if (at == NULL)
			fail_msg("case %zu: \"%s\" not in golden", i, c->find);
		pre = (size_t)(at - golden);
		flen = strlen(c->find);
		rlen = strlen(c->replace);
		len = sizeof(golden) - 1 - flen + rlen;
		/* exact size, so that ASan sees any read past the end */
		assert_non_null(buf = malloc(len));
		memcpy(buf, golden, pre);
		memcpy(buf + pre, c->replace, rlen);
		memcpy(buf + pre + rlen, at + flen,
		    sizeof(golden) - 1 - pre - flen);
		assert_true(buf[len - 1] == '\n');
		memset(why, 0, sizeof(why));
		if (history_parse(buf, len - 1, &r, why, sizeof(why)) != -1)
			fail_msg("case %zu (%s -> %s) accepted", i, c->find,
			    c->replace);
		if (strstr(why, c->why) == NULL)
			fail_msg("case %zu (%s -> %s): \"%s\" lacks \"%s\"", i,
			    c->find, c->replace, why, c->why);
		/* nothing half-read is left behind */
		assert_true(r.time == 0 && r.code == 0 && r.mx[0] == '\0');
		free(buf);
	}

	/* the empty line, a NUL byte, no reason buffer, a tiny one */
	assert_int_equal(history_parse("", 0, &r, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "empty line"));
	assert_int_equal(history_parse("\n", 1, &r, why, sizeof(why)), -1);
	assert_int_equal(history_parse("", 0, &r, NULL, 0), -1);
	assert_int_equal(history_parse("attempt", 7, &r, why, 4), -1);
	assert_string_equal(why, "mis");
	assert_int_equal(history_parse("attempt", 7, &r, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "missing key time"));
	len = sizeof(golden) - 2;
	assert_non_null(buf = malloc(len));
	memcpy(buf, golden, len);
	buf[len - 1] = '\0';
	assert_int_equal(history_parse(buf, len, &r, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bad value for text"));
	free(buf);
}

/* Every single-octet change is refused or reads back to the same line. */
static void
test_corruptions(void **state)
{
	struct history_rec	 r;
	char			 why[TEST_HISTORY_WHY];
	char			 out[HISTORY_LINE_MAX];
	size_t			 len = sizeof(golden) - 2, pos, accepted = 0;
	char			*buf;
	int			 v, n;

	(void)state;
	assert_non_null(buf = malloc(len));
	for (pos = 0; pos < len; pos++) {
		for (v = 0; v < 256; v++) {
			if ((char)v == golden[pos])
				continue;
			memcpy(buf, golden, len);
			buf[pos] = (char)v;
			if (history_parse(buf, len, &r, why, sizeof(why)) == -1)
				continue;
			accepted++;
			n = history_format(&r, out, sizeof(out));
			if (n < 0 || (size_t)n != len + 1 ||
			    memcmp(out, buf, len) != 0)
				fail_msg("octet %zu := %d accepted but not "
				    "canonical", pos, v);
		}
	}
	assert_true(accepted > 0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_roundtrip_texts),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_corruptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
