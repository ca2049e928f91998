/*
 * smtpout_session.c: one outbound SMTP connection (RFC 5321) and its
 * state machine, the bottom layer of smtpout (see smtpout.h): a
 * non-blocking connect, the greeting, EHLO, STARTTLS (RFC 3207) with
 * any plaintext behind its 220 treated as an attack (CVE-2011-0411
 * class), the GnuTLS handshake with SNI and resumption, the check of the
 * finished session against the host's requirement, EHLO again, AUTH
 * (RFC 4954, PLAIN or LOGIN, inside TLS only), THE GATE that alone writes
 * MAIL FROM (doc/design.md §1.1), RCPTs pipelined where offered (RFC
 * 2920), DATA streamed from the content file with dot-stuffing, the
 * timeouts of RFC 5321 §4.5.3.2, and idle sessions kept for reuse.
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
#include "smtp/envelope.h"
#include "smtpout.h"

static char smtpout_scratch[SMTPOUT_CHUNK];
static char smtpout_encoded[2 * SMTPOUT_CHUNK + 8];

static void	smtpout_next(struct smtpout_job *);
static int	smtpout_sess_update(struct smtpout_sess *);
static int	smtpout_sess_ready(struct smtpout_sess *);

/* ---- TLS session cache for resumption (per host name, address, port) ---- */

struct smtpout_resume {
	char		key[IPC_DOMAIN_MAX + 80];
	gnutls_datum_t	data;
	uint64_t	used;
};

static struct smtpout_resume	smtpout_resumes[SMTPOUT_RESUME_MAX];
static uint64_t			smtpout_resume_clock;

static void
smtpout_resume_key(const struct smtpout_sess *s, char *key, size_t size)
{
	int n;

	n = snprintf(key, size, "%s|%s|%u", s->host.name, s->ip,
	    (unsigned)s->host.port);
	if (n < 0 || (size_t)n >= size)
		key[0] = '\0';
}

static struct smtpout_resume *
smtpout_resume_find(const struct smtpout_sess *s, int make)
{
	char key[sizeof(smtpout_resumes[0].key)];
	struct smtpout_resume *r, *old = &smtpout_resumes[0];
	size_t i;

	smtpout_resume_key(s, key, sizeof(key));
	if (key[0] == '\0')
		return NULL;
	for (i = 0; i < SMTPOUT_RESUME_MAX; i++) {
		r = &smtpout_resumes[i];
		if (r->data.data != NULL && strcmp(r->key, key) == 0)
			return r;
		if (r->used < old->used)
			old = r;
	}
	if (!make)
		return NULL;
	if (old->data.data != NULL) {
		gnutls_free(old->data.data);
		old->data.data = NULL;
		old->data.size = 0;
	}
	(void)strlcpy(old->key, key, sizeof(old->key));
	return old;
}

static void
smtpout_resume_save(struct smtpout_sess *s)
{
	struct smtpout_resume *r;
	gnutls_datum_t d;

	if (tls_client_session_data(s->tls, &d) == -1)
		return;
	if ((r = smtpout_resume_find(s, 1)) == NULL) {
		gnutls_free(d.data);
		return;
	}
	if (r->data.data != NULL)
		gnutls_free(r->data.data);
	r->data = d;
	r->used = ++smtpout_resume_clock;
}

void
smtpout_resume_free(void)
{
	size_t i;

	for (i = 0; i < SMTPOUT_RESUME_MAX; i++)
		if (smtpout_resumes[i].data.data != NULL) {
			gnutls_free(smtpout_resumes[i].data.data);
			smtpout_resumes[i].data.data = NULL;
		}
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

static void
smtpout_sess_arm(struct smtpout_sess *s, unsigned secs);

static void
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

static void
smtpout_sess_where(const struct smtpout_sess *s, struct smtpout_where *w)
{
	w->mx = s->host.name;
	w->ip = s->ip;
	w->policy = s->host.requirement == IPC_REQ_CLEARTEXT_OK ?
	    "cleartext-ok" : s->host.policy;
	w->policy_src = s->host.policy_src;
	w->tl = &s->tl;
}

/*
 * The host failed before MAIL: remember why, close, try the next
 * address. Returns -1 (s is gone).
 */
static int
smtpout_sess_hostfail(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_job *job = s->job;
	struct smtpout_fail f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	(void)strlcpy(f.host, s->host.name, sizeof(f.host));
	(void)strlcpy(f.ip, s->ip, sizeof(f.ip));
	f.port = s->host.port;
	(void)strlcpy(f.detail, detail, sizeof(f.detail));
	(void)strlcpy(f.policy, s->host.requirement == IPC_REQ_CLEARTEXT_OK ?
	    "cleartext-ok" : s->host.policy, sizeof(f.policy));
	(void)strlcpy(f.policy_src, s->host.policy_src, sizeof(f.policy_src));
	f.tl = s->tl;
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
static int
smtpout_sess_abort(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_proto_hostfail hf = { kind, s->host.name, s->ip,
	    s->host.port, detail };
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
static int
smtpout_sess_failed(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	if (s->job == NULL || s->state >= SMTPOUT_S_RSET) {
		smtpout_sess_free(s);
		return -1;
	}
	if (smtpout_pre_mail(s))
		return smtpout_sess_hostfail(s, kind, detail);
	return smtpout_sess_abort(s, kind, detail);
}

static void
smtpout_sess_timeout(void *arg)
{
	struct smtpout_sess *s = arg;

	if (s->state == SMTPOUT_S_IDLE) {
		/* reuse time over */
		if (buf_puts(&s->out, "QUIT\r\n") == -1) {
			smtpout_sess_free(s);
			return;
		}
		s->state = SMTPOUT_S_QUIT;
		smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
		(void)smtpout_sess_update(s);
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

static void
smtpout_sess_arm(struct smtpout_sess *s, unsigned secs)
{
	loop_timer_set(s->so->child.loop, &s->timer, (uint64_t)secs * 1000,
	    smtpout_sess_timeout, s);
}

/* Queues a command line (CRLF added). Returns 0, or -1 (s is gone). */
static int
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
	(void)strlcpy(s->domain, job->j.domain, sizeof(s->domain));
	(void)strlcpy(s->tl.tls, "none", sizeof(s->tl.tls));
	(void)strlcpy(s->tl.verify, "none", sizeof(s->tl.verify));
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
	(void)strlcpy(f.host, h->name, sizeof(f.host));
	f.port = h->port;
	(void)strlcpy(f.detail, detail, sizeof(f.detail));
	(void)strlcpy(f.policy, h->policy, sizeof(f.policy));
	(void)strlcpy(f.policy_src, h->policy_src, sizeof(f.policy_src));
	(void)strlcpy(f.tl.tls, "none", sizeof(f.tl.tls));
	(void)strlcpy(f.tl.verify, "none", sizeof(f.tl.verify));
	smtpout_job_fail(job, &f);
}

/* Tries the next address of the plan; defers everything when none is left. */
static void
smtpout_next(struct smtpout_job *job)
{
	const struct ipc_plan_host *h;
	struct smtpout_proto_hostfail hf;
	struct smtpout_where w;
	struct reason why;
	char failure[64];

	while (job->host_i < job->nhosts) {
		h = &job->hosts[job->host_i];
		if (job->addr_i == 0 && (h->requirement == IPC_REQ_DANE ||
		    h->requirement == IPC_REQ_DANE_ONLY ||
		    h->requirement == IPC_REQ_MTA_STS)) {
			/* never anything weaker instead (doc/design.md §1.1) */
			smtpout_host_skip(job, h, SMTPOUT_PROTO_F_UNIMPLEMENTED,
			    "requirement not implemented");
			job->host_i++;
			continue;
		}
		if (h->naddr == 0) {
			smtpout_host_skip(job, h, SMTPOUT_PROTO_F_NOADDR,
			    h->text);
			job->host_i++;
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
	smtpout_proto_fail_reason(&hf, &why, failure);
	w.mx = job->best.host;
	w.ip = job->best.ip;
	w.policy = job->best.policy;
	w.policy_src = job->best.policy_src;
	w.tl = job->best.tl.tls[0] != '\0' ? &job->best.tl : NULL;
	smtpout_job_all(job, IPC_OUT_DEFERRED, why.code, why.dsn, why.text,
	    failure, &w);
	smtpout_job_end(job);
}

void
smtpout_deliver(struct smtpout_job *job)
{
	struct smtpout_sess *s;
	uint32_t i;

	for (s = job->so->sessions; s != NULL; s = s->next) {
		if (s->state != SMTPOUT_S_IDLE || s->job != NULL ||
		    strcmp(s->domain, job->j.domain) != 0)
			continue;
		for (i = 0; i < job->nhosts; i++) {
			const struct ipc_plan_host *h = &job->hosts[i];

			if (strcasecmp(h->name, s->host.name) != 0 ||
			    h->port != s->host.port ||
			    h->requirement != s->verdict_req ||
			    h->auth != s->host.auth)
				continue;
			/* the new plan's words for the same host and proof */
			loop_timer_cancel(s->so->child.loop, &s->timer);
			(void)strlcpy(s->host.policy, h->policy,
			    sizeof(s->host.policy));
			(void)strlcpy(s->host.policy_src, h->policy_src,
			    sizeof(s->host.policy_src));
			s->job = job;
			job->sess = s;
			log_debug("%s: reusing the connection to %s[%s] for %s",
			    s->so->child.title, s->host.name, s->ip, job->j.id);
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

/* ---- I/O ---- */

/* Sends what is in out. Returns 0 (*blocked when it must wait) or -1. */
static int
smtpout_sess_flush(struct smtpout_sess *s, int *blocked, int *progress)
{
	enum tls_io io;
	ssize_t n;

	*blocked = 0;
	while (s->out.len > 0) {
		if (s->tls_active) {
			n = tls_write(s->tls, s->out.data, s->out.len, &io);
			if (n < 0) {
				if (io == TLS_IO_ERROR)
					return -1;
				*blocked = 1;
				return 0;
			}
		} else {
			n = send(s->fd, s->out.data, s->out.len, MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					*blocked = 1;
					return 0;
				}
				return -1;
			}
		}
		buf_consume(&s->out, (size_t)n);
		*progress = 1;
	}
	return 0;
}

/*
 * Tops out up with dot-stuffed content, and the end of data after the
 * last octet. Returns 0, or -1 (s is gone) when the content cannot be
 * read: the connection is dropped without the end of data, so the peer
 * never takes a cut message.
 */
static int
smtpout_sess_fill(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	uint64_t left;
	size_t want, n;
	ssize_t r;

	while (!s->end_queued && s->out.len < SMTPOUT_CHUNK) {
		left = job->j.size - s->off;
		if (left == 0) {
			n = smtpout_proto_dot_end(&s->dot, smtpout_encoded);
			if (buf_append(&s->out, smtpout_encoded, n) == -1)
				return smtpout_sess_abort(s,
				    SMTPOUT_PROTO_F_LOST, "buffering data");
			s->end_queued = 1;
			break;
		}
		want = left < SMTPOUT_CHUNK ? (size_t)left : SMTPOUT_CHUNK;
		do {
			r = pread(job->fd, smtpout_scratch, want,
			    (off_t)s->off);
		} while (r == -1 && errno == EINTR);
		if (r <= 0) {
			log_warnx("%s: %s: cannot read the content at %llu: %s",
			    s->so->child.title, job->j.id,
			    (unsigned long long)s->off,
			    r == 0 ? "file too short" : strerror(errno));
			smtpout_job_all(job, IPC_OUT_DEFERRED, 451, "4.3.0",
			    "cannot read the message content", "",
			    &(struct smtpout_where){ "", "", "", "", NULL });
			smtpout_job_end(job);
			smtpout_sess_free(s);
			return -1;
		}
		s->off += (uint64_t)r;
		n = smtpout_proto_dot_encode(&s->dot, smtpout_scratch,
		    (size_t)r, smtpout_encoded);
		if (buf_append(&s->out, smtpout_encoded, n) == -1)
			return smtpout_sess_abort(s, SMTPOUT_PROTO_F_LOST,
			    "buffering data");
	}
	return 0;
}

/* Flushes out (and streams DATA), then sets the events s waits for. */
static int
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
		if (room > sizeof(smtpout_scratch))
			room = sizeof(smtpout_scratch);
		if (s->tls_active) {
			n = tls_read(s->tls, smtpout_scratch, room, &io);
			if (n < 0)
				return io == TLS_IO_ERROR ? -1 : 0;
		} else {
			n = recv(s->fd, smtpout_scratch, room, 0);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return 0;
				return -1;
			}
		}
		if (n == 0)
			return 1;
		if (buf_append(&s->in, smtpout_scratch, (size_t)n) == -1)
			return -1;
		if (!s->tls_active && (size_t)n < room)
			return 0;
	}
}

/* ---- replies ---- */

/*
 * The reply in acc as one printable text (lines joined by SP, the
 * enhanced status code of each line left out) and its dsn ("" if none).
 */
static void
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
	(void)snprintf(out, size, "%d%s%s %s", acc->code, dsn[0] ? " " : "",
	    dsn, text);
}

/* Outcome of a reply code for recipients. */
static int
smtpout_outcome(int code)
{
	if (code >= 200 && code < 300)
		return IPC_OUT_SENT;
	return code >= 500 ? IPC_OUT_BOUNCED : IPC_OUT_DEFERRED;
}

/* Sets rc's result from the current reply. */
static void
smtpout_rcpt_reply(struct smtpout_sess *s, struct smtpout_rcpt *rc,
    int outcome)
{
	struct smtpout_where w;
	char dsn[16], text[512];

	smtpout_reply_text(&s->acc, dsn, text, sizeof(text));
	smtpout_sess_where(s, &w);
	smtpout_job_rcpt(s->job, rc, outcome, s->acc.code, dsn, text, "", &w);
}

/* The job on s is over; keep s for reuse, or say goodbye. */
static int
smtpout_sess_after(struct smtpout_sess *s)
{
	const struct conf *c = s->so->conf;

	if (s->job != NULL)
		smtpout_job_end(s->job);
	if (s->verdict == SMTPOUT_V_PASSED && c->smtpout_reuse_time > 0 &&
	    s->nmsgs < c->smtpout_reuse_limit) {
		if (smtpout_sess_cmd(s, "RSET") == -1)
			return -1;
		s->state = SMTPOUT_S_RSET;
	} else {
		if (smtpout_sess_cmd(s, "QUIT") == -1)
			return -1;
		s->state = SMTPOUT_S_QUIT;
	}
	smtpout_sess_arm(s, c->smtpout_command_timeout);
	return 0;
}

/*
 * THE GATE (doc/design.md §1.1: no downgrade path exists in code): the
 * only function that writes MAIL FROM. It opens only when the check of
 * the finished session against this host's requirement passed (or the
 * requirement is cleartext-ok and the cleartext branch set the verdict)
 * for exactly the requirement the host has now, and only inside TLS
 * unless that requirement is IPC_REQ_CLEARTEXT_OK. Anything else is a
 * bug: fatalx, never a message sent. tests/lint/mailgate proves that no
 * other code writes the command. Returns 0, or -1 (s is gone).
 */
static int
smtpout_gate_mail(struct smtpout_sess *s)
{
	struct smtpout_proto_mail m;
	struct smtpout_job *job = s->job;
	char params[512];

	if (job == NULL || s->verdict != SMTPOUT_V_PASSED ||
	    s->verdict_req != s->host.requirement)
		fatalx("%s: gate: MAIL without a passed check for %s[%s]",
		    s->so->child.title, s->host.name, s->ip);
	if (!s->tls_active && s->host.requirement != IPC_REQ_CLEARTEXT_OK)
		fatalx("%s: gate: MAIL outside TLS to %s[%s] under requirement "
		    "%d", s->so->child.title, s->host.name, s->ip,
		    s->host.requirement);
	memset(&m, 0, sizeof(m));
	m.size = job->j.size;
	m.body8 = job->j.body == ENVELOPE_BODY_8BITMIME;
	m.smtputf8 = job->j.smtputf8;
	m.requiretls = job->j.requiretls;
	m.ret = job->j.ret;
	m.envid = job->j.envid;
	if (smtpout_proto_mail_params(params, sizeof(params), &m,
	    s->ehlo.ext) == -1)
		fatalx("%s: MAIL parameters too long", s->so->child.title);
	return smtpout_sess_cmd(s, "MAIL FROM:<%s>%s", job->j.from, params);
}

/* Queues RCPT number i (0-based). Returns 0 or -1 (s is gone). */
static int
smtpout_send_rcpt(struct smtpout_sess *s, uint32_t i)
{
	struct smtpout_rcpt *rc = &s->job->rcpt[i];
	char line[SMTP_PROTO_LINE_MAX_EXT + 8];
	int n;

	n = smtpout_proto_rcpt(line, sizeof(line), rc->r.addr, rc->r.notify,
	    rc->r.orcpt, s->ehlo.ext);
	if (n < 0)
		fatalx("%s: RCPT too long", s->so->child.title);
	line[n - 2] = '\0';		/* smtpout_sess_cmd adds the CRLF */
	return smtpout_sess_cmd(s, "%s", line);
}

/*
 * Session checked, EHLO (and AUTH) done: what the job needs of the peer,
 * then the gate, then the recipients. Returns 0 or -1 (s is gone).
 */
static int
smtpout_sess_ready(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	struct smtpout_where w;
	uint32_t i;

	if (job == NULL)
		return smtpout_sess_after(s);
	smtpout_sess_where(s, &w);
	if (job->j.requiretls && !(s->ehlo.ext & SMTPOUT_PROTO_REQUIRETLS))
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_REQUIRETLS,
		    "REQUIRETLS not offered");
	if ((s->ehlo.ext & SMTPOUT_PROTO_SIZE) && s->ehlo.size > 0 &&
	    job->j.size > s->ehlo.size) {
		char text[400];

		(void)snprintf(text, sizeof(text), "message size %llu exceeds "
		    "size limit %llu of host %s", (unsigned long long)
		    job->j.size, (unsigned long long)s->ehlo.size,
		    s->host.name);
		smtpout_job_all(job, IPC_OUT_BOUNCED, 552, "5.3.4", text, "",
		    &w);
		return smtpout_sess_after(s);
	}
	if (job->j.smtputf8 && !(s->ehlo.ext & SMTPOUT_PROTO_SMTPUTF8)) {
		char text[400];

		(void)snprintf(text, sizeof(text), "SMTPUTF8 is required, "
		    "but was not offered by host %s", s->host.name);
		smtpout_job_all(job, IPC_OUT_BOUNCED, 553, "5.6.7", text, "",
		    &w);
		return smtpout_sess_after(s);
	}
	s->state = SMTPOUT_S_TXN;
	s->txn_sent = s->txn_answered = 0;
	s->mail_failed = 0;
	s->naccepted = 0;
	s->nmsgs++;
	if (smtpout_gate_mail(s) == -1)
		return -1;
	s->txn_sent = 1;
	if (s->ehlo.ext & SMTPOUT_PROTO_PIPELINING) {
		for (i = 0; i < job->nrcpt; i++)
			if (smtpout_send_rcpt(s, i) == -1)
				return -1;
		s->txn_sent += job->nrcpt;
	}
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return 0;
}

/* AUTH inside TLS (RFC 4954), or straight to the transaction. */
static int
smtpout_sess_auth(struct smtpout_sess *s)
{
	char raw[2 * SMTPOUT_PROTO_CRED_MAX + 2];
	char b64[sizeof(raw) * 4 / 3 + 8];
	size_t ul, pl;
	size_t i;
	int r;

	s->cred = NULL;
	if (s->host.auth)
		for (i = 0; i < s->so->ncreds; i++) {
			const struct smtpout_proto_cred *c = &s->so->creds[i];

			if (strcasecmp(c->host, s->host.name) == 0 &&
			    (c->port == 0 || c->port == s->host.port)) {
				s->cred = c;
				break;
			}
		}
	if (s->cred == NULL)
		return smtpout_sess_ready(s);
	if (!s->tls_active)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_AUTH,
		    "credentials are never sent outside TLS");
	if (!(s->ehlo.ext & SMTPOUT_PROTO_AUTH))
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_AUTH,
		    "AUTH not offered");
	if (s->ehlo.auth & SMTPOUT_PROTO_AUTH_PLAIN) {
		ul = strlen(s->cred->user);
		pl = strlen(s->cred->pass);
		raw[0] = '\0';
		memcpy(raw + 1, s->cred->user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, s->cred->pass, pl);
		if (smtpout_proto_base64(b64, sizeof(b64), raw, 2 + ul + pl) ==
		    -1)
			fatalx("%s: AUTH PLAIN too long", s->so->child.title);
		r = smtpout_sess_cmd(s, "AUTH PLAIN %s", b64);
		explicit_bzero(raw, sizeof(raw));
		explicit_bzero(b64, sizeof(b64));
		if (r == -1)
			return -1;
		s->state = SMTPOUT_S_AUTH;
	} else if (s->ehlo.auth & SMTPOUT_PROTO_AUTH_LOGIN) {
		if (smtpout_sess_cmd(s, "AUTH LOGIN") == -1)
			return -1;
		s->state = SMTPOUT_S_AUTH_USER;
	} else
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_AUTH,
		    "no AUTH mechanism in common (PLAIN, LOGIN)");
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return 0;
}

/* Sends one secret for AUTH LOGIN as base64. */
static int
smtpout_sess_login(struct smtpout_sess *s, const char *secret,
    enum smtpout_state next)
{
	char b64[SMTPOUT_PROTO_CRED_MAX * 4 / 3 + 8];
	int r;

	if (smtpout_proto_base64(b64, sizeof(b64), secret, strlen(secret)) ==
	    -1)
		fatalx("%s: AUTH LOGIN too long", s->so->child.title);
	r = smtpout_sess_cmd(s, "%s", b64);
	explicit_bzero(b64, sizeof(b64));
	if (r == -1)
		return -1;
	s->state = next;
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return 0;
}

/*
 * Checks the finished TLS session against the host's requirement before
 * anything else is sent (doc/design.md §1.1). Only here, and in the
 * cleartext-ok branch, is the verdict set. Returns 0 or -1 (s is gone).
 */
static int
smtpout_sess_check(struct smtpout_sess *s)
{
	unsigned char cert[32], spki[32];
	const char *detail = "";
	uint32_t i;
	int have = tls_peer_sha256(s->tls, cert, spki) == 0;

	switch (s->host.requirement) {
	case IPC_REQ_CLEARTEXT_OK:
	case IPC_REQ_ENCRYPT:
		/* TLS 1.2+ is all the priority string allows */
		break;
	case IPC_REQ_VERIFY:
		switch (tls_client_verify(s->tls, s->host.name, &detail)) {
		case TLS_VERIFY_OK:
			break;
		case TLS_VERIFY_EXPIRED:
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_EXPIRED, detail);
		case TLS_VERIFY_HOSTNAME:
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_HOSTNAME, detail);
		default:
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_UNTRUSTED, detail);
		}
		break;
	case IPC_REQ_FINGERPRINT:
		for (i = 0; have && i < s->host.nfp; i++)
			if (memcmp(s->host.fp[i], cert, 32) == 0 ||
			    memcmp(s->host.fp[i], spki, 32) == 0)
				break;
		if (!have || i == s->host.nfp)
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_FINGERPRINT, "no digest matches");
		break;
	default:
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_UNIMPLEMENTED,
		    "requirement not implemented");
	}
	s->verdict = SMTPOUT_V_PASSED;
	s->verdict_req = s->host.requirement;
	return 0;
}

/* The handshake finished: facts, the check, EHLO again. */
static int
smtpout_sess_tls_done(struct smtpout_sess *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char cert[32], spki[32];
	struct tls_facts f;
	size_t i;

	s->tls_active = 1;
	tls_session_facts(s->tls, &f);
	(void)strlcpy(s->tl.tls, f.version, sizeof(s->tl.tls));
	(void)strlcpy(s->tl.cipher, f.cipher, sizeof(s->tl.cipher));
	(void)strlcpy(s->tl.verify, s->host.requirement == IPC_REQ_VERIFY ?
	    "pkix" : s->host.requirement == IPC_REQ_FINGERPRINT ?
	    "fingerprint" : "none", sizeof(s->tl.verify));
	if (tls_peer_sha256(s->tls, cert, spki) == 0) {
		for (i = 0; i < 32; i++) {
			s->tl.cert[2 * i] = hex[cert[i] >> 4];
			s->tl.cert[2 * i + 1] = hex[cert[i] & 15];
		}
		s->tl.cert[64] = '\0';
	}
	log_debug("%s: TLS with %s[%s]: %s %s (%u bits) %s%s",
	    s->so->child.title, s->host.name, s->ip, f.version, f.cipher,
	    f.bits, f.group, f.resumed ? " resumed" : "");
	if (smtpout_sess_check(s) == -1)
		return -1;
	/* RFC 3207 §4.2: forget everything the first EHLO said */
	memset(&s->ehlo, 0, sizeof(s->ehlo));
	if (smtpout_sess_cmd(s, "EHLO %s", s->so->conf->hostname) == -1)
		return -1;
	s->state = SMTPOUT_S_EHLO_TLS;
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return 0;
}

static int
smtpout_sess_handshake(struct smtpout_sess *s)
{
	const char *why = NULL;
	enum tls_io io;

	io = tls_handshake(s->tls, &why);
	if (io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE)
		return 0;
	if (io == TLS_IO_ERROR)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_TLS,
		    why != NULL ? why : "handshake failed");
	return smtpout_sess_tls_done(s);
}

/* The 220 to STARTTLS: nothing may follow it in cleartext. */
static int
smtpout_sess_starttls(struct smtpout_sess *s)
{
	struct smtpout_resume *r;
	char c;

	if (s->in.len > 0 || recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_INJECTED,
		    "plaintext injected after STARTTLS");
	r = smtpout_resume_find(s, 0);
	s->tls = tls_client_session(&s->so->tls, s->fd, s->host.name,
	    r != NULL ? &r->data : NULL);
	if (s->tls == NULL)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_TLS,
		    "cannot start TLS");
	s->state = SMTPOUT_S_HANDSHAKE;
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return smtpout_sess_handshake(s);
}

/* The transaction's replies, in the order of MAIL and the RCPTs. */
static int
smtpout_sess_txn(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	uint32_t k = s->txn_answered++;
	int out = smtpout_outcome(s->acc.code);

	if (k == 0) {
		if (out != IPC_OUT_SENT) {
			s->mail_failed = 1;
			{
				uint32_t i;

				for (i = 0; i < job->nrcpt; i++)
					smtpout_rcpt_reply(s, &job->rcpt[i],
					    out);
			}
		}
	} else if (!s->mail_failed && k - 1 < job->nrcpt) {
		if (out == IPC_OUT_SENT) {
			job->rcpt[k - 1].accepted = 1;
			s->naccepted++;
		} else
			smtpout_rcpt_reply(s, &job->rcpt[k - 1], out);
	}
	if (!s->mail_failed && s->txn_sent < job->nrcpt + 1 &&
	    s->txn_answered == s->txn_sent) {
		if (smtpout_send_rcpt(s, s->txn_sent - 1) == -1)
			return -1;
		s->txn_sent++;
	}
	if (s->txn_answered < s->txn_sent) {
		/*
		 * RFC 5321 §4.5.3.2: the timeout is per command; with
		 * PIPELINING each reply that arrives starts the wait for the
		 * next one anew.
		 */
		smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
		return 0;
	}
	if (!s->mail_failed && s->txn_sent < job->nrcpt + 1)
		return 0;
	if (s->mail_failed || s->naccepted == 0)
		return smtpout_sess_after(s);
	if (smtpout_sess_cmd(s, "DATA") == -1)
		return -1;
	s->state = SMTPOUT_S_DATA;
	smtpout_sess_arm(s, s->so->conf->smtpout_data_timeout);
	return 0;
}

/* The final reply to the content: for every accepted recipient. */
static int
smtpout_sess_final(struct smtpout_sess *s)
{
	struct smtpout_job *job = s->job;
	int out = smtpout_outcome(s->acc.code), mid = !s->end_queued ||
	    s->state == SMTPOUT_S_BODY;
	uint32_t i;

	for (i = 0; i < job->nrcpt; i++)
		if (job->rcpt[i].accepted)
			smtpout_rcpt_reply(s, &job->rcpt[i], out);
	if (mid) {
		/* a reply in the middle of the content: out of step */
		smtpout_job_end(job);
		smtpout_sess_free(s);
		return -1;
	}
	return smtpout_sess_after(s);
}

/* One complete reply in s->acc. Returns 0, or -1 (s is gone). */
static int
smtpout_sess_reply(struct smtpout_sess *s)
{
	const struct conf *c = s->so->conf;
	char line[512];
	int code = s->acc.code;
	uint32_t i;

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
		if (s->host.requirement != IPC_REQ_CLEARTEXT_OK)
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_STARTTLS, "");
		/* the cleartext branch: the table allows it for this host */
		s->verdict = SMTPOUT_V_PASSED;
		s->verdict_req = IPC_REQ_CLEARTEXT_OK;
		return smtpout_sess_auth(s);
	case SMTPOUT_S_STARTTLS:
		if (code == 220)
			return smtpout_sess_starttls(s);
		smtpout_reply_line(&s->acc, line, sizeof(line));
		if (s->host.requirement != IPC_REQ_CLEARTEXT_OK)
			return smtpout_sess_hostfail(s,
			    SMTPOUT_PROTO_F_STARTTLS, line);
		s->verdict = SMTPOUT_V_PASSED;
		s->verdict_req = IPC_REQ_CLEARTEXT_OK;
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
		if (code != 354) {
			int out = smtpout_outcome(code);

			if (out == IPC_OUT_SENT)
				out = IPC_OUT_DEFERRED;
			for (i = 0; i < s->job->nrcpt; i++)
				if (s->job->rcpt[i].accepted)
					smtpout_rcpt_reply(s,
					    &s->job->rcpt[i], out);
			return smtpout_sess_after(s);
		}
		s->state = SMTPOUT_S_BODY;
		s->off = 0;
		s->end_queued = 0;
		smtpout_proto_dot_init(&s->dot);
		smtpout_sess_arm(s, c->smtpout_data_timeout);
		return 0;
	case SMTPOUT_S_BODY:
	case SMTPOUT_S_DOT:
		return smtpout_sess_final(s);
	case SMTPOUT_S_RSET:
		if (code != 250) {
			if (smtpout_sess_cmd(s, "QUIT") == -1)
				return -1;
			s->state = SMTPOUT_S_QUIT;
			break;
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
			(void)snprintf(detail, sizeof(detail), "%s",
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
