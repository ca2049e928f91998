/*
 * tls_selfsigned.c: generates an ECDSA P-256 key and a self-signed X.509
 * certificate with GnuTLS (see tls_selfsigned.h). A self-signed
 * certificate still encrypts the hop; sending MTAs that verify will not
 * trust it, which is why the log says so at every start.
 * Linked by sealpostd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "lib/log.h"
#include "tls_selfsigned.h"

#define SELFSIGNED_DAYS	3650

/* Writes data to path atomically (temp, fsync, rename) with mode. */
static int
tls_selfsigned_write(const char *path, const gnutls_datum_t *d, mode_t mode,
    uid_t uid, gid_t gid)
{
	char tmp[1024];
	ssize_t w;
	size_t off = 0;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1) {
		log_warn("create %s", tmp);
		return -1;
	}
	while (off < d->size) {
		w = write(fd, d->data + off, d->size - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != d->size || fchown(fd, uid, gid) == -1 ||
	    fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		log_warn("write %s", tmp);
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", tmp);
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
tls_selfsigned_ensure(const char *certpath, const char *keypath,
    const char *hostname, uid_t uid, gid_t gid)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	unsigned char serial[16];
	time_t now = time(NULL);
	int rv = -1, r;

	if (access(certpath, F_OK) == 0 && access(keypath, F_OK) == 0)
		return 0;
	if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
	    (r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (r = gnutls_x509_crt_init(&crt)) < 0 ||
	    (r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		goto out;
	serial[0] &= 0x7f;	/* a positive serial number */
	if ((r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(crt,
	    now + (time_t)SELFSIGNED_DAYS * 86400)) < 0 ||
	    (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, hostname, (unsigned)strlen(hostname))) < 0 ||
	    (r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    hostname, (unsigned)strlen(hostname), GNUTLS_FSAN_SET)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) <
	    0 ||
	    (r = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem)) <
	    0 ||
	    (r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)) < 0)
		goto out;
	/* the key first: a certificate without its key is useless */
	if (tls_selfsigned_write(keypath, &kpem, 0600, uid, gid) == -1 ||
	    tls_selfsigned_write(certpath, &cpem, 0644, uid, gid) == -1)
		goto out;
	rv = 1;
out:
	if (rv == -1 && r < 0)
		log_warnx("self-signed certificate: %s", gnutls_strerror(r));
	if (kpem.data != NULL) {
		explicit_bzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rv;
}
