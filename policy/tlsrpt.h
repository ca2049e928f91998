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
 * policy, a RESULT not of RFC 8460 §4.3's list, detail counts and OTHER
 * that do not add up to FAIL, or a missing end line refuses the whole
 * file. A day never grows past TLSRPT_FILE_MAX: a row that could take
 * its file past it is not added (doc/design.md §8).
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
#define TLSRPT_SEEN_SLOTS	256	/* refusals remembered (tlsrpt_seen) */
#define TLSRPT_SEEN_SECS	60	/* a refusal counted once this long */

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
						   TLSRPT_POLICIES_MAX or the
						   file's size */
	size_t			 bytes;		/* the most its file can take
						   (counts at 16 digits) */
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

/* 1 when s[0..len) is a result type of RFC 8460 §4.3.2, else 0. */
int	tlsrpt_result_known(const char *s, size_t len);

/*
 * Counts one session: policy (domain, type, mx: "" unless tlsa) gets a
 * success when result is "", else a failure of that RFC 8460 type at
 * mx and ip (ip "" when none). Every string must be of its field's
 * character set (host names lower case), result one of RFC 8460's.
 * Returns 0; 1 when the day is full (TLSRPT_POLICIES_MAX policies, or a
 * new policy's row would take the file past TLSRPT_FILE_MAX: the session
 * is counted in dropped); -1 on an invalid field or out of memory
 * (nothing counted). A failure that finds no detail row left (16, or the
 * file's size) counts in the policy's other. A count at TLSRPT_COUNT_MAX
 * stays there, so that the details always add up to fail.
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

/*
 * What smtpout knows of one TLS session (or of a host the policy
 * refused) with an MX host, for tlsrpt_classify (doc/design.md §8).
 */
struct tlsrpt_sess {
	const char	*domain;	/* the recipient domain */
	const char	*mx;		/* the MX host */
	const char	*tlsa_base;	/* DANE's TLSA base domain, or "" */
	const char	*policy_src;	/* the host's after the message's
					   own rules (REQUIRETLS,
					   TLS-Required: No) */
	const char	*failure;	/* RFC 8460 type, "" passed */
	const char	*policy;	/* the host's policy word ("dane",
					   "mta-sts", "encrypt"...), or
					   NULL: what the downgrade memory
					   raised it to */
	int		 own_mx;	/* the domain's own MX, no relay */
	int		 sts_testing;	/* under MTA-STS testing */
	int		 dane_unusable;	/* DANE's word with only unusable
					   TLSA records (encrypt) */
	int		 report_mail;	/* the message is a TLS report: the
					   null sender and TLS-Required: No */
};

/* Where a session is counted: policy domain, type, result. */
struct tlsrpt_count {
	const char	*domain;	/* the policy domain (into the
					   tlsrpt_sess's strings) */
	int		 type;		/* enum tlsrpt_type */
	const char	*result;	/* "" success, else an RFC 8460 type */
};

/*
 * Decides whether and under which policy a session counts
 * (doc/design.md §8, RFC 8460 §3, §4.3): not at all for a relay, a
 * TLS report's own delivery, or a host whose requirement the message
 * replaced (policy_src tls-required-no or requiretls); tlsa (policy
 * domain the TLSA base domain, else the MX host) for DANE's word and
 * for a TLSA lookup that failed (dnssec-invalid), with tlsa-invalid
 * for a passed session under only unusable records; sts under MTA-STS
 * (enforce or testing); else no-policy-found; both under the recipient
 * domain. Returns 1 and fills *out, or 0 (not counted).
 */
int	tlsrpt_classify(const struct tlsrpt_sess *, struct tlsrpt_count *out);

/*
 * The refusals already counted: a host the policy refused is counted
 * once per recipient domain, host and type within TLSRPT_SEEN_SECS
 * (doc/design.md §8). Zero it to start.
 */
struct tlsrpt_seen {
	uint64_t	key[TLSRPT_SEEN_SLOTS];
	int64_t		when[TLSRPT_SEEN_SLOTS];
};

/*
 * 1 when the refusal (domain, mx, result) at time now is to be counted
 * (and remembers it), 0 when it was within TLSRPT_SEEN_SECS. Two keys
 * that share a slot push each other out: a refusal may then be counted
 * again, never lost.
 */
int	tlsrpt_seen_first(struct tlsrpt_seen *, const char *domain,
	    const char *mx, const char *result, int64_t now);

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
