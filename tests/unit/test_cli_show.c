/*
 * test_cli_show.c: table tests of the pure half of `sealpost show`
 * (mta/cli/cli_show_fmt.c): its command line, the end of the header, and
 * the whole output, text and JSON, of an envelope, its attempt history
 * and the message's header: held messages, recipients already final,
 * history lines that do not parse or name no recipient, bytes that are
 * not UTF-8, an envelope that does not parse. The envelope and history
 * lines are made with envelope_write and history_format, so the test
 * follows sealpost-envelope(5) without copying it. TZ=UTC.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "lib/buf.h"
#include "smtp/envelope.h"
#include "smtp/history.h"

#define NOW	INT64_C(1796464800)	/* 2026-12-05T10:00:00Z */
#define QID	"0005e1a2b3c4d5e6f708192a3b4c5"

/* cli_policy.c's only call outside the pure code it links for us. */
int
cli_connect(struct cli *cli)
{
	(void)cli;
	fail_msg("cli_connect called by a pure function");
	return -1;
}

/* b's bytes as a NUL-terminated string (b keeps room for it). */
static const char *
str(struct buf *b)
{
	assert_int_equal(buf_append(b, "", 1), 0);
	b->len--;
	return b->data;
}

static void
xstrlcpy(char *dst, const char *src, size_t size)
{
	assert_true(strlcpy(dst, src, size) < size);
}

/* ---- the command line --------------------------------------------------- */

static void
test_args(void **state)
{
	static const struct {
		const char	*argv[6];
		enum cli_show_cmd want;
		int		 json, body;
		const char	*err;
	} cases[] = {
		{ { "show", QID }, CLI_SHOW_RUN, 0, 0, NULL },
		{ { "show", "--json", QID, "--body" }, CLI_SHOW_RUN, 1, 1,
		    NULL },
		{ { "show", "--", QID }, CLI_SHOW_RUN, 0, 0, NULL },
		{ { "show", "--help", "../x" }, CLI_SHOW_HELP, 0, 0, NULL },
		{ { "show" }, CLI_SHOW_USAGE, 0, 0, "no message ID" },
		{ { "show", QID, QID }, CLI_SHOW_USAGE, 0, 0,
		    "one message ID" },
		{ { "show", "--", QID, QID }, CLI_SHOW_USAGE, 0, 0,
		    "one message ID" },
		{ { "show", "--body", "--body", QID }, CLI_SHOW_USAGE, 0, 0,
		    "given twice" },
		{ { "show", "--all" }, CLI_SHOW_USAGE, 0, 0,
		    "unknown option --all" },
		{ { "show", "../x" }, CLI_SHOW_BADID, 0, 0,
		    "show: \"../x\": not a queue id (12 to 40 letters and "
		    "digits)" },
		{ { "show", "" }, CLI_SHOW_BADID, 0, 0, "show: \"\": not a" },
		{ { "show", "ABC-DEF-123456" }, CLI_SHOW_BADID, 0, 0,
		    "not a queue id" },
		{ { "show", "-" }, CLI_SHOW_BADID, 0, 0, "not a queue id" },
	};
	struct cli_show_opts o;
	char err[300];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cli_show_cmd r;

		for (argc = 0; argc < 6 && cases[i].argv[argc] != NULL; argc++)
			;
		r = cli_show_args(argc, (char **)(uintptr_t)cases[i].argv, &o,
		    err, sizeof(err));
		if (r != cases[i].want)
			fail_msg("case %zu: %d, want %d: %s", i, r,
			    cases[i].want, err);
		if (cases[i].err != NULL && strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: err %s", i, err);
		if (r != CLI_SHOW_RUN)
			continue;
		assert_string_equal(o.id, QID);
		assert_int_equal(o.json, cases[i].json);
		assert_int_equal(o.body, cases[i].body);
	}
}

static void
test_header_len(void **state)
{
	static const struct {
		const char	*in;
		size_t		 want;
	} cases[] = {
		{ "", 0 },
		{ "\n", 1 },
		{ "\r\n", 2 },
		{ "A: b\r\n\r\nbody", 8 },
		{ "A: b\nC: d\n\nbody\n\nmore", 11 },
		{ "A: b\r\n\tfold\r\n\r\n", 15 },
		{ "A: b\r\nno end", 12 },
		{ "A: b\r\n\r", 7 },
		{ "A: b\n\r\n", 7 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cli_show_header_len(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("case %zu: %zu", i, cli_show_header_len(
			    cases[i].in, strlen(cases[i].in)));
}

/* ---- the output --------------------------------------------------------- */

/* A message of two recipients: bob deferred by DANE, carol sent. */
static void
mkenv(struct envelope *e, int held)
{
	struct envelope_rcpt *r;

	envelope_init(e);
	xstrlcpy(e->id, QID, sizeof(e->id));
	e->arrival = NOW - 7500;		/* 2 h 5 min ago */
	e->size = 1234;
	xstrlcpy(e->from, "alice@example.org", sizeof(e->from));
	e->body = ENVELOPE_BODY_8BITMIME;
	e->requiretls = 1;
	e->ret = ENVELOPE_RET_HDRS;
	xstrlcpy(e->envid, "QQ314", sizeof(e->envid));
	xstrlcpy(e->client_ip, "192.0.2.1", sizeof(e->client_ip));
	xstrlcpy(e->client_helo, "mx.example.org", sizeof(e->client_helo));
	xstrlcpy(e->client_tls, "TLSv1.3:TLS_AES_256_GCM_SHA384",
	    sizeof(e->client_tls));
	if (held) {
		e->held = NOW - 3600;
		e->held_total = 600;
	}
	assert_non_null(r = envelope_add_rcpt(e, "bob@example.net"));
	r->state = ENVELOPE_RCPT_DEFERRED;
	r->attempts = 2;
	r->last_attempt = NOW - 3000;
	r->next_retry = NOW + 3900;
	r->error.code = 451;
	xstrlcpy(r->error.dsn, "4.7.5", sizeof(r->error.dsn));
	xstrlcpy(r->error.text, "no TLSA record matches",
	    sizeof(r->error.text));
	xstrlcpy(r->failure, "tlsa-invalid", sizeof(r->failure));
	xstrlcpy(r->mx, "mx1.example.net", sizeof(r->mx));
	xstrlcpy(r->policy, "dane", sizeof(r->policy));
	assert_non_null(r = envelope_add_rcpt(e, "carol@example.com"));
	r->state = ENVELOPE_RCPT_SENT;
	r->attempts = 1;
	r->last_attempt = NOW - 7490;
}

/* The envelope's text form into b. */
static void
putenv_text(struct buf *b, const struct envelope *e)
{
	char *p;
	size_t len;

	assert_non_null(p = buf_reserve(b, 65536));
	assert_int_equal(envelope_write(e, p, 65536, &len), 0);
	buf_commit(b, len);
}

/* One history line into b. */
static void
puthist(struct buf *b, int64_t t, uint32_t n, uint32_t rcpt,
    enum history_result res, int code, const char *dsn, const char *failure,
    const char *src, const char *text)
{
	struct history_rec r;
	char *p;
	int len;

	memset(&r, 0, sizeof(r));
	r.time = t;
	r.attempt = n;
	r.rcpt = rcpt;
	r.result = res;
	r.code = code;
	xstrlcpy(r.dsn, dsn, sizeof(r.dsn));
	xstrlcpy(r.failure, failure, sizeof(r.failure));
	xstrlcpy(r.policy, src[0] ? "dane" : "encrypt", sizeof(r.policy));
	xstrlcpy(r.policy_src, src, sizeof(r.policy_src));
	xstrlcpy(r.mx, rcpt == 0 ? "mx1.example.net" : "mx.example.com",
	    sizeof(r.mx));
	xstrlcpy(r.ip, rcpt == 0 ? "192.0.2.10" : "192.0.2.20", sizeof(r.ip));
	xstrlcpy(r.tls, "TLSv1.3", sizeof(r.tls));
	xstrlcpy(r.cipher, "TLS_AES_256_GCM_SHA384", sizeof(r.cipher));
	xstrlcpy(r.verify, res == HISTORY_SENT ? "pkix" : "none",
	    sizeof(r.verify));
	xstrlcpy(r.cert, "ab12cd", sizeof(r.cert));
	xstrlcpy(r.text, text, sizeof(r.text));
	assert_non_null(p = buf_reserve(b, HISTORY_LINE_MAX));
	assert_true((len = history_format(&r, p, HISTORY_LINE_MAX)) > 0);
	buf_commit(b, (size_t)len);
}

struct fixture {
	struct buf	env, hist;
	const char	*content;
};

static void
mkfixture(struct fixture *f, int held)
{
	struct envelope e;

	buf_init(&f->env, 1 << 20);
	buf_init(&f->hist, 1 << 20);
	mkenv(&e, held);
	putenv_text(&f->env, &e);
	envelope_free(&e);
	puthist(&f->hist, NOW - 7490, 1, 1, HISTORY_SENT, 250, "2.0.0", "",
	    "", "ok: queued as 12AB");
	puthist(&f->hist, NOW - 7490, 1, 0, HISTORY_DEFERRED, 451, "4.7.5",
	    "tlsa-invalid", "dane", "no TLSA record matches");
	assert_int_equal(buf_puts(&f->hist, "attempt garbage\n"), 0);
	puthist(&f->hist, NOW - 3000, 2, 0, HISTORY_DEFERRED, 451, "4.7.5",
	    "tlsa-invalid", "dane", "no TLSA record matches");
	puthist(&f->hist, NOW - 3000, 2, 7, HISTORY_DEFERRED, 451, "4.7.5",
	    "", "", "x");
	f->content = "Received: from mx.example.org\r\n\tby us\r\n"
	    "Subject: caf\xc3\xa9 \xff\x1b[2J\r\n\r\nHello\r\nBob\r\n";
}

static void
freefixture(struct fixture *f)
{
	buf_free(&f->env);
	buf_free(&f->hist);
}

static int
show(struct buf *out, const struct fixture *f, int json, int body)
{
	struct cli_show_in in;
	char why[200];

	memset(&in, 0, sizeof(in));
	in.env = f->env.data;
	in.envlen = f->env.len;
	in.hist = f->hist.data;
	in.histlen = f->hist.len;
	in.content = f->content;
	in.contentlen = strlen(f->content);
	in.json = json;
	in.body = body;
	in.now = NOW;
	buf_reset(out);
	return cli_show_fmt(out, &in, why, sizeof(why));
}

static const char want_text[] =
    "id         " QID "\n"
    "arrival    2026-12-05 07:55:00 +0000 (2 h 5 min ago)\n"
    "size       1234 octets\n"
    "from       <alice@example.org>\n"
    "client     192.0.2.1 helo=mx.example.org "
    "tls=TLSv1.3:TLS_AES_256_GCM_SHA384\n"
    "options    requiretls, ret=hdrs, envid=QQ314, body=8bitmime\n"
    "recipient  bob@example.net\n"
    "  state    deferred, 2 attempts, last 2026-12-05 09:10:00 +0000, "
    "next try 2026-12-05 11:05:00 +0000\n"
    "  last     451 4.7.5 tlsa-invalid (dane) at mx1.example.net: no TLSA "
    "record matches\n"
    "  attempt 1  2026-12-05 07:55:10 +0000  deferred 451 4.7.5 "
    "tlsa-invalid (dane)\n"
    "             mx1.example.net [192.0.2.10] TLSv1.3 "
    "TLS_AES_256_GCM_SHA384\n"
    "             policy=dane verify=none cert=ab12cd\n"
    "             no TLSA record matches\n"
    "  attempt 2  2026-12-05 09:10:00 +0000  deferred 451 4.7.5 "
    "tlsa-invalid (dane)\n"
    "             mx1.example.net [192.0.2.10] TLSv1.3 "
    "TLS_AES_256_GCM_SHA384\n"
    "             policy=dane verify=none cert=ab12cd\n"
    "             no TLSA record matches\n"
    "recipient  carol@example.com\n"
    "  state    sent, 1 attempt, last 2026-12-05 07:55:10 +0000\n"
    "  attempt 1  2026-12-05 07:55:10 +0000  sent 250 2.0.0\n"
    "             mx.example.com [192.0.2.20] TLSv1.3 "
    "TLS_AES_256_GCM_SHA384\n"
    "             policy=encrypt verify=pkix cert=ab12cd\n"
    "             ok: queued as 12AB\n";

static void
test_text(void **state)
{
	struct fixture f;
	struct buf out;
	const char *s;

	(void)state;
	mkfixture(&f, 0);
	buf_init(&out, 1 << 20);
	assert_int_equal(show(&out, &f, 0, 0), 0);
	s = str(&out);
	if (strncmp(s, want_text, strlen(want_text)) != 0)
		fail_msg("got\n%s\nwant\n%s", s, want_text);
	s += strlen(want_text);
	/* the unreadable lines, then the header: cleaned, tabs expanded */
	assert_non_null(strstr(s, "  (unreadable history line 3: "));
	assert_non_null(strstr(s, "  (unreadable history line 5: recipient 7 "
	    "is not in the envelope)\n"));
	assert_non_null(strstr(s, "header\n"
	    "  Received: from mx.example.org\n"
	    "      by us\n"
	    "  Subject: caf\xc3\xa9 ??[2J\n"));
	assert_null(strstr(s, "body\n"));
	assert_null(strstr(s, "Hello"));
	/* --body */
	assert_int_equal(show(&out, &f, 0, 1), 0);
	assert_non_null(strstr(str(&out), "?[2J\nbody\n  Hello\n  Bob\n"));
	freefixture(&f);

	/* held: since when, for how long before, no next try */
	mkfixture(&f, 1);
	assert_int_equal(show(&out, &f, 0, 0), 0);
	s = str(&out);
	assert_non_null(strstr(s, "held       since 2026-12-05 09:00:00 +0000 "
	    "(1 h 0 min ago)\n           held before: 10 min in all\n"));
	assert_non_null(strstr(s, "  state    deferred (held), 2 attempts, "
	    "last 2026-12-05 09:10:00 +0000\n"));
	assert_null(strstr(s, "next try"));
	freefixture(&f);
	buf_free(&out);
}

static void
test_json(void **state)
{
	struct fixture f;
	struct buf out;
	const char *s;

	(void)state;
	mkfixture(&f, 1);
	buf_init(&out, 1 << 20);
	assert_int_equal(show(&out, &f, 1, 1), 0);
	s = str(&out);
	assert_non_null(strstr(s, "{\"id\":\"" QID "\","
	    "\"arrival\":\"2026-12-05T07:55:00Z\",\"size\":1234,"
	    "\"from\":\"alice@example.org\",\"client\":{\"ip\":\"192.0.2.1\","
	    "\"helo\":\"mx.example.org\","
	    "\"tls\":\"TLSv1.3:TLS_AES_256_GCM_SHA384\",\"user\":null},"
	    "\"active\":false,\"requiretls\":true,\"ret\":\"hdrs\","
	    "\"envid\":\"QQ314\",\"held\":\"2026-12-05T09:00:00Z\","
	    "\"held_total\":600,\"recipients\":["
	    "{\"address\":\"bob@example.net\",\"state\":\"deferred\","
	    "\"attempts\":2,\"last_attempt\":\"2026-12-05T09:10:00Z\","
	    "\"next_retry\":\"2026-12-05T11:05:00Z\",\"code\":451,"
	    "\"dsn\":\"4.7.5\",\"failure\":\"tlsa-invalid\","
	    "\"policy\":\"dane\","
	    "\"mx\":\"mx1.example.net\",\"text\":\"no TLSA record matches\","
	    "\"history\":[{\"attempt\":1,\"time\":\"2026-12-05T07:55:10Z\","
	    "\"result\":\"deferred\",\"code\":451,\"dsn\":\"4.7.5\","
	    "\"failure\":\"tlsa-invalid\",\"policy\":\"dane\","
	    "\"policy_src\":\"dane\",\"mx\":\"mx1.example.net\","
	    "\"ip\":\"192.0.2.10\",\"tls\":\"TLSv1.3\","
	    "\"cipher\":\"TLS_AES_256_GCM_SHA384\",\"verify\":\"none\","
	    "\"cert\":\"ab12cd\",\"tls_fail\":null,"
	    "\"text\":\"no TLSA record matches\"},{\"attempt\":2,"));
	assert_non_null(strstr(s, "]},{\"address\":\"carol@example.com\","
	    "\"state\":\"sent\",\"attempts\":1,"
	    "\"last_attempt\":\"2026-12-05T07:55:10Z\",\"next_retry\":null,"
	    "\"code\":null,\"dsn\":null,\"failure\":null,\"policy\":null,"
	    "\"mx\":null,\"text\":null,\"history\":[{\"attempt\":1,"));
	assert_non_null(strstr(s, "\"unreadable_history\":[{\"line\":3,"
	    "\"why\":\""));
	assert_non_null(strstr(s, "{\"line\":5,\"why\":\"recipient 7 is not "
	    "in the envelope\"}],"));
	/* non-UTF-8 bytes become U+FFFD, controls are escaped */
	assert_non_null(strstr(s, "\"header\":\"Received: from "
	    "mx.example.org\\r\\n\\tby us\\r\\nSubject: caf\xc3\xa9 "
	    "\\ufffd\\u001b[2J\\r\\n\",\"body\":\"Hello\\r\\nBob\\r\\n\"}\n"));
	/* one line, one object */
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	/* without --body, no body key */
	assert_int_equal(show(&out, &f, 1, 0), 0);
	assert_null(strstr(str(&out), "\"body\""));
	freefixture(&f);
	buf_free(&out);
}

static void
test_edges(void **state)
{
	struct fixture f;
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 20);
	/* no history, no content */
	mkfixture(&f, 0);
	buf_reset(&f.hist);
	f.content = "";
	assert_int_equal(show(&out, &f, 0, 1), 0);
	assert_non_null(strstr(str(&out), "header\nbody\n"));
	assert_null(strstr(str(&out), "  attempt "));
	assert_int_equal(show(&out, &f, 1, 1), 0);
	assert_non_null(strstr(str(&out), "\"history\":[]"));
	assert_non_null(strstr(str(&out), "\"unreadable_history\":[],"
	    "\"header\":\"\",\"body\":\"\"}\n"));
	/* a history cut in its last line: the rest is still shown */
	freefixture(&f);
	mkfixture(&f, 0);
	f.hist.len -= 10;
	assert_int_equal(show(&out, &f, 0, 0), 0);
	assert_non_null(strstr(str(&out), "(unreadable history line 5: "));
	assert_non_null(strstr(str(&out), "  attempt 2  "));
	/* an envelope that does not parse */
	f.env.len -= 4;
	assert_int_equal(show(&out, &f, 0, 0), -2);
	freefixture(&f);
	/* a header only message without an empty line */
	mkfixture(&f, 0);
	f.content = "Subject: x\n";
	assert_int_equal(show(&out, &f, 0, 1), 0);
	assert_non_null(strstr(str(&out), "header\n  Subject: x\nbody\n"));
	freefixture(&f);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_header_len),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_edges),
	};

	if (setenv("TZ", "UTC", 1) == -1)
		return 1;
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
