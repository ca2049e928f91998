/*
 * cli_check_verdict.c: the verdicts of `sealpost check` (doc/design.md
 * §8): the facts of a domain (DNS from the policy process, the live probe
 * of each MX address, and for --self this host's keys) judged item by
 * item as ok, warn or fail, each with what was found and, unless ok, what
 * to fix in an admin's words; then the report as text or JSON. RFC 7672
 * (DANE for SMTP: usable records, the TLSA base), RFC 7671 §8 (key
 * rollover: a record for the next key before the switch), RFC 8461
 * (MTA-STS: modes, max_age, mx patterns), RFC 8460 §3 (the TLS-RPT
 * record). Pure: no I/O. Linked by the sealpost binary and
 * tests/unit/test_cli_check.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli_check.h"
#include "lib/buf.h"
#include "policy/dane.h"
#include "policy/name_match.h"

/* A certificate that ends within this many days is a warning. */
#define CLI_CHECK_EXPIRY_DAYS	21
/* RFC 8461 §3.2: max_age of weeks; a day or less is a warning. */
#define CLI_CHECK_STS_AGE_MIN	86400

/* vsnprintf into dst, cut with "..." when too long. */
static void
cli_check_vput(char *dst, size_t size, const char *fmt, va_list ap)
{
	int n;

	n = vsnprintf(dst, size, fmt, ap);
	if (n < 0)
		dst[0] = '\0';
	else if ((size_t)n >= size && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

static void
cli_check_put(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_check_vput(dst, size, fmt, ap);
	va_end(ap);
}

/* A new item; its text and fix are filled in by the caller. */
static struct cli_check_item *
cli_check_add(struct cli_check_report *r, int level, const char *fmt, ...)
{
	struct cli_check_item *it;
	va_list ap;

	if (r->n == CLI_CHECK_ITEMS) {
		r->dropped++;
		it = &r->sink;	/* written and forgotten */
	} else
		it = &r->item[r->n++];
	memset(it, 0, sizeof(*it));
	it->level = level;
	va_start(ap, fmt);
	cli_check_vput(it->what, sizeof(it->what), fmt, ap);
	va_end(ap);
	return it;
}

/* "3 1 1 ab12cd34..." for messages. */
static void
cli_check_rec(const struct cli_check_tlsa *t, char *out, size_t size)
{
	cli_check_put(out, size, "%u %u %u %.16s%s", t->usage, t->selector,
	    t->mtype, t->hex, strlen(t->hex) > 16 ? "..." : "");
}

int
cli_check_key_match(const struct cli_check_key *k,
    const struct cli_check_tlsa *t)
{
	const uint8_t *want;
	size_t wlen;

	if (k->error[0] != '\0')
		return 0;
	if (t->selector == 1 && t->mtype == 1) {
		want = k->spki_sha256;
		wlen = sizeof(k->spki_sha256);
	} else if (t->selector == 1 && t->mtype == 2) {
		want = k->spki_sha512;
		wlen = sizeof(k->spki_sha512);
	} else if (t->selector == 0 && k->have_cert && t->mtype == 1) {
		want = k->cert_sha256;
		wlen = sizeof(k->cert_sha256);
	} else if (t->selector == 0 && k->have_cert && t->mtype == 2) {
		want = k->cert_sha512;
		wlen = sizeof(k->cert_sha512);
	} else
		return -1;
	return t->len == wlen && memcmp(t->data, want, wlen) == 0;
}

int
cli_check_exit(int level)
{
	return level >= CLI_CHECK_FAIL ? 2 : level == CLI_CHECK_WARN ? 1 : 0;
}

/* Whether the plan authenticates h by DANE (usable TLSA records). */
static int
cli_check_dane_usable(const struct cli_check_host *h)
{
	return strcmp(h->dane, "usable") == 0;
}

/* Whether MTA-STS in enforce mode applies to the domain. */
static int
cli_check_sts_enforce(const struct cli_check_facts *f)
{
	return f->sts_policy && strcmp(f->sts_mode, "enforce") == 0;
}

/* Whether host name is matched by a pattern of the MTA-STS policy. */
static int
cli_check_sts_listed(const struct cli_check_facts *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nsts_mx; i++)
		if (name_match(f->sts_mx[i], strlen(f->sts_mx[i]), name,
		    strlen(name)))
			return 1;
	return 0;
}

/* The domain: resolver, MX, the plan's outcome. */
static void
cli_check_domain(const struct cli_check_facts *f, struct cli_check_report *r)
{
	struct cli_check_item *it;

	if (!f->dnssec_trusted) {
		it = cli_check_add(r, CLI_CHECK_WARN, "resolver");
		cli_check_put(it->text, sizeof(it->text), "the resolver "
		    "sealpost asks is not on loopback: its DNSSEC answers "
		    "cannot be believed, so DANE is not judged");
		cli_check_put(it->fix, sizeof(it->fix), "run a validating "
		    "resolver on this host (unbound) and set dns_resolver = "
		    "127.0.0.1, then check again");
	}
	if (strcmp(f->route, "relay") == 0) {
		it = cli_check_add(r, CLI_CHECK_OK, "route");
		cli_check_put(it->text, sizeof(it->text), "mail to %s goes "
		    "through a relay (the table or relayhost): its MX are "
		    "not used", f->domain);
	} else if (strcmp(f->mx_lookup, "records") == 0 &&
	    strcmp(f->result, "bounce") == 0) {
		it = cli_check_add(r, CLI_CHECK_WARN, "MX");
		cli_check_put(it->text, sizeof(it->text), "%s accepts no mail "
		    "(%s)", f->domain, f->result_text);
		cli_check_put(it->fix, sizeof(it->fix), "nothing, if %s is "
		    "not meant to receive mail; else publish its MX hosts",
		    f->domain);
	} else if (strcmp(f->mx_lookup, "records") == 0) {
		it = cli_check_add(r, f->mx_secure || !f->dnssec_trusted ?
		    CLI_CHECK_OK : CLI_CHECK_WARN, "MX");
		cli_check_put(it->text, sizeof(it->text), "%zu host%s, %s",
		    f->nhosts, f->nhosts == 1 ? "" : "s", f->mx_secure ?
		    "DNSSEC-secure" : !f->dnssec_trusted ? "DNSSEC not "
		    "judged" : "the zone is not DNSSEC-signed (unsigned zone)");
		if (it->level != CLI_CHECK_OK)
			cli_check_put(it->fix, sizeof(it->fix), "sign the zone "
			    "of %s (DNSSEC) and publish its DS at the parent: "
			    "without it the MX answer can be forged and DANE "
			    "cannot protect the choice of host", f->domain);
	} else if (strcmp(f->mx_lookup, "no records") == 0) {
		it = cli_check_add(r, CLI_CHECK_WARN, "MX");
		cli_check_put(it->text, sizeof(it->text), "no MX record: mail "
		    "goes to the address of %s itself (implicit MX)",
		    f->domain);
		cli_check_put(it->fix, sizeof(it->fix), "publish an MX record "
		    "naming the host that receives mail for %s", f->domain);
	} else if (strcmp(f->mx_lookup, "no such name") == 0) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "MX");
		cli_check_put(it->text, sizeof(it->text), "%s does not exist "
		    "in DNS (NXDOMAIN)", f->domain);
		cli_check_put(it->fix, sizeof(it->fix), "check the spelling, "
		    "or publish the zone");
	} else {
		it = cli_check_add(r, CLI_CHECK_FAIL, "MX");
		if (strcmp(f->result_failure, "dnssec-invalid") == 0) {
			cli_check_put(it->text, sizeof(it->text), "the MX "
			    "lookup fails DNSSEC validation (dnssec-invalid: "
			    "%s): the zone's signatures or its DS are broken",
			    f->result_text);
			cli_check_put(it->fix, sizeof(it->fix), "re-sign the "
			    "zone of %s (expired or missing RRSIGs) and make "
			    "the DS at the parent match its key; until then "
			    "no validating sender can reach it", f->domain);
		} else {
			cli_check_put(it->text, sizeof(it->text), "the MX "
			    "lookup failed: %s", f->result_text);
			cli_check_put(it->fix, sizeof(it->fix), "make the "
			    "name servers of %s answer (a temporary failure "
			    "defers all mail)", f->domain);
		}
	}
}

/* Each TLSA record of h for itself: usable or not. */
static void
cli_check_records(const struct cli_check_host *h, struct cli_check_report *r)
{
	struct cli_check_item *it;
	char rec[64];
	size_t j;

	for (j = 0; j < h->ntlsa; j++) {
		const struct cli_check_tlsa *t = &h->tlsa[j];

		cli_check_rec(t, rec, sizeof(rec));
		if (!t->usable) {
			it = cli_check_add(r, CLI_CHECK_WARN, "TLSA %s %s",
			    h->name, rec);
			cli_check_put(it->text, sizeof(it->text), "unusable "
			    "for SMTP (RFC 7672 §3.1.3: only usages 2 and 3 "
			    "with selector 0 or 1 and a known digest count): "
			    "ignored by senders");
			cli_check_put(it->fix, sizeof(it->fix), "remove it, or "
			    "replace it by a 3 1 1 record of the server's key");
		} else if (t->selector == 0 && t->usage == 3) {
			it = cli_check_add(r, CLI_CHECK_WARN, "TLSA %s %s",
			    h->name, rec);
			cli_check_put(it->text, sizeof(it->text), "a 3 0 x "
			    "record pins the whole certificate: every renewal "
			    "breaks it, even with the same key");
			cli_check_put(it->fix, sizeof(it->fix), "publish 3 1 1 "
			    "(the key's digest) instead, which survives a "
			    "renewal with the same key");
		}
	}
}

/* What one probed address served. */
static void
cli_check_served(const struct cli_check_facts *f,
    const struct cli_check_host *h, const struct cli_check_probe *p,
    struct cli_check_report *r)
{
	struct cli_check_item *it;
	const char *fail;
	char rec[64];
	size_t j;
	int any = 0, usable = 0, dane = cli_check_dane_usable(h), lvl;
	int64_t days;

	if (!p->connected || !p->ehlo) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "%s %s", h->name,
		    p->addr);
		cli_check_put(it->text, sizeof(it->text), "%s", p->error);
		cli_check_put(it->fix, sizeof(it->fix), "make the server at "
		    "%s answer SMTP on port %u (firewall, the daemon "
		    "running), or remove it from the MX", p->addr, h->port);
		return;
	}
	if (!p->starttls) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "%s %s", h->name,
		    p->addr);
		cli_check_put(it->text, sizeof(it->text), "does not offer "
		    "STARTTLS (not in the EHLO reply): senders that demand "
		    "TLS defer, the others send in cleartext%s", dane ?
		    "; with TLSA records this host is unreachable for DANE "
		    "senders (or a man in the middle strips it)" : "");
		cli_check_put(it->fix, sizeof(it->fix), "enable STARTTLS with "
		    "a certificate on the server at %s; if it is enabled, "
		    "something on the path removes it", p->addr);
		return;
	}
	if (!p->tls) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "%s %s", h->name,
		    p->addr);
		cli_check_put(it->text, sizeof(it->text), "STARTTLS offered, "
		    "but no TLS session: %s", p->error);
		cli_check_put(it->fix, sizeof(it->fix), "fix the server's TLS "
		    "setup: TLS 1.2 or 1.3, a certificate and its key");
		return;
	}
	it = cli_check_add(r, CLI_CHECK_OK, "%s %s", h->name, p->addr);
	cli_check_put(it->text, sizeof(it->text), "STARTTLS, %s, %s",
	    p->version, p->cipher);
	/* PKIX: what MTA-STS and verify senders check */
	lvl = CLI_CHECK_OK;
	if (p->pkix != 0)
		lvl = f->sts_policy && h->used && !dane &&
		    strcmp(f->sts_mode, "enforce") == 0 ? CLI_CHECK_FAIL :
		    dane ? CLI_CHECK_OK : CLI_CHECK_WARN;
	it = cli_check_add(r, lvl, "certificate %s %s", h->name, p->addr);
	if (p->pkix == 0)
		cli_check_put(it->text, sizeof(it->text), "valid for %s under "
		    "tls_ca_file (PKIX)", h->name);
	else
		cli_check_put(it->text, sizeof(it->text), "not valid for %s "
		    "under tls_ca_file (PKIX): %s%s", h->name, p->pkix_detail,
		    lvl == CLI_CHECK_FAIL ? "; the MTA-STS policy is enforce, "
		    "so senders refuse this host" : dane ? "; DANE "
		    "authenticates the host instead" : "; senders that "
		    "verify (MTA-STS) would refuse it");
	if (lvl != CLI_CHECK_OK)
		cli_check_put(it->fix, sizeof(it->fix), "serve a certificate "
		    "from a public CA that names %s%s, with its "
		    "intermediates", h->name, strstr(p->pkix_detail,
		    "expired") != NULL ? " and is within its dates (renew "
		    "it)" : "");
	if (p->not_after > 0 && (days = (p->not_after - f->now) / 86400) <
	    CLI_CHECK_EXPIRY_DAYS && p->not_after > f->now) {
		it = cli_check_add(r, CLI_CHECK_WARN, "certificate %s %s",
		    h->name, p->addr);
		cli_check_put(it->text, sizeof(it->text), "expires in %lld "
		    "day%s", (long long)days, days == 1 ? "" : "s");
		cli_check_put(it->fix, sizeof(it->fix), "renew it; with DANE, "
		    "publish the new key's 3 1 1 record first");
	}
	/* DANE: each usable record against the chain this address served */
	if (!dane)
		return;
	for (j = 0; j < h->ntlsa; j++) {
		if (!h->tlsa[j].usable || p->tlsa[j] < 0)
			continue;
		usable++;
		if (p->tlsa[j] == DANE_OK_EE || p->tlsa[j] == DANE_OK_TA)
			any = 1;
	}
	for (j = 0; j < h->ntlsa; j++) {
		if (!h->tlsa[j].usable || p->tlsa[j] < 0)
			continue;
		cli_check_rec(&h->tlsa[j], rec, sizeof(rec));
		if (p->tlsa[j] == DANE_OK_EE || p->tlsa[j] == DANE_OK_TA) {
			it = cli_check_add(r, CLI_CHECK_OK, "TLSA %s %s",
			    h->name, rec);
			cli_check_put(it->text, sizeof(it->text), "matches the "
			    "certificate %s serves (%s)", p->addr,
			    p->tlsa[j] == DANE_OK_EE ? "DANE-EE" : "DANE-TA");
			continue;
		}
		fail = dane_failure(p->tlsa[j]);
		it = cli_check_add(r, any ? CLI_CHECK_WARN : CLI_CHECK_FAIL,
		    "TLSA %s %s", h->name, rec);
		cli_check_put(it->text, sizeof(it->text), "does not match the "
		    "certificate %s serves (%s: %s)%s", p->addr,
		    fail != NULL ? fail : "?", p->tlsa_detail[j], any ?
		    "; another record does, so mail flows" : "; no record "
		    "matches: DANE senders defer all mail to this host");
		if (p->tlsa[j] == DANE_FAIL_NAME)
			cli_check_put(it->fix, sizeof(it->fix), "serve a "
			    "certificate that names %s (or %s), or publish "
			    "\"_%u._tcp.%s. IN TLSA 3 1 1 %s\"", h->name,
			    h->tlsa_base, h->port, h->tlsa_base, p->leaf_spki);
		else if (any)
			cli_check_put(it->fix, sizeof(it->fix), "remove the "
			    "stale record once no server uses its key");
		else
			cli_check_put(it->fix, sizeof(it->fix), "publish "
			    "\"_%u._tcp.%s. IN TLSA 3 1 1 %s\" (the key %s "
			    "serves), or serve the certificate the records "
			    "name", h->port, h->tlsa_base, p->leaf_spki,
			    p->addr);
	}
	if (usable == 0) {
		it = cli_check_add(r, CLI_CHECK_WARN, "TLSA %s", h->name);
		cli_check_put(it->text, sizeof(it->text), "the records could "
		    "not be checked against %s (too long to carry)", p->addr);
	}
}

/* One MX host: addresses, DANE, the plan's word, each probe. */
static void
cli_check_host(const struct cli_check_facts *f,
    const struct cli_check_host *h, struct cli_check_report *r)
{
	struct cli_check_item *it;
	size_t k;

	if (h->naddr == 0) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "%s", h->name);
		cli_check_put(it->text, sizeof(it->text), "has no address "
		    "(%s)", h->reason[0] != '\0' ? h->reason : "no A or AAAA "
		    "record");
		cli_check_put(it->fix, sizeof(it->fix), "publish its A/AAAA "
		    "records, or remove it from the MX");
		return;
	}
	if (f->dnssec_trusted) {
		if (strcmp(h->dane, "failed") == 0) {
			it = cli_check_add(r, CLI_CHECK_FAIL, "TLSA %s",
			    h->name);
			cli_check_put(it->text, sizeof(it->text), "the TLSA "
			    "lookup fails (dnssec-invalid: %s): DANE senders "
			    "defer all mail to this host", h->dane_problem);
			cli_check_put(it->fix, sizeof(it->fix), "re-sign the "
			    "zone holding _%u._tcp.%s (its RRSIGs are broken "
			    "or expired)", h->port, h->tlsa_base[0] != '\0' ?
			    h->tlsa_base : h->name);
		} else if (strcmp(h->dane, "unusable") == 0) {
			it = cli_check_add(r, CLI_CHECK_WARN, "TLSA %s",
			    h->name);
			cli_check_put(it->text, sizeof(it->text), "only "
			    "unusable TLSA records: senders use TLS but "
			    "authenticate nothing");
			cli_check_put(it->fix, sizeof(it->fix), "publish a "
			    "3 1 1 record of the key the server uses");
		} else if (strcmp(h->dane, "usable") == 0) {
			it = cli_check_add(r, CLI_CHECK_OK, "TLSA %s",
			    h->name);
			cli_check_put(it->text, sizeof(it->text), "DNSSEC-"
			    "secure, usable records at _%u._tcp.%s",
			    h->port, h->tlsa_base);
		} else if (!h->addr_secure) {
			it = cli_check_add(r, CLI_CHECK_WARN, "DANE %s",
			    h->name);
			cli_check_put(it->text, sizeof(it->text), "the host's "
			    "addresses are not DNSSEC-secure: DANE cannot "
			    "apply%s", h->ntlsa > 0 ? " (its TLSA records "
			    "are ignored)" : "");
			cli_check_put(it->fix, sizeof(it->fix), "sign the zone "
			    "of %s to use DANE", h->name);
		} else {
			it = cli_check_add(r, cli_check_sts_enforce(f) ?
			    CLI_CHECK_OK : CLI_CHECK_WARN, "DANE %s",
			    h->name);
			cli_check_put(it->text, sizeof(it->text), "signed, "
			    "but no TLSA records: DANE is not used%s",
			    cli_check_sts_enforce(f) ? " (MTA-STS enforce "
			    "protects the host)" : "");
			if (it->level != CLI_CHECK_OK)
				cli_check_put(it->fix, sizeof(it->fix),
				    "publish a 3 1 1 record of the server's "
				    "key at _%u._tcp.%s", h->port, h->name);
		}
		cli_check_records(h, r);
	}
	if (!h->used && h->failure[0] != '\0') {
		it = cli_check_add(r, CLI_CHECK_FAIL, "policy %s", h->name);
		cli_check_put(it->text, sizeof(it->text), "sealpost would not "
		    "use this host: %s: %s", h->failure, h->reason);
		cli_check_put(it->fix, sizeof(it->fix), "see the items above "
		    "and below for this host");
	}
	for (k = 0; f->probed && k < h->nprobe; k++)
		cli_check_served(f, h, &h->probe[k], r);
}

/* MTA-STS: the record, the policy, its mode and age, every MX listed. */
static void
cli_check_sts(const struct cli_check_facts *f, struct cli_check_report *r)
{
	struct cli_check_item *it;
	size_t i;
	int anydane = 0;

	if (!f->sts_consulted)
		return;
	for (i = 0; i < f->nhosts; i++)
		anydane |= cli_check_dane_usable(&f->host[i]);
	if (strcmp(f->sts_record, "none") == 0 || f->sts_record[0] == '\0') {
		it = cli_check_add(r, anydane ? CLI_CHECK_OK : CLI_CHECK_WARN,
		    "MTA-STS");
		cli_check_put(it->text, sizeof(it->text), "no _mta-sts.%s "
		    "record%s", f->domain, anydane ? " (DANE protects the "
		    "hosts)" : ": without DANE or MTA-STS a man in the "
		    "middle can strip TLS or forge the MX");
		if (!anydane)
			cli_check_put(it->fix, sizeof(it->fix), "publish "
			    "MTA-STS (a TXT record _mta-sts.%s \"v=STSv1; "
			    "id=...\" and https://mta-sts.%s/.well-known/"
			    "mta-sts.txt) or sign the zone and publish TLSA",
			    f->domain, f->domain);
		return;
	}
	if (strcmp(f->sts_record, "ok") != 0) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "MTA-STS");
		cli_check_put(it->text, sizeof(it->text), "the _mta-sts.%s "
		    "record is %s: senders apply no policy", f->domain,
		    strcmp(f->sts_record, "multiple") == 0 ? "there more "
		    "than once" : "malformed");
		cli_check_put(it->fix, sizeof(it->fix), "publish exactly one "
		    "TXT record \"v=STSv1; id=<new id>\"");
		return;
	}
	if (!f->sts_policy) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "MTA-STS policy");
		cli_check_put(it->text, sizeof(it->text), "the record says "
		    "id=%s but the policy cannot be had: %s%s%s", f->sts_id,
		    f->sts_failure, f->sts_detail[0] != '\0' ? ": " : "",
		    f->sts_detail);
		cli_check_put(it->fix, sizeof(it->fix), "serve https://"
		    "mta-sts.%s/.well-known/mta-sts.txt as text/plain, 200, "
		    "no redirect, with a certificate from a public CA for "
		    "mta-sts.%s", f->domain, f->domain);
		return;
	}
	if (f->sts_failure[0] != '\0') {
		it = cli_check_add(r, CLI_CHECK_WARN, "MTA-STS policy");
		cli_check_put(it->text, sizeof(it->text), "a cached policy "
		    "is used; the last fetch failed: %s: %s", f->sts_failure,
		    f->sts_detail);
		cli_check_put(it->fix, sizeof(it->fix), "make https://"
		    "mta-sts.%s/.well-known/mta-sts.txt answer again",
		    f->domain);
	}
	it = cli_check_add(r, strcmp(f->sts_mode, "enforce") == 0 ?
	    CLI_CHECK_OK : CLI_CHECK_WARN, "MTA-STS policy");
	cli_check_put(it->text, sizeof(it->text), "mode %s, max_age %lld, "
	    "%zu mx pattern%s", f->sts_mode, f->sts_max_age, f->nsts_mx,
	    f->nsts_mx == 1 ? "" : "s");
	if (strcmp(f->sts_mode, "testing") == 0)
		cli_check_put(it->fix, sizeof(it->fix), "testing only "
		    "reports failures; switch to mode: enforce once the "
		    "reports (TLS-RPT) are clean");
	else if (strcmp(f->sts_mode, "enforce") != 0)
		cli_check_put(it->fix, sizeof(it->fix), "mode none withdraws "
		    "the policy; use enforce to protect the MX");
	if (f->sts_max_age < CLI_CHECK_STS_AGE_MIN) {
		it = cli_check_add(r, CLI_CHECK_WARN, "MTA-STS max_age");
		cli_check_put(it->text, sizeof(it->text), "%lld s: senders "
		    "forget the policy within a day", f->sts_max_age);
		cli_check_put(it->fix, sizeof(it->fix), "set max_age to weeks "
		    "(604800 or more, RFC 8461 §3.2)");
	}
	if (strcmp(f->route, "relay") == 0)
		return;
	for (i = 0; i < f->nhosts; i++) {
		const struct cli_check_host *h = &f->host[i];

		if (cli_check_sts_listed(f, h->name))
			continue;
		it = cli_check_add(r, strcmp(f->sts_mode, "enforce") == 0 &&
		    !cli_check_dane_usable(h) ? CLI_CHECK_FAIL :
		    CLI_CHECK_WARN, "MTA-STS mx %s", h->name);
		cli_check_put(it->text, sizeof(it->text), "the MX host %s is "
		    "not listed in the policy's mx patterns%s", h->name,
		    it->level == CLI_CHECK_FAIL ? ": senders that enforce "
		    "MTA-STS refuse it (validation-failure)" : "");
		cli_check_put(it->fix, sizeof(it->fix), "add \"mx: %s\" to "
		    "the policy and change the id of the _mta-sts.%s record",
		    h->name, f->domain);
	}
}

/* RFC 8460 §3: exactly one v=TLSRPTv1 record, with rua= URIs. */
static void
cli_check_tlsrpt(const struct cli_check_facts *f, struct cli_check_report *r)
{
	struct cli_check_item *it;
	const char *rec = NULL, *rua;
	size_t i, n = 0;

	if (strcmp(f->tlsrpt_lookup, "none") == 0 ||
	    f->tlsrpt_lookup[0] == '\0')
		return;		/* an older policy process: not asked */
	for (i = 0; i < f->ntlsrpt; i++)
		if (strncmp(f->tlsrpt[i], "v=TLSRPTv1;", 11) == 0 ||
		    strcmp(f->tlsrpt[i], "v=TLSRPTv1") == 0) {
			rec = f->tlsrpt[i];
			n++;
		}
	if (strcmp(f->tlsrpt_lookup, "failed") == 0) {
		it = cli_check_add(r, CLI_CHECK_WARN, "TLS-RPT");
		cli_check_put(it->text, sizeof(it->text), "the lookup of "
		    "_smtp._tls.%s failed: %s", f->domain, f->tlsrpt_problem);
		cli_check_put(it->fix, sizeof(it->fix), "make the name "
		    "servers answer it (and its signatures valid)");
		return;
	}
	if (n == 0) {
		it = cli_check_add(r, CLI_CHECK_WARN, "TLS-RPT");
		cli_check_put(it->text, sizeof(it->text), "no _smtp._tls.%s "
		    "record: senders do not tell you when TLS to you fails",
		    f->domain);
		cli_check_put(it->fix, sizeof(it->fix), "publish "
		    "_smtp._tls.%s. IN TXT \"v=TLSRPTv1; rua=mailto:"
		    "tlsrpt@%s\"", f->domain, f->domain);
		return;
	}
	if (n > 1) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "TLS-RPT");
		cli_check_put(it->text, sizeof(it->text), "%zu v=TLSRPTv1 "
		    "records at _smtp._tls.%s: senders ignore them all (RFC "
		    "8460 §3)", n, f->domain);
		cli_check_put(it->fix, sizeof(it->fix), "keep exactly one");
		return;
	}
	rua = strstr(rec, "rua=");
	if (rua == NULL || (strncmp(rua + 4, "mailto:", 7) != 0 &&
	    strncmp(rua + 4, "https:", 6) != 0) || (rua != rec &&
	    rua[-1] != ';' && rua[-1] != ' ')) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "TLS-RPT");
		cli_check_put(it->text, sizeof(it->text), "the record \"%s\" "
		    "has no rua=mailto: or rua=https: target", rec);
		cli_check_put(it->fix, sizeof(it->fix), "publish "
		    "\"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"", f->domain);
		return;
	}
	it = cli_check_add(r, CLI_CHECK_OK, "TLS-RPT");
	cli_check_put(it->text, sizeof(it->text), "\"%s\"%s", rec,
	    f->tlsrpt_secure ? " (DNSSEC-secure)" : "");
}

/* --self: this host's keys against its TLSA records, current and next. */
static void
cli_check_self(const struct cli_check_facts *f, struct cli_check_report *r)
{
	const struct cli_check_self *s = f->self;
	const struct cli_check_host *h = NULL;
	struct cli_check_item *it;
	size_t i, j;
	int m, any, ta, days;

	for (i = 0; i < f->nhosts; i++)
		if (strcasecmp(f->host[i].name, s->hostname) == 0)
			h = &f->host[i];
	for (i = 0; i < s->ncur; i++) {
		const struct cli_check_key *k = &s->cur[i];

		if (k->error[0] != '\0') {
			it = cli_check_add(r, CLI_CHECK_FAIL, "key %s",
			    k->file);
			cli_check_put(it->text, sizeof(it->text), "%s",
			    k->error);
			cli_check_put(it->fix, sizeof(it->fix), "make "
			    "tls_cert_file a readable PEM certificate");
			continue;
		}
		if (k->not_after > 0 && k->not_after - f->now <
		    (int64_t)CLI_CHECK_EXPIRY_DAYS * 86400) {
			days = (int)((k->not_after - f->now) / 86400);
			it = cli_check_add(r, k->not_after <= f->now ?
			    CLI_CHECK_FAIL : CLI_CHECK_WARN, "certificate %s",
			    k->file);
			cli_check_put(it->text, sizeof(it->text), "%s",
			    k->not_after <= f->now ? "has expired" :
			    days < 1 ? "expires within a day" :
			    "expires within three weeks");
			cli_check_put(it->fix, sizeof(it->fix), "renew it%s",
			    s->nnext == 0 ? "; set tls_next_key_file to the "
			    "new key and publish its TLSA record first" : "");
		}
	}
	if (h == NULL) {
		it = cli_check_add(r, CLI_CHECK_WARN, "self %s", s->hostname);
		cli_check_put(it->text, sizeof(it->text), "this host (hostname "
		    "%s) is not an MX of %s: its own TLSA records are not "
		    "checked here", s->hostname, f->domain);
		cli_check_put(it->fix, sizeof(it->fix), "nothing, if another "
		    "host receives the mail of %s", f->domain);
		return;
	}
	if (!cli_check_dane_usable(h)) {
		it = cli_check_add(r, CLI_CHECK_WARN, "self TLSA %s",
		    s->hostname);
		cli_check_put(it->text, sizeof(it->text), "no usable TLSA "
		    "records for this host (DANE: %s)", h->dane);
		cli_check_put(it->fix, sizeof(it->fix), "sign the zone and "
		    "publish the records listed under \"publish\"");
		return;
	}
	ta = 0;
	for (j = 0; j < h->ntlsa; j++)
		ta |= h->tlsa[j].usable && h->tlsa[j].usage == 2;
	for (i = 0; i < s->ncur + s->nnext; i++) {
		const struct cli_check_key *k = i < s->ncur ? &s->cur[i] :
		    &s->next[i - s->ncur];
		int next = i >= s->ncur;

		if (k->error[0] != '\0') {
			if (next) {
				it = cli_check_add(r, CLI_CHECK_FAIL,
				    "next key %s", k->file);
				cli_check_put(it->text, sizeof(it->text),
				    "%s", k->error);
				cli_check_put(it->fix, sizeof(it->fix),
				    "make tls_next_key_file a readable PEM "
				    "key or certificate");
			}
			continue;
		}
		any = 0;
		for (j = 0; j < h->ntlsa; j++) {
			if (!h->tlsa[j].usable || h->tlsa[j].usage != 3)
				continue;
			if ((m = cli_check_key_match(k, &h->tlsa[j])) == 1)
				any = 1;
		}
		if (any) {
			it = cli_check_add(r, CLI_CHECK_OK, "%s %s",
			    next ? "next key" : "key", k->file);
			cli_check_put(it->text, sizeof(it->text), "a 3 x x "
			    "record at _%u._tcp.%s matches it", h->port,
			    h->tlsa_base);
			continue;
		}
		it = cli_check_add(r, ta ? CLI_CHECK_WARN : next ?
		    CLI_CHECK_WARN : CLI_CHECK_FAIL, "%s %s", next ?
		    "next key" : "key", k->file);
		if (next)
			cli_check_put(it->text, sizeof(it->text), "no TLSA "
			    "record at _%u._tcp.%s matches the next key "
			    "(tls_next_key_file %s): switching to it would "
			    "break DANE%s", h->port, h->tlsa_base, k->file,
			    ta ? " unless its certificate comes from the "
			    "issuer the 2 x x record names" : " for every "
			    "sender that checks");
		else
			cli_check_put(it->text, sizeof(it->text), "no 3 x x "
			    "record at _%u._tcp.%s matches the key of %s%s",
			    h->port, h->tlsa_base, k->file, ta ? " (a 2 x x "
			    "record may still match its issuer)" : ": DANE "
			    "senders defer all mail to this host");
		cli_check_put(it->fix, sizeof(it->fix), "publish its record "
		    "(listed under \"publish\") %s", next ? "now, at least "
		    "a TTL before the switch, and keep the current one "
		    "until the switch is done" : "at once");
	}
	if (s->nnext == 0) {
		it = cli_check_add(r, CLI_CHECK_OK, "rollover");
		cli_check_put(it->text, sizeof(it->text), "no "
		    "tls_next_key_file: the next key is not checked; set it "
		    "to the key of the next certificate before a renewal");
	}
}

/* --self: the MTA-STS policy host's certificate. */
static void
cli_check_self_sts(const struct cli_check_facts *f,
    struct cli_check_report *r)
{
	const struct cli_check_self *s = f->self;
	struct cli_check_item *it;

	if (!s->sts_host_probed)
		return;
	if (!s->sts_host_tls || s->sts_host_pkix != 0) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "policy host mta-sts.%s",
		    f->domain);
		cli_check_put(it->text, sizeof(it->text), "%s",
		    s->sts_host_error);
		cli_check_put(it->fix, sizeof(it->fix), "serve a certificate "
		    "from a public CA that names mta-sts.%s", f->domain);
		return;
	}
	it = cli_check_add(r, CLI_CHECK_OK, "policy host mta-sts.%s",
	    f->domain);
	cli_check_put(it->text, sizeof(it->text), "certificate valid "
	    "(PKIX, name)");
}

int
cli_check_judge(const struct cli_check_facts *f, struct cli_check_report *r)
{
	size_t i;
	int worst = CLI_CHECK_OK;
	struct cli_check_item *it;

	memset(r, 0, sizeof(*r));
	cli_check_domain(f, r);
	for (i = 0; i < f->nhosts; i++)
		cli_check_host(f, &f->host[i], r);
	cli_check_sts(f, r);
	cli_check_tlsrpt(f, r);
	if (f->self != NULL) {
		cli_check_self(f, r);
		cli_check_self_sts(f, r);
	}
	if (strcmp(f->result, "defer") == 0) {
		it = cli_check_add(r, CLI_CHECK_FAIL, "delivery");
		cli_check_put(it->text, sizeof(it->text), "sealpost would "
		    "defer mail to %s now%s%s%s%s", f->domain,
		    f->result_failure[0] != '\0' ? " (" : "",
		    f->result_failure, f->result_failure[0] != '\0' ? ")" :
		    "", f->result_text[0] != '\0' ? ": " : "");
		if (f->result_text[0] != '\0')
			(void)strlcat(it->text, f->result_text,
			    sizeof(it->text));
		cli_check_put(it->fix, sizeof(it->fix), "the failures above "
		    "say why");
	}
	for (i = 0; i < r->n; i++)
		if (r->item[i].level > worst)
			worst = r->item[i].level;
	return worst;
}

static const char *
cli_check_word(int level)
{
	return level == CLI_CHECK_FAIL ? "fail" : level == CLI_CHECK_WARN ?
	    "warn" : "ok";
}

int
cli_check_fmt_text(struct buf *b, const struct cli_check_facts *f,
    const struct cli_check_report *r)
{
	size_t i, nw = 0, nf = 0;
	int e = 0;

	e |= buf_printf(b, "sealpost check %s%s\n", f->domain,
	    f->self != NULL ? " (--self)" : "");
	for (i = 0; i < r->n; i++) {
		const struct cli_check_item *it = &r->item[i];

		nw += it->level == CLI_CHECK_WARN;
		nf += it->level == CLI_CHECK_FAIL;
		e |= buf_printf(b, "%-4s  %s: %s\n", cli_check_word(it->level),
		    it->what, it->text);
		if (it->fix[0] != '\0')
			e |= buf_printf(b, "      fix: %s\n", it->fix);
	}
	if (r->dropped > 0)
		e |= buf_printf(b, "(%zu more items left out)\n", r->dropped);
	if (f->self != NULL && f->self->nlines > 0) {
		e |= buf_printf(b, "publish (sealpost tlsa, current and next "
		    "keys):\n");
		for (i = 0; i < f->self->nlines; i++)
			e |= buf_printf(b, "  %s\n", f->self->tlsa_lines[i]);
	}
	e |= buf_printf(b, "%s: %zu item%s, %zu warning%s, %zu failure%s\n",
	    f->domain, r->n, r->n == 1 ? "" : "s", nw, nw == 1 ? "" : "s", nf,
	    nf == 1 ? "" : "s");
	return e != 0 ? -1 : 0;
}

/* A JSON string (control bytes, quote and backslash escaped). */
static int
cli_check_jstr(struct buf *b, const char *s)
{
	char u[8];
	int e = 0;

	e |= buf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			u[0] = '\\';
			u[1] = (char)c;
			e |= buf_append(b, u, 2);
		} else if (c < 0x20 || c == 0x7f) {
			(void)snprintf(u, sizeof(u), "\\u%04x", c);
			e |= buf_append(b, u, 6);
		} else
			e |= buf_append(b, s, 1);
	}
	e |= buf_append(b, "\"", 1);
	return e != 0 ? -1 : 0;
}

int
cli_check_fmt_json(struct buf *b, const struct cli_check_facts *f,
    const struct cli_check_report *r)
{
	size_t i;
	int e = 0, worst = CLI_CHECK_OK;

	for (i = 0; i < r->n; i++)
		if (r->item[i].level > worst)
			worst = r->item[i].level;
	e |= buf_append(b, "{\"domain\":", 10);
	e |= cli_check_jstr(b, f->domain);
	e |= buf_printf(b, ",\"self\":%s,\"verdict\":\"%s\",\"items\":[",
	    f->self != NULL ? "true" : "false", cli_check_word(worst));
	for (i = 0; i < r->n; i++) {
		const struct cli_check_item *it = &r->item[i];

		e |= buf_printf(b, "%s{\"level\":\"%s\",\"what\":", i > 0 ?
		    "," : "", cli_check_word(it->level));
		e |= cli_check_jstr(b, it->what);
		e |= buf_append(b, ",\"text\":", 8);
		e |= cli_check_jstr(b, it->text);
		e |= buf_append(b, ",\"fix\":", 7);
		e |= cli_check_jstr(b, it->fix);
		e |= buf_append(b, "}", 1);
	}
	e |= buf_append(b, "],\"publish\":[", 13);
	for (i = 0; f->self != NULL && i < f->self->nlines; i++) {
		if (i > 0)
			e |= buf_append(b, ",", 1);
		e |= cli_check_jstr(b, f->self->tlsa_lines[i]);
	}
	e |= buf_append(b, "]}\n", 3);
	return e != 0 ? -1 : 0;
}
