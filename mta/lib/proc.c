/*
 * proc.c: process roles, spawning and privilege drop (see proc.h).
 * Linked by sealpostd and every child process.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

static const char *const proc_names[PROC_NROLES] = {
	[PROC_SMTPIN] = "smtpin",
	[PROC_QUEUE] = "queue",
	[PROC_SMTPOUT] = "smtpout",
	[PROC_POLICY] = "policy",
	[PROC_LOCAL] = "local",
};

const char *
proc_role_name(enum proc_role r)
{
	return (r >= 0 && r < PROC_NROLES) ? proc_names[r] : "?";
}

const char *
proc_role_user(const struct conf *c, enum proc_role r)
{
	switch (r) {
	case PROC_QUEUE:
		return c->queue_user;
	case PROC_POLICY:
		/* alone writes the policy cache (doc/design.md §2) */
		return c->policy_user;
	case PROC_LOCAL:
		/* switches per recipient at delivery time, not at start */
		return NULL;
	default:
		return c->user;
	}
}

int
proc_role_chroot(const struct conf *c, enum proc_role r, char *buf,
    size_t size)
{
	int n;

	switch (r) {
	case PROC_SMTPIN:
	case PROC_SMTPOUT:
		n = snprintf(buf, size, "%s/empty", c->run_dir);
		break;
	case PROC_QUEUE:
		n = snprintf(buf, size, "%s", c->spool_dir);
		break;
	case PROC_POLICY:
		n = snprintf(buf, size, "%s/policy", c->data_dir);
		break;
	default:
		n = snprintf(buf, size, "%s", "");
		break;
	}
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

pid_t
proc_spawn(const char *path, char *const argv[], const int *fds, size_t nfds)
{
	sigset_t none;
	pid_t pid;
	int tmp[PROC_MAX_FDS];
	size_t i;

	if (nfds > PROC_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if ((pid = fork()) != 0)
		return pid;

	/* child: async-signal-safe calls only until exec */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * Move the fds out of the way first (a source may sit on a target
	 * number), then into place.
	 */
	for (i = 0; i < nfds; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC,
		    PROC_FD_FIRST + PROC_MAX_FDS)) == -1)
			_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(tmp[i], PROC_FD_MASTER + (int)i) == -1)
			_exit(127);
	closefrom(PROC_FD_MASTER + (int)nfds);
	execv(path, argv);
	_exit(127);
}

void
proc_drop(const struct conf *c, enum proc_role r)
{
	char dir[CONF_PATH_MAX];
	const char *user = proc_role_user(c, r);
	struct passwd *pw;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (c->devmode)
		return;
	if (proc_role_chroot(c, r, dir, sizeof(dir)) == -1)
		fatalx("%s: chroot path too long", proc_role_name(r));
	if (user == NULL) {
		if (dir[0] != '\0')
			fatalx("%s: chroot without a user", proc_role_name(r));
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("%s: unknown user %s", proc_role_name(r), user);
	if (pw->pw_uid == 0)
		fatalx("%s: user %s must not be root", proc_role_name(r),
		    user);
	if (dir[0] != '\0') {
		if (chroot(dir) == -1)
			fatal("%s: chroot %s", proc_role_name(r), dir);
		if (chdir("/") == -1)
			fatal("%s: chdir /", proc_role_name(r));
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("%s: cannot drop privileges to %s", proc_role_name(r),
		    user);
	/* Verify: a failed drop must never go unnoticed. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid ||
	    setuid(0) != -1)
		fatalx("%s: privileges not dropped", proc_role_name(r));
}
