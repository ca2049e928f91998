/*
 * cli_verify_chain.c: the chains of all processes in a log, for
 * `sealpost audit --verify` (see cli_verify.h, doc/design.md §9): per
 * process (proc and pid) the last record's sequence number, its link and
 * where it was (a file number and a line number, made words only when a
 * report is printed); every record is checked against them and every
 * break is reported once, in words. Memory: one small entry per (proc,
 * pid) in a hash table that grows. Pure: no I/O (reports go to a
 * callback). Linked by the sealpost binary, tests/unit/test_cli_verify
 * and tests/fuzz/fuzz_cli_verify.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_verify.h"

#define CLI_VERIFY_TAB_MIN	256	/* buckets at first */
#define CLI_VERIFY_LINKLEN	(LOG_CHAIN_HEXLEN / 2)

struct cli_verify_proc {
	struct cli_verify_proc	*next;		/* in its hash bucket */
	uint64_t		 seq;		/* of the last record */
	uint64_t		 line;		/* where it was */
	uint64_t		 gap_lo, gap_hi; /* records missing before */
	uint64_t		 gap_line;	/* the record after the gap */
	long			 pid;
	uint32_t		 file, gap_file;
	unsigned char		 link[CLI_VERIFY_LINKLEN]; /* its hash */
	char			 proc[32];
	unsigned char		 gap;		/* gap_lo..gap_hi is open */
	unsigned char		 chained;	/* every record has prev= */
};

int
cli_verify_init(struct cli_verify *v, cli_verify_report_fn *report, void *arg)
{
	memset(v, 0, sizeof(*v));
	v->ntab = CLI_VERIFY_TAB_MIN;
	if ((v->tab = calloc(v->ntab, sizeof(*v->tab))) == NULL)
		return -1;
	v->bytes = v->ntab * sizeof(*v->tab);
	v->report = report;
	v->arg = arg;
	return 0;
}

int
cli_verify_add_file(struct cli_verify *v, const char *name)
{
	char **files, *copy;

	if (v->nfiles >= 0x7fffffff)
		return -1;
	if ((copy = strdup(name)) == NULL)
		return -1;
	files = reallocarray(v->files, v->nfiles + 1, sizeof(*files));
	if (files == NULL) {
		free(copy);
		return -1;
	}
	v->files = files;
	v->files[v->nfiles] = copy;
	v->bytes += sizeof(*files) + strlen(copy) + 1;
	return (int)v->nfiles++;
}

/* FNV-1a over proc and pid. */
static size_t
cli_verify_hash(const char *proc, long pid)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; proc[i] != '\0'; i++)
		h = (h ^ (unsigned char)proc[i]) * 1099511628211ULL;
	h = (h ^ (uint64_t)pid) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* Doubles the hash table; on failure it stays as it is (only slower). */
static void
cli_verify_grow(struct cli_verify *v)
{
	struct cli_verify_proc **tab, *p, *next;
	size_t n = v->ntab * 2, i, b;

	if (n < v->ntab || (tab = calloc(n, sizeof(*tab))) == NULL)
		return;
	for (i = 0; i < v->ntab; i++)
		for (p = v->tab[i]; p != NULL; p = next) {
			next = p->next;
			b = cli_verify_hash(p->proc, p->pid) & (n - 1);
			p->next = tab[b];
			tab[b] = p;
		}
	free(v->tab);
	v->bytes += (n - v->ntab) * sizeof(*tab);
	v->tab = tab;
	v->ntab = n;
}

/* The file name of number file, for a report. */
static const char *
cli_verify_name(const struct cli_verify *v, uint32_t file)
{
	return file < v->nfiles ? v->files[file] : "?";
}

static void
cli_verify_say(struct cli_verify *v, const struct cli_verify_proc *p,
    uint32_t file, uint64_t line, enum cli_verify_kind kind,
    const char *fmt, ...) __attribute__((__format__(printf, 6, 7)));

static void
cli_verify_say(struct cli_verify *v, const struct cli_verify_proc *p,
    uint32_t file, uint64_t line, enum cli_verify_kind kind,
    const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (kind == CLI_VERIFY_BREAK)
		v->nbreaks++;
	if (v->report != NULL)
		v->report(v->arg, cli_verify_name(v, file), line, p->proc,
		    p->pid, kind, msg);
}

/* Reports p's open gap as records removed and closes it. */
static void
cli_verify_gap_removed(struct cli_verify *v, struct cli_verify_proc *p)
{
	if (!p->gap)
		return;
	if (p->gap_lo == p->gap_hi)
		cli_verify_say(v, p, p->gap_file, p->gap_line,
		    CLI_VERIFY_BREAK, "a record was removed before this line "
		    "(seq=%llu is missing)", (unsigned long long)p->gap_lo);
	else
		cli_verify_say(v, p, p->gap_file, p->gap_line,
		    CLI_VERIFY_BREAK, "%llu records were removed before this "
		    "line (seq=%llu to %llu are missing)",
		    (unsigned long long)(p->gap_hi - p->gap_lo + 1),
		    (unsigned long long)p->gap_lo,
		    (unsigned long long)p->gap_hi);
	p->gap = 0;
}

/* hex (64 valid lower-case digits) into CLI_VERIFY_LINKLEN bytes. */
static void
cli_verify_unhex(const char *hex, unsigned char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < CLI_VERIFY_LINKLEN; i++) {
		hi = hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' +
		    10;
		lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' :
		    hex[2 * i + 1] - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* Makes r the last record of p. */
static void
cli_verify_take(struct cli_verify_proc *p, const struct cli_verify_rec *r,
    uint32_t file, uint64_t line)
{
	char hex[LOG_CHAIN_HEXLEN + 1];

	p->seq = r->seq;
	(void)log_chain_hash(r->rec, r->reclen, hex);
	cli_verify_unhex(hex, p->link);
	p->file = file;
	p->line = line;
}

/*
 * Reports a record of a chained process that has no prev=; counts a
 * record without prev= of a process that is not chained.
 */
static void
cli_verify_need_prev(struct cli_verify *v, struct cli_verify_proc *p,
    const struct cli_verify_rec *r, uint32_t file, uint64_t line)
{
	if (r->has_prev)
		return;
	if (p->chained)
		cli_verify_say(v, p, file, line, CLI_VERIFY_BREAK, "prev= "
		    "missing on a chained process (seq=%llu): the link was "
		    "removed", (unsigned long long)r->seq);
	else
		v->nunchained++;
}

/* A record of a log op=lost n=N that closes exactly the gap before it. */
static int
cli_verify_is_lost(const struct cli_verify_rec *r, uint64_t missing)
{
	return r->op == CLI_VERIFY_OP_LOST && missing > 0 &&
	    r->lost == missing;
}

static void
cli_verify_say_lost(struct cli_verify *v, struct cli_verify_proc *p,
    uint32_t file, uint64_t line, uint64_t lo, uint64_t hi)
{
	v->nlost += hi - lo + 1;
	cli_verify_say(v, p, file, line, CLI_VERIFY_LOST, "%llu record%s lost "
	    "(write failed) before this line (seq=%llu to %llu)",
	    (unsigned long long)(hi - lo + 1), hi == lo ? "" : "s",
	    (unsigned long long)lo, (unsigned long long)hi);
}

/* The first record of a chain: p is new, or was reset for a new start. */
static void
cli_verify_first(struct cli_verify *v, struct cli_verify_proc *p,
    const struct cli_verify_rec *r, uint32_t file, uint64_t line)
{
	v->nprocs++;
	p->chained = r->has_prev || (r->chain_yes &&
	    (r->op == CLI_VERIFY_OP_START || r->op == CLI_VERIFY_OP_REOPEN));
	switch (r->op) {
	case CLI_VERIFY_OP_START:
		if (r->seq != 1)
			cli_verify_say(v, p, file, line, CLI_VERIFY_BREAK, "a "
			    "start record with seq=%llu, not 1: edited",
			    (unsigned long long)r->seq);
		if (r->has_prev && strcmp(r->prev, log_chain_zero) != 0)
			cli_verify_say(v, p, file, line, CLI_VERIFY_BREAK, "a "
			    "start record whose prev is not all zeros: edited");
		break;
	case CLI_VERIFY_OP_REOPEN:
		if (file == 0)
			cli_verify_say(v, p, file, line, CLI_VERIFY_NOTE, "the "
			    "chain is picked up at a log reopen (seq=%llu); "
			    "its earlier records are in a file not given",
			    (unsigned long long)r->seq);
		else
			cli_verify_say(v, p, file, line, CLI_VERIFY_BREAK,
			    "the chain starts at a log reopen (seq=%llu) in "
			    "a file after the first: its earlier records are "
			    "missing", (unsigned long long)r->seq);
		break;
	case CLI_VERIFY_OP_LOST:
		if (cli_verify_is_lost(r, r->seq - 1)) {
			cli_verify_say_lost(v, p, file, line, 1, r->seq - 1);
			break;
		}
		/* FALLTHROUGH */
	default:
		cli_verify_say(v, p, file, line, CLI_VERIFY_BREAK, "the chain "
		    "starts here (seq=%llu) without a start record: the "
		    "records before it are missing", (unsigned long long)
		    r->seq);
		break;
	}
	cli_verify_need_prev(v, p, r, file, line);
	cli_verify_take(p, r, file, line);
}

int
cli_verify_record(struct cli_verify *v, const struct cli_verify_rec *r,
    size_t file, uint64_t line)
{
	struct cli_verify_proc *p, keep;
	unsigned char link[CLI_VERIFY_LINKLEN];
	uint32_t f = file > 0x7fffffff ? 0x7fffffff : (uint32_t)file;
	size_t b;

	v->nrecords++;
	b = cli_verify_hash(r->proc, r->pid) & (v->ntab - 1);
	for (p = v->tab[b]; p != NULL; p = p->next)
		if (p->pid == r->pid && strcmp(p->proc, r->proc) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -1;
		v->bytes += sizeof(*p);
		(void)strlcpy(p->proc, r->proc, sizeof(p->proc));
		p->pid = r->pid;
		p->next = v->tab[b];
		v->tab[b] = p;
		if (++v->nentries > v->ntab)
			cli_verify_grow(v);
		cli_verify_first(v, p, r, f, line);
		return 0;
	}
	if (r->op == CLI_VERIFY_OP_START) {
		/*
		 * The pid came again: a new process, a new chain. What is
		 * left of the old one is reported, then dropped.
		 */
		cli_verify_gap_removed(v, p);
		keep = *p;
		memset(p, 0, sizeof(*p));
		p->next = keep.next;
		memcpy(p->proc, keep.proc, sizeof(p->proc));
		p->pid = keep.pid;
		cli_verify_first(v, p, r, f, line);
		return 0;
	}
	if (r->has_prev || (r->op == CLI_VERIFY_OP_REOPEN && r->chain_yes))
		p->chained = 1;
	cli_verify_need_prev(v, p, r, f, line);
	if (p->gap) {
		if (r->seq >= p->gap_lo && r->seq <= p->gap_hi) {
			cli_verify_say(v, p, f, line, CLI_VERIFY_BREAK, "a "
			    "record out of order: seq=%llu belongs before "
			    "%s:%llu (seq=%llu)", (unsigned long long)r->seq,
			    cli_verify_name(v, p->gap_file),
			    (unsigned long long)p->gap_line,
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
			cli_verify_unhex(r->prev, link);
			if (memcmp(link, p->link, sizeof(link)) != 0)
				cli_verify_say(v, p, p->file, p->line,
				    CLI_VERIFY_BREAK, "the record was edited: "
				    "the next one, %s:%llu, carries another "
				    "link (prev=)", cli_verify_name(v, f),
				    (unsigned long long)line);
		}
		cli_verify_take(p, r, f, line);
	} else if (r->seq > p->seq + 1) {
		if (cli_verify_is_lost(r, r->seq - p->seq - 1))
			cli_verify_say_lost(v, p, f, line, p->seq + 1,
			    r->seq - 1);
		else {
			p->gap = 1;
			p->gap_lo = p->seq + 1;
			p->gap_hi = r->seq - 1;
			p->gap_file = f;
			p->gap_line = line;
		}
		cli_verify_take(p, r, f, line);
	} else
		cli_verify_say(v, p, f, line, CLI_VERIFY_BREAK, "a record out "
		    "of order or repeated: seq=%llu comes after seq=%llu at "
		    "%s:%llu", (unsigned long long)r->seq,
		    (unsigned long long)p->seq, cli_verify_name(v, p->file),
		    (unsigned long long)p->line);
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
	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	free(v->tab);
	memset(v, 0, sizeof(*v));
}
