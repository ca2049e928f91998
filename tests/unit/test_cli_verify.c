/*
 * test_cli_verify.c: `sealpost audit --verify`'s pure parts
 * (mta/cli/cli_verify_line.c, cli_verify_chain.c; doc/design.md §9):
 * every form of line table-style, malformed and cut ones included, and
 * chains made with the real link function, whole and tampered with
 * (edited, removed, reordered, cut, started mid-file, picked up at a
 * reopen, a pid used again).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli_verify.h"

#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct line_case {
	const char		*line;
	enum cli_verify_parse	 want;
	const char		*proc;
	long			 pid;
	uint64_t		 seq;
	int			 has_prev;
	enum cli_verify_op	 op;
	size_t			 recoff;	/* where the linked bytes start */
};

static void
test_parse_table(void **state)
{
	static const struct line_case cases[] = {
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3",
		    CLI_VERIFY_P_REC, "smtpin", 27367, 3, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3 "
		    "prev=" H64, CLI_VERIFY_P_REC, "smtpin", 27367, 3, 1, 0,
		    0 },
		{ "2026-12-05T12:41:25+0000 queue[9]: warning: a b c seq=12",
		    CLI_VERIFY_P_REC, "queue", 9, 12, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: log op=start "
		    "format=text chain=yes seq=1 prev=" Z64,
		    CLI_VERIFY_P_REC, "sealpostd", 1, 1, 1,
		    CLI_VERIFY_OP_START, 0 },
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: log op=reopen "
		    "format=text chain=no seq=8", CLI_VERIFY_P_REC,
		    "sealpostd", 1, 8, 0, CLI_VERIFY_OP_REOPEN, 0 },
		/* a value that says op=start is no start record */
		{ "2026-12-05T12:41:25+0000 smtpin[2]: in helo=\"log "
		    "op=start\" seq=4", CLI_VERIFY_P_REC, "smtpin", 2, 4, 0,
		    0, 0 },
		{ "{\"event\":\"in\",\"ts\":\"2026-12-05T12:41:25+00:00\","
		    "\"proc\":\"smtpin\",\"pid\":5,\"id\":\"x\",\"port\":25,"
		    "\"seq\":2,\"prev\":\"" H64 "\"}", CLI_VERIFY_P_REC,
		    "smtpin", 5, 2, 1, 0, 0 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":7,\"op\":"
		    "\"start\",\"seq\":1}", CLI_VERIFY_P_REC, "queue", 7, 1,
		    0, CLI_VERIFY_OP_START, 0 },
		{ " { \"event\" : \"x\" , \"proc\":\"a\\u0041\",\"pid\":1,"
		    "\"seq\":1,\"t\":true,\"n\":null,\"f\":-1.5e3 } ",
		    CLI_VERIFY_P_NOTOURS, NULL, 0, 0, 0, 0, 0 },
		/* syslog forms: the link covers what follows the tag */
		{ "Dec  5 12:41:25 mx smtpin[27367]: in id=x seq=3 prev=" H64,
		    CLI_VERIFY_P_REC, "smtpin", 27367, 3, 1, 0, 34 },
		{ "2026-12-05T12:41:25+0000 mx queue[4]: queued id=x seq=9",
		    CLI_VERIFY_P_REC, "queue", 4, 9, 0, 0, 38 },
		{ "Dec  5 12:41:25 mx smtpin[8]: {\"event\":\"in\",\"proc\":"
		    "\"smtpin\",\"pid\":8,\"seq\":3}", CLI_VERIFY_P_REC,
		    "smtpin", 8, 3, 0, 0, 30 },
		{ "Dec  5 12:41:25 mx postfix/smtpd[8]: connect from x",
		    CLI_VERIFY_P_NOTOURS, NULL, 0, 0, 0, 0, 0 },
		{ "Dec  5 12:41:25 mx dovecot[8]: imap-login: x",
		    CLI_VERIFY_P_OTHER, NULL, 0, 0, 0, 0, 0 },
		{ "", CLI_VERIFY_P_OTHER, NULL, 0, 0, 0, 0, 0 },
		{ "hello world", CLI_VERIFY_P_NOTOURS, NULL, 0, 0, 0, 0, 0 },
		/* malformed and cut */
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3 "
		    "prev=0123", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=03",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in seq=99999999999"
		    "9999999999", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: seq=1 prev=" Z64
		    "0", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"se",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"seq\":2}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"x\":{\"y\":1}}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":\"1"
		    "\"}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5}",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"prev\":\"abc\"}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1}x",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "{\"a\":\"\x01\"}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0 },
		{ "Dec  5 12:41:25 mx smtpin[8]: {\"event\":\"in\",\"proc\":"
		    "\"smtpin\",\"pid\":9,\"seq\":3}", CLI_VERIFY_P_BAD, NULL,
		    0, 0, 0, 0, 0 },
	};
	struct cli_verify_rec r;
	const char *why;
	enum cli_verify_parse p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = cli_verify_parse_line(cases[i].line,
		    strlen(cases[i].line), &r, &why);
		if (p != cases[i].want)
			fail_msg("case %zu: %d, want %d (%s)", i, p,
			    cases[i].want, why);
		if (p == CLI_VERIFY_P_BAD)
			assert_true(why[0] != '\0');
		if (p != CLI_VERIFY_P_REC)
			continue;
		assert_string_equal(r.proc, cases[i].proc);
		assert_int_equal(r.pid, cases[i].pid);
		assert_int_equal(r.seq, cases[i].seq);
		assert_int_equal(r.has_prev, cases[i].has_prev);
		assert_int_equal(r.op, cases[i].op);
		assert_ptr_equal(r.rec, cases[i].line + cases[i].recoff);
		assert_int_equal(r.reclen, strlen(cases[i].line) -
		    cases[i].recoff);
	}
}

/* ---- chains ---- */

struct got {
	char	msgs[16][700];
	size_t	n, nbreaks;
};

static void
collect(void *arg, const char *where, const char *proc, long pid,
    int is_break, const char *msg)
{
	struct got *g = arg;

	if (g->n < 16)
		(void)snprintf(g->msgs[g->n++], sizeof(g->msgs[0]),
		    "%s %s[%ld] %s", where, proc, pid, msg);
	g->nbreaks += is_break != 0;
}

#define NLINES	8

/*
 * Makes a chained text log: lines[0] starts smtpin[10]'s chain, queue[20]
 * has lines 2 and 5 (a start and one more), the rest are smtpin's.
 */
static void
make_log(char lines[NLINES][300])
{
	char prev10[LOG_CHAIN_HEXLEN + 1], prev20[LOG_CHAIN_HEXLEN + 1];
	char *p;
	uint64_t seq10 = 0, seq20 = 0;
	int i;

	memcpy(prev10, log_chain_zero, sizeof(prev10));
	memcpy(prev20, log_chain_zero, sizeof(prev20));
	for (i = 0; i < NLINES; i++) {
		int q = (i == 2 || i == 5);
		int start = (i == 0 || i == 2);

		(void)snprintf(lines[i], 300, "2026-12-05T12:41:%02d+0000 "
		    "%s[%d]: %s seq=%llu prev=%s", i, q ? "queue" : "smtpin",
		    q ? 20 : 10, start ? "log op=start format=text chain=yes" :
		    "in id=abc result=accepted", (unsigned long long)(q ?
		    ++seq20 : ++seq10), q ? prev20 : prev10);
		p = q ? prev20 : prev10;
		assert_int_equal(log_chain_hash(lines[i], strlen(lines[i]), p),
		    0);
	}
}

/* Runs lines (order[] gives which, -1 ends) through a chain check. */
static void
run(char lines[NLINES][300], const int *order, struct got *g)
{
	struct cli_verify v;
	struct cli_verify_rec r;
	const char *why;
	char where[32];
	int i;

	memset(g, 0, sizeof(*g));
	assert_int_equal(cli_verify_init(&v, collect, g), 0);
	for (i = 0; order[i] != -1; i++) {
		(void)snprintf(where, sizeof(where), "log:%d", i + 1);
		if (cli_verify_parse_line(lines[order[i]],
		    strlen(lines[order[i]]), &r, &why) != CLI_VERIFY_P_REC)
			continue;
		assert_int_equal(cli_verify_record(&v, &r, where), 0);
	}
	cli_verify_end(&v);
	assert_int_equal(v.nbreaks, g->nbreaks);
	cli_verify_free(&v);
}

static void
test_chain_whole(void **state)
{
	char lines[NLINES][300];
	const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, -1 };
	struct got g;

	(void)state;
	make_log(lines);
	run(lines, order, &g);
	assert_int_equal(g.n, 0);
}

static void
test_chain_edited(void **state)
{
	char lines[NLINES][300];
	const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, -1 };
	struct got g;

	(void)state;
	make_log(lines);
	lines[3][40] = lines[3][40] == 'x' ? 'y' : 'x';	/* in the text */
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 1);
	assert_non_null(strstr(g.msgs[0], "log:4 smtpin[10] the record was "
	    "edited"));
}

static void
test_chain_removed(void **state)
{
	char lines[NLINES][300];
	const int order[] = { 0, 1, 2, 3, 5, 6, 7, -1 };
	const int tail[] = { 0, 1, 2, 3, 4, 5, 6, -1 };
	struct got g;

	(void)state;
	make_log(lines);
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 1);
	assert_non_null(strstr(g.msgs[0], "log:6 smtpin[10] a record was "
	    "removed before this line (seq=4 is missing)"));
	/* the last record of a chain: nothing can tell (a known limit) */
	run(lines, tail, &g);
	assert_int_equal(g.nbreaks, 0);
}

static void
test_chain_swapped(void **state)
{
	char lines[NLINES][300];
	const int order[] = { 0, 1, 2, 4, 3, 5, 6, 7, -1 };
	struct got g;

	(void)state;
	make_log(lines);
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 1);
	assert_non_null(strstr(g.msgs[0], "log:5 smtpin[10] a record out of "
	    "order: seq=3 belongs before log:4 (seq=4)"));
}

static void
test_chain_mid_file(void **state)
{
	char lines[NLINES][300];
	const int order[] = { 3, 4, -1 };
	const int dup[] = { 0, 1, 3, 3, 4, -1 };
	struct got g;

	(void)state;
	make_log(lines);
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 1);
	assert_non_null(strstr(g.msgs[0], "log:1 smtpin[10] the chain starts "
	    "here (seq=3) without a start record"));
	run(lines, dup, &g);
	assert_int_equal(g.nbreaks, 1);
	assert_non_null(strstr(g.msgs[0], "log:4 smtpin[10] a record out of "
	    "order or repeated: seq=3 comes after seq=3 at log:3"));
}

static void
test_chain_reopen_and_pid_again(void **state)
{
	char lines[4][300], prev[LOG_CHAIN_HEXLEN + 1];
	struct cli_verify v;
	struct cli_verify_rec r;
	struct got g;
	const char *why;
	int i;

	(void)state;
	/* a reopen record picks a chain up; a start resets one */
	(void)snprintf(lines[0], 300, "2026-12-05T12:41:00+0000 smtpin[10]: "
	    "log op=reopen format=text chain=yes seq=57 prev=%s", H64);
	assert_int_equal(log_chain_hash(lines[0], strlen(lines[0]), prev), 0);
	(void)snprintf(lines[1], 300, "2026-12-05T12:41:01+0000 smtpin[10]: "
	    "in id=x seq=58 prev=%s", prev);
	(void)snprintf(lines[2], 300, "2026-12-05T12:41:02+0000 smtpin[10]: "
	    "log op=start format=text chain=yes seq=1 prev=%s", Z64);
	assert_int_equal(log_chain_hash(lines[2], strlen(lines[2]), prev), 0);
	(void)snprintf(lines[3], 300, "2026-12-05T12:41:03+0000 smtpin[10]: "
	    "in id=y seq=2 prev=%s", prev);
	memset(&g, 0, sizeof(g));
	assert_int_equal(cli_verify_init(&v, collect, &g), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(cli_verify_parse_line(lines[i],
		    strlen(lines[i]), &r, &why), CLI_VERIFY_P_REC);
		assert_int_equal(cli_verify_record(&v, &r, "f:1"), 0);
	}
	cli_verify_end(&v);
	assert_int_equal(v.nbreaks, 0);
	assert_int_equal(g.n, 1);	/* the note about the reopen */
	assert_non_null(strstr(g.msgs[0], "picked up at a log reopen"));
	assert_int_equal(v.nprocs, 1);
	cli_verify_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_chain_whole),
		cmocka_unit_test(test_chain_edited),
		cmocka_unit_test(test_chain_removed),
		cmocka_unit_test(test_chain_swapped),
		cmocka_unit_test(test_chain_mid_file),
		cmocka_unit_test(test_chain_reopen_and_pid_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
