/*
 * aliases_load.c: the alias files read from disk for the pure parser
 * (see aliases_load.h, aliases.h, doc/design.md §12): read whole,
 * regular files only, bounded; :include: files through the parser's
 * callback; the identity of each file kept for aliases_load_changed.
 * Not pure (file I/O).
 * Linked by the local binary and sealpost-sendmail.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases_load.h"
#include "lib/log.h"

/* Records what st says of path in l (when there is room). */
static void
aliases_load_note(struct aliases_load *l, const char *path,
    const struct stat *st)
{
	struct aliases_load_id *id;

	if (l->nid >= ALIASES_LOAD_FILES) {
		l->idcut = 1;
		return;
	}
	id = &l->id[l->nid];
	memset(id, 0, sizeof(*id));
	if ((id->path = strdup(path)) == NULL) {
		l->idcut = 1;	/* cannot watch it: always "changed" */
		return;
	}
	if (st != NULL) {
		id->present = 1;
		id->dev = st->st_dev;
		id->ino = st->st_ino;
		id->size = st->st_size;
		id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
		    st->st_mtim.tv_nsec;
	}
	l->nid++;
}

/*
 * Reads path whole into a malloc'd *text of *len octets, noting its
 * identity (or its absence) in l; a file larger than budget octets is
 * refused. A budget over ALIASES_LOAD_INCBYTES means the alias file
 * itself: its owner and group are kept in l. Returns 0, or -1 with why;
 * *absent is set when the file does not exist.
 */
static int
aliases_load_read(struct aliases_load *l, const char *path, char **text,
    size_t *len, int *absent, size_t budget, char *why, size_t whysize)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd, saved;

	*absent = 0;
	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		if (saved == ENOENT) {
			*absent = 1;
			aliases_load_note(l, path, NULL);
		}
		(void)snprintf(why, whysize, "%s", strerror(saved));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		(void)snprintf(why, whysize, "%s", strerror(errno));
		goto fail;
	}
	aliases_load_note(l, path, &st);
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(why, whysize, "not a regular file");
		goto fail;
	}
	if (st.st_size > ALIASES_LOAD_MAX) {
		(void)snprintf(why, whysize, "larger than %d MiB",
		    ALIASES_LOAD_MAX / (1024 * 1024));
		goto fail;
	}
	if ((uint64_t)st.st_size > budget) {
		(void)snprintf(why, whysize, "the include files of one parse "
		    "may hold %d MiB in all", ALIASES_LOAD_INCBYTES /
		    (1024 * 1024));
		goto fail;
	}
	/* one more octet than the size says: a file that grows is read to
	 * its end or refused, never cut */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)snprintf(why, whysize, "out of memory");
		goto fail;
	}
	for (;;) {
		if (n == (size_t)st.st_size + 1) {
			(void)snprintf(why, whysize, "changed while read");
			goto fail;
		}
		r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			(void)snprintf(why, whysize, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (budget > ALIASES_LOAD_INCBYTES) {	/* the file, no include */
		l->owner = st.st_uid;
		l->group = st.st_gid;
	}
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/*
 * Becomes as->uid and as->gid for reading (effective ids, groups: gid
 * alone), saving the groups in *groups and *ngroups. Returns 0, or -1 with
 * why when it could not (then nothing is switched).
 */
static int
aliases_load_become(const struct aliases_load_as *as, gid_t **groups,
    int *ngroups, char *why, size_t whysize)
{
	gid_t egid = getegid();
	int n;

	*groups = NULL;
	*ngroups = 0;
	if ((n = getgroups(0, NULL)) == -1 ||
	    (*groups = calloc((size_t)n + 1, sizeof(**groups))) == NULL ||
	    (*ngroups = getgroups(n, *groups)) == -1) {
		(void)snprintf(why, whysize, "cannot save the groups");
		free(*groups);
		*groups = NULL;
		return -1;
	}
	if (setgroups(1, &as->gid) == -1) {
		(void)snprintf(why, whysize, "cannot set the groups");
		goto back;
	}
	if (setegid(as->gid) == -1) {
		(void)snprintf(why, whysize, "cannot become group %lu",
		    (unsigned long)as->gid);
		goto back;
	}
	if (seteuid(as->uid) == -1 || geteuid() != as->uid) {
		(void)snprintf(why, whysize, "cannot become user %lu",
		    (unsigned long)as->uid);
		goto back;
	}
	return 0;
back:
	if (seteuid(0) == -1 || setegid(egid) == -1 ||
	    setgroups((size_t)*ngroups, *groups) == -1)
		fatal("aliases: cannot become root again");
	free(*groups);
	*groups = NULL;
	return -1;
}

/* Root (and egid) again after aliases_load_become; fatal when it
 * cannot be. */
static void
aliases_load_unbecome(gid_t egid, gid_t *groups, int ngroups)
{
	if (seteuid(0) == -1 || geteuid() != 0 || setegid(egid) == -1 ||
	    getegid() != egid || setgroups((size_t)ngroups, groups) == -1)
		fatal("aliases: cannot become root again after an include");
	free(groups);
}

/*
 * The parser's :include: callback (aliases_read_fn): within the budget
 * of one parse, as l->as says.
 */
static int
aliases_load_include(void *arg, const char *path, char **text, size_t *len,
    char *why, size_t whysize)
{
	struct aliases_load *l = arg;
	gid_t *groups = NULL, egid = getegid();
	int absent, ngroups = 0, rv, sw;

	*text = NULL;
	*len = 0;
	if (l->ninc >= ALIASES_LOAD_INCLUDES) {
		(void)snprintf(why, whysize, "more than %d include files in "
		    "one parse", ALIASES_LOAD_INCLUDES);
		return -1;
	}
	l->ninc++;
	sw = l->as != NULL && l->as->set && geteuid() == 0;
	if (sw && aliases_load_become(l->as, &groups, &ngroups, why,
	    whysize) == -1)
		return -1;
	rv = aliases_load_read(l, path, text, len, &absent,
	    ALIASES_LOAD_INCBYTES - l->incbytes, why, whysize);
	if (sw)
		aliases_load_unbecome(egid, groups, ngroups);
	if (rv == 0)
		l->incbytes += *len;
	return rv;
}

int
aliases_load(struct aliases_load *l, const char *path,
    enum aliases_kind kind, unsigned int flags,
    const struct aliases_load_as *as)
{
	struct aliases_parse_opts o;
	char why[256], *text = NULL;
	size_t len = 0;
	int absent;

	memset(l, 0, sizeof(*l));
	if (aliases_load_read(l, path, &text, &len, &absent,
	    (size_t)ALIASES_LOAD_MAX + 1, why, sizeof(why)) == -1) {
		(void)snprintf(l->err, sizeof(l->err), "%s: %s", path, why);
		if (!absent)
			return -1;
		/* no file: no aliases (as Postfix, with a warning) */
		l->missing = 1;
	}
	memset(&o, 0, sizeof(o));
	o.file = path;
	o.kind = kind;
	o.flags = flags;
	o.read = as != NULL ? aliases_load_include : NULL;
	o.read_arg = l;
	l->as = as;
	l->tab = aliases_parse(text != NULL ? text : "", len, &o);
	l->as = NULL;
	free(text);
	if (l->tab == NULL) {
		(void)snprintf(l->err, sizeof(l->err), "%s: out of memory",
		    path);
		return -1;
	}
	return 0;
}

int
aliases_load_changed(const struct aliases_load *l)
{
	const struct aliases_load_id *id;
	struct stat st;
	size_t i;
	int64_t ns;

	if (l->nid == 0 || l->idcut)
		return 1;
	for (i = 0; i < l->nid; i++) {
		id = &l->id[i];
		if (stat(id->path, &st) == -1) {
			if (errno != ENOENT || id->present)
				return 1;
			continue;
		}
		ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		if (!id->present || st.st_dev != id->dev ||
		    st.st_ino != id->ino || st.st_size != id->size ||
		    ns != id->mtime_ns)
			return 1;
	}
	return 0;
}

void
aliases_load_free(struct aliases_load *l)
{
	size_t i;

	for (i = 0; i < l->nid; i++)
		free(l->id[i].path);
	aliases_free(l->tab);
	memset(l, 0, sizeof(*l));
}
