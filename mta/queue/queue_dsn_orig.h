/*
 * queue_dsn_orig.h: what the DSN builder (queue_dsn.c) reads from the
 * original message: its header block, whether its lines may be copied
 * into a report as they are, and whether a MIME boundary occurs in what
 * the report copies (doc/design.md §12). Pure. Linked by the queue and
 * its unit tests.
 */
#ifndef SEALPOST_QUEUE_DSN_ORIG_H
#define SEALPOST_QUEUE_DSN_ORIG_H

#include <stddef.h>

#include "queue_dsn.h"

/*
 * The length of the header block of msg[0..len): up to and including the
 * CRLF of the last field line before the first empty line, or of the last
 * complete line when there is none.
 */
size_t	queue_dsn_hdr_len(const char *msg, size_t len);
/*
 * Whether p[0..n) can be copied into a report as it is: CRLF lines only,
 * no NUL, no bare CR or LF, no line over 998 octets. Sets *eight when
 * it has 8-bit octets. Returns 1 or 0.
 */
int	queue_dsn_clean(const char *p, size_t n, int *eight);
/*
 * Whether the boundary bnd occurs in anything the report of m copies:
 * the returned part ret[0..retlen), the recipients' fields, the subject
 * or the Message-ID. Returns 1 or 0.
 */
int	queue_dsn_collides(const struct queue_dsn_msg *m, const char *ret,
	    size_t retlen, const char *subject, const char *msgid,
	    const char *bnd);

#endif
