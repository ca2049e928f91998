/*
 * test_name_match.c: unit tests for policy/name_match.c, the one rule
 * for a DNS name against a reference with an optional leading wildcard
 * label (RFC 8461 §4.1 mx patterns, RFC 6125 §6.4.3 DNS-IDs;
 * doc/design.md §8, §11): one table of pattern, name and result, with
 * lengths that are not the strings' to prove that no NUL is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/name_match.h"

struct nm_case {
	const char	*pattern;
	size_t		 plen;		/* SIZE_MAX: strlen */
	const char	*name;
	size_t		 nlen;		/* SIZE_MAX: strlen */
	int		 rv;
};

#define NM(p, n, r)	{ p, SIZE_MAX, n, SIZE_MAX, r }

static const struct nm_case nm_cases[] = {
	/* exact names */
	NM("mail.example.com", "mail.example.com", 1),
	NM("MAIL.Example.COM", "mail.eXAMPLE.com", 1),
	NM("mail.example.com.", "mail.example.com", 1),
	NM("mail.example.com", "mail.example.com.", 1),
	NM("mail.example.com.", "MAIL.EXAMPLE.COM.", 1),
	NM("localhost", "localhost", 1),		/* one label */
	NM("mail.example.com", "mail.example.com..", 0),
	NM("mail.example.com..", "mail.example.com", 0),
	NM("mail.example.com", "mail.example.co", 0),
	NM("mail.example.co", "mail.example.com", 0),
	NM("mail.example.com", "ail.example.com", 0),
	NM("mail.example.com", "x.mail.example.com", 0),
	NM("x.mail.example.com", "mail.example.com", 0),
	NM("mail.example.com", "mail-example.com", 0),
	NM("a..b", "a..b", 0),				/* empty label */
	NM(".a", ".a", 0),
	NM("a", "", 0),
	NM("", "", 0),
	NM(".", ".", 0),
	NM("", "a", 0),

	/* "*." as the whole leftmost label, one label (§4.1) */
	NM("*.example.com", "mail.example.com", 1),
	NM("*.example.com", "MAIL.EXAMPLE.COM.", 1),
	NM("*.Example.COM.", "mail.example.com", 1),
	NM("*.example.com", "x.example.com", 1),
	NM("*.co.uk", "example.co.uk", 1),
	NM("*.example.com", "example.com", 0),		/* not the parent */
	NM("*.example.com", "a.b.example.com", 0),	/* one label only */
	NM("*.example.com", ".example.com", 0),
	NM("*.example.com", "..example.com", 0),
	NM("*.example.com", "mail.example.org", 0),
	NM("*.example.com", "mail.example.com.evil", 0),
	NM("*.example.com", "*.example.com", 0),	/* '*' in a name */
	NM("mail.example.com", "*.example.com", 0),
	NM("*.example.com", "a*.example.com", 0),

	/* wildcards that match nothing */
	NM("*.com", "example.com", 0),			/* a whole TLD */
	NM("*.", "x.", 0),
	NM("*.", "x", 0),
	NM("*", "x", 0),
	NM("*", "*", 0),
	NM("f*.example.com", "foo.example.com", 0),
	NM("*oo.example.com", "foo.example.com", 0),
	NM("*example.com", "example.com", 0),
	NM("*example.com", "xexample.com", 0),
	NM("a.*.com", "a.b.com", 0),
	NM("mail.example.*", "mail.example.com", 0),
	NM("*.*.example.com", "a.b.example.com", 0),
	NM("**.example.com", "a.example.com", 0),
	NM("*..example.com", "a..example.com", 0),
	NM("*.example..com", "a.example..com", 0),

	/* the lengths, not the NULs, bound both */
	{ "mail.example.comXYZ", 16, "mail.example.com", SIZE_MAX, 1 },
	{ "mail.example.com", SIZE_MAX, "mail.example.com.XYZ", 17, 1 },
	{ "mail.example.com", 9, "mail.exam", SIZE_MAX, 1 },
	{ "*.example.com", 13, "a.example.comm", 13, 1 },
	{ "mail\0example.com", 16, "mail\0example.com", 16, 0 },
	{ "mail.example.com", SIZE_MAX, "mail.example.com\0", 17, 0 },
	{ "mail.example.com", 0, "mail.example.com", 0, 0 },

	/* octets outside ASCII are compared as they are */
	NM("\xc3\xa9.example.com", "\xc3\xa9.example.com", 1),
	NM("\xc3\xa9.example.com", "\xc3\x89.example.com", 0),
	NM("*.example.com", "\xc3\xa9.example.com", 1),
};

static void
test_name_match_table(void **state)
{
	size_t	i, plen, nlen;
	char	*p, *n;
	int	rv;

	(void)state;
	for (i = 0; i < sizeof(nm_cases) / sizeof(nm_cases[0]); i++) {
		const struct nm_case *c = &nm_cases[i];

		plen = c->plen == SIZE_MAX ? strlen(c->pattern) : c->plen;
		nlen = c->nlen == SIZE_MAX ? strlen(c->name) : c->nlen;
		/* exact-size copies: ASan sees a read past either length */
		p = malloc(plen == 0 ? 1 : plen);
		n = malloc(nlen == 0 ? 1 : nlen);
		assert_non_null(p);
		assert_non_null(n);
		memcpy(p, c->pattern, plen);
		memcpy(n, c->name, nlen);
		rv = name_match(p, plen, n, nlen);
		free(p);
		free(n);
		if (rv != c->rv)
			fail_msg("row %zu: \"%s\" (%zu) against \"%s\" (%zu) "
			    "gives %d, expected %d", i, c->pattern, plen,
			    c->name, nlen, rv, c->rv);
	}
}

/* Symmetry where the rule is symmetric: two plain names. */
static void
test_name_match_symmetric(void **state)
{
	static const char *names[] = {
		"mail.example.com", "MAIL.example.com.", "a.b", "a", "a.b.c",
		"mail.example.co", "x.mail.example.com",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			assert_int_equal(name_match(names[i],
			    strlen(names[i]), names[j], strlen(names[j])),
			    name_match(names[j], strlen(names[j]), names[i],
			    strlen(names[i])));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_match_table),
		cmocka_unit_test(test_name_match_symmetric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
