/*
 * local_memory.c: the memory of done alias targets (see local_memory.h,
 * doc/design.md §12): a hash table of (queue id, target) chained per
 * bucket, and a list from the least to the most recently used entry for
 * the cap. One allocation per entry holds its id, key and result text.
 * Pure: no I/O, no clock.
 * Linked by the local binary and its tests.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "local_memory.h"

#define LOCAL_MEMORY_BUCKETS	256	/* at first; doubled as it grows */

struct local_memory_ent {
	struct local_memory_ent	*hnext;		/* same bucket */
	struct local_memory_ent	*older, *newer;
	uint32_t		 hash;
	size_t			 size;		/* what it counts */
	int			 outcome;
	int			 code;
	char			 dsn[16];
	char			 forwarded[32];
	const char		*id, *key, *text;	/* in blob */
	char			 blob[];
};

struct local_memory {
	struct local_memory_ent	**bucket;
	size_t			  nbucket;
	size_t			  count;
	size_t			  bytes;
	size_t			  cap;
	struct local_memory_ent	 *oldest, *newest;
};

/* FNV-1a over id, a NUL and key. */
static uint32_t
local_memory_hash(const char *id, const char *key)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)id; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	h *= 16777619u;
	for (p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

struct local_memory *
local_memory_new(size_t cap)
{
	struct local_memory *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->bucket = calloc(LOCAL_MEMORY_BUCKETS,
	    sizeof(*m->bucket))) == NULL) {
		free(m);
		return NULL;
	}
	m->nbucket = LOCAL_MEMORY_BUCKETS;
	m->cap = cap != 0 ? cap : LOCAL_MEMORY_CAP;
	return m;
}

void
local_memory_free(struct local_memory *m)
{
	struct local_memory_ent *e, *next;

	if (m == NULL)
		return;
	for (e = m->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e);
	}
	free(m->bucket);
	free(m);
}

/* The entry of (id, key), or NULL; *pp its link in the bucket. */
static struct local_memory_ent *
local_memory_find(struct local_memory *m, const char *id, const char *key,
    uint32_t h, struct local_memory_ent ***pp)
{
	struct local_memory_ent **p, *e;

	for (p = &m->bucket[h % m->nbucket]; (e = *p) != NULL;
	    p = &e->hnext)
		if (e->hash == h && strcmp(e->id, id) == 0 &&
		    strcmp(e->key, key) == 0) {
			if (pp != NULL)
				*pp = p;
			return e;
		}
	return NULL;
}

/* Takes e out of the use list. */
static void
local_memory_unlink(struct local_memory *m, struct local_memory_ent *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		m->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	e->older = e->newer = NULL;
}

/* Puts e at the most recently used end. */
static void
local_memory_touch(struct local_memory *m, struct local_memory_ent *e)
{
	if (m->oldest == e || e->older != NULL)	/* in the list */
		local_memory_unlink(m, e);
	e->older = m->newest;
	if (m->newest != NULL)
		m->newest->newer = e;
	else
		m->oldest = e;
	m->newest = e;
}

/* Removes e (linked at *p in its bucket) and frees it. */
static void
local_memory_drop(struct local_memory *m, struct local_memory_ent **p)
{
	struct local_memory_ent *e = *p;

	*p = e->hnext;
	local_memory_unlink(m, e);
	m->count--;
	m->bytes -= e->size;
	free(e);
}

/* Doubles the buckets when entries outnumber them; keeps them else. */
static void
local_memory_grow(struct local_memory *m)
{
	struct local_memory_ent **nb, *e, *next;
	size_t i, n;

	if (m->count < m->nbucket || m->nbucket > SIZE_MAX / 2 /
	    sizeof(*nb))
		return;
	n = m->nbucket * 2;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < m->nbucket; i++)
		for (e = m->bucket[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash % n];
			nb[e->hash % n] = e;
		}
	free(m->bucket);
	m->bucket = nb;
	m->nbucket = n;
}

int
local_memory_recall(struct local_memory *m, const char *id, const char *key,
    struct local_result *res)
{
	struct local_memory_ent *e;

	if ((e = local_memory_find(m, id, key, local_memory_hash(id, key),
	    NULL)) == NULL)
		return 0;
	local_memory_touch(m, e);
	memset(res, 0, sizeof(*res));
	res->outcome = e->outcome;
	res->code = e->code;
	(void)strlcpy(res->dsn, e->dsn, sizeof(res->dsn));
	(void)strlcpy(res->text, e->text, sizeof(res->text));
	(void)strlcpy(res->forwarded, e->forwarded, sizeof(res->forwarded));
	return 1;
}

int
local_memory_remember(struct local_memory *m, const char *id,
    const char *key, const struct local_result *res)
{
	struct local_memory_ent *e;
	uint32_t h = local_memory_hash(id, key);
	size_t il = strlen(id), kl = strlen(key);
	size_t tl = strnlen(res->text, sizeof(res->text) - 1);
	size_t size;

	local_memory_forget(m, id, key);
	if (il > m->cap || kl > m->cap || tl > m->cap)
		return -1;
	size = sizeof(*e) + il + kl + tl + 3;
	if (size > m->cap || (e = calloc(1, size)) == NULL)
		return -1;
	e->hash = h;
	e->size = size;
	e->outcome = res->outcome;
	e->code = res->code;
	(void)strlcpy(e->dsn, res->dsn, sizeof(e->dsn));
	(void)strlcpy(e->forwarded, res->forwarded, sizeof(e->forwarded));
	memcpy(e->blob, id, il + 1);
	memcpy(e->blob + il + 1, key, kl + 1);
	memcpy(e->blob + il + kl + 2, res->text, tl);
	e->blob[il + kl + 2 + tl] = '\0';
	e->id = e->blob;
	e->key = e->blob + il + 1;
	e->text = e->blob + il + kl + 2;
	e->hnext = m->bucket[h % m->nbucket];
	m->bucket[h % m->nbucket] = e;
	local_memory_touch(m, e);
	m->count++;
	m->bytes += size;
	while (m->bytes > m->cap && m->oldest != NULL)
		local_memory_forget(m, m->oldest->id, m->oldest->key);
	local_memory_grow(m);
	return 0;
}

void
local_memory_forget(struct local_memory *m, const char *id, const char *key)
{
	struct local_memory_ent **p;

	if (local_memory_find(m, id, key, local_memory_hash(id, key), &p) !=
	    NULL)
		local_memory_drop(m, p);
}

size_t
local_memory_forget_id(struct local_memory *m, const char *id)
{
	struct local_memory_ent *e, *next;
	size_t n = 0;

	for (e = m->oldest; e != NULL; e = next) {
		next = e->newer;
		if (strcmp(e->id, id) == 0) {
			local_memory_forget(m, e->id, e->key);
			n++;
		}
	}
	return n;
}

size_t
local_memory_count(const struct local_memory *m)
{
	return m->count;
}

size_t
local_memory_bytes(const struct local_memory *m)
{
	return m->bytes;
}
