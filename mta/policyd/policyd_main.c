/*
 * policyd_main.c: main of the policy process (doc/design.md §8): reads
 * the administrator's table (tls_policy_file) and opens the resolver
 * before the privilege drop, takes the channel to smtpout from the
 * master (IPC_PLAN_CHANNEL, doc/design.md §3; a new one replaces the
 * old) and answers each IPC_PLAN_REQ with IPC_PLAN and its
 * IPC_PLAN_HOSTs in order; IPC_PLAN_FORGET (sealpost requeue) drops a
 * domain's cached plan. A malformed request (a bug) ends the process:
 * the master starts a new one and links it to smtpout, which asks again.
 * A recipient domain that is an address literal is routed to the
 * address; one that is no host name (or not ASCII) is refused for that
 * request alone.
 * Linked by the policy binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/child.h"
#include "lib/log.h"
#include "policy/dns_wire.h"
#include "policy/route.h"
#include "policy/tlsrpt.h"
#include "policyd.h"

struct policyd {
	struct child		 c;
	struct route_table	 table;
	struct policyd_cfg	 cfg;
	struct policyd_dns	*dns;
	struct policyd_lookups	*lookups;
	struct policyd_fetch	*fetch;
	struct policyd_sts	*sts;
	struct policyd_memory	*memory;
	struct policyd_tlsrpt	*tlsrpt;
	int			 dirfd;		/* data_dir/policy */
	struct ipc_chan		*out;		/* to smtpout, or NULL */
	uint32_t		 gen;		/* bumped per channel */
};

static struct policyd pd;

static void
policyd_out_close(struct policyd *p)
{
	if (p->out == NULL)
		return;
	ipc_chan_close(p->out);
	free(p->out);
	p->out = NULL;
	/* answers still due on it are dropped: a new channel, a new gen */
	p->gen++;
}

/*
 * Sends a plan to smtpout: IPC_PLAN, then its hosts in order, each
 * followed by its IPC_PLAN_TLSA frames (tlsa: length-prefixed payloads
 * in host order, policyd.h).
 */
static void
policyd_answer(void *arg, uint64_t req, uint32_t tag,
    const struct plan *plan, const uint8_t *tlsa, size_t tlsalen)
{
	struct policyd *p = arg;
	struct ipc_plan msg = plan->p;
	struct ipc_plan_host h;
	struct ipc_plan_tlsa t;
	uint8_t frame[IPC_PAYLOAD_MAX];
	uint32_t i, j, flen;
	size_t off = 0;

	if (p->out == NULL || tag != p->gen)
		return;		/* asked on a channel that is gone */
	msg.req = req;
	if (ipc_send(p->out, IPC_PLAN, &msg, sizeof(msg), -1) == -1)
		return;		/* the error callback closes it */
	for (i = 0; i < msg.nhosts; i++) {
		h = plan->h[i];
		h.req = req;
		if (ipc_send(p->out, IPC_PLAN_HOST, &h, sizeof(h), -1) == -1)
			return;
		for (j = 0; j < h.ntlsa; j++) {
			if (tlsalen - off < sizeof(flen))
				fatalx("policy: TLSA frames of %s", h.name);
			memcpy(&flen, tlsa + off, sizeof(flen));
			off += sizeof(flen);
			if (flen < sizeof(t) || flen > sizeof(frame) ||
			    tlsalen - off < flen)
				fatalx("policy: TLSA frames of %s", h.name);
			memcpy(frame, tlsa + off, flen);
			off += flen;
			memcpy(&t, frame, sizeof(t));
			t.req = req;
			memcpy(frame, &t, sizeof(t));
			if (ipc_send(p->out, IPC_PLAN_TLSA, frame, flen,
			    -1) == -1)
				return;
		}
	}
}

/*
 * A domain of a request: NUL-terminated inside its field, a host name
 * (policy/dns_wire.c's reader takes it), lower-cased into out.
 */
static int
policyd_domain(const char *in, size_t size, char *out, size_t outsize)
{
	uint8_t wire[DNS_WIRE_NAME_MAX];
	size_t i, len;

	if ((len = strnlen(in, size)) == size || len == 0 ||
	    len >= outsize)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return -1;
		out[i] = (char)tolower(ch);
	}
	out[len] = '\0';
	if (out[len - 1] == '.' ||
	    dns_wire_name_encode(out, wire, sizeof(wire)) < 0)
		return -1;
	return 0;
}

/*
 * An address literal as the domain ("[192.0.2.1]", "[IPv6:2001:db8::1]",
 * RFC 5321 §4.1.3): the one host is that address, under the floor.
 * Returns 0 with *plan filled, or -1 when in is no address literal.
 */
static int
policyd_literal(const struct policyd *p, const char *in, size_t size,
    struct plan *plan)
{
	struct ipc_plan_host *h = &plan->h[0];
	char a[INET6_ADDRSTRLEN + 8];
	size_t len = strnlen(in, size);
	const char *ip;

	if (len < 3 || len == size || in[0] != '[' || in[len - 1] != ']' ||
	    len - 2 >= sizeof(a))
		return -1;
	memcpy(a, in + 1, len - 2);
	a[len - 2] = '\0';
	memset(plan, 0, sizeof(*plan));
	ip = strncasecmp(a, "IPv6:", 5) == 0 ? a + 5 : a;
	if (ip != a && inet_pton(AF_INET6, ip, h->addr[0].addr) == 1)
		h->addr[0].family = AF_INET6;
	else if (ip == a && inet_pton(AF_INET, ip, h->addr[0].addr) == 1)
		h->addr[0].family = AF_INET;
	else
		return -1;
	if (strlcpy(h->name, ip, sizeof(h->name)) >= sizeof(h->name))
		return -1;
	h->naddr = 1;
	h->port = 25;
	h->requirement = p->cfg.floor_req;
	(void)strlcpy(h->policy, route_req_name(p->cfg.floor_req),
	    sizeof(h->policy));
	(void)strlcpy(h->policy_src, "floor", sizeof(h->policy_src));
	plan->p.status = IPC_PLAN_OK;
	plan->p.nhosts = 1;
	return 0;
}

/* A delivery met a requirement: the downgrade memory learns it. */
static void
policyd_met(struct policyd *p, const struct ipc_msg *msg)
{
	struct ipc_plan_met met;
	char domain[PLAN_NAME_MAX];

	if (msg->len != sizeof(met) || msg->fd != -1)
		fatalx("policy: malformed IPC_PLAN_MET from smtpout");
	memcpy(&met, msg->data, sizeof(met));
	if (policyd_domain(met.domain, sizeof(met.domain), domain,
	    sizeof(domain)) == -1)
		return;		/* an address literal: nothing to remember */
	policyd_memory_met(p->memory, domain, met.requirement);
}

/*
 * A TLS session's outcome (IPC_PLAN_SESSION): counted for the day's TLS
 * report (RFC 8460, doc/design.md §8). A frame of the wrong shape is a
 * bug: fatal, as every frame from smtpout; a field that is no name (an
 * address literal) is not counted.
 */
static void
policyd_session(struct policyd *p, const struct ipc_msg *msg)
{
	struct ipc_plan_session s;
	char domain[PLAN_NAME_MAX], mx[PLAN_NAME_MAX];
	int type;

	if (msg->len != sizeof(s) || msg->fd != -1)
		fatalx("policy: malformed IPC_PLAN_SESSION from smtpout");
	memcpy(&s, msg->data, sizeof(s));
	if (strnlen(s.ip, sizeof(s.ip)) == sizeof(s.ip) ||
	    strnlen(s.failure, sizeof(s.failure)) == sizeof(s.failure))
		fatalx("policy: malformed IPC_PLAN_SESSION from smtpout");
	switch (s.policy_type) {
	case IPC_TLSRPT_STS:
		type = TLSRPT_T_STS;
		break;
	case IPC_TLSRPT_TLSA:
		type = TLSRPT_T_TLSA;
		break;
	case IPC_TLSRPT_NONE:
		type = TLSRPT_T_NONE;
		break;
	default:
		fatalx("policy: IPC_PLAN_SESSION with policy type %d",
		    s.policy_type);
	}
	if (policyd_domain(s.domain, sizeof(s.domain), domain,
	    sizeof(domain)) == -1 || policyd_domain(s.mx, sizeof(s.mx), mx,
	    sizeof(mx)) == -1)
		return;
	policyd_tlsrpt_session(p->tlsrpt, domain, type, mx, s.ip, s.failure);
}

/*
 * sealpost requeue, passed on by smtpout (IPC_PLAN_FORGET): the domain's
 * plan is looked up afresh at its next request. Only the plan cache is
 * dropped: the MTA-STS policy cache and the downgrade memory stay, as
 * they must (doc/design.md §8: what a domain proved is forgotten only
 * by sealpost policy --forget, and a cached MTA-STS policy outlives a
 * failed refresh). More than one forget for a domain is harmless.
 */
static void
policyd_forget(struct policyd *p, const struct ipc_msg *msg)
{
	struct ipc_forget f;
	char domain[PLAN_NAME_MAX];

	if (msg->len != sizeof(f) || msg->fd != -1)
		fatalx("policy: malformed IPC_PLAN_FORGET from smtpout");
	memcpy(&f, msg->data, sizeof(f));
	if (strnlen(f.domain, sizeof(f.domain)) == sizeof(f.domain) ||
	    f.domain[0] == '\0')
		fatalx("policy: malformed IPC_PLAN_FORGET from smtpout");
	if (policyd_domain(f.domain, sizeof(f.domain), domain,
	    sizeof(domain)) == -1) {
		/* an address literal (or no host name): never cached */
		log_debug("policy: no plan of %s to forget", f.domain);
		return;
	}
	policyd_lookup_requeue(p->lookups, domain);
	log_info("policy: plans of %s forgotten (requeue)", domain);
}

/* A domain that cannot be looked up: a verdict for that request alone. */
static void
policyd_refuse(struct policyd *p, uint64_t req, const char *in, size_t size)
{
	struct plan plan;
	size_t i, len = strnlen(in, size);
	int utf8 = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			utf8 = 1;
	memset(&plan, 0, sizeof(plan));
	plan.p.status = IPC_PLAN_BOUNCE;
	plan.p.code = 550;
	(void)strlcpy(plan.p.dsn, "5.1.2", sizeof(plan.p.dsn));
	(void)strlcpy(plan.p.text, utf8 ? "internationalized domain names "
	    "(non-ASCII) cannot be delivered yet" : "the recipient domain is "
	    "not a valid host name", sizeof(plan.p.text));
	log_warnx("policy: request %llu names %s; refused",
	    (unsigned long long)req, utf8 ? "a domain with non-ASCII "
	    "characters" : "no valid domain");
	policyd_answer(p, req, p->gen, &plan, NULL, 0);
}

static void
policyd_out_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct policyd *p = arg;
	struct ipc_plan_req rq;
	struct plan plan;
	char domain[PLAN_NAME_MAX];

	(void)ch;
	if (msg->type == IPC_PLAN_MET) {
		policyd_met(p, msg);
		return;
	}
	if (msg->type == IPC_PLAN_FORGET) {
		policyd_forget(p, msg);
		return;
	}
	if (msg->type == IPC_PLAN_SESSION) {
		policyd_session(p, msg);
		return;
	}
	/*
	 * A frame of the wrong shape is a bug in smtpout or here: exit, and
	 * the master starts a new policy process and links it to smtpout
	 * (doc/design.md §3). What a message's recipient domain can be
	 * (an address literal, a name that is no host name) is answered
	 * per request instead.
	 */
	if (msg->type != IPC_PLAN_REQ || msg->len != sizeof(rq) ||
	    msg->fd != -1)
		fatalx("policy: malformed request from smtpout (type %u, "
		    "%u bytes%s)", msg->type, msg->len,
		    msg->fd != -1 ? ", with an fd" : "");
	memcpy(&rq, msg->data, sizeof(rq));
	if (policyd_domain(rq.domain, sizeof(rq.domain), domain,
	    sizeof(domain)) == -1) {
		if (policyd_literal(p, rq.domain, sizeof(rq.domain),
		    &plan) == 0)
			policyd_answer(p, rq.req, p->gen, &plan, NULL, 0);
		else
			policyd_refuse(p, rq.req, rq.domain,
			    sizeof(rq.domain));
		return;
	}
	log_debug("policy: request %llu for %s%s", (unsigned long long)rq.req,
	    domain, rq.requiretls ? " (REQUIRETLS)" : "");
	if (policyd_lookup(p->lookups, domain, rq.req, p->gen) == -1)
		fatalx("policy: out of memory for %s", domain);
}

static void
policyd_out_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct policyd *p = arg;

	(void)ch;
	if (e == IPC_EOF)
		log_info("policy: smtpout closed its channel");
	else
		log_warnx("policy: channel to smtpout: %s; closing it",
		    ipc_strerror(e));
	policyd_out_close(p);
}

/*
 * Sends text[0..len) to the master for the query ctl, in frames of at
 * most what IPC_PAYLOAD_MAX holds; the last one carries status.
 */
void
policyd_ctl_reply(uint64_t ctl, const char *text, size_t len, int status)
{
	uint8_t frame[IPC_PAYLOAD_MAX];
	struct ipc_policy_text t;
	size_t max = sizeof(frame) - sizeof(t), n;

	do {
		n = len > max ? max : len;
		memset(&t, 0, sizeof(t));
		t.ctl = ctl;
		t.last = n == len;
		t.status = t.last ? status : 0;
		t.len = (uint32_t)n;
		memcpy(frame, &t, sizeof(t));
		if (n > 0)
			memcpy(frame + sizeof(t), text, n);
		if (ipc_send(&pd.c.master, IPC_POLICY_TEXT, frame,
		    sizeof(t) + n, -1) == -1)
			return;
		text += n;
		len -= n;
	} while (len > 0);
}

static void
policyd_ctl_explained(void *arg, uint64_t ctl, const char *text, size_t len,
    int status)
{
	(void)arg;
	policyd_ctl_reply(ctl, text, len, status);
}

static void
policyd_ctl_query(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_policy_query q;
	struct plan plan;
	char domain[PLAN_NAME_MAX], text[2 * PLAN_NAME_MAX + 256];
	int n;

	if (msg->len != sizeof(q) || msg->fd != -1)
		fatalx("%s: malformed policy query from master", c->title);
	memcpy(&q, msg->data, sizeof(q));
	if (strnlen(q.domain, sizeof(q.domain)) == sizeof(q.domain))
		fatalx("%s: malformed policy query from master", c->title);
	if (policyd_domain(q.domain, sizeof(q.domain), domain,
	    sizeof(domain)) == -1) {
		if (q.op != IPC_POLICY_FORGET &&
		    policyd_literal(&pd, q.domain, sizeof(q.domain), &plan) ==
		    0) {
			/* an address literal: no DNS, the floor (§8) */
			if (q.op != IPC_POLICY_SHOW)
				n = snprintf(text, sizeof(text), "{\"domain\":"
				    "\"%s\",\"route\":\"literal\",\"hosts\":"
				    "[{\"name\":\"%s\",\"port\":25,"
				    "\"policy\":\"%s\",\"policy_src\":"
				    "\"floor\"}],\"result\":{\"status\":"
				    "\"deliver\"}}\n", q.domain, plan.h[0].name,
				    plan.h[0].policy);
			else
				n = snprintf(text, sizeof(text), "domain   %s\n"
				    "route    an address literal: that address, "
				    "port 25, no DNS, no DANE, no MTA-STS\n"
				    "result   deliver under %s (from floor)\n",
				    q.domain, plan.h[0].policy);
			policyd_ctl_reply(q.ctl, text, n > 0 &&
			    (size_t)n < sizeof(text) ? (size_t)n : 0, 0);
			return;
		}
		n = snprintf(text, sizeof(text), "not a domain name: %.64s\n",
		    q.domain);
		policyd_ctl_reply(q.ctl, text, n > 0 ? (size_t)n : 0, 2);
		return;
	}
	switch (q.op) {
	case IPC_POLICY_FORGET:
		if (policyd_memory_forget(pd.memory, domain) == -1) {
			n = snprintf(text, sizeof(text), "%s: nothing "
			    "remembered\n", domain);
			policyd_ctl_reply(q.ctl, text, (size_t)n, 1);
			return;
		}
		policyd_memory_flush(pd.memory);
		policyd_lookup_forget(pd.lookups, domain);
		n = snprintf(text, sizeof(text), "%s: downgrade memory "
		    "dropped\n", domain);
		policyd_ctl_reply(q.ctl, text, (size_t)n, 0);
		return;
	case IPC_POLICY_SHOW:
	case IPC_POLICY_SHOW_JSON:
	case IPC_POLICY_SHOW_SELF:
		policyd_lookup_explain(pd.lookups, domain, q.ctl,
		    q.op == IPC_POLICY_SHOW ? 0 : q.op == IPC_POLICY_SHOW_JSON ?
		    1 : 2, policyd_ctl_explained, &pd);
		return;
	default:
		fatalx("%s: policy query with unknown op %d", c->title, q.op);
	}
}

static void
policyd_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_link link;

	if (msg->type == IPC_POLICY_QUERY) {
		policyd_ctl_query(c, msg);
		return;
	}
	if (msg->type != IPC_PLAN_CHANNEL || msg->len != sizeof(link) ||
	    msg->fd == -1)
		fatalx("%s: bad message %u from master", c->title, msg->type);
	memcpy(&link, msg->data, sizeof(link));
	policyd_out_close(&pd);
	if ((pd.out = calloc(1, sizeof(*pd.out))) == NULL)
		fatal("%s: smtpout channel", c->title);
	if (ipc_chan_init(pd.out, c->loop, msg->fd, "smtpout",
	    IPC_ALLOW(IPC_PLAN_REQ) | IPC_ALLOW(IPC_PLAN_MET) |
	    IPC_ALLOW(IPC_PLAN_FORGET) | IPC_ALLOW(IPC_PLAN_SESSION),
	    policyd_out_msg, policyd_out_err,
	    &pd) == -1)
		fatal("%s: smtpout channel", c->title);
	log_debug("%s: channel to smtpout (link %u)", c->title, link.gen);
}

/* Reads tls_policy_file (before the chroot); fatal on any error. */
static void
policyd_table(struct policyd *p)
{
	const char *path = p->c.conf.tls_policy_file;
	char err[1024];
	struct stat st;
	struct buf text;
	int fd;

	if (path[0] == '\0')
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		fatal("%s: tls_policy_file %s", p->c.title, path);
	if (!S_ISREG(st.st_mode) || st.st_size > ROUTE_FILE_MAX)
		fatalx("%s: tls_policy_file %s: not a regular file of at most "
		    "%d bytes", p->c.title, path, ROUTE_FILE_MAX);
	buf_init(&text, ROUTE_FILE_MAX);
	if (buf_read_fd(&text, fd) == -1)
		fatal("%s: read %s", p->c.title, path);
	close(fd);
	if (route_table_parse(text.data != NULL ? text.data : "", text.len,
	    path, &p->table, err, sizeof(err)) == -1)
		fatalx("%s", err);
	buf_free(&text);
	log_debug("%s: %zu entries in %s", p->c.title, p->table.n, path);
}

/*
 * Opens data_dir/policy (the caches: sts/, memory) before the chroot, so
 * that the same relative paths serve with and without it; -1 when it
 * cannot be opened (then nothing is kept on disk, and the log says so).
 */
static void
policyd_dir(struct policyd *p)
{
	char path[CONF_PATH_MAX + 16];

	p->dirfd = -1;
	if (snprintf(path, sizeof(path), "%s/policy", p->c.conf.data_dir) >=
	    (int)sizeof(path) || (p->dirfd = open(path, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		log_warn("%s: %s: the MTA-STS cache and the downgrade memory "
		    "are kept in memory only", p->c.title, path);
}

int
main(int argc, char **argv)
{
	struct child *c = &pd.c;
	const char *server = NULL;
	char err[512];

	child_init(c, PROC_POLICY, argc, argv);
	child_master_allow(c, IPC_ALLOW(IPC_PLAN_CHANNEL) |
	    IPC_ALLOW(IPC_POLICY_QUERY), policyd_master_msg);
	policyd_table(&pd);
	if (c->conf.relayhost[0] != '\0' &&
	    route_nexthop_parse(c->conf.relayhost, strlen(c->conf.relayhost),
	    &pd.cfg.relayhost) == -1)
		fatalx("%s: relayhost %s: not host, host:port, [host] or "
		    "[host]:port", c->title, c->conf.relayhost);
	pd.cfg.table = &pd.table;
	pd.cfg.relayhost_req = c->conf.relayhost_tls == CONF_TLS_FLOOR_VERIFY ?
	    IPC_REQ_VERIFY : IPC_REQ_ENCRYPT;
	pd.cfg.floor_req = c->conf.tls_floor == CONF_TLS_FLOOR_VERIFY ?
	    IPC_REQ_VERIFY : IPC_REQ_ENCRYPT;
	pd.cfg.family = c->conf.smtpout_address_family == CONF_AF_IPV4 ?
	    PLAN_AF_IPV4 : c->conf.smtpout_address_family == CONF_AF_IPV6 ?
	    PLAN_AF_IPV6 : PLAN_AF_ANY;
	pd.cfg.hostname = c->conf.hostname;
	/* dns_resolver not in the file: the servers of /etc/resolv.conf */
	if (conf_key_line(&c->conf, "dns_resolver") != 0)
		server = c->conf.dns_resolver;
	if ((pd.dns = policyd_dns_new(c->loop, server, err,
	    sizeof(err))) == NULL)
		fatalx("%s: %s", c->title, err);
	log_debug("%s: resolver %s (AD %s)", c->title,
	    policyd_dns_servers(pd.dns), policyd_dns_trusted(pd.dns) ?
	    "trusted: loopback" : "never trusted: not on loopback");
	if (!policyd_dns_trusted(pd.dns))
		log_warnx("%s: dns_resolver %s is not on loopback: DANE is off "
		    "(dnssec=untrusted-resolver)", c->title,
		    policyd_dns_servers(pd.dns));
	policyd_dir(&pd);
	/*
	 * Without a trust store (tls_ca_file left at its default on a host
	 * without ca-certificates; sealpostd -n refuses a named one that
	 * cannot be read) no policy can be fetched: each fetch fails as
	 * sts-webpki-invalid, as RFC 8461 §3.3 would have it.
	 */
	if ((pd.fetch = policyd_fetch_new(c->loop, c->conf.tls_ca_file,
	    c->conf.mta_sts_fetch_timeout, err, sizeof(err))) == NULL)
		log_warnx("%s: MTA-STS policies cannot be fetched: %s",
		    c->title, err);
	child_drop(c);
	/*
	 * The working directory is data_dir/policy, chroot or not
	 * (development mode): policyd_fetch.c keeps its copy of the trust
	 * store there (curl-gnutls 7.88 reads CAINFO from a path).
	 */
	if (pd.dirfd != -1 && fchdir(pd.dirfd) == -1)
		fatal("%s: data_dir/policy", c->title);
	/* the caches are read and written as the policy user */
	pd.sts = policyd_sts_new(c->loop, pd.dns, pd.fetch, pd.dirfd);
	pd.memory = policyd_memory_new(c->loop, pd.dirfd,
	    c->conf.policy_memory_time, !policyd_dns_trusted(pd.dns));
	pd.tlsrpt = policyd_tlsrpt_new(c->loop, pd.dirfd);
	pd.cfg.sts = pd.sts;
	pd.cfg.memory = pd.memory;
	pd.lookups = policyd_lookups_new(c->loop, pd.dns, &pd.cfg,
	    policyd_answer, &pd);
	/*
	 * child_run, with the day's TLS report counters written when
	 * SIGTERM ends the loop: a stop loses none of the last seconds'
	 * sessions (doc/design.md §8).
	 */
	log_debug("%s: running as uid %ld", c->title, (long)getuid());
	if (loop_run(c->loop) == -1)
		fatal("%s: event loop", c->title);
	policyd_tlsrpt_flush(pd.tlsrpt);
	exit(0);
}
