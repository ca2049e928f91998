/*
 * envelope_esc.h: the canonical value spellings of sealpost-envelope(5)
 * that the attempt history (history.c, queue/ID.hist) shares with the
 * envelope: the %XX string escape and canonical decimal numbers, so that
 * both files have one rule, written once (doc/design.md §7, §12).
 * Implemented in envelope.c.  Pure.  Linked by smtpin, queue and the
 * sealpost CLI with envelope.c.
 */
#ifndef SEALPOST_ENVELOPE_ESC_H
#define SEALPOST_ENVELOPE_ESC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes the escaped form of the NUL-terminated s into buf[0..size): every
 * octet outside 0x21..0x7e, and every '%', becomes '%' and two upper-case
 * hex digits; nothing else is escaped, and "" stays "" (the envelope's
 * "-" for an empty value is the envelope's own business).  buf may be
 * NULL when size is 0.  Returns the length of the whole escaped form,
 * which may exceed size: then buf holds an unspecified part of it.
 */
size_t	envelope_esc_encode(const char *s, char *buf, size_t size);

/*
 * The inverse of envelope_esc_encode: decodes p[0..n) into out[0..size)
 * and NUL-terminates it.  Refuses (-1) every other spelling: a raw octet
 * that must be escaped, an escape of an octet that must not be, lower-case
 * or missing hex digits, %00, or a result that does not fit in size - 1
 * octets.  Returns 0, or -1 with out unspecified.
 */
int	envelope_esc_decode(const char *p, size_t n, char *out, size_t size);

/*
 * Reads the canonical decimal number p[0..n) ("0", or digits without a
 * leading zero; no sign) into *v.  Returns 0, or -1 if it is not
 * canonical or exceeds max (*v unchanged).
 */
int	envelope_esc_number(const char *p, size_t n, uint64_t max, uint64_t *v);

#endif
