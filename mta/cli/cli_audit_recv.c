/*
 * cli_audit_recv.c: the pure half of `sealpost audit --message`
 * (doc/design.md §9; sealpost(8)): a message's header section into its
 * Received fields (RFC 5322 §2.2.3 unfolding; RFC 5321 §4.4 Time-stamp
 * lines), each field into the hop's names, protocol (RFC 3848, RFC 6531
 * §3.7.3) and TLS details in the forms real MTAs write, the date (RFC
 * 5322 §3.3, §4.3); cli_audit_recv_fmt.c makes the verdict and the
 * report. No I/O; every input is (ptr, len) and bounded (§10). Linked by
 * the sealpost binary, tests/unit/test_cli_audit_recv and
 * tests/fuzz/fuzz_cli_audit_recv.
 */
#include "config.h"

#include <string.h>

#include "cli_audit_recv.h"
#include "cli_pure.h"

#define CLI_AUDIT_RECV_TOKS_MAX	256	/* tokens of one field */

struct cli_audit_recv_tok {
	const char	*p;
	size_t		 len;
	int		 comment;	/* the inside of a (comment) */
};

/* The clauses of RFC 5321 §4.4, and Exim's "tls CIPHER". */
enum cli_audit_recv_clause {
	CLI_AUDIT_RECV_C_NONE,
	CLI_AUDIT_RECV_C_FROM,
	CLI_AUDIT_RECV_C_BY,
	CLI_AUDIT_RECV_C_VIA,
	CLI_AUDIT_RECV_C_WITH,
	CLI_AUDIT_RECV_C_ID,
	CLI_AUDIT_RECV_C_FOR,
	CLI_AUDIT_RECV_C_TLS,
};

/* What the with clause's protocol says. */
enum cli_audit_recv_proto {
	CLI_AUDIT_RECV_P_NONE,		/* no with clause */
	CLI_AUDIT_RECV_P_UNKNOWN,	/* a name we do not know */
	CLI_AUDIT_RECV_P_TLS,		/* ESMTPS, LMTPSA, HTTPS */
	CLI_AUDIT_RECV_P_SMTP,		/* SMTP, ESMTP, ESMTPA */
	CLI_AUDIT_RECV_P_LMTP,		/* LMTP, LMTPA */
	CLI_AUDIT_RECV_P_LOCAL,		/* Exim's local, local-esmtp */
};

static int
cli_audit_recv_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* s[0..len) starts with lit, any case. */
static int
cli_audit_recv_iprefix(const char *s, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= len || cli_audit_recv_lower((unsigned char)s[i]) !=
		    cli_audit_recv_lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

/* s[0..len) is lit, any case. */
static int
cli_audit_recv_ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && cli_audit_recv_iprefix(s, len, lit);
}

/* Where lit first occurs in s[0..len), any case, or NULL. */
static const char *
cli_audit_recv_ifind(const char *s, size_t len, const char *lit)
{
	size_t i, n = strlen(lit);

	for (i = 0; i + n <= len; i++)
		if (cli_audit_recv_iprefix(s + i, len - i, lit))
			return s + i;
	return NULL;
}

static int
cli_audit_recv_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * s[0..len) into dst (size dstsz > 0), cleaned for a terminal and for
 * JSON: white space runs become one space (none at either end), other
 * control octets and non-ASCII ones '?'; cut to fit.
 */
static void
cli_audit_recv_clean(char *dst, size_t dstsz, const char *s, size_t len)
{
	size_t i, o = 0;
	int sp = 0;
	unsigned char c;

	for (i = 0; i < len && o + 1 < dstsz; i++) {
		c = (unsigned char)s[i];
		if (cli_audit_recv_space(c)) {
			sp = o > 0;
			continue;
		}
		if (sp) {
			dst[o++] = ' ';
			sp = 0;
			if (o + 1 >= dstsz)
				break;
		}
		dst[o++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[o] = '\0';
}

/*
 * A TLS version word s[0..len) ("TLSv1.3", "TLS1.3", "TLS1_3", "SSLv3")
 * into out ("TLSv1.3", "SSLv3"). Returns 0, or -1 when it is none.
 */
static int
cli_audit_recv_version(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i, o;
	int digits = 0;

	while (len > 0 && (s[len - 1] == ',' || s[len - 1] == ';'))
		len--;
	if (len < 4 || outsz < 8 || (!cli_audit_recv_iprefix(s, len, "TLS") &&
	    !cli_audit_recv_iprefix(s, len, "SSL")))
		return -1;
	out[0] = (char)(cli_audit_recv_lower((unsigned char)s[0]) == 't' ?
	    'T' : 'S');
	out[1] = out[0] == 'T' ? 'L' : 'S';
	out[2] = 'S';
	out[3] = 'v';
	o = 4;
	i = 3;
	if (s[i] == 'v' || s[i] == 'V')
		i++;
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits = 1;
		else if ((s[i] != '.' && s[i] != '_') || !digits ||
		    i + 1 == len)
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = s[i] == '_' ? '.' : s[i];
	}
	if (!digits)
		return -1;
	out[o] = '\0';
	return 0;
}

/* The leading decimal number of s[0..len) (at most 5 digits), or -1. */
static int
cli_audit_recv_num(const char *s, size_t len)
{
	size_t i;
	int v = 0;

	for (i = 0; i < len && i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	return i == 0 ? -1 : v;
}

/* The length of the word at s (up to white space, ',' or ')'). */
static size_t
cli_audit_recv_wordlen(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && !cli_audit_recv_space((unsigned char)s[i]) &&
	    s[i] != ',' && s[i] != ')'; i++)
		;
	return i;
}

/* Postfix and sealpost: "using V with cipher C (U/A bits) ...". */
static int
cli_audit_recv_using(struct cli_audit_recv_hop *h, const char *s,
    size_t len)
{
	const char *e = s + len, *p;
	size_t n;

	s += 6;		/* "using " */
	n = cli_audit_recv_wordlen(s, (size_t)(e - s));
	if (cli_audit_recv_version(s, n, h->version, sizeof(h->version)) ==
	    -1)
		return 0;
	s += n;
	while (s < e && *s == ' ')
		s++;
	if (cli_audit_recv_iprefix(s, (size_t)(e - s), "with cipher ")) {
		s += 12;
		n = cli_audit_recv_wordlen(s, (size_t)(e - s));
		cli_audit_recv_clean(h->cipher, sizeof(h->cipher), s, n);
		s += n;
		if ((p = memchr(s, '(', (size_t)(e - s))) != NULL)
			h->bits = cli_audit_recv_num(p + 1,
			    (size_t)(e - p - 1));
	}
	h->form = CLI_AUDIT_RECV_F_USING;
	return 1;
}

/* Sendmail, Google, Microsoft: "version=V[,] cipher=C bits=B/B ...". */
static int
cli_audit_recv_kv(struct cli_audit_recv_hop *h, const char *s, size_t len)
{
	const char *e = s + len;
	size_t n;

	while (s < e) {
		while (s < e && (cli_audit_recv_space((unsigned char)*s) ||
		    *s == ','))
			s++;
		n = cli_audit_recv_wordlen(s, (size_t)(e - s));
		if (n == 0) {
			s++;
			continue;
		}
		if (cli_audit_recv_iprefix(s, n, "version=") &&
		    cli_audit_recv_version(s + 8, n - 8, h->version,
		    sizeof(h->version)) == -1)
			cli_audit_recv_clean(h->version, sizeof(h->version),
			    s + 8, n - 8);
		else if (cli_audit_recv_iprefix(s, n, "cipher="))
			cli_audit_recv_clean(h->cipher, sizeof(h->cipher),
			    s + 7, n - 7);
		else if (cli_audit_recv_iprefix(s, n, "bits="))
			h->bits = cli_audit_recv_num(s + 5, n - 5);
		s += n;
	}
	h->form = CLI_AUDIT_RECV_F_KV;
	return 1;
}

/* OpenSMTPD, older Exim: "V:C:B[:verify]". */
static int
cli_audit_recv_colon(struct cli_audit_recv_hop *h, const char *s,
    size_t len)
{
	const char *c1, *c2;
	size_t n;

	n = cli_audit_recv_wordlen(s, len);
	if ((c1 = memchr(s, ':', n)) == NULL ||
	    cli_audit_recv_version(s, (size_t)(c1 - s), h->version,
	    sizeof(h->version)) == -1)
		return 0;
	c1++;
	if ((c2 = memchr(c1, ':', (size_t)(s + n - c1))) == NULL)
		c2 = s + n;
	cli_audit_recv_clean(h->cipher, sizeof(h->cipher), c1,
	    (size_t)(c2 - c1));
	if (c2 < s + n)
		h->bits = cli_audit_recv_num(c2 + 1, (size_t)(s + n - c2 - 1));
	h->form = CLI_AUDIT_RECV_F_COLON;
	return 1;
}

/*
 * The inside of a comment s[0..len): the TLS details of any form, when
 * it holds them. A form with a cipher is not replaced by a later one.
 */
static void
cli_audit_recv_tlsinfo(struct cli_audit_recv_hop *h, const char *s,
    size_t len)
{
	char v[sizeof(h->version)];

	while (len > 0 && cli_audit_recv_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && cli_audit_recv_space((unsigned char)s[len - 1]))
		len--;
	if (h->form == CLI_AUDIT_RECV_F_USING ||
	    h->form == CLI_AUDIT_RECV_F_KV ||
	    h->form == CLI_AUDIT_RECV_F_COLON)
		return;
	if (cli_audit_recv_iprefix(s, len, "using "))
		(void)cli_audit_recv_using(h, s, len);
	else if (cli_audit_recv_iprefix(s, len, "version="))
		(void)cli_audit_recv_kv(h, s, len);
	else if (cli_audit_recv_wordlen(s, len) < len ?
	    0 : memchr(s, ':', len) != NULL)
		(void)cli_audit_recv_colon(h, s, len);
	else if (cli_audit_recv_ieq(s, len, "TLS")) {
		if (h->form == CLI_AUDIT_RECV_F_NONE ||
		    h->form == CLI_AUDIT_RECV_F_PROTO)
			h->form = CLI_AUDIT_RECV_F_BARE;
	} else if (cli_audit_recv_version(s, len, v, sizeof(v)) == 0) {
		(void)strlcpy(h->version, v, sizeof(h->version));
		if (h->form != CLI_AUDIT_RECV_F_EXIM)
			h->form = CLI_AUDIT_RECV_F_BARE;
	}
}

/* The first [address-literal] of a from clause's comment into from_ip. */
static void
cli_audit_recv_fromip(struct cli_audit_recv_hop *h, const char *s,
    size_t len)
{
	const char *o, *c, *p, *q;

	if ((o = memchr(s, '[', len)) == NULL ||
	    (c = memchr(o, ']', len - (size_t)(o - s))) == NULL)
		return;
	p = o + 1;
	if (cli_audit_recv_iprefix(p, (size_t)(c - p), "IPv6:"))
		p += 5;
	if (p == c)
		return;
	for (q = p; q < c; q++)
		if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
		    (*q >= 'A' && *q <= 'F') || *q == '.' || *q == ':'))
			return;	/* "[local]", a name */
	cli_audit_recv_clean(h->from_ip, sizeof(h->from_ip), o + 1,
	    (size_t)(c - o - 1));
}

/* What the with clause's protocol name (its first word) says. */
static enum cli_audit_recv_proto
cli_audit_recv_proto(const char *w, size_t n)
{
	if (n == 0)
		return CLI_AUDIT_RECV_P_NONE;
	if (cli_audit_recv_iprefix(w, n, "local"))
		return CLI_AUDIT_RECV_P_LOCAL;
	if (cli_audit_recv_ieq(w, n, "HTTPS"))
		return CLI_AUDIT_RECV_P_TLS;
	if (cli_audit_recv_iprefix(w, n, "Microsoft"))
		return CLI_AUDIT_RECV_P_SMTP;	/* Microsoft SMTP Server */
	if (cli_audit_recv_iprefix(w, n, "UTF8")) {
		w += 4;
		n -= 4;
	}
	if (cli_audit_recv_iprefix(w, n, "ESMTP")) {
		w += 5;
		n -= 5;
	} else if (cli_audit_recv_iprefix(w, n, "SMTP")) {
		w += 4;
		n -= 4;
	} else if (cli_audit_recv_iprefix(w, n, "LMTP")) {
		if (cli_audit_recv_ieq(w + 4, n - 4, "S") ||
		    cli_audit_recv_ieq(w + 4, n - 4, "SA"))
			return CLI_AUDIT_RECV_P_TLS;
		if (n == 4 || cli_audit_recv_ieq(w + 4, n - 4, "A"))
			return CLI_AUDIT_RECV_P_LMTP;
		return CLI_AUDIT_RECV_P_UNKNOWN;
	} else
		return CLI_AUDIT_RECV_P_UNKNOWN;
	/* RFC 3848: A authenticated, S TLS, SA both */
	if (cli_audit_recv_ieq(w, n, "S") || cli_audit_recv_ieq(w, n, "SA"))
		return CLI_AUDIT_RECV_P_TLS;
	if (n == 0 || cli_audit_recv_ieq(w, n, "A"))
		return CLI_AUDIT_RECV_P_SMTP;
	return CLI_AUDIT_RECV_P_UNKNOWN;
}

static enum cli_audit_recv_clause
cli_audit_recv_keyword(const char *w, size_t n, int after_with)
{
	static const char *const kw[] = { "from", "by", "via", "with", "id",
	    "for" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (cli_audit_recv_ieq(w, n, kw[i]))
			return (enum cli_audit_recv_clause)(i + 1);
	if (after_with && cli_audit_recv_ieq(w, n, "tls"))
		return CLI_AUDIT_RECV_C_TLS;
	return CLI_AUDIT_RECV_C_NONE;
}

/*
 * s[0..len) into tokens: words, quoted strings and the insides of
 * comments (nested, with quoted pairs). Returns how many, at most max;
 * *why is set when a comment or a string is not closed.
 */
static size_t
cli_audit_recv_tokens(const char *s, size_t len,
    struct cli_audit_recv_tok *t, size_t max, const char **why)
{
	size_t i = 0, n = 0, start;
	int depth;

	while (i < len && n < max) {
		if (cli_audit_recv_space((unsigned char)s[i]) || s[i] == ')') {
			i++;
			continue;
		}
		if (s[i] == '(' || s[i] == '"') {
			start = ++i;
			depth = 1;
			while (i < len && depth > 0) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				else if (s[start - 1] == '"' && s[i] == '"')
					depth = 0;
				else if (s[start - 1] == '(' && s[i] == '(')
					depth++;
				else if (s[start - 1] == '(' && s[i] == ')')
					depth--;
				i++;
			}
			t[n].p = s + start;
			t[n].len = i - start - (depth == 0 ? 1 : 0);
			t[n].comment = s[start - 1] == '(';
			n++;
			if (depth > 0)
				*why = t[n - 1].comment ?
				    "an unclosed comment" :
				    "an unclosed quoted string";
			continue;
		}
		start = i;
		while (i < len && !cli_audit_recv_space((unsigned char)s[i]) &&
		    s[i] != '(' && s[i] != ')')
			i++;
		t[n].p = s + start;
		t[n].len = i - start;
		t[n].comment = 0;
		n++;
	}
	return n;
}

/* Where the date starts: after the last ';' outside comments, or NULL. */
static const char *
cli_audit_recv_semi(const char *s, size_t len)
{
	const char *last = NULL;
	size_t i;
	int depth = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (s[i] == ';' && depth == 0)
			last = s + i;
	}
	return last;
}

int
cli_audit_recv_hop(const char *s, size_t len, struct cli_audit_recv_hop *h)
{
	struct cli_audit_recv_tok t[CLI_AUDIT_RECV_TOKS_MAX];
	enum cli_audit_recv_clause cur = CLI_AUDIT_RECV_C_NONE, kw;
	enum cli_audit_recv_proto proto = CLI_AUDIT_RECV_P_NONE;
	const char *semi, *why = NULL;
	size_t n, i, stamplen, wlen = 0;
	int want = 0, with_open = 0, with_words = 0, local = 0;
	int from_comment = 0, by_comment = 0;

	memset(h, 0, sizeof(*h));
	h->bits = -1;
	h->ts = -1;
	cli_audit_recv_clean(h->raw, sizeof(h->raw), s, len);
	if ((semi = cli_audit_recv_semi(s, len)) != NULL) {
		stamplen = (size_t)(semi - s);
		cli_audit_recv_clean(h->date, sizeof(h->date), semi + 1,
		    len - stamplen - 1);
		if (cli_audit_recv_date(semi + 1, len - stamplen - 1, &h->ts) ==
		    -1)
			h->ts = -1;
	} else {
		stamplen = len;
		why = "no date (no ';')";
	}
	n = cli_audit_recv_tokens(s, stamplen, t, CLI_AUDIT_RECV_TOKS_MAX,
	    &why);
	if (n == 0)
		why = "empty";
	for (i = 0; i < n; i++) {
		if (t[i].comment) {
			cli_audit_recv_tlsinfo(h, t[i].p, t[i].len);
			if (cur == CLI_AUDIT_RECV_C_FROM && !from_comment++) {
				cli_audit_recv_fromip(h, t[i].p, t[i].len);
				/* sealpost's pickup, OpenSMTPD's socket */
				if ((strcmp(h->from, "local") == 0 &&
				    cli_audit_recv_iprefix(t[i].p, t[i].len,
				    "uid ")) || cli_audit_recv_ifind(t[i].p,
				    t[i].len, "[local]") != NULL)
					local = 1;
			} else if (cur == CLI_AUDIT_RECV_C_BY &&
			    !by_comment++ && (cli_audit_recv_ifind(t[i].p,
			    t[i].len, "from userid") != NULL ||
			    cli_audit_recv_ifind(t[i].p, t[i].len, "/Submit") !=
			    NULL))
				local = 1;	/* Postfix, Sendmail */
			else if (cur == CLI_AUDIT_RECV_C_NONE &&
			    (cli_audit_recv_iprefix(t[i].p, t[i].len,
			    "from ") || cli_audit_recv_ifind(t[i].p, t[i].len,
			    "invoked by ") != NULL))
				local = 1;	/* Sendmail, qmail */
			with_open = 0;
			continue;
		}
		if (want) {
			want = 0;
			switch (cur) {
			case CLI_AUDIT_RECV_C_FROM:	/* the first one */
				if (h->from[0] == '\0')
					cli_audit_recv_clean(h->from,
					    sizeof(h->from), t[i].p, t[i].len);
				break;
			case CLI_AUDIT_RECV_C_BY:
				if (h->by[0] == '\0')
					cli_audit_recv_clean(h->by,
					    sizeof(h->by), t[i].p, t[i].len);
				break;
			case CLI_AUDIT_RECV_C_WITH:
				cli_audit_recv_clean(h->with, sizeof(h->with),
				    t[i].p, t[i].len);
				proto = cli_audit_recv_proto(t[i].p, t[i].len);
				wlen = t[i].len;
				with_open = 1;
				with_words = 1;
				break;
			case CLI_AUDIT_RECV_C_TLS:
				/* Exim writes it only over TLS */
				cli_audit_recv_clean(h->cipher,
				    sizeof(h->cipher), t[i].p, t[i].len);
				h->form = CLI_AUDIT_RECV_F_EXIM;
				break;
			default:
				break;
			}
			continue;
		}
		kw = cli_audit_recv_keyword(t[i].p, t[i].len,
		    proto != CLI_AUDIT_RECV_P_NONE);
		if (kw != CLI_AUDIT_RECV_C_NONE) {
			if ((kw == CLI_AUDIT_RECV_C_FROM &&
			    h->from[0] != '\0') ||
			    (kw == CLI_AUDIT_RECV_C_BY && h->by[0] != '\0'))
				why = "a clause twice";
			cur = kw;
			want = 1;
			with_open = 0;
			continue;
		}
		/* "with Microsoft SMTP Server": a name of a few words */
		if (cur == CLI_AUDIT_RECV_C_WITH && with_open &&
		    with_words < 3 && wlen + 1 + t[i].len <
		    sizeof(h->with)) {
			h->with[wlen++] = ' ';
			cli_audit_recv_clean(h->with + wlen,
			    sizeof(h->with) - wlen, t[i].p, t[i].len);
			wlen = strlen(h->with);
			with_words++;
		}
	}
	if (want && why == NULL)
		why = "a clause without its value";
	h->malformed = why;
	if (h->form == CLI_AUDIT_RECV_F_NONE && proto == CLI_AUDIT_RECV_P_TLS)
		h->form = CLI_AUDIT_RECV_F_PROTO;
	if (local || proto == CLI_AUDIT_RECV_P_LOCAL)
		h->tls = CLI_AUDIT_RECV_LOCAL;
	else if (h->form != CLI_AUDIT_RECV_F_NONE)
		h->tls = CLI_AUDIT_RECV_TLS;
	else if (h->from[0] == '\0' && why == NULL)
		/* RFC 5321 §4.4: a relay writes from; without it the field
		   is a submission inside that host (Postfix's pickup, a
		   webmail's "by host with HTTP") */
		h->tls = CLI_AUDIT_RECV_LOCAL;
	else if (proto == CLI_AUDIT_RECV_P_LMTP)
		h->tls = CLI_AUDIT_RECV_LOCAL;
	else if (proto == CLI_AUDIT_RECV_P_SMTP && why == NULL)
		/* a cut field may have lost its TLS clause: not cleartext */
		h->tls = CLI_AUDIT_RECV_CLEAR;
	else
		h->tls = CLI_AUDIT_RECV_UNKNOWN;
	return why == NULL ? 0 : -1;
}

/* ---- the date (RFC 5322 §3.3, obsolete forms §4.3) ---- */


/* Reads up to max digits at s[*i]; returns the count read. */
static int
cli_audit_recv_digits(const char *s, size_t len, size_t *i, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (*i < len && n < max && s[*i] >= '0' && s[*i] <= '9') {
		*v = *v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	return n;
}

/* Skips white space and comments; returns -1 at an unclosed comment. */
static int
cli_audit_recv_cfws(const char *s, size_t len, size_t *i)
{
	int depth;

	for (;;) {
		while (*i < len && cli_audit_recv_space((unsigned char)s[*i]))
			(*i)++;
		if (*i >= len || s[*i] != '(')
			return 0;
		depth = 0;
		do {
			if (s[*i] == '\\' && *i + 1 < len)
				(*i)++;
			else if (s[*i] == '(')
				depth++;
			else if (s[*i] == ')')
				depth--;
			(*i)++;
		} while (*i < len && depth > 0);
		if (depth > 0)
			return -1;
	}
}

int
cli_audit_recv_date(const char *s, size_t len, int64_t *t)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct {
		const char	*name;
		int		 hours;
	} zones[] = { { "UT", 0 }, { "GMT", 0 }, { "EST", -5 }, { "EDT", -4 },
	    { "CST", -6 }, { "CDT", -5 }, { "MST", -7 }, { "MDT", -6 },
	    { "PST", -8 }, { "PDT", -7 } };
	size_t i = 0, k, zl;
	int day, mon = -1, year, hh, mm, ss = 0, zh = 0, zm = 0, zsign = 1, n;

	if (cli_audit_recv_cfws(s, len, &i) == -1)
		return -1;
	/* an optional day name and ',' */
	if (i + 4 <= len && s[i + 3] == ',') {
		i += 4;
		if (cli_audit_recv_cfws(s, len, &i) == -1)
			return -1;
	}
	if (cli_audit_recv_digits(s, len, &i, 2, &day) == 0 || day < 1 ||
	    day > 31 || cli_audit_recv_cfws(s, len, &i) == -1 || i + 3 > len)
		return -1;
	for (k = 0; k < 12 && mon == -1; k++)
		if (cli_audit_recv_lower((unsigned char)s[i]) ==
		    months[3 * k] && cli_audit_recv_lower((unsigned char)
		    s[i + 1]) == months[3 * k + 1] &&
		    cli_audit_recv_lower((unsigned char)s[i + 2]) ==
		    months[3 * k + 2])
			mon = (int)k + 1;
	i += 3;
	if (mon == -1 || cli_audit_recv_cfws(s, len, &i) == -1)
		return -1;
	n = cli_audit_recv_digits(s, len, &i, 4, &year);
	if (n < 2)
		return -1;
	if (n == 2)
		year += year < 50 ? 2000 : 1900;
	else if (n == 3)
		year += 1900;
	if (cli_audit_recv_cfws(s, len, &i) == -1 ||
	    cli_audit_recv_digits(s, len, &i, 2, &hh) == 0 || hh > 23 ||
	    i >= len || s[i++] != ':' ||
	    cli_audit_recv_digits(s, len, &i, 2, &mm) != 2 || mm > 59)
		return -1;
	if (i < len && s[i] == ':') {
		i++;
		if (cli_audit_recv_digits(s, len, &i, 2, &ss) != 2 || ss > 60)
			return -1;
	}
	if (cli_audit_recv_cfws(s, len, &i) == -1 || i >= len)
		return -1;
	if (s[i] == '+' || s[i] == '-') {
		zsign = s[i++] == '-' ? -1 : 1;
		if (cli_audit_recv_digits(s, len, &i, 2, &zh) != 2 ||
		    cli_audit_recv_digits(s, len, &i, 2, &zm) != 2 || zm > 59)
			return -1;
	} else {
		for (zl = 0; i + zl < len && ((s[i + zl] >= 'A' &&
		    s[i + zl] <= 'Z') || (s[i + zl] >= 'a' &&
		    s[i + zl] <= 'z')); zl++)
			;
		if (zl == 0 || zl > 5)
			return -1;
		/* other names, military ones included, are -0000 (§4.3) */
		for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++)
			if (cli_audit_recv_ieq(s + i, zl, zones[k].name)) {
				zh = zones[k].hours < 0 ? -zones[k].hours :
				    zones[k].hours;
				zsign = zones[k].hours < 0 ? -1 : 1;
			}
		i += zl;
	}
	if (cli_audit_recv_cfws(s, len, &i) == -1 || i != len)
		return -1;
	*t = cli_days_from_civil(year, mon, day) * 86400 + hh * 3600 +
	    mm * 60 + ss - zsign * (zh * 3600 + zm * 60);
	return 0;
}

/* ---- the header section ---- */

/* Unfolds the field msg[start..end) and parses it if it is a Received. */
static void
cli_audit_recv_field(struct cli_audit_recv *r, const char *msg,
    size_t start, size_t end, size_t namelen)
{
	size_t i, o = 0;
	int cut = 0;

	if (!cli_audit_recv_ieq(msg + start, namelen, "Received"))
		return;
	r->nreceived++;
	if (r->nhops == CLI_AUDIT_RECV_HOPS_MAX)
		return;
	for (i = start + namelen + 1; i < end; i++) {
		if (msg[i] == '\r' || msg[i] == '\n')
			continue;
		if (o == sizeof(r->field)) {
			cut = 1;
			break;
		}
		r->field[o++] = msg[i];
	}
	(void)cli_audit_recv_hop(r->field, o, &r->hop[r->nhops]);
	if (cut) {
		r->hop[r->nhops].malformed = "longer than 16384 octets";
		if (r->hop[r->nhops].tls == CLI_AUDIT_RECV_CLEAR)
			r->hop[r->nhops].tls = CLI_AUDIT_RECV_UNKNOWN;
	}
	r->nhops++;
}

/* The length of a field name at the start of line[0..len), or 0. */
static size_t
cli_audit_recv_name(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len && line[i] != ':'; i++)
		if ((unsigned char)line[i] <= 32 ||
		    (unsigned char)line[i] >= 127)
			return 0;
	return i < len ? i : 0;
}

int
cli_audit_recv_parse(const char *msg, size_t len, struct cli_audit_recv *r,
    const char **why)
{
	const char *nl;
	size_t lim, i = 0, e, ll, fstart = 0, fend = 0, fname = 0;
	int first = 1, infield = 0, ended = 0, cutline = 0;

	r->nhops = r->nreceived = r->nbad = 0;
	r->head_cut = r->no_end = 0;
	lim = len < CLI_AUDIT_RECV_HEAD_MAX ? len : CLI_AUDIT_RECV_HEAD_MAX;
	if (lim == 0) {
		*why = "empty";
		return -1;
	}
	/* an mbox file's separator line */
	if (lim >= 5 && memcmp(msg, "From ", 5) == 0) {
		if ((nl = memchr(msg, '\n', lim)) == NULL) {
			*why = "not a message: no header field";
			return -1;
		}
		i = (size_t)(nl - msg) + 1;
	}
	while (i < lim) {
		if ((nl = memchr(msg + i, '\n', lim - i)) != NULL)
			e = (size_t)(nl - msg);
		else {
			e = lim;
			cutline = len > lim;
		}
		ll = e - i;
		if (ll > 0 && msg[i + ll - 1] == '\r')
			ll--;
		if (ll == 0 && !cutline) {
			ended = 1;
			break;
		}
		if (msg[i] == ' ' || msg[i] == '\t') {
			if (!infield) {
				if (first)
					goto notmsg;
				r->nbad++;
			} else
				fend = e;
		} else {
			if (infield && !cutline)
				cli_audit_recv_field(r, msg, fstart, fend,
				    fname);
			infield = 0;
			if ((fname = cli_audit_recv_name(msg + i, ll)) > 0) {
				infield = 1;
				fstart = i;
				fend = e;
			} else if (first)
				goto notmsg;
			else
				r->nbad++;
		}
		first = 0;
		i = e + 1;
	}
	if (!ended) {
		r->no_end = 1;
		if (len > lim) {
			r->head_cut = 1;
			/* the field the bound cut: counted, not read */
			if (infield && cli_audit_recv_ieq(msg + fstart, fname,
			    "Received"))
				r->nreceived++;
			infield = 0;
		}
	}
	if (infield)
		cli_audit_recv_field(r, msg, fstart, fend, fname);
	if (first)
		goto notmsg;
	return 0;
notmsg:
	*why = "not a message: it does not start with a header field";
	return -1;
}

