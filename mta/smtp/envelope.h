/*
 * envelope.h: the queue's per-message envelope (doc/design.md §7) and its
 * small, versioned, line-oriented text form, documented in
 * sealpost-envelope(5).  Pure: writing goes into a caller's buffer,
 * parsing reads (ptr, len).  Keeps RFC 3461 DSN parameters, RFC 8689
 * REQUIRETLS and the TLS-Required: No header field (§5), RFC 6531
 * SMTPUTF8, RFC 6152 BODY and, per recipient, the last error with its
 * RFC 8460 failure type.  Linked by smtpin, queue and the sealpost CLI.
 */
#ifndef SEALPOST_ENVELOPE_H
#define SEALPOST_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define ENVELOPE_VERSION	4	/* written; 1 to 3 are still read */
#define ENVELOPE_ID_MIN		12
#define ENVELOPE_ID_MAX		40
#define ENVELOPE_RCPT_MAX	10000

/* String field capacities, in octets without the NUL. */
#define ENVELOPE_ADDR_MAX	256	/* a mailbox: local@domain */
#define ENVELOPE_ENVID_MAX	100	/* RFC 3461 §4.4 */
#define ENVELOPE_AUTH_MAX	500	/* AUTH= of MAIL (RFC 4954 §5) */
#define ENVELOPE_ORCPT_MAX	540	/* "addr-type;address" decoded */
#define ENVELOPE_IP_MAX		63
#define ENVELOPE_HELO_MAX	255
#define ENVELOPE_TLS_MAX	127	/* e.g. "TLSv1.3:TLS_AES_256_GCM_SHA384" */
#define ENVELOPE_USER_MAX	255
#define ENVELOPE_FAILURE_MAX	63	/* RFC 8460 result type */
#define ENVELOPE_MX_MAX		255
#define ENVELOPE_POLICY_MAX	31	/* a policy source: dane, mta-sts */

enum envelope_rcpt_state {
	ENVELOPE_RCPT_PENDING = 0,	/* not tried yet */
	ENVELOPE_RCPT_DEFERRED,		/* tried, will retry at next_retry */
	ENVELOPE_RCPT_SENT,		/* accepted by the next hop / delivered */
	ENVELOPE_RCPT_BOUNCED,		/* permanent failure, bounce due/sent */
	ENVELOPE_RCPT_EXPIRED		/* queue lifetime ran out */
};

enum envelope_body {
	ENVELOPE_BODY_NONE = 0,		/* no BODY= given */
	ENVELOPE_BODY_7BIT,
	ENVELOPE_BODY_8BITMIME
};

enum envelope_ret {
	ENVELOPE_RET_NONE = 0,		/* no RET= given */
	ENVELOPE_RET_FULL,
	ENVELOPE_RET_HDRS
};

/* What the queue made this message as (doc/design.md §12). */
enum envelope_notice {
	ENVELOPE_NOTICE_NONE = 0,	/* mail from a client, or a bounce */
	ENVELOPE_NOTICE_POSTMASTER	/* the postmaster's copy of a bounce
					   that failed: if it fails too, it
					   is dropped with a log line */
};

/* NOTIFY bits (RFC 3461 §4.1); 0 = not given.  Same values as
 * SMTP_ADDR_NOTIFY_*, so smtpin can copy them. */
#define ENVELOPE_NOTIFY_NEVER	0x01
#define ENVELOPE_NOTIFY_SUCCESS	0x02
#define ENVELOPE_NOTIFY_FAILURE	0x04
#define ENVELOPE_NOTIFY_DELAY	0x08

/*
 * All strings are NUL-terminated and may hold any other octet (UTF-8
 * addresses, quoted local parts with spaces); "" means "none".
 */
struct envelope_rcpt {
	char			 addr[ENVELOPE_ADDR_MAX + 1];	/* not "" */
	enum envelope_rcpt_state state;
	uint32_t		 attempts;
	int64_t			 last_attempt;	/* unix time, 0 = never */
	int64_t			 next_retry;	/* unix time, 0 = now */
	unsigned		 notify;	/* ENVELOPE_NOTIFY_* */
	char			 orcpt[ENVELOPE_ORCPT_MAX + 1];	/* "type;addr" */
	/* Last error: error.code == 0 means none, and then every field
	 * below is "" too. */
	struct reason		 error;
	char			 failure[ENVELOPE_FAILURE_MAX + 1];
	char			 mx[ENVELOPE_MX_MAX + 1];	/* who said it */
	/* the policy source that demanded the check that failed (dane,
	   mta-sts, table, memory, floor, requiretls, ...), "" when the
	   failure was no policy's (version 4) */
	char			 policy[ENVELOPE_POLICY_MAX + 1];
};

struct envelope {
	char			 id[ENVELOPE_ID_MAX + 1];
	int64_t			 arrival;	/* unix time */
	uint64_t		 size;		/* content octets */
	char			 from[ENVELOPE_ADDR_MAX + 1];	/* "" = <> */
	enum envelope_body	 body;
	int			 smtputf8;	/* 0 or 1 */
	int			 requiretls;	/* 0 or 1 */
	enum envelope_ret	 ret;
	char			 envid[ENVELOPE_ENVID_MAX + 1];
	char			 auth[ENVELOPE_AUTH_MAX + 1];	/* AUTH= */
	char			 client_ip[ENVELOPE_IP_MAX + 1];
	char			 client_helo[ENVELOPE_HELO_MAX + 1];
	char			 client_tls[ENVELOPE_TLS_MAX + 1];
	char			 client_user[ENVELOPE_USER_MAX + 1];
	int64_t			 warned;	/* delay warning sent, or 0 */
	enum envelope_notice	 notice;
	/* 0 or 1: the header has one "TLS-Required: No" field (RFC 8689
	 * §5) and MAIL had no REQUIRETLS, with which it is ignored */
	int			 tlsrequired_no;
	/* sealpost hold (version 4): held since (unix time), 0 = not held;
	 * held_total = seconds held before, which queue_lifetime does not
	 * count (doc/design.md §12) */
	int64_t			 held;
	int64_t			 held_total;
	/* Owned by the envelope: envelope_add_rcpt() grows it,
	 * envelope_free() releases it. */
	struct envelope_rcpt	*rcpt;
	size_t			 nrcpt;
	size_t			 rcpt_cap;
};

/* Sets *e to an empty envelope (no recipients); allocates nothing. */
void	envelope_init(struct envelope *e);

/* Frees the recipient array and re-initializes *e.  Safe to call twice. */
void	envelope_free(struct envelope *e);

/*
 * Appends a recipient with the NUL-terminated address addr, state
 * pending, everything else zero.  Returns a pointer to it (owned by e,
 * valid until the next envelope_add_rcpt or envelope_free), or NULL if
 * addr is empty or over ENVELOPE_ADDR_MAX, ENVELOPE_RCPT_MAX is reached,
 * or memory is short.
 */
struct envelope_rcpt *envelope_add_rcpt(struct envelope *e,
	    const char *addr);

/*
 * Returns 1 if id[0..len) is a valid queue id ([0-9A-Za-z], 12..40
 * octets), else 0.  Use before building any path from an id.
 */
int	envelope_id_valid(const char *id, size_t len);

/*
 * Checks that *e can be written and read back: valid id, 1..10000
 * recipients, enums and NOTIFY in range, times >= 0, strings terminated
 * within their arrays, failure types of [a-z0-9-], error fields empty
 * when error.code is 0 and error.code in 200..599 otherwise.  Returns 0,
 * or -1 with *why (if not NULL) saying what is wrong (451 4.3.0).
 */
int	envelope_check(const struct envelope *e, struct reason *why);

/*
 * Writes the text form of *e into buf[0..size) (not NUL-terminated) and
 * sets *len to its length.  Returns 0; -1 if size is too small (*len is
 * then the size needed); -2 if envelope_check() fails (*len = 0).
 * The output is canonical: envelope_parse() of it gives *e back, and
 * writing that again gives the same bytes.
 */
int	envelope_write(const struct envelope *e, char *buf, size_t size,
	    size_t *len);

/*
 * Parses buf[0..len) strictly (see sealpost-envelope(5)): wrong magic or
 * version, unknown, missing, repeated or misplaced keys, non-canonical
 * numbers or escapes, a missing final "end\n", or anything after it is
 * an error, so that a truncated or damaged file is refused.
 * Returns 0 and fills *out, which the caller must release with
 * envelope_free(); or -1 with *out left empty (nothing to free) and *why
 * filled with 451 4.3.0 and "line N: ...".  Allocates the recipient
 * array only.
 */
int	envelope_parse(const char *buf, size_t len, struct envelope *out,
	    struct reason *why);

/* Returns the text form of a state ("pending"), or NULL if out of range. */
const char *envelope_rcpt_state_name(enum envelope_rcpt_state s);

#endif
