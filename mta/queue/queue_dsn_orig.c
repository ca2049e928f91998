/*
 * queue_dsn_orig.c: the DSN builder's reading of the original message
 * (see queue_dsn_orig.h; queue_dsn_header is declared in queue_dsn.h):
 * header fields, the header block, lines fit to be copied, boundary
 * collisions (RFC 2046 §5.1.1). doc/design.md §12. Pure. Linked by the
 * queue and its unit tests.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "queue_dsn.h"
#include "queue_dsn_orig.h"

/* RFC 5322 §2.1.1 "MUST", without the CRLF. */
#define QUEUE_DSN_ORIG_LINE_MAX	998

/* ---- the original ------------------------------------------------------ */

/*
 * Returns the length of the header block of msg[0..len): up to and
 * including the CRLF of the last field line before the first empty line,
 * or of the last complete line when there is none.
 */
size_t
queue_dsn_hdr_len(const char *msg, size_t len)
{
	size_t i = 0, end = 0;
	const char *nl;

	while (i < len) {
		if ((nl = memchr(msg + i, '\n', len - i)) == NULL)
			break;
		if ((size_t)(nl - msg) == i ||
		    ((size_t)(nl - msg) == i + 1 && msg[i] == '\r'))
			break;			/* the empty line */
		i = (size_t)(nl - msg) + 1;
		end = i;
	}
	return end;
}

int
queue_dsn_header(const char *msg, size_t len, const char *name, char *out,
    size_t size)
{
	size_t hlen, i = 0, nlen = strlen(name), o = 0, e;
	int found = 0;

	out[0] = '\0';
	if (msg == NULL)
		return 0;
	hlen = queue_dsn_hdr_len(msg, len);
	while (i < hlen && !found) {
		e = (size_t)((const char *)memchr(msg + i, '\n', hlen - i) - msg);
		if (e - i > nlen && strncasecmp(msg + i, name, nlen) == 0) {
			size_t j = i + nlen;

			while (j < e && (msg[j] == ' ' || msg[j] == '\t'))
				j++;
			if (j < e && msg[j] == ':') {
				found = 1;
				i = j + 1;
				break;
			}
		}
		i = e + 1;
	}
	if (!found)
		return 0;
	/* The value, continuation lines joined without their line ends. */
	for (;;) {
		e = (size_t)((const char *)memchr(msg + i, '\n', hlen - i) - msg);
		for (; i < e; i++) {
			if (msg[i] == '\r' && i + 1 == e)
				continue;
			if (o == 0 && (msg[i] == ' ' || msg[i] == '\t'))
				continue;
			if (o + 1 < size)
				out[o++] = msg[i];
		}
		i = e + 1;
		if (i >= hlen || (msg[i] != ' ' && msg[i] != '\t'))
			break;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
	return 1;
}

/*
 * Whether p[0..n) can be copied into the report as it is: CRLF line
 * ends, no NUL, no bare CR or LF, no line over 998 octets (a last line
 * without CRLF is allowed; the caller ends it). Sets *eight when an
 * octet is over 0x7f.
 */
int
queue_dsn_clean(const char *p, size_t n, int *eight)
{
	size_t i, col = 0;

	*eight = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (c == '\n' || c == '\0')
			return 0;
		if (c > 0x7f)
			*eight = 1;
		if (++col > QUEUE_DSN_ORIG_LINE_MAX)
			return 0;
	}
	return 1;
}

/* Whether needle (not "") occurs in hay[0..n). */
static int
queue_dsn_has(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	if (hay == NULL || k == 0 || n < k)
		return 0;
	for (i = 0; i + k <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Whether the boundary b occurs in anything the report copies. */
int
queue_dsn_collides(const struct queue_dsn_msg *m, const char *ret,
    size_t retlen, const char *subject, const char *msgid, const char *b)
{
	size_t i;

	if (queue_dsn_has(ret, retlen, b) ||
	    queue_dsn_has(subject, strlen(subject), b) ||
	    queue_dsn_has(msgid, strlen(msgid), b))
		return 1;
	for (i = 0; i < m->nrcpt; i++) {
		const struct queue_dsn_rcpt *r = &m->rcpt[i];
		const char *f[] = { r->addr, r->orcpt, r->mx, r->text };
		size_t j;

		for (j = 0; j < sizeof(f) / sizeof(f[0]); j++)
			if (f[j] != NULL && queue_dsn_has(f[j], strlen(f[j]), b))
				return 1;
	}
	return 0;
}

