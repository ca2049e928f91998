/*
 * test_queue_id.c: unit tests for mta/queue_id.c (doc/design.md §7): the exact
 * format and width of queue ids, that lexical order is arrival order, that
 * every id is valid for sealpost-envelope(5) (12..40 letters and digits),
 * refusals, and the generator's strictly increasing ids.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "smtp/envelope.h"
#include "ipc_msg.h"
#include "smtp/queue_id.h"

#define BUFSZ	64

/* The real rule of sealpost-envelope(5): what the queue checks on disk. */
static int
id_valid(const char *id)
{
	return envelope_id_valid(id, strlen(id));
}

/* Only lower-case hex: ids never differ just by case. */
static int
id_lower_hex(const char *id)
{
	for (; *id != '\0'; id++)
		if (!((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'f')))
			return 0;
	return 1;
}

static void
test_width_fits_the_envelope(void **state)
{
	(void)state;
	assert_int_equal(QUEUE_ID_LEN, 29);
	assert_true(QUEUE_ID_LEN >= ENVELOPE_ID_MIN);
	assert_true(QUEUE_ID_LEN <= ENVELOPE_ID_MAX);
	assert_true(QUEUE_ID_LEN <= IPC_Q_ID_MAX);
	/* 52 bits of microseconds reach past the year 2100 */
	assert_true(QUEUE_ID_USEC_MAX / 1000000 / 86400 / 366 > 2100 - 1970);
}

static const struct {
	uint64_t	 usec;
	uint8_t		 rnd[QUEUE_ID_RAND_BYTES];
	size_t		 size;
	int		 rv;
	const char	*want;
} make_cases[] = {
	{ 0, { 0 }, BUFSZ, 0, "00000000000000000000000000000" },
	{ 1, { 0, 0, 0, 0, 0, 0, 0, 1 }, BUFSZ, 0,
	    "00000000000010000000000000001" },
	{ UINT64_C(1700000000123456),
	    { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef }, BUFSZ, 0,
	    "60a24182022400123456789abcdef" },
	{ QUEUE_ID_USEC_MAX,
	    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, BUFSZ, 0,
	    "fffffffffffffffffffffffffffff" },
	{ 0xa, { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 }, BUFSZ, 0,
	    "000000000000afedcba9876543210" },
	/* exactly room for the id and its NUL */
	{ 5, { 0 }, QUEUE_ID_LEN + 1, 0, "00000000000050000000000000000" },
	/* refusals leave "" */
	{ 5, { 0 }, QUEUE_ID_LEN, -1, "" },
	{ 5, { 0 }, 1, -1, "" },
	{ QUEUE_ID_USEC_MAX + 1, { 0 }, BUFSZ, -1, "" },
	{ UINT64_MAX, { 0 }, BUFSZ, -1, "" },
};

static void
test_make_table(void **state)
{
	char buf[BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(make_cases) / sizeof(make_cases[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(queue_id_make(buf, make_cases[i].size,
		    make_cases[i].usec, make_cases[i].rnd), make_cases[i].rv);
		assert_string_equal(buf, make_cases[i].want);
		if (make_cases[i].rv == 0) {
			assert_int_equal(strlen(buf), QUEUE_ID_LEN);
			assert_true(id_valid(buf));
			assert_true(id_lower_hex(buf));
		}
	}
	/* size 0: nothing is written at all */
	buf[0] = 'X';
	assert_int_equal(queue_id_make(buf, 0, 1, make_cases[0].rnd), -1);
	assert_int_equal(buf[0], 'X');
}

/* Earlier arrival sorts first whatever the random part says. */
static const struct {
	uint64_t	a, b;		/* a < b */
} order_cases[] = {
	{ 0, 1 },
	{ 0xf, 0x10 },
	{ 0xff, 0x100 },
	{ 0xfffffffff, 0x1000000000 },
	{ UINT64_C(1700000000123456), UINT64_C(1700000000123457) },
	{ UINT64_C(1699999999999999), UINT64_C(1700000000000000) },
	{ UINT64_C(999999999999999), UINT64_C(1000000000000000) },
	{ QUEUE_ID_USEC_MAX - 1, QUEUE_ID_USEC_MAX },
};

static void
test_order_table(void **state)
{
	static const uint8_t hi[QUEUE_ID_RAND_BYTES] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t lo[QUEUE_ID_RAND_BYTES] = { 0 };
	char a[BUFSZ], b[BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		assert_int_equal(queue_id_make(a, sizeof(a), order_cases[i].a,
		    hi), 0);
		assert_int_equal(queue_id_make(b, sizeof(b), order_cases[i].b,
		    lo), 0);
		assert_true(strcmp(a, b) < 0);
		assert_int_equal(strlen(a), strlen(b));
	}
}

static void
test_order_random(void **state)
{
	uint8_t ra[QUEUE_ID_RAND_BYTES], rb[QUEUE_ID_RAND_BYTES];
	uint64_t x, y;
	char a[BUFSZ], b[BUFSZ];
	int i, c;

	(void)state;
	for (i = 0; i < 20000; i++) {
		arc4random_buf(&x, sizeof(x));
		arc4random_buf(&y, sizeof(y));
		arc4random_buf(ra, sizeof(ra));
		arc4random_buf(rb, sizeof(rb));
		/* small gaps too, where most bugs hide */
		x &= QUEUE_ID_USEC_MAX;
		y = (i & 1) ? (y & QUEUE_ID_USEC_MAX) :
		    (x + (y & 0xff)) & QUEUE_ID_USEC_MAX;
		assert_int_equal(queue_id_make(a, sizeof(a), x, ra), 0);
		assert_int_equal(queue_id_make(b, sizeof(b), y, rb), 0);
		c = strncmp(a, b, QUEUE_ID_TIME_DIGITS);
		if (x < y)
			assert_true(c < 0 && strcmp(a, b) < 0);
		else if (x > y)
			assert_true(c > 0 && strcmp(a, b) > 0);
		else
			assert_int_equal(c, 0);
	}
}

static uint64_t
now_usec(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
time_part(const char *id)
{
	char hex[QUEUE_ID_TIME_DIGITS + 1];

	memcpy(hex, id, QUEUE_ID_TIME_DIGITS);
	hex[QUEUE_ID_TIME_DIGITS] = '\0';
	return strtoull(hex, NULL, 16);
}

#define NGEN	5000

static void
test_next_increases(void **state)
{
	struct queue_id_gen gen;
	char (*ids)[BUFSZ];
	uint64_t before, after;
	size_t i, j, same_rand = 0;

	(void)state;
	assert_non_null(ids = calloc(NGEN, sizeof(*ids)));
	memset(&gen, 0, sizeof(gen));
	before = now_usec();
	for (i = 0; i < NGEN; i++) {
		assert_int_equal(queue_id_next(&gen, ids[i], sizeof(ids[i])),
		    0);
		assert_int_equal(strlen(ids[i]), QUEUE_ID_LEN);
		assert_true(id_valid(ids[i]));
		assert_true(id_lower_hex(ids[i]));
		if (i > 0)	/* strictly, even within one microsecond */
			assert_true(strcmp(ids[i - 1], ids[i]) < 0);
	}
	after = now_usec();
	assert_true(time_part(ids[0]) >= before);
	/* forced steps add at most one microsecond per id */
	assert_true(time_part(ids[NGEN - 1]) <= after + NGEN);
	/* the random parts are random: no repeats among a few thousand */
	for (i = 0; i < NGEN; i += 7)
		for (j = i + 1; j < NGEN; j++)
			if (strcmp(ids[i] + QUEUE_ID_TIME_DIGITS,
			    ids[j] + QUEUE_ID_TIME_DIGITS) == 0)
				same_rand++;
	assert_int_equal(same_rand, 0);
	free(ids);
}

/* The clock stepped back: ids keep increasing from the last one. */
static void
test_next_clock_behind(void **state)
{
	struct queue_id_gen gen;
	char a[BUFSZ], b[BUFSZ];
	uint64_t future = now_usec() + UINT64_C(3600000000);

	(void)state;
	gen.last_usec = future;
	assert_int_equal(queue_id_next(&gen, a, sizeof(a)), 0);
	assert_int_equal(time_part(a), future + 1);
	assert_int_equal(queue_id_next(&gen, b, sizeof(b)), 0);
	assert_int_equal(time_part(b), future + 2);
	assert_true(strcmp(a, b) < 0);
}

static const struct {
	uint64_t	last;
	size_t		size;
} next_fail_cases[] = {
	{ QUEUE_ID_USEC_MAX, BUFSZ },		/* out of digits */
	{ 0, QUEUE_ID_LEN },			/* buffer too small */
};

static void
test_next_failures(void **state)
{
	struct queue_id_gen gen;
	char buf[BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(next_fail_cases) / sizeof(next_fail_cases[0]);
	    i++) {
		gen.last_usec = next_fail_cases[i].last;
		memset(buf, 'X', sizeof(buf));
		errno = 0;
		assert_int_equal(queue_id_next(&gen, buf,
		    next_fail_cases[i].size), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(buf, "");
		/* a failure does not move the generator */
		assert_int_equal(gen.last_usec, next_fail_cases[i].last);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_fits_the_envelope),
		cmocka_unit_test(test_make_table),
		cmocka_unit_test(test_order_table),
		cmocka_unit_test(test_order_random),
		cmocka_unit_test(test_next_increases),
		cmocka_unit_test(test_next_clock_behind),
		cmocka_unit_test(test_next_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
