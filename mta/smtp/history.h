/*
 * history.h: the attempt history of a queued message, queue/ID.hist
 * (doc/design.md §12, sealpost-envelope(5)): one line per recipient per
 * attempt with the facts of its TLS session, appended by the queue
 * process and read by sealpost show. Pure: formatting goes into a
 * caller's buffer, parsing reads (ptr, len). Linked by queue and the
 * sealpost CLI.
 */
#ifndef SEALPOST_HISTORY_H
#define SEALPOST_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define HISTORY_LINE_MAX	4096	/* a formatted line, "\n" included */

enum history_result {
	HISTORY_SENT = 0,
	HISTORY_DEFERRED,
	HISTORY_BOUNCED,
	HISTORY_EXPIRED,
};

/* One recipient's outcome of one attempt. Strings: "" = none. */
struct history_rec {
	int64_t		time;		/* unix time of the result */
	uint32_t	attempt;	/* 1 = the first */
	uint32_t	rcpt;		/* recipient number in the envelope */
	enum history_result result;
	int		code;		/* SMTP code, ours or the peer's */
	char		dsn[16];	/* RFC 3463 */
	char		failure[64];	/* RFC 8460 result type */
	char		mx[256];	/* the host, or "" */
	char		ip[64];
	char		policy[16];	/* what the session had to prove */
	char		policy_src[32];	/* who demanded it */
	char		tls[16];	/* "TLSv1.3", "none" or "" */
	char		cipher[64];
	char		verify[16];	/* dane, pkix, fingerprint, none */
	char		cert[65];	/* hex SHA-256 of the leaf */
	char		tls_fail[64];	/* MTA-STS testing report */
	char		text[512];	/* the reply or our reason */
};

/*
 * Formats *r as one line ending in "\n" into buf[0..size) (not
 * NUL-terminated). Returns its length, or -1 when *r does not check
 * (a string not terminated in its array, a result out of range, a code
 * outside 200..599) or size is too small (HISTORY_LINE_MAX always
 * suffices).
 */
int	history_format(const struct history_rec *r, char *buf, size_t size);

/*
 * Parses one line buf[0..len) ("\n" excluded) strictly: an unknown,
 * repeated or missing key, a bad escape or number, or a value over its
 * field is an error. Returns 0 with *r filled, or -1 with why (if not
 * NULL) saying what is wrong.
 */
int	history_parse(const char *buf, size_t len, struct history_rec *r,
	    char *why, size_t whysize);

/* "sent", "deferred", "bounced", "expired"; NULL out of range. */
const char *history_result_name(enum history_result);

#endif
