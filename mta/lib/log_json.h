/*
 * log_json.h: the pieces of log_format = json (doc/design.md §9): JSON
 * string escaping (RFC 8259, RFC 3629) and the schema's rule for which
 * keys are numbers. Pure. Linked by every sealpost binary (through
 * log.c) and by sealpost(8).
 */
#ifndef SEALPOST_LOG_JSON_H
#define SEALPOST_LOG_JSON_H

#include <stddef.h>

/*
 * Writes src[0..srclen) as a JSON string, quotes included, into dst
 * (always NUL-terminated when dstsize > 0; never cut inside an escape).
 * '"' and '\' are backslash-escaped; control bytes and DEL become
 * \u00XX; well-formed UTF-8 is copied as it is; every byte that is not
 * part of a well-formed UTF-8 sequence (a stray continuation byte, an
 * overlong form, a surrogate, above U+10FFFF, a cut sequence) becomes
 * \udcXX, the lone low surrogate U+DC00 + byte (PEP 383's
 * "surrogateescape"): no valid UTF-8 ever decodes to one, so the byte is
 * recoverable and never mistaken for a character. Returns the length the
 * whole string needs (like snprintf): a return >= dstsize means it was
 * cut.
 */
size_t	log_json_escape(char *dst, size_t dstsize, const char *src,
	    size_t srclen);

/*
 * Whether key is one of the schema's number keys (pid, seq, port, uid,
 * nrcpt, size, delay, attempt, max_age, truncated, n). Returns 1 or 0.
 */
int	log_json_numeric_key(const char *key);

/*
 * Writes the value of key as the schema says: a JSON number when key is
 * a number key and val is a decimal integer (no sign, no leading zero,
 * at most 15 digits, so every JSON reader holds it exactly), else a JSON
 * string (log_json_escape). Same return and truncation as
 * log_json_escape.
 */
size_t	log_json_value(char *dst, size_t dstsize, const char *key,
	    const char *val, size_t vallen);

#endif
