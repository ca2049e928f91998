/*
 * smtp_client.h: what the two clients that speak SMTP-like protocols
 * share, smtpout (SMTP, RFC 5321) and the local process's LMTP (RFC
 * 2033): a keyword compare and a number of an EHLO/LHLO reply line, and
 * the dot-stuffing encoder of DATA (RFC 5321 §4.5.2). Pure. Linked by
 * smtpout, local and their tests.
 */
#ifndef SEALPOST_SMTP_CLIENT_H
#define SEALPOST_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Whether t[0..len) is the word w, ignoring ASCII case. */
int	smtp_client_word(const char *t, size_t len, const char *w);

/*
 * A decimal number of at most 19 digits. Returns 0 with *out set, or -1
 * when t[0..len) is not one.
 */
int	smtp_client_number(const char *t, size_t len, uint64_t *out);

/*
 * The dot-stuffing encoder: a line that starts with '.' gets another '.'.
 * Its state carries across chunks, so a chunk may end anywhere, between
 * CR and LF or right before the dot.
 */
struct smtp_client_dot {
	int	bol;		/* the next byte starts a line */
};

void	smtp_client_dot_init(struct smtp_client_dot *);
/*
 * Encodes in[0..len) into out, which must have room for 2 * len octets.
 * Returns the octets written.
 */
size_t	smtp_client_dot_encode(struct smtp_client_dot *, const char *in,
	    size_t len, char *out);
/*
 * Writes the end of data into out (room for 5 octets): ".\r\n" after a
 * complete line, "\r\n.\r\n" when the content did not end in LF (RFC
 * 5321 §4.1.1.4). Returns the octets written.
 */
size_t	smtp_client_dot_end(const struct smtp_client_dot *, char *out);

#endif
