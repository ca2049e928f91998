/*
 * smtpin_sender.c: which envelope senders an authenticated login may use
 * (issue 12, item 4; doc/design.md §6): the sender_login_file's syntax
 * and the ownership rules of smtpin_sender.h.  Pure: text in, decisions
 * out, no I/O.  Linked by smtpin and tests/unit/test_smtpin_sender.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "smtpin_sender.h"

/* One line of the file, split: pointers into the caller's text. */
struct smtpin_sender_ent {
	const char	*key;
	size_t		 keylen;
	const char	*logins;
	size_t		 loginslen;
};

static int
smtpin_sender_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
smtpin_sender_sep(char ch)
{
	return ch == ' ' || ch == '\t' || ch == ',';
}

/*
 * Splits line ln,n. Returns 1 with *e, 0 for an empty or comment line,
 * -1 with *err naming what is wrong.
 */
static int
smtpin_sender_split(const char *ln, size_t n, struct smtpin_sender_ent *e,
    const char **err)
{
	const char *at;
	size_t i, k;
	int any = 0;

	if (n == 0 || ln[0] == '#')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)ln[i] < 0x20 && ln[i] != '\t') {
			*err = "control byte in the line";
			return -1;
		} else if (ln[i] == 0x7f) {
			*err = "control byte in the line";
			return -1;
		}
	for (i = 0; i < n && smtpin_sender_ws(ln[i]); i++)
		;
	if (i == n)
		return 0;
	if (i != 0) {
		*err = "white space before the address; lines are "
		    "\"sender-address  login[, login...]\"";
		return -1;
	}
	for (k = 0; k < n && !smtpin_sender_ws(ln[k]); k++)
		;
	e->key = ln;
	e->keylen = k;
	at = memchr(ln, '@', k);
	if (at == NULL || at == ln + k - 1 || memchr(at + 1, '@',
	    (size_t)(ln + k - at - 1)) != NULL || ln[k - 1] == '.' ||
	    at[1] == '.') {
		*err = "the first word is not an address (local@domain) or "
		    "@domain";
		return -1;
	}
	e->logins = ln + k;
	e->loginslen = n - k;
	for (i = k; i < n; i++)
		if (!smtpin_sender_sep(ln[i]))
			any = 1;
	if (!any) {
		*err = "no login after the address";
		return -1;
	}
	return 1;
}

/* Is login (len octets) one of the logins of e? */
static int
smtpin_sender_has_login(const struct smtpin_sender_ent *e, const char *login,
    size_t len)
{
	const char *p = e->logins, *end = e->logins + e->loginslen, *w;

	while (p < end) {
		while (p < end && smtpin_sender_sep(*p))
			p++;
		w = p;
		while (p < end && !smtpin_sender_sep(*p))
			p++;
		if (p > w && (size_t)(p - w) == len && memcmp(w, login, len) ==
		    0)
			return 1;
	}
	return 0;
}

/*
 * Calls back on every entry of text; stops at the first error. Used by
 * both the check and the lookup, so that they read the file alike.
 * Returns the number of entries, or -1 with *lineno and *err.
 */
static long
smtpin_sender_walk(const char *text, size_t len, size_t *lineno,
    const char **err, int (*cb)(const struct smtpin_sender_ent *, void *),
    void *arg)
{
	const char *p = text, *end = text + len, *nl;
	struct smtpin_sender_ent e;
	size_t n, line = 0;
	long count = 0;
	int r;

	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > SMTPIN_SENDER_LINE_MAX) {
			*lineno = line;
			*err = "line longer than 1024 octets";
			return -1;
		}
		if ((r = smtpin_sender_split(p, n, &e, err)) == -1) {
			*lineno = line;
			return -1;
		}
		if (r == 1) {
			count++;
			if (cb != NULL && cb(&e, arg) == -1) {
				*lineno = line;
				*err = "this address appears on an earlier "
				    "line too; list each address once";
				return -1;
			}
		}
		p += n + (nl != NULL);
	}
	return count;
}

/* For the duplicate check: the text, and the entry being compared. */
struct smtpin_sender_dup {
	const char	*text;
	size_t		 len;
	const char	*upto;	/* entries before this are compared */
	const struct smtpin_sender_ent *e;
	int		 found;
};

static int
smtpin_sender_same_key(const struct smtpin_sender_ent *a, void *arg)
{
	struct smtpin_sender_dup *d = arg;

	if (a->key < d->upto && a->keylen == d->e->keylen &&
	    strncasecmp(a->key, d->e->key, a->keylen) == 0)
		d->found = 1;
	return 0;
}

static int
smtpin_sender_dup_cb(const struct smtpin_sender_ent *e, void *arg)
{
	struct smtpin_sender_dup *top = arg, d;
	size_t ln;
	const char *err;

	d.text = top->text;
	d.len = top->len;
	d.upto = e->key;
	d.e = e;
	d.found = 0;
	(void)smtpin_sender_walk(top->text, (size_t)(e->key - top->text),
	    &ln, &err, smtpin_sender_same_key, &d);
	return d.found ? -1 : 0;
}

long
smtpin_sender_check(const char *text, size_t len, size_t *lineno,
    struct reason *why)
{
	struct smtpin_sender_dup top;
	const char *err = NULL;
	long n;

	memset(&top, 0, sizeof(top));
	top.text = text;
	top.len = len;
	*lineno = 0;
	if ((n = smtpin_sender_walk(text, len, lineno, &err,
	    smtpin_sender_dup_cb, &top)) == -1)
		(void)reason_set(why, 0, "", "%s", err);
	return n;
}

/* The lookup: the entry for the address and the one for its domain. */
struct smtpin_sender_find {
	const char	*sender;
	size_t		 senderlen;
	const char	*domain;	/* "@domain" in sender */
	size_t		 domainlen;
	struct smtpin_sender_ent exact, dom;
	int		 have_exact, have_dom;
};

static int
smtpin_sender_find_cb(const struct smtpin_sender_ent *e, void *arg)
{
	struct smtpin_sender_find *f = arg;

	if (!f->have_exact && e->keylen == f->senderlen &&
	    strncasecmp(e->key, f->sender, e->keylen) == 0) {
		f->exact = *e;
		f->have_exact = 1;
	} else if (!f->have_dom && e->key[0] == '@' &&
	    e->keylen == f->domainlen &&
	    strncasecmp(e->key, f->domain, e->keylen) == 0) {
		f->dom = *e;
		f->have_dom = 1;
	}
	return 0;
}

int
smtpin_sender_owned(const char *map, size_t maplen, const char *login,
    const char *sender, const char *const *domains, size_t ndomains)
{
	struct smtpin_sender_find f;
	const char *at, *err;
	size_t i, ln, llen = strlen(login), slen = strlen(sender);

	if ((at = strrchr(sender, '@')) == NULL || llen == 0)
		return 0;
	if (map != NULL) {
		memset(&f, 0, sizeof(f));
		f.sender = sender;
		f.senderlen = slen;
		f.domain = at;
		f.domainlen = strlen(at);
		if (smtpin_sender_walk(map, maplen, &ln, &err,
		    smtpin_sender_find_cb, &f) == -1)
			return 0;
		if (f.have_exact)
			return smtpin_sender_has_login(&f.exact, login, llen);
		if (f.have_dom)
			return smtpin_sender_has_login(&f.dom, login, llen);
		return 0;
	}
	if (memchr(login, '@', llen) != NULL)
		return llen == slen && strcasecmp(login, sender) == 0;
	/* login@D for each D of local_domains */
	if ((size_t)(at - sender) != llen ||
	    strncasecmp(sender, login, llen) != 0)
		return 0;
	for (i = 0; i < ndomains; i++)
		if (strcasecmp(at + 1, domains[i]) == 0)
			return 1;
	return 0;
}
