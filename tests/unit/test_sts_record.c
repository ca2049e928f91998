/*
 * test_sts_record.c: unit tests for policy/sts_record.c, the MTA-STS TXT
 * record (RFC 8461 §3.1, erratum 6285; doc/design.md §11): one table of
 * records (valid, not ours, malformed), one of RRsets for the pick, and
 * the bounds of the reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/sts_record.h"

#define ID32	"abcdefghijklmnopqrstuvwxyz012345"
#define NAME33	"abcdefghijklmnopqrstuvwxyz0123456"

struct rec_case {
	const char	*txt;
	size_t		 len;	/* 0: strlen(txt) */
	int		 rv;
	const char	*id;	/* on rv 1 */
};

static const struct rec_case rec_cases[] = {
	/* valid: the RFC's example and the grammar's shapes */
	{ "v=STSv1; id=20160831085700Z;", 0, 1, "20160831085700Z" },
	{ "v=STSv1; id=20160831085700Z", 0, 1, "20160831085700Z" },
	{ "v=STSv1;id=abc", 0, 1, "abc" },
	{ "v=STSv1 ; id=abc", 0, 1, "abc" },		/* *WSP ";" */
	{ "v=STSv1\t;\tid=abc\t;\t", 0, 1, "abc" },
	{ "v=STSv1;  id=abc;  ", 0, 1, "abc" },
	{ "v=STSv1; id=abc; ext=value", 0, 1, "abc" },
	{ "v=STSv1; ext=value; id=abc", 0, 1, "abc" },
	{ "v=STSv1; id=" ID32, 0, 1, ID32 },
	{ "v=STSv1; id=A", 0, 1, "A" },
	{ "v=STSv1; ID=abc; id=x", 0, 1, "x" },		/* ID: extension */
	{ "v=STSv1; v=STSv2; id=abc", 0, 1, "abc" },	/* v: extension */
	{ "v=STSv1; a_b-c.d=!\"#$%&'()*+,-./0123456789:<>?@[]^_`{|}~; "
	    "id=1", 0, 1, "1" },
	{ "v=STSv1; abcdefghijklmnopqrstuvwxyz012345=x; id=1", 0, 1, "1" },
	{ "v=STSv1; 9=x; id=1", 0, 1, "1" },

	/* not ours: discarded (§3.1) */
	{ "", 0, 0, NULL },
	{ "v=spf1 -all", 0, 0, NULL },
	{ " v=STSv1; id=abc", 0, 0, NULL },		/* leading space */
	{ "\tv=STSv1; id=abc", 0, 0, NULL },
	{ "\xef\xbb\xbfv=STSv1; id=abc", 0, 0, NULL },	/* BOM */
	{ "V=STSv1; id=abc", 0, 0, NULL },		/* %s: case */
	{ "v=stsv1; id=abc", 0, 0, NULL },
	{ "v=STSV1; id=abc", 0, 0, NULL },
	{ "v=STSv10; id=abc", 0, 0, NULL },		/* another version */
	{ "v=STSv1x", 0, 0, NULL },
	{ "v=STSv", 0, 0, NULL },
	{ "id=abc; v=STSv1", 0, 0, NULL },		/* v= not first */
	{ "v = STSv1; id=abc", 0, 0, NULL },
	/* a NUL right after it */
	{ "v=STSv1\0; id=abc", sizeof("v=STSv1\0; id=abc") - 1, 0, NULL },

	/* ours, malformed */
	{ "v=STSv1", 0, -1, NULL },			/* no field */
	{ "v=STSv1;", 0, -1, NULL },
	{ "v=STSv1; ", 0, -1, NULL },
	{ "v=STSv1 ", 0, -1, NULL },
	{ "v=STSv1 id=abc", 0, -1, NULL },		/* no ';' */
	{ "v=STSv1; id=abc ", 0, -1, NULL },		/* WSP, no ';' */
	{ "v=STSv1; id=abc\t", 0, -1, NULL },
	{ "v=STSv1;; id=abc", 0, -1, NULL },		/* empty field */
	{ "v=STSv1; id=abc;;", 0, -1, NULL },
	{ "v=STSv1; ; id=abc", 0, -1, NULL },
	{ "v=STSv1; id=", 0, -1, NULL },		/* empty id */
	{ "v=STSv1; id=" ID32 "6", 0, -1, NULL },	/* 33 */
	{ "v=STSv1; id=abc-def", 0, -1, NULL },		/* '-' in the id */
	{ "v=STSv1; id=abc.def", 0, -1, NULL },
	{ "v=STSv1; id=abc_def", 0, -1, NULL },
	{ "v=STSv1; id=abc; id=def", 0, -1, NULL },	/* two ids */
	{ "v=STSv1; id=abc; id=abc", 0, -1, NULL },
	{ "v=STSv1; ID=abc", 0, -1, NULL },		/* no id at all */
	{ "v=STSv1; Id=abc", 0, -1, NULL },
	{ "v=STSv1; ext=val", 0, -1, NULL },
	{ "v=STSv1; id = abc", 0, -1, NULL },
	{ "v=STSv1; id=abc; ext=", 0, -1, NULL },	/* empty value */
	{ "v=STSv1; id=abc; ext=a=b", 0, -1, NULL },	/* '=' in a value */
	{ "v=STSv1; id=abc; =x", 0, -1, NULL },		/* no name */
	{ "v=STSv1; id=abc; _x=1", 0, -1, NULL },	/* name's first */
	{ "v=STSv1; id=abc; -x=1", 0, -1, NULL },
	{ "v=STSv1; id=abc; " NAME33 "=1", 0, -1, NULL },
	{ "v=STSv1; id=abc; x y=2", 0, -1, NULL },
	{ "v=STSv1; id=abc; x", 0, -1, NULL },		/* no '=' */
	/* a NUL inside */
	{ "v=STSv1; id=ab\0c", sizeof("v=STSv1; id=ab\0c") - 1, -1,
	    NULL },
	{ "v=STSv1; id=abc\r\n", 0, -1, NULL },
	{ "v=STSv1; id=abc; x=caf\xc3\xa9", 0, -1, NULL },
	{ "v=STSv1; id=abc; x=\x7f", 0, -1, NULL },
	{ "v=STSv1,id=abc", 0, 0, NULL },	/* ',' is not a delimiter:
						   not "v=STSv1" then ';' */
};

static void
test_parse_table(void **state)
{
	char	id[STS_ID_MAX + 1];
	size_t	i, len;
	int	rv;

	(void)state;
	for (i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		const struct rec_case *c = &rec_cases[i];
		char *copy;

		len = c->len != 0 ? c->len : strlen(c->txt);
		/* an exact-size copy: ASan sees a read past len */
		copy = malloc(len == 0 ? 1 : len);
		assert_non_null(copy);
		memcpy(copy, c->txt, len);
		memset(id, 'X', sizeof(id));
		rv = sts_record_parse(copy, len, id);
		free(copy);
		if (rv != c->rv)
			fail_msg("row %zu \"%s\": %d, expected %d", i, c->txt,
			    rv, c->rv);
		if (c->rv == 1)
			assert_string_equal(id, c->id);
		else
			assert_string_equal(id, "");
	}
}

/* The length bounds the record, whatever follows it. */
static void
test_parse_len(void **state)
{
	static const char txt[] = "v=STSv1; id=abcdef; ext=x";
	char id[STS_ID_MAX + 1];

	(void)state;
	assert_int_equal(sts_record_parse(txt, 15, id), 1);
	assert_string_equal(id, "abc");
	assert_int_equal(sts_record_parse(txt, 8, id), -1);	/* "...;" */
	assert_int_equal(sts_record_parse(txt, 7, id), -1);	/* v= only */
	assert_int_equal(sts_record_parse(txt, 6, id), 0);
	assert_int_equal(sts_record_parse(txt, 0, id), 0);
	assert_int_equal(sts_record_parse(txt, 23, id), -1);	/* "ext=" */
	assert_int_equal(sts_record_parse(txt, sizeof(txt) - 1, id), 1);
	assert_string_equal(id, "abcdef");
}

#define PICK_MAX	4

static void
test_pick_table(void **state)
{
	static const struct {
		size_t		 n;
		const char	*txt[PICK_MAX];
		int		 rv;
		const char	*id;
	} t[] = {
		{ 0, { NULL }, STS_RECORD_NONE, "" },
		{ 1, { "v=spf1 -all" }, STS_RECORD_NONE, "" },
		{ 2, { "", " v=STSv1; id=a" }, STS_RECORD_NONE, "" },
		{ 1, { "v=STSv1; id=a" }, STS_RECORD_OK, "a" },
		{ 3, { "v=spf1 -all", "v=STSv1; id=a1",
		    "google-site-verification=x" }, STS_RECORD_OK, "a1" },
		{ 2, { " v=STSv1; id=a", "v=STSv1; id=b" }, STS_RECORD_OK,
		    "b" },
		{ 2, { "v=STSv1; id=a", "v=STSv1; id=b" },
		    STS_RECORD_MULTIPLE, "" },
		{ 2, { "v=STSv1; id=a", "v=STSv1; id=a" },
		    STS_RECORD_MULTIPLE, "" },
		{ 2, { "v=STSv1; id=a", "v=STSv1" }, STS_RECORD_MULTIPLE,
		    "" },
		{ 3, { "v=STSv1; id=a-b", "x", "v=STSv1; id=c" },
		    STS_RECORD_MULTIPLE, "" },
		{ 1, { "v=STSv1; id=a-b" }, STS_RECORD_INVALID, "" },
		{ 2, { "v=spf1", "v=STSv1;" }, STS_RECORD_INVALID, "" },
		{ 2, { "v=STSv10; id=b", "v=STSv1; id=c" }, STS_RECORD_OK,
		    "c" },
	};
	char	id[STS_ID_MAX + 1];
	size_t	i, k, len[PICK_MAX];
	int	rv;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (k = 0; k < t[i].n; k++)
			len[k] = strlen(t[i].txt[k]);
		memset(id, 'X', sizeof(id));
		rv = sts_record_pick(t[i].txt, len, t[i].n, id);
		if (rv != t[i].rv)
			fail_msg("row %zu: %s, expected %s", i,
			    sts_record_status_name(rv),
			    sts_record_status_name(t[i].rv));
		assert_string_equal(id, t[i].id);
	}
}

static void
test_status_name(void **state)
{
	(void)state;
	assert_string_equal(sts_record_status_name(STS_RECORD_OK), "ok");
	assert_string_equal(sts_record_status_name(STS_RECORD_NONE), "none");
	assert_string_equal(sts_record_status_name(STS_RECORD_MULTIPLE),
	    "multiple");
	assert_string_equal(sts_record_status_name(STS_RECORD_INVALID),
	    "invalid");
	assert_string_equal(sts_record_status_name(42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_len),
		cmocka_unit_test(test_pick_table),
		cmocka_unit_test(test_status_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
