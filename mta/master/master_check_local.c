/*
 * master_check_local.c: the checks of sealpostd -n, start, reload and
 * master_watch.c for what smtpin and the local process read about the
 * local domains (doc/design.md §6 "Recipients", §12): the
 * local_recipients file must be a readable regular file, and the alias
 * and virtual alias files one when they exist (a missing one is no
 * aliases); smtpin would otherwise answer every local recipient 451.
 * With maildir, a warning when postmaster ends in a mailbox local
 * delivery never writes (root, a system account: stock Debian's
 * `postmaster: root` without a `root:` alias), since such mail is
 * deferred until the administrator fixes the aliases.
 * Linked by sealpostd.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master.h"
#include "smtp/aliases_load.h"

/* path must be a regular file we can read; missing_ok allows none. */
static int
master_check_local_file(const struct conf *c, const char *key,
    const char *path, int missing_ok, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (path[0] == '\0')
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return conf_key_error(c, key, err, errlen, "%s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return conf_key_error(c, key, err, errlen, "%s: not a regular "
		    "file", path);
	}
	close(fd);
	return 0;
}

/* Warns when postmaster expands to a mailbox local delivery refuses. */
static void
master_check_postmaster(const struct conf *c)
{
	struct aliases_expand_opts	 o;
	struct aliases_load		 la, lv;
	struct aliases_result		 res;
	struct reason			 why;
	const char			*doms[CONF_MAX_DOMAINS];
	char				 user[64];
	struct passwd			*pw;
	size_t				 i, k;
	char				 addr[CONF_DOMAIN_MAX + 16];

	if (c->nlocal_domains == 0)
		return;
	memset(&la, 0, sizeof(la));
	memset(&lv, 0, sizeof(lv));
	if (c->alias_file[0] != '\0')
		(void)aliases_load(&la, c->alias_file, ALIASES_LOCAL,
		    c->alias_file_allow, NULL);
	if (c->virtual_alias_file[0] != '\0')
		(void)aliases_load(&lv, c->virtual_alias_file, ALIASES_VIRTUAL,
		    0, NULL);
	for (i = 0; i < c->nlocal_domains; i++)
		doms[i] = c->local_domains[i];
	memset(&o, 0, sizeof(o));
	o.local = la.tab;
	o.virt = lv.tab;
	o.local_domains = doms;
	o.nlocal_domains = c->nlocal_domains;
	o.delimiter = c->recipient_delimiter[0];
	o.max_results = c->alias_expansion_limit;
	(void)snprintf(addr, sizeof(addr), "postmaster@%s", doms[0]);
	memset(&why, 0, sizeof(why));
	if (aliases_expand(&o, addr, strlen(addr), &res, &why) == 0) {
		for (k = 0; k < res.n; k++) {
			if (res.rcpt[k].type != ALIASES_MAILBOX ||
			    strlen(res.rcpt[k].text) >= sizeof(user))
				continue;
			for (i = 0; res.rcpt[k].text[i] != '\0'; i++)
				user[i] = (char)tolower(
				    (unsigned char)res.rcpt[k].text[i]);
			user[i] = '\0';
			pw = getpwnam(user);
			if (pw != NULL && pw->pw_uid != 0 &&
			    pw->pw_uid >= c->local_min_uid)
				continue;
			log_warnx("%s: postmaster@%s ends in the mailbox \"%s\", "
			    "which local delivery never writes (%s): its mail "
			    "waits in the queue; alias it to a person, e.g. "
			    "\"%s: you\"", c->alias_file[0] != '\0' ?
			    c->alias_file : "aliases", doms[0], user,
			    pw == NULL ? "no such user" : pw->pw_uid == 0 ?
			    "root" : "a system account below local_min_uid",
			    user);
			break;
		}
	}
	aliases_result_free(&res);
	aliases_load_free(&la);
	aliases_load_free(&lv);
}

int
master_check_local(const struct conf *c, int warn, char *err, size_t errlen)
{
	if (c->local_transport == CONF_LOCAL_NONE)
		return 0;
	if (master_check_local_file(c, "local_recipients", c->local_rcpt_file,
	    0, err, errlen) == -1 ||
	    master_check_local_file(c, "alias_file", c->alias_file, 1, err,
	    errlen) == -1 ||
	    master_check_local_file(c, "virtual_alias_file",
	    c->virtual_alias_file, 1, err, errlen) == -1)
		return -1;
	if (warn && c->local_transport == CONF_LOCAL_MAILDIR)
		master_check_postmaster(c);
	return 0;
}
