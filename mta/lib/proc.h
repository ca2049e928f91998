/*
 * proc.h: the process roles of doc/design.md §2, how the master spawns them
 * (fork + exec with a fixed fd layout) and how a child gives up root
 * (chroot, setgroups/setresgid/setresuid).
 * Linked by sealpostd and every child process.
 */
#ifndef SEALPOST_PROC_H
#define SEALPOST_PROC_H

#include <sys/types.h>

#include "conf.h"

enum proc_role {
	PROC_SMTPIN,
	PROC_QUEUE,
	PROC_SMTPOUT,
	PROC_POLICY,
	PROC_LOCAL,
	PROC_NROLES
};

/* fds a child finds at exec: 3 the master channel, 4.. role-specific. */
#define PROC_FD_MASTER	3
#define PROC_FD_FIRST	4
#define PROC_MAX_FDS	64

/* "smtpin", "queue", ... */
const char	*proc_role_name(enum proc_role);
/* The user a role runs as under c (NULL: stays root, e.g. local). */
const char	*proc_role_user(const struct conf *c, enum proc_role);
/*
 * The directory a role chroots into under c, written to buf; empty string
 * for no chroot. Returns 0, or -1 if it does not fit.
 */
int		 proc_role_chroot(const struct conf *c, enum proc_role,
		    char *buf, size_t size);

/*
 * Forks and execs path with argv; in the child fds[i] becomes fd
 * PROC_FD_FIRST - 1 + i (fds[0] is the master channel, fd 3), every other
 * fd above 2 is closed and the signal mask is cleared. Returns the child's
 * pid, or -1 (errno) if fork fails. If exec fails the child exits 127.
 */
pid_t		 proc_spawn(const char *path, char *const argv[],
		    const int *fds, size_t nfds);

/*
 * Child side: chroot into the role's directory and switch to its user,
 * unless c->devmode. Must be called after everything that needs root or
 * the real file system (keys, log file, syslog socket) is open. fatal() on
 * any failure: a child never runs with more privilege than it should.
 */
void		 proc_drop(const struct conf *c, enum proc_role);

#endif
