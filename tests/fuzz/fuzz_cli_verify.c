/*
 * fuzz_cli_verify.c: fuzz target for the line parser and the chains of
 * `sealpost audit --verify` (mta/cli/cli_verify_line.c,
 * cli_verify_chain.c; doc/design.md §9, §11). The input is split at
 * newlines; each line is parsed, and every record goes through one chain
 * state. Checked: a record points inside its line, its process name is
 * NUL-terminated and not empty, its pid positive, a prev= is 64 hex
 * digits, a lost record counts at least one, a malformed line always
 * says why; the chains (the lines spread over two files) count every
 * record and never report more than three breaks per record. Invariants
 * that fail abort(), which both drivers report. Linked by
 * tests/fuzz/fuzz_cli_verify only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static void
fuzz_report(void *arg, const char *file, uint64_t line, const char *proc,
    long pid, enum cli_verify_kind kind, const char *msg)
{
	size_t *n = arg;

	FUZZ_CHECK(file != NULL && proc != NULL && msg != NULL);
	FUZZ_CHECK(line > 0 && pid > 0 && msg[0] != '\0');
	FUZZ_CHECK(kind == CLI_VERIFY_NOTE || kind == CLI_VERIFY_BREAK ||
	    kind == CLI_VERIFY_LOST);
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl, *why;
	struct cli_verify v;
	struct cli_verify_rec r;
	size_t off = 0, len, nreports = 0, nrec = 0, file = 0;
	uint64_t line = 0;
	enum cli_verify_parse p;

	if (cli_verify_init(&v, fuzz_report, &nreports) == -1)
		return 0;
	if (cli_verify_add_file(&v, "fuzz.1") != 0 ||
	    cli_verify_add_file(&v, "fuzz") != 1) {
		cli_verify_free(&v);
		return 0;
	}
	while (off < size) {
		line++;
		if (file == 0 && line > 4) {	/* the rest in a later file */
			file = 1;
			line = 1;
		}
		nl = memchr(s + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (s + off)) : size - off;
		p = cli_verify_parse_line(s + off, len, &r, &why);
		if (p == CLI_VERIFY_P_REC) {
			FUZZ_CHECK(r.rec >= s + off &&
			    r.rec + r.reclen <= s + off + len);
			FUZZ_CHECK(r.proc[0] != '\0' &&
			    memchr(r.proc, '\0', sizeof(r.proc)) != NULL);
			FUZZ_CHECK(r.pid > 0);
			FUZZ_CHECK(!r.has_prev ||
			    log_chain_valid(r.prev, strlen(r.prev)));
			FUZZ_CHECK(r.op != CLI_VERIFY_OP_LOST || r.lost > 0);
			FUZZ_CHECK(cli_verify_record(&v, &r, file, line) ==
			    0);
			nrec++;
		} else if (p == CLI_VERIFY_P_BAD)
			FUZZ_CHECK(why != NULL && why[0] != '\0');
		off += len + 1;
	}
	cli_verify_end(&v);
	FUZZ_CHECK(v.nrecords == nrec);
	FUZZ_CHECK(v.nbreaks <= 3 * nrec);
	FUZZ_CHECK(nreports <= 3 * nrec);
	cli_verify_free(&v);
	return 0;
}
