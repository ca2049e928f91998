/*
 * child.c: the common start-up and main loop of every child process
 * (see child.h). Linked by smtpin, queue, smtpout, policy and local.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

static void
child_usage(const char *role)
{
	fprintf(stderr, "usage: %s -f file|-b -i instance [-dv] [-u dir]\n"
	    "%s is started by sealpostd(8), not by hand.\n", role, role);
	exit(2);
}

static void
child_master_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct child *c = arg;
	struct ipc_ping ping;
	struct ipc_pong pong;

	switch (msg->type) {
	case IPC_LOG_FD:
		/* log rotation: the master opened log_file anew */
		if (msg->fd == -1 || msg->len != 0)
			fatalx("%s: bad log fd from master", c->title);
		log_use_fd(msg->fd);
		log_debug("%s: log file reopened", c->title);
		return;
	case IPC_PING:
		if (msg->len != sizeof(ping))
			fatalx("%s: bad ping from master", c->title);
		memcpy(&ping, msg->data, sizeof(ping));
		memset(&pong, 0, sizeof(pong));
		pong.pid = getpid();
		pong.seq = ping.seq;
		if (ipc_send(ch, IPC_PONG, &pong, sizeof(pong), -1) == -1)
			fatal("%s: reply to master", c->title);
		break;
	default:
		if (c->master_cb == NULL)
			fatalx("%s: unexpected message %u from master",
			    c->title, msg->type);
		c->master_cb(c, msg);
		return;
	}
	if (msg->fd != -1)
		close(msg->fd);
}

static void
child_master_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct child *c = arg;

	(void)ch;
	/* The master is gone or spoke nonsense: failures close. */
	if (e == IPC_EOF) {
		log_info("%s: master went away; exiting", c->title);
		exit(0);
	}
	fatalx("%s: channel to master: %s", c->title, ipc_strerror(e));
}

static void
child_signal(int signo, void *arg)
{
	struct child *c = arg;

	if (signo == SIGTERM) {
		log_debug("%s: SIGTERM, exiting", c->title);
		loop_exit(c->loop);
	}
}

void
child_init(struct child *c, enum proc_role role, int argc, char **argv)
{
	const char *file = NULL, *devdir = NULL, *errstr;
	char err[CONF_ERR_MAX];
	int ch, builtin = 0, verbose = 0, have_instance = 0;

	memset(c, 0, sizeof(*c));
	c->role = role;
	while ((ch = getopt(argc, argv, "bdf:i:u:v")) != -1) {
		switch (ch) {
		case 'b':
			builtin = 1;
			break;
		case 'd':
			c->debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'i':
			c->instance = (unsigned)strtonum(optarg, 0, 1024,
			    &errstr);
			if (errstr != NULL)
				child_usage(proc_role_name(role));
			have_instance = 1;
			break;
		case 'u':
			devdir = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			child_usage(proc_role_name(role));
		}
	}
	if (optind != argc || (file == NULL) == !builtin || !have_instance)
		child_usage(proc_role_name(role));
	(void)snprintf(c->title, sizeof(c->title), "%s#%u",
	    proc_role_name(role), c->instance);

	log_init(LOG_DEST_STDERR, proc_role_name(role), NULL, verbose);
	if (conf_load(&c->conf, file, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (devdir != NULL && conf_devmode(&c->conf, devdir) == -1)
		fatalx("%s: development directory name too long", c->title);
	if (!c->debug) {
		if (c->conf.log_file[0] != '\0')
			log_init(LOG_DEST_FILE, proc_role_name(role),
			    c->conf.log_file, verbose);
		else
			log_init(LOG_DEST_SYSLOG, proc_role_name(role), NULL,
			    verbose);
	}
	log_format_set(c->conf.log_format, c->conf.audit_chain);

	/* The master stops us with SIGTERM; ^C in a terminal is its job. */
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGUSR1, SIG_IGN);
	c->loop = loop_new();
	loop_signal(c->loop, SIGTERM, child_signal, c);
	if (ipc_chan_init(&c->master, c->loop, PROC_FD_MASTER, "master",
	    IPC_ALLOW(IPC_PING) | IPC_ALLOW(IPC_LOG_FD), child_master_msg,
	    child_master_err, c) == -1)
		fatal("%s: master channel", c->title);
}

void
child_master_allow(struct child *c, uint64_t allow,
    void (*cb)(struct child *, const struct ipc_msg *))
{
	c->master.allow |= allow;
	c->master_cb = cb;
}

void
child_drop(struct child *c)
{
	proc_drop(&c->conf, c->role);
}

void
child_run(struct child *c)
{
	log_debug("%s: running as uid %ld", c->title, (long)getuid());
	if (loop_run(c->loop) == -1)
		fatal("%s: event loop", c->title);
	exit(0);
}
