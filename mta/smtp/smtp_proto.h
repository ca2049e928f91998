/*
 * smtp_proto.h: pure SMTP line handling (RFC 5321 §4.1, §4.2, §4.5.3;
 * RFC 2034 / RFC 3463 enhanced status codes): the server's command line
 * parser and reply formatter, and the client's reply line parser and
 * multiline reply accumulator.  Linked by smtpin (commands, replies) and
 * smtpout (reply parsing).
 *
 * Reply codes chosen for command lines:
 *   line over its limit (512 octets with CRLF, more for MAIL and RCPT
 *   when extensions that add parameters were advertised, see
 *   smtp_proto_line_max)                  500 5.5.2 "Line too long"
 *   CR, LF or NUL inside the line         500 5.5.2
 *   unknown verb                          500 5.5.2 "Error: command not recognized"
 *   argument where none is allowed,
 *   missing or malformed argument         501 5.5.4
 *   "MAIL" not followed by " FROM:" etc.  501 5.5.2 "Syntax: MAIL FROM:<address>"
 */
#ifndef SEALPOST_SMTP_PROTO_H
#define SEALPOST_SMTP_PROTO_H

#include <stddef.h>

#include "reason.h"

#define SMTP_PROTO_LINE_MAX	512	/* command line with CRLF, §4.5.3.1.4 */

/* Extensions the server advertised (EHLO), for smtp_proto_line_max. */
#define SMTP_PROTO_EXT_SIZE		0x01
#define SMTP_PROTO_EXT_8BITMIME		0x02
#define SMTP_PROTO_EXT_DSN		0x04
#define SMTP_PROTO_EXT_SMTPUTF8		0x08
#define SMTP_PROTO_EXT_REQUIRETLS	0x10
#define SMTP_PROTO_EXT_AUTH		0x20
/* The longest line any command may have whatever was advertised. */
#define SMTP_PROTO_LINE_MAX_EXT		(SMTP_PROTO_LINE_MAX + 26 + 16 + 100 + \
					 10 + 11 + 500)
#define SMTP_PROTO_REPLY_MAX	512	/* reply line we send, with CRLF,
					   §4.5.3.1.5 */
#define SMTP_PROTO_DOMAIN_MAX	255	/* HELO/EHLO argument */

enum smtp_proto_verb {
	SMTP_PROTO_NONE = 0,
	SMTP_PROTO_HELO,
	SMTP_PROTO_EHLO,
	SMTP_PROTO_MAIL,
	SMTP_PROTO_RCPT,
	SMTP_PROTO_DATA,
	SMTP_PROTO_RSET,
	SMTP_PROTO_NOOP,
	SMTP_PROTO_QUIT,
	SMTP_PROTO_VRFY,
	SMTP_PROTO_HELP,
	SMTP_PROTO_STARTTLS,
	SMTP_PROTO_AUTH,
	SMTP_PROTO_BDAT		/* known, not offered: caller answers 502 */
};

/*
 * A parsed command.  arg points into the caller's line (not
 * NUL-terminated); arglen == 0 when there is no argument.
 *   HELO/EHLO: the domain or address literal, syntax-checked.
 *   MAIL/RCPT: the text after "FROM:" / "TO:" (and one optional SP),
 *              unchecked: feed it to smtp_addr_parse_arg(), which
 *              wants it to start with '<'.
 *   VRFY/AUTH: the rest of the line after the SP (non-empty).
 *   BDAT:      the rest of the line, unchecked.
 *   NOOP/HELP: the optional string, unchecked.
 *   DATA RSET QUIT STARTTLS: none.
 */
struct smtp_proto_cmd {
	enum smtp_proto_verb	 verb;
	const char		*arg;
	size_t			 arglen;
};

/*
 * The longest command line (with CRLF) allowed for the command that line
 * starts with, when the extensions ext (SMTP_PROTO_EXT_*) were
 * advertised: RFC 5321 §4.5.3.1.4 allows 512 octets and lets extensions
 * raise it; MAIL gets 26 more with SIZE (RFC 1870), 16 with 8BITMIME
 * (RFC 6152), 100 with DSN (RFC 3461 §4), 10 with SMTPUTF8 (RFC 6531),
 * 11 with REQUIRETLS (room for its keyword) and 500 with AUTH (RFC
 * 4954); RCPT 500 with DSN and 10 with SMTPUTF8. line need not be
 * complete: the verb at its start decides. Pure.
 */
size_t	smtp_proto_line_max(const char *line, size_t len, unsigned ext);

/*
 * Parses one command line given WITHOUT its CRLF; line need not be
 * NUL-terminated, len may exceed the limit (it is then rejected; ext as
 * for smtp_proto_line_max).  The
 * verb is case-insensitive and ends at SP or end of line.  The argument
 * follows exactly one SP.  Commands taking no argument tolerate trailing
 * SPs (seen from real clients); any other text is 501 5.5.4.  MAIL/RCPT
 * accept "FROM:<a@b>" and, like Postfix, one SP after the colon
 * ("FROM: <a@b>"); keywords are case-insensitive.
 * Returns 0 and fills *out, or -1 and fills *why (if not NULL) with the
 * reply to send (see the table above).  Nothing is allocated.
 */
int	smtp_proto_parse_cmd(const char *line, size_t len, unsigned ext,
	    struct smtp_proto_cmd *out, struct reason *why);

/* Returns the upper-case name of a verb ("EHLO"), "?" if unknown. */
const char *smtp_proto_verb_name(enum smtp_proto_verb);

/*
 * Formats a reply into buf[0..size): each of lines[0..nlines) becomes
 * "CODE-DSN TEXT\r\n", the last one with SP instead of '-'.  dsn may be
 * NULL or "" (no enhanced status, e.g. the greeting); otherwise it must
 * be a well-formed RFC 3463 status whose class equals code's first digit.
 * nlines == 0 yields one line "CODE[ DSN]\r\n"; an empty text likewise.
 * Texts are NUL-terminated and may hold only SP, HT and printable ASCII;
 * each output line must fit SMTP_PROTO_REPLY_MAX octets with CRLF.
 * Returns the length written (buf is also NUL-terminated), or -1 if code
 * is not 200..599, dsn or a text is invalid, or buf is too small.
 */
int	smtp_proto_reply(char *buf, size_t size, int code, const char *dsn,
	    const char *const *lines, size_t nlines);

/* Convenience: the one-line reply for a struct reason.  Same returns. */
int	smtp_proto_reply_reason(char *buf, size_t size,
	    const struct reason *why);

#define SMTP_PROTO_REPLY_LINE_MAX	2048	/* accepted from peers; tolerant
						   like Postfix's line limit */

/*
 * Parses one reply line given without its CRLF (client side).  Strict:
 * exactly three digits (first 2-5, second 0-5, RFC 5321 §4.2), then SP,
 * '-' or the end of the line; no CR, LF or NUL anywhere; at most
 * SMTP_PROTO_REPLY_LINE_MAX octets.  On success returns 0, sets *code,
 * *more (1 if '-' follows the code, i.e. more lines come), and *text /
 * *textlen to the text after the separator (pointing into line, length
 * 0 if none).  Returns -1 if malformed; outputs are then unspecified.
 */
int	smtp_proto_parse_reply_line(const char *line, size_t len, int *code,
	    int *more, const char **text, size_t *textlen);

#define SMTP_PROTO_ACC_LINES	100	/* lines in one reply */
#define SMTP_PROTO_ACC_TEXT	8192	/* octets of text in one reply */

enum smtp_proto_acc_status {
	SMTP_PROTO_ACC_ERROR = -1,	/* malformed; acc->error says why */
	SMTP_PROTO_ACC_MORE = 0,	/* feed the next line */
	SMTP_PROTO_ACC_DONE = 1		/* the reply is complete */
};

/*
 * Collects a (multiline) reply.  The texts of its lines are stored one
 * after another (no separators); line i is text[off[i]..off[i]+len[i]).
 * No allocation: the struct is self-contained (about 9 KB).
 */
struct smtp_proto_reply_acc {
	int		 code;		/* valid once a line was fed */
	int		 done;
	size_t		 nlines;
	size_t		 textlen;
	size_t		 off[SMTP_PROTO_ACC_LINES];
	size_t		 len[SMTP_PROTO_ACC_LINES];
	char		 text[SMTP_PROTO_ACC_TEXT];
	const char	*error;		/* static text after ACC_ERROR */
};

/* Resets acc for a new reply. */
void	smtp_proto_reply_acc_init(struct smtp_proto_reply_acc *acc);

/*
 * Feeds one reply line without CRLF.  Returns SMTP_PROTO_ACC_MORE until
 * the last line (code followed by SP or end) arrives, then
 * SMTP_PROTO_ACC_DONE.  Returns SMTP_PROTO_ACC_ERROR, with acc->error
 * set to a static string, if the line is malformed, its code differs
 * from the first line's, the line or size cap is passed, or acc was
 * already done or had failed (init again first); the caller should then
 * treat the peer as broken (e.g. defer with 4.4.2).
 */
enum smtp_proto_acc_status smtp_proto_reply_acc_feed(
	    struct smtp_proto_reply_acc *acc, const char *line, size_t len);

/*
 * Recognizes an enhanced status code (RFC 2034) at the start of a reply
 * text: "X.Y.Z" followed by SP or the end, X the same as code's first
 * digit.  Returns 1 and copies it NUL-terminated into dsn[16] (and sets
 * *skip to the octets to skip, separator included), or 0 if there is
 * none (dsn = "", *skip = 0).
 */
int	smtp_proto_reply_dsn(const char *text, size_t len, int code,
	    char dsn[16], size_t *skip);

#endif
