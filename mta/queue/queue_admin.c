/*
 * queue_admin.c: what sealpost flush, hold, release, delete (--bounce)
 * and requeue do to a message (doc/design.md §12), called by queue_ctl.c
 * for each message a request names or selects. The queue process is the
 * only writer of the spool: every change goes through the runner's own
 * write path (queue_run_write), so an operation is durable the way an
 * attempt's result is, and is never raced by one.
 *
 * A message being delivered keeps the jobs already handed to smtpout:
 * an SMTP transaction in progress is not cut (its recipients may be
 * delivered: the documented window); its jobs still waiting for a slot
 * are dropped at once by hold, delete and bounce, and delete and bounce
 * finish when the jobs out have ended (IPC_QUEUE_R_LATER).
 * Every operation is logged with who asked (the admin line, §9).
 * Linked by the queue binary.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "queue.h"
#include "queue_run.h"

const char *
queue_admin_opname(int op)
{
	switch (op) {
	case IPC_QUEUE_FLUSH:
		return "flush";
	case IPC_QUEUE_HOLD:
		return "hold";
	case IPC_QUEUE_RELEASE:
		return "release";
	case IPC_QUEUE_DELETE:
		return "delete";
	case IPC_QUEUE_BOUNCE:
		return "bounce";
	case IPC_QUEUE_REQUEUE:
		return "requeue";
	}
	return "unknown";
}

static const char *
queue_admin_resname(int result)
{
	switch (result) {
	case IPC_QUEUE_R_DONE:
		return "done";
	case IPC_QUEUE_R_LATER:
		return "later";
	case IPC_QUEUE_R_NOOP:
		return "noop";
	case IPC_QUEUE_R_UNKNOWN:
		return "unknown";
	}
	return "failed";
}

void
queue_admin_log(const char *id, const char *op, const char *who,
    const char *result, const char *text)
{
	struct log_kv kv;

	log_kv_init(&kv, "admin");
	log_kv_str(&kv, "op", op);
	log_kv_str(&kv, "id", id);
	log_kv_str(&kv, "by", who);
	log_kv_str(&kv, "result", result);
	log_kv_str(&kv, "text", text);
	log_kv_emit(&kv);
}

/* Fills text and returns result. */
static int
queue_admin_say(char *text, size_t size, int result, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
queue_admin_say(char *text, size_t size, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, size, fmt, ap) >= (int)size)
		log_debug("queue: operation's answer cut");
	va_end(ap);
	return result;
}

/*
 * Drops m's jobs that wait for a slot (not handed to smtpout). Returns
 * how many jobs are still out.
 */
static unsigned
queue_admin_stop_jobs(struct queue_run *run, struct queue_msg *m)
{
	struct queue_job *j, *next;

	if (m->njobs == 0)
		return 0;	/* loaded for the operation: none */
	RB_FOREACH_SAFE(j, queue_job_tree, &run->jobs, next)
		if (j->m == m && !j->sent)
			queue_out_job_free(run, j);
	return m->njobs;
}

void
queue_admin_forget_reset(struct queue_run *run)
{
	run->nforgot = 0;
}

/* Whether domain was forgotten in this batch; if not, it is now. */
static int
queue_admin_forgot(struct queue_run *run, const char *domain)
{
	size_t k, cap;
	void *p;

	/* a batch has at most QUEUE_CTL_OP_BATCH messages of few domains */
	for (k = 0; k < run->nforgot; k++)
		if (strcmp(run->forgot[k], domain) == 0)
			return 1;
	if (run->nforgot == run->forgotcap) {
		cap = run->forgotcap == 0 ? 16 : run->forgotcap * 2;
		if ((p = reallocarray(run->forgot, cap,
		    sizeof(*run->forgot))) == NULL)
			fatal("queue: requeue");
		run->forgot = p;
		run->forgotcap = cap;
	}
	(void)strlcpy(run->forgot[run->nforgot++], domain,
	    sizeof(run->forgot[0]));
	return 0;
}

/*
 * sealpost requeue: smtpout and then the policy process drop their
 * cached plans for each destination domain of e's open recipients (each
 * once per batch), so that the next attempt resolves them afresh
 * (doc/design.md §8). Returns 0, or -1 when smtpout is not linked (it
 * starts again with no plan; the policy process keeps its plans until
 * they expire).
 */
static int
queue_admin_forget(struct queue_run *run, const struct envelope *e)
{
	struct ipc_forget f;
	size_t i;

	struct queue_link *lk = &run->link[QUEUE_LINK_SMTPOUT];

	if (!lk->open)
		return -1;
	for (i = 0; i < e->nrcpt; i++) {
		memset(&f, 0, sizeof(f));
		if (!queue_sched_is_open(&run->sc, &e->rcpt[i]) ||
		    queue_sched_domain(e->rcpt[i].addr, f.domain,
		    sizeof(f.domain)) == -1 ||
		    queue_admin_forgot(run, f.domain))
			continue;
		if (ipc_send(&lk->chan, IPC_OUT_FORGET, &f, sizeof(f), -1) ==
		    -1)
			return -1;	/* its error callback ends it */
	}
	return 0;
}

/* The answer's start for a requeue (rv of queue_admin_forget). */
static const char *
queue_admin_forget_text(int op, int rv)
{
	if (op != IPC_QUEUE_REQUEUE)
		return "";
	return rv == 0 ? "plans forgotten, " : "smtpout is restarting (the "
	    "policy process keeps its plans until they expire), ";
}

/*
 * Flush and requeue of the inactive m: its envelope is read to see
 * whether anything may be tried (not while held); m is then due now and
 * its deferred recipients are due at its activation (m->flush).
 */
static int
queue_admin_flush_idle(struct queue_run *run, struct queue_msg *m, int op,
    int64_t now, char *text, size_t size)
{
	struct envelope env;
	char why[512];
	size_t n;
	int fv = 0;

	if (queue_env_read(run->q, m->id, &env, why, sizeof(why)) != 0) {
		envelope_free(&env);
		return queue_admin_say(text, size, IPC_QUEUE_R_FAILED,
		    "cannot read its envelope: %s", why);
	}
	if (env.held != 0) {
		envelope_free(&env);
		return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
		    "held: release it to deliver it");
	}
	if ((n = queue_sched_flush(&run->sc, &env, now)) == 0) {
		envelope_free(&env);
		return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
		    "no recipient waits for a delivery attempt");
	}
	if (op == IPC_QUEUE_REQUEUE)
		fv = queue_admin_forget(run, &env);
	envelope_free(&env);
	m->flush = 1;
	queue_run_schedule(run, m, now);
	return queue_admin_say(text, size, IPC_QUEUE_R_DONE, "%s%zu "
	    "recipient%s tried now", queue_admin_forget_text(op, fv), n,
	    n == 1 ? "" : "s");
}

/* The operation on m, which is active (perhaps just for it). */
static int
queue_admin_active(struct queue_run *run, struct queue_msg *m, int op,
    const char *who, int64_t now, char *text, size_t size)
{
	struct envelope *e = m->env;
	size_t n;
	int rv, fv = 0;

	switch (op) {
	case IPC_QUEUE_FLUSH:
	case IPC_QUEUE_REQUEUE:
		if (e->held != 0)
			return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
			    "held: release it to deliver it");
		n = queue_sched_flush(&run->sc, e, now);
		if (op == IPC_QUEUE_REQUEUE)
			fv = queue_admin_forget(run, e);
		if (n == 0)
			return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
			    "no recipient waits for a delivery attempt");
		/* due at once when the attempt in progress ends */
		m->dirty = 1;
		return queue_admin_say(text, size, IPC_QUEUE_R_LATER,
		    "%sbeing delivered now; the rest is tried when this "
		    "attempt ends", queue_admin_forget_text(op, fv));
	case IPC_QUEUE_HOLD:
		if (queue_sched_hold(e, now) == 0)
			return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
			    "already held");
		m->dirty = 1;
		/* no delay warning while held (recomputed at activation) */
		m->needs_warn = 0;
		if (queue_admin_stop_jobs(run, m) > 0)
			return queue_admin_say(text, size, IPC_QUEUE_R_LATER,
			    "held once the delivery in progress ends");
		return queue_admin_say(text, size, IPC_QUEUE_R_DONE, "held");
	case IPC_QUEUE_RELEASE:
		if (queue_sched_release(&run->sc, e, now) == 0)
			return queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
			    "not held");
		m->dirty = 1;
		return queue_admin_say(text, size, IPC_QUEUE_R_DONE,
		    "released; tried now");
	case IPC_QUEUE_DELETE:
	case IPC_QUEUE_BOUNCE:
		m->op = op;
		(void)strlcpy(m->op_by, who, sizeof(m->op_by));
		m->dirty = 1;
		rv = queue_admin_stop_jobs(run, m) > 0 ? IPC_QUEUE_R_LATER :
		    IPC_QUEUE_R_DONE;
		return queue_admin_say(text, size, rv, "%s%s",
		    op == IPC_QUEUE_DELETE ? "deleted" :
		    "bounced to the sender", rv == IPC_QUEUE_R_LATER ?
		    " once the delivery in progress ends" : "");
	}
	return queue_admin_say(text, size, IPC_QUEUE_R_FAILED,
	    "unknown operation");
}

int
queue_admin_op(struct queue_run *run, struct queue_msg *m, int op,
    const char *who, char *text, size_t size)
{
	char id[ENVELOPE_ID_MAX + 1];
	int64_t now = queue_run_now();
	int rv;

	(void)strlcpy(id, m->id, sizeof(id));
	if (m->deleting || m->op == IPC_QUEUE_DELETE ||
	    m->op == IPC_QUEUE_BOUNCE)
		rv = queue_admin_say(text, size, IPC_QUEUE_R_NOOP,
		    "already being deleted");
	else if (!m->active && (op == IPC_QUEUE_FLUSH ||
	    op == IPC_QUEUE_REQUEUE))
		rv = queue_admin_flush_idle(run, m, op, now, text, size);
	else if (m->active)
		rv = queue_admin_active(run, m, op, who, now, text, size);
	else if (queue_run_load(run, m, now, op == IPC_QUEUE_BOUNCE) == -1) {
		/* m is gone (or waits for descriptors): the log says why */
		m = NULL;
		rv = queue_admin_say(text, size, IPC_QUEUE_R_FAILED,
		    "cannot load it now (see the log)");
	} else {
		/* loaded for this: counted until it is written (queue_ctl.c
		   waits on the count), then deactivated */
		m->opload = 1;
		run->nopload++;
		rv = queue_admin_active(run, m, op, who, now, text, size);
	}
	/* writes what changed */
	if (m != NULL)
		queue_run_write(run, m);
	queue_admin_log(id, queue_admin_opname(op), who,
	    queue_admin_resname(rv), text);
	return rv;
}

void
queue_admin_apply(struct queue_run *run, struct queue_msg *m)
{
	struct reason why;
	size_t i, n = 0;

	if (m->op == IPC_QUEUE_DELETE) {
		/* nothing more goes out about it: no notice, no warning */
		memset(m->needs_dsn, 0, m->env->nrcpt);
		m->needs_warn = 0;
		m->dirty = 1;
		m->deleting = 1;	/* queue_run_write_env removes it */
		m->op = 0;
		return;
	}
	if (m->op != IPC_QUEUE_BOUNCE)
		return;
	(void)reason_set(&why, 550, "5.0.0", "deleted from the queue by the "
	    "administrator of %s", run->q->conf->hostname);
	for (i = 0; i < m->env->nrcpt; i++) {
		struct envelope_rcpt *r = &m->env->rcpt[i];

		if (r->state != ENVELOPE_RCPT_PENDING &&
		    r->state != ENVELOPE_RCPT_DEFERRED)
			continue;
		r->state = ENVELOPE_RCPT_BOUNCED;
		r->next_retry = 0;
		r->error = why;
		r->failure[0] = '\0';
		r->mx[0] = '\0';
		r->policy[0] = '\0';
		m->needs_dsn[i] |= QUEUE_RUN_DSN_FAIL;
		n++;
	}
	log_info("queue: %s: %zu recipient%s bounced by %s", m->id, n,
	    n == 1 ? "" : "s", m->op_by);
	/* from here the usual way: the bounce, then the removal */
	m->op = 0;
	m->needs_warn = 0;
	m->dirty = 1;
}
