/*
 * local_lmtp.h: the LMTP driver of the local process (doc/design.md
 * §12): local_transport = lmtp:unix:/path or lmtp:inet:host:port hands
 * a job's recipients to a mail store such as Dovecot in one LMTP
 * session (RFC 2033), driving the pure machine of local_lmtp_proto.c
 * with blocking I/O under poll() and the local_lmtp_*_timeout keys;
 * over TCP to anything but loopback with STARTTLS (RFC 3207), the
 * certificate verified against tls_ca_file and the host name.
 * Linked by the local binary.
 */
#ifndef SEALPOST_LOCAL_LMTP_H
#define SEALPOST_LOCAL_LMTP_H

#include <stddef.h>

#include "ipc_msg.h"
#include "lib/conf.h"
#include "local.h"

/* What the session was, for the out lines and IPC_OUT_RESULT. */
struct local_lmtp_facts {
	char	mx[IPC_DOMAIN_MAX + 1];	/* "local" (UNIX socket) or the
					   host of lmtp:inet */
	char	ip[64];			/* the address connected, or "" */
	char	tls[16];		/* "local", or the TLS version */
	char	cipher[64];		/* the cipher suite, or "" */
	char	verify[16];		/* "pkix" with TLS, else "local" */
};

/*
 * Prepares what the driver needs before it runs: the TLS client
 * credentials (tls_ca_file) when c's local_transport is lmtp:inet (a
 * host that is not loopback needs them). Call once at start. Returns 0
 * (nothing to do for other transports), or -1 with a message in err.
 */
int	local_lmtp_setup(const struct conf *c, char *err, size_t errlen);

/*
 * Delivers the message of job j (its content open on fd, read with
 * pread from offset 0) to the recipients r[0..n) in one LMTP session
 * to c's local_transport, filling res[0..n) (one result per recipient:
 * the server's reply after the final dot, or its refusal of the RCPT)
 * and *f. Blocks for the whole session (the local process delivers one
 * job at a time). A refused or timed-out connect, a lost connection or
 * a timeout defers every recipient not yet decided (451 4.4.2); after
 * the final dot that may deliver a message twice (doc/design.md §1.7,
 * §12). Never fails otherwise: out of memory defers too.
 */
void	local_lmtp_deliver(const struct conf *c, const struct ipc_out_job *j,
	    int fd, const struct ipc_out_rcpt *r, size_t n,
	    struct local_result *res, struct local_lmtp_facts *f);

#endif
