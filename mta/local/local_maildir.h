/*
 * local_maildir.h: delivery of one message into a Maildir (the
 * cr.yp.to maildir format with Maildir++ file names): tmp/ then new/,
 * fsync, no symlink followed, and the mapping of a failure's errno to a
 * deferral or a bounce (RFC 3463). The caller already runs as the
 * recipient (doc/design.md §2); nothing here changes ids. The content
 * is stored with LF line ends (the queue's content is CRLF; every
 * Maildir reader expects LF).
 * Linked by local and its unit tests.
 */
#ifndef SEALPOST_LOCAL_MAILDIR_H
#define SEALPOST_LOCAL_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "reason.h"

/* What local_maildir_deliver returns. */
#define LOCAL_MAILDIR_OK	0
#define LOCAL_MAILDIR_DEFER	(-1)	/* temporary: the queue retries */
#define LOCAL_MAILDIR_BOUNCE	(-2)	/* permanent */

#define LOCAL_MAILDIR_NAME_MAX	256	/* a file name we make, with NUL */
#define LOCAL_MAILDIR_PATH_MAX	1024	/* the maildir argument */

/*
 * Delivers the message into maildir (a relative path below the home,
 * e.g. "Maildir" or "Mail/inbox/"), below the directory dirfd_home,
 * which the caller opened as the recipient (O_RDONLY|O_DIRECTORY, not
 * O_PATH: it is fsynced when maildir is made in it). Every component is opened
 * with O_NOFOLLOW|O_DIRECTORY (a symlink or a non-directory anywhere is
 * refused); maildir and its tmp, new and cur are made 0700 when missing.
 * The file tmp/NAME (O_CREAT|O_EXCL, 0600) gets prepend (e.g.
 * "Return-Path: <a@b>\r\nDelivered-To: c@d\r\n"; "" for none) and
 * then the content read with pread from offset 0 of content_fd (shared:
 * its offset is not used), CRLF turned into LF in both; it is fsynced,
 * linked as new/NAME,S=<size> (renamed where the file system has no
 * links), tmp/NAME removed, new/ and tmp/ fsynced. NAME is
 * time.M<usec>P<pid>Q<n>.<host> (Maildir++; '/' and ':' in hostname and
 * anything unprintable written as \ooo). On any failure nothing of this
 * delivery is left in tmp/ or new/.
 * Returns LOCAL_MAILDIR_OK with the name in new/ copied into
 * name_out[0..name_size) (when it fits; "" otherwise; name_out may be
 * NULL), or LOCAL_MAILDIR_DEFER / LOCAL_MAILDIR_BOUNCE with why filled
 * as local_maildir_errno says (the text names the step and the file).
 */
int	local_maildir_deliver(int dirfd_home, const char *maildir,
	    int content_fd, const char *prepend, const char *hostname,
	    struct reason *why, char *name_out, size_t name_size);

/*
 * The decision for a failed step: fills why (code, dsn, text "what:
 * strerror") for errno err and returns LOCAL_MAILDIR_DEFER or
 * LOCAL_MAILDIR_BOUNCE. Bounced (550 5.2.0): ELOOP (a symlink),
 * ENOTDIR (not a directory). Deferred: EDQUOT, EFBIG (452 4.2.2, the
 * mailbox is full); ENOSPC (452 4.3.1, the file system is full);
 * everything else (451 4.3.0), EIO, EMFILE, ENFILE, ENOMEM, EACCES,
 * EROFS included: a fault an administrator can mend, never a reason to
 * lose the message. Pure.
 */
int	local_maildir_errno(int err, const char *what, struct reason *why);

/*
 * Writes the Maildir++ base name "SEC.M<usec>P<pid>Q<seq>.<host>" into
 * out[0..size), NUL-terminated, host escaped as local_maildir_deliver
 * says (an empty host is "localhost"). Returns its length, or -1 when it
 * does not fit. Pure.
 */
int	local_maildir_name(char *out, size_t size, int64_t sec, long usec,
	    pid_t pid, unsigned long seq, const char *host);

/*
 * The CRLF to LF converter, in chunks: a CR at the end of a chunk is
 * held until the next byte shows whether an LF follows. A CR not
 * followed by LF is kept.
 */
struct local_maildir_lf {
	int	cr;		/* a CR is held */
};

void	local_maildir_lf_init(struct local_maildir_lf *);
/*
 * Converts in[0..len) into out (room for len + 1 octets). Returns the
 * octets written.
 */
size_t	local_maildir_lf_conv(struct local_maildir_lf *, const char *in,
	    size_t len, char *out);
/* Writes the held CR, if any, into out (room for 1). Returns 0 or 1. */
size_t	local_maildir_lf_end(struct local_maildir_lf *, char *out);

#endif
