/*
 * sasl.c: SMTP AUTH's server side for PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login) under RFC 4954, and strict base64 (RFC
 * 4648 §4).  Pure: no I/O, no allocation, no global state (doc/design.md
 * §1.5).  Every buffer that held a password is wiped before return, on
 * every path.  Linked by smtpin (planned, issue 12).  The replies are
 * listed in sasl.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl.h"

enum sasl_exch_state {
	SASL_EXCH_ST_NONE = 0,	/* reset, or over */
	SASL_EXCH_ST_PLAIN,	/* PLAIN: waiting for the message */
	SASL_EXCH_ST_LOGIN_USER, /* LOGIN: waiting for the user name */
	SASL_EXCH_ST_LOGIN_PASS	/* LOGIN: waiting for the password */
};

/* base64 of "Username:" and "Password:", the de-facto LOGIN prompts */
#define SASL_LOGIN_USER_PROMPT	"334 VXNlcm5hbWU6"
#define SASL_LOGIN_PASS_PROMPT	"334 UGFzc3dvcmQ6"

static const char sasl_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
sasl_auth_allowed(unsigned sess, struct reason *why)
{
	if (!(sess & SASL_SESS_OFFERED))
		return reason_set(why, 503, "5.5.1",
		    "Error: authentication not enabled");
	/* RFC 8314 §3, RFC 4954 §4: never a password in cleartext */
	if (!(sess & SASL_SESS_TLS))
		return reason_set(why, 538, "5.7.11",
		    "Encryption required for requested authentication "
		    "mechanism");
	if (sess & SASL_SESS_AUTHED)
		return reason_set(why, 503, "5.5.1", "Already authenticated");
	if (sess & SASL_SESS_IN_TXN)
		return reason_set(why, 503, "5.5.1",
		    "AUTH not permitted during a mail transaction");
	return 0;
}

int
sasl_line_too_long(size_t len, struct reason *why)
{
	if (len <= SASL_LINE_MAX - 2)
		return 0;
	(void)reason_set(why, 500, "5.5.6",
	    "Authentication Exchange line is too long");
	return 1;
}

static int
sasl_b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(sasl_b64_alphabet, c);
	return p == NULL ? -1 : (int)(p - sasl_b64_alphabet);
}

int
sasl_b64_decode(const char *src, size_t len, unsigned char *dst, size_t size,
    size_t *outlen, struct reason *why)
{
	size_t i, o = 0, pad = 0;
	unsigned long acc;
	int k, v[4];

	*outlen = 0;
	if (len % 4 != 0)
		goto bad;
	if (len >= 1 && src[len - 1] == '=')
		pad++;
	if (len >= 2 && src[len - 2] == '=')
		pad++;
	if (len / 4 * 3 - pad > size) {
		explicit_bzero(dst, size);
		return reason_set(why, 501, "5.5.2",
		    "Authentication response too long");
	}
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + k >= len - pad) {
				v[k] = 0;	/* padding: only at the end */
				continue;
			}
			v[k] = sasl_b64_value((unsigned char)src[i + k]);
			if (v[k] < 0)
				goto bad;
		}
		acc = ((unsigned long)v[0] << 18) |
		    ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		dst[o++] = (acc >> 16) & 0xff;
		if (i + 4 < len || pad < 2)
			dst[o++] = (acc >> 8) & 0xff;
		else if ((acc & 0xffff) != 0)
			goto bad;	/* non-zero bits under the padding */
		if (i + 4 < len || pad < 1)
			dst[o++] = acc & 0xff;
		else if (pad == 1 && (acc & 0xff) != 0)
			goto bad;
	}
	*outlen = o;
	return 0;
bad:
	explicit_bzero(dst, size);
	*outlen = 0;
	return reason_set(why, 501, "5.5.2",
	    "Cannot Base64-decode Client responses");
}

int
sasl_b64_encode(char *dst, size_t size, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i, o = 0;
	unsigned long acc;

	if (size == 0 || (len + 2) / 3 > (size - 1) / 4) {
		explicit_bzero(dst, size);
		return -1;
	}
	for (i = 0; i < len; i += 3) {
		acc = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			acc |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			acc |= s[i + 2];
		dst[o++] = sasl_b64_alphabet[(acc >> 18) & 0x3f];
		dst[o++] = sasl_b64_alphabet[(acc >> 12) & 0x3f];
		dst[o++] = i + 1 < len ? sasl_b64_alphabet[(acc >> 6) & 0x3f] :
		    '=';
		dst[o++] = i + 2 < len ? sasl_b64_alphabet[acc & 0x3f] : '=';
	}
	dst[o] = '\0';
	return (int)o;
}

/*
 * A login name we will pass on and log: 1..255 octets of well-formed
 * UTF-8 without control bytes (RFC 4616 §2 wants UTF-8; a TAB or LF
 * would also break the Dovecot protocol's lines).
 */
static int
sasl_id_ok(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned char c;

	if (len == 0 || len > SASL_ID_MAX)
		return 0;
	while (i < len) {
		c = s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return 0;
		if (i + n >= len)
			return 0;	/* cut short */
		for (k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		/* overlong 3- and 4-octet forms, surrogates, > U+10FFFF */
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		/* C1 controls U+0080..U+009F */
		if (c == 0xc2 && s[i + 1] < 0xa0)
			return 0;
		i += n + 1;
	}
	return 1;
}

static enum sasl_step
sasl_fail(struct sasl_exch *x, struct reason *why, int code, const char *dsn,
    const char *text)
{
	sasl_exch_clear(x);
	(void)reason_set(why, code, dsn, "%s", text);
	return SASL_STEP_ERROR;
}

static enum sasl_step
sasl_bad_creds(struct sasl_exch *x, struct reason *why, const char *text)
{
	return sasl_fail(x, why, 535, "5.7.8", text);
}

static int
sasl_set_id(struct sasl_exch *x, const unsigned char *s, size_t len)
{
	if (!sasl_id_ok(s, len))
		return -1;
	memcpy(x->authcid, s, len);
	x->authcid[len] = '\0';
	x->authcidlen = len;
	return 0;
}

static int
sasl_set_pass(struct sasl_exch *x, const unsigned char *s, size_t len)
{
	if (len == 0 || len > SASL_PASS_MAX || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(x->passwd, s, len);
	x->passwd[len] = '\0';
	x->passwdlen = len;
	return 0;
}

/* RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. */
static enum sasl_step
sasl_plain(struct sasl_exch *x, const unsigned char *m, size_t len,
    struct reason *why)
{
	const unsigned char *n1, *n2;
	size_t zlen, clen;

	if ((n1 = memchr(m, '\0', len)) == NULL ||
	    (n2 = memchr(n1 + 1, '\0', len - (size_t)(n1 + 1 - m))) == NULL)
		return sasl_bad_creds(x, why,
		    "Authentication credentials invalid");
	zlen = (size_t)(n1 - m);
	clen = (size_t)(n2 - (n1 + 1));
	if (sasl_set_id(x, n1 + 1, clen) == -1 ||
	    sasl_set_pass(x, n2 + 1, len - (size_t)(n2 + 1 - m)) == -1)
		return sasl_bad_creds(x, why,
		    "Authentication credentials invalid");
	/* no proxy authorization: an authzid is empty or the login itself */
	if (zlen != 0 && (zlen != clen || memcmp(m, n1 + 1, zlen) != 0))
		return sasl_bad_creds(x, why,
		    "Proxy authorization is not allowed");
	x->state = SASL_EXCH_ST_NONE;
	return SASL_STEP_DONE;
}

static void
sasl_challenge(struct sasl_exch *x, const char *line, int state)
{
	/* constant lines, all shorter than the buffer */
	(void)strlcpy(x->challenge, line, sizeof(x->challenge));
	x->state = state;
}

/* One client response (or initial response), decoded and consumed. */
static enum sasl_step
sasl_feed(struct sasl_exch *x, const char *s, size_t len, struct reason *why)
{
	unsigned char buf[SASL_DECODED_MAX];
	size_t n;
	enum sasl_step st;

	if (len == 1 && s[0] == '*')
		return sasl_fail(x, why, 501, "5.7.0",
		    "Authentication cancelled");
	if (sasl_b64_decode(s, len, buf, sizeof(buf), &n, why) == -1) {
		sasl_exch_clear(x);
		return SASL_STEP_ERROR;
	}
	switch (x->state) {
	case SASL_EXCH_ST_PLAIN:
		st = sasl_plain(x, buf, n, why);
		break;
	case SASL_EXCH_ST_LOGIN_USER:
		if (sasl_set_id(x, buf, n) == -1) {
			st = sasl_bad_creds(x, why,
			    "Authentication credentials invalid");
			break;
		}
		sasl_challenge(x, SASL_LOGIN_PASS_PROMPT,
		    SASL_EXCH_ST_LOGIN_PASS);
		st = SASL_STEP_CHALLENGE;
		break;
	case SASL_EXCH_ST_LOGIN_PASS:
		if (sasl_set_pass(x, buf, n) == -1) {
			st = sasl_bad_creds(x, why,
			    "Authentication credentials invalid");
			break;
		}
		x->state = SASL_EXCH_ST_NONE;
		st = SASL_STEP_DONE;
		break;
	default:
		st = sasl_fail(x, why, 503, "5.5.1",
		    "No authentication exchange in progress");
		break;
	}
	explicit_bzero(buf, sizeof(buf));
	return st;
}

enum sasl_step
sasl_start(struct sasl_exch *x, unsigned offered, const char *arg,
    size_t arglen, struct reason *why)
{
	const char *sp, *ir = NULL;
	size_t mlen, irlen = 0;
	unsigned mech;

	sasl_exch_clear(x);
	/* AUTH SP mechanism [SP initial-response] (RFC 4954 §4) */
	if (sasl_line_too_long(arglen + 5, why))
		return SASL_STEP_ERROR;
	sp = memchr(arg, ' ', arglen);
	mlen = sp == NULL ? arglen : (size_t)(sp - arg);
	if (sp != NULL) {
		ir = sp + 1;
		irlen = arglen - mlen - 1;
		if (irlen == 0 || memchr(ir, ' ', irlen) != NULL)
			return sasl_fail(x, why, 501, "5.5.4",
			    "Syntax: AUTH mechanism [initial-response]");
	}
	if (mlen == 0)
		return sasl_fail(x, why, 501, "5.5.4",
		    "Syntax: AUTH mechanism [initial-response]");
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0)
		mech = SASL_MECH_PLAIN;
	else if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0)
		mech = SASL_MECH_LOGIN;
	else
		mech = 0;
	if (mech == 0 || !(offered & mech))
		return sasl_fail(x, why, 504, "5.5.4",
		    "Unrecognized authentication type");
	x->mech = mech;
	if (mech == SASL_MECH_PLAIN) {
		sasl_challenge(x, "334 ", SASL_EXCH_ST_PLAIN);
		if (ir == NULL)
			return SASL_STEP_CHALLENGE;
	} else {
		sasl_challenge(x, SASL_LOGIN_USER_PROMPT,
		    SASL_EXCH_ST_LOGIN_USER);
		if (ir == NULL)
			return SASL_STEP_CHALLENGE;
	}
	/* "=" is an initial response of zero octets */
	if (irlen == 1 && ir[0] == '=')
		irlen = 0;
	return sasl_feed(x, ir, irlen, why);
}

enum sasl_step
sasl_response(struct sasl_exch *x, const char *line, size_t len,
    struct reason *why)
{
	if (x->state == SASL_EXCH_ST_NONE)
		return sasl_fail(x, why, 503, "5.5.1",
		    "No authentication exchange in progress");
	if (sasl_line_too_long(len, why)) {
		sasl_exch_clear(x);
		return SASL_STEP_ERROR;
	}
	return sasl_feed(x, line, len, why);
}

void
sasl_exch_clear(struct sasl_exch *x)
{
	explicit_bzero(x, sizeof(*x));
}
