/*
 * fuzz_cli_audit_recv.c: fuzz target for `sealpost audit --message`'s
 * parser and report (mta/cli/cli_audit_recv.c, cli_audit_recv_fmt.c;
 * doc/design.md §9, §11). The input is read as a message, and whole as
 * one Received field and as a date. Checked: the bounds (hops, counts),
 * every string NUL-terminated and clean (printable ASCII), the verdict's
 * counts add up to the hops, a malformed hop is never cleartext, and
 * both reports have no control byte but newlines. Invariants that fail
 * abort(), which both drivers report. Linked by
 * tests/fuzz/fuzz_cli_audit_recv only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_audit_recv.h"
#include "lib/buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static void
fuzz_clean(const char *s, size_t size)
{
	const char *e = memchr(s, '\0', size);
	const char *p;

	FUZZ_CHECK(e != NULL);
	for (p = s; p < e; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
}

static void
fuzz_hop(const struct cli_audit_recv_hop *h)
{
	fuzz_clean(h->from, sizeof(h->from));
	fuzz_clean(h->from_ip, sizeof(h->from_ip));
	fuzz_clean(h->by, sizeof(h->by));
	fuzz_clean(h->with, sizeof(h->with));
	fuzz_clean(h->version, sizeof(h->version));
	fuzz_clean(h->cipher, sizeof(h->cipher));
	fuzz_clean(h->date, sizeof(h->date));
	fuzz_clean(h->raw, sizeof(h->raw));
	FUZZ_CHECK(h->tls <= CLI_AUDIT_RECV_LOCAL);
	FUZZ_CHECK(h->form <= CLI_AUDIT_RECV_F_BARE);
	FUZZ_CHECK(h->malformed == NULL || h->tls != CLI_AUDIT_RECV_CLEAR);
	FUZZ_CHECK(h->bits >= -1);
}

static void
fuzz_report(const struct cli_audit_recv *r, int json)
{
	struct buf b;
	size_t i;

	buf_init(&b, 64 * 1024 * 1024);
	FUZZ_CHECK(cli_audit_recv_fmt(&b, r, "fuzz", json) == 0);
	for (i = 0; i < b.len; i++)
		FUZZ_CHECK(b.data[i] == '\n' ||
		    ((unsigned char)b.data[i] >= 0x20 &&
		    (unsigned char)b.data[i] < 0x7f));
	FUZZ_CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cli_audit_recv r;
	struct cli_audit_recv_hop h;
	struct cli_audit_recv_verdict v;
	const char *s = (const char *)data, *why = NULL;
	int64_t t;
	size_t i;

	if (cli_audit_recv_parse(s, size, &r, &why) == 0) {
		FUZZ_CHECK(r.nhops <= CLI_AUDIT_RECV_HOPS_MAX);
		FUZZ_CHECK(r.nhops <= r.nreceived);
		for (i = 0; i < r.nhops; i++)
			fuzz_hop(&r.hop[i]);
		cli_audit_recv_verdict(&r, &v);
		FUZZ_CHECK(v.ntls + v.nclear + v.nunknown + v.nlocal ==
		    r.nhops);
		FUZZ_CHECK(v.exit >= 0 && v.exit <= 2);
		for (i = 0; i < v.nclear; i++)
			FUZZ_CHECK(v.clear[i] >= 1 && v.clear[i] <= r.nhops);
		fuzz_report(&r, 0);
		fuzz_report(&r, 1);
	} else
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	if (cli_audit_recv_hop(s, size, &h) == -1)
		FUZZ_CHECK(h.malformed != NULL);
	fuzz_hop(&h);
	(void)cli_audit_recv_date(s, size, &t);
	return 0;
}
