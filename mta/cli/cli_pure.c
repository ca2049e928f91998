/*
 * cli_pure.c: small pure helpers the CLI's parsers share (doc/design.md
 * §4). Linked by sealpost and its unit tests and fuzz targets.
 */
#include "config.h"

#include "cli_pure.h"

int64_t
cli_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
cli_hex4(const char *s, size_t n, unsigned *v)
{
	size_t	i;
	char	c;

	if (n < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}
