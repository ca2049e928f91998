/*
 * smtpout_txn.c: the mail transaction of an outbound SMTP session (see
 * smtpout.h): what the job needs of the peer (REQUIRETLS, SIZE,
 * SMTPUTF8), THE GATE that alone writes MAIL FROM (doc/design.md §1.1;
 * tests/lint/mailgate), RCPTs pipelined where offered (RFC 2920), DATA
 * streamed from the content file with dot-stuffing (RFC 5321 §4.5.2),
 * the replies as results per recipient, and RSET or QUIT after the job
 * (doc/design.md §12).
 * Linked by the smtpout binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtp/envelope.h"
#include "smtpout.h"

static char smtpout_txn_chunk[SMTPOUT_CHUNK];
static char smtpout_txn_encoded[2 * SMTPOUT_CHUNK + 8];

/*
 * Tops out up with dot-stuffed content, and the end of data after the
 * last octet. Returns 0, or -1 (s is gone) when the content cannot be
 * read: the connection is dropped without the end of data, so the peer
 * never takes a cut message.
 */
int
smtpout_sess_fill(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	uint64_t left;
	size_t want, n;
	ssize_t r;

	while (!s->end_queued && s->out.len < SMTPOUT_CHUNK) {
		left = job->j.size - s->off;
		if (left == 0) {
			n = smtp_client_dot_end(&s->dot, smtpout_txn_encoded);
			if (buf_append(&s->out, smtpout_txn_encoded, n) == -1)
				return smtpout_sess_abort(s,
				    SMTPOUT_PROTO_F_LOST, "buffering data");
			s->end_queued = 1;
			break;
		}
		want = left < SMTPOUT_CHUNK ? (size_t)left : SMTPOUT_CHUNK;
		do {
			r = pread(job->fd, smtpout_txn_chunk, want,
			    (off_t)s->off);
		} while (r == -1 && errno == EINTR);
		if (r <= 0) {
			log_warnx("%s: %s: cannot read the content at %llu: %s",
			    s->so->child.title, job->j.id,
			    (unsigned long long)s->off,
			    r == 0 ? "file too short" : strerror(errno));
			smtpout_job_all(job, IPC_OUT_DEFERRED, 451, "4.3.0",
			    "cannot read the message content", "",
			    &(struct smtpout_where){ "", "", "", "", NULL, 0 });
			smtpout_job_end(job);
			smtpout_sess_free(s);
			return -1;
		}
		s->off += (uint64_t)r;
		n = smtp_client_dot_encode(&s->dot, smtpout_txn_chunk,
		    (size_t)r, smtpout_txn_encoded);
		if (buf_append(&s->out, smtpout_txn_encoded, n) == -1)
			return smtpout_sess_abort(s, SMTPOUT_PROTO_F_LOST,
			    "buffering data");
	}
	return 0;
}

/* Outcome of a reply code for recipients. */
static int
smtpout_outcome(int code)
{
	if (code >= 200 && code < 300)
		return IPC_OUT_SENT;
	return code >= 500 ? IPC_OUT_BOUNCED : IPC_OUT_DEFERRED;
}

/* Sets rc's result from the current reply. */
static void
smtpout_rcpt_reply(struct smtpout_sess *s, struct smtpout_rcpt *rc,
    int outcome)
{
	struct smtpout_where w;
	char dsn[16], text[512];

	smtpout_reply_text(&s->acc, dsn, text, sizeof(text));
	smtpout_sess_where(s, &w);
	smtpout_job_rcpt(s->job, rc, outcome, s->acc.code, dsn, text, "", &w);
}

/*
 * 530 to MAIL (RFC 4954 §6: authentication required): the relay wants
 * AUTH we did not give, because the plan has no auth for it or
 * smtpout_auth_file has no line for it. That is our configuration, not
 * a verdict on the message: every recipient is deferred 4.7.0 with the
 * peer's reply in the text, never bounced (doc/design.md §12).
 */
static void
smtpout_sess_authreq(struct smtpout_sess *s)
{
	struct smtpout_where w;
	const char *why;
	char dsn[16], reply[400], text[512];

	smtpout_reply_text(&s->acc, dsn, reply, sizeof(reply));
	why = !s->host.auth ? " (the plan does not say to log in)" :
	    s->cred == NULL ? " (smtpout_auth_file has no line for it)" : "";
	smtpout_text(text, sizeof(text), "authentication required by host "
	    "%s[%s]%s: %d%s%s %s", s->host.name, s->ip, why, s->acc.code,
	    dsn[0] ? " " : "", dsn, reply);
	log_warnx("%s: %s", s->so->child.title, text);
	smtpout_sess_where(s, &w);
	smtpout_job_all(s->job, IPC_OUT_DEFERRED, 451, "4.7.0", text, "", &w);
}

/* The job on s is over; keep s for reuse, or say goodbye. */
static int
smtpout_sess_after(struct smtpout_sess *s)
{
	const struct conf *c = s->so->conf;

	if (s->job != NULL)
		smtpout_job_end(s->job);
	if (s->verdict == SMTPOUT_V_PASSED && c->smtpout_reuse_time > 0 &&
	    s->nmsgs < c->smtpout_reuse_limit && !s->noreuse) {
		if (smtpout_sess_cmd(s, "RSET") == -1)
			return -1;
		s->state = SMTPOUT_S_RSET;
	} else {
		if (smtpout_sess_cmd(s, "QUIT") == -1)
			return -1;
		s->state = SMTPOUT_S_QUIT;
	}
	smtpout_sess_arm(s, c->smtpout_command_timeout);
	return 0;
}

/*
 * THE GATE (doc/design.md §1.1: no downgrade path exists in code): the
 * only function that writes MAIL FROM. It opens only when the check of
 * the finished session against this host's requirement passed (or the
 * requirement is cleartext-ok and the cleartext branch set the verdict),
 * or failed under a plan that says audit-only (verdict AUDIT, doc/design.md
 * §8), for exactly the requirement the host has now; and only inside TLS
 * unless that requirement is IPC_REQ_CLEARTEXT_OK or the verdict is
 * AUDIT under a plan that also says cleartext-ok. Anything else is a
 * bug: fatalx, never a message sent. tests/lint/mailgate proves that no
 * other code writes the command. Returns 0, or -1 (s is gone).
 */
static int
smtpout_gate_mail(struct smtpout_sess *s)
{
	struct smtpout_proto_mail m;
	struct smtpout_job *job = s->job;
	char params[512];

	if (job == NULL || s->verdict_req != s->host.requirement ||
	    (s->verdict != SMTPOUT_V_PASSED &&
	    !(s->verdict == SMTPOUT_V_AUDIT && s->host.audit_only)))
		fatalx("%s: gate: MAIL without a passed check for %s[%s]",
		    s->so->child.title, s->host.name, s->ip);
	if (!s->tls_active && s->host.requirement != IPC_REQ_CLEARTEXT_OK &&
	    !(s->verdict == SMTPOUT_V_AUDIT && s->host.audit_only &&
	    s->host.audit_cleartext))
		fatalx("%s: gate: MAIL outside TLS to %s[%s] under requirement "
		    "%d", s->so->child.title, s->host.name, s->ip,
		    s->host.requirement);
	memset(&m, 0, sizeof(m));
	m.size = job->j.size;
	m.body8 = job->j.body == ENVELOPE_BODY_8BITMIME;
	m.smtputf8 = job->j.smtputf8;
	m.requiretls = job->j.requiretls;
	m.ret = job->j.ret;
	m.envid = job->j.envid;
	if (smtpout_proto_mail_params(params, sizeof(params), &m,
	    s->ehlo.ext) == -1)
		fatalx("%s: MAIL parameters too long", s->so->child.title);
	return smtpout_sess_cmd(s, "MAIL FROM:<%s>%s", job->j.from, params);
}

/* Queues RCPT number i (0-based). Returns 0 or -1 (s is gone). */
static int
smtpout_send_rcpt(struct smtpout_sess *s, uint32_t i)
{
	struct smtpout_rcpt *rc = &s->job->rcpt[i];
	char line[SMTP_PROTO_LINE_MAX_EXT + 8];
	int n;

	n = smtpout_proto_rcpt(line, sizeof(line), rc->r.addr, rc->r.notify,
	    rc->r.orcpt, s->ehlo.ext);
	if (n < 0) {
		/*
		 * ORCPT is the sender's data (up to 500 octets, UTF-8 under
		 * SMTPUTF8, three times longer as xtext): when it does not
		 * fit the line, it is left out rather than the message
		 * (RFC 3461 §4.2 makes it optional).
		 */
		log_warnx("%s: %s: ORCPT of %s too long to pass on; left out",
		    s->so->child.title, s->job->j.id, rc->r.addr);
		n = smtpout_proto_rcpt(line, sizeof(line), rc->r.addr,
		    rc->r.notify, NULL, s->ehlo.ext);
	}
	if (n < 0)	/* an address and NOTIFY always fit: a bug */
		fatalx("%s: RCPT too long", s->so->child.title);
	line[n - 2] = '\0';		/* smtpout_sess_cmd adds the CRLF */
	return smtpout_sess_cmd(s, "%s", line);
}

/*
 * Session checked, EHLO (and AUTH) done: what the job needs of the peer,
 * then the gate, then the recipients. Returns 0 or -1 (s is gone).
 */
int
smtpout_sess_ready(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	struct smtpout_where w;
	uint32_t i;

	if (job == NULL)
		return smtpout_sess_after(s);
	smtpout_sess_where(s, &w);
	/* before TLS the EHLO reply proves nothing (a MITM writes it) */
	if (job->j.requiretls && (!s->tls_active ||
	    !(s->ehlo.ext & SMTPOUT_PROTO_REQUIRETLS)))
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REQUIRETLS,
		    s->tls_active ? "REQUIRETLS not offered" :
		    "REQUIRETLS needs TLS");
	if ((s->ehlo.ext & SMTPOUT_PROTO_SIZE) && s->ehlo.size > 0 &&
	    job->j.size > s->ehlo.size) {
		char text[400];

		smtpout_text(text, sizeof(text), "message size %llu exceeds "
		    "size limit %llu of host %s", (unsigned long long)
		    job->j.size, (unsigned long long)s->ehlo.size,
		    s->host.name);
		smtpout_job_all(job, IPC_OUT_BOUNCED, 552, "5.3.4", text, "",
		    &w);
		return smtpout_sess_after(s);
	}
	if (job->j.smtputf8 && !(s->ehlo.ext & SMTPOUT_PROTO_SMTPUTF8)) {
		char text[400];

		smtpout_text(text, sizeof(text), "SMTPUTF8 is required, "
		    "but was not offered by host %s", s->host.name);
		smtpout_job_all(job, IPC_OUT_BOUNCED, 553, "5.6.7", text, "",
		    &w);
		return smtpout_sess_after(s);
	}
	s->state = SMTPOUT_S_TXN;
	s->txn_sent = s->txn_answered = 0;
	s->mail_failed = 0;
	s->naccepted = 0;
	s->nmsgs++;
	if (smtpout_gate_mail(s) == -1)
		return -1;
	s->txn_sent = 1;
	if (s->ehlo.ext & SMTPOUT_PROTO_PIPELINING) {
		for (i = 0; i < job->nrcpt; i++)
			if (smtpout_send_rcpt(s, i) == -1)
				return -1;
		s->txn_sent += job->nrcpt;
	}
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return 0;
}

/* The transaction's replies, in the order of MAIL and the RCPTs. */
int
smtpout_sess_txn(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	uint32_t i, k = s->txn_answered++;
	int out = smtpout_outcome(s->acc.code);

	if (k == 0) {
		if (out != IPC_OUT_SENT) {
			s->mail_failed = 1;
			if (s->acc.code == 530)
				smtpout_sess_authreq(s);
			else
				for (i = 0; i < job->nrcpt; i++)
					smtpout_rcpt_reply(s, &job->rcpt[i],
					    out);
		}
	} else if (!s->mail_failed && k - 1 < job->nrcpt) {
		if (out == IPC_OUT_SENT) {
			job->rcpt[k - 1].accepted = 1;
			s->naccepted++;
		} else
			smtpout_rcpt_reply(s, &job->rcpt[k - 1], out);
	}
	if (!s->mail_failed && s->txn_sent < job->nrcpt + 1 &&
	    s->txn_answered == s->txn_sent) {
		if (smtpout_send_rcpt(s, s->txn_sent - 1) == -1)
			return -1;
		s->txn_sent++;
	}
	if (s->txn_answered < s->txn_sent) {
		/*
		 * RFC 5321 §4.5.3.2: the timeout is per command; with
		 * PIPELINING each reply that arrives starts the wait for the
		 * next one anew.
		 */
		smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
		return 0;
	}
	if (!s->mail_failed && s->txn_sent < job->nrcpt + 1)
		return 0;
	if (s->mail_failed || s->naccepted == 0)
		return smtpout_sess_after(s);
	if (smtpout_sess_cmd(s, "DATA") == -1)
		return -1;
	s->state = SMTPOUT_S_DATA;
	smtpout_sess_arm(s, s->so->conf->smtpout_data_timeout);
	return 0;
}

/* The reply to DATA: 354 starts the content, anything else ends the job. */
int
smtpout_sess_data(struct smtpout_sess *s)
{
	int out;
	uint32_t i;

	if (s->acc.code != 354) {
		out = smtpout_outcome(s->acc.code);
		if (out == IPC_OUT_SENT)
			out = IPC_OUT_DEFERRED;
		for (i = 0; i < s->job->nrcpt; i++)
			if (s->job->rcpt[i].accepted)
				smtpout_rcpt_reply(s, &s->job->rcpt[i], out);
		return smtpout_sess_after(s);
	}
	s->state = SMTPOUT_S_BODY;
	s->off = 0;
	s->end_queued = 0;
	smtp_client_dot_init(&s->dot);
	smtpout_sess_arm(s, s->so->conf->smtpout_data_timeout);
	return 0;
}

/* The final reply to the content: for every accepted recipient. */
int
smtpout_sess_final(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	int out = smtpout_outcome(s->acc.code), mid = !s->end_queued ||
	    s->state == SMTPOUT_S_BODY;
	uint32_t i;

	if (mid) {
		/*
		 * A reply in the middle of the content: out of step. The
		 * server never had the whole message, so a 2xx is no
		 * delivery: a 5xx stays the server's refusal, anything else
		 * defers (4.4.2) with what it said.
		 */
		struct smtpout_where w;
		char dsn[16], text[512], why[600];

		smtpout_reply_text(&s->acc, dsn, text, sizeof(text));
		smtpout_text(why, sizeof(why), "reply before the end of the "
		    "message from %s: %d %s", s->host.name, s->acc.code,
		    text);
		smtpout_sess_where(s, &w);
		for (i = 0; i < job->nrcpt; i++)
			if (job->rcpt[i].accepted)
				smtpout_job_rcpt(job, &job->rcpt[i],
				    out == IPC_OUT_BOUNCED ? IPC_OUT_BOUNCED :
				    IPC_OUT_DEFERRED, out == IPC_OUT_BOUNCED ?
				    s->acc.code : 451, out == IPC_OUT_BOUNCED ?
				    dsn : "4.4.2", why, "", &w);
		smtpout_job_end(job);
		smtpout_sess_free(s);
		return -1;
	}
	for (i = 0; i < job->nrcpt; i++)
		if (job->rcpt[i].accepted)
			smtpout_rcpt_reply(s, &job->rcpt[i], out);
	/*
	 * The downgrade memory learns what this domain proved: DANE, or
	 * MTA-STS under the domain's own policy; a session the memory
	 * itself demanded proves nothing new (it would never age out).
	 */
	if (out == IPC_OUT_SENT && s->host.own_mx && s->tls_active)
		smtpout_plan_met(s->so, job->j.domain,
		    /* audit-only: a failed check proved encryption only */
		    s->verdict != SMTPOUT_V_PASSED ? IPC_REQ_ENCRYPT :
		    (s->verdict_req == IPC_REQ_DANE ||
		    s->verdict_req == IPC_REQ_DANE_ONLY) && s->host.mx_ad ?
		    IPC_REQ_DANE :
		    s->verdict_req == IPC_REQ_MTA_STS &&
		    strcmp(s->host.policy_src, "mta-sts") == 0 ?
		    IPC_REQ_MTA_STS : IPC_REQ_ENCRYPT);
	return smtpout_sess_after(s);
}
