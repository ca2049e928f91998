/*
 * smtpin_rcpt.c: who exists in the local domains, so that RCPT refuses
 * an unknown local recipient with 550 5.1.1 in the session instead of
 * accepting it and bouncing later (issue 12, item 1; no backscatter;
 * doc/design.md §6 "Recipients"). Before the chroot it reads the logins
 * of the passwd database with a uid of at least local_min_uid (root
 * never: local delivery never writes as root, so root must be an
 * alias), the local_recipients file, and the alias and virtual alias
 * files (aliases_load.c); the decision is rcpt_table.c's. The files
 * cannot be read again inside the chroot: the master watches them and
 * restarts the smtpin processes when one changes (master_watch.c).
 * Linked by smtpin.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtp/aliases_load.h"
#include "smtp/rcpt_table.h"
#include "smtpin.h"

#define SMTPIN_RCPT_FILE_MAX	(64 * 1024 * 1024)

struct smtpin_rcpt {
	/*
	 * A file could not be read: every local recipient gets 451 4.3.0
	 * until the master sees it change and restarts us; refusing them
	 * (550) would lose mail, accepting them would make backscatter.
	 */
	char			 broken[1024];
	struct rcpt_check	 check;
	struct rcpt_table	*users;
	struct rcpt_table	*file;
	struct aliases_load	 local;
	struct aliases_load	 virt;
};

/*
 * A login local delivery can reach: it lower-cases the local part and
 * takes only what useradd(8) allows (local_deliver.c), so an upper-case
 * login or a Samba machine account ("host$") would be accepted here and
 * bounced there.
 */
static int
smtpin_rcpt_login_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || (s[i] == '-' && i > 0)))
			return 0;
	return i > 0;
}

/* The logins of passwd with uid >= min (never 0). */
static void
smtpin_rcpt_passwd(struct smtpin *srv, struct rcpt_table *t, unsigned min)
{
	struct passwd	*pw;
	int		 nomem = 0;

	errno = 0;
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_uid == 0 || pw->pw_uid < min ||
		    !smtpin_rcpt_login_ok(pw->pw_name))
			continue;
		if (rcpt_table_add(t, pw->pw_name, strlen(pw->pw_name),
		    &nomem) == -1 && nomem)
			fatalx("%s: local_recipients: out of memory",
			    srv->child.title);
	}
	endpwent();
}

/* The local_recipients file: read whole, parsed by rcpt_table_parse.
   Returns 0, or -1 with r->broken saying why. */
static int
smtpin_rcpt_file(struct smtpin *srv, struct smtpin_rcpt *r,
    struct rcpt_table *t, const char *path)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0, bad, first;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		(void)snprintf(r->broken, sizeof(r->broken), "local_recipients "
		    "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SMTPIN_RCPT_FILE_MAX) {
		(void)snprintf(r->broken, sizeof(r->broken), "local_recipients "
		    "%s: not a regular file of at most %d octets", path,
		    SMTPIN_RCPT_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("%s: local_recipients", srv->child.title);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(r->broken, sizeof(r->broken),
			    "local_recipients %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (rcpt_table_parse(t, buf, len, &bad, &first) == -1)
		fatalx("%s: local_recipients: out of memory",
		    srv->child.title);
	free(buf);
	if (bad > 0)
		log_warnx("%s: local_recipients %s:%zu: no recipient name on "
		    "the line (%zu such line%s skipped)", srv->child.title,
		    path, first, bad, bad == 1 ? "" : "s");
	return 0;
}

/*
 * An alias file, without its :include: files (the names are enough;
 * what they hold is the local process's to read, as the file's owner). A
 * missing one is empty; one that cannot be read breaks the check (every
 * alias would be refused as unknown otherwise). Returns 0 or -1.
 */
static int
smtpin_rcpt_aliases(struct smtpin_rcpt *r, struct aliases_load *l,
    const char *key, const char *path, enum aliases_kind kind,
    unsigned flags)
{
	if (path[0] == '\0')
		return 0;
	if (aliases_load(l, path, kind, flags, NULL) == -1) {
		(void)snprintf(r->broken, sizeof(r->broken), "%s %s", key,
		    l->err);
		return -1;
	}
	return 0;
}

void
smtpin_rcpt_init(struct smtpin *srv)
{
	const struct conf	*c = srv->conf;
	struct smtpin_rcpt	*r;
	size_t			 i;

	for (i = 0; i < c->nvirtual_alias_domains; i++)
		srv->virtual_domains[i] = c->virtual_alias_domains[i];
	if (c->local_transport == CONF_LOCAL_NONE)
		return;		/* local mail waits: nothing to check */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->users = rcpt_table_new()) == NULL ||
	    (r->file = rcpt_table_new()) == NULL)
		fatal("%s: local_recipients", srv->child.title);
	r->check.any = c->local_rcpt_any;
	if (c->local_rcpt_passwd)
		smtpin_rcpt_passwd(srv, r->users, c->local_min_uid);
	if ((c->local_rcpt_file[0] != '\0' &&
	    smtpin_rcpt_file(srv, r, r->file, c->local_rcpt_file) == -1) ||
	    smtpin_rcpt_aliases(r, &r->local, "alias_file", c->alias_file,
	    ALIASES_LOCAL, c->alias_file_allow) == -1 ||
	    smtpin_rcpt_aliases(r, &r->virt, "virtual_alias_file",
	    c->virtual_alias_file, ALIASES_VIRTUAL, 0) == -1)
		log_warnx("%s: %s; local recipients get 451 4.3.0 until it "
		    "is fixed", srv->child.title, r->broken);
	r->check.users = r->users;
	r->check.file = r->file;
	r->check.aliases.local = r->local.tab;
	r->check.aliases.virt = r->virt.tab;
	r->check.aliases.local_domains = srv->local_domains;
	r->check.aliases.nlocal_domains = c->nlocal_domains;
	r->check.aliases.delimiter = c->recipient_delimiter[0];
	srv->rcpt = r;
	log_debug("%s: local recipients: %zu users, %zu in the file%s",
	    srv->child.title, rcpt_table_count(r->users),
	    rcpt_table_count(r->file), r->check.any ? " (any)" : "");
}

int
smtpin_rcpt_known(struct smtpin *srv, const char *local, size_t ln,
    const char *domain, size_t dn, int virtual)
{
	if (srv->rcpt == NULL)
		return 1;
	if (srv->rcpt->broken[0] != '\0')
		return -1;
	return rcpt_check_known(&srv->rcpt->check, local, ln, domain, dn,
	    virtual) != RCPT_UNKNOWN;
}
