/*
 * aliases_expand.c: the expansion of an address through the alias and
 * virtual alias tables that aliases.c parsed (aliases.h says the rules:
 * virtual first, then the aliases, "+ext" fallback, self-reference,
 * loops and depth 5.4.6, the cap 5.5.3, postmaster always there, RFC
 * 5321 §4.5.1, RFC 3463). Pure (doc/design.md §1.5). Linked with
 * aliases.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases.h"
#include "aliases_int.h"

/* ---- expansion ---------------------------------------------------- */

/* Entry states of one expansion. */
#define ALIASES_ST_NEW	0
#define ALIASES_ST_PATH	1	/* on the path being expanded: a loop */
#define ALIASES_ST_DONE	2	/* expanded: its results are in */

struct aliases_x {
	const struct aliases_expand_opts *o;
	struct aliases_result	*res;
	struct reason		*why;
	const struct aliases	*tab[2];	/* virtual, local */
	unsigned char		*st[2];
	const struct aliases_ent *path[ALIASES_DEPTH_MAX + 1];
	size_t			 depth, max, trailmax;
	int			 pm_done;
};

static int
aliases_x_nomem(struct aliases_x *x)
{
	return reason_set(x->why, 451, "4.3.0", "out of memory expanding "
	    "aliases");
}

/* Adds a final recipient unless it is there already. */
static int
aliases_x_rcpt(struct aliases_x *x, enum aliases_rtype type, const char *s,
    size_t n, const char *via, const char *where)
{
	struct aliases_result	*r = x->res;
	struct aliases_rcpt	*nr;
	size_t			 k;
	int			 ci = type == ALIASES_MAILBOX ||
				    type == ALIASES_ADDRESS;

	for (k = 0; k < r->n; k++)
		if (r->rcpt[k].type == type && (ci ?
		    aliases_eq(r->rcpt[k].text, strlen(r->rcpt[k].text), s,
		    n) : strlen(r->rcpt[k].text) == n &&
		    memcmp(r->rcpt[k].text, s, n) == 0))
			return 0;
	if (r->n >= x->max)
		return reason_set(x->why, 550, "5.5.3", "the aliases expand "
		    "to more than %zu recipients", x->max);
	/* room for max is taken at the start: no realloc here */
	nr = &r->rcpt[r->n];
	nr->type = type;
	nr->text = aliases_strndup(s, n);
	nr->via = strdup(via);
	nr->where = strdup(where);
	if (nr->text == NULL || nr->via == NULL || nr->where == NULL) {
		free(nr->text);
		free(nr->via);
		free(nr->where);
		return aliases_x_nomem(x);
	}
	r->n++;
	return 0;
}

static int
aliases_x_step(struct aliases_x *x, const char *from, const char *to,
    const char *where)
{
	struct aliases_result	*r = x->res;
	struct aliases_step	*st;

	if (r->ntrail >= x->trailmax) {
		r->trail_cut++;
		return 0;
	}
	st = &r->trail[r->ntrail];
	st->from = strdup(from);
	st->to = strdup(to);
	st->where = strdup(where);
	if (st->from == NULL || st->to == NULL || st->where == NULL) {
		free(st->from);
		free(st->to);
		free(st->where);
		return aliases_x_nomem(x);
	}
	r->ntrail++;
	return 0;
}

static int
aliases_x_local_domain(const struct aliases_x *x, const char *d, size_t n)
{
	size_t k;

	for (k = 0; k < x->o->nlocal_domains; k++)
		if (aliases_eq(x->o->local_domains[k],
		    strlen(x->o->local_domains[k]), d, n))
			return 1;
	return 0;
}

/* The entry of local[0..ln)@dom[0..dn) (dom NULL: a bare name) in t,
 * with the extension dropped when it is not found as it is. */
static long
aliases_x_find(const struct aliases_x *x, const struct aliases *t,
    const char *local, size_t ln, const char *dom, size_t dn)
{
	char		 key[ALIASES_NAME_MAX + 1];
	const char	*d;
	long		 k;
	size_t		 base;

	d = x->o->delimiter != '\0' && ln > 1 ?
	    memchr(local + 1, x->o->delimiter, ln - 1) : NULL;
	base = d != NULL ? (size_t)(d - local) : ln;
	if (dom == NULL) {
		if ((k = aliases_find(t, local, ln)) != -1 || d == NULL)
			return k;
		return aliases_find(t, local, base);
	}
	if (ln + 1 + dn > ALIASES_NAME_MAX)
		return -1;
	memcpy(key, local, ln);
	key[ln] = '@';
	memcpy(key + ln + 1, dom, dn);
	if ((k = aliases_find(t, key, ln + 1 + dn)) != -1)
		return k;
	if (d != NULL) {
		memmove(key + base, key + ln, 1 + dn);
		if ((k = aliases_find(t, key, base + 1 + dn)) != -1)
			return k;
	}
	return aliases_find(t, key + base, 1 + dn);	/* "@domain" */
}

static int	aliases_x_entry(struct aliases_x *, int, long);

/*
 * Expands the address s[0..n) that alias `via` gave at `where`; the
 * virtual table is skipped when it is the key of that virtual entry.
 */
static int
aliases_x_addr(struct aliases_x *x, const char *s, size_t n, int skipvirt,
    const char *via, const char *where)
{
	const char	*at, *dom = NULL, *pm;
	size_t		 ln = n, dn = 0;
	long		 k;
	int		 local;

	if ((at = memchr(s, '@', n)) != NULL) {
		ln = (size_t)(at - s);
		dom = at + 1;
		dn = n - ln - 1;
	}
	if (dom != NULL && !skipvirt && x->tab[0] != NULL &&
	    (k = aliases_x_find(x, x->tab[0], s, ln, dom, dn)) != -1)
		return aliases_x_entry(x, 0, k);
	local = dom == NULL || aliases_x_local_domain(x, dom, dn);
	if (!local)
		return aliases_x_rcpt(x, ALIASES_ADDRESS, s, n, via, where);
	if (x->tab[1] != NULL &&
	    (k = aliases_x_find(x, x->tab[1], s, ln, NULL, 0)) != -1)
		return aliases_x_entry(x, 1, k);
	if (aliases_eq(s, ln, "postmaster", 10) && !x->pm_done) {
		/* RFC 5321 §4.5.1: it exists whatever the files say */
		x->pm_done = 1;
		if (x->depth == 0)
			x->res->matched = 1;
		pm = x->o->postmaster != NULL ? x->o->postmaster :
		    ALIASES_POSTMASTER_DEFAULT;
		if (aliases_x_step(x, "postmaster", pm, "default") == -1)
			return -1;
		return aliases_x_addr(x, pm, strlen(pm), 0, "postmaster",
		    "default");
	}
	return aliases_x_rcpt(x, ALIASES_MAILBOX, s, ln, via, where);
}

/* "a -> b -> a": the path from entry e on, and e again. */
static void
aliases_x_cycle(struct aliases_x *x, const struct aliases_ent *e, char *buf,
    size_t size)
{
	size_t	k, used = 0;
	int	n;

	buf[0] = '\0';
	for (k = 0; k < x->depth && x->path[k] != e; k++)
		;
	for (; k < x->depth; k++) {
		n = snprintf(buf + used, size - used, "%s -> ",
		    x->path[k]->name);
		if (n < 0 || (size_t)n >= size - used)
			return;		/* cut: the start names it */
		used += (size_t)n;
	}
	if (strlcpy(buf + used, e->name, size - used) >= size - used)
		buf[used] = '\0';
}

/* Expands entry k of table t (0 virtual, 1 local). */
static int
aliases_x_entry(struct aliases_x *x, int t, long k)
{
	const struct aliases_ent	*e = &x->tab[t]->ent[k];
	const struct aliases_tgt	*g;
	char				 cyc[REASON_TEXT_MAX];
	const char			*at;
	size_t				 i, ln;
	int				 rv;

	if (x->depth == 0)
		x->res->matched = 1;
	if (x->st[t][k] == ALIASES_ST_DONE)
		return 0;
	if (x->st[t][k] == ALIASES_ST_PATH) {
		aliases_x_cycle(x, e, cyc, sizeof(cyc));
		return reason_set(x->why, 550, "5.4.6", "alias loop: %s", cyc);
	}
	if (e->broken != NULL)
		return reason_set(x->why, 451, "4.3.0", "alias %.64s is "
		    "broken: %s", e->name, e->broken);
	if (x->depth >= ALIASES_DEPTH_MAX) {
		aliases_x_cycle(x, x->path[0], cyc, sizeof(cyc));
		return reason_set(x->why, 550, "5.4.6", "aliases nested deeper "
		    "than %d: %s", ALIASES_DEPTH_MAX, cyc);
	}
	x->st[t][k] = ALIASES_ST_PATH;
	x->path[x->depth++] = e;
	for (i = 0; i < e->n; i++) {
		g = &e->t[i];
		if (aliases_x_step(x, e->name, g->text, g->where) == -1)
			return -1;
		if (g->type != ALIASES_ADDRESS) {
			rv = aliases_x_rcpt(x, g->type, g->text,
			    strlen(g->text), e->name, g->where);
		} else {
			at = strchr(g->text, '@');
			ln = at != NULL ? (size_t)(at - g->text) :
			    strlen(g->text);
			/* itself: past the virtual table */
			if (t == 0 && aliases_eq(g->text, strlen(g->text),
			    e->name, e->namelen))
				rv = aliases_x_addr(x, g->text,
				    strlen(g->text), 1, e->name, g->where);
			else if (t == 1 && aliases_eq(g->text, ln, e->name,
			    e->namelen) && (at == NULL ||
			    aliases_x_local_domain(x, at + 1, strlen(at + 1))))
				/* itself (sendmail's rule): the mailbox */
				rv = aliases_x_rcpt(x, ALIASES_MAILBOX, g->text,
				    ln, e->name, g->where);
			else
				rv = aliases_x_addr(x, g->text,
				    strlen(g->text), 0, e->name, g->where);
		}
		if (rv == -1)
			return -1;
	}
	x->depth--;
	x->st[t][k] = ALIASES_ST_DONE;
	return 0;
}

int
aliases_expand(const struct aliases_expand_opts *o, const char *addr,
    size_t len, struct aliases_result *res, struct reason *why)
{
	struct aliases_x	x;
	const char		*bad;
	int			rv, t;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.res = res;
	x.why = why;
	x.tab[0] = o->virt;
	x.tab[1] = o->local;
	x.max = o->max_results != 0 ? o->max_results : ALIASES_RESULTS_MAX;
	x.trailmax = x.max * 4 + 64;
	if ((bad = aliases_addr_bad(addr, len, 0, 0)) != NULL)
		return reason_set(why, 501, "5.1.3", "bad address to expand: "
		    "%s", bad);
	if ((res->rcpt = calloc(x.max, sizeof(*res->rcpt))) == NULL ||
	    (res->trail = calloc(x.trailmax, sizeof(*res->trail))) == NULL)
		return aliases_x_nomem(&x);
	for (t = 0; t < 2; t++)
		if (x.tab[t] != NULL && (x.st[t] = calloc(x.tab[t]->nent + 1,
		    1)) == NULL) {
			free(x.st[0]);
			return aliases_x_nomem(&x);
		}
	rv = aliases_x_addr(&x, addr, len, 0, "", "");
	free(x.st[0]);
	free(x.st[1]);
	return rv;
}

void
aliases_result_free(struct aliases_result *r)
{
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < r->n; k++) {
		free(r->rcpt[k].text);
		free(r->rcpt[k].via);
		free(r->rcpt[k].where);
	}
	for (k = 0; k < r->ntrail; k++) {
		free(r->trail[k].from);
		free(r->trail[k].to);
		free(r->trail[k].where);
	}
	free(r->rcpt);
	free(r->trail);
	memset(r, 0, sizeof(*r));
}
