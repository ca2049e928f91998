/*
 * queue_sched.h: the pure decisions of the queue runner (doc/design.md
 * §12): when a recipient is tried again (exponential backoff between
 * retry_min and retry_max), when it expires (queue_lifetime), which
 * recipients are due, how they are grouped into jobs (one per destination
 * domain: one SMTP transaction carries every recipient of a message for
 * one domain), and what a delivery result does to a recipient. No I/O,
 * no clock: "now" is an argument. Linked by the queue and its unit tests.
 */
#ifndef SEALPOST_QUEUE_SCHED_H
#define SEALPOST_QUEUE_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "smtp/envelope.h"

#define QUEUE_SCHED_NEVER	INT64_MAX	/* nothing is due, ever */
#define QUEUE_SCHED_DOMAIN_MAX	255

struct queue_sched_conf {
	unsigned	retry_min;		/* seconds, >= 1 */
	unsigned	retry_max;		/* seconds, >= retry_min */
	unsigned	queue_lifetime;		/* seconds */
	unsigned	delay_warning_time;	/* seconds, 0 = off */
	/* domains delivered by the local transport, lower case */
	const char	(*local_domains)[256];
	size_t		nlocal_domains;
	int		local_delivery;	/* local_transport is not none: their
					   recipients are delivered too */
};

/*
 * The wait before attempt number attempts + 1 after attempts failed ones
 * (attempts >= 1): retry_min * 2^(attempts - 1), at most retry_max.
 */
int64_t	queue_sched_backoff(const struct queue_sched_conf *, uint32_t attempts);

/*
 * Copies the domain of addr (after its last '@'), in lower case, into
 * out[size]. Returns 0, or -1 when addr has no '@', the domain is empty
 * or longer than QUEUE_SCHED_DOMAIN_MAX. An address literal ("[1.2.3.4]")
 * is returned as written.
 */
int	queue_sched_domain(const char *addr, char *out, size_t size);

/* Whether domain (lower case) is one of the local domains. */
int	queue_sched_is_local(const struct queue_sched_conf *, const char *domain);

/*
 * Whether recipient r waits for a delivery attempt: pending or deferred,
 * by smtpout, or for a local domain by the local process when local
 * delivery is on (local_transport; when it is none such recipients stay
 * pending, doc/design.md §12).
 */
int	queue_sched_is_open(const struct queue_sched_conf *,
	    const struct envelope_rcpt *r);

/*
 * When the message is next due: the earliest next_retry of its open
 * remote recipients (0 for one never tried: at once), or
 * QUEUE_SCHED_NEVER when none is open or it is held.
 */
int64_t	queue_sched_due(const struct queue_sched_conf *,
	    const struct envelope *e);

/*
 * Whether the message's lifetime is over at now: queue_lifetime after
 * its arrival, not counting the time it was held (held_total); never
 * while it is held.
 */
int	queue_sched_expired(const struct queue_sched_conf *,
	    const struct envelope *e, int64_t now);

/*
 * sealpost hold: e is held from now on (no job, no expiry, no delay
 * warning, QUEUE_SCHED_NEVER due). Returns 1, or 0 when it already was.
 */
int	queue_sched_hold(struct envelope *e, int64_t now);

/*
 * sealpost release: e is held no more; the time it was held is added to
 * held_total and its open remote recipients are due at now. Returns 1, or
 * 0 when it was not held.
 */
int	queue_sched_release(const struct queue_sched_conf *, struct envelope *e,
	    int64_t now);

/*
 * sealpost flush: the open remote recipients of e that wait for a retry
 * are due at now. Returns how many recipients are open and remote (0:
 * nothing to try; also 0 while e is held).
 */
size_t	queue_sched_flush(const struct queue_sched_conf *, struct envelope *e,
	    int64_t now);

/* Whether every recipient is final (sent, bounced, expired). */
int	queue_sched_all_final(const struct envelope *e);

/*
 * One job: recipients of one message for one domain, by their index in
 * the envelope.
 */
struct queue_sched_group {
	char		 domain[QUEUE_SCHED_DOMAIN_MAX + 1];
	uint32_t	*idx;		/* owned: free with queue_sched_groups_free */
	size_t		 n;
};

/*
 * Groups the recipients of e that are open, remote and due at now
 * (next_retry <= now) by domain (none while e is held), in the order of their first recipient.
 * A recipient whose address has no usable domain is not grouped; it is
 * reported in *bad (indices, owned by the caller to free) so that the
 * caller bounces it. Returns the number of groups (>= 0) with *out
 * allocated, or -1 when memory is short.
 */
ssize_t	queue_sched_groups(const struct queue_sched_conf *,
	    const struct envelope *e, int64_t now,
	    struct queue_sched_group **out, uint32_t **bad, size_t *nbad);
void	queue_sched_groups_free(struct queue_sched_group *, size_t n);

/* What smtpout said about one recipient (enum ipc_out_outcome). */
enum queue_sched_outcome {
	QUEUE_SCHED_SENT = 1,
	QUEUE_SCHED_DEFERRED,
	QUEUE_SCHED_BOUNCED,
};

/*
 * Applies one attempt's result to r at now: attempts and last_attempt
 * counted, its policy source cleared (the caller sets it); SENT makes it sent (its error cleared); BOUNCED bounced with
 * the error; DEFERRED deferred with the error and next_retry after the
 * backoff, or expired when the message's lifetime is over at now.
 * error may be NULL for SENT. Returns the new state.
 */
enum envelope_rcpt_state queue_sched_apply(const struct queue_sched_conf *,
	    const struct envelope *e, struct envelope_rcpt *r,
	    enum queue_sched_outcome outcome, const struct reason *error,
	    const char *failure, const char *mx, int64_t now);

/*
 * Whether a delay warning is due for e at now: warnings on, none sent
 * yet, not held, a non-null sender, the message older than delay_warning_time,
 * and at least one deferred recipient whose NOTIFY asks for delays (or
 * gave no NOTIFY).
 */
int	queue_sched_warn_due(const struct queue_sched_conf *,
	    const struct envelope *e, int64_t now);

#endif
