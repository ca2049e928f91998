/*
 * queue_run.h: the queue runner's state (doc/design.md §12), shared by
 * queue_run.c (the schedule, jobs, results, envelope writes) and
 * queue_bounce.c (making bounces and delay warnings).
 * Linked by the queue binary.
 */
#ifndef SEALPOST_QUEUE_RUN_H
#define SEALPOST_QUEUE_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include "lib/ipc.h"
#include "lib/loop.h"
#include "lib/buf.h"
#include "smtp/envelope.h"
#include "smtp/history.h"
#include "queue.h"
#include "queue_dsn.h"
#include "queue_sched.h"

#define QUEUE_RUN_NOT_IN_HEAP	SIZE_MAX
/* needs_dsn bits: which notice a recipient still waits for */
#define QUEUE_RUN_DSN_FAIL	0x01	/* bounced or expired */
#define QUEUE_RUN_DSN_SUCCESS	0x02	/* NOTIFY=SUCCESS, relayed */
/* Job bytes queued to smtpout before the runner waits for it to read. */
#define QUEUE_RUN_PENDING_MAX	(4 * 1024 * 1024)
/* Messages activated per loop round (each costs an envelope read). */
#define QUEUE_RUN_BURST		256
/* How long a write that failed (full disk) waits before it is retried. */
#define QUEUE_RUN_STALL_MS	10000
/* History octets an active message keeps before they are written (one
   attempt of 10,000 recipients with long replies fits). */
#define QUEUE_RUN_HIST_MAX	(32 * 1024 * 1024)
/* queue/ID.hist grows no larger: later attempts are not recorded. */
#define QUEUE_RUN_HIST_FILE_MAX	(4 * 1024 * 1024)

struct queue_dest;
struct queue_run;

/* Where jobs go: smtpout, or the local process (local_domains). */
#define QUEUE_LINK_SMTPOUT	0
#define QUEUE_LINK_LOCAL	1
/* Jobs out to the local process at most (each a delivery in turn). */
#define QUEUE_RUN_LOCAL_CONCURRENCY	4

/* A channel that jobs go out on, and what is out on it. */
struct queue_link {
	struct queue_run	*run;
	const char		*name;		/* "smtpout", "local" */
	struct ipc_chan		 chan;
	int			 open;
	unsigned		 out;		/* jobs with it */
	struct loop_timer	 send_timer;	/* it reads slowly */
};

/* A message of queue/ as the runner knows it. */
struct queue_msg {
	RB_ENTRY(queue_msg)	 node;		/* run->msgs, by id */
	TAILQ_ENTRY(queue_msg)	 stall;		/* run->stalled */
	size_t			 heapidx;	/* in run->heap, or
						   QUEUE_RUN_NOT_IN_HEAP */
	int64_t			 due;		/* next attempt (unix time) */
	char			 id[ENVELOPE_ID_MAX + 1];
	/* Only while active (being delivered): */
	struct envelope		*env;
	int			 fd;		/* queue/ID, read-only */
	uint8_t			*needs_dsn;	/* per recipient:
						   QUEUE_RUN_DSN_* not made */
	char			(*relayed_mx)[IPC_DOMAIN_MAX + 1];
						/* per recipient, for success
						   notices only (else NULL) */
	int			 needs_warn;	/* delay warning to make */
	struct buf		 hist;		/* history lines not yet in
						   queue/ID.hist */
	int			 op;		/* enum ipc_queue_op waiting
						   for the jobs out to end:
						   DELETE or BOUNCE, or 0 */
	char			 op_by[64];	/* who asked, for the log */
	int			 deleting;	/* sealpost delete, applied:
						   the next write removes it */
	int			 flush;		/* sealpost flush: deferred
						   recipients are due at the
						   activation */
	unsigned		 njobs;		/* waiting or out */
	int			 active;
	int			 writing;	/* a bounce or envelope write
						   is with the flusher */
	int			 dirty;		/* changed since the last
						   write started */
	int			 stalled;	/* on run->stalled */
	int			 opload;	/* active for an operation only
						   (counted in run->nopload) */
};

RB_HEAD(queue_msg_tree, queue_msg);
RB_PROTOTYPE(queue_msg_tree, queue_msg, node, queue_msg_cmp)

/* One delivery job: a message's recipients for one domain. */
struct queue_job {
	RB_ENTRY(queue_job)	 node;		/* run->jobs, by num */
	TAILQ_ENTRY(queue_job)	 entry;		/* dest->waiting */
	uint64_t		 num;
	struct queue_msg	*m;
	struct queue_dest	*d;
	uint32_t		*idx;		/* recipient numbers */
	uint8_t			*got;		/* result seen, per idx */
	size_t			 n;
	uint32_t		 attempt;
	int			 final;		/* lifetime over */
	int			 sent;		/* with smtpout */
};

RB_HEAD(queue_job_tree, queue_job);
RB_PROTOTYPE(queue_job_tree, queue_job, node, queue_job_cmp)

/* A destination domain with jobs waiting or out. */
struct queue_dest {
	RB_ENTRY(queue_dest)	 node;		/* run->dests */
	TAILQ_ENTRY(queue_dest)	 ready;		/* run->ready */
	char			 domain[QUEUE_SCHED_DOMAIN_MAX + 1];
	TAILQ_HEAD(, queue_job)	 waiting;
	size_t			 nwaiting;
	unsigned		 active;	/* jobs out */
	int			 on_ready;
	int			 local;		/* a local domain: its jobs go
						   to the local process */
};

RB_HEAD(queue_dest_tree, queue_dest);
RB_PROTOTYPE(queue_dest_tree, queue_dest, node, queue_dest_cmp)

struct queue_run {
	struct queue		*q;
	struct queue_sched_conf	 sc;
	/* local_domains, then virtual_alias_domains */
	char			 local_domains[CONF_MAX_DOMAINS * 2][256];
	/* a reload's list while its batches arrive (IPC_QUEUE_DOMAINS) */
	char			 new_domains[CONF_MAX_DOMAINS * 2][256];
	size_t			 nnew_domains;
	int			 have_new_domains;
	unsigned		 active_limit;
	unsigned		 concurrency;
	unsigned		 dest_concurrency;
	uint64_t		 bounce_size_limit;
	char			 notice_rcpt[256];	/* full address */

	struct queue_msg_tree	 msgs;
	size_t			 nmsgs;
	struct queue_msg	**heap;		/* min-heap by due */
	size_t			 nheap, heapcap;
	size_t			 nactive;
	struct queue_job_tree	 jobs;
	uint64_t		 nextjob;
	struct queue_dest_tree	 dests;
	TAILQ_HEAD(, queue_dest) ready;		/* dests that may send */
	TAILQ_HEAD(, queue_msg)	 stalled;	/* writes to retry */
	size_t			 nopload;	/* messages an operation
						   loaded, not yet written */
	/* domains whose plans a requeue forgot in this batch */
	char			(*forgot)[QUEUE_SCHED_DOMAIN_MAX + 1];
	size_t			 nforgot, forgotcap;

	struct queue_link	 link[2];	/* QUEUE_LINK_* */
	struct loop_timer	 timer;		/* next due message */
	struct loop_timer	 stall_timer;
};

/* ---- queue_run.c ---- */

/* The clock of the schedule: unix time. */
int64_t	queue_run_now(void);
/* Looks at the schedule after this round of the loop. */
void	queue_run_kick(struct queue_run *);
/* The message id, or NULL. */
struct queue_msg *queue_run_find(struct queue_run *, const char *id);
/*
 * Makes the inactive m active without any job: its envelope read (unless
 * it came with the commit), its content open (if content), out of the
 * schedule.
 * Returns 0; -1 when m is gone (unreadable: moved to corrupt/, m freed)
 * or must wait (out of descriptors: rescheduled a little later).
 */
int	queue_run_load(struct queue_run *, struct queue_msg *m, int64_t now,
	    int content);
/* Puts the inactive m in the schedule at due (out of it first). */
void	queue_run_schedule(struct queue_run *, struct queue_msg *m,
	    int64_t due);
/*
 * Makes m's changes durable, one step at a time: notices first, then the
 * envelope or the removal; then, with no job left, deactivates m.
 */
void	queue_run_write(struct queue_run *, struct queue_msg *m);

/* ---- queue_out.c ---- */

/* Makes the job of group g (whose idx it takes over) for active m. */
void	queue_out_job_new(struct queue_run *, struct queue_msg *m,
	    struct queue_sched_group *g, int64_t now);
/* Forgets j (waiting or out) and frees its slot. */
void	queue_out_job_free(struct queue_run *, struct queue_job *j);
/* Hands waiting jobs to smtpout, round robin over destinations. */
void	queue_out_dispatch(struct queue_run *);

/*
 * queue_bounce.c: makes the DSN (RFC 3464) about recipients idx[0..n) of
 * the active message m: a failure report (bounced or expired recipients),
 * a delay warning, or a success notice (relayed to a hop without DSN).
 * The DSN goes to the envelope sender, or for a failure of a message from
 * <> to the postmaster (bounce_notice_recipient) once: a message that is
 * itself the postmaster's copy is dropped with a log line. The new message is committed like any other (queue_flush_add);
 * when it is durable, queue_run_dsn_done(run, m, error) is called.
 * Returns 0 when a DSN is on its way, 1 when none is due (NOTIFY, null
 * sender of a postmaster copy: logged), -1 when it could not be made
 * (logged; the caller retries later).
 */
int	queue_bounce_start(struct queue_run *, struct queue_msg *m,
	    enum queue_dsn_kind kind, const uint32_t *idx, size_t n);
/* ---- queue_admin.c: sealpost hold, release, flush, delete, requeue ---- */

/*
 * Applies operation op (enum ipc_queue_op, not LIST or SHOW) to m for
 * who ("uid 0 (root)"), logs it (the admin line, doc/design.md §9) and
 * says what came of it in text. On a message being delivered, what
 * cannot wait is done at once (a hold stops its jobs that are not out
 * yet) and the rest once the jobs out end (IPC_QUEUE_R_LATER). m may be
 * freed (a message found unreadable). Returns an enum ipc_queue_result.
 */
int	queue_admin_op(struct queue_run *, struct queue_msg *m, int op,
	    const char *who, char *text, size_t textsize);
/* The admin line (doc/design.md §9): op asked of message id by who, and
 * what came of it (result, text). */
void	queue_admin_log(const char *id, const char *op, const char *who,
	    const char *result, const char *text);
/* "hold", "delete", ... for the log. */
const char *queue_admin_opname(int op);
/* A requeue's batch starts: no domain forgotten in it yet. */
void	queue_admin_forget_reset(struct queue_run *);
/* Applies m's waiting operation (m->op) now that no job is out. */
void	queue_admin_apply(struct queue_run *, struct queue_msg *m);

/* Called by queue_bounce.c when the DSN of m is durable (or failed). */
void	queue_run_dsn_done(struct queue_run *, struct queue_msg *m,
	    enum queue_dsn_kind kind, const uint32_t *idx, size_t n, int error);

#endif
