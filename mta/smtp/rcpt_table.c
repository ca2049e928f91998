/*
 * rcpt_table.c: the set of local recipients and the RCPT-time decision
 * over it and the alias tables (issue 12, item 1; RFC 5321 §4.5.1;
 * doc/design.md §6 "Recipients"). Pure: no I/O, the caller fills the
 * set. Linked by smtpin and the unit tests.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rcpt_table.h"
#include "reason.h"

struct rcpt_table {
	char	**slot;		/* open addressing; NULL is empty */
	size_t	  nslot;	/* a power of two, or 0 */
	size_t	  n;
};

struct rcpt_table *
rcpt_table_new(void)
{
	return calloc(1, sizeof(struct rcpt_table));
}

void
rcpt_table_free(struct rcpt_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nslot; i++)
		free(t->slot[i]);
	free(t->slot);
	free(t);
}

size_t
rcpt_table_count(const struct rcpt_table *t)
{
	return t != NULL ? t->n : 0;
}

/* FNV-1a over the lower-cased octets. */
static uint64_t
rcpt_table_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of s[0..n): where it is, or the empty one where it goes. */
static size_t
rcpt_table_slot(const struct rcpt_table *t, const char *s, size_t n)
{
	size_t i = (size_t)rcpt_table_hash(s, n) & (t->nslot - 1);

	while (t->slot[i] != NULL && (strlen(t->slot[i]) != n ||
	    strncasecmp(t->slot[i], s, n) != 0))
		i = (i + 1) & (t->nslot - 1);
	return i;
}

static int
rcpt_table_grow(struct rcpt_table *t)
{
	struct rcpt_table	nt;
	size_t			i;

	nt.nslot = t->nslot == 0 ? 64 : t->nslot * 2;
	nt.n = t->n;
	if ((nt.slot = calloc(nt.nslot, sizeof(*nt.slot))) == NULL)
		return -1;
	for (i = 0; i < t->nslot; i++)
		if (t->slot[i] != NULL)
			nt.slot[rcpt_table_slot(&nt, t->slot[i],
			    strlen(t->slot[i]))] = t->slot[i];
	free(t->slot);
	*t = nt;
	return 0;
}

int
rcpt_table_add(struct rcpt_table *t, const char *s, size_t n, int *nomem)
{
	size_t	i, k;
	char	*c;

	if (n == 0 || n > RCPT_TABLE_NAME_MAX)
		return -1;
	for (k = 0; k < n; k++)
		if ((unsigned char)s[k] <= 0x20 || s[k] == 0x7f)
			return -1;
	if (t->nslot != 0 && rcpt_table_has(t, s, n))
		return 0;
	if ((t->n + 1) * 2 > t->nslot && rcpt_table_grow(t) == -1)
		goto nomem;
	if ((c = malloc(n + 1)) == NULL)
		goto nomem;
	for (k = 0; k < n; k++)
		c[k] = (char)tolower((unsigned char)s[k]);
	c[n] = '\0';
	i = rcpt_table_slot(t, c, n);
	t->slot[i] = c;
	t->n++;
	return 1;
nomem:
	if (nomem != NULL)
		*nomem = 1;
	return -1;
}

int
rcpt_table_has(const struct rcpt_table *t, const char *s, size_t n)
{
	if (t == NULL || t->nslot == 0 || n == 0 || n > RCPT_TABLE_NAME_MAX)
		return 0;
	return t->slot[rcpt_table_slot(t, s, n)] != NULL;
}

int
rcpt_table_parse(struct rcpt_table *t, const char *text, size_t len,
    size_t *bad, size_t *first_bad)
{
	const char	*p = text, *end = text + len, *nl, *e;
	size_t		 line = 0, n;
	int		 nomem = 0;

	*bad = 0;
	*first_bad = 0;
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		e = nl;
		if (e > p && e[-1] == '\r')
			e--;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p < e && *p != '#') {
			n = strcspn(p, " \t:");
			if (n > (size_t)(e - p))
				n = (size_t)(e - p);
			/* an address has one '@', with text either side */
			if (rcpt_table_add(t, p, n, &nomem) == -1 ||
			    (memchr(p, '@', n) != NULL &&
			    (p[0] == '@' || p[n - 1] == '@' ||
			    memchr(p, '@', n) != memrchr(p, '@', n)))) {
				if (nomem)
					return -1;
				if ((*bad)++ == 0)
					*first_bad = line;
			}
		}
		p = nl < end ? nl + 1 : end;
	}
	return 0;
}

/* Looks up local[0..ln) and local[0..ln)@domain in t. */
static int
rcpt_check_name(const struct rcpt_table *t, const char *local, size_t ln,
    const char *domain, size_t dn)
{
	char key[RCPT_TABLE_NAME_MAX + 1];

	if (rcpt_table_has(t, local, ln))
		return 1;
	if (ln + 1 + dn > RCPT_TABLE_NAME_MAX)
		return 0;
	memcpy(key, local, ln);
	key[ln] = '@';
	memcpy(key + ln + 1, domain, dn);
	return rcpt_table_has(t, key, ln + 1 + dn);
}

enum rcpt_known
rcpt_check_known(const struct rcpt_check *c, const char *local, size_t ln,
    const char *domain, size_t dn, int virtual)
{
	struct aliases_expand_opts o;
	struct aliases_result	 res;
	struct reason		 why;
	char			 addr[RCPT_TABLE_NAME_MAX * 2 + 2];
	const char		*d;
	size_t			 base;
	int			 rv, matched;

	if (c->any)
		return RCPT_ANY;
	if (ln == 0 || ln + 1 + dn >= sizeof(addr))
		return RCPT_UNKNOWN;
	memcpy(addr, local, ln);
	addr[ln] = '@';
	memcpy(addr + ln + 1, domain, dn);
	addr[ln + 1 + dn] = '\0';
	/*
	 * Only whether an entry matched counts here, which aliases_expand
	 * knows before it looks at a target: one result is enough, so an
	 * RCPT does not pay for a whole list's expansion (a longer one ends
	 * in 5.5.3 with matched already set).
	 */
	o = c->aliases;
	o.max_results = 1;
	memset(&why, 0, sizeof(why));
	rv = aliases_expand(&o, addr, ln + 1 + dn, &res, &why);
	matched = res.matched;
	aliases_result_free(&res);
	/* a broken or looping alias exists: its delivery says why */
	if (matched)
		return RCPT_ALIAS;
	if (rv == -1 && why.code == 451)
		return RCPT_ALIAS;	/* memory: let the delivery decide */
	if (virtual)
		return RCPT_UNKNOWN;
	d = c->aliases.delimiter != '\0' && ln > 1 ?
	    memchr(local + 1, c->aliases.delimiter, ln - 1) : NULL;
	base = d != NULL ? (size_t)(d - local) : ln;
	if (rcpt_table_has(c->users, local, ln) ||
	    rcpt_table_has(c->users, local, base))
		return RCPT_USER;
	if (rcpt_check_name(c->file, local, ln, domain, dn) ||
	    rcpt_check_name(c->file, local, base, domain, dn))
		return RCPT_FILE;
	return RCPT_UNKNOWN;
}

const char *
rcpt_known_name(enum rcpt_known k)
{
	switch (k) {
	case RCPT_UNKNOWN:
		return "unknown";
	case RCPT_USER:
		return "user";
	case RCPT_FILE:
		return "file";
	case RCPT_ALIAS:
		return "alias";
	case RCPT_ANY:
		return "any";
	}
	return "?";
}
