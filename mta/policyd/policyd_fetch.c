/*
 * policyd_fetch.c: the MTA-STS policy fetch of the policy process
 * (doc/design.md §8; RFC 8461 §3.3) with libcurl 7.88 built on GnuTLS,
 * driven by the process's event loop through curl's multi-socket API:
 * curl tells us its sockets (CURLMOPT_SOCKETFUNCTION), which the loop
 * watches, and one deadline (CURLMOPT_TIMERFUNCTION), which one loop
 * timer follows; both are serviced with curl_multi_socket_action. Nothing
 * blocks: curl never resolves a name (each request's addresses come from
 * our own resolver, pinned with CURLOPT_RESOLVE in a DNS cache of its
 * own, and a resolver-start callback refuses any lookup of curl's), and
 * the CA certificates are a file curl reads per connection (see
 * POLICYD_FETCH_CA_COPY in policyd_fetch.h for why a copy). What an
 * answer means is decided by policyd_fetch_check.c.
 * Linked by the policy binary and tests/sts_fetch_harness.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policyd_fetch.h"

#define POLICYD_FETCH_PATH	"/.well-known/mta-sts.txt"
#define POLICYD_FETCH_PEM	"-----BEGIN CERTIFICATE-----"

struct policyd_fetch_req {
	TAILQ_ENTRY(policyd_fetch_req) entry;
	struct policyd_fetch	*f;
	CURL			*easy;		/* NULL: failed early */
	CURLSH			*share;		/* its own DNS cache */
	struct curl_slist	*resolve;
	int			 added;		/* to the multi */
	policyd_fetch_cb	 cb;
	void			*arg;
	struct buf		 body;
	int			 checked;	/* status and type seen */
	int			 stopped, over, nomem;
	struct loop_timer	 timer;		/* early failure */
	char			 detail[POLICYD_FETCH_DETAIL_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
};

struct policyd_fetch {
	struct loop		*loop;
	CURLM			*multi;
	struct loop_timer	 timer;		/* curl's deadline */
	unsigned		 timeout_s, connect_s;
	struct buf		 ca;		/* tls_ca_file */
	int			 ca_written;	/* the copy was written */
	int			 nsock;		/* sockets watched */
	int			 depth;		/* inside a loop callback */
	int			 dying;		/* freed meanwhile */
	TAILQ_HEAD(, policyd_fetch_req) reqs;
};

static void	policyd_fetch_destroy(struct policyd_fetch *);

/* ---- requests ---- */

static void
policyd_fetch_req_free(struct policyd_fetch_req *r)
{
	if (r->easy != NULL) {
		if (r->added)
			(void)curl_multi_remove_handle(r->f->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	/* after the handle that used it */
	if (r->share != NULL)
		(void)curl_share_cleanup(r->share);
	curl_slist_free_all(r->resolve);
	buf_free(&r->body);
	free(r);
}

/* The 0 ms timer of a request that failed before curl had it. */
static void
policyd_fetch_early(void *arg)
{
	struct policyd_fetch_req *r = arg;

	TAILQ_REMOVE(&r->f->reqs, r, entry);
	/* r is off the list: a policyd_fetch_free in cb leaves it alone */
	r->cb(r->arg, POLICYD_FETCH_ERROR, r->detail, NULL, 0);
	r->f = NULL;
	policyd_fetch_req_free(r);
}

static void
policyd_fetch_fail_early(struct policyd_fetch_req *r, const char *what,
    const char *why)
{
	if (snprintf(r->detail, sizeof(r->detail), "%s%s%s", what,
	    why != NULL ? ": " : "", why != NULL ? why : "") >=
	    (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 2] = '.';	/* cut: says so */
	loop_timer_set(r->f->loop, &r->timer, 0, policyd_fetch_early, r);
}

/*
 * curl's write callback: stops an answer that is no policy as soon as
 * its first octets come, and a body as soon as it passes the cap
 * (returning short makes curl end the transfer with CURLE_WRITE_ERROR).
 */
static size_t
policyd_fetch_write(char *p, size_t size, size_t n, void *arg)
{
	struct policyd_fetch_req *r = arg;
	size_t len = size * n;
	char *ctype = NULL;
	long http = 0;

	if (!r->checked) {
		if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
		    &http) != CURLE_OK || curl_easy_getinfo(r->easy,
		    CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK ||
		    !policyd_fetch_answer_ok(http, ctype)) {
			r->stopped = 1;
			return 0;
		}
		r->checked = 1;
	}
	if (buf_append(&r->body, p, len) == -1) {
		if (errno == ENOBUFS)
			r->over = 1;
		else
			r->nomem = 1;
		return 0;
	}
	return len;
}

/* curl would resolve a name itself: never (our resolver's answer only). */
static int
policyd_fetch_no_resolver(void *state, void *reserved, void *arg)
{
	(void)state;
	(void)reserved;
	(void)arg;
	return 1;
}

/* Writes the copy of the CA file curl reads (POLICYD_FETCH_CA_COPY). */
static int
policyd_fetch_ca_copy(struct policyd_fetch *f, char *why, size_t whylen)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	/* a copy removed meanwhile is written again */
	if (f->ca_written && access(POLICYD_FETCH_CA_COPY, R_OK) == 0)
		return 0;
	fd = open(POLICYD_FETCH_CA_COPY, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		(void)strlcpy(why, strerror(errno), whylen);
		return -1;
	}
	while (off < f->ca.len) {
		n = write(fd, f->ca.data + off, f->ca.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)strlcpy(why, n == -1 ? strerror(errno) :
			    "short write", whylen);
			(void)close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		(void)strlcpy(why, strerror(errno), whylen);
		return -1;
	}
	f->ca_written = 1;
	return 0;
}

/* Every option of one fetch (RFC 8461 §3.3); -1 when curl refuses one. */
static int
policyd_fetch_setopt(struct policyd_fetch_req *r, const char *url)
{
	struct policyd_fetch *f = r->f;
	CURL *e = r->easy;

	if (curl_share_setopt(r->share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_DNS) != CURLSHE_OK)
		return -1;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
	    /* the connection: our addresses only, fresh, never kept */
	    curl_easy_setopt(e, CURLOPT_SHARE, r->share) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_RESOLVE, r->resolve) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_RESOLVER_START_FUNCTION,
	    policyd_fetch_no_resolver) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    /* TLS: PKIX under the CA file, the name, 1.2 or later */
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CAINFO, POLICYD_FETCH_CA_COPY) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L) != CURLE_OK ||
	    /* the request and the answer */
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "sealpost") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE,
	    (long)POLICYD_FETCH_BODY_MAX) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, policyd_fetch_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, r) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)f->timeout_s * 1000) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)f->connect_s * 1000) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, r) != CURLE_OK)
		return -1;
	return 0;
}

struct policyd_fetch_req *
policyd_fetch_get(struct policyd_fetch *f, const char *domain,
    const struct ipc_plan_addr *addrs, size_t naddr, policyd_fetch_cb cb,
    void *arg)
{
	struct policyd_fetch_req *r;
	struct curl_slist *sl;
	char host[POLICYD_FETCH_HOST_MAX + 1], url[POLICYD_FETCH_HOST_MAX +
	    sizeof("https://" POLICYD_FETCH_PATH)], why[128], *entry;
	size_t elen;
	int n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("policy: MTA-STS fetch");
	r->f = f;
	r->cb = cb;
	r->arg = arg;
	buf_init(&r->body, POLICYD_FETCH_BODY_MAX);
	TAILQ_INSERT_TAIL(&f->reqs, r, entry);

	if (policyd_fetch_host(domain, host, sizeof(host)) == -1) {
		policyd_fetch_fail_early(r, "not a host name", NULL);
		return r;
	}
	if (naddr == 0) {
		policyd_fetch_fail_early(r, "no address", NULL);
		return r;
	}
	elen = POLICYD_FETCH_RESOLVE_LEN(strlen(host), naddr);
	if ((entry = malloc(elen)) == NULL) {
		policyd_fetch_fail_early(r, "out of memory", NULL);
		return r;
	}
	n = policyd_fetch_resolve(host, addrs, naddr, entry, elen);
	sl = n > 0 ? curl_slist_append(NULL, entry) : NULL;
	free(entry);
	if (n <= 0) {
		policyd_fetch_fail_early(r, "no usable address", NULL);
		return r;
	}
	if ((r->resolve = sl) == NULL) {
		policyd_fetch_fail_early(r, "out of memory", NULL);
		return r;
	}
	n = snprintf(url, sizeof(url), "https://%s%s", host,
	    POLICYD_FETCH_PATH);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		policyd_fetch_fail_early(r, "not a host name", NULL);
		return r;
	}
	if (policyd_fetch_ca_copy(f, why, sizeof(why)) == -1) {
		policyd_fetch_fail_early(r, "cannot write "
		    POLICYD_FETCH_CA_COPY, why);
		return r;
	}
	if ((r->easy = curl_easy_init()) == NULL ||
	    (r->share = curl_share_init()) == NULL) {
		policyd_fetch_fail_early(r, "curl: out of memory", NULL);
		return r;
	}
	if (policyd_fetch_setopt(r, url) == -1) {
		policyd_fetch_fail_early(r, "curl refused an option", NULL);
		return r;
	}
	/* arms curl's timer at 0 ms: the transfer starts from the loop */
	if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK) {
		policyd_fetch_fail_early(r, "curl: cannot add the transfer",
		    NULL);
		return r;
	}
	r->added = 1;
	return r;
}

void
policyd_fetch_cancel(struct policyd_fetch_req *r)
{
	if (r == NULL)
		return;
	TAILQ_REMOVE(&r->f->reqs, r, entry);
	loop_timer_cancel(r->f->loop, &r->timer);
	policyd_fetch_req_free(r);
}

/* A transfer ended: judge it, tell the caller, forget it. */
static void
policyd_fetch_finish(struct policyd_fetch_req *r, CURLcode rc)
{
	struct policyd_fetch_outcome o;
	curl_off_t appconnect = 0;
	int status;

	memset(&o, 0, sizeof(o));
	o.curl = (int)rc;
	if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &o.http) !=
	    CURLE_OK)
		o.http = 0;
	if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &o.ctype) !=
	    CURLE_OK)
		o.ctype = NULL;
	if (curl_easy_getinfo(r->easy, CURLINFO_SSL_VERIFYRESULT,
	    &o.verify) != CURLE_OK)
		o.verify = 0;
	if (curl_easy_getinfo(r->easy, CURLINFO_APPCONNECT_TIME_T,
	    &appconnect) != CURLE_OK)
		appconnect = 0;
	o.tls_done = appconnect > 0;
	o.stopped = r->stopped;
	o.over = r->over;
	o.nomem = r->nomem;
	o.timeout_s = r->f->timeout_s;
	o.connect_s = r->f->connect_s;
	o.errbuf = r->errbuf;
	status = policyd_fetch_judge(&o, r->detail, sizeof(r->detail));
	if (rc == CURLE_SSL_CACERT_BADFILE)
		r->f->ca_written = 0;	/* gone: written again next time */

	TAILQ_REMOVE(&r->f->reqs, r, entry);
	(void)curl_multi_remove_handle(r->f->multi, r->easy);
	r->added = 0;
	if (status == POLICYD_FETCH_OK)
		r->cb(r->arg, status, r->detail, r->body.data != NULL ?
		    r->body.data : "", r->body.len);
	else
		r->cb(r->arg, status, r->detail, NULL, 0);
	policyd_fetch_req_free(r);
}

/* Reports every finished transfer (stops when cb freed the fetcher). */
static void
policyd_fetch_reap(struct policyd_fetch *f)
{
	struct policyd_fetch_req *r;
	CURLMsg *m;
	CURLcode rc;
	char *priv;
	int left;

	while (!f->dying && (m = curl_multi_info_read(f->multi, &left)) !=
	    NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		rc = m->data.result;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    &priv) != CURLE_OK || priv == NULL)
			fatalx("policy: a transfer without its request");
		r = (struct policyd_fetch_req *)(void *)priv;
		policyd_fetch_finish(r, rc);
	}
}

/* Leaves a loop callback; the fetcher goes if cb freed it meanwhile. */
static void
policyd_fetch_leave(struct policyd_fetch *f)
{
	if (--f->depth == 0 && f->dying)
		policyd_fetch_destroy(f);
}

/* ---- curl on the loop ---- */

static void
policyd_fetch_action(struct policyd_fetch *f, curl_socket_t s, int mask)
{
	CURLMcode mc;
	int running;

	f->depth++;
	mc = curl_multi_socket_action(f->multi, s, mask, &running);
	if (mc != CURLM_OK)
		log_warnx("policy: MTA-STS fetch: curl: %s",
		    curl_multi_strerror(mc));
	policyd_fetch_reap(f);
	policyd_fetch_leave(f);
}

static void
policyd_fetch_fd(int fd, uint32_t events, void *arg)
{
	int mask = 0;

	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	policyd_fetch_action(arg, fd, mask);
}

static void
policyd_fetch_deadline(void *arg)
{
	policyd_fetch_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

/*
 * CURLMOPT_SOCKETFUNCTION: what to watch on s. A socket we watch carries
 * the fetcher as its curl_multi_assign pointer, so REMOVE of one we never
 * saw (curl may say so) changes nothing.
 */
static int
policyd_fetch_sock(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct policyd_fetch *f = arg;
	uint32_t ev;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sockp != NULL) {
			loop_fd_del(f->loop, s);
			f->nsock--;
		}
		return 0;
	}
	ev = (what & CURL_POLL_IN ? EPOLLIN : 0) |
	    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (sockp == NULL) {
		if (loop_fd_add(f->loop, s, ev, policyd_fetch_fd, f) == -1)
			fatal("policy: watch an HTTPS socket");
		if (curl_multi_assign(f->multi, s, f) != CURLM_OK)
			fatalx("policy: curl_multi_assign");
		f->nsock++;
	} else if (loop_fd_mod(f->loop, s, ev) == -1)
		fatal("policy: watch an HTTPS socket");
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one deadline for all transfers, or none. */
static int
policyd_fetch_timer(CURLM *multi, long ms, void *arg)
{
	struct policyd_fetch *f = arg;

	(void)multi;
	if (ms < 0)
		loop_timer_cancel(f->loop, &f->timer);
	else
		loop_timer_set(f->loop, &f->timer, (uint64_t)ms,
		    policyd_fetch_deadline, f);
	return 0;
}

/* ---- the fetcher ---- */

/* Reads the CA file whole; 0, or -1 with a message. */
static int
policyd_fetch_read_ca(struct policyd_fetch *f, const char *path, char *err,
    size_t errlen)
{
	int fd, rv;

	buf_init(&f->ca, POLICYD_FETCH_CA_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rv = buf_read_fd(&f->ca, fd);
	(void)close(fd);
	if (rv == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, errno == ENOBUFS ?
		    "too large" : strerror(errno));
		return -1;
	}
	if (f->ca.len == 0 || memmem(f->ca.data, f->ca.len, POLICYD_FETCH_PEM,
	    sizeof(POLICYD_FETCH_PEM) - 1) == NULL) {
		(void)snprintf(err, errlen, "%s: no PEM certificate", path);
		return -1;
	}
	return 0;
}

struct policyd_fetch *
policyd_fetch_new(struct loop *loop, const char *ca_file, unsigned timeout_s,
    char *err, size_t errlen)
{
	struct policyd_fetch *f;
	const curl_version_info_data *v;
	CURLcode rc;

	if (timeout_s == 0) {
		(void)snprintf(err, errlen, "MTA-STS fetch timeout 0");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->loop = loop;
	f->timeout_s = timeout_s;
	f->connect_s = timeout_s < POLICYD_FETCH_CONNECT_MAX ? timeout_s :
	    POLICYD_FETCH_CONNECT_MAX;
	TAILQ_INIT(&f->reqs);
	if (policyd_fetch_read_ca(f, ca_file, err, errlen) == -1) {
		buf_free(&f->ca);
		free(f);
		return NULL;
	}
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		(void)snprintf(err, errlen, "curl: %s", curl_easy_strerror(rc));
		buf_free(&f->ca);
		free(f);
		return NULL;
	}
	v = curl_version_info(CURLVERSION_NOW);
	if (v == NULL || !(v->features & CURL_VERSION_SSL)) {
		(void)snprintf(err, errlen, "curl without TLS");
		goto fail;
	}
	if ((f->multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION,
	    policyd_fetch_sock) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION,
	    policyd_fetch_timer) != CURLM_OK ||
	    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f) != CURLM_OK) {
		(void)snprintf(err, errlen, "curl: cannot make a multi handle");
		goto fail;
	}
	return f;
fail:
	if (f->multi != NULL)
		(void)curl_multi_cleanup(f->multi);
	curl_global_cleanup();
	buf_free(&f->ca);
	free(f);
	return NULL;
}

static void
policyd_fetch_destroy(struct policyd_fetch *f)
{
	(void)curl_multi_cleanup(f->multi);
	/* a socket still watched would call back into freed memory */
	if (f->nsock != 0)
		fatalx("policy: curl left %d sockets behind", f->nsock);
	/* after the cleanup, which may still set curl's timer */
	loop_timer_cancel(f->loop, &f->timer);
	curl_global_cleanup();
	buf_free(&f->ca);
	free(f);
}

void
policyd_fetch_free(struct policyd_fetch *f)
{
	if (f == NULL)
		return;
	while (!TAILQ_EMPTY(&f->reqs))
		policyd_fetch_cancel(TAILQ_FIRST(&f->reqs));
	if (f->depth > 0) {
		f->dying = 1;		/* policyd_fetch_leave frees it */
		return;
	}
	policyd_fetch_destroy(f);
}
