/*
 * dns_wire.h: pure DNS wire format (RFC 1035 §4, RFC 3596, RFC 6891,
 * RFC 6698 §2.1, RFC 4035 §3.2 for the AD and DO bits, RFC 2181, RFC 8461
 * §3.1): builds the queries the policy process and smtpout hand to c-ares
 * (ares_send with a raw buffer) and parses the raw answers, because
 * c-ares 1.18 has no record API and no TLSA parser.  The AD bit is read
 * from the header of answers of the loopback validating resolver
 * (doc/design.md §8).  Linked for now by tests/unit/test_dns_wire and
 * tests/fuzz/fuzz_dns_wire; later by the policy process and smtpout.
 *
 * No I/O, no allocation, no global mutable state.  Everything is bounded:
 * names by DNS_WIRE_NAME_STRMAX, queries by DNS_WIRE_QUERY_MAX, messages
 * by DNS_WIRE_MSG_MAX, the caller's buffers by the sizes passed.
 *
 * Ownership: a parsed message, its records and the decoded rdata borrow
 * the caller's packet (pointers into it); they stay valid while the
 * packet does and is not modified.  Names are copied out, NUL-terminated.
 *
 * Names in presentation form (what the parsers write, what the builder
 * and the comparisons read): labels joined by '.', no trailing dot, the
 * root alone written ".".  Octets outside [A-Za-z0-9_-] are written as
 * \DDD (three decimal digits, RFC 1035 §5.1), so that a hostile name is
 * plain printable ASCII without '.', '\\', SP, quotes or control bytes of
 * its own: it cannot inject anything into a log line, a later comparison
 * or a new query.  The readers accept exactly that form (raw
 * [A-Za-z0-9_-] and \DDD, DDD <= 255, optional trailing dot), which makes
 * every decoded name usable as input again.
 *
 * Failures: the parsers return 0 (or a count) on success and a negative
 * enum dns_wire_err on failure; test with "< 0".  dns_wire_strerror()
 * names them.  Outputs are unspecified after a failure unless said.
 */
#ifndef SEALPOST_DNS_WIRE_H
#define SEALPOST_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_WIRE_HEADER_LEN	12	/* RFC 1035 §4.1.1 */
#define DNS_WIRE_LABEL_MAX	63	/* octets in one label, §2.3.4 */
#define DNS_WIRE_NAME_MAX	255	/* octets of a name in wire form,
					   length octets and root included */
/*
 * A name in presentation form, with its NUL: the worst case is four
 * labels of 63, 63, 63 and 61 octets (1 + 63 + 1 + 63 + 1 + 63 + 1 + 61
 * + 1 = 255 wire octets) all escaped (4 characters each) plus 3 dots:
 * 250 * 4 + 3 + 1.
 */
#define DNS_WIRE_NAME_STRMAX	1004
/* Header, a name of 255 octets, QTYPE and QCLASS, an OPT RR of 11. */
#define DNS_WIRE_QUERY_MAX	(DNS_WIRE_HEADER_LEN + DNS_WIRE_NAME_MAX + 4 + 11)
#define DNS_WIRE_MSG_MAX	65535	/* a DNS message over TCP, RFC 1035
					   §4.2.2; nothing longer exists */
#define DNS_WIRE_EDNS_UDP	1232	/* our advertised UDP payload size
					   (the DNS flag day 2020 value) */
#define DNS_WIRE_JUMPS_MAX	127	/* compression pointers followed for
					   one name: as many as it can have
					   labels */

enum dns_wire_err {
	DNS_WIRE_OK = 0,
	DNS_WIRE_E_SHORT = -1,		/* the packet ends inside a field: a
					   truncated header, question, name
					   or RR, rdlength past the end, or
					   counts announcing absent RRs */
	DNS_WIRE_E_POINTER = -2,	/* compression pointer not strictly
					   before the name being read (forward,
					   to itself, a loop), into the
					   header, or too many of them */
	DNS_WIRE_E_LABEL = -3,		/* label type 0x40 or 0x80 */
	DNS_WIRE_E_NAMELEN = -4,	/* name over 255 octets in wire form */
	DNS_WIRE_E_SPACE = -5,		/* the caller's output buffer is too
					   small */
	DNS_WIRE_E_RDATA = -6,		/* rdata of the wrong length or
					   malformed for its type */
	DNS_WIRE_E_TYPE = -7,		/* a typed decoder given an RR of
					   another type or class */
	DNS_WIRE_E_FORMAT = -8,		/* message-level: not a response,
					   opcode not QUERY, more than one
					   question, misplaced or repeated
					   OPT RR, longer than 65535 */
	DNS_WIRE_E_SYNTAX = -9		/* a presentation-form name the
					   readers refuse */
};

/* RR types we build or decode (RFC 1035 §3.2.2, 3596, 6891, 4034, 6698). */
enum dns_wire_type {
	DNS_WIRE_TYPE_A = 1,
	DNS_WIRE_TYPE_NS = 2,
	DNS_WIRE_TYPE_CNAME = 5,
	DNS_WIRE_TYPE_SOA = 6,
	DNS_WIRE_TYPE_MX = 15,
	DNS_WIRE_TYPE_TXT = 16,
	DNS_WIRE_TYPE_AAAA = 28,
	DNS_WIRE_TYPE_OPT = 41,
	DNS_WIRE_TYPE_RRSIG = 46,
	DNS_WIRE_TYPE_TLSA = 52
};

enum dns_wire_class {
	DNS_WIRE_CLASS_IN = 1
};

/* RCODEs; values over 15 need the OPT RR's upper 8 bits (RFC 6891 §6.1.3). */
enum dns_wire_rcode {
	DNS_WIRE_RCODE_NOERROR = 0,
	DNS_WIRE_RCODE_FORMERR = 1,
	DNS_WIRE_RCODE_SERVFAIL = 2,
	DNS_WIRE_RCODE_NXDOMAIN = 3,
	DNS_WIRE_RCODE_NOTIMP = 4,
	DNS_WIRE_RCODE_REFUSED = 5,
	DNS_WIRE_RCODE_BADVERS = 16
};

enum dns_wire_section {
	DNS_WIRE_SECTION_NONE = 0,	/* parsed alone, section unknown */
	DNS_WIRE_SECTION_ANSWER = 1,
	DNS_WIRE_SECTION_AUTHORITY = 2,
	DNS_WIRE_SECTION_ADDITIONAL = 3
};

/* Returns a static description of a dns_wire_err ("?" if unknown). */
const char *dns_wire_strerror(int err);

/* ---- names ------------------------------------------------------------- */

/*
 * Decompresses the name at pkt[off] (RFC 1035 §4.1.4) into out[0..size)
 * in presentation form, NUL-terminated; out may be NULL when size is 0
 * (checks and skips the name only).  A compression pointer must point
 * strictly before the start of the label run that contains it (the
 * name's start, then each pointer's target) and not into the header:
 * this refuses forward pointers, pointers to themselves and every loop,
 * and the targets strictly decrease; at most DNS_WIRE_JUMPS_MAX of them.
 * Refused as well: label types 0x40 and 0x80 (RFC 6891 §5), labels or
 * pointers past len, names over 255 octets in wire form.
 * Returns 0 and sets *end (if not NULL) to the offset after the name as
 * it sits at off (after its first pointer, or its root label), or
 * DNS_WIRE_E_SHORT, _POINTER, _LABEL, _NAMELEN, or _SPACE when out is
 * too small (DNS_WIRE_NAME_STRMAX always suffices).  When size > 0, out
 * is NUL-terminated even after a failure (a prefix, not a name to use).
 */
int	dns_wire_name_decode(const uint8_t *pkt, size_t len, size_t off,
	    char *out, size_t size, size_t *end);

/*
 * Converts a presentation-form name (NUL-terminated; raw [A-Za-z0-9_-]
 * and \DDD escapes, an optional trailing dot; "." is the root) into
 * uncompressed wire form in out[0..size).  Labels must be 1..63 octets
 * (no empty label: "", "a..b", ".a" are refused), the whole at most 255.
 * Returns the wire length (1 for the root), DNS_WIRE_E_SYNTAX for a name
 * it refuses, DNS_WIRE_E_NAMELEN, or DNS_WIRE_E_SPACE (DNS_WIRE_NAME_MAX
 * always suffices).
 */
int	dns_wire_name_encode(const char *name, uint8_t *out, size_t size);

/*
 * Compares two presentation-form names as DNS does: ASCII letters
 * without regard to case (RFC 4343), escapes decoded, a trailing dot
 * ignored.  Returns 1 if both are valid names (see dns_wire_name_encode)
 * and equal, 0 otherwise.
 */
int	dns_wire_name_equal(const char *a, const char *b);

/* ---- queries ----------------------------------------------------------- */

/*
 * Builds a standard query into buf[0..size): ID id (the caller draws it
 * at random), RD set, one question (name, qtype, class IN), and an OPT RR
 * (RFC 6891 §6) advertising DNS_WIRE_EDNS_UDP octets, version 0, with the
 * DO bit (RFC 3225, RFC 4035 §3.2.1) when dnssec_ok is non-zero so that
 * the validating resolver sets AD in its answer (RFC 4035 §3.2.3).
 * name is a presentation-form name other than the root; qtype may not be
 * 0, OPT or a meta-type (128..255, RFC 6895 §3.1).
 * Returns the length of the query (at most DNS_WIRE_QUERY_MAX), or -1 if
 * the name or qtype is refused or buf is too small.
 */
int	dns_wire_query_build(uint8_t *buf, size_t size, uint16_t id,
	    const char *name, uint16_t qtype, int dnssec_ok);

/* ---- parsing ----------------------------------------------------------- */

struct dns_wire_header {
	uint16_t	id;
	unsigned	qr;		/* each flag 0 or 1 */
	unsigned	opcode;		/* 0..15; 0 is QUERY */
	unsigned	aa;
	unsigned	tc;
	unsigned	rd;
	unsigned	ra;
	unsigned	ad;		/* authentic data, RFC 4035 §3.2.3 */
	unsigned	cd;		/* checking disabled, §3.2.2 */
	unsigned	rcode;		/* the header's 4 bits only */
	uint16_t	qdcount;
	uint16_t	ancount;
	uint16_t	nscount;
	uint16_t	arcount;
};

/*
 * Parses the 12-octet header of pkt[0..len).  Returns 0, or
 * DNS_WIRE_E_SHORT if len < DNS_WIRE_HEADER_LEN.
 */
int	dns_wire_header_parse(const uint8_t *pkt, size_t len,
	    struct dns_wire_header *h);

struct dns_wire_question {
	char		name[DNS_WIRE_NAME_STRMAX];
	uint16_t	qtype;
	uint16_t	qclass;
};

/*
 * Parses the question entry at pkt[*off] (RFC 1035 §4.1.2) and advances
 * *off past it.  Returns 0, or a name error (see dns_wire_name_decode)
 * or DNS_WIRE_E_SHORT if QTYPE/QCLASS are cut; *off is then unchanged.
 */
int	dns_wire_question_parse(const uint8_t *pkt, size_t len, size_t *off,
	    struct dns_wire_question *q);

/*
 * Returns 1 if q asks for name (compared with dns_wire_name_equal),
 * qtype and qclass, 0 otherwise.
 */
int	dns_wire_question_match(const struct dns_wire_question *q,
	    const char *name, uint16_t qtype, uint16_t qclass);

/*
 * One resource record (RFC 1035 §4.1.3).  rdata points into the packet;
 * pkt and pktlen are kept so that the typed decoders can follow
 * compression pointers of names inside rdata.
 */
struct dns_wire_rr {
	char			 name[DNS_WIRE_NAME_STRMAX];
	uint16_t		 type;
	uint16_t		 rclass;	/* for OPT: the UDP payload size */
	uint32_t		 ttl;		/* 0 if the top bit was set,
						   RFC 2181 §8 */
	uint32_t		 rawttl;	/* as sent; for OPT: extended
						   RCODE, version, flags */
	const uint8_t		*rdata;		/* pkt + rdoff */
	uint16_t		 rdlen;
	size_t			 rdoff;
	enum dns_wire_section	 section;
	const uint8_t		*pkt;
	size_t			 pktlen;
};

/*
 * Parses the RR at pkt[*off] and advances *off past it; rr->section is
 * DNS_WIRE_SECTION_NONE.  Guarantees rdoff + rdlen <= len.  Returns 0, a
 * name error (see dns_wire_name_decode), or DNS_WIRE_E_SHORT when the
 * fixed fields or the rdata (rdlength) pass len; *off is then unchanged.
 */
int	dns_wire_rr_parse(const uint8_t *pkt, size_t len, size_t *off,
	    struct dns_wire_rr *rr);

/* The OPT pseudo-RR (RFC 6891 §6.1.2, §6.1.3; DO: RFC 3225). */
struct dns_wire_opt {
	uint16_t	 udp_size;	/* as sent; RFC 6891 §6.2.5 says to
					   treat values < 512 as 512 */
	uint8_t		 ext_rcode;	/* upper 8 bits of the 12-bit RCODE */
	uint8_t		 version;
	unsigned	 dnssec_ok;	/* the DO bit, 0 or 1 */
	const uint8_t	*options;	/* rdata: {code, length, data}... */
	uint16_t	 optlen;
};

/*
 * A response, checked whole: header, at most one question, then every RR
 * the counts announce (all names and rdata lengths inside the packet, so
 * a message whose counts lie fails here, before the caller uses any of
 * it), and at most one OPT RR, in the additional section, owned by the
 * root.  Octets after the last RR are ignored.
 */
struct dns_wire_msg {
	const uint8_t			*pkt;	/* the caller's, borrowed */
	size_t				 len;
	struct dns_wire_header		 hdr;
	int				 has_question;
	struct dns_wire_question	 q;	/* when has_question */
	int				 has_opt;
	struct dns_wire_opt		 opt;	/* when has_opt */
	unsigned			 rcode;	/* extended: opt.ext_rcode << 4
						   | hdr.rcode (RFC 6891 §6.1.3) */
	size_t				 rr_off;	/* first RR */
	size_t				 rr_end;	/* after the last RR */
};

/*
 * Parses the response pkt[0..len) into *m (pkt is borrowed, see above).
 * TC is not an error: the message is parsed like any other, and the
 * caller must not trust a truncated answer (c-ares retries over TCP).
 * Returns 0, or DNS_WIRE_E_FORMAT (QR clear, opcode not QUERY, QDCOUNT
 * over 1, len over DNS_WIRE_MSG_MAX, an OPT RR outside the additional
 * section, twice, or not owned by the root), DNS_WIRE_E_RDATA (malformed
 * OPT rdata), or any error of dns_wire_question_parse or
 * dns_wire_rr_parse.  m->hdr is valid after any failure other than
 * DNS_WIRE_E_SHORT from a header shorter than 12 octets, so that TC and
 * RCODE can still be looked at.
 */
int	dns_wire_msg_parse(struct dns_wire_msg *m, const uint8_t *pkt,
	    size_t len);

/* Position of an iteration over the RRs of a parsed message. */
struct dns_wire_iter {
	size_t		off;
	unsigned	idx;
};

/* Starts an iteration over every RR of m, answer section first. */
void	dns_wire_iter_init(const struct dns_wire_msg *m,
	    struct dns_wire_iter *it);

/*
 * Fills *rr with the next RR of m (the OPT RR included, in the
 * additional section) and its section.  Returns 1, 0 after the last one,
 * or a negative dns_wire_err (impossible after a successful
 * dns_wire_msg_parse of an unmodified packet).
 */
int	dns_wire_iter_next(const struct dns_wire_msg *m,
	    struct dns_wire_iter *it, struct dns_wire_rr *rr);

/* ---- typed rdata decoders ---------------------------------------------- */
/*
 * Each takes an RR from dns_wire_rr_parse or dns_wire_iter_next, checks
 * its type (and class IN, except for OPT) and rdata, and returns 0, or
 * DNS_WIRE_E_TYPE (another type or class), DNS_WIRE_E_RDATA (rdata of
 * the wrong length or shape), or a name error for names inside rdata.
 */

/* A: the address in network order (RFC 1035 §3.4.1; rdlength 4). */
int	dns_wire_rdata_a(const struct dns_wire_rr *rr, uint8_t addr[4]);

/* AAAA: the address in network order (RFC 3596 §2.2; rdlength 16). */
int	dns_wire_rdata_aaaa(const struct dns_wire_rr *rr, uint8_t addr[16]);

struct dns_wire_mx {
	uint16_t	preference;
	char		exchange[DNS_WIRE_NAME_STRMAX];	/* "." is a null MX,
							   RFC 7505 */
};

/*
 * MX (RFC 1035 §3.3.9): the exchange is decompressed and must end exactly
 * at the end of rdata.
 */
int	dns_wire_rdata_mx(const struct dns_wire_rr *rr, struct dns_wire_mx *mx);

/*
 * CNAME (RFC 1035 §3.3.1): the target, decompressed, into
 * target[0..size) (DNS_WIRE_NAME_STRMAX suffices; else DNS_WIRE_E_SPACE);
 * it must end exactly at the end of rdata.
 */
int	dns_wire_rdata_cname(const struct dns_wire_rr *rr, char *target,
	    size_t size);

/*
 * TXT (RFC 1035 §3.3.14): the character-strings of this one record
 * concatenated without separators, as RFC 8461 §3.1 wants for MTA-STS,
 * into out[0..size); *outlen is their total length.  out holds raw
 * octets (any value, NUL included) and is not NUL-terminated.  At least
 * one string, each inside rdata, the last ending exactly at its end.
 * DNS_WIRE_E_SPACE when the total exceeds size.
 */
int	dns_wire_rdata_txt(const struct dns_wire_rr *rr, char *out,
	    size_t size, size_t *outlen);

/* TLSA (RFC 6698 §2.1); data points into rdata. */
struct dns_wire_tlsa {
	uint8_t		 usage;		/* 0..3 defined; others passed on */
	uint8_t		 selector;	/* 0..1 defined */
	uint8_t		 mtype;		/* matching type, 0..2 defined */
	const uint8_t	*data;		/* certificate association data */
	size_t		 datalen;
};

/*
 * TLSA: at least one octet of association data; with matching type 1
 * (SHA-256, RFC 6698 §2.1.3) exactly 32, with 2 (SHA-512) exactly 64,
 * since a digest of another length can match nothing: such a record is
 * refused as malformed.  Unknown usages, selectors and matching types
 * are returned as they are, for the caller to treat as unusable
 * (RFC 7672, "unusable" TLSA records).
 */
int	dns_wire_rdata_tlsa(const struct dns_wire_rr *rr,
	    struct dns_wire_tlsa *t);

/*
 * OPT (RFC 6891 §6.1): the owner must be the root and the options
 * well-formed ({code, length, data} filling rdata exactly), else
 * DNS_WIRE_E_RDATA.  The class is not checked (it is the UDP size).
 */
int	dns_wire_rdata_opt(const struct dns_wire_rr *rr,
	    struct dns_wire_opt *o);

#endif
