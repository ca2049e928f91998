/*
 * fuzz_cli_check.c: fuzz target for the JSON reader of `sealpost check`
 * (mta/cli/cli_check_json.c) and the reading of the policy process's
 * explanation into facts (cli_check_facts.c); doc/design.md §8, §11.
 * Checked: a parse either fails with a reason or gives a tree whose
 * every node lies in the array, whose links point forward inside it,
 * whose strings lie in the arena and end with a NUL; the same input
 * parses the same way twice; the facts' counts stay within their arrays
 * and every string field is NUL-terminated. Invariants that fail
 * abort(), which both drivers report: libFuzzer (tests/fuzz/run-libfuzzer)
 * and the standalone replay of tests/fuzz/fuzz_main.c that make check
 * runs under ASan/UBSan. Linked by tests/fuzz/fuzz_cli_check only.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static struct cli_check_facts	fuzz_facts;

static void
fuzz_tree_ok(const struct cli_check_json *d, size_t len)
{
	size_t i;

	FUZZ_CHECK(d->nn > 0 && d->nn <= CLI_CHECK_JSON_NODES);
	FUZZ_CHECK(d->used <= len + 1);
	for (i = 0; i < d->nn; i++) {
		const struct cli_check_jnode *n = &d->n[i];

		FUZZ_CHECK(n->child == -1 || ((size_t)n->child > i &&
		    (size_t)n->child < d->nn));
		FUZZ_CHECK(n->next == -1 || ((size_t)n->next > i &&
		    (size_t)n->next < d->nn));
		FUZZ_CHECK(n->child == -1 || n->type == CLI_CHECK_JT_OBJ ||
		    n->type == CLI_CHECK_JT_ARR);
		if (n->type == CLI_CHECK_JT_STR)
			FUZZ_CHECK(n->str >= d->arena &&
			    n->str + strlen(n->str) < d->arena + d->used);
		if (n->key[0] != '\0')
			FUZZ_CHECK(n->key >= d->arena &&
			    n->key + strlen(n->key) < d->arena + d->used);
	}
}

static void
fuzz_facts_ok(const struct cli_check_facts *f)
{
	size_t i, j;

	FUZZ_CHECK(f->nhosts <= CLI_CHECK_HOSTS);
	FUZZ_CHECK(f->nsts_mx <= CLI_CHECK_STS_MX);
	FUZZ_CHECK(f->ntlsrpt <= CLI_CHECK_TXT);
	FUZZ_CHECK(memchr(f->domain, '\0', sizeof(f->domain)) != NULL);
	FUZZ_CHECK(memchr(f->result_text, '\0', sizeof(f->result_text)) !=
	    NULL);
	for (i = 0; i < f->nhosts; i++) {
		const struct cli_check_host *h = &f->host[i];

		FUZZ_CHECK(h->naddr <= CLI_CHECK_HOSTS);
		FUZZ_CHECK(h->ntlsa <= CLI_CHECK_TLSA);
		FUZZ_CHECK(h->port > 0 && h->port < 65536);
		FUZZ_CHECK(memchr(h->name, '\0', sizeof(h->name)) != NULL);
		for (j = 0; j < h->ntlsa; j++)
			FUZZ_CHECK(h->tlsa[j].len <= CLI_CHECK_TLSA_DATA);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_check_json a, b;
	const char *why, *why2;
	int ra, rb;

	ra = cli_check_json_parse(&a, (const char *)data, size, &why);
	rb = cli_check_json_parse(&b, (const char *)data, size, &why2);
	FUZZ_CHECK(ra == rb);
	if (ra == -1) {
		FUZZ_CHECK(why != NULL && why2 != NULL &&
		    strcmp(why, why2) == 0);
	} else {
		fuzz_tree_ok(&a, size);
		FUZZ_CHECK(a.nn == b.nn && a.used == b.used &&
		    memcmp(a.arena, b.arena, a.used) == 0);
		cli_check_json_free(&a);
		cli_check_json_free(&b);
	}
	if (cli_check_facts_json(&fuzz_facts, (const char *)data, size,
	    &why) == 0)
		fuzz_facts_ok(&fuzz_facts);
	else
		FUZZ_CHECK(why != NULL);
	return 0;
}
