/*
 * smtpout_tls.c: TLS and AUTH of an outbound SMTP session (see smtpout.h):
 * the 220 to STARTTLS with any plaintext behind it treated as an attack
 * (RFC 3207, CVE-2011-0411 class), the GnuTLS handshake with SNI and
 * resumption (a cache per host name, address and port), THE CHECK of the
 * finished session against the host's requirement that alone sets the
 * verdict the gate opens on (doc/design.md §1.1, §12), and AUTH (RFC
 * 4954, PLAIN or LOGIN, inside TLS only).
 * Linked by the smtpout binary.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "policy/dane.h"
#include "smtpout.h"

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
	smtpout_copy(old->key, key, sizeof(old->key), "resumption key");
	return old;
}

void
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

/*
 * DANE (RFC 7672 §3): the presented chain against the host's usable TLSA
 * records (policy/dane.c), with the TLSA base domain, the MX host name
 * and, for the domain's own MX, the destination domain as the names a
 * DANE-TA certificate may carry. Returns F_NONE with the verify word
 * set, or F_TLSA with *detail set (and s->fail_type for a mismatch).
 */
static enum smtpout_proto_fail
smtpout_sess_dane(struct smtpout_sess *s, const char **detail)
{
	struct dane_tlsa recs[IPC_PLAN_TLSA_MAX];
	struct ipc_plan_tlsa t;
	struct dane_result res;
	const gnutls_datum_t *chain;
	const char *names[3];
	const uint8_t *p;
	unsigned int nchain = 0;
	size_t off = 0, n = 0, nn = 0;
	uint32_t flen;

	static char why[sizeof(res.detail)];

	if (s->job == NULL) {
		*detail = "no job for the DANE check";
		return SMTPOUT_PROTO_F_TLSA;
	}
	p = (const uint8_t *)s->job->tlsa.data;
	while (s->job->tlsa.len - off >= sizeof(flen) + sizeof(t)) {
		memcpy(&flen, p + off, sizeof(flen));
		memcpy(&t, p + off + sizeof(flen), sizeof(t));
		if (t.index == s->host.index && n < IPC_PLAN_TLSA_MAX) {
			recs[n].usage = t.usage;
			recs[n].selector = t.selector;
			recs[n].mtype = t.mtype;
			recs[n].data = p + off + sizeof(flen) + sizeof(t);
			recs[n].len = t.len;
			n++;
		}
		off += sizeof(flen) + flen;
	}
	if (n == 0) {
		*detail = "no TLSA record in the plan";
		return SMTPOUT_PROTO_F_TLSA;
	}
	names[nn++] = s->host.tlsa_base[0] != '\0' ? s->host.tlsa_base :
	    s->host.name;
	if (strcmp(names[0], s->host.name) != 0)
		names[nn++] = s->host.name;
	if (s->host.own_mx)
		names[nn++] = s->job->j.domain;
	chain = gnutls_certificate_get_peers(s->tls, &nchain);
	if (chain == NULL)
		nchain = 0;
	if (dane_match(chain, nchain, recs, n, names, nn, time(NULL),
	    &res) == DANE_OK_EE || res.verdict == DANE_OK_TA) {
		smtpout_text(s->tl.verify, sizeof(s->tl.verify), "%s",
		    dane_verify_word(res.verdict));
		log_debug("%s: DANE %s with %s[%s]: %s", s->so->child.title,
		    dane_verify_word(res.verdict), s->host.name, s->ip,
		    res.detail);
		return SMTPOUT_PROTO_F_NONE;
	}
	smtpout_copy(s->fail_type, dane_failure(res.verdict),
	    sizeof(s->fail_type), "failure");
	smtpout_text(why, sizeof(why), "%s", res.detail);
	*detail = why;
	return SMTPOUT_PROTO_F_TLSA;
}

int
smtpout_sess_audit(struct smtpout_sess *s, enum smtpout_proto_fail kind,
    const char *detail)
{
	struct smtpout_proto_hostfail hf;
	struct reason why;
	char failure[64];

	if (!smtpout_proto_audit(s->host.audit_only, s->host.audit_cleartext,
	    s->tls_active, kind))
		return smtpout_sess_hostfail(s, kind, detail);
	memset(&hf, 0, sizeof(hf));
	hf.kind = kind;
	hf.host = s->host.name;
	hf.ip = s->ip;
	hf.port = s->host.port;
	hf.detail = detail;
	hf.failure = kind == SMTPOUT_PROTO_F_POLICY ? s->host.failure :
	    s->fail_type;
	smtpout_proto_fail_reason(&hf, &why, failure);
	/* the first reason is the one the host would have been deferred
	   for: the policy's refusal comes before any check */
	if (s->tl.would_defer[0] == '\0')
		smtpout_copy(s->tl.would_defer, failure,
		    sizeof(s->tl.would_defer), "failure");
	/* only what did pass is named: after a failure, nothing did */
	smtpout_copy(s->tl.verify, "none", sizeof(s->tl.verify), "verify");
	log_info("%s: audit-only: %s[%s] would be deferred (%s: %s); "
	    "delivering anyway%s", s->so->child.title, s->host.name, s->ip,
	    failure, why.text, s->tls_active ? " over TLS" :
	    " in cleartext (cleartext-ok)");
	s->verdict = SMTPOUT_V_AUDIT;
	s->verdict_req = s->host.requirement;
	return 0;
}

/*
 * PKIX and the name (verify, mta-sts): 0, or the failure's kind with
 * *detail set.
 */
static enum smtpout_proto_fail
smtpout_sess_pkix(struct smtpout_sess *s, const char **detail)
{
	const char *names[IPC_PLAN_MATCH_MAX];
	enum tls_verify v;
	uint32_t i;

	v = tls_client_verify(s->tls, s->host.name, detail);
	/* the table's match= names replace the host name (verify only) */
	if (s->host.requirement == IPC_REQ_VERIFY && s->host.nmatch > 0 &&
	    (v == TLS_VERIFY_OK || v == TLS_VERIFY_HOSTNAME)) {
		for (i = 0; i < s->host.nmatch && i < IPC_PLAN_MATCH_MAX; i++)
			names[i] = s->host.match[i];
		v = tls_peer_match_names(s->tls, names, i) ? TLS_VERIFY_OK :
		    TLS_VERIFY_HOSTNAME;
		if (v == TLS_VERIFY_HOSTNAME)
			*detail = "matches none of the table's match= names";
	}
	switch (v) {
	case TLS_VERIFY_OK:
		return SMTPOUT_PROTO_F_NONE;
	case TLS_VERIFY_EXPIRED:
		return SMTPOUT_PROTO_F_EXPIRED;
	case TLS_VERIFY_HOSTNAME:
		return SMTPOUT_PROTO_F_HOSTNAME;
	default:
		return SMTPOUT_PROTO_F_UNTRUSTED;
	}
}

/*
 * Checks the finished TLS session against the host's requirement before
 * anything else is sent (doc/design.md §1.1). Only here (and through
 * smtpout_sess_audit, under audit-only), and in the cleartext-ok branch,
 * is the verdict set. Returns 0 or -1 (s is gone).
 */
static int
smtpout_sess_check(struct smtpout_sess *s)
{
	unsigned char cert[32], spki[32];
	const char *detail = "";
	struct reason why;
	struct smtpout_proto_hostfail hf;
	enum smtpout_proto_fail k;
	uint32_t i;
	int have = tls_peer_sha256(s->tls, cert, spki) == 0;

	/* a host the policy refused is tried only under audit-only */
	if (s->host.refused && smtpout_sess_audit(s, SMTPOUT_PROTO_F_POLICY,
	    s->host.text) == -1)
		return -1;
	switch (s->host.requirement) {
	case IPC_REQ_CLEARTEXT_OK:
	case IPC_REQ_ENCRYPT:
		/* TLS 1.2+ is all the priority string allows */
		if (!s->host.sts_testing)
			break;
		/* MTA-STS testing (RFC 8461 §5): check, report, go on */
		if ((k = smtpout_sess_pkix(s, &detail)) != SMTPOUT_PROTO_F_NONE) {
			memset(&hf, 0, sizeof(hf));
			hf.kind = k;
			hf.host = s->host.name;
			hf.ip = s->ip;
			hf.detail = detail;
			smtpout_proto_fail_reason(&hf, &why, s->tl.fail);
			log_info("%s: MTA-STS testing: %s[%s] fails the policy "
			    "(%s: %s); delivering anyway", s->so->child.title,
			    s->host.name, s->ip, s->tl.fail, why.text);
		} else
			smtpout_text(s->tl.verify, sizeof(s->tl.verify),
			    "sts");
		break;
	case IPC_REQ_VERIFY:
	case IPC_REQ_MTA_STS:
		if ((k = smtpout_sess_pkix(s, &detail)) !=
		    SMTPOUT_PROTO_F_NONE && smtpout_sess_audit(s, k, detail) ==
		    -1)
			return -1;
		break;
	case IPC_REQ_FINGERPRINT:
		for (i = 0; have && i < s->host.nfp; i++)
			if (memcmp(s->host.fp[i], cert, 32) == 0 ||
			    memcmp(s->host.fp[i], spki, 32) == 0)
				break;
		if ((!have || i == s->host.nfp) && smtpout_sess_audit(s,
		    SMTPOUT_PROTO_F_FINGERPRINT, "no digest matches") == -1)
			return -1;
		break;
	case IPC_REQ_DANE:
	case IPC_REQ_DANE_ONLY:
		if ((k = smtpout_sess_dane(s, &detail)) !=
		    SMTPOUT_PROTO_F_NONE && smtpout_sess_audit(s, k, detail) ==
		    -1)
			return -1;
		break;
	default:
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_UNIMPLEMENTED,
		    "unknown requirement");
	}
	/* audit-only: a tolerated failure keeps the verdict AUDIT */
	if (s->verdict != SMTPOUT_V_AUDIT)
		s->verdict = SMTPOUT_V_PASSED;
	s->verdict_req = s->host.requirement;
	/* the TLS report (RFC 8460): a tolerated or testing failure is a
	   failure of the domain's policy all the same */
	if (s->job != NULL)
		smtpout_plan_session(s->so, s->job, &s->host, s->ip,
		    s->verdict == SMTPOUT_V_AUDIT ? s->tl.would_defer :
		    s->tl.fail, 0);
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
	/* words for the out line (doc/design.md §9): log text */
	smtpout_text(s->tl.tls, sizeof(s->tl.tls), "%s", f.version);
	smtpout_text(s->tl.cipher, sizeof(s->tl.cipher), "%s", f.cipher);
	smtpout_text(s->tl.verify, sizeof(s->tl.verify), "%s",
	    s->host.requirement == IPC_REQ_VERIFY ? "pkix" :
	    s->host.requirement == IPC_REQ_MTA_STS ? "sts" :
	    s->host.requirement == IPC_REQ_FINGERPRINT ? "fingerprint" :
	    "none");
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

int
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
int
smtpout_sess_starttls(struct smtpout_sess *s)
{
	struct smtpout_resume *r;
	char c;
	int dane;

	if (s->in.len > 0 || recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_INJECTED,
		    "plaintext injected after STARTTLS");
	/*
	 * DANE: the TLSA base domain is the SNI (RFC 7672 §8.1), and no
	 * resumption, so that every session shows the chain it is checked
	 * on.
	 */
	dane = s->host.requirement == IPC_REQ_DANE ||
	    s->host.requirement == IPC_REQ_DANE_ONLY;
	r = dane ? NULL : smtpout_resume_find(s, 0);
	s->tls = tls_client_session(&s->so->tls, s->fd, dane &&
	    s->host.tlsa_base[0] != '\0' ? s->host.tlsa_base : s->host.name,
	    r != NULL ? &r->data : NULL);
	if (s->tls == NULL)
		return smtpout_sess_hostfail(s, SMTPOUT_PROTO_F_TLS,
		    "cannot start TLS");
	s->state = SMTPOUT_S_HANDSHAKE;
	smtpout_sess_arm(s, s->so->conf->smtpout_command_timeout);
	return smtpout_sess_handshake(s);
}

/* AUTH inside TLS (RFC 4954), or straight to the transaction. */
int
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
int
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
