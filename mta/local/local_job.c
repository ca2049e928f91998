/*
 * local_job.c: a job's recipients through the aliases to their targets
 * (see local_job.h, doc/design.md §12). Each distinct target of the job
 * (a mailbox, a command, a file, a remote address) is delivered once,
 * whichever recipients lead to it; mailboxes first, commands and files
 * next, forwards last, so that what fails most often (the pickup hop,
 * the remote refusal) comes after what is hard to take back.
 *
 * A recipient that ends deferred is delivered again at the next attempt;
 * its targets that were done already must not be. The process
 * remembers them (local_memory.c: queue id and target, refreshed at
 * every attempt that still needs them, forgotten when no recipient of
 * the job needs them any more, the least recently used dropped past
 * LOCAL_MEMORY_CAP octets) and treats them as done when the message
 * comes back. What is lost: that memory, when the local process
 * restarts (a crash, a reload) between the attempts; then those targets
 * get the message twice (doc/design.md §1.7: at least once).
 *
 * The Delivered-To loop check reads message octets: with maildir the
 * process is root, so the header is read and parsed in a child that
 * becomes the unprivileged `user` first and answers which recipients
 * it names (local_job_loops).
 * Linked by the local binary.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"
#include "local_alias.h"
#include "local_command.h"
#include "local_forward.h"
#include "local_header.h"
#include "local_job.h"
#include "local_memory.h"
#include "lib/proc.h"
#include "smtp/aliases.h"

/* How long the loop check's child may read the header. */
#define LOCAL_JOB_LOOP_TIMEOUT_MS	(60 * 1000)

/* One distinct target of the job. */
struct local_job_tgt {
	enum aliases_rtype	 type;
	char			*text;
	char			*file;	/* command, file: the file that
					   names it (runs as its owner) */
	char			*via;	/* mailbox: an alias that led to it,
					   else NULL */
	int			 needed;	/* by a deferred recipient */
	int			 done;		/* res is its result */
	int			 recalled;	/* done at an earlier attempt */
	struct local_result	 res;
};

/* One recipient of the job: its own failure, or its targets. */
struct local_job_rx {
	int		 failed;		/* res is its result */
	struct local_result res;
	size_t		*tgt;			/* indexes into the job's */
	size_t		 ntgt;
};

struct local_job_state {
	const struct conf	*c;
	const struct ipc_out_job *j;
	struct local_job_tgt	*t;
	size_t			 nt, capt;
};

/* Targets done for recipients that were deferred (see the top). */
static struct local_memory *local_job_memory;


/* "type:text" (and " file" for commands and files), the memory's key;
 * NULL when memory is short. */
static char *
local_job_key(const struct local_job_tgt *t)
{
	char *k;

	if (asprintf(&k, "%s:%s%s%s", aliases_rtype_name(t->type), t->text,
	    t->file != NULL ? " " : "", t->file != NULL ? t->file : "") == -1)
		return NULL;
	return k;
}

/* Marks t done when the memory has it for message id. */
static void
local_job_recall(const char *id, struct local_job_tgt *t)
{
	char *k;

	if (local_job_memory == NULL || (k = local_job_key(t)) == NULL)
		return;
	if (local_memory_recall(local_job_memory, id, k, &t->res))
		t->done = t->recalled = 1;
	free(k);
}

/* Remembers t done for message id (again: refreshed), or forgets it. */
static void
local_job_remember(const char *id, const struct local_job_tgt *t, int keep)
{
	char *k;

	if (local_job_memory == NULL && keep &&
	    (local_job_memory = local_memory_new(LOCAL_MEMORY_CAP)) == NULL) {
		log_warnx("local: out of memory for the memory of done "
		    "targets");
		return;
	}
	if (local_job_memory == NULL || (k = local_job_key(t)) == NULL)
		return;
	if (!keep)
		local_memory_forget(local_job_memory, id, k);
	else if (local_memory_remember(local_job_memory, id, k, &t->res) ==
	    -1)
		log_warnx("local: %s: cannot remember %s as done", id, k);
	free(k);
}

/* The file part of where ("file:line"), malloc'd; NULL for none. */
static char *
local_job_where_file(const char *where)
{
	const char *colon;

	if (where == NULL || where[0] != '/' ||
	    (colon = strrchr(where, ':')) == NULL)
		return NULL;
	return strndup(where, (size_t)(colon - where));
}

/* The index of the target (type, text), added when new; -1: no memory. */
static long
local_job_target(struct local_job_state *s, enum aliases_rtype type,
    const char *text, const char *where)
{
	struct local_job_tgt *nt;
	char user[ALIASES_TARGET_MAX + 1], *d, *file = NULL;
	size_t i;
	int ci = type == ALIASES_MAILBOX || type == ALIASES_ADDRESS;

	/*
	 * One Maildir per user: user+a and user+b are the same mailbox and
	 * get one copy (as Postfix's local(8)). Over LMTP the store sees the
	 * extension (a folder, a sieve rule): each address is its own.
	 */
	if (type == ALIASES_MAILBOX && s->c->recipient_delimiter[0] != '\0' &&
	    s->c->local_transport != CONF_LOCAL_LMTP &&
	    strlcpy(user, text, sizeof(user)) < sizeof(user) &&
	    (d = strchr(user + 1, s->c->recipient_delimiter[0])) != NULL) {
		*d = '\0';
		text = user;
	}
	/* a command or file runs as the owner of the file naming it: the
	   same command in two files is two targets */
	if ((type == ALIASES_COMMAND || type == ALIASES_FILE) &&
	    (file = local_job_where_file(where)) == NULL && where != NULL &&
	    where[0] == '/')
		return -1;
	for (i = 0; i < s->nt; i++)
		if (s->t[i].type == type && (ci ? strcasecmp(s->t[i].text,
		    text) == 0 : strcmp(s->t[i].text, text) == 0) &&
		    (file == NULL ? s->t[i].file == NULL :
		    s->t[i].file != NULL && strcmp(s->t[i].file, file) == 0)) {
			free(file);
			return (long)i;
		}
	if (s->nt == s->capt) {
		if ((nt = reallocarray(s->t, s->capt + 16, sizeof(*nt))) ==
		    NULL) {
			free(file);
			return -1;
		}
		s->t = nt;
		s->capt += 16;
	}
	memset(&s->t[s->nt], 0, sizeof(s->t[s->nt]));
	s->t[s->nt].type = type;
	s->t[s->nt].file = file;
	if ((s->t[s->nt].text = strdup(text)) == NULL) {
		free(file);
		return -1;
	}
	local_job_recall(s->j->id, &s->t[s->nt]);
	return (long)s->nt++;
}

/* The address of mailbox local part lp: in the job's domain when it is
 * a local one, else in the first local domain. */
static void
local_job_mailbox_addr(const struct local_job_state *s, const char *lp,
    char *out, size_t size)
{
	const char *dom = s->j->domain;
	size_t i;
	int local = 0;

	for (i = 0; i < s->c->nlocal_domains; i++)
		if (strcasecmp(s->c->local_domains[i], dom) == 0)
			local = 1;
	if (!local && s->c->nlocal_domains > 0)
		dom = s->c->local_domains[0];
	if (snprintf(out, size, "%s@%s", lp, dom) >= (int)size)
		out[0] = '\0';
}

/* Reads the start of the content, for the loop check. */
static char *
local_job_header(int fd, size_t *len)
{
	char *h;
	ssize_t r;

	*len = 0;
	if ((h = malloc(LOCAL_HEADER_MAX)) == NULL)
		return NULL;
	while ((r = pread(fd, h + *len, LOCAL_HEADER_MAX - *len,
	    (off_t)*len)) > 0) {
		*len += (size_t)r;
		if (*len == LOCAL_HEADER_MAX || memmem(h, *len, "\n\r\n", 3) ||
		    memmem(h, *len, "\n\n", 2))
			break;
	}
	return h;
}

/* Sets bit i of hit[] for each recipient r[i] that a Delivered-To field
 * of the header names. Returns 0, or -1 when memory runs out. */
static int
local_job_scan(int fd, const struct ipc_out_rcpt *r, size_t n,
    unsigned char *hit)
{
	char *hdr;
	size_t i, hlen;

	if ((hdr = local_job_header(fd, &hlen)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (local_header_delivered_to(hdr, hlen, r[i].addr,
		    strlen(r[i].addr)))
			hit[i / 8] |= (unsigned char)(1u << (i % 8));
	free(hdr);
	return 0;
}

/*
 * The loop check (doc/design.md §1.4, §12): which recipients r[0..n)
 * the header's Delivered-To fields name, into hit[(n + 7) / 8] (zeroed
 * first). As root (maildir) the header is parsed in a child that
 * becomes c's unprivileged user (groups, gid, uid, checked) and writes
 * the bits back on a pipe; the parent reads only those. Not root (LMTP)
 * or in development mode (no user switch at all): here. Returns 0, or
 * -1 when the check could not be made.
 */
static int
local_job_loops(const struct conf *c, const char *id, int fd,
    const struct ipc_out_rcpt *r, size_t n, unsigned char *hit)
{
	struct pollfd pfd;
	struct passwd *pw;
	const char *user;
	size_t nb = (n + 7) / 8, got = 0;
	ssize_t k;
	int p[2], status, rv, lo, hi;
	pid_t pid;

	memset(hit, 0, nb);
	if (geteuid() != 0 || c->devmode)	/* nothing to drop */
		return local_job_scan(fd, r, n, hit);
	if ((user = proc_role_user(c, PROC_SMTPIN)) == NULL)
		user = c->user;
	if ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0) {
		log_warnx("local: %s: no unprivileged user %s for the loop "
		    "check", id, user);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("local: %s: loop check: pipe", id);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("local: %s: loop check: fork", id);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		lo = fd < p[1] ? fd : p[1];
		hi = fd < p[1] ? p[1] : fd;
		if (lo > 3)
			(void)close_range(3, (unsigned)lo - 1, 0);
		if (hi > lo + 1)
			(void)close_range((unsigned)lo + 1,
			    (unsigned)hi - 1, 0);
		(void)close_range((unsigned)hi + 1, ~0U, 0);
		if (setgroups(1, &pw->pw_gid) == -1 ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1 ||
		    getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
		    getgid() != pw->pw_gid || setuid(0) != -1)
			_exit(1);
		if (local_job_scan(fd, r, n, hit) == -1 ||
		    write(p[1], hit, nb) != (ssize_t)nb)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < nb) {
		do
			rv = poll(&pfd, 1, LOCAL_JOB_LOOP_TIMEOUT_MS);
		while (rv == -1 && errno == EINTR);
		if (rv <= 0) {
			(void)kill(pid, SIGKILL);
			break;
		}
		do
			k = read(p[0], hit + got, nb - got);
		while (k == -1 && errno == EINTR);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (got != nb || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("local: %s: the loop check (as %s) gave no answer",
		    id, user);
		return -1;
	}
	return 0;
}

/* Phase 1: the recipient's targets, or its failure. */
static void
local_job_expand(struct local_job_state *s, const struct ipc_out_rcpt *r,
    int loop, struct local_job_rx *x)
{
	struct aliases_result ar;
	struct reason why;
	const char *at;
	size_t i;
	long k;

	memset(&why, 0, sizeof(why));
	if (loop == -1) {
		x->failed = 1;
		local_result_set(&x->res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot check the header for a forwarding loop");
		return;
	}
	if (loop) {
		log_info("local: %s: %s: Delivered-To already names it: "
		    "mail forwarding loop", s->j->id, r->addr);
		x->failed = 1;
		local_result_set(&x->res, IPC_OUT_BOUNCED, 550, "5.4.6",
		    "mail forwarding loop (Delivered-To)");
		return;
	}
	if (local_alias_expand(s->c, s->j->id, r->addr, &ar, &why) == -1) {
		x->failed = 1;
		local_result_set(&x->res, why.code >= 500 ? IPC_OUT_BOUNCED :
		    IPC_OUT_DEFERRED, why.code, why.dsn, why.text);
		aliases_result_free(&ar);
		return;
	}
	if (ar.n == 0) {
		x->failed = 1;
		local_result_set(&x->res, IPC_OUT_BOUNCED, 550, "5.1.1",
		    "the alias has no recipients");
		aliases_result_free(&ar);
		return;
	}
	if ((x->tgt = calloc(ar.n, sizeof(*x->tgt))) == NULL)
		goto nomem;
	for (i = 0; i < ar.n; i++) {
		if ((k = local_job_target(s, ar.rcpt[i].type,
		    ar.rcpt[i].text, ar.rcpt[i].where)) == -1)
			goto nomem;
		x->tgt[x->ntgt++] = (size_t)k;
		if (ar.rcpt[i].type == ALIASES_MAILBOX && s->t[k].via == NULL &&
		    ar.rcpt[i].via != NULL && ar.rcpt[i].via[0] != '\0' &&
		    (s->t[k].via = strdup(ar.rcpt[i].via)) == NULL)
			goto nomem;
		at = strrchr(ar.rcpt[i].text, '@');
		if (!s->t[k].done && ar.rcpt[i].type == ALIASES_ADDRESS &&
		    at != NULL && local_alias_virtual_domain(s->c, at + 1)) {
			/* the virtual table did not know it: no one has it */
			s->t[k].done = 1;
			local_result_set(&s->t[k].res, IPC_OUT_BOUNCED, 550,
			    "5.1.1", "no such virtual alias here");
		}
	}
	aliases_result_free(&ar);
	return;
nomem:
	aliases_result_free(&ar);
	x->failed = 1;
	local_result_set(&x->res, IPC_OUT_DEFERRED, 451, "4.3.0",
	    "out of memory expanding aliases");
}

/*
 * A mailbox that local delivery refuses (no such user, root, a system
 * account; 550 5.1.1) but that an alias leads to is the admin's error
 * (`postmaster: root` with no alias for root): it waits, 451 4.3.0,
 * instead of bouncing postmaster's mail to a sender that may be forged
 * (doc/design.md §12). A recipient that is itself no user still
 * bounces.
 */
static void
local_job_refused(struct local_job_state *s, struct local_job_tgt *t)
{
	char text[sizeof(t->res.text)];

	(void)s;
	if (t->via == NULL || t->res.outcome != IPC_OUT_BOUNCED ||
	    t->res.code != 550 || strcmp(t->res.dsn, "5.1.1") != 0)
		return;
	log_warnx("local: %s: alias %s points to mailbox %s, which cannot "
	    "receive mail", s->j->id, t->via, t->text);
	(void)snprintf(text, sizeof(text), "alias %.100s points to mailbox "
	    "%.100s, which cannot receive mail (root and system accounts: "
	    "alias them to a person)", t->via, t->text);
	local_result_set(&t->res, IPC_OUT_DEFERRED, 451, "4.3.0", text);
}

/* Phase 2: the mailboxes, one by one into Maildir or in one LMTP
 * session. */
static void
local_job_mailboxes(struct local_job_state *s, int fd,
    const struct ipc_out_rcpt *first, struct local_lmtp_facts *f)
{
	struct ipc_out_rcpt *rr;
	struct local_result *lr;
	size_t i, n = 0, *map;

	if ((rr = calloc(s->nt + 1, sizeof(*rr))) == NULL ||
	    (lr = calloc(s->nt + 1, sizeof(*lr))) == NULL ||
	    (map = calloc(s->nt + 1, sizeof(*map))) == NULL)
		fatal("local: job");
	for (i = 0; i < s->nt; i++) {
		if (s->t[i].type != ALIASES_MAILBOX || s->t[i].done)
			continue;
		rr[n] = *first;
		rr[n].index = (uint32_t)n;
		local_job_mailbox_addr(s, s->t[i].text, rr[n].addr,
		    sizeof(rr[n].addr));
		rr[n].orcpt[0] = '\0';
		map[n++] = i;
	}
	if (n > 0 && s->c->local_transport == CONF_LOCAL_LMTP)
		local_lmtp_deliver(s->c, s->j, fd, rr, n, lr, f);
	else
		for (i = 0; i < n; i++)
			local_deliver(s->c, s->j, fd, &rr[i], &lr[i]);
	for (i = 0; i < n; i++) {
		s->t[map[i]].res = lr[i];
		s->t[map[i]].done = 1;
		local_job_refused(s, &s->t[map[i]]);
	}
	free(rr);
	free(lr);
	free(map);
}

/*
 * Who runs a command or file target: the owner of the file that names
 * it (the alias file or an :include: file; stat(2) now), default_privs
 * when root owns it (Postfix's rule, doc/design.md §12); whoever we are
 * in development mode. NULL (with *res deferred) when there is none.
 */
static struct passwd *
local_job_runas(const struct conf *c, const struct local_job_tgt *t,
    struct local_result *res)
{
	struct passwd *pw;
	struct stat st;
	const char *file = t->file != NULL ? t->file : c->alias_file;

	if (geteuid() != 0)
		pw = getpwuid(geteuid());
	else if (stat(file, &st) == -1) {
		log_warn("local: %s names a command or file; stat", file);
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "cannot tell who owns the file that names the command "
		    "or file");
		return NULL;
	} else if (st.st_uid != 0)
		pw = getpwuid(st.st_uid);
	else
		pw = getpwnam(c->default_privs);
	if (pw == NULL || (geteuid() == 0 && pw->pw_uid == 0)) {
		log_warnx("local: no user to run alias commands and files of "
		    "%s as (default_privs = %s)", file, c->default_privs);
		local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
		    "no user to run the alias's command or file as");
		return NULL;
	}
	return pw;
}

/* Phase 3: commands and files, for the first recipient that names each. */
static void
local_job_commands(struct local_job_state *s, int fd,
    const struct ipc_out_rcpt *r, const struct local_job_rx *x, size_t nr)
{
	struct local_job_tgt *t;
	struct passwd *pw;
	size_t i, k;

	for (i = 0; i < nr; i++)
		for (k = 0; k < x[i].ntgt; k++) {
			t = &s->t[x[i].tgt[k]];
			if (t->done || (t->type != ALIASES_COMMAND &&
			    t->type != ALIASES_FILE))
				continue;
			t->done = 1;
			if (s->c->local_transport == CONF_LOCAL_LMTP) {
				local_result_set(&t->res, IPC_OUT_DEFERRED, 451,
				    "4.3.0", "alias commands and files need "
				    "local_transport = maildir");
				continue;
			}
			if ((pw = local_job_runas(s->c, t, &t->res)) == NULL)
				continue;
			local_command_run(s->c, s->j, fd, r[i].addr,
			    t->type == ALIASES_FILE, t->text, pw, &t->res);
		}
}

/* Phase 4: per recipient, its remote targets in one submission. */
static void
local_job_forwards(struct local_job_state *s, int fd,
    const struct ipc_out_rcpt *r, const struct local_job_rx *x, size_t nr)
{
	const char **to;
	struct local_result *fr;
	size_t i, k, n, *map;

	for (i = 0; i < nr; i++) {
		if (x[i].failed || x[i].ntgt == 0)
			continue;
		if ((to = calloc(x[i].ntgt, sizeof(*to))) == NULL ||
		    (fr = calloc(x[i].ntgt, sizeof(*fr))) == NULL ||
		    (map = calloc(x[i].ntgt, sizeof(*map))) == NULL)
			fatal("local: job");
		for (k = n = 0; k < x[i].ntgt; k++) {
			if (s->t[x[i].tgt[k]].done ||
			    s->t[x[i].tgt[k]].type != ALIASES_ADDRESS)
				continue;
			map[n] = x[i].tgt[k];
			to[n++] = s->t[x[i].tgt[k]].text;
		}
		if (n > 0)
			local_forward(s->c, s->j, fd, r[i].addr, to, n, fr);
		for (k = 0; k < n; k++) {
			s->t[map[k]].res = fr[k];
			s->t[map[k]].done = 1;
		}
		free(to);
		free(fr);
		free(map);
	}
}

/* Phase 5: the recipient's one result from its targets'. */
static void
local_job_combine(struct local_job_state *s, const struct local_job_rx *x,
    struct local_result *res)
{
	const struct local_result *first_def = NULL, *first_bad = NULL, *tr;
	const struct local_job_tgt *bad = NULL;
	size_t k, sent = 0;
	char fw[sizeof(res->forwarded)] = "";

	if (x->failed) {
		*res = x->res;
		return;
	}
	for (k = 0; k < x->ntgt; k++) {
		tr = &s->t[x->tgt[k]].res;
		if (!s->t[x->tgt[k]].done || tr->outcome == IPC_OUT_DEFERRED) {
			if (first_def == NULL)
				first_def = tr;
		} else if (tr->outcome == IPC_OUT_BOUNCED) {
			if (first_bad == NULL) {
				first_bad = tr;
				bad = &s->t[x->tgt[k]];
			}
		} else {
			sent++;
			if (fw[0] == '\0' && tr->forwarded[0] != '\0')
				(void)strlcpy(fw, tr->forwarded, sizeof(fw));
		}
	}
	if (first_def != NULL) {
		if (first_def->outcome == 0)
			local_result_set(res, IPC_OUT_DEFERRED, 451, "4.3.0",
			    "not delivered");
		else
			*res = *first_def;
	} else if (first_bad != NULL) {
		*res = *first_bad;
		if (x->ntgt > 1)
			(void)snprintf(res->text, sizeof(res->text),
			    "%s %.100s: %.200s (delivered to %zu of %zu)",
			    aliases_rtype_name(bad->type), bad->text,
			    first_bad->text, sent, x->ntgt);
	} else if (x->ntgt == 1)
		*res = s->t[x->tgt[0]].res;
	else {
		local_result_set(res, IPC_OUT_SENT, 250, "2.0.0", "");
		(void)snprintf(res->text, sizeof(res->text), "delivered to "
		    "%zu alias recipients", x->ntgt);
		(void)strlcpy(res->forwarded, fw, sizeof(res->forwarded));
	}
}

void
local_job_deliver(const struct conf *c, const struct ipc_out_job *j,
    int fd, const struct ipc_out_rcpt *r, size_t n,
    struct local_result *res, struct local_lmtp_facts *f)
{
	struct local_job_state s;
	struct local_job_rx *x;
	unsigned char *hit;
	size_t i, k;
	int loops;

	memset(f, 0, sizeof(*f));
	(void)strlcpy(f->mx, "local", sizeof(f->mx));
	(void)strlcpy(f->tls, "local", sizeof(f->tls));
	(void)strlcpy(f->verify, "local", sizeof(f->verify));
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.j = j;
	if ((x = calloc(n, sizeof(*x))) == NULL ||
	    (hit = calloc((n + 7) / 8 + 1, 1)) == NULL)
		fatal("local: job");
	local_alias_refresh(c);
	loops = local_job_loops(c, j->id, fd, r, n, hit);
	for (i = 0; i < n; i++)
		local_job_expand(&s, &r[i], loops == -1 ? -1 :
		    (hit[i / 8] >> (i % 8)) & 1, &x[i]);
	free(hit);
	local_job_mailboxes(&s, fd, &r[0], f);
	local_job_commands(&s, fd, r, x, n);
	local_job_forwards(&s, fd, r, x, n);
	for (i = 0; i < n; i++) {
		local_job_combine(&s, &x[i], &res[i]);
		if (res[i].outcome == IPC_OUT_DEFERRED)
			for (k = 0; k < x[i].ntgt; k++)
				s.t[x[i].tgt[k]].needed = 1;
	}
	/*
	 * What a deferred recipient still needs is remembered (again: a
	 * recalled target is refreshed, so it stays as long as it is
	 * needed); what none needs any more is forgotten.
	 */
	for (i = 0; i < s.nt; i++) {
		if (s.t[i].needed && s.t[i].done &&
		    s.t[i].res.outcome == IPC_OUT_SENT)
			local_job_remember(j->id, &s.t[i], 1);
		else if (!s.t[i].needed && s.t[i].recalled)
			local_job_remember(j->id, &s.t[i], 0);
	}
	for (i = 0; i < n; i++)
		free(x[i].tgt);
	for (i = 0; i < s.nt; i++) {
		free(s.t[i].text);
		free(s.t[i].file);
		free(s.t[i].via);
	}
	free(s.t);
	free(x);
}
