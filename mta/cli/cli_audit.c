/*
 * cli_audit.c: `sealpost audit`, the report over sealpost's own log
 * (doc/design.md §9; sealpost(8)). It reads the files named, in order,
 * gzip-compressed or not (zlib reads both), else standard input when it
 * is not a terminal (journalctl -t ... output), else the configured
 * log_file; it hands each line to the pure parser (cli_audit_line.c),
 * counts it (cli_audit_agg.c) and prints the report (cli_audit_fmt.c).
 * Memory stays bounded whatever the log's size. Linked by the sealpost
 * binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "cli_audit.h"
#include "cli_audit_recv.h"
#include "lib/buf.h"

#define CLI_AUDIT_CHUNK		(1024 * 1024)	/* one read */
#define CLI_AUDIT_OUT_MAX	(64 * 1024 * 1024)	/* the report */

struct cli_audit_run {
	struct cli_audit	 a;
	struct cli_audit_rec	*rec;
	int64_t			 now;
	int			 failed;	/* a file could not be read */
	int			 unopened;	/* a file could not be opened */
};

static void
cli_audit_usage(FILE *f, const char *progname)
{
	fprintf(f, "usage: %s audit [--json] [--since TIME] [--until TIME] "
	    "[--domain DOMAIN]\n"
	    "           [--id ID] [FILE ...]\n"
	    "  FILE          log files, in order (oldest first; .gz too); "
	    "none: standard\n"
	    "                input when it is not a terminal (journalctl "
	    "-t smtpin -t smtpout\n"
	    "                ... | sealpost audit), else log_file\n"
	    "  --since, --until TIME  RFC 3339 or YYYY-MM-DD (UTC)\n"
	    "  --domain DOMAIN  only records of this destination or "
	    "recipient domain\n"
	    "  --id ID       only records of this queue id\n"
	    "  --json        one JSON object (sealpost(8) lists its "
	    "members)\n"
	    "       %s audit --message FILE|-|ID [--json]\n"
	    "  the hop-by-hop TLS of one message from its Received "
	    "fields\n", progname, progname);
}

/* One line: parsed and counted. */
static void
cli_audit_line(struct cli_audit_run *r, const char *name, uint64_t lineno,
    const char *line, size_t len)
{
	const char *why;

	switch (cli_audit_parse_line(line, len, r->now, r->rec, &why)) {
	case CLI_AUDIT_P_REC:
		cli_audit_add(&r->a, r->rec);
		break;
	case CLI_AUDIT_P_OTHER:
		cli_audit_note(&r->a, 0, name, lineno, why);
		break;
	default:
		cli_audit_note(&r->a, 1, name, lineno, why);
		break;
	}
}

/*
 * Reads gz (a gzip stream or plain text, zlib tells) to its end, line by
 * line. A line longer than CLI_AUDIT_LINE_MAX is counted malformed and
 * skipped to its end. Returns 0, or -1 when reading failed.
 */
static int
cli_audit_read(struct cli_audit_run *r, gzFile gz, const char *name,
    char *buf)
{
	const char *err;
	size_t have = 0, start, i;
	uint64_t lineno = 0;
	int n, skipping = 0, errnum;

	for (;;) {
		n = gzread(gz, buf + have, CLI_AUDIT_CHUNK);
		if (n < 0) {
			err = gzerror(gz, &errnum);
			fprintf(stderr, "sealpost audit: %s: %s\n", name,
			    errnum == Z_ERRNO ? strerror(errno) : err);
			return -1;
		}
		if (n == 0)
			break;
		start = 0;
		for (i = have; i < have + (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			lineno++;
			if (skipping)
				cli_audit_note(&r->a, 1, name, lineno,
				    "a line too long");
			else
				cli_audit_line(r, name, lineno, buf + start,
				    i - start);
			skipping = 0;
			start = i + 1;
		}
		have += (size_t)n;
		/* keep the partial line; one longer than a line is skipped */
		if (have - start > CLI_AUDIT_LINE_MAX) {
			skipping = 1;
			start = have;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have > 0 || skipping) {
		lineno++;
		if (skipping)
			cli_audit_note(&r->a, 1, name, lineno,
			    "a line too long");
		else	/* no newline at the end: a cut line shows here */
			cli_audit_line(r, name, lineno, buf, have);
	}
	return 0;
}

/* Opens and reads one file ("-" or NULL: standard input). */
static void
cli_audit_file(struct cli_audit_run *r, const char *path, char *buf)
{
	const char *name = path != NULL ? path : "(stdin)";
	gzFile gz;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		if ((fd = dup(STDIN_FILENO)) == -1 ||
		    (gz = gzdopen(fd, "rb")) == NULL) {
			fprintf(stderr, "sealpost audit: standard input: %s\n",
			    strerror(errno));
			r->unopened = 1;
			return;
		}
		name = "(stdin)";
	} else if ((gz = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "sealpost audit: %s: %s\n", path,
		    errno ? strerror(errno) : "cannot open");
		r->unopened = 1;
		return;
	}
	(void)gzbuffer(gz, 256 * 1024);
	if (cli_audit_read(r, gz, name, buf) == -1)
		r->failed = 1;
	(void)gzclose(gz);
}

int
cli_audit(struct cli *cli, int argc, char **argv)
{
	struct cli_audit_filter f = { -1, -1, NULL, NULL };
	struct cli_audit_run *r;
	struct buf out;
	const char *v;
	char *buf;
	static const char *const names[4] = { "--since", "--until",
	    "--domain", "--id" };
	int i, k, json = 0, missing, status, nfiles = 0;

	/* --message: one message's Received chain (cli_audit_msg.c) */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--message", 9) == 0 &&
		    (argv[i][9] == '\0' || argv[i][9] == '='))
			return cli_audit_msg(cli, argc, argv);
	for (i = 1; i < argc; i++) {
		missing = 0;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			cli_audit_usage(stdout, cli->progname);
			return 0;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		if (strcmp(argv[i], "--verify") == 0) {
			fprintf(stderr, "%s audit: --verify goes first and "
			    "takes only files: %s audit --verify FILE ...\n",
			    cli->progname, cli->progname);
			return EX_USAGE;
		}
		for (k = 0; k < 4; k++)
			if ((v = cli_queue_optval(argc, argv, &i, names[k],
			    &missing)) != NULL)
				break;
		if (k < 4) {
			if (missing || *v == '\0' || (k < 2 &&
			    cli_audit_time_arg(v, k == 1, k == 1 ? &f.until :
			    &f.since) == -1)) {
				fprintf(stderr, "%s audit: %s takes %s\n",
				    cli->progname, names[k], k < 2 ? "a time: "
				    "RFC 3339 (2026-12-05T12:00:00Z) or "
				    "YYYY-MM-DD" : k == 2 ? "a domain" :
				    "a queue id");
				return EX_USAGE;
			}
			if (k == 2)
				f.domain = v;
			else if (k == 3)
				f.id = v;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "%s audit: unknown option %s\n",
			    cli->progname, argv[i]);
			cli_audit_usage(stderr, cli->progname);
			return EX_USAGE;
		}
		break;
	}
	nfiles = argc - i;
	if (nfiles == 0 && isatty(STDIN_FILENO) &&
	    cli->conf.log_file[0] == '\0') {
		fprintf(stderr, "%s audit: no log_file in %s and standard "
		    "input is a terminal: name the log files, or pipe the "
		    "journal in:\n  journalctl -t smtpin -t queue -t smtpout "
		    "-t policy -t local | %s audit\n", cli->progname,
		    cli->file != NULL ? cli->file : "the configuration",
		    cli->progname);
		return EX_NOINPUT;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rec = malloc(sizeof(*r->rec))) == NULL ||
	    (buf = malloc(CLI_AUDIT_CHUNK + CLI_AUDIT_LINE_MAX + 2)) ==
	    NULL) {
		if (r != NULL)
			free(r->rec);
		free(r);
		fprintf(stderr, "%s audit: out of memory\n", cli->progname);
		return EX_OSERR;
	}
	if (cli_audit_init(&r->a, &f, 0) == -1) {
		free(buf);
		free(r->rec);
		free(r);
		fprintf(stderr, "%s audit: out of memory\n", cli->progname);
		return EX_OSERR;
	}
	r->now = (int64_t)time(NULL);
	if (nfiles > 0)
		for (; i < argc; i++)
			cli_audit_file(r, argv[i], buf);
	else if (!isatty(STDIN_FILENO))
		cli_audit_file(r, NULL, buf);
	else
		cli_audit_file(r, cli->conf.log_file, buf);
	free(buf);

	buf_init(&out, CLI_AUDIT_OUT_MAX);
	status = 0;
	if (cli_audit_fmt(&out, &r->a, json) == -1) {
		fprintf(stderr, "%s audit: the report: %s\n", cli->progname,
		    strerror(errno));
		status = EX_OSERR;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "%s audit: standard output: %s\n",
		    cli->progname, strerror(errno));
		status = EX_IOERR;
	}
	if (status == 0 && r->unopened)
		status = EX_NOINPUT;
	else if (status == 0 && (r->failed || r->a.bad > 0))
		status = CLI_EX_PROBLEM;
	buf_free(&out);
	cli_audit_free(&r->a);
	free(r->rec);
	free(r);
	return status;
}
