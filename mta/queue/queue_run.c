/*
 * queue_run.c: the queue runner (doc/design.md §12). It knows every
 * message of queue/ by id and its next attempt time, in a min-heap, so a
 * decision costs O(log n) however many messages wait (no scan per
 * decision); only active messages (at most queue_active_limit) have their
 * envelope in memory. A due message is activated: its open recipients
 * that are due are grouped by destination domain into jobs (one SMTP
 * transaction per message and domain), which wait per destination for a
 * slot (smtpout_destination_concurrency per domain,
 * smtpout_concurrency in all) and go to smtpout over IPC_OUT_JOB. Each
 * result changes the recipient in memory (queue_sched_apply); when a job
 * is done its changes are written: first the bounce (committed like any
 * new message), then the envelope (atomic replace, batched by the
 * flusher), or the removal of a message whose every recipient is final.
 * Only then is the message deactivated and scheduled again.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"
#include "queue_run.h"

static int
queue_msg_cmp(struct queue_msg *a, struct queue_msg *b)
{
	return strcmp(a->id, b->id);
}
RB_GENERATE(queue_msg_tree, queue_msg, node, queue_msg_cmp)

static int
queue_job_cmp(struct queue_job *a, struct queue_job *b)
{
	return a->num < b->num ? -1 : a->num > b->num;
}
RB_GENERATE(queue_job_tree, queue_job, node, queue_job_cmp)

static int
queue_dest_cmp(struct queue_dest *a, struct queue_dest *b)
{
	return strcmp(a->domain, b->domain);
}
RB_GENERATE(queue_dest_tree, queue_dest, node, queue_dest_cmp)

static void	queue_run_kick(struct queue_run *);
static void	queue_run_dispatch(struct queue_run *);
static void	queue_run_write(struct queue_run *, struct queue_msg *);

static int64_t
queue_run_now(void)
{
	return (int64_t)time(NULL);
}

/* ---- the schedule: a binary min-heap of messages by due time ---- */

static void
queue_heap_set(struct queue_run *run, size_t i, struct queue_msg *m)
{
	run->heap[i] = m;
	m->heapidx = i;
}

static void
queue_heap_up(struct queue_run *run, size_t i)
{
	struct queue_msg *m = run->heap[i];

	while (i > 0 && run->heap[(i - 1) / 2]->due > m->due) {
		queue_heap_set(run, i, run->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	queue_heap_set(run, i, m);
}

static void
queue_heap_down(struct queue_run *run, size_t i)
{
	struct queue_msg *m = run->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= run->nheap)
			break;
		if (c + 1 < run->nheap && run->heap[c + 1]->due <
		    run->heap[c]->due)
			c++;
		if (run->heap[c]->due >= m->due)
			break;
		queue_heap_set(run, i, run->heap[c]);
		i = c;
	}
	queue_heap_set(run, i, m);
}

static void
queue_heap_push(struct queue_run *run, struct queue_msg *m)
{
	struct queue_msg **nh;
	size_t cap;

	if (run->nheap == run->heapcap) {
		cap = run->heapcap == 0 ? 1024 : run->heapcap * 2;
		if ((nh = reallocarray(run->heap, cap, sizeof(*nh))) == NULL)
			fatal("queue: schedule of %zu messages", run->nheap);
		run->heap = nh;
		run->heapcap = cap;
	}
	run->heap[run->nheap] = m;
	m->heapidx = run->nheap++;
	queue_heap_up(run, m->heapidx);
}

static void
queue_heap_remove(struct queue_run *run, struct queue_msg *m)
{
	size_t i = m->heapidx;

	if (i == QUEUE_RUN_NOT_IN_HEAP)
		return;
	m->heapidx = QUEUE_RUN_NOT_IN_HEAP;
	if (--run->nheap == i)
		return;
	queue_heap_set(run, i, run->heap[run->nheap]);
	queue_heap_down(run, i);
	queue_heap_up(run, run->heap[i]->heapidx);
}

/* ---- settings ---- */

static void
queue_run_notice_rcpt(struct queue_run *run, const char *rcpt,
    const char *hostname)
{
	/* "postmaster" is the postmaster of this host */
	if (strchr(rcpt, '@') != NULL ||
	    snprintf(run->notice_rcpt, sizeof(run->notice_rcpt), "%s@%s",
	    rcpt, hostname) >= (int)sizeof(run->notice_rcpt))
		(void)strlcpy(run->notice_rcpt, rcpt,
		    sizeof(run->notice_rcpt));
}

void
queue_run_init(struct queue *q)
{
	struct queue_run *run;
	const struct conf *c = q->conf;
	size_t i;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		fatal("queue: runner");
	run->q = q;
	q->run = run;
	for (i = 0; i < c->nlocal_domains && i < CONF_MAX_DOMAINS; i++)
		(void)strlcpy(run->local_domains[i], c->local_domains[i],
		    sizeof(run->local_domains[i]));
	run->sc.local_domains = (const char (*)[256])run->local_domains;
	run->sc.nlocal_domains = i;
	run->sc.retry_min = c->retry_min;
	run->sc.retry_max = c->retry_max;
	run->sc.queue_lifetime = c->queue_lifetime;
	run->sc.delay_warning_time = c->delay_warning_time;
	run->active_limit = c->queue_active_limit;
	run->concurrency = c->smtpout_concurrency;
	run->dest_concurrency = c->smtpout_destination_concurrency;
	run->bounce_size_limit = c->bounce_size_limit;
	queue_run_notice_rcpt(run, c->bounce_notice_recipient, c->hostname);
	RB_INIT(&run->msgs);
	RB_INIT(&run->jobs);
	RB_INIT(&run->dests);
	TAILQ_INIT(&run->ready);
	TAILQ_INIT(&run->stalled);
}

void
queue_run_settings(struct queue *q, const struct ipc_queue_settings *qs)
{
	struct queue_run *run = q->run;
	char rcpt[sizeof(qs->bounce_notice_recipient)];

	run->sc.retry_min = qs->retry_min;
	run->sc.retry_max = qs->retry_max;
	run->sc.queue_lifetime = qs->queue_lifetime;
	run->sc.delay_warning_time = qs->delay_warning_time;
	run->active_limit = qs->queue_active_limit;
	run->concurrency = qs->smtpout_concurrency;
	run->dest_concurrency = qs->smtpout_destination_concurrency;
	run->bounce_size_limit = qs->bounce_size_limit;
	memcpy(rcpt, qs->bounce_notice_recipient, sizeof(rcpt));
	rcpt[sizeof(rcpt) - 1] = '\0';
	queue_run_notice_rcpt(run, rcpt, q->conf->hostname);
	queue_run_kick(run);
	queue_run_dispatch(run);
}

/* ---- messages ---- */

static struct queue_msg *
queue_run_find(struct queue_run *run, const char *id)
{
	struct queue_msg key;

	if (strlcpy(key.id, id, sizeof(key.id)) >= sizeof(key.id))
		return NULL;
	return RB_FIND(queue_msg_tree, &run->msgs, &key);
}

/* Registers id (not known yet) due at due. */
static struct queue_msg *
queue_run_insert(struct queue_run *run, const char *id, int64_t due)
{
	struct queue_msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("queue: message %s", id);
	(void)strlcpy(m->id, id, sizeof(m->id));
	m->fd = -1;
	m->heapidx = QUEUE_RUN_NOT_IN_HEAP;
	m->due = due;
	if (RB_INSERT(queue_msg_tree, &run->msgs, m) != NULL)
		fatalx("queue: message %s registered twice", id);
	run->nmsgs++;
	if (due != QUEUE_SCHED_NEVER)
		queue_heap_push(run, m);
	return m;
}

void
queue_run_add(struct queue *q, const struct envelope *env)
{
	struct queue_run *run = q->run;

	if (queue_run_find(run, env->id) != NULL)
		return;
	/* one whose every recipient is final is activated to be removed */
	(void)queue_run_insert(run, env->id, queue_sched_all_final(env) ? 0 :
	    queue_sched_due(&run->sc, env));
	/* the first look at the schedule, once the loop runs */
	if (!loop_timer_armed(&run->timer))
		queue_run_kick(run);
}

void
queue_run_committed(struct queue *q, const char *id, struct envelope **env)
{
	struct queue_run *run = q->run;
	struct queue_msg *m;

	if ((m = queue_run_find(run, id)) == NULL) {
		m = queue_run_insert(run, id, 0);
		/*
		 * Activated in this loop round unless the active set is
		 * full: then the envelope is read again when its turn
		 * comes, so that waiting messages hold no envelope.
		 */
		if (env != NULL && *env != NULL &&
		    run->nactive < run->active_limit) {
			m->env = *env;
			*env = NULL;
		}
	}
	queue_run_kick(run);
}

/* Frees m, which is inactive and no longer in queue/. */
static void
queue_run_forget(struct queue_run *run, struct queue_msg *m)
{
	queue_heap_remove(run, m);
	if (m->stalled)
		TAILQ_REMOVE(&run->stalled, m, stall);
	RB_REMOVE(queue_msg_tree, &run->msgs, m);
	run->nmsgs--;
	free(m);
}

/* Drops what only an active message holds. */
static void
queue_run_release(struct queue_run *run, struct queue_msg *m)
{
	if (!m->active)
		return;
	if (m->env != NULL) {
		envelope_free(m->env);
		free(m->env);
		m->env = NULL;
	}
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	free(m->needs_dsn);
	m->needs_dsn = NULL;
	free(m->relayed_mx);
	m->relayed_mx = NULL;
	m->needs_warn = 0;
	m->active = 0;
	run->nactive--;
}

/*
 * After its jobs and writes: back to the schedule at its next due time
 * (not at all while only local recipients are open).
 */
static void
queue_run_deactivate(struct queue_run *run, struct queue_msg *m)
{
	m->due = queue_sched_due(&run->sc, m->env);
	queue_run_release(run, m);
	if (m->due != QUEUE_SCHED_NEVER)
		queue_heap_push(run, m);
	queue_run_kick(run);
}

/* ---- destinations and jobs ---- */

static struct queue_dest *
queue_run_dest(struct queue_run *run, const char *domain)
{
	struct queue_dest key, *d;

	(void)strlcpy(key.domain, domain, sizeof(key.domain));
	if ((d = RB_FIND(queue_dest_tree, &run->dests, &key)) != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("queue: destination %s", domain);
	(void)strlcpy(d->domain, domain, sizeof(d->domain));
	TAILQ_INIT(&d->waiting);
	(void)RB_INSERT(queue_dest_tree, &run->dests, d);
	return d;
}

static void
queue_run_dest_ready(struct queue_run *run, struct queue_dest *d)
{
	if (!d->on_ready && d->nwaiting > 0 &&
	    d->active < run->dest_concurrency) {
		TAILQ_INSERT_TAIL(&run->ready, d, ready);
		d->on_ready = 1;
	}
}

static void
queue_run_dest_gc(struct queue_run *run, struct queue_dest *d)
{
	if (d->active > 0 || d->nwaiting > 0)
		return;
	if (d->on_ready)
		TAILQ_REMOVE(&run->ready, d, ready);
	RB_REMOVE(queue_dest_tree, &run->dests, d);
	free(d);
}

static void
queue_run_job_new(struct queue_run *run, struct queue_msg *m,
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
	j->d = queue_run_dest(run, g->domain);
	TAILQ_INSERT_TAIL(&j->d->waiting, j, entry);
	j->d->nwaiting++;
	(void)RB_INSERT(queue_job_tree, &run->jobs, j);
	m->njobs++;
	queue_run_dest_ready(run, j->d);
}

static void
queue_run_job_free(struct queue_run *run, struct queue_job *j)
{
	struct queue_dest *d = j->d;

	RB_REMOVE(queue_job_tree, &run->jobs, j);
	if (j->sent) {
		d->active--;
		run->out--;
	} else {
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
	}
	j->m->njobs--;
	free(j->idx);
	free(j->got);
	free(j);
	queue_run_dest_ready(run, d);
	queue_run_dest_gc(run, d);
}

/* Sends j to smtpout. Returns 0, or -1 when the channel failed. */
static int
queue_run_send_job(struct queue_run *run, struct queue_job *j)
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
	oj.ret = (int32_t)e->ret;
	oj.final = j->final;
	(void)strlcpy(oj.envid, e->envid, sizeof(oj.envid));
	/* smtpout reads with pread: a shared offset does not matter */
	if ((fd = dup(j->m->fd)) == -1) {
		log_warn("queue: dup content of %s", e->id);
		return -1;
	}
	if (ipc_send(&run->chan, IPC_OUT_JOB, &oj, sizeof(oj), fd) == -1)
		return -1;
	for (i = 0; i < j->n; i++) {
		const struct envelope_rcpt *r = &e->rcpt[j->idx[i]];

		memset(&or, 0, sizeof(or));
		or.job = j->num;
		or.index = j->idx[i];
		or.notify = r->notify;
		(void)strlcpy(or.addr, r->addr, sizeof(or.addr));
		(void)strlcpy(or.orcpt, r->orcpt, sizeof(or.orcpt));
		if (ipc_send(&run->chan, IPC_OUT_RCPT, &or, sizeof(or), -1) ==
		    -1)
			return -1;
	}
	return 0;
}

static void
queue_run_send_timer(void *arg)
{
	queue_run_dispatch(arg);
}

/* Hands waiting jobs to smtpout, round robin over destinations. */
static void
queue_run_dispatch(struct queue_run *run)
{
	struct queue_dest *d;
	struct queue_job *j;

	while (run->chan_open && run->out < run->concurrency &&
	    (d = TAILQ_FIRST(&run->ready)) != NULL) {
		if (ipc_pending(&run->chan) > QUEUE_RUN_PENDING_MAX) {
			loop_timer_set(run->q->loop, &run->send_timer, 50,
			    queue_run_send_timer, run);
			return;
		}
		TAILQ_REMOVE(&run->ready, d, ready);
		d->on_ready = 0;
		j = TAILQ_FIRST(&d->waiting);
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
		j->sent = 1;
		d->active++;
		run->out++;
		if (queue_run_send_job(run, j) == -1)
			return;	/* the error callback ends the channel */
		queue_run_dest_ready(run, d);
	}
}

/* ---- activation ---- */

/* Bounces recipients of m that have no domain to deliver to. */
static void
queue_run_bad_rcpts(struct queue_run *run, struct queue_msg *m,
    const uint32_t *bad, size_t nbad, int64_t now)
{
	struct reason why;
	size_t i;

	(void)reason_set(&why, 550, "5.1.3", "bad recipient address syntax");
	for (i = 0; i < nbad; i++) {
		(void)queue_sched_apply(&run->sc, m->env,
		    &m->env->rcpt[bad[i]], QUEUE_SCHED_BOUNCED, &why, "", "",
		    now);
		m->needs_dsn[bad[i]] |= QUEUE_RUN_DSN_FAIL;
		m->dirty = 1;
	}
}

/*
 * Loads m's envelope and makes its jobs. Returns 0, or -1 when m is gone
 * (its files were unreadable and moved to corrupt/).
 */
static int
queue_run_activate(struct queue_run *run, struct queue_msg *m, int64_t now)
{
	struct queue_sched_group *g;
	uint32_t *bad;
	size_t nbad, i;
	ssize_t ng;
	char why[512], envname[QUEUE_NAME_MAX];

	why[0] = '\0';
	/* just committed: the envelope came from the commit (no read) */
	if (m->env == NULL) {
		if ((m->env = calloc(1, sizeof(*m->env))) == NULL)
			fatal("queue: envelope of %s", m->id);
		if (queue_env_read(run->q, m->id, m->env, why,
		    sizeof(why)) == -1)
			m->fd = -1;
		else
			m->fd = openat(run->q->queue_fd, m->id, O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC);
	} else
		m->fd = openat(run->q->queue_fd, m->id, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (m->fd == -1) {
		if (why[0] == '\0')
			(void)snprintf(why, sizeof(why), "cannot open content: %s",
			    strerror(errno));
		log_warnx("queue: %s: %s", m->id, why);
		if (queue_env_name(envname, sizeof(envname), m->id) == 0 &&
		    queue_corrupt(run->q, run->q->queue_fd, "queue", envname,
		    why) == 0)
			(void)queue_corrupt(run->q, run->q->queue_fd, "queue",
			    m->id, why);
		envelope_free(m->env);
		free(m->env);
		m->env = NULL;
		queue_run_forget(run, m);
		return -1;
	}
	if ((m->needs_dsn = calloc(m->env->nrcpt, 1)) == NULL)
		fatal("queue: %s", m->id);
	m->active = 1;
	run->nactive++;
	m->needs_warn = queue_sched_warn_due(&run->sc, m->env, now);
	/* all final but still here (a crash before the removal): remove */
	if (m->needs_warn || queue_sched_all_final(m->env))
		m->dirty = 1;
	if ((ng = queue_sched_groups(&run->sc, m->env, now, &g, &bad,
	    &nbad)) == -1)
		fatal("queue: jobs of %s", m->id);
	queue_run_bad_rcpts(run, m, bad, nbad, now);
	free(bad);
	for (i = 0; i < (size_t)ng; i++)
		queue_run_job_new(run, m, &g[i], now);
	queue_sched_groups_free(g, (size_t)ng);
	if (m->njobs == 0)
		queue_run_write(run, m);
	return 0;
}

static void
queue_run_tick(void *arg)
{
	struct queue_run *run = arg;
	struct queue_msg *m;
	int64_t now = queue_run_now(), wait;
	unsigned n = 0;

	while (run->nheap > 0 && run->heap[0]->due <= now &&
	    run->nactive < run->active_limit) {
		/*
		 * Each activation reads an envelope: a burst (after a start
		 * with a full queue) is cut into loop rounds, so that
		 * commits and results are not held up behind it.
		 */
		if (n++ == QUEUE_RUN_BURST) {
			queue_run_dispatch(run);
			queue_run_kick(run);
			return;
		}
		m = run->heap[0];
		queue_heap_remove(run, m);
		(void)queue_run_activate(run, m, now);
	}
	queue_run_dispatch(run);
	if (run->nheap == 0 || run->nactive >= run->active_limit)
		return;	/* a message that ends its round kicks again */
	wait = run->heap[0]->due - now;
	if (wait > 60)
		wait = 60;	/* the clock may jump */
	loop_timer_set(run->q->loop, &run->timer, (uint64_t)wait * 1000,
	    queue_run_tick, run);
}

/* Looks at the schedule after this round of the loop. */
static void
queue_run_kick(struct queue_run *run)
{
	loop_timer_set(run->q->loop, &run->timer, 0, queue_run_tick, run);
}

/* ---- writing what changed ---- */

static void
queue_run_stall_timer(void *arg)
{
	struct queue_run *run = arg;
	struct queue_msg *m;

	while ((m = TAILQ_FIRST(&run->stalled)) != NULL) {
		TAILQ_REMOVE(&run->stalled, m, stall);
		m->stalled = 0;
		queue_run_write(run, m);
	}
}

/* A write of m failed (logged): try again in a while. */
static void
queue_run_stall(struct queue_run *run, struct queue_msg *m)
{
	m->dirty = 1;
	if (!m->stalled) {
		TAILQ_INSERT_TAIL(&run->stalled, m, stall);
		m->stalled = 1;
	}
	if (!loop_timer_armed(&run->stall_timer))
		loop_timer_set(run->q->loop, &run->stall_timer,
		    QUEUE_RUN_STALL_MS, queue_run_stall_timer, run);
}

static void
queue_run_env_done(struct queue *q, struct queue_tx *t)
{
	struct queue_run *run = q->run;
	struct queue_msg *m = t->arg;
	int error = t->error, remove = t->kind == QUEUE_TX_REMOVE;

	if (t->envfd != -1)
		close(t->envfd);
	free(t);
	m->writing = 0;
	if (error != 0) {
		log_warnx("queue: %s: the envelope could not be %s; trying "
		    "again", m->id, remove ? "removed" : "written");
		queue_run_stall(run, m);
		return;
	}
	if (remove) {
		log_info("queue: %s: removed (every recipient is done)",
		    m->id);
		queue_run_release(run, m);
		queue_run_forget(run, m);
		queue_run_kick(run);
		return;
	}
	queue_run_write(run, m);
}

/*
 * Writes m's envelope as it is in memory to incoming/ID.env and hands
 * it to the flusher, which renames it over queue/ID.env; or, when every
 * recipient is final, hands over the removal of the message.
 */
static void
queue_run_write_env(struct queue_run *run, struct queue_msg *m)
{
	struct queue *q = run->q;
	struct queue_tx *t;
	char envname[QUEUE_NAME_MAX], *buf = NULL;
	size_t size = 4096, len;
	ssize_t w;
	int rv;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("queue: update of %s", m->id);
	(void)strlcpy(t->id, m->id, sizeof(t->id));
	t->fd = -1;
	t->envfd = -1;
	t->done = queue_run_env_done;
	t->arg = m;
	m->writing = 1;
	m->dirty = 0;
	if (queue_sched_all_final(m->env)) {
		t->kind = QUEUE_TX_REMOVE;
		queue_flush_add(q, t);
		return;
	}
	t->kind = QUEUE_TX_UPDATE;
	for (;;) {
		if ((buf = realloc(buf, size)) == NULL)
			fatal("queue: envelope of %s", m->id);
		if ((rv = envelope_write(m->env, buf, size, &len)) != -1)
			break;
		size = len;
	}
	if (rv != 0)
		fatalx("queue: envelope of %s does not check", m->id);
	if (queue_env_name(envname, sizeof(envname), m->id) == -1)
		fatalx("queue: envelope name of %s", m->id);
	t->envfd = openat(q->incoming_fd, envname, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->envfd == -1 ||
	    (w = write(t->envfd, buf, len)) != (ssize_t)len) {
		t->error = errno != 0 ? errno : EIO;
		log_warn("queue: write incoming/%s", envname);
		free(buf);
		queue_run_env_done(q, t);
		return;
	}
	free(buf);
	queue_flush_add(q, t);
}

/* Recipient numbers of m whose notice of kind bit is due, not yet made. */
static size_t
queue_run_dsn_idx(struct queue_msg *m, uint8_t bit, uint32_t **out)
{
	size_t i, n = 0;

	*out = NULL;
	for (i = 0; i < m->env->nrcpt; i++)
		if (m->needs_dsn[i] & bit)
			n++;
	if (n == 0)
		return 0;
	if ((*out = reallocarray(NULL, n, sizeof(**out))) == NULL)
		fatal("queue: notice of %s", m->id);
	for (i = 0, n = 0; i < m->env->nrcpt; i++)
		if (m->needs_dsn[i] & bit)
			(*out)[n++] = (uint32_t)i;
	return n;
}

/* Deferred recipients a delay warning reports. */
static size_t
queue_run_warn_idx(struct queue_msg *m, uint32_t **out)
{
	size_t i, n = 0;

	if ((*out = reallocarray(NULL, m->env->nrcpt, sizeof(**out))) == NULL)
		fatal("queue: delay warning of %s", m->id);
	for (i = 0; i < m->env->nrcpt; i++)
		if (m->env->rcpt[i].state == ENVELOPE_RCPT_DEFERRED)
			(*out)[n++] = (uint32_t)i;
	return n;
}

void
queue_run_dsn_done(struct queue_run *run, struct queue_msg *m,
    enum queue_dsn_kind kind, const uint32_t *idx, size_t n, int error)
{
	uint8_t bit = kind == QUEUE_DSN_SUCCESS ? QUEUE_RUN_DSN_SUCCESS :
	    QUEUE_RUN_DSN_FAIL;
	size_t i;

	m->writing = 0;
	if (error != 0) {
		queue_run_stall(run, m);
		return;
	}
	if (kind == QUEUE_DSN_DELAY) {
		m->needs_warn = 0;
		m->env->warned = queue_run_now();
	} else {
		for (i = 0; i < n; i++)
			m->needs_dsn[idx[i]] &= (uint8_t)~bit;
	}
	m->dirty = 1;
	queue_run_write(run, m);
}

/*
 * Starts the notice of kind about idx[0..n) (which it frees). Returns 1
 * when one is on its way (its completion calls queue_run_dsn_done), 0
 * when the caller may go on at once.
 */
static int
queue_run_notice(struct queue_run *run, struct queue_msg *m,
    enum queue_dsn_kind kind, uint32_t *idx, size_t n)
{
	int rv;

	m->writing = 1;
	rv = n == 0 ? 1 : queue_bounce_start(run, m, kind, idx, n);
	if (rv == 1) {
		/* nobody to tell: the state alone is written */
		queue_run_dsn_done(run, m, kind, idx, n, 0);
	} else if (rv == -1) {
		m->writing = 0;
		queue_run_stall(run, m);
	}
	free(idx);
	return 1;
}

/*
 * Makes m's changes durable, one step at a time (each step's completion
 * calls this again): the bounce first, then the delay warning, then the
 * envelope or the removal; with nothing left to write and no job left,
 * the message leaves the active set. A bounce is committed before the
 * recipients' new state (doc/design.md §12): a crash between the two
 * sends the bounce twice, never not at all.
 */
static void
queue_run_write(struct queue_run *run, struct queue_msg *m)
{
	uint32_t *idx;
	size_t n;

	if (m->writing || m->stalled || !m->active)
		return;
	if ((n = queue_run_dsn_idx(m, QUEUE_RUN_DSN_FAIL, &idx)) > 0) {
		(void)queue_run_notice(run, m, QUEUE_DSN_FAILURE, idx, n);
		return;
	}
	if ((n = queue_run_dsn_idx(m, QUEUE_RUN_DSN_SUCCESS, &idx)) > 0) {
		(void)queue_run_notice(run, m, QUEUE_DSN_SUCCESS, idx, n);
		return;
	}
	if (m->needs_warn) {
		n = queue_run_warn_idx(m, &idx);
		(void)queue_run_notice(run, m, QUEUE_DSN_DELAY, idx, n);
		return;
	}
	if (m->dirty) {
		queue_run_write_env(run, m);
		return;
	}
	if (m->njobs == 0)
		queue_run_deactivate(run, m);
}

/* ---- the channel to smtpout ---- */

static struct queue_job *
queue_run_job(struct queue_run *run, uint64_t num)
{
	struct queue_job key;

	key.num = num;
	return RB_FIND(queue_job_tree, &run->jobs, &key);
}

/* Ends the channel (broken, or smtpout said nonsense). */
static void
queue_run_chan_end(struct queue_run *run, const char *why)
{
	struct queue_job *j, *next;
	struct queue_msg *m;
	int64_t later = queue_run_now() + run->sc.retry_min;
	size_t i, n = 0;

	log_warnx("queue: channel to smtpout: %s", why);
	ipc_chan_close(&run->chan);
	run->chan_open = 0;
	loop_timer_cancel(run->q->loop, &run->send_timer);
	/*
	 * Jobs that were out are lost without results: their recipients
	 * are not counted as attempted, but they wait retry_min so that a
	 * crashing smtpout is not fed the same job at once.
	 */
	RB_FOREACH_SAFE(j, queue_job_tree, &run->jobs, next) {
		if (!j->sent)
			continue;
		m = j->m;
		for (i = 0; i < j->n; i++)
			if (!j->got[i] && m->env->rcpt[j->idx[i]].next_retry <
			    later)
				m->env->rcpt[j->idx[i]].next_retry = later;
		queue_run_job_free(run, j);
		n++;
		queue_run_write(run, m);
	}
	if (n > 0)
		log_warnx("queue: %zu delivery job%s lost with the channel; "
		    "their recipients wait %us", n, n == 1 ? "" : "s",
		    run->sc.retry_min);
}

static void
queue_run_result(struct queue_run *run, const struct ipc_out_result *r)
{
	struct queue_job *j = queue_run_job(run, r->job);
	struct envelope_rcpt *rc;
	struct reason why;
	enum envelope_rcpt_state st;
	char failure[sizeof(r->failure)], mx[sizeof(r->mx)];
	size_t i;

	if (j == NULL || !j->sent || r->outcome < IPC_OUT_SENT ||
	    r->outcome > IPC_OUT_BOUNCED) {
		queue_run_chan_end(run, "result for no job");
		return;
	}
	for (i = 0; i < j->n; i++)
		if (j->idx[i] == r->index)
			break;
	if (i == j->n || j->got[i]) {
		queue_run_chan_end(run, "result for a recipient not in the "
		    "job");
		return;
	}
	j->got[i] = 1;
	rc = &j->m->env->rcpt[r->index];
	memset(&why, 0, sizeof(why));
	if (r->outcome != IPC_OUT_SENT) {
		why.code = r->code >= 200 && r->code <= 599 ? r->code :
		    r->outcome == IPC_OUT_BOUNCED ? 550 : 451;
		(void)strlcpy(why.dsn, r->dsn, sizeof(why.dsn));
		memcpy(why.text, r->text, sizeof(why.text) - 1);
		why.text[sizeof(why.text) - 1] = '\0';
		if (why.text[0] == '\0')
			(void)strlcpy(why.text, "(no text)", sizeof(why.text));
	}
	memcpy(failure, r->failure, sizeof(failure));
	failure[sizeof(failure) - 1] = '\0';
	memcpy(mx, r->mx, sizeof(mx));
	mx[sizeof(mx) - 1] = '\0';
	st = queue_sched_apply(&run->sc, j->m->env, rc,
	    (enum queue_sched_outcome)r->outcome, &why, failure, mx,
	    queue_run_now());
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
queue_run_done(struct queue_run *run, const struct ipc_out_done *d)
{
	struct queue_job *j = queue_run_job(run, d->job);
	struct queue_msg *m;
	struct reason why;
	size_t i;

	if (j == NULL || !j->sent) {
		queue_run_chan_end(run, "end of no job");
		return;
	}
	m = j->m;
	(void)reason_set(&why, 451, "4.3.0", "delivery agent gave no result");
	for (i = 0; i < j->n; i++)
		if (!j->got[i]) {
			log_warnx("queue: %s: smtpout gave no result for "
			    "recipient %u", m->id, j->idx[i]);
			(void)queue_sched_apply(&run->sc, m->env,
			    &m->env->rcpt[j->idx[i]], QUEUE_SCHED_DEFERRED,
			    &why, "", "", queue_run_now());
			m->dirty = 1;
		}
	queue_run_job_free(run, j);
	queue_run_write(run, m);
	queue_run_dispatch(run);
}

static void
queue_run_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct queue_run *run = arg;
	struct ipc_out_result r;
	struct ipc_out_done d;

	(void)ch;
	if (msg->fd != -1) {
		close(msg->fd);
		queue_run_chan_end(run, "unexpected descriptor");
		return;
	}
	if (msg->type == IPC_OUT_RESULT && msg->len == sizeof(r)) {
		memcpy(&r, msg->data, sizeof(r));
		queue_run_result(run, &r);
	} else if (msg->type == IPC_OUT_DONE && msg->len == sizeof(d)) {
		memcpy(&d, msg->data, sizeof(d));
		queue_run_done(run, &d);
	} else {
		queue_run_chan_end(run, "malformed message");
	}
}

static void
queue_run_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	(void)ch;
	queue_run_chan_end(arg, ipc_strerror(e));
}

void
queue_run_channel(struct queue *q, int fd)
{
	struct queue_run *run = q->run;

	if (run->chan_open)
		queue_run_chan_end(run, "replaced by a new one");
	if (ipc_chan_init(&run->chan, q->loop, fd, "smtpout",
	    IPC_ALLOW(IPC_OUT_RESULT) | IPC_ALLOW(IPC_OUT_DONE),
	    queue_run_msg, queue_run_err, run) == -1) {
		log_warn("queue: channel to smtpout");
		close(fd);
		return;
	}
	/* jobs are small; a slow reader is watched with ipc_pending */
	ipc_chan_set_outmax(&run->chan, 4 * QUEUE_RUN_PENDING_MAX);
	run->chan_open = 1;
	log_debug("queue: linked to smtpout");
	queue_run_dispatch(run);
}
