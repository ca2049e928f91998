/*
 * smtpin.h: the SMTP server process (DESIGN.md §5), shared by its files:
 * smtpin_main.c (listeners, connection accounting, the queue channel),
 * smtpin_session.c (per-connection I/O: lines, TLS, timeouts, replies),
 * smtpin_cmd.c (the commands and their policy) and smtpin_data.c (DATA,
 * the Received header and the commit through the queue).
 * RFC 5321, 3207, 8314, 1870, 6152, 2920, 3463, 6531, 3461, 8689.
 * Linked by the smtpin binary.
 */
#ifndef SEALPOST_SMTPIN_H
#define SEALPOST_SMTPIN_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/child.h"
#include "smtp/envelope.h"
#include "lib/ipc.h"
#include "lib/loop.h"
#include "reason.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_proto.h"
#include "lib/tls.h"

#define SMTPIN_IN_MAX		(64 * 1024)	/* unread input per session */
#define SMTPIN_OUT_MAX		(64 * 1024)	/* unsent replies */
#define SMTPIN_FILE_BUF		(64 * 1024)	/* message bytes per write(2) */
#define SMTPIN_READ_CHUNK	(16 * 1024)

enum smtpin_state {
	SMTPIN_ANVIL,		/* waiting for the master's verdict */
	SMTPIN_HANDSHAKE,	/* TLS handshake (465, or after STARTTLS) */
	SMTPIN_COMMAND,		/* reading commands */
	SMTPIN_OPENING,		/* DATA: waiting for the queue's file */
	SMTPIN_DATA,		/* reading the message */
	SMTPIN_COMMITTING,	/* waiting for the queue's commit */
	SMTPIN_CLOSING,		/* flushing the last reply, then close */
};

struct smtpin;

struct smtpin_sess {
	struct smtpin_sess	*next, *prev;
	struct smtpin		*srv;
	uint64_t		 conn;		/* connection number */
	int			 fd;
	enum conf_listen_kind	 kind;
	struct sockaddr_storage	 peer;
	char			 peer_ip[64];	/* for logs and Received */
	int			 cleartext_ok;	/* in smtpin_cleartext_networks */
	int			 relay_ok;	/* in relay_networks */
	int			 counted;	/* anvil said yes: tell it at close */
	enum smtpin_state	 state;
	uint32_t		 events;	/* registered epoll events */

	gnutls_session_t	 tls;
	int			 tls_active;
	char			 tls_version[16];
	char			 tls_cipher[96];
	unsigned		 tls_bits;
	char			 tls_group[32];

	struct buf		 in;
	struct buf		 out;
	int			 skipping;	/* discarding an over-long line */
	int			 read_eof;

	int			 helo;		/* 0 none, 1 HELO, 2 EHLO */
	char			 helo_name[SMTP_PROTO_DOMAIN_MAX + 1];
	unsigned		 errors;
	unsigned		 commands;

	/* the transaction */
	int			 have_mail;
	struct envelope		 env;
	uint64_t		 tx;
	int			 qfd;		/* incoming file, -1 */
	struct smtp_data	 data;
	char			*fbuf;		/* pending message bytes */
	size_t			 flen;
	uint64_t		 fsize;		/* bytes written to the file */
	int			 write_failed;
	int			 tx_aborted;	/* ABORT sent for this tx */
	/*
	 * The file asked for at the first accepted RCPT, so that DATA need
	 * not wait for the queue (smtpin_data_preopen): pre_tx is 0 when
	 * none was asked for, pre_status -1 while the answer is out, else
	 * the queue's status, with pre_fd and pre_id when it is 0.
	 */
	uint64_t		 pre_tx;
	int			 pre_status;
	int			 pre_fd;
	char			 pre_id[ENVELOPE_ID_MAX + 1];

	struct loop_timer	 cmd_timer;
	struct loop_timer	 session_timer;
	struct loop_timer	 data_timer;
};

struct smtpin {
	struct child		 child;
	struct conf		*conf;
	struct tls_server	 tls;
	struct smtpin_sess	*sessions;
	size_t			 nsessions;
	uint64_t		 next_conn;
	uint64_t		 next_tx;
	struct ipc_chan		 queue;
	int			 have_queue;
	int			 queue_low_space;
	int			 draining;	/* reload: no new sessions */
	const char		*local_domains[CONF_MAX_DOMAINS];
};

/* smtpin_main.c */
struct smtpin_sess *smtpin_find_conn(struct smtpin *, uint64_t conn);
struct smtpin_sess *smtpin_find_tx(struct smtpin *, uint64_t tx);
/* Exits the loop when draining and the last session ended. */
void	smtpin_drained(struct smtpin *);
/* Tells the master a counted connection ended. */
void	smtpin_anvil_release(struct smtpin_sess *);

/* smtpin_session.c */
struct smtpin_sess *smtpin_session_new(struct smtpin *, int fd,
	    enum conf_listen_kind, const struct sockaddr_storage *);
/* The master's verdict arrived: greet (or start TLS on 465) or refuse. */
void	smtpin_session_admit(struct smtpin_sess *, int verdict);
/* Queues a reply line (already formatted with CRLF). */
void	smtpin_reply_raw(struct smtpin_sess *, const char *, size_t);
/* Formats and queues a one-line reply "code dsn text". */
void	smtpin_reply(struct smtpin_sess *, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));
/* Queues the reply of a refusal and counts it as an error. */
void	smtpin_reply_reason(struct smtpin_sess *, const struct reason *);
/* Closes once the queued replies are out (the caller's event handling
 * sends them; the session may be gone after smtpin_session_update). */
void	smtpin_session_close_after_reply(struct smtpin_sess *);
/* Starts the TLS handshake (STARTTLS accepted). */
void	smtpin_session_starttls(struct smtpin_sess *);
/* Goes on processing buffered input after a wait (queue answer). */
void	smtpin_session_resume(struct smtpin_sess *);
/* Ends the session now, releasing everything. */
void	smtpin_session_free(struct smtpin_sess *);
/* A timer of the session ran out: 421 4.4.2 and close. */
void	smtpin_session_timeout(void *);
/* Arms the command timer again (a command completed). */
void	smtpin_session_command_timer(struct smtpin_sess *);

/* smtpin_cmd.c */
/* Handles one command line (without CRLF). */
void	smtpin_cmd_line(struct smtpin_sess *, const char *, size_t);
/* Forgets the transaction (RSET, after DATA, after STARTTLS). */
void	smtpin_cmd_reset_tx(struct smtpin_sess *);
/* Logs one "in" record for s; rcpt/reason may be NULL. */
void	smtpin_log_in(struct smtpin_sess *, const char *result,
	    const char *rcpt, const struct reason *why);

/* smtpin_data.c */
/* DATA accepted: ask the queue for a file. */
void	smtpin_data_begin(struct smtpin_sess *);
/* A recipient was accepted: ask the queue for the file now, once. */
void	smtpin_data_preopen(struct smtpin_sess *);
/* The queue answered the early OPEN of s (pre_tx). */
void	smtpin_data_preopened(struct smtpin_sess *, const struct ipc_q_result *,
	    int fd);
/* Tells the queue to forget transaction tx (file id), if it is there. */
void	smtpin_queue_abort(struct smtpin *, uint64_t tx, const char *id);
/* Gives the early file back (ABORT), or forgets the OPEN still out. */
void	smtpin_data_release_pre(struct smtpin_sess *);
/* The queue answered OPEN. */
void	smtpin_data_opened(struct smtpin_sess *, const struct ipc_q_result *,
	    int fd);
/* Feeds buffered input to the DATA machine; returns 1 while in DATA. */
int	smtpin_data_input(struct smtpin_sess *);
/* The queue answered COMMIT. */
void	smtpin_data_committed(struct smtpin_sess *,
	    const struct ipc_q_result *);
/* Drops an open transaction (session ends, queue channel lost). */
void	smtpin_data_abort(struct smtpin_sess *);

#endif
