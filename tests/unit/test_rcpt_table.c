/*
 * test_rcpt_table.c: unit tests for mta/smtp/rcpt_table.c, the RCPT-time
 * decision of who exists in the local domains (doc/design.md §6
 * "Recipients"): the set, the local_recipients file format (including
 * a Dovecot passwd-file and malformed lines), and a table of addresses
 * against users, the file, aliases, virtual aliases, extensions and
 * postmaster.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtp/aliases.h"
#include "smtp/rcpt_table.h"

static void
test_set(void **state)
{
	struct rcpt_table *t = rcpt_table_new();
	char big[RCPT_TABLE_NAME_MAX + 2];
	int nomem = 0;

	(void)state;
	assert_non_null(t);
	assert_int_equal(rcpt_table_add(t, "Alice", 5, &nomem), 1);
	assert_int_equal(rcpt_table_add(t, "ALICE", 5, &nomem), 0);
	assert_int_equal(rcpt_table_count(t), 1);
	assert_true(rcpt_table_has(t, "alice", 5));
	assert_true(rcpt_table_has(t, "aLiCe", 5));
	assert_false(rcpt_table_has(t, "alic", 4));
	assert_false(rcpt_table_has(t, "alicex", 6));
	assert_int_equal(rcpt_table_add(t, "", 0, &nomem), -1);
	assert_int_equal(rcpt_table_add(t, "a b", 3, &nomem), -1);
	assert_int_equal(rcpt_table_add(t, "a\0b", 3, &nomem), -1);
	assert_int_equal(rcpt_table_add(t, "a\x7f", 2, &nomem), -1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(rcpt_table_add(t, big, RCPT_TABLE_NAME_MAX + 1,
	    &nomem), -1);
	assert_int_equal(rcpt_table_add(t, big, RCPT_TABLE_NAME_MAX, &nomem),
	    1);
	assert_false(nomem);
	rcpt_table_free(t);
	rcpt_table_free(NULL);
	assert_false(rcpt_table_has(NULL, "a", 1));
}

/* Many names: the set grows and keeps every one. */
static void
test_grow(void **state)
{
	struct rcpt_table *t = rcpt_table_new();
	char name[32];
	int i, n;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = snprintf(name, sizeof(name), "user%d", i);
		assert_int_equal(rcpt_table_add(t, name, (size_t)n, NULL), 1);
	}
	assert_int_equal(rcpt_table_count(t), 20000);
	for (i = 0; i < 20000; i += 97) {
		n = snprintf(name, sizeof(name), "USER%d", i);
		assert_true(rcpt_table_has(t, name, (size_t)n));
	}
	assert_false(rcpt_table_has(t, "user20000", 9));
	rcpt_table_free(t);
}

static void
test_parse(void **state)
{
	static const char text[] =
	    "# the staff\n"
	    "alice\n"
	    "  bob@example.org   trailing words\n"
	    "\n"
	    "\t# indented comment\n"
	    "carol:{BLF-CRYPT}$2y$05$abc:1001:1001::/home/carol::\r\n"
	    "@example.org\n"		/* 7: no local part */
	    "dave@\n"			/* 8: no domain */
	    "a@b@c\n"			/* 9: two @ */
	    ":nothing\n"		/* 10: empty name */
	    "erin";			/* no final newline */
	struct rcpt_table *t = rcpt_table_new();
	size_t bad, first;

	(void)state;
	assert_int_equal(rcpt_table_parse(t, text, sizeof(text) - 1, &bad,
	    &first), 0);
	assert_int_equal(bad, 4);
	assert_int_equal(first, 7);
	assert_true(rcpt_table_has(t, "alice", 5));
	assert_true(rcpt_table_has(t, "bob@example.org", 15));
	assert_true(rcpt_table_has(t, "carol", 5));
	assert_true(rcpt_table_has(t, "erin", 4));
	assert_false(rcpt_table_has(t, "trailing", 8));
	assert_false(rcpt_table_has(t, "# the staff", 11));
	rcpt_table_free(t);

	/* empty text, and only junk */
	t = rcpt_table_new();
	assert_int_equal(rcpt_table_parse(t, "", 0, &bad, &first), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rcpt_table_parse(t, "\x01\x02\n:\n", 5, &bad,
	    &first), 0);
	assert_int_equal(bad, 2);
	assert_int_equal(first, 1);
	assert_int_equal(rcpt_table_count(t), 0);
	rcpt_table_free(t);
}

struct known_case {
	const char	*local;
	const char	*domain;
	int		 virtual;
	enum rcpt_known	 want;
};

static const struct known_case known_cases[] = {
	{ "alice", "example.org", 0, RCPT_USER },
	{ "Alice", "example.org", 0, RCPT_USER },
	{ "alice+lists", "example.org", 0, RCPT_USER },
	{ "alice-lists", "example.org", 0, RCPT_UNKNOWN },
	{ "+alice", "example.org", 0, RCPT_UNKNOWN },
	{ "mallory", "example.org", 0, RCPT_UNKNOWN },
	{ "alic", "example.org", 0, RCPT_UNKNOWN },
	/* the file: bare names in every local domain, addresses in theirs */
	{ "dovecot1", "example.org", 0, RCPT_FILE },
	{ "dovecot1", "example.net", 0, RCPT_FILE },
	{ "only", "example.net", 0, RCPT_FILE },
	{ "only", "example.org", 0, RCPT_UNKNOWN },
	{ "only+x", "example.net", 0, RCPT_FILE },
	/* aliases and postmaster */
	{ "staff", "example.org", 0, RCPT_ALIAS },
	{ "STAFF", "example.org", 0, RCPT_ALIAS },
	{ "staff+x", "example.org", 0, RCPT_ALIAS },
	{ "loop1", "example.org", 0, RCPT_ALIAS },	/* exists, loops */
	{ "postmaster", "example.org", 0, RCPT_ALIAS },
	{ "PostMaster", "example.net", 0, RCPT_ALIAS },
	/* virtual aliases: in a local domain and in a virtual one */
	{ "sales", "example.org", 0, RCPT_ALIAS },
	{ "info", "virt.example", 1, RCPT_ALIAS },
	{ "info+x", "virt.example", 1, RCPT_ALIAS },
	{ "nobody-here", "virt.example", 1, RCPT_UNKNOWN },
	/* a login is not a recipient in a virtual domain */
	{ "alice", "virt.example", 1, RCPT_UNKNOWN },
	{ "anything", "catch.example", 1, RCPT_ALIAS },
	/* malformed local parts: nothing matches them */
	{ "a b", "example.org", 0, RCPT_UNKNOWN },
	{ "", "example.org", 0, RCPT_UNKNOWN },
};

static void
test_known(void **state)
{
	static const char *const domains[] = { "example.org", "example.net" };
	static const char atext[] = "staff: alice, bob\n"
	    "loop1: loop2\nloop2: loop1\n";
	static const char vtext[] = "sales@example.org alice\n"
	    "info@virt.example alice@example.org\n"
	    "@catch.example alice\n";
	struct aliases_parse_opts po;
	struct rcpt_check c;
	struct aliases *la, *va;
	struct rcpt_table *users, *file;
	size_t i, bad, first;
	enum rcpt_known k;

	(void)state;
	memset(&po, 0, sizeof(po));
	po.file = "aliases";
	po.kind = ALIASES_LOCAL;
	assert_non_null(la = aliases_parse(atext, sizeof(atext) - 1, &po));
	po.file = "virtual";
	po.kind = ALIASES_VIRTUAL;
	assert_non_null(va = aliases_parse(vtext, sizeof(vtext) - 1, &po));
	users = rcpt_table_new();
	assert_int_equal(rcpt_table_add(users, "alice", 5, NULL), 1);
	file = rcpt_table_new();
	assert_int_equal(rcpt_table_parse(file, "dovecot1\nonly@example.net\n",
	    26, &bad, &first), 0);
	assert_int_equal(bad, 0);

	memset(&c, 0, sizeof(c));
	c.users = users;
	c.file = file;
	c.aliases.local = la;
	c.aliases.virt = va;
	c.aliases.local_domains = domains;
	c.aliases.nlocal_domains = 2;
	c.aliases.delimiter = '+';
	for (i = 0; i < sizeof(known_cases) / sizeof(known_cases[0]); i++) {
		const struct known_case *kc = &known_cases[i];

		k = rcpt_check_known(&c, kc->local, strlen(kc->local),
		    kc->domain, strlen(kc->domain), kc->virtual);
		if (k != kc->want)
			fail_msg("%s@%s: %s, want %s", kc->local, kc->domain,
			    rcpt_known_name(k), rcpt_known_name(kc->want));
	}

	/* no delimiter: an extension is part of the name */
	c.aliases.delimiter = '\0';
	assert_int_equal(rcpt_check_known(&c, "alice+x", 7, "example.org",
	    11, 0), RCPT_UNKNOWN);
	/* no tables at all: only postmaster exists */
	memset(&c, 0, sizeof(c));
	c.aliases.local_domains = domains;
	c.aliases.nlocal_domains = 2;
	assert_int_equal(rcpt_check_known(&c, "postmaster", 10, "example.org",
	    11, 0), RCPT_ALIAS);
	assert_int_equal(rcpt_check_known(&c, "alice", 5, "example.org", 11,
	    0), RCPT_UNKNOWN);
	c.any = 1;
	assert_int_equal(rcpt_check_known(&c, "whoever", 7, "example.org",
	    11, 0), RCPT_ANY);
	assert_string_equal(rcpt_known_name(RCPT_ANY), "any");
	assert_string_equal(rcpt_known_name((enum rcpt_known)99), "?");
	aliases_free(la);
	aliases_free(va);
	rcpt_table_free(users);
	rcpt_table_free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
