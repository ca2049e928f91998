/*
 * queue_dsn.c: builds bounces and delay warnings as RFC 3464 delivery
 * status notifications inside an RFC 6522 multipart/report (see
 * queue_dsn.h), and decides whom they report (RFC 3461 NOTIFY).
 * doc/design.md §12. Pure: no I/O, no clock, no allocation; output goes
 * through the caller's writer. Linked by the queue and its unit tests.
 *
 * Every line written ends in CRLF and is at most 998 octets (RFC 5322
 * §2.1.1): our own fields are folded at white space, remote text is cut
 * to QUEUE_DSN_TEXT_MAX and every octet outside printable ASCII in it is
 * written as \xHH (doc/design.md §10: network bytes are never trusted).
 * The returned original is copied as stored only when it keeps the same
 * rules (CRLF lines, no NUL, no bare CR or LF, no line over 998 octets);
 * 8-bit octets in it make the part (and the message) 8bit, kept as
 * message/rfc822 rather than message/global (RFC 6532), so the queue
 * sends the notification with BODY=8BITMIME.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "queue_dsn.h"
#include "queue_dsn_orig.h"

/* An unfolded field or paragraph before it is folded or wrapped. */
#define QUEUE_DSN_LINE		4096
/* Where our fields fold and our text wraps (RFC 5322 §2.1.1 "SHOULD"). */
#define QUEUE_DSN_FOLD		78
#define QUEUE_DSN_WRAP		72
/* RFC 5322 §2.1.1 "MUST", without the CRLF. */
#define QUEUE_DSN_LINE_MAX	998
/* 9999-12-31T23:59:59Z: the last time an RFC 5322 date can hold. */
#define QUEUE_DSN_TIME_MAX	INT64_C(253402300799)

/* The writer, with a sticky error so that callers check once. */
struct queue_dsn_w {
	queue_dsn_write_fn	 fn;
	void			*arg;
	uint64_t		 len;
	int			 err;
};

/* A bounded string under construction; over is set when it was cut. */
struct queue_dsn_str {
	char	b[QUEUE_DSN_LINE];
	size_t	len;
	int	over;
};

static const char *const queue_dsn_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const queue_dsn_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* One sentence per RFC 8460 §4.3 result type; %s is the server. */
static const struct queue_dsn_tls_words {
	const char	*type;
	const char	*words;
} queue_dsn_tls_words[] = {
	{ "starttls-not-supported", "the receiving server %s does not "
	    "support encryption (STARTTLS), and this system never sends mail "
	    "unencrypted." },
	{ "certificate-host-mismatch", "the certificate of the receiving "
	    "server %s is not valid for the server's name, so the system "
	    "could not be sure it was talking to the right server." },
	{ "certificate-expired", "the certificate of the receiving server %s "
	    "has expired, so its identity could not be verified." },
	{ "certificate-not-trusted", "the certificate of the receiving "
	    "server %s is not signed by an authority this system trusts, so "
	    "its identity could not be verified." },
	{ "validation-failure", "the identity of the receiving server %s "
	    "could not be verified." },
	{ "tlsa-invalid", "the DANE (TLSA) records published for the "
	    "receiving server %s are invalid or do not match its "
	    "certificate." },
	{ "dnssec-invalid", "the DNSSEC signatures of the recipient "
	    "domain's DNS records for %s did not validate, so its security "
	    "settings could not be trusted." },
	{ "dane-required", "this system requires DANE for the recipient "
	    "domain, but no valid DANE (TLSA) records were found for the "
	    "receiving server %s." },
	{ "sts-policy-fetch-error", "the recipient domain's MTA-STS "
	    "security policy could not be fetched while delivering to %s." },
	{ "sts-policy-invalid", "the recipient domain's MTA-STS security "
	    "policy is invalid, or the receiving server %s is not listed "
	    "in it." },
	{ "sts-webpki-invalid", "the web server that publishes the "
	    "recipient domain's MTA-STS security policy presented a "
	    "certificate that is not valid (while delivering to %s)." },
};
#define QUEUE_DSN_NTLS \
	(sizeof(queue_dsn_tls_words) / sizeof(queue_dsn_tls_words[0]))
#define QUEUE_DSN_TLS_GENERIC "a secure (TLS) connection to the receiving " \
	"server %s could not be made as this system requires, and this " \
	"system never sends mail without it."

static int	queue_dsn_fail(struct reason *, const char *);
static void	queue_dsn_put(struct queue_dsn_w *, const char *, size_t);
static void	queue_dsn_puts(struct queue_dsn_w *, const char *);
static void	queue_dsn_str_add(struct queue_dsn_str *, const char *, size_t);
static void	queue_dsn_str_cat(struct queue_dsn_str *, const char *);
static void	queue_dsn_str_fmt(struct queue_dsn_str *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	queue_dsn_str_esc(struct queue_dsn_str *, const char *,
		    size_t);

static int
queue_dsn_fail(struct reason *why, const char *what)
{
	return reason_set(why, 451, "4.3.0", "delivery report: %s", what);
}

/* ---- output ------------------------------------------------------------ */

static void
queue_dsn_put(struct queue_dsn_w *w, const char *p, size_t n)
{
	if (w->err || n == 0)
		return;
	if (w->fn(w->arg, p, n) != 0) {
		w->err = 1;
		return;
	}
	w->len += n;
}

static void
queue_dsn_puts(struct queue_dsn_w *w, const char *s)
{
	queue_dsn_put(w, s, strlen(s));
}

int
queue_dsn_buf_write(void *arg, const char *p, size_t len)
{
	return buf_append(arg, p, len);
}

/*
 * Writes s[0..n) (no CR or LF in it) as lines of at most width octets
 * where spaces allow, never over QUEUE_DSN_LINE_MAX: a line is broken at
 * a space, which is dropped, and the next line starts with cont. A
 * header field is folded with cont " " (the space comes back as the
 * folding white space); text is wrapped with an indent. Runs of spaces
 * become one (up to 8 are kept at the start: our indent), trailing
 * spaces go, so that no run of remote spaces can make a line too long.
 */
static void
queue_dsn_wrap(struct queue_dsn_w *w, const char *s, size_t n,
    size_t width, const char *cont)
{
	size_t col = 0, i = 0, word, sp, clen = strlen(cont), room, k;
	int first = 1;

	while (i < n) {
		for (sp = 0; i + sp < n && s[i + sp] == ' '; sp++)
			;
		i += sp;
		for (word = 0; i + word < n && s[i + word] != ' '; word++)
			;
		if (word == 0)
			break;			/* trailing spaces */
		if (first) {
			/* our own indent; a run of spaces elsewhere is one */
			sp = sp > 8 ? 8 : sp;
			queue_dsn_put(w, "        ", sp);
			col = sp;
		} else if (col + 1 + word > width) {
			queue_dsn_puts(w, "\r\n");
			queue_dsn_put(w, cont, clen);
			col = clen;
		} else {
			queue_dsn_puts(w, " ");
			col++;
		}
		/* A word that cannot fit any line is cut hard. */
		while (word > 0) {
			room = QUEUE_DSN_LINE_MAX - col;
			k = word < room ? word : room;
			queue_dsn_put(w, s + i, k);
			col += k;
			i += k;
			word -= k;
			if (word > 0) {
				queue_dsn_puts(w, "\r\n");
				queue_dsn_put(w, cont, clen);
				col = clen;
			}
		}
		first = 0;
	}
	queue_dsn_puts(w, "\r\n");
}

/* Writes the header field "name: value", folded. */
static void
queue_dsn_field(struct queue_dsn_w *w, const char *name,
    const struct queue_dsn_str *v)
{
	struct queue_dsn_str f;

	f.len = 0;
	f.over = 0;
	queue_dsn_str_cat(&f, name);
	queue_dsn_str_cat(&f, ": ");
	queue_dsn_str_add(&f, v->b, v->len);
	queue_dsn_wrap(w, f.b, f.len, QUEUE_DSN_FOLD, " ");
}

/* ---- strings ----------------------------------------------------------- */

static void
queue_dsn_str_add(struct queue_dsn_str *s, const char *p, size_t n)
{
	if (n > sizeof(s->b) - s->len) {
		n = sizeof(s->b) - s->len;
		s->over = 1;
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

static void
queue_dsn_str_cat(struct queue_dsn_str *s, const char *p)
{
	queue_dsn_str_add(s, p, strlen(p));
}

static void
queue_dsn_str_fmt(struct queue_dsn_str *s, const char *fmt, ...)
{
	char tmp[QUEUE_DSN_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->over = 1;
		return;
	}
	if ((size_t)n >= sizeof(tmp)) {
		s->over = 1;
		n = sizeof(tmp) - 1;
	}
	queue_dsn_str_add(s, tmp, (size_t)n);
}

/* Appends p[0..n) with every octet outside 0x20..0x7e as \xHH. */
static void
queue_dsn_str_esc(struct queue_dsn_str *s, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	char e[4];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c <= 0x7e) {
			queue_dsn_str_add(s, p + i, 1);
			continue;
		}
		e[0] = '\\';
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 0x0f];
		queue_dsn_str_add(s, e, 4);
	}
}

/*
 * Decodes one UTF-8 character at s[0..n) strictly (no overlong forms,
 * no surrogates, at most U+10FFFF). Returns its length and sets *cp, or
 * 0 when the octets are no valid character.
 */
static size_t
queue_dsn_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Whether s holds only octets 0x20..0x7e. */
static int
queue_dsn_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * Appends address a as RFC 6533 utf-8-addr-xtext: printable ASCII but
 * space, "+", "=" and "\" as it is, every other character as \x{HEX}
 * of its code point; an octet that is no valid UTF-8 as U+FFFD.
 */
static void
queue_dsn_str_xtext(struct queue_dsn_str *s, const char *a)
{
	const unsigned char *p = (const unsigned char *)a;
	size_t n = strlen(a), k;
	uint32_t cp;

	while (n > 0) {
		if ((k = queue_dsn_utf8(p, n, &cp)) == 0) {
			cp = 0xfffd;
			k = 1;
		}
		if (cp > 0x20 && cp < 0x7f && cp != '+' && cp != '=' &&
		    cp != '\\')
			queue_dsn_str_add(s, (const char *)p, 1);
		else
			queue_dsn_str_fmt(s, "\\x{%X}", (unsigned)cp);
		p += k;
		n -= k;
	}
}

/*
 * Appends "type; address" for Final-Recipient or Original-Recipient:
 * an address of printable ASCII as it is, else RFC 6533 "utf-8;" with
 * the xtext form, so that the delivery-status part stays 7bit.
 */
static void
queue_dsn_str_typed(struct queue_dsn_str *s, const char *type,
    const char *addr)
{
	if (queue_dsn_printable(addr)) {
		queue_dsn_str_fmt(s, "%s; %s", type, addr);
		return;
	}
	queue_dsn_str_cat(s, "utf-8; ");
	queue_dsn_str_xtext(s, addr);
}

/* Appends an RFC 5322 date (UTC) for unix time t; "over" if out of range. */
static void
queue_dsn_str_date(struct queue_dsn_str *s, int64_t t)
{
	struct tm tm;
	time_t tt;

	if (t < 0 || t > QUEUE_DSN_TIME_MAX) {
		s->over = 1;
		return;
	}
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		s->over = 1;
		return;
	}
	queue_dsn_str_fmt(s, "%s, %d %s %04d %02d:%02d:%02d +0000",
	    queue_dsn_days[tm.tm_wday], tm.tm_mday,
	    queue_dsn_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* Whether s is n octets of [0-9A-Za-z], n >= 1. */
static int
queue_dsn_alnum(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z')))
			return 0;
	return n >= 1 && n <= max;
}

/* Whether s is an RFC 3463 status: class 2, 4 or 5, "." 1*3digit twice. */
static int
queue_dsn_status_ok(const char *s)
{
	size_t part, d;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	s += 2;
	for (part = 0; part < 2; part++) {
		for (d = 0; *s >= '0' && *s <= '9'; s++, d++)
			;
		if (d < 1 || d > 3)
			return 0;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

/* Whether s is an RFC 8460 result type as the envelope keeps it. */
static int
queue_dsn_type_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return n >= 1 && n <= ENVELOPE_FAILURE_MAX;
}

static const char *
queue_dsn_s(const char *s)
{
	return s == NULL ? "" : s;
}

/* ---- decisions --------------------------------------------------------- */

int
queue_dsn_wanted(const char *sender, unsigned notify,
    enum queue_dsn_kind kind, int delay_warnings)
{
	if (sender == NULL || sender[0] == '\0')
		return 0;
	if (notify & ENVELOPE_NOTIFY_NEVER)
		return 0;
	switch (kind) {
	case QUEUE_DSN_FAILURE:
		return notify == 0 || (notify & ENVELOPE_NOTIFY_FAILURE) != 0;
	case QUEUE_DSN_DELAY:
		return delay_warnings &&
		    (notify == 0 || (notify & ENVELOPE_NOTIFY_DELAY) != 0);
	case QUEUE_DSN_SUCCESS:
		return (notify & ENVELOPE_NOTIFY_SUCCESS) != 0;
	}
	return 0;
}

void
queue_dsn_rcpt_from_envelope(const struct envelope_rcpt *r,
    enum queue_dsn_action action, int64_t retry_until,
    struct queue_dsn_rcpt *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = r->addr;
	out->orcpt = r->orcpt;
	out->action = action;
	out->status = r->error.code != 0 ? r->error.dsn : "";
	out->mx = r->mx;
	out->code = r->error.code;
	out->text = r->error.code != 0 ? r->error.text : "";
	out->failure = r->failure;
	out->last_attempt = r->last_attempt;
	out->retry_until = action == QUEUE_DSN_ACTION_DELAYED ?
	    retry_until : 0;
}

/* ---- the parts --------------------------------------------------------- */

/* The status to report: the given one when valid, else by action. */
static const char *
queue_dsn_status(const struct queue_dsn_rcpt *r)
{
	if (queue_dsn_status_ok(r->status))
		return r->status;
	return r->action == QUEUE_DSN_ACTION_DELAYED ? "4.0.0" :
	    r->action == QUEUE_DSN_ACTION_RELAYED ? "2.0.0" : "5.0.0";
}

/* Appends the remote or our own diagnostic text, cut and escaped. */
static void
queue_dsn_str_text(struct queue_dsn_str *s, const char *text)
{
	size_t n = strlen(queue_dsn_s(text));

	if (n > QUEUE_DSN_TEXT_MAX)
		n = QUEUE_DSN_TEXT_MAX;
	queue_dsn_str_esc(s, queue_dsn_s(text), n);
}

/* "CODE STATUS [TLS failure (type): ]text", or nothing without a code. */
static void
queue_dsn_str_diag(struct queue_dsn_str *s, const struct queue_dsn_rcpt *r)
{
	const char *f = queue_dsn_s(r->failure);

	queue_dsn_str_fmt(s, "%d %s ", r->code, queue_dsn_status(r));
	if (f[0] != '\0') {
		queue_dsn_str_cat(s, "TLS failure (");
		queue_dsn_str_esc(s, f, strnlen(f, ENVELOPE_FAILURE_MAX));
		queue_dsn_str_cat(s, "): ");
	}
	queue_dsn_str_text(s, r->text);
}

/* Writes the human words about one recipient, indented. */
static void
queue_dsn_text_rcpt(struct queue_dsn_w *w, const struct queue_dsn_rcpt *r)
{
	struct queue_dsn_str s;
	const char *f = queue_dsn_s(r->failure), *words = NULL;
	char mx[ENVELOPE_MX_MAX * 4 + 16];
	struct queue_dsn_str mxs;
	int delayed = r->action == QUEUE_DSN_ACTION_DELAYED;
	size_t i;

	s.len = 0;
	s.over = 0;
	queue_dsn_str_cat(&s, "<");
	queue_dsn_str_xtext(&s, r->addr);
	queue_dsn_str_cat(&s, ">:");
	queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");

	mxs.len = 0;
	mxs.over = 0;
	if (queue_dsn_s(r->mx)[0] != '\0') {
		queue_dsn_str_esc(&mxs, r->mx,
		    strnlen(r->mx, ENVELOPE_MX_MAX));
		if (snprintf(mx, sizeof(mx), "%.*s", (int)mxs.len, mxs.b) < 0)
			mx[0] = '\0';
	} else if (strlcpy(mx, "(unknown)", sizeof(mx)) >= sizeof(mx))
		mx[0] = '\0';

	s.len = 0;
	s.over = 0;
	queue_dsn_str_cat(&s, "    ");
	if (r->action == QUEUE_DSN_ACTION_RELAYED) {
		queue_dsn_str_fmt(&s, "Your message was delivered to %s, "
		    "which did not offer delivery status notifications: no "
		    "further notice about this recipient will come.", mx);
		queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");
		queue_dsn_puts(w, "\r\n");
		return;
	}
	if (f[0] != '\0') {
		for (i = 0; i < QUEUE_DSN_NTLS; i++)
			if (strcmp(f, queue_dsn_tls_words[i].type) == 0)
				words = queue_dsn_tls_words[i].words;
		if (words == NULL)
			words = QUEUE_DSN_TLS_GENERIC;
		queue_dsn_str_cat(&s, delayed ?
		    "The mail system could not yet deliver your message "
		    "securely: " :
		    "The mail system could not deliver your message "
		    "securely: ");
		/* words holds exactly one %s, from the table above */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		queue_dsn_str_fmt(&s, words, mx);
#pragma GCC diagnostic pop
	} else if (delayed)
		queue_dsn_str_cat(&s, "The message could not be delivered "
		    "yet.");
	else if (r->code >= 500 && r->code <= 599 &&
	    queue_dsn_s(r->mx)[0] != '\0')
		queue_dsn_str_fmt(&s, "The receiving server %s refused the "
		    "message permanently.", mx);
	else if (r->code >= 500 && r->code <= 599)
		queue_dsn_str_cat(&s, "The message was refused permanently.");
	else
		queue_dsn_str_cat(&s, "The message could not be delivered "
		    "within the time this system keeps trying, and it has "
		    "given up.");
	if (!delayed && f[0] != '\0' &&
	    queue_dsn_status(r)[0] == '4')
		queue_dsn_str_cat(&s, " It kept trying until the time limit "
		    "and has given up.");
	if (delayed && r->retry_until > 0) {
		queue_dsn_str_cat(&s, " The mail system will keep trying "
		    "until ");
		queue_dsn_str_date(&s, r->retry_until);
		queue_dsn_str_cat(&s, ".");
	}
	/* s.over: a cut text is still worth sending */
	queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");
	if (r->code != 0) {
		s.len = 0;
		s.over = 0;
		/* a TLS failure is our own finding, not the server's reply */
		queue_dsn_str_cat(&s, queue_dsn_s(r->mx)[0] != '\0' &&
		    f[0] == '\0' ? "    Last reply: " : "    Last error: ");
		queue_dsn_str_diag(&s, r);
		queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "        ");
	}
	if (r->last_attempt > 0) {
		s.len = 0;
		s.over = 0;
		queue_dsn_str_cat(&s, "    Last attempt: ");
		queue_dsn_str_date(&s, r->last_attempt);
		queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "        ");
	}
	queue_dsn_puts(w, "\r\n");
}

/* Writes a paragraph of our own words, wrapped, and an empty line. */
static void
queue_dsn_para(struct queue_dsn_w *w, const struct queue_dsn_str *s)
{
	queue_dsn_wrap(w, s->b, s->len, QUEUE_DSN_WRAP, "");
	queue_dsn_puts(w, "\r\n");
}

static void
queue_dsn_part_text(struct queue_dsn_w *w, const struct queue_dsn_msg *m,
    int returned, const char *subject, const char *msgid)
{
	struct queue_dsn_str s;
	size_t i;

	queue_dsn_puts(w, "Content-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	s.len = 0;
	s.over = 0;
	queue_dsn_str_fmt(&s, "This is the mail system at host %s.",
	    m->hostname);
	queue_dsn_para(w, &s);

	s.len = 0;
	if (m->kind == QUEUE_DSN_SUCCESS)
		queue_dsn_str_cat(&s, "Your message was successfully "
		    "delivered to the next mail system for the recipients "
		    "listed below, as you asked (DSN NOTIFY=SUCCESS).");
	else if (m->kind == QUEUE_DSN_DELAY)
		queue_dsn_str_cat(&s, "This is a warning only: you do not "
		    "need to send your message again. It could not be "
		    "delivered yet to the recipients listed below, and the "
		    "mail system will keep trying.");
	else
		queue_dsn_str_cat(&s, "I'm sorry to have to tell you that "
		    "your message could not be delivered to the recipients "
		    "listed below. It will not be tried again.");
	if (returned == 1)
		queue_dsn_str_cat(&s, " Your message is attached.");
	else if (returned == 2)
		queue_dsn_str_cat(&s, " The header of your message is "
		    "attached.");
	queue_dsn_str_cat(&s, " For help, please send mail to the "
	    "postmaster of this system, and include this report.");
	queue_dsn_para(w, &s);

	s.len = 0;
	queue_dsn_str_cat(&s, "Your message: queue id ");
	queue_dsn_str_cat(&s, m->queue_id);
	queue_dsn_str_cat(&s, ", received ");
	queue_dsn_str_date(&s, m->arrival);
	queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");
	if (subject[0] != '\0') {
		s.len = 0;
		queue_dsn_str_cat(&s, "Subject: ");
		queue_dsn_str_esc(&s, subject, strlen(subject));
		queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");
	}
	if (msgid[0] != '\0') {
		s.len = 0;
		queue_dsn_str_cat(&s, "Message-ID: ");
		queue_dsn_str_esc(&s, msgid, strlen(msgid));
		queue_dsn_wrap(w, s.b, s.len, QUEUE_DSN_WRAP, "    ");
	}
	queue_dsn_puts(w, "\r\n");

	for (i = 0; i < m->nrcpt; i++)
		queue_dsn_text_rcpt(w, &m->rcpt[i]);
}

/* Writes Original-Recipient from "type;addr"; nothing when malformed. */
static void
queue_dsn_orcpt(struct queue_dsn_w *w, const char *orcpt)
{
	struct queue_dsn_str s;
	const char *semi;
	char type[32];
	size_t tlen, i;

	if (orcpt == NULL || (semi = strchr(orcpt, ';')) == NULL)
		return;
	tlen = (size_t)(semi - orcpt);
	if (tlen == 0 || tlen >= sizeof(type) || semi[1] == '\0')
		return;
	for (i = 0; i < tlen; i++) {
		char c = orcpt[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return;
		type[i] = c;
	}
	type[tlen] = '\0';
	s.len = 0;
	s.over = 0;
	queue_dsn_str_typed(&s, type, semi + 1);
	queue_dsn_field(w, "Original-Recipient", &s);
}

static void
queue_dsn_part_status(struct queue_dsn_w *w, const struct queue_dsn_msg *m)
{
	struct queue_dsn_str s;
	const char *envid = queue_dsn_s(m->envid);
	size_t i;

	queue_dsn_puts(w, "Content-Description: Delivery report\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n");
	s.len = 0;
	s.over = 0;
	queue_dsn_str_fmt(&s, "dns; %s", m->hostname);
	queue_dsn_field(w, "Reporting-MTA", &s);
	s.len = 0;
	queue_dsn_str_cat(&s, m->queue_id);
	queue_dsn_field(w, "X-Sealpost-Queue-ID", &s);
	if (envid[0] != '\0') {
		s.len = 0;
		queue_dsn_str_esc(&s, envid, strnlen(envid,
		    ENVELOPE_ENVID_MAX));
		queue_dsn_field(w, "Original-Envelope-Id", &s);
	}
	s.len = 0;
	queue_dsn_str_date(&s, m->arrival);
	queue_dsn_field(w, "Arrival-Date", &s);

	for (i = 0; i < m->nrcpt; i++) {
		const struct queue_dsn_rcpt *r = &m->rcpt[i];

		queue_dsn_puts(w, "\r\n");
		queue_dsn_orcpt(w, r->orcpt);
		s.len = 0;
		queue_dsn_str_typed(&s, "rfc822", r->addr);
		queue_dsn_field(w, "Final-Recipient", &s);
		queue_dsn_puts(w, r->action == QUEUE_DSN_ACTION_DELAYED ?
		    "Action: delayed\r\n" :
		    r->action == QUEUE_DSN_ACTION_RELAYED ?
		    "Action: relayed\r\n" : "Action: failed\r\n");
		s.len = 0;
		queue_dsn_str_cat(&s, queue_dsn_status(r));
		queue_dsn_field(w, "Status", &s);
		if (queue_dsn_s(r->mx)[0] != '\0') {
			s.len = 0;
			queue_dsn_str_cat(&s, "dns; ");
			queue_dsn_str_esc(&s, r->mx,
			    strnlen(r->mx, ENVELOPE_MX_MAX));
			queue_dsn_field(w, "Remote-MTA", &s);
		}
		if (r->code != 0) {
			s.len = 0;
			queue_dsn_str_cat(&s, "smtp; ");
			queue_dsn_str_diag(&s, r);
			queue_dsn_field(w, "Diagnostic-Code", &s);
		}
		if (r->last_attempt > 0) {
			s.len = 0;
			queue_dsn_str_date(&s, r->last_attempt);
			queue_dsn_field(w, "Last-Attempt-Date", &s);
		}
		if (r->action == QUEUE_DSN_ACTION_DELAYED &&
		    r->retry_until > 0) {
			s.len = 0;
			queue_dsn_str_date(&s, r->retry_until);
			queue_dsn_field(w, "Will-Retry-Until", &s);
		}
	}
}

/* ---- the whole --------------------------------------------------------- */

/* Checks what queue_dsn_build needs; returns the problem or NULL. */
static const char *
queue_dsn_invalid(const struct queue_dsn_msg *m)
{
	size_t i;

	if (m->kind != QUEUE_DSN_FAILURE && m->kind != QUEUE_DSN_DELAY &&
	    m->kind != QUEUE_DSN_SUCCESS)
		return "bad kind";
	if (m->hostname == NULL || m->hostname[0] == '\0' ||
	    strlen(m->hostname) > 255 || !queue_dsn_printable(m->hostname) ||
	    strchr(m->hostname, ' ') != NULL)
		return "bad host name";
	if (m->queue_id == NULL ||
	    !envelope_id_valid(m->queue_id, strlen(m->queue_id)))
		return "bad queue id";
	if (m->dsn_id == NULL || !queue_dsn_alnum(m->dsn_id, ENVELOPE_ID_MAX))
		return "bad report id";
	if (m->token == NULL || m->token[0] == '\0' ||
	    !queue_dsn_alnum(m->token, SIZE_MAX))
		return "bad boundary token";
	if (m->sender == NULL || m->sender[0] == '\0' ||
	    strlen(m->sender) > ENVELOPE_ADDR_MAX)
		return "bad sender";
	for (i = 0; m->sender[i] != '\0'; i++)
		if ((unsigned char)m->sender[i] < 0x20 ||
		    m->sender[i] == 0x7f)
			return "bad sender";
	if (m->ret != ENVELOPE_RET_NONE && m->ret != ENVELOPE_RET_FULL &&
	    m->ret != ENVELOPE_RET_HDRS)
		return "bad RET";
	if (m->now < 0 || m->now > QUEUE_DSN_TIME_MAX || m->arrival < 0 ||
	    m->arrival > QUEUE_DSN_TIME_MAX)
		return "bad time";
	if (m->original == NULL && m->original_len != 0)
		return "bad original";
	if (m->rcpt == NULL || m->nrcpt == 0 || m->nrcpt > ENVELOPE_RCPT_MAX)
		return "bad recipient count";
	for (i = 0; i < m->nrcpt; i++) {
		const struct queue_dsn_rcpt *r = &m->rcpt[i];

		if (r->addr == NULL || r->addr[0] == '\0' ||
		    strlen(r->addr) > ENVELOPE_ADDR_MAX)
			return "bad recipient address";
		if (r->orcpt != NULL && strlen(r->orcpt) > ENVELOPE_ORCPT_MAX)
			return "bad ORCPT";
		if (r->action != QUEUE_DSN_ACTION_FAILED &&
		    r->action != QUEUE_DSN_ACTION_DELAYED &&
		    r->action != QUEUE_DSN_ACTION_RELAYED)
			return "bad action";
		if (r->code != 0 && (r->code < 200 || r->code > 599))
			return "bad reply code";
		if (r->failure != NULL && r->failure[0] != '\0' &&
		    !queue_dsn_type_ok(r->failure))
			return "bad failure type";
		if (r->last_attempt < 0 ||
		    r->last_attempt > QUEUE_DSN_TIME_MAX ||
		    r->retry_until < 0 || r->retry_until > QUEUE_DSN_TIME_MAX)
			return "bad recipient time";
	}
	return NULL;
}

int
queue_dsn_build(const struct queue_dsn_msg *m, queue_dsn_write_fn wfn,
    void *warg, struct queue_dsn_out *out, struct reason *why)
{
	struct queue_dsn_w w = { wfn, warg, 0, 0 };
	char subject[QUEUE_DSN_FIELD_MAX + 1], msgid[QUEUE_DSN_FIELD_MAX + 1];
	char bnd[80], token[QUEUE_DSN_TOKEN_MAX + 1];
	const char *ret = NULL, *what;
	size_t retlen = 0;
	int returned = 0, eight = 0, utf8, n, try;
	struct queue_dsn_str s;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((what = queue_dsn_invalid(m)) != NULL)
		return queue_dsn_fail(why, what);

	queue_dsn_header(m->original, m->original_len, "Subject", subject,
	    sizeof(subject));
	queue_dsn_header(m->original, m->original_len, "Message-ID", msgid,
	    sizeof(msgid));

	/*
	 * Part 3: the whole message, or its header block, or nothing. A
	 * delay warning returns the header block only (as Postfix): the
	 * message is still on its way.
	 */
	if (m->original_len > 0) {
		if (m->kind == QUEUE_DSN_FAILURE &&
		    m->ret != ENVELOPE_RET_HDRS &&
		    m->original_size <= m->bounce_size_limit &&
		    m->original_len >= m->original_size &&
		    queue_dsn_clean(m->original, (size_t)m->original_size,
		    &eight)) {
			ret = m->original;
			retlen = (size_t)m->original_size;
			returned = 1;
		} else {
			retlen = queue_dsn_hdr_len(m->original,
			    m->original_len);
			if (retlen > 0 &&
			    queue_dsn_clean(m->original, retlen, &eight)) {
				ret = m->original;
				returned = 2;
			} else {
				retlen = 0;
				eight = 0;
			}
		}
	}

	/* A boundary found nowhere in what the report copies (RFC 2046 §5.1.1). */
	if (strlcpy(token, m->token, sizeof(token)) == 0)
		return queue_dsn_fail(why, "bad boundary token");
	for (try = 0; ; try++) {
		if (try == 100)
			return queue_dsn_fail(why, "no boundary");
		n = try == 0 ?
		    snprintf(bnd, sizeof(bnd), "=_%s/%s", m->queue_id, token) :
		    snprintf(bnd, sizeof(bnd), "=_%s/%s.%d", m->queue_id,
		    token, try);
		if (n < 0 || (size_t)n >= sizeof(bnd) || n > 70)
			return queue_dsn_fail(why, "boundary too long");
		if (!queue_dsn_collides(m, ret, retlen, subject, msgid, bnd))
			break;
	}

	/* The header of the report (RFC 3464 §3, RFC 3834 §5). */
	utf8 = !queue_dsn_printable(m->sender);
	queue_dsn_puts(&w, "From: \"Mail Delivery System\" <MAILER-DAEMON@");
	queue_dsn_puts(&w, m->hostname);
	queue_dsn_puts(&w, ">\r\nTo: <");
	queue_dsn_puts(&w, m->sender);
	queue_dsn_puts(&w, ">\r\n");
	queue_dsn_puts(&w, m->kind == QUEUE_DSN_DELAY ?
	    "Subject: Delayed Mail (still being retried)\r\n" :
	    m->kind == QUEUE_DSN_SUCCESS ?
	    "Subject: Successful Mail Delivery Report\r\n" :
	    "Subject: Undelivered Mail Returned to Sender\r\n");
	s.len = 0;
	s.over = 0;
	queue_dsn_str_date(&s, m->now);
	queue_dsn_field(&w, "Date", &s);
	s.len = 0;
	queue_dsn_str_fmt(&s, "<%s.dsn@%s>", m->dsn_id, m->hostname);
	queue_dsn_field(&w, "Message-ID", &s);
	queue_dsn_puts(&w, "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"");
	queue_dsn_puts(&w, bnd);
	queue_dsn_puts(&w, "\"\r\n");
	queue_dsn_puts(&w, eight || utf8 ?
	    "Content-Transfer-Encoding: 8bit\r\n" :
	    "Content-Transfer-Encoding: 7bit\r\n");
	queue_dsn_puts(&w, "\r\nThis is a MIME-encapsulated message.\r\n");
	if (s.over)
		return queue_dsn_fail(why, "field too long");

	queue_dsn_puts(&w, "\r\n--");
	queue_dsn_puts(&w, bnd);
	queue_dsn_puts(&w, "\r\n");
	queue_dsn_part_text(&w, m, returned, subject, msgid);

	queue_dsn_puts(&w, "\r\n--");
	queue_dsn_puts(&w, bnd);
	queue_dsn_puts(&w, "\r\n");
	queue_dsn_part_status(&w, m);

	if (returned != 0) {
		queue_dsn_puts(&w, "\r\n--");
		queue_dsn_puts(&w, bnd);
		queue_dsn_puts(&w, "\r\n");
		if (returned == 1)
			queue_dsn_puts(&w, "Content-Description: "
			    "Undelivered Message\r\n"
			    "Content-Type: message/rfc822\r\n");
		else
			queue_dsn_puts(&w, m->kind == QUEUE_DSN_FAILURE ?
			    "Content-Description: Undelivered Message "
			    "Headers\r\nContent-Type: text/rfc822-headers\r\n" :
			    "Content-Description: Message Headers\r\n"
			    "Content-Type: text/rfc822-headers\r\n");
		if (eight)
			queue_dsn_puts(&w, "Content-Transfer-Encoding: "
			    "8bit\r\n");
		queue_dsn_puts(&w, "\r\n");
		queue_dsn_put(&w, ret, retlen);
		if (retlen < 2 || ret[retlen - 2] != '\r' ||
		    ret[retlen - 1] != '\n')
			queue_dsn_puts(&w, "\r\n");
	}
	queue_dsn_puts(&w, "\r\n--");
	queue_dsn_puts(&w, bnd);
	queue_dsn_puts(&w, "--\r\n");
	if (w.err)
		return queue_dsn_fail(why, "cannot write");
	if (out != NULL) {
		out->len = w.len;
		out->eightbit = eight || utf8;
		out->smtputf8 = utf8;
		out->returned = returned;
	}
	return 0;
}
