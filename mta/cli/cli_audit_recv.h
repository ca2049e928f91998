/*
 * cli_audit_recv.h: `sealpost audit --message`, the hop-by-hop TLS state
 * of a received message read from its Received: fields (RFC 5321 §4.4;
 * protocol names RFC 3848, RFC 6531 §3.7.3; doc/design.md §9). The pure
 * parts are cli_audit_recv.c (the header section, one Received field,
 * the date) and cli_audit_recv_fmt.c (the verdict, the report); the
 * command is cli_audit_msg.c, which reads a file, standard input, or a
 * queued message through sealpostd with cli_show_content (cli_show.c).
 * Linked by the sealpost binary, and the pure files by
 * tests/unit/test_cli_audit_recv and tests/fuzz/fuzz_cli_audit_recv.
 */
#ifndef SEALPOST_CLI_AUDIT_RECV_H
#define SEALPOST_CLI_AUDIT_RECV_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct cli;

/* octets of a message read; Received fields read */
#define CLI_AUDIT_RECV_HEAD_MAX		(256 * 1024)
#define CLI_AUDIT_RECV_HOPS_MAX		100
#define CLI_AUDIT_RECV_FIELD_MAX	(16 * 1024)	/* one, unfolded */
#define CLI_AUDIT_RECV_RAW_MAX		512	/* of a field, kept */

/* What one hop says about its transport. */
enum cli_audit_recv_tls {
	CLI_AUDIT_RECV_UNKNOWN,	/* says nothing (we know) */
	CLI_AUDIT_RECV_TLS,	/* a protocol name or a TLS clause */
	CLI_AUDIT_RECV_CLEAR,	/* (E)SMTP without a TLS clause */
	CLI_AUDIT_RECV_LOCAL,	/* LMTP, a local submission */
};

/* Where the TLS details came from (the forms real MTAs write). */
enum cli_audit_recv_form {
	CLI_AUDIT_RECV_F_NONE,	/* no TLS detail */
	CLI_AUDIT_RECV_F_PROTO,	/* only the protocol (ESMTPS, ...) */
	CLI_AUDIT_RECV_F_USING,	/* Postfix, sealpost: (using V with
				   cipher C (B/B bits) ...) */
	CLI_AUDIT_RECV_F_KV,	/* Sendmail, Google, Microsoft:
				   (version=V cipher=C bits=B) */
	CLI_AUDIT_RECV_F_COLON,	/* OpenSMTPD, older Exim: (V:C:B:x) */
	CLI_AUDIT_RECV_F_EXIM,	/* Exim: (V) tls C */
	CLI_AUDIT_RECV_F_BARE,	/* only (V), (TLS) */
};

struct cli_audit_recv_hop {
	enum cli_audit_recv_tls	 tls;
	enum cli_audit_recv_form form;
	char		from[256];	/* the from clause's name; "" */
	char		from_ip[64];	/* its [literal]; "" */
	char		by[256];	/* the by clause's name; "" */
	char		with[40];	/* the protocol as written */
	char		version[24];	/* "TLSv1.3" (normalised); "" */
	char		cipher[96];	/* "" when not said */
	int		bits;		/* -1 when not said */
	char		date[80];	/* after the last ';' */
	int64_t		ts;		/* that date, UTC; -1 */
	const char	*malformed;	/* NULL, or why (static) */
	char		raw[CLI_AUDIT_RECV_RAW_MAX];	/* cut */
};

struct cli_audit_recv {
	size_t		nhops;		/* hop[0]: the newest */
	struct cli_audit_recv_hop hop[CLI_AUDIT_RECV_HOPS_MAX];
	size_t		nreceived;	/* Received fields seen */
	size_t		nbad;		/* lines not a field */
	int		head_cut;	/* past HEAD_MAX */
	int		no_end;		/* no empty line */
	char		field[CLI_AUDIT_RECV_FIELD_MAX];	/* work */
};

/*
 * Reads the header section of the message msg[0..len) (CRLF or LF line
 * ends; a leading mbox "From " line is skipped; at most
 * CLI_AUDIT_RECV_HEAD_MAX octets are looked at) into r: every Received
 * field unfolded and parsed, the newest (topmost) first, at most
 * CLI_AUDIT_RECV_HOPS_MAX of them (the older ones are counted only).
 * Returns 0, or -1 with *why static when msg does not start with a
 * header field (empty, or not a message). Pure.
 */
int	cli_audit_recv_parse(const char *msg, size_t len,
	    struct cli_audit_recv *r, const char **why);
/*
 * Parses the unfolded value s[0..len) of one Received field (without
 * "Received:") into h: the from and by names, the with protocol, the TLS
 * details in any of the forms of enum cli_audit_recv_form, the date after
 * the last ';', and what the hop says (enum cli_audit_recv_tls). Returns
 * 0, or -1 when the field is malformed (h->malformed says why; what could
 * be read is filled in all the same). Pure.
 */
int	cli_audit_recv_hop(const char *s, size_t len,
	    struct cli_audit_recv_hop *h);
/*
 * An RFC 5322 date-time s[0..len) ("Mon, 1 Jan 2024 10:00:00 +0000",
 * the day name, the seconds and a trailing comment optional, obsolete
 * zone names and two-digit years read as RFC 5322 §4.3 says) into UTC
 * seconds. Returns 0, or -1. Pure.
 */
int	cli_audit_recv_date(const char *s, size_t len, int64_t *t);

/* ---- the verdict and the report (cli_audit_recv_fmt.c; pure) ---- */

/* The verdict over the hops. */
struct cli_audit_recv_verdict {
	size_t		ntls, nclear, nunknown, nlocal;
	size_t		clear[CLI_AUDIT_RECV_HOPS_MAX];	/* hops */
	/* 0 every hop that says said TLS (one at least), 1 a cleartext
	   hop, 2 nothing known */
	int		exit;
};
/*
 * Counts the hops of r into v. Hop numbers count from 1, the oldest
 * (bottom) Received field first, as the output lists them. Pure.
 */
void	cli_audit_recv_verdict(const struct cli_audit_recv *r,
	    struct cli_audit_recv_verdict *v);
/*
 * The report appended to b: one line per hop, oldest first, and the
 * verdict; with json one JSON object (sealpost(8) lists its members).
 * source names the message in the report (a file, "(stdin)", a queue
 * id). Every string of the message is cleaned for a terminal: control
 * and non-ASCII octets become '?'. Returns 0, or -1 with errno ENOBUFS
 * or ENOMEM. Pure.
 */
int	cli_audit_recv_fmt(struct buf *b, const struct cli_audit_recv *r,
	    const char *source, int json);

/*
 * sealpost audit --message FILE|-|ID [--json] (cli_audit_msg.c; argv[0]
 * is "audit"): the report of one message's Received chain. An argument
 * that is a valid queue id names a queued message, read through
 * sealpostd as `sealpost show` does; "-" is standard input; anything
 * else a file. Returns the verdict's exit (0, 1, 2), EX_USAGE,
 * EX_DATAERR (not a message), EX_NOINPUT (unreadable, no such message),
 * EX_UNAVAILABLE (sealpostd), EX_PROTOCOL, EX_IOERR or EX_OSERR.
 */
int	cli_audit_msg(struct cli *, int argc, char **argv);
/*
 * The content of queued message id through sealpostd (cli_show.c: the
 * query of `sealpost show`), appended to b up to the end of its header
 * or b's max. Returns 0, or an exit code (EX_NOINPUT: no such message;
 * EX_UNAVAILABLE, EX_PROTOCOL, EX_TEMPFAIL, EX_IOERR, EX_OSERR) after
 * saying why on standard error.
 */
int	cli_show_content(struct cli *, const char *id, struct buf *b);

#endif
