/*
 * cli_verify.c: `sealpost audit --verify FILE...` (sealpost(8), doc/design.md
 * §9): reads log files in the order given, plain or gzip-compressed
 * (zlib's gzopen reads both), line by line, and hands each line to the
 * pure parser (cli_verify_line.c) and the chains (cli_verify_chain.c);
 * prints every break, every malformed line and a summary. Linked by the
 * sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <zlib.h>

#include "cli_verify.h"

#define CLI_VERIFY_CHUNK	(128 * 1024)	/* one read */

struct cli_verify_run {
	uint64_t	nbad;		/* malformed lines */
	uint64_t	nnotes;
};

static void
cli_verify_print(void *arg, const char *file, uint64_t line, const char *proc,
    long pid, enum cli_verify_kind kind, const char *msg)
{
	struct cli_verify_run *run = arg;

	if (kind == CLI_VERIFY_NOTE)
		run->nnotes++;
	printf("%s:%llu: %s[%ld]: %s%s\n", file, (unsigned long long)line,
	    proc, pid, kind == CLI_VERIFY_NOTE ? "note: " : "", msg);
}

/*
 * One line of the file numbered file (no newline; it may hold NUL bytes,
 * which make it malformed). Returns 1 for a record, 0 for another line,
 * -1 when out of memory.
 */
static int
cli_verify_line(struct cli_verify *v, struct cli_verify_run *run,
    size_t file, uint64_t lineno, const char *line, size_t len)
{
	struct cli_verify_rec r;
	const char *why;

	switch (cli_verify_parse_line(line, len, &r, &why)) {
	case CLI_VERIFY_P_REC:
		if (cli_verify_record(v, &r, file, lineno) == -1)
			return -1;
		return 1;
	case CLI_VERIFY_P_BAD:
		printf("%s:%llu: malformed or truncated line skipped: %s\n",
		    v->files[file], (unsigned long long)lineno, why);
		run->nbad++;
		break;
	case CLI_VERIFY_P_OTHER:
	case CLI_VERIFY_P_NOTOURS:
		break;
	}
	return 0;
}

/*
 * Checks one file, read in chunks and cut at each newline (memchr, so
 * that a NUL byte hides nothing after it). Returns 0, 1 when it holds no
 * sealpost record (but lines), -1 when it cannot be read (said on
 * stderr), -2 when out of memory.
 */
static int
cli_verify_file(struct cli_verify *v, struct cli_verify_run *run,
    const char *path)
{
	static char buf[CLI_VERIFY_LINE_MAX + 1 + CLI_VERIFY_CHUNK];
	uint64_t lineno = 0, nrec = 0;
	size_t have = 0, start, len;
	const char *nl;
	int errnum, skipping = 0, n, r, file;
	gzFile gz;

	if ((file = cli_verify_add_file(v, path)) == -1)
		return -2;
	if ((gz = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "sealpost: %s: %s\n", path,
		    errno != 0 ? strerror(errno) : "cannot open");
		return -1;
	}
	(void)gzbuffer(gz, 128 * 1024);
	while ((n = gzread(gz, buf + have, CLI_VERIFY_CHUNK)) > 0) {
		have += (size_t)n;
		start = 0;
		while ((nl = memchr(buf + start, '\n', have - start)) !=
		    NULL) {
			len = (size_t)(nl - (buf + start));
			if (skipping)	/* the end of a line too long */
				skipping = 0;
			else {
				lineno++;
				r = cli_verify_line(v, run, (size_t)file,
				    lineno, buf + start, len);
				if (r == -1) {
					gzclose(gz);
					return -2;
				}
				nrec += (uint64_t)r;
			}
			start += len + 1;
		}
		if (!skipping && have - start > CLI_VERIFY_LINE_MAX) {
			lineno++;
			printf("%s:%llu: malformed line skipped: longer than "
			    "%d bytes\n", path, (unsigned long long)lineno,
			    CLI_VERIFY_LINE_MAX);
			run->nbad++;
			skipping = 1;
		}
		if (skipping)
			start = have;
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (n < 0) {
		const char *msg = gzerror(gz, &errnum);

		fprintf(stderr, "sealpost: %s: %s\n", path,
		    errnum == Z_ERRNO ? strerror(errno) : msg);
		gzclose(gz);
		return -1;
	}
	gzclose(gz);
	if (have > 0 && !skipping) {
		/* no newline at the end: a cut line shows here */
		lineno++;
		if ((r = cli_verify_line(v, run, (size_t)file, lineno, buf,
		    have)) == -1)
			return -2;
		nrec += (uint64_t)r;
	}
	if (nrec == 0 && lineno > 0) {
		printf("%s: not a sealpost log (no line with seq=)\n", path);
		return 1;
	}
	return 0;
}

int
cli_verify(int argc, char **argv)
{
	struct cli_verify v;
	struct cli_verify_run run;
	int i, r, notlog = 0, unreadable = 0;

	if (argc < 3 || (argc == 3 && (strcmp(argv[2], "-h") == 0 ||
	    strcmp(argv[2], "--help") == 0))) {
		fprintf(argc < 3 ? stderr : stdout, "usage: sealpost audit "
		    "--verify FILE...\n"
		    "  checks the sequence numbers and the audit chain of "
		    "sealpost's log;\n"
		    "  give rotated files first: log.2.gz log.1 log\n");
		return argc < 3 ? EX_USAGE : 0;
	}
	memset(&run, 0, sizeof(run));
	if (cli_verify_init(&v, cli_verify_print, &run) == -1) {
		perror("sealpost");
		return EX_OSERR;
	}
	for (i = 2; i < argc; i++) {
		r = cli_verify_file(&v, &run, argv[i]);
		if (r == -2) {
			perror("sealpost");
			cli_verify_free(&v);
			return EX_OSERR;
		}
		if (r == -1)
			unreadable = 1;
		if (r == 1)
			notlog = 1;
	}
	cli_verify_end(&v);
	printf("%llu records of %zu processes in %d file%s: %llu break%s, "
	    "%llu malformed line%s", (unsigned long long)v.nrecords,
	    v.nprocs, argc - 2, argc - 2 == 1 ? "" : "s",
	    (unsigned long long)v.nbreaks, v.nbreaks == 1 ? "" : "s",
	    (unsigned long long)run.nbad, run.nbad == 1 ? "" : "s");
	if (v.nlost > 0)
		printf(", %llu record%s lost (write failed)",
		    (unsigned long long)v.nlost, v.nlost == 1 ? "" : "s");
	printf("%s\n", v.nbreaks == 0 && run.nbad == 0 && v.nlost == 0 &&
	    !notlog && !unreadable ? ": OK" : "");
	if (v.nunchained > 0)
		printf("%llu records without prev= (audit_chain = no): only "
		    "their sequence was checked\n",
		    (unsigned long long)v.nunchained);
	r = v.nbreaks > 0 || run.nbad > 0 || v.nlost > 0;
	cli_verify_free(&v);
	if (fflush(stdout) == EOF)
		return EX_IOERR;
	if (unreadable)
		return EX_NOINPUT;
	if (notlog)
		return EX_DATAERR;
	return r ? 1 : 0;
}
