/*
 * test_policy_plan.c: unit tests for policy/plan.c: raw answers read
 * (RCODEs, NODATA, CNAME chains with loops and over-long chains, the AD
 * bit trusted or not, negative TTLs, malformed and mismatched answers),
 * MX ordering with deterministic randomness, the null MX, the implicit
 * MX, the loop to ourselves, address families, and the plan each case
 * maps to. Answers are built here record by record.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy/dns_wire.h"
#include "policy/plan.h"
#include "policy/route.h"

/* ---- building answers ---------------------------------------------------- */

struct pkt {
	uint8_t	b[4096];
	size_t	n;
	size_t	counts[3];	/* answer, authority, additional */
};

static void
put16(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)(v >> 8);
	p->b[p->n++] = (uint8_t)v;
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void
putname(struct pkt *p, const char *name)
{
	int n = dns_wire_name_encode(name, p->b + p->n, sizeof(p->b) - p->n);

	if (n < 0)
		fail_msg("bad test name %s", name);
	p->n += (size_t)n;
}

enum { F_AD = 1, F_TC = 2 };

/* Header and question; rcode and flags as given. */
static void
begin(struct pkt *p, const char *qname, uint16_t qtype, unsigned rcode,
    int flags)
{
	memset(p, 0, sizeof(*p));
	put16(p, 0x1234);
	p->b[p->n++] = 0x81 | ((flags & F_TC) ? 0x02 : 0);	/* QR RD */
	p->b[p->n++] = (uint8_t)(0x80 | ((flags & F_AD) ? 0x20 : 0) | rcode);
	put16(p, 1);
	p->n += 6;	/* counts, filled as records are added */
	putname(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

/* One RR in section sec (0 answer, 1 authority); rdata built by caller. */
static size_t
rr(struct pkt *p, int sec, const char *name, uint16_t type, uint32_t ttl)
{
	size_t rdl;

	p->counts[sec]++;
	p->b[6 + 2 * sec] = (uint8_t)(p->counts[sec] >> 8);
	p->b[7 + 2 * sec] = (uint8_t)p->counts[sec];
	putname(p, name);
	put16(p, type);
	put16(p, 1);
	put32(p, ttl);
	rdl = p->n;
	put16(p, 0);
	return rdl;
}

static void
rdend(struct pkt *p, size_t rdl)
{
	size_t len = p->n - rdl - 2;

	p->b[rdl] = (uint8_t)(len >> 8);
	p->b[rdl + 1] = (uint8_t)len;
}

static void
mx(struct pkt *p, const char *owner, unsigned pref, const char *host,
    uint32_t ttl)
{
	size_t r = rr(p, 0, owner, DNS_WIRE_TYPE_MX, ttl);

	put16(p, pref);
	putname(p, host);
	rdend(p, r);
}

static void
cname(struct pkt *p, const char *owner, const char *target, uint32_t ttl)
{
	size_t r = rr(p, 0, owner, DNS_WIRE_TYPE_CNAME, ttl);

	putname(p, target);
	rdend(p, r);
}

static void
addr(struct pkt *p, const char *owner, const char *text, uint32_t ttl)
{
	uint8_t a[16];
	int v6 = strchr(text, ':') != NULL;
	size_t r = rr(p, 0, owner, v6 ? DNS_WIRE_TYPE_AAAA : DNS_WIRE_TYPE_A,
	    ttl);

	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, text, a), 1);
	memcpy(p->b + p->n, a, v6 ? 16 : 4);
	p->n += v6 ? 16 : 4;
	rdend(p, r);
}

static void
soa(struct pkt *p, const char *zone, uint32_t ttl, uint32_t minimum)
{
	size_t r = rr(p, 1, zone, DNS_WIRE_TYPE_SOA, ttl);

	putname(p, "ns.test");
	putname(p, "hostmaster.test");
	put32(p, 1);
	put32(p, 3600);
	put32(p, 600);
	put32(p, 86400);
	put32(p, minimum);
	rdend(p, r);
}

/* ---- plumbing ------------------------------------------------------------ */

static struct route_decision
direct(const char *domain)
{
	struct route_decision d;
	struct route_table t = { NULL, 0 };

	assert_int_equal(route_decide(&t, domain, NULL, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &d), 0);
	return d;
}

static const char *
ipstr(const struct ipc_plan_addr *a, char *buf)
{
	return inet_ntop(a->family, a->addr, buf, INET6_ADDRSTRLEN);
}

/* ---- answers ------------------------------------------------------------- */

static void
test_answer_rcodes(void **state)
{
	static const struct {
		unsigned	 rcode;
		int		 flags;
		int		 status;
		const char	*why;
	} t[] = {
		{ DNS_WIRE_RCODE_NOERROR, 0, PLAN_DNS_NODATA, "" },
		{ DNS_WIRE_RCODE_NXDOMAIN, 0, PLAN_DNS_NXDOMAIN, "" },
		{ DNS_WIRE_RCODE_SERVFAIL, 0, PLAN_DNS_TEMP, "SERVFAIL" },
		{ DNS_WIRE_RCODE_REFUSED, 0, PLAN_DNS_TEMP, "REFUSED" },
		{ DNS_WIRE_RCODE_FORMERR, 0, PLAN_DNS_TEMP, "FORMERR" },
		{ DNS_WIRE_RCODE_NOTIMP, 0, PLAN_DNS_TEMP, "NOTIMP" },
		{ 9, 0, PLAN_DNS_TEMP, "unexpected RCODE" },
		{ DNS_WIRE_RCODE_NOERROR, F_TC, PLAN_DNS_TEMP,
		    "truncated answer" },
	};
	struct plan_mx_answer a;
	struct pkt p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		begin(&p, "d.test", DNS_WIRE_TYPE_MX, t[i].rcode, t[i].flags);
		soa(&p, "d.test", 600, 120);
		assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
		    t[i].status);
		assert_int_equal(a.r.status, t[i].status);
		assert_string_equal(a.r.why, t[i].why);
		if (t[i].status == PLAN_DNS_NODATA ||
		    t[i].status == PLAN_DNS_NXDOMAIN)
			assert_int_equal(a.r.ttl, 120);	/* SOA minimum */
	}
	/* without a SOA: 300 s */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_NXDOMAIN, 0);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_NXDOMAIN);
	assert_int_equal(a.r.ttl, PLAN_NEG_TTL_DEFAULT);
	/* the SOA's own TTL when smaller than its minimum */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_NOERROR, 0);
	soa(&p, "d.test", 30, 3600);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_NODATA);
	assert_int_equal(a.r.ttl, 30);
}

static void
test_answer_malformed(void **state)
{
	struct plan_mx_answer a;
	struct plan_addr_answer aa;
	struct pkt p;
	size_t r;

	(void)state;
	/* cut short */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "mx.d.test", 60);
	assert_int_equal(plan_answer_mx(p.b, p.n - 3, "d.test", 1, &a),
	    PLAN_DNS_TEMP);
	assert_non_null(strstr(a.r.why, "malformed answer"));
	assert_int_equal(plan_answer_mx(p.b, 5, "d.test", 1, &a),
	    PLAN_DNS_TEMP);
	assert_int_equal(plan_answer_mx(NULL, 0, "d.test", 1, &a),
	    PLAN_DNS_TEMP);
	/* another question than ours */
	assert_int_equal(plan_answer_mx(p.b, p.n, "e.test", 1, &a),
	    PLAN_DNS_TEMP);
	assert_string_equal(a.r.why, "malformed answer (another question)");
	assert_int_equal(plan_answer_addr(p.b, p.n, "d.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_TEMP);
	/* an MX with bad rdata */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	r = rr(&p, 0, "d.test", DNS_WIRE_TYPE_MX, 60);
	put16(&p, 10);
	rdend(&p, r);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_TEMP);
	assert_string_equal(a.r.why, "malformed answer (MX)");
	/* an A of 5 octets */
	begin(&p, "h.test", DNS_WIRE_TYPE_A, 0, 0);
	r = rr(&p, 0, "h.test", DNS_WIRE_TYPE_A, 60);
	put32(&p, 0x7f000001);
	p.b[p.n++] = 0;
	rdend(&p, r);
	assert_int_equal(plan_answer_addr(p.b, p.n, "h.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_TEMP);
	/* an MX target that is no host name is skipped, not used */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "b\\032d.test", 60);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_RECORDS);
	assert_int_equal(a.nmx, 0);
	assert_int_equal(a.skipped, 1);
}

static void
test_answer_ad_ttl(void **state)
{
	struct plan_mx_answer a;
	struct pkt p;

	(void)state;
	begin(&p, "D.Test", DNS_WIRE_TYPE_MX, 0, F_AD);
	mx(&p, "d.test", 10, "MX1.d.test", 3000);
	mx(&p, "d.test", 20, "mx2.d.test", 200);
	mx(&p, "other.test", 5, "wrong.test", 1);	/* another owner */
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_RECORDS);
	assert_int_equal(a.r.ad, 1);
	assert_int_equal(a.r.ttl, 200);
	assert_int_equal(a.nmx, 2);
	assert_string_equal(a.mx[0].host, "mx1.d.test");
	/* AD from a resolver not on loopback is never trusted */
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 0, &a),
	    PLAN_DNS_RECORDS);
	assert_int_equal(a.r.ad, 0);
	/* a TTL of two days is capped at one */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "mx1.d.test", 172800);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_RECORDS);
	assert_int_equal(a.r.ad, 0);
	assert_int_equal(a.r.ttl, PLAN_TTL_MAX);
}

static void
tlsa(struct pkt *p, const char *owner, unsigned u, unsigned sel, unsigned mt,
    size_t len, uint8_t fill, uint32_t ttl)
{
	size_t r = rr(p, 0, owner, DNS_WIRE_TYPE_TLSA, ttl);

	p->b[p->n++] = (uint8_t)u;
	p->b[p->n++] = (uint8_t)sel;
	p->b[p->n++] = (uint8_t)mt;
	memset(p->b + p->n, fill, len);
	p->n += len;
	rdend(p, r);
}

static void
txt(struct pkt *p, const char *owner, const char *a1, const char *a2)
{
	size_t r = rr(p, 0, owner, DNS_WIRE_TYPE_TXT, 300);
	const char *part[2] = { a1, a2 };
	size_t i, n;

	for (i = 0; i < 2 && part[i] != NULL; i++) {
		n = strlen(part[i]);
		p->b[p->n++] = (uint8_t)n;
		memcpy(p->b + p->n, part[i], n);
		p->n += n;
	}
	rdend(p, r);
}

static void
test_answer_tlsa(void **state)
{
	static struct plan_tlsa_answer a;
	static struct pkt p;
	size_t i;

	(void)state;
	/* records with their data, AD, the least TTL */
	begin(&p, "_25._tcp.mx.d.test", DNS_WIRE_TYPE_TLSA, 0, F_AD);
	tlsa(&p, "_25._tcp.mx.d.test", 3, 1, 1, 32, 0xab, 600);
	tlsa(&p, "_25._tcp.mx.d.test", 2, 0, 2, 64, 0xcd, 300);
	tlsa(&p, "_25._tcp.mx.d.test", 3, 1, 1, 31, 0xee, 300);	/* short */
	assert_int_equal(plan_answer_tlsa(p.b, p.n, "_25._tcp.mx.d.test", 1,
	    &a), PLAN_DNS_RECORDS);
	assert_int_equal(a.r.ad, 1);
	assert_int_equal(a.r.ttl, 300);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.malformed, 1);	/* unusable, not a failure */
	assert_int_equal(a.rec[0].usage, 3);
	assert_int_equal(a.rec[0].len, 32);
	assert_int_equal(a.pool[a.rec[0].off], 0xab);
	assert_int_equal(a.rec[1].mtype, 2);
	assert_int_equal(a.pool[a.rec[1].off + 63], 0xcd);
	/* through a CNAME (RFC 7672 §2.2.3) */
	begin(&p, "_25._tcp.mx.d.test", DNS_WIRE_TYPE_TLSA, 0, F_AD);
	cname(&p, "_25._tcp.mx.d.test", "_25._tcp.real.d.test", 100);
	tlsa(&p, "_25._tcp.real.d.test", 3, 1, 1, 32, 1, 600);
	assert_int_equal(plan_answer_tlsa(p.b, p.n, "_25._tcp.mx.d.test", 1,
	    &a), PLAN_DNS_RECORDS);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.r.ttl, 100);
	/* more records than kept: a failure, never a silent drop */
	begin(&p, "_25._tcp.mx.d.test", DNS_WIRE_TYPE_TLSA, 0, F_AD);
	for (i = 0; i <= PLAN_TLSA_RECS_MAX; i++)
		tlsa(&p, "_25._tcp.mx.d.test", 3, 1, 0, 1, (uint8_t)i, 60);
	assert_int_equal(plan_answer_tlsa(p.b, p.n, "_25._tcp.mx.d.test", 1,
	    &a), PLAN_DNS_TEMP);
	assert_string_equal(a.r.why, "TLSA RRset too large");
	assert_int_equal(a.n, 0);
	/* NODATA, SERVFAIL */
	begin(&p, "_25._tcp.mx.d.test", DNS_WIRE_TYPE_TLSA, 0, F_AD);
	assert_int_equal(plan_answer_tlsa(p.b, p.n, "_25._tcp.mx.d.test", 1,
	    &a), PLAN_DNS_NODATA);
	assert_int_equal(a.r.ad, 1);
	begin(&p, "_25._tcp.mx.d.test", DNS_WIRE_TYPE_TLSA, 2, 0);
	assert_int_equal(plan_answer_tlsa(p.b, p.n, "_25._tcp.mx.d.test", 1,
	    &a), PLAN_DNS_TEMP);
	assert_string_equal(a.r.why, "SERVFAIL");
}

static void
test_answer_txt(void **state)
{
	static struct plan_txt_answer a;
	static struct pkt p;

	(void)state;
	begin(&p, "_mta-sts.d.test", DNS_WIRE_TYPE_TXT, 0, 0);
	txt(&p, "_mta-sts.d.test", "v=STSv1; ", "id=20261205");
	txt(&p, "_mta-sts.d.test", "other", NULL);
	txt(&p, "elsewhere.test", "v=STSv1; id=x", NULL);
	assert_int_equal(plan_answer_txt(p.b, p.n, "_mta-sts.d.test", 1, &a),
	    PLAN_DNS_RECORDS);
	assert_int_equal(a.n, 2);
	/* the strings of one record concatenated (RFC 8461 §3.1) */
	assert_int_equal(a.len[0], strlen("v=STSv1; id=20261205"));
	assert_memory_equal(a.txt[0], "v=STSv1; id=20261205", a.len[0]);
	assert_memory_equal(a.txt[1], "other", 5);
	begin(&p, "_mta-sts.d.test", DNS_WIRE_TYPE_TXT, 3, 0);
	soa(&p, "d.test", 60, 30);
	assert_int_equal(plan_answer_txt(p.b, p.n, "_mta-sts.d.test", 1, &a),
	    PLAN_DNS_NXDOMAIN);
}

static void
test_answer_cname(void **state)
{
	static const char *const chain[] = { "d.test", "c1.test", "c2.test",
	    "c3.test", "c4.test", "c5.test", "c6.test", "c7.test", "c8.test",
	    "c9.test" };
	struct plan_mx_answer a;
	struct plan_addr_answer aa;
	struct pkt p;
	size_t i;

	(void)state;
	/* MX query answered through a chain: the final owner's MX */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, F_AD);
	cname(&p, "d.test", "c1.test", 100);
	cname(&p, "c1.test", "c2.test", 50);
	mx(&p, "c2.test", 10, "mx.c2.test", 400);
	mx(&p, "d.test", 1, "ignored.test", 400);	/* beside a CNAME */
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_RECORDS);
	assert_string_equal(a.r.owner, "c2.test");
	assert_int_equal(a.r.ncname, 2);
	assert_int_equal(a.r.ttl, 50);
	assert_int_equal(a.nmx, 1);
	assert_string_equal(a.mx[0].host, "mx.c2.test");
	/* a chain ending in NXDOMAIN and in NODATA */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_NXDOMAIN, 0);
	cname(&p, "d.test", "gone.test", 100);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_NXDOMAIN);
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	cname(&p, "d.test", "c1.test", 100);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_NODATA);
	/* a loop: a -> b -> a, and a name pointing at itself */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	cname(&p, "d.test", "c1.test", 100);
	cname(&p, "c1.test", "d.test", 100);
	assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
	    PLAN_DNS_TEMP);
	assert_string_equal(a.r.why, "CNAME loop");
	begin(&p, "d.test", DNS_WIRE_TYPE_A, 0, 0);
	cname(&p, "d.test", "D.TEST", 100);
	assert_int_equal(plan_answer_addr(p.b, p.n, "d.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_TEMP);
	assert_string_equal(aa.r.why, "CNAME loop");
	/* 8 links are followed, 9 are too many */
	begin(&p, "d.test", DNS_WIRE_TYPE_A, 0, 0);
	for (i = 0; i < 8; i++)
		cname(&p, chain[i], chain[i + 1], 100);
	addr(&p, chain[8], "192.0.2.8", 100);
	assert_int_equal(plan_answer_addr(p.b, p.n, "d.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_RECORDS);
	assert_int_equal(aa.r.ncname, 8);
	assert_string_equal(aa.r.owner, "c8.test");
	assert_int_equal(aa.naddr, 1);
	begin(&p, "d.test", DNS_WIRE_TYPE_A, 0, 0);
	for (i = 0; i < 9; i++)
		cname(&p, chain[i], chain[i + 1], 100);
	addr(&p, chain[9], "192.0.2.9", 100);
	assert_int_equal(plan_answer_addr(p.b, p.n, "d.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_TEMP);
	assert_string_equal(aa.r.why, "CNAME chain longer than 8");
	/* a CNAME whose target is no host name */
	begin(&p, "d.test", DNS_WIRE_TYPE_A, 0, 0);
	cname(&p, "d.test", "a\\034b.test", 100);
	assert_int_equal(plan_answer_addr(p.b, p.n, "d.test",
	    DNS_WIRE_TYPE_A, 1, &aa), PLAN_DNS_TEMP);
}

/* ---- ordering ------------------------------------------------------------ */

static void
test_mx_sort(void **state)
{
	static const struct {
		uint32_t	 rnd[5];
		const char	*order;
	} t[] = {
		{ { 0, 0, 0, 0, 0 }, "a c b e d" },	/* answer order */
		{ { 5, 4, 3, 2, 1 }, "b c a e d" },
		{ { 1, 3, 2, 9, 0 }, "a b c e d" },
		{ { 7, 7, 1, 0, 0 }, "b a c e d" },
	};
	struct plan_mx_answer a;
	struct pkt p;
	char got[64];
	size_t i, j;

	(void)state;
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "a", 60);
	mx(&p, "d.test", 10, "c", 60);
	mx(&p, "d.test", 10, "b", 60);
	mx(&p, "d.test", 30, "d", 60);
	mx(&p, "d.test", 20, "e", 60);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(plan_answer_mx(p.b, p.n, "d.test", 1, &a),
		    PLAN_DNS_RECORDS);
		/* rnd is indexed by the answer's order: a c b d e */
		plan_mx_sort(&a, t[i].rnd);
		got[0] = '\0';
		for (j = 0; j < a.nmx; j++) {
			strlcat(got, a.mx[j].host, sizeof(got));
			if (j + 1 < a.nmx)
				strlcat(got, " ", sizeof(got));
		}
		if (strcmp(got, t[i].order) != 0)
			fail_msg("case %zu: '%s', expected '%s'", i, got,
			    t[i].order);
	}
	plan_mx_sort(&a, NULL);
	assert_string_equal(a.mx[3].host, "e");
}

/* ---- targets and plans --------------------------------------------------- */

static void
test_targets(void **state)
{
	struct route_decision d = direct("d.test"), r;
	struct route_table tab = { NULL, 0 };
	struct route_nexthop rh;
	struct plan_mx_answer a;
	struct plan_targets tg;
	struct pkt p;

	(void)state;
	/* null MX alone: bounce 5.1.10 */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 0, ".", 3600);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_BOUNCE);
	assert_int_equal(tg.v.code, 550);
	assert_string_equal(tg.v.dsn, "5.1.10");
	assert_string_equal(tg.v.text, "Recipient address has null MX");
	assert_int_equal(tg.ttl, 3600);
	/* null MX mixed with a real one: ignored */
	mx(&p, "d.test", 10, "mx.d.test", 3600);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_OK);
	assert_int_equal(tg.n, 1);
	assert_string_equal(tg.t[0].name, "mx.d.test");
	/* no MX: the domain itself */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, F_AD);
	soa(&p, "d.test", 600, 60);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_OK);
	assert_int_equal(tg.implicit, 1);
	assert_int_equal(tg.mx_ad, 1);
	assert_string_equal(tg.t[0].name, "d.test");
	assert_int_equal(tg.ttl, 60);
	/* ... which is ourselves */
	assert_int_equal(plan_targets("d.test", &d, &a, "D.test", &tg),
	    IPC_PLAN_DEFER);
	assert_string_equal(tg.v.dsn, "4.4.6");
	assert_string_equal(tg.v.text, "mail for d.test loops back to myself");
	/* NXDOMAIN: bounce; for a relay: defer */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_NXDOMAIN, 0);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_BOUNCE);
	assert_string_equal(tg.v.dsn, "5.1.2");
	assert_non_null(strstr(tg.v.text, "Host or domain name not found"));
	assert_int_equal(route_nexthop_parse("relay.test", 10, &rh), 0);
	assert_int_equal(route_decide(&tab, "d.test", &rh, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &r), 0);
	begin(&p, "relay.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_NXDOMAIN, 0);
	plan_answer_mx(p.b, p.n, "relay.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &r, &a, "me.test", &tg),
	    IPC_PLAN_DEFER);
	assert_string_equal(tg.v.dsn, "4.4.3");
	/* a temporary failure names the lookup */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, DNS_WIRE_RCODE_SERVFAIL, 0);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_DEFER);
	assert_int_equal(tg.v.code, 451);
	assert_string_equal(tg.v.dsn, "4.4.3");
	assert_string_equal(tg.v.text,
	    "temporary DNS failure: MX lookup of d.test: SERVFAIL");
	plan_answer_fail(&a.r, "timeout");
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_DEFER);
	assert_string_equal(tg.v.text,
	    "temporary DNS failure: MX lookup of d.test: timeout");
	/* ourselves at the best preference: loop */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "me.test", 60);
	mx(&p, "d.test", 10, "mx1.d.test", 60);
	mx(&p, "d.test", 20, "mx2.d.test", 60);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_DEFER);
	assert_string_equal(tg.v.dsn, "4.4.6");
	/* ourselves at a worse preference: it and the rest are dropped */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 5, "mx0.d.test", 60);
	mx(&p, "d.test", 10, "mx1.d.test", 60);
	mx(&p, "d.test", 10, "me.test", 60);
	mx(&p, "d.test", 20, "mx2.d.test", 60);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_OK);
	assert_int_equal(tg.n, 1);
	assert_string_equal(tg.t[0].name, "mx0.d.test");
	/* only unusable MX names */
	begin(&p, "d.test", DNS_WIRE_TYPE_MX, 0, 0);
	mx(&p, "d.test", 10, "b\\032d.test", 60);
	plan_answer_mx(p.b, p.n, "d.test", 1, &a);
	assert_int_equal(plan_targets("d.test", &d, &a, "me.test", &tg),
	    IPC_PLAN_DEFER);
	/* a [relay]: no MX, the host itself */
	assert_int_equal(route_nexthop_parse("[relay.test]:587", 16, &rh), 0);
	assert_int_equal(route_decide(&tab, "d.test", &rh, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &r), 0);
	assert_int_equal(plan_targets("d.test", &r, NULL, "me.test", &tg),
	    IPC_PLAN_OK);
	assert_int_equal(tg.n, 1);
	assert_string_equal(tg.t[0].name, "relay.test");
}

/* Answers for the address lookups of a plan. */
static void
answer_addrs(struct plan_addr_answer *out, const char *name, uint16_t type,
    unsigned rcode, const char *const *addrs, int ad)
{
	struct pkt p;

	begin(&p, name, type, rcode, ad ? F_AD : 0);
	for (; addrs != NULL && *addrs != NULL; addrs++)
		addr(&p, name, *addrs, 600);
	if (addrs == NULL)
		soa(&p, "test", 600, 90);
	(void)plan_answer_addr(p.b, p.n, name, type, 1, out);
}

static void
test_build_family(void **state)
{
	static const char *const v4[] = { "192.0.2.1", "192.0.2.2", NULL };
	static const char *const v6[] = { "2001:db8::1", NULL };
	static const struct {
		int		 family;
		int		 h1v6only;	/* the only host has no A */
		int		 status;
		const char	*addrs;
		const char	*dsn;
	} t[] = {
		{ PLAN_AF_ANY, 0, IPC_PLAN_OK,
		    "192.0.2.1 192.0.2.2 2001:db8::1", "" },
		{ PLAN_AF_IPV4, 0, IPC_PLAN_OK, "192.0.2.1 192.0.2.2", "" },
		{ PLAN_AF_IPV6, 0, IPC_PLAN_OK, "2001:db8::1", "" },
		{ PLAN_AF_ANY, 1, IPC_PLAN_OK, "2001:db8::1", "" },
		{ PLAN_AF_IPV6, 1, IPC_PLAN_OK, "2001:db8::1", "" },
		{ PLAN_AF_IPV4, 1, IPC_PLAN_DEFER, "", "4.4.4" },
	};
	struct route_decision d = direct("d.test");
	struct plan_targets tg;
	struct plan_addr_answer a4, a6;
	const struct plan_addr_answer *pa[1], *paaaa[1];
	static struct plan plan;
	char got[256], buf[INET6_ADDRSTRLEN];
	size_t i, j;

	(void)state;
	memset(&tg, 0, sizeof(tg));
	tg.n = 1;
	tg.ttl = 3600;
	(void)strlcpy(tg.t[0].name, "mx.d.test", sizeof(tg.t[0].name));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		answer_addrs(&a4, "mx.d.test", DNS_WIRE_TYPE_A, 0,
		    t[i].h1v6only ? NULL : v4, 1);
		answer_addrs(&a6, "mx.d.test", DNS_WIRE_TYPE_AAAA, 0, v6, 1);
		pa[0] = &a4;
		paaaa[0] = &a6;
		assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa,
		    t[i].family, &plan), t[i].status);
		got[0] = '\0';
		for (j = 0; plan.p.nhosts == 1 && j < plan.h[0].naddr; j++) {
			if (j > 0)
				strlcat(got, " ", sizeof(got));
			strlcat(got, ipstr(&plan.h[0].addr[j], buf),
			    sizeof(got));
		}
		if (strcmp(got, t[i].addrs) != 0 ||
		    strcmp(plan.p.dsn, t[i].dsn) != 0)
			fail_msg("case %zu: '%s' %s, expected '%s' %s", i, got,
			    plan.p.dsn, t[i].addrs, t[i].dsn);
		if (t[i].status == IPC_PLAN_OK) {
			assert_int_equal(plan.h[0].addr_ad, 1);
			assert_int_equal(plan.p.ttl, t[i].h1v6only &&
			    t[i].family == PLAN_AF_ANY ? 90 : 600);
		} else {
			assert_int_equal(plan.p.ttl, 0);
			assert_string_equal(plan.p.text,
			    "no MX host of d.test has an IPv4 address");
		}
	}
}

static void
test_build_hosts(void **state)
{
	static const char *const one[] = { "192.0.2.1", NULL };
	static const char *const two[] = { "192.0.2.2", NULL };
	struct route_decision d = direct("d.test");
	struct plan_targets tg;
	static struct plan_addr_answer a4[3], a6[3];
	const struct plan_addr_answer *pa[3], *paaaa[3];
	static struct plan plan;
	struct pkt p;
	size_t i;

	(void)state;
	memset(&tg, 0, sizeof(tg));
	tg.n = 3;
	tg.ttl = 3600;
	tg.mx_ad = 1;
	(void)strlcpy(tg.t[0].name, "gone.d.test", sizeof(tg.t[0].name));
	(void)strlcpy(tg.t[1].name, "slow.d.test", sizeof(tg.t[1].name));
	(void)strlcpy(tg.t[2].name, "mx.d.test", sizeof(tg.t[2].name));
	for (i = 0; i < 3; i++) {
		pa[i] = &a4[i];
		paaaa[i] = &a6[i];
	}
	/* host 0: NXDOMAIN, dropped; host 1: timeouts; host 2 good via a
	   CNAME, without AD on its AAAA */
	answer_addrs(&a4[0], "gone.d.test", DNS_WIRE_TYPE_A,
	    DNS_WIRE_RCODE_NXDOMAIN, NULL, 1);
	answer_addrs(&a6[0], "gone.d.test", DNS_WIRE_TYPE_AAAA,
	    DNS_WIRE_RCODE_NXDOMAIN, NULL, 1);
	memset(&a4[1], 0, sizeof(a4[1]));
	plan_answer_fail(&a4[1].r, "timeout");
	memset(&a6[1], 0, sizeof(a6[1]));
	plan_answer_fail(&a6[1].r, "timeout");
	begin(&p, "mx.d.test", DNS_WIRE_TYPE_A, 0, F_AD);
	cname(&p, "mx.d.test", "real.d.test", 500);
	addr(&p, "real.d.test", one[0], 700);
	(void)plan_answer_addr(p.b, p.n, "mx.d.test", DNS_WIRE_TYPE_A, 1,
	    &a4[2]);
	answer_addrs(&a6[2], "mx.d.test", DNS_WIRE_TYPE_AAAA, 0, NULL, 0);
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_OK);
	assert_int_equal(plan.p.nhosts, 2);
	/* the records say 90 s, but slow.d.test is only missing for now */
	assert_int_equal(plan.p.ttl, PLAN_TEMP_TTL);
	assert_string_equal(plan.h[0].name, "slow.d.test");
	assert_int_equal(plan.h[0].index, 0);
	assert_int_equal(plan.h[0].naddr, 0);
	assert_string_equal(plan.h[0].text,
	    "temporary DNS failure: A lookup of slow.d.test: timeout");
	assert_string_equal(plan.h[1].name, "mx.d.test");
	assert_int_equal(plan.h[1].index, 1);
	assert_string_equal(plan.addr_name[1], "real.d.test");
	assert_int_equal(plan.h[1].naddr, 1);
	assert_int_equal(plan.h[1].port, 25);
	assert_int_equal(plan.h[1].requirement, IPC_REQ_ENCRYPT);
	assert_string_equal(plan.h[1].policy, "encrypt");
	assert_string_equal(plan.h[1].policy_src, "floor");
	assert_int_equal(plan.h[1].mx_ad, 1);
	assert_int_equal(plan.h[1].addr_ad, 0);
	assert_int_equal(plan.h[1].auth, 0);
	/* every host failing temporarily: defer 4.4.3 */
	tg.n = 2;
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_DEFER);
	assert_string_equal(plan.p.dsn, "4.4.3");
	assert_string_equal(plan.p.text,
	    "temporary DNS failure: A lookup of slow.d.test: timeout");
	assert_int_equal(plan.p.nhosts, 0);
	assert_int_equal(plan.p.ttl, 0);
	/* the implicit MX without A or AAAA: bounce 5.1.2 */
	memset(&tg, 0, sizeof(tg));
	tg.n = 1;
	tg.implicit = 1;
	tg.ttl = 60;
	(void)strlcpy(tg.t[0].name, "d.test", sizeof(tg.t[0].name));
	answer_addrs(&a4[0], "d.test", DNS_WIRE_TYPE_A, 0, NULL, 0);
	answer_addrs(&a6[0], "d.test", DNS_WIRE_TYPE_AAAA, 0, NULL, 0);
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_BOUNCE);
	assert_int_equal(plan.p.code, 550);
	assert_string_equal(plan.p.dsn, "5.1.2");
	assert_string_equal(plan.p.text, "d.test has no MX or address");
	assert_int_equal(plan.p.ttl, 60);
	/* ... with an address: its one host */
	answer_addrs(&a4[0], "d.test", DNS_WIRE_TYPE_A, 0, two, 0);
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_OK);
	assert_int_equal(plan.p.nhosts, 1);
	assert_string_equal(plan.h[0].name, "d.test");
	/* a verdict from the first half passes through */
	plan_verdict_set(&tg.v, IPC_PLAN_BOUNCE, 550, "5.1.10",
	    "Recipient address has null MX");
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_BOUNCE);
	assert_string_equal(plan.p.dsn, "5.1.10");
	assert_int_equal(plan.p.ttl, 60);
}

static void
test_build_relay(void **state)
{
	static const char *const v4[] = { "192.0.2.25", NULL };
	struct route_table tab;
	struct route_decision d;
	struct plan_targets tg;
	struct plan_addr_answer a4, a6;
	const struct plan_addr_answer *pa[1], *paaaa[1];
	static struct plan plan;
	static const char text[] = "d.test fingerprint "
	    "match=sha256:0000000000000000000000000000000000000000000000000000"
	    "000000000001\n"
	    "lit.test cleartext-ok relay=[2001:db8::25]:2525\n";
	char err[256], buf[INET6_ADDRSTRLEN];
	struct route_nexthop rh;

	(void)state;
	assert_int_equal(route_table_parse(text, sizeof(text) - 1, "t", &tab,
	    err, sizeof(err)), 0);
	assert_int_equal(route_nexthop_parse("[smtp.isp.test]:587", 19, &rh),
	    0);
	/* relayhost: the table's fingerprint applies to the relay */
	assert_int_equal(route_decide(&tab, "d.test", &rh, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &d), 0);
	assert_int_equal(plan_targets("d.test", &d, NULL, "me.test", &tg),
	    IPC_PLAN_OK);
	answer_addrs(&a4, "smtp.isp.test", DNS_WIRE_TYPE_A, 0, v4, 1);
	answer_addrs(&a6, "smtp.isp.test", DNS_WIRE_TYPE_AAAA, 0, NULL, 1);
	pa[0] = &a4;
	paaaa[0] = &a6;
	assert_int_equal(plan_build("d.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_OK);
	assert_string_equal(plan.h[0].name, "smtp.isp.test");
	assert_int_equal(plan.h[0].port, 587);
	assert_int_equal(plan.h[0].auth, 1);
	assert_int_equal(plan.h[0].requirement, IPC_REQ_FINGERPRINT);
	assert_string_equal(plan.h[0].policy_src, "table");
	assert_int_equal(plan.h[0].nfp, 1);
	assert_int_equal(plan.h[0].fp[0][31], 1);
	assert_int_equal(plan.h[0].mx_ad, 0);
	assert_int_equal(plan.h[0].addr_ad, 1);
	/* a literal relay needs no lookup; the family still applies */
	assert_int_equal(route_decide(&tab, "lit.test", &rh, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &d), 0);
	assert_int_equal(plan_targets("lit.test", &d, NULL, "me.test", &tg),
	    IPC_PLAN_OK);
	pa[0] = paaaa[0] = NULL;
	assert_int_equal(plan_build("lit.test", &d, &tg, pa, paaaa,
	    PLAN_AF_ANY, &plan), IPC_PLAN_OK);
	assert_int_equal(plan.h[0].naddr, 1);
	assert_string_equal(ipstr(&plan.h[0].addr[0], buf), "2001:db8::25");
	assert_int_equal(plan.h[0].port, 2525);
	assert_int_equal(plan.h[0].requirement, IPC_REQ_CLEARTEXT_OK);
	assert_string_equal(plan.h[0].policy, "cleartext-ok");
	assert_int_equal(plan.h[0].auth, 0);
	assert_int_equal(plan_build("lit.test", &d, &tg, pa, paaaa,
	    PLAN_AF_IPV4, &plan), IPC_PLAN_DEFER);
	assert_string_equal(plan.p.dsn, "4.4.4");
	route_table_free(&tab);
}

/* verify's match= names: the words become the host's and domain's names */
static void
test_build_match(void **state)
{
	static const char *const v4[] = { "192.0.2.25", NULL };
	static const char text[] = "m.test verify "
	    "match=hostname:nexthop:dot-nexthop:.x.example\n";
	static struct plan plan;
	struct route_table tab;
	struct route_decision d;
	struct plan_targets tg;
	struct plan_addr_answer a4, a6;
	const struct plan_addr_answer *pa[1], *paaaa[1];
	char err[256];

	(void)state;
	assert_int_equal(route_table_parse(text, sizeof(text) - 1, "t", &tab,
	    err, sizeof(err)), 0);
	assert_int_equal(route_decide(&tab, "m.test", NULL, IPC_REQ_VERIFY,
	    IPC_REQ_ENCRYPT, &d), 0);
	d.hop.nomx = 1;		/* the domain itself, no MX answer needed */
	assert_int_equal(plan_targets("m.test", &d, NULL, "me.test", &tg),
	    IPC_PLAN_OK);
	answer_addrs(&a4, "m.test", DNS_WIRE_TYPE_A, 0, v4, 1);
	answer_addrs(&a6, "m.test", DNS_WIRE_TYPE_AAAA, 0, NULL, 1);
	pa[0] = &a4;
	paaaa[0] = &a6;
	assert_int_equal(plan_build("m.test", &d, &tg, pa, paaaa, PLAN_AF_ANY,
	    &plan), IPC_PLAN_OK);
	assert_int_equal(plan.h[0].requirement, IPC_REQ_VERIFY);
	assert_int_equal(plan.h[0].nmatch, 4);
	assert_string_equal(plan.h[0].match[0], "m.test");
	assert_string_equal(plan.h[0].match[1], "m.test");
	assert_string_equal(plan.h[0].match[2], ".m.test");
	assert_string_equal(plan.h[0].match[3], ".x.example");
	route_table_free(&tab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_rcodes),
		cmocka_unit_test(test_answer_malformed),
		cmocka_unit_test(test_answer_ad_ttl),
		cmocka_unit_test(test_answer_cname),
		cmocka_unit_test(test_answer_tlsa),
		cmocka_unit_test(test_answer_txt),
		cmocka_unit_test(test_mx_sort),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_build_family),
		cmocka_unit_test(test_build_hosts),
		cmocka_unit_test(test_build_relay),
		cmocka_unit_test(test_build_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
