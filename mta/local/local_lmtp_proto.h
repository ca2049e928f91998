/*
 * local_lmtp_proto.h: the pure client half of LMTP (RFC 2033) for local
 * delivery to a mail store such as Dovecot (doc/design.md §1.5, §12):
 * the LHLO capabilities (RFC 2033 §4.1, RFC 3207, RFC 2920, RFC 1870,
 * RFC 6152, RFC 6531, RFC 2034), the transaction as a machine that
 * says what to send and takes the bytes the server answers (MAIL, one
 * RCPT per recipient, DATA, the content, then ONE reply per accepted
 * recipient after the final dot, RFC 2033 §4.2), PIPELINING (RFC
 * 2920), the per-recipient results (sent, deferred, bounced with code,
 * RFC 3463 status and text), and the dot-stuffing of the content (RFC
 * 5321 §4.5.2, CRLF kept). No I/O, nothing allocated: the caller (the
 * local process) reads, writes, times out and does the TLS handshake.
 * Linked by local and its unit tests.
 */
#ifndef SEALPOST_LOCAL_LMTP_PROTO_H
#define SEALPOST_LOCAL_LMTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "smtp/smtp_proto.h"

/* Capabilities the server announced in its LHLO reply. */
#define LOCAL_LMTP_STARTTLS	0x01
#define LOCAL_LMTP_PIPELINING	0x02
#define LOCAL_LMTP_SIZE		0x04
#define LOCAL_LMTP_8BITMIME	0x08
#define LOCAL_LMTP_SMTPUTF8	0x10
#define LOCAL_LMTP_ENHANCED	0x20

struct local_lmtp_caps {
	unsigned	ext;		/* LOCAL_LMTP_* */
	uint64_t	size;		/* SIZE limit; 0 = none announced */
};

/*
 * Reads the capabilities from a complete LHLO reply (acc done): the
 * first line is the greeting, every other line "keyword [params]",
 * keywords case-insensitive, unknown ones ignored, a SIZE whose
 * parameter is not a number ignored. Returns 0, or -1 when the reply is
 * not a 250 (out is then all zero). Pure.
 */
int	local_lmtp_lhlo_parse(const struct smtp_proto_reply_acc *acc,
	    struct local_lmtp_caps *out);

/* What happened to one recipient. */
enum local_lmtp_status {
	LOCAL_LMTP_OPEN = 0,		/* not decided yet */
	LOCAL_LMTP_SENT,		/* the store took it (2xx after dot) */
	LOCAL_LMTP_DEFERRED,		/* 4xx, or we could not finish: retry */
	LOCAL_LMTP_BOUNCED		/* 5xx: permanent */
};

struct local_lmtp_result {
	enum local_lmtp_status	status;
	struct reason		why;	/* the reply: code, dsn, text */
};

/* The message as the transaction needs it; all NUL-terminated. */
struct local_lmtp_msg {
	const char		*lhlo;		/* our host name */
	const char		*from;		/* reverse path, "" = <> */
	const char *const	*rcpt;		/* the recipients' addresses */
	size_t			 nrcpt;
	uint64_t		 size;		/* content octets, for SIZE= */
	int			 body8;		/* BODY=8BITMIME was given */
	int			 smtputf8;	/* SMTPUTF8 was given */
	int			 starttls;	/* TLS is required (TCP to
						   anything but loopback):
						   the caller decides */
};

/* What the caller does next (local_lmtp_next). */
enum local_lmtp_act {
	LOCAL_LMTP_A_SEND,	/* write out[0..outlen), call next again */
	LOCAL_LMTP_A_READ,	/* read, give the bytes to local_lmtp_input
				   (or end of file, a timeout, an error to
				   local_lmtp_lost), call next again */
	LOCAL_LMTP_A_BODY,	/* write the content through the dot
				   encoder and its end, call next again */
	LOCAL_LMTP_A_TLS,	/* check that no byte is waiting on the
				   socket, do the handshake and the check,
				   then local_lmtp_tls_done (or
				   local_lmtp_abort), call next again */
	LOCAL_LMTP_A_DONE	/* every result is final: close */
};

#define LOCAL_LMTP_CMD_MAX	1024	/* room next wants for a command */
#define LOCAL_LMTP_WINDOW	100	/* commands in flight with
					   PIPELINING */
#define LOCAL_LMTP_RCPT_MAX	100000	/* recipients in one transaction */

enum local_lmtp_state {
	LOCAL_LMTP_S_GREETING = 0,
	LOCAL_LMTP_S_LHLO,
	LOCAL_LMTP_S_STARTTLS,
	LOCAL_LMTP_S_TLS,		/* handshake with the caller */
	LOCAL_LMTP_S_TXN,		/* MAIL, RCPT, DATA */
	LOCAL_LMTP_S_BODY,		/* content with the caller */
	LOCAL_LMTP_S_DOT,		/* the replies after the dot */
	LOCAL_LMTP_S_QUIT,
	LOCAL_LMTP_S_DONE
};

/*
 * One transaction on one connection. Self-contained (about 12 KB): the
 * reply accumulator and the partial line are kept inside.
 */
struct local_lmtp {
	enum local_lmtp_state		 state;
	const struct local_lmtp_msg	*msg;
	struct local_lmtp_result	*res;		/* msg->nrcpt of them */
	unsigned char			*accepted;	/* per recipient,
							   caller's */
	struct local_lmtp_caps		 caps;
	int				 tls;		/* TLS is on */
	int				 offered_tls;	/* first LHLO offered
							   STARTTLS */
	int				 lhlo_done;	/* LHLO was answered */
	int				 sent;		/* the command of this
							   state is written */
	/* the transaction: MAIL, the RCPTs, DATA */
	int				 mail_sent;
	int				 mail_answered;
	int				 mail_failed;
	int				 data_sent;
	size_t				 inflight;	/* not answered yet */
	size_t				 rsend;		/* next recipient to
							   send */
	size_t				 rans;		/* next recipient
							   whose reply is due */
	size_t				 nrs;		/* RCPTs written */
	size_t				 nra;		/* RCPT replies taken */
	size_t				 naccepted;
	size_t				 ndot;		/* replies after the
							   dot taken */
	size_t				 dotnext;	/* the recipient the
							   next one is for */
	int				 closing;	/* done without QUIT */
	const char			*protoerr;	/* what went wrong,
							   or NULL */
	struct smtp_proto_reply_acc	 acc;
	char				 line[SMTP_PROTO_REPLY_LINE_MAX + 2];
	size_t				 linelen;
};

/*
 * Starts a transaction for msg (kept by pointer, like its strings, until
 * the end) writing each recipient's result into res[0..msg->nrcpt) and
 * using accepted[0..msg->nrcpt) as scratch (both the caller's). Every
 * result starts LOCAL_LMTP_OPEN. Returns 0, or -1 when msg is unusable
 * (no recipient, more than LOCAL_LMTP_RCPT_MAX, lhlo or from empty,
 * too long or with a byte that cannot stand in a command): why is then
 * filled and nothing else happened.
 */
int	local_lmtp_init(struct local_lmtp *, const struct local_lmtp_msg *msg,
	    struct local_lmtp_result *res, unsigned char *accepted,
	    struct reason *why);

/*
 * What to do next. For LOCAL_LMTP_A_SEND the command (with CRLF) is in
 * out[0..*outlen), size at least LOCAL_LMTP_CMD_MAX (smaller: every
 * open recipient is deferred and A_DONE returned). A recipient whose
 * command cannot be written (a CR, LF, '<', '>' or control byte, or too
 * long) is bounced 550 5.1.3 and never sent. With PIPELINING, MAIL, the
 * RCPTs and DATA go out without waiting (at most LOCAL_LMTP_WINDOW
 * unanswered); without it, one at a time. Pure.
 */
enum local_lmtp_act local_lmtp_next(struct local_lmtp *, char *out,
	    size_t size, size_t *outlen);

/*
 * The bytes the server sent, in any chunks. Lines are split at CRLF
 * (a bare LF is taken as a line end too), collected into replies, and
 * each complete reply moves the transaction. Returns 0, or -1 when the
 * conversation is over early: a malformed reply, more than 2048 octets
 * in a line, bytes when no reply is due (a reply too many: the count
 * after the dot is out of step), bytes after the 220 to STARTTLS
 * (injection), 421: every open recipient is then deferred 451 4.4.2
 * (4.7.5 for injection; the 421's own text for 421) and next returns
 * A_DONE.
 */
int	local_lmtp_input(struct local_lmtp *, const char *buf, size_t len);

/*
 * The connection ended (end of file, an error, a timeout) while in
 * what: every open recipient is deferred 451 4.4.2 "lost connection
 * with the LMTP server while <what>" (after the dot a recipient may
 * have been delivered already: the queue delivers it again, the
 * at-least-once rule of doc/design.md §1.7). next then returns A_DONE.
 */
void	local_lmtp_lost(struct local_lmtp *, const char *what);

/*
 * Ends the transaction with why for every open recipient (deferred for
 * a 4xx code, bounced for 5xx), e.g. a failed TLS handshake (451 4.7.5)
 * or a failed read of the content. next then returns A_DONE.
 */
void	local_lmtp_abort(struct local_lmtp *, const struct reason *why);

/*
 * The TLS handshake after A_TLS succeeded and the session passed its
 * check: LHLO is sent again and its capabilities replace the first
 * ones (RFC 3207 §4.2).
 */
void	local_lmtp_tls_done(struct local_lmtp *);

/* Did the first LHLO offer STARTTLS? (for the log and the lead's rule) */
int	local_lmtp_offered_starttls(const struct local_lmtp *);

/*
 * Why the conversation went wrong (a reply out of step, a malformed
 * line, QUIT not answered 221), or NULL: for the log. Results already
 * final are kept.
 */
const char *local_lmtp_protoerr(const struct local_lmtp *);

#endif
