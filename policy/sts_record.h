/*
 * sts_record.h: the MTA-STS TXT record `_mta-sts.<domain>` (RFC 8461
 * §3.1 and its errata): whether one TXT RR is an STSv1 record, whether
 * it is valid, its policy id, and the choice of the one record of an
 * RRset (doc/design.md §8).
 * Pure: no I/O, no logging, no allocation, no global state (doc/design.md
 * §1.5). Linked by the policy process, tests/unit/test_sts_record
 * and tests/fuzz/fuzz_sts_record.
 *
 * The grammar (RFC 8461 §3.1, RFC 7405 for %s, which is case-sensitive):
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field)
 *                     [sts-field-delim]
 *   sts-field       = sts-id / sts-extension
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 * Decisions where the RFC leaves room (each is tested):
 * - "Ours" is a record that starts with the octets "v=STSv1" followed by
 *   its end, a ';' or white space (erratum 6285 notes that the text's
 *   "v=STSv1;" and the grammar's *WSP before ';' disagree: both count).
 *   Anything else ("V=STSv1", " v=STSv1", a BOM first, "v=STSv10") is
 *   not an STSv1 record and is ignored, as §3.1 discards it.
 * - A field named "id" is the id: its value must be 1 to 32 ALPHA/DIGIT
 *   (so "id=a-b" is malformed, not an extension named id), and a second
 *   one makes the record malformed (which id would name the policy?).
 *   "ID=..." is an extension (the name is case-sensitive), so a record
 *   with only that has no id and is malformed.
 * - Nothing may follow the last field but a delimiter: trailing white
 *   space without ';' is outside the grammar, hence malformed.
 */
#ifndef SEALPOST_STS_RECORD_H
#define SEALPOST_STS_RECORD_H

#include <stddef.h>

#define STS_ID_MAX	32	/* RFC 8461 §3.1: 1*32(ALPHA / DIGIT) */

enum sts_record_status {
	STS_RECORD_OK = 0,	/* exactly one valid STSv1 record: id set */
	STS_RECORD_NONE,	/* no record starts with "v=STSv1" */
	STS_RECORD_MULTIPLE,	/* more than one STSv1 record: no policy
				   (§3.1) */
	STS_RECORD_INVALID,	/* one STSv1 record, malformed (no id, bad
				   id, bad syntax) */
};

/*
 * One TXT RR's text, txt[0..len) (its strings concatenated, as dns_wire
 * gives it; no NUL needed, a NUL inside is a malformed octet).
 * Returns 1 for a valid STSv1 record, with its id copied into id
 * (NUL-terminated); 0 for a record that is not STSv1 (not ours); -1 for
 * an STSv1 record that does not follow the grammar. id is set to "" on
 * 0 and -1. Never reads outside txt[0..len).
 */
int	sts_record_parse(const char *txt, size_t len,
	    char id[STS_ID_MAX + 1]);

/*
 * The RRset: n records, txt[i][0..len[i]). Records that are not STSv1
 * are discarded; of the rest exactly one must remain and be valid
 * (§3.1). Returns an enum sts_record_status; id is the record's id on
 * STS_RECORD_OK and "" otherwise. n may be 0 (NONE).
 */
int	sts_record_pick(const char *const *txt, const size_t *len, size_t n,
	    char id[STS_ID_MAX + 1]);

/* The status's word for logs: "ok", "none", "multiple", "invalid". */
const char	*sts_record_status_name(int status);

#endif
