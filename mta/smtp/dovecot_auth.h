/*
 * dovecot_auth.h: the client side of Dovecot's authentication protocol
 * (version 1, the auth-client socket), pure: the handshake and the AUTH
 * requests as text, the server's lines parsed into events, and a small
 * state machine that refuses what the protocol does not allow.  No
 * sockets: the caller writes what this formats and feeds each line it
 * reads.  Linked by smtpin (smtpin_dovecot.c drives it; doc/design.md §6).
 *
 * smtpin runs the SASL exchange itself (sasl.h), so it always asks
 * Dovecot with PLAIN and the whole response at once: one request, one
 * OK or FAIL.  Conversation:
 *   C: VERSION 1 2, CPID pid           (dovecot_auth_hello)
 *   S: VERSION 1 x, MECH ..., SPID, CUID, COOKIE, DONE
 *   C: AUTH id PLAIN service=smtp secured session=... lip= rip= resp=
 *   S: OK id [user=...] | FAIL id [reason=...] [temp] | CONT id data
 * A CONT is a protocol error here (PLAIN with a response needs none).
 *
 * The outcome of a request as the SMTP reply the caller sends:
 *   OK                     235 2.7.0 (SASL_REPLY_OK)
 *   FAIL                   535 5.7.8 Authentication credentials invalid
 *   FAIL temp              454 4.7.0 Temporary authentication failure
 *   the connection broke, or a protocol error, for every request pending:
 *                          454 4.7.0
 */
#ifndef SEALPOST_DOVECOT_AUTH_H
#define SEALPOST_DOVECOT_AUTH_H

#include <stddef.h>

#include "reason.h"

/* The server's longest line we take (its protocol says 16,384). */
#define DOVECOT_AUTH_LINE_MAX	16384
/* A request: resp= of a 767-octet PLAIN message is 1,024 octets. */
#define DOVECOT_AUTH_REQ_MAX	2048
#define DOVECOT_AUTH_USER_MAX	255
#define DOVECOT_AUTH_REASON_MAX	128

enum dovecot_auth_state {
	DOVECOT_AUTH_ST_HANDSHAKE = 0,	/* waiting for the server's DONE */
	DOVECOT_AUTH_ST_READY,		/* requests may be sent */
	DOVECOT_AUTH_ST_BROKEN		/* a protocol error: close it */
};

enum dovecot_auth_ev {
	DOVECOT_AUTH_EV_NONE = 0,	/* a handshake line, nothing to do */
	DOVECOT_AUTH_EV_READY,		/* DONE: requests may be sent now */
	DOVECOT_AUTH_EV_OK,		/* request id succeeded, user set */
	DOVECOT_AUTH_EV_FAIL,		/* request id failed; reply in why */
	DOVECOT_AUTH_EV_ERROR		/* protocol error; why says what */
};

struct dovecot_auth {
	enum dovecot_auth_state	state;
	int			have_version;
	int			plain;		/* MECH PLAIN was offered */
	unsigned		next_id;	/* last request id used */
};

struct dovecot_auth_event {
	enum dovecot_auth_ev	ev;
	unsigned		id;		/* OK and FAIL */
	int			temp;		/* FAIL: temp was set */
	/* OK: user=, or ""; FAIL: reason=, or "" */
	char			user[DOVECOT_AUTH_USER_MAX + 1];
	char			reason[DOVECOT_AUTH_REASON_MAX];
};

/* What Dovecot is told about the session (the values are ours). */
struct dovecot_auth_info {
	const char	*session;	/* smtpin's session id, or NULL */
	const char	*lip, *rip;	/* local, remote address, or NULL */
	unsigned	 lport, rport;	/* 0: not sent */
	int		 secured;	/* TLS: 1 wherever AUTH is offered */
};

/* Resets *d for a new connection. */
void	dovecot_auth_init(struct dovecot_auth *d);

/*
 * Formats the client's handshake ("VERSION\t1\t2\nCPID\tpid\n") into buf
 * (size octets, NUL-terminated).  Returns its length, or -1 if it does
 * not fit.
 */
int	dovecot_auth_hello(char *buf, size_t size, unsigned long pid);

/*
 * Parses one line from the server (line, len: without its LF; a line
 * over DOVECOT_AUTH_LINE_MAX is an error) and fills *ev.  Returns 0, or
 * -1 for a protocol error (ev->ev is DOVECOT_AUTH_EV_ERROR, *why says
 * what, the state is BROKEN: the caller closes the connection and
 * answers every pending request 454 4.7.0).  For FAIL *why holds the
 * reply for the client (see the table above) and ev->reason Dovecot's
 * reason= for the log only (printable ASCII, other bytes as '?'): the
 * client never sees the server's words.  Unknown handshake lines are
 * ignored (later protocol versions add some); after DONE only OK, FAIL
 * and CONT are allowed, and only for an id already sent.
 */
int	dovecot_auth_line(struct dovecot_auth *d, const char *line, size_t len,
	    struct dovecot_auth_event *ev, struct reason *why);

/*
 * Formats an AUTH request for authcid and passwd (PLAIN, empty authzid)
 * into buf (size octets, NUL-terminated, ending in LF) and sets *id to the
 * request's id (1, 2, ...).  Returns the length, or -1 with *why (454
 * 4.7.0) when the connection is not ready, when a value of info holds a
 * TAB, LF or another control byte, or when it does not fit.  buf holds the
 * password (in base64): the caller wipes it (explicit_bzero) once it is
 * written; the function's own copies are wiped before it returns, and buf
 * too when it fails.
 */
int	dovecot_auth_request(struct dovecot_auth *d, char *buf, size_t size,
	    unsigned *id, const char *authcid, size_t authcidlen,
	    const char *passwd, size_t passwdlen,
	    const struct dovecot_auth_info *info, struct reason *why);

#endif
