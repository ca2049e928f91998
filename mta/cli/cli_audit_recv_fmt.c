/*
 * cli_audit_recv_fmt.c: the verdict over a message's hops and the report
 * of `sealpost audit --message` (doc/design.md §9; sealpost(8)), text for
 * a person, one line per hop, oldest first, or one JSON object. Pure: it
 * formats what cli_audit_recv.c parsed, whose strings are already clean
 * (printable ASCII). Linked by the sealpost binary,
 * tests/unit/test_cli_audit_recv and tests/fuzz/fuzz_cli_audit_recv.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli_audit_recv.h"
#include "lib/buf.h"

void
cli_audit_recv_verdict(const struct cli_audit_recv *r,
    struct cli_audit_recv_verdict *v)
{
	size_t i, num;

	memset(v, 0, sizeof(*v));
	for (i = r->nhops; i > 0; i--) {
		num = r->nhops - i + 1;		/* the oldest is hop 1 */
		switch (r->hop[i - 1].tls) {
		case CLI_AUDIT_RECV_TLS:
			v->ntls++;
			break;
		case CLI_AUDIT_RECV_CLEAR:
			v->clear[v->nclear++] = num;
			break;
		case CLI_AUDIT_RECV_LOCAL:
			v->nlocal++;
			break;
		default:
			v->nunknown++;
			break;
		}
	}
	v->exit = v->nclear > 0 ? 1 : v->ntls > 0 ? 0 : 2;
}

static const char *
cli_audit_recv_tlsname(enum cli_audit_recv_tls t)
{
	switch (t) {
	case CLI_AUDIT_RECV_TLS:
		return "yes";
	case CLI_AUDIT_RECV_CLEAR:
		return "no";
	case CLI_AUDIT_RECV_LOCAL:
		return "local";
	default:
		return "unknown";
	}
}

static const char *
cli_audit_recv_formname(enum cli_audit_recv_form f)
{
	static const char *const names[] = { "none", "protocol", "using",
	    "version=", "colon", "exim", "bare" };

	return (size_t)f < sizeof(names) / sizeof(names[0]) ? names[f] :
	    "none";
}

/* UTC seconds as RFC 3339 into out (at least 21 octets). */
static void
cli_audit_recv_rfc3339(int64_t t, char *out, size_t outsz)
{
	int64_t days = t / 86400, sec = t % 86400, z, era, doe, yoe, y, doy,
	    mp, d, m;

	if (sec < 0) {
		sec += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (snprintf(out, outsz, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
	    (long long)y, (long long)m, (long long)d, (long long)(sec / 3600),
	    (long long)(sec / 60 % 60), (long long)(sec % 60)) >= (int)outsz)
		out[0] = '\0';
}

/* A JSON string of s (already clean: printable ASCII), or null. */
static int
cli_audit_recv_jstr(struct buf *b, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return buf_puts(b, "null");
	if (buf_puts(b, "\"") == -1)
		return -1;
	for (; *s != '\0'; s++)
		if ((*s == '"' || *s == '\\') && buf_puts(b, "\\") == -1)
			return -1;
		else if (buf_append(b, s, 1) == -1)
			return -1;
	return buf_puts(b, "\"");
}

static int
cli_audit_recv_fmt_json(struct buf *b, const struct cli_audit_recv *r,
    const struct cli_audit_recv_verdict *v, const char *source)
{
	const struct cli_audit_recv_hop *h;
	char ts[32];
	size_t i, k, num;

	if (buf_puts(b, "{\"source\":") == -1 ||
	    cli_audit_recv_jstr(b, source) == -1 ||
	    buf_printf(b, ",\"order\":\"oldest first\",\"received\":%zu,"
	    "\"read\":%zu,\"head_cut\":%s,\"header_ended\":%s,"
	    "\"bad_lines\":%zu,\"hops\":[", r->nreceived, r->nhops,
	    r->head_cut ? "true" : "false", r->no_end ? "false" : "true",
	    r->nbad) == -1)
		return -1;
	for (i = r->nhops; i > 0; i--) {
		h = &r->hop[i - 1];
		num = r->nhops - i + 1;
		ts[0] = '\0';
		if (h->ts != -1)
			cli_audit_recv_rfc3339(h->ts, ts, sizeof(ts));
		if (buf_printf(b, "%s{\"hop\":%zu,\"tls\":\"%s\",\"version\":",
		    num > 1 ? "," : "", num, cli_audit_recv_tlsname(h->tls)) ==
		    -1 || cli_audit_recv_jstr(b, h->version) == -1 ||
		    buf_puts(b, ",\"cipher\":") == -1 ||
		    cli_audit_recv_jstr(b, h->cipher) == -1 ||
		    (h->bits >= 0 ? buf_printf(b, ",\"bits\":%d", h->bits) :
		    buf_puts(b, ",\"bits\":null")) == -1 ||
		    buf_printf(b, ",\"form\":\"%s\",\"from\":",
		    cli_audit_recv_formname(h->form)) == -1 ||
		    cli_audit_recv_jstr(b, h->from) == -1 ||
		    buf_puts(b, ",\"from_ip\":") == -1 ||
		    cli_audit_recv_jstr(b, h->from_ip) == -1 ||
		    buf_puts(b, ",\"by\":") == -1 ||
		    cli_audit_recv_jstr(b, h->by) == -1 ||
		    buf_puts(b, ",\"with\":") == -1 ||
		    cli_audit_recv_jstr(b, h->with) == -1 ||
		    buf_puts(b, ",\"date\":") == -1 ||
		    cli_audit_recv_jstr(b, h->date) == -1 ||
		    buf_puts(b, ",\"time\":") == -1 ||
		    cli_audit_recv_jstr(b, ts) == -1 ||
		    buf_puts(b, ",\"malformed\":") == -1 ||
		    cli_audit_recv_jstr(b, h->malformed) == -1 ||
		    buf_puts(b, ",\"raw\":") == -1 ||
		    cli_audit_recv_jstr(b, h->raw) == -1 ||
		    buf_puts(b, "}") == -1)
			return -1;
	}
	if (buf_printf(b, "],\"verdict\":{\"result\":\"%s\",\"exit\":%d,"
	    "\"tls\":%zu,\"cleartext\":%zu,\"unknown\":%zu,\"local\":%zu,"
	    "\"cleartext_hops\":[", v->exit == 0 ? "encrypted" : v->exit == 1 ?
	    "cleartext" : "unknown", v->exit, v->ntls, v->nclear, v->nunknown,
	    v->nlocal) == -1)
		return -1;
	for (k = 0; k < v->nclear; k++)
		if (buf_printf(b, "%s%zu", k > 0 ? "," : "", v->clear[k]) == -1)
			return -1;
	if (buf_puts(b, "],\"silent_hops\":[") == -1)
		return -1;
	for (i = r->nhops, k = 0; i > 0; i--)
		if (r->hop[i - 1].tls == CLI_AUDIT_RECV_UNKNOWN &&
		    buf_printf(b, "%s%zu", k++ > 0 ? "," : "",
		    r->nhops - i + 1) == -1)
			return -1;
	return buf_puts(b, "]}}\n");
}

/* "hop 3", "hops 1, 2 and 5" of the hops whose state is t. */
static int
cli_audit_recv_list(struct buf *b, const struct cli_audit_recv *r,
    enum cli_audit_recv_tls t, size_t count)
{
	size_t i, k = 0;

	if (buf_puts(b, count == 1 ? "hop" : "hops") == -1)
		return -1;
	for (i = r->nhops; i > 0; i--) {
		if (r->hop[i - 1].tls != t)
			continue;
		k++;
		if (buf_printf(b, "%s%zu", k == 1 ? " " : k == count ?
		    " and " : ", ", r->nhops - i + 1) == -1)
			return -1;
	}
	return 0;
}

static int
cli_audit_recv_fmt_text(struct buf *b, const struct cli_audit_recv *r,
    const struct cli_audit_recv_verdict *v, const char *source)
{
	const struct cli_audit_recv_hop *h;
	char ts[32], state[32];
	size_t i, k, num;

	if (buf_printf(b, "%s: %zu Received field%s, oldest first\n", source,
	    r->nhops, r->nhops == 1 ? "" : "s") == -1)
		return -1;
	for (i = r->nhops; i > 0; i--) {
		h = &r->hop[i - 1];
		num = r->nhops - i + 1;
		if (h->ts != -1)
			cli_audit_recv_rfc3339(h->ts, ts, sizeof(ts));
		else
			(void)strlcpy(ts, "-", sizeof(ts));
		if (h->tls == CLI_AUDIT_RECV_TLS)
			(void)strlcpy(state, h->version[0] != '\0' ?
			    h->version : "TLS", sizeof(state));
		else
			(void)strlcpy(state, h->tls == CLI_AUDIT_RECV_CLEAR ?
			    "CLEARTEXT" : cli_audit_recv_tlsname(h->tls),
			    sizeof(state));
		if (buf_printf(b, "hop %-3zu %-9s %-20s %s%s%s%s -> %s",
		    num, state, ts, h->from[0] != '\0' ? h->from : "?",
		    h->from_ip[0] != '\0' ? " [" : "", h->from_ip,
		    h->from_ip[0] != '\0' ? "]" : "",
		    h->by[0] != '\0' ? h->by : "?") == -1 ||
		    (h->with[0] != '\0' && buf_printf(b, " with %s",
		    h->with) == -1) ||
		    (h->cipher[0] != '\0' && buf_printf(b, " %s",
		    h->cipher) == -1) ||
		    (h->bits >= 0 && buf_printf(b, " (%d bits)",
		    h->bits) == -1) ||
		    (h->malformed != NULL && buf_printf(b, " [malformed: %s]",
		    h->malformed) == -1) || buf_puts(b, "\n") == -1)
			return -1;
	}
	if (r->nreceived > r->nhops && buf_printf(b, "note: %zu older "
	    "Received field%s not read (at most %d are)\n",
	    r->nreceived - r->nhops, r->nreceived - r->nhops == 1 ? "" : "s",
	    CLI_AUDIT_RECV_HOPS_MAX) == -1)
		return -1;
	if (r->head_cut && buf_printf(b, "note: the header is longer than "
	    "%d octets; only that much was read\n", CLI_AUDIT_RECV_HEAD_MAX) ==
	    -1)
		return -1;
	if (r->nbad > 0 && buf_printf(b, "note: %zu line%s of the header "
	    "%s no header field\n", r->nbad, r->nbad == 1 ? "" : "s",
	    r->nbad == 1 ? "is" : "are") == -1)
		return -1;
	if (buf_puts(b, "verdict: ") == -1)
		return -1;
	if (v->nclear > 0) {
		for (k = 0; k < v->nclear; k++) {
			h = &r->hop[r->nhops - v->clear[k]];
			if (buf_printf(b, "%shop %zu was cleartext (%s -> %s)",
			    k > 0 ? "; " : "", v->clear[k],
			    h->from[0] != '\0' ? h->from : "?",
			    h->by[0] != '\0' ? h->by : "?") == -1)
				return -1;
		}
	} else if (v->ntls > 0) {
		if (buf_printf(b, "encrypted on every hop that says (%zu of "
		    "%zu said TLS)", v->ntls, r->nhops) == -1)
			return -1;
	} else if (buf_puts(b, r->nhops == 0 ? "nothing known: no "
	    "Received field" : "nothing known: no hop said TLS or "
	    "cleartext") == -1)
		return -1;
	if (v->nunknown > 0 && (buf_printf(b, "; hops that say nothing: "
	    "%zu (", v->nunknown) == -1 || cli_audit_recv_list(b, r,
	    CLI_AUDIT_RECV_UNKNOWN, v->nunknown) == -1 ||
	    buf_puts(b, ")") == -1))
		return -1;
	if (v->nlocal > 0 && (buf_printf(b, "; local: %zu (", v->nlocal) ==
	    -1 || cli_audit_recv_list(b, r, CLI_AUDIT_RECV_LOCAL,
	    v->nlocal) == -1 || buf_puts(b, ")") == -1))
		return -1;
	return buf_puts(b, "\n");
}

int
cli_audit_recv_fmt(struct buf *b, const struct cli_audit_recv *r,
    const char *source, int json)
{
	struct cli_audit_recv_verdict v;
	char src[256];
	size_t i;

	/* a file name from the command line: cleaned like the fields */
	for (i = 0; source[i] != '\0' && i + 1 < sizeof(src); i++)
		src[i] = (unsigned char)source[i] < 0x20 ||
		    (unsigned char)source[i] >= 0x7f ? '?' : source[i];
	src[i] = '\0';
	cli_audit_recv_verdict(r, &v);
	return json ? cli_audit_recv_fmt_json(b, r, &v, src) :
	    cli_audit_recv_fmt_text(b, r, &v, src);
}
