/*
 * queue_commit.c: the commit path of DESIGN.md §6 in the queue process
 * (see queue.h): the channels to the smtpin processes and their
 * transactions (IPC_Q_OPEN, IPC_Q_ENV, IPC_Q_COMMIT, IPC_Q_ABORT), and the
 * group commit that makes "250 means on disk" (§1.2) cheaper than one
 * flush per message (FACTS.md: ~1,000 fsync/s is the ceiling otherwise).
 *
 * A message goes: OPEN -> incoming/ID created, its fd passed to smtpin,
 * which writes the content; ENV pieces -> the envelope text; COMMIT ->
 * the text is checked, rewritten canonically to incoming/ID.env, and the
 * transaction waits for the next flush. A 0 ms timer hands everything
 * committed so far, as one batch, to an idle flusher thread, so every
 * COMMIT already read in this round of the loop joins it, and COMMITs
 * that arrive while the flushers are busy join the next one. A flush:
 * make every file of the batch durable (one syncfs(2); fdatasync for a
 * batch of one), rename content then envelope into queue/ (queue/ID.env
 * is the commit record), fsync queue/ once; back in the event loop,
 * answer IPC_Q_COMMITTED. Two journal commits per batch, whatever its
 * size; with both flushers busy the journal merges one's directory
 * commit with the other's data commit when they meet. (A single flusher
 * that let each syncfs also carry the previous batch's renames saved
 * commits but was no faster at 20 sessions, bench/README: every batch
 * then waits for the next one's data flush.)
 *
 * Why threads, in a process that is otherwise one event loop (a
 * deviation from DESIGN.md §2): those two commits block for milliseconds
 * and cannot be made non-blocking; in the loop they stalled every OPEN
 * and COMMIT meanwhile and kept the next batch from starting. The
 * flushers touch nothing but their batch and the spool's directory fds;
 * the transactions of a batch are not freed or changed by the loop until
 * the flusher hands them back (eventfd), and a dead channel keeps its
 * slot until the last of them is back.
 *
 * Free space: every channel hears IPC_Q_SPACE when it opens and whenever
 * the spool crosses queue_min_free (checked every second), so smtpin can
 * answer MAIL with 452 before any file is made; OPEN still refuses with
 * ENOSPC in between.
 *
 * A broken channel (EOF, malformed or unlisted message, protocol
 * violation) is closed and its transactions are aborted; the process goes
 * on: smtpin died or restarted, and its clients get no 250.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"

#define QUEUE_ID_TRIES		8	/* new ids tried when one is taken */

static int
queue_tx_cmp(const struct queue_tx *a, const struct queue_tx *b)
{
	return a->tx < b->tx ? -1 : a->tx > b->tx;
}

RB_GENERATE(queue_tx_tree, queue_tx, node, queue_tx_cmp)

static void	queue_flush(void *);
static void	queue_reap(void *);
static void	*queue_flusher_main(void *);
static void	queue_flush_done(int, uint32_t, void *);
static void	queue_space_tick(void *);

void
queue_commit_init(struct queue *q)
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
	for (i = 0; i < QUEUE_FLUSHERS; i++) {
		struct queue_flusher *f = &q->flushers[i];

		memset(f, 0, sizeof(*f));
		f->q = q;
		TAILQ_INIT(&f->batch);
		if (pthread_mutex_init(&f->mu, NULL) != 0 ||
		    pthread_cond_init(&f->cv, NULL) != 0 ||
		    pthread_create(&f->th, NULL, queue_flusher_main, f) != 0)
			fatalx("queue: cannot start a flusher thread");
	}
	for (i = 0; i < QUEUE_MAX_CHANS; i++) {
		memset(&q->chans[i], 0, sizeof(q->chans[i]));
		q->chans[i].q = q;
		q->chans[i].ipc.fd = -1;
		RB_INIT(&q->chans[i].txs);
	}
}

/* ---- transactions ---- */

/* Drops the envelope text of t and its share of the global budget. */
static void
queue_tx_env_free(struct queue_tx *t)
{
	t->ch->q->env_bytes -= t->env.len;
	buf_free(&t->env);
}

/* Unlinks incoming/ID and incoming/ID.env; a missing file is fine. */
static void
queue_incoming_unlink(struct queue *q, const char *id)
{
	char envname[QUEUE_NAME_MAX];

	if (unlinkat(q->incoming_fd, id, 0) == -1 && errno != ENOENT)
		log_warn("queue: cannot remove incoming/%s", id);
	if (queue_env_name(envname, sizeof(envname), id) == 0 &&
	    unlinkat(q->incoming_fd, envname, 0) == -1 && errno != ENOENT)
		log_warn("queue: cannot remove incoming/%s", envname);
}

/*
 * Forgets t: takes it out of its channel (and of the pending list when
 * on_pending), closes its files and, unless keep_files, removes them from
 * incoming/.
 */
static void
queue_tx_free(struct queue_tx *t, int on_pending, int keep_files)
{
	struct queue_chan *ch = t->ch;
	struct queue *q = ch->q;

	RB_REMOVE(queue_tx_tree, &ch->txs, t);
	ch->ntx--;
	if (on_pending) {
		TAILQ_REMOVE(&q->pending, t, entry);
		q->npending--;
	}
	if (t->fd != -1)
		close(t->fd);
	if (t->envfd != -1)
		close(t->envfd);
	if (!keep_files)
		queue_incoming_unlink(q, t->id);
	queue_tx_env_free(t);
	free(t);
}

/*
 * Aborts the transactions of a dead channel ch that the loop holds (their
 * files go away: none was answered). Those out with the flusher come back
 * later and are freed then; the slot is free once the last one is.
 */
static void
queue_chan_reap(struct queue_chan *ch)
{
	struct queue_tx *t, *next;
	size_t n = 0;

	RB_FOREACH_SAFE(t, queue_tx_tree, &ch->txs, next) {
		if (t->state == QUEUE_TX_FLUSHING)
			continue;
		queue_tx_free(t, t->state == QUEUE_TX_PENDING, 0);
		n++;
	}
	if (n > 0)
		log_info("queue: %s: aborted %zu open transaction%s",
		    ch->name, n, n == 1 ? "" : "s");
	if (ch->ntx > 0)
		return;
	ch->used = 0;
	ch->dead = 0;
}

/*
 * Marks ch broken: closes the socket now (no more messages are read from
 * it) but leaves its transactions to the reaper, because the caller may
 * still hold one of them.
 */
static void
queue_chan_kill(struct queue_chan *ch)
{
	if (ch->dead)
		return;
	ch->dead = 1;
	ipc_chan_close(&ch->ipc);
	loop_timer_set(ch->q->loop, &ch->q->reap_timer, 0, queue_reap, ch->q);
}

static void
queue_chan_fail(struct queue_chan *ch, const char *fmt, ...)
	__attribute__((__format__(printf, 2, 3)));

/* A protocol violation: logged, and the channel is closed. */
static void
queue_chan_fail(struct queue_chan *ch, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("queue: %s: %s; closing the channel", ch->name, why);
	queue_chan_kill(ch);
}

static void
queue_reap(void *arg)
{
	struct queue *q = arg;
	size_t i;

	for (i = 0; i < QUEUE_MAX_CHANS; i++)
		if (q->chans[i].used && q->chans[i].dead)
			queue_chan_reap(&q->chans[i]);
}

static void
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
static int
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

static struct queue_tx *
queue_tx_find(struct queue_chan *ch, uint64_t tx)
{
	struct queue_tx key;

	key.tx = tx;
	return RB_FIND(queue_tx_tree, &ch->txs, &key);
}

/*
 * Creates incoming/ID under a fresh id for transaction tx of ch. Returns 0
 * with *sendfd (for smtpin) and id set, or an errno.
 */
static int
queue_tx_create(struct queue_chan *ch, uint64_t tx, int *sendfd,
    char *id, size_t idsize)
{
	struct queue *q = ch->q;
	struct queue_tx *t;
	int fd = -1, mine, tries, e;

	*sendfd = -1;
	for (tries = 0; tries < QUEUE_ID_TRIES; tries++) {
		/*
		 * An id already in queue/ is not looked for here (a lookup
		 * in a large directory per message): an id is the time in
		 * microseconds plus 64 random bits (queue_id.h), and the
		 * rename into queue/ never replaces a file anyway.
		 */
		if (queue_id_next(&q->idgen, id, idsize) == -1)
			return errno;
		fd = openat(q->incoming_fd, id, O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		e = tries == QUEUE_ID_TRIES ? EEXIST : errno;
		log_warnx("queue: %s: cannot create a file in incoming/: %s",
		    ch->name, strerror(e));
		return e;
	}
	if ((mine = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		e = errno;
		if (mine != -1)
			close(mine);
		close(fd);
		(void)unlinkat(q->incoming_fd, id, 0);
		log_warnx("queue: %s: %s", ch->name, strerror(e));
		return e;
	}
	t->ch = ch;
	t->tx = tx;
	(void)strlcpy(t->id, id, sizeof(t->id));	/* both ENVELOPE_ID_MAX */
	t->state = QUEUE_TX_OPEN;
	t->fd = mine;
	t->envfd = -1;
	buf_init(&t->env, QUEUE_ENV_MAX);
	RB_INSERT(queue_tx_tree, &ch->txs, t);
	ch->ntx++;
	*sendfd = fd;
	return 0;
}

static void
queue_open(struct queue_chan *ch, const struct ipc_msg *msg)
{
	struct ipc_q_open op;
	struct ipc_q_result res;
	struct queue_tx *t;
	int status, fd = -1;

	if (msg->len != sizeof(op)) {
		queue_chan_fail(ch, "malformed OPEN");
		return;
	}
	memcpy(&op, msg->data, sizeof(op));
	if (queue_tx_find(ch, op.tx) != NULL) {
		queue_chan_fail(ch, "transaction %" PRIu64 " opened twice",
		    op.tx);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.tx = op.tx;
	if (ch->ntx >= QUEUE_MAX_TX) {
		log_warnx("queue: %s: %d transactions open, refusing more",
		    ch->name, QUEUE_MAX_TX);
		status = EMFILE;
	} else if ((status = queue_space_update(ch->q)) == 0)
		status = queue_tx_create(ch, op.tx, &fd, res.id,
		    sizeof(res.id));
	res.status = status;
	if (status == 0)
		log_debug("queue: %s: tx %" PRIu64 " opened %s", ch->name,
		    op.tx, res.id);
	/*
	 * ipc_send closes fd when it fails. A broken channel is the
	 * reaper's; otherwise (no memory) smtpin never hears of the file.
	 */
	if (ipc_send(&ch->ipc, IPC_Q_OPENED, &res, sizeof(res), fd) == -1 &&
	    status == 0 && !ch->dead && (t = queue_tx_find(ch, op.tx)) != NULL)
		queue_tx_free(t, 0, 0);
}

static void
queue_env(struct queue_chan *ch, const struct ipc_msg *msg)
{
	struct ipc_q_env ev;
	struct queue_tx *t;
	struct queue *q = ch->q;
	size_t n;

	if (msg->len < sizeof(ev)) {
		queue_chan_fail(ch, "malformed ENV");
		return;
	}
	memcpy(&ev, msg->data, sizeof(ev));
	n = msg->len - sizeof(ev);
	if ((t = queue_tx_find(ch, ev.tx)) == NULL) {
		queue_chan_fail(ch, "ENV for unknown transaction %" PRIu64,
		    ev.tx);
		return;
	}
	if (t->state != QUEUE_TX_OPEN) {
		queue_chan_fail(ch, "ENV after COMMIT of %s", t->id);
		return;
	}
	if (t->error != 0)
		return;
	/* Bounded per message and, against a flood of them, in total. */
	if (q->env_bytes + n > QUEUE_ENV_TOTAL_MAX) {
		t->error = ENOBUFS;
		log_warnx("queue: %s: envelope of %s: %zu bytes of envelopes "
		    "already held", ch->name, t->id, q->env_bytes);
	} else if (buf_append(&t->env, (const char *)msg->data + sizeof(ev),
	    n) == -1) {
		t->error = errno;
		log_warnx("queue: %s: envelope of %s: %s", ch->name, t->id,
		    t->error == ENOBUFS ? "larger than 8 MiB" :
		    strerror(t->error));
	} else
		q->env_bytes += n;
	if (t->error != 0)
		queue_tx_env_free(t);
}

/* Writes len bytes of text to fd. Returns 0, or an errno. */
static int
queue_write_all(int fd, const char *text, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, text, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno;
		if (n == 0)
			return EIO;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Checks the envelope text of t against the COMMIT (size) and the content
 * file, and writes it, canonical, to incoming/ID.env. Returns 0, or an
 * errno with why filled: EINVAL for a bad envelope, else a system error.
 */
static int
queue_tx_seal(struct queue_tx *t, uint64_t size, char *why, size_t whysize)
{
	struct queue *q = t->ch->q;
	struct envelope env;
	struct reason r;
	struct stat st;
	char envname[QUEUE_NAME_MAX], *text = NULL;
	size_t cap, len;
	int w, e = EINVAL;

	if (t->error != 0) {
		(void)snprintf(why, whysize, "envelope: %s",
		    t->error == ENOBUFS ? "too large" : strerror(t->error));
		return t->error;
	}
	/* no ENV at all leaves data NULL: parse "" (and refuse it) */
	if (envelope_parse(t->env.data != NULL ? t->env.data : "", t->env.len,
	    &env, &r) == -1) {
		(void)snprintf(why, whysize, "envelope refused: %s", r.text);
		return EINVAL;
	}
	if (strcmp(env.id, t->id) != 0) {
		(void)snprintf(why, whysize, "envelope names another id");
		goto out;
	}
	if (env.size != size || env.nrcpt < 1) {
		(void)snprintf(why, whysize, "envelope says %" PRIu64 " octets "
		    "and %zu recipients, COMMIT %" PRIu64 " octets", env.size,
		    env.nrcpt, size);
		goto out;
	}
	if (fstat(t->fd, &st) == -1) {
		e = errno;
		(void)snprintf(why, whysize, "fstat: %s", strerror(e));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size != size) {
		(void)snprintf(why, whysize, "content file has %lld octets, "
		    "COMMIT says %" PRIu64, (long long)st.st_size, size);
		goto out;
	}
	/* Canonical text: what lands on disk is what envelope_write says. */
	cap = t->env.len + 64;
	for (;;) {
		free(text);
		if ((text = malloc(cap)) == NULL) {
			e = errno;
			(void)snprintf(why, whysize, "out of memory");
			goto out;
		}
		if ((w = envelope_write(&env, text, cap, &len)) == 0)
			break;
		if (w != -1 || len <= cap) {
			(void)snprintf(why, whysize, "envelope cannot be "
			    "written back");
			goto out;
		}
		cap = len;
	}
	if (queue_env_name(envname, sizeof(envname), t->id) == -1)
		fatalx("queue: envelope name of %s", t->id);
	t->envfd = openat(q->incoming_fd, envname, O_CREAT | O_EXCL |
	    O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->envfd == -1 || (e = queue_write_all(t->envfd, text, len)) != 0) {
		if (t->envfd == -1)
			e = errno;
		(void)snprintf(why, whysize, "write incoming/%s: %s", envname,
		    strerror(e));
		goto out;
	}
	t->size = size;
	t->nrcpt = env.nrcpt;
	e = 0;
out:
	free(text);
	envelope_free(&env);
	return e;
}

static void
queue_commit(struct queue_chan *ch, const struct ipc_msg *msg)
{
	struct queue *q = ch->q;
	struct ipc_q_commit cm;
	struct ipc_q_result res;
	struct queue_tx *t;
	char why[512], esc[1024];
	int status;

	if (msg->len != sizeof(cm)) {
		queue_chan_fail(ch, "malformed COMMIT");
		return;
	}
	memcpy(&cm, msg->data, sizeof(cm));
	if (memchr(cm.id, '\0', sizeof(cm.id)) == NULL) {
		queue_chan_fail(ch, "COMMIT with an unterminated id");
		return;
	}
	if ((t = queue_tx_find(ch, cm.tx)) == NULL) {
		queue_chan_fail(ch, "COMMIT of unknown transaction %" PRIu64,
		    cm.tx);
		return;
	}
	if (strcmp(t->id, cm.id) != 0 || t->state != QUEUE_TX_OPEN) {
		(void)log_escape(esc, sizeof(esc), cm.id, strlen(cm.id));
		queue_chan_fail(ch, "COMMIT of %s does not match transaction "
		    "%" PRIu64 " (%s, %s)", esc, cm.tx, t->id,
		    t->state == QUEUE_TX_OPEN ? "open" : "committed");
		return;
	}
	status = queue_tx_seal(t, cm.size, why, sizeof(why));
	queue_tx_env_free(t);
	if (status != 0) {
		(void)log_escape(esc, sizeof(esc), why, strlen(why));
		log_warnx("queue: %s: commit of %s refused: %s", ch->name,
		    t->id, esc);
		memset(&res, 0, sizeof(res));
		res.tx = t->tx;
		(void)strlcpy(res.id, t->id, sizeof(res.id));
		res.status = status;
		queue_tx_free(t, 0, 0);
		(void)ipc_send(&ch->ipc, IPC_Q_COMMITTED, &res, sizeof(res),
		    -1);
		return;
	}
	t->state = QUEUE_TX_PENDING;
	TAILQ_INSERT_TAIL(&q->pending, t, entry);
	q->npending++;
	/* 0 ms: runs after every fd of this round, so the batch fills up */
	if (!loop_timer_armed(&q->flush_timer))
		loop_timer_set(q->loop, &q->flush_timer, 0, queue_flush, q);
}

static void
queue_abort(struct queue_chan *ch, const struct ipc_msg *msg)
{
	struct ipc_q_commit cm;
	struct queue_tx *t;

	if (msg->len != sizeof(cm)) {
		queue_chan_fail(ch, "malformed ABORT");
		return;
	}
	memcpy(&cm, msg->data, sizeof(cm));
	if (memchr(cm.id, '\0', sizeof(cm.id)) == NULL ||
	    (t = queue_tx_find(ch, cm.tx)) == NULL ||
	    strcmp(t->id, cm.id) != 0) {
		queue_chan_fail(ch, "ABORT of unknown transaction %" PRIu64,
		    cm.tx);
		return;
	}
	if (t->state == QUEUE_TX_FLUSHING) {
		queue_chan_fail(ch, "ABORT of %s while it is being committed",
		    t->id);
		return;
	}
	log_debug("queue: %s: tx %" PRIu64 " aborted %s", ch->name, t->tx,
	    t->id);
	queue_tx_free(t, t->state == QUEUE_TX_PENDING, 0);
}

/* ---- the flush (group commit) ---- */

/*
 * Makes the files of the batch durable; how names the call for the log.
 * A batch of one message gets fdatasync of its two files, the write-back
 * of both started first so that one journal commit carries both (the
 * second call only flushes the disk cache); a larger batch one syncfs(2)
 * for all. At one session syncfs took about 40% longer here: it walks
 * every dirty inode of the file system through the write-back threads.
 * Returns 0 or errno.
 */
static int
queue_flush_data(struct queue *q, struct queue_tx_list *batch, size_t n,
    const char **how)
{
	struct queue_tx *t = TAILQ_FIRST(batch);

	if (n != 1 || t == NULL) {
		*how = "syncfs";
		return syncfs(q->incoming_fd) == -1 ? errno : 0;
	}
	*how = "fdatasync";
	(void)sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	(void)sync_file_range(t->envfd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (fdatasync(t->fd) == -1 || fdatasync(t->envfd) == -1)
		return errno;
	return 0;
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
 * The blocking part of a flush, run by a flusher thread: data durable,
 * renames, one directory flush. Touches only the batch and the spool's
 * directory fds.
 */
static void
queue_flush_work(struct queue *q, struct queue_tx_list *batch, size_t n,
    const char **how)
{
	struct queue_tx *t;
	size_t renamed = 0;
	int e;

	if ((e = queue_flush_data(q, batch, n, how)) != 0) {
		errno = e;
		log_warn("queue: %s of %zu message%s", *how, n,
		    n == 1 ? "" : "s");
		TAILQ_FOREACH(t, batch, entry)
			t->error = EIO;
	}
	TAILQ_FOREACH(t, batch, entry) {
		if (t->error != 0)
			continue;
		if (queue_flush_rename(q, t) == -1)
			t->error = EIO;
		else
			renamed++;
	}
	/* One directory flush covers every rename of the batch (§6). */
	if (renamed > 0 && fsync(q->queue_fd) == -1) {
		log_warn("queue: fsync queue/ (%zu message%s not committed)",
		    renamed, renamed == 1 ? "" : "s");
		TAILQ_FOREACH(t, batch, entry)
			if (t->error == 0) {
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
		ch = t->ch;
		memset(&res, 0, sizeof(res));
		res.tx = t->tx;
		(void)strlcpy(res.id, t->id, sizeof(res.id));
		res.status = t->error;
		if (t->error == 0) {
			ok++;
			log_debug("queue: %s: committed %s size=%" PRIu64
			    " nrcpt=%zu", t->ch->name, t->id, t->size,
			    t->nrcpt);
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
		queue_flush_work(f->q, &f->batch, f->n, &f->how);
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
	if (q->npending > 0 && !loop_timer_armed(&q->flush_timer))
		loop_timer_set(q->loop, &q->flush_timer, 0, queue_flush, q);
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

/* ---- channels ---- */

static void
queue_chan_msg(struct ipc_chan *ipc, const struct ipc_msg *msg, void *arg)
{
	struct queue_chan *ch = arg;

	(void)ipc;
	if (msg->fd != -1) {
		close(msg->fd);
		queue_chan_fail(ch, "unexpected file descriptor with message "
		    "%u", msg->type);
		return;
	}
	if (ch->dead)
		return;
	switch (msg->type) {
	case IPC_Q_OPEN:
		queue_open(ch, msg);
		break;
	case IPC_Q_ENV:
		queue_env(ch, msg);
		break;
	case IPC_Q_COMMIT:
		queue_commit(ch, msg);
		break;
	case IPC_Q_ABORT:
		queue_abort(ch, msg);
		break;
	default:
		queue_chan_fail(ch, "unexpected message %u", msg->type);
		break;
	}
}

static void
queue_chan_err(struct ipc_chan *ipc, enum ipc_err e, void *arg)
{
	struct queue_chan *ch = arg;

	(void)ipc;
	if (e == IPC_EOF)
		log_info("queue: %s closed its channel", ch->name);
	else if (e == IPC_ESYS)
		log_warn("queue: %s: channel", ch->name);
	else
		log_warnx("queue: %s: %s", ch->name, ipc_strerror(e));
	queue_chan_kill(ch);
}

void
queue_chan_add(struct queue *q, uint32_t instance, int fd)
{
	struct queue_chan *ch = NULL;
	socklen_t sl;
	size_t i;
	int type;

	sl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
	    type != SOCK_SEQPACKET) {
		log_warnx("queue: channel for smtpin[%u] is not a "
		    "SOCK_SEQPACKET socket", instance);
		close(fd);
		return;
	}
	/* the old one is reaped as soon as the flushers gave its messages back */
	for (i = 0; i < QUEUE_MAX_CHANS; i++)
		if (q->chans[i].used && !q->chans[i].dead &&
		    q->chans[i].instance == instance) {
			log_info("queue: new channel for %s replaces the old "
			    "one", q->chans[i].name);
			/* its files go before it hears EOF */
			q->chans[i].dead = 1;
			queue_chan_reap(&q->chans[i]);
			ipc_chan_close(&q->chans[i].ipc);
		}
	for (i = 0; ch == NULL && i < QUEUE_MAX_CHANS; i++)
		if (!q->chans[i].used)
			ch = &q->chans[i];
	if (ch == NULL) {
		log_warnx("queue: no room for a channel to smtpin[%u] (%d in "
		    "use)", instance, QUEUE_MAX_CHANS);
		close(fd);
		return;
	}
	memset(ch, 0, sizeof(*ch));
	ch->q = q;
	ch->instance = instance;
	RB_INIT(&ch->txs);
	(void)snprintf(ch->name, sizeof(ch->name), "smtpin[%u]", instance);
	if (ipc_chan_init(&ch->ipc, q->loop, fd, ch->name,
	    IPC_ALLOW(IPC_Q_OPEN) | IPC_ALLOW(IPC_Q_ENV) |
	    IPC_ALLOW(IPC_Q_COMMIT) | IPC_ALLOW(IPC_Q_ABORT),
	    queue_chan_msg, queue_chan_err, ch) == -1) {
		log_warn("queue: channel to %s", ch->name);
		close(fd);
		ch->ipc.fd = -1;
		return;
	}
	/* the others hear of a change first, then this one of the state */
	(void)queue_space_update(q);
	ch->used = 1;
	log_debug("queue: channel to %s open", ch->name);
	queue_space_send(ch, q->space_low);
}
