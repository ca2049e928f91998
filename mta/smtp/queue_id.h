/*
 * queue_id.h: queue identifiers (doc/design.md §7): unguessable and sortable
 * by arrival. An id is 13 lower-case hex digits of the arrival time in
 * microseconds since the epoch followed by 16 lower-case hex digits of
 * randomness: fixed width, so lexical order is arrival order, and always
 * valid for envelope_id_valid(). Linked by the queue binary and
 * tests/unit/test_queue_id.
 */
#ifndef SEALPOST_QUEUE_ID_H
#define SEALPOST_QUEUE_ID_H

#include <stddef.h>
#include <stdint.h>

#define QUEUE_ID_TIME_DIGITS	13
#define QUEUE_ID_RAND_BYTES	8
#define QUEUE_ID_LEN		(QUEUE_ID_TIME_DIGITS + 2 * QUEUE_ID_RAND_BYTES)
/* 13 hex digits hold 52 bits of microseconds: until the year 2112. */
#define QUEUE_ID_USEC_MAX	((UINT64_C(1) << 52) - 1)

/* The generator's memory, so that ids of one process strictly increase. */
struct queue_id_gen {
	uint64_t	last_usec;
};

/*
 * Writes the id for arrival time usec and random bytes rnd into buf
 * (NUL-terminated). Pure. Returns 0, or -1 when size < QUEUE_ID_LEN + 1
 * or usec > QUEUE_ID_USEC_MAX (buf is then "" if size > 0).
 */
int	queue_id_make(char *buf, size_t size, uint64_t usec,
	    const uint8_t rnd[QUEUE_ID_RAND_BYTES]);

/*
 * Writes a fresh id into buf, from CLOCK_REALTIME and arc4random_buf().
 * The time part is forced to be greater than the one of the previous id
 * made with gen (clock steps back, two ids in one microsecond), so the ids
 * of one process strictly increase. gen starts zeroed. Returns 0, or -1
 * as queue_id_make (errno EINVAL) or when the clock cannot be read.
 */
int	queue_id_next(struct queue_id_gen *gen, char *buf, size_t size);

#endif
