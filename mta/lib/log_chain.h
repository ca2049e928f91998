/*
 * log_chain.h: the audit chain of the log (doc/design.md §9): with
 * audit_chain = yes every record of a process carries prev=, the hex
 * SHA-256 of the exact bytes of that process's previous record, so that
 * a removed, edited or reordered record breaks the chain. Pure: computing
 * a link and checking one step. Linked by every sealpost binary (through
 * log.c) and by sealpost(8)'s audit --verify.
 */
#ifndef SEALPOST_LOG_CHAIN_H
#define SEALPOST_LOG_CHAIN_H

#include <stddef.h>

#define LOG_CHAIN_HEXLEN	64	/* hex digits of a SHA-256 */

/* The prev= of the first record of a chain: 64 zeros, NUL-terminated. */
extern const char log_chain_zero[LOG_CHAIN_HEXLEN + 1];

/*
 * Writes the lower-case hex SHA-256 (GnuTLS gnutls_hash_fast) of
 * rec[0..len) into hex, NUL-terminated. rec is the record as written,
 * without its newline. Returns 0, or -1 when GnuTLS fails (hex is then
 * log_chain_zero's copy, so a caller that goes on breaks the chain
 * visibly rather than silently).
 */
int	log_chain_hash(const char *rec, size_t len,
	    char hex[LOG_CHAIN_HEXLEN + 1]);

/*
 * Whether prev (plen bytes, not necessarily NUL-terminated, from the
 * record that follows) is the link to rec[0..len): exactly 64 lower-case
 * hex digits equal to log_chain_hash of rec. Returns 1 when it is, 0 when
 * not (malformed prev included), -1 when GnuTLS fails.
 */
int	log_chain_step(const char *rec, size_t len, const char *prev,
	    size_t plen);

/* Whether p[0..len) is a well-formed link: 64 lower-case hex digits. */
int	log_chain_valid(const char *p, size_t len);

#endif
