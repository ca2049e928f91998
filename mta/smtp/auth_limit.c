/*
 * auth_limit.c: failure counters for SMTP AUTH per address and per
 * login, sliding window, fixed-size table (the decisions are in
 * auth_limit.h).  Pure but for the one allocation of the table: the time
 * comes in as an argument (doc/design.md §1.5).  Linked by smtpin
 * (planned, issue 12).
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_limit.h"

#define AUTH_LIMIT_PROBE	8		/* candidate slots per key */
#define AUTH_LIMIT_SLOTS_MAX	(1UL << 24)
#define AUTH_LIMIT_WINDOW_MAX	(7ULL * 86400 * 1000)	/* a week */
#define AUTH_LIMIT_COUNT_MAX	(1U << 20)	/* counts saturate there */

enum auth_limit_kind {
	AUTH_LIMIT_KIND_IP = 1,
	AUTH_LIMIT_KIND_LOGIN = 2
};

struct auth_limit_slot {
	uint64_t	key;		/* keyed hash; 0: free */
	uint64_t	wstart;		/* start of the current window */
	uint64_t	last;		/* last use, for eviction */
	uint32_t	cur;		/* failures in the current window */
	uint32_t	prev;		/* failures in the one before */
};

struct auth_limit {
	struct auth_limit_conf	 c;
	struct auth_limit_slot	*slot;
};

/* SipHash-2-4 (Aumasson, Bernstein) of msg under key k. */
#define AUTH_LIMIT_ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define AUTH_LIMIT_SIPROUND(v0, v1, v2, v3) do {			\
	v0 += v1; v1 = AUTH_LIMIT_ROTL(v1, 13); v1 ^= v0;		\
	v0 = AUTH_LIMIT_ROTL(v0, 32);					\
	v2 += v3; v3 = AUTH_LIMIT_ROTL(v3, 16); v3 ^= v2;		\
	v0 += v3; v3 = AUTH_LIMIT_ROTL(v3, 21); v3 ^= v0;		\
	v2 += v1; v1 = AUTH_LIMIT_ROTL(v1, 17); v1 ^= v2;		\
	v2 = AUTH_LIMIT_ROTL(v2, 32);					\
} while (0)

static uint64_t
auth_limit_siphash(const uint64_t k[2], const unsigned char *m, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)len << 56, w;
	size_t i, j, full = len - len % 8;

	for (i = 0; i < full; i += 8) {
		w = 0;
		for (j = 0; j < 8; j++)
			w |= (uint64_t)m[i + j] << (8 * j);
		v3 ^= w;
		AUTH_LIMIT_SIPROUND(v0, v1, v2, v3);
		AUTH_LIMIT_SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	for (j = 0; j < len % 8; j++)
		b |= (uint64_t)m[full + j] << (8 * j);
	v3 ^= b;
	AUTH_LIMIT_SIPROUND(v0, v1, v2, v3);
	AUTH_LIMIT_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (j = 0; j < 4; j++)
		AUTH_LIMIT_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The key of an address (IPv6 by its /64) or of a folded login. */
static uint64_t
auth_limit_key(const struct auth_limit *al, enum auth_limit_kind kind,
    const struct auth_limit_addr *ip, const char *login, size_t loginlen)
{
	unsigned char m[1 + 256];
	size_t i, n;
	uint64_t h;

	m[0] = (unsigned char)kind;
	if (kind == AUTH_LIMIT_KIND_IP) {
		n = ip->af == AF_INET6 ? 8 : 4;
		m[1] = ip->af == AF_INET6 ? 6 : 4;
		memcpy(m + 2, ip->a, n);
		n += 2;
	} else {
		/* longer logins share the key of their first 255 octets */
		n = loginlen > 255 ? 255 : loginlen;
		for (i = 0; i < n; i++) {
			m[1 + i] = (unsigned char)login[i];
			if (m[1 + i] >= 'A' && m[1 + i] <= 'Z')
				m[1 + i] += 'a' - 'A';
		}
		n++;
	}
	h = auth_limit_siphash(al->c.key, m, n);
	return h == 0 ? 1 : h;		/* 0 marks a free slot */
}

/* Moves a slot's window up to now. */
static void
auth_limit_age(const struct auth_limit *al, struct auth_limit_slot *s,
    uint64_t now)
{
	uint64_t w = al->c.window_ms;

	if (now < s->wstart)		/* a clock that went back */
		s->wstart = now;
	if (now - s->wstart >= 2 * w) {
		s->prev = s->cur = 0;
		s->wstart = now;
	} else if (now - s->wstart >= w) {
		s->prev = s->cur;
		s->cur = 0;
		s->wstart += w;
	}
}

/* An idle slot: nothing counted in the last two windows. */
static int
auth_limit_idle(const struct auth_limit *al, const struct auth_limit_slot *s,
    uint64_t now)
{
	return s->key == 0 || (now >= s->last &&
	    now - s->last >= 2 * al->c.window_ms);
}

/*
 * Finds key's slot; with create, makes one, evicting another, never the
 * slot keep (the address's, while its login's is made).  NULL: none.
 */
static struct auth_limit_slot *
auth_limit_slot(struct auth_limit *al, uint64_t key, uint64_t now,
    int create, const struct auth_limit_slot *keep)
{
	struct auth_limit_slot *s, *pick = NULL;
	size_t i, base = (size_t)(key % al->c.slots);

	for (i = 0; i < AUTH_LIMIT_PROBE; i++) {
		s = &al->slot[(base + i) % al->c.slots];
		if (s->key == key) {
			auth_limit_age(al, s, now);
			return s;
		}
		if (!create || s == keep)
			continue;
		if (pick == NULL || (!auth_limit_idle(al, pick, now) &&
		    (auth_limit_idle(al, s, now) || s->last < pick->last)))
			pick = s;
	}
	if (!create || pick == NULL)
		return NULL;
	memset(pick, 0, sizeof(*pick));
	pick->key = key;
	pick->wstart = now;
	pick->last = now;
	return pick;
}

/*
 * The sliding count times the window (integers only): this window's
 * failures in full, the previous one's for the part still inside.
 */
static uint64_t
auth_limit_count_w(const struct auth_limit *al,
    const struct auth_limit_slot *s, uint64_t now)
{
	uint64_t w = al->c.window_ms, el = now - s->wstart;

	return (uint64_t)s->cur * w + (uint64_t)s->prev * (w - el);
}

/* The count rounded up, for the delay. */
static uint64_t
auth_limit_count(const struct auth_limit *al, const struct auth_limit_slot *s,
    uint64_t now)
{
	uint64_t w = al->c.window_ms;

	return (auth_limit_count_w(al, s, now) + w - 1) / w;
}

static int
auth_limit_over(const struct auth_limit *al, const struct auth_limit_slot *s,
    unsigned max, uint64_t now)
{
	return s != NULL && max != 0 &&
	    auth_limit_count_w(al, s, now) >= (uint64_t)max * al->c.window_ms;
}

struct auth_limit *
auth_limit_new(const struct auth_limit_conf *c)
{
	struct auth_limit *al;

	if (c->window_ms == 0 || c->window_ms > AUTH_LIMIT_WINDOW_MAX ||
	    c->slots < AUTH_LIMIT_PROBE || c->slots > AUTH_LIMIT_SLOTS_MAX ||
	    c->delay_max_ms < c->delay_ms)
		return NULL;
	if ((al = calloc(1, sizeof(*al))) == NULL)
		return NULL;
	al->c = *c;
	if ((al->slot = calloc(c->slots, sizeof(*al->slot))) == NULL) {
		free(al);
		return NULL;
	}
	return al;
}

void
auth_limit_free(struct auth_limit *al)
{
	if (al == NULL)
		return;
	explicit_bzero(al->c.key, sizeof(al->c.key));
	free(al->slot);
	free(al);
}

enum auth_limit_verdict
auth_limit_check(struct auth_limit *al, uint64_t now_ms,
    const struct auth_limit_addr *ip, const char *login, size_t loginlen,
    struct reason *why)
{
	struct auth_limit_slot *s;

	s = auth_limit_slot(al, auth_limit_key(al, AUTH_LIMIT_KIND_IP, ip,
	    NULL, 0), now_ms, 0, NULL);
	if (auth_limit_over(al, s, al->c.ip_max, now_ms)) {
		(void)reason_set(why, 421, "4.7.0",
		    "Too many failed authentications from this address, "
		    "try again later");
		return AUTH_LIMIT_REFUSE;
	}
	if (login == NULL)
		return AUTH_LIMIT_OK;
	s = auth_limit_slot(al, auth_limit_key(al, AUTH_LIMIT_KIND_LOGIN, NULL,
	    login, loginlen), now_ms, 0, NULL);
	if (auth_limit_over(al, s, al->c.login_max, now_ms)) {
		(void)reason_set(why, 421, "4.7.0",
		    "Too many failed authentications for this login, "
		    "try again later");
		return AUTH_LIMIT_REFUSE;
	}
	return AUTH_LIMIT_OK;
}

static void
auth_limit_count_one(struct auth_limit_slot *s, uint64_t now)
{
	if (s->cur < AUTH_LIMIT_COUNT_MAX)
		s->cur++;
	s->last = now;
}

enum auth_limit_verdict
auth_limit_fail(struct auth_limit *al, uint64_t now_ms,
    const struct auth_limit_addr *ip, const char *login, size_t loginlen,
    unsigned *delay_ms, struct reason *why)
{
	struct auth_limit_slot *si, *sl = NULL;
	uint64_t n, d;

	si = auth_limit_slot(al, auth_limit_key(al, AUTH_LIMIT_KIND_IP, ip,
	    NULL, 0), now_ms, 1, NULL);
	auth_limit_count_one(si, now_ms);
	n = auth_limit_count(al, si, now_ms);
	if (login != NULL) {
		sl = auth_limit_slot(al, auth_limit_key(al,
		    AUTH_LIMIT_KIND_LOGIN, NULL, login, loginlen), now_ms, 1,
		    si);
		if (sl != NULL) {
			auth_limit_count_one(sl, now_ms);
			if (auth_limit_count(al, sl, now_ms) > n)
				n = auth_limit_count(al, sl, now_ms);
		}
	}
	d = al->c.delay_ms;
	while (--n > 0 && d < al->c.delay_max_ms)
		d *= 2;
	*delay_ms = (unsigned)(d > al->c.delay_max_ms ? al->c.delay_max_ms : d);
	if (auth_limit_over(al, si, al->c.ip_max, now_ms) ||
	    (sl != NULL && auth_limit_over(al, sl, al->c.login_max, now_ms))) {
		(void)reason_set(why, 421, "4.7.0",
		    "Too many failed authentications, try again later");
		return AUTH_LIMIT_REFUSE;
	}
	(void)reason_set(why, 535, "5.7.8", "Authentication credentials "
	    "invalid");
	return AUTH_LIMIT_DELAY;
}

void
auth_limit_success(struct auth_limit *al, uint64_t now_ms,
    const struct auth_limit_addr *ip, const char *login, size_t loginlen)
{
	struct auth_limit_slot *s;

	(void)ip;
	if (login == NULL)
		return;
	s = auth_limit_slot(al, auth_limit_key(al, AUTH_LIMIT_KIND_LOGIN, NULL,
	    login, loginlen), now_ms, 0, NULL);
	if (s != NULL)
		memset(s, 0, sizeof(*s));
}
