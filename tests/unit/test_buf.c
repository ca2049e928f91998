/*
 * test_buf.c: the bounded buffer never grows past its maximum.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/buf.h"

static void
test_append_within_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_int_equal(buf_puts(&b, "world"), 0);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "helloworld", 10);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_append_past_max_fails_whole(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345", 5), 0);
	errno = 0;
	assert_int_equal(buf_append(&b, "6789", 4), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(b.len, 5);		/* nothing partial */
	assert_int_equal(buf_append(&b, "678", 3), 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(buf_append(&b, "x", 1), -1);
	assert_true(b.cap <= 8);
	buf_free(&b);
}

static void
test_consume_and_reserve(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "EHLO x\r\nMAIL"), 0);
	buf_consume(&b, 8);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "MAIL", 4);
	p = buf_reserve(&b, 1000);
	assert_non_null(p);
	memset(p, 'a', 1000);
	buf_commit(&b, 1000);
	assert_int_equal(b.len, 1004);
	buf_consume(&b, 5000);
	assert_int_equal(b.len, 0);
	assert_null(buf_reserve(&b, (1 << 20) + 1));
	buf_reset(&b);
	buf_free(&b);
}

static void
test_zero_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "a", 1), -1);
	assert_int_equal(buf_append(&b, "", 0), 0);
	buf_free(&b);
}

/* A small file read whole: up to max, and more is refused. */
static void
test_read_fd(void **state)
{
	static const struct {
		size_t	 len;		/* octets written to the pipe */
		size_t	 max;
		int	 rv;
	} t[] = {
		{ 0, 10, 0 }, { 10, 10, 0 }, { 9, 10, 0 }, { 11, 10, -1 },
		{ 200000, 300000, 0 }, { 200000, 199999, -1 },
	};
	static char data[200000];
	struct buf b;
	size_t i, k;
	int fd[1];

	(void)state;
	for (k = 0; k < sizeof(data); k++)
		data[k] = (char)('a' + k % 26);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[] = "/tmp/test_buf.XXXXXX";

		/* a file, as the callers read one (a pipe would block) */
		assert_true((fd[0] = mkstemp(path)) != -1);
		(void)unlink(path);
		assert_int_equal(write(fd[0], data, t[i].len), (ssize_t)t[i].len);
		assert_int_equal(lseek(fd[0], 0, SEEK_SET), 0);
		buf_init(&b, t[i].max);
		errno = 0;
		assert_int_equal(buf_read_fd(&b, fd[0]), t[i].rv);
		if (t[i].rv == 0) {
			assert_int_equal(b.len, t[i].len);
			assert_true(t[i].len == 0 ||
			    memcmp(b.data, data, t[i].len) == 0);
		} else
			assert_int_equal(errno, ENOBUFS);
		buf_free(&b);
		close(fd[0]);
	}
}

/* A formatted text is appended whole, short or long; the max holds. */
static void
test_printf(void **state)
{
	struct buf b;
	char big[1000];

	(void)state;
	buf_init(&b, 2000);
	assert_int_equal(buf_printf(&b, "%s=%d;", "a", 42), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* longer than the 256-byte fast path: formatted again, whole */
	assert_int_equal(buf_printf(&b, "[%s]", big), 0);
	assert_int_equal(b.len, 5 + 2 + 999);
	assert_memory_equal(b.data, "a=42;[x", 7);
	assert_int_equal(b.data[b.len - 1], ']');
	/* past max: nothing appended, ENOBUFS */
	assert_int_equal(buf_printf(&b, "%s", big), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(b.len, 5 + 2 + 999);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_within_max),
		cmocka_unit_test(test_append_past_max_fails_whole),
		cmocka_unit_test(test_consume_and_reserve),
		cmocka_unit_test(test_zero_max),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
