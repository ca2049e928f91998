/*
 * fuzz_cli_audit.c: fuzz target for the line parser of `sealpost audit`
 * (mta/cli/cli_audit_line.c and cli_audit_json.c; doc/design.md §9,
 * §11). The input is split at LF and each line parsed. Checked: the
 * answer is one of the three, a malformed line says why, a record's
 * event is one of §9's, every pair's key and value are NUL-terminated
 * inside the record with the length it claims, the same line parses the
 * same way twice, and a text record written again with log_escape (the
 * daemons' own escaping) parses back to the same pairs. The whole input
 * also goes to the JSON reader. Invariants that fail abort(), which both
 * drivers report: libFuzzer (tests/fuzz/run-libfuzzer) and the standalone
 * replay of tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_cli_audit only.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_audit.h"
#include "lib/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#define FUZZ_REF	INT64_C(1796475600)

static struct cli_audit_rec	fuzz_a, fuzz_b;
static char			fuzz_line[CLI_AUDIT_LINE_MAX * 5];

static void
fuzz_rec_ok(const struct cli_audit_rec *r)
{
	size_t i;

	FUZZ_CHECK(r->nkv <= CLI_AUDIT_KV_MAX);
	FUZZ_CHECK(r->used <= sizeof(r->store));
	FUZZ_CHECK(memchr(r->proc, '\0', sizeof(r->proc)) != NULL);
	FUZZ_CHECK(memchr(r->event, '\0', sizeof(r->event)) != NULL);
	for (i = 0; i < r->nkv; i++) {
		FUZZ_CHECK(r->kv[i].key >= r->store &&
		    r->kv[i].val + r->kv[i].vallen < r->store + r->used);
		FUZZ_CHECK(r->kv[i].val[r->kv[i].vallen] == '\0');
	}
}

static int
fuzz_same(const struct cli_audit_rec *a, const struct cli_audit_rec *b)
{
	size_t i;

	if (a->nkv != b->nkv || strcmp(a->event, b->event) != 0)
		return 0;
	for (i = 0; i < a->nkv; i++)
		if (strcmp(a->kv[i].key, b->kv[i].key) != 0 ||
		    a->kv[i].vallen != b->kv[i].vallen ||
		    memcmp(a->kv[i].val, b->kv[i].val, a->kv[i].vallen) != 0)
			return 0;
	return 1;
}

/* The record in the daemons' own text form, parsed back. */
static void
fuzz_rewrite(void)
{
	char esc[CLI_AUDIT_LINE_MAX * 4 + 3];
	const char *why;
	size_t i, len, need;
	int n;

	n = snprintf(fuzz_line, sizeof(fuzz_line), "2026-12-05T12:00:00Z "
	    "x[1]: %s", fuzz_a.event);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(fuzz_line));
	len = (size_t)n;
	for (i = 0; i < fuzz_a.nkv; i++) {
		need = log_escape(esc, sizeof(esc), fuzz_a.kv[i].val,
		    fuzz_a.kv[i].vallen);
		FUZZ_CHECK(need < sizeof(esc));
		n = snprintf(fuzz_line + len, sizeof(fuzz_line) - len,
		    " %s=%s", fuzz_a.kv[i].key, esc);
		if (n < 0 || (size_t)n >= sizeof(fuzz_line) - len)
			return;
		len += (size_t)n;
	}
	if (len > CLI_AUDIT_LINE_MAX)
		return;
	/* a JSON key may hold what a text key cannot: then it is BAD */
	if (cli_audit_parse_line(fuzz_line, len, FUZZ_REF, &fuzz_b, &why) !=
	    CLI_AUDIT_P_REC) {
		FUZZ_CHECK(fuzz_a.json);
		return;
	}
	FUZZ_CHECK(fuzz_same(&fuzz_a, &fuzz_b));
}

static void
fuzz_one(const char *s, size_t len)
{
	enum cli_audit_parse r, r2;
	const char *why, *why2;

	r = cli_audit_parse_line(s, len, FUZZ_REF, &fuzz_a, &why);
	FUZZ_CHECK(r == CLI_AUDIT_P_REC || r == CLI_AUDIT_P_OTHER ||
	    r == CLI_AUDIT_P_BAD);
	FUZZ_CHECK(why != NULL);
	if (r == CLI_AUDIT_P_BAD) {
		FUZZ_CHECK(why[0] != '\0');
		return;
	}
	fuzz_rec_ok(&fuzz_a);
	r2 = cli_audit_parse_line(s, len, FUZZ_REF, &fuzz_b, &why2);
	FUZZ_CHECK(r2 == r && fuzz_same(&fuzz_a, &fuzz_b) &&
	    fuzz_a.ts == fuzz_b.ts);
	if (r == CLI_AUDIT_P_REC) {
		FUZZ_CHECK(fuzz_a.event[0] != '\0');
		FUZZ_CHECK(cli_audit_get(&fuzz_a, "") == NULL ||
		    fuzz_a.json);
		if (!fuzz_a.json && fuzz_a.nkv > 0)
			fuzz_rewrite();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *lf;
	const char *why;
	size_t p = 0;
	int64_t t;

	while (p <= size) {
		lf = size > p ? memchr(s + p, '\n', size - p) : NULL;
		fuzz_one(s + p, lf != NULL ? (size_t)(lf - (s + p)) : size - p);
		if (lf == NULL)
			break;
		p = (size_t)(lf - s) + 1;
	}
	fuzz_a.nkv = 0;
	fuzz_a.used = 0;
	if (cli_audit_json_parse(s, size, &fuzz_a, &why) == 0)
		fuzz_rec_ok(&fuzz_a);
	FUZZ_CHECK(cli_audit_time(s, size, &t) <= size);
	return 0;
}
