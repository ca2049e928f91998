/*
 * aliases.h: the alias file (aliases(5), as Postfix and sendmail read
 * it) and the virtual alias file (`user@domain target, ...` and the
 * catch-all `@domain target, ...`), parsed into a lookup table, and the
 * expansion of an address through both (issue 12; RFC 5321 §4.5.1 for
 * postmaster, RFC 3463 for the statuses). Pure (doc/design.md §1.5):
 * text in, structures out; no I/O and no clock, the text of an
 * :include: file comes from a callback of the caller. Linked by the
 * tests now; by smtpin (RCPT checks) and local later.
 *
 * No newaliases database: the daemon reads the text file itself and
 * parses it again when its inode, size or mtime change (and those of
 * the :include: files its reader saw). Mail hosts that use aliases are
 * small; parsing 10,000 aliases takes milliseconds (the unit test
 * prints the figure), and no stale .db can ever disagree with the text
 * the admin edited: the table is always the text.
 *
 * Decisions (the lead integrates them, doc/design.md §12 later):
 * - A bad line does not stop the rest; each problem is one diagnostic
 *   "file:line: what" (at most diags_max kept, the rest counted).
 * - An entry whose name parsed but whose targets did not (a refused
 *   |command or /file, a bad address, an unreadable or looping
 *   :include:, no target at all) stays in the table marked broken:
 *   expanding it fails with 451 4.3.0, so its mail waits in the queue
 *   until the admin fixes the file instead of reaching only some of
 *   its recipients.
 * - Duplicate names: the first wins, each later one is a warning.
 * - :include: files are read while parsing, so the table is flat;
 *   |command and /file targets in them need ALIASES_ALLOW_INCLUDED as
 *   well as the flag of their kind (as Postfix's allow_mail_to_commands
 *   leaves out include by default).
 * - Loops (a -> b -> a, also through an include) fail with 550 5.4.6
 *   naming the cycle; so does a depth over ALIASES_DEPTH_MAX. A target
 *   equal to the name of the alias that holds it (`root: root, backup`)
 *   is the mailbox itself, not a loop (sendmail's rule).
 */
#ifndef SEALPOST_ALIASES_H
#define SEALPOST_ALIASES_H

#include <stddef.h>

#include "reason.h"

#define ALIASES_NAME_MAX	255	/* a name or virtual key, octets */
#define ALIASES_TARGET_MAX	1024	/* one target, octets */
#define ALIASES_LINE_MAX	(1024 * 1024)	/* a logical line */
#define ALIASES_INCLUDE_DEPTH	8	/* :include: inside :include: */
#define ALIASES_DEPTH_MAX	16	/* alias inside alias */
#define ALIASES_RESULTS_MAX	1000	/* default cap of an expansion */
#define ALIASES_DIAGS_MAX	100	/* default diagnostics kept */
#define ALIASES_DELIM_DEFAULT	'+'
#define ALIASES_POSTMASTER_DEFAULT "root"

enum aliases_kind {
	ALIASES_LOCAL = 0,	/* aliases(5): "name: target, ..." */
	ALIASES_VIRTUAL,	/* "user@domain target ..." / "@domain ..." */
};

/* Flags of one alias file (ALIASES_LOCAL only). */
#define ALIASES_ALLOW_COMMANDS	0x01	/* "|command" targets */
#define ALIASES_ALLOW_FILES	0x02	/* "/file" targets */
#define ALIASES_ALLOW_INCLUDED	0x04	/* ... inside :include: files too */

/*
 * Reads the :include: file path (absolute, NUL-terminated) for the
 * parser. Returns 0 with *text a malloc'd buffer of *len octets, which
 * the parser frees; or -1 with why[0..whysize) saying what failed (the
 * parser reports "file:line: :include:path: why"). It may record the
 * file's identity so that the caller re-parses when it changes.
 */
typedef int	(*aliases_read_fn)(void *arg, const char *path, char **text,
		    size_t *len, char *why, size_t whysize);

struct aliases_parse_opts {
	const char	*file;		/* its name in diagnostics */
	enum aliases_kind kind;
	unsigned int	 flags;		/* ALIASES_ALLOW_* */
	aliases_read_fn	 read;		/* NULL: every :include: is refused */
	void		*read_arg;
	size_t		 diags_max;	/* 0: ALIASES_DIAGS_MAX */
};

struct aliases;		/* one parsed file, opaque */

/*
 * Parses text[0..len) (any octets; CRLF or LF lines) into a new table.
 * Never fails on content: problems become diagnostics. Returns the
 * table, which the caller frees with aliases_free, or NULL when memory
 * runs out.
 */
struct aliases	*aliases_parse(const char *text, size_t len,
		    const struct aliases_parse_opts *o);
void		 aliases_free(struct aliases *);

/* The number of entries (broken ones included). */
size_t		 aliases_count(const struct aliases *);
/* Diagnostics: how many are kept, how many were not kept, how many of
 * all were errors (the rest are warnings), and the i-th ("file:line:
 * what", owned by the table; NULL past the end); *warning (when not
 * NULL) says whether it is only a warning. */
size_t		 aliases_diag_count(const struct aliases *);
size_t		 aliases_diag_dropped(const struct aliases *);
size_t		 aliases_error_count(const struct aliases *);
const char	*aliases_diag(const struct aliases *, size_t i, int *warning);

enum aliases_rtype {
	ALIASES_MAILBOX = 0,	/* a local mailbox: the local part, bare */
	ALIASES_ADDRESS,	/* an address outside the local domains */
	ALIASES_COMMAND,	/* the command after '|' */
	ALIASES_FILE,		/* an absolute path */
};

struct aliases_rcpt {
	enum aliases_rtype type;
	char	*text;
	char	*via;		/* the alias that produced it; "" for none */
	char	*where;		/* its "file:line"; "" for none */
};

/* One step of an expansion, for the log: alias `from` gave `to`. */
struct aliases_step {
	char	*from;
	char	*to;
	char	*where;
};

struct aliases_result {
	struct aliases_rcpt	*rcpt;	/* de-duplicated, in order found */
	size_t			 n;
	struct aliases_step	*trail;
	size_t			 ntrail;
	int			 trail_cut;	/* steps left out (cap) */
	int			 matched;	/* the address had an entry */
};

struct aliases_expand_opts {
	const struct aliases	*local;		/* ALIASES_LOCAL, or NULL */
	const struct aliases	*virt;		/* ALIASES_VIRTUAL, or NULL */
	const char * const	*local_domains;	/* lower case, no dot */
	size_t			 nlocal_domains;
	char			 delimiter;	/* '\0': none */
	const char		*postmaster;	/* NULL: "root" */
	size_t			 max_results;	/* 0: ALIASES_RESULTS_MAX */
};

/*
 * Expands addr[0..len) ("user@domain" or a bare local name) into its
 * final recipients in *res (zeroed first; free it with
 * aliases_result_free, also after a failure). An address with a domain
 * is first looked up in the virtual table (user+ext@domain, then
 * user@domain when a delimiter is given, then @domain); a bare name
 * or one of a local domain in the alias table (user+ext, then user). A
 * target is expanded again the same way. An address no table knows is
 * final: a MAILBOX (its local part) when bare or of a local domain,
 * else an ADDRESS. postmaster (bare or of a local domain) always
 * resolves: without an entry it is the postmaster option, "root" by
 * default, itself expanded through the aliases (RFC 5321 §4.5.1).
 * The tables must outlive nothing: *res holds copies.
 * Returns 0, or -1 with *why: 550 5.4.6 for a loop (the cycle named)
 * or a depth over ALIASES_DEPTH_MAX, 550 5.5.3 past max_results, 451
 * 4.3.0 for a broken entry, 501 5.1.3 for a malformed address, 451
 * 4.3.0 when memory runs out.
 */
int	aliases_expand(const struct aliases_expand_opts *o, const char *addr,
	    size_t len, struct aliases_result *res, struct reason *why);
void	aliases_result_free(struct aliases_result *);

/* "mailbox", "address", "command", "file"; "?" out of range. */
const char	*aliases_rtype_name(enum aliases_rtype);

#endif
