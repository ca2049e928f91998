/*
 * dkim.c: a small DKIM signer (RFC 6376; rsa-sha256, and
 * ed25519-sha256 of RFC 8463) for the report mails of sealpost tlsrpt
 * (RFC 8460 §3; doc/design.md §8): relaxed/relaxed canonicalization,
 * the DKIM-Signature field, the key and its DNS record. Pure: no I/O;
 * hashing and signing through GnuTLS.
 * Linked by the sealpost binary and tests/unit/test_dkim.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>

#include "dkim.h"

#define DKIM_SIGDATA_MAX	(64 * 1024)

const char *const dkim_report_fields[] = {
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
	"Content-Type", "TLS-Report-Domain", "TLS-Report-Submitter",
};
const size_t dkim_report_nfields = sizeof(dkim_report_fields) /
    sizeof(dkim_report_fields[0]);

static int
dkim_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* base64 (RFC 4648 §4) of p[0..len) appended to out, no line breaks. */
static int
dkim_b64(struct buf *out, const uint8_t *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? tab[v & 63] : '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

static int
dkim_name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '.' || s[i] == '_'))
			return 0;
	return 1;
}

int
dkim_key_load(struct dkim_key *k, const char *pem, size_t len,
    const char *selector, const char *domain, char *err, size_t errlen)
{
	gnutls_datum_t d;
	unsigned bits = 0;
	int r, pk;

	memset(k, 0, sizeof(*k));
	if (!dkim_name_ok(selector, sizeof(k->selector)) ||
	    !dkim_name_ok(domain, sizeof(k->domain))) {
		(void)snprintf(err, errlen, "the selector or the domain is "
		    "not a DNS name");
		return -1;
	}
	(void)strlcpy(k->selector, selector, sizeof(k->selector));
	(void)strlcpy(k->domain, domain, sizeof(k->domain));
	if ((r = gnutls_privkey_init(&k->key)) < 0) {
		(void)snprintf(err, errlen, "%s", gnutls_strerror(r));
		return -1;
	}
	d.data = (unsigned char *)(uintptr_t)pem;
	d.size = (unsigned)len;
	if (len > UINT32_MAX || (r = gnutls_privkey_import_x509_raw(k->key,
	    &d, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		(void)snprintf(err, errlen, "not a PEM private key: %s",
		    len > UINT32_MAX ? "too large" : gnutls_strerror(r));
		goto bad;
	}
	pk = gnutls_privkey_get_pk_algorithm(k->key, &bits);
	if (pk == GNUTLS_PK_RSA && bits >= DKIM_RSA_MIN_BITS)
		k->alg = DKIM_RSA_SHA256;
	else if (pk == GNUTLS_PK_EDDSA_ED25519)
		k->alg = DKIM_ED25519_SHA256;
	else {
		(void)snprintf(err, errlen, "the key is %s of %u bits; only "
		    "RSA of at least %d bits or Ed25519 can sign",
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)pk), bits,
		    DKIM_RSA_MIN_BITS);
		goto bad;
	}
	return 0;
bad:
	gnutls_privkey_deinit(k->key);
	k->key = NULL;
	return -1;
}

void
dkim_key_free(struct dkim_key *k)
{
	if (k->key != NULL)
		gnutls_privkey_deinit(k->key);
	k->key = NULL;
}

int
dkim_domain_of(const char *host, char *out, size_t size)
{
	const char *dot = strchr(host, '.');

	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		host = dot + 1;
	return strlcpy(out, host, size) < size ? 0 : -1;
}

int
dkim_canon_header(const char *f, size_t len, int crlf, struct buf *out)
{
	const char *colon;
	size_t i, nl, start;
	int sp = 0;
	char c;

	if ((colon = memchr(f, ':', len)) == NULL)
		return -1;
	nl = (size_t)(colon - f);
	while (nl > 0 && dkim_wsp(f[nl - 1]))
		nl--;
	if (nl == 0)
		return -1;
	for (i = 0; i < nl; i++) {
		c = f[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	if (buf_append(out, ":", 1) == -1)
		return -1;
	/* unfold, one SP per run of WSP, none at the start or the end */
	start = 1;
	for (i = (size_t)(colon - f) + 1; i < len; i++) {
		c = f[i];
		if (c == '\r' || c == '\n')
			continue;
		if (dkim_wsp(c)) {
			sp = !start;
			continue;
		}
		if (sp && buf_append(out, " ", 1) == -1)
			return -1;
		sp = 0;
		start = 0;
		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	return crlf ? buf_append(out, "\r\n", 2) : 0;
}

int
dkim_canon_body(const char *body, size_t len, struct buf *out)
{
	const char *p = body, *end = body + len, *eol, *q;
	size_t empty = 0, ll;
	int sp, any;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		ll = (size_t)(eol - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		any = 0;
		sp = 0;
		for (q = p; q < p + ll; q++) {
			if (dkim_wsp(*q)) {
				sp = 1;
				continue;
			}
			if (!any)
				for (; empty > 0; empty--)
					if (buf_append(out, "\r\n", 2) == -1)
						return -1;
			/* a run of WSP, leading ones too, is one SP */
			if ((sp && buf_append(out, " ", 1) == -1) ||
			    buf_append(out, q, 1) == -1)
				return -1;
			sp = 0;
			any = 1;
		}
		if (any) {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
		} else
			empty++;
		p = eol < end ? eol + 1 : end;
	}
	return 0;
}

/* The end of the header: the offset of the body, or -1. */
static long
dkim_body_off(const char *msg, size_t len)
{
	size_t i;

	if (len >= 2 && msg[0] == '\r' && msg[1] == '\n')
		return 2;
	for (i = 0; i + 3 < len; i++)
		if (memcmp(msg + i, "\r\n\r\n", 4) == 0)
			return (long)(i + 4);
	return -1;
}

int
dkim_field(const char *msg, size_t len, const char *name,
    const char **f, size_t *flen)
{
	long boff = dkim_body_off(msg, len);
	size_t i, e, nlen = strlen(name), hend;
	int found = 0;

	if (boff < 0)
		return -1;
	hend = (size_t)boff - 2;	/* the header's lines, CRLF each */
	for (i = 0; i < hend; i = e + 2) {
		/* a field: this line and the ones that start with WSP */
		for (e = i; e + 1 < hend; e++)
			if (msg[e] == '\r' && msg[e + 1] == '\n' &&
			    (e + 2 >= hend || !dkim_wsp(msg[e + 2])))
				break;
		if (e + 1 >= hend)
			e = hend;
		if (e - i > nlen && strncasecmp(msg + i, name, nlen) == 0) {
			size_t k = i + nlen;

			while (k < e && dkim_wsp(msg[k]))
				k++;
			if (k < e && msg[k] == ':') {
				*f = msg + i;
				*flen = e - i;
				found = 1;
			}
		}
	}
	return found;
}

int
dkim_signed_data(const char *msg, size_t len, const char *const *names,
    size_t n, const char *sig, size_t siglen, struct buf *out)
{
	const char *f;
	size_t i, flen;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = dkim_field(msg, len, names[i], &f, &flen)) == -1)
			return -1;
		if (r == 1 && dkim_canon_header(f, flen, 1, out) == -1)
			return -1;
	}
	while (siglen > 0 && (sig[siglen - 1] == '\n' ||
	    sig[siglen - 1] == '\r'))
		siglen--;
	return dkim_canon_header(sig, siglen, 0, out);
}

int
dkim_body_hash(const char *msg, size_t len, char *out, size_t size)
{
	struct buf b, h;
	uint8_t dig[32];
	long boff = dkim_body_off(msg, len);
	int ret = -1;

	if (boff < 0 || size < 45)
		return -1;
	buf_init(&b, 2 * len + 16);	/* bare LF lines become CRLF */
	buf_init(&h, 64);
	if (dkim_canon_body(msg + boff, len - (size_t)boff, &b) == 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, b.data != NULL ? b.data : "",
	    b.len, dig) == 0 && dkim_b64(&h, dig, sizeof(dig)) == 0 &&
	    h.len < size) {
		memcpy(out, h.data, h.len);
		out[h.len] = '\0';
		ret = 0;
	}
	buf_free(&b);
	buf_free(&h);
	return ret;
}

int
dkim_sign(const struct dkim_key *k, const char *msg, size_t len,
    int64_t t, struct buf *out, char *err, size_t errlen)
{
	const char *names[16], *f;
	struct buf hdr, data;
	gnutls_datum_t in, sig = { NULL, 0 };
	uint8_t dig[32];
	char bh[64];
	size_t i, n = 0, flen, col;
	int r, ret = -1;

	buf_init(&hdr, 4096);
	buf_init(&data, DKIM_SIGDATA_MAX);
	if (dkim_body_hash(msg, len, bh, sizeof(bh)) == -1) {
		(void)snprintf(err, errlen, "no message header");
		goto out;
	}
	for (i = 0; i < dkim_report_nfields && n < 16; i++)
		if (dkim_field(msg, len, dkim_report_fields[i], &f,
		    &flen) == 1)
			names[n++] = dkim_report_fields[i];
	if (n == 0 || strcmp(names[0], "From") != 0) {
		(void)snprintf(err, errlen, "the message has no From field");
		goto out;
	}
	if (buf_printf(&hdr, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;"
	    "\r\n\td=%s; s=%s; t=%" PRId64 ";\r\n\th=",
	    k->alg == DKIM_RSA_SHA256 ? "rsa-sha256" : "ed25519-sha256",
	    k->domain, k->selector, t) == -1)
		goto full;
	col = 3;
	for (i = 0; i < n; i++) {
		if (col + strlen(names[i]) > 70) {
			if (buf_puts(&hdr, "\r\n\t ") == -1)
				goto full;
			col = 1;
		}
		if (buf_printf(&hdr, "%s%s", names[i], i + 1 < n ? ":" : ";")
		    == -1)
			goto full;
		col += strlen(names[i]) + 1;
	}
	if (buf_printf(&hdr, "\r\n\tbh=%s;\r\n\tb=", bh) == -1)
		goto full;
	if (dkim_signed_data(msg, len, names, n, hdr.data, hdr.len,
	    &data) == -1)
		goto full;
	if (k->alg == DKIM_RSA_SHA256) {
		in.data = (unsigned char *)data.data;
		in.size = (unsigned)data.len;
		r = gnutls_privkey_sign_data2(k->key, GNUTLS_SIGN_RSA_SHA256, 0,
		    &in, &sig);
	} else {
		/* RFC 8463 §3: Ed25519 (pure) over the SHA-256 hash */
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data, data.len,
		    dig) != 0) {
			(void)snprintf(err, errlen, "SHA-256 failed");
			goto out;
		}
		in.data = dig;
		in.size = sizeof(dig);
		r = gnutls_privkey_sign_data2(k->key, GNUTLS_SIGN_EDDSA_ED25519,
		    0, &in, &sig);
	}
	if (r < 0) {
		(void)snprintf(err, errlen, "signing: %s", gnutls_strerror(r));
		goto out;
	}
	/* b= in lines of 64, folded: whitespace in b= is ignored (§3.5) */
	for (i = 0; i < sig.size; i += 48)
		if ((i > 0 && buf_puts(&hdr, "\r\n\t  ") == -1) ||
		    dkim_b64(&hdr, sig.data + i, sig.size - i < 48 ?
		    sig.size - i : 48) == -1)
			goto full;
	if (buf_puts(&hdr, "\r\n") == -1 ||
	    buf_append(out, hdr.data, hdr.len) == -1)
		goto full;
	ret = 0;
	goto out;
full:
	(void)snprintf(err, errlen, "the signature does not fit");
out:
	gnutls_free(sig.data);
	buf_free(&hdr);
	buf_free(&data);
	return ret;
}

int
dkim_record(const struct dkim_key *k, struct buf *out)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t d = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	int ret = -1, r;

	if (gnutls_pubkey_init(&pub) < 0)
		return -1;
	if (gnutls_pubkey_import_privkey(pub, k->key, 0, 0) < 0)
		goto out;
	if (k->alg == DKIM_RSA_SHA256)
		r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d);
	else
		r = gnutls_pubkey_export_ecc_raw2(pub, &curve, &d, NULL, 0);
	if (r < 0)
		goto out;
	/* s=tlsrpt: the key signs reports only (RFC 8460 §3, RFC 6376
	   §3.6.1) */
	if (buf_printf(out, "v=DKIM1; k=%s; s=tlsrpt; p=", k->alg ==
	    DKIM_RSA_SHA256 ? "rsa" : "ed25519") == 0 &&
	    dkim_b64(out, d.data, d.size) == 0)
		ret = 0;
out:
	gnutls_free(d.data);
	gnutls_pubkey_deinit(pub);
	return ret;
}
