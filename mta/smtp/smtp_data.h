/*
 * smtp_data.h: the DATA phase of an SMTP server session as a pure state
 * machine (RFC 5321 §4.1.1.4 end of data, §4.5.2 transparency,
 * §4.5.3.1.6 text line length): finds the one true end <CRLF>.<CRLF>,
 * removes dot-stuffing, and refuses what SMTP smuggling needs (bare CR,
 * bare LF, NUL; a "." line not framed by CRLF never ends the message).
 * Linked by smtpin.
 *
 * Reply codes chosen (smtp_data_result):
 *   bare CR or bare LF          550 5.6.0 "Message contains bare CR or LF"
 *   NUL byte                    550 5.6.0 "Message contains NUL byte"
 *   line over 1000 octets       550 5.6.0 "Message line too long (limit 1000 octets)"
 *   message over max_size       552 5.3.4 "Message size exceeds fixed limit"
 *   header over max_header_size 552 5.3.4 "Header section too large"
 * The first problem found is the one reported; a rejected message is
 * still consumed up to its real end so that the session stays in step
 * (pipelined commands after it are then read as commands).
 *
 * On the way it notes two header fields: the first Message-ID (RFC 5322
 * §3.6.4, for the log) and whether the message asks, with one
 * "TLS-Required: No" field (RFC 8689 §5), that recipient-side TLS
 * policies be ignored (doc/design.md §6).
 */
#ifndef SEALPOST_SMTP_DATA_H
#define SEALPOST_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define SMTP_DATA_LINE_MAX	1000	/* octets with CRLF, as sent */
#define SMTP_DATA_MSGID_MAX	255	/* Message-ID kept for the log */

/* Where the header scanner is (internal). */
enum smtp_data_hdr_state {
	SMTP_DATA_H_BOL = 0,	/* at the start of a header line */
	SMTP_DATA_H_NAME,	/* matching the name of hdr_field */
	SMTP_DATA_H_VALUE,	/* inside the value of hdr_field */
	SMTP_DATA_H_SKIP,	/* inside another field */
	SMTP_DATA_H_CR		/* after a CR */
};

/* Which field the header scanner matches or is inside (internal). */
enum smtp_data_hdr_field {
	SMTP_DATA_HF_NONE = 0,	/* another field, or none */
	SMTP_DATA_HF_MSGID,	/* "Message-ID" */
	SMTP_DATA_HF_TLSREQ	/* "TLS-Required" */
};

/* How much of a TLS-Required value matches [FWS] "No" [FWS] (internal). */
enum smtp_data_tlsreq_val {
	SMTP_DATA_TR_LEAD = 0,	/* white space only, so far */
	SMTP_DATA_TR_N,		/* "N" */
	SMTP_DATA_TR_NO,	/* "No", then white space only */
	SMTP_DATA_TR_OTHER	/* anything else */
};

enum smtp_data_status {
	SMTP_DATA_ERROR = -1,	/* bad call (outsize < 2) */
	SMTP_DATA_MORE = 0,	/* all input used; feed more */
	SMTP_DATA_DONE,		/* <CRLF>.<CRLF> seen */
	SMTP_DATA_OUTFULL	/* out is full; pass a fresh out, same input */
};

/* Bits of struct smtp_data.flags: everything seen, not just the first. */
#define SMTP_DATA_F_BARE_CR	0x01
#define SMTP_DATA_F_BARE_LF	0x02
#define SMTP_DATA_F_NUL		0x04
#define SMTP_DATA_F_LONG_LINE	0x08
#define SMTP_DATA_F_TOO_BIG	0x10
#define SMTP_DATA_F_HDR_TOO_BIG	0x20
#define SMTP_DATA_F_8BIT	0x40	/* some octet >= 0x80 (informative) */

/* Why the message is refused; the first one wins. */
enum smtp_data_reject {
	SMTP_DATA_REJ_NONE = 0,
	SMTP_DATA_REJ_BARE,		/* bare CR or LF */
	SMTP_DATA_REJ_NUL,
	SMTP_DATA_REJ_LONG_LINE,
	SMTP_DATA_REJ_TOO_BIG,
	SMTP_DATA_REJ_HDR_TOO_BIG
};

/* State of one DATA phase.  Callers only read it (counters, flags). */
struct smtp_data {
	int			state;		/* internal */
	size_t			max_size;	/* 0: no limit */
	size_t			max_header_size;/* 0: no limit */
	uint64_t		size;		/* message octets (unstuffed,
						   CRLF kept), even past a
						   rejection */
	uint64_t		written;	/* octets given to out */
	uint64_t		header_size;	/* octets of the header section
						   including its empty line */
	uint64_t		lines;		/* CRLF-terminated lines */
	size_t			line_len;	/* wire octets in this line */
	int			in_header;
	unsigned		flags;		/* SMTP_DATA_F_* */
	enum smtp_data_reject	reject;
	/* the header scanner (smtp_data_msgid, smtp_data_tlsrequired_no) */
	enum smtp_data_hdr_state hdr;
	enum smtp_data_hdr_field hdr_field;
	size_t			hdr_pos;
	int			msgid_state;	/* 0 none, 1 in it, 2 done */
	size_t			msgid_len;
	char			msgid[SMTP_DATA_MSGID_MAX];
	unsigned		tlsreq_fields;	/* TLS-Required fields seen,
						   counted up to 2 */
	enum smtp_data_tlsreq_val tlsreq_val;	/* the value of the last */
};

/*
 * Starts a DATA phase, right after the 354 reply (the message starts at
 * the beginning of a line).  max_size bounds the message as stored;
 * max_header_size the header section (up to and including the first
 * empty line); 0 means no limit.  Cannot fail.
 */
void	smtp_data_init(struct smtp_data *d, size_t max_size,
	    size_t max_header_size);

/*
 * Consumes network bytes in[0..inlen) and writes the message bytes
 * (dot-stuffing removed, CRLF line ends kept as received, the final
 * <CRLF>.<CRLF> not included except its first CRLF, which ends the last
 * line) to out[0..outsize).  *consumed is set to the input octets used
 * and *outlen to the octets written, both always.
 * Returns SMTP_DATA_MORE when all input is used, SMTP_DATA_DONE when the
 * end of data was found (in[*consumed..inlen) is the client's next
 * command: pipelining), SMTP_DATA_OUTFULL when out has no room for the
 * next byte (call again with the rest of the input), SMTP_DATA_ERROR if
 * outsize < 2 (one input byte may produce two output bytes).  After
 * DONE, further calls consume nothing and return DONE.  Once the message
 * is rejected (see smtp_data_result) nothing more is written to out, but
 * input is still consumed to the end.  The result is the same however
 * the input is split.  Pure; nothing allocated.
 */
enum smtp_data_status smtp_data_feed(struct smtp_data *d, const char *in,
	    size_t inlen, size_t *consumed, char *out, size_t outsize,
	    size_t *outlen);

/*
 * The value of the message's first Message-ID header field (RFC 5322
 * §3.6.4), unfolded, without leading and trailing white space, cut at
 * SMTP_DATA_MSGID_MAX octets; not NUL-terminated: *len is its length.
 * Returns NULL when the header section has none (so far). Network bytes:
 * escape before logging. The same however the input was split.
 */
const char	*smtp_data_msgid(const struct smtp_data *d, size_t *len);

/*
 * Returns 1 if the header section (so far) has exactly one TLS-Required
 * field (RFC 8689 §5) and its value is "No": the field name and the value
 * case-insensitive, white space and folding around the value allowed,
 * nothing else (no comment, no other word).  Returns 0 when there is no
 * such field, when its value is anything else, and when there are two or
 * more TLS-Required fields, whatever their values: §5 defines one field
 * with one value, and a message that is unclear about it keeps every
 * policy (doc/design.md §1, failures close).  Says nothing about
 * REQUIRETLS, with which the field is ignored (the caller's business),
 * nor about whether the message is accepted.  The same however the
 * input was split.
 */
int	smtp_data_tlsrequired_no(const struct smtp_data *d);

/* Returns 1 once the end of data was seen, else 0. */
int	smtp_data_done(const struct smtp_data *d);

/*
 * Returns 0 if the message, which must be complete, may be accepted.
 * Returns -1 and fills *why with the reply to send if it is rejected
 * (table above), or with 451 4.3.0 if called before the end of data.
 */
int	smtp_data_result(const struct smtp_data *d, struct reason *why);

#endif
