/*
 * cli_pure.h: small pure helpers the CLI's parsers share (doc/design.md
 * §4): the day number of a calendar date (the audit report's times and
 * the Received dates of audit --message) and four hex digits of a JSON
 * \u escape (the audit report's and sealpost check's JSON readers).
 * Linked by sealpost and its unit tests and fuzz targets.
 */
#ifndef SEALPOST_CLI_PURE_H
#define SEALPOST_CLI_PURE_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
int64_t	cli_days_from_civil(int64_t y, int m, int d);

/*
 * Reads the four hex digits at s[0..n) (n may be more) into *v. Returns
 * 0, or -1 when fewer than four remain or one is no hex digit.
 */
int	cli_hex4(const char *s, size_t n, unsigned *v);

#endif
