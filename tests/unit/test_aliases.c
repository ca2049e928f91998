/*
 * test_aliases.c: unit tests for mta/smtp/aliases.c, the alias and
 * virtual alias files and their expansion (doc/design.md §11): a table
 * of files with the entries and diagnostics they give (continuations,
 * quotes, comments, CRLF, malformed lines, refused targets, includes),
 * a table of expansions (lists, nesting, loops, self-reference,
 * de-duplication, catch-all, +ext, postmaster, caps), and the parse
 * time of 10,000 generated aliases (printed, not asserted).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "smtp/aliases.h"

#define CMD	ALIASES_ALLOW_COMMANDS
#define FIL	ALIASES_ALLOW_FILES
#define INC	ALIASES_ALLOW_INCLUDED
#define VT	"info@example.org a@remote.test\n" \
		"@example.org catch@remote.test\n"

/* The include files the reader serves. */
static const struct { const char *path, *text; } incs[] = {
	{ "/etc/staff", "alice, bob\n# a comment\ncarol,\n  dave\n" },
	{ "/etc/cmds", "|/usr/bin/vacation alice\n" },
	{ "/etc/files", "/var/mail/archive\n" },
	{ "/etc/loop1", ":include:/etc/loop2\n" },
	{ "/etc/loop2", "x, :include:/etc/loop1\n" },
	{ "/etc/d1", ":include:/etc/d2\n" },
	{ "/etc/d2", ":include:/etc/d3\n" },
	{ "/etc/d3", ":include:/etc/d4\n" },
	{ "/etc/d4", ":include:/etc/d5\n" },
	{ "/etc/d5", ":include:/etc/d6\n" },
	{ "/etc/d6", ":include:/etc/d7\n" },
	{ "/etc/d7", ":include:/etc/d8\n" }, { "/etc/d8", "deep\n" },
	{ "/etc/d0", ":include:/etc/d1\n" },
	{ "/etc/bad", "ok1, bad address\n" },
	{ "/etc/back", "loopa\n" },
	{ "/etc/crlf", "p1,\r\n\tp2\r\n" },
};

static int
test_read(void *arg, const char *path, char **text, size_t *len, char *why,
    size_t whysize)
{
	size_t k;

	(void)arg;
	for (k = 0; k < sizeof(incs) / sizeof(incs[0]); k++)
		if (strcmp(incs[k].path, path) == 0) {
			*len = strlen(incs[k].text);
			*text = strdup(incs[k].text);
			return *text != NULL ? 0 : -1;
		}
	(void)snprintf(why, whysize, "No such file or directory");
	return -1;
}

struct parse_case {
	const char	*text;
	int		 kind;
	unsigned int	 flags;
	size_t		 entries;
	size_t		 errors;
	size_t		 warnings;
	const char	*diag;		/* in the first diagnostic, or NULL */
};

static const struct parse_case parse_cases[] = {
	{ "", 0, 0, 0, 0, 0, NULL },
	{ "\n\n# only comments\n   \n\t# indented comment\n", 0, 0, 0, 0, 0,
	    NULL },
	{ "root: alice\n", 0, 0, 1, 0, 0, NULL },
	{ "root: alice", 0, 0, 1, 0, 0, NULL },		/* no final LF */
	{ "root:alice,bob\n", 0, 0, 1, 0, 0, NULL },
	{ "root: alice,\n  bob,\n\tcarol\n", 0, 0, 1, 0, 0, NULL },
	/* a comment or blank line inside a continued entry */
	{ "root: alice,\n# note\n\n  bob\nx: y\n", 0, 0, 2, 0, 0, NULL },
	{ "root: alice,\r\n  bob\r\nx: y\r\n", 0, 0, 2, 0, 0, NULL },
	{ "\"a b\": alice\n", 0, 0, 1, 0, 0, NULL },
	{ "\"A B\" : alice\n", 0, 0, 1, 0, 0, NULL },
	{ "\"a\\\"b\": alice\n", 0, 0, 0, 1, 0, "bad name" },
	{ "a: b,, c,\n", 0, 0, 1, 0, 0, NULL },	/* empty items */
	{ "a: \"|/bin/x a, b\"\n", 0, CMD, 1, 0, 0, NULL },
	{ "a: |/usr/bin/procmail -a x\n", 0, CMD, 1, 0, 0, NULL },
	{ "a: /var/mail/a\n", 0, FIL, 1, 0, 0, NULL },
	{ "a: \\a, b\n", 0, 0, 1, 0, 0, NULL },
	{ "a: :include:/etc/staff\n", 0, 0, 1, 0, 0, NULL },
	{ "a: :INCLUDE: /etc/staff\n", 0, 0, 1, 0, 0, NULL },
	{ "a: :include:/etc/crlf\n", 0, 0, 1, 0, 0, NULL },
	{ "a: :include:/etc/d1\n", 0, 0, 1, 0, 0, NULL },   /* 8 deep */

	/* malformed: the rest goes on */
	{ "alice bob\nx: y\n", 0, 0, 1, 1, 0, "aliases:1: no ':'" },
	{ "x: y\nnocolon\n", 0, 0, 1, 1, 0, "aliases:2: no ':'" },
	{ "a:\nb: c\n", 0, 0, 2, 1, 0, "aliases:1: alias \"a\" has no target" },
	{ "a: ,, \n", 0, 0, 1, 1, 0, "has no target" },
	{ ": x\n", 0, 0, 0, 1, 0, "an empty name" },
	{ "a b: x\n", 0, 0, 0, 1, 0, "white space in a name" },
	{ "a@b: x\n", 0, 0, 0, 1, 0, "bad name" },
	{ "\"a b: x\n", 0, 0, 0, 1, 0, "unterminated quote" },
	{ "  x: y\nz: w\n", 0, 0, 1, 1, 0, "aliases:1: a continuation line" },
	{ "a: b c\n", 0, 0, 1, 1, 0, "white space in it" },
	{ "a: b, #c\n", 0, 0, 1, 1, 0, "a comment must be a line" },
	{ "a: b@\n", 0, 0, 1, 1, 0, "no domain" },
	{ "a: @b\n", 0, 0, 1, 1, 0, "no local part" },
	{ "a: b@c@d\n", 0, 0, 1, 1, 0, "two '@'" },
	{ "a: \"b\n", 0, 0, 1, 1, 0, "unterminated quote" },
	{ "a: b\"c\"\n", 0, 0, 1, 1, 0, "misplaced quote" },
	{ "a: \"\"\n", 0, 0, 1, 1, 0, "empty quoted target" },
	{ "a: b\x01\n", 0, 0, 1, 1, 0, "control character" },
	/* refused commands and files, with the line */
	{ "x: y\na: |/bin/sh\n", 0, 0, 2, 1, 0,
	    "aliases:2: a command target \"|/bin/sh\" refused: commands" },
	{ "a: /tmp/f\n", 0, 0, 1, 1, 0, "a file target \"/tmp/f\" refused" },
	{ "a: /tmp/f\n", 0, CMD, 1, 1, 0, "refused" },
	{ "a: |x\n", 0, FIL, 1, 1, 0, "refused" },
	{ "a: |  \n", 0, CMD, 1, 1, 0, "an empty command" },
	{ "a: :include:/etc/cmds\n", 0, CMD, 1, 1, 0,
	    "/etc/cmds:1: a command target \"|/usr/bin/vacation alice\" "
	    "refused: not allowed in :include: files" },
	{ "a: :include:/etc/cmds\n", 0, CMD | INC, 1, 0, 0, NULL },
	{ "a: :include:/etc/files\n", 0, FIL | INC, 1, 0, 0, NULL },
	/* includes */
	{ "a: :include:/etc/none\n", 0, 0, 1, 1, 0,
	    "aliases:1: :include:/etc/none: No such file or directory" },
	{ "a: :include:etc/staff\n", 0, 0, 1, 1, 0, "must be absolute" },
	{ "a: :include:/etc/d0\n", 0, 0, 1, 1, 0,
	    "/etc/d7:1: :include:/etc/d8: includes nested deeper than 8" },
	{ "a: :include:/etc/loop1\n", 0, 0, 1, 1, 0,
	    "/etc/loop2:1: include loop: /etc/loop1 -> /etc/loop2 -> "
	    "/etc/loop1" },
	{ "a: :include:/etc/bad\n", 0, 0, 1, 1, 0, "/etc/bad:1: bad address" },
	/* duplicates: the first wins, a warning */
	{ "a: b\nA: c\n", 0, 0, 1, 0, 1,
	    "aliases:2: duplicate alias \"a\" (first at aliases:1); ignored" },

	/* virtual */
	{ "a@example.org  b@example.net, c\n@example.org x@y\n", 1, 0, 2, 0,
	    0, NULL },
	{ "a@example.org b@x\n  c@y d@z\n", 1, 0, 1, 0, 0, NULL },
	{ "a@example.org\tb@x c@y,d@z\n", 1, 0, 1, 0, 0, NULL },
	{ "a b@x\n", 1, 0, 0, 1, 0, "not user@domain or @domain" },
	{ "a@ b@x\n", 1, 0, 0, 1, 0, "bad key" },
	{ "a@x\n", 1, 0, 1, 1, 0, "key \"a@x\" has no target" },
	{ "a@x |cmd\n", 1, CMD, 1, 1, 0, "in a virtual alias file" },
	{ "a@x :include:/etc/staff\n", 1, 0, 1, 1, 0, "is for alias files" },
	{ "a@x b@y\nA@X c@z\n", 1, 0, 1, 0, 1, "duplicate key" },
};

static void
test_parse_table(void **state)
{
	struct aliases_parse_opts	 o;
	struct aliases			*a;
	const char			*d;
	size_t				 k, i, len, warn;
	int				 w;

	(void)state;
	for (k = 0; k < sizeof(parse_cases) / sizeof(parse_cases[0]); k++) {
		const struct parse_case *c = &parse_cases[k];

		memset(&o, 0, sizeof(o));
		o.file = c->kind ? "virtual" : "aliases";
		o.kind = c->kind ? ALIASES_VIRTUAL : ALIASES_LOCAL;
		o.flags = c->flags;
		o.read = test_read;
		len = strlen(c->text);
		a = aliases_parse(c->text, len, &o);
		assert_non_null(a);
		warn = 0;
		for (i = 0; (d = aliases_diag(a, i, &w)) != NULL; i++)
			warn += w;
		if (aliases_count(a) != c->entries ||
		    aliases_error_count(a) != c->errors ||
		    warn != c->warnings ||
		    (c->diag != NULL && (aliases_diag(a, 0, NULL) == NULL ||
		    strstr(aliases_diag(a, 0, NULL), c->diag) == NULL))) {
			print_error("case %zu: %s\n entries %zu errors %zu "
			    "warnings %zu first diag: %s\n", k, c->text,
			    aliases_count(a), aliases_error_count(a), warn,
			    aliases_diag(a, 0, NULL) != NULL ?
			    aliases_diag(a, 0, NULL) : "(none)");
			fail();
		}
		aliases_free(a);
	}
}

struct exp_case {
	const char	*aliases;
	const char	*virt;		/* NULL: none */
	const char	*addr;
	int		 rv;
	const char	*want;		/* "m:x a:y c:z f:w" or the error */
	int		 matched;
	size_t		 max;
	char		 delim;
};

static const struct exp_case exp_cases[] = {
	/* unknown: final, not matched */
	{ "", NULL, "bob", 0, "m:bob", 0, 0, '+' },
	{ "", NULL, "bob@local.test", 0, "m:bob", 0, 0, '+' },
	{ "", NULL, "bob@remote.test", 0, "a:bob@remote.test", 0, 0, '+' },
	/* a list, a nested alias, a remote target */
	{ "staff: alice, bob, ext@remote.test\n", NULL, "staff", 0,
	    "m:alice m:bob a:ext@remote.test", 1, 0, '+' },
	{ "staff: alice, admins\nadmins: carol, dave\n", NULL,
	    "STAFF@Local.Test", 0, "m:alice m:carol m:dave", 1, 0, '+' },
	{ "a: b@local.test\nb: c\n", NULL, "a", 0, "m:c", 1, 0, '+' },
	/* self-reference is the mailbox */
	{ "root: root, backup\n", NULL, "root", 0, "m:root m:backup", 1, 0,
	    '+' },
	{ "root: Root@local.test\n", NULL, "root", 0, "m:Root", 1, 0, '+' },
	{ "a: \\a, b\n", NULL, "a", 0, "m:a m:b", 1, 0, '+' },
	{ "a: \\a, b\nb: a\n", NULL, "a", -1, "alias loop: a -> b -> a", 1,
	    0, '+' },
	/* de-duplication, also through two paths */
	{ "a: x, y, X, b\nb: y, x\n", NULL, "a", 0, "m:x m:y", 1, 0, '+' },
	{ "a: b, c\nb: d\nc: d\nd: z\n", NULL, "a", 0, "m:z", 1, 0, '+' },
	/* loops */
	{ "a: a2\na2: a\n", NULL, "a", -1, "550 5.4.6 alias loop: a -> a2 -> a",
	    1, 0, '+' },
	{ "a: b\nb: c\nc: b\n", NULL, "a", -1, "alias loop: b -> c -> b", 1, 0,
	    '+' },
	{ "loopa: :include:/etc/back\n", NULL, "loopa", 0, "m:loopa", 1, 0,
	    '+' },	/* the include names the alias itself */
	{ "loopa: x, :include:/etc/back\nx: loopb\nloopb: loopa\n", NULL,
	    "loopa", -1, "alias loop: loopa -> x -> loopb -> loopa", 1, 0,
	    '+' },
	{ "q: :include:/etc/staff\ncarol: q\n", NULL, "q", -1,
	    "alias loop: q -> carol -> q", 1, 0, '+' },
	{ "a1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\na8: a9\n"
	    "a9: a10\na10: a11\na11: a12\na12: a13\na13: a14\na14: a15\n"
	    "a15: a16\na16: a17\na17: end\n", NULL, "a1", -1,
	    "550 5.4.6 aliases nested deeper than 16", 1, 0, '+' },
	{ "a2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\na8: a9\n"
	    "a9: a10\na10: a11\na11: a12\na12: a13\na13: a14\na14: a15\n"
	    "a15: a16\na16: a17\na17: end\n", NULL, "a2", 0, "m:end", 1, 0,
	    '+' },
	/* includes */
	{ "staff: :include:/etc/staff, eve\n", NULL, "staff", 0,
	    "m:alice m:bob m:carol m:dave m:eve", 1, 0, '+' },
	/* commands and files when allowed (flags in the parse below) */
	{ "a: |/bin/prog, /var/a\n", NULL, "a", 0, "c:/bin/prog f:/var/a", 1,
	    0, '+' },
	/* a broken entry defers, the others work */
	{ "a: b c\nd: e\n", NULL, "a", -1, "451 4.3.0 alias a is broken: "
	    "aliases:1: bad address", 1, 0, '+' },
	{ "a: b c\nd: e\n", NULL, "d", 0, "m:e", 1, 0, '+' },
	/* +ext */
	{ "bob: robert\n", NULL, "bob+lists", 0, "m:robert", 1, 0, '+' },
	{ "bob: robert\nbob+lists: listbox\n", NULL, "bob+lists@local.test",
	    0, "m:listbox", 1, 0, '+' },
	{ "bob: robert\n", NULL, "bob+lists", 0, "m:bob+lists", 0, 0, '\0' },
	{ "bob: robert\n", NULL, "bob-x", 0, "m:robert", 1, 0, '-' },
	{ "bob: bob, x\n", NULL, "bob+y", 0, "m:bob m:x", 1, 0, '+' },
	{ "\"+x\": y\n", NULL, "+x", 0, "m:y", 1, 0, '+' },
	/* postmaster */
	{ "", NULL, "postmaster", 0, "m:root", 1, 0, '+' },
	{ "", NULL, "PostMaster@local.test", 0, "m:root", 1, 0, '+' },
	{ "root: admin@remote.test\n", NULL, "postmaster", 0,
	    "a:admin@remote.test", 1, 0, '+' },
	{ "postmaster: pm\n", NULL, "postmaster", 0, "m:pm", 1, 0, '+' },
	{ "", NULL, "postmaster@remote.test", 0, "a:postmaster@remote.test",
	    0, 0, '+' },
	/* caps */
	{ "a: b, c, d\n", NULL, "a", -1, "550 5.5.3 the aliases expand to more "
	    "than 2 recipients", 1, 2, '+' },
	{ "a: b, c\n", NULL, "a", 0, "m:b m:c", 1, 2, '+' },
	{ "", NULL, "bad address", -1, "501 5.1.3", 0, 0, '+' },
	{ "", NULL, "", -1, "501 5.1.3", 0, 0, '+' },
	/* virtual: exact over catch-all, ext, into local aliases */
	{ "", VT,
	    "info@example.org", 0, "a:a@remote.test", 1, 0, '+' },
	{ "", VT,
	    "sales@example.org", 0, "a:catch@remote.test", 1, 0, '+' },
	{ "", VT,
	    "info+x@Example.ORG", 0, "a:a@remote.test", 1, 0, '+' },
	{ "", "info+x@example.org special@remote.test\n"
	    "info@example.org a@remote.test\n", "info+x@example.org", 0,
	    "a:special@remote.test", 1, 0, '+' },
	{ "staff: alice, bob\n", "team@example.org staff@local.test\n",
	    "team@example.org", 0, "m:alice m:bob", 1, 0, '+' },
	{ "", "a@example.org a@example.org, b@remote.test\n",
	    "a@example.org", 0, "a:a@example.org a:b@remote.test", 1, 0, '+' },
	{ "", "a@example.org b@example.org\nb@example.org a@example.org\n",
	    "a@example.org", -1, "alias loop: a@example.org -> b@example.org "
	    "-> a@example.org", 1, 0, '+' },
	{ "", "x@example.org y\n", "nobody@example.org", 0,
	    "a:nobody@example.org", 0, 0, '+' },
};

/* "m:x a:y" of *r into buf. */
static void
test_fmt(const struct aliases_result *r, char *buf, size_t size)
{
	size_t	k, used = 0;
	int	n;

	buf[0] = '\0';
	for (k = 0; k < r->n; k++) {
		n = snprintf(buf + used, size - used, "%s%c:%s",
		    k ? " " : "", aliases_rtype_name(r->rcpt[k].type)[0],
		    r->rcpt[k].text);
		assert_true(n > 0 && (size_t)n < size - used);
		used += (size_t)n;
	}
}

static void
test_expand_table(void **state)
{
	static const char * const	 doms[] = { "local.test" };
	struct aliases_parse_opts	 po;
	struct aliases_expand_opts	 eo;
	struct aliases_result		 r;
	struct aliases			*loc, *virt;
	struct reason			 why;
	char				 got[1024], err[400];
	size_t				 k;
	int				 rv;

	(void)state;
	for (k = 0; k < sizeof(exp_cases) / sizeof(exp_cases[0]); k++) {
		const struct exp_case *c = &exp_cases[k];

		memset(&po, 0, sizeof(po));
		po.file = "aliases";
		po.flags = CMD | FIL;
		po.read = test_read;
		loc = aliases_parse(c->aliases, strlen(c->aliases), &po);
		assert_non_null(loc);
		virt = NULL;
		if (c->virt != NULL) {
			po.file = "virtual";
			po.kind = ALIASES_VIRTUAL;
			virt = aliases_parse(c->virt, strlen(c->virt), &po);
			assert_non_null(virt);
			assert_int_equal(aliases_error_count(virt), 0);
		}
		memset(&eo, 0, sizeof(eo));
		eo.local = loc;
		eo.virt = virt;
		eo.local_domains = doms;
		eo.nlocal_domains = 1;
		eo.delimiter = c->delim;
		eo.max_results = c->max;
		memset(&why, 0, sizeof(why));
		rv = aliases_expand(&eo, c->addr, strlen(c->addr), &r, &why);
		test_fmt(&r, got, sizeof(got));
		(void)snprintf(err, sizeof(err), "%d %s %s", why.code, why.dsn,
		    why.text);
		if (rv != c->rv || (rv == 0 && strcmp(got, c->want) != 0) ||
		    (rv == -1 && strstr(err, c->want) == NULL) ||
		    (rv == 0 && r.matched != c->matched)) {
			print_error("case %zu: %s -> rv %d got \"%s\" "
			    "matched %d err \"%s\"; want %d \"%s\"\n", k,
			    c->addr, rv, got, r.matched, err, c->rv, c->want);
			fail();
		}
		aliases_result_free(&r);
		aliases_free(loc);
		aliases_free(virt);
	}
}

/* The trail says which alias produced which target, and where. */
static void
test_trail(void **state)
{
	static const char	 text[] =
	    "# staff\nstaff: alice,\n  admins\nadmins: carol\n";
	struct aliases_parse_opts po = { .file = "/etc/aliases" };
	struct aliases_expand_opts eo;
	struct aliases_result	 r;
	struct aliases		*a;

	(void)state;
	a = aliases_parse(text, strlen(text), &po);
	assert_non_null(a);
	memset(&eo, 0, sizeof(eo));
	eo.local = a;
	assert_int_equal(aliases_expand(&eo, "staff", 5, &r, NULL), 0);
	assert_int_equal(r.ntrail, 3);
	assert_string_equal(r.trail[0].from, "staff");
	assert_string_equal(r.trail[0].to, "alice");
	assert_string_equal(r.trail[0].where, "/etc/aliases:2");
	assert_string_equal(r.trail[2].from, "admins");
	assert_string_equal(r.trail[2].to, "carol");
	assert_string_equal(r.trail[2].where, "/etc/aliases:4");
	assert_int_equal(r.n, 2);
	assert_string_equal(r.rcpt[1].text, "carol");
	assert_string_equal(r.rcpt[1].via, "admins");
	assert_string_equal(r.rcpt[1].where, "/etc/aliases:4");
	aliases_result_free(&r);
	aliases_free(a);
}

/* A NUL octet spoils its line only. */
static void
test_nul(void **state)
{
	static const char		 text[] = "a: b\0c\nd: e\n";
	struct aliases_parse_opts	 po = { .file = "f" };
	struct aliases			*a;

	(void)state;
	a = aliases_parse(text, sizeof(text) - 1, &po);
	assert_non_null(a);
	assert_int_equal(aliases_count(a), 1);
	assert_int_equal(aliases_error_count(a), 1);
	assert_string_equal(aliases_diag(a, 0, NULL),
	    "f:1: a NUL octet in the line");
	aliases_free(a);
}

/* Diagnostics past diags_max are counted, not kept; all lines are read. */
static void
test_diag_cap(void **state)
{
	struct aliases_parse_opts	 po = { .file = "f", .diags_max = 3 };
	struct aliases			*a;
	char				 text[2000];
	size_t				 used = 0, k;
	int				 n;

	(void)state;
	for (k = 0; k < 10; k++) {
		n = snprintf(text + used, sizeof(text) - used,
		    "bad%zu\ngood%zu: x\n", k, k);
		assert_true(n > 0 && (size_t)n < sizeof(text) - used);
		used += (size_t)n;
	}
	a = aliases_parse(text, used, &po);
	assert_non_null(a);
	assert_int_equal(aliases_count(a), 10);
	assert_int_equal(aliases_error_count(a), 10);
	assert_int_equal(aliases_diag_count(a), 3);
	assert_int_equal(aliases_diag_dropped(a), 7);
	assert_string_equal(aliases_diag(a, 2, NULL),
	    "f:5: no ':' after the name");
	assert_null(aliases_diag(a, 3, NULL));
	aliases_free(a);
}

/* A list of 1,500 members with the default cap, and over-long lines. */
static void
test_big(void **state)
{
	struct aliases_parse_opts	 po = { .file = "f" };
	struct aliases_expand_opts	 eo;
	struct aliases_result		 r;
	struct reason			 why;
	struct aliases			*a;
	char				*text;
	size_t				 used = 0, k, cap = 64 * 1024;
	int				 n;

	(void)state;
	assert_non_null(text = malloc(cap));
	n = snprintf(text, cap, "big: m0");
	used = (size_t)n;
	for (k = 1; k < 1500; k++) {
		n = snprintf(text + used, cap - used, ",\n m%zu", k);
		assert_true(n > 0 && (size_t)n < cap - used);
		used += (size_t)n;
	}
	a = aliases_parse(text, used, &po);
	assert_non_null(a);
	assert_int_equal(aliases_error_count(a), 0);
	memset(&eo, 0, sizeof(eo));
	eo.local = a;
	assert_int_equal(aliases_expand(&eo, "big", 3, &r, &why), -1);
	assert_int_equal(why.code, 550);
	assert_string_equal(why.dsn, "5.5.3");
	aliases_result_free(&r);
	eo.max_results = 2000;
	assert_int_equal(aliases_expand(&eo, "big", 3, &r, &why), 0);
	assert_int_equal(r.n, 1500);
	aliases_result_free(&r);
	aliases_free(a);
	free(text);

	/* a logical line over 1 MiB is refused, the next entry kept */
	cap = ALIASES_LINE_MAX + 100;
	assert_non_null(text = malloc(cap));
	memcpy(text, "a: b", 4);
	for (k = 4; k < ALIASES_LINE_MAX + 10; k += 4)
		memcpy(text + k, ",\n b", 4);
	memcpy(text + k, "\nc: d\n", 6);
	a = aliases_parse(text, k + 6, &po);
	assert_non_null(a);
	assert_int_equal(aliases_count(a), 1);
	assert_int_equal(aliases_error_count(a), 1);
	assert_non_null(strstr(aliases_diag(a, 0, NULL), "longer than 1 MiB"));
	aliases_free(a);
	free(text);
}

/* The parse time of 10,000 generated aliases (printed for the report). */
static void
test_parse_time(void **state)
{
	struct aliases_parse_opts	 po = { .file = "f" };
	struct aliases_expand_opts	 eo;
	struct aliases_result		 r;
	struct timespec			 t0, t1;
	struct aliases			*a;
	char				*text, name[32];
	size_t				 used = 0, k, cap = 1024 * 1024;
	int				 n;
	double				 ms;

	(void)state;
	assert_non_null(text = malloc(cap));
	for (k = 0; k < 10000; k++) {
		n = snprintf(text + used, cap - used, "user%05zu: "
		    "first.last%zu@example.org, local%zu,\n\tuser%05zu\n", k,
		    k, k, (k + 1) % 10000);
		assert_true(n > 0 && (size_t)n < cap - used);
		used += (size_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = aliases_parse(text, used, &po);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(a);
	assert_int_equal(aliases_count(a), 10000);
	assert_int_equal(aliases_error_count(a), 0);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("# parse of 10,000 aliases (%zu octets): %.2f ms\n",
	    used, ms);
	/* each name found; a chain through all of them hits the depth */
	memset(&eo, 0, sizeof(eo));
	eo.local = a;
	for (k = 0; k < 10000; k += 997) {
		n = snprintf(name, sizeof(name), "USER%05zu", k);
		assert_int_equal(aliases_expand(&eo, name, (size_t)n, &r,
		    NULL), -1);
		assert_true(r.matched);
		aliases_result_free(&r);
	}
	aliases_free(a);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_expand_table),
		cmocka_unit_test(test_trail),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_diag_cap),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_parse_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
