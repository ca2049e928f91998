/*
 * test_local_lmtp_proto.c: unit tests for mta/local/local_lmtp_proto.c:
 * LHLO capabilities, dot-stuffing across chunks, and the transaction
 * machine driven by scripted servers (table-style): with and without
 * PIPELINING, a refused RCPT, 452 and 5xx after the dot, reply counts
 * out of step, connections cut mid-way, malformed replies, 421,
 * STARTTLS required, offered, refused and injected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/local_lmtp_proto.h"
#include "smtp/smtp_client.h"

/* ---- LHLO ---- */

struct lhlo_case {
	const char	*reply;		/* lines separated by \n, no CRLF */
	int		 ok;		/* the acc completes */
	int		 rc;
	unsigned	 ext;
	uint64_t	 size;
};

static const struct lhlo_case lhlo_cases[] = {
	/* what Dovecot's lmtp says */
	{ "250-mail.test\n250-8BITMIME\n250-CHUNKING\n250-ENHANCEDSTATUSCODES\n"
	    "250-PIPELINING\n250-STARTTLS\n250-VRFY\n250 SIZE", 1, 0,
	    LOCAL_LMTP_8BITMIME | LOCAL_LMTP_ENHANCED | LOCAL_LMTP_PIPELINING |
	    LOCAL_LMTP_STARTTLS | LOCAL_LMTP_SIZE, 0 },
	{ "250-h\n250-size 1048576\n250 smtputf8", 1, 0,
	    LOCAL_LMTP_SIZE | LOCAL_LMTP_SMTPUTF8, 1048576 },
	{ "250 PIPELINING", 1, 0, 0, 0 },	/* the greeting line */
	{ "250-h\n250-SIZE 12x\n250 PIPELININGX", 1, 0, 0, 0 },
	{ "250-h\n250 SIZE 99999999999999999999", 1, 0, 0, 0 },
	{ "500 5.5.1 unknown command", 1, -1, 0, 0 },
	{ "250-h\n251 STARTTLS", 0, 0, 0, 0 },
	{ "250-h\nSTARTTLS", 0, 0, 0, 0 },
	{ "2500 h", 0, 0, 0, 0 },
};

static void
test_lhlo(void **state)
{
	struct smtp_proto_reply_acc acc;
	struct local_lmtp_caps caps;
	enum smtp_proto_acc_status st = SMTP_PROTO_ACC_MORE;
	char buf[512], *line, *save;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lhlo_cases) / sizeof(lhlo_cases[0]); i++) {
		const struct lhlo_case *c = &lhlo_cases[i];

		smtp_proto_reply_acc_init(&acc);
		assert_true(strlcpy(buf, c->reply, sizeof(buf)) < sizeof(buf));
		for (line = buf; line != NULL; line = save) {
			save = strchr(line, '\n');
			if (save != NULL)
				*save++ = '\0';
			st = smtp_proto_reply_acc_feed(&acc, line,
			    strlen(line));
			if (st != SMTP_PROTO_ACC_MORE)
				break;
		}
		if (!c->ok) {
			assert_int_not_equal(st, SMTP_PROTO_ACC_DONE);
			continue;
		}
		assert_int_equal(st, SMTP_PROTO_ACC_DONE);
		assert_int_equal(local_lmtp_lhlo_parse(&acc, &caps), c->rc);
		assert_int_equal(caps.ext, c->ext);
		assert_true(caps.size == c->size);
	}
}

/* ---- dot-stuffing ---- */

struct dot_case {
	const char	*in;
	const char	*out;		/* with the end of data */
};

static const struct dot_case dot_cases[] = {
	{ "", ".\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ "a\r\n.b\r\n..\r\n", "a\r\n..b\r\n...\r\n.\r\n" },
	{ "no end", "no end\r\n.\r\n" },
	{ "x.\r\n.", "x.\r\n..\r\n.\r\n" },
};

static void
test_dot(void **state)
{
	struct smtp_client_dot d;
	char out[256];
	size_t i, cut, n, len;

	(void)state;
	for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
		len = strlen(dot_cases[i].in);
		/* every place a chunk can end */
		for (cut = 0; cut <= len; cut++) {
			smtp_client_dot_init(&d);
			n = smtp_client_dot_encode(&d, dot_cases[i].in, cut,
			    out);
			n += smtp_client_dot_encode(&d, dot_cases[i].in + cut,
			    len - cut, out + n);
			n += smtp_client_dot_end(&d, out + n);
			out[n] = '\0';
			assert_string_equal(out, dot_cases[i].out);
		}
	}
}

/* ---- the machine, against scripted servers ---- */

#define EOFX	"<EOF>"		/* the server closes the connection */

struct txn_case {
	const char	*name;
	const char	*rcpt[4];	/* NULL-terminated */
	int		 starttls;
	const char	*server[16];	/* one chunk per READ, NULL-ended */
	const char	*client;	/* what we sent; <BODY>, <TLS> */
	const char	*results;	/* per recipient "S250 2.0.0 ..." */
	int		 protoerr;	/* local_lmtp_protoerr says something */
};

#define GREET	"220 mail.test LMTP ready\r\n"
#define LHLO	"250-mail.test\r\n250-SIZE 10000\r\n250 8BITMIME\r\n"
#define LHLOP	"250-mail.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES" \
		"\r\n250 SIZE\r\n"
#define LHLOT	"250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
#define CL	"LHLO mx.test\r\n"
#define CM	"MAIL FROM:<s@x> SIZE=100 BODY=8BITMIME\r\n"
#define CMP	"MAIL FROM:<s@x> SIZE=100\r\n"
#define CMN	"MAIL FROM:<s@x>\r\n"
#define RA	"RCPT TO:<a@x>\r\n"
#define RB	"RCPT TO:<b@x>\r\n"
#define RC	"RCPT TO:<c@x>\r\n"
#define OK	"250 2.1.0 Ok\r\n"
#define GO	"354 OK\r\n"

static const struct txn_case txn_cases[] = {
	{ "two recipients, one at a time", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, OK, GO,
	    "250 2.0.0 <a@x> Saved\r\n250 2.0.0 <b@x> Saved\r\n",
	    "221 2.0.0 Bye\r\n", NULL },
	    CL CM RA RB "DATA\r\n<BODY>QUIT\r\n",
	    "S250 2.0.0 S250 2.0.0", 0 },
	{ "pipelined, one RCPT refused", { "a@x", "b@x", "c@x", NULL }, 0,
	    { GREET, LHLOP, OK OK "550 5.1.1 <b@x> User doesn't exist\r\n"
	    OK GO, "250 2.0.0 <a@x> Saved\r\n452 4.2.2 <c@x> Quota\r\n",
	    "221 Bye\r\n", NULL },
	    CL CMP RA RB RC "DATA\r\n<BODY>QUIT\r\n",
	    "S250 2.0.0 B550 5.1.1 D452 4.2.2", 0 },
	{ "one at a time, one RCPT refused", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, "550 5.1.1 no such user\r\n", OK, GO,
	    "250 2.0.0 Saved\r\n", "221 Bye\r\n", NULL },
	    CL CM RA RB "DATA\r\n<BODY>QUIT\r\n", "B550 5.1.1 S250 2.0.0",
	    0 },
	{ "5xx after the dot, no enhanced code", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, OK, GO,
	    "552 mailbox over quota\r\n250 Saved\r\n", "221 Bye\r\n", NULL },
	    CL CM RA RB "DATA\r\n<BODY>QUIT\r\n", "B552 5.0.0 S250 2.0.0",
	    0 },
	{ "multiline reply after the dot", { "a@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, GO,
	    "451-4.3.0 temporary\r\n451 4.3.0 failure\r\n", "221 Bye\r\n",
	    NULL },
	    CL CM RA "DATA\r\n<BODY>QUIT\r\n", "D451 4.3.0", 0 },
	{ "a reply too many after the dot", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, OK, GO,
	    "250 2.0.0 Saved\r\n250 2.0.0 Saved\r\n250 2.0.0 Extra\r\n",
	    NULL },
	    CL CM RA RB "DATA\r\n<BODY>", "S250 2.0.0 S250 2.0.0", 1 },
	{ "a reply too many, late: QUIT not answered 221", { "a@x", NULL },
	    0, { GREET, LHLO, OK, OK, GO, "250 2.0.0 Saved\r\n",
	    "250 2.0.0 Extra\r\n", NULL },
	    CL CM RA "DATA\r\n<BODY>QUIT\r\n", "S250 2.0.0", 1 },
	{ "a reply too few: the connection ends", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, OK, GO, "250 2.0.0 Saved\r\n", EOFX,
	    NULL },
	    CL CM RA RB "DATA\r\n<BODY>", "S250 2.0.0 D451 4.4.2", 0 },
	{ "cut after the greeting", { "a@x", NULL }, 0,
	    { GREET, EOFX, NULL }, CL, "D451 4.4.2", 0 },
	{ "cut after MAIL", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, EOFX, NULL }, CL CM, "D451 4.4.2 D451 4.4.2", 0 },
	{ "cut mid-reply while pipelining", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLOP, OK "250 2.1", EOFX, NULL },
	    CL CMP RA RB "DATA\r\n", "D451 4.4.2 D451 4.4.2", 0 },
	{ "cut during QUIT: results stand", { "a@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, GO, "250 Saved\r\n", EOFX, NULL },
	    CL CM RA "DATA\r\n<BODY>QUIT\r\n", "S250 2.0.0", 0 },
	{ "greeting refused", { "a@x", NULL }, 0,
	    { "554 5.3.2 not now\r\n", NULL }, "", "D451 4.4.2", 0 },
	{ "malformed greeting", { "a@x", NULL }, 0,
	    { "22O hello\r\n", NULL }, "", "D451 4.4.2", 1 },
	{ "codes differ inside a reply", { "a@x", NULL }, 0,
	    { GREET, "250-mail.test\r\n251 SIZE\r\n", NULL }, CL,
	    "D451 4.4.2", 1 },
	{ "LHLO refused (an SMTP server)", { "a@x", NULL }, 0,
	    { GREET, "500 5.5.1 Unknown command\r\n", NULL }, CL,
	    "D451 4.4.2", 0 },
	{ "unsolicited bytes before LHLO", { "a@x", NULL }, 0,
	    { GREET "250 what\r\n", NULL }, "", "D451 4.4.2", 1 },
	{ "MAIL refused for good", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, "550 5.7.1 Not you\r\n", "221 Bye\r\n", NULL },
	    CL CM "QUIT\r\n", "B550 5.7.1 B550 5.7.1", 0 },
	{ "MAIL refused for now, pipelined", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLOP, "451 4.3.0 Later\r\n503 5.5.1 No\r\n"
	    "503 5.5.1 No\r\n503 5.5.1 No\r\n", "221 Bye\r\n", NULL },
	    CL CMP RA RB "DATA\r\n" "QUIT\r\n", "D451 4.3.0 D451 4.3.0", 0 },
	{ "every RCPT refused: no DATA", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, "550 5.1.1 no\r\n", "450 4.2.1 busy\r\n",
	    "221 Bye\r\n", NULL },
	    CL CM RA RB "QUIT\r\n", "B550 5.1.1 D450 4.2.1", 0 },
	{ "every RCPT refused, pipelined: DATA 503", { "a@x", NULL }, 0,
	    { GREET, LHLOP, OK "550 5.1.1 no\r\n503 5.5.1 No valid "
	    "recipients\r\n", "221 Bye\r\n", NULL },
	    CL CMP RA "DATA\r\n" "QUIT\r\n", "B550 5.1.1", 0 },
	{ "354 without an accepted recipient", { "a@x", NULL }, 0,
	    { GREET, LHLOP, OK "550 5.1.1 no\r\n" GO, NULL },
	    CL CMP RA "DATA\r\n", "B550 5.1.1", 1 },
	{ "DATA refused", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, "550 5.1.1 no\r\n",
	    "554 5.3.0 No thanks\r\n", "221 Bye\r\n", NULL },
	    CL CM RA RB "DATA\r\n" "QUIT\r\n", "B554 5.3.0 B550 5.1.1", 0 },
	{ "421 in the middle", { "a@x", "b@x", NULL }, 0,
	    { GREET, LHLO, OK, OK, "421 4.3.2 Shutting down\r\n", NULL },
	    CL CM RA RB, "D421 4.3.2 D421 4.3.2", 0 },
	{ "an address that cannot be sent", { "a@x", "b>@x", "c\r@x",
	    NULL }, 0, { GREET, LHLO, OK, OK, GO, "250 Saved\r\n",
	    "221 Bye\r\n", NULL },
	    CL CM RA "DATA\r\n<BODY>QUIT\r\n",
	    "S250 2.0.0 B550 5.1.3 B550 5.1.3", 0 },
	{ "STARTTLS required and offered", { "a@x", NULL }, 1,
	    { GREET, LHLOT, "220 2.0.0 Begin TLS\r\n", LHLOP,
	    OK OK GO, "250 Saved\r\n", "221 Bye\r\n", NULL },
	    CL "STARTTLS\r\n<TLS>" CL CMP RA "DATA\r\n<BODY>QUIT\r\n",
	    "S250 2.0.0", 0 },
	{ "STARTTLS required, not offered", { "a@x", NULL }, 1,
	    { GREET, LHLOP, NULL }, CL, "D451 4.7.0", 0 },
	{ "STARTTLS refused", { "a@x", NULL }, 1,
	    { GREET, LHLOT, "454 4.7.0 TLS not available\r\n", NULL },
	    CL "STARTTLS\r\n", "D451 4.7.0", 0 },
	{ "plaintext injected after STARTTLS's 220", { "a@x", NULL }, 1,
	    { GREET, LHLOT, "220 Go ahead\r\n250 injected\r\n", NULL },
	    CL "STARTTLS\r\n", "D451 4.7.5", 1 },
	{ "part of a line injected after STARTTLS's 220", { "a@x", NULL }, 1,
	    { GREET, LHLOT, "220 Go ahead\r\n2", NULL },
	    CL "STARTTLS\r\n", "D451 4.7.5", 1 },
	{ "STARTTLS offered but not required", { "a@x", NULL }, 0,
	    { GREET, LHLOT, OK OK GO, "250 Saved\r\n", "221 Bye\r\n", NULL },
	    CL CMN RA "DATA\r\n<BODY>QUIT\r\n", "S250 2.0.0", 0 },
};

/* The result letters: S sent, D deferred, B bounced, O open. */
static void
txn_results(const struct local_lmtp_result *res, size_t n, char *out,
    size_t size)
{
	const char letter[] = "OSDB";
	size_t i, len = 0;
	int r;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		r = snprintf(out + len, size - len, "%s%c%d %s", i ? " " : "",
		    letter[res[i].status], res[i].why.code, res[i].why.dsn);
		assert_true(r > 0 && (size_t)r < size - len);
		len += (size_t)r;
	}
}

/*
 * Runs case c against its script; bytewise feeds every chunk one octet
 * at a time (chunk boundaries anywhere, CR and LF apart).
 */
static void
txn_run(const struct txn_case *c, int bytewise)
{
	struct local_lmtp l;
	struct local_lmtp_msg m;
	struct local_lmtp_result res[4];
	unsigned char acc[4];
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX], client[4096], got[256];
	size_t n = 0, outlen, k, cl = 0, len;
	int steps, rc;
	const char *chunk;
	enum local_lmtp_act a;

	while (c->rcpt[n] != NULL)
		n++;
	memset(&m, 0, sizeof(m));
	m.lhlo = "mx.test";
	m.from = "s@x";
	m.rcpt = c->rcpt;
	m.nrcpt = n;
	m.size = 100;
	m.body8 = 1;
	m.starttls = c->starttls;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	client[0] = '\0';
	k = 0;
	for (steps = 0; steps < 1000; steps++) {
		a = local_lmtp_next(&l, out, sizeof(out), &outlen);
		if (a == LOCAL_LMTP_A_DONE)
			break;
		switch (a) {
		case LOCAL_LMTP_A_SEND:
			assert_true(cl + outlen < sizeof(client));
			memcpy(client + cl, out, outlen);
			cl += outlen;
			client[cl] = '\0';
			break;
		case LOCAL_LMTP_A_BODY:
			cl += strlcpy(client + cl, "<BODY>", sizeof(client) -
			    cl);
			break;
		case LOCAL_LMTP_A_TLS:
			cl += strlcpy(client + cl, "<TLS>", sizeof(client) -
			    cl);
			local_lmtp_tls_done(&l);
			break;
		case LOCAL_LMTP_A_READ:
			chunk = c->server[k];
			if (chunk == NULL) {
				/* the script ends: like a timeout */
				local_lmtp_lost(&l, "waiting (script end)");
				break;
			}
			k++;
			if (strcmp(chunk, EOFX) == 0) {
				local_lmtp_lost(&l, "reading");
				break;
			}
			len = strlen(chunk);
			if (!bytewise) {
				(void)local_lmtp_input(&l, chunk, len);
				break;
			}
			for (rc = 0; len > 0 && rc == 0; chunk++, len--)
				rc = local_lmtp_input(&l, chunk, 1);
			break;
		default:
			fail();
		}
	}
	assert_true(steps < 1000);
	if (strcmp(client, c->client) != 0)
		fail_msg("%s: sent \"%s\", wanted \"%s\"", c->name, client,
		    c->client);
	txn_results(res, n, got, sizeof(got));
	if (strcmp(got, c->results) != 0)
		fail_msg("%s: results \"%s\", wanted \"%s\"", c->name, got,
		    c->results);
	if ((local_lmtp_protoerr(&l) != NULL) != c->protoerr)
		fail_msg("%s: protoerr %s", c->name,
		    local_lmtp_protoerr(&l) ? local_lmtp_protoerr(&l) :
		    "(none)");
	/* every text is printable and every result final */
	for (k = 0; k < n; k++) {
		assert_int_not_equal(res[k].status, LOCAL_LMTP_OPEN);
		for (chunk = res[k].why.text; *chunk != '\0'; chunk++)
			assert_true(*chunk >= 0x20 && *chunk < 0x7f);
	}
}

static void
test_txn(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(txn_cases) / sizeof(txn_cases[0]); i++) {
		txn_run(&txn_cases[i], 0);
		txn_run(&txn_cases[i], 1);
	}
}

/* The reply texts that reach a result, and what they answered. */
static void
test_texts(void **state)
{
	static const char *const rcpt[] = { "a@x", NULL };
	struct local_lmtp l;
	struct local_lmtp_msg m = { "mx.test", "", rcpt, 1, 10, 0, 0, 0 };
	struct local_lmtp_result res[1];
	unsigned char acc[1];
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX];
	size_t outlen;
	static const char bad[] = "550-5.1.1 <a@x> no\r\n"
	    "550 5.1.1 such \x01user\r\n";

	(void)state;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_READ);
	assert_int_equal(local_lmtp_input(&l, GREET, strlen(GREET)), 0);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_SEND);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_READ);
	assert_int_equal(local_lmtp_input(&l, "250 mail.test\r\n", 15), 0);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_SEND);
	out[outlen] = '\0';
	assert_string_equal(out, "MAIL FROM:<>\r\n");	/* the null sender */
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_READ);
	assert_int_equal(local_lmtp_input(&l, OK, strlen(OK)), 0);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_SEND);
	out[outlen] = '\0';
	assert_string_equal(out, "RCPT TO:<a@x>\r\n");
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_READ);
	assert_int_equal(local_lmtp_input(&l, bad, sizeof(bad) - 1), 0);
	assert_int_equal(res[0].status, LOCAL_LMTP_BOUNCED);
	assert_int_equal(res[0].why.code, 550);
	assert_string_equal(res[0].why.dsn, "5.1.1");
	assert_string_equal(res[0].why.text,
	    "<a@x> no such ?user (in reply to RCPT TO)");
}

/* A reply while the content is being written: out of step. */
static void
test_body_reply(void **state)
{
	static const char *const rcpt[] = { "a@x", "b@x", NULL };
	struct local_lmtp l;
	struct local_lmtp_msg m = { "mx.test", "s@x", rcpt, 2, 10, 0, 0, 0 };
	struct local_lmtp_result res[2];
	unsigned char acc[2];
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX];
	size_t outlen;
	const char *srv[] = { GREET, "250 h\r\n", OK, OK, OK, GO };
	size_t i = 0;
	enum local_lmtp_act a;

	(void)state;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	while ((a = local_lmtp_next(&l, out, sizeof(out), &outlen)) !=
	    LOCAL_LMTP_A_BODY) {
		assert_int_not_equal(a, LOCAL_LMTP_A_DONE);
		if (a == LOCAL_LMTP_A_READ) {
			assert_true(i < 6);
			assert_int_equal(local_lmtp_input(&l, srv[i],
			    strlen(srv[i])), 0);
			i++;
		}
	}
	assert_int_equal(local_lmtp_input(&l, "552 5.3.4 Too big\r\n", 19),
	    -1);
	assert_int_equal(res[0].status, LOCAL_LMTP_BOUNCED);
	assert_string_equal(res[1].why.dsn, "5.3.4");
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_DONE);
	assert_non_null(local_lmtp_protoerr(&l));
}

/* A reply line over SMTP_PROTO_REPLY_LINE_MAX, in pieces. */
static void
test_long_line(void **state)
{
	static const char *const rcpt[] = { "a@x", NULL };
	struct local_lmtp l;
	struct local_lmtp_msg m = { "mx.test", "s@x", rcpt, 1, 10, 0, 0, 0 };
	struct local_lmtp_result res[1];
	unsigned char acc[1];
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX], line[1000];
	size_t outlen, i;
	int rc = 0;

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "220 ", 4);
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_READ);
	for (i = 0; i < 4 && rc == 0; i++)
		rc = local_lmtp_input(&l, line + (i ? 4 : 0), sizeof(line) -
		    (i ? 4 : 0));
	assert_int_equal(rc, -1);
	assert_int_equal(i, 3);		/* 2,988 octets without an LF */
	assert_int_equal(res[0].status, LOCAL_LMTP_DEFERRED);
	assert_string_equal(res[0].why.dsn, "4.4.2");
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_DONE);
}

/* Messages that cannot start, and a buffer too small. */
static void
test_init(void **state)
{
	static const char *const rcpt[] = { "a@x", NULL };
	struct local_lmtp l;
	struct local_lmtp_msg m;
	struct local_lmtp_result res[1];
	unsigned char acc[1];
	struct reason why;
	char out[64];
	size_t outlen;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.lhlo = "mx.test";
	m.from = "s@x";
	m.rcpt = rcpt;
	m.nrcpt = 0;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), -1);
	m.nrcpt = 1;
	m.lhlo = "";
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), -1);
	m.lhlo = "mx test";
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), -1);
	m.lhlo = "mx.test";
	m.from = "s@x\r\nRCPT TO:<evil@x>";
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), -1);
	m.from = "s@x";
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	/* a buffer below LOCAL_LMTP_CMD_MAX: deferred, never cut */
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_DONE);
	assert_int_equal(res[0].status, LOCAL_LMTP_DEFERRED);
	/* after the end, bytes are refused and nothing changes */
	assert_int_equal(local_lmtp_input(&l, "250 x\r\n", 7), -1);
	assert_int_equal(res[0].status, LOCAL_LMTP_DEFERRED);
}

/*
 * 250 recipients, pipelined: at most LOCAL_LMTP_WINDOW commands wait,
 * every reply lands on its own recipient. The server refuses every 7th
 * at RCPT and answers 452 after the dot for every 5th it took.
 */
static void
test_window(void **state)
{
	enum { N = 250 };
	static char addr[N][16];
	static const char *rcpt[N + 1];
	static struct local_lmtp_result res[N];
	static unsigned char acc[N];
	static struct local_lmtp l;
	struct local_lmtp_msg m;
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX], reply[128];
	size_t outlen, i, pending = 0, maxpend = 0, ndata = 0;
	int cmds[N + 8], ncmd = 0, k, body = 0, steps;
	enum local_lmtp_act a;

	(void)state;
	for (i = 0; i < N; i++) {
		(void)snprintf(addr[i], sizeof(addr[i]), "r%zu@x", i);
		rcpt[i] = addr[i];
	}
	memset(&m, 0, sizeof(m));
	m.lhlo = "mx.test";
	m.from = "s@x";
	m.rcpt = rcpt;
	m.nrcpt = N;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	assert_int_equal(local_lmtp_input(&l, GREET, strlen(GREET)), 0);
	for (steps = 0; steps < 10000; steps++) {
		a = local_lmtp_next(&l, out, sizeof(out), &outlen);
		if (a == LOCAL_LMTP_A_DONE)
			break;
		if (a == LOCAL_LMTP_A_SEND) {
			/* -1 LHLO, -2 MAIL, -3 DATA, -4 QUIT, else RCPT n */
			out[outlen] = '\0';
			if (strncmp(out, "LHLO", 4) == 0)
				k = -1;
			else if (strncmp(out, "MAIL", 4) == 0)
				k = -2;
			else if (strncmp(out, "DATA", 4) == 0) {
				k = -3;
				ndata++;
			} else if (strncmp(out, "QUIT", 4) == 0)
				k = -4;
			else
				k = (int)strtol(out + 10, NULL, 10);
			cmds[ncmd++] = k;
			if (k >= -3 && k != -1)
				pending++;
			if (pending > maxpend)
				maxpend = pending;
			continue;
		}
		if (a == LOCAL_LMTP_A_BODY) {
			body = 1;
			continue;
		}
		assert_int_equal(a, LOCAL_LMTP_A_READ);
		if (body == 1) {
			/* after the dot: one per accepted, in order */
			for (i = 0; i < N; i++) {
				if (i % 7 == 0)
					continue;
				(void)snprintf(reply, sizeof(reply), "%s\r\n",
				    i % 5 == 0 ? "452 4.2.2 full" :
				    "250 2.0.0 ok");
				assert_int_equal(local_lmtp_input(&l, reply,
				    strlen(reply)), 0);
			}
			body = 2;
			continue;
		}
		for (k = 0; k < ncmd; k++) {
			if (cmds[k] == -1)
				(void)strlcpy(reply, LHLOP, sizeof(reply));
			else if (cmds[k] == -2)
				(void)strlcpy(reply, OK, sizeof(reply));
			else if (cmds[k] == -3)
				(void)strlcpy(reply, GO, sizeof(reply));
			else if (cmds[k] == -4)
				(void)strlcpy(reply, "221 bye\r\n",
				    sizeof(reply));
			else
				(void)strlcpy(reply, cmds[k] % 7 == 0 ?
				    "550 5.1.1 no\r\n" : OK, sizeof(reply));
			assert_int_equal(local_lmtp_input(&l, reply,
			    strlen(reply)), 0);
		}
		ncmd = 0;
		pending = 0;
	}
	assert_true(steps < 10000);
	assert_true(maxpend <= LOCAL_LMTP_WINDOW);
	assert_true(maxpend >= LOCAL_LMTP_WINDOW - 1);
	assert_int_equal(ndata, 1);
	assert_null(local_lmtp_protoerr(&l));
	for (i = 0; i < N; i++) {
		if (i % 7 == 0) {
			assert_int_equal(res[i].status, LOCAL_LMTP_BOUNCED);
			assert_string_equal(res[i].why.dsn, "5.1.1");
		} else if (i % 5 == 0) {
			assert_int_equal(res[i].status, LOCAL_LMTP_DEFERRED);
			assert_string_equal(res[i].why.dsn, "4.2.2");
		} else
			assert_int_equal(res[i].status, LOCAL_LMTP_SENT);
	}
}

/*
 * The gate: even a machine brought to the transaction by a bug never
 * writes MAIL outside TLS when the hop requires it.
 */
static void
test_gate(void **state)
{
	static const char *const rcpt[] = { "a@x", NULL };
	struct local_lmtp l;
	struct local_lmtp_msg m = { "mx.test", "s@x", rcpt, 1, 10, 0, 0, 1 };
	struct local_lmtp_result res[1];
	unsigned char acc[1];
	struct reason why;
	char out[LOCAL_LMTP_CMD_MAX];
	size_t outlen;

	(void)state;
	assert_int_equal(local_lmtp_init(&l, &m, res, acc, &why), 0);
	l.state = LOCAL_LMTP_S_TXN;	/* as if LHLO had been skipped */
	assert_int_equal(local_lmtp_next(&l, out, sizeof(out), &outlen),
	    LOCAL_LMTP_A_DONE);
	assert_int_equal(outlen, 0);
	assert_int_equal(res[0].status, LOCAL_LMTP_DEFERRED);
	assert_string_equal(res[0].why.dsn, "4.7.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lhlo),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_body_reply),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
