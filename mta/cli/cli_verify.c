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

struct cli_verify_run {
	uint64_t	nbad;		/* malformed lines */
	uint64_t	nnotes;
};

static void
cli_verify_print(void *arg, const char *where, const char *proc, long pid,
    int is_break, const char *msg)
{
	struct cli_verify_run *run = arg;

	if (!is_break)
		run->nnotes++;
	printf("%s: %s[%ld]: %s%s\n", where, proc, pid,
	    is_break ? "" : "note: ", msg);
}

/*
 * Checks one file. Returns 0, 1 when it holds no sealpost record (but
 * lines), -1 when it cannot be read (said on stderr), -2 when out of
 * memory.
 */
static int
cli_verify_file(struct cli_verify *v, struct cli_verify_run *run,
    const char *path)
{
	static char line[CLI_VERIFY_LINE_MAX + 2];
	char where[1200];
	struct cli_verify_rec r;
	const char *why;
	uint64_t lineno = 0, nrec = 0, nlines = 0;
	size_t len;
	int errnum, skipping = 0, n;
	gzFile gz;

	if ((gz = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "sealpost: %s: %s\n", path,
		    errno != 0 ? strerror(errno) : "cannot open");
		return -1;
	}
	(void)gzbuffer(gz, 128 * 1024);
	while (gzgets(gz, line, sizeof(line)) != NULL) {
		len = strlen(line);
		if (skipping) {
			/* the rest of a line too long, already reported */
			if (len > 0 && line[len - 1] == '\n')
				skipping = 0;
			continue;
		}
		lineno++;
		nlines++;
		n = snprintf(where, sizeof(where), "%s:%llu", path,
		    (unsigned long long)lineno);
		if (n < 0 || (size_t)n >= sizeof(where))
			(void)strlcpy(where, "?", sizeof(where));
		if (len > 0 && line[len - 1] == '\n')
			len--;
		else if (len == sizeof(line) - 1) {
			printf("%s: malformed line skipped: longer than %d "
			    "bytes\n", where, CLI_VERIFY_LINE_MAX);
			run->nbad++;
			skipping = 1;
			continue;
		}
		switch (cli_verify_parse_line(line, len, &r, &why)) {
		case CLI_VERIFY_P_REC:
			nrec++;
			if (cli_verify_record(v, &r, where) == -1) {
				gzclose(gz);
				return -2;
			}
			break;
		case CLI_VERIFY_P_BAD:
			printf("%s: malformed or truncated line skipped: %s\n",
			    where, why);
			run->nbad++;
			break;
		case CLI_VERIFY_P_OTHER:
		case CLI_VERIFY_P_NOTOURS:
			break;
		}
	}
	if (!gzeof(gz)) {
		const char *msg = gzerror(gz, &errnum);

		fprintf(stderr, "sealpost: %s: %s\n", path,
		    errnum == Z_ERRNO ? strerror(errno) : msg);
		gzclose(gz);
		return -1;
	}
	gzclose(gz);
	if (nrec == 0 && nlines > 0) {
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
	    "%llu malformed line%s%s\n", (unsigned long long)v.nrecords,
	    v.nprocs, argc - 2, argc - 2 == 1 ? "" : "s",
	    (unsigned long long)v.nbreaks, v.nbreaks == 1 ? "" : "s",
	    (unsigned long long)run.nbad, run.nbad == 1 ? "" : "s",
	    v.nbreaks == 0 && run.nbad == 0 && !notlog && !unreadable ?
	    ": OK" : "");
	if (v.nunchained > 0)
		printf("%llu records without prev= (audit_chain = no): only "
		    "their sequence was checked\n",
		    (unsigned long long)v.nunchained);
	r = v.nbreaks > 0 || run.nbad > 0;
	cli_verify_free(&v);
	if (fflush(stdout) == EOF)
		return EX_IOERR;
	if (unreadable)
		return EX_NOINPUT;
	if (notlog)
		return EX_DATAERR;
	return r ? 1 : 0;
}
