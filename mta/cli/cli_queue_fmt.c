/*
 * cli_queue_fmt.c: the pure half of `sealpost queue` and mailq(1): the
 * command line, the reader that checks the listing's frames batch by
 * batch (doc/design.md §3), and what is printed for them: a message's
 * text block or JSON Lines object (JSON: RFC 8259, times RFC 3339, UTF-8
 * as RFC 3629 defines it), the last line's counts, and the per-domain
 * summary of --summary with the most common failure (RFC 8460 §4.3
 * result types, RFC 3463 status codes). No I/O: output is appended to a
 * struct buf that cli_queue.c writes; the only state kept is the current
 * message. --summary's per-domain counters are cli_queue_sum.c; the
 * operations' own lines are cli_queue_opfmt.c.
 * Unit-tested in tests/unit/test_cli_queue.c. Linked by the sealpost
 * binary.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/ipc.h"
#include "smtp/envelope.h"

/* 9999-12-31T23:59:59Z: the last time RFC 3339 can write. */
#define CLI_QUEUE_TIME_MAX	INT64_C(253402300799)
#define CLI_QUEUE_DAYS_MAX	36500		/* --older-than */
#define CLI_QUEUE_REASON_MAX	1024		/* a reason before cutting */

/* struct cli_queue_tally counts the states of enum ipc_queue_state. */
typedef char cli_queue_fmt_states_fit[IPC_QUEUE_S_MAX == 4 ? 1 : -1];

static const char *const cli_queue_state_names[IPC_QUEUE_S_MAX] = {
	[IPC_QUEUE_S_PENDING] = "pending",
	[IPC_QUEUE_S_DEFERRED] = "deferred",
	[IPC_QUEUE_S_ACTIVE] = "active",
	[IPC_QUEUE_S_HELD] = "held",
};

/* RFC 8460 §4.3: the result types a deferral can carry. */
static const char *const cli_queue_failures[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted", "validation-failure",
	"tlsa-invalid", "dnssec-invalid", "dane-required",
	"sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
};

/* ---- output primitives -------------------------------------------------- */

/*
 * The UTF-8 sequence at s[0..len) (RFC 3629 §4: no overlong form, no
 * surrogate, nothing past U+10FFFF): its length, with the code point in
 * *cp; or, when it is ill-formed, minus the length of its maximal
 * subpart (at least 1), which is replaced as one (Unicode §3.9).
 */
static int
cli_queue_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;
	uint32_t v;

	*cp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;		/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;		/* past U+10FFFF */
	} else
		return -1;
	for (i = 1; i < n; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return -(int)i;
		v = v << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return (int)n;
}

/* C0, DEL and C1: what may drive a terminal. */
static int
cli_queue_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

int
cli_queue_json_str(struct buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;
	uint32_t cp;
	char esc[3];
	int n, r;

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	while (i < len) {
		/* a run of what passes as it is */
		for (run = i; run < len; run += (size_t)n) {
			n = cli_queue_utf8(s + run, len - run, &cp);
			if (n < 0 || cli_queue_control(cp) || cp == '"' ||
			    cp == '\\' || cp == 0x2028 || cp == 0x2029)
				break;
		}
		if (run > i && buf_append(b, s + i, run - i) == -1)
			return -1;
		if ((i = run) == len)
			break;
		n = cli_queue_utf8(s + i, len - i, &cp);
		esc[0] = '\\';
		esc[2] = '\0';
		if (n < 0) {
			r = buf_puts(b, "\\ufffd");
			n = -n;
		} else if (cp == '"' || cp == '\\') {
			esc[1] = (char)cp;
			r = buf_puts(b, esc);
		} else if (cp == '\n' || cp == '\t' || cp == '\r' ||
		    cp == '\b' || cp == '\f') {
			esc[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' :
			    cp == '\r' ? 'r' : cp == '\b' ? 'b' : 'f';
			r = buf_puts(b, esc);
		} else
			r = buf_printf(b, "\\u%04x", (unsigned)cp);
		if (r == -1)
			return -1;
		i += (size_t)n;
	}
	return buf_append(b, "\"", 1);
}

/* The columns s[0..len) takes once written by cli_queue_text_put. */
size_t
cli_queue_cols(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, cols = 0;
	uint32_t cp;
	int n;

	for (i = 0; i < len; i += (size_t)(n < 0 ? -n : n)) {
		n = cli_queue_utf8(s + i, len - i, &cp);
		cols++;
	}
	return cols;
}

int
cli_queue_text_put(struct buf *b, const char *str, size_t len, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, run, cols = cli_queue_cols(str, len), limit;
	uint32_t cp;
	int n;

	limit = max > 3 && cols > max ? max - 3 : cols;
	for (i = 0, cols = 0; i < len && cols < limit;) {
		for (run = i; run < len && cols < limit; run += (size_t)n) {
			n = cli_queue_utf8(s + run, len - run, &cp);
			if (n < 0 || cli_queue_control(cp))
				break;
			cols++;
		}
		if (run > i && buf_append(b, s + i, run - i) == -1)
			return -1;
		if ((i = run) == len || cols == limit)
			break;
		n = cli_queue_utf8(s + i, len - i, &cp);
		if (buf_append(b, "?", 1) == -1)
			return -1;
		cols++;
		i += (size_t)(n < 0 ? -n : n);
	}
	if (i < len)
		return buf_append(b, "...", 3);
	return 0;
}

/* A NUL-terminated field of the frame, as text and as JSON. */
int
cli_queue_put(struct buf *b, const char *s, size_t max)
{
	return cli_queue_text_put(b, s, strlen(s), max);
}

int
cli_queue_json_field(struct buf *b, const char *key, const char *s,
    int null_if_empty)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	if (null_if_empty && s[0] == '\0')
		return buf_puts(b, "null");
	return cli_queue_json_str(b, s, strlen(s));
}

/* ---- times -------------------------------------------------------------- */

/* t as RFC 3339 in UTC, or "null" for 0 when null0; quoted for JSON. */
int
cli_queue_json_time(struct buf *b, const char *key, int64_t t, int null0)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[32];

	if (null0 && t == 0)
		return buf_printf(b, ",\"%s\":null", key);
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		errno = EINVAL;		/* the pager let no such time pass */
		return -1;
	}
	return buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

/* How a local time is written (cli_queue_local). */
enum cli_queue_when {
	CLI_QUEUE_W_ARRIVAL,	/* Sat Dec  5 08:01:02 */
	CLI_QUEUE_W_NOW,	/* due now */
	CLI_QUEUE_W_TODAY,	/* next 14:05 */
	CLI_QUEUE_W_YEAR,	/* next Dec  6 14:05 */
	CLI_QUEUE_W_LATER,	/* next 2027-01-02 14:05 */
};

/* t in local time as w says into s (size > 1); "?" when it cannot be. */
static void
cli_queue_local(char *s, size_t size, enum cli_queue_when w, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	size_t n = 0;

	if (localtime_r(&tt, &tm) != NULL) {
		switch (w) {
		case CLI_QUEUE_W_ARRIVAL:
			n = strftime(s, size, "%a %b %e %H:%M:%S", &tm);
			break;
		case CLI_QUEUE_W_NOW:
			n = strftime(s, size, "due now", &tm);
			break;
		case CLI_QUEUE_W_TODAY:
			n = strftime(s, size, "next %H:%M", &tm);
			break;
		case CLI_QUEUE_W_YEAR:
			n = strftime(s, size, "next %b %e %H:%M", &tm);
			break;
		case CLI_QUEUE_W_LATER:
			n = strftime(s, size, "next %Y-%m-%d %H:%M", &tm);
			break;
		}
	}
	if (n == 0) {
		s[0] = '?';
		s[1] = '\0';
	}
}

/*
 * When the next attempt is, seen from now: "due now" once it passed,
 * "next 14:05" today, "next Dec  6 14:05" later this year, else with
 * the year.
 */
static void
cli_queue_next(char *s, size_t size, int64_t t, int64_t now)
{
	struct tm a, b;
	time_t tt = (time_t)t, tn = (time_t)now;
	enum cli_queue_when w = CLI_QUEUE_W_LATER;

	if (t <= now)
		w = CLI_QUEUE_W_NOW;
	else if (localtime_r(&tt, &a) != NULL &&
	    localtime_r(&tn, &b) != NULL && a.tm_year == b.tm_year)
		w = a.tm_yday == b.tm_yday ? CLI_QUEUE_W_TODAY :
		    CLI_QUEUE_W_YEAR;
	cli_queue_local(s, size, w, t);
}

/* ---- the command line --------------------------------------------------- */

int
cli_queue_duration(const char *arg, int64_t *secs, const char **why)
{
	static const char units[] = "smhdw";
	static const int64_t factors[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *errstr, *u;
	char digits[24];
	size_t n = strlen(arg);
	int64_t f = 1;
	long long v;

	*why = "not a duration (a number of seconds with an optional suffix "
	    "s, m, h, d or w, such as 30m or 2d)";
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, arg, n + 1);
	if (digits[n - 1] < '0' || digits[n - 1] > '9') {
		if ((u = strchr(units, digits[n - 1] | 0x20)) == NULL)
			return -1;
		f = factors[u - units];
		digits[--n] = '\0';
	}
	if (n == 0 || strspn(digits, "0123456789") != n)
		return -1;
	v = strtonum(digits, 0, (long long)CLI_QUEUE_DAYS_MAX * 86400, &errstr);
	if (errstr != NULL || v > (long long)CLI_QUEUE_DAYS_MAX * 86400 / f) {
		*why = "duration too long (at most 36500 days)";
		return -1;
	}
	*secs = (int64_t)v * f;
	return 0;
}

int
cli_queue_states(const char *arg, uint32_t *bits, const char **why)
{
	const char *p = arg, *e;
	size_t n;
	int i;

	*bits = 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < IPC_QUEUE_S_MAX; i++)
			if (strlen(cli_queue_state_names[i]) == n &&
			    strncasecmp(p, cli_queue_state_names[i], n) == 0)
				break;
		if (i == IPC_QUEUE_S_MAX) {
			*why = n == 0 ? "an empty state name (write them "
			    "separated by commas)" : "not a state (pending, "
			    "deferred, active or held)";
			return -1;
		}
		*bits |= (uint32_t)1 << i;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

const char *
cli_queue_failure_type(const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(cli_queue_failures) /
	    sizeof(cli_queue_failures[0]); i++)
		if (strcasecmp(arg, cli_queue_failures[i]) == 0)
			return cli_queue_failures[i];
	return NULL;
}

/*
 * The value of option name at argv[*i]: "--name=value" or "--name value".
 * Returns it (NULL: not this option), and sets *missing when the value is
 * not there.
 */
const char *
cli_queue_optval(int argc, char **argv, int *i, const char *name,
    int *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return a;
	}
	return argv[++*i];
}

enum cli_queue_cmd
cli_queue_args(int argc, char **argv, int64_t now, struct ipc_queue_query *q,
    struct cli_queue_opts *o, char *err, size_t errlen)
{
	static const char *const names[] = { "--domain", "--state",
	    "--failure", "--older-than" };
	const char *vals[4] = { NULL, NULL, NULL, NULL }, *v, *why = "", *t;
	int i, k = 0, missing = 0, twice = 0, n;
	int64_t secs = 0;

	memset(q, 0, sizeof(*q));
	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	q->op = IPC_QUEUE_LIST;
	q->max = IPC_QUEUE_BATCH_MAX;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return CLI_QUEUE_HELP;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			twice |= o->json++;
			continue;
		}
		if (strcmp(a, "--summary") == 0) {
			twice |= o->summary++;
			continue;
		}
		for (k = 0, v = NULL; k < 4 && v == NULL; k++)
			v = cli_queue_optval(argc, argv, &i, names[k],
			    &missing);
		if (missing) {
			n = snprintf(err, errlen, "%s needs a value",
			    names[k - 1]);
			goto bad;
		}
		if (v != NULL) {
			twice |= vals[k - 1] != NULL;
			vals[k - 1] = v;
			continue;
		}
		if (a[0] == '-')
			n = snprintf(err, errlen, "unknown option %.*s%s",
			    CLI_QUEUE_ARG_SHOW, a,
			    strlen(a) > CLI_QUEUE_ARG_SHOW ? "..." : "");
		else
			n = snprintf(err, errlen, "unexpected argument %.*s%s",
			    CLI_QUEUE_ARG_SHOW, a,
			    strlen(a) > CLI_QUEUE_ARG_SHOW ? "..." : "");
		goto bad;
	}
	if (twice) {
		n = snprintf(err, errlen, "an option is given twice");
		goto bad;
	}
	o->json = o->json != 0;
	o->summary = o->summary != 0;
	k = -1;
	if (vals[0] != NULL && cli_policy_domain(vals[0], q->domain,
	    sizeof(q->domain), &why) == -1)
		k = 0;
	else if (vals[1] != NULL && cli_queue_states(vals[1], &q->states,
	    &why) == -1)
		k = 1;
	else if (vals[2] != NULL &&
	    ((t = cli_queue_failure_type(vals[2])) == NULL ||
	    strlcpy(q->failure, t, sizeof(q->failure)) >= sizeof(q->failure))) {
		k = 2;		/* the list's names all fit */
		why = "not an RFC 8460 failure type (sealpost-policy(7) lists "
		    "them)";
	} else if (vals[3] != NULL && cli_queue_duration(vals[3], &secs,
	    &why) == -1)
		k = 3;
	if (k != -1) {
		/* the reason first: a long value is cut in the message */
		n = snprintf(err, errlen, "%s: %s: %.*s%s", names[k], why,
		    CLI_QUEUE_ARG_SHOW, vals[k],
		    strlen(vals[k]) > CLI_QUEUE_ARG_SHOW ? "..." : "");
		goto bad;
	}
	if (vals[3] != NULL)
		/* 0 would mean no filter: 1 s after the epoch matches none */
		q->older_than = now - secs >= 1 ? now - secs : 1;
	o->filtered = vals[0] != NULL || vals[1] != NULL ||
	    vals[2] != NULL || vals[3] != NULL;
	return CLI_QUEUE_RUN;
bad:
	if (n < 0 || (size_t)n >= errlen)	/* a long argument: cut */
		err[errlen - 1] = '\0';
	return CLI_QUEUE_USAGE;
}

/* ---- the frames --------------------------------------------------------- */

int
cli_queue_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int
cli_queue_time_ok(int64_t t)
{
	return t >= 0 && t <= CLI_QUEUE_TIME_MAX && (int64_t)(time_t)t == t;
}

static int
cli_queue_item_ok(const struct ipc_queue_item *it)
{
	size_t i;

	if (!cli_queue_terminated(it->id, sizeof(it->id)) ||
	    it->id[0] == '\0' ||
	    !cli_queue_terminated(it->from, sizeof(it->from)) ||
	    !cli_queue_time_ok(it->arrival) || !cli_queue_time_ok(it->due) ||
	    !cli_queue_time_ok(it->held))
		return 0;
	for (i = 0; it->id[i] != '\0'; i++)	/* envelope_id_valid's set */
		if (!((it->id[i] >= '0' && it->id[i] <= '9') ||
		    (it->id[i] >= 'a' && it->id[i] <= 'z') ||
		    (it->id[i] >= 'A' && it->id[i] <= 'Z')))
			return 0;
	return 1;
}

static int
cli_queue_rcpt_ok(const struct ipc_queue_rcpt *r)
{
	return cli_queue_terminated(r->addr, sizeof(r->addr)) &&
	    cli_queue_terminated(r->dsn, sizeof(r->dsn)) &&
	    cli_queue_terminated(r->failure, sizeof(r->failure)) &&
	    cli_queue_terminated(r->mx, sizeof(r->mx)) &&
	    cli_queue_terminated(r->text, sizeof(r->text)) &&
	    cli_queue_terminated(r->policy, sizeof(r->policy)) &&
	    r->state >= 0 && r->state < IPC_QUEUE_S_MAX &&
	    r->code >= 0 && r->code <= 999 &&
	    cli_queue_time_ok(r->last_attempt) &&
	    cli_queue_time_ok(r->next_retry);
}

void
cli_queue_pager_init(struct cli_queue_pager *p, struct ipc_queue_query *q,
    struct ipc_queue_item *item, struct ipc_queue_rcpt *rcpt)
{
	memset(p, 0, sizeof(*p));
	p->q = q;
	p->item = item;
	p->rcpt = rcpt;
	memset(item, 0, sizeof(*item));
	memset(rcpt, 0, sizeof(*rcpt));
}

static enum cli_queue_p
cli_queue_pager_bad(struct cli_queue_pager *p, const char *why)
{
	p->why = why;
	return CLI_QUEUE_P_BAD;
}

enum cli_queue_p
cli_queue_pager_feed(struct cli_queue_pager *p, uint32_t type,
    const void *data, size_t len)
{
	struct ipc_queue_item it;
	struct ipc_queue_end end;

	if (type == IPC_CTL_ERROR)
		return CLI_QUEUE_P_ERROR;
	if (type == IPC_QUEUE_ITEM) {
		if (len != sizeof(*p->item))
			return cli_queue_pager_bad(p, "a message of the wrong "
			    "size");
		if (p->rcpt_left > 0)
			return cli_queue_pager_bad(p, "a message before the "
			    "recipients of the one before");
		if (p->items >= p->q->max)
			return cli_queue_pager_bad(p, "more messages than "
			    "asked for");
		memcpy(&it, data, sizeof(it));
		if (!cli_queue_item_ok(&it))
			return cli_queue_pager_bad(p, "a malformed message");
		/* after the one before, and after where the batch starts */
		if (strcmp(it.id, p->item->id) <= 0 ||
		    strcmp(it.id, p->q->after) <= 0)
			return cli_queue_pager_bad(p, "messages out of order");
		*p->item = it;
		p->items++;
		p->rcpt_left = p->item->nrcpt;
		return CLI_QUEUE_P_ITEM;
	}
	if (type == IPC_QUEUE_RCPT) {
		if (len != sizeof(*p->rcpt))
			return cli_queue_pager_bad(p, "a recipient of the "
			    "wrong size");
		if (p->rcpt_left == 0)
			return cli_queue_pager_bad(p, "a recipient no message "
			    "announced");
		memcpy(p->rcpt, data, sizeof(*p->rcpt));
		if (!cli_queue_rcpt_ok(p->rcpt))
			return cli_queue_pager_bad(p, "a malformed recipient");
		p->rcpt_left--;
		return CLI_QUEUE_P_RCPT;
	}
	if (type != IPC_QUEUE_END)
		return cli_queue_pager_bad(p, "a frame of another kind");
	if (len != sizeof(end))
		return cli_queue_pager_bad(p, "an end of the wrong size");
	memcpy(&end, data, sizeof(end));
	if (!cli_queue_terminated(end.last, sizeof(end.last)) ||
	    !cli_queue_terminated(end.text, sizeof(end.text)))
		return cli_queue_pager_bad(p, "a malformed end");
	if (p->rcpt_left > 0)
		return cli_queue_pager_bad(p, "an end before the last "
		    "recipients");
	p->status = end.status;
	if (strlcpy(p->end_text, end.text, sizeof(p->end_text)) >=
	    sizeof(p->end_text))
		return cli_queue_pager_bad(p, "a malformed end");
	if (end.status == 2)
		return CLI_QUEUE_P_FAILED;
	if (end.status != 0)
		return cli_queue_pager_bad(p, "an unknown status");
	if (end.count != p->items)
		return cli_queue_pager_bad(p, "an end that miscounts its "
		    "batch");
	if (!end.more)
		return CLI_QUEUE_P_DONE;
	/* the next batch starts after the last id looked at: it must move */
	if (strcmp(end.last, p->q->after) <= 0 ||
	    (p->items > 0 && strcmp(end.last, p->item->id) < 0))
		return cli_queue_pager_bad(p, "a listing that does not move "
		    "on");
	if (strlcpy(p->q->after, end.last, sizeof(p->q->after)) >=
	    sizeof(p->q->after))
		return cli_queue_pager_bad(p, "a malformed end");
	p->items = 0;
	return CLI_QUEUE_P_NEXT;
}

/* ---- a message ---------------------------------------------------------- */

void
cli_queue_tally_item(struct cli_queue_tally *t,
    const struct ipc_queue_item *it)
{
	t->messages++;
	t->size += it->size;
	t->omitted += it->nomitted;
}

void
cli_queue_tally_rcpt(struct cli_queue_tally *t,
    const struct ipc_queue_rcpt *r)
{
	if (r->state >= 0 && r->state < IPC_QUEUE_S_MAX)
		t->state[r->state]++;
}

/* The columns of a message's first line (cli_queue_fmt_item). */
int
cli_queue_fmt_head(struct buf *b)
{
	return buf_printf(b, "%-29s %10s  %-19s  %s\n", "QUEUE ID",
	    "OCTETS", "ARRIVAL", "SENDER / RECIPIENTS");
}

int
cli_queue_fmt_item(struct buf *b, const struct ipc_queue_item *it, int json)
{
	char when[32];

	if (json) {
		if (buf_puts(b, "{\"id\":") == -1 ||
		    cli_queue_json_str(b, it->id, strlen(it->id)) == -1 ||
		    cli_queue_json_time(b, "arrival", it->arrival, 0) == -1 ||
		    buf_printf(b, ",\"size\":%llu",
		    (unsigned long long)it->size) == -1 ||
		    cli_queue_json_field(b, "from", it->from, 0) == -1 ||
		    buf_printf(b, ",\"active\":%s,\"requiretls\":%s",
		    it->active ? "true" : "false",
		    it->requiretls ? "true" : "false") == -1 ||
		    cli_queue_json_time(b, "due", it->due, 1) == -1 ||
		    cli_queue_json_time(b, "held", it->held, 1) == -1 ||
		    buf_printf(b, ",\"done\":%lu,\"recipients\":[",
		    (unsigned long)it->ndone) == -1)
			return -1;
		return 0;
	}
	cli_queue_local(when, sizeof(when), CLI_QUEUE_W_ARRIVAL, it->arrival);
	if (buf_printf(b, "%-29s %10llu  %-19s  ", it->id,
	    (unsigned long long)it->size, when) == -1 ||
	    (it->from[0] == '\0' ? buf_puts(b, "<>") :
	    cli_queue_put(b, it->from, 0)) == -1 ||
	    (it->active && buf_puts(b, "  (active)") == -1) ||
	    (it->held != 0 && buf_puts(b, "  (held)") == -1) ||
	    (it->requiretls && buf_puts(b, "  (REQUIRETLS)") == -1))
		return -1;
	return buf_puts(b, "\n");
}

/*
 * A recipient's last failure in one line: "451 4.7.5 tlsa-invalid (dane)
 * at mx1.example.net: text", of what there is, the policy source that
 * demanded the failed check in parentheses; "" when none.
 */
static void
cli_queue_reason(char *s, size_t size, const struct ipc_queue_rcpt *r)
{
	char code[8] = "";
	int n;

	/* 0 < code <= 999 (cli_queue_rcpt_ok) */
	if (r->code != 0 && (n = snprintf(code, sizeof(code), "%d",
	    (int)r->code)) < 0)
		code[0] = '\0';
	n = snprintf(s, size, "%s%s%s%s%s%s%s%s%s%s%s%s", code,
	    code[0] && r->dsn[0] ? " " : "", r->dsn,
	    (code[0] || r->dsn[0]) && r->failure[0] ? " " : "", r->failure,
	    r->policy[0] ? (code[0] || r->dsn[0] || r->failure[0] ? " (" :
	    "(") : "", r->policy, r->policy[0] ? ")" : "",
	    r->mx[0] ? (code[0] || r->dsn[0] || r->failure[0] ||
	    r->policy[0] ? " at " : "at ") : "", r->mx,
	    r->text[0] && (code[0] || r->dsn[0] || r->failure[0] ||
	    r->policy[0] || r->mx[0]) ? ": " : "", r->text);
	/* what a frame holds fits in CLI_QUEUE_REASON_MAX; more is cut */
	if (n < 0)
		s[0] = '\0';
}

int
cli_queue_fmt_rcpt(struct buf *b, const struct ipc_queue_rcpt *r, int json,
    int first, int64_t now, size_t width)
{
	char reason[CLI_QUEUE_REASON_MAX], next[40];

	if (json) {
		if (buf_puts(b, first ? "{\"address\":" : ",{\"address\":") ==
		    -1 || cli_queue_json_str(b, r->addr, strlen(r->addr)) ==
		    -1 || buf_printf(b, ",\"state\":\"%s\","
		    "\"attempts\":%lu", cli_queue_state_names[r->state],
		    (unsigned long)r->attempts) == -1 ||
		    cli_queue_json_time(b, "last_attempt", r->last_attempt,
		    1) == -1 ||
		    cli_queue_json_time(b, "next_attempt", r->next_retry,
		    1) == -1 ||
		    (r->code == 0 ? buf_puts(b, ",\"code\":null") :
		    buf_printf(b, ",\"code\":%d", (int)r->code)) == -1 ||
		    cli_queue_json_field(b, "dsn", r->dsn, 1) == -1 ||
		    cli_queue_json_field(b, "failure", r->failure, 1) == -1 ||
		    cli_queue_json_field(b, "policy", r->policy, 1) == -1 ||
		    cli_queue_json_field(b, "mx", r->mx, 1) == -1 ||
		    cli_queue_json_field(b, "text", r->text, 1) == -1)
			return -1;
		return buf_puts(b, "}");
	}
	if (buf_puts(b, "    ") == -1 ||
	    (r->addr[0] == '\0' ? buf_puts(b, "<>") :
	    cli_queue_put(b, r->addr, 0)) == -1 ||
	    buf_printf(b, "  %s", cli_queue_state_names[r->state]) == -1)
		return -1;
	if (r->attempts > 0 && buf_printf(b, "  attempts %lu",
	    (unsigned long)r->attempts) == -1)
		return -1;
	if (r->state == IPC_QUEUE_S_DEFERRED && r->next_retry != 0) {
		cli_queue_next(next, sizeof(next), r->next_retry, now);
		if (buf_printf(b, "  %s", next) == -1)
			return -1;
	}
	if (buf_puts(b, "\n") == -1)
		return -1;
	cli_queue_reason(reason, sizeof(reason), r);
	if (reason[0] == '\0')
		return 0;
	if (buf_puts(b, "        ") == -1 ||
	    cli_queue_put(b, reason, width > 8 + 3 ? width - 8 : 0) == -1)
		return -1;
	return buf_puts(b, "\n");
}

int
cli_queue_fmt_item_end(struct buf *b, const struct ipc_queue_item *it,
    int json)
{
	if (json)
		return buf_printf(b, "],\"omitted\":%lu}\n",
		    (unsigned long)it->nomitted);
	if (it->nomitted > 0 && buf_printf(b, "    +%lu more "
	    "recipient%s\n", (unsigned long)it->nomitted,
	    it->nomitted == 1 ? "" : "s") == -1)
		return -1;
	return buf_puts(b, "\n");
}

const char *
cli_queue_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

int
cli_queue_fmt_total(struct buf *b, const struct cli_queue_tally *t,
    int filtered)
{
	static const char *const extra[] = { "pending", "deferred", "active",
	    "held", "not listed" };
	uint64_t waiting = t->omitted, part[5];
	const char *sep = " (";
	int i;

	if (t->messages == 0)
		return buf_puts(b, filtered ? "No queued message matches\n" :
		    "Mail queue is empty\n");
	for (i = 0; i < IPC_QUEUE_S_MAX; i++) {
		part[i] = t->state[i];
		waiting += t->state[i];
	}
	part[4] = t->omitted;
	if (buf_printf(b, "-- %llu message%s, %llu octet%s, %llu "
	    "recipient%s waiting", (unsigned long long)t->messages,
	    cli_queue_plural(t->messages), (unsigned long long)t->size,
	    cli_queue_plural(t->size), (unsigned long long)waiting,
	    cli_queue_plural(waiting)) == -1)
		return -1;
	for (i = 0; i < 5; i++) {
		if (part[i] == 0)
			continue;
		if (buf_printf(b, "%s%llu %s", sep,
		    (unsigned long long)part[i], extra[i]) == -1)
			return -1;
		sep = ", ";
	}
	return buf_puts(b, sep[0] == ',' ? ")\n" : "\n");
}
