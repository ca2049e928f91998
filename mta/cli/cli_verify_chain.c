/*
 * cli_verify_chain.c: the chains of all processes in a log, for
 * `sealpost audit --verify` (see cli_verify.h, doc/design.md §9): per
 * process (proc and pid) the last record's sequence number, its link and
 * where it was; every record is checked against them and every break is
 * reported once, in words. Pure: no I/O (reports go to a callback).
 * Linked by the sealpost binary, tests/unit/test_cli_verify and
 * tests/fuzz/fuzz_cli_verify.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_verify.h"

#define CLI_VERIFY_WHERE_MAX	1200

struct cli_verify_proc {
	struct cli_verify_proc	*next;		/* in its hash bucket */
	char			 proc[32];
	long			 pid;
	uint64_t		 seq;		/* of the last record */
	char			 link[LOG_CHAIN_HEXLEN + 1]; /* its hash */
	char			 where[CLI_VERIFY_WHERE_MAX];
	int			 gap;		/* records missing before */
	uint64_t		 gap_lo, gap_hi;
	char			 gap_where[CLI_VERIFY_WHERE_MAX];
};

int
cli_verify_init(struct cli_verify *v, cli_verify_report_fn *report, void *arg)
{
	memset(v, 0, sizeof(*v));
	v->ntab = 4096;
	if ((v->tab = calloc(v->ntab, sizeof(*v->tab))) == NULL)
		return -1;
	v->report = report;
	v->arg = arg;
	return 0;
}

/* FNV-1a over proc and pid. */
static size_t
cli_verify_bucket(const struct cli_verify *v, const char *proc, long pid)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; proc[i] != '\0'; i++)
		h = (h ^ (unsigned char)proc[i]) * 1099511628211ULL;
	h = (h ^ (uint64_t)pid) * 1099511628211ULL;
	return (size_t)(h % v->ntab);
}

static void
cli_verify_say(struct cli_verify *v, const struct cli_verify_proc *p,
    const char *where, int is_break, const char *fmt, ...)
    __attribute__((__format__(printf, 5, 6)));

static void
cli_verify_say(struct cli_verify *v, const struct cli_verify_proc *p,
    const char *where, int is_break, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (is_break)
		v->nbreaks++;
	if (v->report != NULL)
		v->report(v->arg, where, p->proc, p->pid, is_break, msg);
}

/* Reports p's open gap as records removed and closes it. */
static void
cli_verify_gap_removed(struct cli_verify *v, struct cli_verify_proc *p)
{
	if (!p->gap)
		return;
	if (p->gap_lo == p->gap_hi)
		cli_verify_say(v, p, p->gap_where, 1, "a record was removed "
		    "before this line (seq=%llu is missing)",
		    (unsigned long long)p->gap_lo);
	else
		cli_verify_say(v, p, p->gap_where, 1, "%llu records were "
		    "removed before this line (seq=%llu to %llu are missing)",
		    (unsigned long long)(p->gap_hi - p->gap_lo + 1),
		    (unsigned long long)p->gap_lo,
		    (unsigned long long)p->gap_hi);
	p->gap = 0;
}

/* Makes r the last record of p. */
static void
cli_verify_take(struct cli_verify_proc *p, const struct cli_verify_rec *r,
    const char *where)
{
	p->seq = r->seq;
	(void)log_chain_hash(r->rec, r->reclen, p->link);
	(void)strlcpy(p->where, where, sizeof(p->where));
}

int
cli_verify_record(struct cli_verify *v, const struct cli_verify_rec *r,
    const char *where)
{
	struct cli_verify_proc *p;
	size_t b = cli_verify_bucket(v, r->proc, r->pid);
	int ok;

	v->nrecords++;
	if (!r->has_prev)
		v->nunchained++;
	for (p = v->tab[b]; p != NULL; p = p->next)
		if (p->pid == r->pid && strcmp(p->proc, r->proc) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -1;
		(void)strlcpy(p->proc, r->proc, sizeof(p->proc));
		p->pid = r->pid;
		p->next = v->tab[b];
		v->tab[b] = p;
		v->nprocs++;
		if (r->op == CLI_VERIFY_OP_START)
			;
		else if (r->op == CLI_VERIFY_OP_REOPEN)
			cli_verify_say(v, p, where, 0, "the chain is picked up "
			    "at a log reopen (seq=%llu); its earlier records "
			    "are in a file not given", (unsigned long long)
			    r->seq);
		else
			cli_verify_say(v, p, where, 1, "the chain starts here "
			    "(seq=%llu) without a start record: the records "
			    "before it are missing", (unsigned long long)
			    r->seq);
		if (r->op == CLI_VERIFY_OP_START && r->has_prev &&
		    strcmp(r->prev, log_chain_zero) != 0)
			cli_verify_say(v, p, where, 1, "a start record whose "
			    "prev is not all zeros: edited");
		cli_verify_take(p, r, where);
		return 0;
	}
	if (r->op == CLI_VERIFY_OP_START) {
		/* the pid came again: a new process, a new chain */
		cli_verify_gap_removed(v, p);
		if (r->has_prev && strcmp(r->prev, log_chain_zero) != 0)
			cli_verify_say(v, p, where, 1, "a start record whose "
			    "prev is not all zeros: edited");
		cli_verify_take(p, r, where);
		return 0;
	}
	if (p->gap) {
		if (r->seq >= p->gap_lo && r->seq <= p->gap_hi) {
			cli_verify_say(v, p, where, 1, "a record out of "
			    "order: seq=%llu belongs before %s (seq=%llu)",
			    (unsigned long long)r->seq, p->gap_where,
			    (unsigned long long)p->gap_hi + 1);
			if (r->seq == p->gap_lo)
				p->gap_lo++;
			else if (r->seq == p->gap_hi)
				p->gap_hi--;
			if (p->gap_lo > p->gap_hi)
				p->gap = 0;
			return 0;
		}
		cli_verify_gap_removed(v, p);
	}
	if (r->seq == p->seq + 1) {
		if (r->has_prev) {
			ok = memcmp(r->prev, p->link, LOG_CHAIN_HEXLEN) == 0;
			if (!ok)
				cli_verify_say(v, p, p->where, 1, "the record "
				    "was edited: the next one, %s, carries "
				    "another link (prev=)", where);
		}
		cli_verify_take(p, r, where);
	} else if (r->seq > p->seq + 1) {
		p->gap = 1;
		p->gap_lo = p->seq + 1;
		p->gap_hi = r->seq - 1;
		(void)strlcpy(p->gap_where, where, sizeof(p->gap_where));
		cli_verify_take(p, r, where);
	} else
		cli_verify_say(v, p, where, 1, "a record out of order or "
		    "repeated: seq=%llu comes after seq=%llu at %s",
		    (unsigned long long)r->seq, (unsigned long long)p->seq,
		    p->where);
	return 0;
}

void
cli_verify_end(struct cli_verify *v)
{
	struct cli_verify_proc *p;
	size_t i;

	for (i = 0; i < v->ntab; i++)
		for (p = v->tab[i]; p != NULL; p = p->next)
			cli_verify_gap_removed(v, p);
}

void
cli_verify_free(struct cli_verify *v)
{
	struct cli_verify_proc *p, *next;
	size_t i;

	for (i = 0; i < v->ntab; i++)
		for (p = v->tab[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(v->tab);
	memset(v, 0, sizeof(*v));
}
