/*
 * smtpin_sender.h: which envelope senders an authenticated login may use
 * (issue 12, item 4; doc/design.md §6), pure: the sender_login_file
 * (lines "sender-address  login[, login...]" and "@domain  login[, ...]",
 * given as (ptr, len) text that the caller read) and the same-domain rule
 * that applies without it.  No I/O, no allocation.  Linked by smtpin and
 * tests/unit/test_smtpin_sender.
 *
 * The rules (sealpost.conf(5), sender_login_file):
 *   - The null sender <> is always allowed (the caller checks that).
 *   - With a file: the line whose key is the sender's address, else the
 *     line whose key is "@" and the sender's domain, names the logins
 *     that own it; a sender that no line names is owned by nobody.
 *   - Without one: a login with an "@" owns exactly that address; a login
 *     without one owns login@D for each D of local_domains.
 *   Addresses and domains compare without regard to ASCII case; logins
 *   compare exactly (as the password file compares them).
 */
#ifndef SEALPOST_SMTPIN_SENDER_H
#define SEALPOST_SMTPIN_SENDER_H

#include <stddef.h>

#include "reason.h"

#define SMTPIN_SENDER_LINE_MAX	1024	/* octets, without the LF */

/*
 * Checks the whole sender_login_file text: every line empty, a comment
 * ('#' first), or a key (an address local@domain or @domain, no white
 * space or control byte) followed by white space and at least one login
 * (logins separated by commas and/or white space); each key once; lines
 * at most SMTPIN_SENDER_LINE_MAX octets.  Returns the number of entries,
 * or -1 with *lineno (1-based) and *why (code 0, the text says what is
 * wrong) for the first bad line.
 */
long	smtpin_sender_check(const char *text, size_t len, size_t *lineno,
	    struct reason *why);

/*
 * Does login own sender (a NUL-terminated local@domain, not empty)?
 * map,maplen is the sender_login_file's text (checked before with
 * smtpin_sender_check), or NULL for the same-domain rule over
 * domains[0..ndomains).  Returns 1 if it does, else 0.
 */
int	smtpin_sender_owned(const char *map, size_t maplen, const char *login,
	    const char *sender, const char *const *domains, size_t ndomains);

#endif
