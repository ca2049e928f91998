/*
 * ipc_msg.h: the message types that sealpost processes exchange over
 * their UNIX socketpairs (doc/design.md §3), and their payloads. Every
 * channel has an allow-list of the types it may receive; anything else
 * is fatal to the receiver. Payloads are fixed-layout structs between
 * processes of the same build (never across hosts), so no byte-order
 * conversion.
 * Included by mta/ (all daemons and the CLI).
 */
#ifndef SEALPOST_IPC_MSG_H
#define SEALPOST_IPC_MSG_H

#include <stdint.h>
#include <sys/types.h>

#define IPC_PAYLOAD_MAX	16384

enum ipc_type {
	IPC_NONE = 0,
	/* master <-> every child */
	IPC_PING,		/* master -> child: are you alive? */
	IPC_PONG,		/* child -> master: struct ipc_pong */
	IPC_DRAIN,		/* master -> smtpin: stop accepting, finish the
				   sessions, exit (graceful reload) */
	IPC_LOG_FD,		/* master -> every child: log_file opened anew
				   (rotation), the fd passed; no payload */
	/* master -> queue and smtpin: a channel between them (fd passed) */
	IPC_QUEUE_CHANNEL,	/* struct ipc_queue_channel + fd */
	IPC_QUEUE_SETTINGS,	/* master -> queue: struct ipc_queue_settings
				   (a reload; the queue keeps running) */
	IPC_QUEUE_LOST,		/* smtpin -> master: my channel to the queue
				   broke, give me a new one; no payload */
	/* smtpin <-> master: connection counting across processes (anvil) */
	IPC_ANVIL_CONNECT,	/* smtpin -> master: struct ipc_anvil */
	IPC_ANVIL_VERDICT,	/* master -> smtpin: struct ipc_anvil */
	IPC_ANVIL_DISCONNECT,	/* smtpin -> master: struct ipc_anvil */
	/* smtpin <-> queue: the commit path of doc/design.md §7 */
	IPC_Q_OPEN,		/* smtpin -> queue: struct ipc_q_open */
	IPC_Q_OPENED,		/* queue -> smtpin: struct ipc_q_result + fd */
	IPC_Q_ENV,		/* smtpin -> queue: struct ipc_q_env + text */
	IPC_Q_COMMIT,		/* smtpin -> queue: struct ipc_q_commit */
	IPC_Q_COMMITTED,	/* queue -> smtpin: struct ipc_q_result */
	IPC_Q_ABORT,		/* smtpin -> queue: struct ipc_q_commit */
	IPC_Q_SPACE,		/* queue -> smtpin: struct ipc_q_space */
	/* sealpost(8) <-> master over the control socket */
	IPC_CTL_STATUS,		/* CLI -> master: list processes */
	IPC_CTL_PROC,		/* master -> CLI: struct ipc_ctl_proc */
	IPC_CTL_END,		/* master -> CLI: end of a listing */
	IPC_CTL_ERROR,		/* master -> CLI: text of an error */
	/* master -> queue + smtpout, smtpout + policy: their channels */
	IPC_OUT_CHANNEL,	/* queue <-> smtpout; struct ipc_link + fd */
	IPC_PLAN_CHANNEL,	/* smtpout <-> policy; struct ipc_link + fd */
	IPC_LOCAL_CHANNEL,	/* queue <-> local; struct ipc_link + fd: the
				   same jobs as to smtpout (IPC_OUT_*) for
				   the recipients of local_domains */
	/* queue <-> smtpout: delivery jobs (doc/design.md §12) */
	IPC_OUT_JOB,		/* queue -> smtpout: struct ipc_out_job + fd */
	IPC_OUT_RCPT,		/* queue -> smtpout: struct ipc_out_rcpt */
	IPC_OUT_RESULT,		/* smtpout -> queue: struct ipc_out_result */
	IPC_OUT_DONE,		/* smtpout -> queue: struct ipc_out_done */
	/* smtpout <-> policy: plans (doc/design.md §8) */
	IPC_PLAN_REQ,		/* smtpout -> policy: struct ipc_plan_req */
	IPC_PLAN,		/* policy -> smtpout: struct ipc_plan */
	IPC_PLAN_HOST,		/* policy -> smtpout: struct ipc_plan_host */
	IPC_PLAN_TLSA,		/* policy -> smtpout: struct ipc_plan_tlsa +
				   the record's data */
	IPC_PLAN_MET,		/* smtpout -> policy: struct ipc_plan_met */
	/* sealpost policy: CLI -> master -> policy, and the answer back */
	IPC_CTL_POLICY,		/* CLI -> master: struct ipc_policy_query */
	IPC_POLICY_QUERY,	/* master -> policy: struct ipc_policy_query */
	IPC_POLICY_TEXT,	/* policy -> master, master -> CLI: struct
				   ipc_policy_text + text */
	/* sealpost queue: CLI -> master -> queue, and batches back */
	IPC_CTL_QUEUE,		/* CLI -> master: struct ipc_queue_query */
	IPC_QUEUE_QUERY,	/* master -> queue: struct ipc_queue_query */
	IPC_QUEUE_ITEM,		/* queue -> master -> CLI: struct
				   ipc_queue_item, then nrcpt frames of
				   the next type */
	IPC_QUEUE_RCPT,		/* queue -> master -> CLI: struct
				   ipc_queue_rcpt */
	IPC_QUEUE_END,		/* queue -> master -> CLI: struct
				   ipc_queue_end, the batch is over */
	IPC_QUEUE_DATA,		/* queue -> master -> CLI: struct
				   ipc_queue_data + items and recipients
				   packed (one datagram for many) */
	IPC_QUEUE_DONE,		/* a record of IPC_QUEUE_DATA only:
				   struct ipc_queue_done */
	IPC_QUEUE_FILE,		/* queue -> master -> CLI: struct
				   ipc_queue_file + fd (sealpost show) */
	/* requeue: forget the plans of a domain (doc/design.md §8) */
	IPC_OUT_FORGET,		/* queue -> smtpout: struct ipc_forget */
	IPC_PLAN_FORGET,	/* smtpout -> policy: struct ipc_forget */
	/* AUTH against Dovecot (doc/design.md §6): smtpin, chrooted and
	   unprivileged, gets its auth-client socket from the master */
	IPC_AUTH_CONNECT,	/* smtpin -> master: connect me to the
				   auth_backend socket; no payload */
	IPC_AUTH_SOCKET,	/* master -> smtpin: struct ipc_auth_socket
				   + the connected fd (none on failure) */
	/* TLS reporting (RFC 8460, doc/design.md §8) */
	IPC_PLAN_SESSION,	/* smtpout -> policy: struct ipc_plan_session */
	IPC_QUEUE_DOMAINS,	/* master -> queue: struct ipc_queue_domains
				   (a reload, before IPC_QUEUE_SETTINGS) */
	IPC_TYPE_MAX		/* must stay <= 64: allow-lists are bitmasks */
};

#define IPC_ALLOW(t)	((uint64_t)1 << (t))

/* IPC_AUTH_SOCKET: 0 with the fd, or connect(2)'s errno without one. */
struct ipc_auth_socket {
	int32_t		error;
};

struct ipc_pong {
	pid_t		pid;
	uint32_t	seq;		/* echoes the ping's sequence number */
};

struct ipc_ping {
	uint32_t	seq;
};

struct ipc_queue_channel {
	uint32_t	instance;	/* the smtpin process it serves (its pid:
					   unique even while an old process of
					   the same instance drains) */
};

/* The keys the queue takes on a reload (it is not restarted). */
struct ipc_queue_settings {
	uint64_t	min_free;	/* queue_min_free */
	uint64_t	bounce_size_limit;
	uint32_t	retry_min;
	uint32_t	retry_max;
	uint32_t	queue_lifetime;
	uint32_t	delay_warning_time;
	uint32_t	queue_active_limit;
	uint32_t	smtpout_concurrency;
	uint32_t	smtpout_destination_concurrency;
	char		bounce_notice_recipient[256];
	int32_t		local_delivery;	/* local_transport is not none */
	char		hostname[256];	/* bounces' and DSNs' host name */
};

/*
 * The domains the local process serves (local_domains, then
 * virtual_alias_domains), in batches: the first batch of a reload has
 * first set, and IPC_QUEUE_SETTINGS then applies them (doc/design.md
 * §2).
 */
#define IPC_QUEUE_DOMAINS_BATCH	60
struct ipc_queue_domains {
	uint32_t	first;		/* 1: a new list begins */
	uint32_t	n;		/* names used, <= the batch */
	char		name[IPC_QUEUE_DOMAINS_BATCH][256];
};
_Static_assert(sizeof(struct ipc_queue_domains) <= IPC_PAYLOAD_MAX,
    "IPC_QUEUE_DOMAINS must fit one frame");

/* Verdicts of the master's connection counter. */
enum ipc_anvil_verdict {
	IPC_ANVIL_OK = 0,
	IPC_ANVIL_TOO_MANY,		/* smtpin_max_connections reached */
	IPC_ANVIL_TOO_MANY_FROM_IP,	/* smtpin_max_connections_per_ip */
};

struct ipc_anvil {
	uint64_t	conn;		/* smtpin's connection number */
	int32_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
	int32_t		exempt;		/* no per-address limit (relay_networks) */
	int32_t		verdict;	/* enum ipc_anvil_verdict (replies) */
};

#define IPC_Q_ID_MAX	40		/* ENVELOPE_ID_MAX */
/* Envelope text the queue holds for all open transactions together. */
#define IPC_Q_ENV_TOTAL_MAX	(256 * 1024 * 1024)

struct ipc_q_open {
	uint64_t	tx;		/* smtpin's transaction number */
};

/*
 * Answer to OPEN (with the fd of incoming/ID when status is 0) and to
 * COMMIT (status 0: durable in queue/; the 250 may go out).
 */
struct ipc_q_result {
	uint64_t	tx;
	char		id[IPC_Q_ID_MAX + 1];
	int32_t		status;		/* 0, or an errno: ENOSPC -> 452 */
};

/* A piece of the envelope text (sealpost-envelope(5)) follows the struct. */
struct ipc_q_env {
	uint64_t	tx;
};

struct ipc_q_commit {
	uint64_t	tx;
	char		id[IPC_Q_ID_MAX + 1];
	uint64_t	size;		/* bytes smtpin wrote to the file */
};

/* Sent when a channel opens and whenever free space crosses queue_min_free. */
struct ipc_q_space {
	int32_t		low;		/* 1: refuse MAIL with 452 4.3.1 */
};

/* IPC_OUT_CHANNEL, IPC_PLAN_CHANNEL: the fd is one end of a new pair. */
struct ipc_link {
	uint32_t	gen;		/* bumped per pair, for the debug log */
};

/* ---- queue <-> smtpout (doc/design.md §12) ---- */

#define IPC_DOMAIN_MAX	255		/* a DNS name without the dot */
#define IPC_ADDR_MAX	256		/* ENVELOPE_ADDR_MAX */

/*
 * One delivery job: the recipients of one message for one destination
 * domain. The fd is the content file, open read-only. nrcpt IPC_OUT_RCPT
 * messages follow; smtpout starts once it has them all. Strings are
 * NUL-terminated.
 */
struct ipc_out_job {
	uint64_t	job;		/* the queue's number, unique per run */
	char		id[IPC_Q_ID_MAX + 1];
	char		domain[IPC_DOMAIN_MAX + 1];	/* lower case */
	char		from[IPC_ADDR_MAX + 1];		/* "" = <> */
	uint64_t	size;		/* content octets */
	int64_t		arrival;	/* unix time */
	uint32_t	nrcpt;		/* 1 .. ENVELOPE_RCPT_MAX */
	uint32_t	attempt;	/* number of this attempt (1 = first) */
	int32_t		body;		/* enum envelope_body */
	int32_t		smtputf8;	/* needs SMTPUTF8 (RFC 6531) */
	int32_t		requiretls;	/* RFC 8689 */
	int32_t		tlsrequired_no;	/* "TLS-Required: No" in the header
					   (RFC 8689 §5; ignored with
					   requiretls) */
	int32_t		ret;		/* enum envelope_ret */
	int32_t		final;		/* queue_lifetime is over: a deferral
					   now is an expiry (result=expired) */
	char		envid[100 + 1];	/* ENVELOPE_ENVID_MAX, decoded */
};

struct ipc_out_rcpt {
	uint64_t	job;
	uint32_t	index;		/* recipient number in the envelope */
	uint32_t	notify;		/* ENVELOPE_NOTIFY_* */
	char		addr[IPC_ADDR_MAX + 1];
	char		orcpt[540 + 1];	/* ENVELOPE_ORCPT_MAX, "type;addr" */
};

enum ipc_out_outcome {
	IPC_OUT_SENT = 1,		/* the next hop took it */
	IPC_OUT_DEFERRED,		/* try again later */
	IPC_OUT_BOUNCED,		/* failed for good */
};

/* One per recipient of the job, before IPC_OUT_DONE. */
struct ipc_out_result {
	uint64_t	job;
	uint32_t	index;
	int32_t		outcome;	/* enum ipc_out_outcome */
	int32_t		code;		/* SMTP code (ours or the peer's) */
	char		dsn[16];	/* RFC 3463 status */
	char		failure[64];	/* RFC 8460 result type, or "" */
	char		mx[IPC_DOMAIN_MAX + 1];	/* who said it, or "" */
	char		text[512];	/* the reply text, or our reason */
	int32_t		nodsn;		/* SENT to a hop that does not offer
					   DSN: NOTIFY did not go along, so
					   a SUCCESS notice is ours to send
					   (RFC 3461 §6.2, "relayed") */
	/* The facts of the attempt, as on its out line (doc/design.md §9),
	   for the message's history (sealpost show); "" when unknown */
	char		ip[64];		/* the address the session went to */
	char		policy[16];	/* what the session had to prove:
					   dane, verify, encrypt, ... */
	char		policy_src[16];	/* who demanded it: dane, mta-sts,
					   table, memory, floor, ... */
	char		tls[16];	/* "TLSv1.3", or "none" */
	char		cipher[64];
	char		verify[16];	/* what it proved: dane, pkix,
					   fingerprint, none */
	char		cert[65];	/* hex SHA-256 of the leaf, or "" */
	char		tls_fail[64];	/* MTA-STS testing: the check that
					   failed, reported, not enforced */
};

/*
 * sealpost requeue: the cached plans of domain are dropped, in smtpout
 * and then in the policy process, so that the next attempt resolves the
 * destination afresh. The downgrade memory is not touched (sealpost
 * policy --forget is for that).
 */
struct ipc_forget {
	char		domain[IPC_DOMAIN_MAX + 1];	/* lower case */
};

/* The job is over; every recipient has had its IPC_OUT_RESULT. */
struct ipc_out_done {
	uint64_t	job;
};

/* ---- smtpout <-> policy: the plan (doc/design.md §8) ---- */

/* What a hop's TLS session must prove (sealpost-policy(7)). */
enum ipc_req {
	IPC_REQ_CLEARTEXT_OK = 1,	/* the table only: TLS if offered */
	IPC_REQ_ENCRYPT,		/* any TLS 1.2+ session */
	IPC_REQ_VERIFY,			/* PKIX + name (RFC 6125) */
	IPC_REQ_FINGERPRINT,		/* the table's SHA-256 digests */
	IPC_REQ_DANE,			/* match a TLSA record (RFC 7672) */
	IPC_REQ_DANE_ONLY,		/* the table: DANE, else unusable */
	IPC_REQ_MTA_STS,		/* PKIX + the MX name (RFC 8461) */
};

struct ipc_plan_req {
	uint64_t	req;		/* smtpout's number, echoed */
	char		domain[IPC_DOMAIN_MAX + 1];	/* lower case */
	int32_t		requiretls;	/* the message carries REQUIRETLS */
};

enum ipc_plan_status {
	IPC_PLAN_OK = 0,		/* nhosts IPC_PLAN_HOST follow */
	IPC_PLAN_DEFER,			/* temporary: code/dsn/text say why */
	IPC_PLAN_BOUNCE,		/* permanent (NXDOMAIN, null MX) */
};

#define IPC_PLAN_HOSTS_MAX	32
#define IPC_PLAN_ADDRS_MAX	16
#define IPC_PLAN_FP_MAX		8
#define IPC_PLAN_MATCH_MAX	4

/* The answer to IPC_PLAN_REQ; then nhosts IPC_PLAN_HOST in order. */
struct ipc_plan {
	uint64_t	req;
	int32_t		status;		/* enum ipc_plan_status */
	int32_t		code;		/* when not OK: 4xx or 5xx */
	char		dsn[16];
	char		text[256];
	char		failure[64];	/* RFC 8460 result type, or "" */
	uint32_t	nhosts;		/* 0 .. IPC_PLAN_HOSTS_MAX */
	uint32_t	ttl;		/* seconds the plan may be reused */
};

struct ipc_plan_addr {
	int32_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];
};

/* One host of the plan, in the order smtpout must try them. */
struct ipc_plan_host {
	uint64_t	req;
	uint32_t	index;
	char		name[IPC_DOMAIN_MAX + 1];	/* MX or relay host,
							   for the log, SNI and
							   the name check */
	uint16_t	port;
	int32_t		requirement;	/* enum ipc_req */
	char		policy[16];	/* the out line's policy= */
	char		policy_src[16];	/* table, relayhost, floor, ... */
	int32_t		auth;		/* log in with smtpout_auth_file */
	int32_t		mx_ad;		/* MX RRset had AD from loopback */
	int32_t		addr_ad;	/* the A/AAAA RRsets had AD */
	uint32_t	naddr;		/* 0: the host has no usable address
					   (plan says why in text below) */
	struct ipc_plan_addr addr[IPC_PLAN_ADDRS_MAX];
	uint32_t	nfp;		/* fingerprint requirement */
	uint8_t		fp[IPC_PLAN_FP_MAX][32];	/* SHA-256 of the
							   certificate or of
							   its public key */
	char		text[128];	/* why naddr is 0, e.g. "no address" */
	uint32_t	nmatch;		/* verify: names the certificate may
					   carry instead of the host name */
	char		match[IPC_PLAN_MATCH_MAX][IPC_DOMAIN_MAX + 1];	/* a
					   DNS name, or ".suffix": any name
					   below it (sealpost-policy(7)) */
	char		failure[64];	/* naddr 0: the RFC 8460 type of why
					   the host cannot be used, or "" */
	char		tlsa_base[IPC_DOMAIN_MAX + 1];	/* DANE: the TLSA
							   base domain (the
							   SNI, a name the
							   DANE-TA check
							   accepts), or "" */
	uint32_t	ntlsa;		/* usable TLSA records: this many
					   IPC_PLAN_TLSA follow the host */
	int32_t		sts_testing;	/* MTA-STS testing: check PKIX and
					   the name as mta-sts would, report
					   a failure, do not fail on it */
	int32_t		refused;	/* the policy refuses this host:
					   failure and text say why; its
					   addresses are kept for TLS-Required:
					   No (smtpout) */
	int32_t		own_mx;		/* the domain's own MX (no relay):
					   a success is worth an
					   IPC_PLAN_MET */
	int32_t		audit_only;	/* the table's audit-only: a failed
					   check or a refusal is logged as
					   would_defer=, the mail goes over
					   TLS anyway (doc/design.md §8) */
	int32_t		audit_cleartext;	/* audit-only with
					   cleartext-ok: no STARTTLS is
					   tolerated too */
};

#define IPC_PLAN_TLSA_MAX	32	/* usable records per host */

/* One usable TLSA record of the host sent just before it. */
struct ipc_plan_tlsa {
	uint64_t	req;
	uint32_t	index;		/* the host's index */
	uint8_t		usage;		/* 2 DANE-TA or 3 DANE-EE */
	uint8_t		selector;	/* 0 certificate, 1 SPKI */
	uint8_t		mtype;		/* 0 full, 1 SHA-256, 2 SHA-512 */
	uint8_t		pad;
	uint32_t	len;		/* data bytes after the struct; the
					   frame is exactly sizeof + len */
};

/*
 * smtpout -> policy: a message went to domain over a session that met
 * requirement (enum ipc_req: DANE, MTA_STS, VERIFY or ENCRYPT), for the
 * downgrade memory (doc/design.md §8).
 */
struct ipc_plan_met {
	char		domain[IPC_DOMAIN_MAX + 1];
	int32_t		requirement;
};

/*
 * smtpout -> policy: the outcome of one TLS session (or of its attempt)
 * with a host of domain's own MX, for the day's TLS report (RFC 8460,
 * doc/design.md §8): failure "" is a success, else the RFC 8460 result
 * type. policy_type says which policy applied (RFC 8460 §4.3).
 */
enum ipc_tlsrpt_type {
	IPC_TLSRPT_STS = 1,		/* "sts" (MTA-STS) */
	IPC_TLSRPT_TLSA,		/* "tlsa" (DANE) */
	IPC_TLSRPT_NONE,		/* "no-policy-found" */
};

struct ipc_plan_session {
	char		domain[IPC_DOMAIN_MAX + 1];	/* policy domain */
	int32_t		policy_type;	/* enum ipc_tlsrpt_type */
	char		mx[IPC_DOMAIN_MAX + 1];		/* the MX host */
	char		ip[64];		/* receiving address, or "" */
	char		failure[64];	/* RFC 8460 result type, or "" */
};

/* ---- sealpost policy (CLI -> master -> policy) ---- */

enum ipc_policy_op {
	IPC_POLICY_SHOW = 1,		/* the plan as text */
	IPC_POLICY_SHOW_JSON,		/* the plan as one JSON object */
	IPC_POLICY_FORGET,		/* drop the downgrade memory */
	IPC_POLICY_SHOW_SELF,		/* JSON, this host kept among the
					   MX (sealpost check --self) */
};

struct ipc_policy_query {
	uint64_t	ctl;		/* master's number of the CLI
					   connection; 0 from the CLI */
	int32_t		op;		/* enum ipc_policy_op */
	char		domain[IPC_DOMAIN_MAX + 1];
};

/* A piece of the answer; the one with last set ends it. */
struct ipc_policy_text {
	uint64_t	ctl;
	int32_t		last;
	int32_t		status;		/* with last: 0 done, 1 the domain is
					   unknown (--forget), 2 failed */
	uint32_t	len;		/* text bytes after the struct */
};


struct ipc_ctl_proc {
	char		role[16];	/* "master", "smtpin", "queue", ... */
	uint32_t	instance;
	pid_t		pid;		/* 0: not running (waiting to restart) */
	uid_t		uid;
	int64_t		started;	/* wall clock, seconds */
	uint32_t	restarts;
	int32_t		responding;	/* 1 answered ping, 0 no, -1 unknown */
	int32_t		draining;	/* finishing its sessions (reload) */
};

/* ---- sealpost queue (CLI -> master -> queue), doc/design.md §3 ---- */

enum ipc_queue_op {
	IPC_QUEUE_LIST = 1,		/* a batch of messages, by id */
	IPC_QUEUE_SHOW,			/* message id: its files as fds */
	/* the operations: on message id, or on a batch of the selection
	   (domain, or all) like a listing's; one IPC_QUEUE_DONE each */
	IPC_QUEUE_FLUSH,		/* try now, ignoring the backoff */
	IPC_QUEUE_HOLD,			/* no delivery, no expiry */
	IPC_QUEUE_RELEASE,		/* held no more: try now */
	IPC_QUEUE_DELETE,		/* remove, no notice */
	IPC_QUEUE_BOUNCE,		/* fail the waiting recipients (a DSN
					   to the sender), then remove */
	IPC_QUEUE_REQUEUE,		/* forget the plans of its domains,
					   then flush */
	IPC_QUEUE_OP_MAX
};

/* Recipient states as the listing shows them (bits of a filter). */
enum ipc_queue_state {
	IPC_QUEUE_S_PENDING = 0,	/* not tried yet */
	IPC_QUEUE_S_DEFERRED,		/* tried, waits for its next try */
	IPC_QUEUE_S_ACTIVE,		/* its message is being delivered */
	IPC_QUEUE_S_HELD,		/* its message is held */
	IPC_QUEUE_S_MAX
};

#define IPC_QUEUE_BATCH_MAX	1000	/* messages per IPC_QUEUE_QUERY */

/*
 * One batch of the listing: up to max messages whose id sorts after
 * `after` ("" from the start) and that pass every filter given. The
 * CLI asks again, from the last id, while the answer says more.
 */
struct ipc_queue_query {
	uint64_t	ctl;		/* master's number; 0 from the CLI */
	int32_t		op;		/* enum ipc_queue_op */
	uint32_t	max;		/* 1 .. IPC_QUEUE_BATCH_MAX */
	char		after[IPC_Q_ID_MAX + 1];
	/* filters, all of them; "" or 0 is any */
	char		domain[IPC_DOMAIN_MAX + 1];	/* a waiting
							   recipient's domain,
							   lower case */
	uint32_t	states;		/* bits 1 << enum ipc_queue_state */
	char		failure[64];	/* RFC 8460 type of a recipient */
	int64_t		older_than;	/* arrived before (unix time) */
	/* SHOW and the operations */
	char		id[IPC_Q_ID_MAX + 1];	/* this message only; "" =
						   the selection above */
	int32_t		all;		/* an operation on a selection
					   without domain says all=1 */
	char		until[IPC_Q_ID_MAX + 1];	/* an operation on a
					   selection: only ids up to this
					   one; "" in the first batch, then
					   what its END said (so that the
					   bounces it makes and mail that
					   arrives meanwhile are not
					   selected) */
	/* who asks: the master fills these from the control socket's peer
	   (SO_PEERCRED), whatever the CLI sent; for the log */
	uint32_t	uid;
	char		user[33];	/* the uid's name, or "" */
};

/* What an operation did to one message (IPC_QUEUE_DONE). */
enum ipc_queue_result {
	IPC_QUEUE_R_DONE = 0,		/* done, durable */
	IPC_QUEUE_R_LATER,		/* being delivered: done once the
					   attempt in progress ends */
	IPC_QUEUE_R_NOOP,		/* nothing to do (text says why) */
	IPC_QUEUE_R_UNKNOWN,		/* no such message in the queue */
	IPC_QUEUE_R_FAILED,		/* could not (text says why) */
};

/* One message an operation touched, packed in IPC_QUEUE_DATA. */
struct ipc_queue_done {
	uint64_t	ctl;
	char		id[IPC_Q_ID_MAX + 1];
	int32_t		result;		/* enum ipc_queue_result */
	char		text[256];
};

/* sealpost show: what a descriptor holds (IPC_QUEUE_FILE). */
enum ipc_queue_file_kind {
	IPC_QUEUE_F_ENVELOPE = 1,	/* the envelope's text form
					   (sealpost-envelope(5)) */
	IPC_QUEUE_F_HISTORY,		/* history lines (sealpost-envelope(5));
					   more than one: read in order */
	IPC_QUEUE_F_CONTENT,		/* the message as received */
};

/*
 * One file of the message, its descriptor (read-only, at offset 0)
 * attached. SHOW answers ENVELOPE, HISTORY (none when never tried),
 * CONTENT, then an END; an unknown id gets an END of status 3.
 */
struct ipc_queue_file {
	uint64_t	ctl;
	int32_t		kind;		/* enum ipc_queue_file_kind */
	int32_t		active;		/* being delivered now */
};

/* A message of the batch; nrcpt IPC_QUEUE_RCPT follow. */
struct ipc_queue_item {
	uint64_t	ctl;
	char		id[IPC_Q_ID_MAX + 1];
	int64_t		arrival;	/* unix time */
	uint64_t	size;		/* content octets */
	char		from[IPC_ADDR_MAX + 1];	/* "" = <> */
	int64_t		due;		/* its next attempt (unix time) */
	int32_t		active;		/* being delivered now */
	int64_t		held;		/* held since (unix time), 0 not */
	int32_t		requiretls;
	uint32_t	nrcpt;		/* IPC_QUEUE_RCPT frames that follow */
	uint32_t	nomitted;	/* waiting recipients not sent (the
					   batch's byte budget; sealpost show
					   has them all) */
	uint32_t	ndone;		/* recipients already final */
};

/* A recipient still waiting (pending or deferred). */
struct ipc_queue_rcpt {
	uint64_t	ctl;
	char		addr[IPC_ADDR_MAX + 1];
	int32_t		state;		/* enum ipc_queue_state */
	uint32_t	attempts;
	int64_t		last_attempt;	/* unix time, 0 never */
	int64_t		next_retry;	/* unix time */
	int32_t		code;		/* last error, 0 none */
	char		dsn[16];
	char		failure[64];	/* RFC 8460 type, or "" */
	char		mx[IPC_DOMAIN_MAX + 1];	/* who said it, or "" */
	char		text[512];	/* the reply or our reason */
	char		policy[32];	/* the policy source that demanded
					   the failed check, or "" */
};

/*
 * Many ITEM and RCPT records in one frame: nrec records follow, each a
 * struct ipc_queue_rec then the struct its type names, in the order the
 * single frames would come; the frame is exactly sizeof + len. A listing
 * of 100,000 messages is some 250,000 records: one datagram each would
 * cost more in the kernel than everything else (bench/queue).
 */
struct ipc_queue_data {
	uint64_t	ctl;
	uint32_t	nrec;
	uint32_t	len;		/* bytes after the struct */
};

struct ipc_queue_rec {
	uint32_t	type;		/* IPC_QUEUE_ITEM, _RCPT or _DONE */
	uint32_t	pad;
};

/* The end of a batch. */
struct ipc_queue_end {
	uint64_t	ctl;
	int32_t		status;		/* 0 done, 2 failed (text says),
					   3 SHOW: no such message */
	int32_t		more;		/* ask again from last */
	char		last[IPC_Q_ID_MAX + 1];	/* the last id looked at */
	uint32_t	count;		/* messages in this batch */
	char		text[256];
	char		until[IPC_Q_ID_MAX + 1];	/* an operation on a
					   selection: the bound to send back
					   with the next batch */
};

#endif
