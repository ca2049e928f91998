/*
 * sendmail_maildrop.c: the maildrop of sealpost-sendmail (doc/design.md
 * §2, §6): when nothing listens on the pickup socket, the message is kept
 * in data_dir/maildrop (root's, 1733: anyone may create a file there,
 * nobody but root may list or read it) in a file of the caller's own,
 * and `sendmail -bD`, which sealpostd runs as root, submits each file
 * later as its owner through the ordinary submission path. The header is
 * sendmail_drop.c's; the file's owner, never the header, says who sent.
 * Linked by the sealpost-sendmail binary.
 */
#include "config.h"

#include <sys/file.h>
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
/* files submitted per drain run; sealpostd runs the next one in 60 s */
#define SENDMAIL_DRAIN_BATCH	100
/* names read per run, the oldest SENDMAIL_DRAIN_BATCH of them taken */
#define SENDMAIL_DRAIN_SCAN	20000
/* a submission of one file, the owner's child, at most (seconds) */
#define SENDMAIL_DRAIN_DEADLINE	120
/* a file still being written ("t" name) older than this is abandoned */
#define SENDMAIL_DRAIN_STALE	(24 * 3600)
/* what the child says (stdout and stderr), kept for the log line */
#define SENDMAIL_DRAIN_SAID	2048
/* <16 hex: microseconds>.<16 hex: random> */
#define SENDMAIL_MAILDROP_NAMELEN	33

/* Makes name[0..size) a new file name, "t" first while being written. */
static void
sendmail_maildrop_name(char *name, size_t size, int temp)
{
	struct timeval tv;
	unsigned long long us;
	int n;

	(void)gettimeofday(&tv, NULL);
	us = (unsigned long long)tv.tv_sec * 1000000ULL +
	    (unsigned long long)tv.tv_usec;
	n = snprintf(name, size, "%s%016llx.%08x%08x", temp ? "t" : "", us,
	    arc4random(), arc4random());
	if (n < 0 || (size_t)n >= size)
		name[0] = '\0';
}

/* Whether name is a finished maildrop file's name. */
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
	char dir[CONF_PATH_MAX], tmp[CONF_PATH_MAX], final[CONF_PATH_MAX];
	char name[64];
	struct buf hdr;
	int fd, dfd, n, saved;

	n = snprintf(dir, sizeof(dir), "%s/%s", c->data_dir,
	    SENDMAIL_MAILDROP_DIR);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		(void)snprintf(why, whylen, "data_dir too long");
		return -1;
	}
	buf_init(&hdr, SENDMAIL_DROP_HDR_MAX);
	if (sendmail_drop_write(&hdr, o, when) == -1) {
		(void)snprintf(why, whylen, "the command line cannot be "
		    "kept (a control character, or too long)");
		buf_free(&hdr);
		return -1;
	}
	sendmail_maildrop_name(name, sizeof(name), 1);
	n = snprintf(tmp, sizeof(tmp), "%s/%s", dir, name);
	if (name[0] == '\0' || n < 0 || (size_t)n >= sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/%s", dir, name + 1) >=
	    (int)sizeof(final)) {
		(void)snprintf(why, whylen, "data_dir too long");
		buf_free(&hdr);
		return -1;
	}
	/* the caller's own file: nobody else may read it (doc/design.md §6) */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (fd == -1) {
		buf_free(&hdr);
		return sendmail_maildrop_why(why, whylen, "cannot create a file "
		    "in", dir);
	}
	if (fchmod(fd, 0600) == -1 || pickup_write(fd, hdr.data,
	    hdr.len) == -1 || pickup_write(fd, in, len) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		errno = saved;
		buf_free(&hdr);
		return sendmail_maildrop_why(why, whylen, "cannot write", tmp);
	}
	buf_free(&hdr);
	/* finished: only now may the drain take it */
	if (rename(tmp, final) == -1) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return sendmail_maildrop_why(why, whylen, "cannot rename", tmp);
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

struct sendmail_drain {
	struct conf	*c;
	int		 dfd;		/* data_dir/maildrop */
	int		 bfd;		/* data_dir/maildrop-bad */
	size_t		 sent, kept, refused, bad;
};

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
 * Moves name aside into maildrop-bad under a new name (the admin's to
 * look at; never followed, never read), or removes it when that fails.
 * Logs the file's line with result.
 */
static void
sendmail_drain_bad(struct sendmail_drain *d, const char *name, long uid,
    const char *user, const char *result, const char *reason)
{
	char to[64], moved[96];

	sendmail_maildrop_name(to, sizeof(to), 0);
	if (to[0] != '\0' && renameat(d->dfd, name, d->bfd, to) == 0) {
		(void)snprintf(moved, sizeof(moved), "%s/%s",
		    SENDMAIL_MAILDROP_BAD, to);
		sendmail_drain_log(name, uid, user, result, NULL, reason,
		    moved);
	} else if (unlinkat(d->dfd, name, 0) == 0 ||
	    (errno == EISDIR && unlinkat(d->dfd, name, AT_REMOVEDIR) == 0)) {
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
 * In the owner's child: gives up root for pw (its groups, gid and uid,
 * checked), then reads the file, parses its header and submits it as a
 * sendmail call by that user would. Never returns.
 */
static void
sendmail_drain_child(const struct sendmail_drain *d, int fd,
    const struct passwd *pw)
{
	struct sendmail_opts o;
	struct sendmail_drop *h;
	struct sendmail_result res;
	struct buf in;
	char err[256], **rcpt;
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
	buf_init(&in, d->c->message_size_limit + SENDMAIL_INPUT_SLACK +
	    SENDMAIL_DROP_HDR_MAX);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (rcpt = calloc(SENDMAIL_RCPT_MAX + 1, sizeof(*rcpt))) == NULL) {
		fprintf(stderr, "out of memory\n");
		_exit(EX_OSERR);
	}
	if (buf_read_fd(&in, fd) == -1) {
		fprintf(stderr, "reading the file: %s\n", errno == ENOBUFS ?
		    "larger than message_size_limit" : strerror(errno));
		_exit(errno == ENOBUFS ? EX_DATAERR : EX_IOERR);
	}
	if (sendmail_drop_parse(in.data, in.len, h, &hlen, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "malformed header: %s\n", err);
		_exit(EX_DATAERR);
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
	    h->time, 1, &res);
	if (ex == SENDMAIL_NODAEMON) {
		fprintf(stderr, "sealpostd does not accept mail at %s: %s\n",
		    res.path, strerror(res.conn_errno));
		_exit(EX_TEMPFAIL);
	}
	if (ex == 0)
		printf("%s\n", res.reply);
	(void)fflush(stdout);
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

/*
 * Runs the owner's child for the open file fd and waits for it, at most
 * SENDMAIL_DRAIN_DEADLINE seconds (the owner may stop it: it is the
 * owner's process). Returns its exit code, or -1 when it was killed, ran
 * out of time or could not run; what it said in said[0..size), size at
 * most SENDMAIL_DRAIN_SAID.
 */
static int
sendmail_drain_run(const struct sendmail_drain *d, int fd,
    const struct passwd *pw, char *said, size_t size)
{
	char raw[SENDMAIL_DRAIN_SAID];
	struct pollfd pfd;
	pid_t pid;
	time_t end = time(NULL) + SENDMAIL_DRAIN_DEADLINE;
	size_t n = 0;
	ssize_t r;
	int p[2], status, devnull, left;

	said[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1) {
		(void)snprintf(said, size, "pipe: %s", strerror(errno));
		return -1;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == -1) {
		(void)snprintf(said, size, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
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
		sendmail_drain_child(d, 3, pw);
	}
	close(p[1]);
	for (;;) {
		left = (int)(end - time(NULL));
		if (left <= 0) {
			(void)kill(pid, SIGKILL);
			(void)snprintf(said + n, size - n, "%stook longer than "
			    "%d s", n > 0 ? "; " : "", SENDMAIL_DRAIN_DEADLINE);
			n = strlen(said);
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left * 1000) == -1) {
			if (errno == EINTR)
				continue;
			(void)kill(pid, SIGKILL);
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (n + 1 < size)
			r = read(p[0], said + n, size - 1 - n);
		else {
			char sink[512];

			r = read(p[0], sink, sizeof(sink));
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < size)
			n += (size_t)r;
	}
	close(p[0]);
	said[n] = '\0';
	memcpy(raw, said, n + 1);
	sendmail_drain_said(raw, n, said, size);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
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
	p[strcspn(p, " \t")] = '\0';
	return p;
}

/* One file of the maildrop. */
static void
sendmail_drain_file(struct sendmail_drain *d, const char *name)
{
	char said[SENDMAIL_DRAIN_SAID];
	struct stat st, now;
	struct passwd *pw;
	const char *id;
	char user[64];
	int fd, ex;

	if (!sendmail_maildrop_name_ok(name)) {
		sendmail_drain_bad(d, name, -1, NULL, "bad", "not a maildrop "
		    "file name");
		return;
	}
	/* never follow a link; a FIFO must not block the open */
	fd = openat(d->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return;		/* its owner took it back */
		sendmail_drain_bad(d, name, -1, NULL, "bad", errno == ELOOP ?
		    "a symbolic link" : strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("maildrop: %s: fstat", name);
		close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		sendmail_drain_bad(d, name, (long)st.st_uid, NULL, "bad",
		    "not a regular file");
		return;
	}
	if (st.st_nlink != 1) {
		close(fd);
		sendmail_drain_bad(d, name, (long)st.st_uid, NULL, "bad",
		    "more than one link");
		return;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)
	    d->c->message_size_limit + SENDMAIL_INPUT_SLACK +
	    SENDMAIL_DROP_HDR_MAX) {
		close(fd);
		sendmail_drain_bad(d, name, (long)st.st_uid, NULL, "bad",
		    "larger than message_size_limit");
		return;
	}
	if ((pw = getpwuid(st.st_uid)) == NULL) {
		close(fd);
		sendmail_drain_bad(d, name, (long)st.st_uid, NULL, "bad",
		    "its owner has no passwd entry");
		return;
	}
	/* getpwuid's storage is overwritten by later calls */
	(void)strlcpy(user, pw->pw_name, sizeof(user));
	ex = sendmail_drain_run(d, fd, pw, said, sizeof(said));
	close(fd);
	switch (ex) {
	case 0:
		/* the same file still, not one its owner put there since */
		if (fstatat(d->dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
		    unlinkat(d->dfd, name, 0) == -1)
			log_warn("maildrop: %s: unlink", name);
		id = sendmail_drain_id(said);
		sendmail_drain_log(name, (long)st.st_uid, user, "sent", id,
		    NULL, NULL);
		d->sent++;
		break;
	case EX_USAGE:
	case EX_DATAERR:
	case EX_NOUSER:
		/* refused for good: for the admin, as a direct call's 5xx */
		sendmail_drain_bad(d, name, (long)st.st_uid, user, "refused",
		    said[0] != '\0' ? said : "refused");
		break;
	default:
		/* 4xx, no daemon, a lost connection, killed: next pass */
		sendmail_drain_log(name, (long)st.st_uid, user, "kept", NULL,
		    said[0] != '\0' ? said : ex == -1 ? "the submission did "
		    "not finish" : "temporary failure", NULL);
		d->kept++;
		break;
	}
}

/* Orders names oldest first: the names begin with the time. */
static int
sendmail_drain_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A "t" file (being written) so old that its writer is gone. */
static int
sendmail_drain_stale(const struct sendmail_drain *d, const char *name)
{
	struct stat st;

	if (name[0] != 't' || !sendmail_maildrop_name_ok(name + 1))
		return 0;
	if (fstatat(d->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return st.st_mtime + SENDMAIL_DRAIN_STALE < time(NULL);
}

int
sendmail_maildrop_drain(const struct sendmail_opts *o, struct conf *c)
{
	struct sendmail_drain d;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	char path[CONF_PATH_MAX], **names;
	size_t n = 0, i;
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
	if ((fd = dup(d.dfd)) == -1 || (dir = fdopendir(fd)) == NULL)
		fatal("maildrop: opendir");
	if ((names = calloc(SENDMAIL_DRAIN_SCAN, sizeof(*names))) == NULL)
		fatal("maildrop: calloc");
	while (n < SENDMAIL_DRAIN_SCAN && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		/* being written: its writer renames it when done */
		if (de->d_name[0] == 't' &&
		    sendmail_maildrop_name_ok(de->d_name + 1) &&
		    !sendmail_drain_stale(&d, de->d_name))
			continue;
		if ((names[n] = strdup(de->d_name)) == NULL)
			fatal("maildrop: strdup");
		n++;
	}
	(void)closedir(dir);
	qsort(names, n, sizeof(*names), sendmail_drain_cmp);
	(void)signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < n; i++) {
		if (i < SENDMAIL_DRAIN_BATCH) {
			if (names[i][0] == 't')
				sendmail_drain_bad(&d, names[i], -1, NULL,
				    "bad", "abandoned while being written");
			else
				sendmail_drain_file(&d, names[i]);
		}
		free(names[i]);
	}
	free(names);
	if (n > 0)
		log_info("maildrop: %zu sent, %zu kept, %zu refused, %zu set "
		    "aside%s", d.sent, d.kept, d.refused, d.bad,
		    n > SENDMAIL_DRAIN_BATCH ? "; more wait for the next run" :
		    "");
	close(d.bfd);
	close(d.dfd);
	return 0;
}
