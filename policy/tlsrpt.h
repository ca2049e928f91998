/*
 * tlsrpt.h: SMTP TLS Reporting (RFC 8460), the pure parts
 * (doc/design.md §8): a day's session counters per policy, their day
 * file (data_dir/policy/tlsrpt/YYYY-MM-DD, written by the policy
 * process, read by sealpost tlsrpt), the UTC date, and the TXT record
 * `_smtp._tls.<domain>` (RFC 8460 §3).
 * Pure: no I/O, no logging, no global state (doc/design.md §1.5); it
 * allocates the policy array of a day. Linked by the policy process,
 * sealpost(8), tests/unit/test_tlsrpt and tests/fuzz/fuzz_tlsrpt.
 *
 * The day file (version 1), one record per line, fields separated by
 * one space, every field from a closed character set:
 *   sealpost-tlsrpt 1 YYYY-MM-DD
 *   p DOMAIN TYPE MX OK FAIL OTHER    a policy: TYPE sts, tlsa or
 *                                     no-policy-found; MX the host for
 *                                     tlsa, else "-"; OTHER failures
 *                                     past the detail rows
 *   d RESULT MX IP COUNT              a failure-details row of the
 *                                     policy above (IP "-" when none)
 *   end NPOLICIES
 * Anything else, a count out of range, a row too many, a duplicate
 * policy or a missing end line refuses the whole file.
 */
#ifndef SEALPOST_TLSRPT_H
#define SEALPOST_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#define TLSRPT_POLICIES_MAX	1000	/* policies (domain, type, mx) a day */
#define TLSRPT_DETAILS_MAX	16	/* failure rows per policy */
#define TLSRPT_FILE_MAX		(4 * 1024 * 1024)
#define TLSRPT_NAME_MAX		254	/* a host name and its NUL */
#define TLSRPT_IP_MAX		64
#define TLSRPT_RESULT_MAX	64
#define TLSRPT_COUNT_MAX	((uint64_t)1 << 50)
#define TLSRPT_RUA_MAX		8	/* rua URIs used of a record */
#define TLSRPT_URI_MAX		512

enum tlsrpt_type {
	TLSRPT_T_STS = 1,		/* "sts": MTA-STS (RFC 8461) */
	TLSRPT_T_TLSA,			/* "tlsa": DANE (RFC 7672) */
	TLSRPT_T_NONE,			/* "no-policy-found" */
};

struct tlsrpt_detail {
	char		result[TLSRPT_RESULT_MAX];	/* RFC 8460 §4.3 */
	char		mx[TLSRPT_NAME_MAX];
	char		ip[TLSRPT_IP_MAX];		/* "" none */
	uint64_t	count;
};

struct tlsrpt_policy {
	char		domain[TLSRPT_NAME_MAX];	/* policy domain */
	int		type;				/* enum tlsrpt_type */
	char		mx[TLSRPT_NAME_MAX];		/* tlsa: the host;
							   else "" */
	uint64_t	ok, fail;			/* sessions */
	uint64_t	other;				/* failures that had
							   no row left */
	size_t		ndetail;
	struct tlsrpt_detail d[TLSRPT_DETAILS_MAX];
};

struct tlsrpt_day {
	char			 date[11];	/* YYYY-MM-DD */
	struct tlsrpt_policy	*p;		/* n of them, owned */
	size_t			 n, cap;
	uint64_t		 dropped;	/* sessions of policies past
						   TLSRPT_POLICIES_MAX */
};

/* "sts", "tlsa", "no-policy-found"; NULL for anything else. */
const char *tlsrpt_type_word(int type);
/* The enum tlsrpt_type of word[0..len), or 0. */
int	tlsrpt_type_parse(const char *word, size_t len);

/*
 * 1 when s is a real date YYYY-MM-DD (year 1970..9999), else 0. When
 * start is not NULL, *start and *end are its first second and the first
 * second of the next day, UTC (unix time).
 */
int	tlsrpt_date(const char *s, int64_t *start, int64_t *end);
/* Writes the UTC date of t into out (11 octets). Returns 0 or -1. */
int	tlsrpt_date_of(int64_t t, char out[11]);

/* Empties day (frees its policies) and sets its date ("" allowed). */
void	tlsrpt_day_init(struct tlsrpt_day *, const char *date);
void	tlsrpt_day_free(struct tlsrpt_day *);

/*
 * Counts one session: policy (domain, type, mx: "" unless tlsa) gets a
 * success when result is "", else a failure of that RFC 8460 type at
 * mx and ip (ip "" when none). Every string must be of its field's
 * character set (host names lower case). Returns 0; 1 when the day is
 * full (the session is counted in dropped); -1 on an invalid field or
 * out of memory (nothing counted).
 */
int	tlsrpt_add(struct tlsrpt_day *, const char *domain, int type,
	    const char *mx, const char *ip, const char *result);

/*
 * Writes day as a day file into a new buffer *out (NUL-terminated,
 * *outlen octets, the caller's to free). Returns 0, or -1 when out of
 * memory.
 */
int	tlsrpt_format(const struct tlsrpt_day *, char **out, size_t *outlen);

/*
 * Reads a day file buf[0..len) into day (initialised here; free it with
 * tlsrpt_day_free also on failure). Returns 0, or -1 with a one-line
 * reason in err ("line 3: ...").
 */
int	tlsrpt_parse(const char *buf, size_t len, struct tlsrpt_day *day,
	    char *err, size_t errlen);

/* The TXT record of RFC 8460 §3. */
struct tlsrpt_record {
	size_t	nrua;
	char	rua[TLSRPT_RUA_MAX][TLSRPT_URI_MAX];	/* "mailto:..." or
							   "https://..." */
};

/*
 * One TXT RR's text txt[0..len). Returns 1 for a valid TLSRPTv1 record
 * (rec filled: its mailto: and https: URIs, in order; others skipped),
 * 0 for a record that does not start with "v=TLSRPTv1" (not ours), -1
 * for a TLSRPTv1 record that is malformed or names no usable URI (err
 * says why). Never reads outside txt[0..len).
 */
int	tlsrpt_record_parse(const char *txt, size_t len,
	    struct tlsrpt_record *rec, char *err, size_t errlen);

/*
 * The address of a mailto: URI (RFC 6068, no hfields): copied into
 * out[0..size) with %XX decoded. Returns 0, or -1 when it is not one
 * plain address (local@domain, printable, no space, '<', '>' or ',').
 */
int	tlsrpt_mailto(const char *uri, char *out, size_t size);

#endif
