/*
 * test_verdict.c: unit tests for policy/verdict.c, the precedence of
 * doc/design.md §8 for one host, as a table: the table's entry, DANE
 * usable / unusable / failed / off, MTA-STS enforce and testing with
 * the host listed or not, the downgrade memory, and relays (no MTA-STS,
 * no memory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/verdict.h"

enum { NONE = VERDICT_DANE_NONE, USABLE = VERDICT_DANE_USABLE,
    UNUSABLE = VERDICT_DANE_UNUSABLE, FAILED = VERDICT_DANE_FAILED,
    OFF = VERDICT_DANE_OFF, ABSENT = VERDICT_DANE_ABSENT };

static void
test_precedence(void **state)
{
	static const struct {
		const char	*why;
		int		 req;		/* the route's requirement */
		const char	*src;		/* table, floor, relayhost */
		int		 relayed;
		int		 dane;
		int		 sts;
		int		 match;
		int		 memory;
		/* expected */
		int		 usable;
		int		 out_req;
		const char	*policy;
		const char	*out_src;
		const char	*failure;
		int		 testing;
		int		 raised;
	} t[] = {
		{ "nothing: the floor", IPC_REQ_ENCRYPT, "floor", 0, NONE,
		  VERDICT_STS_NONE, 0, 0,
		  1, IPC_REQ_ENCRYPT, "encrypt", "floor", "", 0, 0 },
		{ "usable TLSA", IPC_REQ_ENCRYPT, "floor", 0, USABLE,
		  VERDICT_STS_NONE, 0, 0,
		  1, IPC_REQ_DANE, "dane", "dane", "", 0, 0 },
		{ "only unusable TLSA: encrypt from dane", IPC_REQ_ENCRYPT,
		  "floor", 0, UNUSABLE, VERDICT_STS_NONE, 0, 0,
		  1, IPC_REQ_ENCRYPT, "encrypt", "dane", "", 0, 0 },
		{ "TLSA lookup failed: unusable host", IPC_REQ_ENCRYPT,
		  "floor", 0, FAILED, VERDICT_STS_ENFORCE, 1, 0,
		  0, IPC_REQ_ENCRYPT, "encrypt", "floor", "dnssec-invalid", 0,
		  0 },
		{ "DANE wins over MTA-STS", IPC_REQ_ENCRYPT, "floor", 0,
		  USABLE, VERDICT_STS_ENFORCE, 1, 0,
		  1, IPC_REQ_DANE, "dane", "dane", "", 0, 0 },
		{ "DANE wins even where STS does not list the host",
		  IPC_REQ_ENCRYPT, "floor", 0, USABLE, VERDICT_STS_ENFORCE, 0,
		  0, 1, IPC_REQ_DANE, "dane", "dane", "", 0, 0 },
		{ "unusable TLSA, STS enforce: mta-sts", IPC_REQ_ENCRYPT,
		  "floor", 0, UNUSABLE, VERDICT_STS_ENFORCE, 1, 0,
		  1, IPC_REQ_MTA_STS, "mta-sts", "mta-sts", "", 0, 0 },
		{ "STS enforce, listed", IPC_REQ_ENCRYPT, "floor", 0, NONE,
		  VERDICT_STS_ENFORCE, 1, 0,
		  1, IPC_REQ_MTA_STS, "mta-sts", "mta-sts", "", 0, 0 },
		{ "STS enforce, not listed", IPC_REQ_ENCRYPT, "floor", 0, NONE,
		  VERDICT_STS_ENFORCE, 0, 0,
		  0, IPC_REQ_ENCRYPT, "encrypt", "floor", "validation-failure",
		  0, 0 },
		{ "STS testing, not listed: used, reported", IPC_REQ_ENCRYPT,
		  "floor", 0, NONE, VERDICT_STS_TESTING, 0, 0,
		  1, IPC_REQ_ENCRYPT, "mta-sts-testing", "floor", "", 1, 0 },
		{ "floor verify with STS testing", IPC_REQ_VERIFY, "floor", 0,
		  NONE, VERDICT_STS_TESTING, 1, 0,
		  1, IPC_REQ_VERIFY, "mta-sts-testing", "floor", "", 1, 0 },
		{ "the table wins over DANE", IPC_REQ_ENCRYPT, "table", 0,
		  USABLE, VERDICT_STS_ENFORCE, 1, IPC_REQ_DANE,
		  1, IPC_REQ_ENCRYPT, "encrypt", "table", "", 0, 0 },
		{ "the table's cleartext-ok", IPC_REQ_CLEARTEXT_OK, "table", 0,
		  FAILED, VERDICT_STS_NONE, 0, 0,
		  1, IPC_REQ_CLEARTEXT_OK, "cleartext-ok", "table", "", 0, 0 },
		{ "dane-only with usable TLSA", IPC_REQ_DANE_ONLY, "table", 0,
		  USABLE, VERDICT_STS_NONE, 0, 0,
		  1, IPC_REQ_DANE_ONLY, "dane-only", "table", "", 0, 0 },
		{ "dane-only without TLSA", IPC_REQ_DANE_ONLY, "table", 0,
		  NONE, VERDICT_STS_NONE, 0, 0,
		  0, IPC_REQ_DANE_ONLY, "dane-only", "table", "dane-required",
		  0, 0 },
		{ "dane-only, unusable TLSA", IPC_REQ_DANE_ONLY, "table", 0,
		  UNUSABLE, VERDICT_STS_NONE, 0, 0,
		  0, IPC_REQ_DANE_ONLY, "dane-only", "table", "dane-required",
		  0, 0 },
		{ "dane-only, resolver off loopback", IPC_REQ_DANE_ONLY,
		  "table", 0, OFF, VERDICT_STS_NONE, 0, 0,
		  0, IPC_REQ_DANE_ONLY, "dane-only", "table", "dane-required",
		  0, 0 },
		{ "dane-only, lookup failed", IPC_REQ_DANE_ONLY, "table", 0,
		  FAILED, VERDICT_STS_NONE, 0, 0,
		  0, IPC_REQ_DANE_ONLY, "dane-only", "table", "dnssec-invalid",
		  0, 0 },
		{ "memory dane, TLSA gone: held", IPC_REQ_ENCRYPT, "floor", 0,
		  NONE, VERDICT_STS_NONE, 0, IPC_REQ_DANE,
		  0, IPC_REQ_DANE, "dane", "memory", "dane-required", 0, 1 },
		{ "memory dane, STS now: still held", IPC_REQ_ENCRYPT, "floor",
		  0, NONE, VERDICT_STS_ENFORCE, 1, IPC_REQ_DANE,
		  0, IPC_REQ_DANE, "dane", "memory", "dane-required", 0, 1 },
		{ "memory dane, TLSA still there", IPC_REQ_ENCRYPT, "floor", 0,
		  USABLE, VERDICT_STS_NONE, 0, IPC_REQ_DANE,
		  1, IPC_REQ_DANE, "dane", "dane", "", 0, 0 },
		{ "memory mta-sts, policy gone: PKIX and the name",
		  IPC_REQ_ENCRYPT, "floor", 0, NONE, VERDICT_STS_NONE, 0,
		  IPC_REQ_MTA_STS,
		  1, IPC_REQ_MTA_STS, "mta-sts", "memory", "", 0, 1 },
		{ "memory mta-sts, the domain now says testing: its word wins",
		  IPC_REQ_ENCRYPT, "floor", 0, NONE, VERDICT_STS_TESTING, 1,
		  IPC_REQ_MTA_STS,
		  1, IPC_REQ_ENCRYPT, "mta-sts-testing", "floor", "", 1, 0 },
		{ "memory mta-sts, the domain now says none: its word wins",
		  IPC_REQ_ENCRYPT, "floor", 0, NONE,
		  VERDICT_STS_PUBLISHED_NONE, 0, IPC_REQ_MTA_STS,
		  1, IPC_REQ_ENCRYPT, "encrypt", "floor", "", 0, 0 },
		{ "memory dane, DNSSEC proves this host has no TLSA: used",
		  IPC_REQ_ENCRYPT, "floor", 0, ABSENT, VERDICT_STS_NONE, 0,
		  IPC_REQ_DANE,
		  1, IPC_REQ_ENCRYPT, "encrypt", "floor", "", 0, 0 },
		{ "memory dane, resolver off loopback: held", IPC_REQ_ENCRYPT,
		  "floor", 0, OFF, VERDICT_STS_NONE, 0, IPC_REQ_DANE,
		  0, IPC_REQ_DANE, "dane", "memory", "dane-required", 0, 1 },
		{ "STS enforce, not listed: refused as MTA-STS's",
		  IPC_REQ_VERIFY, "floor", 0, ABSENT, VERDICT_STS_ENFORCE, 0, 0,
		  0, 0, "", "", "validation-failure", 0, 0 },
		{ "memory encrypt: nothing to raise", IPC_REQ_ENCRYPT, "floor",
		  0, NONE, VERDICT_STS_NONE, 0, IPC_REQ_ENCRYPT,
		  1, IPC_REQ_ENCRYPT, "encrypt", "floor", "", 0, 0 },
		{ "relay: DANE applies", IPC_REQ_VERIFY, "relayhost", 1, USABLE,
		  VERDICT_STS_ENFORCE, 0, IPC_REQ_DANE,
		  1, IPC_REQ_DANE, "dane", "dane", "", 0, 0 },
		{ "relay: no MTA-STS, no memory", IPC_REQ_VERIFY, "relayhost",
		  1, NONE, VERDICT_STS_ENFORCE, 0, IPC_REQ_DANE,
		  1, IPC_REQ_VERIFY, "verify", "relayhost", "", 0, 0 },
	};
	struct route_decision d;
	struct verdict_in in;
	struct verdict_host_in h;
	struct verdict_out o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.requirement = t[i].req;
		d.policy = route_req_name(t[i].req);
		d.policy_src = t[i].src;
		d.relayed = t[i].relayed;
		memset(&in, 0, sizeof(in));
		in.d = &d;
		in.sts = t[i].sts;
		in.memory = t[i].memory;
		memset(&h, 0, sizeof(h));
		h.dane = t[i].dane;
		h.dane_why = "SERVFAIL";
		h.sts_match = t[i].match;
		h.mx_secure = 1;
		verdict_host(&in, &h, &o);
		print_message("%s\n", t[i].why);
		assert_int_equal(o.usable, t[i].usable);
		assert_string_equal(o.failure, t[i].failure);
		/* a refusal names its source: TLS-Required: No lifts only
		   DANE's, MTA-STS's and the memory's */
		if (!t[i].usable && strcmp(t[i].failure,
		    "validation-failure") == 0)
			assert_string_equal(o.policy_src, "mta-sts");
		if (!t[i].usable)
			continue;
		assert_int_equal(o.requirement, t[i].out_req);
		assert_string_equal(o.policy, t[i].policy);
		assert_string_equal(o.policy_src, t[i].out_src);
		assert_int_equal(o.sts_testing, t[i].testing);
		assert_int_equal(o.raised, t[i].raised);
	}
}

/* RFC 7672 §2.2.1: DANE under an insecure MX RRset; MTA-STS still lists */
static void
test_insecure_mx(void **state)
{
	struct route_decision d;
	struct verdict_in in;
	struct verdict_host_in h;
	struct verdict_out o;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.requirement = IPC_REQ_ENCRYPT;
	d.policy = "encrypt";
	d.policy_src = "floor";
	memset(&in, 0, sizeof(in));
	in.d = &d;
	memset(&h, 0, sizeof(h));
	h.dane = VERDICT_DANE_USABLE;
	h.mx_secure = 0;
	verdict_host(&in, &h, &o);
	assert_int_equal(o.usable, 1);
	assert_int_equal(o.requirement, IPC_REQ_DANE);
	/* enforce, the host not listed: refused, DANE or not */
	in.sts = VERDICT_STS_ENFORCE;
	verdict_host(&in, &h, &o);
	assert_int_equal(o.usable, 0);
	assert_string_equal(o.failure, "validation-failure");
	assert_string_equal(o.policy_src, "mta-sts");
	/* listed: DANE */
	h.sts_match = 1;
	verdict_host(&in, &h, &o);
	assert_int_equal(o.usable, 1);
	assert_int_equal(o.requirement, IPC_REQ_DANE);
	/* a secure MX RRset: DANE wins, listed or not (RFC 8461 §2) */
	h.sts_match = 0;
	h.mx_secure = 1;
	verdict_host(&in, &h, &o);
	assert_int_equal(o.usable, 1);
	assert_int_equal(o.requirement, IPC_REQ_DANE);
}

/*
 * The table's audit-only (doc/design.md §8): the verdict is the same as
 * without it (what would be enforced is decided and logged), with the
 * audit flags set for smtpout; cleartext only with cleartext-ok.
 */
static void
test_audit_only(void **state)
{
	static const struct {
		const char	*why;
		int		 req;
		const char	*src;
		int		 dane;
		int		 sts;
		int		 match;
		int		 memory;
		int		 audit;
		int		 clear;
		/* expected */
		int		 usable;
		int		 out_req;
		const char	*failure;
		int		 out_clear;
	} t[] = {
		{ "usable TLSA: dane, audited", IPC_REQ_ENCRYPT, "floor",
		  USABLE, VERDICT_STS_NONE, 0, 0, 1, 0,
		  1, IPC_REQ_DANE, "", 0 },
		{ "dane-only without TLSA: refused, tried (audit)",
		  IPC_REQ_DANE_ONLY, "table", NONE, VERDICT_STS_NONE, 0, 0, 1,
		  0, 0, IPC_REQ_DANE_ONLY, "dane-required", 0 },
		{ "STS enforce, not listed: refused, tried (audit)",
		  IPC_REQ_ENCRYPT, "floor", NONE, VERDICT_STS_ENFORCE, 0, 0, 1,
		  0, 0, IPC_REQ_ENCRYPT, "validation-failure", 0 },
		{ "TLSA lookup failed: refused, tried (audit)",
		  IPC_REQ_ENCRYPT, "floor", FAILED, VERDICT_STS_NONE, 0, 0, 1,
		  0, 0, IPC_REQ_ENCRYPT, "dnssec-invalid", 0 },
		{ "memory dane, TLSA gone: refused, tried (audit)",
		  IPC_REQ_ENCRYPT, "floor", NONE, VERDICT_STS_NONE, 0,
		  IPC_REQ_DANE, 1, 0, 0, IPC_REQ_DANE, "dane-required", 0 },
		{ "audit with cleartext-ok: the usual sources, and cleartext",
		  IPC_REQ_ENCRYPT, "floor", USABLE, VERDICT_STS_NONE, 0, 0, 1,
		  1, 1, IPC_REQ_DANE, "", 1 },
		{ "no audit: the flags stay off", IPC_REQ_ENCRYPT, "floor",
		  USABLE, VERDICT_STS_NONE, 0, 0, 0, 0,
		  1, IPC_REQ_DANE, "", 0 },
		{ "cleartext without audit-only is no audit flag",
		  IPC_REQ_ENCRYPT, "floor", NONE, VERDICT_STS_NONE, 0, 0, 0,
		  1, 1, IPC_REQ_ENCRYPT, "", 0 },
	};
	struct route_decision d;
	struct verdict_in in;
	struct verdict_host_in h;
	struct verdict_out o, plain;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.requirement = t[i].req;
		d.policy = route_req_name(t[i].req);
		d.policy_src = t[i].src;
		d.audit_only = t[i].audit;
		d.audit_cleartext = t[i].clear;
		memset(&in, 0, sizeof(in));
		in.d = &d;
		in.sts = t[i].sts;
		in.memory = t[i].memory;
		memset(&h, 0, sizeof(h));
		h.dane = t[i].dane;
		h.dane_why = "SERVFAIL";
		h.sts_match = t[i].match;
		h.mx_secure = 1;
		verdict_host(&in, &h, &o);
		print_message("%s\n", t[i].why);
		assert_int_equal(o.usable, t[i].usable);
		assert_int_equal(o.requirement, t[i].out_req);
		assert_string_equal(o.failure, t[i].failure);
		assert_int_equal(o.audit_only, t[i].audit);
		assert_int_equal(o.audit_cleartext, t[i].out_clear);
		/* the same verdict as without audit-only */
		d.audit_only = d.audit_cleartext = 0;
		verdict_host(&in, &h, &plain);
		assert_int_equal(plain.usable, o.usable);
		assert_int_equal(plain.requirement, o.requirement);
		assert_string_equal(plain.policy, o.policy);
		assert_string_equal(plain.policy_src, o.policy_src);
		assert_string_equal(plain.failure, o.failure);
		assert_int_equal(plain.audit_only, 0);
		assert_int_equal(plain.audit_cleartext, 0);
	}
}

static void
test_rank(void **state)
{
	(void)state;
	assert_true(verdict_rank(IPC_REQ_DANE) > verdict_rank(IPC_REQ_MTA_STS));
	assert_int_equal(verdict_rank(IPC_REQ_MTA_STS),
	    verdict_rank(IPC_REQ_VERIFY));
	assert_true(verdict_rank(IPC_REQ_VERIFY) >
	    verdict_rank(IPC_REQ_ENCRYPT));
	assert_true(verdict_rank(IPC_REQ_ENCRYPT) >
	    verdict_rank(IPC_REQ_CLEARTEXT_OK));
	assert_int_equal(verdict_rank(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_insecure_mx),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_audit_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
