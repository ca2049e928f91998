/*
 * master_watch.c: smtpin reads the files that say who may receive and
 * who may log in before it enters its chroot (the passwd database for
 * local_recipients = passwd, the local_recipients file, the alias and
 * virtual alias files, the AUTH password file, sender_login_file), so it
 * cannot see them change. The master looks at them every
 * MASTER_WATCH_MS and, when one changed (inode, size, mtime or ctime)
 * and the configuration's checks still pass, restarts the smtpin
 * processes, which drain: a user added with useradd or an alias added to
 * /etc/aliases is known at RCPT within seconds, without a reload, as
 * Postfix's daemons restart when a table changes (doc/design.md §6
 * "Recipients"). Linked by sealpostd.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "master.h"

#define MASTER_WATCH_PASSWD	"/etc/passwd"

/* Records what path is now into f. */
static void
master_watch_stat(struct master_watch_file *f)
{
	struct stat st;

	if (stat(f->path, &st) == -1) {
		f->exists = 0;
		f->dev = 0;
		f->ino = 0;
		f->size = 0;
		memset(&f->mtime, 0, sizeof(f->mtime));
		memset(&f->ctime, 0, sizeof(f->ctime));
		return;
	}
	f->exists = 1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	f->ctime = st.st_ctim;
}

static int
master_watch_same(const struct master_watch_file *a,
    const struct master_watch_file *b)
{
	return a->exists == b->exists && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static void
master_watch_add(struct master_watch *w, const char *path)
{
	size_t i;

	if (path[0] == '\0' || w->nf >= MASTER_WATCH_FILES)
		return;
	for (i = 0; i < w->nf; i++)
		if (strcmp(w->f[i].path, path) == 0)
			return;
	if (strlcpy(w->f[w->nf].path, path, sizeof(w->f[w->nf].path)) >=
	    sizeof(w->f[w->nf].path))
		return;
	master_watch_stat(&w->f[w->nf]);
	w->nf++;
}

static void
master_watch_tick(void *arg)
{
	struct master		*m = arg;
	struct master_watch	*w = &m->watch;
	struct master_watch_file now;
	char			 err[CONF_ERR_MAX];
	const char		*changed = NULL;
	size_t			 i;

	for (i = 0; i < w->nf; i++) {
		now = w->f[i];
		master_watch_stat(&now);
		if (!master_watch_same(&now, &w->f[i])) {
			w->f[i] = now;
			if (changed == NULL)
				changed = w->f[i].path;
		}
	}
	if (changed != NULL)
		(void)strlcpy(w->pending, changed, sizeof(w->pending));
	if (w->pending[0] != '\0' && !m->shutting_down) {
		/*
		 * A broken password file would stop every new smtpin: keep
		 * the running ones, and try again at each tick until the
		 * checks pass, so that the change is not forgotten.
		 */
		if (master_check_delivery(&m->conf, err, sizeof(err)) == -1) {
			if (changed != NULL)
				log_warnx("%s changed, but %s; keeping the "
				    "running smtpin processes", changed, err);
		} else {
			log_info("%s changed; restarting the smtpin processes",
			    w->pending);
			w->pending[0] = '\0';
			master_restart_roles(m, 1u << PROC_SMTPIN);
		}
	}
	loop_timer_set(m->loop, &w->timer, MASTER_WATCH_MS, master_watch_tick,
	    m);
}

void
master_watch_start(struct master *m)
{
	const struct conf	*c = &m->conf;
	struct master_watch	*w = &m->watch;

	loop_timer_cancel(m->loop, &w->timer);
	w->nf = 0;
	w->pending[0] = '\0';
	if (c->local_transport != CONF_LOCAL_NONE && !c->local_rcpt_any) {
		if (c->local_rcpt_passwd)
			master_watch_add(w, MASTER_WATCH_PASSWD);
		master_watch_add(w, c->local_rcpt_file);
		master_watch_add(w, c->alias_file);
		master_watch_add(w, c->virtual_alias_file);
	}
	if (c->auth_backend == CONF_AUTH_FILE)
		master_watch_add(w, c->auth_file);
	master_watch_add(w, c->sender_login_file);
	if (w->nf > 0)
		loop_timer_set(m->loop, &w->timer, MASTER_WATCH_MS,
		    master_watch_tick, m);
}
