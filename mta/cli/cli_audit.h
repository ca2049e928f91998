/*
 * cli_audit.h: `sealpost audit`, the report over sealpost's own log
 * (doc/design.md §9): the pure parts (one log line into an event and its
 * key=value pairs, cli_audit_line.c; the flat JSON object of log_format
 * json, cli_audit_json.c; the counters, cli_audit_agg.c; the report, text
 * and JSON, cli_audit_fmt.c) and the command (cli_audit.c, the only one
 * that reads files). Linked by the sealpost binary, and the pure files by
 * tests/unit/test_cli_audit and tests/fuzz/fuzz_cli_audit.
 */
#ifndef SEALPOST_CLI_AUDIT_H
#define SEALPOST_CLI_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct cli;

/*
 * sealpost audit [--json] [--since T] [--until T] [--domain D] [--id ID]
 * [FILE ...]: reads the files in order (gzip-compressed ones too), else
 * standard input when it is not a terminal, else the configured log_file,
 * and prints the report. Returns 0, 1 when a line was malformed (the
 * report is printed all the same), EX_USAGE, EX_NOINPUT (a file cannot be
 * opened; no log_file and standard input is a terminal), EX_IOERR or
 * EX_OSERR.
 */
int	cli_audit(struct cli *, int argc, char **argv);

/* ---- one line (cli_audit_line.c, cli_audit_json.c; pure) ---- */

#define CLI_AUDIT_LINE_MAX	8192	/* longer lines are malformed */
#define CLI_AUDIT_KV_MAX	1024	/* pairs of one record */

struct cli_audit_kv {
	const char	*key;		/* NUL-terminated, in rec->store */
	const char	*val;		/* unescaped, NUL-terminated */
	size_t		 vallen;	/* may hold a NUL from \x00 */
};

struct cli_audit_rec {
	int64_t			ts;	/* UTC seconds, -1 when unknown */
	int			json;	/* came as a JSON object */
	char			proc[32];	/* "smtpin", ... or "" */
	char			event[16];	/* "in", "out", ... */
	size_t			nkv;
	struct cli_audit_kv	kv[CLI_AUDIT_KV_MAX];
	size_t			used;	/* of store */
	char			store[CLI_AUDIT_LINE_MAX * 2];
};

enum cli_audit_parse {
	CLI_AUDIT_P_REC,	/* a structured record: rec is filled in */
	CLI_AUDIT_P_OTHER,	/* a sealpost line in words (a warning, a
				   start), or an empty line */
	CLI_AUDIT_P_BAD,	/* malformed or truncated: why says how */
};

/*
 * Parses one log line line[0..len) (no newline; not NUL-terminated) in
 * any form sealpostd writes (doc/design.md §9): log_file's
 * "2026-12-05T12:41:25+0000 smtpin[27367]: in id=...", syslog's
 * "Dec  5 12:41:25 host smtpin[27367]: ..." (journalctl's default),
 * journalctl -o short-iso's "2026-12-05T12:41:25+0000 host smtpin[1]: ...",
 * and after any of these, or alone, a JSON object (log_format json,
 * detected by its '{'). A syslog time has no year and no zone: it is
 * read as UTC in the latest year that does not put it more than a day
 * after ref (UTC seconds). Structured records are the events in, in-rcpt,
 * out, queued, bounce, auth, policy, admin and session; their values are
 * unescaped
 * (log_escape's quotes, \" \\ and \xHH). Returns what the line was; for
 * CLI_AUDIT_P_BAD *why is a static message. Pure.
 */
enum cli_audit_parse cli_audit_parse_line(const char *line, size_t len,
	    int64_t ref, struct cli_audit_rec *rec, const char **why);
/*
 * Reads the flat JSON object s[0..len) into rec's pairs (string, number,
 * true, false and null values, as text; an array of those gives one pair
 * per element; nested objects are refused), then takes "event", "ts",
 * "proc" out of it. Returns 0, or -1 with *why static. Pure.
 */
int	cli_audit_json_parse(const char *s, size_t len,
	    struct cli_audit_rec *rec, const char **why);
/*
 * An RFC 3339 time s[0..len) ("2026-12-05T12:41:25Z", with fractions,
 * "+0000" or "+00:00"; lower-case t and z, or a space for T; without a
 * zone it is UTC) into UTC seconds. Returns the octets read, or 0 when
 * s does not start with one. Pure.
 */
size_t	cli_audit_time(const char *s, size_t len, int64_t *t);
/*
 * A time of --since or --until: RFC 3339 as above, or YYYY-MM-DD (its
 * midnight UTC; for until, the end of that day). Returns 0, or -1. Pure.
 */
int	cli_audit_time_arg(const char *s, int until, int64_t *t);
/* The value of key's first pair, or NULL. Pure. */
const char *cli_audit_get(const struct cli_audit_rec *, const char *key);
/* Adds a pair to rec (copied into its store). Returns 0 or -1. Pure. */
int	cli_audit_rec_add(struct cli_audit_rec *, const char *key,
	    size_t keylen, const char *val, size_t vallen);

/* ---- the counters (cli_audit_agg.c; pure) ---- */

#define CLI_AUDIT_DOMAINS_MAX	1000	/* domains kept apart */
#define CLI_AUDIT_CLIENTS_MAX	1000	/* cleartext clients kept apart */
#define CLI_AUDIT_EVENTS_MAX	50	/* downgrade events kept in full */
#define CLI_AUDIT_BAD_MAX	10	/* malformed lines kept */
#define CLI_AUDIT_TALLY_MAX	16	/* names of a small tally */
#define CLI_AUDIT_NAME_MAX	48	/* a tally's name, cut */

/* RFC 8460 §4.3 result types, and one for anything else. */
enum cli_audit_fail {
	CLI_AUDIT_F_STARTTLS,		/* starttls-not-supported */
	CLI_AUDIT_F_HOST,		/* certificate-host-mismatch */
	CLI_AUDIT_F_EXPIRED,		/* certificate-expired */
	CLI_AUDIT_F_UNTRUSTED,		/* certificate-not-trusted */
	CLI_AUDIT_F_VALIDATION,		/* validation-failure */
	CLI_AUDIT_F_TLSA,		/* tlsa-invalid */
	CLI_AUDIT_F_DNSSEC,		/* dnssec-invalid */
	CLI_AUDIT_F_DANE_REQ,		/* dane-required */
	CLI_AUDIT_F_STS_FETCH,		/* sts-policy-fetch-error */
	CLI_AUDIT_F_STS_INVALID,	/* sts-policy-invalid */
	CLI_AUDIT_F_STS_WEBPKI,		/* sts-webpki-invalid */
	CLI_AUDIT_F_OTHER,
	CLI_AUDIT_F_N
};
/* The RFC 8460 name of f ("other" for CLI_AUDIT_F_OTHER). */
const char *cli_audit_fail_name(int f);

/* Names with up to four counters each; names past the cap add to other. */
struct cli_audit_tally {
	size_t		n;
	struct {
		char		name[CLI_AUDIT_NAME_MAX];
		uint64_t	v[4];
	}		row[CLI_AUDIT_TALLY_MAX];
	uint64_t	other[4];
};

/* Out and policy lines of one destination domain. */
struct cli_audit_dom {
	char		name[256];	/* lower case; "(other)" */
	uint64_t	result[5];	/* sent, deferred, bounced, expired,
					   other */
	uint64_t	fail[CLI_AUDIT_F_N];
	uint64_t	cleartext;	/* out lines with tls=none */
	uint64_t	downgrades;	/* downgrade events */
	char		policy_src[24];	/* the latest policy_src or src */
	char		policy[24];	/* the latest policy= */
	int64_t		first, last;	/* -1 when unknown */
	int		used;		/* a slot of the hash table */
};

enum cli_audit_ev {
	CLI_AUDIT_EV_RAISED,	/* policy result=raised (the memory) */
	CLI_AUDIT_EV_POLICY,	/* policy result=failed */
	CLI_AUDIT_EV_TLS,	/* out failure= (DANE, STS, TLS) */
	CLI_AUDIT_EV_CLEAR,	/* out tls=none: cleartext-ok used */
	CLI_AUDIT_EV_N
};

struct cli_audit_event {
	int64_t	ts;
	int	kind;			/* enum cli_audit_ev */
	char	domain[128];
	char	id[48];
	char	detail[128];
};

struct cli_audit_filter {
	int64_t		 since, until;	/* -1: none */
	const char	*domain;	/* NULL: any */
	const char	*id;		/* NULL: any */
};

struct cli_audit_client {
	char		name[64];
	uint64_t	n;		/* in lines with tls=none */
	uint64_t	sessions;	/* session lines with tls=none */
	int		used;
};

struct cli_audit {
	struct cli_audit_filter	 filter;
	uint64_t		 lines, records, other, bad, filtered;
	int64_t			 first, last;	/* of the records counted */
	struct {
		char		where[128];
		char		why[96];
	}			 bad_line[CLI_AUDIT_BAD_MAX];
	uint64_t		 events[10];	/* by cli_audit_event_names */
	/* inbound: in lines; v[0] accepted, v[1] refused, v[2] rcpts,
	   v[3] cleartext accepted */
	struct cli_audit_tally	 in_tls, in_listener;
	struct cli_audit_client	*clients;	/* CLI_AUDIT_CLIENTS_MAX */
	size_t			 nclients;
	uint64_t		 clients_other;
	uint64_t		 clients_total;	/* cleartext in lines */
	/*
	 * inbound: session lines (smtpin's one per connection; none in an
	 * older log); v[0] sessions, v[1] those that carried no message,
	 * v[2] messages (msgs=), v[3] refused at connect (result=refused)
	 */
	struct cli_audit_tally	 sess_tls, sess_listener;
	uint64_t		 clients_sessions;	/* cleartext sessions */
	/* outbound: out lines, v[0] */
	struct cli_audit_tally	 out_result, out_verify, out_src, out_policy;
	/* audit-only (sealpost-policy(7)): the failure that would have
	   deferred a delivery that went out anyway */
	struct cli_audit_tally	 out_would_defer;
	struct cli_audit_dom	*doms;	/* hash table, 2 * max_domains */
	size_t			 ndoms, domslots, max_domains;
	struct cli_audit_dom	 dom_other;
	/* the rest, v[0] */
	struct cli_audit_tally	 auth, bounce, admin, policy_result;
	uint64_t		 queued;
	/* downgrade events: all counted, the last CLI_AUDIT_EVENTS_MAX kept */
	uint64_t		 ev_count[CLI_AUDIT_EV_N];
	uint64_t		 ev_total;
	struct cli_audit_event	 ev[CLI_AUDIT_EVENTS_MAX];
};

/*
 * Makes an empty report for filter f (copied; its strings stay the
 * caller's) keeping at most max_domains domains apart (0: the default
 * CLI_AUDIT_DOMAINS_MAX). Returns 0, or -1 (ENOMEM).
 */
int	cli_audit_init(struct cli_audit *, const struct cli_audit_filter *f,
	    size_t max_domains);
/* Counts a record (filtered or not). Pure. */
void	cli_audit_add(struct cli_audit *, const struct cli_audit_rec *);
/* Counts a line that was not a record; 1 when it was malformed. */
void	cli_audit_note(struct cli_audit *, int bad, const char *file,
	    uint64_t lineno, const char *why);
/* Frees what cli_audit_init allocated. */
void	cli_audit_free(struct cli_audit *);
/*
 * The domains, most out lines first, then by name, as an array of
 * pointers into the report (the caller frees the array); *n its length.
 * Returns NULL with *n 0 when there are none or memory runs out.
 */
struct cli_audit_dom **cli_audit_domains(struct cli_audit *, size_t *n);
/* The names of the counters in events[]: in, in-rcpt, out...,
   session, other. */
extern const char *const cli_audit_event_names[10];

/* ---- the report (cli_audit_fmt.c; pure) ---- */
/*
 * The report appended to b: text for a person (top lists cut: 10
 * clients, 20 domains, the last 20 downgrade events), or with json one
 * JSON object (every domain and client kept, sealpost(8) documents it).
 * Returns 0, or -1 with errno ENOBUFS or ENOMEM.
 */
int	cli_audit_fmt(struct buf *b, struct cli_audit *, int json);

#endif
