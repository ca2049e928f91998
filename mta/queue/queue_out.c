/*
 * queue_out.c: the queue runner's jobs and its channel to smtpout
 * (doc/design.md §12): destinations with their waiting jobs and
 * concurrency (smtpout_destination_concurrency per domain,
 * smtpout_concurrency in all, domains in turn), sending a job
 * (IPC_OUT_JOB with the content fd, IPC_OUT_RCPT), and applying what
 * smtpout answers (IPC_OUT_RESULT, IPC_OUT_DONE) to the recipients before
 * queue_run.c writes it. The channel's end loses the jobs that were out:
 * not attempted, retried after retry_min.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"
#include "queue_run.h"

static void	queue_out_chan_end(struct queue_link *, const char *);
static void	queue_out_history(struct queue_msg *, const struct queue_job *,
		    const struct ipc_out_result *, enum envelope_rcpt_state,
		    int64_t);

/*
 * Defers recipient number i of job j (out) that got no result from
 * smtpout, for why; its history says so too.
 */
static void
queue_out_no_result(struct queue_run *run, struct queue_job *j, size_t i,
    const struct reason *why, int64_t now)
{
	struct queue_msg *m = j->m;
	struct ipc_out_result lost;
	enum envelope_rcpt_state st;

	st = queue_sched_apply(&run->sc, m->env, &m->env->rcpt[j->idx[i]],
	    QUEUE_SCHED_DEFERRED, why, "", "", now);
	if (st == ENVELOPE_RCPT_EXPIRED)
		m->needs_dsn[j->idx[i]] |= QUEUE_RUN_DSN_FAIL;
	m->dirty = 1;
	memset(&lost, 0, sizeof(lost));
	lost.index = j->idx[i];
	lost.code = why->code;
	(void)strlcpy(lost.dsn, why->dsn, sizeof(lost.dsn));
	(void)strlcpy(lost.text, why->text, sizeof(lost.text));
	queue_out_history(m, j, &lost, st, now);
}

/* ---- destinations and jobs ---- */

static struct queue_dest *
queue_out_dest(struct queue_run *run, const char *domain)
{
	struct queue_dest key, *d;

	(void)strlcpy(key.domain, domain, sizeof(key.domain));
	if ((d = RB_FIND(queue_dest_tree, &run->dests, &key)) != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("queue: destination %s", domain);
	(void)strlcpy(d->domain, domain, sizeof(d->domain));
	d->local = queue_sched_is_local(&run->sc, domain);
	TAILQ_INIT(&d->waiting);
	(void)RB_INSERT(queue_dest_tree, &run->dests, d);
	return d;
}

static void
queue_out_dest_ready(struct queue_run *run, struct queue_dest *d)
{
	if (!d->on_ready && d->nwaiting > 0 &&
	    d->active < run->dest_concurrency) {
		TAILQ_INSERT_TAIL(&run->ready, d, ready);
		d->on_ready = 1;
	}
}

static void
queue_out_dest_gc(struct queue_run *run, struct queue_dest *d)
{
	if (d->active > 0 || d->nwaiting > 0)
		return;
	if (d->on_ready)
		TAILQ_REMOVE(&run->ready, d, ready);
	RB_REMOVE(queue_dest_tree, &run->dests, d);
	free(d);
}

void
queue_out_job_new(struct queue_run *run, struct queue_msg *m,
    struct queue_sched_group *g, int64_t now)
{
	struct queue_job *j;
	size_t i;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->got = calloc(g->n, 1)) == NULL)
		fatal("queue: job");
	j->num = ++run->nextjob;
	j->m = m;
	j->idx = g->idx;	/* taken over */
	g->idx = NULL;
	j->n = g->n;
	j->final = queue_sched_expired(&run->sc, m->env, now);
	for (i = 0; i < j->n; i++)
		if (m->env->rcpt[j->idx[i]].attempts + 1 > j->attempt)
			j->attempt = m->env->rcpt[j->idx[i]].attempts + 1;
	j->d = queue_out_dest(run, g->domain);
	TAILQ_INSERT_TAIL(&j->d->waiting, j, entry);
	j->d->nwaiting++;
	(void)RB_INSERT(queue_job_tree, &run->jobs, j);
	m->njobs++;
	queue_out_dest_ready(run, j->d);
}

void
queue_out_job_free(struct queue_run *run, struct queue_job *j)
{
	struct queue_dest *d = j->d;

	RB_REMOVE(queue_job_tree, &run->jobs, j);
	if (j->sent) {
		d->active--;
		run->link[d->local].out--;
	} else {
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
	}
	j->m->njobs--;
	free(j->idx);
	free(j->got);
	free(j);
	queue_out_dest_ready(run, d);
	queue_out_dest_gc(run, d);
}

/*
 * Sends j to smtpout. Returns 0; -2 when nothing was sent (no descriptor
 * for the content: try again later); -1 when the channel failed, perhaps
 * halfway through the job.
 */
static int
queue_out_send_job(struct queue_link *lk, struct queue_job *j)
{
	const struct envelope *e = j->m->env;
	struct ipc_out_job oj;
	struct ipc_out_rcpt or;
	size_t i;
	int fd;

	memset(&oj, 0, sizeof(oj));
	oj.job = j->num;
	(void)strlcpy(oj.id, e->id, sizeof(oj.id));
	(void)strlcpy(oj.domain, j->d->domain, sizeof(oj.domain));
	(void)strlcpy(oj.from, e->from, sizeof(oj.from));
	oj.size = e->size;
	oj.arrival = e->arrival;
	oj.nrcpt = (uint32_t)j->n;
	oj.attempt = j->attempt;
	oj.body = (int32_t)e->body;
	oj.smtputf8 = e->smtputf8;
	oj.requiretls = e->requiretls;
	oj.tlsrequired_no = e->tlsrequired_no && !e->requiretls;
	oj.ret = (int32_t)e->ret;
	oj.final = j->final;
	(void)strlcpy(oj.envid, e->envid, sizeof(oj.envid));
	/* smtpout reads with pread: a shared offset does not matter */
	if ((fd = dup(j->m->fd)) == -1) {
		log_warn("queue: dup content of %s", e->id);
		return -2;
	}
	if (ipc_send(&lk->chan, IPC_OUT_JOB, &oj, sizeof(oj), fd) == -1)
		return -1;
	for (i = 0; i < j->n; i++) {
		const struct envelope_rcpt *r = &e->rcpt[j->idx[i]];

		memset(&or, 0, sizeof(or));
		or.job = j->num;
		or.index = j->idx[i];
		or.notify = r->notify;
		(void)strlcpy(or.addr, r->addr, sizeof(or.addr));
		(void)strlcpy(or.orcpt, r->orcpt, sizeof(or.orcpt));
		if (ipc_send(&lk->chan, IPC_OUT_RCPT, &or, sizeof(or), -1) ==
		    -1)
			return -1;
	}
	return 0;
}

static void
queue_out_send_timer(void *arg)
{
	struct queue_link *lk = arg;

	queue_out_dispatch(lk->run);
}

/* How many jobs lk may have out. */
static unsigned
queue_out_limit(const struct queue_link *lk)
{
	return lk == &lk->run->link[QUEUE_LINK_LOCAL] ?
	    QUEUE_RUN_LOCAL_CONCURRENCY : lk->run->concurrency;
}

/*
 * Destinations take turns: each ready one sends a job and goes to the
 * end of the line while it may send more. A destination whose link is
 * closed or full stays where it is and is looked at again at the next
 * dispatch (a job ends, a link opens).
 */
void
queue_out_dispatch(struct queue_run *run)
{
	struct queue_dest *d, *next;
	struct queue_link *lk;
	struct queue_job *j;

	for (d = TAILQ_FIRST(&run->ready); d != NULL; d = next) {
		next = TAILQ_NEXT(d, ready);
		lk = &run->link[d->local];
		if (!lk->open || lk->out >= queue_out_limit(lk))
			continue;
		if (ipc_pending(&lk->chan) > QUEUE_RUN_PENDING_MAX) {
			loop_timer_set(run->q->loop, &lk->send_timer, 50,
			    queue_out_send_timer, lk);
			continue;
		}
		TAILQ_REMOVE(&run->ready, d, ready);
		d->on_ready = 0;
		j = TAILQ_FIRST(&d->waiting);
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
		switch (queue_out_send_job(lk, j)) {
		case -2:
			/*
			 * Nothing was sent (out of descriptors): the job
			 * goes back to the head of its line, tried again
			 * in a second.
			 */
			TAILQ_INSERT_HEAD(&d->waiting, j, entry);
			d->nwaiting++;
			queue_out_dest_ready(run, d);
			loop_timer_set(run->q->loop, &lk->send_timer, 1000,
			    queue_out_send_timer, lk);
			return;
		case -1:
			/*
			 * Part of it may have gone: the channel cannot be
			 * trusted any more, and ending it settles every
			 * job that was out on it.
			 */
			j->sent = 1;
			d->active++;
			lk->out++;
			queue_out_chan_end(lk, "cannot send a job");
			return;
		}
		j->sent = 1;
		d->active++;
		lk->out++;
		/* at the end of the line: the loop reaches it again */
		queue_out_dest_ready(run, d);
		if (next == NULL)
			next = d->on_ready ? d : NULL;
	}
}

/* ---- the channels to smtpout and to the local process ---- */

static struct queue_job *
queue_out_job(struct queue_run *run, uint64_t num)
{
	struct queue_job key;

	key.num = num;
	return RB_FIND(queue_job_tree, &run->jobs, &key);
}

/* Ends lk's channel (broken, or its peer said nonsense). */
static void
queue_out_chan_end(struct queue_link *lk, const char *why)
{
	struct queue_run *run = lk->run;
	struct queue_job *j, *next;
	struct queue_msg *m;
	struct reason lost;
	int64_t now = queue_run_now();
	size_t i, n = 0;

	log_warnx("queue: channel to %s: %s", lk->name, why);
	ipc_chan_close(&lk->chan);
	lk->open = 0;
	loop_timer_cancel(run->q->loop, &lk->send_timer);
	/*
	 * Jobs that were out are lost without results: their recipients
	 * count an attempt and are deferred like any failure (backoff,
	 * expiry), so that a message that makes smtpout crash waits longer
	 * each time and is bounced at queue_lifetime instead of crashing it
	 * again every retry_min for ever.
	 */
	(void)reason_set(&lost, 451, "4.3.0", "the delivery agent stopped "
	    "during the attempt");
	RB_FOREACH_SAFE(j, queue_job_tree, &run->jobs, next) {
		if (!j->sent || &run->link[j->d->local] != lk)
			continue;
		m = j->m;
		for (i = 0; i < j->n; i++)
			if (!j->got[i])
				queue_out_no_result(run, j, i, &lost, now);
		queue_out_job_free(run, j);
		n++;
		queue_run_write(run, m);
	}
	if (n > 0)
		log_warnx("queue: %zu delivery job%s lost with the channel; "
		    "their recipients are deferred", n, n == 1 ? "" : "s");
}

/* Whether field[0..size) is a C string of [a-z0-9-] (or empty). */
static int
queue_out_token(const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	return n < size &&
	    strspn(field, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Copies the result's string field src[0..size) into dst, terminated. */
static void
queue_out_str(char *dst, size_t dstsize, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (n >= dstsize)
		n = dstsize - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Keeps the facts of r, the result of attempt of job j, for m's history
 * (doc/design.md §12): a line in memory, appended to queue/ID.hist before
 * the envelope is next written (a message delivered at once never has
 * one).
 */
static void
queue_out_history(struct queue_msg *m, const struct queue_job *j,
    const struct ipc_out_result *r, enum envelope_rcpt_state st,
    int64_t now)
{
	struct history_rec h;
	char line[HISTORY_LINE_MAX];
	int len;

	memset(&h, 0, sizeof(h));
	h.time = now;
	h.attempt = j->attempt;
	h.rcpt = r->index;
	h.result = st == ENVELOPE_RCPT_SENT ? HISTORY_SENT :
	    st == ENVELOPE_RCPT_BOUNCED ? HISTORY_BOUNCED :
	    st == ENVELOPE_RCPT_EXPIRED ? HISTORY_EXPIRED : HISTORY_DEFERRED;
	h.code = r->code >= 200 && r->code <= 599 ? r->code :
	    st == ENVELOPE_RCPT_SENT ? 250 : st == ENVELOPE_RCPT_BOUNCED ?
	    550 : 451;
#define QUEUE_OUT_H(field) \
	queue_out_str(h.field, sizeof(h.field), r->field, sizeof(r->field))
	QUEUE_OUT_H(dsn);
	QUEUE_OUT_H(failure);
	QUEUE_OUT_H(mx);
	QUEUE_OUT_H(ip);
	QUEUE_OUT_H(policy);
	QUEUE_OUT_H(policy_src);
	QUEUE_OUT_H(tls);
	QUEUE_OUT_H(cipher);
	QUEUE_OUT_H(verify);
	QUEUE_OUT_H(cert);
	QUEUE_OUT_H(tls_fail);
	QUEUE_OUT_H(text);
#undef QUEUE_OUT_H
	if ((len = history_format(&h, line, sizeof(line))) == -1) {
		log_warnx("queue: %s: attempt %u of recipient %u does not "
		    "fit the history", m->id, j->attempt, r->index);
		return;
	}
	/* a record for the admin: never a reason to stop (§12) */
	if (buf_append(&m->hist, line, (size_t)len) == -1)
		log_warnx("queue: %s: too much history in memory; attempt %u "
		    "of recipient %u is not recorded", m->id, j->attempt,
		    r->index);
}

static void
queue_out_result(struct queue_link *lk, const struct ipc_out_result *r)
{
	struct queue_run *run = lk->run;
	struct queue_job *j = queue_out_job(run, r->job);
	struct envelope_rcpt *rc;
	struct reason why;
	enum envelope_rcpt_state st;
	char failure[sizeof(r->failure)], mx[sizeof(r->mx)];
	int64_t now;
	size_t i;

	if (j == NULL || !j->sent || &run->link[j->d->local] != lk ||
	    r->outcome < IPC_OUT_SENT || r->outcome > IPC_OUT_BOUNCED) {
		queue_out_chan_end(lk, "result for no job");
		return;
	}
	for (i = 0; i < j->n; i++)
		if (j->idx[i] == r->index)
			break;
	if (i == j->n || j->got[i]) {
		queue_out_chan_end(lk, "result for a recipient not in the "
		    "job");
		return;
	}
	/*
	 * smtpout talks to the network: what it says is checked like any
	 * input before it reaches an envelope (a failure type outside
	 * [a-z0-9-] could not be written, doc/design.md §3).
	 */
	if (!queue_out_token(r->failure, sizeof(r->failure)) ||
	    !queue_out_token(r->policy_src, sizeof(r->policy_src))) {
		queue_out_chan_end(lk, "malformed failure type or policy "
		    "source in a result");
		return;
	}
	memcpy(failure, r->failure, sizeof(failure));
	j->got[i] = 1;
	rc = &j->m->env->rcpt[r->index];
	memset(&why, 0, sizeof(why));
	if (r->outcome != IPC_OUT_SENT) {
		why.code = r->code >= 200 && r->code <= 599 ? r->code :
		    r->outcome == IPC_OUT_BOUNCED ? 550 : 451;
		memcpy(why.dsn, r->dsn, sizeof(why.dsn) - 1);
		why.dsn[sizeof(why.dsn) - 1] = '\0';
		memcpy(why.text, r->text, sizeof(why.text) - 1);
		why.text[sizeof(why.text) - 1] = '\0';
		if (why.text[0] == '\0')
			(void)strlcpy(why.text, "(no text)", sizeof(why.text));
	}
	memcpy(mx, r->mx, sizeof(mx));
	mx[sizeof(mx) - 1] = '\0';
	now = queue_run_now();
	st = queue_sched_apply(&run->sc, j->m->env, rc,
	    (enum queue_sched_outcome)r->outcome, &why, failure, mx, now);
	/* a TLS failure names the policy that demanded the check */
	if (st != ENVELOPE_RCPT_SENT && failure[0] != '\0')
		queue_out_str(rc->policy, sizeof(rc->policy), r->policy_src,
		    sizeof(r->policy_src));
	queue_out_history(j->m, j, r, st, now);
	if (st == ENVELOPE_RCPT_BOUNCED || st == ENVELOPE_RCPT_EXPIRED)
		j->m->needs_dsn[r->index] |= QUEUE_RUN_DSN_FAIL;
	/*
	 * NOTIFY=SUCCESS that could not go along to the next hop: the
	 * relayed notice is ours to send (RFC 3461 §6.2).
	 */
	if (st == ENVELOPE_RCPT_SENT && r->nodsn &&
	    (rc->notify & ENVELOPE_NOTIFY_SUCCESS)) {
		if (j->m->relayed_mx == NULL && (j->m->relayed_mx = calloc(
		    j->m->env->nrcpt, sizeof(*j->m->relayed_mx))) == NULL)
			fatal("queue: %s", j->m->id);
		(void)strlcpy(j->m->relayed_mx[r->index], mx,
		    sizeof(j->m->relayed_mx[r->index]));
		j->m->needs_dsn[r->index] |= QUEUE_RUN_DSN_SUCCESS;
	}
	j->m->dirty = 1;
}

static void
queue_out_done(struct queue_link *lk, const struct ipc_out_done *d)
{
	struct queue_run *run = lk->run;
	struct queue_job *j = queue_out_job(run, d->job);
	struct queue_msg *m;
	struct reason why;
	size_t i;

	if (j == NULL || !j->sent || &run->link[j->d->local] != lk) {
		queue_out_chan_end(lk, "end of no job");
		return;
	}
	m = j->m;
	(void)reason_set(&why, 451, "4.3.0", "delivery agent gave no result");
	for (i = 0; i < j->n; i++)
		if (!j->got[i]) {
			log_warnx("queue: %s: smtpout gave no result for "
			    "recipient %u", m->id, j->idx[i]);
			queue_out_no_result(run, j, i, &why, queue_run_now());
		}
	queue_out_job_free(run, j);
	queue_run_write(run, m);
	queue_out_dispatch(run);
}

static void
queue_out_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct queue_link *lk = arg;
	struct ipc_out_result r;
	struct ipc_out_done d;

	(void)ch;
	if (msg->fd != -1) {
		close(msg->fd);
		queue_out_chan_end(lk, "unexpected descriptor");
		return;
	}
	if (msg->type == IPC_OUT_RESULT && msg->len == sizeof(r)) {
		memcpy(&r, msg->data, sizeof(r));
		queue_out_result(lk, &r);
	} else if (msg->type == IPC_OUT_DONE && msg->len == sizeof(d)) {
		memcpy(&d, msg->data, sizeof(d));
		queue_out_done(lk, &d);
	} else {
		queue_out_chan_end(lk, "malformed message");
	}
}

static void
queue_out_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	(void)ch;
	queue_out_chan_end(arg, ipc_strerror(e));
}

void
queue_out_channel(struct queue *q, int which, int fd)
{
	struct queue_run *run = q->run;
	struct queue_link *lk = &run->link[which];

	lk->run = run;
	lk->name = which == QUEUE_LINK_LOCAL ? "local" : "smtpout";
	if (lk->open)
		queue_out_chan_end(lk, "replaced by a new one");
	if (ipc_chan_init(&lk->chan, q->loop, fd, lk->name,
	    IPC_ALLOW(IPC_OUT_RESULT) | IPC_ALLOW(IPC_OUT_DONE),
	    queue_out_msg, queue_out_err, lk) == -1) {
		log_warn("queue: channel to %s", lk->name);
		close(fd);
		return;
	}
	/* jobs are small; a slow reader is watched with ipc_pending */
	ipc_chan_set_outmax(&lk->chan, 4 * QUEUE_RUN_PENDING_MAX);
	lk->open = 1;
	log_debug("queue: linked to %s", lk->name);
	queue_out_dispatch(run);
}
