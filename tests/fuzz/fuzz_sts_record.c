/*
 * fuzz_sts_record.c: fuzz target for policy/sts_record.c, the MTA-STS TXT
 * record (RFC 8461 §3.1; doc/design.md §1.5, §11). The input is seen as
 * one TXT text, and as an RRset of texts split at each LF. Checked: the
 * result is one of the three; only a text that starts with "v=STSv1"
 * and then its end, WSP or ';' is ours; a valid record's id is 1 to 32
 * ALPHA/DIGIT found after "id=" in the input, and "v=STSv1; id=<id>" is
 * valid with the same id; "" otherwise; the pick agrees with a count of
 * the per-record results. Invariants that fail abort(), which both
 * drivers report: libFuzzer (tests/fuzz/run-libfuzzer) and the standalone
 * replay of tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_sts_record only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sts_record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#define FUZZ_RRS_MAX	64	/* records of one RRset */

/* 1 when txt[0..len) starts the way sts_record.h calls "ours". */
static int
fuzz_ours(const char *txt, size_t len)
{
	if (len < 7 || memcmp(txt, "v=STSv1", 7) != 0)
		return 0;
	return len == 7 || txt[7] == ' ' || txt[7] == '\t' || txt[7] == ';';
}

/* 1 when the id is 1 to 32 ALPHA/DIGIT and "id=<id>" is in the text. */
static int
fuzz_id_ok(const char *id, const char *txt, size_t len)
{
	char	needle[STS_ID_MAX + 4];
	size_t	n, i;

	n = strlen(id);
	if (n == 0 || n > STS_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return 0;
	memcpy(needle, "id=", 3);
	memcpy(needle + 3, id, n);
	for (i = 0; i + n + 3 <= len; i++)
		if (memcmp(txt + i, needle, n + 3) == 0)
			return 1;
	return 0;
}

/* One record: the result and its id. Returns the result. */
static int
fuzz_one(const char *txt, size_t len)
{
	char	id[STS_ID_MAX + 1], again[STS_ID_MAX + 1];
	char	canon[STS_ID_MAX + 16];
	int	r, n;

	memset(id, 'X', sizeof(id));
	r = sts_record_parse(txt, len, id);
	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	FUZZ_CHECK((r != 0) == fuzz_ours(txt, len));
	FUZZ_CHECK(memchr(id, '\0', sizeof(id)) != NULL);
	if (r != 1) {
		FUZZ_CHECK(id[0] == '\0');
		return r;
	}
	FUZZ_CHECK(fuzz_id_ok(id, txt, len));
	/* the id alone makes a valid record with the same id */
	n = snprintf(canon, sizeof(canon), "v=STSv1; id=%s", id);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(canon));
	FUZZ_CHECK(sts_record_parse(canon, (size_t)n, again) == 1);
	FUZZ_CHECK(strcmp(id, again) == 0);
	/* the same answer twice */
	FUZZ_CHECK(sts_record_parse(txt, len, again) == 1);
	FUZZ_CHECK(strcmp(id, again) == 0);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*txt = (const char *)data;
	const char	*rr[FUZZ_RRS_MAX];
	size_t		 len[FUZZ_RRS_MAX], n = 0, p = 0, ours = 0, valid = 0;
	const char	*lf;
	char		 id[STS_ID_MAX + 1], one[STS_ID_MAX + 1];
	int		 r, want;

	(void)fuzz_one(txt, size);

	/* the RRset: texts split at LF */
	one[0] = '\0';
	while (p <= size && n < FUZZ_RRS_MAX) {
		lf = size > p ? memchr(txt + p, '\n', size - p) : NULL;
		rr[n] = txt + p;
		len[n] = lf != NULL ? (size_t)(lf - (txt + p)) : size - p;
		r = fuzz_one(rr[n], len[n]);
		if (r != 0)
			ours++;
		if (r == 1) {
			valid++;
			(void)sts_record_parse(rr[n], len[n], one);
		}
		n++;
		if (lf == NULL)
			break;
		p = (size_t)(lf - txt) + 1;
	}
	want = ours == 0 ? STS_RECORD_NONE : ours > 1 ? STS_RECORD_MULTIPLE :
	    valid == 1 ? STS_RECORD_OK : STS_RECORD_INVALID;
	memset(id, 'X', sizeof(id));
	r = sts_record_pick(rr, len, n, id);
	FUZZ_CHECK(r == want);
	FUZZ_CHECK(strcmp(id, r == STS_RECORD_OK ? one : "") == 0);
	FUZZ_CHECK(strcmp(sts_record_status_name(r), "?") != 0);
	return 0;
}
