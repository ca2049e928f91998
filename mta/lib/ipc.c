/*
 * ipc.c: framed typed messages over SOCK_SEQPACKET with fd passing
 * (see ipc.h). Linked by every daemon and the CLI.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "loop.h"

struct ipc_out {
	struct ipc_out	*next;
	int		 fd;
	size_t		 len;		/* whole frame */
	unsigned char	 frame[];
};

const char *
ipc_strerror(enum ipc_err e)
{
	switch (e) {
	case IPC_OK:
		return "ok";
	case IPC_ESHORT:
		return "truncated message";
	case IPC_ETRAILING:
		return "message longer than its header says";
	case IPC_EOVERSIZE:
		return "oversized message";
	case IPC_EUNLISTED:
		return "message type not allowed on this channel";
	case IPC_EFD:
		return "bad file descriptor passing";
	case IPC_EOF:
		return "channel closed by peer";
	case IPC_ESYS:
		return "system error";
	case IPC_EFULL:
		return "peer does not read its messages";
	}
	return "unknown error";
}

enum ipc_err
ipc_frame_decode(const void *buf, size_t n, uint64_t allow,
    struct ipc_msg *out)
{
	struct ipc_hdr h;

	if (n < sizeof(h))
		return IPC_ESHORT;
	memcpy(&h, buf, sizeof(h));
	if (h.len > IPC_PAYLOAD_MAX)
		return IPC_EOVERSIZE;
	if (n < sizeof(h) + h.len)
		return IPC_ESHORT;
	if (n > sizeof(h) + h.len)
		return IPC_ETRAILING;
	if (h.type == IPC_NONE || h.type >= IPC_TYPE_MAX ||
	    (allow & IPC_ALLOW(h.type)) == 0)
		return IPC_EUNLISTED;
	out->type = h.type;
	out->len = h.len;
	out->data = (const unsigned char *)buf + sizeof(h);
	out->fd = -1;
	return IPC_OK;
}

/*
 * Reads one datagram. Returns IPC_OK with msg filled, IPC_EOF, IPC_ESYS
 * (errno EAGAIN when nothing is waiting) or a framing error. Any fd that
 * came with a refused frame is closed here.
 */
static enum ipc_err
ipc_read_one(int sock, uint64_t allow, void *buf, struct ipc_msg *msg)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	enum ipc_err e;
	ssize_t n;
	int fd = -1, nfds = 0, *fds, i, k;

	memset(&mh, 0, sizeof(mh));
	/* One byte more than any valid frame, so oversize shows as length. */
	iov.iov_base = buf;
	iov.iov_len = IPC_FRAME_MAX + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &cm;
	mh.msg_controllen = sizeof(cm);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return IPC_ESYS;
	if (n == 0)
		return IPC_EOF;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)(void *)CMSG_DATA(c);
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			if (nfds++ == 0)
				fd = fds[i];
			else
				close(fds[i]);
		}
	}
	if (nfds > 1 || (mh.msg_flags & MSG_CTRUNC)) {
		if (fd != -1)
			close(fd);
		return IPC_EFD;
	}
	if (mh.msg_flags & MSG_TRUNC)
		e = IPC_EOVERSIZE;
	else
		e = ipc_frame_decode(buf, (size_t)n, allow, msg);
	if (e != IPC_OK) {
		if (fd != -1)
			close(fd);
		return e;
	}
	msg->fd = fd;
	return IPC_OK;
}

static void	ipc_chan_failed(void *);

/* Tells the owner that ch broke: errcb, or fatal without one. */
static void
ipc_chan_report(struct ipc_chan *ch, enum ipc_err e, int err)
{
	if (ch->errcb != NULL) {
		ch->errcb(ch, e, ch->arg);
		return;
	}
	errno = err;
	if (e == IPC_ESYS)
		fatal("ipc with %s", ch->name);
	fatalx("ipc with %s: %s", ch->name, ipc_strerror(e));
}

/*
 * Marks ch broken and tells its owner: at once when called from the
 * channel's own event handler (the loop: nothing of the owner's is on the
 * stack), through a 0 ms timer when called from ipc_send, whose caller
 * may still be using the channel (doc/design.md §3). Either way the
 * caller must not touch ch after this returns if it may be freed: the
 * event handler returns at once.
 */
static void
ipc_chan_fail(struct ipc_chan *ch, enum ipc_err e, int deferred)
{
	int saved = errno;

	if (ch->broken)
		return;
	ch->broken = 1;
	loop_fd_del(ch->loop, ch->fd);
	if (!deferred) {
		ipc_chan_report(ch, e, saved);
		return;
	}
	ch->fail_err = e;
	ch->fail_errno = saved;
	loop_timer_set(ch->loop, &ch->fail_timer, 0, ipc_chan_failed, ch);
}

static void
ipc_chan_failed(void *arg)
{
	struct ipc_chan *ch = arg;

	ipc_chan_report(ch, ch->fail_err, ch->fail_errno);
}

static int
ipc_flush(struct ipc_chan *ch)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct ipc_out *o;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	ssize_t n;

	while ((o = ch->head) != NULL) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = o->frame;
		iov.iov_len = o->len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (o->fd != -1) {
			memset(&cm, 0, sizeof(cm));
			mh.msg_control = &cm;
			mh.msg_controllen = sizeof(cm);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &o->fd, sizeof(int));
		}
		n = sendmsg(ch->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		ch->head = o->next;
		if (ch->head == NULL)
			ch->tail = NULL;
		ch->outbytes -= o->len;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	return 0;
}

static void
ipc_chan_event(int fd, uint32_t events, void *arg)
{
	struct ipc_chan *ch = arg;
	unsigned char *buf;
	struct ipc_msg msg;
	enum ipc_err e;
	int rounds, alive = 1;

	if (events & EPOLLOUT) {
		if (ipc_flush(ch) == -1) {
			ipc_chan_fail(ch, IPC_ESYS, 0);
			return;
		}
		if (ch->head == NULL)
			(void)loop_fd_mod(ch->loop, ch->fd, EPOLLIN);
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
		return;
	if ((buf = malloc(IPC_FRAME_MAX + 1)) == NULL)
		fatal("ipc");
	/*
	 * Bounded rounds so that one busy peer cannot starve the loop. The
	 * callback may close (and free) the channel: alive says so, and then
	 * nothing of ch is read again (doc/design.md §3).
	 */
	ch->alive = &alive;
	for (rounds = 0; rounds < 64 && !ch->broken; rounds++) {
		e = ipc_read_one(fd, ch->allow, buf, &msg);
		if (e == IPC_ESYS && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (e != IPC_OK) {
			ch->alive = NULL;
			ipc_chan_fail(ch, e, 0);
			alive = 0;
			break;
		}
		ch->cb(ch, &msg, ch->arg);
		if (!alive)
			break;
	}
	if (alive)
		ch->alive = NULL;
	free(buf);
}

int
ipc_chan_init(struct ipc_chan *ch, struct loop *l, int fd, const char *name,
    uint64_t allow, ipc_msg_cb cb, ipc_err_cb errcb, void *arg)
{
	int fl;

	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->outmax = IPC_OUT_MAX;
	ch->loop = l;
	ch->name = name;
	ch->allow = allow;
	ch->cb = cb;
	ch->errcb = errcb;
	ch->arg = arg;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return loop_fd_add(l, fd, EPOLLIN, ipc_chan_event, ch);
}

/* Builds one outgoing frame; NULL (fd closed) when too big or no memory. */
static struct ipc_out *
ipc_out_new(uint32_t type, const void *data, size_t len, int fd)
{
	struct ipc_hdr h;
	struct ipc_out *o;

	if (len > IPC_PAYLOAD_MAX ||
	    (o = malloc(sizeof(*o) + sizeof(h) + len)) == NULL) {
		if (fd != -1)
			close(fd);
		if (len > IPC_PAYLOAD_MAX)
			errno = EMSGSIZE;
		return NULL;
	}
	h.type = type;
	h.len = (uint32_t)len;
	memcpy(o->frame, &h, sizeof(h));
	if (len > 0)
		memcpy(o->frame + sizeof(h), data, len);
	o->len = sizeof(h) + len;
	o->fd = fd;
	o->next = NULL;
	return o;
}

int
ipc_send(struct ipc_chan *ch, uint32_t type, const void *data, size_t len,
    int fd)
{
	struct ipc_out *o;
	int was_empty = (ch->head == NULL);

	if (ch->broken) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (ch->outbytes + sizeof(struct ipc_hdr) + len > ch->outmax) {
		if (fd != -1)
			close(fd);
		ipc_chan_fail(ch, IPC_EFULL, 1);
		return -1;
	}
	if ((o = ipc_out_new(type, data, len, fd)) == NULL)
		return -1;
	if (ch->tail != NULL)
		ch->tail->next = o;
	else
		ch->head = o;
	ch->tail = o;
	ch->outbytes += o->len;
	if (!was_empty)
		return 0;
	if (ipc_flush(ch) == -1) {
		ipc_chan_fail(ch, IPC_ESYS, 1);
		return -1;
	}
	if (ch->head != NULL)
		(void)loop_fd_mod(ch->loop, ch->fd, EPOLLIN | EPOLLOUT);
	return 0;
}

void
ipc_chan_set_outmax(struct ipc_chan *ch, size_t max)
{
	ch->outmax = max;
}

size_t
ipc_pending(const struct ipc_chan *ch)
{
	return ch->outbytes;
}

void
ipc_chan_close(struct ipc_chan *ch)
{
	struct ipc_out *o;

	if (ch->alive != NULL) {
		*ch->alive = 0;
		ch->alive = NULL;
	}
	if (ch->loop != NULL)
		loop_timer_cancel(ch->loop, &ch->fail_timer);
	if (!ch->broken && ch->loop != NULL)
		loop_fd_del(ch->loop, ch->fd);
	ch->broken = 1;
	while ((o = ch->head) != NULL) {
		ch->head = o->next;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	ch->tail = NULL;
	ch->outbytes = 0;
	if (ch->fd != -1)
		close(ch->fd);
	ch->fd = -1;
}

int
ipc_send_fd(int sock, uint32_t type, const void *data, size_t len, int fd)
{
	struct ipc_chan tmp;
	struct pollfd pfd;
	int rv = 0;

	/* Reuse the queueing code with a private, loop-less channel. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.fd = sock;
	tmp.name = "peer";
	if ((tmp.head = ipc_out_new(type, data, len, fd)) == NULL)
		return -1;
	tmp.tail = tmp.head;
	while (tmp.head != NULL) {
		if (ipc_flush(&tmp) == -1) {
			rv = -1;
			break;
		}
		if (tmp.head == NULL)
			break;
		pfd.fd = sock;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
			rv = -1;
			break;
		}
	}
	if (tmp.head != NULL) {
		/* fd ownership moved to us; don't leak it on failure */
		if (tmp.head->fd != -1)
			close(tmp.head->fd);
		free(tmp.head);
	}
	return rv;
}

enum ipc_err
ipc_recv_fd(int sock, uint64_t allow, void *buf, int timeout_ms,
    struct ipc_msg *msg)
{
	struct pollfd pfd;
	enum ipc_err e;
	int r;

	for (;;) {
		e = ipc_read_one(sock, allow, buf, msg);
		if (e != IPC_ESYS || (errno != EAGAIN && errno != EWOULDBLOCK))
			return e;
		pfd.fd = sock;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, timeout_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return IPC_ESYS;
		if (r == 0) {
			errno = ETIMEDOUT;
			return IPC_ESYS;
		}
	}
}
