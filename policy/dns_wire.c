/*
 * dns_wire.c: pure DNS wire format for the outbound policy: the query
 * builder and the parser of raw answers that c-ares 1.18 cannot give us
 * (no record API, no TLSA), with the AD bit of the loopback validating
 * resolver read from the header (doc/design.md §8).  RFC 1035 (format,
 * compression, §5.1 escapes), RFC 3596 (AAAA), RFC 6891 (EDNS0 OPT),
 * RFC 6698 (TLSA), RFC 4035 (AD, DO), RFC 2181 (TTL), RFC 8461 §3.1 (TXT
 * strings concatenated).  Every octet comes from the network: each read
 * is bounds-checked against the packet's length, never a NUL.
 * No I/O, no allocation, no global mutable state.  Linked by
 * tests/unit/test_dns_wire and tests/fuzz/fuzz_dns_wire; later by the
 * policy process and smtpout.  See dns_wire.h for the contracts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_wire.h"

const char *
dns_wire_strerror(int err)
{
	switch (err) {
	case DNS_WIRE_OK:
		return "no error";
	case DNS_WIRE_E_SHORT:
		return "packet ends inside a field";
	case DNS_WIRE_E_POINTER:
		return "bad compression pointer";
	case DNS_WIRE_E_LABEL:
		return "reserved label type";
	case DNS_WIRE_E_NAMELEN:
		return "name longer than 255 octets";
	case DNS_WIRE_E_SPACE:
		return "output buffer too small";
	case DNS_WIRE_E_RDATA:
		return "malformed rdata";
	case DNS_WIRE_E_TYPE:
		return "record of another type or class";
	case DNS_WIRE_E_FORMAT:
		return "malformed message";
	case DNS_WIRE_E_SYNTAX:
		return "invalid name";
	}
	return "?";
}

static uint16_t
dns_wire_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
dns_wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
dns_wire_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Octets written as they are in presentation form; all others are \DDD. */
static int
dns_wire_is_plain(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned
dns_wire_fold(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* ---- names ------------------------------------------------------------- */

/*
 * Appends one label in presentation form at out[*o] (after a dot unless
 * it is the first) and NUL-terminates; *o < size on entry and on return,
 * also on DNS_WIRE_E_SPACE, so that out always holds a string.
 */
static int
dns_wire_put_label(char *out, size_t size, size_t *o, const uint8_t *lab,
    size_t n)
{
	size_t i;

	if (out == NULL)
		return 0;
	if (*o > 0) {
		if (size - *o < 2)
			goto full;
		out[(*o)++] = '.';
	}
	for (i = 0; i < n; i++) {
		unsigned c = lab[i];

		if (dns_wire_is_plain(c)) {
			if (size - *o < 2)
				goto full;
			out[(*o)++] = (char)c;
		} else {
			if (size - *o < 5)
				goto full;
			out[(*o)++] = '\\';
			out[(*o)++] = (char)('0' + c / 100);
			out[(*o)++] = (char)('0' + c / 10 % 10);
			out[(*o)++] = (char)('0' + c % 10);
		}
	}
	out[*o] = '\0';
	return 0;
full:
	out[*o] = '\0';
	return DNS_WIRE_E_SPACE;
}

int
dns_wire_name_decode(const uint8_t *pkt, size_t len, size_t off,
    char *out, size_t size, size_t *end)
{
	size_t		pos = off;	/* next octet to read */
	size_t		run = off;	/* start of the current label run */
	size_t		after = 0;	/* offset after the name where it sits */
	size_t		wire = 0;	/* wire octets so far, root excluded */
	size_t		o = 0;
	unsigned	jumps = 0;
	int		r;

	if (out != NULL) {
		if (size == 0)
			return DNS_WIRE_E_SPACE;
		out[0] = '\0';
	}
	for (;;) {
		unsigned c;

		if (pos >= len)
			return DNS_WIRE_E_SHORT;
		c = pkt[pos];
		if ((c & 0xC0) == 0xC0) {
			size_t target;

			if (len - pos < 2)
				return DNS_WIRE_E_SHORT;
			target = (size_t)(c & 0x3F) << 8 | pkt[pos + 1];
			/* Strictly before the run we are reading: every
			 * target is lower than the last one, so no loop. */
			if (target >= run || target < DNS_WIRE_HEADER_LEN)
				return DNS_WIRE_E_POINTER;
			if (++jumps > DNS_WIRE_JUMPS_MAX)
				return DNS_WIRE_E_POINTER;
			if (jumps == 1)
				after = pos + 2;
			pos = run = target;
			continue;
		}
		if (c & 0xC0)		/* 0x40 extended, 0x80 reserved */
			return DNS_WIRE_E_LABEL;
		if (c == 0) {
			if (jumps == 0)
				after = pos + 1;
			break;
		}
		if (len - pos - 1 < c)
			return DNS_WIRE_E_SHORT;
		wire += 1 + c;
		if (wire + 1 > DNS_WIRE_NAME_MAX)
			return DNS_WIRE_E_NAMELEN;
		if ((r = dns_wire_put_label(out, size, &o, pkt + pos + 1, c)) < 0)
			return r;
		pos += 1 + c;
	}
	if (out != NULL) {
		if (o == 0) {		/* the root */
			if (size < 2)
				return DNS_WIRE_E_SPACE;
			out[o++] = '.';
		}
		out[o] = '\0';
	}
	if (end != NULL)
		*end = after;
	return 0;
}

int
dns_wire_name_encode(const char *name, uint8_t *out, size_t size)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 o = 0, lenpos;
	unsigned		 n;

	if (s[0] == '\0')
		return DNS_WIRE_E_SYNTAX;
	if (s[0] == '.' && s[1] == '\0') {
		if (size < 1)
			return DNS_WIRE_E_SPACE;
		out[0] = 0;
		return 1;
	}
	while (*s != '\0') {
		/* one label: its length octet goes at lenpos */
		lenpos = o;
		n = 0;
		if (o >= DNS_WIRE_NAME_MAX)
			return DNS_WIRE_E_NAMELEN;
		if (o >= size)
			return DNS_WIRE_E_SPACE;
		o++;
		while (*s != '\0' && *s != '.') {
			unsigned c = *s;

			if (c == '\\') {
				if (s[1] < '0' || s[1] > '9' ||
				    s[2] < '0' || s[2] > '9' ||
				    s[3] < '0' || s[3] > '9')
					return DNS_WIRE_E_SYNTAX;
				c = (unsigned)(s[1] - '0') * 100 +
				    (unsigned)(s[2] - '0') * 10 +
				    (unsigned)(s[3] - '0');
				if (c > 255)
					return DNS_WIRE_E_SYNTAX;
				s += 4;
			} else if (dns_wire_is_plain(c)) {
				s++;
			} else
				return DNS_WIRE_E_SYNTAX;
			if (++n > DNS_WIRE_LABEL_MAX)
				return DNS_WIRE_E_SYNTAX;
			if (o >= DNS_WIRE_NAME_MAX)
				return DNS_WIRE_E_NAMELEN;
			if (o >= size)
				return DNS_WIRE_E_SPACE;
			out[o++] = (uint8_t)c;
		}
		if (n == 0)		/* "", ".a", "a..b" */
			return DNS_WIRE_E_SYNTAX;
		out[lenpos] = (uint8_t)n;
		if (*s == '.')
			s++;		/* a trailing dot ends the loop */
	}
	if (o >= DNS_WIRE_NAME_MAX)
		return DNS_WIRE_E_NAMELEN;
	if (o >= size)
		return DNS_WIRE_E_SPACE;
	out[o++] = 0;
	return (int)o;
}

int
dns_wire_name_equal(const char *a, const char *b)
{
	uint8_t	wa[DNS_WIRE_NAME_MAX], wb[DNS_WIRE_NAME_MAX];
	int	na, nb, i;

	na = dns_wire_name_encode(a, wa, sizeof(wa));
	nb = dns_wire_name_encode(b, wb, sizeof(wb));
	if (na < 0 || nb < 0 || na != nb)
		return 0;
	/* Length octets are < 64, so folding leaves them alone and two
	 * names agree octet for octet only if their labels line up. */
	for (i = 0; i < na; i++)
		if (dns_wire_fold(wa[i]) != dns_wire_fold(wb[i]))
			return 0;
	return 1;
}

/* ---- queries ----------------------------------------------------------- */

int
dns_wire_query_build(uint8_t *buf, size_t size, uint16_t id,
    const char *name, uint16_t qtype, int dnssec_ok)
{
	uint8_t	wire[DNS_WIRE_NAME_MAX];
	size_t	need, o;
	int	n;

	if (qtype == 0 || qtype == DNS_WIRE_TYPE_OPT ||
	    (qtype >= 128 && qtype <= 255))
		return -1;
	n = dns_wire_name_encode(name, wire, sizeof(wire));
	if (n <= 1)			/* refused, or the root */
		return -1;
	need = DNS_WIRE_HEADER_LEN + (size_t)n + 4 + 11;
	if (need > size)
		return -1;

	memset(buf, 0, need);
	dns_wire_put16(buf, id);
	buf[2] = 0x01;			/* RD; QR, opcode, AA, TC clear */
	buf[3] = 0x00;			/* RA, Z, AD, CD, RCODE clear */
	dns_wire_put16(buf + 4, 1);	/* QDCOUNT */
	dns_wire_put16(buf + 10, 1);	/* ARCOUNT: the OPT RR */
	o = DNS_WIRE_HEADER_LEN;
	memcpy(buf + o, wire, (size_t)n);
	o += (size_t)n;
	dns_wire_put16(buf + o, qtype);
	dns_wire_put16(buf + o + 2, DNS_WIRE_CLASS_IN);
	o += 4;
	/* OPT: root owner, type, UDP size as class, TTL = extended RCODE 0,
	 * version 0, flags (DO is the top bit), then RDLENGTH 0. */
	buf[o++] = 0;
	dns_wire_put16(buf + o, DNS_WIRE_TYPE_OPT);
	dns_wire_put16(buf + o + 2, DNS_WIRE_EDNS_UDP);
	buf[o + 4] = 0;
	buf[o + 5] = 0;
	buf[o + 6] = dnssec_ok ? 0x80 : 0x00;
	buf[o + 7] = 0;
	dns_wire_put16(buf + o + 8, 0);
	o += 10;
	return (int)o;
}

/* ---- parsing ----------------------------------------------------------- */

int
dns_wire_header_parse(const uint8_t *pkt, size_t len,
    struct dns_wire_header *h)
{
	if (len < DNS_WIRE_HEADER_LEN)
		return DNS_WIRE_E_SHORT;
	h->id = dns_wire_get16(pkt);
	h->qr = pkt[2] >> 7 & 1;
	h->opcode = pkt[2] >> 3 & 0x0F;
	h->aa = pkt[2] >> 2 & 1;
	h->tc = pkt[2] >> 1 & 1;
	h->rd = pkt[2] & 1;
	h->ra = pkt[3] >> 7 & 1;
	h->ad = pkt[3] >> 5 & 1;
	h->cd = pkt[3] >> 4 & 1;
	h->rcode = pkt[3] & 0x0F;
	h->qdcount = dns_wire_get16(pkt + 4);
	h->ancount = dns_wire_get16(pkt + 6);
	h->nscount = dns_wire_get16(pkt + 8);
	h->arcount = dns_wire_get16(pkt + 10);
	return 0;
}

int
dns_wire_question_parse(const uint8_t *pkt, size_t len, size_t *off,
    struct dns_wire_question *q)
{
	size_t	end;
	int	r;

	if ((r = dns_wire_name_decode(pkt, len, *off, q->name, sizeof(q->name),
	    &end)) < 0)
		return r;
	if (len - end < 4)
		return DNS_WIRE_E_SHORT;
	q->qtype = dns_wire_get16(pkt + end);
	q->qclass = dns_wire_get16(pkt + end + 2);
	*off = end + 4;
	return 0;
}

int
dns_wire_question_match(const struct dns_wire_question *q,
    const char *name, uint16_t qtype, uint16_t qclass)
{
	return q->qtype == qtype && q->qclass == qclass &&
	    dns_wire_name_equal(q->name, name);
}

int
dns_wire_rr_parse(const uint8_t *pkt, size_t len, size_t *off,
    struct dns_wire_rr *rr)
{
	size_t	end;
	int	r;

	if ((r = dns_wire_name_decode(pkt, len, *off, rr->name,
	    sizeof(rr->name), &end)) < 0)
		return r;
	if (len - end < 10)
		return DNS_WIRE_E_SHORT;
	rr->type = dns_wire_get16(pkt + end);
	rr->rclass = dns_wire_get16(pkt + end + 2);
	rr->rawttl = dns_wire_get32(pkt + end + 4);
	rr->ttl = rr->rawttl & 0x80000000U ? 0 : rr->rawttl;
	rr->rdlen = dns_wire_get16(pkt + end + 8);
	rr->rdoff = end + 10;
	if (len - rr->rdoff < rr->rdlen)
		return DNS_WIRE_E_SHORT;
	rr->rdata = pkt + rr->rdoff;
	rr->section = DNS_WIRE_SECTION_NONE;
	rr->pkt = pkt;
	rr->pktlen = len;
	*off = rr->rdoff + rr->rdlen;
	return 0;
}

static enum dns_wire_section
dns_wire_section_of(const struct dns_wire_header *h, unsigned idx)
{
	if (idx < h->ancount)
		return DNS_WIRE_SECTION_ANSWER;
	if (idx < (unsigned)h->ancount + h->nscount)
		return DNS_WIRE_SECTION_AUTHORITY;
	return DNS_WIRE_SECTION_ADDITIONAL;
}

int
dns_wire_msg_parse(struct dns_wire_msg *m, const uint8_t *pkt, size_t len)
{
	struct dns_wire_iter	it;
	struct dns_wire_rr	rr;
	size_t			off;
	int			r;

	memset(m, 0, sizeof(*m));
	m->pkt = pkt;
	m->len = len;
	if ((r = dns_wire_header_parse(pkt, len, &m->hdr)) < 0)
		return r;
	if (len > DNS_WIRE_MSG_MAX || !m->hdr.qr || m->hdr.opcode != 0 ||
	    m->hdr.qdcount > 1)
		return DNS_WIRE_E_FORMAT;
	off = DNS_WIRE_HEADER_LEN;
	if (m->hdr.qdcount == 1) {
		if ((r = dns_wire_question_parse(pkt, len, &off, &m->q)) < 0)
			return r;
		m->has_question = 1;
	}
	m->rr_off = off;
	m->rr_end = off;
	/* Walk every RR once, so that lying counts fail here.  Each RR
	 * takes at least 11 octets, so this ends quickly on any input. */
	dns_wire_iter_init(m, &it);
	while ((r = dns_wire_iter_next(m, &it, &rr)) == 1) {
		if (rr.type != DNS_WIRE_TYPE_OPT)
			continue;
		/* RFC 6891 §6.1.1: one OPT at most, in the additional
		 * section (a second one is a FORMERR). */
		if (rr.section != DNS_WIRE_SECTION_ADDITIONAL || m->has_opt)
			return DNS_WIRE_E_FORMAT;
		if (strcmp(rr.name, ".") != 0)
			return DNS_WIRE_E_FORMAT;
		if ((r = dns_wire_rdata_opt(&rr, &m->opt)) < 0)
			return r;
		m->has_opt = 1;
	}
	if (r < 0)
		return r;
	m->rr_end = it.off;
	m->rcode = m->hdr.rcode;
	if (m->has_opt)
		m->rcode |= (unsigned)m->opt.ext_rcode << 4;
	return 0;
}

void
dns_wire_iter_init(const struct dns_wire_msg *m, struct dns_wire_iter *it)
{
	it->off = m->rr_off;
	it->idx = 0;
}

int
dns_wire_iter_next(const struct dns_wire_msg *m, struct dns_wire_iter *it,
    struct dns_wire_rr *rr)
{
	unsigned	total = (unsigned)m->hdr.ancount + m->hdr.nscount +
			    m->hdr.arcount;
	size_t		off = it->off;
	int		r;

	if (it->idx >= total)
		return 0;
	if (off > m->len)
		return DNS_WIRE_E_SHORT;
	if ((r = dns_wire_rr_parse(m->pkt, m->len, &off, rr)) < 0)
		return r;
	rr->section = dns_wire_section_of(&m->hdr, it->idx);
	it->off = off;
	it->idx++;
	return 1;
}

/* ---- typed rdata decoders ---------------------------------------------- */

/* The RR must come from a parser: rdata inside its packet. */
static int
dns_wire_rr_check(const struct dns_wire_rr *rr, uint16_t type, int in_only)
{
	if (rr->type != type || (in_only && rr->rclass != DNS_WIRE_CLASS_IN))
		return DNS_WIRE_E_TYPE;
	if (rr->pkt == NULL || rr->rdoff > rr->pktlen ||
	    rr->pktlen - rr->rdoff < rr->rdlen ||
	    rr->rdata != rr->pkt + rr->rdoff)
		return DNS_WIRE_E_RDATA;
	return 0;
}

int
dns_wire_rdata_a(const struct dns_wire_rr *rr, uint8_t addr[4])
{
	int r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_A, 1)) < 0)
		return r;
	if (rr->rdlen != 4)
		return DNS_WIRE_E_RDATA;
	memcpy(addr, rr->rdata, 4);
	return 0;
}

int
dns_wire_rdata_aaaa(const struct dns_wire_rr *rr, uint8_t addr[16])
{
	int r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_AAAA, 1)) < 0)
		return r;
	if (rr->rdlen != 16)
		return DNS_WIRE_E_RDATA;
	memcpy(addr, rr->rdata, 16);
	return 0;
}

/*
 * A name filling rdata from rdoff + skip to its end exactly.  Decoding
 * reads the whole packet (pointers lead anywhere before), but the name
 * as it sits must stay inside rdata.
 */
static int
dns_wire_rdata_name(const struct dns_wire_rr *rr, size_t skip, char *out,
    size_t size)
{
	size_t	end;
	int	r;

	if (rr->rdlen <= skip)
		return DNS_WIRE_E_RDATA;
	if ((r = dns_wire_name_decode(rr->pkt, rr->rdoff + rr->rdlen,
	    rr->rdoff + skip, out, size, &end)) < 0)
		return r == DNS_WIRE_E_SHORT ? DNS_WIRE_E_RDATA : r;
	if (end != rr->rdoff + rr->rdlen)
		return DNS_WIRE_E_RDATA;
	return 0;
}

int
dns_wire_rdata_mx(const struct dns_wire_rr *rr, struct dns_wire_mx *mx)
{
	int r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_MX, 1)) < 0)
		return r;
	if (rr->rdlen < 3)
		return DNS_WIRE_E_RDATA;
	mx->preference = dns_wire_get16(rr->rdata);
	return dns_wire_rdata_name(rr, 2, mx->exchange, sizeof(mx->exchange));
}

int
dns_wire_rdata_cname(const struct dns_wire_rr *rr, char *target, size_t size)
{
	int r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_CNAME, 1)) < 0)
		return r;
	return dns_wire_rdata_name(rr, 0, target, size);
}

int
dns_wire_rdata_txt(const struct dns_wire_rr *rr, char *out, size_t size,
    size_t *outlen)
{
	size_t	p = 0, o = 0, n;
	int	r;

	*outlen = 0;
	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_TXT, 1)) < 0)
		return r;
	if (rr->rdlen == 0)		/* one string at least */
		return DNS_WIRE_E_RDATA;
	while (p < rr->rdlen) {
		n = rr->rdata[p++];
		if (rr->rdlen - p < n)
			return DNS_WIRE_E_RDATA;
		if (size - o < n)
			return DNS_WIRE_E_SPACE;
		if (n > 0)
			memcpy(out + o, rr->rdata + p, n);
		o += n;
		p += n;
	}
	*outlen = o;
	return 0;
}

int
dns_wire_rdata_tlsa(const struct dns_wire_rr *rr, struct dns_wire_tlsa *t)
{
	int r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_TLSA, 1)) < 0)
		return r;
	if (rr->rdlen < 4)
		return DNS_WIRE_E_RDATA;
	t->usage = rr->rdata[0];
	t->selector = rr->rdata[1];
	t->mtype = rr->rdata[2];
	t->data = rr->rdata + 3;
	t->datalen = (size_t)rr->rdlen - 3;
	if ((t->mtype == 1 && t->datalen != 32) ||
	    (t->mtype == 2 && t->datalen != 64))
		return DNS_WIRE_E_RDATA;
	return 0;
}

int
dns_wire_rdata_opt(const struct dns_wire_rr *rr, struct dns_wire_opt *o)
{
	size_t	p = 0, n;
	int	r;

	if ((r = dns_wire_rr_check(rr, DNS_WIRE_TYPE_OPT, 0)) < 0)
		return r;
	if (strcmp(rr->name, ".") != 0)
		return DNS_WIRE_E_RDATA;
	while (p < rr->rdlen) {
		if (rr->rdlen - p < 4)
			return DNS_WIRE_E_RDATA;
		n = dns_wire_get16(rr->rdata + p + 2);
		p += 4;
		if (rr->rdlen - p < n)
			return DNS_WIRE_E_RDATA;
		p += n;
	}
	o->udp_size = rr->rclass;
	o->ext_rcode = (uint8_t)(rr->rawttl >> 24);
	o->version = (uint8_t)(rr->rawttl >> 16);
	o->dnssec_ok = rr->rawttl >> 15 & 1;
	o->options = rr->rdata;
	o->optlen = rr->rdlen;
	return 0;
}
