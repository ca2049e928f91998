/*
 * test_route.c: unit tests for policy/route.c: next hops, the
 * administrator's table (every error, as a table of texts and the
 * message each must give), the lookup (exact, then the longest suffix)
 * and the decision of hop and requirement with and without relayhost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/route.h"

#define HEX64	"00112233445566778899aabbccddeeff" \
		"00112233445566778899AABBCCDDEEFF"

static void
test_nexthop(void **state)
{
	static const struct {
		const char	*in;
		int		 rv;
		const char	*host;
		uint16_t	 port;
		int		 nomx;
		int		 literal;
	} t[] = {
		{ "smtp.example.net", 0, "smtp.example.net", 25, 0, 0 },
		{ "SMTP.Example.NET.", 0, "smtp.example.net", 25, 0, 0 },
		{ "smtp.example.net:587", 0, "smtp.example.net", 587, 0, 0 },
		{ "[smtp.example.net]", 0, "smtp.example.net", 25, 1, 0 },
		{ "[smtp.example.net]:2525", 0, "smtp.example.net", 2525, 1,
		    0 },
		{ "192.0.2.1", 0, "192.0.2.1", 25, 1, 1 },
		{ "192.0.2.1:26", 0, "192.0.2.1", 26, 1, 1 },
		{ "[192.0.2.1]:26", 0, "192.0.2.1", 26, 1, 1 },
		{ "[2001:DB8::1]:587", 0, "2001:db8::1", 587, 1, 1 },
		{ "localhost", 0, "localhost", 25, 0, 0 },
		/* malformed */
		{ "", -1, NULL, 0, 0, 0 },
		{ "[]", -1, NULL, 0, 0, 0 },
		{ "[host", -1, NULL, 0, 0, 0 },
		{ "host:", -1, NULL, 0, 0, 0 },
		{ "host:0", -1, NULL, 0, 0, 0 },
		{ "host:65536", -1, NULL, 0, 0, 0 },
		{ "host:25x", -1, NULL, 0, 0, 0 },
		{ "host:1234567", -1, NULL, 0, 0, 0 },
		{ "[host]x", -1, NULL, 0, 0, 0 },
		{ "[host]:", -1, NULL, 0, 0, 0 },
		{ "2001:db8::1", -1, NULL, 0, 0, 0 },
		{ "ho st", -1, NULL, 0, 0, 0 },
		{ "-host.example", -1, NULL, 0, 0, 0 },
		{ "host-.example", -1, NULL, 0, 0, 0 },
		{ "a..b", -1, NULL, 0, 0, 0 },
		{ ".a", -1, NULL, 0, 0, 0 },
		{ "a\"b", -1, NULL, 0, 0, 0 },
		{ "a\\065", -1, NULL, 0, 0, 0 },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxx.example", -1, NULL, 0, 0, 0 },
	};
	struct route_nexthop h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rv = route_nexthop_parse(t[i].in, strlen(t[i].in), &h);

		if (rv != t[i].rv)
			fail_msg("'%s': %d, expected %d", t[i].in, rv, t[i].rv);
		if (rv == -1) {
			assert_int_equal(h.set, 0);
			continue;
		}
		assert_int_equal(h.set, 1);
		assert_string_equal(h.host, t[i].host);
		assert_int_equal(h.port, t[i].port);
		assert_int_equal(h.nomx, t[i].nomx);
		assert_int_equal(h.literal, t[i].literal);
	}
}

/* Every error the parser gives: the text and a part of the message. */
static void
test_parse_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} t[] = {
		{ "example.org\n", "t:1: example.org has no requirement;" },
		{ "# c\n\nexample.org bogus\n",
		    "t:3: unknown requirement 'bogus'; write encrypt, verify, "
		    "fingerprint, dane-only, cleartext-ok, audit-only or "
		    "default" },
		{ "exa$mple.org encrypt\n", "t:1: 'exa$mple.org' is not a "
		    "domain; write example.org" },
		{ ". encrypt\n", "t:1: '.' is not a domain" },
		{ "..example.org encrypt\n", "is not a domain" },
		{ "a..b encrypt\n", "is not a domain" },
		{ "-a.example encrypt\n", "is not a domain" },
		{ "example.org encrypt frob\n",
		    "t:1: unknown option 'frob'; allowed: relay=HOST, "
		    "relay=HOST:PORT, relay=[HOST], relay=[HOST]:PORT, auth, "
		    "audit-only, match=sha256:HEX" },
		{ "example.org encrypt relay=\n", "unknown option 'relay='" },
		{ "example.org encrypt relay=[x\n", "t:1: 'relay=[x' is not "
		    "a relay;" },
		{ "example.org encrypt relay=h:0\n", "is not a relay" },
		{ "example.org encrypt relay=a relay=b\n",
		    "t:1: relay= given twice" },
		{ "example.org encrypt auth\n", "t:1: auth without relay=" },
		{ "example.org encrypt relay=a auth auth\n",
		    "t:1: auth given twice" },
		{ "example.org default\n", "t:1: default without relay= "
		    "changes nothing" },
		/* audit-only (doc/design.md §8) */
		{ "example.org audit-only audit-only\n",
		    "t:1: audit-only given twice" },
		{ "example.org dane-only audit-only audit-only\n",
		    "t:1: audit-only given twice" },
		{ "example.org audit-only auth\n", "t:1: auth without relay=" },
		{ "example.org audit-only match=sha256:" HEX64 "\n",
		    "t:1: match= belongs to fingerprint" },
		{ "example.org audit-onl\n", "unknown requirement 'audit-onl'" },
		{ "example.org encrypt audit-only=yes\n",
		    "unknown option 'audit-only=yes'" },
		{ "example.org encrypt Audit-Only\n",
		    "unknown option 'Audit-Only'" },
		{ "example.org audit-only\nexample.org encrypt\n",
		    "t:2: example.org is already listed on line 1" },
		{ "example.org fingerprint\n", "t:1: fingerprint without "
		    "match=" },
		{ "example.org verify match=sha256:" HEX64 "\n",
		    "t:1: 'match=sha256:00112233445566778899aabbccddeeff0011"
		    "223344556677889' is not a list of names" },
		{ "example.org encrypt match=sha256:" HEX64 "\n",
		    "t:1: match= belongs to fingerprint (digests) and verify "
		    "(names) only" },
		{ "example.org encrypt match=mx.example.org\n",
		    "t:1: match= belongs to fingerprint" },
		{ "example.org verify match=a:b:c:d:e\n",
		    "is not a list of names; write match=NAME:NAME with at "
		    "most 4" },
		{ "example.org verify match=a.example match=b.example\n",
		    "t:1: match= given twice" },
		{ "example.org verify match=a..b\n", "is not a list of names" },
		{ "example.org verify match=a::b\n", "is not a list of names" },
		{ "example.org verify match=a:\n", "is not a list of names" },
		{ "example.org verify match=[a.example]\n",
		    "is not a list of names" },
		{ "example.org verify match=192.0.2.1\n",
		    "is not a list of names" },
		{ "example.org verify match=*.example.org\n",
		    "is not a list of names" },
		{ "example.org fingerprint match=sha1:" HEX64 "\n",
		    "is not a digest; write match=sha256: and 64 hex digits" },
		{ "example.org fingerprint match=sha256:0011\n",
		    "is not a digest" },
		{ "example.org fingerprint match=sha256:" HEX64 "00\n",
		    "is not a digest" },
		{ "example.org fingerprint match=sha256:"
		    "g0112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff\n", "is not a digest" },
		{ "example.org fingerprint"
		    " match=sha256:" HEX64 " match=sha256:" HEX64
		    " match=sha256:" HEX64 " match=sha256:" HEX64
		    " match=sha256:" HEX64 " match=sha256:" HEX64
		    " match=sha256:" HEX64 " match=sha256:" HEX64
		    " match=sha256:" HEX64 "\n", "more than 8 match= digests" },
		{ "example.org encrypt\nEXAMPLE.ORG. verify\n",
		    "t:2: example.org is already listed on line 1; one entry "
		    "per domain" },
		{ ".example.org encrypt\nx encrypt\n.Example.org verify\n",
		    "t:3: .example.org is already listed on line 1" },
		{ "a encrypt\nb\0 encrypt\n", "t:2: NUL byte in the file" },
		{ "example.org encrypt a b c d e f g h i j k l m n o p\n",
		    "t:1: too many fields" },
	};
	struct route_table tab;
	char err[1024];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = strlen(t[i].text);
		if (strstr(t[i].msg, "NUL") != NULL)
			len = strlen(t[i].text) + 1 + strlen(t[i].text +
			    strlen(t[i].text) + 1);
		err[0] = '\0';
		if (route_table_parse(t[i].text, len, "t", &tab, err,
		    sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, t[i].text);
		if (strstr(err, t[i].msg) == NULL)
			fail_msg("case %zu: got '%s', expected '%s'", i, err,
			    t[i].msg);
		route_table_free(&tab);
	}
}

static void
test_parse_long_line(void **state)
{
	static char text[6000];
	struct route_table tab;
	char err[1024];

	(void)state;
	memset(text, ' ', sizeof(text));
	memcpy(text, "a encrypt", 9);
	assert_int_equal(route_table_parse(text, sizeof(text), "t", &tab,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t:1: line too long"));
	route_table_free(&tab);
}

static const char table[] =
    "# the administrator's table\n"
    "\n"
    "example.org        encrypt    # the domain only\n"
    ".example.org       verify\n"
    ".deep.example.org  dane-only\n"
    "Smarthost.Test     verify     relay=[smtp.provider.net]:587 auth\n"
    "legacy.test\tcleartext-ok\trelay=mx.legacy.test\r\n"
    "routed.test        default    relay=[192.0.2.7]\n"
    "pinned.test        fingerprint match=sha256:" HEX64 "\n"
    "named.test  verify  match=hostname:.Mail.Example.NET:nexthop:"
    "dot-nexthop\n"
    "   \t  \n"
    "# end\n";

static void
test_parse_lookup(void **state)
{
	static const struct {
		const char	*domain;
		int		 line;		/* 0: no entry */
	} t[] = {
		{ "example.org", 3 },
		{ "EXAMPLE.ORG.", 3 },
		{ "a.example.org", 4 },
		{ "b.a.example.org", 4 },
		{ "deep.example.org", 4 },
		{ "x.deep.example.org", 5 },
		{ "smarthost.test", 6 },
		{ "legacy.test", 7 },
		{ "x.legacy.test", 0 },
		{ "xexample.org", 0 },
		{ "org", 0 },
		{ "other.test", 0 },
		{ "bad..name", 0 },
	};
	struct route_table tab;
	const struct route_entry *e;
	char err[1024];
	size_t i;

	(void)state;
	assert_int_equal(route_table_parse(table, sizeof(table) - 1, "t",
	    &tab, err, sizeof(err)), 0);
	assert_int_equal(tab.n, 8);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = route_lookup(&tab, t[i].domain);
		if (t[i].line == 0) {
			if (e != NULL)
				fail_msg("%s: line %d", t[i].domain, e->line);
			continue;
		}
		if (e == NULL || e->line != t[i].line)
			fail_msg("%s: line %d, expected %d", t[i].domain,
			    e ? e->line : 0, t[i].line);
	}
	e = route_lookup(&tab, "smarthost.test");
	assert_int_equal(e->requirement, IPC_REQ_VERIFY);
	assert_int_equal(e->relay.set, 1);
	assert_string_equal(e->relay.host, "smtp.provider.net");
	assert_int_equal(e->relay.port, 587);
	assert_int_equal(e->relay.nomx, 1);
	assert_int_equal(e->auth, 1);
	e = route_lookup(&tab, "pinned.test");
	assert_int_equal(e->nfp, 1);
	assert_int_equal(e->fp[0][0], 0x00);
	assert_int_equal(e->fp[0][1], 0x11);
	assert_int_equal(e->fp[0][31], 0xff);
	route_table_free(&tab);

	/* an empty file is an empty table */
	assert_int_equal(route_table_parse("", 0, "t", &tab, err,
	    sizeof(err)), 0);
	assert_int_equal(tab.n, 0);
	assert_null(route_lookup(&tab, "example.org"));
	route_table_free(&tab);
}

static void
test_decide(void **state)
{
	static const struct {
		const char	*domain;
		int		 relayhost;	/* relayhost [relay.isp.net]:25 */
		int		 floor;
		const char	*host;
		uint16_t	 port;
		int		 nomx;
		int		 relayed;
		int		 req;
		const char	*policy;
		const char	*src;
		int		 auth;
		unsigned	 nfp;
	} t[] = {
		/* without a relayhost */
		{ "other.test", 0, IPC_REQ_ENCRYPT, "other.test", 25, 0, 0,
		    IPC_REQ_ENCRYPT, "encrypt", "floor", 0, 0 },
		{ "Other.Test", 0, IPC_REQ_VERIFY, "other.test", 25, 0, 0,
		    IPC_REQ_VERIFY, "verify", "floor", 0, 0 },
		{ "example.org", 0, IPC_REQ_VERIFY, "example.org", 25, 0, 0,
		    IPC_REQ_ENCRYPT, "encrypt", "table", 0, 0 },
		{ "x.deep.example.org", 0, IPC_REQ_ENCRYPT,
		    "x.deep.example.org", 25, 0, 0, IPC_REQ_DANE_ONLY,
		    "dane-only", "table", 0, 0 },
		{ "smarthost.test", 0, IPC_REQ_ENCRYPT, "smtp.provider.net",
		    587, 1, 1, IPC_REQ_VERIFY, "verify", "table", 1, 0 },
		{ "legacy.test", 0, IPC_REQ_ENCRYPT, "mx.legacy.test", 25, 0,
		    1, IPC_REQ_CLEARTEXT_OK, "cleartext-ok", "table", 0, 0 },
		{ "routed.test", 0, IPC_REQ_VERIFY, "192.0.2.7", 25, 1, 1,
		    IPC_REQ_VERIFY, "verify", "floor", 0, 0 },
		{ "pinned.test", 0, IPC_REQ_ENCRYPT, "pinned.test", 25, 0, 0,
		    IPC_REQ_FINGERPRINT, "fingerprint", "table", 0, 1 },
		/* with relayhost = [relay.isp.net], relayhost_tls encrypt */
		{ "other.test", 1, IPC_REQ_VERIFY, "relay.isp.net", 25, 1, 1,
		    IPC_REQ_ENCRYPT, "encrypt", "relayhost", 1, 0 },
		{ "example.org", 1, IPC_REQ_VERIFY, "relay.isp.net", 25, 1, 1,
		    IPC_REQ_ENCRYPT, "encrypt", "table", 1, 0 },
		{ "a.example.org", 1, IPC_REQ_ENCRYPT, "relay.isp.net", 25, 1,
		    1, IPC_REQ_VERIFY, "verify", "table", 1, 0 },
		{ "pinned.test", 1, IPC_REQ_ENCRYPT, "relay.isp.net", 25, 1,
		    1, IPC_REQ_FINGERPRINT, "fingerprint", "table", 1, 1 },
		/* the table's relay= wins over relayhost */
		{ "legacy.test", 1, IPC_REQ_ENCRYPT, "mx.legacy.test", 25, 0,
		    1, IPC_REQ_CLEARTEXT_OK, "cleartext-ok", "table", 0, 0 },
		{ "smarthost.test", 1, IPC_REQ_ENCRYPT, "smtp.provider.net",
		    587, 1, 1, IPC_REQ_VERIFY, "verify", "table", 1, 0 },
	};
	struct route_table tab;
	struct route_nexthop rh;
	struct route_decision d;
	char err[1024];
	size_t i;

	(void)state;
	assert_int_equal(route_table_parse(table, sizeof(table) - 1, "t",
	    &tab, err, sizeof(err)), 0);
	assert_int_equal(route_nexthop_parse("[relay.isp.net]", 15, &rh), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(route_decide(&tab, t[i].domain,
		    t[i].relayhost ? &rh : NULL, IPC_REQ_ENCRYPT, t[i].floor,
		    &d), 0);
		if (strcmp(d.hop.host, t[i].host) != 0 ||
		    d.hop.port != t[i].port || d.hop.nomx != t[i].nomx ||
		    d.relayed != t[i].relayed || d.requirement != t[i].req ||
		    strcmp(d.policy, t[i].policy) != 0 ||
		    strcmp(d.policy_src, t[i].src) != 0 ||
		    d.auth != t[i].auth || d.nfp != t[i].nfp)
			fail_msg("case %zu (%s): %s:%u nomx=%d relayed=%d "
			    "req=%d %s/%s auth=%d nfp=%u", i, t[i].domain,
			    d.hop.host, d.hop.port, d.hop.nomx, d.relayed,
			    d.requirement, d.policy, d.policy_src, d.auth,
			    d.nfp);
		if (d.nmatch != 0)
			fail_msg("case %zu: match= names without them", i);
	}
	/* verify's match= names, lower-cased, in order; none for others */
	assert_int_equal(route_decide(&tab, "named.test", NULL,
	    IPC_REQ_ENCRYPT, IPC_REQ_ENCRYPT, &d), 0);
	assert_int_equal(d.requirement, IPC_REQ_VERIFY);
	assert_int_equal(d.nmatch, 4);
	assert_string_equal(d.match[0], "hostname");
	assert_string_equal(d.match[1], ".mail.example.net");
	assert_string_equal(d.match[2], "nexthop");
	assert_string_equal(d.match[3], "dot-nexthop");
	assert_int_equal(route_decide(&tab, "named.test", &rh,
	    IPC_REQ_ENCRYPT, IPC_REQ_ENCRYPT, &d), 0);
	assert_int_equal(d.nmatch, 4);
	route_table_free(&tab);
}

/* audit-only: alone (the usual sources) or after a requirement */
static void
test_audit_only(void **state)
{
	static const char text[] =
	    "audit.test        audit-only\n"
	    "dane.test         dane-only audit-only\n"
	    "clear.test        cleartext-ok audit-only\n"
	    "routed.test       audit-only relay=[192.0.2.7]\n"
	    "verified.test     verify audit-only match=nexthop\n"
	    "defaulted.test    default audit-only\n"
	    "plain.test        cleartext-ok\n";
	static const struct {
		const char	*domain;
		int		 relayhost;
		int		 req;
		const char	*src;
		int		 audit;
		int		 clear;
		unsigned	 nmatch;
	} t[] = {
		/* no requirement of its own: the floor, DANE etc. apply */
		{ "audit.test", 0, IPC_REQ_ENCRYPT, "floor", 1, 0, 0 },
		{ "audit.test", 1, IPC_REQ_VERIFY, "relayhost", 1, 0, 0 },
		/* the table's requirement is what is audited */
		{ "dane.test", 0, IPC_REQ_DANE_ONLY, "table", 1, 0, 0 },
		{ "dane.test", 1, IPC_REQ_DANE_ONLY, "table", 1, 0, 0 },
		/* with cleartext-ok: the usual sources, cleartext tolerated */
		{ "clear.test", 0, IPC_REQ_ENCRYPT, "floor", 1, 1, 0 },
		{ "clear.test", 1, IPC_REQ_VERIFY, "relayhost", 1, 1, 0 },
		{ "routed.test", 0, IPC_REQ_ENCRYPT, "floor", 1, 0, 0 },
		{ "verified.test", 0, IPC_REQ_VERIFY, "table", 1, 0, 1 },
		{ "defaulted.test", 0, IPC_REQ_ENCRYPT, "floor", 1, 0, 0 },
		/* without audit-only nothing changes */
		{ "plain.test", 0, IPC_REQ_CLEARTEXT_OK, "table", 0, 0, 0 },
		{ "other.test", 0, IPC_REQ_ENCRYPT, "floor", 0, 0, 0 },
	};
	struct route_table tab;
	struct route_nexthop rh;
	struct route_decision d;
	char err[1024];
	size_t i;

	(void)state;
	if (route_table_parse(text, sizeof(text) - 1, "t", &tab, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(tab.n, 7);
	assert_int_equal(route_lookup(&tab, "audit.test")->requirement,
	    ROUTE_REQ_DEFAULT);
	assert_int_equal(route_lookup(&tab, "plain.test")->audit_only, 0);
	assert_int_equal(route_nexthop_parse("[relay.isp.net]", 15, &rh), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(route_decide(&tab, t[i].domain,
		    t[i].relayhost ? &rh : NULL, IPC_REQ_VERIFY,
		    IPC_REQ_ENCRYPT, &d), 0);
		if (d.requirement != t[i].req ||
		    strcmp(d.policy, route_req_name(t[i].req)) != 0 ||
		    strcmp(d.policy_src, t[i].src) != 0 ||
		    d.audit_only != t[i].audit ||
		    d.audit_cleartext != t[i].clear || d.nmatch != t[i].nmatch)
			fail_msg("case %zu (%s): req=%d %s/%s audit=%d "
			    "clear=%d nmatch=%u", i, t[i].domain,
			    d.requirement, d.policy, d.policy_src,
			    d.audit_only, d.audit_cleartext, d.nmatch);
	}
	assert_int_equal(route_decide(&tab, "routed.test", NULL,
	    IPC_REQ_VERIFY, IPC_REQ_ENCRYPT, &d), 0);
	assert_int_equal(d.relayed, 1);
	assert_string_equal(d.hop.host, "192.0.2.7");
	route_table_free(&tab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_long_line),
		cmocka_unit_test(test_parse_lookup),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_audit_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
