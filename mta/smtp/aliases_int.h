/*
 * aliases_int.h: what aliases.c (the parse) and aliases_expand.c (the
 * expansion) share and no one else sees: the table's layout and four
 * helpers (see aliases.h). Pure. Linked with aliases.c.
 */
#ifndef SEALPOST_ALIASES_INT_H
#define SEALPOST_ALIASES_INT_H

#include <stddef.h>

#include "aliases.h"

struct aliases_tgt {
	enum aliases_rtype	 type;
	char			*text;
	char			*where;		/* "file:line" */
};

struct aliases_ent {
	char			*name;		/* lower case */
	size_t			 namelen;
	char			*where;
	struct aliases_tgt	*t;
	size_t			 n, cap;
	char			*broken;	/* NULL, or the first problem */
};

struct aliases_dg {
	char	*text;
	int	 warning;
};

struct aliases {
	enum aliases_kind	 kind;
	struct aliases_ent	*ent;
	size_t			 nent, capent;
	size_t			*slot;		/* entry index + 1; 0: empty */
	size_t			 nslot;		/* a power of two */
	struct aliases_dg	*dg;
	size_t			 ndg, dgmax, dropped, nerrors;
	int			 nomem;
};

/* 1 when a[0..an) and b[0..bn) are equal ignoring ASCII case. */
int	aliases_eq(const char *a, size_t an, const char *b, size_t bn);
/* The entry index of key[0..n) in a, or -1. */
long	aliases_find(const struct aliases *a, const char *key, size_t n);
/* A NUL-terminated copy of s[0..n), or NULL when memory is short. */
char	*aliases_strndup(const char *s, size_t n);
/*
 * Checks an address s[0..n) (a target, a virtual key with at_ok for
 * "@domain", a name with no '@'). Returns NULL or what is wrong.
 */
const char *aliases_addr_bad(const char *s, size_t n, int at_ok,
	    int bare_only);

#endif
