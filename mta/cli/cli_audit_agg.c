/*
 * cli_audit_agg.c: the counters of `sealpost audit` (doc/design.md §9):
 * inbound by TLS version and listener and the cleartext clients, outbound
 * by result, verification, policy and its source, per destination domain
 * (RFC 8460 §4.3 failure types, first and last seen) and the downgrade
 * events. Memory is bounded: at most max_domains domains and
 * CLI_AUDIT_CLIENTS_MAX clients are kept apart (the first seen; the rest
 * add to an "(other)" row), small tallies keep CLI_AUDIT_TALLY_MAX names,
 * and the last CLI_AUDIT_EVENTS_MAX downgrade events. Pure: no I/O.
 * Linked by the sealpost binary and tests/unit/test_cli_audit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_audit.h"

const char *const cli_audit_event_names[10] = {
	"in", "in-rcpt", "out", "queued", "bounce", "auth", "policy", "admin",
	"session", "other",
};

static const char *const cli_audit_agg_fails[CLI_AUDIT_F_N] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted",
	"validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
	"sts-webpki-invalid", "other",
};

static const char *const cli_audit_agg_results[5] = {
	"sent", "deferred", "bounced", "expired", "other",
};

const char *
cli_audit_fail_name(int f)
{
	if (f < 0 || f >= CLI_AUDIT_F_N)
		return "other";
	return cli_audit_agg_fails[f];
}

static int
cli_audit_agg_fail(const char *s)
{
	int f;

	for (f = 0; f < CLI_AUDIT_F_OTHER; f++)
		if (strcasecmp(s, cli_audit_agg_fails[f]) == 0)
			return f;
	return CLI_AUDIT_F_OTHER;
}

int
cli_audit_init(struct cli_audit *a, const struct cli_audit_filter *f,
    size_t max_domains)
{
	memset(a, 0, sizeof(*a));
	a->filter = *f;
	a->first = a->last = -1;
	a->max_domains = max_domains ? max_domains : CLI_AUDIT_DOMAINS_MAX;
	a->domslots = a->max_domains * 2;
	a->doms = calloc(a->domslots, sizeof(*a->doms));
	a->clients = calloc(CLI_AUDIT_CLIENTS_MAX * 2, sizeof(*a->clients));
	if (a->doms == NULL || a->clients == NULL) {
		cli_audit_free(a);
		return -1;
	}
	(void)strlcpy(a->dom_other.name, "(other)", sizeof(a->dom_other.name));
	a->dom_other.first = a->dom_other.last = -1;
	return 0;
}

void
cli_audit_free(struct cli_audit *a)
{
	free(a->doms);
	free(a->clients);
	a->doms = NULL;
	a->clients = NULL;
}

static void
cli_audit_agg_tally(struct cli_audit_tally *t, const char *name, int col,
    uint64_t n)
{
	char key[CLI_AUDIT_NAME_MAX];
	size_t i;

	(void)strlcpy(key, name, sizeof(key));
	for (i = 0; i < t->n; i++)
		if (strcmp(t->row[i].name, key) == 0)
			break;
	if (i == t->n) {
		if (t->n == CLI_AUDIT_TALLY_MAX) {
			t->other[col] += n;
			return;
		}
		memcpy(t->row[i].name, key, sizeof(key));
		t->n++;
	}
	t->row[i].v[col] += n;
}

static uint64_t
cli_audit_agg_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The domain's row: its slot, a new one, or "(other)" past the cap. */
static struct cli_audit_dom *
cli_audit_agg_dom(struct cli_audit *a, const char *domain)
{
	char name[sizeof(a->doms[0].name)];
	struct cli_audit_dom *d;
	size_t i, n;

	for (n = 0; domain[n] != '\0' && n < sizeof(name) - 1; n++)
		name[n] = (domain[n] >= 'A' && domain[n] <= 'Z') ?
		    (char)(domain[n] - 'A' + 'a') : domain[n];
	name[n] = '\0';
	i = cli_audit_agg_hash(name) % a->domslots;
	for (;;) {
		d = &a->doms[i];
		if (!d->used)
			break;
		if (strcmp(d->name, name) == 0)
			return d;
		i = (i + 1) % a->domslots;
	}
	if (a->ndoms == a->max_domains)
		return &a->dom_other;
	memcpy(d->name, name, n + 1);
	d->used = 1;
	d->first = d->last = -1;
	a->ndoms++;
	return d;
}

/* A cleartext in line (session 0) or session line (session 1). */
static void
cli_audit_agg_client(struct cli_audit *a, const char *client, int session)
{
	struct cli_audit_client *c;
	size_t i, slots = CLI_AUDIT_CLIENTS_MAX * 2;

	if (session)
		a->clients_sessions++;
	else
		a->clients_total++;
	i = cli_audit_agg_hash(client) % slots;
	for (;;) {
		c = &a->clients[i];
		if (!c->used)
			break;
		if (strncmp(c->name, client, sizeof(c->name) - 1) == 0) {
			if (session)
				c->sessions++;
			else
				c->n++;
			return;
		}
		i = (i + 1) % slots;
	}
	if (a->nclients == CLI_AUDIT_CLIENTS_MAX) {
		a->clients_other++;
		return;
	}
	(void)strlcpy(c->name, client, sizeof(c->name));
	c->used = 1;
	c->n = session ? 0 : 1;
	c->sessions = session ? 1 : 0;
	a->nclients++;
}

static void
cli_audit_agg_seen(int64_t *first, int64_t *last, int64_t ts)
{
	if (ts < 0)
		return;
	if (*first < 0 || ts < *first)
		*first = ts;
	if (*last < 0 || ts > *last)
		*last = ts;
}

static void
cli_audit_agg_event(struct cli_audit *a, const struct cli_audit_rec *rec,
    int kind, const char *domain, const char *detail)
{
	struct cli_audit_event *e;
	/* a policy line's id= is the MTA-STS policy's, not a message's */
	const char *id = strcmp(rec->event, "policy") == 0 ? NULL :
	    cli_audit_get(rec, "id");

	a->ev_count[kind]++;
	e = &a->ev[a->ev_total % CLI_AUDIT_EVENTS_MAX];
	a->ev_total++;
	e->ts = rec->ts;
	e->kind = kind;
	(void)strlcpy(e->domain, domain, sizeof(e->domain));
	(void)strlcpy(e->id, id ? id : "", sizeof(e->id));
	(void)strlcpy(e->detail, detail, sizeof(e->detail));
}

/* Whether address s is at domain (any case). */
static int
cli_audit_agg_at(const char *s, const char *domain)
{
	const char *at = strrchr(s, '@');

	return at != NULL && strcasecmp(at + 1, domain) == 0;
}

static int
cli_audit_agg_match(const struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const struct cli_audit_filter *f = &a->filter;
	const char *v;
	size_t i;
	int ok;

	if ((f->since >= 0 && (rec->ts < 0 || rec->ts < f->since)) ||
	    (f->until >= 0 && (rec->ts < 0 || rec->ts > f->until)))
		return 0;
	if (f->id != NULL && (strcmp(rec->event, "policy") == 0 ||
	    !(((v = cli_audit_get(rec, "id")) != NULL &&
	    strcmp(v, f->id) == 0) || ((v = cli_audit_get(rec,
	    "bounce_id")) != NULL && strcmp(v, f->id) == 0))))
		return 0;
	if (f->domain == NULL)
		return 1;
	if ((v = cli_audit_get(rec, "domain")) != NULL)
		return strcasecmp(v, f->domain) == 0;
	ok = 0;
	for (i = 0; i < rec->nkv && !ok; i++)
		if (strcmp(rec->kv[i].key, "rcpt") == 0 ||
		    strcmp(rec->kv[i].key, "to") == 0)
			ok = cli_audit_agg_at(rec->kv[i].val, f->domain);
	return ok;
}

/* A decimal count, 0 when v is not one. */
static uint64_t
cli_audit_agg_num(const char *v)
{
	uint64_t n = 0;

	if (v == NULL)
		return 0;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (n > UINT64_MAX / 10 - 10)
			return 0;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	return *v == '\0' ? n : 0;
}

/*
 * The TLS version and listener an in or session line is counted under:
 * pickup apart (no network hop), "unknown" for what is missing.
 */
static void
cli_audit_agg_where(const struct cli_audit_rec *rec, const char **tls,
    const char **listener)
{
	*tls = cli_audit_get(rec, "tls");
	*listener = cli_audit_get(rec, "listener");
	if (*listener == NULL || **listener == '\0')
		*listener = "unknown";
	if (strcmp(*listener, "pickup") == 0)
		*tls = "local (pickup)";
	else if (*tls == NULL || **tls == '\0')
		*tls = "unknown";
}

static void
cli_audit_agg_in(struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const char *tls, *listener;
	const char *result = cli_audit_get(rec, "result");
	const char *client = cli_audit_get(rec, "client");
	int accepted = result != NULL && strcmp(result, "accepted") == 0;
	int clear;

	cli_audit_agg_where(rec, &tls, &listener);
	clear = strcmp(tls, "none") == 0;
	cli_audit_agg_tally(&a->in_tls, tls, accepted ? 0 : 1, 1);
	cli_audit_agg_tally(&a->in_listener, listener, accepted ? 0 : 1, 1);
	if (accepted) {
		cli_audit_agg_tally(&a->in_tls, tls, 2,
		    cli_audit_agg_num(cli_audit_get(rec, "nrcpt")));
		if (clear)
			cli_audit_agg_tally(&a->in_listener, listener, 3, 1);
	}
	if (clear)
		cli_audit_agg_client(a, client != NULL && *client != '\0' ?
		    client : "unknown", 0);
}

/*
 * A session line (smtpin, one per connection, doc/design.md §9): by TLS
 * version (pickup apart, as for in lines) and by listener. A line
 * without a usable msgs= counts as a session without a message.
 */
static void
cli_audit_agg_session(struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const char *tls, *listener;
	const char *result = cli_audit_get(rec, "result");
	const char *client = cli_audit_get(rec, "client");
	uint64_t msgs = cli_audit_agg_num(cli_audit_get(rec, "msgs"));
	int refused = result != NULL && strcmp(result, "refused") == 0;

	cli_audit_agg_where(rec, &tls, &listener);
	cli_audit_agg_tally(&a->sess_tls, tls, 0, 1);
	cli_audit_agg_tally(&a->sess_listener, listener, 0, 1);
	if (msgs == 0) {
		cli_audit_agg_tally(&a->sess_tls, tls, 1, 1);
		cli_audit_agg_tally(&a->sess_listener, listener, 1, 1);
	} else {
		cli_audit_agg_tally(&a->sess_tls, tls, 2, msgs);
		cli_audit_agg_tally(&a->sess_listener, listener, 2, msgs);
	}
	if (refused) {
		cli_audit_agg_tally(&a->sess_tls, tls, 3, 1);
		cli_audit_agg_tally(&a->sess_listener, listener, 3, 1);
	}
	/* a refused connection never got to TLS: no cleartext client */
	if (strcmp(tls, "none") == 0 && !refused)
		cli_audit_agg_client(a, client != NULL && *client != '\0' ?
		    client : "unknown", 1);
}

static void
cli_audit_agg_out(struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const char *result = cli_audit_get(rec, "result");
	const char *verify = cli_audit_get(rec, "verify");
	const char *src = cli_audit_get(rec, "policy_src");
	const char *policy = cli_audit_get(rec, "policy");
	const char *tls = cli_audit_get(rec, "tls");
	const char *failure = cli_audit_get(rec, "failure");
	const char *domain = cli_audit_get(rec, "domain");
	const char *would = cli_audit_get(rec, "would_defer");
	struct cli_audit_dom *d;
	char detail[128];
	int r, local;

	local = tls != NULL && strcmp(tls, "local") == 0;
	if (result == NULL || *result == '\0')
		result = "unknown";
	if (verify == NULL || *verify == '\0')
		verify = local ? "local" : "none";
	cli_audit_agg_tally(&a->out_result, result, 0, 1);
	cli_audit_agg_tally(&a->out_verify, verify, 0, 1);
	cli_audit_agg_tally(&a->out_src, src != NULL && *src != '\0' ? src :
	    local ? "local" : "-", 0, 1);
	cli_audit_agg_tally(&a->out_policy, policy != NULL && *policy != '\0' ?
	    policy : "-", 0, 1);
	/* audit-only: delivered, but the policy would have deferred it */
	if (would != NULL && *would != '\0')
		cli_audit_agg_tally(&a->out_would_defer, would, 0, 1);
	if (domain == NULL || *domain == '\0')
		domain = "unknown";
	d = cli_audit_agg_dom(a, domain);
	for (r = 0; r < 4; r++)
		if (strcmp(result, cli_audit_agg_results[r]) == 0)
			break;
	d->result[r]++;
	cli_audit_agg_seen(&d->first, &d->last, rec->ts);
	if (src != NULL && *src != '\0' && d != &a->dom_other)
		(void)strlcpy(d->policy_src, src, sizeof(d->policy_src));
	if (policy != NULL && *policy != '\0' && d != &a->dom_other)
		(void)strlcpy(d->policy, policy, sizeof(d->policy));
	if (failure != NULL && *failure != '\0') {
		d->fail[cli_audit_agg_fail(failure)]++;
		d->downgrades++;
		(void)snprintf(detail, sizeof(detail), "%s result=%s mx=%s",
		    failure, result, cli_audit_get(rec, "mx") ?
		    cli_audit_get(rec, "mx") : "");
		cli_audit_agg_event(a, rec, CLI_AUDIT_EV_TLS, domain, detail);
	}
	/* tls=none also when no connection got that far: only a sent one
	   went in cleartext (doc/design.md §9) */
	if (tls != NULL && strcmp(tls, "none") == 0 &&
	    strcmp(result, "sent") == 0) {
		d->cleartext++;
		d->downgrades++;
		(void)snprintf(detail, sizeof(detail), "policy=%s result=%s",
		    policy ? policy : "", result);
		cli_audit_agg_event(a, rec, CLI_AUDIT_EV_CLEAR, domain, detail);
	}
}

static void
cli_audit_agg_policy(struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const char *result = cli_audit_get(rec, "result");
	const char *domain = cli_audit_get(rec, "domain");
	const char *src = cli_audit_get(rec, "src");
	const char *v;
	struct cli_audit_dom *d;
	char detail[128];

	if (result == NULL || *result == '\0')
		result = "unknown";
	cli_audit_agg_tally(&a->policy_result, result, 0, 1);
	if (domain == NULL || *domain == '\0')
		domain = "unknown";
	d = cli_audit_agg_dom(a, domain);
	cli_audit_agg_seen(&d->first, &d->last, rec->ts);
	if (src != NULL && *src != '\0' && strcmp(result, "ok") == 0 &&
	    d != &a->dom_other)
		(void)strlcpy(d->policy_src, src, sizeof(d->policy_src));
	if (strcmp(result, "raised") == 0) {
		v = cli_audit_get(rec, "memory");
		(void)snprintf(detail, sizeof(detail), "memory=%s was=%s",
		    v ? v : "", cli_audit_get(rec, "was") ?
		    cli_audit_get(rec, "was") : "");
		d->downgrades++;
		cli_audit_agg_event(a, rec, CLI_AUDIT_EV_RAISED, domain,
		    detail);
	} else if (strcmp(result, "failed") == 0) {
		v = cli_audit_get(rec, "failure");
		(void)snprintf(detail, sizeof(detail), "src=%s %s: %s",
		    src ? src : "", v ? v : "", cli_audit_get(rec, "detail") ?
		    cli_audit_get(rec, "detail") : "");
		d->downgrades++;
		cli_audit_agg_event(a, rec, CLI_AUDIT_EV_POLICY, domain,
		    detail);
	}
}

void
cli_audit_add(struct cli_audit *a, const struct cli_audit_rec *rec)
{
	const char *v;
	size_t e;

	a->lines++;
	a->records++;
	if (!cli_audit_agg_match(a, rec)) {
		a->filtered++;
		return;
	}
	for (e = 0; e < 9; e++)
		if (strcmp(rec->event, cli_audit_event_names[e]) == 0)
			break;
	a->events[e]++;
	cli_audit_agg_seen(&a->first, &a->last, rec->ts);
	switch (e) {
	case 0:
		cli_audit_agg_in(a, rec);
		break;
	case 2:
		cli_audit_agg_out(a, rec);
		break;
	case 3:
		a->queued++;
		break;
	case 4:
		v = cli_audit_get(rec, "kind");
		cli_audit_agg_tally(&a->bounce, v ? v : "unknown", 0, 1);
		break;
	case 5:
		v = cli_audit_get(rec, "result");
		cli_audit_agg_tally(&a->auth, v ? v : "unknown", 0, 1);
		break;
	case 6:
		cli_audit_agg_policy(a, rec);
		break;
	case 7:
		v = cli_audit_get(rec, "op");
		cli_audit_agg_tally(&a->admin, v ? v : "unknown", 0, 1);
		break;
	case 8:
		cli_audit_agg_session(a, rec);
		break;
	default:
		break;
	}
}

void
cli_audit_note(struct cli_audit *a, int bad, const char *file,
    uint64_t lineno, const char *why)
{
	size_t i;

	a->lines++;
	if (!bad) {
		a->other++;
		return;
	}
	i = a->bad < CLI_AUDIT_BAD_MAX ? (size_t)a->bad : CLI_AUDIT_BAD_MAX;
	a->bad++;
	if (i == CLI_AUDIT_BAD_MAX)
		return;
	(void)snprintf(a->bad_line[i].where, sizeof(a->bad_line[i].where),
	    "%s:%llu", file, (unsigned long long)lineno);
	(void)strlcpy(a->bad_line[i].why, why, sizeof(a->bad_line[i].why));
}

static int
cli_audit_agg_cmp(const void *x, const void *y)
{
	const struct cli_audit_dom *a = *(const struct cli_audit_dom *const *)x;
	const struct cli_audit_dom *b = *(const struct cli_audit_dom *const *)y;
	uint64_t na = 0, nb = 0;
	int i;

	for (i = 0; i < 5; i++) {
		na += a->result[i];
		nb += b->result[i];
	}
	if (na != nb)
		return na > nb ? -1 : 1;
	return strcmp(a->name, b->name);
}

struct cli_audit_dom **
cli_audit_domains(struct cli_audit *a, size_t *n)
{
	struct cli_audit_dom **v;
	size_t i, k = 0;

	*n = 0;
	if ((v = calloc(a->ndoms + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < a->domslots; i++)
		if (a->doms[i].used)
			v[k++] = &a->doms[i];
	if (a->dom_other.first >= 0 || a->dom_other.downgrades > 0 ||
	    a->dom_other.result[0] + a->dom_other.result[1] +
	    a->dom_other.result[2] + a->dom_other.result[3] +
	    a->dom_other.result[4] > 0)
		v[k++] = &a->dom_other;
	if (k == 0) {
		free(v);
		return NULL;
	}
	qsort(v, k, sizeof(*v), cli_audit_agg_cmp);
	*n = k;
	return v;
}
