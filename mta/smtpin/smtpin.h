/*
 * smtpin.h: the SMTP server process (doc/design.md §6): its state, and the
 * interfaces of its files, which form layers (each calls only the ones
 * below it; the session layer reaches up only through struct smtpin_ops):
 *   smtpin_main.c     listeners, the master's verdicts, the queue channel;
 *                     wires the layers together
 *   smtpin_cmd.c      command lines and the commands, with their policy
 *   smtpin_auth.c     AUTH (RFC 4954): the exchange, the password file,
 *                     the failure limits and delays, sender ownership
 *                     (beside cmd: called by it, calling below it)
 *   smtpin_dovecot.c  the connection to Dovecot's auth service (below
 *                     auth; it answers through a callback)
 *   smtpin_data.c     the transaction: the early file, DATA, the commit
 *                     through the queue, the Received header
 *   smtpin_session.c  one connection's I/O: TLS, replies, timers, the
 *                     `in` and `session` log lines, ending a connection
 * RFC 5321, 3207, 8314, 1870, 6152, 2920, 3463, 6531, 3461, 8689, 4954.
 * Linked by the smtpin binary.
 */
#ifndef SEALPOST_SMTPIN_H
#define SEALPOST_SMTPIN_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/child.h"
#include "lib/ipc.h"
#include "lib/loop.h"
#include "lib/tls.h"
#include "reason.h"
#include "smtp/auth_limit.h"
#include "smtp/dovecot_auth.h"
#include "smtp/envelope.h"
#include "smtp/sasl.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_proto.h"

#define SMTPIN_IN_MAX		(64 * 1024)	/* unread input per session */
#define SMTPIN_OUT_MAX		(64 * 1024)	/* unsent replies */
#define SMTPIN_FILE_BUF		(64 * 1024)	/* message bytes per write(2) */
#define SMTPIN_READ_CHUNK	(16 * 1024)

enum smtpin_state {
	SMTPIN_ANVIL,		/* waiting for the master's verdict */
	SMTPIN_HANDSHAKE,	/* TLS handshake (465, or after STARTTLS) */
	SMTPIN_COMMAND,		/* reading commands */
	SMTPIN_AUTH_DELAY,	/* a failed AUTH waits out its delay */
	SMTPIN_AUTH_WAIT,	/* AUTH: waiting for Dovecot's answer */
	SMTPIN_OPENING,		/* DATA: waiting for the queue's file */
	SMTPIN_DATA,		/* reading the message */
	SMTPIN_COMMITTING,	/* waiting for the queue's commit */
	SMTPIN_CLOSING,		/* flushing the last reply, then close */
};

struct smtpin;
struct smtpin_rcpt;

struct smtpin_sess {
	struct smtpin_sess	*next, *prev;
	struct smtpin		*srv;
	uint64_t		 conn;		/* connection number */
	int			 fd;		/* -1 once the client is gone */
	enum conf_listen_kind	 kind;
	struct sockaddr_storage	 peer;
	char			 peer_ip[64];	/* for logs and Received */
	unsigned		 port;		/* the listener's port */
	int			 cleartext_ok;	/* in smtpin_cleartext_networks */
	int			 relay_ok;	/* in relay_networks */
	/* the pickup kind: the client's uid (SO_PEERCRED), else -1 */
	long			 peer_uid;
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
	/*
	 * A session timer ran out while the queue was committing the
	 * message: the commit's answer is given first, then the 421.
	 */
	int			 timed_out;
	/*
	 * The connection is gone while the queue commits: the session is
	 * kept (no socket, no timers) until the queue answers, so that the
	 * message gets its one `in` line (doc/design.md §9).
	 */
	int			 client_gone;

	int			 helo;		/* 0 none, 1 HELO, 2 EHLO */
	char			 helo_name[SMTP_PROTO_DOMAIN_MAX + 1];
	/* the authenticated user (AUTH, smtpin_auth.c), else empty */
	char			 auth_user[ENVELOPE_USER_MAX + 1];
	/* an AUTH exchange is under way: lines are its responses */
	int			 sasl_active;
	struct sasl_exch	 sasl;		/* wiped when it ends */
	/* after a failed AUTH's delay: the reply, and whether to close */
	struct reason		 auth_reply;
	int			 auth_close;
	struct loop_timer	 auth_timer;
	/* SMTPIN_AUTH_WAIT: the request's context (smtpin_auth.c) */
	void			*auth_wait;
	unsigned		 errors;
	unsigned		 commands;
	/*
	 * The session record (doc/design.md §9): `in` lines so far, accepted
	 * (msgs) and rejected, and how the session ended: end_result a
	 * static word (NULL until known; the first one set stays), end_why
	 * its reason when have_end_why.
	 */
	unsigned		 msgs;
	unsigned		 rejected;
	const char		*end_result;
	int			 have_end_why;
	struct reason		 end_why;

	/* the transaction (smtpin_data.c) */
	int			 have_mail;
	struct envelope		 env;
	uint64_t		 tx;
	int			 qfd;		/* incoming file, -1 */
	struct smtp_data	 data;
	char			*fbuf;		/* pending message bytes */
	size_t			 flen;
	uint64_t		 fsize;		/* bytes written to the file */
	int			 write_errno;	/* first write error, or 0 */
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

/*
 * What the session layer calls above it (set by smtpin_main.c), so that
 * the layers call downward only.
 */
struct smtpin_ops {
	/*
	 * Handles the input buffered in s: command lines, or message data.
	 * Changes the state (CLOSING to end) but never ends the session.
	 */
	void	(*input)(struct smtpin_sess *);
	/*
	 * The connection is ending: forget the open transaction without a
	 * reply or a log line. Returns 1 when s must be kept until the
	 * queue answers its commit (it then ends s itself), else 0.
	 */
	int	(*teardown)(struct smtpin_sess *);
};

struct smtpin {
	struct child		 child;
	struct conf		*conf;
	struct smtpin_ops	 ops;
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
	const char		*virtual_domains[CONF_MAX_DOMAINS];
	/* who exists in them (smtpin_rcpt.c), NULL: no check */
	struct smtpin_rcpt	*rcpt;
	/* AUTH (smtpin_auth.c): files read before the chroot, the limits */
	char			*passwd_text;	/* auth_backend = file: */
	size_t			 passwd_len;
	char			*sender_map;	/* sender_login_file, or NULL */
	size_t			 sender_map_len;
	struct auth_limit	*auth_limit;
	struct smtpin_dovecot	*dovecot;	/* auth_backend = dovecot: */
};

/* ---- smtpin_rcpt.c: who exists in the local domains ---- */

/* Reads passwd, the local_recipients file and the alias files; before
   the chroot. A file that cannot be read is logged and makes every local
   recipient 451 4.3.0 until the master restarts us. */
void	smtpin_rcpt_init(struct smtpin *);
/*
 * Whether RCPT may name local@domain (domain lower case, one of the
 * local domains, or of virtual_alias_domains when virtual is set):
 * 1 yes, 0 refuse with 550 5.1.1, -1 the table could not be read: 451
 * 4.3.0 (doc/design.md §6 "Recipients").
 */
int	smtpin_rcpt_known(struct smtpin *, const char *local, size_t ln,
	    const char *domain, size_t dn, int virtual);

/* ---- smtpin_session.c: one connection ---- */

struct smtpin_sess *smtpin_session_new(struct smtpin *, int fd,
	    enum conf_listen_kind, const struct sockaddr_storage *);
/* The master's verdict arrived: greet (or start TLS on 465) or refuse. */
void	smtpin_session_admit(struct smtpin_sess *, int verdict);
/* Queues a reply line (already formatted with CRLF). */
void	smtpin_reply_raw(struct smtpin_sess *, const char *, size_t);
/* Formats and queues a one-line reply "code dsn text". */
void	smtpin_reply(struct smtpin_sess *, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));
/*
 * The one way to refuse: queues the reply "code dsn text", counts it as
 * an error, and when audit is set logs it as an `in` line with
 * result=rejected (rcpt, when not NULL, names the refused recipient).
 */
void	smtpin_refuse(struct smtpin_sess *, int audit, const char *rcpt,
	    int code, const char *dsn, const char *fmt, ...)
	    __attribute__((__format__(printf, 6, 7)));
/* As smtpin_refuse with a filled struct reason. */
void	smtpin_refuse_reason(struct smtpin_sess *, int audit,
	    const char *rcpt, const struct reason *);
/*
 * Logs one `in` record for s (doc/design.md §9); rcpt and why may be
 * NULL. result "accepted" lists the recipients and the message's facts.
 */
void	smtpin_log_in(struct smtpin_sess *, const char *result,
	    const char *rcpt, const struct reason *why);
/*
 * Says how s ends, for its session record: result is a static word (quit,
 * timeout, closed, error, refused, stopped), why NULL or the reason; the
 * first call wins, later ones are ignored.
 */
void	smtpin_session_ending(struct smtpin_sess *, const char *result,
	    const struct reason *why);
/*
 * Logs the one `session` record of s (doc/design.md §9): when s goes,
 * and for every open session when the process stops.
 */
void	smtpin_log_session(struct smtpin_sess *);
/* Closes once the queued replies are out. */
void	smtpin_session_close_after_reply(struct smtpin_sess *);
/* STARTTLS accepted: sends the 220, then shakes hands. */
void	smtpin_session_starttls(struct smtpin_sess *);
/*
 * Goes on after a wait or a change: handles buffered input, sends
 * replies, watches the socket again. s may be gone afterwards.
 */
void	smtpin_session_resume(struct smtpin_sess *);
/*
 * Ends the connection now (socket, timers, counts); s itself goes too
 * unless the transaction layer keeps it for a commit in flight (then
 * client_gone is set and the layer calls this again later).
 */
void	smtpin_session_end(struct smtpin_sess *);
/* A timer of the session ran out (see doc/design.md §6 for what follows). */
void	smtpin_session_timeout(void *);
/* Arms the command timer again (a command completed). */
void	smtpin_session_command_timer(struct smtpin_sess *);
/* Tells the master a counted connection ended. */
void	smtpin_anvil_release(struct smtpin_sess *);
/* Exits the loop when draining and the last session ended. */
void	smtpin_drained(struct smtpin *);

/* ---- smtpin_data.c: the transaction ---- */

/* Forgets the transaction (RSET, EHLO, STARTTLS, after DATA). */
void	smtpin_tx_reset(struct smtpin_sess *);
/* A recipient was accepted: ask the queue for the file now, once. */
void	smtpin_data_preopen(struct smtpin_sess *);
/* DATA accepted: use the early file, or ask the queue for one. */
void	smtpin_data_begin(struct smtpin_sess *);
/* The queue answered an OPEN (the early one or DATA's). */
void	smtpin_data_opened(struct smtpin_sess *, const struct ipc_q_result *,
	    int fd);
/* Tells the queue to forget transaction tx (file id). */
void	smtpin_queue_abort(struct smtpin *, uint64_t tx, const char *id);
/* Feeds buffered input to the DATA machine. */
void	smtpin_data_input(struct smtpin_sess *);
/* The queue answered COMMIT. */
void	smtpin_data_committed(struct smtpin_sess *,
	    const struct ipc_q_result *);
/* The queue channel broke: the open transaction fails (451). */
void	smtpin_data_queue_lost(struct smtpin_sess *);
/* struct smtpin_ops.teardown */
int	smtpin_data_teardown(struct smtpin_sess *);

/* ---- smtpin_auth.c: AUTH (RFC 4954; doc/design.md §6) ---- */

/*
 * Reads the password file and sender_login_file and makes the failure
 * table, before the chroot. Exits (fatalx, naming file:line) on a file
 * that does not check: sealpostd checks them first, so this means the
 * file changed in between.
 */
void	smtpin_auth_init(struct smtpin *);
/* Does s offer AUTH now (EHLO's AUTH line)? Returns 1 or 0. */
int	smtpin_auth_offered(const struct smtpin_sess *);
/* The AUTH command; arg,arglen is the text after "AUTH ". */
void	smtpin_auth_cmd(struct smtpin_sess *, const char *arg, size_t arglen);
/* A line while an exchange is under way (sasl_active). */
void	smtpin_auth_response(struct smtpin_sess *, const char *line,
	    size_t len);
/*
 * May the authenticated s use sender (not empty)? Returns 1, or 0 after
 * refusing MAIL with 553 5.7.1 (logged).
 */
int	smtpin_auth_sender_ok(struct smtpin_sess *, const char *sender);

/* ---- smtpin_dovecot.c: Dovecot's auth service (doc/design.md §6) ---- */

enum smtpin_dovecot_res {
	SMTPIN_DOVECOT_OK,	/* user: Dovecot's user=, or "" */
	SMTPIN_DOVECOT_FAIL,	/* a wrong password: why is 535 5.7.8 */
	SMTPIN_DOVECOT_TEMP	/* no answer: why is 454 4.7.0 */
};

/*
 * The answer to one request: arg is the caller's, user is valid during
 * the call only (NULL unless OK), why NULL on OK.
 */
typedef void (*smtpin_dovecot_cb)(struct smtpin *, void *arg,
	    enum smtpin_dovecot_res, const char *user,
	    const struct reason *why);

/* Sets up srv->dovecot (no connection yet); fatal on failure. */
void	smtpin_dovecot_init(struct smtpin *);
/*
 * Asks Dovecot whether authcid has passwd (copied; wiped once written),
 * telling it info (the session's addresses, ports, TLS). Returns 0, and
 * cb runs exactly once later from the event loop (never from in here);
 * or -1 with *why (454 4.7.0: no connection and the last attempt was
 * under a second ago, too many pending; 535 5.7.8: credentials Dovecot
 * cannot be asked about) and cb never runs. Connects through the master
 * when there is no connection.
 */
int	smtpin_dovecot_auth(struct smtpin *, const char *authcid,
	    size_t authcidlen, const char *passwd, size_t passwdlen,
	    const struct dovecot_auth_info *info, smtpin_dovecot_cb cb,
	    void *arg, struct reason *why);
/* IPC_AUTH_SOCKET from the master: the connection (fd) or its errno. */
void	smtpin_dovecot_socket(struct smtpin *, const struct ipc_msg *);

/* ---- smtpin_cmd.c: commands ---- */

/* struct smtpin_ops.input */
void	smtpin_cmd_input(struct smtpin_sess *);

#endif
