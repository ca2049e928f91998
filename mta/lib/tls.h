/*
 * tls.h: GnuTLS glue for sealpost's SMTP server (and later its client):
 * credentials with several certificates chosen by SNI, the priority
 * string with TLS 1.0/1.1 always removed, session tickets, non-blocking
 * handshake and record I/O, and the facts of a finished session in the
 * words admins know from Postfix logs and Received headers.
 * The client half (tls_client_*) serves smtpout: credentials with the
 * trust anchors of tls_ca_file, SNI, session resumption, and the checks
 * of a finished session (PKIX, RFC 6125 name, SHA-256 digests) that the
 * requirement of a hop asks for (doc/design.md §1.1).
 * Linked by smtpin and smtpout (and sealpostd for the ticket key).
 */
#ifndef SEALPOST_TLS_H
#define SEALPOST_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "buf.h"
#include "conf.h"

/* Appended to every priority string: TLS 1.2 and 1.3 only. */
#define TLS_PRIORITY_FLOOR	":-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"

struct tls_server {
	gnutls_certificate_credentials_t	cred;
	gnutls_priority_t			prio;
	gnutls_datum_t				ticket_key;
	int					have_ticket_key;
};

enum tls_io {
	TLS_IO_DONE = 0,	/* finished (handshake) */
	TLS_IO_WANT_READ,	/* wait for the fd to be readable */
	TLS_IO_WANT_WRITE,	/* wait for the fd to be writable */
	TLS_IO_ERROR,		/* fatal; the session is unusable */
};

/*
 * Loads the server credentials of c: every tls_cert_file/tls_key_file pair
 * (GnuTLS picks one by the client's SNI), or the self-signed pair in
 * data_dir/tls when none is configured; the priority string; the session
 * ticket key from ticket_file when it names one. Call before chroot.
 * Returns 0, or -1 with a message in err.
 */
int	tls_server_init(struct tls_server *, const struct conf *c,
	    const char *ticket_file, char *err, size_t errlen);
void	tls_server_free(struct tls_server *);

/*
 * Creates the key file for session tickets (mode 0600, root) shared by
 * all smtpin processes, so that a client resumes with any of them.
 * Returns 0 or -1 (logged). Called by sealpostd at every start.
 */
int	tls_ticket_key_write(const char *path);

/*
 * Starts a server session on the non-blocking socket fd. Returns the
 * session, or NULL (out of memory or GnuTLS error).
 */
gnutls_session_t tls_server_session(struct tls_server *, int fd);
/* One handshake step; see enum tls_io. On error *alert names the cause. */
enum tls_io	tls_handshake(gnutls_session_t, const char **why);
/*
 * Reads up to len bytes. Returns bytes read (> 0), 0 at a clean close,
 * -1 with *io = TLS_IO_WANT_READ/WRITE to wait, or -1 with TLS_IO_ERROR.
 */
ssize_t		tls_read(gnutls_session_t, void *buf, size_t len,
		    enum tls_io *io);
/* Writes up to len bytes; as tls_read. After a WANT, call again with the
 * same buffer. */
ssize_t		tls_write(gnutls_session_t, const void *buf, size_t len,
		    enum tls_io *io);
/*
 * The connection's I/O whether or not TLS runs on it yet: through the
 * session s, or on the socket fd itself when s is NULL (cleartext, before
 * STARTTLS). tls_conn_read returns as tls_read (recv's EAGAIN is
 * TLS_IO_WANT_READ). tls_conn_flush sends what is in out, consuming it;
 * returns 0, with *blocked set when it must wait for the socket and
 * *progress (if not NULL) set when bytes went, or -1 when the connection
 * is dead. Used by smtpin and smtpout alike.
 */
ssize_t		tls_conn_read(gnutls_session_t s, int fd, void *buf,
		    size_t len, enum tls_io *io);
int		tls_conn_flush(gnutls_session_t s, int fd, struct buf *out,
		    int *blocked, int *progress);

/*
 * The facts of an established session: protocol ("TLSv1.3"), cipher suite
 * ("TLS_AES_256_GCM_SHA384"), secret bits, key exchange group ("X25519"),
 * and whether it was resumed. Strings point to static storage.
 */
struct tls_facts {
	const char	*version;
	const char	*cipher;
	unsigned	 bits;
	const char	*group;
	int		 resumed;
};
void		tls_session_facts(gnutls_session_t, struct tls_facts *);

/* ---- the client (smtpout) ---- */

struct tls_client {
	gnutls_certificate_credentials_t	cred;
	gnutls_priority_t			prio;
	unsigned				nca;	/* trust anchors */
};

/*
 * Loads the client credentials: the trust anchors of c->tls_ca_file (a
 * missing or empty file leaves none: every PKIX check then fails, which
 * is safe), and tls_priority with TLS_PRIORITY_FLOOR. Call before chroot.
 * Returns 0, or -1 with a message in err.
 */
int	tls_client_init(struct tls_client *, const struct conf *c, char *err,
	    size_t errlen);
void	tls_client_free(struct tls_client *);

/*
 * Starts a client session on the non-blocking socket fd with SNI name
 * (NULL or "" for none; an IP literal is not sent) and, when resume is
 * not NULL, the session data of an earlier session to offer for
 * resumption (copied). Returns the session, or NULL on failure.
 */
gnutls_session_t tls_client_session(struct tls_client *, int fd,
		    const char *name, const gnutls_datum_t *resume);

/*
 * The data to resume this session later, into *out (allocated with
 * gnutls_malloc, the caller frees it with gnutls_free). Returns 0, or -1
 * when there is none (yet).
 */
int		tls_client_session_data(gnutls_session_t, gnutls_datum_t *out);

enum tls_verify {
	TLS_VERIFY_OK = 0,
	TLS_VERIFY_NO_CERT,	/* the peer sent no X.509 certificate */
	TLS_VERIFY_UNTRUSTED,	/* no path to a trust anchor, bad signature */
	TLS_VERIFY_EXPIRED,	/* a certificate expired or not yet valid */
	TLS_VERIFY_HOSTNAME,	/* valid, but not for this name */
};

/*
 * Checks the peer's chain against the trust anchors (PKIX, validity
 * times) and then the leaf against name (RFC 6125 as GnuTLS's
 * gnutls_x509_crt_check_hostname2: DNS-ID before CN, a wildcard only as
 * the whole left-most label). Returns the first failure found, or
 * TLS_VERIFY_OK. *detail (may be NULL) gets a static explanation.
 */
enum tls_verify	tls_client_verify(gnutls_session_t, const char *name,
		    const char **detail);

/*
 * 1 when the peer's leaf certificate carries one of names[0..n): a DNS
 * name (checked as tls_client_verify checks the host name), or
 * ".suffix", which any DNS name of the certificate below suffix matches
 * (a wildcard's base included). 0 otherwise. For verify's match= names
 * (sealpost-policy(7)); the chain is tls_client_verify's business.
 */
int		tls_peer_match_names(gnutls_session_t, const char *const *names,
		    size_t n);

/*
 * SHA-256 of the peer's leaf certificate (DER) into cert and of its
 * SubjectPublicKeyInfo (DER) into spki. Returns 0, or -1 when there is
 * no X.509 certificate or it cannot be parsed.
 */
int		tls_peer_sha256(gnutls_session_t, unsigned char cert[32],
		    unsigned char spki[32]);

#endif
