/*
 * test_dns_wire.c: unit tests for policy/dns_wire.c (query builder, name
 * decompression and encoding, response parsing, typed rdata decoders),
 * most of them as tables of hand-made packets, hostile ones included.
 *
 * Packets are written as text: hex octets (spaces ignored) and 'quoted
 * text' copied as it is, e.g. "07'example'03'org'00".  Offsets in the
 * comments are decimal; pointers are hex (c00c points to 12).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/dns_wire.h"

#define PKT_MAX	2048

static unsigned
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	fail_msg("bad hex digit '%c' in a test packet", c);
	return 0;
}

/* Turns a packet written as text (see the top) into octets. */
static size_t
spec(const char *s, uint8_t *buf, size_t size)
{
	size_t n = 0;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			s++;
			continue;
		}
		if (n >= size)
			fail_msg("test packet too long");
		if (*s == '\'') {
			for (s++; *s != '\'' && *s != '\0'; s++) {
				if (n >= size)
					fail_msg("test packet too long");
				buf[n++] = (uint8_t)*s;
			}
			if (*s != '\'')
				fail_msg("unterminated text in a test packet");
			s++;
			continue;
		}
		if (s[1] == '\0')
			fail_msg("odd hex digit in a test packet");
		buf[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
		s += 2;
	}
	return n;
}

static const char *
ename(int err)
{
	switch (err) {
	case DNS_WIRE_OK:		return "ok";
	case DNS_WIRE_E_SHORT:		return "short";
	case DNS_WIRE_E_POINTER:	return "pointer";
	case DNS_WIRE_E_LABEL:		return "label";
	case DNS_WIRE_E_NAMELEN:	return "namelen";
	case DNS_WIRE_E_SPACE:		return "space";
	case DNS_WIRE_E_RDATA:		return "rdata";
	case DNS_WIRE_E_TYPE:		return "type";
	case DNS_WIRE_E_FORMAT:		return "format";
	case DNS_WIRE_E_SYNTAX:		return "syntax";
	}
	return "?";
}

/* ---- rendering a parsed message as one line of text ------------------ */

struct out {
	char	buf[8192];
	size_t	len;
};

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->buf) - o->len)
		fail_msg("rendering overflows");
	o->len += (size_t)n;
}

static const char *
tname(uint16_t t)
{
	switch (t) {
	case DNS_WIRE_TYPE_A:		return "A";
	case DNS_WIRE_TYPE_NS:		return "NS";
	case DNS_WIRE_TYPE_CNAME:	return "CNAME";
	case DNS_WIRE_TYPE_SOA:		return "SOA";
	case DNS_WIRE_TYPE_MX:		return "MX";
	case DNS_WIRE_TYPE_TXT:		return "TXT";
	case DNS_WIRE_TYPE_AAAA:	return "AAAA";
	case DNS_WIRE_TYPE_OPT:		return "OPT";
	case DNS_WIRE_TYPE_RRSIG:	return "RRSIG";
	case DNS_WIRE_TYPE_TLSA:	return "TLSA";
	}
	return "TYPE?";
}

static void
render_head(struct out *o, const struct dns_wire_msg *m, int err)
{
	const struct dns_wire_header *h = &m->hdr;

	outf(o, "id=%04x", h->id);
	if (h->qr)
		outf(o, " qr");
	if (h->opcode)
		outf(o, " op=%u", h->opcode);
	if (h->aa)
		outf(o, " aa");
	if (h->tc)
		outf(o, " tc");
	if (h->rd)
		outf(o, " rd");
	if (h->ra)
		outf(o, " ra");
	if (h->ad)
		outf(o, " ad");
	if (h->cd)
		outf(o, " cd");
	outf(o, " rcode=%u", err == 0 ? m->rcode : h->rcode);
	if (m->has_question)
		outf(o, " q=%s %u %u", m->q.name, m->q.qtype, m->q.qclass);
	else
		outf(o, " q=-");
}

static void
render_rr(struct out *o, const struct dns_wire_rr *rr)
{
	static const char *const sec[] = { "?", "an", "ns", "ar" };
	char			 txt[1024], a[INET6_ADDRSTRLEN];
	char			 name[DNS_WIRE_NAME_STRMAX];
	uint8_t			 addr[16];
	struct dns_wire_mx	 mx;
	struct dns_wire_tlsa	 t;
	struct dns_wire_opt	 opt;
	size_t			 i, n;
	int			 r = 0;

	outf(o, "%s %s ", sec[rr->section], rr->name);
	if (rr->type == DNS_WIRE_TYPE_OPT)
		outf(o, "- ");
	else
		outf(o, "%u ", (unsigned)rr->ttl);
	outf(o, "%s", tname(rr->type));
	switch (rr->type) {
	case DNS_WIRE_TYPE_A:
		if ((r = dns_wire_rdata_a(rr, addr)) == 0)
			outf(o, " %s", inet_ntop(AF_INET, addr, a, sizeof(a)));
		break;
	case DNS_WIRE_TYPE_AAAA:
		if ((r = dns_wire_rdata_aaaa(rr, addr)) == 0)
			outf(o, " %s", inet_ntop(AF_INET6, addr, a, sizeof(a)));
		break;
	case DNS_WIRE_TYPE_MX:
		if ((r = dns_wire_rdata_mx(rr, &mx)) == 0)
			outf(o, " %u %s", mx.preference, mx.exchange);
		break;
	case DNS_WIRE_TYPE_CNAME:
		if ((r = dns_wire_rdata_cname(rr, name, sizeof(name))) == 0)
			outf(o, " %s", name);
		break;
	case DNS_WIRE_TYPE_TXT:
		if ((r = dns_wire_rdata_txt(rr, txt, sizeof(txt), &n)) == 0) {
			outf(o, " \"");
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)txt[i];

				if (c >= 32 && c < 127 && c != '"' && c != '\\')
					outf(o, "%c", c);
				else
					outf(o, "\\%03u", c);
			}
			outf(o, "\"");
		}
		break;
	case DNS_WIRE_TYPE_TLSA:
		if ((r = dns_wire_rdata_tlsa(rr, &t)) == 0) {
			outf(o, " %u %u %u ", t.usage, t.selector, t.mtype);
			for (i = 0; i < t.datalen; i++)
				outf(o, "%02x", t.data[i]);
		}
		break;
	case DNS_WIRE_TYPE_OPT:
		if ((r = dns_wire_rdata_opt(rr, &opt)) == 0)
			outf(o, " udp=%u ext=%u v=%u do=%u opts=%u",
			    opt.udp_size, opt.ext_rcode, opt.version,
			    opt.dnssec_ok, opt.optlen);
		break;
	default:
		outf(o, " rdlen=%u", rr->rdlen);
	}
	if (r != 0)
		outf(o, " !%s", ename(r));
}

/* ---- whole responses -------------------------------------------------- */

/* the question "example.org", 13 octets at 12; the first RR follows at 29 */
#define QEX	"07'example'03'org'00"
#define OPT_DO	"00 0029 04d0 00 00 8000 0000"
#define OPT_NODO "00 0029 04d0 00 00 0000 0000"
#define L63	"'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk'"
#define D32A	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D32B	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define OPT_RR	" | ar . - OPT udp=1232 ext=0 v=0 do=1 opts=0"
#define A_RR	"c00c 0001 0001 00000e10 0004 c0000201"

struct msg_case {
	const char	*what;
	const char	*pkt;
	int		 err;		/* of dns_wire_msg_parse */
	const char	*head;		/* NULL: not checked */
	const char	*rrs;		/* the RRs rendered, when err == 0 */
};

static const struct msg_case msg_cases[] = {
	/* ---- answers -------------------------------------------------- */
	{ "A, AD set, DO echoed",
	  "1234 81a0 0001 0001 0000 0001" QEX "0001 0001" A_RR OPT_DO,
	  0, "id=1234 qr rd ra ad rcode=0 q=example.org 1 1",
	  "an example.org 3600 A 192.0.2.1" OPT_RR },
	{ "AAAA, insecure zone (no AD)",
	  "1235 8180 0001 0001 0000 0001" QEX "001c 0001"
	  "c00c 001c 0001 0000012c 0010 20010db8000000000000000000000001"
	  OPT_DO,
	  0, "id=1235 qr rd ra rcode=0 q=example.org 28 1",
	  "an example.org 300 AAAA 2001:db8::1" OPT_RR },
	/* As unbound answers an MX query with DO: the RRSIG, then the
	 * addresses of the exchanges in the additional section, compressed
	 * against the exchange names inside the MX rdata (mx1 at 43, mx2 at
	 * 63). */
	{ "MX as unbound sends it, additional A/AAAA",
	  "2f1a 81a0 0001 0003 0000 0004" QEX "000f 0001"
	  /* 29 */ "c00c 000f 0001 00000e10 0008 000a 03'mx1' c00c"
	  /* 49 */ "c00c 000f 0001 00000e10 0008 0014 03'mx2' c00c"
	  /* 69 */ "c00c 002e 0001 00000e10 002f 000f 0d 02 00000e10"
		   "66a0b000 66788000 1f2e 07'example'03'org'00"
		   "00112233445566778899aabbccddeeff"
	  /* 128 */ "c02b 0001 0001 00000e10 0004 c0000219"
	  /* 144 */ "c02b 001c 0001 00000e10 0010"
		    "20010db8000000000000000000000019"
	  /* 172 */ "c03f 0001 0001 00000e10 0004 c000021a"
	  /* 188 */ OPT_DO,
	  0, "id=2f1a qr rd ra ad rcode=0 q=example.org 15 1",
	  "an example.org 3600 MX 10 mx1.example.org"
	  " | an example.org 3600 MX 20 mx2.example.org"
	  " | an example.org 3600 RRSIG rdlen=47"
	  " | ar mx1.example.org 3600 A 192.0.2.25"
	  " | ar mx1.example.org 3600 AAAA 2001:db8::19"
	  " | ar mx2.example.org 3600 A 192.0.2.26" OPT_RR },
	{ "null MX (RFC 7505)",
	  "2f1b 81a0 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0003 0000 00",
	  0, "id=2f1b qr rd ra ad rcode=0 q=example.org 15 1",
	  "an example.org 3600 MX 0 ." },
	{ "CNAME chain to an A",
	  "0b0b 81a0 0001 0003 0000 0000"
	  /* 12 */ "03'www'07'example'03'org'00 0001 0001"
	  /* 33 */ "c00c 0005 0001 0000012c 0007 04'web1' c010"
	  /* 52 */ "c02d 0005 0001 0000012c 0007 04'edge' c010"
	  /* 71 */ "c040 0001 0001 0000003c 0004 c0000250",
	  0, "id=0b0b qr rd ra ad rcode=0 q=www.example.org 1 1",
	  "an www.example.org 300 CNAME web1.example.org"
	  " | an web1.example.org 300 CNAME edge.example.org"
	  " | an edge.example.org 60 A 192.0.2.80" },
	{ "TXT: MTA-STS in two strings, SPF with an empty one, binary",
	  "7777 81a0 0001 0003 0000 0001"
	  /* 12 */ "08'_mta-sts'07'example'03'org'00 0010 0001"
	  /* 38 */ "c00c 0010 0001 00000e10 001d"
		   "09'v=STSv1; ' 12'id=20240101T000000'"
	  "c00c 0010 0001 00000e10 000d 00 0b'v=spf1 -all'"
	  "c00c 0010 0001 00000e10 0005 04 225c00ff" OPT_DO,
	  0, "id=7777 qr rd ra ad rcode=0 q=_mta-sts.example.org 16 1",
	  "an _mta-sts.example.org 3600 TXT \"v=STSv1; id=20240101T000000\""
	  " | an _mta-sts.example.org 3600 TXT \"v=spf1 -all\""
	  " | an _mta-sts.example.org 3600 TXT \"\\034\\092\\000\\255\""
	  OPT_RR },
	{ "TLSA 3 1 1 and 2 0 1 with their RRSIG",
	  "5a5a 81a0 0001 0003 0000 0001"
	  /* 12 */ "03'_25'04'_tcp'03'mx1'07'example'03'org'00 0034 0001"
	  /* 42 */ "c00c 0034 0001 00000e10 0023 03 01 01" D32A
	  "c00c 0034 0001 00000e10 0023 02 00 01" D32B
	  "c00c 002e 0001 00000e10 0027 0034 0d 05 00000e10"
	  "66a0b000 66788000 1f2e 07'example'03'org'00 0102030405060708"
	  OPT_DO,
	  0, "id=5a5a qr rd ra ad rcode=0 q=_25._tcp.mx1.example.org 52 1",
	  "an _25._tcp.mx1.example.org 3600 TLSA 3 1 1 " D32A
	  " | an _25._tcp.mx1.example.org 3600 TLSA 2 0 1 " D32B
	  " | an _25._tcp.mx1.example.org 3600 RRSIG rdlen=39" OPT_RR },
	{ "TLSA: unknown matching type passed on",
	  "5a5b 81a0 0001 0001 0000 0000" QEX "0034 0001"
	  "c00c 0034 0001 00000e10 0008 03 01 09 0102030405",
	  0, NULL, "an example.org 3600 TLSA 3 1 9 0102030405" },
	{ "NXDOMAIN with the SOA",
	  "9999 81a3 0001 0000 0001 0001"
	  /* 12 */ "02'nx'07'example'03'org'00 0001 0001"
	  /* 32 */ "c00f 0006 0001 00000384 0027 03'ns1'c00f"
	  "0a'hostmaster'c00f 78a3c001 00001c20 00000e10 00127500 00000384"
	  OPT_DO,
	  0, "id=9999 qr rd ra ad rcode=3 q=nx.example.org 1 1",
	  "ns example.org 900 SOA rdlen=39" OPT_RR },
	{ "SERVFAIL",
	  "4242 8182 0001 0000 0000 0001" QEX "000f 0001" OPT_NODO,
	  0, "id=4242 qr rd ra rcode=2 q=example.org 15 1",
	  "ar . - OPT udp=1232 ext=0 v=0 do=0 opts=0" },
	{ "TC set: parsed, for the caller to retry over TCP",
	  "4343 8380 0001 0000 0000 0000" QEX "0010 0001",
	  0, "id=4343 qr tc rd ra rcode=0 q=example.org 16 1", "" },
	{ "extended RCODE: BADVERS",
	  "4444 8180 0001 0000 0000 0001" QEX "0001 0001"
	  "00 0029 04d0 01 00 0000 0000",
	  0, "id=4444 qr rd ra rcode=16 q=example.org 1 1",
	  "ar . - OPT udp=1232 ext=1 v=0 do=0 opts=0" },
	{ "REFUSED with an EDE option",
	  "4545 8185 0001 0000 0000 0001" QEX "0001 0001"
	  "00 0029 0200 00 00 8000 000a 000f 0006 0012 'abcd'",
	  0, "id=4545 qr rd ra rcode=5 q=example.org 1 1",
	  "ar . - OPT udp=512 ext=0 v=0 do=1 opts=10" },
	{ "FORMERR without a question",
	  "4646 8181 0000 0000 0000 0000",
	  0, "id=4646 qr rd ra rcode=1 q=-", "" },
	{ "AA and CD, no RR",
	  "4747 8590 0001 0000 0000 0000" QEX "0001 0001",
	  0, "id=4747 qr aa rd ra cd rcode=0 q=example.org 1 1", "" },
	{ "TTL with the top bit set counts as 0 (RFC 2181 §8)",
	  "4848 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0001 80000001 0004 c0000201",
	  0, NULL, "an example.org 0 A 192.0.2.1" },
	{ "octets after the last RR are ignored",
	  "4949 8180 0001 0001 0000 0000" QEX "0001 0001" A_RR "deadbeef",
	  0, NULL, "an example.org 3600 A 192.0.2.1" },
	{ "question in upper case, owner from it",
	  "4a4a 8180 0001 0001 0000 0000" "07'EXAMPLE'03'org'00 0001 0001"
	  A_RR,
	  0, "id=4a4a qr rd ra rcode=0 q=EXAMPLE.org 1 1",
	  "an EXAMPLE.org 3600 A 192.0.2.1" },
	{ "hostile owner name escaped",
	  "4b4b 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "09 'a b' 0d0a 'x.y' 5c c00c 0001 0001 00000e10 0004 c0000201",
	  0, NULL,
	  "an a\\032b\\013\\010x\\046y\\092.example.org 3600 A 192.0.2.1" },

	/* ---- truncation and lying counts ------------------------------ */
	{ "empty", "", DNS_WIRE_E_SHORT, NULL, NULL },
	{ "header cut", "1234 8180 0001 0001 0000", DNS_WIRE_E_SHORT,
	  NULL, NULL },
	{ "question name cut", "1234 8180 0001 0000 0000 0000 07'exam'",
	  DNS_WIRE_E_SHORT, "id=1234 qr rd ra rcode=0 q=-", NULL },
	{ "QTYPE cut", "1234 8180 0001 0000 0000 0000" QEX "00",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "QDCOUNT 1, no question", "1234 8180 0001 0000 0000 0000",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "ANCOUNT 2, one answer",
	  "1234 8180 0001 0002 0000 0000" QEX "0001 0001" A_RR,
	  DNS_WIRE_E_SHORT, "id=1234 qr rd ra rcode=0 q=example.org 1 1",
	  NULL },
	{ "ARCOUNT 1, nothing",
	  "1234 8180 0001 0001 0000 0001" QEX "0001 0001" A_RR,
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "every count 65535",
	  "1234 8380 0001 ffff ffff ffff" QEX "0001 0001" A_RR,
	  DNS_WIRE_E_SHORT, "id=1234 qr tc rd ra rcode=0 q=example.org 1 1",
	  NULL },
	{ "RR fixed fields cut",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001 c00c 0001 0001 0000",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "RDLENGTH past the end",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0001 00000e10 0010 c0000201",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "RDLENGTH one past the end",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0001 00000e10 0005 c0000201",
	  DNS_WIRE_E_SHORT, NULL, NULL },

	/* ---- hostile names (the first RR is at 29) ---------------------- */
	{ "owner pointer forward",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c01f 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "owner pointer to itself",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c01d 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "owner pointer back to its own start (a loop)",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "01'a' c01d 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "owner pointer past the end",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "ffff 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "owner pointer into the header",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c004 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "question pointer (nothing before it)",
	  "1234 8180 0001 0000 0000 0000 c00c 0001 0001",
	  DNS_WIRE_E_POINTER, NULL, NULL },
	{ "pointer cut at the end",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001 c0",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "label past the end",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001 05'ab'",
	  DNS_WIRE_E_SHORT, NULL, NULL },
	{ "label type 0x40",
	  "1234 8180 0001 0000 0000 0000 41'a'00 0001 0001",
	  DNS_WIRE_E_LABEL, NULL, NULL },
	{ "label type 0x80",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "81'a'00 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_LABEL, NULL, NULL },
	{ "question name of 257 octets",
	  "1234 8180 0001 0000 0000 0000 3f" L63 "3f" L63 "3f" L63 "3f" L63
	  "00 0001 0001",
	  DNS_WIRE_E_NAMELEN, NULL, NULL },
	{ "question name of 255 octets",
	  "1234 8180 0001 0000 0000 0000 3f" L63 "3f" L63 "3f" L63
	  "3d 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghi'"
	  "00 0001 0001",
	  0, NULL, "" },
	{ "owner of 257 octets through a pointer",
	  /* question of 193 octets at 12, the RR at 209 */
	  "1234 8180 0001 0001 0000 0000 3f" L63 "3f" L63 "3f" L63
	  "00 0001 0001 3f" L63 "c00c 0001 0001 00000e10 0004 c0000201",
	  DNS_WIRE_E_NAMELEN, NULL, NULL },

	/* ---- message-level refusals ------------------------------------- */
	{ "a query (QR clear)",
	  "1234 0100 0001 0000 0000 0000" QEX "0001 0001",
	  DNS_WIRE_E_FORMAT, "id=1234 rd rcode=0 q=-", NULL },
	{ "opcode STATUS",
	  "1234 9180 0001 0000 0000 0000" QEX "0001 0001",
	  DNS_WIRE_E_FORMAT, "id=1234 qr op=2 rd ra rcode=0 q=-", NULL },
	{ "QDCOUNT 2",
	  "1234 8180 0002 0000 0000 0000" QEX "0001 0001" QEX "0001 0001",
	  DNS_WIRE_E_FORMAT, NULL, NULL },
	{ "OPT in the answer section",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001" OPT_DO,
	  DNS_WIRE_E_FORMAT, NULL, NULL },
	{ "two OPT RRs",
	  "1234 8180 0001 0000 0000 0002" QEX "0001 0001" OPT_DO OPT_DO,
	  DNS_WIRE_E_FORMAT, NULL, NULL },
	{ "OPT not owned by the root",
	  "1234 8180 0001 0000 0000 0001" QEX "0001 0001"
	  "c00c 0029 04d0 00 00 8000 0000",
	  DNS_WIRE_E_FORMAT, NULL, NULL },
	{ "OPT option longer than rdata",
	  "1234 8180 0001 0000 0000 0001" QEX "0001 0001"
	  "00 0029 04d0 00 00 0000 0006 000a 0004 aabb",
	  DNS_WIRE_E_RDATA, NULL, NULL },
	{ "OPT option header cut",
	  "1234 8180 0001 0000 0000 0001" QEX "0001 0001"
	  "00 0029 04d0 00 00 0000 0002 000a",
	  DNS_WIRE_E_RDATA, NULL, NULL },

	/* ---- typed decoders given bad rdata: the message is fine -------- */
	{ "A of 5 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0001 00000e10 0005 c000020100",
	  0, NULL, "an example.org 3600 A !rdata" },
	{ "A of 0 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0001 00000e10 0000",
	  0, NULL, "an example.org 3600 A !rdata" },
	{ "A of class CH",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0001 0003 00000e10 0004 c0000201",
	  0, NULL, "an example.org 3600 A !type" },
	{ "AAAA of 4 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "001c 0001"
	  "c00c 001c 0001 00000e10 0004 c0000201",
	  0, NULL, "an example.org 3600 AAAA !rdata" },
	{ "MX without an exchange",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0002 000a",
	  0, NULL, "an example.org 3600 MX !rdata" },
	{ "MX exchange shorter than rdata",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0005 000a c00c 00",
	  0, NULL, "an example.org 3600 MX !rdata" },
	{ "MX exchange running past rdata",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0004 000a 03'mx1' c00c",
	  0, NULL, "an example.org 3600 MX !rdata" },
	{ "MX exchange pointing to itself",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0004 000a c02b",
	  0, NULL, "an example.org 3600 MX !pointer" },
	{ "MX exchange pointing outside the packet",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0004 000a ffff",
	  0, NULL, "an example.org 3600 MX !pointer" },
	{ "MX exchange with a reserved label",
	  "1234 8180 0001 0001 0000 0000" QEX "000f 0001"
	  "c00c 000f 0001 00000e10 0005 000a 80 c00c",
	  0, NULL, "an example.org 3600 MX !label" },
	{ "CNAME with an octet after the target",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0005 0001 00000e10 0003 c00c 00",
	  0, NULL, "an example.org 3600 CNAME !rdata" },
	{ "CNAME empty",
	  "1234 8180 0001 0001 0000 0000" QEX "0001 0001"
	  "c00c 0005 0001 00000e10 0000",
	  0, NULL, "an example.org 3600 CNAME !rdata" },
	{ "CNAME target pointing forward",
	  "1234 8180 0001 0002 0000 0000" QEX "0001 0001"
	  "c00c 0005 0001 00000e10 0002 c02b"
	  "c00c 0001 0001 00000e10 0004 c0000201",
	  0, NULL, "an example.org 3600 CNAME !pointer"
	  " | an example.org 3600 A 192.0.2.1" },
	{ "TXT string past rdata",
	  "1234 8180 0001 0001 0000 0000" QEX "0010 0001"
	  "c00c 0010 0001 00000e10 0003 05'ab'",
	  0, NULL, "an example.org 3600 TXT !rdata" },
	{ "TXT without a string",
	  "1234 8180 0001 0001 0000 0000" QEX "0010 0001"
	  "c00c 0010 0001 00000e10 0000",
	  0, NULL, "an example.org 3600 TXT !rdata" },
	{ "TLSA of 3 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "0034 0001"
	  "c00c 0034 0001 00000e10 0003 030101",
	  0, NULL, "an example.org 3600 TLSA !rdata" },
	{ "TLSA SHA-256 of 31 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "0034 0001"
	  "c00c 0034 0001 00000e10 0022 030101"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
	  0, NULL, "an example.org 3600 TLSA !rdata" },
	{ "TLSA SHA-512 of 32 octets",
	  "1234 8180 0001 0001 0000 0000" QEX "0034 0001"
	  "c00c 0034 0001 00000e10 0023 030102" D32A,
	  0, NULL, "an example.org 3600 TLSA !rdata" },
};

static void
test_msg_table(void **state)
{
	static uint8_t		pkt[PKT_MAX];
	struct dns_wire_msg	m;
	struct dns_wire_iter	it;
	struct dns_wire_rr	rr;
	struct out		o;
	size_t			i, len, nrr;
	int			r;

	(void)state;
	for (i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		const struct msg_case *c = &msg_cases[i];

		len = spec(c->pkt, pkt, sizeof(pkt));
		r = dns_wire_msg_parse(&m, pkt, len);
		if (r != c->err)
			fail_msg("msg case %zu (%s): got %s, want %s", i,
			    c->what, ename(r), ename(c->err));
		if (c->head != NULL) {
			o.len = 0;
			o.buf[0] = '\0';
			render_head(&o, &m, r);
			if (strcmp(o.buf, c->head) != 0)
				fail_msg("msg case %zu (%s): head\n  got  %s\n"
				    "  want %s", i, c->what, o.buf, c->head);
		}
		if (r != 0)
			continue;
		o.len = 0;
		o.buf[0] = '\0';
		nrr = 0;
		dns_wire_iter_init(&m, &it);
		while ((r = dns_wire_iter_next(&m, &it, &rr)) == 1) {
			if (nrr++ > 0)
				outf(&o, " | ");
			render_rr(&o, &rr);
			assert_true(rr.rdata >= pkt &&
			    rr.rdata + rr.rdlen <= pkt + m.rr_end);
		}
		assert_int_equal(r, 0);
		assert_int_equal(dns_wire_iter_next(&m, &it, &rr), 0);
		assert_int_equal(nrr, (size_t)m.hdr.ancount + m.hdr.nscount +
		    m.hdr.arcount);
		assert_true(m.rr_end <= len);
		if (strcmp(o.buf, c->rrs) != 0)
			fail_msg("msg case %zu (%s): RRs\n  got  %s\n  want %s",
			    i, c->what, o.buf, c->rrs);
	}
}

/* ---- name decompression ---------------------------------------------- */

/* a header's worth of zeros, so that names start at 12 */
#define Z12	"000000000000000000000000"

struct name_case {
	const char	*what;
	const char	*pkt;
	size_t		 off;
	int		 err;
	const char	*name;
	size_t		 end;
};

static const struct name_case name_cases[] = {
	{ "plain", Z12 "07'example'03'org'00", 12, 0, "example.org", 25 },
	{ "root", Z12 "00", 12, 0, ".", 13 },
	{ "case kept", Z12 "03'WwW'00", 12, 0, "WwW", 17 },
	{ "'_' and '-' plain", Z12 "04'_a-b'00", 12, 0, "_a-b", 18 },
	{ "dot, backslash, SP, quote, ';', '$' escaped",
	  Z12 "06 2e5c20223b24 03'a_-'00", 12, 0,
	  "\\046\\092\\032\\034\\059\\036.a_-", 24 },
	{ "control and high octets escaped", Z12 "04 000a7fff 00", 12, 0,
	  "\\000\\010\\127\\255", 18 },
	{ "pointer after a label", Z12 "07'example'03'org'00 03'www'c00c",
	  25, 0, "www.example.org", 31 },
	{ "pointer first", Z12 "07'example'03'org'00 c00c", 25, 0,
	  "example.org", 27 },
	{ "pointer to a pointer",
	  Z12 "07'example'03'org'00 03'www'c00c c019", 31, 0,
	  "www.example.org", 33 },
	{ "pointer into the middle of a name",
	  Z12 "07'example'03'org'00 04'mail'c014", 25, 0, "mail.org", 32 },
	{ "chain of two jumps", Z12 "01'x'00 01'b'c00c 01'c'c00f", 19, 0,
	  "c.b.x", 23 },
	{ "at offset 0 (a header of zeros is a root)", Z12, 0, 0, ".", 1 },
	{ "forward", Z12 "c00e 0000", 12, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "to itself", Z12 "c00c", 12, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "to its own start", Z12 "01'a' c00c", 12, DNS_WIRE_E_POINTER,
	  NULL, 0 },
	{ "into its own labels", Z12 "01'a' 01'b' c00e", 12,
	  DNS_WIRE_E_POINTER, NULL, 0 },
	{ "loop through a second name", Z12 "01'x'00 01'b'c013 01'c'c00f",
	  19, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "into the header", Z12 "c000", 12, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "to the header's last octet", Z12 "00 c00b", 13,
	  DNS_WIRE_E_POINTER, NULL, 0 },
	{ "past the end", Z12 "c3ff", 12, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "largest pointer", Z12 "ffff", 12, DNS_WIRE_E_POINTER, NULL, 0 },
	{ "pointer cut", Z12 "c0", 12, DNS_WIRE_E_SHORT, NULL, 0 },
	{ "label past the end", Z12 "05'ab'", 12, DNS_WIRE_E_SHORT, NULL, 0 },
	{ "no root label", Z12 "01'a'", 12, DNS_WIRE_E_SHORT, NULL, 0 },
	{ "offset at the end", Z12, 12, DNS_WIRE_E_SHORT, NULL, 0 },
	{ "offset past the end", Z12, 40, DNS_WIRE_E_SHORT, NULL, 0 },
	{ "label type 0x40", Z12 "41'a'00", 12, DNS_WIRE_E_LABEL, NULL, 0 },
	{ "label type 0x80", Z12 "80 00", 12, DNS_WIRE_E_LABEL, NULL, 0 },
	{ "pointer to a reserved label", Z12 "41 00 c00c", 14,
	  DNS_WIRE_E_LABEL, NULL, 0 },
};

static void
test_name_table(void **state)
{
	uint8_t	pkt[PKT_MAX];
	char	name[DNS_WIRE_NAME_STRMAX];
	size_t	i, len, end;
	int	r;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct name_case *c = &name_cases[i];

		len = spec(c->pkt, pkt, sizeof(pkt));
		end = 9999;
		r = dns_wire_name_decode(pkt, len, c->off, name, sizeof(name),
		    &end);
		if (r != c->err)
			fail_msg("name case %zu (%s): got %s, want %s", i,
			    c->what, ename(r), ename(c->err));
		if (r != 0)
			continue;
		if (strcmp(name, c->name) != 0 || end != c->end)
			fail_msg("name case %zu (%s): got \"%s\" end %zu, want "
			    "\"%s\" end %zu", i, c->what, name, end, c->name,
			    c->end);
		/* the same without output */
		assert_int_equal(dns_wire_name_decode(pkt, len, c->off, NULL,
		    0, &end), 0);
		assert_int_equal(end, c->end);
		assert_int_equal(dns_wire_name_decode(pkt, len, c->off, NULL,
		    0, NULL), 0);
	}
}

/* Writes a label of n octets of c at buf[*o]. */
static void
put_label(uint8_t *buf, size_t *o, size_t n, uint8_t c)
{
	buf[(*o)++] = (uint8_t)n;
	memset(buf + *o, c, n);
	*o += n;
}

static void
test_name_limits(void **state)
{
	uint8_t	pkt[PKT_MAX];
	char	name[DNS_WIRE_NAME_STRMAX];
	size_t	o, end, i, start;

	(void)state;
	/* 255 octets in wire form, every octet escaped: the longest
	 * presentation form there is, which fills DNS_WIRE_NAME_STRMAX */
	memset(pkt, 0, sizeof(pkt));
	o = 12;
	put_label(pkt, &o, 63, 0xff);
	put_label(pkt, &o, 63, 0xff);
	put_label(pkt, &o, 63, 0xff);
	put_label(pkt, &o, 61, 0xff);
	pkt[o++] = 0;
	assert_int_equal(o - 12, 255);
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, sizeof(name),
	    &end), 0);
	assert_int_equal(end, o);
	assert_int_equal(strlen(name), DNS_WIRE_NAME_STRMAX - 1);
	/* one octet less of output space */
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name,
	    DNS_WIRE_NAME_STRMAX - 1, &end), DNS_WIRE_E_SPACE);
	/* 256: one more octet in the last label */
	o = 12;
	put_label(pkt, &o, 63, 'a');
	put_label(pkt, &o, 63, 'a');
	put_label(pkt, &o, 63, 'a');
	put_label(pkt, &o, 62, 'a');
	pkt[o++] = 0;
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, sizeof(name),
	    &end), DNS_WIRE_E_NAMELEN);
	/* 127 labels of one octet: 255 octets */
	o = 12;
	for (i = 0; i < 127; i++)
		put_label(pkt, &o, 1, 'z');
	pkt[o++] = 0;
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, sizeof(name),
	    &end), 0);
	assert_int_equal(strlen(name), 127 * 2 - 1);

	/* small outputs: "example.org" needs 12 octets with its NUL */
	o = spec(Z12 "07'example'03'org'00 00", pkt, sizeof(pkt));
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, 12, &end), 0);
	assert_string_equal(name, "example.org");
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, 11, &end),
	    DNS_WIRE_E_SPACE);
	assert_string_equal(name, "example.or");	/* a string still */
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, 8, &end),
	    DNS_WIRE_E_SPACE);
	assert_string_equal(name, "example");
	assert_int_equal(dns_wire_name_decode(pkt, o, 12, name, 0, &end),
	    DNS_WIRE_E_SPACE);
	assert_int_equal(dns_wire_name_decode(pkt, o, 25, name, 2, &end), 0);
	assert_string_equal(name, ".");
	assert_int_equal(dns_wire_name_decode(pkt, o, 25, name, 1, &end),
	    DNS_WIRE_E_SPACE);

	/* compression: a chain of DNS_WIRE_JUMPS_MAX pointers is fine, one
	 * more is not.  At 12 a root; at 13 + 2k a pointer to the one
	 * before it (or to the root for k = 0). */
	memset(pkt, 0, sizeof(pkt));
	o = 12;
	pkt[o++] = 0;
	for (i = 0; i <= DNS_WIRE_JUMPS_MAX; i++) {
		size_t target = i == 0 ? 12 : o - 2;

		pkt[o++] = (uint8_t)(0xC0 | target >> 8);
		pkt[o++] = (uint8_t)target;
	}
	start = 13 + 2 * (DNS_WIRE_JUMPS_MAX - 1);
	assert_int_equal(dns_wire_name_decode(pkt, o, start, name,
	    sizeof(name), &end), 0);
	assert_string_equal(name, ".");
	assert_int_equal(end, start + 2);
	assert_int_equal(dns_wire_name_decode(pkt, o, start + 2, name,
	    sizeof(name), &end), DNS_WIRE_E_POINTER);

	/* compression pointers above 255: a name at 300 */
	memset(pkt, 0, sizeof(pkt));
	o = 300;
	put_label(pkt, &o, 3, 'a');
	pkt[o++] = 0;
	pkt[o++] = 1;
	pkt[o++] = 'b';
	pkt[o++] = 0xC1;
	pkt[o++] = 0x2c;
	assert_int_equal(dns_wire_name_decode(pkt, o, 305, name, sizeof(name),
	    &end), 0);
	assert_string_equal(name, "b.aaa");
	assert_int_equal(end, o);
}

/* ---- names from text, comparison ------------------------------------- */

struct encode_case {
	const char	*in;
	int		 ret;		/* length or error */
	const char	*wire;
};

static const struct encode_case encode_cases[] = {
	{ "example.org", 13, "07'example'03'org'00" },
	{ "example.org.", 13, "07'example'03'org'00" },
	{ "Example.ORG", 13, "07'Example'03'ORG'00" },
	{ ".", 1, "00" },
	{ "a", 3, "01'a'00" },
	{ "_25._tcp.MX.example", 21, "03'_25'04'_tcp'02'MX'07'example'00" },
	{ "\\046", 3, "01 2e 00" },
	{ "a\\000b", 5, "03 610062 00" },
	{ "\\255.\\000.", 5, "01ff 0100 00" },
	{ "\\092\\032", 4, "02 5c20 00" },
	{ "", DNS_WIRE_E_SYNTAX, NULL },
	{ "..", DNS_WIRE_E_SYNTAX, NULL },
	{ ".a", DNS_WIRE_E_SYNTAX, NULL },
	{ "a..b", DNS_WIRE_E_SYNTAX, NULL },
	{ "a.b..", DNS_WIRE_E_SYNTAX, NULL },
	{ "a b", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\1", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\12", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\12x", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\256", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\999", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\\.b", DNS_WIRE_E_SYNTAX, NULL },
	{ "caf\xc3\xa9.example", DNS_WIRE_E_SYNTAX, NULL },
	{ "*.example.org", DNS_WIRE_E_SYNTAX, NULL },
	{ "a/b", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\"b", DNS_WIRE_E_SYNTAX, NULL },
	{ "a\nb", DNS_WIRE_E_SYNTAX, NULL },
};

static void
test_encode_table(void **state)
{
	uint8_t	wire[DNS_WIRE_NAME_MAX], want[DNS_WIRE_NAME_MAX];
	size_t	i, n;
	int	r;

	(void)state;
	for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++) {
		const struct encode_case *c = &encode_cases[i];

		r = dns_wire_name_encode(c->in, wire, sizeof(wire));
		if (r != c->ret)
			fail_msg("encode case %zu (%s): got %d, want %d", i,
			    c->in, r, c->ret);
		if (r < 0)
			continue;
		n = spec(c->wire, want, sizeof(want));
		assert_int_equal(n, (size_t)r);
		assert_memory_equal(wire, want, n);
	}
}

static void
test_encode_limits(void **state)
{
	char	name[2048];
	uint8_t	wire[DNS_WIRE_NAME_MAX], pkt[300];
	char	back[DNS_WIRE_NAME_STRMAX];
	size_t	o;
	int	i;

	(void)state;
	/* label of 63 octets fine, 64 not; escapes count as one octet */
	memset(name, 'a', 64);
	name[63] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)), 65);
	name[63] = 'a';
	name[64] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_SYNTAX);
	o = 0;
	for (i = 0; i < 63; i++) {
		memcpy(name + o, "\\065", 4);
		o += 4;
	}
	name[o] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)), 65);
	memcpy(name + o, "\\065", 5);
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_SYNTAX);

	/* 255 octets fine (63.63.63.61), 256 not, with or without a dot */
	memset(name, 'b', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)), 255);
	name[253] = '.';
	name[254] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)), 255);
	name[253] = 'b';
	name[254] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_NAMELEN);
	name[254] = '.';
	name[255] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_NAMELEN);
	/* 255 octets already when a fifth label starts */
	memset(name, 'd', sizeof(name));
	name[63] = name[127] = name[191] = name[254] = '.';
	name[256] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_NAMELEN);
	/* far longer */
	memset(name, 'c', sizeof(name));
	for (i = 10; i < (int)sizeof(name); i += 11)
		name[i] = '.';
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(dns_wire_name_encode(name, wire, sizeof(wire)),
	    DNS_WIRE_E_NAMELEN);

	/* output space */
	assert_int_equal(dns_wire_name_encode("example.org", wire, 13), 13);
	assert_int_equal(dns_wire_name_encode("example.org", wire, 12),
	    DNS_WIRE_E_SPACE);
	assert_int_equal(dns_wire_name_encode("example.org", wire, 0),
	    DNS_WIRE_E_SPACE);
	assert_int_equal(dns_wire_name_encode("example.org", wire, 5),
	    DNS_WIRE_E_SPACE);
	assert_int_equal(dns_wire_name_encode(".", wire, 0), DNS_WIRE_E_SPACE);

	/* the longest name round trip: decode(encode(x)) == x */
	o = 0;
	for (i = 0; i < 4; i++) {
		int k;

		if (i > 0)
			name[o++] = '.';
		for (k = 0; k < (i < 3 ? 63 : 61); k++) {
			memcpy(name + o, "\\255", 4);
			o += 4;
		}
	}
	name[o] = '\0';
	assert_int_equal(o, DNS_WIRE_NAME_STRMAX - 1);
	memset(pkt, 0, sizeof(pkt));
	i = dns_wire_name_encode(name, pkt + 12, sizeof(pkt) - 12);
	assert_int_equal(i, 255);
	assert_int_equal(dns_wire_name_decode(pkt, 12 + (size_t)i, 12, back,
	    sizeof(back), NULL), 0);
	assert_string_equal(back, name);
}

static void
test_name_equal(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 eq;
	} c[] = {
		{ "example.org", "example.org", 1 },
		{ "Example.ORG", "example.org.", 1 },
		{ "mx1.EXAMPLE.org.", "MX1.example.ORG", 1 },
		{ "a\\065", "aa", 1 },
		{ "a\\097", "aA", 1 },
		{ "\\255", "\\255", 1 },
		{ ".", ".", 1 },
		{ "_25._tcp.mx", "_25._TCP.MX.", 1 },
		{ "a", "b", 0 },
		{ "a.b", "a\\046b", 0 },
		{ "ab.c", "a.bc", 0 },
		{ "example.org", "example.or", 0 },
		{ "example.org", "www.example.org", 0 },
		{ "\\200", "\\232", 0 },	/* no folding past ASCII */
		{ "a-", "a_", 0 },
		{ "[", "{", 0 },		/* both invalid */
		{ "", "", 0 },
		{ ".", "", 0 },
		{ "a..b", "a..b", 0 },
		{ "caf\xc3\xa9", "caf\xc3\xa9", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (dns_wire_name_equal(c[i].a, c[i].b) != c[i].eq ||
		    dns_wire_name_equal(c[i].b, c[i].a) != c[i].eq)
			fail_msg("equal case %zu (%s, %s): want %d", i, c[i].a,
			    c[i].b, c[i].eq);
	}
}

/* ---- queries --------------------------------------------------------- */

struct query_case {
	const char	*name;
	uint16_t	 qtype;
	int		 dnssec_ok;
	int		 ret;
	const char	*bytes;
};

static const struct query_case query_cases[] = {
	{ "example.org", DNS_WIRE_TYPE_MX, 1, 40,
	  "1234 0100 0001 0000 0000 0001" QEX "000f 0001" OPT_DO },
	{ "example.org.", DNS_WIRE_TYPE_MX, 0, 40,
	  "1234 0100 0001 0000 0000 0001" QEX "000f 0001" OPT_NODO },
	{ "_25._tcp.mx1.example.org.", DNS_WIRE_TYPE_TLSA, 1, 53,
	  "1234 0100 0001 0000 0000 0001"
	  "03'_25'04'_tcp'03'mx1'07'example'03'org'00 0034 0001" OPT_DO },
	{ "_mta-sts.Example.org", DNS_WIRE_TYPE_TXT, 1, 49,
	  "1234 0100 0001 0000 0000 0001"
	  "08'_mta-sts'07'Example'03'org'00 0010 0001" OPT_DO },
	{ "a", 257, 0, 30,	/* CAA, a type we do not know: fine */
	  "1234 0100 0001 0000 0000 0001 01'a'00 0101 0001" OPT_NODO },
	{ ".", DNS_WIRE_TYPE_A, 1, -1, NULL },
	{ "", DNS_WIRE_TYPE_A, 1, -1, NULL },
	{ "a..b", DNS_WIRE_TYPE_A, 1, -1, NULL },
	{ "a b", DNS_WIRE_TYPE_A, 1, -1, NULL },
	{ "example.org", 0, 1, -1, NULL },
	{ "example.org", DNS_WIRE_TYPE_OPT, 1, -1, NULL },
	{ "example.org", 128, 1, -1, NULL },
	{ "example.org", 252, 1, -1, NULL },	/* AXFR */
	{ "example.org", 255, 1, -1, NULL },	/* ANY */
};

static void
test_query_build(void **state)
{
	uint8_t				 buf[DNS_WIRE_QUERY_MAX + 8];
	uint8_t				 want[DNS_WIRE_QUERY_MAX + 8];
	struct dns_wire_header		 h;
	struct dns_wire_question	 q;
	struct dns_wire_rr		 rr;
	struct dns_wire_opt		 opt;
	struct dns_wire_msg		 m;
	char				 name[300];
	size_t				 i, n, off;
	int				 r;

	(void)state;
	for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		const struct query_case *c = &query_cases[i];

		r = dns_wire_query_build(buf, sizeof(buf), 0x1234, c->name,
		    c->qtype, c->dnssec_ok);
		if (r != c->ret)
			fail_msg("query case %zu (%s): got %d, want %d", i,
			    c->name, r, c->ret);
		if (r < 0)
			continue;
		n = spec(c->bytes, want, sizeof(want));
		assert_int_equal(n, (size_t)r);
		assert_memory_equal(buf, want, n);

		/* it parses back: header, the question, the OPT RR */
		assert_int_equal(dns_wire_header_parse(buf, n, &h), 0);
		assert_int_equal(h.id, 0x1234);
		assert_true(h.rd && !h.qr && !h.ad && !h.cd);
		assert_int_equal(h.qdcount, 1);
		assert_int_equal(h.arcount, 1);
		off = DNS_WIRE_HEADER_LEN;
		assert_int_equal(dns_wire_question_parse(buf, n, &off, &q), 0);
		assert_true(dns_wire_question_match(&q, c->name, c->qtype,
		    DNS_WIRE_CLASS_IN));
		assert_int_equal(dns_wire_rr_parse(buf, n, &off, &rr), 0);
		assert_int_equal(off, n);
		assert_int_equal(dns_wire_rdata_opt(&rr, &opt), 0);
		assert_int_equal(opt.udp_size, DNS_WIRE_EDNS_UDP);
		assert_int_equal(opt.dnssec_ok, c->dnssec_ok ? 1 : 0);
		/* a query is not a response */
		assert_int_equal(dns_wire_msg_parse(&m, buf, n),
		    DNS_WIRE_E_FORMAT);
		/* exact size fits, one less does not */
		assert_int_equal(dns_wire_query_build(buf, n, 0x1234, c->name,
		    c->qtype, c->dnssec_ok), r);
		assert_int_equal(dns_wire_query_build(buf, n - 1, 0x1234,
		    c->name, c->qtype, c->dnssec_ok), -1);
	}

	/* the longest name gives the longest query */
	memset(name, 'q', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_int_equal(dns_wire_query_build(buf, sizeof(buf), 1, name,
	    DNS_WIRE_TYPE_A, 1), DNS_WIRE_QUERY_MAX);
	name[253] = 'q';
	name[254] = '\0';
	assert_int_equal(dns_wire_query_build(buf, sizeof(buf), 1, name,
	    DNS_WIRE_TYPE_A, 1), -1);
}

static void
test_question_match(void **state)
{
	struct dns_wire_question q;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_true(strlen("mx1.Example.org") < sizeof(q.name));
	memcpy(q.name, "mx1.Example.org", sizeof("mx1.Example.org"));
	q.qtype = DNS_WIRE_TYPE_AAAA;
	q.qclass = DNS_WIRE_CLASS_IN;
	assert_true(dns_wire_question_match(&q, "MX1.example.ORG.",
	    DNS_WIRE_TYPE_AAAA, DNS_WIRE_CLASS_IN));
	assert_false(dns_wire_question_match(&q, "mx1.example.org",
	    DNS_WIRE_TYPE_A, DNS_WIRE_CLASS_IN));
	assert_false(dns_wire_question_match(&q, "mx1.example.org",
	    DNS_WIRE_TYPE_AAAA, 3));
	assert_false(dns_wire_question_match(&q, "mx2.example.org",
	    DNS_WIRE_TYPE_AAAA, DNS_WIRE_CLASS_IN));
	assert_false(dns_wire_question_match(&q, "example.org",
	    DNS_WIRE_TYPE_AAAA, DNS_WIRE_CLASS_IN));
	assert_false(dns_wire_question_match(&q, "",
	    DNS_WIRE_TYPE_AAAA, DNS_WIRE_CLASS_IN));
}

/* ---- decoders used the wrong way --------------------------------------- */

static void
test_decoder_misuse(void **state)
{
	static const char *const mx_pkt =
	    "2f1a 81a0 0001 0002 0000 0000" QEX "000f 0001"
	    "c00c 000f 0001 00000e10 0008 000a 03'mx1' c00c"
	    "c00c 0010 0001 00000e10 000c 05'hello' 00 04 'x' 00 'y' ff";
	uint8_t			pkt[PKT_MAX], addr[16];
	char			txt[64], name[DNS_WIRE_NAME_STRMAX];
	struct dns_wire_msg	m;
	struct dns_wire_iter	it;
	struct dns_wire_rr	mx, tx, bad;
	struct dns_wire_mx	x;
	struct dns_wire_tlsa	t;
	struct dns_wire_opt	o;
	size_t			len, n;

	(void)state;
	len = spec(mx_pkt, pkt, sizeof(pkt));
	assert_int_equal(dns_wire_msg_parse(&m, pkt, len), 0);
	assert_false(m.has_opt);
	dns_wire_iter_init(&m, &it);
	assert_int_equal(dns_wire_iter_next(&m, &it, &mx), 1);
	assert_int_equal(dns_wire_iter_next(&m, &it, &tx), 1);
	assert_int_equal(dns_wire_iter_next(&m, &it, &bad), 0);
	assert_int_equal(mx.section, DNS_WIRE_SECTION_ANSWER);

	/* each decoder refuses the other types */
	assert_int_equal(dns_wire_rdata_a(&mx, addr), DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_aaaa(&mx, addr), DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_cname(&mx, name, sizeof(name)),
	    DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_txt(&mx, txt, sizeof(txt), &n),
	    DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_tlsa(&mx, &t), DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_opt(&mx, &o), DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_mx(&tx, &x), DNS_WIRE_E_TYPE);
	assert_int_equal(dns_wire_rdata_mx(&mx, &x), 0);
	assert_string_equal(x.exchange, "mx1.example.org");

	/* TXT: strings concatenated, NUL and 0xff kept, bounded output */
	assert_int_equal(dns_wire_rdata_txt(&tx, txt, sizeof(txt), &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(txt, "hellox\0y\xff", 9);
	assert_int_equal(dns_wire_rdata_txt(&tx, txt, 9, &n), 0);
	assert_int_equal(dns_wire_rdata_txt(&tx, txt, 8, &n),
	    DNS_WIRE_E_SPACE);
	assert_int_equal(n, 0);
	assert_int_equal(dns_wire_rdata_txt(&tx, NULL, 0, &n),
	    DNS_WIRE_E_SPACE);

	/* CNAME output space */
	bad = mx;
	bad.type = DNS_WIRE_TYPE_CNAME;
	bad.rdoff += 2;		/* the exchange alone: "mx1.example.org" */
	bad.rdata += 2;
	bad.rdlen -= 2;
	assert_int_equal(dns_wire_rdata_cname(&bad, name, 16), 0);
	assert_string_equal(name, "mx1.example.org");
	assert_int_equal(dns_wire_rdata_cname(&bad, name, 15),
	    DNS_WIRE_E_SPACE);

	/* an RR whose rdata is not inside its packet */
	bad = mx;
	bad.rdlen = 200;
	assert_int_equal(dns_wire_rdata_mx(&bad, &x), DNS_WIRE_E_RDATA);
	bad = mx;
	bad.rdata = pkt;
	assert_int_equal(dns_wire_rdata_mx(&bad, &x), DNS_WIRE_E_RDATA);
	bad = mx;
	bad.pkt = NULL;
	assert_int_equal(dns_wire_rdata_mx(&bad, &x), DNS_WIRE_E_RDATA);
	bad = mx;
	bad.rdoff = len + 1;
	assert_int_equal(dns_wire_rdata_mx(&bad, &x), DNS_WIRE_E_RDATA);

	/* an iterator moved past the end */
	it.off = len + 1;
	it.idx = 0;
	assert_int_equal(dns_wire_iter_next(&m, &it, &bad), DNS_WIRE_E_SHORT);

	/* an OPT RR parsed alone, not owned by the root */
	len = spec(Z12 "01'a'00 0029 04d0 00 00 8000 0000", pkt, sizeof(pkt));
	n = 12;
	assert_int_equal(dns_wire_rr_parse(pkt, len, &n, &bad), 0);
	assert_int_equal(dns_wire_rdata_opt(&bad, &o), DNS_WIRE_E_RDATA);
}

/* ---- pieces alone ------------------------------------------------------ */

static void
test_pieces(void **state)
{
	uint8_t				pkt[PKT_MAX];
	struct dns_wire_header		h;
	struct dns_wire_question	q;
	struct dns_wire_rr		rr;
	size_t				len, off;
	int				e;

	(void)state;
	/* every header bit where it belongs */
	len = spec("ffff ffff 0102 0304 0506 0708", pkt, sizeof(pkt));
	assert_int_equal(dns_wire_header_parse(pkt, len, &h), 0);
	assert_true(h.id == 0xffff && h.qr && h.opcode == 15 && h.aa &&
	    h.tc && h.rd && h.ra && h.ad && h.cd && h.rcode == 15);
	assert_true(h.qdcount == 0x0102 && h.ancount == 0x0304 &&
	    h.nscount == 0x0506 && h.arcount == 0x0708);
	len = spec("0000 0000 0000 0000 0000 0000", pkt, sizeof(pkt));
	assert_int_equal(dns_wire_header_parse(pkt, len, &h), 0);
	assert_true(!h.qr && !h.opcode && !h.aa && !h.tc && !h.rd && !h.ra &&
	    !h.ad && !h.cd && !h.rcode);
	len = spec("0000 7840", pkt, sizeof(pkt));	/* opcode 15, Z */
	assert_int_equal(dns_wire_header_parse(pkt, 12, &h), 0);
	assert_true(h.opcode == 15 && !h.qr && !h.aa && !h.ad);
	assert_int_equal(dns_wire_header_parse(pkt, 11, &h), DNS_WIRE_E_SHORT);
	assert_int_equal(dns_wire_header_parse(pkt, 0, &h), DNS_WIRE_E_SHORT);

	/* question and RR failures leave *off alone */
	len = spec(Z12 QEX "0001 00", pkt, sizeof(pkt));
	off = 12;
	assert_int_equal(dns_wire_question_parse(pkt, len, &off, &q),
	    DNS_WIRE_E_SHORT);
	assert_int_equal(off, 12);
	len = spec(Z12 QEX "0001 0001 c00c 0001 0001 00000e10 0004 c00002",
	    pkt, sizeof(pkt));
	off = 12;
	assert_int_equal(dns_wire_question_parse(pkt, len, &off, &q), 0);
	assert_int_equal(off, 29);
	assert_int_equal(dns_wire_rr_parse(pkt, len, &off, &rr),
	    DNS_WIRE_E_SHORT);
	assert_int_equal(off, 29);
	assert_int_equal(dns_wire_rr_parse(pkt, len + 1, &off, &rr), 0);
	assert_int_equal(off, len + 1);
	assert_int_equal(rr.section, DNS_WIRE_SECTION_NONE);
	off = len + 5;
	assert_int_equal(dns_wire_rr_parse(pkt, len, &off, &rr),
	    DNS_WIRE_E_SHORT);

	/* every error has a name */
	for (e = DNS_WIRE_E_SYNTAX; e <= DNS_WIRE_OK; e++)
		assert_string_not_equal(dns_wire_strerror(e), "?");
	assert_string_equal(dns_wire_strerror(1), "?");
	assert_string_equal(dns_wire_strerror(-100), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_table),
		cmocka_unit_test(test_name_table),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_encode_table),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_name_equal),
		cmocka_unit_test(test_query_build),
		cmocka_unit_test(test_question_match),
		cmocka_unit_test(test_decoder_misuse),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
