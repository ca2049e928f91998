/*
 * sts_policy.h: the MTA-STS policy file (RFC 8461 §3.2 and errata 6253,
 * 7282), the match of an MX host against its mx patterns (§4.1), and
 * the policy process's on-disk cache entry (§3.3; doc/design.md §2, §8:
 * only the policy process writes data_dir/policy).
 * Pure: no I/O, no logging, no allocation, no global state (doc/design.md
 * §1.5). Linked by the policy process, tests/unit/test_sts_policy
 * and tests/fuzz/fuzz_sts_policy.
 *
 * The grammar (§3.2; %s is case-sensitive, RFC 7405):
 *   sts-policy-record  = sts-policy-field *WSP
 *                        *(sts-policy-term sts-policy-field *WSP)
 *                        [sts-policy-term]
 *   sts-policy-field   = version / mode / max_age / mx / extension
 *   sts-policy-field-delim = ":" *WSP
 *   version: %s"STSv1"; mode: %s"testing" / %s"enforce" / %s"none";
 *   max_age: 1*10(DIGIT); mx: ["*."] Domain (RFC 5321 §4.1.2);
 *   extension: sts-policy-ext-name ":" *WSP sts-policy-ext-value, the
 *     name (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."), the
 *     value printable ASCII or UTF-8, inner spaces only, not empty;
 *   sts-policy-term    = LF / CRLF
 * What this parser decides (each is tested):
 * - LF and CRLF both end a line, mixed too (erratum 6253); the last
 *   line may lack one. No empty line, no white space before a key, no
 *   bare CR, no NUL, no control octet, no invalid UTF-8 anywhere.
 * - Keys are case-sensitive: "Version:" is an unknown key (ignored), so
 *   that policy lacks its version. Unknown keys are ignored once they
 *   follow the grammar.
 * - version, mode and max_age exactly once each, in any order (the
 *   grammar sets no order); a second one, even equal, is invalid.
 * - max_age: 1 to 10 digits (leading zeros allowed, no sign); a value
 *   over STS_MAX_AGE_MAX (31557600, §3.2) is kept as STS_MAX_AGE_MAX:
 *   the grammar admits it (erratum 7282 notes the conflict), the text
 *   says it is the maximum a sender honours, and refusing the policy
 *   would drop the domain's protection for its publisher's typo.
 * - mx: required at least once except in mode none (the grammar's
 *   comment in §3.2); at most STS_MX_MAX distinct patterns (more is
 *   invalid: the bound is ours, not the RFC's); a pattern is a host name
 *   of LDH labels of 1 to 63 octets, at most 253 octets, no trailing
 *   dot, optionally prefixed "*."; stored in lower case, duplicates
 *   once.
 * - At most STS_POLICY_SIZE_MAX octets (§3.3: 64 KiB).
 */
#ifndef SEALPOST_STS_POLICY_H
#define SEALPOST_STS_POLICY_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "sts_record.h"

#define STS_MX_MAX		64
#define STS_MAX_AGE_MAX		31557600	/* §3.2: a year */
#define STS_POLICY_SIZE_MAX	65536		/* §3.3 */
#define STS_NAME_MAX		254		/* a host name, NUL included */

enum sts_mode { STS_MODE_NONE = 0, STS_MODE_TESTING, STS_MODE_ENFORCE };

struct sts_policy {
	int		mode;		/* enum sts_mode */
	uint32_t	max_age;	/* seconds, <= STS_MAX_AGE_MAX */
	size_t		nmx;
	char		mx[STS_MX_MAX][STS_NAME_MAX];	/* lower case, as
							   given */
};

/*
 * Parses the policy text[0..len) (no NUL needed) into out. Returns 0
 * when it is valid, or -1 with out zeroed and a one-line reason in err
 * (line number and what is wrong; it quotes no octet of the text, so it
 * is printable ASCII, and is truncated to errlen; err may be NULL when
 * errlen is 0). Never reads outside text[0..len).
 */
int	sts_policy_parse(const char *text, size_t len, struct sts_policy *out,
	    char *err, size_t errlen);

/*
 * Returns 1 when host (an MX name, NUL-terminated, any case, optional
 * trailing dot) matches one of the policy's mx patterns (name_match:
 * "*." matches exactly one leftmost label, §4.1), else 0.
 */
int	sts_policy_mx_match(const struct sts_policy *, const char *host);

/* The mode's word: "enforce", "testing", "none" ("?" for no mode). */
const char	*sts_mode_name(int mode);

/*
 * The cache entry the policy process writes atomically to a file per
 * domain: the domain, the TXT id the policy was fetched under, when it
 * was fetched and when it expires (unix seconds), and the policy text as
 * fetched (so that one parser reads it again). The format, every line
 * ending in LF, in this order and nothing else:
 *   sealpost-sts-cache 1
 *   domain <host name>
 *   id <1 to 32 ALPHA/DIGIT>
 *   fetched <decimal seconds>
 *   expires <decimal seconds>
 *   policy <decimal length>
 *   <exactly length octets of policy text, then the end of the file>
 * Numbers are digits only, without leading zeros (0 alone); expires is
 * fetched + the policy's max_age (as parsed, so clamped).
 */
struct sts_cache_entry {
	char		domain[STS_NAME_MAX];
	char		id[STS_ID_MAX + 1];
	int64_t		fetched;
	int64_t		expires;	/* fetched + max_age */
	struct sts_policy policy;
	const char	*text;		/* format: the policy text */
	size_t		textlen;
};

/* The most sts_cache_format writes: the header lines and the text. */
#define STS_CACHE_SIZE_MAX	(STS_POLICY_SIZE_MAX + 512)

/*
 * Writes the entry (its domain, id, fetched and e->text[0..textlen);
 * e->policy and e->expires are checked, not trusted: the text is parsed
 * again and expires must be fetched + its max_age) into out[0..size).
 * Returns the length written (no NUL added), or -1 if it does not fit
 * or the entry is not one sts_cache_parse would accept (a domain that is
 * no host name, a bad id, a negative or inconsistent time, a text that
 * sts_policy_parse refuses).
 */
ssize_t	sts_cache_format(const struct sts_cache_entry *e, char *out,
	    size_t size);

/*
 * Reads an entry back from buf[0..len): every line and the text are
 * validated, the policy is parsed again from the stored text, and
 * e->text points into buf (valid while buf is). Returns 0, or -1 with e
 * zeroed and a one-line reason in err (as sts_policy_parse's). A
 * corrupt, truncated or extended file is refused, never trusted.
 */
int	sts_cache_parse(const char *buf, size_t len, struct sts_cache_entry *e,
	    char *err, size_t errlen);

/*
 * Returns 1 when name[0..len) is a host name as the cache stores it
 * (LDH labels of 1 to 63 octets, no leading or trailing '-', at most
 * 253 octets, no trailing dot, any case), else 0. For the policy
 * process to check a domain before it names a cache file after it.
 */
int	sts_cache_domain_valid(const char *name, size_t len);

#endif
