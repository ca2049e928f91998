/*
 * test_cli_policy.c: the pure parts of `sealpost policy`
 * (mta/cli/cli_policy.c), table-style: the command line (the domain,
 * --json, --forget, help, every kind of bad line), the domain check
 * (lower case, the final dot, lengths, labels, address literals,
 * malformed and non-ASCII names), the cleaning of the answer's control
 * bytes and the exit code of each status.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "lib/ipc.h"

/* cli_policy.c's only call outside the pure code under test. */
int
cli_connect(struct cli *cli)
{
	(void)cli;
	fail_msg("cli_connect called by a pure function");
	return -1;
}

static const struct cli_domain_case {
	const char	*in;
	const char	*want;		/* NULL: refused */
} cli_domain_cases[] = {
	{ "example.org", "example.org" },
	{ "Example.ORG", "example.org" },
	{ "example.org.", "example.org" },
	{ "MX-1.example_x.org", "mx-1.example_x.org" },
	{ "localhost", "localhost" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	{ "[192.0.2.1]", "[192.0.2.1]" },
	{ "[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]" },
	{ "", NULL },
	{ ".", NULL },
	{ "..", NULL },
	{ ".example.org", NULL },
	{ "example..org", NULL },
	{ "example.org..", NULL },
	{ "exa mple.org", NULL },
	{ "example.org\n", NULL },
	{ "exa\x1b[2Jmple.org", NULL },
	{ "user@example.org", NULL },
	{ "example.org/x", NULL },
	{ "-example.org", NULL },
	{ "example-.org", NULL },
	{ "example.-org", NULL },
	{ "ex--ample.org", "ex--ample.org" },
	{ "b\xc3\xbc" "cher.example", NULL },
	{ "[]", NULL },
	{ "[", NULL },
	{ "[192.0.2.1", NULL },
	{ "192.0.2.1]", NULL },
	{ "[192.0.2.1]x", NULL },
	{ "[192.0.2.1 ]", NULL },
	{ "[[192.0.2.1]]", NULL },
	{ "[192.0.2.1].", NULL },
};

static void
test_domain(void **state)
{
	char out[IPC_DOMAIN_MAX + 1];
	const char *why;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cli_domain_cases) /
	    sizeof(cli_domain_cases[0]); i++) {
		const struct cli_domain_case *c = &cli_domain_cases[i];

		r = cli_policy_domain(c->in, out, sizeof(out), &why);
		if (c->want == NULL) {
			if (r != -1 || why == NULL)
				fail_msg("case %zu (%s): accepted", i, c->in);
			continue;
		}
		if (r != 0)
			fail_msg("case %zu (%s): refused: %s", i, c->in, why);
		assert_string_equal(out, c->want);
	}
}

/* Lengths: 253 characters in all, 63 per label; the final dot is free. */
static void
test_domain_lengths(void **state)
{
	char in[400], out[IPC_DOMAIN_MAX + 1];
	const char *why;
	size_t i;

	(void)state;
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(in, 'a', sizeof(in));
	in[63] = in[127] = in[191] = '.';
	in[253] = '\0';
	assert_int_equal(cli_policy_domain(in, out, sizeof(out), &why), 0);
	assert_int_equal(strlen(out), 253);
	in[253] = '.';
	in[254] = '\0';
	assert_int_equal(cli_policy_domain(in, out, sizeof(out), &why), 0);
	assert_int_equal(strlen(out), 253);
	in[253] = 'a';
	assert_int_equal(cli_policy_domain(in, out, sizeof(out), &why), -1);
	/* a label of 64 */
	memset(in, 'b', 64);
	(void)strlcpy(in + 64, ".org", sizeof(in) - 64);
	assert_int_equal(cli_policy_domain(in, out, sizeof(out), &why), -1);
	assert_int_equal(cli_policy_domain(in + 1, out, sizeof(out), &why), 0);
	/* far too long, and too long for a small buffer */
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = i % 10 == 9 ? '.' : 'c';
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(cli_policy_domain(in, out, sizeof(out), &why), -1);
	assert_int_equal(cli_policy_domain("example.org", out, 8, &why), -1);
}

static const struct cli_args_case {
	const char		*argv[6];
	enum cli_policy_cmd	 want;
	int			 op;
	const char		*domain;
	const char		*err;	/* part of the message */
} cli_args_cases[] = {
	{ { "policy", "Example.org" }, CLI_POLICY_RUN, IPC_POLICY_SHOW,
	    "example.org", NULL },
	{ { "policy", "--json", "example.org" }, CLI_POLICY_RUN,
	    IPC_POLICY_SHOW_JSON, "example.org", NULL },
	{ { "policy", "example.org", "--json" }, CLI_POLICY_RUN,
	    IPC_POLICY_SHOW_JSON, "example.org", NULL },
	{ { "policy", "--forget", "EXAMPLE.org." }, CLI_POLICY_RUN,
	    IPC_POLICY_FORGET, "example.org", NULL },
	{ { "policy", "--", "example.org" }, CLI_POLICY_RUN,
	    IPC_POLICY_SHOW, "example.org", NULL },
	{ { "policy", "-h" }, CLI_POLICY_HELP, 0, NULL, NULL },
	{ { "policy", "--help" }, CLI_POLICY_HELP, 0, NULL, NULL },
	{ { "policy" }, CLI_POLICY_USAGE, 0, NULL, "no domain" },
	{ { "policy", "--json" }, CLI_POLICY_USAGE, 0, NULL, "no domain" },
	{ { "policy", "--forget" }, CLI_POLICY_USAGE, 0, NULL, "no domain" },
	{ { "policy", "a.org", "b.org" }, CLI_POLICY_USAGE, 0, NULL,
	    "one domain" },
	{ { "policy", "--forget", "a.org", "b.org" }, CLI_POLICY_USAGE, 0,
	    NULL, "one domain" },
	{ { "policy", "--json", "--forget", "a.org" }, CLI_POLICY_USAGE, 0,
	    NULL, "exclude" },
	{ { "policy", "--json", "--json", "a.org" }, CLI_POLICY_USAGE, 0,
	    NULL, "twice" },
	{ { "policy", "--forget", "--forget", "a.org" }, CLI_POLICY_USAGE, 0,
	    NULL, "twice" },
	{ { "policy", "-j", "a.org" }, CLI_POLICY_USAGE, 0, NULL,
	    "unknown option -j" },
	{ { "policy", "--jason", "a.org" }, CLI_POLICY_USAGE, 0, NULL,
	    "unknown option --jason" },
	{ { "policy", "-h", "a.org" }, CLI_POLICY_USAGE, 0, NULL,
	    "unknown option -h" },
	{ { "policy", "--", "--json" }, CLI_POLICY_USAGE, 0, NULL,
	    "not a domain" },
	{ { "policy", "a..org" }, CLI_POLICY_USAGE, 0, NULL, "a..org" },
	{ { "policy", "" }, CLI_POLICY_USAGE, 0, NULL, "empty" },
};

static void
test_args(void **state)
{
	struct ipc_policy_query q;
	char err[128];
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(cli_args_cases) / sizeof(cli_args_cases[0]);
	    i++) {
		const struct cli_args_case *c = &cli_args_cases[i];

		for (argc = 0; c->argv[argc] != NULL; argc++)
			;
		memset(&q, 0xa5, sizeof(q));
		if (cli_policy_args(argc, (char **)c->argv, &q, err,
		    sizeof(err)) != c->want)
			fail_msg("case %zu: %s", i, err);
		if (c->want == CLI_POLICY_USAGE) {
			if (strstr(err, c->err) == NULL)
				fail_msg("case %zu: message %s", i, err);
			continue;
		}
		if (c->want != CLI_POLICY_RUN)
			continue;
		assert_int_equal(q.ctl, 0);
		assert_int_equal(q.op, c->op);
		assert_string_equal(q.domain, c->domain);
	}
}

/* A message about a long argument is cut, never overflows. */
static void
test_args_long_message(void **state)
{
	char arg[1000], err[32], big[300];
	const char *argv[] = { "policy", arg, NULL };
	struct ipc_policy_query q;

	(void)state;
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	assert_int_equal(cli_policy_args(2, (char **)argv, &q, err,
	    sizeof(err)), CLI_POLICY_USAGE);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	/* the reason comes first; the domain is cut in a message */
	assert_int_equal(cli_policy_args(2, (char **)argv, &q, big,
	    sizeof(big)), CLI_POLICY_USAGE);
	assert_non_null(strstr(big, "too long"));
	assert_true(strlen(big) < 200);
	assert_non_null(strstr(big, "xxx..."));
}

static void
test_clean(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "plain text\n", 11, "plain text\n" },
		{ "a\tb\n", 4, "a\tb\n" },
		{ "\x1b[31mred\x1b[0m\n", 13, "?[31mred?[0m\n" },
		{ "cr\r\n", 4, "cr?\n" },
		{ "nul\0x", 5, "nul?x" },
		{ "del\x7f", 4, "del?" },
		{ "{\"a\": \"\xc3\xa9\"}", 11, "{\"a\": \"\xc3\xa9\"}" },
		{ "", 0, "" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, cases[i].in, cases[i].len);
		cli_policy_clean(buf, cases[i].len);
		assert_memory_equal(buf, cases[i].want, cases[i].len);
	}
}

static void
test_exit(void **state)
{
	(void)state;
	assert_int_equal(cli_policy_exit(0), 0);
	assert_int_equal(cli_policy_exit(1), EX_NOHOST);
	assert_int_equal(cli_policy_exit(2), EX_UNAVAILABLE);
	assert_int_equal(cli_policy_exit(3), EX_PROTOCOL);
	assert_int_equal(cli_policy_exit(-1), EX_PROTOCOL);
	assert_int_equal(cli_policy_exit(INT32_MAX), EX_PROTOCOL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_domain_lengths),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_args_long_message),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
