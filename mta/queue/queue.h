/*
 * queue.h: state of the queue process, the only writer of the spool
 * (doc/design.md §2, §7), shared by its files: queue.c (the spool
 * directories, start-up recovery, free space, moving files to corrupt/),
 * queue_chan.c (the channels to smtpin and their transactions) and
 * queue_flush.c (the group commit and the free-space watch).
 * Spool layout, relative to spool_dir (the process's chroot):
 *   incoming/ID, incoming/ID.env	being received; purged at start
 *   queue/ID, queue/ID.env		committed; queue/ID.env is the commit
 *					record, renamed in last (a held
 *					message stays here: its envelope
 *					says so)
 *   queue/ID.hist			its attempt history (history.h),
 *					appended; removed after the message
 *   corrupt/				files that could not be read, never
 *					deleted
 * Linked by the queue binary.
 */
#ifndef SEALPOST_QUEUE_H
#define SEALPOST_QUEUE_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "smtp/envelope.h"
#include "lib/ipc.h"
#include "lib/loop.h"
#include "smtp/queue_id.h"

#define QUEUE_MAX_CHANS		64	/* channels to smtpin processes */
#define QUEUE_MAX_TX		4096	/* open transactions per channel */
#define QUEUE_ENV_MAX		(8 * 1024 * 1024)	/* envelope text */
#define QUEUE_ENV_TOTAL_MAX	IPC_Q_ENV_TOTAL_MAX	/* all of them */
#define QUEUE_SPACE_CACHE_MS	1000	/* how long a fstatvfs result holds */
#define QUEUE_ENV_SUFFIX	".env"
#define QUEUE_HIST_SUFFIX	".hist"
/* An id plus the longest suffix (".hist") and the NUL. */
#define QUEUE_NAME_MAX		(ENVELOPE_ID_MAX + sizeof(QUEUE_HIST_SUFFIX))

/* What a flush does with an item of its batch (doc/design.md §7, §12). */
enum queue_tx_kind {
	QUEUE_TX_SMTPIN = 0,	/* a new message from smtpin: content and
				   envelope renamed into queue/, answered
				   with IPC_Q_COMMITTED */
	QUEUE_TX_LOCAL,		/* a new message the queue made (a bounce):
				   as above, then t->done */
	QUEUE_TX_UPDATE,	/* incoming/ID.env replaces queue/ID.env
				   (the content stays), then t->done */
	QUEUE_TX_REMOVE,	/* queue/ID.env, queue/ID, queue/ID.hist unlinked,
				   then t->done */
};

struct queue_tx;
struct queue;
/* Back in the loop after the flush; t->error says how it went. */
typedef void (*queue_tx_done_cb)(struct queue *, struct queue_tx *);

enum queue_tx_state {
	QUEUE_TX_OPEN,		/* smtpin is writing incoming/ID */
	QUEUE_TX_PENDING,	/* incoming/ID.env written, waiting for flush */
	QUEUE_TX_FLUSHING,	/* in a batch a flusher thread works on */
};

struct queue_chan;

/* One message being received from smtpin. */
struct queue_tx {
	RB_ENTRY(queue_tx)	 node;		/* in ch->txs, by tx */
	TAILQ_ENTRY(queue_tx)	 entry;		/* in q->pending or a batch */
	enum queue_tx_kind	 kind;
	struct queue_chan	*ch;		/* QUEUE_TX_SMTPIN only */
	queue_tx_done_cb	 done;		/* the other kinds */
	void			*arg;		/* for done */
	uint64_t		 tx;		/* smtpin's number */
	char			 id[ENVELOPE_ID_MAX + 1];
	enum queue_tx_state	 state;
	int			 fd;		/* incoming/ID (our copy) */
	int			 envfd;		/* incoming/ID.env, or -1 */
	int			 error;		/* errno that fails the commit */
	int			 renamed;	/* flush: 1 content, 2 both */
	uint64_t		 size;
	size_t			 nrcpt;
	struct buf		 env;		/* envelope text from IPC_Q_ENV */
	struct envelope		*parsed;	/* sealed: the runner takes it
						   (no second read from disk) */
};

RB_HEAD(queue_tx_tree, queue_tx);
/* The tree functions, generated in queue_chan.c (sys/tree.h). */
RB_PROTOTYPE(queue_tx_tree, queue_tx, node, queue_tx_cmp)

/* A channel to one smtpin instance (IPC_QUEUE_CHANNEL). */
struct queue_chan {
	struct queue		*q;
	int			 used;
	int			 dead;		/* broken; torn down by the reaper */
	uint32_t		 instance;	/* smtpin's pid (ipc_msg.h) */
	struct ipc_chan		 ipc;
	char			 name[32];	/* "smtpin[pid]" */
	size_t			 ntx;
	struct queue_tx_tree	 txs;
};

TAILQ_HEAD(queue_tx_list, queue_tx);

/*
 * A flusher thread (queue_flush.c). The flush blocks for two journal
 * commits; done in the event loop it would stall every OPEN and COMMIT
 * meanwhile, and one batch could not start before the last one ended.
 * Each flusher takes a whole batch; the main thread keeps the loop.
 */
#define QUEUE_FLUSHERS	2

struct queue_flusher {
	struct queue		*q;
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 busy;		/* main: a batch is out */
	int			 ready;		/* under mu: batch handed over */
	int			 done;		/* under mu: batch flushed */
	struct queue_tx_list	 batch;
	size_t			 n;
	const char		*how;
	uint64_t		 t0;
	int			 incoming_fd;	/* its own, for syncfs */
};

struct queue {
	const struct conf	*conf;
	struct loop		*loop;
	int			 spool_fd;	/* the spool root */
	int			 incoming_fd;
	int			 queue_fd;
	int			 corrupt_fd;
	struct queue_id_gen	 idgen;
	struct queue_chan	 chans[QUEUE_MAX_CHANS];
	struct queue_tx_list	 pending;	/* committed, not yet flushed */
	size_t			 npending;
	size_t			 env_bytes;	/* envelope text held, all tx */
	struct loop_timer	 flush_timer;
	struct queue_flusher	 flushers[QUEUE_FLUSHERS];
	size_t			 nflushing;	/* flushers busy */
	int			 flush_evfd;	/* flushers -> main: done */
	int			 syncfs_reports; /* kernel >= 5.8 */
	struct loop_timer	 reap_timer;
	struct loop_timer	 space_timer;	/* IPC_Q_SPACE when it changes */
	/* fstatvfs cache (QUEUE_SPACE_CACHE_MS) */
	uint64_t		 space_when;	/* loop_now_ms() of the check */
	int			 space_checked;
	int			 space_status;	/* 0 or ENOSPC or an errno */
	int			 space_low;	/* what the channels were told */
	/* counters for the debug log */
	uint64_t		 nflush, ncommitted;
	/* the queue runner (queue_run.c, doc/design.md §12) */
	struct queue_run	*run;
};

/* ---- queue.c ---- */

/*
 * As root, before the chroot: makes the spool's subdirectories in
 * spool_dir (which the master made) and corrects their owner (queue_user)
 * and mode (0700), logging a change. Only the queue knows the spool's
 * layout (doc/design.md §7). fatal() on failure.
 */
void	queue_spool_prepare(const struct conf *);

/*
 * Opens the spool directories relative to the current directory, which
 * must be the spool root (the chroot, or spool_dir in development mode),
 * without following symlinks. Call after child_drop. fatal() on failure.
 */
void	queue_spool_open(struct queue *, const struct conf *, struct loop *);
/*
 * Start-up recovery (doc/design.md §7): empties incoming/, removes content
 * files of queue/ that have no envelope (never acknowledged), moves
 * envelopes without content, unreadable envelopes and files with invalid
 * names to corrupt/, and logs what it did and how many messages are
 * queued. Returns that number. fatal() if a directory cannot be read.
 */
size_t	queue_recover(struct queue *);
/*
 * Moves name (a file of directory dirfd, dirname for the log) to corrupt/
 * under the same name, or name.N if that is taken, and logs why. Never
 * deletes. Returns 0, or -1 (logged) if it could not be moved.
 */
int	queue_corrupt(struct queue *, int dirfd, const char *dirname,
	    const char *name, const char *why);
/*
 * Writes "ID.env" for a valid id into buf. Returns 0, or -1 if id is not
 * valid (envelope_id_valid) or buf is too small.
 */
int	queue_env_name(char *buf, size_t size, const char *id);
/* Writes "ID.hist" for a valid id into buf; as queue_env_name. */
int	queue_hist_name(char *buf, size_t size, const char *id);
/*
 * Renames name in fromfd to the same name in tofd without replacing an
 * existing file (RENAME_NOREPLACE, or a check first where the file system
 * lacks it). Returns 0, or -1 with errno (EEXIST if the target exists).
 */
int	queue_rename(int fromfd, int tofd, const char *name);
/*
 * Whether the spool has at least queue_min_free bytes free (fstatvfs,
 * cached for QUEUE_SPACE_CACHE_MS). Returns 0, ENOSPC, or the errno of
 * fstatvfs. Logs when the state changes.
 */
int	queue_space(struct queue *);

/* ---- queue_chan.c ---- */

/* Prepares the channel table. */
void	queue_chan_init(struct queue *);
/*
 * Takes over fd, a SOCK_SEQPACKET channel to the smtpin process instance
 * (its pid); it replaces an older channel of the same instance (whose open
 * transactions are aborted). On failure (table full, bad socket) fd is
 * closed and the failure logged; the process goes on.
 */
void	queue_chan_add(struct queue *, uint32_t instance, int fd);
/*
 * Forgets t: takes it out of its channel (and of the pending list when
 * on_pending), closes its files and, unless keep_files, removes them from
 * incoming/.
 */
void	queue_tx_free(struct queue_tx *t, int on_pending, int keep_files);
/* Unlinks incoming/ID and incoming/ID.env; a missing file is fine. */
void	queue_incoming_unlink(struct queue *, const char *id);
/* Frees the slots of dead channels whose transactions are all back. */
void	queue_reap(void *q);

/*
 * Reads queue/ID.env and checks it against queue/ID (the size). Returns
 * 0 and fills *env (the caller frees it with envelope_free), -1 with why
 * filled (the file is then a case for queue_corrupt), or -2 with why
 * filled when it could not be opened for a reason that is no fault of
 * the file (queue_transient: try again later).
 */
/* Whether errno e is a passing shortage (descriptors, memory): 1 or 0. */
int	queue_transient(int e);
int	queue_env_read(struct queue *, const char *id, struct envelope *env,
	    char *why, size_t whysize);

/* ---- queue_flush.c ---- */

/*
 * Prepares the pending list and starts the flusher threads, and starts
 * watching free space (every QUEUE_SPACE_CACHE_MS; each channel hears
 * IPC_Q_SPACE when it opens and whenever queue_min_free is crossed).
 * fatal() when a thread cannot start.
 */
void	queue_flush_init(struct queue *);
/* A message joined the pending list: flush soon (after this loop round). */
void	queue_flush_schedule(struct queue *);
/*
 * Checks free space (cached) and tells every channel when it crossed
 * queue_min_free. Returns what queue_space() says.
 */
int	queue_space_update(struct queue *);
/* Tells ch whether space is low (IPC_Q_SPACE). */
void	queue_space_send(struct queue_chan *ch, int low);
/*
 * Puts t (kind LOCAL, UPDATE or REMOVE, with done set) on the pending
 * list: the next flush makes it durable (doc/design.md §12).
 */
void	queue_flush_add(struct queue *, struct queue_tx *t);

/* ---- queue_run.c: the queue runner (doc/design.md §12) ---- */

/* Prepares the runner: the schedule is empty until queue_run_add. */
void	queue_run_init(struct queue *);
/*
 * Registers a message of queue/ with its envelope (read at start-up or
 * just committed): schedules its next attempt. The envelope is only
 * read, not kept.
 */
void	queue_run_add(struct queue *, const struct envelope *env);
/*
 * A message was committed (by smtpin or as a bounce): schedule it now.
 * env, when not NULL, is its parsed envelope, which the runner takes
 * over (*env is set to NULL) so that it need not read it again.
 */
void	queue_run_committed(struct queue *, const char *id,
	    struct envelope **env);
/* queue_out.c: takes fd, the channel to smtpout (IPC_OUT_CHANNEL). */
void	queue_out_channel(struct queue *, int which, int fd);
/*
 * A reload: takes the runner's keys from the new configuration, and the
 * local domains queue_run_domains collected.
 */
void	queue_run_settings(struct queue *, const struct ipc_queue_settings *);
/*
 * A reload's batch of local domains (IPC_QUEUE_DOMAINS); a batch with
 * first set begins a new list. Returns 0, or -1 for a batch that does not
 * fit or holds a name that is not one (the master sent nonsense).
 */
int	queue_run_domains(struct queue *, const struct ipc_queue_domains *);

#endif
