/*
 * master_anvil.c: the master's connection counter. Every smtpin process
 * asks before it greets a client, so smtpin_max_connections and
 * smtpin_max_connections_per_ip hold over all of them, however the kernel
 * spreads the connections. Counts are kept per smtpin process, so that a
 * process that dies gives its counts back at once.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "master.h"

#define ANVIL_BUCKETS	1024

struct master_anvil_ip {
	struct master_anvil_ip	*next;
	int32_t			 family;
	uint8_t			 addr[16];
	unsigned		 total;
	unsigned		 per_child[MASTER_MAX_CHILDREN];
};

static struct master_anvil_ip	*anvil_table[ANVIL_BUCKETS];
static unsigned			 anvil_total;

static size_t
master_anvil_hash(int32_t family, const uint8_t *addr)
{
	size_t h = (size_t)family * 2654435761u, i;

	for (i = 0; i < 16; i++)
		h = h * 31 + addr[i];
	return h % ANVIL_BUCKETS;
}

static struct master_anvil_ip **
master_anvil_find(const struct ipc_anvil *a)
{
	struct master_anvil_ip **pp;

	for (pp = &anvil_table[master_anvil_hash(a->family, a->addr)];
	    *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->family == a->family &&
		    memcmp((*pp)->addr, a->addr, 16) == 0)
			return pp;
	return pp;
}

int
master_anvil_connect(struct master *m, size_t child, const struct ipc_anvil *a)
{
	struct master_anvil_ip **pp, *e;

	if (anvil_total >= m->conf.smtpin_max_connections)
		return IPC_ANVIL_TOO_MANY;
	pp = master_anvil_find(a);
	if ((e = *pp) != NULL && !a->exempt &&
	    e->total >= m->conf.smtpin_max_connections_per_ip)
		return IPC_ANVIL_TOO_MANY_FROM_IP;
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			log_warn("anvil");
			return IPC_ANVIL_TOO_MANY;
		}
		e->family = a->family;
		memcpy(e->addr, a->addr, 16);
		*pp = e;
	}
	e->total++;
	e->per_child[child]++;
	anvil_total++;
	return IPC_ANVIL_OK;
}

static void
master_anvil_drop(struct master_anvil_ip **pp, size_t child, unsigned n)
{
	struct master_anvil_ip *e = *pp;

	e->per_child[child] -= n;
	e->total -= n;
	anvil_total -= n;
	if (e->total == 0) {
		*pp = e->next;
		free(e);
	}
}

void
master_anvil_disconnect(struct master *m, size_t child,
    const struct ipc_anvil *a)
{
	struct master_anvil_ip **pp = master_anvil_find(a);

	(void)m;
	if (*pp == NULL || (*pp)->per_child[child] == 0) {
		log_warnx("anvil: disconnect without connect from %s",
		    m->children[child].title);
		return;
	}
	master_anvil_drop(pp, child, 1);
}

void
master_anvil_forget(struct master *m, size_t child)
{
	struct master_anvil_ip **pp;
	size_t b;

	(void)m;
	for (b = 0; b < ANVIL_BUCKETS; b++) {
		pp = &anvil_table[b];
		while (*pp != NULL) {
			struct master_anvil_ip *e = *pp;
			unsigned n = e->per_child[child];

			if (n > 0 && n == e->total) {
				/* the entry goes away; *pp becomes its next */
				master_anvil_drop(pp, child, n);
				continue;
			}
			if (n > 0)
				master_anvil_drop(pp, child, n);
			pp = &e->next;
		}
	}
}
