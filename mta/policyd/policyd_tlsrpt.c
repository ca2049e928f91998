/*
 * policyd_tlsrpt.c: the day's TLS report counters of the policy process
 * (RFC 8460, doc/design.md §8). smtpout reports each TLS session with a
 * host of a domain's own MX (IPC_PLAN_SESSION); they are counted per
 * UTC day and policy (policy/tlsrpt.c) and written to
 * data_dir/policy/tlsrpt/YYYY-MM-DD, rewritten atomically at most every
 * POLICYD_TLSRPT_SAVE_MS after a change, and at once when the day
 * changes. sealpost tlsrpt reads the files (as root) and sends the
 * reports. At start the current day's file is read back, so a restart
 * loses at most the last few seconds. Files older than
 * POLICYD_TLSRPT_KEEP_DAYS are removed at each new day.
 * Linked by the policy binary.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/tlsrpt.h"
#include "policyd.h"

#define POLICYD_TLSRPT_SAVE_MS	5000
#define POLICYD_TLSRPT_KEEP_DAYS	14

struct policyd_tlsrpt {
	struct loop		*loop;
	int			 dirfd;		/* data_dir/policy/tlsrpt, or
						   -1: counted, not kept */
	struct tlsrpt_day	 day;
	struct loop_timer	 save;
	int			 full_said;	/* the day's limit was logged */
};

/* Writes day to its file; 0, or -1 (logged). */
static int
policyd_tlsrpt_write(struct policyd_tlsrpt *t, const struct tlsrpt_day *day)
{
	char tmp[32], *text;
	size_t len, off = 0;
	ssize_t n;
	int fd;

	if (t->dirfd == -1 || day->date[0] == '\0')
		return 0;
	if (tlsrpt_format(day, &text, &len) == -1) {
		log_warnx("policy: tlsrpt %s: out of memory", day->date);
		return -1;
	}
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", day->date);
	if ((fd = openat(t->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		log_warn("policy: tlsrpt/%s", tmp);
		free(text);
		return -1;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	if (off < len || fsync(fd) == -1 || close(fd) == -1 ||
	    renameat(t->dirfd, tmp, t->dirfd, day->date) == -1) {
		log_warn("policy: tlsrpt/%s: write", day->date);
		if (off < len)
			(void)close(fd);
		(void)unlinkat(t->dirfd, tmp, 0);
		return -1;
	}
	(void)fsync(t->dirfd);
	return 0;
}

static void
policyd_tlsrpt_save(void *arg)
{
	struct policyd_tlsrpt *t = arg;

	if (policyd_tlsrpt_write(t, &t->day) == -1)
		loop_timer_set(t->loop, &t->save, POLICYD_TLSRPT_SAVE_MS * 6,
		    policyd_tlsrpt_save, t);
}

/* Removes day files older than POLICYD_TLSRPT_KEEP_DAYS. */
static void
policyd_tlsrpt_prune(struct policyd_tlsrpt *t, int64_t now)
{
	char oldest[11];
	struct dirent *de;
	DIR *d;
	int fd;

	if (t->dirfd == -1 || tlsrpt_date_of(now -
	    (int64_t)POLICYD_TLSRPT_KEEP_DAYS * 86400, oldest) == -1 ||
	    (fd = dup(t->dirfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (tlsrpt_date(de->d_name, NULL, NULL) &&
		    strcmp(de->d_name, oldest) < 0)
			(void)unlinkat(t->dirfd, de->d_name, 0);
	closedir(d);
}

/*
 * Reads date's file back (a restart, or a clock set back to a day
 * already counted), else starts the day empty.
 */
static void
policyd_tlsrpt_load(struct policyd_tlsrpt *t, const char *date)
{
	char err[128] = "unreadable";
	struct stat st;
	struct buf b;
	int fd;

	tlsrpt_day_init(&t->day, date);
	if (t->dirfd == -1 || (fd = openat(t->dirfd, date, O_RDONLY |
	    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) == -1)
		return;
	/* a FIFO or device in its place must not block the process */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("policy: tlsrpt/%s: not a regular file; starting "
		    "the day anew", date);
		close(fd);
		return;
	}
	buf_init(&b, TLSRPT_FILE_MAX);
	if (buf_read_fd(&b, fd) == -1) {
		log_warn("policy: tlsrpt/%s: read; starting the day anew",
		    date);
	} else if (tlsrpt_parse(b.data != NULL ? b.data : "", b.len, &t->day,
	    err, sizeof(err)) == -1 || (strcmp(t->day.date, date) != 0 &&
	    snprintf(err, sizeof(err), "the file says %s", t->day.date) > 0)) {
		log_warnx("policy: tlsrpt/%s: %s; starting the day anew",
		    date, err);
		tlsrpt_day_free(&t->day);
		tlsrpt_day_init(&t->day, date);
	}
	buf_free(&b);
	close(fd);
}

struct policyd_tlsrpt *
policyd_tlsrpt_new(struct loop *loop, int dirfd)
{
	struct policyd_tlsrpt *t;
	char date[11];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("policy: tlsrpt");
	t->loop = loop;
	t->dirfd = -1;
	if (dirfd != -1) {
		if (mkdirat(dirfd, "tlsrpt", 0700) == -1 && errno != EEXIST)
			log_warn("policy: tlsrpt");
		if ((t->dirfd = openat(dirfd, "tlsrpt", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			log_warn("policy: tlsrpt: TLS report counters are "
			    "kept in memory only");
	}
	if (tlsrpt_date_of(time(NULL), date) == -1)
		fatalx("policy: tlsrpt: the clock is before 1970");
	policyd_tlsrpt_load(t, date);
	policyd_tlsrpt_prune(t, time(NULL));
	return t;
}

void
policyd_tlsrpt_session(struct policyd_tlsrpt *t, const char *domain,
    int type, const char *mx, const char *ip, const char *failure)
{
	char date[11];
	int r;

	if (tlsrpt_date_of(time(NULL), date) == -1)
		return;
	if (strcmp(date, t->day.date) != 0) {
		/*
		 * Another UTC day: the old one is final now. The new day's
		 * file is read if it exists (the clock went back across
		 * midnight), never overwritten with a day begun anew.
		 */
		loop_timer_cancel(t->loop, &t->save);
		if (policyd_tlsrpt_write(t, &t->day) == -1)
			log_warnx("policy: tlsrpt %s: the day's last sessions "
			    "(at most %d ms of them) are not in its file; its "
			    "report may miss them", t->day.date,
			    POLICYD_TLSRPT_SAVE_MS);
		tlsrpt_day_free(&t->day);
		policyd_tlsrpt_load(t, date);
		t->full_said = 0;
		policyd_tlsrpt_prune(t, time(NULL));
	}
	if ((r = tlsrpt_add(&t->day, domain, type, mx, ip, failure)) == -1) {
		log_debug("policy: tlsrpt: session with %s for %s not "
		    "counted", mx, domain);
		return;
	}
	if (r == 1 && !t->full_said) {
		t->full_said = 1;
		log_warnx("policy: tlsrpt %s: %zu policies counted, the most "
		    "a day holds (%d, %d bytes); sessions of others are not "
		    "reported today", date, t->day.n, TLSRPT_POLICIES_MAX,
		    TLSRPT_FILE_MAX);
	}
	if (t->dirfd != -1 && !loop_timer_armed(&t->save))
		loop_timer_set(t->loop, &t->save, POLICYD_TLSRPT_SAVE_MS,
		    policyd_tlsrpt_save, t);
}

void
policyd_tlsrpt_flush(struct policyd_tlsrpt *t)
{
	if (loop_timer_armed(&t->save)) {
		loop_timer_cancel(t->loop, &t->save);
		policyd_tlsrpt_save(t);
	}
}
