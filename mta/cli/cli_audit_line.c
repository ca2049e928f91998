/*
 * cli_audit_line.c: one line of sealpost's log into its time, process,
 * event and key=value pairs, the escaping of log_escape undone
 * (doc/design.md §9), for `sealpost audit`. Handles the forms sealpostd
 * writes: log_file's ISO time and "proc[pid]: ", syslog's (and
 * journalctl's) "Mon DD HH:MM:SS host proc[pid]: ", journalctl -o
 * short-iso, and the JSON object of log_format json. Times are RFC 3339.
 * Pure: no I/O. Linked by the sealpost binary, tests/unit/test_cli_audit
 * and tests/fuzz/fuzz_cli_audit.
 */
#include "config.h"

#include <string.h>

#include "cli_audit.h"
#include "cli_pure.h"

/* The structured events of doc/design.md §9. */
static const char *const cli_audit_line_events[] = {
	"in", "in-rcpt", "out", "queued", "bounce", "auth", "policy", "admin",
	"session",
};

static const char cli_audit_line_months[] = "JanFebMarAprMayJunJulAugSepOct"
    "NovDec";

static int
cli_audit_line_digits(const char *s, size_t len, size_t n, int *v)
{
	size_t i;

	if (len < n)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}


static int
cli_audit_line_mdays(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* Whether y-m-d hh:mm:ss is a time; then *t the UTC seconds. */
static int
cli_audit_line_civil(int y, int mo, int d, int h, int mi, int s, int64_t *t)
{
	if (mo < 1 || mo > 12 || d < 1 || d > cli_audit_line_mdays(y, mo) ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	*t = cli_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

size_t
cli_audit_time(const char *s, size_t len, int64_t *t)
{
	int y, mo, d, h, mi, sec, zh, zm, sign;
	size_t p;

	if (cli_audit_line_digits(s, len, 4, &y) == -1 || len < 19 ||
	    s[4] != '-' || cli_audit_line_digits(s + 5, 2, 2, &mo) == -1 ||
	    s[7] != '-' || cli_audit_line_digits(s + 8, 2, 2, &d) == -1 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    cli_audit_line_digits(s + 11, 2, 2, &h) == -1 || s[13] != ':' ||
	    cli_audit_line_digits(s + 14, 2, 2, &mi) == -1 || s[16] != ':' ||
	    cli_audit_line_digits(s + 17, 2, 2, &sec) == -1)
		return 0;
	if (cli_audit_line_civil(y, mo, d, h, mi, sec, t) == -1)
		return 0;
	p = 19;
	if (p < len && s[p] == '.') {
		p++;
		if (p >= len || s[p] < '0' || s[p] > '9')
			return 0;
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < len && (s[p] == 'Z' || s[p] == 'z'))
		return p + 1;
	if (p < len && (s[p] == '+' || s[p] == '-')) {
		sign = s[p] == '+' ? 1 : -1;
		p++;
		if (cli_audit_line_digits(s + p, len - p, 2, &zh) == -1)
			return 0;
		p += 2;
		if (p < len && s[p] == ':')
			p++;
		if (cli_audit_line_digits(s + p, len - p, 2, &zm) == -1 ||
		    zh > 23 || zm > 59)
			return 0;
		p += 2;
		*t -= sign * (zh * 3600 + zm * 60);
	}
	return p;
}

int
cli_audit_time_arg(const char *s, int until, int64_t *t)
{
	size_t len = strlen(s);
	int y, mo, d;

	if (len == 10 && cli_audit_line_digits(s, len, 4, &y) == 0 &&
	    s[4] == '-' && cli_audit_line_digits(s + 5, 2, 2, &mo) == 0 &&
	    s[7] == '-' && cli_audit_line_digits(s + 8, 2, 2, &d) == 0) {
		if (cli_audit_line_civil(y, mo, d, 0, 0, 0, t) == -1)
			return -1;
		if (until)
			*t += 86399;
		return 0;
	}
	return len > 0 && cli_audit_time(s, len, t) == len ? 0 : -1;
}

const char *
cli_audit_get(const struct cli_audit_rec *rec, const char *key)
{
	size_t i;

	for (i = 0; i < rec->nkv; i++)
		if (strcmp(rec->kv[i].key, key) == 0)
			return rec->kv[i].val;
	return NULL;
}

int
cli_audit_rec_add(struct cli_audit_rec *rec, const char *key, size_t keylen,
    const char *val, size_t vallen)
{
	char *k;

	if (rec->nkv == CLI_AUDIT_KV_MAX ||
	    sizeof(rec->store) - rec->used < keylen + vallen + 2)
		return -1;
	k = rec->store + rec->used;
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	memcpy(k + keylen + 1, val, vallen);
	k[keylen + 1 + vallen] = '\0';
	rec->kv[rec->nkv].key = k;
	rec->kv[rec->nkv].val = k + keylen + 1;
	rec->kv[rec->nkv].vallen = vallen;
	rec->nkv++;
	rec->used += keylen + vallen + 2;
	return 0;
}

static int
cli_audit_line_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The pairs s[0..len) after the event word: " key=value" each, a value
 * bare or in quotes with \" \\ \xHH (doc/design.md §9). Returns 0, or -1
 * with *why.
 */
static int
cli_audit_line_pairs(const char *s, size_t len, struct cli_audit_rec *rec,
    const char **why)
{
	char val[CLI_AUDIT_LINE_MAX];
	size_t p = 0, k, klen, vlen;
	int hi, lo;

	for (;;) {
		while (p < len && s[p] == ' ')
			p++;
		if (p == len)
			return 0;
		for (k = p; p < len && ((s[p] >= 'a' && s[p] <= 'z') ||
		    (s[p] >= '0' && s[p] <= '9') || s[p] == '_' ||
		    s[p] == '-'); p++)
			;
		klen = p - k;
		if (klen == 0 || p == len || s[p] != '=') {
			*why = "a word that is not key=value";
			return -1;
		}
		p++;
		vlen = 0;
		if (p < len && s[p] == '"') {
			for (p++; p < len && s[p] != '"'; p++) {
				if (vlen == sizeof(val)) {
					*why = "a value too long";
					return -1;
				}
				if (s[p] != '\\') {
					val[vlen++] = s[p];
					continue;
				}
				if (p + 1 < len &&
				    (s[p + 1] == '"' || s[p + 1] == '\\')) {
					val[vlen++] = s[++p];
					continue;
				}
				if (p + 3 < len && s[p + 1] == 'x' &&
				    (hi = cli_audit_line_hex(s[p + 2])) != -1 &&
				    (lo = cli_audit_line_hex(s[p + 3])) != -1) {
					val[vlen++] = (char)(hi << 4 | lo);
					p += 3;
					continue;
				}
				*why = p + 1 >= len ? "a quoted value cut "
				    "short (truncated line?)" :
				    "an unknown escape in a quoted value";
				return -1;
			}
			if (p == len) {
				*why = "a quoted value cut short "
				    "(truncated line?)";
				return -1;
			}
			p++;
		} else {
			for (; p < len && s[p] != ' '; p++) {
				if (s[p] == '"' || s[p] == '\\' ||
				    (unsigned char)s[p] < 0x20 ||
				    vlen == sizeof(val)) {
					*why = "a bad byte in a bare value";
					return -1;
				}
				val[vlen++] = s[p];
			}
		}
		if (p < len && s[p] != ' ') {
			*why = "no space after a quoted value";
			return -1;
		}
		if (cli_audit_rec_add(rec, s + k, klen, val, vlen) == -1) {
			*why = "too many key=value pairs";
			return -1;
		}
	}
}

/* The message after the prefix: an event and its pairs, or JSON. */
static enum cli_audit_parse
cli_audit_line_msg(const char *s, size_t len, struct cli_audit_rec *rec,
    const char **why)
{
	size_t i, w;

	if (len > 0 && s[0] == '{') {
		if (cli_audit_json_parse(s, len, rec, why) == -1)
			return CLI_AUDIT_P_BAD;
		return rec->event[0] != '\0' ? CLI_AUDIT_P_REC :
		    CLI_AUDIT_P_OTHER;
	}
	for (w = 0; w < len && s[w] != ' '; w++)
		;
	for (i = 0; i < sizeof(cli_audit_line_events) /
	    sizeof(cli_audit_line_events[0]); i++)
		if (strlen(cli_audit_line_events[i]) == w &&
		    memcmp(s, cli_audit_line_events[i], w) == 0)
			break;
	if (i == sizeof(cli_audit_line_events) /
	    sizeof(cli_audit_line_events[0]))
		return CLI_AUDIT_P_OTHER;
	memcpy(rec->event, s, w);
	rec->event[w] = '\0';
	if (w == len || cli_audit_line_pairs(s + w, len - w, rec, why) == -1) {
		if (w == len)
			*why = "an event without key=value pairs";
		return CLI_AUDIT_P_BAD;
	}
	return CLI_AUDIT_P_REC;
}

/*
 * The tag "proc[pid]:" or "proc:" at s[0..len) followed by a space (or
 * the end). Returns the octets up to the message, or 0.
 */
static size_t
cli_audit_line_tag(const char *s, size_t len, struct cli_audit_rec *rec)
{
	size_t p, n;

	for (p = 0; p < len && s[p] != ' '; p++)
		;
	if (p == 0 || s[p - 1] != ':')
		return 0;
	for (n = 0; n < p - 1 && s[n] != '['; n++)
		;
	if (n >= sizeof(rec->proc))
		n = sizeof(rec->proc) - 1;
	memcpy(rec->proc, s, n);
	rec->proc[n] = '\0';
	return p < len ? p + 1 : p;
}

/* The time of syslog, "Dec  5 12:41:25", at s. Returns 15 or 0. */
static size_t
cli_audit_line_syslog_time(const char *s, size_t len, int64_t ref,
    int64_t *t)
{
	int mo, d, h, mi, sec, y;
	int64_t days;
	const char *m;

	if (len < 16 || s[3] != ' ' || s[15] != ' ')
		return 0;
	for (m = cli_audit_line_months; *m != '\0'; m += 3)
		if (memcmp(m, s, 3) == 0)
			break;
	if (*m == '\0')
		return 0;
	mo = (int)(m - cli_audit_line_months) / 3 + 1;
	if (s[4] == ' ' ? cli_audit_line_digits(s + 5, 1, 1, &d) == -1 :
	    cli_audit_line_digits(s + 4, 2, 2, &d) == -1)
		return 0;
	if (s[6] != ' ' || cli_audit_line_digits(s + 7, 2, 2, &h) == -1 ||
	    s[9] != ':' || cli_audit_line_digits(s + 10, 2, 2, &mi) == -1 ||
	    s[12] != ':' || cli_audit_line_digits(s + 13, 2, 2, &sec) == -1)
		return 0;
	/* the year of ref, or the one before when that is in the future */
	days = (ref >= 0 ? ref : 0) / 86400;
	y = (int)(days / 365) + 1970;
	while (y > 1970 && cli_days_from_civil(y, 1, 1) > days)
		y--;
	while (cli_days_from_civil(y + 1, 1, 1) <= days)
		y++;
	if (cli_audit_line_civil(y, mo, d, h, mi, sec, t) == -1 ||
	    *t > ref + 86400)
		if (cli_audit_line_civil(y - 1, mo, d, h, mi, sec, t) == -1)
			return 0;
	return 15;
}

enum cli_audit_parse
cli_audit_parse_line(const char *line, size_t len, int64_t ref,
    struct cli_audit_rec *rec, const char **why)
{
	size_t p, n, h;

	rec->ts = -1;
	rec->json = 0;
	rec->proc[0] = '\0';
	rec->event[0] = '\0';
	rec->nkv = 0;
	rec->used = 0;
	*why = "";
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len == 0 || (len >= 3 && memcmp(line, "-- ", 3) == 0))
		return CLI_AUDIT_P_OTHER;	/* journalctl's own lines */
	if (len > CLI_AUDIT_LINE_MAX) {
		*why = "a line too long";
		return CLI_AUDIT_P_BAD;
	}
	if (line[0] == '{')
		return cli_audit_line_msg(line, len, rec, why);
	if ((p = cli_audit_time(line, len, &rec->ts)) == 0 &&
	    (p = cli_audit_line_syslog_time(line, len, ref, &rec->ts)) == 0) {
		*why = "no time at the start";
		return CLI_AUDIT_P_BAD;
	}
	if (p == len || line[p] != ' ') {
		*why = "nothing after the time";
		return CLI_AUDIT_P_BAD;
	}
	p++;
	/* "proc[pid]: " (log_file), else "host proc[pid]: " */
	if ((n = cli_audit_line_tag(line + p, len - p, rec)) == 0) {
		for (h = p; h < len && line[h] != ' '; h++)
			;
		if (h == len || h == p ||
		    (n = cli_audit_line_tag(line + h + 1, len - h - 1,
		    rec)) == 0) {
			*why = "no process tag (proc[pid]:)";
			return CLI_AUDIT_P_BAD;
		}
		p = h + 1;
	}
	p += n;
	return cli_audit_line_msg(line + p, len - p, rec, why);
}
