/*
 * fuzz_tlsrpt.c: fuzz target for policy/tlsrpt.c (the day file and the
 * `_smtp._tls` TXT record, RFC 8460 §3) and the report JSON of
 * mta/cli/cli_tlsrpt_fmt.c (doc/design.md §1.5, §11). The input is read
 * as a day file and as a TXT text. Checked: a day file that parses
 * formats back to the same bytes (the format is canonical) and parses
 * again to the same day; its counts are consistent (the details and
 * other add up to the failures, every result type is RFC 8460's); the
 * size bound of the day covers its file (doc/design.md §8); its report
 * JSON is made without error for each domain;
 * a TXT record that is ours starts with "v=TLSRPTv1" and names 1 to
 * TLSRPT_RUA_MAX URIs, each mailto: or https:; the sent state's text
 * (data_dir/tlsrpt/sent-DATE) gives bounded entries, due again unless
 * sent or without a record, and a full entry makes room keeping only
 * the record's URIs. Invariants that fail
 * abort(), which both drivers report: libFuzzer
 * (tests/fuzz/run-libfuzzer) and the standalone replay of
 * tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_tlsrpt only.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_tlsrpt.h"
#include "policy/tlsrpt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

static void
fuzz_day(const char *in, size_t size)
{
	struct tlsrpt_day day, again;
	struct cli_tlsrpt_meta m;
	struct buf json;
	char err[128], *out, *out2;
	size_t len, len2, i, j;
	uint64_t sum;

	if (tlsrpt_parse(in, size, &day, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		tlsrpt_day_free(&day);
		return;
	}
	FUZZ_CHECK(tlsrpt_date(day.date, NULL, NULL));
	for (i = 0; i < day.n; i++) {
		sum = day.p[i].other;
		for (j = 0; j < day.p[i].ndetail; j++) {
			sum += day.p[i].d[j].count;
			FUZZ_CHECK(tlsrpt_result_known(day.p[i].d[j].result,
			    strlen(day.p[i].d[j].result)));
		}
		FUZZ_CHECK(day.p[i].ndetail <= TLSRPT_DETAILS_MAX);
		FUZZ_CHECK(sum == day.p[i].fail);
	}
	FUZZ_CHECK(tlsrpt_format(&day, &out, &len) == 0);
	FUZZ_CHECK(len <= day.bytes);
	FUZZ_CHECK(len == size && memcmp(out, in, len) == 0);
	FUZZ_CHECK(tlsrpt_parse(out, len, &again, err, sizeof(err)) == 0);
	FUZZ_CHECK(tlsrpt_format(&again, &out2, &len2) == 0);
	FUZZ_CHECK(len2 == len && memcmp(out, out2, len) == 0);
	memset(&m, 0, sizeof(m));
	m.org = "mx.example";
	m.contact = "postmaster@mx.example";
	m.report_id = "id";
	FUZZ_CHECK(tlsrpt_date(day.date, &m.start, &m.end));
	for (i = 0; i < day.n && i < 4; i++) {
		buf_init(&json, 8 * 1024 * 1024);
		FUZZ_CHECK(cli_tlsrpt_json(&day, day.p[i].domain, &m, (int)(i & 1),
		    &json) >= 1);
		buf_free(&json);
	}
	free(out);
	free(out2);
	tlsrpt_day_free(&day);
	tlsrpt_day_free(&again);
}

static void
fuzz_txt(const char *in, size_t size)
{
	struct tlsrpt_record rec;
	char err[128], addr[TLSRPT_URI_MAX];
	size_t i;
	int r;

	r = tlsrpt_record_parse(in, size, &rec, err, sizeof(err));
	FUZZ_CHECK(r >= -1 && r <= 1);
	if (r != 0)
		FUZZ_CHECK(size >= 10 && memcmp(in, "v=TLSRPTv1", 10) == 0);
	if (r != 1)
		return;
	FUZZ_CHECK(rec.nrua >= 1 && rec.nrua <= TLSRPT_RUA_MAX);
	for (i = 0; i < rec.nrua; i++) {
		FUZZ_CHECK(strncasecmp(rec.rua[i], "mailto:", 7) == 0 ||
		    strncasecmp(rec.rua[i], "https://", 8) == 0);
		if (tlsrpt_mailto(rec.rua[i], addr, sizeof(addr)) == 0)
			FUZZ_CHECK(strchr(addr, '@') != NULL &&
			    strchr(addr, ' ') == NULL);
	}
}

/*
 * An https rua's host (cli_tlsrpt_https_host): a refusal says so; an
 * accepted host is LDH labels and dots, or an address, with a port.
 */
static void
fuzz_https(const char *in, size_t size)
{
	char url[TLSRPT_URI_MAX], host[TLSRPT_NAME_MAX], why[256];
	size_t i;
	int port, r;
	char c;

	if (size >= sizeof(url) || memchr(in, '\0', size) != NULL)
		return;
	memcpy(url, in, size);
	url[size] = '\0';
	r = cli_tlsrpt_https_host(url, host, sizeof(host), &port, why,
	    sizeof(why));
	FUZZ_CHECK(r == -1 || r == CLI_TLSRPT_HOST_NAME ||
	    r == CLI_TLSRPT_HOST_ADDR);
	if (r == -1) {
		FUZZ_CHECK(strstr(why, "refused") != NULL);
		return;
	}
	FUZZ_CHECK(strncasecmp(url, "https://", 8) == 0);
	FUZZ_CHECK(port >= 1 && port <= 65535 && host[0] != '\0');
	for (i = 0; (c = host[i]) != '\0'; i++)
		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    (r == CLI_TLSRPT_HOST_ADDR && c == ':'));
}

/*
 * The sent state's text (cli_tlsrpt_sent_parse): bounded entries; a
 * report is due again unless sent or without a record; a full list
 * keeps, when it makes room, only the URIs of the record.
 */
static void
fuzz_sent(const char *in, size_t size)
{
	struct cli_tlsrpt_sent s;
	struct tlsrpt_record rec;
	size_t i, j;

	FUZZ_CHECK(cli_tlsrpt_sent_parse(in, size, &s) == 0);
	for (i = 0; i < s.n; i++) {
		FUZZ_CHECK(s.e[i].domain[0] != '\0' &&
		    strchr(s.e[i].domain, ' ') == NULL &&
		    strchr(s.e[i].domain, '\n') == NULL);
		FUZZ_CHECK(s.e[i].state >= CLI_TLSRPT_NEW &&
		    s.e[i].state <= CLI_TLSRPT_SKIPPED);
		FUZZ_CHECK(s.e[i].nto <= TLSRPT_RUA_MAX);
		for (j = 0; j < s.e[i].nto; j++)
			FUZZ_CHECK(s.e[i].to[j][0] != '\0' &&
			    strchr(s.e[i].to[j], '\n') == NULL);
		FUZZ_CHECK(cli_tlsrpt_ent_due(&s.e[i]) ==
		    (s.e[i].state != CLI_TLSRPT_SENT &&
		    s.e[i].state != CLI_TLSRPT_NOREC));
		if (s.e[i].nto < TLSRPT_RUA_MAX)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.nrua = 1;
		FUZZ_CHECK(strlcpy(rec.rua[0], s.e[i].to[TLSRPT_RUA_MAX - 1],
		    sizeof(rec.rua[0])) < sizeof(rec.rua[0]));
		FUZZ_CHECK(cli_tlsrpt_ent_room(&s.e[i], &rec) ==
		    TLSRPT_RUA_MAX - 1 && s.e[i].nto == 1 &&
		    cli_tlsrpt_ent_has(&s.e[i], rec.rua[0]));
	}
	cli_tlsrpt_sent_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_day((const char *)data, size);
	fuzz_txt((const char *)data, size);
	fuzz_https((const char *)data, size);
	fuzz_sent((const char *)data, size);
	return 0;
}
