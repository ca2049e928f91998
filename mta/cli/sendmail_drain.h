/*
 * sendmail_drain.h: what the two halves of the maildrop drain share
 * (doc/design.md §6): sendmail_maildrop.c (the writer, the scan, the
 * files, `sendmail -bD`) and sendmail_drain_run.c (the owner's child: a
 * submission or a notice, its deadline, what it said). Private to
 * sealpost-sendmail.
 */
#ifndef SEALPOST_SENDMAIL_DRAIN_H
#define SEALPOST_SENDMAIL_DRAIN_H

#include <sys/types.h>

#include <pwd.h>
#include <stddef.h>
#include <time.h>

#include "lib/conf.h"

#define SENDMAIL_MAILDROP_DIR	"maildrop"
#define SENDMAIL_MAILDROP_BAD	"maildrop-bad"
/* a file being written, and one complete: nothing else is taken */
#define SENDMAIL_MAILDROP_PARTIAL	0600
#define SENDMAIL_MAILDROP_DONE	0700
/* files handled per drain run; sealpostd runs the next one in 60 s */
#define SENDMAIL_DRAIN_BATCH	100
/*
 * ... and of one owner (uid) per run, in turn with the others: the scan
 * keeps that many of each owner's oldest complete files in memory, so
 * memory is bounded by owners x this, whatever the directory holds
 */
#define SENDMAIL_DRAIN_PER_UID	10
/* an owner's incomplete (0600) files beyond this many (oldest first) go */
#define SENDMAIL_DRAIN_PARTIAL_MAX	10
/* a submission of one file, the owner's child, at most (seconds) */
#define SENDMAIL_DRAIN_DEADLINE	120
/* a notice to the owner, the owner's child, at most (seconds) */
#define SENDMAIL_DRAIN_NOTICE_DEADLINE	30
/* the owner's children of one run, submissions and notices, in all (s) */
#define SENDMAIL_DRAIN_UID_BUDGET	120
/* an incomplete (0600) file older than this is removed */
#define SENDMAIL_DRAIN_STALE	(24 * 3600)
/* the message's header section a notice quotes, at most */
#define SENDMAIL_NOTICE_HDR_MAX	(32 * 1024)
/* what the child says (stdout and stderr), kept for the log and notice */
#define SENDMAIL_DRAIN_SAID	16384
/* how a refused recipient's line starts (sendmail.c), counted past it */
#define SENDMAIL_DRAIN_RCPT	"sendmail: recipient "
/* room kept in it for "(and N more)" and a timeout */
#define SENDMAIL_DRAIN_MORE	96
/* <16 hex: microseconds>.<16 hex: random> */
#define SENDMAIL_MAILDROP_NAMELEN	33

/* A complete file found by the scan, in the order it is taken. */
struct sendmail_drain_ent {
	char		 name[SENDMAIL_MAILDROP_NAMELEN + 1];
	uid_t		 uid;
	time_t		 ctime;
	const char	*refuse;	/* refused without a submission, or NULL */
};

/* An incomplete file the scan keeps (the newest few of an owner). */
struct sendmail_drain_part {
	char		 name[SENDMAIL_MAILDROP_NAMELEN + 1];
	dev_t		 dev;
	ino_t		 ino;
};

/* One owner's files of this run: a few oldest complete, counts. */
struct sendmail_drain_uid {
	uid_t		 uid;
	size_t		 nfiles;	/* complete files seen */
	size_t		 nents;		/* the oldest of them, in ents */
	struct sendmail_drain_ent ents[SENDMAIL_DRAIN_PER_UID];
	size_t		 npart;		/* incomplete files kept, in part */
	size_t		 npartgone;	/* ... removed beyond the limit */
	struct sendmail_drain_part part[SENDMAIL_DRAIN_PARTIAL_MAX];
	long long	 spent;		/* seconds its children took */
	int		 skip;		/* its other files wait */
};

struct sendmail_drain {
	struct conf	*c;
	int		 dfd;		/* data_dir/maildrop */
	int		 bfd;		/* data_dir/maildrop-bad */
	size_t		 sent, kept, refused, bad, removed;
	/* the owners seen, and an open-addressing index uid -> owner */
	struct sendmail_drain_uid *uids;
	size_t		 nuids, uidcap;
	size_t		*idx;		/* owner + 1, 0 free */
	size_t		 idxcap;	/* a power of two */
	uid_t		 nopw;		/* the last uid found without a */
	int		 have_nopw;	/* passwd entry */
	/* the owner at hand: its time left ends then (CLOCK_MONOTONIC) */
	long long	 uid_end;
	int		 uid_out;	/* a child of it ran out of time */
};

/* What the owner's child does: submit the file, or tell its owner. */
enum sendmail_drain_job {
	SENDMAIL_DRAIN_SUBMIT,
	SENDMAIL_DRAIN_NOTICE
};

/* sendmail_drain_run's results that are no exit code */
#define SENDMAIL_DRAIN_NORUN	(-1)	/* ours: no pipe, no fork */
#define SENDMAIL_DRAIN_TIMEOUT	(-2)	/* our deadline killed it */
#define SENDMAIL_DRAIN_KILLED	(-3)	/* another signal: its owner's */

/* One line for the file: maildrop file= uid= user= result= ... */
void	sendmail_drain_log(const char *name, long uid, const char *user,
	    const char *result, const char *id, const char *reason,
	    const char *moved);
/* Seconds of CLOCK_MONOTONIC: a clock nobody sets back. */
long long	sendmail_drain_now(void);
/*
 * Runs the owner's child for job on the open file fd and waits for it, at
 * most deadline seconds (a submission no longer than the owner's time
 * left, d->uid_end; its running out sets d->uid_out). Returns its exit
 * code, or SENDMAIL_DRAIN_NORUN, _TIMEOUT or _KILLED; what it said in
 * said[0..size), size at most SENDMAIL_DRAIN_SAID.
 */
int	sendmail_drain_run(struct sendmail_drain *d, int fd,
	    const struct passwd *pw, enum sendmail_drain_job job, int deadline,
	    const char *name, const char *reason, char *said, size_t size);
/* The queue id in "250 2.0.0 Ok: queued as ID" in reply, or NULL. */
const char	*sendmail_drain_id(char *reply);
/*
 * Tells the owner of fd why (a notice, at most SENDMAIL_DRAIN_NOTICE_
 * DEADLINE seconds: a timeout sets d->uid_out); logs what became of it.
 */
void	sendmail_drain_tell(struct sendmail_drain *d, int fd,
	    const struct passwd *pw, const char *name, const char *why);

#endif
