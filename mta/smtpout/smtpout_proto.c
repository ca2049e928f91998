/*
 * smtpout_proto.c: pure helpers of the SMTP client (see smtpout_proto.h):
 * EHLO capabilities, MAIL/RCPT parameters with xtext (RFC 3461 §4),
 * dot-stuffing (RFC 5321 §4.5.2), base64 (RFC 4648), credential lines,
 * and the failure mapping (RFC 3463, RFC 8460). doc/design.md §1.5.
 * Linked by smtpout and its unit tests.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/envelope.h"
#include "smtp/smtp_client.h"
#include "smtpout_proto.h"

struct smtpout_proto_kw {
	const char	*name;
	unsigned	 bit;
};

static const struct smtpout_proto_kw smtpout_proto_kws[] = {
	{ "STARTTLS", SMTPOUT_PROTO_STARTTLS },
	{ "PIPELINING", SMTPOUT_PROTO_PIPELINING },
	{ "SIZE", SMTPOUT_PROTO_SIZE },
	{ "8BITMIME", SMTPOUT_PROTO_8BITMIME },
	{ "SMTPUTF8", SMTPOUT_PROTO_SMTPUTF8 },
	{ "DSN", SMTPOUT_PROTO_DSN },
	{ "REQUIRETLS", SMTPOUT_PROTO_REQUIRETLS },
	{ "AUTH", SMTPOUT_PROTO_AUTH },
	{ "ENHANCEDSTATUSCODES", SMTPOUT_PROTO_ENHANCED },
};

/* The AUTH mechanisms we know among the words of p[0..len). */
static unsigned
smtpout_proto_mechs(const char *p, size_t len)
{
	unsigned m = 0;
	size_t i = 0, j;

	while (i < len) {
		while (i < len && p[i] == ' ')
			i++;
		for (j = i; j < len && p[j] != ' '; j++)
			;
		if (smtp_client_word(p + i, j - i, "PLAIN"))
			m |= SMTPOUT_PROTO_AUTH_PLAIN;
		else if (smtp_client_word(p + i, j - i, "LOGIN"))
			m |= SMTPOUT_PROTO_AUTH_LOGIN;
		i = j;
	}
	return m;
}

int
smtpout_proto_ehlo_parse(const struct smtp_proto_reply_acc *acc,
    struct smtpout_proto_ehlo *out)
{
	const char *t, *p;
	size_t i, k, len, kwlen, plen;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	if (!acc->done || acc->code != 250)
		return -1;
	for (i = 1; i < acc->nlines; i++) {
		t = acc->text + acc->off[i];
		len = acc->len[i];
		for (kwlen = 0; kwlen < len && t[kwlen] != ' '; kwlen++)
			;
		p = t + kwlen;
		plen = len - kwlen;
		while (plen > 0 && *p == ' ') {
			p++;
			plen--;
		}
		for (k = 0; k < sizeof(smtpout_proto_kws) /
		    sizeof(smtpout_proto_kws[0]); k++) {
			if (!smtp_client_word(t, kwlen,
			    smtpout_proto_kws[k].name))
				continue;
			switch (smtpout_proto_kws[k].bit) {
			case SMTPOUT_PROTO_SIZE:
				/* "SIZE" alone: no fixed limit (RFC 1870 §4) */
				if (plen == 0)
					out->size = 0;
				else if (smtp_client_number(p, plen, &n) ==
				    0)
					out->size = n;
				else
					break;
				out->ext |= SMTPOUT_PROTO_SIZE;
				break;
			case SMTPOUT_PROTO_AUTH:
				out->ext |= SMTPOUT_PROTO_AUTH;
				out->auth |= smtpout_proto_mechs(p, plen);
				break;
			default:
				out->ext |= smtpout_proto_kws[k].bit;
				break;
			}
			break;
		}
	}
	return 0;
}

int
smtpout_proto_xtext(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)src;
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s >= '!' && *s <= '~' && *s != '+' && *s != '=') {
			if (n + 1 >= size)
				return -1;
			dst[n++] = (char)*s;
		} else {
			if (n + 3 >= size)
				return -1;
			dst[n++] = '+';
			dst[n++] = hex[*s >> 4];
			dst[n++] = hex[*s & 0x0f];
		}
	}
	if (n >= size)
		return -1;
	dst[n] = '\0';
	return (int)n;
}

/* Appends text to dst (length *n of size); -1 if it does not fit. */
static int
smtpout_proto_put(char *dst, size_t size, size_t *n, const char *text)
{
	size_t l = strlen(text);

	if (*n + l >= size)
		return -1;
	memcpy(dst + *n, text, l + 1);
	*n += l;
	return 0;
}

int
smtpout_proto_mail_params(char *dst, size_t size,
    const struct smtpout_proto_mail *m, unsigned ext)
{
	char tmp[64], x[3 * 100 + 1];
	size_t n = 0;
	int r;

	if (size == 0)
		return -1;
	dst[0] = '\0';
	if (ext & SMTPOUT_PROTO_SIZE) {
		r = snprintf(tmp, sizeof(tmp), " SIZE=%llu",
		    (unsigned long long)m->size);
		if (r < 0 || (size_t)r >= sizeof(tmp) ||
		    smtpout_proto_put(dst, size, &n, tmp) == -1)
			return -1;
	}
	if (m->body8 && (ext & SMTPOUT_PROTO_8BITMIME) &&
	    smtpout_proto_put(dst, size, &n, " BODY=8BITMIME") == -1)
		return -1;
	if (m->smtputf8 && smtpout_proto_put(dst, size, &n, " SMTPUTF8") == -1)
		return -1;
	if (m->requiretls && (ext & SMTPOUT_PROTO_REQUIRETLS) &&
	    smtpout_proto_put(dst, size, &n, " REQUIRETLS") == -1)
		return -1;
	if (ext & SMTPOUT_PROTO_DSN) {
		if (m->ret == ENVELOPE_RET_FULL &&
		    smtpout_proto_put(dst, size, &n, " RET=FULL") == -1)
			return -1;
		if (m->ret == ENVELOPE_RET_HDRS &&
		    smtpout_proto_put(dst, size, &n, " RET=HDRS") == -1)
			return -1;
		if (m->envid != NULL && m->envid[0] != '\0') {
			if (smtpout_proto_xtext(x, sizeof(x), m->envid) == -1 ||
			    smtpout_proto_put(dst, size, &n, " ENVID=") == -1 ||
			    smtpout_proto_put(dst, size, &n, x) == -1)
				return -1;
		}
	}
	return (int)n;
}

int
smtpout_proto_rcpt(char *dst, size_t size, const char *addr,
    unsigned notify, const char *orcpt, unsigned ext)
{
	char x[3 * 540 + 1];
	const char *semi;
	size_t n = 0, tl;
	int first = 1;

	if (addr[0] == '\0' || size == 0)
		return -1;
	dst[0] = '\0';
	if (smtpout_proto_put(dst, size, &n, "RCPT TO:<") == -1 ||
	    smtpout_proto_put(dst, size, &n, addr) == -1 ||
	    smtpout_proto_put(dst, size, &n, ">") == -1)
		return -1;
	if ((ext & SMTPOUT_PROTO_DSN) && notify != 0) {
		if (smtpout_proto_put(dst, size, &n, " NOTIFY=") == -1)
			return -1;
		if (notify & ENVELOPE_NOTIFY_NEVER) {
			if (smtpout_proto_put(dst, size, &n, "NEVER") == -1)
				return -1;
		} else {
			if (notify & ENVELOPE_NOTIFY_SUCCESS) {
				if (smtpout_proto_put(dst, size, &n,
				    "SUCCESS") == -1)
					return -1;
				first = 0;
			}
			if ((notify & ENVELOPE_NOTIFY_FAILURE) &&
			    smtpout_proto_put(dst, size, &n,
			    first ? "FAILURE" : ",FAILURE") == -1)
				return -1;
			if (notify & ENVELOPE_NOTIFY_FAILURE)
				first = 0;
			if ((notify & ENVELOPE_NOTIFY_DELAY) &&
			    smtpout_proto_put(dst, size, &n,
			    first ? "DELAY" : ",DELAY") == -1)
				return -1;
		}
	}
	if ((ext & SMTPOUT_PROTO_DSN) && orcpt != NULL && orcpt[0] != '\0' &&
	    (semi = strchr(orcpt, ';')) != NULL && semi != orcpt) {
		/* "type;addr": the type is an atom, the address is xtext */
		tl = (size_t)(semi - orcpt);
		if (smtpout_proto_xtext(x, sizeof(x), semi + 1) == -1 ||
		    smtpout_proto_put(dst, size, &n, " ORCPT=") == -1 ||
		    n + tl + 1 >= size)
			return -1;
		memcpy(dst + n, orcpt, tl);
		n += tl;
		dst[n++] = ';';
		dst[n] = '\0';
		if (smtpout_proto_put(dst, size, &n, x) == -1)
			return -1;
	}
	if (smtpout_proto_put(dst, size, &n, "\r\n") == -1)
		return -1;
	return (int)n;
}

int
smtpout_proto_base64(char *dst, size_t size, const void *src, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = src;
	size_t i, n = 0;
	unsigned v;

	if (len > (size - 1) / 4 * 3 || size == 0)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		dst[n++] = tab[v >> 18 & 63];
		dst[n++] = tab[v >> 12 & 63];
		dst[n++] = tab[v >> 6 & 63];
		dst[n++] = tab[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned)s[i] << 16;
		dst[n++] = tab[v >> 18 & 63];
		dst[n++] = tab[v >> 12 & 63];
		dst[n++] = '=';
		dst[n++] = '=';
	} else if (len - i == 2) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
		dst[n++] = tab[v >> 18 & 63];
		dst[n++] = tab[v >> 12 & 63];
		dst[n++] = tab[v >> 6 & 63];
		dst[n++] = '=';
	}
	dst[n] = '\0';
	return (int)n;
}

static int
smtpout_proto_space(char c)
{
	return c == ' ' || c == '\t';
}

int
smtpout_proto_cred_parse(const char *line, size_t len,
    struct smtpout_proto_cred *out, const char **why)
{
	size_t i = 0, s, hl, pl;
	const char *colon;
	uint64_t port;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (smtpout_proto_space(line[len - 1]) ||
	    line[len - 1] == '\r'))
		len--;
	while (i < len && smtpout_proto_space(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	for (i = 0; i < len; i++)
		if (line[i] == '\0' || (line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f) {
			*why = "control character in line";
			return -1;
		}
	/* host[:port] */
	for (i = 0; i < len && smtpout_proto_space(line[i]); i++)
		;
	for (s = i; i < len && !smtpout_proto_space(line[i]); i++)
		;
	hl = i - s;
	colon = memchr(line + s, ':', hl);
	if (colon != NULL) {
		if (smtp_client_number(colon + 1,
		    (size_t)(line + s + hl - colon - 1), &port) == -1 ||
		    port == 0 || port > 65535) {
			*why = "bad port";
			return -1;
		}
		out->port = (unsigned)port;
		hl = (size_t)(colon - (line + s));
	}
	if (hl == 0 || hl >= sizeof(out->host)) {
		*why = "bad host name";
		return -1;
	}
	for (pl = 0; pl < hl; pl++) {
		char c = line[s + pl];

		out->host[pl] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') :
		    c;
	}
	out->host[hl] = '\0';
	/* username */
	while (i < len && smtpout_proto_space(line[i]))
		i++;
	for (s = i; i < len && !smtpout_proto_space(line[i]); i++)
		;
	if (i == s || i - s >= sizeof(out->user)) {
		*why = "missing or too long user name";
		return -1;
	}
	memcpy(out->user, line + s, i - s);
	out->user[i - s] = '\0';
	/* password: the rest of the line */
	while (i < len && smtpout_proto_space(line[i]))
		i++;
	if (i == len || len - i >= sizeof(out->pass)) {
		*why = "missing or too long password";
		return -1;
	}
	memcpy(out->pass, line + i, len - i);
	out->pass[len - i] = '\0';
	return 1;
}

int
smtpout_proto_fail_rank(enum smtpout_proto_fail k)
{
	switch (k) {
	case SMTPOUT_PROTO_F_NONE:
		return 0;
	case SMTPOUT_PROTO_F_NOADDR:
		return 1;
	case SMTPOUT_PROTO_F_CONNECT:
		return 2;
	case SMTPOUT_PROTO_F_TIMEOUT:
	case SMTPOUT_PROTO_F_LOST:
		return 3;
	case SMTPOUT_PROTO_F_MALFORMED:
	case SMTPOUT_PROTO_F_REPLY:
		return 4;
	default:
		/* TLS and policy failures: doc/design.md §1.1 */
		return 5;
	}
}

void
smtpout_proto_fail_reason(const struct smtpout_proto_hostfail *f,
    struct reason *why, char failure[64])
{
	const char *h = f->host != NULL ? f->host : "";
	const char *ip = f->ip != NULL ? f->ip : "";
	const char *d = f->detail != NULL ? f->detail : "";
	const char *fl = "";

	switch (f->kind) {
	case SMTPOUT_PROTO_F_NONE:
		(void)reason_set(why, 451, "4.4.2", "no host tried");
		break;
	case SMTPOUT_PROTO_F_NOADDR:
		(void)reason_set(why, 451, "4.4.1", "no address for host %s%s%s",
		    h, d[0] ? ": " : "", d);
		break;
	case SMTPOUT_PROTO_F_CONNECT:
		(void)reason_set(why, 451, "4.4.1", "connect to %s[%s]:%u: %s",
		    h, ip, f->port, d);
		break;
	case SMTPOUT_PROTO_F_TIMEOUT:
		(void)reason_set(why, 451, "4.4.2",
		    "conversation with %s[%s] timed out while %s", h, ip, d);
		break;
	case SMTPOUT_PROTO_F_LOST:
		(void)reason_set(why, 451, "4.4.2",
		    "lost connection with %s[%s] while %s", h, ip, d);
		break;
	case SMTPOUT_PROTO_F_MALFORMED:
		(void)reason_set(why, 451, "4.4.2",
		    "malformed reply from %s[%s]: %s", h, ip, d);
		break;
	case SMTPOUT_PROTO_F_REPLY:
		(void)reason_set(why, 451, "4.4.2", "host %s[%s] said: %s", h,
		    ip, d);
		break;
	case SMTPOUT_PROTO_F_STARTTLS:
		(void)reason_set(why, 451, "4.7.0",
		    "TLS is required, but was not offered by host %s[%s]%s%s",
		    h, ip, d[0] ? ": " : "", d);
		fl = "starttls-not-supported";
		break;
	case SMTPOUT_PROTO_F_TLS:
		(void)reason_set(why, 451, "4.7.5",
		    "TLS handshake with %s[%s] failed: %s", h, ip, d);
		fl = "validation-failure";
		break;
	case SMTPOUT_PROTO_F_INJECTED:
		(void)reason_set(why, 451, "4.7.5",
		    "plaintext injected after STARTTLS by %s[%s]", h, ip);
		fl = "validation-failure";
		break;
	case SMTPOUT_PROTO_F_UNTRUSTED:
		(void)reason_set(why, 451, "4.7.5",
		    "certificate of %s[%s] is not trusted%s%s", h, ip,
		    d[0] ? ": " : "", d);
		fl = "certificate-not-trusted";
		break;
	case SMTPOUT_PROTO_F_EXPIRED:
		(void)reason_set(why, 451, "4.7.5",
		    "certificate of %s[%s] has expired or is not yet valid",
		    h, ip);
		fl = "certificate-expired";
		break;
	case SMTPOUT_PROTO_F_HOSTNAME:
		(void)reason_set(why, 451, "4.7.5",
		    "certificate of %s[%s] does not match the name %s", h,
		    ip, h);
		fl = "certificate-host-mismatch";
		break;
	case SMTPOUT_PROTO_F_FINGERPRINT:
		(void)reason_set(why, 451, "4.7.5",
		    "certificate of %s[%s] matches no listed fingerprint", h,
		    ip);
		fl = "validation-failure";
		break;
	case SMTPOUT_PROTO_F_UNIMPLEMENTED:
		(void)reason_set(why, 451, "4.7.5",
		    "requirement not implemented for %s[%s]: %s", h, ip, d);
		fl = "validation-failure";
		break;
	case SMTPOUT_PROTO_F_AUTH:
		(void)reason_set(why, 451, "4.7.0",
		    "authentication with %s[%s] failed: %s", h, ip, d);
		break;
	case SMTPOUT_PROTO_F_REQUIRETLS:
		/* RFC 8689 §4.2.1: returned, not retried */
		(void)reason_set(why, 550, "5.7.30", "REQUIRETLS support "
		    "required: not offered by host %s[%s]", h, ip);
		break;
	case SMTPOUT_PROTO_F_REQUIRETLS_AUTH:
		(void)reason_set(why, 550, "5.7.30", "REQUIRETLS support "
		    "required: host %s is not authenticated by DANE or "
		    "MTA-STS%s%s", h, d[0] ? ": " : "", d);
		break;
	case SMTPOUT_PROTO_F_TLSA:
		(void)reason_set(why, 451, "4.7.5",
		    "certificate of %s[%s] matches no TLSA record: %s", h, ip,
		    d);
		fl = f->failure != NULL && f->failure[0] != '\0' ?
		    f->failure : "tlsa-invalid";
		break;
	case SMTPOUT_PROTO_F_POLICY:
		(void)reason_set(why, 451, "4.7.5", "host %s not used: %s", h,
		    d);
		fl = f->failure != NULL && f->failure[0] != '\0' ?
		    f->failure : "validation-failure";
		break;
	}
	/* fl is a constant above or the plan's type, shorter than 64 */
	if (strlcpy(failure, fl, 64) >= 64)
		failure[0] = '\0';
}

int
smtpout_proto_audit(int audit_only, int audit_cleartext, int tls,
    enum smtpout_proto_fail kind)
{
	if (!audit_only)
		return 0;
	switch (kind) {
	case SMTPOUT_PROTO_F_UNTRUSTED:
	case SMTPOUT_PROTO_F_EXPIRED:
	case SMTPOUT_PROTO_F_HOSTNAME:
	case SMTPOUT_PROTO_F_FINGERPRINT:
	case SMTPOUT_PROTO_F_TLSA:
	case SMTPOUT_PROTO_F_POLICY:
		/* the best TLS we can get: never cleartext for these */
		return tls != 0;
	case SMTPOUT_PROTO_F_STARTTLS:
		/* cleartext only where the administrator allows it */
		return tls == 0 && audit_cleartext != 0;
	default:
		return 0;
	}
}
