/*
 * local_deliver.c: one local delivery (see local.h, doc/design.md §12):
 * the recipient's local part names a system user; a child forked for
 * this delivery drops to that user (groups, gid, uid, checked) before it
 * opens anything of the user's, then writes the message into the user's
 * Maildir (local_maildir.c) and reports through a pipe. The parent never
 * touches the user's files. RFC 5321 §4.4 (Return-Path), the
 * Delivered-To convention of Postfix and qmail.
 * Linked by the local binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "local.h"
#include "local_maildir.h"
#include "reason.h"

void
local_result_set(struct local_result *res, int outcome, int code,
    const char *dsn, const char *text)
{
	memset(res, 0, sizeof(*res));
	res->outcome = outcome;
	res->code = code;
	(void)strlcpy(res->dsn, dsn, sizeof(res->dsn));
	(void)strlcpy(res->text, text, sizeof(res->text));
}

/*
 * The user name of addr: its local part in lower case, without the
 * extension after the recipient_delimiter delim ('\0': none). Returns 0,
 * or -1 when there is none that can be a login.
 */
static int
local_user(const char *addr, char delim, char *user, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t n, i;

	if (at == NULL || at == addr)
		return -1;
	n = (size_t)(at - addr);
	for (i = 0; i < n && (delim == '\0' || addr[i] != delim); i++)
		;
	n = i;
	if (n == 0 || n >= size)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)addr[i];

		/* what useradd(8) allows, and no quoting, no path */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    (c == '-' && i > 0)))
			return -1;
		user[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	user[n] = '\0';
	return 0;
}

void
local_keep_fds(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		(void)close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		(void)close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	(void)close_range((unsigned)hi + 1, ~0U, 0);
}

/*
 * In the child: become pw, open its home, deliver; writes the result to
 * wfd and exits. Never returns.
 */
static void __attribute__((__noreturn__))
local_child(const struct conf *c, const struct ipc_out_job *j, int fd,
    const struct ipc_out_rcpt *r, const struct passwd *pw, int wfd)
{
	struct local_result res;
	struct reason why;
	char prepend[2 * IPC_ADDR_MAX + 64], name[256];
	int home, n;

	(void)signal(SIGPIPE, SIG_DFL);
	local_keep_fds(fd, wfd);
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1 || getuid() != pw->pw_uid ||
	    geteuid() != pw->pw_uid || (pw->pw_uid != 0 && setuid(0) != -1)) {
		local_result_set(&res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot become the recipient's user");
		goto out;
	}
	if ((home = open(pw->pw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		/* a home that is not there may be one being restored */
		local_result_set(&res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    errno == ENOENT ? "the recipient's home directory does not "
		    "exist" : "cannot open the recipient's home directory");
		goto out;
	}
	n = snprintf(prepend, sizeof(prepend), "Return-Path: <%s>\n"
	    "Delivered-To: %s\n", j->from, r->addr);
	if (n < 0 || (size_t)n >= sizeof(prepend))
		prepend[0] = '\0';
	memset(&why, 0, sizeof(why));
	if (local_maildir_deliver(home, c->local_maildir, fd, prepend,
	    c->hostname, &why, name, sizeof(name)) == 0)
		local_result_set(&res, IPC_OUT_SENT, 250, "2.0.0", name);
	else
		local_result_set(&res, why.code >= 500 ? IPC_OUT_BOUNCED :
		    IPC_OUT_DEFERRED, why.code, why.dsn, why.text);
	close(home);
out:
	(void)write(wfd, &res, sizeof(res));
	_exit(0);
}

/*
 * Reads the child's result from fd, waiting at most ms. Returns the
 * octets read (a short count: no result), or -2 on the deadline.
 */
static ssize_t
local_wait_result(int fd, struct local_result *res, int ms)
{
	struct pollfd pfd;
	ssize_t n;
	int rv;

	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		rv = poll(&pfd, 1, ms);
	while (rv == -1 && errno == EINTR);
	if (rv == 0)
		return -2;
	do
		n = read(fd, res, sizeof(*res));
	while (n == -1 && errno == EINTR);
	return n;
}

void
local_deliver(const struct conf *c, const struct ipc_out_job *j, int fd,
    const struct ipc_out_rcpt *r, struct local_result *res)
{
	struct passwd *pw;
	char user[64];
	int p[2], status;
	ssize_t n;
	pid_t pid;

	if (local_user(r->addr, c->recipient_delimiter[0], user,
	    sizeof(user)) == -1 || (pw = getpwnam(user)) == NULL) {
		/* what the aliases did not route (local_job.c) */
		local_result_set(res, IPC_OUT_BOUNCED, 550, "5.1.1",
		    "no such user here");
		return;
	}
	/*
	 * System accounts (below local_min_uid) have no mailbox: mail for
	 * man@ or postgres@ is not written into their homes, and root's is
	 * never written as root (doc/design.md §12); their mail is for
	 * aliases to route.
	 */
	if (pw->pw_uid == 0 || pw->pw_uid < c->local_min_uid) {
		log_info("local: %s: user %s has uid %lu, below local_min_uid "
		    "%u: no mailbox", r->addr, user, (unsigned long)pw->pw_uid,
		    c->local_min_uid);
		local_result_set(res, IPC_OUT_BOUNCED, 550, "5.1.1",
		    "no such user here");
		return;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("local: delivery to %s: pipe", r->addr);
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the delivery");
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("local: delivery to %s: fork", r->addr);
		close(p[0]);
		close(p[1]);
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the delivery");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		local_child(c, j, fd, r, pw, p[1]);
	}
	close(p[1]);
	/*
	 * The child runs as the user, who may stop it (or hang it on a
	 * file system of theirs): it gets a deadline, then SIGKILL, so one
	 * recipient cannot stop every local delivery.
	 */
	n = local_wait_result(p[0], res, LOCAL_DELIVER_TIMEOUT_MS);
	close(p[0]);
	if (n == -2) {
		log_warnx("local: the delivery to %s took longer than %d s; "
		    "killed", r->addr, LOCAL_DELIVER_TIMEOUT_MS / 1000);
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (n == -2) {
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "the delivery took too long");
		return;
	}
	if (n != (ssize_t)sizeof(*res)) {
		log_warnx("local: the delivery to %s ended without a result",
		    r->addr);
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "the delivery ended without a result");
		return;
	}
	res->dsn[sizeof(res->dsn) - 1] = '\0';
	res->text[sizeof(res->text) - 1] = '\0';
}
