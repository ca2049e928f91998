/*
 * smtpout_proto.h: the pure decisions and encodings of sealpost's SMTP
 * client (doc/design.md §1.5): the EHLO capabilities (RFC 5321 §4.1.1.1,
 * RFC 3207, RFC 2920, RFC 1870, RFC 6152, RFC 6531, RFC 3461, RFC 8689,
 * RFC 4954, RFC 2034), the MAIL and RCPT parameters with xtext (RFC 3461
 * §4), the dot-stuffing encoder of DATA (RFC 5321 §4.5.2), base64 for
 * AUTH (RFC 4648), a line of smtpout_auth_file, and the one mapping from
 * a failed host to the recipients' deferral (RFC 3463, RFC 8460 result
 * types). No I/O, nothing allocated.
 * Linked by smtpout and its unit tests.
 */
#ifndef SEALPOST_SMTPOUT_PROTO_H
#define SEALPOST_SMTPOUT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "smtp/smtp_proto.h"

/* Capabilities a peer announced in its EHLO reply. */
#define SMTPOUT_PROTO_STARTTLS		0x001
#define SMTPOUT_PROTO_PIPELINING	0x002
#define SMTPOUT_PROTO_SIZE		0x004
#define SMTPOUT_PROTO_8BITMIME		0x008
#define SMTPOUT_PROTO_SMTPUTF8		0x010
#define SMTPOUT_PROTO_DSN		0x020
#define SMTPOUT_PROTO_REQUIRETLS	0x040
#define SMTPOUT_PROTO_AUTH		0x080
#define SMTPOUT_PROTO_ENHANCED		0x100

/* AUTH mechanisms we can use. */
#define SMTPOUT_PROTO_AUTH_PLAIN	0x01
#define SMTPOUT_PROTO_AUTH_LOGIN	0x02

struct smtpout_proto_ehlo {
	unsigned	ext;		/* SMTPOUT_PROTO_* */
	uint64_t	size;		/* SIZE limit; 0 = none announced */
	unsigned	auth;		/* SMTPOUT_PROTO_AUTH_* */
};

/*
 * Reads the capabilities from a complete EHLO reply (acc done). The
 * first line is the greeting and names no keyword; every other line is
 * "keyword [params]", keywords case-insensitive; unknown keywords are
 * ignored, and so is a SIZE whose parameter is not a number. Returns 0,
 * or -1 when the reply is not a 250 (out is then all zero). Pure.
 */
int	smtpout_proto_ehlo_parse(const struct smtp_proto_reply_acc *acc,
	    struct smtpout_proto_ehlo *out);

/*
 * Encodes src as xtext (RFC 3461 §4: '+', '=' and everything outside
 * '!'..'~' as "+HH") into dst[0..size), NUL-terminated. Returns the
 * length, or -1 when dst is too small.
 */
int	smtpout_proto_xtext(char *dst, size_t size, const char *src);

/* What the MAIL parameters are made from (the job's envelope facts). */
struct smtpout_proto_mail {
	uint64_t	 size;		/* content octets */
	int		 body8;		/* BODY=8BITMIME was given */
	int		 smtputf8;
	int		 requiretls;
	int		 ret;		/* enum envelope_ret */
	const char	*envid;		/* decoded, "" if none */
};

/*
 * Writes the parameters of MAIL (each preceded by SP, possibly none)
 * for a peer with capabilities ext into dst[0..size), NUL-terminated:
 * SIZE= if SIZE, BODY=8BITMIME if body8 and 8BITMIME, SMTPUTF8 if
 * smtputf8 (the caller has checked the peer offers it), REQUIRETLS if
 * requiretls and offered, RET= and ENVID= (xtext) if DSN. The command
 * verb and path are the gate's own (smtpout_txn.c). Returns the
 * length, or -1 if dst is too small.
 */
int	smtpout_proto_mail_params(char *dst, size_t size,
	    const struct smtpout_proto_mail *m, unsigned ext);

/*
 * Writes "RCPT TO:<addr>[ NOTIFY=..][ ORCPT=..]\r\n" into dst[0..size):
 * NOTIFY (ENVELOPE_NOTIFY_* bits; 0 = none given) and ORCPT ("type;addr",
 * the address part as xtext) only if ext has DSN. Returns the length, or
 * -1 when dst is too small or addr is empty.
 */
int	smtpout_proto_rcpt(char *dst, size_t size, const char *addr,
	    unsigned notify, const char *orcpt, unsigned ext);

/*
 * Base64 (RFC 4648 §4, with padding) of src[0..len) into dst[0..size),
 * NUL-terminated. Returns the length, or -1 when dst is too small.
 */
int	smtpout_proto_base64(char *dst, size_t size, const void *src,
	    size_t len);

#define SMTPOUT_PROTO_CRED_MAX	256	/* user name, password */

/* One line of smtpout_auth_file: `host[:port] username password`. */
struct smtpout_proto_cred {
	char		host[256];	/* lower case */
	unsigned	port;		/* 0 = any port */
	char		user[SMTPOUT_PROTO_CRED_MAX];
	char		pass[SMTPOUT_PROTO_CRED_MAX];
};

/*
 * Parses one line (without its LF) of smtpout_auth_file. White space
 * separates host[:port] and the user name; the password is the rest of
 * the line after the white space that follows the user name (trailing
 * CR and white space removed). Returns 1 with *out filled, 0 for a blank
 * or comment ('#' first) line, -1 if malformed (why says how, without
 * the secret).
 */
int	smtpout_proto_cred_parse(const char *line, size_t len,
	    struct smtpout_proto_cred *out, const char **why);

/* Why a host (one address of it) could not take the mail. */
enum smtpout_proto_fail {
	SMTPOUT_PROTO_F_NONE = 0,
	SMTPOUT_PROTO_F_NOADDR,		/* the plan has no address for it */
	SMTPOUT_PROTO_F_CONNECT,	/* connect(2) failed */
	SMTPOUT_PROTO_F_TIMEOUT,	/* a phase timed out */
	SMTPOUT_PROTO_F_LOST,		/* the peer closed or reset */
	SMTPOUT_PROTO_F_MALFORMED,	/* a reply we do not understand */
	SMTPOUT_PROTO_F_REPLY,		/* it refused: greeting, EHLO, 421 */
	SMTPOUT_PROTO_F_STARTTLS,	/* starttls-not-supported */
	SMTPOUT_PROTO_F_TLS,		/* handshake failed */
	SMTPOUT_PROTO_F_INJECTED,	/* plaintext after STARTTLS's 220 */
	SMTPOUT_PROTO_F_UNTRUSTED,	/* certificate-not-trusted */
	SMTPOUT_PROTO_F_EXPIRED,	/* certificate-expired */
	SMTPOUT_PROTO_F_HOSTNAME,	/* certificate-host-mismatch */
	SMTPOUT_PROTO_F_FINGERPRINT,	/* no listed digest matches */
	SMTPOUT_PROTO_F_UNIMPLEMENTED,	/* DANE, MTA-STS: next issue */
	SMTPOUT_PROTO_F_AUTH,		/* AUTH refused or not offered */
	SMTPOUT_PROTO_F_REQUIRETLS,	/* REQUIRETLS not offered: 5.7.30 */
	SMTPOUT_PROTO_F_REQUIRETLS_AUTH, /* REQUIRETLS, but the host is not
					   authenticated by DANE or MTA-STS
					   (RFC 8689 §4.2.1): 5.7.30 */
	SMTPOUT_PROTO_F_TLSA,		/* tlsa-invalid (or a DANE-TA check) */
	SMTPOUT_PROTO_F_POLICY,		/* the plan made the host unusable:
					   failure says why */
};

struct smtpout_proto_hostfail {
	enum smtpout_proto_fail	 kind;
	const char		*host;		/* plan host name */
	const char		*ip;		/* "" when none */
	unsigned		 port;
	const char		*detail;	/* strerror, phase, the reply */
	const char		*failure;	/* F_POLICY, F_TLSA: the RFC 8460
						   type, or NULL */
};

/*
 * How much a failure says about the destination, for choosing the one
 * reported when every host failed: TLS and policy failures outrank
 * refusals, which outrank lost connections and timeouts, which outrank
 * connection failures. Pure.
 */
int	smtpout_proto_fail_rank(enum smtpout_proto_fail);
/*
 * The table's audit-only (doc/design.md §8): 1 when a session whose
 * check failed with kind goes on anyway, 0 when the host fails as it
 * would without audit-only. Only failures of the verdict are tolerated:
 * a certificate or TLSA that does not match, the policy's refusal of the
 * host (F_POLICY), and those only inside TLS (tls); a missing STARTTLS
 * only when audit_cleartext (the table also says cleartext-ok). A failed
 * handshake, injected plaintext, REQUIRETLS, AUTH and connection
 * failures are never tolerated. Pure.
 */
int	smtpout_proto_audit(int audit_only, int audit_cleartext, int tls,
	    enum smtpout_proto_fail kind);

/*
 * The deferral every recipient gets when the last host failed with f:
 * code 451 with dsn 4.7.5 (certificate and validation failures), 4.7.0
 * (TLS not offered, AUTH), 4.7.30 (REQUIRETLS), 4.4.1 (connection),
 * 4.4.2 (timeouts, lost connections, malformed replies, refusals); the
 * text names the host ("TLS is required, but was not offered by host
 * X[ip]"); failure (64 octets) the RFC 8460 result type or "". Pure.
 */
void	smtpout_proto_fail_reason(const struct smtpout_proto_hostfail *f,
	    struct reason *why, char failure[64]);

#endif
