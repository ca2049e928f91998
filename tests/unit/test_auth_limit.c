/*
 * test_auth_limit.c: unit tests for mta/smtp/auth_limit.c: growing
 * delays, the per-address and per-login maxima, the sliding window, IPv6
 * by /64, login case folding, success, the bounded table, bad settings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "smtp/auth_limit.h"

#define MIN	(60ULL * 1000)

static const struct auth_limit_conf conf = {
	10 * MIN, 10, 20, 1000, 15000, 1024,
	{ 0x0123456789abcdefULL, 0xfedcba9876543210ULL }
};

static struct auth_limit_addr
v4(unsigned char last)
{
	struct auth_limit_addr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.a[0] = 192;
	a.a[1] = 0;
	a.a[2] = 2;
	a.a[3] = last;
	return a;
}

static struct auth_limit_addr
v6(unsigned char net, unsigned char host)
{
	struct auth_limit_addr a;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET6;
	a.a[0] = 0x20;
	a.a[1] = 0x01;
	a.a[2] = 0x0d;
	a.a[3] = 0xb8;
	a.a[7] = net;
	a.a[15] = host;
	return a;
}

/*
 * One address, one login per failure (none repeats): the delays and the
 * verdicts of failures 1..10 within a minute.
 */
struct fail_step {
	unsigned	delay;
	int		verdict;
};

static const struct fail_step ip_steps[] = {
	{ 1000, AUTH_LIMIT_DELAY }, { 2000, AUTH_LIMIT_DELAY },
	{ 4000, AUTH_LIMIT_DELAY }, { 8000, AUTH_LIMIT_DELAY },
	{ 15000, AUTH_LIMIT_DELAY }, { 15000, AUTH_LIMIT_DELAY },
	{ 15000, AUTH_LIMIT_DELAY }, { 15000, AUTH_LIMIT_DELAY },
	{ 15000, AUTH_LIMIT_DELAY }, { 15000, AUTH_LIMIT_REFUSE },
};

static void
test_per_ip(void **state)
{
	struct auth_limit *al;
	struct auth_limit_addr a = v4(1), b = v4(2);
	struct reason why;
	char login[16];
	unsigned delay;
	size_t i;
	uint64_t t = 1000000;

	(void)state;
	assert_non_null(al = auth_limit_new(&conf));
	for (i = 0; i < sizeof(ip_steps) / sizeof(ip_steps[0]); i++) {
		assert_int_equal(auth_limit_check(al, t, &a, NULL, 0, &why),
		    AUTH_LIMIT_OK);
		(void)snprintf(login, sizeof(login), "user%zu", i);
		assert_int_equal(auth_limit_fail(al, t, &a, login,
		    strlen(login), &delay, &why), ip_steps[i].verdict);
		assert_int_equal(delay, ip_steps[i].delay);
		if (ip_steps[i].verdict == AUTH_LIMIT_DELAY) {
			assert_int_equal(why.code, 535);
		} else {
			assert_int_equal(why.code, 421);
			assert_string_equal(why.dsn, "4.7.0");
		}
		t += 1000;
	}
	/* the address is refused now, with or without a login */
	assert_int_equal(auth_limit_check(al, t, &a, NULL, 0, &why),
	    AUTH_LIMIT_REFUSE);
	assert_int_equal(why.code, 421);
	assert_string_equal(why.dsn, "4.7.0");
	assert_non_null(strstr(why.text, "address"));
	assert_int_equal(auth_limit_check(al, t, &a, "x", 1, &why),
	    AUTH_LIMIT_REFUSE);
	/* another address is not */
	assert_int_equal(auth_limit_check(al, t, &b, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	/* sliding: all ten count inside their window... */
	assert_int_equal(auth_limit_check(al, t + 9 * MIN, &a, NULL, 0, &why),
	    AUTH_LIMIT_REFUSE);
	/* ...and fewer as the window slides past them: half a window on,
	 * about half */
	assert_int_equal(auth_limit_check(al, t + 15 * MIN, &a, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	/* and once both windows passed nothing is left: the first delay */
	assert_int_equal(auth_limit_fail(al, t + 40 * MIN, &a, "y", 1, &delay,
	    &why), AUTH_LIMIT_DELAY);
	assert_int_equal(delay, 1000);
	auth_limit_free(al);
}

static void
test_per_login(void **state)
{
	struct auth_limit *al;
	struct auth_limit_addr a;
	struct reason why;
	unsigned delay;
	int i, v;
	uint64_t t = 5;

	(void)state;
	assert_non_null(al = auth_limit_new(&conf));
	/* 20 addresses, one failure each, on one login in changing case */
	for (i = 0; i < 20; i++) {
		a = v4((unsigned char)(10 + i));
		assert_int_equal(auth_limit_check(al, t, &a,
		    i % 2 ? "ALICE" : "alice", 5, &why), AUTH_LIMIT_OK);
		v = auth_limit_fail(al, t, &a, i % 2 ? "Alice" : "alice", 5,
		    &delay, &why);
		assert_int_equal(v, i < 19 ? AUTH_LIMIT_DELAY :
		    AUTH_LIMIT_REFUSE);
		assert_int_equal(delay, i == 0 ? 1000 : i == 1 ? 2000 :
		    i == 2 ? 4000 : i == 3 ? 8000 : 15000);
	}
	a = v4(200);
	assert_int_equal(auth_limit_check(al, t, &a, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	assert_int_equal(auth_limit_check(al, t, &a, "aLiCe", 5, &why),
	    AUTH_LIMIT_REFUSE);
	assert_non_null(strstr(why.text, "login"));
	assert_int_equal(auth_limit_check(al, t, &a, "bob", 3, &why),
	    AUTH_LIMIT_OK);
	/* a success forgets the login's failures */
	auth_limit_success(al, t, &a, "alice", 5);
	assert_int_equal(auth_limit_check(al, t, &a, "alice", 5, &why),
	    AUTH_LIMIT_OK);
	auth_limit_free(al);
}

/* A success does not forget the address's failures. */
static void
test_success_keeps_ip(void **state)
{
	struct auth_limit *al;
	struct auth_limit_addr a = v4(9);
	struct reason why;
	unsigned delay;
	int i;

	(void)state;
	assert_non_null(al = auth_limit_new(&conf));
	for (i = 0; i < 9; i++)
		assert_int_equal(auth_limit_fail(al, 100, &a, "victim", 6,
		    &delay, &why), AUTH_LIMIT_DELAY);
	auth_limit_success(al, 100, &a, "mine", 4);
	auth_limit_success(al, 100, &a, NULL, 0);
	assert_int_equal(auth_limit_fail(al, 100, &a, "victim", 6, &delay,
	    &why), AUTH_LIMIT_REFUSE);
	auth_limit_free(al);
}

/* IPv6: one /64 is one client; another /64 is another. */
static void
test_ipv6(void **state)
{
	struct auth_limit *al;
	struct auth_limit_addr a;
	struct reason why;
	unsigned delay;
	int i;

	(void)state;
	assert_non_null(al = auth_limit_new(&conf));
	for (i = 0; i < 10; i++) {
		a = v6(1, (unsigned char)i);
		(void)auth_limit_fail(al, 100, &a, NULL, 0, &delay, &why);
	}
	a = v6(1, 200);
	assert_int_equal(auth_limit_check(al, 100, &a, NULL, 0, &why),
	    AUTH_LIMIT_REFUSE);
	a = v6(2, 0);
	assert_int_equal(auth_limit_check(al, 100, &a, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	/* an IPv4 address with the same first octets is not that /64 */
	a = v6(1, 0);
	a.af = AF_INET;
	assert_int_equal(auth_limit_check(al, 100, &a, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	auth_limit_free(al);
}

/* The table is bounded: many addresses evict the least recent ones. */
static void
test_bounded(void **state)
{
	struct auth_limit_conf c = conf;
	struct auth_limit *al;
	struct auth_limit_addr a, first = v4(1);
	struct reason why;
	unsigned delay;
	int i, j;

	(void)state;
	c.slots = 64;
	c.ip_max = 2;
	assert_non_null(al = auth_limit_new(&c));
	(void)auth_limit_fail(al, 1, &first, NULL, 0, &delay, &why);
	(void)auth_limit_fail(al, 1, &first, NULL, 0, &delay, &why);
	assert_int_equal(auth_limit_check(al, 2, &first, NULL, 0, &why),
	    AUTH_LIMIT_REFUSE);
	/* 5,000 other addresses later the first is forgotten */
	for (i = 0; i < 20; i++)
		for (j = 0; j < 250; j++) {
			memset(&a, 0, sizeof(a));
			a.af = AF_INET;
			a.a[0] = 10;
			a.a[1] = (unsigned char)i;
			a.a[2] = (unsigned char)j;
			(void)auth_limit_fail(al, 10 + (uint64_t)i * 250 + j,
			    &a, NULL, 0, &delay, &why);
		}
	assert_int_equal(auth_limit_check(al, 6000, &first, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	/* while the most recent is still known */
	assert_int_equal(auth_limit_check(al, 6000, &a, NULL, 0, &why),
	    AUTH_LIMIT_OK);
	(void)auth_limit_fail(al, 6000, &a, NULL, 0, &delay, &why);
	assert_int_equal(auth_limit_check(al, 6000, &a, NULL, 0, &why),
	    AUTH_LIMIT_REFUSE);
	auth_limit_free(al);
}

/* A clock that goes back, and limits of 0 (none). */
static void
test_edges(void **state)
{
	struct auth_limit_conf c = conf;
	struct auth_limit *al;
	struct auth_limit_addr a = v4(7);
	struct reason why;
	unsigned delay;
	int i;

	(void)state;
	c.ip_max = 0;
	c.login_max = 0;
	c.delay_ms = 0;
	c.delay_max_ms = 0;
	assert_non_null(al = auth_limit_new(&c));
	for (i = 0; i < 100; i++) {
		assert_int_equal(auth_limit_fail(al, 1000000 - (uint64_t)i *
		    1000, &a, "x", 1, &delay, &why), AUTH_LIMIT_DELAY);
		assert_int_equal(delay, 0);
	}
	assert_int_equal(auth_limit_check(al, 0, &a, "x", 1, &why),
	    AUTH_LIMIT_OK);
	auth_limit_free(al);
	auth_limit_free(NULL);
}

struct conf_case {
	uint64_t	window;
	size_t		slots;
	unsigned	delay, delay_max;
	int		ok;
};

static const struct conf_case conf_cases[] = {
	{ 10 * MIN, 1024, 1000, 15000, 1 },
	{ 0, 1024, 1000, 15000, 0 },
	{ 8ULL * 86400 * 1000, 1024, 1000, 15000, 0 },
	{ 10 * MIN, 7, 1000, 15000, 0 },
	{ 10 * MIN, 8, 1000, 15000, 1 },
	{ 10 * MIN, (size_t)1 << 25, 1000, 15000, 0 },
	{ 10 * MIN, 1024, 2000, 1000, 0 },
};

static void
test_conf(void **state)
{
	struct auth_limit_conf c = conf;
	struct auth_limit *al;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]); i++) {
		c.window_ms = conf_cases[i].window;
		c.slots = conf_cases[i].slots;
		c.delay_ms = conf_cases[i].delay;
		c.delay_max_ms = conf_cases[i].delay_max;
		al = auth_limit_new(&c);
		if ((al != NULL) != conf_cases[i].ok)
			fail_msg("case %zu", i);
		auth_limit_free(al);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_ip),
		cmocka_unit_test(test_per_login),
		cmocka_unit_test(test_success_keeps_ip),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
