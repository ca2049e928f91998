/*
 * cli_show_fmt.c: the pure half of `sealpost show`: its command line, and
 * what it prints for the files the queue process passed (doc/design.md
 * §3): the envelope (sealpost-envelope(5), read with envelope_parse),
 * each recipient with its attempt history (queue/ID.hist, read line by
 * line with history_parse; a line that does not parse is shown as such
 * and the others still are) and the TLS facts of each attempt (RFC 8460
 * result types, the policy source that demanded the check), then the
 * message's header (RFC 5322, up to the first empty line) and, with
 * --body, the rest. Text for an admin (local times), or one JSON object
 * (RFC 8259; times RFC 3339 UTC; strings through cli_queue_json_str, so
 * octets that are not UTF-8 become U+FFFD). No I/O: output goes to a
 * struct buf that cli_show.c writes. Unit-tested in
 * tests/unit/test_cli_show.c. Linked by the sealpost binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lib/buf.h"
#include "smtp/envelope.h"
#include "smtp/history.h"

/* what goes under "  attempt N  " */
#define CLI_SHOW_INDENT		"             "

/* One line of the history: where it is, whose it is. */
struct cli_show_line {
	size_t		off;
	size_t		len;
	uint32_t	rcpt;		/* nrcpt: unreadable or no such
					   recipient */
};

/* The history split into lines, ordered by recipient (stably). */
struct cli_show_hist {
	struct cli_show_line	*line;	/* in file order */
	size_t			 n;
	size_t			*order;	/* line indices, by rcpt */
	size_t			*first;	/* nrcpt + 2 starts */
};

/* ---- the command line --------------------------------------------------- */

enum cli_show_cmd
cli_show_args(int argc, char **argv, struct cli_show_opts *o, char *err,
    size_t errlen)
{
	int i, twice = 0, n;

	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return CLI_SHOW_HELP;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			twice |= o->json++;
		else if (strcmp(a, "--body") == 0)
			twice |= o->body++;
		else if (a[0] == '-' && a[1] != '\0' && strcmp(a, "--") != 0) {
			n = snprintf(err, errlen, "unknown option %.*s%s", 80,
			    a, strlen(a) > 80 ? "..." : "");
			goto bad;
		} else {
			/* after "--", the one ID, even if it starts with - */
			if (strcmp(a, "--") == 0 && ++i < argc &&
			    i + 1 < argc)
				o->id = argv[i];	/* and one more */
			if (i >= argc)
				break;
			if (o->id != NULL) {
				n = snprintf(err, errlen, "one message ID "
				    "only");
				goto bad;
			}
			o->id = argv[i];
		}
	}
	if (twice) {
		n = snprintf(err, errlen, "an option is given twice");
		goto bad;
	}
	if (o->id == NULL) {
		n = snprintf(err, errlen, "no message ID given");
		goto bad;
	}
	o->json = o->json != 0;
	o->body = o->body != 0;
	if (cli_queue_id_arg("show", o->id, err, errlen) == -1)
		return CLI_SHOW_BADID;
	return CLI_SHOW_RUN;
bad:
	if (n < 0 || (size_t)n >= errlen)
		err[errlen - 1] = '\0';
	return CLI_SHOW_USAGE;
}

/* ---- pieces ------------------------------------------------------------- */

size_t
cli_show_header_len(const char *s, size_t len)
{
	size_t i;

	/* an empty line at the very start: no header at all */
	if (len >= 1 && s[0] == '\n')
		return 1;
	if (len >= 2 && s[0] == '\r' && s[1] == '\n')
		return 2;
	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n')
			return i + 2;
		if (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* The header without its empty line, and where the body starts. */
static void
cli_show_split(const char *s, size_t len, size_t *hlen, size_t *boff)
{
	size_t h = cli_show_header_len(s, len);

	*boff = h;
	if (h >= 2 && h <= len && s[h - 1] == '\n' && s[h - 2] == '\r' &&
	    (h == 2 || s[h - 3] == '\n'))
		h -= 2;
	else if (h >= 1 && h <= len && s[h - 1] == '\n' &&
	    (h == 1 || s[h - 2] == '\n'))
		h -= 1;
	*hlen = h;
}

/* t in local time with its zone: "2026-12-05 10:00:01 +0000". */
static int
cli_show_time(struct buf *b, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[48];

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		return buf_printf(b, "@%lld", (long long)t);
	return buf_puts(b, s);
}

/* A span of seconds as an admin reads it: "2 h 5 min", "3 d 4 h", "40 s". */
static int
cli_show_span(struct buf *b, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		return buf_printf(b, "%lld s", (long long)secs);
	if (secs < 3600)
		return buf_printf(b, "%lld min", (long long)(secs / 60));
	if (secs < 86400)
		return buf_printf(b, "%lld h %lld min",
		    (long long)(secs / 3600), (long long)(secs % 3600 / 60));
	return buf_printf(b, "%lld d %lld h", (long long)(secs / 86400),
	    (long long)(secs % 86400 / 3600));
}

/* "T (2 h 5 min ago)" or "T (in 1 h 0 min)". */
static int
cli_show_when(struct buf *b, int64_t t, int64_t now)
{
	if (cli_show_time(b, t) == -1 ||
	    buf_puts(b, t <= now ? " (" : " (in ") == -1 ||
	    cli_show_span(b, t <= now ? now - t : t - now) == -1)
		return -1;
	return buf_puts(b, t <= now ? " ago)" : ")");
}

/* A label column, then a cleaned value. */
static int
cli_show_kv(struct buf *b, const char *label, const char *v)
{
	if (buf_printf(b, "%-10s %s", label, "") == -1)
		return -1;
	return cli_queue_put(b, v, 0);
}

/* s[0..len) a line at a time, indented, each tab as four spaces. */
static int
cli_show_lines(struct buf *b, const char *s, size_t len, const char *indent)
{
	size_t i = 0, e, t;

	while (i < len) {
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		t = e;
		if (t > i && s[t - 1] == '\r')
			t--;
		if (buf_puts(b, indent) == -1)
			return -1;
		while (i < t) {
			const char *tab = memchr(s + i, '\t', t - i);
			size_t n = tab != NULL ? (size_t)(tab - (s + i)) :
			    t - i;

			if (cli_queue_text_put(b, s + i, n, 0) == -1 ||
			    (tab != NULL && buf_puts(b, "    ") == -1))
				return -1;
			i += n + (tab != NULL);
		}
		if (buf_puts(b, "\n") == -1)
			return -1;
		i = e + 1;
	}
	return 0;
}

/* ---- the history -------------------------------------------------------- */

static void
cli_show_hist_free(struct cli_show_hist *h)
{
	free(h->line);
	free(h->order);
	free(h->first);
	memset(h, 0, sizeof(*h));
}

/*
 * Splits s[0..len) into lines and sorts them by recipient: a line that
 * does not parse, or names no recipient of the envelope, goes in the last
 * bucket (nrcpt). Returns 0, or -1 (ENOMEM).
 */
static int
cli_show_hist_index(struct cli_show_hist *h, const char *s, size_t len,
    size_t nrcpt)
{
	struct history_rec r;
	size_t i, e, cap = 0, k;
	void *p;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < len; i = e + 1) {
		for (e = i; e < len && s[e] != '\n'; e++)
			;
		if (h->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(h->line, cap,
			    sizeof(*h->line))) == NULL)
				goto fail;
			h->line = p;
		}
		h->line[h->n].off = i;
		h->line[h->n].len = e - i;
		h->line[h->n].rcpt = history_parse(s + i, e - i, &r, NULL,
		    0) == 0 && r.rcpt < nrcpt ? r.rcpt : (uint32_t)nrcpt;
		h->n++;
	}
	if ((h->first = calloc(nrcpt + 2, sizeof(*h->first))) == NULL ||
	    (h->order = reallocarray(NULL, h->n ? h->n : 1,
	    sizeof(*h->order))) == NULL)
		goto fail;
	for (i = 0; i < h->n; i++)
		h->first[h->line[i].rcpt + 1]++;
	for (k = 1; k < nrcpt + 2; k++)
		h->first[k] += h->first[k - 1];
	for (i = 0; i < h->n; i++) {
		/* counting sort: the bucket's next slot, kept stable */
		h->order[h->first[h->line[i].rcpt]++] = i;
	}
	for (k = nrcpt + 1; k > 0; k--)
		h->first[k] = h->first[k - 1];
	h->first[0] = 0;
	return 0;
fail:
	cli_show_hist_free(h);
	errno = ENOMEM;
	return -1;
}

/* Code, dsn, failure and "(policy source)" of what is there. */
static int
cli_show_failure(struct buf *b, int code, const char *dsn,
    const char *failure, const char *policy)
{
	const char *sep = "";

	if (code != 0) {
		if (buf_printf(b, "%d", code) == -1)
			return -1;
		sep = " ";
	}
	if (dsn[0] != '\0') {
		if (buf_puts(b, sep) == -1 || cli_queue_put(b, dsn, 0) == -1)
			return -1;
		sep = " ";
	}
	if (failure[0] != '\0') {
		if (buf_puts(b, sep) == -1 ||
		    cli_queue_put(b, failure, 0) == -1)
			return -1;
		sep = " ";
	}
	if (policy[0] != '\0' && (buf_printf(b, "%s(", sep) == -1 ||
	    cli_queue_put(b, policy, 0) == -1 || buf_puts(b, ")") == -1))
		return -1;
	return 0;
}

/* " key=value" when value is not "". */
static int
cli_show_opt(struct buf *b, const char *key, const char *v)
{
	if (v[0] == '\0')
		return 0;
	if (buf_printf(b, " %s=", key) == -1)
		return -1;
	return cli_queue_put(b, v, 0);
}

/* One attempt in text, under its recipient. */
static int
cli_show_attempt_text(struct buf *b, const struct history_rec *r)
{
	const char *res = history_result_name(r->result);

	if (buf_printf(b, "  attempt %-3lu", (unsigned long)r->attempt) == -1 ||
	    cli_show_time(b, r->time) == -1 ||
	    buf_printf(b, "  %s ", res != NULL ? res : "?") == -1 ||
	    cli_show_failure(b, r->code, r->dsn, r->failure,
	    r->policy_src) == -1 || buf_puts(b, "\n") == -1)
		return -1;
	if (r->mx[0] != '\0' || r->ip[0] != '\0' || r->tls[0] != '\0') {
		if (buf_puts(b, CLI_SHOW_INDENT) == -1 ||
		    cli_queue_put(b, r->mx[0] ? r->mx : "-", 0) == -1 ||
		    (r->ip[0] != '\0' && (buf_puts(b, " [") == -1 ||
		    cli_queue_put(b, r->ip, 0) == -1 ||
		    buf_puts(b, "]") == -1)) ||
		    (r->tls[0] != '\0' && (buf_puts(b, " ") == -1 ||
		    cli_queue_put(b, r->tls, 0) == -1)) ||
		    (r->cipher[0] != '\0' && (buf_puts(b, " ") == -1 ||
		    cli_queue_put(b, r->cipher, 0) == -1)) ||
		    buf_puts(b, "\n") == -1)
			return -1;
	}
	if (r->policy[0] != '\0' || r->verify[0] != '\0' ||
	    r->cert[0] != '\0' || r->tls_fail[0] != '\0') {
		if (buf_puts(b, CLI_SHOW_INDENT) == -1 ||
		    buf_puts(b, "policy=") == -1 ||
		    cli_queue_put(b, r->policy[0] ? r->policy : "-", 0) == -1 ||
		    cli_show_opt(b, "verify", r->verify) == -1 ||
		    cli_show_opt(b, "cert", r->cert) == -1 ||
		    cli_show_opt(b, "testing-failure", r->tls_fail) == -1 ||
		    buf_puts(b, "\n") == -1)
			return -1;
	}
	if (r->text[0] != '\0' && (buf_puts(b, CLI_SHOW_INDENT) == -1 ||
	    cli_queue_put(b, r->text, 0) == -1 || buf_puts(b, "\n") == -1))
		return -1;
	return 0;
}

/* One attempt as a JSON object (first: no comma before it). */
static int
cli_show_attempt_json(struct buf *b, const struct history_rec *r, int first)
{
	const char *res = history_result_name(r->result);

	return buf_printf(b, "%s{\"attempt\":%lu", first ? "" : ",",
	    (unsigned long)r->attempt) == -1 ||
	    cli_queue_json_time(b, "time", r->time, 0) == -1 ||
	    buf_printf(b, ",\"result\":\"%s\"",
	    res != NULL ? res : "?") == -1 ||
	    (r->code == 0 ? buf_puts(b, ",\"code\":null") :
	    buf_printf(b, ",\"code\":%d", r->code)) == -1 ||
	    cli_queue_json_field(b, "dsn", r->dsn, 1) == -1 ||
	    cli_queue_json_field(b, "failure", r->failure, 1) == -1 ||
	    cli_queue_json_field(b, "policy", r->policy, 1) == -1 ||
	    cli_queue_json_field(b, "policy_src", r->policy_src, 1) == -1 ||
	    cli_queue_json_field(b, "mx", r->mx, 1) == -1 ||
	    cli_queue_json_field(b, "ip", r->ip, 1) == -1 ||
	    cli_queue_json_field(b, "tls", r->tls, 1) == -1 ||
	    cli_queue_json_field(b, "cipher", r->cipher, 1) == -1 ||
	    cli_queue_json_field(b, "verify", r->verify, 1) == -1 ||
	    cli_queue_json_field(b, "cert", r->cert, 1) == -1 ||
	    cli_queue_json_field(b, "tls_fail", r->tls_fail, 1) == -1 ||
	    cli_queue_json_field(b, "text", r->text, 1) == -1 ||
	    buf_puts(b, "}") == -1 ? -1 : 0;
}

/* The attempts of bucket k (a recipient, or nrcpt: the unreadable). */
static int
cli_show_hist_put(struct buf *b, const struct cli_show_hist *h,
    const char *s, size_t k, size_t nrcpt, int json)
{
	struct history_rec r;
	char why[160];
	size_t i;
	const struct cli_show_line *l;

	for (i = h->first[k]; i < h->first[k + 1]; i++) {
		l = &h->line[h->order[i]];
		if (k < nrcpt) {
			/* it parsed before */
			if (history_parse(s + l->off, l->len, &r, NULL,
			    0) == -1)
				return -1;
			if ((json ? cli_show_attempt_json(b, &r,
			    i == h->first[k]) : cli_show_attempt_text(b,
			    &r)) == -1)
				return -1;
			continue;
		}
		why[0] = '\0';
		if (history_parse(s + l->off, l->len, &r, why,
		    sizeof(why)) == 0 && snprintf(why, sizeof(why),
		    "recipient %lu is not in the envelope",
		    (unsigned long)r.rcpt) < 0)
			why[0] = '\0';
		if (json) {
			if (buf_printf(b, "%s{\"line\":%lu",
			    i == h->first[k] ? "" : ",",
			    (unsigned long)h->order[i] + 1) == -1 ||
			    cli_queue_json_field(b, "why", why, 0) == -1 ||
			    buf_puts(b, "}") == -1)
				return -1;
		} else if (buf_printf(b, "  (unreadable history line %lu: ",
		    (unsigned long)h->order[i] + 1) == -1 ||
		    cli_queue_put(b, why, 0) == -1 || buf_puts(b, ")\n") == -1)
			return -1;
	}
	return 0;
}

/* A recipient in text. */
static int
cli_show_rcpt_text(struct buf *b, const struct envelope *e,
    const struct envelope_rcpt *rc, int64_t now)
{
	const char *st = envelope_rcpt_state_name(rc->state);
	int open = rc->state == ENVELOPE_RCPT_PENDING ||
	    rc->state == ENVELOPE_RCPT_DEFERRED;

	if (cli_show_kv(b, "recipient", rc->addr) == -1 ||
	    buf_printf(b, "\n  state    %s%s, %lu attempt%s",
	    st != NULL ? st : "?", open && e->held != 0 ? " (held)" : "",
	    (unsigned long)rc->attempts, cli_queue_plural(rc->attempts)) == -1)
		return -1;
	if (rc->last_attempt != 0 && (buf_puts(b, ", last ") == -1 ||
	    cli_show_time(b, rc->last_attempt) == -1))
		return -1;
	if (rc->state == ENVELOPE_RCPT_DEFERRED && e->held == 0 &&
	    (buf_puts(b, ", next try ") == -1 ||
	    (rc->next_retry <= now ? buf_puts(b, "now") :
	    cli_show_time(b, rc->next_retry)) == -1))
		return -1;
	if (buf_puts(b, "\n") == -1)
		return -1;
	if ((rc->notify != 0 || rc->orcpt[0] != '\0') &&
	    (buf_puts(b, "  dsn     ") == -1 ||
	    (rc->notify & ENVELOPE_NOTIFY_NEVER && buf_puts(b,
	    " notify=never") == -1) ||
	    (rc->notify & ENVELOPE_NOTIFY_SUCCESS && buf_puts(b,
	    " notify=success") == -1) ||
	    (rc->notify & ENVELOPE_NOTIFY_FAILURE && buf_puts(b,
	    " notify=failure") == -1) ||
	    (rc->notify & ENVELOPE_NOTIFY_DELAY && buf_puts(b,
	    " notify=delay") == -1) ||
	    cli_show_opt(b, "orcpt", rc->orcpt) == -1 ||
	    buf_puts(b, "\n") == -1))
		return -1;
	if (rc->error.code == 0)
		return 0;
	if (buf_puts(b, "  last     ") == -1 ||
	    cli_show_failure(b, rc->error.code, rc->error.dsn, rc->failure,
	    rc->policy) == -1 ||
	    (rc->mx[0] != '\0' && (buf_puts(b, " at ") == -1 ||
	    cli_queue_put(b, rc->mx, 0) == -1)) ||
	    (rc->error.text[0] != '\0' && (buf_puts(b, ": ") == -1 ||
	    cli_queue_put(b, rc->error.text, 0) == -1)))
		return -1;
	return buf_puts(b, "\n");
}

/* A recipient as JSON, its history still open. */
static int
cli_show_rcpt_json(struct buf *b, const struct envelope_rcpt *rc, int first)
{
	const char *st = envelope_rcpt_state_name(rc->state);

	return buf_puts(b, first ? "{\"address\":" : ",{\"address\":") == -1 ||
	    cli_queue_json_str(b, rc->addr, strlen(rc->addr)) == -1 ||
	    buf_printf(b, ",\"state\":\"%s\",\"attempts\":%lu",
	    st != NULL ? st : "?", (unsigned long)rc->attempts) == -1 ||
	    cli_queue_json_time(b, "last_attempt", rc->last_attempt, 1) == -1 ||
	    cli_queue_json_time(b, "next_retry", rc->next_retry, 1) == -1 ||
	    (rc->error.code == 0 ? buf_puts(b, ",\"code\":null") :
	    buf_printf(b, ",\"code\":%d", rc->error.code)) == -1 ||
	    cli_queue_json_field(b, "dsn", rc->error.dsn, 1) == -1 ||
	    cli_queue_json_field(b, "failure", rc->failure, 1) == -1 ||
	    cli_queue_json_field(b, "policy", rc->policy, 1) == -1 ||
	    cli_queue_json_field(b, "mx", rc->mx, 1) == -1 ||
	    cli_queue_json_field(b, "text", rc->error.text, 1) == -1 ||
	    buf_puts(b, ",\"history\":[") == -1 ? -1 : 0;
}

/* The message's own lines in text, down to the recipients. */
static int
cli_show_msg_text(struct buf *b, const struct envelope *e,
    const struct cli_show_in *in)
{
	static const char *const bodies[] = { "", "7bit", "8bitmime" };
	const char *sep = " ";

	if (cli_show_kv(b, "id", e->id) == -1 ||
	    (in->active && buf_puts(b, "  (being delivered now)") == -1) ||
	    buf_puts(b, "\narrival    ") == -1 ||
	    cli_show_when(b, e->arrival, in->now) == -1 ||
	    buf_printf(b, "\nsize       %llu octet%s\nfrom       <",
	    (unsigned long long)e->size, cli_queue_plural(e->size)) == -1 ||
	    cli_queue_put(b, e->from, 0) == -1 || buf_puts(b, ">\n") == -1)
		return -1;
	if (e->client_ip[0] != '\0' || e->client_helo[0] != '\0' ||
	    e->client_tls[0] != '\0' || e->client_user[0] != '\0') {
		if (buf_puts(b, "client    ") == -1 ||
		    (e->client_ip[0] != '\0' && (buf_puts(b, " ") == -1 ||
		    cli_queue_put(b, e->client_ip, 0) == -1)) ||
		    cli_show_opt(b, "helo", e->client_helo) == -1 ||
		    cli_show_opt(b, "tls", e->client_tls) == -1 ||
		    cli_show_opt(b, "user", e->client_user) == -1 ||
		    buf_puts(b, "\n") == -1)
			return -1;
	}
	if (e->requiretls || e->ret != ENVELOPE_RET_NONE ||
	    e->envid[0] != '\0' || e->body != ENVELOPE_BODY_NONE ||
	    e->smtputf8 || e->tlsrequired_no || e->auth[0] != '\0' ||
	    e->notice != ENVELOPE_NOTICE_NONE) {
		if (buf_puts(b, "options   ") == -1)
			return -1;
		if (e->requiretls) {
			if (buf_printf(b, "%srequiretls", sep) == -1)
				return -1;
			sep = ", ";
		}
		if (e->tlsrequired_no) {
			if (buf_printf(b, "%stls-required: no", sep) == -1)
				return -1;
			sep = ", ";
		}
		if (e->ret != ENVELOPE_RET_NONE) {
			if (buf_printf(b, "%sret=%s", sep,
			    e->ret == ENVELOPE_RET_FULL ? "full" :
			    "hdrs") == -1)
				return -1;
			sep = ", ";
		}
		if (e->envid[0] != '\0') {
			if (buf_printf(b, "%senvid=", sep) == -1 ||
			    cli_queue_put(b, e->envid, 0) == -1)
				return -1;
			sep = ", ";
		}
		if (e->body != ENVELOPE_BODY_NONE &&
		    (unsigned)e->body <= ENVELOPE_BODY_8BITMIME) {
			if (buf_printf(b, "%sbody=%s", sep,
			    bodies[e->body]) == -1)
				return -1;
			sep = ", ";
		}
		if (e->smtputf8) {
			if (buf_printf(b, "%ssmtputf8", sep) == -1)
				return -1;
			sep = ", ";
		}
		if (e->auth[0] != '\0') {
			if (buf_printf(b, "%sauth=", sep) == -1 ||
			    cli_queue_put(b, e->auth, 0) == -1)
				return -1;
			sep = ", ";
		}
		if (e->notice == ENVELOPE_NOTICE_POSTMASTER &&
		    buf_printf(b, "%spostmaster notice", sep) == -1)
			return -1;
		if (buf_puts(b, "\n") == -1)
			return -1;
	}
	if (e->warned != 0 && (buf_puts(b, "warned     ") == -1 ||
	    cli_show_time(b, e->warned) == -1 || buf_puts(b, "\n") == -1))
		return -1;
	if (e->held != 0 && (buf_puts(b, "held       since ") == -1 ||
	    cli_show_when(b, e->held, in->now) == -1 ||
	    buf_puts(b, "\n") == -1))
		return -1;
	if (e->held_total > 0 && (buf_puts(b, e->held != 0 ?
	    "           held before: " : "held       not now; held before: ") ==
	    -1 || cli_show_span(b, e->held_total) == -1 ||
	    buf_puts(b, " in all\n") == -1))
		return -1;
	return 0;
}

/* The message's own keys in JSON, down to "recipients":[. */
static int
cli_show_msg_json(struct buf *b, const struct envelope *e,
    const struct cli_show_in *in)
{
	return buf_puts(b, "{\"id\":") == -1 ||
	    cli_queue_json_str(b, e->id, strlen(e->id)) == -1 ||
	    cli_queue_json_time(b, "arrival", e->arrival, 0) == -1 ||
	    buf_printf(b, ",\"size\":%llu", (unsigned long long)e->size) ==
	    -1 || cli_queue_json_field(b, "from", e->from, 0) == -1 ||
	    buf_puts(b, ",\"client\":{\"ip\":") == -1 ||
	    (e->client_ip[0] == '\0' ? buf_puts(b, "null") :
	    cli_queue_json_str(b, e->client_ip, strlen(e->client_ip))) == -1 ||
	    cli_queue_json_field(b, "helo", e->client_helo, 1) == -1 ||
	    cli_queue_json_field(b, "tls", e->client_tls, 1) == -1 ||
	    cli_queue_json_field(b, "user", e->client_user, 1) == -1 ||
	    buf_printf(b, "},\"active\":%s,\"requiretls\":%s,\"ret\":%s",
	    in->active ? "true" : "false", e->requiretls ? "true" : "false",
	    e->ret == ENVELOPE_RET_FULL ? "\"full\"" :
	    e->ret == ENVELOPE_RET_HDRS ? "\"hdrs\"" : "null") == -1 ||
	    cli_queue_json_field(b, "envid", e->envid, 1) == -1 ||
	    cli_queue_json_time(b, "held", e->held, 1) == -1 ||
	    buf_printf(b, ",\"held_total\":%lld,\"recipients\":[",
	    (long long)e->held_total) == -1 ? -1 : 0;
}

int
cli_show_fmt(struct buf *b, const struct cli_show_in *in, char *why,
    size_t whysize)
{
	struct envelope e;
	struct reason r;
	struct cli_show_hist h;
	size_t i, hlen, boff;
	int rc = -1, n;

	if (envelope_parse(in->env, in->envlen, &e, &r) == -1) {
		n = snprintf(why, whysize, "%s", r.text);
		if (n < 0 || (size_t)n >= whysize)
			why[whysize - 1] = '\0';
		return -2;
	}
	if (cli_show_hist_index(&h, in->hist, in->histlen, e.nrcpt) == -1) {
		envelope_free(&e);
		return -1;
	}
	if ((in->json ? cli_show_msg_json(b, &e, in) :
	    cli_show_msg_text(b, &e, in)) == -1)
		goto out;
	for (i = 0; i < e.nrcpt; i++) {
		if (in->json) {
			if (cli_show_rcpt_json(b, &e.rcpt[i], i == 0) == -1 ||
			    cli_show_hist_put(b, &h, in->hist, i, e.nrcpt,
			    1) == -1 || buf_puts(b, "]}") == -1)
				goto out;
		} else if (cli_show_rcpt_text(b, &e, &e.rcpt[i], in->now) ==
		    -1 || cli_show_hist_put(b, &h, in->hist, i, e.nrcpt,
		    0) == -1)
			goto out;
	}
	if (in->json && buf_puts(b, "],\"unreadable_history\":[") == -1)
		goto out;
	if (cli_show_hist_put(b, &h, in->hist, e.nrcpt, e.nrcpt,
	    in->json) == -1)
		goto out;
	hlen = boff = 0;
	if (in->contentlen > 0)
		cli_show_split(in->content, in->contentlen, &hlen, &boff);
	if (in->json) {
		if (buf_puts(b, "],\"header\":") == -1 ||
		    cli_queue_json_str(b, in->content, hlen) == -1 ||
		    (in->body && (buf_puts(b, ",\"body\":") == -1 ||
		    cli_queue_json_str(b, boff < in->contentlen ?
		    in->content + boff : "", in->contentlen - boff) == -1)) ||
		    buf_puts(b, "}\n") == -1)
			goto out;
	} else {
		if (buf_puts(b, "header\n") == -1 ||
		    cli_show_lines(b, in->content, hlen, "  ") == -1)
			goto out;
		if (in->body && (buf_puts(b, "body\n") == -1 ||
		    (boff < in->contentlen && cli_show_lines(b,
		    in->content + boff, in->contentlen - boff, "  ") == -1)))
			goto out;
	}
	rc = 0;
out:
	cli_show_hist_free(&h);
	envelope_free(&e);
	return rc;
}
