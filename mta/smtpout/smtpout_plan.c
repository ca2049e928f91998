/*
 * smtpout_plan.c: smtpout's cache of plans (doc/design.md §12), so that
 * a job for a domain seen a moment ago costs no IPC round trip to the
 * policy process. A plan with status IPC_PLAN_OK and hosts is kept per
 * destination domain and REQUIRETLS flag for the plan's ttl, at most
 * SMTPOUT_PLAN_TTL_MAX seconds, at most SMTPOUT_PLANS_MAX domains (the
 * oldest entry evicted first). Deferrals and bounces are never kept, nor
 * plans with a host the policy refused (asked again each time). A
 * new policy channel empties it: the reload or restart behind it may
 * have changed the administrator's table. sealpost requeue forgets the
 * plans of one domain.
 * Linked by the smtpout binary.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "smtpout.h"

struct smtpout_plan_entry {
	struct smtpout_plan_entry	*hnext;		/* hash chain */
	struct smtpout_plan_entry	*older, *newer;	/* by insertion */
	char				 domain[IPC_DOMAIN_MAX + 1];
	int				 requiretls;
	uint64_t			 expires;	/* loop_now_ms() */
	struct ipc_plan			 plan;
	struct ipc_plan_host		*hosts;		/* plan.nhosts */
	uint8_t				*tlsa;		/* the TLSA frames */
	size_t				 tlsalen;
};

/* FNV-1a of the domain (already lower case from the queue) and the flag */
static size_t
smtpout_plan_hash(const char *domain, int requiretls)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)domain; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	h ^= requiretls ? 1u : 2u;
	h *= 16777619u;
	return h % SMTPOUT_PLAN_BUCKETS;
}

/* Unlinks e from its chain and the age list, and frees it. */
static void
smtpout_plan_drop(struct smtpout_plancache *c, struct smtpout_plan_entry *e)
{
	struct smtpout_plan_entry **pp;

	pp = &c->buckets[smtpout_plan_hash(e->domain, e->requiretls)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->n--;
	free(e->hosts);
	free(e->tlsa);
	free(e);
}

static struct smtpout_plan_entry *
smtpout_plan_find(struct smtpout_plancache *c, const char *domain,
    int requiretls)
{
	struct smtpout_plan_entry *e;

	if (c->buckets == NULL)
		return NULL;
	for (e = c->buckets[smtpout_plan_hash(domain, requiretls)]; e != NULL;
	    e = e->hnext)
		if (e->requiretls == (requiretls != 0) &&
		    strcmp(e->domain, domain) == 0)
			return e;
	return NULL;
}

int
smtpout_plan_get(struct smtpout_plancache *c, const char *domain,
    int requiretls, struct ipc_plan *plan, struct ipc_plan_host **hosts,
    struct buf *tlsa)
{
	struct smtpout_plan_entry *e;

	if ((e = smtpout_plan_find(c, domain, requiretls)) == NULL)
		return 0;
	if (loop_now_ms() >= e->expires) {
		smtpout_plan_drop(c, e);
		return 0;
	}
	if ((*hosts = reallocarray(NULL, e->plan.nhosts, sizeof(**hosts))) ==
	    NULL)
		fatal("smtpout: plan cache");
	memcpy(*hosts, e->hosts, e->plan.nhosts * sizeof(**hosts));
	*plan = e->plan;
	buf_reset(tlsa);
	if (e->tlsalen > 0 && buf_append(tlsa, e->tlsa, e->tlsalen) == -1)
		fatal("smtpout: plan cache");
	return 1;
}

void
smtpout_plan_put(struct smtpout_plancache *c, const char *domain,
    int requiretls, const struct ipc_plan *plan,
    const struct ipc_plan_host *hosts, const struct buf *tlsa)
{
	struct smtpout_plan_entry *e;
	size_t b;
	uint32_t i, ttl;

	if (plan->status != IPC_PLAN_OK || plan->nhosts == 0 ||
	    plan->ttl == 0)
		return;
	/* a refusal is asked again: sealpost policy --forget acts at once */
	for (i = 0; i < plan->nhosts; i++)
		if (hosts[i].refused)
			return;
	if (c->buckets == NULL && (c->buckets = calloc(SMTPOUT_PLAN_BUCKETS,
	    sizeof(*c->buckets))) == NULL)
		fatal("smtpout: plan cache");
	if ((e = smtpout_plan_find(c, domain, requiretls)) != NULL)
		smtpout_plan_drop(c, e);
	while (c->n >= SMTPOUT_PLANS_MAX)
		smtpout_plan_drop(c, c->oldest);
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->hosts = reallocarray(NULL, plan->nhosts,
	    sizeof(*e->hosts))) == NULL)
		fatal("smtpout: plan cache");
	/* the queue's domain fits: IPC checks (doc/design.md §3) */
	smtpout_copy(e->domain, domain, sizeof(e->domain), "domain");
	e->requiretls = requiretls != 0;
	ttl = plan->ttl < SMTPOUT_PLAN_TTL_MAX ? plan->ttl :
	    SMTPOUT_PLAN_TTL_MAX;
	e->expires = loop_now_ms() + (uint64_t)ttl * 1000;
	e->plan = *plan;
	memcpy(e->hosts, hosts, plan->nhosts * sizeof(*hosts));
	if (tlsa->len > 0) {
		if ((e->tlsa = malloc(tlsa->len)) == NULL)
			fatal("smtpout: plan cache");
		memcpy(e->tlsa, tlsa->data, tlsa->len);
		e->tlsalen = tlsa->len;
	}
	b = smtpout_plan_hash(e->domain, e->requiretls);
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->n++;
}

void
smtpout_plan_clear(struct smtpout_plancache *c)
{
	size_t n = c->n;

	while (c->oldest != NULL)
		smtpout_plan_drop(c, c->oldest);
	if (n > 0)
		log_debug("smtpout: %zu cached plans dropped", n);
}

size_t
smtpout_plan_forget(struct smtpout_plancache *c, const char *domain)
{
	struct smtpout_plan_entry *e;
	size_t n = 0;
	int requiretls;

	/* both variants: a REQUIRETLS message's plan is kept apart */
	for (requiretls = 0; requiretls <= 1; requiretls++)
		if ((e = smtpout_plan_find(c, domain, requiretls)) != NULL) {
			smtpout_plan_drop(c, e);
			n++;
		}
	return n;
}
