/*
 * cli_audit_fmt.c: the report of `sealpost audit` (doc/design.md §9),
 * text for a person to read in a minute or one JSON object (RFC 8259)
 * whose members sealpost(8) documents. RFC 8460 §4.3 names the failure
 * types; times are RFC 3339 UTC. Pure: no I/O. Linked by the sealpost
 * binary and tests/unit/test_cli_audit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_audit.h"
#include "lib/buf.h"

#define CLI_AUDIT_FMT_CLIENTS	10	/* text: the top cleartext clients */
#define CLI_AUDIT_FMT_DOMAINS	20	/* text: the top domains */
#define CLI_AUDIT_FMT_EVENTS	20	/* text: the last downgrade events */

static const char *const cli_audit_fmt_evnames[CLI_AUDIT_EV_N] = {
	"raised", "policy-failed", "tls-failure", "cleartext",
};

/* Fixed rows, printed even when 0, before the others a tally has. */
static const char *const cli_audit_fmt_results[] = {
	"sent", "deferred", "bounced", "expired", NULL,
};
static const char *const cli_audit_fmt_verifies[] = {
	"dane-ee", "dane-ta", "sts", "pkix", "fingerprint", "none", NULL,
};

/* ts as RFC 3339 UTC into out, or "-" when unknown. */
static void
cli_audit_fmt_time(char *out, size_t size, int64_t ts)
{
	struct tm tm;
	time_t t = (time_t)ts;

	if (ts < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)strlcpy(out, "-", size);
}

/* s for a terminal: every byte but printable ASCII becomes '?'. */
static void
cli_audit_fmt_clean(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] > 0x7e) ? '?' : s[i];
	out[i] = '\0';
}

static int
cli_audit_fmt_pct(struct buf *b, uint64_t n, uint64_t of)
{
	if (of == 0)
		return 0;
	return buf_printf(b, " (%.1f%%)", 100.0 * (double)n / (double)of);
}

/* Column 0 of the row called name in t, 0 when there is none. */
static uint64_t
cli_audit_fmt_col0(const struct cli_audit_tally *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->row[i].name, name) == 0)
			return t->row[i].v[0];
	return 0;
}

/* "name N  name N ..." of column 0, the fixed names first. */
static int
cli_audit_fmt_line(struct buf *b, const char *title,
    const struct cli_audit_tally *t, const char *const *fixed)
{
	char name[CLI_AUDIT_NAME_MAX];
	size_t i, k;
	uint64_t v;

	if (buf_printf(b, "  %-11s", title) == -1)
		return -1;
	for (k = 0; fixed != NULL && fixed[k] != NULL; k++) {
		v = cli_audit_fmt_col0(t, fixed[k]);
		if (buf_printf(b, " %s %llu", fixed[k],
		    (unsigned long long)v) == -1)
			return -1;
	}
	for (i = 0; i < t->n; i++) {
		for (k = 0; fixed != NULL && fixed[k] != NULL; k++)
			if (strcmp(t->row[i].name, fixed[k]) == 0)
				break;
		if (fixed != NULL && fixed[k] != NULL)
			continue;
		cli_audit_fmt_clean(name, sizeof(name), t->row[i].name);
		if (buf_printf(b, " %s %llu", name,
		    (unsigned long long)t->row[i].v[0]) == -1)
			return -1;
	}
	if (t->other[0] > 0 && buf_printf(b, " (other) %llu",
	    (unsigned long long)t->other[0]) == -1)
		return -1;
	if (t->n == 0 && t->other[0] == 0 && (fixed == NULL ||
	    fixed[0] == NULL) && buf_puts(b, " -") == -1)
		return -1;
	return buf_puts(b, "\n");
}

static int
cli_audit_fmt_clientcmp(const void *x, const void *y)
{
	const struct cli_audit_client *a = x, *b = y;

	if (a->used != b->used)
		return a->used ? -1 : 1;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if (a->sessions != b->sessions)
		return a->sessions > b->sessions ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The clients sorted, most in lines, then sessions, first (the array is
   the report's). */
static void
cli_audit_fmt_sort_clients(struct cli_audit *a)
{
	qsort(a->clients, CLI_AUDIT_CLIENTS_MAX * 2, sizeof(*a->clients),
	    cli_audit_fmt_clientcmp);
}

static int
cli_audit_fmt_fails(struct buf *b, const struct cli_audit_dom *d)
{
	int f, any = 0;

	for (f = 0; f < CLI_AUDIT_F_N; f++) {
		if (d->fail[f] == 0)
			continue;
		if (buf_printf(b, "%s%s %llu", any ? ", " : "",
		    cli_audit_fail_name(f), (unsigned long long)d->fail[f]) ==
		    -1)
			return -1;
		any = 1;
	}
	return any ? 0 : buf_puts(b, "-");
}

/* The session lines' part of the inbound report, when there are any. */
static int
cli_audit_fmt_sessions(struct buf *b, const struct cli_audit *a)
{
	const struct cli_audit_tally *t[2] = { &a->sess_tls,
	    &a->sess_listener };
	const char *title[2] = { "tls", "listener" };
	char name[CLI_AUDIT_NAME_MAX];
	uint64_t nomsg = 0, refused = 0, clear = 0;
	size_t i, k;

	if (a->events[8] == 0)
		return 0;
	for (i = 0; i < a->sess_tls.n; i++) {
		nomsg += a->sess_tls.row[i].v[1];
		refused += a->sess_tls.row[i].v[3];
		if (strcmp(a->sess_tls.row[i].name, "none") == 0)
			clear += a->sess_tls.row[i].v[0] -
			    a->sess_tls.row[i].v[3];
	}
	nomsg += a->sess_tls.other[1];
	refused += a->sess_tls.other[3];
	if (buf_printf(b, "Inbound sessions (session lines): %llu sessions, "
	    "%llu cleartext", (unsigned long long)a->events[8],
	    (unsigned long long)clear) == -1 ||
	    cli_audit_fmt_pct(b, clear, a->events[8]) == -1 ||
	    buf_printf(b, ", %llu without a message, %llu refused at "
	    "connect\n", (unsigned long long)nomsg,
	    (unsigned long long)refused) == -1)
		return -1;
	for (k = 0; k < 2; k++) {
		if (buf_printf(b, "  %-16s %10s %10s %10s %10s\n", title[k],
		    "sessions", "no message", "messages", "refused") == -1)
			return -1;
		for (i = 0; i <= t[k]->n; i++) {
			const uint64_t *v = i < t[k]->n ? t[k]->row[i].v :
			    t[k]->other;

			if (i == t[k]->n && v[0] == 0)
				break;
			cli_audit_fmt_clean(name, sizeof(name), i < t[k]->n ?
			    t[k]->row[i].name : "(other)");
			if (buf_printf(b, "  %-16s %10llu %10llu %10llu "
			    "%10llu\n", name, (unsigned long long)v[0],
			    (unsigned long long)v[1], (unsigned long long)v[2],
			    (unsigned long long)v[3]) == -1)
				return -1;
		}
	}
	return 0;
}

static int
cli_audit_fmt_text(struct buf *b, struct cli_audit *a)
{
	struct cli_audit_dom **doms;
	const struct cli_audit_event *e;
	char t1[32], t2[32], name[256];
	uint64_t acc = 0, clear = 0, n;
	size_t i, nd, k;
	int ev;

	if (buf_printf(b, "sealpost audit: %llu lines: %llu records, %llu "
	    "other lines, %llu malformed (skipped)\n",
	    (unsigned long long)a->lines, (unsigned long long)a->records,
	    (unsigned long long)a->other, (unsigned long long)a->bad) == -1)
		return -1;
	cli_audit_fmt_time(t1, sizeof(t1), a->first);
	cli_audit_fmt_time(t2, sizeof(t2), a->last);
	if (buf_printf(b, "  from %s to %s", t1, t2) == -1)
		return -1;
	if (a->filter.since >= 0 || a->filter.until >= 0 ||
	    a->filter.domain != NULL || a->filter.id != NULL) {
		cli_audit_fmt_time(t1, sizeof(t1), a->filter.since);
		cli_audit_fmt_time(t2, sizeof(t2), a->filter.until);
		if (buf_printf(b, "; filter since %s until %s", t1, t2) == -1)
			return -1;
		if (a->filter.domain != NULL) {
			cli_audit_fmt_clean(name, sizeof(name),
			    a->filter.domain);
			if (buf_printf(b, " domain %s", name) == -1)
				return -1;
		}
		if (a->filter.id != NULL) {
			cli_audit_fmt_clean(name, sizeof(name), a->filter.id);
			if (buf_printf(b, " id %s", name) == -1)
				return -1;
		}
		if (buf_printf(b, ": %llu records left out",
		    (unsigned long long)a->filtered) == -1)
			return -1;
	}
	if (buf_puts(b, "\n") == -1)
		return -1;
	for (i = 0; i < a->bad && i < CLI_AUDIT_BAD_MAX; i++) {
		cli_audit_fmt_clean(name, sizeof(name), a->bad_line[i].where);
		if (buf_printf(b, "  malformed: %s: %s\n", name,
		    a->bad_line[i].why) == -1)
			return -1;
	}
	if (a->bad > CLI_AUDIT_BAD_MAX && buf_printf(b, "  malformed: %llu "
	    "more\n", (unsigned long long)(a->bad - CLI_AUDIT_BAD_MAX)) == -1)
		return -1;

	/* inbound */
	for (i = 0; i < a->in_tls.n; i++) {
		acc += a->in_tls.row[i].v[0];
		if (strcmp(a->in_tls.row[i].name, "none") == 0)
			clear += a->in_tls.row[i].v[0];
	}
	acc += a->in_tls.other[0];
	if (buf_printf(b, "\nInbound (in lines): %llu messages accepted, "
	    "%llu cleartext", (unsigned long long)acc,
	    (unsigned long long)clear) == -1 ||
	    cli_audit_fmt_pct(b, clear, acc) == -1 ||
	    buf_printf(b, ", %llu refused\n",
	    (unsigned long long)a->events[0] - acc) == -1)
		return -1;
	if (a->in_tls.n > 0 && buf_printf(b, "  %-16s %10s %10s %10s\n",
	    "tls", "accepted", "refused", "recipients") == -1)
		return -1;
	for (i = 0; i < a->in_tls.n; i++) {
		cli_audit_fmt_clean(name, sizeof(name), a->in_tls.row[i].name);
		if (buf_printf(b, "  %-16s %10llu %10llu %10llu\n", name,
		    (unsigned long long)a->in_tls.row[i].v[0],
		    (unsigned long long)a->in_tls.row[i].v[1],
		    (unsigned long long)a->in_tls.row[i].v[2]) == -1)
			return -1;
	}
	if (a->in_listener.n > 0 && buf_printf(b, "  %-16s %10s %10s %10s\n",
	    "listener", "accepted", "refused", "cleartext") == -1)
		return -1;
	for (i = 0; i < a->in_listener.n; i++) {
		cli_audit_fmt_clean(name, sizeof(name),
		    a->in_listener.row[i].name);
		if (buf_printf(b, "  %-16s %10llu %10llu %10llu\n", name,
		    (unsigned long long)a->in_listener.row[i].v[0],
		    (unsigned long long)a->in_listener.row[i].v[1],
		    (unsigned long long)a->in_listener.row[i].v[3]) == -1)
			return -1;
	}
	if (cli_audit_fmt_sessions(b, a) == -1)
		return -1;
	if (a->clients_sessions > 0) {
		/* with session lines: the lines and the sessions per client */
		cli_audit_fmt_sort_clients(a);
		if (buf_printf(b, "  top cleartext clients (%llu in lines and "
		    "%llu sessions with tls=none from %zu%s clients):\n"
		    "    %10s %10s  %s\n", (unsigned long long)a->clients_total,
		    (unsigned long long)a->clients_sessions, a->nclients,
		    a->clients_other ? "+" : "", "in lines", "sessions",
		    "client") == -1)
			return -1;
		for (i = 0; i < CLI_AUDIT_FMT_CLIENTS && a->clients[i].used;
		    i++) {
			cli_audit_fmt_clean(name, sizeof(name),
			    a->clients[i].name);
			if (buf_printf(b, "    %10llu %10llu  %s\n",
			    (unsigned long long)a->clients[i].n,
			    (unsigned long long)a->clients[i].sessions,
			    name) == -1)
				return -1;
		}
	} else if (a->clients_total > 0) {
		cli_audit_fmt_sort_clients(a);
		if (buf_printf(b, "  top cleartext clients (%llu in lines "
		    "with tls=none from %zu%s clients):\n",
		    (unsigned long long)a->clients_total, a->nclients,
		    a->clients_other ? "+" : "") == -1)
			return -1;
		for (i = 0; i < CLI_AUDIT_FMT_CLIENTS && a->clients[i].used;
		    i++) {
			cli_audit_fmt_clean(name, sizeof(name),
			    a->clients[i].name);
			if (buf_printf(b, "    %10llu  %s\n",
			    (unsigned long long)a->clients[i].n, name) == -1)
				return -1;
		}
	}

	/* outbound */
	if (buf_printf(b, "\nOutbound (out lines): %llu recipient attempts\n",
	    (unsigned long long)a->events[2]) == -1 ||
	    cli_audit_fmt_line(b, "result:", &a->out_result,
	    cli_audit_fmt_results) == -1 ||
	    cli_audit_fmt_line(b, "verify:", &a->out_verify,
	    cli_audit_fmt_verifies) == -1 ||
	    cli_audit_fmt_line(b, "policy:", &a->out_policy, NULL) == -1 ||
	    cli_audit_fmt_line(b, "policy_src:", &a->out_src, NULL) == -1)
		return -1;
	if ((a->out_would_defer.n > 0 || a->out_would_defer.other[0] > 0) &&
	    cli_audit_fmt_line(b, "audit-only, would defer:",
	    &a->out_would_defer, NULL) == -1)
		return -1;
	doms = cli_audit_domains(a, &nd);
	/* the "(other)" row is among the nd rows, but no domain */
	if (buf_printf(b, "\nDomains (out and policy lines): ") == -1 ||
	    (a->ndoms < nd ? buf_printf(b, "%zu kept apart, more under "
	    "\"(other)\"", a->ndoms) : buf_printf(b, "%zu", a->ndoms)) == -1 ||
	    (nd > CLI_AUDIT_FMT_DOMAINS && buf_printf(b, ", the top %d "
	    "by out lines", CLI_AUDIT_FMT_DOMAINS) == -1) ||
	    buf_printf(b, "; at most %zu kept apart\n", a->max_domains) == -1)
		goto fail;
	if (nd > 0 && buf_printf(b, "  %-28s %7s %7s %6s %-10s %-20s %-20s "
	    "%s\n", "domain", "sent", "defer", "bounce", "policy_src",
	    "first seen", "last seen", "failures") == -1)
		goto fail;
	for (k = 0; k < nd && k < CLI_AUDIT_FMT_DOMAINS; k++) {
		cli_audit_fmt_clean(name, 29, doms[k]->name);
		cli_audit_fmt_time(t1, sizeof(t1), doms[k]->first);
		cli_audit_fmt_time(t2, sizeof(t2), doms[k]->last);
		if (buf_printf(b, "  %-28s %7llu %7llu %6llu %-10s %-20s "
		    "%-20s ", name, (unsigned long long)doms[k]->result[0],
		    (unsigned long long)doms[k]->result[1],
		    (unsigned long long)(doms[k]->result[2] +
		    doms[k]->result[3]), doms[k]->policy_src[0] ?
		    doms[k]->policy_src : "-", t1, t2) == -1 ||
		    cli_audit_fmt_fails(b, doms[k]) == -1 ||
		    buf_puts(b, "\n") == -1)
			goto fail;
	}
	free(doms);

	/* downgrades */
	if (buf_printf(b, "\nDowngrade events: %llu (raised by memory %llu, "
	    "policy failures %llu, TLS/DANE/STS failures %llu, cleartext "
	    "%llu)\n", (unsigned long long)a->ev_total,
	    (unsigned long long)a->ev_count[CLI_AUDIT_EV_RAISED],
	    (unsigned long long)a->ev_count[CLI_AUDIT_EV_POLICY],
	    (unsigned long long)a->ev_count[CLI_AUDIT_EV_TLS],
	    (unsigned long long)a->ev_count[CLI_AUDIT_EV_CLEAR]) == -1)
		return -1;
	n = a->ev_total < CLI_AUDIT_FMT_EVENTS ? a->ev_total :
	    CLI_AUDIT_FMT_EVENTS;
	for (i = 0; i < n; i++) {
		e = &a->ev[(a->ev_total - n + i) % CLI_AUDIT_EVENTS_MAX];
		cli_audit_fmt_time(t1, sizeof(t1), e->ts);
		cli_audit_fmt_clean(name, sizeof(name), e->domain);
		ev = e->kind;
		if (buf_printf(b, "  %-20s %-13s %s ", t1,
		    cli_audit_fmt_evnames[ev], name) == -1)
			return -1;
		cli_audit_fmt_clean(name, sizeof(name), e->detail);
		if (buf_printf(b, "%s", name) == -1)
			return -1;
		cli_audit_fmt_clean(name, sizeof(name), e->id);
		if ((name[0] != '\0' && buf_printf(b, " id=%s", name) == -1) ||
		    buf_puts(b, "\n") == -1)
			return -1;
	}

	if (buf_printf(b, "\nOther: %llu queued\n",
	    (unsigned long long)a->queued) == -1 ||
	    cli_audit_fmt_line(b, "bounce:", &a->bounce, NULL) == -1 ||
	    cli_audit_fmt_line(b, "auth:", &a->auth, NULL) == -1 ||
	    cli_audit_fmt_line(b, "admin:", &a->admin, NULL) == -1 ||
	    cli_audit_fmt_line(b, "policy:", &a->policy_result, NULL) == -1)
		return -1;
	return 0;
fail:
	free(doms);
	return -1;
}

/* ,"key":N */
static int
cli_audit_fmt_jnum(struct buf *b, const char *key, uint64_t n, int first)
{
	return buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", key,
	    (unsigned long long)n);
}

/* ,"key":"time" or null */
static int
cli_audit_fmt_jtime(struct buf *b, const char *key, int64_t ts)
{
	char t[32];

	if (ts < 0)
		return buf_printf(b, ",\"%s\":null", key);
	cli_audit_fmt_time(t, sizeof(t), ts);
	return buf_printf(b, ",\"%s\":\"%s\"", key, t);
}

/* ,"title":{"name":N,...} of column 0 */
static int
cli_audit_fmt_jtally(struct buf *b, const char *title,
    const struct cli_audit_tally *t, const char *const *fixed)
{
	size_t i, k;
	int first = 1;
	uint64_t v;

	if (buf_printf(b, ",\"%s\":{", title) == -1)
		return -1;
	for (k = 0; fixed != NULL && fixed[k] != NULL; k++) {
		v = cli_audit_fmt_col0(t, fixed[k]);
		if (cli_audit_fmt_jnum(b, fixed[k], v, first) == -1)
			return -1;
		first = 0;
	}
	for (i = 0; i < t->n; i++) {
		for (k = 0; fixed != NULL && fixed[k] != NULL; k++)
			if (strcmp(t->row[i].name, fixed[k]) == 0)
				break;
		if (fixed != NULL && fixed[k] != NULL)
			continue;
		if ((!first && buf_puts(b, ",") == -1) ||
		    cli_queue_json_str(b, t->row[i].name,
		    strlen(t->row[i].name)) == -1 ||
		    buf_printf(b, ":%llu",
		    (unsigned long long)t->row[i].v[0]) == -1)
			return -1;
		first = 0;
	}
	if (t->other[0] > 0 && cli_audit_fmt_jnum(b, "(other)", t->other[0],
	    first) == -1)
		return -1;
	return buf_puts(b, "}");
}

/* ,"title":[{"name":..,c0:..,..}] of the columns named cols */
static int
cli_audit_fmt_jrows(struct buf *b, const char *title,
    const struct cli_audit_tally *t, const char *const cols[4])
{
	size_t i, c;

	if (buf_printf(b, ",\"%s\":[", title) == -1)
		return -1;
	for (i = 0; i <= t->n; i++) {
		if (i == t->n && t->other[0] + t->other[1] + t->other[2] +
		    t->other[3] == 0)
			break;
		if (buf_printf(b, "%s{\"name\":", i ? "," : "") == -1 ||
		    cli_queue_json_str(b, i < t->n ? t->row[i].name :
		    "(other)", i < t->n ? strlen(t->row[i].name) : 7) == -1)
			return -1;
		for (c = 0; c < 4; c++)
			if (cols[c] != NULL && cli_audit_fmt_jnum(b, cols[c],
			    i < t->n ? t->row[i].v[c] : t->other[c], 0) == -1)
				return -1;
		if (buf_puts(b, "}") == -1)
			return -1;
	}
	return buf_puts(b, "]");
}

static int
cli_audit_fmt_jdom(struct buf *b, const struct cli_audit_dom *d, int first)
{
	int f, any = 0;

	if (buf_printf(b, "%s{\"domain\":", first ? "" : ",") == -1 ||
	    cli_queue_json_str(b, d->name, strlen(d->name)) == -1 ||
	    cli_audit_fmt_jnum(b, "sent", d->result[0], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "deferred", d->result[1], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "bounced", d->result[2], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "expired", d->result[3], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "other", d->result[4], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "cleartext", d->cleartext, 0) == -1 ||
	    cli_audit_fmt_jnum(b, "downgrades", d->downgrades, 0) == -1 ||
	    cli_queue_json_field(b, "policy_src", d->policy_src, 1) == -1 ||
	    cli_queue_json_field(b, "policy", d->policy, 1) == -1 ||
	    cli_audit_fmt_jtime(b, "first", d->first) == -1 ||
	    cli_audit_fmt_jtime(b, "last", d->last) == -1 ||
	    buf_puts(b, ",\"failures\":{") == -1)
		return -1;
	for (f = 0; f < CLI_AUDIT_F_N; f++) {
		if (d->fail[f] == 0)
			continue;
		if (cli_audit_fmt_jnum(b, cli_audit_fail_name(f), d->fail[f],
		    !any) == -1)
			return -1;
		any = 1;
	}
	return buf_puts(b, "}}");
}

static int
cli_audit_fmt_json(struct buf *b, struct cli_audit *a)
{
	static const char *const tls_cols[4] = { "accepted", "refused",
	    "recipients", NULL };
	static const char *const lis_cols[4] = { "accepted", "refused", NULL,
	    "cleartext" };
	static const char *const sess_cols[4] = { "sessions", "no_message",
	    "messages", "refused" };
	struct cli_audit_dom **doms;
	const struct cli_audit_event *e;
	size_t i, nd, n;

	if (buf_puts(b, "{") == -1 ||
	    cli_audit_fmt_jnum(b, "lines", a->lines, 1) == -1 ||
	    cli_audit_fmt_jnum(b, "records", a->records, 0) == -1 ||
	    cli_audit_fmt_jnum(b, "other", a->other, 0) == -1 ||
	    cli_audit_fmt_jnum(b, "malformed", a->bad, 0) == -1 ||
	    cli_audit_fmt_jnum(b, "filtered", a->filtered, 0) == -1 ||
	    cli_audit_fmt_jtime(b, "first", a->first) == -1 ||
	    cli_audit_fmt_jtime(b, "last", a->last) == -1 ||
	    buf_puts(b, ",\"filter\":{\"domain\":") == -1 ||
	    (a->filter.domain ? cli_queue_json_str(b, a->filter.domain,
	    strlen(a->filter.domain)) : buf_puts(b, "null")) == -1 ||
	    buf_puts(b, ",\"id\":") == -1 ||
	    (a->filter.id ? cli_queue_json_str(b, a->filter.id,
	    strlen(a->filter.id)) : buf_puts(b, "null")) == -1 ||
	    cli_audit_fmt_jtime(b, "since", a->filter.since) == -1 ||
	    cli_audit_fmt_jtime(b, "until", a->filter.until) == -1 ||
	    buf_puts(b, "},\"malformed_lines\":[") == -1)
		return -1;
	for (i = 0; i < a->bad && i < CLI_AUDIT_BAD_MAX; i++)
		if (buf_printf(b, "%s{\"where\":", i ? "," : "") == -1 ||
		    cli_queue_json_str(b, a->bad_line[i].where,
		    strlen(a->bad_line[i].where)) == -1 ||
		    cli_queue_json_field(b, "why", a->bad_line[i].why, 0) ==
		    -1 || buf_puts(b, "}") == -1)
			return -1;
	if (buf_puts(b, "],\"events\":{") == -1)
		return -1;
	for (i = 0; i < 10; i++)
		if (cli_audit_fmt_jnum(b, cli_audit_event_names[i],
		    a->events[i], i == 0) == -1)
			return -1;
	if (buf_puts(b, "},\"inbound\":{") == -1 ||
	    cli_audit_fmt_jnum(b, "cleartext_lines", a->clients_total, 1) ==
	    -1 || cli_audit_fmt_jrows(b, "tls", &a->in_tls, tls_cols) == -1 ||
	    cli_audit_fmt_jrows(b, "listeners", &a->in_listener, lis_cols) ==
	    -1 || cli_audit_fmt_jnum(b, "sessions", a->events[8], 0) == -1 ||
	    cli_audit_fmt_jnum(b, "cleartext_sessions", a->clients_sessions,
	    0) == -1 || cli_audit_fmt_jrows(b, "session_tls", &a->sess_tls,
	    sess_cols) == -1 || cli_audit_fmt_jrows(b, "session_listeners",
	    &a->sess_listener, sess_cols) == -1 ||
	    cli_audit_fmt_jnum(b, "cleartext_clients_other",
	    a->clients_other, 0) == -1 ||
	    buf_puts(b, ",\"cleartext_clients\":[") == -1)
		return -1;
	cli_audit_fmt_sort_clients(a);
	for (i = 0; i < CLI_AUDIT_CLIENTS_MAX * 2 && a->clients[i].used; i++)
		if (buf_printf(b, "%s{\"client\":", i ? "," : "") == -1 ||
		    cli_queue_json_str(b, a->clients[i].name,
		    strlen(a->clients[i].name)) == -1 ||
		    cli_audit_fmt_jnum(b, "lines", a->clients[i].n, 0) == -1 ||
		    cli_audit_fmt_jnum(b, "sessions", a->clients[i].sessions,
		    0) == -1 || buf_puts(b, "}") == -1)
			return -1;
	if (buf_puts(b, "]},\"outbound\":{") == -1 ||
	    cli_audit_fmt_jnum(b, "attempts", a->events[2], 1) == -1 ||
	    cli_audit_fmt_jtally(b, "result", &a->out_result,
	    cli_audit_fmt_results) == -1 ||
	    cli_audit_fmt_jtally(b, "verify", &a->out_verify,
	    cli_audit_fmt_verifies) == -1 ||
	    cli_audit_fmt_jtally(b, "policy", &a->out_policy, NULL) == -1 ||
	    cli_audit_fmt_jtally(b, "policy_src", &a->out_src, NULL) == -1 ||
	    cli_audit_fmt_jtally(b, "would_defer", &a->out_would_defer,
	    NULL) == -1 ||
	    buf_printf(b, "},\"domains_max\":%zu,\"domains\":[",
	    a->max_domains) == -1)
		return -1;
	doms = cli_audit_domains(a, &nd);
	for (i = 0; i < nd; i++)
		if (cli_audit_fmt_jdom(b, doms[i], i == 0) == -1) {
			free(doms);
			return -1;
		}
	free(doms);
	if (buf_puts(b, "],\"downgrades\":{") == -1 ||
	    cli_audit_fmt_jnum(b, "total", a->ev_total, 1) == -1)
		return -1;
	for (i = 0; i < CLI_AUDIT_EV_N; i++)
		if (cli_audit_fmt_jnum(b, cli_audit_fmt_evnames[i],
		    a->ev_count[i], 0) == -1)
			return -1;
	if (buf_puts(b, ",\"last\":[") == -1)
		return -1;
	n = a->ev_total < CLI_AUDIT_EVENTS_MAX ? (size_t)a->ev_total :
	    CLI_AUDIT_EVENTS_MAX;
	for (i = 0; i < n; i++) {
		e = &a->ev[(a->ev_total - n + i) % CLI_AUDIT_EVENTS_MAX];
		if (buf_printf(b, "%s{\"kind\":\"%s\"", i ? "," : "",
		    cli_audit_fmt_evnames[e->kind]) == -1 ||
		    cli_audit_fmt_jtime(b, "ts", e->ts) == -1 ||
		    cli_queue_json_field(b, "domain", e->domain, 0) == -1 ||
		    cli_queue_json_field(b, "id", e->id, 1) == -1 ||
		    cli_queue_json_field(b, "detail", e->detail, 0) == -1 ||
		    buf_puts(b, "}") == -1)
			return -1;
	}
	if (buf_puts(b, "]}") == -1 ||
	    cli_audit_fmt_jnum(b, "queued", a->queued, 0) == -1 ||
	    cli_audit_fmt_jtally(b, "bounce", &a->bounce, NULL) == -1 ||
	    cli_audit_fmt_jtally(b, "auth", &a->auth, NULL) == -1 ||
	    cli_audit_fmt_jtally(b, "admin", &a->admin, NULL) == -1 ||
	    cli_audit_fmt_jtally(b, "policy_lines", &a->policy_result,
	    NULL) == -1 || buf_puts(b, "}\n") == -1)
		return -1;
	return 0;
}

int
cli_audit_fmt(struct buf *b, struct cli_audit *a, int json)
{
	return json ? cli_audit_fmt_json(b, a) : cli_audit_fmt_text(b, a);
}
