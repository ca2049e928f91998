/*
 * pickup.c: the blocking SMTP client of the pickup socket that
 * sealpost-sendmail and the local process's alias forward share
 * (doc/design.md §3, §6). Linked by sealpost-sendmail and local.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "pickup.h"

int
pickup_connect(const char *run_dir, unsigned secs, char *path, size_t size)
{
	struct sockaddr_un	sun;
	struct timeval		tv;
	int			s, n, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", run_dir,
	    CONF_PICKUP_SOCKET);
	if (path != NULL && size > 0)
		(void)snprintf(path, size, "%s/%s", run_dir,
		    CONF_PICKUP_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	memset(&tv, 0, sizeof(tv));
	tv.tv_sec = (time_t)secs;
	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return s;
}

int
pickup_write(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		/* a peer gone is an error to report, not SIGPIPE (-bs
		   also writes to standard output, maybe no socket) */
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pickup_reply(struct pickup_conn *c)
{
	char	*nl;
	size_t	 len;
	ssize_t	 n;

	for (;;) {
		while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
			len = (size_t)(nl - c->in);
			if (len > 0 && c->in[len - 1] == '\r')
				len--;
			memcpy(c->last, c->in, len);
			c->last[len] = '\0';
			c->inlen -= (size_t)(nl - c->in) + 1;
			memmove(c->in, nl + 1, c->inlen);
			if (len < 3 || c->last[0] < '2' || c->last[0] > '5' ||
			    c->last[1] < '0' || c->last[1] > '9' ||
			    c->last[2] < '0' || c->last[2] > '9' ||
			    (len > 3 && c->last[3] != ' ' &&
			    c->last[3] != '-'))
				return 0;
			if (len == 3 || c->last[3] == ' ')
				return (c->last[0] - '0') * 100 +
				    (c->last[1] - '0') * 10 + c->last[2] - '0';
		}
		if (c->inlen == sizeof(c->in))
			return 0;
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->inlen += (size_t)n;
	}
}

int
pickup_cmd(struct pickup_conn *c, const char *verb, const char *arg,
    const char *end)
{
	char	line[PICKUP_CMD_MAX];
	int	n;

	n = snprintf(line, sizeof(line), "%s%s%s\r\n", verb, arg, end);
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	if (pickup_write(c->fd, line, (size_t)n) == -1)
		return -1;
	return pickup_reply(c);
}
