/*
 * sendmail_drop.c: the pure half of the maildrop (doc/design.md §2, §6):
 * the small header sealpost-sendmail writes before the message it keeps
 * in data_dir/maildrop while sealpostd does not run, and its parser,
 * which the drain (sendmail -bD) runs as the file's owner. The header
 * carries what the command line said (-t, -i, -f, -F, the recipient
 * operands) and when; never who: the owner of the file is the submitter.
 * No I/O.
 * Linked by the sealpost-sendmail binary, tests/unit/test_sendmail_drop
 * and tests/fuzz/fuzz_sendmail_drop.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "sendmail.h"

static int	sendmail_drop_err(char *, size_t, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/* Says why in err; returns -1. */
static int
sendmail_drop_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* cut short, it still says why */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether v[0..len) may be a header value: no control byte, no DEL. */
static int
sendmail_drop_value_ok(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
			return 0;
	return 1;
}

/* Whether a[0..len) is a -f value as sendmail_args takes it. */
static int
sendmail_drop_sender_ok(const char *a, size_t len)
{
	size_t i;

	if (len > SENDMAIL_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] <= ' ' || a[i] == 0x7f ||
		    a[i] == '<' || a[i] == '>')
			return 0;
	return 1;
}

int
sendmail_drop_write(struct buf *out, const struct sendmail_opts *o,
    long long when, long long uid)
{
	size_t i, len;

	if (when < 0 || uid < 0 || (!o->extract && o->nrcpt == 0) ||
	    o->nrcpt > SENDMAIL_RCPT_MAX)
		return -1;
	if (buf_printf(out, "%s\ntime %lld\nuid %lld\nflags %s%s%s\n",
	    SENDMAIL_DROP_VERSION, when, uid, o->extract ? "t" : "",
	    o->dot_ends ? "" : "i",
	    o->extract || !o->dot_ends ? "" : "-") == -1)
		return -1;
	if (o->have_sender) {
		len = strlen(o->sender);
		if (!sendmail_drop_sender_ok(o->sender, len) ||
		    buf_printf(out, "sender <%s>\n", o->sender) == -1)
			return -1;
	}
	if (o->fullname[0] != '\0') {
		len = strlen(o->fullname);
		if (len > SENDMAIL_NAME_MAX ||
		    !sendmail_drop_value_ok(o->fullname, len) ||
		    buf_printf(out, "fullname %s\n", o->fullname) == -1)
			return -1;
	}
	for (i = 0; i < o->nrcpt; i++) {
		len = strlen(o->rcpt[i]);
		if (len == 0 || len > SENDMAIL_DROP_VALUE_MAX ||
		    !sendmail_drop_value_ok(o->rcpt[i], len) ||
		    buf_printf(out, "rcpt %s\n", o->rcpt[i]) == -1)
			return -1;
	}
	if (buf_puts(out, "end\n") == -1 || out->len > SENDMAIL_DROP_HDR_MAX)
		return -1;
	return 0;
}

/* The keys of a header line, in the only order they may come. */
enum sendmail_drop_key {
	SENDMAIL_DROP_K_TIME,
	SENDMAIL_DROP_K_UID,
	SENDMAIL_DROP_K_FLAGS,
	SENDMAIL_DROP_K_SENDER,
	SENDMAIL_DROP_K_FULLNAME,
	SENDMAIL_DROP_K_RCPT,
	SENDMAIL_DROP_K_END,
	SENDMAIL_DROP_K_NONE
};

static const char *const sendmail_drop_keys[] = {
	"time", "uid", "flags", "sender", "fullname", "rcpt", "end"
};

/* The key of line[0..len) and where its value starts (after one space). */
static enum sendmail_drop_key
sendmail_drop_key(const char *line, size_t len, size_t *voff)
{
	size_t k, kl;

	for (k = 0; k < SENDMAIL_DROP_K_NONE; k++) {
		kl = strlen(sendmail_drop_keys[k]);
		if (k == SENDMAIL_DROP_K_END) {
			if (len == kl && memcmp(line, "end", kl) == 0) {
				*voff = len;
				return SENDMAIL_DROP_K_END;
			}
			continue;
		}
		if (len > kl && memcmp(line, sendmail_drop_keys[k], kl) == 0 &&
		    line[kl] == ' ') {
			*voff = kl + 1;
			return (enum sendmail_drop_key)k;
		}
	}
	return SENDMAIL_DROP_K_NONE;
}

/*
 * The decimal number v[0..vl) (no sign, at most 18 digits, no leading
 * zero but "0") into *n. Returns 0, or -1 when it is none.
 */
static int
sendmail_drop_number(const char *v, size_t vl, long long *n)
{
	size_t i;

	if (vl == 0 || vl > 18 || (vl > 1 && v[0] == '0'))
		return -1;
	*n = 0;
	for (i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		*n = *n * 10 + (v[i] - '0');
	}
	return 0;
}

/*
 * One line's value v[0..vl) for key k into d; now is the parser's clock
 * (the time line must lie in [SENDMAIL_DROP_TIME_MIN, now + 1 day]).
 * Returns 0 or -1 with err.
 */
static int
sendmail_drop_value(struct sendmail_drop *d, enum sendmail_drop_key k,
    const char *v, size_t vl, size_t off, long long now, char *err,
    size_t errlen)
{
	switch (k) {
	case SENDMAIL_DROP_K_TIME:
		if (sendmail_drop_number(v, vl, &d->time) == -1)
			return sendmail_drop_err(err, errlen, "time: not a "
			    "number of seconds");
		/* a date the message can carry (doc/design.md §6) */
		if (d->time < SENDMAIL_DROP_TIME_MIN ||
		    d->time > now + SENDMAIL_DROP_TIME_AHEAD)
			return sendmail_drop_err(err, errlen, "time: %lld is "
			    "before 2000-01-01 or more than a day ahead",
			    d->time);
		return 0;
	case SENDMAIL_DROP_K_UID:
		if (sendmail_drop_number(v, vl, &d->uid) == -1 ||
		    d->uid > 0xffffffffLL)
			return sendmail_drop_err(err, errlen, "uid: not a "
			    "user id");
		return 0;
	case SENDMAIL_DROP_K_FLAGS:
		if (vl == 1 && v[0] == '-')
			return 0;
		if (vl == 1 && v[0] == 't')
			d->extract = 1;
		else if (vl == 1 && v[0] == 'i')
			d->dot_ends = 0;
		else if (vl == 2 && v[0] == 't' && v[1] == 'i') {
			d->extract = 1;
			d->dot_ends = 0;
		} else
			return sendmail_drop_err(err, errlen, "flags: not -, "
			    "t, i or ti");
		return 0;
	case SENDMAIL_DROP_K_SENDER:
		if (vl < 2 || v[0] != '<' || v[vl - 1] != '>' ||
		    !sendmail_drop_sender_ok(v + 1, vl - 2))
			return sendmail_drop_err(err, errlen, "sender: not "
			    "<address> or <>");
		memcpy(d->sender, v + 1, vl - 2);
		d->sender[vl - 2] = '\0';
		d->have_sender = 1;
		return 0;
	case SENDMAIL_DROP_K_FULLNAME:
		if (vl == 0 || vl > SENDMAIL_NAME_MAX)
			return sendmail_drop_err(err, errlen, "fullname: "
			    "empty or too long");
		memcpy(d->fullname, v, vl);
		d->fullname[vl] = '\0';
		return 0;
	case SENDMAIL_DROP_K_RCPT:
		if (vl == 0 || vl > SENDMAIL_DROP_VALUE_MAX)
			return sendmail_drop_err(err, errlen, "rcpt: empty or "
			    "too long");
		if (d->nrcpt >= SENDMAIL_RCPT_MAX)
			return sendmail_drop_err(err, errlen, "more than %d "
			    "rcpt lines", SENDMAIL_RCPT_MAX);
		d->rcpt_off[d->nrcpt] = off;
		d->rcpt_len[d->nrcpt] = vl;
		d->nrcpt++;
		return 0;
	default:
		return sendmail_drop_err(err, errlen, "unknown line");
	}
}

int
sendmail_drop_parse(const char *p, size_t len, long long now,
    struct sendmail_drop *d, size_t *hlen, char *err, size_t errlen)
{
	const char *nl;
	size_t off, ll, voff, vlen = strlen(SENDMAIL_DROP_VERSION);
	enum sendmail_drop_key k, last = SENDMAIL_DROP_K_TIME;
	unsigned lineno = 1, seen = 0;

	memset(d, 0, sizeof(*d));
	d->dot_ends = 1;
	if (len < vlen + 1 || memcmp(p, SENDMAIL_DROP_VERSION, vlen) != 0 ||
	    p[vlen] != '\n')
		return sendmail_drop_err(err, errlen, "line 1: not a maildrop "
		    "file of this version (%s)", SENDMAIL_DROP_VERSION);
	off = vlen + 1;
	for (;;) {
		lineno++;
		if (off >= len || off > SENDMAIL_DROP_HDR_MAX)
			return sendmail_drop_err(err, errlen, "line %u: the "
			    "header has no end line", lineno);
		nl = memchr(p + off, '\n', len - off);
		if (nl == NULL)
			return sendmail_drop_err(err, errlen, "line %u: cut "
			    "short", lineno);
		ll = (size_t)(nl - (p + off));
		if (off + ll + 1 > SENDMAIL_DROP_HDR_MAX)
			return sendmail_drop_err(err, errlen, "line %u: the "
			    "header is larger than %d octets", lineno,
			    SENDMAIL_DROP_HDR_MAX);
		if (!sendmail_drop_value_ok(p + off, ll))
			return sendmail_drop_err(err, errlen, "line %u: a "
			    "control byte", lineno);
		k = sendmail_drop_key(p + off, ll, &voff);
		if (k == SENDMAIL_DROP_K_NONE)
			return sendmail_drop_err(err, errlen, "line %u: "
			    "unknown line", lineno);
		/* in the order of the enum; only rcpt repeats */
		if (k < last || (k != SENDMAIL_DROP_K_RCPT &&
		    (seen & (1u << k)) != 0))
			return sendmail_drop_err(err, errlen, "line %u: %s out "
			    "of order or repeated", lineno,
			    sendmail_drop_keys[k]);
		if (k == SENDMAIL_DROP_K_END) {
			off += ll + 1;
			break;
		}
		if (sendmail_drop_value(d, k, p + off + voff, ll - voff,
		    off + voff, now, err, errlen) == -1) {
			char why[192];

			(void)strlcpy(why, err, sizeof(why));
			return sendmail_drop_err(err, errlen, "line %u: %s",
			    lineno, why);
		}
		seen |= 1u << k;
		last = k;
		off += ll + 1;
	}
	if ((seen & (1u << SENDMAIL_DROP_K_TIME)) == 0 ||
	    (seen & (1u << SENDMAIL_DROP_K_UID)) == 0 ||
	    (seen & (1u << SENDMAIL_DROP_K_FLAGS)) == 0)
		return sendmail_drop_err(err, errlen, "no time, uid or flags "
		    "line");
	if (!d->extract && d->nrcpt == 0)
		return sendmail_drop_err(err, errlen, "no recipients and no "
		    "-t");
	*hlen = off;
	return 0;
}
