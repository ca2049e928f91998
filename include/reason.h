/*
 * reason.h: the outcome of a per-session or per-message failure.
 * Pure code fills one and returns; the owner logs it once (doc/design.md §10).
 * Included by everything in policy/ and mta/.
 */
#ifndef SEALPOST_REASON_H
#define SEALPOST_REASON_H

#include <stdarg.h>

#define REASON_TEXT_MAX 256

struct reason {
	int	code;			/* SMTP reply code, e.g. 501; 0 if none */
	char	dsn[16];		/* RFC 3463 status, e.g. "5.5.2" */
	char	text[REASON_TEXT_MAX];	/* human text, printable ASCII */
};

/*
 * Fills *why (when not NULL) with code, dsn and the formatted text, and
 * returns -1 so that a parser can "return reason_set(...)". A text too
 * long for the buffer is cut (it is ours and only informative).
 */
int	reason_set(struct reason *why, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));
int	reason_vset(struct reason *why, int code, const char *dsn,
	    const char *fmt, va_list ap)
	    __attribute__((__format__(printf, 4, 0)));

#endif
