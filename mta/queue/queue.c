/*
 * queue.c: the spool of the queue process (doc/design.md §7): its directories,
 * start-up recovery, the free-space check, moving unreadable files to
 * corrupt/ (see queue.h). Every path is relative to a directory fd of the
 * spool, no symlink is followed and every name is validated with
 * envelope_id_valid() before it is used. Linked by the queue binary.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/log.h"
#include "queue.h"

#define QUEUE_CORRUPT_TRIES	100	/* name, name.1 .. name.99 */

/* The spool's subdirectories, relative to spool_dir (queue.h). */
static const char *const queue_subdirs[] = { "incoming", "queue",
    "corrupt" };

void
queue_spool_prepare(const struct conf *c)
{
	struct passwd *pw;
	struct stat st;
	uid_t uid = getuid();
	gid_t gid = getgid();
	size_t i;
	int fd;

	if (!c->devmode) {
		if ((pw = getpwnam(c->queue_user)) == NULL)
			fatalx("queue: unknown user %s", c->queue_user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if ((fd = open(c->spool_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("queue: spool_dir %s", c->spool_dir);
	for (i = 0; i < sizeof(queue_subdirs) / sizeof(queue_subdirs[0]); i++) {
		const char *n = queue_subdirs[i];

		if (mkdirat(fd, n, 0700) == -1 && errno != EEXIST)
			fatal("queue: mkdir %s/%s", c->spool_dir, n);
		if (fstatat(fd, n, &st, AT_SYMLINK_NOFOLLOW) == -1)
			fatal("queue: %s/%s", c->spool_dir, n);
		if (!S_ISDIR(st.st_mode))
			fatalx("queue: %s/%s exists and is not a directory",
			    c->spool_dir, n);
		/* the spool's safety depends on these: correct and say so */
		if (st.st_uid != uid || st.st_gid != gid) {
			if (fchownat(fd, n, uid, gid,
			    AT_SYMLINK_NOFOLLOW) == -1)
				fatal("queue: chown %s/%s", c->spool_dir, n);
			log_warnx("queue: %s/%s: owner changed from uid %ld to "
			    "%ld", c->spool_dir, n, (long)st.st_uid, (long)uid);
		}
		if ((st.st_mode & 07777) != 0700 &&
		    fchmodat(fd, n, 0700, 0) == -1)
			fatal("queue: chmod %s/%s", c->spool_dir, n);
	}
	close(fd);
}

static int
queue_opendir(int atfd, const char *name)
{
	int fd;

	fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		fatal("queue: spool directory %s", name);
	return fd;
}

void
queue_spool_open(struct queue *q, const struct conf *conf, struct loop *l)
{
	q->conf = conf;
	q->loop = l;
	q->spool_fd = queue_opendir(AT_FDCWD, ".");
	q->incoming_fd = queue_opendir(q->spool_fd, queue_subdirs[0]);
	q->queue_fd = queue_opendir(q->spool_fd, queue_subdirs[1]);
	q->corrupt_fd = queue_opendir(q->spool_fd, queue_subdirs[2]);
}

int
queue_env_name(char *buf, size_t size, const char *id)
{
	int n;

	if (!envelope_id_valid(id, strnlen(id, ENVELOPE_ID_MAX + 1)))
		return -1;
	n = snprintf(buf, size, "%s%s", id, QUEUE_ENV_SUFFIX);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
queue_hist_name(char *buf, size_t size, const char *id)
{
	int n;

	if (!envelope_id_valid(id, strnlen(id, ENVELOPE_ID_MAX + 1)))
		return -1;
	n = snprintf(buf, size, "%s%s", id, QUEUE_HIST_SUFFIX);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* name, escaped for a log line, into buf. */
static const char *
queue_esc(char *buf, size_t size, const char *name)
{
	(void)log_escape(buf, size, name, strlen(name));
	return buf;
}

/* renameat2(RENAME_NOREPLACE) where glibc has it (2.28 and later). */
static int
queue_rename_noreplace(int fromfd, const char *from, int tofd,
    const char *to)
{
#if defined(RENAME_NOREPLACE)
	return renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE);
#else
	(void)fromfd; (void)from; (void)tofd; (void)to;
	errno = ENOSYS;
	return -1;
#endif
}

/* Renames from (in fromfd) to to (in tofd), never replacing a file. */
static int
queue_rename2(int fromfd, const char *from, int tofd, const char *to)
{
	struct stat st;

	if (queue_rename_noreplace(fromfd, from, tofd, to) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/*
	 * The file system cannot refuse to replace: check first. Only this
	 * process writes the spool, so nothing can appear in between.
	 */
	if (fstatat(tofd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return renameat(fromfd, from, tofd, to);
}

int
queue_rename(int fromfd, int tofd, const char *name)
{
	return queue_rename2(fromfd, name, tofd, name);
}

int
queue_corrupt(struct queue *q, int dirfd, const char *dirname,
    const char *name, const char *why)
{
	char to[NAME_MAX + 1], esc[4 * NAME_MAX + 8], escto[4 * NAME_MAX + 8];
	char escwhy[1024];
	int i, n;

	(void)queue_esc(esc, sizeof(esc), name);
	(void)log_escape(escwhy, sizeof(escwhy), why, strlen(why));
	for (i = 0; i < QUEUE_CORRUPT_TRIES; i++) {
		if (i == 0)
			n = snprintf(to, sizeof(to), "%s", name);
		else
			n = snprintf(to, sizeof(to), "%s.%d", name, i);
		if (n < 0 || (size_t)n >= sizeof(to))
			break;
		if (queue_rename2(dirfd, name, q->corrupt_fd, to) == 0) {
			log_warnx("queue: moved %s/%s to corrupt/%s: %s",
			    dirname, esc, queue_esc(escto, sizeof(escto), to),
			    escwhy);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	log_warn("queue: cannot move %s/%s to corrupt/ (%s)", dirname, esc,
	    escwhy);
	return -1;
}

static int
queue_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
queue_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * The names in directory dirfd except . and .., sorted, so that a content
 * file comes right before its envelope. The caller frees them with
 * queue_names_free. Returns 0, or -1 with errno.
 */
static int
queue_names(int dirfd, char ***out, size_t *nout)
{
	struct dirent *de;
	DIR *d;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0;
	int fd, saved;

	*out = NULL;
	*nout = 0;
	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nn = reallocarray(names, cap, sizeof(*nn))) == NULL)
				goto fail;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), queue_name_cmp);
	*out = names;
	*nout = n;
	return 0;
fail:
	saved = errno;
	closedir(d);
	queue_names_free(names, n);
	errno = saved;
	return -1;
}

/* Removes everything in incoming/: no message there was acknowledged. */
static void
queue_purge_incoming(struct queue *q)
{
	char **names, esc[4 * NAME_MAX + 8];
	size_t n, i, removed = 0, moved = 0;

	if (queue_names(q->incoming_fd, &names, &n) == -1)
		fatal("queue: read incoming/");
	for (i = 0; i < n; i++) {
		if (unlinkat(q->incoming_fd, names[i], 0) == 0) {
			removed++;
			continue;
		}
		if (errno == EISDIR || errno == EPERM) {
			/* a directory: not ours, so keep it aside */
			if (queue_corrupt(q, q->incoming_fd, "incoming",
			    names[i], "not a regular file") == 0)
				moved++;
			continue;
		}
		log_warn("queue: cannot remove incoming/%s",
		    queue_esc(esc, sizeof(esc), names[i]));
	}
	queue_names_free(names, n);
	if (removed > 0 || moved > 0)
		log_info("queue: removed %zu unfinished file%s from incoming/",
		    removed, removed == 1 ? "" : "s");
	else
		log_debug("queue: incoming/ is empty");
}

int
queue_transient(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == EAGAIN ||
	    e == EINTR;
}

int
queue_env_read(struct queue *q, const char *id, struct envelope *env,
    char *why, size_t whysize)
{
	char envname[QUEUE_NAME_MAX];
	struct reason r;
	struct stat st, cst;
	char *text = NULL;
	size_t len = 0;
	ssize_t got;
	int fd, rv = -1;

	envelope_init(env);
	if (queue_env_name(envname, sizeof(envname), id) == -1) {
		(void)snprintf(why, whysize, "not a queue id");
		return -1;
	}
	fd = openat(q->queue_fd, envname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int e = errno;

		(void)snprintf(why, whysize, "cannot open: %s", strerror(e));
		/* out of descriptors or memory says nothing about the file */
		if (queue_transient(e))
			rv = -2;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > QUEUE_ENV_MAX) {
		(void)snprintf(why, whysize, "%s", S_ISREG(st.st_mode) ?
		    "envelope too large" : "envelope is not a regular file");
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("queue: envelope %s", id);
	while (len < (size_t)st.st_size + 1) {
		got = read(fd, text + len, (size_t)st.st_size + 1 - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			(void)snprintf(why, whysize, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (envelope_parse(text, len, env, &r) == -1) {
		(void)snprintf(why, whysize, "unreadable envelope: %s", r.text);
		goto out;
	}
	if (strcmp(env->id, id) != 0)
		(void)snprintf(why, whysize, "envelope names another id");
	else if (fstatat(q->queue_fd, id, &cst, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(cst.st_mode))
		(void)snprintf(why, whysize, "content is not a regular file");
	else if ((uint64_t)cst.st_size != env->size)
		(void)snprintf(why, whysize, "content has %lld octets, the "
		    "envelope says %llu", (long long)cst.st_size,
		    (unsigned long long)env->size);
	else
		rv = 0;
	if (rv == -1)
		envelope_free(env);
out:
	free(text);
	if (fd != -1)
		close(fd);
	return rv;
}

/* One name of queue/ (see queue_recover). Returns 1 for a valid message. */
static int
queue_recover_one(struct queue *q, const char *name)
{
	char id[ENVELOPE_ID_MAX + 1], envname[QUEUE_NAME_MAX], why[512];
	char esc[4 * NAME_MAX + 8];
	struct envelope env;
	struct stat st;
	size_t len = strlen(name), idlen = len, sl = strlen(QUEUE_ENV_SUFFIX);
	size_t hl = strlen(QUEUE_HIST_SUFFIX);
	int is_env = 0;

	if (fstatat(q->queue_fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)	/* gone: moved with its envelope */
			log_warn("queue: stat queue/%s",
			    queue_esc(esc, sizeof(esc), name));
		return 0;
	}
	if (len > sl && strcmp(name + len - sl, QUEUE_ENV_SUFFIX) == 0) {
		is_env = 1;
		idlen = len - sl;
	} else if (len > hl && strcmp(name + len - hl, QUEUE_HIST_SUFFIX) ==
	    0 && envelope_id_valid(name, len - hl)) {
		/* a message's history: it stays with its envelope */
		memcpy(id, name, len - hl);
		id[len - hl] = '\0';
		if (queue_env_name(envname, sizeof(envname), id) == -1)
			fatalx("queue: envelope name of %s", id);
		if (fstatat(q->queue_fd, envname, &st, AT_SYMLINK_NOFOLLOW)
		    == 0 || errno != ENOENT)
			return 0;
		/* left by a crash between the removals (doc/design.md §12) */
		if (unlinkat(q->queue_fd, name, 0) == -1)
			log_warn("queue: cannot remove queue/%s", name);
		return 0;
	}
	if (!envelope_id_valid(name, idlen)) {
		(void)queue_corrupt(q, q->queue_fd, "queue", name,
		    "not a queue file name");
		return 0;
	}
	memcpy(id, name, idlen);
	id[idlen] = '\0';
	if (queue_env_name(envname, sizeof(envname), id) == -1)
		fatalx("queue: envelope name of %s", id);
	if (!is_env) {
		if (fstatat(q->queue_fd, envname, &st, AT_SYMLINK_NOFOLLOW)
		    == 0)
			return 0;	/* checked with its envelope */
		if (errno != ENOENT) {
			log_warn("queue: stat queue/%s", envname);
			return 0;
		}
		if (fstatat(q->queue_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode)) {
			(void)queue_corrupt(q, q->queue_fd, "queue", id,
			    "not a regular file");
			return 0;
		}
		/* no commit record: the message was never acknowledged */
		if (unlinkat(q->queue_fd, id, 0) == -1)
			log_warn("queue: cannot remove queue/%s", id);
		else
			log_info("queue: removed unacknowledged message %s",
			    id);
		return 0;
	}
	if (fstatat(q->queue_fd, id, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT) {
			log_warn("queue: stat queue/%s", id);
			return 0;
		}
		(void)queue_corrupt(q, q->queue_fd, "queue", envname,
		    "envelope without content");
		return 0;
	}
	switch (queue_env_read(q, id, &env, why, sizeof(why))) {
	case 0:
		queue_run_add(q, &env);
		envelope_free(&env);
		return 1;
	case -2:
		/* read again when its turn comes */
		log_warnx("queue: %s: %s; trying later", id, why);
		queue_run_committed(q, id, NULL);
		return 1;
	}
	/* envelope first: without it the content is not a message */
	if (queue_corrupt(q, q->queue_fd, "queue", envname, why) == 0)
		(void)queue_corrupt(q, q->queue_fd, "queue", id, why);
	return 0;
}

size_t
queue_recover(struct queue *q)
{
	char **names;
	size_t n, i, count = 0;

	queue_purge_incoming(q);
	if (queue_names(q->queue_fd, &names, &n) == -1)
		fatal("queue: read queue/");
	for (i = 0; i < n; i++)
		count += (size_t)queue_recover_one(q, names[i]);
	queue_names_free(names, n);
	/* make the clean-up itself durable before new messages arrive */
	if (fsync(q->queue_fd) == -1 || fsync(q->incoming_fd) == -1 ||
	    fsync(q->corrupt_fd) == -1)
		fatal("queue: fsync spool directories");
	log_info("queue: %zu message%s in the queue", count,
	    count == 1 ? "" : "s");
	return count;
}

int
queue_space(struct queue *q)
{
	struct statvfs sv;
	uint64_t now = loop_now_ms(), avail;
	int status;

	if (q->space_checked && now - q->space_when < QUEUE_SPACE_CACHE_MS)
		return q->space_status;
	if (fstatvfs(q->incoming_fd, &sv) == -1) {
		status = errno;
		log_warn("queue: fstatvfs on the spool");
	} else {
		avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
		status = avail < q->conf->queue_min_free ? ENOSPC : 0;
		if (status == ENOSPC && q->space_status != ENOSPC)
			log_warnx("queue: only %llu bytes free in the spool, "
			    "less than queue_min_free (%llu): refusing new "
			    "messages", (unsigned long long)avail,
			    (unsigned long long)q->conf->queue_min_free);
		else if (status == 0 && q->space_status == ENOSPC)
			log_info("queue: %llu bytes free in the spool again: "
			    "accepting messages", (unsigned long long)avail);
	}
	q->space_checked = 1;
	q->space_when = now;
	q->space_status = status;
	return status;
}
