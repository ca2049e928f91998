/*
 * dovecot_auth.c: the client side of Dovecot's authentication protocol,
 * version 1 (the auth-client socket): handshake and AUTH requests as
 * text, the server's lines as events, a state machine that fails closed
 * (doc/design.md §1.7).  Pure: no sockets, no allocation (§1.5).
 * Linked by smtpin (smtpin_dovecot.c).  See dovecot_auth.h.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dovecot_auth.h"
#include "sasl.h"

#define DOVECOT_AUTH_FIELDS_MAX	64	/* fields we look at in a line */

struct dovecot_auth_fields {
	const char	*p[DOVECOT_AUTH_FIELDS_MAX];
	size_t		 len[DOVECOT_AUTH_FIELDS_MAX];
	size_t		 n;
};

void
dovecot_auth_init(struct dovecot_auth *d)
{
	memset(d, 0, sizeof(*d));
	d->state = DOVECOT_AUTH_ST_HANDSHAKE;
}

int
dovecot_auth_hello(char *buf, size_t size, unsigned long pid)
{
	int n;

	n = snprintf(buf, size, "VERSION\t1\t2\nCPID\t%lu\n", pid);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* Splits at TABs; fields past the maximum are dropped (all optional). */
static void
dovecot_auth_split(const char *line, size_t len,
    struct dovecot_auth_fields *f)
{
	const char *p = line, *end = line + len, *t;

	f->n = 0;
	while (f->n < DOVECOT_AUTH_FIELDS_MAX) {
		t = memchr(p, '\t', (size_t)(end - p));
		f->p[f->n] = p;
		f->len[f->n] = t == NULL ? (size_t)(end - p) : (size_t)(t - p);
		f->n++;
		if (t == NULL)
			break;
		p = t + 1;
	}
}

static int
dovecot_auth_is(const char *p, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(p, word, len) == 0;
}

/* A request id: decimal, no sign, not 0, fits an unsigned. */
static int
dovecot_auth_id(const char *p, size_t len, unsigned *id)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10 || p[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > UINT_MAX)
		return -1;
	*id = (unsigned)v;
	return 0;
}

/*
 * Undoes Dovecot's tab-escaping (\001 then 0, 1, t, r, n or l; anything
 * else is itself) into dst (size octets with the NUL).  Returns the
 * length, or -1 when it does not fit or holds a control byte (a user
 * name or reason with one is not something we pass on).  printable:
 * replace bytes outside 0x20..0x7e with '?' instead of failing.
 */
static int
dovecot_auth_unescape(const char *p, size_t len, char *dst, size_t size,
    int printable)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == 0x01 && i + 1 < len) {
			switch (p[++i]) {
			case '0': c = '\0'; break;
			case '1': c = 0x01; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'n': case 'l': c = '\n'; break;
			default: c = (unsigned char)p[i]; break;
			}
		}
		if (c < 0x20 || c == 0x7f || (printable && c > 0x7e)) {
			if (!printable)
				return -1;
			c = '?';
		}
		if (o + 1 >= size) {
			if (!printable)
				return -1;
			break;		/* a reason for the log: cut it */
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return (int)o;
}

static int
dovecot_auth_error(struct dovecot_auth *d, struct dovecot_auth_event *ev,
    struct reason *why, const char *what)
{
	d->state = DOVECOT_AUTH_ST_BROKEN;
	ev->ev = DOVECOT_AUTH_EV_ERROR;
	return reason_set(why, 454, "4.7.0",
	    "Temporary authentication failure (auth server: %s)", what);
}

static int
dovecot_auth_handshake(struct dovecot_auth *d,
    const struct dovecot_auth_fields *f, struct dovecot_auth_event *ev,
    struct reason *why)
{
	const char *cmd = f->p[0];
	size_t clen = f->len[0];

	if (dovecot_auth_is(cmd, clen, "VERSION")) {
		if (d->have_version)
			return dovecot_auth_error(d, ev, why, "VERSION twice");
		if (f->n < 3 || !dovecot_auth_is(f->p[1], f->len[1], "1"))
			return dovecot_auth_error(d, ev, why,
			    "unsupported protocol version");
		d->have_version = 1;
		return 0;
	}
	if (!d->have_version)
		return dovecot_auth_error(d, ev, why, "no VERSION first");
	if (dovecot_auth_is(cmd, clen, "MECH")) {
		if (f->n < 2)
			return dovecot_auth_error(d, ev, why,
			    "MECH without name");
		if (f->len[1] == 5 && strncasecmp(f->p[1], "PLAIN", 5) == 0)
			d->plain = 1;
		return 0;
	}
	if (dovecot_auth_is(cmd, clen, "DONE")) {
		if (!d->plain)
			return dovecot_auth_error(d, ev, why,
			    "PLAIN mechanism not offered");
		d->state = DOVECOT_AUTH_ST_READY;
		ev->ev = DOVECOT_AUTH_EV_READY;
		return 0;
	}
	if (dovecot_auth_is(cmd, clen, "OK") ||
	    dovecot_auth_is(cmd, clen, "FAIL") ||
	    dovecot_auth_is(cmd, clen, "CONT"))
		return dovecot_auth_error(d, ev, why, "reply before DONE");
	/* SPID, CUID, COOKIE and what later versions add: nothing for us */
	return 0;
}

static int
dovecot_auth_reply(struct dovecot_auth *d, const struct dovecot_auth_fields *f,
    struct dovecot_auth_event *ev, struct reason *why)
{
	const char *cmd = f->p[0];
	size_t clen = f->len[0], i;
	int ok;

	ok = dovecot_auth_is(cmd, clen, "OK");
	if (!ok && !dovecot_auth_is(cmd, clen, "FAIL")) {
		if (dovecot_auth_is(cmd, clen, "CONT"))
			return dovecot_auth_error(d, ev, why,
			    "unexpected CONT");
		return dovecot_auth_error(d, ev, why, "unexpected line");
	}
	if (f->n < 2 || dovecot_auth_id(f->p[1], f->len[1], &ev->id) == -1 ||
	    ev->id > d->next_id)
		return dovecot_auth_error(d, ev, why, "bad request id");
	for (i = 2; i < f->n; i++) {
		if (f->len[i] >= 5 && memcmp(f->p[i], "user=", 5) == 0) {
			if (dovecot_auth_unescape(f->p[i] + 5, f->len[i] - 5,
			    ev->user, sizeof(ev->user), 0) <= 0)
				return dovecot_auth_error(d, ev, why,
				    "bad user name");
		} else if (f->len[i] >= 7 &&
		    memcmp(f->p[i], "reason=", 7) == 0)
			(void)dovecot_auth_unescape(f->p[i] + 7, f->len[i] - 7,
			    ev->reason, sizeof(ev->reason), 1);
		else if (dovecot_auth_is(f->p[i], f->len[i], "temp"))
			ev->temp = 1;
	}
	if (ok) {
		ev->ev = DOVECOT_AUTH_EV_OK;
		ev->temp = 0;
		return 0;
	}
	ev->ev = DOVECOT_AUTH_EV_FAIL;
	ev->user[0] = '\0';
	if (ev->temp)
		(void)reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure");
	else
		(void)reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
	return 0;
}

int
dovecot_auth_line(struct dovecot_auth *d, const char *line, size_t len,
    struct dovecot_auth_event *ev, struct reason *why)
{
	struct dovecot_auth_fields f;

	memset(ev, 0, sizeof(*ev));
	if (d->state == DOVECOT_AUTH_ST_BROKEN)
		return dovecot_auth_error(d, ev, why, "connection broken");
	if (len > DOVECOT_AUTH_LINE_MAX)
		return dovecot_auth_error(d, ev, why, "line too long");
	if (memchr(line, '\n', len) != NULL || memchr(line, '\0', len) != NULL)
		return dovecot_auth_error(d, ev, why, "LF or NUL in a line");
	dovecot_auth_split(line, len, &f);
	if (d->state == DOVECOT_AUTH_ST_HANDSHAKE)
		return dovecot_auth_handshake(d, &f, ev, why);
	return dovecot_auth_reply(d, &f, ev, why);
}

/* A value of ours that goes into a request: printable, no TAB, no SP. */
static int
dovecot_auth_value_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
dovecot_auth_append(char *buf, size_t size, size_t *o, const char *fmt, ...)
    __attribute__((__format__(printf, 4, 5)));

static int
dovecot_auth_append(char *buf, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

int
dovecot_auth_request(struct dovecot_auth *d, char *buf, size_t size,
    unsigned *id, const char *authcid, size_t authcidlen, const char *passwd,
    size_t passwdlen, const struct dovecot_auth_info *info,
    struct reason *why)
{
	unsigned char msg[SASL_DECODED_MAX];
	char b64[(SASL_DECODED_MAX + 2) / 3 * 4 + 1];
	size_t o = 0, mlen;
	int rc = -1;

	if (size > 0)
		buf[0] = '\0';
	/* ids are never reused on a connection: at the last, open a new one */
	if (d->state != DOVECOT_AUTH_ST_READY || d->next_id == UINT_MAX)
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure (auth server not ready)");
	if (authcidlen == 0 || authcidlen > SASL_ID_MAX ||
	    passwdlen > SASL_PASS_MAX ||
	    memchr(authcid, '\0', authcidlen) != NULL ||
	    memchr(passwd, '\0', passwdlen) != NULL)
		return reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
	if ((info->session != NULL && !dovecot_auth_value_ok(info->session)) ||
	    (info->lip != NULL && !dovecot_auth_value_ok(info->lip)) ||
	    (info->rip != NULL && !dovecot_auth_value_ok(info->rip)))
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure (bad request value)");

	/* PLAIN: empty authzid, NUL, authcid, NUL, passwd (RFC 4616 §2) */
	msg[0] = '\0';
	memcpy(msg + 1, authcid, authcidlen);
	msg[1 + authcidlen] = '\0';
	memcpy(msg + 2 + authcidlen, passwd, passwdlen);
	mlen = 2 + authcidlen + passwdlen;
	if (sasl_b64_encode(b64, sizeof(b64), msg, mlen) < 0)
		goto out;

	if (dovecot_auth_append(buf, size, &o, "AUTH\t%u\tPLAIN\tservice=smtp",
	    d->next_id + 1) == -1)
		goto out;
	if (info->secured && dovecot_auth_append(buf, size, &o, "\tsecured")
	    == -1)
		goto out;
	if (info->session != NULL && dovecot_auth_append(buf, size, &o,
	    "\tsession=%s", info->session) == -1)
		goto out;
	if (info->lip != NULL && dovecot_auth_append(buf, size, &o,
	    "\tlip=%s", info->lip) == -1)
		goto out;
	if (info->rip != NULL && dovecot_auth_append(buf, size, &o,
	    "\trip=%s", info->rip) == -1)
		goto out;
	if (info->lport != 0 && dovecot_auth_append(buf, size, &o,
	    "\tlport=%u", info->lport) == -1)
		goto out;
	if (info->rport != 0 && dovecot_auth_append(buf, size, &o,
	    "\trport=%u", info->rport) == -1)
		goto out;
	if (dovecot_auth_append(buf, size, &o, "\tresp=%s\n", b64) == -1)
		goto out;
	d->next_id++;
	*id = d->next_id;
	rc = (int)o;
out:
	explicit_bzero(msg, sizeof(msg));
	explicit_bzero(b64, sizeof(b64));
	if (rc == -1) {
		explicit_bzero(buf, size);
		return reason_set(why, 454, "4.7.0",
		    "Temporary authentication failure (request too long)");
	}
	return rc;
}
