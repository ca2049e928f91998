/*
 * route.c: the administrator's table (tls_policy_file) and the choice of
 * next hop and requirement per destination domain (doc/design.md §8).
 * Host names as RFC 1123 §2.1 allows them, IP addresses (RFC 4291 text
 * form in brackets), SHA-256 digests in hex. Pure: no I/O; the entries
 * are allocated. Linked by the policy process and tests/unit/test_route.
 * See route.h for the contracts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#define ROUTE_LINE_MAX	4096	/* one line of the table */
#define ROUTE_FIELDS_MAX	(3 + ROUTE_FP_MAX + 4)

static const struct {
	const char	*name;
	int		 req;
} route_reqs[] = {
	{ "encrypt", IPC_REQ_ENCRYPT },
	{ "verify", IPC_REQ_VERIFY },
	{ "fingerprint", IPC_REQ_FINGERPRINT },
	{ "dane-only", IPC_REQ_DANE_ONLY },
	{ "cleartext-ok", IPC_REQ_CLEARTEXT_OK },
	{ "default", ROUTE_REQ_DEFAULT },
	{ "audit-only", ROUTE_REQ_DEFAULT },	/* and audit_only set */
};

#define ROUTE_REQS_ALLOWED	"encrypt, verify, fingerprint, dane-only, " \
	"cleartext-ok, audit-only or default"
#define ROUTE_OPTS_ALLOWED	"relay=HOST, relay=HOST:PORT, relay=[HOST], " \
	"relay=[HOST]:PORT, auth, audit-only, match=sha256:HEX " \
	"(fingerprint), match=NAME:NAME (verify)"

const char *
route_req_name(int requirement)
{
	switch (requirement) {
	case IPC_REQ_CLEARTEXT_OK:
		return "cleartext-ok";
	case IPC_REQ_ENCRYPT:
		return "encrypt";
	case IPC_REQ_VERIFY:
		return "verify";
	case IPC_REQ_FINGERPRINT:
		return "fingerprint";
	case IPC_REQ_DANE:
		return "dane";
	case IPC_REQ_DANE_ONLY:
		return "dane-only";
	case IPC_REQ_MTA_STS:
		return "mta-sts";
	default:
		return "?";
	}
}

/*
 * A host name: labels of [A-Za-z0-9_-], 1..63 octets, not starting or
 * ending with '-', at most 253 octets (one optional trailing dot is
 * dropped by the caller). Copied lower case into out[ROUTE_NAME_MAX].
 */
static int
route_hostname(const char *s, size_t len, char *out)
{
	size_t i, lab = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len >= ROUTE_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return -1;
			lab = 0;
		} else if (isalnum(ch) || ch == '_' || ch == '-') {
			if (ch == '-' && lab == 0)
				return -1;
			if (++lab > 63)
				return -1;
		} else
			return -1;
		out[i] = (char)tolower(ch);
	}
	if (lab == 0 || s[len - 1] == '-')
		return -1;
	out[len] = '\0';
	return 0;
}

int
route_nexthop_parse(const char *s, size_t len, struct route_nexthop *out)
{
	const char *host, *rest;
	size_t hlen, rlen, i;
	unsigned long port = ROUTE_PORT_DEFAULT;
	unsigned char a[16];
	char tmp[ROUTE_NAME_MAX];

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return -1;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);

		if (end == NULL)
			return -1;
		host = s + 1;
		hlen = (size_t)(end - host);
		rest = end + 1;
		out->nomx = 1;
	} else {
		rest = memchr(s, ':', len);
		host = s;
		hlen = rest != NULL ? (size_t)(rest - s) : len;
		if (rest == NULL)
			rest = s + len;
	}
	rlen = len - (size_t)(rest - s);
	if (rlen > 0) {
		if (rest[0] != ':' || rlen < 2 || rlen > 6)
			return -1;
		port = 0;
		for (i = 1; i < rlen; i++) {
			if (!isdigit((unsigned char)rest[i]))
				return -1;
			port = port * 10 + (unsigned long)(rest[i] - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	}
	if (hlen == 0 || hlen >= sizeof(tmp))
		return -1;
	memcpy(tmp, host, hlen);
	tmp[hlen] = '\0';
	if (inet_pton(AF_INET, tmp, a) == 1 ||
	    (out->nomx && inet_pton(AF_INET6, tmp, a) == 1)) {
		/* an address: nothing to look up but itself */
		for (i = 0; i <= hlen; i++)
			out->host[i] = (char)tolower((unsigned char)tmp[i]);
		out->literal = 1;
		out->nomx = 1;
	} else if (route_hostname(host, hlen, out->host) == -1) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->port = (uint16_t)port;
	out->set = 1;
	return 0;
}

/* Formats "fname:line: ..." into err; always returns -1. */
static int
route_err(char *err, size_t errlen, const char *fname, int line,
    const char *fmt, ...)
	__attribute__((__format__(printf, 5, 6)));

static int
route_err(char *err, size_t errlen, const char *fname, int line,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/* a truncated message still names file and line */
	n = snprintf(err, errlen, "%s:%d: %s", fname, line, msg);
	if (n < 0 && errlen > 0)
		err[0] = '\0';
	return -1;
}

/* A field for a message: at most 64 octets, printable only. */
static void
route_show(const char *s, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < size && i < 64; i++)
		out[n++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	out[n] = '\0';
}

/*
 * The names of verify's match= (Postfix's form): NAME[:NAME...], each a
 * DNS name, ".suffix" (any name below suffix), or hostname, nexthop,
 * dot-nexthop; lower-cased into e. Returns 0, or -1 when malformed.
 */
static int
route_match_names(const char *p, size_t len, struct route_entry *e)
{
	struct route_nexthop h;
	const char *end = p + len, *c;
	size_t n, i;

	while (p <= end) {
		c = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((c != NULL ? c : end) - p);
		if (n == 0 || n >= ROUTE_NAME_MAX || e->nmatch == ROUTE_MATCH_MAX)
			return -1;
		for (i = 0; i < n; i++)
			e->match[e->nmatch][i] = (char)tolower((unsigned char)p[i]);
		e->match[e->nmatch][n] = '\0';
		/* a word, or a host name (after the dot of ".suffix") */
		if (strcmp(e->match[e->nmatch], "hostname") != 0 &&
		    strcmp(e->match[e->nmatch], "nexthop") != 0 &&
		    strcmp(e->match[e->nmatch], "dot-nexthop") != 0) {
			i = e->match[e->nmatch][0] == '.';
			if (route_nexthop_parse(e->match[e->nmatch] + i, n - i,
			    &h) == -1 || h.literal || h.nomx || h.port != 25 ||
			    strchr(e->match[e->nmatch], ':') != NULL)
				return -1;
		}
		e->nmatch++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

static int
route_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct route_field {
	const char	*p;
	size_t		 len;
};

/* The options after domain and requirement. Returns 0 or -1 (err set). */
static int
route_options(struct route_entry *e, const struct route_field *f,
    size_t nf, const char *fname, char *err, size_t errlen)
{
	char show[80];
	size_t i, j;

	for (i = 2; i < nf; i++) {
		const char *p = f[i].p;
		size_t len = f[i].len;

		route_show(p, len, show, sizeof(show));
		if (len > 6 && strncmp(p, "relay=", 6) == 0) {
			if (e->relay.set)
				return route_err(err, errlen, fname, e->line,
				    "relay= given twice; one relay per entry");
			if (route_nexthop_parse(p + 6, len - 6, &e->relay) ==
			    -1)
				return route_err(err, errlen, fname, e->line,
				    "'%s' is not a relay; write relay=HOST, "
				    "relay=HOST:PORT, relay=[HOST] or "
				    "relay=[HOST]:PORT", show);
		} else if (len == 4 && strncmp(p, "auth", 4) == 0) {
			if (e->auth)
				return route_err(err, errlen, fname, e->line,
				    "auth given twice; write it once");
			e->auth = 1;
		} else if (len == 10 && strncmp(p, "audit-only", 10) == 0) {
			if (e->audit_only)
				return route_err(err, errlen, fname, e->line,
				    "audit-only given twice; write it once");
			e->audit_only = 1;
		} else if (len > 6 && strncmp(p, "match=", 6) == 0 &&
		    e->requirement == IPC_REQ_VERIFY) {
			if (e->nmatch > 0)
				return route_err(err, errlen, fname, e->line,
				    "match= given twice; write the names once, "
				    "separated by ':'");
			if (route_match_names(p + 6, len - 6, e) == -1)
				return route_err(err, errlen, fname, e->line,
				    "'%s' is not a list of names; write "
				    "match=NAME:NAME with at most %d DNS names, "
				    ".suffix names, hostname, nexthop or "
				    "dot-nexthop", show, ROUTE_MATCH_MAX);
		} else if (len > 6 && strncmp(p, "match=", 6) == 0 &&
		    e->requirement != IPC_REQ_FINGERPRINT) {
			return route_err(err, errlen, fname, e->line,
			    "match= belongs to fingerprint (digests) and "
			    "verify (names) only; remove it, or use one of "
			    "them");
		} else if (len > 6 && strncmp(p, "match=", 6) == 0) {
			if (len != 6 + 7 + 64 ||
			    strncmp(p + 6, "sha256:", 7) != 0)
				return route_err(err, errlen, fname, e->line,
				    "'%s' is not a digest; write "
				    "match=sha256: and 64 hex digits", show);
			if (e->nfp >= ROUTE_FP_MAX)
				return route_err(err, errlen, fname, e->line,
				    "more than %d match= digests; at most %d",
				    ROUTE_FP_MAX, ROUTE_FP_MAX);
			for (j = 0; j < 32; j++) {
				int hi = route_hexval(p[13 + 2 * j]);
				int lo = route_hexval(p[14 + 2 * j]);

				if (hi < 0 || lo < 0)
					return route_err(err, errlen, fname,
					    e->line, "'%s' is not a digest; "
					    "write match=sha256: and 64 hex "
					    "digits", show);
				e->fp[e->nfp][j] = (uint8_t)(hi << 4 | lo);
			}
			e->nfp++;
		} else
			return route_err(err, errlen, fname, e->line,
			    "unknown option '%s'; allowed: %s", show,
			    ROUTE_OPTS_ALLOWED);
	}
	if (e->auth && !e->relay.set)
		return route_err(err, errlen, fname, e->line,
		    "auth without relay=; auth logs in to a relay only");
	if (e->requirement == ROUTE_REQ_DEFAULT && !e->relay.set &&
	    !e->audit_only)
		return route_err(err, errlen, fname, e->line,
		    "default without relay= changes nothing; give a "
		    "requirement, relay= to route only, or audit-only");
	if (e->requirement == IPC_REQ_FINGERPRINT && e->nfp == 0)
		return route_err(err, errlen, fname, e->line,
		    "fingerprint without match=; add "
		    "match=sha256:HEX (one or more)");
	if (e->requirement != IPC_REQ_FINGERPRINT && e->nfp > 0)
		return route_err(err, errlen, fname, e->line,
		    "match= belongs to fingerprint (digests) and verify "
		    "(names) only; remove it, or use one of them");
	return 0;
}

/* One non-empty line, comment removed. Returns 0 or -1 (err set). */
static int
route_line(struct route_table *t, const char *p, size_t len, int line,
    const char *fname, char *err, size_t errlen)
{
	struct route_field f[ROUTE_FIELDS_MAX];
	struct route_entry e, *grown;
	char show[80];
	size_t nf = 0, i = 0, r;
	const char *dom;
	size_t dlen;

	while (i < len) {
		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (i == len)
			break;
		if (nf == ROUTE_FIELDS_MAX)
			return route_err(err, errlen, fname, line,
			    "too many fields; domain requirement [option "
			    "...] with at most %d match= digests",
			    ROUTE_FP_MAX);
		f[nf].p = p + i;
		while (i < len && !isspace((unsigned char)p[i]))
			i++;
		f[nf].len = (size_t)(p + i - f[nf].p);
		nf++;
	}
	if (nf == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.line = line;
	dom = f[0].p;
	dlen = f[0].len;
	route_show(dom, dlen, show, sizeof(show));
	if (dom[0] == '.') {
		e.subdomains = 1;
		dom++;
		dlen--;
	}
	if (route_hostname(dom, dlen, e.domain) == -1)
		return route_err(err, errlen, fname, line,
		    "'%s' is not a domain; write example.org (that domain) "
		    "or .example.org (every name below it)", show);
	if (nf < 2)
		return route_err(err, errlen, fname, line,
		    "%s has no requirement; write: domain requirement "
		    "[option ...] with requirement %s", show,
		    ROUTE_REQS_ALLOWED);
	route_show(f[1].p, f[1].len, show, sizeof(show));
	e.requirement = -1;
	for (r = 0; r < sizeof(route_reqs) / sizeof(route_reqs[0]); r++)
		if (strlen(route_reqs[r].name) == f[1].len &&
		    strncmp(route_reqs[r].name, f[1].p, f[1].len) == 0)
			e.requirement = route_reqs[r].req;
	/* "domain audit-only": no requirement of its own, audited */
	e.audit_only = f[1].len == 10 &&
	    strncmp(f[1].p, "audit-only", 10) == 0;
	if (e.requirement == -1)
		return route_err(err, errlen, fname, line,
		    "unknown requirement '%s'; write %s", show,
		    ROUTE_REQS_ALLOWED);
	if (route_options(&e, f, nf, fname, err, errlen) == -1)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->entries[i].subdomains == e.subdomains &&
		    strcmp(t->entries[i].domain, e.domain) == 0)
			return route_err(err, errlen, fname, line,
			    "%s%s is already listed on line %d; one entry "
			    "per domain", e.subdomains ? "." : "", e.domain,
			    t->entries[i].line);
	if (t->n >= ROUTE_ENTRIES_MAX)
		return route_err(err, errlen, fname, line,
		    "too many entries; at most %d", ROUTE_ENTRIES_MAX);
	if ((t->n & (t->n - 1)) == 0) {
		/* grow at powers of two */
		grown = reallocarray(t->entries, t->n == 0 ? 8 : t->n * 2,
		    sizeof(*grown));
		if (grown == NULL)
			return route_err(err, errlen, fname, line,
			    "out of memory");
		t->entries = grown;
	}
	t->entries[t->n++] = e;
	return 0;
}

int
route_table_parse(const char *text, size_t len, const char *fname,
    struct route_table *out, char *err, size_t errlen)
{
	size_t i = 0, start, end;
	const char *hash;
	int line = 0;

	out->entries = NULL;
	out->n = 0;
	if (len > ROUTE_FILE_MAX)
		return route_err(err, errlen, fname, 1,
		    "file too large (%zu bytes); at most %d", len,
		    ROUTE_FILE_MAX);
	if ((hash = memchr(text, '\0', len)) != NULL) {
		for (i = 0, line = 1; text + i < hash; i++)
			line += text[i] == '\n';
		return route_err(err, errlen, fname, line,
		    "NUL byte in the file; the table is text");
	}
	while (i < len) {
		line++;
		start = i;
		while (i < len && text[i] != '\n')
			i++;
		end = i;
		if (i < len)
			i++;
		if (end - start > ROUTE_LINE_MAX)
			return route_err(err, errlen, fname, line,
			    "line too long; at most %d octets",
			    ROUTE_LINE_MAX);
		hash = memchr(text + start, '#', end - start);
		if (hash != NULL)
			end = (size_t)(hash - text);
		if (route_line(out, text + start, end - start, line, fname,
		    err, errlen) == -1)
			return -1;
	}
	return 0;
}

void
route_table_free(struct route_table *t)
{
	free(t->entries);
	t->entries = NULL;
	t->n = 0;
}

const struct route_entry *
route_lookup(const struct route_table *t, const char *domain)
{
	const struct route_entry *best = NULL;
	char d[ROUTE_NAME_MAX];
	size_t dlen, elen, i;

	if (route_hostname(domain, strlen(domain), d) == -1)
		return NULL;
	dlen = strlen(d);
	for (i = 0; i < t->n; i++) {
		const struct route_entry *e = &t->entries[i];

		elen = strlen(e->domain);
		if (!e->subdomains) {
			if (strcmp(e->domain, d) == 0)
				return e;
			continue;
		}
		if (dlen > elen && d[dlen - elen - 1] == '.' &&
		    strcmp(d + dlen - elen, e->domain) == 0 &&
		    (best == NULL || elen > strlen(best->domain)))
			best = e;
	}
	return best;
}

int
route_decide(const struct route_table *t, const char *domain,
    const struct route_nexthop *relayhost, int relayhost_req,
    int floor_req, struct route_decision *out)
{
	const struct route_entry *e;
	int ereq = ROUTE_REQ_DEFAULT;

	memset(out, 0, sizeof(*out));
	e = route_lookup(t, domain);
	if (e != NULL) {
		ereq = e->requirement;
		out->audit_only = e->audit_only;
		/*
		 * audit-only with cleartext-ok audits what the domain's
		 * own sources demand and tolerates cleartext on top
		 * (doc/design.md §8): the entry sets no requirement.
		 */
		if (e->audit_only && ereq == IPC_REQ_CLEARTEXT_OK) {
			out->audit_cleartext = 1;
			ereq = ROUTE_REQ_DEFAULT;
		}
	}
	if (e != NULL && e->relay.set) {
		out->hop = e->relay;
		out->relayed = 1;
		out->auth = e->auth;
		if (ereq != ROUTE_REQ_DEFAULT) {
			out->requirement = ereq;
			out->policy_src = "table";
		} else {
			out->requirement = floor_req;
			out->policy_src = "floor";
		}
	} else if (relayhost != NULL && relayhost->set) {
		out->hop = *relayhost;
		out->relayed = 1;
		/* smtpout logs in when it has credentials for this host */
		out->auth = 1;
		if (ereq != ROUTE_REQ_DEFAULT) {
			out->requirement = ereq;
			out->policy_src = "table";
		} else {
			out->requirement = relayhost_req;
			out->policy_src = "relayhost";
		}
	} else {
		out->hop.set = 1;
		if (route_hostname(domain, strlen(domain), out->hop.host) ==
		    -1)
			return -1;
		out->hop.port = ROUTE_PORT_DEFAULT;
		if (ereq != ROUTE_REQ_DEFAULT) {
			out->requirement = ereq;
			out->policy_src = "table";
		} else {
			out->requirement = floor_req;
			out->policy_src = "floor";
		}
	}
	if (e != NULL && out->requirement == IPC_REQ_FINGERPRINT) {
		out->nfp = e->nfp;
		memcpy(out->fp, e->fp, sizeof(out->fp));
	}
	if (e != NULL && strcmp(out->policy_src, "table") == 0 &&
	    out->requirement == IPC_REQ_VERIFY) {
		out->nmatch = e->nmatch;
		memcpy(out->match, e->match, sizeof(out->match));
	}
	out->policy = route_req_name(out->requirement);
	return 0;
}
