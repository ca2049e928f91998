/*
 * plan.c: the pure half of resolving a destination domain into a plan
 * for smtpout (doc/design.md §8): raw answers read with dns_wire.c,
 * CNAME chains (RFC 1034 §3.6.2, RFC 2181 §10.1), MX ordering (RFC 5321
 * §5.1), null MX (RFC 7505), negative TTLs (RFC 2308 §5), the AD bit
 * (RFC 4035 §3.2.3), address families, the loop to ourselves.
 * No I/O, no allocation. Linked by the policy process and
 * tests/unit/test_policy_plan. See plan.h for the contracts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_wire.h"
#include "plan.h"

void
plan_verdict_set(struct plan_verdict *v, int status, int code,
    const char *dsn, const char *fmt, ...)
{
	va_list ap;

	v->status = status;
	v->code = code;
	if (strlcpy(v->dsn, dsn, sizeof(v->dsn)) >= sizeof(v->dsn))
		v->dsn[0] = '\0';
	va_start(ap, fmt);
	/* a text cut short is still the right verdict */
	if (vsnprintf(v->text, sizeof(v->text), fmt, ap) < 0)
		v->text[0] = '\0';
	va_end(ap);
}

/* Formats into out[0..size); a text cut short is still the right text. */
static void
plan_fmt(char *out, size_t size, const char *fmt, ...)
	__attribute__((__format__(printf, 3, 4)));

static void
plan_fmt(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(out, size, fmt, ap) < 0 && size > 0)
		out[0] = '\0';
	va_end(ap);
}

void
plan_answer_fail(struct plan_rrset *r, const char *why)
{
	r->status = PLAN_DNS_TEMP;
	r->ad = 0;
	r->ttl = 0;
	/* a why cut short still says what failed */
	if (why != r->why)
		(void)strlcpy(r->why, why, sizeof(r->why));
}

/* A host name we can hand on: [a-z0-9_-] and dots, lower-cased. */
static int
plan_hostname(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i + 1 >= size ||
		    !(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return -1;
		out[i] = (char)tolower(c);
	}
	if (i == 0)
		return -1;
	out[i] = '\0';
	return 0;
}

static const char *
plan_rcode_name(unsigned rcode)
{
	switch (rcode) {
	case DNS_WIRE_RCODE_FORMERR:
		return "FORMERR";
	case DNS_WIRE_RCODE_SERVFAIL:
		return "SERVFAIL";
	case DNS_WIRE_RCODE_NOTIMP:
		return "NOTIMP";
	case DNS_WIRE_RCODE_REFUSED:
		return "REFUSED";
	default:
		return "unexpected RCODE";
	}
}

/* The negative TTL (RFC 2308 §5): min(SOA TTL, SOA MINIMUM), else 300. */
static uint32_t
plan_neg_ttl(const struct dns_wire_msg *m)
{
	struct dns_wire_iter it;
	struct dns_wire_rr rr;
	size_t off;
	uint32_t min;
	const uint8_t *p;

	dns_wire_iter_init(m, &it);
	while (dns_wire_iter_next(m, &it, &rr) == 1) {
		if (rr.section != DNS_WIRE_SECTION_AUTHORITY ||
		    rr.type != DNS_WIRE_TYPE_SOA)
			continue;
		/* MNAME, RNAME, then five 32-bit fields */
		if (dns_wire_name_decode(rr.pkt, rr.pktlen, rr.rdoff, NULL,
		    0, &off) < 0 ||
		    dns_wire_name_decode(rr.pkt, rr.pktlen, off, NULL, 0,
		    &off) < 0 || off + 20 != rr.rdoff + rr.rdlen)
			break;
		p = rr.pkt + off + 16;
		min = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		if ((min & 0x80000000U) != 0)
			min = 0;
		return rr.ttl < min ? rr.ttl : min;
	}
	return PLAN_NEG_TTL_DEFAULT;
}

static uint32_t
plan_cap(uint32_t ttl)
{
	return ttl > PLAN_TTL_MAX ? PLAN_TTL_MAX : ttl;
}

/*
 * Everything the two readers share: parse, check the question, follow
 * the CNAME chain in the answer section, classify the RCODE. Returns
 * the status; for PLAN_DNS_RECORDS the caller collects the records of
 * qtype owned by r->owner (NODATA when there are none).
 */
static int
plan_answer_common(const uint8_t *pkt, size_t len, const char *qname,
    uint16_t qtype, int trust_ad, struct plan_rrset *r,
    struct dns_wire_msg *m)
{
	char seen[PLAN_CNAME_MAX + 1][PLAN_NAME_MAX];
	char target[DNS_WIRE_NAME_STRMAX];
	struct dns_wire_iter it;
	struct dns_wire_rr rr;
	unsigned i;
	int e, found;

	memset(r, 0, sizeof(*r));
	r->ttl = PLAN_TTL_MAX;
	if ((e = dns_wire_msg_parse(m, pkt, len)) < 0) {
		plan_fmt(r->why, sizeof(r->why), "malformed answer (%s)",
		    dns_wire_strerror(e));
		plan_answer_fail(r, r->why);
		return r->status;
	}
	if (!m->has_question || !dns_wire_question_match(&m->q, qname,
	    qtype, DNS_WIRE_CLASS_IN)) {
		plan_answer_fail(r, "malformed answer (another question)");
		return r->status;
	}
	if (m->hdr.tc) {
		plan_answer_fail(r, "truncated answer");
		return r->status;
	}
	if (m->rcode != DNS_WIRE_RCODE_NOERROR &&
	    m->rcode != DNS_WIRE_RCODE_NXDOMAIN) {
		plan_answer_fail(r, plan_rcode_name(m->rcode));
		return r->status;
	}
	if (plan_hostname(qname, r->owner, sizeof(r->owner)) == -1) {
		plan_answer_fail(r, "malformed answer (query name)");
		return r->status;
	}
	memcpy(seen[0], r->owner, sizeof(seen[0]));
	/* the resolver expands the chain: follow it inside the answer */
	for (;;) {
		found = 0;
		dns_wire_iter_init(m, &it);
		while ((e = dns_wire_iter_next(m, &it, &rr)) == 1) {
			if (rr.section != DNS_WIRE_SECTION_ANSWER ||
			    rr.type != DNS_WIRE_TYPE_CNAME ||
			    !dns_wire_name_equal(rr.name, r->owner))
				continue;
			if (dns_wire_rdata_cname(&rr, target,
			    sizeof(target)) < 0 ||
			    plan_hostname(target, r->owner,
			    sizeof(r->owner)) == -1) {
				plan_answer_fail(r, "malformed answer (CNAME)");
				return r->status;
			}
			if (rr.ttl < r->ttl)
				r->ttl = rr.ttl;
			found = 1;
			break;
		}
		if (e < 0) {
			plan_answer_fail(r, "malformed answer");
			return r->status;
		}
		if (!found)
			break;
		for (i = 0; i <= r->ncname; i++)
			if (strcmp(seen[i], r->owner) == 0) {
				plan_answer_fail(r, "CNAME loop");
				return r->status;
			}
		if (r->ncname == PLAN_CNAME_MAX) {
			plan_fmt(r->why, sizeof(r->why),
			    "CNAME chain longer than %d", PLAN_CNAME_MAX);
			plan_answer_fail(r, r->why);
			return r->status;
		}
		memcpy(seen[++r->ncname], r->owner, sizeof(seen[0]));
	}
	r->ad = trust_ad && m->hdr.ad;
	if (m->rcode == DNS_WIRE_RCODE_NXDOMAIN) {
		r->status = PLAN_DNS_NXDOMAIN;
		r->ttl = plan_neg_ttl(m);
	} else
		r->status = PLAN_DNS_RECORDS;
	r->ttl = plan_cap(r->ttl);
	return r->status;
}

/* No records of the type: NODATA with the negative TTL. */
static int
plan_nodata(struct plan_rrset *r, const struct dns_wire_msg *m)
{
	uint32_t neg = plan_neg_ttl(m);

	r->status = PLAN_DNS_NODATA;
	/* a CNAME chain's TTLs bound it too */
	if (neg < r->ttl)
		r->ttl = plan_cap(neg);
	return r->status;
}

/*
 * Walks the answer records of type qtype owned by r->owner (the end of
 * the CNAME chain) and calls one(rr, arg) for each: 0 taken (or
 * skipped), -1 malformed (r fails with why). No record of the type is
 * NODATA; the least TTL of the records bounds r->ttl. Returns r->status.
 */
static int
plan_answer_walk(const struct dns_wire_msg *m, struct plan_rrset *r,
    uint16_t qtype, int (*one)(const struct dns_wire_rr *, void *,
    const char **why), void *arg)
{
	struct dns_wire_iter it;
	struct dns_wire_rr rr;
	uint32_t ttl = PLAN_TTL_MAX;
	const char *why;
	int e, any = 0;

	dns_wire_iter_init(m, &it);
	while ((e = dns_wire_iter_next(m, &it, &rr)) == 1) {
		if (rr.section != DNS_WIRE_SECTION_ANSWER || rr.type != qtype ||
		    !dns_wire_name_equal(rr.name, r->owner))
			continue;
		why = "malformed answer";
		if (one(&rr, arg, &why) == -1) {
			plan_answer_fail(r, why);
			return r->status;
		}
		any = 1;
		if (rr.ttl < ttl)
			ttl = rr.ttl;
	}
	if (e < 0) {
		plan_answer_fail(r, "malformed answer");
		return r->status;
	}
	if (!any)
		return plan_nodata(r, m);
	if (ttl < r->ttl)
		r->ttl = plan_cap(ttl);
	return r->status;
}

static int
plan_one_mx(const struct dns_wire_rr *rr, void *arg, const char **why)
{
	struct plan_mx_answer *out = arg;
	struct dns_wire_mx mx;

	if (dns_wire_rdata_mx(rr, &mx) < 0) {
		*why = "malformed answer (MX)";
		return -1;
	}
	if (out->nmx == PLAN_MX_MAX || (strcmp(mx.exchange, ".") != 0 &&
	    plan_hostname(mx.exchange, out->mx[out->nmx].host,
	    sizeof(out->mx[0].host)) == -1)) {
		out->skipped++;
		return 0;
	}
	if (strcmp(mx.exchange, ".") == 0)
		(void)strlcpy(out->mx[out->nmx].host, ".",
		    sizeof(out->mx[0].host));
	out->mx[out->nmx++].pref = mx.preference;
	return 0;
}

int
plan_answer_mx(const uint8_t *pkt, size_t len, const char *qname,
    int trust_ad, struct plan_mx_answer *out)
{
	struct dns_wire_msg m;

	out->nmx = 0;
	out->skipped = 0;
	if (plan_answer_common(pkt, len, qname, DNS_WIRE_TYPE_MX, trust_ad,
	    &out->r, &m) == PLAN_DNS_RECORDS &&
	    plan_answer_walk(&m, &out->r, DNS_WIRE_TYPE_MX, plan_one_mx,
	    out) == PLAN_DNS_TEMP)
		out->nmx = 0;
	return out->r.status;
}

/* The address answer being filled, and its type. */
struct plan_addr_walk {
	struct plan_addr_answer	*out;
	uint16_t		 qtype;
};

static int
plan_one_addr(const struct dns_wire_rr *rr, void *arg, const char **why)
{
	struct plan_addr_walk *w = arg;
	struct plan_addr_answer *out = w->out;
	uint8_t a[16];

	memset(a, 0, sizeof(a));
	if ((w->qtype == DNS_WIRE_TYPE_A ? dns_wire_rdata_a(rr, a) :
	    dns_wire_rdata_aaaa(rr, a)) < 0) {
		*why = "malformed answer (address)";
		return -1;
	}
	if (out->naddr == IPC_PLAN_ADDRS_MAX)
		return 0;
	memset(&out->addr[out->naddr], 0, sizeof(out->addr[0]));
	out->addr[out->naddr].family = w->qtype == DNS_WIRE_TYPE_A ?
	    AF_INET : AF_INET6;
	memcpy(out->addr[out->naddr].addr, a, 16);
	out->naddr++;
	return 0;
}

int
plan_answer_addr(const uint8_t *pkt, size_t len, const char *qname,
    uint16_t qtype, int trust_ad, struct plan_addr_answer *out)
{
	struct plan_addr_walk w = { out, qtype };
	struct dns_wire_msg m;

	out->naddr = 0;
	if (qtype != DNS_WIRE_TYPE_A && qtype != DNS_WIRE_TYPE_AAAA) {
		memset(&out->r, 0, sizeof(out->r));
		plan_answer_fail(&out->r, "bad query type");
		return out->r.status;
	}
	if (plan_answer_common(pkt, len, qname, qtype, trust_ad, &out->r,
	    &m) == PLAN_DNS_RECORDS &&
	    plan_answer_walk(&m, &out->r, qtype, plan_one_addr, &w) ==
	    PLAN_DNS_TEMP)
		out->naddr = 0;
	return out->r.status;
}

static int
plan_one_tlsa(const struct dns_wire_rr *rr, void *arg, const char **why)
{
	struct plan_tlsa_answer *out = arg;
	struct plan_tlsa_rec *rec;
	struct dns_wire_tlsa t;

	if (dns_wire_rdata_tlsa(rr, &t) < 0) {
		out->malformed++;	/* a digest of the wrong length */
		return 0;
	}
	if (out->n == PLAN_TLSA_RECS_MAX ||
	    t.datalen > sizeof(out->pool) - out->used) {
		*why = "TLSA RRset too large";
		return -1;
	}
	rec = &out->rec[out->n++];
	rec->usage = t.usage;
	rec->selector = t.selector;
	rec->mtype = t.mtype;
	rec->off = out->used;
	rec->len = t.datalen;
	memcpy(out->pool + out->used, t.data, t.datalen);
	out->used += t.datalen;
	return 0;
}

int
plan_answer_tlsa(const uint8_t *pkt, size_t len, const char *qname,
    int trust_ad, struct plan_tlsa_answer *out)
{
	struct dns_wire_msg m;

	out->n = 0;
	out->used = 0;
	out->malformed = 0;
	if (plan_answer_common(pkt, len, qname, DNS_WIRE_TYPE_TLSA, trust_ad,
	    &out->r, &m) == PLAN_DNS_RECORDS &&
	    plan_answer_walk(&m, &out->r, DNS_WIRE_TYPE_TLSA, plan_one_tlsa,
	    out) == PLAN_DNS_TEMP)
		out->n = 0;
	return out->r.status;
}

static int
plan_one_txt(const struct dns_wire_rr *rr, void *arg, const char **why)
{
	struct plan_txt_answer *out = arg;
	size_t tl;

	(void)why;
	if (out->n == PLAN_TXT_MAX || dns_wire_rdata_txt(rr, out->txt[out->n],
	    sizeof(out->txt[0]), &tl) < 0) {
		out->skipped++;
		return 0;
	}
	out->len[out->n++] = tl;
	return 0;
}

int
plan_answer_txt(const uint8_t *pkt, size_t len, const char *qname,
    int trust_ad, struct plan_txt_answer *out)
{
	struct dns_wire_msg m;

	out->n = 0;
	out->skipped = 0;
	if (plan_answer_common(pkt, len, qname, DNS_WIRE_TYPE_TXT, trust_ad,
	    &out->r, &m) == PLAN_DNS_RECORDS &&
	    plan_answer_walk(&m, &out->r, DNS_WIRE_TYPE_TXT, plan_one_txt,
	    out) == PLAN_DNS_TEMP)
		out->n = 0;
	return out->r.status;
}

void
plan_mx_sort(struct plan_mx_answer *a, const uint32_t *rnd)
{
	uint32_t key[PLAN_MX_MAX], k;
	struct plan_mx tmp;
	size_t i, j;

	for (i = 0; i < a->nmx; i++)
		key[i] = rnd != NULL ? rnd[i] : 0;
	/* insertion sort: stable, and nmx is small */
	for (i = 1; i < a->nmx; i++) {
		tmp = a->mx[i];
		k = key[i];
		for (j = i; j > 0 && (a->mx[j - 1].pref > tmp.pref ||
		    (a->mx[j - 1].pref == tmp.pref && key[j - 1] > k)); j--) {
			a->mx[j] = a->mx[j - 1];
			key[j] = key[j - 1];
		}
		a->mx[j] = tmp;
		key[j] = k;
	}
}

int
plan_targets(const char *domain, const struct route_decision *d,
    const struct plan_mx_answer *mx, const char *myhostname,
    struct plan_targets *out)
{
	const char *q = d->hop.host;
	size_t i, nreal = 0;
	int loop_pref = -1;

	memset(out, 0, sizeof(*out));
	out->v.status = IPC_PLAN_OK;
	if (d->hop.nomx || mx == NULL) {
		if (strlcpy(out->t[0].name, q, sizeof(out->t[0].name)) >=
		    sizeof(out->t[0].name))
			return out->v.status = IPC_PLAN_DEFER;
		out->t[0].literal = d->hop.literal;
		out->n = 1;
		out->ttl = PLAN_TTL_MAX;
		out->implicit = 1;
	} else {
		switch (mx->r.status) {
		case PLAN_DNS_TEMP:
			plan_verdict_set(&out->v, IPC_PLAN_DEFER, 451, "4.4.3",
			    "temporary DNS failure: MX lookup of %s: %s", q,
			    mx->r.why);
			return out->v.status;
		case PLAN_DNS_NXDOMAIN:
			if (d->relayed)
				plan_verdict_set(&out->v, IPC_PLAN_DEFER, 451,
				    "4.4.3", "relay %s not found (NXDOMAIN)",
				    q);
			else
				plan_verdict_set(&out->v, IPC_PLAN_BOUNCE, 550,
				    "5.1.2", "Host or domain name not found: "
				    "%s (NXDOMAIN)", q);
			out->ttl = mx->r.ttl;
			return out->v.status;
		case PLAN_DNS_NODATA:
			/* RFC 5321 §5.1: the domain is its own MX */
			(void)strlcpy(out->t[0].name, q,
			    sizeof(out->t[0].name));
			out->n = 1;
			out->implicit = 1;
			break;
		default:
			for (i = 0; i < mx->nmx; i++)
				if (strcmp(mx->mx[i].host, ".") != 0)
					nreal++;
			if (nreal == 0 && mx->nmx > 0) {
				/* RFC 7505: only null MX records */
				if (d->relayed)
					plan_verdict_set(&out->v,
					    IPC_PLAN_DEFER, 451, "4.4.3",
					    "relay %s has a null MX", q);
				else
					plan_verdict_set(&out->v,
					    IPC_PLAN_BOUNCE, 550, "5.1.10",
					    "Recipient address has null MX");
				out->ttl = mx->r.ttl;
				return out->v.status;
			}
			for (i = 0; i < mx->nmx && out->n < IPC_PLAN_HOSTS_MAX;
			    i++) {
				if (strcmp(mx->mx[i].host, ".") == 0)
					continue;	/* mixed: ignored */
				if (myhostname != NULL &&
				    dns_wire_name_equal(mx->mx[i].host,
				    myhostname)) {
					loop_pref = mx->mx[i].pref;
					break;
				}
				out->t[out->n] = (struct plan_target){
				    .pref = mx->mx[i].pref };
				memcpy(out->t[out->n].name, mx->mx[i].host,
				    sizeof(out->t[0].name));
				out->n++;
			}
			/* Postfix's rule: ourselves and worse are dropped */
			while (loop_pref >= 0 && out->n > 0 &&
			    out->t[out->n - 1].pref == loop_pref)
				out->n--;
			if (nreal == 0 || (out->n == 0 && mx->skipped > 0 &&
			    loop_pref < 0)) {
				plan_verdict_set(&out->v, IPC_PLAN_DEFER, 451,
				    "4.4.3", "temporary DNS failure: MX lookup "
				    "of %s: no usable MX host name", q);
				return out->v.status;
			}
			break;
		}
		out->ttl = mx->r.ttl;
		out->mx_ad = mx->r.ad;
	}
	if (out->n == 0 || (out->implicit && myhostname != NULL &&
	    dns_wire_name_equal(out->t[0].name, myhostname))) {
		plan_verdict_set(&out->v, IPC_PLAN_DEFER, 451, "4.4.6",
		    "mail for %s loops back to myself", domain);
		out->n = 0;
	}
	return out->v.status;
}

void
plan_from_verdict(const struct plan_verdict *v, uint32_t ttl,
    struct plan *out)
{
	memset(&out->p, 0, sizeof(out->p));
	out->p.status = v->status;
	out->p.code = v->code;
	memcpy(out->p.dsn, v->dsn, sizeof(out->p.dsn));
	(void)strlcpy(out->p.text, v->text, sizeof(out->p.text));
	out->p.nhosts = 0;
	out->p.ttl = v->status == IPC_PLAN_DEFER ? 0 : plan_cap(ttl);
}

/*
 * verify's match= names for host h, the words made names: hostname the
 * host's own, nexthop the destination domain (a relay's name for a
 * relay), dot-nexthop the same with a leading dot.
 */
static void
plan_match_names(const char *domain, const struct route_decision *d,
    struct ipc_plan_host *h)
{
	char self[sizeof(h->name)];
	/* Postfix's next-hop: the relay's name for a relay= route */
	const char *nexthop = d->relayed ? d->hop.host : domain;
	const char *m;
	unsigned i;
	int n;

	memcpy(self, h->name, sizeof(self));
	h->nmatch = 0;
	for (i = 0; i < d->nmatch && i < IPC_PLAN_MATCH_MAX; i++) {
		m = d->match[i];
		if (strcmp(m, "hostname") == 0)
			n = snprintf(h->match[h->nmatch], sizeof(h->match[0]),
			    "%s", self);
		else if (strcmp(m, "nexthop") == 0)
			n = snprintf(h->match[h->nmatch], sizeof(h->match[0]),
			    "%s", nexthop);
		else if (strcmp(m, "dot-nexthop") == 0)
			n = snprintf(h->match[h->nmatch], sizeof(h->match[0]),
			    ".%s", nexthop);
		else
			n = snprintf(h->match[h->nmatch], sizeof(h->match[0]),
			    "%s", m);
		if (n > 0 && (size_t)n < sizeof(h->match[0]))
			h->nmatch++;
	}
}

/* Appends the addresses of a (when given) to h, up to the cap. */
static void
plan_add_addrs(struct ipc_plan_host *h, const struct plan_addr_answer *a)
{
	size_t i;

	if (a == NULL || a->r.status != PLAN_DNS_RECORDS)
		return;
	for (i = 0; i < a->naddr && h->naddr < IPC_PLAN_ADDRS_MAX; i++)
		h->addr[h->naddr++] = a->addr[i];
}

static const char *
plan_af_words(int family)
{
	switch (family) {
	case PLAN_AF_IPV4:
		return "IPv4 address";
	case PLAN_AF_IPV6:
		return "IPv6 address";
	default:
		return "address";
	}
}

int
plan_build(const char *domain, const struct route_decision *d,
    const struct plan_targets *tg, const struct plan_addr_answer *const *a,
    const struct plan_addr_answer *const *aaaa, int family, struct plan *out)
{
	const struct plan_addr_answer *ans[2];
	struct plan_verdict v;
	struct ipc_plan_host *h;
	const char *temp = NULL, *tempname = NULL, *tempq = NULL;
	uint32_t ttl = tg->ttl;
	size_t i, j, usable = 0;
	int nx, ad, asked;
	uint8_t lit[16];

	memset(out, 0, sizeof(*out));
	if (tg->v.status != IPC_PLAN_OK) {
		plan_from_verdict(&tg->v, tg->ttl, out);
		return out->p.status;
	}
	for (i = 0; i < tg->n; i++) {
		h = &out->h[out->p.nhosts];
		memset(h, 0, sizeof(*h));
		ans[0] = family != PLAN_AF_IPV6 ? a[i] : NULL;
		ans[1] = family != PLAN_AF_IPV4 ? aaaa[i] : NULL;
		(void)strlcpy(h->name, tg->t[i].name, sizeof(h->name));
		(void)strlcpy(out->addr_name[out->p.nhosts], tg->t[i].name,
		    sizeof(out->addr_name[0]));
		if (tg->t[i].literal) {
			memset(lit, 0, sizeof(lit));
			if (inet_pton(AF_INET, tg->t[i].name, lit) == 1)
				h->addr[0].family = AF_INET;
			else if (inet_pton(AF_INET6, tg->t[i].name, lit) == 1)
				h->addr[0].family = AF_INET6;
			if (h->addr[0].family != 0 &&
			    (family == PLAN_AF_ANY ||
			    (family == PLAN_AF_IPV4) ==
			    (h->addr[0].family == AF_INET))) {
				memcpy(h->addr[0].addr, lit, 16);
				h->naddr = 1;
			} else {
				h->addr[0].family = 0;
				plan_fmt(h->text, sizeof(h->text),
				    "%s is not an %s", tg->t[i].name,
				    plan_af_words(family));
			}
			ad = 0;
			asked = 1;
			nx = 0;
		} else {
			nx = 0;
			ad = 1;
			asked = 0;
			for (j = 0; j < 2; j++) {
				if (ans[j] == NULL)
					continue;
				if (ans[j]->r.status == PLAN_DNS_NXDOMAIN)
					nx = 1;
				if (ans[j]->r.status == PLAN_DNS_TEMP) {
					if (temp == NULL) {
						temp = ans[j]->r.why;
						tempname = tg->t[i].name;
						tempq = j == 0 ? "A" : "AAAA";
					}
					if (h->text[0] == '\0')
						plan_fmt(h->text,
						    sizeof(h->text),
						    "temporary DNS failure: %s "
						    "lookup of %s: %s",
						    j == 0 ? "A" : "AAAA",
						    tg->t[i].name,
						    ans[j]->r.why);
					ad = 0;
					continue;
				}
				asked = 1;
				ad = ad && ans[j]->r.ad;
				if (ans[j]->r.ttl < ttl)
					ttl = ans[j]->r.ttl;
				if (ans[j]->r.status == PLAN_DNS_RECORDS)
					(void)strlcpy(
					    out->addr_name[out->p.nhosts],
					    ans[j]->r.owner,
					    sizeof(out->addr_name[0]));
			}
			/* IPv4 first, then IPv6 (sealpost.conf(5)) */
			plan_add_addrs(h, ans[0]);
			plan_add_addrs(h, ans[1]);
		}
		if (nx && h->naddr == 0)
			continue;	/* no such host: dropped */
		if (h->naddr == 0 && h->text[0] == '\0')
			plan_fmt(h->text, sizeof(h->text),
			    "%s has no %s", tg->t[i].name,
			    plan_af_words(family));
		h->index = out->p.nhosts;
		h->port = d->hop.port;
		h->requirement = d->requirement;
		(void)strlcpy(h->policy, d->policy, sizeof(h->policy));
		(void)strlcpy(h->policy_src, d->policy_src,
		    sizeof(h->policy_src));
		h->auth = d->auth;
		h->mx_ad = tg->mx_ad;
		h->addr_ad = asked && ad;
		h->nfp = d->nfp;
		memcpy(h->fp, d->fp, sizeof(h->fp));
		plan_match_names(domain, d, h);
		if (h->naddr > 0)
			usable++;
		out->p.nhosts++;
	}
	if (usable > 0) {
		out->p.status = IPC_PLAN_OK;
		out->p.ttl = plan_cap(ttl);
		/*
		 * A host whose addresses could not be looked up for now is
		 * left out of this plan only for now: a plan with such a
		 * gap is kept a minute, not the records' TTL, or a failure
		 * of one lookup would skip the best MX for a day.
		 */
		if (temp != NULL && out->p.ttl > PLAN_TEMP_TTL)
			out->p.ttl = PLAN_TEMP_TTL;
		return IPC_PLAN_OK;
	}
	if (temp != NULL)
		plan_verdict_set(&v, IPC_PLAN_DEFER, 451, "4.4.3",
		    "temporary DNS failure: %s lookup of %s: %s", tempq,
		    tempname, temp);
	else if (tg->implicit && !d->relayed && family == PLAN_AF_ANY &&
	    out->p.nhosts > 0)
		plan_verdict_set(&v, IPC_PLAN_BOUNCE, 550, "5.1.2",
		    "%s has no MX or address", domain);
	else if (tg->implicit && !d->relayed && out->p.nhosts == 0)
		plan_verdict_set(&v, IPC_PLAN_BOUNCE, 550, "5.1.2",
		    "Host or domain name not found: %s (NXDOMAIN)", domain);
	else
		plan_verdict_set(&v, IPC_PLAN_DEFER, 451, "4.4.4",
		    "no %s of %s has an %s", d->relayed ? "relay host" :
		    "MX host", d->relayed ? d->hop.host : domain,
		    plan_af_words(family));
	plan_from_verdict(&v, ttl, out);
	return out->p.status;
}
