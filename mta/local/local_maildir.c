/*
 * local_maildir.c: one delivery into a Maildir (cr.yp.to/proto/maildir
 * format, Maildir++ names), run by the local process after it became
 * the recipient (doc/design.md §2); see local_maildir.h. The pure parts
 * (the errno table, the name, CRLF to LF) come first and are
 * unit-tested on their own; the file system part follows the maildir
 * protocol: tmp/ with O_EXCL, fsync, link into new/, fsync of new/, so
 * that a message is in new/ whole or not at all (doc/design.md §1.2,
 * §1.7: a failure defers, the queue keeps the message and retries).
 * Linked by local and its unit tests.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local_maildir.h"

/* ---- pure: the errno table ---- */

struct local_maildir_err {
	int		 err;
	int		 rc;		/* LOCAL_MAILDIR_DEFER or _BOUNCE */
	int		 code;
	const char	*dsn;
	const char	*note;		/* said after strerror, or "" */
};

/*
 * Only what no retry can mend bounces: the mailbox's path is a symlink
 * or not a directory. Everything else, the unknown included, defers:
 * the queue keeps the message, retries and bounces it only at
 * queue_lifetime (doc/design.md §12), so an administrator's mistake
 * (permissions, a read-only mount, a full disk) costs time, not mail.
 */
static const struct local_maildir_err local_maildir_errs[] = {
	{ ELOOP, LOCAL_MAILDIR_BOUNCE, 550, "5.2.0",
	    " (a symbolic link: not followed)" },
	{ ENOTDIR, LOCAL_MAILDIR_BOUNCE, 550, "5.2.0",
	    " (the mailbox path must be directories)" },
	{ EDQUOT, LOCAL_MAILDIR_DEFER, 452, "4.2.2", " (mailbox full)" },
	{ EFBIG, LOCAL_MAILDIR_DEFER, 452, "4.2.2", " (mailbox full)" },
	{ ENOSPC, LOCAL_MAILDIR_DEFER, 452, "4.3.1", " (file system full)" },
};

int
local_maildir_errno(int err, const char *what, struct reason *why)
{
	size_t i;

	for (i = 0; i < sizeof(local_maildir_errs) /
	    sizeof(local_maildir_errs[0]); i++) {
		if (local_maildir_errs[i].err != err)
			continue;
		(void)reason_set(why, local_maildir_errs[i].code,
		    local_maildir_errs[i].dsn, "%s: %s%s", what, strerror(err),
		    local_maildir_errs[i].note);
		return local_maildir_errs[i].rc;
	}
	(void)reason_set(why, 451, "4.3.0", "%s: %s", what, strerror(err));
	return LOCAL_MAILDIR_DEFER;
}

/* ---- pure: the name ---- */

int
local_maildir_name(char *out, size_t size, int64_t sec, long usec,
    pid_t pid, unsigned long seq, const char *host)
{
	const unsigned char *h;
	size_t n;
	int r;

	r = snprintf(out, size, "%lld.M%06ldP%ldQ%lu.", (long long)sec, usec,
	    (long)pid, seq);
	if (r < 0 || (size_t)r >= size)
		return -1;
	n = (size_t)r;
	if (host == NULL || host[0] == '\0')
		host = "localhost";
	for (h = (const unsigned char *)host; *h != '\0'; h++) {
		if (*h == '/' || *h == ':' || *h == '\\' || *h <= 0x20 ||
		    *h >= 0x7f) {
			/* the Maildir++ escapes: "/" is \057, ":" is \072 */
			if (n + 4 >= size)
				return -1;
			r = snprintf(out + n, size - n, "\\%03o", *h);
			if (r != 4)
				return -1;
			n += 4;
		} else {
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)*h;
		}
	}
	out[n] = '\0';
	return (int)n;
}

/* ---- pure: CRLF to LF ---- */

void
local_maildir_lf_init(struct local_maildir_lf *c)
{
	c->cr = 0;
}

size_t
local_maildir_lf_conv(struct local_maildir_lf *c, const char *in, size_t len,
    char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (c->cr) {
			c->cr = 0;
			if (in[i] != '\n')
				out[n++] = '\r';	/* a lone CR stays */
		}
		if (in[i] == '\r')
			c->cr = 1;
		else
			out[n++] = in[i];
	}
	return n;
}

size_t
local_maildir_lf_end(struct local_maildir_lf *c, char *out)
{
	if (!c->cr)
		return 0;
	c->cr = 0;
	out[0] = '\r';
	return 1;
}

/* ---- the file system ---- */

#define LOCAL_MAILDIR_CHUNK	32768
#define LOCAL_MAILDIR_TRIES	8	/* names tried when one exists */

/*
 * Maildir++'s Q<n>: deliveries begun by this process. It is the one
 * piece of mutable state outside the configuration (doc/design.md §1.6),
 * and only makes names unique within a microsecond of one process.
 */
static unsigned long local_maildir_seq;

/*
 * Opens the directory name below at without following a symlink, and
 * makes it (0700, then flushes at) when it does not exist. Returns the
 * descriptor, or -1 with errno set.
 */
static int
local_maildir_dir(int at, const char *name)
{
	int fd, save;
	struct stat st;

	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOTDIR &&
	    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		/* O_DIRECTORY says ENOTDIR for a symlink: say what it is */
		errno = ELOOP;
		return -1;
	}
	if (fd != -1 || errno != ENOENT)
		return fd;
	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	/* the new directory's entry must survive a crash too */
	if (fsync(at) == -1) {
		save = errno;
		(void)close(fd);
		errno = save;
		return -1;
	}
	return fd;
}

/*
 * Opens maildir's own directory below home, component by component.
 * Returns the descriptor, or -1 with why filled.
 */
static int
local_maildir_walk(int home, const char *maildir, struct reason *why)
{
	char path[LOCAL_MAILDIR_PATH_MAX], *p, *slash;
	int at = home, fd;
	size_t len;

	len = strlen(maildir);
	while (len > 0 && maildir[len - 1] == '/')
		len--;			/* "Maildir/" as Postfix writes it */
	if (len == 0 || maildir[0] == '/' || len >= sizeof(path)) {
		(void)reason_set(why, 451, "4.3.0", "maildir path \"%s\" is "
		    "not a relative path", len >= sizeof(path) ? "..." :
		    maildir);
		return -1;
	}
	memcpy(path, maildir, len);
	path[len] = '\0';
	for (p = path; p != NULL; p = slash) {
		slash = strchr(p, '/');
		if (slash != NULL)
			*slash++ = '\0';
		if (p[0] == '\0' || strcmp(p, ".") == 0 ||
		    strcmp(p, "..") == 0) {
			(void)reason_set(why, 451, "4.3.0", "maildir path "
			    "\"%s\" has an empty, . or .. component",
			    maildir);
			if (at != home)
				(void)close(at);
			return -1;
		}
		fd = local_maildir_dir(at, p);
		if (fd == -1) {
			int save = errno;

			if (at != home)
				(void)close(at);
			(void)local_maildir_errno(save, maildir, why);
			return -1;
		}
		if (at != home)
			(void)close(at);
		at = fd;
	}
	return at;
}

/* Writes all of buf; -1 with errno set. */
static int
local_maildir_write(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * The prepend and the content, CRLF to LF, into fd; *size gets the
 * octets written. Returns 0, or -1 with errno set and *step naming the
 * side that failed.
 */
static int
local_maildir_copy(int fd, int content_fd, const char *prepend,
    uint64_t *size, const char **step)
{
	char in[LOCAL_MAILDIR_CHUNK], out[LOCAL_MAILDIR_CHUNK + 1];
	struct local_maildir_lf lf;
	size_t n, plen;
	off_t off = 0;
	ssize_t r;

	*size = 0;
	local_maildir_lf_init(&lf);
	plen = prepend != NULL ? strlen(prepend) : 0;
	while (plen > 0) {
		r = plen > LOCAL_MAILDIR_CHUNK ? LOCAL_MAILDIR_CHUNK :
		    (ssize_t)plen;
		n = local_maildir_lf_conv(&lf, prepend, (size_t)r, out);
		*step = "write";
		if (local_maildir_write(fd, out, n) == -1)
			return -1;
		*size += n;
		prepend += r;
		plen -= (size_t)r;
	}
	for (;;) {
		r = pread(content_fd, in, sizeof(in), off);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			*step = "read the message content";
			return -1;
		}
		if (r == 0)
			break;
		off += r;
		n = local_maildir_lf_conv(&lf, in, (size_t)r, out);
		*step = "write";
		if (local_maildir_write(fd, out, n) == -1)
			return -1;
		*size += n;
	}
	n = local_maildir_lf_end(&lf, out);
	*step = "write";
	if (n > 0 && local_maildir_write(fd, out, n) == -1)
		return -1;
	*size += n;
	return 0;
}

/*
 * Moves tmp/base to new/final: link and unlink, or a rename where the
 * file system has no hard links (the name is unique, so nothing is
 * replaced). Returns 0 or -1 with errno set.
 */
static int
local_maildir_move(int tmpfd, const char *base, int newfd, const char *final)
{
	struct stat st;

	if (linkat(tmpfd, base, newfd, final, 0) == 0) {
		/* a stale tmp file is harmless; new/ holds the message */
		(void)unlinkat(tmpfd, base, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	if (fstatat(newfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(tmpfd, base, newfd, final);
}

int
local_maildir_deliver(int dirfd_home, const char *maildir, int content_fd,
    const char *prepend, const char *hostname, struct reason *why,
    char *name_out, size_t name_size)
{
	char base[LOCAL_MAILDIR_NAME_MAX], final[LOCAL_MAILDIR_NAME_MAX];
	char what[LOCAL_MAILDIR_PATH_MAX + LOCAL_MAILDIR_NAME_MAX + 16];
	const char *step = "write";
	struct timespec ts;
	uint64_t size;
	int md = -1, tmpfd = -1, newfd = -1, curfd = -1, fd = -1;
	int rc = LOCAL_MAILDIR_DEFER, save, tries, r;

	if (name_out != NULL && name_size > 0)
		name_out[0] = '\0';
	base[0] = '\0';
	if ((md = local_maildir_walk(dirfd_home, maildir, why)) == -1)
		return why != NULL && why->code >= 500 ?
		    LOCAL_MAILDIR_BOUNCE : LOCAL_MAILDIR_DEFER;
	if ((tmpfd = local_maildir_dir(md, "tmp")) == -1 ||
	    (newfd = local_maildir_dir(md, "new")) == -1 ||
	    (curfd = local_maildir_dir(md, "cur")) == -1) {
		save = errno;
		(void)snprintf(what, sizeof(what), "%s/%s", maildir,
		    tmpfd == -1 ? "tmp" : newfd == -1 ? "new" : "cur");
		rc = local_maildir_errno(save, what, why);
		goto out;
	}

	/* tmp/NAME, a new name while one exists (O_EXCL) */
	for (tries = 0; ; tries++) {
		if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
			ts.tv_sec = time(NULL);
			ts.tv_nsec = 0;
		}
		if (local_maildir_name(base, sizeof(base), (int64_t)ts.tv_sec,
		    ts.tv_nsec / 1000, getpid(), ++local_maildir_seq,
		    hostname) == -1) {
			base[0] = '\0';
			(void)reason_set(why, 451, "4.3.0",
			    "host name too long for a maildir file name");
			goto out;
		}
		fd = openat(tmpfd, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1)
			break;
		save = errno;
		base[0] = '\0';		/* not ours: never removed */
		if (save != EEXIST || tries + 1 >= LOCAL_MAILDIR_TRIES) {
			(void)snprintf(what, sizeof(what),
			    "create %s/tmp/ file", maildir);
			rc = local_maildir_errno(save, what, why);
			goto out;
		}
	}
	(void)snprintf(what, sizeof(what), "%s/tmp/%s", maildir, base);

	if (local_maildir_copy(fd, content_fd, prepend, &size, &step) == -1 ||
	    (step = "fsync", fsync(fd) == -1)) {
		save = errno;
		(void)snprintf(what, sizeof(what), "%s %s/tmp/%s", step,
		    maildir, base);
		rc = local_maildir_errno(save, what, why);
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r == -1) {
		save = errno;
		(void)snprintf(what, sizeof(what), "close %s/tmp/%s", maildir,
		    base);
		rc = local_maildir_errno(save, what, why);
		goto out;
	}

	r = snprintf(final, sizeof(final), "%s,S=%llu", base,
	    (unsigned long long)size);
	if (r < 0 || (size_t)r >= sizeof(final)) {
		(void)reason_set(why, 451, "4.3.0",
		    "maildir file name too long");
		goto out;
	}
	if (local_maildir_move(tmpfd, base, newfd, final) == -1) {
		save = errno;
		(void)snprintf(what, sizeof(what), "link %s/tmp/%s into new/",
		    maildir, base);
		rc = local_maildir_errno(save, what, why);
		goto out;
	}
	if (fsync(newfd) == -1) {
		save = errno;
		(void)snprintf(what, sizeof(what), "fsync %s/new", maildir);
		rc = local_maildir_errno(save, what, why);
		/*
		 * Not known to be durable: take it back, the queue delivers
		 * again (a reader that took it already sees it twice,
		 * never none, doc/design.md §1.7).
		 */
		(void)unlinkat(newfd, final, 0);
		goto out;
	}
	/* the removal from tmp/ is housekeeping: its flush may fail */
	(void)fsync(tmpfd);
	base[0] = '\0';
	rc = LOCAL_MAILDIR_OK;
	if (name_out != NULL && name_size > 0 &&
	    strlcpy(name_out, final, name_size) >= name_size)
		name_out[0] = '\0';
out:
	if (fd != -1)
		(void)close(fd);
	/* after the link the tmp name is gone already, or stale */
	if (rc != LOCAL_MAILDIR_OK && base[0] != '\0' && tmpfd != -1)
		(void)unlinkat(tmpfd, base, 0);
	if (curfd != -1)
		(void)close(curfd);
	if (newfd != -1)
		(void)close(newfd);
	if (tmpfd != -1)
		(void)close(tmpfd);
	if (md != -1)
		(void)close(md);
	return rc;
}
