/*
 * smtpin_dovecot.c: smtpin's connection to Dovecot's auth service for
 * auth_backend = dovecot:PATH (issue 12, item 4; doc/design.md §3, §6).
 * smtpin is chrooted and unprivileged: it asks the master for the
 * connected socket (IPC_AUTH_CONNECT, answered by IPC_AUTH_SOCKET), at
 * the first AUTH and after a lost connection, at most once a second.
 * One connection per process, kept open; requests are multiplexed by id
 * over it (Dovecot's auth-client protocol, version 1; the text itself is
 * the pure mta/smtp/dovecot_auth.c). Each request has a timeout; a lost
 * connection, a protocol error or a server that stops answering fails
 * every pending request with 454 4.7.0. The caller's callback runs
 * exactly once per accepted request, always from the event loop, never
 * from inside smtpin_dovecot_auth. Passwords are kept only until their
 * request is written, and wiped from every buffer they passed through.
 * Below smtpin_auth.c in the layers of smtpin.h: it calls up only
 * through the callback it is given. Linked by the smtpin binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtp/dovecot_auth.h"
#include "smtpin.h"

/* how long one AUTH may wait for Dovecot, the connection included */
#define SMTPIN_DOVECOT_TIMEOUT_MS	30000
/* the master is asked for a connection at most this often */
#define SMTPIN_DOVECOT_RETRY_MS		1000
/* requests waiting at once (each session has at most one) */
#define SMTPIN_DOVECOT_PENDING_MAX	1024
#define SMTPIN_DOVECOT_OUT_MAX \
	(SMTPIN_DOVECOT_PENDING_MAX * DOVECOT_AUTH_REQ_MAX)

/*
 * Appends line[0..n) to the output buffer, which holds base64 passwords
 * until they are sent: when it must grow, the new block is allocated,
 * the bytes copied and the old block wiped before it is freed (realloc
 * would leave them in freed memory). Returns 0, or -1 when it is full
 * or memory is short.
 */
static int
smtpin_dovecot_append(struct buf *b, const char *line, size_t n)
{
	size_t	 ncap;
	char	*p;

	if (n > b->max - b->len)
		return -1;
	if (b->len + n > b->cap) {
		ncap = b->cap != 0 ? b->cap : 4096;
		while (ncap < b->len + n)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		if ((p = malloc(ncap)) == NULL)
			return -1;
		if (b->data != NULL) {
			memcpy(p, b->data, b->len);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = ncap;
	}
	return buf_append(b, line, n);
}

/* Frees the output buffer, wiped first. */
static void
smtpin_dovecot_out_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

enum smtpin_dovecot_state {
	SMTPIN_DOVECOT_DOWN = 0,	/* no connection */
	SMTPIN_DOVECOT_ASKING,		/* IPC_AUTH_CONNECT sent */
	SMTPIN_DOVECOT_HANDSHAKE,	/* connected, waiting for DONE */
	SMTPIN_DOVECOT_READY		/* requests go out at once */
};

struct smtpin_dovecot_req {
	struct smtpin_dovecot_req	*next, *prev;
	struct smtpin_dovecot		*dc;
	unsigned			 id;	/* Dovecot's once sent, or 0 */
	uint64_t			 start_ms;
	struct loop_timer		 timer;
	smtpin_dovecot_cb		 cb;
	void				*arg;
	/* what the request says, until it is written (then wiped) */
	char				 authcid[SASL_ID_MAX + 1];
	size_t				 authcidlen;
	char				 passwd[SASL_PASS_MAX + 1];
	size_t				 passwdlen;
	char				 lip[64], rip[64];
	unsigned			 lport, rport;
	int				 secured;
};

struct smtpin_dovecot {
	struct smtpin			*srv;
	enum smtpin_dovecot_state	 state;
	int				 fd;
	uint32_t			 events;
	struct dovecot_auth		 proto;
	struct buf			 in, out;
	uint64_t			 asked_ms;	/* master last asked */
	uint64_t			 read_ms;	/* its last line */
	struct smtpin_dovecot_req	*head, *tail;
	size_t				 npending;
};

static void	smtpin_dovecot_io(int, uint32_t, void *);

static void
smtpin_dovecot_unlink(struct smtpin_dovecot_req *r)
{
	struct smtpin_dovecot *dc = r->dc;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		dc->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		dc->tail = r->prev;
	r->next = r->prev = NULL;
	dc->npending--;
	loop_timer_cancel(dc->srv->child.loop, &r->timer);
}

/*
 * Ends request r (already unlinked): the caller's callback, then the
 * memory, wiped. r is gone afterwards.
 */
static void
smtpin_dovecot_finish(struct smtpin *srv, struct smtpin_dovecot_req *r,
    enum smtpin_dovecot_res res, const char *user, const struct reason *why)
{
	smtpin_dovecot_cb cb = r->cb;
	void *arg = r->arg;

	explicit_bzero(r, sizeof(*r));
	free(r);
	cb(srv, arg, res, user, why);
}

/*
 * Closes the connection and fails every request with why (454 4.7.0).
 * The list is taken off the connection first, so a callback that starts
 * a new request (a pipelined AUTH) finds the connection down and asks
 * anew, or is refused, but never meets the old requests.
 */
static void
smtpin_dovecot_reset(struct smtpin_dovecot *dc, const struct reason *why)
{
	struct smtpin_dovecot_req *list = dc->head, *r;

	if (dc->fd != -1) {
		loop_fd_del(dc->srv->child.loop, dc->fd);
		close(dc->fd);
		dc->fd = -1;
	}
	dc->events = 0;
	buf_free(&dc->in);
	smtpin_dovecot_out_free(&dc->out);
	buf_init(&dc->in, DOVECOT_AUTH_LINE_MAX + 1);
	buf_init(&dc->out, SMTPIN_DOVECOT_OUT_MAX);
	dovecot_auth_init(&dc->proto);
	dc->state = SMTPIN_DOVECOT_DOWN;
	dc->head = dc->tail = NULL;
	dc->npending = 0;
	while ((r = list) != NULL) {
		list = r->next;
		loop_timer_cancel(dc->srv->child.loop, &r->timer);
		smtpin_dovecot_finish(dc->srv, r, SMTPIN_DOVECOT_TEMP, NULL,
		    why);
	}
}

/* As smtpin_dovecot_reset, logging what happened first. */
static void
smtpin_dovecot_lost(struct smtpin_dovecot *dc, const char *what)
{
	struct reason why;

	log_warnx("%s: auth_backend %s: %s; %zu AUTH waiting for it get 454",
	    dc->srv->child.title, dc->srv->conf->auth_socket, what,
	    dc->npending);
	(void)reason_set(&why, 454, "4.7.0",
	    "Temporary authentication failure");
	smtpin_dovecot_reset(dc, &why);
}

/* Watches the socket for what the connection needs now. */
static void
smtpin_dovecot_update(struct smtpin_dovecot *dc)
{
	uint32_t ev = EPOLLIN;

	if (dc->fd == -1)
		return;
	if (dc->out.len > 0)
		ev |= EPOLLOUT;
	if (ev == dc->events)
		return;
	if (loop_fd_mod(dc->srv->child.loop, dc->fd, ev) == -1)
		fatal("%s: auth_backend socket", dc->srv->child.title);
	dc->events = ev;
}

/* Drops the first n octets of out, wiping what they leave behind. */
static void
smtpin_dovecot_consume(struct buf *b, size_t n)
{
	size_t old = b->len;

	buf_consume(b, n);
	explicit_bzero(b->data + b->len, old - b->len);
}

/*
 * Writes what out holds. Returns 0, or -1 after the connection was
 * reset (the caller returns at once).
 */
static int
smtpin_dovecot_flush(struct smtpin_dovecot *dc)
{
	ssize_t n;

	while (dc->out.len > 0) {
		n = send(dc->fd, dc->out.data, dc->out.len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			smtpin_dovecot_lost(dc, n == -1 ? strerror(errno) :
			    "write failed");
			return -1;
		}
		smtpin_dovecot_consume(&dc->out, (size_t)n);
	}
	smtpin_dovecot_update(dc);
	return 0;
}

/*
 * Formats request r into out (the connection is READY) and forgets its
 * password. Returns 0, or -1 with *why when the request cannot be made
 * (r is then not sent; the caller ends it).
 */
static int
smtpin_dovecot_send(struct smtpin_dovecot *dc, struct smtpin_dovecot_req *r,
    struct reason *why)
{
	char line[DOVECOT_AUTH_REQ_MAX];
	struct dovecot_auth_info info;
	int n, rc = 0;

	memset(&info, 0, sizeof(info));
	info.lip = r->lip[0] != '\0' ? r->lip : NULL;
	info.rip = r->rip[0] != '\0' ? r->rip : NULL;
	info.lport = r->lport;
	info.rport = r->rport;
	info.secured = r->secured;
	n = dovecot_auth_request(&dc->proto, line, sizeof(line), &r->id,
	    r->authcid, r->authcidlen, r->passwd, r->passwdlen, &info, why);
	explicit_bzero(r->passwd, sizeof(r->passwd));
	r->passwdlen = 0;
	if (n < 0)
		return -1;
	if (smtpin_dovecot_append(&dc->out, line, (size_t)n) == -1) {
		(void)reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure");
		rc = -1;
	}
	explicit_bzero(line, sizeof(line));
	return rc;
}

/* DONE: every request that waited for the connection goes out now. */
static void
smtpin_dovecot_ready(struct smtpin_dovecot *dc)
{
	struct smtpin_dovecot_req *r, *next;
	struct reason why;

	dc->state = SMTPIN_DOVECOT_READY;
	log_debug("%s: auth_backend %s ready", dc->srv->child.title,
	    dc->srv->conf->auth_socket);
	for (r = dc->head; r != NULL; r = next) {
		next = r->next;
		if (r->id != 0)
			continue;
		memset(&why, 0, sizeof(why));
		if (smtpin_dovecot_send(dc, r, &why) == -1) {
			smtpin_dovecot_unlink(r);
			smtpin_dovecot_finish(dc->srv, r, why.code == 535 ?
			    SMTPIN_DOVECOT_FAIL : SMTPIN_DOVECOT_TEMP, NULL,
			    &why);
			/* a callback may have added requests: start over */
			next = dc->head;
		}
	}
}

static struct smtpin_dovecot_req *
smtpin_dovecot_find(struct smtpin_dovecot *dc, unsigned id)
{
	struct smtpin_dovecot_req *r;

	for (r = dc->head; r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/*
 * One line from Dovecot (without its LF). Returns 0, or -1 after the
 * connection was reset.
 */
static int
smtpin_dovecot_line(struct smtpin_dovecot *dc, const char *line, size_t len)
{
	struct dovecot_auth_event ev;
	struct smtpin_dovecot_req *r;
	struct reason why;

	memset(&why, 0, sizeof(why));
	dc->read_ms = loop_now_ms();
	if (dovecot_auth_line(&dc->proto, line, len, &ev, &why) == -1) {
		log_warnx("%s: auth_backend %s: %s", dc->srv->child.title,
		    dc->srv->conf->auth_socket, why.text);
		smtpin_dovecot_reset(dc, &why);
		return -1;
	}
	switch (ev.ev) {
	case DOVECOT_AUTH_EV_READY:
		smtpin_dovecot_ready(dc);
		return 0;
	case DOVECOT_AUTH_EV_OK:
	case DOVECOT_AUTH_EV_FAIL:
		/* a request that timed out is answered late: dropped */
		if ((r = smtpin_dovecot_find(dc, ev.id)) == NULL)
			return 0;
		if (ev.ev == DOVECOT_AUTH_EV_FAIL && ev.reason[0] != '\0')
			log_debug("%s: auth_backend: request %u failed: %s",
			    dc->srv->child.title, ev.id, ev.reason);
		smtpin_dovecot_unlink(r);
		smtpin_dovecot_finish(dc->srv, r,
		    ev.ev == DOVECOT_AUTH_EV_OK ? SMTPIN_DOVECOT_OK :
		    ev.temp ? SMTPIN_DOVECOT_TEMP : SMTPIN_DOVECOT_FAIL,
		    ev.ev == DOVECOT_AUTH_EV_OK ? ev.user : NULL,
		    ev.ev == DOVECOT_AUTH_EV_OK ? NULL : &why);
		return 0;
	default:
		return 0;
	}
}

/* Reads what Dovecot sent and handles its lines. */
static void
smtpin_dovecot_read(struct smtpin_dovecot *dc)
{
	char *p, *nl;
	ssize_t n;
	size_t len;

	for (;;) {
		if (dc->in.len >= dc->in.max) {
			/* no LF within the longest line: let the parser say */
			(void)smtpin_dovecot_line(dc, dc->in.data,
			    dc->in.len);
			return;
		}
		if ((p = buf_reserve(&dc->in, dc->in.max - dc->in.len)) ==
		    NULL)
			fatal("%s: auth_backend input", dc->srv->child.title);
		n = recv(dc->fd, p, dc->in.max - dc->in.len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			smtpin_dovecot_lost(dc, n == 0 ? "connection closed "
			    "by the auth server" : strerror(errno));
			return;
		}
		buf_commit(&dc->in, (size_t)n);
		while ((nl = memchr(dc->in.data, '\n', dc->in.len)) != NULL) {
			len = (size_t)(nl - dc->in.data);
			if (smtpin_dovecot_line(dc, dc->in.data, len) == -1)
				return;
			buf_consume(&dc->in, len + 1);
		}
	}
}

static void
smtpin_dovecot_io(int fd, uint32_t events, void *arg)
{
	struct smtpin_dovecot *dc = arg;

	(void)fd;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		smtpin_dovecot_read(dc);
		if (dc->fd == -1)
			return;
	}
	(void)smtpin_dovecot_flush(dc);
}

/* A request waited too long: 454; a server that says nothing is dropped. */
static void
smtpin_dovecot_timeout(void *arg)
{
	struct smtpin_dovecot_req *r = arg;
	struct smtpin_dovecot *dc = r->dc;
	struct smtpin *srv = dc->srv;
	struct reason why;
	int stalled;

	/* not connected in time, or silent since r began: give up on it */
	stalled = dc->state != SMTPIN_DOVECOT_DOWN &&
	    (dc->state != SMTPIN_DOVECOT_READY || dc->read_ms < r->start_ms);
	smtpin_dovecot_unlink(r);
	(void)reason_set(&why, 454, "4.7.0",
	    "Temporary authentication failure");
	log_warnx("%s: auth_backend %s: no answer within %d s",
	    srv->child.title, srv->conf->auth_socket,
	    SMTPIN_DOVECOT_TIMEOUT_MS / 1000);
	if (stalled)
		smtpin_dovecot_lost(dc, "the auth server does not answer");
	smtpin_dovecot_finish(srv, r, SMTPIN_DOVECOT_TEMP, NULL, &why);
}

void
smtpin_dovecot_init(struct smtpin *srv)
{
	struct smtpin_dovecot *dc;

	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		fatal("%s: auth_backend", srv->child.title);
	dc->srv = srv;
	dc->fd = -1;
	buf_init(&dc->in, DOVECOT_AUTH_LINE_MAX + 1);
	buf_init(&dc->out, SMTPIN_DOVECOT_OUT_MAX);
	dovecot_auth_init(&dc->proto);
	srv->dovecot = dc;
}

void
smtpin_dovecot_socket(struct smtpin *srv, const struct ipc_msg *msg)
{
	struct smtpin_dovecot *dc = srv->dovecot;
	struct ipc_auth_socket a;
	struct reason why;
	char hello[64];
	int n, fl;

	if (msg->len != sizeof(a) || dc == NULL)
		fatalx("%s: bad auth socket message from master",
		    srv->child.title);
	memcpy(&a, msg->data, sizeof(a));
	if (dc->state != SMTPIN_DOVECOT_ASKING) {
		/* cannot happen: one question, one answer */
		if (msg->fd != -1)
			close(msg->fd);
		return;
	}
	if (msg->fd == -1) {
		(void)reason_set(&why, 454, "4.7.0",
		    "Temporary authentication failure");
		log_warnx("%s: auth_backend %s: %s; %zu AUTH waiting for it "
		    "get 454", srv->child.title, srv->conf->auth_socket,
		    a.error != 0 ? strerror(a.error) : "no connection",
		    dc->npending);
		smtpin_dovecot_reset(dc, &why);
		return;
	}
	dc->fd = msg->fd;
	if ((fl = fcntl(dc->fd, F_GETFL)) == -1 ||
	    fcntl(dc->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("%s: auth_backend socket", srv->child.title);
	if (loop_fd_add(srv->child.loop, dc->fd, EPOLLIN, smtpin_dovecot_io,
	    dc) == -1)
		fatal("%s: auth_backend socket", srv->child.title);
	dc->events = EPOLLIN;
	dc->state = SMTPIN_DOVECOT_HANDSHAKE;
	dc->read_ms = loop_now_ms();
	dovecot_auth_init(&dc->proto);
	n = dovecot_auth_hello(hello, sizeof(hello), (unsigned long)getpid());
	if (n < 0 || buf_append(&dc->out, hello, (size_t)n) == -1)
		fatalx("%s: auth_backend handshake", srv->child.title);
	(void)smtpin_dovecot_flush(dc);
}

int
smtpin_dovecot_auth(struct smtpin *srv, const char *authcid,
    size_t authcidlen, const char *passwd, size_t passwdlen,
    const struct dovecot_auth_info *info, smtpin_dovecot_cb cb, void *arg,
    struct reason *why)
{
	struct smtpin_dovecot *dc = srv->dovecot;
	struct smtpin_dovecot_req *r;
	uint64_t now = loop_now_ms();

	if (dc->npending >= SMTPIN_DOVECOT_PENDING_MAX)
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure (too many at once)");
	if (dc->state == SMTPIN_DOVECOT_DOWN &&
	    dc->asked_ms != 0 && now - dc->asked_ms < SMTPIN_DOVECOT_RETRY_MS)
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure");
	if (authcidlen > SASL_ID_MAX || passwdlen > SASL_PASS_MAX)
		return reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure");
	r->dc = dc;
	r->start_ms = now;
	r->cb = cb;
	r->arg = arg;
	memcpy(r->authcid, authcid, authcidlen);
	r->authcidlen = authcidlen;
	memcpy(r->passwd, passwd, passwdlen);
	r->passwdlen = passwdlen;
	/* an address that does not fit is left out, never cut */
	if (info->lip != NULL &&
	    strlcpy(r->lip, info->lip, sizeof(r->lip)) >= sizeof(r->lip))
		r->lip[0] = '\0';
	if (info->rip != NULL &&
	    strlcpy(r->rip, info->rip, sizeof(r->rip)) >= sizeof(r->rip))
		r->rip[0] = '\0';
	r->lport = info->lport;
	r->rport = info->rport;
	r->secured = info->secured;
	if (dc->state == SMTPIN_DOVECOT_READY &&
	    smtpin_dovecot_send(dc, r, why) == -1) {
		explicit_bzero(r, sizeof(*r));
		free(r);
		return -1;
	}
	if (dc->state == SMTPIN_DOVECOT_DOWN) {
		dc->asked_ms = now;
		dc->state = SMTPIN_DOVECOT_ASKING;
		if (ipc_send(&srv->child.master, IPC_AUTH_CONNECT, NULL, 0,
		    -1) == -1)
			fatal("%s: master channel", srv->child.title);
	}
	r->prev = dc->tail;
	if (dc->tail != NULL)
		dc->tail->next = r;
	else
		dc->head = r;
	dc->tail = r;
	dc->npending++;
	loop_timer_set(srv->child.loop, &r->timer, SMTPIN_DOVECOT_TIMEOUT_MS,
	    smtpin_dovecot_timeout, r);
	/* written from the loop: the callback never runs from in here */
	smtpin_dovecot_update(dc);
	return 0;
}
