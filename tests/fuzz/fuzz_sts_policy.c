/*
 * fuzz_sts_policy.c: fuzz target for policy/sts_policy.c (RFC 8461 §3.2,
 * §4.1; doc/design.md §1.5, §11). The input is seen three ways:
 * - as a policy text: a refusal zeroes the policy and gives one
 *   printable line (also into tiny buffers); an accepted policy has a
 *   mode, max_age <= the maximum, 1 to 64 distinct lower-case patterns
 *   (none only in mode none) that match the hosts they name, and it
 *   survives the cache format and parse unchanged;
 * - as a cache file: an accepted one formats back to the very same
 *   octets (the format is canonical) and its text points into it;
 * - as an MX host name against a fixed policy.
 * Invariants that fail abort(), which both drivers report: libFuzzer
 * (tests/fuzz/run-libfuzzer) and the standalone replay of
 * tests/fuzz/fuzz_main.c that make check runs under ASan/UBSan.
 * Linked by tests/fuzz/fuzz_sts_policy only.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sts_policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

/* Big enough to be kept off the stack; the target is not reentrant. */
static struct sts_policy	fuzz_pol, fuzz_one;
static struct sts_cache_entry	fuzz_e, fuzz_back;
static char			fuzz_buf[STS_CACHE_SIZE_MAX];
static char			fuzz_buf2[STS_CACHE_SIZE_MAX];

static int
fuzz_zero(const void *p, size_t len)
{
	const unsigned char	*u = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (u[i] != 0)
			return 0;
	return 1;
}

/* A reason: NUL-terminated in size, non-empty, printable ASCII. */
static void
fuzz_check_err(const char *err, size_t size)
{
	size_t i;

	FUZZ_CHECK(memchr(err, '\0', size) != NULL);
	for (i = 0; err[i] != '\0'; i++)
		FUZZ_CHECK(err[i] >= 0x20 && err[i] < 0x7f);
	FUZZ_CHECK(i > 0 || size == 1);
}

/* An accepted policy. */
static void
fuzz_check_policy(const struct sts_policy *p)
{
	char	host[STS_NAME_MAX + 8];
	size_t	i, j, len;

	FUZZ_CHECK(p->mode == STS_MODE_NONE || p->mode == STS_MODE_TESTING ||
	    p->mode == STS_MODE_ENFORCE);
	FUZZ_CHECK(strcmp(sts_mode_name(p->mode), "?") != 0);
	FUZZ_CHECK(p->max_age <= STS_MAX_AGE_MAX);
	FUZZ_CHECK(p->nmx <= STS_MX_MAX);
	FUZZ_CHECK(p->nmx > 0 || p->mode == STS_MODE_NONE);
	for (i = 0; i < p->nmx; i++) {
		len = strlen(p->mx[i]);
		FUZZ_CHECK(len > 0 && len <= 253);
		for (j = 0; j < len; j++) {
			char c = p->mx[i][j];

			FUZZ_CHECK((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			    (c == '*' && j == 0));
		}
		FUZZ_CHECK(p->mx[i][len - 1] != '.' && p->mx[i][0] != '.');
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p->mx[i], p->mx[j]) != 0);
		if (p->mx[i][0] != '*') {
			/* a host name matches itself, in any case */
			FUZZ_CHECK(sts_policy_mx_match(p, p->mx[i]) == 1);
			memcpy(host, p->mx[i], len);
			host[len] = '.';
			host[len + 1] = '\0';
			for (j = 0; j < len; j++)
				if (host[j] >= 'a' && host[j] <= 'z')
					host[j] = (char)(host[j] - 'a' + 'A');
			FUZZ_CHECK(sts_policy_mx_match(p, host) == 1);
		} else {
			FUZZ_CHECK(p->mx[i][1] == '.');
			/* alone, "*.rest" matches "x.rest" when rest is no
			 * TLD, never "rest" nor "a.x.rest" (§4.1) */
			memset(&fuzz_one, 0, sizeof(fuzz_one));
			fuzz_one.nmx = 1;
			memcpy(fuzz_one.mx[0], p->mx[i], len + 1);
			if (len + 3 >= sizeof(host))
				continue;
			memcpy(host, "a.x", 3);
			memcpy(host + 3, p->mx[i] + 1, len);	/* NUL too */
			FUZZ_CHECK(sts_policy_mx_match(&fuzz_one,
			    host + 2) == (strchr(host + 4, '.') != NULL));
			FUZZ_CHECK(sts_policy_mx_match(&fuzz_one,
			    host + 4) == 0);
			FUZZ_CHECK(sts_policy_mx_match(&fuzz_one, host) == 0);
		}
	}
}

/* The input as a policy text. */
static void
fuzz_policy(const char *text, size_t size)
{
	char	err[256], tiny[5];
	ssize_t	n, n2;
	int	r;

	memset(&fuzz_pol, 0x5a, sizeof(fuzz_pol));
	memset(err, 'X', sizeof(err));
	r = sts_policy_parse(text, size, &fuzz_pol, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -1);
	memset(tiny, 'X', sizeof(tiny));
	FUZZ_CHECK(sts_policy_parse(text, size, &fuzz_back.policy, tiny,
	    sizeof(tiny)) == r);
	if (r == -1) {
		FUZZ_CHECK(fuzz_zero(&fuzz_pol, sizeof(fuzz_pol)));
		fuzz_check_err(err, sizeof(err));
		fuzz_check_err(tiny, sizeof(tiny));
		FUZZ_CHECK(strncmp(err, tiny, sizeof(tiny) - 1) == 0);
		return;
	}
	FUZZ_CHECK(size > 0 && size <= STS_POLICY_SIZE_MAX);
	FUZZ_CHECK(memchr(text, '\0', size) == NULL);
	fuzz_check_policy(&fuzz_pol);

	/* the cache keeps it unchanged */
	memset(&fuzz_e, 0, sizeof(fuzz_e));
	memcpy(fuzz_e.domain, "example.org", sizeof("example.org"));
	memcpy(fuzz_e.id, "fuzz1", sizeof("fuzz1"));
	fuzz_e.fetched = 1700000000;
	fuzz_e.expires = 1700000000 + (int64_t)fuzz_pol.max_age;
	fuzz_e.text = text;
	fuzz_e.textlen = size;
	n = sts_cache_format(&fuzz_e, fuzz_buf, sizeof(fuzz_buf));
	FUZZ_CHECK(n > 0 && (size_t)n <= sizeof(fuzz_buf));
	FUZZ_CHECK(sts_cache_format(&fuzz_e, fuzz_buf2, (size_t)n - 1) == -1);
	FUZZ_CHECK(sts_cache_parse(fuzz_buf, (size_t)n, &fuzz_back, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(memcmp(&fuzz_back.policy, &fuzz_pol,
	    sizeof(fuzz_pol)) == 0);
	FUZZ_CHECK(fuzz_back.textlen == size &&
	    memcmp(fuzz_back.text, text, size) == 0);
	FUZZ_CHECK(fuzz_back.text == fuzz_buf + n - (ssize_t)size);
	n2 = sts_cache_format(&fuzz_back, fuzz_buf2, sizeof(fuzz_buf2));
	FUZZ_CHECK(n2 == n && memcmp(fuzz_buf, fuzz_buf2, (size_t)n) == 0);
	/* an inconsistent expiry is refused */
	fuzz_e.expires++;
	FUZZ_CHECK(sts_cache_format(&fuzz_e, fuzz_buf2, sizeof(fuzz_buf2)) ==
	    -1);
}

/* The input as a cache file. */
static void
fuzz_cache(const char *buf, size_t size)
{
	char	err[256];
	ssize_t	n;
	int	r;

	memset(&fuzz_back, 0x5a, sizeof(fuzz_back));
	memset(err, 'X', sizeof(err));
	r = sts_cache_parse(buf, size, &fuzz_back, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -1);
	if (r == -1) {
		FUZZ_CHECK(fuzz_zero(&fuzz_back, sizeof(fuzz_back)));
		fuzz_check_err(err, sizeof(err));
		return;
	}
	FUZZ_CHECK(fuzz_back.text >= buf && fuzz_back.textlen <= size &&
	    fuzz_back.text + fuzz_back.textlen == buf + size);
	FUZZ_CHECK(sts_cache_domain_valid(fuzz_back.domain,
	    strlen(fuzz_back.domain)));
	FUZZ_CHECK(fuzz_back.fetched >= 0 && fuzz_back.expires ==
	    fuzz_back.fetched + (int64_t)fuzz_back.policy.max_age);
	fuzz_check_policy(&fuzz_back.policy);
	/* canonical: the entry formats back to the very same octets */
	n = sts_cache_format(&fuzz_back, fuzz_buf2, sizeof(fuzz_buf2));
	FUZZ_CHECK(n >= 0 && (size_t)n == size &&
	    memcmp(fuzz_buf2, buf, size) == 0);
}

/* The input as an MX host name. */
static void
fuzz_host(const char *data, size_t size)
{
	static const char	text[] = "version: STSv1\nmode: enforce\n"
	    "max_age: 86400\nmx: mail.example.com\nmx: *.example.net\n";
	static struct sts_policy pol;
	static int		parsed;
	char			host[300], err[128];
	size_t			len, i;
	int			r;

	if (!parsed) {
		FUZZ_CHECK(sts_policy_parse(text, sizeof(text) - 1, &pol, err,
		    sizeof(err)) == 0);
		parsed = 1;
	}
	len = size < sizeof(host) - 1 ? size : sizeof(host) - 1;
	memcpy(host, data, len);
	host[len] = '\0';
	r = sts_policy_mx_match(&pol, host);
	FUZZ_CHECK(r == 0 || r == 1);
	if (r == 0)
		return;
	/* a match is one of the two, up to case and one final dot */
	len = strlen(host);
	if (len > 0 && host[len - 1] == '.')
		host[--len] = '\0';
	for (i = 0; i < len; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] - 'A' + 'a');
	if (strcmp(host, "mail.example.com") == 0)
		return;
	FUZZ_CHECK(len > 12 && strcmp(host + len - 12, ".example.net") == 0);
	FUZZ_CHECK(memchr(host, '.', len - 12) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	fuzz_policy(in, size);
	fuzz_cache(in, size);
	fuzz_host(in, size);
	return 0;
}
