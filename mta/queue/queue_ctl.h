/*
 * queue_ctl.h: the queue process's answers to `sealpost queue`, `show`
 * and the operations (doc/design.md §3, §12): the master relays a CLI's
 * IPC_QUEUE_QUERY on the queue's master channel; queue_ctl.c walks the
 * runner's messages in id order and answers one batch (items and
 * recipients, or DONE records, packed in IPC_QUEUE_DATA, then
 * IPC_QUEUE_END) on the same channel; show answers IPC_QUEUE_FILE frames
 * with descriptors. The pure checks,
 * filters and frames are queue_list.c's.
 * Linked by the queue binary.
 */
#ifndef SEALPOST_QUEUE_CTL_H
#define SEALPOST_QUEUE_CTL_H

#include <stddef.h>
#include <sys/queue.h>

#include "lib/ipc.h"
#include "lib/loop.h"
#include "queue.h"

/* Queries that may wait for their turn; more are answered "busy". */
#define QUEUE_CTL_WAIT_MAX	64
/*
 * A batch starts only while the master channel holds less than this
 * unsent: a batch adds at most 2 MiB (queue_list.h), so several CLIs at
 * once never bring the channel near IPC_OUT_MAX, which would end the
 * queue process (a broken master channel is fatal to a child).
 */
#define QUEUE_CTL_PENDING_MAX	(4 * 1024 * 1024)
/* How often a batch that waits for the master to read looks again. */
#define QUEUE_CTL_RETRY_MS	10
/* Messages an operation's batch touches at most (each may be loaded and
   written: the batch stays short and the active set bounded). */
#define QUEUE_CTL_OP_BATCH	100

struct queue_ctl_wait;

struct queue_ctl {
	struct queue		*q;
	struct ipc_chan		*master;	/* the child's */
	/* queries in their order */
	TAILQ_HEAD(, queue_ctl_wait) waiting;
	size_t			 nwaiting;
	struct loop_timer	 timer;		/* the next batch */
};

/*
 * Prepares ctl to answer on master (the queue's channel to the master)
 * from q's runner, which must be initialized. Allocates nothing.
 */
void	queue_ctl_init(struct queue_ctl *, struct queue *,
	    struct ipc_chan *master);

/*
 * Handles an IPC_QUEUE_QUERY from the master (msg->type is that; the
 * callback owns msg->fd). A malformed query (length, an fd, a field
 * queue_list_query_check refuses) is answered at once with an END of
 * status 2 and a text, never fatal (the master only relays a CLI's
 * input). A good one waits for its turn: one batch per loop round, each
 * reading at most QUEUE_LIST_READS_PER_MSG * max envelopes (blocking).
 * fatal() only when memory runs out.
 */
void	queue_ctl_query(struct queue_ctl *, const struct ipc_msg *msg);

#endif
