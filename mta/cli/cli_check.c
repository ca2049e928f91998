/*
 * cli_check.c: `sealpost check [--json] [--timeout S] DOMAIN` and
 * `sealpost check --self` (doc/design.md §8, sealpost(8)): the DNS side
 * comes from the policy process, asked through sealpostd's control socket
 * as `sealpost policy --json` asks (a fresh lookup, with the TLS-RPT
 * record); the live side is probed here (cli_check_probe.c), as root on
 * the admin's terminal, with the trust anchors of tls_ca_file; the
 * verdicts and the report are the pure cli_check_verdict.c's. --self
 * checks each of local_domains and this host's certificates: the
 * current key (tls_cert_file, or the self-signed one) and the next one
 * (tls_next_key_file) against the host's TLSA records, and the MTA-STS
 * policy host's certificate, and prints the records to publish.
 * Exit: 0 all ok, 1 a warning, 2 a failure; sysexits(3) when the check
 * itself could not run. Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "cli_check.h"
#include "ipc_msg.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/tls.h"
#include "policy/dane.h"

/* As cli_policy.c: longer than the master's own 30 s limit. */
#define CLI_CHECK_WAIT_MS	35000
#define CLI_CHECK_FILE_MAX	(1024 * 1024)

static const char cli_check_usage_text[] =
    "usage: sealpost check [--json] [--timeout seconds] domain\n"
    "       sealpost check --self [--json] [--timeout seconds]\n";

struct cli_check_opts {
	int		 json;
	int		 self;
	int		 timeout_ms;
	const char	*domain;
};

/* The command line: 0 run, 1 help, -1 bad (said on stderr). */
static int
cli_check_args(int argc, char **argv, struct cli_check_opts *o)
{
	const char *errstr;
	int i;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
		if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (strcmp(argv[i], "--self") == 0)
			o->self = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			o->timeout_ms = 1000 * (int)strtonum(argv[++i], 1, 60,
			    &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "sealpost check: --timeout %s: "
				    "%s; give 1 to 60 seconds\n", argv[i],
				    errstr);
				return -1;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "sealpost check: unknown option %s\n",
			    argv[i]);
			return -1;
		} else if (o->domain != NULL) {
			fprintf(stderr, "sealpost check: one domain only\n");
			return -1;
		} else
			o->domain = argv[i];
	}
	if (o->self == (o->domain != NULL)) {
		fprintf(stderr, "sealpost check: %s\n", o->self ?
		    "--self takes no domain" : "no domain given");
		return -1;
	}
	return 0;
}

/*
 * Asks the policy process for the JSON explanation of domain into out
 * (self: with this host kept among the MX, for --self). 0, or an exit
 * code after a message.
 */
static int
cli_check_ask(struct cli *cli, const char *domain, int self, struct buf *out)
{
	struct ipc_policy_query q;
	struct ipc_policy_text t;
	struct ipc_msg msg;
	enum ipc_err e;
	void *buf;
	int s, rc = 0;

	memset(&q, 0, sizeof(q));
	q.op = self ? IPC_POLICY_SHOW_SELF : IPC_POLICY_SHOW_JSON;
	if (strlcpy(q.domain, domain, sizeof(q.domain)) >= sizeof(q.domain))
		return EX_USAGE;
	s = cli_connect(cli);
	if ((buf = malloc(IPC_FRAME_MAX + 1)) == NULL) {
		close(s);
		perror(cli->progname);
		return EX_OSERR;
	}
	if (ipc_send_fd(s, IPC_CTL_POLICY, &q, sizeof(q), -1) == -1) {
		fprintf(stderr, "%s: sending to sealpostd: %s\n", cli->progname,
		    strerror(errno));
		rc = EX_UNAVAILABLE;
	}
	while (rc == 0) {
		e = ipc_recv_fd(s, IPC_ALLOW(IPC_POLICY_TEXT) |
		    IPC_ALLOW(IPC_CTL_ERROR), buf, CLI_CHECK_WAIT_MS, &msg);
		if (e != IPC_OK) {
			fprintf(stderr, "%s: %s: no answer from sealpostd: "
			    "%s\n", cli->progname, domain, e == IPC_ESYS ?
			    strerror(errno) : ipc_strerror(e));
			rc = e == IPC_ESYS || e == IPC_EOF ? EX_UNAVAILABLE :
			    EX_PROTOCOL;
			break;
		}
		if (msg.fd != -1)
			close(msg.fd);
		if (msg.type == IPC_CTL_ERROR) {
			/* the payload sits in buf, ours to change */
			cli_policy_clean((char *)buf + ((const char *)msg.data -
			    (const char *)buf), msg.len);
			fprintf(stderr, "%s: %s: %.*s\n", cli->progname,
			    domain, msg.len > 512 ? 512 : (int)msg.len,
			    (const char *)msg.data);
			rc = EX_UNAVAILABLE;
			break;
		}
		if (msg.len < sizeof(t) || (memcpy(&t, msg.data, sizeof(t)),
		    t.len != msg.len - sizeof(t))) {
			fprintf(stderr, "%s: malformed answer from sealpostd\n",
			    cli->progname);
			rc = EX_PROTOCOL;
			break;
		}
		if (buf_append(out, (char *)msg.data + sizeof(t), t.len) ==
		    -1) {
			fprintf(stderr, "%s: the answer is too long\n",
			    cli->progname);
			rc = EX_PROTOCOL;
			break;
		}
		if (t.last) {
			if (t.status == 2) {
				fprintf(stderr, "%s: %s: the policy process "
				    "could not answer\n", cli->progname,
				    domain);
				rc = EX_UNAVAILABLE;
			}
			break;
		}
	}
	free(buf);
	close(s);
	return rc;
}

/* Reads a small file whole into b (its max bounds it). 0 or -1 (errno). */
static int
cli_check_read(const char *path, struct buf *b)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = buf_read_fd(b, fd);
	close(fd);
	return r;
}

/* The public key's SubjectPublicKeyInfo (DER) into k's digests. */
static int
cli_check_key_spki(struct cli_check_key *k, gnutls_pubkey_t pub)
{
	gnutls_datum_t der = { NULL, 0 };

	if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0)
		return -1;
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
	    k->spki_sha256);
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA512, der.data, der.size,
	    k->spki_sha512);
	gnutls_free(der.data);
	return 0;
}

/*
 * Reads the key of path into k: the first certificate of a PEM file
 * (its key and itself), else a PEM private key, else a PEM public key.
 * Fills k->error when none can be read.
 */
static void
cli_check_key_load(const char *path, struct cli_check_key *k)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t priv = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t pem, der = { NULL, 0 };
	struct buf b;
	int ok = 0;

	memset(k, 0, sizeof(*k));
	(void)strlcpy(k->file, path, sizeof(k->file));
	buf_init(&b, CLI_CHECK_FILE_MAX);
	if (cli_check_read(path, &b) == -1) {
		(void)snprintf(k->error, sizeof(k->error), "cannot read %s: "
		    "%s", path, strerror(errno));
		buf_free(&b);
		return;
	}
	pem.data = (unsigned char *)b.data;
	pem.size = (unsigned)b.len;
	if (gnutls_pubkey_init(&pub) < 0)
		goto out;
	if (gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0) {
		k->have_cert = 1;
		(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size,
		    k->cert_sha256);
		(void)gnutls_hash_fast(GNUTLS_DIG_SHA512, der.data, der.size,
		    k->cert_sha512);
		k->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(
		    crt);
		ok = cli_check_key_spki(k, pub) == 0;
	} else if (gnutls_x509_privkey_init(&xkey) == 0 &&
	    gnutls_x509_privkey_import2(xkey, &pem, GNUTLS_X509_FMT_PEM, NULL,
	    0) == 0 && gnutls_privkey_init(&priv) == 0 &&
	    gnutls_privkey_import_x509(priv, xkey, 0) == 0 &&
	    gnutls_pubkey_import_privkey(pub, priv, 0, 0) == 0)
		ok = cli_check_key_spki(k, pub) == 0;
	else {
		gnutls_pubkey_deinit(pub);
		if (gnutls_pubkey_init(&pub) == 0 &&
		    gnutls_pubkey_import(pub, &pem, GNUTLS_X509_FMT_PEM) == 0)
			ok = cli_check_key_spki(k, pub) == 0;
	}
out:
	if (!ok)
		(void)snprintf(k->error, sizeof(k->error), "%s holds no PEM "
		    "certificate, private key or public key", path);
	gnutls_free(der.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (priv != NULL)
		gnutls_privkey_deinit(priv);	/* it owns xkey once imported */
	else if (xkey != NULL)
		gnutls_x509_privkey_deinit(xkey);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
}

/* "_25._tcp.host. IN TLSA 3 1 1 <hex>" for k into the lines to publish. */
static void
cli_check_self_line(struct cli_check_self *s, const struct cli_check_key *k,
    const char *what)
{
	static const char hex[] = "0123456789abcdef";
	char rec[CLI_CHECK_NAME + 128];
	size_t i, rl;
	int n;

	if (k->error[0] != '\0' || s->nlines == 2 * CONF_MAX_CERTS)
		return;
	n = snprintf(rec, sizeof(rec), "_25._tcp.%s. IN TLSA 3 1 1 ",
	    s->hostname);
	if (n < 0 || (size_t)n + 65 > sizeof(rec))
		return;		/* a host name too long for a record */
	for (i = 0; i < 32; i++) {
		rec[n + 2 * (int)i] = hex[k->spki_sha256[i] >> 4];
		rec[n + 2 * (int)i + 1] = hex[k->spki_sha256[i] & 15];
	}
	rec[n + 64] = '\0';
	rl = strlen(rec);
	for (i = 0; i < s->nlines; i++)
		if (strncmp(s->tlsa_lines[i], rec, rl) == 0)
			return;		/* the same key twice */
	n = snprintf(s->tlsa_lines[s->nlines], sizeof(s->tlsa_lines[0]),
	    "%s ; %s %s", rec, what, k->file);
	if (n < 0 || (size_t)n >= sizeof(s->tlsa_lines[0]))
		n = snprintf(s->tlsa_lines[s->nlines],
		    sizeof(s->tlsa_lines[0]), "%s", rec);
	if (n > 0 && (size_t)n < sizeof(s->tlsa_lines[0]))
		s->nlines++;
}

/* This host's keys: current (tls_cert_file or self-signed) and next. */
static void
cli_check_self_keys(struct cli *cli, struct cli_check_self *s)
{
	char path[CONF_PATH_MAX + 32];
	size_t i, hl;
	int n;

	memset(s, 0, sizeof(*s));
	(void)strlcpy(s->hostname, cli->conf.hostname, sizeof(s->hostname));
	hl = strlen(s->hostname);
	if (hl > 0 && s->hostname[hl - 1] == '.')
		s->hostname[hl - 1] = '\0';
	for (i = 0; i < cli->conf.ntls_cert_file && i < CONF_MAX_CERTS; i++)
		cli_check_key_load(cli->conf.tls_cert_file[i],
		    &s->cur[s->ncur++]);
	if (cli->conf.ntls_cert_file == 0) {
		/* where sealpostd makes it, as sealpost tlsa reads it */
		n = snprintf(path, sizeof(path), "%s/tls/selfsigned.crt",
		    cli->conf.data_dir);
		if (n > 0 && (size_t)n < sizeof(path))
			cli_check_key_load(path, &s->cur[s->ncur++]);
	}
	for (i = 0; i < cli->conf.ntls_next_key_file && i < CONF_MAX_CERTS;
	    i++)
		cli_check_key_load(cli->conf.tls_next_key_file[i],
		    &s->next[s->nnext++]);
	for (i = 0; i < s->ncur; i++)
		cli_check_self_line(s, &s->cur[i], "current");
	for (i = 0; i < s->nnext; i++)
		cli_check_self_line(s, &s->next[i], "next");
}

/* --self: the MTA-STS policy host's certificate (its first address). */
static void
cli_check_self_sts(struct tls_client *tc, const struct cli_check_facts *f,
    struct cli_check_self *s, int timeout_ms)
{
	struct addrinfo hints, *res = NULL;
	char name[CLI_CHECK_NAME + 16], addr[NI_MAXHOST];
	int n;

	s->sts_host_probed = 0;
	if (strcmp(f->sts_record, "ok") != 0)
		return;
	n = snprintf(name, sizeof(name), "mta-sts.%s", f->domain);
	if (n < 0 || (size_t)n >= sizeof(name))
		return;
	s->sts_host_probed = 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, "443", &hints, &res) != 0 || res == NULL ||
	    getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof(addr),
	    NULL, 0, NI_NUMERICHOST) != 0) {
		s->sts_host_tls = 0;
		(void)snprintf(s->sts_host_error, sizeof(s->sts_host_error),
		    "%s has no address", name);
	} else
		cli_check_probe_https(tc, addr, 443, name, timeout_ms,
		    &s->sts_host_tls, &s->sts_host_pkix, s->sts_host_error,
		    sizeof(s->sts_host_error));
	if (res != NULL)
		freeaddrinfo(res);
}

/*
 * One domain: ask, probe, judge, print. Returns the worst level, or an
 * exit code + 10 when the check could not run (said on stderr).
 */
static int
cli_check_domain(struct cli *cli, struct tls_client *tc,
    const struct cli_check_opts *o, const char *domain,
    struct cli_check_self *self)
{
	struct cli_check_facts *f;
	struct cli_check_report *r;
	struct buf text, out;
	const char *why, *sni;
	size_t i, k, probes = 0;
	int rc, worst;

	buf_init(&text, CLI_CHECK_JSON_MAX);
	if ((rc = cli_check_ask(cli, domain, self != NULL, &text)) != 0) {
		buf_free(&text);
		return rc + 10;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(f);
		buf_free(&text);
		perror(cli->progname);
		return EX_OSERR + 10;
	}
	if (cli_check_facts_json(f, text.data, text.len, &why) == -1) {
		fprintf(stderr, "%s: %s: the policy process's answer: %s\n",
		    cli->progname, domain, why);
		buf_free(&text);
		free(f);
		free(r);
		return EX_PROTOCOL + 10;
	}
	buf_free(&text);
	f->now = (int64_t)time(NULL);
	/* the live side: at most CLI_CHECK_ADDRS addresses in all */
	f->probed = 1;
	for (i = 0; i < f->nhosts; i++) {
		struct cli_check_host *h = &f->host[i];

		sni = strcmp(h->dane, "usable") == 0 ? h->tlsa_base : h->name;
		for (k = 0; k < h->naddr && probes < CLI_CHECK_ADDRS; k++) {
			struct cli_check_probe *p = &h->probe[h->nprobe++];

			(void)strlcpy(p->addr, h->addr[k], sizeof(p->addr));
			cli_check_probe(tc, h, f->domain, cli->conf.hostname,
			    sni, o->timeout_ms, p);
			probes++;
		}
	}
	if (self != NULL) {
		cli_check_self_sts(tc, f, self, o->timeout_ms);
		f->self = self;
	}
	worst = cli_check_judge(f, r);
	buf_init(&out, 4 * 1024 * 1024);
	if ((o->json ? cli_check_fmt_json(&out, f, r) :
	    cli_check_fmt_text(&out, f, r)) == -1 ||
	    fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "%s: writing the report: %s\n", cli->progname,
		    strerror(errno));
		worst = EX_IOERR + 10;
	}
	buf_free(&out);
	free(f);
	free(r);
	return worst;
}

int
cli_check(struct cli *cli, int argc, char **argv)
{
	struct cli_check_opts o;
	struct cli_check_self *self = NULL;
	struct tls_client tc;
	char err[CONF_ERR_MAX], domain[IPC_DOMAIN_MAX + 1];
	const char *why;
	size_t i;
	int rc, worst = CLI_CHECK_OK;

	switch (cli_check_args(argc, argv, &o)) {
	case 1:
		fputs(cli_check_usage_text, stdout);
		return 0;
	case -1:
		fputs(cli_check_usage_text, stderr);
		return EX_USAGE;
	}
	if (o.domain != NULL && cli_policy_domain(o.domain, domain,
	    sizeof(domain), &why) == -1) {
		fprintf(stderr, "%s: check: %s\n%s", cli->progname, why,
		    cli_check_usage_text);
		return EX_USAGE;
	}
	if (o.self && cli->conf.nlocal_domains == 0) {
		fprintf(stderr, "%s: check --self: local_domains is empty: "
		    "this host receives no mail to check\n", cli->progname);
		return EX_CONFIG;
	}
	if (tls_client_init(&tc, &cli->conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", cli->progname, err);
		return EX_CONFIG;
	}
	if (o.self) {
		if ((self = calloc(1, sizeof(*self))) == NULL) {
			perror(cli->progname);
			tls_client_free(&tc);
			return EX_OSERR;
		}
		cli_check_self_keys(cli, self);
	}
	for (i = 0; i < (o.self ? cli->conf.nlocal_domains : 1); i++) {
		rc = cli_check_domain(cli, &tc, &o, o.self ?
		    cli->conf.local_domains[i] : domain, self);
		if (rc >= 10) {
			worst = rc;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	free(self);
	tls_client_free(&tc);
	return worst >= 10 ? worst - 10 : cli_check_exit(worst);
}
