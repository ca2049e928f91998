/*
 * local_mbox.c: the mbox format of /file targets (see local_mbox.h,
 * doc/design.md §12). Pure.
 * Linked by the local binary and its tests.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "local_mbox.h"

#define LOCAL_MBOX_FROM		"From "
#define LOCAL_MBOX_FROMLEN	5

int
local_mbox_from_line(char *out, size_t size, const char *sender, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	const char *p;
	int n;

	for (p = sender; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -1;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	n = snprintf(out, size, "From %s %s %s %2d %02d:%02d:%02d %d\n",
	    sender[0] != '\0' ? sender : "MAILER-DAEMON", days[tm.tm_wday],
	    months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tm.tm_year + 1900);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void
local_mbox_init(struct local_mbox *m)
{
	memset(m, 0, sizeof(*m));
	m->bol = 1;
}

/* Writes what was held back: a partial "From " and a CR. */
static size_t
local_mbox_flush(struct local_mbox *m, char *out)
{
	size_t n = 0;

	if (m->nfrom > 0) {
		memcpy(out, LOCAL_MBOX_FROM, (size_t)m->nfrom);
		n = (size_t)m->nfrom;
		m->nfrom = 0;
	}
	if (m->cr) {
		out[n++] = '\r';
		m->cr = 0;
	}
	return n;
}

size_t
local_mbox_encode(struct local_mbox *m, const char *in, size_t len,
    char *out)
{
	size_t i, n = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (m->cr) {
			m->cr = 0;
			if (c == '\n') {
				out[n++] = '\n';
				m->bol = 1;
				continue;
			}
			out[n++] = '\r';	/* a bare CR is content */
		}
		if (m->bol && c == LOCAL_MBOX_FROM[m->nfrom]) {
			if (++m->nfrom == LOCAL_MBOX_FROMLEN) {
				out[n++] = '>';
				memcpy(out + n, LOCAL_MBOX_FROM,
				    LOCAL_MBOX_FROMLEN);
				n += LOCAL_MBOX_FROMLEN;
				m->nfrom = 0;
				m->bol = 0;
			}
			continue;
		}
		if (m->nfrom > 0)
			n += local_mbox_flush(m, out + n);
		m->bol = 0;
		if (c == '\r') {
			m->cr = 1;
			continue;
		}
		out[n++] = c;
		if (c == '\n')
			m->bol = 1;
	}
	return n;
}

size_t
local_mbox_end(struct local_mbox *m, char *out)
{
	size_t n = local_mbox_flush(m, out);

	if (n > 0 || !m->bol)
		out[n++] = '\n';
	out[n++] = '\n';
	m->bol = 1;
	return n;
}
