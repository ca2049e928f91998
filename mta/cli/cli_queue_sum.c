/*
 * cli_queue_sum.c: --summary of `sealpost queue` (doc/design.md §3): one
 * counter set per destination domain of the waiting recipients
 * (recipients, messages, octets, and the failure kinds: RFC 8460 §4.3
 * result types, else RFC 3463 status codes), sorted by recipients, and
 * printed as a table or one JSON object, like Postfix's qshape but with
 * the most common failure. Pure: no I/O; the CLI's memory is these
 * counters, however large the queue.
 * Unit-tested in tests/unit/test_cli_queue.c. Linked by the sealpost
 * binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "ipc_msg.h"
#include "lib/buf.h"

#define CLI_QUEUE_SUM_KEYS	16		/* failure kinds per domain */

/* ---- --summary ---------------------------------------------------------- */

struct cli_queue_sum_key {
	uint64_t	count;
	char		key[64];	/* failure type or status code */
};

struct cli_queue_sum_dom {
	uint64_t		 rcpts;
	uint64_t		 messages;
	uint64_t		 size;
	uint64_t		 seen;		/* the last message counted */
	struct cli_queue_sum_key *keys;
	size_t			 nkeys;
	char			 name[];	/* lower case, no final dot */
};

struct cli_queue_sum {
	struct cli_queue_tally	  t;
	struct cli_queue_sum_dom **slots;	/* open addressing */
	size_t			  nslots;	/* a power of 2 */
	size_t			  ndoms;
	struct cli_queue_sum_dom **sorted;	/* after cli_queue_sum_sort */
	uint64_t		  size;		/* of the current message */
};

struct cli_queue_sum *
cli_queue_sum_new(void)
{
	struct cli_queue_sum *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->nslots = 64;
	if ((s->slots = calloc(s->nslots, sizeof(*s->slots))) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
cli_queue_sum_free(struct cli_queue_sum *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nslots; i++)
		if (s->slots[i] != NULL) {
			free(s->slots[i]->keys);
			free(s->slots[i]);
		}
	free(s->slots);
	free(s->sorted);
	free(s);
}

int
cli_queue_sum_item(struct cli_queue_sum *s, const struct ipc_queue_item *it)
{
	cli_queue_tally_item(&s->t, it);
	s->size = it->size;
	return 0;
}

/* FNV-1a: a domain's slot. */
static size_t
cli_queue_sum_hash(const char *d, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)d[i]) * UINT64_C(1099511628211);
	return (size_t)h;
}

/* Doubles the table. Returns 0 or -1. */
static int
cli_queue_sum_grow(struct cli_queue_sum *s)
{
	struct cli_queue_sum_dom **slots, *d;
	size_t i, j, n = s->nslots * 2;

	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < s->nslots; i++) {
		if ((d = s->slots[i]) == NULL)
			continue;
		j = cli_queue_sum_hash(d->name, strlen(d->name)) & (n - 1);
		while (slots[j] != NULL)
			j = (j + 1) & (n - 1);
		slots[j] = d;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

/* The entry of domain d[0..len), made when new. NULL: no memory. */
static struct cli_queue_sum_dom *
cli_queue_sum_dom(struct cli_queue_sum *s, const char *d, size_t len)
{
	struct cli_queue_sum_dom *e;
	size_t j;

	if (s->ndoms + 1 > s->nslots / 2 && cli_queue_sum_grow(s) == -1)
		return NULL;
	for (j = cli_queue_sum_hash(d, len) & (s->nslots - 1);
	    (e = s->slots[j]) != NULL; j = (j + 1) & (s->nslots - 1))
		if (strncmp(e->name, d, len) == 0 && e->name[len] == '\0')
			return e;
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->name, d, len);
	e->name[len] = '\0';
	s->slots[j] = e;
	s->ndoms++;
	return e;
}

int
cli_queue_sum_rcpt(struct cli_queue_sum *s, const struct ipc_queue_rcpt *r)
{
	struct cli_queue_sum_dom *e;
	struct cli_queue_sum_key *k;
	const char *at, *key;
	char d[IPC_ADDR_MAX + 1];
	size_t len, i;

	cli_queue_tally_rcpt(&s->t, r);
	/* the queue's destination domain: lower case, no final dot (§12) */
	at = strrchr(r->addr, '@');
	len = strlcpy(d, at != NULL ? at + 1 : "", sizeof(d));
	if (len >= sizeof(d))
		len = sizeof(d) - 1;
	if (len > 0 && d[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	if ((e = cli_queue_sum_dom(s, d, len)) == NULL)
		return -1;
	e->rcpts++;
	if (e->seen != s->t.messages) {		/* once per message */
		e->seen = s->t.messages;
		e->messages++;
		e->size += s->size;
	}
	key = r->failure[0] != '\0' ? r->failure : r->code != 0 ? r->dsn : "";
	if (key[0] == '\0')
		return 0;
	for (i = 0; i < e->nkeys; i++)
		if (strcmp(e->keys[i].key, key) == 0) {
			e->keys[i].count++;
			return 0;
		}
	if (e->nkeys == CLI_QUEUE_SUM_KEYS)
		return 0;		/* a rare kind more: not the top one */
	if ((k = reallocarray(e->keys, e->nkeys + 1, sizeof(*k))) == NULL)
		return -1;
	e->keys = k;
	k = &e->keys[e->nkeys++];
	k->count = 1;
	if (strlcpy(k->key, key, sizeof(k->key)) >= sizeof(k->key))
		k->key[0] = '\0';	/* cannot be: failure[64], dsn[16] */
	return 0;
}

static int
cli_queue_sum_cmp(const void *a, const void *b)
{
	const struct cli_queue_sum_dom *x = *(const struct cli_queue_sum_dom
	    *const *)a, *y = *(const struct cli_queue_sum_dom *const *)b;

	if (x->rcpts != y->rcpts)
		return x->rcpts > y->rcpts ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
cli_queue_sum_sort(struct cli_queue_sum *s, size_t *n)
{
	size_t i, j = 0;

	free(s->sorted);
	if ((s->sorted = reallocarray(NULL, s->ndoms + 1,
	    sizeof(*s->sorted))) == NULL)
		return -1;
	for (i = 0; i < s->nslots; i++)
		if (s->slots[i] != NULL)
			s->sorted[j++] = s->slots[i];
	qsort(s->sorted, j, sizeof(*s->sorted), cli_queue_sum_cmp);
	*n = j;
	return 0;
}

/* The most common failure of e (ties: the first by name), or NULL. */
static const struct cli_queue_sum_key *
cli_queue_sum_top(const struct cli_queue_sum_dom *e)
{
	const struct cli_queue_sum_key *top = NULL;
	size_t i;

	for (i = 0; i < e->nkeys; i++)
		if (top == NULL || e->keys[i].count > top->count ||
		    (e->keys[i].count == top->count &&
		    strcmp(e->keys[i].key, top->key) < 0))
			top = &e->keys[i];
	return top;
}

int
cli_queue_fmt_sum_head(struct buf *b, const struct cli_queue_sum *s,
    int json)
{
	if (json)
		return buf_puts(b, "{\"domains\":[");
	if (s->ndoms == 0)
		return 0;
	return buf_printf(b, "%-32s %7s %7s %12s  %s\n", "DOMAIN",
	    "RCPTS", "MSGS", "OCTETS", "MOST COMMON FAILURE");
}

int
cli_queue_fmt_sum_row(struct buf *b, const struct cli_queue_sum *s,
    size_t i, int json)
{
	const struct cli_queue_sum_dom *e = s->sorted[i];
	const struct cli_queue_sum_key *top = cli_queue_sum_top(e);
	size_t len = strlen(e->name), cols;

	if (json) {
		if (buf_puts(b, i == 0 ? "{\"domain\":" : ",{\"domain\":") ==
		    -1 || cli_queue_json_str(b, e->name, len) == -1 ||
		    buf_printf(b, ",\"recipients\":%llu,"
		    "\"messages\":%llu,\"size\":%llu,\"failure\":",
		    (unsigned long long)e->rcpts,
		    (unsigned long long)e->messages,
		    (unsigned long long)e->size) == -1)
			return -1;
		if (top == NULL)
			return buf_puts(b, "null,\"failure_count\":0}");
		if (cli_queue_json_str(b, top->key, strlen(top->key)) == -1)
			return -1;
		return buf_printf(b, ",\"failure_count\":%llu}",
		    (unsigned long long)top->count);
	}
	if (len == 0) {
		if (buf_puts(b, "(no domain)") == -1)
			return -1;
		cols = strlen("(no domain)");
	} else {
		if (cli_queue_text_put(b, e->name, len, 0) == -1)
			return -1;
		cols = cli_queue_cols(e->name, len);
	}
	/* a name of 32 columns or more pushes the others right */
	if (buf_printf(b, "%*s %7llu %7llu %12llu  ",
	    cols < 32 ? (int)(32 - cols) : 0, "", (unsigned long long)e->rcpts,
	    (unsigned long long)e->messages, (unsigned long long)e->size) == -1)
		return -1;
	if (top == NULL)
		return buf_puts(b, "-\n");
	if (cli_queue_put(b, top->key, 0) == -1)
		return -1;
	return buf_printf(b, " (%llu)\n", (unsigned long long)top->count);
}

int
cli_queue_fmt_sum_tail(struct buf *b, const struct cli_queue_sum *s,
    int json, int filtered)
{
	const struct cli_queue_tally *t = &s->t;
	uint64_t rcpts = t->state[0] + t->state[1] + t->state[2] +
	    t->state[3];

	if (json)
		return buf_printf(b, "],\"messages\":%llu,"
		    "\"recipients\":%llu,\"size\":%llu,\"pending\":%llu,"
		    "\"deferred\":%llu,\"active\":%llu,\"held\":%llu,"
		    "\"omitted\":%llu}\n",
		    (unsigned long long)t->messages, (unsigned long long)rcpts,
		    (unsigned long long)t->size,
		    (unsigned long long)t->state[IPC_QUEUE_S_PENDING],
		    (unsigned long long)t->state[IPC_QUEUE_S_DEFERRED],
		    (unsigned long long)t->state[IPC_QUEUE_S_ACTIVE],
		    (unsigned long long)t->state[IPC_QUEUE_S_HELD],
		    (unsigned long long)t->omitted);
	if (t->messages == 0)
		return cli_queue_fmt_total(b, t, filtered);
	if (buf_printf(b, "-- %zu domain%s, %llu recipient%s in %llu "
	    "message%s, %llu octet%s", s->ndoms, s->ndoms == 1 ? "" : "s",
	    (unsigned long long)rcpts, cli_queue_plural(rcpts),
	    (unsigned long long)t->messages, cli_queue_plural(t->messages),
	    (unsigned long long)t->size, cli_queue_plural(t->size)) == -1)
		return -1;
	if (t->omitted > 0 && buf_printf(b, " (%llu more recipient%s "
	    "not listed)", (unsigned long long)t->omitted,
	    cli_queue_plural(t->omitted)) == -1)
		return -1;
	return buf_puts(b, "\n");
}
