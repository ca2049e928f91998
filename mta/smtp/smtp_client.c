/*
 * smtp_client.c: the pieces smtpout's SMTP and the local process's LMTP
 * share (see smtp_client.h; RFC 5321 §4.5.2, §4.1.1.4, RFC 2033). Pure.
 * Linked by smtpout, local and their tests.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "smtp_client.h"

int
smtp_client_word(const char *t, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(t, w, len) == 0;
}

int
smtp_client_number(const char *t, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	*out = v;
	return 0;
}

void
smtp_client_dot_init(struct smtp_client_dot *d)
{
	d->bol = 1;
}

/*
 * A line at a time: only the first octet of a line can need a dot, so
 * everything up to and including the next LF is copied in one block
 * (memchr and memcpy; a 100 KB message has few lines that start with a
 * dot, most have none). The state is whether the last octet was an LF.
 */
size_t
smtp_client_dot_encode(struct smtp_client_dot *d, const char *in,
    size_t len, char *out)
{
	const char *lf;
	size_t i = 0, n = 0, seg;

	while (i < len) {
		if (d->bol && in[i] == '.')
			out[n++] = '.';
		lf = memchr(in + i, '\n', len - i);
		seg = lf != NULL ? (size_t)(lf - (in + i)) + 1 : len - i;
		memcpy(out + n, in + i, seg);
		n += seg;
		i += seg;
		d->bol = lf != NULL;
	}
	return n;
}

size_t
smtp_client_dot_end(const struct smtp_client_dot *d, char *out)
{
	if (d->bol) {
		memcpy(out, ".\r\n", 3);
		return 3;
	}
	memcpy(out, "\r\n.\r\n", 5);
	return 5;
}
