/*
 * dane.h: TLSA records and the DANE check of a server's certificate chain
 * for SMTP (doc/design.md §8): RFC 6698 §2.1 (the record), RFC 7672 §3
 * (which records are usable for SMTP and how each is matched), RFC 7671
 * §5 (DANE-EE and DANE-TA in detail), RFC 5280 §6.1 (the path under a
 * trust anchor). Pure functions over bytes built on GnuTLS's x509 API:
 * no I/O, no global state, nothing kept between calls. libgnutls-dane is
 * not used: 3.7.9 skips the name check for DANE-TA, accepts a chain that
 * merely contains the trust anchor, and treats the PKIX usages as usable.
 * In libsealpost_policy.a: linked by the sealpost CLI (`sealpost tlsa`),
 * tests/unit/test_dane, and later smtpout for the DANE requirement.
 */
#ifndef SEALPOST_DANE_H
#define SEALPOST_DANE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/gnutls.h>

#define DANE_NAMES_MAX	4	/* reference names dane_match looks at */
#define DANE_CHAIN_MAX	16	/* certificates of a chain it looks at
				   (GnuTLS's own verification depth) */

/* One TLSA record (RFC 6698 §2.1); the data is borrowed, not copied. */
struct dane_tlsa {
	uint8_t		 usage, selector, mtype;
	const uint8_t	*data;		/* borrowed */
	size_t		 len;
};

/*
 * Parses TLSA RDATA (RFC 6698 §2.1): 0, or -1 when shorter than 4 bytes
 * (the three fields and at least one byte of data). The record borrows
 * rdata. Pure.
 */
int	dane_tlsa_parse(const uint8_t *rdata, size_t len, struct dane_tlsa *);
/*
 * 1 when usable for SMTP (RFC 7672 §3.1.3): usage 2 or 3, selector 0 or
 * 1, mtype 0 (len > 0), 1 (len 32) or 2 (len 64); else 0. A digest of the
 * wrong length is unusable; so are the PKIX usages 0 and 1 (RFC 7672
 * §3.1.3). Pure.
 */
int	dane_tlsa_usable(const struct dane_tlsa *);

enum dane_verdict {
	DANE_OK_EE = 0,		/* a DANE-EE record matched the leaf */
	DANE_OK_TA,		/* a DANE-TA record matched, chain valid to
				   it, the leaf has one of the names */
	DANE_FAIL_NOMATCH,	/* no usable record matched: tlsa-invalid */
	DANE_FAIL_NAME,		/* TA matched and chained; name wrong:
				   certificate-host-mismatch */
	DANE_FAIL_EXPIRED,	/* TA matched; a certificate under it is not
				   within its validity: certificate-expired */
	DANE_FAIL_CHAIN,	/* TA matched a certificate but the leaf does
				   not chain to it (signature, CA flags, path
				   length): validation-failure */
	DANE_FAIL_NOCERT,	/* no certificate / unparsable leaf:
				   validation-failure */
};

struct dane_result {
	int	verdict;	/* enum dane_verdict */
	int	record;		/* index of the record that decided, or -1 */
	char	detail[160];	/* for the log: what matched or failed */
};

/*
 * Matches the chain the server presented (DER, leaf first, as
 * gnutls_certificate_get_peers gives it) against usable records recs
 * (the caller passes only usable ones; unusable ones are skipped anyway)
 * for reference names names[0..nnames) (the TLSA base domain, the MX host
 * name, the next-hop domain; at most DANE_NAMES_MAX are looked at, NULL
 * entries are skipped), at time now. Any record that succeeds wins; when
 * none does, the most specific failure is reported: one that got
 * furthest through the DANE-TA checks (NAME over EXPIRED over CHAIN) over
 * NOMATCH, the first record among equals. Only the first DANE_CHAIN_MAX
 * certificates are looked at. Always fills *out (detail NUL-terminated,
 * cut with "..." when long) and returns out->verdict. Borrows everything;
 * allocates only inside GnuTLS and frees it before returning.
 *
 * DANE-EE(3) (RFC 7672 §3.1.1, RFC 7671 §5.1): the leaf's certificate
 * (selector 0) or SubjectPublicKeyInfo (1), whole (mtype 0) or hashed
 * with SHA-256 (1) or SHA-512 (2), equals the data; no name, no dates.
 * DANE-TA(2) (RFC 7672 §3.1.2, RFC 7671 §5.2): a certificate of the chain
 * matches the record, or (2 1 0) the record's public key, absent from
 * the chain, signed a certificate of the leaf's path; the leaf matches
 * only when it is self-issued (then it is its own trust anchor). The leaf
 * must chain to that anchor through presented certificates (signatures,
 * CA basic constraints, key usage, path length: GnuTLS with the anchor as
 * its only trust anchor), every certificate under the anchor must be
 * valid at now (the anchor's own dates are not checked, RFC 5280 §6.1.1),
 * and the leaf's DNS names (subjectAltName dNSName, else its CN) must
 * match one of names by name_match() (policy/name_match.h).
 */
int	dane_match(const gnutls_datum_t *chain, size_t nchain,
	    const struct dane_tlsa *recs, size_t nrecs,
	    const char *const *names, size_t nnames, time_t now,
	    struct dane_result *out);

/*
 * The RFC 8460 §4.3 failure type of a failing verdict ("tlsa-invalid",
 * "certificate-host-mismatch", "certificate-expired",
 * "validation-failure"), NULL for OK ones. Pure.
 */
const char *dane_failure(int verdict);
/*
 * The out line's verify= word (doc/design.md §9): "dane-ee" / "dane-ta"
 * for OK verdicts, "dane" (DANE was required and nothing passed) for
 * failing ones. Pure.
 */
const char *dane_verify_word(int verdict);

/*
 * The association data of a certificate (DER) for selector/mtype: writes
 * to out (at most *outlen bytes; *outlen set to the length). 0, or -1
 * when der is not a certificate (dane_der_parts), selector or mtype is
 * unknown, or out is too small (*outlen is then unchanged). What
 * `sealpost tlsa` prints, and what the tests compare. Pure.
 */
int	dane_tlsa_data(const gnutls_datum_t *der, uint8_t selector,
	    uint8_t mtype, uint8_t *out, size_t *outlen);

/*
 * The parts of a DER certificate (RFC 5280 §4.1) dane needs, as pointers
 * into it: tbs is the whole TBSCertificate (tag and length included: the
 * signed bytes), spki the SubjectPublicKeyInfo (whole: what selector 1
 * hashes), sigalg the outer signatureAlgorithm, sig the signature bits.
 */
struct dane_der_parts {
	const uint8_t	*tbs;
	size_t		 tbs_len;
	const uint8_t	*spki;
	size_t		 spki_len;
	const uint8_t	*sigalg;
	size_t		 sigalg_len;
	const uint8_t	*sig;		/* the BIT STRING's bits, after the
					   unused-bits octet (which is 0) */
	size_t		 sig_len;
};
/*
 * Reads der[0..len) as a Certificate: one SEQUENCE that is exactly len
 * bytes of TBSCertificate, AlgorithmIdentifier and BIT STRING, the TBS's
 * fields up to subjectPublicKeyInfo present in order, its signature
 * algorithm equal to the outer one (RFC 5280 §4.1.1.2), DER lengths
 * (definite, minimal, within their parent). 0 with *parts filled, or -1.
 * Every read is bounded by len. Pure.
 */
int	dane_der_parts(const uint8_t *der, size_t len,
	    struct dane_der_parts *parts);

#endif
