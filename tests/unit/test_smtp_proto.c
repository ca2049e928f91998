/*
 * test_smtp_proto.c: unit tests for mta/smtp_proto.c (command lines,
 * reply formatting, reply parsing and accumulation).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtp/smtp_proto.h"

struct cmd_case {
	const char		*in;
	int			 code;		/* 0: ok */
	const char		*dsn;
	enum smtp_proto_verb	 verb;
	const char		*arg;		/* NULL: no argument */
};

static const struct cmd_case cmd_cases[] = {
	/* every verb, in several cases */
	{ "HELO mx.example.org", 0, NULL, SMTP_PROTO_HELO, "mx.example.org" },
	{ "helo mx.example.org", 0, NULL, SMTP_PROTO_HELO, "mx.example.org" },
	{ "EHLO mx.example.org", 0, NULL, SMTP_PROTO_EHLO, "mx.example.org" },
	{ "eHlO [192.0.2.1]", 0, NULL, SMTP_PROTO_EHLO, "[192.0.2.1]" },
	{ "EHLO [IPv6:2001:db8::1]", 0, NULL, SMTP_PROTO_EHLO,
	    "[IPv6:2001:db8::1]" },
	{ "EHLO localhost", 0, NULL, SMTP_PROTO_EHLO, "localhost" },
	{ "EHLO my_pc.lan", 0, NULL, SMTP_PROTO_EHLO, "my_pc.lan" },
	{ "EHLO 192.0.2.1", 0, NULL, SMTP_PROTO_EHLO, "192.0.2.1" },
	{ "EHLO mx.example.org ", 0, NULL, SMTP_PROTO_EHLO, "mx.example.org" },
	{ "MAIL FROM:<a@b.example>", 0, NULL, SMTP_PROTO_MAIL,
	    "<a@b.example>" },
	{ "mail from:<a@b.example> SIZE=1", 0, NULL, SMTP_PROTO_MAIL,
	    "<a@b.example> SIZE=1" },
	{ "MAIL FROM: <a@b.example>", 0, NULL, SMTP_PROTO_MAIL,
	    "<a@b.example>" },
	{ "MAIL From:<>", 0, NULL, SMTP_PROTO_MAIL, "<>" },
	{ "MAIL FROM:", 0, NULL, SMTP_PROTO_MAIL, "" },
	{ "RCPT TO:<a@b.example>", 0, NULL, SMTP_PROTO_RCPT, "<a@b.example>" },
	{ "rcpt to: <a@b.example> NOTIFY=NEVER", 0, NULL, SMTP_PROTO_RCPT,
	    "<a@b.example> NOTIFY=NEVER" },
	{ "DATA", 0, NULL, SMTP_PROTO_DATA, NULL },
	{ "data", 0, NULL, SMTP_PROTO_DATA, NULL },
	{ "DATA ", 0, NULL, SMTP_PROTO_DATA, NULL },
	{ "RSET", 0, NULL, SMTP_PROTO_RSET, NULL },
	{ "NOOP", 0, NULL, SMTP_PROTO_NOOP, NULL },
	{ "noop hello there", 0, NULL, SMTP_PROTO_NOOP, "hello there" },
	{ "QUIT", 0, NULL, SMTP_PROTO_QUIT, NULL },
	{ "Quit  ", 0, NULL, SMTP_PROTO_QUIT, NULL },
	{ "VRFY postmaster", 0, NULL, SMTP_PROTO_VRFY, "postmaster" },
	{ "HELP", 0, NULL, SMTP_PROTO_HELP, NULL },
	{ "HELP MAIL", 0, NULL, SMTP_PROTO_HELP, "MAIL" },
	{ "STARTTLS", 0, NULL, SMTP_PROTO_STARTTLS, NULL },
	{ "starttls", 0, NULL, SMTP_PROTO_STARTTLS, NULL },
	{ "AUTH PLAIN", 0, NULL, SMTP_PROTO_AUTH, "PLAIN" },
	{ "AUTH PLAIN AGpvZQBzZWNyZXQ=", 0, NULL, SMTP_PROTO_AUTH,
	    "PLAIN AGpvZQBzZWNyZXQ=" },
	{ "BDAT 100 LAST", 0, NULL, SMTP_PROTO_BDAT, "100 LAST" },
	{ "bdat", 0, NULL, SMTP_PROTO_BDAT, NULL },
	/* arguments where none are allowed */
	{ "DATA x", 501, "5.5.4", 0, NULL },
	{ "RSET x", 501, "5.5.4", 0, NULL },
	{ "QUIT now", 501, "5.5.4", 0, NULL },
	{ "STARTTLS x", 501, "5.5.4", 0, NULL },
	{ "DATA  x", 501, "5.5.4", 0, NULL },
	/* missing arguments */
	{ "HELO", 501, "5.5.4", 0, NULL },
	{ "EHLO", 501, "5.5.4", 0, NULL },
	{ "EHLO ", 501, "5.5.4", 0, NULL },
	{ "VRFY", 501, "5.5.4", 0, NULL },
	{ "AUTH", 501, "5.5.4", 0, NULL },
	{ "MAIL", 501, "5.5.2", 0, NULL },
	{ "RCPT", 501, "5.5.2", 0, NULL },
	/* bad HELO/EHLO arguments */
	{ "EHLO  mx.example.org", 501, "5.5.4", 0, NULL },
	{ "EHLO mx.example.org junk", 501, "5.5.4", 0, NULL },
	{ "EHLO mx..example.org", 501, "5.5.4", 0, NULL },
	{ "EHLO .example.org", 501, "5.5.4", 0, NULL },
	{ "EHLO example.org.", 501, "5.5.4", 0, NULL },
	{ "EHLO -x.example.org", 501, "5.5.4", 0, NULL },
	{ "EHLO x-.example.org", 501, "5.5.4", 0, NULL },
	{ "EHLO ex\xc3\xa4mple.org", 501, "5.5.4", 0, NULL },
	{ "EHLO [192.0.2.300]", 501, "5.5.4", 0, NULL },
	{ "EHLO [192.0.2.1", 501, "5.5.4", 0, NULL },
	{ "EHLO [2001:db8::1]", 501, "5.5.4", 0, NULL },
	{ "EHLO [IPv6:2001:db8::zz]", 501, "5.5.4", 0, NULL },
	{ "EHLO []", 501, "5.5.4", 0, NULL },
	{ "EHLO <script>", 501, "5.5.4", 0, NULL },
	{ "HELO a@b", 501, "5.5.4", 0, NULL },
	/* bad MAIL/RCPT keywords */
	{ "MAIL TO:<a@b.example>", 501, "5.5.2", 0, NULL },
	{ "MAIL FROM <a@b.example>", 501, "5.5.2", 0, NULL },
	{ "MAIL  FROM:<a@b.example>", 501, "5.5.2", 0, NULL },
	{ "MAIL FROMA:<a@b.example>", 501, "5.5.2", 0, NULL },
	{ "RCPT FROM:<a@b.example>", 501, "5.5.2", 0, NULL },
	{ "RCPT TO <a@b.example>", 501, "5.5.2", 0, NULL },
	/* unknown commands */
	{ "", 500, "5.5.2", 0, NULL },
	{ " ", 500, "5.5.2", 0, NULL },
	{ " HELO x", 500, "5.5.2", 0, NULL },
	{ "HELOx", 500, "5.5.2", 0, NULL },
	{ "HEL", 500, "5.5.2", 0, NULL },
	{ "HELO\tx", 500, "5.5.2", 0, NULL },
	{ "MAIL:FROM:<a@b>", 500, "5.5.2", 0, NULL },
	{ "ETRN example.org", 500, "5.5.2", 0, NULL },
	{ "EXPN list", 500, "5.5.2", 0, NULL },
	{ "GET / HTTP/1.0", 500, "5.5.2", 0, NULL },
	{ "X", 500, "5.5.2", 0, NULL },
	/* control bytes */
	{ "NOOP a\rb", 500, "5.5.2", 0, NULL },
	{ "NOOP a\nb", 500, "5.5.2", 0, NULL },
	{ "QUIT\r", 500, "5.5.2", 0, NULL },
	{ "\nQUIT", 500, "5.5.2", 0, NULL },
};

static void
test_cmd_table(void **state)
{
	struct smtp_proto_cmd	cmd;
	struct reason		why;
	size_t			i;
	int			r;

	(void)state;
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];

		memset(&why, 0, sizeof(why));
		r = smtp_proto_parse_cmd(c->in, strlen(c->in), 0, &cmd, &why);
		if (c->code == 0) {
			if (r != 0)
				fail_msg("cmd case %zu (%s): %d %s %s", i,
				    c->in, why.code, why.dsn, why.text);
			assert_int_equal(cmd.verb, c->verb);
			if (c->arg == NULL) {
				if (cmd.arglen != 0 || cmd.arg != NULL)
					fail_msg("cmd case %zu: unexpected arg",
					    i);
			} else {
				if (cmd.arglen != strlen(c->arg) ||
				    memcmp(cmd.arg, c->arg, cmd.arglen) != 0)
					fail_msg("cmd case %zu (%s): arg "
					    "\"%.*s\"", i, c->in,
					    (int)cmd.arglen, cmd.arg);
				assert_true(cmd.arg >= c->in &&
				    cmd.arg + cmd.arglen <= c->in +
				    strlen(c->in));
			}
		} else {
			if (r != -1 || why.code != c->code ||
			    strcmp(why.dsn, c->dsn) != 0)
				fail_msg("cmd case %zu (%s): got %d %d %s", i,
				    c->in, r, why.code, why.dsn);
			assert_true(why.text[0] != '\0');
		}
	}
}

static void
test_cmd_special(void **state)
{
	struct smtp_proto_cmd	 cmd;
	struct reason		 why;
	char			 line[1200];
	size_t			 n;

	(void)state;
	/* the unknown-command text is the documented one */
	assert_int_equal(smtp_proto_parse_cmd("FOO", 3, 0, &cmd, &why), -1);
	assert_string_equal(why.text, "Error: command not recognized");
	/* NUL inside */
	assert_int_equal(smtp_proto_parse_cmd("NOOP a\0b", 8, 0, &cmd, &why), -1);
	assert_int_equal(why.code, 500);
	assert_int_equal(smtp_proto_parse_cmd("QUIT\0", 5, 0, &cmd, &why), -1);
	/* not NUL-terminated: only len counts */
	assert_int_equal(smtp_proto_parse_cmd("QUITXYZ", 4, 0, &cmd, &why), 0);
	assert_int_equal(cmd.verb, SMTP_PROTO_QUIT);
	/* why may be NULL */
	assert_int_equal(smtp_proto_parse_cmd("FOO", 3, 0, &cmd, NULL), -1);

	/* line length: 510 + CRLF = 512 ok, 511 not; also far longer */
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', sizeof(line) - 5);
	n = 510;
	assert_int_equal(smtp_proto_parse_cmd(line, n, 0, &cmd, &why), 0);
	assert_int_equal(cmd.arglen, 505);
	assert_int_equal(smtp_proto_parse_cmd(line, n + 1, 0, &cmd, &why), -1);
	assert_int_equal(why.code, 500);
	assert_string_equal(why.dsn, "5.5.2");
	assert_string_equal(why.text, "Line too long");
	assert_int_equal(smtp_proto_parse_cmd(line, sizeof(line), 0, &cmd, &why),
	    -1);
	assert_string_equal(why.text, "Line too long");
	/* MAIL at the limit */
	memcpy(line, "MAIL FROM:<", 11);
	memset(line + 11, 'a', 498);
	line[509] = '>';
	assert_int_equal(smtp_proto_parse_cmd(line, 510, 0, &cmd, &why), 0);
	assert_int_equal(cmd.verb, SMTP_PROTO_MAIL);
	assert_int_equal(cmd.arglen, 500);

	/* EHLO domain: 255 ok, 256 not */
	memcpy(line, "EHLO ", 5);
	for (n = 0; n < 256; n++)
		line[5 + n] = (n % 64 == 63) ? '.' : 'a';
	assert_int_equal(smtp_proto_parse_cmd(line, 5 + 255, 0, &cmd, &why), 0);
	line[5 + 255] = 'a';
	assert_int_equal(smtp_proto_parse_cmd(line, 5 + 256, 0, &cmd, &why), -1);
	assert_int_equal(why.code, 501);
	/* label 63 ok, 64 not */
	memset(line + 5, 'b', 64);
	assert_int_equal(smtp_proto_parse_cmd(line, 5 + 63, 0, &cmd, &why), 0);
	assert_int_equal(smtp_proto_parse_cmd(line, 5 + 64, 0, &cmd, &why), -1);

	/* verb names */
	assert_string_equal(smtp_proto_verb_name(SMTP_PROTO_STARTTLS),
	    "STARTTLS");
	assert_string_equal(smtp_proto_verb_name(SMTP_PROTO_BDAT), "BDAT");
	assert_string_equal(smtp_proto_verb_name(SMTP_PROTO_NONE), "?");
}

static void
test_reply_format(void **state)
{
	char			 buf[1024];
	const char *const	 one[] = { "Ok" };
	const char *const	 ehlo[] = { "mx.example.org", "PIPELINING",
	    "8BITMIME", "STARTTLS" };
	const char *const	 bad1[] = { "a\r\nb" };
	const char *const	 bad2[] = { "ok", "a\nb" };
	const char *const	 bad3[] = { "a\x01" };
	const char *const	 bad4[] = { "caf\xc3\xa9" };
	const char *const	 bad5[] = { NULL };
	const char *const	 tab[] = { "a\tb" };
	const char *const	 empty[] = { "" };
	const char		*big[1] = { NULL };
	char			 longtxt[600];
	struct reason		 why;
	int			 n;

	(void)state;
	n = smtp_proto_reply(buf, sizeof(buf), 250, "2.0.0", one, 1);
	assert_string_equal(buf, "250 2.0.0 Ok\r\n");
	assert_int_equal(n, 14);
	n = smtp_proto_reply(buf, sizeof(buf), 250, NULL, ehlo, 4);
	assert_string_equal(buf, "250-mx.example.org\r\n250-PIPELINING\r\n"
	    "250-8BITMIME\r\n250 STARTTLS\r\n");
	assert_int_equal(n, (int)strlen(buf));
	n = smtp_proto_reply(buf, sizeof(buf), 550, "5.7.1", ehlo, 2);
	assert_string_equal(buf, "550-5.7.1 mx.example.org\r\n"
	    "550 5.7.1 PIPELINING\r\n");
	n = smtp_proto_reply(buf, sizeof(buf), 220, "", one, 1);
	assert_string_equal(buf, "220 Ok\r\n");
	n = smtp_proto_reply(buf, sizeof(buf), 354, NULL, NULL, 0);
	assert_string_equal(buf, "354\r\n");
	n = smtp_proto_reply(buf, sizeof(buf), 250, "2.0.0", NULL, 0);
	assert_string_equal(buf, "250 2.0.0\r\n");
	n = smtp_proto_reply(buf, sizeof(buf), 250, "2.0.0", empty, 1);
	assert_string_equal(buf, "250 2.0.0\r\n");
	n = smtp_proto_reply(buf, sizeof(buf), 250, NULL, tab, 1);
	assert_string_equal(buf, "250 a\tb\r\n");
	assert_int_equal(n, 9);

	/* refused */
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, bad1,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, bad2,
	    2), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, bad3,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, bad4,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, bad5,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 199, NULL, one,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 600, NULL, one,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, "5.0.0", one,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, "2.0", one,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, "2.0.0 x",
	    one, 1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, "2.1234.0",
	    one, 1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, "2..0", one,
	    1), -1);
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 550, "5.123.456",
	    one, 1), 18);
	/* exact fit: 14 octets + NUL */
	assert_int_equal(smtp_proto_reply(buf, 15, 250, "2.0.0", one, 1), 14);
	assert_int_equal(smtp_proto_reply(buf, 14, 250, "2.0.0", one, 1), -1);
	assert_int_equal(smtp_proto_reply(buf, 0, 250, "2.0.0", one, 1), -1);
	/* reply line limit 512 with CRLF: "250 " + 506 + CRLF = 512 */
	memset(longtxt, 'x', sizeof(longtxt));
	longtxt[506] = '\0';
	big[0] = longtxt;
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, big, 1),
	    512);
	longtxt[506] = 'x';
	longtxt[507] = '\0';
	assert_int_equal(smtp_proto_reply(buf, sizeof(buf), 250, NULL, big, 1),
	    -1);

	/* from a reason */
	why.code = 501;
	assert_int_equal(strlcpy(why.dsn, "5.5.4", sizeof(why.dsn)), 5);
	assert_true(strlcpy(why.text, "Syntax error", sizeof(why.text)) <
	    sizeof(why.text));
	n = smtp_proto_reply_reason(buf, sizeof(buf), &why);
	assert_string_equal(buf, "501 5.5.4 Syntax error\r\n");
	assert_int_equal(n, 24);
}

struct rline_case {
	const char	*in;
	int		 ok;
	int		 code;
	int		 more;
	const char	*text;
};

static const struct rline_case rline_cases[] = {
	{ "250 OK", 1, 250, 0, "OK" },
	{ "250-PIPELINING", 1, 250, 1, "PIPELINING" },
	{ "250", 1, 250, 0, "" },
	{ "250 ", 1, 250, 0, "" },
	{ "250-", 1, 250, 1, "" },
	{ "220 mx ESMTP", 1, 220, 0, "mx ESMTP" },
	{ "354 go ahead", 1, 354, 0, "go ahead" },
	{ "421 4.3.2 bye", 1, 421, 0, "4.3.2 bye" },
	{ "559 x", 1, 559, 0, "x" },
	{ "599 x", 0, 0, 0, NULL }, { "569 x", 0, 0, 0, NULL },
	{ "200 x", 1, 200, 0, "x" },
	{ "250  two spaces", 1, 250, 0, " two spaces" },
	{ "199 x", 0, 0, 0, NULL }, { "600 x", 0, 0, 0, NULL },
	{ "260 x", 0, 0, 0, NULL }, { "100 x", 0, 0, 0, NULL },
	{ "25 x", 0, 0, 0, NULL }, { "25", 0, 0, 0, NULL },
	{ "", 0, 0, 0, NULL }, { "2500 x", 0, 0, 0, NULL },
	{ "250x", 0, 0, 0, NULL }, { "250\tx", 0, 0, 0, NULL },
	{ "25a x", 0, 0, 0, NULL }, { " 250 x", 0, 0, 0, NULL },
	{ "250 a\rb", 0, 0, 0, NULL }, { "250 a\n", 0, 0, 0, NULL },
	{ "-250 x", 0, 0, 0, NULL }, { "2.5 x", 0, 0, 0, NULL },
};

static void
test_reply_line(void **state)
{
	const char	*text;
	size_t		 textlen, i;
	int		 code, more, r;
	char		 big[SMTP_PROTO_REPLY_LINE_MAX + 2];

	(void)state;
	for (i = 0; i < sizeof(rline_cases) / sizeof(rline_cases[0]); i++) {
		const struct rline_case *c = &rline_cases[i];

		r = smtp_proto_parse_reply_line(c->in, strlen(c->in), &code,
		    &more, &text, &textlen);
		if (!c->ok) {
			if (r != -1)
				fail_msg("rline %zu (%s) accepted", i, c->in);
			continue;
		}
		if (r != 0)
			fail_msg("rline %zu (%s) refused", i, c->in);
		assert_int_equal(code, c->code);
		assert_int_equal(more, c->more);
		assert_int_equal(textlen, strlen(c->text));
		assert_memory_equal(text, c->text, textlen);
	}
	assert_int_equal(smtp_proto_parse_reply_line("250 a\0b", 7, &code,
	    &more, &text, &textlen), -1);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'x', sizeof(big) - 4);
	assert_int_equal(smtp_proto_parse_reply_line(big,
	    SMTP_PROTO_REPLY_LINE_MAX, &code, &more, &text, &textlen), 0);
	assert_int_equal(smtp_proto_parse_reply_line(big,
	    SMTP_PROTO_REPLY_LINE_MAX + 1, &code, &more, &text, &textlen), -1);
}

static enum smtp_proto_acc_status
feed(struct smtp_proto_reply_acc *acc, const char *s)
{
	return smtp_proto_reply_acc_feed(acc, s, strlen(s));
}

static void
test_reply_acc(void **state)
{
	struct smtp_proto_reply_acc	acc;
	char				line[SMTP_PROTO_REPLY_LINE_MAX];
	size_t				i;

	(void)state;
	smtp_proto_reply_acc_init(&acc);
	assert_int_equal(feed(&acc, "250-mx.example.org"),
	    SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "250-PIPELINING"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "250 STARTTLS"), SMTP_PROTO_ACC_DONE);
	assert_int_equal(acc.code, 250);
	assert_int_equal(acc.nlines, 3);
	assert_int_equal(acc.len[1], 10);
	assert_memory_equal(acc.text + acc.off[1], "PIPELINING", 10);
	assert_memory_equal(acc.text + acc.off[2], "STARTTLS", 8);
	/* nothing after the end */
	assert_int_equal(feed(&acc, "250 again"), SMTP_PROTO_ACC_ERROR);
	assert_non_null(acc.error);
	assert_int_equal(feed(&acc, "250 again"), SMTP_PROTO_ACC_ERROR);

	/* single line */
	smtp_proto_reply_acc_init(&acc);
	assert_int_equal(feed(&acc, "221 2.0.0 Bye"), SMTP_PROTO_ACC_DONE);
	assert_int_equal(acc.code, 221);

	/* mixed codes */
	smtp_proto_reply_acc_init(&acc);
	assert_int_equal(feed(&acc, "250-a"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "550 b"), SMTP_PROTO_ACC_ERROR);
	assert_int_equal(feed(&acc, "250 b"), SMTP_PROTO_ACC_ERROR);
	smtp_proto_reply_acc_init(&acc);
	assert_int_equal(feed(&acc, "250-a"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "251-a"), SMTP_PROTO_ACC_ERROR);

	/* malformed line inside */
	smtp_proto_reply_acc_init(&acc);
	assert_int_equal(feed(&acc, "250-a"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "250_b"), SMTP_PROTO_ACC_ERROR);

	/* line cap: 100 lines fine, 101 not */
	smtp_proto_reply_acc_init(&acc);
	for (i = 0; i < SMTP_PROTO_ACC_LINES - 1; i++)
		assert_int_equal(feed(&acc, "250-x"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "250 x"), SMTP_PROTO_ACC_DONE);
	smtp_proto_reply_acc_init(&acc);
	for (i = 0; i < SMTP_PROTO_ACC_LINES; i++)
		assert_int_equal(feed(&acc, "250-x"), SMTP_PROTO_ACC_MORE);
	assert_int_equal(feed(&acc, "250 x"), SMTP_PROTO_ACC_ERROR);

	/* size cap: exactly SMTP_PROTO_ACC_TEXT octets of text fit */
	memcpy(line, "250-", 4);
	memset(line + 4, 'y', sizeof(line) - 4);
	for (int pass = 0; pass < 2; pass++) {
		size_t full = SMTP_PROTO_ACC_TEXT / (sizeof(line) - 4);
		size_t left = SMTP_PROTO_ACC_TEXT - full * (sizeof(line) - 4);

		smtp_proto_reply_acc_init(&acc);
		for (i = 0; i < full; i++)
			assert_int_equal(smtp_proto_reply_acc_feed(&acc, line,
			    sizeof(line)), SMTP_PROTO_ACC_MORE);
		assert_int_equal(smtp_proto_reply_acc_feed(&acc, line,
		    4 + left), SMTP_PROTO_ACC_MORE);
		assert_int_equal(acc.textlen, SMTP_PROTO_ACC_TEXT);
		if (pass == 0)	/* one more octet does not */
			assert_int_equal(feed(&acc, "250 z"),
			    SMTP_PROTO_ACC_ERROR);
		else		/* an empty last line still fits */
			assert_int_equal(feed(&acc, "250"),
			    SMTP_PROTO_ACC_DONE);
	}
}

static void
test_reply_dsn(void **state)
{
	static const struct {
		const char	*text;
		int		 code;
		int		 ok;
		const char	*dsn;
		size_t		 skip;
	} c[] = {
		{ "2.0.0 Ok", 250, 1, "2.0.0", 6 },
		{ "5.7.1 Relay denied", 550, 1, "5.7.1", 6 },
		{ "4.123.456", 451, 1, "4.123.456", 9 },
		{ "5.7.1 x", 450, 0, "", 0 },
		{ "5.7.1x", 550, 0, "", 0 },
		{ "5.7", 550, 0, "", 0 },
		{ "5..1 x", 550, 0, "", 0 },
		{ "5.1234.1 x", 550, 0, "", 0 },
		{ "Ok", 250, 0, "", 0 },
		{ "", 250, 0, "", 0 },
	};
	char	dsn[16];
	size_t	i, skip;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(smtp_proto_reply_dsn(c[i].text,
		    strlen(c[i].text), c[i].code, dsn, &skip), c[i].ok);
		assert_string_equal(dsn, c[i].dsn);
		assert_int_equal(skip, c[i].skip);
	}
}

/*
 * RFC 5321 §4.5.3.1.4 lets extensions raise the 512-octet limit: what the
 * advertised extensions allow is accepted, a line one octet longer is
 * not, and without the extensions the old limit holds (RFC 3461 §4,
 * RFC 1870, RFC 6152, RFC 6531, RFC 4954).
 */
#define EHLO_EXT	(SMTP_PROTO_EXT_SIZE | SMTP_PROTO_EXT_8BITMIME | \
			 SMTP_PROTO_EXT_DSN | SMTP_PROTO_EXT_SMTPUTF8 | \
			 SMTP_PROTO_EXT_REQUIRETLS)

static const struct limit_case {
	const char	*verb;		/* line starts with it, padded */
	unsigned	 ext;
	size_t		 max;		/* with CRLF */
} limit_cases[] = {
	{ "NOOP", EHLO_EXT, 512 },
	{ "HELO", EHLO_EXT, 512 },
	{ "VRFY", EHLO_EXT | SMTP_PROTO_EXT_AUTH, 512 },
	{ "MAIL", 0, 512 },
	{ "MAIL", SMTP_PROTO_EXT_SIZE, 538 },
	{ "MAIL", SMTP_PROTO_EXT_DSN, 612 },
	{ "mail", SMTP_PROTO_EXT_DSN, 612 },
	{ "MAIL", EHLO_EXT, 675 },
	{ "MAIL", EHLO_EXT | SMTP_PROTO_EXT_AUTH, 1175 },
	{ "RCPT", 0, 512 },
	{ "RCPT", SMTP_PROTO_EXT_SIZE, 512 },
	{ "RCPT", SMTP_PROTO_EXT_DSN, 1012 },
	{ "RCPT", EHLO_EXT, 1022 },
	{ "rcpt", EHLO_EXT | SMTP_PROTO_EXT_AUTH, 1022 },
	{ "XYZZ", EHLO_EXT, 512 },
};

static void
test_line_limits(void **state)
{
	struct smtp_proto_cmd cmd;
	struct reason why;
	char line[SMTP_PROTO_LINE_MAX_EXT + 16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];

		memset(line, 'a', sizeof(line));
		memcpy(line, c->verb, 4);
		line[4] = ' ';
		assert_int_equal(smtp_proto_line_max(line, sizeof(line),
		    c->ext), c->max);
		assert_true(c->max <= SMTP_PROTO_LINE_MAX_EXT);
		/* the verb alone decides, even before the line is complete */
		assert_int_equal(smtp_proto_line_max(line, 4, c->ext), c->max);
		if (strcmp(c->verb, "XYZZ") == 0)
			continue;
		/* one octet too long is refused with "Line too long" */
		n = c->max - 2 + 1;
		assert_int_equal(smtp_proto_parse_cmd(line, n, c->ext, &cmd,
		    &why), -1);
		assert_string_equal(why.text, "Line too long");
	}

	/* a 567-octet RCPT with NOTIFY and ORCPT, as a DSN client sends it */
	n = (size_t)snprintf(line, sizeof(line), "RCPT TO:<%.*s@example.org> "
	    "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;", 60,
	    "bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-bob-b");
	memset(line + n, 'x', 565 - n);
	n = 565;
	assert_int_equal(smtp_proto_parse_cmd(line, n, EHLO_EXT, &cmd, &why),
	    0);
	assert_int_equal(cmd.verb, SMTP_PROTO_RCPT);
	/* ... refused after HELO, where no extension was advertised */
	assert_int_equal(smtp_proto_parse_cmd(line, n, 0, &cmd, &why), -1);
	assert_int_equal(why.code, 500);
	/* MAIL with every parameter, 650 octets */
	memset(line, 'y', sizeof(line));
	memcpy(line, "MAIL FROM:<", 11);
	assert_int_equal(smtp_proto_parse_cmd(line, 648, EHLO_EXT, &cmd,
	    &why), 0);
	assert_int_equal(smtp_proto_parse_cmd(line, 648, 0, &cmd, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_cmd_special),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_reply_format),
		cmocka_unit_test(test_reply_line),
		cmocka_unit_test(test_reply_acc),
		cmocka_unit_test(test_reply_dsn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
