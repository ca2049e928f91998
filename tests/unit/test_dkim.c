/*
 * test_dkim.c: unit tests for mta/lib/dkim.c (RFC 6376 relaxed/relaxed,
 * rsa-sha256, RFC 8463 ed25519-sha256; doc/design.md §8, §11): the
 * canonicalizations against answers computed with dkimpy 1.1.4
 * (python3-dkim: dkim.canonicalization.Relaxed, and the SHA-256 of the
 * canonical body), malformed fields, the keys accepted and refused, and
 * signatures checked with GnuTLS's public-key verify over the canonical
 * data rebuilt from the signed message.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/crypto.h>

#include "lib/dkim.h"

static const char rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDEg8BNXDDBRSnH\n"
    "2Q88YkAU9HR+gB82UwvwZmDZUgarE0qISREL46Sa5W5qaodlWEO6YuXBRdF8aL5Z\n"
    "YrWWqJXCElin8Les0iP9gPr06DdgbqhryecviO4lvIpO0BKhceQP5kmv/CHovWOX\n"
    "3hirFWQuMl0Nuq2nOuaLYhyx5sgwH4Jl6arpl4iRvK71ZSSGd+sw9toc0jaNr2fQ\n"
    "EE/exMBtqEH5SUqwxylfOHCQH6mDxixnhZSqQyU4jXjJjpNcjIy7lFzhw4qTRKpB\n"
    "JoW8Pn4iLF/bJItuLm+iAcAlrczp2BMwGZFkF0lxaaTnprKQPo799oyGFO/cbGbV\n"
    "8asKLntDAgMBAAECggEAI3lfIPfn6zOnh6aEzBM2WzIHx4AsYjual6J7kC9w+bfp\n"
    "R/HcrGdDIx0QkhA58c79putMa1fFqa4k0nDxs8kqA5cZPvPCzGVAzvXWF5jFylgf\n"
    "ehm/7IJM7y36T6DbBB7RmxcorSaYHnH1xQf4LwYVCAvaZWySBXKqBHZJFMpC0ADG\n"
    "wXrMxStRNulErLh+xknF8SuVOE8LVnzT7C9VPxyFj2qrYhDPptPITdrLqqgsEUND\n"
    "Z0jILn5B7U91QpIPW/FPT1VkpiL0Z2U6CcJHAeLEBicOmw7TPyJ3EP7GsaqtAvuu\n"
    "c98yb5g5D4F8uY7ml6nSTsxvL0qyWdj5TKY8R4LBhQKBgQD3xKb7xKzb0/B2iSRC\n"
    "d2XIZxbK/LrXYsCUzrC5no8AMFsAHQv/iXRH+oD80rnQeWw5KAvWshZ1F8cSDuDu\n"
    "e4xZWwNMK/A8AwmNGjJ+6BhBPjmpUeoR1QIa0yLAojCS8rzV6ZfO4J827YigbFVC\n"
    "GSXDUUXdAciHpNT6FP3V4gIuzQKBgQDLCyvZgNDJRzz1KIfTmQ/FsuptMT7LeFqF\n"
    "/fAly1I5YDYY2W7Xlm437Lyy+FA/S/80GVU0k9uIYDDG6fPab3JRuQiDSbyH7nzM\n"
    "6kVMBA1a330cQigbk+vPb+PiaRIe05e4EI7CGJn6LVq+HFpMFrU2sARwjaNkiZ4s\n"
    "SdyPu9YyTwKBgQCRRspOV3yvjK6zIiiTnGSew+t2bAe14N5gomy2+cSJbND+2Qk+\n"
    "9T6sMbLOC1UOaxPM07FVWqiWUbHU4cp7qw+ZGSdu01iSJ4nDJXg0Nyx5nN28bR5d\n"
    "BFOunNwErVTj5NZaaxQrJkPUtiRlRAAduJcO1imrs6778ec7F3HapiF3hQKBgGqH\n"
    "rPUMSf8g+lGid0lEyGqwyaCKsuisd8pPhr09pSFnYlq9UhOY4LFE62h3MhtTs01R\n"
    "cUwJu6gc19q1ivTzfiZ0j4valyk2rpIQ5FTS13LzSUAXUdXOUW3fxc/X0uMLn1G6\n"
    "ljwuDjOdsjuGwrWjQGa2CU5Icg7gyXVxN2DOa76vAoGAFksi1pm0SlEAr1QArjgi\n"
    "Bm2pTBmX5qyqPHdOUaMITh2j4dxbLKGp03FTwMKDmZx90uKDsNnk8wkv6eNp0lsA\n"
    "ZW3RJEorb9Wmq9Z+ED6lX0w5gqqHQNuqnQtPs+AxcJEqbAivFyjpe9Ws2t1Wwtda\n"
    "tIaOVYMXLlKBNMx1ZvMij0c=\n"
    "-----END PRIVATE KEY-----\n";
static const char ed_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIB55Joz0m/RG6ilRqmWlobskreWwv0q1iCWkl9dLXl3S\n"
    "-----END PRIVATE KEY-----\n";
static const char rsa1k_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALk4JogBIUTtElYl\n"
    "/QndGOGJVIB+DzlMkZfbR4r+/uIuSpf72Cvrr4gemuhllAn0eJzVH0cqVfWo3lOp\n"
    "puxW5FRIoqMELiDCUFX57KZFDnZzD0mCMFr4zdyImJlXyXtwEC52/17WR/Tvb+Xz\n"
    "sqomg+7aDtEP3fhDciYBGvpvIdOpAgMBAAECgYAgN+w77DZlTvfJlIIXnSYe1Uyl\n"
    "rUfop7ELwVEIlKKxpWvEVEKeITk/bFN16XV+5c+1OD1gm7SoLt+9nd0zb0n4MvcF\n"
    "W7PDTbHbMJEpBua89cyAe79iw6YJkihOKnOdVuGVKPfmOvtE/7hwXNQOtnM40nLx\n"
    "/6382tqO1NwOC/REoQJBAPYiZ0ShhCG/sALRXgBsY312QcfkU4gP04FmO2I+Mt5/\n"
    "lsuNDUmBIe9563WhxjxIJl/HgRN96d+EqT0lz4hVw5cCQQDApLHlbhgDb5KwOiVq\n"
    "L18HWacSJfoUBn8NnzolpmpJXr0oumA3aN5AJzNSq9kUaFo5sy6DHMP/KF/a41Eq\n"
    "pwq/AkBaIr8uoveAZHJQlduWzBqjF2t/iF4Otbz+5jFZCO4YDSFr6Xu0L1X+HOfd\n"
    "bCDscn+bE7RxLus2r55Khk453y6BAkEAgghpYDFRGjicrkGBccxp+58ja9eglxXP\n"
    "exVofXN4OPAvBKfRPHWX13veY8ZFsEXD6UCue6fWEIxjL2/TINRCJwJBAIDYNTQQ\n"
    "ou2MxtdESlSrv2GK1apWt7sxDOJw13gjbuFQuv4ihN7XmUwcZk+Cf/8bzWLzuw4j\n"
    "Ybist/r1ZTPW/U0=\n"
    "-----END PRIVATE KEY-----\n";

/* ---- relaxed header canonicalization (dkimpy's answers) ---- */

static const struct {
	const char	*in, *out;
} hdr_cases[] = {
	{ "From:  \"TLS reporting of mx.sender.test\"  "
	    "<postmaster@mx.sender.test>",
	  "from:\"TLS reporting of mx.sender.test\" "
	    "<postmaster@mx.sender.test>\r\n" },
	{ "SUBJECT:\tReport  Domain:\r\n good.test   \r\n",
	  "subject:Report Domain: good.test\r\n" },
	{ "To :<a@b.test>", "to:<a@b.test>\r\n" },
	{ "X-Empty:   ", "x-empty:\r\n" },
	{ "A: b\r\n\tc\r\n\t d", "a:b c d\r\n" },
};

static void
test_canon_header(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		buf_init(&b, 1024);
		assert_int_equal(dkim_canon_header(hdr_cases[i].in,
		    strlen(hdr_cases[i].in), 1, &b), 0);
		assert_int_equal(buf_append(&b, "", 1), 0);
		assert_string_equal(b.data, hdr_cases[i].out);
		buf_free(&b);
	}
	/* malformed: no colon, no name; a full buffer */
	buf_init(&b, 1024);
	assert_int_equal(dkim_canon_header("From", 4, 1, &b), -1);
	assert_int_equal(dkim_canon_header(" : x", 4, 1, &b), -1);
	buf_free(&b);
	buf_init(&b, 4);
	assert_int_equal(dkim_canon_header("Subject: x", 10, 1, &b), -1);
	buf_free(&b);
}

/* ---- relaxed body canonicalization and bh= (dkimpy's answers) ---- */

static const struct {
	const char	*in, *canon, *bh;
} body_cases[] = {
	{ "  Hello \t world  \r\n\r\nline\t\r\n \r\n\r\n",
	  " Hello world\r\n\r\nline\r\n",
	  "Ybl40uBgGm7BF7GvFGGQch/PIdXTk/S8RKG6417n0ag=" },
	{ "", "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "\r\n", "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "\r\n\r\n", "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "a", "a\r\n", "jkYhN5eG70Kk/sFVzVJcKR3X2zwf3jR4Ui9PYcA/0b0=" },
	{ " a\r\n", " a\r\n", "+XtPzaPbbZ5SxJybKNm0w8KWahR3VLbbOmDeeofaSbk=" },
};

static void
test_canon_body(void **state)
{
	struct buf b, m;
	char bh[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		buf_init(&b, 1024);
		assert_int_equal(dkim_canon_body(body_cases[i].in,
		    strlen(body_cases[i].in), &b), 0);
		assert_int_equal(b.len, strlen(body_cases[i].canon));
		if (b.len > 0)
			assert_memory_equal(b.data, body_cases[i].canon, b.len);
		buf_free(&b);
		buf_init(&m, 1024);
		assert_int_equal(buf_printf(&m, "Subject: x\r\n\r\n%s",
		    body_cases[i].in), 0);
		assert_int_equal(dkim_body_hash(m.data, m.len, bh,
		    sizeof(bh)), 0);
		assert_string_equal(bh, body_cases[i].bh);
		buf_free(&m);
	}
	/* no header/body separator, too small an output */
	assert_int_equal(dkim_body_hash("Subject: x\r\n", 12, bh,
	    sizeof(bh)), -1);
	assert_int_equal(dkim_body_hash("Subject: x\r\n\r\n", 14, bh,
	    10), -1);
}

/* ---- fields ---- */

static void
test_field(void **state)
{
	static const char msg[] = "From: a@b.test\r\nSubject: one\r\n"
	    "\ttwo\r\nsubject: last\r\nX: y\r\n\r\nbody\r\nFrom: no\r\n";
	const char *f;
	size_t flen;

	(void)state;
	assert_int_equal(dkim_field(msg, strlen(msg), "from", &f, &flen),
	    1);
	assert_int_equal(flen, 14);
	assert_memory_equal(f, "From: a@b.test", 14);
	/* the last one (RFC 6376 §5.4.2) */
	assert_int_equal(dkim_field(msg, strlen(msg), "Subject", &f,
	    &flen), 1);
	assert_memory_equal(f, "subject: last", flen);
	assert_int_equal(dkim_field(msg, strlen(msg), "X", &f, &flen), 1);
	assert_int_equal(flen, 4);
	assert_int_equal(dkim_field(msg, strlen(msg), "To", &f, &flen), 0);
	assert_int_equal(dkim_field(msg, strlen(msg), "Subj", &f, &flen),
	    0);
	assert_int_equal(dkim_field("From: a", 7, "From", &f, &flen), -1);
}

/* ---- keys ---- */

static void
test_keys(void **state)
{
	struct dkim_key k;
	struct buf b;
	char err[160], dom[64];

	(void)state;
	assert_int_equal(dkim_key_load(&k, rsa_pem, strlen(rsa_pem),
	    "sel", "sender.test", err, sizeof(err)), 0);
	assert_int_equal(k.alg, DKIM_RSA_SHA256);
	buf_init(&b, 4096);
	assert_int_equal(dkim_record(&k, &b), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	/* s=tlsrpt: RFC 8460 §3's service type */
	assert_true(strncmp(b.data, "v=DKIM1; k=rsa; s=tlsrpt; p=MIIBIjAN",
	    36) == 0);
	buf_free(&b);
	dkim_key_free(&k);
	assert_int_equal(dkim_key_load(&k, ed_pem, strlen(ed_pem),
	    "sel", "sender.test", err, sizeof(err)), 0);
	assert_int_equal(k.alg, DKIM_ED25519_SHA256);
	buf_init(&b, 4096);
	assert_int_equal(dkim_record(&k, &b), 0);
	/* p= the 32-octet key: 44 base64 characters */
	assert_int_equal(b.len, strlen("v=DKIM1; k=ed25519; s=tlsrpt; p=") +
	    44);
	assert_true(strncmp(b.data, "v=DKIM1; k=ed25519; s=tlsrpt; p=",
	    32) == 0);
	buf_free(&b);
	dkim_key_free(&k);
	/* refused: short RSA, not a key, a bad selector or domain */
	assert_int_equal(dkim_key_load(&k, rsa1k_pem, strlen(rsa1k_pem),
	    "sel", "sender.test", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1024"));
	assert_int_equal(dkim_key_load(&k, "-----BEGIN PRIVATE KEY-----\n"
	    "AAAA\n-----END PRIVATE KEY-----\n", 60, "sel", "sender.test", err,
	    sizeof(err)), -1);
	assert_int_equal(dkim_key_load(&k, "", 0, "sel", "s.test", err,
	    sizeof(err)), -1);
	assert_int_equal(dkim_key_load(&k, ed_pem, strlen(ed_pem),
	    "a b", "sender.test", err, sizeof(err)), -1);
	assert_int_equal(dkim_key_load(&k, ed_pem, strlen(ed_pem),
	    "sel", "", err, sizeof(err)), -1);
	assert_int_equal(dkim_domain_of("mail.sender.test", dom,
	    sizeof(dom)), 0);
	assert_string_equal(dom, "sender.test");
	assert_int_equal(dkim_domain_of("sender.test", dom, sizeof(dom)),
	    0);
	assert_string_equal(dom, "sender.test");
	assert_int_equal(dkim_domain_of("localhost", dom, sizeof(dom)), 0);
	assert_string_equal(dom, "localhost");
	assert_int_equal(dkim_domain_of("a.b.c", dom, 2), -1);
}

/* ---- signatures, verified with GnuTLS over the canonical data ---- */

static const char report[] =
    "From: \"TLS reporting of mx.sender.test\" <postmaster@mx.sender.test>\r\n"
    "To: <tlsrpt@good.test>\r\n"
    "Date: Tue, 01 Dec 2026 00:15:00 +0000\r\n"
    "Message-ID: <2026-12-01.good.test@mx.sender.test>\r\n"
    "Subject: Report Domain: good.test Submitter: mx.sender.test\r\n"
    " Report-ID: <2026-12-01.good.test@mx.sender.test>\r\n"
    "TLS-Report-Domain: good.test\r\n"
    "TLS-Report-Submitter: mx.sender.test\r\n"
    "TLS-Required: No\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
    "\tboundary=\"b\"\r\n"
    "\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nHi  there \r\n\r\n--b--\r\n";

/* Verifies sig (a DKIM-Signature field) over msg with k's public key. */
static void
check_sig(const struct dkim_key *k, const char *sig, size_t siglen,
    const char *msg, size_t len)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t d, s;
	struct buf nob, data, raw;
	const char *b, *p;
	char bh[64], *dec;
	uint8_t dig[32];
	size_t i;
	int r;

	/* the field without its b= value, as a verifier rebuilds it */
	b = strstr(sig, "\tb=");
	assert_non_null(b);
	b += 3;
	buf_init(&nob, 8192);
	assert_int_equal(buf_append(&nob, sig, (size_t)(b - sig)), 0);
	buf_init(&data, 65536);
	assert_int_equal(dkim_signed_data(msg, len,
	    dkim_report_fields, dkim_report_nfields, nob.data, nob.len,
	    &data), 0);
	/* bh= is the body hash */
	assert_int_equal(dkim_body_hash(msg, len, bh, sizeof(bh)), 0);
	assert_non_null(strstr(sig, bh));
	/* b=: base64 with folding white space */
	buf_init(&raw, 8192);
	for (p = b; p < sig + siglen; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			assert_int_equal(buf_append(&raw, p, 1), 0);
	d.data = (unsigned char *)raw.data;
	d.size = (unsigned)raw.len;
	assert_int_equal(gnutls_base64_decode2(&d, &s), 0);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, k->key, 0, 0), 0);
	if (k->alg == DKIM_RSA_SHA256) {
		d.data = (unsigned char *)data.data;
		d.size = (unsigned)data.len;
		r = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0,
		    &d, &s);
	} else {
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data,
		    data.len, dig), 0);
		d.data = dig;
		d.size = sizeof(dig);
		r = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_EDDSA_ED25519,
		    0, &d, &s);
	}
	assert_true(r >= 0);
	/* one changed octet of a signed field breaks it */
	dec = malloc(data.len);
	assert_non_null(dec);
	memcpy(dec, data.data, data.len);
	for (i = 0; i < data.len && memcmp(dec + i, "good", 4) != 0; i++)
		;
	assert_true(i < data.len);
	dec[i] = 'G';
	if (k->alg == DKIM_RSA_SHA256) {
		d.data = (unsigned char *)dec;
		d.size = (unsigned)data.len;
		r = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0,
		    &d, &s);
	} else {
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, dec,
		    data.len, dig), 0);
		d.data = dig;
		d.size = sizeof(dig);
		r = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_EDDSA_ED25519,
		    0, &d, &s);
	}
	assert_true(r < 0);
	free(dec);
	gnutls_free(s.data);
	gnutls_pubkey_deinit(pub);
	buf_free(&nob);
	buf_free(&data);
	buf_free(&raw);
}

static void
sign_one(const char *pem)
{
	struct dkim_key k;
	struct buf sig;
	char err[160];

	assert_int_equal(dkim_key_load(&k, pem, strlen(pem), "tlsrpt",
	    "sender.test", err, sizeof(err)), 0);
	buf_init(&sig, 8192);
	assert_int_equal(dkim_sign(&k, report, strlen(report), 1796084100,
	    &sig, err, sizeof(err)), 0);
	assert_int_equal(buf_append(&sig, "", 1), 0);
	assert_true(strncmp(sig.data, "DKIM-Signature: v=1; a=", 23) == 0);
	assert_non_null(strstr(sig.data, "c=relaxed/relaxed;"));
	assert_non_null(strstr(sig.data, "d=sender.test; s=tlsrpt; "
	    "t=1796084100;"));
	assert_non_null(strstr(sig.data, "h=From:To:Subject:Date:Message-ID:"
	    "MIME-Version:"));
	assert_non_null(strstr(sig.data, "Content-Type:\r\n\t "
	    "TLS-Report-Domain:TLS-Report-Submitter;"));
	assert_null(strstr(sig.data, "TLS-Required"));
	assert_null(strstr(sig.data, "\n\n"));
	check_sig(&k, sig.data, sig.len - 1, report, strlen(report));
	/* the same input signs the same (both schemes are deterministic) */
	buf_free(&sig);
	/* refused: no header, no From */
	buf_init(&sig, 8192);
	assert_int_equal(dkim_sign(&k, "From: a", 7, 0, &sig, err,
	    sizeof(err)), -1);
	assert_int_equal(dkim_sign(&k, "To: a\r\n\r\nx\r\n", 12, 0, &sig,
	    err, sizeof(err)), -1);
	assert_int_equal(sig.len, 0);
	buf_free(&sig);
	dkim_key_free(&k);
}

static void
test_sign_rsa(void **state)
{
	(void)state;
	sign_one(rsa_pem);
}

static void
test_sign_ed25519(void **state)
{
	(void)state;
	sign_one(ed_pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_header),
		cmocka_unit_test(test_canon_body),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_sign_rsa),
		cmocka_unit_test(test_sign_ed25519),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
