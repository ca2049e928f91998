/*
 * fuzz_aliases.c: fuzz target for mta/smtp/aliases.c, the alias and
 * virtual alias files and their expansion (doc/design.md §1.5, §11).
 * The first octet picks the flags; the rest is parsed as an alias file
 * and as a virtual alias file (the include "/inc" reads the same text
 * again, any other path fails), then every name of both tables, some
 * with an extension, and postmaster are expanded through them.
 * Checked: the parse never fails but for memory, every diagnostic
 * starts with its file's name, an expansion returns 0 or -1 with a
 * status, at most max_results de-duplicated recipients of a known type,
 * postmaster always resolves, and the result is the same twice.
 * Invariants that fail abort(), which both drivers report. Linked by
 * tests/fuzz/fuzz_aliases only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/aliases.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#define FUZZ_READS_MAX	64	/* include reads of one parse */
#define FUZZ_MAX	50	/* max_results, low to reach the cap */

struct fuzz_in {
	const char	*s;
	size_t		 len, reads;
};

static int
fuzz_read(void *arg, const char *path, char **text, size_t *len, char *why,
    size_t whysize)
{
	struct fuzz_in *in = arg;

	if (strcmp(path, "/inc") != 0 || ++in->reads > FUZZ_READS_MAX) {
		(void)snprintf(why, whysize, "no such file");
		return -1;
	}
	if ((*text = malloc(in->len + 1)) == NULL)
		return -1;
	memcpy(*text, in->s, in->len);
	*len = in->len;
	return 0;
}

static void
fuzz_diags(const struct aliases *a, const char *file)
{
	const char	*d;
	size_t		 i;
	int		 w;

	FUZZ_CHECK(aliases_error_count(a) <= aliases_diag_count(a) +
	    aliases_diag_dropped(a));
	for (i = 0; (d = aliases_diag(a, i, &w)) != NULL; i++)
		FUZZ_CHECK(strncmp(d, file, strlen(file)) == 0 ||
		    strncmp(d, "/inc:", 5) == 0);
	FUZZ_CHECK(i == aliases_diag_count(a));
}

static void
fuzz_expand(const struct aliases_expand_opts *o, const char *addr)
{
	struct aliases_result	r, r2;
	struct reason		why, why2;
	size_t			k, j;
	int			rv, rv2;

	memset(&why, 0, sizeof(why));
	rv = aliases_expand(o, addr, strlen(addr), &r, &why);
	FUZZ_CHECK(rv == 0 || rv == -1);
	if (rv == -1)
		FUZZ_CHECK(why.code >= 400 && why.code < 600 &&
		    why.text[0] != '\0');
	FUZZ_CHECK(r.n <= FUZZ_MAX);
	for (k = 0; k < r.n; k++) {
		FUZZ_CHECK(strcmp(aliases_rtype_name(r.rcpt[k].type), "?") !=
		    0);
		FUZZ_CHECK(r.rcpt[k].text[0] != '\0');
		for (j = 0; j < k; j++)
			FUZZ_CHECK(r.rcpt[j].type != r.rcpt[k].type ||
			    (r.rcpt[k].type >= ALIASES_COMMAND ?
			    strcmp(r.rcpt[j].text, r.rcpt[k].text) :
			    strcasecmp(r.rcpt[j].text, r.rcpt[k].text)) != 0);
	}
	if (rv == 0 && strcasecmp(addr, "postmaster") == 0)
		FUZZ_CHECK(r.matched && r.n > 0);
	rv2 = aliases_expand(o, addr, strlen(addr), &r2, &why2);
	FUZZ_CHECK(rv2 == rv && r2.n == r.n);
	for (k = 0; k < r.n; k++)
		FUZZ_CHECK(strcmp(r.rcpt[k].text, r2.rcpt[k].text) == 0);
	aliases_result_free(&r);
	aliases_result_free(&r2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char * const	 doms[] = { "local.test" };
	struct aliases_parse_opts	 po;
	struct aliases_expand_opts	 eo;
	struct aliases			*loc, *virt;
	struct fuzz_in			 in;
	char				 addr[ALIASES_NAME_MAX + 8];
	size_t				 k;
	unsigned int			 fl = size > 0 ? data[0] : 0;
	int				 n;

	if (size > 0) {
		data++;
		size--;
	}
	in.s = (const char *)data;
	in.len = size;
	in.reads = 0;
	memset(&po, 0, sizeof(po));
	po.file = "aliases";
	po.kind = ALIASES_LOCAL;
	po.flags = fl & 7;
	po.read = fuzz_read;
	po.read_arg = &in;
	po.diags_max = 1 + (fl >> 4);
	loc = aliases_parse(in.s, in.len, &po);
	FUZZ_CHECK(loc != NULL);
	fuzz_diags(loc, "aliases:");
	po.file = "virtual";
	po.kind = ALIASES_VIRTUAL;
	virt = aliases_parse(in.s, in.len, &po);
	FUZZ_CHECK(virt != NULL);
	fuzz_diags(virt, "virtual:");

	memset(&eo, 0, sizeof(eo));
	eo.local = loc;
	eo.virt = (fl & 8) ? virt : NULL;
	eo.local_domains = doms;
	eo.nlocal_domains = 1;
	eo.delimiter = '+';
	eo.max_results = FUZZ_MAX;
	fuzz_expand(&eo, "postmaster");
	fuzz_expand(&eo, "postmaster@local.test");
	/* each name of the first entries, bare, extended and qualified:
	 * the names are reached through the table's own diagnostics-free
	 * interface, so take them from the text's first words */
	for (k = 0; k < 3; k++) {
		const char	*p = in.s, *e;
		size_t		 skip = k, len;

		while (p < in.s + in.len && skip > 0) {
			e = memchr(p, '\n', (size_t)(in.s + in.len - p));
			if (e == NULL)
				break;
			p = e + 1;
			skip--;
		}
		len = 0;
		while (p + len < in.s + in.len && p[len] != ':' &&
		    p[len] != ' ' && p[len] != '\n' && len < ALIASES_NAME_MAX)
			len++;
		if (len == 0)
			continue;
		n = snprintf(addr, sizeof(addr), "%.*s", (int)len, p);
		if (n > 0 && memchr(p, '\0', len) == NULL)
			fuzz_expand(&eo, addr);
		n = snprintf(addr, sizeof(addr), "%.*s+x@local.test", (int)len,
		    p);
		if (n > 0 && (size_t)n < sizeof(addr) &&
		    memchr(p, '\0', len) == NULL)
			fuzz_expand(&eo, addr);
	}
	aliases_free(loc);
	aliases_free(virt);
	return 0;
}
