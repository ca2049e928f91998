/*
 * policyd.h: the policy process (doc/design.md §8): it resolves a
 * destination domain into a plan for smtpout. Three layers, each using
 * only the ones below: dns (c-ares driven by the event loop, raw
 * answers), lookup (one lookup per domain shared by every request for
 * it, the plan cache), main (the master and smtpout channels).
 * The decisions themselves are pure and live in policy/route.c and
 * policy/plan.c.
 * Linked by the policy binary.
 */
#ifndef SEALPOST_POLICYD_H
#define SEALPOST_POLICYD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/loop.h"
#include "policy/plan.h"
#include "policy/route.h"
#include "policy/sts_policy.h"
#include "policy/verdict.h"
#include "policyd_fetch.h"

/* ---- dns: c-ares on the loop (policyd_dns.c) ---- */

struct policyd_dns;

/*
 * The answer to one query: abuf[0..alen) the raw answer, or err (a short
 * word: "timeout", "SERVFAIL", "REFUSED", "no resolver", ...) and abuf
 * NULL. abuf is valid during the call only.
 */
typedef void (*policyd_dns_cb)(void *arg, const uint8_t *abuf, size_t alen,
    const char *err);

/*
 * Creates the resolver: reads /etc/resolv.conf (so call before chroot)
 * and, when server is not NULL ("address[:port]", an IPv6 address in
 * brackets when it has a port), uses exactly that server. Returns the
 * resolver, or NULL with a message in err.
 */
struct policyd_dns *policyd_dns_new(struct loop *, const char *server,
	    char *err, size_t errlen);
/* 1 when every server is on loopback: only then is AD believed. */
int	policyd_dns_trusted(const struct policyd_dns *);
/* The servers, for the log ("127.0.0.1:53"). */
const char *policyd_dns_servers(const struct policyd_dns *);
/*
 * Sends a query for name and qtype (RD, EDNS0 with DO, a random ID) and
 * calls cb exactly once, possibly before this returns (a name that
 * cannot be asked for, out of memory).
 */
void	policyd_dns_query(struct policyd_dns *, const char *name,
	    uint16_t qtype, policyd_dns_cb cb, void *arg);

/* The hash of a domain name for the process's tables (djb2). */
size_t	policyd_name_hash(const char *);

/* ---- MTA-STS discovery and its cache (policyd_sts.c) ---- */

struct policyd_sts;

/* What MTA-STS says for a domain now. */
struct policyd_sts_state {
	int			have;		/* a policy applies (any mode) */
	struct sts_policy	policy;
	char			id[STS_ID_MAX + 1];	/* of the policy */
	char			txt_id[STS_ID_MAX + 1];	/* in DNS now */
	int			record;		/* enum sts_record_status */
	int64_t			fetched, expires;
	char			how[16];	/* "cached", "fetched", "" */
	int			changed;	/* fetched just now */
	char			failure[64];	/* RFC 8460 type, or "" */
	char			detail[160];
};

typedef void (*policyd_sts_cb)(void *arg, const struct policyd_sts_state *);

/*
 * Creates the MTA-STS layer; dirfd (the process's directory, or -1: no
 * disk cache) holds sts/. Reads the cached policies. fatal() when out
 * of memory.
 */
struct policyd_sts *policyd_sts_new(struct loop *, struct policyd_dns *,
	    struct policyd_fetch *, int dirfd);
/*
 * Finds the policy of domain (RFC 8461 §5.1): the TXT record, the cache,
 * a fetch when the id is new. cb is called once, possibly before this
 * returns; requests for a domain whose discovery runs share it.
 */
void	policyd_sts_discover(struct policyd_sts *, const char *domain,
	    policyd_sts_cb, void *arg);
/* The unexpired cached entry of domain, or NULL; borrowed. */
const struct sts_cache_entry *policyd_sts_peek(struct policyd_sts *,
	    const char *domain);

/* ---- the downgrade memory (policyd_memory.c) ---- */

struct policyd_memory;

struct policyd_memory_entry {
	char		domain[PLAN_NAME_MAX];
	int		level;		/* enum ipc_req: DANE, MTA_STS,
					   ENCRYPT */
	int64_t		first;		/* learned at this level */
	int64_t		last;		/* last met */
};

/*
 * Reads dirfd's "memory" (dirfd -1: in memory only); lifetime 0: off;
 * untrusted: the resolver is off loopback (said on every policy line).
 */
struct policyd_memory *policyd_memory_new(struct loop *, int dirfd,
	    unsigned lifetime, int untrusted);
/*
 * Writes a `policy` line about the memory (doc/design.md §9): domain,
 * src, memory=level, result, and mx= and policy= when not NULL.
 */
void	policyd_memory_said(const char *domain, const char *src,
	    const char *level, const char *result, const char *mx,
	    const char *policy, int untrusted);
/* The live entry of domain, or NULL (an aged-out one is dropped). */
const struct policyd_memory_entry *policyd_memory_get(
	    struct policyd_memory *, const char *domain);
/* A delivery met level (enum ipc_req); the memory keeps the strongest. */
void	policyd_memory_met(struct policyd_memory *, const char *domain,
	    int level);
/* Drops domain's entry: 0, or -1 when there was none. */
int	policyd_memory_forget(struct policyd_memory *, const char *domain);
/* Writes a pending change now. */
void	policyd_memory_flush(struct policyd_memory *);
/* "dane", "mta-sts", "encrypt" or "none". */
const char *policyd_memory_word(int level);

/* ---- TLS report counters (policyd_tlsrpt.c, RFC 8460) ---- */

struct policyd_tlsrpt;

/*
 * Opens (makes) dirfd's tlsrpt/ (dirfd -1: counted in memory only) and
 * reads today's file back. Call after the privilege drop: the files are
 * the policy user's. fatal() when out of memory.
 */
struct policyd_tlsrpt *policyd_tlsrpt_new(struct loop *, int dirfd);
/*
 * Counts one session of smtpout's (IPC_PLAN_SESSION): domain (a valid
 * lower-case host name), type (enum tlsrpt_type), the MX host, its
 * address ("" none), failure ("" success, else an RFC 8460 type).
 * Invalid fields are not counted; a day past its limit counts the
 * session as dropped (logged once a day).
 */
void	policyd_tlsrpt_session(struct policyd_tlsrpt *, const char *domain,
	    int type, const char *mx, const char *ip, const char *failure);
/* Writes a pending change now. */
void	policyd_tlsrpt_flush(struct policyd_tlsrpt *);

/* ---- lookup: plans and their cache (policyd_lookup.c) ---- */

#define POLICYD_CACHE_MAX	10000	/* domains */

/* What the process knows for all its lookups. */
struct policyd_cfg {
	const struct route_table	*table;
	struct route_nexthop		 relayhost;	/* .set 0: none */
	int				 relayhost_req;	/* enum ipc_req */
	int				 floor_req;
	int				 family;	/* enum plan_af */
	const char			*hostname;
	struct policyd_sts		*sts;
	struct policyd_memory		*memory;
};

/*
 * Called when a plan is ready: for every request that waited for it.
 * plan->p.req is 0; the callee sets its own. ttl is what is left of the
 * plan's life in seconds. tlsa[0..tlsalen): the IPC_PLAN_TLSA payloads
 * of its hosts in host order, each preceded by its length as a uint32_t
 * (unaligned: memcpy it).
 */
typedef void (*policyd_plan_cb)(void *arg, uint64_t req, uint32_t tag,
    const struct plan *plan, const uint8_t *tlsa, size_t tlsalen);

/* Called with the text of a sealpost policy query. */
typedef void (*policyd_explain_cb)(void *arg, uint64_t ctl,
    const char *text, size_t len, int status);

struct policyd_lookups;

/* Creates the lookup layer; fatal() when out of memory (setup). */
struct policyd_lookups *policyd_lookups_new(struct loop *,
	    struct policyd_dns *, const struct policyd_cfg *,
	    policyd_plan_cb, void *arg);
/*
 * Asks for the plan of domain (a valid host name, lower case) on behalf
 * of request req (tag: the caller's channel generation, returned with
 * the answer). The answer comes through the callback, at once from the
 * cache or later; requests for a domain whose lookup runs join it.
 * Returns 0, or -1 when out of memory (nothing will be called).
 */
int	policyd_lookup(struct policyd_lookups *, const char *domain,
	    uint64_t req, uint32_t tag);
/*
 * Resolves domain afresh (no plan cache) for sealpost policy and calls
 * cb with the explanation (policyd_explain.c): mode 0 text, 1 JSON, 2
 * JSON with this host kept among the MX hosts instead of the loop's
 * deferral (sealpost check --self judges its own MX, doc/design.md §8).
 */
void	policyd_lookup_explain(struct policyd_lookups *, const char *domain,
	    uint64_t ctl, int mode, policyd_explain_cb cb, void *arg);
/*
 * Drops the cached plan of domain (its memory was forgotten); a lookup
 * of it under way still answers its requests but its plan is not
 * cached, and later requests start a new one. Nothing to drop is fine.
 */
void	policyd_lookup_forget(struct policyd_lookups *, const char *domain);
/*
 * sealpost requeue: as policyd_lookup_forget, and the next lookup of
 * domain writes its policy line whether or not anything changed.
 * Idempotent.
 */
void	policyd_lookup_requeue(struct policyd_lookups *,
	    const char *domain);
/* 1 when DANE is possible at all (the resolver is on loopback). */
int	policyd_lookup_dnssec(const struct policyd_lookups *);

/* ---- main (policyd_main.c) ---- */

/*
 * Answers the sealpost policy query ctl with text[0..len) (split into
 * IPC_POLICY_TEXT frames; the last carries status, enum in ipc_msg.h).
 */
void	policyd_ctl_reply(uint64_t ctl, const char *text, size_t len,
	    int status);

#endif
