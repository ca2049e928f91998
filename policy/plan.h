/*
 * plan.h: the pure half of resolving a destination domain into a plan
 * for smtpout (doc/design.md §8): reading the raw MX, A and AAAA answers
 * (CNAME chains inside an answer followed, at most PLAN_CNAME_MAX links;
 * NXDOMAIN, NODATA and temporary failures told apart; the TTL to cache
 * for, negative TTLs from the SOA, RFC 2308 §5), ordering the MX RRset
 * (RFC 5321 §5.1: by preference, random among equals, the randomness an
 * input), the null MX (RFC 7505), the implicit MX, the loop to ourselves,
 * and the plan itself: the hosts in order with their addresses filtered
 * by address family, their requirement (policy/route.h), and the AD bits
 * the DANE issue will use; or a deferral or bounce with its status.
 * Pure: no I/O, no allocation. Linked by the policy process and
 * tests/unit/test_policy_plan.
 */
#ifndef SEALPOST_PLAN_H
#define SEALPOST_PLAN_H

/* Seconds a plan may be reused when one of its lookups failed for now. */
#define PLAN_TEMP_TTL	60

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "route.h"

#define PLAN_CNAME_MAX		8	/* links followed in one answer */
#define PLAN_MX_MAX		64	/* MX records kept from one answer */
#define PLAN_NAME_MAX		(IPC_DOMAIN_MAX + 1)
#define PLAN_TTL_MAX		86400	/* cache a plan at most a day */
#define PLAN_NEG_TTL_DEFAULT	300	/* negative answer without SOA */

/* What one lookup (one name, one type) gave. */
enum plan_dns {
	PLAN_DNS_RECORDS = 0,	/* records of the type asked for */
	PLAN_DNS_NODATA,	/* the name exists, no such records */
	PLAN_DNS_NXDOMAIN,	/* the name (or the CNAME's end) does not exist */
	PLAN_DNS_TEMP,		/* SERVFAIL, REFUSED, timeout, malformed, a
				   CNAME loop or an over-long chain */
};

enum plan_af {
	PLAN_AF_ANY = 0,	/* IPv4 addresses first, then IPv6 */
	PLAN_AF_IPV4,
	PLAN_AF_IPV6,
};

/* The common part of an answer. */
struct plan_rrset {
	int		status;		/* enum plan_dns */
	char		why[96];	/* TEMP: "SERVFAIL", "timeout", ... */
	int		ad;		/* AD set and trusted (loopback) */
	uint32_t	ttl;		/* min TTL of what was used, or the
					   negative TTL; capped */
	char		owner[PLAN_NAME_MAX];	/* the name at the end of the
						   CNAME chain */
	unsigned	ncname;		/* CNAME links followed */
};

struct plan_mx {
	uint16_t	pref;
	char		host[PLAN_NAME_MAX];	/* lower case; "." null MX */
};

struct plan_mx_answer {
	struct plan_rrset r;
	size_t		nmx;
	struct plan_mx	mx[PLAN_MX_MAX];
	unsigned	skipped;	/* records not usable as host names */
};

struct plan_addr_answer {
	struct plan_rrset r;
	size_t		naddr;
	struct ipc_plan_addr addr[IPC_PLAN_ADDRS_MAX];
};

/*
 * Reads the raw MX answer pkt[0..len) to the query for qname: checks the
 * question, follows a CNAME chain, collects the MX records of the final
 * owner. trust_ad says whether the resolver is on loopback (else AD is
 * never believed, doc/design.md §8). Always fills *out; returns its
 * status (enum plan_dns). Pure.
 */
int	plan_answer_mx(const uint8_t *pkt, size_t len, const char *qname,
	    int trust_ad, struct plan_mx_answer *out);
/*
 * As plan_answer_mx for qtype A or AAAA (DNS_WIRE_TYPE_A/AAAA): the
 * addresses of the final owner, at most IPC_PLAN_ADDRS_MAX.
 */
int	plan_answer_addr(const uint8_t *pkt, size_t len, const char *qname,
	    uint16_t qtype, int trust_ad, struct plan_addr_answer *out);
/* One TLSA record of an answer; its data in the answer's pool. */
struct plan_tlsa_rec {
	uint8_t		usage, selector, mtype;
	size_t		off, len;	/* pool[off .. off+len) */
};

#define PLAN_TLSA_RECS_MAX	(2 * IPC_PLAN_TLSA_MAX)
#define PLAN_TLSA_POOL		IPC_PAYLOAD_MAX

struct plan_tlsa_answer {
	struct plan_rrset r;
	size_t		n;		/* records kept, usable or not */
	unsigned	malformed;	/* records dns_wire refused (a digest
					   of the wrong length): unusable */
	struct plan_tlsa_rec rec[PLAN_TLSA_RECS_MAX];
	size_t		used;
	uint8_t		pool[PLAN_TLSA_POOL];
};

#define PLAN_TXT_MAX		8	/* TXT records kept */
#define PLAN_TXT_LEN		1024	/* bytes kept of each */

struct plan_txt_answer {
	struct plan_rrset r;
	size_t		n;
	size_t		len[PLAN_TXT_MAX];
	char		txt[PLAN_TXT_MAX][PLAN_TXT_LEN];
	unsigned	skipped;	/* records over PLAN_TXT_LEN or past
					   PLAN_TXT_MAX */
};

/*
 * Reads a raw TLSA answer (qname "_25._tcp.host"): the records of the
 * final owner (RFC 7672 §2.2.3: a CNAME'd TLSA name is followed) with
 * their data. A record dns_wire refuses (a digest of the wrong length)
 * is counted in malformed, as unusable. More records than
 * PLAN_TLSA_RECS_MAX or data past PLAN_TLSA_POOL is a temporary failure
 * (never a silent drop that could leave only unusable records).
 * Returns out->r.status. Pure.
 */
int	plan_answer_tlsa(const uint8_t *pkt, size_t len, const char *qname,
	    int trust_ad, struct plan_tlsa_answer *out);
/*
 * Reads a raw TXT answer: each record's strings concatenated (RFC 8461
 * §3.1), at most PLAN_TXT_MAX records of PLAN_TXT_LEN bytes kept, the
 * rest counted in skipped. Returns out->r.status. Pure.
 */
int	plan_answer_txt(const uint8_t *pkt, size_t len, const char *qname,
	    int trust_ad, struct plan_txt_answer *out);

/* Marks r as a temporary failure (no answer: timeout, ...), why copied. */
void	plan_answer_fail(struct plan_rrset *r, const char *why);

/*
 * Orders the MX records by preference, and among equal preferences by
 * rnd[i] (one random number per record as it sits in out->mx before the
 * call; equal numbers keep the answer's order). Pure, deterministic.
 */
void	plan_mx_sort(struct plan_mx_answer *, const uint32_t *rnd);

/* One host to resolve, in plan order. */
struct plan_target {
	char		name[PLAN_NAME_MAX];
	uint16_t	pref;
	int		literal;	/* name is an IP address */
};

/* The verdict of a plan or of its first half. */
struct plan_verdict {
	int		status;		/* enum ipc_plan_status */
	int		code;
	char		dsn[16];
	char		text[256];
};

/* The first half: which hosts, after the MX lookup (or without one). */
struct plan_targets {
	struct plan_verdict v;		/* OK: n targets to resolve */
	uint32_t	ttl;		/* of the MX answer used */
	int		mx_ad;
	int		implicit;	/* no MX: the name itself */
	size_t		n;
	struct plan_target t[IPC_PLAN_HOSTS_MAX];
};

/*
 * Decides the hosts for domain routed by d: the MX answer mx (sorted;
 * NULL when d->hop.nomx: the hop itself), the null MX (bounce 5.1.10, or
 * defer 4.4.3 for a relay), NXDOMAIN (bounce 5.1.2, or defer 4.4.3 for a
 * relay: an admin's typo must not bounce mail), a temporary failure
 * (defer 4.4.3), NODATA (the implicit MX), the loop (an MX host equal to
 * myhostname: at the best preference defer 4.4.6, else the hosts from
 * its preference on are dropped). Returns v.status. Pure.
 */
int	plan_targets(const char *domain, const struct route_decision *d,
	    const struct plan_mx_answer *mx, const char *myhostname,
	    struct plan_targets *out);

/* A plan: the answer and its hosts as they go to smtpout. */
struct plan {
	struct ipc_plan		p;	/* req is the caller's to set */
	struct ipc_plan_host	h[IPC_PLAN_HOSTS_MAX];
	/* the name the addresses were found at (CNAME-expanded), per host:
	   the TLSA base of the DANE issue; ipc_plan_host has no field yet */
	char			addr_name[IPC_PLAN_HOSTS_MAX][PLAN_NAME_MAX];
};

/*
 * Builds the plan from the targets and the answers of each target's A
 * and AAAA lookups (a[i], aaaa[i]; NULL where the family excludes it or
 * the target is literal). Hosts whose name does not exist are dropped;
 * hosts without a usable address stay with naddr 0 and a text. The plan
 * is OK when any host has an address; else DEFER 4.4.3 when a lookup
 * failed temporarily, BOUNCE 5.1.2 for an implicit MX without A or AAAA
 * (family any), else DEFER 4.4.4. ttl: the least TTL used (OK, BOUNCE;
 * at most PLAN_TEMP_TTL when a lookup failed for now), 0 for DEFER.
 * Returns p.status. Pure.
 */
int	plan_build(const char *domain, const struct route_decision *d,
	    const struct plan_targets *tg,
	    const struct plan_addr_answer *const *a,
	    const struct plan_addr_answer *const *aaaa, int family,
	    struct plan *out);

/* A plan that is only a verdict (nhosts 0, ttl 0 unless OK). */
void	plan_from_verdict(const struct plan_verdict *, uint32_t ttl,
	    struct plan *out);

/*
 * Sets a verdict: status, code, dsn and the text formatted (truncated to
 * fit). Pure.
 */
void	plan_verdict_set(struct plan_verdict *, int status, int code,
	    const char *dsn, const char *fmt, ...)
	    __attribute__((__format__(printf, 5, 6)));

#endif
