/*
 * cli_tlsrpt_fmt.c: the pure parts of sealpost tlsrpt (RFC 8460,
 * doc/design.md §8): the command line, the report's JSON (§4.4), its
 * report-id, and the report mail (§5.3: multipart/report;
 * report-type=tlsrpt, the gzip'd report as application/tlsrpt+gzip).
 * Pure: no I/O. Linked by the sealpost binary, tests/unit/test_tlsrpt
 * and tests/fuzz/fuzz_tlsrpt.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_tlsrpt.h"
#include "lib/log_json.h"

enum cli_tlsrpt_cmd
cli_tlsrpt_args(int argc, char **argv, const char *today,
    struct cli_tlsrpt_opts *o, char *err, size_t errlen)
{
	const char *a, *v;
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

int
cli_tlsrpt_addr_public(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const uint8_t *a;
	uint8_t v4[4];
	size_t i;

	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		a = v4;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = s6->sin6_addr.s6_addr;
		/* ::ffff:a.b.c.d is judged as a.b.c.d */
		for (i = 0; i < 10 && a[i] == 0; i++)
			;
		if (i == 10 && a[10] == 0xff && a[11] == 0xff) {
			a += 12;
			goto v4;
		}
		for (i = 0; i < 15 && a[i] == 0; i++)
			;
		if (i == 15 && a[15] <= 1)
			return 0;		/* ::, ::1 */
		if ((a[0] & 0xfe) == 0xfc ||	/* fc00::/7 */
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||	/* fec0::/10 */
		    a[0] == 0xff)		/* multicast */
			return 0;
		return 1;
	} else
		return 0;
v4:
	if (a[0] == 0 || a[0] == 10 || a[0] == 127 ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64) ||	/* 100.64/10 */
	    (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) ||
	    a[0] >= 224)			/* multicast, reserved */
		return 0;
	return 1;
}
