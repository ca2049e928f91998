/*
 * smtpin_session.c: one SMTP connection's I/O (doc/design.md §6), the
 * bottom layer of smtpin (see smtpin.h): reading into the input buffer,
 * TLS through lib/tls.c, buffered replies sent in one write where
 * pipelining allows (RFC 2920), timeouts, the STARTTLS switch with
 * everything the client pipelined after STARTTLS thrown away (RFC 3207
 * §4.2, CVE-2011-0411 class), the `in` and `session` log lines, and
 * ending a connection.
 * It calls the layers above only through srv->ops.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/netaddr.h"
#include "smtpin.h"

/* read(2)/TLS records land here first; sessions keep only what is left. */
static char smtpin_scratch[SMTPIN_READ_CHUNK];

static void	smtpin_session_io(int, uint32_t, void *);
static void	smtpin_session_update(struct smtpin_sess *);

/* ---- the log ---- */

/*
 * Adds the rcpt= keys of an accepted message to kv; those that do not
 * fit go on continuation lines `in-rcpt id=... rcpt=...` so that every
 * recipient is in the log (doc/design.md §9). Returns the index of the
 * first recipient not written yet.
 */
static size_t
smtpin_log_rcpts(struct log_kv *kv, const struct envelope *env, size_t from)
{
	size_t i;

	/* keep room for the keys that follow (msgid, size, result, ...) */
	for (i = from; i < env->nrcpt; i++)
		if (log_kv_try(kv, "rcpt", env->rcpt[i].addr,
		    strlen(env->rcpt[i].addr), 512) == -1)
			break;
	return i;
}

void
smtpin_log_in(struct smtpin_sess *s, const char *result, const char *rcpt,
    const struct reason *why)
{
	struct log_kv kv;
	const char *msgid;
	size_t idlen, next = 0;
	int accepted = strcmp(result, "accepted") == 0;

	log_kv_init(&kv, "in");
	if (s->env.id[0] != '\0')
		log_kv_str(&kv, "id", s->env.id);
	log_kv_str(&kv, "client", s->peer_ip);
	if (s->kind == CONF_LISTEN_PICKUP)
		log_kv_fmt(&kv, "uid", "%ld", s->peer_uid);
	else
		log_kv_fmt(&kv, "port", "%u", s->port);
	log_kv_str(&kv, "listener", conf_listen_kind_name(s->kind));
	log_kv_str(&kv, "helo", s->helo_name);
	log_kv_str(&kv, "tls", s->tls_active ? s->tls_version : "none");
	if (s->tls_active) {
		log_kv_str(&kv, "cipher", s->tls_cipher);
		log_kv_str(&kv, "kx", s->tls_group);
	}
	if (s->auth_user[0] != '\0')
		log_kv_str(&kv, "auth", s->auth_user);
	if (s->have_mail) {
		log_kv_str(&kv, "from", s->env.from);
		log_kv_fmt(&kv, "nrcpt", "%zu", s->env.nrcpt);
	}
	if (rcpt != NULL)
		log_kv_str(&kv, "rcpt", rcpt);
	if (accepted) {
		next = smtpin_log_rcpts(&kv, &s->env, 0);
		if ((msgid = smtp_data_msgid(&s->data, &idlen)) != NULL)
			log_kv_add(&kv, "msgid", msgid, idlen);
		log_kv_fmt(&kv, "size", "%llu",
		    (unsigned long long)s->env.size);
	}
	log_kv_str(&kv, "result", result);
	if (why != NULL) {
		if (why->code != 0)
			log_kv_fmt(&kv, "reason", "%d %s %s", why->code,
			    why->dsn, why->text);
		else
			log_kv_str(&kv, "reason", why->text);
	}
	if (accepted && s->client_gone)
		log_kv_str(&kv, "client_gone", "yes");
	log_kv_emit(&kv);
	if (accepted)
		s->msgs++;
	else
		s->rejected++;
	while (accepted && next < s->env.nrcpt) {
		log_kv_init(&kv, "in-rcpt");
		log_kv_str(&kv, "id", s->env.id);
		next = smtpin_log_rcpts(&kv, &s->env, next);
		log_kv_emit(&kv);
	}
}

void
smtpin_session_ending(struct smtpin_sess *s, const char *result,
    const struct reason *why)
{
	if (s->end_result != NULL)
		return;
	s->end_result = result;
	if (why != NULL) {
		s->end_why = *why;
		s->have_end_why = 1;
	}
}

void
smtpin_log_session(struct smtpin_sess *s)
{
	struct log_kv kv;
	const struct reason *why = &s->end_why;

	log_kv_init(&kv, "session");
	log_kv_str(&kv, "client", s->peer_ip);
	if (s->kind == CONF_LISTEN_PICKUP)
		log_kv_fmt(&kv, "uid", "%ld", s->peer_uid);
	else
		log_kv_fmt(&kv, "port", "%u", s->port);
	log_kv_str(&kv, "listener", conf_listen_kind_name(s->kind));
	log_kv_str(&kv, "tls", s->tls_active ? s->tls_version : "none");
	if (s->tls_active) {
		log_kv_str(&kv, "cipher", s->tls_cipher);
		log_kv_str(&kv, "kx", s->tls_group);
	}
	log_kv_str(&kv, "helo", s->helo_name);
	if (s->auth_user[0] != '\0')
		log_kv_str(&kv, "auth", s->auth_user);
	log_kv_fmt(&kv, "msgs", "%u", s->msgs);
	log_kv_fmt(&kv, "rejected", "%u", s->rejected);
	log_kv_str(&kv, "result", s->end_result != NULL ? s->end_result :
	    "closed");
	if (s->have_end_why) {
		if (why->code != 0)
			log_kv_fmt(&kv, "reason", "%d %s %s", why->code,
			    why->dsn, why->text);
		else
			log_kv_str(&kv, "reason", why->text);
	}
	log_kv_emit(&kv);
}

/* ---- replies ---- */

void
smtpin_reply_raw(struct smtpin_sess *s, const char *line, size_t len)
{
	if (s->fd == -1)
		return;
	/* A client that never reads its replies is cut off. */
	if (buf_append(&s->out, line, len) == -1) {
		struct reason why;

		log_warnx("%s: client %s does not read its replies; "
		    "disconnecting", s->srv->child.title, s->peer_ip);
		(void)reason_set(&why, 0, "", "client does not read its "
		    "replies");
		smtpin_session_ending(s, "error", &why);
		s->state = SMTPIN_CLOSING;
		buf_reset(&s->out);
		buf_reset(&s->in);
	}
}

void
smtpin_reply(struct smtpin_sess *s, int code, const char *dsn,
    const char *fmt, ...)
{
	char text[SMTP_PROTO_REPLY_MAX], line[SMTP_PROTO_REPLY_MAX + 32];
	const char *lines[1] = { text };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	n = smtp_proto_reply(line, sizeof(line), code, dsn, lines, 1);
	if (n < 0)
		n = smtp_proto_reply(line, sizeof(line), code, dsn,
		    (const char *const[]){ "Error" }, 1);
	if (n > 0)
		smtpin_reply_raw(s, line, (size_t)n);
}

void
smtpin_refuse_reason(struct smtpin_sess *s, int audit, const char *rcpt,
    const struct reason *why)
{
	char line[SMTP_PROTO_REPLY_MAX + 32];
	int n;

	if (audit)
		smtpin_log_in(s, "rejected", rcpt, why);
	n = smtp_proto_reply_reason(line, sizeof(line), why);
	if (n > 0)
		smtpin_reply_raw(s, line, (size_t)n);
	if (why->code >= 400)
		s->errors++;
}

void
smtpin_refuse(struct smtpin_sess *s, int audit, const char *rcpt, int code,
    const char *dsn, const char *fmt, ...)
{
	struct reason why;
	va_list ap;

	va_start(ap, fmt);
	(void)reason_vset(&why, code, dsn, fmt, ap);
	va_end(ap);
	smtpin_refuse_reason(s, audit, rcpt, &why);
}

/* ---- life of a session ---- */

void
smtpin_session_command_timer(struct smtpin_sess *s)
{
	if (s->fd == -1)
		return;
	loop_timer_set(s->srv->child.loop, &s->cmd_timer,
	    (uint64_t)s->srv->conf->smtpin_command_timeout * 1000,
	    smtpin_session_timeout, s);
}

/* The port of the local address fd was accepted on. */
static unsigned
smtpin_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return 0;
}

struct smtpin_sess *
smtpin_session_new(struct smtpin *srv, int fd, enum conf_listen_kind kind,
    const struct sockaddr_storage *ss)
{
	const struct conf *c = srv->conf;
	struct smtpin_sess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->srv = srv;
	s->conn = ++srv->next_conn;
	s->fd = fd;
	s->kind = kind;
	s->peer = *ss;
	s->port = smtpin_local_port(fd);
	s->qfd = -1;
	s->pre_fd = -1;
	s->pre_status = -1;
	s->peer_uid = -1;
	if (ss->ss_family == AF_UNIX) {
		/*
		 * The pickup socket (doc/design.md §6): local, never a
		 * network hop, so no TLS is needed; relay is allowed as for
		 * Postfix's local submission; the uid is recorded instead.
		 */
		(void)strlcpy(s->peer_ip, "local", sizeof(s->peer_ip));
		s->cleartext_ok = 1;
		s->relay_ok = 1;
	} else if (ss->ss_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)ss)->sin_addr, s->peer_ip,
		    sizeof(s->peer_ip));
	else
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)ss)->sin6_addr, s->peer_ip,
		    sizeof(s->peer_ip));
	if (ss->ss_family != AF_UNIX) {
		s->cleartext_ok = kind == CONF_LISTEN_SMTP &&
		    (c->smtpin_tls == CONF_SMTPIN_TLS_OFFERED ||
		    netaddr_match_list(c->smtpin_cleartext_networks,
		    c->nsmtpin_cleartext_networks,
		    (const struct sockaddr *)ss));
		s->relay_ok = netaddr_match_list(c->relay_networks,
		    c->nrelay_networks, (const struct sockaddr *)ss);
	}
	buf_init(&s->in, SMTPIN_IN_MAX);
	buf_init(&s->out, SMTPIN_OUT_MAX);
	envelope_init(&s->env);
	s->state = SMTPIN_ANVIL;
	if (loop_fd_add(srv->child.loop, fd, 0, smtpin_session_io, s) == -1) {
		free(s);
		return NULL;
	}
	s->next = srv->sessions;
	if (s->next != NULL)
		s->next->prev = s;
	srv->sessions = s;
	srv->nsessions++;
	loop_timer_set(srv->child.loop, &s->session_timer,
	    (uint64_t)c->smtpin_session_timeout * 1000,
	    smtpin_session_timeout, s);
	return s;
}

void
smtpin_anvil_release(struct smtpin_sess *s)
{
	struct ipc_anvil a;

	if (!s->counted)
		return;
	s->counted = 0;
	memset(&a, 0, sizeof(a));
	a.conn = s->conn;
	a.family = s->peer.ss_family;
	if (s->peer.ss_family == AF_UNIX)	/* as smtpin_anvil_fill */
		memcpy(a.addr, &s->peer_uid, sizeof(s->peer_uid));
	else if (s->peer.ss_family == AF_INET)
		memcpy(a.addr, &((const struct sockaddr_in *)(const void *)
		    &s->peer)->sin_addr, 4);
	else
		memcpy(a.addr, &((const struct sockaddr_in6 *)(const void *)
		    &s->peer)->sin6_addr, 16);
	a.exempt = s->relay_ok && s->peer.ss_family != AF_UNIX;
	(void)ipc_send(&s->srv->child.master, IPC_ANVIL_DISCONNECT, &a,
	    sizeof(a), -1);
}

void
smtpin_drained(struct smtpin *srv)
{
	if (srv->draining && srv->nsessions == 0)
		loop_exit(srv->child.loop);
}

void
smtpin_session_end(struct smtpin_sess *s)
{
	struct smtpin *srv = s->srv;
	struct loop *l = srv->child.loop;

	if (s->fd != -1) {
		loop_timer_cancel(l, &s->cmd_timer);
		loop_timer_cancel(l, &s->session_timer);
		loop_timer_cancel(l, &s->data_timer);
		loop_timer_cancel(l, &s->auth_timer);
		loop_fd_del(l, s->fd);
		if (s->tls != NULL) {
			if (s->tls_active)
				(void)gnutls_bye(s->tls, GNUTLS_SHUT_WR);
			gnutls_deinit(s->tls);
			s->tls = NULL;
		}
		close(s->fd);
		s->fd = -1;
		buf_free(&s->in);
		buf_free(&s->out);
		smtpin_anvil_release(s);
		/* nothing said how: the client went (EOF, reset) */
		smtpin_session_ending(s, "closed", NULL);
	}
	/* an AUTH exchange cut short holds a password: wipe it */
	s->sasl_active = 0;
	sasl_exch_clear(&s->sasl);
	explicit_bzero(&s->auth_reply, sizeof(s->auth_reply));
	if (srv->ops.teardown(s)) {
		/* a commit in flight: its answer ends s (doc/design.md §6) */
		s->client_gone = 1;
		return;
	}
	/* the one session record, with every `in` line counted */
	smtpin_log_session(s);
	envelope_free(&s->env);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	srv->nsessions--;
	free(s);
	smtpin_drained(srv);
}

void
smtpin_session_timeout(void *arg)
{
	struct smtpin_sess *s = arg;
	struct reason why;

	switch (s->state) {
	case SMTPIN_CLOSING:
		smtpin_session_end(s);
		return;
	case SMTPIN_HANDSHAKE:
		/*
		 * The client may be inside TLS already: a cleartext reply
		 * would land in the middle of its TLS stream. Just close.
		 */
		(void)reason_set(&why, 0, "", "TLS handshake timed out");
		smtpin_log_in(s, "rejected", NULL, &why);
		smtpin_session_ending(s, "timeout", &why);
		smtpin_session_end(s);
		return;
	case SMTPIN_COMMITTING:
		/*
		 * The message may be on disk already: its answer (250 or
		 * not) comes first, then this timeout (smtpin_data.c).
		 */
		s->timed_out = 1;
		return;
	default:
		break;
	}
	(void)reason_set(&why, 421, "4.4.2", "Error: timeout exceeded");
	/* one line, with the facts of the transaction that is dropped */
	smtpin_log_in(s, "rejected", NULL, &why);
	smtpin_session_ending(s, "timeout", &why);
	(void)s->srv->ops.teardown(s);
	smtpin_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
	    s->srv->conf->hostname);
	smtpin_session_close_after_reply(s);
	smtpin_session_update(s);
}

void
smtpin_session_close_after_reply(struct smtpin_sess *s)
{
	s->state = SMTPIN_CLOSING;
	buf_reset(&s->in);
	if (s->fd == -1)
		return;
	loop_timer_cancel(s->srv->child.loop, &s->cmd_timer);
	loop_timer_cancel(s->srv->child.loop, &s->data_timer);
	loop_timer_cancel(s->srv->child.loop, &s->auth_timer);
	/* a client that does not take the last reply is dropped in 10 s */
	loop_timer_set(s->srv->child.loop, &s->session_timer, 10000,
	    smtpin_session_timeout, s);
}

static void
smtpin_session_banner(struct smtpin_sess *s)
{
	smtpin_reply(s, 220, NULL, "%s ESMTP sealpost",
	    s->srv->conf->hostname);
	s->state = SMTPIN_COMMAND;
	smtpin_session_command_timer(s);
}

static int
smtpin_session_tls_start(struct smtpin_sess *s)
{
	struct reason why;

	s->tls = tls_server_session(&s->srv->tls, s->fd);
	if (s->tls == NULL) {
		log_warnx("%s: cannot start TLS for %s", s->srv->child.title,
		    s->peer_ip);
		(void)reason_set(&why, 0, "", "cannot start TLS");
		smtpin_session_ending(s, "error", &why);
		return -1;
	}
	s->state = SMTPIN_HANDSHAKE;
	smtpin_session_command_timer(s);
	return 0;
}

void
smtpin_session_admit(struct smtpin_sess *s, int verdict)
{
	const char *why;

	if (verdict != IPC_ANVIL_OK) {
		char line[CONF_DOMAIN_MAX + 96];
		struct reason r;
		int n;

		why = verdict == IPC_ANVIL_TOO_MANY_FROM_IP ?
		    "Too many connections from your address" :
		    "Too many connections";
		n = snprintf(line, sizeof(line), "421 4.7.0 %s %s, try again "
		    "later\r\n", s->srv->conf->hostname, why);
		/*
		 * Best effort: the socket buffer is empty, this fits. On
		 * smtps the client expects TLS first: cleartext would only
		 * look like a broken handshake, so just close.
		 */
		if (n > 0 && (size_t)n < sizeof(line) &&
		    s->kind != CONF_LISTEN_SMTPS)
			(void)send(s->fd, line, (size_t)n, MSG_NOSIGNAL);
		(void)reason_set(&r, 421, "4.7.0", "%s", why);
		smtpin_log_in(s, "rejected", NULL, &r);
		smtpin_session_ending(s, "refused", &r);
		smtpin_session_end(s);
		return;
	}
	s->counted = 1;
	if (s->kind == CONF_LISTEN_SMTPS) {
		if (smtpin_session_tls_start(s) == -1) {
			smtpin_session_end(s);
			return;
		}
	} else
		smtpin_session_banner(s);
	smtpin_session_update(s);
}

void
smtpin_session_starttls(struct smtpin_sess *s)
{
	if (s->in.len > 0) {
		/* bytes sent before our 220 cannot be part of the handshake */
		log_warnx("%s: client %s pipelined %zu bytes after STARTTLS; "
		    "discarded", s->srv->child.title, s->peer_ip, s->in.len);
		buf_reset(&s->in);
	}
	smtpin_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* the handshake starts once the 220 is out (see the io handler) */
	s->state = SMTPIN_HANDSHAKE;
	s->helo = 0;
	s->helo_name[0] = '\0';
}

/* Sends what is in out. Returns 0, or -1 when the connection is dead. */
static int
smtpin_session_flush(struct smtpin_sess *s, int *want_write)
{
	return tls_conn_flush(s->tls_active ? s->tls : NULL, s->fd, &s->out,
	    want_write, NULL);
}

/* Reads what the socket has. Returns 0, or -1 when the connection broke. */
static int
smtpin_session_read(struct smtpin_sess *s)
{
	enum tls_io io;
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		size_t room = s->in.max - s->in.len;

		if (room == 0)
			return 0;	/* flow control: stop reading */
		if (room > sizeof(smtpin_scratch))
			room = sizeof(smtpin_scratch);
		n = tls_conn_read(s->tls_active ? s->tls : NULL, s->fd,
		    smtpin_scratch, room, &io);
		if (n < 0)
			return io == TLS_IO_ERROR ? -1 : 0;
		if (n == 0) {
			s->read_eof = 1;
			return 0;
		}
		if (buf_append(&s->in, smtpin_scratch, (size_t)n) == -1)
			return -1;
		if ((size_t)n < room && !(s->tls_active &&
		    gnutls_record_check_pending(s->tls) > 0))
			return 0;
	}
	return 0;
}

/*
 * One step of the TLS handshake. Returns -1 when the session ended
 * (failure), 0 otherwise (done, or waiting for the socket). A failed
 * handshake closes without any reply: the client is not speaking
 * cleartext SMTP any more, and GnuTLS has sent its alert.
 */
static int
smtpin_session_handshake(struct smtpin_sess *s)
{
	struct tls_facts f;
	const char *why = NULL;
	enum tls_io io;

	if (s->tls == NULL) {
		/* STARTTLS: wait until the 220 is out */
		if (s->out.len > 0)
			return 0;
		if (smtpin_session_tls_start(s) == -1) {
			smtpin_session_end(s);
			return -1;
		}
	}
	io = tls_handshake(s->tls, &why);
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
		return 0;
	if (io == TLS_IO_ERROR) {
		struct reason r;

		(void)reason_set(&r, 0, "", "TLS handshake failed: %s",
		    why ? why : "error");
		smtpin_log_in(s, "rejected", NULL, &r);
		smtpin_session_ending(s, "error", &r);
		buf_reset(&s->out);
		smtpin_session_end(s);
		return -1;
	}
	tls_session_facts(s->tls, &f);
	s->tls_active = 1;
	(void)strlcpy(s->tls_version, f.version, sizeof(s->tls_version));
	(void)strlcpy(s->tls_cipher, f.cipher, sizeof(s->tls_cipher));
	(void)strlcpy(s->tls_group, f.group, sizeof(s->tls_group));
	s->tls_bits = f.bits;
	log_debug("%s: TLS with %s: %s %s (%u bits) %s%s",
	    s->srv->child.title, s->peer_ip, f.version, f.cipher, f.bits,
	    f.group, f.resumed ? " resumed" : "");
	if (s->kind == CONF_LISTEN_SMTPS && s->commands == 0)
		smtpin_session_banner(s);
	else {
		s->state = SMTPIN_COMMAND;
		smtpin_session_command_timer(s);
	}
	return 0;
}

/* Registers interest in the events the session's state needs. */
static void
smtpin_session_update(struct smtpin_sess *s)
{
	uint32_t ev = 0;
	int want_write = 0;

	if (s->fd == -1)
		return;
	if (smtpin_session_flush(s, &want_write) == -1) {
		smtpin_session_end(s);
		return;
	}
	if (s->state == SMTPIN_CLOSING && s->out.len == 0) {
		smtpin_session_end(s);
		return;
	}
	if (want_write)
		ev |= EPOLLOUT;
	switch (s->state) {
	case SMTPIN_HANDSHAKE:
		if (s->tls != NULL)
			ev |= gnutls_record_get_direction(s->tls) ? EPOLLOUT :
			    EPOLLIN;
		break;
	case SMTPIN_COMMAND:
	case SMTPIN_AUTH_DELAY:
	case SMTPIN_AUTH_WAIT:
	case SMTPIN_DATA:
	case SMTPIN_OPENING:
	case SMTPIN_COMMITTING:
		/*
		 * Not at EOF: a half-closed socket stays readable for ever,
		 * and waiting for the queue would spin (doc/design.md §6).
		 */
		if (s->in.len < s->in.max && !s->read_eof)
			ev |= EPOLLIN;
		break;
	default:
		break;
	}
	if (ev != s->events) {
		if (loop_fd_mod(s->srv->child.loop, s->fd, ev) == -1) {
			smtpin_session_end(s);
			return;
		}
		s->events = ev;
	}
}

static void
smtpin_session_io(int fd, uint32_t events, void *arg)
{
	struct smtpin_sess *s = arg;

	(void)fd;
	if (s->state == SMTPIN_HANDSHAKE && s->tls != NULL) {
		if (smtpin_session_handshake(s) == -1)
			return;
		if (s->state == SMTPIN_HANDSHAKE) {
			smtpin_session_update(s);
			return;
		}
		/* records that came with the Finished may already be read */
		events |= EPOLLIN;
	}
	if (s->read_eof && (events & (EPOLLHUP | EPOLLERR))) {
		/*
		 * Reported whatever we ask for: the peer is gone in both
		 * directions, and nothing more can be read or sent.
		 */
		smtpin_session_end(s);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    s->state != SMTPIN_CLOSING && s->state != SMTPIN_HANDSHAKE) {
		if (smtpin_session_read(s) == -1) {
			smtpin_session_end(s);
			return;
		}
	}
	smtpin_session_resume(s);
}

void
smtpin_session_resume(struct smtpin_sess *s)
{
	int want_write;

	if (s->fd == -1)
		return;
	s->srv->ops.input(s);
	if (s->state == SMTPIN_HANDSHAKE && s->tls == NULL) {
		/* STARTTLS: send the 220, then shake hands */
		if (smtpin_session_flush(s, &want_write) == -1) {
			smtpin_session_end(s);
			return;
		}
		if (s->out.len == 0 && smtpin_session_handshake(s) == -1)
			return;
	}
	if (s->read_eof && s->state == SMTPIN_COMMAND) {
		/* the client is done sending: answer what it sent, then go */
		smtpin_session_ending(s, "closed", NULL);
		smtpin_session_close_after_reply(s);
	}
	if (s->read_eof && (s->state == SMTPIN_DATA ||
	    s->state == SMTPIN_HANDSHAKE)) {
		smtpin_session_end(s);
		return;
	}
	smtpin_session_update(s);
}
