/*
 * sendmail_drain_run.c: the owner's child of the maildrop drain
 * (doc/design.md §2, §6): forked by `sendmail -bD` (root) for one file,
 * it becomes the file's owner and submits the message through the
 * pickup socket as a sendmail call by that user would, or mails the
 * owner a notice with the null sender; the drain waits for it under a
 * deadline (CLOCK_MONOTONIC) and keeps what it said for the log and the
 * notice. Linked by the sealpost-sendmail binary.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/pickup.h"
#include "sendmail.h"
#include "sendmail_drain.h"

/*
 * The address for a notice to login: in hostname when it is a local
 * domain, else in the first local domain (local delivery, doc/design.md
 * §12). Returns 0, or -1 when there is no local domain.
 */
static int
sendmail_drain_notice_rcpt(const struct conf *c, const char *login,
    char *out, size_t size)
{
	const char *dom = NULL;
	size_t i;
	int n;

	for (i = 0; i < c->nlocal_domains; i++)
		if (strcasecmp(c->local_domains[i], c->hostname) == 0)
			dom = c->hostname;
	if (dom == NULL && c->nlocal_domains > 0)
		dom = c->local_domains[0];
	if (dom == NULL)
		return -1;
	n = snprintf(out, size, "%s@%s", login, dom);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * In the owner's child: the notice for the file in.data[0..in.len)
 * (reason: why it was not sent, or not to everyone), quoting the
 * message's header section; submitted with the null sender to the
 * owner's login and never kept in the maildrop (no loop). Never returns.
 */
static void
sendmail_drain_notice(const struct sendmail_drain *d, const struct buf *in,
    const struct passwd *pw, const char *name, const char *reason)
{
	struct sendmail_drop *h;
	struct sendmail_opts o;
	struct sendmail_result res;
	struct buf msg;
	char rcpt[SENDMAIL_ADDR_MAX + 1], err[256];
	char *rv[1];
	const char *m, *r, *e;
	size_t hlen, mlen, i;
	int ex;

	if (sendmail_drain_notice_rcpt(d->c, pw->pw_name, rcpt,
	    sizeof(rcpt)) == -1) {
		fprintf(stderr, "no local domain for a notice to %s\n",
		    pw->pw_name);
		_exit(EX_CONFIG);
	}
	buf_init(&msg, SENDMAIL_NOTICE_HDR_MAX + 16 * 1024);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    buf_printf(&msg, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\nSubject: Undelivered message from the maildrop\n"
	    "Auto-Submitted: auto-replied\n\n"
	    "This is sealpost on %s.\n\n"
	    "A message you left in the maildrop while sealpostd was not\n"
	    "running (file %s) was not sent to every recipient, or to none:\n"
	    "\n", d->c->hostname, rcpt, d->c->hostname, name) == -1) {
		fprintf(stderr, "out of memory\n");
		_exit(EX_OSERR);
	}
	/* one line each of what the child said ("; "): SMTP's line limit */
	for (r = reason; *r != '\0'; r = e[0] != '\0' ? e + 2 : e) {
		if ((e = strstr(r, "; ")) == NULL)
			e = r + strlen(r);
		if (buf_printf(&msg, "  %.*s\n", (int)(e - r), r) == -1)
			_exit(EX_OSERR);
	}
	if (buf_puts(&msg, "\n") == -1)
		_exit(EX_OSERR);
	if (sendmail_drop_parse(in->data, in->len, (long long)time(NULL), h,
	    &hlen, err, sizeof(err)) == 0) {
		/* the message's header section, up to its empty line */
		m = in->data + hlen;
		mlen = in->len - hlen;
		for (i = 0; i < mlen; i++)
			if (m[i] == '\n' && (i + 1 == mlen || m[i + 1] == '\n' ||
			    (m[i + 1] == '\r' && i + 2 < mlen &&
			    m[i + 2] == '\n')))
				break;
		mlen = i < mlen ? i + 1 : mlen;
		if (mlen > SENDMAIL_NOTICE_HDR_MAX)
			mlen = SENDMAIL_NOTICE_HDR_MAX;
		if (buf_puts(&msg, "Its header section:\n\n") == -1)
			_exit(EX_OSERR);
		for (i = 0; i < mlen; i++)
			/* SMTP carries no NUL: sendmail_lines refuses it */
			if (buf_append(&msg, m[i] == '\0' ? "?" : &m[i], 1) ==
			    -1)
				_exit(EX_OSERR);
		if (mlen > 0 && m[mlen - 1] != '\n' &&
		    buf_puts(&msg, "\n") == -1)
			_exit(EX_OSERR);
	} else if (buf_printf(&msg, "Its maildrop header cannot be read (%s),\n"
	    "so it is not quoted here.\n", err) == -1)
		_exit(EX_OSERR);
	memset(&o, 0, sizeof(o));
	o.mode = SENDMAIL_MODE_SEND;
	o.have_sender = 1;		/* the null sender: no notice loops */
	rv[0] = rcpt;
	o.rcpt = rv;
	o.nrcpt = 1;
	ex = sendmail_send_input(&o, d->c, msg.data, msg.len,
	    (long long)time(NULL), SENDMAIL_SUBMIT_DRAIN, &res);
	if (ex == SENDMAIL_NODAEMON) {
		/* never into the maildrop: a notice is only logged then */
		fprintf(stderr, "sealpostd does not accept mail at %s: %s\n",
		    res.path, strerror(res.conn_errno));
		_exit(EX_TEMPFAIL);
	}
	if (ex == 0)
		printf("%s\n", res.reply);
	(void)fflush(stdout);
	_exit(ex == SENDMAIL_PARTIAL ? 0 : ex);
}

/*
 * In the owner's child: gives up root for pw (its groups, gid and uid,
 * checked; killed if the drain dies), reads the file and then either
 * submits it as a sendmail call by that user would (SENDMAIL_DRAIN_
 * SUBMIT) or sends its owner the notice for reason. Never returns.
 */
static void
sendmail_drain_child(const struct sendmail_drain *d, int fd,
    const struct passwd *pw, pid_t drain, enum sendmail_drain_job job,
    const char *name, const char *reason)
{
	struct sendmail_opts o;
	struct sendmail_drop *h;
	struct sendmail_result res;
	struct stat st;
	struct buf in;
	char err[256], **rcpt;
	long long now, since;
	size_t hlen, i;
	int ex;

	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid ||
	    (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))) {
		fprintf(stderr, "cannot become uid %ld\n", (long)pw->pw_uid);
		_exit(EX_OSERR);
	}
	/* after the uid change, which clears it: no orphan submits later */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != drain)
		_exit(EX_TEMPFAIL);
	buf_init(&in, d->c->message_size_limit + SENDMAIL_INPUT_SLACK +
	    SENDMAIL_DROP_HDR_MAX);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (rcpt = calloc(SENDMAIL_RCPT_MAX + 1, sizeof(*rcpt))) == NULL) {
		fprintf(stderr, "out of memory\n");
		_exit(EX_OSERR);
	}
	/* the submission's child read it already: from the start */
	if (lseek(fd, 0, SEEK_SET) == -1 || fstat(fd, &st) == -1 ||
	    buf_read_fd(&in, fd) == -1) {
		if (job == SENDMAIL_DRAIN_NOTICE)
			buf_reset(&in);
		else {
			fprintf(stderr, "reading the file: %s\n",
			    errno == ENOBUFS ? "larger than "
			    "message_size_limit" : strerror(errno));
			_exit(errno == ENOBUFS ? EX_DATAERR : EX_IOERR);
		}
	}
	if (job == SENDMAIL_DRAIN_NOTICE)
		sendmail_drain_notice(d, &in, pw, name, reason);
	now = (long long)time(NULL);
	if (sendmail_drop_parse(in.data, in.len, now, h, &hlen, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "malformed header: %s\n", err);
		_exit(EX_DATAERR);
	}
	/* a copy someone else made (root's cp) is not its writer's */
	if (h->uid != (long long)getuid()) {
		fprintf(stderr, "the file was written by uid %lld, not by its "
		    "owner (uid %ld): a copy; put a file back with mv\n",
		    h->uid, (long)getuid());
		_exit(EX_NOPERM);
	}
	/* kept too long: given up, as the queue gives up (queue_lifetime) */
	since = h->time > (long long)st.st_ctime ? h->time :
	    (long long)st.st_ctime;
	if (now - since > (long long)d->c->queue_lifetime) {
		fprintf(stderr, "kept longer than queue_lifetime (%u s); "
		    "given up\n", d->c->queue_lifetime);
		_exit(EX_UNAVAILABLE);
	}
	memset(&o, 0, sizeof(o));
	o.mode = SENDMAIL_MODE_SEND;
	o.extract = h->extract;
	o.dot_ends = h->dot_ends;
	o.have_sender = h->have_sender;
	(void)strlcpy(o.sender, h->sender, sizeof(o.sender));
	(void)strlcpy(o.fullname, h->fullname, sizeof(o.fullname));
	for (i = 0; i < h->nrcpt; i++)
		if ((rcpt[i] = strndup(in.data + h->rcpt_off[i],
		    h->rcpt_len[i])) == NULL) {
			fprintf(stderr, "out of memory\n");
			_exit(EX_OSERR);
		}
	o.rcpt = rcpt;
	o.nrcpt = h->nrcpt;
	ex = sendmail_send_input(&o, d->c, in.data + hlen, in.len - hlen,
	    h->time, SENDMAIL_SUBMIT_DRAIN, &res);
	if (ex == SENDMAIL_NODAEMON) {
		fprintf(stderr, "sealpostd does not accept mail at %s: %s\n",
		    res.path, strerror(res.conn_errno));
		_exit(EX_TEMPFAIL);
	}
	if (ex == 0 || ex == SENDMAIL_PARTIAL)
		printf("%s\n", res.reply);
	(void)fflush(stdout);
	(void)fflush(stderr);
	_exit(ex);
}

/*
 * What the child said, as one line into out[0..size): its lines joined
 * with "; ", other control bytes as spaces (log_kv escapes anyway), the
 * "sendmail: " prefixes gone.
 */
static void
sendmail_drain_said(const char *said, size_t len, char *out, size_t size)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 3 < size; i++) {
		if ((i == 0 || said[i - 1] == '\n') &&
		    len - i >= 10 && strncmp(said + i, "sendmail: ", 10) == 0) {
			i += 9;
			continue;
		}
		if (said[i] == '\n') {
			if (i + 1 < len) {
				out[j++] = ';';
				out[j++] = ' ';
			}
		} else
			out[j++] = (unsigned char)said[i] < ' ' ? ' ' : said[i];
	}
	out[j] = '\0';
}

/* Seconds of CLOCK_MONOTONIC: a clock nobody sets back. */
long long
sendmail_drain_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec;
}

/*
 * Runs the owner's child for job on the open file fd and waits for it, at
 * most deadline seconds and no longer than the owner's time left
 * (a submission; d->uid_end; its running out sets d->uid_out). Returns its exit code,
 * or SENDMAIL_DRAIN_NORUN, _TIMEOUT or _KILLED; what it said, its lines
 * as far as they fit and then "(and N more)" (the refused recipients not
 * named; other lines left out only when there are none of those), in
 * said[0..size), size at most SENDMAIL_DRAIN_SAID.
 */
int
sendmail_drain_run(struct sendmail_drain *d, int fd,
    const struct passwd *pw, enum sendmail_drain_job job, int deadline,
    const char *name, const char *reason, char *said, size_t size)
{
	char raw[SENDMAIL_DRAIN_SAID], sink[512];
	char pfx[sizeof(SENDMAIL_DRAIN_RCPT) - 1];
	struct pollfd pfd;
	pid_t pid, self = getpid();
	long long end = sendmail_drain_now() + deadline;
	size_t n = 0, more = 0, other = 0, room, i, pl = 0;
	ssize_t r;
	int p[2], status, devnull, left, timedout = 0, owner = 0, cut = 0;

	said[0] = '\0';
	/*
	 * The owner's budget cuts submissions only: a notice always gets its
	 * own deadline, or a refusal late in the budget would be told to no
	 * one (doc/design.md §6).
	 */
	if (job == SENDMAIL_DRAIN_SUBMIT && end > d->uid_end) {
		end = d->uid_end;
		owner = 1;
	}
	/*
	 * The lines that fit, and room for "(and N more)" after them; half,
	 * for sendmail_drain_said makes each newline "; ".
	 */
	room = size > SENDMAIL_DRAIN_MORE + 1 ?
	    (size - SENDMAIL_DRAIN_MORE - 1) / 2 : 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		(void)snprintf(said, size, "pipe: %s", strerror(errno));
		return SENDMAIL_DRAIN_NORUN;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == -1) {
		(void)snprintf(said, size, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return SENDMAIL_DRAIN_NORUN;
	}
	if (pid == 0) {
		(void)signal(SIGTERM, SIG_DFL);
		close(p[0]);
		/* 0 /dev/null, 1 and 2 the pipe, 3 the file, nothing else */
		if ((devnull = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1 ||
		    dup2(fd, 3) == -1)
			_exit(EX_OSERR);
		closefrom(4);
		(void)signal(SIGPIPE, SIG_IGN);
		sendmail_drain_child(d, 3, pw, self, job, name, reason);
	}
	close(p[1]);
	for (;;) {
		left = (int)(end - sendmail_drain_now());
		if (left <= 0) {
			(void)kill(pid, SIGKILL);
			timedout = 1;
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left * 1000) == -1) {
			if (errno == EINTR)
				continue;
			(void)kill(pid, SIGKILL);
			timedout = 1;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (!cut && n < room)
			r = read(p[0], said + n, room - n);
		else
			r = read(p[0], sink, sizeof(sink));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!cut && n < room) {
			n += (size_t)r;
			continue;
		}
		/* past the room: only its lines are counted */
		if (!cut) {
			cut = 1;
			/* a line cut short is one of those not said */
			for (i = n; i > 0 && said[i - 1] != '\n'; i--)
				;
			pl = n - i < sizeof(pfx) ? n - i : sizeof(pfx);
			memcpy(pfx, said + i, pl);
			n = i;
		}
		for (i = 0; i < (size_t)r; i++) {
			if (sink[i] != '\n') {
				if (pl < sizeof(pfx))
					pfx[pl++] = sink[i];
				continue;
			}
			/* a refused recipient's line, or another */
			if (pl == sizeof(pfx) && memcmp(pfx, SENDMAIL_DRAIN_RCPT,
			    sizeof(pfx)) == 0)
				more++;
			else
				other++;
			pl = 0;
		}
	}
	close(p[0]);
	if (more > 0 || other > 0)
		n += (size_t)snprintf(said + n, size - n, "(and %zu more%s)\n",
		    more > 0 ? more : other, more > 0 ? "" : " lines");
	if (timedout)
		n += (size_t)snprintf(said + n, size - n, "%s%s%d s%s",
		    n > 0 && said[n - 1] != '\n' ? "\n" : "", owner ?
		    "its owner's time for this run (" : "took longer than ",
		    owner ? SENDMAIL_DRAIN_UID_BUDGET : deadline,
		    owner ? ") ran out" : "");
	if (n >= size)
		n = size - 1;
	said[n] = '\0';
	memcpy(raw, said, n + 1);
	sendmail_drain_said(raw, n, said, size);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return SENDMAIL_DRAIN_NORUN;
	if (timedout) {
		d->uid_out = 1;
		return SENDMAIL_DRAIN_TIMEOUT;
	}
	if (WIFSIGNALED(status)) {
		n = strlen(said);
		(void)snprintf(said + n, size - n, "%skilled by signal %d",
		    n > 0 ? "; " : "", WTERMSIG(status));
		return SENDMAIL_DRAIN_KILLED;
	}
	return WEXITSTATUS(status);
}

/* The queue id in "250 2.0.0 Ok: queued as ID", or NULL. */
const char *
sendmail_drain_id(char *reply)
{
	char *p = strstr(reply, "queued as ");

	if (p == NULL)
		return NULL;
	p += 10;
	p[strcspn(p, " \t;")] = '\0';
	return p;
}

/*
 * Tells the owner of fd why (a notice, at most SENDMAIL_DRAIN_NOTICE_
 * DEADLINE seconds: a timeout sets d->uid_out); logs what became of it.
 */
void
sendmail_drain_tell(struct sendmail_drain *d, int fd, const struct passwd *pw,
    const char *name, const char *why)
{
	char said[SENDMAIL_DRAIN_SAID];
	const char *id;
	int ex;

	ex = sendmail_drain_run(d, fd, pw, SENDMAIL_DRAIN_NOTICE,
	    SENDMAIL_DRAIN_NOTICE_DEADLINE, name, why, said, sizeof(said));
	if (ex == 0) {
		id = sendmail_drain_id(said);
		sendmail_drain_log(name, (long)pw->pw_uid, pw->pw_name,
		    "notified", id, NULL, NULL);
	} else
		sendmail_drain_log(name, (long)pw->pw_uid, pw->pw_name,
		    "not-notified", NULL, said[0] != '\0' ? said :
		    "the notice was not submitted", NULL);
}
