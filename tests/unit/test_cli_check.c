/*
 * test_cli_check.c: the pure parts of `sealpost check`
 * (mta/cli/cli_check_json.c, cli_check_facts.c, cli_check_verdict.c),
 * table-style: the JSON reader (values, escapes, every kind of malformed
 * text, depth and size limits), the policy process's explanation read
 * into facts (and refused when it is something else), and the verdicts:
 * one row per problem a domain can have (DANE mismatch, an MX the
 * MTA-STS policy does not list, no STARTTLS, an expired or unknown
 * certificate, an unsigned zone, broken DNSSEC, no TLS-RPT, a next key
 * without a TLSA record, ...), each with the level, the item and the
 * words of the text and the fix that must name it; the report's exit
 * status and its JSON form.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli_check.h"
#include "lib/buf.h"
#include "lib/tls.h"
#include "policy/dane.h"

/* cli_policy.c is not linked: cli.h's other functions are not called. */

/* ---- the JSON reader ---- */
static const struct json_case {
	const char	*in;
	int		 ok;
	const char	*why;		/* a word of the reason when refused */
} json_cases[] = {
	{ "{}", 1, NULL },
	{ " [1, -2, 0, true, false, null, \"x\"] ", 1, NULL },
	{ "{\"a\":{\"b\":[{\"c\":\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\"}]}}", 1,
	    NULL },
	{ "", 0, "ends" },
	{ "{", 0, "string" },
	{ "{\"a\" 1}", 0, "':'" },
	{ "{\"a\":1,}", 0, "string" },
	{ "[1 2]", 0, "','" },
	{ "[1,]", 0, "value" },
	{ "\"abc", 0, "unterminated" },
	{ "\"a\x01\"", 0, "control" },
	{ "\"\\x\"", 0, "escape" },
	{ "\"\\u12\"", 0, "\\u" },
	{ "\"\\u0000\"", 0, "NUL" },
	{ "\"\\ud800\"", 0, "surrogate" },
	{ "\"\\udc00\"", 0, "surrogate" },
	{ "\"\\ud800\\u0041\"", 0, "surrogate" },
	{ "01", 0, "leading zero" },
	{ "1.5", 0, "integer" },
	{ "1e3", 0, "integer" },
	{ "99999999999999999999", 0, "too large" },
	{ "tru", 0, "value" },
	{ "nul", 0, "value" },
	{ "{} x", 0, "after" },
	{ "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", 0, "deep" },
	{ "-", 0, "value" },
};

static void
test_json(void **state)
{
	struct cli_check_json doc;
	const char *why;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];

		r = cli_check_json_parse(&doc, c->in, strlen(c->in), &why);
		if (c->ok != (r == 0))
			fail_msg("case %zu '%s': %s", i, c->in, r == 0 ?
			    "accepted" : why);
		if (r == 0)
			cli_check_json_free(&doc);
		else if (strstr(why, c->why) == NULL)
			fail_msg("case %zu '%s': reason '%s' lacks '%s'", i,
			    c->in, why, c->why);
	}
}

static void
test_json_tree(void **state)
{
	static const char text[] = "{\"n\":-42,\"s\":\"a\\u00e9\\\"\","
	    "\"arr\":[1,{\"k\":true}],\"b\":false,\"z\":null}";
	struct cli_check_json doc;
	const struct cli_check_jnode *root, *a, *e;
	const char *why;

	(void)state;
	assert_int_equal(cli_check_json_parse(&doc, text, strlen(text), &why),
	    0);
	root = cli_check_json_root(&doc);
	assert_non_null(root);
	assert_int_equal(cli_check_json_num(&doc, root, "n", 0), -42);
	assert_string_equal(cli_check_json_str(&doc, root, "s"),
	    "a\xc3\xa9\"");
	assert_int_equal(cli_check_json_num(&doc, root, "b", 7), 0);
	assert_int_equal(cli_check_json_num(&doc, root, "z", 7), 7);
	assert_string_equal(cli_check_json_str(&doc, root, "n"), "");
	assert_null(cli_check_json_get(&doc, root, "missing"));
	a = cli_check_json_get(&doc, root, "arr");
	e = cli_check_json_first(&doc, a);
	assert_int_equal(e->num, 1);
	e = cli_check_json_next(&doc, e);
	assert_int_equal(cli_check_json_num(&doc, e, "k", 0), 1);
	assert_null(cli_check_json_next(&doc, e));
	cli_check_json_free(&doc);
}

/* ---- the explanation into facts ---- */
static const char explain[] =
    "{\"domain\":\"dane.test\",\"route\":\"mx\",\"table\":\"\","
    "\"dnssec_trusted\":true,\"mx_lookup\":\"records\",\"mx_secure\":true,"
    "\"hosts\":[{\"name\":\"mx.dane.test\",\"port\":25,"
    "\"addresses\":[\"127.25.1.1\",\"fd00::1\"],\"addresses_secure\":true,"
    "\"dane\":\"usable\",\"tlsa_base\":\"mx.dane.test\",\"dane_problem\":"
    "\"\",\"tlsa\":[{\"record\":\"3 1 1 00\",\"usable\":true,\"usage\":3,"
    "\"selector\":1,\"mtype\":1,\"data\":\"00112233445566778899aabbccddeeff"
    "00112233445566778899aabbccddeeff\"},{\"record\":\"0 0 1 zz\","
    "\"usable\":false,\"usage\":0,\"selector\":0,\"mtype\":1,\"data\":"
    "\"zz\"}],\"used\":true,\"policy\":\"dane\",\"policy_src\":\"dane\","
    "\"failure\":\"\",\"reason\":\"\"}],"
    "\"mta_sts\":{\"consulted\":true,\"record_id\":\"7\",\"record\":\"ok\","
    "\"policy\":true,\"mode\":\"enforce\",\"max_age\":604800,"
    "\"mx\":[\"*.dane.test\"],\"failure\":\"\",\"detail\":\"\"},"
    "\"tlsrpt\":{\"lookup\":\"records\",\"problem\":\"\",\"secure\":true,"
    "\"records\":[\"v=TLSRPTv1; rua=mailto:r@dane.test\"]},"
    "\"memory\":{\"level\":\"none\"},"
    "\"result\":{\"status\":\"deliver\",\"dsn\":\"\",\"failure\":\"\","
    "\"text\":\"\"}}\n";

static struct cli_check_facts tf;
static struct cli_check_report tr;

static void
test_facts(void **state)
{
	const char *why;

	(void)state;
	memset(&tf, 0, sizeof(tf));
	assert_int_equal(cli_check_facts_json(&tf, explain, strlen(explain),
	    &why), 0);
	assert_string_equal(tf.domain, "dane.test");
	assert_true(tf.dnssec_trusted && tf.mx_secure);
	assert_int_equal(tf.nhosts, 1);
	assert_string_equal(tf.host[0].name, "mx.dane.test");
	assert_int_equal(tf.host[0].naddr, 2);
	assert_string_equal(tf.host[0].addr[1], "fd00::1");
	assert_int_equal(tf.host[0].ntlsa, 2);
	assert_int_equal(tf.host[0].tlsa[0].len, 32);
	assert_int_equal(tf.host[0].tlsa[0].data[31], 0xff);
	assert_true(tf.host[0].tlsa[0].usable);
	assert_int_equal(tf.host[0].tlsa[1].len, 0);	/* bad hex */
	assert_string_equal(tf.sts_mode, "enforce");
	assert_int_equal(tf.sts_max_age, 604800);
	assert_int_equal(tf.nsts_mx, 1);
	assert_int_equal(tf.ntlsrpt, 1);
	assert_string_equal(tf.result, "deliver");
	/* something else than an explanation */
	assert_int_equal(cli_check_facts_json(&tf, "[1]", 3, &why), -1);
	assert_non_null(strstr(why, "explanation"));
	assert_int_equal(cli_check_facts_json(&tf, "{\"domain\":1", 11, &why),
	    -1);
}

/* ---- the verdicts ---- */

/*
 * The base: dane.test with one good host (DANE-EE matches, PKIX valid,
 * TLS 1.3), MTA-STS enforce listing it, TLS-RPT: every item ok.
 */
static void
base_facts(struct cli_check_facts *f)
{
	struct cli_check_host *h;
	struct cli_check_probe *p;
	const char *why;
	size_t j;

	memset(f, 0, sizeof(*f));
	assert_int_equal(cli_check_facts_json(f, explain, strlen(explain),
	    &why), 0);
	f->now = 1800000000;
	f->probed = 1;
	h = &f->host[0];
	h->ntlsa = 1;			/* the usable record only */
	h->nprobe = 1;
	p = &h->probe[0];
	(void)strlcpy(p->addr, "127.25.1.1", sizeof(p->addr));
	p->connected = p->ehlo = p->starttls = p->tls = 1;
	(void)strlcpy(p->version, "TLSv1.3", sizeof(p->version));
	(void)strlcpy(p->cipher, "TLS_AES_256_GCM_SHA384", sizeof(p->cipher));
	p->pkix = TLS_VERIFY_OK;
	p->not_after = f->now + 90 * 86400;
	(void)strlcpy(p->leaf_spki, "aaaabbbb", sizeof(p->leaf_spki));
	for (j = 0; j < CLI_CHECK_TLSA; j++)
		p->tlsa[j] = -1;
	p->tlsa[0] = DANE_OK_EE;
}

static struct cli_check_self ts;

static void
base_self(struct cli_check_facts *f, int next_matches)
{
	struct cli_check_tlsa *t = &f->host[0].tlsa[0];

	memset(&ts, 0, sizeof(ts));
	(void)strlcpy(ts.hostname, "mx.dane.test", sizeof(ts.hostname));
	ts.ncur = ts.nnext = 1;
	(void)strlcpy(ts.cur[0].file, "/etc/cur.pem", sizeof(ts.cur[0].file));
	memcpy(ts.cur[0].spki_sha256, t->data, 32);
	(void)strlcpy(ts.next[0].file, "/etc/next.key",
	    sizeof(ts.next[0].file));
	memset(ts.next[0].spki_sha256, 0x77, 32);
	if (next_matches)
		memcpy(ts.next[0].spki_sha256, t->data, 32);
	f->self = &ts;
}

enum mod {
	M_NONE, M_DANE_MISMATCH, M_DANE_STALE, M_STS_UNLISTED, M_NOSTARTTLS,
	M_STS_EXPIRED, M_STS_UNTRUSTED, M_UNSIGNED, M_MX_BOGUS, M_TLSA_BOGUS,
	M_NO_TLSRPT, M_TWO_TLSRPT, M_TLSRPT_NO_RUA, M_STS_TESTING,
	M_STS_FETCH, M_NO_CONNECT, M_HANDSHAKE, M_UNUSABLE, M_NOMX,
	M_RESOLVER, M_SELF_NEXT, M_SELF_NEXT_OK, M_SELF_CUR, M_EXPIRES,
	M_DANE_NAME, M_STS_SHORT_AGE, M_NXDOMAIN, M_NO_STS_NO_DANE,
	M_PINS_CERT,
};

static void
apply(struct cli_check_facts *f, int m)
{
	struct cli_check_host *h = &f->host[0];
	struct cli_check_probe *p = &h->probe[0];

	switch (m) {
	case M_DANE_MISMATCH:
		p->tlsa[0] = DANE_FAIL_NOMATCH;
		break;
	case M_DANE_STALE:		/* a second record that matches */
		h->tlsa[1] = h->tlsa[0];
		h->tlsa[1].data[0] ^= 1;
		(void)strlcpy(h->tlsa[1].hex, "01112233",
		    sizeof(h->tlsa[1].hex));
		h->ntlsa = 2;
		p->tlsa[1] = DANE_FAIL_NOMATCH;
		break;
	case M_DANE_NAME:
		h->tlsa[0].usage = 2;
		p->tlsa[0] = DANE_FAIL_NAME;
		break;
	case M_STS_UNLISTED:		/* no DANE: MTA-STS chooses */
		(void)strlcpy(h->dane, "none", sizeof(h->dane));
		h->addr_secure = 0;
		(void)strlcpy(f->sts_mx[0], "mx.elsewhere.test",
		    sizeof(f->sts_mx[0]));
		break;
	case M_NOSTARTTLS:
		p->starttls = p->tls = 0;
		break;
	case M_STS_EXPIRED:
	case M_STS_UNTRUSTED:
		(void)strlcpy(h->dane, "none", sizeof(h->dane));
		h->addr_secure = 0;
		p->pkix = m == M_STS_EXPIRED ? TLS_VERIFY_EXPIRED :
		    TLS_VERIFY_UNTRUSTED;
		(void)strlcpy(p->pkix_detail, m == M_STS_EXPIRED ?
		    "expired or not yet valid" : "issuer unknown",
		    sizeof(p->pkix_detail));
		break;
	case M_UNSIGNED:
		f->mx_secure = 0;
		h->addr_secure = 0;
		(void)strlcpy(h->dane, "none", sizeof(h->dane));
		break;
	case M_MX_BOGUS:
		(void)strlcpy(f->mx_lookup, "failed", sizeof(f->mx_lookup));
		(void)strlcpy(f->result, "defer", sizeof(f->result));
		(void)strlcpy(f->result_failure, "dnssec-invalid",
		    sizeof(f->result_failure));
		(void)strlcpy(f->result_text, "MX lookup: SERVFAIL",
		    sizeof(f->result_text));
		f->nhosts = 0;
		break;
	case M_TLSA_BOGUS:
		(void)strlcpy(h->dane, "failed", sizeof(h->dane));
		(void)strlcpy(h->dane_problem, "SERVFAIL",
		    sizeof(h->dane_problem));
		h->ntlsa = 0;
		h->nprobe = 0;
		break;
	case M_NO_TLSRPT:
		(void)strlcpy(f->tlsrpt_lookup, "no records",
		    sizeof(f->tlsrpt_lookup));
		f->ntlsrpt = 0;
		break;
	case M_TWO_TLSRPT:
		f->ntlsrpt = 2;
		(void)strlcpy(f->tlsrpt[1], "v=TLSRPTv1; rua=mailto:x@y",
		    sizeof(f->tlsrpt[1]));
		break;
	case M_TLSRPT_NO_RUA:
		(void)strlcpy(f->tlsrpt[0], "v=TLSRPTv1; ruf=mailto:x@y",
		    sizeof(f->tlsrpt[0]));
		break;
	case M_STS_TESTING:
		(void)strlcpy(f->sts_mode, "testing", sizeof(f->sts_mode));
		break;
	case M_STS_FETCH:
		f->sts_policy = 0;
		(void)strlcpy(f->sts_failure, "sts-webpki-invalid",
		    sizeof(f->sts_failure));
		break;
	case M_NO_CONNECT:
		p->connected = p->ehlo = p->starttls = p->tls = 0;
		(void)strlcpy(p->error, "cannot connect to port 25: Connection "
		    "refused", sizeof(p->error));
		break;
	case M_HANDSHAKE:
		p->tls = 0;
		(void)strlcpy(p->error, "the TLS handshake failed: bad record",
		    sizeof(p->error));
		break;
	case M_UNUSABLE:
		(void)strlcpy(h->dane, "unusable", sizeof(h->dane));
		h->tlsa[0].usable = 0;
		h->tlsa[0].usage = 0;
		break;
	case M_NOMX:
		(void)strlcpy(f->mx_lookup, "no records", sizeof(f->mx_lookup));
		break;
	case M_NXDOMAIN:
		(void)strlcpy(f->mx_lookup, "no such name",
		    sizeof(f->mx_lookup));
		f->nhosts = 0;
		break;
	case M_RESOLVER:
		f->dnssec_trusted = 0;
		(void)strlcpy(h->dane, "off (resolver not on loopback)",
		    sizeof(h->dane));
		break;
	case M_SELF_NEXT:
		base_self(f, 0);
		break;
	case M_SELF_NEXT_OK:
		base_self(f, 1);
		break;
	case M_SELF_CUR:
		base_self(f, 1);
		memset(ts.cur[0].spki_sha256, 0x55, 32);
		break;
	case M_EXPIRES:
		p->not_after = f->now + 3 * 86400;
		break;
	case M_STS_SHORT_AGE:
		f->sts_max_age = 3600;
		break;
	case M_NO_STS_NO_DANE:
		(void)strlcpy(h->dane, "none", sizeof(h->dane));
		h->addr_secure = 0;
		(void)strlcpy(f->sts_record, "none", sizeof(f->sts_record));
		f->sts_policy = 0;
		break;
	case M_PINS_CERT:
		h->tlsa[0].selector = 0;
		break;
	}
}

static const struct verdict_case {
	const char	*name;
	int		 mod;
	int		 worst;		/* enum cli_check_level */
	int		 level;		/* of the item named */
	const char	*what;		/* a word of the item's subject */
	const char	*text;		/* a word of its text */
	const char	*fix;		/* a word of its fix, or NULL */
} verdict_cases[] = {
	{ "all good", M_NONE, CLI_CHECK_OK, CLI_CHECK_OK, "TLSA mx.dane.test "
	    "3 1 1", "matches the certificate 127.25.1.1 serves", NULL },
	{ "DANE mismatch", M_DANE_MISMATCH, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "TLSA mx.dane.test 3 1 1 0011", "does not match the certificate "
	    "127.25.1.1 serves (tlsa-invalid", "publish \"_25._tcp.mx.dane."
	    "test. IN TLSA 3 1 1 aaaabbbb\"" },
	{ "stale record next to a good one", M_DANE_STALE, CLI_CHECK_WARN,
	    CLI_CHECK_WARN, "TLSA mx.dane.test 3 1 1 0111", "another record "
	    "does", "remove the stale record" },
	{ "DANE-TA wrong name", M_DANE_NAME, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "TLSA mx.dane.test 2 1 1", "certificate-host-mismatch",
	    "names mx.dane.test" },
	{ "STS enforce, MX unlisted", M_STS_UNLISTED, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "MTA-STS mx mx.dane.test", "not listed",
	    "add \"mx: mx.dane.test\"" },
	{ "no STARTTLS", M_NOSTARTTLS, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "mx.dane.test 127.25.1.1", "does not offer STARTTLS",
	    "enable STARTTLS" },
	{ "expired certificate under STS", M_STS_EXPIRED, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "certificate mx.dane.test", "expired",
	    "renew it" },
	{ "unknown CA under STS", M_STS_UNTRUSTED, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "certificate mx.dane.test", "issuer unknown",
	    "public CA" },
	{ "unsigned zone", M_UNSIGNED, CLI_CHECK_WARN, CLI_CHECK_WARN, "MX",
	    "unsigned zone", "sign the zone" },
	{ "bogus DNSSEC on the MX", M_MX_BOGUS, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "MX", "dnssec-invalid", "re-sign" },
	{ "TLSA SERVFAIL", M_TLSA_BOGUS, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "TLSA mx.dane.test", "dnssec-invalid", "re-sign the zone" },
	{ "no TLS-RPT", M_NO_TLSRPT, CLI_CHECK_WARN, CLI_CHECK_WARN,
	    "TLS-RPT", "no _smtp._tls.dane.test", "v=TLSRPTv1; rua=mailto:" },
	{ "two TLS-RPT", M_TWO_TLSRPT, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "TLS-RPT", "2 v=TLSRPTv1 records", "exactly one" },
	{ "TLS-RPT without rua", M_TLSRPT_NO_RUA, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "TLS-RPT", "no rua=", "rua=mailto:" },
	{ "STS testing", M_STS_TESTING, CLI_CHECK_WARN, CLI_CHECK_WARN,
	    "MTA-STS policy", "mode testing", "enforce" },
	{ "STS policy not fetched", M_STS_FETCH, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "MTA-STS policy", "sts-webpki-invalid",
	    "https://mta-sts.dane.test" },
	{ "STS short max_age", M_STS_SHORT_AGE, CLI_CHECK_WARN,
	    CLI_CHECK_WARN, "MTA-STS max_age", "3600", "604800" },
	{ "nothing listens", M_NO_CONNECT, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "mx.dane.test 127.25.1.1", "Connection refused", "port 25" },
	{ "broken handshake", M_HANDSHAKE, CLI_CHECK_FAIL, CLI_CHECK_FAIL,
	    "mx.dane.test 127.25.1.1", "bad record", "TLS 1.2" },
	{ "only unusable TLSA", M_UNUSABLE, CLI_CHECK_WARN, CLI_CHECK_WARN,
	    "TLSA mx.dane.test", "only unusable", "3 1 1" },
	{ "implicit MX", M_NOMX, CLI_CHECK_WARN, CLI_CHECK_WARN, "MX",
	    "implicit MX", "publish an MX" },
	{ "no such domain", M_NXDOMAIN, CLI_CHECK_FAIL, CLI_CHECK_FAIL, "MX",
	    "NXDOMAIN", "spelling" },
	{ "resolver off loopback", M_RESOLVER, CLI_CHECK_WARN, CLI_CHECK_WARN,
	    "resolver", "not on loopback", "dns_resolver = 127.0.0.1" },
	{ "expires soon", M_EXPIRES, CLI_CHECK_WARN, CLI_CHECK_WARN,
	    "certificate mx.dane.test", "expires in 3 days", "renew" },
	{ "neither DANE nor STS", M_NO_STS_NO_DANE, CLI_CHECK_WARN,
	    CLI_CHECK_WARN, "MTA-STS", "strip TLS", "publish MTA-STS" },
	{ "3 0 x pins the certificate", M_PINS_CERT, CLI_CHECK_WARN,
	    CLI_CHECK_WARN, "TLSA mx.dane.test 3 0 1", "every renewal",
	    "3 1 1" },
	{ "self: next key unpublished", M_SELF_NEXT, CLI_CHECK_WARN,
	    CLI_CHECK_WARN, "next key /etc/next.key", "next key "
	    "(tls_next_key_file /etc/next.key)", "before the switch" },
	{ "self: next key published", M_SELF_NEXT_OK, CLI_CHECK_OK,
	    CLI_CHECK_OK, "next key /etc/next.key", "matches it", NULL },
	{ "self: current key unpublished", M_SELF_CUR, CLI_CHECK_FAIL,
	    CLI_CHECK_FAIL, "key /etc/cur.pem", "no 3 x x record",
	    "at once" },
};

static void
test_verdicts(void **state)
{
	size_t i, k;
	int worst;

	(void)state;
	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]);
	    i++) {
		const struct verdict_case *c = &verdict_cases[i];

		base_facts(&tf);
		apply(&tf, c->mod);
		worst = cli_check_judge(&tf, &tr);
		if (worst != c->worst) {
			for (k = 0; k < tr.n; k++)
				print_message("  %d %s: %s\n",
				    tr.item[k].level, tr.item[k].what,
				    tr.item[k].text);
			fail_msg("%s: worst %d, want %d", c->name, worst,
			    c->worst);
		}
		for (k = 0; k < tr.n; k++)
			if (strstr(tr.item[k].what, c->what) != NULL &&
			    tr.item[k].level == c->level &&
			    strstr(tr.item[k].text, c->text) != NULL &&
			    (c->fix == NULL ||
			    strstr(tr.item[k].fix, c->fix) != NULL))
				break;
		if (k == tr.n) {
			for (k = 0; k < tr.n; k++)
				print_message("  %d %s: %s | %s\n",
				    tr.item[k].level, tr.item[k].what,
				    tr.item[k].text, tr.item[k].fix);
			fail_msg("%s: no item %s / %s / %s", c->name,
			    c->what, c->text, c->fix ? c->fix : "-");
		}
		/* every item that is not ok says what to do */
		for (k = 0; k < tr.n; k++)
			if (tr.item[k].level != CLI_CHECK_OK &&
			    tr.item[k].fix[0] == '\0')
				fail_msg("%s: item %s has no fix", c->name,
				    tr.item[k].what);
	}
}

static void
test_key_match(void **state)
{
	struct cli_check_key k;
	struct cli_check_tlsa t;

	(void)state;
	memset(&k, 0, sizeof(k));
	memset(&t, 0, sizeof(t));
	memset(k.spki_sha256, 1, 32);
	memset(k.spki_sha512, 2, 64);
	t.usage = 3;
	t.selector = 1;
	t.mtype = 1;
	t.len = 32;
	memset(t.data, 1, 32);
	assert_int_equal(cli_check_key_match(&k, &t), 1);
	t.data[5] = 0;
	assert_int_equal(cli_check_key_match(&k, &t), 0);
	t.mtype = 2;
	t.len = 64;
	memset(t.data, 2, 64);
	assert_int_equal(cli_check_key_match(&k, &t), 1);
	t.len = 32;			/* a digest of the wrong length */
	assert_int_equal(cli_check_key_match(&k, &t), 0);
	t.selector = 0;			/* the certificate, of a bare key */
	assert_int_equal(cli_check_key_match(&k, &t), -1);
	k.have_cert = 1;
	memset(k.cert_sha512, 2, 64);
	t.len = 64;
	assert_int_equal(cli_check_key_match(&k, &t), 1);
	t.mtype = 0;			/* whole: not kept */
	assert_int_equal(cli_check_key_match(&k, &t), -1);
	(void)strlcpy(k.error, "unreadable", sizeof(k.error));
	assert_int_equal(cli_check_key_match(&k, &t), 0);
}

static void
test_report(void **state)
{
	struct cli_check_json doc;
	struct buf b;
	const char *why;

	(void)state;
	assert_int_equal(cli_check_exit(CLI_CHECK_OK), 0);
	assert_int_equal(cli_check_exit(CLI_CHECK_WARN), 1);
	assert_int_equal(cli_check_exit(CLI_CHECK_FAIL), 2);
	base_facts(&tf);
	apply(&tf, M_SELF_NEXT);
	(void)strlcpy(ts.tlsa_lines[0], "_25._tcp.mx.dane.test. IN TLSA 3 1 1 "
	    "00 ; current", sizeof(ts.tlsa_lines[0]));
	ts.nlines = 1;
	(void)strlcpy(tf.host[0].reason, "a \"quoted\"\nreason",
	    sizeof(tf.host[0].reason));
	(void)cli_check_judge(&tf, &tr);
	buf_init(&b, 1024 * 1024);
	assert_int_equal(cli_check_fmt_json(&b, &tf, &tr), 0);
	assert_int_equal(cli_check_json_parse(&doc, b.data, b.len, &why), 0);
	assert_string_equal(cli_check_json_str(&doc, cli_check_json_root(&doc),
	    "verdict"), "warn");
	cli_check_json_free(&doc);
	buf_free(&b);
	buf_init(&b, 1024 * 1024);
	assert_int_equal(cli_check_fmt_text(&b, &tf, &tr), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_non_null(strstr(b.data, "warn  next key /etc/next.key"));
	assert_non_null(strstr(b.data, "      fix: "));
	assert_non_null(strstr(b.data, "publish (sealpost tlsa"));
	assert_non_null(strstr(b.data, "  _25._tcp.mx.dane.test. IN TLSA"));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_tree),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_key_match),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
