/*
 * test_log.c: log value escaping and key=value records: no CR, LF, NUL or
 * other control byte from the network may reach a log line raw.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/log.h"

struct esc_case {
	const char	*in;
	size_t		 inlen;
	const char	*out;
};

static void
test_escape_table(void **state)
{
	static const struct esc_case cases[] = {
		{ "plain", 5, "plain" },
		{ "user@example.org", 16, "user@example.org" },
		{ "TLSv1.3", 7, "TLSv1.3" },
		{ "", 0, "\"\"" },
		{ "two words", 9, "\"two words\"" },
		{ "a\r\nMAIL FROM:<x>", 16, "\"a\\x0d\\x0aMAIL FROM:<x>\"" },
		{ "nul\0byte", 8, "\"nul\\x00byte\"" },
		{ "quote\"back\\", 11, "\"quote\\\"back\\\\\"" },
		{ "bell\a", 5, "\"bell\\x07\"" },
		{ "del\x7f", 4, "\"del\\x7f\"" },
		{ "utf8 \xc3\xa9", 7, "\"utf8 \\xc3\\xa9\"" },
		{ "key=value", 9, "\"key=value\"" },
		{ "fake result=sent", 16, "\"fake result=sent\"" },
	};
	char out[256];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = log_escape(out, sizeof(out), cases[i].in, cases[i].inlen);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

static void
test_escape_never_raw_control(void **state)
{
	char in[256], out[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	(void)log_escape(out, sizeof(out), in, sizeof(in));
	for (i = 0; out[i] != '\0'; i++) {
		assert_true((unsigned char)out[i] >= 0x20);
		assert_true((unsigned char)out[i] < 0x7f);
	}
}

static void
test_escape_truncation(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	/* needs "\"\x0a\x0a\"" = 10 bytes; never cut inside an escape */
	n = log_escape(out, sizeof(out), "\n\n", 2);
	assert_int_equal(n, 10);
	assert_string_equal(out, "\"\\x0a");
	n = log_escape(out, 0, "abc", 3);
	assert_int_equal(n, 3);
}

static void
test_kv_record(void **state)
{
	struct log_kv kv;

	(void)state;
	log_kv_init(&kv, "in");
	log_kv_str(&kv, "id", "0193abc");
	log_kv_str(&kv, "helo", "evil\r\nin id=x result=accepted");
	log_kv_add(&kv, "from", "a\0b", 3);
	log_kv_fmt(&kv, "size", "%d", 42);
	log_kv_str(&kv, "reason", NULL);
	assert_string_equal(kv.line, "in id=0193abc "
	    "helo=\"evil\\x0d\\x0ain id=x result=accepted\" "
	    "from=\"a\\x00b\" size=42 reason=\"\"");
	assert_false(kv.truncated);
}

static void
test_kv_overflow_marks_truncated(void **state)
{
	struct log_kv kv;
	char big[3000];
	int i;

	(void)state;
	memset(big, '\n', sizeof(big));
	log_kv_init(&kv, "out");
	for (i = 0; i < 4; i++)
		log_kv_add(&kv, "reply", big, sizeof(big));
	assert_true(kv.truncated);
	assert_true(kv.len < LOG_KV_MAX);
	assert_int_equal(strlen(kv.line), kv.len);
	assert_null(memchr(kv.line, '\n', kv.len));
}

/* log_kv_try adds a key only while room stays free, and never truncates. */
static void
test_kv_try(void **state)
{
	struct log_kv kv;
	char val[200];
	size_t added = 0, len;

	(void)state;
	memset(val, 'a', sizeof(val));
	log_kv_init(&kv, "in");
	while (log_kv_try(&kv, "rcpt", val, sizeof(val), 512) == 0)
		added++;
	assert_true(added > 10);
	assert_false(kv.truncated);
	assert_true(kv.len + 512 <= sizeof(kv.line));
	assert_int_equal(strlen(kv.line), kv.len);
	/* what did not fit left nothing behind; the record goes on */
	len = kv.len;
	log_kv_str(&kv, "result", "accepted");
	assert_false(kv.truncated);
	assert_int_equal(kv.len, len + strlen(" result=accepted"));
	/* a truncated record takes nothing more */
	kv.truncated = 1;
	assert_int_equal(log_kv_try(&kv, "x", "y", 1, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_never_raw_control),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_kv_record),
		cmocka_unit_test(test_kv_overflow_marks_truncated),
		cmocka_unit_test(test_kv_try),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
