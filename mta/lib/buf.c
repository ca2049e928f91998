/*
 * buf.c: bounded growable byte buffer (see buf.h).
 * Linked by every sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

char *
buf_reserve(struct buf *b, size_t n)
{
	size_t want, ncap;
	char *p;

	if (n > b->max - b->len) {
		errno = ENOBUFS;
		return NULL;
	}
	want = b->len + n;
	if (want > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < want)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		if (ncap > b->max)
			ncap = b->max;
		if ((p = realloc(b->data, ncap)) == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = ncap;
	}
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

int
buf_append(struct buf *b, const void *src, size_t n)
{
	char *p;

	if (n == 0)
		return 0;
	if ((p = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(p, src, n);
	b->len += n;
	return 0;
}

int
buf_read_fd(struct buf *b, int fd)
{
	ssize_t r;
	size_t n;
	char *p, probe;

	for (;;) {
		if ((n = b->max - b->len) == 0) {
			/* full: only an empty rest of the file is fine */
			while ((r = read(fd, &probe, 1)) == -1 &&
			    errno == EINTR)
				;
			if (r == 0)
				return 0;
			if (r > 0)
				errno = ENOBUFS;
			return -1;
		}
		if (n > 65536)
			n = 65536;
		if ((p = buf_reserve(b, n)) == NULL)
			return -1;
		if ((r = read(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		b->len += (size_t)r;
	}
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256], *big;
	va_list ap;
	int n, m;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n < sizeof(tmp))
		return buf_append(b, tmp, (size_t)n);
	/* longer than the usual line: format it again, whole */
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	n = m < 0 || m != n ? -1 : buf_append(b, big, (size_t)n);
	if (m < 0)
		errno = EINVAL;
	free(big);
	return n;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
