/*
 * sendmail_maildrop.c: the maildrop of sealpost-sendmail (doc/design.md
 * §2, §6): when nothing listens on the pickup socket, the message is kept
 * in data_dir/maildrop (root's, 1733: anyone may create a file there,
 * nobody but root may list or read it) in a file of the caller's own,
 * and `sendmail -bD`, which sealpostd runs as root, submits each file
 * later as its owner through the ordinary submission path, a few files of
 * each owner in turn, telling the owner of a file it refuses. The header is
 * sendmail_drop.c's; the file's owner, never the header, says who sent.
 * The owner's child (a submission, a notice) is sendmail_drain_run.c's.
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
#include "sendmail_drain.h"

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

/* SIGTERM: finish the file at hand, then stop (doc/design.md §6) */
static volatile sig_atomic_t	sendmail_drain_term;

static void
sendmail_drain_sigterm(int signo)
{
	(void)signo;
	sendmail_drain_term = 1;
}

/* One line for the file: maildrop file= uid= user= result= ... */
void
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
