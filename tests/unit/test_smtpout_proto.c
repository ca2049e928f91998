/*
 * test_smtpout_proto.c: unit tests for mta/smtpout/smtpout_proto.c (EHLO
 * capabilities, MAIL/RCPT parameters and xtext, dot-stuffing across chunk
 * boundaries, base64, credential lines, the failure mapping).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtp/envelope.h"
#include "smtp/smtp_client.h"
#include "smtpout/smtpout_proto.h"

/* ---- EHLO ---- */

struct ehlo_case {
	const char	*reply;		/* lines separated by \n, no CRLF */
	int		 ok;		/* the acc completes without error */
	int		 rc;		/* smtpout_proto_ehlo_parse */
	unsigned	 ext;
	uint64_t	 size;
	unsigned	 auth;
};

static const struct ehlo_case ehlo_cases[] = {
	{ "250-mx.example\n250-PIPELINING\n250-SIZE 10485760\n"
	    "250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 STARTTLS", 1, 0,
	    SMTPOUT_PROTO_PIPELINING | SMTPOUT_PROTO_SIZE |
	    SMTPOUT_PROTO_8BITMIME | SMTPOUT_PROTO_ENHANCED |
	    SMTPOUT_PROTO_STARTTLS, 10485760, 0 },
	{ "250 mx.example", 1, 0, 0, 0, 0 },
	/* the greeting line names no keyword */
	{ "250 STARTTLS", 1, 0, 0, 0, 0 },
	{ "250-mx\n250-starttls\n250-smtputf8\n250-dsn\n250 requiretls", 1,
	    0, SMTPOUT_PROTO_STARTTLS | SMTPOUT_PROTO_SMTPUTF8 |
	    SMTPOUT_PROTO_DSN | SMTPOUT_PROTO_REQUIRETLS, 0, 0 },
	{ "250-mx\n250-AUTH LOGIN PLAIN CRAM-MD5\n250 SIZE", 1, 0,
	    SMTPOUT_PROTO_AUTH | SMTPOUT_PROTO_SIZE, 0,
	    SMTPOUT_PROTO_AUTH_PLAIN | SMTPOUT_PROTO_AUTH_LOGIN },
	{ "250-mx\n250 AUTH CRAM-MD5", 1, 0, SMTPOUT_PROTO_AUTH, 0, 0 },
	/* malformed SIZE is ignored, not taken as "no limit" */
	{ "250-mx\n250-SIZE 12abc\n250 SIZE2 4", 1, 0, 0, 0, 0 },
	{ "250-mx\n250 SIZE 99999999999999999999", 1, 0, 0, 0, 0 },
	/* prefixes and near misses are not keywords */
	{ "250-mx\n250-STARTTLSX\n250-XSTARTTLS\n250 PIPELINING2", 1, 0, 0,
	    0, 0 },
	/* not 250: refused */
	{ "554 5.7.1 go away", 1, -1, 0, 0, 0 },
	{ "502-a\n502 b", 1, -1, 0, 0, 0 },
	/* malformed replies never complete */
	{ "250-mx\nENHANCEDSTATUSCODES\n251 STARTTLS", 0, 0, 0, 0, 0 },
	{ "250-mx\n251 STARTTLS", 0, 0, 0, 0, 0 },
	{ "25O mx", 0, 0, 0, 0, 0 },
	{ "250mx", 0, 0, 0, 0, 0 },
};

static void
test_ehlo(void **state)
{
	struct smtp_proto_reply_acc acc;
	struct smtpout_proto_ehlo e;
	const char *p, *nl;
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(ehlo_cases) / sizeof(ehlo_cases[0]); i++) {
		const struct ehlo_case *c = &ehlo_cases[i];

		smtp_proto_reply_acc_init(&acc);
		st = SMTP_PROTO_ACC_MORE;
		for (p = c->reply; st == SMTP_PROTO_ACC_MORE; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			st = smtp_proto_reply_acc_feed(&acc, p,
			    (size_t)(nl - p));
			if (*nl == '\0')
				break;
		}
		if (!c->ok) {
			if (st == SMTP_PROTO_ACC_DONE)
				fail_msg("case %zu: completed", i);
			continue;
		}
		assert_int_equal(st, SMTP_PROTO_ACC_DONE);
		assert_int_equal(smtpout_proto_ehlo_parse(&acc, &e), c->rc);
		if (e.ext != c->ext || e.size != c->size || e.auth != c->auth)
			fail_msg("case %zu: ext %x size %llu auth %x", i, e.ext,
			    (unsigned long long)e.size, e.auth);
	}
}

/* ---- MAIL and RCPT ---- */

static void
test_xtext(void **state)
{
	char b[16];

	(void)state;
	assert_int_equal(smtpout_proto_xtext(b, sizeof(b), "a+b=c d"), 13);
	assert_string_equal(b, "a+2Bb+3Dc+20d");
	assert_int_equal(smtpout_proto_xtext(b, sizeof(b), ""), 0);
	assert_int_equal(smtpout_proto_xtext(b, sizeof(b), "\xc3\xa9"), 6);
	assert_string_equal(b, "+C3+A9");
	assert_int_equal(smtpout_proto_xtext(b, 4, "abcd"), -1);
	assert_int_equal(smtpout_proto_xtext(b, 5, "abcd"), 4);
	assert_int_equal(smtpout_proto_xtext(b, 3, "+"), -1);
}

struct mail_case {
	struct smtpout_proto_mail m;
	unsigned		 ext;
	const char		*want;
};

static const struct mail_case mail_cases[] = {
	{ { 100, 0, 0, 0, 0, "" }, 0, "" },
	{ { 100, 1, 0, 0, 0, "" }, SMTPOUT_PROTO_SIZE, " SIZE=100" },
	{ { 100, 1, 0, 0, 0, "" }, SMTPOUT_PROTO_SIZE | SMTPOUT_PROTO_8BITMIME,
	    " SIZE=100 BODY=8BITMIME" },
	{ { 7, 0, 1, 1, ENVELOPE_RET_HDRS, "id+1" }, SMTPOUT_PROTO_REQUIRETLS |
	    SMTPOUT_PROTO_DSN, " SMTPUTF8 REQUIRETLS RET=HDRS ENVID=id+2B1" },
	/* REQUIRETLS not offered: not sent (the caller fails the host) */
	{ { 7, 0, 0, 1, ENVELOPE_RET_FULL, "x" }, 0, "" },
	{ { 7, 0, 0, 0, ENVELOPE_RET_FULL, "" }, SMTPOUT_PROTO_DSN,
	    " RET=FULL" },
};

static void
test_mail(void **state)
{
	char b[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++) {
		assert_int_equal(smtpout_proto_mail_params(b, sizeof(b),
		    &mail_cases[i].m, mail_cases[i].ext),
		    (int)strlen(mail_cases[i].want));
		assert_string_equal(b, mail_cases[i].want);
	}
	assert_int_equal(smtpout_proto_mail_params(b, 5, &mail_cases[1].m,
	    SMTPOUT_PROTO_SIZE), -1);
}

struct rcpt_case {
	const char	*addr;
	unsigned	 notify;
	const char	*orcpt;
	unsigned	 ext;
	const char	*want;		/* NULL: -1 */
};

static const struct rcpt_case rcpt_cases[] = {
	{ "a@b.example", ENVELOPE_NOTIFY_FAILURE, "rfc822;a@b.example", 0,
	    "RCPT TO:<a@b.example>\r\n" },
	{ "a@b.example", ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY,
	    "rfc822;a+x=y@b.example", SMTPOUT_PROTO_DSN,
	    "RCPT TO:<a@b.example> NOTIFY=FAILURE,DELAY "
	    "ORCPT=rfc822;a+2Bx+3Dy@b.example\r\n" },
	{ "a@b.example", ENVELOPE_NOTIFY_NEVER, "", SMTPOUT_PROTO_DSN,
	    "RCPT TO:<a@b.example> NOTIFY=NEVER\r\n" },
	{ "a@b.example", ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY, ";x", SMTPOUT_PROTO_DSN,
	    "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY\r\n" },
	{ "", 0, "", 0, NULL },
};

static void
test_rcpt(void **state)
{
	char b[256];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];

		n = smtpout_proto_rcpt(b, sizeof(b), c->addr, c->notify,
		    c->orcpt, c->ext);
		if (c->want == NULL) {
			assert_int_equal(n, -1);
			continue;
		}
		assert_int_equal(n, (int)strlen(c->want));
		assert_string_equal(b, c->want);
	}
	assert_int_equal(smtpout_proto_rcpt(b, 10, "a@b.example", 0, "", 0),
	    -1);
}

/* ---- dot-stuffing ---- */

struct dot_case {
	const char	*in;
	const char	*want;		/* with the end of data */
};

static const struct dot_case dot_cases[] = {
	{ "", ".\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ ".\r\n", "..\r\n.\r\n" },
	{ ".a\r\n..b\r\nc.\r\n", "..a\r\n...b\r\nc.\r\n.\r\n" },
	{ "a\r\n.", "a\r\n..\r\n.\r\n" },
	{ "no newline", "no newline\r\n.\r\n" },
	{ "x\r\n.\r\n.\r\n", "x\r\n..\r\n..\r\n.\r\n" },
	{ "\r\n.\r\n", "\r\n..\r\n.\r\n" },
	/* the edges of the line-at-a-time fast path */
	{ ".", "..\r\n.\r\n" },
	{ "..\r\n", "...\r\n.\r\n" },
	{ "a\n.b\n", "a\n..b\n.\r\n" },
	{ "\n.", "\n..\r\n.\r\n" },
	{ "\n\n\n", "\n\n\n.\r\n" },
	{ "a.b.\r\nc", "a.b.\r\nc\r\n.\r\n" },
	{ "\r.\r\n", "\r.\r\n.\r\n" },
	{ "long line without a dot at its start. . .\r\n.x",
	    "long line without a dot at its start. . .\r\n..x\r\n.\r\n" },
};

/* The encoder as the RFC says it, octet by octet, to compare with. */
static size_t
dot_ref(int *bol, const char *in, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (*bol && in[i] == '.')
			out[n++] = '.';
		out[n++] = in[i];
		*bol = in[i] == '\n';
	}
	return n;
}

/* Encodes in every split into chunks of size k. */
static void
dot_run(const char *in, size_t k, char *out)
{
	struct smtp_client_dot d;
	size_t len = strlen(in), i, n = 0, c;

	smtp_client_dot_init(&d);
	for (i = 0; i < len; i += c) {
		c = len - i < k ? len - i : k;
		n += smtp_client_dot_encode(&d, in + i, c, out + n);
	}
	n += smtp_client_dot_end(&d, out + n);
	out[n] = '\0';
}

static void
test_dot(void **state)
{
	char out[128];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++)
		for (k = 1; k <= 64; k++) {
			dot_run(dot_cases[i].in, k, out);
			if (strcmp(out, dot_cases[i].want) != 0)
				fail_msg("case %zu chunk %zu: %s", i, k, out);
		}
}

/*
 * Inputs made of '.', CR, LF and 'a' (a fixed PRNG, so the run is the
 * same every time), each in chunks of every size from 1 to 17: the fast
 * path gives the octets of the reference encoder.
 */
static void
test_dot_random(void **state)
{
	static const char alpha[] = ".\r\na";
	char in[64], out[2 * sizeof(in) + 8], want[2 * sizeof(in) + 8];
	struct smtp_client_dot d;
	uint32_t x = 12345;
	size_t len, i, k, c, n, wn;
	int bol, round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		x = x * 1103515245u + 12345u;
		len = (x >> 16) % sizeof(in);
		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = alpha[(x >> 16) % 4];
		}
		bol = 1;
		wn = dot_ref(&bol, in, len, want);
		for (k = 1; k <= 17; k++) {
			smtp_client_dot_init(&d);
			for (i = n = 0; i < len; i += c) {
				c = len - i < k ? len - i : k;
				n += smtp_client_dot_encode(&d, in + i, c,
				    out + n);
			}
			if (n != wn || memcmp(out, want, n) != 0 ||
			    d.bol != bol)
				fail_msg("round %d chunk %zu differs", round,
				    k);
		}
	}
}

/* ---- base64 ---- */

static void
test_base64(void **state)
{
	char b[32];

	(void)state;
	assert_int_equal(smtpout_proto_base64(b, sizeof(b), "", 0), 0);
	assert_int_equal(smtpout_proto_base64(b, sizeof(b), "f", 1), 4);
	assert_string_equal(b, "Zg==");
	assert_int_equal(smtpout_proto_base64(b, sizeof(b), "fo", 2), 4);
	assert_string_equal(b, "Zm8=");
	assert_int_equal(smtpout_proto_base64(b, sizeof(b), "foobar", 6), 8);
	assert_string_equal(b, "Zm9vYmFy");
	assert_int_equal(smtpout_proto_base64(b, sizeof(b), "\0u\0p", 4), 8);
	assert_string_equal(b, "AHUAcA==");
	assert_int_equal(smtpout_proto_base64(b, 8, "foobar", 6), -1);
	assert_int_equal(smtpout_proto_base64(b, 9, "foobar", 6), 8);
}

/* ---- credentials ---- */

struct cred_case {
	const char	*line;
	int		 rc;
	const char	*host;
	unsigned	 port;
	const char	*user;
	const char	*pass;
};

static const struct cred_case cred_cases[] = {
	{ "", 0, NULL, 0, NULL, NULL },
	{ "   # comment", 0, NULL, 0, NULL, NULL },
	{ "Relay.Example:587 joe secret pass word \r", 1, "relay.example", 587,
	    "joe", "secret pass word" },
	{ "relay.example\tjoe\tpw", 1, "relay.example", 0, "joe", "pw" },
	{ "relay.example joe", -1, NULL, 0, NULL, NULL },
	{ "relay.example", -1, NULL, 0, NULL, NULL },
	{ "relay.example:0 joe pw", -1, NULL, 0, NULL, NULL },
	{ "relay.example:70000 joe pw", -1, NULL, 0, NULL, NULL },
	{ "relay.example:x joe pw", -1, NULL, 0, NULL, NULL },
	{ ":25 joe pw", -1, NULL, 0, NULL, NULL },
	{ "relay.example joe p\001w", -1, NULL, 0, NULL, NULL },
};

static void
test_cred(void **state)
{
	struct smtpout_proto_cred c;
	const char *why = NULL;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cred_cases) / sizeof(cred_cases[0]); i++) {
		const struct cred_case *t = &cred_cases[i];

		rc = smtpout_proto_cred_parse(t->line, strlen(t->line), &c,
		    &why);
		if (rc != t->rc)
			fail_msg("case %zu: rc %d", i, rc);
		if (rc != 1)
			continue;
		assert_string_equal(c.host, t->host);
		assert_int_equal(c.port, t->port);
		assert_string_equal(c.user, t->user);
		assert_string_equal(c.pass, t->pass);
	}
}

/* ---- failures ---- */

struct fail_case {
	enum smtpout_proto_fail	 kind;
	const char		*dsn;
	const char		*failure;
	const char		*text;		/* a part of the text */
};

static const struct fail_case fail_cases[] = {
	{ SMTPOUT_PROTO_F_CONNECT, "4.4.1", "",
	    "connect to mx.example[192.0.2.1]:25: Connection refused" },
	{ SMTPOUT_PROTO_F_TIMEOUT, "4.4.2", "", "timed out" },
	{ SMTPOUT_PROTO_F_LOST, "4.4.2", "", "lost connection" },
	{ SMTPOUT_PROTO_F_MALFORMED, "4.4.2", "", "malformed reply from" },
	{ SMTPOUT_PROTO_F_STARTTLS, "4.7.0", "starttls-not-supported",
	    "TLS is required, but was not offered by host mx.example" },
	{ SMTPOUT_PROTO_F_TLS, "4.7.5", "validation-failure", "handshake" },
	{ SMTPOUT_PROTO_F_INJECTED, "4.7.5", "validation-failure",
	    "plaintext injected after STARTTLS" },
	{ SMTPOUT_PROTO_F_UNTRUSTED, "4.7.5", "certificate-not-trusted", "" },
	{ SMTPOUT_PROTO_F_EXPIRED, "4.7.5", "certificate-expired", "" },
	{ SMTPOUT_PROTO_F_HOSTNAME, "4.7.5", "certificate-host-mismatch", "" },
	{ SMTPOUT_PROTO_F_FINGERPRINT, "4.7.5", "validation-failure", "" },
	{ SMTPOUT_PROTO_F_UNIMPLEMENTED, "4.7.5", "validation-failure",
	    "requirement not implemented" },
	{ SMTPOUT_PROTO_F_AUTH, "4.7.0", "", "" },
	{ SMTPOUT_PROTO_F_NOADDR, "4.4.1", "", "" },
	/* the plan's failure type, else the default */
	{ SMTPOUT_PROTO_F_TLSA, "4.7.5", "tlsa-invalid", "matches no TLSA" },
	{ SMTPOUT_PROTO_F_POLICY, "4.7.5", "validation-failure",
	    "host mx.example not used: Connection refused" },
};

/* Permanent: REQUIRETLS that cannot be met is returned (RFC 8689). */
static const struct {
	enum smtpout_proto_fail	 kind;
	const char		*failure;	/* given */
	int			 code;
	const char		*dsn;
	const char		*want;		/* the failure type */
	const char		*text;
} fail_cases2[] = {
	{ SMTPOUT_PROTO_F_REQUIRETLS, NULL, 550, "5.7.30", "",
	    "REQUIRETLS support required: not offered by host mx.example" },
	{ SMTPOUT_PROTO_F_REQUIRETLS_AUTH, NULL, 550, "5.7.30", "",
	    "not authenticated by DANE or MTA-STS" },
	{ SMTPOUT_PROTO_F_TLSA, "certificate-host-mismatch", 451, "4.7.5",
	    "certificate-host-mismatch", "matches no TLSA record" },
	{ SMTPOUT_PROTO_F_POLICY, "dnssec-invalid", 451, "4.7.5",
	    "dnssec-invalid", "not used" },
	{ SMTPOUT_PROTO_F_POLICY, "", 451, "4.7.5", "validation-failure",
	    "not used" },
};

static void
test_fail(void **state)
{
	struct smtpout_proto_hostfail f;
	struct reason why;
	char failure[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
		f.kind = fail_cases[i].kind;
		f.host = "mx.example";
		f.ip = "192.0.2.1";
		f.port = 25;
		f.detail = "Connection refused";
		f.failure = NULL;
		smtpout_proto_fail_reason(&f, &why, failure);
		assert_int_equal(why.code, 451);
		assert_string_equal(why.dsn, fail_cases[i].dsn);
		assert_string_equal(failure, fail_cases[i].failure);
		if (strstr(why.text, fail_cases[i].text) == NULL)
			fail_msg("case %zu: %s", i, why.text);
	}
	for (i = 0; i < sizeof(fail_cases2) / sizeof(fail_cases2[0]); i++) {
		f.kind = fail_cases2[i].kind;
		f.host = "mx.example";
		f.ip = "192.0.2.1";
		f.port = 25;
		f.detail = "why";
		f.failure = fail_cases2[i].failure;
		smtpout_proto_fail_reason(&f, &why, failure);
		assert_int_equal(why.code, fail_cases2[i].code);
		assert_string_equal(why.dsn, fail_cases2[i].dsn);
		assert_string_equal(failure, fail_cases2[i].want);
		if (strstr(why.text, fail_cases2[i].text) == NULL)
			fail_msg("case2 %zu: %s", i, why.text);
	}
	/* a TLS or policy failure wins over a connection failure */
	assert_true(smtpout_proto_fail_rank(SMTPOUT_PROTO_F_HOSTNAME) >
	    smtpout_proto_fail_rank(SMTPOUT_PROTO_F_CONNECT));
	assert_true(smtpout_proto_fail_rank(SMTPOUT_PROTO_F_STARTTLS) >
	    smtpout_proto_fail_rank(SMTPOUT_PROTO_F_TIMEOUT));
	assert_true(smtpout_proto_fail_rank(SMTPOUT_PROTO_F_TIMEOUT) >
	    smtpout_proto_fail_rank(SMTPOUT_PROTO_F_CONNECT));
	assert_true(smtpout_proto_fail_rank(SMTPOUT_PROTO_F_CONNECT) >
	    smtpout_proto_fail_rank(SMTPOUT_PROTO_F_NONE));
}

/*
 * audit-only (doc/design.md §8): which failures a session survives.
 * Every kind of failure, with and without TLS, audit-only and
 * cleartext-ok; never cleartext without cleartext-ok, never a broken
 * handshake, injected plaintext, REQUIRETLS or AUTH.
 */
static void
test_audit(void **state)
{
	static const struct {
		enum smtpout_proto_fail	 kind;
		int			 tls_only;	/* 1 over TLS, 0 never,
							   2 only without TLS
							   and cleartext-ok */
	} t[] = {
		{ SMTPOUT_PROTO_F_UNTRUSTED, 1 },
		{ SMTPOUT_PROTO_F_EXPIRED, 1 },
		{ SMTPOUT_PROTO_F_HOSTNAME, 1 },
		{ SMTPOUT_PROTO_F_FINGERPRINT, 1 },
		{ SMTPOUT_PROTO_F_TLSA, 1 },
		{ SMTPOUT_PROTO_F_POLICY, 1 },
		{ SMTPOUT_PROTO_F_STARTTLS, 2 },
		{ SMTPOUT_PROTO_F_NONE, 0 },
		{ SMTPOUT_PROTO_F_NOADDR, 0 },
		{ SMTPOUT_PROTO_F_CONNECT, 0 },
		{ SMTPOUT_PROTO_F_TIMEOUT, 0 },
		{ SMTPOUT_PROTO_F_LOST, 0 },
		{ SMTPOUT_PROTO_F_MALFORMED, 0 },
		{ SMTPOUT_PROTO_F_REPLY, 0 },
		{ SMTPOUT_PROTO_F_TLS, 0 },
		{ SMTPOUT_PROTO_F_INJECTED, 0 },
		{ SMTPOUT_PROTO_F_UNIMPLEMENTED, 0 },
		{ SMTPOUT_PROTO_F_AUTH, 0 },
		{ SMTPOUT_PROTO_F_REQUIRETLS, 0 },
		{ SMTPOUT_PROTO_F_REQUIRETLS_AUTH, 0 },
		{ (enum smtpout_proto_fail)99, 0 },
	};
	size_t i;
	int audit, clear, tls, want, got;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (audit = 0; audit < 2; audit++)
			for (clear = 0; clear < 2; clear++)
				for (tls = 0; tls < 2; tls++) {
					want = audit && (t[i].tls_only == 1 ?
					    tls : t[i].tls_only == 2 ?
					    !tls && clear : 0);
					got = smtpout_proto_audit(audit, clear,
					    tls, t[i].kind);
					if (got != want)
						fail_msg("kind %d audit=%d "
						    "clear=%d tls=%d: %d",
						    (int)t[i].kind, audit,
						    clear, tls, got);
				}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_dot_random),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_cred),
		cmocka_unit_test(test_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
