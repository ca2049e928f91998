/*
 * test_smtp_addr.c: unit tests for mta/smtp_addr.c (paths, address
 * forms used in relay attacks, length limits, UTF-8, ESMTP parameters).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtp/smtp_addr.h"

#define M	SMTP_ADDR_MAIL
#define R	SMTP_ADDR_RCPT
#define U	SMTP_ADDR_UTF8

/* Expected properties. */
#define E_NULL		0x01
#define E_PM		0x02
#define E_ROUTE		0x04
#define E_ROUTING	0x08
#define E_QUOTED	0x10
#define E_LITERAL	0x20
#define E_UTF8		0x40

struct path_case {
	const char	*in;
	unsigned	 flags;
	int		 code;		/* 0: must succeed */
	const char	*dsn;		/* on failure */
	const char	*addr;		/* on success */
	const char	*domain_lc;	/* on success, NULL: don't check */
	unsigned	 expect;
};

static const struct path_case path_cases[] = {
	/* ordinary */
	{ "<a@b.example>", M, 0, NULL, "a@b.example", "b.example", 0 },
	{ "<a@b.example>", R, 0, NULL, "a@b.example", "b.example", 0 },
	{ "<First.Last@Example.ORG>", R, 0, NULL, "First.Last@Example.ORG",
	    "example.org", 0 },
	{ "<a+tag@localhost>", R, 0, NULL, "a+tag@localhost", "localhost", 0 },
	{ "<x@1.2.3.4>", R, 0, NULL, "x@1.2.3.4", NULL, 0 },
	{ "<{a}|~'*/=?^_`#$&@d.example>", R, 0, NULL,
	    "{a}|~'*/=?^_`#$&@d.example", NULL, 0 },
	/* null path and postmaster */
	{ "<>", M, 0, NULL, "", "", E_NULL },
	{ "<>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<postmaster>", R, 0, NULL, "postmaster", "", E_PM },
	{ "<PostMaster>", R, 0, NULL, "PostMaster", "", E_PM },
	{ "<postmaster>", M, 501, "5.1.7", NULL, NULL, 0 },
	{ "<\"postmaster\">", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<@a.example:postmaster>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<abuse>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<postmaster@Example.ORG>", R, 0, NULL, "postmaster@Example.ORG",
	    "example.org", E_PM },
	/* sender-specified routing: parsed, flagged, never a relay path */
	{ "<user%other.example@local.example>", R, 0, NULL,
	    "user%other.example@local.example", "local.example", E_ROUTING },
	{ "<other.example!user@local.example>", R, 0, NULL,
	    "other.example!user@local.example", NULL, E_ROUTING },
	{ "<\"user@other.example\"@local.example>", R, 0, NULL,
	    "\"user@other.example\"@local.example", "local.example",
	    E_ROUTING | E_QUOTED },
	{ "<\"user%other\"@local.example>", R, 0, NULL,
	    "\"user%other\"@local.example", NULL, E_ROUTING | E_QUOTED },
	{ "<@relay.example:user@other.example>", R, 0, NULL,
	    "user@other.example", "other.example", E_ROUTE },
	{ "<@a.example,@b.example:u@d.example>", M, 0, NULL, "u@d.example",
	    NULL, E_ROUTE },
	{ "<@a.example,b.example:u@d.example>", R, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<@a.example;u@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<@[192.0.2.1]:u@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<@:u@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<@a.example:>", M, 501, "5.1.7", NULL, NULL, 0 },
	{ "<user@other.example@local.example>", R, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<user@other.example@local.example>", M, 501, "5.1.7", NULL, NULL,
	    0 },
	/* brackets */
	{ "user@example.org", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "user@example.org", M, 501, "5.5.2", NULL, NULL, 0 },
	{ "<user@example.org", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "user@example.org>", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "<", M, 501, "5.5.2", NULL, NULL, 0 },
	{ " <a@b.example>", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "<<a@b.example>>", R, 501, "5.1.3", NULL, NULL, 0 },
	/* spaces and junk */
	{ "< user@example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user @example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user@ example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user@example.org >", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<us er@example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user@exa mple.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user@example.org\t>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user(comment)@example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user@>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<@example.org>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<user>", M, 501, "5.1.7", NULL, NULL, 0 },
	/* local part */
	{ "<.u@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u.@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u..v@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"\"@d.example>", R, 0, NULL, "\"\"@d.example", NULL, E_QUOTED },
	{ "<\"a b\"@d.example>", R, 0, NULL, "\"a b\"@d.example", NULL,
	    E_QUOTED },
	{ "<\"a\\\"b\"@d.example>", R, 0, NULL, "\"a\\\"b\"@d.example", NULL,
	    E_QUOTED },
	{ "<\"a\x01\"@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"a\\\x01\"@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"a\x7f\"@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"abc@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"abc@d.example", R, 501, "5.5.2", NULL, NULL, 0 },
	{ "<\"abc>@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\"a>b\"@d.example>", R, 0, NULL, "\"a>b\"@d.example", NULL,
	    E_QUOTED },
	{ "<\"a\"b@d.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	/* domain */
	{ "<u@-a.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@a-.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@a--b.example>", R, 0, NULL, "u@a--b.example", NULL, 0 },
	{ "<u@a..example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@a.example.>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@.a.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@a_b.example>", R, 501, "5.1.3", NULL, NULL, 0 },
	/* address literals */
	{ "<u@[192.0.2.1]>", R, 0, NULL, "u@[192.0.2.1]", "[192.0.2.1]",
	    E_LITERAL },
	{ "<u@[IPv6:2001:db8::1]>", R, 0, NULL, "u@[IPv6:2001:db8::1]",
	    "[ipv6:2001:db8::1]", E_LITERAL },
	{ "<u@[ipv6:::1]>", R, 0, NULL, "u@[ipv6:::1]", NULL, E_LITERAL },
	{ "<u@[IPv6:::ffff:192.0.2.1]>", R, 0, NULL,
	    "u@[IPv6:::ffff:192.0.2.1]", NULL, E_LITERAL },
	{ "<u@[IPv6:2001:db8::g]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[IPv6:2001:db8:1:2:3:4:5:6:7]>", R, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<u@[IPv6:fe80::1%eth0]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[2001:db8::1]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[IPv6:]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[192.0.2]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[192.0.2.256]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[192.0.2.01]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[ 192.0.2.1]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[x-tag:foo]>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[192.0.2.1>", R, 501, "5.1.3", NULL, NULL, 0 },
	{ "<u@[192.0.2.1]x>", R, 501, "5.1.3", NULL, NULL, 0 },
	/* 8-bit without SMTPUTF8, and UTF-8 with it */
	{ "<j\xc3\xb6rg@example.org>", R, 553, "5.6.7", NULL, NULL, 0 },
	{ "<j\xc3\xb6rg@example.org>", M, 553, "5.6.7", NULL, NULL, 0 },
	{ "<joe@ex\xc3\xa4mple.org>", R, 553, "5.6.7", NULL, NULL, 0 },
	{ "<\"j\xc3\xb6rg\"@example.org>", R, 553, "5.6.7", NULL, NULL, 0 },
	{ "<j\xc3\xb6rg@example.org>", R | U, 0, NULL,
	    "j\xc3\xb6rg@example.org", NULL, E_UTF8 },
	{ "<joe@EX\xc3\x84MPLE.org>", R | U, 0, NULL,
	    "joe@EX\xc3\x84MPLE.org", "ex\xc3\x84mple.org", E_UTF8 },
	{ "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad"
	    "\xe5\x9b\xbd>", M | U, 0, NULL,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe4\xb8\xad"
	    "\xe5\x9b\xbd", NULL, E_UTF8 },
	{ "<\xf0\x9f\x98\x80@example.org>", R | U, 0, NULL,
	    "\xf0\x9f\x98\x80@example.org", NULL, E_UTF8 },
	{ "<\"\xc3\xb6 x\"@example.org>", R | U, 0, NULL,
	    "\"\xc3\xb6 x\"@example.org", NULL, E_UTF8 | E_QUOTED },
	{ "<\xc0\xaf@example.org>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\xe0\x80\xaf@example.org>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\xf0\x80\x80\xaf@example.org>", R | U, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<\xed\xa0\x80@example.org>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<\xf4\x90\x80\x80@example.org>", R | U, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<\xf5\x80\x80\x80@example.org>", R | U, 501, "5.1.3", NULL, NULL,
	    0 },
	{ "<a\xc3@example.org>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<a\x80@example.org>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<a@ex\xc0\xafmple.org>", M | U, 501, "5.1.7", NULL, NULL, 0 },
	{ "<a@[\xc3\xb6]>", R | U, 501, "5.1.3", NULL, NULL, 0 },
	{ "<a@[\xc3\xb6]>", R, 553, "5.6.7", NULL, NULL, 0 },
	/* bad role */
	{ "<a@b.example>", 0, 451, "4.3.0", NULL, NULL, 0 },
	{ "<a@b.example>", M | R, 451, "4.3.0", NULL, NULL, 0 },
};

static void
check_path(const struct path_case *c, size_t idx)
{
	struct smtp_addr	 a;
	struct reason		 why;
	const char		*rest = NULL;
	size_t			 len = strlen(c->in);
	int			 r;

	memset(&why, 0, sizeof(why));
	r = smtp_addr_parse_path(c->in, len, c->flags, &a, &rest, &why);
	if (c->code == 0) {
		if (r != 0)
			fail_msg("case %zu (%s): %d %s %s", idx, c->in,
			    why.code, why.dsn, why.text);
		assert_string_equal(a.addr, c->addr);
		assert_int_equal(a.addr_len, strlen(c->addr));
		assert_ptr_equal(rest, c->in + len);
		if (c->domain_lc != NULL)
			assert_string_equal(a.domain_lc, c->domain_lc);
		assert_int_equal(a.is_null, !!(c->expect & E_NULL));
		assert_int_equal(a.is_postmaster, !!(c->expect & E_PM));
		assert_int_equal(a.had_source_route, !!(c->expect & E_ROUTE));
		assert_int_equal(a.local_has_routing,
		    !!(c->expect & E_ROUTING));
		assert_int_equal(a.is_quoted, !!(c->expect & E_QUOTED));
		assert_int_equal(a.is_literal, !!(c->expect & E_LITERAL));
		assert_int_equal(a.is_utf8, !!(c->expect & E_UTF8));
		/* rest == NULL: nothing may follow, and nothing does */
		assert_int_equal(smtp_addr_parse_path(c->in, len, c->flags,
		    &a, NULL, &why), 0);
	} else {
		if (r != -1)
			fail_msg("case %zu (%s) succeeded: %s", idx, c->in,
			    a.addr);
		if (why.code != c->code || strcmp(why.dsn, c->dsn) != 0)
			fail_msg("case %zu (%s): got %d %s %s, want %d %s",
			    idx, c->in, why.code, why.dsn, why.text, c->code,
			    c->dsn);
		assert_true(why.text[0] != '\0');
	}
}

static void
test_path_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++)
		check_path(&path_cases[i], i);
}

static void
test_path_fields(void **state)
{
	struct smtp_addr	 a;
	struct reason		 why;
	const char		*in = "<\"Joe \\\"X\\\"\"@Mail.Example.COM> SIZE=1";
	const char		*rest;

	(void)state;
	assert_int_equal(smtp_addr_parse_path(in, strlen(in), M, &a, &rest,
	    &why), 0);
	assert_string_equal(a.local, "\"Joe \\\"X\\\"\"");
	assert_string_equal(a.local_dec, "Joe \"X\"");
	assert_string_equal(a.domain, "Mail.Example.COM");
	assert_string_equal(a.domain_lc, "mail.example.com");
	assert_string_equal(rest, " SIZE=1");
	/* trailing text refused when rest is not wanted */
	assert_int_equal(smtp_addr_parse_path(in, strlen(in), M, &a, NULL,
	    &why), -1);
	assert_int_equal(why.code, 501);
	/* why may be NULL */
	assert_int_equal(smtp_addr_parse_path("<x", 2, M, &a, NULL, NULL), -1);
	/* not NUL-terminated: only len bytes are looked at */
	assert_int_equal(smtp_addr_parse_path("<a@b.example>XYZ", 13, R, &a,
	    NULL, &why), 0);
	assert_string_equal(a.addr, "a@b.example");
	/* a NUL byte inside */
	assert_int_equal(smtp_addr_parse_path("<a\0b@c.example>", 15, R, &a,
	    NULL, &why), -1);
	assert_int_equal(smtp_addr_parse_path("<a@c.ex\0ample>", 14, R, &a,
	    NULL, &why), -1);
	assert_int_equal(smtp_addr_parse_path("<\"a\0\"@c.example>", 16, R,
	    &a, NULL, &why), -1);
}

/* Builds "<" L "@" D ">" with the given lengths into buf. */
static size_t
mkpath(char *buf, size_t size, size_t llen, size_t dlen, int quoted)
{
	size_t	p = 0, i;

	assert_true(llen + dlen + 4 < size);
	buf[p++] = '<';
	for (i = 0; i < llen; i++)
		buf[p++] = quoted && (i == 0 || i == llen - 1) ? '"' : 'l';
	buf[p++] = '@';
	/* labels of 63 separated by dots, last one shorter */
	for (i = 0; i < dlen; i++)
		buf[p++] = (i % 64 == 63) ? '.' : 'd';
	buf[p++] = '>';
	buf[p] = '\0';
	return p;
}

static void
expect_len(const char *buf, size_t len, unsigned flags, int ok,
    const char *word)
{
	struct smtp_addr	a;
	struct reason		why;
	int			r;

	r = smtp_addr_parse_path(buf, len, flags, &a, NULL, &why);
	if (ok) {
		if (r != 0)
			fail_msg("len %zu: %s", len, why.text);
	} else {
		assert_int_equal(r, -1);
		assert_int_equal(why.code, 501);
		assert_string_equal(why.dsn, flags & M ? "5.1.7" : "5.1.3");
		if (strstr(why.text, word) == NULL)
			fail_msg("len %zu: text \"%s\" lacks \"%s\"", len,
			    why.text, word);
	}
}

static void
test_length_limits(void **state)
{
	char			buf[1024];
	size_t			n;
	struct smtp_addr	a;
	struct reason		why;

	(void)state;
	/* local part: 64 octets ok, 65 not (dot-string and quoted) */
	n = mkpath(buf, sizeof(buf), 64, 10, 0);
	expect_len(buf, n, R, 1, NULL);
	n = mkpath(buf, sizeof(buf), 65, 10, 0);
	expect_len(buf, n, R, 0, "64");
	n = mkpath(buf, sizeof(buf), 64, 10, 1);
	expect_len(buf, n, M, 1, NULL);
	n = mkpath(buf, sizeof(buf), 65, 10, 1);
	expect_len(buf, n, M, 0, "64");
	/* label: 63 ok, 64 not */
	n = mkpath(buf, sizeof(buf), 1, 63, 0);
	expect_len(buf, n, R, 1, NULL);
	memcpy(buf, "<l@", 3);
	memset(buf + 3, 'd', 64);
	memcpy(buf + 67, ">", 2);
	expect_len(buf, strlen(buf), R, 0, "63");
	/* path: 256 octets with brackets ok, 257 not */
	n = mkpath(buf, sizeof(buf), 60, 256 - 60 - 3, 0);
	assert_int_equal(n, 256);
	expect_len(buf, n, R, 1, NULL);
	assert_int_equal(smtp_addr_parse_path(buf, n, R, &a, NULL, &why), 0);
	assert_int_equal(a.addr_len, 254);
	n = mkpath(buf, sizeof(buf), 60, 257 - 60 - 3, 0);
	assert_int_equal(n, 257);
	expect_len(buf, n, R, 0, "256");
	n = mkpath(buf, sizeof(buf), 64, 257 - 64 - 3, 0);
	expect_len(buf, n, M, 0, "256");
	/* the source route counts toward the path limit */
	n = mkpath(buf, sizeof(buf), 60, 256 - 60 - 3 - 4, 0);
	memmove(buf + 5, buf + 1, n);	/* "<@ab:" + rest */
	memcpy(buf, "<@ab:", 5);
	assert_int_equal(strlen(buf), 256);
	expect_len(buf, 256, R, 1, NULL);
	memmove(buf + 6, buf + 5, 252);	/* "<@abc:" */
	buf[4] = 'c';
	buf[5] = ':';
	assert_int_equal(strlen(buf), 257);
	expect_len(buf, 257, R, 0, "256");
}

static void
test_domain_valid(void **state)
{
	char	buf[300];
	size_t	i;

	(void)state;
	assert_int_equal(smtp_addr_domain_valid("example.org", 11, 0), 0);
	assert_int_equal(smtp_addr_domain_valid("example.org.", 12, 0), -1);
	assert_int_equal(smtp_addr_domain_valid("", 0, 0), -1);
	assert_int_equal(smtp_addr_domain_valid("[192.0.2.1]", 11, 0), 0);
	assert_int_equal(smtp_addr_domain_valid("[IPv6:::1]", 10, 0), 0);
	assert_int_equal(smtp_addr_domain_valid("a b", 3, 0), -1);
	assert_int_equal(smtp_addr_domain_valid("\xc3\xa4.de", 5, 0), -1);
	assert_int_equal(smtp_addr_domain_valid("\xc3\xa4.de", 5, U), 0);
	/* 255 octets ok, 256 not: labels of 63 + dots */
	for (i = 0; i < 256; i++)
		buf[i] = (i % 64 == 63) ? '.' : 'a';
	assert_int_equal(buf[254], 'a');
	assert_int_equal(smtp_addr_domain_valid(buf, 255, 0), 0);
	buf[255] = 'a';
	assert_int_equal(smtp_addr_domain_valid(buf, 256, 0), -1);
	/* label 63 ok, 64 not */
	memset(buf, 'a', 64);
	assert_int_equal(smtp_addr_domain_valid(buf, 63, 0), 0);
	assert_int_equal(smtp_addr_domain_valid(buf, 64, 0), -1);
}

static void
test_domain_match(void **state)
{
	const char *const list[] = { "example.org", "Mail.Example.NET" };

	(void)state;
	assert_int_equal(smtp_addr_domain_match("EXAMPLE.org", list, 2), 0);
	assert_int_equal(smtp_addr_domain_match("mail.example.net", list, 2),
	    1);
	assert_int_equal(smtp_addr_domain_match("sub.example.org", list, 2),
	    -1);
	assert_int_equal(smtp_addr_domain_match("example.or", list, 2), -1);
	assert_int_equal(smtp_addr_domain_match("example.org", list, 0), -1);
}

static void
test_utf8_len(void **state)
{
	static const struct {
		const char	*s;
		size_t		 want;
	} c[] = {
		{ "a", 1 }, { "\xc2\x80", 2 }, { "\xdf\xbf", 2 },
		{ "\xc1\xbf", 0 }, { "\xc0\x80", 0 }, { "\xe0\xa0\x80", 3 },
		{ "\xe0\x9f\xbf", 0 }, { "\xed\x9f\xbf", 3 },
		{ "\xed\xa0\x80", 0 }, { "\xef\xbf\xbf", 3 },
		{ "\xf0\x90\x80\x80", 4 }, { "\xf0\x8f\xbf\xbf", 0 },
		{ "\xf4\x8f\xbf\xbf", 4 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xf8\x88\x80\x80\x80", 0 }, { "\x80", 0 },
		{ "\xc3\x28", 0 }, { "\xe2\x82", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (smtp_addr_utf8_len((const unsigned char *)c[i].s,
		    strlen(c[i].s)) != c[i].want)
			fail_msg("utf8 case %zu", i);
	assert_int_equal(smtp_addr_utf8_len((const unsigned char *)"", 0), 0);
}

struct param_case {
	const char	*in;
	unsigned	 flags;
	int		 code;		/* 0: ok */
};

static const struct param_case param_cases[] = {
	{ "", M, 0 }, { "", R, 0 },
	{ " SIZE=0", M, 0 }, { " SIZE=12345", M, 0 },
	{ " size=12345", M, 0 },
	{ " SIZE=18446744073709551615", M, 0 },
	{ " SIZE=99999999999999999999", M, 0 },		/* saturates */
	{ " SIZE=123456789012345678901", M, 501 },	/* 21 digits */
	{ " SIZE=", M, 501 }, { " SIZE", M, 501 }, { " SIZE=-1", M, 501 },
	{ " SIZE=1k", M, 501 }, { " SIZE=+1", M, 501 },
	{ " SIZE=1 SIZE=2", M, 555 },
	{ " BODY=7BIT", M, 0 }, { " BODY=8bitmime", M, 0 },
	{ " BODY=BINARYMIME", M, 501 }, { " BODY=", M, 501 },
	{ " BODY", M, 501 }, { " BODY=8BIT", M, 501 },
	{ " SMTPUTF8", M, 0 }, { " smtputf8", M, 0 },
	{ " SMTPUTF8=yes", M, 501 },
	{ " RET=FULL", M, 0 }, { " RET=hdrs", M, 0 }, { " RET=ALL", M, 501 },
	{ " ENVID=QQ314159", M, 0 }, { " ENVID=a+2Bb", M, 0 },
	{ " ENVID=a+2bb", M, 501 }, { " ENVID=a+2", M, 501 },
	{ " ENVID=a+00", M, 501 }, { " ENVID=a+0A", M, 501 },
	{ " ENVID=a+20b", M, 0 }, { " ENVID=+", M, 501 },
	{ " REQUIRETLS", M, 0 }, { " REQUIRETLS=1", M, 501 },
	{ " AUTH=<>", M, 0 }, { " AUTH=e+3Dmc2@example.com", M, 0 },
	{ " AUTH=e=mc2@example.com", M, 501 }, { " AUTH=", M, 501 },
	{ " SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x REQUIRETLS "
	    "AUTH=<>", M, 0 },
	{ " NOTIFY=NEVER", R, 0 }, { " NOTIFY=SUCCESS,FAILURE,DELAY", R, 0 },
	{ " notify=delay,success", R, 0 }, { " NOTIFY=FAILURE", R, 0 },
	{ " NOTIFY=NEVER,SUCCESS", R, 501 }, { " NOTIFY=SUCCESS,NEVER", R, 501 },
	{ " NOTIFY=SUCCESS,SUCCESS", R, 501 }, { " NOTIFY=", R, 501 },
	{ " NOTIFY=SUCCESS,", R, 501 }, { " NOTIFY=,SUCCESS", R, 501 },
	{ " NOTIFY=ALWAYS", R, 501 },
	{ " ORCPT=rfc822;bob@example.com", R, 0 },
	{ " ORCPT=RFC822;bob+2Bx@example.com", R, 0 },
	{ " ORCPT=rfc822;", R, 501 }, { " ORCPT=;bob@example.com", R, 501 },
	{ " ORCPT=bob@example.com", R, 501 },
	{ " ORCPT=rfc 822;x", R, 501 },
	{ " ORCPT=rfc822;b+zz", R, 501 },
	{ " NOTIFY=NEVER ORCPT=rfc822;x@y", R, 0 },
	{ " NOTIFY=NEVER NOTIFY=NEVER", R, 555 },
	/* wrong command, unknown */
	{ " NOTIFY=NEVER", M, 555 }, { " SIZE=1", R, 555 },
	{ " ORCPT=rfc822;x", M, 555 }, { " RET=FULL", R, 555 },
	{ " XFOO", M, 555 }, { " X-FOO=bar", R, 555 },
	/* separators */
	{ "SIZE=1", M, 501 }, { "  SIZE=1", M, 501 }, { " SIZE=1 ", M, 501 },
	{ " SIZE=1  BODY=7BIT", M, 501 }, { " ", M, 501 },
	{ " SIZE=1\tBODY=7BIT", M, 501 }, { " =1", M, 501 },
	{ " -X=1", M, 501 }, { " SI_ZE=1", M, 501 },
	{ " SIZE==1", M, 501 }, { " SIZE=1=2", M, 501 },
	{ " ENVID=a\x7f", M, 501 }, { " ENVID=\xc3\xa4", M, 501 },
	{ " AUTH=\xc3\xa4@x", M | U, 0 }, { " AUTH=\xc3@x", M | U, 501 },
	{ " SIZE=1", 0, 451 },
};

static void
test_params_table(void **state)
{
	struct smtp_params	p;
	struct reason		why;
	size_t			i;
	int			r;

	(void)state;
	for (i = 0; i < sizeof(param_cases) / sizeof(param_cases[0]); i++) {
		const struct param_case *c = &param_cases[i];

		memset(&why, 0, sizeof(why));
		r = smtp_addr_parse_params(c->in, strlen(c->in), c->flags, &p,
		    &why);
		if (c->code == 0 && r != 0)
			fail_msg("param case %zu (%s): %d %s %s", i, c->in,
			    why.code, why.dsn, why.text);
		if (c->code != 0 && (r != -1 || why.code != c->code))
			fail_msg("param case %zu (%s): got %d %d, want %d", i,
			    c->in, r, why.code, c->code);
		if (c->code == 501 || c->code == 555)
			assert_string_equal(why.dsn, "5.5.4");
	}
}

static void
test_params_values(void **state)
{
	struct smtp_params	 p;
	struct reason		 why;
	const char		*s;
	char			 big[400];

	(void)state;
	s = " SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B314 "
	    "REQUIRETLS AUTH=e+3Dmc2@example.com";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), M, &p, &why), 0);
	assert_int_equal(p.has_size, 1);
	assert_true(p.size == 100);
	assert_int_equal(p.body, SMTP_ADDR_BODY_8BITMIME);
	assert_int_equal(p.smtputf8, 1);
	assert_int_equal(p.ret, SMTP_ADDR_RET_HDRS);
	assert_int_equal(p.has_envid, 1);
	assert_string_equal(p.envid, "QQ+314");
	assert_int_equal(p.requiretls, 1);
	assert_int_equal(p.has_auth, 1);
	assert_int_equal(p.auth_null, 0);
	assert_string_equal(p.auth, "e=mc2@example.com");

	s = " SIZE=99999999999999999999";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), M, &p, &why), 0);
	assert_true(p.size == UINT64_MAX);
	s = " SIZE=18446744073709551614";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), M, &p, &why), 0);
	assert_true(p.size == UINT64_MAX - 1);
	s = " AUTH=<>";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), M, &p, &why), 0);
	assert_int_equal(p.auth_null, 1);

	s = " NOTIFY=delay,SUCCESS ORCPT=rfc822;Bob+2BX+20Y@example.com";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), R, &p, &why), 0);
	assert_int_equal(p.notify,
	    SMTP_ADDR_NOTIFY_DELAY | SMTP_ADDR_NOTIFY_SUCCESS);
	assert_int_equal(p.has_orcpt, 1);
	assert_string_equal(p.orcpt_type, "rfc822");
	assert_string_equal(p.orcpt, "Bob+X Y@example.com");
	s = " NOTIFY=NEVER";
	assert_int_equal(smtp_addr_parse_params(s, strlen(s), R, &p, &why), 0);
	assert_int_equal(p.notify, SMTP_ADDR_NOTIFY_NEVER);

	/* ENVID: 100 decoded characters ok, 101 not */
	memcpy(big, " ENVID=", 7);
	memset(big + 7, 'e', 100);
	assert_int_equal(smtp_addr_parse_params(big, 107, M, &p, &why), 0);
	assert_int_equal(strlen(p.envid), 100);
	memset(big + 7, 'e', 101);
	assert_int_equal(smtp_addr_parse_params(big, 108, M, &p, &why), -1);
	/* 100 encoded as +41 each: 300 octets, decodes to 100 */
	for (size_t i = 0; i < 100; i++)
		memcpy(big + 7 + 3 * i, "+41", 3);
	assert_int_equal(smtp_addr_parse_params(big, 307, M, &p, &why), 0);
	assert_int_equal(strlen(p.envid), 100);
	/* not NUL-terminated: only len counts */
	assert_int_equal(smtp_addr_parse_params(" SMTPUTF8 XBAD", 9, M, &p,
	    &why), 0);
	assert_int_equal(p.smtputf8, 1);
}

static void
test_parse_arg(void **state)
{
	struct smtp_addr	 a;
	struct smtp_params	 p;
	struct reason		 why;
	const char		*s;

	(void)state;
	s = "<a@b.example> SIZE=10";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M, &a, &p, &why),
	    0);
	assert_string_equal(a.addr, "a@b.example");
	assert_true(p.size == 10);
	s = "<a@b.example>junk";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M, &a, &p, &why),
	    -1);
	assert_int_equal(why.code, 501);
	s = "<a@b.example> ";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), R, &a, &p, &why),
	    -1);
	/* UTF-8 sender: needs SMTPUTF8 on the command, even if offered */
	s = "<j\xc3\xb6rg@example.org>";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M | U, &a, &p,
	    &why), -1);
	assert_int_equal(why.code, 553);
	assert_string_equal(why.dsn, "5.6.7");
	s = "<j\xc3\xb6rg@example.org> SMTPUTF8";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M | U, &a, &p,
	    &why), 0);
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M, &a, &p, &why),
	    -1);
	assert_int_equal(why.code, 553);
	/* RCPT in an SMTPUTF8 transaction */
	s = "<j\xc3\xb6rg@example.org> NOTIFY=NEVER";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), R | U, &a, &p,
	    &why), 0);
	s = "<postmaster> NOTIFY=SUCCESS";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), R, &a, &p, &why),
	    0);
	assert_int_equal(a.is_postmaster, 1);
	s = "<> SIZE=5 BODY=7BIT";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M, &a, &p, &why),
	    0);
	assert_int_equal(a.is_null, 1);
	assert_int_equal(p.body, SMTP_ADDR_BODY_7BIT);
	s = "<a@b.example> FOO=1";
	assert_int_equal(smtp_addr_parse_arg(s, strlen(s), M, &a, &p, &why),
	    -1);
	assert_int_equal(why.code, 555);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_path_fields),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_domain_valid),
		cmocka_unit_test(test_domain_match),
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_params_table),
		cmocka_unit_test(test_params_values),
		cmocka_unit_test(test_parse_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
