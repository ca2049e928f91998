/*
 * local_memory.h: the memory of alias targets already done for a
 * recipient that is still deferred (doc/design.md §12): queue id and
 * target, with the result, so that the next attempt of the message
 * does not deliver them again. It grows with what it holds up to a byte
 * cap, forgets the least recently used entry first when over it, and
 * an entry is refreshed each time a still-deferred recipient needs it
 * again; the caller forgets an entry when every recipient that needed
 * it is finally sent or bounced. Pure: no I/O, no clock.
 * Linked by the local binary and its tests.
 */
#ifndef SEALPOST_LOCAL_MEMORY_H
#define SEALPOST_LOCAL_MEMORY_H

#include <stddef.h>

#include "local.h"

#define LOCAL_MEMORY_CAP	(8 * 1024 * 1024)	/* octets, default */

struct local_memory;	/* opaque */

/*
 * A new, empty memory that holds at most cap octets of entries (0:
 * LOCAL_MEMORY_CAP; an entry counts its struct, id, key and result
 * text). Returns it (free with local_memory_free), or NULL when memory
 * runs out.
 */
struct local_memory	*local_memory_new(size_t cap);
void			 local_memory_free(struct local_memory *);

/*
 * Whether (id, key) is remembered: 1 with *res its result (text and
 * forwarded copied, the rest as remembered) and the entry made the most
 * recently used; 0 when not.
 */
int	local_memory_recall(struct local_memory *, const char *id,
	    const char *key, struct local_result *res);

/*
 * Remembers res for (id, key), replacing what it held and making it the
 * most recently used; then forgets the least recently used entries
 * while the total is over the cap. Returns 0, or -1 when memory runs
 * out or the one entry is larger than the cap (nothing remembered).
 */
int	local_memory_remember(struct local_memory *, const char *id,
	    const char *key, const struct local_result *res);

/* Forgets (id, key) when remembered. */
void	local_memory_forget(struct local_memory *, const char *id,
	    const char *key);

/* Forgets every entry of id. Returns how many. */
size_t	local_memory_forget_id(struct local_memory *, const char *id);

/* How many entries, and how many octets they count. */
size_t	local_memory_count(const struct local_memory *);
size_t	local_memory_bytes(const struct local_memory *);

#endif
