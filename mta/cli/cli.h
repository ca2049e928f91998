/*
 * cli.h: shared parts of the sealpost(8) command: exit codes, the
 * connection to sealpostd's control socket, and one entry per command.
 * Linked by the sealpost binary.
 */
#ifndef SEALPOST_CLI_H
#define SEALPOST_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

#include "lib/conf.h"

/*
 * Exit codes (sealpost(8), EXIT STATUS): 0 success (and --help,
 * --version), 1 the daemon reports a problem, EX_USAGE (64) bad command
 * line, EX_UNAVAILABLE (69) sealpostd cannot be reached, EX_OSERR (71) out
 * of memory, EX_PROTOCOL (76) the daemon answered nonsense, EX_NOPERM (77)
 * not allowed to use the control socket, EX_CONFIG (78) configuration
 * error. sealpost policy also: EX_NOHOST (68) nothing remembered for the
 * domain (--forget), EX_IOERR (74) the answer could not be written.
 */
#define CLI_EX_PROBLEM	1

/*
 * Where ./quickstart runs its development instance, relative to the
 * directory it is started in: `sealpost -u ./dev-run status` talks to it.
 */
#define CLI_DEVRUN	"./dev-run"

struct cli {
	struct conf	 conf;
	const char	*progname;
	const char	*file;		/* -f, or NULL */
	int		 argc;		/* the command and its arguments */
	char		**argv;
};

/*
 * Connects to the control socket of c->conf.run_dir. Returns the socket,
 * or exits with EX_UNAVAILABLE / EX_NOPERM and a message naming the path
 * (and, when sealpostd does not run at the default path but a development
 * instance runs in ./dev-run, the command that reaches it).
 */
int	cli_connect(struct cli *);
/* sealpost status: processes, pids, users, uptime. Returns an exit code. */
int	cli_status(struct cli *, int argc, char **argv);

/*
 * sealpost tlsa [--port N] [--all]: the TLSA records to publish for the
 * server's certificates, on standard output. Returns 0, EX_USAGE,
 * EX_CONFIG (no certificate file, not a certificate), EX_NOPERM (not
 * readable), EX_OSERR or EX_IOERR.
 */
int	cli_tlsa(struct cli *, int argc, char **argv);

/* ---- sealpost policy (cli_policy.c) ---- */
struct ipc_policy_query;
/*
 * sealpost policy [--json] DOMAIN, sealpost policy --forget DOMAIN: the
 * answer of the policy process on standard output. Returns 0, EX_NOHOST
 * (--forget: nothing remembered), EX_UNAVAILABLE (no daemon or policy
 * process, a timeout, a failure), EX_USAGE, EX_PROTOCOL or EX_IOERR.
 */
int	cli_policy(struct cli *, int argc, char **argv);
enum cli_policy_cmd {
	CLI_POLICY_RUN,		/* q is filled in */
	CLI_POLICY_HELP,	/* -h or --help alone */
	CLI_POLICY_USAGE,	/* a bad command line: err says why */
};
/*
 * The command line of sealpost policy (argv[0] is "policy"): fills q
 * (ctl 0, op, the domain as cli_policy_domain makes it) or err (a
 * NUL-terminated message, cut to errlen > 0). Pure.
 */
enum cli_policy_cmd cli_policy_args(int argc, char **argv,
	    struct ipc_policy_query *q, char *err, size_t errlen);
/*
 * Checks the domain arg and writes it lower case, without a final dot,
 * NUL-terminated into out: a host name of letters, digits, '-', '_' and
 * dots (no empty label, none over 63 or with '-' at either end, at most
 * 253 in all), or an address literal in brackets. Returns 0, or -1
 * with *why a static message. Pure.
 */
int	cli_policy_domain(const char *arg, char *out, size_t outlen,
	    const char **why);
/*
 * Replaces each control byte but newline and tab of text[0..len) with
 * '?', so that an answer cannot drive the terminal. Pure.
 */
void	cli_policy_clean(char *text, size_t len);
/* The exit code for the status of an answer's last frame. Pure. */
int	cli_policy_exit(int32_t status);

/* ---- sealpost queue and mailq (cli_queue.c, pure: cli_queue_fmt.c) ---- */
struct buf;
struct ipc_queue_query;
struct ipc_queue_item;
struct ipc_queue_rcpt;
/*
 * sealpost queue [--json] [--summary] [--domain D] [--state S[,S]]
 * [--failure TYPE] [--older-than DURATION]: the queue's listing, pulled
 * from sealpostd in batches and printed as it comes (doc/design.md §3).
 * Returns 0, EX_USAGE, EX_UNAVAILABLE (no daemon, the queue process not
 * running or failing, a timeout), EX_PROTOCOL, EX_IOERR or EX_OSERR.
 */
int	cli_queue(struct cli *, int argc, char **argv);
/*
 * The mailq(1) hook of main: when basename(argv[0]) is "mailq", replaces
 * *argcp and *argvp by the same command line with "queue" inserted after
 * argv[0] (storage kept until exit). Returns 1 when it did, 0 when the
 * name is another, -1 when memory runs out.
 */
int	cli_queue_mailq(int *argcp, char ***argvp);

#define CLI_QUEUE_WIDTH	80	/* columns when standard output is no
				   terminal */
enum cli_queue_cmd {
	CLI_QUEUE_RUN,		/* q and opts are filled in */
	CLI_QUEUE_HELP,		/* -h or --help */
	CLI_QUEUE_USAGE,	/* a bad command line: err says why */
};
struct cli_queue_opts {
	int	json;		/* --json */
	int	summary;	/* --summary */
	int	filtered;	/* a filter was given */
};
/*
 * The command line of sealpost queue (argv[0] is "queue"): fills q (ctl 0,
 * op IPC_QUEUE_LIST, max IPC_QUEUE_BATCH_MAX, after "", the filters;
 * older_than from now) and o, or err (NUL-terminated, cut to errlen > 0).
 * Pure.
 */
enum cli_queue_cmd cli_queue_args(int argc, char **argv, int64_t now,
	    struct ipc_queue_query *q, struct cli_queue_opts *o, char *err,
	    size_t errlen);
/*
 * A duration as sealpost.conf(5) writes one: a number of seconds with an
 * optional suffix s, m, h, d or w, at most 36500 days. Returns 0 with
 * *secs, or -1 with *why a static message. Pure.
 */
int	cli_queue_duration(const char *arg, int64_t *secs, const char **why);
/*
 * A comma-separated list of state names (pending, deferred, active,
 * held; any case) as bits 1 << enum ipc_queue_state. Returns 0, or -1 with *why.
 * Pure.
 */
int	cli_queue_states(const char *arg, uint32_t *bits, const char **why);
/*
 * The RFC 8460 §4.3 result type named by arg (any case), as a static
 * lower-case string, or NULL when arg names none. Pure.
 */
const char *cli_queue_failure_type(const char *arg);

/*
 * The reader of a listing's frames, one batch after the other: it checks
 * every frame (exact size, NUL-terminated strings, states, times, the
 * recipients an item announced, ids in increasing order, an END that
 * counts the batch and moves on) and says what it was. Pure.
 */
struct cli_queue_pager {
	struct ipc_queue_query	 *q;	/* the query; after is moved on */
	struct ipc_queue_item	 *item;	/* the current message */
	struct ipc_queue_rcpt	 *rcpt;	/* the last recipient */
	uint32_t		  rcpt_left;	/* of the current message */
	uint32_t		  items;	/* in this batch */
	int			  status;	/* of the END */
	char			  end_text[256];	/* its text */
	const char		 *why;	/* CLI_QUEUE_P_BAD: what is wrong */
};
enum cli_queue_p {
	CLI_QUEUE_P_ITEM,	/* a message: *item; complete when rcpt_left
				   is 0 */
	CLI_QUEUE_P_RCPT,	/* a recipient of it: *rcpt; the message is
				   complete when rcpt_left is 0 */
	CLI_QUEUE_P_NEXT,	/* the batch ended with more: send *q again */
	CLI_QUEUE_P_DONE,	/* the listing is complete */
	CLI_QUEUE_P_FAILED,	/* the queue could not list: end_text */
	CLI_QUEUE_P_ERROR,	/* IPC_CTL_ERROR from the master: its text */
	CLI_QUEUE_P_BAD,	/* a malformed frame: why */
};
/*
 * Starts reading the answers to q, which the caller keeps, with item
 * and rcpt as the storage for frames. Pure.
 */
void	cli_queue_pager_init(struct cli_queue_pager *, struct ipc_queue_query *,
	    struct ipc_queue_item *, struct ipc_queue_rcpt *);
/* Takes one frame (type, payload). Returns what it was. Pure. */
enum cli_queue_p cli_queue_pager_feed(struct cli_queue_pager *,
	    uint32_t type, const void *data, size_t len);

/* Counts of a listing, for its last line (cli_queue_fmt_total). */
struct cli_queue_tally {
	uint64_t	messages;
	uint64_t	size;		/* octets of those messages */
	uint64_t	state[4];	/* recipients per ipc_queue_state */
	uint64_t	omitted;	/* waiting recipients not listed */
};
/* Counts a message (and its omitted recipients), a recipient. Pure. */
void	cli_queue_tally_item(struct cli_queue_tally *,
	    const struct ipc_queue_item *);
void	cli_queue_tally_rcpt(struct cli_queue_tally *,
	    const struct ipc_queue_rcpt *);

/*
 * The output, appended to b (each returns 0, or -1 with errno ENOBUFS or
 * ENOMEM as buf_append; b stays the caller's). A message is
 * cli_queue_fmt_item, cli_queue_fmt_rcpt for each recipient (first set
 * for the first: JSON puts commas between them) and
 * cli_queue_fmt_item_end; with json, one line of JSON Lines, else a text
 * block under the column titles of cli_queue_fmt_head. The listing ends
 * with cli_queue_fmt_total (text only). Times are local for text, RFC
 * 3339 UTC for JSON; now is the time "next" is seen from; width is the
 * terminal's columns, at which a recipient's reason is cut. Pure (but
 * for the time zone that localtime_r reads).
 */
int	cli_queue_fmt_head(struct buf *b);
int	cli_queue_fmt_item(struct buf *b, const struct ipc_queue_item *,
	    int json);
int	cli_queue_fmt_rcpt(struct buf *b, const struct ipc_queue_rcpt *,
	    int json, int first, int64_t now, size_t width);
int	cli_queue_fmt_item_end(struct buf *b, const struct ipc_queue_item *,
	    int json);
int	cli_queue_fmt_total(struct buf *b, const struct cli_queue_tally *,
	    int filtered);
/*
 * s[0..len) as a JSON string (RFC 8259) in quotes: valid UTF-8 passes,
 * except the controls U+0000..U+001F and U+007F..U+009F and U+2028,
 * U+2029, which are escaped; each maximal ill-formed subsequence (Unicode
 * §3.9) becomes \ufffd. Pure.
 */
int	cli_queue_json_str(struct buf *b, const char *s, size_t len);
/*
 * ,"key": and the NUL-terminated s as cli_queue_json_str writes it (null
 * for "" when null_if_empty). Returns 0 or -1. Pure.
 */
int	cli_queue_json_field(struct buf *b, const char *key, const char *s,
	    int null_if_empty);
/*
 * ,"key": and t as an RFC 3339 time in UTC in quotes, or null for 0 when
 * null0. Returns 0, or -1 (errno EINVAL for a time gmtime_r cannot
 * take). Pure.
 */
int	cli_queue_json_time(struct buf *b, const char *key, int64_t t,
	    int null0);
/* Shared by cli_queue_fmt.c, cli_queue_opfmt.c and cli_queue_sum.c: */
/* Octets of a refused argument shown in an error. */
#define CLI_QUEUE_ARG_SHOW	80
/*
 * The value of option name at argv[*i]: "--name=value" or "--name value"
 * (then *i moves on). Returns it (NULL: not this option), and sets
 * *missing when the value is not there.
 */
const char *cli_queue_optval(int argc, char **argv, int *i, const char *name,
	    int *missing);
/* Whether s[0..size) holds a NUL. */
int	cli_queue_terminated(const char *s, size_t size);
/* "" for 1, else "s". */
const char *cli_queue_plural(uint64_t n);
/* The columns s[0..len) takes (a code point each). */
size_t	cli_queue_cols(const char *s, size_t len);
/* cli_queue_text_put for a NUL-terminated s. Returns 0 or -1. */
int	cli_queue_put(struct buf *b, const char *s, size_t max);
/*
 * s[0..len) for a terminal: control characters and ill-formed UTF-8
 * each become '?'; longer than max columns (0: no limit, max > 3
 * otherwise; a character is one column) it is cut to max - 3 and "..."
 * follows. Pure.
 */
int	cli_queue_text_put(struct buf *b, const char *s, size_t len,
	    size_t max);

/*
 * --summary: per destination domain of the waiting recipients, the
 * recipients, the messages, their octets and the most common failure
 * (the RFC 8460 type, else the enhanced status code). Only these
 * counters are kept, never the listing.
 */
struct cli_queue_sum;
/* Returns a new, empty summary, or NULL (ENOMEM). */
struct cli_queue_sum *cli_queue_sum_new(void);
/* The next message and its recipients. Return 0, or -1 (ENOMEM). */
int	cli_queue_sum_item(struct cli_queue_sum *,
	    const struct ipc_queue_item *);
int	cli_queue_sum_rcpt(struct cli_queue_sum *,
	    const struct ipc_queue_rcpt *);
/*
 * Sorts the domains (most recipients first, then by name) into *n rows
 * for cli_queue_fmt_sum_row; nothing may be added after. Returns 0, or
 * -1 (ENOMEM).
 */
int	cli_queue_sum_sort(struct cli_queue_sum *, size_t *n);
/*
 * The summary as cli_queue_fmt_item writes a message: head, rows 0 to
 * n - 1 (after cli_queue_sum_sort), tail (the totals, or "Mail queue is
 * empty"; with json the one object ends there).
 */
int	cli_queue_fmt_sum_head(struct buf *b, const struct cli_queue_sum *,
	    int json);
int	cli_queue_fmt_sum_row(struct buf *b, const struct cli_queue_sum *,
	    size_t i, int json);
int	cli_queue_fmt_sum_tail(struct buf *b, const struct cli_queue_sum *,
	    int json, int filtered);
/* Frees the summary and its counters; NULL is fine. */
void	cli_queue_sum_free(struct cli_queue_sum *);

/*
 * The next record of an IPC_QUEUE_DATA frame data[0..len) at *off (the
 * first after struct ipc_queue_data): its type, where its struct is and
 * how long (the struct its type names), *off moved past it. Returns 0,
 * or -1 when the record is cut or not an ITEM, RCPT or DONE. Pure.
 */
int	cli_queue_unpack(const uint8_t *data, size_t len, size_t *off,
	    uint32_t *type, const uint8_t **rec, size_t *reclen);

/* ---- flush, hold, release, delete, requeue (cli_queue_op.c, pure parts in
 * cli_queue_fmt.c) ---- */
struct ipc_queue_done;
/*
 * sealpost flush|hold|release|requeue [--json] [-v] ID ... | --domain D |
 * --all, sealpost delete [--bounce] ...: one operation on each message
 * named, or on every message of the selection, through sealpostd
 * (doc/design.md §3). Returns 0 (every message done, later or nothing
 * to do), EX_NOINPUT (an ID unknown), EX_TEMPFAIL (one failed),
 * EX_USAGE, EX_DATAERR (a bad ID; nothing sent), EX_UNAVAILABLE,
 * EX_NOPERM, EX_PROTOCOL, EX_IOERR or EX_OSERR.
 */
int	cli_queue_op(struct cli *, int argc, char **argv);
enum cli_queue_op_cmd {
	CLI_QUEUE_OP_RUN,	/* q and o are filled in */
	CLI_QUEUE_OP_HELP,	/* -h or --help */
	CLI_QUEUE_OP_USAGE,	/* a bad command line: err says why */
	CLI_QUEUE_OP_BADID,	/* an argument is no queue id: err says
				   which (sealpost: is to go before) */
};
struct cli_queue_op_opts {
	int		 op;		/* enum ipc_queue_op */
	int		 json;		/* --json */
	int		 verbose;	/* -v: a line per message of a
					   selection too */
	int		 selection;	/* --domain or --all */
	const char	**ids;		/* the caller's, argc entries */
	int		 nids;
};
/*
 * The command line of an operation (argv[0] is flush, hold, release,
 * delete or requeue): fills q (ctl 0, op, max IPC_QUEUE_BATCH_MAX, the
 * domain or all = 1; id is the caller's to set per ID) and o (o->ids must
 * point to argc entries, which take the IDs in order), or err
 * (NUL-terminated, cut to errlen > 0). Every ID is checked with
 * envelope_id_valid before it returns RUN. Pure.
 */
enum cli_queue_op_cmd cli_queue_op_args(int argc, char **argv,
	    struct ipc_queue_query *q, struct cli_queue_op_opts *o, char *err,
	    size_t errlen);
/*
 * Checks arg as a queue ID (envelope_id_valid). Returns 0, or -1 with err
 * (cut to errlen > 0) saying `cmd: "ARG": not a queue id (12 to 40
 * letters and digits)`, ARG escaped: '"' and '\' with a backslash,
 * control octets and non-ASCII as \xNN, cut after 64 octets. Pure.
 */
int	cli_queue_id_arg(const char *cmd, const char *arg, char *err,
	    size_t errlen);
/* The command word of an operation ("delete --bounce" for BOUNCE). */
const char *cli_queue_op_name(int op);
/*
 * Whether a DONE record checks: id of [0-9A-Za-z], 1..40, text
 * terminated, result an enum ipc_queue_result. Pure.
 */
int	cli_queue_done_ok(const struct ipc_queue_done *);
/*
 * What an operation did to one message: with json, one JSON object line
 * {"id","result","text"} appended to out; else a line on out (done,
 * later, noop: "ID: held", "ID: held once the delivery in progress
 * ends", "ID: nothing to do: not held") or on err (unknown, failed:
 * "ID: no such message in the queue", "ID: could not hold: text").
 * Returns 0 or -1 (errno as buf_append).
 */
int	cli_queue_fmt_done(struct buf *out, struct buf *err, int op,
	    const struct ipc_queue_done *, int json);
/*
 * The count of an operation, text only: "sealpost: 3 messages
 * deleted", with ", 1 of them once the delivery in progress ends" when
 * later > 0. Returns 0 or -1.
 */
int	cli_queue_fmt_op_total(struct buf *b, int op, uint64_t done,
	    uint64_t later);

/* ---- sealpost show (cli_show.c, pure: cli_show_fmt.c) ---- */
/*
 * sealpost show [--body] [--json] ID: the message's envelope, attempt
 * history and header (and body) from the files the queue process passes
 * (doc/design.md §3). Returns 0, EX_NOINPUT (no such message),
 * EX_TEMPFAIL (the queue could not), EX_USAGE, EX_DATAERR (a bad ID),
 * EX_UNAVAILABLE, EX_NOPERM, EX_PROTOCOL, EX_IOERR or EX_OSERR.
 */
int	cli_show(struct cli *, int argc, char **argv);
enum cli_show_cmd {
	CLI_SHOW_RUN,
	CLI_SHOW_HELP,
	CLI_SHOW_USAGE,		/* err says why */
	CLI_SHOW_BADID,		/* err says which, as cli_queue_id_arg */
};
struct cli_show_opts {
	int		 json;	/* --json */
	int		 body;	/* --body */
	const char	*id;	/* checked */
};
/* The command line of sealpost show (argv[0] is "show"). Pure. */
enum cli_show_cmd cli_show_args(int argc, char **argv, struct cli_show_opts *,
	    char *err, size_t errlen);
/* What cli_show_fmt formats: the files' bytes, as (ptr, len). */
struct cli_show_in {
	const char	*env;		/* the envelope's text form */
	size_t		 envlen;
	const char	*hist;		/* history lines, in file order */
	size_t		 histlen;
	const char	*content;	/* the message, or its start: at
					   least the header */
	size_t		 contentlen;
	int		 active;	/* being delivered now */
	int		 body;		/* --body: the content whole */
	int		 json;
	int64_t		 now;		/* for "2 h 5 min ago" */
};
/*
 * The whole show output appended to b: text (local times) or one JSON
 * object line (RFC 3339 UTC times). Returns 0; -1 with errno ENOBUFS or
 * ENOMEM; -2 when the envelope does not parse (why says where, cut to
 * whysize > 0). Pure (but for the time zone localtime_r reads).
 */
int	cli_show_fmt(struct buf *b, const struct cli_show_in *, char *why,
	    size_t whysize);
/*
 * How much of content[0..len) is the header: up to and including the
 * first empty line (CRLF or LF), or all of it when there is none. Pure.
 */
size_t	cli_show_header_len(const char *content, size_t len);

#endif
