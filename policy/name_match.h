/*
 * name_match.h: one rule for comparing a DNS name with a reference that
 * may start with a wildcard label (doc/design.md §8): MTA-STS `mx`
 * patterns (RFC 8461 §4.1) and the DNS-ID names of a certificate for
 * DANE-TA and MTA-STS (RFC 6125 §6.4.3, RFC 7672 §3.2.3): "*." only as
 * the whole leftmost label, matching exactly one non-empty label; case
 * and one trailing dot ignored; everything else compared exactly.
 * Pure. Linked by the policy and smtpout binaries and the unit tests.
 */
#ifndef SEALPOST_NAME_MATCH_H
#define SEALPOST_NAME_MATCH_H

#include <stddef.h>

/*
 * Returns 1 when name matches pattern, else 0. pattern[0..plen) and
 * name[0..nlen) need no NUL. A pattern with a '*' anywhere but as the
 * whole first label ("f*.example.com", "*example.com", "a.*.com"), an
 * empty label, or "*." alone (a wildcard over a single label, which
 * would match a TLD) matches nothing.
 */
int	name_match(const char *pattern, size_t plen, const char *name,
	    size_t nlen);

#endif
