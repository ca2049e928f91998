/*
 * cli_verify.h: `sealpost audit --verify FILE...`, the check of the log's
 * sequence numbers and audit chain (doc/design.md §9, log_chain.h): the
 * pure parts (one line into the fields the chain needs,
 * cli_verify_line.c; the chains of all processes, cli_verify_chain.c)
 * and the command (cli_verify.c, the only one that reads files). Linked
 * by the sealpost binary, the pure files also by tests/unit/test_cli_verify
 * and tests/fuzz/fuzz_cli_verify.
 */
#ifndef SEALPOST_CLI_VERIFY_H
#define SEALPOST_CLI_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/log_chain.h"

/*
 * sealpost audit --verify FILE...: argv[0] is "audit", argv[1]
 * "--verify". Reads the files in the order given (gzip-compressed ones
 * too) and prints every break and every malformed line. Returns 0 (all
 * chains whole), 1 (a break or a malformed line), EX_USAGE, EX_DATAERR
 * (65: a file holds no sealpost record), EX_NOINPUT (a file cannot be
 * read) or EX_OSERR.
 */
int	cli_verify(int argc, char **argv);

/* ---- one line (cli_verify_line.c; pure) ---- */

#define CLI_VERIFY_LINE_MAX	16384	/* a longer line is malformed */

enum cli_verify_op {
	CLI_VERIFY_OP_NONE,
	CLI_VERIFY_OP_START,	/* `log op=start`: a chain begins */
	CLI_VERIFY_OP_REOPEN,	/* `log op=reopen`: the chain's new file */
	CLI_VERIFY_OP_LOST,	/* `log op=lost n=N`: N writes failed */
};

struct cli_verify_rec {
	const char	*rec;		/* the bytes the link covers, in line */
	size_t		 reclen;
	char		 proc[32];
	long		 pid;
	uint64_t	 seq;
	int		 has_prev;
	char		 prev[LOG_CHAIN_HEXLEN + 1];
	enum cli_verify_op op;
	int		 chain_yes;	/* a start or reopen with chain=yes */
	uint64_t	 lost;		/* n= of a lost record */
	int		 json;
};

enum cli_verify_parse {
	CLI_VERIFY_P_REC,	/* a record: r is filled in */
	CLI_VERIFY_P_OTHER,	/* an empty line, or another program's
				   syslog line */
	CLI_VERIFY_P_BAD,	/* a sealpost line, malformed or cut: why */
	CLI_VERIFY_P_NOTOURS,	/* no form sealpost writes at all */
};

/*
 * Parses line[0..len) (no newline) in the forms of doc/design.md §9:
 * log_file text ("STAMP proc[pid]: body seq=N [prev=HEX]": the link
 * covers the whole line), log_file JSON (the whole line), and syslog's
 * "... proc[pid]: body" for sealpost's processes (the link covers body,
 * text or JSON: what the process handed to syslog(3)). r->rec points into
 * line. A line holding a NUL byte is malformed. Returns what it was; for
 * CLI_VERIFY_P_BAD *why is a static message. Pure.
 */
enum cli_verify_parse cli_verify_parse_line(const char *line, size_t len,
	    struct cli_verify_rec *r, const char **why);

/* ---- the chains (cli_verify_chain.c; pure) ---- */

/* What a report is. */
enum cli_verify_kind {
	CLI_VERIFY_NOTE,	/* worth knowing, the chain is whole */
	CLI_VERIFY_BREAK,	/* removed, edited, reordered: a break */
	CLI_VERIFY_LOST,	/* records the process could not write */
};

/*
 * The callback of every report: the file (as given to
 * cli_verify_add_file) and line at fault, the process and a message in
 * words, which may name other lines as "file:line".
 */
typedef void	cli_verify_report_fn(void *arg, const char *file,
		    uint64_t line, const char *proc, long pid,
		    enum cli_verify_kind kind, const char *msg);

struct cli_verify_proc;

struct cli_verify {
	struct cli_verify_proc	**tab;		/* hash table of processes */
	size_t			  ntab;		/* buckets: a power of 2 */
	size_t			  nentries;	/* (proc, pid) kept */
	char			**files;	/* the names, in order */
	size_t			  nfiles;
	size_t			  bytes;	/* allocated, all told */
	size_t			  nprocs;	/* chains seen */
	uint64_t		  nrecords;
	uint64_t		  nbreaks;
	uint64_t		  nlost;	/* lost: write failed */
	uint64_t		  nunchained;	/* records without prev= */
	cli_verify_report_fn	 *report;
	void			 *arg;
};

/*
 * Prepares v; report is called for every break, note and loss. Returns
 * 0, or -1 when out of memory.
 */
int	cli_verify_init(struct cli_verify *v, cli_verify_report_fn *report,
	    void *arg);
/*
 * Names the next file given (copied): the records that follow are in
 * it. The first file is number 0. Returns its number, or -1 when out of
 * memory.
 */
int	cli_verify_add_file(struct cli_verify *v, const char *name);
/*
 * Checks record r found at line of the file numbered file against the
 * chain of its process (proc and pid): a start record has seq=1 and prev
 * all zeros; the sequence number goes up by one and prev= is the link to
 * the process's previous record; once a process is chained (its start or
 * reopen record says chain=yes, or one of its records had prev=) every
 * record must have prev=. A chain begins with a start record, or with a
 * reopen record in the first file given (the file before is not given).
 * A gap is reported when the next record of the process shows whether
 * it was a removal, a reordering or records lost (a `log op=lost n=N`
 * record right after N missing numbers), or at cli_verify_end. Returns
 * 0, or -1 when out of memory. Memory: about 150 bytes per (proc, pid).
 */
int	cli_verify_record(struct cli_verify *v, const struct cli_verify_rec *r,
	    size_t file, uint64_t line);
/* Reports the gaps still open (records removed at a chain's end). */
void	cli_verify_end(struct cli_verify *v);
/* Frees what v holds. */
void	cli_verify_free(struct cli_verify *v);

#endif
