/*
 * test_master_ctl_policy.c: the master's checks of the `sealpost policy`
 * frames (mta/master/master_ctl.c), table-style: the CLI's request
 * (IPC_CTL_POLICY: its length, ctl, op and a NUL-terminated, non-empty
 * domain) and the policy process's answer frames (IPC_POLICY_TEXT: the
 * frame is exactly the struct and len bytes of text).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "master/master.h"

enum {
	T_OK, T_BAD_CTL, T_OP0, T_OP4, T_OPNEG, T_EMPTY, T_UNTERMINATED,
	T_FULL, T_SHORT, T_LONG, T_JSON, T_FORGET, T_SELF
};

static size_t
query(int kind, uint8_t *buf, size_t size)
{
	struct ipc_policy_query q;
	size_t len = sizeof(q);

	memset(&q, 0, sizeof(q));
	q.op = IPC_POLICY_SHOW;
	(void)strlcpy(q.domain, "example.org", sizeof(q.domain));
	switch (kind) {
	case T_BAD_CTL:
		q.ctl = 7;
		break;
	case T_OP0:
		q.op = 0;
		break;
	case T_OP4:
		q.op = IPC_POLICY_SHOW_SELF + 1;
		break;
	case T_OPNEG:
		q.op = -1;
		break;
	case T_EMPTY:
		q.domain[0] = '\0';
		break;
	case T_UNTERMINATED:
		memset(q.domain, 'a', sizeof(q.domain));
		break;
	case T_FULL:		/* the longest domain that fits */
		memset(q.domain, 'a', sizeof(q.domain) - 1);
		q.domain[sizeof(q.domain) - 1] = '\0';
		break;
	case T_SHORT:
		len--;
		break;
	case T_LONG:
		len++;
		break;
	case T_JSON:
		q.op = IPC_POLICY_SHOW_JSON;
		break;
	case T_FORGET:
		q.op = IPC_POLICY_FORGET;
		break;
	case T_SELF:
		q.op = IPC_POLICY_SHOW_SELF;
		break;
	}
	assert_true(len <= size);
	memset(buf, 0, size);
	memcpy(buf, &q, len < sizeof(q) ? len : sizeof(q));
	return len;
}

static void
test_query(void **state)
{
	static const struct {
		int	kind;
		int	want;
	} cases[] = {
		{ T_OK, 0 }, { T_JSON, 0 }, { T_FORGET, 0 }, { T_SELF, 0 },
		{ T_FULL, 0 },
		{ T_BAD_CTL, -1 }, { T_OP0, -1 }, { T_OP4, -1 },
		{ T_OPNEG, -1 }, { T_EMPTY, -1 }, { T_UNTERMINATED, -1 },
		{ T_SHORT, -1 }, { T_LONG, -1 },
	};
	struct ipc_policy_query q;
	uint8_t buf[sizeof(q) + 8];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = query(cases[i].kind, buf, sizeof(buf));
		if (master_ctl_policy_query_parse(buf, len, &q) !=
		    cases[i].want)
			fail_msg("case %zu", i);
		if (cases[i].want == 0)
			assert_int_equal(q.ctl, 0);
	}
	assert_int_equal(master_ctl_policy_query_parse(buf, 0, &q), -1);
}

static void
test_text(void **state)
{
	static const struct {
		uint32_t	announced;	/* t.len */
		size_t		text;		/* bytes after it */
		int		want;
	} cases[] = {
		{ 0, 0, 0 },
		{ 5, 5, 0 },
		{ IPC_PAYLOAD_MAX - sizeof(struct ipc_policy_text),
		    IPC_PAYLOAD_MAX - sizeof(struct ipc_policy_text), 0 },
		{ 5, 4, -1 },
		{ 5, 6, -1 },
		{ 1, 0, -1 },
		{ 0, 1, -1 },
		{ UINT32_MAX, 5, -1 },
		/* a length near the top of the range */
		{ (uint32_t)-sizeof(struct ipc_policy_text), 0, -1 },
	};
	struct ipc_policy_text t, got;
	static uint8_t buf[IPC_PAYLOAD_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.ctl = 42;
		t.last = 1;
		t.len = cases[i].announced;
		memcpy(buf, &t, sizeof(t));
		if (master_ctl_policy_text_parse(buf, sizeof(t) +
		    cases[i].text, &got) != cases[i].want)
			fail_msg("case %zu", i);
		if (cases[i].want == 0)
			assert_int_equal(got.ctl, 42);
	}
	/* shorter than the struct */
	for (i = 0; i < sizeof(t); i++)
		assert_int_equal(master_ctl_policy_text_parse(buf, i, &got),
		    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
