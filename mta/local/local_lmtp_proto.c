/*
 * local_lmtp_proto.c: the pure client half of LMTP (RFC 2033; see
 * local_lmtp_proto.h): LHLO capabilities, the transaction machine with
 * PIPELINING (RFC 2920) and one reply per accepted recipient after the
 * dot (RFC 2033 §4.2), per-recipient results (RFC 3463), dot-stuffing
 * (RFC 5321 §4.5.2). No I/O (doc/design.md §1.5).
 * Linked by local and its unit tests.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "local_lmtp_proto.h"
#include "smtp/smtp_client.h"

/* Per recipient, in the caller's accepted[] (scratch). */
enum local_lmtp_rc {
	LOCAL_LMTP_RC_NONE = 0,		/* not sent yet */
	LOCAL_LMTP_RC_SENT,		/* RCPT written, no reply yet */
	LOCAL_LMTP_RC_OK,		/* RCPT accepted: a reply after dot */
	LOCAL_LMTP_RC_NO,		/* refused, skipped, or MAIL failed */
};

/* ---- capabilities ---- */

struct local_lmtp_kw {
	const char	*name;
	unsigned	 bit;
};

static const struct local_lmtp_kw local_lmtp_kws[] = {
	{ "STARTTLS", LOCAL_LMTP_STARTTLS },
	{ "PIPELINING", LOCAL_LMTP_PIPELINING },
	{ "SIZE", LOCAL_LMTP_SIZE },
	{ "8BITMIME", LOCAL_LMTP_8BITMIME },
	{ "SMTPUTF8", LOCAL_LMTP_SMTPUTF8 },
	{ "ENHANCEDSTATUSCODES", LOCAL_LMTP_ENHANCED },
};

int
local_lmtp_lhlo_parse(const struct smtp_proto_reply_acc *acc,
    struct local_lmtp_caps *out)
{
	const char *t;
	size_t i, k, len, kwlen, plen;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (!acc->done || acc->code != 250)
		return -1;
	for (i = 1; i < acc->nlines; i++) {
		t = acc->text + acc->off[i];
		len = acc->len[i];
		for (kwlen = 0; kwlen < len && t[kwlen] != ' '; kwlen++)
			;
		for (k = 0; k < sizeof(local_lmtp_kws) /
		    sizeof(local_lmtp_kws[0]); k++) {
			if (!smtp_client_word(t, kwlen, local_lmtp_kws[k].name))
				continue;
			if (local_lmtp_kws[k].bit == LOCAL_LMTP_SIZE) {
				/* "SIZE" alone: offered, no limit */
				plen = kwlen < len ? len - kwlen - 1 : 0;
				if (plen == 0)
					out->ext |= LOCAL_LMTP_SIZE;
				else if (smtp_client_number(t + kwlen + 1, plen,
				    &v) == 0) {
					out->ext |= LOCAL_LMTP_SIZE;
					out->size = v;
				}
			} else
				out->ext |= local_lmtp_kws[k].bit;
			break;
		}
	}
	return 0;
}

/* ---- results ---- */

/*
 * The reply in acc as why: its code, the enhanced status of its first
 * line (else "C.0.0" from the code's class), its lines joined by SP with
 * their status codes left out and anything unprintable replaced, and
 * what it answered.
 */
static void
local_lmtp_reply_reason(const struct smtp_proto_reply_acc *acc,
    const char *what, struct reason *why)
{
	char dsn[16], d[16], text[REASON_TEXT_MAX];
	const char *t;
	size_t i, j, n = 0, len, skip, room;

	dsn[0] = '\0';
	/* leave room for " (in reply to WHAT)" */
	room = sizeof(text) - strlen(what) - 16;
	for (i = 0; i < acc->nlines; i++) {
		t = acc->text + acc->off[i];
		len = acc->len[i];
		if (smtp_proto_reply_dsn(t, len, acc->code, d, &skip)) {
			if (i == 0)
				memcpy(dsn, d, sizeof(dsn));
			t += skip;
			len -= skip;
		}
		if (i > 0 && n + 1 < room)
			text[n++] = ' ';
		for (j = 0; j < len && n + 1 < room; j++)
			text[n++] = t[j] >= 0x20 && t[j] < 0x7f ? t[j] : '?';
	}
	text[n] = '\0';
	if (dsn[0] == '\0')
		(void)snprintf(dsn, sizeof(dsn), "%d.0.0", acc->code / 100);
	(void)reason_set(why, acc->code, dsn, "%s (in reply to %s)", text,
	    what);
}

/* Sets recipient i's result from why: 2xx sent, 5xx bounced, else
 * deferred. */
static void
local_lmtp_set(struct local_lmtp *l, size_t i, const struct reason *why)
{
	struct local_lmtp_result *r = &l->res[i];

	r->why = *why;
	if (why->code >= 200 && why->code < 300)
		r->status = LOCAL_LMTP_SENT;
	else if (why->code >= 500 && why->code < 600)
		r->status = LOCAL_LMTP_BOUNCED;
	else
		r->status = LOCAL_LMTP_DEFERRED;
}

/* Every recipient still open gets why; the conversation is over. */
static void
local_lmtp_all(struct local_lmtp *l, const struct reason *why)
{
	size_t i;

	for (i = 0; i < l->msg->nrcpt; i++)
		if (l->res[i].status == LOCAL_LMTP_OPEN)
			local_lmtp_set(l, i, why);
	l->closing = 1;
	l->state = LOCAL_LMTP_S_DONE;
}

/* Ends early with a 451 4.4.2 deferral for what is open. */
static int
local_lmtp_fail(struct local_lmtp *l, const char *err, const char *dsn)
{
	struct reason why;

	l->protoerr = err;
	(void)reason_set(&why, 451, dsn, "conversation with the LMTP server "
	    "failed: %s", err);
	local_lmtp_all(l, &why);
	return -1;
}

/* ---- the machine ---- */

/* Can s stand inside a command line (and <...>)? */
static int
local_lmtp_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '<' ||
		    *s == '>')
			return 0;
	return 1;
}

int
local_lmtp_init(struct local_lmtp *l, const struct local_lmtp_msg *msg,
    struct local_lmtp_result *res, unsigned char *accepted,
    struct reason *why)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	l->state = LOCAL_LMTP_S_DONE;
	if (msg->nrcpt == 0 || msg->nrcpt > LOCAL_LMTP_RCPT_MAX)
		return reason_set(why, 451, "4.3.0", "LMTP: %zu recipients",
		    msg->nrcpt);
	if (msg->lhlo == NULL || msg->lhlo[0] == '\0' ||
	    strlen(msg->lhlo) > SMTP_PROTO_DOMAIN_MAX ||
	    !local_lmtp_clean(msg->lhlo) || strchr(msg->lhlo, ' ') != NULL)
		return reason_set(why, 451, "4.3.0",
		    "LMTP: unusable host name for LHLO");
	/* room for MAIL FROM:<> and its parameters (at most 64 octets) */
	if (msg->from == NULL || strlen(msg->from) > LOCAL_LMTP_CMD_MAX - 100 ||
	    !local_lmtp_clean(msg->from))
		return reason_set(why, 550, "5.1.7",
		    "LMTP: unusable sender address");
	l->msg = msg;
	l->res = res;
	l->accepted = accepted;
	for (i = 0; i < msg->nrcpt; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		accepted[i] = LOCAL_LMTP_RC_NONE;
	}
	smtp_proto_reply_acc_init(&l->acc);
	l->state = LOCAL_LMTP_S_GREETING;
	return 0;
}

/* The length of a command snprintf wrote into out; -1 if it did not fit. */
static int
local_lmtp_fit(int n, size_t size, size_t *outlen)
{
	if (n < 0 || (size_t)n >= size)
		return -1;
	*outlen = (size_t)n;
	return 0;
}

/* The QUIT at the end, or A_DONE when the connection is to be dropped. */
static enum local_lmtp_act
local_lmtp_quit(struct local_lmtp *l, char *out, size_t size,
    size_t *outlen)
{
	if (l->closing || size < 7) {
		l->state = LOCAL_LMTP_S_DONE;
		return LOCAL_LMTP_A_DONE;
	}
	memcpy(out, "QUIT\r\n", 6);
	*outlen = 6;
	l->state = LOCAL_LMTP_S_QUIT;
	l->sent = 1;
	return LOCAL_LMTP_A_SEND;
}

/* The next RCPT, skipping (and bouncing) addresses that cannot be sent. */
static int
local_lmtp_next_rcpt(struct local_lmtp *l, char *out, size_t size,
    size_t *outlen)
{
	const char *a;
	struct reason why;

	while (l->rsend < l->msg->nrcpt) {
		a = l->msg->rcpt[l->rsend];
		if (a != NULL && a[0] != '\0' && local_lmtp_clean(a) &&
		    local_lmtp_fit(snprintf(out, size, "RCPT TO:<%s>\r\n", a),
		    size, outlen) == 0) {
			l->accepted[l->rsend++] = LOCAL_LMTP_RC_SENT;
			l->nrs++;
			return 0;
		}
		(void)reason_set(&why, 550, "5.1.3",
		    "bad recipient address syntax for LMTP");
		local_lmtp_set(l, l->rsend, &why);
		l->accepted[l->rsend++] = LOCAL_LMTP_RC_NO;
	}
	return -1;
}

/*
 * THE GATE of LMTP (doc/design.md §1.1, as smtpout_gate_mail is
 * smtpout's): the one function that writes MAIL, with the parameters the
 * server offered, and never before TLS when the message's hop requires
 * it (TCP to anything but loopback). Returns 0, or -1 when it may not
 * or cannot write it.
 */
static int
local_lmtp_gate_mail(struct local_lmtp *l, char *out, size_t size,
    size_t *outlen)
{
	const struct local_lmtp_msg *m = l->msg;
	char sz[32], params[64];
	int n;

	if (m->starttls && !l->tls)
		return -1;
	sz[0] = '\0';
	if (l->caps.ext & LOCAL_LMTP_SIZE) {
		n = snprintf(sz, sizeof(sz), " SIZE=%llu",
		    (unsigned long long)m->size);
		if (n < 0 || (size_t)n >= sizeof(sz))
			return -1;
	}
	n = snprintf(params, sizeof(params), "%s%s%s", sz,
	    (m->body8 && (l->caps.ext & LOCAL_LMTP_8BITMIME)) ?
	    " BODY=8BITMIME" : "",
	    (m->smtputf8 && (l->caps.ext & LOCAL_LMTP_SMTPUTF8)) ?
	    " SMTPUTF8" : "");
	if (n < 0 || (size_t)n >= sizeof(params))
		return -1;
	return local_lmtp_fit(snprintf(out, size, "MAIL FROM:<%s>%s\r\n",
	    m->from, params), size, outlen);
}

/* The transaction: MAIL, RCPT..., DATA, pipelined when offered. */
static enum local_lmtp_act
local_lmtp_next_txn(struct local_lmtp *l, char *out, size_t size,
    size_t *outlen)
{
	int pipe = (l->caps.ext & LOCAL_LMTP_PIPELINING) != 0;
	struct reason why;

	if (!l->mail_sent) {
		if (local_lmtp_gate_mail(l, out, size, outlen) == -1) {
			(void)reason_set(&why, 451, l->msg->starttls &&
			    !l->tls ? "4.7.0" : "4.3.0", "LMTP: MAIL may not "
			    "be written (no TLS where it is required, or too "
			    "long)");
			local_lmtp_all(l, &why);
			return LOCAL_LMTP_A_DONE;
		}
		l->mail_sent = 1;
		l->inflight++;
		return LOCAL_LMTP_A_SEND;
	}
	if (l->inflight > 0 && (!pipe || l->inflight >= LOCAL_LMTP_WINDOW ||
	    l->mail_failed || l->data_sent))
		return LOCAL_LMTP_A_READ;
	if (l->mail_failed)
		return local_lmtp_quit(l, out, size, outlen);
	if (l->rsend < l->msg->nrcpt &&
	    local_lmtp_next_rcpt(l, out, size, outlen) == 0) {
		l->inflight++;
		return LOCAL_LMTP_A_SEND;
	}
	/* every RCPT is written */
	if (!l->data_sent && ((pipe && l->nra < l->nrs) ||
	    l->naccepted > 0)) {
		if (size < 7)
			return local_lmtp_quit(l, out, size, outlen);
		memcpy(out, "DATA\r\n", 6);
		*outlen = 6;
		l->data_sent = 1;
		l->inflight++;
		return LOCAL_LMTP_A_SEND;
	}
	if (l->inflight > 0)
		return LOCAL_LMTP_A_READ;
	/* no recipient accepted and DATA not sent, or DATA refused */
	return local_lmtp_quit(l, out, size, outlen);
}

enum local_lmtp_act
local_lmtp_next(struct local_lmtp *l, char *out, size_t size,
    size_t *outlen)
{
	struct reason why;

	*outlen = 0;
	if (l->state != LOCAL_LMTP_S_DONE && size < LOCAL_LMTP_CMD_MAX) {
		(void)reason_set(&why, 451, "4.3.0",
		    "LMTP: command buffer too small");
		local_lmtp_all(l, &why);
	}
	switch (l->state) {
	case LOCAL_LMTP_S_GREETING:
		return LOCAL_LMTP_A_READ;
	case LOCAL_LMTP_S_LHLO:
		if (l->sent)
			return LOCAL_LMTP_A_READ;
		/* init checked that the name fits */
		if (local_lmtp_fit(snprintf(out, size, "LHLO %s\r\n",
		    l->msg->lhlo), size, outlen) == -1) {
			(void)reason_set(&why, 451, "4.3.0",
			    "LMTP: LHLO does not fit");
			local_lmtp_all(l, &why);
			return LOCAL_LMTP_A_DONE;
		}
		l->sent = 1;
		return LOCAL_LMTP_A_SEND;
	case LOCAL_LMTP_S_STARTTLS:
		if (l->sent)
			return LOCAL_LMTP_A_READ;
		memcpy(out, "STARTTLS\r\n", 10);
		*outlen = 10;
		l->sent = 1;
		return LOCAL_LMTP_A_SEND;
	case LOCAL_LMTP_S_TLS:
		return LOCAL_LMTP_A_TLS;
	case LOCAL_LMTP_S_TXN:
		return local_lmtp_next_txn(l, out, size, outlen);
	case LOCAL_LMTP_S_BODY:
		if (!l->sent) {
			l->sent = 1;
			return LOCAL_LMTP_A_BODY;
		}
		/* the caller wrote the content and its end */
		l->state = LOCAL_LMTP_S_DOT;
		return LOCAL_LMTP_A_READ;
	case LOCAL_LMTP_S_DOT:
		if (l->ndot < l->naccepted)
			return LOCAL_LMTP_A_READ;
		return local_lmtp_quit(l, out, size, outlen);
	case LOCAL_LMTP_S_QUIT:
		return LOCAL_LMTP_A_READ;
	case LOCAL_LMTP_S_DONE:
		break;
	}
	return LOCAL_LMTP_A_DONE;
}

/* A reply to the greeting, LHLO or STARTTLS that is not the one wanted. */
static void
local_lmtp_refused(struct local_lmtp *l, const char *what, const char *dsn)
{
	struct reason r, why;

	local_lmtp_reply_reason(&l->acc, what, &r);
	(void)reason_set(&why, 451, dsn, "the LMTP server said: %d %s %s",
	    r.code, r.dsn, r.text);
	local_lmtp_all(l, &why);
}

/* One complete reply before the transaction. */
static void
local_lmtp_reply_pre(struct local_lmtp *l)
{
	struct reason why;
	int code = l->acc.code;

	switch (l->state) {
	case LOCAL_LMTP_S_GREETING:
		if (code != 220) {
			local_lmtp_refused(l, "the greeting", "4.4.2");
			return;
		}
		l->state = LOCAL_LMTP_S_LHLO;
		l->sent = 0;
		return;
	case LOCAL_LMTP_S_LHLO:
		if (local_lmtp_lhlo_parse(&l->acc, &l->caps) == -1) {
			local_lmtp_refused(l, "LHLO", "4.4.2");
			return;
		}
		if (!l->tls && !l->lhlo_done)
			l->offered_tls = (l->caps.ext & LOCAL_LMTP_STARTTLS) !=
			    0;
		l->lhlo_done = 1;
		l->sent = 0;
		if (l->msg->starttls && !l->tls) {
			if (!(l->caps.ext & LOCAL_LMTP_STARTTLS)) {
				(void)reason_set(&why, 451, "4.7.0",
				    "TLS is required, but was not offered by "
				    "the LMTP server");
				local_lmtp_all(l, &why);
				return;
			}
			l->state = LOCAL_LMTP_S_STARTTLS;
			return;
		}
		l->state = LOCAL_LMTP_S_TXN;
		return;
	case LOCAL_LMTP_S_STARTTLS:
		if (code != 220) {
			local_lmtp_refused(l, "STARTTLS", "4.7.0");
			return;
		}
		l->state = LOCAL_LMTP_S_TLS;
		return;
	default:
		return;
	}
}

/* One complete reply inside the transaction (before the content). */
static int
local_lmtp_reply_txn(struct local_lmtp *l)
{
	struct reason why;
	int code = l->acc.code;
	size_t i;

	l->inflight--;
	if (!l->mail_answered) {
		l->mail_answered = 1;
		if (code >= 200 && code < 300)
			return 0;
		l->mail_failed = 1;
		local_lmtp_reply_reason(&l->acc, "MAIL", &why);
		if (why.code < 400) {
			why.code = 451;
			(void)strlcpy(why.dsn, "4.4.2", sizeof(why.dsn));
		}
		/* RCPTs in flight keep RC_SENT: their replies still come */
		for (i = 0; i < l->msg->nrcpt; i++)
			if (l->res[i].status == LOCAL_LMTP_OPEN)
				local_lmtp_set(l, i, &why);
		return 0;
	}
	if (l->nra < l->nrs) {
		while (l->accepted[l->rans] != LOCAL_LMTP_RC_SENT)
			l->rans++;
		i = l->rans++;
		l->nra++;
		if (l->mail_failed) {
			/* the recipient has MAIL's result */
			l->accepted[i] = LOCAL_LMTP_RC_NO;
			return 0;
		}
		if (code >= 200 && code < 300) {
			l->accepted[i] = LOCAL_LMTP_RC_OK;
			l->naccepted++;
			return 0;
		}
		local_lmtp_reply_reason(&l->acc, "RCPT TO", &why);
		if (why.code < 400) {
			why.code = 451;
			(void)strlcpy(why.dsn, "4.4.2", sizeof(why.dsn));
		}
		local_lmtp_set(l, i, &why);
		l->accepted[i] = LOCAL_LMTP_RC_NO;
		return 0;
	}
	/* the reply to DATA */
	if (code == 354) {
		if (l->mail_failed || l->naccepted == 0) {
			/*
			 * RFC 2033 §4.2: DATA MUST fail without a successful
			 * RCPT. The server would now read a message no reply
			 * can be counted for: drop the connection (every
			 * result is final already).
			 */
			return local_lmtp_fail(l, "354 to DATA without an "
			    "accepted recipient", "4.4.2");
		}
		l->state = LOCAL_LMTP_S_BODY;
		l->sent = 0;
		return 0;
	}
	local_lmtp_reply_reason(&l->acc, "DATA", &why);
	if (why.code < 400) {
		why.code = 451;
		(void)strlcpy(why.dsn, "4.4.2", sizeof(why.dsn));
	}
	for (i = 0; i < l->msg->nrcpt; i++)
		if (l->accepted[i] == LOCAL_LMTP_RC_OK) {
			local_lmtp_set(l, i, &why);
			l->accepted[i] = LOCAL_LMTP_RC_NO;
		}
	l->naccepted = 0;
	return 0;
}

/* One reply after the dot: for the next accepted recipient in order. */
static void
local_lmtp_reply_dot(struct local_lmtp *l)
{
	struct reason why;

	while (l->dotnext < l->msg->nrcpt &&
	    l->accepted[l->dotnext] != LOCAL_LMTP_RC_OK)
		l->dotnext++;
	if (l->dotnext >= l->msg->nrcpt)
		return;		/* cannot be: input counts what is due */
	local_lmtp_reply_reason(&l->acc, "end of data", &why);
	if (why.code < 200 || (why.code >= 300 && why.code < 400)) {
		why.code = 451;
		(void)strlcpy(why.dsn, "4.4.2", sizeof(why.dsn));
	}
	local_lmtp_set(l, l->dotnext++, &why);
	l->ndot++;
}

/* A reply during the content: out of step (smtpout does the same). */
static void
local_lmtp_reply_body(struct local_lmtp *l)
{
	struct reason r, why;

	local_lmtp_reply_reason(&l->acc, "the message content", &r);
	if (r.code >= 500)
		why = r;
	else
		(void)reason_set(&why, 451, "4.4.2", "reply before the end of "
		    "the message from the LMTP server: %d %s %s", r.code,
		    r.dsn, r.text);
	l->protoerr = "reply before the end of the message";
	local_lmtp_all(l, &why);
}

/* How many replies the server owes us now. */
static size_t
local_lmtp_due(const struct local_lmtp *l)
{
	switch (l->state) {
	case LOCAL_LMTP_S_GREETING:
	case LOCAL_LMTP_S_BODY:
		return 1;
	case LOCAL_LMTP_S_LHLO:
	case LOCAL_LMTP_S_STARTTLS:
	case LOCAL_LMTP_S_QUIT:
		return l->sent ? 1 : 0;
	case LOCAL_LMTP_S_TXN:
		return l->inflight;
	case LOCAL_LMTP_S_DOT:
		return l->naccepted - l->ndot;
	default:
		return 0;
	}
}

/* A complete reply in l->acc. Returns 0, or -1 when it ended things. */
static int
local_lmtp_reply(struct local_lmtp *l)
{
	struct reason why;

	if (l->acc.code == 421 && l->state != LOCAL_LMTP_S_QUIT) {
		/* the server is closing the channel (RFC 5321 §3.8) */
		local_lmtp_reply_reason(&l->acc, "a command", &why);
		local_lmtp_all(l, &why);
		return -1;
	}
	switch (l->state) {
	case LOCAL_LMTP_S_GREETING:
	case LOCAL_LMTP_S_LHLO:
	case LOCAL_LMTP_S_STARTTLS:
		local_lmtp_reply_pre(l);
		break;
	case LOCAL_LMTP_S_TXN:
		if (local_lmtp_reply_txn(l) == -1)
			return -1;
		break;
	case LOCAL_LMTP_S_BODY:
		local_lmtp_reply_body(l);
		return -1;
	case LOCAL_LMTP_S_DOT:
		local_lmtp_reply_dot(l);
		break;
	case LOCAL_LMTP_S_QUIT:
		if (l->acc.code != 221)
			l->protoerr = "QUIT not answered 221: a reply too "
			    "many after the dot?";
		l->state = LOCAL_LMTP_S_DONE;
		break;
	default:
		break;
	}
	return l->state == LOCAL_LMTP_S_DONE && l->closing ? -1 : 0;
}

int
local_lmtp_input(struct local_lmtp *l, const char *buf, size_t len)
{
	enum smtp_proto_acc_status st;
	size_t i = 0, n;

	if (l->state == LOCAL_LMTP_S_DONE) {
		if (l->protoerr == NULL)
			l->protoerr = "bytes after the end of the conversation";
		return -1;
	}
	while (i < len) {
		if (l->state == LOCAL_LMTP_S_TLS)
			/* RFC 3207 §5: nothing may follow the 220 in clear */
			return local_lmtp_fail(l, "bytes after the 220 to "
			    "STARTTLS (injection)", "4.7.5");
		if (local_lmtp_due(l) == 0)
			return local_lmtp_fail(l, "a reply when none was due "
			    "(a reply too many)", "4.4.2");
		for (n = i; n < len && buf[n] != '\n'; n++)
			;
		if (l->linelen + (n - i) > SMTP_PROTO_REPLY_LINE_MAX + 1)
			return local_lmtp_fail(l, "reply line too long",
			    "4.4.2");
		memcpy(l->line + l->linelen, buf + i, n - i);
		l->linelen += n - i;
		if (n == len)
			break;		/* the rest of the line comes later */
		i = n + 1;
		n = l->linelen;
		l->linelen = 0;
		if (n > 0 && l->line[n - 1] == '\r')
			n--;
		st = smtp_proto_reply_acc_feed(&l->acc, l->line, n);
		if (st == SMTP_PROTO_ACC_ERROR)
			return local_lmtp_fail(l, l->acc.error != NULL ?
			    l->acc.error : "malformed reply", "4.4.2");
		if (st == SMTP_PROTO_ACC_MORE)
			continue;
		if (local_lmtp_reply(l) == -1)
			return -1;
		smtp_proto_reply_acc_init(&l->acc);
		if (l->state == LOCAL_LMTP_S_DONE && i < len) {
			if (l->protoerr == NULL)
				l->protoerr = "bytes after the reply to QUIT";
			return -1;
		}
	}
	if (l->state == LOCAL_LMTP_S_TLS && l->linelen > 0)
		return local_lmtp_fail(l, "bytes after the 220 to STARTTLS "
		    "(injection)", "4.7.5");
	return 0;
}

void
local_lmtp_lost(struct local_lmtp *l, const char *what)
{
	struct reason why;

	if (l->state == LOCAL_LMTP_S_DONE)
		return;
	if (l->state == LOCAL_LMTP_S_QUIT) {
		/* every result is final; a QUIT not answered is harmless */
		l->state = LOCAL_LMTP_S_DONE;
		return;
	}
	(void)reason_set(&why, 451, "4.4.2", "lost connection with the LMTP "
	    "server while %s", what);
	local_lmtp_all(l, &why);
}

void
local_lmtp_abort(struct local_lmtp *l, const struct reason *why)
{
	if (l->state == LOCAL_LMTP_S_DONE)
		return;
	local_lmtp_all(l, why);
}

void
local_lmtp_tls_done(struct local_lmtp *l)
{
	if (l->state != LOCAL_LMTP_S_TLS)
		return;
	l->tls = 1;
	l->sent = 0;
	memset(&l->caps, 0, sizeof(l->caps));
	l->state = LOCAL_LMTP_S_LHLO;
}

int
local_lmtp_offered_starttls(const struct local_lmtp *l)
{
	return l->offered_tls;
}

const char *
local_lmtp_protoerr(const struct local_lmtp *l)
{
	return l->protoerr;
}
