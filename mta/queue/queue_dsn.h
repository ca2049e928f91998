/*
 * queue_dsn.h: the builder of bounces and delay warnings, RFC 3464
 * delivery status notifications (multipart/report, RFC 6522), with the
 * RFC 3461 decision of which recipients a notification reports, RFC 3463
 * status codes, RFC 8460 failure types in words, RFC 6533 "utf-8"
 * addresses and RFC 3834 Auto-Submitted (doc/design.md §12). Pure: no
 * I/O, no clock ("now" is an argument); the message goes to a caller's
 * writer. Linked by the queue and its unit tests.
 */
#ifndef SEALPOST_QUEUE_DSN_H
#define SEALPOST_QUEUE_DSN_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "smtp/envelope.h"

/* Octets of an original's header field value kept (Subject, Message-ID). */
#define QUEUE_DSN_FIELD_MAX	200
/* Octets of a recipient's diagnostic text used; the rest is cut. */
#define QUEUE_DSN_TEXT_MAX	512
/* Octets of the caller's boundary token used ([0-9A-Za-z] only). */
#define QUEUE_DSN_TOKEN_MAX	20

enum queue_dsn_kind {
	QUEUE_DSN_FAILURE = 1,	/* recipients failed or expired: a bounce */
	QUEUE_DSN_DELAY,	/* a warning: still being retried */
	QUEUE_DSN_SUCCESS	/* NOTIFY=SUCCESS met a next hop without DSN:
				   relayed, no later notice (RFC 3461 §6.2) */
};

enum queue_dsn_action {
	QUEUE_DSN_ACTION_FAILED = 1,	/* RFC 3464 Action: failed */
	QUEUE_DSN_ACTION_DELAYED,	/* RFC 3464 Action: delayed */
	QUEUE_DSN_ACTION_RELAYED	/* RFC 3464 Action: relayed */
};

/*
 * One reported recipient. Strings are NUL-terminated, borrowed from the
 * caller for the duration of queue_dsn_build(); NULL counts as "".
 */
struct queue_dsn_rcpt {
	const char		*addr;		/* not "", any octets */
	const char		*orcpt;		/* "type;addr" or "" */
	enum queue_dsn_action	 action;
	const char		*status;	/* RFC 3463 "5.1.1"; "" = a
						   default by action */
	const char		*mx;		/* remote MTA, or "" */
	int			 code;		/* SMTP reply code; 0 = no
						   diagnostic known */
	const char		*text;		/* reply text or our text */
	const char		*failure;	/* RFC 8460 type, or "" when
						   this is no TLS failure */
	int64_t			 last_attempt;	/* unix time, 0 = never */
	int64_t			 retry_until;	/* unix time, 0 = omit;
						   delayed only */
};

/* The message to report on, and how. Strings as in queue_dsn_rcpt. */
struct queue_dsn_msg {
	enum queue_dsn_kind	 kind;
	const char		*hostname;	/* reporting MTA (conf.hostname) */
	const char		*dsn_id;	/* unique, [0-9A-Za-z]: the new
						   message's queue id, for its
						   Message-ID */
	const char		*token;		/* random-looking [0-9A-Za-z],
						   for the MIME boundary */
	int64_t			 now;		/* Date: */
	const char		*queue_id;	/* the original's */
	int64_t			 arrival;	/* the original's, unix time */
	const char		*sender;	/* the original's envelope
						   sender, not "" */
	const char		*envid;		/* RFC 3461 ENVID, or "" */
	enum envelope_ret	 ret;		/* NONE is taken as FULL */
	uint64_t		 bounce_size_limit; /* octets */
	/*
	 * The original as stored in the spool (CRLF lines, Received header
	 * first): its first original_len octets are at original, and
	 * original_size is its whole size. Only the header block is
	 * returned in a delay warning, when ret is HDRS, when
	 * original_size > bounce_size_limit, or when original_len <
	 * original_size, so the caller need read no more than the header
	 * block then; nothing when the returned bytes are malformed (bare
	 * CR or LF, NUL, a line over 998 octets). original may be NULL
	 * with original_len 0: nothing is returned.
	 */
	const char		*original;
	size_t			 original_len;
	uint64_t		 original_size;
	const struct queue_dsn_rcpt *rcpt;	/* 1..ENVELOPE_RCPT_MAX */
	size_t			 nrcpt;
};

/* What queue_dsn_build() wrote, for the new message's envelope. */
struct queue_dsn_out {
	uint64_t	len;		/* octets written */
	int		eightbit;	/* 1: 8-bit octets, send BODY=8BITMIME */
	int		smtputf8;	/* 1: UTF-8 in To:, needs SMTPUTF8 */
	int		returned;	/* 0 none, 1 whole message, 2 headers */
};

/*
 * A writer: takes p[0..len) and returns 0, or -1 to stop the build
 * (queue_dsn_build then fails with 451 4.3.0).
 */
typedef int (*queue_dsn_write_fn)(void *arg, const char *p, size_t len);

/*
 * A writer that appends to the struct buf given as arg (lib/buf.h); it
 * fails when the buffer's maximum is reached or memory is short.
 */
int	queue_dsn_buf_write(void *arg, const char *p, size_t len);

/*
 * Whether a notification of kind `kind` must go to the sender about a
 * recipient with NOTIFY bits `notify` (ENVELOPE_NOTIFY_*, 0 = not given,
 * RFC 3461 §4.1): never for a null sender ("": the caller handles the
 * postmaster's copy) nor for NOTIFY=NEVER; a failure when NOTIFY was not
 * given or names FAILURE; a delay only when delay_warnings is not 0
 * (delay_warning_time is set) and NOTIFY was not given or names DELAY; a
 * success (relayed) only when NOTIFY names SUCCESS.
 * Returns 1 or 0.
 */
int	queue_dsn_wanted(const char *sender, unsigned notify,
	    enum queue_dsn_kind kind, int delay_warnings);

/*
 * Fills *out from the envelope recipient r (borrowing its strings, so r
 * must outlive *out): address, ORCPT, the last error (code, status,
 * text), failure type and MX, last attempt, and retry_until for
 * QUEUE_DSN_ACTION_DELAYED.
 */
void	queue_dsn_rcpt_from_envelope(const struct envelope_rcpt *r,
	    enum queue_dsn_action action, int64_t retry_until,
	    struct queue_dsn_rcpt *out);

/*
 * Finds the first header field `name` (case-insensitive, without ':') in
 * the header block of msg[0..len) (up to the first empty line or the
 * last complete line), unfolds it, trims white space at both ends and
 * copies at most size - 1 octets into out, NUL-terminated (bytes as
 * they are). Returns 1 if found (the value may be cut), else 0 with out
 * set to "". size must be >= 1.
 */
int	queue_dsn_header(const char *msg, size_t len, const char *name,
	    char *out, size_t size);

/*
 * Writes the whole notification, headers and body, with CRLF line ends
 * and no line over 998 octets, through w(warg, ...), and fills *out (if
 * not NULL). Returns 0; or -1 with *why (if not NULL) filled with
 * 451 4.3.0 and what was wrong: an invalid *m (no recipient, an empty
 * sender, hostname, queue id, dsn_id or token, a bad id, an action or
 * kind out of range) or a failing writer; what was already written is
 * then garbage for the caller to discard.
 */
int	queue_dsn_build(const struct queue_dsn_msg *m, queue_dsn_write_fn w,
	    void *warg, struct queue_dsn_out *out, struct reason *why);

#endif
