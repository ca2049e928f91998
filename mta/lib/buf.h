/*
 * buf.h: a bounded growable byte buffer. Every buffer that holds network
 * bytes has a maximum and refuses to grow past it (doc/design.md §10).
 * Linked by every sealpost binary.
 */
#ifndef SEALPOST_BUF_H
#define SEALPOST_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;	/* bytes held, from data[0] */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* len never exceeds this */
};

/* Prepares an empty buffer that will hold at most max bytes; no allocation. */
void	buf_init(struct buf *, size_t max);
/*
 * Appends n bytes. Returns 0, or -1 with errno ENOBUFS when len + n would
 * pass max (nothing is appended) or ENOMEM when allocation fails.
 */
int	buf_append(struct buf *, const void *, size_t n);
/*
 * Appends what fd holds, up to its end (a small file read whole: the
 * configuration, the admin's table, credentials). Returns 0, or -1 with
 * errno: ENOBUFS when there is more than max allows, ENOMEM, or read's.
 */
int	buf_read_fd(struct buf *, int fd);
/* Appends a NUL-terminated string; as buf_append. */
int	buf_puts(struct buf *, const char *);
/*
 * Appends a formatted text, whole (never cut); as buf_append, and -1
 * with errno EINVAL for a format vsnprintf refuses.
 */
int	buf_printf(struct buf *, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 2, 3)));
/*
 * Makes room for at least n more bytes and returns where they go, for
 * read(2) straight into the buffer; commit them with buf_commit. Returns
 * NULL with errno ENOBUFS/ENOMEM like buf_append.
 */
char	*buf_reserve(struct buf *, size_t n);
/* Marks n bytes written after buf_reserve as held (n <= what was reserved). */
void	buf_commit(struct buf *, size_t n);
/* Drops the first n bytes (n <= len). */
void	buf_consume(struct buf *, size_t n);
/* Empties the buffer, keeping its allocation. */
void	buf_reset(struct buf *);
/* Frees the storage, wiping it first; the buffer is empty and reusable. */
void	buf_free(struct buf *);

#endif
