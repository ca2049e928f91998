/*
 * master_maildrop.c: the master's half of the maildrop (doc/design.md
 * §2, §6): while data_dir/maildrop holds files, sealpostd runs
 * `sealpost-sendmail -bD` (the drain: it submits each file as its owner)
 * as a short-lived child, 1 s after start and then every 60 s, never two
 * at once. The master only looks whether the directory has entries; it
 * opens and parses none of them (§1.4: it parses no untrusted data). At
 * shutdown the drain gets SIGTERM first, finishes the file at hand and
 * exits; the master waits for it (a few seconds at most) before it stops
 * smtpin and the queue, so that a reply of theirs is not lost between
 * them, and then like for its other children, under the same kill timer.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master.h"

#define MASTER_MAILDROP_FIRST_MS	1000
#define MASTER_MAILDROP_EVERY_MS	60000

/* Whether data_dir/maildrop has an entry (a file being written counts). */
static int
master_maildrop_pending(const struct master *m)
{
	char path[CONF_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n, any = 0;

	n = snprintf(path, sizeof(path), "%s/maildrop", m->conf.data_dir);
	if (n < 0 || (size_t)n >= sizeof(path) || (d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			any = 1;
			break;
		}
	(void)closedir(d);
	return any;
}

static void
master_maildrop_spawn(struct master *m)
{
	char *argv[8];
	int argc = 0;
	pid_t pid;

	argv[argc++] = (char *)"sealpost-sendmail";
	argv[argc++] = (char *)"-bD";
	if (!m->builtin) {
		argv[argc++] = (char *)"-C";
		argv[argc++] = m->abs_conffile;
	}
	if (m->debug)
		argv[argc++] = (char *)"-d";	/* log to our stderr */
	argv[argc] = NULL;
	if ((pid = proc_spawn(m->maildrop.prog, argv, NULL, 0)) == -1) {
		log_warn("maildrop: cannot run %s", m->maildrop.prog);
		return;
	}
	m->maildrop.pid = pid;
	log_debug("maildrop: drain started (pid %ld)", (long)pid);
}

static void
master_maildrop_timer(void *arg)
{
	struct master *m = arg;

	if (m->shutting_down)
		return;
	if (m->maildrop.pid == 0 && master_maildrop_pending(m))
		master_maildrop_spawn(m);
	loop_timer_set(m->loop, &m->maildrop.timer, MASTER_MAILDROP_EVERY_MS,
	    master_maildrop_timer, m);
}

void
master_maildrop_start(struct master *m)
{
	char self[CONF_PATH_MAX];
	ssize_t n;
	char *slash;
	int r;

	/* development mode makes no maildrop: its drain needs root */
	if (m->conf.devmode)
		return;
	/* sealpost-sendmail is installed (and built) next to sealpostd */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_warn("maildrop: readlink /proc/self/exe; the maildrop is "
		    "not drained");
		return;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	r = snprintf(m->maildrop.prog, sizeof(m->maildrop.prog),
	    "%s/sealpost-sendmail", self);
	if (r < 0 || (size_t)r >= sizeof(m->maildrop.prog) ||
	    access(m->maildrop.prog, X_OK) == -1) {
		log_warnx("maildrop: no sealpost-sendmail next to sealpostd "
		    "(%s); the maildrop is not drained", self);
		m->maildrop.prog[0] = '\0';
		return;
	}
	loop_timer_set(m->loop, &m->maildrop.timer, MASTER_MAILDROP_FIRST_MS,
	    master_maildrop_timer, m);
}

int
master_maildrop_reaped(struct master *m, pid_t pid, int status)
{
	if (m->maildrop.pid == 0 || pid != m->maildrop.pid)
		return 0;
	m->maildrop.pid = 0;
	if (WIFSIGNALED(status))
		log_warnx("maildrop: drain (pid %ld) killed by signal %d",
		    (long)pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("maildrop: drain (pid %ld) exited with status %d",
		    (long)pid, WEXITSTATUS(status));
	return 1;
}

int
master_maildrop_stop(struct master *m)
{
	if (m->loop != NULL)
		loop_timer_cancel(m->loop, &m->maildrop.timer);
	if (m->maildrop.pid <= 0)
		return 0;
	(void)kill(m->maildrop.pid, SIGTERM);
	return 1;
}
