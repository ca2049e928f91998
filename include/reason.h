/*
 * reason.h: the outcome of a per-session or per-message failure.
 * Pure code fills one and returns; the owner logs it once (DESIGN.md §8).
 * Included by everything in policy/ and mta/.
 */
#ifndef SEALPOST_REASON_H
#define SEALPOST_REASON_H

#define REASON_TEXT_MAX 256

struct reason {
	int	code;			/* SMTP reply code, e.g. 501; 0 if none */
	char	dsn[16];		/* RFC 3463 status, e.g. "5.5.2" */
	char	text[REASON_TEXT_MAX];	/* human text, printable ASCII */
};

#endif
