/*
 * cli_tlsrpt.c: sealpost tlsrpt (RFC 8460, doc/design.md §8): reads the
 * policy process's day file (data_dir/policy/tlsrpt/YYYY-MM-DD; run as
 * root, which may read that 0700 directory, and which only reads it),
 * looks up `_smtp._tls.<domain>` for each policy domain of the day at
 * report time, builds the JSON report, gzips it (zlib) and sends it to
 * each rua: mailto: through the pickup socket (the null sender, no DSN
 * asked for: RFC 8460 §5.3, no loops; the queue then sends it over TLS
 * like any mail), https: as a POST of application/tlsrpt+gzip with
 * libcurl (TLS verified against tls_ca_file). What was sent is kept in
 * data_dir/tlsrpt/sent-YYYY-MM-DD (root's): a report goes once; a
 * failed one is tried again by the next two daily runs, then given up.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "cli_tlsrpt.h"
#include "lib/pickup.h"
#include "policy/plan.h"
#include "policy/sts_policy.h"

#define CLI_TLSRPT_JSON_MAX	(8 * 1024 * 1024)
#define CLI_TLSRPT_RETRY_DAYS	2
#define CLI_TLSRPT_TIMEOUT	60	/* seconds, pickup and https */
#define CLI_TLSRPT_SENT_MAX	(1024 * 1024)

/* What a domain's report came to, kept in sent-DATE. */
enum cli_tlsrpt_state {
	CLI_TLSRPT_NEW = 0,
	CLI_TLSRPT_SENT,
	CLI_TLSRPT_FAILED,
	CLI_TLSRPT_NOREC,	/* no TLS-RPT record: nothing to send */
};

struct cli_tlsrpt_ent {
	char	domain[TLSRPT_NAME_MAX];
	int	state;
};

struct cli_tlsrpt_sent {
	struct cli_tlsrpt_ent	*e;
	size_t			 n;
};

static const char *
cli_tlsrpt_state_word(int s)
{
	switch (s) {
	case CLI_TLSRPT_SENT:
		return "sent";
	case CLI_TLSRPT_FAILED:
		return "failed";
	case CLI_TLSRPT_NOREC:
		return "no-record";
	}
	return "new";
}

static struct cli_tlsrpt_ent *
cli_tlsrpt_sent_find(struct cli_tlsrpt_sent *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].domain, domain) == 0)
			return &s->e[i];
	return NULL;
}

static int
cli_tlsrpt_sent_set(struct cli_tlsrpt_sent *s, const char *domain, int state)
{
	struct cli_tlsrpt_ent *e, *ne;

	if ((e = cli_tlsrpt_sent_find(s, domain)) == NULL) {
		if ((ne = reallocarray(s->e, s->n + 1, sizeof(*ne))) == NULL)
			return -1;
		s->e = ne;
		e = &s->e[s->n++];
		(void)strlcpy(e->domain, domain, sizeof(e->domain));
	}
	e->state = state;
	return 0;
}

/* Reads sent-DATE of dirfd (missing: empty). -1 when unreadable. */
static int
cli_tlsrpt_sent_load(int dirfd, const char *date, struct cli_tlsrpt_sent *s)
{
	char name[32], line[TLSRPT_NAME_MAX + 32], *sp;
	FILE *f;
	int fd, st;

	memset(s, 0, sizeof(*s));
	(void)snprintf(name, sizeof(name), "sent-%s", date);
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		return errno == ENOENT ? 0 : -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		for (st = CLI_TLSRPT_SENT; st <= CLI_TLSRPT_NOREC; st++)
			if (strcmp(sp, cli_tlsrpt_state_word(st)) == 0)
				break;
		if (st > CLI_TLSRPT_NOREC || line[0] == '\0' ||
		    strlen(line) >= TLSRPT_NAME_MAX)
			continue;
		if (cli_tlsrpt_sent_set(s, line, st) == -1) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* Writes sent-DATE atomically. 0, or -1 (errno). */
static int
cli_tlsrpt_sent_save(int dirfd, const char *date,
    const struct cli_tlsrpt_sent *s)
{
	char name[32], tmp[40];
	FILE *f;
	size_t i;
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
	for (i = 0; i < s->n; i++)
		if (fprintf(f, "%s %s\n", s->e[i].domain,
		    cli_tlsrpt_state_word(s->e[i].state)) < 0)
			ok = 0;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	if (!ok || renameat(dirfd, tmp, dirfd, name) == -1) {
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	(void)fsync(dirfd);
	return 0;
}

/* Reads a small regular file relative to dirfd into b. */
static int
cli_tlsrpt_read(int dirfd, const char *name, struct buf *b)
{
	struct stat st;
	int fd, r;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r = buf_read_fd(b, fd);
	close(fd);
	return r;
}

/*
 * The TXT records at _smtp._tls.domain: 1 with rec (exactly one valid
 * TLSRPTv1 record), 0 none (or not one valid: RFC 8460 §3 says no
 * report then), -1 a temporary failure; why says which.
 */
static int
cli_tlsrpt_lookup(const struct conf *conf, const char *domain,
    struct tlsrpt_record *rec, char *why, size_t whylen)
{
	struct __res_state rs;
	struct plan_txt_answer *txt;
	struct tlsrpt_record r;
	struct in_addr a;
	uint8_t ans[8192];
	char name[TLSRPT_NAME_MAX + 16], host[80], err[128], *colon;
	size_t i, nours = 0;
	int len, ret = 0, p;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) == -1) {
		(void)snprintf(why, whylen, "no resolver");
		return -1;
	}
	/* dns_resolver (an IPv4 address, a port) when the file sets it */
	if (conf_key_line(conf, "dns_resolver") != 0 &&
	    strlcpy(host, conf->dns_resolver, sizeof(host)) < sizeof(host)) {
		p = 53;
		if ((colon = strchr(host, ':')) != NULL &&
		    strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			p = (int)strtonum(colon + 1, 1, 65535, NULL);
		}
		if (inet_pton(AF_INET, host, &a) == 1 && p > 0) {
			rs.nscount = 1;
			rs.nsaddr_list[0].sin_family = AF_INET;
			rs.nsaddr_list[0].sin_addr = a;
			rs.nsaddr_list[0].sin_port = htons((uint16_t)p);
		}
	}
	len = res_nquery(&rs, name, ns_c_in, ns_t_txt, ans, sizeof(ans));
	if (len < 0) {
		ret = rs.res_h_errno == HOST_NOT_FOUND ||
		    rs.res_h_errno == NO_DATA ? 0 : -1;
		(void)snprintf(why, whylen, "%s", ret == 0 ?
		    "no TLS-RPT record" : "the TXT lookup failed");
		res_nclose(&rs);
		return ret;
	}
	res_nclose(&rs);
	if ((txt = calloc(1, sizeof(*txt))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (plan_answer_txt(ans, (size_t)len, name, 0, txt) !=
	    PLAN_DNS_RECORDS) {
		ret = txt->r.status == PLAN_DNS_TEMP ? -1 : 0;
		(void)snprintf(why, whylen, "%s", ret == 0 ?
		    "no TLS-RPT record" : "the TXT lookup failed");
		free(txt);
		return ret;
	}
	for (i = 0; i < txt->n; i++) {
		switch (tlsrpt_record_parse(txt->txt[i], txt->len[i], &r, err,
		    sizeof(err))) {
		case 1:
			nours++;
			*rec = r;
			break;
		case -1:
			nours++;
			(void)snprintf(why, whylen, "malformed TLS-RPT record: "
			    "%s", err);
			ret = -2;
			break;
		default:
			break;
		}
	}
	free(txt);
	if (nours == 0) {
		(void)snprintf(why, whylen, "no TLS-RPT record");
		return 0;
	}
	if (nours > 1) {
		(void)snprintf(why, whylen, "more than one TLS-RPT record");
		return 0;
	}
	return ret == -2 ? 0 : 1;
}

/* gzip (RFC 1952) of in[0..len) into out. 0, or -1. */
static int
cli_tlsrpt_gzip(const char *in, size_t len, struct buf *out)
{
	z_stream z;
	char *p;
	uLong bound;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 64;
	if ((p = buf_reserve(out, bound)) == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)p;
	z.avail_out = (uInt)bound;
	r = deflate(&z, Z_FINISH);
	if (r != Z_STREAM_END) {
		deflateEnd(&z);
		return -1;
	}
	buf_commit(out, bound - z.avail_out);
	deflateEnd(&z);
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

/* Submits msg to addr through the pickup socket. 0, or -1 (why). */
static int
cli_tlsrpt_mail(const struct conf *conf, const char *addr,
    const struct buf *msg, char *why, size_t whylen)
{
	struct pickup_conn *c;
	const char *p, *end, *nl;
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
	/* dot-stuffed, CRLF already */
	for (p = msg->data, end = msg->data + msg->len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;
		if ((*p == '.' && pickup_write(c->fd, ".", 1) == -1) ||
		    pickup_write(c->fd, p, (size_t)(nl - p) + 1) == -1) {
			(void)snprintf(why, whylen, "pickup: write failed");
			goto out;
		}
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

static size_t
cli_tlsrpt_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POSTs gz to url (RFC 8460 §5.4). 0, or -1 (why). */
static int
cli_tlsrpt_post(const struct conf *conf, const char *url, const struct buf *gz,
    char *why, size_t whylen)
{
	struct curl_slist *hdr = NULL;
	CURL *h;
	CURLcode r;
	long status = 0;
	int ret = -1;

	if ((h = curl_easy_init()) == NULL) {
		(void)snprintf(why, whylen, "libcurl");
		return -1;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/tlsrpt+gzip");
	(void)curl_easy_setopt(h, CURLOPT_URL, url);
	(void)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	(void)curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->tls_ca_file[0] != '\0')
		(void)curl_easy_setopt(h, CURLOPT_CAINFO, conf->tls_ca_file);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, gz->data);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)gz->len);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CLI_TLSRPT_TIMEOUT);
	(void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cli_tlsrpt_discard);
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if ((r = curl_easy_perform(h)) != CURLE_OK)
		(void)snprintf(why, whylen, "%s", curl_easy_strerror(r));
	else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 200 || status > 299)
		(void)snprintf(why, whylen, "HTTP status %ld", status);
	else
		ret = 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return ret;
}

/* The domain's cached MTA-STS policy text into b (root reads it). */
static int
cli_tlsrpt_sts(int policyfd, const char *domain, struct buf *b,
    struct sts_cache_entry *e)
{
	char name[TLSRPT_NAME_MAX + 8], err[128];

	(void)snprintf(name, sizeof(name), "sts/%s", domain);
	if (cli_tlsrpt_read(policyfd, name, b) == -1 ||
	    sts_cache_parse(b->data != NULL ? b->data : "", b->len, e, err,
	    sizeof(err)) == -1)
		return -1;
	return 0;
}

struct cli_tlsrpt_run {
	struct cli		*c;
	struct cli_tlsrpt_opts	*o;
	int			 policyfd;	/* data_dir/policy */
	int			 statefd;	/* data_dir/tlsrpt */
	int			 failed;	/* a report could not go */
};

/* One domain's report of day. Returns its new state. */
static int
cli_tlsrpt_domain(struct cli_tlsrpt_run *run, const struct tlsrpt_day *day,
    const char *domain, int64_t start, int64_t end)
{
	const struct conf *conf = &run->c->conf;
	struct tlsrpt_record rec;
	struct cli_tlsrpt_meta m;
	struct cli_tlsrpt_mail mail;
	struct sts_cache_entry e;
	struct buf json, gz, msg, sts;
	char why[256], rid[TLSRPT_NAME_MAX * 2 + 16], contact[300],
	    addr[TLSRPT_URI_MAX], date[64], boundary[64];
	size_t i;
	int state = CLI_TLSRPT_FAILED, n, any = 0;
	time_t now = time(NULL);
	struct tm tm;

	n = cli_tlsrpt_lookup(conf, domain, &rec, why, sizeof(why));
	if (n <= 0) {
		printf("%s %s: %s%s\n", day->date, domain, why, n == 0 ?
		    "; not reported" : "; to be tried again");
		return n == 0 ? CLI_TLSRPT_NOREC : CLI_TLSRPT_FAILED;
	}
	buf_init(&json, CLI_TLSRPT_JSON_MAX);
	buf_init(&gz, CLI_TLSRPT_JSON_MAX);
	buf_init(&msg, 2 * CLI_TLSRPT_JSON_MAX);
	buf_init(&sts, STS_CACHE_SIZE_MAX);
	memset(&m, 0, sizeof(m));
	(void)snprintf(contact, sizeof(contact), "postmaster@%s",
	    conf->hostname);
	if (cli_tlsrpt_report_id(day->date, domain, conf->hostname, rid,
	    sizeof(rid)) == -1)
		goto out;
	m.org = conf->hostname;
	m.contact = contact;
	m.report_id = rid;
	m.start = start;
	m.end = end;
	if (cli_tlsrpt_sts(run->policyfd, domain, &sts, &e) == 0) {
		m.sts_text = e.text;
		m.sts_len = e.textlen;
	}
	if (cli_tlsrpt_json(day, domain, &m, run->o->dry_run, &json) <= 0) {
		printf("%s %s: the report does not fit\n", day->date, domain);
		goto out;
	}
	if (run->o->dry_run) {
		printf("%s %s: would send report %s to", day->date, domain,
		    rid);
		for (i = 0; i < rec.nrua; i++)
			printf(" %s", rec.rua[i]);
		printf("\n%.*s", (int)json.len, json.data);
		state = CLI_TLSRPT_NEW;
		goto out;
	}
	if (cli_tlsrpt_gzip(json.data, json.len, &gz) == -1) {
		printf("%s %s: gzip failed\n", day->date, domain);
		goto out;
	}
	for (i = 0; i < rec.nrua; i++) {
		why[0] = '\0';
		if (strncasecmp(rec.rua[i], "https://", 8) == 0) {
			n = cli_tlsrpt_post(conf, rec.rua[i], &gz, why,
			    sizeof(why));
		} else if (tlsrpt_mailto(rec.rua[i], addr, sizeof(addr)) ==
		    -1) {
			(void)snprintf(why, sizeof(why), "not one address");
			n = -1;
		} else {
			buf_reset(&msg);
			(void)snprintf(boundary, sizeof(boundary),
			    "tlsrpt-%08lx%08lx", (unsigned long)arc4random(),
			    (unsigned long)arc4random());
			if (gmtime_r(&now, &tm) == NULL || strftime(date,
			    sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
			    &tm) == 0)
				date[0] = '\0';
			memset(&mail, 0, sizeof(mail));
			mail.host = conf->hostname;
			mail.domain = domain;
			mail.to = addr;
			mail.report_id = rid;
			mail.date_hdr = date;
			mail.start = start;
			mail.end = end;
			mail.gz = (const uint8_t *)gz.data;
			mail.gzlen = gz.len;
			mail.boundary = boundary;
			if (cli_tlsrpt_mime(&mail, &msg) == -1) {
				(void)snprintf(why, sizeof(why),
				    "the mail does not fit");
				n = -1;
			} else
				n = cli_tlsrpt_mail(conf, addr, &msg, why,
				    sizeof(why));
		}
		printf("%s %s: report %s to %s: %s%s\n", day->date, domain,
		    rid, rec.rua[i], n == 0 ? "sent" : "failed: ", why);
		if (n == 0)
			any = 1;
	}
	state = any ? CLI_TLSRPT_SENT : CLI_TLSRPT_FAILED;
out:
	buf_free(&json);
	buf_free(&gz);
	buf_free(&msg);
	buf_free(&sts);
	return state;
}

/*
 * The reports of one date: every domain (only_failed: only those whose
 * report failed before). Returns 0, or an exit code.
 */
static int
cli_tlsrpt_date(struct cli_tlsrpt_run *run, const char *date, int only_failed,
    int explicit)
{
	struct tlsrpt_day day;
	struct cli_tlsrpt_sent sent;
	struct cli_tlsrpt_ent *e;
	struct buf b;
	char path[64], err[128];
	int64_t start, end;
	size_t i, j;
	int state, ex = 0, changed = 0;

	if (!tlsrpt_date(date, &start, &end))
		return EX_USAGE;
	if (run->o->partial && end > time(NULL))
		end = time(NULL) + 1;
	(void)snprintf(path, sizeof(path), "tlsrpt/%s", date);
	buf_init(&b, TLSRPT_FILE_MAX);
	if (cli_tlsrpt_read(run->policyfd, path, &b) == -1) {
		if (errno == ENOENT && !explicit) {
			buf_free(&b);
			return 0;
		}
		fprintf(stderr, "sealpost tlsrpt: %s/policy/%s: %s\n",
		    run->c->conf.data_dir, path, errno == ENOBUFS ?
		    "too large" : strerror(errno));
		buf_free(&b);
		return errno == ENOENT ? EX_NOINPUT : errno == EACCES ?
		    EX_NOPERM : EX_IOERR;
	}
	if (tlsrpt_parse(b.data != NULL ? b.data : "", b.len, &day, err,
	    sizeof(err)) == -1 || strcmp(day.date, date) != 0) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/%s: %s\n",
		    run->c->conf.data_dir, path, err);
		buf_free(&b);
		tlsrpt_day_free(&day);
		return EX_DATAERR;
	}
	buf_free(&b);
	if (cli_tlsrpt_sent_load(run->statefd, date, &sent) == -1) {
		fprintf(stderr, "sealpost tlsrpt: sent-%s: %s\n", date,
		    strerror(errno));
		tlsrpt_day_free(&day);
		return EX_IOERR;
	}
	for (i = 0; i < day.n; i++) {
		const char *d = day.p[i].domain;

		for (j = 0; j < i; j++)
			if (strcmp(day.p[j].domain, d) == 0)
				break;
		if (j < i)
			continue;	/* the domain's report is made */
		if (run->o->domain[0] != '\0' && strcmp(run->o->domain, d) != 0)
			continue;
		e = cli_tlsrpt_sent_find(&sent, d);
		if (e != NULL && (e->state == CLI_TLSRPT_SENT ||
		    e->state == CLI_TLSRPT_NOREC)) {
			if (explicit)
				printf("%s %s: %s before; not again\n", date, d,
				    e->state == CLI_TLSRPT_SENT ? "sent" :
				    "no TLS-RPT record");
			continue;
		}
		if (only_failed && (e == NULL || e->state != CLI_TLSRPT_FAILED))
			continue;
		state = cli_tlsrpt_domain(run, &day, d, start, end);
		if (run->o->dry_run)
			continue;
		if (state == CLI_TLSRPT_FAILED) {
			run->failed = 1;
			ex = CLI_EX_PROBLEM;
		}
		if (cli_tlsrpt_sent_set(&sent, d, state) == -1) {
			ex = EX_OSERR;
			break;
		}
		changed = 1;
	}
	if (changed && cli_tlsrpt_sent_save(run->statefd, date, &sent) == -1) {
		fprintf(stderr, "sealpost tlsrpt: sent-%s: %s\n", date,
		    strerror(errno));
		ex = EX_IOERR;
	}
	free(sent.e);
	tlsrpt_day_free(&day);
	return ex;
}

static void
cli_tlsrpt_usage(FILE *f)
{
	fprintf(f, "usage: sealpost tlsrpt [--dry-run] [--domain D] "
	    "[--date YYYY-MM-DD | --date today --partial]\n");
}

int
cli_tlsrpt(struct cli *c, int argc, char **argv)
{
	struct cli_tlsrpt_opts o;
	struct cli_tlsrpt_run run;
	char today[11], date[11], path[CONF_PATH_MAX + 16], err[160];
	int ex = 0, r, k, dfd;
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
	memset(&run, 0, sizeof(run));
	run.c = c;
	run.o = &o;
	(void)snprintf(path, sizeof(path), "%s/policy", c->conf.data_dir);
	if ((run.policyfd = open(path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		fprintf(stderr, "sealpost tlsrpt: %s: %s%s\n", path,
		    strerror(errno), errno == EACCES ? " (run it as root)" :
		    "");
		return errno == EACCES ? EX_NOPERM : EX_NOINPUT;
	}
	if ((dfd = open(c->conf.data_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || ((mkdirat(dfd, "tlsrpt", 0700) == -1 &&
	    errno != EEXIST)) || (run.statefd = openat(dfd, "tlsrpt",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: %s\n",
		    c->conf.data_dir, strerror(errno));
		if (dfd != -1)
			close(dfd);
		close(run.policyfd);
		return errno == EACCES ? EX_NOPERM : EX_IOERR;
	}
	close(dfd);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		close(run.policyfd);
		close(run.statefd);
		return EX_OSERR;
	}
	if (o.date[0] != '\0')
		ex = cli_tlsrpt_date(&run, o.date, 0, 1);
	else {
		/* yesterday, then the retries of the two days before */
		for (k = 1; k <= 1 + CLI_TLSRPT_RETRY_DAYS; k++) {
			if (tlsrpt_date_of(now - (int64_t)k * 86400, date) == -1)
				continue;
			r = cli_tlsrpt_date(&run, date, k > 1, 0);
			if (r != 0 && ex == 0)
				ex = r;
		}
	}
	curl_global_cleanup();
	close(run.policyfd);
	close(run.statefd);
	return ex;
}
