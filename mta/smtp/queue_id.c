/*
 * queue_id.c: queue identifiers, unguessable and sortable by arrival
 * (see queue_id.h, doc/design.md §7). Linked by the queue binary and
 * tests/unit/test_queue_id.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "queue_id.h"

static const char queue_id_hex[] = "0123456789abcdef";

int
queue_id_make(char *buf, size_t size, uint64_t usec,
    const uint8_t rnd[QUEUE_ID_RAND_BYTES])
{
	size_t i;

	if (size > 0)
		buf[0] = '\0';
	if (size < QUEUE_ID_LEN + 1 || usec > QUEUE_ID_USEC_MAX)
		return -1;
	for (i = 0; i < QUEUE_ID_TIME_DIGITS; i++)
		buf[i] = queue_id_hex[(usec >> (4 * (QUEUE_ID_TIME_DIGITS - 1 -
		    i))) & 0xf];
	for (i = 0; i < QUEUE_ID_RAND_BYTES; i++) {
		buf[QUEUE_ID_TIME_DIGITS + 2 * i] = queue_id_hex[rnd[i] >> 4];
		buf[QUEUE_ID_TIME_DIGITS + 2 * i + 1] =
		    queue_id_hex[rnd[i] & 0xf];
	}
	buf[QUEUE_ID_LEN] = '\0';
	return 0;
}

int
queue_id_next(struct queue_id_gen *gen, char *buf, size_t size)
{
	struct timespec ts;
	uint8_t rnd[QUEUE_ID_RAND_BYTES];
	uint64_t usec;

	if (size > 0)
		buf[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	if (ts.tv_sec < 0) {
		errno = EINVAL;
		return -1;
	}
	usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (usec <= gen->last_usec)
		usec = gen->last_usec + 1;
	arc4random_buf(rnd, sizeof(rnd));
	if (queue_id_make(buf, size, usec, rnd) == -1) {
		errno = EINVAL;
		return -1;
	}
	gen->last_usec = usec;
	return 0;
}
