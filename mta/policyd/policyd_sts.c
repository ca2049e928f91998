/*
 * policyd_sts.c: MTA-STS in the policy process (doc/design.md §8, RFC
 * 8461 §3 and §5.1): the TXT record _mta-sts.<domain> (policy/sts_record.c
 * reads it), the policy fetch over HTTPS (policyd_fetch.c) to the
 * addresses of mta-sts.<domain> that our own resolver found, and the
 * cache of policies, in memory and on disk (one file per domain in
 * sts/ under the process's directory, written to a temporary name and
 * renamed, so a crash leaves the old or the new file, never half of
 * one). Rules: a cached policy is used until its max_age ends; a TXT id
 * different from the cached one fetches again at once; a failed fetch
 * keeps the cached policy; a missing TXT record leaves the cached policy
 * in force until it expires; a fetched `mode: none` replaces it. Every
 * request for a domain whose discovery runs waits for that one.
 * Linked by the policy binary.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/dns_wire.h"
#include "policy/sts_record.h"
#include "policyd.h"

#define POLICYD_STS_BUCKETS	1024
#define POLICYD_STS_FILE_MAX	(STS_POLICY_SIZE_MAX + 4096)

struct policyd_sts_ent {
	LIST_ENTRY(policyd_sts_ent) hash;
	struct sts_cache_entry	 e;
	char			*text;		/* owned: e.text */
};

struct policyd_sts_waiter {
	policyd_sts_cb			 cb;
	void				*arg;
	struct policyd_sts_waiter	*next;
};

struct policyd_sts_run {
	struct policyd_sts		*sts;
	LIST_ENTRY(policyd_sts_run)	 entry;
	char				 domain[PLAN_NAME_MAX];
	char				 host[PLAN_NAME_MAX + 8];
	char				 id[STS_ID_MAX + 1];
	int				 pending;
	struct plan_addr_answer		 a, aaaa;
	struct policyd_fetch_req	*fetch;
	struct policyd_sts_state	 st;
	struct policyd_sts_waiter	*waiters;
};

LIST_HEAD(policyd_sts_bucket, policyd_sts_ent);
LIST_HEAD(policyd_sts_runs, policyd_sts_run);

struct policyd_sts {
	struct loop			*loop;
	struct policyd_dns		*dns;
	struct policyd_fetch		*fetch;
	int				 dirfd;
	struct policyd_sts_bucket	 buckets[POLICYD_STS_BUCKETS];
	struct policyd_sts_runs		 runs;
};

static size_t
policyd_sts_hash(const char *s)
{
	return policyd_name_hash(s) % POLICYD_STS_BUCKETS;
}

static struct policyd_sts_ent *
policyd_sts_find(struct policyd_sts *sts, const char *domain)
{
	struct policyd_sts_ent *e;

	LIST_FOREACH(e, &sts->buckets[policyd_sts_hash(domain)], hash)
		if (strcmp(e->e.domain, domain) == 0)
			return e;
	return NULL;
}

static void
policyd_sts_drop(struct policyd_sts_ent *e)
{
	LIST_REMOVE(e, hash);
	free(e->text);
	free(e);
}

/* Keeps a copy of entry *in (its text copied); replaces an older one. */
static struct policyd_sts_ent *
policyd_sts_keep(struct policyd_sts *sts, const struct sts_cache_entry *in)
{
	struct policyd_sts_ent *e, *old;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->text = malloc(in->textlen + 1)) == NULL) {
		free(e);
		return NULL;
	}
	e->e = *in;
	memcpy(e->text, in->text, in->textlen);
	e->text[in->textlen] = '\0';
	e->e.text = e->text;
	if ((old = policyd_sts_find(sts, in->domain)) != NULL)
		policyd_sts_drop(old);
	LIST_INSERT_HEAD(&sts->buckets[policyd_sts_hash(in->domain)], e,
	    hash);
	return e;
}

/* Writes the entry to sts/<domain> through a temporary file. */
static void
policyd_sts_save(struct policyd_sts *sts, const struct sts_cache_entry *e)
{
	char *buf, tmp[PLAN_NAME_MAX + 16], path[PLAN_NAME_MAX + 8];
	ssize_t n;
	int fd, ok;

	if (sts->dirfd == -1)
		return;
	if ((buf = malloc(POLICYD_STS_FILE_MAX)) == NULL)
		return;
	n = sts_cache_format(e, buf, POLICYD_STS_FILE_MAX);
	if (snprintf(tmp, sizeof(tmp), "sts/.%s.tmp", e->domain) >=
	    (int)sizeof(tmp) || snprintf(path, sizeof(path), "sts/%s",
	    e->domain) >= (int)sizeof(path) || n < 0) {
		free(buf);
		return;
	}
	if ((fd = openat(sts->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		log_warn("policy: MTA-STS cache %s", tmp);
		free(buf);
		return;
	}
	ok = write(fd, buf, (size_t)n) == n && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	free(buf);
	if (!ok || renameat(sts->dirfd, tmp, sts->dirfd, path) == -1) {
		log_warn("policy: MTA-STS cache %s", path);
		(void)unlinkat(sts->dirfd, tmp, 0);
		return;
	}
	/* the rename itself made durable */
	if ((fd = openat(sts->dirfd, "sts", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

static void
policyd_sts_unlink(struct policyd_sts *sts, const char *domain)
{
	char path[PLAN_NAME_MAX + 8];

	if (sts->dirfd != -1 && snprintf(path, sizeof(path), "sts/%s",
	    domain) < (int)sizeof(path))
		(void)unlinkat(sts->dirfd, path, 0);
}

/* Reads every cached policy at start; a bad file is logged and removed. */
static void
policyd_sts_load(struct policyd_sts *sts)
{
	struct sts_cache_entry e;
	struct dirent *de;
	struct buf b;
	char err[256];
	DIR *d;
	int dfd, fd, n = 0;

	if (mkdirat(sts->dirfd, "sts", 0700) == -1 && errno != EEXIST) {
		log_warn("policy: MTA-STS cache directory");
		return;
	}
	if ((dfd = openat(sts->dirfd, "sts", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(dfd)) == NULL) {
		log_warn("policy: MTA-STS cache directory");
		if (dfd != -1)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			if (strstr(de->d_name, ".tmp") != NULL)
				(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) == -1)
			continue;
		buf_init(&b, POLICYD_STS_FILE_MAX);
		if (buf_read_fd(&b, fd) == -1 || b.len == 0 ||
		    sts_cache_parse(b.data, b.len, &e, err, sizeof(err)) ==
		    -1 || strcmp(e.domain, de->d_name) != 0) {
			log_warnx("policy: MTA-STS cache file sts/%s is not "
			    "valid; removed", de->d_name);
			(void)unlinkat(dfd, de->d_name, 0);
		} else if (e.expires > time(NULL) &&
		    policyd_sts_keep(sts, &e) != NULL)
			n++;
		else
			(void)unlinkat(dfd, de->d_name, 0);
		buf_free(&b);
		close(fd);
	}
	closedir(d);
	log_debug("policy: %d MTA-STS policies in the cache", n);
}

struct policyd_sts *
policyd_sts_new(struct loop *loop, struct policyd_dns *dns,
    struct policyd_fetch *fetch, int dirfd)
{
	struct policyd_sts *sts;
	size_t i;

	if ((sts = calloc(1, sizeof(*sts))) == NULL)
		fatal("policy: MTA-STS");
	sts->loop = loop;
	sts->dns = dns;
	sts->fetch = fetch;
	sts->dirfd = dirfd;
	for (i = 0; i < POLICYD_STS_BUCKETS; i++)
		LIST_INIT(&sts->buckets[i]);
	LIST_INIT(&sts->runs);
	if (dirfd != -1)
		policyd_sts_load(sts);
	return sts;
}

/* The cached policy in force for domain now, or NULL (expired: gone). */
static const struct policyd_sts_ent *
policyd_sts_cached(struct policyd_sts *sts, const char *domain)
{
	struct policyd_sts_ent *e;

	if ((e = policyd_sts_find(sts, domain)) == NULL)
		return NULL;
	if (e->e.expires <= time(NULL)) {
		struct log_kv kv;

		log_kv_init(&kv, "policy");
		log_kv_str(&kv, "domain", domain);
		log_kv_str(&kv, "src", "mta-sts");
		log_kv_str(&kv, "mode", sts_mode_name(e->e.policy.mode));
		log_kv_str(&kv, "id", e->e.id);
		log_kv_str(&kv, "result", "expired");
		if (!policyd_dns_trusted(sts->dns))
			log_kv_str(&kv, "dnssec", "untrusted-resolver");
		log_kv_emit(&kv);
		policyd_sts_unlink(sts, domain);
		policyd_sts_drop(e);
		return NULL;
	}
	return e;
}

static void
policyd_sts_use(struct policyd_sts_state *st, const struct policyd_sts_ent *e)
{
	st->have = 1;
	st->policy = e->e.policy;
	(void)strlcpy(st->id, e->e.id, sizeof(st->id));
	st->fetched = e->e.fetched;
	st->expires = e->e.expires;
}

static void
policyd_sts_finish(struct policyd_sts_run *r)
{
	struct policyd_sts_waiter *w, *next;

	LIST_REMOVE(r, entry);
	for (w = r->waiters; w != NULL; w = next) {
		next = w->next;
		w->cb(w->arg, &r->st);
		free(w);
	}
	free(r);
}

static void
policyd_sts_fail(struct policyd_sts_run *r, const char *failure,
    const char *detail)
{
	const struct policyd_sts_ent *e;

	(void)strlcpy(r->st.failure, failure, sizeof(r->st.failure));
	(void)strlcpy(r->st.detail, detail, sizeof(r->st.detail));
	/* a failed refresh keeps the cached policy (RFC 8461 §5.1) */
	if ((e = policyd_sts_cached(r->sts, r->domain)) != NULL) {
		policyd_sts_use(&r->st, e);
		(void)strlcpy(r->st.how, "cached", sizeof(r->st.how));
	}
	policyd_sts_finish(r);
}

static void
policyd_sts_fetched(void *arg, int status, const char *detail,
    const char *body, size_t len)
{
	struct policyd_sts_run *r = arg;
	struct sts_cache_entry e;
	const struct policyd_sts_ent *ent;
	char err[256];

	r->fetch = NULL;
	if (status != POLICYD_FETCH_OK) {
		policyd_sts_fail(r, status == POLICYD_FETCH_WEBPKI ?
		    "sts-webpki-invalid" : "sts-policy-fetch-error", detail);
		return;
	}
	memset(&e, 0, sizeof(e));
	if (sts_policy_parse(body, len, &e.policy, err, sizeof(err)) == -1) {
		policyd_sts_fail(r, "sts-policy-invalid", err);
		return;
	}
	(void)strlcpy(e.domain, r->domain, sizeof(e.domain));
	(void)strlcpy(e.id, r->id, sizeof(e.id));
	e.fetched = time(NULL);
	e.expires = e.fetched + e.policy.max_age;
	e.text = body;
	e.textlen = len;
	if (e.policy.max_age == 0) {
		/* no life: used now, replaces what was cached, kept not */
		if ((ent = policyd_sts_find(r->sts, r->domain)) != NULL)
			policyd_sts_drop((struct policyd_sts_ent *)ent);
		policyd_sts_unlink(r->sts, r->domain);
		r->st.have = 1;
		r->st.policy = e.policy;
		(void)strlcpy(r->st.id, e.id, sizeof(r->st.id));
		r->st.fetched = e.fetched;
		r->st.expires = e.expires;
	} else if ((ent = policyd_sts_keep(r->sts, &e)) != NULL) {
		policyd_sts_save(r->sts, &e);
		policyd_sts_use(&r->st, ent);
	}
	(void)strlcpy(r->st.how, "fetched", sizeof(r->st.how));
	r->st.changed = 1;
	policyd_sts_finish(r);
}

/* Both address lookups of mta-sts.<domain> are in: fetch. */
static void
policyd_sts_addrs_done(struct policyd_sts_run *r)
{
	struct ipc_plan_addr addrs[2 * IPC_PLAN_ADDRS_MAX];
	size_t n = 0, i;

	for (i = 0; i < r->a.naddr && r->a.r.status == PLAN_DNS_RECORDS; i++)
		addrs[n++] = r->a.addr[i];
	for (i = 0; i < r->aaaa.naddr &&
	    r->aaaa.r.status == PLAN_DNS_RECORDS; i++)
		addrs[n++] = r->aaaa.addr[i];
	if (n == 0) {
		char why[400];

		(void)snprintf(why, sizeof(why), "%.270s: no address (%s)",
		    r->host, r->a.r.status == PLAN_DNS_TEMP ? r->a.r.why :
		    r->a.r.status == PLAN_DNS_NXDOMAIN ? "NXDOMAIN" :
		    "no A or AAAA");
		policyd_sts_fail(r, "sts-policy-fetch-error", why);
		return;
	}
	if (r->sts->fetch == NULL) {
		policyd_sts_fail(r, "sts-webpki-invalid", "no trust store "
		    "(tls_ca_file) to check the policy host with");
		return;
	}
	r->fetch = policyd_fetch_get(r->sts->fetch, r->domain, addrs, n,
	    policyd_sts_fetched, r);
}

static void
policyd_sts_addr(void *arg, const uint8_t *abuf, size_t alen,
    const char *err, int aaaa)
{
	struct policyd_sts_run *r = arg;
	struct plan_addr_answer *a = aaaa ? &r->aaaa : &r->a;

	if (err != NULL) {
		memset(a, 0, sizeof(*a));
		plan_answer_fail(&a->r, err);
	} else
		(void)plan_answer_addr(abuf, alen, r->host, aaaa ?
		    DNS_WIRE_TYPE_AAAA : DNS_WIRE_TYPE_A,
		    policyd_dns_trusted(r->sts->dns), a);
	if (--r->pending == 0)
		policyd_sts_addrs_done(r);
}

static void
policyd_sts_a(void *arg, const uint8_t *abuf, size_t alen, const char *err)
{
	policyd_sts_addr(arg, abuf, alen, err, 0);
}

static void
policyd_sts_aaaa(void *arg, const uint8_t *abuf, size_t alen,
    const char *err)
{
	policyd_sts_addr(arg, abuf, alen, err, 1);
}

static void
policyd_sts_txt(void *arg, const uint8_t *abuf, size_t alen, const char *err)
{
	struct policyd_sts_run *r = arg;
	struct plan_txt_answer *t;
	const struct policyd_sts_ent *e;
	const char *txt[PLAN_TXT_MAX];
	char qname[PLAN_NAME_MAX + 16];
	int rs;
	size_t i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("policy: TXT answer");
	(void)snprintf(qname, sizeof(qname), "_mta-sts.%s", r->domain);
	if (err != NULL)
		plan_answer_fail(&t->r, err);
	else
		(void)plan_answer_txt(abuf, alen, qname,
		    policyd_dns_trusted(r->sts->dns), t);
	e = policyd_sts_cached(r->sts, r->domain);
	if (t->r.status == PLAN_DNS_TEMP) {
		/* no news: the cached policy stays (RFC 8461 §5.1) */
		(void)snprintf(r->st.detail, sizeof(r->st.detail),
		    "TXT lookup of %.80s: %.60s", qname, t->r.why);
		free(t);
		if (e != NULL) {
			policyd_sts_use(&r->st, e);
			(void)strlcpy(r->st.how, "cached",
			    sizeof(r->st.how));
		}
		policyd_sts_finish(r);
		return;
	}
	for (i = 0; i < t->n; i++)
		txt[i] = t->txt[i];
	rs = t->r.status == PLAN_DNS_RECORDS ?
	    sts_record_pick(txt, t->len, t->n, r->id) : STS_RECORD_NONE;
	/* a record we could not read might be a second STSv1 one */
	if (rs == STS_RECORD_OK && t->skipped > 0)
		rs = STS_RECORD_INVALID;
	free(t);
	r->st.record = rs;
	if (rs != STS_RECORD_OK) {
		if (rs == STS_RECORD_MULTIPLE || rs == STS_RECORD_INVALID)
			(void)snprintf(r->st.detail, sizeof(r->st.detail),
			    "%.100s: %s", qname, rs == STS_RECORD_MULTIPLE ?
			    "more than one STSv1 record: no policy" :
			    "malformed STSv1 record");
		/* an unexpired policy survives a missing record */
		if (e != NULL) {
			policyd_sts_use(&r->st, e);
			(void)strlcpy(r->st.how, "cached", sizeof(r->st.how));
		}
		policyd_sts_finish(r);
		return;
	}
	(void)strlcpy(r->st.txt_id, r->id, sizeof(r->st.txt_id));
	/*
	 * The same id: the cached policy, until half its life is gone;
	 * then fetched again before it expires (RFC 8461 §5.1: refresh
	 * proactively), the cached one kept if that fails.
	 */
	if (e != NULL && strcmp(e->e.id, r->id) == 0 &&
	    time(NULL) - e->e.fetched < (e->e.expires - e->e.fetched) / 2) {
		policyd_sts_use(&r->st, e);
		(void)strlcpy(r->st.how, "cached", sizeof(r->st.how));
		policyd_sts_finish(r);
		return;
	}
	/* new or changed id: fetch now, from our own resolver's answer */
	(void)snprintf(r->host, sizeof(r->host), "mta-sts.%s", r->domain);
	r->pending = 2;
	policyd_dns_query(r->sts->dns, r->host, DNS_WIRE_TYPE_A,
	    policyd_sts_a, r);
	policyd_dns_query(r->sts->dns, r->host, DNS_WIRE_TYPE_AAAA,
	    policyd_sts_aaaa, r);
}

void
policyd_sts_discover(struct policyd_sts *sts, const char *domain,
    policyd_sts_cb cb, void *arg)
{
	struct policyd_sts_waiter *w;
	struct policyd_sts_run *r;
	char qname[PLAN_NAME_MAX + 16];

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("policy: MTA-STS");
	w->cb = cb;
	w->arg = arg;
	LIST_FOREACH(r, &sts->runs, entry)
		if (strcmp(r->domain, domain) == 0) {
			w->next = r->waiters;
			r->waiters = w;
			return;
		}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("policy: MTA-STS");
	r->sts = sts;
	r->waiters = w;
	(void)strlcpy(r->domain, domain, sizeof(r->domain));
	LIST_INSERT_HEAD(&sts->runs, r, entry);
	if (snprintf(qname, sizeof(qname), "_mta-sts.%s", domain) >=
	    (int)sizeof(qname)) {
		policyd_sts_finish(r);
		return;
	}
	policyd_dns_query(sts->dns, qname, DNS_WIRE_TYPE_TXT,
	    policyd_sts_txt, r);
}

const struct sts_cache_entry *
policyd_sts_peek(struct policyd_sts *sts, const char *domain)
{
	const struct policyd_sts_ent *e = policyd_sts_cached(sts, domain);

	return e != NULL ? &e->e : NULL;
}
