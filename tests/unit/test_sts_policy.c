/*
 * test_sts_policy.c: unit tests for policy/sts_policy.c (RFC 8461 §3.2,
 * §4.1, errata 6253 and 7282; doc/design.md §11): a table of policy
 * texts, valid and malformed, with what each must give (mode, max_age,
 * mx patterns, or the reason); the size limit; the MX match; the cache
 * entry's round trip, its refusals when formatting, and a table of
 * corrupted cache files plus every truncation of a good one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/sts_policy.h"

#define V	"version: STSv1\n"
#define ME	"mode: enforce\n"
#define MA	"max_age: 86400\n"
#define MX	"mx: mail.example.com\n"
#define OK3	V ME MA		/* the three single fields, mx to add */

#define L63	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz" \
		"abcdefghijk"	/* a label of 63 octets */
#define L64	L63 "l"

struct pol_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 rv;
	int		 mode;		/* on rv 0 */
	uint32_t	 max_age;
	const char	*mx;		/* the patterns joined by ',' */
	const char	*err;		/* on rv -1: a part of the reason */
};

#define VALID(t, m, a, x)	{ t, 0, 0, STS_MODE_##m, a, x, NULL }
#define BAD(t, e)		{ t, 0, -1, 0, 0, NULL, e }
#define BADN(t, e)		{ t, sizeof(t) - 1, -1, 0, 0, NULL, e }

static const struct pol_case pol_cases[] = {
	/* valid */
	VALID(OK3 MX, ENFORCE, 86400, "mail.example.com"),
	VALID("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	    "max_age: 604800\r\n", ENFORCE, 604800, "mail.example.com"),
	VALID("version: STSv1\r\nmode: testing\nmx: a.example.com\r\n"
	    "max_age: 1\n", TESTING, 1, "a.example.com"),	/* mixed */
	VALID(OK3 "mx: mail.example.com", ENFORCE, 86400,
	    "mail.example.com"),			/* no final LF */
	VALID("max_age: 86400\nmx: m.example.com\nmode: enforce\n"
	    "version: STSv1", ENFORCE, 86400, "m.example.com"),	/* order */
	VALID(OK3 "mx: *.example.net\n", ENFORCE, 86400, "*.example.net"),
	VALID(OK3 "mx: MAIL.Example.COM\nmx: *.EXAMPLE.net\n", ENFORCE,
	    86400, "mail.example.com,*.example.net"),
	VALID(OK3 MX "mx: MAIL.example.com\n" MX, ENFORCE, 86400,
	    "mail.example.com"),			/* duplicates once */
	VALID(OK3 "mx: localhost\n", ENFORCE, 86400, "localhost"),
	VALID(OK3 "mx: 1.2.3.4\n", ENFORCE, 86400, "1.2.3.4"),
	VALID(OK3 "mx: *.com\n", ENFORCE, 86400, "*.com"),
	VALID(OK3 "mx: a-b.x--y.example\n", ENFORCE, 86400,
	    "a-b.x--y.example"),
	VALID(OK3 "mx: " L63 ".example\n", ENFORCE, 86400, L63 ".example"),
	VALID(V "mode: none\nmax_age: 86400\n", NONE, 86400, ""),
	VALID(V "mode: none\nmax_age: 86400\n" MX, NONE, 86400,
	    "mail.example.com"),
	VALID(V "mode: testing\n" MA MX, TESTING, 86400, "mail.example.com"),
	VALID(OK3 MX "foo: bar baz\n", ENFORCE, 86400, "mail.example.com"),
	VALID(OK3 MX "Version: whatever it is\nMODE: x\n", ENFORCE, 86400,
	    "mail.example.com"),			/* keys: case */
	VALID(OK3 MX "comment: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\n",
	    ENFORCE, 86400, "mail.example.com"),	/* UTF-8 */
	VALID(OK3 MX "a_b-c.d: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\n",
	    ENFORCE, 86400, "mail.example.com"),
	VALID(OK3 MX "abcdefghijklmnopqrstuvwxyz012345: x\n", ENFORCE,
	    86400, "mail.example.com"),			/* 32-octet key */
	VALID("version:STSv1\nmode:enforce\nmax_age:5\nmx:m.example.com\n",
	    ENFORCE, 5, "m.example.com"),
	VALID("version: \tSTSv1 \t\nmode:\tenforce\t\nmax_age: 5  \n"
	    "mx: m.example.com \n", ENFORCE, 5, "m.example.com"),
	VALID(V ME "max_age: 007\n" MX, ENFORCE, 7, "mail.example.com"),
	VALID(V ME "max_age: 0\n" MX, ENFORCE, 0, "mail.example.com"),
	VALID(V ME "max_age: 31557600\n" MX, ENFORCE, 31557600,
	    "mail.example.com"),
	/* over the maximum: kept as the maximum (sts_policy.h) */
	VALID(V ME "max_age: 31557601\n" MX, ENFORCE, 31557600,
	    "mail.example.com"),
	VALID(V ME "max_age: 9999999999\n" MX, ENFORCE, 31557600,
	    "mail.example.com"),
	VALID(V ME "max_age: 0000000001\n" MX, ENFORCE, 1,
	    "mail.example.com"),

	/* malformed: the shape of the text */
	BAD("", "empty policy"),
	BAD("\xef\xbb\xbf" OK3 MX, "line 1: does not start with a key"),
	BAD(" " OK3 MX, "line 1: does not start with a key"),
	BAD(V "\t" ME MA MX, "line 2: does not start with a key"),
	BAD(V "\n" ME MA MX, "line 2: empty line"),
	BAD(V "\r\n" ME MA MX, "line 2: empty line"),
	BAD(OK3 MX "\n", "line 5: empty line"),		/* blank at the end */
	BAD(OK3 MX "\r\n\r\n", "line 5: empty line"),
	BAD("\n" OK3 MX, "line 1: empty line"),
	BADN(V ME "max_age: 86\0" "400\n" MX, "NUL octet"),
	BADN(OK3 MX "\0", "NUL octet"),
	BAD(V "mode: enforce\rmx: mail.example.com\n" MA, "line 2: control"),
	BAD(V "mode: enforce\r\r\n" MA MX, "line 2: control"),
	BAD(OK3 "mx: mail.example.com\r", "line 4: control"),	/* no LF */
	BAD(OK3 MX "foo: a\tb\n", "line 5: control"),
	BAD(OK3 MX "foo: a\x7f\n", "line 5: control"),
	BAD(OK3 MX "foo: a\x01 b\n", "line 5: control"),
	BAD(V "mode : enforce\n" MA MX, "line 2: no ':' right after the key"),
	BAD(V "mode enforce\n" MA MX, "line 2: no ':'"),
	BAD(V "mode\n" MA MX, "line 2: no ':'"),
	BAD(V ": enforce\n" MA MX, "line 2: does not start with a key"),
	BAD(V "_mode: enforce\n" ME MA MX, "line 2: does not start"),
	BAD(V "mo de: enforce\n" ME MA MX, "line 2: no ':'"),
	BAD(V "m\xc3\xb6" "de: enforce\n" ME MA MX, "line 2: no ':'"),
	BAD(OK3 MX "abcdefghijklmnopqrstuvwxyz0123456: x\n",
	    "line 5: key longer than 32"),
	BAD(OK3 MX "foo:\n", "line 5: empty value"),
	BAD(OK3 MX "foo:   \n", "line 5: empty value"),
	BAD(OK3 MX "foo: \xc3\x28\n", "line 5: control"),	/* bad UTF-8 */
	BAD(OK3 MX "foo: \xc0\xaf\n", "line 5: control"),	/* overlong */
	BAD(OK3 MX "foo: \xe0\x80\xaf\n", "line 5: control"),
	BAD(OK3 MX "foo: \xed\xa0\x80\n", "line 5: control"),	/* surrogate */
	BAD(OK3 MX "foo: \xf4\x90\x80\x80\n", "line 5: control"), /* >10FFFF */
	BAD(OK3 MX "foo: \xf0\x9f\x93\n", "line 5: control"),	/* short */
	BAD(OK3 MX "foo: \xff\n", "line 5: control"),

	/* malformed: version */
	BAD(ME MA MX, "no version"),
	BAD("Version: STSv1\n" ME MA MX, "no version"),
	BAD("version: stsv1\n" ME MA MX, "line 1: version: not STSv1"),
	BAD("version: STSv2\n" ME MA MX, "line 1: version: not STSv1"),
	BAD("version: STSv1 x\n" ME MA MX, "line 1: version: not STSv1"),
	BAD(V V ME MA MX, "line 2: version given twice"),

	/* malformed: mode */
	BAD(V MA MX, "no mode"),
	BAD(V "mode: Enforce\n" MA MX, "line 2: mode: not enforce"),
	BAD(V "mode: strict\n" MA MX, "line 2: mode: not enforce"),
	BAD(V "mode: enforce testing\n" MA MX, "line 2: mode: not"),
	BAD(V ME ME MA MX, "line 3: mode given twice"),
	BAD(V ME "mode: none\n" MA MX, "line 3: mode given twice"),

	/* malformed: max_age */
	BAD(V ME MX, "no max_age"),
	BAD(V ME "max_age: +5\n" MX, "line 3: max_age: not 1 to 10 digits"),
	BAD(V ME "max_age: -1\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 12345678901\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 99999999999999999999999\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 1 2\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 1.5\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 0x10\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: 1e6\n" MX, "line 3: max_age"),
	BAD(V ME "max_age: \xd9\xa1\n" MX, "line 3: max_age"),	/* Arabic 1 */
	BAD(V ME "max_age:\n" MX, "line 3: empty value"),
	BAD(V ME MA MA MX, "line 4: max_age given twice"),

	/* malformed: mx */
	BAD(OK3, "no mx in mode enforce"),
	BAD(V "mode: testing\n" MA, "no mx in mode testing"),
	BAD(OK3 "mx: *\n", "line 4: mx: not a host name"),
	BAD(OK3 "mx: *.\n", "line 4: mx"),
	BAD(OK3 "mx: a.*.b\n", "line 4: mx"),
	BAD(OK3 "mx: *.*.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: *example.com\n", "line 4: mx"),
	BAD(OK3 "mx: f*.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: mail.example.com.\n", "line 4: mx"),	/* final dot */
	BAD(OK3 "mx: *.example.com.\n", "line 4: mx"),
	BAD(OK3 "mx: .example.com\n", "line 4: mx"),
	BAD(OK3 "mx: mail..example.com\n", "line 4: mx"),
	BAD(OK3 "mx: -mail.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: mail-.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: mail.example-\n", "line 4: mx"),
	BAD(OK3 "mx: mx_1.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: mail.example.com:25\n", "line 4: mx"),
	BAD(OK3 "mx: mail.example.com mx2.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: [192.0.2.1]\n", "line 4: mx"),
	BAD(OK3 "mx: m\xc3\xa4il.example.com\n", "line 4: mx"),
	BAD(OK3 "mx: " L64 ".example\n", "line 4: mx"),	/* 64 octets */
	BAD(OK3 "mx:\n", "line 4: empty value"),
	BAD(OK3 "MX: mail.example.com\n", "no mx"),	/* key case */
};

/* Splits the ','-joined list and compares it with the policy's. */
static void
check_mx(size_t row, const struct sts_policy *p, const char *list)
{
	char		 buf[1024], *s, *c;
	size_t		 n = 0;

	if (strlen(list) >= sizeof(buf))
		fail_msg("row %zu: list too long", row);
	memcpy(buf, list, strlen(list) + 1);
	for (s = buf; *s != '\0'; s = c) {
		if ((c = strchr(s, ',')) != NULL)
			*c++ = '\0';
		else
			c = s + strlen(s);
		if (n >= p->nmx)
			fail_msg("row %zu: %zu patterns, expected more", row,
			    p->nmx);
		if (strcmp(p->mx[n], s) != 0)
			fail_msg("row %zu: mx %zu is \"%s\", expected \"%s\"",
			    row, n, p->mx[n], s);
		n++;
	}
	if (n != p->nmx)
		fail_msg("row %zu: %zu patterns, expected %zu", row, p->nmx,
		    n);
}

/* Every byte of the struct is 0 (after a failure). */
static int
all_zero(const void *p, size_t len)
{
	const unsigned char *u = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (u[i] != 0)
			return 0;
	return 1;
}

static void
test_parse_table(void **state)
{
	struct sts_policy	*p;
	char			 err[256];
	size_t			 i, len;
	int			 rv;

	(void)state;
	p = malloc(sizeof(*p));
	assert_non_null(p);
	for (i = 0; i < sizeof(pol_cases) / sizeof(pol_cases[0]); i++) {
		const struct pol_case *c = &pol_cases[i];
		char *copy;

		len = c->len != 0 ? c->len : strlen(c->text);
		copy = malloc(len == 0 ? 1 : len);	/* exact size */
		assert_non_null(copy);
		memcpy(copy, c->text, len);
		memset(p, 0x5a, sizeof(*p));
		memset(err, 0, sizeof(err));
		rv = sts_policy_parse(copy, len, p, err, sizeof(err));
		free(copy);
		if (rv != c->rv)
			fail_msg("row %zu: %d (%s), expected %d", i, rv, err,
			    c->rv);
		if (rv == -1) {
			if (strstr(err, c->err) == NULL)
				fail_msg("row %zu: reason \"%s\", expected "
				    "\"%s\"", i, err, c->err);
			if (!all_zero(p, sizeof(*p)))
				fail_msg("row %zu: policy not zeroed", i);
			continue;
		}
		if (p->mode != c->mode || p->max_age != c->max_age)
			fail_msg("row %zu: mode %s max_age %u, expected %s %u",
			    i, sts_mode_name(p->mode), p->max_age,
			    sts_mode_name(c->mode), c->max_age);
		check_mx(i, p, c->mx);
	}
	free(p);
}

/* The reason is one printable line, whatever the buffer's size. */
static void
test_parse_err(void **state)
{
	static const char	 text[] = V "mode: strict\n" MA MX;
	struct sts_policy	 p;
	char			 err[64];
	size_t			 i, n;

	(void)state;
	for (n = 0; n <= 40; n++) {
		memset(err, 'X', sizeof(err));
		assert_int_equal(sts_policy_parse(text, sizeof(text) - 1, &p,
		    n == 0 ? NULL : err, n), -1);
		if (n == 0) {
			assert_int_equal(err[0], 'X');
			continue;
		}
		assert_true(strlen(err) < n);
		for (i = 0; err[i] != '\0'; i++)
			assert_true(err[i] >= 0x20 && err[i] < 0x7f);
	}
	assert_string_equal(err, "line 2: mode: not enforce, testing or n");
	/* a reason never quotes the text: a hostile value stays out */
	assert_int_equal(sts_policy_parse(V "mode: \x1b[2J\n" MA MX,
	    strlen(V "mode: \x1b[2J\n" MA MX), &p, err, sizeof(err)), -1);
	assert_null(strchr(err, '\x1b'));
}

/* 64 KiB is the limit, exactly. */
static void
test_parse_size(void **state)
{
	static const char	 head[] = OK3 MX "pad: ";
	struct sts_policy	 p;
	char			*text, err[128];
	size_t			 len;

	(void)state;
	assert_non_null(text = malloc(STS_POLICY_SIZE_MAX + 1));
	memcpy(text, head, sizeof(head) - 1);
	for (len = sizeof(head) - 1; len < STS_POLICY_SIZE_MAX + 1; len++)
		text[len] = 'x';
	text[STS_POLICY_SIZE_MAX - 1] = '\n';
	assert_int_equal(sts_policy_parse(text, STS_POLICY_SIZE_MAX, &p, err,
	    sizeof(err)), 0);
	text[STS_POLICY_SIZE_MAX - 1] = 'x';
	assert_int_equal(sts_policy_parse(text, STS_POLICY_SIZE_MAX, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(sts_policy_parse(text, STS_POLICY_SIZE_MAX + 1, &p,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "policy longer than 65536 octets");
	free(text);
}

/* At most STS_MX_MAX distinct patterns; duplicates do not count. */
static void
test_parse_many_mx(void **state)
{
	struct sts_policy	 p;
	char			 text[8192], err[128];
	size_t			 len, i;
	int			 n;

	(void)state;
	len = strlen(OK3);
	memcpy(text, OK3, len);
	for (i = 0; i < STS_MX_MAX; i++) {
		n = snprintf(text + len, sizeof(text) - len,
		    "mx: mx%zu.example.com\nmx: MX%zu.example.com\n", i, i);
		assert_true(n > 0 && (size_t)n < sizeof(text) - len);
		len += (size_t)n;
	}
	assert_int_equal(sts_policy_parse(text, len, &p, err, sizeof(err)), 0);
	assert_int_equal(p.nmx, STS_MX_MAX);
	assert_string_equal(p.mx[STS_MX_MAX - 1], "mx63.example.com");
	n = snprintf(text + len, sizeof(text) - len, "mx: one.more\n");
	assert_true(n > 0 && (size_t)n < sizeof(text) - len);
	len += (size_t)n;
	assert_int_equal(sts_policy_parse(text, len, &p, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "line 132: more than 64 mx patterns");
}

/* A name of 253 octets is a host; 254 is not. */
static void
test_parse_long_name(void **state)
{
	struct sts_policy	 p;
	char			 text[1024], name[300], err[128];
	size_t			 i;
	int			 n;

	(void)state;
	/* 3 labels of 63, one of 61: 63 * 3 + 61 + 3 = 253 */
	for (i = 0; i < 253; i++)
		name[i] = (i + 1) % 64 == 0 ? '.' : 'a';
	name[253] = '\0';
	n = snprintf(text, sizeof(text), OK3 "mx: %s\n", name);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(sts_policy_parse(text, (size_t)n, &p, err,
	    sizeof(err)), 0);
	assert_string_equal(p.mx[0], name);
	assert_int_equal(sts_cache_domain_valid(name, 253), 1);
	name[253] = 'a';
	name[254] = '\0';
	n = snprintf(text, sizeof(text), OK3 "mx: %s\n", name);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(sts_policy_parse(text, (size_t)n, &p, err,
	    sizeof(err)), -1);
	assert_int_equal(sts_cache_domain_valid(name, 254), 0);
	/* "*." counts: the pattern is at most 253 */
	n = snprintf(text, sizeof(text), OK3 "mx: *.%s\n", name + 2);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(sts_policy_parse(text, (size_t)n, &p, err,
	    sizeof(err)), -1);
	n = snprintf(text, sizeof(text), OK3 "mx: *.%s\n", name + 3);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(sts_policy_parse(text, (size_t)n, &p, err,
	    sizeof(err)), 0);
}

static void
test_mx_match(void **state)
{
	static const char text[] = OK3 "mx: mail.example.com\n"
	    "mx: *.example.net\nmx: *.com\n";
	static const struct {
		const char	*host;
		int		 rv;
	} t[] = {
		{ "mail.example.com", 1 },
		{ "MAIL.Example.COM", 1 },
		{ "mail.example.com.", 1 },
		{ "mail.example.com..", 0 },
		{ "x.mail.example.com", 0 },
		{ "example.com", 0 },		/* "*.com" matches nothing */
		{ "mail.example.co", 0 },
		{ "ail.example.com", 0 },
		{ "a.example.net", 1 },
		{ "A.Example.Net.", 1 },
		{ "example.net", 0 },		/* not the parent (§4.1) */
		{ "a.b.example.net", 0 },	/* one label only */
		{ ".example.net", 0 },
		{ "*.example.net", 0 },
		{ "", 0 },
		{ ".", 0 },
		{ "mail.example.com\n", 0 },
		{ "mail example.com", 0 },
	};
	struct sts_policy	 p, none;
	char			 err[128], longname[600];
	size_t			 i;

	(void)state;
	assert_int_equal(sts_policy_parse(text, sizeof(text) - 1, &p, err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (sts_policy_mx_match(&p, t[i].host) != t[i].rv)
			fail_msg("row %zu: \"%s\" gives %d", i, t[i].host,
			    !t[i].rv);
	/* a policy without mx (mode none) matches nothing */
	assert_int_equal(sts_policy_parse(V "mode: none\n" MA,
	    strlen(V "mode: none\n" MA), &none, err, sizeof(err)), 0);
	assert_int_equal(sts_policy_mx_match(&none, "mail.example.com"), 0);
	/* an over-long host is no host */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sts_policy_mx_match(&p, longname), 0);
}

static void
test_mode_name(void **state)
{
	(void)state;
	assert_string_equal(sts_mode_name(STS_MODE_ENFORCE), "enforce");
	assert_string_equal(sts_mode_name(STS_MODE_TESTING), "testing");
	assert_string_equal(sts_mode_name(STS_MODE_NONE), "none");
	assert_string_equal(sts_mode_name(-1), "?");
	assert_string_equal(sts_mode_name(3), "?");
}

/* ---- the cache entry ------------------------------------------------- */

#define CTEXT	"version: STSv1\r\nmode: testing\r\nmx: *.example.org\r\n" \
		"max_age: 604800\r\n"
#define CFILE	"sealpost-sts-cache 1\ndomain example.org\n" \
		"id 20240101T000000\nfetched 1700000000\n" \
		"expires 1700604800\npolicy 67\n" CTEXT

static void
entry_init(struct sts_cache_entry *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->domain, "example.org", sizeof("example.org"));
	memcpy(e->id, "20240101T000000", sizeof("20240101T000000"));
	e->fetched = 1700000000;
	e->expires = 1700000000 + 604800;
	e->text = CTEXT;
	e->textlen = sizeof(CTEXT) - 1;
}

static void
test_cache_roundtrip(void **state)
{
	struct sts_cache_entry	 e, back;
	char			 buf[STS_CACHE_SIZE_MAX], err[128];
	ssize_t			 n;

	(void)state;
	assert_int_equal(sizeof(CTEXT) - 1, 67);
	entry_init(&e);
	n = sts_cache_format(&e, buf, sizeof(buf));
	assert_int_equal(n, sizeof(CFILE) - 1);
	assert_memory_equal(buf, CFILE, sizeof(CFILE) - 1);
	assert_int_equal(sts_cache_parse(buf, (size_t)n, &back, err,
	    sizeof(err)), 0);
	assert_string_equal(back.domain, "example.org");
	assert_string_equal(back.id, "20240101T000000");
	assert_true(back.fetched == 1700000000);
	assert_true(back.expires == 1700604800);
	assert_ptr_equal(back.text, buf + n - 67);
	assert_int_equal(back.textlen, 67);
	assert_int_equal(back.policy.mode, STS_MODE_TESTING);
	assert_int_equal(back.policy.max_age, 604800);
	assert_int_equal(back.policy.nmx, 1);
	assert_string_equal(back.policy.mx[0], "*.example.org");

	/* it fits exactly, or not at all */
	assert_int_equal(sts_cache_format(&e, buf, (size_t)n), n);
	assert_int_equal(sts_cache_format(&e, buf, (size_t)n - 1), -1);
	assert_int_equal(sts_cache_format(&e, buf, 100), -1);
	assert_int_equal(sts_cache_format(&e, buf, 0), -1);

	/* time 0, the clamped max_age, the largest text */
	e.fetched = 0;
	e.text = V ME "max_age: 99999999999\n" MX;	/* 11 digits: bad */
	e.textlen = strlen(e.text);
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	e.text = V ME "max_age: 9999999999\n" MX;
	e.textlen = strlen(e.text);
	e.expires = STS_MAX_AGE_MAX;
	n = sts_cache_format(&e, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(sts_cache_parse(buf, (size_t)n, &back, err,
	    sizeof(err)), 0);
	assert_true(back.fetched == 0 && back.expires == STS_MAX_AGE_MAX);
}

static void
test_cache_format_refuses(void **state)
{
	struct sts_cache_entry	e;
	char			buf[STS_CACHE_SIZE_MAX];

	(void)state;
	entry_init(&e);
	assert_true(sts_cache_format(&e, buf, sizeof(buf)) > 0);

	memcpy(e.domain, "example.org.", sizeof("example.org."));
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	memcpy(e.domain, "../etc", sizeof("../etc"));
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	memcpy(e.domain, "a\nid x", sizeof("a\nid x"));
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	e.domain[0] = '\0';
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	memset(e.domain, 'a', sizeof(e.domain));	/* no NUL */
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);

	entry_init(&e);
	memcpy(e.id, "a-b", sizeof("a-b"));
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	e.id[0] = '\0';
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	memset(e.id, 'a', sizeof(e.id));		/* 33, no NUL */
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);

	entry_init(&e);
	e.fetched = -1;
	e.expires = -1 + 604800;
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	entry_init(&e);
	e.fetched = INT64_MAX;
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	entry_init(&e);
	e.expires++;
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	entry_init(&e);
	e.text = V "mode: bogus\n" MA MX;
	e.textlen = strlen(e.text);
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	entry_init(&e);
	e.text = NULL;
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
	e.textlen = 0;
	assert_int_equal(sts_cache_format(&e, buf, sizeof(buf)), -1);
}

static void
test_cache_corrupt(void **state)
{
	/* the good file with one change each */
#define H1	"sealpost-sts-cache 1\n"
#define HD	"domain example.org\n"
#define HI	"id 20240101T000000\n"
#define HF	"fetched 1700000000\n"
#define HE	"expires 1700604800\n"
#define HP	"policy 67\n"
	static const struct {
		const char	*file;
		size_t		 len;	/* 0: strlen */
		const char	*err;
	} t[] = {
		{ "", 0, "not a sealpost-sts-cache file" },
		{ "sealpost-sts-cache", 0, "not a sealpost-sts-cache file" },
		{ "sealpost-sts-cache 2\n" HD HI HF HE HP CTEXT, 0,
		    "not format version 1" },
		{ "sealpost-sts-cache 10\n" HD HI HF HE HP CTEXT, 0,
		    "not format version 1" },
		{ "Sealpost-sts-cache 1\n" HD HI HF HE HP CTEXT, 0,
		    "not a sealpost" },
		{ "sealpost-sts-cache 1\r\n" HD HI HF HE HP CTEXT, 0,
		    "not format version 1" },
		{ "version: STSv1\n", 0, "not a sealpost" },
		{ H1 HI HD HF HE HP CTEXT, 0, "bad domain line" },
		{ H1 HD HD HI HF HE HP CTEXT, 0, "bad id line" },
		{ H1 "domain example.org.\n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domain \n" HI HF HE HP CTEXT, 0, "bad domain line" },
		{ H1 "domain  example.org\n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domain example.org \n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domain example.org\r\n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domain ../../etc/passwd\n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domainexample.org\n" HI HF HE HP CTEXT, 0,
		    "bad domain line" },
		{ H1 "domain example.org", 0, "bad domain line" },
		{ H1 HD "id 20240101-000000\n" HF HE HP CTEXT, 0,
		    "bad id line" },
		{ H1 HD "id " "abcdefghijklmnopqrstuvwxyz0123456\n" HF HE HP
		    CTEXT, 0, "bad id line" },
		{ H1 HD "id \n" HF HE HP CTEXT, 0, "bad id line" },
		{ H1 HD HI HE HF HP CTEXT, 0, "bad fetched or expires" },
		{ H1 HD HI "fetched 01700000000\n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI "fetched -1700000000\n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI "fetched +1700000000\n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI "fetched 1700000000 \n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI "fetched 99999999999999999999\n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI "fetched 9223372036854775807\n" HE HP CTEXT, 0,
		    "bad fetched" },
		{ H1 HD HI HF "expires 1700604801\n" HP CTEXT, 0,
		    "expires is not fetched + max_age" },
		{ H1 HD HI HF "expires 1700000000\n" HP CTEXT, 0,
		    "expires is not fetched + max_age" },
		{ H1 HD HI HF "expires 0x1\n" HP CTEXT, 0, "bad fetched" },
		{ H1 HD HI HF HE CTEXT, 0, "bad policy line" },
		{ H1 HD HI HF HE "policy 067\n" CTEXT, 0, "bad policy line" },
		{ H1 HD HI HF HE "policy 65537\n" CTEXT, 0,
		    "bad policy line" },
		{ H1 HD HI HF HE "policy 68\n" CTEXT, 0,
		    "policy text of 67 octets, not 68" },
		{ H1 HD HI HF HE "policy 66\n" CTEXT, 0,
		    "policy text of 67 octets, not 66" },
		{ H1 HD HI HF HE HP CTEXT "\n", 0,
		    "policy text of 68 octets, not 67" },
		{ H1 HD HI HF HE "policy 0\n", 0, "policy text: empty" },
		{ H1 HD HI HF HE "policy 67\n"
		    "version: STSv1\r\nmode: testing\r\nmx: *.example.org\r\n"
		    "max_age: 6048OO\r\n", 0, "policy text: line 4: max_age" },
		{ H1 HD HI HF HE "policy 67\n"
		    "version: STSv1\r\nmode: tasting\r\nmx: *.example.org\r\n"
		    "max_age: 604800\r\n", 0, "policy text: line 2: mode" },
		{ H1 HD HI HF HE "policy 67\n"
		    "version: STSv1\r\nmode: testing\r\nmx: *.example.org\r\n"
		    "max_age: 604800\r\0", 0, "policy text of 66 octets" },
		{ H1 HD "\0id 20240101T000000\n" HF HE HP CTEXT,
		    sizeof(H1 HD "\0id 20240101T000000\n" HF HE HP CTEXT) - 1,
		    "bad id line" },
	};
	struct sts_cache_entry	 e;
	char			 err[160], *copy;
	size_t			 i, len;

	(void)state;
	/* the unchanged file is good */
	assert_int_equal(sts_cache_parse(CFILE, sizeof(CFILE) - 1, &e, err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t[i].len != 0 ? t[i].len : strlen(t[i].file);
		copy = malloc(len == 0 ? 1 : len);
		assert_non_null(copy);
		memcpy(copy, t[i].file, len);
		memset(&e, 0x5a, sizeof(e));
		err[0] = '\0';
		if (sts_cache_parse(copy, len, &e, err, sizeof(err)) != -1)
			fail_msg("row %zu: accepted", i);
		free(copy);
		if (strstr(err, t[i].err) == NULL)
			fail_msg("row %zu: reason \"%s\", expected \"%s\"", i,
			    err, t[i].err);
		if (!all_zero(&e, sizeof(e)))
			fail_msg("row %zu: entry not zeroed", i);
	}
}

/* Every proper prefix of a good file is refused (a torn write). */
static void
test_cache_truncated(void **state)
{
	struct sts_cache_entry	 e;
	char			 err[160], *copy;
	size_t			 len;

	(void)state;
	for (len = 0; len < sizeof(CFILE) - 1; len++) {
		copy = malloc(len == 0 ? 1 : len);
		assert_non_null(copy);
		memcpy(copy, CFILE, len);
		if (sts_cache_parse(copy, len, &e, err, sizeof(err)) != -1)
			fail_msg("prefix of %zu octets accepted", len);
		free(copy);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_err),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_many_mx),
		cmocka_unit_test(test_parse_long_name),
		cmocka_unit_test(test_mx_match),
		cmocka_unit_test(test_mode_name),
		cmocka_unit_test(test_cache_roundtrip),
		cmocka_unit_test(test_cache_format_refuses),
		cmocka_unit_test(test_cache_corrupt),
		cmocka_unit_test(test_cache_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
