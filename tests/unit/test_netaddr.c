/*
 * test_netaddr.c: CIDR parsing and matching of peer addresses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/netaddr.h"

static struct sockaddr_storage
addr(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)(void *)&ss)->
	    sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)(void *)&ss)->
	    sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		fail_msg("bad test address %s", s);
	return ss;
}

static void
test_parse(void **state)
{
	static const char *const good[] = { "127.0.0.0/8", "10.1.2.3",
	    "0.0.0.0/0", "::1", "2001:db8::/32", "[::1]/128", "fe80::/10",
	    "192.0.2.128/25" };
	static const char *const bad[] = { "", "/8", "127.0.0.1/", "10.0.0.1/8",
	    "1.2.3.4/33", "::1/129", "2001:db8::1/32", "host.example",
	    "1.2.3.4/-1", "1.2.3.4/8x", "[1.2.3.4", "1.2.3", "192.0.2.129/25" };
	struct netaddr_net n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (netaddr_parse(good[i], &n) != 0)
			fail_msg("rejected %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (netaddr_parse(bad[i], &n) != -1)
			fail_msg("accepted %s", bad[i]);
}

struct match_case {
	const char	*net;
	const char	*addr;
	int		 match;
};

static void
test_match(void **state)
{
	static const struct match_case cases[] = {
		{ "127.0.0.0/8", "127.1.2.3", 1 },
		{ "127.0.0.0/8", "128.0.0.1", 0 },
		{ "127.0.0.0/8", "::ffff:127.0.0.9", 1 },
		{ "127.0.0.0/8", "::1", 0 },
		{ "::1", "::1", 1 },
		{ "::1", "127.0.0.1", 0 },
		{ "192.0.2.128/25", "192.0.2.200", 1 },
		{ "192.0.2.128/25", "192.0.2.127", 0 },
		{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
		{ "2001:db8::/32", "2001:db9::1", 0 },
		{ "fe80::/10", "febf::1", 1 },
		{ "fe80::/10", "fec0::1", 0 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "10.0.0.1", "10.0.0.1", 1 },
		{ "10.0.0.1", "10.0.0.2", 0 },
	};
	struct netaddr_net n;
	struct sockaddr_storage ss;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(netaddr_parse(cases[i].net, &n), 0);
		ss = addr(cases[i].addr);
		if (netaddr_match(&n, (struct sockaddr *)&ss) !=
		    cases[i].match)
			fail_msg("%s in %s: want %d", cases[i].addr,
			    cases[i].net, cases[i].match);
	}
}

static void
test_match_list(void **state)
{
	struct netaddr_net nets[2];
	struct sockaddr_storage ss;

	(void)state;
	assert_int_equal(netaddr_parse("127.0.0.0/8", &nets[0]), 0);
	assert_int_equal(netaddr_parse("::1", &nets[1]), 0);
	ss = addr("::1");
	assert_true(netaddr_match_list(nets, 2, (struct sockaddr *)&ss));
	ss = addr("192.0.2.1");
	assert_false(netaddr_match_list(nets, 2, (struct sockaddr *)&ss));
	assert_false(netaddr_match_list(nets, 0, (struct sockaddr *)&ss));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
