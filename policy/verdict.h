/*
 * verdict.h: the precedence of doc/design.md §8 for one host of a plan:
 * what its TLS session must prove, and whether it may be used at all,
 * from the administrator's table (route.h), DANE (the host's TLSA
 * state), MTA-STS (the domain's policy mode and the host's match with
 * its mx patterns) and the downgrade memory. REQUIRETLS is the
 * message's, applied by smtpout on top. Pure: no I/O.
 * Linked by the policy process and tests/unit/test_verdict.
 */
#ifndef SEALPOST_VERDICT_H
#define SEALPOST_VERDICT_H

#include "route.h"

/* What DNS says about a host's TLSA records (RFC 7672 §2.2). */
enum verdict_dane {
	VERDICT_DANE_NONE = 0,	/* does not apply: insecure MX or
				   addresses, no (secure) TLSA RRset */
	VERDICT_DANE_USABLE,	/* secure, at least one usable record */
	VERDICT_DANE_UNUSABLE,	/* secure, none usable: encrypt */
	VERDICT_DANE_FAILED,	/* lookup failed or bogus under secure
				   addresses: the host cannot be used */
	VERDICT_DANE_OFF,	/* not looked up: the resolver is not on
				   loopback (dnssec=untrusted-resolver) */
	VERDICT_DANE_ABSENT,	/* secure addresses and a DNSSEC-proven
				   absence of TLSA records: the domain's
				   own choice for this host, which the
				   memory does not override (RFC 7672
				   §2.2: DANE is per host) */
};

/* The MTA-STS state of the domain (its own MX only). */
enum verdict_sts {
	VERDICT_STS_NONE = 0,	/* no policy, mode none, or not asked */
	VERDICT_STS_TESTING,
	VERDICT_STS_ENFORCE,
	VERDICT_STS_PUBLISHED_NONE,	/* the domain's policy says mode
					   none: no MTA-STS, and the memory's
					   MTA-STS entry is not applied */
};

struct verdict_in {
	const struct route_decision *d;
	int		sts;		/* enum verdict_sts */
	int		memory;		/* remembered enum ipc_req: DANE,
					   MTA_STS or ENCRYPT; 0 none */
};

struct verdict_host_in {
	int		dane;		/* enum verdict_dane */
	const char	*dane_why;	/* FAILED: what failed */
	int		sts_match;	/* the name matches an mx pattern */
	int		mx_secure;	/* the host came from a DNSSEC-secure
					   MX RRset (or no MX lookup) */
};

struct verdict_out {
	int		usable;		/* 0: skip the host; failure/text */
	int		requirement;	/* enum ipc_req */
	char		policy[16];	/* the out line's policy= */
	char		policy_src[16];
	int		sts_testing;
	int		raised;		/* the memory raised it (log it) */
	char		failure[64];	/* RFC 8460 type when !usable */
	char		text[128];
	int		audit_only;	/* the table's audit-only: smtpout
					   tries even a host that is not
					   usable and logs the failure as
					   would_defer= (over TLS) */
	int		audit_cleartext;	/* ... and may go on without
					   STARTTLS (cleartext-ok) */
};

/* 1 when the route's requirement came from the table's own entry. */
int	verdict_from_table(const struct route_decision *);

/*
 * Decides one host (doc/design.md §8): the table's requirement wins
 * (dane-only needs usable TLSA); else usable DANE gives dane (RFC 7672
 * §2.2.1 allows it under an insecure MX RRset; then an MTA-STS policy in
 * enforce mode must still list the host, since the MX name itself was
 * not authenticated), a failed
 * TLSA lookup makes the host unusable (dnssec-invalid), MTA-STS enforce
 * gives mta-sts or drops a host outside its mx patterns
 * (validation-failure), testing keeps the base requirement and marks
 * the host for reporting; the memory then raises what is weaker than
 * what the domain was reached with (DANE remembered: a host without
 * usable TLSA is unusable, dane-required, unless DNSSEC proves it has
 * none; MTA-STS remembered: PKIX and the name, unless the domain now
 * publishes testing or none). Only the domain's own MX gets MTA-STS and
 * the memory. Under the table's audit-only the verdict is the same
 * (usable, requirement, failure) and audit_only (audit_cleartext) is set:
 * what would be enforced is decided and logged as usual, and smtpout
 * delivers anyway (doc/design.md §8).
 */
void	verdict_host(const struct verdict_in *, const struct verdict_host_in *,
	    struct verdict_out *);

/* Rank of a requirement for the memory: 3 DANE, 2 PKIX, 1 TLS, 0. */
int	verdict_rank(int requirement);

#endif
