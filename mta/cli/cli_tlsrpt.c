/*
 * cli_tlsrpt.c: sealpost tlsrpt (RFC 8460, doc/design.md §8). As root
 * it reads what only root (or the policy user) may read: the policy
 * process's day files (data_dir/policy/tlsrpt/YYYY-MM-DD), the cached
 * MTA-STS policy texts, what was sent (data_dir/tlsrpt/sent-YYYY-MM-DD)
 * and the DKIM key (dkim_key_file), each directory opened step by step
 * and each file without following a symlink, without blocking on a
 * FIFO, a regular file with one name only; it makes data_dir/tlsrpt
 * (root's, 0700) and gives that directory, never a file in it, to
 * `user`; then it becomes `user` (setgroups, setgid, setuid, checked)
 * before any DNS answer, HTTP reply or SMTP reply is parsed
 * (cli_tlsrpt_send.c), and only then writes the sent state and prunes
 * it. --dry-run changes nothing on disk. Each domain's report is built
 * (cli_tlsrpt_fmt.c), gzipped and sent to each rua: mailto: through the
 * pickup socket, DKIM-signed (lib/dkim.c; without a key mailto: rua
 * are skipped), with the null sender and `TLS-Required: No` (RFC 8460
 * §3, §5.3); https: as a POST to public addresses only. The sent state
 * records each target: a failed one is tried again by the next two
 * daily runs, then given up; the file is saved after each domain and
 * removed after 14 days.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_tlsrpt.h"
#include "lib/dkim.h"
#include "lib/log.h"
#include "lib/pickup.h"
#include "policy/sts_policy.h"

#define CLI_TLSRPT_JSON_MAX	(8 * 1024 * 1024)
#define CLI_TLSRPT_RETRY_DAYS	2
#define CLI_TLSRPT_SENT_KEEP	14	/* days a sent-DATE file is kept */
#define CLI_TLSRPT_TIMEOUT	60	/* seconds, pickup */
#define CLI_TLSRPT_KEY_MAX	(64 * 1024)
#define CLI_TLSRPT_SENT_MAX	(32 * 1024 * 1024)	/* a sent-DATE file */
#define CLI_TLSRPT_ESC_MAX	(4 * TLSRPT_URI_MAX + 8)	/* escaped */
#define CLI_TLSRPT_NOTREG	-2	/* not a regular file of one name */

/* s escaped for a line of the report (log_escape, doc/design.md §9). */
static const char *
cli_tlsrpt_esc(const char *s, char *buf, size_t size)
{
	(void)log_escape(buf, size, s, strlen(s));
	return buf;
}

/* What the failure r (errno e) of cli_tlsrpt_read is, for stderr. */
static const char *
cli_tlsrpt_why(int r, int e)
{
	if (r == CLI_TLSRPT_NOTREG)
		return "not a regular file (a FIFO, a device, a directory, "
		    "or a file with another name); skipped";
	if (e == ELOOP)
		return "a symbolic link; refused";
	return e == ENOBUFS ? "too large" : strerror(e);
}

/*
 * Opens name in dirfd to read it, as root (doc/design.md §8): never
 * through a symlink, never blocking (a FIFO planted by `user` or the
 * policy user must not hang the run), a regular file with no other
 * name only (a hard link to a file of root's is not read). Returns the
 * fd, -1 with errno, or CLI_TLSRPT_NOTREG.
 */
static int
cli_tlsrpt_open(int dirfd, const char *name)
{
	struct stat st;
	int fd, e;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return CLI_TLSRPT_NOTREG;
	}
	return fd;
}

/*
 * Reads the file name of dirfd (cli_tlsrpt_open) into b, bounded by
 * b's maximum. 0, -1 with errno (ENOBUFS: too large), or
 * CLI_TLSRPT_NOTREG.
 */
static int
cli_tlsrpt_read(int dirfd, const char *name, struct buf *b)
{
	int fd, r, e;

	if ((fd = cli_tlsrpt_open(dirfd, name)) < 0)
		return fd;
	r = buf_read_fd(b, fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * Reads sent-DATE of dirfd (dirfd -1 or no file: empty) into s
 * (cli_tlsrpt_sent_parse). 0, -1 (errno), or CLI_TLSRPT_NOTREG.
 */
static int
cli_tlsrpt_sent_load(int dirfd, const char *date, struct cli_tlsrpt_sent *s)
{
	struct buf b;
	char name[32];
	int r, en;

	memset(s, 0, sizeof(*s));
	if (dirfd == -1)
		return 0;
	(void)snprintf(name, sizeof(name), "sent-%s", date);
	buf_init(&b, CLI_TLSRPT_SENT_MAX);
	if ((r = cli_tlsrpt_read(dirfd, name, &b)) == 0 &&
	    cli_tlsrpt_sent_parse(b.data != NULL ? b.data : "", b.len, s) ==
	    -1) {
		r = -1;
		errno = ENOMEM;
	}
	en = errno;
	buf_free(&b);
	errno = en;
	return r == -1 && en == ENOENT ? 0 : r;
}

/* Writes sent-DATE atomically. 0, or -1 (errno). */
static int
cli_tlsrpt_sent_save(int dirfd, const char *date,
    const struct cli_tlsrpt_sent *s)
{
	char name[32], tmp[40];
	FILE *f;
	size_t i, j;
	int fd, ok;

	(void)snprintf(name, sizeof(name), "sent-%s", date);
	(void)snprintf(tmp, sizeof(tmp), ".sent-%s.tmp", date);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = 1;
	for (i = 0; i < s->n; i++) {
		if (fprintf(f, "%s %s\n", s->e[i].domain,
		    cli_tlsrpt_state_word(s->e[i].state)) < 0)
			ok = 0;
		for (j = 0; j < s->e[i].nto; j++)
			if (fprintf(f, "%s to %s\n", s->e[i].domain,
			    s->e[i].to[j]) < 0)
				ok = 0;
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, name) == -1) {
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	(void)fsync(dirfd);
	return 0;
}

/*
 * The gate of the report mail (doc/design.md §1.1): MAIL goes only to
 * the local pickup socket, whose mail the queue and smtpout carry over
 * TLS like any other. The null sender: nothing bounces back into a loop
 * (RFC 8460 §5.3, RFC 5321 §4.5.5). Exits on a socket that is not
 * AF_UNIX.
 */
static int
cli_tlsrpt_gate_mail(struct pickup_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    ss.ss_family != AF_UNIX) {
		fprintf(stderr, "sealpost tlsrpt: not the local pickup socket; "
		    "refusing to send\n");
		exit(EX_SOFTWARE);
	}
	return pickup_cmd(c, "MAIL FROM:", "<>", "");
}

/* Writes b dot-stuffed (its lines end in CRLF). 0, or -1. */
static int
cli_tlsrpt_stuff(int fd, const struct buf *b)
{
	const char *p, *end, *nl;

	for (p = b->data, end = b->data + b->len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;
		if ((*p == '.' && pickup_write(fd, ".", 1) == -1) ||
		    pickup_write(fd, p, (size_t)(nl - p) + 1) == -1)
			return -1;
	}
	return 0;
}

static int
cli_tlsrpt_mail(const struct conf *conf, const char *addr,
    const struct buf *sig, const struct buf *msg, char *why, size_t whylen)
{
	struct pickup_conn *c;
	int code, ret = -1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((c->fd = pickup_connect(conf->run_dir, CLI_TLSRPT_TIMEOUT, NULL,
	    0)) == -1) {
		(void)snprintf(why, whylen, "pickup socket: %s",
		    strerror(errno));
		free(c);
		return -1;
	}
	if ((code = pickup_reply(c)) != 220 ||
	    (code = pickup_cmd(c, "EHLO ", "localhost", "")) != 250 ||
	    (code = cli_tlsrpt_gate_mail(c)) != 250 ||
	    (code = pickup_cmd(c, "RCPT TO:<", addr, "> NOTIFY=NEVER")) !=
	    250 || (code = pickup_cmd(c, "DATA", "", "")) != 354) {
		(void)snprintf(why, whylen, "pickup: %.200s", code <= 0 ?
		    "no SMTP reply" : c->last);
		goto out;
	}
	/* the DKIM-Signature field first, then the message */
	if (cli_tlsrpt_stuff(c->fd, sig) == -1 ||
	    cli_tlsrpt_stuff(c->fd, msg) == -1) {
		(void)snprintf(why, whylen, "pickup: write failed");
		goto out;
	}
	if (pickup_write(c->fd, ".\r\n", 3) == -1 ||
	    (code = pickup_reply(c)) != 250) {
		(void)snprintf(why, whylen, "pickup: %.200s", code <= 0 ?
		    "no SMTP reply" : c->last);
		goto out;
	}
	(void)pickup_cmd(c, "QUIT", "", "");
	ret = 0;
out:
	close(c->fd);
	free(c);
	return ret;
}


/* One date's work, read as root before the drop. */
struct cli_tlsrpt_date {
	char			 date[11];
	int			 explicit;	/* --date */
	int64_t			 start, end;
	struct tlsrpt_day	 day;
	struct cli_tlsrpt_sent	 sent;
	size_t			*todo;		/* the first policy of each
						   domain to report */
	char			**sts;		/* its MTA-STS text or NULL */
	size_t			*stslen;
	size_t			 ntodo;
};

struct cli_tlsrpt_run {
	struct cli		*c;
	struct cli_tlsrpt_opts	*o;
	int			 policyfd;	/* data_dir/policy */
	int			 dayfd;		/* policy/tlsrpt, or -1 */
	int			 stsfd;		/* policy/sts, or -1 */
	int			 statefd;	/* data_dir/tlsrpt, or -1 */
	int			 problem;	/* a file skipped: exit 1 */
	struct dkim_key	 key;		/* key.key NULL: none */
	struct cli_tlsrpt_date	 d[1 + CLI_TLSRPT_RETRY_DAYS];
	size_t			 nd;
};

/*
 * The domain's cached MTA-STS policy text (data_dir/policy/sts/DOMAIN),
 * copied (root reads it): none when there is none, or when the file is
 * not a regular file (reported, run->problem set; the report goes
 * without it).
 */
static void
cli_tlsrpt_sts(struct cli_tlsrpt_run *run, const char *domain, char **text,
    size_t *len)
{
	struct sts_cache_entry e;
	struct buf b;
	char err[128], esc[CLI_TLSRPT_ESC_MAX];
	int r, en;

	*text = NULL;
	*len = 0;
	/* a cache file is named by its domain: never a path */
	if (run->stsfd == -1 || domain[0] == '\0' || domain[0] == '.' ||
	    strchr(domain, '/') != NULL)
		return;
	buf_init(&b, STS_CACHE_SIZE_MAX);
	r = cli_tlsrpt_read(run->stsfd, domain, &b);
	en = errno;
	if (r == 0 && sts_cache_parse(b.data != NULL ? b.data : "", b.len,
	    &e, err, sizeof(err)) == 0 &&
	    (*text = malloc(e.textlen + 1)) != NULL) {
		memcpy(*text, e.text, e.textlen);
		(*text)[e.textlen] = '\0';
		*len = e.textlen;
	} else if (r == CLI_TLSRPT_NOTREG || (r == -1 && en == ELOOP)) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/sts/%s: %s; the "
		    "report goes without its MTA-STS policy text\n",
		    run->c->conf.data_dir, cli_tlsrpt_esc(domain, esc,
		    sizeof(esc)), cli_tlsrpt_why(r, en));
		run->problem = 1;
	}
	buf_free(&b);
}

/*
 * Reads date's day file, sent state and MTA-STS texts (as root) and
 * picks the domains to report. Returns 0 (also: no file on a default
 * run; a day file or sent state that is not a regular file, reported
 * and skipped, run->problem set), or an exit code.
 */
static int
cli_tlsrpt_load(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd)
{
	struct cli_tlsrpt_ent *e;
	struct buf b;
	char err[128];
	size_t i, j;
	int r, en;

	if (!tlsrpt_date(dd->date, &dd->start, &dd->end))
		return EX_USAGE;
	tlsrpt_day_init(&dd->day, "");
	if (run->o->partial && dd->end > time(NULL))
		dd->end = time(NULL) + 1;
	buf_init(&b, TLSRPT_FILE_MAX);
	if (run->dayfd == -1) {
		r = -1;
		errno = ENOENT;
	} else
		r = cli_tlsrpt_read(run->dayfd, dd->date, &b);
	if (r != 0) {
		en = errno;
		buf_free(&b);
		if (r == -1 && en == ENOENT && !dd->explicit)
			return 0;
		fprintf(stderr, "sealpost tlsrpt: %s/policy/tlsrpt/%s: %s\n",
		    run->c->conf.data_dir, dd->date, cli_tlsrpt_why(r, en));
		if (r == CLI_TLSRPT_NOTREG || en == ELOOP) {
			run->problem = 1;
			return 0;
		}
		return en == ENOENT ? EX_NOINPUT : en == EACCES ? EX_NOPERM :
		    EX_IOERR;
	}
	err[0] = '\0';
	if (tlsrpt_parse(b.data != NULL ? b.data : "", b.len, &dd->day, err,
	    sizeof(err)) == -1 || strcmp(dd->day.date, dd->date) != 0) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/tlsrpt/%s: %s\n",
		    run->c->conf.data_dir, dd->date, err[0] != '\0' ? err :
		    "its date is not its name");
		buf_free(&b);
		return EX_DATAERR;
	}
	buf_free(&b);
	if ((r = cli_tlsrpt_sent_load(run->statefd, dd->date, &dd->sent)) !=
	    0) {
		en = errno;
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt/sent-%s: %s%s\n",
		    run->c->conf.data_dir, dd->date, cli_tlsrpt_why(r, en),
		    r == CLI_TLSRPT_NOTREG || en == ELOOP ?
		    " (and the day's reports)" : "");
		if (r == CLI_TLSRPT_NOTREG || en == ELOOP) {
			run->problem = 1;
			return 0;
		}
		return EX_IOERR;
	}
	if (dd->day.n == 0)
		return 0;
	if ((dd->todo = calloc(dd->day.n, sizeof(*dd->todo))) == NULL ||
	    (dd->sts = calloc(dd->day.n, sizeof(*dd->sts))) == NULL ||
	    (dd->stslen = calloc(dd->day.n, sizeof(*dd->stslen))) == NULL)
		return EX_OSERR;
	for (i = 0; i < dd->day.n; i++) {
		const char *d = dd->day.p[i].domain;

		for (j = 0; j < i; j++)
			if (strcmp(dd->day.p[j].domain, d) == 0)
				break;
		if (j < i)
			continue;	/* the domain's report is made */
		if (run->o->domain[0] != '\0' && strcmp(run->o->domain, d) != 0)
			continue;
		e = cli_tlsrpt_sent_find(&dd->sent, d);
		if (e != NULL && e->state != CLI_TLSRPT_FAILED &&
		    e->state != CLI_TLSRPT_NEW) {
			if (dd->explicit)
				printf("%s %s: %s before; not again\n",
				    dd->date, d, e->state == CLI_TLSRPT_SENT ?
				    "sent" : e->state == CLI_TLSRPT_NOREC ?
				    "no TLS-RPT record" : "skipped");
			continue;
		}
		/* new, failed, or never tried (no entry: a daily run was
		   missed), on yesterday and on the retry days alike */
		cli_tlsrpt_sts(run, d, &dd->sts[dd->ntodo],
		    &dd->stslen[dd->ntodo]);
		dd->todo[dd->ntodo++] = i;
	}
	return 0;
}

static void
cli_tlsrpt_date_free(struct cli_tlsrpt_date *dd)
{
	size_t i;

	for (i = 0; dd->sts != NULL && i < dd->ntodo; i++)
		free(dd->sts[i]);
	free(dd->sts);
	free(dd->stslen);
	free(dd->todo);
	cli_tlsrpt_sent_free(&dd->sent);
	tlsrpt_day_free(&dd->day);
}

/*
 * Sends the report (gz) to one mailto: address. Returns 0 sent, -1
 * failed (why), 1 skipped: no DKIM key.
 */
static int
cli_tlsrpt_to_mail(struct cli_tlsrpt_run *run, const char *domain,
    const char *addr, const char *rid, const struct cli_tlsrpt_date *dd,
    const struct buf *gz, char *why, size_t whylen)
{
	const struct conf *conf = &run->c->conf;
	struct cli_tlsrpt_mail mail;
	struct buf msg, sig;
	char date[64], boundary[64];
	time_t now = time(NULL);
	struct tm tm;
	int n = -1;

	if (run->key.key == NULL) {
		(void)snprintf(why, whylen, "no DKIM key: mailto: rua skipped");
		return 1;
	}
	buf_init(&msg, 2 * CLI_TLSRPT_JSON_MAX);
	buf_init(&sig, 8192);
	(void)snprintf(boundary, sizeof(boundary), "tlsrpt-%08lx%08lx",
	    (unsigned long)arc4random(), (unsigned long)arc4random());
	if (gmtime_r(&now, &tm) == NULL || strftime(date, sizeof(date),
	    "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		date[0] = '\0';
	memset(&mail, 0, sizeof(mail));
	mail.host = conf->hostname;
	mail.domain = domain;
	mail.to = addr;
	mail.report_id = rid;
	mail.date_hdr = date;
	mail.start = dd->start;
	mail.end = dd->end;
	mail.gz = (const uint8_t *)gz->data;
	mail.gzlen = gz->len;
	mail.boundary = boundary;
	if (cli_tlsrpt_mime(&mail, &msg) == -1)
		(void)snprintf(why, whylen, "the mail does not fit");
	else if (dkim_sign(&run->key, msg.data, msg.len, (int64_t)now,
	    &sig, why, whylen) == -1)
		;
	else
		n = cli_tlsrpt_mail(conf, addr, &sig, &msg, why, whylen);
	buf_free(&msg);
	buf_free(&sig);
	return n;
}

/* The report of dd's k-th domain to do. Returns its new state. */
static int
cli_tlsrpt_domain(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd,
    size_t k)
{
	const struct conf *conf = &run->c->conf;
	const char *domain = dd->day.p[dd->todo[k]].domain;
	struct cli_tlsrpt_ent *e = cli_tlsrpt_sent_find(&dd->sent, domain);
	struct tlsrpt_record rec;
	struct cli_tlsrpt_meta m;
	struct buf json, gz;
	char why[256], rid[TLSRPT_NAME_MAX * 2 + 16], contact[300],
	    addr[TLSRPT_URI_MAX], esc[CLI_TLSRPT_ESC_MAX];
	size_t i;
	int state = CLI_TLSRPT_FAILED, n, sent = 0, failed = 0;

	n = cli_tlsrpt_lookup(conf, domain, &rec, why, sizeof(why));
	if (n <= 0) {
		printf("%s %s: %s%s\n", dd->date, domain, why, n == 0 ?
		    "; not reported" : "; to be tried again");
		return n == 0 ? CLI_TLSRPT_NOREC : CLI_TLSRPT_FAILED;
	}
	buf_init(&json, CLI_TLSRPT_JSON_MAX);
	buf_init(&gz, CLI_TLSRPT_JSON_MAX);
	memset(&m, 0, sizeof(m));
	(void)snprintf(contact, sizeof(contact), "postmaster@%s",
	    conf->hostname);
	if (cli_tlsrpt_report_id(dd->date, domain, conf->hostname, rid,
	    sizeof(rid)) == -1)
		goto out;
	m.org = conf->hostname;
	m.contact = contact;
	m.report_id = rid;
	m.start = dd->start;
	m.end = dd->end;
	m.sts_text = dd->sts[k];
	m.sts_len = dd->stslen[k];
	if (cli_tlsrpt_json(&dd->day, domain, &m, run->o->dry_run, &json) <=
	    0) {
		printf("%s %s: the report does not fit\n", dd->date, domain);
		goto out;
	}
	if (run->o->dry_run) {
		printf("%s %s: would send report %s to", dd->date, domain,
		    rid);
		/* a rua is the domain's DNS text: escaped */
		for (i = 0; i < rec.nrua; i++)
			printf(" %s%s", cli_tlsrpt_esc(rec.rua[i], esc,
			    sizeof(esc)), run->key.key == NULL &&
			    strncasecmp(rec.rua[i], "mailto:", 7) == 0 ?
			    " (no DKIM key: skipped)" : "");
		printf("\n%.*s", (int)json.len, json.data);
		state = CLI_TLSRPT_NEW;
		goto out;
	}
	if (cli_tlsrpt_gzip(json.data, json.len, &gz) == -1) {
		printf("%s %s: gzip failed\n", dd->date, domain);
		goto out;
	}
	for (i = 0; i < rec.nrua; i++) {
		why[0] = '\0';
		if (cli_tlsrpt_ent_has(e, rec.rua[i])) {
			sent = 1;	/* reached by an earlier run */
			continue;
		}
		if (strncasecmp(rec.rua[i], "https://", 8) == 0)
			n = cli_tlsrpt_post(conf, rec.rua[i], &gz, why,
			    sizeof(why));
		else if (tlsrpt_mailto(rec.rua[i], addr, sizeof(addr)) ==
		    -1) {
			(void)snprintf(why, sizeof(why), "not one address");
			n = -1;
		} else
			n = cli_tlsrpt_to_mail(run, domain, addr, rid, dd, &gz,
			    why, sizeof(why));
		(void)cli_tlsrpt_esc(rec.rua[i], esc, sizeof(esc));
		if (n == 1) {
			printf("%s %s: %s: %s\n", dd->date, domain, esc, why);
			continue;
		}
		printf("%s %s: report %s to %s: %s%s\n", dd->date, domain,
		    rid, esc, n == 0 ? "sent" : "failed: ", why);
		if (n == 0 && ((e != NULL ||
		    (e = cli_tlsrpt_sent_get(&dd->sent, domain)) != NULL) &&
		    cli_tlsrpt_ent_add(e, rec.rua[i]) == 0))
			sent = 1;
		else
			failed = 1;
	}
	state = failed ? CLI_TLSRPT_FAILED : sent ? CLI_TLSRPT_SENT :
	    CLI_TLSRPT_SKIPPED;
out:
	buf_free(&json);
	buf_free(&gz);
	return state;
}

/* The reports of one loaded date. Returns 0, or an exit code. */
static int
cli_tlsrpt_send_date(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd)
{
	struct cli_tlsrpt_ent *e;
	size_t k;
	int state, ex = 0;

	for (k = 0; k < dd->ntodo; k++) {
		state = cli_tlsrpt_domain(run, dd, k);
		if (run->o->dry_run)
			continue;
		if (state == CLI_TLSRPT_FAILED)
			ex = CLI_EX_PROBLEM;
		if ((e = cli_tlsrpt_sent_get(&dd->sent,
		    dd->day.p[dd->todo[k]].domain)) == NULL)
			return EX_OSERR;
		e->state = state;
		/* after each domain: a crash later repeats no report */
		if (cli_tlsrpt_sent_save(run->statefd, dd->date, &dd->sent) ==
		    -1) {
			fprintf(stderr, "sealpost tlsrpt: sent-%s: %s\n",
			    dd->date, strerror(errno));
			return EX_IOERR;
		}
	}
	return ex;
}

/*
 * Removes sent-DATE files older than CLI_TLSRPT_SENT_KEEP days, after
 * the drop (the directory is `user`'s; unlinkat opens nothing).
 */
static void
cli_tlsrpt_prune(int statefd, time_t now)
{
	struct dirent *de;
	DIR *dir;
	int64_t start, end;
	int fd;

	if (statefd == -1 || (fd = openat(statefd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, "sent-", 5) == 0 &&
		    tlsrpt_date(de->d_name + 5, &start, &end) &&
		    end < (int64_t)now - CLI_TLSRPT_SENT_KEEP * 86400)
			(void)unlinkat(statefd, de->d_name, 0);
	closedir(dir);
}

/*
 * Becomes `user` (doc/design.md §2, as proc_drop: setgroups, setresgid,
 * setresuid, checked) when run as root outside development mode (which
 * keeps whoever runs it, root included: for tests only). First the
 * state directory, never a file in it, becomes the user's, when it is
 * not yet (not in a dry run): a file there may be a hard link `user`
 * planted to a file of root's, and the sent state is only ever written
 * after the drop. Returns 0, or an exit code.
 */
static int
cli_tlsrpt_drop(struct cli_tlsrpt_run *run)
{
	const struct conf *conf = &run->c->conf;
	struct passwd *pw;
	struct stat st;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (geteuid() != 0 || conf->devmode)
		return 0;
	if ((pw = getpwnam(conf->user)) == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "sealpost tlsrpt: user %s: %s\n", conf->user,
		    pw == NULL ? "no such user" : "must not be root");
		return EX_NOUSER;
	}
	if (!run->o->dry_run && run->statefd != -1 &&
	    (fstat(run->statefd, &st) == -1 || ((st.st_uid != pw->pw_uid ||
	    st.st_gid != pw->pw_gid) && fchown(run->statefd, pw->pw_uid,
	    pw->pw_gid) == -1))) {
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n",
		    conf->data_dir, strerror(errno));
		return EX_IOERR;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid ||
	    setuid(0) != -1) {
		fprintf(stderr, "sealpost tlsrpt: cannot drop privileges to "
		    "%s\n", conf->user);
		exit(EX_OSERR);
	}
	return 0;
}

/*
 * Reads and imports dkim_key_file (as root). Returns 0 (also: no key
 * configured), or an exit code.
 */
static int
cli_tlsrpt_key(struct cli *c, struct dkim_key *k)
{
	const struct conf *conf = &c->conf;
	struct stat st;
	struct buf b;
	char dom[DKIM_DOMAIN_MAX], err[256];
	int fd, r;

	memset(k, 0, sizeof(*k));
	if (conf->dkim_key_file[0] == '\0')
		return 0;
	if (conf->dkim_domain[0] != '\0')
		r = (int)strlcpy(dom, conf->dkim_domain, sizeof(dom)) <
		    (int)sizeof(dom) ? 0 : -1;
	else
		r = dkim_domain_of(conf->hostname, dom, sizeof(dom));
	buf_init(&b, CLI_TLSRPT_KEY_MAX);
	/* as root: no symlink, no FIFO to hang on (doc/design.md §8) */
	fd = open(conf->dkim_key_file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: not a "
		    "regular file\n", conf->dkim_key_file);
		close(fd);
		buf_free(&b);
		return EX_CONFIG;
	}
	if (fd == -1 || buf_read_fd(&b, fd) == -1) {
		r = errno;
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: %s\n",
		    conf->dkim_key_file, r == ENOBUFS ? "too large" :
		    strerror(r));
		if (fd != -1)
			close(fd);
		buf_free(&b);
		return r == EACCES ? EX_NOPERM : EX_CONFIG;
	}
	close(fd);
	if (r == -1 || dkim_key_load(k, b.data != NULL ? b.data : "",
	    b.len, conf->dkim_selector, dom, err, sizeof(err)) == -1) {
		fprintf(stderr, "sealpost tlsrpt: dkim_key_file %s: %s\n",
		    conf->dkim_key_file, r == -1 ? "no domain" : err);
		if (b.data != NULL)
			explicit_bzero(b.data, b.cap);
		buf_free(&b);
		return EX_CONFIG;
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return 0;
}

/* --dns: the TXT record to publish for the key. */
static int
cli_tlsrpt_dns(struct cli *c)
{
	struct dkim_key k;
	struct buf b;
	size_t off, n;
	int ex;

	if ((ex = cli_tlsrpt_key(c, &k)) != 0)
		return ex;
	if (k.key == NULL) {
		fprintf(stderr, "sealpost tlsrpt: no dkim_key_file; mailed "
		    "reports are not sent\n");
		return EX_CONFIG;
	}
	if (k.alg == DKIM_ED25519_SHA256)
		fprintf(stderr, "sealpost tlsrpt: warning: dkim_key_file is "
		    "an Ed25519 key: large receivers (Gmail, Microsoft) do "
		    "not verify ed25519-sha256 signatures (RFC 8463) yet, and "
		    "RFC 8460 §3 has a report whose signature does not "
		    "verify ignored; use an RSA key of 2048 bits "
		    "(sealpost.conf(5))\n");
	buf_init(&b, 8192);
	if (dkim_record(&k, &b) == -1) {
		dkim_key_free(&k);
		buf_free(&b);
		return EX_SOFTWARE;
	}
	/* strings of at most 255 octets (RFC 1035 §3.3.14) */
	printf("%s._domainkey.%s. IN TXT (", k.selector, k.domain);
	for (off = 0; off < b.len; off += n) {
		n = b.len - off > 255 ? 255 : b.len - off;
		printf(" \"%.*s\"", (int)n, b.data + off);
	}
	printf(" )\n");
	dkim_key_free(&k);
	buf_free(&b);
	return 0;
}

/* Opens dir's subdirectory name, never through a symlink. */
static int
cli_tlsrpt_subdir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * Opens data_dir and, step by step below it, never through a symlink
 * (doc/design.md §8): policy (the policy user's), its tlsrpt and sts
 * (missing: nothing in them; sts unreadable: reported, no MTA-STS
 * texts), and the state directory tlsrpt, which is made here, root's
 * and 0700, unless in a dry run (without it a dry run has no state).
 * Returns 0, or an exit code.
 */
static int
cli_tlsrpt_dirs(struct cli_tlsrpt_run *run)
{
	const char *dd = run->c->conf.data_dir;
	int dfd, e, ex = 0;

	if ((dfd = open(dd, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (run->policyfd = cli_tlsrpt_subdir(dfd, "policy")) == -1) {
		e = errno;
		fprintf(stderr, "sealpost tlsrpt: %s%s: %s%s\n", dd,
		    dfd == -1 ? "" : "/policy", cli_tlsrpt_why(-1, e),
		    e == EACCES ? " (run it as root)" : "");
		ex = e == EACCES ? EX_NOPERM : e == ENOENT ? EX_NOINPUT :
		    EX_IOERR;
		goto out;
	}
	if ((run->dayfd = cli_tlsrpt_subdir(run->policyfd, "tlsrpt")) == -1 &&
	    (e = errno) != ENOENT) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/tlsrpt: %s\n", dd,
		    cli_tlsrpt_why(-1, e));
		ex = e == EACCES ? EX_NOPERM : EX_IOERR;
		goto out;
	}
	if ((run->stsfd = cli_tlsrpt_subdir(run->policyfd, "sts")) == -1 &&
	    (e = errno) != ENOENT)
		fprintf(stderr, "sealpost tlsrpt: %s/policy/sts: %s; the "
		    "reports go without MTA-STS policy texts\n", dd,
		    cli_tlsrpt_why(-1, e));
	if ((!run->o->dry_run && mkdirat(dfd, "tlsrpt", 0700) == -1 &&
	    errno != EEXIST) || ((run->statefd = cli_tlsrpt_subdir(dfd,
	    "tlsrpt")) == -1 && !(run->o->dry_run && errno == ENOENT))) {
		e = errno;
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n", dd,
		    cli_tlsrpt_why(-1, e));
		ex = e == EACCES ? EX_NOPERM : EX_IOERR;
	}
out:
	if (dfd != -1)
		close(dfd);
	return ex;
}

/* Closes what run opened (as root: the policy user's directories). */
static void
cli_tlsrpt_close(struct cli_tlsrpt_run *run)
{
	if (run->policyfd != -1)
		close(run->policyfd);
	if (run->dayfd != -1)
		close(run->dayfd);
	if (run->stsfd != -1)
		close(run->stsfd);
	run->policyfd = run->dayfd = run->stsfd = -1;
}

static void
cli_tlsrpt_usage(FILE *f)
{
	fprintf(f, "usage: sealpost tlsrpt [--dry-run] [--domain D] "
	    "[--date YYYY-MM-DD | --date today --partial]\n"
	    "       sealpost tlsrpt --dns\n");
}

int
cli_tlsrpt(struct cli *c, int argc, char **argv)
{
	struct cli_tlsrpt_opts o;
	struct cli_tlsrpt_run run;
	char today[11], err[160];
	int ex = 0, r;
	size_t k;
	time_t now = time(NULL);

	if (tlsrpt_date_of(now, today) == -1)
		return EX_OSERR;
	switch (cli_tlsrpt_args(argc, argv, today, &o, err, sizeof(err))) {
	case CLI_TLSRPT_HELP:
		cli_tlsrpt_usage(stdout);
		return 0;
	case CLI_TLSRPT_USAGE:
		fprintf(stderr, "sealpost tlsrpt: %s\n", err);
		cli_tlsrpt_usage(stderr);
		return EX_USAGE;
	case CLI_TLSRPT_RUN:
		break;
	}
	if (o.dns)
		return cli_tlsrpt_dns(c);
	memset(&run, 0, sizeof(run));
	run.c = c;
	run.o = &o;
	run.policyfd = run.dayfd = run.stsfd = run.statefd = -1;
	if ((ex = cli_tlsrpt_dirs(&run)) != 0) {
		cli_tlsrpt_close(&run);
		if (run.statefd != -1)
			close(run.statefd);
		return ex;
	}
	/* as root: the days, what was sent, the MTA-STS texts, the key */
	if (o.date[0] != '\0') {
		(void)strlcpy(run.d[0].date, o.date, sizeof(run.d[0].date));
		run.d[0].explicit = 1;
		run.nd = 1;
	} else {
		/* yesterday, then the retries of the two days before */
		for (k = 1; k <= 1 + CLI_TLSRPT_RETRY_DAYS; k++) {
			if (tlsrpt_date_of(now - (int64_t)k * 86400,
			    run.d[run.nd].date) == -1)
				continue;
			run.nd++;
		}
	}
	for (k = 0; k < run.nd; k++)
		if ((r = cli_tlsrpt_load(&run, &run.d[k])) != 0 && ex == 0)
			ex = r;
	if (ex == 0)
		ex = cli_tlsrpt_key(c, &run.key);
	cli_tlsrpt_close(&run);
	/* then no more root: DNS, SMTP and HTTP replies are parsed, the
	   state written and pruned as user */
	if (ex == 0)
		ex = cli_tlsrpt_drop(&run);
	if (ex == 0 && !o.dry_run)
		cli_tlsrpt_prune(run.statefd, now);
	if (ex == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ex = EX_OSERR;
	else if (ex == 0) {
		for (k = 0; k < run.nd; k++)
			if ((r = cli_tlsrpt_send_date(&run, &run.d[k])) != 0 &&
			    ex == 0)
				ex = r;
		curl_global_cleanup();
	}
	if (ex == 0 && run.problem)
		ex = CLI_EX_PROBLEM;
	for (k = 0; k < run.nd; k++)
		cli_tlsrpt_date_free(&run.d[k]);
	dkim_key_free(&run.key);
	if (run.statefd != -1)
		close(run.statefd);
	return ex;
}
