/*
 * cli_tlsa.c: `sealpost tlsa [--port N] [--all]`, the TLSA records to
 * publish for this server's certificates, as zone-file lines: "3 1 1"
 * (DANE-EE, SHA-256 of the SubjectPublicKeyInfo) for each leaf (RFC 7672
 * §3.1.1); with --all also "2 1 1" for the leaf's issuer when the file
 * holds it, the pair that survives a key rollover (RFC 7671 §8). The
 * certificates are tls_cert_file's, or the self-signed one sealpostd
 * makes without it (data_dir/tls/selfsigned.crt, doc/design.md §6).
 * Reads files only; talks to no daemon. Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "cli.h"
#include "lib/buf.h"
#include "policy/dane.h"

#define CLI_TLSA_FILE_MAX	(1024 * 1024)	/* a chain file */
#define CLI_TLSA_LINES_MAX	(2 * CONF_MAX_CERTS)

struct cli_tlsa_out {
	char	line[CLI_TLSA_LINES_MAX][CONF_DOMAIN_MAX + 128];
	size_t	n;
};

static void
cli_tlsa_usage(FILE *f)
{
	fprintf(f, "usage: sealpost tlsa [--port N] [--all]\n"
	    "  prints the TLSA records to publish: 3 1 1 for each "
	    "certificate\n"
	    "  --port N  the port of the owner name _N._tcp.hostname "
	    "(default 25)\n"
	    "  --all     also 2 1 1 for the certificate's issuer, when the "
	    "file holds it\n");
}

/* The command line: 0 run, 1 help, -1 bad (said on stderr). */
static int
cli_tlsa_args(int argc, char **argv, unsigned *port, int *all)
{
	const char *errstr, *val;
	int i;

	*port = 25;
	*all = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
		if (strcmp(argv[i], "--all") == 0) {
			*all = 1;
			continue;
		}
		if (strncmp(argv[i], "--port=", 7) == 0)
			val = argv[i] + 7;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			val = argv[++i];
		else {
			fprintf(stderr, "sealpost tlsa: %s %s\n",
			    strcmp(argv[i], "--port") == 0 ?
			    "missing value for" : "unknown argument", argv[i]);
			return -1;
		}
		*port = (unsigned)strtonum(val, 1, 65535, &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "sealpost tlsa: --port %s: %s; give "
			    "1 to 65535\n", val, errstr);
			return -1;
		}
	}
	return 0;
}

/*
 * Reads the PEM file at path into *crts (*n of them, n > 0; the caller
 * deinits each and frees the array with gnutls_free). selfsigned: path
 * is sealpostd's own certificate, not tls_cert_file, for the messages.
 * 0, or an exit code after a message on stderr.
 */
static int
cli_tlsa_load(struct cli *cli, const char *path, int selfsigned,
    gnutls_x509_crt_t **crts, unsigned int *n)
{
	struct buf b;
	gnutls_datum_t pem;
	char err[CONF_ERR_MAX];
	int fd, e, r, rc;

	buf_init(&b, CLI_TLSA_FILE_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    buf_read_fd(&b, fd) == -1) {
		e = errno;
		if (fd != -1)
			close(fd);
		free(b.data);
		rc = e == EACCES || e == EPERM ? EX_NOPERM :
		    e == ENOMEM ? EX_OSERR :
		    e == ENOENT || e == ENOTDIR || e == EISDIR ||
		    e == ENOBUFS ? EX_CONFIG : EX_IOERR;
		if (selfsigned)
			fprintf(stderr, "%s: no tls_cert_file is configured, "
			    "and the self-signed certificate sealpostd uses "
			    "then cannot be read: %s: %s%s\n", cli->progname,
			    path, e == ENOBUFS ? "file too large" :
			    strerror(e), e == ENOENT ? " (sealpostd makes "
			    "it at its first start)" : rc == EX_NOPERM ?
			    " (run sealpost tlsa as root)" : "");
		else {
			(void)conf_key_error(&cli->conf, "tls_cert_file", err,
			    sizeof(err), "%s: %s; it must be a readable PEM "
			    "certificate file%s", path, e == ENOBUFS ?
			    "file too large" : strerror(e), rc == EX_NOPERM ?
			    " (run sealpost tlsa as root)" : "");
			fprintf(stderr, "%s: %s\n", cli->progname, err);
		}
		return rc;
	}
	close(fd);
	pem.data = (unsigned char *)b.data;
	pem.size = (unsigned int)b.len;
	*crts = NULL;
	*n = 0;
	if (b.len == 0) {
		free(b.data);
		fprintf(stderr, "%s: %s is empty; it must hold the server's "
		    "certificate (PEM)\n", cli->progname, path);
		return EX_CONFIG;
	}
	r = gnutls_x509_crt_list_import2(crts, n, &pem, GNUTLS_X509_FMT_PEM,
	    0);
	free(b.data);
	if (r == GNUTLS_E_MEMORY_ERROR) {
		fprintf(stderr, "%s: out of memory\n", cli->progname);
		return EX_OSERR;
	}
	if (r < 0 || *n == 0) {
		if (selfsigned)
			fprintf(stderr, "%s: %s: not a PEM certificate: %s\n",
			    cli->progname, path, gnutls_strerror(r));
		else {
			(void)conf_key_error(&cli->conf, "tls_cert_file", err,
			    sizeof(err), "%s holds no PEM certificate (%s); "
			    "it must be a readable PEM certificate file", path,
			    gnutls_strerror(r));
			fprintf(stderr, "%s: %s\n", cli->progname, err);
		}
		return EX_CONFIG;
	}
	return 0;
}

/*
 * Adds the line for usage 3 or 2 of crt to out unless it is there already.
 * 0, or an exit code after a message.
 */
static int
cli_tlsa_line(struct cli *cli, struct cli_tlsa_out *out, const char *owner,
    int usage, gnutls_x509_crt_t crt, const char *path)
{
	static const char hex[] = "0123456789abcdef";
	gnutls_datum_t der = { NULL, 0 };
	uint8_t md[32];
	char digest[2 * sizeof(md) + 1];
	size_t i, mdlen = sizeof(md);
	int n;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    dane_tlsa_data(&der, 1, 1, md, &mdlen) == -1 ||
	    mdlen != sizeof(md)) {
		gnutls_free(der.data);
		fprintf(stderr, "%s: %s: a certificate whose public key "
		    "cannot be read\n", cli->progname, path);
		return EX_CONFIG;
	}
	gnutls_free(der.data);
	for (i = 0; i < mdlen; i++) {
		digest[2 * i] = hex[md[i] >> 4];
		digest[2 * i + 1] = hex[md[i] & 15];
	}
	digest[2 * mdlen] = '\0';
	if (out->n == CLI_TLSA_LINES_MAX)
		return 0;	/* more than the certificates allowed */
	n = snprintf(out->line[out->n], sizeof(out->line[0]),
	    "%s IN TLSA %d 1 1 %s", owner, usage, digest);
	if (n < 0 || (size_t)n >= sizeof(out->line[0])) {
		fprintf(stderr, "%s: host name too long\n", cli->progname);
		return EX_CONFIG;
	}
	for (i = 0; i < out->n; i++)
		if (strcmp(out->line[i], out->line[out->n]) == 0)
			return 0;
	out->n++;
	return 0;
}

/*
 * The lines of one file: its first certificate is the leaf (3 1 1);
 * with all, the certificate of the file that issued it (2 1 1).
 */
static int
cli_tlsa_file(struct cli *cli, struct cli_tlsa_out *out, const char *owner,
    const char *path, int selfsigned, int all)
{
	gnutls_x509_crt_t *crts;
	unsigned int n, i;
	int rc;

	if ((rc = cli_tlsa_load(cli, path, selfsigned, &crts, &n)) != 0)
		return rc;
	rc = cli_tlsa_line(cli, out, owner, 3, crts[0], path);
	if (rc == 0 && all) {
		for (i = 1; i < n; i++)
			if (gnutls_x509_crt_check_issuer(crts[0], crts[i]))
				break;
		if (i < n)
			rc = cli_tlsa_line(cli, out, owner, 2, crts[i], path);
		else if (gnutls_x509_crt_check_issuer(crts[0], crts[0]))
			fprintf(stderr, "%s: %s is self-signed: no issuer, no "
			    "2 1 1 record\n", cli->progname, path);
		else
			fprintf(stderr, "%s: %s holds no issuer of its first "
			    "certificate: no 2 1 1 record from it\n",
			    cli->progname, path);
	}
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return rc;
}

int
cli_tlsa(struct cli *cli, int argc, char **argv)
{
	struct cli_tlsa_out *out;
	char owner[CONF_DOMAIN_MAX + 32], path[CONF_PATH_MAX + 32];
	size_t i, hlen;
	unsigned port;
	int all, n, rc = 0;

	switch (cli_tlsa_args(argc, argv, &port, &all)) {
	case 1:
		cli_tlsa_usage(stdout);
		return 0;
	case -1:
		cli_tlsa_usage(stderr);
		return EX_USAGE;
	}
	/* the owner name, RFC 7672 §2.2.3: _port._tcp.host. */
	hlen = strlen(cli->conf.hostname);
	if (hlen > 0 && cli->conf.hostname[hlen - 1] == '.')
		hlen--;
	n = snprintf(owner, sizeof(owner), "_%u._tcp.%.*s.", port, (int)hlen,
	    cli->conf.hostname);
	if (hlen == 0 || n < 0 || (size_t)n >= sizeof(owner)) {
		fprintf(stderr, "%s: hostname '%s' cannot name a TLSA record\n",
		    cli->progname, cli->conf.hostname);
		return EX_CONFIG;
	}
	if ((out = calloc(1, sizeof(*out))) == NULL) {
		perror(cli->progname);
		return EX_OSERR;
	}
	for (i = 0; rc == 0 && i < cli->conf.ntls_cert_file; i++)
		rc = cli_tlsa_file(cli, out, owner, cli->conf.tls_cert_file[i],
		    0, all);
	if (cli->conf.ntls_cert_file == 0) {
		/* where sealpostd makes it: mta/master/master.c */
		n = snprintf(path, sizeof(path), "%s/tls/selfsigned.crt",
		    cli->conf.data_dir);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "%s: data_dir too long\n",
			    cli->progname);
			rc = EX_CONFIG;
		} else
			rc = cli_tlsa_file(cli, out, owner, path, 1, all);
	}
	for (i = 0; rc == 0 && i < out->n; i++)
		printf("%s\n", out->line[i]);
	free(out);
	if (rc == 0 && (fflush(stdout) == EOF || ferror(stdout))) {
		fprintf(stderr, "%s: writing the records: %s\n",
		    cli->progname, strerror(errno));
		return EX_IOERR;
	}
	return rc;
}
