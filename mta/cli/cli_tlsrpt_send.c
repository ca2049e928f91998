/*
 * cli_tlsrpt_send.c: `user`'s side of sealpost tlsrpt (RFC 8460,
 * doc/design.md §8), run after cli_tlsrpt.c gave up root: the lock on
 * the state directory, the day files parsed (their octets read as
 * root), the sent state (data_dir/tlsrpt/sent-DATE) read, saved after
 * each rua reached and after each date, pruned; the MTA-STS texts (octets
 * from root's helper) parsed; the TXT lookup of `_smtp._tls.<domain>`
 * (res_nquery, parsed by policy/plan.c), gzip (zlib), the report mail
 * (DKIM-signed, lib/dkim.c; submitted by cli_tlsrpt.c's gate,
 * tests/lint/mailgate), and the https POST (libcurl, RFC 8460 §5.4) to
 * an ASCII host name or IP literal (cli_tlsrpt_https_host) that
 * resolves to public addresses only, pinned to them, and with a socket
 * callback that refuses every other address. A bad day file or sent
 * state skips its date (--date: stops the run); a failed save stops
 * every sending.
 * Linked by the sealpost binary.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
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
#include "lib/dkim.h"
#include "policy/plan.h"
#include "policy/sts_policy.h"

#define CLI_TLSRPT_TIMEOUT	60	/* seconds, https */
#define CLI_TLSRPT_JSON_MAX	(8 * 1024 * 1024)
#define CLI_TLSRPT_SENT_MAX	(32 * 1024 * 1024)	/* a sent-DATE file */
#define CLI_TLSRPT_ESC_MAX	(4 * TLSRPT_URI_MAX + 8)	/* escaped */

int
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
	if (len > (int)sizeof(ans)) {
		/* a TCP answer longer than ans: res_nquery says how long it
		   was, not what it kept */
		(void)snprintf(why, whylen, "the TXT answer is larger than "
		    "%zu octets", sizeof(ans));
		res_nclose(&rs);
		return -1;
	}
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
	if (txt->skipped > 0) {
		/* a record not read may be a (second) TLSRPTv1 one */
		(void)snprintf(why, whylen, "a TXT record longer than %d "
		    "octets, or past the %dth, was not read", PLAN_TXT_LEN,
		    PLAN_TXT_MAX);
		free(txt);
		return 0;
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

int
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

static size_t
cli_tlsrpt_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * The pin of url (doc/design.md §8): its host and port as
 * cli_tlsrpt_https_host reads them, which libcurl must read the same
 * way; for a name, its addresses, all public (cli_tlsrpt_addr_public),
 * as a CURLOPT_RESOLVE entry "host:port:a,b,..." in *pin (the caller's
 * to curl_slist_free_all; NULL for an IP literal, which curl does not
 * resolve): curl connects to what was checked, nothing else. 0, or -1
 * (why).
 */
static int
cli_tlsrpt_pin(const char *url, struct curl_slist **pin, char *why,
    size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct in6_addr x, y;
	CURLU *u;
	char host[TLSRPT_NAME_MAX], *ch = NULL, *cp = NULL, sport[8],
	    entry[1024], a[INET6_ADDRSTRLEN + 2];
	const char *errstr = NULL;
	size_t n;
	int r, ret = -1, k = 0, kind, port, af, same;

	*pin = NULL;
	if ((kind = cli_tlsrpt_https_host(url, host, sizeof(host), &port, why,
	    whylen)) == -1)
		return -1;
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &ch, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &cp, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		(void)snprintf(why, whylen, "not an https URL to libcurl");
		goto out;
	}
	/* what libcurl connects to is what was checked */
	n = strlen(ch);
	if (n > 2 && ch[0] == '[' && ch[n - 1] == ']') {
		memmove(ch, ch + 1, n - 2);
		ch[n - 2] = '\0';
	}
	af = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (kind == CLI_TLSRPT_HOST_ADDR)
		same = inet_pton(af, ch, &x) == 1 &&
		    inet_pton(af, host, &y) == 1 &&
		    memcmp(&x, &y, af == AF_INET ? 4 : 16) == 0;
	else
		same = strcasecmp(ch, host) == 0;
	if (!same || strtonum(cp, 1, 65535, &errstr) != port ||
	    errstr != NULL) {
		(void)snprintf(why, whylen, "libcurl reads another host or "
		    "port in the URL; refused");
		goto out;
	}
	if (kind == CLI_TLSRPT_HOST_ADDR) {
		ret = 0;	/* a public literal: nothing to resolve */
		goto out;
	}
	(void)snprintf(sport, sizeof(sport), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, sport, &hints, &res)) != 0) {
		(void)snprintf(why, whylen, "%s: %s", host, gai_strerror(r));
		goto out;
	}
	n = (size_t)snprintf(entry, sizeof(entry), "%s:%s:", host, sport);
	if (n >= sizeof(entry))
		goto toolong;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!cli_tlsrpt_addr_public(ai->ai_addr)) {
			(void)snprintf(why, whylen, "%s resolves to a "
			    "loopback, private, link-local, multicast or "
			    "reserved address; refused", host);
			goto out;
		}
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a + 1,
		    sizeof(a) - 2, NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		if (ai->ai_family == AF_INET6) {
			a[0] = '[';
			(void)strlcat(a, "]", sizeof(a));
			r = snprintf(entry + n, sizeof(entry) - n, "%s%s",
			    k++ > 0 ? "," : "", a);
		} else
			r = snprintf(entry + n, sizeof(entry) - n, "%s%s",
			    k++ > 0 ? "," : "", a + 1);
		if (r < 0 || (size_t)r >= sizeof(entry) - n)
			goto toolong;
		n += (size_t)r;
	}
	if (k == 0) {
		(void)snprintf(why, whylen, "%s: no address", host);
		goto out;
	}
	if ((*pin = curl_slist_append(NULL, entry)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		goto out;
	}
	ret = 0;
	goto out;
toolong:
	(void)snprintf(why, whylen, "%s: too many addresses", host);
out:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(ch);
	curl_free(cp);
	curl_url_cleanup(u);
	return ret;
}

/* What cli_tlsrpt_socket refused, for the report line. */
struct cli_tlsrpt_sock {
	char	refused[INET6_ADDRSTRLEN];
};

/*
 * libcurl's CURLOPT_OPENSOCKETFUNCTION: the socket of a connection to
 * a public address only (doc/design.md §8), whatever libcurl resolved
 * or was told; CURL_SOCKET_BAD (the transfer fails) for any other.
 */
static curl_socket_t
cli_tlsrpt_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *ca)
{
	struct cli_tlsrpt_sock *s = arg;
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (purpose == CURLSOCKTYPE_IPCXN && ca->addrlen <= sizeof(ss) &&
	    ((ca->family == AF_INET &&
	    ca->addrlen >= sizeof(struct sockaddr_in)) ||
	    (ca->family == AF_INET6 &&
	    ca->addrlen >= sizeof(struct sockaddr_in6)))) {
		/* curl_sockaddr's addr is the start of a longer storage */
		memcpy(&ss, &ca->addr, ca->addrlen);
		if (ss.ss_family == ca->family &&
		    cli_tlsrpt_addr_public((struct sockaddr *)&ss))
			return socket(ca->family, ca->socktype | SOCK_CLOEXEC,
			    ca->protocol);
		if (getnameinfo((struct sockaddr *)&ss, ca->addrlen,
		    s->refused, sizeof(s->refused), NULL, 0,
		    NI_NUMERICHOST) != 0)
			(void)strlcpy(s->refused, "?", sizeof(s->refused));
	} else
		(void)strlcpy(s->refused, "?", sizeof(s->refused));
	return CURL_SOCKET_BAD;
}

int
cli_tlsrpt_post(const struct conf *conf, const char *url, const struct buf *gz,
    char *why, size_t whylen)
{
	struct curl_slist *hdr = NULL, *pin = NULL;
	struct cli_tlsrpt_sock sock;
	CURL *h;
	CURLcode r;
	long status = 0;
	int ret = -1;

	if (cli_tlsrpt_pin(url, &pin, why, whylen) == -1)
		return -1;
	if ((h = curl_easy_init()) == NULL) {
		(void)snprintf(why, whylen, "libcurl");
		curl_slist_free_all(pin);
		return -1;
	}
	memset(&sock, 0, sizeof(sock));
	if (pin != NULL)
		(void)curl_easy_setopt(h, CURLOPT_RESOLVE, pin);
	(void)curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION,
	    cli_tlsrpt_socket);
	(void)curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &sock);
	(void)curl_easy_setopt(h, CURLOPT_PROXY, "");	/* no proxy from env */
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
	/* the refusal is said only when it may be why (doc/design.md §8) */
	if ((r = curl_easy_perform(h)) != CURLE_OK)
		cli_tlsrpt_post_why(r == CURLE_COULDNT_CONNECT, sock.refused,
		    curl_easy_strerror(r), why, whylen);
	else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 200 || status > 299)
		(void)snprintf(why, whylen, "HTTP status %ld", status);
	else
		ret = 0;
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	return ret;
}
/*
 * Reads sent-DATE (no state directory or no file: empty) into s
 * (cli_tlsrpt_sent_parse), as user: a regular file of one name,
 * user's (doc/design.md §8). 0, -1 (errno), CLI_TLSRPT_NOTREG or
 * CLI_TLSRPT_NOTOWN.
 */
static int
cli_tlsrpt_sent_load(const struct cli_tlsrpt_run *run, const char *date,
    struct cli_tlsrpt_sent *s)
{
	struct buf b;
	char name[32];
	int r, en;

	memset(s, 0, sizeof(*s));
	if (run->statefd == -1)
		return 0;
	(void)snprintf(name, sizeof(name), "sent-%s", date);
	buf_init(&b, CLI_TLSRPT_SENT_MAX);
	if ((r = cli_tlsrpt_read(run->statefd, name, run->uid, &b)) == 0 &&
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
 * Removes sent-DATE files older than CLI_TLSRPT_SENT_KEEP days, as user
 * (the directory is user's; unlinkat opens nothing).
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
 * Records dd's sent state, after each rua reached and after the date
 * (doc/design.md §8). 0, or -1: said on stderr; the run must stop
 * (what it sent next would be sent again by the next run).
 */
static int
cli_tlsrpt_record(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd)
{
	if (cli_tlsrpt_sent_save(run->statefd, dd->date, &dd->sent) == 0)
		return 0;
	fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt/sent-%s: %s; nothing "
	    "more is sent (what was sent and not recorded goes again with "
	    "the next run, under the same Report-ID)\n",
	    run->c->conf.data_dir, dd->date, strerror(errno));
	return -1;
}

/*
 * The domain's cached MTA-STS policy text, its octets from root's
 * helper (cli_tlsrpt_sts_ask), parsed here, as user; copied. None when
 * there is none, or when the file is not a regular file of the policy
 * user's (reported, run->problem set; the report goes without it).
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
	if (domain[0] == '\0' || domain[0] == '.' ||
	    strchr(domain, '/') != NULL)
		return;
	buf_init(&b, STS_CACHE_SIZE_MAX);
	r = cli_tlsrpt_sts_ask(run, domain, &b);
	en = errno;
	if (r == 0 && sts_cache_parse(b.data != NULL ? b.data : "", b.len,
	    &e, err, sizeof(err)) == 0 &&
	    (*text = malloc(e.textlen + 1)) != NULL) {
		memcpy(*text, e.text, e.textlen);
		(*text)[e.textlen] = '\0';
		*len = e.textlen;
	} else if (r < -1 || (r == -1 && (en == ELOOP || en == EPIPE))) {
		fprintf(stderr, "sealpost tlsrpt: %s/policy/sts/%s: %s; the "
		    "report goes without its MTA-STS policy text\n",
		    run->c->conf.data_dir, cli_tlsrpt_esc(domain, esc,
		    sizeof(esc)), en == EPIPE && r == -1 ? "the reader of "
		    "the MTA-STS cache ended" : cli_tlsrpt_why(r, en));
		run->problem = 1;
	}
	buf_free(&b);
}

/*
 * A bad file of dd (doc/design.md §8), file its path below data_dir up
 * to the date: reported; the date is skipped and the run exits 1 at
 * the end, unless --date named it and ex is not CLI_EX_PROBLEM (a file
 * that is no regular file of its owner's): then ex stops the run.
 */
static int
cli_tlsrpt_bad(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd,
    const char *file, const char *why, int ex)
{
	int stop = dd->explicit && ex != CLI_EX_PROBLEM;

	fprintf(stderr, "sealpost tlsrpt: %s/%s%s: %s%s\n",
	    run->c->conf.data_dir, file, dd->date, why, stop ? "" :
	    "; the date is skipped");
	if (stop)
		return ex;
	run->problem = 1;
	return 0;
}

/*
 * Parses date's day file (its octets, read as root), reads its sent
 * state and picks the domains to report, as user. Returns 0 (also: no
 * day file on a default run; a bad file: the date skipped,
 * cli_tlsrpt_bad), or an exit code that stops the run.
 */
static int
cli_tlsrpt_load(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd)
{
	struct cli_tlsrpt_ent *e;
	const char *d;
	char err[128];
	size_t i, j;
	int r, en;

	if (!tlsrpt_date(dd->date, &dd->start, &dd->end))
		return EX_USAGE;
	tlsrpt_day_init(&dd->day, "");
	if (run->o->partial && dd->end > time(NULL))
		dd->end = time(NULL) + 1;
	if ((r = dd->rawr) != 0) {
		en = dd->rawerr;
		if (r == -1 && en == ENOENT && !dd->explicit)
			return 0;
		return cli_tlsrpt_bad(run, dd, "policy/tlsrpt/",
		    cli_tlsrpt_why(r, en), r != -1 || en == ELOOP ?
		    CLI_EX_PROBLEM : en == ENOENT ? EX_NOINPUT : en == EACCES ?
		    EX_NOPERM : EX_IOERR);
	}
	err[0] = '\0';
	if (tlsrpt_parse(dd->raw.data != NULL ? dd->raw.data : "",
	    dd->raw.len, &dd->day, err, sizeof(err)) == -1 ||
	    strcmp(dd->day.date, dd->date) != 0) {
		tlsrpt_day_free(&dd->day);
		tlsrpt_day_init(&dd->day, "");
		return cli_tlsrpt_bad(run, dd, "policy/tlsrpt/", err[0] !=
		    '\0' ? err : "its date is not its name", EX_DATAERR);
	}
	buf_free(&dd->raw);
	if ((r = cli_tlsrpt_sent_load(run, dd->date, &dd->sent)) != 0) {
		en = errno;
		return cli_tlsrpt_bad(run, dd, "tlsrpt/sent-",
		    cli_tlsrpt_why(r, en), r != -1 || en == ELOOP ?
		    CLI_EX_PROBLEM : en == ENOMEM ? EX_OSERR : EX_IOERR);
	}
	if (dd->day.n == 0)
		return 0;
	if ((dd->todo = calloc(dd->day.n, sizeof(*dd->todo))) == NULL ||
	    (dd->sts = calloc(dd->day.n, sizeof(*dd->sts))) == NULL ||
	    (dd->stslen = calloc(dd->day.n, sizeof(*dd->stslen))) == NULL)
		return EX_OSERR;
	for (i = 0; i < dd->day.n; i++) {
		d = dd->day.p[i].domain;
		for (j = 0; j < i; j++)
			if (strcmp(dd->day.p[j].domain, d) == 0)
				break;
		if (j < i)
			continue;	/* the domain's report is made */
		if (run->o->domain[0] != '\0' && strcmp(run->o->domain, d) != 0)
			continue;
		e = cli_tlsrpt_sent_find(&dd->sent, d);
		if (!cli_tlsrpt_ent_due(e)) {
			if (dd->explicit || run->o->verbose)
				printf("%s %s: %s before; not again\n",
				    dd->date, d, e->state == CLI_TLSRPT_SENT ?
				    "sent" : "no TLS-RPT record");
			continue;
		}
		/* new, failed, skipped for want of a key, or never tried
		   (no entry: a daily run was missed) */
		cli_tlsrpt_sts(run, d, &dd->sts[dd->ntodo],
		    &dd->stslen[dd->ntodo]);
		dd->todo[dd->ntodo++] = i;
	}
	return 0;
}

void
cli_tlsrpt_date_free(struct cli_tlsrpt_date *dd)
{
	size_t i;

	for (i = 0; dd->sts != NULL && i < dd->ntodo; i++)
		free(dd->sts[i]);
	free(dd->sts);
	free(dd->stslen);
	free(dd->todo);
	dd->sts = NULL;
	dd->stslen = NULL;
	dd->todo = NULL;
	dd->ntodo = 0;
	buf_free(&dd->raw);
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

	if (run->key->key == NULL) {
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
	else if (dkim_sign(run->key, msg.data, msg.len, (int64_t)now,
	    &sig, why, whylen) == -1)
		;
	else
		n = cli_tlsrpt_mail(conf, addr, &sig, &msg, why, whylen);
	buf_free(&msg);
	buf_free(&sig);
	return n;
}

/*
 * The report of dd's k-th domain to do. Returns its new state, or a
 * negative exit code: the run stops (the state could not be saved).
 */
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
	int state = CLI_TLSRPT_FAILED, n, sent = 0, failed = 0, nokey = 0;

	n = cli_tlsrpt_lookup(conf, domain, &rec, why, sizeof(why));
	if (n <= 0) {
		/* a domain without a record is no news: a busy MX has
		   thousands a day (-v or --date shows them) */
		if (n < 0 || dd->explicit || run->o->verbose)
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
			    sizeof(esc)), run->key->key == NULL &&
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
			/* not final: tried again once there is a key */
			printf("%s %s: %s: %s\n", dd->date, domain, esc, why);
			run->nokey++;
			nokey = 1;
			continue;
		}
		printf("%s %s: report %s to %s: %s%s\n", dd->date, domain,
		    rid, esc, n == 0 ? "sent" : "failed: ", why);
		if (n != 0) {
			failed = 1;
			continue;
		}
		sent = 1;
		/* recorded at once: a rua gets a report once (when the
		   list is full, rua no longer in the record make room) */
		if ((e == NULL && (e = cli_tlsrpt_sent_get(&dd->sent,
		    domain)) == NULL) || cli_tlsrpt_ent_room(e, &rec) == 0 ||
		    cli_tlsrpt_ent_add(e, rec.rua[i]) == -1) {
			fprintf(stderr, "sealpost tlsrpt: out of memory\n");
			state = -EX_OSERR;
			goto out;
		}
		if (cli_tlsrpt_record(run, dd) == -1) {
			state = -EX_IOERR;
			goto out;
		}
	}
	state = failed ? CLI_TLSRPT_FAILED : nokey ? CLI_TLSRPT_SKIPPED :
	    sent ? CLI_TLSRPT_SENT : CLI_TLSRPT_SKIPPED;
out:
	buf_free(&json);
	buf_free(&gz);
	return state;
}

/*
 * The reports of one loaded date. Returns 0, CLI_EX_PROBLEM (a report
 * failed or was skipped), or an exit code that stops the run.
 */
static int
cli_tlsrpt_send_date(struct cli_tlsrpt_run *run, struct cli_tlsrpt_date *dd)
{
	struct cli_tlsrpt_ent *e;
	size_t k;
	int state, ex = 0;

	for (k = 0; k < dd->ntodo; k++) {
		if ((state = cli_tlsrpt_domain(run, dd, k)) < 0)
			return -state;
		if (run->o->dry_run)
			continue;
		if (state == CLI_TLSRPT_FAILED || state == CLI_TLSRPT_SKIPPED)
			ex = CLI_EX_PROBLEM;
		if ((e = cli_tlsrpt_sent_get(&dd->sent,
		    dd->day.p[dd->todo[k]].domain)) == NULL) {
			fprintf(stderr, "sealpost tlsrpt: out of memory\n");
			return EX_OSERR;
		}
		e->state = state;
	}
	/* each rua reached was recorded at once (a crash repeats no
	   report); the domains' states once, at the end: one lost to a
	   crash only makes the next run look the domain up again */
	if (dd->ntodo > 0 && !run->o->dry_run &&
	    cli_tlsrpt_record(run, dd) == -1)
		return EX_IOERR;
	return ex;
}

int
cli_tlsrpt_user(struct cli_tlsrpt_run *run)
{
	const char *dd = run->c->conf.data_dir;
	size_t k;
	int ex = 0, r;

	/* one run at a time reads and writes the state */
	if (!run->o->dry_run && run->statefd != -1 &&
	    flock(run->statefd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			fprintf(stderr, "sealpost tlsrpt: another sealpost "
			    "tlsrpt is running (%s/tlsrpt is locked)\n", dd);
			return EX_TEMPFAIL;
		}
		fprintf(stderr, "sealpost tlsrpt: %s/tlsrpt: flock: %s\n", dd,
		    strerror(errno));
		return EX_IOERR;
	}
	if (!run->o->dry_run)
		cli_tlsrpt_prune(run->statefd, time(NULL));
	for (k = 0; k < run->nd && ex == 0; k++)
		ex = cli_tlsrpt_load(run, &run->d[k]);
	/* every MTA-STS text is in: the root helper ends before the network */
	if (run->helper != -1) {
		close(run->helper);
		run->helper = -1;
	}
	if (ex != 0)
		return ex;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EX_OSERR;
	for (k = 0; k < run->nd; k++) {
		if ((r = cli_tlsrpt_send_date(run, &run->d[k])) ==
		    CLI_EX_PROBLEM)
			ex = CLI_EX_PROBLEM;
		else if (r != 0) {
			ex = r;		/* nothing more is sent */
			break;
		}
	}
	curl_global_cleanup();
	if (run->nokey > 0 && !run->o->dry_run) {
		fprintf(stderr, "sealpost tlsrpt: warning: %zu report mail%s "
		    "to mailto: addresses not sent for want of a DKIM key "
		    "(dkim_key_file, sealpost.conf(5)); tried again by the "
		    "next runs, as failed ones\n", run->nokey,
		    run->nokey == 1 ? "" : "s");
		if (ex == 0)
			ex = CLI_EX_PROBLEM;
	}
	if (ex == 0 && run->problem)
		ex = CLI_EX_PROBLEM;
	return ex;
}
