/*
 * sendmail.c: the sendmail(8) command, sealpost-sendmail (also run as
 * sendmail, mailq and newaliases): takes a message on standard input and
 * submits it over SMTP to the pickup socket in run_dir, where smtpin
 * records the submitter's uid (doc/design.md §3, §6); no set-id bit.
 * When nothing listens there, the message is kept in the maildrop
 * (sendmail_maildrop.c, which also holds -bD, the drain sealpostd runs).
 * -bs relays an SMTP session to that
 * socket, -bp and mailq run `sealpost queue`, -q `sealpost flush --all`,
 * -bi and newaliases check the alias files (smtp/aliases_load.c).
 * Exit codes are sendmail's (sysexits(3), sendmail(8)). The pure half is
 * sendmail_args.c.
 * RFC 5321 (submission), RFC 5322 (the fields it adds).
 * Linked by the sealpost-sendmail binary.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/pickup.h"
#include "sendmail.h"
#include "smtp/aliases_load.h"

/* seconds per reply and per write, RFC 5321 §4.5.3.2 */
#define SENDMAIL_TIMEOUT	300
#define SENDMAIL_CHUNK		(64 * 1024)

static void
sendmail_usage(void)
{
	fprintf(stderr,
	    "usage: sendmail [-t] [-i] [-oi] [-f sender] [-F name] [-C config]"
	    " [--] recipient ...\n"
	    "       sendmail -bs | -bp | -bi | -q [-C config]\n"
	    "sendmail(8) says more, and lists the exit codes.\n");
}

/* The sealpost(8) binary: next to this one, else the installed one. */
static void
sendmail_sealpost_path(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			n = snprintf(path, size, "%s/sealpost", self);
			if (n > 0 && (size_t)n < size &&
			    access(path, X_OK) == 0)
				return;
		}
	}
	n = snprintf(path, size, "%s/sealpost", SP_SBINDIR);
	if (n < 0 || (size_t)n >= size)
		path[0] = '\0';
}

/* -bp, -q and mailq: sealpost(8) does the work. Never returns. */
static void
sendmail_exec_sealpost(char **argv)
{
	char path[PATH_MAX];

	sendmail_sealpost_path(path, sizeof(path));
	(void)execv(path, argv);
	fprintf(stderr, "sendmail: cannot run %s: %s\n", path,
	    strerror(errno));
	exit(EX_UNAVAILABLE);
}

static void
sendmail_exec_op(const struct sendmail_opts *o, const char *op,
    const char *arg)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = (char *)"sealpost";
	if (o->config != NULL) {
		argv[argc++] = (char *)"-f";
		argv[argc++] = (char *)o->config;
	}
	argv[argc++] = (char *)op;
	if (arg != NULL)
		argv[argc++] = (char *)arg;
	argv[argc] = NULL;
	sendmail_exec_sealpost(argv);
}

/*
 * Connects to the pickup socket of c. Returns the socket; with res, -1
 * when nothing listens there (ENOENT, ECONNREFUSED: sealpostd does not
 * run; any failure when how has SENDMAIL_SUBMIT_DRAIN), with the errno
 * and path in res for the maildrop (doc/design.md §6). Otherwise exits
 * EX_UNAVAILABLE when sealpostd does not accept there.
 */
static int
sendmail_connect(const struct conf *c, struct sendmail_result *res, int how)
{
	char path[CONF_PATH_MAX + 16];
	int s;

	if ((s = pickup_connect(c->run_dir, SENDMAIL_TIMEOUT, path,
	    sizeof(path))) == -1) {
		if (errno == ENAMETOOLONG) {
			fprintf(stderr, "sendmail: pickup socket path too "
			    "long: %s\n", path);
			exit(EX_CONFIG);
		}
		if (res != NULL && (errno == ENOENT || errno == ECONNREFUSED ||
		    (how & SENDMAIL_SUBMIT_DRAIN) != 0)) {
			res->conn_errno = errno;
			/* cut short, it still names the socket */
			(void)strlcpy(res->path, path, sizeof(res->path));
			return -1;
		}
		fprintf(stderr, "sendmail: sealpostd does not accept mail at "
		    "%s: %s (is it running?)\n", path, strerror(errno));
		exit(EX_UNAVAILABLE);
	}
	return s;
}

/*
 * The exit code for a reply that is not the one expected at step (the
 * default for a 5xx), after saying why on standard error.
 */
static int
sendmail_fail(const struct pickup_conn *c, int code, const char *step,
    int on5xx)
{
	if (code == -1) {
		fprintf(stderr, "sendmail: connection to sealpostd lost at "
		    "%s; the message was not submitted\n", step);
		return EX_TEMPFAIL;
	}
	if (code == 0 || code < 400) {
		fprintf(stderr, "sendmail: unexpected reply at %s: %s\n",
		    step, c->last);
		return EX_SOFTWARE;
	}
	fprintf(stderr, "sendmail: %s refused: %s\n", step, c->last);
	return code < 500 ? EX_TEMPFAIL : on5xx;
}

/* Appends @hostname to an address without a domain (Postfix's myorigin). */
static int
sendmail_qualify(char *out, size_t size, const char *addr, const char *host)
{
	int n;

	if (addr[0] == '\0' || strchr(addr, '@') != NULL)
		n = snprintf(out, size, "%s", addr);
	else
		n = snprintf(out, size, "%s@%s", addr, host);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Reads standard input whole, bounded as sendmail_lines needs it. */
static int
sendmail_read(const struct conf *c, struct buf *in)
{
	buf_init(in, c->message_size_limit + SENDMAIL_INPUT_SLACK);
	if (buf_read_fd(in, STDIN_FILENO) == -1) {
		fprintf(stderr, "sendmail: reading the message: %s\n",
		    errno == ENOBUFS ? "larger than message_size_limit" :
		    strerror(errno));
		buf_free(in);
		return errno == ENOBUFS ? EX_DATAERR : EX_IOERR;
	}
	return 0;
}

/*
 * The input in[0..len) into msg as CRLF lines (bare LF or CRLF as read),
 * up to a lone "." when o->dot_ends. Returns 0 or an exit code after
 * saying why.
 */
static int
sendmail_lines(const struct sendmail_opts *o, const struct conf *c,
    const char *in, size_t len, struct buf *msg)
{
	size_t off = 0, keep, used, lineno = 0;
	int r, broken = 0;

	if (len > c->message_size_limit + SENDMAIL_INPUT_SLACK) {
		fprintf(stderr, "sendmail: the message is larger than "
		    "message_size_limit\n");
		return EX_DATAERR;
	}
	buf_init(msg, c->message_size_limit + 128 * 1024);
	while (off < len) {
		lineno++;
		r = sendmail_line(in + off, len - off,
		    o->dot_ends && !broken, &keep, &used);
		broken = used == keep && off + used < len;
		if (r == 1)
			break;
		if (r == -1) {
			fprintf(stderr, "sendmail: line %zu: a NUL octet; "
			    "SMTP does not carry binary data (encode it with "
			    "MIME)\n", lineno);
			buf_free(msg);
			return EX_DATAERR;
		}
		if (buf_append(msg, in + off, keep) == -1 ||
		    buf_append(msg, "\r\n", 2) == -1) {
			fprintf(stderr, "sendmail: the message is larger than "
			    "message_size_limit\n");
			buf_free(msg);
			return EX_DATAERR;
		}
		off += used;
	}
	return 0;
}

/* A display name for From:, quoted when it is more than atoms. */
static int
sendmail_from_field(struct buf *b, const char *name, const char *addr)
{
	size_t i;
	int plain = name[0] != '\0';

	if (name[0] == '\0')
		return buf_printf(b, "From: %s\r\n", addr);
	for (i = 0; name[i] != '\0'; i++)
		if (strchr("()<>[]:;@\\,.\"", name[i]) != NULL)
			plain = 0;
	if (plain)
		return buf_printf(b, "From: %s <%s>\r\n", name, addr);
	if (buf_puts(b, "From: \"") == -1)
		return -1;
	for (i = 0; name[i] != '\0'; i++)
		if ((name[i] == '"' || name[i] == '\\') &&
		    buf_append(b, "\\", 1) == -1)
			return -1;
		else if (buf_append(b, &name[i], 1) == -1)
			return -1;
	return buf_printf(b, "\" <%s>\r\n", addr);
}

/*
 * The fields a message needs and lacks: From:, Date:, Message-ID:
 * (RFC 5322 §3.6), added here rather than by the daemon, which never
 * rewrites a message (doc/design.md §6). Appended to out.
 */
static int
sendmail_add_fields(struct buf *out, const char *hdr, size_t hlen,
    const char *fullname, const char *from, const char *host, time_t now)
{
	char date[64];
	struct tm tm;

	if (!sendmail_hdr_has(hdr, hlen, "From") &&
	    sendmail_from_field(out, fullname, from) == -1)
		return -1;
	if (!sendmail_hdr_has(hdr, hlen, "Date")) {
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
		    &tm) == 0 ||
		    buf_printf(out, "Date: %s\r\n", date) == -1)
			return -1;
	}
	if (!sendmail_hdr_has(hdr, hlen, "Message-ID") &&
	    buf_printf(out, "Message-ID: <%lld.%08x%08x@%s>\r\n",
	    (long long)now, arc4random(), arc4random(), host) == -1)
		return -1;
	return 0;
}

/* The content, dot-stuffed (RFC 5321 §4.5.2), then the final dot. */
static int
sendmail_send_data(int fd, const char *msg, size_t len)
{
	char chunk[SENDMAIL_CHUNK + 8];
	size_t off = 0, n = 0, ll;
	const char *nl;

	while (off < len) {
		nl = memchr(msg + off, '\n', len - off);
		ll = nl == NULL ? len - off : (size_t)(nl - msg - off) + 1;
		if (n + ll + 1 > SENDMAIL_CHUNK) {
			if (pickup_write(fd, chunk, n) == -1)
				return -1;
			n = 0;
		}
		if (msg[off] == '.')
			chunk[n++] = '.';
		if (ll > SENDMAIL_CHUNK) {	/* never: lines are short */
			if (pickup_write(fd, chunk, n) == -1 ||
			    pickup_write(fd, msg + off, ll) == -1)
				return -1;
			n = 0;
		} else {
			memcpy(chunk + n, msg + off, ll);
			n += ll;
		}
		off += ll;
	}
	if (pickup_write(fd, chunk, n) == -1)
		return -1;
	return pickup_write(fd, ".\r\n", 3);
}

/* Whether any octet of p[0..len) is not ASCII (BODY=8BITMIME). */
static int
sendmail_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

/*
 * The one place of the command that writes MAIL (doc/design.md §1.1,
 * tests/lint/mailgate): only over a UNIX socket, the local pickup hop,
 * which is never a network hop and needs no TLS; anything else exits
 * EX_SOFTWARE. param is "<sender>" and its parameters. Returns the reply
 * code as pickup_reply.
 */
static int
sendmail_gate_mail(struct pickup_conn *c, const char *param)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    ss.ss_family != AF_UNIX) {
		fprintf(stderr, "sendmail: not the local pickup socket; "
		    "refusing to send\n");
		exit(EX_SOFTWARE);
	}
	return pickup_cmd(c, "MAIL FROM:", param, "");
}

/*
 * The SMTP transaction with smtpin. Returns an exit code, or
 * SENDMAIL_NODAEMON as sendmail_connect with res when nothing listens
 * and how allows it, or SENDMAIL_PARTIAL (SENDMAIL_SUBMIT_DRAIN only);
 * the final reply goes to res->reply.
 */
static int
sendmail_submit(const struct conf *conf, const char *sender,
    const struct sendmail_rcpts *r, const char *msg, size_t len,
    int how, struct sendmail_result *res)
{
	struct pickup_conn *c;
	char param[SENDMAIL_ADDR_MAX + 64];
	size_t i, refused = 0, deferred = 0;
	int code, ex = 0, n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "sendmail: out of memory\n");
		return EX_OSERR;
	}
	if ((c->fd = sendmail_connect(conf, how != 0 ? res : NULL, how)) ==
	    -1) {
		free(c);
		return SENDMAIL_NODAEMON;
	}
	if ((code = pickup_reply(c)) != 220) {
		ex = sendmail_fail(c, code, "the greeting", EX_UNAVAILABLE);
		goto out;
	}
	if ((code = pickup_cmd(c, "EHLO ", "localhost", "")) != 250) {
		ex = sendmail_fail(c, code, "EHLO", EX_SOFTWARE);
		goto out;
	}
	n = snprintf(param, sizeof(param), "<%s>%s", sender,
	    sendmail_8bit(msg, len) ? " BODY=8BITMIME" : "");
	if (n < 0 || (size_t)n >= sizeof(param)) {
		ex = EX_DATAERR;
		goto out;
	}
	if ((code = sendmail_gate_mail(c, param)) != 250) {
		ex = sendmail_fail(c, code, "the sender", EX_DATAERR);
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		code = pickup_cmd(c, "RCPT TO:<", r->addr[i], ">");
		if (code == 250 || code == 251)
			continue;
		if (code < 400) {
			ex = sendmail_fail(c, code, "a recipient", EX_NOUSER);
			goto out;
		}
		fprintf(stderr, "sendmail: recipient %s refused: %s\n",
		    r->addr[i], c->last);
		if (code < 500)
			deferred++;
		else
			refused++;
	}
	/*
	 * All or nothing: a caller told of a refusal may send again without
	 * a duplicate to those that took it (sendmail(8), EXIT STATUS). The
	 * drain has no caller to try again: the accepted recipients get the
	 * message and the owner's notice names the refused ones
	 * (doc/design.md §6); a 4xx among them keeps the file whole.
	 */
	if ((how & SENDMAIL_SUBMIT_DRAIN) != 0 && refused > 0 &&
	    deferred == 0 && refused < r->n) {
		fprintf(stderr, "sendmail: the message goes to the other "
		    "recipients\n");
	} else if (refused > 0 || deferred > 0) {
		fprintf(stderr, "sendmail: the message was not submitted\n");
		(void)pickup_cmd(c, "QUIT", "", "");
		ex = refused > 0 ? EX_NOUSER : EX_TEMPFAIL;
		goto out;
	}
	if ((code = pickup_cmd(c, "DATA", "", "")) != 354) {
		ex = sendmail_fail(c, code, "DATA", EX_DATAERR);
		goto out;
	}
	if (sendmail_send_data(c->fd, msg, len) == -1) {
		ex = sendmail_fail(c, -1, "the message", EX_DATAERR);
		goto out;
	}
	if ((code = pickup_reply(c)) != 250) {
		ex = sendmail_fail(c, code, "the message", EX_DATAERR);
		goto out;
	}
	/* "250 2.0.0 Ok: queued as ID": the drain logs the id */
	(void)strlcpy(res->reply, c->last, sizeof(res->reply));
	(void)pickup_cmd(c, "QUIT", "", "");
	if (refused > 0)
		ex = SENDMAIL_PARTIAL;
out:
	close(c->fd);
	free(c);
	return ex;
}

/*
 * -bs: relays an SMTP session between standard input and output and the
 * pickup socket. A bare LF from the input becomes CRLF (what a person at
 * a terminal types), since smtpin ends no line at a bare LF. Returns an
 * exit code.
 */
static int
sendmail_smtp(const struct conf *conf)
{
	struct pollfd pfd[2];
	char in[SENDMAIL_CHUNK], out[2 * SENDMAIL_CHUNK];
	int s = sendmail_connect(conf, NULL, 0), in_open = 1, prev_cr = 0;
	size_t i, n;
	ssize_t r;
	int pr;

	for (;;) {
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = s;
		pfd[1].events = POLLIN;
		if ((pr = poll(pfd, 2, SENDMAIL_TIMEOUT * 1000)) <= 0) {
			if (pr == -1 && errno == EINTR)
				continue;
			fprintf(stderr, "sendmail: -bs: timed out\n");
			return EX_TEMPFAIL;
		}
		if (pfd[1].revents != 0) {
			r = read(s, in, sizeof(in));
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;		/* smtpin closed: QUIT */
			if (pickup_write(STDOUT_FILENO, in, (size_t)r) == -1)
				return EX_IOERR;
		}
		if (in_open && pfd[0].revents != 0) {
			r = read(STDIN_FILENO, in, sizeof(in));
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				in_open = 0;
				(void)shutdown(s, SHUT_WR);
				continue;
			}
			for (i = n = 0; i < (size_t)r; i++) {
				if (in[i] == '\n' && !prev_cr)
					out[n++] = '\r';
				out[n++] = in[i];
				prev_cr = in[i] == '\r';
			}
			if (pickup_write(s, out, n) == -1)
				break;
		}
	}
	close(s);
	return 0;
}

int
sendmail_send_input(const struct sendmail_opts *o, const struct conf *conf,
    const char *in, size_t inlen, long long when, int how,
    struct sendmail_result *res)
{
	struct sendmail_rcpts *r;
	struct passwd *pw;
	struct buf msg, out;
	char login[SENDMAIL_ADDR_MAX + 1], sender[SENDMAIL_ADDR_MAX + 1];
	char fullname[SENDMAIL_NAME_MAX + 1], err[256];
	char addr[SENDMAIL_ADDR_MAX + 1];
	size_t hlen, i;
	int ex;

	memset(res, 0, sizeof(*res));
	if ((pw = getpwuid(getuid())) == NULL) {
		fprintf(stderr, "sendmail: uid %ld has no user name\n",
		    (long)getuid());
		return EX_NOUSER;
	}
	if (sendmail_qualify(login, sizeof(login), pw->pw_name,
	    conf->hostname) == -1) {
		fprintf(stderr, "sendmail: user name too long\n");
		return EX_USAGE;
	}
	/* -f as Postfix takes it: any address; smtpin records the uid */
	if (o->have_sender) {
		if (sendmail_qualify(sender, sizeof(sender), o->sender,
		    conf->hostname) == -1) {
			fprintf(stderr, "sendmail: -f: too long\n");
			return EX_USAGE;
		}
	} else
		(void)strlcpy(sender, login, sizeof(sender));
	if (o->fullname[0] != '\0')
		(void)strlcpy(fullname, o->fullname, sizeof(fullname));
	else {
		/* the GECOS full name, as Postfix's sendmail takes it */
		(void)strlcpy(fullname, pw->pw_gecos != NULL ? pw->pw_gecos :
		    "", sizeof(fullname));
		fullname[strcspn(fullname, ",")] = '\0';
		for (i = 0; fullname[i] != '\0'; i++)
			if ((unsigned char)fullname[i] < ' ')
				fullname[0] = '\0';
	}
	if ((ex = sendmail_lines(o, conf, in, inlen, &msg)) != 0)
		return ex;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "sendmail: out of memory\n");
		buf_free(&msg);
		return EX_OSERR;
	}
	hlen = sendmail_hdr_len(msg.data, msg.len);
	/* Postfix: -t adds the header's recipients to the command line's */
	for (i = 0; i < o->nrcpt; i++)
		if (sendmail_addr_list(o->rcpt[i], strlen(o->rcpt[i]), r, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "sendmail: %s: %s\n", o->rcpt[i], err);
			ex = EX_USAGE;
			goto out;
		}
	if (o->extract) {
		if (sendmail_hdr_rcpts(msg.data, hlen, r, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "sendmail: -t: %s\n", err);
			ex = EX_DATAERR;
			goto out;
		}
		i = sendmail_hdr_strip_bcc(msg.data, hlen);
		memmove(msg.data + i, msg.data + hlen, msg.len - hlen);
		msg.len -= hlen - i;
		hlen = i;
	}
	if (r->n == 0) {
		fprintf(stderr, "sendmail: no recipients found\n");
		ex = o->extract ? EX_DATAERR : EX_USAGE;
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		if (sendmail_qualify(addr, sizeof(addr), r->addr[i],
		    conf->hostname) == -1) {
			fprintf(stderr, "sendmail: recipient too long: %s\n",
			    r->addr[i]);
			ex = EX_DATAERR;
			goto out;
		}
		(void)strlcpy(r->addr[i], addr, sizeof(r->addr[i]));
	}
	buf_init(&out, msg.len + 2048);
	if (buf_append(&out, msg.data, hlen) == -1 ||
	    sendmail_add_fields(&out, msg.data, hlen, fullname,
	    sender[0] != '\0' ? sender : login, conf->hostname,
	    (time_t)when) == -1) {
		/* a date localtime cannot take, or no memory */
		fprintf(stderr, "sendmail: cannot add the From:, Date: or "
		    "Message-ID: field (time %lld)\n", when);
		buf_free(&out);
		ex = EX_DATAERR;
		goto out;
	}
	if (/* a message without the empty line gets one (RFC 5322 §3.5) */
	    (msg.len - hlen < 2 || memcmp(msg.data + hlen, "\r\n", 2) != 0 ?
	    buf_append(&out, "\r\n", 2) : 0) == -1 ||
	    buf_append(&out, msg.data + hlen, msg.len - hlen) == -1) {
		fprintf(stderr, "sendmail: out of memory\n");
		buf_free(&out);
		ex = EX_OSERR;
		goto out;
	}
	ex = sendmail_submit(conf, sender, r, out.data, out.len, how, res);
	buf_free(&out);
out:
	buf_free(&msg);
	free(r);
	return ex;
}

/*
 * The message mode: read, complete, submit; when sealpostd does not run,
 * keep the message in the maildrop (doc/design.md §6). Returns an exit
 * code.
 */
static int
sendmail_send(const struct sendmail_opts *o, const struct conf *conf)
{
	struct sendmail_result *res;
	struct buf in;
	char why[512];
	long long when = (long long)time(NULL);
	int ex;

	if ((res = calloc(1, sizeof(*res))) == NULL) {
		fprintf(stderr, "sendmail: out of memory\n");
		return EX_OSERR;
	}
	if ((ex = sendmail_read(conf, &in)) != 0) {
		free(res);
		return ex;
	}
	ex = sendmail_send_input(o, conf, in.data, in.len, when,
	    SENDMAIL_SUBMIT_DROP, res);
	if (ex == SENDMAIL_NODAEMON) {
		if (sendmail_maildrop_write(o, conf, in.data, in.len, when,
		    why, sizeof(why)) == 0) {
			fprintf(stderr, "sendmail: sealpostd is not running; "
			    "the message is kept in the maildrop and sent "
			    "when it runs\n");
			ex = 0;
		} else {
			fprintf(stderr, "sendmail: sealpostd does not accept "
			    "mail at %s: %s (is it running?); the maildrop "
			    "cannot keep it either: %s\n", res->path,
			    strerror(res->conn_errno), why);
			ex = EX_UNAVAILABLE;
		}
	}
	buf_free(&in);
	free(res);
	return ex;
}

/*
 * newaliases, -bi: there is no database to build (the local process
 * reads the text files and notices their changes, doc/design.md §12);
 * checks alias_file and virtual_alias_file with the same loader and
 * prints every diagnostic (file:line: what). Returns 0 (also when a
 * file does not exist: no aliases), or EX_DATAERR when a file has
 * errors or cannot be read.
 */
static int
sendmail_newaliases(const struct conf *c)
{
	const char *path[2] = { c->alias_file, c->virtual_alias_file };
	/* :include: files read as whoever runs newaliases */
	static const struct aliases_load_as as = { 0, 0, 0 };
	struct aliases_load l;
	size_t k, i;
	int ex = 0, warning, rv;
	const char *d;

	for (k = 0; k < 2; k++) {
		if (path[k][0] == '\0')
			continue;
		rv = aliases_load(&l, path[k], k == 0 ? ALIASES_LOCAL :
		    ALIASES_VIRTUAL, k == 0 ? c->alias_file_allow : 0, &as);
		if (rv == -1) {
			fprintf(stderr, "newaliases: %s\n", l.err);
			ex = EX_DATAERR;
			aliases_load_free(&l);
			continue;
		}
		if (l.missing) {	/* no file: no aliases, as the daemon */
			printf("newaliases: %s (no aliases)\n", l.err);
			aliases_load_free(&l);
			continue;
		}
		for (i = 0; (d = aliases_diag(l.tab, i, &warning)) != NULL;
		    i++)
			fprintf(stderr, "newaliases: %s%s\n", warning ?
			    "warning: " : "", d);
		if (aliases_diag_dropped(l.tab) > 0)
			fprintf(stderr, "newaliases: %s: %zu more problems\n",
			    path[k], aliases_diag_dropped(l.tab));
		printf("newaliases: %s: %zu entries, %zu errors\n", path[k],
		    aliases_count(l.tab), aliases_error_count(l.tab));
		if (aliases_error_count(l.tab) > 0)
			ex = EX_DATAERR;
		aliases_load_free(&l);
	}
	return ex;
}

int
main(int argc, char **argv)
{
	struct sendmail_opts o;
	struct conf *conf;
	char err[CONF_ERR_MAX];
	const char *file;
	int ex;

	if ((ex = sendmail_args_parse(argc, argv, &o, err, sizeof(err))) !=
	    0) {
		fprintf(stderr, "sendmail: %s\n", err);
		sendmail_usage();
		return ex;
	}
	switch (o.mode) {
	case SENDMAIL_MODE_ALIASES:
		break;	/* newaliases: after the configuration */
	case SENDMAIL_MODE_QUEUE:
		if (o.rcpt == NULL) {
			/* mailq [option ...]: sealpost(8) takes its name */
			argv[0] = (char *)"mailq";
			sendmail_exec_sealpost(argv);
		}
		sendmail_exec_op(&o, "queue", NULL);
		break;
	case SENDMAIL_MODE_FLUSH:
		sendmail_exec_op(&o, "flush", "--all");
		break;
	default:
		break;
	}
	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		fprintf(stderr, "sendmail: out of memory\n");
		return EX_OSERR;
	}
	file = o.config;
	if (file == NULL && access(SP_CONFFILE, F_OK) == 0)
		file = SP_CONFFILE;
	if (conf_load(conf, file, err, sizeof(err)) == -1) {
		fprintf(stderr, "sendmail: %s\n", err);
		free(conf);
		return EX_CONFIG;
	}
	ex = o.mode == SENDMAIL_MODE_ALIASES ? sendmail_newaliases(conf) :
	    o.mode == SENDMAIL_MODE_SMTP ? sendmail_smtp(conf) :
	    o.mode == SENDMAIL_MODE_DRAIN ? sendmail_maildrop_drain(&o, conf) :
	    sendmail_send(&o, conf);
	free(conf);
	return ex;
}
