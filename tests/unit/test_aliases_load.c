/*
 * test_aliases_load.c: unit tests for reading the alias file from disk
 * (mta/smtp/aliases_load.c, doc/design.md §12) in a temporary
 * directory: :include: files refused without a reader, read as the
 * caller, the budget of one parse (64 include files), and, when run as
 * root, an include read as another user: a root-only file is refused
 * and root, its group and the groups are back afterwards.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smtp/aliases_load.h"

static char dir[] = "/tmp/test_aliases_load.XXXXXX";

static void
put(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* How the entry `name` expands: 0, or the reason's code. */
static int
expand(const struct aliases *tab, const char *name, size_t *n)
{
	struct aliases_expand_opts o;
	struct aliases_result res;
	struct reason why;
	int rv;

	memset(&o, 0, sizeof(o));
	o.local = tab;
	memset(&why, 0, sizeof(why));
	rv = aliases_expand(&o, name, strlen(name), &res, &why);
	*n = res.n;
	aliases_result_free(&res);
	return rv == 0 ? 0 : why.code;
}

static void
test_include_as_caller(void **state)
{
	static const struct aliases_load_as me = { 0, 0, 0 };
	struct aliases_load l;
	char path[256], text[512];
	size_t n;

	(void)state;
	(void)snprintf(text, sizeof(text), "list: :include:%s/list.inc\n",
	    dir);
	put("aliases", text, 0644);
	put("list.inc", "alice\nbob, carol\n", 0644);
	(void)snprintf(path, sizeof(path), "%s/aliases", dir);

	/* no reader: the entry is broken, 451 */
	assert_int_equal(aliases_load(&l, path, ALIASES_LOCAL, 0, NULL), 0);
	assert_int_equal(expand(l.tab, "list", &n), 451);
	assert_int_equal(l.owner, geteuid());
	aliases_load_free(&l);

	assert_int_equal(aliases_load(&l, path, ALIASES_LOCAL, 0, &me), 0);
	assert_int_equal(expand(l.tab, "list", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(l.nid, 2);	/* the file and its include */
	assert_int_equal(aliases_load_changed(&l), 0);
	aliases_load_free(&l);
}

/* 70 entries with an include each: the first 64 are read. */
static void
test_include_budget(void **state)
{
	static const struct aliases_load_as me = { 0, 0, 0 };
	struct aliases_load l;
	char path[256], name[32], *text;
	size_t i, n, used = 0, size = 70 * 300;
	int k;

	(void)state;
	assert_non_null(text = calloc(1, size));
	for (i = 0; i < 70; i++) {
		(void)snprintf(name, sizeof(name), "i%zu.inc", i);
		put(name, "alice\n", 0644);
		k = snprintf(text + used, size - used,
		    "e%zu: :include:%s/%s\n", i, dir, name);
		assert_true(k > 0 && (size_t)k < size - used);
		used += (size_t)k;
	}
	put("aliases", text, 0644);
	free(text);
	(void)snprintf(path, sizeof(path), "%s/aliases", dir);
	assert_int_equal(aliases_load(&l, path, ALIASES_LOCAL, 0, &me), 0);
	assert_int_equal(expand(l.tab, "e0", &n), 0);
	assert_int_equal(expand(l.tab, "e63", &n), 0);
	assert_int_equal(expand(l.tab, "e64", &n), 451);
	assert_int_equal(expand(l.tab, "e69", &n), 451);
	assert_int_equal(aliases_error_count(l.tab), 6);
	assert_non_null(strstr(aliases_diag(l.tab, 0, NULL),
	    "more than 64 include files"));
	aliases_load_free(&l);
}

/* As root: the include is read as nobody; root-only is refused. */
static void
test_include_as_user(void **state)
{
	struct aliases_load_as as = { 1, 0, 0 };
	struct aliases_load l;
	struct passwd *pw;
	char path[256], text[512];
	gid_t before[256], after[256];
	int nb, na;
	size_t n;

	(void)state;
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		skip();
		return;
	}
	as.uid = pw->pw_uid;
	as.gid = pw->pw_gid;
	(void)snprintf(text, sizeof(text), "open: :include:%s/open.inc\n"
	    "secret: :include:%s/secret.inc\n", dir, dir);
	put("aliases", text, 0644);
	put("open.inc", "alice\n", 0644);
	put("secret.inc", "topsecret\n", 0600);
	assert_int_equal(chmod(dir, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/aliases", dir);
	nb = getgroups(256, before);
	assert_int_equal(aliases_load(&l, path, ALIASES_LOCAL, 0, &as), 0);
	assert_int_equal(expand(l.tab, "open", &n), 0);
	assert_int_equal(expand(l.tab, "secret", &n), 451);
	assert_null(strstr(aliases_diag(l.tab, 0, NULL), "topsecret\n"));
	assert_non_null(strstr(aliases_diag(l.tab, 0, NULL),
	    "Permission denied"));
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), 0);
	na = getgroups(256, after);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, (size_t)(na > 0 ? na : 0) *
	    sizeof(gid_t));
	aliases_load_free(&l);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_as_caller),
		cmocka_unit_test(test_include_budget),
		cmocka_unit_test(test_include_as_user),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
