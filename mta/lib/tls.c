/*
 * tls.c: GnuTLS glue (see tls.h). RFC 3207 (STARTTLS), RFC 8314
 * (implicit TLS), RFC 8446/5246 (TLS 1.3/1.2 only).
 * Linked by smtpin and sealpostd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

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

int
tls_server_init(struct tls_server *t, const struct conf *c,
    const char *ticket_file, char *err, size_t errlen)
{
	char prio[sizeof(c->tls_priority) + sizeof(TLS_PRIORITY_FLOOR)];
	char cert[CONF_PATH_MAX], key[CONF_PATH_MAX];
	const char *errpos = NULL;
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
	n = snprintf(prio, sizeof(prio), "%s%s", c->tls_priority,
	    TLS_PRIORITY_FLOOR);
	if (n < 0 || (size_t)n >= sizeof(prio))
		return tls_err(err, errlen, "tls_priority too long", NULL, 0);
	if ((r = gnutls_priority_init(&t->prio, prio, &errpos)) < 0) {
		(void)snprintf(err, errlen, "tls_priority: %s at '%s'",
		    gnutls_strerror(r), errpos ? errpos : "");
		return -1;
	}
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
