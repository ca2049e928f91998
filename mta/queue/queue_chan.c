/*
 * queue_chan.c: the channels to the smtpin processes and their
 * transactions, the first half of the commit path of doc/design.md §7
 * (see queue.h): IPC_Q_OPEN creates incoming/ID and passes its fd,
 * IPC_Q_ENV collects the envelope text, IPC_Q_COMMIT checks it, writes it
 * canonical to incoming/ID.env and hands the message to the flushers
 * (queue_flush.c), IPC_Q_ABORT forgets it.
 *
 * A broken channel (EOF, malformed or unlisted message, protocol
 * violation) is closed and its transactions are aborted; the process goes
 * on: smtpin died or restarted, and its clients get no 250. A dead
 * channel keeps its slot until the flushers gave back the last of its
 * messages (they are answered nowhere but land in queue/: at-least-once).
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
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

void
queue_chan_init(struct queue *q)
{
	size_t i;

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

void
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
void
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
	if (t->parsed != NULL) {
		envelope_free(t->parsed);
		free(t->parsed);
	}
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

void
queue_reap(void *arg)
{
	struct queue *q = arg;
	size_t i;

	for (i = 0; i < QUEUE_MAX_CHANS; i++)
		if (q->chans[i].used && q->chans[i].dead)
			queue_chan_reap(&q->chans[i]);
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
	/* the runner takes it after the flush (queue_run_committed) */
	if ((t->parsed = malloc(sizeof(*t->parsed))) != NULL) {
		*t->parsed = env;
		envelope_init(&env);
	}
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
	queue_flush_schedule(q);
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
