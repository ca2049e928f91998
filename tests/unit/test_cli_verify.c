/*
 * test_cli_verify.c: `sealpost audit --verify`'s pure parts
 * (mta/cli/cli_verify_line.c, cli_verify_chain.c; doc/design.md §9):
 * every form of line table-style, malformed and cut ones included, and
 * chains made with the real link function, whole and tampered with
 * (edited, removed, reordered, cut, started mid-file, picked up at a
 * reopen, a pid used again, prev= taken away, a start record moved),
 * records lost by failed writes, and the memory 200,000 processes take.
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
	int			 chain_yes;
	uint64_t		 lost;
};

static void
test_parse_table(void **state)
{
	static const struct line_case cases[] = {
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3",
		    CLI_VERIFY_P_REC, "smtpin", 27367, 3, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3 "
		    "prev=" H64, CLI_VERIFY_P_REC, "smtpin", 27367, 3, 1, 0,
		    0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 queue[9]: warning: a b c seq=12",
		    CLI_VERIFY_P_REC, "queue", 9, 12, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: log op=start "
		    "format=text chain=yes seq=1 prev=" Z64,
		    CLI_VERIFY_P_REC, "sealpostd", 1, 1, 1,
		    CLI_VERIFY_OP_START, 0, 1, 0 },
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: log op=start "
		    "format=text chain=no seq=1", CLI_VERIFY_P_REC,
		    "sealpostd", 1, 1, 0, CLI_VERIFY_OP_START, 0, 0, 0 },
		/* chain= of another record is not the chain's */
		{ "2026-12-05T12:41:25+0000 smtpin[2]: in chain=yes seq=4",
		    CLI_VERIFY_P_REC, "smtpin", 2, 4, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 queue[3]: warning: log op=lost "
		    "n=2 seq=4", CLI_VERIFY_P_REC, "queue", 3, 4, 0, 0, 0, 0,
		    0 },
		{ "2026-12-05T12:41:25+0000 queue[3]: log op=lost n=2 seq=7 "
		    "prev=" H64, CLI_VERIFY_P_REC, "queue", 3, 7, 1,
		    CLI_VERIFY_OP_LOST, 0, 0, 2 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":3,\"op\":"
		    "\"lost\",\"n\":12,\"seq\":20}", CLI_VERIFY_P_REC,
		    "queue", 3, 20, 0, CLI_VERIFY_OP_LOST, 0, 0, 12 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":3,\"op\":"
		    "\"reopen\",\"chain\":\"yes\",\"seq\":20}",
		    CLI_VERIFY_P_REC, "queue", 3, 20, 0, CLI_VERIFY_OP_REOPEN,
		    0, 1, 0 },
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: log op=reopen "
		    "format=text chain=no seq=8", CLI_VERIFY_P_REC,
		    "sealpostd", 1, 8, 0, CLI_VERIFY_OP_REOPEN, 0, 0, 0 },
		/* a value that says op=start is no start record */
		{ "2026-12-05T12:41:25+0000 smtpin[2]: in helo=\"log "
		    "op=start\" seq=4", CLI_VERIFY_P_REC, "smtpin", 2, 4, 0,
		    0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"ts\":\"2026-12-05T12:41:25+00:00\","
		    "\"proc\":\"smtpin\",\"pid\":5,\"id\":\"x\",\"port\":25,"
		    "\"seq\":2,\"prev\":\"" H64 "\"}", CLI_VERIFY_P_REC,
		    "smtpin", 5, 2, 1, 0, 0, 0, 0 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":7,\"op\":"
		    "\"start\",\"seq\":1}", CLI_VERIFY_P_REC, "queue", 7, 1,
		    0, CLI_VERIFY_OP_START, 0, 0, 0 },
		{ " { \"event\" : \"x\" , \"proc\":\"a\\u0041\",\"pid\":1,"
		    "\"seq\":1,\"t\":true,\"n\":null,\"f\":-1.5e3 } ",
		    CLI_VERIFY_P_NOTOURS, NULL, 0, 0, 0, 0, 0, 0, 0 },
		/* syslog forms: the link covers what follows the tag */
		{ "Dec  5 12:41:25 mx smtpin[27367]: in id=x seq=3 prev=" H64,
		    CLI_VERIFY_P_REC, "smtpin", 27367, 3, 1, 0, 34, 0, 0 },
		{ "2026-12-05T12:41:25+0000 mx queue[4]: queued id=x seq=9",
		    CLI_VERIFY_P_REC, "queue", 4, 9, 0, 0, 38, 0, 0 },
		{ "Dec  5 12:41:25 mx smtpin[8]: {\"event\":\"in\",\"proc\":"
		    "\"smtpin\",\"pid\":8,\"seq\":3}", CLI_VERIFY_P_REC,
		    "smtpin", 8, 3, 0, 0, 30, 0, 0 },
		{ "Dec  5 12:41:25 mx postfix/smtpd[8]: connect from x",
		    CLI_VERIFY_P_NOTOURS, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "Dec  5 12:41:25 mx dovecot[8]: imap-login: x",
		    CLI_VERIFY_P_OTHER, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "", CLI_VERIFY_P_OTHER, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "hello world", CLI_VERIFY_P_NOTOURS, NULL,
		    0, 0, 0, 0, 0, 0, 0 },
		/* malformed and cut */
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=3 "
		    "prev=0123", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=x seq=03",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in seq=99999999999"
		    "9999999999", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: seq=1 prev=" Z64
		    "0", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"se",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"seq\":2}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"x\":{\"y\":1}}", CLI_VERIFY_P_BAD, NULL,
		    0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":\"1"
		    "\"}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5}",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1,"
		    "\"prev\":\"abc\"}", CLI_VERIFY_P_BAD, NULL,
		    0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"in\",\"proc\":\"smtpin\",\"pid\":5,\"seq\":1}x",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"a\":\"\x01\"}", CLI_VERIFY_P_BAD, NULL,
		    0, 0, 0, 0, 0, 0, 0 },
		/* a lost record without its count */
		{ "2026-12-05T12:41:25+0000 queue[3]: log op=lost seq=7",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "2026-12-05T12:41:25+0000 queue[3]: log op=lost n=0 seq=7",
		    CLI_VERIFY_P_BAD, NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":3,\"op\":"
		    "\"lost\",\"n\":\"2\",\"seq\":20}", CLI_VERIFY_P_BAD,
		    NULL, 0, 0, 0, 0, 0, 0, 0 },
		{ "{\"event\":\"log\",\"proc\":\"queue\",\"pid\":3,\"op\":"
		    "\"lost\",\"seq\":20}", CLI_VERIFY_P_BAD, NULL, 0, 0, 0,
		    0, 0, 0, 0 },
		{ "Dec  5 12:41:25 mx smtpin[8]: {\"event\":\"in\",\"proc\":"
		    "\"smtpin\",\"pid\":9,\"seq\":3}", CLI_VERIFY_P_BAD, NULL,
		    0, 0, 0, 0, 0, 0, 0 },
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
		if (r.chain_yes != cases[i].chain_yes ||
		    r.lost != cases[i].lost)
			fail_msg("case %zu: chain_yes %d lost %llu", i,
			    r.chain_yes, (unsigned long long)r.lost);
	}
}

/* A NUL byte hides nothing after it: the line is malformed. */
static void
test_parse_nul(void **state)
{
	static const char line[] = "2026-12-05T12:41:25+0000 smtpin[2]: in "
	    "id=x seq=4\0 rcpt=hidden@example.org";
	static const char json[] = "{\"event\":\"in\",\"proc\":\"smtpin\","
	    "\"pid\":5,\"seq\":2}\0{\"x\":1}";
	struct cli_verify_rec r;
	const char *why;

	(void)state;
	assert_int_equal(cli_verify_parse_line(line, sizeof(line) - 1, &r,
	    &why), CLI_VERIFY_P_BAD);
	assert_string_equal(why, "a NUL byte in the line");
	assert_int_equal(cli_verify_parse_line(json, sizeof(json) - 1, &r,
	    &why), CLI_VERIFY_P_BAD);
	/* the part before the NUL alone is a record */
	assert_int_equal(cli_verify_parse_line(line, strlen(line), &r, &why),
	    CLI_VERIFY_P_REC);
}

/* ---- chains ---- */

struct got {
	char	msgs[16][700];
	size_t	n, nbreaks, nlost;
};

static void
collect(void *arg, const char *file, uint64_t line, const char *proc,
    long pid, enum cli_verify_kind kind, const char *msg)
{
	struct got *g = arg;

	if (g->n < 16)
		(void)snprintf(g->msgs[g->n++], sizeof(g->msgs[0]),
		    "%s:%llu %s[%ld] %s", file, (unsigned long long)line,
		    proc, pid, msg);
	g->nbreaks += kind == CLI_VERIFY_BREAK;
	g->nlost += kind == CLI_VERIFY_LOST;
}

/* Whether one of the messages g collected holds s. */
static int
got_has(const struct got *g, const char *s)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strstr(g->msgs[i], s) != NULL)
			return 1;
	return 0;
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
	int i;

	memset(g, 0, sizeof(*g));
	assert_int_equal(cli_verify_init(&v, collect, g), 0);
	assert_int_equal(cli_verify_add_file(&v, "log"), 0);
	for (i = 0; order[i] != -1; i++) {
		if (cli_verify_parse_line(lines[order[i]],
		    strlen(lines[order[i]]), &r, &why) != CLI_VERIFY_P_REC)
			continue;
		assert_int_equal(cli_verify_record(&v, &r, 0, (uint64_t)i + 1),
		    0);
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
	assert_int_equal(cli_verify_add_file(&v, "f"), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(cli_verify_parse_line(lines[i],
		    strlen(lines[i]), &r, &why), CLI_VERIFY_P_REC);
		assert_int_equal(cli_verify_record(&v, &r, 0, 1), 0);
	}
	cli_verify_end(&v);
	assert_int_equal(v.nbreaks, 0);
	assert_int_equal(g.n, 1);	/* the note about the reopen */
	assert_non_null(strstr(g.msgs[0], "picked up at a log reopen"));
	assert_int_equal(v.nentries, 1);
	assert_int_equal(v.nprocs, 2);	/* the start is a new process */
	cli_verify_free(&v);
}

/*
 * Makes line "STAMP proc[pid]: body seq=N prev=P" (prev= only with
 * chained) and moves prev on to its link.
 */
static void
mkline(char *line, size_t size, const char *proc, long pid, const char *body,
    uint64_t seq, char prev[LOG_CHAIN_HEXLEN + 1], int chained)
{
	int n;

	n = snprintf(line, size, "2026-12-05T12:41:00+0000 %s[%ld]: %s "
	    "seq=%llu%s%s", proc, pid, body, (unsigned long long)seq,
	    chained ? " prev=" : "", chained ? prev : "");
	assert_true(n > 0 && (size_t)n < size);
	assert_int_equal(log_chain_hash(line, strlen(line), prev), 0);
}

/* Checks lines[0..n) with each of file[] (-1: file 0) through g. */
static void
check_lines(char (*lines)[300], size_t n, const int *file, struct got *g,
    struct cli_verify *v)
{
	struct cli_verify_rec r;
	const char *why;
	size_t i;

	memset(g, 0, sizeof(*g));
	assert_int_equal(cli_verify_init(v, collect, g), 0);
	assert_int_equal(cli_verify_add_file(v, "a"), 0);
	assert_int_equal(cli_verify_add_file(v, "b"), 1);
	for (i = 0; i < n; i++) {
		assert_int_equal(cli_verify_parse_line(lines[i],
		    strlen(lines[i]), &r, &why), CLI_VERIFY_P_REC);
		assert_int_equal(cli_verify_record(v, &r, file != NULL ?
		    (size_t)file[i] : 0, i + 1), 0);
	}
	cli_verify_end(v);
	assert_int_equal(v->nbreaks, g->nbreaks);
}

/*
 * A record removed and the traces hidden: the numbers after it made one
 * less and prev= taken away. Once a process is chained, a record without
 * prev= is a break.
 */
static void
test_chain_prev_removed(void **state)
{
	char lines[NLINES][300], *sp;
	const int order[] = { 0, 1, 2, 4, 5, 6, 7, -1 };
	struct got g;
	int i;
	uint64_t seq;

	(void)state;
	make_log(lines);
	/* smtpin's lines 4, 6, 7 (seq 4, 5, 6) become seq 3, 4, 5 */
	for (i = 4, seq = 3; i < NLINES; i++) {
		if (i == 5)
			continue;
		assert_non_null(sp = strstr(lines[i], " seq="));
		(void)snprintf(sp, 300 - (size_t)(sp - lines[i]), " seq=%llu",
		    (unsigned long long)seq++);
	}
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 3);
	assert_non_null(strstr(g.msgs[0], "log:4 smtpin[10] prev= missing on "
	    "a chained process (seq=3)"));
	/* every prev= of smtpin gone: its start record said chain=yes */
	make_log(lines);
	for (i = 0; i < NLINES; i++)
		if (i != 2 && i != 5)
			*strstr(lines[i], " prev=") = '\0';
	run(lines, order, &g);
	assert_int_equal(g.nbreaks, 5 + 1);	/* and seq=3 removed */
	assert_non_null(strstr(g.msgs[0], "log:1 smtpin[10] prev= missing on "
	    "a chained process (seq=1)"));
}

/* A start record is seq=1; another is a start moved or edited. */
static void
test_chain_start_seq(void **state)
{
	char lines[3][300], prev[LOG_CHAIN_HEXLEN + 1];
	struct cli_verify v;
	struct got g;

	(void)state;
	memcpy(prev, log_chain_zero, sizeof(prev));
	mkline(lines[0], 300, "smtpin", 10, "log op=start format=text "
	    "chain=yes", 5, prev, 1);
	memcpy(prev, log_chain_zero, sizeof(prev));
	mkline(lines[1], 300, "queue", 11, "log op=start format=text "
	    "chain=yes", 1, prev, 1);
	memcpy(prev, log_chain_zero, sizeof(prev));
	mkline(lines[2], 300, "queue", 11, "log op=start format=text "
	    "chain=yes", 2, prev, 1);
	check_lines(lines, 3, NULL, &g, &v);
	assert_int_equal(g.nbreaks, 2);
	assert_non_null(strstr(g.msgs[0], "a:1 smtpin[10] a start record "
	    "with seq=5, not 1"));
	assert_non_null(strstr(g.msgs[1], "a:3 queue[11] a start record "
	    "with seq=2, not 1"));
	assert_int_equal(v.nprocs, 3);
	cli_verify_free(&v);
}

/*
 * A chain picked up at a reopen record: a note in the first file given,
 * a break in a later one (its start and records are in the files before).
 */
static void
test_chain_reopen_later_file(void **state)
{
	char lines[3][300], prev[LOG_CHAIN_HEXLEN + 1];
	const int file[] = { 0, 1, 1 };
	struct cli_verify v;
	struct got g;

	(void)state;
	memcpy(prev, log_chain_zero, sizeof(prev));
	mkline(lines[0], 300, "queue", 11, "log op=start format=text "
	    "chain=yes", 1, prev, 1);
	memcpy(prev, H64, sizeof(prev));
	mkline(lines[1], 300, "smtpin", 10, "log op=reopen format=text "
	    "chain=yes", 57, prev, 1);
	mkline(lines[2], 300, "smtpin", 10, "in id=x", 58, prev, 1);
	check_lines(lines, 3, file, &g, &v);
	assert_int_equal(g.nbreaks, 1);
	assert_true(got_has(&g, "b:2 smtpin[10] the chain starts at a log "
	    "reopen (seq=57) in a file after the first"));
	cli_verify_free(&v);
	check_lines(lines, 3, NULL, &g, &v);	/* all in the first file */
	assert_int_equal(g.nbreaks, 0);
	assert_true(got_has(&g, "a:2 smtpin[10] the chain is picked up at "
	    "a log reopen"));
	cli_verify_free(&v);
}

/*
 * Writes that failed: the process says how many records it lost; a gap
 * of just that many before its lost record is no removal.
 */
static void
test_chain_lost(void **state)
{
	char lines[8][300], prev[LOG_CHAIN_HEXLEN + 1], skip[300];
	struct cli_verify v;
	struct got g;
	uint64_t seq;
	size_t n = 0;

	(void)state;
	memcpy(prev, log_chain_zero, sizeof(prev));
	mkline(lines[n++], 300, "queue", 7, "log op=start format=text "
	    "chain=yes", 1, prev, 1);
	mkline(lines[n++], 300, "queue", 7, "queued id=a", 2, prev, 1);
	for (seq = 3; seq <= 5; seq++)	/* written, but not to the file */
		mkline(skip, 300, "queue", 7, "queued id=b", seq, prev, 1);
	mkline(lines[n++], 300, "queue", 7, "log op=lost n=3", 6, prev, 1);
	mkline(lines[n++], 300, "queue", 7, "queued id=c", 7, prev, 1);
	check_lines(lines, n, NULL, &g, &v);
	assert_int_equal(g.nbreaks, 0);
	assert_int_equal(g.nlost, 1);
	assert_int_equal(v.nlost, 3);
	assert_string_equal(g.msgs[0], "a:3 queue[7] 3 records lost (write "
	    "failed) before this line (seq=3 to 5)");
	cli_verify_free(&v);
	/* one more record missing than the process lost: a removal */
	memmove(lines[1], lines[2], sizeof(lines[1]) * 2);
	check_lines(lines, 3, NULL, &g, &v);
	assert_int_equal(g.nbreaks, 1);
	assert_int_equal(v.nlost, 0);
	assert_true(got_has(&g, "a:2 queue[7] 4 records were removed before "
	    "this line (seq=2 to 5 are missing)"));
	cli_verify_free(&v);
	/* the start record lost too: the chain begins at the lost record */
	memcpy(prev, H64, sizeof(prev));
	mkline(lines[0], 300, "local", 9, "log op=lost n=2", 3, prev, 1);
	mkline(lines[1], 300, "local", 9, "out id=x", 4, prev, 1);
	check_lines(lines, 2, NULL, &g, &v);
	assert_int_equal(g.nbreaks, 0);
	assert_int_equal(v.nlost, 2);
	assert_true(got_has(&g, "a:1 local[9] 2 records lost (write failed) "
	    "before this line (seq=1 to 2)"));
	cli_verify_free(&v);
}

/*
 * Memory: 200,000 processes of one line each (forked local deliveries)
 * stay well under 50 MB; the table grows as they come.
 */
static void
test_memory(void **state)
{
	char line[300];
	struct cli_verify v;
	struct cli_verify_rec r;
	struct got g;
	const char *why;
	long pid;
	int n;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(cli_verify_init(&v, collect, &g), 0);
	assert_int_equal(cli_verify_add_file(&v, "/var/log/sealpost.log"), 0);
	for (pid = 1; pid <= 200000; pid++) {
		n = snprintf(line, sizeof(line), "2026-12-05T12:41:00+0000 "
		    "local[%ld]: log op=start format=text chain=yes seq=1 "
		    "prev=%s", pid, log_chain_zero);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(cli_verify_parse_line(line, (size_t)n, &r,
		    &why), CLI_VERIFY_P_REC);
		assert_int_equal(cli_verify_record(&v, &r, 0,
		    (uint64_t)pid), 0);
	}
	cli_verify_end(&v);
	assert_int_equal(v.nprocs, 200000);
	assert_int_equal(v.nbreaks, 0);
	assert_true(v.ntab >= 131072);
	print_message("200,000 processes: %zu bytes in the verifier\n",
	    v.bytes);
	assert_true(v.bytes < 50u * 1024 * 1024);
	cli_verify_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_chain_whole),
		cmocka_unit_test(test_chain_edited),
		cmocka_unit_test(test_chain_removed),
		cmocka_unit_test(test_chain_swapped),
		cmocka_unit_test(test_chain_mid_file),
		cmocka_unit_test(test_chain_reopen_and_pid_again),
		cmocka_unit_test(test_chain_prev_removed),
		cmocka_unit_test(test_chain_start_seq),
		cmocka_unit_test(test_chain_reopen_later_file),
		cmocka_unit_test(test_chain_lost),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
