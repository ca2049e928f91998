/*
 * test_log_chain.c: the log's audit chain (mta/lib/log_chain.c) and the
 * JSON form of records (mta/lib/log_json.c): links against known SHA-256
 * values, one step checked, and JSON escaping table-style with control
 * bytes, quotes, UTF-8 and every kind of invalid UTF-8 (doc/design.md §9).
 * And the record stream log.c writes to a file: a reopen record only in
 * a new file, `log op=lost` after failed writes, a cut JSON text marked,
 * a forked child's own chain while another thread logs.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/log.h"
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

/* ---- log.c writing to a file ---- */

#define NL	16
#define LL	(LOG_KV_MAX + 1024)

static char	 lines[NL][LL];

/* Reads path's lines (without newlines) into lines[]. Returns how many. */
static size_t
read_lines(const char *path)
{
	FILE *f;
	size_t n = 0, len;

	assert_non_null(f = fopen(path, "r"));
	while (n < NL && fgets(lines[n], LL, f) != NULL) {
		len = strlen(lines[n]);
		assert_true(len > 0 && lines[n][len - 1] == '\n');
		lines[n][len - 1] = '\0';
		n++;
	}
	assert_int_equal(fclose(f), 0);
	return n;
}

/* Whether line b's prev= (text: at its end) is the link to line a. */
static int
linked(const char *a, const char *b)
{
	size_t bl = strlen(b);

	return bl > LOG_CHAIN_HEXLEN && log_chain_step(a, strlen(a),
	    b + bl - LOG_CHAIN_HEXLEN, LOG_CHAIN_HEXLEN) == 1;
}

/*
 * The text form with the chain: a reopen of the same file (SIGUSR1
 * without rotation, or the master's descriptor of it) writes nothing; a
 * new file begins with `log op=reopen`; records whose writes failed are
 * counted in a `log op=lost n=N` record at the next write that works.
 */
static void
test_log_file_records(void **state)
{
	char dir[] = "/tmp/test_log_chain.XXXXXX", path[256], p1[256];
	char p2[256], pro[256];
	size_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/mail.log", dir);
	(void)snprintf(p1, sizeof(p1), "%s/mail.log.1", dir);
	(void)snprintf(p2, sizeof(p2), "%s/other.log", dir);
	(void)snprintf(pro, sizeof(pro), "%s/readonly.log", dir);
	log_init(LOG_DEST_FILE, "queue", path, 0);
	log_format_set(0, 1);
	log_info("one");
	log_reopen();				/* the same file */
	log_info("two");
	assert_true((fd = open(path, O_WRONLY | O_APPEND)) != -1);
	log_use_fd(fd);				/* the same file again */
	log_info("three");
	assert_int_equal(read_lines(path), 4);
	assert_non_null(strstr(lines[0], " queue["));
	assert_non_null(strstr(lines[0], "]: log op=start format=text "
	    "chain=yes seq=1 prev=0000"));
	assert_non_null(strstr(lines[1], "]: one seq=2 prev="));
	assert_non_null(strstr(lines[2], "]: two seq=3 prev="));
	assert_non_null(strstr(lines[3], "]: three seq=4 prev="));
	for (n = 1; n < 4; n++)
		assert_true(linked(lines[n - 1], lines[n]));

	/* rotated: the new file begins with the reopen record */
	assert_int_equal(rename(path, p1), 0);
	log_reopen();
	log_info("four");
	assert_int_equal(read_lines(p1), 4);
	assert_int_equal(read_lines(path), 2);
	assert_non_null(strstr(lines[0], "]: log op=reopen format=text "
	    "chain=yes seq=5 prev="));
	assert_non_null(strstr(lines[1], "]: four seq=6 prev="));
	assert_true(linked(lines[0], lines[1]));

	/* writes that fail (a descriptor open for reading: EBADF) */
	assert_true((fd = open(pro, O_RDONLY | O_CREAT, 0600)) != -1);
	/*
	 * Its reopen record fails (seq 7); then each record is tried after
	 * a lost record that fails too: 8 (lost), 9, 10 (lost), 11.
	 */
	log_use_fd(fd);
	log_info("lost one");
	log_warnx("lost two");
	assert_true((fd = open(p2, O_WRONLY | O_CREAT | O_APPEND,
	    0600)) != -1);
	log_use_fd(fd);
	log_info("five");
	assert_int_equal(read_lines(p2), 3);
	assert_non_null(strstr(lines[0], "]: log op=lost n=5 seq=12 prev="));
	assert_non_null(strstr(lines[1], "]: log op=reopen format=text "
	    "chain=yes seq=13 prev="));
	assert_non_null(strstr(lines[2], "]: five seq=14 prev="));
	assert_true(linked(lines[0], lines[1]));
	assert_true(linked(lines[1], lines[2]));
	assert_int_equal(read_lines(path), 2);	/* nothing more there */
	(void)unlink(path);
	(void)unlink(p1);
	(void)unlink(p2);
	(void)unlink(pro);
	(void)rmdir(dir);
}

/*
 * The JSON form: a free-form text too long for a record is cut (never
 * inside an escape) and says so with "truncated":1; a short one does
 * not.
 */
static void
test_log_json_text_cut(void **state)
{
	char dir[] = "/tmp/test_log_chain.XXXXXX", path[256], *big;
	size_t n, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/mail.log", dir);
	log_init(LOG_DEST_FILE, "smtpin", path, 0);
	log_format_set(1, 1);
	log_info("short \"text\"");
	/* 2,000 invalid UTF-8 bytes: 12,000 bytes as \udce9 escapes */
	assert_non_null(big = malloc(2001));
	memset(big, 0xe9, 2000);
	big[2000] = '\0';
	log_warnx("%s", big);
	/* more than the message buffer holds before any escaping */
	memset(big, 'a', 2000);
	log_warnx("%s%s%s", big, big, big);
	free(big);
	/* the first line: the reopen into this file, still in text */
	n = read_lines(path);
	assert_int_equal(n, 5);
	assert_non_null(strstr(lines[0], "]: log op=reopen format=text"));
	assert_non_null(strstr(lines[1], "{\"event\":\"log\""));
	assert_non_null(strstr(lines[2], "\"text\":\"short \\\"text\\\"\""
	    ",\"seq\":2,\"prev\":\""));
	assert_null(strstr(lines[2], "truncated"));
	for (i = 3; i < 5; i++) {
		assert_non_null(strstr(lines[i], "\"level\":\"warning\","
		    "\"text\":\""));
		assert_non_null(strstr(lines[i], "\",\"truncated\":1,"
		    "\"seq\":"));
		assert_true(strlen(lines[i]) < LOG_KV_MAX + 640);
		/* "prev":"HEX"} */
		assert_int_equal(log_chain_step(lines[i - 1],
		    strlen(lines[i - 1]), lines[i] + strlen(lines[i]) -
		    LOG_CHAIN_HEXLEN - 2, LOG_CHAIN_HEXLEN), 1);
	}
	/* the escapes are whole: the text ends right after one */
	assert_non_null(strstr(lines[3], "\\udce9\",\"truncated\":1"));
	(void)unlink(path);
	(void)rmdir(dir);
}

static void *
logger(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++)
		log_info("thread %d", i);
	return NULL;
}

/*
 * fork(2) while another thread logs: the lock is held across the fork,
 * so the child never inherits it taken and begins its own chain (start,
 * seq=1) at its first record; the parent's chain goes on.
 */
static void
test_log_fork(void **state)
{
	char dir[] = "/tmp/test_log_chain.XXXXXX", path[256], want[128];
	char start[LL];
	pthread_t t;
	pid_t pid[20];
	int i, status, found;
	FILE *f;
	char *line;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/mail.log", dir);
	log_init(LOG_DEST_FILE, "local", path, 0);
	log_format_set(0, 1);
	assert_int_equal(pthread_create(&t, NULL, logger, NULL), 0);
	for (i = 0; i < 20; i++) {
		pid[i] = fork();
		assert_true(pid[i] != -1);
		if (pid[i] == 0) {
			log_info("child");
			_exit(0);
		}
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	log_info("parent");
	assert_non_null(line = malloc(LL));
	for (i = 0; i < 20; i++) {
		/* each child: its start record, then its line linked to it */
		(void)snprintf(want, sizeof(want), " local[%ld]: ",
		    (long)pid[i]);
		found = 0;
		assert_non_null(f = fopen(path, "r"));
		while (fgets(line, LL, f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strstr(line, want) == NULL)
				continue;
			if (found++ == 0) {
				assert_non_null(strstr(line, "]: log op=start "
				    "format=text chain=yes seq=1 prev=0000"));
				(void)strlcpy(start, line, sizeof(start));
			} else {
				assert_non_null(strstr(line, "]: child seq=2 "
				    "prev="));
				assert_true(linked(start, line));
			}
		}
		assert_int_equal(fclose(f), 0);
		assert_int_equal(found, 2);
	}
	/* the parent's chain went on: 1 start, 2000 lines, then this */
	assert_non_null(f = fopen(path, "r"));
	found = 0;
	while (fgets(line, LL, f) != NULL)
		found += strstr(line, "]: parent seq=2002 prev=") != NULL;
	assert_int_equal(fclose(f), 0);
	assert_int_equal(found, 1);
	free(line);
	(void)unlink(path);
	(void)rmdir(dir);
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
		cmocka_unit_test(test_log_file_records),
		cmocka_unit_test(test_log_json_text_cut),
		cmocka_unit_test(test_log_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
