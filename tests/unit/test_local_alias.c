/*
 * test_local_alias.c: unit tests for the pure parts of aliases in local
 * delivery (doc/design.md §12): the Delivered-To loop check
 * (mta/local/local_header.c), the mbox format of /file targets
 * (local_mbox.c: From line, "From " quoting, CRLF to LF, at every chunk
 * boundary) and a command's exit status as a result (local_exit.c),
 * table-style with malformed input.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ipc_msg.h"
#include "local/local_exit.h"
#include "local/local_header.h"
#include "local/local_mbox.h"

/* ---- Delivered-To ---- */

struct dt_case {
	const char	*hdr;
	const char	*addr;
	int		 found;
};

static const struct dt_case dt_cases[] = {
	{ "Delivered-To: a@x.test\r\n\r\nbody", "a@x.test", 1 },
	{ "delivered-to: A@X.Test\n\n", "a@x.test", 1 },
	{ "DELIVERED-TO:a@x.test\r\n\r\n", "a@x.test", 1 },
	{ "Delivered-To:   <a@x.test>  \r\n\r\n", "a@x.test", 1 },
	{ "Subject: hi\r\nDelivered-To: b@x.test\r\nDelivered-To: "
	    "a@x.test\r\n\r\n", "a@x.test", 1 },
	/* folded */
	{ "Delivered-To:\r\n a@x.test\r\n\r\n", "a@x.test", 1 },
	{ "Delivered-To: a@x.\r\n test\r\n\r\n", "a@x.test", 0 },
	/* another address, a prefix, a longer one */
	{ "Delivered-To: b@x.test\r\n\r\n", "a@x.test", 0 },
	{ "Delivered-To: a@x.tes\r\n\r\n", "a@x.test", 0 },
	{ "Delivered-To: a@x.test.org\r\n\r\n", "a@x.test", 0 },
	/* in the body, not the header */
	{ "Subject: x\r\n\r\nDelivered-To: a@x.test\r\n", "a@x.test", 0 },
	{ "Subject: x\n\nDelivered-To: a@x.test\n", "a@x.test", 0 },
	/* other field names */
	{ "X-Delivered-To: a@x.test\r\n\r\n", "a@x.test", 0 },
	{ "Delivered-To-X: a@x.test\r\n\r\n", "a@x.test", 0 },
	{ "Delivered-To : a@x.test\r\n\r\n", "a@x.test", 0 },
	{ "Delivered: a@x.test\r\n\r\n", "a@x.test", 0 },
	/* malformed: no colon, empty, no end of header, cut */
	{ "Delivered-To a@x.test\r\nDelivered-To: a@x.test\r\n\r\n",
	    "a@x.test", 1 },
	{ "", "a@x.test", 0 },
	{ "\r\n", "a@x.test", 0 },
	{ "Delivered-To: a@x.test", "a@x.test", 1 },
	{ "Delivered-To: ", "a@x.test", 0 },
	{ "Delivered-To: <>\r\n\r\n", "", 1 },
	{ "Delivered-To: <a@x.test\r\n\r\n", "a@x.test", 0 },
	{ ":\r\n::\r\nDelivered-To::a@x.test\r\n\r\n", "a@x.test", 0 },
};

static void
test_delivered_to(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dt_cases) / sizeof(dt_cases[0]); i++) {
		const struct dt_case *c = &dt_cases[i];
		int got = local_header_delivered_to(c->hdr, strlen(c->hdr),
		    c->addr, strlen(c->addr));

		if (got != c->found)
			fail_msg("case %zu (%s): got %d", i, c->hdr, got);
	}
}

/* A NUL in the header is just an octet; the length is what counts. */
static void
test_delivered_to_binary(void **state)
{
	static const char h[] = "Sub\0ject: x\r\nDelivered-To: a@x\r\n\r\n";

	(void)state;
	assert_int_equal(local_header_delivered_to(h, sizeof(h) - 1, "a@x",
	    3), 1);
	assert_int_equal(local_header_delivered_to(h, 20, "a@x", 3), 0);
}

/* ---- mbox ---- */

struct mbox_case {
	const char	*in;
	const char	*out;
};

static const struct mbox_case mbox_cases[] = {
	{ "Subject: x\r\n\r\nhello\r\n", "Subject: x\n\nhello\n\n" },
	{ "From me\r\n", ">From me\n\n" },
	{ "Fromage\r\n", "Fromage\n\n" },	/* "From " needs the space */
	{ "a\r\nFrom x\r\n", "a\n>From x\n\n" },
	{ "From x\n", ">From x\n\n" },
	{ ">From x\r\n", ">From x\n\n" },	/* mboxo: as Postfix */
	{ " From x\r\n", " From x\n\n" },
	{ "FFrom x\r\n", "FFrom x\n\n" },
	{ "Fro\r\n", "Fro\n\n" },
	{ "From", "From\n\n" },		/* cut at the end */
	{ "no newline", "no newline\n\n" },
	{ "", "\n" },
	{ "a\rb\r\n", "a\rb\n\n" },		/* a lone CR stays */
	{ "x\r", "x\r\n\n" },
	{ "From \r\nFrom \r\n", ">From \n>From \n\n" },
	{ "\r\n\r\nFrom z", "\n\n>From z\n\n" },
};

/* Encodes in, cut into chunks of size step, and checks the output. */
static void
mbox_check(const struct mbox_case *c, size_t step, size_t idx)
{
	struct local_mbox m;
	char out[256];
	size_t n = 0, off, len = strlen(c->in), k;

	local_mbox_init(&m);
	for (off = 0; off < len; off += k) {
		k = len - off < step ? len - off : step;
		n += local_mbox_encode(&m, c->in + off, k, out + n);
		assert_true(n < sizeof(out) - 16);
	}
	n += local_mbox_end(&m, out + n);
	out[n] = '\0';
	if (strcmp(out, c->out) != 0)
		fail_msg("case %zu step %zu: got \"%s\", want \"%s\"", idx,
		    step, out, c->out);
}

static void
test_mbox_quote(void **state)
{
	size_t i, step;

	(void)state;
	for (i = 0; i < sizeof(mbox_cases) / sizeof(mbox_cases[0]); i++)
		for (step = 1; step <= 8; step++)
			mbox_check(&mbox_cases[i], step, i);
}

/* The worst case fits in 2 * len + 8. */
static void
test_mbox_bound(void **state)
{
	static const char in[] = "From \nFrom \nFrom \nFrom \n";
	struct local_mbox m;
	char out[2 * sizeof(in) + 8];
	size_t n;

	(void)state;
	local_mbox_init(&m);
	n = local_mbox_encode(&m, in, sizeof(in) - 1, out);
	assert_true(n <= 2 * (sizeof(in) - 1) + 8);
	assert_int_equal(n, 4 * 7);
}

static void
test_mbox_from_line(void **state)
{
	char out[128];

	(void)state;
	/* 2026-12-05 12:37:10 UTC, a Saturday */
	assert_int_equal(local_mbox_from_line(out, sizeof(out), "a@x.test",
	    1796474230), (int)strlen("From a@x.test Sat Dec  5 12:37:10 "
	    "2026\n"));
	assert_string_equal(out, "From a@x.test Sat Dec  5 12:37:10 2026\n");
	assert_true(local_mbox_from_line(out, sizeof(out), "", 0) > 0);
	assert_string_equal(out, "From MAILER-DAEMON Thu Jan  1 00:00:00 "
	    "1970\n");
	/* white space or control octets in the sender; no room */
	assert_int_equal(local_mbox_from_line(out, sizeof(out), "a b@x", 0),
	    -1);
	assert_int_equal(local_mbox_from_line(out, sizeof(out), "a\n@x", 0),
	    -1);
	assert_int_equal(local_mbox_from_line(out, sizeof(out), "a\x7f@x",
	    0), -1);
	assert_int_equal(local_mbox_from_line(out, 10, "a@x.test", 0), -1);
}

/* ---- exit status ---- */

struct exit_case {
	int		 status;	/* a wait status */
	int		 timedout;
	const char	*out;
	int		 outcome;
	int		 code;
	const char	*dsn;
	const char	*text;		/* a part of it */
};

#define EXITED(n)	((n) << 8)

static const struct exit_case exit_cases[] = {
	{ EXITED(0), 0, "", IPC_OUT_SENT, 250, "2.0.0", "delivered" },
	{ EXITED(0), 0, "chatty\n", IPC_OUT_SENT, 250, "2.0.0", "" },
	{ EXITED(75), 0, "try later\n", IPC_OUT_DEFERRED, 451, "4.3.0",
	    "EX_TEMPFAIL): try later" },
	{ EXITED(71), 0, "", IPC_OUT_DEFERRED, 451, "4.3.0", "EX_OSERR" },
	{ EXITED(67), 0, "who?\n", IPC_OUT_BOUNCED, 550, "5.1.1",
	    "exit status 67 (EX_NOUSER): who?" },
	{ EXITED(77), 0, "", IPC_OUT_BOUNCED, 550, "5.7.0", "EX_NOPERM" },
	{ EXITED(1), 0, "first\nsecond\n", IPC_OUT_BOUNCED, 550, "5.3.0",
	    "exit status 1: first" },
	{ EXITED(255), 0, "", IPC_OUT_BOUNCED, 550, "5.3.0",
	    "exit status 255" },
	{ EXITED(2), 0, "bad\x1b[31m\r\nx", IPC_OUT_BOUNCED, 550, "5.3.0",
	    "exit status 2: bad?[31m" },
	{ SIGKILL, 0, "", IPC_OUT_DEFERRED, 451, "4.3.0", "signal 9" },
	{ SIGSEGV, 0, "", IPC_OUT_DEFERRED, 451, "4.3.0", "signal 11" },
	{ 0, 1, "", IPC_OUT_DEFERRED, 451, "4.3.0", "too long" },
	{ EXITED(1), 1, "x", IPC_OUT_DEFERRED, 451, "4.3.0", "too long" },
};

static void
test_exit(void **state)
{
	struct local_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(exit_cases) / sizeof(exit_cases[0]); i++) {
		const struct exit_case *c = &exit_cases[i];

		local_exit_result(c->status, c->timedout, c->out,
		    strlen(c->out), &res);
		if (res.outcome != c->outcome || res.code != c->code ||
		    strcmp(res.dsn, c->dsn) != 0 ||
		    strstr(res.text, c->text) == NULL)
			fail_msg("case %zu: %d %d %s %s", i, res.outcome,
			    res.code, res.dsn, res.text);
	}
}

/* A long first line is cut; the text always fits and ends. */
static void
test_exit_long(void **state)
{
	struct local_result res;
	char out[5000];

	(void)state;
	memset(out, 'x', sizeof(out));
	local_exit_result(EXITED(1), 0, out, sizeof(out), &res);
	assert_true(strlen(res.text) < sizeof(res.text));
	assert_true(strlen(res.text) < 260);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_to),
		cmocka_unit_test(test_delivered_to_binary),
		cmocka_unit_test(test_mbox_quote),
		cmocka_unit_test(test_mbox_bound),
		cmocka_unit_test(test_mbox_from_line),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_exit_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
