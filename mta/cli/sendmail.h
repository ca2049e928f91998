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

#define SENDMAIL_ADDR_MAX	320	/* an address, octets */
#define SENDMAIL_NAME_MAX	256	/* -F */
#define SENDMAIL_RCPT_MAX	1000	/* recipients of one message */
#define SENDMAIL_LINE_MAX	998	/* RFC 5322 §2.1.1, without CRLF */

enum sendmail_mode {
	SENDMAIL_MODE_SEND,	/* -bm, the default: a message on stdin */
	SENDMAIL_MODE_SMTP,	/* -bs: SMTP on stdin and stdout */
	SENDMAIL_MODE_QUEUE,	/* -bp, mailq: sealpost queue */
	SENDMAIL_MODE_ALIASES,	/* -bi, -I, newaliases: nothing to do */
	SENDMAIL_MODE_FLUSH,	/* -q: sealpost flush --all */
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

#endif
