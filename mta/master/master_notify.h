/*
 * master_notify.h: the master tells its service manager (systemd's
 * Type=notify, sd_notify(3)'s protocol, without libsystemd) when it is
 * ready, reloading and stopping (doc/design.md §2). The address parser
 * and the message builder are pure; the rest writes datagrams to
 * $NOTIFY_SOCKET. Linked by the sealpostd binary.
 */
#ifndef SEALPOST_MASTER_NOTIFY_H
#define SEALPOST_MASTER_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/loop.h"

/* how often the master asks its children whether they run, until ready */
#define MASTER_NOTIFY_POLL_MS	100
#define MASTER_NOTIFY_MSG_MAX	128

enum master_notify_state {
	MASTER_NOTIFY_OFF = 0,		/* no NOTIFY_SOCKET: nothing to do */
	MASTER_NOTIFY_STARTING,		/* READY=1 not sent yet */
	MASTER_NOTIFY_READY,
	MASTER_NOTIFY_STOPPING
};

struct master_notify {
	enum master_notify_state state;
	int			 fd;		/* -1 when off */
	struct sockaddr_un	 sa;
	socklen_t		 salen;
	uint32_t		 seq;		/* the ping every child must
						   have answered */
	struct loop_timer	 timer;
};

struct master;

/*
 * Pure: the socket address that the value of NOTIFY_SOCKET names: an
 * absolute path, or "@name" for the abstract name "name" (the leading
 * NUL in sun_path). Returns 0 with *sa and *salen set, or -1 when env is
 * NULL, empty, neither of those forms, or too long for sun_path.
 */
int	master_notify_addr(const char *env, struct sockaddr_un *sa,
	    socklen_t *salen);
/*
 * Pure: writes the reload message "RELOADING=1\nMONOTONIC_USEC=usec"
 * into buf. Returns its length, or -1 when buf is too small.
 */
int	master_notify_reloading_msg(char *buf, size_t size, uint64_t usec);

/*
 * Reads NOTIFY_SOCKET and removes it from the environment (so that no
 * child inherits it); opens the datagram socket. Without the variable,
 * or when it is malformed (logged) or the socket cannot be made (logged),
 * every later call does nothing. Call once, before the children start.
 */
void	master_notify_init(struct master *);
/*
 * Start, and the end of a reload: from now on the master pings its
 * children every MASTER_NOTIFY_POLL_MS and sends READY=1 once every
 * child that should run (not draining) runs, is not on its way out and
 * has answered a ping sent after this call: what sealpost status would
 * show as running.
 */
void	master_notify_wait_ready(struct master *);
/* A child answered a ping (master.c): READY=1 if it was the last one. */
void	master_notify_pong(struct master *);
/* SIGHUP: sends RELOADING=1 with the monotonic clock's time. */
void	master_notify_reloading(struct master *);
/* Shutdown: sends STOPPING=1; no READY=1 is sent after it. */
void	master_notify_stopping(struct master *);

#endif
