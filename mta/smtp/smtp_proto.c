/*
 * smtp_proto.c: pure SMTP line handling (RFC 5321 §4.1, §4.2, §4.5.3;
 * RFC 2034, RFC 3463): command line parser and reply formatter for the
 * server, reply line parser and multiline accumulator for the client.
 * No I/O, no allocation, no global mutable state.  Linked by smtpin and
 * smtpout.  See smtp_proto.h for the reply codes chosen.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_proto.h"

enum smtp_proto_arg_kind {
	SMTP_PROTO_ARG_NONE,		/* nothing but trailing SPs */
	SMTP_PROTO_ARG_DOMAIN,		/* HELO/EHLO */
	SMTP_PROTO_ARG_FROM,		/* "FROM:" path [params] */
	SMTP_PROTO_ARG_TO,		/* "TO:" path [params] */
	SMTP_PROTO_ARG_REQUIRED,	/* any non-empty text */
	SMTP_PROTO_ARG_OPTIONAL,	/* any text or nothing */
};

struct smtp_proto_verb_def {
	const char			*name;
	enum smtp_proto_verb		 verb;
	enum smtp_proto_arg_kind	 kind;
};

static const struct smtp_proto_verb_def smtp_proto_verbs[] = {
	{ "HELO", SMTP_PROTO_HELO, SMTP_PROTO_ARG_DOMAIN },
	{ "EHLO", SMTP_PROTO_EHLO, SMTP_PROTO_ARG_DOMAIN },
	{ "MAIL", SMTP_PROTO_MAIL, SMTP_PROTO_ARG_FROM },
	{ "RCPT", SMTP_PROTO_RCPT, SMTP_PROTO_ARG_TO },
	{ "DATA", SMTP_PROTO_DATA, SMTP_PROTO_ARG_NONE },
	{ "RSET", SMTP_PROTO_RSET, SMTP_PROTO_ARG_NONE },
	{ "NOOP", SMTP_PROTO_NOOP, SMTP_PROTO_ARG_OPTIONAL },
	{ "QUIT", SMTP_PROTO_QUIT, SMTP_PROTO_ARG_NONE },
	{ "VRFY", SMTP_PROTO_VRFY, SMTP_PROTO_ARG_REQUIRED },
	{ "HELP", SMTP_PROTO_HELP, SMTP_PROTO_ARG_OPTIONAL },
	{ "STARTTLS", SMTP_PROTO_STARTTLS, SMTP_PROTO_ARG_NONE },
	{ "AUTH", SMTP_PROTO_AUTH, SMTP_PROTO_ARG_REQUIRED },
	{ "BDAT", SMTP_PROTO_BDAT, SMTP_PROTO_ARG_OPTIONAL },
};
#define SMTP_PROTO_NVERBS \
	(sizeof(smtp_proto_verbs) / sizeof(smtp_proto_verbs[0]))

const char *
smtp_proto_verb_name(enum smtp_proto_verb v)
{
	size_t i;

	for (i = 0; i < SMTP_PROTO_NVERBS; i++)
		if (smtp_proto_verbs[i].verb == v)
			return smtp_proto_verbs[i].name;
	return "?";
}

static int
smtp_proto_is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * HELO/EHLO argument: a Domain or an IPv4 / IPv6 address literal
 * (RFC 5321 §4.1.1.1).  '_' is tolerated inside labels because real
 * hosts (Windows names) send it; non-ASCII is refused (A-labels only).
 * Returns 0 if acceptable.
 */
static int
smtp_proto_helo_valid(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			 tmp[64];
	unsigned char		 bin[16];
	size_t			 p = 0, lstart;

	if (len == 0 || len > SMTP_PROTO_DOMAIN_MAX)
		return -1;
	if (u[0] == '[') {
		if (len < 3 || u[len - 1] != ']' || len - 2 >= sizeof(tmp))
			return -1;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		if (strlen(tmp) != len - 2)
			return -1;
		if (len - 2 > 5 && strncasecmp(tmp, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, tmp + 5, bin) == 1 ? 0 : -1;
		return inet_pton(AF_INET, tmp, bin) == 1 ? 0 : -1;
	}
	for (;;) {
		lstart = p;
		while (p < len && (smtp_proto_is_ldh(u[p]) || u[p] == '_'))
			p++;
		if (p == lstart || p - lstart > 63 || u[lstart] == '-' ||
		    u[p - 1] == '-')
			return -1;
		if (p == len)
			return 0;
		if (u[p] != '.')
			return -1;
		p++;
	}
}

/* The verb at the start of line, or NULL. */
static const struct smtp_proto_verb_def *
smtp_proto_find_verb(const char *line, size_t len, size_t *vlen)
{
	size_t i, n;

	for (n = 0; n < len && line[n] != ' '; n++)
		;
	*vlen = n;
	for (i = 0; i < SMTP_PROTO_NVERBS; i++)
		if (strlen(smtp_proto_verbs[i].name) == n &&
		    strncasecmp(line, smtp_proto_verbs[i].name, n) == 0)
			return &smtp_proto_verbs[i];
	return NULL;
}

size_t
smtp_proto_line_max(const char *line, size_t len, unsigned ext)
{
	const struct smtp_proto_verb_def *v;
	size_t vlen, max = SMTP_PROTO_LINE_MAX;

	if ((v = smtp_proto_find_verb(line, len, &vlen)) == NULL)
		return max;
	if (v->verb == SMTP_PROTO_MAIL) {
		if (ext & SMTP_PROTO_EXT_SIZE)
			max += 26;	/* RFC 1870 §3 */
		if (ext & SMTP_PROTO_EXT_8BITMIME)
			max += 16;	/* RFC 6152 §2 (BODY=) */
		if (ext & SMTP_PROTO_EXT_DSN)
			max += 100;	/* RFC 3461 §4: RET, ENVID */
		if (ext & SMTP_PROTO_EXT_SMTPUTF8)
			max += 10;	/* RFC 6531 §3.4 */
		/*
		 * RFC 8689 names no increase for REQUIRETLS, but its
		 * keyword needs room like every other parameter: " REQUIRETLS".
		 */
		if (ext & SMTP_PROTO_EXT_REQUIRETLS)
			max += 11;
		if (ext & SMTP_PROTO_EXT_AUTH)
			max += 500;	/* RFC 4954 §5 */
	} else if (v->verb == SMTP_PROTO_RCPT) {
		if (ext & SMTP_PROTO_EXT_DSN)
			max += 500;	/* RFC 3461 §4: NOTIFY, ORCPT */
		if (ext & SMTP_PROTO_EXT_SMTPUTF8)
			max += 10;	/* RFC 6531 §3.4 */
	}
	return max;
}

int
smtp_proto_parse_cmd(const char *line, size_t len, unsigned ext,
    struct smtp_proto_cmd *out, struct reason *why)
{
	const struct smtp_proto_verb_def *v;
	const char *arg;
	size_t i, vlen, arglen;

	memset(out, 0, sizeof(*out));
	if (len > smtp_proto_line_max(line, len, ext) - 2)
		return reason_set(why, 500, "5.5.2", "Line too long");
	/* The reader splits at CRLF and refuses bare CR/LF; check anyway,
	 * a NUL in particular would cut texts built from the line. */
	for (i = 0; i < len; i++)
		if (line[i] == '\r' || line[i] == '\n' || line[i] == '\0')
			return reason_set(why, 500, "5.5.2",
			    "Error: CR, LF or NUL in command line");
	if ((v = smtp_proto_find_verb(line, len, &vlen)) == NULL)
		return reason_set(why, 500, "5.5.2",
		    "Error: command not recognized");
	out->verb = v->verb;

	arg = line + vlen;
	arglen = 0;
	if (vlen < len) {
		arg++;			/* the one SP */
		arglen = len - vlen - 1;
	}
	while (arglen > 0 && arg[arglen - 1] == ' ')
		arglen--;		/* trailing SPs, seen in the wild */

	switch (v->kind) {
	case SMTP_PROTO_ARG_NONE:
		if (arglen > 0)
			return reason_set(why, 501, "5.5.4",
			    "Syntax: %s takes no argument", v->name);
		arg = NULL;
		break;
	case SMTP_PROTO_ARG_DOMAIN:
		if (arglen == 0)
			return reason_set(why, 501, "5.5.4",
			    "Syntax: %s hostname", v->name);
		if (smtp_proto_helo_valid(arg, arglen) == -1)
			return reason_set(why, 501, "5.5.4",
			    "Invalid %s argument: domain or address literal "
			    "expected", v->name);
		break;
	case SMTP_PROTO_ARG_FROM:
	case SMTP_PROTO_ARG_TO: {
		const char *kw = v->kind == SMTP_PROTO_ARG_FROM ? "FROM:" :
		    "TO:";
		size_t kwlen = strlen(kw);

		if (arglen < kwlen || strncasecmp(arg, kw, kwlen) != 0)
			return reason_set(why, 501, "5.5.2",
			    "Syntax: %s %s<address>", v->name, kw);
		arg += kwlen;
		arglen -= kwlen;
		/* RFC 5321 has no SP here; tolerate one, as Postfix does. */
		if (arglen > 0 && arg[0] == ' ') {
			arg++;
			arglen--;
		}
		break;
	}
	case SMTP_PROTO_ARG_REQUIRED:
		if (arglen == 0)
			return reason_set(why, 501, "5.5.4",
			    "Syntax: %s requires an argument", v->name);
		break;
	case SMTP_PROTO_ARG_OPTIONAL:
		if (arglen == 0)
			arg = NULL;
		break;
	}
	out->arg = arg;
	out->arglen = arglen;
	return 0;
}

/* RFC 3463: class "." subject "." detail, 1*3 digits each, and the class
 * must agree with the reply code. */
static int
smtp_proto_dsn_valid(const char *dsn, int code)
{
	size_t	p = 0, n;
	int	part;

	if (dsn[0] != (char)('0' + code / 100) || dsn[1] != '.')
		return 0;
	p = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; dsn[p] >= '0' && dsn[p] <= '9'; n++)
			p++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0 && dsn[p++] != '.')
			return 0;
	}
	return dsn[p] == '\0';
}

static int
smtp_proto_text_valid(const char *t)
{
	const unsigned char *u = (const unsigned char *)t;

	for (; *u != '\0'; u++)
		if (*u != '\t' && (*u < 32 || *u > 126))
			return 0;
	return 1;
}

/* Appends s[0..n) to buf, keeping room for the final NUL. */
static int
smtp_proto_put(char *buf, size_t size, size_t *off, const char *s, size_t n)
{
	if (n >= size - *off)
		return -1;
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = '\0';
	return 0;
}

int
smtp_proto_reply(char *buf, size_t size, int code, const char *dsn,
    const char *const *lines, size_t nlines)
{
	size_t	 off = 0, start, i, n = nlines == 0 ? 1 : nlines;
	char	 head[4];

	if (code < 200 || code > 599 || size == 0)
		return -1;
	if (dsn != NULL && dsn[0] == '\0')
		dsn = NULL;
	if (dsn != NULL && !smtp_proto_dsn_valid(dsn, code))
		return -1;
	head[0] = (char)('0' + code / 100);
	head[1] = (char)('0' + code / 10 % 10);
	head[2] = (char)('0' + code % 10);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char	*t = nlines == 0 ? "" : lines[i];
		int		 last = i + 1 == n;

		if (t == NULL || !smtp_proto_text_valid(t))
			return -1;
		start = off;
		head[3] = last ? ' ' : '-';
		/* The last line has no SP when nothing follows the code. */
		if (smtp_proto_put(buf, size, &off, head,
		    last && dsn == NULL && t[0] == '\0' ? 3 : 4) == -1)
			return -1;
		if (dsn != NULL &&
		    smtp_proto_put(buf, size, &off, dsn, strlen(dsn)) == -1)
			return -1;
		if (dsn != NULL && t[0] != '\0' &&
		    smtp_proto_put(buf, size, &off, " ", 1) == -1)
			return -1;
		if (smtp_proto_put(buf, size, &off, t, strlen(t)) == -1 ||
		    smtp_proto_put(buf, size, &off, "\r\n", 2) == -1)
			return -1;
		if (off - start > SMTP_PROTO_REPLY_MAX)
			return -1;
	}
	return (int)off;
}

int
smtp_proto_reply_reason(char *buf, size_t size, const struct reason *why)
{
	const char *line = why->text;

	return smtp_proto_reply(buf, size, why->code, why->dsn, &line, 1);
}

int
smtp_proto_parse_reply_line(const char *line, size_t len, int *code,
    int *more, const char **text, size_t *textlen)
{
	size_t i;

	if (len < 3 || len > SMTP_PROTO_REPLY_LINE_MAX)
		return -1;
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    line[2] < '0' || line[2] > '9')
		return -1;
	for (i = 3; i < len; i++)
		if (line[i] == '\r' || line[i] == '\n' || line[i] == '\0')
			return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*more = 0;
	if (len == 3) {
		*text = line + 3;
		*textlen = 0;
		return 0;
	}
	if (line[3] == '-')
		*more = 1;
	else if (line[3] != ' ')
		return -1;
	*text = line + 4;
	*textlen = len - 4;
	return 0;
}

void
smtp_proto_reply_acc_init(struct smtp_proto_reply_acc *acc)
{
	acc->code = 0;
	acc->done = 0;
	acc->nlines = 0;
	acc->textlen = 0;
	acc->error = NULL;
}

static enum smtp_proto_acc_status
smtp_proto_acc_fail(struct smtp_proto_reply_acc *acc, const char *error)
{
	acc->error = error;
	return SMTP_PROTO_ACC_ERROR;
}

enum smtp_proto_acc_status
smtp_proto_reply_acc_feed(struct smtp_proto_reply_acc *acc, const char *line,
    size_t len)
{
	const char	*text;
	size_t		 textlen;
	int		 code, more;

	if (acc->error != NULL)
		return SMTP_PROTO_ACC_ERROR;
	if (acc->done)
		return smtp_proto_acc_fail(acc,
		    "line after the end of the reply");
	if (smtp_proto_parse_reply_line(line, len, &code, &more, &text,
	    &textlen) == -1)
		return smtp_proto_acc_fail(acc, "malformed reply line");
	if (acc->nlines == 0)
		acc->code = code;
	else if (code != acc->code)
		return smtp_proto_acc_fail(acc,
		    "reply code changed within a reply");
	if (acc->nlines >= SMTP_PROTO_ACC_LINES)
		return smtp_proto_acc_fail(acc, "too many lines in reply");
	if (textlen > sizeof(acc->text) - acc->textlen)
		return smtp_proto_acc_fail(acc, "reply too long");
	memcpy(acc->text + acc->textlen, text, textlen);
	acc->off[acc->nlines] = acc->textlen;
	acc->len[acc->nlines] = textlen;
	acc->textlen += textlen;
	acc->nlines++;
	if (more)
		return SMTP_PROTO_ACC_MORE;
	acc->done = 1;
	return SMTP_PROTO_ACC_DONE;
}

int
smtp_proto_reply_dsn(const char *text, size_t len, int code, char dsn[16],
    size_t *skip)
{
	size_t	p, n;
	int	part;

	dsn[0] = '\0';
	*skip = 0;
	if (len < 5 || text[0] != (char)('0' + code / 100) || text[1] != '.')
		return 0;
	p = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; p < len && text[p] >= '0' && text[p] <= '9'; n++)
			p++;
		if (n < 1 || n > 3)
			return 0;
		if (part == 0) {
			if (p >= len || text[p] != '.')
				return 0;
			p++;
		}
	}
	if (p < len && text[p] != ' ')
		return 0;
	memcpy(dsn, text, p);
	dsn[p] = '\0';
	*skip = p < len ? p + 1 : p;
	return 1;
}
