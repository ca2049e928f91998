/*
 * test_master_notify.c: the pure parts of the master's notifications to
 * systemd (mta/master/master_notify.c), table-style: the NOTIFY_SOCKET
 * address (a path, an abstract "@name", and what is neither or too long)
 * and the reload message.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "master/master_notify.h"

static const struct addr_case {
	const char	*env;
	int		 want;		/* 0 or -1 */
	int		 abstract;
	const char	*name;		/* sun_path without the '@' or NUL */
} addr_cases[] = {
	{ "/run/systemd/notify", 0, 0, "/run/systemd/notify" },
	{ "@/org/freedesktop/systemd1/notify/1", 0, 1,
	    "/org/freedesktop/systemd1/notify/1" },
	{ "@x", 0, 1, "x" },
	{ NULL, -1, 0, NULL },
	{ "", -1, 0, NULL },
	{ "@", -1, 0, NULL },
	{ "/", -1, 0, NULL },
	{ "run/notify", -1, 0, NULL },		/* relative */
	{ "vsock:2:1234", -1, 0, NULL },	/* not ours */
};

static void
test_addr_table(void **state)
{
	struct sockaddr_un sa;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		size_t nl;

		assert_int_equal(master_notify_addr(c->env, &sa, &len),
		    c->want);
		if (c->want == -1)
			continue;
		assert_int_equal(sa.sun_family, AF_UNIX);
		nl = strlen(c->name);
		if (c->abstract) {
			assert_int_equal(sa.sun_path[0], '\0');
			assert_memory_equal(sa.sun_path + 1, c->name, nl);
			/* exactly the name: no trailing NUL counted */
			assert_int_equal(len,
			    offsetof(struct sockaddr_un, sun_path) + 1 + nl);
		} else {
			assert_string_equal(sa.sun_path, c->name);
			assert_int_equal(len,
			    offsetof(struct sockaddr_un, sun_path) + nl + 1);
		}
	}
}

static void
test_addr_too_long(void **state)
{
	struct sockaddr_un sa;
	char p[sizeof(sa.sun_path) + 2];
	socklen_t len;

	(void)state;
	/* the longest path that fits with its NUL, and one more byte */
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[sizeof(sa.sun_path) - 1] = '\0';
	assert_int_equal(master_notify_addr(p, &sa, &len), 0);
	p[sizeof(sa.sun_path) - 1] = 'a';
	p[sizeof(sa.sun_path)] = '\0';
	assert_int_equal(master_notify_addr(p, &sa, &len), -1);
	p[0] = '@';
	assert_int_equal(master_notify_addr(p, &sa, &len), -1);
}

static void
test_reloading_msg(void **state)
{
	char buf[64], small[20];

	(void)state;
	assert_int_equal(master_notify_reloading_msg(buf, sizeof(buf), 0),
	    (int)strlen("RELOADING=1\nMONOTONIC_USEC=0"));
	assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=0");
	assert_true(master_notify_reloading_msg(buf, sizeof(buf),
	    UINT64_MAX) > 0);
	assert_string_equal(buf,
	    "RELOADING=1\nMONOTONIC_USEC=18446744073709551615");
	assert_int_equal(master_notify_reloading_msg(small, sizeof(small),
	    1234567), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_table),
		cmocka_unit_test(test_addr_too_long),
		cmocka_unit_test(test_reloading_msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
