/*
 * smtpout_req.c: what a message makes of a plan host's requirement
 * (doc/design.md §8, §12): REQUIRETLS (RFC 8689 §4.2.1) raises it and
 * allows only hosts DANE or MTA-STS authenticate, "TLS-Required: No"
 * (RFC 8689 §5) lowers DANE, MTA-STS and the memory to the floor, and
 * the table's audit-only never lifts REQUIRETLS. Pure decisions over a
 * job and a host; smtpout_session.c applies them before a session and
 * when it reuses one. Linked by the smtpout binary.
 */
#include "config.h"

#include <string.h>

#include "policy/route.h"
#include "smtpout.h"

/*
 * RFC 8689 §5: a message with "TLS-Required: No" (and not REQUIRETLS)
 * asks that DANE, MTA-STS (and so the downgrade memory built on them)
 * be ignored: such a host gets the floor instead, never less; what the
 * administrator's table or the relayhost says stays. A TLSA lookup that
 * failed (dnssec-invalid) is DANE's refusal too, so it is lifted as
 * well for the domain's own MX hosts, unless the table's dane-only asked
 * for DANE: a TLS report about that very failure reaches the domain
 * (RFC 8460 §3). 1 when that
 * applies to host h.
 */
static int
smtpout_req_relaxed(const struct smtpout_job *job,
    const struct ipc_plan_host *h)
{
	if (!job->j.tlsrequired_no || job->j.requiretls)
		return 0;
	return strcmp(h->policy_src, "dane") == 0 ||
	    strcmp(h->policy_src, "mta-sts") == 0 ||
	    strcmp(h->policy_src, "memory") == 0 ||
	    h->sts_testing ||
	    (h->refused && h->own_mx &&
	    strcmp(h->failure, "dnssec-invalid") == 0 &&
	    strcmp(h->policy_src, "table") != 0);
}

/*
 * The requirement a job's session with host h must meet. A REQUIRETLS
 * message (RFC 8689 §4.2.1) goes to its domain's own MX only when DANE
 * or MTA-STS authenticates the host (smtpout_next refuses the others);
 * to a relay the administrator named, at least with the certificate
 * valid for that name: an encrypt or cleartext-ok hop is raised to
 * verify. smtpout_sess_ready refuses a session without TLS.
 */
int
smtpout_req_for(const struct smtpout_job *job, const struct ipc_plan_host *h)
{
	if (job->j.requiretls && (h->requirement == IPC_REQ_ENCRYPT ||
	    h->requirement == IPC_REQ_CLEARTEXT_OK))
		return IPC_REQ_VERIFY;
	if (smtpout_req_relaxed(job, h))
		return job->so->conf->tls_floor == CONF_TLS_FLOOR_VERIFY ?
		    IPC_REQ_VERIFY : IPC_REQ_ENCRYPT;
	return h->requirement;
}

/*
 * 1 when a REQUIRETLS message may try host h at all (RFC 8689 §4.2.1):
 * a relay the administrator named, or an MX host that DANE under a
 * DNSSEC-secure MX RRset or the domain's MTA-STS policy itself
 * authenticates (not one the downgrade memory raised: its name was never
 * matched against a policy).
 */
static int
smtpout_req_authenticated(const struct ipc_plan_host *h)
{
	if (!h->own_mx)
		return 1;
	/* DANE authenticates the MX's choice only under a secure MX RRset */
	return ((h->requirement == IPC_REQ_DANE ||
	    h->requirement == IPC_REQ_DANE_ONLY) && h->mx_ad) ||
	    (h->requirement == IPC_REQ_MTA_STS &&
	    strcmp(h->policy_src, "mta-sts") == 0);
}

/*
 * Why job may not use host h at all, or F_NONE: no address, the
 * policy's refusal (unless TLS-Required: No lifts it), REQUIRETLS
 * without authentication. The one test for new and reused sessions.
 */
enum smtpout_proto_fail
smtpout_host_refusal(const struct smtpout_job *job,
    const struct ipc_plan_host *h)
{
	if (h->naddr == 0)
		return SMTPOUT_PROTO_F_NOADDR;
	/* audit-only tries it (over TLS), never for REQUIRETLS */
	if (h->refused && !smtpout_req_relaxed(job, h) &&
	    !(h->audit_only && !job->j.requiretls))
		return SMTPOUT_PROTO_F_POLICY;
	if (job->j.requiretls && !smtpout_req_authenticated(h))
		return SMTPOUT_PROTO_F_REQUIRETLS_AUTH;
	return SMTPOUT_PROTO_F_NONE;
}

/* Makes host (a copy of the plan's) say what smtpout_req_for decides. */
void
smtpout_req_apply(const struct smtpout_job *job, struct ipc_plan_host *host)
{
	int req = smtpout_req_for(job, host);

	/* RFC 8689: REQUIRETLS is the sender's; audit-only cannot lift it */
	if (job->j.requiretls)
		host->audit_only = host->audit_cleartext = 0;
	if (smtpout_req_relaxed(job, host)) {
		host->requirement = req;
		host->sts_testing = 0;
		host->refused = 0;
		smtpout_copy(host->policy, route_req_name(req),
		    sizeof(host->policy), "policy");
		smtpout_copy(host->policy_src, "tls-required-no",
		    sizeof(host->policy_src), "policy source");
		return;
	}
	if (req == host->requirement)
		return;
	host->requirement = req;
	host->sts_testing = 0;
	smtpout_copy(host->policy, "verify", sizeof(host->policy), "policy");
	smtpout_copy(host->policy_src, "requiretls",
	    sizeof(host->policy_src), "policy source");
}
