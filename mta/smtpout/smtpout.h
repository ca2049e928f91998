/*
 * smtpout.h: the SMTP client process (doc/design.md §2): what its two
 * layers share. smtpout_main.c (top) takes jobs from the queue and plans
 * from the policy process (and caches plans), reports one result per
 * recipient and the `out` line (doc/design.md §9); the session layer
 * (bottom) runs one SMTP connection (RFC 5321, STARTTLS RFC 3207) under a
 * host's requirement, in three files: smtpout_session.c (connection, I/O,
 * timers, reply dispatch), smtpout_tls.c (STARTTLS, handshake, the check,
 * resumption, AUTH) and smtpout_txn.c (the one function that may write
 * MAIL FROM, doc/design.md §1.1, and the rest of the transaction).
 * The session layer calls up only through the smtpout_job_* functions.
 * Linked by the smtpout binary.
 */
#ifndef SEALPOST_SMTPOUT_H
#define SEALPOST_SMTPOUT_H

#include <stdint.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "ipc_msg.h"
#include "lib/buf.h"
#include "lib/child.h"
#include "lib/tls.h"
#include "policy/tlsrpt.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_proto.h"
#include "smtpout_proto.h"

#define SMTPOUT_IN_MAX		(64 * 1024)	/* unparsed reply bytes */
#define SMTPOUT_OUT_MAX		(256 * 1024)	/* commands and DATA */
#define SMTPOUT_CHUNK		(16 * 1024)	/* content read per pread */
#define SMTPOUT_RESUME_MAX	256		/* cached TLS sessions */

/* What the out line says about a session's TLS (doc/design.md §9). */
struct smtpout_tlslog {
	char	tls[16];	/* "TLSv1.3" or "none" */
	char	cipher[64];
	char	verify[16];	/* pkix, fingerprint, none */
	char	cert[65];	/* hex SHA-256 of the leaf, or "" */
	char	fail[64];	/* MTA-STS testing: the check's failure,
				   reported on the out line, not enforced */
	char	would_defer[64];	/* audit-only: the RFC 8460 type of
				   what would have deferred the host, or ""
				   (doc/design.md §8) */
};

/* Where a result came from, for the result and the out line. */
struct smtpout_where {
	const char			*mx;	/* "" when no host */
	const char			*ip;
	const char			*policy;
	const char			*policy_src;
	const struct smtpout_tlslog	*tl;	/* NULL: no session */
	int				 nodsn;	/* the host did not offer
						   DSN (ipc_out_result) */
};

/* The most meaningful host failure of a job so far. */
struct smtpout_fail {
	enum smtpout_proto_fail	kind;
	char			host[IPC_DOMAIN_MAX + 1];
	char			ip[64];
	unsigned		port;
	char			detail[512];
	char			failure[64];	/* F_POLICY, F_TLSA */
	char			policy[16];
	char			policy_src[16];
	struct smtpout_tlslog	tl;
};

struct smtpout_rcpt {
	struct ipc_out_rcpt	r;
	int			accepted;	/* RCPT got 2xx */
	int			done;		/* res is final */
	struct ipc_out_result	res;
};

enum smtpout_job_state {
	SMTPOUT_J_RCPTS,	/* waiting for the recipients */
	SMTPOUT_J_PLAN,		/* waiting for IPC_PLAN */
	SMTPOUT_J_HOSTS,	/* waiting for its IPC_PLAN_HOSTs */
	SMTPOUT_J_RUN,		/* delivering */
};

struct smtpout;
struct smtpout_sess;

struct smtpout_job {
	struct smtpout_job	*next, *prev;
	struct smtpout		*so;
	struct ipc_out_job	 j;
	int			 fd;		/* content, read-only */
	uint32_t		 gen;		/* queue channel it came on */
	struct smtpout_rcpt	*rcpt;
	uint32_t		 nrcpt;		/* received so far */
	enum smtpout_job_state	 state;
	uint64_t		 req;		/* plan request, 0: not sent */
	struct ipc_plan		 plan;
	struct ipc_plan_host	*hosts;
	uint32_t		 nhosts;	/* received so far */
	struct buf		 tlsa;		/* IPC_PLAN_TLSA payloads, each
						   after its uint32_t length */
	uint32_t		 tlsa_want;	/* still due for the last host */
	struct loop_timer	 timer;		/* the plan's timeout */
	uint32_t		 host_i, addr_i;	/* next to try */
	struct smtpout_fail	 best;
	struct smtpout_sess	*sess;
	/* a requeue forgot the domain's plans while this job's plan was
	   asked for: that plan serves the job, is not kept */
	int			 plan_forgotten;
};

enum smtpout_state {
	SMTPOUT_S_CONNECT,
	SMTPOUT_S_GREETING,
	SMTPOUT_S_EHLO,		/* before TLS */
	SMTPOUT_S_STARTTLS,
	SMTPOUT_S_HANDSHAKE,
	SMTPOUT_S_EHLO_TLS,	/* the EHLO inside TLS */
	SMTPOUT_S_AUTH,		/* PLAIN, or LOGIN's last step */
	SMTPOUT_S_AUTH_USER,	/* LOGIN: 334 for the user name */
	SMTPOUT_S_AUTH_PASS,	/* LOGIN: 334 for the password */
	SMTPOUT_S_TXN,		/* MAIL and RCPT replies */
	SMTPOUT_S_DATA,		/* 354 */
	SMTPOUT_S_BODY,		/* sending the content */
	SMTPOUT_S_DOT,		/* the final reply */
	SMTPOUT_S_RSET,
	SMTPOUT_S_IDLE,		/* kept for the next job (reuse) */
	SMTPOUT_S_QUIT,
};

/*
 * The requirement check's verdict. PASSED opens the gate; AUDIT (set by
 * smtpout_sess_audit alone) opens it only for a host whose plan says
 * audit-only, and only inside TLS unless the plan also says cleartext-ok
 * (doc/design.md §1.1, §8).
 */
enum smtpout_verdict {
	SMTPOUT_V_NONE = 0,
	SMTPOUT_V_PASSED,
	SMTPOUT_V_AUDIT,	/* the check failed, tolerated: would_defer */
};

struct smtpout_sess {
	struct smtpout_sess	*next, *prev;
	struct smtpout		*so;
	int			 fd;
	enum smtpout_state	 state;
	uint32_t		 events;
	gnutls_session_t	 tls;
	int			 tls_active;
	struct buf		 in, out;
	struct smtp_proto_reply_acc acc;
	struct loop_timer	 timer;
	struct ipc_plan_host	 host;		/* the plan's host entry */
	char			 ip[64];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct smtpout_proto_ehlo ehlo;
	enum smtpout_verdict	 verdict;	/* set by the check only */
	int			 verdict_req;	/* requirement it was for */
	char			 fail_type[64];	/* F_TLSA: the RFC 8460 type
						   of the DANE check's failure */
	struct smtpout_tlslog	 tl;
	const struct smtpout_proto_cred *cred;
	struct smtpout_job	*job;		/* NULL while idle */
	char			 domain[IPC_DOMAIN_MAX + 1];	/* reuse key */
	/* made under a plan a requeue forgot: QUIT after its job, never
	   taken again */
	int			 noreuse;
	unsigned		 nmsgs;		/* messages sent on it */
	/* the transaction: item 0 is MAIL, 1..nrcpt the RCPTs */
	uint32_t		 txn_sent, txn_answered;
	int			 mail_failed;
	uint32_t		 naccepted;
	/* DATA */
	uint64_t		 off;
	struct smtp_client_dot dot;
	int			 end_queued;
};

/* The plan cache (smtpout_plan.c). */
#define SMTPOUT_PLANS_MAX	10000		/* domains */
#define SMTPOUT_PLAN_TTL_MAX	3600		/* seconds */
#define SMTPOUT_PLAN_BUCKETS	4096

struct smtpout_plan_entry;

struct smtpout_plancache {
	struct smtpout_plan_entry	**buckets;	/* NULL until used */
	struct smtpout_plan_entry	*oldest, *newest;
	size_t				 n;
};

struct smtpout {
	struct child		 child;
	const struct conf	*conf;
	struct ipc_chan		 queue, plan;
	int			 have_queue, have_plan;
	uint32_t		 queue_gen;
	struct tls_client	 tls;
	struct smtpout_job	*jobs;
	struct smtpout_sess	*sessions;
	uint64_t		 next_req;
	struct smtpout_proto_cred *creds;
	size_t			 ncreds;
	struct smtpout_plancache plans;
	struct tlsrpt_seen	 tlsrpt_seen;	/* refusals counted lately
						   (doc/design.md §8) */
};

/* ---- main (smtpout_main.c): the job side ---- */

/*
 * Sets the result of one recipient (once; a later call for a recipient
 * that is done is ignored). code/dsn/text are the peer's reply or ours;
 * failure the RFC 8460 result type or "".
 */
void	smtpout_job_rcpt(struct smtpout_job *, struct smtpout_rcpt *,
	    int outcome, int code, const char *dsn, const char *text,
	    const char *failure, const struct smtpout_where *);
/* Gives every recipient without a result this one; as smtpout_job_rcpt. */
void	smtpout_job_all(struct smtpout_job *, int outcome, int code,
	    const char *dsn, const char *text, const char *failure,
	    const struct smtpout_where *);
/*
 * Ends the job: sends every result (a recipient still without one is
 * deferred), logs the out lines, sends IPC_OUT_DONE, closes the content
 * and frees the job. Detaches it from its session first.
 */
void	smtpout_job_end(struct smtpout_job *);
/* Remembers f when it says more than the job's best failure so far. */
void	smtpout_job_fail(struct smtpout_job *, const struct smtpout_fail *);

/* ---- the plan cache (smtpout_plan.c) ---- */

/*
 * Looks up a plan kept for domain and the REQUIRETLS flag. Returns 1 with
 * *plan filled and *hosts a new array of plan->nhosts entries (the
 * caller's, to free), or 0 when none is kept or it expired (then
 * dropped). fatal() when out of memory.
 */
int	smtpout_plan_get(struct smtpout_plancache *, const char *domain,
	    int requiretls, struct ipc_plan *plan,
	    struct ipc_plan_host **hosts, struct buf *tlsa);
/*
 * Keeps a copy of a complete plan and its hosts for min(ttl, 1 hour),
 * replacing one for the same key; evicts the oldest entry past 10,000.
 * A plan that is not IPC_PLAN_OK, has no host or a ttl of 0 is ignored.
 */
void	smtpout_plan_put(struct smtpout_plancache *, const char *domain,
	    int requiretls, const struct ipc_plan *plan,
	    const struct ipc_plan_host *hosts, const struct buf *tlsa);
/*
 * Tells the policy process that a delivery to domain met requirement
 * (the downgrade memory, doc/design.md §8).
 */
void	smtpout_plan_met(struct smtpout *, const char *domain,
	    int requirement);
/*
 * Tells the policy process the outcome of one TLS session (or of the
 * attempt at one) with host h of job's domain, for the day's TLS report
 * (RFC 8460, doc/design.md §8): failure "" is a success, else the RFC
 * 8460 result type; ip "" when there was no connection. refusal: h was
 * not tried because the policy refused it, counted once per domain,
 * host and type within TLSRPT_SEEN_SECS. tlsrpt_classify decides
 * whether and under which policy; nothing is sent without a channel.
 */
void	smtpout_plan_session(struct smtpout *, const struct smtpout_job *,
	    const struct ipc_plan_host *h, const char *ip,
	    const char *failure, int refusal);
/* Drops every kept plan (a new policy channel). */
void	smtpout_plan_clear(struct smtpout_plancache *);
/*
 * Drops the plans kept for domain (lower case, as the queue sends it),
 * with and without REQUIRETLS: sealpost requeue. Returns how many were
 * dropped (0 when none was kept: forgetting twice is harmless).
 */
size_t	smtpout_plan_forget(struct smtpout_plancache *,
	    const char *domain);

/* ---- session (smtpout_session.c) ---- */

/*
 * Starts or continues the delivery of a job whose plan is complete: an
 * idle session that fits is taken, else the next address of the plan is
 * connected; when none is left, every recipient is deferred with the
 * best failure and the job ends.
 */
void	smtpout_deliver(struct smtpout_job *);
/* SIGTERM: QUIT to every idle session, best effort. */
void	smtpout_sessions_quit(struct smtpout *);
/*
 * sealpost requeue forgot the plans of domain: its idle sessions get
 * QUIT now, the others (busy with a job, or waiting for RSET's 250)
 * are marked never to be reused, so that they QUIT after their job.
 * A job already attached goes on. Returns how many sessions were
 * concerned.
 */
size_t	smtpout_sessions_forget(struct smtpout *, const char *domain);

/*
 * ---- inside the session layer (smtpout_session.c, smtpout_tls.c,
 * smtpout_txn.c); the job side does not call these ----
 * A function below that "returns -1 (s is gone)" has freed the session
 * (and ended or moved on with its job): the caller must not touch s.
 */

/*
 * smtpout_req.c: what the job's message makes of plan host h. The
 * requirement its session must meet (REQUIRETLS raises encrypt and
 * cleartext-ok to verify, TLS-Required: No lowers DANE, MTA-STS and the
 * memory to the floor); why job may not use h at all (no address, the
 * policy's refusal unless TLS-Required: No or audit-only lifts it,
 * REQUIRETLS without DANE or MTA-STS authentication), or F_NONE; and
 * host (a copy of the plan's) rewritten to say what smtpout_req_for
 * decides, with its policy and policy_src.
 */
int	smtpout_req_for(const struct smtpout_job *job,
	    const struct ipc_plan_host *h);
enum smtpout_proto_fail smtpout_host_refusal(const struct smtpout_job *job,
	    const struct ipc_plan_host *h);
void	smtpout_req_apply(const struct smtpout_job *job,
	    struct ipc_plan_host *host);

/*
 * Text for a log line, a reason or a reply we relay: formats into
 * dst[0..size), always NUL-terminated; a text too long is cut, which is
 * harmless for such text (doc/design.md §10). Returns nothing on purpose.
 */
void	smtpout_text(char *dst, size_t size, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
/*
 * Copies a name that must never be cut (a host name, an address, a
 * domain, a requirement's word) into dst[0..size). The IPC checks make
 * every such source fit, so a source too long is a broken invariant:
 * fatalx naming what. Never returns on failure.
 */
void	smtpout_copy(char *dst, const char *src, size_t size,
	    const char *what);

/* Frees s: timer, socket, TLS; detaches its job (which goes on). */
void	smtpout_sess_free(struct smtpout_sess *);
/* Fills w with s's host, address, policy words and TLS facts. */
void	smtpout_sess_where(const struct smtpout_sess *,
	    struct smtpout_where *);
/* The host failed before MAIL: record why, free s, try the next address
 * of its job. Returns -1 (s is gone). */
int	smtpout_sess_hostfail(struct smtpout_sess *, enum smtpout_proto_fail,
	    const char *detail);
/* A failure after MAIL: the job's open recipients are deferred and it
 * ends. Returns -1 (s is gone). */
int	smtpout_sess_abort(struct smtpout_sess *, enum smtpout_proto_fail,
	    const char *detail);
/* A failure in whatever phase s is (hostfail or abort). Returns -1. */
int	smtpout_sess_failed(struct smtpout_sess *, enum smtpout_proto_fail,
	    const char *detail);
/* (Re)arms s's timer for secs seconds. */
void	smtpout_sess_arm(struct smtpout_sess *, unsigned secs);
/* Queues one command line (CRLF added); fatalx when it cannot fit a
 * line. Returns 0, or -1 (s is gone) when the output buffer is full. */
int	smtpout_sess_cmd(struct smtpout_sess *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Flushes s's output (streaming DATA) and sets the events s waits for.
 * Returns 0, or -1 (s is gone). */
int	smtpout_sess_update(struct smtpout_sess *);
/* The reply in acc as one printable text (lines joined by SP, enhanced
 * status codes left out), cut to size; its dsn ("" if none). */
void	smtpout_reply_text(const struct smtp_proto_reply_acc *, char dsn[16],
	    char *text, size_t size);

/* smtpout_tls.c. Each returns 0, or -1 (s is gone). */
/* The 220 to STARTTLS: the injection check, then the handshake. */
int	smtpout_sess_starttls(struct smtpout_sess *);
/* Drives the handshake; when done, the check and EHLO again. */
int	smtpout_sess_handshake(struct smtpout_sess *);
/*
 * The check (or the missing STARTTLS) failed with kind: under the plan's
 * audit-only, when smtpout_proto_audit allows it, the session goes on
 * with verdict AUDIT, tl.would_defer set (the host's own refusal first)
 * and tl.verify "none"; returns 0. Otherwise the host fails as usual:
 * returns -1 (s is gone). The only place that sets SMTPOUT_V_AUDIT.
 */
int	smtpout_sess_audit(struct smtpout_sess *, enum smtpout_proto_fail kind,
	    const char *detail);
/* AUTH for a host with auth and credentials (TLS only), else on to
 * smtpout_sess_ready. */
int	smtpout_sess_auth(struct smtpout_sess *);
/* AUTH LOGIN: sends one secret as base64, then waits in state next. */
int	smtpout_sess_login(struct smtpout_sess *, const char *secret,
	    enum smtpout_state next);
/* Keeps the resumption data of s's finished handshake. */
void	smtpout_resume_save(struct smtpout_sess *);
/* The cache of TLS sessions for resumption; freed at exit. */
void	smtpout_resume_free(void);

/* smtpout_txn.c. Each returns 0, or -1 (s is gone). */
/* Session checked (and AUTH done): the job's needs, THE GATE, RCPTs. */
int	smtpout_sess_ready(struct smtpout_sess *);
/* A reply to MAIL or one RCPT, in order; DATA when all are in. */
int	smtpout_sess_txn(struct smtpout_sess *);
/* The reply to DATA. */
int	smtpout_sess_data(struct smtpout_sess *);
/* The reply to the end of data (or one in the middle of the content). */
int	smtpout_sess_final(struct smtpout_sess *);
/* Tops the output up with dot-stuffed content and the end of data. */
int	smtpout_sess_fill(struct smtpout_sess *);

#endif
