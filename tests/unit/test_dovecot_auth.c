/*
 * test_dovecot_auth.c: unit tests for mta/smtp/dovecot_auth.c: the
 * handshake, requests (format, injection, wiping), and the server's
 * lines in order and out of order, malformed ones included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/dovecot_auth.h"

#define HS_OK	"VERSION\t1\t2", "MECH\tPLAIN\tplaintext", \
		"MECH\tLOGIN\tplaintext", "SPID\t1234", "CUID\t7", \
		"COOKIE\t0123456789abcdef0123456789abcdef", "DONE"

/* Expected events; E_BAD: a protocol error. */
#define E_NONE	DOVECOT_AUTH_EV_NONE
#define E_READY	DOVECOT_AUTH_EV_READY
#define E_OK	DOVECOT_AUTH_EV_OK
#define E_FAIL	DOVECOT_AUTH_EV_FAIL
#define E_BAD	DOVECOT_AUTH_EV_ERROR

/*
 * A conversation: the server's lines, with `requests` AUTH requests sent
 * after its DONE; the event of the last line and what it carries.
 */
struct conv_case {
	const char	*name;
	const char	*lines[12];
	unsigned	 requests;
	int		 ev;
	unsigned	 id;
	int		 code;		/* FAIL and errors */
	const char	*user;		/* OK */
	const char	*reason;	/* FAIL */
};

static const struct conv_case conv_cases[] = {
	{ "handshake", { HS_OK }, 0, E_READY, 0, 0, NULL, NULL },
	{ "handshake, extra lines ignored",
	    { "VERSION\t1\t3", "MECH\tPLAIN", "NEWTHING\tx", "DONE" }, 0,
	    E_READY, 0, 0, NULL, NULL },
	{ "mech lower case", { "VERSION\t1\t2", "MECH\tplain", "DONE" }, 0,
	    E_READY, 0, 0, NULL, NULL },
	{ "ok", { HS_OK, "OK\t1\tuser=alice" }, 1, E_OK, 1, 0, "alice",
	    NULL },
	{ "ok without user", { HS_OK, "OK\t1" }, 1, E_OK, 1, 0, "", NULL },
	{ "ok escaped user", { HS_OK, "OK\t1\tuser=a\001\061b" }, 1, E_BAD,
	    0, 454, NULL, NULL },
	{ "ok second id", { HS_OK, "OK\t2\tuser=bob\tfoo=bar" }, 2, E_OK, 2,
	    0, "bob", NULL },
	{ "fail", { HS_OK, "FAIL\t1\tuser=alice" }, 1, E_FAIL, 1, 535, NULL,
	    "" },
	{ "fail reason", { HS_OK, "FAIL\t1\treason=Password expired" }, 1,
	    E_FAIL, 1, 535, NULL, "Password expired" },
	{ "fail reason escaped", { HS_OK, "FAIL\t1\treason=a\001tb\001nc\x80" },
	    1, E_FAIL, 1, 535, NULL, "a?b?c?" },
	{ "fail temp", { HS_OK, "FAIL\t1\ttemp" }, 1, E_FAIL, 1, 454, NULL,
	    "" },
	/* protocol errors */
	{ "version 2", { "VERSION\t2\t0" }, 0, E_BAD, 0, 454, NULL, NULL },
	{ "version short", { "VERSION\t1" }, 0, E_BAD, 0, 454, NULL, NULL },
	{ "version twice", { "VERSION\t1\t2", "VERSION\t1\t2" }, 0, E_BAD, 0,
	    454, NULL, NULL },
	{ "mech first", { "MECH\tPLAIN" }, 0, E_BAD, 0, 454, NULL, NULL },
	{ "no PLAIN", { "VERSION\t1\t2", "MECH\tLOGIN", "DONE" }, 0, E_BAD,
	    0, 454, NULL, NULL },
	{ "mech empty", { "VERSION\t1\t2", "MECH" }, 0, E_BAD, 0, 454, NULL,
	    NULL },
	{ "ok before done", { "VERSION\t1\t2", "OK\t1" }, 0, E_BAD, 0, 454,
	    NULL, NULL },
	{ "ok, id never sent", { HS_OK, "OK\t2" }, 1, E_BAD, 0, 454, NULL,
	    NULL },
	{ "ok, id 0", { HS_OK, "OK\t0" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "ok, id 01", { HS_OK, "OK\t01" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "ok, id -1", { HS_OK, "OK\t-1" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "ok, id huge", { HS_OK, "OK\t99999999999" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "ok, no id", { HS_OK, "OK" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "ok, user with TAB escaped", { HS_OK, "OK\t1\tuser=a\001tb" }, 1,
	    E_BAD, 0, 454, NULL, NULL },
	{ "ok, empty user", { HS_OK, "OK\t1\tuser=" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "cont", { HS_OK, "CONT\t1\tYQ==" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "unknown after done", { HS_OK, "MECH\tPLAIN" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "empty line after done", { HS_OK, "" }, 1, E_BAD, 0, 454, NULL,
	    NULL },
	{ "case matters", { HS_OK, "ok\t1" }, 1, E_BAD, 0, 454, NULL, NULL },
	{ "broken stays broken", { "VERSION\t9\t0", "VERSION\t1\t2" }, 0,
	    E_BAD, 0, 454, NULL, NULL },
	/* malformed replies as smtpin_dovecot.c may meet them */
	{ "fail without id", { HS_OK, "FAIL" }, 1, E_BAD, 0, 454, NULL,
	    NULL },
	{ "fail, empty id", { HS_OK, "FAIL\t\ttemp" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "fail, id not a number", { HS_OK, "FAIL\tone" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "fail, id with a sign", { HS_OK, "FAIL\t+1" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "fail, id never sent", { HS_OK, "FAIL\t3" }, 2, E_BAD, 0, 454,
	    NULL, NULL },
	{ "fail, id over UINT_MAX", { HS_OK, "FAIL\t4294967296" }, 1, E_BAD,
	    0, 454, NULL, NULL },
	{ "unknown command", { HS_OK, "BOGUS\t1" }, 1, E_BAD, 0, 454, NULL,
	    NULL },
	{ "handshake line after done", { HS_OK, "DONE" }, 1, E_BAD, 0, 454,
	    NULL, NULL },
	{ "ok with a control byte in user", { HS_OK, "OK\t1\tuser=a\rb" }, 1,
	    E_BAD, 0, 454, NULL, NULL },
	{ "fail temp with user and reason", { HS_OK,
	    "FAIL\t1\tuser=alice\ttemp\treason=backend down" }, 1, E_FAIL,
	    1, 454, NULL, "backend down" },
	{ "answers out of order", { HS_OK, "OK\t2\tuser=b", "FAIL\t1" }, 2,
	    E_FAIL, 1, 535, NULL, "" },
	{ "ok canonical user", { HS_OK, "OK\t1\tuser=Alice@Example.COM" },
	    1, E_OK, 1, 0, "Alice@Example.COM", NULL },
};

static void
test_conversations(void **state)
{
	struct dovecot_auth d;
	struct dovecot_auth_event ev;
	struct dovecot_auth_info info = { NULL, NULL, NULL, 0, 0, 1 };
	struct reason why;
	char buf[DOVECOT_AUTH_REQ_MAX];
	size_t i, k;
	unsigned id, r;
	int rc, ready;

	(void)state;
	for (i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++) {
		const struct conv_case *c = &conv_cases[i];

		dovecot_auth_init(&d);
		ready = 0;
		rc = 0;
		memset(&ev, 0, sizeof(ev));
		for (k = 0; k < 12 && c->lines[k] != NULL; k++) {
			memset(&why, 0, sizeof(why));
			rc = dovecot_auth_line(&d, c->lines[k],
			    strlen(c->lines[k]), &ev, &why);
			if (ev.ev == E_READY && !ready) {
				ready = 1;
				for (r = 1; r <= c->requests; r++) {
					assert_true(dovecot_auth_request(&d,
					    buf, sizeof(buf), &id, "alice", 5,
					    "secret", 6, &info, &why) > 0);
					assert_int_equal(id, r);
				}
			}
			if (c->lines[k + 1] != NULL && ev.ev == E_BAD)
				break;
		}
		if ((int)ev.ev != c->ev)
			fail_msg("%s: event %d, expected %d (%s)", c->name,
			    ev.ev, c->ev, why.text);
		assert_int_equal(rc, c->ev == E_BAD ? -1 : 0);
		if (c->ev == E_BAD) {
			assert_int_equal(d.state, DOVECOT_AUTH_ST_BROKEN);
			assert_int_equal(why.code, 454);
			assert_string_equal(why.dsn, "4.7.0");
			/* no request on a broken connection */
			assert_int_equal(dovecot_auth_request(&d, buf,
			    sizeof(buf), &id, "a", 1, "b", 1, &info, &why), -1);
			continue;
		}
		if (c->ev == E_OK || c->ev == E_FAIL)
			assert_int_equal(ev.id, c->id);
		if (c->ev == E_OK)
			assert_string_equal(ev.user, c->user);
		if (c->ev == E_FAIL) {
			assert_int_equal(why.code, c->code);
			assert_string_equal(why.dsn, c->code == 535 ? "5.7.8" :
			    "4.7.0");
			assert_string_equal(ev.reason, c->reason);
			assert_int_equal(ev.temp, c->code == 454);
		}
	}
}

static void
test_hello(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(dovecot_auth_hello(buf, sizeof(buf), 4321), 22);
	assert_string_equal(buf, "VERSION\t1\t2\nCPID\t4321\n");
	assert_int_equal(dovecot_auth_hello(buf, 10, 4321), -1);
}

static void
ready(struct dovecot_auth *d)
{
	static const char *const hs[] = { HS_OK };
	struct dovecot_auth_event ev;
	struct reason why;
	size_t i;

	dovecot_auth_init(d);
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		assert_int_equal(dovecot_auth_line(d, hs[i], strlen(hs[i]),
		    &ev, &why), 0);
	assert_int_equal(d->state, DOVECOT_AUTH_ST_READY);
}

static void
test_request(void **state)
{
	struct dovecot_auth d;
	struct dovecot_auth_info info = { "Xk3/a+b", "192.0.2.1",
	    "2001:db8::1", 587, 40000, 1 };
	struct reason why;
	char buf[DOVECOT_AUTH_REQ_MAX], big[300];
	unsigned id;
	int n;

	(void)state;
	/* not before the handshake */
	dovecot_auth_init(&d);
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "alice", 5, "secret", 6, &info, &why), -1);
	assert_int_equal(why.code, 454);

	ready(&d);
	n = dovecot_auth_request(&d, buf, sizeof(buf), &id, "alice", 5,
	    "secret", 6, &info, &why);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "AUTH\t1\tPLAIN\tservice=smtp\tsecured"
	    "\tsession=Xk3/a+b\tlip=192.0.2.1\trip=2001:db8::1\tlport=587"
	    "\trport=40000\tresp=AGFsaWNlAHNlY3JldA==\n");
	assert_int_equal(id, 1);

	/* the minimum */
	info.session = info.lip = info.rip = NULL;
	info.lport = info.rport = 0;
	info.secured = 0;
	assert_true(dovecot_auth_request(&d, buf, sizeof(buf), &id, "alice",
	    5, "secret", 6, &info, &why) > 0);
	assert_string_equal(buf,
	    "AUTH\t2\tPLAIN\tservice=smtp\tresp=AGFsaWNlAHNlY3JldA==\n");

	/* a TAB or LF in one of our values would inject a parameter */
	info.session = "a\tresp=x";
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "alice", 5, "secret", 6, &info, &why), -1);
	info.session = NULL;
	info.rip = "1.2.3.4\n";
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "alice", 5, "secret", 6, &info, &why), -1);
	info.rip = "";
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "alice", 5, "secret", 6, &info, &why), -1);
	info.rip = NULL;
	/* credentials: TAB and LF travel inside base64, NUL cannot */
	assert_true(dovecot_auth_request(&d, buf, sizeof(buf), &id, "a\tb",
	    3, "c\nd", 3, &info, &why) > 0);
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
	assert_string_equal(buf,
	    "AUTH\t3\tPLAIN\tservice=smtp\tresp=AGEJYgBjCmQ=\n");
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "a\0b", 3, "c", 1, &info, &why), -1);
	assert_int_equal(why.code, 535);
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "", 0, "c", 1, &info, &why), -1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    big, 256, "c", 1, &info, &why), -1);
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "a", 1, big, 256, &info, &why), -1);
	/* too small a buffer: refused and wiped */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(dovecot_auth_request(&d, buf, 40, &id, "alice", 5,
	    "secret", 6, &info, &why), -1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[39], 0);
	assert_int_equal(why.code, 454);
	/* the failures used no id: the next is 4 (3 went to "a\tb") */
	assert_true(dovecot_auth_request(&d, buf, sizeof(buf), &id, "alice",
	    5, "secret", 6, &info, &why) > 0);
	assert_int_equal(id, 4);
	/* the last id: no wrap to 0 */
	d.next_id = UINT_MAX;
	assert_int_equal(dovecot_auth_request(&d, buf, sizeof(buf), &id,
	    "alice", 5, "secret", 6, &info, &why), -1);
}

/* Lines with LF, NUL or over the maximum break the connection. */
static void
test_bad_lines(void **state)
{
	struct dovecot_auth d;
	struct dovecot_auth_event ev;
	struct reason why;
	char *big;

	(void)state;
	ready(&d);
	assert_int_equal(dovecot_auth_line(&d, "OK\t1\n", 5, &ev, &why), -1);
	ready(&d);
	assert_int_equal(dovecot_auth_line(&d, "OK\0\t1", 5, &ev, &why), -1);
	big = malloc(DOVECOT_AUTH_LINE_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', DOVECOT_AUTH_LINE_MAX + 1);
	dovecot_auth_init(&d);
	assert_int_equal(dovecot_auth_line(&d, big, DOVECOT_AUTH_LINE_MAX + 1,
	    &ev, &why), -1);
	assert_int_equal(ev.ev, E_BAD);
	/* at the maximum: a handshake line we ignore... after VERSION */
	dovecot_auth_init(&d);
	assert_int_equal(dovecot_auth_line(&d, "VERSION\t1\t2", 11, &ev, &why),
	    0);
	assert_int_equal(dovecot_auth_line(&d, big, DOVECOT_AUTH_LINE_MAX,
	    &ev, &why), 0);
	/* many fields */
	memset(big, '\t', DOVECOT_AUTH_LINE_MAX);
	assert_int_equal(dovecot_auth_line(&d, big, DOVECOT_AUTH_LINE_MAX,
	    &ev, &why), 0);
	free(big);
}

/* Values that do not fit: a user= over DOVECOT_AUTH_USER_MAX is refused. */
static void
test_long_values(void **state)
{
	struct dovecot_auth d;
	struct dovecot_auth_event ev;
	struct dovecot_auth_info info = { NULL, NULL, NULL, 0, 0, 1 };
	struct reason why;
	char line[600], buf[DOVECOT_AUTH_REQ_MAX];
	unsigned id;
	int n;

	(void)state;
	ready(&d);
	assert_true(dovecot_auth_request(&d, buf, sizeof(buf), &id, "a", 1,
	    "b", 1, &info, &why) > 0);
	/* exactly the maximum fits */
	n = snprintf(line, sizeof(line), "OK\t1\tuser=%0*d",
	    DOVECOT_AUTH_USER_MAX, 0);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	assert_int_equal(dovecot_auth_line(&d, line, (size_t)n, &ev, &why), 0);
	assert_int_equal(ev.ev, E_OK);
	assert_int_equal(strlen(ev.user), DOVECOT_AUTH_USER_MAX);
	/* one more is a protocol error */
	n = snprintf(line, sizeof(line), "OK\t1\tuser=%0*d",
	    DOVECOT_AUTH_USER_MAX + 1, 0);
	assert_int_equal(dovecot_auth_line(&d, line, (size_t)n, &ev, &why),
	    -1);
	assert_int_equal(ev.ev, E_BAD);
	/* a long reason is cut for the log, not refused */
	ready(&d);
	assert_true(dovecot_auth_request(&d, buf, sizeof(buf), &id, "a", 1,
	    "b", 1, &info, &why) > 0);
	n = snprintf(line, sizeof(line), "FAIL\t1\treason=%0*d", 500, 0);
	assert_int_equal(dovecot_auth_line(&d, line, (size_t)n, &ev, &why), 0);
	assert_int_equal(ev.ev, E_FAIL);
	assert_int_equal(strlen(ev.reason), DOVECOT_AUTH_REASON_MAX - 1);
	assert_int_equal(why.code, 535);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversations),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_long_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
