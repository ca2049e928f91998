/*
 * queue_run.c: the queue runner (doc/design.md §12). It knows every
 * message of queue/ by id and its next attempt time, in a min-heap, so a
 * decision costs O(log n) however many messages wait (no scan per
 * decision); only active messages (at most queue_active_limit) have their
 * envelope in memory. A due message is activated: its open recipients
 * that are due are grouped by destination domain into jobs (one SMTP
 * transaction per message and domain), which wait per destination for a
 * slot and go to smtpout (queue_out.c). Each result changes the
 * recipient in memory (queue_sched_apply); when a job
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
#include <sys/resource.h>
#include <sys/stat.h>
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


int64_t
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

/*
 * Each active message holds its content open: no more of them than the
 * descriptors allow, with room for the channels and the commits.
 */
static unsigned
queue_run_active_limit(unsigned want)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	room = rl.rlim_cur > 1024 ? rl.rlim_cur - 512 : rl.rlim_cur / 2;
	if ((rlim_t)want > room) {
		log_warnx("queue: queue_active_limit %u is more than the open "
		    "file limit allows; using %llu", want,
		    (unsigned long long)room);
		return (unsigned)room;
	}
	return want;
}

void
queue_run_init(struct queue *q)
{
	struct queue_run *run;
	const struct conf *c = q->conf;
	size_t i, n;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		fatal("queue: runner");
	run->q = q;
	q->run = run;
	/*
	 * The local transport's domains: local_domains, and the
	 * virtual_alias_domains whose addresses the local process expands
	 * (doc/design.md §12).
	 */
	n = 0;
	for (i = 0; i < c->nlocal_domains && i < CONF_MAX_DOMAINS; i++)
		(void)strlcpy(run->local_domains[n++], c->local_domains[i],
		    sizeof(run->local_domains[0]));
	for (i = 0; i < c->nvirtual_alias_domains && i < CONF_MAX_DOMAINS;
	    i++)
		(void)strlcpy(run->local_domains[n++],
		    c->virtual_alias_domains[i], sizeof(run->local_domains[0]));
	run->sc.local_domains = (const char (*)[256])run->local_domains;
	run->sc.nlocal_domains = n;
	run->sc.retry_min = c->retry_min;
	run->sc.retry_max = c->retry_max;
	run->sc.queue_lifetime = c->queue_lifetime;
	run->sc.delay_warning_time = c->delay_warning_time;
	run->sc.local_delivery = c->local_transport != CONF_LOCAL_NONE;
	run->active_limit = queue_run_active_limit(c->queue_active_limit);
	run->concurrency = c->smtpout_concurrency;
	run->dest_concurrency = c->smtpout_destination_concurrency;
	run->bounce_size_limit = c->bounce_size_limit;
	queue_run_notice_rcpt(run, c->bounce_notice_recipient, c->hostname);
	run->link[QUEUE_LINK_SMTPOUT].run = run;
	run->link[QUEUE_LINK_SMTPOUT].name = "smtpout";
	run->link[QUEUE_LINK_LOCAL].run = run;
	run->link[QUEUE_LINK_LOCAL].name = "local";
	RB_INIT(&run->msgs);
	RB_INIT(&run->jobs);
	RB_INIT(&run->dests);
	TAILQ_INIT(&run->ready);
	TAILQ_INIT(&run->stalled);
}

int
queue_run_domains(struct queue *q, const struct ipc_queue_domains *qd)
{
	struct queue_run *run = q->run;
	size_t i, len;

	if (qd->first) {
		run->nnew_domains = 0;
		run->have_new_domains = 1;
	}
	if (!run->have_new_domains || qd->n > IPC_QUEUE_DOMAINS_BATCH ||
	    qd->n > CONF_MAX_DOMAINS * 2 - run->nnew_domains)
		return -1;
	for (i = 0; i < qd->n; i++) {
		len = strnlen(qd->name[i], sizeof(qd->name[i]));
		if (len == 0 || len == sizeof(qd->name[i]))
			return -1;
		memcpy(run->new_domains[run->nnew_domains++], qd->name[i],
		    len + 1);
	}
	return 0;
}

void
queue_run_settings(struct queue *q, const struct ipc_queue_settings *qs)
{
	struct queue_run *run = q->run;
	char rcpt[sizeof(qs->bounce_notice_recipient)];
	struct queue_msg *m;
	int64_t now;
	int rescan = 0;

	run->sc.retry_min = qs->retry_min;
	run->sc.retry_max = qs->retry_max;
	run->sc.queue_lifetime = qs->queue_lifetime;
	run->sc.delay_warning_time = qs->delay_warning_time;
	if (run->sc.local_delivery != (qs->local_delivery != 0))
		rescan = 1;
	run->sc.local_delivery = qs->local_delivery != 0;
	/*
	 * local_domains and virtual_alias_domains of the new configuration
	 * (doc/design.md §2): a recipient is local or not when it is next
	 * dispatched; jobs already out finish as they went.
	 */
	if (run->have_new_domains) {
		if (run->nnew_domains != run->sc.nlocal_domains ||
		    memcmp(run->local_domains, run->new_domains,
		    run->nnew_domains * sizeof(run->local_domains[0])) != 0)
			rescan = 1;
		memcpy(run->local_domains, run->new_domains,
		    run->nnew_domains * sizeof(run->local_domains[0]));
		run->sc.nlocal_domains = run->nnew_domains;
		run->have_new_domains = 0;
	}
	/*
	 * A message with no open recipient is in no schedule (local ones
	 * while local_transport was none): when what is open may have
	 * changed, each such message is looked at once more; one that still
	 * has nothing to do goes back out of the schedule.
	 */
	if (rescan) {
		now = queue_run_now();
		RB_FOREACH(m, queue_msg_tree, &run->msgs)
			if (!m->active && m->due == QUEUE_SCHED_NEVER)
				queue_run_schedule(run, m, now);
	}
	run->active_limit = queue_run_active_limit(qs->queue_active_limit);
	run->concurrency = qs->smtpout_concurrency;
	run->dest_concurrency = qs->smtpout_destination_concurrency;
	run->bounce_size_limit = qs->bounce_size_limit;
	memcpy(rcpt, qs->bounce_notice_recipient, sizeof(rcpt));
	rcpt[sizeof(rcpt) - 1] = '\0';
	queue_run_notice_rcpt(run, rcpt, q->conf->hostname);
	queue_run_kick(run);
	queue_out_dispatch(run);
}

/* ---- messages ---- */

struct queue_msg *
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
	buf_init(&m->hist, QUEUE_RUN_HIST_MAX);
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
	/* written with the envelope (or gone with the message) */
	buf_free(&m->hist);
	buf_init(&m->hist, QUEUE_RUN_HIST_MAX);
	m->op = 0;
	if (m->opload) {
		run->nopload--;
		m->opload = 0;
	}
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

void
queue_run_schedule(struct queue_run *run, struct queue_msg *m, int64_t due)
{
	queue_heap_remove(run, m);
	m->due = due;
	if (due != QUEUE_SCHED_NEVER)
		queue_heap_push(run, m);
	queue_run_kick(run);
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

int
queue_run_load(struct queue_run *run, struct queue_msg *m, int64_t now,
    int content)
{
	char why[512], envname[QUEUE_NAME_MAX];
	int rv = 0, e = 0;

	why[0] = '\0';
	/* just committed: the envelope came from the commit (no read) */
	if (m->env == NULL) {
		if ((m->env = calloc(1, sizeof(*m->env))) == NULL)
			fatal("queue: envelope of %s", m->id);
		rv = queue_env_read(run->q, m->id, m->env, why, sizeof(why));
	}
	m->fd = -1;
	if (rv == 0 && content && (m->fd = openat(run->q->queue_fd, m->id,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		e = errno;
		(void)snprintf(why, sizeof(why), "cannot open content: %s",
		    strerror(e));
		rv = queue_transient(e) ? -2 : -1;
	}
	if (rv == -2) {
		/*
		 * Out of descriptors or memory: nothing is wrong with the
		 * message; it waits and is tried again.
		 */
		log_warnx("queue: %s: %s; trying again in %ds", m->id, why,
		    QUEUE_RUN_STALL_MS / 1000);
		envelope_free(m->env);
		free(m->env);
		m->env = NULL;
		queue_heap_remove(run, m);
		m->due = now + QUEUE_RUN_STALL_MS / 1000;
		queue_heap_push(run, m);
		return -1;
	}
	if (rv == -1) {
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
	queue_heap_remove(run, m);
	m->active = 1;
	run->nactive++;
	return 0;
}

/*
 * Loads m's envelope and makes its jobs. Returns 0, or -1 when m is gone
 * (its files were unreadable and moved to corrupt/) or waits (no
 * descriptor now).
 */
static int
queue_run_activate(struct queue_run *run, struct queue_msg *m, int64_t now)
{
	struct queue_sched_group *g;
	uint32_t *bad;
	size_t nbad, i;
	ssize_t ng;

	if (queue_run_load(run, m, now, 1) == -1)
		return -1;
	/* sealpost flush: what waits for a retry is due now */
	if (m->flush)
		(void)queue_sched_flush(&run->sc, m->env, now);
	m->flush = 0;
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
		queue_out_job_new(run, m, &g[i], now);
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
			queue_out_dispatch(run);
			queue_run_kick(run);
			return;
		}
		m = run->heap[0];
		queue_heap_remove(run, m);
		(void)queue_run_activate(run, m, now);
	}
	queue_out_dispatch(run);
	if (run->nheap == 0 || run->nactive >= run->active_limit)
		return;	/* a message that ends its round kicks again */
	wait = run->heap[0]->due - now;
	if (wait > 60)
		wait = 60;	/* the clock may jump */
	loop_timer_set(run->q->loop, &run->timer, (uint64_t)wait * 1000,
	    queue_run_tick, run);
}

/* Looks at the schedule after this round of the loop. */
void
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
		if (m->deleting)
			log_info("queue: %s: removed (deleted by %s)", m->id,
			    m->op_by);
		else
			log_info("queue: %s: removed (every recipient is "
			    "done)", m->id);
		queue_run_release(run, m);
		queue_run_forget(run, m);
		queue_run_kick(run);
		return;
	}
	queue_run_write(run, m);
}

/*
 * Appends the history lines m has in memory to queue/ID.hist, before its
 * envelope is written (doc/design.md §12). Not made durable on its own:
 * the history is a record for the admin, the envelope is the truth; a
 * line that cannot be written is logged and dropped, never a reason to
 * hold the envelope back.
 */
static void
queue_run_write_hist(struct queue_run *run, struct queue_msg *m)
{
	char name[QUEUE_NAME_MAX];
	struct stat st;
	ssize_t w;
	int fd;

	if (m->hist.len == 0)
		return;
	if (queue_hist_name(name, sizeof(name), m->id) == -1)
		fatalx("queue: history name of %s", m->id);
	if ((fd = openat(run->q->queue_fd, name, O_WRONLY | O_APPEND |
	    O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		log_warn("queue: open queue/%s", name);
	} else if (fstat(fd, &st) == -1) {
		log_warn("queue: fstat queue/%s", name);
		close(fd);
	} else if ((uint64_t)st.st_size + m->hist.len >
	    QUEUE_RUN_HIST_FILE_MAX) {
		/* a bound on what one message may take of the disk */
		log_warnx("queue: %s: the history has reached %d MiB; "
		    "this attempt is not recorded in it", m->id,
		    QUEUE_RUN_HIST_FILE_MAX / (1024 * 1024));
		close(fd);
	} else {
		if ((w = write(fd, m->hist.data, m->hist.len)) !=
		    (ssize_t)m->hist.len)
			log_warn("queue: write queue/%s (%zd of %zu)", name,
			    w, m->hist.len);
		close(fd);
	}
	buf_reset(&m->hist);
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
	if (m->deleting || queue_sched_all_final(m->env)) {
		t->kind = QUEUE_TX_REMOVE;
		queue_flush_add(q, t);
		return;
	}
	t->kind = QUEUE_TX_UPDATE;
	queue_run_write_hist(run, m);
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
void
queue_run_write(struct queue_run *run, struct queue_msg *m)
{
	uint32_t *idx;
	size_t n;

	if (m->writing || m->stalled || !m->active)
		return;
	/* an operation that waited for the attempt in progress */
	if (m->op != 0 && m->njobs == 0)
		queue_admin_apply(run, m);
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
		/*
		 * Every recipient final, but a job is still out (its results
		 * came, its DONE not yet): the removal waits for that DONE,
		 * which calls this again, so that no job outlives its message.
		 */
		if (m->njobs > 0 && (m->deleting ||
		    queue_sched_all_final(m->env)))
			return;
		queue_run_write_env(run, m);
		return;
	}
	if (m->njobs == 0)
		queue_run_deactivate(run, m);
}

