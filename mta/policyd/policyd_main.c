/*
 * policyd_main.c: main of the policy process (doc/design.md §8): reads
 * the administrator's table (tls_policy_file) and opens the resolver
 * before the privilege drop, takes the channel to smtpout from the
 * master (IPC_PLAN_CHANNEL, doc/design.md §3; a new one replaces the
 * old) and answers each IPC_PLAN_REQ with IPC_PLAN and its
 * IPC_PLAN_HOSTs in order. A malformed request closes that channel and
 * is logged: the policy process serves on, smtpout sees EOF and is
 * restarted, and the master links the new one.
 * Linked by the policy binary.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/log.h"
#include "policy/dns_wire.h"
#include "policyd.h"

struct policyd {
	struct child		 c;
	struct route_table	 table;
	struct policyd_cfg	 cfg;
	struct policyd_dns	*dns;
	struct policyd_lookups	*lookups;
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

/* Sends a plan to smtpout: IPC_PLAN, then its hosts in order. */
static void
policyd_answer(void *arg, uint64_t req, uint32_t tag,
    const struct plan *plan)
{
	struct policyd *p = arg;
	struct ipc_plan msg = plan->p;
	struct ipc_plan_host h;
	uint32_t i;

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

static void
policyd_out_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct policyd *p = arg;
	struct ipc_plan_req rq;
	char domain[PLAN_NAME_MAX];

	(void)ch;
	if (msg->type != IPC_PLAN_REQ || msg->len != sizeof(rq) ||
	    msg->fd != -1) {
		log_warnx("policy: malformed request from smtpout (type %u, "
		    "%u bytes%s); closing its channel", msg->type, msg->len,
		    msg->fd != -1 ? ", with an fd" : "");
		if (msg->fd != -1)
			close(msg->fd);
		policyd_out_close(p);
		return;
	}
	memcpy(&rq, msg->data, sizeof(rq));
	if (policyd_domain(rq.domain, sizeof(rq.domain), domain,
	    sizeof(domain)) == -1) {
		log_warnx("policy: request %llu from smtpout names no valid "
		    "domain; closing its channel", (unsigned long long)rq.req);
		policyd_out_close(p);
		return;
	}
	log_debug("policy: request %llu for %s%s", (unsigned long long)rq.req,
	    domain, rq.requiretls ? " (REQUIRETLS)" : "");
	if (policyd_lookup(p->lookups, domain, rq.req, p->gen) == -1) {
		log_warnx("policy: out of memory for %s; closing the channel",
		    domain);
		policyd_out_close(p);
	}
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

static void
policyd_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct ipc_link link;

	if (msg->type != IPC_PLAN_CHANNEL || msg->len != sizeof(link) ||
	    msg->fd == -1)
		fatalx("%s: bad message %u from master", c->title, msg->type);
	memcpy(&link, msg->data, sizeof(link));
	policyd_out_close(&pd);
	if ((pd.out = calloc(1, sizeof(*pd.out))) == NULL)
		fatal("%s: smtpout channel", c->title);
	if (ipc_chan_init(pd.out, c->loop, msg->fd, "smtpout",
	    IPC_ALLOW(IPC_PLAN_REQ), policyd_out_msg, policyd_out_err,
	    &pd) == -1)
		fatal("%s: smtpout channel", c->title);
	log_debug("%s: channel to smtpout (link %u)", c->title, link.gen);
}

/* Reads tls_policy_file (before the chroot); fatal on any error. */
static void
policyd_table(struct policyd *p)
{
	const char *path = p->c.conf.tls_policy_file;
	char err[1024], *text;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (path[0] == '\0')
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		fatal("%s: tls_policy_file %s", p->c.title, path);
	if (!S_ISREG(st.st_mode) || st.st_size > ROUTE_FILE_MAX)
		fatalx("%s: tls_policy_file %s: not a regular file of at most "
		    "%d bytes", p->c.title, path, ROUTE_FILE_MAX);
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("%s: tls_policy_file", p->c.title);
	while ((n = read(fd, text + len, (size_t)st.st_size + 1 - len)) > 0)
		len += (size_t)n;
	if (n == -1)
		fatal("%s: read %s", p->c.title, path);
	close(fd);
	if (route_table_parse(text, len, path, &p->table, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	free(text);
	log_debug("%s: %zu entries in %s", p->c.title, p->table.n, path);
}

int
main(int argc, char **argv)
{
	struct child *c = &pd.c;
	const char *server = NULL;
	char err[512];

	child_init(c, PROC_POLICY, argc, argv);
	child_master_allow(c, IPC_ALLOW(IPC_PLAN_CHANNEL), policyd_master_msg);
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
	pd.lookups = policyd_lookups_new(c->loop, pd.dns, &pd.cfg,
	    policyd_answer, &pd);
	child_drop(c);
	child_run(c);
}
