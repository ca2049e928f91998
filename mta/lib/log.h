/*
 * log.h: logging for every sealpost binary (doc/design.md §9).
 * Lines go to syslog (facility mail), to stderr (-d) or to a file.
 * log_kv builds the one-line key=value records of the audit vocabulary;
 * its escaping guarantees that no CR, LF, NUL or other control byte ever
 * reaches a log line raw.
 */
#ifndef SEALPOST_LOG_H
#define SEALPOST_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_dest {
	LOG_DEST_SYSLOG,
	LOG_DEST_STDERR,
	LOG_DEST_FILE,
};

#define LOG_KV_MAX	4096	/* one record, including the event word */

struct log_kv {
	char	line[LOG_KV_MAX];	/* text: "event k=v..."; json: the
					   members "event":"e","k":v... */
	size_t	len;
	size_t	evlen;		/* json: the length of "event":"e" */
	int	truncated;
	int	json;		/* the format when the record began */
};

/*
 * Opens the log for this process. ident is the program name shown on each
 * line ("sealpostd", "smtpin"...). For LOG_DEST_FILE, path is opened for
 * append before any chroot; failure is reported on stderr and falls back to
 * stderr. Calling again re-opens (SIGHUP).
 */
void	log_init(enum log_dest dest, const char *ident, const char *path,
	    int verbose);
/*
 * Sets this process's record format from now on (log_format: json 0 for
 * the text form, 1 for one JSON object per line) and the audit chain
 * (audit_chain: every record then also carries prev=, log_chain.h), and
 * begins the process's chain with the record `log op=start` (prev all
 * zeros). Call it once the destination is final (after log_init). From
 * then on every record, free-form lines included, carries seq=, counted
 * from 1 (the start record) in both formats (doc/design.md §9); lines
 * before it (start-up errors on a terminal) have none. A process made by
 * fork(2) begins a chain of its own at its first record.
 */
void	log_format_set(int json, int chain);
/*
 * Re-opens a log file after rotation; no-op for syslog and stderr. Once
 * the chain began, the new file's first record of this process is
 * `log op=reopen` (its seq and prev continue the chain).
 */
void	log_reopen(void);
/*
 * Logs to fd from now on (a child in its chroot cannot open the file
 * again: the master opens it and passes the fd, doc/design.md §9). Takes
 * ownership of fd; closed at once when this process logs elsewhere.
 * Writes `log op=reopen` to it as log_reopen does.
 */
void	log_use_fd(int fd);
/* The file descriptor of the log file, or -1; kept across exec by children. */
int	log_fd(void);

void	fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));

/*
 * Escapes src[0..srclen) for a log value into dst (always NUL-terminated
 * when dstsize > 0). The value is wrapped in double quotes when it is empty
 * or contains anything but [A-Za-z0-9._:/@+-]; inside quotes '"' and '\'
 * are backslash-escaped and every byte outside 0x20..0x7e becomes \xHH.
 * Returns the length the full escaped value needs (like snprintf), so a
 * return >= dstsize means it was truncated.
 */
size_t	log_escape(char *dst, size_t dstsize, const char *src, size_t srclen);

/* Starts a record whose first word is event ("in", "out", "policy"...). */
void	log_kv_init(struct log_kv *, const char *event);
/* Appends key=value with value escaped; val may be NULL (written as ""). */
void	log_kv_add(struct log_kv *, const char *key, const char *val,
	    size_t vallen);
/*
 * As log_kv_add, but only if the record then still has room octets free
 * for what follows; otherwise nothing is added (and the record is not
 * marked truncated). Returns 0 when added, -1 when not.
 */
int	log_kv_try(struct log_kv *, const char *key, const char *val,
	    size_t vallen, size_t room);
/* As log_kv_add with a NUL-terminated value. */
void	log_kv_str(struct log_kv *, const char *key, const char *val);
/* As log_kv_add with a formatted value (escaped like any other). */
void	log_kv_fmt(struct log_kv *, const char *key, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
/*
 * Writes the record at info level, with seq= (and prev=) after its keys;
 * a truncated record ends in "truncated=1" before them.
 */
void	log_kv_emit(struct log_kv *);

#endif
