/*
 * queue_main.c: main of the queue process, the only writer of the spool
 * (doc/design.md §2, §7). It gives up root (chroot into spool_dir as
 * queue_user), recovers the spool left by the previous run, then takes
 * the channels to the smtpin processes that the master hands over
 * (IPC_QUEUE_CHANNEL) and commits messages through them (queue_chan.c,
 * queue_flush.c). It answers `sealpost queue` listings the master relays
 * (IPC_QUEUE_QUERY, queue_ctl.c).
 * Scheduling, delivery and bounces come with the delivery issues.
 * Linked by the queue binary.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/log.h"
#include "queue.h"
#include "queue_ctl.h"
#include "queue_run.h"

#define QUEUE_NOFILE_MAX	65536

/* The process: child first, so a struct child * is also one of these. */
struct queue_proc {
	struct child	c;
	struct queue	q;
	struct queue_ctl ctl;	/* sealpost queue (queue_ctl.c) */
};

/*
 * Each open transaction holds a file and a committed one two until the
 * flush: raise the soft limit on open files as far as allowed, so that
 * smtpin's sessions, not 1024 descriptors, set the bound.
 */
static void
queue_raise_nofile(struct child *c)
{
	struct rlimit rl;
	rlim_t want = QUEUE_NOFILE_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("%s: raise the open file limit", c->title);
}

static void
queue_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct queue_proc *p = (struct queue_proc *)(void *)c;
	struct ipc_queue_channel qc;
	struct ipc_queue_settings qs;
	struct ipc_queue_domains *qd;

	if (msg->type == IPC_QUEUE_SETTINGS && msg->len == sizeof(qs) &&
	    msg->fd == -1) {
		/* a reload: the queue is not restarted, it takes the keys */
		memcpy(&qs, msg->data, sizeof(qs));
		c->conf.queue_min_free = qs.min_free;
		if (memchr(qs.hostname, '\0', sizeof(qs.hostname)) != NULL &&
		    qs.hostname[0] != '\0')
			(void)strlcpy(c->conf.hostname, qs.hostname,
			    sizeof(c->conf.hostname));
		p->q.space_checked = 0;
		queue_run_settings(&p->q, &qs);
		log_debug("%s: queue_min_free is now %llu", c->title,
		    (unsigned long long)qs.min_free);
		return;
	}
	if (msg->type == IPC_QUEUE_DOMAINS && msg->len == sizeof(*qd) &&
	    msg->fd == -1) {
		if ((qd = malloc(sizeof(*qd))) == NULL)
			fatal("%s: reload", c->title);
		memcpy(qd, msg->data, sizeof(*qd));
		if (queue_run_domains(&p->q, qd) == -1)
			fatalx("%s: a bad list of local domains from the "
			    "master", c->title);
		free(qd);
		return;
	}
	if (msg->type == IPC_QUEUE_QUERY) {
		/* a CLI's query: a bad one is answered, never fatal */
		queue_ctl_query(&p->ctl, msg);
		return;
	}
	if ((msg->type == IPC_OUT_CHANNEL || msg->type == IPC_LOCAL_CHANNEL) &&
	    msg->len == sizeof(struct ipc_link) && msg->fd != -1) {
		queue_out_channel(&p->q, msg->type == IPC_LOCAL_CHANNEL ?
		    QUEUE_LINK_LOCAL : QUEUE_LINK_SMTPOUT, msg->fd);
		return;
	}
	if (msg->type != IPC_QUEUE_CHANNEL ||
	    msg->len != sizeof(qc) || msg->fd == -1)
		fatalx("%s: malformed message %u from master", c->title,
		    msg->type);
	memcpy(&qc, msg->data, sizeof(qc));
	queue_chan_add(&p->q, qc.instance, msg->fd);
}

int
main(int argc, char **argv)
{
	struct queue_proc p;

	memset(&p, 0, sizeof(p));
	child_init(&p.c, PROC_QUEUE, argc, argv);
	queue_raise_nofile(&p.c);
	queue_spool_prepare(&p.c.conf);
	child_drop(&p.c);
	/* Without chroot (development mode) the spool is not "/". */
	if (p.c.conf.devmode && chdir(p.c.conf.spool_dir) == -1)
		fatal("%s: chdir %s", p.c.title, p.c.conf.spool_dir);
	queue_spool_open(&p.q, &p.c.conf, p.c.loop);
	queue_chan_init(&p.q);
	queue_flush_init(&p.q);
	queue_run_init(&p.q);
	queue_ctl_init(&p.ctl, &p.q, &p.c.master);
	/*
	 * Recover before the loop runs: channels the master already sent
	 * wait in the master channel until then.
	 */
	(void)queue_recover(&p.q);
	child_master_allow(&p.c, IPC_ALLOW(IPC_QUEUE_CHANNEL) |
	    IPC_ALLOW(IPC_QUEUE_SETTINGS) | IPC_ALLOW(IPC_QUEUE_DOMAINS) |
	    IPC_ALLOW(IPC_OUT_CHANNEL) |
	    IPC_ALLOW(IPC_LOCAL_CHANNEL) | IPC_ALLOW(IPC_QUEUE_QUERY),
	    queue_master_msg);
	child_run(&p.c);
}
