/*
 * queue_ctl.c: the queue process's side of `sealpost queue`, `show` and
 * the operations (see queue_ctl.h, doc/design.md §3, §12): a query on
 * one message (show, or an operation with an id) is answered at once;
 * listings and operations on a selection wait in order and are answered
 * one batch per loop round. An operation's batch applies it
 * (queue_admin.c) to at most QUEUE_CTL_OP_BATCH matching messages and
 * answers an IPC_QUEUE_DONE record for each. Show sends the envelope,
 * the history and the content as descriptors (memory files for what is
 * only in memory), never a path: the CLI does not read the spool. A batch walks the runner's
 * message tree from the first id after the query's `after`, in id
 * (arrival) order; an active message is judged on its envelope in
 * memory, any other on queue/ID.env read from disk (doc/design.md §12:
 * waiting messages hold no envelope). Budgets keep the loop responsive
 * and the channel bounded: at most max messages sent, 4 * max envelopes
 * read, and 1 MiB of frames (the message that crosses it is the last).
 * The checks, filters and frames are the pure queue_list.c's.
 * Linked by the queue binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"
#include "queue_ctl.h"
#include "queue_list.h"
#include "queue_run.h"

/* A good query waiting for its batch. */
struct queue_ctl_wait {
	TAILQ_ENTRY(queue_ctl_wait) entry;
	struct ipc_queue_query	 q;
};

/* What a batch got through, for its END and the debug log. */
struct queue_ctl_walk {
	char		 last[IPC_Q_ID_MAX + 1];
	char		 until[IPC_Q_ID_MAX + 1];	/* an operation's
						   bound, or "" */
	size_t		 bytes;		/* frames sent */
	size_t		 reads;		/* envelopes read */
	uint32_t	 count;		/* messages sent */
	int		 more;		/* stopped before the end */
	int		 broken;	/* a send failed */
	uint64_t	 ctlno;		/* the query's number */
	char		 who[64];	/* an operation's asker, for the log */
	uint8_t		 pack[IPC_PAYLOAD_MAX];	/* IPC_QUEUE_DATA */
	size_t		 packlen;	/* header included */
	uint32_t	 packn;		/* records in it */
};

void
queue_ctl_init(struct queue_ctl *ctl, struct queue *q, struct ipc_chan *master)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->q = q;
	ctl->master = master;
	TAILQ_INIT(&ctl->waiting);
}

/* Sends the END of a batch for query ctlno. Returns what ipc_send does. */
static int
queue_ctl_end(struct queue_ctl *ctl, uint64_t ctlno, int status,
    const struct queue_ctl_walk *w, const char *text)
{
	struct ipc_queue_end end;

	memset(&end, 0, sizeof(end));
	end.ctl = ctlno;
	end.status = status;
	if (w != NULL) {
		end.more = w->more;
		memcpy(end.last, w->last, sizeof(end.last));
		end.count = w->count;
	}
	if (w != NULL)
		memcpy(end.until, w->until, sizeof(end.until));
	if (text != NULL &&
	    strlcpy(end.text, text, sizeof(end.text)) >= sizeof(end.text))
		log_debug("queue: listing answer cut: %s", text);
	return ipc_send(ctl->master, IPC_QUEUE_END, &end, sizeof(end), -1);
}

/* A query the queue cannot take: END with status 2, never fatal. */
static void
queue_ctl_refuse(struct queue_ctl *ctl, uint64_t ctlno, const char *why)
{
	char text[sizeof(((struct ipc_queue_end *)0)->text)];

	log_info("queue: listing query %llu refused: %s",
	    (unsigned long long)ctlno, why);
	if (snprintf(text, sizeof(text), "malformed query: %s", why) >=
	    (int)sizeof(text))
		log_debug("queue: listing refusal cut");
	(void)queue_ctl_end(ctl, ctlno, 2, NULL, text);
}

/* Sends the records packed so far as one IPC_QUEUE_DATA frame. */
static void
queue_ctl_flush_pack(struct queue_ctl *ctl, struct queue_ctl_walk *w)
{
	struct ipc_queue_data h;

	if (w->packn == 0 || w->broken)
		return;
	memset(&h, 0, sizeof(h));
	h.ctl = w->ctlno;
	h.nrec = w->packn;
	h.len = (uint32_t)(w->packlen - sizeof(h));
	memcpy(w->pack, &h, sizeof(h));
	if (ipc_send(ctl->master, IPC_QUEUE_DATA, w->pack, w->packlen,
	    -1) == -1)
		w->broken = 1;
	w->packn = 0;
	w->packlen = sizeof(h);
}

/* Adds one record to the pack, sending it first when it is full. */
static void
queue_ctl_pack(struct queue_ctl *ctl, struct queue_ctl_walk *w,
    uint32_t type, const void *rec, size_t len)
{
	struct ipc_queue_rec r;

	if (w->packlen + sizeof(r) + len > sizeof(w->pack))
		queue_ctl_flush_pack(ctl, w);
	memset(&r, 0, sizeof(r));
	r.type = type;
	memcpy(w->pack + w->packlen, &r, sizeof(r));
	memcpy(w->pack + w->packlen + sizeof(r), rec, len);
	w->packlen += sizeof(r) + len;
	w->packn++;
}

/*
 * Sends message m (envelope env) as an item and its waiting recipients,
 * as many as the byte budget lets one message have, packed many to a
 * frame (IPC_QUEUE_DATA).
 */
static void
queue_ctl_send_msg(struct queue_ctl *ctl, uint64_t ctlno,
    const struct queue_msg *m, const struct envelope *env,
    struct queue_ctl_walk *w)
{
	struct ipc_queue_item it;
	struct ipc_queue_rcpt rc;
	size_t i, nwaiting = 0, bytes;
	uint32_t nsend, sent = 0;

	for (i = 0; i < env->nrcpt; i++)
		if (queue_list_waiting(&env->rcpt[i]))
			nwaiting++;
	nsend = queue_list_fit(nwaiting, &bytes);
	queue_list_item(&it, ctlno, env, m->due, m->active, nsend);
	queue_ctl_pack(ctl, w, IPC_QUEUE_ITEM, &it, sizeof(it));
	for (i = 0; i < env->nrcpt && sent < it.nrcpt; i++) {
		if (!queue_list_waiting(&env->rcpt[i]))
			continue;
		queue_list_rcpt(&rc, ctlno, &env->rcpt[i], m->active,
		    env->held != 0);
		queue_ctl_pack(ctl, w, IPC_QUEUE_RCPT, &rc, sizeof(rc));
		sent++;
	}
	w->bytes += bytes;
	w->count++;
}

/* Who asked q, for the admin line: "uid 0 (root)". */
static void
queue_ctl_who(const struct ipc_queue_query *q, char *who, size_t size)
{
	/* user is terminated: queue_list_query_check */
	if (snprintf(who, size, "uid %u%s%s%s", q->uid,
	    q->user[0] != '\0' ? " (" : "", q->user,
	    q->user[0] != '\0' ? ")" : "") >= (int)size)
		log_debug("queue: asker's name cut");
}

/* Packs the DONE record of what operation op did to message id. */
static void
queue_ctl_done(struct queue_ctl *ctl, struct queue_ctl_walk *w,
    const char *id, int result, const char *text)
{
	struct ipc_queue_done d;

	memset(&d, 0, sizeof(d));
	d.ctl = w->ctlno;
	(void)strlcpy(d.id, id, sizeof(d.id));
	d.result = result;
	(void)strlcpy(d.text, text, sizeof(d.text));
	queue_ctl_pack(ctl, w, IPC_QUEUE_DONE, &d, sizeof(d));
	w->bytes += sizeof(struct ipc_queue_rec) + sizeof(d);
	w->count++;
}

/* Applies operation op to m (which may be freed) and packs its record. */
static void
queue_ctl_op(struct queue_ctl *ctl, struct queue_msg *m, int op,
    struct queue_ctl_walk *w)
{
	char id[IPC_Q_ID_MAX + 1], text[sizeof(((struct ipc_queue_done *)0)->
	    text)];
	int rv;

	(void)strlcpy(id, m->id, sizeof(id));
	rv = queue_admin_op(ctl->q->run, m, op, w->who, text, sizeof(text));
	queue_ctl_done(ctl, w, id, rv, text);
}

/* An operation on the message q->id: one DONE record, then the END. */
static void
queue_ctl_op_one(struct queue_ctl *ctl, const struct ipc_queue_query *q)
{
	struct queue_ctl_walk w;
	struct queue_msg *m;

	memset(&w, 0, sizeof(w));
	w.ctlno = q->ctl;
	w.packlen = sizeof(struct ipc_queue_data);
	queue_ctl_who(q, w.who, sizeof(w.who));
	queue_admin_forget_reset(ctl->q->run);
	if ((m = queue_run_find(ctl->q->run, q->id)) == NULL) {
		queue_ctl_done(ctl, &w, q->id, IPC_QUEUE_R_UNKNOWN,
		    "no such message in the queue");
		queue_admin_log(q->id, queue_admin_opname(q->op), w.who,
		    "unknown", "no such message in the queue");
	} else
		queue_ctl_op(ctl, m, q->op, &w);
	queue_ctl_flush_pack(ctl, &w);
	if (!w.broken)
		(void)queue_ctl_end(ctl, q->ctl, 0, &w, NULL);
}

/*
 * A descriptor reading len octets of data from offset 0, for sealpost
 * show: a memory file, since the CLI may not read the spool. Returns it,
 * or -1 (errno set).
 */
static int
queue_ctl_memfd(const char *name, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd, e;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The envelope of m as it is now: in memory when active, else its file. */
static int
queue_ctl_env_fd(struct queue_ctl *ctl, const struct queue_msg *m)
{
	char name[QUEUE_NAME_MAX], *buf = NULL;
	size_t size = 4096, len;
	int rv, fd;

	if (m->env == NULL) {
		if (queue_env_name(name, sizeof(name), m->id) == -1) {
			errno = EINVAL;
			return -1;
		}
		return openat(ctl->q->queue_fd, name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	for (;;) {
		if ((buf = realloc(buf, size)) == NULL)
			fatal("queue: envelope of %s", m->id);
		if ((rv = envelope_write(m->env, buf, size, &len)) != -1)
			break;
		size = len;
	}
	if (rv != 0)
		fatalx("queue: envelope of %s does not check", m->id);
	fd = queue_ctl_memfd("envelope", buf, len);
	free(buf);
	return fd;
}

/* Sends the descriptor fd (taken over) as a file of kind for query ctlno. */
static int
queue_ctl_file(struct queue_ctl *ctl, uint64_t ctlno, int kind, int active,
    int fd)
{
	struct ipc_queue_file f;

	memset(&f, 0, sizeof(f));
	f.ctl = ctlno;
	f.kind = kind;
	f.active = active != 0;
	return ipc_send(ctl->master, IPC_QUEUE_FILE, &f, sizeof(f), fd);
}

/*
 * The history of m as it is now: its file, or when lines are still in
 * memory a memory file of both (the file could grow with those very
 * lines before the CLI reads it). Returns a descriptor, -1 when there is
 * no history, or -2 (errno set).
 */
static int
queue_ctl_hist_fd(struct queue_ctl *ctl, const struct queue_msg *m)
{
	char name[QUEUE_NAME_MAX];
	struct buf b;
	int fd, e;

	if (queue_hist_name(name, sizeof(name), m->id) == -1)
		fatalx("queue: history name of %s", m->id);
	fd = openat(ctl->q->queue_fd, name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno != ENOENT)
		return -2;
	if (m->hist.len == 0)
		return fd;	/* the file, or -1: none */
	buf_init(&b, QUEUE_RUN_HIST_FILE_MAX + QUEUE_RUN_HIST_MAX);
	if (fd != -1) {
		e = buf_read_fd(&b, fd);
		close(fd);
		if (e == -1) {
			e = errno;
			buf_free(&b);
			errno = e;
			return -2;
		}
	}
	if (buf_append(&b, m->hist.data, m->hist.len) == -1) {
		buf_free(&b);
		errno = ENOMEM;
		return -2;
	}
	fd = queue_ctl_memfd("history", b.data, b.len);
	buf_free(&b);
	return fd == -1 ? -2 : fd;
}

/*
 * sealpost show: the envelope, the history and the content, each as a
 * read-only descriptor, then END. Every descriptor is opened before any
 * is sent, so that the answer is whole or an error.
 */
static void
queue_ctl_show(struct queue_ctl *ctl, const struct ipc_queue_query *q)
{
	struct queue_msg *m;
	char text[128], who[64];
	const char *what = NULL;
	int efd = -1, hfd = -1, cfd = -1;

	queue_ctl_who(q, who, sizeof(who));
	if ((m = queue_run_find(ctl->q->run, q->id)) == NULL) {
		queue_admin_log(q->id, "show", who, "unknown",
		    "no such message in the queue");
		(void)queue_ctl_end(ctl, q->ctl, 3, NULL,
		    "no such message in the queue");
		return;
	}
	if ((efd = queue_ctl_env_fd(ctl, m)) == -1)
		what = "envelope";
	else if ((hfd = queue_ctl_hist_fd(ctl, m)) == -2)
		what = "history";
	else if ((cfd = openat(ctl->q->queue_fd, m->id, O_RDONLY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		what = "content";
	if (what != NULL) {
		/* ENOENT: it left the queue meanwhile */
		(void)snprintf(text, sizeof(text), "cannot open its %s: %s",
		    what, strerror(errno));
		log_warnx("queue: show %s: %s", m->id, text);
		if (efd != -1)
			close(efd);
		if (hfd >= 0)
			close(hfd);
		(void)queue_ctl_end(ctl, q->ctl, 2, NULL, text);
		return;
	}
	/* a failed send ends us through the master channel's error */
	if (queue_ctl_file(ctl, q->ctl, IPC_QUEUE_F_ENVELOPE, m->active,
	    efd) == -1 ||
	    (hfd >= 0 && queue_ctl_file(ctl, q->ctl, IPC_QUEUE_F_HISTORY,
	    m->active, hfd) == -1) ||
	    queue_ctl_file(ctl, q->ctl, IPC_QUEUE_F_CONTENT, m->active,
	    cfd) == -1)
		return;
	queue_admin_log(m->id, "show", who, "done", "");
	(void)queue_ctl_end(ctl, q->ctl, 0, NULL, NULL);
}

/* The walk looked at id last. */
static void
queue_ctl_saw(struct queue_ctl_walk *w, const char *id)
{
	if (strlcpy(w->last, id, sizeof(w->last)) >= sizeof(w->last))
		fatalx("queue: id %s longer than a listing carries", id);
}

/* The first message whose id sorts after `after` ("" from the start). */
static struct queue_msg *
queue_ctl_first(struct queue_run *run, const char *after)
{
	struct queue_msg key, *m;

	if (after[0] == '\0')
		return RB_MIN(queue_msg_tree, &run->msgs);
	/* after is a checked queue id (queue_list_query_check) */
	if (strlcpy(key.id, after, sizeof(key.id)) >= sizeof(key.id))
		return NULL;
	if ((m = RB_NFIND(queue_msg_tree, &run->msgs, &key)) != NULL &&
	    strcmp(m->id, key.id) == 0)
		m = RB_NEXT(queue_msg_tree, &run->msgs, m);
	return m;
}

/*
 * One batch of the listing for the checked query q: the walk, then its
 * END (status 0; more when it stopped before the end of the tree, last
 * the last id looked at, so that the CLI asks again from there).
 */
static void
queue_ctl_batch(struct queue_ctl *ctl, const struct ipc_queue_query *q)
{
	struct queue_run *run = ctl->q->run;
	struct queue_ctl_walk w;
	struct queue_msg *m, *next;
	struct envelope disk, *env;
	char why[512];
	size_t readmax = (size_t)q->max * QUEUE_LIST_READS_PER_MSG;
	int rv;

	memset(&w, 0, sizeof(w));
	memcpy(w.last, q->after, sizeof(w.last));
	w.ctlno = q->ctl;
	w.packlen = sizeof(struct ipc_queue_data);
	queue_ctl_who(q, w.who, sizeof(w.who));
	/*
	 * An operation on a selection touches what was queued when it
	 * began: the first batch bounds it to the newest id then, and the
	 * CLI sends that bound back. Bounces it makes and mail that comes
	 * meanwhile sort after it (ids grow with time, doc/design.md §7).
	 */
	if (q->op != IPC_QUEUE_LIST) {
		if (q->until[0] != '\0')
			memcpy(w.until, q->until, sizeof(w.until));
		else if ((m = RB_MAX(queue_msg_tree, &run->msgs)) != NULL)
			(void)strlcpy(w.until, m->id, sizeof(w.until));
	}
	queue_admin_forget_reset(run);
	for (m = queue_ctl_first(run, q->after); m != NULL; m = next) {
		if (q->op != IPC_QUEUE_LIST && strcmp(m->id, w.until) > 0)
			break;	/* the end of the selection */
		if (w.count == q->max || w.bytes >= QUEUE_LIST_BYTES_MAX ||
		    (q->op != IPC_QUEUE_LIST && w.count ==
		    QUEUE_CTL_OP_BATCH)) {
			w.more = 1;
			break;
		}
		next = RB_NEXT(queue_msg_tree, &run->msgs, m);
		/*
		 * Active (or just committed and not yet active): its envelope
		 * is in memory and newer than the file's. Else read it.
		 */
		if ((env = m->env) == NULL) {
			if (w.reads == readmax) {
				w.more = 1;
				break;
			}
			w.reads++;
			rv = queue_env_read(ctl->q, m->id, &disk, why,
			    sizeof(why));
			if (rv != 0) {
				/* the runner deals with it when it is due */
				log_debug("queue: listing skips %s: %s", m->id,
				    why);
				envelope_free(&disk);
				queue_ctl_saw(&w, m->id);
				continue;
			}
			env = &disk;
		}
		queue_ctl_saw(&w, m->id);
		if (!queue_list_match(q, env, m->active))
			;
		else if (q->op == IPC_QUEUE_LIST)
			queue_ctl_send_msg(ctl, q->ctl, m, env, &w);
		else {
			if (env == &disk)
				envelope_free(&disk);
			env = NULL;
			/* m may be gone after it: w.last is set already */
			queue_ctl_op(ctl, m, q->op, &w);
		}
		if (env == &disk)
			envelope_free(&disk);
		if (w.broken)
			return;	/* the master channel's error ends us */
	}
	log_debug("queue: listing %llu: %u message%s sent, %zu envelope%s "
	    "read, %zu bytes%s", (unsigned long long)q->ctl, w.count,
	    w.count == 1 ? "" : "s", w.reads, w.reads == 1 ? "" : "s",
	    w.bytes, w.more ? ", more to come" : "");
	queue_ctl_flush_pack(ctl, &w);
	if (w.broken)
		return;
	(void)queue_ctl_end(ctl, q->ctl, 0, &w, NULL);
}

/* The next query's turn: one batch per loop round. */
static void
queue_ctl_timer(void *arg)
{
	struct queue_ctl *ctl = arg;
	struct queue_ctl_wait *qw;
	struct loop *loop = ctl->q->loop;

	if ((qw = TAILQ_FIRST(&ctl->waiting)) == NULL)
		return;
	/*
	 * The master has not read the last batches yet, or the messages an
	 * operation's last batch loaded are still being written: wait.
	 */
	if (ipc_pending(ctl->master) > QUEUE_CTL_PENDING_MAX ||
	    (qw->q.op != IPC_QUEUE_LIST && ctl->q->run->nopload >=
	    QUEUE_CTL_OP_BATCH)) {
		loop_timer_set(loop, &ctl->timer, QUEUE_CTL_RETRY_MS,
		    queue_ctl_timer, ctl);
		return;
	}
	TAILQ_REMOVE(&ctl->waiting, qw, entry);
	ctl->nwaiting--;
	queue_ctl_batch(ctl, &qw->q);
	free(qw);
	if (!TAILQ_EMPTY(&ctl->waiting))
		loop_timer_set(loop, &ctl->timer, 0, queue_ctl_timer, ctl);
}

void
queue_ctl_query(struct queue_ctl *ctl, const struct ipc_msg *msg)
{
	struct ipc_queue_query q;
	struct queue_ctl_wait *qw;
	uint64_t ctlno = 0;
	char why[128];

	/* every frame of the answer starts with the query's number */
	if (msg->len >= sizeof(ctlno))
		memcpy(&ctlno, msg->data, sizeof(ctlno));
	if (msg->fd != -1) {
		close(msg->fd);
		queue_ctl_refuse(ctl, ctlno, "a descriptor came with it");
		return;
	}
	if (msg->len != sizeof(q)) {
		queue_ctl_refuse(ctl, ctlno, "wrong length");
		return;
	}
	memcpy(&q, msg->data, sizeof(q));
	if (queue_list_query_check(&q, why, sizeof(why)) == -1) {
		queue_ctl_refuse(ctl, ctlno, why);
		return;
	}
	/* one message: at once */
	if (q.op == IPC_QUEUE_SHOW) {
		queue_ctl_show(ctl, &q);
		return;
	}
	if (q.id[0] != '\0') {
		queue_ctl_op_one(ctl, &q);
		return;
	}
	if (ctl->nwaiting >= QUEUE_CTL_WAIT_MAX) {
		log_warnx("queue: %zu listing queries wait; refusing one",
		    ctl->nwaiting);
		(void)queue_ctl_end(ctl, ctlno, 2, NULL,
		    "the queue process is busy; try again");
		return;
	}
	if ((qw = calloc(1, sizeof(*qw))) == NULL)
		fatal("queue: listing query");
	qw->q = q;
	TAILQ_INSERT_TAIL(&ctl->waiting, qw, entry);
	ctl->nwaiting++;
	if (!loop_timer_armed(&ctl->timer))
		loop_timer_set(ctl->q->loop, &ctl->timer, 0, queue_ctl_timer,
		    ctl);
}
