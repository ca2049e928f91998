/*
 * auth_limit.h: brute-force limits for SMTP AUTH (issue 12): failure
 * counters per client address and per login over a sliding window, in a
 * table of fixed size, deciding whether an attempt may go on, how long a
 * failed one is delayed, and when a client is cut off.  Pure: the time
 * is an argument, nothing is logged (the caller logs *why once).  Linked
 * by smtpin (planned; doc/design.md §6).
 *
 * Decisions:
 *   - IPv4 addresses count one by one, IPv6 ones by their /64 (one
 *     customer's network: counting single IPv6 addresses limits nothing).
 *   - Logins count with ASCII letters folded to lower case, so that
 *     "Alice" and "alice" share their failures whatever the backend does.
 *   - The window slides: the count is this window's failures plus the
 *     previous window's weighted by how much of it still overlaps (the
 *     usual two-bucket estimate; exact enough, O(1) and 40 octets a key).
 *   - Each failure is delayed delay_ms * 2^(n-1), at most delay_max_ms,
 *     n being the larger of the two counts; when a count reaches its
 *     maximum the client gets 421 4.7.0 and is cut off, and further
 *     attempts of that address, or with that login, are refused until
 *     the count falls (the window slides on).  A login limit locks the
 *     login out for everyone for a while: the price of stopping a slow
 *     attack spread over many addresses (hence a higher default).
 *   - A success forgets the login's failures, not the address's (one
 *     account of the attacker's own must not wipe its record).
 *   - The table holds `slots` keys, as 64-bit keyed hashes (SipHash-2-4
 *     with the caller's random key: no login or address is stored, and
 *     collisions cannot be chosen); a new key takes a free or expired slot
 *     among 8 candidates, else evicts the least recently used of them.
 *     Flooding the table with new addresses can evict an attacker's own
 *     record: the bound on memory is worth more.
 */
#ifndef SEALPOST_AUTH_LIMIT_H
#define SEALPOST_AUTH_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

struct auth_limit_conf {
	uint64_t	window_ms;	/* auth_fail_window */
	unsigned	ip_max;		/* auth_fail_max_per_ip; 0: no limit */
	unsigned	login_max;	/* auth_fail_max_per_login; 0: none */
	unsigned	delay_ms;	/* auth_fail_delay: the first delay */
	unsigned	delay_max_ms;	/* auth_fail_delay_max */
	size_t		slots;		/* auth_fail_table_size, >= 8 */
	uint64_t	key[2];		/* random, for the keyed hash */
};

enum auth_limit_verdict {
	AUTH_LIMIT_OK = 0,	/* go on */
	AUTH_LIMIT_DELAY,	/* wait *delay_ms, then answer 535 */
	AUTH_LIMIT_REFUSE	/* (wait *delay_ms,) 421 4.7.0, close */
};

/* The client's address: AF_INET with 4 octets or AF_INET6 with 16. */
struct auth_limit_addr {
	int		af;
	unsigned char	a[16];
};

struct auth_limit;

/*
 * Makes a table.  Returns it (the caller frees it with auth_limit_free),
 * or NULL when c is not sensible (window 0, slots < 8 or over 2^24,
 * delay_max_ms < delay_ms) or memory runs out.
 */
struct auth_limit	*auth_limit_new(const struct auth_limit_conf *c);
void			 auth_limit_free(struct auth_limit *al);

/*
 * Before an attempt: at AUTH with login NULL (the address alone), and
 * again once the exchange yields the login, before the backend is asked.
 * Returns AUTH_LIMIT_OK or AUTH_LIMIT_REFUSE with *why (421 4.7.0 and
 * what was exceeded, for the reply and the log).  Changes nothing but the
 * entries' ageing.
 */
enum auth_limit_verdict	auth_limit_check(struct auth_limit *al, uint64_t now_ms,
			    const struct auth_limit_addr *ip, const char *login,
			    size_t loginlen, struct reason *why);

/*
 * Counts a failed attempt (the backend said no; login may be NULL when
 * the exchange failed before one was known).  Sets *delay_ms and returns
 * AUTH_LIMIT_DELAY, or AUTH_LIMIT_REFUSE with *why (421 4.7.0) when this
 * failure reached a maximum.
 */
enum auth_limit_verdict	auth_limit_fail(struct auth_limit *al, uint64_t now_ms,
			    const struct auth_limit_addr *ip, const char *login,
			    size_t loginlen, unsigned *delay_ms,
			    struct reason *why);

/* A successful attempt: the login's failures are forgotten. */
void	auth_limit_success(struct auth_limit *al, uint64_t now_ms,
	    const struct auth_limit_addr *ip, const char *login,
	    size_t loginlen);

#endif
