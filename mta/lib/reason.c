/*
 * reason.c: filling a struct reason (include/reason.h), the one way every
 * pure parser and decider reports a failure. Pure.
 * Linked by every binary that parses SMTP or envelopes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reason.h"

int
reason_vset(struct reason *why, int code, const char *dsn, const char *fmt,
    va_list ap)
{
	int n;

	if (why == NULL)
		return -1;
	why->code = code;
	if (strlcpy(why->dsn, dsn, sizeof(why->dsn)) >= sizeof(why->dsn))
		why->dsn[0] = '\0';
	/* our own texts are short; one that would not fit is cut */
	n = vsnprintf(why->text, sizeof(why->text), fmt, ap);
	if (n < 0)
		why->text[0] = '\0';
	return -1;
}

int
reason_set(struct reason *why, int code, const char *dsn, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)reason_vset(why, code, dsn, fmt, ap);
	va_end(ap);
	return -1;
}
