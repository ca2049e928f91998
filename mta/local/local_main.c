/*
 * local_main.c: main of the local process (see local.h, doc/design.md
 * §2, §12): the channel from the queue (IPC_LOCAL_CHANNEL), its jobs,
 * one after the other (each through the aliases to its targets,
 * local_job.c: one recipient at a time into Maildir, or the job's
 * mailboxes in one LMTP session, local_lmtp.c), and an out line per
 * recipient (§9; mx=local, tls=local where the message does not leave
 * the host; forwarded= when it went on through pickup). Stays root so that local_deliver.c can become each
 * recipient, and connects to the LMTP socket as root.
 * Linked by the local binary.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/ipc.h"
#include "lib/log.h"
#include "local.h"
#include "local_job.h"
#include "local_lmtp.h"
#include "smtp/envelope.h"

/* The job being received: its recipients come one frame each. */
struct local_job {
	struct ipc_out_job	 j;
	int			 fd;
	struct ipc_out_rcpt	*rcpt;
	uint32_t		 n;
};

struct local_proc {
	struct child		 c;
	struct ipc_chan		 chan;		/* to the queue */
	int			 open;
	struct local_job	*job;		/* NULL between jobs */
};

static void
local_job_free(struct local_job *lj)
{
	if (lj == NULL)
		return;
	if (lj->fd != -1)
		close(lj->fd);
	free(lj->rcpt);
	free(lj);
}

static void
local_chan_close(struct local_proc *p)
{
	if (p->open)
		ipc_chan_close(&p->chan);
	p->open = 0;
	local_job_free(p->job);
	p->job = NULL;
}

/* The out line of recipient r of job j (doc/design.md §9). */
static void
local_log_out(const struct ipc_out_job *j, const struct ipc_out_rcpt *r,
    const struct local_result *res, const struct local_lmtp_facts *f)
{
	struct log_kv kv;
	int64_t delay = (int64_t)time(NULL) - j->arrival;

	log_kv_init(&kv, "out");
	log_kv_str(&kv, "id", j->id);
	log_kv_str(&kv, "rcpt", r->addr);
	log_kv_str(&kv, "domain", j->domain);
	log_kv_str(&kv, "mx", f->mx);
	if (f->ip[0] != '\0')
		log_kv_str(&kv, "ip", f->ip);
	log_kv_str(&kv, "policy", "local");
	log_kv_str(&kv, "tls", f->tls);
	if (f->cipher[0] != '\0') {
		log_kv_str(&kv, "cipher", f->cipher);
		log_kv_str(&kv, "verify", f->verify);
	}
	log_kv_str(&kv, "result", res->outcome == IPC_OUT_SENT ? "sent" :
	    res->outcome == IPC_OUT_BOUNCED ? "bounced" : j->final ?
	    "expired" : "deferred");
	log_kv_str(&kv, "dsn", res->dsn);
	if (res->forwarded[0] != '\0')
		log_kv_str(&kv, "forwarded", res->forwarded);
	log_kv_fmt(&kv, "reply", "%d %s %s", res->code, res->dsn, res->text);
	log_kv_fmt(&kv, "delay", "%lld", (long long)(delay < 0 ? 0 : delay));
	log_kv_fmt(&kv, "attempt", "%u", j->attempt);
	log_kv_emit(&kv);
}

/*
 * The out line and the IPC_OUT_RESULT of recipient r. Returns 0, or -1
 * when the channel broke (its error callback closes it).
 */
static int
local_answer(struct local_proc *p, const struct ipc_out_job *j,
    const struct ipc_out_rcpt *r, const struct local_result *res,
    const struct local_lmtp_facts *f)
{
	struct ipc_out_result out;

	local_log_out(j, r, res, f);
	memset(&out, 0, sizeof(out));
	out.job = j->job;
	out.index = r->index;
	out.outcome = res->outcome;
	out.code = res->code;
	(void)strlcpy(out.dsn, res->dsn, sizeof(out.dsn));
	(void)strlcpy(out.mx, f->mx, sizeof(out.mx));
	(void)strlcpy(out.text, res->text, sizeof(out.text));
	(void)strlcpy(out.ip, f->ip, sizeof(out.ip));
	(void)strlcpy(out.policy, "local", sizeof(out.policy));
	(void)strlcpy(out.tls, f->tls, sizeof(out.tls));
	(void)strlcpy(out.cipher, f->cipher, sizeof(out.cipher));
	(void)strlcpy(out.verify, f->verify, sizeof(out.verify));
	return ipc_send(&p->chan, IPC_OUT_RESULT, &out, sizeof(out), -1);
}

/*
 * Every recipient of the job is here: deliver (through the aliases,
 * local_job.c), answer each, end it.
 */
static void
local_job_run(struct local_proc *p)
{
	struct local_job *lj = p->job;
	struct local_lmtp_facts f;
	struct ipc_out_done done;
	struct local_result *all;
	uint32_t i, n = lj->n;

	if ((all = calloc(n, sizeof(*all))) == NULL)
		fatal("%s: job", p->c.title);
	if (p->c.conf.local_transport == CONF_LOCAL_NONE) {
		/* a job sent before a reload turned delivery off */
		memset(&f, 0, sizeof(f));
		(void)strlcpy(f.mx, "local", sizeof(f.mx));
		(void)strlcpy(f.tls, "local", sizeof(f.tls));
		(void)strlcpy(f.verify, "local", sizeof(f.verify));
		for (i = 0; i < n; i++) {
			all[i].outcome = IPC_OUT_DEFERRED;
			all[i].code = 451;
			(void)strlcpy(all[i].dsn, "4.3.0", sizeof(all[i].dsn));
			(void)strlcpy(all[i].text, "local delivery is off "
			    "(local_transport = none)", sizeof(all[i].text));
		}
	} else
		local_job_deliver(&p->c.conf, &lj->j, lj->fd, lj->rcpt, n,
		    all, &f);
	for (i = 0; i < n && p->open; i++)
		if (local_answer(p, &lj->j, &lj->rcpt[i], &all[i], &f) == -1)
			break;
	free(all);
	if (i < n)
		return;	/* the error callback closed it: lj is gone */
	memset(&done, 0, sizeof(done));
	done.job = lj->j.job;
	(void)ipc_send(&p->chan, IPC_OUT_DONE, &done, sizeof(done), -1);
	local_job_free(lj);
	p->job = NULL;
}

/* A frame of the queue that is not what the protocol allows: fatal,
 * as for smtpout (doc/design.md §3); the master starts us again. */
static void __attribute__((__noreturn__))
local_bad(struct local_proc *p, const char *why)
{
	fatalx("%s: malformed job from the queue: %s", p->c.title, why);
}

static void
local_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct local_proc *p = arg;
	struct local_job *lj = p->job;
	struct ipc_out_rcpt r;

	(void)ch;
	if (msg->type == IPC_OUT_JOB) {
		if (lj != NULL || msg->fd == -1 ||
		    msg->len != sizeof(lj->j))
			local_bad(p, "a job without its content, or inside "
			    "another");
		if ((lj = calloc(1, sizeof(*lj))) == NULL)
			fatal("%s: job", p->c.title);
		memcpy(&lj->j, msg->data, sizeof(lj->j));
		lj->fd = msg->fd;
		if (lj->j.nrcpt == 0 || lj->j.nrcpt > ENVELOPE_RCPT_MAX ||
		    memchr(lj->j.id, '\0', sizeof(lj->j.id)) == NULL ||
		    memchr(lj->j.from, '\0', sizeof(lj->j.from)) == NULL ||
		    memchr(lj->j.domain, '\0', sizeof(lj->j.domain)) == NULL)
			local_bad(p, "a job that does not check");
		if ((lj->rcpt = calloc(lj->j.nrcpt, sizeof(*lj->rcpt))) ==
		    NULL)
			fatal("%s: job", p->c.title);
		p->job = lj;
		return;
	}
	if (msg->type != IPC_OUT_RCPT || lj == NULL || msg->fd != -1 ||
	    msg->len != sizeof(r))
		local_bad(p, "a recipient out of place");
	memcpy(&r, msg->data, sizeof(r));
	if (r.job != lj->j.job || memchr(r.addr, '\0', sizeof(r.addr)) ==
	    NULL)
		local_bad(p, "a recipient of another job");
	lj->rcpt[lj->n++] = r;
	if (lj->n == lj->j.nrcpt)
		local_job_run(p);
}

static void
local_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct local_proc *p = arg;

	(void)ch;
	/* the queue went away: a new one links us again */
	log_warnx("%s: channel to the queue: %s", p->c.title,
	    ipc_strerror(e));
	local_chan_close(p);
}

static void
local_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct local_proc *p = (struct local_proc *)c;

	if (msg->type != IPC_LOCAL_CHANNEL || msg->fd == -1 ||
	    msg->len != sizeof(struct ipc_link))
		fatalx("%s: malformed message %u from master", c->title,
		    msg->type);
	local_chan_close(p);
	if (ipc_chan_init(&p->chan, c->loop, msg->fd, "queue",
	    IPC_ALLOW(IPC_OUT_JOB) | IPC_ALLOW(IPC_OUT_RCPT), local_msg,
	    local_err, p) == -1) {
		log_warn("%s: channel to the queue", c->title);
		close(msg->fd);
		return;
	}
	p->open = 1;
	log_debug("%s: linked to the queue", c->title);
}

/* Becomes user (its group alone), for good; fatal when it cannot. */
static void
local_drop(const char *user)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("local: user %s does not exist", user);
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		fatal("local: cannot become %s", user);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    (pw->pw_uid != 0 && setuid(0) != -1))
		fatalx("local: still privileged after becoming %s", user);
}

int
main(int argc, char **argv)
{
	static struct local_proc p;
	char err[512];

	child_init(&p.c, PROC_LOCAL, argc, argv);
	if (local_lmtp_setup(&p.c.conf, err, sizeof(err)) == -1)
		fatalx("%s: %s", p.c.title, err);
	child_drop(&p.c);
	/*
	 * Over LMTP the store delivers as the user: root is needed for
	 * nothing, and the session parses a peer's replies (TLS over TCP),
	 * so the process becomes the unprivileged user first
	 * (doc/design.md §1, §2).
	 */
	if (p.c.conf.local_transport == CONF_LOCAL_LMTP && !p.c.conf.devmode)
		local_drop(p.c.conf.user);
	child_master_allow(&p.c, IPC_ALLOW(IPC_LOCAL_CHANNEL),
	    local_master_msg);
	child_run(&p.c);
}
