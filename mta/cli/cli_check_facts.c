/*
 * cli_check_facts.c: the DNS side of `sealpost check` (doc/design.md §8):
 * the policy process's JSON explanation of a domain (policyd_explain.c:
 * the MX lookup and its DNSSEC state, each host with its addresses, DANE
 * state and TLSA records whole, the MTA-STS record and policy, the
 * TLS-RPT record, the plan's result) read into struct cli_check_facts.
 * A member that is missing or of another type reads as empty; strings
 * too long for their field are cut; more hosts, records or patterns than
 * the facts hold are left out. Pure: no I/O.
 * Linked by the sealpost binary, tests/unit/test_cli_check and
 * tests/fuzz/fuzz_cli_check.
 */
#include "config.h"

#include <string.h>

#include "cli_check.h"

#define CLI_CHECK_F_STR(dst, doc, obj, key) \
	(void)strlcpy((dst), cli_check_json_str((doc), (obj), (key)), \
	    sizeof(dst))

static int
cli_check_facts_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One TLSA record: {record, usable, usage, selector, mtype, data}. */
static void
cli_check_facts_tlsa(const struct cli_check_json *doc,
    const struct cli_check_jnode *o, struct cli_check_tlsa *t)
{
	const char *hex = cli_check_json_str(doc, o, "data");
	size_t n = strlen(hex), i;
	int hi, lo;

	memset(t, 0, sizeof(*t));
	t->usage = (uint8_t)cli_check_json_num(doc, o, "usage", 255);
	t->selector = (uint8_t)cli_check_json_num(doc, o, "selector", 255);
	t->mtype = (uint8_t)cli_check_json_num(doc, o, "mtype", 255);
	t->usable = cli_check_json_num(doc, o, "usable", 0) != 0;
	(void)strlcpy(t->hex, hex, sizeof(t->hex));
	if (n % 2 != 0 || n / 2 > sizeof(t->data))
		return;		/* len 0: cannot be matched here */
	for (i = 0; i < n / 2; i++) {
		hi = cli_check_facts_hexval(hex[2 * i]);
		lo = cli_check_facts_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return;
		t->data[i] = (uint8_t)(hi << 4 | lo);
	}
	t->len = n / 2;
}

static void
cli_check_facts_host(const struct cli_check_json *doc,
    const struct cli_check_jnode *o, struct cli_check_host *h)
{
	const struct cli_check_jnode *a, *e;
	long long port;

	memset(h, 0, sizeof(*h));
	CLI_CHECK_F_STR(h->name, doc, o, "name");
	port = cli_check_json_num(doc, o, "port", 25);
	h->port = port > 0 && port < 65536 ? (unsigned)port : 25;
	a = cli_check_json_get(doc, o, "addresses");
	for (e = cli_check_json_first(doc, a); e != NULL &&
	    h->naddr < CLI_CHECK_HOSTS; e = cli_check_json_next(doc, e))
		if (e->type == CLI_CHECK_JT_STR)
			(void)strlcpy(h->addr[h->naddr++], e->str,
			    sizeof(h->addr[0]));
	h->addr_secure = cli_check_json_num(doc, o, "addresses_secure", 0) !=
	    0;
	CLI_CHECK_F_STR(h->dane, doc, o, "dane");
	CLI_CHECK_F_STR(h->tlsa_base, doc, o, "tlsa_base");
	CLI_CHECK_F_STR(h->dane_problem, doc, o, "dane_problem");
	a = cli_check_json_get(doc, o, "tlsa");
	for (e = cli_check_json_first(doc, a); e != NULL &&
	    h->ntlsa < CLI_CHECK_TLSA; e = cli_check_json_next(doc, e))
		if (e->type == CLI_CHECK_JT_OBJ)
			cli_check_facts_tlsa(doc, e, &h->tlsa[h->ntlsa++]);
	h->used = cli_check_json_num(doc, o, "used", 0) != 0;
	CLI_CHECK_F_STR(h->policy, doc, o, "policy");
	CLI_CHECK_F_STR(h->policy_src, doc, o, "policy_src");
	CLI_CHECK_F_STR(h->failure, doc, o, "failure");
	CLI_CHECK_F_STR(h->reason, doc, o, "reason");
}

int
cli_check_facts_json(struct cli_check_facts *f, const char *text,
    size_t len, const char **why)
{
	struct cli_check_json doc;
	const struct cli_check_jnode *root, *o, *a, *e;

	if (cli_check_json_parse(&doc, text, len, why) == -1)
		return -1;
	root = cli_check_json_root(&doc);
	if (root == NULL || root->type != CLI_CHECK_JT_OBJ ||
	    cli_check_json_get(&doc, root, "domain") == NULL ||
	    cli_check_json_get(&doc, root, "hosts") == NULL) {
		cli_check_json_free(&doc);
		*why = "not the policy process's explanation of a domain";
		return -1;
	}
	CLI_CHECK_F_STR(f->domain, &doc, root, "domain");
	CLI_CHECK_F_STR(f->route, &doc, root, "route");
	CLI_CHECK_F_STR(f->table, &doc, root, "table");
	f->dnssec_trusted = cli_check_json_num(&doc, root, "dnssec_trusted",
	    0) != 0;
	CLI_CHECK_F_STR(f->mx_lookup, &doc, root, "mx_lookup");
	f->mx_secure = cli_check_json_num(&doc, root, "mx_secure", 0) != 0;
	f->nhosts = 0;
	a = cli_check_json_get(&doc, root, "hosts");
	for (e = cli_check_json_first(&doc, a); e != NULL &&
	    f->nhosts < CLI_CHECK_HOSTS; e = cli_check_json_next(&doc, e))
		if (e->type == CLI_CHECK_JT_OBJ)
			cli_check_facts_host(&doc, e, &f->host[f->nhosts++]);
	o = cli_check_json_get(&doc, root, "mta_sts");
	f->sts_consulted = cli_check_json_num(&doc, o, "consulted", 0) != 0;
	CLI_CHECK_F_STR(f->sts_record, &doc, o, "record");
	CLI_CHECK_F_STR(f->sts_id, &doc, o, "record_id");
	f->sts_policy = cli_check_json_num(&doc, o, "policy", 0) != 0;
	CLI_CHECK_F_STR(f->sts_mode, &doc, o, "mode");
	f->sts_max_age = cli_check_json_num(&doc, o, "max_age", 0);
	f->nsts_mx = 0;
	a = cli_check_json_get(&doc, o, "mx");
	for (e = cli_check_json_first(&doc, a); e != NULL &&
	    f->nsts_mx < CLI_CHECK_STS_MX; e = cli_check_json_next(&doc, e))
		if (e->type == CLI_CHECK_JT_STR)
			(void)strlcpy(f->sts_mx[f->nsts_mx++], e->str,
			    sizeof(f->sts_mx[0]));
	CLI_CHECK_F_STR(f->sts_failure, &doc, o, "failure");
	CLI_CHECK_F_STR(f->sts_detail, &doc, o, "detail");
	o = cli_check_json_get(&doc, root, "tlsrpt");
	CLI_CHECK_F_STR(f->tlsrpt_lookup, &doc, o, "lookup");
	CLI_CHECK_F_STR(f->tlsrpt_problem, &doc, o, "problem");
	f->tlsrpt_secure = cli_check_json_num(&doc, o, "secure", 0) != 0;
	f->ntlsrpt = 0;
	a = cli_check_json_get(&doc, o, "records");
	for (e = cli_check_json_first(&doc, a); e != NULL &&
	    f->ntlsrpt < CLI_CHECK_TXT; e = cli_check_json_next(&doc, e))
		if (e->type == CLI_CHECK_JT_STR)
			(void)strlcpy(f->tlsrpt[f->ntlsrpt++], e->str,
			    sizeof(f->tlsrpt[0]));
	o = cli_check_json_get(&doc, root, "result");
	CLI_CHECK_F_STR(f->result, &doc, o, "status");
	CLI_CHECK_F_STR(f->result_failure, &doc, o, "failure");
	CLI_CHECK_F_STR(f->result_text, &doc, o, "text");
	cli_check_json_free(&doc);
	return 0;
}
