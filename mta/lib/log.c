/*
 * log.c: logging to syslog (facility mail), stderr or a file, and the
 * key=value record builder of the audit vocabulary (doc/design.md §9):
 * the text and JSON forms (log_format), the per-process sequence number
 * and the audit chain (audit_chain, log_chain.c).
 * Linked by every sealpost binary.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_chain.h"
#include "log_json.h"

static enum log_dest	 log_dest = LOG_DEST_STDERR;
static const char	*log_ident = "sealpost";
static char		 log_path[1024];
static int		 log_verbose;
static int		 log_filefd = -1;
static pid_t		 log_pid;	/* set by log_init (after daemon(3) too) */

/*
 * The record stream of this process (doc/design.md §9). The queue's
 * flusher thread logs too: the lock keeps seq, prev and the order of the
 * writes in step.
 */
static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 log_json;	/* log_format = json */
static int		 log_chain;	/* audit_chain = yes */
static int		 log_configured; /* log_format_set was called */
static int		 log_started;	/* the chain's start record is out */
static int		 log_forkhook;	/* pthread_atfork registered */
static uint64_t		 log_seq;	/* of the last record written */
static char		 log_prev[LOG_CHAIN_HEXLEN + 1];
static uint64_t		 log_nlost;	/* records of the chain not written */
static int		 log_cut;	/* a write left part of a line */

static void	log_chain_begin(const char *op);
static void	log_put(int, const char *, size_t, const char *, size_t);

/*
 * fork(2) while another thread (the queue's flusher) holds log_mtx: the
 * child would inherit it locked. So the lock is taken around the fork
 * and let go on both sides; the forking thread never holds it there.
 */
static void
log_atfork_prepare(void)
{
	(void)pthread_mutex_lock(&log_mtx);
}

static void
log_atfork_parent(void)
{
	(void)pthread_mutex_unlock(&log_mtx);
}

/*
 * A child of fork(2) is a process of its own: its records carry its pid
 * and begin a chain of their own (a new start record at its first one).
 */
static void
log_atfork_child(void)
{
	log_pid = getpid();
	log_seq = 0;
	log_started = 0;
	log_nlost = 0;
	log_cut = 0;
	(void)pthread_mutex_unlock(&log_mtx);
}

void
log_init(enum log_dest dest, const char *ident, const char *path, int verbose)
{
	/* each line names the process: one getpid(2) here, not per line */
	log_pid = getpid();
	if (!log_forkhook && pthread_atfork(log_atfork_prepare,
	    log_atfork_parent, log_atfork_child) == 0)
		log_forkhook = 1;
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

/*
 * Whether descriptors a and b are one file (st_dev and st_ino): a reopen
 * of the file written to already is no new file (doc/design.md §9).
 */
static int
log_same_file(int a, int b)
{
	struct stat sa, sb;

	if (a == -1 || b == -1 || fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void
log_reopen(void)
{
	int fd, same;

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
	(void)pthread_mutex_lock(&log_mtx);
	if (log_filefd != -1) {
		same = log_same_file(log_filefd, fd);
		close(log_filefd);
		log_filefd = fd;
		if (log_started && !same)
			log_chain_begin("reopen");
	} else
		log_filefd = fd;
	(void)pthread_mutex_unlock(&log_mtx);
}

void
log_use_fd(int fd)
{
	int same;

	if (log_dest != LOG_DEST_FILE) {
		close(fd);
		return;
	}
	(void)pthread_mutex_lock(&log_mtx);
	same = log_same_file(log_filefd, fd);
	if (log_filefd != -1)
		close(log_filefd);
	log_filefd = fd;
	if (log_started && !same)
		log_chain_begin("reopen");
	(void)pthread_mutex_unlock(&log_mtx);
}

void
log_format_set(int json, int chain)
{
	log_json = json != 0;
	log_chain = chain != 0;
	log_configured = 1;
	(void)pthread_mutex_lock(&log_mtx);
	log_chain_begin("start");
	(void)pthread_mutex_unlock(&log_mtx);
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

/* The level of a free-form line as a word, for the JSON "level". */
static const char *
log_level_name(int pri)
{
	switch (pri) {
	case LOG_CRIT:
		return "fatal";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

/* Appends p[0..n) to dst[*len..size), as much as fits. */
static void
log_cat(char *dst, size_t size, size_t *len, const char *p, size_t n)
{
	if (*len >= size)
		return;
	if (n > size - *len)
		n = size - *len;
	memcpy(dst + *len, p, n);
	*len += n;
}

/*
 * Writes line[0..len) (with its newline) to fd whole, again after a
 * short write; a line a failed write left in part is ended first (a
 * newline before the next line, not part of any record). Returns 0, or
 * -1 when the line did not get out whole.
 */
static int
log_write(int fd, char *line, size_t len)
{
	size_t lead = log_cut ? 1 : 0, off = 0;
	ssize_t w;

	if (lead) {
		/* line[-1] is ours to use: see log_rec */
		line--;
		line[0] = '\n';
		len++;
	}
	while (off < len) {
		w = write(fd, line + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off == len) {
		log_cut = 0;
		return 0;
	}
	if (off > lead)
		log_cut = 1;
	else if (off == 1)
		log_cut = 0;	/* the newline got out, nothing of the line */
	return -1;
}

/*
 * Writes one record (doc/design.md §9). Text: head is the whole record
 * ("event k=v..." or a free-form message), rest is empty. JSON: head is
 * the "event" member, rest the members after it. Adds the prefix (file
 * and stderr: time, process, pid; syslog adds its own), seq= and, with
 * the chain, prev=, remembers the link to this record and writes it with
 * one write(2), so that lines of several processes never mix. A record
 * that does not get out whole (a full disk) has used its seq and its
 * link all the same: it is counted in log_nlost. Returns 0, or -1 when
 * the write failed. The caller holds log_mtx.
 */
static int
log_rec(int pri, const char *head, size_t headlen, const char *rest,
    size_t restlen)
{
	char out[1 + LOG_KV_MAX + 640], stamp[64], tail[128], pre[128];
	char *rec = out + 1;	/* out[0]: room for log_write's newline */
	size_t len = 0, max, taillen, prelen = 0;
	struct tm tm;
	time_t now;
	int n, fd;

	/*
	 * Before log_format_set (start-up errors on a terminal, sealpostd
	 * -n) there is no record stream yet: no seq, nothing counted.
	 */
	if (log_configured)
		log_seq++;
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		stamp[0] = '\0';
	if (log_json) {
		size_t sl = strlen(stamp);

		/* RFC 3339 wants the offset as +hh:mm */
		if (sl == 24 && sl + 2 <= sizeof(stamp)) {
			memmove(stamp + 23, stamp + 22, 3);
			stamp[22] = ':';
		}
		n = snprintf(tail, sizeof(tail), ",\"seq\":%" PRIu64 "%s%s%s}",
		    log_seq, log_chain ? ",\"prev\":\"" : "",
		    log_chain ? log_prev : "", log_chain ? "\"" : "");
	} else
		n = snprintf(tail, sizeof(tail), " seq=%" PRIu64 "%s%s",
		    log_seq, log_chain ? " prev=" : "",
		    log_chain ? log_prev : "");
	if (n < 0 || (size_t)n >= sizeof(tail))
		return 0;
	taillen = (size_t)n;
	if (!log_configured)
		taillen = 0;	/* text only: json needs log_format_set */
	/* tail and newline always fit */
	max = sizeof(out) - 1 - taillen - 1;
	if (log_json) {
		log_cat(rec, max, &len, "{", 1);
		log_cat(rec, max, &len, head, headlen);
		n = snprintf(pre, sizeof(pre), ",\"ts\":\"%s\",\"proc\":",
		    stamp);
		if (n > 0 && (size_t)n < sizeof(pre))
			log_cat(rec, max, &len, pre, (size_t)n);
		prelen = log_json_escape(pre, sizeof(pre), log_ident,
		    strlen(log_ident));
		if (prelen < sizeof(pre))
			log_cat(rec, max, &len, pre, prelen);
		n = snprintf(pre, sizeof(pre), ",\"pid\":%ld",
		    (long)(log_pid != 0 ? log_pid : getpid()));
		if (n > 0 && (size_t)n < sizeof(pre))
			log_cat(rec, max, &len, pre, (size_t)n);
		/* a member cut short would not parse: rest fits whole or not */
		if (len + restlen <= max)
			log_cat(rec, max, &len, rest, restlen);
		else
			log_cat(rec, max, &len, ",\"truncated\":1", 14);
		prelen = 0;
	} else {
		if (log_dest != LOG_DEST_SYSLOG) {
			n = snprintf(pre, sizeof(pre), "%s %s[%ld]: ", stamp,
			    log_ident,
			    (long)(log_pid != 0 ? log_pid : getpid()));
			if (n > 0 && (size_t)n < sizeof(pre))
				log_cat(rec, max, &len, pre, (size_t)n);
		}
		prelen = len;
		log_cat(rec, max, &len, log_level_word(pri),
		    strlen(log_level_word(pri)));
		log_cat(rec, max, &len, head, headlen);
		log_cat(rec, max, &len, rest, restlen);
	}
	memcpy(rec + len, tail, taillen);
	len += taillen;
	rec[len] = '\0';
	/*
	 * The link covers the record as this process writes it: the whole
	 * line for a file or stderr; what it hands to syslog(3) there,
	 * since syslog's own prefix is not the process's.
	 */
	if (log_chain)
		(void)log_chain_hash(rec, len, log_prev);
	if (log_dest == LOG_DEST_SYSLOG) {
		/* syslog(3) says nothing of a loss (sealpost(8)) */
		syslog(pri, "%s", rec);
		return 0;
	}
	rec[len++] = '\n';
	fd = (log_dest == LOG_DEST_FILE && log_filefd != -1) ? log_filefd : 2;
	if (log_write(fd, rec, len) == 0)
		return 0;
	if (log_configured)
		log_nlost++;
	return -1;
}

/*
 * Writes `log op=lost n=N` for the N records of the chain whose writes
 * failed, as a record of the chain (doc/design.md §9): its seq comes
 * right after the N missing ones. When it fails too, it is one more to
 * count. The caller holds log_mtx.
 */
static void
log_lost(void)
{
	struct log_kv kv;

	log_kv_init(&kv, "log");
	log_kv_str(&kv, "op", "lost");
	log_kv_fmt(&kv, "n", "%" PRIu64, log_nlost);
	if ((kv.json ? log_rec(LOG_INFO, kv.line, kv.evlen,
	    kv.line + kv.evlen, kv.len - kv.evlen) : log_rec(LOG_INFO,
	    kv.line, kv.len, "", 0)) == 0)
		log_nlost = 0;
}

/*
 * Writes a record (see log_rec): a forked child's start record first,
 * and the count of records lost before it when writes failed. The
 * caller holds log_mtx.
 */
static void
log_put(int pri, const char *head, size_t headlen, const char *rest,
    size_t restlen)
{
	if (log_configured && !log_started) {
		/* a forked child's first record: its chain begins here */
		log_started = 1;
		log_chain_begin("start");
	}
	if (log_nlost > 0)
		log_lost();
	(void)log_rec(pri, head, headlen, rest, restlen);
}

/*
 * Writes the record that begins a chain (op start: prev all zeros) or
 * marks its move to a new file (op reopen: the chain goes on). The caller
 * holds log_mtx, or is single-threaded at start.
 */
static void
log_chain_begin(const char *op)
{
	struct log_kv kv;

	if (!log_configured)
		return;
	if (strcmp(op, "start") == 0) {
		/* a new chain: seq=1, prev all zeros, nothing lost in it */
		memcpy(log_prev, log_chain_zero, sizeof(log_prev));
		log_seq = 0;
		log_nlost = 0;
		log_started = 1;
	}
	log_kv_init(&kv, "log");
	log_kv_str(&kv, "op", op);
	log_kv_str(&kv, "format", log_json ? "json" : "text");
	log_kv_str(&kv, "chain", log_chain ? "yes" : "no");
	if (kv.json)
		log_put(LOG_INFO, kv.line, kv.evlen, kv.line + kv.evlen,
		    kv.len - kv.evlen);
	else
		log_put(LOG_INFO, kv.line, kv.len, "", 0);
}

/*
 * A free-form line as a JSON record: "event":"message" with its level
 * and text (cut, never inside an escape, to what a record holds; a text
 * cut here or before, truncated set, is followed by "truncated":1). The
 * caller holds log_mtx.
 */
static void
log_json_msg(int pri, const char *msg, size_t len, int truncated)
{
	char rest[LOG_KV_MAX], esc[LOG_KV_MAX];
	const size_t limit = sizeof(esc) - 64;
	size_t need, elen, cut;
	int n;

	while ((need = log_json_escape(esc, limit, msg, len)) >= limit) {
		cut = (need - limit) / 6 + 1;
		len -= cut < len ? cut : len;
		truncated = 1;
	}
	elen = strlen(esc);
	n = snprintf(rest, sizeof(rest), ",\"level\":\"%s\",\"text\":%.*s%s",
	    log_level_name(pri), (int)elen, esc,
	    truncated ? ",\"truncated\":1" : "");
	if (n < 0 || (size_t)n >= sizeof(rest))
		return;
	log_put(pri, "\"event\":\"message\"", 17, rest, (size_t)n);
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
	int saved = errno, n, cut;
	size_t i, len;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	cut = (size_t)n >= sizeof(msg);
	len = strlen(msg);
	if (with_errno) {
		n = snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
		if (n < 0 || (size_t)n >= sizeof(msg) - len)
			cut = 1;
	}
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	(void)pthread_mutex_lock(&log_mtx);
	if (log_json)
		log_json_msg(pri, msg, i, cut);
	else
		log_put(pri, msg, i, "", 0);
	(void)pthread_mutex_unlock(&log_mtx);
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
	size_t n;

	kv->json = log_json;
	if (kv->json) {
		/* "event":"e" */
		memcpy(kv->line, "\"event\":", 8);
		n = log_json_escape(kv->line + 8, sizeof(kv->line) - 8, event,
		    strlen(event));
		kv->truncated = n >= sizeof(kv->line) - 8;
		if (kv->truncated)
			n = 2;		/* "" */
		if (kv->truncated)
			memcpy(kv->line + 8, "\"\"", 3);
		kv->len = kv->evlen = 8 + n;
		return;
	}
	n = strlcpy(kv->line, event, sizeof(kv->line));
	kv->truncated = n >= sizeof(kv->line);
	kv->len = kv->truncated ? sizeof(kv->line) - 1 : n;
	kv->evlen = kv->len;
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
	if (kv->json)
		need = log_json_value(esc, sizeof(esc), key, val, vallen);
	else
		need = log_escape(esc, sizeof(esc), val, vallen);
	if (need >= sizeof(esc)) {
		kv->truncated = 1;
		return;
	}
	n = snprintf(kv->line + kv->len, sizeof(kv->line) - kv->len,
	    kv->json ? ",\"%s\":%s" : " %s=%s", key, esc);
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
	const char *mark = kv->json ? ",\"truncated\":1" : " truncated=1";
	size_t marklen = strlen(mark);

	if (kv->truncated && kv->len + marklen < sizeof(kv->line)) {
		memcpy(kv->line + kv->len, mark, marklen + 1);
		kv->len += marklen;
	}
	(void)pthread_mutex_lock(&log_mtx);
	if (kv->json)
		log_put(LOG_INFO, kv->line, kv->evlen, kv->line + kv->evlen,
		    kv->len - kv->evlen);
	else
		log_put(LOG_INFO, kv->line, kv->len, "", 0);
	(void)pthread_mutex_unlock(&log_mtx);
}
