/*
 * verdict.c: the precedence of doc/design.md §8 for one host of a plan
 * (see verdict.h): RFC 7672 §2.2 (DANE applies, or a failure is final),
 * RFC 8461 §2 and §5 (MTA-STS never overrides a failing DANE; enforce
 * drops unlisted MX hosts; testing only reports), the downgrade memory.
 * Pure. Linked by the policy process and tests/unit/test_verdict.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "verdict.h"

static void
verdict_set(struct verdict_out *o, int req, const char *policy,
    const char *src)
{
	o->requirement = req;
	(void)strlcpy(o->policy, policy, sizeof(o->policy));
	(void)strlcpy(o->policy_src, src, sizeof(o->policy_src));
}

static void
verdict_refuse(struct verdict_out *o, const char *failure, const char *why)
{
	o->usable = 0;
	(void)strlcpy(o->failure, failure, sizeof(o->failure));
	(void)strlcpy(o->text, why, sizeof(o->text));
}

int
verdict_from_table(const struct route_decision *d)
{
	return strcmp(d->policy_src, "table") == 0;
}

int
verdict_rank(int requirement)
{
	switch (requirement) {
	case IPC_REQ_DANE:
	case IPC_REQ_DANE_ONLY:
		return 3;
	case IPC_REQ_VERIFY:
	case IPC_REQ_MTA_STS:
	case IPC_REQ_FINGERPRINT:
		return 2;
	case IPC_REQ_ENCRYPT:
		return 1;
	default:
		return 0;
	}
}

/* The precedence (verdict_host without the audit flags). */
static void
verdict_decide(const struct verdict_in *in, const struct verdict_host_in *h,
    struct verdict_out *o)
{
	const struct route_decision *d = in->d;
	int own = !d->relayed;

	memset(o, 0, sizeof(*o));
	o->usable = 1;
	verdict_set(o, d->requirement, d->policy, d->policy_src);
	/* 1. the table decides, whatever DNS says */
	if (verdict_from_table(d)) {
		if (d->requirement != IPC_REQ_DANE_ONLY)
			return;
		if (h->dane == VERDICT_DANE_USABLE)
			return;
		if (h->dane == VERDICT_DANE_FAILED)
			verdict_refuse(o, "dnssec-invalid", h->dane_why != NULL ?
			    h->dane_why : "TLSA lookup failed");
		else
			verdict_refuse(o, "dane-required",
			    h->dane == VERDICT_DANE_OFF ? "dane-only, but DNSSEC "
			    "is not trusted: dns_resolver is not on loopback" :
			    h->dane == VERDICT_DANE_UNUSABLE ? "dane-only, but "
			    "no usable TLSA record" : "dane-only, but no "
			    "DNSSEC-validated TLSA records");
		return;
	}
	/* 2. DANE: usable records, or a failure that is final */
	switch (h->dane) {
	case VERDICT_DANE_USABLE:
		/*
		 * Under an insecure MX RRset DANE authenticates the host, not
		 * the choice of it: a policy in enforce mode still decides
		 * which hosts may be used.
		 */
		if (own && !h->mx_secure && in->sts == VERDICT_STS_ENFORCE &&
		    !h->sts_match) {
			(void)strlcpy(o->policy_src, "mta-sts",
			    sizeof(o->policy_src));
			verdict_refuse(o, "validation-failure",
			    "MX host not listed in the MTA-STS policy");
			return;
		}
		verdict_set(o, IPC_REQ_DANE, "dane", "dane");
		break;
	case VERDICT_DANE_FAILED:
		verdict_refuse(o, "dnssec-invalid", h->dane_why != NULL ?
		    h->dane_why : "TLSA lookup failed");
		return;
	case VERDICT_DANE_UNUSABLE:
		/* RFC 7672 §2.2: mandatory TLS, unauthenticated */
		if (verdict_rank(o->requirement) < 1)
			verdict_set(o, IPC_REQ_ENCRYPT, "encrypt", "dane");
		else if (o->requirement == IPC_REQ_ENCRYPT)
			(void)strlcpy(o->policy_src, "dane",
			    sizeof(o->policy_src));
		break;
	default:
		break;
	}
	if (!own)
		return;
	/* 3. MTA-STS, where DANE did not authenticate the host */
	if (o->requirement != IPC_REQ_DANE) {
		if (in->sts == VERDICT_STS_ENFORCE) {
			if (!h->sts_match) {
				/* MTA-STS's refusal (TLS-Required: No may
				   lift it, as for DANE's) */
				(void)strlcpy(o->policy_src, "mta-sts",
				    sizeof(o->policy_src));
				verdict_refuse(o, "validation-failure",
				    "MX host not listed in the MTA-STS policy");
				return;
			}
			verdict_set(o, IPC_REQ_MTA_STS, "mta-sts", "mta-sts");
		} else if (in->sts == VERDICT_STS_TESTING) {
			o->sts_testing = 1;
			(void)strlcpy(o->policy, "mta-sts-testing",
			    sizeof(o->policy));
		}
	}
	/* 4. the downgrade memory */
	if (verdict_rank(in->memory) <= verdict_rank(o->requirement))
		return;
	switch (verdict_rank(in->memory)) {
	case 3:
		/* DNSSEC proves the domain gave this host no TLSA */
		if (h->dane == VERDICT_DANE_ABSENT)
			return;
		o->raised = 1;
		verdict_set(o, IPC_REQ_DANE, "dane", "memory");
		verdict_refuse(o, "dane-required", h->dane == VERDICT_DANE_OFF ?
		    "downgrade: the domain was reached with DANE, and DNSSEC "
		    "cannot be checked (dns_resolver not on loopback)" :
		    "downgrade: the domain was reached with DANE, this host "
		    "has no usable TLSA records");
		return;
	case 2:
		/* the domain's own word, fetched over HTTPS, wins */
		if (in->sts == VERDICT_STS_TESTING ||
		    in->sts == VERDICT_STS_PUBLISHED_NONE)
			return;
		o->raised = 1;
		o->sts_testing = 0;
		verdict_set(o, IPC_REQ_MTA_STS, "mta-sts", "memory");
		return;
	default:
		o->raised = 1;
		verdict_set(o, IPC_REQ_ENCRYPT, "encrypt", "memory");
		return;
	}
}

void
verdict_host(const struct verdict_in *in, const struct verdict_host_in *h,
    struct verdict_out *o)
{
	verdict_decide(in, h, o);
	/*
	 * audit-only changes nothing in the verdict, which is what the
	 * administrator wants to see the consequences of; smtpout tolerates
	 * its failures over TLS (doc/design.md §8).
	 */
	o->audit_only = in->d->audit_only;
	o->audit_cleartext = in->d->audit_only && in->d->audit_cleartext;
}
