/*
 * master_listen.c: the master's listening sockets (see master.h,
 * doc/design.md §3, §6): TCP listeners of the configuration, kept across
 * a reload when their address stays, and the UNIX sockets of the pickup
 * kind, run_dir/pickup always among them.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "master.h"

/* small backlogs collapse throughput at 20 sessions: doc/design.md §6 */
#define MASTER_LISTEN_BACKLOG	1024

int
master_listen_find(const struct conf *c, const struct conf_listen *l)
{
	size_t i;

	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].sslen == l->sslen &&
		    memcmp(&c->listen[i].ss, &l->ss, l->sslen) == 0)
			return (int)i;
	return -1;
}

/*
 * A listening UNIX socket for local submission (the pickup kind,
 * doc/design.md §3, §6) at the address l: any local user may connect
 * (mode 0666, as Postfix's postdrop lets anyone submit; smtpin records
 * the uid), owned by root (the master). A socket left there by an
 * earlier run is replaced; anything else at the path is not. Returns the
 * socket, or -1 with errno set.
 */
static int
master_bind_unix(const struct sockaddr_storage *ss, socklen_t sslen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)
	    (const void *)ss;
	struct stat st;
	mode_t old;
	int s, saved, rv;

	if (lstat(sun->sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(sun->sun_path) == -1)
			return -1;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s == -1)
		return -1;
	/*
	 * The mode comes from the umask at bind: no chmod by path
	 * afterwards, which a rename in a directory others may write could
	 * turn onto another file.
	 */
	old = umask(0111);
	rv = bind(s, (const struct sockaddr *)ss, sslen);
	(void)umask(old);
	if (rv == -1 || listen(s, MASTER_LISTEN_BACKLOG) == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	return s;
}

int
master_bind(const struct conf *c, int *fds, const struct conf *old,
    const int *oldfds)
{
	size_t i;
	int one = 1, s, k;

	for (i = 0; i < c->nlisten; i++) {
		const struct conf_listen *l = &c->listen[i];

		if (old != NULL && (k = master_listen_find(old, l)) != -1) {
			fds[i] = oldfds[k];
			continue;
		}
		if (l->ss.ss_family == AF_UNIX)
			s = master_bind_unix(&l->ss, l->sslen);
		else
			s = socket(l->ss.ss_family, SOCK_STREAM |
			    SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s == -1 || (l->ss.ss_family != AF_UNIX && (
		    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == -1 ||
		    (l->ss.ss_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6,
		    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
		    bind(s, (const struct sockaddr *)&l->ss, l->sslen) == -1 ||
		    listen(s, MASTER_LISTEN_BACKLOG) == -1))) {
			log_warn("listen %s (%s)", l->text,
			    conf_listen_kind_name(l->kind));
			if (s != -1)
				close(s);
			while (i-- > 0)
				if (old == NULL ||
				    master_listen_find(old, &c->listen[i]) == -1)
					close(fds[i]);
			return -1;
		}
		fds[i] = s;
	}
	return 0;
}

/*
 * The pickup socket in run_dir that sendmail(8) finds from the
 * configuration alone, always open whatever `listen` says (doc/design.md
 * §3): a host's cron mail must not depend on a line of the file. run_dir
 * changes only with a restart, so a reload keeps it. Fatal on failure.
 */
void
master_pickup_open(struct master *m)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)(void *)&ss;
	socklen_t sslen;
	size_t i;

	if (snprintf(m->pickup_path, sizeof(m->pickup_path), "%s/%s",
	    m->conf.run_dir, CONF_PICKUP_SOCKET) >=
	    (int)sizeof(m->pickup_path))
		fatalx("path too long: %s/%s", m->conf.run_dir,
		    CONF_PICKUP_SOCKET);
	memset(&ss, 0, sizeof(ss));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, m->pickup_path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path))
		fatalx("pickup socket path too long: %s", m->pickup_path);
	sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(sun->sun_path) + 1);
	for (i = 0; i < m->conf.nlisten; i++)
		if (m->conf.listen[i].sslen == sslen &&
		    memcmp(&m->conf.listen[i].ss, &ss, sslen) == 0)
			fatalx("listen: %s is the pickup socket sealpostd "
			    "always opens; remove it from listen or name "
			    "another path", m->conf.listen[i].text);
	if ((m->pickup_fd = master_bind_unix(&ss, sslen)) == -1)
		fatal("pickup socket %s", m->pickup_path);
}
