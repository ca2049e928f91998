/*
 * aliases_load.h: reading the alias file and the virtual alias file for
 * the pure parser of aliases.h (doc/design.md §12, issue 12): the file
 * read whole (a regular file, at most ALIASES_LOAD_MAX octets), its
 * :include: files through the parser's callback, and the identity of
 * every file read (device, inode, size, mtime in ns) so that the caller
 * can ask cheaply whether any of them changed and parse again. Not pure:
 * file I/O. Diagnostics are the caller's to print or log.
 * Linked by the local binary and sealpost-sendmail (newaliases); smtpin
 * later (RCPT checks).
 */
#ifndef SEALPOST_ALIASES_LOAD_H
#define SEALPOST_ALIASES_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aliases.h"

#define ALIASES_LOAD_MAX	(64 * 1024 * 1024)	/* one file, octets */
#define ALIASES_LOAD_FILES	64	/* files whose identity is kept */
#define ALIASES_LOAD_INCLUDES	64	/* :include: files read per parse */
#define ALIASES_LOAD_INCBYTES	(64 * 1024 * 1024) /* their octets, all */

/* One file that was read (or looked for), as stat(2) saw it. */
struct aliases_load_id {
	char		*path;
	int		 present;	/* 0: it did not exist */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	int64_t		 mtime_ns;
};

struct aliases_load_as;

/* A loaded file: the table and what it was read from. */
struct aliases_load {
	struct aliases		*tab;	/* NULL: the file could not be read */
	struct aliases_load_id	 id[ALIASES_LOAD_FILES];
	size_t			 nid;
	int			 idcut;	/* more files than id[] holds */
	uid_t			 owner;	/* of the file itself */
	gid_t			 group;	/* of the file itself */
	const struct aliases_load_as *as; /* during aliases_load only */
	size_t			 ninc;	/* :include: files read */
	size_t			 incbytes;	/* their octets */
	int			 missing;	/* the file does not exist */
	char			 err[512];	/* why tab is NULL, or why
						   it is empty (missing) */
};

/*
 * Who reads the :include: files: the caller as it is (set 0), or, when
 * the caller is root, the uid and gid given (set 1): for each include
 * file, setgroups to gid alone, setegid, seteuid before the open, and
 * back to 0/0 and the saved groups after the read (doc/design.md §12:
 * the alias file's owner reads its includes, as in Postfix, so that an
 * include cannot show a root-only file in diagnostics or bounces). A
 * failure to switch refuses that include; a failure to switch back is
 * fatal (never half-switched).
 */
struct aliases_load_as {
	int	set;
	uid_t	uid;
	gid_t	gid;
};

/*
 * Reads the file path of the given kind (flags: ALIASES_ALLOW_*) into
 * *l (zeroed first) and parses it. A file that does not exist gives an
 * empty table with l->missing set and l->err saying so; one that cannot
 * be read, is not a regular file or is larger than ALIASES_LOAD_MAX
 * gives tab NULL and l->err. as NULL reads no :include: file at all
 * (each is refused and its entry kept, broken: enough for the names
 * smtpin needs). At most ALIASES_LOAD_INCLUDES include files and
 * ALIASES_LOAD_INCBYTES octets of them are read per call; an include
 * past that is refused (its entry broken). Returns 0 with l->tab set,
 * or -1 (tab NULL, l->err). Free with aliases_load_free, also after a
 * failure.
 */
int	aliases_load(struct aliases_load *l, const char *path,
	    enum aliases_kind kind, unsigned int flags,
	    const struct aliases_load_as *as);

/*
 * Whether any file l read (or did not find) differs now: created,
 * removed, or another device, inode, size or mtime; also when l was
 * never loaded or kept too few identities. One stat(2) per file.
 * Returns 1 or 0.
 */
int	aliases_load_changed(const struct aliases_load *l);

void	aliases_load_free(struct aliases_load *l);

#endif
