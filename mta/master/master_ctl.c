/*
 * master_ctl.c: the control socket of sealpostd in run_dir (mode 0660,
 * group control_group) and the requests sealpost(8) makes over it. The
 * requests are framed like every other IPC (ipc.h); each connection has an
 * allow-list of the request types, and anything else closes it
 * (doc/design.md §3). At most MASTER_CTL_MAX_CLIENTS are connected at once;
 * more are closed at once with a log line.
 * `sealpost policy` is relayed here: the request goes on to the policy
 * process under a number of the master's (IPC_POLICY_QUERY), and the
 * IPC_POLICY_TEXT frames that come back under that number go to the CLI
 * as they are; the master itself answers IPC_CTL_ERROR when the policy
 * process is not there, does not answer in time, or ends first.
 * `sealpost queue` is relayed the same way to the queue process, one
 * batch at a time (IPC_QUEUE_QUERY; IPC_QUEUE_ITEM, _RCPT and _END back).
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "master.h"

#define MASTER_CTL_MAX_CLIENTS	32
/* How long a `sealpost policy` query may wait for the policy process. */
#define MASTER_CTL_POLICY_TIMEOUT_MS	30000

struct master_ctl {
	struct master_ctl	*next;
	struct master		*m;
	struct ipc_chan		 chan;
	int			 waiting;	/* for a ping round to end */
	/* the peer, from SO_PEERCRED at accept: who asks, for the queue's
	   admin line (doc/design.md §9) */
	uid_t			 uid;
	char			 user[33];
	/* the query relayed to the policy (sealpost policy) and the queue
	   process (a batch of sealpost queue), at most one each */
	struct master_ctl_wait {
		struct master_ctl	*c;
		enum proc_role		 role;
		uint64_t		 ctl;	/* its number, or 0: none */
		struct loop_timer	 timer;
	}			 policy, queue;
};

static void
master_ctl_drop(struct master_ctl *c)
{
	struct master_ctl **pp;

	for (pp = &c->m->ctls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->m->nctls--;
			break;
		}
	/* an answer that comes later finds no one and is dropped */
	loop_timer_cancel(c->m->loop, &c->policy.timer);
	loop_timer_cancel(c->m->loop, &c->queue.timer);
	/* may run inside c's own callback: the IPC layer stops touching it */
	ipc_chan_close(&c->chan);
	free(c);
}

/*
 * The relayed query w is over (its answer ended): an answer that still
 * comes for its number is dropped (the number is never used again).
 */
static void
master_ctl_wait_done(struct master_ctl_wait *w)
{
	w->ctl = 0;
	loop_timer_cancel(w->c->m->loop, &w->timer);
}

/* Ends the relayed query w with IPC_CTL_ERROR and text to its CLI. */
static void
master_ctl_wait_fail(struct master_ctl_wait *w, const char *text)
{
	master_ctl_wait_done(w);
	(void)ipc_send(&w->c->chan, IPC_CTL_ERROR, text, strlen(text), -1);
}

static void
master_ctl_wait_timeout(void *arg)
{
	struct master_ctl_wait *w = arg;
	char text[80];

	log_warnx("control: no answer from the %s process within %d s",
	    proc_role_name(w->role), MASTER_CTL_POLICY_TIMEOUT_MS / 1000);
	(void)snprintf(text, sizeof(text), "the %s process did not answer "
	    "in time", proc_role_name(w->role));
	master_ctl_wait_fail(w, text);
}

/* The effective uid of a running process, from /proc; -1 if unknown. */
static uid_t
master_ctl_euid(pid_t pid)
{
	char path[64], line[256];
	unsigned long ruid, euid;
	uid_t uid = (uid_t)-1;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return uid;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %lu %lu", &ruid, &euid) == 2) {
			uid = (uid_t)euid;
			break;
		}
	fclose(f);
	return uid;
}

static void
master_ctl_send_status(struct master_ctl *c)
{
	struct master *m = c->m;
	struct ipc_ctl_proc p;
	size_t i;

	memset(&p, 0, sizeof(p));
	(void)strlcpy(p.role, "master", sizeof(p.role));
	p.pid = getpid();
	p.uid = geteuid();
	p.started = (int64_t)m->started;
	p.responding = 1;
	(void)ipc_send(&c->chan, IPC_CTL_PROC, &p, sizeof(p), -1);
	for (i = 0; i < m->nchildren; i++) {
		const struct master_child *k = &m->children[i];

		if (k->draining && k->pid == 0)
			continue;	/* a free slot */
		memset(&p, 0, sizeof(p));
		(void)strlcpy(p.role, proc_role_name(k->role), sizeof(p.role));
		p.instance = k->instance;
		p.pid = k->pid;
		p.started = k->pid > 0 ? (int64_t)k->started : 0;
		p.restarts = k->restarts;
		p.draining = k->draining;
		p.responding = k->pid > 0 ? (k->pong_seq == m->ping_seq) : 0;
		/* the uid the child really runs as, not the one it should */
		p.uid = k->pid > 0 ? master_ctl_euid(k->pid) : (uid_t)-1;
		(void)ipc_send(&c->chan, IPC_CTL_PROC, &p, sizeof(p), -1);
	}
	(void)ipc_send(&c->chan, IPC_CTL_END, NULL, 0, -1);
	c->waiting = 0;
}

static void
master_ctl_round_end(struct master *m)
{
	struct master_ctl *c;

	m->ping_active = 0;
	loop_timer_cancel(m->loop, &m->ping_timer);
	for (c = m->ctls; c != NULL; c = c->next)
		if (c->waiting)
			master_ctl_send_status(c);
}

static void
master_ctl_ping_timeout(void *arg)
{
	master_ctl_round_end(arg);
}

void
master_ctl_pong(struct master *m)
{
	size_t i;

	if (!m->ping_active)
		return;
	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid > 0 &&
		    m->children[i].pong_seq != m->ping_seq)
			return;
	master_ctl_round_end(m);
}

static void
master_ctl_start_round(struct master *m)
{
	struct ipc_ping ping;
	size_t i;

	if (m->ping_active)
		return;
	m->ping_active = 1;
	ping.seq = ++m->ping_seq;
	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid > 0 && m->children[i].chan_open)
			(void)ipc_send(&m->children[i].chan, IPC_PING, &ping,
			    sizeof(ping), -1);
	loop_timer_set(m->loop, &m->ping_timer, MASTER_PING_TIMEOUT_MS,
	    master_ctl_ping_timeout, m);
	master_ctl_pong(m);
}

int
master_ctl_policy_query_parse(const void *data, size_t len,
    struct ipc_policy_query *q)
{
	if (len != sizeof(*q))
		return -1;
	memcpy(q, data, sizeof(*q));
	if (q->ctl != 0 || (q->op != IPC_POLICY_SHOW &&
	    q->op != IPC_POLICY_SHOW_JSON && q->op != IPC_POLICY_FORGET &&
	    q->op != IPC_POLICY_SHOW_SELF))
		return -1;
	if (q->domain[0] == '\0' ||
	    strnlen(q->domain, sizeof(q->domain)) == sizeof(q->domain))
		return -1;
	return 0;
}

int
master_ctl_policy_text_parse(const void *data, size_t len,
    struct ipc_policy_text *t)
{
	if (len < sizeof(*t))
		return -1;
	memcpy(t, data, sizeof(*t));
	/* the frame is exactly the struct and its text (ipc_msg.h) */
	if (t->len != len - sizeof(*t))
		return -1;
	return 0;
}

/* The running process of role, if its channel is open and it stays. */
static struct master_child *
master_ctl_child(struct master *m, enum proc_role role)
{
	struct master_child *k;
	size_t i;

	for (i = 0; i < m->nchildren; i++) {
		k = &m->children[i];
		if (k->role == role && k->pid > 0 && k->chan_open &&
		    !k->expect_exit && !k->draining)
			return k;
	}
	return NULL;
}

/*
 * Relays query q (len bytes of type, its number the first 8 of them) to
 * w's process under a new number of the master's, new for every query:
 * a late answer to one that timed out can never pass for the answer to
 * the next on the same connection. Fails w itself when that process is
 * not running or cannot be reached.
 */
static void
master_ctl_forward(struct master_ctl_wait *w, uint32_t type, void *q,
    size_t len)
{
	struct master *m = w->c->m;
	struct master_child *k;
	char text[80];
	uint64_t ctl;

	if ((k = master_ctl_child(m, w->role)) == NULL) {
		(void)snprintf(text, sizeof(text), "the %s process is not "
		    "running", proc_role_name(w->role));
		master_ctl_wait_fail(w, text);
		return;
	}
	ctl = ++m->ctl_seq;
	memcpy(q, &ctl, sizeof(ctl));
	if (ipc_send(&k->chan, type, q, len, -1) == -1) {
		(void)snprintf(text, sizeof(text), "cannot reach the %s "
		    "process", proc_role_name(w->role));
		master_ctl_wait_fail(w, text);
		return;
	}
	w->ctl = ctl;
	loop_timer_set(m->loop, &w->timer, MASTER_CTL_POLICY_TIMEOUT_MS,
	    master_ctl_wait_timeout, w);
}

/* The relayed query of role with number ctl, or NULL: nobody waits. */
static struct master_ctl_wait *
master_ctl_wait_find(struct master *m, enum proc_role role, uint64_t ctl)
{
	struct master_ctl_wait *w;
	struct master_ctl *c;

	for (c = m->ctls; c != NULL; c = c->next) {
		w = role == PROC_POLICY ? &c->policy : &c->queue;
		if (w->ctl != 0 && w->ctl == ctl)
			return w;
	}
	return NULL;
}

void
master_ctl_gone(struct master *m, enum proc_role role)
{
	struct master_ctl_wait *w;
	struct master_ctl *c;
	char text[80];

	(void)snprintf(text, sizeof(text), "the %s process ended before it "
	    "answered", proc_role_name(role));
	for (c = m->ctls; c != NULL; c = c->next) {
		w = role == PROC_POLICY ? &c->policy :
		    role == PROC_QUEUE ? &c->queue : NULL;
		if (w != NULL && w->ctl != 0)
			master_ctl_wait_fail(w, text);
	}
}

/*
 * IPC_CTL_POLICY: one query at a time per connection (a second one while
 * the first waits is malformed). Returns 0, or -1 when the request is
 * malformed and the connection is to be closed (doc/design.md §3).
 */
static int
master_ctl_policy_query(struct master_ctl *c, const struct ipc_msg *msg)
{
	struct ipc_policy_query q;

	if (c->policy.ctl != 0 ||
	    master_ctl_policy_query_parse(msg->data, msg->len, &q) == -1)
		return -1;
	master_ctl_forward(&c->policy, IPC_POLICY_QUERY, &q, sizeof(q));
	return 0;
}

int
master_ctl_policy_text(struct master *m, const struct ipc_msg *msg)
{
	struct ipc_policy_text t;
	struct master_ctl_wait *w;

	if (master_ctl_policy_text_parse(msg->data, msg->len, &t) == -1)
		return -1;
	if ((w = master_ctl_wait_find(m, PROC_POLICY, t.ctl)) == NULL) {
		/* the CLI left, or the query timed out: nobody waits */
		log_debug("control: policy answer for query %llu dropped",
		    (unsigned long long)t.ctl);
		return 0;
	}
	(void)ipc_send(&w->c->chan, IPC_POLICY_TEXT, msg->data, msg->len, -1);
	if (t.last)
		master_ctl_wait_done(w);
	return 0;
}

/* ---- sealpost queue: one batch at a time to the queue process ---------- */

/*
 * IPC_CTL_QUEUE: the master checks the frame's shape and that no batch
 * of this connection waits; the fields are the queue's to judge (it
 * answers a bad one with an END of status 2). Returns 0, or -1 to close
 * the connection.
 */
static int
master_ctl_queue_query(struct master_ctl *c, const struct ipc_msg *msg)
{
	struct ipc_queue_query q;

	if (c->queue.ctl != 0 || msg->len != sizeof(q))
		return -1;
	memcpy(&q, msg->data, sizeof(q));
	if (q.ctl != 0)
		return -1;
	/* who asks is the socket's word, never the CLI's */
	q.uid = (uint32_t)c->uid;
	memset(q.user, 0, sizeof(q.user));
	(void)strlcpy(q.user, c->user, sizeof(q.user));
	master_ctl_forward(&c->queue, IPC_QUEUE_QUERY, &q, sizeof(q));
	return 0;
}

int
master_ctl_queue_frame(struct master *m, const struct ipc_msg *msg)
{
	struct master_ctl_wait *w;
	uint64_t ctl;
	size_t want;

	want = msg->type == IPC_QUEUE_ITEM ? sizeof(struct ipc_queue_item) :
	    msg->type == IPC_QUEUE_RCPT ? sizeof(struct ipc_queue_rcpt) :
	    msg->type == IPC_QUEUE_END ? sizeof(struct ipc_queue_end) :
	    msg->type == IPC_QUEUE_FILE ? sizeof(struct ipc_queue_file) : 0;
	/* a descriptor comes with a file of sealpost show, and only there */
	if ((msg->fd != -1) != (msg->type == IPC_QUEUE_FILE))
		return -1;
	if (msg->type == IPC_QUEUE_DATA) {
		struct ipc_queue_data h;

		/* the records are the CLI's to check; the frame's shape ours */
		if (msg->len < sizeof(h))
			return -1;
		memcpy(&h, msg->data, sizeof(h));
		if (h.len != msg->len - sizeof(h))
			return -1;
	} else if (want == 0 || msg->len != want)
		return -1;
	/* every one of them starts with the number of its query */
	memcpy(&ctl, msg->data, sizeof(ctl));
	if ((w = master_ctl_wait_find(m, PROC_QUEUE, ctl)) == NULL) {
		if (msg->fd != -1)
			close(msg->fd);
		return 0;	/* the CLI left, or it timed out */
	}
	/* the descriptor goes on to the CLI, which closes it */
	(void)ipc_send(&w->c->chan, msg->type, msg->data, msg->len, msg->fd);
	if (msg->type == IPC_QUEUE_END)
		master_ctl_wait_done(w);
	return 0;
}

static void
master_ctl_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct master_ctl *c = arg;

	(void)ch;
	if (msg->fd != -1)
		close(msg->fd);
	switch (msg->type) {
	case IPC_CTL_STATUS:
		if (msg->len != 0)
			break;
		c->waiting = 1;
		master_ctl_start_round(c->m);
		return;
	case IPC_CTL_POLICY:
		if (master_ctl_policy_query(c, msg) == -1)
			break;
		return;
	case IPC_CTL_QUEUE:
		if (master_ctl_queue_query(c, msg) == -1)
			break;
		return;
	default:
		break;
	}
	log_warnx("control: malformed request; closing the connection");
	master_ctl_drop(c);
}

static void
master_ctl_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct master_ctl *c = arg;

	(void)ch;
	if (e != IPC_EOF)
		log_warnx("control: %s; closing the connection",
		    ipc_strerror(e));
	master_ctl_drop(c);
}

/* Who is at the other end of the control connection s. */
static void
master_ctl_peer(struct master_ctl *c, int s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	c->uid = (uid_t)-1;
	c->user[0] = '\0';
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		return;
	}
	c->uid = cred.uid;
	/* /etc/passwd: the master runs outside any chroot */
	if ((pw = getpwuid(cred.uid)) != NULL)
		(void)strlcpy(c->user, pw->pw_name, sizeof(c->user));
}

static void
master_ctl_accept(int fd, uint32_t events, void *arg)
{
	struct master *m = arg;
	struct master_ctl *c;
	int s;

	(void)events;
	while ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) !=
	    -1) {
		if (m->nctls >= MASTER_CTL_MAX_CLIENTS ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			log_warnx("control: too many connections");
			close(s);
			continue;
		}
		c->m = m;
		master_ctl_peer(c, s);
		c->policy.c = c->queue.c = c;
		c->policy.role = PROC_POLICY;
		c->queue.role = PROC_QUEUE;
		if (ipc_chan_init(&c->chan, m->loop, s, "control client",
		    IPC_ALLOW(IPC_CTL_STATUS) | IPC_ALLOW(IPC_CTL_POLICY) |
		    IPC_ALLOW(IPC_CTL_QUEUE),
		    master_ctl_msg, master_ctl_err, c) == -1) {
			close(s);
			free(c);
			continue;
		}
		c->next = m->ctls;
		m->ctls = c;
		m->nctls++;
	}
}

void
master_ctl_open(struct master *m)
{
	struct sockaddr_un sun;
	struct group *gr;
	gid_t gid = 0;
	mode_t mode = 0660, old;
	int n;

	n = snprintf(m->ctl_path, sizeof(m->ctl_path), "%s/control",
	    m->conf.run_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n < 0 || (size_t)n >= sizeof(m->ctl_path) ||
	    strlcpy(sun.sun_path, m->ctl_path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("control socket path too long: %s/control",
		    m->conf.run_dir);
	if (m->conf.devmode) {
		gid = getgid();
		mode = 0600;
	} else if ((gr = getgrnam(m->conf.control_group)) != NULL)
		gid = gr->gr_gid;
	else
		fatalx("group %s does not exist", m->conf.control_group);
	/* The pid file lock proves no other master runs: a socket left
	 * behind by a crash is stale. */
	(void)unlink(m->ctl_path);
	if ((m->ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("control socket");
	old = umask(0177);
	if (bind(m->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", m->ctl_path);
	(void)umask(old);
	if (chown(m->ctl_path, m->conf.devmode ? getuid() : 0, gid) == -1 ||
	    chmod(m->ctl_path, mode) == -1)
		fatal("permissions of %s", m->ctl_path);
	/* a burst of MASTER_CTL_MAX_CLIENTS waits in the backlog whole */
	if (listen(m->ctl_fd, MASTER_CTL_MAX_CLIENTS) == -1)
		fatal("listen %s", m->ctl_path);
}

void
master_ctl_attach(struct master *m)
{
	if (loop_fd_add(m->loop, m->ctl_fd, EPOLLIN, master_ctl_accept, m) ==
	    -1)
		fatal("control socket");
}

void
master_ctl_close(struct master *m)
{
	while (m->ctls != NULL)
		master_ctl_drop(m->ctls);
	if (m->ctl_fd != -1) {
		loop_fd_del(m->loop, m->ctl_fd);
		close(m->ctl_fd);
		(void)unlink(m->ctl_path);
		m->ctl_fd = -1;
	}
}
