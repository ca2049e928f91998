/*
 * smtp_data.c: the DATA phase end-of-message state machine (RFC 5321
 * §4.1.1.4, §4.5.2, §4.5.3.1.6) that defeats SMTP smuggling: only
 * <CRLF>.<CRLF> ends a message; bare CR, bare LF and NUL make it
 * rejected.  On the way, a header scanner notes the first Message-ID
 * (RFC 5322 §3.6.4) and the TLS-Required field (RFC 8689 §5).  Pure: no
 * I/O, no allocation, no global state.  Linked by smtpin.
 *
 * Why byte at a time: every decision depends only on the state and the
 * current byte, so a split of the input at any point gives the same
 * result, and each input byte produces at most two output bytes, which
 * makes "no room in out" easy to stop at without losing anything.
 */
#include <string.h>

#include "smtp_data.h"

enum smtp_data_st {
	SMTP_DATA_ST_BOL = 0,	/* at the start of a line (after CRLF) */
	SMTP_DATA_ST_BOL_DOT,	/* "." at the start of a line */
	SMTP_DATA_ST_BOL_DOT_CR,	/* "." CR at the start of a line */
	SMTP_DATA_ST_MID,		/* inside a line */
	SMTP_DATA_ST_CR,		/* CR inside a line, LF may follow */
	SMTP_DATA_ST_DONE
};

void
smtp_data_init(struct smtp_data *d, size_t max_size, size_t max_header_size)
{
	memset(d, 0, sizeof(*d));
	d->state = SMTP_DATA_ST_BOL;
	d->max_size = max_size;
	d->max_header_size = max_header_size;
	d->in_header = 1;
	d->reject = SMTP_DATA_REJ_NONE;
	d->hdr = SMTP_DATA_H_BOL;
	d->hdr_field = SMTP_DATA_HF_NONE;
	d->tlsreq_val = SMTP_DATA_TR_LEAD;
}

static void
smtp_data_refuse(struct smtp_data *d, unsigned flag, enum smtp_data_reject why)
{
	d->flags |= flag;
	if (d->reject == SMTP_DATA_REJ_NONE)
		d->reject = why;
}

/* Output octets the next input byte c can produce (upper bound). */
static size_t
smtp_data_need(const struct smtp_data *d, unsigned char c)
{
	if (d->reject != SMTP_DATA_REJ_NONE)
		return 0;
	switch (d->state) {
	case SMTP_DATA_ST_BOL:
		return c == '.' || c == '\r' ? 0 : 1;
	case SMTP_DATA_ST_BOL_DOT:
	case SMTP_DATA_ST_MID:
		return c == '\r' ? 0 : 1;
	case SMTP_DATA_ST_CR:
	case SMTP_DATA_ST_BOL_DOT_CR:
		if (c == '\n')
			return d->state == SMTP_DATA_ST_CR ? 2 : 0;
		return c == '\r' ? 1 : 2;
	default:
		return 0;
	}
}

/* The names the header scanner looks for, in lower case. */
static const char smtp_data_name_msgid[] = "message-id";
static const char smtp_data_name_tlsreq[] = "tls-required";

/*
 * One octet of a field value (a folding CRLF and its white space arrive
 * as one space): the first Message-ID is kept unfolded, runs of white
 * space made one space; a TLS-Required value is matched against
 * [FWS] "No" [FWS] (RFC 8689 §5; ABNF strings are case-insensitive).
 * Inside a token folding is white space too (RFC 5322 §3.2.2), so
 * "N" CRLF " o" is not "No".
 */
static void
smtp_data_hdr_value(struct smtp_data *d, unsigned char c)
{
	unsigned char	lc = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
	int		ws = c == ' ' || c == '\t';

	if (d->hdr_field == SMTP_DATA_HF_TLSREQ) {
		switch (d->tlsreq_val) {
		case SMTP_DATA_TR_LEAD:
			if (!ws)
				d->tlsreq_val = lc == 'n' ? SMTP_DATA_TR_N :
				    SMTP_DATA_TR_OTHER;
			break;
		case SMTP_DATA_TR_N:
			d->tlsreq_val = lc == 'o' ? SMTP_DATA_TR_NO :
			    SMTP_DATA_TR_OTHER;
			break;
		case SMTP_DATA_TR_NO:
			if (!ws)
				d->tlsreq_val = SMTP_DATA_TR_OTHER;
			break;
		default:	/* SMTP_DATA_TR_OTHER */
			break;
		}
		return;
	}
	/* SMTP_DATA_HF_MSGID */
	if (ws) {
		if (d->msgid_len == 0 || d->msgid[d->msgid_len - 1] == ' ')
			return;
		c = ' ';
	}
	if (d->msgid_len < SMTP_DATA_MSGID_MAX)
		d->msgid[d->msgid_len++] = (char)c;
}

/* The colon after a field name the scanner was matching. */
static void
smtp_data_hdr_colon(struct smtp_data *d)
{
	d->hdr = SMTP_DATA_H_VALUE;
	if (d->hdr_field == SMTP_DATA_HF_MSGID) {
		d->msgid_state = 1;
		d->msgid_len = 0;
		return;
	}
	/* every one counts: a second field makes it unclear */
	if (d->tlsreq_fields < 2)
		d->tlsreq_fields++;
	d->tlsreq_val = SMTP_DATA_TR_LEAD;
}

/*
 * The header scanner: finds, case-insensitively and with white space
 * allowed before the colon (RFC 5322 §4.5.3 obsolete syntax), the first
 * Message-ID field (§3.6.4), whose value it keeps unfolded for the log,
 * and every TLS-Required field (RFC 8689 §5), whose value it matches.
 * The two names differ in their first letter, so one pass of the name
 * decides.  It sees the message octets as stored, one at a time, only
 * while the header section lasts.
 */
static void
smtp_data_hdr_byte(struct smtp_data *d, unsigned char c)
{
	unsigned char	 lc = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
	const char	*name;
	size_t		 nlen;

	switch (d->hdr) {
	case SMTP_DATA_H_BOL:
		if (c == ' ' || c == '\t') {	/* a folded line */
			if (d->hdr_field == SMTP_DATA_HF_NONE) {
				d->hdr = SMTP_DATA_H_SKIP;
				return;
			}
			d->hdr = SMTP_DATA_H_VALUE;
			smtp_data_hdr_value(d, ' ');
			return;
		}
		/* the field before ended */
		if (d->hdr_field == SMTP_DATA_HF_MSGID)
			d->msgid_state = 2;
		d->hdr_field = SMTP_DATA_HF_NONE;
		if (d->msgid_state == 0 &&
		    lc == (unsigned char)smtp_data_name_msgid[0])
			d->hdr_field = SMTP_DATA_HF_MSGID;
		else if (lc == (unsigned char)smtp_data_name_tlsreq[0])
			d->hdr_field = SMTP_DATA_HF_TLSREQ;
		if (d->hdr_field != SMTP_DATA_HF_NONE) {
			d->hdr_pos = 1;
			d->hdr = SMTP_DATA_H_NAME;
		} else
			d->hdr = c == '\r' ? SMTP_DATA_H_CR : SMTP_DATA_H_SKIP;
		return;
	case SMTP_DATA_H_NAME:
		if (d->hdr_field == SMTP_DATA_HF_MSGID) {
			name = smtp_data_name_msgid;
			nlen = sizeof(smtp_data_name_msgid) - 1;
		} else {
			name = smtp_data_name_tlsreq;
			nlen = sizeof(smtp_data_name_tlsreq) - 1;
		}
		if (d->hdr_pos < nlen && lc == (unsigned char)name[d->hdr_pos])
			d->hdr_pos++;
		else if (d->hdr_pos == nlen && c == ':')
			smtp_data_hdr_colon(d);
		else if (!(d->hdr_pos == nlen && (c == ' ' || c == '\t'))) {
			/* another name */
			d->hdr_field = SMTP_DATA_HF_NONE;
			d->hdr = c == '\r' ? SMTP_DATA_H_CR : SMTP_DATA_H_SKIP;
		}
		return;
	case SMTP_DATA_H_VALUE:
		if (c == '\r')
			d->hdr = SMTP_DATA_H_CR;
		else
			smtp_data_hdr_value(d, c);
		return;
	case SMTP_DATA_H_CR:
		if (c == '\n')
			d->hdr = SMTP_DATA_H_BOL;
		else if (c != '\r')
			d->hdr = d->hdr_field != SMTP_DATA_HF_NONE ?
			    SMTP_DATA_H_VALUE : SMTP_DATA_H_SKIP;
		return;
	default:	/* SMTP_DATA_H_SKIP */
		if (c == '\r')
			d->hdr = SMTP_DATA_H_CR;
		return;
	}
}

int
smtp_data_tlsrequired_no(const struct smtp_data *d)
{
	return d->tlsreq_fields == 1 && d->tlsreq_val == SMTP_DATA_TR_NO;
}

const char *
smtp_data_msgid(const struct smtp_data *d, size_t *len)
{
	size_t n = d->msgid_len;

	if (d->msgid_state == 0)
		return NULL;
	while (n > 0 && d->msgid[n - 1] == ' ')
		n--;
	*len = n;
	return d->msgid;
}

/* Accounts for message octets and writes them unless rejected. */
static void
smtp_data_put(struct smtp_data *d, const char *b, size_t n, char *out,
    size_t *o)
{
	size_t i;

	if (d->in_header)
		for (i = 0; i < n; i++)
			smtp_data_hdr_byte(d, (unsigned char)b[i]);
	d->size += n;
	if (d->max_size != 0 && d->size > d->max_size)
		smtp_data_refuse(d, SMTP_DATA_F_TOO_BIG, SMTP_DATA_REJ_TOO_BIG);
	if (d->in_header) {
		d->header_size += n;
		if (d->max_header_size != 0 &&
		    d->header_size > d->max_header_size)
			smtp_data_refuse(d, SMTP_DATA_F_HDR_TOO_BIG,
			    SMTP_DATA_REJ_HDR_TOO_BIG);
	}
	if (d->reject != SMTP_DATA_REJ_NONE)
		return;
	memcpy(out + *o, b, n);
	*o += n;
	d->written += n;
}

/* One input byte.  Returns 1 when it completed <CRLF>.<CRLF>. */
static int
smtp_data_step(struct smtp_data *d, unsigned char c, char *out, size_t *o)
{
	char ch = (char)c;

	/* Wire length: the stuffing dot and the CRLF count (§4.5.3.1.6). */
	if (++d->line_len > SMTP_DATA_LINE_MAX)
		smtp_data_refuse(d, SMTP_DATA_F_LONG_LINE,
		    SMTP_DATA_REJ_LONG_LINE);
	if (c >= 0x80)
		d->flags |= SMTP_DATA_F_8BIT;

	switch (d->state) {
	case SMTP_DATA_ST_BOL:
		if (c == '.') {
			d->state = SMTP_DATA_ST_BOL_DOT;
			return 0;
		}
		break;
	case SMTP_DATA_ST_BOL_DOT:
		/* "." followed by anything but CR: the dot was stuffing
		 * (§4.5.2) and is dropped; the byte is line text. */
		if (c == '\r') {
			d->state = SMTP_DATA_ST_BOL_DOT_CR;
			return 0;
		}
		break;
	case SMTP_DATA_ST_BOL_DOT_CR:
		if (c == '\n') {
			d->state = SMTP_DATA_ST_DONE;
			return 1;
		}
		/* ".\r" + other: a bare CR, never an end. */
		smtp_data_refuse(d, SMTP_DATA_F_BARE_CR, SMTP_DATA_REJ_BARE);
		smtp_data_put(d, "\r", 1, out, o);
		break;
	case SMTP_DATA_ST_CR:
		if (c == '\n') {
			smtp_data_put(d, "\r\n", 2, out, o);
			d->lines++;
			/* The header section ends with its first empty line,
			 * which it includes. */
			if (d->in_header && d->line_len == 2)
				d->in_header = 0;
			d->line_len = 0;
			d->state = SMTP_DATA_ST_BOL;
			return 0;
		}
		smtp_data_refuse(d, SMTP_DATA_F_BARE_CR, SMTP_DATA_REJ_BARE);
		smtp_data_put(d, "\r", 1, out, o);
		break;
	default:	/* SMTP_DATA_ST_MID */
		break;
	}

	/* c is line text (or starts a CR). */
	if (c == '\r') {
		d->state = SMTP_DATA_ST_CR;
		return 0;
	}
	/* A bare LF does not end the line: after it we are not at the
	 * start of a line, so "\n.\r\n" cannot end the message. */
	if (c == '\n')
		smtp_data_refuse(d, SMTP_DATA_F_BARE_LF, SMTP_DATA_REJ_BARE);
	else if (c == '\0')
		smtp_data_refuse(d, SMTP_DATA_F_NUL, SMTP_DATA_REJ_NUL);
	smtp_data_put(d, &ch, 1, out, o);
	d->state = SMTP_DATA_ST_MID;
	return 0;
}

/*
 * How many octets of plain line text the fast path may take in one piece
 * from a message not refused yet: what out can hold, and none past a
 * limit (line, message, header), so that the refusal falls on the same
 * octet, and writing stops there, however the input is split.  The byte
 * machine takes the octet that crosses the limit.
 */
static size_t
smtp_data_room(const struct smtp_data *d, size_t room)
{
	/* not refused: no counter is past its limit */
	if (room > SMTP_DATA_LINE_MAX - d->line_len)
		room = SMTP_DATA_LINE_MAX - d->line_len;
	if (d->max_size != 0 && room > d->max_size - d->size)
		room = (size_t)(d->max_size - d->size);
	if (d->in_header && d->max_header_size != 0 &&
	    room > d->max_header_size - d->header_size)
		room = (size_t)(d->max_header_size - d->header_size);
	return room;
}

enum smtp_data_status
smtp_data_feed(struct smtp_data *d, const char *in, size_t inlen,
    size_t *consumed, char *out, size_t outsize, size_t *outlen)
{
	const unsigned char	*u = (const unsigned char *)in;
	size_t			 i, o = 0;

	*consumed = 0;
	*outlen = 0;
	if (d->state == SMTP_DATA_ST_DONE)
		return SMTP_DATA_DONE;
	if (outsize < 2)
		return SMTP_DATA_ERROR;
	for (i = 0; i < inlen; i++) {
		/*
		 * Fast path: a run of plain line text (no CR, LF or NUL)
		 * inside a line, or starting one that does not begin with
		 * "." or CR, is copied in one piece; the byte machine
		 * below handles everything else. Same result either way.
		 */
		if (d->state == SMTP_DATA_ST_MID ||
		    (d->state == SMTP_DATA_ST_BOL && u[i] != '.' &&
		    u[i] != '\r')) {
			size_t j = i, n, room;

			while (j < inlen && u[j] != '\r' && u[j] != '\n' &&
			    u[j] != '\0') {
				if (u[j] >= 0x80)
					d->flags |= SMTP_DATA_F_8BIT;
				j++;
			}
			n = j - i;
			room = d->reject == SMTP_DATA_REJ_NONE ?
			    smtp_data_room(d, outsize - o) : n;
			if (n > room)
				n = room;
			if (n > 0) {
				d->line_len += n;
				if (d->line_len > SMTP_DATA_LINE_MAX)
					smtp_data_refuse(d,
					    SMTP_DATA_F_LONG_LINE,
					    SMTP_DATA_REJ_LONG_LINE);
				smtp_data_put(d, in + i, n, out, &o);
				d->state = SMTP_DATA_ST_MID;
				i += n - 1;
				continue;
			}
		}
		if (smtp_data_need(d, u[i]) > outsize - o) {
			*consumed = i;
			*outlen = o;
			return SMTP_DATA_OUTFULL;
		}
		if (smtp_data_step(d, u[i], out, &o)) {
			*consumed = i + 1;
			*outlen = o;
			return SMTP_DATA_DONE;
		}
	}
	*consumed = inlen;
	*outlen = o;
	return SMTP_DATA_MORE;
}

int
smtp_data_done(const struct smtp_data *d)
{
	return d->state == SMTP_DATA_ST_DONE;
}

int
smtp_data_result(const struct smtp_data *d, struct reason *why)
{
	if (d->state != SMTP_DATA_ST_DONE)
		return reason_set(why, 451, "4.3.0", "%s",
		    "Internal error: message not complete");
	switch (d->reject) {
	case SMTP_DATA_REJ_NONE:
		return 0;
	case SMTP_DATA_REJ_BARE:
		return reason_set(why, 550, "5.6.0", "%s",
		    "Message contains bare CR or LF");
	case SMTP_DATA_REJ_NUL:
		return reason_set(why, 550, "5.6.0", "%s",
		    "Message contains NUL byte");
	case SMTP_DATA_REJ_LONG_LINE:
		return reason_set(why, 550, "5.6.0", "%s",
		    "Message line too long (limit 1000 octets)");
	case SMTP_DATA_REJ_TOO_BIG:
		return reason_set(why, 552, "5.3.4", "%s",
		    "Message size exceeds fixed limit");
	case SMTP_DATA_REJ_HDR_TOO_BIG:
		return reason_set(why, 552, "5.3.4", "%s",
		    "Header section too large");
	}
	return reason_set(why, 451, "4.3.0", "%s",
	    "Internal error: unknown rejection");
}
