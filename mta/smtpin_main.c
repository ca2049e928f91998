/*
 * smtpin_main.c: main of the smtpin process, the SMTP server (DESIGN.md
 * §5). It inherits the listening sockets from the master at fds 4.., in
 * the order of `listen` in the configuration. Until the server lands it
 * answers every connection with 421 so that clients retry later instead
 * of hanging in the listen backlog.
 * Linked by the smtpin binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

static void
smtpin_accept(int fd, uint32_t events, void *arg)
{
	struct child *c = arg;
	char reply[CONF_DOMAIN_MAX + 64];
	int s, n;

	(void)events;
	while ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) !=
	    -1) {
		n = snprintf(reply, sizeof(reply),
		    "421 4.3.2 %s Service not available yet\r\n",
		    c->conf.hostname);
		if (n > 0 && (size_t)n < sizeof(reply))
			(void)send(s, reply, (size_t)n, MSG_NOSIGNAL);
		close(s);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
		log_warn("%s: accept", c->title);
}

int
main(int argc, char **argv)
{
	struct child c;
	size_t i;

	child_init(&c, PROC_SMTPIN, argc, argv);
	for (i = 0; i < c.conf.nlisten; i++)
		if (loop_fd_add(c.loop, PROC_FD_FIRST + (int)i, EPOLLIN,
		    smtpin_accept, &c) == -1)
			fatal("%s: listener %s", c.title, c.conf.listen[i].text);
	child_drop(&c);
	child_run(&c);
}
