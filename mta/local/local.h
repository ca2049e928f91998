/*
 * local.h: the local process (doc/design.md §2, §12): it takes delivery
 * jobs for the recipients of local_domains from the queue, on the same
 * protocol as smtpout's (IPC_OUT_JOB + content fd, IPC_OUT_RCPT;
 * IPC_OUT_RESULT per recipient, IPC_OUT_DONE), expands each recipient
 * through the aliases (local_job.c) and delivers the results: into a
 * Maildir as that user (local_transport = maildir) or over LMTP, to a
 * command or file of the alias file, or forwarded through pickup.
 * It stays root for one reason: to become each recipient, in a child
 * forked for that one delivery, before anything of the recipient's is
 * opened. Shared by local_main.c (the channel and the jobs) and
 * local_deliver.c (one recipient).
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_H
#define SEALPOST_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "lib/conf.h"

/* How long one Maildir delivery may take before its child is killed. */
#define LOCAL_DELIVER_TIMEOUT_MS	(10 * 60 * 1000)

/* What a delivery to one recipient came to, for its IPC_OUT_RESULT. */
struct local_result {
	int	outcome;		/* enum ipc_out_outcome */
	int	code;
	char	dsn[16];
	char	text[400];
	char	forwarded[32];		/* the new queue id of a forward
					   through pickup, else "" */
};

/* Fills *res (zeroed first) with the outcome, reply code, DSN and text
   (cut to fit). */
void	local_result_set(struct local_result *res, int outcome, int code,
	    const char *dsn, const char *text);

/*
 * Closes every descriptor from 3 on but a and b (in a child about to
 * become a user: it holds nothing of ours, such as the channels to the
 * master and the queue).
 */
void	local_keep_fds(int a, int b);

/*
 * Delivers the message of job j (its content open on fd) to recipient
 * r, as the user r's local part names (a '+' extension is not part of
 * it), into that user's local_maildir; fills *res. A user that does not
 * exist, root, or a system account below local_min_uid is a permanent
 * failure (550 5.1.1); anything that could go well later (a full disk,
 * a child that died or took longer than LOCAL_DELIVER_TIMEOUT_MS) a
 * temporary one. Blocks for the one delivery.
 */
void	local_deliver(const struct conf *, const struct ipc_out_job *j,
	    int fd, const struct ipc_out_rcpt *r, struct local_result *res);

#endif
