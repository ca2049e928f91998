/*
 * test_args.c: --help and --version next to getopt's short options
 * (mta/lib/args.c), table-style: found before the first operand only,
 * never as the argument of an option that takes one.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/args.h"

static const struct args_case {
	const char	*argv[6];
	enum args_long	 want;
	const char	*bad;
} args_cases[] = {
	{ { "sealpost", "status" }, ARGS_LONG_NONE, NULL },
	{ { "sealpost", "--help" }, ARGS_LONG_HELP, NULL },
	{ { "sealpost", "-f", "x.conf", "--version" }, ARGS_LONG_VERSION,
	    NULL },
	{ { "sealpost", "-u", "dev", "--help", "status" }, ARGS_LONG_HELP,
	    NULL },
	/* the argument of -f, not an option */
	{ { "sealpost", "-f", "--help", "status" }, ARGS_LONG_NONE, NULL },
	/* after the command it is the command's business */
	{ { "sealpost", "status", "--help" }, ARGS_LONG_NONE, NULL },
	{ { "sealpost", "--", "--help" }, ARGS_LONG_NONE, NULL },
	{ { "sealpost", "--verbose" }, ARGS_LONG_BAD, "--verbose" },
	{ { "sealpost", "--helpme" }, ARGS_LONG_BAD, "--helpme" },
	{ { "sealpost", "-" }, ARGS_LONG_NONE, NULL },
	/* -ffile: the argument is attached, the next word is an option */
	{ { "sealpostd", "-fx.conf", "--version" }, ARGS_LONG_VERSION, NULL },
	{ { "sealpostd", "-d", "-n", "--help" }, ARGS_LONG_HELP, NULL },
};

static void
test_table(void **state)
{
	const char *bad;
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];

		for (argc = 0; c->argv[argc] != NULL; argc++)
			;
		if (args_long_option(argc, (char *const *)c->argv,
		    strcmp(c->argv[0], "sealpost") == 0 ? "fu" : "fLu",
		    &bad) != c->want)
			fail_msg("case %zu", i);
		if (c->bad != NULL)
			assert_string_equal(bad, c->bad);
		else
			assert_null(bad);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
