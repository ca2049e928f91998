/*
 * smtp_addr.c: pure parsers for MAIL FROM / RCPT TO arguments: the path
 * (RFC 5321 §4.1.2, §4.5.3.1; RFC 6531 SMTPUTF8) and the ESMTP
 * parameters (RFC 1870, 3461, 4954, 6152, 6531, 8689).  No I/O, no
 * allocation, no global state.  Linked by smtpin.  See smtp_addr.h for
 * the reply codes chosen.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_addr.h"

#define SMTP_ADDR_ROLE(f)	((f) & (SMTP_ADDR_MAIL | SMTP_ADDR_RCPT))

/* A syntax error inside the path: 5.1.7 for a sender, 5.1.3 for a
 * recipient (RFC 3463). */
static int
smtp_addr_bad_addr(struct reason *why, unsigned flags, const char *detail)
{
	if (SMTP_ADDR_ROLE(flags) == SMTP_ADDR_MAIL)
		return reason_set(why, 501, "5.1.7",
		    "Bad sender address syntax: %s", detail);
	return reason_set(why, 501, "5.1.3", "Bad recipient address syntax: %s",
	    detail);
}

static int
smtp_addr_bad_brackets(struct reason *why, unsigned flags)
{
	if (SMTP_ADDR_ROLE(flags) == SMTP_ADDR_MAIL)
		return reason_set(why, 501, "5.5.2",
		    "Syntax: MAIL FROM:<address>");
	return reason_set(why, 501, "5.5.2", "Syntax: RCPT TO:<address>");
}

static int
smtp_addr_no_utf8(struct reason *why)
{
	return reason_set(why, 553, "5.6.7",
	    "Non-ASCII address requires SMTPUTF8");
}

size_t
smtp_addr_utf8_len(const unsigned char *s, size_t len)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;		/* > U+10FFFF */
	} else
		return 0;
	if (len < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static int
smtp_addr_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
smtp_addr_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
smtp_addr_is_atext(unsigned char c)
{
	return smtp_addr_is_alpha(c) || smtp_addr_is_digit(c) || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static unsigned char
smtp_addr_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

enum smtp_addr_dom_err {
	SMTP_ADDR_DOM_OK = 0,
	SMTP_ADDR_DOM_SYNTAX,
	SMTP_ADDR_DOM_8BIT,	/* non-ASCII without SMTPUTF8 */
	SMTP_ADDR_DOM_BADUTF8,
	SMTP_ADDR_DOM_LABEL,	/* a label over 63 octets */
	SMTP_ADDR_DOM_LONG,	/* over 255 octets */
	SMTP_ADDR_DOM_LITERAL	/* bad or unsupported address literal */
};

/*
 * Address literal at s[0] == '['.  Only IPv4 and "IPv6:" are routable;
 * a General-address-literal is refused as unsupported.
 */
static enum smtp_addr_dom_err
smtp_addr_parse_literal(const char *s, size_t len, unsigned flags,
    size_t *used)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 tmp[64];
	unsigned char		 bin[16];
	size_t			 i, n;

	for (i = 1; i < len && u[i] != ']'; i++) {
		if (u[i] >= 0x80)
			return (flags & SMTP_ADDR_UTF8) ?
			    SMTP_ADDR_DOM_LITERAL : SMTP_ADDR_DOM_8BIT;
		/* dcontent: %d33-90 / %d94-126 */
		if (u[i] < 33 || u[i] > 126 || u[i] == '[' || u[i] == '\\')
			return SMTP_ADDR_DOM_LITERAL;
	}
	if (i >= len)
		return SMTP_ADDR_DOM_SYNTAX;
	n = i - 1;
	if (n == 0 || n >= sizeof(tmp))
		return SMTP_ADDR_DOM_LITERAL;
	memcpy(tmp, s + 1, n);
	tmp[n] = '\0';
	if (n > 5 && strncasecmp(tmp, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, tmp + 5, bin) != 1)
			return SMTP_ADDR_DOM_LITERAL;
	} else if (inet_pton(AF_INET, tmp, bin) != 1)
		return SMTP_ADDR_DOM_LITERAL;
	*used = i + 1;
	return SMTP_ADDR_DOM_OK;
}

/*
 * Parses a Domain or address literal at the start of s, stopping at the
 * first byte that cannot continue it; *used is its length.
 */
static enum smtp_addr_dom_err
smtp_addr_parse_domain(const char *s, size_t len, unsigned flags, size_t *used)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 p = 0, lstart, n;

	if (len > 0 && u[0] == '[')
		return smtp_addr_parse_literal(s, len, flags, used);
	for (;;) {
		lstart = p;
		while (p < len) {
			if (smtp_addr_is_alpha(u[p]) ||
			    smtp_addr_is_digit(u[p]) || u[p] == '-')
				p++;
			else if (u[p] >= 0x80) {
				if (!(flags & SMTP_ADDR_UTF8))
					return SMTP_ADDR_DOM_8BIT;
				if ((n = smtp_addr_utf8_len(u + p,
				    len - p)) == 0)
					return SMTP_ADDR_DOM_BADUTF8;
				p += n;
			} else
				break;
		}
		if (p == lstart || u[lstart] == '-' || u[p - 1] == '-')
			return SMTP_ADDR_DOM_SYNTAX;
		if (p - lstart > SMTP_ADDR_LABEL_MAX)
			return SMTP_ADDR_DOM_LABEL;
		if (p > SMTP_ADDR_DOMAIN_MAX)
			return SMTP_ADDR_DOM_LONG;
		if (p < len && u[p] == '.') {
			p++;
			continue;
		}
		break;
	}
	*used = p;
	return SMTP_ADDR_DOM_OK;
}

static int
smtp_addr_domain_fail(struct reason *why, unsigned flags,
    enum smtp_addr_dom_err e)
{
	switch (e) {
	case SMTP_ADDR_DOM_8BIT:
		return smtp_addr_no_utf8(why);
	case SMTP_ADDR_DOM_BADUTF8:
		return smtp_addr_bad_addr(why, flags,
		    "invalid UTF-8 in domain");
	case SMTP_ADDR_DOM_LABEL:
		return smtp_addr_bad_addr(why, flags,
		    "domain label too long (limit 63 octets)");
	case SMTP_ADDR_DOM_LONG:
		return smtp_addr_bad_addr(why, flags,
		    "domain too long (limit 255 octets)");
	case SMTP_ADDR_DOM_LITERAL:
		return smtp_addr_bad_addr(why, flags,
		    "invalid address literal");
	default:
		return smtp_addr_bad_addr(why, flags, "invalid domain");
	}
}

int
smtp_addr_domain_valid(const char *s, size_t len, unsigned flags)
{
	size_t used = 0;

	if (smtp_addr_parse_domain(s, len, flags, &used) != SMTP_ADDR_DOM_OK ||
	    used != len)
		return -1;
	return 0;
}

int
smtp_addr_domain_match(const char *domain, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] != NULL && strcasecmp(domain, list[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Local part at s[0]: dot-string or quoted-string.  Writes the decoded
 * form into out->local_dec and sets is_quoted / is_utf8.  *used is the
 * wire length.
 */
static int
smtp_addr_parse_local(const char *s, size_t len, unsigned flags,
    struct smtp_addr *out, size_t *used, struct reason *why)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 p = 0, d = 0, n, k;

	if (len > 0 && u[0] == '"') {
		out->is_quoted = 1;
		p = 1;
		for (;;) {
			if (p >= len)
				return smtp_addr_bad_addr(why, flags,
				    "unterminated quoted string");
			if (u[p] == '"')
				break;
			if (u[p] == '\\') {
				/* quoted-pairSMTP = %d92 %d32-126 */
				if (p + 1 >= len || u[p + 1] < 32 ||
				    u[p + 1] > 126)
					return smtp_addr_bad_addr(why, flags,
					    "invalid quoted pair");
				n = 1;
				p++;
			} else if (u[p] >= 0x80) {
				if (!(flags & SMTP_ADDR_UTF8))
					return smtp_addr_no_utf8(why);
				if ((n = smtp_addr_utf8_len(u + p,
				    len - p)) == 0)
					return smtp_addr_bad_addr(why, flags,
					    "invalid UTF-8 in local part");
				out->is_utf8 = 1;
			} else if (u[p] < 32 || u[p] > 126)
				/* qtextSMTP = %d32-33 / %d35-91 / %d93-126 */
				return smtp_addr_bad_addr(why, flags,
				    "invalid character in quoted string");
			else
				n = 1;
			if (p + n > SMTP_ADDR_LOCAL_MAX)
				return smtp_addr_bad_addr(why, flags,
				    "local part too long (limit 64 octets)");
			for (k = 0; k < n; k++)
				out->local_dec[d++] = s[p + k];
			p += n;
		}
		p++;		/* closing quote */
		if (p > SMTP_ADDR_LOCAL_MAX)
			return smtp_addr_bad_addr(why, flags,
			    "local part too long (limit 64 octets)");
	} else {
		for (;;) {
			size_t astart = p;

			while (p < len) {
				if (smtp_addr_is_atext(u[p]))
					n = 1;
				else if (u[p] >= 0x80) {
					if (!(flags & SMTP_ADDR_UTF8))
						return smtp_addr_no_utf8(why);
					if ((n = smtp_addr_utf8_len(u + p,
					    len - p)) == 0)
						return smtp_addr_bad_addr(why,
						    flags, "invalid UTF-8 in "
						    "local part");
					out->is_utf8 = 1;
				} else
					break;
				if (p + n > SMTP_ADDR_LOCAL_MAX)
					return smtp_addr_bad_addr(why, flags,
					    "local part too long "
					    "(limit 64 octets)");
				p += n;
			}
			if (p == astart)
				return smtp_addr_bad_addr(why, flags, p == 0 ?
				    "empty local part" :
				    "empty atom in local part");
			if (p < len && u[p] == '.') {
				p++;
				continue;
			}
			break;
		}
		memcpy(out->local_dec, s, p);
		d = p;
	}
	out->local_dec[d] = '\0';
	memcpy(out->local, s, p);
	out->local[p] = '\0';
	out->local_len = p;
	for (k = 0; k < d; k++)
		if (out->local_dec[k] == '%' || out->local_dec[k] == '!' ||
		    out->local_dec[k] == '@')
			out->local_has_routing = 1;
	*used = p;
	return 0;
}

/* A-d-l = At-domain *( "," At-domain ) ":" ; s[0] == '@'. */
static int
smtp_addr_parse_route(const char *s, size_t len, unsigned flags, size_t *used,
    struct reason *why)
{
	size_t			p = 0, n;
	enum smtp_addr_dom_err	e;

	for (;;) {
		if (p >= len || s[p] != '@')
			return smtp_addr_bad_addr(why, flags,
			    "invalid source route");
		p++;
		if (p < len && s[p] == '[')
			return smtp_addr_bad_addr(why, flags,
			    "invalid source route");
		if ((e = smtp_addr_parse_domain(s + p, len - p, flags, &n)) !=
		    SMTP_ADDR_DOM_OK)
			return smtp_addr_domain_fail(why, flags, e);
		p += n;
		if (p < len && s[p] == ',') {
			p++;
			continue;
		}
		if (p < len && s[p] == ':')
			break;
		return smtp_addr_bad_addr(why, flags, "invalid source route");
	}
	*used = p + 1;
	return 0;
}

int
smtp_addr_parse_path(const char *s, size_t len, unsigned flags,
    struct smtp_addr *out, const char **rest, struct reason *why)
{
	size_t			p = 1, n = 0;
	enum smtp_addr_dom_err	e;

	memset(out, 0, sizeof(*out));
	if (SMTP_ADDR_ROLE(flags) != SMTP_ADDR_MAIL &&
	    SMTP_ADDR_ROLE(flags) != SMTP_ADDR_RCPT)
		return reason_set(why, 451, "4.3.0",
		    "Internal error: address role");
	/* Missing brackets get the usage text (Postfix would accept them;
	 * we do not guess). */
	if (len == 0 || s[0] != '<' || memchr(s, '>', len) == NULL)
		return smtp_addr_bad_brackets(why, flags);

	if (s[p] == '>') {
		if (SMTP_ADDR_ROLE(flags) != SMTP_ADDR_MAIL)
			return smtp_addr_bad_addr(why, flags, "null recipient");
		out->is_null = 1;
		p++;
		goto done;
	}
	if (s[p] == '@') {
		if (smtp_addr_parse_route(s + p, len - p, flags, &n, why) == -1)
			return -1;
		out->had_source_route = 1;
		p += n;
	}
	if (smtp_addr_parse_local(s + p, len - p, flags, out, &n, why) == -1)
		return -1;
	p += n;
	if (strcasecmp(out->local_dec, "postmaster") == 0)
		out->is_postmaster = 1;

	if (p < len && s[p] == '>') {
		/* RFC 5321 §4.1.1.3: "<Postmaster>" without a domain. */
		if (SMTP_ADDR_ROLE(flags) != SMTP_ADDR_RCPT ||
		    !out->is_postmaster || out->is_quoted ||
		    out->had_source_route)
			return smtp_addr_bad_addr(why, flags, "domain missing");
		p++;
		memcpy(out->addr, out->local, out->local_len + 1);
		out->addr_len = out->local_len;
		goto done;
	}
	if (p >= len || s[p] != '@')
		return smtp_addr_bad_addr(why, flags,
		    "'@' expected after local part");
	p++;
	if ((e = smtp_addr_parse_domain(s + p, len - p, flags, &n)) !=
	    SMTP_ADDR_DOM_OK)
		return smtp_addr_domain_fail(why, flags, e);
	out->is_literal = s[p] == '[';
	memcpy(out->domain, s + p, n);
	out->domain[n] = '\0';
	out->domain_len = n;
	p += n;
	if (p >= len || s[p] != '>')
		return smtp_addr_bad_addr(why, flags,
		    "'>' expected after domain");
	p++;
	for (n = 0; n <= out->domain_len; n++)
		out->domain_lc[n] =
		    (char)smtp_addr_lower((unsigned char)out->domain[n]);
	for (n = 0; n < out->domain_len; n++)
		if ((unsigned char)out->domain[n] >= 0x80)
			out->is_utf8 = 1;
	if (out->local_len + 1 + out->domain_len > SMTP_ADDR_ADDR_MAX)
		return smtp_addr_bad_addr(why, flags,
		    "path too long (limit 256 octets)");
	memcpy(out->addr, out->local, out->local_len);
	out->addr[out->local_len] = '@';
	memcpy(out->addr + out->local_len + 1, out->domain,
	    out->domain_len + 1);
	out->addr_len = out->local_len + 1 + out->domain_len;
done:
	/* The route counts too: the limit is on the path as sent. */
	if (p > SMTP_ADDR_PATH_MAX)
		return smtp_addr_bad_addr(why, flags,
		    "path too long (limit 256 octets)");
	if (rest != NULL)
		*rest = s + p;
	else if (p != len)
		return smtp_addr_bad_addr(why, flags, "text after '>'");
	return 0;
}

/* ---- ESMTP parameters ---- */

enum smtp_addr_param_key {
	SMTP_ADDR_PK_SIZE = 0, SMTP_ADDR_PK_BODY, SMTP_ADDR_PK_SMTPUTF8,
	SMTP_ADDR_PK_RET, SMTP_ADDR_PK_ENVID, SMTP_ADDR_PK_REQUIRETLS,
	SMTP_ADDR_PK_AUTH, SMTP_ADDR_PK_NOTIFY, SMTP_ADDR_PK_ORCPT
};

static const struct {
	const char	*name;
	unsigned	 role;
} smtp_addr_param_keys[] = {
	[SMTP_ADDR_PK_SIZE] = { "SIZE", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_BODY] = { "BODY", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_SMTPUTF8] = { "SMTPUTF8", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_RET] = { "RET", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_ENVID] = { "ENVID", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_REQUIRETLS] = { "REQUIRETLS", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_AUTH] = { "AUTH", SMTP_ADDR_MAIL },
	[SMTP_ADDR_PK_NOTIFY] = { "NOTIFY", SMTP_ADDR_RCPT },
	[SMTP_ADDR_PK_ORCPT] = { "ORCPT", SMTP_ADDR_RCPT },
};

static int
smtp_addr_bad_value(struct reason *why, const char *key, const char *detail)
{
	return reason_set(why, 501, "5.5.4", "Invalid %s parameter: %s", key,
	    detail);
}

static int
smtp_addr_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;		/* RFC 3461 §4: upper case only */
}

/*
 * Decodes xtext (RFC 3461 §4) into out[0..size-1] plus NUL.  The decoded
 * bytes must be printable ASCII, or well-formed UTF-8 if utf8 is set.
 * Returns the decoded length or -1.
 */
static int
smtp_addr_xtext_decode(const char *s, size_t len, int utf8, char *out,
    size_t size)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 p = 0, d = 0, n;
	int			 h1, h2;
	unsigned char		 c;

	while (p < len) {
		if (u[p] == '+') {
			if (len - p < 3 ||
			    (h1 = smtp_addr_hexval(u[p + 1])) < 0 ||
			    (h2 = smtp_addr_hexval(u[p + 2])) < 0)
				return -1;
			c = (unsigned char)(h1 * 16 + h2);
			if (c < 32 || c > 126)
				return -1;
			if (d + 1 >= size)
				return -1;
			out[d++] = (char)c;
			p += 3;
		} else if (u[p] >= 33 && u[p] <= 126 && u[p] != '=') {
			if (d + 1 >= size)
				return -1;
			out[d++] = s[p++];
		} else if (u[p] >= 0x80 && utf8) {
			if ((n = smtp_addr_utf8_len(u + p, len - p)) == 0 ||
			    d + n >= size)
				return -1;
			memcpy(out + d, s + p, n);
			d += n;
			p += n;
		} else
			return -1;
	}
	out[d] = '\0';
	return (int)d;
}

static int
smtp_addr_word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

static int
smtp_addr_param_notify(const char *v, size_t vlen, struct smtp_params *out,
    struct reason *why)
{
	size_t		p = 0, start;
	unsigned	bit;

	while (p <= vlen) {
		start = p;
		while (p < vlen && v[p] != ',')
			p++;
		if (smtp_addr_word_is(v + start, p - start, "NEVER"))
			bit = SMTP_ADDR_NOTIFY_NEVER;
		else if (smtp_addr_word_is(v + start, p - start, "SUCCESS"))
			bit = SMTP_ADDR_NOTIFY_SUCCESS;
		else if (smtp_addr_word_is(v + start, p - start, "FAILURE"))
			bit = SMTP_ADDR_NOTIFY_FAILURE;
		else if (smtp_addr_word_is(v + start, p - start, "DELAY"))
			bit = SMTP_ADDR_NOTIFY_DELAY;
		else
			return smtp_addr_bad_value(why, "NOTIFY",
			    "unknown keyword");
		if (out->notify & bit)
			return smtp_addr_bad_value(why, "NOTIFY",
			    "repeated keyword");
		out->notify |= bit;
		p++;		/* skip ',' (or step past the end) */
	}
	if ((out->notify & SMTP_ADDR_NOTIFY_NEVER) &&
	    out->notify != SMTP_ADDR_NOTIFY_NEVER)
		return smtp_addr_bad_value(why, "NOTIFY",
		    "NEVER must be alone");
	return 0;
}

static int
smtp_addr_param_orcpt(const char *v, size_t vlen, unsigned flags,
    struct smtp_params *out, struct reason *why)
{
	const char	*semi;
	size_t		 tlen, i;

	if ((semi = memchr(v, ';', vlen)) == NULL)
		return smtp_addr_bad_value(why, "ORCPT", "addr-type missing");
	tlen = (size_t)(semi - v);
	if (tlen == 0 || tlen > SMTP_ADDR_ATYPE_MAX)
		return smtp_addr_bad_value(why, "ORCPT", "invalid addr-type");
	for (i = 0; i < tlen; i++)
		if (!smtp_addr_is_atext((unsigned char)v[i]))
			return smtp_addr_bad_value(why, "ORCPT",
			    "invalid addr-type");
	memcpy(out->orcpt_type, v, tlen);
	out->orcpt_type[tlen] = '\0';
	if (vlen - tlen - 1 == 0 || vlen > SMTP_ADDR_XTEXT_MAX)
		return smtp_addr_bad_value(why, "ORCPT", "invalid length");
	if (smtp_addr_xtext_decode(semi + 1, vlen - tlen - 1,
	    (flags & SMTP_ADDR_UTF8) != 0, out->orcpt,
	    sizeof(out->orcpt)) == -1)
		return smtp_addr_bad_value(why, "ORCPT", "invalid xtext");
	out->has_orcpt = 1;
	return 0;
}

static int
smtp_addr_param_one(enum smtp_addr_param_key k, const char *v, size_t vlen,
    int hasv, unsigned flags, struct smtp_params *out, struct reason *why)
{
	const char	*name = smtp_addr_param_keys[k].name;
	size_t		 i;
	uint64_t	 n, d;

	/* Keywords without a value, and keywords that need one. */
	if (k == SMTP_ADDR_PK_SMTPUTF8 || k == SMTP_ADDR_PK_REQUIRETLS) {
		if (hasv)
			return smtp_addr_bad_value(why, name, "takes no value");
	} else if (!hasv)
		return smtp_addr_bad_value(why, name, "value required");

	switch (k) {
	case SMTP_ADDR_PK_SIZE:
		if (vlen > 20)
			return smtp_addr_bad_value(why, name,
			    "too many digits");
		n = 0;
		for (i = 0; i < vlen; i++) {
			if (!smtp_addr_is_digit((unsigned char)v[i]))
				return smtp_addr_bad_value(why, name,
				    "not a number");
			d = (uint64_t)(v[i] - '0');
			/* Saturate: the caller answers 552 for it. */
			if (n > (UINT64_MAX - d) / 10)
				n = UINT64_MAX;
			else
				n = n * 10 + d;
		}
		out->has_size = 1;
		out->size = n;
		return 0;
	case SMTP_ADDR_PK_BODY:
		if (smtp_addr_word_is(v, vlen, "7BIT"))
			out->body = SMTP_ADDR_BODY_7BIT;
		else if (smtp_addr_word_is(v, vlen, "8BITMIME"))
			out->body = SMTP_ADDR_BODY_8BITMIME;
		else
			return smtp_addr_bad_value(why, name,
			    "unsupported body type");
		return 0;
	case SMTP_ADDR_PK_SMTPUTF8:
		out->smtputf8 = 1;
		return 0;
	case SMTP_ADDR_PK_RET:
		if (smtp_addr_word_is(v, vlen, "FULL"))
			out->ret = SMTP_ADDR_RET_FULL;
		else if (smtp_addr_word_is(v, vlen, "HDRS"))
			out->ret = SMTP_ADDR_RET_HDRS;
		else
			return smtp_addr_bad_value(why, name,
			    "expected FULL or HDRS");
		return 0;
	case SMTP_ADDR_PK_ENVID:
		/* Encoded it may be up to three times the decoded limit. */
		if (vlen > 3 * SMTP_ADDR_ENVID_MAX ||
		    smtp_addr_xtext_decode(v, vlen, 0, out->envid,
		    sizeof(out->envid)) == -1)
			return smtp_addr_bad_value(why, name,
			    "invalid xtext or over 100 characters");
		out->has_envid = 1;
		return 0;
	case SMTP_ADDR_PK_REQUIRETLS:
		out->requiretls = 1;
		return 0;
	case SMTP_ADDR_PK_AUTH:
		out->has_auth = 1;
		if (vlen == 2 && v[0] == '<' && v[1] == '>') {
			out->auth_null = 1;
			return 0;
		}
		if (vlen > SMTP_ADDR_XTEXT_MAX ||
		    smtp_addr_xtext_decode(v, vlen,
		    (flags & SMTP_ADDR_UTF8) != 0, out->auth,
		    sizeof(out->auth)) == -1)
			return smtp_addr_bad_value(why, name, "invalid xtext");
		return 0;
	case SMTP_ADDR_PK_NOTIFY:
		return smtp_addr_param_notify(v, vlen, out, why);
	case SMTP_ADDR_PK_ORCPT:
		return smtp_addr_param_orcpt(v, vlen, flags, out, why);
	}
	return smtp_addr_bad_value(why, name, "internal error");
}

int
smtp_addr_parse_params(const char *s, size_t len, unsigned flags,
    struct smtp_params *out, struct reason *why)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned		 seen = 0;
	size_t			 p = 0, kstart, klen, vstart, vlen, n, k;
	int			 hasv;

	memset(out, 0, sizeof(*out));
	if (SMTP_ADDR_ROLE(flags) != SMTP_ADDR_MAIL &&
	    SMTP_ADDR_ROLE(flags) != SMTP_ADDR_RCPT)
		return reason_set(why, 451, "4.3.0",
		    "Internal error: address role");
	while (p < len) {
		if (u[p] != ' ' || p + 1 >= len || u[p + 1] == ' ')
			return reason_set(why, 501, "5.5.4",
			    "Syntax error in parameters");
		kstart = ++p;
		/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
		while (p < len && (smtp_addr_is_alpha(u[p]) ||
		    smtp_addr_is_digit(u[p]) || (u[p] == '-' && p > kstart)))
			p++;
		klen = p - kstart;
		hasv = 0;
		vstart = vlen = 0;
		if (p < len && u[p] == '=') {
			hasv = 1;
			vstart = ++p;
			/* esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8
			 * under SMTPUTF8 (RFC 6531 §3.3) */
			while (p < len && u[p] != ' ') {
				if (u[p] >= 0x80 && (flags & SMTP_ADDR_UTF8) &&
				    (n = smtp_addr_utf8_len(u + p, len - p))
				    > 0) {
					p += n;
					continue;
				}
				if (u[p] < 33 || u[p] > 126 || u[p] == '=')
					return reason_set(why, 501, "5.5.4",
					    "Invalid character in parameter "
					    "value");
				p++;
			}
			vlen = p - vstart;
			if (vlen == 0)
				return reason_set(why, 501, "5.5.4",
				    "Empty parameter value");
		}
		if (klen == 0 || (p < len && u[p] != ' '))
			return reason_set(why, 501, "5.5.4",
			    "Syntax error in parameters");
		for (k = 0; k < sizeof(smtp_addr_param_keys) /
		    sizeof(smtp_addr_param_keys[0]); k++)
			if ((smtp_addr_param_keys[k].role & flags) &&
			    smtp_addr_word_is(s + kstart, klen,
			    smtp_addr_param_keys[k].name))
				break;
		if (k == sizeof(smtp_addr_param_keys) /
		    sizeof(smtp_addr_param_keys[0]))
			return reason_set(why, 555, "5.5.4",
			    "Unsupported parameter %.*s",
			    (int)(klen > 32 ? 32 : klen), s + kstart);
		if (seen & (1u << k))
			return reason_set(why, 555, "5.5.4",
			    "Duplicate parameter %s",
			    smtp_addr_param_keys[k].name);
		seen |= 1u << k;
		if (smtp_addr_param_one((enum smtp_addr_param_key)k,
		    s + vstart, vlen, hasv, flags, out, why) == -1)
			return -1;
	}
	return 0;
}

int
smtp_addr_parse_arg(const char *s, size_t len, unsigned flags,
    struct smtp_addr *addr, struct smtp_params *params, struct reason *why)
{
	const char *rest = NULL;

	if (smtp_addr_parse_path(s, len, flags, addr, &rest, why) == -1)
		return -1;
	if (smtp_addr_parse_params(rest, len - (size_t)(rest - s), flags,
	    params, why) == -1)
		return -1;
	/* RFC 6531 §3.4: the sender's non-ASCII address needs the
	 * SMTPUTF8 parameter on this very MAIL command. */
	if (SMTP_ADDR_ROLE(flags) == SMTP_ADDR_MAIL && addr->is_utf8 &&
	    !params->smtputf8)
		return smtp_addr_no_utf8(why);
	return 0;
}
