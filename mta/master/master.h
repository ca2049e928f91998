/*
 * master.h: state of the master process (sealpostd) shared by its files:
 * master.c (directories, listeners, children, signals) and master_ctl.c
 * (the control socket that sealpost(8) talks to).
 * Linked by the sealpostd binary.
 */
#ifndef SEALPOST_MASTER_H
#define SEALPOST_MASTER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/conf.h"
#include "lib/ipc.h"
#include "lib/loop.h"
#include "lib/proc.h"
#include "master_notify.h"

#define MASTER_MAX_CHILDREN	80
#define MASTER_PING_TIMEOUT_MS	1000
#define MASTER_KILL_AFTER_MS	1500	/* SIGKILL stragglers at shutdown */
#define MASTER_DRAIN_WAIT_MS	5000	/* the maildrop drain, before them */
#define MASTER_BACKOFF_MIN_MS	250
#define MASTER_BACKOFF_MAX_MS	60000
#define MASTER_STABLE_SECS	10	/* a child that lived this long was fine */
#define MASTER_WATCH_MS		2000	/* how often master_watch.c looks */
#define MASTER_WATCH_FILES	8

/* One file smtpin read before its chroot, as it was then. */
struct master_watch_file {
	char		path[CONF_PATH_MAX];
	int		exists;
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
	struct timespec	ctime;
};

struct master_watch {
	struct master_watch_file f[MASTER_WATCH_FILES];
	size_t		nf;
	char		pending[CONF_PATH_MAX];	/* changed, not applied */
	struct loop_timer timer;
};

/* The maildrop drain (master_maildrop.c, doc/design.md §2, §6) */
struct master_maildrop {
	struct loop_timer timer;
	pid_t		 pid;		/* the drain running, or 0 */
	char		 prog[CONF_PATH_MAX];	/* sealpost-sendmail */
};

struct master;

struct master_child {
	struct master		*m;
	enum proc_role		 role;
	unsigned		 instance;
	pid_t			 pid;		/* 0 while waiting to restart */
	time_t			 started;	/* wall clock */
	uint64_t		 started_ms;	/* monotonic */
	unsigned		 restarts;
	unsigned		 backoff_ms;
	int			 expect_exit;	/* we asked it to stop */
	int			 draining;	/* old smtpin finishing its
						   sessions; the slot is free
						   once pid is 0 */
	struct ipc_chan		 chan;
	int			 chan_open;
	struct loop_timer	 restart_timer;
	uint32_t		 pong_seq;	/* seq of the last pong */
	uint32_t		 queue_gen;	/* smtpin: queue it is linked to */
	char			 title[32];
};

struct master_ctl;

struct master {
	struct conf		 conf;
	const char		*conffile;	/* NULL with builtin */
	int			 builtin;
	const char		*devdir;
	int			 debug, verbose;
	int			 foreground;	/* -F: no daemon(3) */
	char			 libexec[CONF_PATH_MAX];
	char			 abs_conffile[CONF_PATH_MAX];
	char			 abs_devdir[CONF_PATH_MAX];

	struct loop		*loop;
	time_t			 started;
	int			 listen_fds[CONF_MAX_LISTEN];
	size_t			 nlisten;
	/* run_dir/pickup, always open, after the listeners for smtpin
	   (doc/design.md §3) */
	int			 pickup_fd;
	char			 pickup_path[CONF_PATH_MAX];
	struct master_child	 children[MASTER_MAX_CHILDREN];
	size_t			 nchildren;

	int			 ctl_fd;
	char			 ctl_path[CONF_PATH_MAX];
	struct master_ctl	*ctls;
	size_t			 nctls;
	uint64_t		 ctl_seq;	/* last number given to a
						   policy query (master_ctl.c) */
	uint32_t		 ping_seq;
	int			 ping_active;
	struct loop_timer	 ping_timer;

	uint32_t		 queue_gen;	/* bumped at each queue start */
	uint32_t		 link_gen;	/* delivery channels made */
	char			 ticket_file[CONF_PATH_MAX];

	struct master_notify	 notify;	/* master_notify.c */
	struct master_watch	 watch;		/* master_watch.c */
	struct master_maildrop	 maildrop;	/* master_maildrop.c */
	struct pidfh		*pidfh;
	int			 shutting_down;
	int			 children_termed; /* SIGTERM sent to them */
	struct loop_timer	 drain_wait;	/* the drain first, bounded */
	struct loop_timer	 kill_timer;
};

/* master.c */
void	master_restart_roles(struct master *, unsigned roles);

/*
 * master_watch.c: the files smtpin reads before its chroot (the
 * recipients, the aliases, the password files); a change restarts the
 * smtpin processes (doc/design.md §6 "Recipients"). Start, or start
 * again after a reload, with master_watch_start.
 */
void	master_watch_start(struct master *);

/*
 * master_maildrop.c: runs `sealpost-sendmail -bD` as a short-lived child
 * when data_dir/maildrop holds files, 1 s after start and then every
 * 60 s, never two at once; reads no file of it (doc/design.md §2, §6).
 * master_maildrop_reaped returns 1 when pid was the drain (status is
 * waitpid's), else 0; master_maildrop_stop sends it SIGTERM at shutdown
 * (it finishes its file; master_alive counts it until it is reaped) and
 * returns 1 when one runs (the master waits for it before stopping smtpin
 * and the queue), else 0.
 */
void	master_maildrop_start(struct master *);
int	master_maildrop_reaped(struct master *, pid_t pid, int status);
int	master_maildrop_stop(struct master *);

/*
 * master_check_local.c: the files of the local domains (recipients,
 * aliases) are readable; with warn, a warning when postmaster cannot be
 * delivered. Returns 0, or -1 with the message in err.
 */
int	master_check_local(const struct conf *, int warn, char *err,
	    size_t errlen);

/* master_check.c: the checks of sealpostd -n, start and reload */
/*
 * sealpostd -n, and start before the directories are made: what the
 * configuration needs from the system beyond its syntax. The users (not
 * with -u) and the group; the directories sealpostd creates (or their
 * parents); log_file's directory; tls_priority; every tls_cert_file and
 * tls_key_file (readable, parsed, the key is the certificate's, loaded);
 * tls_ca_file. Not the self-signed pair, which start makes. Binds and
 * creates nothing. Returns 0, or -1 with the first problem in err as
 * "file:line: key: what is wrong; what is allowed".
 */
int	master_check_environment(struct master *, char *err, size_t errlen);
/*
 * Start (after the self-signed pair is made) and reload: the TLS keys of
 * c as above, then the credentials and priority string loaded as smtpin
 * will, the self-signed pair included when no tls_cert_file is set.
 * Returns 0, or -1 with the message in err, in the same form.
 */
int	master_check_tls(const struct conf *c, char *err, size_t errlen);
/*
 * What delivery needs (doc/design.md §12): tls_policy_file parses,
 * smtpout_auth_file is root's and private, and tls_ca_file exists where
 * the verify requirement can apply. Returns 0, or -1 with the message.
 */
int	master_check_delivery(const struct conf *c, char *err, size_t errlen);
/* Runs the master until shutdown; returns the exit status. */
int	master_main(struct master *);

/* ---- master_listen.c ---- */

/* The index of a listener of c on the same address as l, or -1. */
int	master_listen_find(const struct conf *c, const struct conf_listen *l);
/*
 * Opens the listeners of c into fds. A listener whose address old (may be
 * NULL) already has keeps that socket (oldfds): the children hold it too,
 * so it could not be bound again, and connections queued on it survive a
 * reload. Returns 0, or -1 with every socket it opened closed again.
 */
int	master_bind(const struct conf *c, int *fds, const struct conf *old,
	    const int *oldfds);
/*
 * Opens run_dir/pickup, the pickup socket sealpost-sendmail finds from
 * the configuration alone, into m->pickup_fd. Fatal on failure.
 */
void	master_pickup_open(struct master *m);

/* master_anvil.c: connection counting for all smtpin processes */
/* Counts a new connection of smtpin child; returns an ipc_anvil_verdict. */
int	master_anvil_connect(struct master *, size_t child,
	    const struct ipc_anvil *);
void	master_anvil_disconnect(struct master *, size_t child,
	    const struct ipc_anvil *);
/* A smtpin process ended: its connections are gone. */
void	master_anvil_forget(struct master *, size_t child);

/* master_auth.c: AUTH against Dovecot (doc/design.md §3, §6) */
/*
 * smtpin child k asked for a connection to the auth_backend socket:
 * connects (never blocking) and answers IPC_AUTH_SOCKET with the fd or
 * the errno.
 */
void	master_auth_connect(struct master *, struct master_child *k);
/* Warns (log) when dovecot:PATH does not exist yet; never fails. */
void	master_auth_check(const struct conf *);

/* master_ctl.c */
/* Opens the control socket in run_dir; fatal() on failure. */
void	master_ctl_open(struct master *);
/* Starts accepting on it in m->loop. */
void	master_ctl_attach(struct master *);
/* Closes it and removes the socket file. */
void	master_ctl_close(struct master *);
/* A child answered ping seq; completes a status request when all have. */
void	master_ctl_pong(struct master *);
/*
 * Checks an IPC_CTL_POLICY request of len bytes and copies it into q.
 * Returns 0, or -1 when it is malformed: a wrong length, ctl not 0, an
 * unknown op, or a domain that is empty or not NUL-terminated. Pure.
 */
int	master_ctl_policy_query_parse(const void *data, size_t len,
	    struct ipc_policy_query *q);
/*
 * Checks an IPC_POLICY_TEXT frame of len bytes and copies its struct into
 * t. Returns 0, or -1 when it is shorter than the struct or its len does
 * not account for exactly the rest of the frame. Pure.
 */
int	master_ctl_policy_text_parse(const void *data, size_t len,
	    struct ipc_policy_text *t);
/*
 * The policy process sent IPC_POLICY_TEXT: passes the frame on to the
 * client whose query has its number, and ends the query with its last
 * frame; drops it when no query has that number (the client left, or the
 * query timed out). Returns 0, or -1 when the frame is malformed (the
 * caller kills the child, doc/design.md §3).
 */
int	master_ctl_policy_text(struct master *, const struct ipc_msg *);
/*
 * The policy or queue process (role) ended (it died, or a reload
 * restarted it): every query relayed to it fails.
 */
void	master_ctl_gone(struct master *, enum proc_role role);
/*
 * The queue process sent an answer to sealpost queue (IPC_QUEUE_ITEM,
 * _RCPT, _END): passes it to the connection whose batch it answers, or
 * drops it. Returns -1 when the frame is malformed (the caller kills
 * the child), else 0.
 */
int	master_ctl_queue_frame(struct master *, const struct ipc_msg *);


#endif
