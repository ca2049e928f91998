/*
 * test_smtpin_sender.c: unit tests for mta/smtpin/smtpin_sender.c: the
 * sender_login_file's syntax (good files, every kind of malformed line,
 * duplicates), the ownership decisions with a file (exact address before
 * @domain, lists of logins, case) and without one (the same-domain rule).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtpin/smtpin_sender.h"

struct check_case {
	const char	*text;
	long		 n;		/* entries, or -1 */
	size_t		 lineno;	/* of the error */
};

static const struct check_case check_cases[] = {
	{ "", 0, 0 },
	{ "# only a comment\n\n", 0, 0 },
	{ "alice@example.org alice\n", 1, 0 },
	{ "alice@example.org\talice, bob\n@example.net  carol\n", 2, 0 },
	{ "a@b.example x,y z\n", 1, 0 },			/* no final LF ok */
	{ "   \n", 0, 0 },				/* blank line */
	{ "alice@example.org\n", -1, 1 },		/* no login */
	{ "alice@example.org ,\n", -1, 1 },		/* separators only */
	{ "# c\nalice alice\n", -1, 2 },		/* no @ */
	{ "alice@ alice\n", -1, 1 },			/* empty domain */
	{ "a@b@c alice\n", -1, 1 },			/* two @ */
	{ "a@.example x\n", -1, 1 },
	{ "a@example. x\n", -1, 1 },
	{ " a@example.org x\n", -1, 1 },		/* leading space */
	{ "a@example.org x\r\n", -1, 1 },		/* CR */
	{ "a@example.org x\x01y\n", -1, 1 },		/* control byte */
	{ "a@example.org x\x7f\n", -1, 1 },
	{ "a@example.org x\nA@EXAMPLE.org y\n", -1, 2 },	/* duplicate */
	{ "@example.org x\n@Example.ORG y\n", -1, 2 },
	{ "@example.org x\na@example.org y\n", 2, 0 },	/* not duplicates */
};

static void
test_check(void **state)
{
	struct reason why;
	size_t i, line;
	long n;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];

		memset(&why, 0, sizeof(why));
		line = 99;
		n = smtpin_sender_check(c->text, strlen(c->text), &line, &why);
		if (n != c->n)
			fail_msg("case %zu: %ld, wanted %ld (%s)", i, n, c->n,
			    why.text);
		if (n == -1) {
			assert_int_equal(line, c->lineno);
			assert_true(why.text[0] != '\0');
		}
	}
}

static void
test_long_line(void **state)
{
	char text[SMTPIN_SENDER_LINE_MAX + 64];
	struct reason why;
	size_t line;

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "x@example.org ", 14);
	text[sizeof(text) - 1] = '\n';
	assert_int_equal(smtpin_sender_check(text, sizeof(text), &line, &why),
	    -1);
	assert_int_equal(line, 1);
}

struct own_case {
	const char	*map;		/* NULL: the same-domain rule */
	const char	*login;
	const char	*sender;
	int		 owned;
};

static const char *const domains[] = { "example.org", "example.net" };

static const char map1[] =
    "# who may send as whom\n"
    "boss@example.org    alice, assistant\n"
    "@example.org        alice\n"
    "@shared.example     bob carol\n"
    "info@example.com    carol\n";

static const struct own_case own_cases[] = {
	/* the same-domain rule */
	{ NULL, "alice", "alice@example.org", 1 },
	{ NULL, "alice", "alice@EXAMPLE.NET", 1 },
	{ NULL, "alice", "Alice@example.org", 1 },
	{ NULL, "alice", "alice@example.com", 0 },	/* not local */
	{ NULL, "alice", "bob@example.org", 0 },
	{ NULL, "alice", "alicex@example.org", 0 },
	{ NULL, "alic", "alice@example.org", 0 },
	{ NULL, "alice@example.com", "alice@example.com", 1 },
	{ NULL, "alice@example.com", "ALICE@example.COM", 1 },
	{ NULL, "alice@example.com", "alice@example.org", 0 },
	{ NULL, "alice@example.com", "bob@example.com", 0 },
	{ NULL, "alice", "no-at-sign", 0 },
	{ NULL, "", "alice@example.org", 0 },
	/* with the file: the exact address first */
	{ map1, "alice", "boss@example.org", 1 },
	{ map1, "assistant", "boss@example.org", 1 },
	{ map1, "bob", "boss@example.org", 0 },
	{ map1, "alice", "BOSS@Example.org", 1 },
	{ map1, "Alice", "boss@example.org", 0 },	/* logins exact */
	/* then @domain */
	{ map1, "alice", "anything@example.org", 1 },
	{ map1, "assistant", "other@example.org", 0 },
	{ map1, "carol", "x@shared.example", 1 },
	{ map1, "bob", "y@SHARED.example", 1 },
	{ map1, "alice", "y@shared.example", 0 },
	{ map1, "carol", "info@example.com", 1 },
	/* named by no line: nobody's, not even by the same-domain rule */
	{ map1, "carol", "carol@example.net", 0 },
	{ map1, "carol", "other@example.com", 0 },
	/* a login that is a prefix of one listed */
	{ map1, "assist", "boss@example.org", 0 },
};

static void
test_owned(void **state)
{
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(own_cases) / sizeof(own_cases[0]); i++) {
		const struct own_case *c = &own_cases[i];

		r = smtpin_sender_owned(c->map, c->map != NULL ?
		    strlen(c->map) : 0, c->login, c->sender, domains, 2);
		if (r != c->owned)
			fail_msg("case %zu: %s as %s: %d, wanted %d", i,
			    c->login, c->sender, r, c->owned);
	}
}

static void
test_owned_malformed_map(void **state)
{
	static const char bad[] = "boss@example.org alice\nbroken\n";

	(void)state;
	/* a map that does not check grants nothing */
	assert_int_equal(smtpin_sender_owned(bad, strlen(bad), "alice",
	    "boss@example.org", domains, 2), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_owned),
		cmocka_unit_test(test_owned_malformed_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
