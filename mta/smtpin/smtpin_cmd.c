/*
 * smtpin_cmd.c: the SMTP commands of the server and their policy
 * (RFC 5321 §4.1, DESIGN.md §5): greeting state, the inbound TLS policy
 * (530 before STARTTLS where TLS is required), MAIL and RCPT with their
 * ESMTP parameters (SIZE, BODY, SMTPUTF8, DSN, REQUIRETLS), relay control
 * and the recipient limit. Parsing is done by the pure smtp_proto.c and
 * smtp_addr.c; this file decides and answers.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_proto.h"
#include "smtpin.h"

void
smtpin_log_in(struct smtpin_sess *s, const char *result, const char *rcpt,
    const struct reason *why)
{
	struct log_kv kv;

	log_kv_init(&kv, "in");
	if (s->env.id[0] != '\0')
		log_kv_str(&kv, "id", s->env.id);
	log_kv_str(&kv, "client", s->peer_ip);
	log_kv_str(&kv, "port", conf_listen_kind_name(s->kind));
	log_kv_str(&kv, "helo", s->helo_name);
	log_kv_str(&kv, "tls", s->tls_active ? s->tls_version : "none");
	if (s->tls_active)
		log_kv_str(&kv, "cipher", s->tls_cipher);
	if (s->have_mail) {
		log_kv_str(&kv, "from", s->env.from);
		log_kv_fmt(&kv, "nrcpt", "%zu", s->env.nrcpt);
	}
	if (rcpt != NULL)
		log_kv_str(&kv, "rcpt", rcpt);
	if (strcmp(result, "accepted") == 0)
		log_kv_fmt(&kv, "size", "%llu",
		    (unsigned long long)s->env.size);
	log_kv_str(&kv, "result", result);
	if (why != NULL) {
		if (why->code != 0)
			log_kv_fmt(&kv, "reason", "%d %s %s", why->code,
			    why->dsn, why->text);
		else
			log_kv_str(&kv, "reason", why->text);
	}
	log_kv_emit(&kv);
}

void
smtpin_cmd_reset_tx(struct smtpin_sess *s)
{
	smtpin_data_release_pre(s);
	envelope_free(&s->env);
	envelope_init(&s->env);
	s->have_mail = 0;
}

/* Answers why and logs it as an audited refusal. */
static void
smtpin_refuse(struct smtpin_sess *s, const char *rcpt, int code,
    const char *dsn, const char *text)
{
	struct reason r;

	(void)reason_set(&r, code, dsn, "%s", text);
	smtpin_log_in(s, "rejected", rcpt, &r);
	smtpin_reply_reason(s, &r);
}

static void
smtpin_cmd_ehlo(struct smtpin_sess *s, const struct smtp_proto_cmd *c)
{
	const struct conf *conf = s->srv->conf;
	char size[32], line[1024];
	const char *lines[12];
	size_t n = 0;
	int len;

	smtpin_cmd_reset_tx(s);
	if (c->arglen >= sizeof(s->helo_name)) {
		struct reason r = { 501, "5.5.4", "Error: HELO name too long" };

		smtpin_reply_reason(s, &r);
		return;
	}
	memcpy(s->helo_name, c->arg, c->arglen);
	s->helo_name[c->arglen] = '\0';
	if (c->verb == SMTP_PROTO_HELO) {
		s->helo = 1;
		smtpin_reply(s, 250, NULL, "%s", conf->hostname);
		return;
	}
	s->helo = 2;
	(void)snprintf(size, sizeof(size), "SIZE %llu",
	    (unsigned long long)conf->message_size_limit);
	lines[n++] = conf->hostname;
	lines[n++] = "PIPELINING";
	lines[n++] = size;
	lines[n++] = "8BITMIME";
	lines[n++] = "ENHANCEDSTATUSCODES";
	lines[n++] = "SMTPUTF8";
	lines[n++] = "DSN";
	if (!s->tls_active && s->kind != CONF_LISTEN_SMTPS)
		lines[n++] = "STARTTLS";
	if (s->tls_active)
		lines[n++] = "REQUIRETLS";	/* RFC 8689 §4: only in TLS */
	len = smtp_proto_reply(line, sizeof(line), 250, NULL, lines, n);
	if (len > 0)
		smtpin_reply_raw(s, line, (size_t)len);
}

static void
smtpin_cmd_mail(struct smtpin_sess *s, const struct smtp_proto_cmd *c)
{
	const struct conf *conf = s->srv->conf;
	struct smtp_addr addr;
	struct smtp_params p;
	struct reason why;

	if (s->helo == 0) {
		struct reason r = { 503, "5.5.1",
		    "Error: send HELO/EHLO first" };

		smtpin_reply_reason(s, &r);
		return;
	}
	if (s->have_mail) {
		struct reason r = { 503, "5.5.1",
		    "Error: nested MAIL command" };

		smtpin_reply_reason(s, &r);
		return;
	}
	if (!s->tls_active && (s->kind == CONF_LISTEN_SUBMISSION ||
	    !s->cleartext_ok)) {
		smtpin_refuse(s, NULL, 530, "5.7.0",
		    "Must issue a STARTTLS command first");
		return;
	}
	if (!s->srv->have_queue) {
		smtpin_refuse(s, NULL, 451, "4.3.0",
		    "Error: queue unavailable, try again later");
		return;
	}
	if (s->srv->queue_low_space) {
		smtpin_refuse(s, NULL, 452, "4.3.1",
		    "Insufficient system storage");
		return;
	}
	memset(&why, 0, sizeof(why));
	if (smtp_addr_parse_arg(c->arg, c->arglen, SMTP_ADDR_MAIL |
	    SMTP_ADDR_UTF8, &addr, &p, &why) == -1) {
		smtpin_log_in(s, "rejected", NULL, &why);
		smtpin_reply_reason(s, &why);
		return;
	}
	if (p.requiretls && !s->tls_active) {
		smtpin_refuse(s, NULL, 530, "5.7.10",
		    "REQUIRETLS needs an encrypted connection");
		return;
	}
	if (p.has_size && p.size > conf->message_size_limit) {
		smtpin_refuse(s, NULL, 552, "5.3.4",
		    "Message size exceeds fixed limit");
		return;
	}
	if (strlcpy(s->env.from, addr.addr, sizeof(s->env.from)) >=
	    sizeof(s->env.from)) {
		struct reason r = { 501, "5.1.7", "Error: address too long" };

		smtpin_reply_reason(s, &r);
		return;
	}
	s->env.body = p.body == SMTP_ADDR_BODY_8BITMIME ?
	    ENVELOPE_BODY_8BITMIME : p.body == SMTP_ADDR_BODY_7BIT ?
	    ENVELOPE_BODY_7BIT : ENVELOPE_BODY_NONE;
	s->env.smtputf8 = p.smtputf8;
	s->env.requiretls = p.requiretls;
	s->env.ret = p.ret == SMTP_ADDR_RET_FULL ? ENVELOPE_RET_FULL :
	    p.ret == SMTP_ADDR_RET_HDRS ? ENVELOPE_RET_HDRS : ENVELOPE_RET_NONE;
	if (p.has_envid)
		(void)strlcpy(s->env.envid, p.envid, sizeof(s->env.envid));
	if (p.has_auth && !p.auth_null)
		(void)strlcpy(s->env.auth, p.auth, sizeof(s->env.auth));
	s->have_mail = 1;
	smtpin_reply(s, 250, "2.1.0", "Ok");
}

static void
smtpin_cmd_rcpt(struct smtpin_sess *s, const struct smtp_proto_cmd *c)
{
	const struct conf *conf = s->srv->conf;
	struct envelope_rcpt *r;
	struct smtp_addr addr;
	struct smtp_params p;
	struct reason why;
	char mailbox[ENVELOPE_ADDR_MAX + 1];
	int local;

	if (!s->have_mail) {
		struct reason e = { 503, "5.5.1", "Error: need MAIL command" };

		smtpin_reply_reason(s, &e);
		return;
	}
	memset(&why, 0, sizeof(why));
	if (smtp_addr_parse_arg(c->arg, c->arglen, SMTP_ADDR_RCPT |
	    (s->env.smtputf8 ? SMTP_ADDR_UTF8 : 0), &addr, &p, &why) == -1) {
		smtpin_log_in(s, "rejected", NULL, &why);
		smtpin_reply_reason(s, &why);
		return;
	}
	if (s->env.nrcpt >= conf->recipient_limit) {
		struct reason e = { 452, "4.5.3",
		    "Error: too many recipients" };

		smtpin_reply_reason(s, &e);
		return;
	}
	/* %, ! or a quoted @ in the local part: sender-specified routing */
	if (addr.local_has_routing) {
		smtpin_refuse(s, addr.addr, 550, "5.7.1",
		    "Sender-specified routing is not supported");
		return;
	}
	if (addr.is_postmaster && addr.domain_len == 0) {
		/* RFC 5321 §4.5.1: <postmaster> is always accepted */
		if (snprintf(mailbox, sizeof(mailbox), "postmaster@%s",
		    conf->hostname) >= (int)sizeof(mailbox))
			(void)strlcpy(mailbox, "postmaster", sizeof(mailbox));
		local = 1;
	} else {
		(void)strlcpy(mailbox, addr.addr, sizeof(mailbox));
		local = !addr.is_literal && smtp_addr_domain_match(
		    addr.domain_lc, s->srv->local_domains,
		    conf->nlocal_domains) >= 0;
	}
	if (!local && !s->relay_ok) {
		smtpin_refuse(s, mailbox, 554, "5.7.1",
		    "Relay access denied");
		return;
	}
	if ((r = envelope_add_rcpt(&s->env, mailbox)) == NULL) {
		struct reason e = { 452, "4.5.3",
		    "Error: too many recipients" };

		smtpin_reply_reason(s, &e);
		return;
	}
	r->notify = p.notify;
	if (p.has_orcpt && snprintf(r->orcpt, sizeof(r->orcpt), "%s;%s",
	    p.orcpt_type, p.orcpt) >= (int)sizeof(r->orcpt))
		r->orcpt[0] = '\0';
	smtpin_reply(s, 250, "2.1.5", "Ok");
	/* like Postfix's smtpd_delay_open_until_valid_rcpt */
	smtpin_data_preopen(s);
}

void
smtpin_cmd_line(struct smtpin_sess *s, const char *line, size_t len)
{
	struct smtp_proto_cmd c;
	struct reason why;

	if (++s->commands > s->srv->conf->smtpin_max_commands) {
		struct reason r = { 421, "4.7.0", "Error: too many commands" };

		smtpin_log_in(s, "rejected", NULL, &r);
		smtpin_reply(s, 421, "4.7.0", "%s Error: too many commands",
		    s->srv->conf->hostname);
		smtpin_session_close_after_reply(s);
		return;
	}
	smtpin_session_command_timer(s);
	memset(&why, 0, sizeof(why));
	if (smtp_proto_parse_cmd(line, len, &c, &why) == -1) {
		smtpin_reply_reason(s, &why);
		return;
	}
	switch (c.verb) {
	case SMTP_PROTO_HELO:
	case SMTP_PROTO_EHLO:
		smtpin_cmd_ehlo(s, &c);
		break;
	case SMTP_PROTO_STARTTLS:
		if (s->tls_active) {
			struct reason r = { 503, "5.5.1",
			    "Error: TLS already active" };

			smtpin_reply_reason(s, &r);
		} else
			smtpin_session_starttls(s);
		break;
	case SMTP_PROTO_MAIL:
		smtpin_cmd_mail(s, &c);
		break;
	case SMTP_PROTO_RCPT:
		smtpin_cmd_rcpt(s, &c);
		break;
	case SMTP_PROTO_DATA:
		if (!s->have_mail) {
			struct reason r = { 503, "5.5.1",
			    "Error: need MAIL command" };

			smtpin_reply_reason(s, &r);
		} else if (s->env.nrcpt == 0) {
			struct reason r = { 503, "5.5.1",
			    "Error: need RCPT command" };

			smtpin_reply_reason(s, &r);
		} else
			smtpin_data_begin(s);
		break;
	case SMTP_PROTO_RSET:
		smtpin_cmd_reset_tx(s);
		smtpin_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_PROTO_NOOP:
		smtpin_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_PROTO_QUIT:
		smtpin_reply(s, 221, "2.0.0", "Bye");
		smtpin_session_close_after_reply(s);
		break;
	case SMTP_PROTO_VRFY:
		smtpin_reply(s, 252, "2.0.0", "Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case SMTP_PROTO_HELP:
		smtpin_reply(s, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT "
		    "DATA RSET NOOP QUIT VRFY HELP STARTTLS");
		break;
	default: {
		struct reason r = { 502, "5.5.1",
		    "Error: command not implemented" };

		smtpin_reply_reason(s, &r);
		break;
	}
	}
}
