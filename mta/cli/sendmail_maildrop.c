/*
 * sendmail_maildrop.c: the maildrop of sealpost-sendmail (doc/design.md
 * §2, §6): when nothing listens on the pickup socket, the message is kept
 * in data_dir/maildrop (root's, 1733: anyone may create a file there,
 * nobody but root may list or read it) in a file of the caller's own,
 * and `sendmail -bD`, which sealpostd runs as root, submits each file
 * later as its owner through the ordinary submission path, a few files of
 * each owner in turn, telling the owner of a file it refuses. The header is
 * sendmail_drop.c's; the file's owner, never the header, says who sent.
 * Linked by the sealpost-sendmail binary.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
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

/* Makes name[0..size) a new file name. */
static void
sendmail_maildrop_name(char *name, size_t size)
{
	struct timeval tv;
	unsigned long long us;
	int n;

	(void)gettimeofday(&tv, NULL);
	us = (unsigned long long)tv.tv_sec * 1000000ULL +
	    (unsigned long long)tv.tv_usec;
	n = snprintf(name, size, "%016llx.%08x%08x", us, arc4random(),
	    arc4random());
	if (n < 0 || (size_t)n >= size)
		name[0] = '\0';
}

/* Whether name is a maildrop file's name. */
static int
sendmail_maildrop_name_ok(const char *name)
{
	size_t i;

	if (strlen(name) != SENDMAIL_MAILDROP_NAMELEN)
		return 0;
	for (i = 0; i < SENDMAIL_MAILDROP_NAMELEN; i++)
		if (i == 16 ? name[i] != '.' :
		    strchr("0123456789abcdef", name[i]) == NULL ||
		    name[i] == '\0')
			return 0;
	return 1;
}

static int
sendmail_maildrop_why(char *why, size_t whylen, const char *what,
    const char *path)
{
	int n = snprintf(why, whylen, "%s %s: %s", what, path,
	    strerror(errno));

	(void)n;	/* cut short, it still says why */
	return -1;
}

int
sendmail_maildrop_write(const struct sendmail_opts *o, const struct conf *c,
    const char *in, size_t len, long long when, char *why, size_t whylen)
{
	char dir[CONF_PATH_MAX], path[CONF_PATH_MAX];
	char name[64];
	struct buf hdr;
	struct stat st;
	int fd, dfd, n, saved;

	n = snprintf(dir, sizeof(dir), "%s/%s", c->data_dir,
	    SENDMAIL_MAILDROP_DIR);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		(void)snprintf(why, whylen, "data_dir too long");
		return -1;
	}
	buf_init(&hdr, SENDMAIL_DROP_HDR_MAX);
	if (sendmail_drop_write(&hdr, o, when, (long long)getuid()) == -1) {
		(void)snprintf(why, whylen, "the command line cannot be "
		    "kept (a control character, or too long)");
		buf_free(&hdr);
		return -1;
	}
	sendmail_maildrop_name(name, sizeof(name));
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (name[0] == '\0' || n < 0 || (size_t)n >= sizeof(path)) {
		(void)snprintf(why, whylen, "data_dir too long");
		buf_free(&hdr);
		return -1;
	}
	/*
	 * Under its final name, 0600 while incomplete: the drain takes only
	 * 0700 files, and the caller's own: nobody else may read it
	 * (doc/design.md §6).
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, SENDMAIL_MAILDROP_PARTIAL);
	if (fd == -1) {
		buf_free(&hdr);
		return sendmail_maildrop_why(why, whylen, "cannot create a file "
		    "in", dir);
	}
	/* complete only once its content is on disk (Postfix's postdrop) */
	if (fchmod(fd, SENDMAIL_MAILDROP_PARTIAL) == -1 ||
	    pickup_write(fd, hdr.data, hdr.len) == -1 ||
	    pickup_write(fd, in, len) == -1 || fsync(fd) == -1 ||
	    fchmod(fd, SENDMAIL_MAILDROP_DONE) == -1 || fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(path);
		errno = saved;
		buf_free(&hdr);
		return sendmail_maildrop_why(why, whylen, "cannot write", path);
	}
	buf_free(&hdr);
	/*
	 * The drain removes a user's incomplete files beyond a few (oldest
	 * by name first): one removed before it was complete is not kept.
	 */
	if (fstat(fd, &st) == -1 || st.st_nlink == 0) {
		(void)close(fd);
		(void)snprintf(why, whylen, "%s was removed before it was "
		    "complete (too many incomplete files of yours in the "
		    "maildrop)", path);
		return -1;
	}
	if (close(fd) == -1) {
		saved = errno;
		(void)unlink(path);
		errno = saved;
		return sendmail_maildrop_why(why, whylen, "cannot write", path);
	}
	/*
	 * The directory is not readable by the caller, so it cannot be
	 * opened to be flushed; root can. Otherwise the file's fsync above
	 * commits its entry with it on ext4 and XFS (doc/design.md §6).
	 */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
}

/* ---- the drain, -bD --------------------------------------------------- */

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

/* SIGTERM: finish the file at hand, then stop (doc/design.md §6) */
static volatile sig_atomic_t	sendmail_drain_term;

static void
sendmail_drain_sigterm(int signo)
{
	(void)signo;
	sendmail_drain_term = 1;
}

/* One line for the file: maildrop file= uid= user= result= ... */
static void
sendmail_drain_log(const char *name, long uid, const char *user,
    const char *result, const char *id, const char *reason,
    const char *moved)
{
	struct log_kv kv;

	log_kv_init(&kv, "maildrop");
	log_kv_str(&kv, "file", name);
	if (uid >= 0)
		log_kv_fmt(&kv, "uid", "%ld", uid);
	if (user != NULL)
		log_kv_str(&kv, "user", user);
	log_kv_str(&kv, "result", result);
	if (id != NULL)
		log_kv_str(&kv, "id", id);
	if (reason != NULL)
		log_kv_str(&kv, "reason", reason);
	if (moved != NULL)
		log_kv_str(&kv, "moved", moved);
	log_kv_emit(&kv);
}

/*
 * Moves the entry name into maildrop-bad under a new name (renameat never
 * follows a link); moved[0..movedsize) gets "maildrop-bad/NEW". Returns 0 or
 * -1 (errno).
 */
static int
sendmail_drain_move(struct sendmail_drain *d, const char *name, char *moved,
    size_t movedsize)
{
	char to[64];

	sendmail_maildrop_name(to, sizeof(to));
	if (to[0] == '\0') {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (renameat(d->dfd, name, d->bfd, to) == -1)
		return -1;
	(void)snprintf(moved, movedsize, "%s/%s", SENDMAIL_MAILDROP_BAD, to);
	return 0;
}

/*
 * Removes the entry name, whatever it is (a symbolic link, a FIFO, a
 * directory, a hard link), never following it: the maildrop holds only
 * regular files of one link (doc/design.md §6, as Postfix's pickup). A
 * directory that is not empty is moved into maildrop-bad, once.
 */
static void
sendmail_drain_remove(struct sendmail_drain *d, const char *name, long uid,
    const char *reason)
{
	char moved[96];

	if (unlinkat(d->dfd, name, 0) == 0 ||
	    (errno == EISDIR && unlinkat(d->dfd, name, AT_REMOVEDIR) == 0)) {
		sendmail_drain_log(name, uid, NULL, "removed", NULL, reason,
		    NULL);
		d->removed++;
		return;
	}
	if (errno == ENOENT)
		return;
	if ((errno == ENOTEMPTY || errno == EEXIST) &&
	    sendmail_drain_move(d, name, moved, sizeof(moved)) == 0) {
		sendmail_drain_log(name, uid, NULL, "bad", NULL, reason,
		    moved);
		d->bad++;
		return;
	}
	log_warn("maildrop: %s: cannot remove it", name);
	sendmail_drain_log(name, uid, NULL, "bad", NULL, reason, "stays");
	d->bad++;
}

/*
 * Moves the regular file name, the one st describes, aside into
 * maildrop-bad under a new name (the admin's to look at; never read), or
 * removes it when that fails. What is no longer that file (its owner put
 * another, a hard link, in its place) is left for the next run. Logs the
 * file's line with result.
 */
static void
sendmail_drain_bad(struct sendmail_drain *d, const char *name,
    const struct stat *st, const char *user, const char *result,
    const char *reason)
{
	char moved[96];
	struct stat now;
	long uid = (long)st->st_uid;

	if (fstatat(d->dfd, name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    !S_ISREG(now.st_mode) || now.st_nlink != 1) {
		sendmail_drain_log(name, uid, user, result, NULL, reason,
		    "changed since it was read; left for the next run");
	} else if (sendmail_drain_move(d, name, moved, sizeof(moved)) == 0) {
		sendmail_drain_log(name, uid, user, result, NULL, reason,
		    moved);
	} else if (unlinkat(d->dfd, name, 0) == 0) {
		sendmail_drain_log(name, uid, user, result, NULL, reason,
		    "removed");
	} else {
		log_warn("maildrop: %s: cannot move or remove it", name);
		sendmail_drain_log(name, uid, user, result, NULL, reason,
		    "stays");
	}
	if (strcmp(result, "refused") == 0)
		d->refused++;
	else
		d->bad++;
}

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
static long long
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
 * (d->uid_end; its running out sets d->uid_out). Returns its exit code,
 * or SENDMAIL_DRAIN_NORUN, _TIMEOUT or _KILLED; what it said, its lines
 * as far as they fit and then "(and N more)" (the refused recipients not
 * named; other lines left out only when there are none of those), in
 * said[0..size), size at most SENDMAIL_DRAIN_SAID.
 */
static int
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
static const char *
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
static void
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

/*
 * One file of the maildrop, as the scan found it, within its owner's time
 * left (d->uid_end); a child of the owner that runs out of time sets
 * d->uid_out (the owner's other files wait for the next run).
 */
static void
sendmail_drain_file(struct sendmail_drain *d,
    const struct sendmail_drain_ent *e)
{
	char said[SENDMAIL_DRAIN_SAID], why[SENDMAIL_DRAIN_SAID + 64];
	struct stat st, now;
	struct passwd *pw, pwc;
	const char *id, *refuse = e->refuse;
	char user[64];
	int fd, ex;

	/* never follow a link; a FIFO must not block the open */
	fd = openat(d->dfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return;		/* its owner took it back */
		/* what a planted link, socket or device gives */
		if (errno == ELOOP || errno == ENXIO || errno == EWOULDBLOCK) {
			sendmail_drain_remove(d, e->name, (long)e->uid, errno ==
			    ELOOP ? "a symbolic link" : strerror(errno));
			return;
		}
		/* ENOMEM, EIO, EMFILE: ours, not the file's; the next run */
		log_warn("maildrop: %s: open; it waits for the next run",
		    e->name);
		d->kept++;
		return;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("maildrop: %s: fstat", e->name);
		close(fd);
		return;
	}
	/* changed since the scan: only what is still sound is taken */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		sendmail_drain_remove(d, e->name, (long)st.st_uid,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "more than one link");
		return;
	}
	if ((st.st_mode & 07777) == SENDMAIL_MAILDROP_PARTIAL) {
		close(fd);
		return;		/* incomplete again: its writer's */
	}
	if (refuse == NULL && (st.st_mode & 07777) != SENDMAIL_MAILDROP_DONE)
		refuse = "its mode is not 0700 (group or other bits, or set-id)";
	if (refuse == NULL && (unsigned long long)st.st_size >
	    (unsigned long long)d->c->message_size_limit +
	    SENDMAIL_INPUT_SLACK + SENDMAIL_DROP_HDR_MAX)
		refuse = "larger than message_size_limit";
	if ((pw = getpwuid(st.st_uid)) == NULL) {
		/* nobody to send as, nobody to tell: the admin's */
		close(fd);
		sendmail_drain_bad(d, e->name, &st, NULL, "bad",
		    "its owner has no passwd entry");
		return;
	}
	/* getpwuid's storage is overwritten by later calls */
	(void)strlcpy(user, pw->pw_name, sizeof(user));
	pwc = *pw;
	pwc.pw_name = user;
	if (refuse != NULL) {
		sendmail_drain_tell(d, fd, &pwc, e->name, refuse);
		close(fd);
		sendmail_drain_bad(d, e->name, &st, user,
		    "refused", refuse);
		return;
	}
	ex = sendmail_drain_run(d, fd, &pwc, SENDMAIL_DRAIN_SUBMIT,
	    SENDMAIL_DRAIN_DEADLINE, e->name, NULL, said, sizeof(said));
	switch (ex) {
	case 0:
	case SENDMAIL_PARTIAL:
		/* the same file still, not one its owner put there since */
		if (fstatat(d->dfd, e->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
		    unlinkat(d->dfd, e->name, 0) == -1)
			log_warn("maildrop: %s: unlink", e->name);
		id = sendmail_drain_id(said);
		sendmail_drain_log(e->name, (long)st.st_uid, user, ex == 0 ?
		    "sent" : "sent-partly", id, ex == 0 ? NULL : said, NULL);
		d->sent++;
		if (ex == SENDMAIL_PARTIAL)
			sendmail_drain_tell(d, fd, &pwc, e->name, said);
		close(fd);
		return;
	case EX_TEMPFAIL:
	case SENDMAIL_DRAIN_NORUN:
	case SENDMAIL_DRAIN_TIMEOUT:
		/* 4xx, the daemon gone, our deadline: the next run */
		if ((long long)time(NULL) - (long long)st.st_ctime <=
		    (long long)d->c->queue_lifetime + SENDMAIL_DROP_TIME_AHEAD) {
			sendmail_drain_log(e->name, (long)st.st_uid, user,
			    "kept", NULL, said[0] != '\0' ? said :
			    "temporary failure", NULL);
			d->kept++;
			close(fd);
			return;
		}
		(void)snprintf(why, sizeof(why), "%s; kept longer than "
		    "queue_lifetime, given up", said);
		break;
	default:
		/* refused for good (a 5xx, malformed, a copy, killed) */
		(void)strlcpy(why, said[0] != '\0' ? said : "refused",
		    sizeof(why));
		break;
	}
	sendmail_drain_tell(d, fd, &pwc, e->name, why);
	close(fd);
	sendmail_drain_bad(d, e->name, &st, user, "refused", why);
	return;
}

/* Whether x is taken before y: the older first (ctime, then name). */
static int
sendmail_drain_before(const struct sendmail_drain_ent *x,
    const struct sendmail_drain_ent *y)
{
	if (x->ctime != y->ctime)
		return x->ctime < y->ctime;
	return strcmp(x->name, y->name) < 0;
}

/* The slot of uid in d->idx (its owner's, or the free one to take). */
static size_t
sendmail_drain_slot(const struct sendmail_drain *d, uid_t uid)
{
	size_t i = ((size_t)uid * 2654435761u) & (d->idxcap - 1);

	while (d->idx[i] != 0 && d->uids[d->idx[i] - 1].uid != uid)
		i = (i + 1) & (d->idxcap - 1);
	return i;
}

/*
 * 1 when uid may own maildrop files: already an owner of this run, or a
 * passwd entry (an NSS error counts as one: the owner's child finds
 * out). A uid without one (a user namespace's subordinate uids) gets no
 * owner slot, so that the number of owners, and the fairness between
 * them, are those of real users (doc/design.md §6).
 */
static int
sendmail_drain_known(struct sendmail_drain *d, uid_t uid)
{
	if (d->idxcap > 0 && d->idx[sendmail_drain_slot(d, uid)] != 0)
		return 1;
	if (d->have_nopw && d->nopw == uid)
		return 0;
	errno = 0;
	if (getpwuid(uid) != NULL || errno != 0)
		return 1;
	d->nopw = uid;
	d->have_nopw = 1;
	return 0;
}

/*
 * The owner uid of this run, added when new (memory: owners x a few
 * files). Returns NULL when out of memory.
 */
static struct sendmail_drain_uid *
sendmail_drain_owner(struct sendmail_drain *d, uid_t uid)
{
	struct sendmail_drain_uid *u;
	size_t i, j, *idx, cap;

	if (d->idxcap > 0 && d->idx[i = sendmail_drain_slot(d, uid)] != 0)
		return &d->uids[d->idx[i] - 1];
	if (d->nuids == d->uidcap) {
		cap = d->uidcap == 0 ? 16 : d->uidcap * 2;
		if ((u = reallocarray(d->uids, cap, sizeof(*u))) == NULL)
			return NULL;
		d->uids = u;
		d->uidcap = cap;
	}
	/* the index at most half full */
	if ((d->nuids + 1) * 2 > d->idxcap) {
		cap = d->idxcap == 0 ? 64 : d->idxcap * 2;
		if ((idx = calloc(cap, sizeof(*idx))) == NULL)
			return NULL;
		free(d->idx);
		d->idx = idx;
		d->idxcap = cap;
		for (j = 0; j < d->nuids; j++)
			d->idx[sendmail_drain_slot(d, d->uids[j].uid)] = j + 1;
	}
	u = &d->uids[d->nuids];
	memset(u, 0, sizeof(*u));
	u->uid = uid;
	d->idx[sendmail_drain_slot(d, uid)] = ++d->nuids;
	return u;
}

/*
 * A complete file of u's: kept in u->ents when it is among the owner's
 * SENDMAIL_DRAIN_PER_UID oldest (sorted, the oldest first).
 */
static void
sendmail_drain_keep(struct sendmail_drain_uid *u, const char *name,
    const struct stat *st)
{
	struct sendmail_drain_ent e;
	size_t i;

	u->nfiles++;
	memcpy(e.name, name, SENDMAIL_MAILDROP_NAMELEN + 1);
	e.uid = st->st_uid;
	e.ctime = st->st_ctime;
	e.refuse = NULL;
	if (u->nents == SENDMAIL_DRAIN_PER_UID) {
		if (!sendmail_drain_before(&e, &u->ents[u->nents - 1]))
			return;
		u->nents--;		/* the newest kept waits */
	}
	for (i = u->nents; i > 0 && sendmail_drain_before(&e,
	    &u->ents[i - 1]); i--)
		u->ents[i] = u->ents[i - 1];
	u->ents[i] = e;
	u->nents++;
}

/*
 * An incomplete file of u's (being written, or abandoned): the owner's
 * SENDMAIL_DRAIN_PARTIAL_MAX newest by name are kept; one beyond them,
 * the oldest by name, is removed if it is still that incomplete file.
 */
static void
sendmail_drain_partial(struct sendmail_drain *d, struct sendmail_drain_uid *u,
    const char *name, const struct stat *st)
{
	struct sendmail_drain_part gone;
	struct stat now;
	size_t i, min = 0;

	memcpy(gone.name, name, SENDMAIL_MAILDROP_NAMELEN + 1);
	gone.dev = st->st_dev;
	gone.ino = st->st_ino;
	if (u->npart < SENDMAIL_DRAIN_PARTIAL_MAX) {
		u->part[u->npart++] = gone;
		return;
	}
	for (i = 1; i < u->npart; i++)
		if (strcmp(u->part[i].name, u->part[min].name) < 0)
			min = i;
	if (strcmp(u->part[min].name, name) < 0) {
		/* the new one is kept, the oldest kept goes */
		gone = u->part[min];
		memcpy(u->part[min].name, name, SENDMAIL_MAILDROP_NAMELEN + 1);
		u->part[min].dev = st->st_dev;
		u->part[min].ino = st->st_ino;
	}
	/* completed (0700) since, or replaced: not this one's to remove */
	if (fstatat(d->dfd, gone.name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_dev != gone.dev || now.st_ino != gone.ino ||
	    !S_ISREG(now.st_mode) || now.st_nlink != 1 ||
	    (now.st_mode & 07777) != SENDMAIL_MAILDROP_PARTIAL)
		return;
	if (unlinkat(d->dfd, gone.name, 0) == 0) {
		u->npartgone++;
		d->removed++;
	}
}

/*
 * Reads the whole directory, every run: what is no regular single-link
 * file is removed, a badly named file set aside, an incomplete one older
 * than a day removed, as are an owner's incomplete ones beyond a few;
 * each owner's few oldest complete files are kept in d->uids, the others
 * counted. Returns 0, or -1 when out of memory.
 */
static int
sendmail_drain_scan(struct sendmail_drain *d, DIR *dir)
{
	struct sendmail_drain_uid *u;
	struct dirent *de;
	struct log_kv kv;
	struct stat st;
	size_t i;
	mode_t mode;

	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(d->dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (!S_ISREG(st.st_mode)) {
			sendmail_drain_remove(d, de->d_name, (long)st.st_uid,
			    S_ISLNK(st.st_mode) ? "a symbolic link" :
			    S_ISDIR(st.st_mode) ? "a directory" :
			    S_ISFIFO(st.st_mode) ? "a FIFO" :
			    "not a regular file");
			continue;
		}
		if (st.st_nlink != 1) {
			sendmail_drain_remove(d, de->d_name, (long)st.st_uid,
			    "more than one link");
			continue;
		}
		if (!sendmail_maildrop_name_ok(de->d_name)) {
			sendmail_drain_bad(d, de->d_name, &st, NULL, "bad",
			    "not a maildrop file name");
			continue;
		}
		mode = st.st_mode & 07777;
		if (mode == SENDMAIL_MAILDROP_PARTIAL &&
		    st.st_mtime + SENDMAIL_DRAIN_STALE < time(NULL)) {
			/* being written; abandoned after a day */
			sendmail_drain_remove(d, de->d_name, (long)st.st_uid,
			    "incomplete for more than a day");
			continue;
		}
		if (!sendmail_drain_known(d, st.st_uid)) {
			/* an incomplete one goes by the one-day rule */
			if (mode != SENDMAIL_MAILDROP_PARTIAL)
				sendmail_drain_bad(d, de->d_name, &st, NULL,
				    "bad", "its owner has no passwd entry");
			continue;
		}
		if ((u = sendmail_drain_owner(d, st.st_uid)) == NULL)
			return -1;
		if (mode == SENDMAIL_MAILDROP_PARTIAL)
			sendmail_drain_partial(d, u, de->d_name, &st);
		else
			sendmail_drain_keep(u, de->d_name, &st);
	}
	/* one line per owner for the incomplete files removed in bulk */
	for (i = 0; i < d->nuids; i++) {
		u = &d->uids[i];
		if (u->npartgone == 0)
			continue;
		log_kv_init(&kv, "maildrop");
		log_kv_fmt(&kv, "uid", "%ld", (long)u->uid);
		log_kv_str(&kv, "result", "removed");
		log_kv_fmt(&kv, "files", "%zu", u->npartgone);
		log_kv_fmt(&kv, "reason", "incomplete files beyond %d of "
		    "one owner (the oldest by name)",
		    SENDMAIL_DRAIN_PARTIAL_MAX);
		log_kv_emit(&kv);
	}
	return 0;
}

int
sendmail_maildrop_drain(const struct sendmail_opts *o, struct conf *c)
{
	struct sendmail_drain d;
	struct sendmail_drain_uid *u;
	struct sigaction sa;
	struct stat st;
	DIR *dir;
	char path[CONF_PATH_MAX];
	size_t n = 0, j, g, k, first, done = 0;
	long long t0;
	int fd;

	if (getuid() != 0 || geteuid() != 0) {
		fprintf(stderr, "sendmail: -bD is sealpostd's (it drains the "
		    "maildrop as root); see sealpostd(8)\n");
		return EX_NOPERM;
	}
	log_init(LOG_DEST_STDERR, "maildrop", NULL, 0);
	if (!o->debug) {
		if (c->log_file[0] != '\0')
			log_init(LOG_DEST_FILE, "maildrop", c->log_file, 0);
		else
			log_init(LOG_DEST_SYSLOG, "maildrop", NULL, 0);
	}
	log_format_set(c->log_format, c->audit_chain);
	/* no SA_RESTART: a wait in poll returns, the file still finishes */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sendmail_drain_sigterm;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	memset(&d, 0, sizeof(d));
	d.c = c;
	if (snprintf(path, sizeof(path), "%s/%s", c->data_dir,
	    SENDMAIL_MAILDROP_DIR) >= (int)sizeof(path))
		fatalx("maildrop: data_dir too long");
	if ((d.dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("maildrop: %s", path);
	if (fstat(d.dfd, &st) == -1)
		fatal("maildrop: %s", path);
	/* what sealpostd made (doc/design.md §4); anything else: hands off */
	if (st.st_uid != 0 || (st.st_mode & 07777) != 01733)
		fatalx("maildrop: %s is not root's with mode 1733; sealpostd "
		    "sets that at start", path);
	/* never two drains at once: both would send a file */
	if (flock(d.dfd, LOCK_EX | LOCK_NB) == -1) {
		log_info("maildrop: another drain runs");
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s", c->data_dir,
	    SENDMAIL_MAILDROP_BAD) >= (int)sizeof(path))
		fatalx("maildrop: data_dir too long");
	if ((d.bfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("maildrop: %s", path);
	if (fstat(d.bfd, &st) == -1)
		fatal("maildrop: %s", path);
	if (st.st_uid != 0 || (st.st_mode & 07777) != 0700)
		fatalx("maildrop: %s is not root's with mode 0700; sealpostd "
		    "sets that at start", path);
	if ((fd = dup(d.dfd)) == -1 || (dir = fdopendir(fd)) == NULL)
		fatal("maildrop: opendir");
	if (sendmail_drain_scan(&d, dir) == -1)
		fatal("maildrop: out of memory");
	(void)closedir(dir);
	for (g = 0; g < d.nuids; g++)
		n += d.uids[g].nfiles;
	(void)signal(SIGPIPE, SIG_IGN);
	/*
	 * A few files of each owner in turn, each owner's oldest first, so
	 * one owner delays only his own mail; the first owner changes from
	 * run to run (at random), so a batch's end falls on another each time.
	 */
	first = d.nuids > 0 ? arc4random_uniform((uint32_t)d.nuids) : 0;
	for (j = 0; j < SENDMAIL_DRAIN_PER_UID; j++)
		for (k = 0; k < d.nuids; k++) {
			if (sendmail_drain_term || done >= SENDMAIL_DRAIN_BATCH)
				goto out;
			u = &d.uids[(first + k) % d.nuids];
			if (u->skip || j >= u->nents)
				continue;
			if (u->spent >= SENDMAIL_DRAIN_UID_BUDGET) {
				u->skip = 1;
				continue;
			}
			done++;
			t0 = sendmail_drain_now();
			d.uid_end = t0 + SENDMAIL_DRAIN_UID_BUDGET - u->spent;
			d.uid_out = 0;
			sendmail_drain_file(&d, &u->ents[j]);
			u->spent += sendmail_drain_now() - t0;
			/* its child ran out of time: its other files wait */
			if (d.uid_out)
				u->skip = 1;
		}
out:
	if (n > 0 || d.removed > 0 || d.bad > 0)
		log_info("maildrop: %zu sent, %zu kept, %zu refused, %zu set "
		    "aside, %zu removed%s%s", d.sent, d.kept, d.refused, d.bad,
		    d.removed, done < n ? "; more wait for the next run" : "",
		    sendmail_drain_term ? "; stopped by SIGTERM" : "");
	free(d.idx);
	free(d.uids);
	close(d.bfd);
	close(d.dfd);
	return 0;
}
