/*
 * fuzz_sendmail_drop.c: fuzz target for the maildrop header parser
 * (mta/cli/sendmail_drop.c; doc/design.md §6, §11), which the drain runs
 * on files any local user may write. Checked: a parse either fails with
 * a reason or gives a header length inside the input whose last octet is
 * the LF of "end", flags as the parser may set them, the time within
 * [2000-01-01, the clock + 1 day], the uid a 32-bit one, every rcpt operand
 * inside the header, non-empty and free of control bytes, the sender and
 * full name NUL-terminated within their arrays; and what parsed, written
 * again with sendmail_drop_write, parses to the same header. Invariants
 * that fail abort(), which both drivers report: libFuzzer
 * (tests/fuzz/run-libfuzzer) and the standalone replay of
 * tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_sendmail_drop only.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "cli/sendmail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* a fixed clock: the same input always gives the same result */
#define FUZZ_NOW	1765000000LL

static struct sendmail_drop	fuzz_d, fuzz_d2;
static char			*fuzz_rcpt[SENDMAIL_RCPT_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sendmail_opts o;
	struct buf b;
	char err[256];
	size_t hlen = 0, hlen2 = 0, i, j;

	err[0] = '\0';
	if (sendmail_drop_parse(p, size, FUZZ_NOW, &fuzz_d, &hlen, err,
	    sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(hlen >= 4 && hlen <= size &&
	    hlen <= SENDMAIL_DROP_HDR_MAX);
	FUZZ_CHECK(memcmp(p + hlen - 4, "end\n", 4) == 0);
	FUZZ_CHECK(fuzz_d.extract == 0 || fuzz_d.extract == 1);
	FUZZ_CHECK(fuzz_d.dot_ends == 0 || fuzz_d.dot_ends == 1);
	FUZZ_CHECK(fuzz_d.extract || fuzz_d.nrcpt > 0);
	FUZZ_CHECK(fuzz_d.time >= SENDMAIL_DROP_TIME_MIN &&
	    fuzz_d.time <= FUZZ_NOW + SENDMAIL_DROP_TIME_AHEAD);
	FUZZ_CHECK(fuzz_d.uid >= 0 && fuzz_d.uid <= 0xffffffffLL);
	FUZZ_CHECK(fuzz_d.nrcpt <= SENDMAIL_RCPT_MAX);
	FUZZ_CHECK(memchr(fuzz_d.sender, '\0', sizeof(fuzz_d.sender)) != NULL);
	FUZZ_CHECK(memchr(fuzz_d.fullname, '\0',
	    sizeof(fuzz_d.fullname)) != NULL);
	FUZZ_CHECK(fuzz_d.have_sender || fuzz_d.sender[0] == '\0');
	for (i = 0; i < fuzz_d.nrcpt; i++) {
		FUZZ_CHECK(fuzz_d.rcpt_len[i] > 0 &&
		    fuzz_d.rcpt_off[i] + fuzz_d.rcpt_len[i] < hlen);
		for (j = 0; j < fuzz_d.rcpt_len[i]; j++)
			FUZZ_CHECK((unsigned char)p[fuzz_d.rcpt_off[i] + j] >=
			    ' ' && p[fuzz_d.rcpt_off[i] + j] != 0x7f);
	}
	/* written again, it reads the same */
	memset(&o, 0, sizeof(o));
	o.extract = fuzz_d.extract;
	o.dot_ends = fuzz_d.dot_ends;
	o.have_sender = fuzz_d.have_sender;
	memcpy(o.sender, fuzz_d.sender, sizeof(o.sender));
	memcpy(o.fullname, fuzz_d.fullname, sizeof(o.fullname));
	for (i = 0; i < fuzz_d.nrcpt; i++) {
		fuzz_rcpt[i] = strndup(p + fuzz_d.rcpt_off[i],
		    fuzz_d.rcpt_len[i]);
		FUZZ_CHECK(fuzz_rcpt[i] != NULL);
	}
	o.rcpt = fuzz_rcpt;
	o.nrcpt = fuzz_d.nrcpt;
	buf_init(&b, SENDMAIL_DROP_HDR_MAX);
	FUZZ_CHECK(sendmail_drop_write(&b, &o, fuzz_d.time, fuzz_d.uid) == 0);
	FUZZ_CHECK(sendmail_drop_parse(b.data, b.len, FUZZ_NOW, &fuzz_d2,
	    &hlen2, err, sizeof(err)) == 0);
	FUZZ_CHECK(hlen2 == b.len && fuzz_d2.time == fuzz_d.time &&
	    fuzz_d2.uid == fuzz_d.uid &&
	    fuzz_d2.extract == fuzz_d.extract &&
	    fuzz_d2.dot_ends == fuzz_d.dot_ends &&
	    fuzz_d2.have_sender == fuzz_d.have_sender &&
	    strcmp(fuzz_d2.sender, fuzz_d.sender) == 0 &&
	    strcmp(fuzz_d2.fullname, fuzz_d.fullname) == 0 &&
	    fuzz_d2.nrcpt == fuzz_d.nrcpt);
	for (i = 0; i < fuzz_d.nrcpt; i++) {
		FUZZ_CHECK(fuzz_d2.rcpt_len[i] == fuzz_d.rcpt_len[i] &&
		    memcmp(b.data + fuzz_d2.rcpt_off[i], fuzz_rcpt[i],
		    fuzz_d.rcpt_len[i]) == 0);
		free(fuzz_rcpt[i]);
	}
	buf_free(&b);
	return 0;
}
