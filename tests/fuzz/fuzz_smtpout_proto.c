/*
 * fuzz_smtpout_proto.c: fuzz target for the pure helpers of the SMTP
 * client, mta/smtpout/smtpout_proto.c (doc/design.md §1.5, §11). The
 * input is seen three ways: as the lines of a reply (RFC 5321 §4.2) fed
 * to the reply accumulator and, once complete, to the EHLO parser; as
 * lines of smtpout_auth_file for the credentials parser; and as message
 * content for the dot-stuffing encoder (RFC 5321 §4.5.2), in chunks whose
 * size the first octet chooses, compared octet for octet with a plain
 * reference encoder. Invariants that fail abort(), which both drivers
 * report: libFuzzer and the standalone replay of tests/fuzz/fuzz_main.c
 * that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_smtpout_proto only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpout/smtpout_proto.h"
#include "smtp/smtp_client.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#define FUZZ_EXT_ALL	0x1ff	/* every SMTPOUT_PROTO_* capability bit */
#define FUZZ_DOT_MAX	(64 * 1024)	/* content encoded per input */

/* Each line (LF-terminated, CR before it dropped) to the accumulator. */
static void
fuzz_ehlo(const char *in, size_t len)
{
	struct smtp_proto_reply_acc acc;
	struct smtpout_proto_ehlo e;
	enum smtp_proto_acc_status st;
	const char *p = in, *lf;
	size_t l;

	smtp_proto_reply_acc_init(&acc);
	while (p < in + len) {
		lf = memchr(p, '\n', (size_t)(in + len - p));
		l = lf != NULL ? (size_t)(lf - p) : (size_t)(in + len - p);
		st = smtp_proto_reply_acc_feed(&acc, p, l > 0 &&
		    p[l - 1] == '\r' ? l - 1 : l);
		p += l + (lf != NULL);
		if (st == SMTP_PROTO_ACC_ERROR)
			return;
		if (st == SMTP_PROTO_ACC_MORE)
			continue;
		if (smtpout_proto_ehlo_parse(&acc, &e) == 0) {
			FUZZ_CHECK(acc.code == 250);
			FUZZ_CHECK((e.ext & ~(unsigned)FUZZ_EXT_ALL) == 0);
			FUZZ_CHECK((e.auth & ~(unsigned)
			    (SMTPOUT_PROTO_AUTH_PLAIN |
			    SMTPOUT_PROTO_AUTH_LOGIN)) == 0);
			FUZZ_CHECK(e.auth == 0 || (e.ext & SMTPOUT_PROTO_AUTH));
			FUZZ_CHECK(e.size == 0 || (e.ext & SMTPOUT_PROTO_SIZE));
		} else {
			FUZZ_CHECK(acc.code != 250);
			FUZZ_CHECK(e.ext == 0 && e.size == 0 && e.auth == 0);
		}
		smtp_proto_reply_acc_init(&acc);
	}
}

static int
fuzz_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Does hay[0..hl) contain needle[0..nl)? */
static int
fuzz_has(const char *hay, size_t hl, const char *needle, size_t nl)
{
	size_t i;

	for (i = 0; i + nl <= hl; i++)
		if (memcmp(hay + i, needle, nl) == 0)
			return 1;
	return 0;
}

/* Each line as a line of smtpout_auth_file. */
static void
fuzz_cred(const char *in, size_t len)
{
	struct smtpout_proto_cred c;
	const char *p = in, *lf, *why;
	size_t l, i;
	int r;

	while (p < in + len) {
		lf = memchr(p, '\n', (size_t)(in + len - p));
		l = lf != NULL ? (size_t)(lf - p) : (size_t)(in + len - p);
		why = NULL;
		r = smtpout_proto_cred_parse(p, l, &c, &why);
		p += l + (lf != NULL);
		FUZZ_CHECK(r >= -1 && r <= 1);
		if (r == -1)
			FUZZ_CHECK(why != NULL && why[0] != '\0');
		if (r != 1)
			continue;
		FUZZ_CHECK(memchr(c.host, '\0', sizeof(c.host)) != NULL);
		FUZZ_CHECK(memchr(c.user, '\0', sizeof(c.user)) != NULL);
		FUZZ_CHECK(memchr(c.pass, '\0', sizeof(c.pass)) != NULL);
		FUZZ_CHECK(c.host[0] != '\0' && c.user[0] != '\0' &&
		    c.pass[0] != '\0');
		FUZZ_CHECK(c.port <= 65535);
		for (i = 0; c.host[i] != '\0'; i++)
			FUZZ_CHECK(!fuzz_space(c.host[i]) && c.host[i] != ':' &&
			    !(c.host[i] >= 'A' && c.host[i] <= 'Z'));
		for (i = 0; c.user[i] != '\0'; i++)
			FUZZ_CHECK(!fuzz_space(c.user[i]));
		/* the password is the rest of the line, trimmed at both ends */
		i = strlen(c.pass);
		FUZZ_CHECK(!fuzz_space(c.pass[0]) &&
		    !fuzz_space(c.pass[i - 1]) && c.pass[i - 1] != '\r');
		FUZZ_CHECK(i <= l && fuzz_has(p - l - (lf != NULL), l, c.pass,
		    i));
	}
}

/* The encoder octet by octet, as RFC 5321 §4.5.2 says it. */
static size_t
fuzz_dot_ref(int *bol, const char *in, size_t len, char *out)
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

static void
fuzz_dot(const char *in, size_t len, size_t chunk)
{
	static char out[2 * FUZZ_DOT_MAX + 8], want[2 * FUZZ_DOT_MAX + 8];
	struct smtp_client_dot d;
	size_t i, c, n = 0, wn, e;
	int bol = 1;

	if (len > FUZZ_DOT_MAX)
		len = FUZZ_DOT_MAX;
	smtp_client_dot_init(&d);
	for (i = 0; i < len; i += c) {
		c = len - i < chunk ? len - i : chunk;
		n += smtp_client_dot_encode(&d, in + i, c, out + n);
		FUZZ_CHECK(n <= 2 * (i + c));
	}
	wn = fuzz_dot_ref(&bol, in, len, want);
	FUZZ_CHECK(n == wn && memcmp(out, want, n) == 0);
	FUZZ_CHECK(d.bol == bol);
	e = smtp_client_dot_end(&d, out + n);
	FUZZ_CHECK((e == 3 && bol) || (e == 5 && !bol));
	FUZZ_CHECK(memcmp(out + n + e - 3, ".\r\n", 3) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	fuzz_ehlo(in, size);
	fuzz_cred(in, size);
	fuzz_dot(in, size, size > 0 ? 1 + data[0] % 64 : 1);
	fuzz_dot(in, size, 16 * 1024);
	return 0;
}
