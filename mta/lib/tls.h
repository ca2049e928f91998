/*
 * tls.h: GnuTLS glue for sealpost's SMTP server (and later its client):
 * credentials with several certificates chosen by SNI, the priority
 * string with TLS 1.0/1.1 always removed, session tickets, non-blocking
 * handshake and record I/O, and the facts of a finished session in the
 * words admins know from Postfix logs and Received headers.
 * Linked by smtpin (and sealpostd for the ticket key).
 */
#ifndef SEALPOST_TLS_H
#define SEALPOST_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

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

#endif
