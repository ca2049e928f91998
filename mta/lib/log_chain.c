/*
 * log_chain.c: computing and checking the links of the log's audit chain
 * (see log_chain.h, doc/design.md §9). SHA-256 (FIPS 180-4) through
 * GnuTLS. Pure: no I/O, no state. Linked by every sealpost binary.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "log_chain.h"

const char log_chain_zero[LOG_CHAIN_HEXLEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int
log_chain_hash(const char *rec, size_t len, char hex[LOG_CHAIN_HEXLEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, rec, len, md) != 0) {
		memcpy(hex, log_chain_zero, sizeof(log_chain_zero));
		return -1;
	}
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[LOG_CHAIN_HEXLEN] = '\0';
	return 0;
}

int
log_chain_valid(const char *p, size_t len)
{
	size_t i;

	if (len != LOG_CHAIN_HEXLEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

int
log_chain_step(const char *rec, size_t len, const char *prev, size_t plen)
{
	char hex[LOG_CHAIN_HEXLEN + 1];

	if (!log_chain_valid(prev, plen))
		return 0;
	if (log_chain_hash(rec, len, hex) == -1)
		return -1;
	return memcmp(hex, prev, LOG_CHAIN_HEXLEN) == 0;
}
