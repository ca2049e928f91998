/*
 * test_dane.c: unit tests for policy/dane.c: TLSA RDATA and usability
 * (tables), the DER reader (every fixture, then malformed and truncated
 * certificates), the association data against digests computed here
 * with GnuTLS's public-key export, the matcher over the fixture chains of
 * tests/unit/fixtures/dane (table: DANE-EE, DANE-TA by certificate, by a
 * key or a certificate not in the chain, the forged chain, expired leaf
 * and intermediate, wrong and wildcard names, CN fallback, CA flags, path
 * length, precedence among records), and a quick fuzz: every truncation
 * and a flipped bit in every byte of a leaf and of an intermediate,
 * then random mutations and random records from a fixed seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "policy/dane.h"

#ifndef TEST_DANE_DIR
#define TEST_DANE_DIR	"tests/unit/fixtures/dane"
#endif

#define T_NOW		((time_t)1893456000)	/* 2030-01-01 */
#define T_BEFORE	((time_t)1685577600)	/* 2023-06-01 */
#define T_FAR		((time_t)7258118400)	/* 2200-01-01 */

static const char *const fixture_names[] = {
	"root", "inter", "leaf", "wrongname", "expired", "inter-expired",
	"leaf-oldint", "rogue-root", "rogue-leaf", "fstar", "cnonly", "cnsan",
	"notca", "leaf-notca", "inter0", "sub0", "leaf-sub0", "selfsigned",
};
#define NFIX	(sizeof(fixture_names) / sizeof(fixture_names[0]))
static gnutls_datum_t fixture[NFIX];

/* The DER of fixture name; fails the test for an unknown name. */
static const gnutls_datum_t *
fx(const char *name)
{
	size_t i;

	for (i = 0; i < NFIX; i++)
		if (strcmp(fixture_names[i], name) == 0)
			return &fixture[i];
	fail_msg("no fixture %s", name);
	return NULL;
}

static int
setup(void **state)
{
	gnutls_datum_t pem;
	char path[512];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < NFIX; i++) {
		n = snprintf(path, sizeof(path), "%s/%s.pem", TEST_DANE_DIR,
		    fixture_names[i]);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    gnutls_load_file(path, &pem) < 0) {
			fprintf(stderr, "cannot read %s\n", path);
			return -1;
		}
		if (gnutls_pem_base64_decode2("CERTIFICATE", &pem,
		    &fixture[i]) < 0) {
			fprintf(stderr, "no certificate in %s\n", path);
			return -1;
		}
		gnutls_free(pem.data);
	}
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NFIX; i++)
		gnutls_free(fixture[i].data);
	return 0;
}

/*
 * The association data of a certificate computed without dane.c: the
 * SubjectPublicKeyInfo as GnuTLS exports the parsed key.
 */
static size_t
ref_data(const gnutls_datum_t *der, uint8_t sel, uint8_t mtype, uint8_t *out,
    size_t size)
{
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t key;
	gnutls_datum_t spki = { NULL, 0 };
	const void *p = der->data;
	size_t len = der->size;

	if (sel == 1) {
		assert_int_equal(gnutls_x509_crt_init(&crt), 0);
		assert_int_equal(gnutls_x509_crt_import(crt, der,
		    GNUTLS_X509_FMT_DER), 0);
		assert_int_equal(gnutls_pubkey_init(&key), 0);
		assert_int_equal(gnutls_pubkey_import_x509(key, crt, 0), 0);
		assert_int_equal(gnutls_pubkey_export2(key,
		    GNUTLS_X509_FMT_DER, &spki), 0);
		gnutls_pubkey_deinit(key);
		gnutls_x509_crt_deinit(crt);
		p = spki.data;
		len = spki.size;
	}
	switch (mtype) {
	case 0:
		assert_true(len <= size);
		memcpy(out, p, len);
		break;
	case 1:
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, p, len,
		    out), 0);
		len = 32;
		break;
	default:
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA512, p, len,
		    out), 0);
		len = 64;
		break;
	}
	gnutls_free(spki.data);
	return len;
}

/* ---- records ------------------------------------------------------------ */

static void
test_tlsa_parse(void **state)
{
	static const uint8_t rd[] = { 3, 1, 1, 0xaa, 0xbb };
	struct dane_tlsa t;
	size_t len;

	(void)state;
	for (len = 0; len < 4; len++)
		assert_int_equal(dane_tlsa_parse(rd, len, &t), -1);
	assert_int_equal(dane_tlsa_parse(NULL, 5, &t), -1);
	assert_int_equal(dane_tlsa_parse(rd, 4, &t), 0);
	assert_int_equal(t.usage, 3);
	assert_int_equal(t.selector, 1);
	assert_int_equal(t.mtype, 1);
	assert_ptr_equal(t.data, rd + 3);
	assert_int_equal(t.len, 1);
	assert_int_equal(dane_tlsa_parse(rd, sizeof(rd), &t), 0);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.data[1], 0xbb);
}

static void
test_tlsa_usable(void **state)
{
	static const uint8_t data[80];
	static const struct {
		uint8_t	u, s, m;
		size_t	len;
		int	usable;
	} t[] = {
		{ 3, 1, 1, 32, 1 }, { 3, 0, 1, 32, 1 }, { 2, 1, 1, 32, 1 },
		{ 2, 0, 1, 32, 1 }, { 3, 1, 2, 64, 1 }, { 2, 0, 2, 64, 1 },
		{ 3, 1, 0, 1, 1 }, { 2, 0, 0, 80, 1 }, { 3, 0, 0, 1, 1 },
		/* digests of the wrong length */
		{ 3, 1, 1, 31, 0 }, { 3, 1, 1, 33, 0 }, { 3, 1, 1, 64, 0 },
		{ 2, 1, 2, 32, 0 }, { 2, 1, 2, 63, 0 }, { 3, 1, 1, 0, 0 },
		{ 3, 1, 0, 0, 0 },
		/* PKIX usages are unusable for SMTP (RFC 7672 §3.1.3) */
		{ 0, 0, 1, 32, 0 }, { 1, 1, 1, 32, 0 }, { 0, 1, 0, 5, 0 },
		/* unknown values */
		{ 4, 1, 1, 32, 0 }, { 255, 1, 1, 32, 0 }, { 3, 2, 1, 32, 0 },
		{ 3, 255, 1, 32, 0 }, { 3, 1, 3, 32, 0 }, { 2, 0, 255, 32, 0 },
	};
	struct dane_tlsa r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.usage = t[i].u;
		r.selector = t[i].s;
		r.mtype = t[i].m;
		r.data = data;
		r.len = t[i].len;
		if (dane_tlsa_usable(&r) != t[i].usable)
			fail_msg("%u %u %u len %zu: expected %d", t[i].u,
			    t[i].s, t[i].m, t[i].len, t[i].usable);
	}
	r.usage = 3;
	r.selector = 1;
	r.mtype = 1;
	r.data = NULL;
	r.len = 32;
	assert_int_equal(dane_tlsa_usable(&r), 0);
}

static void
test_words(void **state)
{
	(void)state;
	assert_null(dane_failure(DANE_OK_EE));
	assert_null(dane_failure(DANE_OK_TA));
	assert_string_equal(dane_failure(DANE_FAIL_NOMATCH), "tlsa-invalid");
	assert_string_equal(dane_failure(DANE_FAIL_NAME),
	    "certificate-host-mismatch");
	assert_string_equal(dane_failure(DANE_FAIL_EXPIRED),
	    "certificate-expired");
	assert_string_equal(dane_failure(DANE_FAIL_CHAIN),
	    "validation-failure");
	assert_string_equal(dane_failure(DANE_FAIL_NOCERT),
	    "validation-failure");
	assert_string_equal(dane_verify_word(DANE_OK_EE), "dane-ee");
	assert_string_equal(dane_verify_word(DANE_OK_TA), "dane-ta");
	assert_string_equal(dane_verify_word(DANE_FAIL_NAME), "dane");
	assert_string_equal(dane_verify_word(DANE_FAIL_NOCERT), "dane");
}

/* ---- the DER reader and the association data ---------------------------- */

static void
test_der_parts(void **state)
{
	struct dane_der_parts p;
	uint8_t buf[4096];
	size_t i, len, rlen;

	(void)state;
	for (i = 0; i < NFIX; i++) {
		const gnutls_datum_t *d = &fixture[i];

		if (dane_der_parts(d->data, d->size, &p) != 0)
			fail_msg("%s does not parse", fixture_names[i]);
		/* the SPKI found is the one GnuTLS exports */
		rlen = ref_data(d, 1, 0, buf, sizeof(buf));
		assert_int_equal(p.spki_len, rlen);
		assert_memory_equal(p.spki, buf, rlen);
		assert_true(p.tbs > d->data && p.tbs + p.tbs_len <= p.sigalg);
		assert_true(p.sig + p.sig_len == d->data + d->size);
		/* every proper prefix is refused */
		for (len = 0; len < d->size; len++)
			if (dane_der_parts(d->data, len, &p) != -1)
				fail_msg("%s cut at %zu parses",
				    fixture_names[i], len);
		/* a byte after the certificate is refused */
		assert_true(d->size < sizeof(buf));
		memcpy(buf, d->data, d->size);
		buf[d->size] = 0;
		assert_int_equal(dane_der_parts(buf, d->size + 1, &p), -1);
	}

	/* hand-made malformed encodings */
	{
		static const struct {
			const char	*what;
			uint8_t		 b[16];
			size_t		 len;
		} t[] = {
			{ "empty", { 0 }, 0 },
			{ "one byte", { 0x30 }, 1 },
			{ "not a SEQUENCE", { 0x31, 0x00 }, 2 },
			{ "empty SEQUENCE", { 0x30, 0x00 }, 2 },
			{ "indefinite length", { 0x30, 0x80, 0, 0 }, 4 },
			{ "five length octets", { 0x30, 0x85, 0, 0, 0, 0, 1,
			    0 }, 8 },
			{ "non-minimal length", { 0x30, 0x81, 0x02, 0x30,
			    0x00 }, 5 },
			{ "leading zero length", { 0x30, 0x82, 0x00, 0x02,
			    0x30, 0x00 }, 6 },
			{ "length past the end", { 0x30, 0x84, 0xff, 0xff,
			    0xff, 0xff, 0x30 }, 7 },
			{ "tbs only", { 0x30, 0x02, 0x30, 0x00 }, 4 },
			{ "no signature", { 0x30, 0x04, 0x30, 0x00, 0x30,
			    0x00 }, 6 },
			{ "empty tbs", { 0x30, 0x09, 0x30, 0x00, 0x30, 0x00,
			    0x03, 0x03, 0x00, 0x01, 0x02 }, 11 },
		};

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (dane_der_parts(t[i].b, t[i].len, &p) != -1)
				fail_msg("%s parses", t[i].what);
		assert_int_equal(dane_der_parts(NULL, 10, &p), -1);
	}

	/* a length under 128 in the long form (version: a0 81 03 ...) */
	{
		const gnutls_datum_t *d = fx("leaf");
		size_t th;

		assert_true(d->data[1] == 0x82 && d->data[5] == 0x82 &&
		    d->data[8] == 0xa0 && d->data[9] == 0x03);
		memcpy(buf, d->data, 9);
		buf[9] = 0x81;
		memcpy(buf + 10, d->data + 9, d->size - 9);
		for (th = 2; th <= 6; th += 4) {	/* outer, tbs: +1 */
			len = ((size_t)buf[th] << 8 | buf[th + 1]) + 1;
			buf[th] = (uint8_t)(len >> 8);
			buf[th + 1] = (uint8_t)len;
		}
		assert_int_equal(dane_der_parts(buf, d->size + 1, &p), -1);
	}

	/* the signature's unused-bits octet, the inner algorithm */
	{
		const gnutls_datum_t *d = fx("leaf");
		struct dane_der_parts q;
		size_t off;

		assert_int_equal(dane_der_parts(d->data, d->size, &q), 0);
		memcpy(buf, d->data, d->size);
		off = (size_t)(q.sig - d->data) - 1;
		assert_int_equal(buf[off], 0);
		buf[off] = 1;
		assert_int_equal(dane_der_parts(buf, d->size, &p), -1);
		memcpy(buf, d->data, d->size);
		/* the last byte of the outer AlgorithmIdentifier */
		off = (size_t)(q.sigalg - d->data) + q.sigalg_len - 1;
		buf[off] ^= 0x01;
		assert_int_equal(dane_der_parts(buf, d->size, &p), -1);
	}
}

static void
test_tlsa_data(void **state)
{
	static const char *const names[] = { "leaf", "root", "selfsigned" };
	uint8_t out[4096], ref[4096];
	size_t i, s, m, len, rlen;

	(void)state;
	for (i = 0; i < 3; i++)
		for (s = 0; s < 2; s++)
			for (m = 0; m < 3; m++) {
				const gnutls_datum_t *d = fx(names[i]);

				len = sizeof(out);
				assert_int_equal(dane_tlsa_data(d, (uint8_t)s,
				    (uint8_t)m, out, &len), 0);
				rlen = ref_data(d, (uint8_t)s, (uint8_t)m, ref,
				    sizeof(ref));
				assert_int_equal(len, rlen);
				assert_memory_equal(out, ref, rlen);
			}
	/* too small, unknown selector or type, not a certificate */
	len = 31;
	assert_int_equal(dane_tlsa_data(fx("leaf"), 1, 1, out, &len), -1);
	assert_int_equal(len, 31);
	len = sizeof(out);
	assert_int_equal(dane_tlsa_data(fx("leaf"), 2, 1, out, &len), -1);
	assert_int_equal(dane_tlsa_data(fx("leaf"), 1, 3, out, &len), -1);
	{
		gnutls_datum_t junk = { (unsigned char *)"not a cert", 10 };

		assert_int_equal(dane_tlsa_data(&junk, 1, 1, out, &len), -1);
	}
}

/* ---- the matcher ----------------------------------------------------- */

enum { R_NONE, R_CERT, R_GARBAGE, R_SHORT };

struct rspec {
	uint8_t		 u, s, m;
	const char	*cert;		/* the data: this fixture's */
	int		 kind;		/* R_CERT, or other data */
};
#define R(u, s, m, c)	{ u, s, m, c, R_CERT }
#define RG(u, s, m)	{ u, s, m, NULL, R_GARBAGE }

struct mcase {
	const char	*what;
	const char	*chain[8];
	struct rspec	 recs[4];
	const char	*names[DANE_NAMES_MAX];
	time_t		 now;
	int		 verdict;
	int		 record;
};

#define MX	{ "mx.example.org" }

static const struct mcase mcases[] = {
	/* DANE-EE(3): the leaf alone, no name, no dates */
	{ "3 1 1 self-signed", { "selfsigned" },
	    { R(3, 1, 1, "selfsigned") }, { "nothing.example" }, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 0 1", { "selfsigned" }, { R(3, 0, 1, "selfsigned") }, MX, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 0 2", { "selfsigned" }, { R(3, 0, 2, "selfsigned") }, MX, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 1 2", { "selfsigned" }, { R(3, 1, 2, "selfsigned") }, MX, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 0 0", { "selfsigned" }, { R(3, 0, 0, "selfsigned") }, MX, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 1 0", { "selfsigned" }, { R(3, 1, 0, "selfsigned") }, MX, T_NOW,
	    DANE_OK_EE, 0 },
	{ "3 1 1 CA-issued leaf, no names, after expiry", { "leaf", "inter" },
	    { R(3, 1, 1, "leaf") }, { NULL }, T_FAR, DANE_OK_EE, 0 },
	{ "3 1 1 expired leaf", { "expired" }, { R(3, 1, 1, "expired") }, MX,
	    T_NOW, DANE_OK_EE, 0 },
	{ "3 1 1 wrong-name leaf", { "wrongname", "inter" },
	    { R(3, 1, 1, "wrongname") }, MX, T_NOW, DANE_OK_EE, 0 },
	{ "3 1 1 of the intermediate", { "leaf", "inter" },
	    { R(3, 1, 1, "inter") }, MX, T_NOW, DANE_FAIL_NOMATCH, -1 },
	{ "3 1 1 other data", { "leaf", "inter" }, { RG(3, 1, 1) }, MX, T_NOW,
	    DANE_FAIL_NOMATCH, -1 },
	{ "3 1 1 after a non-matching one", { "leaf" },
	    { RG(3, 1, 1), RG(3, 0, 2), R(3, 1, 1, "leaf") }, MX, T_NOW,
	    DANE_OK_EE, 2 },
	{ "a digest too short is unusable", { "leaf" },
	    { { 3, 1, 1, "leaf", R_SHORT } }, MX, T_NOW, DANE_FAIL_NOMATCH,
	    -1 },
	{ "PKIX-EE(1) is unusable", { "leaf", "inter" },
	    { R(1, 1, 1, "leaf"), R(0, 0, 1, "root") }, MX, T_NOW,
	    DANE_FAIL_NOMATCH, -1 },

	/* DANE-TA(2) by a certificate of the chain */
	{ "2 0 1 root", { "leaf", "inter", "root" }, { R(2, 0, 1, "root") },
	    MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 1 1 intermediate", { "leaf", "inter" }, { R(2, 1, 1, "inter") },
	    MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 1 2 intermediate, root sent", { "leaf", "inter", "root" },
	    { R(2, 1, 2, "inter") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 0 0 root sent", { "leaf", "inter", "root" },
	    { R(2, 0, 0, "root") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 1 0 root sent", { "leaf", "inter", "root" },
	    { R(2, 1, 0, "root") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "chain out of order", { "leaf", "root", "inter" },
	    { R(2, 0, 1, "root") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "chain with duplicates and strangers", { "leaf", "rogue-root",
	    "inter", "inter", "wrongname", "root" }, { R(2, 0, 1, "root") },
	    MX, T_NOW, DANE_OK_TA, 0 },
	{ "second reference name", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, { "example.org", NULL,
	    "mx.example.org" }, T_NOW, DANE_OK_TA, 0 },
	{ "name in other case with a dot", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, { "MX.Example.ORG." }, T_NOW,
	    DANE_OK_TA, 0 },
	{ "wildcard SAN, one label", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, { "a.wild.example.org" }, T_NOW,
	    DANE_OK_TA, 0 },
	{ "wildcard SAN, two labels", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, { "a.b.wild.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },
	{ "wildcard SAN, no label", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, { "wild.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },
	{ "no reference name", { "leaf", "inter" }, { R(2, 1, 1, "inter") },
	    { NULL }, T_NOW, DANE_FAIL_NAME, 0 },
	{ "wrong name", { "wrongname", "inter" }, { R(2, 1, 1, "inter") }, MX,
	    T_NOW, DANE_FAIL_NAME, 0 },
	{ "f*.example.org is no wildcard", { "fstar", "inter" },
	    { R(2, 1, 1, "inter") }, { "foo.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },
	{ "f*.example.org matches no literal either", { "fstar", "inter" },
	    { R(2, 1, 1, "inter") }, { "f.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },
	{ "CN without dNSName", { "cnonly", "inter" },
	    { R(2, 1, 1, "inter") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "CN without dNSName, other name", { "cnonly", "inter" },
	    { R(2, 1, 1, "inter") }, { "other.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },
	{ "CN ignored beside a dNSName", { "cnsan", "inter" },
	    { R(2, 1, 1, "inter") }, MX, T_NOW, DANE_FAIL_NAME, 0 },
	{ "the dNSName beside the CN", { "cnsan", "inter" },
	    { R(2, 1, 1, "inter") }, { "other.example.net" }, T_NOW,
	    DANE_OK_TA, 0 },
	{ "expired leaf", { "expired", "inter" }, { R(2, 1, 1, "inter") }, MX,
	    T_NOW, DANE_FAIL_EXPIRED, 0 },
	{ "leaf not yet valid", { "leaf", "inter" }, { R(2, 1, 1, "inter") },
	    MX, T_BEFORE, DANE_FAIL_EXPIRED, 0 },
	{ "leaf expired long ago", { "leaf", "inter" },
	    { R(2, 1, 1, "inter") }, MX, T_FAR, DANE_FAIL_EXPIRED, 0 },
	{ "expired intermediate under the anchor",
	    { "leaf-oldint", "inter-expired", "root" },
	    { R(2, 0, 1, "root") }, MX, T_NOW, DANE_FAIL_EXPIRED, 0 },
	{ "expired anchor: its dates are not checked",
	    { "leaf-oldint", "inter-expired" },
	    { R(2, 1, 1, "inter-expired") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "forged: rogue leaf, real root appended", { "rogue-leaf", "root" },
	    { R(2, 0, 1, "root") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "forged: rogue chain, real root appended",
	    { "rogue-leaf", "rogue-root", "root" }, { R(2, 0, 1, "root") }, MX,
	    T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "forged: rogue leaf, real intermediate and root",
	    { "rogue-leaf", "inter", "root" }, { R(2, 1, 1, "root") }, MX,
	    T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "forged: real root's name, not its key",
	    { "rogue-leaf", "rogue-root" }, { R(2, 0, 1, "root") }, MX, T_NOW,
	    DANE_FAIL_NOMATCH, -1 },
	{ "issuer not a CA", { "leaf-notca", "notca", "inter" },
	    { R(2, 1, 1, "inter") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "anchor not a CA", { "leaf-notca", "notca" },
	    { R(2, 1, 1, "notca") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "path length", { "leaf-sub0", "sub0", "inter0", "root" },
	    { R(2, 0, 1, "root") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "path length of the anchor", { "leaf-sub0", "sub0", "inter0" },
	    { R(2, 0, 1, "inter0") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "anchor below the path length", { "leaf-sub0", "sub0", "inter0" },
	    { R(2, 0, 1, "sub0") }, MX, T_NOW, DANE_OK_TA, 0 },
	/* the leaf as anchor: only when self-issued */
	{ "2 1 1 of a CA-issued leaf", { "leaf", "inter" },
	    { R(2, 1, 1, "leaf") }, MX, T_NOW, DANE_FAIL_NOMATCH, -1 },
	{ "2 1 1 of a CA-issued leaf sent twice", { "leaf", "leaf", "inter" },
	    { R(2, 1, 1, "leaf") }, MX, T_NOW, DANE_FAIL_NOMATCH, -1 },
	{ "2 0 1 of a self-signed leaf", { "selfsigned" },
	    { R(2, 0, 1, "selfsigned") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 0 1 of a self-signed leaf, wrong name", { "selfsigned" },
	    { R(2, 0, 1, "selfsigned") }, { "other.example.org" }, T_NOW,
	    DANE_FAIL_NAME, 0 },

	/* DANE-TA(2) 2 1 0 and 2 0 0 not in the chain (RFC 7671 §5.2) */
	{ "2 1 0 root key, root not sent", { "leaf", "inter" },
	    { R(2, 1, 0, "root") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 1 0 intermediate key, only the leaf sent", { "leaf" },
	    { R(2, 1, 0, "inter") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 1 0 root key, rogue chain", { "rogue-leaf", "rogue-root" },
	    { R(2, 1, 0, "root") }, MX, T_NOW, DANE_FAIL_NOMATCH, -1 },
	{ "2 1 0 root key, expired intermediate",
	    { "leaf-oldint", "inter-expired" }, { R(2, 1, 0, "root") }, MX,
	    T_NOW, DANE_FAIL_EXPIRED, 0 },
	{ "2 1 0 root key, wrong name", { "wrongname", "inter" },
	    { R(2, 1, 0, "root") }, MX, T_NOW, DANE_FAIL_NAME, 0 },
	{ "2 1 0 root key, path length", { "leaf-sub0", "sub0", "inter0" },
	    { R(2, 1, 0, "root") }, MX, T_NOW, DANE_FAIL_CHAIN, 0 },
	{ "2 1 0 not a key", { "leaf", "inter" }, { RG(2, 1, 0) }, MX, T_NOW,
	    DANE_FAIL_NOMATCH, -1 },
	{ "2 0 0 root, root not sent", { "leaf", "inter" },
	    { R(2, 0, 0, "root") }, MX, T_NOW, DANE_OK_TA, 0 },
	{ "2 0 0 root, expired intermediate",
	    { "leaf-oldint", "inter-expired" }, { R(2, 0, 0, "root") }, MX,
	    T_NOW, DANE_FAIL_EXPIRED, 0 },
	{ "2 0 0 not a certificate", { "leaf", "inter" }, { RG(2, 0, 0) }, MX,
	    T_NOW, DANE_FAIL_NOMATCH, -1 },

	/* several records: any success wins, else the most specific */
	{ "DANE-EE after a failing DANE-TA", { "wrongname", "inter" },
	    { R(2, 1, 1, "inter"), R(3, 1, 1, "wrongname") }, MX, T_NOW,
	    DANE_OK_EE, 1 },
	{ "name failure over no match", { "wrongname", "inter" },
	    { RG(3, 1, 1), R(2, 1, 1, "rogue-root"), R(2, 1, 1, "inter") },
	    MX, T_NOW, DANE_FAIL_NAME, 2 },
	{ "name failure over chain failure", { "wrongname", "rogue-root",
	    "inter" }, { R(2, 0, 1, "rogue-root"), R(2, 1, 1, "inter") }, MX,
	    T_NOW, DANE_FAIL_NAME, 1 },
	{ "name failure over a later chain failure", { "wrongname",
	    "rogue-root", "inter" }, { R(2, 1, 1, "inter"),
	    R(2, 0, 1, "rogue-root") }, MX, T_NOW, DANE_FAIL_NAME, 0 },
	{ "expiry over chain failure", { "expired", "rogue-root", "inter" },
	    { R(2, 0, 1, "rogue-root"), R(2, 1, 1, "inter") }, MX, T_NOW,
	    DANE_FAIL_EXPIRED, 1 },
	{ "chain failure over no match", { "rogue-leaf", "root" },
	    { RG(2, 0, 1), R(2, 0, 1, "root"), RG(3, 1, 1) }, MX, T_NOW,
	    DANE_FAIL_CHAIN, 1 },
	{ "a TA success after a TA failure", { "leaf", "rogue-root", "inter",
	    "root" }, { R(2, 0, 1, "rogue-root"), R(2, 0, 1, "root") }, MX,
	    T_NOW, DANE_OK_TA, 1 },
};

/* Builds the records of a case into recs, their data into store. */
static size_t
mk_recs(const struct rspec *spec, size_t nspec, struct dane_tlsa *recs,
    uint8_t (*store)[4096])
{
	size_t i, n = 0, len;

	for (i = 0; i < nspec; i++) {
		const struct rspec *s = &spec[i];

		if (s->kind == R_NONE)
			break;
		if (s->kind == R_GARBAGE) {
			len = s->m == 1 ? 32 : s->m == 2 ? 64 : 200;
			memset(store[n], 0x5a, len);
		} else {
			len = ref_data(fx(s->cert), s->s, s->m, store[n],
			    sizeof(store[n]));
			if (s->kind == R_SHORT)
				len--;
		}
		recs[n].usage = s->u;
		recs[n].selector = s->s;
		recs[n].mtype = s->m;
		recs[n].data = store[n];
		recs[n].len = len;
		n++;
	}
	return n;
}

static void
test_match(void **state)
{
	static uint8_t store[4][4096];
	struct dane_tlsa recs[4];
	struct dane_result res;
	gnutls_datum_t chain[8];
	size_t i, nchain, nrecs;
	int v;

	(void)state;
	for (i = 0; i < sizeof(mcases) / sizeof(mcases[0]); i++) {
		const struct mcase *c = &mcases[i];

		for (nchain = 0; nchain < 8 && c->chain[nchain] != NULL;
		    nchain++)
			chain[nchain] = *fx(c->chain[nchain]);
		nrecs = mk_recs(c->recs, 4, recs, store);
		memset(&res, 0x7f, sizeof(res));
		v = dane_match(chain, nchain, recs, nrecs, c->names,
		    DANE_NAMES_MAX, c->now, &res);
		if (v != res.verdict || res.verdict != c->verdict ||
		    res.record != c->record)
			fail_msg("%s: verdict %d record %d (%s), expected %d "
			    "record %d", c->what, res.verdict, res.record,
			    res.detail, c->verdict, c->record);
		assert_true(memchr(res.detail, '\0', sizeof(res.detail)) !=
		    NULL);
		assert_true(res.detail[0] != '\0');
		print_message("# %s: %s\n", c->what, res.detail);
	}
}

static void
test_match_edges(void **state)
{
	static uint8_t store[4][4096];
	static const struct rspec ee[] = { R(3, 1, 1, "leaf"),
	    R(2, 0, 1, "root") };
	const char *names[] = { "mx.example.org" };
	struct dane_tlsa recs[4];
	struct dane_result res;
	gnutls_datum_t chain[DANE_CHAIN_MAX + 4];
	gnutls_datum_t junk = { (unsigned char *)"junk", 4 };
	size_t nrecs, i;

	(void)state;
	nrecs = mk_recs(ee, 2, recs, store);
	/* no chain */
	assert_int_equal(dane_match(NULL, 0, recs, nrecs, names, 1, T_NOW,
	    &res), DANE_FAIL_NOCERT);
	assert_int_equal(res.record, -1);
	chain[0] = *fx("leaf");
	assert_int_equal(dane_match(chain, 0, recs, nrecs, names, 1, T_NOW,
	    &res), DANE_FAIL_NOCERT);
	/* a leaf that is no certificate */
	chain[0] = junk;
	chain[1] = *fx("inter");
	assert_int_equal(dane_match(chain, 2, recs, nrecs, names, 1, T_NOW,
	    &res), DANE_FAIL_NOCERT);
	/* an intermediate that is none does not hurt DANE-EE */
	chain[0] = *fx("leaf");
	chain[1] = junk;
	assert_int_equal(dane_match(chain, 2, recs, nrecs, names, 1, T_NOW,
	    &res), DANE_OK_EE);
	/* nor DANE-TA when the path goes around it */
	chain[2] = *fx("inter");
	chain[3] = *fx("root");
	assert_int_equal(dane_match(chain, 4, recs + 1, 1, names, 1, T_NOW,
	    &res), DANE_OK_TA);
	/* no records, NULL names */
	assert_int_equal(dane_match(chain, 1, NULL, 0, NULL, 3, T_NOW, &res),
	    DANE_FAIL_NOMATCH);
	assert_string_equal(res.detail, "no usable TLSA record");
	chain[1] = *fx("inter");
	chain[2] = *fx("root");
	assert_int_equal(dane_match(chain, 2, recs + 1, 1, NULL, 3, T_NOW,
	    &res), DANE_FAIL_NOMATCH);
	assert_int_equal(dane_match(chain, 3, recs + 1, 1, NULL, 3, T_NOW,
	    &res), DANE_FAIL_NAME);
	/* only DANE_NAMES_MAX names are looked at */
	{
		const char *many[DANE_NAMES_MAX + 1];

		for (i = 0; i < DANE_NAMES_MAX; i++)
			many[i] = "other.example";
		many[DANE_NAMES_MAX] = "mx.example.org";
		chain[2] = *fx("root");
		assert_int_equal(dane_match(chain, 3, recs + 1, 1, many,
		    DANE_NAMES_MAX + 1, T_NOW, &res), DANE_FAIL_NAME);
		assert_int_equal(dane_match(chain, 3, recs + 1, 1, many + 1,
		    DANE_NAMES_MAX, T_NOW, &res), DANE_OK_TA);
	}
	/* the root beyond DANE_CHAIN_MAX is not looked at */
	chain[0] = *fx("leaf");
	for (i = 1; i < DANE_CHAIN_MAX + 2; i++)
		chain[i] = *fx("inter");
	chain[DANE_CHAIN_MAX + 2] = *fx("root");
	assert_int_equal(dane_match(chain, DANE_CHAIN_MAX + 3, recs + 1, 1,
	    names, 1, T_NOW, &res), DANE_FAIL_NOMATCH);
	chain[DANE_CHAIN_MAX - 1] = *fx("root");
	assert_int_equal(dane_match(chain, DANE_CHAIN_MAX + 3, recs + 1, 1,
	    names, 1, T_NOW, &res), DANE_OK_TA);
	/* a leaf whose serial changed: names intact, signature broken */
	{
		const gnutls_datum_t *d = fx("leaf");
		struct dane_der_parts pp;
		uint8_t copy[4096];
		const uint8_t *t;

		assert_int_equal(dane_der_parts(d->data, d->size, &pp), 0);
		t = pp.tbs + ((pp.tbs[1] & 0x80) ? 2 + (pp.tbs[1] & 0x7f) : 2);
		if (t[0] == 0xa0)
			t += 2 + t[1];
		assert_int_equal(t[0], 0x02);	/* the serial INTEGER */
		memcpy(copy, d->data, d->size);
		copy[(size_t)(t - d->data) + 2 + t[1] - 1] ^= 1;
		chain[0].data = copy;
		chain[0].size = d->size;
		chain[1] = *fx("inter");
		assert_int_equal(dane_match(chain, 2, recs + 1, 1, names, 1,
		    T_NOW, &res), DANE_FAIL_NOMATCH);
		nrecs = mk_recs((const struct rspec[]){ R(2, 1, 1, "inter"),
		    R(2, 1, 0, "inter"), R(3, 1, 1, "leaf") }, 3, recs, store);
		assert_int_equal(dane_match(chain, 2, recs, 1, names, 1,
		    T_NOW, &res), DANE_FAIL_CHAIN);
		assert_non_null(strstr(res.detail, "signature"));
		assert_int_equal(dane_match(chain, 1, recs + 1, 1, names, 1,
		    T_NOW, &res), DANE_FAIL_NOMATCH);
		/* DANE-EE does not care: the key is the same */
		assert_int_equal(dane_match(chain, 2, recs, 3, names, 1,
		    T_NOW, &res), DANE_OK_EE);
		assert_int_equal(res.record, 2);
		nrecs = mk_recs(ee, 2, recs, store);
		chain[0] = *fx("leaf");
	}
	/* the detail says which certificate and when */
	nrecs = mk_recs((const struct rspec[]){ R(2, 1, 1, "inter") }, 1,
	    recs, store);
	chain[0] = *fx("expired");
	chain[1] = *fx("inter");
	assert_int_equal(dane_match(chain, 2, recs, nrecs, names, 1, T_NOW,
	    &res), DANE_FAIL_EXPIRED);
	assert_string_equal(res.detail, "TLSA 2 1 1 matched chain[1], but "
	    "chain[0] expired on 2001-01-01");
	chain[0] = *fx("leaf");
	assert_int_equal(dane_match(chain, 2, recs, nrecs, names, 1,
	    T_BEFORE, &res), DANE_FAIL_EXPIRED);
	assert_string_equal(res.detail, "TLSA 2 1 1 matched chain[1], but "
	    "chain[0] is not valid before 2024-01-01");
	nrecs = mk_recs(ee, 2, recs, store);

	/* unusable records are skipped even when passed */
	recs[0].mtype = 7;
	chain[1] = *fx("inter");
	assert_int_equal(dane_match(chain, 1, recs, 1, names, 1, T_NOW, &res),
	    DANE_FAIL_NOMATCH);
	assert_string_equal(res.detail, "no usable TLSA record");
}

/* ---- fuzz ------------------------------------------------------------ */

static uint64_t fuzz_state = 0x5ea1b057d4e11a5eULL;

static uint32_t
fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (uint32_t)(fuzz_state >> 32);
}

/*
 * Mutations of chain[which] under records that pass with the original:
 * no crash, no sanitizer report, and never a DANE-TA success from a
 * certificate whose signed bytes or signature changed.
 */
static void
fuzz_one(const char *what, const gnutls_datum_t *orig, size_t nchain,
    size_t which, const struct dane_tlsa *recs, size_t nrecs)
{
	const char *names[] = { "mx.example.org" };
	const gnutls_datum_t *o = &orig[which];
	gnutls_datum_t chain[4];
	struct dane_der_parts parts;
	struct dane_result res;
	uint8_t *buf, md[64];
	size_t i, len, mdlen;
	int v;

	assert_true(nchain <= 4);
	buf = malloc(o->size + 1);
	assert_non_null(buf);
	memcpy(chain, orig, nchain * sizeof(chain[0]));
	chain[which].data = buf;
	/* every truncation */
	for (len = 0; len < o->size; len++) {
		memcpy(buf, o->data, len);
		chain[which].size = (unsigned int)len;
		v = dane_match(chain, nchain, recs, nrecs, names, 1, T_NOW,
		    &res);
		if (which == 0 && v != DANE_FAIL_NOCERT)
			fail_msg("%s cut at %zu: %d", what, len, v);
		if (v == DANE_OK_TA)
			fail_msg("%s cut at %zu passes DANE-TA", what, len);
		mdlen = sizeof(md);
		assert_int_equal(dane_tlsa_data(&chain[which], 1, 1, md,
		    &mdlen), -1);
	}
	/* a flipped bit in every byte (bit i % 8 of byte i) */
	chain[which].size = o->size;
	for (i = 0; i < (size_t)o->size; i++) {
		memcpy(buf, o->data, o->size);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		v = dane_match(chain, nchain, recs, nrecs, names, 1, T_NOW,
		    &res);
		if (v == DANE_OK_TA)
			fail_msg("%s with bit %zu flipped passes DANE-TA: %s",
			    what, i, res.detail);
		mdlen = sizeof(md);
		(void)dane_tlsa_data(&chain[which], (uint8_t)(i & 1), 2, md,
		    &mdlen);
	}
	/* random mutations: bytes overwritten, lengths changed */
	for (i = 0; i < 1000; i++) {
		size_t k, nmut = 1 + fuzz_rand() % 8;

		memcpy(buf, o->data, o->size);
		for (k = 0; k < nmut; k++)
			buf[fuzz_rand() % o->size] = (uint8_t)fuzz_rand();
		chain[which].size = o->size - (fuzz_rand() % 4 == 0 ?
		    fuzz_rand() % 16 : 0);
		(void)dane_match(chain, nchain, recs, nrecs, names, 1, T_NOW,
		    &res);
		(void)dane_der_parts(buf, chain[which].size, &parts);
	}
	free(buf);
}

static void
test_fuzz(void **state)
{
	static uint8_t store[4][4096];
	static const struct rspec ta[] = { R(2, 0, 1, "root"),
	    R(2, 1, 0, "root"), R(2, 1, 1, "inter") };
	static const struct rspec ta_key[] = { R(2, 1, 0, "root") };
	struct dane_tlsa recs[4];
	struct dane_result res;
	gnutls_datum_t chain[3];
	const char *names[] = { "mx.example.org" };
	size_t nrecs;

	(void)state;
	chain[0] = *fx("leaf");
	chain[1] = *fx("inter");
	chain[2] = *fx("root");
	nrecs = mk_recs(ta, 3, recs, store);
	/* each record passes alone with the original chain */
	assert_int_equal(dane_match(chain, 3, recs, 1, names, 1, T_NOW, &res),
	    DANE_OK_TA);
	assert_int_equal(dane_match(chain, 2, recs + 1, 1, names, 1, T_NOW,
	    &res), DANE_OK_TA);
	assert_int_equal(dane_match(chain, 3, recs + 2, 1, names, 1, T_NOW,
	    &res), DANE_OK_TA);
	fuzz_one("leaf", chain, 3, 0, recs, nrecs);
	fuzz_one("intermediate", chain, 3, 1, recs, 1);
	/* the key's signature on the intermediate (RSA), root not sent */
	nrecs = mk_recs(ta_key, 1, recs, store);
	fuzz_one("intermediate under a key", chain, 2, 1, recs, nrecs);

	/* random records against the real chain */
	{
		uint8_t data[300];
		struct dane_tlsa r;
		size_t i, k;

		for (i = 0; i < 1000; i++) {
			r.usage = (uint8_t)(2 + fuzz_rand() % 2);
			r.selector = (uint8_t)(fuzz_rand() % 2);
			r.mtype = (uint8_t)(fuzz_rand() % 3);
			r.len = r.mtype == 1 ? 32 : r.mtype == 2 ? 64 :
			    1 + fuzz_rand() % sizeof(data);
			for (k = 0; k < r.len; k++)
				data[k] = (uint8_t)fuzz_rand();
			r.data = data;
			if (dane_match(chain, 2, &r, 1, names, 1, T_NOW,
			    &res) < DANE_FAIL_NOMATCH)
				fail_msg("random record %u %u %u passes",
				    r.usage, r.selector, r.mtype);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsa_parse),
		cmocka_unit_test(test_tlsa_usable),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_der_parts),
		cmocka_unit_test(test_tlsa_data),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_edges),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
