/*
 * test_anvil.c: the master's connection counter: total and per-address
 * limits over several smtpin processes, the relay_networks exemption, and
 * the counts of a process that died being given back.
 */
#include "config.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "master/master.h"

static struct ipc_anvil
ip(uint8_t last, int exempt)
{
	struct ipc_anvil a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.addr[0] = 192;
	a.addr[1] = 0;
	a.addr[2] = 2;
	a.addr[3] = last;
	a.exempt = exempt;
	return a;
}

static void
test_limits(void **state)
{
	struct master *m = test_calloc(1, sizeof(*m));
	struct ipc_anvil a = ip(1, 0), b = ip(2, 0), r = ip(3, 1);
	int i;

	(void)state;
	m->conf.smtpin_max_connections = 10;
	m->conf.smtpin_max_connections_per_ip = 3;
	/* three from one address, spread over two processes */
	assert_int_equal(master_anvil_connect(m, 0, &a), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 1, &a), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 1, &a), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 0, &a),
	    IPC_ANVIL_TOO_MANY_FROM_IP);
	/* another address is not affected */
	assert_int_equal(master_anvil_connect(m, 0, &b), IPC_ANVIL_OK);
	/* one leaves: room again */
	master_anvil_disconnect(m, 1, &a);
	assert_int_equal(master_anvil_connect(m, 0, &a), IPC_ANVIL_OK);
	/* exempt addresses only meet the total */
	for (i = 0; i < 6; i++)
		assert_int_equal(master_anvil_connect(m, 1, &r), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 1, &r), IPC_ANVIL_TOO_MANY);
	assert_int_equal(master_anvil_connect(m, 0, &b), IPC_ANVIL_TOO_MANY);
	/* process 1 dies: its 1 (a) + 6 (r) connections are gone */
	master_anvil_forget(m, 1);
	/* a: 2 left on process 0, so one more fits, not two */
	assert_int_equal(master_anvil_connect(m, 0, &a), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 0, &a),
	    IPC_ANVIL_TOO_MANY_FROM_IP);
	for (i = 0; i < 6; i++)
		assert_int_equal(master_anvil_connect(m, 0, &r), IPC_ANVIL_OK);
	/* clean up so the leak checker sees every entry freed */
	master_anvil_forget(m, 0);
	assert_int_equal(master_anvil_connect(m, 0, &a), IPC_ANVIL_OK);
	master_anvil_forget(m, 0);
	test_free(m);
}

static void
test_ipv6_distinct(void **state)
{
	struct master *m = test_calloc(1, sizeof(*m));
	struct ipc_anvil a, b;

	(void)state;
	m->conf.smtpin_max_connections = 10;
	m->conf.smtpin_max_connections_per_ip = 1;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.addr[15] = 1;
	b = a;
	b.addr[15] = 2;
	assert_int_equal(master_anvil_connect(m, 0, &a), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 0, &b), IPC_ANVIL_OK);
	assert_int_equal(master_anvil_connect(m, 0, &a),
	    IPC_ANVIL_TOO_MANY_FROM_IP);
	master_anvil_forget(m, 0);
	test_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_ipv6_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
