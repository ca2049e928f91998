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
};

/*
 * Called when a plan is ready: for every request that waited for it.
 * plan->p.req is 0; the callee sets its own. ttl is what is left of the
 * plan's life in seconds.
 */
typedef void (*policyd_plan_cb)(void *arg, uint64_t req, uint32_t tag,
    const struct plan *plan);

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

/* ---- main (policyd_main.c) ---- */

/*
 * Answers the sealpost policy query ctl with text[0..len) (split into
 * IPC_POLICY_TEXT frames; the last carries status, enum in ipc_msg.h).
 */
void	policyd_ctl_reply(uint64_t ctl, const char *text, size_t len,
	    int status);

#endif
