/*
 * test_queue_list.c: unit tests for mta/queue/queue_list.c, the pure half
 * of `sealpost queue` on the queue's side (doc/design.md §3): the checks
 * of a listing query (every field unterminated, bad ids, unknown bits,
 * characters), the filters (domain, states with ACTIVE, failure,
 * older_than; final recipients never count), the byte budget of one
 * message, and the frames (UTF-8 addresses, final recipients, no error,
 * strings that do not fit or are not terminated).
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

#include "lib/ipc.h"
#include "queue/queue_list.h"
#include "queue/queue_sched.h"

#define BIT(s)	(UINT32_C(1) << (s))
#define ITEM_FRAME \
	(sizeof(struct ipc_hdr) + sizeof(struct ipc_queue_item))
#define RCPT_FRAME \
	(sizeof(struct ipc_hdr) + sizeof(struct ipc_queue_rcpt))

/* ---- the query's checks ---- */

enum unterm { UT_NONE, UT_AFTER, UT_DOMAIN, UT_FAILURE };

static const struct {
	int32_t		 op;
	uint32_t	 max;
	const char	*after, *domain, *failure;
	uint32_t	 states;
	enum unterm	 unterm;	/* this field has no NUL */
	const char	*why;		/* NULL: good, or in the text */
} qcases[] = {
	/* good ones */
	{ IPC_QUEUE_LIST, 1000, "", "", "", 0, UT_NONE, NULL },
	{ IPC_QUEUE_LIST, 1, "", "", "", 0, UT_NONE, NULL },
	{ IPC_QUEUE_LIST, 500, "0612f3a1b2c3d4e5f60718293a4", "example.net",
	    "tlsa-invalid", BIT(IPC_QUEUE_S_PENDING) |
	    BIT(IPC_QUEUE_S_DEFERRED) | BIT(IPC_QUEUE_S_ACTIVE), UT_NONE,
	    NULL },
	/* an id that recovery accepts (envelope_id_valid), not ours */
	{ IPC_QUEUE_LIST, 10, "AbCdEf012345", "", "", 0, UT_NONE, NULL },
	{ IPC_QUEUE_LIST, 10, "", "xn--bcher-kva.example", "", 0, UT_NONE,
	    NULL },
	{ IPC_QUEUE_LIST, 10, "", "example.net.", "", 0, UT_NONE, NULL },
	{ IPC_QUEUE_LIST, 10, "", "", "starttls-not-supported",
	    BIT(IPC_QUEUE_S_ACTIVE), UT_NONE, NULL },
	/* op */
	{ 0, 10, "", "", "", 0, UT_NONE, "operation" },
	{ IPC_QUEUE_OP_MAX, 10, "", "", "", 0, UT_NONE, "operation" },
	{ -1, 10, "", "", "", 0, UT_NONE, "operation" },
	/* max */
	{ IPC_QUEUE_LIST, 0, "", "", "", 0, UT_NONE, "batch size" },
	{ IPC_QUEUE_LIST, IPC_QUEUE_BATCH_MAX + 1, "", "", "", 0, UT_NONE,
	    "batch size" },
	{ IPC_QUEUE_LIST, UINT32_MAX, "", "", "", 0, UT_NONE, "batch size" },
	/* every string unterminated */
	{ IPC_QUEUE_LIST, 10, "", "", "", 0, UT_AFTER, "after: not term" },
	{ IPC_QUEUE_LIST, 10, "", "", "", 0, UT_DOMAIN, "domain: not term" },
	{ IPC_QUEUE_LIST, 10, "", "", "", 0, UT_FAILURE,
	    "failure: not term" },
	/* bad ids: no path is ever built from one, but none gets that far */
	{ IPC_QUEUE_LIST, 10, "../x", "", "", 0, UT_NONE, "not a queue id" },
	{ IPC_QUEUE_LIST, 10, "../../etc/passwd", "", "", 0, UT_NONE,
	    "not a queue id" },
	{ IPC_QUEUE_LIST, 10, "0612f3a1b2c", "", "", 0, UT_NONE,
	    "not a queue id" },		/* 11 octets, too short */
	{ IPC_QUEUE_LIST, 10, "0612f3a1b2c3d4e5f6071829.env", "", "", 0,
	    UT_NONE, "not a queue id" },
	{ IPC_QUEUE_LIST, 10, "0612f3a1b2c3 d4e5f6", "", "", 0, UT_NONE,
	    "not a queue id" },
	{ IPC_QUEUE_LIST, 10, "0612f3a1b2c3\xc3\xa4", "", "", 0, UT_NONE,
	    "not a queue id" },
	/* domain characters */
	{ IPC_QUEUE_LIST, 10, "", "Example.net", "", 0, UT_NONE, "domain" },
	{ IPC_QUEUE_LIST, 10, "", "ex_ample.net", "", 0, UT_NONE, "domain" },
	{ IPC_QUEUE_LIST, 10, "", "b\xc3\xbc" "cher.example", "", 0, UT_NONE,
	    "domain" },
	{ IPC_QUEUE_LIST, 10, "", "example.net\n", "", 0, UT_NONE, "domain" },
	{ IPC_QUEUE_LIST, 10, "", "[192.0.2.1]", "", 0, UT_NONE, "domain" },
	{ IPC_QUEUE_LIST, 10, "", "a b", "", 0, UT_NONE, "domain" },
	/* unknown state bits */
	{ IPC_QUEUE_LIST, 10, "", "", "", BIT(IPC_QUEUE_S_MAX), UT_NONE,
	    "states" },
	{ IPC_QUEUE_LIST, 10, "", "", "", UINT32_C(0x80000000), UT_NONE,
	    "states" },
	{ IPC_QUEUE_LIST, 10, "", "", "", UINT32_MAX, UT_NONE, "states" },
	/* failure characters */
	{ IPC_QUEUE_LIST, 10, "", "", "TLSA-invalid", 0, UT_NONE, "failure" },
	{ IPC_QUEUE_LIST, 10, "", "", "tlsa-invalid2", 0, UT_NONE,
	    "failure" },
	{ IPC_QUEUE_LIST, 10, "", "", "tlsa invalid", 0, UT_NONE, "failure" },
	{ IPC_QUEUE_LIST, 10, "", "", "a;b", 0, UT_NONE, "failure" },
	{ IPC_QUEUE_LIST, 10, "", "", "\x7f", 0, UT_NONE, "failure" },
};

static struct ipc_queue_query
query(int32_t op, uint32_t max, const char *after, const char *domain,
    uint32_t states, const char *failure)
{
	struct ipc_queue_query q;

	memset(&q, 0, sizeof(q));
	q.op = op;
	q.max = max;
	assert_true(strlcpy(q.after, after, sizeof(q.after)) <
	    sizeof(q.after));
	assert_true(strlcpy(q.domain, domain, sizeof(q.domain)) <
	    sizeof(q.domain));
	assert_true(strlcpy(q.failure, failure, sizeof(q.failure)) <
	    sizeof(q.failure));
	q.states = states;
	return q;
}

static void
test_query_check(void **state)
{
	struct ipc_queue_query q;
	char why[128];
	size_t i;
	int rv;

	(void)state;
	for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		q = query(qcases[i].op, qcases[i].max, qcases[i].after,
		    qcases[i].domain, qcases[i].states, qcases[i].failure);
		switch (qcases[i].unterm) {
		case UT_AFTER:
			memset(q.after, 'a', sizeof(q.after));
			break;
		case UT_DOMAIN:
			memset(q.domain, 'a', sizeof(q.domain));
			break;
		case UT_FAILURE:
			memset(q.failure, 'a', sizeof(q.failure));
			break;
		case UT_NONE:
			break;
		}
		memset(why, 'X', sizeof(why));
		rv = queue_list_query_check(&q, why, sizeof(why));
		if (qcases[i].why == NULL) {
			if (rv != 0)
				fail_msg("row %zu: refused: %s", i, why);
			continue;
		}
		if (rv != -1)
			fail_msg("row %zu: accepted", i);
		assert_non_null(memchr(why, '\0', sizeof(why)));
		if (strstr(why, qcases[i].why) == NULL)
			fail_msg("row %zu: \"%s\" lacks \"%s\"", i, why,
			    qcases[i].why);
	}
}

/* Show and the operations: one message by id, or a selection. */
static void
test_op_check(void **state)
{
	static const struct {
		int32_t		 op;
		uint32_t	 max;
		const char	*id, *domain;
		int32_t		 all;
		int64_t		 older;
		const char	*why;	/* NULL: accepted */
	} t[] = {
		{ IPC_QUEUE_SHOW, 0, "0123456789ABcd", "", 0, 0, NULL },
		{ IPC_QUEUE_SHOW, 0, "", "", 0, 0, "which message" },
		{ IPC_QUEUE_SHOW, 0, "../x", "", 0, 0, "not a queue id" },
		{ IPC_QUEUE_SHOW, 0, "0123456789AB/d", "", 0, 0,
		    "not a queue id" },
		{ IPC_QUEUE_SHOW, 0, "0123456789A", "", 0, 0,
		    "not a queue id" },
		{ IPC_QUEUE_LIST, 10, "0123456789ABcd", "", 0, 0, "no id" },
		/* an id: the selection is not read, not even max */
		{ IPC_QUEUE_HOLD, 0, "0123456789ABcd", "", 0, 0, NULL },
		{ IPC_QUEUE_DELETE, 0, "0123456789ABcd", "UPPER", 0, 0, NULL },
		{ IPC_QUEUE_RELEASE, 0, "0123456789AB-d", "", 0, 0,
		    "not a queue id" },
		/* a selection: all, or a filter, and a batch size */
		{ IPC_QUEUE_DELETE, 100, "", "", 0, 0, "needs an id" },
		{ IPC_QUEUE_DELETE, 100, "", "", 1, 0, NULL },
		{ IPC_QUEUE_BOUNCE, 100, "", "example.net", 0, 0, NULL },
		{ IPC_QUEUE_FLUSH, 100, "", "", 0, 1000, NULL },
		{ IPC_QUEUE_REQUEUE, 0, "", "", 1, 0, "batch size" },
		{ IPC_QUEUE_HOLD, 100, "", "Example.net", 0, 0, "domain" },
		{ IPC_QUEUE_OP_MAX, 100, "", "", 1, 0, "unknown operation" },
		{ 0, 100, "", "", 1, 0, "unknown operation" },
	};
	struct ipc_queue_query q;
	char why[128];
	size_t i;
	int rv;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		q = query(t[i].op, t[i].max, "", t[i].domain, 0, "");
		assert_true(strlcpy(q.id, t[i].id, sizeof(q.id)) <
		    sizeof(q.id));
		q.all = t[i].all;
		q.older_than = t[i].older;
		memset(why, 'X', sizeof(why));
		rv = queue_list_query_check(&q, why, sizeof(why));
		if (t[i].why == NULL) {
			if (rv != 0)
				fail_msg("row %zu: refused: %s", i, why);
			continue;
		}
		if (rv != -1)
			fail_msg("row %zu: accepted", i);
		if (strstr(why, t[i].why) == NULL)
			fail_msg("row %zu: \"%s\" lacks \"%s\"", i, why,
			    t[i].why);
	}
	/* the id and user fields must be terminated in their arrays */
	q = query(IPC_QUEUE_HOLD, 10, "", "", 0, "");
	q.all = 1;
	memset(q.id, 'a', sizeof(q.id));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "id"));
	memset(q.id, 0, sizeof(q.id));
	memset(q.user, 'a', sizeof(q.user));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "user"));
	/* the bound of a selection: a queue id, terminated */
	memset(q.user, 0, sizeof(q.user));
	memset(q.until, 'a', sizeof(q.until));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "until"));
	(void)strlcpy(q.until, "../0123456789", sizeof(q.until));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "until: not a queue id"));
	(void)strlcpy(q.until, "0123456789abcdef", sizeof(q.until));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), 0);
}

/* The refusal's text is cut to the caller's buffer, or not written. */
static void
test_query_check_why(void **state)
{
	struct ipc_queue_query q = query(0, 10, "", "", 0, "");
	char why[8];

	(void)state;
	memset(why, 'X', sizeof(why));
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), -1);
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(queue_list_query_check(&q, NULL, 0), -1);
	memset(why, 'X', sizeof(why));
	assert_int_equal(queue_list_query_check(&q, why, 0), -1);
	assert_int_equal(why[0], 'X');
	/* a good query leaves it alone */
	q.op = IPC_QUEUE_LIST;
	assert_int_equal(queue_list_query_check(&q, why, sizeof(why)), 0);
	assert_int_equal(why[0], 'X');
}

/* ---- the filters ---- */

static struct envelope_rcpt *
rcpt(struct envelope *e, const char *addr, enum envelope_rcpt_state st,
    int code, const char *dsn, const char *failure, const char *mx,
    const char *text)
{
	struct envelope_rcpt *r;

	assert_non_null(r = envelope_add_rcpt(e, addr));
	r->state = st;
	if (code != 0) {
		r->attempts = 2;
		r->last_attempt = 5000;
		r->next_retry = 9000;
		r->error.code = code;
		assert_true(strlcpy(r->error.dsn, dsn, sizeof(r->error.dsn)) <
		    sizeof(r->error.dsn));
		assert_true(strlcpy(r->error.text, text,
		    sizeof(r->error.text)) < sizeof(r->error.text));
		assert_true(strlcpy(r->failure, failure, sizeof(r->failure)) <
		    sizeof(r->failure));
		assert_true(strlcpy(r->mx, mx, sizeof(r->mx)) < sizeof(r->mx));
	}
	return r;
}

/*
 * Message 0: waiting recipients at example.net (pending, written in
 * upper case with a trailing dot), two.test (deferred, tlsa-invalid) and
 * a UTF-8 domain (pending); final ones at three.test (bounced,
 * validation-failure) and four.test (sent).
 * Message 1: every recipient final (on its way out).
 * Message 2: one deferred recipient without a failure type.
 */
static void
messages(struct envelope e[3])
{
	size_t i;

	for (i = 0; i < 3; i++) {
		envelope_init(&e[i]);
		assert_true(snprintf(e[i].id, sizeof(e[i].id),
		    "0612f3a1b2c3d4e5f60718293a%zu", i) < (int)sizeof(e[i].id));
		e[i].arrival = 1000;
		e[i].size = 4096;
		assert_true(strlcpy(e[i].from, "alice@example.org",
		    sizeof(e[i].from)) < sizeof(e[i].from));
	}
	(void)rcpt(&e[0], "bob@Example.NET.", ENVELOPE_RCPT_PENDING, 0, "",
	    "", "", "");
	(void)rcpt(&e[0], "carol@two.test", ENVELOPE_RCPT_DEFERRED, 451,
	    "4.7.5", "tlsa-invalid", "mx1.two.test", "no TLSA record matches");
	(void)rcpt(&e[0], "dave@three.test", ENVELOPE_RCPT_BOUNCED, 550,
	    "5.7.1", "validation-failure", "mx.three.test", "refused");
	(void)rcpt(&e[0], "erin@four.test", ENVELOPE_RCPT_SENT, 0, "", "", "",
	    "");
	(void)rcpt(&e[0], "\xc3\xa4rger@b\xc3\xbc" "cher.example",
	    ENVELOPE_RCPT_PENDING, 0, "", "", "", "");
	(void)rcpt(&e[1], "x@two.test", ENVELOPE_RCPT_SENT, 0, "", "", "", "");
	(void)rcpt(&e[1], "y@two.test", ENVELOPE_RCPT_EXPIRED, 451, "4.4.1",
	    "tlsa-invalid", "mx1.two.test", "timed out");
	(void)rcpt(&e[2], "z@two.test", ENVELOPE_RCPT_DEFERRED, 421, "4.4.2",
	    "", "mx1.two.test", "connection lost");
}

#define P	BIT(IPC_QUEUE_S_PENDING)
#define D	BIT(IPC_QUEUE_S_DEFERRED)
#define A	BIT(IPC_QUEUE_S_ACTIVE)

static const struct {
	const char	*domain, *failure;
	uint32_t	 states;
	int64_t		 older_than;
	int		 active;
	int		 want[3];	/* per message */
} mcases[] = {
	/* no filter: every message with a waiting recipient */
	{ "", "", 0, 0, 0, { 1, 0, 1 } },
	{ "", "", 0, 0, 1, { 1, 0, 1 } },
	/* domain: lower case, trailing dot, only waiting recipients */
	{ "example.net", "", 0, 0, 0, { 1, 0, 0 } },
	{ "example.net.", "", 0, 0, 0, { 1, 0, 0 } },
	{ "two.test", "", 0, 0, 0, { 1, 0, 1 } },
	{ "three.test", "", 0, 0, 0, { 0, 0, 0 } },	/* bounced only */
	{ "four.test", "", 0, 0, 0, { 0, 0, 0 } },	/* sent only */
	{ "nowhere.test", "", 0, 0, 0, { 0, 0, 0 } },
	{ "test", "", 0, 0, 0, { 0, 0, 0 } },		/* no suffixes */
	{ "xn--bcher-kva.example", "", 0, 0, 0, { 0, 0, 0 } },
	/* states; ACTIVE is every waiting recipient of an active one */
	{ "", "", P, 0, 0, { 1, 0, 0 } },
	{ "", "", D, 0, 0, { 1, 0, 1 } },
	{ "", "", A, 0, 0, { 0, 0, 0 } },
	{ "", "", A, 0, 1, { 1, 0, 1 } },
	{ "", "", P | D, 0, 1, { 0, 0, 0 } },
	{ "", "", P | A, 0, 1, { 1, 0, 1 } },
	{ "", "", P | D | A, 0, 0, { 1, 0, 1 } },
	/* failure: a waiting recipient's, exactly */
	{ "", "tlsa-invalid", 0, 0, 0, { 1, 0, 0 } },
	{ "", "tlsa-invalid", 0, 0, 1, { 1, 0, 0 } },
	{ "", "validation-failure", 0, 0, 0, { 0, 0, 0 } },	/* final */
	{ "", "tlsa", 0, 0, 0, { 0, 0, 0 } },
	{ "", "dnssec-invalid", 0, 0, 0, { 0, 0, 0 } },
	/* older_than: arrived before it */
	{ "", "", 0, 1001, 0, { 1, 0, 1 } },
	{ "", "", 0, 1000, 0, { 0, 0, 0 } },
	{ "", "", 0, 999, 0, { 0, 0, 0 } },
	{ "", "", 0, -5, 0, { 0, 0, 0 } },
	/* all together; each filter is met by some waiting recipient */
	{ "two.test", "tlsa-invalid", D, 2000, 0, { 1, 0, 0 } },
	{ "example.net", "tlsa-invalid", P, 2000, 0, { 1, 0, 0 } },
	{ "example.net", "", D, 0, 0, { 1, 0, 0 } },
	{ "two.test", "", P, 0, 0, { 1, 0, 0 } },
	{ "two.test", "tlsa-invalid", D, 1000, 0, { 0, 0, 0 } },
	{ "two.test", "", D, 0, 1, { 0, 0, 0 } },
};

static void
test_match(void **state)
{
	struct envelope e[3];
	struct ipc_queue_query q;
	size_t i, k;
	int got;

	(void)state;
	messages(e);
	for (i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		q = query(IPC_QUEUE_LIST, 10, "", mcases[i].domain,
		    mcases[i].states, mcases[i].failure);
		q.older_than = mcases[i].older_than;
		assert_int_equal(queue_list_query_check(&q, NULL, 0), 0);
		for (k = 0; k < 3; k++) {
			got = queue_list_match(&q, &e[k], mcases[i].active);
			if (got != mcases[i].want[k])
				fail_msg("row %zu, message %zu: %d, want %d",
				    i, k, got, mcases[i].want[k]);
		}
	}
	for (k = 0; k < 3; k++)
		envelope_free(&e[k]);
}

/* A message without recipients (never on disk) is nothing to list. */
static void
test_match_empty(void **state)
{
	struct envelope e;
	struct ipc_queue_query q = query(IPC_QUEUE_LIST, 1, "", "", 0, "");

	(void)state;
	envelope_init(&e);
	assert_int_equal(queue_list_match(&q, &e, 0), 0);
	assert_int_equal(queue_list_match(&q, &e, 1), 0);
}

static void
test_state(void **state)
{
	static const struct {
		enum envelope_rcpt_state st;
		int			 active, held, waiting;
		enum ipc_queue_state	 want;
	} t[] = {
		{ ENVELOPE_RCPT_PENDING, 0, 0, 1, IPC_QUEUE_S_PENDING },
		{ ENVELOPE_RCPT_DEFERRED, 0, 0, 1, IPC_QUEUE_S_DEFERRED },
		{ ENVELOPE_RCPT_PENDING, 1, 0, 1, IPC_QUEUE_S_ACTIVE },
		{ ENVELOPE_RCPT_DEFERRED, 1, 0, 1, IPC_QUEUE_S_ACTIVE },
		/* held: shown held, unless its hold waits for an attempt */
		{ ENVELOPE_RCPT_PENDING, 0, 1, 1, IPC_QUEUE_S_HELD },
		{ ENVELOPE_RCPT_DEFERRED, 0, 1, 1, IPC_QUEUE_S_HELD },
		{ ENVELOPE_RCPT_DEFERRED, 1, 1, 1, IPC_QUEUE_S_ACTIVE },
		{ ENVELOPE_RCPT_SENT, 0, 0, 0, 0 },
		{ ENVELOPE_RCPT_BOUNCED, 0, 1, 0, 0 },
		{ ENVELOPE_RCPT_EXPIRED, 1, 0, 0, 0 },
	};
	struct envelope_rcpt r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.state = t[i].st;
		assert_int_equal(queue_list_waiting(&r), t[i].waiting);
		if (t[i].waiting)
			assert_int_equal(queue_list_state(&r, t[i].active,
			    t[i].held), t[i].want);
	}
}

/* ---- the byte budget ---- */

static void
test_fit(void **state)
{
	size_t room = (QUEUE_LIST_BYTES_MAX - ITEM_FRAME) / RCPT_FRAME;
	static const size_t n[] = { 0, 1, 2, 100, 500, 899, 900, 901, 1000,
	    ENVELOPE_RCPT_MAX, SIZE_MAX };
	size_t i, bytes, want;
	uint32_t got;

	(void)state;
	/* a listing of 1,000 messages of 1 recipient fits the channel */
	assert_true(room >= 1);
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		bytes = 0;
		got = queue_list_fit(n[i], &bytes);
		want = n[i] < room ? n[i] : room;
		if (got != want)
			fail_msg("%zu waiting: %u sent, want %zu", n[i], got,
			    want);
		assert_int_equal(bytes, ITEM_FRAME + want * RCPT_FRAME);
		assert_true(bytes <= QUEUE_LIST_BYTES_MAX);
		/* as many as fit: one more would not */
		if (want < n[i])
			assert_true(bytes + RCPT_FRAME > QUEUE_LIST_BYTES_MAX);
	}
	assert_int_equal(queue_list_fit(3, NULL), 3);
	/* the worst batch (a message may cross the budget) stays bounded */
	assert_true(2 * QUEUE_LIST_BYTES_MAX + sizeof(struct ipc_hdr) +
	    sizeof(struct ipc_queue_end) < IPC_OUT_MAX / 4);
}

/* ---- the frames ---- */

static void
test_item(void **state)
{
	static const struct {
		size_t		 msg;
		int64_t		 due, wantdue;
		int		 active;
		uint32_t	 nsend;
		uint32_t	 nrcpt, nomitted, ndone;
	} t[] = {
		{ 0, 9000, 9000, 0, 1000, 3, 0, 2 },
		{ 0, 9000, 9000, 1, 3, 3, 0, 2 },
		/* due never (local recipients only): none */
		{ 0, QUEUE_SCHED_NEVER, 0, 0, 1, 1, 2, 2 },
		{ 0, QUEUE_SCHED_NEVER - 1, QUEUE_SCHED_NEVER - 1, 0, 1, 1, 2,
		    2 },
		{ 0, 0, 0, 1, 0, 0, 3, 2 },
		{ 1, 0, 0, 0, 10, 0, 0, 2 },
		{ 2, 9000, 9000, 0, UINT32_MAX, 1, 0, 0 },
	};
	struct envelope e[3];
	struct ipc_queue_item it;
	size_t i;

	(void)state;
	messages(e);
	e[0].requiretls = 1;
	assert_true(strlcpy(e[0].from, "\xe7\x94\xa8\xe6\x88\xb7@example.org",
	    sizeof(e[0].from)) < sizeof(e[0].from));
	e[1].from[0] = '\0';	/* <> */
	e[2].held = 123456;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&it, 'X', sizeof(it));
		queue_list_item(&it, 77 + i, &e[t[i].msg], t[i].due,
		    t[i].active, t[i].nsend);
		assert_int_equal(it.ctl, 77 + i);
		assert_string_equal(it.id, e[t[i].msg].id);
		assert_int_equal(it.arrival, 1000);
		assert_int_equal(it.size, 4096);
		assert_string_equal(it.from, e[t[i].msg].from);
		assert_true(it.due == t[i].wantdue);
		assert_int_equal(it.active, t[i].active);
		assert_int_equal(it.requiretls, t[i].msg == 0);
		assert_true(it.held == e[t[i].msg].held);
		if (it.nrcpt != t[i].nrcpt || it.nomitted != t[i].nomitted ||
		    it.ndone != t[i].ndone)
			fail_msg("row %zu: nrcpt %u nomitted %u ndone %u", i,
			    it.nrcpt, it.nomitted, it.ndone);
	}
	for (i = 0; i < 3; i++)
		envelope_free(&e[i]);
}

static void
test_rcpt(void **state)
{
	struct envelope e[3];
	struct ipc_queue_rcpt out;
	const struct envelope_rcpt *r;

	(void)state;
	messages(e);
	/* deferred, with its last error */
	r = &e[0].rcpt[1];
	(void)strlcpy(e[0].rcpt[1].policy, "dane", sizeof(r->policy));
	memset(&out, 'X', sizeof(out));
	queue_list_rcpt(&out, 9, r, 0, 0);
	assert_int_equal(out.ctl, 9);
	assert_string_equal(out.addr, "carol@two.test");
	assert_int_equal(out.state, IPC_QUEUE_S_DEFERRED);
	assert_int_equal(out.attempts, 2);
	assert_int_equal(out.last_attempt, 5000);
	assert_int_equal(out.next_retry, 9000);
	assert_int_equal(out.code, 451);
	assert_string_equal(out.dsn, "4.7.5");
	assert_string_equal(out.failure, "tlsa-invalid");
	assert_string_equal(out.mx, "mx1.two.test");
	assert_string_equal(out.text, "no TLSA record matches");
	assert_string_equal(out.policy, "dane");
	/* the same, active */
	queue_list_rcpt(&out, 9, r, 1, 0);
	assert_int_equal(out.state, IPC_QUEUE_S_ACTIVE);
	/* the same, held */
	queue_list_rcpt(&out, 9, r, 0, 1);
	assert_int_equal(out.state, IPC_QUEUE_S_HELD);
	/* never tried, no error: everything empty, nothing left over */
	r = &e[0].rcpt[4];
	memset(&out, 'X', sizeof(out));
	queue_list_rcpt(&out, 10, r, 0, 0);
	assert_string_equal(out.addr, "\xc3\xa4rger@b\xc3\xbc" "cher.example");
	assert_int_equal(out.state, IPC_QUEUE_S_PENDING);
	assert_int_equal(out.attempts, 0);
	assert_int_equal(out.last_attempt, 0);
	assert_int_equal(out.next_retry, 0);
	assert_int_equal(out.code, 0);
	assert_string_equal(out.dsn, "");
	assert_string_equal(out.failure, "");
	assert_string_equal(out.mx, "");
	assert_string_equal(out.text, "");
	assert_string_equal(out.policy, "");
	/* deferred without a failure type */
	queue_list_rcpt(&out, 11, &e[2].rcpt[0], 0, 0);
	assert_int_equal(out.code, 421);
	assert_string_equal(out.failure, "");
	assert_string_equal(out.mx, "mx1.two.test");
	envelope_free(&e[0]);
	envelope_free(&e[1]);
	envelope_free(&e[2]);
}

/*
 * Strings that fill their whole field without a NUL (a bug elsewhere)
 * are cut to the frame's field, never read or written past it; a cut
 * falls before a UTF-8 character that does not fit whole. ASan watches.
 */
static void
test_unterminated(void **state)
{
	struct envelope *e;
	struct envelope_rcpt *r;
	struct ipc_queue_item it;
	struct ipc_queue_rcpt out;
	size_t i;

	(void)state;
	/* on the heap, exactly its size, so that ASan sees any overrun */
	assert_non_null(e = malloc(sizeof(*e)));
	envelope_init(e);
	memset(e->id, 'a', sizeof(e->id));
	/* "x" then 128 two-octet characters: 257 octets, no NUL */
	e->from[0] = 'x';
	for (i = 1; i < sizeof(e->from); i += 2) {
		e->from[i] = (char)0xc3;
		e->from[i + 1] = (char)0xa9;
	}
	assert_non_null(r = envelope_add_rcpt(e, "a@b.test"));
	memset(r->addr, 'b', sizeof(r->addr));
	r->state = ENVELOPE_RCPT_DEFERRED;
	r->error.code = 451;
	memset(r->error.dsn, '4', sizeof(r->error.dsn));
	memset(r->error.text, 't', sizeof(r->error.text));
	memset(r->failure, 'f', sizeof(r->failure));
	/* ends in a four-octet character cut by the field */
	memset(r->mx, 'm', sizeof(r->mx));
	memcpy(r->mx + sizeof(r->mx) - 3, "\xf0\x9f\x98", 3);

	queue_list_item(&it, 1, e, 0, 0, 1);
	assert_int_equal(strlen(it.id), sizeof(it.id) - 1);
	/* the last character would be split: it is left out whole */
	assert_int_equal(strlen(it.from), sizeof(it.from) - 2);
	assert_int_equal((unsigned char)it.from[sizeof(it.from) - 3], 0xa9);
	assert_int_equal(it.nrcpt, 1);

	queue_list_rcpt(&out, 1, r, 0, 0);
	assert_int_equal(strlen(out.addr), sizeof(out.addr) - 1);
	assert_int_equal(strlen(out.dsn), sizeof(out.dsn) - 1);
	assert_int_equal(strlen(out.failure), sizeof(out.failure) - 1);
	/* the text field is larger: all of it, terminated */
	assert_int_equal(strlen(out.text), sizeof(r->error.text));
	/* cut before the partial four-octet character */
	assert_int_equal(strlen(out.mx), sizeof(out.mx) - 3);
	assert_int_equal(out.mx[sizeof(out.mx) - 4], 'm');
	envelope_free(e);
	free(e);
}

/* Octets that are no UTF-8 at the cut are cut where they must be. */
static void
test_cut_not_utf8(void **state)
{
	struct envelope_rcpt *r;
	struct ipc_queue_rcpt out;
	struct envelope e;

	(void)state;
	envelope_init(&e);
	assert_non_null(r = envelope_add_rcpt(&e, "a@b.test"));
	r->error.code = 451;
	/* continuation octets only: no character start to back off to */
	memset(r->mx, 0x80, sizeof(r->mx));
	queue_list_rcpt(&out, 1, r, 0, 0);
	assert_int_equal(strlen(out.mx), sizeof(out.mx) - 1);
	envelope_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_check),
		cmocka_unit_test(test_op_check),
		cmocka_unit_test(test_query_check_why),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_empty),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_item),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_cut_not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
