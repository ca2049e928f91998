/*
 * passwd_file.h: the local password file of SMTP AUTH (auth_backend =
 * file:PATH), pure: lines of `login:hash[:extra]` given as (ptr, len)
 * text (the caller reads the file), checked, searched, and a password
 * verified against a libxcrypt hash with crypt_rn() and
 * crypt_checksalt().  Linked by smtpin and sealpostd (sealpostd -n
 * checks the file; planned, issue 12; doc/design.md §5, §6).
 *
 * The file: one entry per line, LF-terminated; empty lines and lines
 * whose first byte is '#' are ignored.  login is 1..255 octets without
 * ':', white space or control bytes (UTF-8 allowed) and appears once;
 * hash is a crypt(5) hash of yescrypt ($y$), bcrypt ($2b$, $2y$) or
 * sha512-crypt ($6$) that crypt_checksalt() calls OK, or a locked entry
 * (a hash starting with '!' or '*', which never matches); extra is kept
 * for later (printable, TABs allowed).  A line is at most 1,024 octets.
 * Everything else is an error of the whole file: a file that is not
 * understood is not half used.
 *
 * Replies (the caller's AUTH answer):
 *   wrong password, unknown or locked login   535 5.7.8
 *   the file or the entry's hash is refused   454 4.7.0 (and log why)
 */
#ifndef SEALPOST_PASSWD_FILE_H
#define SEALPOST_PASSWD_FILE_H

#include <stddef.h>

#include "reason.h"

#define PASSWD_FILE_LINE_MAX	1024
#define PASSWD_FILE_LOGIN_MAX	255
#define PASSWD_FILE_PASS_MAX	255	/* RFC 4616 §2 */

enum passwd_file_result {
	PASSWD_FILE_ERROR = -1,	/* refused file or hash: 454 4.7.0 */
	PASSWD_FILE_BAD = 0,	/* no such login, locked, wrong: 535 5.7.8 */
	PASSWD_FILE_OK = 1	/* the password matches */
};

/* One entry; the pointers point into the caller's text. */
struct passwd_file_entry {
	const char	*login;
	size_t		 loginlen;
	const char	*hash;
	size_t		 hashlen;
	const char	*extra;		/* "" (length 0) when absent */
	size_t		 extralen;
	size_t		 lineno;	/* 1-based */
};

/*
 * Checks the whole text (syntax, every hash, duplicate logins).  Returns
 * the number of entries, or -1 with *lineno set to the first bad line
 * and *why saying what is wrong (code 454, dsn 4.7.0, for the log; the
 * text names no password or hash).
 */
long	passwd_file_check(const char *text, size_t len, size_t *lineno,
	    struct reason *why);

/*
 * Finds login (loginlen octets, compared exactly) in text.  Returns 1 and
 * fills *e, 0 when absent, -1 (with *why) when the text is malformed
 * (as passwd_file_check says).
 */
int	passwd_file_find(const char *text, size_t len, const char *login,
	    size_t loginlen, struct passwd_file_entry *e, struct reason *why);

/*
 * Is hash (hashlen octets) one we accept?  Returns 1 for an accepted
 * hash, 0 for a locked entry, -1 with *why otherwise (unknown or legacy
 * method, or crypt_checksalt() says invalid, disabled, legacy or too
 * cheap).
 */
int	passwd_file_hash_ok(const char *hash, size_t hashlen,
	    struct reason *why);

/*
 * Verifies passwd (passlen octets, at most PASSWD_FILE_PASS_MAX, no NUL)
 * against hash with crypt_rn(), comparing in constant time.  Returns a
 * passwd_file_result, *why filled on anything but PASSWD_FILE_OK.  Every
 * copy of the password and the computed hash is wiped before return.
 */
enum passwd_file_result	passwd_file_verify(const char *hash, size_t hashlen,
			    const char *passwd, size_t passlen,
			    struct reason *why);

/*
 * The whole check for AUTH: finds login in text and verifies passwd.  An
 * unknown or locked login still costs one hash computation against a
 * fixed yescrypt hash, so that the time taken does not tell which logins
 * exist.  Returns a passwd_file_result; on PASSWD_FILE_OK *e (when not
 * NULL) is the entry.
 */
enum passwd_file_result	passwd_file_auth(const char *text, size_t len,
			    const char *login, size_t loginlen,
			    const char *passwd, size_t passlen,
			    struct passwd_file_entry *e, struct reason *why);

#endif
