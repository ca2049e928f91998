/*
 * envelope.c: the queue's per-message envelope and its text form
 * (sealpost-envelope(5), doc/design.md §7).  Pure: no I/O, no logging; the
 * only allocation is the recipient array, owned by struct envelope.
 * Linked by smtpin, queue and the sealpost CLI.
 *
 * The text form is canonical (one way to write each value: fixed line
 * order, no leading zeros, escapes only where needed, upper-case hex) so
 * that a file either parses to exactly what was written or is refused,
 * and it ends with "end\n" so that every truncation is refused.  The
 * string escape and the number spelling are shared with the attempt
 * history through envelope_esc.h (doc/design.md §12).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "envelope_esc.h"

static const char *const envelope_state_names[] = {
	[ENVELOPE_RCPT_PENDING] = "pending",
	[ENVELOPE_RCPT_DEFERRED] = "deferred",
	[ENVELOPE_RCPT_SENT] = "sent",
	[ENVELOPE_RCPT_BOUNCED] = "bounced",
	[ENVELOPE_RCPT_EXPIRED] = "expired",
};
#define ENVELOPE_NSTATES \
	(sizeof(envelope_state_names) / sizeof(envelope_state_names[0]))

static const char *const envelope_body_names[] = { "none", "7bit", "8bitmime" };
static const char *const envelope_ret_names[] = { "-", "full", "hdrs" };
static const char *const envelope_notice_names[] = { "-", "postmaster" };

/* Message-level lines, in the order they must appear. */
enum envelope_key_type {
	ENVELOPE_K_ID, ENVELOPE_K_TIME, ENVELOPE_K_U64, ENVELOPE_K_STR,
	ENVELOPE_K_BOOL, ENVELOPE_K_BODY, ENVELOPE_K_RET, ENVELOPE_K_NOTICE
};

static const struct envelope_key {
	const char		*name;
	enum envelope_key_type	 type;
	size_t			 off;
	size_t			 size;	/* of the char array, for
					   ENVELOPE_K_STR */
	int			 since;	/* first version with the key;
					   older files lack it (zero) */
} envelope_keys[] = {
	{ "id", ENVELOPE_K_ID, offsetof(struct envelope, id), 0, 1 },
	{ "arrival", ENVELOPE_K_TIME, offsetof(struct envelope, arrival), 0, 1 },
	{ "size", ENVELOPE_K_U64, offsetof(struct envelope, size), 0, 1 },
	{ "from", ENVELOPE_K_STR, offsetof(struct envelope, from),
	    sizeof(((struct envelope *)0)->from), 1 },
	{ "body", ENVELOPE_K_BODY, offsetof(struct envelope, body), 0, 1 },
	{ "smtputf8", ENVELOPE_K_BOOL, offsetof(struct envelope, smtputf8), 0, 1 },
	{ "requiretls", ENVELOPE_K_BOOL, offsetof(struct envelope, requiretls),
	    0, 1 },
	{ "ret", ENVELOPE_K_RET, offsetof(struct envelope, ret), 0, 1 },
	{ "envid", ENVELOPE_K_STR, offsetof(struct envelope, envid),
	    sizeof(((struct envelope *)0)->envid), 1 },
	{ "auth", ENVELOPE_K_STR, offsetof(struct envelope, auth),
	    sizeof(((struct envelope *)0)->auth), 1 },
	{ "client_ip", ENVELOPE_K_STR, offsetof(struct envelope, client_ip),
	    sizeof(((struct envelope *)0)->client_ip), 1 },
	{ "client_helo", ENVELOPE_K_STR, offsetof(struct envelope, client_helo),
	    sizeof(((struct envelope *)0)->client_helo), 1 },
	{ "client_tls", ENVELOPE_K_STR, offsetof(struct envelope, client_tls),
	    sizeof(((struct envelope *)0)->client_tls), 1 },
	{ "client_user", ENVELOPE_K_STR, offsetof(struct envelope, client_user),
	    sizeof(((struct envelope *)0)->client_user), 1 },
	{ "warned", ENVELOPE_K_TIME, offsetof(struct envelope, warned), 0, 2 },
	{ "notice", ENVELOPE_K_NOTICE, offsetof(struct envelope, notice), 0,
	    2 },
	{ "tlsrequired_no", ENVELOPE_K_BOOL,
	    offsetof(struct envelope, tlsrequired_no), 0, 3 },
	{ "held", ENVELOPE_K_TIME, offsetof(struct envelope, held), 0, 4 },
	{ "held_total", ENVELOPE_K_TIME, offsetof(struct envelope, held_total),
	    0, 4 },
};
#define ENVELOPE_NKEYS	(sizeof(envelope_keys) / sizeof(envelope_keys[0]))

#define ENVELOPE_MAGIC		"sealpost-envelope"
#define ENVELOPE_STR(x)		#x
#define ENVELOPE_XSTR(x)	ENVELOPE_STR(x)
#define ENVELOPE_RCPT_TOKENS	8	/* rcpt state attempts last next
					   notify orcpt addr */
#define ENVELOPE_ERROR_TOKENS	8	/* error index code dsn failure
					   policy mx text */
#define ENVELOPE_ERROR_TOKENS_V3 7	/* before version 4: no policy */
#define ENVELOPE_MAX_TOKENS	8

/* Every value of the NOTIFY bits that can be stored. */
static const unsigned envelope_notify_values[] = {
	0, ENVELOPE_NOTIFY_NEVER,
	ENVELOPE_NOTIFY_SUCCESS, ENVELOPE_NOTIFY_FAILURE,
	ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_FAILURE | ENVELOPE_NOTIFY_DELAY,
	ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY,
};
#define ENVELOPE_NNOTIFY \
	(sizeof(envelope_notify_values) / sizeof(envelope_notify_values[0]))

static int	envelope_fail(struct reason *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Fills *why (if any) with 451 4.3.0 and returns -1; a cut text is
 * acceptable, it is only informative. */
static int
envelope_fail(struct reason *why, const char *fmt, ...)
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
	if ((unsigned)s >= ENVELOPE_NSTATES)
		return NULL;
	return envelope_state_names[s];
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
envelope_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int
envelope_failure_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
envelope_notify_valid(unsigned v)
{
	size_t i;

	for (i = 0; i < ENVELOPE_NNOTIFY; i++)
		if (envelope_notify_values[i] == v)
			return 1;
	return 0;
}

static int
envelope_check_rcpt(const struct envelope_rcpt *r, size_t i, struct reason *why)
{
	const struct reason *er = &r->error;

	if (!envelope_terminated(r->addr, sizeof(r->addr)) ||
	    r->addr[0] == '\0')
		return envelope_fail(why, "recipient %zu: bad address", i);
	if ((unsigned)r->state >= ENVELOPE_NSTATES)
		return envelope_fail(why, "recipient %zu: bad state", i);
	if (r->last_attempt < 0 || r->next_retry < 0)
		return envelope_fail(why, "recipient %zu: negative time", i);
	if (!envelope_notify_valid(r->notify))
		return envelope_fail(why, "recipient %zu: bad notify", i);
	if (!envelope_terminated(r->orcpt, sizeof(r->orcpt)) ||
	    !envelope_terminated(er->dsn, sizeof(er->dsn)) ||
	    !envelope_terminated(er->text, sizeof(er->text)) ||
	    !envelope_terminated(r->failure, sizeof(r->failure)) ||
	    !envelope_terminated(r->mx, sizeof(r->mx)) ||
	    !envelope_terminated(r->policy, sizeof(r->policy)))
		return envelope_fail(why, "recipient %zu: unterminated string",
		    i);
	if (!envelope_failure_valid(r->failure))
		return envelope_fail(why, "recipient %zu: bad failure type", i);
	if (!envelope_failure_valid(r->policy))
		return envelope_fail(why, "recipient %zu: bad policy source",
		    i);
	if (er->code == 0) {
		if (er->dsn[0] != '\0' || er->text[0] != '\0' ||
		    r->failure[0] != '\0' || r->mx[0] != '\0' ||
		    r->policy[0] != '\0')
			return envelope_fail(why, "recipient %zu: error fields "
			    "without an error code", i);
	} else if (er->code < 200 || er->code > 599)
		return envelope_fail(why, "recipient %zu: bad error code", i);
	return 0;
}

int
envelope_check(const struct envelope *e, struct reason *why)
{
	const char	*base = (const char *)e;
	size_t		 i;

	if (!envelope_terminated(e->id, sizeof(e->id)) ||
	    !envelope_id_valid(e->id, strlen(e->id)))
		return envelope_fail(why, "bad queue id");
	for (i = 0; i < ENVELOPE_NKEYS; i++)
		if (envelope_keys[i].type == ENVELOPE_K_STR &&
		    !envelope_terminated(base + envelope_keys[i].off,
		    envelope_keys[i].size))
			return envelope_fail(why, "unterminated %s",
			    envelope_keys[i].name);
	if (e->arrival < 0 || e->warned < 0 || e->held < 0 ||
	    e->held_total < 0)
		return envelope_fail(why, "negative time");
	if ((unsigned)e->body > ENVELOPE_BODY_8BITMIME ||
	    (unsigned)e->ret > ENVELOPE_RET_HDRS ||
	    (unsigned)e->notice > ENVELOPE_NOTICE_POSTMASTER ||
	    (e->smtputf8 != 0 && e->smtputf8 != 1) ||
	    (e->requiretls != 0 && e->requiretls != 1) ||
	    (e->tlsrequired_no != 0 && e->tlsrequired_no != 1))
		return envelope_fail(why, "bad message flags");
	if (e->nrcpt == 0 || e->nrcpt > ENVELOPE_RCPT_MAX || e->rcpt == NULL)
		return envelope_fail(why, "bad number of recipients");
	for (i = 0; i < e->nrcpt; i++)
		if (envelope_check_rcpt(&e->rcpt[i], i, why) == -1)
			return -1;
	return 0;
}

/* ---- writing ---- */

/* Output that counts what it could not store, for the needed size. */
struct envelope_wbuf {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
envelope_w_put(struct envelope_wbuf *w, const char *s, size_t n)
{
	if (w->len <= w->size && n <= w->size - w->len)
		memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
envelope_w_cstr(struct envelope_wbuf *w, const char *s)
{
	envelope_w_put(w, s, strlen(s));
}

static int
envelope_must_escape(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '%';
}

size_t
envelope_esc_encode(const char *s, char *buf, size_t size)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 d = 0;

	for (; *u != '\0'; u++) {
		if (!envelope_must_escape(*u)) {
			if (d < size)
				buf[d] = (char)*u;
			d++;
			continue;
		}
		if (d + 3 <= size) {
			buf[d] = '%';
			buf[d + 1] = hex[*u >> 4];
			buf[d + 2] = hex[*u & 0x0f];
		}
		d += 3;
	}
	return d;
}

/* A value: "-" if empty; "%2D" if it is "-"; else %XX where needed. */
static void
envelope_w_str(struct envelope_wbuf *w, const char *s)
{
	if (s[0] == '\0') {
		envelope_w_put(w, "-", 1);
		return;
	}
	if (strcmp(s, "-") == 0) {
		envelope_w_put(w, "%2D", 3);
		return;
	}
	if (w->len < w->size)
		w->len += envelope_esc_encode(s, w->buf + w->len,
		    w->size - w->len);
	else
		w->len += envelope_esc_encode(s, NULL, 0);
}

static void
envelope_w_u64(struct envelope_wbuf *w, uint64_t v)
{
	char	tmp[24];
	int	n;

	n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;		/* cannot happen: 20 digits at most */
	envelope_w_put(w, tmp, (size_t)n);
}

static void
envelope_w_notify(struct envelope_wbuf *w, unsigned v)
{
	int first = 1;

	if (v == 0) {
		envelope_w_put(w, "-", 1);
		return;
	}
	if (v == ENVELOPE_NOTIFY_NEVER) {
		envelope_w_cstr(w, "never");
		return;
	}
	if (v & ENVELOPE_NOTIFY_SUCCESS) {
		envelope_w_cstr(w, "success");
		first = 0;
	}
	if (v & ENVELOPE_NOTIFY_FAILURE) {
		envelope_w_cstr(w, first ? "failure" : ",failure");
		first = 0;
	}
	if (v & ENVELOPE_NOTIFY_DELAY)
		envelope_w_cstr(w, first ? "delay" : ",delay");
}

static void
envelope_w_key(struct envelope_wbuf *w, const struct envelope *e,
    const struct envelope_key *k)
{
	const char *p = (const char *)e + k->off;

	envelope_w_cstr(w, k->name);
	envelope_w_put(w, " ", 1);
	switch (k->type) {
	case ENVELOPE_K_ID:
	case ENVELOPE_K_STR:
		envelope_w_str(w, p);
		break;
	case ENVELOPE_K_TIME:
		envelope_w_u64(w, (uint64_t)*(const int64_t *)(const void *)p);
		break;
	case ENVELOPE_K_U64:
		envelope_w_u64(w, *(const uint64_t *)(const void *)p);
		break;
	case ENVELOPE_K_BOOL:
		envelope_w_u64(w, (uint64_t)*(const int *)(const void *)p);
		break;
	case ENVELOPE_K_BODY:
		envelope_w_cstr(w,
		    envelope_body_names[*(const enum envelope_body *)
		    (const void *)p]);
		break;
	case ENVELOPE_K_RET:
		envelope_w_cstr(w,
		    envelope_ret_names[*(const enum envelope_ret *)
		    (const void *)p]);
		break;
	case ENVELOPE_K_NOTICE:
		envelope_w_cstr(w,
		    envelope_notice_names[*(const enum envelope_notice *)
		    (const void *)p]);
		break;
	}
	envelope_w_put(w, "\n", 1);
}

int
envelope_write(const struct envelope *e, char *buf, size_t size, size_t *len)
{
	struct envelope_wbuf		 w = { buf, size, 0 };
	const struct envelope_rcpt	*r;
	size_t				 i;

	*len = 0;
	if (envelope_check(e, NULL) == -1)
		return -2;
	envelope_w_cstr(&w, ENVELOPE_MAGIC " "
	    ENVELOPE_XSTR(ENVELOPE_VERSION) "\n");
	for (i = 0; i < ENVELOPE_NKEYS; i++)
		envelope_w_key(&w, e, &envelope_keys[i]);
	for (i = 0; i < e->nrcpt; i++) {
		r = &e->rcpt[i];
		envelope_w_cstr(&w, "rcpt ");
		envelope_w_cstr(&w, envelope_state_names[r->state]);
		envelope_w_put(&w, " ", 1);
		envelope_w_u64(&w, r->attempts);
		envelope_w_put(&w, " ", 1);
		envelope_w_u64(&w, (uint64_t)r->last_attempt);
		envelope_w_put(&w, " ", 1);
		envelope_w_u64(&w, (uint64_t)r->next_retry);
		envelope_w_put(&w, " ", 1);
		envelope_w_notify(&w, r->notify);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->orcpt);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->addr);
		envelope_w_put(&w, "\n", 1);
		if (r->error.code == 0)
			continue;
		envelope_w_cstr(&w, "error ");
		envelope_w_u64(&w, i);
		envelope_w_put(&w, " ", 1);
		envelope_w_u64(&w, (uint64_t)r->error.code);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->error.dsn);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->failure);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->policy);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->mx);
		envelope_w_put(&w, " ", 1);
		envelope_w_str(&w, r->error.text);
		envelope_w_put(&w, "\n", 1);
	}
	envelope_w_cstr(&w, "end\n");
	*len = w.len;
	return w.len <= size ? 0 : -1;
}

/* ---- parsing ---- */

struct envelope_tok {
	const char	*p;
	size_t		 n;
};

static int
envelope_tok_is(const struct envelope_tok *t, const char *s)
{
	return strlen(s) == t->n && memcmp(t->p, s, t->n) == 0;
}

int
envelope_esc_number(const char *p, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t	n = 0, d;
	size_t		i;

	if (len == 0 || len > 20 || (len > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (uint64_t)(p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

/* Canonical decimal: "0" or no leading zero, at most max. */
static int
envelope_get_u64(const struct envelope_tok *t, uint64_t max, uint64_t *v)
{
	return envelope_esc_number(t->p, t->n, max, v);
}

static int
envelope_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
envelope_esc_decode(const char *p, size_t n, char *out, size_t size)
{
	size_t		i, d = 0;
	int		h1, h2;
	unsigned char	c;

	if (size == 0)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '%') {
			if (n - i < 3 ||
			    (h1 = envelope_hexval(p[i + 1])) < 0 ||
			    (h2 = envelope_hexval(p[i + 2])) < 0)
				return -1;
			c = (unsigned char)(h1 * 16 + h2);
			if (c == '\0' || !envelope_must_escape(c))
				return -1;
			i += 2;
		} else if (envelope_must_escape(c))
			return -1;
		if (d + 1 >= size)
			return -1;
		out[d++] = (char)c;
	}
	out[d] = '\0';
	return 0;
}

/* The inverse of envelope_w_str, refusing every non-canonical spelling. */
static int
envelope_get_str(const struct envelope_tok *t, char *out, size_t size)
{
	if (envelope_tok_is(t, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (envelope_tok_is(t, "%2D")) {
		out[0] = '-';
		out[1] = '\0';
		return 0;
	}
	return envelope_esc_decode(t->p, t->n, out, size);
}

static int
envelope_get_notify(const struct envelope_tok *t, unsigned *v)
{
	char			tmp[32];
	struct envelope_wbuf	w;
	size_t			i;

	for (i = 0; i < ENVELOPE_NNOTIFY; i++) {
		w.buf = tmp;
		w.size = sizeof(tmp);
		w.len = 0;
		envelope_w_notify(&w, envelope_notify_values[i]);
		if (w.len == t->n && memcmp(tmp, t->p, t->n) == 0) {
			*v = envelope_notify_values[i];
			return 0;
		}
	}
	return -1;
}

static int
envelope_get_name(const struct envelope_tok *t, const char *const *names,
    size_t n, int *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (envelope_tok_is(t, names[i])) {
			*v = (int)i;
			return 0;
		}
	return -1;
}

struct envelope_parser {
	int			 version;	/* of the file, from line 1 */
	const char		*buf;
	size_t			 len;
	size_t			 pos;
	size_t			 lineno;
	struct envelope_tok	 tok[ENVELOPE_MAX_TOKENS];
	size_t			 ntok;
};

/*
 * Takes the next "\n"-terminated line and splits it at single SPs.
 * Returns 0, or -1 with *why filled if there is no full line or the line
 * has an empty token, a control byte or too many tokens.
 */
static int
envelope_next_line(struct envelope_parser *ps, struct reason *why)
{
	const char	*line, *nl;
	size_t		 n, i, start;

	ps->lineno++;
	if (ps->pos >= ps->len)
		return envelope_fail(why, "line %zu: unexpected end of file "
		    "(no \"end\" line)", ps->lineno);
	line = ps->buf + ps->pos;
	if ((nl = memchr(line, '\n', ps->len - ps->pos)) == NULL)
		return envelope_fail(why, "line %zu: unterminated line",
		    ps->lineno);
	n = (size_t)(nl - line);
	ps->pos += n + 1;
	ps->ntok = 0;
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && line[i] != ' ') {
			if (envelope_must_escape((unsigned char)line[i]) &&
			    line[i] != '%')
				return envelope_fail(why,
				    "line %zu: control or non-ASCII byte",
				    ps->lineno);
			continue;
		}
		if (i == start)
			return envelope_fail(why, "line %zu: empty field",
			    ps->lineno);
		if (ps->ntok == ENVELOPE_MAX_TOKENS)
			return envelope_fail(why, "line %zu: too many fields",
			    ps->lineno);
		ps->tok[ps->ntok].p = line + start;
		ps->tok[ps->ntok].n = i - start;
		ps->ntok++;
		start = i + 1;
	}
	return 0;
}

static int
envelope_parse_key(struct envelope_parser *ps, const struct envelope_key *k,
    struct envelope *e, struct reason *why)
{
	char		*p = (char *)e + k->off;
	const struct envelope_tok *v = &ps->tok[1];
	uint64_t	 n;
	int		 x;

	if (ps->ntok != 2)
		return envelope_fail(why, "line %zu: %s needs one value",
		    ps->lineno, k->name);
	switch (k->type) {
	case ENVELOPE_K_ID:
		if (!envelope_id_valid(v->p, v->n))
			break;
		memcpy(e->id, v->p, v->n);
		e->id[v->n] = '\0';
		return 0;
	case ENVELOPE_K_STR:
		if (envelope_get_str(v, p, k->size) == -1)
			break;
		return 0;
	case ENVELOPE_K_TIME:
		if (envelope_get_u64(v, INT64_MAX, &n) == -1)
			break;
		*(int64_t *)(void *)p = (int64_t)n;
		return 0;
	case ENVELOPE_K_U64:
		if (envelope_get_u64(v, UINT64_MAX, &n) == -1)
			break;
		*(uint64_t *)(void *)p = n;
		return 0;
	case ENVELOPE_K_BOOL:
		if (envelope_get_u64(v, 1, &n) == -1)
			break;
		*(int *)(void *)p = (int)n;
		return 0;
	case ENVELOPE_K_BODY:
		if (envelope_get_name(v, envelope_body_names, 3, &x) == -1)
			break;
		*(enum envelope_body *)(void *)p = (enum envelope_body)x;
		return 0;
	case ENVELOPE_K_RET:
		if (envelope_get_name(v, envelope_ret_names, 3, &x) == -1)
			break;
		*(enum envelope_ret *)(void *)p = (enum envelope_ret)x;
		return 0;
	case ENVELOPE_K_NOTICE:
		if (envelope_get_name(v, envelope_notice_names, 2, &x) == -1)
			break;
		*(enum envelope_notice *)(void *)p = (enum envelope_notice)x;
		return 0;
	}
	return envelope_fail(why, "line %zu: bad value for %s", ps->lineno,
	    k->name);
}

static int
envelope_parse_rcpt(struct envelope_parser *ps, struct envelope *e,
    struct reason *why)
{
	struct envelope_rcpt	*r;
	char			 addr[ENVELOPE_ADDR_MAX + 1];
	uint64_t		 n;
	int			 x;

	if (ps->ntok != ENVELOPE_RCPT_TOKENS)
		return envelope_fail(why, "line %zu: rcpt needs %d fields",
		    ps->lineno, ENVELOPE_RCPT_TOKENS - 1);
	if (envelope_get_str(&ps->tok[7], addr, sizeof(addr)) == -1 ||
	    addr[0] == '\0')
		return envelope_fail(why, "line %zu: bad recipient address",
		    ps->lineno);
	if (e->nrcpt >= ENVELOPE_RCPT_MAX)
		return envelope_fail(why, "line %zu: too many recipients",
		    ps->lineno);
	if ((r = envelope_add_rcpt(e, addr)) == NULL)
		return envelope_fail(why, "line %zu: out of memory",
		    ps->lineno);
	if (envelope_get_name(&ps->tok[1], envelope_state_names,
	    ENVELOPE_NSTATES, &x) == -1)
		return envelope_fail(why, "line %zu: bad recipient state",
		    ps->lineno);
	r->state = (enum envelope_rcpt_state)x;
	if (envelope_get_u64(&ps->tok[2], UINT32_MAX, &n) == -1)
		return envelope_fail(why, "line %zu: bad attempts", ps->lineno);
	r->attempts = (uint32_t)n;
	if (envelope_get_u64(&ps->tok[3], INT64_MAX, &n) == -1)
		return envelope_fail(why, "line %zu: bad last attempt",
		    ps->lineno);
	r->last_attempt = (int64_t)n;
	if (envelope_get_u64(&ps->tok[4], INT64_MAX, &n) == -1)
		return envelope_fail(why, "line %zu: bad next retry",
		    ps->lineno);
	r->next_retry = (int64_t)n;
	if (envelope_get_notify(&ps->tok[5], &r->notify) == -1)
		return envelope_fail(why, "line %zu: bad notify", ps->lineno);
	if (envelope_get_str(&ps->tok[6], r->orcpt, sizeof(r->orcpt)) == -1)
		return envelope_fail(why, "line %zu: bad orcpt", ps->lineno);
	return 0;
}

static int
envelope_parse_error(struct envelope_parser *ps, struct envelope *e,
    struct reason *why)
{
	struct envelope_rcpt	*r;
	const struct envelope_tok *t;
	uint64_t		 n;
	size_t			 ntok;

	/* version 4 added the policy source after the failure type */
	ntok = ps->version >= 4 ? ENVELOPE_ERROR_TOKENS :
	    ENVELOPE_ERROR_TOKENS_V3;
	if (ps->ntok != ntok)
		return envelope_fail(why, "line %zu: error needs %zu fields",
		    ps->lineno, ntok - 1);
	if (envelope_get_u64(&ps->tok[1], UINT64_MAX, &n) == -1 ||
	    e->nrcpt == 0 || n != e->nrcpt - 1)
		return envelope_fail(why, "line %zu: error index does not "
		    "name the rcpt line just above", ps->lineno);
	r = &e->rcpt[n];
	if (envelope_get_u64(&ps->tok[2], 599, &n) == -1 || n < 200)
		return envelope_fail(why, "line %zu: bad error code",
		    ps->lineno);
	r->error.code = (int)n;
	if (envelope_get_str(&ps->tok[3], r->error.dsn,
	    sizeof(r->error.dsn)) == -1 ||
	    envelope_get_str(&ps->tok[4], r->failure,
	    sizeof(r->failure)) == -1 ||
	    !envelope_failure_valid(r->failure))
		return envelope_fail(why, "line %zu: bad error field",
		    ps->lineno);
	t = &ps->tok[5];
	if (ps->version >= 4) {
		if (envelope_get_str(t, r->policy, sizeof(r->policy)) == -1 ||
		    !envelope_failure_valid(r->policy))
			return envelope_fail(why, "line %zu: bad policy "
			    "source", ps->lineno);
		t++;
	}
	if (envelope_get_str(&t[0], r->mx, sizeof(r->mx)) == -1 ||
	    envelope_get_str(&t[1], r->error.text,
	    sizeof(r->error.text)) == -1)
		return envelope_fail(why, "line %zu: bad error field",
		    ps->lineno);
	return 0;
}

/* Why a message-level line is not the one expected at position k. */
static int
envelope_misplaced(struct envelope_parser *ps, size_t k, struct reason *why)
{
	const struct envelope_tok	*t = &ps->tok[0];
	size_t				 i;

	for (i = 0; i < ENVELOPE_NKEYS; i++)
		if (envelope_tok_is(t, envelope_keys[i].name)) {
			if (i < k)
				return envelope_fail(why,
				    "line %zu: duplicate key %s", ps->lineno,
				    envelope_keys[i].name);
			return envelope_fail(why, "line %zu: missing key %s",
			    ps->lineno, envelope_keys[k].name);
		}
	if (envelope_tok_is(t, "rcpt") || envelope_tok_is(t, "error") ||
	    envelope_tok_is(t, "end"))
		return envelope_fail(why, "line %zu: missing key %s",
		    ps->lineno, envelope_keys[k].name);
	return envelope_fail(why, "line %zu: unknown key", ps->lineno);
}

static int
envelope_parse_body(struct envelope_parser *ps, struct envelope *e,
    struct reason *why)
{
	size_t	k;
	int	after_rcpt = 0, version;

	if (envelope_next_line(ps, why) == -1)
		return -1;
	if (ps->ntok != 2 || !envelope_tok_is(&ps->tok[0], ENVELOPE_MAGIC))
		return envelope_fail(why, "line 1: not a sealpost envelope");
	/* every older version is read; its missing keys stay zero */
	if (envelope_tok_is(&ps->tok[1], "1"))
		version = 1;
	else if (envelope_tok_is(&ps->tok[1], "2"))
		version = 2;
	else if (envelope_tok_is(&ps->tok[1], "3"))
		version = 3;
	else if (envelope_tok_is(&ps->tok[1], "4"))
		version = 4;
	else
		return envelope_fail(why,
		    "line 1: unsupported envelope version");
	ps->version = version;
	for (k = 0; k < ENVELOPE_NKEYS; k++) {
		/* a key newer than the file keeps its zero value */
		if (envelope_keys[k].since > version)
			continue;
		if (envelope_next_line(ps, why) == -1)
			return -1;
		if (!envelope_tok_is(&ps->tok[0], envelope_keys[k].name))
			return envelope_misplaced(ps, k, why);
		if (envelope_parse_key(ps, &envelope_keys[k], e, why) == -1)
			return -1;
	}
	for (;;) {
		if (envelope_next_line(ps, why) == -1)
			return -1;
		if (envelope_tok_is(&ps->tok[0], "rcpt")) {
			if (envelope_parse_rcpt(ps, e, why) == -1)
				return -1;
			after_rcpt = 1;
		} else if (envelope_tok_is(&ps->tok[0], "error")) {
			if (!after_rcpt)
				return envelope_fail(why, "line %zu: error "
				    "line not right after its rcpt line",
				    ps->lineno);
			if (envelope_parse_error(ps, e, why) == -1)
				return -1;
			after_rcpt = 0;
		} else if (envelope_tok_is(&ps->tok[0], "end")) {
			if (ps->ntok != 1)
				return envelope_fail(why,
				    "line %zu: text after end", ps->lineno);
			break;
		} else {
			for (k = 0; k < ENVELOPE_NKEYS; k++) {
				if (!envelope_tok_is(&ps->tok[0],
				    envelope_keys[k].name))
					continue;
				/* a newer key in an older file */
				if (envelope_keys[k].since > version)
					return envelope_fail(why,
					    "line %zu: key %s is not in "
					    "version %d", ps->lineno,
					    envelope_keys[k].name, version);
				return envelope_fail(why,
				    "line %zu: duplicate key %s",
				    ps->lineno, envelope_keys[k].name);
			}
			return envelope_fail(why, "line %zu: unknown key",
			    ps->lineno);
		}
	}
	if (e->nrcpt == 0)
		return envelope_fail(why, "line %zu: no recipients",
		    ps->lineno);
	if (ps->pos != ps->len)
		return envelope_fail(why, "line %zu: data after end",
		    ps->lineno);
	return envelope_check(e, why);
}

int
envelope_parse(const char *buf, size_t len, struct envelope *out,
    struct reason *why)
{
	struct envelope_parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.buf = buf;
	ps.len = len;
	envelope_init(out);
	if (envelope_parse_body(&ps, out, why) == -1) {
		envelope_free(out);
		return -1;
	}
	return 0;
}
