/*
 * cli_tlsrpt_fmt.c: the pure parts of sealpost tlsrpt (RFC 8460,
 * doc/design.md §8): the command line, the report's JSON (§4.4), its
 * report-id, the report mail (§5.3: multipart/report;
 * report-type=tlsrpt, the gzip'd report as application/tlsrpt+gzip),
 * the sent state's text (data_dir/tlsrpt/sent-DATE) and what it says
 * is still due, and what an https rua may reach: the host of its URL
 * (RFC 3986 §3.2: ASCII names and public IP literals only), the
 * addresses a report may be POSTed to, and what a failed POST says.
 * Pure: no I/O. Linked by the sealpost binary, tests/unit/test_tlsrpt
 * and tests/fuzz/fuzz_tlsrpt.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli_tlsrpt.h"
#include "lib/log_json.h"

enum cli_tlsrpt_cmd
cli_tlsrpt_args(int argc, char **argv, const char *today,
    struct cli_tlsrpt_opts *o, char *err, size_t errlen)
{
	const char *a, *v;
	int64_t dstart, dend, tstart;
	size_t i;
	int k;

	memset(o, 0, sizeof(o[0]));
	err[0] = '\0';
	for (k = 1; k < argc; k++) {
		a = argv[k];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return CLI_TLSRPT_HELP;
		if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0) {
			o->dry_run = 1;
			continue;
		}
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose = 1;
			continue;
		}
		if (strcmp(a, "--dns") == 0) {
			o->dns = 1;
			continue;
		}
		if (strcmp(a, "--partial") == 0) {
			/* a day not over is never sent nor recorded (RFC 8460
			   §4.1: a report covers a whole period) */
			o->partial = 1;
			o->dry_run = 1;
			continue;
		}
		if (strcmp(a, "--date") != 0 && strcmp(a, "--domain") != 0) {
			(void)snprintf(err, errlen, "unknown option %.64s", a);
			return CLI_TLSRPT_USAGE;
		}
		if (k + 1 >= argc) {
			(void)snprintf(err, errlen, "%s needs a value", a);
			return CLI_TLSRPT_USAGE;
		}
		v = argv[++k];
		if (strcmp(a, "--date") == 0) {
			if (strcmp(v, "today") == 0)
				v = today;
			if (!tlsrpt_date(v, NULL, NULL)) {
				(void)snprintf(err, errlen, "--date: not a date "
				    "YYYY-MM-DD: %.32s", v);
				return CLI_TLSRPT_USAGE;
			}
			(void)strlcpy(o->date, v, sizeof(o->date));
			continue;
		}
		if (strlen(v) == 0 || strlen(v) >= sizeof(o->domain)) {
			(void)snprintf(err, errlen, "--domain: not a domain");
			return CLI_TLSRPT_USAGE;
		}
		for (i = 0; v[i] != '\0'; i++) {
			char c = v[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_')) {
				(void)snprintf(err, errlen, "--domain: not a "
				    "domain");
				return CLI_TLSRPT_USAGE;
			}
			o->domain[i] = c;
		}
		o->domain[i] = '\0';
	}
	if (o->date[0] != '\0' && strcmp(o->date, today) > 0) {
		(void)snprintf(err, errlen, "--date %s is in the future",
		    o->date);
		return CLI_TLSRPT_USAGE;
	}
	if (o->date[0] != '\0' && strcmp(o->date, today) == 0 && !o->partial) {
		(void)snprintf(err, errlen, "--date %s is not over yet; "
		    "--partial reports it as far as it is counted", o->date);
		return CLI_TLSRPT_USAGE;
	}
	if (o->partial && strcmp(o->date, today) != 0) {
		(void)snprintf(err, errlen, "--partial is for --date today");
		return CLI_TLSRPT_USAGE;
	}
	/*
	 * What was sent is kept CLI_TLSRPT_SENT_KEEP days (doc/design.md
	 * §8): an older day would be sent again to every domain.
	 */
	if (o->date[0] != '\0' && !o->dry_run &&
	    tlsrpt_date(o->date, &dstart, &dend) &&
	    tlsrpt_date(today, &tstart, &dend) &&
	    tstart - dstart > (int64_t)CLI_TLSRPT_SENT_KEEP * 86400) {
		(void)snprintf(err, errlen, "--date %s is more than %d days "
		    "ago, and what was sent then is no longer known; only "
		    "--dry-run shows it", o->date, CLI_TLSRPT_SENT_KEEP);
		return CLI_TLSRPT_USAGE;
	}
	return CLI_TLSRPT_RUN;
}

/*
 * A JSON string of s (log_json_escape) appended, written straight into
 * out with room for the worst case (6 octets an input octet, quotes);
 * -1 when full.
 */
static int
cli_tlsrpt_str(struct buf *out, const char *s, size_t len)
{
	size_t n, room;
	char *p;

	if (len > (SIZE_MAX - 3) / 6)
		return -1;
	room = 6 * len + 3;
	if ((p = buf_reserve(out, room)) == NULL)
		return -1;
	n = log_json_escape(p, room, s, len);
	if (n >= room)
		return -1;
	buf_commit(out, n);
	return 0;
}

static int
cli_tlsrpt_time(struct buf *out, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm) == 0)
		return -1;
	return buf_puts(out, s);
}

/* Layout: nl and indentation of depth d when pretty, else nothing. */
static int
cli_tlsrpt_nl(struct buf *out, int pretty, int d)
{
	if (!pretty)
		return 0;
	if (buf_puts(out, "\n") == -1)
		return -1;
	while (d-- > 0)
		if (buf_puts(out, "  ") == -1)
			return -1;
	return 0;
}

/*
 * The MTA-STS policy text as policy-string (one string per line, CR and
 * trailing white space removed) or, with mx, only the values of its mx:
 * lines (mx-host). Returns -1 when out is full.
 */
static int
cli_tlsrpt_sts_lines(struct buf *out, const char *text, size_t len, int mx,
    int pretty, int d)
{
	size_t off = 0, ll, n = 0;
	const char *line, *nl;

	if (buf_puts(out, "[") == -1)
		return -1;
	while (off < len) {
		line = text + off;
		nl = memchr(line, '\n', len - off);
		ll = nl != NULL ? (size_t)(nl - line) : len - off;
		off += ll + (nl != NULL);
		while (ll > 0 && (line[ll - 1] == '\r' ||
		    line[ll - 1] == ' ' || line[ll - 1] == '\t'))
			ll--;
		if (ll == 0)
			continue;
		if (mx) {
			if (ll < 3 || memcmp(line, "mx:", 3) != 0)
				continue;
			line += 3;
			ll -= 3;
			while (ll > 0 && (*line == ' ' || *line == '\t')) {
				line++;
				ll--;
			}
		}
		if ((n++ > 0 && buf_puts(out, ",") == -1) ||
		    cli_tlsrpt_nl(out, pretty, d + 1) == -1 ||
		    cli_tlsrpt_str(out, line, ll) == -1)
			return -1;
	}
	if (n > 0 && cli_tlsrpt_nl(out, pretty, d) == -1)
		return -1;
	return buf_puts(out, "]");
}

static int
cli_tlsrpt_kv(struct buf *out, int pretty, int d, int first, const char *key)
{
	if ((!first && buf_puts(out, ",") == -1) ||
	    cli_tlsrpt_nl(out, pretty, d) == -1 ||
	    buf_printf(out, "\"%s\":%s", key, pretty ? " " : "") == -1)
		return -1;
	return 0;
}

static int
cli_tlsrpt_policy(struct buf *out, const struct tlsrpt_policy *p,
    const struct cli_tlsrpt_meta *m, int pretty, int d)
{
	const struct tlsrpt_detail *fd;
	size_t j;
	int sts = p->type == TLSRPT_T_STS && m->sts_text != NULL;

	if (buf_puts(out, "{") == -1 ||
	    cli_tlsrpt_kv(out, pretty, d + 1, 1, "policy") == -1 ||
	    buf_puts(out, "{") == -1 ||
	    cli_tlsrpt_kv(out, pretty, d + 2, 1, "policy-type") == -1 ||
	    cli_tlsrpt_str(out, tlsrpt_type_word(p->type),
	    strlen(tlsrpt_type_word(p->type))) == -1)
		return -1;
	if (sts && (cli_tlsrpt_kv(out, pretty, d + 2, 0, "policy-string") ==
	    -1 || cli_tlsrpt_sts_lines(out, m->sts_text, m->sts_len, 0,
	    pretty, d + 2) == -1))
		return -1;
	if (cli_tlsrpt_kv(out, pretty, d + 2, 0, "policy-domain") == -1 ||
	    cli_tlsrpt_str(out, p->domain, strlen(p->domain)) == -1)
		return -1;
	/* mx-host: a list (RFC 8460 erratum 5786): the MTA-STS patterns,
	   or the host a TLSA policy was found for */
	if (sts && (cli_tlsrpt_kv(out, pretty, d + 2, 0, "mx-host") == -1 ||
	    cli_tlsrpt_sts_lines(out, m->sts_text, m->sts_len, 1, pretty,
	    d + 2) == -1))
		return -1;
	if (p->type == TLSRPT_T_TLSA && (cli_tlsrpt_kv(out, pretty, d + 2, 0,
	    "mx-host") == -1 || buf_puts(out, "[") == -1 ||
	    cli_tlsrpt_str(out, p->mx, strlen(p->mx)) == -1 ||
	    buf_puts(out, "]") == -1))
		return -1;
	if (cli_tlsrpt_nl(out, pretty, d + 1) == -1 ||
	    buf_puts(out, "}") == -1 ||
	    cli_tlsrpt_kv(out, pretty, d + 1, 0, "summary") == -1 ||
	    buf_puts(out, "{") == -1 ||
	    cli_tlsrpt_kv(out, pretty, d + 2, 1,
	    "total-successful-session-count") == -1 ||
	    buf_printf(out, "%" PRIu64, p->ok) == -1 ||
	    cli_tlsrpt_kv(out, pretty, d + 2, 0,
	    "total-failure-session-count") == -1 ||
	    buf_printf(out, "%" PRIu64, p->fail) == -1 ||
	    cli_tlsrpt_nl(out, pretty, d + 1) == -1 ||
	    buf_puts(out, "}") == -1)
		return -1;
	if (p->ndetail > 0) {
		if (cli_tlsrpt_kv(out, pretty, d + 1, 0, "failure-details") ==
		    -1 || buf_puts(out, "[") == -1)
			return -1;
		for (j = 0; j < p->ndetail; j++) {
			fd = &p->d[j];
			if ((j > 0 && buf_puts(out, ",") == -1) ||
			    cli_tlsrpt_nl(out, pretty, d + 2) == -1 ||
			    buf_puts(out, "{") == -1 ||
			    cli_tlsrpt_kv(out, pretty, d + 3, 1,
			    "result-type") == -1 ||
			    cli_tlsrpt_str(out, fd->result,
			    strlen(fd->result)) == -1 ||
			    cli_tlsrpt_kv(out, pretty, d + 3, 0,
			    "receiving-mx-hostname") == -1 ||
			    cli_tlsrpt_str(out, fd->mx, strlen(fd->mx)) == -1)
				return -1;
			if (fd->ip[0] != '\0' && (cli_tlsrpt_kv(out, pretty,
			    d + 3, 0, "receiving-ip") == -1 ||
			    cli_tlsrpt_str(out, fd->ip, strlen(fd->ip)) == -1))
				return -1;
			if (cli_tlsrpt_kv(out, pretty, d + 3, 0,
			    "failed-session-count") == -1 ||
			    buf_printf(out, "%" PRIu64, fd->count) == -1 ||
			    cli_tlsrpt_nl(out, pretty, d + 2) == -1 ||
			    buf_puts(out, "}") == -1)
				return -1;
		}
		if (cli_tlsrpt_nl(out, pretty, d + 1) == -1 ||
		    buf_puts(out, "]") == -1)
			return -1;
	}
	if (cli_tlsrpt_nl(out, pretty, d) == -1 || buf_puts(out, "}") == -1)
		return -1;
	return 0;
}

int
cli_tlsrpt_json(const struct tlsrpt_day *day, const char *domain,
    const struct cli_tlsrpt_meta *m, int pretty, struct buf *out)
{
	size_t i;
	int n = 0;

	for (i = 0; i < day->n; i++)
		if (strcmp(day->p[i].domain, domain) == 0)
			n++;
	if (n == 0)
		return 0;
	if (buf_puts(out, "{") == -1 ||
	    cli_tlsrpt_kv(out, pretty, 1, 1, "organization-name") == -1 ||
	    cli_tlsrpt_str(out, m->org, strlen(m->org)) == -1 ||
	    cli_tlsrpt_kv(out, pretty, 1, 0, "date-range") == -1 ||
	    buf_puts(out, "{") == -1 ||
	    cli_tlsrpt_kv(out, pretty, 2, 1, "start-datetime") == -1 ||
	    cli_tlsrpt_time(out, m->start) == -1 ||
	    cli_tlsrpt_kv(out, pretty, 2, 0, "end-datetime") == -1 ||
	    cli_tlsrpt_time(out, m->end - 1) == -1 ||
	    cli_tlsrpt_nl(out, pretty, 1) == -1 || buf_puts(out, "}") == -1 ||
	    cli_tlsrpt_kv(out, pretty, 1, 0, "contact-info") == -1 ||
	    cli_tlsrpt_str(out, m->contact, strlen(m->contact)) == -1 ||
	    cli_tlsrpt_kv(out, pretty, 1, 0, "report-id") == -1 ||
	    cli_tlsrpt_str(out, m->report_id, strlen(m->report_id)) == -1 ||
	    cli_tlsrpt_kv(out, pretty, 1, 0, "policies") == -1 ||
	    buf_puts(out, "[") == -1)
		return -1;
	n = 0;
	for (i = 0; i < day->n; i++) {
		if (strcmp(day->p[i].domain, domain) != 0)
			continue;
		if ((n++ > 0 && buf_puts(out, ",") == -1) ||
		    cli_tlsrpt_nl(out, pretty, 2) == -1 ||
		    cli_tlsrpt_policy(out, &day->p[i], m, pretty, 2) == -1)
			return -1;
	}
	if (cli_tlsrpt_nl(out, pretty, 1) == -1 || buf_puts(out, "]") == -1 ||
	    cli_tlsrpt_nl(out, pretty, 0) == -1 || buf_puts(out, "}\n") == -1)
		return -1;
	return n;
}

int
cli_tlsrpt_report_id(const char *date, const char *domain, const char *host,
    char *out, size_t size)
{
	int n;

	n = snprintf(out, size, "%s.%s@%s", date, domain, host);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* base64 (RFC 2045 §6.8) of p[0..len) in lines of 76, CRLF each. */
static int
cli_tlsrpt_b64(struct buf *out, const uint8_t *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	size_t i, n = 0;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		line[n++] = tab[(v >> 18) & 63];
		line[n++] = tab[(v >> 12) & 63];
		line[n++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		line[n++] = i + 2 < len ? tab[v & 63] : '=';
		if (n == 76 || i + 3 >= len) {
			line[n++] = '\r';
			line[n++] = '\n';
			if (buf_append(out, line, n) == -1)
				return -1;
			n = 0;
		}
	}
	return 0;
}

int
cli_tlsrpt_mime(const struct cli_tlsrpt_mail *m, struct buf *out)
{
	if (buf_printf(out,
	    "From: \"TLS reporting of %s\" <postmaster@%s>\r\n"
	    "To: <%s>\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <%s>\r\n"
	    "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n"
	    "TLS-Report-Domain: %s\r\n"
	    "TLS-Report-Submitter: %s\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "TLS-Required: No\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
	    "\tboundary=\"%s\"\r\n"
	    "\r\n"
	    "This is a MIME-formatted message.\r\n"
	    "\r\n"
	    "--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n"
	    "This is an aggregate TLS report (RFC 8460) from %s\r\n"
	    "for %s, %s.\r\n"
	    "\r\n"
	    "--%s\r\n"
	    "Content-Type: application/tlsrpt+gzip\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment;\r\n"
	    "\tfilename=\"%s!%s!%" PRId64 "!%" PRId64 ".json.gz\"\r\n"
	    "\r\n",
	    m->host, m->host, m->to, m->date_hdr, m->report_id,
	    m->domain, m->host, m->report_id, m->domain, m->host,
	    m->boundary, m->boundary, m->host, m->domain, m->report_id,
	    m->boundary, m->host, m->domain, m->start, m->end - 1) == -1)
		return -1;
	if (cli_tlsrpt_b64(out, m->gz, m->gzlen) == -1)
		return -1;
	return buf_printf(out, "\r\n--%s--\r\n", m->boundary);
}

const char *
cli_tlsrpt_state_word(int s)
{
	switch (s) {
	case CLI_TLSRPT_SENT:
		return "sent";
	case CLI_TLSRPT_FAILED:
		return "failed";
	case CLI_TLSRPT_NOREC:
		return "no-record";
	case CLI_TLSRPT_SKIPPED:
		return "skipped";
	}
	return "new";
}

struct cli_tlsrpt_ent *
cli_tlsrpt_sent_find(struct cli_tlsrpt_sent *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].domain, domain) == 0)
			return &s->e[i];
	return NULL;
}

struct cli_tlsrpt_ent *
cli_tlsrpt_sent_get(struct cli_tlsrpt_sent *s, const char *domain)
{
	struct cli_tlsrpt_ent *e, *ne;

	if ((e = cli_tlsrpt_sent_find(s, domain)) != NULL)
		return e;
	if ((ne = reallocarray(s->e, s->n + 1, sizeof(*ne))) == NULL)
		return NULL;
	s->e = ne;
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	(void)strlcpy(e->domain, domain, sizeof(e->domain));
	return e;
}

int
cli_tlsrpt_ent_has(const struct cli_tlsrpt_ent *e, const char *uri)
{
	size_t i;

	for (i = 0; e != NULL && i < e->nto; i++)
		if (strcmp(e->to[i], uri) == 0)
			return 1;
	return 0;
}

int
cli_tlsrpt_ent_add(struct cli_tlsrpt_ent *e, const char *uri)
{
	if (cli_tlsrpt_ent_has(e, uri))
		return 0;
	if (e->nto >= TLSRPT_RUA_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	if ((e->to[e->nto] = strdup(uri)) == NULL)
		return -1;
	e->nto++;
	return 0;
}

size_t
cli_tlsrpt_ent_room(struct cli_tlsrpt_ent *e, const struct tlsrpt_record *rec)
{
	size_t i, j, k;

	if (e->nto < TLSRPT_RUA_MAX)
		return TLSRPT_RUA_MAX - e->nto;
	for (i = k = 0; i < e->nto; i++) {
		for (j = 0; j < rec->nrua; j++)
			if (strcmp(e->to[i], rec->rua[j]) == 0)
				break;
		if (j == rec->nrua) {
			free(e->to[i]);	/* no longer the domain's */
			continue;
		}
		e->to[k++] = e->to[i];
	}
	for (i = k; i < e->nto; i++)
		e->to[i] = NULL;
	e->nto = k;
	return TLSRPT_RUA_MAX - e->nto;
}

int
cli_tlsrpt_ent_due(const struct cli_tlsrpt_ent *e)
{
	return e == NULL || e->state == CLI_TLSRPT_NEW ||
	    e->state == CLI_TLSRPT_FAILED || e->state == CLI_TLSRPT_SKIPPED;
}

void
cli_tlsrpt_sent_free(struct cli_tlsrpt_sent *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->e[i].nto; j++)
			free(s->e[i].to[j]);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

int
cli_tlsrpt_sent_parse(const char *text, size_t len, struct cli_tlsrpt_sent *s)
{
	char line[TLSRPT_NAME_MAX + TLSRPT_URI_MAX + 16], *sp;
	const char *p, *nl;
	struct cli_tlsrpt_ent *e;
	size_t off, n;
	int st;

	memset(s, 0, sizeof(*s));
	for (off = 0; off < len; off += n + 1) {
		p = text + off;
		nl = memchr(p, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - p) : len - off;
		if (n >= sizeof(line) || memchr(p, '\0', n) != NULL)
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (line[0] == '\0' || strlen(line) >= TLSRPT_NAME_MAX)
			continue;
		if (strncmp(sp, "to ", 3) == 0) {
			if (sp[3] == '\0' || strlen(sp + 3) >= TLSRPT_URI_MAX)
				continue;
			if ((e = cli_tlsrpt_sent_get(s, line)) == NULL)
				goto nomem;
			if (cli_tlsrpt_ent_add(e, sp + 3) == -1 &&
			    errno != ENOBUFS)
				goto nomem;
			continue;
		}
		for (st = CLI_TLSRPT_SENT; st <= CLI_TLSRPT_SKIPPED; st++)
			if (strcmp(sp, cli_tlsrpt_state_word(st)) == 0)
				break;
		if (st > CLI_TLSRPT_SKIPPED)
			continue;
		if ((e = cli_tlsrpt_sent_get(s, line)) == NULL)
			goto nomem;
		e->state = st;
	}
	return 0;
nomem:
	cli_tlsrpt_sent_free(s);
	errno = ENOMEM;
	return -1;
}

/* An IPv4 address a[0..4) a report may be POSTed to (doc/design.md §8). */
static int
cli_tlsrpt_v4_public(const uint8_t *a)
{
	if (a[0] == 0 ||			/* 0/8 "this network" */
	    a[0] == 10 ||			/* 10/8 private */
	    (a[0] == 100 && (a[1] & 0xc0) == 64) ||	/* 100.64/10 CGN */
	    a[0] == 127 ||			/* loopback */
	    (a[0] == 169 && a[1] == 254) ||	/* link-local */
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||	/* 172.16/12 */
	    (a[0] == 192 && a[1] == 0 && a[2] == 0) ||	/* 192.0.0/24 IETF */
	    (a[0] == 192 && a[1] == 0 && a[2] == 2) ||	/* TEST-NET-1 */
	    (a[0] == 192 && a[1] == 168) ||	/* 192.168/16 */
	    (a[0] == 198 && (a[1] & 0xfe) == 18) ||	/* 198.18/15 bench */
	    (a[0] == 198 && a[1] == 51 && a[2] == 100) ||	/* TEST-NET-2 */
	    (a[0] == 203 && a[1] == 0 && a[2] == 113) ||	/* TEST-NET-3 */
	    a[0] >= 224)			/* multicast 224/4, 240/4 */
		return 0;
	return 1;
}

int
cli_tlsrpt_addr_public(const struct sockaddr *sa)
{
	const uint8_t *a;
	uint8_t v4[4];
	size_t i;

	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return cli_tlsrpt_v4_public(v4);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	/* ::ffff:0:0/96, IPv4-mapped: judged as the IPv4 address */
	for (i = 0; i < 10 && a[i] == 0; i++)
		;
	if (i == 10 && a[10] == 0xff && a[11] == 0xff)
		return cli_tlsrpt_v4_public(a + 12);
	/* 64:ff9b::/96, NAT64 (RFC 6052): the IPv4 address in its last 32
	   bits; 64:ff9b:1::/48 is for local use (RFC 8215) */
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {
		for (i = 4; i < 12 && a[i] == 0; i++)
			;
		return i == 12 ? cli_tlsrpt_v4_public(a + 12) : 0;
	}
	/* only global unicast, 2000::/3: not ::/8 (::, ::1, IPv4-compatible
	   ::a.b.c.d), 100::/64 discard, fc00::/7, fe80::/10, fec0::/10,
	   ff00::/8 multicast, nor anything unassigned */
	if ((a[0] & 0xe0) != 0x20)
		return 0;
	if ((a[0] == 0x20 && a[1] == 0x01 && (a[2] & 0xfe) == 0) ||
	    /* 2001::/23 IETF (Teredo, benchmarking, ORCHID) */
	    (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) ||
	    /* 2001:db8::/32 and 3fff::/20 documentation */
	    (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0))
		return 0;
	/* 2002::/16, 6to4 (RFC 3056): the IPv4 address in bits 16..47 */
	if (a[0] == 0x20 && a[1] == 0x02)
		return cli_tlsrpt_v4_public(a + 2);
	return 1;
}

void
cli_tlsrpt_post_why(int couldnt_connect, const char *refused, const char *err,
    char *why, size_t whylen)
{
	if (couldnt_connect && refused[0] != '\0')
		(void)snprintf(why, whylen, "%s (a connection to %s refused: "
		    "not a public address)", err, refused);
	else
		(void)snprintf(why, whylen, "%s", err);
}

static int
cli_tlsrpt_host_err(char *why, size_t whylen, const char *what)
{
	(void)snprintf(why, whylen, "%s; refused", what);
	return -1;
}

static int
cli_tlsrpt_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Whether host[0..n) is a name of two or more LDH labels. 0, or -1. */
static int
cli_tlsrpt_host_name(const char *host, size_t n, char *why, size_t whylen)
{
	size_t i, lab = 0, labels = 0, last = 0;

	for (i = 0; i < n; i++) {
		if (host[i] == '.') {
			if (lab == 0 || host[i - 1] == '-')
				return cli_tlsrpt_host_err(why, whylen,
				    "an empty host label, or one that ends "
				    "in '-'");
			labels++;
			lab = 0;
			last = i + 1;
			continue;
		}
		if (!cli_tlsrpt_ldh(host[i]))
			return cli_tlsrpt_host_err(why, whylen, "the host is "
			    "not ASCII letters, digits, '-' and '.' (no "
			    "user@, no %-escapes)");
		if ((lab == 0 && host[i] == '-') || ++lab > 63)
			return cli_tlsrpt_host_err(why, whylen,
			    "a host label starts with '-' or is longer "
			    "than 63");
	}
	if (lab == 0 || host[n - 1] == '-')
		return cli_tlsrpt_host_err(why, whylen, "an empty host "
		    "label, or one that ends in '-'");
	if (++labels < 2)
		return cli_tlsrpt_host_err(why, whylen, "the host is not a "
		    "fully qualified name");
	/* a top-level label starts with a letter: 127.1, 0x7f000001 or
	   2130706433 are no names but addresses to a resolver */
	if (!((host[last] >= 'a' && host[last] <= 'z') ||
	    (host[last] >= 'A' && host[last] <= 'Z')))
		return cli_tlsrpt_host_err(why, whylen, "the host's last "
		    "label does not start with a letter (a number is no "
		    "host name)");
	return 0;
}

int
cli_tlsrpt_https_host(const char *url, char *host, size_t size, int *port,
    char *why, size_t whylen)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const char *h, *e, *p;
	size_t i, n;
	int kind, v, lit6 = 0;

	*port = 443;
	if (size > 0)
		host[0] = '\0';
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return cli_tlsrpt_host_err(why, whylen,
			    "the URL is not printable ASCII (RFC 3986; an "
			    "internationalized host name must be published "
			    "as its xn-- A-label)");
	if (strncasecmp(url, "https://", 8) != 0)
		return cli_tlsrpt_host_err(why, whylen, "not an https URL");
	h = url + 8;
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (*h == '[') {
		/* an IPv6 literal (RFC 3986 §3.2.2), no zone */
		if ((e = strchr(h, ']')) == NULL)
			return cli_tlsrpt_host_err(why, whylen,
			    "an IPv6 literal without ']'");
		n = (size_t)(e - h) - 1;
		p = e + 1;
		h++;
		lit6 = 1;
	} else {
		n = strcspn(h, ":/?#");
		p = h + n;
	}
	if (n == 0)
		return cli_tlsrpt_host_err(why, whylen, "no host");
	if (n >= size || n >= TLSRPT_NAME_MAX)
		return cli_tlsrpt_host_err(why, whylen, "the host is too long");
	memcpy(host, h, n);
	host[n] = '\0';
	if (lit6) {
		s6.sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &s6.sin6_addr) != 1)
			return cli_tlsrpt_host_err(why, whylen, "not an IPv6 "
			    "address in [ ]");
		kind = CLI_TLSRPT_HOST_ADDR;
		if (!cli_tlsrpt_addr_public((struct sockaddr *)&s6))
			goto notpublic;
	} else if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		kind = CLI_TLSRPT_HOST_ADDR;
		if (!cli_tlsrpt_addr_public((struct sockaddr *)&s4))
			goto notpublic;
	} else {
		if (cli_tlsrpt_host_name(host, n, why, whylen) == -1)
			return -1;
		kind = CLI_TLSRPT_HOST_NAME;
	}
	if (*p == ':') {
		p++;
		for (v = 0, n = 0; p[n] >= '0' && p[n] <= '9' && n < 6; n++)
			v = v * 10 + (p[n] - '0');
		if (n == 0 || n > 5 || v < 1 || v > 65535)
			return cli_tlsrpt_host_err(why, whylen, "not a port "
			    "from 1 to 65535");
		*port = v;
		p += n;
	}
	if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
		return cli_tlsrpt_host_err(why, whylen, "junk after the host "
		    "and port");
	return kind;
notpublic:
	return cli_tlsrpt_host_err(why, whylen, "the host is a loopback, "
	    "private, link-local, multicast or reserved address");
}
