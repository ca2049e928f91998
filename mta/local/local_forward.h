/*
 * local_forward.h: an alias's remote targets (doc/design.md §12): the
 * local process submits the message again, as a new message, through
 * the pickup socket run_dir/pickup (SMTP as sendmail(8) speaks it there,
 * RFC 5321), with the original envelope sender, a Delivered-To field
 * prepended, one RCPT per target; the new message goes through the
 * queue and leaves over TLS like any other.
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_FORWARD_H
#define SEALPOST_LOCAL_FORWARD_H

#include <stddef.h>

#include "ipc_msg.h"
#include "lib/conf.h"
#include "local.h"

#define LOCAL_FORWARD_TIMEOUT	300	/* seconds per reply and write */

/*
 * Submits the message of job j (content on fd, read with pread) for
 * the original recipient rcpt to the addresses to[0..n) on c's pickup
 * socket, one SMTP transaction (one new message) per recipient_limit
 * of them, all on one connection: MAIL FROM the job's sender (<> stays
 * <>) with BODY=8BITMIME, SMTPUTF8 and REQUIRETLS when the job has
 * them, DATA with "Delivered-To: rcpt" first. Fills res[0..n): sent
 * with the new queue id in res[i].forwarded once the pickup answered
 * 250 to the content; a refused RCPT its refusal (5xx bounced, 4xx
 * deferred); everything else (no socket, a lost connection, a 4xx)
 * deferred with 451 4.4.2 or the reply. Blocks.
 */
void	local_forward(const struct conf *c, const struct ipc_out_job *j,
	    int fd, const char *rcpt, const char *const *to, size_t n,
	    struct local_result *res);

#endif
