/*
 * local_alias.c: the alias tables of the local process and the
 * expansion of one recipient (see local_alias.h, doc/design.md §9,
 * §12). The tables are the process's configuration: read at the first
 * job, again when a file changed (stat(2) of each file read, at most
 * once a second) or a reload brought another configuration. A parse
 * with errors is used anyway: the parser marks the broken entries,
 * whose mail waits (451 4.3.0) until the file is fixed.
 * Linked by the local binary.
 */
#include "config.h"

#include <sys/stat.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/log.h"
#include "local_alias.h"
#include "smtp/aliases_load.h"

/* alias_file_allow's flags are the parser's (conf.h says so). */
typedef char local_alias_flags_match[
    CONF_ALIAS_ALLOW_COMMANDS == ALIASES_ALLOW_COMMANDS &&
    CONF_ALIAS_ALLOW_FILES == ALIASES_ALLOW_FILES &&
    CONF_ALIAS_ALLOW_INCLUDED == ALIASES_ALLOW_INCLUDED ? 1 : -1];

/* The configuration the tables were read with: a reload changes it. */
struct local_alias_key {
	char		alias_file[CONF_PATH_MAX];
	char		virtual_alias_file[CONF_PATH_MAX];
	char		default_privs[CONF_NAME_MAX];	/* reads includes */
	unsigned	flags;
};

static struct {
	int			loaded;
	struct local_alias_key	key;
	struct aliases_load	local, virt;
	int			local_ok, virt_ok;	/* read at all */
	time_t			checked;
} local_alias;

/* Logs what a parse of l (file path) found, once per parse. */
static void
local_alias_report(const char *path, const struct aliases_load *l, int rv)
{
	size_t i, n;
	int warning;
	const char *d;

	if (rv == -1) {
		log_warnx("local: %s; mail for local recipients waits until "
		    "it can be read", l->err);
		return;
	}
	if (l->missing) {
		log_warnx("local: %s (no aliases)", l->err);
		return;
	}
	n = aliases_diag_count(l->tab);
	for (i = 0; i < n; i++)
		if ((d = aliases_diag(l->tab, i, &warning)) != NULL)
			log_warnx("local: %s: %s", warning ? "warning" :
			    "error", d);
	if (aliases_diag_dropped(l->tab) > 0)
		log_warnx("local: %s: %zu more problems not shown", path,
		    aliases_diag_dropped(l->tab));
	log_info("local: %s: %zu entries, %zu errors", path,
	    aliases_count(l->tab), aliases_error_count(l->tab));
}

/*
 * Who reads the :include: files of the file owned by uid (Postfix's
 * rule, doc/design.md §12): that owner with its login group (the
 * file's group when it has no passwd entry), or default_privs when root
 * owns it. Returns 0 with *as, or -1 when default_privs is missing or
 * root (then no include is read: their entries are broken).
 */
static int
local_alias_reader(const struct conf *c, uid_t uid, gid_t gid,
    struct aliases_load_as *as)
{
	struct passwd *pw;

	memset(as, 0, sizeof(*as));
	as->set = 1;
	if (uid != 0) {
		pw = getpwuid(uid);
		as->uid = uid;
		as->gid = pw != NULL ? pw->pw_gid : gid;
		return 0;
	}
	if ((pw = getpwnam(c->default_privs)) == NULL || pw->pw_uid == 0) {
		log_warnx("local: default_privs %s is %s: :include: files are "
		    "not read", c->default_privs, pw == NULL ? "no user" :
		    "root");
		return -1;
	}
	as->uid = pw->pw_uid;
	as->gid = pw->pw_gid;
	return 0;
}

/* (Re)loads one table; ok says whether it could be read. */
static void
local_alias_load(const struct conf *c, struct aliases_load *l, int *ok,
    const char *path, enum aliases_kind kind, unsigned flags)
{
	struct aliases_load_as as;
	struct stat st;
	int rv, asok, again = 0;

	aliases_load_free(l);
	*ok = 0;
	if (path[0] == '\0')
		return;
	memset(&st, 0, sizeof(st));
	if (stat(path, &st) == -1)
		st.st_uid = 0;
	asok = local_alias_reader(c, st.st_uid, st.st_gid, &as) == 0;
	for (;;) {
		rv = aliases_load(l, path, kind, flags, asok ? &as : NULL);
		/* replaced between the stat and the read: read it again as
		   its new owner says, once */
		if (rv == -1 || l->missing || l->owner == st.st_uid || again++)
			break;
		st.st_uid = l->owner;
		asok = local_alias_reader(c, l->owner, l->group, &as) == 0;
		aliases_load_free(l);
	}
	local_alias_report(path, l, rv);
	*ok = rv == 0;
}

void
local_alias_refresh(const struct conf *c)
{
	struct local_alias_key k;
	time_t now = time(NULL);
	int all;

	memset(&k, 0, sizeof(k));
	(void)strlcpy(k.alias_file, c->alias_file, sizeof(k.alias_file));
	(void)strlcpy(k.virtual_alias_file, c->virtual_alias_file,
	    sizeof(k.virtual_alias_file));
	(void)strlcpy(k.default_privs, c->default_privs,
	    sizeof(k.default_privs));
	k.flags = c->alias_file_allow;
	all = !local_alias.loaded || memcmp(&k, &local_alias.key,
	    sizeof(k)) != 0;
	if (!all && now == local_alias.checked)
		return;
	local_alias.checked = now;
	if (all || (c->alias_file[0] != '\0' &&
	    aliases_load_changed(&local_alias.local)))
		local_alias_load(c, &local_alias.local, &local_alias.local_ok,
		    c->alias_file, ALIASES_LOCAL, k.flags);
	if (all || (c->virtual_alias_file[0] != '\0' &&
	    aliases_load_changed(&local_alias.virt)))
		local_alias_load(c, &local_alias.virt, &local_alias.virt_ok,
		    c->virtual_alias_file, ALIASES_VIRTUAL, 0);
	local_alias.key = k;
	local_alias.loaded = 1;
}

uid_t
local_alias_owner(void)
{
	return local_alias.local_ok ? local_alias.local.owner : 0;
}

int
local_alias_virtual_domain(const struct conf *c, const char *d)
{
	size_t i;

	for (i = 0; i < c->nvirtual_alias_domains; i++)
		if (strcasecmp(c->virtual_alias_domains[i], d) == 0)
			return 1;
	return 0;
}

/* The alias line (doc/design.md §9) of an expansion. */
static void
local_alias_log(const char *id, const char *addr,
    const struct aliases_result *res, const struct reason *why)
{
	struct log_kv kv;
	size_t i, cut = 0;

	log_kv_init(&kv, "alias");
	log_kv_str(&kv, "id", id);
	log_kv_str(&kv, "rcpt", addr);
	log_kv_str(&kv, "result", why != NULL ? "failed" : "expanded");
	if (why != NULL)
		log_kv_fmt(&kv, "reason", "%d %s %s", why->code, why->dsn,
		    why->text);
	log_kv_fmt(&kv, "nto", "%zu", res->n);
	for (i = 0; i < res->n; i++) {
		char v[ALIASES_TARGET_MAX + 16];
		int n;

		n = snprintf(v, sizeof(v), "%s:%s",
		    aliases_rtype_name(res->rcpt[i].type), res->rcpt[i].text);
		/* room for to_cut: the count of what did not fit */
		if (cut > 0 || n < 0 || (size_t)n >= sizeof(v) ||
		    log_kv_try(&kv, "to", v, (size_t)n, 32) == -1)
			cut++;
	}
	for (i = 0; i < res->ntrail && cut == 0; i++) {
		char v[2 * ALIASES_TARGET_MAX + 16];
		int n;

		n = snprintf(v, sizeof(v), "%s>%s", res->trail[i].from,
		    res->trail[i].to);
		if (n < 0 || (size_t)n >= sizeof(v) ||
		    log_kv_try(&kv, "step", v, (size_t)n, 100) == -1)
			break;
	}
	if (cut > 0)
		log_kv_fmt(&kv, "to_cut", "%zu", cut);
	log_kv_emit(&kv);
}

int
local_alias_expand(const struct conf *c, const char *id, const char *addr,
    struct aliases_result *res, struct reason *why)
{
	const char *doms[CONF_MAX_DOMAINS], *at;
	struct aliases_expand_opts o;
	size_t i;

	memset(res, 0, sizeof(*res));
	if ((c->alias_file[0] != '\0' && !local_alias.local_ok &&
	    !local_alias.local.missing) ||
	    (c->virtual_alias_file[0] != '\0' && !local_alias.virt_ok &&
	    !local_alias.virt.missing)) {
		reason_set(why, 451, "4.3.0", "the alias file cannot be read");
		local_alias_log(id, addr, res, why);
		return -1;
	}
	for (i = 0; i < c->nlocal_domains; i++)
		doms[i] = c->local_domains[i];
	memset(&o, 0, sizeof(o));
	o.local = local_alias.local_ok ? local_alias.local.tab : NULL;
	o.virt = local_alias.virt_ok ? local_alias.virt.tab : NULL;
	o.local_domains = doms;
	o.nlocal_domains = c->nlocal_domains;
	o.delimiter = c->recipient_delimiter[0];
	o.max_results = c->alias_expansion_limit;
	if (aliases_expand(&o, addr, strlen(addr), res, why) == -1) {
		local_alias_log(id, addr, res, why);
		return -1;
	}
	at = strrchr(addr, '@');
	if (!res->matched && at != NULL &&
	    local_alias_virtual_domain(c, at + 1)) {
		/* it exists only as a virtual alias (Postfix's rule) */
		reason_set(why, 550, "5.1.1", "no such virtual alias here");
		local_alias_log(id, addr, res, why);
		return -1;
	}
	if (res->matched)
		local_alias_log(id, addr, res, NULL);
	return 0;
}
