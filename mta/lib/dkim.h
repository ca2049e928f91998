/*
 * dkim.h: a small DKIM signer (RFC 6376; rsa-sha256, and
 * ed25519-sha256 of RFC 8463) for the report mails of sealpost tlsrpt
 * (RFC 8460 §3 requires mailed reports to be DKIM-signed;
 * doc/design.md §8): relaxed/relaxed canonicalization (RFC 6376
 * §3.4.2, §3.4.4), the DKIM-Signature field (§3.5), the key from PEM
 * text and the DNS record to publish. Pure: no I/O (the caller reads
 * the key file); the signature is made with GnuTLS.
 * In mta/lib/ because two binaries link it: sealpost (tlsrpt) and
 * sealpostd (-n loads dkim_key_file); also tests/unit/test_dkim.
 */
#ifndef SEALPOST_DKIM_H
#define SEALPOST_DKIM_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "buf.h"

#define DKIM_SELECTOR_MAX	64
#define DKIM_DOMAIN_MAX	254
#define DKIM_RSA_MIN_BITS	2048

enum dkim_alg {
	DKIM_RSA_SHA256 = 1,	/* a=rsa-sha256, k=rsa */
	DKIM_ED25519_SHA256,	/* a=ed25519-sha256, k=ed25519 */
};

struct dkim_key {
	gnutls_privkey_t	key;		/* owned */
	int			alg;		/* enum dkim_alg */
	char			selector[DKIM_SELECTOR_MAX];
	char			domain[DKIM_DOMAIN_MAX];	/* d= */
};

/*
 * The header fields a report mail's signature covers (RFC 8460 §3,
 * doc/design.md §8), in the order of h=.
 */
extern const char *const dkim_report_fields[];
extern const size_t dkim_report_nfields;

/*
 * Imports the PEM private key pem[0..len) (PKCS#1 or PKCS#8 RSA of at
 * least 2048 bits, or PKCS#8 Ed25519) into k with selector and domain
 * (checked: letters, digits, '-', '.', '_'). Returns 0, or -1 with err
 * (nothing to free then). Free k with dkim_key_free.
 */
int	dkim_key_load(struct dkim_key *k, const char *pem, size_t len,
	    const char *selector, const char *domain, char *err,
	    size_t errlen);
void	dkim_key_free(struct dkim_key *);

/*
 * The domain of host name host: host without its first label when it
 * has at least three labels, else host itself. Writes out (size
 * octets). Returns 0, or -1 when it does not fit.
 */
int	dkim_domain_of(const char *host, char *out, size_t size);

/*
 * Relaxed header canonicalization (RFC 6376 §3.4.2) of the one field
 * f[0..len) (name, colon, value, folded lines; a final CRLF ignored),
 * appended to out, followed by CRLF when crlf. Returns 0, or -1 when
 * it is no field (no colon, an empty name) or out is full.
 */
int	dkim_canon_header(const char *f, size_t len, int crlf,
	    struct buf *out);

/*
 * Relaxed body canonicalization (RFC 6376 §3.4.4) of body[0..len)
 * (CRLF line ends) appended to out. Returns 0, or -1 when out is full.
 */
int	dkim_canon_body(const char *body, size_t len, struct buf *out);

/*
 * The field called name (case-insensitive) in the header of msg[0..len)
 * (the last one, RFC 6376 §5.4.2), with its folded lines and without
 * the final CRLF, in *f, *flen. Returns 1, 0 when there is none, -1
 * when msg has no header/body separator.
 */
int	dkim_field(const char *msg, size_t len, const char *name,
	    const char **f, size_t *flen);

/*
 * What the signature covers (RFC 6376 §3.7): the canonical fields of
 * names (those present), then the canonical DKIM-Signature field
 * sig[0..siglen) (its b= value empty) without a final CRLF, appended to
 * out. Returns 0, or -1 (no header, out full).
 */
int	dkim_signed_data(const char *msg, size_t len,
	    const char *const *names, size_t n, const char *sig,
	    size_t siglen, struct buf *out);

/*
 * The base64 SHA-256 of the relaxed canonical body of msg[0..len) (bh=)
 * into out (at least 45 octets). Returns 0, or -1.
 */
int	dkim_body_hash(const char *msg, size_t len, char *out,
	    size_t size);

/*
 * Signs msg[0..len) (a whole message, CRLF line ends) with k at time t
 * (t=): appends the field "DKIM-Signature: ...\r\n" (folded) to out,
 * which the caller puts in front of the message. h= the fields of
 * dkim_report_fields that msg has (From must be among them).
 * Returns 0, or -1 with err.
 */
int	dkim_sign(const struct dkim_key *k, const char *msg,
	    size_t len, int64_t t, struct buf *out, char *err, size_t errlen);

/*
 * The TXT record to publish at <selector>._domainkey.<domain> (RFC 6376
 * §3.6.1; RFC 8463 §4.2 for ed25519): "v=DKIM1; k=rsa; s=tlsrpt; p=..."
 * (k=ed25519 for an Ed25519 key; s=tlsrpt, the service type RFC 8460
 * §3 asks for: the key signs TLS reports only) appended to out.
 * Returns 0, or -1.
 */
int	dkim_record(const struct dkim_key *k, struct buf *out);

#endif
