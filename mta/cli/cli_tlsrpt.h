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
 * sealpost tlsrpt [--dry-run] [--dns] [--date YYYY-MM-DD|today --partial]
 * [--domain D]: builds and sends the reports of a day (default:
 * yesterday, UTC, and the retries of the two days before); --dns
 * prints the DKIM record. Reads as root, then becomes `user` before
 * any network reply is parsed. Returns 0, CLI_EX_PROBLEM (a report
 * could not be sent), EX_USAGE, EX_NOINPUT (no day file), EX_DATAERR
 * (a malformed day file), EX_NOUSER (no `user`), EX_CONFIG (the DKIM
 * key), EX_NOPERM, EX_OSERR or EX_IOERR.
 */
int	cli_tlsrpt(struct cli *, int argc, char **argv);

struct cli_tlsrpt_opts {
	int	dry_run;
	int	partial;		/* --partial: the current day;
					   implies dry_run */
	int	dns;			/* --dns: print the DKIM record */
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

struct sockaddr;
struct conf;

/* ---- the network side (cli_tlsrpt_send.c), unprivileged ---- */

/*
 * The TXT records at _smtp._tls.domain: 1 with rec (exactly one valid
 * TLSRPTv1 record), 0 none (or not one valid, or a record too long to
 * read: RFC 8460 §3 says no report then), -1 a temporary failure (an
 * answer larger than the buffer included); why says which.
 */
int	cli_tlsrpt_lookup(const struct conf *conf, const char *domain,
	    struct tlsrpt_record *rec, char *why, size_t whylen);
/* gzip (RFC 1952) of in[0..len) appended to out. 0, or -1. */
int	cli_tlsrpt_gzip(const char *in, size_t len, struct buf *out);
/*
 * POSTs gz to the https url (RFC 8460 §5.4), only when every address of
 * its host is public, and only to those. 0, or -1 (why).
 */
int	cli_tlsrpt_post(const struct conf *conf, const char *url,
	    const struct buf *gz, char *why, size_t whylen);


/*
 * Whether an https rua may be POSTed to at address sa (doc/design.md
 * §8): 0 for loopback, unspecified, private (RFC 1918, 100.64/10,
 * fc00::/7), link-local, site-local, multicast and reserved addresses
 * (IPv4-mapped IPv6 as IPv4) and other families, else 1. Pure.
 */
int	cli_tlsrpt_addr_public(const struct sockaddr *sa);

#endif
