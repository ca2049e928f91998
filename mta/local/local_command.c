/*
 * local_command.c: |command and /file targets of the alias file (see
 * local_command.h, doc/design.md §1.4, §12; mbox as Postfix writes it,
 * sysexits(3)). The parent forks one child per delivery, which becomes
 * the chosen user (groups, gid, uid, checked) before it opens or runs
 * anything; a command runs in a grandchild in the same process group,
 * fed by the child, which reads its output for the bounce text; the
 * parent waits for the result on a pipe at most
 * LOCAL_DELIVER_TIMEOUT_MS, then kills the whole group.
 * Linked by the local binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "local_command.h"
#include "local_exit.h"
#include "local_mbox.h"

#define LOCAL_COMMAND_CHUNK	16384
#define LOCAL_COMMAND_OUT	512	/* output kept for the bounce */

static void	local_command_set(struct local_result *, int, int,
		    const char *, const char *, ...)
		    __attribute__((__format__(printf, 5, 6)));

/* Fills *res; the text is ours and only informative: cut when long. */
static void
local_command_set(struct local_result *res, int outcome, int code,
    const char *dsn, const char *fmt, ...)
{
	char	text[sizeof(res->text)];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	local_result_set(res, outcome, code, dsn, n < 0 ? "" : text);
}

/* In the child: becomes pw for good. Returns 0 or -1. */
static int
local_command_become(const struct passwd *pw)
{
	if (geteuid() != 0)	/* development mode: whoever we are */
		return pw->pw_uid == geteuid() ? 0 : -1;
	if (pw->pw_uid == 0)
		return -1;
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1 || getuid() != pw->pw_uid ||
	    geteuid() != pw->pw_uid || setuid(0) != -1)
		return -1;
	return 0;
}

/* Writes p[0..n) to out whole. Returns 0 or -1. */
static int
local_command_write(int out, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(out, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == 0)
			errno = ENOSPC;	/* a short write: the disk is full */
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* prepend, then the message with CRLF turned into LF, to out. */
static int
local_command_copy(int fd, const char *prepend, int out)
{
	char in[LOCAL_COMMAND_CHUNK], buf[LOCAL_COMMAND_CHUNK + 1];
	off_t off = 0;
	ssize_t r;
	size_t i, n;
	int cr = 0;

	if (local_command_write(out, prepend, strlen(prepend)) == -1)
		return -1;
	for (;;) {
		r = pread(fd, in, sizeof(in), off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		off += r;
		for (i = n = 0; i < (size_t)r; i++) {
			if (cr && in[i] != '\n')
				buf[n++] = '\r';	/* a lone CR stays */
			cr = in[i] == '\r';
			if (!cr)
				buf[n++] = in[i];
			if (n >= LOCAL_COMMAND_CHUNK) {
				if (local_command_write(out, buf, n) == -1)
					return -1;
				n = 0;
			}
		}
		if (local_command_write(out, buf, n) == -1)
			return -1;
	}
	return cr ? local_command_write(out, "\r", 1) : 0;
}

/* The grandchild: /bin/sh -c cmd, stdin from in, output to out. */
static void __attribute__((__noreturn__))
local_command_exec(const struct ipc_out_job *j, const char *rcpt,
    const char *cmd, const struct passwd *pw, int in, int out)
{
	char env[9][IPC_ADDR_MAX + CONF_PATH_MAX + 16];
	char *envp[10], *argv[4];
	const char *at = strrchr(rcpt, '@');
	int n = 0, len;

	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(75);
	(void)closefrom(3);
#define LOCAL_COMMAND_ENV(...) do {					\
	len = snprintf(env[n], sizeof(env[n]), __VA_ARGS__);		\
	if (len < 0 || (size_t)len >= sizeof(env[n]))			\
		_exit(75);						\
	envp[n] = env[n];						\
	n++;								\
} while (0)
	LOCAL_COMMAND_ENV("PATH=/usr/bin:/bin");
	LOCAL_COMMAND_ENV("SHELL=/bin/sh");
	LOCAL_COMMAND_ENV("SENDER=%s", j->from);
	LOCAL_COMMAND_ENV("RECIPIENT=%s", rcpt);
	LOCAL_COMMAND_ENV("LOCAL=%.*s", at != NULL ? (int)(at - rcpt) :
	    (int)strlen(rcpt), rcpt);
	LOCAL_COMMAND_ENV("DOMAIN=%s", at != NULL ? at + 1 : "");
	LOCAL_COMMAND_ENV("HOME=%s", pw->pw_dir);
	LOCAL_COMMAND_ENV("USER=%s", pw->pw_name);
	LOCAL_COMMAND_ENV("LOGNAME=%s", pw->pw_name);
#undef LOCAL_COMMAND_ENV
	envp[n] = NULL;
	if (chdir(pw->pw_dir) == -1)
		(void)chdir("/");
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)cmd;
	argv[3] = NULL;
	(void)signal(SIGPIPE, SIG_DFL);
	execve("/bin/sh", argv, envp);
	_exit(75);
}

/* In the child, as the user: runs the command, maps its end. */
static void
local_command_child_cmd(const struct ipc_out_job *j, int fd,
    const char *rcpt, const char *cmd, const struct passwd *pw,
    const char *prepend, struct local_result *res)
{
	char out[LOCAL_COMMAND_OUT], sink[4096];
	size_t outlen = 0;
	int inp[2], outp[2], status, wstatus = 0;
	ssize_t r;
	pid_t pid, wpid;

	if (pipe2(inp, O_CLOEXEC) == -1 || pipe2(outp, O_CLOEXEC) == -1) {
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the command");
		return;
	}
	if ((pid = fork()) == -1) {
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the command");
		return;
	}
	if (pid == 0) {
		close(inp[1]);
		close(outp[0]);
		local_command_exec(j, rcpt, cmd, pw, inp[0], outp[1]);
	}
	close(inp[0]);
	close(outp[1]);
	/*
	 * The message goes in while the output comes out: a writer process
	 * feeds standard input while this one drains the output, so that
	 * neither pipe can fill and stall the command.
	 */
	if ((wpid = fork()) == 0) {
		close(outp[0]);
		/* a command that does not read its input is not a failure */
		_exit(local_command_copy(fd, prepend, inp[1]) == -1 &&
		    errno != EPIPE ? 1 : 0);
	}
	close(inp[1]);
	if (wpid == -1) {
		/* it would see an empty message and might say "done" */
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		close(outp[0]);
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the command");
		return;
	}
	while ((r = read(outp[0], outlen < sizeof(out) ? out + outlen : sink,
	    outlen < sizeof(out) ? sizeof(out) - outlen : sizeof(sink))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (outlen < sizeof(out))
			outlen += (size_t)r;
	}
	close(outp[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	while (waitpid(wpid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		/* the command may have seen only part of the message */
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot read the message for the command");
		return;
	}
	local_exit_result(status, 0, out, outlen, res);
}

/* In the child, as the user: appends to the file. */
static void
local_command_child_file(const struct ipc_out_job *j, int fd,
    const char *path, const char *prepend, struct local_result *res)
{
	char in[LOCAL_COMMAND_CHUNK], buf[2 * LOCAL_COMMAND_CHUNK + 8];
	char from[IPC_ADDR_MAX + 64];
	struct local_mbox m;
	struct flock fl;
	struct stat st;
	off_t off = 0, start;
	ssize_t r;
	size_t n;
	int out, len, saved;

	if (strcmp(path, "/dev/null") == 0) {
		local_command_set(res, IPC_OUT_SENT, 250, "2.0.0",
		    "discarded into %s", path);
		return;
	}
	if ((out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600)) == -1) {
		saved = errno;
		local_command_set(res, saved == ENOSPC || saved == EDQUOT ||
		    saved == EINTR || saved == EAGAIN ? IPC_OUT_DEFERRED :
		    IPC_OUT_BOUNCED, saved == ENOSPC || saved == EDQUOT ||
		    saved == EINTR || saved == EAGAIN ? 451 : 550,
		    saved == ENOSPC || saved == EDQUOT || saved == EINTR ||
		    saved == EAGAIN ? "4.3.0" : "5.2.0", "cannot open the "
		    "file: %s", strerror(saved));
		return;
	}
	if (fstat(out, &st) == -1 || !S_ISREG(st.st_mode)) {
		local_command_set(res, IPC_OUT_BOUNCED, 550, "5.2.0",
		    "%s is not a regular file", path);
		close(out);
		return;
	}
	/*
	 * An existing file must be this user's own, with no other name (a
	 * hard link to someone else's file would be written as whoever can
	 * write it): else the admin must fix it, and the mail waits
	 * (doc/design.md §12).
	 */
	if (st.st_uid != geteuid() || st.st_nlink != 1) {
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "%s is %s: it must be owned by the user it is written as "
		    "(uid %lu) and have one link", path, st.st_uid !=
		    geteuid() ? "owned by another user" : "a hard link",
		    (unsigned long)geteuid());
		close(out);
		return;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(out, F_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot lock the file: %s", strerror(errno));
		close(out);
		return;
	}
	start = lseek(out, 0, SEEK_END);
	if ((len = local_mbox_from_line(from, sizeof(from), j->from,
	    time(NULL))) == -1)
		len = local_mbox_from_line(from, sizeof(from), "", time(NULL));
	local_mbox_init(&m);
	n = (size_t)(len > 0 ? len : 0);
	memcpy(buf, from, n);
	n += local_mbox_encode(&m, prepend, strlen(prepend), buf + n);
	for (;;) {
		if (local_command_write(out, buf, n) == -1)
			goto fail;
		r = pread(fd, in, sizeof(in), off);
		if (r == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		off += r;
		n = local_mbox_encode(&m, in, (size_t)r, buf);
	}
	n = local_mbox_end(&m, buf);
	if (local_command_write(out, buf, n) == -1 || fsync(out) == -1)
		goto fail;
	close(out);
	local_command_set(res, IPC_OUT_SENT, 250, "2.0.0", "appended to %s",
	    path);
	return;
fail:
	saved = errno;
	/* a half message would spoil the next one: take it back */
	if (start != (off_t)-1)
		(void)ftruncate(out, start);
	close(out);
	/* as a full Maildir (local_maildir.c): it waits, nothing is lost */
	local_command_set(res, IPC_OUT_DEFERRED, saved == ENOSPC ||
	    saved == EDQUOT || saved == EFBIG ? 452 : 451, saved == ENOSPC ?
	    "4.3.1" : saved == EDQUOT || saved == EFBIG ? "4.2.2" : "4.3.0",
	    "cannot append to the file: %s", strerror(saved));
}

void
local_command_run(const struct conf *c, const struct ipc_out_job *j, int fd,
    const char *rcpt, int is_file, const char *cmd, const struct passwd *pw,
    struct local_result *res)
{
	char prepend[2 * IPC_ADDR_MAX + 64];
	struct pollfd pfd;
	int p[2] = { -1, -1 }, status, rv, n;
	ssize_t r = 0;
	pid_t pid;

	(void)c;
	n = snprintf(prepend, sizeof(prepend), "Return-Path: <%s>\n"
	    "Delivered-To: %s\n", j->from, rcpt);
	if (n < 0 || (size_t)n >= sizeof(prepend))
		prepend[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		log_warn("local: %s: %s for %s", j->id, is_file ? "file" :
		    "command", rcpt);
		if (p[0] != -1) {
			close(p[0]);
			close(p[1]);
		}
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot start the delivery");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		local_keep_fds(fd, p[1]);
		(void)setpgid(0, 0);
		(void)signal(SIGPIPE, SIG_IGN);
		(void)signal(SIGCHLD, SIG_DFL);
		if (local_command_become(pw) == -1)
			local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
			    "cannot become %s", pw->pw_name);
		else if (is_file)
			local_command_child_file(j, fd, cmd, prepend, res);
		else
			local_command_child_cmd(j, fd, rcpt, cmd, pw, prepend,
			    res);
		(void)write(p[1], res, sizeof(*res));
		_exit(0);
	}
	(void)setpgid(pid, pid);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	do
		rv = poll(&pfd, 1, LOCAL_DELIVER_TIMEOUT_MS);
	while (rv == -1 && errno == EINTR);
	if (rv > 0)
		do
			r = read(p[0], res, sizeof(*res));
		while (r == -1 && errno == EINTR);
	close(p[0]);
	if (rv == 0) {
		log_warnx("local: %s: the %s for %s took longer than %d s; "
		    "killed", j->id, is_file ? "file" : "command", rcpt,
		    LOCAL_DELIVER_TIMEOUT_MS / 1000);
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (rv == 0) {
		local_exit_result(0, 1, "", 0, res);
		return;
	}
	if (r != (ssize_t)sizeof(*res)) {
		local_command_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "the delivery ended without a result");
		return;
	}
	res->dsn[sizeof(res->dsn) - 1] = '\0';
	res->text[sizeof(res->text) - 1] = '\0';
	res->forwarded[0] = '\0';
}
