/*
 * local_forward.c: an alias's remote targets submitted again through the
 * pickup socket (see local_forward.h, doc/design.md §1.1, §3, §12; RFC
 * 5321, RFC 6152 BODY=8BITMIME, RFC 6531 SMTPUTF8, RFC 8689
 * REQUIRETLS). Blocking I/O with socket timeouts: the local process
 * delivers one job at a time. local_forward_gate_mail is the one place
 * of the local process besides the LMTP gate that writes MAIL, and only
 * to a UNIX socket: the pickup hop never leaves the host
 * (tests/lint/mailgate).
 * Linked by the local binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pickup.h"
#include "local_forward.h"
#include "smtp/envelope.h"
#include "smtp/smtp_client.h"

#define LOCAL_FORWARD_CHUNK	16384


/*
 * The gate (doc/design.md §1.1): MAIL is written only to a UNIX socket,
 * the pickup hop, which does not leave the host. Returns the reply code
 * as pickup_reply; fatalx on a socket of another family, which
 * no path here can make.
 */
static int
local_forward_gate_mail(struct pickup_conn *k, const char *param)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (getsockname(k->fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    ss.ss_family != AF_UNIX)
		fatalx("local: forwarding over something that is not the "
		    "pickup socket");
	return pickup_cmd(k, "MAIL FROM:", param, "");
}

/* The Delivered-To field, then the content dot-stuffed, then the dot. */
static int
local_forward_data(struct pickup_conn *k, int fd, const char *rcpt)
{
	struct smtp_client_dot d;
	char in[LOCAL_FORWARD_CHUNK], out[2 * LOCAL_FORWARD_CHUNK + 8];
	char field[IPC_ADDR_MAX + 32];
	off_t off = 0;
	ssize_t r;
	size_t n;
	int len;

	len = snprintf(field, sizeof(field), "Delivered-To: %s\r\n", rcpt);
	if (len < 0 || (size_t)len >= sizeof(field))
		return -1;
	smtp_client_dot_init(&d);
	n = smtp_client_dot_encode(&d, field, (size_t)len, out);
	if (pickup_write(k->fd, out, n) == -1)
		return -1;
	for (;;) {
		r = pread(fd, in, sizeof(in), off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		off += r;
		n = smtp_client_dot_encode(&d, in, (size_t)r, out);
		if (pickup_write(k->fd, out, n) == -1)
			return -1;
	}
	n = smtp_client_dot_end(&d, out);
	return pickup_write(k->fd, out, n);
}

/* The queue id in smtpin's "250 2.0.0 Ok: queued as ID", or "". */
static void
local_forward_id(const char *line, char *id, size_t size)
{
	const char *p = strstr(line, "queued as ");
	size_t n;

	id[0] = '\0';
	if (p == NULL)
		return;
	p += strlen("queued as ");
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	if (n > 0 && n < size) {
		memcpy(id, p, n);
		id[n] = '\0';
	}
}

void
local_forward(const struct conf *c, const struct ipc_out_job *j, int fd,
    const char *rcpt, const char *const *to, size_t n,
    struct local_result *res)
{
	struct pickup_conn *k;
	char param[IPC_ADDR_MAX + 64], text[sizeof(res->text)], id[64];
	size_t i, ok, b, e, lim;
	int code, len;

	for (i = 0; i < n; i++)
		local_result_set(&res[i], IPC_OUT_DEFERRED, 451, "4.4.2",
		    "cannot forward: no connection to the pickup socket");
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		for (i = 0; i < n; i++)
			local_result_set(&res[i], IPC_OUT_DEFERRED, 451,
			    "4.3.0", "out of memory");
		return;
	}
	if ((k->fd = pickup_connect(c->run_dir, LOCAL_FORWARD_TIMEOUT, NULL, 0)) == -1) {
		log_warn("local: %s: forwarding: %s/%s", j->id, c->run_dir,
		    CONF_PICKUP_SOCKET);
		free(k);
		return;
	}
	if ((code = pickup_reply(k)) != 220 ||
	    (code = pickup_cmd(k, "EHLO ", c->hostname, "")) != 250)
		goto fail;
	len = snprintf(param, sizeof(param), "<%s>%s%s%s", j->from,
	    j->body == ENVELOPE_BODY_8BITMIME ? " BODY=8BITMIME" : "",
	    j->smtputf8 ? " SMTPUTF8" : "", j->requiretls ? " REQUIRETLS" :
	    "");
	if (len < 0 || (size_t)len >= sizeof(param))
		goto fail;
	/* at most recipient_limit RCPTs a transaction (smtpin refuses the
	   rest with 452 4.5.3): one message per batch, one connection */
	lim = c->recipient_limit > 0 ? c->recipient_limit : n;
	for (b = 0; b < n; b = e) {
		e = n - b > lim ? b + lim : n;
		if ((code = local_forward_gate_mail(k, param)) != 250)
			goto fail;
		for (i = b, ok = 0; i < e; i++) {
			code = pickup_cmd(k, "RCPT TO:<", to[i], ">");
			if (code == 250 || code == 251) {
				ok++;
				res[i].code = 0;  /* accepted: the DATA reply */
				continue;
			}
			if (code <= 0)
				goto fail;
			(void)snprintf(text, sizeof(text), "forwarding "
			    "refused: %.300s", k->last);
			local_result_set(&res[i], code >= 500 ?
			    IPC_OUT_BOUNCED : IPC_OUT_DEFERRED, code,
			    code >= 500 ? "5.1.0" : "4.4.0", text);
		}
		if (ok == 0) {
			/* no recipient: end the transaction for the next */
			if (e < n && (code = pickup_cmd(k, "RSET", "",
			    "")) != 250)
				goto fail;
			continue;
		}
		if ((code = pickup_cmd(k, "DATA", "", "")) != 354)
			goto fail;
		if (local_forward_data(k, fd, rcpt) == -1) {
			code = -1;
			goto fail;
		}
		if ((code = pickup_reply(k)) != 250)
			goto fail;
		local_forward_id(k->last, id, sizeof(id));
		for (i = b; i < e; i++)
			if (res[i].code == 0) {
				(void)snprintf(text, sizeof(text),
				    "forwarded as %s", id[0] != '\0' ? id :
				    "a new message");
				local_result_set(&res[i], IPC_OUT_SENT, 250,
				    "2.0.0", text);
				(void)strlcpy(res[i].forwarded, id,
				    sizeof(res[i].forwarded));
			}
	}
	(void)pickup_cmd(k, "QUIT", "", "");
	goto out;
fail:
	/* the whole submission failed: every target not refused waits */
	if (code > 0)
		(void)snprintf(text, sizeof(text), "forwarding failed: %.300s",
		    k->last);
	else
		(void)snprintf(text, sizeof(text), "forwarding failed: the "
		    "pickup connection broke or timed out");
	for (i = 0; i < n; i++)
		if (res[i].code == 0 || res[i].code == 451)
			local_result_set(&res[i], code >= 500 ?
			    IPC_OUT_BOUNCED : IPC_OUT_DEFERRED, code >= 400 ?
			    code : 451, code >= 500 ? "5.3.0" : "4.4.2", text);
out:
	close(k->fd);
	free(k);
}
