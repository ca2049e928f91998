/*
 * policyd_lookup.c: the lookups of the policy process and its plan cache
 * (doc/design.md §8). A lookup resolves one domain: the route
 * (policy/route.c), the MX query of the hop (RFC 5321 §5.1; none for
 * [host] and addresses) and, for the domain's own MX, its MTA-STS policy
 * (policyd_sts.c) at the same time; then A and AAAA of every host as
 * smtpout_address_family allows, all at once; then the TLSA records of
 * every host whose MX and address records are DNSSEC-secure (RFC 7672
 * §2.2: at the CNAME-expanded name first, then the MX name); then
 * policy/plan.c and policy/verdict.c decide, with the downgrade memory
 * (policyd_memory.c). Every request for a domain whose lookup runs
 * waits for that same lookup. Finished plans are cached for their TTL
 * (at most a day; deferrals are not cached), at most POLICYD_CACHE_MAX
 * domains, the oldest evicted first. A `policy` log line is written
 * when what a domain's policy rests on changes (doc/design.md §9), and
 * at the first lookup after sealpost requeue forgot the domain's plan.
 * Linked by the policy binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/dane.h"
#include "policy/dns_wire.h"
#include "policyd_run.h"

#define POLICYD_BUCKETS	4096

/* One query of a run: which answer slot it fills. */
struct policyd_q {
	struct policyd_run	*run;
	int			 kind;		/* 0 MX, 1 A, 2 AAAA, 3 TLSA,
						   4 TXT _smtp._tls (explain) */
	size_t			 idx;
};

struct policyd_ent {
	LIST_ENTRY(policyd_ent)	 hash;
	TAILQ_ENTRY(policyd_ent) age;
	char			 domain[PLAN_NAME_MAX];
	uint64_t		 expires;	/* monotonic ms */
	struct ipc_plan		 p;
	struct ipc_plan_host	*h;		/* p.nhosts of them */
	uint8_t			*tlsa;		/* the TLSA frames */
	size_t			 tlsalen;
	uint64_t		 summary;	/* of the policy line */
};

/* What a domain's last policy line said (a hash of it). */
struct policyd_said {
	LIST_ENTRY(policyd_said) hash;
	char			 domain[PLAN_NAME_MAX];
	uint64_t		 summary;
};
LIST_HEAD(policyd_saids, policyd_said);

LIST_HEAD(policyd_runs, policyd_run);
LIST_HEAD(policyd_bucket, policyd_ent);
TAILQ_HEAD(policyd_ages, policyd_ent);

struct policyd_lookups {
	struct loop		*loop;
	struct policyd_dns	*dns;
	const struct policyd_cfg *cfg;
	policyd_plan_cb		 cb;
	void			*arg;
	struct policyd_runs	 runs;
	struct policyd_bucket	 buckets[POLICYD_BUCKETS];
	struct policyd_ages	 ages;		/* oldest first */
	size_t			 nents;
	struct policyd_saids	 said[POLICYD_BUCKETS];
	size_t			 nsaid;
};

static void	policyd_run_step(struct policyd_run *);

size_t
policyd_name_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static size_t
policyd_hash(const char *s)
{
	return policyd_name_hash(s) % POLICYD_BUCKETS;
}

struct policyd_lookups *
policyd_lookups_new(struct loop *loop, struct policyd_dns *dns,
    const struct policyd_cfg *cfg, policyd_plan_cb cb, void *arg)
{
	struct policyd_lookups *ls;
	size_t i;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		fatal("policy: lookups");
	ls->loop = loop;
	ls->dns = dns;
	ls->cfg = cfg;
	ls->cb = cb;
	ls->arg = arg;
	LIST_INIT(&ls->runs);
	for (i = 0; i < POLICYD_BUCKETS; i++)
		LIST_INIT(&ls->buckets[i]);
	TAILQ_INIT(&ls->ages);
	for (i = 0; i < POLICYD_BUCKETS; i++)
		LIST_INIT(&ls->said[i]);
	return ls;
}

/* ---- the cache ------------------------------------------------------------ */

static void
policyd_cache_drop(struct policyd_lookups *ls, struct policyd_ent *e)
{
	LIST_REMOVE(e, hash);
	TAILQ_REMOVE(&ls->ages, e, age);
	ls->nents--;
	free(e->h);
	free(e->tlsa);
	free(e);
}

static struct policyd_ent *
policyd_cache_get(struct policyd_lookups *ls, const char *domain)
{
	struct policyd_ent *e;
	uint64_t now = loop_now_ms();

	LIST_FOREACH(e, &ls->buckets[policyd_hash(domain)], hash) {
		if (strcmp(e->domain, domain) != 0)
			continue;
		if (e->expires <= now) {
			policyd_cache_drop(ls, e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

/* Keeps a plan for its ttl; a failure to keep it only costs a lookup. */
static void
policyd_cache_put(struct policyd_lookups *ls, const char *domain,
    const struct plan *plan, const uint8_t *tlsa, size_t tlsalen)
{
	struct policyd_ent *e;

	if (plan->p.status == IPC_PLAN_DEFER || plan->p.ttl == 0)
		return;
	if ((e = policyd_cache_get(ls, domain)) != NULL)
		policyd_cache_drop(ls, e);
	while (ls->nents >= POLICYD_CACHE_MAX)
		policyd_cache_drop(ls, TAILQ_FIRST(&ls->ages));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	if (plan->p.nhosts > 0 && (e->h = calloc(plan->p.nhosts,
	    sizeof(*e->h))) == NULL) {
		free(e);
		return;
	}
	if (tlsalen > 0 && (e->tlsa = malloc(tlsalen)) == NULL) {
		free(e->h);
		free(e);
		return;
	}
	if (tlsalen > 0)
		memcpy(e->tlsa, tlsa, tlsalen);
	e->tlsalen = tlsalen;
	(void)strlcpy(e->domain, domain, sizeof(e->domain));
	e->p = plan->p;
	if (plan->p.nhosts > 0)
		memcpy(e->h, plan->h, plan->p.nhosts * sizeof(*e->h));
	e->expires = loop_now_ms() + (uint64_t)plan->p.ttl * 1000;
	LIST_INSERT_HEAD(&ls->buckets[policyd_hash(domain)], e, hash);
	TAILQ_INSERT_TAIL(&ls->ages, e, age);
	ls->nents++;
}

/* ---- a run: one domain's lookup -------------------------------------------- */

/* ---- the policy line (doc/design.md §9) ---------------------------------- */

static uint64_t
policyd_fnv(uint64_t h, const char *s)
{
	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h * 1099511628211ULL;
}

/*
 * Writes `policy domain= src= ...` when what the domain's policy rests
 * on differs from the last line written for it (or it failed).
 */
static void
policyd_run_said(struct policyd_run *r, const char *src, const char *failure,
    const char *detail)
{
	struct policyd_lookups *ls = r->ls;
	const struct policyd_sts_state *st = &r->sts;
	struct policyd_said *sd;
	struct log_kv kv;
	char mode[16] = "", age[16] = "";
	uint64_t h = 14695981039346656037ULL;
	size_t b = policyd_hash(r->domain);

	if (st->have) {
		(void)strlcpy(mode, sts_mode_name(st->policy.mode),
		    sizeof(mode));
		(void)snprintf(age, sizeof(age), "%u", st->policy.max_age);
	}
	h = policyd_fnv(h, src);
	h = policyd_fnv(h, mode);
	h = policyd_fnv(h, st->have ? st->id : "");
	h = policyd_fnv(h, failure);
	h = policyd_fnv(h, r->d.audit_only ? "audit-only" : "");
	LIST_FOREACH(sd, &ls->said[b], hash)
		if (strcmp(sd->domain, r->domain) == 0)
			break;
	if (sd != NULL && sd->summary == h && failure[0] == '\0')
		return;
	if (sd == NULL && ls->nsaid < POLICYD_CACHE_MAX &&
	    (sd = calloc(1, sizeof(*sd))) != NULL) {
		(void)strlcpy(sd->domain, r->domain, sizeof(sd->domain));
		LIST_INSERT_HEAD(&ls->said[b], sd, hash);
		ls->nsaid++;
	}
	if (sd != NULL)
		sd->summary = h;
	/* log_kv: DNS and HTTP bytes in detail cannot forge a key (§9) */
	log_kv_init(&kv, "policy");
	log_kv_str(&kv, "domain", r->domain);
	log_kv_str(&kv, "src", src);
	if (st->have) {
		log_kv_str(&kv, "mode", mode);
		log_kv_str(&kv, "id", st->id);
		log_kv_str(&kv, "max_age", age);
	}
	log_kv_str(&kv, "result", failure[0] != '\0' ? "failed" : "ok");
	if (failure[0] != '\0') {
		log_kv_str(&kv, "failure", failure);
		log_kv_str(&kv, "detail", detail);
	}
	/* the table's audit-only: failures are logged, not enforced */
	if (r->d.audit_only)
		log_kv_str(&kv, "audit", r->d.audit_cleartext ?
		    "audit-only+cleartext-ok" : "audit-only");
	if (!policyd_dns_trusted(ls->dns))
		log_kv_str(&kv, "dnssec", "untrusted-resolver");
	log_kv_emit(&kv);
}

/* ---- a run: one domain's lookup -------------------------------------------- */

static void
policyd_run_free(struct policyd_run *r)
{
	size_t i;

	for (i = 0; i < IPC_PLAN_HOSTS_MAX; i++)
		free(r->dane[i].tlsa);
	free(r->plan);
	free(r->tlsrpt);
	free(r);
}

void
policyd_tlsa_rec(const struct plan_tlsa_answer *t, size_t j,
    struct dane_tlsa *out)
{
	out->usage = t->rec[j].usage;
	out->selector = t->rec[j].selector;
	out->mtype = t->rec[j].mtype;
	out->data = t->pool + t->rec[j].off;
	out->len = t->rec[j].len;
}

/*
 * Appends the usable TLSA records of host i to the frame buffer (each
 * frame preceded by its length); sets the host's ntlsa.
 */
static int
policyd_run_tlsa(struct policyd_run *r, size_t i, struct buf *fr)
{
	const struct plan_tlsa_answer *t = r->dane[i].tlsa;
	struct ipc_plan_host *h = &r->plan->h[i];
	struct ipc_plan_tlsa pt;
	struct dane_tlsa dt;
	uint32_t flen;
	size_t j;

	h->ntlsa = 0;
	if (t == NULL)
		return 0;
	for (j = 0; j < t->n && h->ntlsa < IPC_PLAN_TLSA_MAX; j++) {
		policyd_tlsa_rec(t, j, &dt);
		if (!dane_tlsa_usable(&dt) ||
		    sizeof(pt) + dt.len > IPC_PAYLOAD_MAX)
			continue;
		memset(&pt, 0, sizeof(pt));
		pt.index = (uint32_t)i;
		pt.usage = dt.usage;
		pt.selector = dt.selector;
		pt.mtype = dt.mtype;
		pt.len = (uint32_t)dt.len;
		flen = (uint32_t)(sizeof(pt) + dt.len);
		if (buf_append(fr, &flen, sizeof(flen)) == -1 ||
		    buf_append(fr, &pt, sizeof(pt)) == -1 ||
		    buf_append(fr, dt.data, dt.len) == -1)
			return -1;
		h->ntlsa++;
	}
	return 0;
}

/* Applies the verdict to every host; returns the plan's status. */
static void
policyd_run_verdicts(struct policyd_run *r, struct buf *fr)
{
	struct policyd_lookups *ls = r->ls;
	struct plan *plan = r->plan;
	struct verdict_in in;
	struct verdict_host_in hin;
	struct ipc_plan_host *h;
	const char *src = "none", *failure = "", *detail = "";
	size_t i, usable = 0;
	int first_fail = -1;

	memset(&in, 0, sizeof(in));
	in.d = &r->d;
	if (r->sts.have && r->sts.policy.mode == STS_MODE_ENFORCE)
		in.sts = VERDICT_STS_ENFORCE;
	else if (r->sts.have && r->sts.policy.mode == STS_MODE_TESTING)
		in.sts = VERDICT_STS_TESTING;
	else if (r->sts.have)
		in.sts = VERDICT_STS_PUBLISHED_NONE;
	if (!r->d.relayed && ls->cfg->memory != NULL &&
	    (r->mem = policyd_memory_get(ls->cfg->memory, r->domain)) != NULL) {
		r->mem_copy = *r->mem;
		r->mem = &r->mem_copy;
		in.memory = r->mem->level;
	}
	for (i = 0; i < plan->p.nhosts; i++) {
		h = &plan->h[i];
		memset(&hin, 0, sizeof(hin));
		hin.dane = r->dane[i].state;
		hin.dane_why = r->dane[i].why;
		hin.sts_match = in.sts != VERDICT_STS_NONE &&
		    sts_policy_mx_match(&r->sts.policy, h->name);
		hin.mx_secure = r->d.hop.nomx || r->tg.mx_ad;
		verdict_host(&in, &hin, &r->v[i]);
		h->own_mx = !r->d.relayed;
		h->audit_only = r->v[i].audit_only;
		h->audit_cleartext = r->v[i].audit_cleartext;
		if (h->naddr == 0)
			continue;
		if (r->v[i].raised)
			policyd_memory_said(r->domain, "memory",
			    policyd_memory_word(in.memory), "raised", h->name,
			    r->v[i].policy, !policyd_dns_trusted(ls->dns));
		h->requirement = r->v[i].requirement;
		(void)strlcpy(h->policy, r->v[i].policy, sizeof(h->policy));
		(void)strlcpy(h->policy_src, r->v[i].policy_src,
		    sizeof(h->policy_src));
		/*
		 * The TLSA base domain for every host DANE looked at, refused
		 * or unusable ones too: TLS reports file DANE's word under it
		 * (doc/design.md §8); smtpout uses it as SNI only under DANE.
		 */
		if (r->dane[i].base[0] != '\0')
			(void)strlcpy(h->tlsa_base, r->dane[i].base,
			    sizeof(h->tlsa_base));
		if (!r->v[i].usable) {
			/* addresses kept: TLS-Required: No may use them */
			h->refused = 1;
			(void)strlcpy(h->text, r->v[i].text, sizeof(h->text));
			(void)strlcpy(h->failure, r->v[i].failure,
			    sizeof(h->failure));
			if (first_fail < 0)
				first_fail = (int)i;
			continue;
		}
		/* the policy line's src: what decided the first usable host */
		if (usable++ == 0)
			src = strcmp(h->policy_src, "floor") == 0 ? "none" :
			    h->policy_src;
		h->sts_testing = r->v[i].sts_testing;
		if (h->requirement == IPC_REQ_DANE ||
		    h->requirement == IPC_REQ_DANE_ONLY) {
			if (policyd_run_tlsa(r, i, fr) == -1)
				fatal("policy: TLSA frames");
		}
	}
	if (first_fail >= 0) {
		/*
		 * A refused host: smtpout skips it (every one refused defers
		 * the job with the reason); the plan is kept briefly, so that
		 * a passing DNSSEC failure is not remembered for long.
		 */
		h = &plan->h[first_fail];
		if (plan->p.ttl > PLAN_TEMP_TTL)
			plan->p.ttl = PLAN_TEMP_TTL;
		if (usable == 0) {
			failure = h->failure;
			detail = h->text;
		}
	}
	/* an MTA-STS discovery that failed is tried again soon */
	if (r->sts.failure[0] != '\0' && plan->p.ttl > PLAN_TEMP_TTL)
		plan->p.ttl = PLAN_TEMP_TTL;
	if (failure[0] == '\0' && r->sts.failure[0] != '\0') {
		failure = r->sts.failure;
		detail = r->sts.detail;
	}
	for (i = 0; failure[0] == '\0' && i < plan->p.nhosts; i++)
		if (r->dane[i].state == VERDICT_DANE_FAILED) {
			failure = "dnssec-invalid";
			detail = r->dane[i].why;
		}
	if (!r->explain && plan->p.status != IPC_PLAN_BOUNCE)
		policyd_run_said(r, src, failure, detail);
}

static void
policyd_run_finish(struct policyd_run *r)
{
	struct policyd_lookups *ls = r->ls;
	struct policyd_waiter *w, *next;
	struct plan *plan = r->plan;
	struct buf fr, text;
	size_t i;

	buf_init(&fr, (size_t)IPC_PLAN_HOSTS_MAX * IPC_PLAN_TLSA_MAX *
	    IPC_PAYLOAD_MAX);
	if (plan->p.status == IPC_PLAN_OK)
		policyd_run_verdicts(r, &fr);
	for (i = 0; i < plan->p.nhosts; i++)
		if (r->dane[i].tlsa != NULL && r->dane[i].tlsa->r.ttl <
		    plan->p.ttl)
			plan->p.ttl = r->dane[i].tlsa->r.ttl;
	/*
	 * A validating resolver on loopback answers SERVFAIL for bogus
	 * DNSSEC data: the MX lookup's failure is reported as such (RFC
	 * 8460 dnssec-invalid), the text says what was seen.
	 */
	if (plan->p.status == IPC_PLAN_DEFER && !r->d.hop.nomx &&
	    r->mx.r.status == PLAN_DNS_TEMP &&
	    strcmp(r->mx.r.why, "SERVFAIL") == 0 &&
	    policyd_dns_trusted(ls->dns))
		(void)strlcpy(plan->p.failure, "dnssec-invalid",
		    sizeof(plan->p.failure));
	if (!r->explain && plan->p.status == IPC_PLAN_DEFER &&
	    plan->p.failure[0] != '\0')
		policyd_run_said(r, "none", plan->p.failure, plan->p.text);
	LIST_REMOVE(r, entry);
	if (r->explain) {
		buf_init(&text, 1024 * 1024);
		if (policyd_explain(r, &text) == -1)
			r->ecb(r->earg, r->ctl, "out of memory\n", 14, 2);
		else
			r->ecb(r->earg, r->ctl, text.data, text.len, 0);
		buf_free(&text);
		buf_free(&fr);
		policyd_run_free(r);
		return;
	}
	policyd_plan_debug(r->domain, plan);
	/* made from what was known before a forget: not kept */
	if (!r->forgotten)
		policyd_cache_put(ls, r->domain, plan,
		    (const uint8_t *)fr.data, fr.len);
	for (w = r->waiters; w != NULL; w = next) {
		next = w->next;
		ls->cb(ls->arg, w->req, w->tag, plan,
		    (const uint8_t *)fr.data, fr.len);
		free(w);
	}
	buf_free(&fr);
	policyd_run_free(r);
}

static void
policyd_run_maybe_finish(struct policyd_run *r)
{
	if (r->dns_done && !r->sts_wait && !r->tlsrpt_wait)
		policyd_run_finish(r);
}

static void
policyd_run_sts(void *arg, const struct policyd_sts_state *st)
{
	struct policyd_run *r = arg;

	r->sts = *st;
	r->sts_wait = 0;
	policyd_run_maybe_finish(r);
}

static void	policyd_run_ask(struct policyd_run *, const char *, uint16_t,
		    int, size_t);

/* Asks for the TLSA records of host i at its base name. */
static void
policyd_run_ask_tlsa(struct policyd_run *r, size_t i)
{
	char q[PLAN_NAME_MAX + 16];

	/* RFC 6698 §3: _port._tcp (25, or a relay's own port) */
	if (snprintf(q, sizeof(q), "_%u._tcp.%s",
	    (unsigned)r->plan->h[i].port, r->dane[i].base) >=
	    (int)sizeof(q)) {
		r->dane[i].state = VERDICT_DANE_FAILED;
		(void)strlcpy(r->dane[i].why, "TLSA name too long",
		    sizeof(r->dane[i].why));
		return;
	}
	if (r->dane[i].tlsa == NULL &&
	    (r->dane[i].tlsa = calloc(1, sizeof(*r->dane[i].tlsa))) == NULL)
		fatal("policy: TLSA answer");
	policyd_run_ask(r, q, DNS_WIRE_TYPE_TLSA, 3, i);
}

/* A TLSA answer for host i: its DANE state, or the next name to ask. */
static void
policyd_run_tlsa_answer(struct policyd_run *r, size_t i,
    const uint8_t *abuf, size_t alen, const char *err)
{
	struct policyd_dane *dn = &r->dane[i];
	struct plan_tlsa_answer *t = dn->tlsa;
	char q[PLAN_NAME_MAX + 16];
	struct dane_tlsa dt;
	size_t j;

	(void)snprintf(q, sizeof(q), "_%u._tcp.%s",
	    (unsigned)r->plan->h[i].port, dn->base);
	if (err != NULL) {
		memset(t, 0, sizeof(*t));
		plan_answer_fail(&t->r, err);
	} else
		(void)plan_answer_tlsa(abuf, alen, q,
		    policyd_dns_trusted(r->ls->dns), t);
	switch (t->r.status) {
	case PLAN_DNS_TEMP:
		/* under secure addresses: never a downgrade (RFC 7672 §2.2) */
		dn->state = VERDICT_DANE_FAILED;
		(void)snprintf(dn->why, sizeof(dn->why),
		    "TLSA lookup of %.200s: %.96s", q, t->r.why);
		log_warnx("policy: %s: %s", r->domain, dn->why);
		break;
	case PLAN_DNS_RECORDS:
		if (!t->r.ad) {
			dn->state = VERDICT_DANE_NONE;
			break;
		}
		for (j = 0; j < t->n; j++) {
			policyd_tlsa_rec(t, j, &dt);
			if (!dane_tlsa_usable(&dt))
				continue;
			dn->usable++;
			/* one IPC frame each, at most IPC_PLAN_TLSA_MAX: a
			   record that cannot be carried fails the host
			   rather than leave it to the others */
			if (dn->usable > IPC_PLAN_TLSA_MAX ||
			    sizeof(struct ipc_plan_tlsa) + dt.len >
			    IPC_PAYLOAD_MAX) {
				dn->state = VERDICT_DANE_FAILED;
				(void)snprintf(dn->why, sizeof(dn->why),
				    "%.200s: more usable TLSA records, or "
				    "larger ones, than sealpost can use", q);
				return;
			}
		}
		dn->state = dn->usable > 0 ? VERDICT_DANE_USABLE :
		    VERDICT_DANE_UNUSABLE;
		break;
	default:
		/* RFC 7672 §2.2.2: then the MX host name itself */
		if (dn->step == 1 && t->r.ad &&
		    strcmp(dn->base, r->plan->h[i].name) != 0) {
			dn->step = 2;
			(void)strlcpy(dn->base, r->plan->h[i].name,
			    sizeof(dn->base));
			policyd_run_ask_tlsa(r, i);
			return;
		}
		/* a DNSSEC-proven absence is the domain's choice */
		dn->state = t->r.ad ? VERDICT_DANE_ABSENT : VERDICT_DANE_NONE;
		break;
	}
}

static void
policyd_run_answer(void *arg, const uint8_t *abuf, size_t alen,
    const char *err)
{
	struct policyd_q *q = arg;
	struct policyd_run *r = q->run;
	int trust = policyd_dns_trusted(r->ls->dns);
	struct plan_addr_answer *a;
	const char *name;

	if (q->kind == 4) {
		/* outside the stages' count: only the finish waits for it */
		free(q);
		r->tlsrpt_wait = 0;
		if (err != NULL)
			plan_answer_fail(&r->tlsrpt->r, err);
		else {
			char qname[PLAN_NAME_MAX + 16];
			int n;

			/* it fitted when asked (policyd_run_ask_tlsrpt) */
			n = snprintf(qname, sizeof(qname), "_smtp._tls.%s",
			    r->domain);
			if (n < 0 || (size_t)n >= sizeof(qname))
				plan_answer_fail(&r->tlsrpt->r,
				    "name too long");
			else
				(void)plan_answer_txt(abuf, alen, qname, trust,
				    r->tlsrpt);
		}
		policyd_run_maybe_finish(r);
		return;
	}
	if (q->kind == 3) {
		policyd_run_tlsa_answer(r, q->idx, abuf, alen, err);
	} else if (q->kind == 0) {
		name = r->d.hop.host;
		if (err != NULL) {
			memset(&r->mx, 0, sizeof(r->mx));
			plan_answer_fail(&r->mx.r, err);
		} else
			(void)plan_answer_mx(abuf, alen, name, trust, &r->mx);
		if (r->mx.r.status == PLAN_DNS_TEMP)
			log_warnx("policy: %s: MX lookup of %s: %s",
			    r->domain, name, r->mx.r.why);
	} else {
		name = r->tg.t[q->idx].name;
		a = q->kind == 1 ? &r->a[q->idx] : &r->aaaa[q->idx];
		if (err != NULL) {
			memset(a, 0, sizeof(*a));
			plan_answer_fail(&a->r, err);
		} else
			(void)plan_answer_addr(abuf, alen, name, q->kind == 1 ?
			    DNS_WIRE_TYPE_A : DNS_WIRE_TYPE_AAAA, trust, a);
		if (a->r.status == PLAN_DNS_TEMP)
			log_warnx("policy: %s: %s lookup of %s: %s",
			    r->domain, q->kind == 1 ? "A" : "AAAA", name,
			    a->r.why);
		else if (a->r.status == PLAN_DNS_NXDOMAIN)
			log_debug("policy: %s: host %s does not exist; "
			    "dropped", r->domain, name);
	}
	free(q);
	if (--r->pending == 0)
		policyd_run_step(r);
}

static void
policyd_run_ask(struct policyd_run *r, const char *name, uint16_t qtype,
    int kind, size_t idx)
{
	struct policyd_q *q;

	if ((q = malloc(sizeof(*q))) == NULL)
		fatal("policy: query");
	q->run = r;
	q->kind = kind;
	q->idx = idx;
	r->pending++;
	policyd_dns_query(r->ls->dns, name, qtype, policyd_run_answer, q);
}

/*
 * For an explanation (sealpost policy, sealpost check): the TLS-RPT TXT
 * record _smtp._tls.D (RFC 8460 §3), which no plan needs; its answer is
 * counted apart from the stages (tlsrpt_wait), doc/design.md §8.
 */
static void
policyd_run_ask_tlsrpt(struct policyd_run *r)
{
	char qname[PLAN_NAME_MAX + 16];
	struct policyd_q *q;
	int n;

	n = snprintf(qname, sizeof(qname), "_smtp._tls.%s", r->domain);
	if (n < 0 || (size_t)n >= sizeof(qname) || r->domain[0] == '[')
		return;		/* an address literal has no record */
	if ((r->tlsrpt = calloc(1, sizeof(*r->tlsrpt))) == NULL ||
	    (q = malloc(sizeof(*q))) == NULL)
		fatal("policy: query");
	q->run = r;
	q->kind = 4;
	q->idx = 0;
	r->tlsrpt_wait = 1;
	policyd_dns_query(r->ls->dns, qname, DNS_WIRE_TYPE_TXT,
	    policyd_run_answer, q);
}

/*
 * Whether DANE can apply to host i of the plan (RFC 7672 §2.2): the
 * resolver trusted and every address answer used secure (the MX RRset
 * may be insecure, §2.2.1; verdict.c then lets MTA-STS still choose the
 * hosts). Sets the TLSA base (the CNAME-expanded name first).
 */
static int
policyd_run_dane_applies(struct policyd_run *r, size_t i)
{
	const struct plan_addr_answer *ans[2];
	const struct ipc_plan_host *h = &r->plan->h[i];
	struct policyd_dane *dn = &r->dane[i];
	const char *base = NULL;
	size_t t, k;
	int any = 0;

	if (!policyd_dns_trusted(r->ls->dns)) {
		dn->state = VERDICT_DANE_OFF;
		return 0;
	}
	/*
	 * RFC 7672 §2.2.1: the MX RRset need not be secure (a signed
	 * provider's hosts serve unsigned domains); the addresses must be.
	 */
	if (h->naddr == 0)
		return 0;
	for (t = 0; t < r->tg.n; t++)
		if (strcmp(r->tg.t[t].name, h->name) == 0)
			break;
	if (t == r->tg.n || r->tg.t[t].literal)
		return 0;
	ans[0] = r->asked_a[t] ? &r->a[t] : NULL;
	ans[1] = r->asked_aaaa[t] ? &r->aaaa[t] : NULL;
	for (k = 0; k < 2; k++) {
		if (ans[k] == NULL || ans[k]->r.status == PLAN_DNS_TEMP)
			continue;
		if (!ans[k]->r.ad)
			return 0;
		if (ans[k]->r.status == PLAN_DNS_RECORDS) {
			any = 1;
			if (base == NULL)
				base = ans[k]->r.owner;
		}
	}
	if (!any)
		return 0;
	(void)strlcpy(dn->base, base, sizeof(dn->base));
	dn->step = strcmp(dn->base, h->name) != 0 ? 1 : 2;
	return 1;
}

/* The next stage once every answer of this one is in. */
static void
policyd_run_step(struct policyd_run *r)
{
	const struct policyd_cfg *cfg = r->ls->cfg;
	const struct plan_addr_answer *pa[IPC_PLAN_HOSTS_MAX];
	const struct plan_addr_answer *paaaa[IPC_PLAN_HOSTS_MAX];
	uint32_t rnd[PLAN_MX_MAX];
	size_t i;
	int want;

	if (r->stage == 2) {
		r->dns_done = 1;
		policyd_run_maybe_finish(r);
		return;
	}
	if (r->stage == 1) {
		if ((r->plan = calloc(1, sizeof(*r->plan))) == NULL)
			fatal("policy: plan");
		for (i = 0; i < IPC_PLAN_HOSTS_MAX; i++) {
			pa[i] = r->asked_a[i] ? &r->a[i] : NULL;
			paaaa[i] = r->asked_aaaa[i] ? &r->aaaa[i] : NULL;
		}
		(void)plan_build(r->domain, &r->d, &r->tg, pa, paaaa,
		    cfg->family, r->plan);
		r->stage = 2;
		/* TLSA only where it can matter: no table requirement, or
		   dane-only */
		want = !verdict_from_table(&r->d) ||
		    r->d.requirement == IPC_REQ_DANE_ONLY;
		r->pending = 1;
		for (i = 0; want && r->plan->p.status == IPC_PLAN_OK &&
		    i < r->plan->p.nhosts; i++)
			if (policyd_run_dane_applies(r, i))
				policyd_run_ask_tlsa(r, i);
		if (--r->pending == 0)
			policyd_run_step(r);
		return;
	}
	if (!r->d.hop.nomx) {
		for (i = 0; i < r->mx.nmx; i++)
			rnd[i] = arc4random();
		plan_mx_sort(&r->mx, rnd);
	}
	/* check --self: this host is an MX to judge, not a loop */
	(void)plan_targets(r->domain, &r->d, r->d.hop.nomx ? NULL : &r->mx,
	    r->explain_self ? NULL : cfg->hostname, &r->tg);
	r->stage = 1;
	/* held while sending: an answer given at once cannot finish it */
	r->pending = 1;
	for (i = 0; r->tg.v.status == IPC_PLAN_OK && i < r->tg.n; i++) {
		if (r->tg.t[i].literal)
			continue;
		if (cfg->family != PLAN_AF_IPV6) {
			r->asked_a[i] = 1;
			policyd_run_ask(r, r->tg.t[i].name, DNS_WIRE_TYPE_A,
			    1, i);
		}
		if (cfg->family != PLAN_AF_IPV4) {
			r->asked_aaaa[i] = 1;
			policyd_run_ask(r, r->tg.t[i].name,
			    DNS_WIRE_TYPE_AAAA, 2, i);
		}
	}
	if (--r->pending == 0)
		policyd_run_step(r);
}

/*
 * Starts the lookup of domain for waiter w, or (proto->explain set) for
 * an explanation with proto's ctl and callback. Returns 0, or -1 when
 * out of memory. The run may end before this returns.
 */
static int
policyd_run_start(struct policyd_lookups *ls, const char *domain,
    struct policyd_waiter *w, const struct policyd_run *proto)
{
	const struct policyd_cfg *cfg = ls->cfg;
	struct policyd_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->ls = ls;
	if (proto != NULL) {
		r->explain = proto->explain;
		r->explain_self = proto->explain_self;
		r->ctl = proto->ctl;
		r->ecb = proto->ecb;
		r->earg = proto->earg;
	}
	(void)strlcpy(r->domain, domain, sizeof(r->domain));
	r->waiters = w;
	LIST_INSERT_HEAD(&ls->runs, r, entry);
	if (route_decide(cfg->table, domain, &cfg->relayhost,
	    cfg->relayhost_req, cfg->floor_req, &r->d) == -1) {
		/* the caller checked the name: cannot happen */
		fatalx("policy: route for %s", domain);
	}
	log_debug("policy: %s: via %s%s%s port %u, %s from %s", domain,
	    r->d.hop.nomx ? "[" : "", r->d.hop.host, r->d.hop.nomx ? "]" : "",
	    r->d.hop.port, r->d.policy, r->d.policy_src);
	/* MTA-STS for the domain's own MX where the table does not decide */
	r->pending = 1;
	if (!r->d.relayed && !verdict_from_table(&r->d) && cfg->sts != NULL) {
		r->sts_wait = r->sts_asked = 1;
		policyd_sts_discover(cfg->sts, domain, policyd_run_sts, r);
	}
	if (!r->d.hop.nomx)
		policyd_run_ask(r, r->d.hop.host, DNS_WIRE_TYPE_MX, 0, 0);
	if (r->explain)
		policyd_run_ask_tlsrpt(r);
	if (--r->pending == 0)
		policyd_run_step(r);
	return 0;
}

int
policyd_lookup(struct policyd_lookups *ls, const char *domain, uint64_t req,
    uint32_t tag)
{
	struct policyd_ent *e;
	struct policyd_run *r;
	struct policyd_waiter *w;
	struct plan *plan;
	uint64_t now;

	if ((e = policyd_cache_get(ls, domain)) != NULL) {
		if ((plan = malloc(sizeof(*plan))) == NULL)
			return -1;
		memset(plan, 0, sizeof(*plan));
		plan->p = e->p;
		if (e->p.nhosts > 0)
			memcpy(plan->h, e->h, e->p.nhosts * sizeof(*e->h));
		now = loop_now_ms();
		/* what is left of its life, at least a second */
		plan->p.ttl = (uint32_t)((e->expires - now + 999) / 1000);
		log_debug("policy: %s: cached plan, %u s left", domain,
		    plan->p.ttl);
		ls->cb(ls->arg, req, tag, plan, e->tlsa, e->tlsalen);
		free(plan);
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->req = req;
	w->tag = tag;
	LIST_FOREACH(r, &ls->runs, entry) {
		if (!r->explain && !r->forgotten &&
		    strcmp(r->domain, domain) == 0) {
			/* one lookup for every request of a domain */
			w->next = r->waiters;
			r->waiters = w;
			return 0;
		}
	}
	if (policyd_run_start(ls, domain, w, NULL) == -1) {
		free(w);
		return -1;
	}
	return 0;
}

void
policyd_lookup_explain(struct policyd_lookups *ls, const char *domain,
    uint64_t ctl, int mode, policyd_explain_cb cb, void *arg)
{
	struct policyd_run proto;

	/* a fresh lookup, not from the plan cache: "what it would do now" */
	memset(&proto, 0, sizeof(proto));
	proto.explain = mode > 0 ? 2 : 1;
	proto.explain_self = mode == 2;
	proto.ctl = ctl;
	proto.ecb = cb;
	proto.earg = arg;
	if (policyd_run_start(ls, domain, NULL, &proto) == -1)
		cb(arg, ctl, "out of memory\n", 14, 2);
}

void
policyd_lookup_forget(struct policyd_lookups *ls, const char *domain)
{
	struct policyd_ent *e;
	struct policyd_run *r;

	if ((e = policyd_cache_get(ls, domain)) != NULL)
		policyd_cache_drop(ls, e);
	/*
	 * A lookup under way started before the forget (with the memory
	 * or DNS answers of then): its requests get its plan, the cache
	 * does not, and a later request starts afresh.
	 */
	LIST_FOREACH(r, &ls->runs, entry)
		if (!r->explain && strcmp(r->domain, domain) == 0)
			r->forgotten = 1;
}

void
policyd_lookup_requeue(struct policyd_lookups *ls, const char *domain)
{
	struct policyd_said *sd;

	policyd_lookup_forget(ls, domain);
	/*
	 * The next lookup writes its policy line even when nothing it
	 * rests on changed: the log shows that the domain was resolved
	 * afresh after the requeue (doc/design.md §9).
	 */
	LIST_FOREACH(sd, &ls->said[policyd_hash(domain)], hash)
		if (strcmp(sd->domain, domain) == 0) {
			LIST_REMOVE(sd, hash);
			ls->nsaid--;
			free(sd);
			break;
		}
}

int
policyd_lookup_dnssec(const struct policyd_lookups *ls)
{
	return policyd_dns_trusted(ls->dns);
}
