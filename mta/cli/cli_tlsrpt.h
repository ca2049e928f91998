/*
 * cli_tlsrpt.h: sealpost tlsrpt, the daily TLS reports of RFC 8460
 * (doc/design.md §8): the pure parts (cli_tlsrpt_fmt.c: the command
 * line, the report's JSON, the report mail) and the command
 * (cli_tlsrpt.c: the day file, the TXT lookup, gzip, submission through
 * the pickup socket, the https POST, what was sent).
 * Linked by the sealpost binary, tests/unit/test_tlsrpt and
 * tests/fuzz/fuzz_tlsrpt.
 */
#ifndef SEALPOST_CLI_TLSRPT_H
#define SEALPOST_CLI_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "policy/tlsrpt.h"

struct cli;

/*
 * sealpost tlsrpt [--dry-run] [--date YYYY-MM-DD|today [--partial]]
 * [--domain D]: builds and sends the reports of a day (default:
 * yesterday, UTC, and the retries of the two days before). Returns 0,
 * CLI_EX_PROBLEM (a report could not be sent), EX_USAGE, EX_NOINPUT
 * (no day file), EX_DATAERR (a malformed day file), EX_NOPERM,
 * EX_OSERR or EX_IOERR.
 */
int	cli_tlsrpt(struct cli *, int argc, char **argv);

struct cli_tlsrpt_opts {
	int	dry_run;
	int	partial;		/* --partial: the current day */
	char	date[11];		/* "" default */
	char	domain[TLSRPT_NAME_MAX];	/* "" all */
};

enum cli_tlsrpt_cmd {
	CLI_TLSRPT_RUN,
	CLI_TLSRPT_HELP,
	CLI_TLSRPT_USAGE,	/* err says why */
};

/*
 * The command line (argv[0] is "tlsrpt"); today is the current UTC date
 * ("today" names it; a date after it, or today without --partial, is
 * refused). Pure.
 */
enum cli_tlsrpt_cmd cli_tlsrpt_args(int argc, char **argv,
	    const char *today, struct cli_tlsrpt_opts *o, char *err,
	    size_t errlen);

/* What a report says besides the counters. */
struct cli_tlsrpt_meta {
	const char	*org;		/* organization-name: hostname */
	const char	*contact;	/* contact-info */
	const char	*report_id;
	int64_t		 start, end;	/* the day: [start, end) */
	const char	*sts_text;	/* the domain's MTA-STS policy text,
					   or NULL */
	size_t		 sts_len;
};

/*
 * The RFC 8460 §4.4 report of day's policies for domain into out (JSON,
 * indented when pretty). Returns the number of policies reported (0:
 * none for the domain, nothing written), or -1 when out is full.
 * Pure.
 */
int	cli_tlsrpt_json(const struct tlsrpt_day *, const char *domain,
	    const struct cli_tlsrpt_meta *, int pretty, struct buf *out);

/*
 * The report-id of domain's report of date from host (RFC 8460 §4.4):
 * the same at every retry, so that a receiver can drop a duplicate.
 * Returns 0, or -1 when it does not fit. Pure.
 */
int	cli_tlsrpt_report_id(const char *date, const char *domain,
	    const char *host, char *out, size_t size);

/* The report mail (RFC 8460 §5.3). */
struct cli_tlsrpt_mail {
	const char	*host;		/* submitter */
	const char	*domain;	/* report domain */
	const char	*to;		/* the rua address */
	const char	*report_id;
	const char	*date_hdr;	/* RFC 5322 date */
	int64_t		 start, end;
	const uint8_t	*gz;		/* the gzip'd JSON */
	size_t		 gzlen;
	const char	*boundary;	/* unique, [A-Za-z0-9._=-] */
};

/*
 * The whole message (header and multipart/report; report-type=tlsrpt
 * body, the report base64-encoded as application/tlsrpt+gzip, CRLF line
 * ends) into out. Returns 0, or -1 when out is full. Pure.
 */
int	cli_tlsrpt_mime(const struct cli_tlsrpt_mail *, struct buf *out);

#endif
