/*
 * ipc_msg.h: the message types that sealpost processes exchange over their
 * UNIX socketpairs (DESIGN.md §2), and their payloads. Every channel has an
 * allow-list of the types it may receive; anything else is fatal to the
 * receiver. Payloads are fixed-layout structs between processes of the same
 * build (never across hosts), so no byte-order conversion.
 * Included by mta/ (all daemons and the CLI).
 */
#ifndef SEALPOST_IPC_MSG_H
#define SEALPOST_IPC_MSG_H

#include <stdint.h>
#include <sys/types.h>

#define IPC_PAYLOAD_MAX	16384

enum ipc_type {
	IPC_NONE = 0,
	/* master <-> every child */
	IPC_PING,		/* master -> child: are you alive? */
	IPC_PONG,		/* child -> master: struct ipc_pong */
	/* sealpost(8) <-> master over the control socket */
	IPC_CTL_STATUS,		/* CLI -> master: list processes */
	IPC_CTL_PROC,		/* master -> CLI: struct ipc_ctl_proc */
	IPC_CTL_END,		/* master -> CLI: end of a listing */
	IPC_CTL_ERROR,		/* master -> CLI: text of an error */
	IPC_TYPE_MAX		/* must stay <= 64: allow-lists are bitmasks */
};

#define IPC_ALLOW(t)	((uint64_t)1 << (t))

struct ipc_pong {
	pid_t		pid;
	uint32_t	seq;		/* echoes the ping's sequence number */
};

struct ipc_ping {
	uint32_t	seq;
};

struct ipc_ctl_proc {
	char		role[16];	/* "master", "smtpin", "queue", ... */
	uint32_t	instance;
	pid_t		pid;		/* 0: not running (waiting to restart) */
	uid_t		uid;
	int64_t		started;	/* wall clock, seconds */
	uint32_t	restarts;
	int32_t		responding;	/* 1 answered ping, 0 no, -1 unknown */
};

#endif
