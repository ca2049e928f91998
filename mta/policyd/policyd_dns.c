/*
 * policyd_dns.c: c-ares 1.18 on the event loop for the policy process
 * (doc/design.md §8). c-ares has no record API: each query is built by
 * policy/dns_wire.c (RD, EDNS0 OPT with DO so that the validating
 * resolver sets AD, RFC 4035 §3.2.1; a random ID), sent raw with
 * ares_send, and the raw answer handed on for policy/plan.c to read.
 * c-ares tells us its sockets through the socket-state callback; they
 * are watched by the loop and serviced with ares_process_fd, and one
 * timer follows ares_timeout. The AD bit is believed only when every
 * server is on loopback (127.0.0.0/8, ::1).
 * Linked by the policy binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ares.h>

#include "lib/log.h"
#include "policy/dns_wire.h"
#include "policyd.h"

#define POLICYD_DNS_TIMEOUT_MS	2000	/* per try; c-ares doubles it per
					   round over the servers */
#define POLICYD_DNS_TRIES	3

struct policyd_dns {
	ares_channel		 ch;
	struct loop		*loop;
	struct loop_timer	 timer;
	int			 trusted;
	char			 servers[256];
};

struct policyd_dns_q {
	policyd_dns_cb	 cb;
	void		*arg;
};

static void	policyd_dns_rearm(struct policyd_dns *);

static void
policyd_dns_fd(int fd, uint32_t events, void *arg)
{
	struct policyd_dns *d = arg;

	ares_process_fd(d->ch,
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
	    (events & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
	policyd_dns_rearm(d);
}

static void
policyd_dns_timer(void *arg)
{
	struct policyd_dns *d = arg;

	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	policyd_dns_rearm(d);
}

/* One timer for c-ares's next timeout, if any query is outstanding. */
static void
policyd_dns_rearm(struct policyd_dns *d)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(d->ch, NULL, &tv);
	if (tvp == NULL) {
		loop_timer_cancel(d->loop, &d->timer);
		return;
	}
	loop_timer_set(d->loop, &d->timer, (uint64_t)tvp->tv_sec * 1000 +
	    (uint64_t)tvp->tv_usec / 1000 + 1, policyd_dns_timer, d);
}

static void
policyd_dns_sock_state(void *data, ares_socket_t s, int readable,
    int writable)
{
	struct policyd_dns *d = data;
	uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	if (ev == 0) {
		loop_fd_del(d->loop, s);
		return;
	}
	if (loop_fd_mod(d->loop, s, ev) == -1 &&
	    loop_fd_add(d->loop, s, ev, policyd_dns_fd, d) == -1)
		fatal("policy: watch a DNS socket");
}

static int
policyd_dns_loopback(int family, const void *addr)
{
	const uint8_t *a = addr;

	if (family == AF_INET)
		return a[0] == 127;
	return family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)addr);
}

/* "addr", "addr:port", "[addr]", "[addr]:port" (conf's dns_resolver). */
static int
policyd_dns_server(const char *s, struct ares_addr_port_node *n)
{
	char host[64];
	const char *colon, *end, *errstr;
	size_t hlen;
	long long port = 53;

	memset(n, 0, sizeof(*n));
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address */
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (colon != NULL) {
		port = strtonum(colon + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	if (inet_pton(AF_INET, host, &n->addr.addr4) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, host, &n->addr.addr6) == 1)
		n->family = AF_INET6;
	else
		return -1;
	n->udp_port = n->tcp_port = (int)port;
	return 0;
}

/* Notes the servers in use for the log and whether AD may be believed. */
static int
policyd_dns_note_servers(struct policyd_dns *d)
{
	struct ares_addr_port_node *list = NULL, *n;
	char a[INET6_ADDRSTRLEN], one[INET6_ADDRSTRLEN + 16];
	size_t count = 0;

	if (ares_get_servers_ports(d->ch, &list) != ARES_SUCCESS)
		return -1;
	d->trusted = 1;
	d->servers[0] = '\0';
	for (n = list; n != NULL; n = n->next) {
		count++;
		if (!policyd_dns_loopback(n->family, &n->addr))
			d->trusted = 0;
		if (inet_ntop(n->family, &n->addr, a, sizeof(a)) == NULL)
			(void)strlcpy(a, "?", sizeof(a));
		if (snprintf(one, sizeof(one), n->family == AF_INET6 ?
		    "%s[%s]:%d" : "%s%s:%d", count > 1 ? "," : "", a,
		    n->udp_port != 0 ? n->udp_port : 53) >= (int)sizeof(one))
			continue;
		/* a long list is cut in the log line, not in use */
		(void)strlcat(d->servers, one, sizeof(d->servers));
	}
	ares_free_data(list);
	if (count == 0)
		d->trusted = 0;
	return 0;
}

struct policyd_dns *
policyd_dns_new(struct loop *loop, const char *server, char *err,
    size_t errlen)
{
	struct policyd_dns *d;
	struct ares_options o;
	struct ares_addr_port_node n;
	int rv;

	if ((rv = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		(void)snprintf(err, errlen, "c-ares: %s", ares_strerror(rv));
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->loop = loop;
	memset(&o, 0, sizeof(o));
	o.timeout = POLICYD_DNS_TIMEOUT_MS;
	o.tries = POLICYD_DNS_TRIES;
	o.sock_state_cb = policyd_dns_sock_state;
	o.sock_state_cb_data = d;
	/*
	 * The answer as it is, SERVFAIL included: a validating resolver
	 * answers SERVFAIL for bogus data, and that is a verdict the plan
	 * reads (dnssec-invalid), not a server to skip (c-ares would report
	 * "connection refused" once every server said it).
	 */
	o.flags = ARES_FLAG_NOCHECKRESP;
	/* reads /etc/resolv.conf now, before any chroot */
	rv = ares_init_options(&d->ch, &o, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS);
	if (rv != ARES_SUCCESS) {
		(void)snprintf(err, errlen, "c-ares: %s", ares_strerror(rv));
		free(d);
		return NULL;
	}
	if (server != NULL) {
		if (policyd_dns_server(server, &n) == -1) {
			(void)snprintf(err, errlen, "dns_resolver '%s' is not "
			    "an address with an optional port", server);
			goto fail;
		}
		if ((rv = ares_set_servers_ports(d->ch, &n)) != ARES_SUCCESS) {
			(void)snprintf(err, errlen, "c-ares: %s",
			    ares_strerror(rv));
			goto fail;
		}
	}
	if (policyd_dns_note_servers(d) == -1) {
		(void)snprintf(err, errlen, "c-ares: cannot list the servers");
		goto fail;
	}
	return d;
fail:
	ares_destroy(d->ch);
	free(d);
	return NULL;
}

int
policyd_dns_trusted(const struct policyd_dns *d)
{
	return d->trusted;
}

const char *
policyd_dns_servers(const struct policyd_dns *d)
{
	return d->servers[0] != '\0' ? d->servers : "none";
}

static const char *
policyd_dns_status_word(int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		return "timeout";
	case ARES_ESERVFAIL:
		return "SERVFAIL";
	case ARES_EREFUSED:
		return "REFUSED";
	case ARES_ENOTIMP:
		return "NOTIMP";
	case ARES_EFORMERR:
		return "FORMERR";
	case ARES_ECONNREFUSED:
		return "no resolver (connection refused)";
	case ARES_EBADRESP:
		return "malformed answer";
	case ARES_ENOMEM:
		return "out of memory";
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return "cancelled";
	default:
		return ares_strerror(status);
	}
}

static void
policyd_dns_answer(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct policyd_dns_q *q = arg;

	(void)timeouts;
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0)
		q->cb(q->arg, abuf, (size_t)alen, NULL);
	else
		q->cb(q->arg, NULL, 0, status == ARES_SUCCESS ?
		    "empty answer" : policyd_dns_status_word(status));
	free(q);
}

void
policyd_dns_query(struct policyd_dns *d, const char *name, uint16_t qtype,
    policyd_dns_cb cb, void *arg)
{
	uint8_t buf[DNS_WIRE_QUERY_MAX];
	struct policyd_dns_q *q;
	int len;

	len = dns_wire_query_build(buf, sizeof(buf),
	    (uint16_t)arc4random_uniform(65536), name, qtype, 1);
	if (len < 0) {
		cb(arg, NULL, 0, "name cannot be asked for");
		return;
	}
	if ((q = malloc(sizeof(*q))) == NULL) {
		cb(arg, NULL, 0, "out of memory");
		return;
	}
	q->cb = cb;
	q->arg = arg;
	/* may call back at once (no server, out of memory) */
	ares_send(d->ch, buf, len, policyd_dns_answer, q);
	policyd_dns_rearm(d);
}
