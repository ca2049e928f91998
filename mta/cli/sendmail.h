/*
 * sendmail.h: the sendmail(8) command (sealpost-sendmail, also run as
 * mailq and newaliases): what its pure half (sendmail_args.c) decides
 * from the command line and the message's header, for its I/O half
 * (sendmail.c), which submits to the pickup socket (doc/design.md §3, §6).
 * RFC 5322 (header fields, address lists), RFC 5321 (the submission).
 * Linked by the sealpost-sendmail binary and its unit test.
 */
#ifndef SEALPOST_SENDMAIL_H
#define SEALPOST_SENDMAIL_H

#include <stddef.h>
#include <sysexits.h>

struct buf;

#define SENDMAIL_ADDR_MAX	320	/* an address, octets */
#define SENDMAIL_NAME_MAX	256	/* -F */
#define SENDMAIL_RCPT_MAX	1000	/* recipients of one message */
#define SENDMAIL_LINE_MAX	998	/* RFC 5322 §2.1.1, without CRLF */
/* input read beyond message_size_limit: line ends, the dot, what follows */
#define SENDMAIL_INPUT_SLACK	(64 * 1024)

/* The maildrop header (sendmail_drop.c, doc/design.md §6) */
#define SENDMAIL_DROP_VERSION	"sealpost-maildrop 1"
#define SENDMAIL_DROP_VALUE_MAX	4000	/* one header value, octets */
#define SENDMAIL_DROP_HDR_MAX	(256 * 1024)	/* the whole header */
/* the time line: from 2000-01-01 to a day after the parser's clock */
#define SENDMAIL_DROP_TIME_MIN	946684800LL
#define SENDMAIL_DROP_TIME_AHEAD	86400LL
/* sendmail_send's result when nothing listens on the pickup socket */
#define SENDMAIL_NODAEMON	(-1)
/* sendmail_send_input's how: nothing listening is SENDMAIL_NODAEMON */
#define SENDMAIL_SUBMIT_DROP	0x01
/*
 * ... and for the drain: any failure to connect is, and recipients
 * refused with a 5xx beside accepted ones do not stop the message:
 * SENDMAIL_PARTIAL, the drain child's exit code then (doc/design.md §6)
 */
#define SENDMAIL_SUBMIT_DRAIN	0x02
#define SENDMAIL_PARTIAL	9

enum sendmail_mode {
	SENDMAIL_MODE_SEND,	/* -bm, the default: a message on stdin */
	SENDMAIL_MODE_SMTP,	/* -bs: SMTP on stdin and stdout */
	SENDMAIL_MODE_QUEUE,	/* -bp, mailq: sealpost queue */
	SENDMAIL_MODE_ALIASES,	/* -bi, -I, newaliases: nothing to do */
	SENDMAIL_MODE_FLUSH,	/* -q: sealpost flush --all */
	SENDMAIL_MODE_DRAIN,	/* -bD: sealpostd's maildrop drain, root */
};

struct sendmail_opts {
	enum sendmail_mode	 mode;
	int			 extract;	/* -t */
	int			 dot_ends;	/* 0 with -i or -oi */
	int			 have_sender;	/* -f or -r given */
	/* -f: "" is the null sender <> */
	char			 sender[SENDMAIL_ADDR_MAX + 1];
	char			 fullname[SENDMAIL_NAME_MAX + 1];
	const char		*config;	/* -C, or NULL */
	int			 debug;		/* -d, only with -bD: log to
						   stderr */
	char *const		*rcpt;		/* operands, in argv */
	size_t			 nrcpt;
};

struct sendmail_rcpts {
	size_t			 n;
	char	 addr[SENDMAIL_RCPT_MAX][SENDMAIL_ADDR_MAX + 1];
};

/*
 * Parses the command line of sendmail(8) as Postfix's sendmail(1) takes
 * it (options clustered or not, values attached or separate, the
 * options Postfix ignores ignored, "--" ends them); the name it was run
 * as (argv[0]'s last component) chooses mailq or newaliases. rcpt points
 * into argv. Returns 0, or EX_USAGE with the reason in err. Pure.
 */
int	sendmail_args_parse(int argc, char *const argv[],
	    struct sendmail_opts *o, char *err, size_t errlen);

/*
 * Adds addr[0..len) to r, once (an address already there, compared
 * without case, is not added again). Returns 0, or -1 when it is empty,
 * too long, has a control byte or white space, or r is full. Pure.
 */
int	sendmail_rcpt_add(struct sendmail_rcpts *r, const char *addr,
	    size_t len);

/*
 * The length of the header section of msg[0..len) (CRLF lines): up to and
 * including the CRLF of the empty line that ends it, or len when the
 * message has no body. A first line that is no header field (no name and
 * colon) makes the section empty (0). Pure.
 */
size_t	sendmail_hdr_len(const char *msg, size_t len);

/*
 * Whether the header section hdr[0..len) has a field named name (no
 * case). Pure.
 */
int	sendmail_hdr_has(const char *hdr, size_t len, const char *name);

/*
 * -t: adds the addresses of the To, Cc and Bcc fields of hdr[0..len) to r
 * (the Resent-To, Resent-Cc and Resent-Bcc ones instead when any
 * Resent- field is present, as Postfix does), folded lines, groups,
 * comments, quoted strings and angle addresses understood (RFC 5322
 * §3.4). Returns 0, or -1 when a field cannot be parsed or r overflows,
 * with the reason in err. Pure.
 */
int	sendmail_hdr_rcpts(const char *hdr, size_t len,
	    struct sendmail_rcpts *r, char *err, size_t errlen);

/*
 * Adds the addresses of the address list v[0..len) (RFC 5322 §3.4: a
 * field's body, or one recipient operand of the command line, which may
 * be "Name <a@b>, c@d") to r. Returns 0, or -1 with the reason in err
 * (unclosed comment, quoted string, literal or angle address, a bad
 * address, r full). Pure.
 */
int	sendmail_addr_list(const char *v, size_t len,
	    struct sendmail_rcpts *r, char *err, size_t errlen);

/*
 * -t: removes the Bcc (and Resent-Bcc) fields, continuation lines
 * included, from hdr[0..len) in place. Returns the new length. Pure.
 */
size_t	sendmail_hdr_strip_bcc(char *hdr, size_t len);

/*
 * The next line of the input in[0..len) (len > 0): it ends at LF, CRLF or
 * a bare CR (each a line end in the local conventions; SMTP carries only
 * CRLF, and smtpin refuses the others, doc/design.md §6), and a line
 * longer than SENDMAIL_LINE_MAX octets is broken there (RFC 5322
 * §2.1.1), as Postfix breaks long lines. Sets *keep to the line's length
 * without its end and *used to the octets it took with its end. Returns
 * 1 when the line ends the message (a lone "." while dot_ends; the caller
 * passes 0 after a line that was broken, whose rest this is), 0 when it
 * is part of it, -1 when it has a NUL (binary data, which SMTP does not
 * carry). Pure.
 */
int	sendmail_line(const char *in, size_t len, int dot_ends, size_t *keep,
	    size_t *used);

/*
 * The header a maildrop file starts with (doc/design.md §6): the version
 * line, "time N" (when), "uid N" (the writer's getuid()), "flags
 * -|t|i|ti", "sender <a>" when -f was given, "fullname X" when -F was,
 * one "rcpt X" per recipient operand, "end"; every line ends in LF and no
 * value holds a control byte. The uid line proves nothing by itself: the
 * file's owner is who submitted it, and the drain refuses a file whose
 * uid line is not its owner's (a copy made by someone else).
 */
struct sendmail_drop {
	long long	 time;
	long long	 uid;
	int		 extract;
	int		 dot_ends;
	int		 have_sender;
	char		 sender[SENDMAIL_ADDR_MAX + 1];
	char		 fullname[SENDMAIL_NAME_MAX + 1];
	size_t		 nrcpt;
	/* the operands, as (offset, length) in the parsed input */
	size_t		 rcpt_off[SENDMAIL_RCPT_MAX];
	size_t		 rcpt_len[SENDMAIL_RCPT_MAX];
};

/*
 * Appends the maildrop header for the options o, the time when and the
 * writer's uid to out. Returns 0, or -1 when a value cannot be carried (a
 * control byte, too long, more than SENDMAIL_DROP_HDR_MAX in all, no
 * recipient and no -t) or out is full (errno from buf). Pure.
 */
int	sendmail_drop_write(struct buf *out, const struct sendmail_opts *o,
	    long long when, long long uid);

/*
 * Parses the maildrop header at the start of p[0..len) into d (the rcpt
 * operands as offsets into p) and sets *hlen to the offset of the message
 * after it. Strict: the version line, then the keys in the order above,
 * time, uid and flags present, only rcpt repeated, numbers without a
 * sign or a leading zero, the time within [SENDMAIL_DROP_TIME_MIN, now +
 * SENDMAIL_DROP_TIME_AHEAD], at most SENDMAIL_DROP_HDR_MAX octets.
 * Returns 0, or -1 with the reason in err. Pure.
 */
int	sendmail_drop_parse(const char *p, size_t len, long long now,
	    struct sendmail_drop *d, size_t *hlen, char *err, size_t errlen);

/* ---- the I/O half: sendmail.c and sendmail_maildrop.c ---- */
struct conf;

/* What a submission leaves for its caller besides its exit code. */
struct sendmail_result {
	char	reply[4096];	/* the final reply line, "" when none */
	int	conn_errno;	/* SENDMAIL_NODAEMON: connect's errno */
	char	path[512];	/* ... and the socket's path */
};

/*
 * sendmail.c: submits the message in[0..len) (standard input as read)
 * with the options o, as the calling user, as if dated when. With how
 * SENDMAIL_SUBMIT_DROP, a pickup socket that does not exist or refuses
 * the connection (ENOENT, ECONNREFUSED) returns SENDMAIL_NODAEMON with
 * nothing said; with SENDMAIL_SUBMIT_DRAIN any connection failure does,
 * and SENDMAIL_PARTIAL says the message went to the recipients smtpin
 * took while it refused others (5xx, each said on stderr). Otherwise,
 * and for every other failure, says why on stderr and returns the exit
 * code (0 when queued).
 */
int	sendmail_send_input(const struct sendmail_opts *o,
	    const struct conf *c, const char *in, size_t len, long long when,
	    int how, struct sendmail_result *res);

/*
 * sendmail_maildrop.c: writes in[0..len) with its header for o into a
 * new file of data_dir/maildrop, as the calling user: created O_EXCL,
 * O_NOFOLLOW under its final name with mode 0600 (incomplete), written,
 * fsynced, then mode 0700 (complete) and fsynced again. Returns 0, or -1
 * with the reason in why (the file removed).
 */
int	sendmail_maildrop_write(const struct sendmail_opts *o,
	    const struct conf *c, const char *in, size_t len, long long when,
	    char *why, size_t whylen);

/*
 * sendmail_maildrop.c: -bD, run by sealpostd as root: submits the
 * complete files of data_dir/maildrop, each as its owner, a few per
 * owner in turn (round robin over the owners' uids from a random first
 * one, each owner's oldest first, 120 s of children per owner), at most
 * SENDMAIL_DRAIN_BATCH a run; reads the whole directory, keeping only a
 * few files per owner in memory; removes what is no regular
 * single-link file; sets a refused file aside in maildrop-bad and tells
 * its owner by a notice; logs one maildrop line per file. SIGTERM ends
 * it after the file at hand. Returns an exit code.
 */
int	sendmail_maildrop_drain(const struct sendmail_opts *o, struct conf *c);

#endif
