/*
 * master_check.c: what sealpostd checks before it starts, at every reload
 * and for sealpostd -n (doc/design.md §5): what the configuration needs
 * from the system beyond its syntax. The users and the group; the
 * directories sealpostd creates at start; the log file's directory; the
 * TLS priority string, every certificate and key file, and the CA file.
 * Each file is read here step by step (readable, parses, key matches its
 * certificate) so that the message names the step in plain words, at the
 * line of the key at fault, in the form of every configuration message:
 * "file:line: key: what is wrong; what is allowed" (conf_key_error).
 * Nothing is bound, created or changed: -n runs while the daemon runs.
 * Linked by the sealpostd binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lib/buf.h"
#include "lib/dkim.h"
#include "lib/log.h"
#include "lib/passwd_file.h"
#include "lib/tls.h"
#include "master.h"
#include "policy/route.h"

#define MASTER_CHECK_FILE_MAX	(1024 * 1024)	/* a certificate chain or key */

/*
 * GnuTLS's error codes in the words of an admin who holds a PEM file;
 * NULL for the rare rest, which gnutls_strerror() then describes.
 */
static const char *
master_check_words(int r)
{
	switch (r) {
	case GNUTLS_E_CERTIFICATE_KEY_MISMATCH:
		return "the key does not belong to the certificate";
	case GNUTLS_E_DECRYPTION_FAILED:
		return "the key is protected by a passphrase";
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
		return "no certificate in the file";
	case GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE:
		return "no PEM block of the expected kind in the file";
	case GNUTLS_E_BASE64_DECODING_ERROR:
	case GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR:
		return "a PEM block is damaged (bad base64)";
	case GNUTLS_E_ASN1_DER_ERROR:
	case GNUTLS_E_ASN1_DER_OVERFLOW:
	case GNUTLS_E_ASN1_ELEMENT_NOT_FOUND:
	case GNUTLS_E_ASN1_GENERIC_ERROR:
	case GNUTLS_E_ASN1_IDENTIFIER_NOT_FOUND:
	case GNUTLS_E_ASN1_SYNTAX_ERROR:
	case GNUTLS_E_ASN1_TAG_ERROR:
	case GNUTLS_E_ASN1_TAG_IMPLICIT:
	case GNUTLS_E_ASN1_TYPE_ANY_ERROR:
	case GNUTLS_E_ASN1_VALUE_NOT_FOUND:
	case GNUTLS_E_ASN1_VALUE_NOT_VALID:
		return "a PEM block holds no valid certificate or key (bad DER "
		    "inside)";
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
	case GNUTLS_E_UNKNOWN_ALGORITHM:
	case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
	case GNUTLS_E_UNIMPLEMENTED_FEATURE:
		return "the key type is not supported";
	case GNUTLS_E_FILE_ERROR:
		return "the file cannot be read";
	case GNUTLS_E_MEMORY_ERROR:
		return "out of memory";
	default:
		return NULL;
	}
}

static const char *
master_check_gnutls(int r)
{
	const char *w = master_check_words(r);

	return w != NULL ? w : gnutls_strerror(r);
}

/* Frees what master_check_read read; keys are wiped first. */
static void
master_check_free(gnutls_datum_t *d)
{
	if (d->data != NULL) {
		explicit_bzero(d->data, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/*
 * Opens path for reading as a regular file. Returns the descriptor, or -1
 * with *why: the errno text of open(2) ("No such file or directory",
 * "Permission denied"), or what else is wrong with it.
 */
static int
master_check_open(const char *path, struct stat *st, const char **why)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, st) == -1) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = S_ISDIR(st->st_mode) ? "a directory, not a file" :
		    "not a regular file";
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads a certificate or key file into d (malloc'd, NUL-terminated; free
 * with master_check_free). Returns 0, or -1 with *why as master_check_open
 * says it, or "the file is empty" and the like.
 */
static int
master_check_read(const char *path, gnutls_datum_t *d, const char **why)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	d->data = NULL;
	d->size = 0;
	if ((fd = master_check_open(path, &st, why)) == -1)
		return -1;
	if (st.st_size == 0 || st.st_size > MASTER_CHECK_FILE_MAX) {
		*why = st.st_size == 0 ? "the file is empty" :
		    "larger than 1 MiB: not a certificate or key file";
		close(fd);
		return -1;
	}
	if ((d->data = malloc((size_t)st.st_size + 1)) == NULL) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, d->data + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			*why = r == 0 ? "the file shrank while it was read" :
			    strerror(errno);
			close(fd);
			master_check_free(d);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	d->data[got] = '\0';
	d->size = (unsigned)got;
	return 0;
}

static int
master_check_has(const gnutls_datum_t *d, const char *s)
{
	return strstr((const char *)d->data, s) != NULL;
}

/* ---- users, group, directories, log file ------------------------------- */

/*
 * user, queue_user and policy_user exist, are not root, and are three
 * users (by uid, not only by name: conf.c compares the names).
 */
static int
master_check_users(const struct conf *c, char *err, size_t errlen)
{
	static const char *const keys[3] = { "user", "queue_user",
	    "policy_user" };
	static const char *const defaults[3] = { SP_USER, SP_QUEUE_USER,
	    SP_POLICY_USER };
	const char *names[3] = { c->user, c->queue_user, c->policy_user };
	struct passwd *pw;
	uid_t uids[3];
	size_t i, j, a, b;

	for (i = 0; i < 3; i++) {
		errno = 0;
		if ((pw = getpwnam(names[i])) == NULL) {
			if (errno != 0 && errno != ENOENT && errno != ESRCH)
				return conf_key_error(c, keys[i], err, errlen,
				    "cannot look up user %s: %s; check the "
				    "user database (getent passwd %s)",
				    names[i], strerror(errno), names[i]);
			return conf_key_error(c, keys[i], err, errlen,
			    "no such user %s; create it with: useradd "
			    "--system --no-create-home --home-dir /nonexistent "
			    "--shell /usr/sbin/nologin %s", names[i], names[i]);
		}
		if (pw->pw_uid == 0)
			return conf_key_error(c, keys[i], err, errlen,
			    "%s is the superuser (uid 0); name an unprivileged "
			    "user of sealpost's own, such as %s", names[i],
			    defaults[i]);
		uids[i] = pw->pw_uid;
	}
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++) {
			if (uids[i] != uids[j])
				continue;
			/* name the key set later: it made the clash */
			conf_key_order(c, keys, i, j, &a, &b);
			return conf_key_error(c, keys[b], err, errlen,
			    "%s has the same uid (%lu) as %s %s; user, "
			    "queue_user and policy_user must be three "
			    "different users", names[b],
			    (unsigned long)uids[b], keys[a], names[a]);
		}
	errno = 0;
	if (getgrnam(c->control_group) == NULL)
		return conf_key_error(c, "control_group", err, errlen,
		    "no such group %s; create it with: groupadd --system %s",
		    c->control_group, c->control_group);
	return 0;
}

/* The directory part of an absolute path ("/" for "/x"), into buf. */
static void
master_check_parent(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL || size < 2) {
		if (size > 0)
			buf[0] = '\0';
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		n = size - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
}

/*
 * A directory that sealpostd creates at start (doc/design.md §2): it must
 * be a directory when it exists (sealpostd refuses symbolic links there),
 * its subdirectories too, and otherwise mkdir(2) must find its parent. In
 * development mode the parent is sealpostd -u's directory, created at
 * start too: then its own parent must exist.
 */
static int
master_check_dir(const struct conf *c, const char *key, const char *path,
    const char *const *subs, char *err, size_t errlen)
{
	char parent[CONF_PATH_MAX], top[CONF_PATH_MAX], sub[CONF_PATH_MAX];
	struct stat st;
	int n;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return conf_key_error(c, key, err, errlen, "%s is a "
			    "symbolic link; give the directory itself "
			    "(sealpostd refuses a link here)", path);
		if (!S_ISDIR(st.st_mode))
			return conf_key_error(c, key, err, errlen, "%s exists "
			    "and is not a directory; give a directory, or a "
			    "path for sealpostd to create", path);
		for (; *subs != NULL; subs++) {
			n = snprintf(sub, sizeof(sub), "%s/%s", path, *subs);
			if (n < 0 || (size_t)n >= sizeof(sub))
				return conf_key_error(c, key, err, errlen,
				    "%s/%s: path too long; at most %d bytes",
				    path, *subs, CONF_PATH_MAX - 1);
			if (lstat(sub, &st) == 0 && (S_ISLNK(st.st_mode) ||
			    !S_ISDIR(st.st_mode)))
				return conf_key_error(c, key, err, errlen,
				    "%s exists and is not a directory; remove "
				    "it: sealpostd creates that directory",
				    sub);
		}
		return 0;
	}
	if (errno != ENOENT)
		return conf_key_error(c, key, err, errlen, "cannot check %s: "
		    "%s; sealpostd must be able to create or use it", path,
		    strerror(errno));
	master_check_parent(path, parent, sizeof(parent));
	if (stat(parent, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return conf_key_error(c, key, err, errlen, "cannot "
			    "create %s: %s is not a directory; choose another "
			    "place", path, parent);
		return 0;
	}
	if (errno == ENOENT && c->devmode) {
		master_check_parent(parent, top, sizeof(top));
		if (stat(top, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		return conf_key_error(c, key, err, errlen, "cannot create "
		    "%s, the directory of sealpostd -u: %s does not exist; "
		    "create it, or give -u a directory whose parent exists",
		    parent, top);
	}
	if (errno == ENOENT)
		return conf_key_error(c, key, err, errlen, "cannot create %s: "
		    "its parent directory %s does not exist; create %s, or "
		    "choose another place", path, parent, parent);
	return conf_key_error(c, key, err, errlen, "cannot create %s: %s: %s; "
	    "choose another place", path, parent, strerror(errno));
}

static int
master_check_dirs(const struct conf *c, char *err, size_t errlen)
{
	/*
	 * What master.c creates in each (sealpostd(8), Directories); the
	 * inside of the spool is the queue's to make and check (doc/design.md
	 * §7), so it is not looked at here.
	 */
	static const char *const run_subs[] = { "empty", NULL };
	static const char *const spool_subs[] = { NULL };
	static const char *const data_subs[] = { "policy", "tls", "maildrop",
	    "maildrop-bad", NULL };

	if (master_check_dir(c, "run_dir", c->run_dir, run_subs, err,
	    errlen) == -1 ||
	    master_check_dir(c, "spool_dir", c->spool_dir, spool_subs, err,
	    errlen) == -1 ||
	    master_check_dir(c, "data_dir", c->data_dir, data_subs, err,
	    errlen) == -1)
		return -1;
	return 0;
}

/* The daemon appends to log_file once detached: its directory must exist. */
static int
master_check_log(const struct conf *c, char *err, size_t errlen)
{
	char dir[CONF_PATH_MAX];
	struct stat st;

	if (c->log_file[0] == '\0')
		return 0;
	if (stat(c->log_file, &st) == 0 && S_ISDIR(st.st_mode))
		return conf_key_error(c, "log_file", err, errlen, "%s is a "
		    "directory; give the path of a file", c->log_file);
	master_check_parent(c->log_file, dir, sizeof(dir));
	if (stat(dir, &st) == -1)
		return conf_key_error(c, "log_file", err, errlen, "its "
		    "directory %s: %s; create the directory, or choose another "
		    "file", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return conf_key_error(c, "log_file", err, errlen, "%s is not a "
		    "directory; choose another file", dir);
	return 0;
}

/* ---- TLS ---------------------------------------------------------------- */

/*
 * The priority string as smtpin will use it (with TLS_PRIORITY_FLOOR),
 * whether or not certificates are configured.
 */
static int
master_check_priority(const struct conf *c, char *err, size_t errlen)
{
	char prio[sizeof(c->tls_priority) + sizeof(TLS_PRIORITY_FLOOR)];
	char word[64];
	const char *errpos = NULL;
	gnutls_priority_t p;
	size_t n, len = strlen(c->tls_priority);
	int r;

	if (len == 0)
		return conf_key_error(c, "tls_priority", err, errlen, "empty; "
		    "write a GnuTLS priority string, such as the default in "
		    "sealpost.conf(5)");
	r = snprintf(prio, sizeof(prio), "%s%s", c->tls_priority,
	    TLS_PRIORITY_FLOOR);
	if (r < 0 || (size_t)r >= sizeof(prio))
		return conf_key_error(c, "tls_priority", err, errlen, "too "
		    "long; at most %zu bytes", sizeof(c->tls_priority) - 1);
	if ((r = gnutls_priority_init(&p, prio, &errpos)) == 0) {
		gnutls_priority_deinit(p);
		return 0;
	}
	if (r == GNUTLS_E_NO_PRIORITIES_WERE_SET)
		return conf_key_error(c, "tls_priority", err, errlen, "leaves "
		    "no TLS version or no cipher enabled (sealpost speaks TLS "
		    "1.2 and 1.3 only); enable some, as the default in "
		    "sealpost.conf(5) does");
	/* the word GnuTLS stopped at, when it is in the admin's part */
	word[0] = '\0';
	if (errpos != NULL && errpos >= prio && errpos < prio + len) {
		n = strcspn(errpos, ":");
		if (errpos + n > prio + len)
			n = (size_t)(prio + len - errpos);
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, errpos, n);
		word[n] = '\0';
	}
	if (word[0] != '\0')
		return conf_key_error(c, "tls_priority", err, errlen, "GnuTLS "
		    "does not know '%s'; write a GnuTLS priority string "
		    "(gnutls_priority_init(3)), such as the default in "
		    "sealpost.conf(5)", word);
	return conf_key_error(c, "tls_priority", err, errlen, "GnuTLS does "
	    "not accept it: %s; write a GnuTLS priority string, such as the "
	    "default in sealpost.conf(5)", master_check_gnutls(r));
}

/* Why a file that should hold a certificate chain has none, in words. */
static const char *
master_check_no_cert(const gnutls_datum_t *d)
{
	if (master_check_has(d, "PRIVATE KEY-----"))
		return "it holds a private key, not a certificate: are "
		    "tls_cert_file and tls_key_file swapped?";
	if (d->data[0] == 0x30)
		return "it is in DER (binary) form; convert it to PEM: "
		    "openssl x509 -inform der -in FILE -out FILE.pem";
	return "no -----BEGIN CERTIFICATE----- block in it; give the "
	    "certificate chain in PEM form";
}

/* The certificates of tls_cert_file entry i, parsed (caller frees). */
static int
master_check_cert(const struct conf *c, size_t i, gnutls_x509_crt_t **crts,
    unsigned *ncrts, char *err, size_t errlen)
{
	const char *path = c->tls_cert_file[i], *why;
	gnutls_datum_t d;
	int r;

	if (master_check_read(path, &d, &why) == -1)
		return conf_key_error(c, "tls_cert_file", err, errlen,
		    "%s: %s; every tls_cert_file must be a readable PEM file",
		    path, why);
	if (!master_check_has(&d, "-----BEGIN CERTIFICATE-----") &&
	    !master_check_has(&d, "-----BEGIN X509 CERTIFICATE-----")) {
		why = master_check_no_cert(&d);
		master_check_free(&d);
		return conf_key_error(c, "tls_cert_file", err, errlen, "%s: %s",
		    path, why);
	}
	r = gnutls_x509_crt_list_import2(crts, ncrts, &d, GNUTLS_X509_FMT_PEM,
	    0);
	master_check_free(&d);
	if (r < 0)
		return conf_key_error(c, "tls_cert_file", err, errlen,
		    "%s: the certificate cannot be parsed: %s; give the "
		    "certificate chain in PEM form", path,
		    master_check_gnutls(r));
	return 0;
}

/* The private key of tls_key_file entry i, parsed (caller deinits). */
static int
master_check_key(const struct conf *c, size_t i, gnutls_x509_privkey_t *key,
    char *err, size_t errlen)
{
	const char *path = c->tls_key_file[i], *why;
	gnutls_datum_t d;
	int r;

	if (master_check_read(path, &d, &why) == -1)
		return conf_key_error(c, "tls_key_file", err, errlen, "%s: %s; "
		    "every tls_key_file must be a readable PEM file", path,
		    why);
	if (master_check_has(&d, "ENCRYPTED")) {
		master_check_free(&d);
		return conf_key_error(c, "tls_key_file", err, errlen, "%s: the "
		    "key is protected by a passphrase; sealpost needs it "
		    "without one (openssl pkey -in %s -out new.key)", path,
		    path);
	}
	if (!master_check_has(&d, "PRIVATE KEY-----")) {
		why = master_check_has(&d, "-----BEGIN CERTIFICATE-----") ?
		    "it holds a certificate, not a private key: are "
		    "tls_cert_file and tls_key_file swapped?" :
		    "no -----BEGIN PRIVATE KEY----- block in it; give the "
		    "private key in PEM form";
		master_check_free(&d);
		return conf_key_error(c, "tls_key_file", err, errlen, "%s: %s",
		    path, why);
	}
	if ((r = gnutls_x509_privkey_init(key)) < 0) {
		master_check_free(&d);
		return conf_key_error(c, "tls_key_file", err, errlen, "%s: %s",
		    path, master_check_gnutls(r));
	}
	r = gnutls_x509_privkey_import2(*key, &d, GNUTLS_X509_FMT_PEM, NULL,
	    0);
	master_check_free(&d);
	if (r < 0) {
		gnutls_x509_privkey_deinit(*key);
		*key = NULL;
		return conf_key_error(c, "tls_key_file", err, errlen, "%s: the "
		    "key cannot be parsed: %s; give the private key in PEM "
		    "form, without a passphrase", path, master_check_gnutls(r));
	}
	return 0;
}

/* 1 when key is the private key of crt, 0 when not, -1 when unknown. */
static int
master_check_match(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);

	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a,
	    &na) < 0 || gnutls_x509_privkey_get_key_id(key,
	    GNUTLS_KEYID_USE_SHA256, b, &nb) < 0)
		return -1;
	return na == nb && memcmp(a, b, na) == 0;
}

/*
 * Certificate i and key i: readable, parsed, the key is the certificate's
 * (when it is another entry's, the message says which), and GnuTLS loads
 * the pair as smtpin will.
 */
static int
master_check_pair(const struct conf *c, size_t i, char *err, size_t errlen)
{
	gnutls_x509_crt_t *crts = NULL, *other;
	gnutls_x509_privkey_t key = NULL;
	gnutls_certificate_credentials_t cred;
	unsigned ncrts = 0, nother, j;
	size_t k;
	int r, rv = -1, m;

	if (master_check_cert(c, i, &crts, &ncrts, err, errlen) == -1)
		return -1;
	if (master_check_key(c, i, &key, err, errlen) == -1)
		goto done;
	m = master_check_match(crts[0], key);
	if (m == 0) {
		/* another entry's certificate? then the order is wrong */
		for (k = 0; k < c->ntls_cert_file; k++) {
			if (k == i || master_check_cert(c, k, &other, &nother,
			    err, errlen) == -1)
				continue;
			m = master_check_match(other[0], key);
			for (j = 0; j < nother; j++)
				gnutls_x509_crt_deinit(other[j]);
			gnutls_free(other);
			if (m == 1) {
				(void)conf_key_error(c, "tls_key_file", err,
				    errlen, "%s is the key of %s (certificate "
				    "%zu), not of %s (certificate %zu); list "
				    "the keys in the order of the certificates",
				    c->tls_key_file[i], c->tls_cert_file[k],
				    k + 1, c->tls_cert_file[i], i + 1);
				goto done;
			}
		}
		(void)conf_key_error(c, "tls_key_file", err, errlen,
		    "%s does not belong to the certificate %s; give the key "
		    "of each certificate, in the same order",
		    c->tls_key_file[i], c->tls_cert_file[i]);
		goto done;
	}
	/* as smtpin loads it: whatever GnuTLS refuses beyond the above */
	if ((r = gnutls_certificate_allocate_credentials(&cred)) < 0) {
		(void)conf_key_error(c, "tls_cert_file", err, errlen, "%s",
		    master_check_gnutls(r));
		goto done;
	}
	r = gnutls_certificate_set_x509_key_file(cred, c->tls_cert_file[i],
	    c->tls_key_file[i], GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (r < 0) {
		(void)conf_key_error(c, "tls_cert_file", err, errlen,
		    "GnuTLS cannot load %s with the key %s: %s; give a PEM "
		    "certificate chain and its key", c->tls_cert_file[i],
		    c->tls_key_file[i], master_check_gnutls(r));
		goto done;
	}
	rv = 0;
done:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	for (j = 0; j < ncrts; j++)
		gnutls_x509_crt_deinit(crts[j]);
	gnutls_free(crts);
	return rv;
}

/* The trust store for outbound PKIX checks, when one is named. */
static int
master_check_ca(const struct conf *c, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	struct stat st;
	const char *why;
	int fd, r;

	if (c->tls_ca_file[0] == '\0')
		return 0;
	/*
	 * Left at its default on a host without ca-certificates: only the
	 * verify requirement uses it (master_check_delivery says when that
	 * applies), so that host may still receive mail and deliver with
	 * encrypt; a file the admin named must be there.
	 */
	if (conf_key_line(c, "tls_ca_file") == 0 &&
	    access(c->tls_ca_file, F_OK) == -1 && errno == ENOENT)
		return 0;
	if ((fd = master_check_open(c->tls_ca_file, &st, &why)) == -1)
		return conf_key_error(c, "tls_ca_file", err, errlen, "%s: %s; "
		    "give a readable PEM file of trusted CA certificates "
		    "(Debian's ca-certificates package installs the default)",
		    c->tls_ca_file, why);
	close(fd);
	if ((r = gnutls_certificate_allocate_credentials(&cred)) < 0)
		return conf_key_error(c, "tls_ca_file", err, errlen, "%s",
		    master_check_gnutls(r));
	r = gnutls_certificate_set_x509_trust_file(cred, c->tls_ca_file,
	    GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (r <= 0)
		return conf_key_error(c, "tls_ca_file", err, errlen, "%s: %s; "
		    "give a PEM file of trusted CA certificates",
		    c->tls_ca_file, r == 0 ? "no certificate in it" :
		    master_check_gnutls(r));
	return 0;
}

/*
 * dkim_key_file, when set: a PEM key sealpost tlsrpt can sign with (RSA
 * of at least 2048 bits or Ed25519, loaded as the command will load it,
 * doc/design.md §8), not readable by everyone.
 */
static int
master_check_dkim(const struct conf *c, char *err, size_t errlen)
{
	struct dkim_key k;
	gnutls_datum_t d;
	struct stat st;
	char dom[DKIM_DOMAIN_MAX], why2[256];
	const char *why;
	int r;

	if (c->dkim_key_file[0] == '\0')
		return 0;
	if (master_check_read(c->dkim_key_file, &d, &why) == -1)
		return conf_key_error(c, "dkim_key_file", err, errlen, "%s: %s",
		    c->dkim_key_file, why);
	if (stat(c->dkim_key_file, &st) == 0 && (st.st_mode & S_IROTH)) {
		explicit_bzero(d.data, d.size);
		master_check_free(&d);
		return conf_key_error(c, "dkim_key_file", err, errlen, "%s: "
		    "readable by everyone; chmod 600 it (it is read as root)",
		    c->dkim_key_file);
	}
	if (c->dkim_domain[0] != '\0')
		r = strlcpy(dom, c->dkim_domain, sizeof(dom)) < sizeof(dom) ?
		    0 : -1;
	else
		r = dkim_domain_of(c->hostname, dom, sizeof(dom));
	if (r == 0)
		r = dkim_key_load(&k, (const char *)d.data, d.size,
		    c->dkim_selector, dom, why2, sizeof(why2));
	else
		(void)strlcpy(why2, "no signing domain: set dkim_domain",
		    sizeof(why2));
	explicit_bzero(d.data, d.size);
	master_check_free(&d);
	if (r == -1)
		return conf_key_error(c, "dkim_key_file", err, errlen, "%s: %s",
		    c->dkim_key_file, why2);
	dkim_key_free(&k);
	return 0;
}

/* Every TLS key of c but the self-signed pair, which is made at start. */
static int
master_check_tls_conf(const struct conf *c, char *err, size_t errlen)
{
	size_t i;

	if (master_check_priority(c, err, errlen) == -1)
		return -1;
	for (i = 0; i < c->ntls_cert_file && i < c->ntls_key_file; i++)
		if (master_check_pair(c, i, err, errlen) == -1)
			return -1;
	if (master_check_dkim(c, err, errlen) == -1)
		return -1;
	return master_check_ca(c, err, errlen);
}

int
master_check_tls(const struct conf *c, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	struct tls_server t;
	int r;

	if (master_check_tls_conf(c, err, errlen) == -1)
		return -1;
	/*
	 * Then as smtpin will: this loads the self-signed pair when no
	 * tls_cert_file is set (made at start, before this check).
	 */
	r = tls_server_init(&t, c, NULL, why, sizeof(why));
	tls_server_free(&t);
	if (r == -1 && c->ntls_cert_file == 0)
		return conf_key_error(c, "tls_cert_file", err, errlen, "not "
		    "set, and the self-signed certificate in %s/tls cannot be "
		    "used (%s); remove selfsigned.crt and selfsigned.key there "
		    "for sealpostd to make a new pair, or set tls_cert_file",
		    c->data_dir, why);
	if (r == -1)
		return conf_key_error(c, "tls_cert_file", err, errlen, "%s; "
		    "give PEM certificate chains and their keys", why);
	return 0;
}

/*
 * The administrator's table (tls_policy_file), parsed as the policy
 * process will parse it at its start (doc/design.md §8). Sets *verify
 * when an entry asks for the verify requirement.
 */
static int
master_check_policy_file(const struct conf *c, int *verify, char *err,
    size_t errlen)
{
	struct route_table t;
	struct stat st;
	struct buf text;
	const char *why;
	char msg[CONF_ERR_MAX];
	size_t i;
	int fd, rv = -1;

	*verify = 0;
	if (c->tls_policy_file[0] == '\0')
		return 0;
	if ((fd = master_check_open(c->tls_policy_file, &st, &why)) == -1)
		return conf_key_error(c, "tls_policy_file", err, errlen, "%s: "
		    "%s; give a readable file (sealpost-policy(7)) or remove "
		    "the key", c->tls_policy_file, why);
	if (st.st_size > ROUTE_FILE_MAX) {
		close(fd);
		return conf_key_error(c, "tls_policy_file", err, errlen, "%s: "
		    "larger than %d octets", c->tls_policy_file,
		    ROUTE_FILE_MAX);
	}
	buf_init(&text, ROUTE_FILE_MAX);
	if (buf_read_fd(&text, fd) == -1) {
		close(fd);
		buf_free(&text);
		return conf_key_error(c, "tls_policy_file", err, errlen, "%s: "
		    "%s", c->tls_policy_file, strerror(errno));
	}
	close(fd);
	memset(&t, 0, sizeof(t));
	if (route_table_parse(text.data != NULL ? text.data : "", text.len,
	    c->tls_policy_file, &t, msg, sizeof(msg)) == -1)
		(void)snprintf(err, errlen, "%s", msg);
	else
		rv = 0;
	for (i = 0; i < t.n; i++)
		if (t.entries[i].requirement == IPC_REQ_VERIFY)
			*verify = 1;
	route_table_free(&t);
	buf_free(&text);
	return rv;
}

/*
 * The credentials smtpout logs in to a smarthost with: a secret, so
 * readable by root alone (smtpout reads it before it drops privileges).
 */
static int
master_check_auth_file(const struct conf *c, char *err, size_t errlen)
{
	struct stat st;
	const char *why;
	int fd;

	if (c->smtpout_auth_file[0] == '\0')
		return 0;
	if ((fd = master_check_open(c->smtpout_auth_file, &st, &why)) == -1)
		return conf_key_error(c, "smtpout_auth_file", err, errlen,
		    "%s: %s; give a readable file or remove the key",
		    c->smtpout_auth_file, why);
	close(fd);
	if (!c->devmode && (st.st_uid != 0 || (st.st_mode & 077) != 0))
		return conf_key_error(c, "smtpout_auth_file", err, errlen,
		    "%s holds passwords and is %s; make it root's, mode 0600 "
		    "(chown root %s; chmod 600 %s)", c->smtpout_auth_file,
		    st.st_uid != 0 ? "not owned by root" :
		    "readable by others", c->smtpout_auth_file,
		    c->smtpout_auth_file);
	return 0;
}

/*
 * auth_backend = file:PATH: the password file smtpin will read before
 * its chroot must check whole (passwd_file_check), and the hashes in it
 * are not for every user of the host to read.
 */
static int
master_check_smtpin_auth(const struct conf *c, char *err, size_t errlen)
{
	gnutls_datum_t d;
	struct stat st;
	struct reason why;
	const char *ewhy;
	size_t line = 0;
	int fd;

	/* dovecot: Dovecot may start after us; only a warning */
	master_auth_check(c);
	if (c->auth_backend != CONF_AUTH_FILE)
		return 0;
	if ((fd = master_check_open(c->auth_file, &st, &ewhy)) == -1)
		return conf_key_error(c, "auth_backend", err, errlen, "%s: %s",
		    c->auth_file, ewhy);
	close(fd);
	if (!c->devmode && (st.st_mode & 007) != 0)
		return conf_key_error(c, "auth_backend", err, errlen, "%s "
		    "holds password hashes and is readable by others; chmod "
		    "o-rwx %s", c->auth_file, c->auth_file);
	if (master_check_read(c->auth_file, &d, &ewhy) == -1)
		return conf_key_error(c, "auth_backend", err, errlen, "%s: %s",
		    c->auth_file, ewhy);
	memset(&why, 0, sizeof(why));
	if (passwd_file_check((const char *)d.data, d.size, &line, &why) ==
	    -1) {
		master_check_free(&d);
		return conf_key_error(c, "auth_backend", err, errlen,
		    "%s:%zu: %s", c->auth_file, line, why.text);
	}
	master_check_free(&d);
	return 0;
}

/*
 * What delivery needs: a readable table, safe credentials, and a trust
 * store wherever the verify requirement can apply (the floor, the
 * relayhost, a table entry): without one every such delivery would be
 * deferred.
 */
int
master_check_delivery(const struct conf *c, char *err, size_t errlen)
{
	int table_verify;
	const char *need = NULL;

	if (master_check_policy_file(c, &table_verify, err, errlen) == -1 ||
	    master_check_auth_file(c, err, errlen) == -1 ||
	    master_check_smtpin_auth(c, err, errlen) == -1 ||
	    master_check_local(c, 0, err, errlen) == -1)
		return -1;
	if (c->tls_floor == CONF_TLS_FLOOR_VERIFY)
		need = "tls_floor = verify";
	else if (c->relayhost[0] != '\0' &&
	    c->relayhost_tls == CONF_TLS_FLOOR_VERIFY)
		need = "relayhost_tls = verify (the default for a relayhost)";
	else if (table_verify)
		need = "an entry of tls_policy_file with verify";
	if (need != NULL && (c->tls_ca_file[0] == '\0' ||
	    access(c->tls_ca_file, R_OK) == -1))
		return conf_key_error(c, "tls_ca_file", err, errlen, "%s: %s, "
		    "and %s needs a trust store; install Debian's "
		    "ca-certificates or name a PEM file of trusted CAs",
		    c->tls_ca_file[0] == '\0' ? "(empty)" : c->tls_ca_file,
		    c->tls_ca_file[0] == '\0' ? "not set" : strerror(errno),
		    need);
	return 0;
}

int
master_check_environment(struct master *m, char *err, size_t errlen)
{
	const struct conf *c = &m->conf;

	/* development mode: no user switch, so the users do not matter */
	if (!c->devmode && master_check_users(c, err, errlen) == -1)
		return -1;
	if (master_check_dirs(c, err, errlen) == -1 ||
	    master_check_log(c, err, errlen) == -1 ||
	    master_check_tls_conf(c, err, errlen) == -1 ||
	    master_check_delivery(c, err, errlen) == -1)
		return -1;
	/* once, at start and with -n: postmaster's mailbox */
	(void)master_check_local(c, 1, err, errlen);
	return 0;
}
