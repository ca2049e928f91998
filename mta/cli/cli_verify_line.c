/*
 * cli_verify_line.c: one log line into what `sealpost audit --verify`
 * checks (see cli_verify.h, doc/design.md §9): the process, its pid, the
 * sequence number, the link prev= and the bytes the link covers, from
 * the text form (log_escape's key=value) or the JSON form (RFC 8259, a
 * flat object). Pure: no I/O, no allocation. Linked by the sealpost
 * binary, tests/unit/test_cli_verify and tests/fuzz/fuzz_cli_verify.
 */
#include "config.h"

#include <string.h>

#include "cli_verify.h"

/* The sealpost processes that log under their own name (§2). */
static const char *const cli_verify_procs[] = {
	"sealpostd", "smtpin", "queue", "smtpout", "policy", "local", NULL
};

/* What the JSON reader keeps of one object. */
struct cli_verify_json {
	char		event[16];
	char		op[16];
	char		chain[8];
	char		proc[32];
	char		prev[LOG_CHAIN_HEXLEN + 2];
	long		pid;
	uint64_t	seq;
	uint64_t	n;		/* of a lost record */
	unsigned	seen;		/* CLI_VERIFY_J_* bits */
};

#define CLI_VERIFY_J_EVENT	0x01
#define CLI_VERIFY_J_OP		0x02
#define CLI_VERIFY_J_PROC	0x04
#define CLI_VERIFY_J_PREV	0x08
#define CLI_VERIFY_J_PID	0x10
#define CLI_VERIFY_J_SEQ	0x20
#define CLI_VERIFY_J_CHAIN	0x40
#define CLI_VERIFY_J_N		0x80

static int
cli_verify_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number of 1..18 digits, no leading zero. Returns 0 or -1. */
static int
cli_verify_number(const char *s, size_t len, uint64_t *out)
{
	size_t i;

	if (len == 0 || len > 18 || (s[0] == '0' && len > 1))
		return -1;
	*out = 0;
	for (i = 0; i < len; i++) {
		if (!cli_verify_digit(s[i]))
			return -1;
		*out = *out * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static size_t
cli_verify_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/*
 * A JSON string at s[*i] (the opening quote) into out (cut, NUL-
 * terminated; escapes of characters outside ASCII become '?'). Returns 0
 * with *i after the closing quote, or -1.
 */
static int
cli_verify_jstring(const char *s, size_t len, size_t *i, char *out,
    size_t outsize)
{
	size_t o = 0, k;
	char c;

	if (*i >= len || s[*i] != '"')
		return -1;
	(*i)++;
	while (*i < len) {
		c = s[(*i)++];
		if (c == '"') {
			out[o < outsize ? o : outsize - 1] = '\0';
			return 0;
		}
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			if (*i >= len)
				return -1;
			c = s[(*i)++];
			switch (c) {
			case '"': case '\\': case '/':
				break;
			case 'b': case 'f': case 'n': case 'r': case 't':
				c = '?';
				break;
			case 'u':
				if (len - *i < 4)
					return -1;
				for (k = 0; k < 4; k++)
					if (!cli_verify_digit(s[*i + k]) &&
					    !((s[*i + k] | 0x20) >= 'a' &&
					    (s[*i + k] | 0x20) <= 'f'))
						return -1;
				*i += 4;
				c = '?';
				break;
			default:
				return -1;
			}
		}
		if (o + 1 < outsize)
			out[o++] = c;
		else
			o = outsize;	/* cut: remembered as too long */
	}
	return -1;
}

/*
 * A flat JSON object s[0..len) (RFC 8259: strings, numbers, true, false,
 * null; no nesting). Keeps event, op, proc, prev, pid, seq, chain and n;
 * one of these twice is malformed. Returns 0 or -1 with *why.
 */
static int
cli_verify_json(const char *s, size_t len, struct cli_verify_json *j,
    const char **why)
{
	char key[32], val[LOG_CHAIN_HEXLEN + 2];
	size_t i, start;
	uint64_t n;
	unsigned bit;

	memset(j, 0, sizeof(*j));
	*why = "not a JSON object";
	i = cli_verify_ws(s, len, 0);
	if (i >= len || s[i++] != '{')
		return -1;
	i = cli_verify_ws(s, len, i);
	if (i < len && s[i] == '}')
		goto end;
	for (;;) {
		*why = "malformed or cut JSON";
		if (cli_verify_jstring(s, len, &i, key, sizeof(key)) == -1)
			return -1;
		i = cli_verify_ws(s, len, i);
		if (i >= len || s[i++] != ':')
			return -1;
		i = cli_verify_ws(s, len, i);
		if (i >= len)
			return -1;
		bit = 0;
		if (strcmp(key, "event") == 0)
			bit = CLI_VERIFY_J_EVENT;
		else if (strcmp(key, "op") == 0)
			bit = CLI_VERIFY_J_OP;
		else if (strcmp(key, "proc") == 0)
			bit = CLI_VERIFY_J_PROC;
		else if (strcmp(key, "prev") == 0)
			bit = CLI_VERIFY_J_PREV;
		else if (strcmp(key, "pid") == 0)
			bit = CLI_VERIFY_J_PID;
		else if (strcmp(key, "seq") == 0)
			bit = CLI_VERIFY_J_SEQ;
		else if (strcmp(key, "chain") == 0)
			bit = CLI_VERIFY_J_CHAIN;
		else if (strcmp(key, "n") == 0)
			bit = CLI_VERIFY_J_N;
		if (bit != 0 && (j->seen & bit)) {
			*why = "a key twice in one record";
			return -1;
		}
		j->seen |= bit;
		if (s[i] == '"') {
			if (cli_verify_jstring(s, len, &i, val, sizeof(val)) ==
			    -1)
				return -1;
			if (bit == CLI_VERIFY_J_PID ||
			    bit == CLI_VERIFY_J_SEQ || bit == CLI_VERIFY_J_N) {
				*why = "pid, seq or n is not a number";
				return -1;
			}
			if (bit == CLI_VERIFY_J_EVENT)
				(void)strlcpy(j->event, val, sizeof(j->event));
			else if (bit == CLI_VERIFY_J_OP)
				(void)strlcpy(j->op, val, sizeof(j->op));
			else if (bit == CLI_VERIFY_J_PROC)
				(void)strlcpy(j->proc, val, sizeof(j->proc));
			else if (bit == CLI_VERIFY_J_PREV)
				(void)strlcpy(j->prev, val, sizeof(j->prev));
			else if (bit == CLI_VERIFY_J_CHAIN)
				(void)strlcpy(j->chain, val, sizeof(j->chain));
		} else {
			start = i;
			while (i < len && s[i] != ',' && s[i] != '}' &&
			    s[i] != ' ' && s[i] != '\t') {
				if (s[i] == '{' || s[i] == '[' || s[i] == '"')
					return -1;
				i++;
			}
			if (i == start)
				return -1;
			if (bit == CLI_VERIFY_J_PID ||
			    bit == CLI_VERIFY_J_SEQ || bit == CLI_VERIFY_J_N) {
				if (cli_verify_number(s + start, i - start,
				    &n) == -1) {
					*why = "pid, seq or n is not a number";
					return -1;
				}
				if (bit == CLI_VERIFY_J_PID)
					j->pid = (long)(n > 0x7fffffff ?
					    0 : n);
				else if (bit == CLI_VERIFY_J_SEQ)
					j->seq = n;
				else
					j->n = n;
			} else if (bit != 0) {
				*why = "event, op, proc, prev or chain is not "
				    "a string";
				return -1;
			}
		}
		i = cli_verify_ws(s, len, i);
		if (i < len && s[i] == ',') {
			i = cli_verify_ws(s, len, i + 1);
			continue;
		}
		if (i < len && s[i] == '}') {
			i++;
			break;
		}
		return -1;
	}
 end:
	i = cli_verify_ws(s, len, i);
	if (i != len) {
		*why = "bytes after the JSON object";
		return -1;
	}
	return 0;
}

/* Fills r from a JSON record (the link covers s[0..len)). */
static enum cli_verify_parse
cli_verify_json_rec(const char *s, size_t len, struct cli_verify_rec *r,
    const char **why)
{
	struct cli_verify_json j;
	const unsigned need = CLI_VERIFY_J_EVENT | CLI_VERIFY_J_PROC |
	    CLI_VERIFY_J_PID | CLI_VERIFY_J_SEQ;

	if (cli_verify_json(s, len, &j, why) == -1)
		return CLI_VERIFY_P_BAD;
	if ((j.seen & need) != need || j.proc[0] == '\0' || j.pid <= 0) {
		*why = "no event, proc, pid or seq: not a sealpost record";
		return CLI_VERIFY_P_BAD;
	}
	if ((j.seen & CLI_VERIFY_J_PREV) &&
	    !log_chain_valid(j.prev, strlen(j.prev))) {
		*why = "prev is not 64 hex digits";
		return CLI_VERIFY_P_BAD;
	}
	r->rec = s;
	r->reclen = len;
	(void)strlcpy(r->proc, j.proc, sizeof(r->proc));
	r->pid = j.pid;
	r->seq = j.seq;
	r->has_prev = (j.seen & CLI_VERIFY_J_PREV) != 0;
	if (r->has_prev)
		memcpy(r->prev, j.prev, sizeof(r->prev));
	r->json = 1;
	if (strcmp(j.event, "log") != 0)
		return CLI_VERIFY_P_REC;
	if (strcmp(j.op, "start") == 0)
		r->op = CLI_VERIFY_OP_START;
	else if (strcmp(j.op, "reopen") == 0)
		r->op = CLI_VERIFY_OP_REOPEN;
	else if (strcmp(j.op, "lost") == 0) {
		if (!(j.seen & CLI_VERIFY_J_N) || j.n == 0) {
			*why = "a lost record without its count n";
			return CLI_VERIFY_P_BAD;
		}
		r->op = CLI_VERIFY_OP_LOST;
		r->lost = j.n;
	}
	r->chain_yes = strcmp(j.chain, "yes") == 0;
	return CLI_VERIFY_P_REC;
}

/*
 * "proc[pid]: " at s[0..len): fills proc and pid, returns the length of
 * the prefix, or 0 when s does not start with one.
 */
static size_t
cli_verify_tag(const char *s, size_t len, struct cli_verify_rec *r)
{
	size_t i = 0, p;
	uint64_t pid;

	while (i < len && i < sizeof(r->proc) - 1 &&
	    ((s[i] >= 'a' && s[i] <= 'z') || cli_verify_digit(s[i]) ||
	    s[i] == '_' || s[i] == '-'))
		i++;
	if (i == 0 || i >= len || s[i] != '[')
		return 0;
	p = i + 1;
	while (p < len && cli_verify_digit(s[p]))
		p++;
	if (p + 2 > len || s[p] != ']' || s[p + 1] != ':' ||
	    (p + 2 < len && s[p + 2] != ' '))
		return 0;
	if (cli_verify_number(s + i + 1, p - i - 1, &pid) == -1 ||
	    pid == 0 || pid > 0x7fffffff)
		return 0;
	memcpy(r->proc, s, i);
	r->proc[i] = '\0';
	r->pid = (long)pid;
	return p + 2 < len ? p + 3 : p + 2;
}

/*
 * The value of key (with its '=') among the plain words of s[0..len),
 * those of a log record: log op=... chain=yes. Stops at a quoted value.
 * Returns 0 with *val and *vlen, or -1.
 */
static int
cli_verify_text_key(const char *s, size_t len, const char *key,
    const char **val, size_t *vlen)
{
	size_t i = 0, w, klen = strlen(key);

	while (i < len) {
		for (w = i; w < len && s[w] != ' '; w++)
			if (s[w] == '"')
				return -1;
		if (w - i >= klen && memcmp(s + i, key, klen) == 0) {
			*val = s + i + klen;
			*vlen = w - i - klen;
			return 0;
		}
		i = w + 1;
	}
	return -1;
}

/*
 * The text body s[0..len): seq=, prev= and the op of a log record (with
 * chain= and the n= of a lost record).
 */
static enum cli_verify_parse
cli_verify_text_body(const char *s, size_t len, struct cli_verify_rec *r,
    const char **why)
{
	size_t end = len, sp, vlen;
	const char *val;

	*why = "no seq= at the end: cut, or not written by this sealpost";
	if (len >= LOG_CHAIN_HEXLEN + 6 &&
	    memcmp(s + len - LOG_CHAIN_HEXLEN - 6, " prev=", 6) == 0) {
		if (!log_chain_valid(s + len - LOG_CHAIN_HEXLEN,
		    LOG_CHAIN_HEXLEN)) {
			*why = "prev is not 64 hex digits";
			return CLI_VERIFY_P_BAD;
		}
		memcpy(r->prev, s + len - LOG_CHAIN_HEXLEN, LOG_CHAIN_HEXLEN);
		r->prev[LOG_CHAIN_HEXLEN] = '\0';
		r->has_prev = 1;
		end = len - LOG_CHAIN_HEXLEN - 6;
	}
	sp = end;
	while (sp > 0 && s[sp - 1] != ' ')
		sp--;
	if (sp == 0 || end - sp < 5 || memcmp(s + sp, "seq=", 4) != 0 ||
	    cli_verify_number(s + sp + 4, end - sp - 4, &r->seq) == -1)
		return CLI_VERIFY_P_BAD;
	if (sp >= 13 && memcmp(s, "log op=start ", 13) == 0)
		r->op = CLI_VERIFY_OP_START;
	else if (sp >= 14 && memcmp(s, "log op=reopen ", 14) == 0)
		r->op = CLI_VERIFY_OP_REOPEN;
	else if (sp >= 12 && memcmp(s, "log op=lost ", 12) == 0) {
		if (cli_verify_text_key(s, sp - 1, "n=", &val, &vlen) == -1 ||
		    cli_verify_number(val, vlen, &r->lost) == -1 ||
		    r->lost == 0) {
			*why = "a lost record without its count n=";
			return CLI_VERIFY_P_BAD;
		}
		r->op = CLI_VERIFY_OP_LOST;
	} else
		return CLI_VERIFY_P_REC;
	r->chain_yes = cli_verify_text_key(s, sp - 1, "chain=", &val,
	    &vlen) == 0 && vlen == 3 && memcmp(val, "yes", 3) == 0;
	return CLI_VERIFY_P_REC;
}

static int
cli_verify_known_proc(const char *proc)
{
	size_t i;

	for (i = 0; cli_verify_procs[i] != NULL; i++)
		if (strcmp(proc, cli_verify_procs[i]) == 0)
			return 1;
	return 0;
}

enum cli_verify_parse
cli_verify_parse_line(const char *line, size_t len, struct cli_verify_rec *r,
    const char **why)
{
	size_t i, n;
	enum cli_verify_parse p;

	memset(r, 0, sizeof(*r));
	*why = "";
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return CLI_VERIFY_P_OTHER;
	if (memchr(line, '\0', len) != NULL) {
		*why = "a NUL byte in the line";
		return CLI_VERIFY_P_BAD;
	}
	if (len > CLI_VERIFY_LINE_MAX) {
		*why = "line too long";
		return CLI_VERIFY_P_BAD;
	}
	if (line[0] == '{')
		return cli_verify_json_rec(line, len, r, why);
	/* log_file text: "STAMP proc[pid]: body", the stamp one word */
	for (i = 0; i < len && line[i] != ' '; i++)
		;
	if (i > 0 && cli_verify_digit(line[0]) && i + 1 < len &&
	    (n = cli_verify_tag(line + i + 1, len - i - 1, r)) != 0) {
		p = cli_verify_text_body(line + i + 1 + n, len - i - 1 - n,
		    r, why);
		r->rec = line;
		r->reclen = len;
		return p;
	}
	/* syslog: "... proc[pid]: body" for sealpost's processes */
	for (i = 0; i < len; i++) {
		if (i > 0 && line[i - 1] != ' ')
			continue;
		if ((n = cli_verify_tag(line + i, len - i, r)) == 0)
			continue;
		if (!cli_verify_known_proc(r->proc))
			return CLI_VERIFY_P_OTHER;
		i += n;
		if (i < len && line[i] == '{') {
			char proc[sizeof(r->proc)];
			long pid = r->pid;

			memcpy(proc, r->proc, sizeof(proc));
			p = cli_verify_json_rec(line + i, len - i, r, why);
			if (p == CLI_VERIFY_P_REC && (pid != r->pid ||
			    strcmp(proc, r->proc) != 0)) {
				*why = "the syslog tag and the record name "
				    "different processes";
				return CLI_VERIFY_P_BAD;
			}
			return p;
		}
		p = cli_verify_text_body(line + i, len - i, r, why);
		r->rec = line + i;
		r->reclen = len - i;
		return p;
	}
	*why = "not a sealpost log line";
	return CLI_VERIFY_P_NOTOURS;
}
