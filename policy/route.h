/*
 * route.h: the administrator's table (tls_policy_file) and the choice of
 * the next hop and its TLS requirement for a destination domain
 * (doc/design.md §8, sealpost-policy(7) "The administrator's table"):
 * per-domain requirements, relay= routes with their port and whether the
 * relay's MX is looked up (Postfix's [host] convention), auth, and the
 * SHA-256 fingerprints of `fingerprint`; the global relayhost and the
 * floor when the table says nothing.
 * Pure: no I/O; the table is parsed from a buffer the caller read.
 * Linked by the policy process and tests/unit/test_route (later by
 * sealpostd -n to check the file).
 */
#ifndef SEALPOST_ROUTE_H
#define SEALPOST_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

#define ROUTE_NAME_MAX		254	/* a host name, NUL included */
#define ROUTE_FP_MAX		IPC_PLAN_FP_MAX
#define ROUTE_MATCH_MAX		IPC_PLAN_MATCH_MAX
#define ROUTE_FILE_MAX		(4 * 1024 * 1024)
#define ROUTE_ENTRIES_MAX	100000
#define ROUTE_PORT_DEFAULT	25

/* "default" in the table: no requirement of its own (relay= only). */
#define ROUTE_REQ_DEFAULT	0

/* A next hop: host, host:port, [host], [host]:port. */
struct route_nexthop {
	int		set;		/* 0: none (no relayhost) */
	char		host[ROUTE_NAME_MAX];	/* lower case, no brackets */
	uint16_t	port;		/* 25 unless given */
	int		nomx;		/* [host] or an IP address: connect
					   to its A/AAAA, no MX lookup */
	int		literal;	/* host is an IP address */
};

struct route_entry {
	char		domain[ROUTE_NAME_MAX];	/* lower case, no dots
						   around it */
	int		subdomains;	/* ".example.org": every name below,
					   not the domain itself */
	int		requirement;	/* enum ipc_req, or ROUTE_REQ_DEFAULT */
	struct route_nexthop relay;	/* relay.set: relay= given */
	int		auth;
	int		audit_only;	/* "audit-only", alone or after the
					   requirement (doc/design.md §8) */
	unsigned	nfp;
	uint8_t		fp[ROUTE_FP_MAX][32];
	unsigned	nmatch;		/* verify match=NAME:... */
	char		match[ROUTE_MATCH_MAX][ROUTE_NAME_MAX];	/* a name,
					   ".suffix", "hostname", "nexthop"
					   or "dot-nexthop" */
	int		line;
};

struct route_table {
	struct route_entry	*entries;	/* owned; route_table_free */
	size_t			 n;
};

/* Where mail for one domain goes and what its TLS session must prove. */
struct route_decision {
	struct route_nexthop	 hop;	/* the domain itself (MX lookup,
					   port 25) unless relayed */
	int			 relayed;	/* hop is a relay, not the
						   domain's own MX */
	int			 requirement;	/* enum ipc_req */
	const char		*policy;	/* the out line's policy= */
	const char		*policy_src;	/* "table", "relayhost",
						   "floor" */
	int			 auth;
	int			 audit_only;	/* the entry says audit-only:
						   failures are logged as
						   would_defer=, not enforced
						   (over TLS) */
	int			 audit_cleartext;	/* audit-only with
						   cleartext-ok: cleartext
						   is tolerated too */
	unsigned		 nfp;
	uint8_t			 fp[ROUTE_FP_MAX][32];
	unsigned		 nmatch;	/* verify: the entry's names */
	char			 match[ROUTE_MATCH_MAX][ROUTE_NAME_MAX];
};

/*
 * Parses "host", "host:port", "[host]" or "[host]:port" (s[0..len), host
 * a DNS name or an IP address; an IPv6 address only in brackets) into
 * *out (set = 1, port 25 unless given, nomx for brackets or an address).
 * Returns 0, or -1 when malformed (out is then cleared).
 */
int	route_nexthop_parse(const char *s, size_t len,
	    struct route_nexthop *out);

/*
 * Parses the table text[0..len) (named fname in messages) into *out,
 * which the caller frees with route_table_free (also after a failure).
 * Returns 0, or -1 with "fname:line: what is wrong; what is allowed" in
 * err[0..errlen) (the first error only). Refuses NUL bytes, a text over
 * ROUTE_FILE_MAX, more than ROUTE_ENTRIES_MAX entries, bad domains,
 * unknown requirements or options, duplicate domains, relay= twice or
 * malformed, auth without relay=, default without relay=, fingerprint
 * without match=, match=sha256: without fingerprint, digests that are
 * not sha256 and 64 hex digits, more than ROUTE_FP_MAX of them;
 * match=NAME[:NAME...] is for verify only (at most ROUTE_MATCH_MAX names:
 * DNS names, ".suffix", or the words hostname, nexthop, dot-nexthop).
 * "audit-only" is a requirement of its own (the domain's usual sources
 * decide) or an option after any requirement; given twice it is refused.
 */
int	route_table_parse(const char *text, size_t len, const char *fname,
	    struct route_table *out, char *err, size_t errlen);
/* Frees what route_table_parse allocated; the table is empty after. */
void	route_table_free(struct route_table *);

/*
 * The entry for domain (lower or mixed case, an optional trailing dot):
 * the exact entry, else the subdomain entry with the longest suffix.
 * Returns NULL when none applies; the pointer borrows the table.
 */
const struct route_entry *route_lookup(const struct route_table *,
	    const char *domain);

/*
 * Decides the hop and the requirement for domain (doc/design.md §8):
 * the table's relay= (requirement from the entry, or the floor for
 * `default`), else the relayhost when set (the entry's requirement, else
 * relayhost_req; auth), else the domain's own MX with the entry's
 * requirement or the floor. floor_req and relayhost_req are enum ipc_req
 * (ENCRYPT or VERIFY). An audit-only entry sets audit_only; without a
 * requirement of its own, or with cleartext-ok (then audit_cleartext),
 * the requirement is the one the entry would leave: the floor or
 * relayhost_req (policy_src floor or relayhost, so that DANE, MTA-STS
 * and the memory apply as usual). Returns 0, or -1 when domain is too
 * long.
 */
int	route_decide(const struct route_table *, const char *domain,
	    const struct route_nexthop *relayhost, int relayhost_req,
	    int floor_req, struct route_decision *out);

/* The policy= word of a requirement ("encrypt", ...), "?" if unknown. */
const char *route_req_name(int requirement);

#endif
