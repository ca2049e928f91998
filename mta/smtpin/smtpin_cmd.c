/*
 * smtpin_cmd.c: the SMTP commands of the server and their policy
 * (RFC 5321 §4.1, doc/design.md §6), the top layer of a session (see
 * smtpin.h): splitting the input into command lines (CRLF only; bare LF
 * refused; the line limit of RFC 5321 §4.5.3.1.4 as the advertised
 * extensions raise it), greeting state, the inbound TLS policy (530
 * before STARTTLS where TLS is required), MAIL and RCPT with their ESMTP
 * parameters (SIZE, BODY, SMTPUTF8, DSN, REQUIRETLS, AUTH), relay control
 * (relay_networks, or a login: AUTH itself is smtpin_auth.c) and the
 * recipient limit. Parsing is done by the pure smtp_proto.c and
 * smtp_addr.c; this file decides and answers.
 *
 * What is logged (doc/design.md §9): refusals that matter to an audit
 * (a sender, a recipient, the TLS policy, the limits) as `in` lines; not
 * the replies to malformed, out-of-order or unimplemented commands (500,
 * 501 syntax, 502, 503, 555) nor recipients beyond the recipient limit.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "smtpin.h"

/* The extensions EHLO advertised (they raise the line limits). */
static unsigned
smtpin_cmd_ext(const struct smtpin_sess *s)
{
	unsigned ext;

	if (s->helo != 2)
		return 0;
	ext = SMTP_PROTO_EXT_SIZE | SMTP_PROTO_EXT_8BITMIME |
	    SMTP_PROTO_EXT_DSN | SMTP_PROTO_EXT_SMTPUTF8;
	/* the pickup socket is no network hop (doc/design.md §6) */
	if (s->tls_active || s->kind == CONF_LISTEN_PICKUP)
		ext |= SMTP_PROTO_EXT_REQUIRETLS;
	if (smtpin_auth_offered(s) || s->auth_user[0] != '\0')
		ext |= SMTP_PROTO_EXT_AUTH;
	return ext;
}

/*
 * A refusal of MAIL or RCPT that the address parser made: a syntax error
 * (501, 555) is answered only; anything else (553 for an address the
 * session may not use) is audited too.
 */
static void
smtpin_cmd_parse_refusal(struct smtpin_sess *s, const char *rcpt,
    const struct reason *why)
{
	smtpin_refuse_reason(s, why->code != 501 && why->code != 555, rcpt,
	    why);
}

static void
smtpin_cmd_ehlo(struct smtpin_sess *s, const struct smtp_proto_cmd *c)
{
	const struct conf *conf = s->srv->conf;
	char size[32], line[1024];
	const char *lines[13];
	size_t n = 0;
	int len;

	smtpin_tx_reset(s);
	if (c->arglen >= sizeof(s->helo_name)) {
		smtpin_refuse(s, 0, NULL, 501, "5.5.4",
		    "Error: HELO name too long");
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
	/* the pickup socket is no network hop: nothing to encrypt (§6) */
	if (!s->tls_active && s->kind != CONF_LISTEN_SMTPS &&
	    s->kind != CONF_LISTEN_PICKUP)
		lines[n++] = "STARTTLS";
	/* RFC 8689 §4: only in TLS, or where no network is crossed */
	if (s->tls_active || s->kind == CONF_LISTEN_PICKUP)
		lines[n++] = "REQUIRETLS";
	/* inside TLS only, on submission and smtps (doc/design.md §6) */
	if (smtpin_auth_offered(s))
		lines[n++] = "AUTH PLAIN LOGIN";
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
		smtpin_refuse(s, 0, NULL, 503, "5.5.1",
		    "Error: send HELO/EHLO first");
		return;
	}
	if (s->have_mail) {
		smtpin_refuse(s, 0, NULL, 503, "5.5.1",
		    "Error: nested MAIL command");
		return;
	}
	if (!s->tls_active && (s->kind == CONF_LISTEN_SUBMISSION ||
	    !s->cleartext_ok)) {
		smtpin_refuse(s, 1, NULL, 530, "5.7.0",
		    "Must issue a STARTTLS command first");
		return;
	}
	if (!s->srv->have_queue) {
		smtpin_refuse(s, 1, NULL, 451, "4.3.0",
		    "Error: queue unavailable, try again later");
		return;
	}
	if (s->srv->queue_low_space) {
		smtpin_refuse(s, 1, NULL, 452, "4.3.1",
		    "Insufficient system storage");
		return;
	}
	memset(&why, 0, sizeof(why));
	if (smtp_addr_parse_arg(c->arg, c->arglen, SMTP_ADDR_MAIL |
	    SMTP_ADDR_UTF8, &addr, &p, &why) == -1) {
		smtpin_cmd_parse_refusal(s, NULL, &why);
		return;
	}
	if (p.requiretls && !s->tls_active && s->kind != CONF_LISTEN_PICKUP) {
		smtpin_refuse(s, 1, NULL, 530, "5.7.10",
		    "REQUIRETLS needs an encrypted connection");
		return;
	}
	if (p.has_size && p.size > conf->message_size_limit) {
		smtpin_refuse(s, 1, NULL, 552, "5.3.4",
		    "Message size exceeds fixed limit");
		return;
	}
	if (strlcpy(s->env.from, addr.addr, sizeof(s->env.from)) >=
	    sizeof(s->env.from)) {
		smtpin_refuse(s, 0, NULL, 501, "5.1.7",
		    "Error: address too long");
		return;
	}
	/* a login sends as the addresses it owns; <> always (§6) */
	if (s->auth_user[0] != '\0' && addr.addr[0] != '\0' &&
	    !smtpin_auth_sender_ok(s, addr.addr)) {
		s->env.from[0] = '\0';
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
	/*
	 * RFC 4954 §5: AUTH= from a client that did not authenticate is
	 * taken as AUTH=<>, or a relay would pass on a forged identity.
	 */
	if (p.has_auth && !p.auth_null && s->auth_user[0] != '\0')
		(void)strlcpy(s->env.auth, p.auth, sizeof(s->env.auth));
	s->have_mail = 1;
	smtpin_reply(s, 250, "2.1.0", "Ok");
}

/*
 * A recipient refused for good (5xx) on the pickup listener is no client
 * error: the submitter is a local uid whose list smtpin_max_errors must
 * not cut short (sealpost.conf(5), doc/design.md §6). Undoes the count
 * smtpin_refuse made for code.
 */
static void
smtpin_cmd_rcpt_uncount(struct smtpin_sess *s, int code)
{
	if (s->kind == CONF_LISTEN_PICKUP && code >= 500 && s->errors > 0)
		s->errors--;
}

static void
smtpin_cmd_rcpt(struct smtpin_sess *s, const struct smtp_proto_cmd *c)
{
	const struct conf *conf = s->srv->conf;
	struct envelope_rcpt *r;
	struct smtp_addr addr;
	struct smtp_params p;
	struct reason why;
	char mailbox[ENVELOPE_ADDR_MAX + 1], raw[SMTP_PROTO_LINE_MAX_EXT];
	int local, virtual, known;

	if (!s->have_mail) {
		smtpin_refuse(s, 0, NULL, 503, "5.5.1",
		    "Error: need MAIL command");
		return;
	}
	memset(&why, 0, sizeof(why));
	if (smtp_addr_parse_arg(c->arg, c->arglen, SMTP_ADDR_RCPT |
	    (s->env.smtputf8 ? SMTP_ADDR_UTF8 : 0), &addr, &p, &why) == -1) {
		/* the recipient as the client wrote it (escaped in the log) */
		(void)snprintf(raw, sizeof(raw), "%.*s", (int)c->arglen,
		    c->arg);
		smtpin_cmd_parse_refusal(s, raw, &why);
		smtpin_cmd_rcpt_uncount(s, why.code);
		return;
	}
	if (s->env.nrcpt >= conf->recipient_limit) {
		smtpin_refuse(s, 0, NULL, 452, "4.5.3",
		    "Error: too many recipients");
		return;
	}
	/* %, ! or a quoted @ in the local part: sender-specified routing */
	if (addr.local_has_routing) {
		smtpin_refuse(s, 1, addr.addr, 550, "5.7.1",
		    "Sender-specified routing is not supported");
		smtpin_cmd_rcpt_uncount(s, 550);
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
		virtual = !local && !addr.is_literal &&
		    smtp_addr_domain_match(addr.domain_lc,
		    s->srv->virtual_domains, conf->nvirtual_alias_domains) >=
		    0;
		/* no backscatter: unknown here is refused now, never
		   bounced later (doc/design.md §6 "Recipients") */
		known = local || virtual ? smtpin_rcpt_known(s->srv,
		    addr.local_dec, strlen(addr.local_dec), addr.domain_lc,
		    strlen(addr.domain_lc), virtual) : 1;
		if (known == 0) {
			smtpin_refuse(s, 1, mailbox, 550, "5.1.1",
			    "Recipient address rejected: user unknown in "
			    "local recipient table");
			smtpin_cmd_rcpt_uncount(s, 550);
			return;
		}
		if (known == -1) {
			smtpin_refuse(s, 1, mailbox, 451, "4.3.0",
			    "Recipient address rejected: local recipient "
			    "table unavailable");
			return;
		}
		local |= virtual;
	}
	/* relay_networks, or a login (doc/design.md §6) */
	if (!local && !s->relay_ok && s->auth_user[0] == '\0') {
		smtpin_refuse(s, 1, mailbox, 554, "5.7.1",
		    "Relay access denied");
		smtpin_cmd_rcpt_uncount(s, 554);
		return;
	}
	if ((r = envelope_add_rcpt(&s->env, mailbox)) == NULL) {
		smtpin_refuse(s, 0, NULL, 452, "4.5.3",
		    "Error: too many recipients");
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

/* Handles one command line (without CRLF). */
static void
smtpin_cmd_line(struct smtpin_sess *s, const char *line, size_t len)
{
	struct smtp_proto_cmd c;
	struct reason why;

	if (s->sasl_active) {
		/* a response of the AUTH exchange, not a command */
		smtpin_session_command_timer(s);
		smtpin_auth_response(s, line, len);
		return;
	}
	if (++s->commands > s->srv->conf->smtpin_max_commands) {
		(void)reason_set(&why, 421, "4.7.0", "%s",
		    "Error: too many commands");
		smtpin_log_in(s, "rejected", NULL, &why);
		smtpin_session_ending(s, "error", &why);
		smtpin_reply(s, 421, "4.7.0", "%s Error: too many commands",
		    s->srv->conf->hostname);
		smtpin_session_close_after_reply(s);
		return;
	}
	smtpin_session_command_timer(s);
	memset(&why, 0, sizeof(why));
	/*
	 * AUTH with an initial response is longer than smtp_proto allows
	 * for a command (RFC 4954 §4: 12,288 octets): split it here.
	 */
	if (len > 5 && strncasecmp(line, "AUTH ", 5) == 0) {
		smtpin_auth_cmd(s, line + 5, len - 5);
		return;
	}
	if (smtp_proto_parse_cmd(line, len, smtpin_cmd_ext(s), &c, &why) ==
	    -1) {
		smtpin_refuse_reason(s, 0, NULL, &why);
		return;
	}
	switch (c.verb) {
	case SMTP_PROTO_HELO:
	case SMTP_PROTO_EHLO:
		smtpin_cmd_ehlo(s, &c);
		break;
	case SMTP_PROTO_STARTTLS:
		if (s->tls_active)
			smtpin_refuse(s, 0, NULL, 503, "5.5.1",
			    "Error: TLS already active");
		else if (s->kind == CONF_LISTEN_PICKUP)
			smtpin_refuse(s, 0, NULL, 502, "5.5.1",
			    "Error: no TLS on the local pickup socket");
		else {
			smtpin_tx_reset(s);
			smtpin_session_starttls(s);
		}
		break;
	case SMTP_PROTO_MAIL:
		smtpin_cmd_mail(s, &c);
		break;
	case SMTP_PROTO_RCPT:
		smtpin_cmd_rcpt(s, &c);
		break;
	case SMTP_PROTO_DATA:
		if (!s->have_mail)
			smtpin_refuse(s, 0, NULL, 503, "5.5.1",
			    "Error: need MAIL command");
		else if (s->env.nrcpt == 0)
			smtpin_refuse(s, 0, NULL, 503, "5.5.1",
			    "Error: need RCPT command");
		else
			smtpin_data_begin(s);
		break;
	case SMTP_PROTO_AUTH:
		smtpin_auth_cmd(s, c.arg, c.arglen);
		break;
	case SMTP_PROTO_RSET:
		smtpin_tx_reset(s);
		smtpin_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_PROTO_NOOP:
		smtpin_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_PROTO_QUIT:
		smtpin_reply(s, 221, "2.0.0", "Bye");
		smtpin_session_ending(s, "quit", NULL);
		smtpin_session_close_after_reply(s);
		break;
	case SMTP_PROTO_VRFY:
		smtpin_reply(s, 252, "2.0.0", "Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case SMTP_PROTO_HELP:
		smtpin_reply(s, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT "
		    "DATA RSET NOOP QUIT VRFY HELP STARTTLS%s",
		    smtpin_auth_offered(s) ? " AUTH" : "");
		break;
	default:
		smtpin_refuse(s, 0, NULL, 502, "5.5.1",
		    "Error: command not implemented");
		break;
	}
}

/*
 * Splits the buffered input into command lines and handles them; in DATA
 * hands it to the transaction layer. Stops when the session waits for
 * something else (the queue, the TLS handshake) or is closing.
 */
void
smtpin_cmd_input(struct smtpin_sess *s)
{
	/* room for an AUTH line or response (RFC 4954 §4) */
	char line[SASL_LINE_MAX + 2];
	const char *nl;
	size_t linelen, max;

	for (;;) {
		if (s->state == SMTPIN_DATA) {
			smtpin_data_input(s);
			if (s->state == SMTPIN_DATA)
				return;
			continue;
		}
		if (s->state != SMTPIN_COMMAND || s->in.len == 0)
			return;
		max = smtp_proto_line_max(s->in.data, s->in.len,
		    smtpin_cmd_ext(s));
		if (s->sasl_active || (s->in.len >= 5 &&
		    strncasecmp(s->in.data, "AUTH ", 5) == 0))
			max = SASL_LINE_MAX;
		nl = memchr(s->in.data, '\n', s->in.len);
		if (nl == NULL) {
			if (s->in.len >= max) {
				/* drop it now; answer when the line ends */
				s->skipping = 1;
				buf_reset(&s->in);
			}
			return;
		}
		linelen = (size_t)(nl - s->in.data);
		if (s->sasl_active && (s->skipping || linelen == 0 ||
		    s->in.data[linelen - 1] != '\r')) {
			/* a response that is refused ends the exchange */
			s->sasl_active = 0;
			sasl_exch_clear(&s->sasl);
		}
		if (s->skipping) {
			s->skipping = 0;
			buf_consume(&s->in, linelen + 1);
			smtpin_refuse(s, 0, NULL, 500, "5.5.2",
			    "Error: line too long");
		} else if (linelen == 0 || s->in.data[linelen - 1] != '\r') {
			buf_consume(&s->in, linelen + 1);
			smtpin_refuse(s, 0, NULL, 500, "5.5.2",
			    "Error: bare <LF> received; lines end with "
			    "<CR><LF>");
		} else if (linelen + 1 > max) {
			buf_consume(&s->in, linelen + 1);
			smtpin_refuse(s, 0, NULL, 500, "5.5.2",
			    "Error: line too long");
		} else {
			/* the line without CRLF, copied: handlers may reset
			 * the input buffer (STARTTLS) */
			memcpy(line, s->in.data, linelen - 1);
			buf_consume(&s->in, linelen + 1);
			smtpin_cmd_line(s, line, linelen - 1);
		}
		if (s->state == SMTPIN_CLOSING)
			return;
		if (s->errors > s->srv->conf->smtpin_max_errors) {
			struct reason r;

			(void)reason_set(&r, 421, "4.7.0", "%s",
			    "Error: too many errors");
			smtpin_log_in(s, "rejected", NULL, &r);
			smtpin_session_ending(s, "error", &r);
			smtpin_reply(s, 421, "4.7.0", "%s Error: too many "
			    "errors", s->srv->conf->hostname);
			smtpin_session_close_after_reply(s);
			return;
		}
	}
}
