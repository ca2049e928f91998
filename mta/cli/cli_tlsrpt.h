/*
 * cli_tlsrpt.h: sealpost tlsrpt, the daily TLS reports of RFC 8460
 * (doc/design.md §8): the pure parts (cli_tlsrpt_fmt.c: the command
 * line, the report's JSON, the report mail, the host of an https rua
 * and the addresses it may reach), the command (cli_tlsrpt.c: the files
 * read as root, the privilege drop, submission through the pickup
 * socket, what was sent) and its network side (cli_tlsrpt_send.c: the
 * TXT lookup, gzip, the https POST).
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
 * could not be sent, or a file that is not a regular file was skipped),
 * EX_USAGE, EX_NOINPUT (no day file), EX_DATAERR
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

/* What a domain's report came to, kept in data_dir/tlsrpt/sent-DATE. */
enum cli_tlsrpt_state {
	CLI_TLSRPT_NEW = 0,
	CLI_TLSRPT_SENT,	/* every target that could be sent to */
	CLI_TLSRPT_FAILED,	/* a target failed: tried again */
	CLI_TLSRPT_NOREC,	/* no TLS-RPT record: nothing to send */
	CLI_TLSRPT_SKIPPED,	/* only mailto: rua, and no DKIM key */
};

/* A domain of sent-DATE: its state and the rua it reached ("to"). */
struct cli_tlsrpt_ent {
	char	domain[TLSRPT_NAME_MAX];
	int	state;			/* enum cli_tlsrpt_state */
	char	*to[TLSRPT_RUA_MAX];	/* owned */
	size_t	nto;
};

/* The sent state of one date; free it with cli_tlsrpt_sent_free. */
struct cli_tlsrpt_sent {
	struct cli_tlsrpt_ent	*e;
	size_t			 n;
};

/* The word of state s in sent-DATE ("sent", "failed", ...). Pure. */
const char *cli_tlsrpt_state_word(int s);
/* The entry of domain in s, or NULL. Pure. */
struct cli_tlsrpt_ent *cli_tlsrpt_sent_find(struct cli_tlsrpt_sent *s,
	    const char *domain);
/* The entry of domain in s, added (state new) when there is none; NULL
   when out of memory. Pure. */
struct cli_tlsrpt_ent *cli_tlsrpt_sent_get(struct cli_tlsrpt_sent *s,
	    const char *domain);
/* Whether e (may be NULL) reached uri. Pure. */
int	cli_tlsrpt_ent_has(const struct cli_tlsrpt_ent *e, const char *uri);
/* Adds uri (copied) to what e reached. 0 (also: there already), -1
   when e holds TLSRPT_RUA_MAX already (errno ENOBUFS) or out of memory
   (ENOMEM). Pure. */
int	cli_tlsrpt_ent_add(struct cli_tlsrpt_ent *e, const char *uri);
void	cli_tlsrpt_sent_free(struct cli_tlsrpt_sent *s);
/*
 * Reads the text of a sent-DATE file, text[0..len) (any bytes: the
 * file is `user`'s, read as root), into s: lines "DOMAIN STATE" (STATE
 * a word of cli_tlsrpt_state_word, "new" excluded) and "DOMAIN to URI";
 * a line that is none of these, too long, or has a NUL, and a URI past
 * TLSRPT_RUA_MAX for a domain, are skipped. Returns 0, or -1 when out
 * of memory (s freed). Pure.
 */
int	cli_tlsrpt_sent_parse(const char *text, size_t len,
	    struct cli_tlsrpt_sent *s);

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
 * POSTs gz to the https url (RFC 8460 §5.4): only when
 * cli_tlsrpt_https_host accepts it, libcurl reads the same host and
 * port in it, and every address of the host is public; libcurl is
 * pinned to those addresses (CURLOPT_RESOLVE) and refuses to connect
 * to any address cli_tlsrpt_addr_public rejects
 * (CURLOPT_OPENSOCKETFUNCTION). No proxy, no redirect. 0, or -1 (why).
 */
int	cli_tlsrpt_post(const struct conf *conf, const char *url,
	    const struct buf *gz, char *why, size_t whylen);

/*
 * Whether an https rua may be POSTed to at address sa (doc/design.md
 * §8). IPv4: 0 for 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24,
 * 203.0.113/24 and 224/3 (multicast, 240/4, broadcast). IPv6: the
 * IPv4 address inside ::ffff:0:0/96 (mapped), 64:ff9b::/96 (NAT64) and
 * 2002::/16 (6to4) judged as above; 0 outside 2000::/3 (::, ::1,
 * IPv4-compatible ::a.b.c.d, 100::/64, fc00::/7, fe80::/10, ff00::/8,
 * the unassigned rest), for 64:ff9b:1::/48, 2001::/23, 2001:db8::/32 and
 * 3fff::/20. 0 for other families. Else 1. sa must be as long as its
 * family's struct. Pure.
 */
int	cli_tlsrpt_addr_public(const struct sockaddr *sa);

#define CLI_TLSRPT_HOST_NAME	1
#define CLI_TLSRPT_HOST_ADDR	2

/*
 * The host and port of an https rua url (doc/design.md §8), before any
 * lookup: the URL printable ASCII (an internationalized name must be
 * published as its xn-- A-label: libcurl would convert a UTF-8 one to
 * another name than the one checked), "https://" in any case, then a
 * host that is a name of two or more labels of ASCII letters, digits
 * and '-' (RFC 1123 §2.1; the last one starting with a letter, so that
 * no number passes for a name), or an IPv4 address, or an IPv6 address
 * in brackets, that cli_tlsrpt_addr_public accepts; no user@; an
 * optional port 1..65535; then the end, '/', '?' or '#'. Writes the
 * host (without brackets) into host (size octets) and the port (443
 * without one) into *port. Returns CLI_TLSRPT_HOST_NAME or
 * CLI_TLSRPT_HOST_ADDR, or -1 with why (it never quotes the URL).
 * Pure.
 */
int	cli_tlsrpt_https_host(const char *url, char *host, size_t size,
	    int *port, char *why, size_t whylen);

#endif
