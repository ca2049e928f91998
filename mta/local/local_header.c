/*
 * local_header.c: the Delivered-To loop check (see local_header.h,
 * doc/design.md §12, RFC 5322 §2.2). Pure.
 * Linked by the local binary and its tests.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "local_header.h"

#define LOCAL_HEADER_FIELD	"delivered-to"
#define LOCAL_HEADER_FIELDLEN	12

/* Whether c is space or horizontal tab (RFC 5322 WSP). */
static int
local_header_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Compares the unfolded value v[0..n) (CR and LF of the folds inside)
 * with addr: white space around it and one pair of <> do not count,
 * CR, LF and the white space of a fold are skipped.
 */
static int
local_header_match(const char *v, size_t n, const char *addr, size_t alen)
{
	size_t i = 0, j = 0, end = n;
	char a, b;

	while (i < end && (local_header_wsp(v[i]) || v[i] == '\r' ||
	    v[i] == '\n'))
		i++;
	while (end > i && (local_header_wsp(v[end - 1]) ||
	    v[end - 1] == '\r' || v[end - 1] == '\n'))
		end--;
	if (end - i >= 2 && v[i] == '<' && v[end - 1] == '>') {
		i++;
		end--;
	}
	for (; i < end; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;	/* a fold */
		if (j == alen)
			return 0;
		a = v[i];
		b = addr[j++];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return j == alen;
}

int
local_header_delivered_to(const char *msg, size_t len, const char *addr,
    size_t alen)
{
	const char *line, *lf, *colon;
	size_t off = 0, end, ll;

	while (off < len) {
		line = msg + off;
		/* the field: its first line and every continuation line */
		end = off;
		do {
			lf = memchr(msg + end, '\n', len - end);
			end = lf != NULL ? (size_t)(lf - msg) + 1 : len;
		} while (end < len && local_header_wsp(msg[end]));
		ll = end - off;
		off = end;
		if (ll == 0 || line[0] == '\n' || (line[0] == '\r' &&
		    (ll == 1 || line[1] == '\n')))
			return 0;	/* the empty line: the header ends */
		if ((colon = memchr(line, ':', ll)) == NULL)
			continue;
		if ((size_t)(colon - line) != LOCAL_HEADER_FIELDLEN ||
		    strncasecmp(line, LOCAL_HEADER_FIELD,
		    LOCAL_HEADER_FIELDLEN) != 0)
			continue;
		if (local_header_match(colon + 1, ll - (size_t)(colon + 1 -
		    line), addr, alen))
			return 1;
	}
	return 0;
}
