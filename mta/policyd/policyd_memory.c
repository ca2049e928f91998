/*
 * policyd_memory.c: the downgrade memory of the policy process
 * (doc/design.md §8): per destination domain, the strongest requirement
 * a delivery to its own MX has met (DANE, MTA-STS, or TLS; smtpout tells
 * with IPC_PLAN_MET), when that was first and last. A later plan that
 * asks less is raised to it (policy/verdict.c). An entry ages out when
 * its last success is older than policy_memory_time; `sealpost policy
 * --forget DOMAIN` drops it. The whole memory is one file, "memory" in
 * the process's directory, rewritten through a temporary file and a
 * rename a second after a change (so a burst of deliveries writes once).
 * Linked by the policy binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/verdict.h"
#include "policyd.h"

#define POLICYD_MEM_BUCKETS	1024
#define POLICYD_MEM_FILE_MAX	(64 * 1024 * 1024)
#define POLICYD_MEM_MAX		100000	/* domains */
#define POLICYD_MEM_SAVE_MS	1000
#define POLICYD_MEM_RETRY_MS	10000

struct policyd_mem_ent {
	LIST_ENTRY(policyd_mem_ent) hash;
	struct policyd_memory_entry m;
};

LIST_HEAD(policyd_mem_bucket, policyd_mem_ent);

struct policyd_memory {
	struct loop			*loop;
	int				 dirfd;
	unsigned			 lifetime;	/* seconds, 0 off */
	int				 untrusted;	/* resolver off loopback */
	size_t				 n;
	struct policyd_mem_bucket	 buckets[POLICYD_MEM_BUCKETS];
	struct loop_timer		 save;
};

void
policyd_memory_said(const char *domain, const char *src, const char *level,
    const char *result, const char *mx, const char *policy, int untrusted)
{
	struct log_kv kv;

	log_kv_init(&kv, "policy");
	log_kv_str(&kv, "domain", domain);
	log_kv_str(&kv, "src", src);
	log_kv_str(&kv, "memory", level);
	log_kv_str(&kv, "result", result);
	if (mx != NULL)
		log_kv_str(&kv, "mx", mx);
	if (policy != NULL)
		log_kv_str(&kv, "policy", policy);
	if (untrusted)
		log_kv_str(&kv, "dnssec", "untrusted-resolver");
	log_kv_emit(&kv);
}

static size_t
policyd_mem_hash(const char *s)
{
	return policyd_name_hash(s) % POLICYD_MEM_BUCKETS;
}

/* The words of the file: "dane", "mta-sts", "encrypt". */
static int
policyd_mem_level(const char *w)
{
	if (strcmp(w, "dane") == 0)
		return IPC_REQ_DANE;
	if (strcmp(w, "mta-sts") == 0)
		return IPC_REQ_MTA_STS;
	if (strcmp(w, "encrypt") == 0)
		return IPC_REQ_ENCRYPT;
	return 0;
}

const char *
policyd_memory_word(int level)
{
	switch (level) {
	case IPC_REQ_DANE:
		return "dane";
	case IPC_REQ_MTA_STS:
		return "mta-sts";
	case IPC_REQ_ENCRYPT:
		return "encrypt";
	default:
		return "none";
	}
}

static struct policyd_mem_ent *
policyd_mem_find(struct policyd_memory *mem, const char *domain)
{
	struct policyd_mem_ent *e;

	LIST_FOREACH(e, &mem->buckets[policyd_mem_hash(domain)], hash)
		if (strcmp(e->m.domain, domain) == 0)
			return e;
	return NULL;
}

static void
policyd_mem_drop(struct policyd_memory *mem, struct policyd_mem_ent *e)
{
	LIST_REMOVE(e, hash);
	free(e);
	mem->n--;
}

static struct policyd_mem_ent *
policyd_mem_add(struct policyd_memory *mem, const struct policyd_memory_entry *m)
{
	struct policyd_mem_ent *e;

	if (mem->n >= POLICYD_MEM_MAX || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->m = *m;
	LIST_INSERT_HEAD(&mem->buckets[policyd_mem_hash(m->domain)], e, hash);
	mem->n++;
	return e;
}

static void
policyd_mem_write(void *arg)
{
	struct policyd_memory *mem = arg;
	struct policyd_mem_ent *e;
	FILE *f;
	size_t i;
	int fd, ok;

	if ((fd = openat(mem->dirfd, ".memory.tmp", O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		log_warn("policy: downgrade memory: .memory.tmp");
		if (fd != -1)
			close(fd);
		return;
	}
	ok = fprintf(f, "sealpost-memory 1\n") > 0;
	for (i = 0; ok && i < POLICYD_MEM_BUCKETS; i++)
		LIST_FOREACH(e, &mem->buckets[i], hash)
			if (fprintf(f, "%s %s %lld %lld\n", e->m.domain,
			    policyd_memory_word(e->m.level),
			    (long long)e->m.first, (long long)e->m.last) < 0)
				ok = 0;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	if (!ok || renameat(mem->dirfd, ".memory.tmp", mem->dirfd,
	    "memory") == -1) {
		log_warn("policy: downgrade memory: write; trying again in "
		    "%d s", POLICYD_MEM_RETRY_MS / 1000);
		(void)unlinkat(mem->dirfd, ".memory.tmp", 0);
		loop_timer_set(mem->loop, &mem->save, POLICYD_MEM_RETRY_MS,
		    policyd_mem_write, mem);
		return;
	}
	/* the rename itself made durable */
	(void)fsync(mem->dirfd);
}

static void
policyd_mem_changed(struct policyd_memory *mem)
{
	if (mem->dirfd != -1 && !loop_timer_armed(&mem->save))
		loop_timer_set(mem->loop, &mem->save, POLICYD_MEM_SAVE_MS,
		    policyd_mem_write, mem);
}

/* One line "domain level first last"; 0, or -1 when malformed. */
static int
policyd_mem_line(char *line, struct policyd_memory_entry *m)
{
	char *f[4], *p = line, *end;
	long long v[2];
	int i;

	for (i = 0; i < 4; i++) {
		while (*p == ' ')
			p++;
		f[i] = p;
		if ((p = strchr(p, ' ')) != NULL)
			*p++ = '\0';
		else if (i < 3)
			return -1;
		else
			break;
	}
	if (p != NULL && *p != '\0')
		return -1;
	memset(m, 0, sizeof(*m));
	if (strlcpy(m->domain, f[0], sizeof(m->domain)) >= sizeof(m->domain)
	    || m->domain[0] == '\0' ||
	    (m->level = policyd_mem_level(f[1])) == 0)
		return -1;
	for (i = 0; i < 2; i++) {
		errno = 0;
		v[i] = strtoll(f[2 + i], &end, 10);
		if (errno != 0 || *end != '\0' || end == f[2 + i] || v[i] < 0)
			return -1;
	}
	m->first = v[0];
	m->last = v[1];
	return 0;
}

static void
policyd_mem_load(struct policyd_memory *mem)
{
	struct policyd_memory_entry m;
	struct buf b;
	char *line, *nl;
	int fd, bad = 0, n = 0;
	time_t now = time(NULL);

	if ((fd = openat(mem->dirfd, "memory", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			log_warn("policy: downgrade memory");
		return;
	}
	buf_init(&b, POLICYD_MEM_FILE_MAX);
	if (buf_read_fd(&b, fd) == -1 || buf_append(&b, "", 1) == -1) {
		log_warn("policy: downgrade memory: read");
		buf_free(&b);
		close(fd);
		return;
	}
	close(fd);
	line = b.data;
	if ((nl = strchr(line, '\n')) == NULL ||
	    strncmp(line, "sealpost-memory 1\n", 18) != 0) {
		log_warnx("policy: downgrade memory: not a sealpost-memory 1 "
		    "file; starting empty");
		buf_free(&b);
		return;
	}
	for (line = nl + 1; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;		/* a torn last line: ignored */
		*nl = '\0';
		if (policyd_mem_line(line, &m) == -1) {
			bad++;
			continue;
		}
		if (mem->lifetime > 0 &&
		    m.last + (time_t)mem->lifetime < now)
			continue;
		if (policyd_mem_find(mem, m.domain) == NULL &&
		    policyd_mem_add(mem, &m) != NULL)
			n++;
	}
	buf_free(&b);
	if (bad > 0)
		log_warnx("policy: downgrade memory: %d malformed lines "
		    "ignored", bad);
	log_debug("policy: downgrade memory: %d domains", n);
}

struct policyd_memory *
policyd_memory_new(struct loop *loop, int dirfd, unsigned lifetime,
    int untrusted)
{
	struct policyd_memory *mem;
	size_t i;

	if ((mem = calloc(1, sizeof(*mem))) == NULL)
		fatal("policy: downgrade memory");
	mem->loop = loop;
	mem->dirfd = dirfd;
	mem->lifetime = lifetime;
	mem->untrusted = untrusted;
	for (i = 0; i < POLICYD_MEM_BUCKETS; i++)
		LIST_INIT(&mem->buckets[i]);
	if (dirfd != -1 && lifetime > 0)
		policyd_mem_load(mem);
	return mem;
}

const struct policyd_memory_entry *
policyd_memory_get(struct policyd_memory *mem, const char *domain)
{
	struct policyd_mem_ent *e;

	if (mem->lifetime == 0 || (e = policyd_mem_find(mem, domain)) == NULL)
		return NULL;
	if (e->m.last + (time_t)mem->lifetime < time(NULL)) {
		policyd_memory_said(domain, "memory",
		    policyd_memory_word(e->m.level), "aged-out", NULL, NULL,
		    mem->untrusted);
		policyd_mem_drop(mem, e);
		policyd_mem_changed(mem);
		return NULL;
	}
	return &e->m;
}

void
policyd_memory_met(struct policyd_memory *mem, const char *domain, int level)
{
	struct policyd_memory_entry m;
	struct policyd_mem_ent *e;
	time_t now = time(NULL);

	if (mem->lifetime == 0 || (level != IPC_REQ_DANE &&
	    level != IPC_REQ_MTA_STS && level != IPC_REQ_ENCRYPT))
		return;
	if ((e = policyd_mem_find(mem, domain)) == NULL) {
		memset(&m, 0, sizeof(m));
		if (strlcpy(m.domain, domain, sizeof(m.domain)) >=
		    sizeof(m.domain))
			return;
		m.level = level;
		m.first = m.last = now;
		if (policyd_mem_add(mem, &m) == NULL)
			return;
		policyd_memory_said(domain, "memory",
		    policyd_memory_word(level), "learned", NULL, NULL,
		    mem->untrusted);
	} else if (verdict_rank(level) > verdict_rank(e->m.level)) {
		policyd_memory_said(domain, "memory",
		    policyd_memory_word(level), "learned", NULL, NULL,
		    mem->untrusted);
		e->m.level = level;
		e->m.first = e->m.last = now;
	} else if (verdict_rank(level) == verdict_rank(e->m.level)) {
		/* the same proof again: the memory lives on */
		if (e->m.last / 60 == now / 60)
			return;
		e->m.last = now;
	} else
		return;
	policyd_mem_changed(mem);
}

int
policyd_memory_forget(struct policyd_memory *mem, const char *domain)
{
	struct policyd_mem_ent *e;

	if ((e = policyd_mem_find(mem, domain)) == NULL)
		return -1;
	policyd_memory_said(domain, "memory", policyd_memory_word(e->m.level),
	    "forgotten", NULL, NULL, mem->untrusted);
	policyd_mem_drop(mem, e);
	policyd_mem_changed(mem);
	return 0;
}

void
policyd_memory_flush(struct policyd_memory *mem)
{
	if (loop_timer_armed(&mem->save)) {
		loop_timer_cancel(mem->loop, &mem->save);
		policyd_mem_write(mem);
	}
}
