/*
 * cli_tlsrpt.h: sealpost tlsrpt, the daily TLS reports of RFC 8460
 * (doc/design.md §8): the pure parts (cli_tlsrpt_fmt.c: the command
 * line, the report's JSON, the report mail, the sent state's text, the
 * host of an https rua and the addresses it may reach), root's side
 * (cli_tlsrpt.c: the directories and files read as root, raw, the
 * state directory, the DKIM key, the helper that reads MTA-STS cache
 * files for `user`, the privilege drop, submission through the pickup
 * socket) and `user`'s side (cli_tlsrpt_send.c: everything parsed, the
 * sent state, the lock, the TXT lookup, gzip, the https POST).
 * Linked by the sealpost binary, tests/unit/test_tlsrpt and
 * tests/fuzz/fuzz_tlsrpt.
 */
#ifndef SEALPOST_CLI_TLSRPT_H
#define SEALPOST_CLI_TLSRPT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "policy/tlsrpt.h"

struct cli;

#define CLI_TLSRPT_SENT_KEEP	14	/* days a sent-DATE file is kept */

/*
 * sealpost tlsrpt [-v] [--dry-run] [--dns] [--date YYYY-MM-DD|today
 * --partial] [--domain D]: builds and sends the reports of a day
 * (default: yesterday, UTC, and the retries of the two days before);
 * --dns prints the DKIM record. Reads as root, raw, then becomes `user`
 * before anything is parsed (doc/design.md §8). Returns 0,
 * CLI_EX_PROBLEM (a report could not be sent or was skipped for want
 * of a DKIM key, or a file or a date was skipped), or an exit code that
 * stopped the whole run: EX_USAGE, EX_DATAERR (--date: a malformed day
 * file), EX_NOINPUT (no data_dir/policy; --date: no day file),
 * EX_NOUSER (no `user`), EX_SOFTWARE, EX_OSERR, EX_IOERR (the state
 * directory refused, the sent state not read or not saved),
 * EX_TEMPFAIL (another run holds the lock), EX_NOPERM, EX_CONFIG (the
 * DKIM key).
 */
int	cli_tlsrpt(struct cli *, int argc, char **argv);

struct cli_tlsrpt_opts {
	int	dry_run;
	int	verbose;		/* -v: also what is not reported */
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
	CLI_TLSRPT_SKIPPED,	/* a mailto: rua skipped for want of a DKIM
				   key: tried again, as failed */
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
/*
 * Makes room in e for one more rua when it holds TLSRPT_RUA_MAX: the
 * URIs it reached that are not among rec's rua (the domain's current
 * record) are dropped. Returns the number of free slots. Pure.
 */
size_t	cli_tlsrpt_ent_room(struct cli_tlsrpt_ent *e,
	    const struct tlsrpt_record *rec);
/*
 * Whether domain's report is still to be made by a run (doc/design.md
 * §8): no entry (never tried: a run was missed), new, failed, or
 * skipped for want of a DKIM key; not when sent or without a record.
 * Pure.
 */
int	cli_tlsrpt_ent_due(const struct cli_tlsrpt_ent *e);
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

/*
 * What a failed https POST says into why: the address the socket
 * callback refused ("" none) only when couldnt_connect (the transfer
 * failed with CURLE_COULDNT_CONNECT: the refusal may be why), with
 * libcurl's text err; else err alone. Pure.
 */
void	cli_tlsrpt_post_why(int couldnt_connect, const char *refused,
	    const char *err, char *why, size_t whylen);

/* ---- shared by root's side (cli_tlsrpt.c) and user's (cli_tlsrpt_send.c) */

#define CLI_TLSRPT_RETRY_DAYS	2
#define CLI_TLSRPT_NOTREG	-2	/* not a regular file of one name */
#define CLI_TLSRPT_NOTOWN	-3	/* not of the owner it must have */

/* One date's work. */
struct cli_tlsrpt_date {
	char			 date[11];
	int			 explicit;	/* --date */
	int64_t			 start, end;
	struct buf		 raw;		/* the day file's octets, read
						   as root, parsed as user */
	int			 rawr, rawerr;	/* cli_tlsrpt_read's result */
	struct tlsrpt_day	 day;
	struct cli_tlsrpt_sent	 sent;
	size_t			*todo;		/* the first policy of each
						   domain to report */
	char			**sts;		/* its MTA-STS text or NULL */
	size_t			*stslen;
	size_t			 ntodo;
};

struct dkim_key;

struct cli_tlsrpt_run {
	struct cli		*c;
	struct cli_tlsrpt_opts	*o;
	int			 drop;		/* root becomes `user` */
	uid_t			 uid;		/* `user` (or who runs it) */
	gid_t			 gid;
	uid_t			 policy_uid;	/* data_dir/policy's owner */
	int			 policyfd;	/* data_dir/policy */
	int			 dayfd;		/* policy/tlsrpt, or -1 */
	int			 stsfd;		/* policy/sts, or -1 */
	int			 statefd;	/* data_dir/tlsrpt, or -1 */
	int			 helper;	/* the socket to the reader of
						   MTA-STS files, or -1 */
	pid_t			 helper_pid;
	int			 problem;	/* a file skipped: exit 1 */
	size_t			 nokey;		/* mails skipped: no key */
	struct dkim_key		*key;		/* key->key NULL: none */
	struct cli_tlsrpt_date	 d[1 + CLI_TLSRPT_RETRY_DAYS];
	size_t			 nd;
};

/* s escaped for a line of output (log_escape, doc/design.md §9). */
const char *cli_tlsrpt_esc(const char *s, char *buf, size_t size);
/* What the failure r (errno e) of cli_tlsrpt_read is, for stderr. */
const char *cli_tlsrpt_why(int r, int e);
/*
 * Reads the file name of dirfd into b (bounded by b's maximum), never
 * through a symlink, never blocking on a FIFO, only a regular file of
 * one name whose owner is owner (doc/design.md §8). Returns 0, -1 with
 * errno (ENOBUFS: too large; ELOOP: a symlink), CLI_TLSRPT_NOTREG or
 * CLI_TLSRPT_NOTOWN.
 */
int	cli_tlsrpt_read(int dirfd, const char *name, uid_t owner,
	    struct buf *b);
/*
 * The cached MTA-STS file of domain (data_dir/policy/sts/DOMAIN) into b,
 * raw, from root's helper (run->helper; cli_tlsrpt_read's checks there,
 * the policy user's files only). Returns as cli_tlsrpt_read (-1 ENOENT
 * when there is no helper); a broken helper: -1 EPIPE, and none after.
 */
int	cli_tlsrpt_sts_ask(struct cli_tlsrpt_run *run, const char *domain,
	    struct buf *b);
/*
 * Submits the message sig then msg to addr through the pickup socket
 * with the null sender (cli_tlsrpt.c's gate, tests/lint/mailgate).
 * Returns 0, or -1 with why.
 */
int	cli_tlsrpt_mail(const struct conf *conf, const char *addr,
	    const struct buf *sig, const struct buf *msg, char *why,
	    size_t whylen);
/*
 * `user`'s side of the run (cli_tlsrpt_send.c), after the drop: the
 * lock, pruning, the days parsed, the sent state read, the reports
 * sent and recorded. Returns 0 or an exit code (cli_tlsrpt's).
 */
int	cli_tlsrpt_user(struct cli_tlsrpt_run *run);
/* Frees what dd holds (cli_tlsrpt_send.c). */
void	cli_tlsrpt_date_free(struct cli_tlsrpt_date *dd);

#endif
