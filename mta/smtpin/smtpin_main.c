/*
 * smtpin_main.c: main of the smtpin process, the SMTP server
 * (doc/design.md §6), the top of its layers (smtpin.h). It loads the TLS
 * credentials while still root, inherits the listening sockets from the
 * master at fds 4.. (in the order of `listen`, then the pickup socket of
 * run_dir, doc/design.md §3), drops privileges, and
 * then accepts connections. Every connection is
 * counted by the master (one count over all smtpin processes, so limits
 * hold however the kernel spreads connections) before it is greeted.
 * Messages go to the queue over a channel the master hands over.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtpin.h"

struct smtpin_listener {
	struct smtpin		*srv;
	enum conf_listen_kind	 kind;
};

/* `listen`, then the pickup socket that the master always passes */
static struct smtpin_listener	listeners[CONF_MAX_LISTEN + 1];

static struct smtpin_sess *
smtpin_find_conn(struct smtpin *srv, uint64_t conn)
{
	struct smtpin_sess *s;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->conn == conn)
			return s;
	return NULL;
}

static struct smtpin_sess *
smtpin_find_tx(struct smtpin *srv, uint64_t tx)
{
	struct smtpin_sess *s;

	for (s = srv->sessions; s != NULL; s = s->next)
		if ((s->tx == tx && (s->state == SMTPIN_OPENING ||
		    s->state == SMTPIN_DATA || s->state == SMTPIN_COMMITTING)) ||
		    (s->pre_tx == tx && tx != 0))
			return s;
	return NULL;
}

static void
smtpin_anvil_fill(const struct smtpin_sess *s, struct ipc_anvil *a)
{
	memset(a, 0, sizeof(*a));
	a->conn = s->conn;
	a->family = s->peer.ss_family;
	if (s->peer.ss_family == AF_UNIX) {
		/* a local user counts as one address: the per-IP limit
		   holds per uid (doc/design.md §6) */
		memcpy(a->addr, &s->peer_uid, sizeof(s->peer_uid));
		return;
	}
	if (s->peer.ss_family == AF_INET)
		memcpy(a->addr, &((const struct sockaddr_in *)(const void *)
		    &s->peer)->sin_addr, 4);
	else
		memcpy(a->addr, &((const struct sockaddr_in6 *)(const void *)
		    &s->peer)->sin6_addr, 16);
	/* relay_networks are exempt from the per-address limit */
	a->exempt = s->relay_ok;
}

static void
smtpin_accept(int fd, uint32_t events, void *arg)
{
	struct smtpin_listener *l = arg;
	struct smtpin *srv = l->srv;
	struct sockaddr_storage ss;
	struct smtpin_sess *s;
	struct ipc_anvil a;
	struct ucred cred;
	socklen_t sslen, credlen;
	int c, one = 1, n;

	(void)events;
	/* a bounded batch per wakeup keeps other sessions responsive */
	for (n = 0; n < 64; n++) {
		sslen = sizeof(ss);
		c = accept4(fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNABORTED && errno != EINTR)
				log_warn("%s: accept", srv->child.title);
			return;
		}
		/* no Nagle delays on replies (doc/design.md §6) */
		if (l->kind != CONF_LISTEN_PICKUP)
			(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		else {
			/* who submits is recorded, never guessed (§6) */
			credlen = sizeof(cred);
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred,
			    &credlen) == -1 || credlen != sizeof(cred)) {
				log_warn("%s: pickup: SO_PEERCRED",
				    srv->child.title);
				close(c);
				continue;
			}
			memset(&ss, 0, sizeof(ss));
			ss.ss_family = AF_UNIX;
		}
		if ((s = smtpin_session_new(srv, c, l->kind, &ss)) == NULL) {
			log_warn("%s: new session", srv->child.title);
			close(c);
			continue;
		}
		if (l->kind == CONF_LISTEN_PICKUP)
			s->peer_uid = (long)cred.uid;
		smtpin_anvil_fill(s, &a);
		if (ipc_send(&srv->child.master, IPC_ANVIL_CONNECT, &a,
		    sizeof(a), -1) == -1)
			fatal("%s: master channel", srv->child.title);
	}
}

static void
smtpin_queue_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct smtpin *srv = arg;
	struct ipc_q_result r;
	struct ipc_q_space sp;
	struct smtpin_sess *s;

	(void)ch;
	if (msg->type == IPC_Q_SPACE) {
		if (msg->len != sizeof(sp))
			fatalx("%s: bad space report from queue",
			    srv->child.title);
		memcpy(&sp, msg->data, sizeof(sp));
		srv->queue_low_space = sp.low != 0;
		return;
	}
	if (msg->len != sizeof(r))
		fatalx("%s: bad message from queue", srv->child.title);
	memcpy(&r, msg->data, sizeof(r));
	r.id[sizeof(r.id) - 1] = '\0';
	s = smtpin_find_tx(srv, r.tx);
	if (msg->type == IPC_Q_OPENED) {
		if (s != NULL && ((s->pre_tx == r.tx && s->pre_status == -1) ||
		    (s->state == SMTPIN_OPENING && s->tx == r.tx))) {
			smtpin_data_opened(s, &r, msg->fd);
			return;
		}
		/* the session or its transaction went away meanwhile */
		if (msg->fd != -1) {
			close(msg->fd);
			smtpin_queue_abort(srv, r.tx, r.id);
		}
		return;
	}
	if (msg->fd != -1)
		close(msg->fd);
	if (s != NULL && s->state == SMTPIN_COMMITTING && s->tx == r.tx)
		smtpin_data_committed(s, &r);
}

static void
smtpin_queue_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct smtpin *srv = arg;
	struct smtpin_sess *s, *next;

	(void)ch;
	log_warnx("%s: channel to the queue: %s; refusing mail until it is "
	    "back", srv->child.title, ipc_strerror(e));
	ipc_chan_close(&srv->queue);
	srv->have_queue = 0;
	/*
	 * The queue may live on and have closed only this channel (it
	 * found it broken): ask the master for a new one. If the queue
	 * died, the master links every smtpin to the new queue anyway
	 * (doc/design.md §3).
	 */
	if (ipc_send(&srv->child.master, IPC_QUEUE_LOST, NULL, 0, -1) == -1)
		fatal("%s: master channel", srv->child.title);
	/* each open transaction fails; a session may end here */
	for (s = srv->sessions; s != NULL; s = next) {
		next = s->next;
		smtpin_data_queue_lost(s);
	}
}

/*
 * Graceful reload: a new process has the listeners now; this one closes
 * its copies, lets its sessions finish and exits when the last one ends.
 */
static void
smtpin_drain(struct smtpin *srv)
{
	size_t i;

	if (srv->draining)
		return;
	srv->draining = 1;
	for (i = 0; i <= srv->conf->nlisten; i++) {
		loop_fd_del(srv->child.loop, PROC_FD_FIRST + (int)i);
		close(PROC_FD_FIRST + (int)i);
	}
	log_debug("%s: draining %zu sessions", srv->child.title,
	    srv->nsessions);
	smtpin_drained(srv);
}

/*
 * The loop ended (SIGTERM; a drain ends only with no session left): each
 * session still open gets its record, result=stopped (doc/design.md §9).
 * The process exits next, closing the sockets.
 */
static void
smtpin_stop(struct smtpin *srv)
{
	struct smtpin_sess *s;

	for (s = srv->sessions; s != NULL; s = s->next) {
		smtpin_session_ending(s, "stopped", NULL);
		smtpin_log_session(s);
	}
}

static void
smtpin_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct smtpin *srv = (struct smtpin *)(void *)c;
	struct ipc_anvil a;
	struct smtpin_sess *s;

	switch (msg->type) {
	case IPC_QUEUE_CHANNEL:
		if (msg->fd == -1)
			fatalx("%s: queue channel without fd", c->title);
		if (srv->have_queue)
			smtpin_queue_err(&srv->queue, IPC_EOF, srv);
		if (ipc_chan_init(&srv->queue, c->loop, msg->fd, "queue",
		    IPC_ALLOW(IPC_Q_OPENED) | IPC_ALLOW(IPC_Q_COMMITTED) |
		    IPC_ALLOW(IPC_Q_SPACE), smtpin_queue_msg,
		    smtpin_queue_err, srv) == -1)
			fatal("%s: queue channel", c->title);
		/*
		 * Envelopes waiting for the queue are bounded by what the
		 * queue itself takes (each at most 8 MiB, all together this):
		 * only a queue that stopped reading fills it.
		 */
		ipc_chan_set_outmax(&srv->queue, IPC_Q_ENV_TOTAL_MAX);
		srv->have_queue = 1;
		srv->queue_low_space = 0;
		log_debug("%s: connected to the queue", c->title);
		return;
	case IPC_DRAIN:
		if (msg->fd != -1)
			close(msg->fd);
		smtpin_drain(srv);
		return;
	case IPC_AUTH_SOCKET:
		/* the auth_backend socket, or why there is none */
		smtpin_dovecot_socket(srv, msg);
		return;
	case IPC_ANVIL_VERDICT:
		if (msg->fd != -1)
			close(msg->fd);
		if (msg->len != sizeof(a))
			fatalx("%s: bad verdict from master", c->title);
		memcpy(&a, msg->data, sizeof(a));
		if ((s = smtpin_find_conn(srv, a.conn)) != NULL &&
		    s->state == SMTPIN_ANVIL)
			smtpin_session_admit(s, a.verdict);
		else if (a.verdict == IPC_ANVIL_OK) {
			/* gone before the verdict: give the count back */
			a.verdict = 0;
			(void)ipc_send(&c->master, IPC_ANVIL_DISCONNECT, &a,
			    sizeof(a), -1);
		}
		return;
	default:
		fatalx("%s: unexpected message %u from master", c->title,
		    msg->type);
	}
}

int
main(int argc, char **argv)
{
	static struct smtpin srv;
	char err[CONF_ERR_MAX], ticket[CONF_PATH_MAX + 32];
	size_t i;
	int n;

	child_init(&srv.child, PROC_SMTPIN, argc, argv);
	srv.conf = &srv.child.conf;
	/* the session layer reaches the layers above only through these */
	srv.ops.input = smtpin_cmd_input;
	srv.ops.teardown = smtpin_data_teardown;
	for (i = 0; i < srv.conf->nlocal_domains; i++)
		srv.local_domains[i] = srv.conf->local_domains[i];
	n = snprintf(ticket, sizeof(ticket), "%s/tls_ticket.key",
	    srv.conf->run_dir);
	if (n < 0 || (size_t)n >= sizeof(ticket))
		fatalx("%s: run_dir too long", srv.child.title);
	/* keys are read before chroot and privilege drop */
	if (tls_server_init(&srv.tls, srv.conf, ticket, err, sizeof(err)) ==
	    -1)
		fatalx("%s: %s", srv.child.title, err);
	/* the password file and sender_login_file, also before the drop;
	   with dovecot: the connection is the master's to make (§6) */
	smtpin_auth_init(&srv);
	/* who exists in the local domains (passwd, aliases), also before */
	smtpin_rcpt_init(&srv);
	child_master_allow(&srv.child, IPC_ALLOW(IPC_QUEUE_CHANNEL) |
	    IPC_ALLOW(IPC_ANVIL_VERDICT) | IPC_ALLOW(IPC_DRAIN) |
	    (srv.dovecot != NULL ? IPC_ALLOW(IPC_AUTH_SOCKET) : 0),
	    smtpin_master_msg);
	for (i = 0; i <= srv.conf->nlisten; i++) {
		listeners[i].srv = &srv;
		listeners[i].kind = i < srv.conf->nlisten ?
		    srv.conf->listen[i].kind : CONF_LISTEN_PICKUP;
		/*
		 * Every smtpin process waits on the same listeners: without
		 * EPOLLEXCLUSIVE each connection would wake all of them, and
		 * all but one would find nothing to accept.
		 */
		if (loop_fd_add(srv.child.loop, PROC_FD_FIRST + (int)i,
		    EPOLLIN | EPOLLEXCLUSIVE, smtpin_accept, &listeners[i]) ==
		    -1)
			fatal("%s: listener %s", srv.child.title,
			    i < srv.conf->nlisten ? srv.conf->listen[i].text :
			    CONF_PICKUP_SOCKET);
	}
	child_drop(&srv.child);
	/* child_run, with the sessions still open logged when we stop */
	log_debug("%s: running as uid %ld", srv.child.title, (long)getuid());
	if (loop_run(srv.child.loop) == -1)
		fatal("%s: event loop", srv.child.title);
	smtpin_stop(&srv);
	exit(0);
}
