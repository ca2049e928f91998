/*
 * rcpt_table.h: who exists in the local domains, decided at RCPT time so
 * that an unknown recipient is refused with 550 5.1.1 in the session and
 * never bounced later (issue 12, item 1; RFC 5321 §4.5.1 for postmaster;
 * doc/design.md §6 "Recipients"). Pure (doc/design.md §1.5): a set of
 * names filled by the caller (the login names of passwd, the lines of a
 * local_recipients file) and one decision over it and the alias tables.
 * Linked by smtpin and the unit tests.
 */
#ifndef SEALPOST_RCPT_TABLE_H
#define SEALPOST_RCPT_TABLE_H

#include <stddef.h>

#include "aliases.h"

#define RCPT_TABLE_NAME_MAX	255	/* a name or an address, octets */

struct rcpt_table;	/* a set of lower-cased names, opaque */

/* A new empty set, or NULL when memory is short. */
struct rcpt_table	*rcpt_table_new(void);
void			 rcpt_table_free(struct rcpt_table *);

/*
 * Adds s[0..n) lower-cased (ASCII). Returns 1 when added, 0 when it was
 * there already, -1 when it is empty, longer than RCPT_TABLE_NAME_MAX
 * or holds a control byte, a space or a NUL, or memory is short (*nomem
 * set when not NULL).
 */
int	rcpt_table_add(struct rcpt_table *, const char *s, size_t n,
	    int *nomem);

/* The number of names. */
size_t	rcpt_table_count(const struct rcpt_table *);

/*
 * Adds the names of a local_recipients file text[0..len): one per line,
 * `user` (any local domain) or `user@domain`; what follows the first
 * space, tab or ':' is ignored, so that a Dovecot passwd-file
 * (`user:{SCHEME}hash:uid:...`) can be named as it is; empty lines and
 * lines whose first non-blank byte is '#' are skipped. A line that
 * gives no valid name is counted in *bad and its number (1-based) kept
 * in *first_bad when it is the first. Returns 0, or -1 when memory is
 * short.
 */
int	rcpt_table_parse(struct rcpt_table *, const char *text, size_t len,
	    size_t *bad, size_t *first_bad);

/* 1 when s[0..n) (compared lower-cased) is in the set, else 0. */
int	rcpt_table_has(const struct rcpt_table *, const char *s, size_t n);

/* What one RCPT is checked against; NULL tables are empty. */
struct rcpt_check {
	int			 any;	/* local_recipients = any */
	const struct rcpt_table	*users;	/* passwd logins, uid >= min */
	const struct rcpt_table	*file;	/* the local_recipients file */
	/* the alias tables and what aliases_expand needs with them */
	struct aliases_expand_opts aliases;
};

enum rcpt_known {
	RCPT_UNKNOWN = 0,
	RCPT_USER,		/* a passwd login */
	RCPT_FILE,		/* a line of the local_recipients file */
	RCPT_ALIAS,		/* an alias, a virtual alias or postmaster */
	RCPT_ANY,		/* local_recipients = any */
};

/*
 * Is local[0..ln)@domain[0..dn) a recipient here? domain is lower case;
 * virtual says that it is one of virtual_alias_domains rather than of
 * the local domains: there only the virtual alias table counts. In a
 * local domain the address is known when the alias tables have an entry
 * for it (as aliases_expand looks it up: the virtual table, then the
 * local part in the alias table, with and without a recipient_delimiter
 * extension; postmaster always), or its local part, with or without
 * the extension and lower-cased, is a login in users or a name in file
 * (as itself or with its domain). Returns how it is known, or
 * RCPT_UNKNOWN. Never fails: a lookup that runs out of memory counts as
 * known (the delivery decides later; losing mail is worse than one
 * bounce).
 */
enum rcpt_known	rcpt_check_known(const struct rcpt_check *, const char *local,
		    size_t ln, const char *domain, size_t dn, int virtual);

/* "unknown", "user", "file", "alias", "any". */
const char	*rcpt_known_name(enum rcpt_known);

#endif
