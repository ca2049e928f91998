/*
 * test_sendmail_args.c: unit tests for mta/cli/sendmail_args.c, table
 * style: every flag of sendmail(8), clustered and separate values, "--",
 * bad flags, the names mailq and newaliases; input lines (LF, CRLF, bare
 * CR, long lines broken, NUL); -t's header
 * work (folded To/Cc/Bcc, groups, comments, quoted strings, angle
 * addresses, Resent- fields, malformed lists) and the removal of Bcc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sendmail.h"

#define T_MAXARGS	16
/* the rest of a case whose command line is refused */
#define T_BAD		EX_USAGE, 0, 0, 0, NULL, NULL, NULL, 0, NULL

struct args_case {
	const char	*argv[T_MAXARGS];	/* NULL-terminated */
	int		 rc;
	enum sendmail_mode mode;
	int		 extract;
	int		 dot_ends;
	const char	*sender;		/* NULL: no -f */
	const char	*fullname;
	const char	*config;
	size_t		 nrcpt;
	const char	*rcpt0;
};

static const struct args_case args_cases[] = {
	{ { "sendmail", "a@b", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1, NULL, "",
	    NULL, 1, "a@b" },
	{ { "/usr/sbin/sendmail", "-t", NULL }, 0, SENDMAIL_MODE_SEND, 1, 1,
	    NULL, "", NULL, 0, NULL },
	{ { "sendmail", "-t", "-i", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 1, 0,
	    NULL, "", NULL, 1, "x@y" },
	{ { "sendmail", "-ti", "x@y", "z@w", NULL }, 0, SENDMAIL_MODE_SEND, 1,
	    0, NULL, "", NULL, 2, "x@y" },
	{ { "sendmail", "-oi", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 0,
	    NULL, "", NULL, 1, "x@y" },
	{ { "sendmail", "-oem", "-om", "-o7", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 0, 1, NULL, "", NULL, 1, "x@y" },
	{ { "sendmail", "-f", "me@here", "x@y", NULL }, 0, SENDMAIL_MODE_SEND,
	    0, 1, "me@here", "", NULL, 1, "x@y" },
	{ { "sendmail", "-fme@here", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0,
	    1, "me@here", "", NULL, 1, "x@y" },
	{ { "sendmail", "-f", "<me@here>", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 0, 1, "me@here", "", NULL, 1, "x@y" },
	{ { "sendmail", "-f", "<>", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    "", "", NULL, 1, "x@y" },
	{ { "sendmail", "-r", "old@style", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 0, 1, "old@style", "", NULL, 1, "x@y" },
	{ { "sendmail", "-tif", "me@here", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 1, 0, "me@here", "", NULL, 1, "x@y" },
	{ { "sendmail", "-F", "Cron Daemon", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 0, 1, NULL, "Cron Daemon", NULL, 1, "x@y" },
	{ { "sendmail", "-FJo", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    NULL, "Jo", NULL, 1, "x@y" },
	{ { "sendmail", "-C", "/etc/other.conf", "x@y", NULL }, 0,
	    SENDMAIL_MODE_SEND, 0, 1, NULL, "", "/etc/other.conf", 1, "x@y" },
	{ { "sendmail", "-bm", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    NULL, "", NULL, 1, "x@y" },
	{ { "sendmail", "-bs", NULL }, 0, SENDMAIL_MODE_SMTP, 0, 1, NULL, "",
	    NULL, 0, NULL },
	{ { "sendmail", "-bp", NULL }, 0, SENDMAIL_MODE_QUEUE, 0, 1, NULL, "",
	    NULL, 0, NULL },
	{ { "sendmail", "-bD", NULL }, 0, SENDMAIL_MODE_DRAIN, 0, 1, NULL, "",
	    NULL, 0, NULL },
	{ { "sendmail", "-bD", "-d", "-C/x.conf", NULL }, 0,
	    SENDMAIL_MODE_DRAIN, 0, 1, NULL, "", "/x.conf", 0, NULL },
	{ { "sendmail", "-bi", NULL }, 0, SENDMAIL_MODE_ALIASES, 0, 1, NULL,
	    "", NULL, 0, NULL },
	{ { "sendmail", "-I", NULL }, 0, SENDMAIL_MODE_ALIASES, 0, 1, NULL,
	    "", NULL, 0, NULL },
	{ { "sendmail", "-q", NULL }, 0, SENDMAIL_MODE_FLUSH, 0, 1, NULL, "",
	    NULL, 0, NULL },
	{ { "sendmail", "-q30m", NULL }, 0, SENDMAIL_MODE_FLUSH, 0, 1, NULL,
	    "", NULL, 0, NULL },
	{ { "sendmail", "-C/x.conf", "-bp", NULL }, 0, SENDMAIL_MODE_QUEUE, 0,
	    1, NULL, "", "/x.conf", 0, NULL },
	/* what Postfix takes and ignores */
	{ { "sendmail", "-v", "-m", "-n", "-U", "-B", "8BITMIME", "-N",
	    "never", "-V", "env", "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    NULL, "", NULL, 1, "x@y" },
	{ { "sendmail", "-h", "17", "-R", "full", "-Xlog", "-O", "a=b",
	    "x@y", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1, NULL, "", NULL, 1,
	    "x@y" },
	/* -- ends the options: a recipient may start with - */
	{ { "sendmail", "-i", "--", "-odd@y", NULL }, 0, SENDMAIL_MODE_SEND,
	    0, 0, NULL, "", NULL, 1, "-odd@y" },
	/* the first operand ends the options */
	{ { "sendmail", "x@y", "-t", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    NULL, "", NULL, 2, "x@y" },
	/* the names distributions link */
	{ { "/usr/bin/mailq", "-v", "--json", NULL }, 0, SENDMAIL_MODE_QUEUE,
	    0, 1, NULL, "", NULL, 0, NULL },
	{ { "newaliases", NULL }, 0, SENDMAIL_MODE_ALIASES, 0, 1, NULL, "",
	    NULL, 0, NULL },
	/* bad command lines */
	{ { "sendmail", NULL }, T_BAD },
	{ { "sendmail", "-i", NULL }, T_BAD },
	{ { "sendmail", "-z", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-tz", "x@y", NULL }, T_BAD },
	{ { "sendmail", "--help", NULL }, T_BAD },
	{ { "sendmail", "-f", NULL }, T_BAD },
	{ { "sendmail", "x@y", "-F", NULL }, 0, SENDMAIL_MODE_SEND, 0, 1,
	    NULL, "", NULL, 2, "x@y" },
	{ { "sendmail", "-t", "-F", NULL }, T_BAD },
	{ { "sendmail", "-f", "a b@c", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-f", "a<b@c", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-F", "a\nb", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-bx", NULL }, T_BAD },
	{ { "sendmail", "-bd", NULL }, T_BAD },
	/* -bD: sealpostd's maildrop drain; -d only with it */
	{ { "sendmail", "-d", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-bD", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-bsx", NULL }, T_BAD },
	{ { "sendmail", "-o", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-bs", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-bp", "x@y", NULL }, T_BAD },
	{ { "sendmail", "-q", "x@y", NULL }, T_BAD },
	{ { NULL }, T_BAD },
};

static void
test_args(void **state)
{
	struct sendmail_opts o;
	char err[256];
	size_t i;
	int argc, rc;

	(void)state;
	for (i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];

		for (argc = 0; c->argv[argc] != NULL; argc++)
			;
		err[0] = '\0';
		rc = sendmail_args_parse(argc, (char *const *)c->argv, &o, err,
		    sizeof(err));
		if (rc != c->rc)
			fail_msg("case %zu (%s %s): rc %d, want %d (%s)", i,
			    c->argv[0], argc > 1 ? c->argv[1] : "", rc, c->rc,
			    err);
		if (rc != 0) {
			assert_true(err[0] != '\0');
			continue;
		}
		assert_int_equal(o.mode, c->mode);
		assert_int_equal(o.extract, c->extract);
		assert_int_equal(o.dot_ends, c->dot_ends);
		assert_int_equal(o.have_sender, c->sender != NULL);
		if (c->sender != NULL)
			assert_string_equal(o.sender, c->sender);
		assert_string_equal(o.fullname, c->fullname);
		if (c->config == NULL)
			assert_null(o.config);
		else
			assert_string_equal(o.config, c->config);
		if (c->mode != SENDMAIL_MODE_QUEUE || o.rcpt != NULL)
			assert_int_equal(o.nrcpt, c->nrcpt);
		if (c->rcpt0 != NULL)
			assert_string_equal(o.rcpt[0], c->rcpt0);
	}
}

/* ---- input lines ---- */

struct line_case {
	const char	*in;
	size_t		 len;		/* 0: strlen */
	int		 dot_ends;
	int		 rc;
	size_t		 keep;
	size_t		 used;
};

static const struct line_case line_cases[] = {
	{ "hello\nnext", 0, 1, 0, 5, 6 },
	{ "hello\r\nnext", 0, 1, 0, 5, 7 },
	{ "hello", 0, 1, 0, 5, 5 },		/* the last, without end */
	{ "hello\r", 0, 1, 0, 5, 6 },
	{ "\n", 0, 1, 0, 0, 1 },
	{ "\r\n", 0, 1, 0, 0, 2 },
	{ ".\nafter", 0, 1, 1, 1, 2 },
	{ ".\r\n", 0, 1, 1, 1, 3 },
	{ ".", 0, 1, 1, 1, 1 },
	{ ".\n", 0, 0, 0, 1, 2 },		/* -i: a dot is a line */
	{ "..\n", 0, 1, 0, 2, 3 },
	{ ". \n", 0, 1, 0, 2, 3 },
	/* a bare CR ends a line too: SMTP carries only CRLF */
	{ "a\rb\n", 0, 1, 0, 1, 2 },
	{ "\r\r\n", 0, 1, 0, 0, 1 },
	{ ".\rx", 0, 1, 1, 1, 2 },
	/* NUL: binary */
	{ "a\0b\n", 4, 1, -1, 0, 0 },
	{ "\0", 1, 1, -1, 0, 0 },
};

static char long_line[SENDMAIL_LINE_MAX * 2 + 4];

static void
test_line(void **state)
{
	size_t i, keep, used;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *c = &line_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->in);

		keep = used = 0;
		rc = sendmail_line(c->in, len, c->dot_ends, &keep, &used);
		if (rc != c->rc)
			fail_msg("line case %zu: rc %d, want %d", i, rc, c->rc);
		if (rc == -1)
			continue;
		if (keep != c->keep || used != c->used)
			fail_msg("line case %zu: keep %zu used %zu, want %zu "
			    "%zu", i, keep, used, c->keep, c->used);
	}
	/* 998 octets and CRLF: one line, no empty one after it */
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line + SENDMAIL_LINE_MAX, "\r\n", 2);
	assert_int_equal(sendmail_line(long_line, SENDMAIL_LINE_MAX + 2, 1,
	    &keep, &used), 0);
	assert_int_equal(keep, SENDMAIL_LINE_MAX);
	assert_int_equal(used, SENDMAIL_LINE_MAX + 2);
	/* longer: broken at 998, the rest is the next line */
	memset(long_line, 'x', sizeof(long_line));
	assert_int_equal(sendmail_line(long_line, sizeof(long_line), 1, &keep,
	    &used), 0);
	assert_int_equal(keep, SENDMAIL_LINE_MAX);
	assert_int_equal(used, SENDMAIL_LINE_MAX);
	/* the caller passes dot_ends 0 after a break: "x...x." is text */
	long_line[SENDMAIL_LINE_MAX] = '.';
	long_line[SENDMAIL_LINE_MAX + 1] = '\n';
	assert_int_equal(sendmail_line(long_line + SENDMAIL_LINE_MAX, 2, 0,
	    &keep, &used), 0);
}

/* ---- the header: -t, Bcc, the fields sendmail adds ---- */

struct hdr_case {
	const char	*msg;
	int		 rc;		/* of sendmail_hdr_rcpts */
	const char	*rcpts;		/* space-separated, in order */
	const char	*stripped;	/* the header after Bcc removal */
};

static const struct hdr_case hdr_cases[] = {
	{ "To: a@x\r\nSubject: s\r\n\r\nbody\r\n", 0, "a@x",
	    "To: a@x\r\nSubject: s\r\n" },
	{ "to: a@x, b@y\r\nCC: c@z\r\n\r\n", 0, "a@x b@y c@z",
	    "to: a@x, b@y\r\nCC: c@z\r\n" },
	/* folded over lines, Bcc removed with its continuation */
	{ "To: a@x,\r\n b@y,\r\n\tc@z\r\nBcc: hidden@h,\r\n  more@h\r\n"
	    "X: y\r\n\r\n", 0, "a@x b@y c@z hidden@h more@h",
	    "To: a@x,\r\n b@y,\r\n\tc@z\r\nX: y\r\n" },
	/* display names, angle addresses, quoted strings, comments */
	{ "To: \"Doe, John\" <john@x>, Jane (the boss) <jane@y>\r\n\r\n", 0,
	    "john@x jane@y", NULL },
	{ "To: (comment (nested)) plain@x (trailing)\r\n\r\n", 0, "plain@x",
	    NULL },
	{ "To: \"quoted.local\\\"\"@x\r\n\r\n", 0, "\"quoted.local\\\"\"@x",
	    NULL },
	{ "To: <@route1,@route2:user@dest>\r\n\r\n", 0, "user@dest", NULL },
	{ "To: user@[192.0.2.1]\r\n\r\n", 0, "user@[192.0.2.1]", NULL },
	/* groups, empty groups */
	{ "To: team: a@x, \"B\" <b@y>;, c@z\r\n\r\n", 0, "a@x b@y c@z",
	    NULL },
	{ "To: undisclosed-recipients:;\r\nBcc: s@x\r\n\r\n", 0, "s@x",
	    "To: undisclosed-recipients:;\r\n" },
	/* duplicates once, without regard to case */
	{ "To: a@x\r\nCc: A@X, b@y\r\n\r\n", 0, "a@x b@y", NULL },
	/* Resent- fields win when present */
	{ "To: old@x\r\nResent-To: new@y\r\nResent-Bcc: rb@z\r\n"
	    "Bcc: ob@w\r\n\r\n", 0, "new@y rb@z",
	    "To: old@x\r\nResent-To: new@y\r\n" },
	/* fields that are not recipients, and names that only start so */
	{ "From: f@x\r\nReply-To: r@x\r\nToo: t@x\r\nX-To: y@x\r\n"
	    "Bcc-ish: b@x\r\n\r\n", 0, "", NULL },
	/* a body line "To:" is no header */
	{ "Subject: s\r\n\r\nTo: body@x\r\n", 0, "", NULL },
	/* no header at all */
	{ "just a body line\r\n", 0, "", NULL },
	{ "", 0, "", NULL },
	/* empty To */
	{ "To:\r\n\r\n", 0, "", NULL },
	{ "Bcc:\r\n\r\n", 0, "", "" },
	/* malformed */
	{ "To: \"unclosed@x\r\n\r\n", -1, NULL, NULL },
	{ "To: <unclosed@x\r\n\r\n", -1, NULL, NULL },
	{ "To: (unclosed@x\r\n\r\n", -1, NULL, NULL },
	{ "To: a@[1.2.3.4\r\n\r\n", -1, NULL, NULL },
	{ "To: a@x\r\nCc: \"x\" <b@y>, <c\001@z>\r\n\r\n", -1, NULL, NULL },
};

static void
test_hdr(void **state)
{
	struct sendmail_rcpts *r;
	char err[256], want[1024], got[1024], *buf;
	size_t i, j, hlen, nlen;
	int rc;

	(void)state;
	assert_non_null(r = malloc(sizeof(*r)));
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		size_t len = strlen(c->msg);

		r->n = 0;
		hlen = sendmail_hdr_len(c->msg, len);
		rc = sendmail_hdr_rcpts(c->msg, hlen, r, err, sizeof(err));
		if (rc != c->rc)
			fail_msg("hdr case %zu: rc %d, want %d", i, rc, c->rc);
		if (rc != 0)
			continue;
		got[0] = '\0';
		for (j = 0; j < r->n; j++) {
			if (j > 0)
				(void)strlcat(got, " ", sizeof(got));
			(void)strlcat(got, r->addr[j], sizeof(got));
		}
		(void)strlcpy(want, c->rcpts, sizeof(want));
		if (strcmp(got, want) != 0)
			fail_msg("hdr case %zu: got '%s', want '%s'", i, got,
			    want);
		if (c->stripped == NULL)
			continue;
		assert_non_null(buf = malloc(len + 1));
		memcpy(buf, c->msg, len + 1);
		nlen = sendmail_hdr_strip_bcc(buf, hlen);
		if (nlen != strlen(c->stripped) ||
		    memcmp(buf, c->stripped, nlen) != 0)
			fail_msg("hdr case %zu: stripped '%.*s'", i, (int)nlen,
			    buf);
		free(buf);
	}
	free(r);
}

struct len_case {
	const char	*msg;
	size_t		 hlen;
};

static const struct len_case len_cases[] = {
	{ "A: b\r\n\r\nbody", 6 },
	{ "A: b\r\n c\r\nD: e\r\n\r\n", 16 },
	{ "A: b\r\n", 6 },		/* no body */
	{ "\r\nbody", 0 },
	{ "body\r\n", 0 },
	{ " folded\r\n", 0 },		/* a continuation of nothing */
	{ ": x\r\n", 0 },		/* no field name */
	{ "A b: c\r\n", 0 },		/* space in the name */
	{ "A: b\r\nnot a field\r\n", 6 },
	{ "A: b", 4 },
};

static void
test_hdr_len(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++)
		if (sendmail_hdr_len(len_cases[i].msg,
		    strlen(len_cases[i].msg)) != len_cases[i].hlen)
			fail_msg("len case %zu", i);
	assert_true(sendmail_hdr_has("From: a\r\nDate: x\r\n", 18, "date"));
	assert_true(sendmail_hdr_has("From: a\r\nMessage-ID: <x>\r\n", 26,
	    "Message-ID"));
	assert_false(sendmail_hdr_has("From: a\r\nDated: x\r\n", 19, "Date"));
	assert_false(sendmail_hdr_has("X-From: a\r\n", 11, "From"));
	assert_false(sendmail_hdr_has("", 0, "From"));
}

static void
test_rcpt_add(void **state)
{
	struct sendmail_rcpts *r;
	char big[SENDMAIL_ADDR_MAX + 2], err[128];
	size_t i;

	(void)state;
	assert_non_null(r = calloc(1, sizeof(*r)));
	assert_int_equal(sendmail_rcpt_add(r, "a@x", 3), 0);
	assert_int_equal(sendmail_rcpt_add(r, "A@x", 3), 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(sendmail_rcpt_add(r, "", 0), -1);
	assert_int_equal(sendmail_rcpt_add(r, "a b", 3), -1);
	assert_int_equal(sendmail_rcpt_add(r, "a\nb", 3), -1);
	memset(big, 'a', sizeof(big));
	assert_int_equal(sendmail_rcpt_add(r, big, SENDMAIL_ADDR_MAX), 0);
	assert_int_equal(sendmail_rcpt_add(r, big, SENDMAIL_ADDR_MAX + 1),
	    -1);
	/* the command line's operands: lists too */
	r->n = 0;
	assert_int_equal(sendmail_addr_list("Jo <jo@x>, root", 15, r, err,
	    sizeof(err)), 0);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->addr[0], "jo@x");
	assert_string_equal(r->addr[1], "root");
	/* full */
	r->n = 0;
	for (i = 0; i < SENDMAIL_RCPT_MAX; i++) {
		(void)snprintf(big, sizeof(big), "u%zu@x", i);
		assert_int_equal(sendmail_rcpt_add(r, big, strlen(big)), 0);
	}
	assert_int_equal(sendmail_rcpt_add(r, "last@x", 6), -1);
	assert_int_equal(sendmail_rcpt_add(r, "u1@x", 4), 0);	/* known */
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_hdr),
		cmocka_unit_test(test_hdr_len),
		cmocka_unit_test(test_rcpt_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
