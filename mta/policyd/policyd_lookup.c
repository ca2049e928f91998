/*
 * policyd_lookup.c: the lookups of the policy process and its plan cache
 * (doc/design.md §8). A lookup resolves one domain: the route
 * (policy/route.c), the MX query of the hop (RFC 5321 §5.1; none for
 * [host] and addresses), then A and AAAA of every host as
 * smtpout_address_family allows, all at once; policy/plan.c decides.
 * Every request for a domain whose lookup runs waits for that same
 * lookup. Finished plans are cached for their TTL (at most a day;
 * deferrals are not cached), at most POLICYD_CACHE_MAX domains, the
 * oldest evicted first.
 * Linked by the policy binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "lib/log.h"
#include "policy/dns_wire.h"
#include "policyd.h"

#define POLICYD_BUCKETS	4096

struct policyd_waiter {
	uint64_t		 req;
	uint32_t		 tag;
	struct policyd_waiter	*next;
};

struct policyd_run {
	struct policyd_lookups	*ls;
	LIST_ENTRY(policyd_run)	 entry;
	char			 domain[PLAN_NAME_MAX];
	struct route_decision	 d;
	int			 pending;	/* queries out, + 1 while
						   sending them */
	int			 stage;		/* 0 MX, 1 addresses */
	struct plan_mx_answer	 mx;
	struct plan_targets	 tg;
	struct plan_addr_answer	 a[IPC_PLAN_HOSTS_MAX];
	struct plan_addr_answer	 aaaa[IPC_PLAN_HOSTS_MAX];
	int			 asked_a[IPC_PLAN_HOSTS_MAX];
	int			 asked_aaaa[IPC_PLAN_HOSTS_MAX];
	struct policyd_waiter	*waiters;
};

/* One query of a run: which answer slot it fills. */
struct policyd_q {
	struct policyd_run	*run;
	int			 kind;		/* 0 MX, 1 A, 2 AAAA */
	size_t			 idx;
};

struct policyd_ent {
	LIST_ENTRY(policyd_ent)	 hash;
	TAILQ_ENTRY(policyd_ent) age;
	char			 domain[PLAN_NAME_MAX];
	uint64_t		 expires;	/* monotonic ms */
	struct ipc_plan		 p;
	struct ipc_plan_host	*h;		/* p.nhosts of them */
};

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
};

static void	policyd_run_step(struct policyd_run *);

static size_t
policyd_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h % POLICYD_BUCKETS;
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
    const struct plan *plan)
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

static void
policyd_run_log(const struct policyd_run *r, const struct plan *plan)
{
	char addrs[512], one[INET6_ADDRSTRLEN];
	size_t i, j;

	if (plan->p.status != IPC_PLAN_OK) {
		if (plan->p.status == IPC_PLAN_DEFER &&
		    strcmp(plan->p.dsn, "4.4.3") == 0)
			log_warnx("policy: %s: %s", r->domain, plan->p.text);
		else
			log_debug("policy: %s: %s %d %s %s", r->domain,
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
		    "mx_ad=%d addr_ad=%d %s%s ttl=%u", r->domain, i, h->name,
		    plan->addr_name[i], h->port, h->policy, h->policy_src,
		    h->mx_ad, h->addr_ad, h->naddr > 0 ? addrs : "none: ",
		    h->naddr > 0 ? "" : h->text, plan->p.ttl);
	}
}

static void
policyd_run_finish(struct policyd_run *r)
{
	struct policyd_lookups *ls = r->ls;
	const struct plan_addr_answer *pa[IPC_PLAN_HOSTS_MAX];
	const struct plan_addr_answer *paaaa[IPC_PLAN_HOSTS_MAX];
	struct policyd_waiter *w, *next;
	struct plan *plan;
	size_t i;

	if ((plan = malloc(sizeof(*plan))) == NULL)
		fatal("policy: plan");
	for (i = 0; i < IPC_PLAN_HOSTS_MAX; i++) {
		pa[i] = r->asked_a[i] ? &r->a[i] : NULL;
		paaaa[i] = r->asked_aaaa[i] ? &r->aaaa[i] : NULL;
	}
	(void)plan_build(r->domain, &r->d, &r->tg, pa, paaaa,
	    ls->cfg->family, plan);
	policyd_run_log(r, plan);
	policyd_cache_put(ls, r->domain, plan);
	LIST_REMOVE(r, entry);
	for (w = r->waiters; w != NULL; w = next) {
		next = w->next;
		ls->cb(ls->arg, w->req, w->tag, plan);
		free(w);
	}
	free(plan);
	free(r);
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

	if (q->kind == 0) {
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

/* The next stage once every answer of this one is in. */
static void
policyd_run_step(struct policyd_run *r)
{
	const struct policyd_cfg *cfg = r->ls->cfg;
	uint32_t rnd[PLAN_MX_MAX];
	size_t i;

	if (r->stage == 1) {
		policyd_run_finish(r);
		return;
	}
	if (!r->d.hop.nomx) {
		for (i = 0; i < r->mx.nmx; i++)
			rnd[i] = arc4random();
		plan_mx_sort(&r->mx, rnd);
	}
	(void)plan_targets(r->domain, &r->d, r->d.hop.nomx ? NULL : &r->mx,
	    cfg->hostname, &r->tg);
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
		policyd_run_finish(r);
}

static int
policyd_run_start(struct policyd_lookups *ls, const char *domain,
    struct policyd_waiter *w)
{
	const struct policyd_cfg *cfg = ls->cfg;
	struct policyd_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->ls = ls;
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
	if (r->d.hop.nomx) {
		policyd_run_step(r);
		return 0;
	}
	r->pending = 1;
	policyd_run_ask(r, r->d.hop.host, DNS_WIRE_TYPE_MX, 0, 0);
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
		ls->cb(ls->arg, req, tag, plan);
		free(plan);
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->req = req;
	w->tag = tag;
	LIST_FOREACH(r, &ls->runs, entry) {
		if (strcmp(r->domain, domain) == 0) {
			/* one lookup for every request of a domain */
			w->next = r->waiters;
			r->waiters = w;
			return 0;
		}
	}
	if (policyd_run_start(ls, domain, w) == -1) {
		free(w);
		return -1;
	}
	return 0;
}
