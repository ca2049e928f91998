/*
 * smtp_addr.h: pure parsers for the arguments of MAIL FROM and RCPT TO:
 * the reverse-/forward-path (RFC 5321 §4.1.2, RFC 6531 SMTPUTF8) and the
 * ESMTP parameters sealpost offers (SIZE RFC 1870, BODY RFC 6152,
 * SMTPUTF8 RFC 6531, RET/ENVID/NOTIFY/ORCPT RFC 3461, AUTH RFC 4954,
 * REQUIRETLS RFC 8689).  Linked by smtpin.
 *
 * Reply codes chosen (all failures fill a struct reason, include/reason.h):
 *   missing '<' or '>'                      501 5.5.2 "Syntax: MAIL FROM:<address>"
 *                                            (or "Syntax: RCPT TO:<address>")
 *   syntax error inside a reverse-path      501 5.1.7 "Bad sender address syntax: ..."
 *   syntax error inside a forward-path      501 5.1.3 "Bad recipient address syntax: ..."
 *   a length limit (local part 64, label 63,
 *   domain 255, path 256 octets)            501 5.1.7 / 501 5.1.3, text names the limit
 *   non-ASCII without SMTPUTF8              553 5.6.7 (RFC 6531 §3.5)
 *   unknown or duplicate ESMTP parameter    555 5.5.4
 *   malformed ESMTP parameter value         501 5.5.4
 *   flags without exactly one of MAIL/RCPT  451 4.3.0 (a caller bug)
 *
 * Sender-specified routing is never a way to relay (doc/design.md §6): a source
 * route "<@a,@b:u@d>" is parsed (its domains are checked), then discarded;
 * only the final mailbox is returned and had_source_route is set.  A local
 * part holding '%', '!' or a quoted '@' sets local_has_routing so that the
 * caller can refuse to relay it or treat it as not local.
 */
#ifndef SEALPOST_SMTP_ADDR_H
#define SEALPOST_SMTP_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

/* Flags for smtp_addr_parse_path / _params / _arg.  Exactly one of
 * SMTP_ADDR_MAIL and SMTP_ADDR_RCPT must be given. */
#define SMTP_ADDR_MAIL		0x01	/* reverse-path: "<>" allowed */
#define SMTP_ADDR_RCPT		0x02	/* forward-path: "<postmaster>" allowed */
#define SMTP_ADDR_UTF8		0x04	/* UTF-8 allowed (SMTPUTF8 in effect) */

#define SMTP_ADDR_LOCAL_MAX	64	/* RFC 5321 §4.5.3.1.1 */
#define SMTP_ADDR_LABEL_MAX	63	/* RFC 1035 §2.3.4 */
#define SMTP_ADDR_DOMAIN_MAX	255	/* RFC 5321 §4.5.3.1.2 */
#define SMTP_ADDR_PATH_MAX	256	/* RFC 5321 §4.5.3.1.3, with "<" ">" */
/* The mailbox "local@domain" fits in a path minus its two brackets. */
#define SMTP_ADDR_ADDR_MAX	(SMTP_ADDR_PATH_MAX - 2)

struct smtp_addr {
	/* Local part as written (a quoted one keeps its quotes and
	 * backslashes), NUL-terminated. */
	char	local[SMTP_ADDR_LOCAL_MAX + 1];
	/* Local part with quotes and quoted-pairs removed: the mailbox
	 * name to look up.  May contain SP, '@' and the like. */
	char	local_dec[SMTP_ADDR_LOCAL_MAX + 1];
	/* Domain as written ("" for "<>" and "<postmaster>"), and an ASCII
	 * lower-cased copy for comparisons (UTF-8 bytes are kept). */
	char	domain[SMTP_ADDR_DOMAIN_MAX + 1];
	char	domain_lc[SMTP_ADDR_DOMAIN_MAX + 1];
	/* The mailbox "local@domain" as written, without route and
	 * brackets; "" for the null path, "postmaster" for <postmaster>. */
	char	addr[SMTP_ADDR_ADDR_MAX + 1];
	size_t	local_len, domain_len, addr_len;

	int	is_null;		/* "<>" (MAIL only) */
	int	is_postmaster;		/* local part is "postmaster" (any
					   case); domain_len == 0 for the
					   bare RCPT form */
	int	had_source_route;	/* "<@a,@b:...>" was discarded */
	int	local_has_routing;	/* local part has '%', '!' or '@' */
	int	is_quoted;		/* local part is a quoted-string */
	int	is_literal;		/* domain is an address literal */
	int	is_utf8;		/* some byte >= 0x80 in the mailbox */
};

/* BODY= values (RFC 6152). */
enum smtp_addr_body {
	SMTP_ADDR_BODY_NONE = 0,	/* not given */
	SMTP_ADDR_BODY_7BIT,
	SMTP_ADDR_BODY_8BITMIME
};

/* RET= values (RFC 3461 §4.3). */
enum smtp_addr_ret {
	SMTP_ADDR_RET_NONE = 0,		/* not given */
	SMTP_ADDR_RET_FULL,
	SMTP_ADDR_RET_HDRS
};

/* NOTIFY= bits (RFC 3461 §4.1); 0 means "not given". */
#define SMTP_ADDR_NOTIFY_NEVER		0x01
#define SMTP_ADDR_NOTIFY_SUCCESS	0x02
#define SMTP_ADDR_NOTIFY_FAILURE	0x04
#define SMTP_ADDR_NOTIFY_DELAY		0x08

#define SMTP_ADDR_ENVID_MAX	100	/* RFC 3461 §4.4, decoded */
#define SMTP_ADDR_XTEXT_MAX	500	/* RFC 3461 §4.2: ORCPT; also AUTH= */
#define SMTP_ADDR_ATYPE_MAX	32	/* addr-type of ORCPT, e.g. "rfc822" */

/*
 * The ESMTP parameters of one MAIL or RCPT command.  xtext values are
 * stored decoded and NUL-terminated (decoding never yields NUL: only
 * printable ASCII, and UTF-8 under SMTPUTF8, are accepted).
 */
struct smtp_params {
	/* MAIL */
	int			has_size;
	uint64_t		size;		/* SIZE= */
	enum smtp_addr_body	body;		/* BODY= */
	int			smtputf8;	/* SMTPUTF8 */
	enum smtp_addr_ret	ret;		/* RET= */
	int			has_envid;
	char			envid[SMTP_ADDR_ENVID_MAX + 1];
	int			requiretls;	/* REQUIRETLS */
	int			has_auth;	/* AUTH= given */
	int			auth_null;	/* AUTH=<> */
	char			auth[SMTP_ADDR_XTEXT_MAX + 1];
	/* RCPT */
	unsigned		notify;		/* SMTP_ADDR_NOTIFY_* bits */
	int			has_orcpt;
	char			orcpt_type[SMTP_ADDR_ATYPE_MAX + 1];
	char			orcpt[SMTP_ADDR_XTEXT_MAX + 1];
};

/*
 * Parses a path starting at s[0] == '<' (s need not be NUL-terminated).
 * Returns 0 and fills *out (fully overwritten); if rest is not NULL,
 * *rest points just after the '>' (the ESMTP parameters follow there);
 * if rest is NULL, anything after '>' is a syntax error.  Returns -1 and
 * fills *why (if not NULL) on any error, see the table above.  Nothing is
 * allocated.
 */
int	smtp_addr_parse_path(const char *s, size_t len, unsigned flags,
	    struct smtp_addr *out, const char **rest, struct reason *why);

/*
 * Parses the ESMTP parameters that follow a path: s[0..len) is either
 * empty or " KEY[=VALUE]" repeated (one SP before each, none trailing).
 * flags: SMTP_ADDR_MAIL or SMTP_ADDR_RCPT selects the allowed set;
 * SMTP_ADDR_UTF8 allows UTF-8 in values (RFC 6531 §3.3).  Only syntax is
 * checked: whether the session offers REQUIRETLS, whether SIZE is within
 * the limit and so on is the caller's decision.  Returns 0 and fills *out
 * (fully overwritten), or -1 and fills *why: 555 5.5.4 for an unknown or
 * repeated keyword, 501 5.5.4 for a malformed value or separator.
 */
int	smtp_addr_parse_params(const char *s, size_t len, unsigned flags,
	    struct smtp_params *out, struct reason *why);

/*
 * Convenience for a whole MAIL/RCPT argument as returned by
 * smtp_proto_parse_cmd(): path, then parameters.  flags as for
 * smtp_addr_parse_path; SMTP_ADDR_UTF8 means "SMTPUTF8 may be used": the
 * session offers it (MAIL) or the transaction's MAIL carried it (RCPT).
 * For MAIL, a non-ASCII reverse-path without the SMTPUTF8 parameter fails
 * with 553 5.6.7.  Returns 0 or -1 with *why filled; nothing allocated.
 */
int	smtp_addr_parse_arg(const char *s, size_t len, unsigned flags,
	    struct smtp_addr *addr, struct smtp_params *params,
	    struct reason *why);

/*
 * Checks that s[0..len) is exactly one domain (RFC 5321 Domain, labels of
 * letters, digits and inner hyphens, label <= 63, total <= 255 octets;
 * UTF-8 U-label bytes if flags has SMTP_ADDR_UTF8) or one address literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]").  Returns 0 if valid, -1 if not.
 */
int	smtp_addr_domain_valid(const char *s, size_t len, unsigned flags);

/*
 * Case-insensitive (ASCII) exact comparison of the NUL-terminated domain
 * against list[0..n).  Returns the index of the first match, or -1.
 */
int	smtp_addr_domain_match(const char *domain, const char *const *list,
	    size_t n);

/*
 * Returns the length of the well-formed UTF-8 sequence (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF) that starts at s and
 * has at most len bytes, or 0 if it is not one.  An ASCII byte counts as
 * a sequence of length 1.
 */
size_t	smtp_addr_utf8_len(const unsigned char *s, size_t len);

#endif
