/*
 * master_notify.c: readiness, reload and stop notifications to the
 * service manager (doc/design.md §2), in the protocol of sd_notify(3):
 * one datagram of "KEY=value" lines to the UNIX socket that
 * $NOTIFY_SOCKET names, a path or an abstract name. Written here rather
 * than linked from libsystemd: a dozen lines, and no library in the root
 * process for them. Without NOTIFY_SOCKET nothing happens.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc_msg.h"
#include "lib/log.h"
#include "master.h"
#include "master_notify.h"

int
master_notify_addr(const char *env, struct sockaddr_un *sa,
    socklen_t *salen)
{
	size_t len;

	if (env == NULL || (env[0] != '/' && env[0] != '@'))
		return -1;
	len = strlen(env);
	if (len < 2 || len >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, env, len);
	if (env[0] == '@') {
		/* abstract: a leading NUL, and exactly len bytes of name */
		sa->sun_path[0] = '\0';
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	} else
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len + 1);
	return 0;
}

int
master_notify_reloading_msg(char *buf, size_t size, uint64_t usec)
{
	int n;

	n = snprintf(buf, size, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)usec);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* Sends one datagram; a failure is logged and changes nothing else. */
static void
master_notify_send(struct master_notify *n, const char *msg, size_t len)
{
	if (n->fd == -1)
		return;
	if (sendto(n->fd, msg, len, MSG_NOSIGNAL,
	    (const struct sockaddr *)&n->sa, n->salen) == -1) {
		log_warn("notify the service manager (%.*s)", (int)len, msg);
		return;
	}
	log_debug("service manager notified: %.*s", (int)len, msg);
}

void
master_notify_init(struct master *m)
{
	struct master_notify *n = &m->notify;
	const char *env = getenv("NOTIFY_SOCKET");

	n->state = MASTER_NOTIFY_OFF;
	n->fd = -1;
	if (env == NULL)
		return;
	if (master_notify_addr(env, &n->sa, &n->salen) == -1) {
		log_warnx("NOTIFY_SOCKET=%s: not a socket path or @name; not "
		    "notifying the service manager", env);
	} else if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
	    -1) {
		log_warn("NOTIFY_SOCKET: socket; not notifying the service "
		    "manager");
	} else
		n->state = MASTER_NOTIFY_STARTING;
	/* the children are not the service's main process */
	(void)unsetenv("NOTIFY_SOCKET");
}

/*
 * Whether every child that should run runs and answered the ping n->seq
 * or a later one (sequence numbers only grow).
 */
static int
master_notify_all_running(const struct master *m)
{
	const struct master_child *k;
	size_t i;

	if (m->notify.seq == 0 || m->shutting_down)
		return 0;
	for (i = 0; i < m->nchildren; i++) {
		k = &m->children[i];
		if (k->draining)
			continue;	/* finishing, or a free slot */
		if (k->pid <= 0 || !k->chan_open || k->expect_exit ||
		    (int32_t)(k->pong_seq - m->notify.seq) < 0)
			return 0;
	}
	return 1;
}

static void
master_notify_ready(struct master *m)
{
	struct master_notify *n = &m->notify;
	char msg[MASTER_NOTIFY_MSG_MAX];
	size_t i, nrun = 0;
	int len;

	loop_timer_cancel(m->loop, &n->timer);
	n->state = MASTER_NOTIFY_READY;
	for (i = 0; i < m->nchildren; i++)
		if (!m->children[i].draining)
			nrun++;
	len = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=running, %zu "
	    "child processes", nrun);
	if (len < 0 || (size_t)len >= sizeof(msg))
		len = (int)strlen("READY=1");	/* the first line alone */
	master_notify_send(n, msg, (size_t)len);
}

/*
 * Every MASTER_NOTIFY_POLL_MS until ready: a ping to every running child,
 * under a new number of the master's ping sequence, the one sealpost
 * status uses (master_ctl.c), so all of them get it and a status round
 * still sees its own answers. While a status round runs, its ping does.
 */
static void
master_notify_poll(void *arg)
{
	struct master *m = arg;
	struct master_notify *n = &m->notify;
	struct ipc_ping ping;
	size_t i;

	if (n->state != MASTER_NOTIFY_STARTING || m->shutting_down)
		return;
	if (master_notify_all_running(m)) {
		master_notify_ready(m);
		return;
	}
	if (m->ping_active) {
		n->seq = m->ping_seq;
	} else {
		memset(&ping, 0, sizeof(ping));
		ping.seq = ++m->ping_seq;
		n->seq = ping.seq;
		for (i = 0; i < m->nchildren; i++)
			if (m->children[i].pid > 0 && m->children[i].chan_open)
				(void)ipc_send(&m->children[i].chan, IPC_PING,
				    &ping, sizeof(ping), -1);
	}
	loop_timer_set(m->loop, &n->timer, MASTER_NOTIFY_POLL_MS,
	    master_notify_poll, m);
}

void
master_notify_wait_ready(struct master *m)
{
	struct master_notify *n = &m->notify;

	if (n->state == MASTER_NOTIFY_OFF || n->state == MASTER_NOTIFY_STOPPING)
		return;
	n->state = MASTER_NOTIFY_STARTING;
	n->seq = 0;
	loop_timer_set(m->loop, &n->timer, 0, master_notify_poll, m);
}

void
master_notify_pong(struct master *m)
{
	if (m->notify.state == MASTER_NOTIFY_STARTING &&
	    master_notify_all_running(m))
		master_notify_ready(m);
}

void
master_notify_reloading(struct master *m)
{
	struct master_notify *n = &m->notify;
	struct timespec ts;
	char msg[MASTER_NOTIFY_MSG_MAX];
	int len;

	if (n->state == MASTER_NOTIFY_OFF || n->state == MASTER_NOTIFY_STOPPING)
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	len = master_notify_reloading_msg(msg, sizeof(msg),
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	if (len == -1)
		fatalx("notify: reload message too long");
	n->state = MASTER_NOTIFY_STARTING;
	master_notify_send(n, msg, (size_t)len);
}

void
master_notify_stopping(struct master *m)
{
	struct master_notify *n = &m->notify;

	if (n->state == MASTER_NOTIFY_OFF || n->state == MASTER_NOTIFY_STOPPING)
		return;
	loop_timer_cancel(m->loop, &n->timer);
	n->state = MASTER_NOTIFY_STOPPING;
	master_notify_send(n, "STOPPING=1", strlen("STOPPING=1"));
}
