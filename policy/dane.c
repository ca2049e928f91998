/*
 * dane.c: TLSA records (RFC 6698 §2.1) and the DANE check of a server's
 * chain for SMTP (RFC 7672 §3, RFC 7671 §5), pure over bytes on GnuTLS's
 * x509 API; the contracts are in dane.h, the policy in doc/design.md §8.
 * A small DER reader finds the TBSCertificate, the SubjectPublicKeyInfo
 * and the signature of a certificate, for the association data of
 * selector 1 and for a DANE-TA public key that is not in the chain.
 * Every byte of a chain comes from the network: each read is bounded by
 * the certificate's length, and GnuTLS sees a certificate only after the
 * DER reader accepted it.
 * No I/O, no global mutable state. In libsealpost_policy.a: linked by
 * the sealpost CLI, tests/unit/test_dane, and later smtpout.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "dane.h"
#include "name_match.h"

#define DANE_DER_SEQ		0x30
#define DANE_DER_INT		0x02
#define DANE_DER_BITS		0x03
#define DANE_DER_VERSION	0xa0	/* [0] EXPLICIT Version */
#define DANE_SAN_MAX		256	/* subjectAltName entries looked at */
#define DANE_CN_MAX		8	/* CNs looked at without dNSName */
/*
 * GnuTLS checks signatures, CA basic constraints, key usage and path
 * length; dates are ours (the trust anchor's are not checked). Version 1
 * certificates are no CA, even as trust anchor.
 */
#define DANE_VERIFY_FLAGS	(GNUTLS_VERIFY_DISABLE_TIME_CHECKS | \
				 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | \
				 GNUTLS_VERIFY_DO_NOT_ALLOW_X509_V1_CA_CRT | \
				 GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN)

/* One certificate of the presented chain. */
struct dane_cert {
	const gnutls_datum_t	*der;
	struct dane_der_parts	 parts;
	gnutls_x509_crt_t	 crt;		/* NULL: unparsable, unused */
	int			 self_issued;	/* issuer name == subject */
};

struct dane_ctx {
	struct dane_cert	 c[DANE_CHAIN_MAX];
	size_t			 n;
	const char *const	*names;
	size_t			 nnames;
	time_t			 now;
};

/* The trust anchor a DANE-TA record designates. */
struct dane_anchor {
	gnutls_x509_crt_t	 crt;		/* of the chain or the record */
	const uint8_t		*der;		/* its DER, for GnuTLS's copy */
	size_t			 len;
	int			 index;		/* in the chain, or -1 */
};

/* ---- DER (ITU-T X.690 §8.1, §10.1), RFC 5280 §4.1 ------------------ */

/*
 * Reads the header of one TLV at p[0..len) with the single-octet tag:
 * definite length, at most 4 length octets, minimal (DER), within len.
 * 0 with *hdr and *clen set, or -1.
 */
static int
dane_der_tlv(const uint8_t *p, size_t len, uint8_t tag, size_t *hdr,
    size_t *clen)
{
	size_t i, n, l;

	if (len < 2 || p[0] != tag)
		return -1;
	if (p[1] < 0x80) {
		*hdr = 2;
		l = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || len - 2 < n || p[2] == 0)
			return -1;
		for (l = 0, i = 0; i < n; i++)
			l = (l << 8) | p[2 + i];
		if (l < 0x80)
			return -1;
		*hdr = 2 + n;
	}
	if (l > len - *hdr)
		return -1;
	*clen = l;
	return 0;
}

/*
 * Steps over one TLV with tag at *p (of *len left): sets *tlv and
 * *tlvlen to the whole TLV and advances past it. 0 or -1.
 */
static int
dane_der_next(const uint8_t **p, size_t *len, uint8_t tag,
    const uint8_t **tlv, size_t *tlvlen)
{
	size_t hdr, clen;

	if (dane_der_tlv(*p, *len, tag, &hdr, &clen) == -1)
		return -1;
	*tlv = *p;
	*tlvlen = hdr + clen;
	*p += hdr + clen;
	*len -= hdr + clen;
	return 0;
}

int
dane_der_parts(const uint8_t *der, size_t len, struct dane_der_parts *parts)
{
	const uint8_t *p, *t, *tlv, *tbs_sigalg, *bits;
	size_t left, tleft, hdr, clen, tlvlen, tbs_sigalg_len, bitslen;

	memset(parts, 0, sizeof(*parts));
	if (der == NULL || dane_der_tlv(der, len, DANE_DER_SEQ, &hdr,
	    &clen) == -1 || hdr + clen != len)
		return -1;
	p = der + hdr;
	left = clen;
	if (dane_der_next(&p, &left, DANE_DER_SEQ, &parts->tbs,
	    &parts->tbs_len) == -1 ||
	    dane_der_next(&p, &left, DANE_DER_SEQ, &parts->sigalg,
	    &parts->sigalg_len) == -1 ||
	    dane_der_next(&p, &left, DANE_DER_BITS, &bits, &bitslen) == -1 ||
	    left != 0)
		return -1;
	/* the signature: whole octets (no unused bits), not empty */
	if (dane_der_tlv(bits, bitslen, DANE_DER_BITS, &hdr, &clen) == -1 ||
	    clen < 2 || bits[hdr] != 0)
		return -1;
	parts->sig = bits + hdr + 1;
	parts->sig_len = clen - 1;

	/* TBSCertificate: version?, serial, signature, issuer, validity,
	   subject, subjectPublicKeyInfo, then what we do not read */
	if (dane_der_tlv(parts->tbs, parts->tbs_len, DANE_DER_SEQ, &hdr,
	    &clen) == -1)
		return -1;
	t = parts->tbs + hdr;
	tleft = clen;
	if (tleft > 0 && t[0] == DANE_DER_VERSION &&
	    dane_der_next(&t, &tleft, DANE_DER_VERSION, &tlv, &tlvlen) == -1)
		return -1;
	if (dane_der_next(&t, &tleft, DANE_DER_INT, &tlv, &tlvlen) == -1 ||
	    dane_der_next(&t, &tleft, DANE_DER_SEQ, &tbs_sigalg,
	    &tbs_sigalg_len) == -1 ||
	    dane_der_next(&t, &tleft, DANE_DER_SEQ, &tlv, &tlvlen) == -1 ||
	    dane_der_next(&t, &tleft, DANE_DER_SEQ, &tlv, &tlvlen) == -1 ||
	    dane_der_next(&t, &tleft, DANE_DER_SEQ, &tlv, &tlvlen) == -1 ||
	    dane_der_next(&t, &tleft, DANE_DER_SEQ, &parts->spki,
	    &parts->spki_len) == -1)
		return -1;
	/* RFC 5280 §4.1.1.2: the same algorithm inside and outside */
	if (tbs_sigalg_len != parts->sigalg_len ||
	    memcmp(tbs_sigalg, parts->sigalg, tbs_sigalg_len) != 0)
		return -1;
	return 0;
}

/* ---- records ----------------------------------------------------------- */

int
dane_tlsa_parse(const uint8_t *rdata, size_t len, struct dane_tlsa *t)
{
	memset(t, 0, sizeof(*t));
	if (rdata == NULL || len < 4)
		return -1;
	t->usage = rdata[0];
	t->selector = rdata[1];
	t->mtype = rdata[2];
	t->data = rdata + 3;
	t->len = len - 3;
	return 0;
}

int
dane_tlsa_usable(const struct dane_tlsa *t)
{
	/* RFC 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable */
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector != 0 && t->selector != 1)
		return 0;
	if (t->data == NULL)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	default:
		return 0;
	}
}

/*
 * The bytes selector picks of a certificate (RFC 6698 §2.1.2): the whole
 * DER (0) or its SubjectPublicKeyInfo (1). 0 or -1.
 */
static int
dane_select(const uint8_t *der, size_t len, const struct dane_der_parts *pp,
    uint8_t selector, const uint8_t **p, size_t *plen)
{
	switch (selector) {
	case 0:
		*p = der;
		*plen = len;
		return 0;
	case 1:
		*p = pp->spki;
		*plen = pp->spki_len;
		return 0;
	default:
		return -1;
	}
}

/*
 * The association data of p[0..plen) for mtype (RFC 6698 §2.1.3) into
 * out (room for 64): sets *outp (p itself for mtype 0) and *outlen.
 * 0 or -1.
 */
static int
dane_assoc(const uint8_t *p, size_t plen, uint8_t mtype, uint8_t *out,
    const uint8_t **outp, size_t *outlen)
{
	gnutls_digest_algorithm_t alg;

	switch (mtype) {
	case 0:
		*outp = p;
		*outlen = plen;
		return 0;
	case 1:
		alg = GNUTLS_DIG_SHA256;
		*outlen = 32;
		break;
	case 2:
		alg = GNUTLS_DIG_SHA512;
		*outlen = 64;
		break;
	default:
		return -1;
	}
	if (gnutls_hash_fast(alg, p, plen, out) < 0)
		return -1;
	*outp = out;
	return 0;
}

int
dane_tlsa_data(const gnutls_datum_t *der, uint8_t selector, uint8_t mtype,
    uint8_t *out, size_t *outlen)
{
	struct dane_der_parts parts;
	const uint8_t *p, *a;
	uint8_t md[64];
	size_t plen, alen;

	if (der == NULL || dane_der_parts(der->data, der->size, &parts) == -1 ||
	    dane_select(der->data, der->size, &parts, selector, &p,
	    &plen) == -1 ||
	    dane_assoc(p, plen, mtype, md, &a, &alen) == -1 ||
	    alen > *outlen)
		return -1;
	memcpy(out, a, alen);
	*outlen = alen;
	return 0;
}

/* 1 when the certificate c matches record r (selector, mtype, data). */
static int
dane_cert_matches(const struct dane_cert *c, const struct dane_tlsa *r)
{
	const uint8_t *p, *a;
	uint8_t md[64];
	size_t plen, alen;

	if (c->crt == NULL || dane_select(c->der->data, c->der->size,
	    &c->parts, r->selector, &p, &plen) == -1 ||
	    dane_assoc(p, plen, r->mtype, md, &a, &alen) == -1)
		return 0;
	return alen == r->len && memcmp(a, r->data, alen) == 0;
}

/* ---- results ----------------------------------------------------------- */

static void	dane_fmt(char *, size_t, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));
static void	dane_set(struct dane_result *, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/* vsnprintf into buf[0..size), size >= 4; a text too long ends in "...". */
static void
dane_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n;

	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= size)
		memcpy(buf + size - 4, "...", 4);
}

static void
dane_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dane_vfmt(buf, size, fmt, ap);
	va_end(ap);
}

/* Sets the verdict and the detail. */
static void
dane_set(struct dane_result *r, int verdict, const char *fmt, ...)
{
	va_list ap;

	r->verdict = verdict;
	va_start(ap, fmt);
	dane_vfmt(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/*
 * How far a DANE-TA check got: a failure that got further says more
 * (RFC 7672 §3.1.2's order: anchor, chain, dates, name).
 */
static int
dane_rank(int verdict)
{
	switch (verdict) {
	case DANE_FAIL_NAME:
		return 3;
	case DANE_FAIL_EXPIRED:
		return 2;
	case DANE_FAIL_CHAIN:
		return 1;
	default:
		return 0;
	}
}

const char *
dane_failure(int verdict)
{
	/* RFC 8460 §4.3 result types */
	switch (verdict) {
	case DANE_OK_EE:
	case DANE_OK_TA:
		return NULL;
	case DANE_FAIL_NAME:
		return "certificate-host-mismatch";
	case DANE_FAIL_EXPIRED:
		return "certificate-expired";
	case DANE_FAIL_NOMATCH:
		return "tlsa-invalid";
	case DANE_FAIL_CHAIN:
	case DANE_FAIL_NOCERT:
	default:
		return "validation-failure";
	}
}

const char *
dane_verify_word(int verdict)
{
	switch (verdict) {
	case DANE_OK_EE:
		return "dane-ee";
	case DANE_OK_TA:
		return "dane-ta";
	default:
		return "dane";
	}
}

/* ---- the chain --------------------------------------------------------- */

/* Parses up to DANE_CHAIN_MAX certificates; unparsable ones stay NULL. */
static void
dane_ctx_load(struct dane_ctx *ctx, const gnutls_datum_t *chain,
    size_t nchain)
{
	struct dane_cert *c;
	size_t i;

	ctx->n = nchain < DANE_CHAIN_MAX ? nchain : DANE_CHAIN_MAX;
	for (i = 0; i < ctx->n; i++) {
		c = &ctx->c[i];
		c->der = &chain[i];
		c->crt = NULL;
		if (chain[i].data == NULL || dane_der_parts(chain[i].data,
		    chain[i].size, &c->parts) == -1 ||
		    gnutls_x509_crt_init(&c->crt) < 0)
			continue;
		if (gnutls_x509_crt_import(c->crt, &chain[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(c->crt);
			c->crt = NULL;
			continue;
		}
		c->self_issued = gnutls_x509_crt_check_issuer(c->crt, c->crt);
	}
}

static void
dane_ctx_free(struct dane_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->n; i++)
		if (ctx->c[i].crt != NULL)
			gnutls_x509_crt_deinit(ctx->c[i].crt);
}

/* 1 when the certificate's name[0..len) matches one reference name. */
static int
dane_name_any(const struct dane_ctx *ctx, const void *name, size_t len)
{
	size_t i, n;

	n = ctx->nnames < DANE_NAMES_MAX ? ctx->nnames : DANE_NAMES_MAX;
	for (i = 0; i < n; i++)
		if (ctx->names[i] != NULL && name_match(name, len,
		    ctx->names[i], strlen(ctx->names[i])))
			return 1;
	return 0;
}

/*
 * 1 when the leaf names one of the reference names (RFC 7672 §3.2.3):
 * its subjectAltName dNSNames, or its CNs only when it has no dNSName.
 * A subjectAltName that cannot be read fails, without the CN fallback.
 */
static int
dane_names_ok(const struct dane_ctx *ctx, gnutls_x509_crt_t crt)
{
	gnutls_subject_alt_names_t sans;
	gnutls_datum_t ext = { NULL, 0 }, san, other;
	unsigned int critical, type, i;
	char cn[256];
	size_t cnlen;
	int r, dns = 0, ok = 0;

	r = gnutls_x509_crt_get_extension_by_oid2(crt, GNUTLS_X509EXT_OID_SAN,
	    0, &ext, &critical);
	if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		if (r < 0 || gnutls_subject_alt_names_init(&sans) < 0) {
			gnutls_free(ext.data);
			return 0;
		}
		if (gnutls_x509_ext_import_subject_alt_names(&ext, sans,
		    0) < 0)
			dns = 1;	/* unreadable: no fallback */
		else
			for (i = 0; i < DANE_SAN_MAX && !ok; i++) {
				r = gnutls_subject_alt_names_get(sans, i,
				    &type, &san, &other);
				if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
					break;
				if (r < 0) {
					dns = 1;
					break;
				}
				if (type != GNUTLS_SAN_DNSNAME)
					continue;
				dns = 1;
				ok = dane_name_any(ctx, san.data, san.size);
			}
		gnutls_subject_alt_names_deinit(sans);
		gnutls_free(ext.data);
		if (dns)
			return ok;
	}
	for (i = 0; i < DANE_CN_MAX; i++) {
		cnlen = sizeof(cn);
		r = gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, i, 0, cn, &cnlen);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || cnlen >= sizeof(cn))
			continue;	/* too long for a host name */
		if (dane_name_any(ctx, cn, cnlen))
			return 1;
	}
	return 0;
}

/* 1 when now is within the certificate's validity (RFC 5280 §4.1.2.5). */
static int
dane_valid_at(gnutls_x509_crt_t crt, time_t now)
{
	time_t a, e;

	a = gnutls_x509_crt_get_activation_time(crt);
	e = gnutls_x509_crt_get_expiration_time(crt);
	return a != (time_t)-1 && e != (time_t)-1 && a <= now && now <= e;
}

/*
 * Why crt is not valid at now, in buf: "expired on 2001-01-01" or "is
 * not valid before 2024-01-01" (UTC). Returns buf.
 */
static const char *
dane_dates(gnutls_x509_crt_t crt, time_t now, char *buf, size_t size)
{
	struct tm tm;
	time_t a, e;

	a = gnutls_x509_crt_get_activation_time(crt);
	e = gnutls_x509_crt_get_expiration_time(crt);
	if (a == (time_t)-1 || e == (time_t)-1)
		dane_fmt(buf, size, "has dates that do not parse");
	else if (now > e && gmtime_r(&e, &tm) != NULL)
		dane_fmt(buf, size, "expired on %04d-%02d-%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	else if (gmtime_r(&a, &tm) != NULL)
		dane_fmt(buf, size, "is not valid before %04d-%02d-%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	else
		dane_fmt(buf, size, "is not within its validity");
	return buf;
}

/* 1 when index i is one of path[0..n). */
static int
dane_in_path(const int *path, size_t n, size_t i)
{
	size_t k;

	for (k = 0; k < n; k++)
		if ((size_t)path[k] == i)
			return 1;
	return 0;
}

/*
 * The next certificate up from chain[cur]: the first presented one, not
 * yet on the path nor skip, that names chain[cur]'s issuer; a self-issued
 * one only when self_ok. Its index, or -1.
 */
static int
dane_issuer_of(const struct dane_ctx *ctx, const int *path, size_t n,
    int cur, int skip, int self_ok)
{
	size_t j;

	for (j = 0; j < ctx->n; j++) {
		if (ctx->c[j].crt == NULL || (int)j == skip ||
		    dane_in_path(path, n, j) ||
		    (ctx->c[j].self_issued && !self_ok))
			continue;
		if (gnutls_x509_crt_check_issuer(ctx->c[cur].crt,
		    ctx->c[j].crt))
			return (int)j;
	}
	return -1;
}

/*
 * Verifies path[0..n) (leaf first, each issued by the next) under the
 * anchor of DER der[0..len) as GnuTLS's only trust anchor. The GnuTLS
 * status: 0 when valid (dates aside).
 */
static unsigned int
dane_verify_path(const struct dane_ctx *ctx, const int *path, size_t n,
    const uint8_t *der, size_t len)
{
	gnutls_x509_crt_t list[DANE_CHAIN_MAX], ta;
	gnutls_x509_trust_list_t tl;
	gnutls_datum_t d;
	unsigned int status = GNUTLS_CERT_INVALID;
	size_t i;

	if (n == 0 || n > DANE_CHAIN_MAX || len > UINT_MAX)
		return status;
	for (i = 0; i < n; i++)
		list[i] = ctx->c[path[i]].crt;
	if (gnutls_x509_crt_init(&ta) < 0)
		return status;
	d.data = (unsigned char *)der;
	d.size = (unsigned int)len;
	if (gnutls_x509_crt_import(ta, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_init(&tl, 0) < 0) {
		gnutls_x509_crt_deinit(ta);
		return status;
	}
	/* the list owns ta once added */
	if (gnutls_x509_trust_list_add_cas(tl, &ta, 1, 0) != 1) {
		gnutls_x509_crt_deinit(ta);
		gnutls_x509_trust_list_deinit(tl, 1);
		return status;
	}
	if (gnutls_x509_trust_list_verify_crt2(tl, list, (unsigned int)n,
	    NULL, 0, DANE_VERIFY_FLAGS, &status, NULL) < 0)
		status = GNUTLS_CERT_INVALID;
	gnutls_x509_trust_list_deinit(tl, 1);
	return status;
}

/* Why GnuTLS refused a path, in words for the log. */
static const char *
dane_status_text(unsigned int status)
{
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		return "an issuer is not a CA";
	if (status & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
		return "an issuer's constraints (key usage, path length) "
		    "are violated";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "a signature does not verify";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "an insecure signature algorithm";
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return "the leaf is not issued under it";
	return "the chain does not verify";
}

/*
 * The checks under an established anchor (RFC 7672 §3.1.2, RFC 5280
 * §6.1): path[0..n) verified by GnuTLS up to the anchor (when the
 * anchor is not the leaf itself), the dates of path[0..ndates), the
 * leaf's names. what names the record and anchor for the detail.
 */
static void
dane_under_anchor(const struct dane_ctx *ctx, const int *path, size_t n,
    size_t ndates, const uint8_t *der, size_t len, const char *what,
    struct dane_result *r)
{
	unsigned int status;
	char day[48];
	size_t i;

	if (n > 0 && (status = dane_verify_path(ctx, path, n, der,
	    len)) != 0) {
		dane_set(r, DANE_FAIL_CHAIN, "%s, but the chain fails: %s",
		    what, dane_status_text(status));
		return;
	}
	for (i = 0; i < ndates; i++)
		if (!dane_valid_at(ctx->c[path[i]].crt, ctx->now)) {
			dane_set(r, DANE_FAIL_EXPIRED, "%s, but chain[%d] %s",
			    what, path[i], dane_dates(ctx->c[path[i]].crt,
			    ctx->now, day, sizeof(day)));
			return;
		}
	if (!dane_names_ok(ctx, ctx->c[0].crt)) {
		dane_set(r, DANE_FAIL_NAME, "%s, but the leaf certificate "
		    "names none of the reference names", what);
		return;
	}
	dane_set(r, DANE_OK_TA, "%s; chain valid, name matches", what);
}

/*
 * DANE-TA with an anchor certificate a (presented, or from the record):
 * the path from the leaf by issuer names up to a certificate that a
 * issued, then the checks under it. A presented anchor the leaf does not
 * reach fails the chain (a real anchor appended to a rogue chain); an
 * anchor from DNS that nothing presented names is no match.
 */
static void
dane_ta_cert(const struct dane_ctx *ctx, const struct dane_anchor *a,
    const char *what, struct dane_result *r)
{
	int path[DANE_CHAIN_MAX];
	size_t n = 0;
	int cur, next;

	if (a->index == 0) {
		/* a self-issued leaf is its own anchor: nothing under it */
		dane_under_anchor(ctx, NULL, 0, 0, a->der, a->len, what, r);
		return;
	}
	path[n++] = 0;
	for (cur = 0; !gnutls_x509_crt_check_issuer(ctx->c[cur].crt, a->crt);
	    cur = next) {
		next = dane_issuer_of(ctx, path, n, cur, a->index, 0);
		if (next == -1 || n == DANE_CHAIN_MAX) {
			dane_set(r, a->index > 0 ? DANE_FAIL_CHAIN :
			    DANE_FAIL_NOMATCH, "%s, but the leaf does not "
			    "chain to it", what);
			return;
		}
		path[n++] = next;
	}
	dane_under_anchor(ctx, path, n, n, a->der, a->len, what, r);
}

/*
 * DANE-TA 2 1 0 with a key that no presented certificate has (RFC 7671
 * §5.2): the first certificate on the leaf's path that the key signed
 * (its TBSCertificate, RFC 5280 §4.1.1.3) is the top; the path under it
 * is verified with the top as GnuTLS's anchor, and the top's dates are
 * checked with the others' (it is under the trust anchor).
 */
static void
dane_ta_key(const struct dane_ctx *ctx, const struct dane_tlsa *rec,
    const char *what, struct dane_result *r)
{
	gnutls_pubkey_t key;
	gnutls_datum_t d, tbs, sig;
	int path[DANE_CHAIN_MAX];
	size_t n = 0;
	int cur, algo, top = -1;

	if (rec->len > UINT_MAX || gnutls_pubkey_init(&key) < 0) {
		dane_set(r, DANE_FAIL_NOMATCH, "%s: no memory", what);
		return;
	}
	d.data = (unsigned char *)rec->data;
	d.size = (unsigned int)rec->len;
	if (gnutls_pubkey_import(key, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_pubkey_deinit(key);
		dane_set(r, DANE_FAIL_NOMATCH, "%s: not a public key", what);
		return;
	}
	path[n++] = 0;
	for (cur = 0; cur != -1 && n <= DANE_CHAIN_MAX;) {
		const struct dane_der_parts *pp = &ctx->c[cur].parts;

		tbs.data = (unsigned char *)pp->tbs;
		tbs.size = (unsigned int)pp->tbs_len;
		sig.data = (unsigned char *)pp->sig;
		sig.size = (unsigned int)pp->sig_len;
		algo = gnutls_x509_crt_get_signature_algorithm(
		    ctx->c[cur].crt);
		if (algo > 0 && gnutls_pubkey_verify_data2(key,
		    (gnutls_sign_algorithm_t)algo, 0, &tbs, &sig) >= 0) {
			top = cur;
			break;
		}
		if (n == DANE_CHAIN_MAX ||
		    (cur = dane_issuer_of(ctx, path, n, cur, -1, 1)) == -1)
			break;
		path[n++] = cur;
	}
	gnutls_pubkey_deinit(key);
	if (top == -1) {
		dane_set(r, DANE_FAIL_NOMATCH, "%s: the key signed no "
		    "certificate of the chain", what);
		return;
	}
	dane_under_anchor(ctx, path, n - 1, n, ctx->c[top].der->data,
	    ctx->c[top].der->size, what, r);
}

/* 1 when chain[k] repeats an earlier certificate (tried already). */
static int
dane_seen(const struct dane_ctx *ctx, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++)
		if (ctx->c[j].der->size == ctx->c[k].der->size &&
		    memcmp(ctx->c[j].der->data, ctx->c[k].der->data,
		    ctx->c[k].der->size) == 0)
			return 1;
	return 0;
}

/*
 * One usable DANE-TA record: each presented certificate it matches as
 * anchor, else (mtype 0) the certificate or key it carries. The best
 * outcome in *r.
 */
static void
dane_try_ta(const struct dane_ctx *ctx, const struct dane_tlsa *rec,
    struct dane_result *r)
{
	struct dane_anchor a;
	struct dane_der_parts parts;
	struct dane_result one;
	gnutls_datum_t d;
	char what[64];
	size_t k;
	int found = 0;

	dane_set(r, DANE_FAIL_NOMATCH, "TLSA 2 %u %u matched nothing",
	    rec->selector, rec->mtype);
	for (k = 0; k < ctx->n; k++) {
		if (!dane_cert_matches(&ctx->c[k], rec))
			continue;
		found = 1;
		/* the leaf is an anchor only when self-issued: one a CA
		   issued is an end entity, whatever its record says */
		if ((k == 0 && !ctx->c[0].self_issued) ||
		    dane_seen(ctx, k))
			continue;
		dane_fmt(what, sizeof(what), "TLSA 2 %u %u matched "
		    "chain[%zu]", rec->selector, rec->mtype, k);
		a.crt = ctx->c[k].crt;
		a.der = ctx->c[k].der->data;
		a.len = ctx->c[k].der->size;
		a.index = (int)k;
		dane_ta_cert(ctx, &a, what, &one);
		if (one.verdict == DANE_OK_TA) {
			*r = one;
			return;
		}
		if (dane_rank(one.verdict) > dane_rank(r->verdict))
			*r = one;
	}
	if (found || rec->mtype != 0)
		return;
	if (rec->selector == 1) {
		dane_fmt(what, sizeof(what), "TLSA 2 1 0 (a key not "
		    "in the chain)");
		dane_ta_key(ctx, rec, what, r);
		return;
	}
	/* 2 0 0: the anchor certificate itself, not presented */
	if (rec->len > UINT_MAX ||
	    dane_der_parts(rec->data, rec->len, &parts) == -1 ||
	    gnutls_x509_crt_init(&a.crt) < 0)
		return;
	d.data = (unsigned char *)rec->data;
	d.size = (unsigned int)rec->len;
	if (gnutls_x509_crt_import(a.crt, &d, GNUTLS_X509_FMT_DER) == 0) {
		dane_fmt(what, sizeof(what), "TLSA 2 0 0 (a "
		    "certificate not in the chain)");
		a.der = rec->data;
		a.len = rec->len;
		a.index = -1;
		dane_ta_cert(ctx, &a, what, r);
	}
	gnutls_x509_crt_deinit(a.crt);
}

int
dane_match(const gnutls_datum_t *chain, size_t nchain,
    const struct dane_tlsa *recs, size_t nrecs, const char *const *names,
    size_t nnames, time_t now, struct dane_result *out)
{
	struct dane_ctx ctx;
	struct dane_result one;
	size_t i, nusable = 0;

	memset(out, 0, sizeof(*out));
	out->record = -1;
	if (chain == NULL || nchain == 0) {
		dane_set(out, DANE_FAIL_NOCERT, "the server sent no "
		    "certificate");
		return out->verdict;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.names = names;
	ctx.nnames = names != NULL ? nnames : 0;
	ctx.now = now;
	dane_ctx_load(&ctx, chain, nchain);
	if (ctx.c[0].crt == NULL) {
		dane_set(out, DANE_FAIL_NOCERT, "the server's certificate "
		    "does not parse");
		dane_ctx_free(&ctx);
		return out->verdict;
	}
	dane_set(out, DANE_FAIL_NOMATCH, "no usable TLSA record");
	for (i = 0; recs != NULL && i < nrecs; i++) {
		if (!dane_tlsa_usable(&recs[i]))
			continue;
		nusable++;
		if (recs[i].usage == 3) {
			/* RFC 7672 §3.1.1: the key or certificate alone */
			if (dane_cert_matches(&ctx.c[0], &recs[i])) {
				dane_set(out, DANE_OK_EE, "TLSA 3 %u %u "
				    "matched the leaf", recs[i].selector,
				    recs[i].mtype);
				out->record = (int)i;
				break;
			}
			continue;
		}
		dane_try_ta(&ctx, &recs[i], &one);
		if (one.verdict == DANE_OK_TA ||
		    dane_rank(one.verdict) > dane_rank(out->verdict)) {
			*out = one;
			out->record = (int)i;
			if (one.verdict == DANE_OK_TA)
				break;
		}
	}
	if (out->record == -1 && nusable > 0)
		dane_set(out, DANE_FAIL_NOMATCH, "none of %zu TLSA records "
		    "matched the %zu certificates", nusable, ctx.n);
	dane_ctx_free(&ctx);
	return out->verdict;
}
