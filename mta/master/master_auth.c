/*
 * master_auth.c: the master's half of AUTH against Dovecot
 * (auth_backend = dovecot:PATH; doc/design.md §3, §6). smtpin is
 * chrooted and unprivileged and cannot reach the auth-client socket, so
 * it asks (IPC_AUTH_CONNECT) and the master, as root, connects to the
 * configured path and passes the connected descriptor back
 * (IPC_AUTH_SOCKET), or the errno of the failure. The master writes and
 * reads no byte of Dovecot's protocol (§1.4): smtpin speaks it.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master.h"

/*
 * The shortest time between two connections made for one smtpin slot:
 * smtpin asks at most once a second, and a child that asks faster (it
 * does not read its channel, or it is not ours any more) gets EAGAIN
 * instead of descriptors piling up in the master's send queue.
 */
#define MASTER_AUTH_MIN_GAP_MS	500

static uint64_t	master_auth_last_ms[MASTER_MAX_CHILDREN];

/*
 * Connects to the UNIX stream socket path without blocking: a local
 * socket either takes the connection at once or refuses (EAGAIN when its
 * backlog is full, ECONNREFUSED when nobody listens). Returns the
 * descriptor (non-blocking, close-on-exec), or -1 with errno.
 */
static int
master_auth_dial(const char *path)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		/* not connected now is not connected: smtpin asks again */
		errno = e == EINPROGRESS ? EAGAIN : e;
		return -1;
	}
	return fd;
}

/*
 * IPC_AUTH_CONNECT from smtpin child k: answers IPC_AUTH_SOCKET with the
 * connected descriptor (the channel takes it and closes it once sent), or
 * with the errno and no descriptor. Logs a failure at most once per ask.
 */
void
master_auth_connect(struct master *m, struct master_child *k)
{
	struct ipc_auth_socket r;
	size_t idx = (size_t)(k - m->children);
	uint64_t now = loop_now_ms();
	int fd = -1;

	memset(&r, 0, sizeof(r));
	if (m->conf.auth_backend != CONF_AUTH_DOVECOT)
		r.error = EOPNOTSUPP;
	else if (idx < MASTER_MAX_CHILDREN && master_auth_last_ms[idx] != 0 &&
	    now - master_auth_last_ms[idx] < MASTER_AUTH_MIN_GAP_MS)
		r.error = EAGAIN;
	else {
		if (idx < MASTER_MAX_CHILDREN)
			master_auth_last_ms[idx] = now;
		if ((fd = master_auth_dial(m->conf.auth_socket)) == -1) {
			r.error = errno;
			log_warnx("%s: auth_backend: cannot connect to %s: %s",
			    k->title, m->conf.auth_socket, strerror(errno));
		}
	}
	if (fd != -1)
		log_debug("%s: connected to %s", k->title,
		    m->conf.auth_socket);
	/* a failed send breaks the channel, which kills the child */
	(void)ipc_send(&k->chan, IPC_AUTH_SOCKET, &r, sizeof(r), fd);
}

/*
 * At start and reload (and sealpostd -n): Dovecot may start after us, so
 * a missing socket is no error, but worth a warning (doc/design.md §6).
 */
void
master_auth_check(const struct conf *c)
{
	struct stat st;

	if (c->auth_backend != CONF_AUTH_DOVECOT)
		return;
	if (stat(c->auth_socket, &st) == -1)
		log_warnx("auth_backend: %s: %s; AUTH gets 454 4.7.0 until "
		    "Dovecot listens there", c->auth_socket, strerror(errno));
	else if (!S_ISSOCK(st.st_mode))
		log_warnx("auth_backend: %s is not a socket; AUTH gets 454 "
		    "4.7.0 until Dovecot listens there", c->auth_socket);
}
