/*
 * fuzz_dns_wire.c: fuzz target for policy/dns_wire.c.  Every entry point
 * sees the input: as a response (header, the whole message, iteration,
 * every typed decoder on every RR), as bare RRs from offset 12, as a name
 * at each offset, and as a presentation-form name (encoder, comparison,
 * query builder).  Invariants that fail abort(), which both drivers
 * report: libFuzzer (tests/fuzz/run-libfuzzer) and the standalone replay
 * of tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dns_wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* name decoding at each offset stops here: every offset of a small
 * input, the start of a large one, and the cost stays linear */
#define FUZZ_NAME_OFFSETS	512

static int
fuzz_is_err(int r)
{
	return r >= DNS_WIRE_E_SYNTAX && r <= DNS_WIRE_OK;
}

/*
 * A name from a parser: presentation form made of [A-Za-z0-9_-], dots
 * and \DDD only; at most 255 octets once unescaped; encodes back to at
 * most 255 wire octets and decodes again to the very same text; equal
 * to itself in upper case; usable in a query unless it is the root.
 */
static void
fuzz_check_name(const char *name)
{
	uint8_t				 pkt[DNS_WIRE_HEADER_LEN +
					    DNS_WIRE_NAME_MAX];
	uint8_t				 q[DNS_WIRE_QUERY_MAX];
	char				 back[DNS_WIRE_NAME_STRMAX];
	char				 upper[DNS_WIRE_NAME_STRMAX];
	struct dns_wire_header		 h;
	struct dns_wire_question	 qq;
	const char			*end;
	size_t				 i, len, octets = 0, off;
	int				 n, qn;

	end = memchr(name, '\0', DNS_WIRE_NAME_STRMAX);
	FUZZ_CHECK(end != NULL);
	len = (size_t)(end - name);
	FUZZ_CHECK(len > 0);
	if (strcmp(name, ".") != 0) {
		FUZZ_CHECK(name[0] != '.' && name[len - 1] != '.');
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)name[i];

			if (c == '\\') {
				FUZZ_CHECK(i + 3 < len);
				FUZZ_CHECK(name[i + 1] >= '0' &&
				    name[i + 1] <= '2');
				FUZZ_CHECK(name[i + 2] >= '0' &&
				    name[i + 2] <= '9');
				FUZZ_CHECK(name[i + 3] >= '0' &&
				    name[i + 3] <= '9');
				i += 3;
			} else {
				FUZZ_CHECK((c >= 'a' && c <= 'z') ||
				    (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '-' ||
				    c == '_' || c == '.');
				FUZZ_CHECK(c != '.' || name[i + 1] != '.');
			}
			octets++;
		}
		FUZZ_CHECK(octets <= 255);
	}

	memset(pkt, 0, DNS_WIRE_HEADER_LEN);
	n = dns_wire_name_encode(name, pkt + DNS_WIRE_HEADER_LEN,
	    sizeof(pkt) - DNS_WIRE_HEADER_LEN);
	FUZZ_CHECK(n >= 1 && n <= DNS_WIRE_NAME_MAX);
	FUZZ_CHECK(n == 1 || (size_t)n == octets + 2);
	FUZZ_CHECK(dns_wire_name_decode(pkt, DNS_WIRE_HEADER_LEN + (size_t)n,
	    DNS_WIRE_HEADER_LEN, back, sizeof(back), &off) == 0);
	FUZZ_CHECK(off == DNS_WIRE_HEADER_LEN + (size_t)n);
	FUZZ_CHECK(strcmp(back, name) == 0);

	FUZZ_CHECK(dns_wire_name_equal(name, name) == 1);
	for (i = 0; i <= len; i++)
		upper[i] = name[i] >= 'a' && name[i] <= 'z' ?
		    (char)(name[i] - 'a' + 'A') : name[i];
	FUZZ_CHECK(dns_wire_name_equal(name, upper) == 1);

	qn = dns_wire_query_build(q, sizeof(q), 0x5ea1, name,
	    DNS_WIRE_TYPE_TLSA, 1);
	if (n == 1) {
		FUZZ_CHECK(qn == -1);
		return;
	}
	FUZZ_CHECK(qn == DNS_WIRE_HEADER_LEN + n + 4 + 11);
	FUZZ_CHECK(dns_wire_header_parse(q, (size_t)qn, &h) == 0);
	FUZZ_CHECK(h.id == 0x5ea1 && h.rd && !h.qr && h.qdcount == 1 &&
	    h.arcount == 1);
	off = DNS_WIRE_HEADER_LEN;
	FUZZ_CHECK(dns_wire_question_parse(q, (size_t)qn, &off, &qq) == 0);
	FUZZ_CHECK(strcmp(qq.name, name) == 0);
	FUZZ_CHECK(dns_wire_question_match(&qq, upper, DNS_WIRE_TYPE_TLSA,
	    DNS_WIRE_CLASS_IN) == 1);
}

/* Every typed decoder on one RR; success only for the matching type. */
static void
fuzz_decoders(const struct dns_wire_rr *rr)
{
	uint8_t			a[16];
	char			txt[70000];
	char			name[DNS_WIRE_NAME_STRMAX];
	struct dns_wire_mx	mx;
	struct dns_wire_tlsa	t;
	struct dns_wire_opt	o;
	size_t			n = 0;
	int			r;

#define FUZZ_TYPED(call, want) do {					\
	r = (call);							\
	FUZZ_CHECK(fuzz_is_err(r));					\
	if (rr->type != (want))						\
		FUZZ_CHECK(r == DNS_WIRE_E_TYPE);			\
	FUZZ_CHECK(r != DNS_WIRE_E_SHORT && r != DNS_WIRE_E_SYNTAX &&	\
	    r != DNS_WIRE_E_FORMAT);					\
} while (0)

	FUZZ_TYPED(dns_wire_rdata_a(rr, a), DNS_WIRE_TYPE_A);
	FUZZ_CHECK(r != 0 || rr->rdlen == 4);
	FUZZ_TYPED(dns_wire_rdata_aaaa(rr, a), DNS_WIRE_TYPE_AAAA);
	FUZZ_CHECK(r != 0 || rr->rdlen == 16);
	FUZZ_TYPED(dns_wire_rdata_mx(rr, &mx), DNS_WIRE_TYPE_MX);
	FUZZ_CHECK(r != DNS_WIRE_E_SPACE);
	if (r == 0)
		fuzz_check_name(mx.exchange);
	FUZZ_TYPED(dns_wire_rdata_cname(rr, name, sizeof(name)),
	    DNS_WIRE_TYPE_CNAME);
	FUZZ_CHECK(r != DNS_WIRE_E_SPACE);
	if (r == 0)
		fuzz_check_name(name);
	FUZZ_TYPED(dns_wire_rdata_txt(rr, txt, sizeof(txt), &n),
	    DNS_WIRE_TYPE_TXT);
	FUZZ_CHECK(r != DNS_WIRE_E_SPACE);
	FUZZ_CHECK(r != 0 || n < rr->rdlen);
	if (r == 0 && n > 0) {
		/* the same into an output one octet too small */
		size_t m = 0;

		FUZZ_CHECK(dns_wire_rdata_txt(rr, txt, n - 1, &m) ==
		    DNS_WIRE_E_SPACE);
	}
	FUZZ_TYPED(dns_wire_rdata_tlsa(rr, &t), DNS_WIRE_TYPE_TLSA);
	if (r == 0) {
		FUZZ_CHECK(t.data == rr->rdata + 3);
		FUZZ_CHECK(t.datalen + 3 == rr->rdlen && t.datalen > 0);
	}
	FUZZ_TYPED(dns_wire_rdata_opt(rr, &o), DNS_WIRE_TYPE_OPT);
	if (r == 0) {
		FUZZ_CHECK(o.options == rr->rdata && o.optlen == rr->rdlen);
		FUZZ_CHECK(strcmp(rr->name, ".") == 0);
		FUZZ_CHECK(o.udp_size == rr->rclass);
	}
#undef FUZZ_TYPED
}

/* An RR from a parser: its rdata lies inside the packet. */
static void
fuzz_check_rr(const struct dns_wire_rr *rr, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(rr->pkt == data && rr->pktlen == size);
	FUZZ_CHECK(rr->rdoff <= size && size - rr->rdoff >= rr->rdlen);
	FUZZ_CHECK(rr->rdata == data + rr->rdoff);
	FUZZ_CHECK(rr->rdoff >= DNS_WIRE_HEADER_LEN + 11);
	FUZZ_CHECK((rr->rawttl & 0x80000000U) ? rr->ttl == 0 :
	    rr->ttl == rr->rawttl);
	fuzz_check_name(rr->name);
	fuzz_decoders(rr);
}

static void
fuzz_message(const uint8_t *data, size_t size)
{
	struct dns_wire_header	h;
	struct dns_wire_msg	m;
	struct dns_wire_iter	it;
	struct dns_wire_rr	rr;
	unsigned		total, count = 0;
	int			r, hr;

	hr = dns_wire_header_parse(data, size, &h);
	FUZZ_CHECK(hr == (size >= DNS_WIRE_HEADER_LEN ? 0 : DNS_WIRE_E_SHORT));

	r = dns_wire_msg_parse(&m, data, size);
	FUZZ_CHECK(fuzz_is_err(r));
	FUZZ_CHECK(r != DNS_WIRE_E_SPACE && r != DNS_WIRE_E_TYPE &&
	    r != DNS_WIRE_E_SYNTAX);
	FUZZ_CHECK(m.pkt == data && m.len == size);
	if (hr == 0)
		FUZZ_CHECK(m.hdr.id == h.id && m.hdr.qr == h.qr &&
		    m.hdr.opcode == h.opcode && m.hdr.aa == h.aa &&
		    m.hdr.tc == h.tc && m.hdr.rd == h.rd && m.hdr.ra == h.ra &&
		    m.hdr.ad == h.ad && m.hdr.cd == h.cd &&
		    m.hdr.rcode == h.rcode && m.hdr.qdcount == h.qdcount &&
		    m.hdr.ancount == h.ancount && m.hdr.nscount == h.nscount &&
		    m.hdr.arcount == h.arcount);
	if (r != 0)
		return;

	FUZZ_CHECK(h.qr && h.opcode == 0 && h.qdcount <= 1);
	FUZZ_CHECK(m.has_question == (h.qdcount == 1));
	FUZZ_CHECK(DNS_WIRE_HEADER_LEN <= m.rr_off && m.rr_off <= m.rr_end &&
	    m.rr_end <= size);
	FUZZ_CHECK(m.rcode < 4096 && (m.rcode & 0x0F) == h.rcode);
	FUZZ_CHECK(m.has_opt || m.rcode == h.rcode);
	if (m.has_question) {
		fuzz_check_name(m.q.name);
		FUZZ_CHECK(dns_wire_question_match(&m.q, m.q.name,
		    m.q.qtype, m.q.qclass) == 1);
		FUZZ_CHECK(dns_wire_question_match(&m.q, m.q.name,
		    (uint16_t)(m.q.qtype + 1), m.q.qclass) == 0);
	}
	if (m.has_opt)
		FUZZ_CHECK(m.opt.options >= data && m.opt.options +
		    m.opt.optlen <= data + m.rr_end);

	total = (unsigned)h.ancount + h.nscount + h.arcount;
	dns_wire_iter_init(&m, &it);
	while ((r = dns_wire_iter_next(&m, &it, &rr)) == 1) {
		enum dns_wire_section want = count < h.ancount ?
		    DNS_WIRE_SECTION_ANSWER :
		    count < (unsigned)h.ancount + h.nscount ?
		    DNS_WIRE_SECTION_AUTHORITY : DNS_WIRE_SECTION_ADDITIONAL;

		FUZZ_CHECK(rr.section == want);
		FUZZ_CHECK(rr.rdoff >= m.rr_off &&
		    rr.rdoff + rr.rdlen <= m.rr_end);
		FUZZ_CHECK(rr.type != DNS_WIRE_TYPE_OPT ||
		    rr.section == DNS_WIRE_SECTION_ADDITIONAL);
		fuzz_check_rr(&rr, data, size);
		count++;
		FUZZ_CHECK(count <= total);
	}
	FUZZ_CHECK(r == 0 && count == total && it.off == m.rr_end);
	FUZZ_CHECK(dns_wire_iter_next(&m, &it, &rr) == 0);
}

/* The input as RRs from offset 12 on, with no header to trust. */
static void
fuzz_bare(const uint8_t *data, size_t size)
{
	struct dns_wire_question	q;
	struct dns_wire_rr		rr;
	size_t				off = DNS_WIRE_HEADER_LEN, prev;
	unsigned			n;
	int				r;

	r = dns_wire_question_parse(data, size, &off, &q);
	FUZZ_CHECK(fuzz_is_err(r));
	if (r == 0) {
		FUZZ_CHECK(off > DNS_WIRE_HEADER_LEN + 4 && off <= size);
		fuzz_check_name(q.name);
	} else
		FUZZ_CHECK(off == DNS_WIRE_HEADER_LEN);
	off = DNS_WIRE_HEADER_LEN;
	for (n = 0; n < 64; n++) {
		prev = off;
		r = dns_wire_rr_parse(data, size, &off, &rr);
		FUZZ_CHECK(fuzz_is_err(r));
		if (r < 0) {
			FUZZ_CHECK(off == prev);
			break;
		}
		FUZZ_CHECK(off > prev + 10 && off <= size);
		FUZZ_CHECK(rr.section == DNS_WIRE_SECTION_NONE);
		fuzz_check_rr(&rr, data, size);
	}
}

/* The input as a name at each offset. */
static void
fuzz_names(const uint8_t *data, size_t size)
{
	char	name[DNS_WIRE_NAME_STRMAX], small[16];
	size_t	off, end, end2;
	int	r, r2;

	for (off = 0; off < size && off < FUZZ_NAME_OFFSETS; off++) {
		r = dns_wire_name_decode(data, size, off, name, sizeof(name),
		    &end);
		FUZZ_CHECK(fuzz_is_err(r));
		FUZZ_CHECK(r != DNS_WIRE_E_SPACE && r != DNS_WIRE_E_RDATA &&
		    r != DNS_WIRE_E_TYPE && r != DNS_WIRE_E_FORMAT &&
		    r != DNS_WIRE_E_SYNTAX);
		/* a string even after a failure */
		FUZZ_CHECK(memchr(name, '\0', sizeof(name)) != NULL);
		r2 = dns_wire_name_decode(data, size, off, NULL, 0, &end2);
		FUZZ_CHECK(r2 == r);
		if (r != 0)
			continue;
		FUZZ_CHECK(end2 == end && end > off && end <= size);
		fuzz_check_name(name);
		r2 = dns_wire_name_decode(data, size, off, small, sizeof(small),
		    &end2);
		FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
		if (strlen(name) < sizeof(small))
			FUZZ_CHECK(r2 == 0 && strcmp(small, name) == 0);
		else
			FUZZ_CHECK(r2 == DNS_WIRE_E_SPACE &&
			    strncmp(small, name, strlen(small)) == 0);
	}
}

/* The input as a name in presentation form. */
static void
fuzz_text(const uint8_t *data, size_t size)
{
	char	text[1100];
	char	back[DNS_WIRE_NAME_STRMAX];
	uint8_t	wire[DNS_WIRE_HEADER_LEN + DNS_WIRE_NAME_MAX];
	uint8_t	q[DNS_WIRE_QUERY_MAX];
	int	n, qn;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(wire, 0, DNS_WIRE_HEADER_LEN);
	n = dns_wire_name_encode(text, wire + DNS_WIRE_HEADER_LEN,
	    DNS_WIRE_NAME_MAX);
	FUZZ_CHECK(n == DNS_WIRE_E_SYNTAX || n == DNS_WIRE_E_NAMELEN ||
	    (n >= 1 && n <= DNS_WIRE_NAME_MAX));
	FUZZ_CHECK(dns_wire_name_equal(text, text) == (n > 0));
	qn = dns_wire_query_build(q, sizeof(q), 1, text, DNS_WIRE_TYPE_MX, 0);
	FUZZ_CHECK(qn == (n > 1 ? DNS_WIRE_HEADER_LEN + n + 15 : -1));
	if (n < 0)
		return;
	FUZZ_CHECK(dns_wire_name_decode(wire, DNS_WIRE_HEADER_LEN + (size_t)n,
	    DNS_WIRE_HEADER_LEN, back, sizeof(back), NULL) == 0);
	FUZZ_CHECK(dns_wire_name_equal(text, back) == 1);
	fuzz_check_name(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_CHECK(strcmp(dns_wire_strerror(DNS_WIRE_OK), "?") != 0);
	fuzz_message(data, size);
	fuzz_bare(data, size);
	fuzz_names(data, size);
	fuzz_text(data, size);
	return 0;
}
