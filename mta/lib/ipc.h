/*
 * ipc.h: framed typed messages over UNIX SOCK_SEQPACKET sockets, with fd
 * passing (doc/design.md §3). A frame is struct ipc_hdr followed by exactly
 * hdr.len payload bytes in one datagram; a short, oversized, trailing-junk
 * or unlisted frame is an error the receiver treats as fatal (children
 * fatalx; the master kills the child that sent it).
 *
 * Ownership (doc/design.md §3): the owner of a struct ipc_chan may close it
 * (ipc_chan_close) from anywhere, including its own message or error
 * callback, and may free the memory right after; it must not free a
 * channel that was not closed. Once a callback closed its channel, this
 * layer never touches it again. The error callback runs only from the
 * event loop, never from inside ipc_send: a caller of ipc_send may go on
 * using the channel (and other channels) after a failed send.
 * Linked by every daemon and the CLI.
 */
#ifndef SEALPOST_IPC_H
#define SEALPOST_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "loop.h"

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes after the header */
};

#define IPC_FRAME_MAX	(sizeof(struct ipc_hdr) + IPC_PAYLOAD_MAX)

enum ipc_err {
	IPC_OK = 0,
	IPC_ESHORT,		/* fewer bytes than the header announces */
	IPC_ETRAILING,		/* more bytes than the header announces */
	IPC_EOVERSIZE,		/* payload larger than IPC_PAYLOAD_MAX */
	IPC_EUNLISTED,		/* type not in the channel's allow-list */
	IPC_EFD,		/* more than one fd, or truncated control data */
	IPC_EOF,		/* peer closed the channel */
	IPC_ESYS,		/* recvmsg/sendmsg failed; see errno */
	IPC_EFULL,		/* the peer does not read: IPC_OUT_MAX queued */
};

/*
 * Bytes a channel may hold unsent. A peer that lets more pile up does not
 * read its messages: the channel is broken (IPC_EFULL), like any other
 * protocol failure, instead of growing without bound. Large enough for
 * the largest envelope smtpin hands the queue in one go (8 MiB).
 */
#define IPC_OUT_MAX	(16 * 1024 * 1024)

struct ipc_msg {
	uint32_t	 type;
	uint32_t	 len;
	const void	*data;		/* valid during the callback only */
	int		 fd;		/* -1, or a received fd now owned by the
					   callback (it must close or keep it) */
};

struct ipc_chan;
typedef void (*ipc_msg_cb)(struct ipc_chan *, const struct ipc_msg *, void *);
/* Called once when the channel breaks; err says why. */
typedef void (*ipc_err_cb)(struct ipc_chan *, enum ipc_err err, void *);

struct ipc_out;

struct ipc_chan {
	int		 fd;
	struct loop	*loop;
	const char	*name;		/* peer, for messages */
	uint64_t	 allow;		/* IPC_ALLOW() bits */
	ipc_msg_cb	 cb;
	ipc_err_cb	 errcb;
	void		*arg;
	struct ipc_out	*head, *tail;
	size_t		 outbytes;	/* queued, unsent */
	size_t		 outmax;	/* IPC_OUT_MAX unless set */
	int		 broken;
	/* a failure in ipc_send, reported to errcb from the loop */
	enum ipc_err	 fail_err;
	int		 fail_errno;
	struct loop_timer fail_timer;
	/* while a callback runs: cleared by ipc_chan_close */
	int		*alive;
};

/*
 * Checks a received datagram of n bytes against the allow-list and fills
 * out (data points into buf). Returns IPC_OK or the reason it is refused.
 * Pure.
 */
enum ipc_err	ipc_frame_decode(const void *buf, size_t n, uint64_t allow,
		    struct ipc_msg *out);
/* A short text for err ("truncated message", ...). */
const char	*ipc_strerror(enum ipc_err);

/*
 * Attaches fd (a SOCK_SEQPACKET end, made non-blocking here) to the loop.
 * errcb NULL means fatalx. Returns 0 or -1.
 */
int	ipc_chan_init(struct ipc_chan *, struct loop *, int fd,
	    const char *name, uint64_t allow, ipc_msg_cb, ipc_err_cb, void *);
/*
 * Queues one message (len <= IPC_PAYLOAD_MAX) and passes fd along if it is
 * not -1; ownership of fd moves to the channel, which closes it once sent.
 * Returns 0, or -1 when the channel is broken, memory runs out, or the
 * peer let IPC_OUT_MAX bytes pile up; a channel that breaks here hears of
 * it through its error callback from the loop, after this returns.
 */
int	ipc_send(struct ipc_chan *, uint32_t type, const void *data,
	    size_t len, int fd);
/*
 * Lets bytes pile up to max on this channel instead of IPC_OUT_MAX: for a
 * sender whose own limits already bound what it queues (smtpin's
 * envelopes, doc/design.md §3).
 */
void	ipc_chan_set_outmax(struct ipc_chan *, size_t max);
/*
 * Bytes queued and not yet taken by the peer: a sender of many messages
 * (a listing) waits while this is large, so the bound is never reached.
 */
size_t	ipc_pending(const struct ipc_chan *);
/*
 * Detaches and closes the channel, dropping unsent messages and their fds.
 * Safe from the channel's own callbacks; the memory may be freed after.
 */
void	ipc_chan_close(struct ipc_chan *);

/* Blocking variants for the CLI and for tests (no loop). */
int	ipc_send_fd(int sock, uint32_t type, const void *data, size_t len,
	    int fd);
/*
 * Receives one frame into buf (IPC_FRAME_MAX bytes) waiting at most
 * timeout_ms (-1: forever). Returns IPC_OK and fills msg, or an error
 * (IPC_ESYS with errno ETIMEDOUT on timeout).
 */
enum ipc_err	ipc_recv_fd(int sock, uint64_t allow, void *buf, int timeout_ms,
		    struct ipc_msg *msg);

#endif
