/*
 * test_queue_dsn.c: unit tests for mta/queue/queue_dsn.c (doc/design.md
 * §12): whom a notification reports (RFC 3461 NOTIFY, null sender),
 * header fields of the original (unfolding, first occurrence, bounds,
 * malformed blocks), and the RFC 3464 report itself: headers, the three
 * parts, what is returned (RET, bounce_size_limit, malformed originals),
 * 8-bit and UTF-8, the boundary, folding, escaping of remote text, the
 * words for every RFC 8460 failure type, refused input and a failing
 * writer. Every report is checked for CRLF lines of at most 998 octets.
 * With SEALPOST_DSN_DUMP=dir set, the sample reports are also written
 * there as NAME.eml for tests/integration/dsn_format.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "smtp/envelope.h"
#include "queue/queue_dsn.h"

#define T_NOW		INT64_C(1798588800)	/* Wed, 30 Dec 2026 00:00:00 */
#define T_ARRIVAL	INT64_C(1798502400)	/* Tue, 29 Dec 2026 00:00:00 */
#define T_QID		"0000f00dcafe0123456789abc"

static const char t_orig[] =
    "Received: from client.example (client.example [192.0.2.1])\r\n"
    "\tby mx.sealpost.test with ESMTPS id " T_QID "\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "subject: Lunch\r\n"
    " on Friday\r\n"
    "Message-ID: <abc@example.org>\r\n"
    "Subject: second subject\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "Subject: not a header\r\n"
    "see you.\r\n";

static const char t_orig8[] =
    "Received: by mx.sealpost.test\r\n"
    "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\n"
    "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Sch\xc3\xb6ne Gr\xc3\xbc\xc3\x9f" "e\r\n";

/* ---- helpers ------------------------------------------------------------ */

/* Whether every line ends in CRLF, without bare CR or LF, <= 998 octets. */
static int
lines_ok(const char *p, size_t n)
{
	size_t i, col = 0;

	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (p[i] == '\n' || p[i] == '\0')
			return 0;
		if (++col > 998)
			return 0;
	}
	return 1;
}

/* Whether s occurs in the buffer. */
static int
has(const struct buf *b, const char *s)
{
	size_t k = strlen(s), i;

	for (i = 0; i + k <= b->len; i++)
		if (memcmp(b->data + i, s, k) == 0)
			return 1;
	return 0;
}

/* Counts the occurrences of s in the buffer. */
static int
count(const struct buf *b, const char *s)
{
	size_t k = strlen(s), i;
	int n = 0;

	for (i = 0; i + k <= b->len; i++)
		if (memcmp(b->data + i, s, k) == 0)
			n++;
	return n;
}

/* Whether any octet of the buffer up to the third part is over 0x7f. */
static int
eight_in(const struct buf *b, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to && i < b->len; i++)
		if ((unsigned char)b->data[i] > 0x7f)
			return 1;
	return 0;
}

static void
dump(const char *name, const struct buf *b)
{
	const char *dir = getenv("SEALPOST_DSN_DUMP");
	char path[1024];
	FILE *f;
	int n;

	if (dir == NULL || dir[0] == '\0')
		return;
	n = snprintf(path, sizeof(path), "%s/%s.eml", dir, name);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

static void
msg_init(struct queue_dsn_msg *m, struct queue_dsn_rcpt *r, size_t nr)
{
	memset(m, 0, sizeof(*m));
	m->kind = QUEUE_DSN_FAILURE;
	m->hostname = "mx.sealpost.test";
	m->dsn_id = "0000f00dcafe9999";
	m->token = "Zq7Rk2";
	m->now = T_NOW;
	m->queue_id = T_QID;
	m->arrival = T_ARRIVAL;
	m->sender = "alice@example.org";
	m->envid = "";
	m->ret = ENVELOPE_RET_NONE;
	m->bounce_size_limit = 50000;
	m->original = t_orig;
	m->original_len = sizeof(t_orig) - 1;
	m->original_size = sizeof(t_orig) - 1;
	m->rcpt = r;
	m->nrcpt = nr;
}

static void
rcpt_init(struct queue_dsn_rcpt *r)
{
	memset(r, 0, sizeof(*r));
	r->addr = "bob@example.net";
	r->orcpt = "";
	r->action = QUEUE_DSN_ACTION_FAILED;
	r->status = "5.1.1";
	r->mx = "mx1.example.net";
	r->code = 550;
	r->text = "User unknown";
	r->failure = "";
	r->last_attempt = T_NOW - 60;
}

/* Builds *m into b (max 1 MiB) and checks the lines; returns *out. */
static struct queue_dsn_out
build_ok(const struct queue_dsn_msg *m, struct buf *b)
{
	struct queue_dsn_out out;
	struct reason why;

	buf_init(b, 1 << 20);
	memset(&why, 0, sizeof(why));
	if (queue_dsn_build(m, queue_dsn_buf_write, b, &out, &why) != 0)
		fail_msg("queue_dsn_build: %s", why.text);
	assert_int_equal(out.len, b->len);
	assert_true(lines_ok(b->data, b->len));
	return out;
}

/* ---- queue_dsn_wanted --------------------------------------------------- */

static const struct {
	const char		*sender;
	unsigned		 notify;
	enum queue_dsn_kind	 kind;
	int			 warnings;
	int			 want;
} wanted_cases[] = {
	/* no NOTIFY: failures, and delays when warnings are on */
	{ "a@b", 0, QUEUE_DSN_FAILURE, 0, 1 },
	{ "a@b", 0, QUEUE_DSN_FAILURE, 1, 1 },
	{ "a@b", 0, QUEUE_DSN_DELAY, 1, 1 },
	{ "a@b", 0, QUEUE_DSN_DELAY, 0, 0 },
	/* NOTIFY=NEVER: nothing */
	{ "a@b", ENVELOPE_NOTIFY_NEVER, QUEUE_DSN_FAILURE, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_NEVER, QUEUE_DSN_DELAY, 1, 0 },
	/* NOTIFY=SUCCESS only: neither failure nor delay */
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS, QUEUE_DSN_FAILURE, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS, QUEUE_DSN_DELAY, 1, 0 },
	/* NOTIFY=FAILURE */
	{ "a@b", ENVELOPE_NOTIFY_FAILURE, QUEUE_DSN_FAILURE, 1, 1 },
	{ "a@b", ENVELOPE_NOTIFY_FAILURE, QUEUE_DSN_DELAY, 1, 0 },
	/* NOTIFY=DELAY */
	{ "a@b", ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_FAILURE, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_DELAY, 1, 1 },
	{ "a@b", ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_DELAY, 0, 0 },
	/* NOTIFY=SUCCESS,FAILURE,DELAY */
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_FAILURE, 1, 1 },
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_DELAY, 1, 1 },
	/* FAILURE,DELAY: both */
	{ "a@b", ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY,
	    QUEUE_DSN_DELAY, 1, 1 },
	/* NEVER with others (invalid, smtpin refuses it): still nothing */
	{ "a@b", ENVELOPE_NOTIFY_NEVER | ENVELOPE_NOTIFY_FAILURE,
	    QUEUE_DSN_FAILURE, 1, 0 },
	/* the null sender never gets one */
	{ "", 0, QUEUE_DSN_FAILURE, 1, 0 },
	{ "", ENVELOPE_NOTIFY_FAILURE, QUEUE_DSN_FAILURE, 1, 0 },
	{ "", ENVELOPE_NOTIFY_DELAY, QUEUE_DSN_DELAY, 1, 0 },
	{ NULL, 0, QUEUE_DSN_FAILURE, 1, 0 },
	/* a kind out of range */
	{ "a@b", 0, (enum queue_dsn_kind)0, 1, 0 },
	{ "a@b", 0, (enum queue_dsn_kind)77, 1, 0 },
	/* success (relayed): only when NOTIFY names SUCCESS */
	{ "a@b", 0, QUEUE_DSN_SUCCESS, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS, QUEUE_DSN_SUCCESS, 0, 1 },
	{ "a@b", ENVELOPE_NOTIFY_FAILURE, QUEUE_DSN_SUCCESS, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_DELAY,
	    QUEUE_DSN_SUCCESS, 0, 1 },
	{ "", ENVELOPE_NOTIFY_SUCCESS, QUEUE_DSN_SUCCESS, 1, 0 },
	{ "a@b", ENVELOPE_NOTIFY_NEVER, QUEUE_DSN_SUCCESS, 1, 0 },
};

static void
test_wanted(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wanted_cases) / sizeof(wanted_cases[0]); i++) {
		int got = queue_dsn_wanted(wanted_cases[i].sender,
		    wanted_cases[i].notify, wanted_cases[i].kind,
		    wanted_cases[i].warnings);

		if (got != wanted_cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got,
			    wanted_cases[i].want);
	}
}

/* ---- queue_dsn_header --------------------------------------------------- */

static const struct {
	const char	*msg;
	const char	*name;
	size_t		 size;
	int		 found;
	const char	*value;
} header_cases[] = {
	/* first occurrence, case-insensitive, unfolded */
	{ t_orig, "Subject", 200, 1, "Lunch on Friday" },
	{ t_orig, "SUBJECT", 200, 1, "Lunch on Friday" },
	{ t_orig, "message-id", 200, 1, "<abc@example.org>" },
	{ t_orig, "Received", 200, 1, "from client.example (client.example "
	    "[192.0.2.1])\tby mx.sealpost.test with ESMTPS id " T_QID },
	/* cut to the size given */
	{ t_orig, "Subject", 6, 1, "Lunch" },
	{ t_orig, "Subject", 1, 1, "" },
	/* not a prefix of another name, not in the body */
	{ t_orig, "Subj", 200, 0, "" },
	{ "Subjects: x\r\n\r\n", "Subject", 200, 0, "" },
	{ "A: b\r\n\r\nSubject: body\r\n", "Subject", 200, 0, "" },
	/* white space before the colon, around the value */
	{ "Subject :  hi there \t\r\n\r\n", "Subject", 200, 1, "hi there" },
	{ "Subject:\r\n\tfolded\r\n\r\n", "Subject", 200, 1, "folded" },
	{ "Subject:\r\n\r\n", "Subject", 200, 1, "" },
	/* no empty line: complete lines only */
	{ "Subject: complete\r\nX: y", "Subject", 200, 1, "complete" },
	{ "Subject: incomplete", "Subject", 200, 0, "" },
	{ "Subject: a\r\n continued", "Subject", 200, 1, "a" },
	/* a message without header, an empty one */
	{ "\r\nSubject: x\r\n", "Subject", 200, 0, "" },
	{ "", "Subject", 200, 0, "" },
	/* bare LF line ends are read as lines too */
	{ "Subject: lf\n\nbody\n", "Subject", 200, 1, "lf" },
	/* 8-bit octets kept as they are */
	{ "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\n", "Subject", 200, 1,
	    "Gr\xc3\xbc\xc3\x9f" "e" },
};

static void
test_header(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		int got;

		memset(out, 'X', sizeof(out));
		got = queue_dsn_header(header_cases[i].msg,
		    strlen(header_cases[i].msg), header_cases[i].name, out,
		    header_cases[i].size);
		if (got != header_cases[i].found ||
		    strcmp(out, header_cases[i].value) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i,
			    got, out, header_cases[i].found,
			    header_cases[i].value);
	}
	/* NULL message */
	assert_int_equal(queue_dsn_header(NULL, 0, "Subject", out, 10), 0);
	assert_string_equal(out, "");
}

/* ---- the report --------------------------------------------------------- */

static void
test_failure_basic(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct queue_dsn_out out;
	struct buf b;

	(void)state;
	rcpt_init(&r);
	msg_init(&m, &r, 1);
	m.envid = "ENV-42";
	r.orcpt = "rfc822;Bob@Example.NET";
	out = build_ok(&m, &b);
	assert_int_equal(out.returned, 1);
	assert_int_equal(out.eightbit, 0);
	assert_int_equal(out.smtputf8, 0);
	assert_false(eight_in(&b, 0, b.len));
	/* the header of the report */
	assert_true(strncmp(b.data, "From: \"Mail Delivery System\" "
	    "<MAILER-DAEMON@mx.sealpost.test>\r\n", 62) == 0);
	assert_true(has(&b, "\r\nTo: <alice@example.org>\r\n"));
	assert_true(has(&b, "\r\nSubject: Undelivered Mail Returned to "
	    "Sender\r\n"));
	assert_true(has(&b, "\r\nDate: Wed, 30 Dec 2026 00:00:00 +0000\r\n"));
	assert_true(has(&b, "\r\nMessage-ID: <0000f00dcafe9999.dsn@"
	    "mx.sealpost.test>\r\n"));
	assert_true(has(&b, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_true(has(&b, "\r\nMIME-Version: 1.0\r\n"));
	assert_true(has(&b, "\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"=_" T_QID
	    "/Zq7Rk2\"\r\n"));
	assert_true(has(&b, "Content-Transfer-Encoding: 7bit\r\n"));
	/* three parts and the close delimiter */
	assert_int_equal(count(&b, "\r\n--=_" T_QID "/Zq7Rk2\r\n"), 3);
	assert_int_equal(count(&b, "\r\n--=_" T_QID "/Zq7Rk2--\r\n"), 1);
	assert_true(b.len > 4 && memcmp(b.data + b.len - 4, "--\r\n", 4) == 0);
	/* part 1: words */
	assert_true(has(&b, "Content-Type: text/plain; charset=us-ascii\r\n"));
	assert_true(has(&b, "This is the mail system at host "
	    "mx.sealpost.test."));
	assert_true(has(&b, "<bob@example.net>:\r\n"));
	assert_true(has(&b, "mx1.example.net refused the message"));
	assert_true(has(&b, "Subject: Lunch on Friday\r\n"));
	assert_true(has(&b, "Message-ID: <abc@example.org>\r\n"));
	assert_true(has(&b, T_QID));
	/* part 2: the delivery status */
	assert_true(has(&b, "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; mx.sealpost.test\r\n"));
	assert_true(has(&b, "Original-Envelope-Id: ENV-42\r\n"));
	assert_true(has(&b, "Arrival-Date: Tue, 29 Dec 2026 00:00:00 "
	    "+0000\r\n"));
	assert_true(has(&b, "\r\n\r\nOriginal-Recipient: rfc822; "
	    "Bob@Example.NET\r\nFinal-Recipient: rfc822; bob@example.net\r\n"
	    "Action: failed\r\nStatus: 5.1.1\r\n"
	    "Remote-MTA: dns; mx1.example.net\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
	    "Last-Attempt-Date: Tue, 29 Dec 2026 23:59:00 +0000\r\n"));
	assert_false(has(&b, "Will-Retry-Until"));
	/* part 3: the whole original */
	assert_true(has(&b, "Content-Type: message/rfc822\r\n\r\n"
	    "Received: from client.example"));
	assert_true(has(&b, "Hello Bob,\r\nSubject: not a header\r\n"
	    "see you.\r\n\r\n--=_"));
	dump("failure_basic", &b);
	buf_free(&b);
}

static void	unwrap(const struct buf *, char *, size_t);

static void
test_failure_tls(void **state)
{
	static char flat[1 << 16];
	struct queue_dsn_rcpt r[2];
	struct queue_dsn_msg m;
	struct buf b;

	(void)state;
	rcpt_init(&r[0]);
	r[0].status = "4.7.5";
	r[0].code = 451;
	r[0].text = "certificate chain does not lead to a trusted root";
	r[0].failure = "certificate-not-trusted";
	rcpt_init(&r[1]);
	r[1].addr = "carol@example.net";
	r[1].status = "4.7.4";
	r[1].code = 451;
	r[1].text = "STARTTLS not offered";
	r[1].failure = "starttls-not-supported";
	r[1].mx = "mx2.example.net";
	msg_init(&m, r, 2);
	build_ok(&m, &b);
	unwrap(&b, flat, sizeof(flat));
	assert_non_null(strstr(flat, "Diagnostic-Code: smtp; 451 4.7.5 TLS "
	    "failure (certificate-not-trusted): certificate chain does not "
	    "lead to a trusted root Last-Attempt-Date: "));
	assert_non_null(strstr(flat, "Diagnostic-Code: smtp; 451 4.7.4 TLS "
	    "failure (starttls-not-supported): STARTTLS not offered "
	    "Last-Attempt-Date: "));
	assert_true(has(&b, "Status: 4.7.5\r\n"));
	assert_int_equal(count(&b, "Action: failed\r\n"), 2);
	/* the words, wrapped at 72 columns */
	assert_true(has(&b, "The mail system could not deliver your message"));
	assert_true(has(&b, "STARTTLS"));
	assert_true(has(&b, "mx2.example.net"));
	assert_true(has(&b, "never sends mail"));
	assert_true(has(&b, "trusts"));
	dump("failure_tls", &b);
	buf_free(&b);
}

/* Every RFC 8460 type has its own words; an unknown one the generic. */
static const struct {
	const char	*type;
	const char	*words;
} tls_words_cases[] = {
	{ "starttls-not-supported", "does not support encryption" },
	{ "certificate-host-mismatch", "not valid for the server's name" },
	{ "certificate-expired", "has expired" },
	{ "certificate-not-trusted", "authority this system trusts" },
	{ "validation-failure", "could not be verified" },
	{ "tlsa-invalid", "(TLSA) records published" },
	{ "dnssec-invalid", "DNSSEC signatures" },
	{ "dane-required", "requires DANE" },
	{ "sts-policy-fetch-error", "could not be fetched" },
	{ "sts-policy-invalid", "policy is invalid" },
	{ "sts-webpki-invalid", "web server that publishes" },
	{ "something-new", "could not be made as this system requires" },
};

/* Joins the wrapped lines of part 1 back into one line of words. */
static void
unwrap(const struct buf *b, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < b->len && o + 1 < size; i++) {
		if (b->data[i] == '\r')
			continue;
		if (b->data[i] == '\n') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			while (i + 1 < b->len && b->data[i + 1] == ' ')
				i++;
			continue;
		}
		out[o++] = b->data[i];
	}
	out[o] = '\0';
}

static void
test_tls_words(void **state)
{
	static char flat[1 << 16];
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tls_words_cases) / sizeof(tls_words_cases[0]);
	    i++) {
		rcpt_init(&r);
		r.status = "4.7.5";
		r.code = 451;
		r.failure = tls_words_cases[i].type;
		r.text = "x";
		msg_init(&m, &r, 1);
		build_ok(&m, &b);
		unwrap(&b, flat, sizeof(flat));
		if (strstr(flat, tls_words_cases[i].words) == NULL ||
		    strstr(flat, "could not deliver your message "
		    "securely:") == NULL)
			fail_msg("case %zu (%s): words missing", i,
			    tls_words_cases[i].type);
		buf_free(&b);
	}
	/* without an MX name */
	rcpt_init(&r);
	r.mx = "";
	r.code = 451;
	r.status = "4.7.5";
	r.failure = "starttls-not-supported";
	msg_init(&m, &r, 1);
	build_ok(&m, &b);
	unwrap(&b, flat, sizeof(flat));
	assert_non_null(strstr(flat, "the receiving server (unknown) does not"));
	assert_false(has(&b, "Remote-MTA"));
	buf_free(&b);
}

static void
test_delay(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;

	(void)state;
	rcpt_init(&r);
	r.action = QUEUE_DSN_ACTION_DELAYED;
	r.status = "4.4.1";
	r.code = 421;
	r.text = "Service not available, closing transmission channel";
	r.retry_until = T_ARRIVAL + 5 * 86400;
	msg_init(&m, &r, 1);
	m.kind = QUEUE_DSN_DELAY;
	build_ok(&m, &b);
	assert_true(has(&b, "\r\nSubject: Delayed Mail (still being "
	    "retried)\r\n"));
	assert_true(has(&b, "Action: delayed\r\nStatus: 4.4.1\r\n"));
	assert_true(has(&b, "Will-Retry-Until: Sun, 3 Jan 2027 00:00:00 "
	    "+0000\r\n"));
	assert_true(has(&b, "warning only"));
	assert_true(has(&b, "keep trying"));
	dump("delay", &b);
	buf_free(&b);

	/* a delay without any diagnostic: default status, no code */
	rcpt_init(&r);
	r.action = QUEUE_DSN_ACTION_DELAYED;
	r.status = "";
	r.code = 0;
	r.text = "";
	r.mx = "";
	r.last_attempt = 0;
	msg_init(&m, &r, 1);
	m.kind = QUEUE_DSN_DELAY;
	build_ok(&m, &b);
	assert_true(has(&b, "Action: delayed\r\nStatus: 4.0.0\r\n"));
	assert_false(has(&b, "Diagnostic-Code"));
	assert_false(has(&b, "Last-Attempt-Date"));
	assert_false(has(&b, "Will-Retry-Until"));
	buf_free(&b);
}

static void
test_success(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;

	(void)state;
	rcpt_init(&r);
	r.action = QUEUE_DSN_ACTION_RELAYED;
	r.status = "2.0.0";
	r.code = 250;
	r.text = "2.0.0 Ok: queued as 4Q9x";
	r.failure = "";
	msg_init(&m, &r, 1);
	m.kind = QUEUE_DSN_SUCCESS;
	build_ok(&m, &b);
	dump("success", &b);
	assert_true(has(&b, "\r\nSubject: Successful Mail Delivery "
	    "Report\r\n"));
	assert_true(has(&b, "Action: relayed\r\nStatus: 2.0.0\r\n"));
	assert_true(has(&b, "which did not offer"));
	assert_true(has(&b, "Diagnostic-Code: smtp; 250 2.0.0"));
	/* the message is not returned, only its header */
	assert_true(has(&b, "Content-Description: Message Headers\r\n"));
	assert_false(has(&b, "message/rfc822"));
	assert_false(has(&b, "Undelivered"));
	assert_false(has(&b, "Will-Retry-Until"));
	buf_free(&b);

	/* no status given: 2.0.0 by the action */
	r.status = "";
	build_ok(&m, &b);
	assert_true(has(&b, "Action: relayed\r\nStatus: 2.0.0\r\n"));
	buf_free(&b);
}

/* What is returned, by RET, size, and the shape of the original. */
static const struct {
	const char		*orig;
	size_t			 len;		/* 0: strlen */
	uint64_t		 size;		/* 0: len */
	enum envelope_ret	 ret;
	uint64_t		 limit;
	int			 returned;
	const char		*ctype;
} ret_cases[] = {
	{ t_orig, 0, 0, ENVELOPE_RET_NONE, 50000, 1, "message/rfc822" },
	{ t_orig, 0, 0, ENVELOPE_RET_FULL, 50000, 1, "message/rfc822" },
	{ t_orig, 0, 0, ENVELOPE_RET_HDRS, 50000, 2, "text/rfc822-headers" },
	/* larger than the limit, or only its beginning given */
	{ t_orig, 0, 0, ENVELOPE_RET_FULL, 100, 2, "text/rfc822-headers" },
	{ t_orig, 0, 100000, ENVELOPE_RET_FULL, 200000, 2,
	    "text/rfc822-headers" },
	{ t_orig, 0, 0, ENVELOPE_RET_FULL, sizeof(t_orig) - 1, 1,
	    "message/rfc822" },
	/* the header block cut in the middle: complete lines only */
	{ t_orig, 70, 5000, ENVELOPE_RET_FULL, 100, 2,
	    "text/rfc822-headers" },
	/* a bare LF in the body: only the header; in the header: nothing */
	{ "Subject: x\r\n\r\nbad\nline\r\n", 0, 0, ENVELOPE_RET_FULL, 50000,
	    2, "text/rfc822-headers" },
	{ "Subject: x\nY: z\r\n\r\nbody\r\n", 0, 0, ENVELOPE_RET_FULL, 50000,
	    0, NULL },
	/* a NUL, a bare CR */
	{ "Subject: x\r\n\r\na\0b\r\n", 19, 0, ENVELOPE_RET_FULL, 50000, 2,
	    "text/rfc822-headers" },
	{ "Subject: \rx\r\n\r\nab\r\n", 0, 0, ENVELOPE_RET_FULL, 50000, 0,
	    NULL },
	/* no line end at all: no complete header line */
	{ "Subject: x", 0, 0, ENVELOPE_RET_HDRS, 50000, 0, NULL },
	/* body without final CRLF: returned, the report ends the line */
	{ "Subject: x\r\n\r\nno end", 0, 0, ENVELOPE_RET_FULL, 50000, 1,
	    "message/rfc822" },
	/* nothing given */
	{ NULL, 0, 0, ENVELOPE_RET_FULL, 50000, 0, NULL },
};

static void
test_returned(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct queue_dsn_out out;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ret_cases) / sizeof(ret_cases[0]); i++) {
		char ct[64];
		int n;

		rcpt_init(&r);
		msg_init(&m, &r, 1);
		m.original = ret_cases[i].orig;
		m.original_len = ret_cases[i].len != 0 ? ret_cases[i].len :
		    ret_cases[i].orig != NULL ? strlen(ret_cases[i].orig) : 0;
		m.original_size = ret_cases[i].size != 0 ? ret_cases[i].size :
		    m.original_len;
		m.ret = ret_cases[i].ret;
		m.bounce_size_limit = ret_cases[i].limit;
		out = build_ok(&m, &b);
		if (out.returned != ret_cases[i].returned)
			fail_msg("case %zu: returned %d, want %d", i,
			    out.returned, ret_cases[i].returned);
		assert_int_equal(count(&b, "\r\n--=_"), out.returned ? 4 : 3);
		if (ret_cases[i].ctype != NULL) {
			n = snprintf(ct, sizeof(ct), "Content-Type: %s\r\n\r\n",
			    ret_cases[i].ctype);
			assert_true(n > 0 && (size_t)n < sizeof(ct));
			if (!has(&b, ct))
				fail_msg("case %zu: no %s", i, ct);
		}
		if (out.returned == 2) {
			assert_false(has(&b, "Hello Bob"));
			assert_false(has(&b, "\nbody"));
		}
		if (i == 6) {
			/* cut after "\tby ... id ..." line: Received only */
			assert_true(has(&b, "Received: from client.example"));
			assert_false(has(&b, "From: Alice"));
		}
		if (i == 2)
			dump("ret_hdrs", &b);
		buf_free(&b);
	}
}

static void
test_eightbit(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct queue_dsn_out out;
	struct buf b;
	const char *p3;

	(void)state;
	rcpt_init(&r);
	msg_init(&m, &r, 1);
	m.original = t_orig8;
	m.original_len = m.original_size = sizeof(t_orig8) - 1;
	out = build_ok(&m, &b);
	assert_int_equal(out.returned, 1);
	assert_int_equal(out.eightbit, 1);
	assert_int_equal(out.smtputf8, 0);
	assert_true(has(&b, "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "This is a MIME"));
	assert_true(has(&b, "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"));
	/* part 1 escapes the subject; nothing 8-bit before part 3 */
	assert_true(has(&b, "Subject: Gr\\xC3\\xBC\\xC3\\x9Fe\r\n"));
	p3 = strstr(b.data, "Content-Type: message/rfc822");
	assert_non_null(p3);
	assert_false(eight_in(&b, 0, (size_t)(p3 - b.data)));
	dump("eightbit", &b);
	buf_free(&b);

	/* headers only, still 8-bit */
	m.ret = ENVELOPE_RET_HDRS;
	out = build_ok(&m, &b);
	assert_int_equal(out.returned, 2);
	assert_int_equal(out.eightbit, 1);
	assert_true(has(&b, "Content-Type: text/rfc822-headers\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"));
	buf_free(&b);
}

static void
test_utf8_addresses(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct queue_dsn_out out;
	struct buf b;

	(void)state;
	rcpt_init(&r);
	r.addr = "j\xc3\xb6rg+x=y@b\xc3\xbc" "cher.example";
	r.orcpt = "utf-8;j\xc3\xb6rg@b\xc3\xbc" "cher.example";
	msg_init(&m, &r, 1);
	m.sender = "\xe7\x94\xb0\xe4\xb8\xad@example.jp";
	out = build_ok(&m, &b);
	assert_int_equal(out.smtputf8, 1);
	assert_int_equal(out.eightbit, 1);
	assert_true(has(&b, "To: <\xe7\x94\xb0\xe4\xb8\xad@example.jp>\r\n"));
	assert_true(has(&b, "Final-Recipient: utf-8; j\\x{F6}rg\\x{2B}x"
	    "\\x{3D}y@b\\x{FC}cher.example\r\n"));
	assert_true(has(&b, "Original-Recipient: utf-8; j\\x{F6}rg@"
	    "b\\x{FC}cher.example\r\n"));
	assert_true(has(&b, "<j\\x{F6}rg\\x{2B}x\\x{3D}y@b\\x{FC}cher."
	    "example>:"));
	assert_true(has(&b, "Content-Transfer-Encoding: 8bit\r\n"));
	dump("utf8", &b);
	buf_free(&b);

	/* invalid UTF-8 in an address: U+FFFD, 4-byte characters */
	r.addr = "a\xff\xf0\x9f\x98\x80@x.example";
	r.orcpt = "rfc822;a\xc0\xaf@x";	/* overlong: not UTF-8 */
	m.sender = "alice@example.org";
	out = build_ok(&m, &b);
	assert_int_equal(out.smtputf8, 0);
	assert_true(has(&b, "Final-Recipient: utf-8; a\\x{FFFD}\\x{1F600}"
	    "@x.example\r\n"));
	assert_true(has(&b, "Original-Recipient: utf-8; a\\x{FFFD}\\x{FFFD}"
	    "@x\r\n"));
	buf_free(&b);
}

/* Malformed ORCPT values are left out, never copied raw. */
static const char *const orcpt_bad[] = {
	"no-semicolon", ";addr@x", "rfc822;", "bad type;a@x",
	"t\xc3\xa9;a@x", "waytoolongtypenamewaytoolongtypename;a@x",
};

static void
test_orcpt_malformed(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(orcpt_bad) / sizeof(orcpt_bad[0]); i++) {
		rcpt_init(&r);
		r.orcpt = orcpt_bad[i];
		msg_init(&m, &r, 1);
		build_ok(&m, &b);
		if (has(&b, "Original-Recipient"))
			fail_msg("case %zu: Original-Recipient written", i);
		buf_free(&b);
	}
}

static void
test_long_and_hostile_text(void **state)
{
	static char text[2000];
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;
	size_t i;

	(void)state;
	/* long words, runs of spaces, control octets, a would-be header */
	for (i = 0; i < sizeof(text) - 1; i++)
		text[i] = "abcdefghij klmnopq\r\nrstuvwxyz     \x01\x7f\xff"
		    "Action: x"[i % 46];
	text[sizeof(text) - 1] = '\0';
	rcpt_init(&r);
	r.text = text;
	r.code = 554;
	r.status = "5.7.1";
	msg_init(&m, &r, 1);
	build_ok(&m, &b);
	dump("long_diag", &b);
	/* folded: a continuation line starts with white space */
	assert_true(has(&b, "Diagnostic-Code: smtp; 554 5.7.1 abcdefghij"));
	assert_true(has(&b, "\\x0D\\x0A"));
	assert_true(has(&b, "\\x01\\x7F\\xFF"));
	assert_int_equal(count(&b, "\r\nAction: "), 1);
	assert_false(eight_in(&b, 0, b.len));
	buf_free(&b);

	/* one word of 512 octets: cut hard at 998 octets at the most */
	memset(text, 'w', sizeof(text) - 1);
	rcpt_init(&r);
	r.text = text;
	msg_init(&m, &r, 1);
	build_ok(&m, &b);
	buf_free(&b);
}

static void
test_boundary_collision(void **state)
{
	static const char orig[] =
	    "Subject: x\r\n\r\n--=_" T_QID "/Zq7Rk2\r\n"
	    "--=_" T_QID "/Zq7Rk2.1\r\n";
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;

	(void)state;
	rcpt_init(&r);
	msg_init(&m, &r, 1);
	m.original = orig;
	m.original_len = m.original_size = sizeof(orig) - 1;
	build_ok(&m, &b);
	assert_true(has(&b, "boundary=\"=_" T_QID "/Zq7Rk2.2\""));
	assert_int_equal(count(&b, "\r\n--=_" T_QID "/Zq7Rk2.2\r\n"), 3);
	buf_free(&b);

	/* in remote text too */
	rcpt_init(&r);
	r.text = "=_" T_QID "/Zq7Rk2";
	msg_init(&m, &r, 1);
	build_ok(&m, &b);
	assert_true(has(&b, "boundary=\"=_" T_QID "/Zq7Rk2.1\""));
	buf_free(&b);

	/* a long token is cut to QUEUE_DSN_TOKEN_MAX */
	rcpt_init(&r);
	msg_init(&m, &r, 1);
	m.token = "abcdefghijklmnopqrstuvwxyz0123456789";
	build_ok(&m, &b);
	assert_true(has(&b, "boundary=\"=_" T_QID "/abcdefghijklmnopqrst\""));
	buf_free(&b);
}

static void
test_expired_words(void **state)
{
	static char flat[1 << 16];
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct buf b;

	(void)state;
	/* expired after temporary errors: Postfix-style 4.x.x and failed */
	rcpt_init(&r);
	r.status = "4.4.1";
	r.code = 421;
	r.text = "try later";
	msg_init(&m, &r, 1);
	build_ok(&m, &b);
	unwrap(&b, flat, sizeof(flat));
	assert_non_null(strstr(flat, "has given up"));
	assert_true(has(&b, "Action: failed\r\nStatus: 4.4.1\r\n"));
	buf_free(&b);

	/* expired without any attempt: default status, no diagnostic */
	rcpt_init(&r);
	r.status = "bogus";
	r.code = 0;
	r.text = NULL;
	r.mx = NULL;
	r.orcpt = NULL;
	r.failure = NULL;
	r.last_attempt = 0;
	msg_init(&m, &r, 1);
	m.envid = NULL;
	build_ok(&m, &b);
	assert_true(has(&b, "Action: failed\r\nStatus: 5.0.0\r\n"));
	assert_false(has(&b, "Diagnostic-Code"));
	assert_false(has(&b, "Original-Envelope-Id"));
	buf_free(&b);
}

static void
test_many_rcpts(void **state)
{
	static struct queue_dsn_rcpt r[300];
	static char addr[300][32];
	struct queue_dsn_msg m;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++) {
		rcpt_init(&r[i]);
		assert_true(snprintf(addr[i], sizeof(addr[i]), "u%zu@x.example",
		    i) > 0);
		r[i].addr = addr[i];
	}
	msg_init(&m, r, 300);
	build_ok(&m, &b);
	assert_int_equal(count(&b, "Final-Recipient: "), 300);
	assert_true(has(&b, "<u299@x.example>:"));
	buf_free(&b);
}

/* Refused input: each case breaks one thing of a valid message. */
static void
test_invalid(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct reason why;
	struct buf b;
	int i;

	(void)state;
	for (i = 0; i < 24; i++) {
		rcpt_init(&r);
		msg_init(&m, &r, 1);
		switch (i) {
		case 0: m.kind = 0; break;
		case 1: m.hostname = ""; break;
		case 2: m.hostname = "a b"; break;
		case 3: m.queue_id = "short"; break;
		case 4: m.queue_id = "../../etc/passwd0000"; break;
		case 5: m.dsn_id = ""; break;
		case 6: m.dsn_id = "a.b"; break;
		case 7: m.token = ""; break;
		case 8: m.token = "a\"b"; break;
		case 9: m.sender = ""; break;
		case 10: m.sender = "a@b\r\nBcc: x@y"; break;
		case 11: m.ret = 9; break;
		case 12: m.now = -1; break;
		case 13: m.arrival = INT64_MAX; break;
		case 14: m.original = NULL; break;
		case 15: m.nrcpt = 0; break;
		case 16: m.rcpt = NULL; break;
		case 17: r.addr = ""; break;
		case 18: r.action = 0; break;
		case 19: r.code = 99; break;
		case 20: r.code = 600; break;
		case 21: r.failure = "Bad Type"; break;
		case 22: r.last_attempt = -5; break;
		case 23: m.sender = NULL; break;
		}
		buf_init(&b, 1 << 20);
		memset(&why, 0, sizeof(why));
		if (queue_dsn_build(&m, queue_dsn_buf_write, &b, NULL,
		    &why) != -1)
			fail_msg("case %d: accepted", i);
		assert_int_equal(why.code, 451);
		assert_string_equal(why.dsn, "4.3.0");
		assert_int_equal(b.len, 0);
		buf_free(&b);
	}
}

static int
fail_writer(void *arg, const char *p, size_t len)
{
	size_t *left = arg;

	(void)p;
	if (len > *left)
		return -1;
	*left -= len;
	return 0;
}

static void
test_writer_fails(void **state)
{
	struct queue_dsn_rcpt r;
	struct queue_dsn_msg m;
	struct queue_dsn_out out;
	struct reason why;
	struct buf b;
	size_t left;

	(void)state;
	rcpt_init(&r);
	msg_init(&m, &r, 1);
	left = 100;
	assert_int_equal(queue_dsn_build(&m, fail_writer, &left, &out, &why),
	    -1);
	assert_int_equal(why.code, 451);
	assert_int_equal(out.len, 0);
	/* a buffer too small */
	buf_init(&b, 500);
	assert_int_equal(queue_dsn_build(&m, queue_dsn_buf_write, &b, NULL,
	    &why), -1);
	buf_free(&b);
	/* why may be NULL */
	left = 10;
	assert_int_equal(queue_dsn_build(&m, fail_writer, &left, NULL, NULL),
	    -1);
}

static void
test_from_envelope(void **state)
{
	struct envelope e;
	struct envelope_rcpt *er;
	struct queue_dsn_rcpt r;

	(void)state;
	envelope_init(&e);
	assert_non_null(er = envelope_add_rcpt(&e, "bob@example.net"));
	assert_true(strlcpy(er->orcpt, "rfc822;bob@example.net",
	    sizeof(er->orcpt)) < sizeof(er->orcpt));
	er->last_attempt = 1234;
	/* no error yet */
	queue_dsn_rcpt_from_envelope(er, QUEUE_DSN_ACTION_FAILED, 999, &r);
	assert_string_equal(r.addr, "bob@example.net");
	assert_string_equal(r.orcpt, "rfc822;bob@example.net");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.status, "");
	assert_string_equal(r.text, "");
	assert_int_equal(r.retry_until, 0);
	assert_int_equal(r.last_attempt, 1234);
	/* with an error */
	reason_set(&er->error, 451, "4.7.5", "TLS handshake failed");
	assert_true(strlcpy(er->failure, "validation-failure",
	    sizeof(er->failure)) < sizeof(er->failure));
	assert_true(strlcpy(er->mx, "mx.example.net", sizeof(er->mx)) <
	    sizeof(er->mx));
	queue_dsn_rcpt_from_envelope(er, QUEUE_DSN_ACTION_DELAYED, 999, &r);
	assert_int_equal(r.action, QUEUE_DSN_ACTION_DELAYED);
	assert_int_equal(r.code, 451);
	assert_string_equal(r.status, "4.7.5");
	assert_string_equal(r.text, "TLS handshake failed");
	assert_string_equal(r.failure, "validation-failure");
	assert_string_equal(r.mx, "mx.example.net");
	assert_int_equal(r.retry_until, 999);
	envelope_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_failure_basic),
		cmocka_unit_test(test_failure_tls),
		cmocka_unit_test(test_tls_words),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_returned),
		cmocka_unit_test(test_eightbit),
		cmocka_unit_test(test_utf8_addresses),
		cmocka_unit_test(test_orcpt_malformed),
		cmocka_unit_test(test_long_and_hostile_text),
		cmocka_unit_test(test_boundary_collision),
		cmocka_unit_test(test_expired_words),
		cmocka_unit_test(test_many_rcpts),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_writer_fails),
		cmocka_unit_test(test_from_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
