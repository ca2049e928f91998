/*
 * test_queue_sched.c: unit tests for mta/queue/queue_sched.c, the queue
 * runner's pure decisions (doc/design.md §12): backoff, domains, due
 * times, grouping into jobs, applying results, expiry, delay warnings,
 * hold, release and flush.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_sched.h"

static const char locals[2][256] = { "example.org", "local.test" };

static struct queue_sched_conf
conf(void)
{
	struct queue_sched_conf c;

	memset(&c, 0, sizeof(c));
	c.retry_min = 300;
	c.retry_max = 3600;
	c.queue_lifetime = 5 * 86400;
	c.local_domains = locals;
	c.nlocal_domains = 2;
	return c;
}

static void
test_backoff(void **state)
{
	static const struct {
		unsigned	min, max;
		uint32_t	attempts;
		int64_t		want;
	} t[] = {
		{ 300, 3600, 1, 300 }, { 300, 3600, 2, 600 },
		{ 300, 3600, 3, 1200 }, { 300, 3600, 4, 2400 },
		{ 300, 3600, 5, 3600 }, { 300, 3600, 6, 3600 },
		{ 300, 3600, 4000000000u, 3600 },
		{ 1, 1, 9, 1 }, { 1, 7, 3, 4 }, { 1, 7, 4, 7 },
		{ 300, 300, 2, 300 }, { 604800, 604800, 70, 604800 },
	};
	struct queue_sched_conf c = conf();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c.retry_min = t[i].min;
		c.retry_max = t[i].max;
		if (queue_sched_backoff(&c, t[i].attempts) != t[i].want)
			fail_msg("row %zu: %lld, want %lld", i,
			    (long long)queue_sched_backoff(&c, t[i].attempts),
			    (long long)t[i].want);
	}
}

static void
test_domain(void **state)
{
	static const struct {
		const char	*addr, *want;	/* want NULL: refused */
	} t[] = {
		{ "bob@Example.NET", "example.net" },
		{ "\"a@b\"@x.test", "x.test" },
		{ "bob@x.test.", "x.test" },
		{ "bob@[192.0.2.1]", "[192.0.2.1]" },
		{ "bob", NULL }, { "bob@", NULL }, { "", NULL },
		{ "b@\xc3\xa4.test", "\xc3\xa4.test" },
	};
	char out[QUEUE_SCHED_DOMAIN_MAX + 1], longaddr[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rv = queue_sched_domain(t[i].addr, out, sizeof(out));

		if (t[i].want == NULL) {
			assert_int_equal(rv, -1);
			continue;
		}
		assert_int_equal(rv, 0);
		assert_string_equal(out, t[i].want);
	}
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	longaddr[2] = '@';	/* a 296-octet domain */
	assert_int_equal(queue_sched_domain(longaddr, out, sizeof(out)), -1);
	/* too small a buffer is refused, not overrun */
	assert_int_equal(queue_sched_domain("b@x.test", out, 6), -1);
}

static struct envelope
sample(void)
{
	struct envelope e;
	struct envelope_rcpt *r;

	envelope_init(&e);
	(void)strlcpy(e.id, "abcdefghijkl", sizeof(e.id));
	e.arrival = 1000000;
	(void)strlcpy(e.from, "alice@example.org", sizeof(e.from));
	/* 0 pending, remote */
	assert_non_null(envelope_add_rcpt(&e, "a@one.test"));
	/* 1 deferred, due later */
	assert_non_null(r = envelope_add_rcpt(&e, "b@two.test"));
	r->state = ENVELOPE_RCPT_DEFERRED;
	r->attempts = 1;
	r->next_retry = 1000600;
	/* 2 pending, same domain as 0 (other case) */
	assert_non_null(envelope_add_rcpt(&e, "c@ONE.test"));
	/* 3 sent */
	assert_non_null(r = envelope_add_rcpt(&e, "d@one.test"));
	r->state = ENVELOPE_RCPT_SENT;
	/* 4 local domain */
	assert_non_null(envelope_add_rcpt(&e, "e@example.org"));
	/* 5 deferred, due */
	assert_non_null(r = envelope_add_rcpt(&e, "f@two.test"));
	r->state = ENVELOPE_RCPT_DEFERRED;
	r->next_retry = 1000100;
	/* 6 no domain */
	assert_non_null(envelope_add_rcpt(&e, "nodomain"));
	return e;
}

static void
test_due_and_groups(void **state)
{
	struct queue_sched_conf c = conf();
	struct envelope e = sample();
	struct queue_sched_group *g;
	uint32_t *bad;
	size_t nbad;
	ssize_t ng;

	(void)state;
	/* pending recipients are due at once */
	assert_true(queue_sched_due(&c, &e) == 0);
	ng = queue_sched_groups(&c, &e, 1000200, &g, &bad, &nbad);
	assert_int_equal(ng, 2);
	assert_string_equal(g[0].domain, "one.test");
	assert_int_equal(g[0].n, 2);
	assert_int_equal(g[0].idx[0], 0);
	assert_int_equal(g[0].idx[1], 2);
	assert_string_equal(g[1].domain, "two.test");
	assert_int_equal(g[1].n, 1);		/* 1 is not due yet */
	assert_int_equal(g[1].idx[0], 5);
	assert_int_equal(nbad, 1);
	assert_int_equal(bad[0], 6);
	queue_sched_groups_free(g, (size_t)ng);
	free(bad);

	/* before 5 is due only the pending ones go */
	ng = queue_sched_groups(&c, &e, 1000050, &g, &bad, &nbad);
	assert_int_equal(ng, 1);
	assert_int_equal(g[0].n, 2);
	queue_sched_groups_free(g, (size_t)ng);
	free(bad);

	/* with the pending ones done, the earliest deferral decides */
	e.rcpt[0].state = ENVELOPE_RCPT_SENT;
	e.rcpt[2].state = ENVELOPE_RCPT_BOUNCED;
	e.rcpt[6].state = ENVELOPE_RCPT_BOUNCED;
	assert_true(queue_sched_due(&c, &e) == 1000100);
	e.rcpt[5].state = ENVELOPE_RCPT_SENT;
	assert_true(queue_sched_due(&c, &e) == 1000600);
	/* only the local recipient left: never (the local transport) */
	e.rcpt[1].state = ENVELOPE_RCPT_EXPIRED;
	assert_true(queue_sched_due(&c, &e) == QUEUE_SCHED_NEVER);
	assert_int_equal(queue_sched_all_final(&e), 0);
	e.rcpt[4].state = ENVELOPE_RCPT_SENT;
	assert_int_equal(queue_sched_all_final(&e), 1);
	envelope_free(&e);
}

static void
test_apply(void **state)
{
	struct queue_sched_conf c = conf();
	struct envelope e = sample();
	struct envelope_rcpt *r = &e.rcpt[0];
	struct reason why;

	(void)state;
	(void)reason_set(&why, 451, "4.7.5", "TLS is required");
	/* first failure: retry_min later */
	assert_int_equal(queue_sched_apply(&c, &e, r, QUEUE_SCHED_DEFERRED,
	    &why, "certificate-not-trusted", "mx1.one.test", 1000010),
	    ENVELOPE_RCPT_DEFERRED);
	assert_int_equal(r->attempts, 1);
	assert_true(r->last_attempt == 1000010);
	assert_true(r->next_retry == 1000310);
	assert_int_equal(r->error.code, 451);
	assert_string_equal(r->error.dsn, "4.7.5");
	assert_string_equal(r->failure, "certificate-not-trusted");
	assert_string_equal(r->mx, "mx1.one.test");
	/* second: doubled */
	assert_int_equal(queue_sched_apply(&c, &e, r, QUEUE_SCHED_DEFERRED,
	    &why, "", "", 1000400), ENVELOPE_RCPT_DEFERRED);
	assert_true(r->next_retry == 1001000);
	assert_string_equal(r->failure, "");
	/* after the lifetime a deferral expires */
	assert_int_equal(queue_sched_apply(&c, &e, r, QUEUE_SCHED_DEFERRED,
	    &why, "starttls-not-supported", "mx", 1000000 + 5 * 86400),
	    ENVELOPE_RCPT_EXPIRED);
	assert_true(r->next_retry == 0);
	assert_int_equal(r->attempts, 3);
	/* a success clears the error */
	r = &e.rcpt[1];
	assert_int_equal(queue_sched_apply(&c, &e, r, QUEUE_SCHED_SENT, NULL,
	    NULL, NULL, 1000700), ENVELOPE_RCPT_SENT);
	assert_int_equal(r->error.code, 0);
	assert_int_equal(r->attempts, 2);
	/* a 5xx bounces at once */
	(void)reason_set(&why, 550, "5.1.1", "no such user");
	r = &e.rcpt[2];
	assert_int_equal(queue_sched_apply(&c, &e, r, QUEUE_SCHED_BOUNCED,
	    &why, NULL, "mx", 1000010), ENVELOPE_RCPT_BOUNCED);
	assert_int_equal(r->error.code, 550);
	/* what apply writes still passes the envelope check */
	assert_int_equal(envelope_check(&e, NULL), 0);
	envelope_free(&e);
}

static void
test_warn(void **state)
{
	struct queue_sched_conf c = conf();
	struct envelope e = sample();

	(void)state;
	/* off by default */
	assert_int_equal(queue_sched_warn_due(&c, &e, 2000000), 0);
	c.delay_warning_time = 4 * 3600;
	assert_int_equal(queue_sched_warn_due(&c, &e, 1000000 + 4 * 3600 - 1),
	    0);
	assert_int_equal(queue_sched_warn_due(&c, &e, 1000000 + 4 * 3600), 1);
	/* NOTIFY without DELAY on every deferred one: no warning */
	e.rcpt[1].notify = ENVELOPE_NOTIFY_FAILURE;
	e.rcpt[5].notify = ENVELOPE_NOTIFY_NEVER;
	assert_int_equal(queue_sched_warn_due(&c, &e, 2000000), 0);
	e.rcpt[5].notify = ENVELOPE_NOTIFY_DELAY | ENVELOPE_NOTIFY_FAILURE;
	assert_int_equal(queue_sched_warn_due(&c, &e, 2000000), 1);
	/* once only */
	e.warned = 1500000;
	assert_int_equal(queue_sched_warn_due(&c, &e, 2000000), 0);
	/* never to the null sender */
	e.warned = 0;
	e.from[0] = '\0';
	assert_int_equal(queue_sched_warn_due(&c, &e, 2000000), 0);
	envelope_free(&e);
}

/* sealpost hold, release and flush (doc/design.md §12) */
static void
test_hold(void **state)
{
	struct queue_sched_conf c = conf();
	struct envelope e = sample();
	struct queue_sched_group *g;
	uint32_t *bad;
	size_t nbad;
	struct reason why;

	(void)state;
	c.delay_warning_time = 3600;
	assert_int_equal(queue_sched_hold(&e, 1000100), 1);
	assert_true(e.held == 1000100);
	/* a second hold changes nothing: the first time stays */
	assert_int_equal(queue_sched_hold(&e, 1000200), 0);
	assert_true(e.held == 1000100);
	/* held: never due, no job, no expiry, no warning, nothing to flush */
	assert_true(queue_sched_due(&c, &e) == QUEUE_SCHED_NEVER);
	assert_int_equal(queue_sched_groups(&c, &e, 1000200, &g, &bad,
	    &nbad), 0);
	assert_null(bad);
	assert_int_equal(queue_sched_expired(&c, &e, 1000000 + 9 * 86400), 0);
	assert_int_equal(queue_sched_warn_due(&c, &e, 1000000 + 86400), 0);
	assert_int_equal(queue_sched_flush(&c, &e, 1000200), 0);
	/* released after 3 days: the deferred one is due now, the three
	   days are not counted toward the 5 days of queue_lifetime */
	e.rcpt[1].next_retry = 1000100 + 4 * 86400;
	assert_int_equal(queue_sched_release(&c, &e, 1000100 + 3 * 86400), 1);
	assert_true(e.held == 0);
	assert_true(e.held_total == 3 * 86400);
	assert_true(e.rcpt[1].next_retry == 1000100 + 3 * 86400);
	assert_int_equal(queue_sched_expired(&c, &e, 1000000 + 5 * 86400),
	    0);
	assert_int_equal(queue_sched_expired(&c, &e, 1000000 + 8 * 86400 -
	    1), 0);
	assert_int_equal(queue_sched_expired(&c, &e, 1000000 + 8 * 86400),
	    1);
	(void)reason_set(&why, 451, "4.4.1", "no answer");
	assert_int_equal(queue_sched_apply(&c, &e, &e.rcpt[1],
	    QUEUE_SCHED_DEFERRED, &why, "", "", 1000000 + 6 * 86400),
	    ENVELOPE_RCPT_DEFERRED);
	/* a release of what is not held does nothing */
	assert_int_equal(queue_sched_release(&c, &e, 2000000), 0);
	assert_true(e.held_total == 3 * 86400);
	/* what hold and release write still checks */
	assert_int_equal(envelope_check(&e, NULL), 0);
	envelope_free(&e);
}

static void
test_flush(void **state)
{
	struct queue_sched_conf c = conf();
	struct envelope e = sample();

	(void)state;
	/* 0, 1, 2, 5 are remote and open, 6 has no domain (open: bounced
	   by the runner); 3 is sent and 4 local */
	assert_int_equal(queue_sched_flush(&c, &e, 1000050), 5);
	assert_true(e.rcpt[1].next_retry == 1000050);
	assert_true(e.rcpt[5].next_retry == 1000050);
	assert_true(queue_sched_due(&c, &e) == 0);
	/* nothing earlier is moved later */
	e.rcpt[0].state = ENVELOPE_RCPT_SENT;
	e.rcpt[2].state = ENVELOPE_RCPT_SENT;
	e.rcpt[6].state = ENVELOPE_RCPT_SENT;
	e.rcpt[5].next_retry = 1000010;
	assert_int_equal(queue_sched_flush(&c, &e, 1000050), 2);
	assert_true(e.rcpt[5].next_retry == 1000010);
	/* nothing open: nothing to flush */
	e.rcpt[1].state = ENVELOPE_RCPT_SENT;
	e.rcpt[5].state = ENVELOPE_RCPT_SENT;
	assert_int_equal(queue_sched_flush(&c, &e, 1000050), 0);
	envelope_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_due_and_groups),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_warn),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
