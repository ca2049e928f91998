/*
 * queue_flush.c: the second half of the commit path of doc/design.md §7
 * (see queue.h): the group commit that makes "250 means on disk"
 * (doc/design.md §1) cheaper than one flush per message (about 1,000
 * fsync/s is the ceiling of this hardware otherwise, doc/design.md §7),
 * and the free-space watch.
 *
 * A COMMIT (queue_chan.c) puts the message on the pending list; a 0 ms
 * timer hands everything pending, as one batch, to an idle flusher
 * thread, so every COMMIT already read in this round of the loop joins
 * it, and COMMITs that arrive while the flushers are busy join the next
 * one. A flush: make every file of the batch durable, rename content then
 * envelope into queue/ (queue/ID.env is the commit record), fsync queue/
 * once; back in the event loop, answer IPC_Q_COMMITTED. Two journal
 * commits per batch, whatever its size; with both flushers busy the
 * journal merges one's directory commit with the other's data commit when
 * they meet. (A single flusher that let each syncfs also carry the
 * previous batch's renames saved commits but was no faster at 20
 * sessions, bench/README: every batch then waits for the next one's data
 * flush.)
 *
 * Why threads, in a process that is otherwise one event loop
 * (doc/design.md §2): those two commits block for milliseconds and
 * cannot be made non-blocking; in the loop they stalled every OPEN and
 * COMMIT meanwhile and kept the next batch from starting. The flushers
 * touch nothing but their batch and their own spool fds; the
 * transactions of a batch are not freed or changed by the loop until the
 * flusher hands them back (eventfd).
 *
 * Free space: every channel hears IPC_Q_SPACE when it opens and whenever
 * the spool crosses queue_min_free (checked every second), so smtpin can
 * answer MAIL with 452 before any file is made; OPEN still refuses with
 * ENOSPC in between.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"

static void	queue_flush(void *);
static void	*queue_flusher_main(void *);
static void	queue_flush_done(int, uint32_t, void *);
static void	queue_space_tick(void *);

/*
 * Whether syncfs(2) reports write-back errors (Linux 5.8 and later, see
 * queue_flush_data). Returns 1 or 0.
 */
static int
queue_syncfs_reports(void)
{
	struct utsname u;
	const char *errstr;
	char major[16], minor[16];
	long long ma, mi;

	if (uname(&u) == -1 ||
	    sscanf(u.release, "%15[0-9].%15[0-9]", major, minor) != 2)
		return 0;
	ma = strtonum(major, 0, 1000, &errstr);
	if (errstr != NULL)
		return 0;
	mi = strtonum(minor, 0, 1000, &errstr);
	if (errstr != NULL)
		return 0;
	return ma > 5 || (ma == 5 && mi >= 8);
}

void
queue_flush_init(struct queue *q)
{
	size_t i;

	q->space_low = queue_space(q) == ENOSPC;
	loop_timer_set(q->loop, &q->space_timer, QUEUE_SPACE_CACHE_MS,
	    queue_space_tick, q);

	TAILQ_INIT(&q->pending);
	q->npending = 0;
	if ((q->flush_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    loop_fd_add(q->loop, q->flush_evfd, EPOLLIN, queue_flush_done,
	    q) == -1)
		fatal("queue: flusher eventfd");
	q->syncfs_reports = queue_syncfs_reports();
	log_info("queue: batches are made durable with %s",
	    q->syncfs_reports ? "one syncfs and a check of each message" :
	    "fdatasync of each message (this kernel's syncfs reports no "
	    "write-back errors)");
	for (i = 0; i < QUEUE_FLUSHERS; i++) {
		struct queue_flusher *f = &q->flushers[i];

		memset(f, 0, sizeof(*f));
		f->q = q;
		TAILQ_INIT(&f->batch);
		/*
		 * A descriptor of its own: syncfs reports a write-back error
		 * once per open file description, so a shared one would let
		 * the other flusher's batch take this one's error.
		 */
		if ((f->incoming_fd = openat(q->spool_fd, "incoming",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
			fatal("queue: open incoming/ for a flusher");
		if (pthread_mutex_init(&f->mu, NULL) != 0 ||
		    pthread_cond_init(&f->cv, NULL) != 0 ||
		    pthread_create(&f->th, NULL, queue_flusher_main, f) != 0)
			fatalx("queue: cannot start a flusher thread");
	}
}

/* ---- free space ---- */

void
queue_space_send(struct queue_chan *ch, int low)
{
	struct ipc_q_space sp;

	memset(&sp, 0, sizeof(sp));
	sp.low = low;
	(void)ipc_send(&ch->ipc, IPC_Q_SPACE, &sp, sizeof(sp), -1);
}

/*
 * Checks free space (cached) and tells every channel when it crossed
 * queue_min_free. Returns what queue_space() says.
 */
int
queue_space_update(struct queue *q)
{
	int status = queue_space(q), low = status == ENOSPC;
	size_t i;

	if (low != q->space_low) {
		q->space_low = low;
		for (i = 0; i < QUEUE_MAX_CHANS; i++)
			if (q->chans[i].used && !q->chans[i].dead)
				queue_space_send(&q->chans[i], low);
	}
	return status;
}

static void
queue_space_tick(void *arg)
{
	struct queue *q = arg;

	(void)queue_space_update(q);
	loop_timer_set(q->loop, &q->space_timer, QUEUE_SPACE_CACHE_MS,
	    queue_space_tick, q);
}

/* ---- the flush (group commit) ---- */

/*
 * Makes one message's two files durable on their own: write-back of both
 * started first so that one journal commit carries both (the second
 * fdatasync only flushes the disk cache). Returns 0 or the errno; a
 * write-back error of either file since it was opened is reported here,
 * on the message it belongs to.
 */
static int
queue_flush_one(const struct queue_tx *t)
{
	if (t->fd != -1)
		(void)sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (t->envfd != -1)
		(void)sync_file_range(t->envfd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if ((t->fd != -1 && fdatasync(t->fd) == -1) ||
	    (t->envfd != -1 && fdatasync(t->envfd) == -1))
		return errno;
	return 0;
}

/*
 * After a syncfs that succeeded: whether write-back of this message's
 * files failed. A write-back error is recorded on each open file
 * description of the file (errseq, Linux 4.13 and later), so this
 * message's own fds report it even when syncfs handed the error to
 * another batch, or when an earlier syncfs on this flusher's fd already
 * took it. The data is written and the journal committed, so this costs
 * no I/O: sync_file_range waits for nothing and issues no cache flush.
 * Returns 0 or the errno.
 */
static int
queue_flush_check(const struct queue_tx *t)
{
	const unsigned fl = SYNC_FILE_RANGE_WAIT_BEFORE |
	    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;

	if ((t->fd != -1 && sync_file_range(t->fd, 0, 0, fl) == -1) ||
	    (t->envfd != -1 && sync_file_range(t->envfd, 0, 0, fl) == -1))
		return errno;
	return 0;
}

/*
 * Makes the files of the batch durable and learns each message's own
 * errors (doc/design.md §7), setting t->error; how names the method for
 * the log. Returns the number of messages that failed.
 *
 * A batch of one: queue_flush_one. A larger batch: one syncfs(2) on this
 * flusher's own descriptor of incoming/, then queue_flush_check per
 * message; when syncfs fails, every message is made durable on its own
 * instead, so that an error is charged to the message it belongs to and
 * not to whichever batch happened to call syncfs first (since Linux 5.8
 * syncfs reports a write-back error once per open file description of
 * the file system). Before Linux 5.8 syncfs reported neither write-back
 * nor journal errors at all: there every message gets queue_flush_one.
 * At one session syncfs took about 40% longer than fdatasync here (it
 * walks every dirty inode of the file system through the write-back
 * threads); at 20 sessions it is what makes one flush cover a batch.
 */
static size_t
queue_flush_data(struct queue_flusher *f, struct queue_tx_list *batch,
    size_t n, const char **how)
{
	struct queue *q = f->q;
	struct queue_tx *t;
	size_t failed = 0, ndata = 0;
	int e, per_file;

	/* removals have no data to flush: only the directory fsync */
	TAILQ_FOREACH(t, batch, entry)
		if (t->kind != QUEUE_TX_REMOVE)
			ndata++;
	if (ndata == 0) {
		*how = "directory fsync";
		return 0;
	}
	(void)n;
	per_file = ndata == 1 || !q->syncfs_reports;
	*how = per_file ? "fdatasync" : "syncfs";
	if (!per_file && syncfs(f->incoming_fd) == -1) {
		log_warn("queue: syncfs of %zu messages; making each durable "
		    "on its own", ndata);
		*how = "syncfs, then fdatasync";
		per_file = 1;
	}
	TAILQ_FOREACH(t, batch, entry) {
		if (t->kind == QUEUE_TX_REMOVE)
			continue;
		e = per_file ? queue_flush_one(t) : queue_flush_check(t);
		if (e != 0) {
			errno = e;
			log_warn("queue: %s of %s (size=%" PRIu64 ")",
			    per_file ? "fdatasync" : "write-back", t->id,
			    t->size);
			t->error = e;
			failed++;
		}
	}
	return failed;
}

/* Takes a message that is (partly) in queue/ back out, envelope first. */
static void
queue_unrename(struct queue *q, struct queue_tx *t)
{
	char envname[QUEUE_NAME_MAX];

	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: envelope name of %s", t->id);
	if (t->renamed >= 2 && unlinkat(q->queue_fd, envname, 0) == -1 &&
	    errno != ENOENT)
		log_warn("queue: cannot remove queue/%s", envname);
	if (t->renamed >= 1 && unlinkat(q->queue_fd, t->id, 0) == -1 &&
	    errno != ENOENT)
		log_warn("queue: cannot remove queue/%s", t->id);
	t->renamed = 0;
}

/* Renames t's content, then its envelope (the commit record), to queue/. */
static int
queue_flush_rename(struct queue *q, struct queue_tx *t)
{
	char envname[QUEUE_NAME_MAX];

	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: envelope name of %s", t->id);
	if (queue_rename(q->incoming_fd, q->queue_fd, t->id) == -1) {
		log_warn("queue: rename incoming/%s to queue/", t->id);
		return -1;
	}
	t->renamed = 1;
	if (queue_rename(q->incoming_fd, q->queue_fd, envname) == -1) {
		log_warn("queue: rename incoming/%s to queue/", envname);
		queue_unrename(q, t);
		return -1;
	}
	t->renamed = 2;
	return 0;
}

/*
 * An envelope update: incoming/ID.env replaces queue/ID.env in one
 * rename (atomic: a crash leaves the old or the new one, never neither).
 */
static int
queue_flush_replace(struct queue *q, struct queue_tx *t)
{
	char envname[QUEUE_NAME_MAX];

	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: envelope name of %s", t->id);
	if (renameat(q->incoming_fd, envname, q->queue_fd, envname) == -1) {
		log_warn("queue: rename incoming/%s over queue/%s", envname,
		    envname);
		return -1;
	}
	t->renamed = 2;
	return 0;
}

/*
 * A message whose every recipient is final leaves the spool: the
 * envelope first (without it the content is no message, and start-up
 * recovery removes a content file left alone), then the content.
 */
static int
queue_flush_remove(struct queue *q, struct queue_tx *t)
{
	char envname[QUEUE_NAME_MAX];

	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: envelope name of %s", t->id);
	if (unlinkat(q->queue_fd, envname, 0) == -1 && errno != ENOENT) {
		log_warn("queue: remove queue/%s", envname);
		return -1;
	}
	if (unlinkat(q->queue_fd, t->id, 0) == -1 && errno != ENOENT)
		log_warn("queue: remove queue/%s", t->id);
	/* the history last: start-up recovery removes one left alone */
	if (queue_hist_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: history name of %s", t->id);
	if (unlinkat(q->queue_fd, envname, 0) == -1 && errno != ENOENT)
		log_warn("queue: remove queue/%s", envname);
	t->renamed = 2;
	return 0;
}

/*
 * The blocking part of a flush, run by a flusher thread: data durable,
 * renames, one directory flush. Touches only the batch, the spool's
 * directory fds and the flusher's own descriptor of incoming/.
 */
static void
queue_flush_work(struct queue_flusher *f, struct queue_tx_list *batch,
    size_t n, const char **how)
{
	struct queue *q = f->q;
	struct queue_tx *t;
	size_t renamed = 0;

	(void)queue_flush_data(f, batch, n, how);
	TAILQ_FOREACH(t, batch, entry) {
		int rv;

		if (t->error != 0)
			continue;
		switch (t->kind) {
		case QUEUE_TX_UPDATE:
			rv = queue_flush_replace(q, t);
			break;
		case QUEUE_TX_REMOVE:
			rv = queue_flush_remove(q, t);
			break;
		default:
			rv = queue_flush_rename(q, t);
			break;
		}
		if (rv == -1)
			t->error = EIO;
		else
			renamed++;
	}
	/* One directory flush covers every rename of the batch. */
	if (renamed > 0 && fsync(q->queue_fd) == -1) {
		log_warn("queue: fsync queue/ (%zu change%s not durable)",
		    renamed, renamed == 1 ? "" : "s");
		TAILQ_FOREACH(t, batch, entry)
			if (t->error == 0) {
				/*
				 * A new message is taken out again; an
				 * update or removal cannot be undone and
				 * is reported: the runner keeps the message
				 * and writes it again.
				 */
				if (t->kind == QUEUE_TX_SMTPIN ||
				    t->kind == QUEUE_TX_LOCAL)
					queue_unrename(q, t);
				t->error = EIO;
			}
	}
	/*
	 * incoming/ is not flushed: the commit record is in queue/, and
	 * whatever a crash leaves in incoming/ is purged at the next start.
	 * Every flush saved here is a journal commit saved per batch.
	 */
}

/*
 * The queue's own record of a commit (doc/design.md §9): written before
 * smtpin hears of it, so that a message in queue/ is in the log even when
 * smtpin never gets to write its `in` line.
 */
static void
queue_flush_log(const struct queue_tx *t)
{
	struct log_kv kv;

	log_kv_init(&kv, "queued");
	log_kv_str(&kv, "id", t->id);
	log_kv_fmt(&kv, "size", "%" PRIu64, t->size);
	log_kv_fmt(&kv, "nrcpt", "%zu", t->nrcpt);
	log_kv_str(&kv, "via", t->ch->name);
	log_kv_emit(&kv);
}

/* Back in the event loop: answers every message of a flushed batch. */
static void
queue_flush_finish(struct queue *q, struct queue_flusher *f)
{
	struct queue_tx *t;
	struct queue_chan *ch;
	struct ipc_q_result res;
	size_t ok = 0;

	while ((t = TAILQ_FIRST(&f->batch)) != NULL) {
		TAILQ_REMOVE(&f->batch, t, entry);
		if (t->kind != QUEUE_TX_SMTPIN) {
			/* the runner's own: it logs and frees t */
			if (t->error == 0)
				ok++;
			t->done(q, t);
			continue;
		}
		ch = t->ch;
		memset(&res, 0, sizeof(res));
		res.tx = t->tx;
		(void)strlcpy(res.id, t->id, sizeof(res.id));
		res.status = t->error;
		if (t->error == 0) {
			ok++;
			queue_flush_log(t);
			queue_run_committed(q, t->id, &t->parsed);
		}
		/* a failed message is gone before smtpin hears of it */
		queue_tx_free(t, 0, res.status == 0);
		/*
		 * A channel that broke meanwhile leaves a durable message
		 * whose 250 never goes out: the client retries, a duplicate
		 * at worst (at-least-once, never lost).
		 */
		if (!ch->dead)
			(void)ipc_send(&ch->ipc, IPC_Q_COMMITTED, &res,
			    sizeof(res), -1);
	}
	q->nflush++;
	q->ncommitted += ok;
	log_debug("queue: flush %" PRIu64 ": %zu of %zu committed with %s in "
	    "%" PRIu64 " ms", q->nflush, ok, f->n, f->how,
	    loop_now_ms() - f->t0);
}

static void *
queue_flusher_main(void *arg)
{
	struct queue_flusher *f = arg;
	uint64_t one = 1;
	sigset_t all;

	/* signals belong to the event loop's signalfd */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		(void)pthread_mutex_lock(&f->mu);
		while (!f->ready)
			(void)pthread_cond_wait(&f->cv, &f->mu);
		f->ready = 0;
		(void)pthread_mutex_unlock(&f->mu);
		queue_flush_work(f, &f->batch, f->n, &f->how);
		(void)pthread_mutex_lock(&f->mu);
		f->done = 1;
		(void)pthread_mutex_unlock(&f->mu);
		while (write(f->q->flush_evfd, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
	}
	return NULL;
}

/* A flusher finished (eventfd): answer its batch, start the next one. */
static void
queue_flush_done(int fd, uint32_t events, void *arg)
{
	struct queue *q = arg;
	struct queue_flusher *f;
	uint64_t count;
	size_t i;
	int done;

	(void)events;
	(void)read(fd, &count, sizeof(count));
	for (i = 0; i < QUEUE_FLUSHERS; i++) {
		f = &q->flushers[i];
		(void)pthread_mutex_lock(&f->mu);
		done = f->done;
		f->done = 0;
		(void)pthread_mutex_unlock(&f->mu);
		if (!done)
			continue;
		queue_flush_finish(q, f);
		f->busy = 0;
		q->nflushing--;
	}
	if (q->npending > 0)
		queue_flush_schedule(q);
	queue_reap(q);
}

/*
 * Hands everything committed since the last flush to an idle flusher.
 * With every flusher busy, the batch grows until one is done. Runs from
 * a 0 ms timer so that every COMMIT already read joins the batch.
 */
static void
queue_flush(void *arg)
{
	struct queue *q = arg;
	struct queue_flusher *f = NULL;
	struct queue_tx *t;
	size_t i;

	if (q->npending == 0)
		return;
	for (i = 0; i < QUEUE_FLUSHERS && f == NULL; i++)
		if (!q->flushers[i].busy)
			f = &q->flushers[i];
	if (f == NULL)
		return;
	TAILQ_INIT(&f->batch);
	TAILQ_CONCAT(&f->batch, &q->pending, entry);
	f->n = q->npending;
	q->npending = 0;
	TAILQ_FOREACH(t, &f->batch, entry)
		t->state = QUEUE_TX_FLUSHING;
	f->busy = 1;
	f->t0 = loop_now_ms();
	q->nflushing++;
	(void)pthread_mutex_lock(&f->mu);
	f->ready = 1;
	(void)pthread_cond_signal(&f->cv);
	(void)pthread_mutex_unlock(&f->mu);
}

void
queue_flush_add(struct queue *q, struct queue_tx *t)
{
	t->state = QUEUE_TX_PENDING;
	TAILQ_INSERT_TAIL(&q->pending, t, entry);
	q->npending++;
	queue_flush_schedule(q);
}

void
queue_flush_schedule(struct queue *q)
{
	/* 0 ms: runs after every fd of this round, so the batch fills up */
	if (!loop_timer_armed(&q->flush_timer))
		loop_timer_set(q->loop, &q->flush_timer, 0, queue_flush, q);
}
