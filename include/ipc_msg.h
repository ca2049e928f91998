/*
 * ipc_msg.h: the message types that sealpost processes exchange over
 * their UNIX socketpairs (doc/design.md §3), and their payloads. Every
 * channel has an allow-list of the types it may receive; anything else
 * is fatal to the receiver. Payloads are fixed-layout structs between
 * processes of the same build (never across hosts), so no byte-order
 * conversion.
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
	IPC_DRAIN,		/* master -> smtpin: stop accepting, finish the
				   sessions, exit (graceful reload) */
	IPC_LOG_FD,		/* master -> every child: log_file opened anew
				   (rotation), the fd passed; no payload */
	/* master -> queue and smtpin: a channel between them (fd passed) */
	IPC_QUEUE_CHANNEL,	/* struct ipc_queue_channel + fd */
	IPC_QUEUE_SETTINGS,	/* master -> queue: struct ipc_queue_settings
				   (a reload; the queue keeps running) */
	IPC_QUEUE_LOST,		/* smtpin -> master: my channel to the queue
				   broke, give me a new one; no payload */
	/* smtpin <-> master: connection counting across processes (anvil) */
	IPC_ANVIL_CONNECT,	/* smtpin -> master: struct ipc_anvil */
	IPC_ANVIL_VERDICT,	/* master -> smtpin: struct ipc_anvil */
	IPC_ANVIL_DISCONNECT,	/* smtpin -> master: struct ipc_anvil */
	/* smtpin <-> queue: the commit path of doc/design.md §7 */
	IPC_Q_OPEN,		/* smtpin -> queue: struct ipc_q_open */
	IPC_Q_OPENED,		/* queue -> smtpin: struct ipc_q_result + fd */
	IPC_Q_ENV,		/* smtpin -> queue: struct ipc_q_env + text */
	IPC_Q_COMMIT,		/* smtpin -> queue: struct ipc_q_commit */
	IPC_Q_COMMITTED,	/* queue -> smtpin: struct ipc_q_result */
	IPC_Q_ABORT,		/* smtpin -> queue: struct ipc_q_commit */
	IPC_Q_SPACE,		/* queue -> smtpin: struct ipc_q_space */
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

struct ipc_queue_channel {
	uint32_t	instance;	/* the smtpin process it serves (its pid:
					   unique even while an old process of
					   the same instance drains) */
};

struct ipc_queue_settings {
	uint64_t	min_free;	/* queue_min_free */
};

/* Verdicts of the master's connection counter. */
enum ipc_anvil_verdict {
	IPC_ANVIL_OK = 0,
	IPC_ANVIL_TOO_MANY,		/* smtpin_max_connections reached */
	IPC_ANVIL_TOO_MANY_FROM_IP,	/* smtpin_max_connections_per_ip */
};

struct ipc_anvil {
	uint64_t	conn;		/* smtpin's connection number */
	int32_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	int32_t		exempt;		/* no per-address limit (relay_networks) */
	int32_t		verdict;	/* enum ipc_anvil_verdict (replies) */
};

#define IPC_Q_ID_MAX	40		/* ENVELOPE_ID_MAX */
/* Envelope text the queue holds for all open transactions together. */
#define IPC_Q_ENV_TOTAL_MAX	(256 * 1024 * 1024)

struct ipc_q_open {
	uint64_t	tx;		/* smtpin's transaction number */
};

/*
 * Answer to OPEN (with the fd of incoming/ID when status is 0) and to
 * COMMIT (status 0: durable in queue/; the 250 may go out).
 */
struct ipc_q_result {
	uint64_t	tx;
	char		id[IPC_Q_ID_MAX + 1];
	int32_t		status;		/* 0, or an errno: ENOSPC -> 452 */
};

/* A piece of the envelope text (sealpost-envelope(5)) follows the struct. */
struct ipc_q_env {
	uint64_t	tx;
};

struct ipc_q_commit {
	uint64_t	tx;
	char		id[IPC_Q_ID_MAX + 1];
	uint64_t	size;		/* bytes smtpin wrote to the file */
};

/* Sent when a channel opens and whenever free space crosses queue_min_free. */
struct ipc_q_space {
	int32_t		low;		/* 1: refuse MAIL with 452 4.3.1 */
};

struct ipc_ctl_proc {
	char		role[16];	/* "master", "smtpin", "queue", ... */
	uint32_t	instance;
	pid_t		pid;		/* 0: not running (waiting to restart) */
	uid_t		uid;
	int64_t		started;	/* wall clock, seconds */
	uint32_t	restarts;
	int32_t		responding;	/* 1 answered ping, 0 no, -1 unknown */
	int32_t		draining;	/* finishing its sessions (reload) */
};

#endif
