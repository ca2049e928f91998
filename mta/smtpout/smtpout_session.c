/*
 * smtpout_session.c: one outbound SMTP connection (RFC 5321), the bottom
 * layer of smtpout (see smtpout.h): the life of a session (connect,
 * host failures and the next address, timers, the end), non-blocking
 * I/O, and the dispatch of each complete reply by the session's state.
 * TLS and AUTH live in smtpout_tls.c, the transaction behind THE GATE in
 * smtpout_txn.c (doc/design.md §1.1, §12). Also the two string helpers
 * every file of smtpout uses: one for text where a cut is harmless, one
 * for names that must never be cut (doc/design.md §10).
 * Linked by the smtpout binary.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "policy/route.h"
#include "smtpout.h"

static char smtpout_sess_scratch[SMTPOUT_CHUNK];

static void	smtpout_next(struct smtpout_job *);

/* ---- strings (doc/design.md §10) ---- */

void
smtpout_text(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	/* cut (n >= size) is harmless for text; an encoding error is not */
	if (n < 0)
		dst[0] = '\0';
}

void
smtpout_copy(char *dst, const char *src, size_t size, const char *what)
{
	if (strlcpy(dst, src, size) >= size)
		fatalx("smtpout: %s too long (%zu octets, room for %zu)",
		    what, strlen(src), size - 1);
}

/* ---- life of a session ---- */

static const char *
smtpout_state_name(enum smtpout_state st)
{
	switch (st) {
	case SMTPOUT_S_CONNECT:
		return "connecting";
	case SMTPOUT_S_GREETING:
		return "receiving the initial server greeting";
	case SMTPOUT_S_EHLO:
	case SMTPOUT_S_EHLO_TLS:
		return "receiving the EHLO reply";
	case SMTPOUT_S_STARTTLS:
		return "receiving the STARTTLS reply";
	case SMTPOUT_S_HANDSHAKE:
		return "performing the TLS handshake";
	case SMTPOUT_S_AUTH:
	case SMTPOUT_S_AUTH_USER:
	case SMTPOUT_S_AUTH_PASS:
		return "authenticating";
	case SMTPOUT_S_TXN:
		return "sending the envelope";
	case SMTPOUT_S_DATA:
		return "receiving the DATA reply";
	case SMTPOUT_S_BODY:
		return "sending the message content";
	case SMTPOUT_S_DOT:
		return "receiving the reply to the end of data";
	case SMTPOUT_S_RSET:
		return "receiving the RSET reply";
	case SMTPOUT_S_IDLE:
		return "idle";
	case SMTPOUT_S_QUIT:
		return "quitting";
	}
	return "?";
}

/* Before MAIL: a failure here is the host's, and the next one is tried. */
static int
smtpout_pre_mail(const struct smtpout_sess *s)
{
	return s->state <= SMTPOUT_S_AUTH_PASS;
}

void
smtpout_sess_free(struct smtpout_sess *s)
{
	struct smtpout *so = s->so;

	loop_timer_cancel(so->child.loop, &s->timer);
	if (s->fd != -1) {
		loop_fd_del(so->child.loop, s->fd);
		if (s->tls != NULL) {
			if (s->tls_active)
				(void)gnutls_bye(s->tls, GNUTLS_SHUT_WR);
			gnutls_deinit(s->tls);
		}
		close(s->fd);
	}
	if (s->job != NULL)
		s->job->sess = NULL;
	buf_free(&s->in);
	buf_free(&s->out);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		so->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	explicit_bzero(s, sizeof(*s));
	free(s);
}

void
smtpout_sess_where(const struct smtpout_sess *s, struct smtpout_where *w)
{
	w->mx = s->host.name;
	w->ip = s->ip;
	w->policy = s->host.requirement == IPC_REQ_CLEARTEXT_OK ?
	    "cleartext-ok" : s->host.policy;
	w->policy_src = s->host.policy_src;
	w->tl = &s->tl;
	w->nodsn = !(s->ehlo.ext & SMTPOUT_PROTO_DSN);
}

/*
 * A failure of the TLS session itself (STARTTLS, the handshake, the
 * check) is a failed session of the TLS report (RFC 8460 §4.3); a
 * connection that failed, timed out or was refused is none. A timeout
 * during the handshake is a negotiation that failed: validation-failure
 * (RFC 8460 §4.3.1, the type for what no other names); one before
 * STARTTLS's 220 is no TLS session (doc/design.md §8).
 */
static void
smtpout_sess_report(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_proto_hostfail hf;
	struct reason why;
	char failure[64];

	if (s->job == NULL)
		return;
	switch (kind) {
	case SMTPOUT_PROTO_F_STARTTLS:
		/* not offered under cleartext-ok is no failure */
		if (s->host.requirement == IPC_REQ_CLEARTEXT_OK)
			return;
		break;
	case SMTPOUT_PROTO_F_TIMEOUT:
		if (s->state == SMTPOUT_S_HANDSHAKE)
			smtpout_plan_session(s->so, s->job, &s->host, s->ip,
			    "validation-failure", 0);
		return;
	case SMTPOUT_PROTO_F_TLS:
	case SMTPOUT_PROTO_F_INJECTED:
	case SMTPOUT_PROTO_F_UNTRUSTED:
	case SMTPOUT_PROTO_F_EXPIRED:
	case SMTPOUT_PROTO_F_HOSTNAME:
	case SMTPOUT_PROTO_F_FINGERPRINT:
	case SMTPOUT_PROTO_F_TLSA:
	case SMTPOUT_PROTO_F_POLICY:
		break;
	default:
		return;
	}
	memset(&hf, 0, sizeof(hf));
	hf.kind = kind;
	hf.host = s->host.name;
	hf.ip = s->ip;
	hf.port = s->host.port;
	hf.detail = detail;
	hf.failure = kind == SMTPOUT_PROTO_F_POLICY ? s->host.failure :
	    s->fail_type;
	smtpout_proto_fail_reason(&hf, &why, failure);
	if (failure[0] != '\0')
		smtpout_plan_session(s->so, s->job, &s->host, s->ip, failure,
		    0);
}

/*
 * Audit-only tolerated a missing STARTTLS (doc/design.md §8): the
 * session goes on in cleartext, and the report counts the failure it
 * would have been deferred for (starttls-not-supported).
 */
static void
smtpout_sess_report_audit(struct smtpout_sess *s)
{
	if (s->job != NULL && s->verdict == SMTPOUT_V_AUDIT &&
	    s->tl.would_defer[0] != '\0')
		smtpout_plan_session(s->so, s->job, &s->host, s->ip,
		    s->tl.would_defer, 0);
}

/*
 * A session that goes on in cleartext because the table's cleartext-ok
 * allows it: the report counts it as the failure it is,
 * starttls-not-supported (RFC 8460 §4.3.1; doc/design.md §8), under
 * no-policy-found since the table decided.
 */
static void
smtpout_sess_report_clear(struct smtpout_sess *s)
{
	if (s->job != NULL)
		smtpout_plan_session(s->so, s->job, &s->host, s->ip,
		    "starttls-not-supported", 0);
}

/*
 * The host failed before MAIL: remember why, close, try the next
 * address. Returns -1 (s is gone).
 */
int
smtpout_sess_hostfail(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_job *job = s->job;
	struct smtpout_fail f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	smtpout_copy(f.host, s->host.name, sizeof(f.host), "host name");
	smtpout_copy(f.ip, s->ip, sizeof(f.ip), "address");
	f.port = s->host.port;
	smtpout_text(f.detail, sizeof(f.detail), "%s", detail);
	smtpout_copy(f.failure, s->fail_type, sizeof(f.failure), "failure");
	smtpout_copy(f.policy, s->host.requirement == IPC_REQ_CLEARTEXT_OK ?
	    "cleartext-ok" : s->host.policy, sizeof(f.policy), "policy");
	smtpout_copy(f.policy_src, s->host.policy_src, sizeof(f.policy_src),
	    "policy_src");
	f.tl = s->tl;
	smtpout_sess_report(s, kind, detail);
	log_info("%s: host %s[%s]:%u failed: %s", s->so->child.title,
	    s->host.name, s->ip, (unsigned)s->host.port, detail);
	if (job != NULL)
		smtpout_job_fail(job, &f);
	smtpout_sess_free(s);
	if (job != NULL)
		smtpout_next(job);
	return -1;
}

/*
 * After MAIL: the job's recipients without a result are deferred, the
 * connection is dropped. Returns -1 (s is gone).
 */
int
smtpout_sess_abort(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_proto_hostfail hf = { kind, s->host.name, s->ip,
	    s->host.port, detail, s->fail_type };
	struct smtpout_job *job = s->job;
	struct smtpout_where w;
	struct reason why;
	char failure[64];

	if (job != NULL) {
		smtpout_proto_fail_reason(&hf, &why, failure);
		smtpout_sess_where(s, &w);
		smtpout_job_all(job, IPC_OUT_DEFERRED, why.code, why.dsn,
		    why.text, failure, &w);
		smtpout_job_end(job);
	}
	smtpout_sess_free(s);
	return -1;
}

/* A failure of kind in whatever phase s is. Returns -1 (s is gone). */
int
smtpout_sess_failed(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_job *job;

	if (s->job == NULL || s->state >= SMTPOUT_S_RSET) {
		/* a job waiting for RSET's 250 goes elsewhere */
		job = s->state == SMTPOUT_S_RSET ? s->job : NULL;
		smtpout_sess_free(s);
		if (job != NULL)
			smtpout_deliver(job);
		return -1;
	}
	if (smtpout_pre_mail(s))
		return smtpout_sess_hostfail(s, kind, detail);
	return smtpout_sess_abort(s, kind, detail);
}

/* An idle session is done with: QUIT. Returns 0, or -1 (s is gone). */
static int
smtpout_sess_bye(struct smtpout_sess *s)
{
	if (buf_puts(&s->out, "QUIT\r\n") == -1) {
		smtpout_sess_free(s);
		return -1;
	}
	s->state = SMTPOUT_S_QUIT;
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return smtpout_sess_update(s);
}

static void
smtpout_sess_timeout(void *arg)
{
	struct smtpout_sess *s = arg;

	if (s->state == SMTPOUT_S_IDLE) {
		/* reuse time over */
		(void)smtpout_sess_bye(s);
		return;
	}
	if (s->state == SMTPOUT_S_CONNECT) {
		(void)smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_CONNECT,
		    "Connection timed out");
		return;
	}
	(void)smtpout_sess_failed(s, SMTPOUT_PROTO_F_TIMEOUT,
	    smtpout_state_name(s->state));
}

void
smtpout_sess_arm(struct smtpout_sess *s, unsigned secs)
{
	loop_timer_set(s->so->child.loop, &s->timer, (uint64_t)secs * 1000,
	    smtpout_sess_timeout, s);
}

/* Queues a command line (CRLF added). Returns 0, or -1 (s is gone). */
int
smtpout_sess_cmd(struct smtpout_sess *s, const char *fmt, ...)
{
	char line[SMTP_PROTO_LINE_MAX_EXT + 8];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		fatalx("%s: command too long", s->so->child.title);
	memcpy(line + n, "\r\n", 2);
	if (buf_append(&s->out, line, (size_t)n + 2) == -1) {
		explicit_bzero(line, sizeof(line));
		return smtpout_sess_failed(s, SMTPOUT_PROTO_F_LOST,
		    "output buffer full");
	}
	explicit_bzero(line, sizeof(line));
	return 0;
}

/* ---- connecting ---- */

static void	smtpout_sess_io(int, uint32_t, void *);

/*
 * Connects to address a of host h for job. Returns 0 when under way,
 * -1 when it failed at once (recorded in the job).
 */
static int
smtpout_connect(struct smtpout_job *job, const struct ipc_plan_host *h,
    const struct ipc_plan_addr *a)
{
	struct smtpout *so = job->so;
	struct smtpout_sess *s;
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	int one = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s: session", so->child.title);
	s->so = so;
	s->fd = -1;
	s->host = *h;
	smtpout_req_apply(job, &s->host);
	smtpout_copy(s->domain, job->j.domain, sizeof(s->domain), "domain");
	/* under a plan a requeue forgot: for this job only */
	s->noreuse = job->plan_forgotten;
	smtpout_copy(s->tl.tls, "none", sizeof(s->tl.tls), "tls");
	smtpout_copy(s->tl.verify, "none", sizeof(s->tl.verify), "verify");
	buf_init(&s->in, SMTPOUT_IN_MAX);
	buf_init(&s->out, SMTPOUT_OUT_MAX);
	if (a->family == AF_INET) {
		sin = (struct sockaddr_in *)(void *)&s->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(h->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		s->sslen = sizeof(*sin);
		(void)inet_ntop(AF_INET, a->addr, s->ip, sizeof(s->ip));
	} else {
		sin6 = (struct sockaddr_in6 *)(void *)&s->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(h->port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		s->sslen = sizeof(*sin6);
		(void)inet_ntop(AF_INET6, a->addr, s->ip, sizeof(s->ip));
	}
	s->next = so->sessions;
	if (s->next != NULL)
		s->next->prev = s;
	so->sessions = s;
	s->job = job;
	job->sess = s;
	s->state = SMTPOUT_S_CONNECT;
	s->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->fd == -1) {
		(void)smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_CONNECT,
		    strerror(errno));
		return -1;
	}
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (struct sockaddr *)&s->ss, s->sslen) == -1 &&
	    errno != EINPROGRESS) {
		(void)smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_CONNECT,
		    strerror(errno));
		return -1;
	}
	if (loop_fd_add(so->child.loop, s->fd, EPOLLOUT, smtpout_sess_io, s) ==
	    -1) {
		(void)smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_CONNECT,
		    strerror(errno));
		return -1;
	}
	s->events = EPOLLOUT;
	smtpout_sess_arm(s, so->conf->smtpout_connect_timeout);
	return 0;
}

/* Fails host h as a whole without connecting (no address, no support). */
static void
smtpout_host_skip(struct smtpout_job *job, const struct ipc_plan_host *h,
    enum smtpout_proto_fail kind, const char *detail)
{
	struct smtpout_fail f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	smtpout_copy(f.failure, h->failure, sizeof(f.failure), "failure");
	smtpout_copy(f.host, h->name, sizeof(f.host), "host name");
	f.port = h->port;
	smtpout_text(f.detail, sizeof(f.detail), "%s", detail);
	smtpout_copy(f.policy, h->policy, sizeof(f.policy), "policy");
	smtpout_copy(f.policy_src, h->policy_src, sizeof(f.policy_src),
	    "policy_src");
	smtpout_copy(f.tl.tls, "none", sizeof(f.tl.tls), "tls");
	smtpout_copy(f.tl.verify, "none", sizeof(f.tl.verify), "verify");
	smtpout_job_fail(job, &f);
}

/* Tries the next address of the plan; defers everything when none is left. */
static void
smtpout_next(struct smtpout_job *job)
{
	const struct ipc_plan_host *h;
	struct smtpout_proto_hostfail hf;
	enum smtpout_proto_fail k;
	struct smtpout_where w;
	struct reason why;
	char failure[64];

	while (job->host_i < job->nhosts) {
		h = &job->hosts[job->host_i];
		/* the policy's verdict: never anything weaker */
		if ((k = smtpout_host_refusal(job, h)) !=
		    SMTPOUT_PROTO_F_NONE) {
			/* the policy refused the host: a failure of the TLS
			   report, though no session was tried; once per
			   domain, host and type a minute, not per message */
			if (k == SMTPOUT_PROTO_F_POLICY && h->failure[0] != '\0')
				smtpout_plan_session(job->so, job, h, "",
				    h->failure, 1);
			smtpout_host_skip(job, h, k,
			    k == SMTPOUT_PROTO_F_REQUIRETLS_AUTH ? h->policy :
			    h->text);
			job->host_i++;
			job->addr_i = 0;
			continue;
		}
		if (job->addr_i >= h->naddr) {
			job->host_i++;
			job->addr_i = 0;
			continue;
		}
		if (smtpout_connect(job, h, &h->addr[job->addr_i++]) == 0)
			return;
		return;		/* the failure went on to the next already */
	}
	hf.kind = job->best.kind;
	hf.host = job->best.host;
	hf.ip = job->best.ip;
	hf.port = job->best.port;
	hf.detail = job->best.detail;
	hf.failure = job->best.failure;
	smtpout_proto_fail_reason(&hf, &why, failure);
	w.mx = job->best.host;
	w.ip = job->best.ip;
	w.policy = job->best.policy;
	w.policy_src = job->best.policy_src;
	w.tl = job->best.tl.tls[0] != '\0' ? &job->best.tl : NULL;
	w.nodsn = 0;	/* not sent: no notice to owe */
	/* 5xx: REQUIRETLS that cannot be met is returned (RFC 8689) */
	smtpout_job_all(job, why.code >= 500 ? IPC_OUT_BOUNCED :
	    IPC_OUT_DEFERRED, why.code, why.dsn, why.text, failure, &w);
	smtpout_job_end(job);
}

void
smtpout_deliver(struct smtpout_job *job)
{
	struct smtpout_sess *s;
	uint32_t i;

	for (s = job->so->sessions; s != NULL; s = s->next) {
		/*
		 * An idle session, or one whose RSET is still on its way (a
		 * job right behind the last one, its plan from the cache):
		 * that job waits for the 250 to RSET.
		 */
		if ((s->state != SMTPOUT_S_IDLE &&
		    s->state != SMTPOUT_S_RSET) || s->job != NULL ||
		    s->noreuse || strcmp(s->domain, job->j.domain) != 0)
			continue;
		for (i = 0; i < job->nhosts; i++) {
			const struct ipc_plan_host *h = &job->hosts[i];

			/*
			 * The same host, proved the same way: a pinned
			 * digest that changed (the table was edited) needs a
			 * new session, checked against the new one.
			 */
			if (strcasecmp(h->name, s->host.name) != 0 ||
			    h->port != s->host.port ||
			    smtpout_host_refusal(job, h) !=
			    SMTPOUT_PROTO_F_NONE ||
			    smtpout_req_for(job, h) != s->verdict_req ||
			    h->auth != s->host.auth || h->nfp != s->host.nfp ||
			    memcmp(h->fp, s->host.fp, sizeof(h->fp)) != 0 ||
			    h->nmatch != s->host.nmatch ||
			    memcmp(h->match, s->host.match,
			    sizeof(h->match)) != 0 ||
			    strcmp(h->tlsa_base, s->host.tlsa_base) != 0)
				continue;
			/* the new plan's entry for the same host and proof */
			s->host = *h;
			smtpout_req_apply(job, &s->host);
			s->job = job;
			job->sess = s;
			log_debug("%s: reusing the connection to %s[%s] for %s",
			    s->so->child.title, s->host.name, s->ip, job->j.id);
			if (s->state == SMTPOUT_S_RSET)
				return;		/* its 250 goes on */
			loop_timer_cancel(s->so->child.loop, &s->timer);
			if (smtpout_sess_ready(s) == 0)
				(void)smtpout_sess_update(s);
			return;
		}
	}
	smtpout_next(job);
}

void
smtpout_sessions_quit(struct smtpout *so)
{
	struct smtpout_sess *s;
	enum tls_io io;

	for (s = so->sessions; s != NULL; s = s->next) {
		if (s->state != SMTPOUT_S_IDLE || s->fd == -1)
			continue;
		if (s->tls_active)
			(void)tls_write(s->tls, "QUIT\r\n", 6, &io);
		else
			(void)send(s->fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
	}
}

size_t
smtpout_sessions_forget(struct smtpout *so, const char *domain)
{
	struct smtpout_sess *s, *next;
	size_t n = 0;

	/*
	 * A session proved what the old plan asked (its host, its TLSA
	 * records, its pins): after a requeue, typically after a fix of
	 * the policy, the next job must prove what the new plan asks on a
	 * session of its own (doc/design.md §12, reuse).
	 */
	for (s = so->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->noreuse || strcmp(s->domain, domain) != 0)
			continue;
		n++;
		s->noreuse = 1;
		if (s->state == SMTPOUT_S_IDLE && s->job == NULL)
			(void)smtpout_sess_bye(s);	/* may free s */
	}
	return n;
}

/* ---- I/O ---- */

/* Sends what is in out. Returns 0 (*blocked when it must wait) or -1. */
static int
smtpout_sess_flush(struct smtpout_sess *s, int *blocked, int *progress)
{
	return tls_conn_flush(s->tls_active ? s->tls : NULL, s->fd, &s->out,
	    blocked, progress);
}

/* Flushes out (and streams DATA), then sets the events s waits for. */
int
smtpout_sess_update(struct smtpout_sess *s)
{
	int blocked = 0, progress = 0;
	uint32_t ev;

	for (;;) {
		if (s->state == SMTPOUT_S_BODY && smtpout_sess_fill(s) == -1)
			return -1;
		if (smtpout_sess_flush(s, &blocked, &progress) == -1)
			return smtpout_sess_failed(s, SMTPOUT_PROTO_F_LOST,
			    smtpout_state_name(s->state));
		if (blocked || s->state != SMTPOUT_S_BODY)
			break;
		if (s->end_queued && s->out.len == 0) {
			s->state = SMTPOUT_S_DOT;
			smtpout_sess_arm(s,
			    s->so->conf->smtpout_data_done_timeout);
			break;
		}
	}
	if (progress && s->state == SMTPOUT_S_BODY)
		smtpout_sess_arm(s, s->so->conf->smtpout_data_timeout);
	if (s->state == SMTPOUT_S_CONNECT)
		ev = EPOLLOUT;
	else if (s->state == SMTPOUT_S_HANDSHAKE)
		ev = gnutls_record_get_direction(s->tls) ? EPOLLOUT : EPOLLIN;
	else
		ev = EPOLLIN | (blocked ? EPOLLOUT : 0);
	if (ev != s->events) {
		if (loop_fd_mod(s->so->child.loop, s->fd, ev) == -1)
			return smtpout_sess_failed(s, SMTPOUT_PROTO_F_LOST,
			    "epoll");
		s->events = ev;
	}
	return 0;
}

/* Reads what there is. Returns 1 at EOF, 0, or -1 on a read error. */
static int
smtpout_sess_read(struct smtpout_sess *s)
{
	enum tls_io io;
	ssize_t n;
	size_t room;

	for (;;) {
		room = s->in.max - s->in.len;
		if (room == 0)
			return 0;
		if (room > sizeof(smtpout_sess_scratch))
			room = sizeof(smtpout_sess_scratch);
		n = tls_conn_read(s->tls_active ? s->tls : NULL, s->fd,
		    smtpout_sess_scratch, room, &io);
		if (n < 0)
			return io == TLS_IO_ERROR ? -1 : 0;
		if (n == 0)
			return 1;
		if (buf_append(&s->in, smtpout_sess_scratch, (size_t)n) == -1)
			return -1;
		/*
		 * A short read took all there was (for TLS: unless GnuTLS
		 * holds more of a record): another read would only meet
		 * EAGAIN, a system call per reply for nothing.
		 */
		if ((size_t)n < room && !(s->tls_active &&
		    gnutls_record_check_pending(s->tls) > 0))
			return 0;
	}
}

/* ---- replies ---- */

/*
 * The reply in acc as one printable text (lines joined by SP, the
 * enhanced status code of each line left out) and its dsn ("" if none).
 */
void
smtpout_reply_text(const struct smtp_proto_reply_acc *acc, char dsn[16],
    char *text, size_t size)
{
	const char *t;
	size_t i, j, n = 0, len, skip;
	char d[16];

	dsn[0] = '\0';
	text[0] = '\0';
	for (i = 0; i < acc->nlines; i++) {
		t = acc->text + acc->off[i];
		len = acc->len[i];
		if (smtp_proto_reply_dsn(t, len, acc->code, d, &skip)) {
			if (i == 0)
				memcpy(dsn, d, 16);
			t += skip;
			len -= skip;
		}
		if (i > 0 && n + 1 < size)
			text[n++] = ' ';
		for (j = 0; j < len && n + 1 < size; j++)
			text[n++] = t[j] >= 0x20 && t[j] < 0x7f ? t[j] : '?';
	}
	text[n] = '\0';
}

/* "code text" of the reply, for failures before MAIL. */
static void
smtpout_reply_line(const struct smtp_proto_reply_acc *acc, char *out,
    size_t size)
{
	char dsn[16], text[400];

	smtpout_reply_text(acc, dsn, text, sizeof(text));
	smtpout_text(out, size, "%d%s%s %s", acc->code, dsn[0] ? " " : "",
	    dsn, text);
}

/* One complete reply in s->acc. Returns 0, or -1 (s is gone). */
static int
smtpout_sess_reply(struct smtpout_sess *s)
{
	const struct conf *c = s->so->conf;
	struct smtpout_job *job;
	char line[512];
	int code = s->acc.code;

	if (code == 421 && s->state < SMTPOUT_S_RSET &&
	    (smtpout_pre_mail(s) || (s->state == SMTPOUT_S_TXN &&
	    s->txn_answered == 0))) {
		/* the host drops us before the transaction: next host */
		smtpout_reply_line(&s->acc, line, sizeof(line));
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REPLY, line);
	}
	if (code == 421 && s->job != NULL && s->state < SMTPOUT_S_RSET) {
		char dsn[16], text[512];
		struct smtpout_where w;

		smtpout_reply_text(&s->acc, dsn, text, sizeof(text));
		smtpout_sess_where(s, &w);
		smtpout_job_all(s->job, IPC_OUT_DEFERRED, code, dsn, text, "",
		    &w);
		smtpout_job_end(s->job);
		smtpout_sess_free(s);
		return -1;
	}
	switch (s->state) {
	case SMTPOUT_S_GREETING:
		if (code != 220) {
			smtpout_reply_line(&s->acc, line, sizeof(line));
			return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REPLY,
			    line);
		}
		if (smtpout_sess_cmd(s, "EHLO %s", c->hostname) == -1)
			return -1;
		s->state = SMTPOUT_S_EHLO;
		break;
	case SMTPOUT_S_EHLO:
		if (smtpout_proto_ehlo_parse(&s->acc, &s->ehlo) == -1) {
			smtpout_reply_line(&s->acc, line, sizeof(line));
			return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REPLY,
			    line);
		}
		if (s->ehlo.ext & SMTPOUT_PROTO_STARTTLS) {
			if (smtpout_sess_cmd(s, "STARTTLS") == -1)
				return -1;
			s->state = SMTPOUT_S_STARTTLS;
			break;
		}
		if (s->host.requirement != IPC_REQ_CLEARTEXT_OK) {
			/* audit-only with cleartext-ok goes on, logged */
			if (smtpout_sess_audit(s, SMTPOUT_PROTO_F_STARTTLS,
			    "") == -1)
				return -1;
			smtpout_sess_report_audit(s);
			return smtpout_sess_auth(s);
		}
		/* the cleartext branch: the table allows it for this host */
		s->verdict = SMTPOUT_V_PASSED;
		s->verdict_req = IPC_REQ_CLEARTEXT_OK;
		smtpout_sess_report_clear(s);
		return smtpout_sess_auth(s);
	case SMTPOUT_S_STARTTLS:
		if (code == 220)
			return smtpout_sess_starttls(s);
		smtpout_reply_line(&s->acc, line, sizeof(line));
		if (s->host.requirement != IPC_REQ_CLEARTEXT_OK) {
			if (smtpout_sess_audit(s, SMTPOUT_PROTO_F_STARTTLS,
			    line) == -1)
				return -1;
			smtpout_sess_report_audit(s);
			return smtpout_sess_auth(s);
		}
		s->verdict = SMTPOUT_V_PASSED;
		s->verdict_req = IPC_REQ_CLEARTEXT_OK;
		smtpout_sess_report_clear(s);
		return smtpout_sess_auth(s);
	case SMTPOUT_S_EHLO_TLS:
		if (smtpout_proto_ehlo_parse(&s->acc, &s->ehlo) == -1) {
			smtpout_reply_line(&s->acc, line, sizeof(line));
			return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REPLY,
			    line);
		}
		smtpout_resume_save(s);
		return smtpout_sess_auth(s);
	case SMTPOUT_S_AUTH_USER:
	case SMTPOUT_S_AUTH_PASS:
		if (code != 334) {
			smtpout_reply_line(&s->acc, line, sizeof(line));
			return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_AUTH,
			    line);
		}
		if (s->state == SMTPOUT_S_AUTH_USER)
			return smtpout_sess_login(s, s->cred->user,
			    SMTPOUT_S_AUTH_PASS);
		return smtpout_sess_login(s, s->cred->pass, SMTPOUT_S_AUTH);
	case SMTPOUT_S_AUTH:
		if (code != 235) {
			smtpout_reply_line(&s->acc, line, sizeof(line));
			return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_AUTH,
			    line);
		}
		return smtpout_sess_ready(s);
	case SMTPOUT_S_TXN:
		return smtpout_sess_txn(s);
	case SMTPOUT_S_DATA:
		return smtpout_sess_data(s);
	case SMTPOUT_S_BODY:
	case SMTPOUT_S_DOT:
		return smtpout_sess_final(s);
	case SMTPOUT_S_RSET:
		if (code != 250) {
			/* a job that waited for this session goes elsewhere */
			if ((job = s->job) != NULL) {
				s->job = NULL;
				job->sess = NULL;
			}
			if (smtpout_sess_cmd(s, "QUIT") == -1) {
				if (job != NULL)
					smtpout_deliver(job);
				return -1;
			}
			s->state = SMTPOUT_S_QUIT;
			smtpout_sess_arm(s, c->smtpout_command_timeout);
			if (job != NULL)
				smtpout_deliver(job);
			return 0;
		}
		if (s->job != NULL)
			return smtpout_sess_ready(s);
		if (s->noreuse) {
			/* its plan was forgotten (requeue) meanwhile */
			if (smtpout_sess_cmd(s, "QUIT") == -1)
				return -1;
			s->state = SMTPOUT_S_QUIT;
			smtpout_sess_arm(s, c->smtpout_command_timeout);
			return 0;
		}
		s->state = SMTPOUT_S_IDLE;
		smtpout_sess_arm(s, c->smtpout_reuse_time);
		return 0;
	case SMTPOUT_S_QUIT:
		smtpout_sess_free(s);
		return -1;
	default:
		/* a reply nobody asked for (idle, handshake): out of step */
		smtpout_sess_free(s);
		return -1;
	}
	smtpout_sess_arm(s, c->smtpout_command_timeout);
	return 0;
}

/* Feeds complete lines to the accumulator. Returns 0 or -1 (s gone). */
static int
smtpout_sess_lines(struct smtpout_sess *s)
{
	char detail[128];
	char *lf;
	size_t len;
	enum smtp_proto_acc_status st;

	while (s->in.len > 0) {
		if (s->state == SMTPOUT_S_HANDSHAKE ||
		    s->state == SMTPOUT_S_CONNECT)
			return 0;
		lf = memchr(s->in.data, '\n', s->in.len);
		if (lf == NULL) {
			if (s->in.len > SMTP_PROTO_REPLY_LINE_MAX + 2)
				return smtpout_sess_failed(s,
				    SMTPOUT_PROTO_F_MALFORMED,
				    "reply line too long");
			return 0;
		}
		len = (size_t)(lf - s->in.data);
		if (len == 0 || s->in.data[len - 1] != '\r')
			return smtpout_sess_failed(s,
			    SMTPOUT_PROTO_F_MALFORMED, "bare LF in a reply");
		st = smtp_proto_reply_acc_feed(&s->acc, s->in.data, len - 1);
		buf_consume(&s->in, len + 1);
		if (st == SMTP_PROTO_ACC_ERROR) {
			smtpout_text(detail, sizeof(detail), "%s",
			    s->acc.error);
			return smtpout_sess_failed(s,
			    SMTPOUT_PROTO_F_MALFORMED, detail);
		}
		if (st == SMTP_PROTO_ACC_MORE)
			continue;
		if (smtpout_sess_reply(s) == -1)
			return -1;
		smtp_proto_reply_acc_init(&s->acc);
	}
	return 0;
}

static void
smtpout_sess_io(int fd, uint32_t events, void *arg)
{
	struct smtpout_sess *s = arg;
	socklen_t len;
	int err = 0, r;

	if (s->state == SMTPOUT_S_CONNECT) {
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			(void)smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_CONNECT,
			    strerror(err));
			return;
		}
		log_debug("%s: connected to %s[%s]:%u for %s",
		    s->so->child.title, s->host.name, s->ip,
		    (unsigned)s->host.port, s->job ? s->job->j.id : "-");
		s->state = SMTPOUT_S_GREETING;
		smtp_proto_reply_acc_init(&s->acc);
		smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
		(void)smtpout_sess_update(s);
		return;
	}
	if (s->state == SMTPOUT_S_HANDSHAKE) {
		if (smtpout_sess_handshake(s) == -1)
			return;
		if (s->state == SMTPOUT_S_HANDSHAKE) {
			(void)smtpout_sess_update(s);
			return;
		}
		events |= EPOLLIN;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		r = smtpout_sess_read(s);
		if (r == -1) {
			(void)smtpout_sess_failed(s, SMTPOUT_PROTO_F_LOST,
			    smtpout_state_name(s->state));
			return;
		}
		if (smtpout_sess_lines(s) == -1)
			return;
		if (r == 1) {
			(void)smtpout_sess_failed(s, SMTPOUT_PROTO_F_LOST,
			    smtpout_state_name(s->state));
			return;
		}
	}
	(void)smtpout_sess_update(s);
}
