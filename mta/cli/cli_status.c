/*
 * cli_status.c: `sealpost status`, the processes sealpostd runs, with pid,
 * user, uptime, restarts and whether they answered a ping just now.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lib/ipc.h"

static void
cli_status_uptime(char *buf, size_t size, int64_t started, time_t now)
{
	int64_t s = (int64_t)now - started;

	if (started == 0) {
		(void)snprintf(buf, size, "-");
		return;
	}
	if (s < 0)
		s = 0;
	if (s >= 86400)
		(void)snprintf(buf, size, "%lldd%02lld:%02lld:%02lld",
		    (long long)(s / 86400), (long long)(s % 86400 / 3600),
		    (long long)(s % 3600 / 60), (long long)(s % 60));
	else
		(void)snprintf(buf, size, "%02lld:%02lld:%02lld",
		    (long long)(s / 3600), (long long)(s % 3600 / 60),
		    (long long)(s % 60));
}

int
cli_status(struct cli *cli, int argc, char **argv)
{
	struct ipc_ctl_proc p;
	struct ipc_msg msg;
	struct passwd *pw;
	enum ipc_err e;
	char title[40], user[32], up[32];
	void *buf;
	time_t now = time(NULL);
	int s, rc = 0;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: sealpost status\n");
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: sealpost status\n");
		return EX_USAGE;
	}
	s = cli_connect(cli);
	if (ipc_send_fd(s, IPC_CTL_STATUS, NULL, 0, -1) == -1) {
		fprintf(stderr, "%s: sending to sealpostd: %s\n", cli->progname,
		    strerror(errno));
		return EX_UNAVAILABLE;
	}
	if ((buf = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		perror(cli->progname);
		return EX_OSERR;
	}
	printf("%-12s %8s %-12s %12s %8s  %s\n", "PROCESS", "PID", "USER",
	    "UPTIME", "RESTARTS", "STATE");
	for (;;) {
		e = ipc_recv_fd(s, IPC_ALLOW(IPC_CTL_PROC) |
		    IPC_ALLOW(IPC_CTL_END), buf, 5000, &msg);
		if (e != IPC_OK) {
			fprintf(stderr, "%s: reply from sealpostd: %s\n",
			    cli->progname, e == IPC_ESYS ? strerror(errno) :
			    ipc_strerror(e));
			rc = e == IPC_ESYS || e == IPC_EOF ? EX_UNAVAILABLE :
			    EX_PROTOCOL;
			break;
		}
		if (msg.fd != -1)
			close(msg.fd);
		if (msg.type == IPC_CTL_END)
			break;
		if (msg.len != sizeof(p)) {
			fprintf(stderr, "%s: malformed reply from sealpostd\n",
			    cli->progname);
			rc = EX_PROTOCOL;
			break;
		}
		memcpy(&p, msg.data, sizeof(p));
		p.role[sizeof(p.role) - 1] = '\0';
		if (strcmp(p.role, "master") == 0)
			(void)snprintf(title, sizeof(title), "%s", p.role);
		else
			(void)snprintf(title, sizeof(title), "%s#%u", p.role,
			    p.instance);
		if (p.pid == 0 || p.uid == (uid_t)-1)
			(void)snprintf(user, sizeof(user), "-");
		else if ((pw = getpwuid(p.uid)) != NULL)
			(void)snprintf(user, sizeof(user), "%s", pw->pw_name);
		else
			(void)snprintf(user, sizeof(user), "%lu",
			    (unsigned long)p.uid);
		cli_status_uptime(up, sizeof(up), p.started, now);
		printf("%-12s %8ld %-12s %12s %8u  %s\n", title, (long)p.pid,
		    user, up, p.restarts, p.pid == 0 ? "restarting" :
		    !p.responding ? "not responding" :
		    p.draining ? "draining" : "running");
		if (p.pid == 0 || !p.responding)
			rc = CLI_EX_PROBLEM;
	}
	free(buf);
	close(s);
	return rc;
}
