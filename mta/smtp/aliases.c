/*
 * aliases.c: the alias and virtual alias files parsed into a hash
 * table (aliases.h says the rules and why; RFC 5321 §4.5.1, RFC 3463);
 * the expansion of an address through them is aliases_expand.c. Pure: no I/O, no
 * clock (doc/design.md §1.5); :include: texts come from the caller's
 * callback. Linked by the tests now; by smtpin and local later.
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

#define ALIASES_DIAG_LEN	512	/* one diagnostic, cut past it */
#define ALIASES_WHY_LEN		256	/* the include reader's why */

/* The parse of one file with its includes. */
struct aliases_p {
	struct aliases			*a;
	const struct aliases_parse_opts	*o;
	const char			*inc[ALIASES_INCLUDE_DEPTH + 1];
	size_t				 ninc;
};

/* Logical lines of a text (doc/design.md §5's continuation rule). */
struct aliases_rd {
	const char	*s;
	size_t		 len, pos, lineno;
	char		*buf;
	size_t		 blen, bcap;
	const char	*bad;		/* what is wrong with this line */
};

static int
aliases_ws(int c)
{
	return c == ' ' || c == '\t';
}

static uint64_t
aliases_hash(const char *s, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < n; i++) {
		h ^= (uint64_t)tolower((unsigned char)s[i]);
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *
aliases_strndup(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* 1 when a[0..an) and b[0..bn) are equal ignoring ASCII case. */
int
aliases_eq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++)
		if (tolower((unsigned char)a[i]) !=
		    tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The entry index of key[0..n), or -1. */
long
aliases_find(const struct aliases *a, const char *key, size_t n)
{
	size_t	i, k;

	if (a == NULL || a->nslot == 0)
		return -1;
	i = (size_t)aliases_hash(key, n) & (a->nslot - 1);
	while ((k = a->slot[i]) != 0) {
		if (aliases_eq(a->ent[k - 1].name, a->ent[k - 1].namelen,
		    key, n))
			return (long)(k - 1);
		i = (i + 1) & (a->nslot - 1);
	}
	return -1;
}

static int
aliases_rehash(struct aliases *a, size_t nslot)
{
	size_t	*slot, i, k;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (k = 0; k < a->nent; k++) {
		i = (size_t)aliases_hash(a->ent[k].name, a->ent[k].namelen) &
		    (nslot - 1);
		while (slot[i] != 0)
			i = (i + 1) & (nslot - 1);
		slot[i] = k + 1;
	}
	free(a->slot);
	a->slot = slot;
	a->nslot = nslot;
	return 0;
}

/* Records a diagnostic "where: what"; returns its kept text or NULL. */
static const char *
aliases_diag_add(struct aliases *a, int warning, const char *file,
    size_t line, const char *fmt, va_list ap)
{
	char	 buf[ALIASES_DIAG_LEN];
	int	 n, m;

	if (!warning)
		a->nerrors++;
	n = snprintf(buf, sizeof(buf), "%s:%zu: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		buf[n] = '\0';	/* a cut text is still informative */
	if (a->ndg >= a->dgmax) {
		a->dropped++;
		return NULL;
	}
	if ((a->dg[a->ndg].text = strdup(buf)) == NULL) {
		a->nomem = 1;
		return NULL;
	}
	a->dg[a->ndg].warning = warning;
	return a->dg[a->ndg++].text;
}

/* An error at file:line; marks entry e (if any) broken with it. */
static void __attribute__((__format__(printf, 5, 6)))
aliases_bad(struct aliases_p *p, struct aliases_ent *e, const char *file,
    size_t line, const char *fmt, ...)
{
	va_list		 ap;
	char		 buf[ALIASES_DIAG_LEN];
	int		 n;

	va_start(ap, fmt);
	(void)aliases_diag_add(p->a, 0, file, line, fmt, ap);
	va_end(ap);
	if (e == NULL || e->broken != NULL)
		return;
	n = snprintf(buf, sizeof(buf), "%s:%zu: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	if (vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap) < 0)
		buf[n] = '\0';	/* a cut text is still informative */
	va_end(ap);
	if ((e->broken = strdup(buf)) == NULL)
		p->a->nomem = 1;
}

static void __attribute__((__format__(printf, 4, 5)))
aliases_warn(struct aliases_p *p, const char *file, size_t line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)aliases_diag_add(p->a, 1, file, line, fmt, ap);
	va_end(ap);
}

/* ---- logical lines ------------------------------------------------ */

/* The physical line at pos: its length without CR LF, and the next pos. */
static size_t
aliases_phys(const struct aliases_rd *r, size_t pos, size_t *next)
{
	const char	*nl;
	size_t		 n;

	nl = memchr(r->s + pos, '\n', r->len - pos);
	n = nl != NULL ? (size_t)(nl - (r->s + pos)) : r->len - pos;
	*next = nl != NULL ? pos + n + 1 : r->len;
	if (n > 0 && r->s[pos + n - 1] == '\r')
		n--;
	return n;
}

/* 1 for an empty, white or comment line. */
static int
aliases_skippable(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && aliases_ws((unsigned char)s[i]))
		i++;
	return i == n || s[i] == '#';
}

static int
aliases_rd_append(struct aliases_rd *r, const char *s, size_t n)
{
	char	*nb;
	size_t	 cap;

	if (memchr(s, '\0', n) != NULL)
		r->bad = "a NUL octet in the line";
	if (r->blen + n + 2 > ALIASES_LINE_MAX) {
		r->bad = "the logical line is longer than 1 MiB";
		return 0;
	}
	if (r->blen + n + 2 > r->bcap) {
		cap = r->bcap == 0 ? 256 : r->bcap;
		while (cap < r->blen + n + 2)
			cap *= 2;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return -1;
		r->buf = nb;
		r->bcap = cap;
	}
	if (r->blen > 0)
		r->buf[r->blen++] = ' ';
	memcpy(r->buf + r->blen, s, n);
	r->blen += n;
	r->buf[r->blen] = '\0';
	return 0;
}

/*
 * The next logical line into r->buf[0..r->blen), its first line number
 * in *first. A comment or blank line neither ends nor starts one; a
 * line that starts with white space continues it (orphans are given
 * with *orphan set). Returns 1, 0 at the end, -1 without memory.
 */
static int
aliases_rd_next(struct aliases_rd *r, size_t *first, int *orphan)
{
	size_t	n, next;

	r->blen = 0;
	r->bad = NULL;
	*orphan = 0;
	for (;;) {
		if (r->pos >= r->len)
			return 0;
		n = aliases_phys(r, r->pos, &next);
		r->lineno++;
		if (aliases_skippable(r->s + r->pos, n)) {
			r->pos = next;
			continue;
		}
		break;
	}
	*first = r->lineno;
	*orphan = aliases_ws((unsigned char)r->s[r->pos]);
	if (aliases_rd_append(r, r->s + r->pos, n) == -1)
		return -1;
	r->pos = next;
	while (r->pos < r->len) {
		n = aliases_phys(r, r->pos, &next);
		if (!aliases_skippable(r->s + r->pos, n) &&
		    !aliases_ws((unsigned char)r->s[r->pos]))
			break;
		if (!aliases_skippable(r->s + r->pos, n) &&
		    aliases_rd_append(r, r->s + r->pos, n) == -1)
			return -1;
		r->lineno++;
		r->pos = next;
	}
	return 1;
}

/* ---- entries and targets ------------------------------------------ */

static char *
aliases_where(const char *file, size_t line)
{
	char	buf[ALIASES_DIAG_LEN];
	int	n;

	n = snprintf(buf, sizeof(buf), "%s:%zu", file, line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return strdup("?");
	return strdup(buf);
}

static int
aliases_tgt_add(struct aliases_p *p, struct aliases_ent *e,
    enum aliases_rtype type, const char *s, size_t n, const char *file,
    size_t line)
{
	struct aliases_tgt	*nt;
	size_t			 cap;

	if (e->n == e->cap) {
		cap = e->cap == 0 ? 4 : e->cap * 2;
		if ((nt = reallocarray(e->t, cap, sizeof(*nt))) == NULL)
			goto nomem;
		e->t = nt;
		e->cap = cap;
	}
	nt = &e->t[e->n];
	nt->type = type;
	if ((nt->text = aliases_strndup(s, n)) == NULL)
		goto nomem;
	if ((nt->where = aliases_where(file, line)) == NULL) {
		free(nt->text);
		goto nomem;
	}
	e->n++;
	return 0;
nomem:
	p->a->nomem = 1;
	return -1;
}

/*
 * Checks an address s[0..n) (a target, a virtual key with at_ok for
 * "@domain", a name with no '@'). Returns NULL or what is wrong.
 */
const char *
aliases_addr_bad(const char *s, size_t n, int at_ok, int bare_only)
{
	const char	*at;
	size_t		 i;

	if (n == 0)
		return "empty";
	if (n > ALIASES_NAME_MAX)
		return "longer than 255 octets";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "a control character in it";
		if (c == ' ')
			return "white space in it (quote a |command)";
		if (strchr("\"<>(),;:\\[]", c) != NULL)
			return "a character not allowed in an address in it";
	}
	at = memchr(s, '@', n);
	if (bare_only)
		return at != NULL ? "'@' in it" : NULL;
	if (at == NULL)
		return NULL;
	if (memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return "two '@' in it";
	if (at == s + n - 1)
		return "no domain after '@'";
	if (at == s && !at_ok)
		return "no local part before '@'";
	return NULL;
}

static void	aliases_targets(struct aliases_p *, struct aliases_ent *,
		    const char *, size_t, const char *, size_t, size_t);

/* The :include: of path (NUL-terminated) for e, nested depth deep. */
static void
aliases_include(struct aliases_p *p, struct aliases_ent *e, const char *path,
    const char *file, size_t line, size_t depth)
{
	struct aliases_rd	 r;
	char			 why[ALIASES_WHY_LEN], chain[ALIASES_DIAG_LEN];
	char			*text = NULL;
	size_t			 len = 0, k, first, used;
	int			 rv, orphan, n;

	if (p->o->kind != ALIASES_LOCAL) {
		aliases_bad(p, e, file, line, ":include: is for alias files");
		return;
	}
	if (path[0] != '/') {
		aliases_bad(p, e, file, line, ":include:%s: the path must be "
		    "absolute", path);
		return;
	}
	if (depth >= ALIASES_INCLUDE_DEPTH) {
		aliases_bad(p, e, file, line, ":include:%s: includes nested "
		    "deeper than %d", path, ALIASES_INCLUDE_DEPTH);
		return;
	}
	for (k = 0; k < p->ninc; k++)
		if (strcmp(p->inc[k], path) == 0)
			break;
	if (k < p->ninc) {
		used = 0;
		chain[0] = '\0';
		for (; k < p->ninc; k++) {
			n = snprintf(chain + used, sizeof(chain) - used,
			    "%s -> ", p->inc[k]);
			if (n < 0 || (size_t)n >= sizeof(chain) - used)
				break;
			used += (size_t)n;
		}
		aliases_bad(p, e, file, line, "include loop: %s%s", chain,
		    path);
		return;
	}
	if (p->o->read == NULL) {
		aliases_bad(p, e, file, line, ":include:%s: includes are not "
		    "allowed here", path);
		return;
	}
	why[0] = '\0';
	if (p->o->read(p->o->read_arg, path, &text, &len, why,
	    sizeof(why)) == -1) {
		why[sizeof(why) - 1] = '\0';
		aliases_bad(p, e, file, line, ":include:%s: %s", path,
		    why[0] != '\0' ? why : "cannot be read");
		return;
	}
	p->inc[p->ninc++] = path;
	memset(&r, 0, sizeof(r));
	r.s = text != NULL ? text : "";
	r.len = text != NULL ? len : 0;
	while ((rv = aliases_rd_next(&r, &first, &orphan)) == 1) {
		if (r.bad != NULL) {
			aliases_bad(p, e, path, first, "%s", r.bad);
			continue;
		}
		aliases_targets(p, e, r.buf, r.blen, path, first, depth + 1);
	}
	if (rv == -1)
		p->a->nomem = 1;
	p->ninc--;
	free(r.buf);
	free(text);
}

/* One target item s[0..n) (trimmed, not empty) of entry e. */
static void
aliases_item(struct aliases_p *p, struct aliases_ent *e, const char *s,
    size_t n, const char *file, size_t line, size_t depth)
{
	char		 t[ALIASES_TARGET_MAX + 1];
	const char	*bad;
	size_t		 i = 0, m = 0;
	unsigned int	 fl = p->o->flags;
	int		 incl_ok;

	if (s[0] == '"') {
		if (n < 2 || s[n - 1] != '"') {
			aliases_bad(p, e, file, line, "a target with an "
			    "unterminated or misplaced quote");
			return;
		}
		for (i = 1; i < n - 1; i++) {
			if (s[i] == '\\' && i + 1 < n - 1)
				i++;
			if (m >= ALIASES_TARGET_MAX)
				break;
			t[m++] = s[i];
		}
	} else {
		if (memchr(s, '"', n) != NULL) {
			aliases_bad(p, e, file, line, "a target with a "
			    "misplaced quote");
			return;
		}
		if (n > ALIASES_TARGET_MAX)
			m = ALIASES_TARGET_MAX + 1;	/* refused below */
		else {
			memcpy(t, s, n);
			m = n;
		}
	}
	if (m > ALIASES_TARGET_MAX || (s[0] == '"' && i < n - 1)) {
		aliases_bad(p, e, file, line, "a target longer than %d "
		    "octets", ALIASES_TARGET_MAX);
		return;
	}
	t[m] = '\0';
	for (i = 0; i < m; i++)
		if (((unsigned char)t[i] < 0x20 && t[i] != '\t') ||
		    t[i] == 0x7f) {
			aliases_bad(p, e, file, line, "a control character in "
			    "a target");
			return;
		}
	if (m == 0) {
		aliases_bad(p, e, file, line, "an empty quoted target");
		return;
	}
	incl_ok = depth == 0 || (fl & ALIASES_ALLOW_INCLUDED);
	if (t[0] == '|' || t[0] == '/') {
		int	cmd = t[0] == '|';
		size_t	b = cmd ? 1 : 0;

		if (p->o->kind != ALIASES_LOCAL) {
			aliases_bad(p, e, file, line, "%s target \"%.64s\" "
			    "in a virtual alias file",
			    cmd ? "a command" : "a file", t);
			return;
		}
		if (!(fl & (cmd ? ALIASES_ALLOW_COMMANDS :
		    ALIASES_ALLOW_FILES)) || !incl_ok) {
			aliases_bad(p, e, file, line, "%s target \"%.64s\" "
			    "refused: %s", cmd ? "a command" : "a file", t,
			    !incl_ok ? "not allowed in :include: files" :
			    cmd ? "commands are not allowed in this file" :
			    "files are not allowed in this file");
			return;
		}
		while (b < m && aliases_ws((unsigned char)t[b]))
			b++;
		if (b == m) {
			aliases_bad(p, e, file, line, "an empty command");
			return;
		}
		(void)aliases_tgt_add(p, e, cmd ? ALIASES_COMMAND :
		    ALIASES_FILE, t + b, m - b, file, line);
		return;
	}
	if (m >= 9 && strncasecmp(t, ":include:", 9) == 0) {
		i = 9;
		while (i < m && aliases_ws((unsigned char)t[i]))
			i++;
		aliases_include(p, e, t + i, file, line, depth);
		return;
	}
	if (t[0] == '#') {
		aliases_bad(p, e, file, line, "a target starts with '#': a "
		    "comment must be a line of its own");
		return;
	}
	if (t[0] == '\\') {	/* the mailbox itself, no alias lookup */
		if ((bad = aliases_addr_bad(t + 1, m - 1, 0, 1)) != NULL) {
			aliases_bad(p, e, file, line, "bad mailbox \"%.64s\": "
			    "%s", t, bad);
			return;
		}
		(void)aliases_tgt_add(p, e, ALIASES_MAILBOX, t + 1, m - 1,
		    file, line);
		return;
	}
	if ((bad = aliases_addr_bad(t, m, 0, 0)) != NULL) {
		aliases_bad(p, e, file, line, "bad address \"%.64s\": %s", t,
		    bad);
		return;
	}
	(void)aliases_tgt_add(p, e, ALIASES_ADDRESS, t, m, file, line);
}

/*
 * The target list s[0..n) of e: items separated by commas (and white
 * space in a virtual file) outside quotes.
 */
static void
aliases_targets(struct aliases_p *p, struct aliases_ent *e, const char *s,
    size_t n, const char *file, size_t line, size_t depth)
{
	size_t	i, b, a, z;
	int	q = 0, esc = 0, sep;

	for (b = i = 0; i <= n; i++) {
		sep = i == n;
		if (!sep && q) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				q = 0;
			continue;
		}
		if (!sep && s[i] == '"')
			q = 1;
		else if (!sep)
			sep = s[i] == ',' || (p->o->kind == ALIASES_VIRTUAL &&
			    aliases_ws((unsigned char)s[i]));
		if (!sep)
			continue;
		if (i == n && q) {
			aliases_bad(p, e, file, line, "an unterminated quote");
			return;
		}
		a = b;
		z = i;
		while (a < z && aliases_ws((unsigned char)s[a]))
			a++;
		while (z > a && aliases_ws((unsigned char)s[z - 1]))
			z--;
		if (z > a)
			aliases_item(p, e, s + a, z - a, file, line, depth);
		b = i + 1;
	}
}

/* A new entry named name[0..n) (lower-cased), or NULL. */
static struct aliases_ent *
aliases_ent_new(struct aliases *a, const char *name, size_t n,
    const char *file, size_t line)
{
	struct aliases_ent	*ne;
	size_t			 cap, i, k;

	if (a->nent == a->capent) {
		cap = a->capent == 0 ? 64 : a->capent * 2;
		if ((ne = reallocarray(a->ent, cap, sizeof(*ne))) == NULL)
			return NULL;
		a->ent = ne;
		a->capent = cap;
	}
	if ((a->nent + 1) * 2 > a->nslot &&
	    aliases_rehash(a, a->nslot == 0 ? 128 : a->nslot * 2) == -1)
		return NULL;
	ne = &a->ent[a->nent];
	memset(ne, 0, sizeof(*ne));
	if ((ne->name = aliases_strndup(name, n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		ne->name[i] = (char)tolower((unsigned char)ne->name[i]);
	ne->namelen = n;
	if ((ne->where = aliases_where(file, line)) == NULL) {
		free(ne->name);
		return NULL;
	}
	k = (size_t)aliases_hash(name, n) & (a->nslot - 1);
	while (a->slot[k] != 0)
		k = (k + 1) & (a->nslot - 1);
	a->slot[k] = ++a->nent;
	return ne;
}

/* One logical line s[0..n) of the main file. */
static void
aliases_line(struct aliases_p *p, const char *s, size_t n, size_t line)
{
	const char		*file = p->o->file;
	struct aliases_ent	*e;
	char			 name[ALIASES_NAME_MAX + 1];
	const char		*bad;
	size_t			 i = 0, m = 0, rest;
	long			 dup;
	int			 quoted = 0;

	if (p->o->kind == ALIASES_VIRTUAL) {
		while (i < n && !aliases_ws((unsigned char)s[i]))
			i++;
		if (i > ALIASES_NAME_MAX) {
			aliases_bad(p, NULL, file, line, "a key longer than "
			    "%d octets", ALIASES_NAME_MAX);
			return;
		}
		memcpy(name, s, i);
		m = i;
		if ((bad = aliases_addr_bad(name, m, 1, 0)) != NULL ||
		    (memchr(name, '@', m) == NULL &&
		    (bad = "not user@domain or @domain") != NULL)) {
			aliases_bad(p, NULL, file, line, "bad key \"%.*s\": %s",
			    (int)(m > 64 ? 64 : m), name, bad);
			return;
		}
		rest = i;
	} else {
		if (s[0] == '"') {
			quoted = 1;
			for (i = 1; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				if (m < ALIASES_NAME_MAX + 1)
					name[m++] = s[i];
			}
			if (i >= n) {
				aliases_bad(p, NULL, file, line, "a name with "
				    "an unterminated quote");
				return;
			}
			i++;
			while (i < n && aliases_ws((unsigned char)s[i]))
				i++;
		} else {
			while (i < n && s[i] != ':')
				i++;
			m = i;
			while (m > 0 && aliases_ws((unsigned char)s[m - 1]))
				m--;
			if (m <= ALIASES_NAME_MAX)
				memcpy(name, s, m);
		}
		if (i >= n || s[i] != ':') {
			aliases_bad(p, NULL, file, line, "no ':' after the "
			    "name");
			return;
		}
		rest = i + 1;
		if (m > ALIASES_NAME_MAX) {
			aliases_bad(p, NULL, file, line, "a name longer than "
			    "%d octets", ALIASES_NAME_MAX);
			return;
		}
		if (m == 0) {
			aliases_bad(p, NULL, file, line, "an empty name");
			return;
		}
		for (i = 0; !quoted && i < m; i++)
			if (aliases_ws((unsigned char)name[i])) {
				aliases_bad(p, NULL, file, line, "white space "
				    "in a name (quote it: \"a b\":)");
				return;
			}
		for (i = 0; i < m; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
			    name[i] == '@' || name[i] == '"') {
				aliases_bad(p, NULL, file, line, "bad name: a "
				    "control character, '@' or '\"' in it");
				return;
			}
	}
	name[m] = '\0';
	if ((dup = aliases_find(p->a, name, m)) != -1) {
		aliases_warn(p, file, line, "duplicate %s \"%s\" (first at "
		    "%s); ignored",
		    p->o->kind == ALIASES_VIRTUAL ? "key" : "alias",
		    p->a->ent[dup].name, p->a->ent[dup].where);
		return;
	}
	if ((e = aliases_ent_new(p->a, name, m, file, line)) == NULL) {
		p->a->nomem = 1;
		return;
	}
	p->ninc = 0;
	aliases_targets(p, e, s + rest, rest <= n ? n - rest : 0, file, line,
	    0);
	if (e->n == 0 && e->broken == NULL)
		aliases_bad(p, e, file, line, "%s \"%s\" has no target",
		    p->o->kind == ALIASES_VIRTUAL ? "key" : "alias", e->name);
}

struct aliases *
aliases_parse(const char *text, size_t len, const struct aliases_parse_opts *o)
{
	struct aliases_p	 p;
	struct aliases_rd	 r;
	struct aliases		*a;
	size_t			 first;
	int			 rv, orphan;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->kind = o->kind;
	a->dgmax = o->diags_max != 0 ? o->diags_max : ALIASES_DIAGS_MAX;
	if ((a->dg = calloc(a->dgmax, sizeof(*a->dg))) == NULL ||
	    aliases_rehash(a, 128) == -1) {
		aliases_free(a);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.o = o;
	memset(&r, 0, sizeof(r));
	r.s = text != NULL ? text : "";
	r.len = text != NULL ? len : 0;
	while (!a->nomem && (rv = aliases_rd_next(&r, &first, &orphan)) == 1) {
		if (orphan)
			aliases_bad(&p, NULL, o->file, first, "a continuation "
			    "line without an entry before it");
		else if (r.bad != NULL)
			aliases_bad(&p, NULL, o->file, first, "%s", r.bad);
		else
			aliases_line(&p, r.buf, r.blen, first);
	}
	free(r.buf);
	if (a->nomem || rv == -1) {
		aliases_free(a);
		return NULL;
	}
	return a;
}

void
aliases_free(struct aliases *a)
{
	size_t i, k;

	if (a == NULL)
		return;
	for (i = 0; i < a->nent; i++) {
		for (k = 0; k < a->ent[i].n; k++) {
			free(a->ent[i].t[k].text);
			free(a->ent[i].t[k].where);
		}
		free(a->ent[i].t);
		free(a->ent[i].name);
		free(a->ent[i].where);
		free(a->ent[i].broken);
	}
	for (i = 0; i < a->ndg; i++)
		free(a->dg[i].text);
	free(a->dg);
	free(a->ent);
	free(a->slot);
	free(a);
}

size_t
aliases_count(const struct aliases *a)
{
	return a->nent;
}

size_t
aliases_diag_count(const struct aliases *a)
{
	return a->ndg;
}

size_t
aliases_diag_dropped(const struct aliases *a)
{
	return a->dropped;
}

size_t
aliases_error_count(const struct aliases *a)
{
	return a->nerrors;
}

const char *
aliases_diag(const struct aliases *a, size_t i, int *warning)
{
	if (i >= a->ndg)
		return NULL;
	if (warning != NULL)
		*warning = a->dg[i].warning;
	return a->dg[i].text;
}

const char *
aliases_rtype_name(enum aliases_rtype t)
{
	switch (t) {
	case ALIASES_MAILBOX:
		return "mailbox";
	case ALIASES_ADDRESS:
		return "address";
	case ALIASES_COMMAND:
		return "command";
	case ALIASES_FILE:
		return "file";
	}
	return "?";
}
