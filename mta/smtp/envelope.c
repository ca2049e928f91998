/*
 * envelope.c: the queue's per-message envelope and its text form
 * (sealpost-envelope(5), DESIGN.md §6).  Pure: no I/O, no logging; the
 * only allocation is the recipient array, owned by struct envelope.
 * Linked by smtpin, queue and the sealpost CLI.
 *
 * The text form is canonical (one way to write each value: fixed line
 * order, no leading zeros, escapes only where needed, upper-case hex) so
 * that a file either parses to exactly what was written or is refused,
 * and it ends with "end\n" so that every truncation is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static const char *const state_names[] = {
	[ENVELOPE_RCPT_PENDING] = "pending",
	[ENVELOPE_RCPT_DEFERRED] = "deferred",
	[ENVELOPE_RCPT_SENT] = "sent",
	[ENVELOPE_RCPT_BOUNCED] = "bounced",
	[ENVELOPE_RCPT_EXPIRED] = "expired",
};
#define NSTATES	(sizeof(state_names) / sizeof(state_names[0]))

static const char *const body_names[] = { "none", "7bit", "8bitmime" };
static const char *const ret_names[] = { "-", "full", "hdrs" };

/* Message-level lines, in the order they must appear. */
enum key_type { K_ID, K_TIME, K_U64, K_STR, K_BOOL, K_BODY, K_RET };

static const struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	size_t		 size;		/* of the char array, for K_STR */
} keys[] = {
	{ "id", K_ID, offsetof(struct envelope, id), 0 },
	{ "arrival", K_TIME, offsetof(struct envelope, arrival), 0 },
	{ "size", K_U64, offsetof(struct envelope, size), 0 },
	{ "from", K_STR, offsetof(struct envelope, from),
	    sizeof(((struct envelope *)0)->from) },
	{ "body", K_BODY, offsetof(struct envelope, body), 0 },
	{ "smtputf8", K_BOOL, offsetof(struct envelope, smtputf8), 0 },
	{ "requiretls", K_BOOL, offsetof(struct envelope, requiretls), 0 },
	{ "ret", K_RET, offsetof(struct envelope, ret), 0 },
	{ "envid", K_STR, offsetof(struct envelope, envid),
	    sizeof(((struct envelope *)0)->envid) },
	{ "auth", K_STR, offsetof(struct envelope, auth),
	    sizeof(((struct envelope *)0)->auth) },
	{ "client_ip", K_STR, offsetof(struct envelope, client_ip),
	    sizeof(((struct envelope *)0)->client_ip) },
	{ "client_helo", K_STR, offsetof(struct envelope, client_helo),
	    sizeof(((struct envelope *)0)->client_helo) },
	{ "client_tls", K_STR, offsetof(struct envelope, client_tls),
	    sizeof(((struct envelope *)0)->client_tls) },
	{ "client_user", K_STR, offsetof(struct envelope, client_user),
	    sizeof(((struct envelope *)0)->client_user) },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

#define MAGIC		"sealpost-envelope"
#define RCPT_TOKENS	8	/* rcpt state attempts last next notify orcpt addr */
#define ERROR_TOKENS	7	/* error index code dsn failure mx text */
#define MAX_TOKENS	8

/* Every value of the NOTIFY bits that can be stored. */
static const unsigned notify_values[] = {
	0, ENVELOPE_NOTIFY_NEVER,
	ENVELOPE_NOTIFY_SUCCESS, ENVELOPE_NOTIFY_FAILURE,
	ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY,
};
#define NNOTIFY	(sizeof(notify_values) / sizeof(notify_values[0]))

static int	fail(struct reason *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Fills *why (if any) with 451 4.3.0 and returns -1; a cut text is
 * acceptable, it is only informative. */
static int
fail(struct reason *why, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)reason_vset(why, 451, "4.3.0", fmt, ap);
	va_end(ap);
	return -1;
}

const char *
envelope_rcpt_state_name(enum envelope_rcpt_state s)
{
	if ((unsigned)s >= NSTATES)
		return NULL;
	return state_names[s];
}

void
envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->rcpt = NULL;
}

void
envelope_free(struct envelope *e)
{
	free(e->rcpt);
	envelope_init(e);
}

struct envelope_rcpt *
envelope_add_rcpt(struct envelope *e, const char *addr)
{
	struct envelope_rcpt	*r;
	size_t			 cap;

	if (addr[0] == '\0' || e->nrcpt >= ENVELOPE_RCPT_MAX)
		return NULL;
	if (e->nrcpt == e->rcpt_cap) {
		cap = e->rcpt_cap == 0 ? 4 : e->rcpt_cap * 2;
		if (cap > ENVELOPE_RCPT_MAX)
			cap = ENVELOPE_RCPT_MAX;
		if ((r = reallocarray(e->rcpt, cap, sizeof(*r))) == NULL)
			return NULL;
		e->rcpt = r;
		e->rcpt_cap = cap;
	}
	r = &e->rcpt[e->nrcpt];
	memset(r, 0, sizeof(*r));
	if (strlcpy(r->addr, addr, sizeof(r->addr)) >= sizeof(r->addr))
		return NULL;
	r->state = ENVELOPE_RCPT_PENDING;
	e->nrcpt++;
	return r;
}

int
envelope_id_valid(const char *id, size_t len)
{
	size_t i;

	if (len < ENVELOPE_ID_MIN || len > ENVELOPE_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return 1;
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int
failure_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
notify_valid(unsigned v)
{
	size_t i;

	for (i = 0; i < NNOTIFY; i++)
		if (notify_values[i] == v)
			return 1;
	return 0;
}

static int
check_rcpt(const struct envelope_rcpt *r, size_t i, struct reason *why)
{
	const struct reason *er = &r->error;

	if (!terminated(r->addr, sizeof(r->addr)) || r->addr[0] == '\0')
		return fail(why, "recipient %zu: bad address", i);
	if ((unsigned)r->state >= NSTATES)
		return fail(why, "recipient %zu: bad state", i);
	if (r->last_attempt < 0 || r->next_retry < 0)
		return fail(why, "recipient %zu: negative time", i);
	if (!notify_valid(r->notify))
		return fail(why, "recipient %zu: bad notify", i);
	if (!terminated(r->orcpt, sizeof(r->orcpt)) ||
	    !terminated(er->dsn, sizeof(er->dsn)) ||
	    !terminated(er->text, sizeof(er->text)) ||
	    !terminated(r->failure, sizeof(r->failure)) ||
	    !terminated(r->mx, sizeof(r->mx)))
		return fail(why, "recipient %zu: unterminated string", i);
	if (!failure_valid(r->failure))
		return fail(why, "recipient %zu: bad failure type", i);
	if (er->code == 0) {
		if (er->dsn[0] != '\0' || er->text[0] != '\0' ||
		    r->failure[0] != '\0' || r->mx[0] != '\0')
			return fail(why, "recipient %zu: error fields "
			    "without an error code", i);
	} else if (er->code < 200 || er->code > 599)
		return fail(why, "recipient %zu: bad error code", i);
	return 0;
}

int
envelope_check(const struct envelope *e, struct reason *why)
{
	const char	*base = (const char *)e;
	size_t		 i;

	if (!terminated(e->id, sizeof(e->id)) ||
	    !envelope_id_valid(e->id, strlen(e->id)))
		return fail(why, "bad queue id");
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR &&
		    !terminated(base + keys[i].off, keys[i].size))
			return fail(why, "unterminated %s", keys[i].name);
	if (e->arrival < 0)
		return fail(why, "negative arrival time");
	if ((unsigned)e->body > ENVELOPE_BODY_8BITMIME ||
	    (unsigned)e->ret > ENVELOPE_RET_HDRS ||
	    (e->smtputf8 != 0 && e->smtputf8 != 1) ||
	    (e->requiretls != 0 && e->requiretls != 1))
		return fail(why, "bad message flags");
	if (e->nrcpt == 0 || e->nrcpt > ENVELOPE_RCPT_MAX || e->rcpt == NULL)
		return fail(why, "bad number of recipients");
	for (i = 0; i < e->nrcpt; i++)
		if (check_rcpt(&e->rcpt[i], i, why) == -1)
			return -1;
	return 0;
}

/* ---- writing ---- */

/* Output that counts what it could not store, for the needed size. */
struct wbuf {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
w_put(struct wbuf *w, const char *s, size_t n)
{
	if (w->len <= w->size && n <= w->size - w->len)
		memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
w_cstr(struct wbuf *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static int
must_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%';
}

/* A value: "-" if empty; "%2D" if it is "-"; else %XX where needed. */
static void
w_str(struct wbuf *w, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;
	char			 esc[3];

	if (s[0] == '\0') {
		w_put(w, "-", 1);
		return;
	}
	if (strcmp(s, "-") == 0) {
		w_put(w, "%2D", 3);
		return;
	}
	for (; *u != '\0'; u++) {
		if (must_escape(*u)) {
			esc[0] = '%';
			esc[1] = hex[*u >> 4];
			esc[2] = hex[*u & 0x0f];
			w_put(w, esc, 3);
		} else
			w_put(w, (const char *)u, 1);
	}
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	char	tmp[24];
	int	n;

	n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;		/* cannot happen: 20 digits at most */
	w_put(w, tmp, (size_t)n);
}

static void
w_notify(struct wbuf *w, unsigned v)
{
	int first = 1;

	if (v == 0) {
		w_put(w, "-", 1);
		return;
	}
	if (v == ENVELOPE_NOTIFY_NEVER) {
		w_cstr(w, "never");
		return;
	}
	if (v & ENVELOPE_NOTIFY_SUCCESS) {
		w_cstr(w, "success");
		first = 0;
	}
	if (v & ENVELOPE_NOTIFY_FAILURE) {
		w_cstr(w, first ? "failure" : ",failure");
		first = 0;
	}
	if (v & ENVELOPE_NOTIFY_DELAY)
		w_cstr(w, first ? "delay" : ",delay");
}

static void
w_key(struct wbuf *w, const struct envelope *e, const struct key *k)
{
	const char *p = (const char *)e + k->off;

	w_cstr(w, k->name);
	w_put(w, " ", 1);
	switch (k->type) {
	case K_ID:
	case K_STR:
		w_str(w, p);
		break;
	case K_TIME:
		w_u64(w, (uint64_t)*(const int64_t *)(const void *)p);
		break;
	case K_U64:
		w_u64(w, *(const uint64_t *)(const void *)p);
		break;
	case K_BOOL:
		w_u64(w, (uint64_t)*(const int *)(const void *)p);
		break;
	case K_BODY:
		w_cstr(w, body_names[*(const enum envelope_body *)
		    (const void *)p]);
		break;
	case K_RET:
		w_cstr(w, ret_names[*(const enum envelope_ret *)
		    (const void *)p]);
		break;
	}
	w_put(w, "\n", 1);
}

int
envelope_write(const struct envelope *e, char *buf, size_t size, size_t *len)
{
	struct wbuf			 w = { buf, size, 0 };
	const struct envelope_rcpt	*r;
	size_t				 i;

	*len = 0;
	if (envelope_check(e, NULL) == -1)
		return -2;
	w_cstr(&w, MAGIC " 1\n");
	for (i = 0; i < NKEYS; i++)
		w_key(&w, e, &keys[i]);
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		w_cstr(&w, "rcpt ");
		w_cstr(&w, state_names[r->state]);
		w_put(&w, " ", 1);
		w_u64(&w, r->attempts);
		w_put(&w, " ", 1);
		w_u64(&w, (uint64_t)r->last_attempt);
		w_put(&w, " ", 1);
		w_u64(&w, (uint64_t)r->next_retry);
		w_put(&w, " ", 1);
		w_notify(&w, r->notify);
		w_put(&w, " ", 1);
		w_str(&w, r->orcpt);
		w_put(&w, " ", 1);
		w_str(&w, r->addr);
		w_put(&w, "\n", 1);
		if (r->error.code == 0)
			continue;
		w_cstr(&w, "error ");
		w_u64(&w, i);
		w_put(&w, " ", 1);
		w_u64(&w, (uint64_t)r->error.code);
		w_put(&w, " ", 1);
		w_str(&w, r->error.dsn);
		w_put(&w, " ", 1);
		w_str(&w, r->failure);
		w_put(&w, " ", 1);
		w_str(&w, r->mx);
		w_put(&w, " ", 1);
		w_str(&w, r->error.text);
		w_put(&w, "\n", 1);
	}
	w_cstr(&w, "end\n");
	*len = w.len;
	return w.len <= size ? 0 : -1;
}

/* ---- parsing ---- */

struct tok {
	const char	*p;
	size_t		 n;
};

static int
tok_is(const struct tok *t, const char *s)
{
	return strlen(s) == t->n && memcmp(t->p, s, t->n) == 0;
}

/* Canonical decimal: "0" or no leading zero, at most max. */
static int
get_u64(const struct tok *t, uint64_t max, uint64_t *v)
{
	uint64_t	n = 0, d;
	size_t		i;

	if (t->n == 0 || t->n > 20 || (t->n > 1 && t->p[0] == '0'))
		return -1;
	for (i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		d = (uint64_t)(t->p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The inverse of w_str, refusing every non-canonical spelling. */
static int
get_str(const struct tok *t, char *out, size_t size)
{
	size_t	i, d = 0;
	int	h1, h2;
	unsigned char c;

	if (tok_is(t, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (tok_is(t, "%2D")) {
		out[0] = '-';
		out[1] = '\0';
		return 0;
	}
	for (i = 0; i < t->n; i++) {
		c = (unsigned char)t->p[i];
		if (c == '%') {
			if (t->n - i < 3 || (h1 = hexval(t->p[i + 1])) < 0 ||
			    (h2 = hexval(t->p[i + 2])) < 0)
				return -1;
			c = (unsigned char)(h1 * 16 + h2);
			if (c == '\0' || !must_escape(c))
				return -1;
			i += 2;
		} else if (must_escape(c))
			return -1;
		if (d + 1 >= size)
			return -1;
		out[d++] = (char)c;
	}
	out[d] = '\0';
	return 0;
}

static int
get_notify(const struct tok *t, unsigned *v)
{
	char		tmp[32];
	struct wbuf	w;
	size_t		i;

	for (i = 0; i < NNOTIFY; i++) {
		w.buf = tmp;
		w.size = sizeof(tmp);
		w.len = 0;
		w_notify(&w, notify_values[i]);
		if (w.len == t->n && memcmp(tmp, t->p, t->n) == 0) {
			*v = notify_values[i];
			return 0;
		}
	}
	return -1;
}

static int
get_name(const struct tok *t, const char *const *names, size_t n, int *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tok_is(t, names[i])) {
			*v = (int)i;
			return 0;
		}
	return -1;
}

struct parser {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	size_t		 lineno;
	struct tok	 tok[MAX_TOKENS];
	size_t		 ntok;
};

/*
 * Takes the next "\n"-terminated line and splits it at single SPs.
 * Returns 0, or -1 with *why filled if there is no full line or the line
 * has an empty token, a control byte or too many tokens.
 */
static int
next_line(struct parser *ps, struct reason *why)
{
	const char	*line, *nl;
	size_t		 n, i, start;

	ps->lineno++;
	if (ps->pos >= ps->len)
		return fail(why, "line %zu: unexpected end of file (no "
		    "\"end\" line)", ps->lineno);
	line = ps->buf + ps->pos;
	if ((nl = memchr(line, '\n', ps->len - ps->pos)) == NULL)
		return fail(why, "line %zu: unterminated line", ps->lineno);
	n = (size_t)(nl - line);
	ps->pos += n + 1;
	ps->ntok = 0;
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ') {
			if (must_escape((unsigned char)line[i]) &&
			    line[i] != '%')
				return fail(why, "line %zu: control or "
				    "non-ASCII byte", ps->lineno);
			continue;
		}
		if (i == start)
			return fail(why, "line %zu: empty field", ps->lineno);
		if (ps->ntok == MAX_TOKENS)
			return fail(why, "line %zu: too many fields",
			    ps->lineno);
		ps->tok[ps->ntok].p = line + start;
		ps->tok[ps->ntok].n = i - start;
		ps->ntok++;
		start = i + 1;
	}
	return 0;
}

static int
parse_key(struct parser *ps, const struct key *k, struct envelope *e,
    struct reason *why)
{
	char		*p = (char *)e + k->off;
	const struct tok *v = &ps->tok[1];
	uint64_t	 n;
	int		 x;

	if (ps->ntok != 2)
		return fail(why, "line %zu: %s needs one value", ps->lineno,
		    k->name);
	switch (k->type) {
	case K_ID:
		if (!envelope_id_valid(v->p, v->n))
			break;
		memcpy(e->id, v->p, v->n);
		e->id[v->n] = '\0';
		return 0;
	case K_STR:
		if (get_str(v, p, k->size) == -1)
			break;
		return 0;
	case K_TIME:
		if (get_u64(v, INT64_MAX, &n) == -1)
			break;
		*(int64_t *)(void *)p = (int64_t)n;
		return 0;
	case K_U64:
		if (get_u64(v, UINT64_MAX, &n) == -1)
			break;
		*(uint64_t *)(void *)p = n;
		return 0;
	case K_BOOL:
		if (get_u64(v, 1, &n) == -1)
			break;
		*(int *)(void *)p = (int)n;
		return 0;
	case K_BODY:
		if (get_name(v, body_names, 3, &x) == -1)
			break;
		*(enum envelope_body *)(void *)p = (enum envelope_body)x;
		return 0;
	case K_RET:
		if (get_name(v, ret_names, 3, &x) == -1)
			break;
		*(enum envelope_ret *)(void *)p = (enum envelope_ret)x;
		return 0;
	}
	return fail(why, "line %zu: bad value for %s", ps->lineno, k->name);
}

static int
parse_rcpt(struct parser *ps, struct envelope *e, struct reason *why)
{
	struct envelope_rcpt	*r;
	char			 addr[ENVELOPE_ADDR_MAX + 1];
	uint64_t		 n;
	int			 x;

	if (ps->ntok != RCPT_TOKENS)
		return fail(why, "line %zu: rcpt needs %d fields", ps->lineno,
		    RCPT_TOKENS - 1);
	if (get_str(&ps->tok[7], addr, sizeof(addr)) == -1 || addr[0] == '\0')
		return fail(why, "line %zu: bad recipient address",
		    ps->lineno);
	if (e->nrcpt >= ENVELOPE_RCPT_MAX)
		return fail(why, "line %zu: too many recipients", ps->lineno);
	if ((r = envelope_add_rcpt(e, addr)) == NULL)
		return fail(why, "line %zu: out of memory", ps->lineno);
	if (get_name(&ps->tok[1], state_names, NSTATES, &x) == -1)
		return fail(why, "line %zu: bad recipient state", ps->lineno);
	r->state = (enum envelope_rcpt_state)x;
	if (get_u64(&ps->tok[2], UINT32_MAX, &n) == -1)
		return fail(why, "line %zu: bad attempts", ps->lineno);
	r->attempts = (uint32_t)n;
	if (get_u64(&ps->tok[3], INT64_MAX, &n) == -1)
		return fail(why, "line %zu: bad last attempt", ps->lineno);
	r->last_attempt = (int64_t)n;
	if (get_u64(&ps->tok[4], INT64_MAX, &n) == -1)
		return fail(why, "line %zu: bad next retry", ps->lineno);
	r->next_retry = (int64_t)n;
	if (get_notify(&ps->tok[5], &r->notify) == -1)
		return fail(why, "line %zu: bad notify", ps->lineno);
	if (get_str(&ps->tok[6], r->orcpt, sizeof(r->orcpt)) == -1)
		return fail(why, "line %zu: bad orcpt", ps->lineno);
	return 0;
}

static int
parse_error(struct parser *ps, struct envelope *e, struct reason *why)
{
	struct envelope_rcpt	*r;
	uint64_t		 n;

	if (ps->ntok != ERROR_TOKENS)
		return fail(why, "line %zu: error needs %d fields", ps->lineno,
		    ERROR_TOKENS - 1);
	if (get_u64(&ps->tok[1], UINT64_MAX, &n) == -1 || e->nrcpt == 0 ||
	    n != e->nrcpt - 1)
		return fail(why, "line %zu: error index does not name the "
		    "rcpt line just above", ps->lineno);
	r = &e->rcpt[n];
	if (get_u64(&ps->tok[2], 599, &n) == -1 || n < 200)
		return fail(why, "line %zu: bad error code", ps->lineno);
	r->error.code = (int)n;
	if (get_str(&ps->tok[3], r->error.dsn, sizeof(r->error.dsn)) == -1 ||
	    get_str(&ps->tok[4], r->failure, sizeof(r->failure)) == -1 ||
	    !failure_valid(r->failure) ||
	    get_str(&ps->tok[5], r->mx, sizeof(r->mx)) == -1 ||
	    get_str(&ps->tok[6], r->error.text, sizeof(r->error.text)) == -1)
		return fail(why, "line %zu: bad error field", ps->lineno);
	return 0;
}

/* Why a message-level line is not the one expected at position k. */
static int
misplaced(struct parser *ps, size_t k, struct reason *why)
{
	const struct tok	*t = &ps->tok[0];
	size_t			 i;

	for (i = 0; i < NKEYS; i++)
		if (tok_is(t, keys[i].name)) {
			if (i < k)
				return fail(why, "line %zu: duplicate key %s",
				    ps->lineno, keys[i].name);
			return fail(why, "line %zu: missing key %s",
			    ps->lineno, keys[k].name);
		}
	if (tok_is(t, "rcpt") || tok_is(t, "error") || tok_is(t, "end"))
		return fail(why, "line %zu: missing key %s", ps->lineno,
		    keys[k].name);
	return fail(why, "line %zu: unknown key", ps->lineno);
}

static int
parse_body(struct parser *ps, struct envelope *e, struct reason *why)
{
	size_t	k;
	int	after_rcpt = 0;

	if (next_line(ps, why) == -1)
		return -1;
	if (ps->ntok != 2 || !tok_is(&ps->tok[0], MAGIC))
		return fail(why, "line 1: not a sealpost envelope");
	if (!tok_is(&ps->tok[1], "1"))
		return fail(why, "line 1: unsupported envelope version");
	for (k = 0; k < NKEYS; k++) {
		if (next_line(ps, why) == -1)
			return -1;
		if (!tok_is(&ps->tok[0], keys[k].name))
			return misplaced(ps, k, why);
		if (parse_key(ps, &keys[k], e, why) == -1)
			return -1;
	}
	for (;;) {
		if (next_line(ps, why) == -1)
			return -1;
		if (tok_is(&ps->tok[0], "rcpt")) {
			if (parse_rcpt(ps, e, why) == -1)
				return -1;
			after_rcpt = 1;
		} else if (tok_is(&ps->tok[0], "error")) {
			if (!after_rcpt)
				return fail(why, "line %zu: error line not "
				    "right after its rcpt line", ps->lineno);
			if (parse_error(ps, e, why) == -1)
				return -1;
			after_rcpt = 0;
		} else if (tok_is(&ps->tok[0], "end")) {
			if (ps->ntok != 1)
				return fail(why, "line %zu: text after end",
				    ps->lineno);
			break;
		} else {
			for (k = 0; k < NKEYS; k++)
				if (tok_is(&ps->tok[0], keys[k].name))
					return fail(why, "line %zu: duplicate "
					    "key %s", ps->lineno, keys[k].name);
			return fail(why, "line %zu: unknown key", ps->lineno);
		}
	}
	if (e->nrcpt == 0)
		return fail(why, "line %zu: no recipients", ps->lineno);
	if (ps->pos != ps->len)
		return fail(why, "line %zu: data after end", ps->lineno);
	return envelope_check(e, why);
}

int
envelope_parse(const char *buf, size_t len, struct envelope *out,
    struct reason *why)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.buf = buf;
	ps.len = len;
	envelope_init(out);
	if (parse_body(&ps, out, why) == -1) {
		envelope_free(out);
		return -1;
	}
	return 0;
}
