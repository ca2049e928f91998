/*
 * queue_list.c: the pure half of `sealpost queue` on the queue's side
 * (see queue_list.h, doc/design.md §3): the query's checks, the filters
 * and the frames of a listing. The query comes from the master, which
 * only relays what a CLI user typed: every field is judged here before
 * use, and a bad one is answered, never fatal. RFC 8460 (failure types).
 * Linked by the queue binary and tests/unit/test_queue_list.
 */
#include "config.h"

#include <string.h>

#include "lib/ipc.h"
#include "queue_list.h"
#include "queue_sched.h"

#define QUEUE_LIST_ITEM_FRAME \
	(sizeof(struct ipc_hdr) + sizeof(struct ipc_queue_item))
#define QUEUE_LIST_RCPT_FRAME \
	(sizeof(struct ipc_hdr) + sizeof(struct ipc_queue_rcpt))

/* Whether field[0..size) holds a NUL, i.e. is a C string. */
static int
queue_list_terminated(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

/* Whether every octet of s is a lower-case letter, a digit or in extra. */
static int
queue_list_chars(const char *s, int digits, const char *extra)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') ||
		    (digits && *s >= '0' && *s <= '9'))
			continue;
		if (strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

static void	queue_list_copy(char *, size_t, const char *, size_t);

/* Fills why (if there is one) and returns -1. */
static int
queue_list_bad(char *why, size_t whysize, const char *text)
{
	if (why != NULL)
		queue_list_copy(why, whysize, text, strlen(text) + 1);
	return -1;
}

int
queue_list_query_check(const struct ipc_queue_query *q, char *why,
    size_t whysize)
{
	int one;

	if (q->op < IPC_QUEUE_LIST || q->op >= IPC_QUEUE_OP_MAX)
		return queue_list_bad(why, whysize, "unknown operation");
	if (!queue_list_terminated(q->id, sizeof(q->id)))
		return queue_list_bad(why, whysize, "id: not terminated");
	if (!queue_list_terminated(q->user, sizeof(q->user)))
		return queue_list_bad(why, whysize, "user: not terminated");
	if (!queue_list_terminated(q->until, sizeof(q->until)))
		return queue_list_bad(why, whysize, "until: not terminated");
	if (q->until[0] != '\0' &&
	    !envelope_id_valid(q->until, strlen(q->until)))
		return queue_list_bad(why, whysize, "until: not a queue id");
	one = q->id[0] != '\0';
	if (one && !envelope_id_valid(q->id, strlen(q->id)))
		return queue_list_bad(why, whysize, "id: not a queue id");
	if (q->op == IPC_QUEUE_LIST && one)
		return queue_list_bad(why, whysize, "a listing takes no id");
	if (q->op == IPC_QUEUE_SHOW && !one)
		return queue_list_bad(why, whysize, "show: which message?");
	if (one)
		return 0;	/* one message: the selection is not read */
	/* an operation on a selection must say which: all, or a filter */
	if (q->op != IPC_QUEUE_LIST && !q->all && q->domain[0] == '\0' &&
	    q->states == 0 && q->failure[0] == '\0' && q->older_than == 0)
		return queue_list_bad(why, whysize,
		    "an operation needs an id, a filter or all");
	if (q->max < 1 || q->max > IPC_QUEUE_BATCH_MAX)
		return queue_list_bad(why, whysize, "batch size out of range");
	if (!queue_list_terminated(q->after, sizeof(q->after)))
		return queue_list_bad(why, whysize, "after: not terminated");
	if (!queue_list_terminated(q->domain, sizeof(q->domain)))
		return queue_list_bad(why, whysize, "domain: not terminated");
	if (!queue_list_terminated(q->failure, sizeof(q->failure)))
		return queue_list_bad(why, whysize, "failure: not terminated");
	if (q->after[0] != '\0' &&
	    !envelope_id_valid(q->after, strlen(q->after)))
		return queue_list_bad(why, whysize, "after: not a queue id");
	if (!queue_list_chars(q->domain, 1, ".-"))
		return queue_list_bad(why, whysize,
		    "domain: only lower-case letters, digits, dots and "
		    "hyphens");
	if ((q->states & ~((UINT32_C(1) << IPC_QUEUE_S_MAX) - 1)) != 0)
		return queue_list_bad(why, whysize, "states: unknown state");
	if (!queue_list_chars(q->failure, 0, "-"))
		return queue_list_bad(why, whysize,
		    "failure: only lower-case letters and hyphens");
	return 0;
}

int
queue_list_waiting(const struct envelope_rcpt *r)
{
	return r->state == ENVELOPE_RCPT_PENDING ||
	    r->state == ENVELOPE_RCPT_DEFERRED;
}

enum ipc_queue_state
queue_list_state(const struct envelope_rcpt *r, int active, int held)
{
	if (active)
		return IPC_QUEUE_S_ACTIVE;
	if (held)
		return IPC_QUEUE_S_HELD;
	return r->state == ENVELOPE_RCPT_DEFERRED ? IPC_QUEUE_S_DEFERRED :
	    IPC_QUEUE_S_PENDING;
}

/* Whether r's domain is domain (lower case, without a trailing dot). */
static int
queue_list_domain_is(const struct envelope_rcpt *r, const char *domain)
{
	char d[QUEUE_SCHED_DOMAIN_MAX + 1];

	/* the runner's own reading of an address (doc/design.md §12) */
	if (queue_sched_domain(r->addr, d, sizeof(d)) == -1)
		return 0;
	return strcmp(d, domain) == 0;
}

int
queue_list_match(const struct ipc_queue_query *q, const struct envelope *e,
    int active)
{
	char domain[sizeof(q->domain)];
	const struct envelope_rcpt *r;
	size_t i, n;
	int any = 0, dom = 0, st = 0, fail = 0;

	/* terminated: queue_list_query_check */
	memcpy(domain, q->domain, sizeof(domain));
	/* "example.net." names example.net, as for the runner */
	if ((n = strlen(domain)) > 1 && domain[n - 1] == '.')
		domain[n - 1] = '\0';
	if (q->older_than != 0 && e->arrival >= q->older_than)
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		if (!queue_list_waiting(r))
			continue;
		any = 1;
		if (domain[0] != '\0' && !dom)
			dom = queue_list_domain_is(r, domain);
		if (q->states != 0 && !st)
			st = (q->states &
			    (UINT32_C(1) << queue_list_state(r, active,
			    e->held != 0))) != 0;
		if (q->failure[0] != '\0' && !fail)
			fail = strcmp(r->failure, q->failure) == 0;
	}
	return any && (domain[0] == '\0' || dom) && (q->states == 0 || st) &&
	    (q->failure[0] == '\0' || fail);
}

uint32_t
queue_list_fit(size_t nwaiting, size_t *bytes)
{
	size_t n = (QUEUE_LIST_BYTES_MAX - QUEUE_LIST_ITEM_FRAME) /
	    QUEUE_LIST_RCPT_FRAME;

	if (nwaiting < n)
		n = nwaiting;
	if (bytes != NULL)
		*bytes = QUEUE_LIST_ITEM_FRAME + n * QUEUE_LIST_RCPT_FRAME;
	return (uint32_t)n;
}

/*
 * Copies the string in src[0..srcsize) (up to its NUL, or all of it) into
 * dst[0..dstsize), always NUL-terminated; a string too long is cut before
 * the UTF-8 character that does not fit whole (addresses and replies may
 * be UTF-8), looking back at most the 3 continuation octets a character
 * has, so that bytes that are no UTF-8 are cut where they must be.
 */
static void
queue_list_copy(char *dst, size_t dstsize, const char *src, size_t srcsize)
{
	size_t n = strnlen(src, srcsize), cut, back;

	if (dstsize == 0)
		return;
	if (n >= dstsize) {
		n = cut = dstsize - 1;
		for (back = 0; back < 3 && n > 0 &&
		    ((unsigned char)src[n] & 0xc0) == 0x80; back++)
			n--;
		/* a lead octet only ends the backing off where it is one */
		if (((unsigned char)src[n] & 0xc0) != 0xc0)
			n = cut;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
queue_list_item(struct ipc_queue_item *it, uint64_t ctl,
    const struct envelope *e, int64_t due, int active, uint32_t nsend)
{
	size_t i, nwaiting = 0;

	memset(it, 0, sizeof(*it));
	it->ctl = ctl;
	queue_list_copy(it->id, sizeof(it->id), e->id, sizeof(e->id));
	it->arrival = e->arrival;
	it->size = e->size;
	queue_list_copy(it->from, sizeof(it->from), e->from, sizeof(e->from));
	/* never (only local recipients wait): none, as the CLI reads 0 */
	it->due = due == QUEUE_SCHED_NEVER ? 0 : due;
	it->active = active != 0;
	it->held = e->held;
	it->requiretls = e->requiretls != 0;
	for (i = 0; i < e->nrcpt; i++)
		if (queue_list_waiting(&e->rcpt[i]))
			nwaiting++;
	if (nsend > nwaiting)
		nsend = (uint32_t)nwaiting;
	it->nrcpt = nsend;
	it->nomitted = (uint32_t)(nwaiting - nsend);
	it->ndone = (uint32_t)(e->nrcpt - nwaiting);
}

void
queue_list_rcpt(struct ipc_queue_rcpt *out, uint64_t ctl,
    const struct envelope_rcpt *r, int active, int held)
{
	memset(out, 0, sizeof(*out));
	out->ctl = ctl;
	queue_list_copy(out->addr, sizeof(out->addr), r->addr,
	    sizeof(r->addr));
	out->state = queue_list_state(r, active, held);
	out->attempts = r->attempts;
	out->last_attempt = r->last_attempt;
	out->next_retry = r->next_retry;
	if (r->error.code == 0)
		return;		/* no error: the strings stay empty */
	out->code = r->error.code;
	queue_list_copy(out->dsn, sizeof(out->dsn), r->error.dsn,
	    sizeof(r->error.dsn));
	queue_list_copy(out->failure, sizeof(out->failure), r->failure,
	    sizeof(r->failure));
	queue_list_copy(out->mx, sizeof(out->mx), r->mx, sizeof(r->mx));
	queue_list_copy(out->text, sizeof(out->text), r->error.text,
	    sizeof(r->error.text));
	queue_list_copy(out->policy, sizeof(out->policy), r->policy,
	    sizeof(r->policy));
}
