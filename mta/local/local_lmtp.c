/*
 * local_lmtp.c: the LMTP driver of the local process (see local_lmtp.h,
 * doc/design.md §1.1, §12): one connection and one transaction per job
 * (RFC 2033), to a UNIX socket or a TCP host; the conversation itself
 * is the pure machine of local_lmtp_proto.c, this file only connects,
 * writes what it says, reads what the server answers and keeps the
 * time. Blocking I/O under poll(): the local process delivers one job
 * at a time, so nothing waits for it but the queue, which has its own
 * limit of jobs out (doc/design.md §12). While commands are written
 * (PIPELINING, RFC 2920) and while the content is, replies are read as
 * they come, so neither side can fill the other's buffers and stall.
 * STARTTLS (RFC 3207) over TCP to anything but loopback, verified
 * against tls_ca_file and the host name (mta/lib/tls.c's client).
 * Runs as the local process's user (root) only to connect: the store
 * delivers as the recipient, so no child is forked per recipient.
 * Linked by the local binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/tls.h"
#include "local_lmtp.h"
#include "local_lmtp_proto.h"
#include "smtp/envelope.h"
#include "smtp/smtp_client.h"

#define LOCAL_LMTP_CHUNK	16384		/* content read per pread */
#define LOCAL_LMTP_OUT_MAX	(LOCAL_LMTP_WINDOW * LOCAL_LMTP_CMD_MAX + \
				    2 * LOCAL_LMTP_CHUNK + 16)

/* The TLS client credentials, loaded once (local_lmtp_setup). */
static struct tls_client local_lmtp_tls;
static int local_lmtp_have_tls;

/* One connection to the LMTP server. */
struct local_lmtp_conn {
	const struct conf	*c;
	int			 fd;
	gnutls_session_t	 sess;		/* NULL before STARTTLS */
	struct buf		 out;		/* written, not yet sent */
	struct local_lmtp	*m;
	int			 starttls;	/* TLS required: not loopback */
};

int
local_lmtp_setup(const struct conf *c, char *err, size_t errlen)
{
	if (c->local_transport != CONF_LOCAL_LMTP ||
	    c->local_lmtp_host[0] == '\0' || local_lmtp_have_tls)
		return 0;
	if (tls_client_init(&local_lmtp_tls, c, err, errlen) == -1)
		return -1;
	local_lmtp_have_tls = 1;
	return 0;
}

/* Milliseconds for poll() of a timeout in seconds. */
static int
local_lmtp_ms(unsigned sec)
{
	return sec > 86400 ? 86400 * 1000 : (int)sec * 1000;
}

/* Is sa an address of this host's loopback (127/8, ::1, v4-mapped)? */
static int
local_lmtp_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const unsigned char *b;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	b = s6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && b[12] == 127;
}

/*
 * Connects the non-blocking socket fd to sa within timeout seconds.
 * Returns 0, or -1 with errno (ETIMEDOUT for the timeout).
 */
static int
local_lmtp_connect_fd(int fd, const struct sockaddr *sa, socklen_t len,
    unsigned timeout)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int e = 0, r;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		r = poll(&pfd, 1, local_lmtp_ms(timeout));
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
		return -1;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * Opens the connection of c's local_transport into k->fd, filling f
 * (mx, ip) and k->starttls. Returns 0, or -1 with why filled (451 4.4.2:
 * the store may be restarting).
 */
static int
local_lmtp_open(struct local_lmtp_conn *k, struct local_lmtp_facts *f,
    struct reason *why)
{
	const struct conf *c = k->c;
	struct sockaddr_un sun;
	struct addrinfo hints, *res0, *ai;
	char port[8], host[NI_MAXHOST];
	int e, saved = ECONNREFUSED;

	if (c->local_lmtp_path[0] != '\0') {
		(void)strlcpy(f->mx, "local", sizeof(f->mx));
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlcpy(sun.sun_path, c->local_lmtp_path,
		    sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
			return reason_set(why, 451, "4.3.5", "the LMTP socket "
			    "path is too long for a UNIX socket");
		if ((k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			return reason_set(why, 451, "4.3.0", "cannot make a "
			    "socket: %s", strerror(errno));
		if (local_lmtp_connect_fd(k->fd, (struct sockaddr *)&sun,
		    sizeof(sun), c->local_lmtp_connect_timeout) == 0)
			return 0;
		e = errno;
		close(k->fd);
		k->fd = -1;
		return reason_set(why, 451, "4.4.2", "cannot connect to the "
		    "LMTP server at %s: %s", c->local_lmtp_path, strerror(e));
	}
	(void)strlcpy(f->mx, c->local_lmtp_host, sizeof(f->mx));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	(void)snprintf(port, sizeof(port), "%u", c->local_lmtp_port);
	if ((e = getaddrinfo(c->local_lmtp_host, port, &hints, &res0)) != 0)
		return reason_set(why, 451, "4.4.2", "cannot find the LMTP "
		    "server %s: %s", c->local_lmtp_host, gai_strerror(e));
	for (ai = res0; ai != NULL; ai = ai->ai_next) {
		if ((k->fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if (local_lmtp_connect_fd(k->fd, ai->ai_addr, ai->ai_addrlen,
		    c->local_lmtp_connect_timeout) == 0) {
			/* the hop leaves the host unless it is loopback */
			k->starttls = !local_lmtp_loopback(ai->ai_addr);
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host,
			    sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
				(void)strlcpy(f->ip, host, sizeof(f->ip));
			freeaddrinfo(res0);
			return 0;
		}
		saved = errno;
		close(k->fd);
		k->fd = -1;
	}
	freeaddrinfo(res0);
	return reason_set(why, 451, "4.4.2", "cannot connect to the LMTP "
	    "server %s port %u: %s", c->local_lmtp_host, c->local_lmtp_port,
	    strerror(saved));
}

/*
 * Reads once what the server sent (waiting up to timeout seconds) and
 * gives it to the machine. Returns 0, or -1 at end of file or an error
 * and -2 at the timeout (the caller tells the machine).
 */
static int
local_lmtp_read(struct local_lmtp_conn *k, unsigned timeout)
{
	char buf[4096];
	struct pollfd pfd;
	enum tls_io io;
	ssize_t n;
	int r;

	for (;;) {
		n = tls_conn_read(k->sess, k->fd, buf, sizeof(buf), &io);
		if (n > 0) {
			/* -1: the machine ended it, next says A_DONE */
			(void)local_lmtp_input(k->m, buf, (size_t)n);
			return 0;
		}
		if (n == 0 || io == TLS_IO_ERROR)
			return -1;
		pfd.fd = k->fd;
		pfd.events = io == TLS_IO_WANT_WRITE ? POLLOUT : POLLIN;
		do
			r = poll(&pfd, 1, local_lmtp_ms(timeout));
		while (r == -1 && errno == EINTR);
		if (r == 0)
			return -2;
		if (r == -1)
			return -1;
	}
}

/*
 * Sends all of k->out, reading replies that arrive meanwhile (a server
 * that answers pipelined commands while we still write must not stall
 * us, nor we it). Each wait lasts at most timeout seconds without
 * progress. Returns 0 (also when the machine ended the conversation on
 * a reply: what was not sent is dropped), -1 when the connection broke,
 * -2 at the timeout.
 */
static int
local_lmtp_flush(struct local_lmtp_conn *k, unsigned timeout)
{
	struct pollfd pfd;
	int blocked, r;

	while (k->out.len > 0) {
		if (k->m->state == LOCAL_LMTP_S_DONE) {
			buf_reset(&k->out);
			return 0;
		}
		if (tls_conn_flush(k->sess, k->fd, &k->out, &blocked, NULL) ==
		    -1)
			return -1;
		if (!blocked)
			break;
		pfd.fd = k->fd;
		pfd.events = POLLOUT | POLLIN;
		do
			r = poll(&pfd, 1, local_lmtp_ms(timeout));
		while (r == -1 && errno == EINTR);
		if (r == 0)
			return -2;
		if (r == -1)
			return -1;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = local_lmtp_read(k, timeout)) != 0)
				return r;
		}
	}
	return 0;
}

/* The connection failed (r -1 or -2 from read or flush) while in what. */
static void
local_lmtp_broke(struct local_lmtp_conn *k, int r, const char *what,
    unsigned timeout)
{
	char w[160];

	if (r == -2) {
		(void)snprintf(w, sizeof(w), "%s (no answer for %us)", what,
		    timeout);
		local_lmtp_lost(k->m, w);
	} else
		local_lmtp_lost(k->m, what);
}

/*
 * The content of fd, dot-stuffed, and the end of data, written with
 * data_timeout per write's progress. Returns 0, or -1 when the machine
 * was told why it ended.
 */
static int
local_lmtp_body(struct local_lmtp_conn *k, int fd)
{
	const unsigned t = k->c->local_lmtp_data_timeout;
	struct smtp_client_dot dot;
	struct reason why;
	char in[LOCAL_LMTP_CHUNK], *o;
	off_t off = 0;
	ssize_t n;
	int r;

	smtp_client_dot_init(&dot);
	for (;;) {
		do
			n = pread(fd, in, sizeof(in), off);
		while (n == -1 && errno == EINTR);
		if (n == -1) {
			(void)reason_set(&why, 451, "4.3.0", "cannot read the "
			    "message content: %s", strerror(errno));
			local_lmtp_abort(k->m, &why);
			return -1;
		}
		if ((o = buf_reserve(&k->out, 2 * (size_t)n + 5)) == NULL) {
			(void)reason_set(&why, 451, "4.3.0", "out of memory");
			local_lmtp_abort(k->m, &why);
			return -1;
		}
		if (n == 0) {
			buf_commit(&k->out, smtp_client_dot_end(&dot, o));
		} else {
			buf_commit(&k->out, smtp_client_dot_encode(&dot, in,
			    (size_t)n, o));
			off += n;
		}
		if ((r = local_lmtp_flush(k, t)) != 0) {
			local_lmtp_broke(k, r, "sending the message", t);
			return -1;
		}
		if (n == 0 || k->m->state == LOCAL_LMTP_S_DONE)
			return 0;
	}
}

/*
 * STARTTLS's handshake and check (doc/design.md §1.1): no byte may wait
 * after the 220 (RFC 3207 §5), the chain must verify against
 * tls_ca_file and name the host (RFC 6125). Returns 0 with the session
 * in k->sess and f's TLS facts, or -1 when the machine was told why.
 */
static int
local_lmtp_starttls(struct local_lmtp_conn *k, struct local_lmtp_facts *f)
{
	const unsigned t = k->c->local_lmtp_command_timeout;
	const char *detail = NULL;
	struct tls_facts tf;
	struct pollfd pfd;
	struct reason why;
	enum tls_io io;
	char b;
	int r;

	if (recv(k->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
		(void)reason_set(&why, 451, "4.7.5", "bytes after the LMTP "
		    "server's 220 to STARTTLS (injection)");
		goto fail;
	}
	if (!local_lmtp_have_tls || (k->sess = tls_client_session(
	    &local_lmtp_tls, k->fd, k->c->local_lmtp_host, NULL)) == NULL) {
		(void)reason_set(&why, 451, "4.7.5", "cannot start TLS with "
		    "the LMTP server");
		goto fail;
	}
	while ((io = tls_handshake(k->sess, &detail)) != TLS_IO_DONE) {
		if (io == TLS_IO_ERROR) {
			(void)reason_set(&why, 451, "4.7.5", "TLS handshake "
			    "with the LMTP server failed: %s", detail != NULL ?
			    detail : "error");
			goto fail;
		}
		pfd.fd = k->fd;
		pfd.events = io == TLS_IO_WANT_WRITE ? POLLOUT : POLLIN;
		do
			r = poll(&pfd, 1, local_lmtp_ms(t));
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			(void)reason_set(&why, 451, "4.7.5", "TLS handshake "
			    "with the LMTP server timed out");
			goto fail;
		}
	}
	detail = NULL;
	if (tls_client_verify(k->sess, k->c->local_lmtp_host, &detail) !=
	    TLS_VERIFY_OK) {
		(void)reason_set(&why, 451, "4.7.5", "the LMTP server's "
		    "certificate does not verify for %s: %s",
		    k->c->local_lmtp_host, detail != NULL ? detail : "failed");
		goto fail;
	}
	tls_session_facts(k->sess, &tf);
	(void)strlcpy(f->tls, tf.version, sizeof(f->tls));
	(void)strlcpy(f->cipher, tf.cipher, sizeof(f->cipher));
	(void)strlcpy(f->verify, "pkix", sizeof(f->verify));
	local_lmtp_tls_done(k->m);
	return 0;
fail:
	local_lmtp_abort(k->m, &why);
	return -1;
}

/* The words for a connection lost in the machine's state s. */
static const char *
local_lmtp_phase(enum local_lmtp_state s)
{
	switch (s) {
	case LOCAL_LMTP_S_GREETING:
		return "waiting for the greeting";
	case LOCAL_LMTP_S_LHLO:
	case LOCAL_LMTP_S_STARTTLS:
	case LOCAL_LMTP_S_TLS:
		return "greeting it (LHLO, STARTTLS)";
	case LOCAL_LMTP_S_TXN:
		return "sending the envelope";
	case LOCAL_LMTP_S_BODY:
		return "sending the message";
	case LOCAL_LMTP_S_DOT:
		return "waiting for the replies after the end of data";
	default:
		return "ending the session";
	}
}

/* The conversation, from the greeting to the end. */
static void
local_lmtp_run(struct local_lmtp_conn *k, int fd, struct local_lmtp_facts *f)
{
	const struct conf *c = k->c;
	char cmd[LOCAL_LMTP_CMD_MAX];
	struct reason why;
	size_t len;
	unsigned t;
	int r;

	for (;;) {
		switch (local_lmtp_next(k->m, cmd, sizeof(cmd), &len)) {
		case LOCAL_LMTP_A_SEND:
			if (buf_append(&k->out, cmd, len) == -1) {
				/* more pipelined than fits: send first */
				if ((r = local_lmtp_flush(k,
				    c->local_lmtp_command_timeout)) != 0 ||
				    buf_append(&k->out, cmd, len) == -1) {
					local_lmtp_broke(k, r == 0 ? -1 : r,
					    local_lmtp_phase(k->m->state),
					    c->local_lmtp_command_timeout);
				}
			}
			break;
		case LOCAL_LMTP_A_READ:
			t = k->m->state == LOCAL_LMTP_S_DOT ?
			    c->local_lmtp_data_timeout :
			    c->local_lmtp_command_timeout;
			if ((r = local_lmtp_flush(k, t)) == 0 &&
			    k->m->state != LOCAL_LMTP_S_DONE)
				r = local_lmtp_read(k, t);
			if (r != 0)
				local_lmtp_broke(k, r,
				    local_lmtp_phase(k->m->state), t);
			break;
		case LOCAL_LMTP_A_BODY:
			if ((r = local_lmtp_flush(k,
			    c->local_lmtp_command_timeout)) != 0)
				local_lmtp_broke(k, r, "sending the envelope",
				    c->local_lmtp_command_timeout);
			else
				(void)local_lmtp_body(k, fd);
			break;
		case LOCAL_LMTP_A_TLS:
			if ((r = local_lmtp_flush(k,
			    c->local_lmtp_command_timeout)) != 0) {
				(void)reason_set(&why, 451, "4.7.5",
				    "STARTTLS could not be sent");
				local_lmtp_abort(k->m, &why);
			} else
				(void)local_lmtp_starttls(k, f);
			break;
		case LOCAL_LMTP_A_DONE:
			/* QUIT, if it is the last thing, goes out best-effort */
			if (k->out.len > 0)
				(void)local_lmtp_flush(k, 1);
			return;
		}
	}
}

/* Fills res from the machine's result m. */
static void
local_lmtp_copy(struct local_result *res, const struct local_lmtp_result *m)
{
	memset(res, 0, sizeof(*res));
	switch (m->status) {
	case LOCAL_LMTP_SENT:
		res->outcome = IPC_OUT_SENT;
		break;
	case LOCAL_LMTP_BOUNCED:
		res->outcome = IPC_OUT_BOUNCED;
		break;
	case LOCAL_LMTP_DEFERRED:
		res->outcome = IPC_OUT_DEFERRED;
		break;
	default:
		/* cannot be: every result is final at A_DONE */
		res->outcome = IPC_OUT_DEFERRED;
		res->code = 451;
		(void)strlcpy(res->dsn, "4.3.0", sizeof(res->dsn));
		(void)strlcpy(res->text, "the LMTP session ended without a "
		    "result", sizeof(res->text));
		return;
	}
	res->code = m->why.code;
	(void)strlcpy(res->dsn, m->why.dsn, sizeof(res->dsn));
	(void)strlcpy(res->text, m->why.text, sizeof(res->text));
}

/* Every recipient gets why. */
static void
local_lmtp_fill(struct local_result *res, size_t n, const struct reason *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].outcome = why->code >= 500 ? IPC_OUT_BOUNCED :
		    IPC_OUT_DEFERRED;
		res[i].code = why->code;
		(void)strlcpy(res[i].dsn, why->dsn, sizeof(res[i].dsn));
		(void)strlcpy(res[i].text, why->text, sizeof(res[i].text));
	}
}

void
local_lmtp_deliver(const struct conf *c, const struct ipc_out_job *j,
    int fd, const struct ipc_out_rcpt *r, size_t n, struct local_result *res,
    struct local_lmtp_facts *f)
{
	struct local_lmtp_conn k;
	struct local_lmtp_msg msg;
	struct local_lmtp_result *lres = NULL;
	struct local_lmtp *m = NULL;
	const char **addr = NULL;
	unsigned char *acc = NULL;
	struct reason why;
	size_t i;

	memset(f, 0, sizeof(*f));
	(void)strlcpy(f->mx, "local", sizeof(f->mx));
	(void)strlcpy(f->tls, "local", sizeof(f->tls));
	(void)strlcpy(f->verify, "local", sizeof(f->verify));
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.fd = -1;
	buf_init(&k.out, LOCAL_LMTP_OUT_MAX);
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (lres = calloc(n, sizeof(*lres))) == NULL ||
	    (acc = calloc(n, 1)) == NULL ||
	    (addr = calloc(n, sizeof(*addr))) == NULL) {
		(void)reason_set(&why, 451, "4.3.0", "out of memory");
		local_lmtp_fill(res, n, &why);
		goto out;
	}
	for (i = 0; i < n; i++)
		addr[i] = r[i].addr;
	memset(&msg, 0, sizeof(msg));
	msg.lhlo = c->hostname;
	msg.from = j->from;
	msg.rcpt = addr;
	msg.nrcpt = n;
	msg.size = j->size;
	msg.body8 = j->body == ENVELOPE_BODY_8BITMIME;
	msg.smtputf8 = j->smtputf8 != 0;
	if (local_lmtp_open(&k, f, &why) == -1) {
		local_lmtp_fill(res, n, &why);
		goto out;
	}
	msg.starttls = k.starttls;
	if (local_lmtp_init(m, &msg, lres, acc, &why) == -1) {
		local_lmtp_fill(res, n, &why);
		goto out;
	}
	k.m = m;
	local_lmtp_run(&k, fd, f);
	if (local_lmtp_protoerr(m) != NULL)
		log_warnx("local: %s: LMTP with %s: %s", j->id, f->mx,
		    local_lmtp_protoerr(m));
	for (i = 0; i < n; i++)
		local_lmtp_copy(&res[i], &lres[i]);
out:
	if (k.sess != NULL) {
		(void)gnutls_bye(k.sess, GNUTLS_SHUT_WR);
		gnutls_deinit(k.sess);
	}
	if (k.fd != -1)
		close(k.fd);
	buf_free(&k.out);
	free(m);
	free(lres);
	free(acc);
	free(addr);
}
