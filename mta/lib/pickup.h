/*
 * pickup.h: a blocking SMTP client of the pickup socket (run_dir/pickup,
 * doc/design.md §3, §6): connect with timeouts, write all, read one whole
 * reply, send one command. The two programs that submit mail through it
 * share it: sealpost-sendmail and the local process's alias forward.
 * Neither writes MAIL through pickup_cmd's callers anywhere but its own
 * gate (doc/design.md §1.1, tests/lint/mailgate). Linked by
 * sealpost-sendmail and local.
 */
#ifndef SEALPOST_PICKUP_H
#define SEALPOST_PICKUP_H

#include <stddef.h>

#define PICKUP_REPLY_MAX	4096	/* one reply line, octets */
#define PICKUP_CMD_MAX		2048	/* one command line, octets */

struct pickup_conn {
	int	fd;
	char	in[PICKUP_REPLY_MAX];
	size_t	inlen;
	char	last[PICKUP_REPLY_MAX];	/* the last reply line */
};

/*
 * Connects to run_dir/pickup (CONF_PICKUP_SOCKET), with send and receive
 * timeouts of secs seconds; the socket's path is written to path[0..size)
 * when path is not NULL. Returns the socket (close-on-exec), or -1 with
 * errno (ENAMETOOLONG when the path does not fit a sockaddr_un).
 */
int	pickup_connect(const char *run_dir, unsigned secs, char *path,
	    size_t size);

/*
 * Writes p[0..len) whole, without SIGPIPE on a socket whose peer is gone.
 * Returns 0, or -1 (a break, a timeout).
 */
int	pickup_write(int fd, const void *p, size_t len);

/*
 * Reads one whole reply (its lines up to "NNN "). Returns its code, -1
 * when the connection broke or timed out, or 0 for something that is no
 * SMTP reply; its last line is in c->last.
 */
int	pickup_reply(struct pickup_conn *c);

/*
 * Sends the line verb, arg, end and CRLF and reads its reply; returns as
 * pickup_reply, or 0 when the line would not fit PICKUP_CMD_MAX.
 */
int	pickup_cmd(struct pickup_conn *c, const char *verb, const char *arg,
	    const char *end);

#endif
