/*
 * sasl.h: the server side of SMTP AUTH (RFC 4954) for the PLAIN (RFC
 * 4616) and LOGIN (draft-murchison-sasl-login) mechanisms, pure: the AUTH
 * argument, the exchange of 334 challenges and client responses, strict
 * base64 (RFC 4648 §4), and who may AUTH when.  No I/O, no allocation;
 * the credentials it yields are checked by the caller against a backend
 * (dovecot_auth.h or lib/passwd_file.h).  Linked by smtpin (planned, issue
 * 12; doc/design.md §6).
 *
 * Replies chosen (RFC 4954 §4, §6; RFC 3463):
 *   AUTH not offered (port 25 by default)      503 5.5.1
 *   AUTH before TLS                            538 5.7.11
 *   AUTH when authenticated already            503 5.5.1
 *   AUTH inside a mail transaction             503 5.5.1
 *   missing or malformed argument              501 5.5.4
 *   mechanism not offered                      504 5.5.4
 *   a line over 12,288 octets                  500 5.5.6
 *   "*": the client cancels                    501 5.7.0
 *   bad base64 (characters, padding, length)   501 5.5.2
 *   credentials that cannot be valid (no NUL
 *   separators, empty or over 255 octets, a
 *   control byte or bad UTF-8 in the login)    535 5.7.8
 *   authzid not empty and not the authcid      535 5.7.8
 * A 535 counts as a failed authentication (mta/smtp/auth_limit.h); the
 * 5xx syntax errors before it do not: they tested no password.
 */
#ifndef SEALPOST_SASL_H
#define SEALPOST_SASL_H

#include <stddef.h>

#include "reason.h"

/* RFC 4954 §4: an AUTH command or a response line, CRLF included. */
#define SASL_LINE_MAX		12288
/* RFC 4616 §2: authcid and passwd are 1 to 255 octets. */
#define SASL_ID_MAX		255
#define SASL_PASS_MAX		255
/* The longest decoded response we accept: a PLAIN message at most. */
#define SASL_DECODED_MAX	(SASL_ID_MAX * 2 + SASL_PASS_MAX + 2)
/* The challenge line "334 ..." with CRLF and NUL. */
#define SASL_CHALLENGE_MAX	32

/* Mechanisms, as a set for the caller's offer. */
#define SASL_MECH_PLAIN		0x01
#define SASL_MECH_LOGIN		0x02

/* The success reply (RFC 4954 §6). */
#define SASL_REPLY_OK		"235 2.7.0 Authentication successful"

/* What the session knows when AUTH arrives, for sasl_auth_allowed. */
#define SASL_SESS_OFFERED	0x01	/* AUTH is offered on this listener */
#define SASL_SESS_TLS		0x02	/* the session is inside TLS */
#define SASL_SESS_AUTHED	0x04	/* AUTH succeeded already */
#define SASL_SESS_IN_TXN	0x08	/* MAIL was accepted */

enum sasl_step {
	SASL_STEP_ERROR = -1,	/* *why is the reply; the exchange is over */
	SASL_STEP_CHALLENGE = 0, /* send sasl_exch.challenge, then a line */
	SASL_STEP_DONE = 1	/* sasl_exch.authcid and .passwd are set */
};

/*
 * One exchange.  It holds a password: the owner calls sasl_exch_clear()
 * when the exchange ends, whatever the outcome (it wipes it).
 */
struct sasl_exch {
	unsigned	mech;		/* SASL_MECH_PLAIN or SASL_MECH_LOGIN */
	int		state;		/* private: SASL_EXCH_ST_* of sasl.c */
	char		challenge[SASL_CHALLENGE_MAX];	/* "334 ...", no CRLF */
	char		authcid[SASL_ID_MAX + 1];	/* NUL-terminated */
	size_t		authcidlen;
	char		passwd[SASL_PASS_MAX + 1];	/* NUL-terminated */
	size_t		passwdlen;
};

/*
 * May the session issue AUTH now?  sess is a set of SASL_SESS_*.
 * Returns 0 if so, else -1 with the reply in *why (see the table above).
 */
int	sasl_auth_allowed(unsigned sess, struct reason *why);

/*
 * Starts an exchange from the argument of AUTH (arg, arglen: the text
 * after "AUTH ", as smtp_proto_parse_cmd gives it, no CRLF) for the
 * mechanisms in offered (SASL_MECH_*).  The mechanism name is matched
 * without regard to case; an initial response "=" is an empty one
 * (RFC 4954 §4).  Returns SASL_STEP_CHALLENGE (x->challenge is the line
 * to send), SASL_STEP_DONE (PLAIN with its initial response), or
 * SASL_STEP_ERROR with the reply in *why.  *x is reset first; on error it
 * holds no secret.  The argument's bytes are only read.
 */
enum sasl_step	sasl_start(struct sasl_exch *x, unsigned offered,
		    const char *arg, size_t arglen, struct reason *why);

/*
 * Feeds the client's response line (line, len: without the CRLF; the
 * caller refuses a longer line than SASL_LINE_MAX with CRLF through
 * sasl_line_too_long, or passes it on and this does).  Returns as
 * sasl_start.  "*" cancels.  After SASL_STEP_ERROR or SASL_STEP_DONE the
 * exchange takes no more lines (SASL_STEP_ERROR, 503 5.5.1).
 */
enum sasl_step	sasl_response(struct sasl_exch *x, const char *line,
		    size_t len, struct reason *why);

/*
 * Is a line of len octets (without its CRLF) over RFC 4954's limit?
 * Returns 1 with 500 5.5.6 in *why, else 0.
 */
int	sasl_line_too_long(size_t len, struct reason *why);

/* Wipes the exchange (explicit_bzero): the password and the login. */
void	sasl_exch_clear(struct sasl_exch *x);

/*
 * Strict base64 (RFC 4648 §4): only the alphabet, the length a multiple
 * of 4, "=" only as the last one or two characters, and the bits the
 * padding leaves unused zero (one encoding per value).  Decodes src,len
 * into dst (at most size octets) and sets *outlen.  Returns 0, or -1
 * with 501 5.5.2 in *why (also when the result does not fit).  On error
 * dst is wiped.  Empty input decodes to zero octets.
 */
int	sasl_b64_decode(const char *src, size_t len, unsigned char *dst,
	    size_t size, size_t *outlen, struct reason *why);

/*
 * Encodes src,len as base64 into dst (size octets, NUL-terminated).
 * Returns the length written, or -1 when it does not fit (dst is then
 * wiped: the input may be a secret).
 */
int	sasl_b64_encode(char *dst, size_t size, const void *src, size_t len);

#endif
