/*
 * sendmail_args.c: the pure half of sendmail(8) (doc/design.md §1.5): the
 * command line as Postfix's sendmail(1) takes it, the input lines, and
 * the header work of -t (recipients from To/Cc/Bcc, RFC 5322 §3.4
 * address lists with groups, comments and quoted strings; Bcc removed)
 * and of the fields the command adds. No I/O.
 * Linked by the sealpost-sendmail binary and tests/unit/test_sendmail_args.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sendmail.h"

/* Options that take a value: ours, then those Postfix takes and ignores. */
#define SENDMAIL_ARGS_WITH_VALUE	"fFrCBhNRVXOL"

static int	sendmail_args_err(char *, size_t, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/* Says why in err; returns EX_USAGE. */
static int
sendmail_args_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* cut short, it still says why */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return EX_USAGE;
}

/* -f and -r: "<>" and "" are the null sender; <a@b> loses its brackets. */
static int
sendmail_args_sender(struct sendmail_opts *o, const char *v, char *err,
    size_t errlen)
{
	size_t len = strlen(v), i;

	if (len >= 2 && v[0] == '<' && v[len - 1] == '>') {
		v++;
		len -= 2;
	}
	if (len > SENDMAIL_ADDR_MAX)
		return sendmail_args_err(err, errlen, "-f: sender address too "
		    "long: %s", v);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f || v[i] == '<' ||
		    v[i] == '>')
			return sendmail_args_err(err, errlen, "-f: not an "
			    "address: %s", v);
	memcpy(o->sender, v, len);
	o->sender[len] = '\0';
	o->have_sender = 1;
	return 0;
}

/* One option letter c with its value v (NULL for one without). */
static int
sendmail_args_opt(struct sendmail_opts *o, char c, const char *v, char *err,
    size_t errlen)
{
	char one[2] = { c, '\0' };
	size_t i;

	switch (c) {
	case 't':
		o->extract = 1;
		return 0;
	case 'i':
		o->dot_ends = 0;
		return 0;
	case 'f':
	case 'r':
		return sendmail_args_sender(o, v, err, errlen);
	case 'F':
		if (strlcpy(o->fullname, v, sizeof(o->fullname)) >=
		    sizeof(o->fullname))
			return sendmail_args_err(err, errlen, "-F: name too "
			    "long: %s", v);
		for (i = 0; o->fullname[i] != '\0'; i++)
			if ((unsigned char)o->fullname[i] < ' ' ||
			    o->fullname[i] == 0x7f)
				return sendmail_args_err(err, errlen, "-F: a "
				    "control character in the name");
		return 0;
	case 'C':
		o->config = v;
		return 0;
	case 'd':
		o->debug = 1;	/* -bD only, checked at the end */
		return 0;
	case 'I':
		o->mode = SENDMAIL_MODE_ALIASES;
		return 0;
	case 'B': case 'h': case 'N': case 'R': case 'V': case 'X': case 'O':
	case 'L': case 'm': case 'n': case 'U': case 'v':
		/* Postfix's sendmail takes and ignores these too */
		return 0;
	}
	return sendmail_args_err(err, errlen, "unknown option -%s", one);
}

/*
 * The letters after "-b", "-o" and "-q", which take the rest of their
 * word. Returns 0 or EX_USAGE.
 */
static int
sendmail_args_word(struct sendmail_opts *o, char c, const char *rest,
    char *err, size_t errlen)
{
	if (c == 'q') {
		/* -q, -q30m, -qR..., -qS...: the daemon schedules; flush now */
		o->mode = SENDMAIL_MODE_FLUSH;
		return 0;
	}
	if (c == 'o') {
		/* -oi is -i; the rest (-om, -oem, -o7, -oQ...) is ignored */
		if (rest[0] == '\0')
			return sendmail_args_err(err, errlen, "-o needs an "
			    "option letter");
		if (strcmp(rest, "i") == 0)
			o->dot_ends = 0;
		return 0;
	}
	/* -b */
	if (strcmp(rest, "m") == 0)
		o->mode = SENDMAIL_MODE_SEND;
	else if (strcmp(rest, "s") == 0)
		o->mode = SENDMAIL_MODE_SMTP;
	else if (strcmp(rest, "p") == 0)
		o->mode = SENDMAIL_MODE_QUEUE;
	else if (strcmp(rest, "i") == 0)
		o->mode = SENDMAIL_MODE_ALIASES;
	else if (strcmp(rest, "D") == 0)
		o->mode = SENDMAIL_MODE_DRAIN;	/* sealpostd's, root only */
	else if (strcmp(rest, "d") == 0)
		return sendmail_args_err(err, errlen, "-b%s: the daemon is "
		    "sealpostd(8)", rest);
	else
		return sendmail_args_err(err, errlen, "-b%s: unsupported mode; "
		    "use -bm, -bs, -bp or -bi", rest);
	return 0;
}

int
sendmail_args_parse(int argc, char *const argv[], struct sendmail_opts *o,
    char *err, size_t errlen)
{
	const char *name, *p, *v;
	int i, r;

	memset(o, 0, sizeof(*o));
	o->dot_ends = 1;
	if (argc < 1 || argv[0] == NULL)
		return sendmail_args_err(err, errlen, "no program name");
	name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if (strcmp(name, "mailq") == 0) {
		/* its options are sealpost queue's (sealpost(8)) */
		o->mode = SENDMAIL_MODE_QUEUE;
		return 0;
	}
	if (strcmp(name, "newaliases") == 0) {
		o->mode = SENDMAIL_MODE_ALIASES;
		return 0;
	}
	for (i = 1; i < argc; i++) {
		p = argv[i];
		if (p[0] != '-' || p[1] == '\0')
			break;
		if (strcmp(p, "--") == 0) {
			i++;
			break;
		}
		if (p[1] == '-')
			return sendmail_args_err(err, errlen, "unknown option "
			    "%s", p);
		for (p++; *p != '\0'; p++) {
			if (*p == 'b' || *p == 'o' || *p == 'q') {
				if ((r = sendmail_args_word(o, *p, p + 1, err,
				    errlen)) != 0)
					return r;
				break;
			}
			if (strchr(SENDMAIL_ARGS_WITH_VALUE, *p) == NULL) {
				if ((r = sendmail_args_opt(o, *p, NULL, err,
				    errlen)) != 0)
					return r;
				continue;
			}
			/* the rest of the word, else the next one */
			if (p[1] != '\0')
				v = p + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				char one[2] = { *p, '\0' };

				return sendmail_args_err(err, errlen, "option "
				    "-%s needs a value", one);
			}
			if ((r = sendmail_args_opt(o, *p, v, err, errlen)) != 0)
				return r;
			break;
		}
	}
	o->rcpt = argv + i;
	o->nrcpt = (size_t)(argc - i);
	if (o->mode == SENDMAIL_MODE_SEND && !o->extract && o->nrcpt == 0)
		return sendmail_args_err(err, errlen, "no recipients: name "
		    "them on the command line or use -t");
	if (o->debug && o->mode != SENDMAIL_MODE_DRAIN)
		return sendmail_args_err(err, errlen, "unknown option -d");
	if (o->mode != SENDMAIL_MODE_SEND && o->nrcpt > 0)
		return sendmail_args_err(err, errlen, "recipients given with "
		    "a mode that sends nothing: %s", argv[i]);
	return 0;
}

int
sendmail_rcpt_add(struct sendmail_rcpts *r, const char *addr, size_t len)
{
	size_t i;

	if (len == 0 || len > SENDMAIL_ADDR_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)addr[i] <= ' ' || addr[i] == 0x7f ||
		    addr[i] == '<' || addr[i] == '>')
			return -1;
	for (i = 0; i < r->n; i++)
		if (strlen(r->addr[i]) == len &&
		    strncasecmp(r->addr[i], addr, len) == 0)
			return 0;
	if (r->n >= SENDMAIL_RCPT_MAX)
		return -1;
	memcpy(r->addr[r->n], addr, len);
	r->addr[r->n][len] = '\0';
	r->n++;
	return 0;
}

/* The length of the line at msg[0..len) with its CRLF (or up to len). */
static size_t
sendmail_hdr_line(const char *msg, size_t len)
{
	const char *nl = memchr(msg, '\n', len);

	return nl == NULL ? len : (size_t)(nl - msg) + 1;
}

/* Whether line[0..len) starts a header field: a name, then a colon. */
static int
sendmail_hdr_is_field(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (line[i] == ':')
			return i > 0;
		if ((unsigned char)line[i] <= ' ' ||
		    (unsigned char)line[i] > '~')
			return 0;
	}
	return 0;
}

size_t
sendmail_hdr_len(const char *msg, size_t len)
{
	size_t off = 0, n;

	while (off < len) {
		n = sendmail_hdr_line(msg + off, len - off);
		if (msg[off] == ' ' || msg[off] == '\t') {
			if (off == 0)
				return 0;	/* a continuation of nothing */
		} else if (!sendmail_hdr_is_field(msg + off, n))
			return off;	/* the empty line, or a body */
		off += n;
	}
	return off;
}

/*
 * The field at hdr[off..): its whole length with continuation lines
 * (*flen), and whether its name is name (no case).
 */
static int
sendmail_hdr_field(const char *hdr, size_t len, size_t off, size_t *flen,
    const char *name)
{
	size_t n = sendmail_hdr_line(hdr + off, len - off), end = off + n;
	size_t nlen = strlen(name);

	while (end < len && (hdr[end] == ' ' || hdr[end] == '\t'))
		end += sendmail_hdr_line(hdr + end, len - end);
	*flen = end - off;
	return n > nlen && hdr[off + nlen] == ':' &&
	    strncasecmp(hdr + off, name, nlen) == 0;
}

int
sendmail_hdr_has(const char *hdr, size_t len, const char *name)
{
	size_t off = 0, flen;

	while (off < len) {
		if (sendmail_hdr_field(hdr, len, off, &flen, name))
			return 1;
		off += flen;
	}
	return 0;
}

/* One address of a list: the angle address when there was one. */
struct sendmail_hdr_addr {
	char	 cur[SENDMAIL_ADDR_MAX + 1];
	size_t	 curlen;
	int	 over;		/* cur overflowed */
	char	 angle[SENDMAIL_ADDR_MAX + 1];
	size_t	 anglelen;
	int	 have_angle;
};

static void
sendmail_hdr_addr_put(struct sendmail_hdr_addr *a, char c)
{
	if (a->curlen < SENDMAIL_ADDR_MAX)
		a->cur[a->curlen++] = c;
	else
		a->over = 1;
}

static int
sendmail_hdr_emit(struct sendmail_hdr_addr *a, struct sendmail_rcpts *r,
    char *err, size_t errlen)
{
	const char *p = a->have_angle ? a->angle : a->cur;
	size_t len = a->have_angle ? a->anglelen : a->curlen;
	int rv = 0;

	if (a->over || (len > 0 && sendmail_rcpt_add(r, p, len) == -1)) {
		(void)snprintf(err, errlen, "bad or too many recipient "
		    "addresses (at most %d of %d octets)", SENDMAIL_RCPT_MAX,
		    SENDMAIL_ADDR_MAX);
		rv = -1;
	}
	memset(a, 0, sizeof(*a));
	return rv;
}

/*
 * Skips the comment or quoted string that starts at v[*i] (open), ending
 * at close; comments nest. Copies a quoted string into a when a is not
 * NULL. Returns 0, or -1 when it does not end.
 */
static int
sendmail_hdr_skip(const char *v, size_t len, size_t *i, char close,
    struct sendmail_hdr_addr *a)
{
	int depth = 1;
	char open = v[*i];

	if (a != NULL)
		sendmail_hdr_addr_put(a, open);
	for ((*i)++; *i < len; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < len) {
			if (a != NULL) {
				sendmail_hdr_addr_put(a, v[*i]);
				sendmail_hdr_addr_put(a, v[*i + 1]);
			}
			(*i)++;
			continue;
		}
		if (a != NULL && v[*i] != '\r' && v[*i] != '\n')
			sendmail_hdr_addr_put(a, v[*i]);
		if (v[*i] == close && --depth == 0)
			return 0;
		if (open == '(' && v[*i] == '(')
			depth++;
	}
	return -1;
}

/* An angle address at v[*i] ('<'): its addr-spec, without a route. */
static int
sendmail_hdr_angle(const char *v, size_t len, size_t *i,
    struct sendmail_hdr_addr *a)
{
	size_t start = *i + 1, end, k;
	int quoted = 0;

	for (end = start; end < len; end++) {
		if (v[end] == '"')
			quoted = !quoted;
		else if (v[end] == '\\' && end + 1 < len)
			end++;
		else if (v[end] == '>' && !quoted)
			break;
	}
	if (end >= len)
		return -1;
	/* an obsolete route "@a,@b:user@c" (RFC 5322 §4.4) */
	for (k = end; k > start; k--)
		if (v[k - 1] == ':' && v[start] == '@')
			break;
	if (k > start)
		start = k;
	a->anglelen = 0;
	for (k = start; k < end; k++) {
		if (v[k] == ' ' || v[k] == '\t' || v[k] == '\r' ||
		    v[k] == '\n')
			continue;
		if (a->anglelen >= SENDMAIL_ADDR_MAX) {
			a->over = 1;
			break;
		}
		a->angle[a->anglelen++] = v[k];
	}
	a->have_angle = 1;
	*i = end;
	return 0;
}

int
sendmail_addr_list(const char *v, size_t len, struct sendmail_rcpts *r,
    char *err, size_t errlen)
{
	struct sendmail_hdr_addr a;
	size_t i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < len; i++) {
		switch (v[i]) {
		case '(':
			if (sendmail_hdr_skip(v, len, &i, ')', NULL) == -1)
				goto bad;
			break;
		case '"':
			if (sendmail_hdr_skip(v, len, &i, '"', &a) == -1)
				goto bad;
			break;
		case '[':
			if (sendmail_hdr_skip(v, len, &i, ']', &a) == -1)
				goto bad;
			break;
		case '<':
			if (sendmail_hdr_angle(v, len, &i, &a) == -1)
				goto bad;
			break;
		case ':':
			/* a group's display name: not an address */
			a.curlen = 0;
			a.over = 0;
			break;
		case ',':
		case ';':
			if (sendmail_hdr_emit(&a, r, err, errlen) == -1)
				return -1;
			break;
		case ' ': case '\t': case '\r': case '\n':
			break;
		case '\\':
			if (i + 1 < len)
				sendmail_hdr_addr_put(&a, v[++i]);
			break;
		default:
			sendmail_hdr_addr_put(&a, v[i]);
			break;
		}
	}
	return sendmail_hdr_emit(&a, r, err, errlen);
bad:
	(void)snprintf(err, errlen, "a recipient address list has an "
	    "unclosed comment, quoted string, literal or angle address");
	return -1;
}

int
sendmail_hdr_rcpts(const char *hdr, size_t len, struct sendmail_rcpts *r,
    char *err, size_t errlen)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const resent[] = { "Resent-To", "Resent-Cc",
	    "Resent-Bcc" };
	const char *const *names = plain;
	size_t off, flen, k, nlen;

	/* RFC 5322 §3.6.6: a resent message goes to the Resent- ones */
	for (off = 0; off < len; off += flen) {
		(void)sendmail_hdr_field(hdr, len, off, &flen, "");
		if (flen > 7 && strncasecmp(hdr + off, "Resent-", 7) == 0)
			names = resent;
	}
	for (off = 0; off < len; off += flen)
		for (k = 0; k < 3; k++)
			if (sendmail_hdr_field(hdr, len, off, &flen,
			    names[k])) {
				nlen = strlen(names[k]) + 1;
				if (sendmail_addr_list(hdr + off + nlen,
				    flen - nlen, r, err, errlen) == -1)
					return -1;
				break;
			}
	return 0;
}

size_t
sendmail_hdr_strip_bcc(char *hdr, size_t len)
{
	size_t off = 0, flen, dummy;

	while (off < len) {
		if (sendmail_hdr_field(hdr, len, off, &flen, "Bcc") ||
		    sendmail_hdr_field(hdr, len, off, &dummy, "Resent-Bcc")) {
			memmove(hdr + off, hdr + off + flen, len - off - flen);
			len -= flen;
			continue;
		}
		off += flen;
	}
	return len;
}

int
sendmail_line(const char *in, size_t len, int dot_ends, size_t *keep,
    size_t *used)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' || in[i] == '\r')
			break;
		if (in[i] == '\0')
			return -1;
		if (i == SENDMAIL_LINE_MAX) {
			/* broken here: the rest is the next line */
			*keep = *used = i;
			return 0;
		}
	}
	*keep = i;
	*used = i;
	if (i < len)
		*used += in[i] == '\r' && i + 1 < len && in[i + 1] == '\n' ?
		    2 : 1;
	return dot_ends && i == 1 && in[0] == '.';
}
