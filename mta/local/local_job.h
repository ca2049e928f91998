/*
 * local_job.h: one job of the local process through the aliases
 * (doc/design.md §12): every recipient expanded (local_alias.c), the
 * Delivered-To loop check (local_header.c, in a child that becomes the
 * unprivileged user when the process is root), each distinct target of
 * the job delivered once, mailboxes first (Maildir, or one LMTP session),
 * then |command and /file targets (local_command.c), forwards through
 * the pickup socket last (local_forward.c), and one result per
 * recipient made of its targets'.
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_JOB_H
#define SEALPOST_LOCAL_JOB_H

#include <stddef.h>

#include "ipc_msg.h"
#include "lib/conf.h"
#include "local.h"
#include "local_lmtp.h"

/*
 * Delivers job j (content on fd) to its recipients r[0..n), filling
 * res[0..n) (one result each: sent when every target was delivered or
 * forwarded, deferred when any waits, else bounced with the first
 * failure) and *f (the LMTP session's facts when mailboxes went over
 * LMTP, else mx=local tls=local). Blocks for the whole job; never fails
 * otherwise (out of memory defers).
 */
void	local_job_deliver(const struct conf *c, const struct ipc_out_job *j,
	    int fd, const struct ipc_out_rcpt *r, size_t n,
	    struct local_result *res, struct local_lmtp_facts *f);

#endif
