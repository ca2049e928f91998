/*
 * test_sasl.c: unit tests for mta/smtp/sasl.c: AUTH arguments, PLAIN and
 * LOGIN exchanges, cancel, strict base64, line limits, proxy
 * authorization, the allowed states, and that secrets are wiped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/sasl.h"

#define P	SASL_MECH_PLAIN
#define L	SASL_MECH_LOGIN
#define PL	(SASL_MECH_PLAIN | SASL_MECH_LOGIN)

#define CH	SASL_STEP_CHALLENGE
#define DONE	SASL_STEP_DONE
#define ERR	SASL_STEP_ERROR

#define USER_PROMPT	"334 VXNlcm5hbWU6"
#define PASS_PROMPT	"334 UGFzc3dvcmQ6"

/*
 * One exchange: AUTH's argument, then up to three response lines; the
 * step expected after each (the first for sasl_start).  The outcome:
 * on DONE the login and password, on ERR the reply.
 */
struct exch_case {
	const char	*name;
	unsigned	 offered;
	const char	*arg;
	const char	*resp[3];
	int		 step[4];
	const char	*challenge[4];	/* after each CH step, or NULL */
	int		 code;
	const char	*dsn;
	const char	*user;
	const char	*pass;
};

static const struct exch_case exch_cases[] = {
	/* PLAIN with an initial response */
	{ "plain ir", P, "PLAIN AGFsaWNlAHNlY3JldA==", { NULL },
	    { DONE }, { NULL }, 0, NULL, "alice", "secret" },
	{ "plain ir lower case", PL, "plain AGFsaWNlAHNlY3JldA==", { NULL },
	    { DONE }, { NULL }, 0, NULL, "alice", "secret" },
	{ "plain ir mixed case", PL, "pLaIn AGFsaWNlAHNlY3JldA==", { NULL },
	    { DONE }, { NULL }, 0, NULL, "alice", "secret" },
	{ "plain authzid = authcid", P, "PLAIN YWxpY2UAYWxpY2UAc2VjcmV0",
	    { NULL }, { DONE }, { NULL }, 0, NULL, "alice", "secret" },
	{ "plain utf-8 login", P, "PLAIN AGFsw6ljZQBzZWNyZXQ=", { NULL },
	    { DONE }, { NULL }, 0, NULL, "al\xc3\xa9" "ce", "secret" },
	/* PLAIN without: an empty challenge, then the message */
	{ "plain 334", P, "PLAIN", { "AGFsaWNlAHNlY3JldA==" },
	    { CH, DONE }, { "334 " }, 0, NULL, "alice", "secret" },
	/* proxy authorization is refused */
	{ "plain authzid other", P, "PLAIN Ym9iAGFsaWNlAHNlY3JldA==",
	    { NULL }, { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	/* malformed PLAIN messages */
	{ "plain one NUL", P, "PLAIN YWxpY2UAc2VjcmV0", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain empty authcid", P, "PLAIN AABzZWNyZXQ=", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain empty passwd", P, "PLAIN AGFsaWNlAA==", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain NUL in passwd", P, "PLAIN AGFsaWNlAHNlYwByZXQ=", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain trailing NUL", P, "PLAIN AGFsaWNlAHNlY3JldAA=", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain control in login", P, "PLAIN AGFsAWNlAHNlY3JldA==", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain bad utf-8 login", P, "PLAIN AGFsw2NlAHNlY3JldA==", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "plain = (empty)", P, "PLAIN =", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	/* base64 errors: 501 5.5.2 */
	{ "plain bad char", P, "PLAIN AGFsaWNlAHNlY3Jld!==", { NULL },
	    { ERR }, { NULL }, 501, "5.5.2", NULL, NULL },
	{ "plain no padding", P, "PLAIN AGFsaWNlAHNlY3JldA", { NULL },
	    { ERR }, { NULL }, 501, "5.5.2", NULL, NULL },
	{ "plain pad inside", P, "PLAIN AG=saWNlAHNlY3JldA==", { NULL },
	    { ERR }, { NULL }, 501, "5.5.2", NULL, NULL },
	{ "plain 334 bad base64", P, "PLAIN", { "%%%%" },
	    { CH, ERR }, { "334 " }, 501, "5.5.2", NULL, NULL },
	/* cancel */
	{ "plain cancel", P, "PLAIN", { "*" },
	    { CH, ERR }, { "334 " }, 501, "5.7.0", NULL, NULL },
	{ "plain ir cancel", P, "PLAIN *", { NULL },
	    { ERR }, { NULL }, 501, "5.7.0", NULL, NULL },
	{ "login cancel at password", L, "LOGIN", { "YWxpY2U=", "*" },
	    { CH, CH, ERR }, { USER_PROMPT, PASS_PROMPT }, 501, "5.7.0",
	    NULL, NULL },
	/* LOGIN */
	{ "login", L, "LOGIN", { "YWxpY2U=", "c2VjcmV0" },
	    { CH, CH, DONE }, { USER_PROMPT, PASS_PROMPT }, 0, NULL,
	    "alice", "secret" },
	{ "login lower case", PL, "login", { "YWxpY2U=", "c2VjcmV0" },
	    { CH, CH, DONE }, { USER_PROMPT, PASS_PROMPT }, 0, NULL,
	    "alice", "secret" },
	{ "login with user as ir", L, "LOGIN YWxpY2U=", { "c2VjcmV0" },
	    { CH, DONE }, { PASS_PROMPT }, 0, NULL, "alice", "secret" },
	{ "login empty user", L, "LOGIN", { "" },
	    { CH, ERR }, { USER_PROMPT }, 535, "5.7.8", NULL, NULL },
	{ "login empty ir", L, "LOGIN =", { NULL },
	    { ERR }, { NULL }, 535, "5.7.8", NULL, NULL },
	{ "login empty password", L, "LOGIN", { "YWxpY2U=", "" },
	    { CH, CH, ERR }, { USER_PROMPT, PASS_PROMPT }, 535, "5.7.8",
	    NULL, NULL },
	{ "login NUL in user", L, "LOGIN", { "YQBi" },
	    { CH, ERR }, { USER_PROMPT }, 535, "5.7.8", NULL, NULL },
	{ "login bad base64", L, "LOGIN", { "YWxpY2U" },
	    { CH, ERR }, { USER_PROMPT }, 501, "5.5.2", NULL, NULL },
	/* mechanisms and syntax */
	{ "not offered", P, "LOGIN", { NULL },
	    { ERR }, { NULL }, 504, "5.5.4", NULL, NULL },
	{ "unknown", PL, "CRAM-MD5", { NULL },
	    { ERR }, { NULL }, 504, "5.5.4", NULL, NULL },
	{ "prefix of a name", PL, "PLAI", { NULL },
	    { ERR }, { NULL }, 504, "5.5.4", NULL, NULL },
	{ "longer name", PL, "PLAINX", { NULL },
	    { ERR }, { NULL }, 504, "5.5.4", NULL, NULL },
	{ "nothing offered", 0, "PLAIN", { NULL },
	    { ERR }, { NULL }, 504, "5.5.4", NULL, NULL },
	{ "empty", PL, "", { NULL },
	    { ERR }, { NULL }, 501, "5.5.4", NULL, NULL },
	{ "space first", PL, " PLAIN", { NULL },
	    { ERR }, { NULL }, 501, "5.5.4", NULL, NULL },
	{ "trailing space", PL, "PLAIN ", { NULL },
	    { ERR }, { NULL }, 501, "5.5.4", NULL, NULL },
	{ "two spaces", PL, "PLAIN  AGFsaWNlAHNlY3JldA==", { NULL },
	    { ERR }, { NULL }, 501, "5.5.4", NULL, NULL },
	{ "three words", PL, "PLAIN AGFs aWNl", { NULL },
	    { ERR }, { NULL }, 501, "5.5.4", NULL, NULL },
};

static void
test_exchanges(void **state)
{
	struct sasl_exch x;
	struct reason why;
	size_t i, k;
	int st;

	(void)state;
	for (i = 0; i < sizeof(exch_cases) / sizeof(exch_cases[0]); i++) {
		const struct exch_case *c = &exch_cases[i];

		memset(&why, 0, sizeof(why));
		st = sasl_start(&x, c->offered, c->arg, strlen(c->arg), &why);
		for (k = 0; ; k++) {
			if (st != c->step[k])
				fail_msg("%s: step %zu: %d, expected %d (%d %s)",
				    c->name, k, st, c->step[k], why.code,
				    why.text);
			if (st != CH)
				break;
			assert_string_equal(x.challenge, c->challenge[k]);
			assert_non_null(c->resp[k]);
			st = sasl_response(&x, c->resp[k], strlen(c->resp[k]),
			    &why);
		}
		if (st == DONE) {
			assert_string_equal(x.authcid, c->user);
			assert_int_equal(x.authcidlen, strlen(c->user));
			assert_string_equal(x.passwd, c->pass);
			assert_int_equal(x.passwdlen, strlen(c->pass));
			/* no more lines after the end */
			assert_int_equal(sasl_response(&x, "YQ==", 4, &why),
			    ERR);
			assert_int_equal(why.code, 503);
		} else {
			if (why.code != c->code || strcmp(why.dsn, c->dsn) != 0)
				fail_msg("%s: %d %s, expected %d %s", c->name,
				    why.code, why.dsn, c->code, c->dsn);
			/* an error leaves no secret behind */
			assert_int_equal(x.passwd[0], 0);
			assert_int_equal(x.passwdlen, 0);
		}
		sasl_exch_clear(&x);
		assert_int_equal(x.passwd[0], 0);
		assert_int_equal(x.authcid[0], 0);
	}
}

/* RFC 4616 §2: 255 octets at most for authcid and passwd. */
static void
test_plain_limits(void **state)
{
	unsigned char msg[600];
	char arg[1200], b64[1100];
	struct sasl_exch x;
	struct reason why;
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		size_t ulen = i == 0 ? 255 : i == 1 ? 256 : 1;
		size_t plen = i == 2 ? 255 : i == 3 ? 256 : 1;

		n = 0;
		msg[n++] = 0;
		memset(msg + n, 'u', ulen);
		n += ulen;
		msg[n++] = 0;
		memset(msg + n, 'p', plen);
		n += plen;
		assert_true(sasl_b64_encode(b64, sizeof(b64), msg, n) > 0);
		assert_true(snprintf(arg, sizeof(arg), "PLAIN %s", b64) <
		    (int)sizeof(arg));
		if (i == 0 || i == 2) {
			assert_int_equal(sasl_start(&x, P, arg, strlen(arg),
			    &why), DONE);
			assert_int_equal(x.authcidlen, ulen);
			assert_int_equal(x.passwdlen, plen);
		} else {
			assert_int_equal(sasl_start(&x, P, arg, strlen(arg),
			    &why), ERR);
			assert_int_equal(why.code, 535);
		}
		sasl_exch_clear(&x);
	}
}

/* RFC 4954 §4: 12,288 octets with CRLF, for AUTH and the responses. */
static void
test_line_limit(void **state)
{
	struct sasl_exch x;
	struct reason why;
	char *line;
	size_t max = SASL_LINE_MAX - 2;

	(void)state;
	assert_int_equal(sasl_line_too_long(max, &why), 0);
	assert_int_equal(sasl_line_too_long(max + 1, &why), 1);
	assert_int_equal(why.code, 500);
	assert_string_equal(why.dsn, "5.5.6");

	line = malloc(max + 8);
	assert_non_null(line);
	/* "AUTH PLAIN " + base64: one octet over the limit */
	memcpy(line, "PLAIN ", 6);
	memset(line + 6, 'A', max);
	assert_int_equal(sasl_start(&x, P, line, max - 5 + 1, &why), ERR);
	assert_int_equal(why.code, 500);
	/* at the limit it is base64 that fails (too long when decoded) */
	assert_int_equal(sasl_start(&x, P, line, max - 5 - 2, &why), ERR);
	assert_int_equal(why.code, 501);
	/* a response line over the limit */
	assert_int_equal(sasl_start(&x, P, "PLAIN", 5, &why), CH);
	memset(line, 'A', max + 1);
	assert_int_equal(sasl_response(&x, line, max + 1, &why), ERR);
	assert_int_equal(why.code, 500);
	assert_string_equal(why.dsn, "5.5.6");
	free(line);
}

struct b64_case {
	const char	*in;
	int		 ok;
	const char	*out;		/* when ok */
	size_t		 outlen;
};

static const struct b64_case b64_cases[] = {
	{ "", 1, "", 0 },
	{ "YQ==", 1, "a", 1 },
	{ "YWI=", 1, "ab", 2 },
	{ "YWJj", 1, "abc", 3 },
	{ "AGFsaWNlAHNlY3JldA==", 1, "\0alice\0secret", 13 },
	{ "+/+/", 1, "\xfb\xff\xbf", 3 },
	/* malformed */
	{ "Y", 0, NULL, 0 },
	{ "YQ", 0, NULL, 0 },
	{ "YQ=", 0, NULL, 0 },
	{ "YQ===", 0, NULL, 0 },
	{ "====", 0, NULL, 0 },
	{ "Y===", 0, NULL, 0 },
	{ "=YWI", 0, NULL, 0 },
	{ "YW=I", 0, NULL, 0 },
	{ "YQ==YQ==", 0, NULL, 0 },	/* padding in the middle */
	{ "YR==", 0, NULL, 0 },		/* bits under the padding */
	{ "YWJ=", 0, NULL, 0 },
	{ "YW I", 0, NULL, 0 },
	{ "YWJj\r\n", 0, NULL, 0 },
	{ "YW-_", 0, NULL, 0 },		/* base64url is not base64 */
	{ "YWJ\x80", 0, NULL, 0 },
};

static void
test_b64(void **state)
{
	unsigned char out[64];
	char enc[64];
	struct reason why;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const struct b64_case *c = &b64_cases[i];

		memset(&why, 0, sizeof(why));
		rc = sasl_b64_decode(c->in, strlen(c->in), out, sizeof(out),
		    &n, &why);
		if (c->ok) {
			if (rc != 0)
				fail_msg("\"%s\": refused", c->in);
			assert_int_equal(n, c->outlen);
			assert_memory_equal(out, c->out, n);
			/* and back: the one encoding */
			assert_int_equal(sasl_b64_encode(enc, sizeof(enc), out,
			    n), (int)strlen(c->in));
			assert_string_equal(enc, c->in);
		} else {
			if (rc != -1)
				fail_msg("\"%s\": accepted", c->in);
			assert_int_equal(why.code, 501);
			assert_string_equal(why.dsn, "5.5.2");
			assert_int_equal(n, 0);
		}
	}
	/* a decode that does not fit fails and wipes */
	memset(out, 'x', sizeof(out));
	assert_int_equal(sasl_b64_decode("YWJj", 4, out, 2, &n, &why), -1);
	assert_int_equal(out[0], 0);
	/* an encode that does not fit fails and wipes */
	assert_int_equal(sasl_b64_encode(enc, 4, "abc", 3), -1);
	assert_int_equal(enc[0], 0);
	assert_int_equal(sasl_b64_encode(enc, 5, "abc", 3), 4);
}

struct allowed_case {
	unsigned	 sess;
	int		 code;		/* 0: allowed */
	const char	*dsn;
};

static const struct allowed_case allowed_cases[] = {
	{ SASL_SESS_OFFERED | SASL_SESS_TLS, 0, NULL },
	{ SASL_SESS_TLS, 503, "5.5.1" },
	{ 0, 503, "5.5.1" },
	{ SASL_SESS_OFFERED, 538, "5.7.11" },
	{ SASL_SESS_OFFERED | SASL_SESS_AUTHED, 538, "5.7.11" },
	{ SASL_SESS_OFFERED | SASL_SESS_TLS | SASL_SESS_AUTHED, 503, "5.5.1" },
	{ SASL_SESS_OFFERED | SASL_SESS_TLS | SASL_SESS_IN_TXN, 503, "5.5.1" },
};

static void
test_allowed(void **state)
{
	struct reason why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(allowed_cases) / sizeof(allowed_cases[0]);
	    i++) {
		const struct allowed_case *c = &allowed_cases[i];

		memset(&why, 0, sizeof(why));
		if (c->code == 0) {
			assert_int_equal(sasl_auth_allowed(c->sess, &why), 0);
			continue;
		}
		assert_int_equal(sasl_auth_allowed(c->sess, &why), -1);
		assert_int_equal(why.code, c->code);
		assert_string_equal(why.dsn, c->dsn);
	}
}

/* A response without an exchange, and the argument is only read. */
static void
test_misuse(void **state)
{
	struct sasl_exch x;
	struct reason why;
	const char arg[] = "PLAIN AGFsaWNlAHNlY3JldA==";
	char copy[sizeof(arg)];

	(void)state;
	memset(&x, 0, sizeof(x));
	assert_int_equal(sasl_response(&x, "YQ==", 4, &why), ERR);
	assert_int_equal(why.code, 503);
	memcpy(copy, arg, sizeof(arg));
	/* not NUL-terminated where it ends: len decides */
	assert_int_equal(sasl_start(&x, P, copy, 5, &why), CH);
	assert_memory_equal(copy, arg, sizeof(arg));
	sasl_exch_clear(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchanges),
		cmocka_unit_test(test_plain_limits),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
