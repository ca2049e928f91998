/*
 * log.c: logging to syslog (facility mail), stderr or a file, and the
 * key=value record builder of the audit vocabulary (doc/design.md §9).
 * Linked by every sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_dest	 log_dest = LOG_DEST_STDERR;
static const char	*log_ident = "sealpost";
static char		 log_path[1024];
static int		 log_verbose;
static int		 log_filefd = -1;
static pid_t		 log_pid;	/* set by log_init (after daemon(3) too) */

void
log_init(enum log_dest dest, const char *ident, const char *path, int verbose)
{
	/* each line names the process: one getpid(2) here, not per line */
	log_pid = getpid();
	log_ident = ident;
	log_verbose = verbose;
	log_dest = dest;
	if (dest == LOG_DEST_SYSLOG) {
		/* LOG_NDELAY: connect now, before any chroot hides /dev/log. */
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		return;
	}
	if (dest == LOG_DEST_FILE) {
		if (path == NULL || strlcpy(log_path, path, sizeof(log_path)) >=
		    sizeof(log_path)) {
			log_dest = LOG_DEST_STDERR;
			log_warnx("log file name too long; logging to stderr");
			return;
		}
		log_reopen();
	}
}

void
log_reopen(void)
{
	int fd;

	if (log_dest != LOG_DEST_FILE)
		return;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		int saved = errno;

		if (log_filefd == -1) {
			log_dest = LOG_DEST_STDERR;
			errno = saved;
			log_warn("cannot open log file %s; logging to stderr",
			    log_path);
		}
		return;
	}
	if (log_filefd != -1)
		close(log_filefd);
	log_filefd = fd;
}

void
log_use_fd(int fd)
{
	if (log_dest != LOG_DEST_FILE) {
		close(fd);
		return;
	}
	if (log_filefd != -1)
		close(log_filefd);
	log_filefd = fd;
}

int
log_fd(void)
{
	return log_dest == LOG_DEST_FILE ? log_filefd : -1;
}

static const char *
log_level_word(int pri)
{
	switch (pri) {
	case LOG_CRIT:
		return "fatal: ";
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

static void
log_write(int pri, const char *msg)
{
	char line[LOG_KV_MAX + 256], stamp[64];
	struct tm tm;
	time_t now;
	int n, fd;

	if (log_dest == LOG_DEST_SYSLOG) {
		syslog(pri, "%s%s", log_level_word(pri), msg);
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s%s\n", stamp, log_ident,
	    (long)(log_pid != 0 ? log_pid : getpid()), log_level_word(pri),
	    msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = (log_dest == LOG_DEST_FILE && log_filefd != -1) ? log_filefd : 2;
	/* One write(2) per line so lines of several processes never mix. */
	(void)write(fd, line, (size_t)n);
}

/*
 * Free-form messages are ours, but they may carry data from the network
 * (an address in an error): strip control bytes here as a last line of
 * defence. Structured records use log_kv, which escapes properly.
 */
static void
log_vmsg(int pri, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_KV_MAX];
	int saved = errno, n;
	size_t i, len;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	len = strlen(msg);
	if (with_errno)
		(void)snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	log_write(pri, msg);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

static int
log_plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	    c == '/' || c == '@' || c == '+' || c == '-';
}

/* Appends piece to dst unless it, or an earlier piece, did not fit whole. */
static void
log_escape_put(char *dst, size_t dstsize, size_t *out, size_t *written,
    const char *piece, size_t plen)
{
	if (*written == *out && dstsize > 0 && *out + plen < dstsize) {
		memcpy(dst + *out, piece, plen);
		*written += plen;
	}
	*out += plen;
}

size_t
log_escape(char *dst, size_t dstsize, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, out = 0, written = 0, plen;
	int quote = (srclen == 0);
	char piece[4];

	for (i = 0; i < srclen && !quote; i++)
		if (!log_plain_byte((unsigned char)src[i]))
			quote = 1;
	if (quote)
		log_escape_put(dst, dstsize, &out, &written, "\"", 1);
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '"' || c == '\\') {
			piece[0] = '\\';
			piece[1] = (char)c;
			plen = 2;
		} else if (c < 0x20 || c > 0x7e) {
			piece[0] = '\\';
			piece[1] = 'x';
			piece[2] = hex[c >> 4];
			piece[3] = hex[c & 0xf];
			plen = 4;
		} else {
			piece[0] = (char)c;
			plen = 1;
		}
		log_escape_put(dst, dstsize, &out, &written, piece, plen);
	}
	if (quote)
		log_escape_put(dst, dstsize, &out, &written, "\"", 1);
	if (dstsize > 0)
		dst[written] = '\0';
	return out;
}

void
log_kv_init(struct log_kv *kv, const char *event)
{
	size_t n = strlcpy(kv->line, event, sizeof(kv->line));

	kv->truncated = n >= sizeof(kv->line);
	kv->len = kv->truncated ? sizeof(kv->line) - 1 : n;
}

void
log_kv_add(struct log_kv *kv, const char *key, const char *val, size_t vallen)
{
	char esc[LOG_KV_MAX];
	size_t need;
	int n;

	if (kv->truncated)
		return;
	if (val == NULL) {
		val = "";
		vallen = 0;
	}
	need = log_escape(esc, sizeof(esc), val, vallen);
	if (need >= sizeof(esc)) {
		kv->truncated = 1;
		return;
	}
	n = snprintf(kv->line + kv->len, sizeof(kv->line) - kv->len, " %s=%s",
	    key, esc);
	/* Keep room for " truncated=1" so the reader knows. */
	if (n < 0 || (size_t)n >= sizeof(kv->line) - kv->len - 16) {
		kv->line[kv->len] = '\0';
		kv->truncated = 1;
		return;
	}
	kv->len += (size_t)n;
}

int
log_kv_try(struct log_kv *kv, const char *key, const char *val,
    size_t vallen, size_t room)
{
	size_t len = kv->len;

	if (kv->truncated)
		return -1;
	log_kv_add(kv, key, val, vallen);
	if (!kv->truncated && kv->len + room <= sizeof(kv->line))
		return 0;
	kv->len = len;
	kv->line[len] = '\0';
	kv->truncated = 0;
	return -1;
}

void
log_kv_str(struct log_kv *kv, const char *key, const char *val)
{
	log_kv_add(kv, key, val, val ? strlen(val) : 0);
}

void
log_kv_fmt(struct log_kv *kv, const char *key, const char *fmt, ...)
{
	char val[LOG_KV_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val)) {
		kv->truncated = 1;
		return;
	}
	log_kv_add(kv, key, val, (size_t)n);
}

void
log_kv_emit(struct log_kv *kv)
{
	if (kv->truncated && kv->len + 12 < sizeof(kv->line)) {
		memcpy(kv->line + kv->len, " truncated=1", 13);
		kv->len += 12;
	}
	log_write(LOG_INFO, kv->line);
}
