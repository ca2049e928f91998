/*
 * local_alias.h: the local process's alias tables (doc/design.md §12):
 * alias_file and virtual_alias_file loaded with smtp/aliases_load.c,
 * checked for changes at most once a second when a job comes and parsed
 * again when they changed (each diagnostic logged once per parse), and
 * the expansion of one recipient through them with its `alias` log line
 * (§9).
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_ALIAS_H
#define SEALPOST_LOCAL_ALIAS_H

#include <sys/types.h>

#include "lib/conf.h"
#include "reason.h"
#include "smtp/aliases.h"

/*
 * Loads the tables when they were never loaded, c is another
 * configuration than last time, or (at most once a second) a file they
 * were read from changed. Logs every diagnostic of a new parse, and a
 * warning when alias_file does not exist or cannot be read.
 */
void	local_alias_refresh(const struct conf *c);

/*
 * Expands the recipient addr of message id through the tables into *res
 * (free it with aliases_result_free, also after a failure) and logs the
 * `alias` line when an entry matched or the expansion failed. An
 * address of a virtual_alias_domains domain that no entry knows fails
 * 550 5.1.1; a table that could not be read 451 4.3.0. Returns 0, or -1
 * with *why.
 */
int	local_alias_expand(const struct conf *c, const char *id,
	    const char *addr, struct aliases_result *res, struct reason *why);

/* The owner of the alias file as it was read (0 when none was). */
uid_t	local_alias_owner(void);

/* Whether domain d (lower case) is one of c's virtual_alias_domains. */
int	local_alias_virtual_domain(const struct conf *c, const char *d);

#endif
