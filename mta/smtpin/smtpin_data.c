/*
 * smtpin_data.c: the transaction of an SMTP session (RFC 5321 §4.1.1.4)
 * and the commit path of doc/design.md §7 seen from smtpin: ask the queue
 * for a file (at the first accepted RCPT, or at DATA), write the Received
 * header (RFC 5321 §4.4, RFC 3848) and the dot-unstuffed message into it,
 * hand the envelope over and answer 250 only when the queue says the
 * message is durable. The end of data is decided by the pure smtp_data.c
 * machine: only <CRLF>.<CRLF> ends a message.
 *
 * The audit rule (doc/design.md §9): every message that reaches queue/
 * gets exactly one `in` line with result=accepted, written when the
 * queue's answer arrives (with client_gone=yes when the client was gone
 * by then), and no message that does not reach it gets one. So a commit
 * in flight is never abandoned: a timeout waits for its answer, and a
 * session whose client went away is kept until the answer comes.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtpin.h"

static void	smtpin_data_start(struct smtpin_sess *,
		    const struct ipc_q_result *, int);

void
smtpin_queue_abort(struct smtpin *srv, uint64_t tx, const char *id)
{
	struct ipc_q_commit ab;

	if (!srv->have_queue)
		return;
	memset(&ab, 0, sizeof(ab));
	ab.tx = tx;
	(void)strlcpy(ab.id, id, sizeof(ab.id));
	(void)ipc_send(&srv->queue, IPC_Q_ABORT, &ab, sizeof(ab), -1);
}

/* Gives the early file back (ABORT), or forgets the OPEN still out. */
static void
smtpin_data_release_pre(struct smtpin_sess *s)
{
	if (s->pre_tx == 0)
		return;
	/*
	 * A file: the queue removes it. An answer still out: it finds no
	 * session and smtpin_main.c sends the ABORT then.
	 */
	if (s->pre_fd != -1) {
		close(s->pre_fd);
		s->pre_fd = -1;
		smtpin_queue_abort(s->srv, s->pre_tx, s->pre_id);
	}
	s->pre_tx = 0;
	s->pre_status = -1;
	s->pre_id[0] = '\0';
}

void
smtpin_tx_reset(struct smtpin_sess *s)
{
	smtpin_data_release_pre(s);
	envelope_free(&s->env);
	envelope_init(&s->env);
	s->have_mail = 0;
}

/* The queue forgets the file of the open transaction, once. */
static void
smtpin_data_send_abort(struct smtpin_sess *s)
{
	if (!s->srv->have_queue || s->env.id[0] == '\0' || s->tx_aborted)
		return;
	s->tx_aborted = 1;	/* a second ABORT would break the channel */
	smtpin_queue_abort(s->srv, s->tx, s->env.id);
}

/* Releases what DATA holds, forgets the transaction: commands come next. */
static void
smtpin_data_end(struct smtpin_sess *s)
{
	if (s->qfd != -1) {
		close(s->qfd);
		s->qfd = -1;
	}
	free(s->fbuf);
	s->fbuf = NULL;
	s->flen = 0;
	s->fsize = 0;
	s->write_errno = 0;
	s->tx_aborted = 0;
	if (s->fd != -1)
		loop_timer_cancel(s->srv->child.loop, &s->data_timer);
	smtpin_tx_reset(s);
	s->state = SMTPIN_COMMAND;
	smtpin_session_command_timer(s);
}

/*
 * Refuses the message of an open transaction: the queue forgets its file,
 * the refusal is logged and answered, and commands come next.
 */
static void
smtpin_data_drop(struct smtpin_sess *s, const struct reason *why)
{
	smtpin_data_send_abort(s);
	smtpin_refuse_reason(s, 1, NULL, why);
	smtpin_data_end(s);
}

/*
 * The queue or the disk refused the message with status (an errno): a
 * full disk or quota is 452 4.3.1 (RFC 3463: mail system full), anything
 * else 451 4.3.0 with text; the transaction ends.
 */
static void
smtpin_data_failed(struct smtpin_sess *s, int status, const char *text)
{
	struct reason why;

	if (status == ENOSPC || status == EDQUOT)
		(void)reason_set(&why, 452, "4.3.1", "%s",
		    "Insufficient system storage");
	else
		(void)reason_set(&why, 451, "4.3.0", "%s", text);
	smtpin_data_drop(s, &why);
}

int
smtpin_data_teardown(struct smtpin_sess *s)
{
	switch (s->state) {
	case SMTPIN_COMMITTING:
		return 1;
	case SMTPIN_DATA:
		smtpin_data_send_abort(s);
		break;
	case SMTPIN_OPENING:
		/* the answer finds no OPENING session: smtpin_main.c aborts */
	default:
		break;
	}
	if (s->state == SMTPIN_OPENING || s->state == SMTPIN_DATA)
		smtpin_data_end(s);
	else
		smtpin_tx_reset(s);
	return 0;
}

void
smtpin_data_queue_lost(struct smtpin_sess *s)
{
	struct reason r;

	smtpin_data_release_pre(s);
	switch (s->state) {
	case SMTPIN_OPENING:
		/* nothing was written: a plain temporary failure */
		(void)reason_set(&r, 451, "4.3.0", "%s",
		    "Error: queue unavailable, try again later");
		smtpin_refuse_reason(s, 1, NULL, &r);
		smtpin_data_end(s);
		smtpin_session_resume(s);
		break;
	case SMTPIN_COMMITTING:
		/*
		 * The queue went away after COMMIT: the message may be on
		 * disk or not. A 451 could be a lie that makes the client
		 * send it twice, a 250 could lose it; say nothing and drop
		 * the connection, which RFC 5321 §4.1.1.4 leaves to the
		 * client to treat as "unknown" (it retries: at-least-once).
		 * The queue's own `queued` line settles it.
		 */
		log_warnx("%s: queue went away while committing %s from %s; "
		    "outcome unknown, connection dropped without a reply",
		    s->srv->child.title, s->env.id, s->peer_ip);
		(void)reason_set(&r, 0, "", "queue went away while "
		    "committing");
		smtpin_session_ending(s, "error", &r);
		smtpin_data_end(s);
		if (s->fd != -1)
			buf_reset(&s->out);
		smtpin_session_end(s);
		break;
	case SMTPIN_DATA:
		/* keep reading to the end of data, then answer 451 */
		smtpin_data_send_abort(s);
		if (s->write_errno == 0)
			s->write_errno = EPIPE;
		if (s->qfd != -1) {
			close(s->qfd);
			s->qfd = -1;
		}
		break;
	default:
		break;
	}
}

void
smtpin_data_preopen(struct smtpin_sess *s)
{
	struct ipc_q_open o;

	if (s->pre_tx != 0 || !s->srv->have_queue || s->srv->queue_low_space)
		return;
	memset(&o, 0, sizeof(o));
	o.tx = ++s->srv->next_tx;
	if (ipc_send(&s->srv->queue, IPC_Q_OPEN, &o, sizeof(o), -1) == -1)
		return;		/* DATA tries again, and answers 451 */
	s->pre_tx = o.tx;
	s->pre_status = -1;
}

void
smtpin_data_begin(struct smtpin_sess *s)
{
	struct ipc_q_open o;
	struct ipc_q_result res;
	int fd;

	if (s->pre_tx != 0 && s->srv->have_queue) {
		/* asked for at the first RCPT: no wait, or a shorter one */
		memset(&res, 0, sizeof(res));
		res.tx = s->tx = s->pre_tx;
		res.status = s->pre_status;
		(void)strlcpy(res.id, s->pre_id, sizeof(res.id));
		fd = s->pre_fd;
		s->pre_fd = -1;			/* the file is this DATA's now */
		s->pre_tx = 0;
		s->pre_status = -1;
		s->pre_id[0] = '\0';
		loop_timer_cancel(s->srv->child.loop, &s->cmd_timer);
		s->state = SMTPIN_OPENING;
		if (res.status != -1)
			smtpin_data_start(s, &res, fd);
		/* else smtpin_data_opened follows */
		return;
	}
	smtpin_data_release_pre(s);
	s->tx = ++s->srv->next_tx;
	memset(&o, 0, sizeof(o));
	o.tx = s->tx;
	if (!s->srv->have_queue || ipc_send(&s->srv->queue, IPC_Q_OPEN, &o,
	    sizeof(o), -1) == -1) {
		smtpin_refuse(s, 1, NULL, 451, "4.3.0",
		    "Error: queue unavailable, try again later");
		return;
	}
	s->state = SMTPIN_OPENING;
	/* waiting for the queue, not for the client */
	loop_timer_cancel(s->srv->child.loop, &s->cmd_timer);
}

/* Appends the Received header (RFC 5321 §4.4) to the file buffer. */
static int
smtpin_data_received(struct smtpin_sess *s)
{
	const struct conf *c = s->srv->conf;
	char date[64], tlsinfo[256] = "", forpart[ENVELOPE_ADDR_MAX + 16] = "";
	const char *proto;
	struct tm tm;
	time_t now = time(NULL);
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return -1;
	/* RFC 3848 and RFC 6531 §3.7.3 */
	if (s->env.smtputf8)
		proto = s->tls_active ? "UTF8SMTPS" : "UTF8SMTP";
	else if (s->tls_active)
		proto = "ESMTPS";
	else
		proto = s->helo == 2 ? "ESMTP" : "SMTP";
	if (s->tls_active) {
		n = snprintf(tlsinfo, sizeof(tlsinfo),
		    "\r\n\t(using %s with cipher %s (%u/%u bits)"
		    "\r\n\tkey-exchange %s)\r\n\t(No client certificate "
		    "requested)", s->tls_version, s->tls_cipher, s->tls_bits,
		    s->tls_bits, s->tls_group);
		if (n < 0 || (size_t)n >= sizeof(tlsinfo))
			return -1;
	}
	if (s->env.nrcpt == 1) {
		n = snprintf(forpart, sizeof(forpart), "\r\n\tfor <%s>",
		    s->env.rcpt[0].addr);
		if (n < 0 || (size_t)n >= sizeof(forpart))
			forpart[0] = '\0';
	}
	if (s->kind == CONF_LISTEN_PICKUP)
		/* local submission: the uid is what is known (§6) */
		n = snprintf(s->fbuf, SMTPIN_FILE_BUF,
		    "Received: from local (uid %ld)\r\n\tby %s (sealpost) "
		    "with %s id %s%s;\r\n\t%s\r\n", s->peer_uid,
		    c->hostname, proto, s->env.id, forpart, date);
	else
		n = snprintf(s->fbuf, SMTPIN_FILE_BUF,
		    "Received: from %s ([%s%s])\r\n\tby %s (sealpost) with "
		    "%s id %s%s%s;\r\n\t%s\r\n", s->helo_name,
		    strchr(s->peer_ip, ':') != NULL ? "IPv6:" : "", s->peer_ip,
		    c->hostname, proto, s->env.id, tlsinfo, forpart, date);
	if (n < 0 || n >= SMTPIN_FILE_BUF)
		return -1;
	s->flen = (size_t)n;
	return 0;
}

/* The file for the message is there (or the queue refused it): 354. */
static void
smtpin_data_start(struct smtpin_sess *s, const struct ipc_q_result *r,
    int fd)
{
	const struct conf *c = s->srv->conf;
	struct reason why;

	if (r->status != 0 || fd == -1 || !envelope_id_valid(r->id,
	    strlen(r->id))) {
		if (fd != -1)
			close(fd);
		smtpin_data_failed(s, r->status == 0 ? EIO : r->status,
		    "Error: cannot create queue file");
		return;
	}
	(void)strlcpy(s->env.id, r->id, sizeof(s->env.id));
	s->qfd = fd;
	if ((s->fbuf = malloc(SMTPIN_FILE_BUF)) == NULL ||
	    smtpin_data_received(s) == -1) {
		(void)reason_set(&why, 451, "4.3.0", "%s",
		    "Error: local problem, try again later");
		smtpin_data_drop(s, &why);
		return;
	}
	smtp_data_init(&s->data, (size_t)c->message_size_limit,
	    (size_t)c->smtpin_header_size_limit);
	smtpin_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	s->state = SMTPIN_DATA;
	loop_timer_cancel(s->srv->child.loop, &s->cmd_timer);
	loop_timer_set(s->srv->child.loop, &s->data_timer,
	    (uint64_t)c->smtpin_data_timeout * 1000,
	    smtpin_session_timeout, s);
}

void
smtpin_data_opened(struct smtpin_sess *s, const struct ipc_q_result *r,
    int fd)
{
	if (s->pre_tx == r->tx && s->pre_status == -1) {
		/* the early OPEN: keep the file for DATA */
		s->pre_status = r->status == 0 && fd == -1 ? EIO : r->status;
		if (s->pre_status == 0) {
			s->pre_fd = fd;
			(void)strlcpy(s->pre_id, r->id, sizeof(s->pre_id));
		} else if (fd != -1)
			close(fd);
		return;
	}
	smtpin_data_start(s, r, fd);
	smtpin_session_resume(s);
}

/* Writes the buffered message bytes to the queue file. */
static void
smtpin_data_flush_file(struct smtpin_sess *s)
{
	size_t off = 0;
	ssize_t w;

	if (s->write_errno != 0 || s->qfd == -1) {
		s->flen = 0;
		return;
	}
	while (off < s->flen) {
		w = write(s->qfd, s->fbuf + off, s->flen - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* kept: a full disk is 452, not 451 */
			s->write_errno = w == 0 ? EIO : errno;
			log_warn("%s: write of queue file %s",
			    s->srv->child.title, s->env.id);
			break;
		}
		off += (size_t)w;
	}
	s->fsize += off;
	s->flen = 0;
}

/* Sends the envelope text to the queue in pieces, then COMMIT. */
static int
smtpin_data_send_envelope(struct smtpin_sess *s)
{
	unsigned char piece[IPC_PAYLOAD_MAX];
	struct ipc_q_commit cm;
	struct ipc_q_env hdr;
	char small[8192], *text = small;
	size_t len = 0, off, n, room = sizeof(piece) - sizeof(hdr);
	int r, rv = -1;

	r = envelope_write(&s->env, small, sizeof(small), &len);
	if (r == -1) {
		if ((text = malloc(len)) == NULL)
			return -1;
		r = envelope_write(&s->env, text, len, &len);
	}
	if (r != 0)
		goto out;
	memset(&hdr, 0, sizeof(hdr));
	hdr.tx = s->tx;
	memcpy(piece, &hdr, sizeof(hdr));
	for (off = 0; off < len; off += n) {
		n = len - off < room ? len - off : room;
		memcpy(piece + sizeof(hdr), text + off, n);
		if (ipc_send(&s->srv->queue, IPC_Q_ENV, piece,
		    sizeof(hdr) + n, -1) == -1)
			goto out;
	}
	memset(&cm, 0, sizeof(cm));
	cm.tx = s->tx;
	(void)strlcpy(cm.id, s->env.id, sizeof(cm.id));
	cm.size = s->fsize;
	if (ipc_send(&s->srv->queue, IPC_Q_COMMIT, &cm, sizeof(cm), -1) == -1)
		goto out;
	rv = 0;
out:
	if (text != small)
		free(text);
	return rv;
}

/* <CRLF>.<CRLF> arrived: refuse, or hand the message to the queue. */
static void
smtpin_data_finish(struct smtpin_sess *s)
{
	struct reason why;

	smtpin_data_flush_file(s);
	loop_timer_cancel(s->srv->child.loop, &s->data_timer);
	memset(&why, 0, sizeof(why));
	if (smtp_data_result(&s->data, &why) != 0) {
		smtpin_data_drop(s, &why);
		return;
	}
	if (s->write_errno != 0 || !s->srv->have_queue) {
		smtpin_data_failed(s, s->write_errno,
		    "Error: queue file write error, try again later");
		return;
	}
	close(s->qfd);
	s->qfd = -1;
	s->env.size = s->fsize;
	s->env.arrival = (int64_t)time(NULL);
	/* RFC 8689 §5: with REQUIRETLS the TLS-Required field is ignored */
	s->env.tlsrequired_no = !s->env.requiretls &&
	    smtp_data_tlsrequired_no(&s->data);
	/* local submission has no address: "-" (sealpost-envelope(5)) */
	if (s->kind != CONF_LISTEN_PICKUP)
		(void)strlcpy(s->env.client_ip, s->peer_ip,
		    sizeof(s->env.client_ip));
	(void)strlcpy(s->env.client_helo, s->helo_name,
	    sizeof(s->env.client_helo));
	/* the login of AUTH (sealpost-envelope(5) client_user) */
	(void)strlcpy(s->env.client_user, s->auth_user,
	    sizeof(s->env.client_user));
	if (s->tls_active)
		(void)snprintf(s->env.client_tls, sizeof(s->env.client_tls),
		    "%s:%s", s->tls_version, s->tls_cipher);
	if (smtpin_data_send_envelope(s) == -1) {
		(void)reason_set(&why, 451, "4.3.0", "%s",
		    "Error: local problem, try again later");
		smtpin_data_drop(s, &why);
		return;
	}
	s->state = SMTPIN_COMMITTING;
}

void
smtpin_data_input(struct smtpin_sess *s)
{
	enum smtp_data_status st;
	size_t consumed, outlen;

	while (s->in.len > 0) {
		consumed = outlen = 0;
		st = smtp_data_feed(&s->data, s->in.data, s->in.len, &consumed,
		    s->fbuf + s->flen, SMTPIN_FILE_BUF - s->flen, &outlen);
		s->flen += outlen;
		buf_consume(&s->in, consumed);
		if (st == SMTP_DATA_OUTFULL) {
			smtpin_data_flush_file(s);
			continue;
		}
		if (st == SMTP_DATA_DONE) {
			smtpin_data_finish(s);
			return;
		}
		if (st != SMTP_DATA_MORE)
			fatalx("%s: DATA machine error", s->srv->child.title);
	}
	/* keep memory flat: write out once a good part of the buffer is used */
	if (s->flen > SMTPIN_FILE_BUF / 2)
		smtpin_data_flush_file(s);
}

void
smtpin_data_committed(struct smtpin_sess *s, const struct ipc_q_result *r)
{
	if (r->status == 0 && strcmp(r->id, s->env.id) == 0) {
		/* the one accepted line of this message (doc/design.md §9) */
		smtpin_log_in(s, "accepted", NULL, NULL);
		smtpin_reply(s, 250, "2.0.0", "Ok: queued as %s", s->env.id);
		smtpin_data_end(s);
	} else {
		s->tx_aborted = 1;	/* the queue has forgotten it already */
		smtpin_data_failed(s, r->status,
		    "Error: queue file write error, try again later");
	}
	if (s->client_gone) {
		smtpin_session_end(s);
		return;
	}
	if (s->timed_out) {
		/* the session timer ran out meanwhile: its 421 now */
		s->timed_out = 0;
		smtpin_session_timeout(s);
		return;
	}
	smtpin_session_resume(s);
}
