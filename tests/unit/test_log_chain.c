/*
 * test_log_chain.c: the log's audit chain (mta/lib/log_chain.c) and the
 * JSON form of records (mta/lib/log_json.c): links against known SHA-256
 * values, one step checked, and JSON escaping table-style with control
 * bytes, quotes, UTF-8 and every kind of invalid UTF-8 (doc/design.md §9).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/log_chain.h"
#include "lib/log_json.h"

static void
test_chain_hash(void **state)
{
	static const struct {
		const char	*in;
		const char	*hex;
	} cases[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		    "7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
		    "61f20015ad" },
	};
	char hex[LOG_CHAIN_HEXLEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(log_chain_hash(cases[i].in,
		    strlen(cases[i].in), hex), 0);
		assert_string_equal(hex, cases[i].hex);
	}
	assert_int_equal(strlen(log_chain_zero), LOG_CHAIN_HEXLEN);
	assert_true(log_chain_valid(log_chain_zero, LOG_CHAIN_HEXLEN));
}

static void
test_chain_step(void **state)
{
	const char *rec = "2026-12-05T12:41:25+0000 smtpin[1]: in id=x seq=2 "
	    "prev=0000000000000000000000000000000000000000000000000000000000"
	    "000000";
	char hex[LOG_CHAIN_HEXLEN + 1], bad[LOG_CHAIN_HEXLEN + 1];

	(void)state;
	assert_int_equal(log_chain_hash(rec, strlen(rec), hex), 0);
	assert_int_equal(log_chain_step(rec, strlen(rec), hex,
	    LOG_CHAIN_HEXLEN), 1);
	/* one byte of the record edited */
	assert_int_equal(log_chain_step(rec, strlen(rec) - 1, hex,
	    LOG_CHAIN_HEXLEN), 0);
	/* a link edited, cut, upper case, not hex */
	memcpy(bad, hex, sizeof(bad));
	bad[0] = bad[0] == '0' ? '1' : '0';
	assert_int_equal(log_chain_step(rec, strlen(rec), bad,
	    LOG_CHAIN_HEXLEN), 0);
	assert_int_equal(log_chain_step(rec, strlen(rec), hex,
	    LOG_CHAIN_HEXLEN - 1), 0);
	memcpy(bad, hex, sizeof(bad));
	bad[5] = 'G';
	assert_int_equal(log_chain_step(rec, strlen(rec), bad,
	    LOG_CHAIN_HEXLEN), 0);
	assert_false(log_chain_valid("ABCDEF", 6));
}

struct json_case {
	const char	*in;
	size_t		 inlen;
	const char	*out;
};

static void
test_json_escape_table(void **state)
{
	static const struct json_case cases[] = {
		{ "plain", 5, "\"plain\"" },
		{ "", 0, "\"\"" },
		{ "two words", 9, "\"two words\"" },
		{ "quote\"back\\", 11, "\"quote\\\"back\\\\\"" },
		{ "a\r\nMAIL FROM:<x>", 16, "\"a\\u000d\\u000aMAIL FROM:<x>\"" },
		{ "nul\0byte", 8, "\"nul\\u0000byte\"" },
		{ "tab\tbell\a", 9, "\"tab\\u0009bell\\u0007\"" },
		{ "esc\x1b[0m", 7, "\"esc\\u001b[0m\"" },
		{ "del\x7f", 4, "\"del\\u007f\"" },
		{ "slash/", 6, "\"slash/\"" },
		/* well-formed UTF-8 passes as it is: 2, 3 and 4 octets */
		{ "\xc3\xa9t\xc3\xa9", 5, "\"\xc3\xa9t\xc3\xa9\"" },
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" },
		{ "\xf0\x9f\x94\x92", 4, "\"\xf0\x9f\x94\x92\"" },
		{ "\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"" },
		{ "\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"" },
		/* invalid UTF-8: each byte that fits no sequence -> \udcXX */
		{ "latin1 \xe9", 8, "\"latin1 \\udce9\"" },
		{ "\x80", 1, "\"\\udc80\"" },
		{ "\xc0\xaf", 2, "\"\\udcc0\\udcaf\"" },	/* overlong / */
		{ "\xc1\xbf", 2, "\"\\udcc1\\udcbf\"" },
		{ "\xe0\x80\xaf", 3, "\"\\udce0\\udc80\\udcaf\"" },
		{ "\xed\xa0\x80", 3, "\"\\udced\\udca0\\udc80\"" }, /* U+D800 */
		{ "\xf4\x90\x80\x80", 4,
		    "\"\\udcf4\\udc90\\udc80\\udc80\"" },	/* > U+10FFFF */
		{ "\xf5\x80", 2, "\"\\udcf5\\udc80\"" },
		{ "\xff\xfe", 2, "\"\\udcff\\udcfe\"" },
		{ "cut \xe2\x82", 6, "\"cut \\udce2\\udc82\"" },
		{ "\xc3" "a", 2, "\"\\udcc3a\"" },
		{ "\xe2\x82\xac\x80", 4, "\"\xe2\x82\xac\\udc80\"" },
	};
	char out[256];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = log_json_escape(out, sizeof(out), cases[i].in,
		    cases[i].inlen);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

static void
test_json_escape_never_raw_control(void **state)
{
	char in[256], out[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	(void)log_json_escape(out, sizeof(out), in, sizeof(in));
	for (i = 0; out[i] != '\0'; i++) {
		assert_true((unsigned char)out[i] >= 0x20);
		assert_true((unsigned char)out[i] != 0x7f);
		assert_true((unsigned char)out[i] < 0x80);	/* all invalid */
	}
}

static void
test_json_escape_truncation(void **state)
{
	char out[9];
	size_t n;

	(void)state;
	/* needs "\u000a\u000a" with quotes = 14; never cut in an escape */
	n = log_json_escape(out, sizeof(out), "\n\n", 2);
	assert_int_equal(n, 14);
	assert_string_equal(out, "\"\\u000a");
	n = log_json_escape(out, 0, "abc", 3);
	assert_int_equal(n, 5);
	/* a UTF-8 sequence is not split either */
	n = log_json_escape(out, 4, "\xe2\x82\xac", 3);
	assert_int_equal(n, 5);
	assert_string_equal(out, "\"");
}

static void
test_json_value_schema(void **state)
{
	static const struct {
		const char	*key, *val, *out;
	} cases[] = {
		{ "port", "25", "25" },
		{ "size", "0", "0" },
		{ "nrcpt", "123456789012345", "123456789012345" },
		{ "nrcpt", "1234567890123456", "\"1234567890123456\"" },
		{ "delay", "007", "\"007\"" },
		{ "delay", "-1", "\"-1\"" },
		{ "delay", "", "\"\"" },
		{ "attempt", "1e3", "\"1e3\"" },
		{ "max_age", "86400", "86400" },
		{ "uid", "1000", "1000" },
		{ "truncated", "1", "1" },
		{ "id", "12345", "\"12345\"" },	/* not a number key */
		{ "helo", "42", "\"42\"" },
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)log_json_value(out, sizeof(out), cases[i].key,
		    cases[i].val, strlen(cases[i].val));
		assert_string_equal(out, cases[i].out);
	}
	assert_true(log_json_numeric_key("seq"));
	assert_true(log_json_numeric_key("pid"));
	assert_false(log_json_numeric_key("prev"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_hash),
		cmocka_unit_test(test_chain_step),
		cmocka_unit_test(test_json_escape_table),
		cmocka_unit_test(test_json_escape_never_raw_control),
		cmocka_unit_test(test_json_escape_truncation),
		cmocka_unit_test(test_json_value_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
