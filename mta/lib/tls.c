/*
 * tls.c: GnuTLS glue (see tls.h). RFC 3207 (STARTTLS), RFC 8314
 * (implicit TLS), RFC 8446/5246 (TLS 1.3/1.2 only).
 * The client half (tls_client_*): RFC 6125 names, RFC 6066 SNI, RFC 5077 /
 * RFC 8446 §2.2 resumption.
 * Linked by smtpin, smtpout and sealpostd.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "log.h"
#include "tls.h"

static int
tls_err(char *err, size_t errlen, const char *what, const char *file, int r)
{
	(void)snprintf(err, errlen, "%s%s%s: %s", what, file ? " " : "",
	    file ? file : "", gnutls_strerror(r));
	return -1;
}

/* Reads a small secret file into a datum (owned by the caller). */
static int
tls_read_key(const char *path, gnutls_datum_t *d)
{
	unsigned char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 32 || (d->data = gnutls_malloc((size_t)n)) == NULL) {
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(d->data, buf, (size_t)n);
	d->size = (unsigned)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
tls_ticket_key_write(const char *path)
{
	gnutls_datum_t key = { NULL, 0 };
	char tmp[CONF_PATH_MAX + 8];
	int fd, r, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	if ((r = gnutls_session_ticket_key_generate(&key)) < 0) {
		log_warnx("session ticket key: %s", gnutls_strerror(r));
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, key.data, key.size) != (ssize_t)key.size ||
	    close(fd) == -1 || rename(tmp, path) == -1) {
		log_warn("session ticket key %s", path);
		if (fd != -1)
			(void)unlink(tmp);
		explicit_bzero(key.data, key.size);
		gnutls_free(key.data);
		return -1;
	}
	explicit_bzero(key.data, key.size);
	gnutls_free(key.data);
	return 0;
}

/*
 * The session priority of both sides: tls_priority with TLS 1.0 and 1.1
 * always taken out. Returns 0, or -1 with the message in err.
 */
static int
tls_priority(const struct conf *c, gnutls_priority_t *out, char *err,
    size_t errlen)
{
	char prio[sizeof(c->tls_priority) + sizeof(TLS_PRIORITY_FLOOR)];
	const char *errpos = NULL;
	int n, r;

	n = snprintf(prio, sizeof(prio), "%s%s", c->tls_priority,
	    TLS_PRIORITY_FLOOR);
	if (n < 0 || (size_t)n >= sizeof(prio))
		return tls_err(err, errlen, "tls_priority too long", NULL, 0);
	if ((r = gnutls_priority_init(out, prio, &errpos)) < 0) {
		(void)snprintf(err, errlen, "tls_priority: %s at '%s'",
		    gnutls_strerror(r), errpos ? errpos : "");
		return -1;
	}
	return 0;
}

int
tls_server_init(struct tls_server *t, const struct conf *c,
    const char *ticket_file, char *err, size_t errlen)
{
	char cert[CONF_PATH_MAX], key[CONF_PATH_MAX];
	size_t i;
	int r, n;

	memset(t, 0, sizeof(*t));
	if ((r = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		return tls_err(err, errlen, "credentials", NULL, r);
	for (i = 0; i < c->ntls_cert_file; i++) {
		r = gnutls_certificate_set_x509_key_file(t->cred,
		    c->tls_cert_file[i], c->tls_key_file[i],
		    GNUTLS_X509_FMT_PEM);
		if (r < 0)
			return tls_err(err, errlen, "tls_cert_file",
			    c->tls_cert_file[i], r);
	}
	if (c->ntls_cert_file == 0) {
		n = snprintf(cert, sizeof(cert), "%s/tls/selfsigned.crt",
		    c->data_dir);
		if (n < 0 || (size_t)n >= sizeof(cert) ||
		    snprintf(key, sizeof(key), "%s/tls/selfsigned.key",
		    c->data_dir) >= (int)sizeof(key))
			return tls_err(err, errlen, "path too long", NULL, 0);
		r = gnutls_certificate_set_x509_key_file(t->cred, cert, key,
		    GNUTLS_X509_FMT_PEM);
		if (r < 0)
			return tls_err(err, errlen, "self-signed certificate",
			    cert, r);
	}
	if (tls_priority(c, &t->prio, err, errlen) == -1)
		return -1;
	if (ticket_file != NULL) {
		if (tls_read_key(ticket_file, &t->ticket_key) == 0)
			t->have_ticket_key = 1;
		else
			log_warnx("no session ticket key in %s: resumption "
			    "only within one process", ticket_file);
	}
	if (!t->have_ticket_key) {
		if ((r = gnutls_session_ticket_key_generate(&t->ticket_key)) <
		    0)
			return tls_err(err, errlen, "session ticket key", NULL,
			    r);
		t->have_ticket_key = 1;
	}
	return 0;
}

void
tls_server_free(struct tls_server *t)
{
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	if (t->ticket_key.data != NULL) {
		explicit_bzero(t->ticket_key.data, t->ticket_key.size);
		gnutls_free(t->ticket_key.data);
	}
	memset(t, 0, sizeof(*t));
}

gnutls_session_t
tls_server_session(struct tls_server *t, int fd)
{
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return NULL;
	if (gnutls_priority_set(s, t->prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0 ||
	    gnutls_session_ticket_enable_server(s, &t->ticket_key) < 0) {
		gnutls_deinit(s);
		return NULL;
	}
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
	gnutls_handshake_set_timeout(s, 0);
	gnutls_transport_set_int(s, fd);
	return s;
}

static enum tls_io
tls_again(gnutls_session_t s)
{
	return gnutls_record_get_direction(s) ? TLS_IO_WANT_WRITE :
	    TLS_IO_WANT_READ;
}

enum tls_io
tls_handshake(gnutls_session_t s, const char **why)
{
	int r;

	do {
		r = gnutls_handshake(s);
	} while (r == GNUTLS_E_INTERRUPTED ||
	    (r < 0 && r != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(r)));
	if (r == 0)
		return TLS_IO_DONE;
	if (r == GNUTLS_E_AGAIN)
		return tls_again(s);
	*why = gnutls_strerror(r);
	return TLS_IO_ERROR;
}

/* Maps a GnuTLS record result to ours (see tls_read). */
static ssize_t
tls_record_result(gnutls_session_t s, ssize_t r, enum tls_io *io)
{
	if (r >= 0)
		return r;
	/*
	 * Anything but "try again" ends the session: renegotiation and
	 * other non-fatal warnings are refused, not handled (TLS 1.2
	 * renegotiation is a well-known attack surface).
	 */
	*io = r == GNUTLS_E_AGAIN ? tls_again(s) : TLS_IO_ERROR;
	return -1;
}

ssize_t
tls_read(gnutls_session_t s, void *buf, size_t len, enum tls_io *io)
{
	ssize_t r;

	do {
		r = gnutls_record_recv(s, buf, len);
	} while (r == GNUTLS_E_INTERRUPTED);
	return tls_record_result(s, r, io);
}

ssize_t
tls_write(gnutls_session_t s, const void *buf, size_t len, enum tls_io *io)
{
	ssize_t r;

	do {
		r = gnutls_record_send(s, buf, len);
	} while (r == GNUTLS_E_INTERRUPTED);
	return tls_record_result(s, r, io);
}

ssize_t
tls_conn_read(gnutls_session_t s, int fd, void *buf, size_t len,
    enum tls_io *io)
{
	ssize_t n;

	if (s != NULL)
		return tls_read(s, buf, len, io);
	do {
		n = recv(fd, buf, len, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		*io = errno == EAGAIN || errno == EWOULDBLOCK ?
		    TLS_IO_WANT_READ : TLS_IO_ERROR;
	return n;
}

int
tls_conn_flush(gnutls_session_t s, int fd, struct buf *out, int *blocked,
    int *progress)
{
	enum tls_io io;
	ssize_t n;

	*blocked = 0;
	while (out->len > 0) {
		if (s != NULL)
			n = tls_write(s, out->data, out->len, &io);
		else {
			do {
				n = send(fd, out->data, out->len,
				    MSG_NOSIGNAL);
			} while (n == -1 && errno == EINTR);
			if (n == -1)
				io = errno == EAGAIN || errno == EWOULDBLOCK ?
				    TLS_IO_WANT_WRITE : TLS_IO_ERROR;
		}
		if (n < 0) {
			if (io == TLS_IO_ERROR)
				return -1;
			*blocked = 1;
			return 0;
		}
		buf_consume(out, (size_t)n);
		if (progress != NULL)
			*progress = 1;
	}
	return 0;
}

void
tls_session_facts(gnutls_session_t s, struct tls_facts *f)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s);
	const char *cs;

	switch (v) {
	case GNUTLS_TLS1_3:
		f->version = "TLSv1.3";
		break;
	case GNUTLS_TLS1_2:
		f->version = "TLSv1.2";
		break;
	default:
		f->version = "TLS?";
		break;
	}
	cs = gnutls_ciphersuite_get(s);
	f->cipher = cs != NULL ? cs : "unknown";
	f->bits = (unsigned)gnutls_cipher_get_key_size(gnutls_cipher_get(s)) *
	    8;
	f->group = gnutls_group_get_name(gnutls_group_get(s));
	if (f->group == NULL)
		f->group = "unknown";
	f->resumed = gnutls_session_is_resumed(s) != 0;
}

/* ---- the client (smtpout) ---- */

int
tls_client_init(struct tls_client *t, const struct conf *c, char *err,
    size_t errlen)
{
	int r;

	memset(t, 0, sizeof(*t));
	if ((r = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		return tls_err(err, errlen, "credentials", NULL, r);
	if (c->tls_ca_file[0] != '\0' && access(c->tls_ca_file, R_OK) == 0) {
		r = gnutls_certificate_set_x509_trust_file(t->cred,
		    c->tls_ca_file, GNUTLS_X509_FMT_PEM);
		if (r < 0)
			return tls_err(err, errlen, "tls_ca_file",
			    c->tls_ca_file, r);
		t->nca = (unsigned)r;
	}
	if (t->nca == 0)
		log_warnx("no trust anchors in tls_ca_file %s: every "
		    "certificate check fails", c->tls_ca_file);
	if (tls_priority(c, &t->prio, err, errlen) == -1)
		return -1;
	return 0;
}

void
tls_client_free(struct tls_client *t)
{
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	memset(t, 0, sizeof(*t));
}

/* Is name an IP address literal (no SNI for those, RFC 6066 §3)? */
static int
tls_is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

gnutls_session_t
tls_client_session(struct tls_client *t, int fd, const char *name,
    const gnutls_datum_t *resume)
{
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return NULL;
	if (gnutls_priority_set(s, t->prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0) {
		gnutls_deinit(s);
		return NULL;
	}
	if (name != NULL && name[0] != '\0' && !tls_is_ip(name) &&
	    gnutls_server_name_set(s, GNUTLS_NAME_DNS, name, strlen(name)) <
	    0) {
		gnutls_deinit(s);
		return NULL;
	}
	/* a stale or refused ticket only costs a full handshake */
	if (resume != NULL && resume->size > 0)
		(void)gnutls_session_set_data(s, resume->data, resume->size);
	gnutls_handshake_set_timeout(s, 0);
	gnutls_transport_set_int(s, fd);
	return s;
}

int
tls_client_session_data(gnutls_session_t s, gnutls_datum_t *out)
{
	out->data = NULL;
	out->size = 0;
	if (gnutls_session_get_data2(s, out) < 0 || out->size == 0) {
		if (out->data != NULL)
			gnutls_free(out->data);
		out->data = NULL;
		out->size = 0;
		return -1;
	}
	return 0;
}

/* The peer's leaf certificate, parsed; NULL if there is none. */
static gnutls_x509_crt_t
tls_peer_leaf(gnutls_session_t s)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned n = 0;

	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
		return NULL;
	if ((certs = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

enum tls_verify
tls_client_verify(gnutls_session_t s, const char *name, const char **detail)
{
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
	    (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 };
	gnutls_x509_crt_t crt;
	unsigned status = 0;
	const char *dummy;

	if (detail == NULL)
		detail = &dummy;
	*detail = "";
	if ((crt = tls_peer_leaf(s)) == NULL) {
		*detail = "no certificate";
		return TLS_VERIFY_NO_CERT;
	}
	/*
	 * The chain, its dates, and the purpose: a certificate whose
	 * extended key usage does not include TLS server authentication is
	 * refused (the hostname is checked below, RFC 6125).
	 */
	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0) {
		gnutls_x509_crt_deinit(crt);
		*detail = "verification failed";
		return TLS_VERIFY_UNTRUSTED;
	}
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)) {
		gnutls_x509_crt_deinit(crt);
		*detail = "expired or not yet valid";
		return TLS_VERIFY_EXPIRED;
	}
	if (status != 0) {
		gnutls_x509_crt_deinit(crt);
		*detail = (status & GNUTLS_CERT_SIGNER_NOT_FOUND) ?
		    "issuer unknown" : (status & GNUTLS_CERT_SIGNATURE_FAILURE) ?
		    "bad signature" : (status & GNUTLS_CERT_REVOKED) ?
		    "revoked" : (status & GNUTLS_CERT_PURPOSE_MISMATCH) ?
		    "not for TLS servers (extended key usage)" :
		    "invalid chain";
		return TLS_VERIFY_UNTRUSTED;
	}
	if (!gnutls_x509_crt_check_hostname2(crt, name, 0)) {
		gnutls_x509_crt_deinit(crt);
		*detail = "name mismatch";
		return TLS_VERIFY_HOSTNAME;
	}
	gnutls_x509_crt_deinit(crt);
	return TLS_VERIFY_OK;
}

/* 1 when a DNS name of crt lies below suffix (".example.org"). */
static int
tls_peer_below(gnutls_x509_crt_t crt, const char *suffix)
{
	char name[256];
	size_t size, nl, sl = strlen(suffix), i;
	unsigned int critical;
	int type, idx;

	for (idx = 0;; idx++) {
		size = sizeof(name) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, (unsigned)idx,
		    name, &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (type != GNUTLS_SAN_DNSNAME || size >= sizeof(name))
			continue;
		name[size] = '\0';
		for (i = 0; i < size; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		nl = strlen(name);
		if (nl > 2 && name[0] == '*' && name[1] == '.')
			nl -= 1;	/* "*.a.example": ".a.example" is below */
		if (nl > sl && strcmp(name + strlen(name) - sl, suffix) == 0)
			return 1;
	}
}

int
tls_peer_match_names(gnutls_session_t s, const char *const *names,
    size_t n)
{
	gnutls_x509_crt_t crt;
	size_t i;
	int ok = 0;

	if ((crt = tls_peer_leaf(s)) == NULL)
		return 0;
	for (i = 0; i < n && !ok; i++)
		ok = names[i][0] == '.' ? tls_peer_below(crt, names[i]) :
		    gnutls_x509_crt_check_hostname2(crt, names[i], 0) != 0;
	gnutls_x509_crt_deinit(crt);
	return ok;
}

int
tls_peer_sha256(gnutls_session_t s, unsigned char cert[32],
    unsigned char spki[32])
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pk = NULL;
	gnutls_datum_t der = { NULL, 0 };
	unsigned n = 0;
	int r = -1;

	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509 ||
	    (certs = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return -1;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data, certs[0].size,
	    cert) < 0)
		return -1;
	if ((crt = tls_peer_leaf(s)) == NULL)
		return -1;
	if (gnutls_pubkey_init(&pk) >= 0 &&
	    gnutls_pubkey_import_x509(pk, crt, 0) >= 0 &&
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der) >= 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, spki) >= 0)
		r = 0;
	if (der.data != NULL)
		gnutls_free(der.data);
	if (pk != NULL)
		gnutls_pubkey_deinit(pk);
	gnutls_x509_crt_deinit(crt);
	return r;
}
