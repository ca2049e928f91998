/*
 * child.h: what every child process of sealpostd does the same way:
 * command line, configuration, log, event loop, the channel to the master
 * (answering pings), signals, privilege drop.
 * Linked by smtpin, queue, smtpout, policy and local.
 */
#ifndef SEALPOST_CHILD_H
#define SEALPOST_CHILD_H

#include "conf.h"
#include "ipc.h"
#include "loop.h"
#include "proc.h"

struct child {
	enum proc_role	 role;
	unsigned	 instance;
	struct conf	 conf;
	struct loop	*loop;
	struct ipc_chan	 master;
	int		 debug;		/* -d: log to stderr */
	/* role-specific messages from the master (see child_master_allow) */
	void		(*master_cb)(struct child *, const struct ipc_msg *);
	char		 title[64];	/* "smtpin#0", for messages */
};

/*
 * Parses the command line the master gives (role -f FILE|-b -i N [-d] [-v]
 * [-u DIR]), loads the configuration, opens the log, creates the loop and
 * the master channel (fd 3). Does not drop privileges: the caller opens
 * what it needs first, then calls child_drop. fatal() on any failure.
 */
void	child_init(struct child *, enum proc_role, int argc, char **argv);
/*
 * Lets the master channel accept the message types in allow (IPC_ALLOW
 * bits) and hands them to cb, which owns any fd that comes with them.
 */
void	child_master_allow(struct child *, uint64_t allow,
	    void (*cb)(struct child *, const struct ipc_msg *));
/* Chroots and switches user for this role (see proc_drop). */
void	child_drop(struct child *);
/* Runs the loop until SIGTERM or until the master goes away; exits. */
void	child_run(struct child *) __attribute__((__noreturn__));

#endif
