/*
 * queue_list.h: the pure half of `sealpost queue` on the queue's side
 * (doc/design.md §3, issue 11): checking a listing query
 * (IPC_QUEUE_QUERY) field by field, deciding whether a message passes
 * its filters, and filling the IPC_QUEUE_ITEM and IPC_QUEUE_RCPT frames
 * from an envelope. No I/O, no clock: queue_ctl.c does the walk and the
 * sending. RFC 8460 (the failure types a filter names).
 * Linked by the queue binary and tests/unit/test_queue_list.
 */
#ifndef SEALPOST_QUEUE_LIST_H
#define SEALPOST_QUEUE_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "smtp/envelope.h"

/* Frame bytes (headers included) a batch sends before it stops. */
#define QUEUE_LIST_BYTES_MAX	(1024 * 1024)
/* Envelopes a batch may read from disk, per message it may send. */
#define QUEUE_LIST_READS_PER_MSG	4

/*
 * Checks a query as it came from the master: a known op; id and user
 * NUL-terminated, id "" or a queue id (envelope_id_valid); LIST without
 * an id, SHOW with one; an id given, nothing else is read. Else (a
 * listing, or an operation on a selection, which needs all or a filter):
 * 1 <= max <= IPC_QUEUE_BATCH_MAX, after, domain and failure
 * NUL-terminated inside their fields, after "" or a queue id (envelope_id_valid: every id the
 * runner knows passes it), domain of [a-z0-9.-] only, states of known
 * bits only, failure of [a-z-] only. Returns 0, or -1 with why (if not
 * NULL) filled with a short text for the END frame; never fails on
 * anything but q.
 */
int	queue_list_query_check(const struct ipc_queue_query *q, char *why,
	    size_t whysize);

/* Whether r still waits for delivery: pending or deferred (1 or 0). */
int	queue_list_waiting(const struct envelope_rcpt *r);

/*
 * The state a waiting recipient shows: ACTIVE for every waiting
 * recipient of a message being delivered (active), else HELD for one of
 * a held message, else PENDING or DEFERRED as in the envelope.
 */
enum ipc_queue_state queue_list_state(const struct envelope_rcpt *r,
	    int active, int held);

/*
 * Whether message e (active: being delivered) passes every filter of q,
 * which queue_list_query_check accepted: domain, some waiting
 * recipient's domain (lower case, a trailing dot ignored) equals it;
 * states, some waiting recipient shows one of them; failure, some
 * waiting recipient's last failure type equals it; older_than, the
 * message arrived before it. "" and 0 are any. A message without a
 * waiting recipient is on its way out and never passes. Returns 1 or 0.
 */
int	queue_list_match(const struct ipc_queue_query *q,
	    const struct envelope *e, int active);

/*
 * How many of a message's nwaiting waiting recipients go into a batch:
 * all of them when the item and their frames fit in
 * QUEUE_LIST_BYTES_MAX, else as many as fit (the rest are counted in
 * the item's nomitted). Sets *bytes (if not NULL) to the frame bytes
 * (headers included) of the item and those recipients.
 */
uint32_t queue_list_fit(size_t nwaiting, size_t *bytes);

/*
 * Fills *it for message e, answering query ctl: due is its next attempt
 * as the runner has it (QUEUE_SCHED_NEVER, when only recipients of
 * local domains wait, is sent as 0: none; 0 is also "at once"), active
 * whether it is being delivered, nsend how
 * many of its waiting recipients follow (at most their number; the rest
 * is nomitted). Strings are copied NUL-terminated, cut at a character
 * boundary when too long for the frame, never overflowing it.
 */
void	queue_list_item(struct ipc_queue_item *it, uint64_t ctl,
	    const struct envelope *e, int64_t due, int active,
	    uint32_t nsend);

/*
 * Fills *out for the waiting recipient r of a message (active and
 * held as for queue_list_state), answering query ctl: its address,
 * state, attempts, times and last error with the policy source that
 * demanded the failed check (code 0 and empty strings when it has none).
 */
void	queue_list_rcpt(struct ipc_queue_rcpt *out, uint64_t ctl,
	    const struct envelope_rcpt *r, int active, int held);

#endif
