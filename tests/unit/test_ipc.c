/*
 * test_ipc.c: IPC framing: well-formed frames pass; truncated, oversized,
 * trailing-junk and unlisted frames are refused, over a real socketpair
 * too, and a passed fd arrives usable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ipc.h"
#include "lib/loop.h"

static size_t
frame(unsigned char *buf, uint32_t type, uint32_t len, const void *data,
    size_t datalen)
{
	struct ipc_hdr h = { type, len };

	memcpy(buf, &h, sizeof(h));
	if (datalen > 0)
		memcpy(buf + sizeof(h), data, datalen);
	return sizeof(h) + datalen;
}

static void
test_decode_table(void **state)
{
	static unsigned char buf[IPC_FRAME_MAX + 64];
	const uint64_t allow = IPC_ALLOW(IPC_PING) | IPC_ALLOW(IPC_PONG);
	struct ipc_ping ping = { 7 };
	struct ipc_msg m;
	size_t n;

	(void)state;
	n = frame(buf, IPC_PING, sizeof(ping), &ping, sizeof(ping));
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_OK);
	assert_int_equal(m.type, IPC_PING);
	assert_int_equal(m.len, sizeof(ping));
	assert_memory_equal(m.data, &ping, sizeof(ping));
	assert_int_equal(m.fd, -1);

	/* every truncation of a valid frame */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(ipc_frame_decode(buf, k, allow, &m),
		    IPC_ESHORT);
	/* header says more than arrived */
	n = frame(buf, IPC_PING, 100, &ping, sizeof(ping));
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_ESHORT);
	/* header says less than arrived */
	n = frame(buf, IPC_PING, 1, &ping, sizeof(ping));
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_ETRAILING);
	/* oversized payload announced */
	n = frame(buf, IPC_PING, IPC_PAYLOAD_MAX + 1, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_EOVERSIZE);
	n = frame(buf, IPC_PING, UINT32_MAX, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_EOVERSIZE);
	/* unlisted, unknown and zero types */
	n = frame(buf, IPC_CTL_STATUS, 0, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_EUNLISTED);
	n = frame(buf, IPC_TYPE_MAX, 0, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, ~(uint64_t)0, &m),
	    IPC_EUNLISTED);
	n = frame(buf, IPC_NONE, 0, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, ~(uint64_t)0, &m),
	    IPC_EUNLISTED);
	n = frame(buf, 63, 0, NULL, 0);
	assert_int_equal(ipc_frame_decode(buf, n, ~(uint64_t)0, &m),
	    IPC_EUNLISTED);
	/* largest valid payload */
	memset(buf + sizeof(struct ipc_hdr), 'x', IPC_PAYLOAD_MAX);
	n = frame(buf, IPC_PONG, IPC_PAYLOAD_MAX, NULL, 0) + IPC_PAYLOAD_MAX;
	assert_int_equal(ipc_frame_decode(buf, n, allow, &m), IPC_OK);
}

static void
test_socket_roundtrip_with_fd(void **state)
{
	static unsigned char buf[IPC_FRAME_MAX + 1];
	struct ipc_ping ping = { 42 };
	struct ipc_msg m;
	char got[4];
	int sp[2], pp[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(pipe(pp), 0);
	assert_int_equal(ipc_send_fd(sp[0], IPC_PING, &ping, sizeof(ping),
	    pp[0]), 0);
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 1000,
	    &m), IPC_OK);
	assert_int_equal(m.type, IPC_PING);
	assert_memory_equal(m.data, &ping, sizeof(ping));
	assert_true(m.fd >= 0);
	assert_int_equal(write(pp[1], "abc", 3), 3);
	assert_int_equal(read(m.fd, got, 3), 3);
	assert_memory_equal(got, "abc", 3);
	close(m.fd);
	close(pp[1]);
	close(sp[0]);
	close(sp[1]);
}

static void
test_socket_refusals(void **state)
{
	static unsigned char buf[IPC_FRAME_MAX + 64];
	struct ipc_msg m;
	size_t n;
	int sp[2], pp[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	/* a truncated datagram */
	n = frame(buf, IPC_PING, 4, NULL, 0);
	assert_int_equal(send(sp[0], buf, n, 0), (ssize_t)n);
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 1000,
	    &m), IPC_ESHORT);
	/* an oversized datagram: longer than any frame */
	memset(buf, 0, sizeof(buf));
	n = frame(buf, IPC_PING, 16, NULL, 0);
	assert_int_equal(send(sp[0], buf, IPC_FRAME_MAX + 10, 0),
	    (ssize_t)IPC_FRAME_MAX + 10);
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 1000,
	    &m), IPC_EOVERSIZE);
	/* an unlisted type, with an fd that must not leak */
	assert_int_equal(pipe(pp), 0);
	assert_int_equal(ipc_send_fd(sp[0], IPC_PONG, NULL, 0, pp[0]), 0);
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 1000,
	    &m), IPC_EUNLISTED);
	/* the refused fd was closed: the pipe's read side is gone */
	(void)signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write(pp[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(pp[1]);
	/* timeout */
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 10, &m),
	    IPC_ESYS);
	assert_int_equal(errno, ETIMEDOUT);
	/* peer gone */
	close(sp[0]);
	assert_int_equal(ipc_recv_fd(sp[1], IPC_ALLOW(IPC_PING), buf, 1000,
	    &m), IPC_EOF);
	close(sp[1]);
	/* oversized send refused locally */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(ipc_send_fd(sp[0], IPC_PING, buf,
	    IPC_PAYLOAD_MAX + 1, -1), -1);
	close(sp[0]);
	close(sp[1]);
}

/* A channel in a loop: messages arrive in order; an unlisted one breaks it. */
struct chan_state {
	struct loop	*loop;
	int		 got;
	uint32_t	 last;
	enum ipc_err	 err;
};

static void
chan_msg(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct chan_state *s = arg;
	struct ipc_ping p;

	(void)ch;
	memcpy(&p, m->data, sizeof(p));
	assert_int_equal(p.seq, s->last + 1);
	s->last = p.seq;
	s->got++;
}

static void
chan_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct chan_state *s = arg;

	(void)ch;
	s->err = e;
	loop_exit(s->loop);
}

static void
test_channel_in_loop(void **state)
{
	struct chan_state s;
	struct ipc_chan rx, tx;
	struct ipc_ping p;
	int sp[2];
	uint32_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.loop = loop_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(ipc_chan_init(&rx, s.loop, sp[1], "rx",
	    IPC_ALLOW(IPC_PING), chan_msg, chan_err, &s), 0);
	assert_int_equal(ipc_chan_init(&tx, s.loop, sp[0], "tx", 0, chan_msg,
	    chan_err, &s), 0);
	/* more than the socket buffer holds: the sender must queue */
	for (i = 1; i <= 2000; i++) {
		p.seq = i;
		assert_int_equal(ipc_send(&tx, IPC_PING, &p, sizeof(p), -1), 0);
	}
	assert_int_equal(ipc_send(&tx, IPC_PONG, NULL, 0, -1), 0);
	assert_int_equal(loop_run(s.loop), 0);
	assert_int_equal(s.got, 2000);
	assert_int_equal(s.err, IPC_EUNLISTED);
	assert_true(rx.broken);
	ipc_chan_close(&rx);
	ipc_chan_close(&tx);
	loop_free(s.loop);
}

/*
 * A callback may close and free its own channel (doc/design.md §3): with
 * several frames waiting, the first callback frees the channel and the
 * layer must not read it again (under ASan a use-after-free fails this).
 */
struct owned {
	struct ipc_chan	 chan;
	int		*calls;
	struct loop	*loop;
};

static void
owned_msg(struct ipc_chan *ch, const struct ipc_msg *m, void *arg)
{
	struct owned *o = arg;

	(void)m;
	(*o->calls)++;
	ipc_chan_close(ch);
	memset(o, 0x5a, sizeof(*o));	/* what a reuse of the memory does */
	free(o);
}

static void
owned_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct owned *o = arg;

	(void)e;
	(*o->calls) += 100;
	ipc_chan_close(ch);
	free(o);
}

static void
stop_loop(void *arg)
{
	loop_exit(arg);
}

static void
test_callback_frees_channel(void **state)
{
	struct loop *l = loop_new();
	struct loop_timer t = { 0 };
	struct owned *o;
	struct ipc_ping p = { 1 };
	int sp[2], calls = 0, i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	/* three frames wait before the loop reads any */
	for (i = 0; i < 3; i++)
		assert_int_equal(ipc_send_fd(sp[0], IPC_PING, &p, sizeof(p),
		    -1), 0);
	assert_non_null(o = calloc(1, sizeof(*o)));
	o->calls = &calls;
	o->loop = l;
	assert_int_equal(ipc_chan_init(&o->chan, l, sp[1], "owned",
	    IPC_ALLOW(IPC_PING), owned_msg, owned_err, o), 0);
	loop_timer_set(l, &t, 200, stop_loop, l);
	assert_int_equal(loop_run(l), 0);
	/* one message handled, no error callback on freed memory */
	assert_int_equal(calls, 1);

	/* the same when the frame that arrives is refused: errcb frees */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp + 0), 0);
	calls = 0;
	assert_int_equal(ipc_send_fd(sp[0], IPC_PONG, NULL, 0, -1), 0);
	assert_int_equal(ipc_send_fd(sp[0], IPC_PING, &p, sizeof(p), -1), 0);
	assert_non_null(o = calloc(1, sizeof(*o)));
	o->calls = &calls;
	assert_int_equal(ipc_chan_init(&o->chan, l, sp[1], "owned",
	    IPC_ALLOW(IPC_PING), owned_msg, owned_err, o), 0);
	loop_timer_set(l, &t, 200, stop_loop, l);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(calls, 100);
	close(sp[0]);
	loop_free(l);
}

/*
 * The send queue is bounded: a peer that never reads breaks the channel
 * (IPC_EFULL) instead of growing it without end, and the owner hears of
 * it from the loop, not from inside ipc_send.
 */
struct full_state {
	struct loop	*loop;
	int		 in_send;
	int		 errs;
	enum ipc_err	 err;
	int		 during_send;
};

static void
full_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct full_state *s = arg;

	(void)ch;
	s->errs++;
	s->err = e;
	s->during_send |= s->in_send;
	loop_exit(s->loop);
}

static void
test_send_queue_bound(void **state)
{
	static unsigned char big[IPC_PAYLOAD_MAX];
	struct full_state s;
	struct ipc_chan tx;
	size_t sent = 0;
	int sp[2], r = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.loop = loop_new();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(ipc_chan_init(&tx, s.loop, sp[0], "tx", 0, chan_msg,
	    full_err, &s), 0);
	while (sent < 2 * (size_t)IPC_OUT_MAX) {
		s.in_send = 1;
		r = ipc_send(&tx, IPC_PING, big, sizeof(big), -1);
		s.in_send = 0;
		if (r == -1)
			break;
		sent += sizeof(big);
	}
	assert_int_equal(r, -1);
	assert_true(sent <= (size_t)IPC_OUT_MAX + 256 * 1024);
	assert_true(ipc_pending(&tx) <= (size_t)IPC_OUT_MAX);
	/* refused at once afterwards too */
	assert_int_equal(ipc_send(&tx, IPC_PING, big, 8, -1), -1);
	assert_int_equal(s.errs, 0);
	assert_int_equal(loop_run(s.loop), 0);
	assert_int_equal(s.errs, 1);
	assert_int_equal(s.err, IPC_EFULL);
	assert_int_equal(s.during_send, 0);
	ipc_chan_close(&tx);
	assert_int_equal(ipc_pending(&tx), 0);
	close(sp[1]);
	loop_free(s.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_socket_roundtrip_with_fd),
		cmocka_unit_test(test_socket_refusals),
		cmocka_unit_test(test_channel_in_loop),
		cmocka_unit_test(test_callback_frees_channel),
		cmocka_unit_test(test_send_queue_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
