/*
 * queue_ctl.c: the queue process's side of `sealpost queue` (see
 * queue_ctl.h, doc/design.md §3): queries from the master wait in order
 * and are answered one batch per loop round. A batch walks the runner's
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

#include <stdlib.h>
#include <string.h>
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
	size_t		 bytes;		/* frames sent */
	size_t		 reads;		/* envelopes read */
	uint32_t	 count;		/* messages sent */
	int		 more;		/* stopped before the end */
	int		 broken;	/* a send failed */
	uint64_t	 ctlno;		/* the query's number */
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
		queue_list_rcpt(&rc, ctlno, &env->rcpt[i], m->active);
		queue_ctl_pack(ctl, w, IPC_QUEUE_RCPT, &rc, sizeof(rc));
		sent++;
	}
	w->bytes += bytes;
	w->count++;
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
	for (m = queue_ctl_first(run, q->after); m != NULL; m = next) {
		if (w.count == q->max || w.bytes >= QUEUE_LIST_BYTES_MAX) {
			w.more = 1;
			break;
		}
		next = RB_NEXT(queue_msg_tree, &run->msgs, m);
		if (m->removed) {
			queue_ctl_saw(&w, m->id);
			continue;
		}
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
		if (queue_list_match(q, env, m->active))
			queue_ctl_send_msg(ctl, q->ctl, m, env, &w);
		if (env == &disk)
			envelope_free(&disk);
		if (w.broken)
			return;	/* the master channel's error ends us */
		queue_ctl_saw(&w, m->id);
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
	/* the master has not read the last batches yet: wait for it */
	if (ipc_pending(ctl->master) > QUEUE_CTL_PENDING_MAX) {
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
