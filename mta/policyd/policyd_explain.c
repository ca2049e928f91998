/*
 * policyd_explain.c: the answer to `sealpost policy DOMAIN` (doc/design.md
 * §8, sealpost-policy(7) "Asking the resolver"): the plan a fresh lookup
 * made, with everything it rests on: the route and the table's entry,
 * whether DNSSEC can be believed, each MX host in order with its
 * addresses, their DNSSEC state, its TLSA records and whether each is
 * usable, the MTA-STS record and policy (mode, age, patterns), the
 * downgrade memory, and the requirement of each host with where it came
 * from, and the TLS-RPT record (RFC 8460 §3) that sealpost check judges;
 * as text for a person or (--json) as one JSON object; and the same
 * plan in the debug log (policyd_plan_debug).
 * Linked by the policy binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/dane.h"
#include "policy/sts_record.h"
#include "policyd_run.h"

/* A JSON string: quotes, backslash and control bytes escaped. */
static int
policyd_x_json(struct buf *b, const char *s)
{
	char u[8];

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			u[0] = '\\';
			u[1] = (char)c;
			if (buf_append(b, u, 2) == -1)
				return -1;
		} else if (c < 0x20 || c == 0x7f) {
			(void)snprintf(u, sizeof(u), "\\u%04x", c);
			if (buf_append(b, u, 6) == -1)
				return -1;
		} else if (buf_append(b, s, 1) == -1)
			return -1;
	}
	return buf_append(b, "\"", 1);
}

/* "key": "value" with a comma before it unless first. */
static int
policyd_x_kv(struct buf *b, int *first, const char *key, const char *val)
{
	if (!*first && buf_append(b, ",", 1) == -1)
		return -1;
	*first = 0;
	if (policyd_x_json(b, key) == -1 || buf_append(b, ":", 1) == -1)
		return -1;
	return policyd_x_json(b, val);
}

static int
policyd_x_kn(struct buf *b, int *first, const char *key, long long v)
{
	if (!*first && buf_append(b, ",", 1) == -1)
		return -1;
	*first = 0;
	if (policyd_x_json(b, key) == -1)
		return -1;
	return buf_printf(b, ":%lld", v);
}

static int
policyd_x_kb(struct buf *b, int *first, const char *key, int v)
{
	if (!*first && buf_append(b, ",", 1) == -1)
		return -1;
	*first = 0;
	if (policyd_x_json(b, key) == -1)
		return -1;
	return buf_printf(b, ":%s", v ? "true" : "false");
}

static const char *
policyd_x_dns(int status)
{
	switch (status) {
	case PLAN_DNS_RECORDS:
		return "records";
	case PLAN_DNS_NODATA:
		return "no records";
	case PLAN_DNS_NXDOMAIN:
		return "no such name";
	default:
		return "failed";
	}
}

static const char *
policyd_x_dane(int state)
{
	switch (state) {
	case VERDICT_DANE_USABLE:
		return "usable";
	case VERDICT_DANE_UNUSABLE:
		return "unusable";
	case VERDICT_DANE_FAILED:
		return "failed";
	case VERDICT_DANE_OFF:
		return "off (resolver not on loopback)";
	case VERDICT_DANE_ABSENT:
		return "none (DNSSEC proves there are no TLSA records)";
	default:
		return "none";
	}
}

/*
 * The outcome: "deliver", "defer" or "bounce"; a plan whose hosts are
 * all refused or without an address defers (smtpout skips them all).
 */
static const char *
policyd_x_status(const struct plan *plan)
{
	uint32_t i;

	if (plan->p.status == IPC_PLAN_DEFER)
		return "defer";
	if (plan->p.status == IPC_PLAN_BOUNCE)
		return "bounce";
	for (i = 0; i < plan->p.nhosts; i++)
		if (!plan->h[i].refused && plan->h[i].naddr > 0)
			return "deliver";
	return "defer";
}

/* The first refused host's reason, for a plan that defers that way. */
static const struct ipc_plan_host *
policyd_x_refused(const struct plan *plan)
{
	uint32_t i;

	for (i = 0; i < plan->p.nhosts; i++)
		if (plan->h[i].refused)
			return &plan->h[i];
	return NULL;
}

static void
policyd_x_time(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)strlcpy(out, "-", size);
}

/* The addresses of h as "a, b", and whether their answers were secure. */
static void
policyd_x_addrs(const struct ipc_plan_host *h, char *out, size_t size)
{
	char one[INET6_ADDRSTRLEN];
	uint32_t j;

	out[0] = '\0';
	for (j = 0; j < h->naddr; j++) {
		if (inet_ntop(h->addr[j].family, h->addr[j].addr, one,
		    sizeof(one)) == NULL)
			continue;
		if (j > 0)
			(void)strlcat(out, ", ", size);
		(void)strlcat(out, one, size);
	}
}

/* The record as in a zone file, the data in hex (cut after 64 bytes). */
static void
policyd_x_tlsa(const struct plan_tlsa_answer *t, size_t j, char *out,
    size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const struct plan_tlsa_rec *rec = &t->rec[j];
	size_t k, n = rec->len > 64 ? 64 : rec->len;
	int o;

	o = snprintf(out, size, "%u %u %u ", rec->usage, rec->selector,
	    rec->mtype);
	if (o < 0 || (size_t)o >= size)
		return;
	for (k = 0; k < n && (size_t)o + 3 < size; k++) {
		out[o++] = hex[t->pool[rec->off + k] >> 4];
		out[o++] = hex[t->pool[rec->off + k] & 15];
	}
	out[o] = '\0';
	if (n < rec->len)
		(void)strlcat(out, "...", size);
}

/* Appends the data of TLSA record j whole, in hex, to b. 0 or -1. */
static int
policyd_x_tlsa_hex(const struct plan_tlsa_answer *t, size_t j, struct buf *b)
{
	static const char hex[] = "0123456789abcdef";
	const struct plan_tlsa_rec *rec = &t->rec[j];
	char two[2];
	size_t k;

	for (k = 0; k < rec->len; k++) {
		two[0] = hex[t->pool[rec->off + k] >> 4];
		two[1] = hex[t->pool[rec->off + k] & 15];
		if (buf_append(b, two, 2) == -1)
			return -1;
	}
	return 0;
}

/*
 * TXT record i of the TLS-RPT answer as a C string: a NUL or a byte
 * outside printable ASCII becomes '?' (the record is ASCII, RFC 8460
 * §3), so it is safe in a line and in JSON.
 */
static void
policyd_x_txt(const struct plan_txt_answer *t, size_t i, char *out,
    size_t size)
{
	size_t k, n = t->len[i] < size - 1 ? t->len[i] : size - 1;

	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)t->txt[i][k];

		out[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

static int
policyd_x_usable(const struct plan_tlsa_answer *t, size_t j)
{
	struct dane_tlsa d;

	policyd_tlsa_rec(t, j, &d);
	return dane_tlsa_usable(&d);
}

static int
policyd_x_text(const struct policyd_run *r, struct buf *b)
{
	const struct plan *plan = r->plan;
	const struct policyd_sts_state *st = &r->sts;
	const struct ipc_plan_host *rh;
	char addrs[600], rec[200], t1[32], t2[32];
	size_t i, j;
	int e = 0;

	e |= buf_printf(b, "domain   %s\n", r->domain);
	if (r->d.relayed)
		e |= buf_printf(b, "route    relay %s%s%s port %u "
		    "(%s)\n", r->d.hop.nomx ? "[" : "", r->d.hop.host,
		    r->d.hop.nomx ? "]" : "", r->d.hop.port, r->d.policy_src);
	else
		e |= buf_printf(b, "route    the domain's own MX "
		    "hosts\n");
	e |= buf_printf(b, "table    %s\n", verdict_from_table(&r->d) ?
	    r->d.policy : "no entry with a requirement");
	if (r->d.audit_only)
		e |= buf_printf(b, "audit    audit-only%s: what follows is "
		    "logged as would_defer=, not enforced; never cleartext%s\n",
		    r->d.audit_cleartext ? " with cleartext-ok" : "",
		    r->d.audit_cleartext ? " unless STARTTLS is missing" : "");
	e |= buf_printf(b, "dnssec   %s\n",
	    policyd_lookup_dnssec(r->ls) ? "the resolver is on loopback: "
	    "its AD bit is believed" : "untrusted-resolver: dns_resolver is "
	    "not on loopback, DANE is off");
	if (!r->d.hop.nomx)
		e |= buf_printf(b, "MX       %s%s%s\n",
		    policyd_x_dns(r->mx.r.status),
		    r->mx.r.status == PLAN_DNS_TEMP ? ": " : "",
		    r->mx.r.status == PLAN_DNS_TEMP ? r->mx.r.why :
		    r->mx.r.ad ? ", DNSSEC-secure" : ", not DNSSEC-secure");
	for (i = 0; plan != NULL && i < plan->p.nhosts; i++) {
		const struct ipc_plan_host *h = &plan->h[i];
		const struct policyd_dane *dn = &r->dane[i];

		policyd_x_addrs(h, addrs, sizeof(addrs));
		e |= buf_printf(b, "host %zu   %s port %u\n", i + 1,
		    h->name, h->port);
		e |= buf_printf(b, "  addresses  %s%s\n",
		    addrs[0] != '\0' ? addrs : "none",
		    addrs[0] != '\0' ? (h->addr_ad ? " (DNSSEC-secure)" :
		    " (not DNSSEC-secure)") : "");
		if (dn->base[0] != '\0')
			e |= buf_printf(b, "  DANE       %s, TLSA at "
			    "_%u._tcp.%s%s%s\n", policyd_x_dane(dn->state),
			    (unsigned)h->port, dn->base, dn->why[0] != '\0' ?
			    ": " : "", dn->why);
		else
			e |= buf_printf(b, "  DANE       %s%s%s\n",
			    policyd_x_dane(dn->state), dn->why[0] != '\0' ?
			    ": " : "", dn->why);
		for (j = 0; dn->tlsa != NULL && j < dn->tlsa->n; j++) {
			policyd_x_tlsa(dn->tlsa, j, rec, sizeof(rec));
			e |= buf_printf(b, "    TLSA     %s (%s)\n", rec,
			    policyd_x_usable(dn->tlsa, j) ? "usable" :
			    "unusable");
		}
		if (plan->p.status != IPC_PLAN_OK)
			continue;
		if (h->naddr > 0 && h->refused && h->audit_only)
			e |= buf_printf(b, "  verdict    audit-only: used "
			    "anyway, would_defer=%s: %s\n", h->failure,
			    h->text);
		else if (h->refused || h->naddr == 0)
			e |= buf_printf(b, "  verdict    not used: %s%s%s"
			    "\n", h->failure[0] != '\0' ? h->failure : "",
			    h->failure[0] != '\0' ? ": " : "", h->text);
		else
			e |= buf_printf(b, "  verdict    %s (from %s)%s"
			    "\n", h->policy, h->policy_src, h->sts_testing ?
			    "; MTA-STS testing: failures are reported, not "
			    "enforced" : "");
	}
	if (r->sts_asked) {
		policyd_x_time(st->fetched, t1, sizeof(t1));
		policyd_x_time(st->expires, t2, sizeof(t2));
		e |= buf_printf(b, "MTA-STS  record %s%s\n",
		    st->txt_id[0] != '\0' ? "id=" : "", st->txt_id[0] != '\0' ?
		    st->txt_id : st->record == STS_RECORD_MULTIPLE ?
		    "more than one (no policy)" : st->record ==
		    STS_RECORD_INVALID ? "malformed" : "none");
		if (st->have) {
			e |= buf_printf(b, "  policy     mode %s, id %s, "
			    "max_age %u, fetched %s, expires %s (%s)\n",
			    sts_mode_name(st->policy.mode), st->id,
			    st->policy.max_age, t1, t2, st->how);
			for (j = 0; j < st->policy.nmx; j++)
				e |= buf_printf(b, "  mx         %s\n",
				    st->policy.mx[j]);
		} else
			e |= buf_printf(b, "  policy     none\n");
		if (st->failure[0] != '\0' || st->detail[0] != '\0')
			e |= buf_printf(b, "  problem    %s%s%s\n",
			    st->failure, st->failure[0] != '\0' ? ": " : "",
			    st->detail);
	} else
		e |= buf_printf(b, "MTA-STS  not consulted (%s)\n",
		    r->d.relayed ? "relayed" : "the table decides");
	if (r->tlsrpt != NULL) {
		const struct plan_txt_answer *tr = r->tlsrpt;
		char txt[PLAN_TXT_LEN + 1];

		if (tr->r.status == PLAN_DNS_RECORDS && tr->n > 0)
			for (j = 0; j < tr->n; j++) {
				policyd_x_txt(tr, j, txt, sizeof(txt));
				e |= buf_printf(b, "TLS-RPT  _smtp._tls.%s: "
				    "\"%s\"%s\n", r->domain, txt, tr->r.ad ?
				    " (DNSSEC-secure)" : "");
			}
		else
			e |= buf_printf(b, "TLS-RPT  _smtp._tls.%s: %s%s%s\n",
			    r->domain, policyd_x_dns(tr->r.status),
			    tr->r.status == PLAN_DNS_TEMP ? ": " : "",
			    tr->r.status == PLAN_DNS_TEMP ? tr->r.why : "");
	}
	if (r->mem != NULL) {
		policyd_x_time(r->mem->first, t1, sizeof(t1));
		policyd_x_time(r->mem->last, t2, sizeof(t2));
		e |= buf_printf(b, "memory   %s since %s, last %s\n",
		    policyd_memory_word(r->mem->level), t1, t2);
	} else
		e |= buf_printf(b, "memory   none\n");
	if (plan != NULL && plan->p.status != IPC_PLAN_OK)
		e |= buf_printf(b, "result   %s: %s %s\n",
		    policyd_x_status(plan), plan->p.dsn, plan->p.text);
	else if (plan != NULL && (rh = policyd_x_refused(plan)) != NULL &&
	    strcmp(policyd_x_status(plan), "defer") == 0)
		e |= buf_printf(b, "result   defer: no host may be used; "
		    "the first: %s (%s: %s)\n", rh->name, rh->failure,
		    rh->text);
	else if (plan != NULL)
		e |= buf_printf(b, "result   %s\n", policyd_x_status(plan));
	return e != 0 ? -1 : 0;
}

static int
policyd_x_jhost(const struct policyd_run *r, size_t i, struct buf *b)
{
	const struct ipc_plan_host *h = &r->plan->h[i];
	const struct policyd_dane *dn = &r->dane[i];
	char one[INET6_ADDRSTRLEN], rec[200];
	size_t j;
	int f = 1, g, e = 0;

	e |= buf_append(b, "{", 1);
	e |= policyd_x_kv(b, &f, "name", h->name);
	e |= policyd_x_kn(b, &f, "port", h->port);
	e |= buf_append(b, ",", 1);
	e |= policyd_x_json(b, "addresses");
	e |= buf_append(b, ":[", 2);
	for (j = 0; j < h->naddr; j++) {
		if (inet_ntop(h->addr[j].family, h->addr[j].addr, one,
		    sizeof(one)) == NULL)
			continue;
		if (j > 0)
			e |= buf_append(b, ",", 1);
		e |= policyd_x_json(b, one);
	}
	e |= buf_append(b, "]", 1);
	e |= policyd_x_kb(b, &f, "addresses_secure", h->addr_ad);
	e |= policyd_x_kv(b, &f, "dane", policyd_x_dane(dn->state));
	e |= policyd_x_kv(b, &f, "tlsa_base", dn->base);
	e |= policyd_x_kv(b, &f, "dane_problem", dn->why);
	e |= buf_append(b, ",\"tlsa\":[", 9);
	for (j = 0; dn->tlsa != NULL && j < dn->tlsa->n; j++) {
		g = 1;
		policyd_x_tlsa(dn->tlsa, j, rec, sizeof(rec));
		e |= buf_append(b, j > 0 ? ",{" : "{", j > 0 ? 2 : 1);
		e |= policyd_x_kv(b, &g, "record", rec);
		e |= policyd_x_kb(b, &g, "usable",
		    policyd_x_usable(dn->tlsa, j));
		/* whole, for sealpost check's match against a certificate */
		e |= policyd_x_kn(b, &g, "usage", dn->tlsa->rec[j].usage);
		e |= policyd_x_kn(b, &g, "selector",
		    dn->tlsa->rec[j].selector);
		e |= policyd_x_kn(b, &g, "mtype", dn->tlsa->rec[j].mtype);
		e |= buf_append(b, ",\"data\":\"", 9);
		e |= policyd_x_tlsa_hex(dn->tlsa, j, b);
		e |= buf_append(b, "\"}", 2);
	}
	e |= buf_append(b, "]", 1);
	if (r->plan->p.status == IPC_PLAN_OK) {
		e |= policyd_x_kb(b, &f, "used", (!h->refused ||
		    h->audit_only) && h->naddr > 0);
		e |= policyd_x_kb(b, &f, "audit_only", h->audit_only);
		e |= policyd_x_kv(b, &f, "policy", h->policy);
		e |= policyd_x_kv(b, &f, "policy_src", h->policy_src);
		e |= policyd_x_kb(b, &f, "sts_testing", h->sts_testing);
		e |= policyd_x_kv(b, &f, "failure", h->failure);
		e |= policyd_x_kv(b, &f, "reason", h->text);
	}
	e |= buf_append(b, "}", 1);
	return e != 0 ? -1 : 0;
}

static int
policyd_x_jsonall(const struct policyd_run *r, struct buf *b)
{
	const struct plan *plan = r->plan;
	const struct policyd_sts_state *st = &r->sts;
	char t1[32];
	size_t i;
	int f = 1, g, e = 0;

	e |= buf_append(b, "{", 1);
	e |= policyd_x_kv(b, &f, "domain", r->domain);
	e |= policyd_x_kv(b, &f, "route", r->d.relayed ? "relay" : "mx");
	e |= policyd_x_kv(b, &f, "nexthop", r->d.hop.host);
	e |= policyd_x_kv(b, &f, "table", verdict_from_table(&r->d) ?
	    r->d.policy : "");
	e |= policyd_x_kb(b, &f, "audit_only", r->d.audit_only);
	e |= policyd_x_kb(b, &f, "audit_cleartext", r->d.audit_cleartext);
	e |= policyd_x_kb(b, &f, "dnssec_trusted", policyd_lookup_dnssec(r->ls));
	e |= policyd_x_kv(b, &f, "mx_lookup", r->d.hop.nomx ? "none" :
	    policyd_x_dns(r->mx.r.status));
	e |= policyd_x_kb(b, &f, "mx_secure", !r->d.hop.nomx && r->mx.r.ad);
	e |= buf_append(b, ",\"hosts\":[", 10);
	for (i = 0; plan != NULL && i < plan->p.nhosts; i++) {
		if (i > 0)
			e |= buf_append(b, ",", 1);
		e |= policyd_x_jhost(r, i, b);
	}
	e |= buf_append(b, "],\"mta_sts\":{", 13);
	g = 1;
	e |= policyd_x_kb(b, &g, "consulted", r->sts_asked);
	e |= policyd_x_kv(b, &g, "record_id", st->txt_id);
	e |= policyd_x_kv(b, &g, "record", st->record == STS_RECORD_OK ? "ok" :
	    st->record == STS_RECORD_MULTIPLE ? "multiple" :
	    st->record == STS_RECORD_INVALID ? "invalid" : "none");
	e |= policyd_x_kb(b, &g, "policy", st->have);
	if (st->have) {
		e |= policyd_x_kv(b, &g, "mode", sts_mode_name(st->policy.mode));
		e |= policyd_x_kv(b, &g, "id", st->id);
		e |= policyd_x_kn(b, &g, "max_age", st->policy.max_age);
		policyd_x_time(st->fetched, t1, sizeof(t1));
		e |= policyd_x_kv(b, &g, "fetched", t1);
		e |= policyd_x_kn(b, &g, "age", (long long)(time(NULL) -
		    st->fetched));
		e |= policyd_x_kv(b, &g, "source", st->how);
		e |= buf_append(b, ",\"mx\":[", 7);
		for (i = 0; i < st->policy.nmx; i++) {
			if (i > 0)
				e |= buf_append(b, ",", 1);
			e |= policyd_x_json(b, st->policy.mx[i]);
		}
		e |= buf_append(b, "]", 1);
	}
	e |= policyd_x_kv(b, &g, "failure", st->failure);
	e |= policyd_x_kv(b, &g, "detail", st->detail);
	e |= buf_append(b, "},\"tlsrpt\":{", 12);
	g = 1;
	if (r->tlsrpt != NULL) {
		const struct plan_txt_answer *tr = r->tlsrpt;
		char txt[PLAN_TXT_LEN + 1];

		e |= policyd_x_kv(b, &g, "lookup", policyd_x_dns(tr->r.status));
		e |= policyd_x_kv(b, &g, "problem", tr->r.status ==
		    PLAN_DNS_TEMP ? tr->r.why : "");
		e |= policyd_x_kb(b, &g, "secure", tr->r.ad);
		e |= buf_append(b, ",\"records\":[", 12);
		for (i = 0; tr->r.status == PLAN_DNS_RECORDS && i < tr->n;
		    i++) {
			policyd_x_txt(tr, i, txt, sizeof(txt));
			if (i > 0)
				e |= buf_append(b, ",", 1);
			e |= policyd_x_json(b, txt);
		}
		e |= buf_append(b, "]", 1);
	} else
		e |= policyd_x_kv(b, &g, "lookup", "none");
	e |= buf_append(b, "},\"memory\":{", 12);
	g = 1;
	e |= policyd_x_kv(b, &g, "level", r->mem != NULL ?
	    policyd_memory_word(r->mem->level) : "none");
	if (r->mem != NULL) {
		policyd_x_time(r->mem->first, t1, sizeof(t1));
		e |= policyd_x_kv(b, &g, "since", t1);
		policyd_x_time(r->mem->last, t1, sizeof(t1));
		e |= policyd_x_kv(b, &g, "last", t1);
	}
	e |= buf_append(b, "},\"result\":{", 12);
	g = 1;
	if (plan != NULL) {
		e |= policyd_x_kv(b, &g, "status", policyd_x_status(plan));
		e |= policyd_x_kv(b, &g, "dsn", plan->p.dsn);
		e |= policyd_x_kv(b, &g, "failure", plan->p.failure);
		e |= policyd_x_kv(b, &g, "text", plan->p.text);
	}
	e |= buf_append(b, "}}\n", 3);
	return e != 0 ? -1 : 0;
}

int
policyd_explain(const struct policyd_run *r, struct buf *out)
{
	return r->explain == 2 ? policyd_x_jsonall(r, out) :
	    policyd_x_text(r, out);
}

/*
 * The debug log's account of a plan (sealpost policy's answer in one
 * line per host): a deferral of 4.4.3 as a warning, others in debug.
 */
void
policyd_plan_debug(const char *domain, const struct plan *plan)
{
	char addrs[512], one[INET6_ADDRSTRLEN];
	size_t i, j;

	if (plan->p.status != IPC_PLAN_OK) {
		if (plan->p.status == IPC_PLAN_DEFER &&
		    strcmp(plan->p.dsn, "4.4.3") == 0)
			log_warnx("policy: %s: %s", domain, plan->p.text);
		else
			log_debug("policy: %s: %s %d %s %s", domain,
			    plan->p.status == IPC_PLAN_BOUNCE ? "bounce" :
			    "defer", plan->p.code, plan->p.dsn, plan->p.text);
		return;
	}
	for (i = 0; i < plan->p.nhosts; i++) {
		const struct ipc_plan_host *h = &plan->h[i];

		addrs[0] = '\0';
		for (j = 0; j < h->naddr; j++) {
			if (inet_ntop(h->addr[j].family, h->addr[j].addr, one,
			    sizeof(one)) == NULL)
				continue;
			if (j > 0)
				(void)strlcat(addrs, ",", sizeof(addrs));
			(void)strlcat(addrs, one, sizeof(addrs));
		}
		log_debug("policy: %s: host %zu %s (at %s) port %u %s/%s "
		    "mx_ad=%d addr_ad=%d %s%s ttl=%u", domain, i, h->name,
		    plan->addr_name[i], h->port, h->policy, h->policy_src,
		    h->mx_ad, h->addr_ad, h->naddr > 0 ? addrs : "none: ",
		    h->naddr > 0 ? "" : h->text, plan->p.ttl);
	}
}
