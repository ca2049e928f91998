/*
 * test_local_memory.c: unit tests for the memory of done alias targets
 * (mta/local/local_memory.c, doc/design.md §12): remember and recall,
 * a refresh that keeps an entry past the cap while older ones go, the
 * cap in octets, forgetting one entry or a whole queue id, an entry
 * larger than the cap, and the case of a long deferral: a list of 300
 * with one member deferred while many messages pass.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/local_memory.h"

static void
res_make(struct local_result *r, const char *text, const char *fw)
{
	memset(r, 0, sizeof(*r));
	r->outcome = 1;
	r->code = 250;
	(void)strlcpy(r->dsn, "2.0.0", sizeof(r->dsn));
	(void)strlcpy(r->text, text, sizeof(r->text));
	(void)strlcpy(r->forwarded, fw, sizeof(r->forwarded));
}

struct op {
	char		 what;	/* r remember, c recall (want), f forget,
				   i forget id */
	const char	*id;
	const char	*key;
	int		 want;	/* c: found; i: how many */
};

static const struct op ops[] = {
	{ 'c', "Q1", "mailbox:a", 0 },
	{ 'r', "Q1", "mailbox:a", 0 },
	{ 'c', "Q1", "mailbox:a", 1 },
	{ 'c', "Q1", "mailbox:A", 0 },		/* keys are exact */
	{ 'c', "Q2", "mailbox:a", 0 },		/* per queue id */
	{ 'c', "Q", "1mailbox:a", 0 },		/* id and key apart */
	{ 'r', "Q1", "mailbox:a", 0 },		/* again: one entry */
	{ 'r', "Q1", "address:x@y.test", 0 },
	{ 'r', "Q2", "mailbox:a", 0 },
	{ 'c', "Q2", "mailbox:a", 1 },
	{ 'f', "Q2", "mailbox:a", 0 },
	{ 'c', "Q2", "mailbox:a", 0 },
	{ 'f', "Q9", "nothing", 0 },		/* not there: nothing */
	{ 'i', "Q1", NULL, 2 },
	{ 'c', "Q1", "mailbox:a", 0 },
	{ 'c', "Q1", "address:x@y.test", 0 },
	{ 'i', "Q1", NULL, 0 },
	{ 'r', "", "", 0 },			/* empty strings are keys too */
	{ 'c', "", "", 1 },
};

static void
test_ops(void **state)
{
	struct local_memory *m;
	struct local_result r, got;
	size_t i;

	(void)state;
	assert_non_null(m = local_memory_new(0));
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		switch (ops[i].what) {
		case 'r':
			res_make(&r, ops[i].key, "NEWID");
			assert_int_equal(local_memory_remember(m, ops[i].id,
			    ops[i].key, &r), 0);
			break;
		case 'c':
			memset(&got, 0, sizeof(got));
			assert_int_equal(local_memory_recall(m, ops[i].id,
			    ops[i].key, &got), ops[i].want);
			if (ops[i].want) {
				assert_string_equal(got.text, ops[i].key);
				assert_string_equal(got.forwarded, "NEWID");
				assert_string_equal(got.dsn, "2.0.0");
				assert_int_equal(got.code, 250);
				assert_int_equal(got.outcome, 1);
			}
			break;
		case 'f':
			local_memory_forget(m, ops[i].id, ops[i].key);
			break;
		case 'i':
			assert_int_equal(local_memory_forget_id(m,
			    ops[i].id), ops[i].want);
			break;
		}
	}
	assert_int_equal(local_memory_count(m), 1);
	local_memory_forget(m, "", "");
	assert_int_equal(local_memory_count(m), 0);
	assert_int_equal(local_memory_bytes(m), 0);
	local_memory_free(m);
	local_memory_free(NULL);
}

/* The cap: the least recently used go first, a recall refreshes. */
static void
test_cap(void **state)
{
	struct local_memory *m;
	struct local_result r, got;
	char key[32];
	size_t i, one;

	(void)state;
	res_make(&r, "ok", "");
	assert_non_null(m = local_memory_new(1 << 20));
	assert_int_equal(local_memory_remember(m, "Q", "k0", &r), 0);
	one = local_memory_bytes(m);
	local_memory_free(m);

	/* room for exactly 10 entries of this size */
	assert_non_null(m = local_memory_new(one * 10));
	for (i = 0; i < 10; i++) {
		(void)snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(local_memory_remember(m, "Q", key, &r), 0);
	}
	assert_int_equal(local_memory_count(m), 10);
	assert_int_equal(local_memory_recall(m, "Q", "k0", &got), 1);
	assert_int_equal(local_memory_remember(m, "Q", "kA", &r), 0);
	assert_int_equal(local_memory_count(m), 10);
	assert_true(local_memory_bytes(m) <= one * 10);
	/* k0 was used again: k1 went, k0 stayed */
	assert_int_equal(local_memory_recall(m, "Q", "k0", &got), 1);
	assert_int_equal(local_memory_recall(m, "Q", "k1", &got), 0);
	assert_int_equal(local_memory_recall(m, "Q", "k2", &got), 1);
	/* an entry larger than the whole cap is refused, nothing lost */
	memset(r.text, 'x', sizeof(r.text) - 1);
	r.text[sizeof(r.text) - 1] = '\0';
	local_memory_free(m);
	assert_non_null(m = local_memory_new(one * 2));
	assert_int_equal(local_memory_remember(m, "Q", "k0", &r), -1);
	assert_int_equal(local_memory_count(m), 0);
	local_memory_free(m);
}

/*
 * The review's case: a list of 300, one member deferred for days; the
 * 299 done are re-remembered at each attempt while thousands of other
 * targets pass through a memory that holds far fewer than all.
 */
static void
test_long_deferral(void **state)
{
	struct local_memory *m;
	struct local_result r, got;
	char key[64], id[16];
	size_t i, msg, found;

	(void)state;
	res_make(&r, "delivered", "");
	assert_non_null(m = local_memory_new(1024 * 1024));
	for (i = 0; i < 299; i++) {
		(void)snprintf(key, sizeof(key), "mailbox:member%zu", i);
		assert_int_equal(local_memory_remember(m, "LIST1", key, &r),
		    0);
	}
	for (msg = 0; msg < 200; msg++) {
		/* another message whose member is deferred too */
		(void)snprintf(id, sizeof(id), "OTHER%zu", msg);
		for (i = 0; i < 299; i++) {
			(void)snprintf(key, sizeof(key), "mailbox:member%zu",
			    i);
			assert_int_equal(local_memory_remember(m, id, key, &r),
			    0);
		}
		/* the retry of LIST1: recall and re-remember (refresh) */
		if (msg % 10 == 0)
			for (i = 0; i < 299; i++) {
				(void)snprintf(key, sizeof(key),
				    "mailbox:member%zu", i);
				if (local_memory_recall(m, "LIST1", key, &got))
					assert_int_equal(local_memory_remember(
					    m, "LIST1", key, &got), 0);
			}
		assert_true(local_memory_bytes(m) <= 1024 * 1024);
	}
	for (i = found = 0; i < 299; i++) {
		(void)snprintf(key, sizeof(key), "mailbox:member%zu", i);
		found += (size_t)local_memory_recall(m, "LIST1", key, &got);
	}
	assert_int_equal(found, 299);
	/* and the oldest of the others were let go to stay under the cap */
	assert_int_equal(local_memory_recall(m, "OTHER0", "mailbox:member0",
	    &got), 0);
	/* finally sent: forgotten at once */
	assert_int_equal(local_memory_forget_id(m, "LIST1"), 299);
	local_memory_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_long_deferral),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
