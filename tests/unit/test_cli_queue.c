/*
 * test_cli_queue.c: the pure parts of `sealpost queue` and mailq
 * (mta/cli/cli_queue_fmt.c), table-style: JSON string escaping (control
 * bytes, UTF-8 passed, every kind of ill-formed UTF-8 replaced), the
 * terminal text (cleaning and cutting), durations, state lists, failure
 * types, the command line and its filters, the reader of the listing's
 * frames (paging, and every malformed frame or sequence), every field of
 * a message in text and JSON, the last line, and the summary's counts and
 * order. Times are checked in UTC (TZ=UTC).
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
#include "lib/ipc.h"

/* 2026-12-05T08:01:02Z, a Saturday */
#define NOW	INT64_C(1796457662)

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

/* ---- JSON strings ------------------------------------------------------- */

static const struct json_case {
	const char	*in;
	size_t		 len;
	const char	*want;
} json_cases[] = {
	{ "", 0, "\"\"" },
	{ "plain", 5, "\"plain\"" },
	{ "a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"" },
	{ "\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"" },
	{ "\x01\x1b[2J\x1f", 6, "\"\\u0001\\u001b[2J\\u001f\"" },
	{ "nul\0x", 5, "\"nul\\u0000x\"" },
	{ "del\x7f", 4, "\"del\\u007f\"" },
	/* valid UTF-8 passes: é, €, 😀 */
	{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	/* U+0085 (C1), U+2028, U+2029 are escaped */
	{ "a\xc2\x85" "b", 4, "\"a\\u0085b\"" },
	{ "\xc2\x9f\xc2\xa0", 4, "\"\\u009f\xc2\xa0\"" },
	{ "\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"" },
	/* ill-formed: each maximal subpart is one U+FFFD */
	{ "\x80", 1, "\"\\ufffd\"" },
	{ "a\xbf" "b", 3, "\"a\\ufffdb\"" },
	{ "\xc0\x80", 2, "\"\\ufffd\\ufffd\"" },		/* overlong */
	{ "\xc1\xbf", 2, "\"\\ufffd\\ufffd\"" },
	{ "\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "\xe0\xa0", 2, "\"\\ufffd\"" },			/* cut short */
	{ "\xe2\x82" "A", 3, "\"\\ufffdA\"" },
	{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
	{ "\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\"" },		/* U+D7FF */
	{ "\xf0\x80\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"" },	/* U+10FFFF */
	{ "\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },		/* past it */
	{ "\xf0\x9f\x98", 3, "\"\\ufffd\"" },
	{ "\xf5\x80", 2, "\"\\ufffd\\ufffd\"" },
	{ "\xff\xfe", 2, "\"\\ufffd\\ufffd\"" },
	{ "x\xc3", 2, "\"x\\ufffd\"" },
};

static void
test_json_str(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(cli_queue_json_str(&b, json_cases[i].in,
		    json_cases[i].len), 0);
		if (strcmp(str(&b), json_cases[i].want) != 0)
			fail_msg("case %zu: got %s want %s", i, str(&b),
			    json_cases[i].want);
	}
	/* the buffer's bound is an error, never an overflow */
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(cli_queue_json_str(&b, "\x01\x02\x03", 3), -1);
	buf_free(&b);
}

/* ---- terminal text ------------------------------------------------------ */

static const struct text_case {
	const char	*in;
	size_t		 max;
	const char	*want;
} text_cases[] = {
	{ "", 0, "" },
	{ "plain text", 0, "plain text" },
	{ "\x1b[2J\r\n\t", 0, "?[2J???" },
	{ "del\x7f", 0, "del?" },
	{ "b\xc3\xbc" "cher", 0, "b\xc3\xbc" "cher" },
	{ "c1\xc2\x9b" "31m", 0, "c1?31m" },
	{ "bad\xff\xc3", 0, "bad??" },
	{ "\xe0\x80\x80", 0, "???" },
	{ "\xe2\x82" "A", 0, "?A" },
	/* cut to max columns, "..." included */
	{ "0123456789", 10, "0123456789" },
	{ "0123456789a", 10, "0123456..." },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4,
	    "\xc3\xa9..." },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4,
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" },
	{ "\x01\x02\x03\x04\x05", 4, "?..." },
	{ "ab\x01" "cdef", 6, "ab?..." },
	/* no cutting at 3 or less */
	{ "abcdef", 3, "abcdef" },
};

static void
test_text_put(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(cli_queue_text_put(&b, text_cases[i].in,
		    strlen(text_cases[i].in), text_cases[i].max), 0);
		if (strcmp(str(&b), text_cases[i].want) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, str(&b),
			    text_cases[i].want);
	}
	buf_reset(&b);
	assert_int_equal(cli_queue_text_put(&b, "nul\0x", 5, 0), 0);
	assert_string_equal(str(&b), "nul?x");
	buf_free(&b);
}

/* ---- durations, states, failure types ----------------------------------- */

static void
test_duration(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;	/* -1: refused */
	} cases[] = {
		{ "0", 0 }, { "90", 90 }, { "90s", 90 }, { "30m", 1800 },
		{ "1h", 3600 }, { "2d", 172800 }, { "1w", 604800 },
		{ "2D", 172800 }, { "36500d", INT64_C(3153600000) },
		{ "5214w", INT64_C(3153427200) },
		{ "36501d", -1 }, { "5215w", -1 },
		{ "99999999999999999999", -1 }, { "", -1 }, { "h", -1 },
		{ "1x", -1 }, { "1.5h", -1 }, { "-1h", -1 }, { "+1h", -1 },
		{ " 1h", -1 }, { "1h ", -1 }, { "1h30m", -1 }, { "1hh", -1 },
		{ "0x10", -1 },
	};
	const char *why;
	int64_t secs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = cli_queue_duration(cases[i].in, &secs, &why);

		if (cases[i].want == -1) {
			if (r != -1 || why == NULL)
				fail_msg("case %zu (%s) accepted", i,
				    cases[i].in);
			continue;
		}
		if (r != 0)
			fail_msg("case %zu (%s): %s", i, cases[i].in, why);
		assert_int_equal(secs, cases[i].want);
	}
}

#define B(s)	((uint32_t)1 << IPC_QUEUE_S_##s)

static void
test_states(void **state)
{
	static const struct {
		const char	*in;
		int		 ok;
		uint32_t	 bits;
	} cases[] = {
		{ "pending", 1, B(PENDING) },
		{ "deferred", 1, B(DEFERRED) },
		{ "active", 1, B(ACTIVE) },
		{ "pending,deferred", 1, B(PENDING) | B(DEFERRED) },
		{ "Deferred,ACTIVE,pending", 1,
		    B(PENDING) | B(DEFERRED) | B(ACTIVE) },
		{ "active,active", 1, B(ACTIVE) },
		{ "held", 1, B(HELD) }, { "HELD,pending", 1,
		    B(HELD) | B(PENDING) },
		{ "", 0, 0 }, { ",", 0, 0 }, { "pending,", 0, 0 },
		{ ",pending", 0, 0 }, { "pending,,active", 0, 0 },
		{ "hold", 0, 0 }, { "pend", 0, 0 }, { "pendingx", 0, 0 },
		{ "pending deferred", 0, 0 }, { " pending", 0, 0 },
	};
	const char *why;
	uint32_t bits;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = cli_queue_states(cases[i].in, &bits, &why);

		if (!cases[i].ok) {
			if (r != -1 || why == NULL)
				fail_msg("case %zu (%s) accepted", i,
				    cases[i].in);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(bits, cases[i].bits);
	}
}

static void
test_failure_type(void **state)
{
	static const char *const ok[] = { "starttls-not-supported",
	    "certificate-host-mismatch", "certificate-expired",
	    "certificate-not-trusted", "validation-failure", "tlsa-invalid",
	    "dnssec-invalid", "dane-required", "sts-policy-fetch-error",
	    "sts-policy-invalid", "sts-webpki-invalid" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_string_equal(cli_queue_failure_type(ok[i]), ok[i]);
	assert_string_equal(cli_queue_failure_type("TLSA-Invalid"),
	    "tlsa-invalid");
	assert_null(cli_queue_failure_type(""));
	assert_null(cli_queue_failure_type("tlsa"));
	assert_null(cli_queue_failure_type("tlsa-invalid "));
	assert_null(cli_queue_failure_type("4.7.5"));
	assert_null(cli_queue_failure_type("sts-policy-fetch-errors"));
}

/* ---- the command line --------------------------------------------------- */

static const struct args_case {
	const char	*argv[8];
	enum cli_queue_cmd want;
	int		 json, summary, filtered;
	const char	*domain;
	uint32_t	 states;
	const char	*failure;
	int64_t		 older_than;
	const char	*err;		/* a part of the message */
} args_cases[] = {
	{ { "queue" }, CLI_QUEUE_RUN, 0, 0, 0, "", 0, "", 0, NULL },
	{ { "queue", "--json" }, CLI_QUEUE_RUN, 1, 0, 0, "", 0, "", 0, NULL },
	{ { "queue", "--summary", "--json" }, CLI_QUEUE_RUN, 1, 1, 0, "", 0,
	    "", 0, NULL },
	{ { "queue", "--domain", "Example.NET." }, CLI_QUEUE_RUN, 0, 0, 1,
	    "example.net", 0, "", 0, NULL },
	{ { "queue", "--domain=[192.0.2.1]" }, CLI_QUEUE_RUN, 0, 0, 1,
	    "[192.0.2.1]", 0, "", 0, NULL },
	{ { "queue", "--state", "pending,deferred" }, CLI_QUEUE_RUN, 0, 0, 1,
	    "", B(PENDING) | B(DEFERRED), "", 0, NULL },
	{ { "queue", "--state=active" }, CLI_QUEUE_RUN, 0, 0, 1, "",
	    B(ACTIVE), "", 0, NULL },
	{ { "queue", "--failure", "TLSA-invalid" }, CLI_QUEUE_RUN, 0, 0, 1,
	    "", 0, "tlsa-invalid", 0, NULL },
	{ { "queue", "--older-than", "1h" }, CLI_QUEUE_RUN, 0, 0, 1, "", 0,
	    "", NOW - 3600, NULL },
	{ { "queue", "--older-than=2d", "--json" }, CLI_QUEUE_RUN, 1, 0, 1,
	    "", 0, "", NOW - 172800, NULL },
	/* longer than since the epoch: 1, never 0 (no filter) */
	{ { "queue", "--older-than", "36500d" }, CLI_QUEUE_RUN, 0, 0, 1, "",
	    0, "", 1, NULL },
	{ { "queue", "--older-than", "0" }, CLI_QUEUE_RUN, 0, 0, 1, "", 0,
	    "", NOW, NULL },
	{ { "queue", "--json", "--summary", "--domain", "a.example",
	    "--state", "deferred", "--failure" }, CLI_QUEUE_USAGE, 0, 0, 0,
	    "", 0, "", 0, "--failure needs a value" },
	{ { "queue", "-h" }, CLI_QUEUE_HELP, 0, 0, 0, "", 0, "", 0, NULL },
	{ { "queue", "--json", "--help" }, CLI_QUEUE_HELP, 0, 0, 0, "", 0, "",
	    0, NULL },
	{ { "queue", "--domain" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "--domain needs a value" },
	{ { "queue", "--domain=" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "--domain: empty domain" },
	{ { "queue", "--domain", "a..b" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0,
	    "", 0, "--domain: not a domain name (an empty label): a..b" },
	{ { "queue", "--domain", "user@example.org" }, CLI_QUEUE_USAGE, 0, 0,
	    0, "", 0, "", 0, "not a domain name" },
	{ { "queue", "--state", "hold" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "",
	    0, "--state: not a state (pending, deferred, active or held): "
	    "hold" },
	{ { "queue", "--state", "" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "--state: an empty state name" },
	{ { "queue", "--failure", "tlsa" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0,
	    "", 0, "--failure: not an RFC 8460 failure type" },
	{ { "queue", "--older-than", "1y" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0,
	    "", 0, "--older-than: not a duration" },
	{ { "queue", "--older-than", "99999d" }, CLI_QUEUE_USAGE, 0, 0, 0, "",
	    0, "", 0, "--older-than: duration too long" },
	{ { "queue", "--json", "--json" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0,
	    "", 0, "given twice" },
	{ { "queue", "--summary", "--summary" }, CLI_QUEUE_USAGE, 0, 0, 0, "",
	    0, "", 0, "given twice" },
	{ { "queue", "--domain=a.example", "--domain", "b.example" },
	    CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0, "given twice" },
	{ { "queue", "--jsn" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "unknown option --jsn" },
	{ { "queue", "--domains", "a.example" }, CLI_QUEUE_USAGE, 0, 0, 0, "",
	    0, "", 0, "unknown option --domains" },
	{ { "queue", "-x" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "unknown option -x" },
	{ { "queue", "a.example" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "unexpected argument a.example" },
	{ { "queue", "--", "--json" }, CLI_QUEUE_USAGE, 0, 0, 0, "", 0, "", 0,
	    "unknown option --" },
};

static void
test_args(void **state)
{
	struct ipc_queue_query q;
	struct cli_queue_opts o;
	char err[300];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];
		enum cli_queue_cmd r;

		for (argc = 0; argc < 8 && c->argv[argc] != NULL; argc++)
			;
		r = cli_queue_args(argc, (char **)(uintptr_t)c->argv, NOW, &q,
		    &o, err, sizeof(err));
		if (r != c->want)
			fail_msg("case %zu (%s %s): %d, want %d: %s", i,
			    c->argv[1], c->argv[2] ? c->argv[2] : "", r,
			    c->want, err);
		if (c->err != NULL && strstr(err, c->err) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err, c->err);
		if (r != CLI_QUEUE_RUN)
			continue;
		assert_int_equal(q.ctl, 0);
		assert_int_equal(q.op, IPC_QUEUE_LIST);
		assert_int_equal(q.max, IPC_QUEUE_BATCH_MAX);
		assert_string_equal(q.after, "");
		assert_int_equal(o.json, c->json);
		assert_int_equal(o.summary, c->summary);
		assert_int_equal(o.filtered, c->filtered);
		assert_string_equal(q.domain, c->domain);
		assert_int_equal(q.states, c->states);
		assert_string_equal(q.failure, c->failure);
		assert_int_equal(q.older_than, c->older_than);
	}
}

static void
test_args_long(void **state)
{
	char big[2000], arg[2100], err[100];
	char *argv[] = { (char *)"queue", (char *)"--domain", big, NULL };
	char *argv2[] = { (char *)"queue", arg, NULL };
	struct ipc_queue_query q;
	struct cli_queue_opts o;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(cli_queue_args(3, argv, NOW, &q, &o, err,
	    sizeof(err)), CLI_QUEUE_USAGE);
	assert_non_null(strstr(err, "too long"));
	assert_true(strlen(err) < sizeof(err));
	(void)snprintf(arg, sizeof(arg), "--%s", big);
	assert_int_equal(cli_queue_args(2, argv2, NOW, &q, &o, err,
	    sizeof(err)), CLI_QUEUE_USAGE);
	assert_non_null(strstr(err, "unknown option --xxx"));
	assert_true(strlen(err) < sizeof(err));
}

/* ---- frames ------------------------------------------------------------- */

static struct ipc_queue_item
mkitem(const char *id, uint32_t nrcpt)
{
	struct ipc_queue_item it;

	memset(&it, 0, sizeof(it));
	it.ctl = 7;
	(void)strlcpy(it.id, id, sizeof(it.id));
	it.arrival = NOW - 3600;
	it.size = 4096;
	(void)strlcpy(it.from, "alice@example.org", sizeof(it.from));
	it.due = NOW + 600;
	it.nrcpt = nrcpt;
	return it;
}

static struct ipc_queue_rcpt
mkrcpt(const char *addr, int32_t st)
{
	struct ipc_queue_rcpt r;

	memset(&r, 0, sizeof(r));
	r.ctl = 7;
	(void)strlcpy(r.addr, addr, sizeof(r.addr));
	r.state = st;
	return r;
}

static struct ipc_queue_end
mkend(int32_t status, int more, const char *last, uint32_t count)
{
	struct ipc_queue_end e;

	memset(&e, 0, sizeof(e));
	e.ctl = 7;
	e.status = status;
	e.more = more;
	(void)strlcpy(e.last, last, sizeof(e.last));
	e.count = count;
	return e;
}

/* A step of a frame sequence: a frame and what the pager must say. */
struct step {
	uint32_t	 type;
	const void	*data;
	size_t		 len;
	enum cli_queue_p want;
};

#define ITEM(x, w)	{ IPC_QUEUE_ITEM, &(x), sizeof(x), (w) }
#define RCPT(x, w)	{ IPC_QUEUE_RCPT, &(x), sizeof(x), (w) }
#define END(x, w)	{ IPC_QUEUE_END, &(x), sizeof(x), (w) }

/* Runs steps; returns the index of the first that differs, or -1. */
static int
run_steps(const struct step *s, size_t n, struct ipc_queue_query *q,
    struct cli_queue_pager *p)
{
	static struct ipc_queue_item item;
	static struct ipc_queue_rcpt rcpt;
	size_t i;

	cli_queue_pager_init(p, q, &item, &rcpt);
	for (i = 0; i < n; i++)
		if (cli_queue_pager_feed(p, s[i].type, s[i].data, s[i].len) !=
		    s[i].want)
			return (int)i;
	return -1;
}

#define RUN(steps)	run_steps(steps, sizeof(steps) / sizeof(steps[0]), \
			    &q, &p)

static void
test_pager_good(void **state)
{
	struct ipc_queue_item a = mkitem("0005e1000000aaaa", 2),
	    b = mkitem("0005e1000000bbbb", 0),
	    c = mkitem("0005e1000000cccc", 1);
	struct ipc_queue_rcpt r1 = mkrcpt("bob@example.net", 0),
	    r2 = mkrcpt("carol@example.net", 1);
	struct ipc_queue_end e1 = mkend(0, 1, "0005e1000000bbbc", 2),
	    e2 = mkend(0, 1, "0005e1000000bbbd", 0),
	    e3 = mkend(0, 0, "0005e1000000cccc", 1);
	struct ipc_queue_query q;
	struct cli_queue_pager p;
	const struct step steps[] = {
		ITEM(a, CLI_QUEUE_P_ITEM), RCPT(r1, CLI_QUEUE_P_RCPT),
		RCPT(r2, CLI_QUEUE_P_RCPT), ITEM(b, CLI_QUEUE_P_ITEM),
		END(e1, CLI_QUEUE_P_NEXT),
		/* a batch whose messages were all filtered out */
		END(e2, CLI_QUEUE_P_NEXT),
		ITEM(c, CLI_QUEUE_P_ITEM), RCPT(r1, CLI_QUEUE_P_RCPT),
		END(e3, CLI_QUEUE_P_DONE),
	};
	const struct step empty[] = {
		END(e3, CLI_QUEUE_P_BAD),	/* counts 1, none came */
	};
	struct ipc_queue_end e0 = mkend(0, 0, "", 0);
	const struct step none[] = { END(e0, CLI_QUEUE_P_DONE) };

	(void)state;
	memset(&q, 0, sizeof(q));
	q.max = IPC_QUEUE_BATCH_MAX;
	assert_int_equal(RUN(steps), -1);
	assert_string_equal(q.after, "0005e1000000bbbd");
	assert_int_equal(p.rcpt_left, 0);
	assert_string_equal(p.item->id, "0005e1000000cccc");
	memset(&q, 0, sizeof(q));
	q.max = IPC_QUEUE_BATCH_MAX;
	assert_int_equal(RUN(empty), -1);
	assert_int_equal(RUN(none), -1);
}

static void
test_pager_bad(void **state)
{
	struct ipc_queue_item a = mkitem("0005e1000000aaaa", 1),
	    b = mkitem("0005e1000000bbbb", 0), bad;
	struct ipc_queue_rcpt r = mkrcpt("bob@example.net", 0), br;
	struct ipc_queue_end done = mkend(0, 0, "", 1), eb;
	struct ipc_queue_query q;
	struct cli_queue_pager p;
	char big[sizeof(a) + 1];
	size_t i;
	int k;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.max = IPC_QUEUE_BATCH_MAX;
	memset(big, 0, sizeof(big));
	memcpy(big, &b, sizeof(b));
	{
		const struct step s[] = { { IPC_QUEUE_ITEM, &b,
		    sizeof(b) - 1, CLI_QUEUE_P_BAD } };
		assert_int_equal(RUN(s), -1);
	}
	{
		const struct step s[] = {
			{ IPC_QUEUE_ITEM, big, sizeof(big), CLI_QUEUE_P_BAD } };
		assert_int_equal(RUN(s), -1);
	}
	{	/* a recipient with no message */
		const struct step s[] = { RCPT(r, CLI_QUEUE_P_BAD) };
		assert_int_equal(RUN(s), -1);
	}
	{	/* one more recipient than announced */
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    RCPT(r, CLI_QUEUE_P_RCPT), RCPT(r, CLI_QUEUE_P_BAD) };
		assert_int_equal(RUN(s), -1);
	}
	{	/* the next message before the recipients */
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    ITEM(b, CLI_QUEUE_P_BAD) };
		assert_int_equal(RUN(s), -1);
	}
	{	/* the end before the recipients */
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    END(done, CLI_QUEUE_P_BAD) };
		assert_int_equal(RUN(s), -1);
	}
	{	/* a recipient of the wrong size */
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    { IPC_QUEUE_RCPT, &r, sizeof(r) - 8, CLI_QUEUE_P_BAD } };
		assert_int_equal(RUN(s), -1);
	}
	{	/* ids out of order, or the same twice */
		const struct step s[] = { ITEM(b, CLI_QUEUE_P_ITEM),
		    ITEM(a, CLI_QUEUE_P_BAD) };
		const struct step s2[] = { ITEM(b, CLI_QUEUE_P_ITEM),
		    ITEM(b, CLI_QUEUE_P_BAD) };
		assert_int_equal(RUN(s), -1);
		assert_int_equal(RUN(s2), -1);
	}
	{	/* an id not after where the batch starts */
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_BAD) };
		(void)strlcpy(q.after, "0005e1000000aaaa", sizeof(q.after));
		assert_int_equal(RUN(s), -1);
		q.after[0] = '\0';
	}
	{	/* more messages than asked for */
		struct ipc_queue_item c = mkitem("0005e1000000cccc", 0);
		const struct step s[] = { ITEM(b, CLI_QUEUE_P_ITEM),
		    ITEM(c, CLI_QUEUE_P_BAD) };
		q.max = 1;
		assert_int_equal(RUN(s), -1);
		q.max = 2;
		assert_int_equal(RUN(s), 1);
		q.max = IPC_QUEUE_BATCH_MAX;
	}
	/* malformed messages */
	for (k = 0; k < 8; k++) {
		const struct step s[] = { ITEM(bad, CLI_QUEUE_P_BAD) };

		bad = b;
		switch (k) {
		case 0: memset(bad.id, 'a', sizeof(bad.id)); break;
		case 1: bad.id[0] = '\0'; break;
		case 2: (void)strlcpy(bad.id, "../x", sizeof(bad.id)); break;
		case 3: memset(bad.from, 'a', sizeof(bad.from)); break;
		case 4: bad.arrival = -1; break;
		case 5: bad.arrival = INT64_C(253402300800); break;
		case 6: bad.due = -5; break;
		case 7: (void)strlcpy(bad.id, "abc def", sizeof(bad.id));
			break;
		}
		if (RUN(s) != -1)
			fail_msg("malformed message %d accepted", k);
	}
	/* malformed recipients */
	for (k = 0; k < 12; k++) {
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    RCPT(br, CLI_QUEUE_P_BAD) };

		br = r;
		switch (k) {
		case 0: memset(br.addr, 'a', sizeof(br.addr)); break;
		case 1: memset(br.dsn, '4', sizeof(br.dsn)); break;
		case 2: memset(br.failure, 'x', sizeof(br.failure)); break;
		case 3: memset(br.mx, 'm', sizeof(br.mx)); break;
		case 4: memset(br.text, 't', sizeof(br.text)); break;
		case 5: br.state = -1; break;
		case 6: br.state = IPC_QUEUE_S_MAX; break;
		case 7: br.code = -1; break;
		case 8: br.code = 1000; break;
		case 9: br.last_attempt = -1; break;
		case 10: br.next_retry = INT64_MAX; break;
		case 11: br.state = 77; break;
		}
		if (RUN(s) != -1)
			fail_msg("malformed recipient %d accepted", k);
	}
	/* malformed ends */
	for (k = 0; k < 8; k++) {
		const struct step s[] = { ITEM(b, CLI_QUEUE_P_ITEM),
		    END(eb, CLI_QUEUE_P_BAD) };

		eb = mkend(0, 1, "0005e1000000bbbc", 1);
		switch (k) {
		case 0: memset(eb.last, 'a', sizeof(eb.last)); break;
		case 1: memset(eb.text, 'a', sizeof(eb.text)); break;
		case 2: eb.status = 1; break;
		case 3: eb.status = -1; break;
		case 4: eb.count = 2; break;
		case 5: eb.count = 0; break;
		case 6: /* more, but last does not move on */
			eb.last[0] = '\0';
			break;
		case 7: /* more, from before the last message */
			(void)strlcpy(eb.last, "0005e1000000aaaa",
			    sizeof(eb.last));
			break;
		}
		if (RUN(s) != -1)
			fail_msg("malformed end %d accepted", k);
	}
	{
		const struct step s[] = {
			{ IPC_QUEUE_END, &done, sizeof(done) + 1,
			    CLI_QUEUE_P_BAD } };
		assert_int_equal(RUN(s), -1);
	}
	/* status 2 says why; other types */
	eb = mkend(2, 0, "", 0);
	(void)strlcpy(eb.text, "unknown op", sizeof(eb.text));
	{
		const struct step s[] = { ITEM(a, CLI_QUEUE_P_ITEM),
		    RCPT(r, CLI_QUEUE_P_RCPT), END(eb, CLI_QUEUE_P_FAILED) };
		assert_int_equal(RUN(s), -1);
		assert_string_equal(p.end_text, "unknown op");
	}
	{
		const struct step s[] = {
			{ IPC_CTL_ERROR, "no", 2, CLI_QUEUE_P_ERROR },
			{ IPC_CTL_END, NULL, 0, CLI_QUEUE_P_BAD },
			{ IPC_POLICY_TEXT, "x", 1, CLI_QUEUE_P_BAD },
			{ IPC_QUEUE_QUERY, &q, sizeof(q), CLI_QUEUE_P_BAD },
		};
		for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
			assert_int_equal(run_steps(&s[i], 1, &q, &p), -1);
		assert_non_null(p.why);
	}
}

/* ---- what is printed ---------------------------------------------------- */

static void
test_item_text(void **state)
{
	struct ipc_queue_item it = mkitem("0005e1a2b3c4d5e6f708192a3b4c5", 2);
	struct buf b;

	(void)state;
	buf_init(&b, 65536);
	assert_int_equal(cli_queue_fmt_head(&b), 0);
	assert_string_equal(str(&b), "QUEUE ID                          "
	    "OCTETS  ARRIVAL              SENDER / RECIPIENTS\n");
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_item(&b, &it, 0), 0);
	assert_string_equal(str(&b), "0005e1a2b3c4d5e6f708192a3b4c5       "
	    "4096  Sat Dec  5 07:01:02  alice@example.org\n");
	buf_reset(&b);
	it.from[0] = '\0';
	it.active = 1;
	it.requiretls = 1;
	it.size = 12345678901ULL;
	(void)strlcpy(it.id, "ABC123", sizeof(it.id));
	assert_int_equal(cli_queue_fmt_item(&b, &it, 0), 0);
	assert_string_equal(str(&b), "ABC123                        "
	    "12345678901  Sat Dec  5 07:01:02  <>  (active)  (REQUIRETLS)\n");
	buf_reset(&b);
	it.held = it.arrival;
	it.active = 0;
	assert_int_equal(cli_queue_fmt_item(&b, &it, 0), 0);
	assert_string_equal(str(&b), "ABC123                        "
	    "12345678901  Sat Dec  5 07:01:02  <>  (held)  (REQUIRETLS)\n");
	it.held = 0;
	buf_reset(&b);
	(void)strlcpy(it.from, "\x1b[2Jevil\xff@example.org", sizeof(it.from));
	it.active = it.requiretls = 0;
	it.size = 0;
	it.arrival = 0;
	assert_int_equal(cli_queue_fmt_item(&b, &it, 0), 0);
	assert_string_equal(str(&b), "ABC123                                 "
	    "0  Thu Jan  1 00:00:00  ?[2Jevil?@example.org\n");
	buf_reset(&b);
	it.nomitted = 0;
	assert_int_equal(cli_queue_fmt_item_end(&b, &it, 0), 0);
	assert_string_equal(str(&b), "\n");
	buf_reset(&b);
	it.nomitted = 1;
	assert_int_equal(cli_queue_fmt_item_end(&b, &it, 0), 0);
	assert_string_equal(str(&b), "    +1 more recipient\n\n");
	buf_reset(&b);
	it.nomitted = 99000;
	assert_int_equal(cli_queue_fmt_item_end(&b, &it, 0), 0);
	assert_string_equal(str(&b), "    +99000 more recipients\n\n");
	buf_free(&b);
}

static const struct rcpt_case {
	const char	*addr;
	int32_t		 state;
	uint32_t	 attempts;
	int64_t		 next;
	int32_t		 code;
	const char	*dsn, *failure, *mx, *text;
	size_t		 width;
	const char	*want;
} rcpt_cases[] = {
	{ "bob@example.net", IPC_QUEUE_S_PENDING, 0, 0, 0, "", "", "", "", 80,
	    "    bob@example.net  pending\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 3, NOW + 21838, 451,
	    "4.7.5", "tlsa-invalid", "mx1.example.net",
	    "certificate matches no TLSA record", 80,
	    "    bob@example.net  deferred  attempts 3  next 14:05\n"
	    "        451 4.7.5 tlsa-invalid at mx1.example.net: certificate "
	    "matches no TLS...\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 3, NOW + 21838, 451,
	    "4.7.5", "tlsa-invalid", "mx1.example.net",
	    "certificate matches no TLSA record", 0,
	    "    bob@example.net  deferred  attempts 3  next 14:05\n"
	    "        451 4.7.5 tlsa-invalid at mx1.example.net: certificate "
	    "matches no TLSA record\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 1, NOW + 108238, 451,
	    "4.4.1", "", "", "connection refused", 80,
	    "    bob@example.net  deferred  attempts 1  next Dec  6 14:05\n"
	    "        451 4.4.1: connection refused\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 9, NOW + 2441038, 451,
	    "4.7.0", "starttls-not-supported", "mx.example.net", "", 80,
	    "    bob@example.net  deferred  attempts 9  next 2027-01-02 14:05\n"
	    "        451 4.7.0 starttls-not-supported at mx.example.net\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 2, NOW - 60, 0, "", "",
	    "", "no answer", 80,
	    "    bob@example.net  deferred  attempts 2  due now\n"
	    "        no answer\n" },
	{ "bob@example.net", IPC_QUEUE_S_ACTIVE, 1, NOW + 60, 421, "", "",
	    "mx.example.net", "", 80,
	    "    bob@example.net  active  attempts 1\n"
	    "        421 at mx.example.net\n" },
	{ "bob@example.net", IPC_QUEUE_S_DEFERRED, 1, 0, 0, "", "", "", "",
	    80, "    bob@example.net  deferred  attempts 1\n" },
	{ "", IPC_QUEUE_S_PENDING, 0, 0, 0, "", "", "", "", 80,
	    "    <>  pending\n" },
	{ "b\xc3\xbc" "cher@b\xc3\xbc" "cher.example", IPC_QUEUE_S_PENDING,
	    0, 0, 0, "", "", "", "", 80,
	    "    b\xc3\xbc" "cher@b\xc3\xbc" "cher.example  pending\n" },
	{ "x\r\n@example.net", IPC_QUEUE_S_DEFERRED, 1, 0, 550, "5.1.1",
	    "", "", "evil\r\n\x1b[1mtext", 80,
	    "    x??@example.net  deferred  attempts 1\n"
	    "        550 5.1.1: evil???[1mtext\n" },
	/* the terminal's width decides where the reason is cut */
	{ "a@b", IPC_QUEUE_S_DEFERRED, 1, 0, 451, "4.3.0", "", "", "abcdefghij",
	    24, "    a@b  deferred  attempts 1\n"
	    "        451 4.3.0: ab...\n" },
	{ "a@b", IPC_QUEUE_S_DEFERRED, 1, 0, 451, "4.3.0", "", "", "abcdefghij",
	    30, "    a@b  deferred  attempts 1\n"
	    "        451 4.3.0: abcdefghij\n" },
	/* a held message's recipients */
	{ "bob@example.net", IPC_QUEUE_S_HELD, 2, NOW + 21838, 0, "", "", "",
	    "", 80, "    bob@example.net  held  attempts 2\n" },
};

static void
test_rcpt_text(void **state)
{
	struct ipc_queue_rcpt r;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 65536);
	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];

		r = mkrcpt(c->addr, c->state);
		r.attempts = c->attempts;
		r.next_retry = c->next;
		r.code = c->code;
		(void)strlcpy(r.dsn, c->dsn, sizeof(r.dsn));
		(void)strlcpy(r.failure, c->failure, sizeof(r.failure));
		(void)strlcpy(r.mx, c->mx, sizeof(r.mx));
		(void)strlcpy(r.text, c->text, sizeof(r.text));
		buf_reset(&b);
		assert_int_equal(cli_queue_fmt_rcpt(&b, &r, 0, 1, NOW,
		    c->width), 0);
		if (strcmp(str(&b), c->want) != 0)
			fail_msg("case %zu: got\n%swant\n%s", i, str(&b),
			    c->want);
	}
	/* the policy source that demanded the failed check (issue 11) */
	r = mkrcpt("bob@example.net", IPC_QUEUE_S_DEFERRED);
	r.attempts = 3;
	r.next_retry = NOW + 21838;
	r.code = 451;
	(void)strlcpy(r.dsn, "4.7.5", sizeof(r.dsn));
	(void)strlcpy(r.failure, "tlsa-invalid", sizeof(r.failure));
	(void)strlcpy(r.mx, "mx1.example.net", sizeof(r.mx));
	(void)strlcpy(r.policy, "dane", sizeof(r.policy));
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r, 0, 1, NOW, 80), 0);
	assert_string_equal(str(&b),
	    "    bob@example.net  deferred  attempts 3  next 14:05\n"
	    "        451 4.7.5 tlsa-invalid (dane) at mx1.example.net\n");
	r = mkrcpt("bob@example.net", IPC_QUEUE_S_DEFERRED);
	r.attempts = 1;
	(void)strlcpy(r.policy, "mta-sts", sizeof(r.policy));
	(void)strlcpy(r.text, "no MX matches", sizeof(r.text));
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r, 0, 1, NOW, 80), 0);
	assert_string_equal(str(&b),
	    "    bob@example.net  deferred  attempts 1\n"
	    "        (mta-sts): no MX matches\n");
	/* the longest reason a frame can hold, cut at the width */
	r = mkrcpt("a@b", IPC_QUEUE_S_DEFERRED);
	r.code = 451;
	memset(r.dsn, '4', sizeof(r.dsn) - 1);
	memset(r.failure, 'f', sizeof(r.failure) - 1);
	memset(r.mx, 'm', sizeof(r.mx) - 1);
	memset(r.text, 't', sizeof(r.text) - 1);
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r, 0, 1, NOW, 80), 0);
	assert_non_null(strstr(str(&b), "\n        451 444444444444444 "));
	assert_int_equal(strlen(strchr(str(&b), '\n') + 1), 8 + 72 + 1);
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r, 0, 1, NOW, 0), 0);
	assert_non_null(strstr(str(&b), "ffff at mmmm"));
	assert_non_null(strstr(str(&b), "mmm: tttt"));
	buf_free(&b);
}

static void
test_json_objects(void **state)
{
	struct ipc_queue_item it = mkitem("0005e1a2b3c4d5e6f708192a3b4c5", 2);
	struct ipc_queue_rcpt r1 = mkrcpt("bob@example.net",
	    IPC_QUEUE_S_DEFERRED), r2 = mkrcpt("\"c\\d\"@example.net",
	    IPC_QUEUE_S_PENDING);
	struct buf b;

	(void)state;
	buf_init(&b, 65536);
	it.ndone = 1;
	it.nomitted = 3;
	it.requiretls = 1;
	r1.attempts = 3;
	r1.last_attempt = NOW - 600;
	r1.next_retry = NOW + 21838;
	r1.code = 451;
	(void)strlcpy(r1.dsn, "4.7.5", sizeof(r1.dsn));
	(void)strlcpy(r1.failure, "tlsa-invalid", sizeof(r1.failure));
	(void)strlcpy(r1.mx, "mx1.example.net", sizeof(r1.mx));
	(void)strlcpy(r1.text, "no\tmatch\n\xff", sizeof(r1.text));
	(void)strlcpy(r1.policy, "dane", sizeof(r1.policy));
	assert_int_equal(cli_queue_fmt_item(&b, &it, 1), 0);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r1, 1, 1, NOW, 80), 0);
	assert_int_equal(cli_queue_fmt_rcpt(&b, &r2, 1, 0, NOW, 80), 0);
	assert_int_equal(cli_queue_fmt_item_end(&b, &it, 1), 0);
	assert_string_equal(str(&b),
	    "{\"id\":\"0005e1a2b3c4d5e6f708192a3b4c5\","
	    "\"arrival\":\"2026-12-05T07:01:02Z\",\"size\":4096,"
	    "\"from\":\"alice@example.org\",\"active\":false,"
	    "\"requiretls\":true,\"due\":\"2026-12-05T08:11:02Z\","
	    "\"held\":null,\"done\":1,"
	    "\"recipients\":["
	    "{\"address\":\"bob@example.net\",\"state\":\"deferred\","
	    "\"attempts\":3,\"last_attempt\":\"2026-12-05T07:51:02Z\","
	    "\"next_attempt\":\"2026-12-05T14:05:00Z\",\"code\":451,"
	    "\"dsn\":\"4.7.5\",\"failure\":\"tlsa-invalid\","
	    "\"policy\":\"dane\","
	    "\"mx\":\"mx1.example.net\",\"text\":\"no\\tmatch\\n\\ufffd\"},"
	    "{\"address\":\"\\\"c\\\\d\\\"@example.net\",\"state\":\"pending\","
	    "\"attempts\":0,\"last_attempt\":null,\"next_attempt\":null,"
	    "\"code\":null,\"dsn\":null,\"failure\":null,\"policy\":null,"
	    "\"mx\":null,\"text\":null}],\"omitted\":3}\n");
	/* no recipients, the null sender, active, no due time */
	buf_reset(&b);
	it.nrcpt = 0;
	it.nomitted = 0;
	it.ndone = 0;
	it.from[0] = '\0';
	it.active = 1;
	it.requiretls = 0;
	it.due = 0;
	it.held = it.arrival;
	assert_int_equal(cli_queue_fmt_item(&b, &it, 1), 0);
	assert_int_equal(cli_queue_fmt_item_end(&b, &it, 1), 0);
	assert_string_equal(str(&b),
	    "{\"id\":\"0005e1a2b3c4d5e6f708192a3b4c5\","
	    "\"arrival\":\"2026-12-05T07:01:02Z\",\"size\":4096,\"from\":\"\","
	    "\"active\":true,\"requiretls\":false,\"due\":null,"
	    "\"held\":\"2026-12-05T07:01:02Z\",\"done\":0,"
	    "\"recipients\":[],\"omitted\":0}\n");
	buf_free(&b);
}

static void
test_total(void **state)
{
	static const struct {
		uint64_t	 messages, size, p, d, a, omitted;
		int		 filtered;
		const char	*want;
	} cases[] = {
		{ 0, 0, 0, 0, 0, 0, 0, "Mail queue is empty\n" },
		{ 0, 0, 0, 0, 0, 0, 1, "No queued message matches\n" },
		{ 1, 1, 1, 0, 0, 0, 0, "-- 1 message, 1 octet, 1 recipient "
		    "waiting (1 pending)\n" },
		{ 3, 12288, 2, 2, 1, 0, 0, "-- 3 messages, 12288 octets, 5 "
		    "recipients waiting (2 pending, 2 deferred, 1 active)\n" },
		{ 2, 100, 0, 1, 0, 7, 1, "-- 2 messages, 100 octets, 8 "
		    "recipients waiting (1 deferred, 7 not listed)\n" },
		{ 1, 0, 0, 0, 0, 0, 0,
		    "-- 1 message, 0 octets, 0 recipients waiting\n" },
	};
	struct cli_queue_tally t;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.messages = cases[i].messages;
		t.size = cases[i].size;
		t.state[IPC_QUEUE_S_PENDING] = cases[i].p;
		t.state[IPC_QUEUE_S_DEFERRED] = cases[i].d;
		t.state[IPC_QUEUE_S_ACTIVE] = cases[i].a;
		t.omitted = cases[i].omitted;
		buf_reset(&b);
		assert_int_equal(cli_queue_fmt_total(&b, &t,
		    cases[i].filtered), 0);
		assert_string_equal(str(&b), cases[i].want);
	}
	/* the tally counts what it is given */
	memset(&t, 0, sizeof(t));
	{
		struct ipc_queue_item it = mkitem("a1", 1);
		struct ipc_queue_rcpt r = mkrcpt("x@y", IPC_QUEUE_S_ACTIVE);

		it.nomitted = 4;
		cli_queue_tally_item(&t, &it);
		cli_queue_tally_item(&t, &it);
		cli_queue_tally_rcpt(&t, &r);
		assert_int_equal(t.messages, 2);
		assert_int_equal(t.size, 8192);
		assert_int_equal(t.omitted, 8);
		assert_int_equal(t.state[IPC_QUEUE_S_ACTIVE], 1);
	}
	buf_free(&b);
}

/* ---- --summary ---------------------------------------------------------- */

struct sum_rcpt {
	const char	*addr;
	int32_t		 state;
	int32_t		 code;
	const char	*dsn, *failure;
};

static void
sum_message(struct cli_queue_sum *s, uint64_t size, uint32_t omitted,
    const struct sum_rcpt *r, size_t n)
{
	struct ipc_queue_item it = mkitem("a1", (uint32_t)n);
	struct ipc_queue_rcpt rc;
	size_t i;

	it.size = size;
	it.nomitted = omitted;
	assert_int_equal(cli_queue_sum_item(s, &it), 0);
	for (i = 0; i < n; i++) {
		rc = mkrcpt(r[i].addr, r[i].state);
		rc.code = r[i].code;
		(void)strlcpy(rc.dsn, r[i].dsn, sizeof(rc.dsn));
		(void)strlcpy(rc.failure, r[i].failure, sizeof(rc.failure));
		assert_int_equal(cli_queue_sum_rcpt(s, &rc), 0);
	}
}

/* The whole summary as printed. */
static const char *
sum_print(struct cli_queue_sum *s, struct buf *b, int json, int filtered)
{
	size_t n, i;

	buf_reset(b);
	assert_int_equal(cli_queue_sum_sort(s, &n), 0);
	assert_int_equal(cli_queue_fmt_sum_head(b, s, json), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(cli_queue_fmt_sum_row(b, s, i, json), 0);
	assert_int_equal(cli_queue_fmt_sum_tail(b, s, json, filtered), 0);
	return str(b);
}

static void
test_summary(void **state)
{
	static const struct sum_rcpt m1[] = {
		{ "a@Example.NET.", 1, 451, "4.7.5", "tlsa-invalid" },
		{ "b@example.net", 1, 451, "4.7.5", "tlsa-invalid" },
		{ "c@example.org", 0, 0, "", "" },
	};
	static const struct sum_rcpt m2[] = {
		{ "d@example.net", 1, 451, "4.4.1", "" },
		{ "e@example.com", 1, 451, "4.4.1", "" },
		{ "f@example.com", 2, 0, "", "" },
		{ "g@example.org", 1, 451, "4.7.0",
		    "starttls-not-supported" },
	};
	static const struct sum_rcpt m3[] = {
		{ "h@example.org", 1, 451, "4.4.1", "" },
		{ "nodomain", 0, 0, "", "" },
		{ "\"odd@x\"@[192.0.2.1]", 1, 451, "4.4.2", "" },
	};
	struct cli_queue_sum *s;
	struct buf b;

	(void)state;
	buf_init(&b, 65536);
	assert_non_null(s = cli_queue_sum_new());
	assert_string_equal(sum_print(s, &b, 0, 0), "Mail queue is empty\n");
	assert_string_equal(sum_print(s, &b, 1, 0), "{\"domains\":[],"
	    "\"messages\":0,\"recipients\":0,\"size\":0,\"pending\":0,"
	    "\"deferred\":0,\"active\":0,\"held\":0,\"omitted\":0}\n");
	cli_queue_sum_free(s);

	assert_non_null(s = cli_queue_sum_new());
	sum_message(s, 1000, 0, m1, 3);
	sum_message(s, 200, 5, m2, 4);
	sum_message(s, 30, 0, m3, 3);
	/*
	 * example.net: 3 recipients in 2 messages (a and b in the first,
	 * merged though written differently); example.org: 3 in 3;
	 * example.com: 2 in 1. Ties by name: example.net < example.org.
	 * Failures: tlsa-invalid 2 over 4.4.1 once; on example.org one
	 * each of starttls-not-supported and 4.4.1: the first by name.
	 */
	assert_string_equal(sum_print(s, &b, 0, 1),
	    "DOMAIN                             RCPTS    MSGS       OCTETS  "
	    "MOST COMMON FAILURE\n"
	    "example.net                            3       2         1200  "
	    "tlsa-invalid (2)\n"
	    "example.org                            3       3         1230  "
	    "4.4.1 (1)\n"
	    "example.com                            2       1          200  "
	    "4.4.1 (1)\n"
	    "(no domain)                            1       1           30  "
	    "-\n"
	    "[192.0.2.1]                            1       1           30  "
	    "4.4.2 (1)\n"
	    "-- 5 domains, 10 recipients in 3 messages, 1230 octets (5 more "
	    "recipients not listed)\n");
	assert_string_equal(sum_print(s, &b, 1, 1),
	    "{\"domains\":["
	    "{\"domain\":\"example.net\",\"recipients\":3,\"messages\":2,"
	    "\"size\":1200,\"failure\":\"tlsa-invalid\",\"failure_count\":2},"
	    "{\"domain\":\"example.org\",\"recipients\":3,\"messages\":3,"
	    "\"size\":1230,\"failure\":\"4.4.1\",\"failure_count\":1},"
	    "{\"domain\":\"example.com\",\"recipients\":2,\"messages\":1,"
	    "\"size\":200,\"failure\":\"4.4.1\",\"failure_count\":1},"
	    "{\"domain\":\"\",\"recipients\":1,\"messages\":1,\"size\":30,"
	    "\"failure\":null,\"failure_count\":0},"
	    "{\"domain\":\"[192.0.2.1]\",\"recipients\":1,\"messages\":1,"
	    "\"size\":30,\"failure\":\"4.4.2\",\"failure_count\":1}],"
	    "\"messages\":3,\"recipients\":10,\"size\":1230,\"pending\":2,"
	    "\"deferred\":7,\"active\":1,\"held\":0,\"omitted\":5}\n");
	cli_queue_sum_free(s);	buf_free(&b);
}

/* Many domains: the table grows, the order holds, each is counted once. */
static void
test_summary_many(void **state)
{
	struct cli_queue_sum *s;
	struct sum_rcpt r[3];
	char a[3][64];
	struct buf b;
	size_t n, i;
	unsigned k;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_non_null(s = cli_queue_sum_new());
	for (k = 0; k < 5000; k++) {
		/* domain d<k%1000>: k%1000 gets 5 messages of 3 recipients,
		   2 of them to d<k%1000> and one to big.example */
		(void)snprintf(a[0], sizeof(a[0]), "x@d%u.example", k % 1000);
		(void)snprintf(a[1], sizeof(a[1]), "y@D%u.example", k % 1000);
		(void)snprintf(a[2], sizeof(a[2]), "z@big.example");
		for (i = 0; i < 3; i++) {
			r[i].addr = a[i];
			r[i].state = 1;
			r[i].code = 451;
			r[i].dsn = "4.4.1";
			r[i].failure = i == 2 && k % 3 == 0 ?
			    "dnssec-invalid" : "";
		}
		sum_message(s, 10, 0, r, 3);
	}
	assert_int_equal(cli_queue_sum_sort(s, &n), 0);
	assert_int_equal(n, 1001);
	assert_int_equal(cli_queue_fmt_sum_row(&b, s, 0, 1), 0);
	/* 1667 of 5000 with dnssec-invalid, 3333 with 4.4.1 only */
	assert_string_equal(str(&b), "{\"domain\":\"big.example\","
	    "\"recipients\":5000,\"messages\":5000,\"size\":50000,"
	    "\"failure\":\"4.4.1\",\"failure_count\":3333}");
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_sum_row(&b, s, 1, 0), 0);
	assert_string_equal(str(&b), "d0.example                            "
	    "10       5           50  4.4.1 (10)\n");
	buf_reset(&b);
	assert_int_equal(cli_queue_fmt_sum_row(&b, s, 1000, 0), 0);
	assert_non_null(strstr(str(&b), "d999.example "));
	cli_queue_sum_free(s);
	buf_free(&b);
}

/* ---- flush, hold, release, delete, requeue (issue 11) ---- */

#define QID	"0005e1a2b3c4d5e6f708192a3b4c5"

static const struct op_case {
	const char	*argv[8];
	enum cli_queue_op_cmd want;
	int		 op, json, verbose, selection, all, nids;
	const char	*domain;
	const char	*err;		/* a part of it, or NULL */
} op_cases[] = {
	{ { "hold", QID }, CLI_QUEUE_OP_RUN, IPC_QUEUE_HOLD, 0, 0, 0, 0, 1,
	    "", NULL },
	{ { "release", "--json", QID, QID "0" }, CLI_QUEUE_OP_RUN,
	    IPC_QUEUE_RELEASE, 1, 0, 0, 0, 2, "", NULL },
	{ { "flush", "--all" }, CLI_QUEUE_OP_RUN, IPC_QUEUE_FLUSH, 0, 0, 1, 1,
	    0, "", NULL },
	{ { "delete", "--domain", "Example.NET.", "-v" }, CLI_QUEUE_OP_RUN,
	    IPC_QUEUE_DELETE, 0, 1, 1, 0, 0, "example.net", NULL },
	{ { "delete", "--bounce", "--domain=example.org" }, CLI_QUEUE_OP_RUN,
	    IPC_QUEUE_BOUNCE, 0, 0, 1, 0, 0, "example.org", NULL },
	{ { "requeue", "--", QID }, CLI_QUEUE_OP_RUN, IPC_QUEUE_REQUEUE, 0, 0,
	    0, 0, 1, "", NULL },
	{ { "hold", "-h" }, CLI_QUEUE_OP_HELP, 0, 0, 0, 0, 0, 0, "", NULL },
	{ { "flush" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "flush --all" },
	{ { "delete" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "no message given" },
	{ { "delete", "--bounce" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "no message given" },
	{ { "hold", "--bounce", QID }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0,
	    "", "unknown option --bounce" },
	{ { "hold", "--all", QID }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "only one of them" },
	{ { "hold", "--all", "--domain", "a.example" }, CLI_QUEUE_OP_USAGE, 0,
	    0, 0, 0, 0, 0, "", "only one of them" },
	{ { "hold", "--all", "--all" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0,
	    "", "given twice" },
	{ { "hold", "--domain" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "--domain needs a value" },
	{ { "hold", "--domain", "a..b" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0,
	    0, "", "--domain: not a domain name" },
	{ { "hold", "../x" }, CLI_QUEUE_OP_BADID, 0, 0, 0, 0, 0, 0, "",
	    "hold: \"../x\": not a queue id (12 to 40 letters and digits)" },
	{ { "hold", QID, "ABC-DEF-123456" }, CLI_QUEUE_OP_BADID, 0, 0, 0, 0,
	    0, 0, "", "hold: \"ABC-DEF-123456\": not a queue id" },
	{ { "release", "" }, CLI_QUEUE_OP_BADID, 0, 0, 0, 0, 0, 0, "",
	    "release: \"\": not a queue id" },
	{ { "flush", "ABCDEFGHIJK" }, CLI_QUEUE_OP_BADID, 0, 0, 0, 0, 0, 0, "",
	    "not a queue id" },
	{ { "flush", "0123456789012345678901234567890123456789A" },
	    CLI_QUEUE_OP_BADID, 0, 0, 0, 0, 0, 0, "", "not a queue id" },
	{ { "delete", "--bounce", "a\x1b[2J\"\\\xc3\xa9" }, CLI_QUEUE_OP_BADID,
	    0, 0, 0, 0, 0, 0, "", "delete --bounce: \"a\\x1B[2J\\\"\\\\"
	    "\\xC3\\xA9\": not a queue id" },
	{ { "hold", "-x" }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "unknown option -x" },
	{ { "purge", QID }, CLI_QUEUE_OP_USAGE, 0, 0, 0, 0, 0, 0, "",
	    "not an operation" },
};

static void
test_op_args(void **state)
{
	struct ipc_queue_query q;
	struct cli_queue_op_opts o;
	const char *ids[8];
	char err[300];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(op_cases) / sizeof(op_cases[0]); i++) {
		const struct op_case *c = &op_cases[i];
		enum cli_queue_op_cmd r;

		for (argc = 0; argc < 8 && c->argv[argc] != NULL; argc++)
			;
		memset(&o, 0, sizeof(o));
		o.ids = ids;
		r = cli_queue_op_args(argc, (char **)(uintptr_t)c->argv, &q,
		    &o, err, sizeof(err));
		if (r != c->want)
			fail_msg("case %zu (%s): %d, want %d: %s", i,
			    c->argv[1] ? c->argv[1] : "", r, c->want, err);
		if (c->err != NULL && strstr(err, c->err) == NULL)
			fail_msg("case %zu: err %s, want %s", i, err, c->err);
		if (r != CLI_QUEUE_OP_RUN)
			continue;
		assert_int_equal(q.ctl, 0);
		assert_int_equal(q.op, c->op);
		assert_int_equal(o.op, c->op);
		assert_int_equal(q.max, IPC_QUEUE_BATCH_MAX);
		assert_int_equal(q.all, c->all);
		assert_string_equal(q.domain, c->domain);
		assert_string_equal(q.id, "");
		assert_string_equal(q.after, "");
		assert_int_equal(q.uid, 0);
		assert_string_equal(q.user, "");
		assert_int_equal(o.json, c->json);
		assert_int_equal(o.verbose, c->verbose);
		assert_int_equal(o.selection, c->selection);
		assert_int_equal(o.nids, c->nids);
	}
	/* an overlong ID is cut in the message */
	{
		char longid[300];
		const char *argv[] = { "hold", longid };

		memset(longid, 'a', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		o.ids = ids;
		assert_int_equal(cli_queue_op_args(2,
		    (char **)(uintptr_t)argv, &q, &o, err, sizeof(err)),
		    CLI_QUEUE_OP_BADID);
		assert_non_null(strstr(err, "aaaa...\": not a queue id"));
	}
}

static struct ipc_queue_done
mkdone(const char *id, int result, const char *text)
{
	struct ipc_queue_done d;

	memset(&d, 0, sizeof(d));
	(void)strlcpy(d.id, id, sizeof(d.id));
	d.result = result;
	(void)strlcpy(d.text, text, sizeof(d.text));
	return d;
}

static void
test_op_done(void **state)
{
	static const struct {
		int		 op, result;
		const char	*text;
		int		 json;
		const char	*out, *err;
	} cases[] = {
		{ IPC_QUEUE_HOLD, IPC_QUEUE_R_DONE, "", 0, QID ": held\n", "" },
		{ IPC_QUEUE_HOLD, IPC_QUEUE_R_LATER, "", 0,
		    QID ": held once the delivery in progress ends\n", "" },
		{ IPC_QUEUE_RELEASE, IPC_QUEUE_R_NOOP, "not held", 0,
		    QID ": nothing to do: not held\n", "" },
		{ IPC_QUEUE_FLUSH, IPC_QUEUE_R_LATER, "", 0,
		    QID ": being delivered now\n", "" },
		{ IPC_QUEUE_DELETE, IPC_QUEUE_R_UNKNOWN, "", 0, "",
		    QID ": no such message in the queue\n" },
		{ IPC_QUEUE_BOUNCE, IPC_QUEUE_R_FAILED, "disk\x1b full", 0, "",
		    QID ": could not bounce: disk? full\n" },
		{ IPC_QUEUE_REQUEUE, IPC_QUEUE_R_DONE, "", 0,
		    QID ": requeued\n", "" },
		{ IPC_QUEUE_HOLD, IPC_QUEUE_R_DONE, "", 1,
		    "{\"id\":\"" QID "\",\"result\":\"done\",\"text\":null}\n",
		    "" },
		{ IPC_QUEUE_DELETE, IPC_QUEUE_R_UNKNOWN, "", 1,
		    "{\"id\":\"" QID "\",\"result\":\"unknown\","
		    "\"text\":null}\n",
		    "" },
		{ IPC_QUEUE_RELEASE, IPC_QUEUE_R_NOOP, "not \"held\"", 1,
		    "{\"id\":\"" QID "\",\"result\":\"noop\","
		    "\"text\":\"not \\\"held\\\"\"}\n", "" },
		{ IPC_QUEUE_FLUSH, IPC_QUEUE_R_FAILED, "no\n", 1,
		    "{\"id\":\"" QID "\",\"result\":\"failed\","
		    "\"text\":\"no\\n\"}\n", "" },
		{ IPC_QUEUE_HOLD, IPC_QUEUE_R_LATER, "", 1,
		    "{\"id\":\"" QID "\",\"result\":\"later\",\"text\":null}\n",
		    "" },
	};
	struct ipc_queue_done d;
	struct buf out, err;
	size_t i;

	(void)state;
	buf_init(&out, 65536);
	buf_init(&err, 65536);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = mkdone(QID, cases[i].result, cases[i].text);
		assert_true(cli_queue_done_ok(&d));
		buf_reset(&out);
		buf_reset(&err);
		assert_int_equal(cli_queue_fmt_done(&out, &err, cases[i].op,
		    &d, cases[i].json), 0);
		if (strcmp(str(&out), cases[i].out) != 0 ||
		    strcmp(str(&err), cases[i].err) != 0)
			fail_msg("case %zu: out %s err %s", i, str(&out),
			    str(&err));
	}
	/* malformed records */
	d = mkdone(QID, 5, "");
	assert_false(cli_queue_done_ok(&d));
	d = mkdone(QID, -1, "");
	assert_false(cli_queue_done_ok(&d));
	d = mkdone("../x", 0, "");
	assert_false(cli_queue_done_ok(&d));
	d = mkdone("", 0, "");
	assert_false(cli_queue_done_ok(&d));
	d = mkdone(QID, 0, "");
	memset(d.text, 'x', sizeof(d.text));
	assert_false(cli_queue_done_ok(&d));
	d = mkdone(QID, 0, "");
	memset(d.id, 'A', sizeof(d.id));
	assert_false(cli_queue_done_ok(&d));
	/* the counts */
	buf_reset(&out);
	assert_int_equal(cli_queue_fmt_op_total(&out, IPC_QUEUE_DELETE, 3, 0),
	    0);
	assert_string_equal(str(&out), "sealpost: 3 messages deleted\n");
	buf_reset(&out);
	assert_int_equal(cli_queue_fmt_op_total(&out, IPC_QUEUE_BOUNCE, 1, 1),
	    0);
	assert_string_equal(str(&out), "sealpost: 1 message bounced, 1 of "
	    "them once the delivery in progress ends\n");
	buf_reset(&out);
	assert_int_equal(cli_queue_fmt_op_total(&out, IPC_QUEUE_HOLD, 0, 0),
	    0);
	assert_string_equal(str(&out), "sealpost: 0 messages held\n");
	assert_string_equal(cli_queue_op_name(IPC_QUEUE_BOUNCE),
	    "delete --bounce");
	buf_free(&out);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_text_put),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_failure_type),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_long),
		cmocka_unit_test(test_pager_good),
		cmocka_unit_test(test_pager_bad),
		cmocka_unit_test(test_item_text),
		cmocka_unit_test(test_rcpt_text),
		cmocka_unit_test(test_json_objects),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_many),
		cmocka_unit_test(test_op_args),
		cmocka_unit_test(test_op_done),
	};

	if (setenv("TZ", "UTC", 1) == -1)
		return 1;
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
