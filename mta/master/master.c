/*
 * master.c: the master's work (see master.h): directories with safe modes,
 * spawning and supervising the children with restart backoff, SIGHUP
 * reload and SIGTERM shutdown; the listeners are master_listen.c's.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libutil.h>

#include "lib/log.h"
#include "master.h"
#include "lib/tls.h"
#include "tls_selfsigned.h"

/*
 * Makes sure path is a directory (not a symlink) with the given owner and
 * mode, creating it if needed. Wrong owner or mode is corrected and logged:
 * the spool's safety depends on them.
 */
static void
master_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;
	int created = 1;

	if (mkdir(path, mode) == -1) {
		if (errno != EEXIST)
			fatal("mkdir %s", path);
		created = 0;
	}
	if (lstat(path, &st) == -1)
		fatal("lstat %s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s exists and is not a directory", path);
	if (st.st_uid != uid || st.st_gid != gid) {
		if (chown(path, uid, gid) == -1)
			fatal("chown %s", path);
		if (st.st_uid != uid && !created)
			log_warnx("%s: owner changed from uid %ld to %ld",
			    path, (long)st.st_uid, (long)uid);
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) == -1)
		fatal("chmod %s", path);
}

static void
master_path(char *buf, size_t size, const char *dir, const char *leaf)
{
	int n = snprintf(buf, size, "%s/%s", dir, leaf);

	if (n < 0 || (size_t)n >= size)
		fatalx("path too long: %s/%s", dir, leaf);
}

/*
 * The directories the master owns (doc/design.md §2, §7): run_dir with
 * the empty chroot of smtpin and smtpout; spool_dir, the queue's chroot,
 * whose inside the queue process makes and checks itself (only the queue
 * knows the spool's layout); data_dir with the policy cache (the policy
 * user's alone), the TLS material (root's) and the maildrop: 1733, where
 * anyone may leave a file and only root may list or read, and
 * maildrop-bad, root's, for the files the drain sets aside (not in
 * development mode, which has no drain: doc/design.md §6).
 */
static void
master_mkdirs(struct master *m)
{
	char p[CONF_PATH_MAX];
	uid_t root = 0, pu = 0;
	gid_t rootg = 0, pg = 0;
	struct passwd *pw;

	if (m->conf.devmode) {
		/* everything belongs to whoever runs the development instance */
		root = pu = getuid();
		rootg = pg = getgid();
		if (mkdir(m->abs_devdir, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", m->abs_devdir);
	} else {
		if ((pw = getpwnam(m->conf.policy_user)) == NULL)
			fatalx("unknown user %s", m->conf.policy_user);
		pu = pw->pw_uid;
		pg = pw->pw_gid;
	}
	master_dir(m->conf.run_dir, 0755, root, rootg);
	master_path(p, sizeof(p), m->conf.run_dir, "empty");
	master_dir(p, 0555, root, rootg);
	master_dir(m->conf.spool_dir, 0755, root, rootg);
	master_dir(m->conf.data_dir, 0755, root, rootg);
	master_path(p, sizeof(p), m->conf.data_dir, "policy");
	master_dir(p, 0700, pu, pg);
	master_path(p, sizeof(p), m->conf.data_dir, "tls");
	master_dir(p, 0700, root, rootg);
	if (!m->conf.devmode) {
		master_path(p, sizeof(p), m->conf.data_dir, "maildrop");
		master_dir(p, 01733, root, rootg);
		master_path(p, sizeof(p), m->conf.data_dir, "maildrop-bad");
		master_dir(p, 0700, root, rootg);
	}
}

/*
 * Without tls_cert_file, the SMTP server uses a self-signed certificate
 * made at first start: it encrypts, but verifying clients will not trust
 * it, so the log says so every time.
 */
static void
master_selfsigned(const struct conf *c)
{
	char cert[CONF_PATH_MAX], key[CONF_PATH_MAX];
	int r;

	if (c->ntls_cert_file > 0)
		return;
	master_path(cert, sizeof(cert), c->data_dir,
	    "tls/selfsigned.crt");
	master_path(key, sizeof(key), c->data_dir, "tls/selfsigned.key");
	r = tls_selfsigned_ensure(cert, key, c->hostname,
	    c->devmode ? getuid() : 0, c->devmode ? getgid() : 0);
	if (r == -1)
		fatalx("cannot create a self-signed certificate in %s/tls",
		    c->data_dir);
	if (r == 1)
		log_warnx("created a self-signed certificate for %s in %s",
		    c->hostname, cert);
	log_warnx("no tls_cert_file configured: using the self-signed "
	    "certificate %s; clients that verify certificates will not trust "
	    "it", cert);
}

static void	master_spawn(struct master_child *);
static void	master_link_queue(struct master *);

static void
master_restart_timer(void *arg)
{
	master_spawn(arg);
}

static void
master_child_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct master_child *k = arg;
	struct master *m = k->m;
	struct ipc_anvil a;
	struct ipc_pong pong;
	size_t idx = (size_t)(k - m->children);

	/* only a file of sealpost show carries one, to the CLI */
	if (msg->fd != -1 && msg->type != IPC_QUEUE_FILE)
		close(msg->fd);
	switch (msg->type) {
	case IPC_PONG:
		if (msg->len != sizeof(pong))
			break;
		memcpy(&pong, msg->data, sizeof(pong));
		k->pong_seq = pong.seq;
		master_ctl_pong(m);
		master_notify_pong(m);
		return;
	case IPC_QUEUE_LOST:
		if (k->role != PROC_SMTPIN || msg->len != 0)
			break;
		/* a new channel now, or when the next queue starts */
		log_info("%s lost its channel to the queue; linking it again",
		    k->title);
		k->queue_gen = 0;
		master_link_queue(m);
		return;
	case IPC_AUTH_CONNECT:
		if (k->role != PROC_SMTPIN || msg->len != 0)
			break;
		master_auth_connect(m, k);
		return;
	case IPC_ANVIL_CONNECT:
	case IPC_ANVIL_DISCONNECT:
		if (k->role != PROC_SMTPIN || msg->len != sizeof(a))
			break;
		memcpy(&a, msg->data, sizeof(a));
		/* AF_UNIX: a pickup connection, counted per uid */
		if (a.family != AF_INET && a.family != AF_INET6 &&
		    a.family != AF_UNIX)
			break;
		if (msg->type == IPC_ANVIL_DISCONNECT) {
			master_anvil_disconnect(m, idx, &a);
			return;
		}
		a.verdict = master_anvil_connect(m, idx, &a);
		(void)ipc_send(ch, IPC_ANVIL_VERDICT, &a, sizeof(a), -1);
		return;
	case IPC_POLICY_TEXT:
		/* an answer to sealpost policy, for the control side */
		if (k->role != PROC_POLICY ||
		    master_ctl_policy_text(m, msg) == -1)
			break;
		return;
	case IPC_QUEUE_ITEM:
	case IPC_QUEUE_RCPT:
	case IPC_QUEUE_END:
	case IPC_QUEUE_DATA:
	case IPC_QUEUE_FILE:
		/* a batch of sealpost queue, for the control side; it takes
		   the descriptor of a file of sealpost show */
		if (k->role != PROC_QUEUE ||
		    master_ctl_queue_frame(m, msg) == -1) {
			if (msg->type == IPC_QUEUE_FILE && msg->fd != -1)
				close(msg->fd);
			break;
		}
		return;
	default:
		break;
	}
	log_warnx("%s (pid %ld) sent a bad message; killing it", k->title,
	    (long)k->pid);
	(void)kill(k->pid, SIGKILL);
}

/*
 * Gives every running smtpin a channel to the running queue (a new
 * socketpair, one end to each over their master channels). Called after
 * every spawn: a new smtpin needs one, a new queue needs all of them.
 */
static void
master_link_queue(struct master *m)
{
	struct master_child *q = NULL, *k;
	struct ipc_queue_channel qc;
	size_t i;
	int sp[2];

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].role == PROC_QUEUE &&
		    m->children[i].pid > 0 && m->children[i].chan_open)
			q = &m->children[i];
	if (q == NULL)
		return;
	for (i = 0; i < m->nchildren; i++) {
		k = &m->children[i];
		if (k->role != PROC_SMTPIN || k->pid <= 0 || !k->chan_open ||
		    k->draining || k->queue_gen == m->queue_gen)
			continue;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) ==
		    -1) {
			log_warn("queue channel for %s", k->title);
			continue;
		}
		memset(&qc, 0, sizeof(qc));
		qc.instance = (uint32_t)k->pid;
		if (ipc_send(&q->chan, IPC_QUEUE_CHANNEL, &qc, sizeof(qc),
		    sp[0]) == -1 || ipc_send(&k->chan, IPC_QUEUE_CHANNEL, &qc,
		    sizeof(qc), sp[1]) == -1) {
			log_warnx("cannot link %s to the queue", k->title);
			continue;
		}
		k->queue_gen = m->queue_gen;
	}
}

/* The running child of a single-instance role, or NULL. */
static struct master_child *
master_running(struct master *m, enum proc_role role)
{
	size_t i;

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].role == role &&
		    m->children[i].pid > 0 && m->children[i].chan_open &&
		    !m->children[i].draining)
			return &m->children[i];
	return NULL;
}

/*
 * Gives a and b a new channel (a socketpair, one end to each with type,
 * doc/design.md §3, §12): called when either of them was spawned, so each
 * pair is linked once per start of either side. A child whose peer's
 * channel breaks exits or waits for the next link.
 */
static void
master_link_pair(struct master *m, struct master_child *a,
    struct master_child *b, uint32_t type)
{
	struct ipc_link lk;
	int sp[2];

	if (a == NULL || b == NULL)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("channel between %s and %s", a->title, b->title);
		return;
	}
	memset(&lk, 0, sizeof(lk));
	lk.gen = ++m->link_gen;
	if (ipc_send(&a->chan, type, &lk, sizeof(lk), sp[0]) == -1 ||
	    ipc_send(&b->chan, type, &lk, sizeof(lk), sp[1]) == -1)
		log_warnx("cannot link %s to %s", a->title, b->title);
}

/* After a spawn of k: the delivery channels that k is one end of. */
static void
master_link_delivery(struct master *m, struct master_child *k)
{
	switch (k->role) {
	case PROC_QUEUE:
		master_link_pair(m, k, master_running(m, PROC_SMTPOUT),
		    IPC_OUT_CHANNEL);
		master_link_pair(m, k, master_running(m, PROC_LOCAL),
		    IPC_LOCAL_CHANNEL);
		break;
	case PROC_LOCAL:
		master_link_pair(m, master_running(m, PROC_QUEUE), k,
		    IPC_LOCAL_CHANNEL);
		break;
	case PROC_SMTPOUT:
		master_link_pair(m, master_running(m, PROC_QUEUE), k,
		    IPC_OUT_CHANNEL);
		master_link_pair(m, k, master_running(m, PROC_POLICY),
		    IPC_PLAN_CHANNEL);
		break;
	case PROC_POLICY:
		master_link_pair(m, master_running(m, PROC_SMTPOUT), k,
		    IPC_PLAN_CHANNEL);
		break;
	default:
		break;
	}
}

static void
master_child_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct master_child *k = arg;

	(void)ch;
	if (e != IPC_EOF && k->pid > 0) {
		/* Failures close: a child that speaks nonsense is killed. */
		log_warnx("%s (pid %ld): %s; killing it", k->title,
		    (long)k->pid, ipc_strerror(e));
		(void)kill(k->pid, SIGKILL);
	}
	/* the SIGCHLD handler closes the channel and restarts */
}

static void
master_spawn(struct master_child *k)
{
	struct master *m = k->m;
	char path[CONF_PATH_MAX], inst[16];
	char *argv[12];
	int fds[2 + CONF_MAX_LISTEN], sp[2], argc = 0;
	size_t nfds = 0, i;

	if (m->shutting_down)
		return;
	master_path(path, sizeof(path), m->libexec, proc_role_name(k->role));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", k->title);
		loop_timer_set(m->loop, &k->restart_timer, MASTER_BACKOFF_MAX_MS,
		    master_restart_timer, k);
		return;
	}
	(void)snprintf(inst, sizeof(inst), "%u", k->instance);
	argv[argc++] = (char *)proc_role_name(k->role);
	if (m->builtin) {
		argv[argc++] = "-b";
	} else {
		argv[argc++] = "-f";
		argv[argc++] = m->abs_conffile;
	}
	argv[argc++] = "-i";
	argv[argc++] = inst;
	if (m->debug)
		argv[argc++] = "-d";
	if (m->verbose)
		argv[argc++] = "-v";
	if (m->conf.devmode) {
		argv[argc++] = "-u";
		argv[argc++] = m->abs_devdir;
	}
	argv[argc] = NULL;

	fds[nfds++] = sp[1];
	if (k->role == PROC_SMTPIN) {
		for (i = 0; i < m->nlisten; i++)
			fds[nfds++] = m->listen_fds[i];
		/* after the listeners, as smtpin_main.c expects it */
		fds[nfds++] = m->pickup_fd;
	}
	k->pid = proc_spawn(path, argv, fds, nfds);
	close(sp[1]);
	if (k->pid == -1) {
		log_warn("%s: fork", k->title);
		k->pid = 0;
		close(sp[0]);
		loop_timer_set(m->loop, &k->restart_timer, MASTER_BACKOFF_MAX_MS,
		    master_restart_timer, k);
		return;
	}
	k->started = time(NULL);
	k->started_ms = loop_now_ms();
	k->expect_exit = 0;
	k->pong_seq = 0;
	if (ipc_chan_init(&k->chan, m->loop, sp[0], k->title,
	    IPC_ALLOW(IPC_PONG) | (k->role == PROC_SMTPIN ?
	    IPC_ALLOW(IPC_ANVIL_CONNECT) | IPC_ALLOW(IPC_ANVIL_DISCONNECT) |
	    IPC_ALLOW(IPC_QUEUE_LOST) | IPC_ALLOW(IPC_AUTH_CONNECT) : 0) |
	    (k->role == PROC_POLICY ?
	    IPC_ALLOW(IPC_POLICY_TEXT) : 0) | (k->role == PROC_QUEUE ?
	    IPC_ALLOW(IPC_QUEUE_ITEM) | IPC_ALLOW(IPC_QUEUE_RCPT) |
	    IPC_ALLOW(IPC_QUEUE_END) | IPC_ALLOW(IPC_QUEUE_DATA) |
	    IPC_ALLOW(IPC_QUEUE_FILE) : 0),
	    master_child_msg, master_child_err, k) == -1)
		fatal("%s: channel", k->title);
	k->chan_open = 1;
	k->queue_gen = 0;
	if (k->role == PROC_QUEUE)
		m->queue_gen++;
	log_debug("started %s (pid %ld)", k->title, (long)k->pid);
	master_link_queue(m);
	master_link_delivery(m, k);
}

static struct master_child *
master_find(struct master *m, pid_t pid)
{
	size_t i;

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid == pid)
			return &m->children[i];
	return NULL;
}

static size_t
master_alive(const struct master *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid > 0)
			n++;
	/* the maildrop drain finishes its file first (doc/design.md §6) */
	if (m->maildrop.pid > 0)
		n++;
	return n;
}

static void
master_finish(struct master *m)
{
	size_t i;

	master_ctl_close(m);
	for (i = 0; i < m->nlisten; i++)
		close(m->listen_fds[i]);
	/* sendmail(8) then says at once that sealpostd does not run */
	if (m->pickup_path[0] != '\0') {
		close(m->pickup_fd);
		(void)unlink(m->pickup_path);
	}
	if (m->pidfh != NULL)
		(void)pidfile_remove(m->pidfh);
	log_info("sealpostd stopped");
	exit(0);
}

static void	master_shutdown_children(void *);

static void
master_reap(struct master *m)
{
	struct master_child *k;
	uint64_t lived;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (master_maildrop_reaped(m, pid, status)) {
			/* at shutdown, the others' turn (doc/design.md §6) */
			if (m->shutting_down)
				master_shutdown_children(m);
			continue;
		}
		if ((k = master_find(m, pid)) == NULL)
			continue;
		if (k->chan_open) {
			ipc_chan_close(&k->chan);
			k->chan_open = 0;
		}
		k->pid = 0;
		if (k->role == PROC_SMTPIN)
			master_anvil_forget(m, (size_t)(k - m->children));
		/* the queries relayed to it go unanswered */
		master_ctl_gone(m, k->role);
		lived = loop_now_ms() - k->started_ms;
		if (k->draining) {
			log_info("%s (pid %ld) finished its sessions",
			    k->title, (long)pid);
			continue;
		}
		if (m->shutting_down || k->expect_exit) {
			log_debug("%s (pid %ld) stopped", k->title, (long)pid);
		} else if (WIFSIGNALED(status)) {
			log_warnx("%s (pid %ld) killed by signal %d",
			    k->title, (long)pid, WTERMSIG(status));
		} else {
			log_warnx("%s (pid %ld) exited with status %d",
			    k->title, (long)pid, WEXITSTATUS(status));
		}
		if (m->shutting_down)
			continue;
		if (k->expect_exit) {
			k->backoff_ms = 0;
		} else if (lived >= MASTER_STABLE_SECS * 1000 ||
		    k->backoff_ms == 0) {
			k->backoff_ms = MASTER_BACKOFF_MIN_MS;
		} else {
			k->backoff_ms *= 2;
			if (k->backoff_ms > MASTER_BACKOFF_MAX_MS)
				k->backoff_ms = MASTER_BACKOFF_MAX_MS;
		}
		if (!k->expect_exit) {
			k->restarts++;
			log_warnx("%s: restarting in %u ms (restart %u)",
			    k->title, k->backoff_ms, k->restarts);
		}
		loop_timer_set(m->loop, &k->restart_timer, k->backoff_ms,
		    master_restart_timer, k);
	}
	if (m->shutting_down && master_alive(m) == 0)
		master_finish(m);
}

static void
master_kill_stragglers(void *arg)
{
	struct master *m = arg;
	size_t i;

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid > 0) {
			log_warnx("%s (pid %ld) ignored SIGTERM; killing it",
			    m->children[i].title, (long)m->children[i].pid);
			(void)kill(m->children[i].pid, SIGKILL);
		}
	if (m->maildrop.pid > 0) {
		log_warnx("maildrop: drain (pid %ld) still runs; killing it",
		    (long)m->maildrop.pid);
		(void)kill(m->maildrop.pid, SIGKILL);
	}
}

/*
 * The shutdown's second step: SIGTERM to the children once the maildrop
 * drain is gone or MASTER_DRAIN_WAIT_MS passed (doc/design.md §6), then
 * the kill timer.
 */
static void
master_shutdown_children(void *arg)
{
	struct master *m = arg;
	size_t i;

	if (m->children_termed)
		return;
	m->children_termed = 1;
	loop_timer_cancel(m->loop, &m->drain_wait);
	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].pid > 0)
			(void)kill(m->children[i].pid, SIGTERM);
	if (master_alive(m) == 0)
		master_finish(m);
	loop_timer_set(m->loop, &m->kill_timer, MASTER_KILL_AFTER_MS,
	    master_kill_stragglers, m);
}

static void
master_shutdown(struct master *m, int signo)
{
	size_t i;

	if (m->shutting_down)
		return;
	log_info("received signal %d; shutting down", signo);
	m->shutting_down = 1;
	master_notify_stopping(m);
	for (i = 0; i < m->nchildren; i++)
		loop_timer_cancel(m->loop, &m->children[i].restart_timer);
	/*
	 * The drain first: its file's submission finishes while smtpin and
	 * the queue still run, and the file goes once it was taken.
	 */
	if (master_maildrop_stop(m))
		loop_timer_set(m->loop, &m->drain_wait, MASTER_DRAIN_WAIT_MS,
		    master_shutdown_children, m);
	else
		master_shutdown_children(m);
}

static struct master_child	*master_add_child(struct master *,
				    enum proc_role, unsigned);

/*
 * The local domains for the queue, in batches (IPC_QUEUE_DOMAINS):
 * local_domains, then virtual_alias_domains, as queue_run_init takes them
 * at start.
 */
static void
master_queue_domains(struct master *m, struct master_child *q)
{
	struct ipc_queue_domains *qd;
	const struct conf *c = &m->conf;
	size_t i, n = 0;
	int first = 1;

	if ((qd = calloc(1, sizeof(*qd))) == NULL) {
		log_warn("reload: the queue keeps its local domains");
		return;
	}
	for (i = 0; i < c->nlocal_domains + c->nvirtual_alias_domains; i++) {
		(void)strlcpy(qd->name[n++], i < c->nlocal_domains ?
		    c->local_domains[i] :
		    c->virtual_alias_domains[i - c->nlocal_domains],
		    sizeof(qd->name[0]));
		if (n < IPC_QUEUE_DOMAINS_BATCH)
			continue;
		qd->first = first;
		qd->n = (uint32_t)n;
		(void)ipc_send(&q->chan, IPC_QUEUE_DOMAINS, qd, sizeof(*qd), -1);
		memset(qd, 0, sizeof(*qd));
		first = n = 0;
	}
	if (n > 0 || first) {
		qd->first = first;
		qd->n = (uint32_t)n;
		(void)ipc_send(&q->chan, IPC_QUEUE_DOMAINS, qd, sizeof(*qd), -1);
	}
	free(qd);
}

/* The queue survives a reload: it gets the keys it uses over IPC. */
static void
master_queue_settings(struct master *m)
{
	struct ipc_queue_settings qs;
	size_t i;

	memset(&qs, 0, sizeof(qs));
	qs.min_free = m->conf.queue_min_free;
	qs.bounce_size_limit = m->conf.bounce_size_limit;
	qs.retry_min = m->conf.retry_min;
	qs.retry_max = m->conf.retry_max;
	qs.queue_lifetime = m->conf.queue_lifetime;
	qs.delay_warning_time = m->conf.delay_warning_time;
	qs.queue_active_limit = m->conf.queue_active_limit;
	qs.smtpout_concurrency = m->conf.smtpout_concurrency;
	qs.smtpout_destination_concurrency =
	    m->conf.smtpout_destination_concurrency;
	(void)strlcpy(qs.bounce_notice_recipient,
	    m->conf.bounce_notice_recipient,
	    sizeof(qs.bounce_notice_recipient));
	qs.local_delivery = m->conf.local_transport != CONF_LOCAL_NONE;
	(void)strlcpy(qs.hostname, m->conf.hostname, sizeof(qs.hostname));
	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].role == PROC_QUEUE &&
		    m->children[i].pid > 0 && m->children[i].chan_open) {
			master_queue_domains(m, &m->children[i]);
			(void)ipc_send(&m->children[i].chan,
			    IPC_QUEUE_SETTINGS, &qs, sizeof(qs), -1);
		}
}

/*
 * Restarts the children whose role is in roles (bits 1 << role), with
 * the configuration in m->conf. An smtpin is not cut off: it is told to
 * drain (stop accepting, finish its sessions, exit) while a new process
 * of the same instance takes over the listeners. Never the queue:
 * restarting it would fail the transactions of the draining smtpin
 * processes; it gets new settings over IPC.
 */
void
master_restart_roles(struct master *m, unsigned roles)
{
	size_t todo[MASTER_MAX_CHILDREN], ntodo = 0, i, j;

	/* decide first: slots reused below must not be seen again */
	for (i = 0; i < m->nchildren; i++)
		if (!m->children[i].draining &&
		    m->children[i].role != PROC_QUEUE &&
		    (roles & (1u << m->children[i].role)) != 0)
			todo[ntodo++] = i;
	for (j = 0; j < ntodo; j++) {
		struct master_child *k, *nk;

		i = todo[j];
		k = &m->children[i];
		if (k->role == PROC_SMTPIN && k->pid > 0 && k->chan_open) {
			if ((nk = master_add_child(m, k->role, k->instance)) ==
			    NULL) {
				k->expect_exit = 1;
				(void)kill(k->pid, SIGTERM);
				continue;
			}
			k = &m->children[i];	/* stable: fixed array */
			(void)ipc_send(&k->chan, IPC_DRAIN, NULL, 0, -1);
			k->draining = 1;
			nk->restarts = k->restarts;
			master_spawn(nk);
		} else if (k->pid > 0) {
			k->expect_exit = 1;
			(void)kill(k->pid, SIGTERM);
		} else
			loop_timer_set(m->loop, &k->restart_timer, 0,
			    master_restart_timer, k);
	}
}

/*
 * Log rotation (SIGHUP, SIGUSR1): opens log_file anew and hands every
 * running child its own descriptor of it; a child in its chroot cannot
 * open the file by name (doc/design.md §9). Nothing to do for syslog.
 */
static void
master_log_rotate(struct master *m)
{
	struct master_child *k;
	size_t i;
	int fd;

	log_reopen();
	if (log_fd() == -1)
		return;
	for (i = 0; i < m->nchildren; i++) {
		k = &m->children[i];
		if (k->pid <= 0 || !k->chan_open)
			continue;
		if ((fd = fcntl(log_fd(), F_DUPFD_CLOEXEC, 0)) == -1) {
			log_warn("log file for %s", k->title);
			continue;
		}
		(void)ipc_send(&k->chan, IPC_LOG_FD, NULL, 0, fd);
	}
	log_info("log file reopened");
}

static void
master_reload(struct master *m)
{
	struct conf *nc;
	char err[CONF_ERR_MAX];
	int fds[CONF_MAX_LISTEN];
	size_t i;

	master_log_rotate(m);
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		log_warn("reload");
		return;
	}
	if (conf_load(nc, m->builtin ? NULL : m->abs_conffile, err,
	    sizeof(err)) == -1 || (m->conf.devmode &&
	    conf_devmode(nc, m->abs_devdir) == -1)) {
		log_warnx("reload: %s; keeping the running configuration",
		    err);
		free(nc);
		return;
	}
	master_selfsigned(nc);
	/*
	 * The table is read by the policy process the reload restarts: a
	 * broken one would keep it from starting, so check it here first.
	 */
	if (master_check_tls(nc, err, sizeof(err)) == -1 ||
	    master_check_delivery(nc, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the running configuration",
		    err);
		free(nc);
		return;
	}
	if (strcmp(nc->run_dir, m->conf.run_dir) != 0 ||
	    strcmp(nc->spool_dir, m->conf.spool_dir) != 0 ||
	    strcmp(nc->data_dir, m->conf.data_dir) != 0 ||
	    strcmp(nc->user, m->conf.user) != 0 ||
	    strcmp(nc->queue_user, m->conf.queue_user) != 0 ||
	    strcmp(nc->policy_user, m->conf.policy_user) != 0 ||
	    strcmp(nc->control_group, m->conf.control_group) != 0) {
		log_warnx("reload: run_dir, spool_dir, data_dir, user, "
		    "queue_user, policy_user and control_group change only "
		    "with a restart; keeping the running configuration");
		free(nc);
		return;
	}
	if (master_bind(nc, fds, &m->conf, m->listen_fds) == -1) {
		log_warnx("reload: cannot open the new listeners; keeping the "
		    "running configuration");
		free(nc);
		return;
	}
	for (i = 0; i < m->nlisten; i++)
		if (master_listen_find(nc, &m->conf.listen[i]) == -1)
			close(m->listen_fds[i]);
	memcpy(m->listen_fds, fds, sizeof(fds[0]) * nc->nlisten);
	m->nlisten = nc->nlisten;
	m->conf = *nc;
	free(nc);
	master_queue_settings(m);
	log_info("configuration reloaded; restarting the children");
	master_restart_roles(m, ~0u);
	master_watch_start(m);
}

static void
master_signal(int signo, void *arg)
{
	struct master *m = arg;

	switch (signo) {
	case SIGCHLD:
		master_reap(m);
		break;
	case SIGHUP:
		if (!m->shutting_down) {
			master_notify_reloading(m);
			master_reload(m);
			master_notify_wait_ready(m);
		}
		break;
	case SIGUSR1:
		master_log_rotate(m);
		break;
	default:
		master_shutdown(m, signo);
		break;
	}
}

/* A slot for a new child: a free one of a drained smtpin, or a new one. */
static struct master_child *
master_add_child(struct master *m, enum proc_role role, unsigned instance)
{
	struct master_child *k = NULL;
	size_t i;

	for (i = 0; i < m->nchildren; i++)
		if (m->children[i].draining && m->children[i].pid == 0) {
			k = &m->children[i];
			break;
		}
	if (k == NULL) {
		if (m->nchildren == MASTER_MAX_CHILDREN) {
			log_warnx("too many child processes");
			return NULL;
		}
		k = &m->children[m->nchildren++];
	}
	memset(k, 0, sizeof(*k));
	k->m = m;
	k->role = role;
	k->instance = instance;
	(void)snprintf(k->title, sizeof(k->title), "%s#%u",
	    proc_role_name(role), instance);
	return k;
}

static void
master_absolute(char *dst, size_t size, const char *path, int mkdir_it)
{
	char cwd[CONF_PATH_MAX];
	int n;

	if (mkdir_it && mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (path[0] == '/')
		n = snprintf(dst, size, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	else
		n = snprintf(dst, size, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= size)
		fatalx("path too long: %s", path);
}

int
master_main(struct master *m)
{
	char err[CONF_ERR_MAX], pidpath[CONF_PATH_MAX];
	pid_t other;
	long ncpu;
	unsigned i, nsmtpin;

	log_init(LOG_DEST_STDERR, "sealpostd", NULL, m->verbose);
	master_notify_init(m);
	if (m->conffile != NULL)
		master_absolute(m->abs_conffile, sizeof(m->abs_conffile),
		    m->conffile, 0);
	if (m->devdir != NULL) {
		master_absolute(m->abs_devdir, sizeof(m->abs_devdir),
		    m->devdir, 1);
		if (conf_devmode(&m->conf, m->abs_devdir) == -1)
			fatalx("-u: path too long");
	} else if (geteuid() != 0)
		fatalx("must be started as root (or with -u DIR for a "
		    "development instance without privilege separation)");
	if (master_check_environment(m, err, sizeof(err)) == -1)
		fatalx("%s", err);

	master_mkdirs(m);
	master_selfsigned(&m->conf);
	if (master_check_tls(&m->conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	master_path(pidpath, sizeof(pidpath), m->conf.run_dir,
	    "sealpostd.pid");
	if ((m->pidfh = pidfile_open(pidpath, 0644, &other)) == NULL) {
		if (errno == EEXIST)
			fatalx("sealpostd is already running (pid %ld)",
			    (long)other);
		fatal("pid file %s", pidpath);
	}
	master_path(m->ticket_file, sizeof(m->ticket_file), m->conf.run_dir,
	    "tls_ticket.key");
	if (tls_ticket_key_write(m->ticket_file) == -1)
		log_warnx("TLS session resumption works only within one smtpin "
		    "process");
	if (master_bind(&m->conf, m->listen_fds, NULL, NULL) == -1)
		fatalx("cannot open the listeners");
	m->nlisten = m->conf.nlisten;
	master_pickup_open(m);
	master_ctl_open(m);

	if (!m->debug) {
		if (!m->foreground && daemon(0, 0) == -1)
			fatal("daemon");
		if (m->conf.log_file[0] != '\0')
			log_init(LOG_DEST_FILE, "sealpostd", m->conf.log_file,
			    m->verbose);
		else
			log_init(LOG_DEST_SYSLOG, "sealpostd", NULL,
			    m->verbose);
	}
	log_format_set(m->conf.log_format, m->conf.audit_chain);
	(void)pidfile_write(m->pidfh);
	m->started = time(NULL);

	m->loop = loop_new();
	master_ctl_attach(m);
	(void)signal(SIGPIPE, SIG_IGN);
	loop_signal(m->loop, SIGCHLD, master_signal, m);
	loop_signal(m->loop, SIGTERM, master_signal, m);
	loop_signal(m->loop, SIGINT, master_signal, m);
	loop_signal(m->loop, SIGHUP, master_signal, m);
	loop_signal(m->loop, SIGUSR1, master_signal, m);

	nsmtpin = m->conf.smtpin_processes;
	if (nsmtpin == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nsmtpin = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (unsigned)ncpu;
	}
	for (i = 0; i < nsmtpin; i++)
		(void)master_add_child(m, PROC_SMTPIN, i);
	(void)master_add_child(m, PROC_QUEUE, 0);
	(void)master_add_child(m, PROC_SMTPOUT, 0);
	(void)master_add_child(m, PROC_POLICY, 0);
	(void)master_add_child(m, PROC_LOCAL, 0);
	for (i = 0; i < m->nchildren; i++)
		master_spawn(&m->children[i]);
	master_watch_start(m);
	master_maildrop_start(m);
	master_notify_wait_ready(m);

	log_info("sealpostd started (%s, %zu listener%s, %zu child processes%s)",
	    m->conf.path, m->nlisten, m->nlisten == 1 ? "" : "s",
	    m->nchildren, m->conf.devmode ? ", development mode" : "");
	if (loop_run(m->loop) == -1)
		fatal("event loop");
	return 0;
}
