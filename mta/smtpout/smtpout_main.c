/*
 * smtpout_main.c: main of the smtpout process, the SMTP client
 * (doc/design.md §2), the top of its two layers (smtpout.h). It reads
 * smtpout_auth_file and the trust anchors while still root, takes the
 * channels to the queue and to the policy process from the master
 * (IPC_OUT_CHANNEL, IPC_PLAN_CHANNEL, doc/design.md §3), turns each job
 * of the queue into a plan request (or takes the plan from its cache,
 * smtpout_plan.c), and reports exactly one
 * IPC_OUT_RESULT per recipient, then IPC_OUT_DONE, with one `out` line
 * per recipient (doc/design.md §9), with the facts of the attempt for the
 * message's history. sealpost requeue's IPC_OUT_FORGET drops the plans
 * of a domain and is passed on to the policy process (IPC_PLAN_FORGET).
 * Anything malformed from the queue or the policy process is fatal
 * (doc/design.md §1.7).
 * Linked by the smtpout binary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "smtp/envelope.h"
#include "smtpout.h"

static struct smtpout	smtpout;

/* Is the array field a NUL-terminated string? */
#define SMTPOUT_STR_OK(f)	(memchr((f), '\0', sizeof(f)) != NULL)

/* ---- smtpout_auth_file ---- */

#define SMTPOUT_AUTH_FILE_MAX	(1024 * 1024)

/*
 * Reads smtpout_auth_file (as root, before the drop): refuses to start
 * when the file is open to group or others, or has a bad line.
 */
static void
smtpout_auth_load(struct smtpout *so)
{
	const char *path = so->conf->smtpout_auth_file, *why = NULL;
	struct smtpout_proto_cred cred, *n;
	struct stat st;
	struct buf data;
	char *p, *e, *nl;
	int fd, line = 0, rc;

	if (path[0] == '\0')
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		fatal("smtpout_auth_file %s", path);
	if (fstat(fd, &st) == -1)
		fatal("smtpout_auth_file %s", path);
	if (!S_ISREG(st.st_mode))
		fatalx("smtpout_auth_file %s: not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fatalx("smtpout_auth_file %s: readable by group or others "
		    "(mode %03o); it holds passwords: chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	if (st.st_size > SMTPOUT_AUTH_FILE_MAX)
		fatalx("smtpout_auth_file %s: larger than %d octets", path,
		    SMTPOUT_AUTH_FILE_MAX);
	buf_init(&data, SMTPOUT_AUTH_FILE_MAX);
	if (buf_read_fd(&data, fd) == -1)
		fatal("smtpout_auth_file %s", path);
	close(fd);
	p = e = data.data;
	if (data.len > 0)
		e += data.len;
	for (; p < e; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		rc = smtpout_proto_cred_parse(p, (size_t)(nl - p), &cred, &why);
		if (rc == -1)
			fatalx("%s:%d: smtpout_auth_file: %s; the form is "
			    "host[:port] username password", path, line, why);
		if (rc == 0)
			continue;
		n = reallocarray(so->creds, so->ncreds + 1, sizeof(*n));
		if (n == NULL)
			fatal("smtpout_auth_file");
		so->creds = n;
		so->creds[so->ncreds++] = cred;
	}
	explicit_bzero(&cred, sizeof(cred));
	buf_free(&data);	/* wipes the passwords */
	log_debug("%s: %zu credentials from %s", so->child.title, so->ncreds,
	    path);
}

/* ---- results and the out line ---- */

static void
smtpout_log_out(struct smtpout_job *job, const struct smtpout_rcpt *rc,
    const char *ip, const char *policy, const char *policy_src,
    const struct smtpout_tlslog *tl)
{
	static const struct smtpout_tlslog none = { "none", "", "none", "",
	    "", "" };
	const struct ipc_out_result *res = &rc->res;
	const char *result;
	struct log_kv kv;
	int64_t delay;

	if (tl == NULL)
		tl = &none;
	switch (res->outcome) {
	case IPC_OUT_SENT:
		result = "sent";
		break;
	case IPC_OUT_BOUNCED:
		result = "bounced";
		break;
	default:
		result = job->j.final ? "expired" : "deferred";
		break;
	}
	delay = (int64_t)time(NULL) - job->j.arrival;
	if (delay < 0)
		delay = 0;
	log_kv_init(&kv, "out");
	log_kv_str(&kv, "id", job->j.id);
	log_kv_str(&kv, "rcpt", rc->r.addr);
	log_kv_str(&kv, "domain", job->j.domain);
	log_kv_str(&kv, "mx", res->mx);
	log_kv_str(&kv, "ip", ip);
	log_kv_str(&kv, "policy", policy);
	log_kv_str(&kv, "policy_src", policy_src);
	log_kv_str(&kv, "tls", tl->tls);
	if (strcmp(tl->tls, "none") != 0)
		log_kv_str(&kv, "cipher", tl->cipher);
	log_kv_str(&kv, "verify", tl->verify);
	if (tl->cert[0] != '\0')
		log_kv_str(&kv, "cert_sha256", tl->cert);
	log_kv_str(&kv, "result", result);
	log_kv_str(&kv, "dsn", res->dsn);
	/* MTA-STS testing: a failed check is reported, not enforced */
	log_kv_str(&kv, "failure", res->outcome == IPC_OUT_SENT &&
	    tl->fail[0] != '\0' ? tl->fail : res->failure);
	/* audit-only: what would have deferred it (doc/design.md §8) */
	if (tl->would_defer[0] != '\0')
		log_kv_str(&kv, "would_defer", tl->would_defer);
	log_kv_fmt(&kv, "reply", "%d %s %s", res->code, res->dsn, res->text);
	log_kv_fmt(&kv, "delay", "%lld", (long long)delay);
	log_kv_fmt(&kv, "attempt", "%u", job->j.attempt);
	log_kv_emit(&kv);
}

/*
 * The facts of the attempt for the message's history (sealpost show),
 * the same the out line prints (smtpout_log_out, doc/design.md §9): ""
 * where it prints nothing, or "none" only for want of a session; tls is
 * exactly its word ("none" without a session or outside TLS). The fields
 * have the room of their sources (smtpout.h), so smtpout_copy's check
 * cannot fire.
 */
static void
smtpout_job_facts(struct ipc_out_result *res, const struct smtpout_where *w)
{
	const struct smtpout_tlslog *tl = w->tl;

	smtpout_copy(res->ip, w->ip != NULL ? w->ip : "", sizeof(res->ip),
	    "address");
	smtpout_copy(res->policy, w->policy != NULL ? w->policy : "",
	    sizeof(res->policy), "policy");
	smtpout_copy(res->policy_src, w->policy_src != NULL ?
	    w->policy_src : "", sizeof(res->policy_src), "policy source");
	if (tl == NULL) {
		smtpout_copy(res->tls, "none", sizeof(res->tls), "tls");
		return;		/* no session: nothing else is known */
	}
	smtpout_copy(res->tls, tl->tls, sizeof(res->tls), "tls");
	if (strcmp(tl->tls, "none") != 0)
		smtpout_copy(res->cipher, tl->cipher, sizeof(res->cipher),
		    "cipher");
	smtpout_copy(res->verify, tl->verify, sizeof(res->verify), "verify");
	smtpout_copy(res->cert, tl->cert, sizeof(res->cert), "certificate");
	smtpout_copy(res->tls_fail, tl->fail, sizeof(res->tls_fail),
	    "TLS check failure");
}

void
smtpout_job_rcpt(struct smtpout_job *job, struct smtpout_rcpt *rc,
    int outcome, int code, const char *dsn, const char *text,
    const char *failure, const struct smtpout_where *w)
{
	struct ipc_out_result *res = &rc->res;

	if (rc->done)
		return;
	rc->done = 1;
	memset(res, 0, sizeof(*res));
	res->job = job->j.job;
	res->index = rc->r.index;
	res->outcome = outcome;
	res->code = code;
	if (dsn == NULL || dsn[0] == '\0')
		dsn = code >= 500 ? "5.0.0" : code >= 400 ? "4.0.0" : "2.0.0";
	smtpout_copy(res->dsn, dsn, sizeof(res->dsn), "enhanced status code");
	smtpout_copy(res->failure, failure != NULL ? failure : "",
	    sizeof(res->failure), "failure type");
	smtpout_copy(res->mx, w->mx, sizeof(res->mx), "host name");
	/* NOTIFY did not go along: the queue owes the success notice */
	res->nodsn = outcome == IPC_OUT_SENT && w->nodsn;
	/* the reply we relay, or ours: cut to the result's room */
	smtpout_text(res->text, sizeof(res->text), "%s",
	    text != NULL ? text : "");
	smtpout_job_facts(res, w);
	/* the log line now, while the session's facts are at hand */
	smtpout_log_out(job, rc, w->ip, w->policy, w->policy_src, w->tl);
}

void
smtpout_job_all(struct smtpout_job *job, int outcome, int code,
    const char *dsn, const char *text, const char *failure,
    const struct smtpout_where *w)
{
	uint32_t i;

	for (i = 0; i < job->nrcpt; i++)
		smtpout_job_rcpt(job, &job->rcpt[i], outcome, code, dsn, text,
		    failure, w);
}

void
smtpout_job_fail(struct smtpout_job *job, const struct smtpout_fail *f)
{
	if (smtpout_proto_fail_rank(f->kind) >
	    smtpout_proto_fail_rank(job->best.kind))
		job->best = *f;
}

static void
smtpout_job_free(struct smtpout_job *job)
{
	struct smtpout *so = job->so;

	loop_timer_cancel(so->child.loop, &job->timer);
	if (job->fd != -1)
		close(job->fd);
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		so->jobs = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	free(job->rcpt);
	free(job->hosts);
	buf_free(&job->tlsa);
	free(job);
}

void
smtpout_job_end(struct smtpout_job *job)
{
	struct smtpout *so = job->so;
	struct smtpout_where w = { "", "", "", "", NULL, 0 };
	struct ipc_out_done done;
	uint32_t i;

	if (job->sess != NULL) {
		job->sess->job = NULL;
		job->sess = NULL;
	}
	/* never a job without its results (smtpout.h) */
	smtpout_job_all(job, IPC_OUT_DEFERRED, 451, "4.3.0",
	    "delivery ended without a result", "", &w);
	if (so->have_queue && job->gen == so->queue_gen) {
		for (i = 0; i < job->nrcpt; i++)
			if (ipc_send(&so->queue, IPC_OUT_RESULT,
			    &job->rcpt[i].res, sizeof(job->rcpt[i].res), -1) ==
			    -1)
				break;
		memset(&done, 0, sizeof(done));
		done.job = job->j.job;
		(void)ipc_send(&so->queue, IPC_OUT_DONE, &done, sizeof(done),
		    -1);
	}
	smtpout_job_free(job);
}

/* ---- the policy channel ---- */

static void
smtpout_plan_send(struct smtpout *so, struct smtpout_job *job)
{
	struct ipc_plan_req r;

	if (!so->have_plan || job->req != 0)
		return;
	memset(&r, 0, sizeof(r));
	r.req = job->req = ++so->next_req;
	smtpout_copy(r.domain, job->j.domain, sizeof(r.domain), "domain");
	r.requiretls = job->j.requiretls;
	(void)ipc_send(&so->plan, IPC_PLAN_REQ, &r, sizeof(r), -1);
}

static void
smtpout_plan_timeout(void *arg)
{
	struct smtpout_job *job = arg;
	struct smtpout_where w = { "", "", "", "", NULL, 0 };

	smtpout_job_all(job, IPC_OUT_DEFERRED, 451, "4.4.3",
	    "policy lookup timed out", "", &w);
	smtpout_job_end(job);
}

static struct smtpout_job *
smtpout_job_by_req(struct smtpout *so, uint64_t req)
{
	struct smtpout_job *job;

	for (job = so->jobs; job != NULL; job = job->next)
		if (job->req == req && (job->state == SMTPOUT_J_PLAN ||
		    job->state == SMTPOUT_J_HOSTS))
			return job;
	return NULL;
}

/* The plan is complete: deliver, or pass its refusal on. */
static void
smtpout_plan_done(struct smtpout_job *job)
{
	struct smtpout_where w = { "", "", "", "", NULL, 0 };
	const struct ipc_plan *p = &job->plan;

	loop_timer_cancel(job->so->child.loop, &job->timer);
	job->state = SMTPOUT_J_RUN;
	if (p->status == IPC_PLAN_OK && p->nhosts == 0) {
		smtpout_job_all(job, IPC_OUT_DEFERRED, 451, "4.4.3",
		    "the policy returned no host", "", &w);
		smtpout_job_end(job);
		return;
	}
	if (p->status != IPC_PLAN_OK) {
		smtpout_job_all(job, p->status == IPC_PLAN_BOUNCE ?
		    IPC_OUT_BOUNCED : IPC_OUT_DEFERRED, p->code, p->dsn,
		    p->text, p->failure, &w);
		smtpout_job_end(job);
		return;
	}
	/* a plan asked for before a requeue's forget serves, is not kept */
	if (!job->plan_forgotten)
		smtpout_plan_put(&job->so->plans, job->j.domain,
		    job->j.requiretls, p, job->hosts, &job->tlsa);
	smtpout_deliver(job);
}

/*
 * A usable TLSA record of the host just received: kept (after its
 * length) in the job's buffer for the DANE check of smtpout_tls.c.
 */
static void
smtpout_plan_tlsa(struct smtpout *so, const struct ipc_msg *msg)
{
	struct smtpout_job *job;
	struct ipc_plan_tlsa t;
	uint32_t flen = msg->len;

	if (msg->len < sizeof(t))
		fatalx("%s: bad TLSA length", so->child.title);
	memcpy(&t, msg->data, sizeof(t));
	if (t.req == 0 || t.req > so->next_req ||
	    (size_t)t.len != msg->len - sizeof(t) || t.len == 0 ||
	    (t.usage != 2 && t.usage != 3) || t.selector > 1 || t.mtype > 2)
		fatalx("%s: malformed TLSA record", so->child.title);
	if ((job = smtpout_job_by_req(so, t.req)) == NULL)
		return;		/* stale */
	if (job->state != SMTPOUT_J_HOSTS || job->nhosts == 0 ||
	    t.index != job->nhosts - 1 || job->tlsa_want == 0)
		fatalx("%s: TLSA record out of order", so->child.title);
	if (buf_append(&job->tlsa, &flen, sizeof(flen)) == -1 ||
	    buf_append(&job->tlsa, msg->data, msg->len) == -1)
		fatal("%s: TLSA record", so->child.title);
	if (--job->tlsa_want == 0 && job->nhosts == job->plan.nhosts)
		smtpout_plan_done(job);
}

void
smtpout_plan_met(struct smtpout *so, const char *domain, int requirement)
{
	struct ipc_plan_met m;

	if (!so->have_plan)
		return;
	memset(&m, 0, sizeof(m));
	smtpout_copy(m.domain, domain, sizeof(m.domain), "domain");
	m.requirement = requirement;
	(void)ipc_send(&so->plan, IPC_PLAN_MET, &m, sizeof(m), -1);
}

void
smtpout_plan_session(struct smtpout *so, const struct smtpout_job *job,
    const struct ipc_plan_host *h, const char *ip, const char *failure,
    int refusal)
{
	struct ipc_plan_session m;
	struct tlsrpt_sess in;
	struct tlsrpt_count c;

	if (!so->have_plan)
		return;
	memset(&in, 0, sizeof(in));
	in.domain = job->j.domain;
	in.mx = h->name;
	in.tlsa_base = h->tlsa_base;
	in.policy_src = h->policy_src;
	in.failure = failure;
	in.policy = h->policy;
	in.own_mx = h->own_mx;
	in.sts_testing = h->sts_testing;
	/* DANE's word with no usable record: encrypt (doc/design.md §8) */
	in.dane_unusable = strcmp(h->policy_src, "dane") == 0 &&
	    h->requirement == IPC_REQ_ENCRYPT;
	/* a TLS report: <> and TLS-Required: No (RFC 8460 §3) */
	in.report_mail = job->j.from[0] == '\0' && job->j.tlsrequired_no &&
	    !job->j.requiretls;
	if (!tlsrpt_classify(&in, &c))
		return;
	if (refusal && !tlsrpt_seen_first(&so->tlsrpt_seen, job->j.domain,
	    h->name, c.result, (int64_t)time(NULL)))
		return;
	memset(&m, 0, sizeof(m));
	smtpout_copy(m.domain, c.domain, sizeof(m.domain), "domain");
	smtpout_copy(m.mx, h->name, sizeof(m.mx), "host name");
	smtpout_copy(m.ip, ip, sizeof(m.ip), "address");
	smtpout_copy(m.failure, c.result, sizeof(m.failure), "failure");
	m.policy_type = c.type == TLSRPT_T_TLSA ? IPC_TLSRPT_TLSA :
	    c.type == TLSRPT_T_STS ? IPC_TLSRPT_STS : IPC_TLSRPT_NONE;
	(void)ipc_send(&so->plan, IPC_PLAN_SESSION, &m, sizeof(m), -1);
}

static void
smtpout_plan_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct smtpout *so = arg;
	struct smtpout_job *job;
	struct ipc_plan p;
	struct ipc_plan_host h;
	uint32_t i;

	(void)ch;
	if (msg->fd != -1)
		fatalx("%s: policy sent an fd with message %u", so->child.title,
		    msg->type);
	switch (msg->type) {
	case IPC_PLAN:
		if (msg->len != sizeof(p))
			fatalx("%s: bad plan length", so->child.title);
		memcpy(&p, msg->data, sizeof(p));
		if (p.req == 0 || p.req > so->next_req)
			fatalx("%s: plan for request %llu never made",
			    so->child.title, (unsigned long long)p.req);
		if (!SMTPOUT_STR_OK(p.dsn) || !SMTPOUT_STR_OK(p.text) ||
		    !SMTPOUT_STR_OK(p.failure) ||
		    p.nhosts > IPC_PLAN_HOSTS_MAX ||
		    (p.status != IPC_PLAN_OK && p.status != IPC_PLAN_DEFER &&
		    p.status != IPC_PLAN_BOUNCE) ||
		    (p.status != IPC_PLAN_OK && (p.nhosts != 0 ||
		    p.code < 400 || p.code > 599)))
			fatalx("%s: malformed plan", so->child.title);
		if ((job = smtpout_job_by_req(so, p.req)) == NULL)
			return;		/* the job timed out: stale */
		if (job->state != SMTPOUT_J_PLAN)
			fatalx("%s: second plan for request %llu",
			    so->child.title, (unsigned long long)p.req);
		job->plan = p;
		if (p.nhosts > 0 && (job->hosts = calloc(p.nhosts,
		    sizeof(*job->hosts))) == NULL)
			fatal("%s: plan", so->child.title);
		job->state = SMTPOUT_J_HOSTS;
		if (p.nhosts == 0)
			smtpout_plan_done(job);
		return;
	case IPC_PLAN_HOST:
		if (msg->len != sizeof(h))
			fatalx("%s: bad plan host length", so->child.title);
		memcpy(&h, msg->data, sizeof(h));
		if (h.req == 0 || h.req > so->next_req)
			fatalx("%s: plan host for request %llu never made",
			    so->child.title, (unsigned long long)h.req);
		if (!SMTPOUT_STR_OK(h.name) || h.name[0] == '\0' ||
		    !SMTPOUT_STR_OK(h.policy) ||
		    !SMTPOUT_STR_OK(h.policy_src) ||
		    !SMTPOUT_STR_OK(h.text) || h.port == 0 ||
		    h.naddr > IPC_PLAN_ADDRS_MAX || h.nfp > IPC_PLAN_FP_MAX ||
		    h.requirement < IPC_REQ_CLEARTEXT_OK ||
		    h.requirement > IPC_REQ_MTA_STS ||
		    (h.audit_only != 0 && h.audit_only != 1) ||
		    (h.audit_cleartext != 0 && h.audit_cleartext != 1) ||
		    (h.audit_cleartext && !h.audit_only))
			fatalx("%s: malformed plan host", so->child.title);
		for (i = 0; i < h.naddr; i++)
			if (h.addr[i].family != AF_INET &&
			    h.addr[i].family != AF_INET6)
				fatalx("%s: plan host with a bad address",
				    so->child.title);
		if ((job = smtpout_job_by_req(so, h.req)) == NULL)
			return;		/* stale */
		if (job->state != SMTPOUT_J_HOSTS || job->tlsa_want != 0 ||
		    h.index != job->nhosts || job->nhosts >= job->plan.nhosts)
			fatalx("%s: plan host out of order", so->child.title);
		if (h.ntlsa > IPC_PLAN_TLSA_MAX || !SMTPOUT_STR_OK(h.failure) ||
		    !SMTPOUT_STR_OK(h.tlsa_base) ||
		    (h.ntlsa > 0 && h.requirement != IPC_REQ_DANE &&
		    h.requirement != IPC_REQ_DANE_ONLY))
			fatalx("%s: malformed plan host", so->child.title);
		job->hosts[job->nhosts++] = h;
		job->tlsa_want = h.ntlsa;
		if (job->nhosts == job->plan.nhosts && job->tlsa_want == 0)
			smtpout_plan_done(job);
		return;
	case IPC_PLAN_TLSA:
		smtpout_plan_tlsa(so, msg);
		return;
	default:
		fatalx("%s: unexpected message %u from policy",
		    so->child.title, msg->type);
	}
}

static void
smtpout_plan_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct smtpout *so = arg;

	/*
	 * The policy process died or was renewed: deliveries under way go
	 * on; jobs waiting for a plan ask again on the channel the master
	 * links when the policy process is back (doc/design.md §12),
	 * within their plan timeout.
	 */
	log_warnx("%s: channel to policy broke: %s; waiting for a new one",
	    so->child.title, ipc_strerror(e));
	ipc_chan_close(ch);
	so->have_plan = 0;
}

/* ---- the queue channel ---- */

static struct smtpout_job *
smtpout_job_find(struct smtpout *so, uint64_t id)
{
	struct smtpout_job *job;

	for (job = so->jobs; job != NULL; job = job->next)
		if (job->j.job == id && job->gen == so->queue_gen)
			return job;
	return NULL;
}

static void
smtpout_queue_job(struct smtpout *so, const struct ipc_msg *msg)
{
	struct smtpout_job *job;
	struct ipc_out_job j;

	if (msg->len != sizeof(j) || msg->fd == -1)
		fatalx("%s: malformed job from queue", so->child.title);
	memcpy(&j, msg->data, sizeof(j));
	if (!SMTPOUT_STR_OK(j.id) || !SMTPOUT_STR_OK(j.domain) ||
	    !SMTPOUT_STR_OK(j.from) || !SMTPOUT_STR_OK(j.envid) ||
	    j.domain[0] == '\0' || j.nrcpt == 0 ||
	    j.nrcpt > ENVELOPE_RCPT_MAX)
		fatalx("%s: malformed job from queue", so->child.title);
	if (smtpout_job_find(so, j.job) != NULL)
		fatalx("%s: job %llu given twice", so->child.title,
		    (unsigned long long)j.job);
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->rcpt = calloc(j.nrcpt, sizeof(*job->rcpt))) == NULL)
		fatal("%s: job", so->child.title);
	job->so = so;
	job->j = j;
	job->fd = msg->fd;
	buf_init(&job->tlsa, (size_t)IPC_PLAN_HOSTS_MAX * IPC_PLAN_TLSA_MAX *
	    (IPC_PAYLOAD_MAX + 4));
	job->gen = so->queue_gen;
	job->state = SMTPOUT_J_RCPTS;
	job->next = so->jobs;
	if (job->next != NULL)
		job->next->prev = job;
	so->jobs = job;
}

static void
smtpout_queue_rcpt(struct smtpout *so, const struct ipc_msg *msg)
{
	struct smtpout_job *job;
	struct ipc_out_rcpt r;

	if (msg->len != sizeof(r) || msg->fd != -1)
		fatalx("%s: malformed recipient from queue", so->child.title);
	memcpy(&r, msg->data, sizeof(r));
	if (!SMTPOUT_STR_OK(r.addr) || !SMTPOUT_STR_OK(r.orcpt) ||
	    r.addr[0] == '\0')
		fatalx("%s: malformed recipient from queue", so->child.title);
	if ((job = smtpout_job_find(so, r.job)) == NULL)
		fatalx("%s: recipient for unknown job %llu", so->child.title,
		    (unsigned long long)r.job);
	if (job->state != SMTPOUT_J_RCPTS || job->nrcpt >= job->j.nrcpt)
		fatalx("%s: too many recipients for job %llu",
		    so->child.title, (unsigned long long)r.job);
	job->rcpt[job->nrcpt++].r = r;
	if (job->nrcpt < job->j.nrcpt)
		return;
	/* all there: a kept plan saves the round trip (doc/design.md §12) */
	if (smtpout_plan_get(&so->plans, job->j.domain, job->j.requiretls,
	    &job->plan, &job->hosts, &job->tlsa)) {
		job->nhosts = job->plan.nhosts;
		job->state = SMTPOUT_J_RUN;
		log_debug("%s: %s: the plan for %s from the cache",
		    so->child.title, job->j.id, job->j.domain);
		smtpout_deliver(job);
		return;
	}
	/* else ask for the plan, bounded by the command timeout */
	job->state = SMTPOUT_J_PLAN;
	loop_timer_set(so->child.loop, &job->timer,
	    (uint64_t)so->conf->smtpout_command_timeout * 1000,
	    smtpout_plan_timeout, job);
	smtpout_plan_send(so, job);
}

/*
 * sealpost requeue (IPC_OUT_FORGET, doc/design.md §3, §12): the plans of
 * a domain are forgotten here and then in the policy process, so that the
 * next job for it is planned afresh, and no session made under the old
 * plan carries it. A frame of the wrong shape is fatal like any other
 * from the queue (doc/design.md §1.7). Forgetting twice is harmless.
 */
static void
smtpout_queue_forget(struct smtpout *so, const struct ipc_msg *msg)
{
	struct smtpout_job *job;
	struct ipc_forget f;
	size_t nplans, nsess;

	if (msg->len != sizeof(f) || msg->fd != -1)
		fatalx("%s: malformed forget from queue", so->child.title);
	memcpy(&f, msg->data, sizeof(f));
	if (!SMTPOUT_STR_OK(f.domain) || f.domain[0] == '\0')
		fatalx("%s: malformed forget from queue", so->child.title);
	nplans = smtpout_plan_forget(&so->plans, f.domain);
	nsess = smtpout_sessions_forget(so, f.domain);
	/*
	 * A plan asked for before the forget is answered by the policy
	 * process from what it knew then: it serves the job that asked,
	 * but is not kept (smtpout_plan_done).
	 */
	for (job = so->jobs; job != NULL; job = job->next)
		if ((job->state == SMTPOUT_J_PLAN ||
		    job->state == SMTPOUT_J_HOSTS) &&
		    strcmp(job->j.domain, f.domain) == 0)
			job->plan_forgotten = 1;
	log_info("smtpout: plans of %s forgotten (requeue)", f.domain);
	log_debug("%s: %s: %zu kept plans dropped, %zu sessions not to be "
	    "reused", so->child.title, f.domain, nplans, nsess);
	/*
	 * Without a policy channel there is nothing to tell: the policy
	 * process is being restarted and starts with an empty plan cache.
	 */
	if (so->have_plan)
		(void)ipc_send(&so->plan, IPC_PLAN_FORGET, &f, sizeof(f), -1);
}

static void
smtpout_queue_msg(struct ipc_chan *ch, const struct ipc_msg *msg, void *arg)
{
	struct smtpout *so = arg;

	(void)ch;
	switch (msg->type) {
	case IPC_OUT_JOB:
		smtpout_queue_job(so, msg);
		break;
	case IPC_OUT_RCPT:
		smtpout_queue_rcpt(so, msg);
		break;
	case IPC_OUT_FORGET:
		smtpout_queue_forget(so, msg);
		break;
	default:
		fatalx("%s: unexpected message %u from queue", so->child.title,
		    msg->type);
	}
}

static void
smtpout_queue_err(struct ipc_chan *ch, enum ipc_err e, void *arg)
{
	struct smtpout *so = arg;

	(void)ch;
	/* the queue counts the jobs it had out as not attempted */
	fatalx("%s: channel to queue broke: %s; exiting", so->child.title,
	    ipc_strerror(e));
}

/* ---- the master ---- */

static void
smtpout_master_msg(struct child *c, const struct ipc_msg *msg)
{
	struct smtpout *so = &smtpout;
	struct smtpout_job *job;
	struct ipc_link link;

	(void)c;
	if (msg->len != sizeof(link) || msg->fd == -1)
		fatalx("%s: malformed channel from master", so->child.title);
	memcpy(&link, msg->data, sizeof(link));
	switch (msg->type) {
	case IPC_OUT_CHANNEL:
		if (so->have_queue)
			ipc_chan_close(&so->queue);
		/* jobs of the old channel finish, their results go nowhere */
		so->queue_gen++;
		if (ipc_chan_init(&so->queue, so->child.loop, msg->fd, "queue",
		    IPC_ALLOW(IPC_OUT_JOB) | IPC_ALLOW(IPC_OUT_RCPT) |
		    IPC_ALLOW(IPC_OUT_FORGET),
		    smtpout_queue_msg, smtpout_queue_err, so) == -1)
			fatal("%s: queue channel", so->child.title);
		so->have_queue = 1;
		log_debug("%s: queue channel %u", so->child.title, link.gen);
		break;
	case IPC_PLAN_CHANNEL:
		if (so->have_plan)
			ipc_chan_close(&so->plan);
		if (ipc_chan_init(&so->plan, so->child.loop, msg->fd, "policy",
		    IPC_ALLOW(IPC_PLAN) | IPC_ALLOW(IPC_PLAN_HOST) |
		    IPC_ALLOW(IPC_PLAN_TLSA),
		    smtpout_plan_msg, smtpout_plan_err, so) == -1)
			fatal("%s: policy channel", so->child.title);
		so->have_plan = 1;
		log_debug("%s: policy channel %u", so->child.title, link.gen);
		/* a reload may have changed the table: plan everything anew */
		smtpout_plan_clear(&so->plans);
		/* requests of the old channel are lost: ask again */
		for (job = so->jobs; job != NULL; job = job->next)
			if (job->state == SMTPOUT_J_PLAN ||
			    job->state == SMTPOUT_J_HOSTS) {
				free(job->hosts);
				job->hosts = NULL;
				job->nhosts = 0;
				buf_reset(&job->tlsa);
				job->tlsa_want = 0;
				job->req = 0;
				/* asked anew, after any forget: keep it */
				job->plan_forgotten = 0;
				job->state = SMTPOUT_J_PLAN;
				smtpout_plan_send(so, job);
			}
		break;
	default:
		fatalx("%s: unexpected message %u from master",
		    so->child.title, msg->type);
	}
}

static void
smtpout_sigterm(int signo, void *arg)
{
	(void)signo;
	smtpout_sessions_quit(arg);
}

int
main(int argc, char **argv)
{
	struct smtpout *so = &smtpout;
	char err[512];

	child_init(&so->child, PROC_SMTPOUT, argc, argv);
	so->conf = &so->child.conf;
	/* everything from the file system before the chroot (run_dir/empty) */
	smtpout_auth_load(so);
	if (tls_client_init(&so->tls, so->conf, err, sizeof(err)) == -1)
		fatalx("%s: %s", so->child.title, err);
	child_master_allow(&so->child, IPC_ALLOW(IPC_OUT_CHANNEL) |
	    IPC_ALLOW(IPC_PLAN_CHANNEL), smtpout_master_msg);
	loop_signal(so->child.loop, SIGTERM, smtpout_sigterm, so);
	child_drop(&so->child);
	child_run(&so->child);
}
