/*
 * local_header.h: the Delivered-To loop check of local delivery
 * (doc/design.md §12; the Delivered-To convention of Postfix and qmail,
 * RFC 5322 §2.2 for fields and folding). Pure: octets in, a verdict out.
 * Linked by the local binary and its tests.
 */
#ifndef SEALPOST_LOCAL_HEADER_H
#define SEALPOST_LOCAL_HEADER_H

#include <stddef.h>

/* How much of a message's start the loop check reads. */
#define LOCAL_HEADER_MAX	(256 * 1024)

/*
 * Whether the header in msg[0..len) (the octets up to the first empty
 * line, or all of them when there is none within len; CRLF or LF
 * lines) has a Delivered-To field (any case) whose value, unfolded,
 * without surrounding white space and one pair of angle brackets, is
 * addr[0..alen) ignoring ASCII case. Returns 1 or 0; malformed lines
 * (no colon, a name with white space) are skipped.
 */
int	local_header_delivered_to(const char *msg, size_t len,
	    const char *addr, size_t alen);

#endif
