/*
 * queue_sched.c: the queue runner's pure decisions (see queue_sched.h,
 * doc/design.md §12): backoff, expiry, due recipients, grouping by
 * destination domain, results. RFC 5321 §4.5.4.1 (retry strategy: at
 * least 30 minutes is advised between attempts to one destination; the
 * default retry_min of 5 minutes doubling to retry_max follows Postfix),
 * RFC 3461 (NOTIFY for delay warnings).
 * Linked by the queue binary and tests/unit/test_queue_sched.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "queue_sched.h"

int64_t
queue_sched_backoff(const struct queue_sched_conf *c, uint32_t attempts)
{
	int64_t wait = c->retry_min;
	uint32_t i;

	for (i = 1; i < attempts && wait < (int64_t)c->retry_max; i++)
		wait *= 2;
	if (wait > (int64_t)c->retry_max)
		wait = c->retry_max;
	return wait;
}

int
queue_sched_domain(const char *addr, char *out, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t n, i;

	if (at == NULL)
		return -1;
	n = strlen(at + 1);
	if (n == 0 || n > QUEUE_SCHED_DOMAIN_MAX || n >= size)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = at[1 + i];

		out[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	out[n] = '\0';
	/* a trailing dot names the same domain */
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return 0;
}

int
queue_sched_is_local(const struct queue_sched_conf *c, const char *domain)
{
	size_t i;

	for (i = 0; i < c->nlocal_domains; i++)
		if (strcasecmp(c->local_domains[i], domain) == 0)
			return 1;
	return 0;
}

int
queue_sched_is_open(const struct queue_sched_conf *c,
    const struct envelope_rcpt *r)
{
	char domain[QUEUE_SCHED_DOMAIN_MAX + 1];

	if (r->state != ENVELOPE_RCPT_PENDING &&
	    r->state != ENVELOPE_RCPT_DEFERRED)
		return 0;
	/* no domain: open, so that the runner bounces it */
	if (queue_sched_domain(r->addr, domain, sizeof(domain)) == -1)
		return 1;
	return c->local_delivery || !queue_sched_is_local(c, domain);
}

int64_t
queue_sched_due(const struct queue_sched_conf *c, const struct envelope *e)
{
	int64_t due = QUEUE_SCHED_NEVER;
	size_t i;

	if (e->held != 0)
		return QUEUE_SCHED_NEVER;	/* until released */
	for (i = 0; i < e->nrcpt; i++) {
		const struct envelope_rcpt *r = &e->rcpt[i];

		if (!queue_sched_is_open(c, r))
			continue;
		if (r->next_retry < due)
			due = r->next_retry;
	}
	return due;
}

int
queue_sched_expired(const struct queue_sched_conf *c,
    const struct envelope *e, int64_t now)
{
	/* the time held does not count (doc/design.md §12) */
	if (e->held != 0)
		return 0;
	return now - e->arrival - e->held_total >= (int64_t)c->queue_lifetime;
}

int
queue_sched_hold(struct envelope *e, int64_t now)
{
	if (e->held != 0)
		return 0;
	/* 0 means "not held": a clock at the epoch still holds */
	e->held = now > 0 ? now : 1;
	return 1;
}

int
queue_sched_release(const struct queue_sched_conf *c, struct envelope *e,
    int64_t now)
{
	if (e->held == 0)
		return 0;
	if (now > e->held)
		e->held_total += now - e->held;
	e->held = 0;
	(void)queue_sched_flush(c, e, now);
	return 1;
}

size_t
queue_sched_flush(const struct queue_sched_conf *c, struct envelope *e,
    int64_t now)
{
	size_t i, n = 0;

	if (e->held != 0)
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		struct envelope_rcpt *r = &e->rcpt[i];

		if (!queue_sched_is_open(c, r))
			continue;
		n++;
		if (r->next_retry > now)
			r->next_retry = now;
	}
	return n;
}

int
queue_sched_all_final(const struct envelope *e)
{
	size_t i;

	for (i = 0; i < e->nrcpt; i++)
		if (e->rcpt[i].state == ENVELOPE_RCPT_PENDING ||
		    e->rcpt[i].state == ENVELOPE_RCPT_DEFERRED)
			return 0;
	return 1;
}

void
queue_sched_groups_free(struct queue_sched_group *g, size_t n)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < n; i++)
		free(g[i].idx);
	free(g);
}

ssize_t
queue_sched_groups(const struct queue_sched_conf *c, const struct envelope *e,
    int64_t now, struct queue_sched_group **out, uint32_t **bad, size_t *nbad)
{
	struct queue_sched_group *g = NULL;
	char domain[QUEUE_SCHED_DOMAIN_MAX + 1];
	size_t ng = 0, i, j;

	*out = NULL;
	*bad = NULL;
	*nbad = 0;
	if (e->held != 0)
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		const struct envelope_rcpt *r = &e->rcpt[i];

		if (!queue_sched_is_open(c, r) || r->next_retry > now)
			continue;
		if (queue_sched_domain(r->addr, domain, sizeof(domain)) == -1) {
			uint32_t *nb = reallocarray(*bad, *nbad + 1,
			    sizeof(**bad));

			if (nb == NULL)
				goto fail;
			*bad = nb;
			(*bad)[(*nbad)++] = (uint32_t)i;
			continue;
		}
		/* messages have few domains: a linear search is enough */
		for (j = 0; j < ng; j++)
			if (strcmp(g[j].domain, domain) == 0)
				break;
		if (j == ng) {
			struct queue_sched_group *ngp = reallocarray(g, ng + 1,
			    sizeof(*g));

			if (ngp == NULL)
				goto fail;
			g = ngp;
			memset(&g[ng], 0, sizeof(g[ng]));
			memcpy(g[ng].domain, domain, strlen(domain) + 1);
			ng++;
		}
		{
			uint32_t *ni = reallocarray(g[j].idx, g[j].n + 1,
			    sizeof(*g[j].idx));

			if (ni == NULL)
				goto fail;
			g[j].idx = ni;
			g[j].idx[g[j].n++] = (uint32_t)i;
		}
	}
	*out = g;
	return (ssize_t)ng;
fail:
	queue_sched_groups_free(g, ng);
	free(*bad);
	*bad = NULL;
	*nbad = 0;
	return -1;
}

enum envelope_rcpt_state
queue_sched_apply(const struct queue_sched_conf *c, const struct envelope *e,
    struct envelope_rcpt *r, enum queue_sched_outcome outcome,
    const struct reason *error, const char *failure, const char *mx,
    int64_t now)
{
	r->attempts++;
	r->last_attempt = now;
	r->policy[0] = '\0';	/* the caller says whose, if anyone's */
	if (outcome == QUEUE_SCHED_SENT || error == NULL) {
		r->state = ENVELOPE_RCPT_SENT;
		r->next_retry = 0;
		memset(&r->error, 0, sizeof(r->error));
		r->failure[0] = '\0';
		r->mx[0] = '\0';
		return r->state;
	}
	r->error = *error;
	r->error.dsn[sizeof(r->error.dsn) - 1] = '\0';
	r->error.text[sizeof(r->error.text) - 1] = '\0';
	(void)strlcpy(r->failure, failure != NULL ? failure : "",
	    sizeof(r->failure));
	(void)strlcpy(r->mx, mx != NULL ? mx : "", sizeof(r->mx));
	if (outcome == QUEUE_SCHED_BOUNCED) {
		r->state = ENVELOPE_RCPT_BOUNCED;
		r->next_retry = 0;
	} else if (queue_sched_expired(c, e, now)) {
		r->state = ENVELOPE_RCPT_EXPIRED;
		r->next_retry = 0;
	} else {
		r->state = ENVELOPE_RCPT_DEFERRED;
		r->next_retry = now + queue_sched_backoff(c, r->attempts);
	}
	return r->state;
}

int
queue_sched_warn_due(const struct queue_sched_conf *c,
    const struct envelope *e, int64_t now)
{
	size_t i;

	if (c->delay_warning_time == 0 || e->warned != 0 || e->held != 0 ||
	    e->from[0] == '\0' ||
	    now - e->arrival < (int64_t)c->delay_warning_time)
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		const struct envelope_rcpt *r = &e->rcpt[i];

		if (r->state != ENVELOPE_RCPT_DEFERRED)
			continue;
		if (r->notify == 0 || (r->notify & ENVELOPE_NOTIFY_DELAY))
			return 1;
	}
	return 0;
}
