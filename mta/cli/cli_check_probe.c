/*
 * cli_check_probe.c: the live side of `sealpost check` (doc/design.md
 * §8): one MX address probed as a sender would see it, but never with
 * mail: the 220 greeting, EHLO (RFC 5321), STARTTLS (RFC 3207), the TLS
 * handshake through sealpost's own client (lib/tls.c: TLS 1.2+, SNI), the
 * session's version and cipher, PKIX and the RFC 6125 name against
 * tls_ca_file, each TLSA record of the host against the presented chain
 * (policy/dane.c, RFC 7672 §3), then QUIT. Every step has a deadline;
 * nothing is kept. Replies go through the pure reply reader of
 * smtp/smtp_proto.c. Also the handshake alone with the MTA-STS policy
 * host (RFC 8461 §3.3) for --self. Linked by the sealpost binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cli_check.h"
#include "lib/tls.h"
#include "policy/dane.h"
#include "smtp/smtp_proto.h"

#define CLI_CHECK_IN_MAX	16384

struct cli_check_conn {
	int	fd;
	int	timeout_ms;
	char	in[CLI_CHECK_IN_MAX];
	size_t	inlen;
};

static void	cli_check_err(struct cli_check_probe *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));

/* Where the probe stopped, into p->error (cut when long). */
static void
cli_check_err(struct cli_check_probe *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	if (n < 0)
		p->error[0] = '\0';	/* a cut message is still a message */
}

/* Waits for events on fd within the connection's timeout: 1, 0 timeout. */
static int
cli_check_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = events;
	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r == -1 && errno == EINTR);
	return r > 0;
}

/*
 * A non-blocking connection to addr:port within timeout_ms. The socket,
 * or -1 with the reason in why.
 */
static int
cli_check_connect(const char *addr, unsigned port, int timeout_ms,
    char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl, el = sizeof(int);
	int fd, e = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*sin6);
	} else {
		(void)snprintf(why, whylen, "not an address");
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		(void)snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS)
			e = errno;
		else if (!cli_check_wait(fd, POLLOUT, timeout_ms))
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
	}
	if (e != 0) {
		(void)snprintf(why, whylen, "cannot connect to port %u: %s",
		    port, strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

static int
cli_check_send(struct cli_check_conn *c, const char *line)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN &&
		    cli_check_wait(c->fd, POLLOUT, c->timeout_ms))
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * One reply into acc, read in cleartext within the timeout. 0, or -1
 * with the reason in why.
 */
static int
cli_check_reply(struct cli_check_conn *c, struct smtp_proto_reply_acc *acc,
    const char **why)
{
	char *nl;
	size_t len;
	ssize_t n;
	int st;

	smtp_proto_reply_acc_init(acc);
	for (;;) {
		while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
			len = (size_t)(nl - c->in);
			if (len > 0 && c->in[len - 1] == '\r')
				len--;
			st = smtp_proto_reply_acc_feed(acc, c->in, len);
			len = (size_t)(nl - c->in) + 1;
			memmove(c->in, c->in + len, c->inlen - len);
			c->inlen -= len;
			if (st == SMTP_PROTO_ACC_ERROR) {
				*why = acc->error;
				return -1;
			}
			if (st == SMTP_PROTO_ACC_DONE)
				return 0;
		}
		if (c->inlen == sizeof(c->in)) {
			*why = "a reply line too long";
			return -1;
		}
		if (!cli_check_wait(c->fd, POLLIN, c->timeout_ms)) {
			*why = "no reply in time";
			return -1;
		}
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			*why = n == 0 ? "the server closed the connection" :
			    "the connection broke";
			return -1;
		}
		c->inlen += (size_t)n;
	}
}

/* Whether an EHLO reply offers keyword kw (a line of its own). */
static int
cli_check_ehlo_has(const struct smtp_proto_reply_acc *acc, const char *kw)
{
	size_t i, kl = strlen(kw), len;
	const char *t;

	for (i = 1; i < acc->nlines; i++) {
		t = acc->text + acc->off[i];
		len = acc->len[i];
		if (len >= kl && strncasecmp(t, kw, kl) == 0 &&
		    (len == kl || t[kl] == ' '))
			return 1;
	}
	return 0;
}

/* The handshake on c's socket within the timeout: 0, or -1 (why). */
static int
cli_check_handshake(gnutls_session_t s, int fd, int timeout_ms,
    const char **why)
{
	enum tls_io io;

	for (;;) {
		io = tls_handshake(s, why);
		if (io == TLS_IO_DONE)
			return 0;
		if (io == TLS_IO_ERROR)
			return -1;
		if (!cli_check_wait(fd, io == TLS_IO_WANT_READ ? POLLIN :
		    POLLOUT, timeout_ms)) {
			*why = "the handshake did not finish in time";
			return -1;
		}
	}
}

static void
cli_check_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The leaf's dates and digests, each usable TLSA record against the chain. */
static void
cli_check_chain(gnutls_session_t s, const struct cli_check_host *h,
    const char *domain, struct cli_check_probe *p)
{
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt;
	struct dane_tlsa rec;
	struct dane_result res;
	const char *names[3];
	uint8_t md[32];
	size_t j, mdlen;
	unsigned n = 0;
	time_t exp;

	if ((chain = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &chain[0],
		    GNUTLS_X509_FMT_DER) == 0 &&
		    (exp = gnutls_x509_crt_get_expiration_time(crt)) !=
		    (time_t)-1)
			p->not_after = (int64_t)exp;
		gnutls_x509_crt_deinit(crt);
	}
	mdlen = sizeof(md);
	if (dane_tlsa_data(&chain[0], 1, 1, md, &mdlen) == 0)
		cli_check_hex(md, mdlen, p->leaf_spki);
	mdlen = sizeof(md);
	if (dane_tlsa_data(&chain[0], 0, 1, md, &mdlen) == 0)
		cli_check_hex(md, mdlen, p->leaf_cert);
	names[0] = h->tlsa_base[0] != '\0' ? h->tlsa_base : h->name;
	names[1] = h->name;
	names[2] = domain;
	for (j = 0; j < h->ntlsa; j++) {
		const struct cli_check_tlsa *t = &h->tlsa[j];

		if (!t->usable || t->len == 0)
			continue;
		rec.usage = t->usage;
		rec.selector = t->selector;
		rec.mtype = t->mtype;
		rec.data = t->data;
		rec.len = t->len;
		(void)dane_match(chain, n, &rec, 1, names, 3, time(NULL),
		    &res);
		p->tlsa[j] = res.verdict;
		(void)strlcpy(p->tlsa_detail[j], res.detail,
		    sizeof(p->tlsa_detail[j]));
	}
}

void
cli_check_probe(struct tls_client *tc, const struct cli_check_host *h,
    const char *domain, const char *helo, const char *sni, int timeout_ms,
    struct cli_check_probe *p)
{
	struct smtp_proto_reply_acc *acc;
	struct cli_check_conn *c;
	struct tls_facts tf;
	gnutls_session_t s = NULL;
	const char *why = NULL, *detail;
	char line[CLI_CHECK_NAME + 16], err[128];
	size_t j;
	int n;

	for (j = 0; j < CLI_CHECK_TLSA; j++)
		p->tlsa[j] = -1;
	p->pkix = -1;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (acc = calloc(1, sizeof(*acc))) == NULL) {
		free(c);
		cli_check_err(p, "out of memory");
		return;
	}
	c->timeout_ms = timeout_ms;
	if ((c->fd = cli_check_connect(p->addr, h->port, timeout_ms, err,
	    sizeof(err))) == -1) {
		cli_check_err(p, "%s", err);
		goto out;
	}
	if (cli_check_reply(c, acc, &why) == -1 || acc->code != 220) {
		if (why != NULL)
			cli_check_err(p, "no 220 greeting: %s", why);
		else
			cli_check_err(p, "the greeting is %d, not 220",
			    acc->code);
		goto out;
	}
	p->connected = 1;
	n = snprintf(line, sizeof(line), "EHLO %s\r\n", helo);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    cli_check_send(c, line) == -1 ||
	    cli_check_reply(c, acc, &why) == -1 || acc->code != 250) {
		cli_check_err(p, "EHLO was not answered 250: %s",
		    why != NULL ? why : "the server refuses");
		goto out;
	}
	p->ehlo = 1;
	if (!cli_check_ehlo_has(acc, "STARTTLS")) {
		cli_check_err(p, "STARTTLS is not offered");
		(void)cli_check_send(c, "QUIT\r\n");
		goto out;
	}
	p->starttls = 1;
	if (cli_check_send(c, "STARTTLS\r\n") == -1 ||
	    cli_check_reply(c, acc, &why) == -1 || acc->code != 220) {
		if (why != NULL)
			cli_check_err(p, "STARTTLS: %s", why);
		else
			cli_check_err(p, "STARTTLS was answered %d, not 220",
			    acc->code);
		goto out;
	}
	if (c->inlen > 0) {
		/* what came after the 220 in cleartext (RFC 3207 §6) */
		cli_check_err(p, "bytes after the 220 to STARTTLS, before "
		    "TLS: response injection");
		goto out;
	}
	if ((s = tls_client_session(tc, c->fd, sni, NULL)) == NULL) {
		cli_check_err(p, "no TLS session (GnuTLS)");
		goto out;
	}
	if (cli_check_handshake(s, c->fd, timeout_ms, &why) == -1) {
		cli_check_err(p, "the TLS handshake failed: %s",
		    why != NULL ? why : "?");
		goto out;
	}
	p->tls = 1;
	tls_session_facts(s, &tf);
	(void)strlcpy(p->version, tf.version, sizeof(p->version));
	(void)strlcpy(p->cipher, tf.cipher, sizeof(p->cipher));
	p->pkix = (int)tls_client_verify(s, h->name, &detail);
	(void)strlcpy(p->pkix_detail, detail, sizeof(p->pkix_detail));
	cli_check_chain(s, h, domain, p);
	/* QUIT inside TLS; its reply is not waited for */
	(void)gnutls_record_send(s, "QUIT\r\n", 6);
	(void)gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	if (s != NULL)
		gnutls_deinit(s);
	if (c->fd != -1)
		close(c->fd);
	free(acc);
	free(c);
}

void
cli_check_probe_https(struct tls_client *tc, const char *addr,
    unsigned port, const char *name, int timeout_ms, int *tls, int *pkix,
    char *error, size_t errlen)
{
	gnutls_session_t s = NULL;
	const char *why = NULL, *detail = "";
	int fd;

	*tls = 0;
	*pkix = -1;
	error[0] = '\0';
	if ((fd = cli_check_connect(addr, port, timeout_ms, error, errlen)) ==
	    -1)
		return;
	if ((s = tls_client_session(tc, fd, name, NULL)) == NULL ||
	    cli_check_handshake(s, fd, timeout_ms, &why) == -1) {
		(void)snprintf(error, errlen, "%s: the TLS handshake failed: "
		    "%s", addr, why != NULL ? why : "no session");
	} else {
		*tls = 1;
		*pkix = (int)tls_client_verify(s, name, &detail);
		if (*pkix != 0)
			(void)snprintf(error, errlen, "%s: the certificate is "
			    "not valid for %s: %s", addr, name, detail);
		(void)gnutls_bye(s, GNUTLS_SHUT_WR);
	}
	if (s != NULL)
		gnutls_deinit(s);
	close(fd);
}
