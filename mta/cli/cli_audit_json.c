/*
 * cli_audit_json.c: the reader of one log record of log_format json (a
 * flat JSON object, RFC 8259, doc/design.md §9) for `sealpost audit`:
 * strings, numbers, true, false and null as text, an array of those as
 * one pair per element; anything nested is refused. Pure: no I/O.
 * Linked by the sealpost binary, tests/unit/test_cli_audit and
 * tests/fuzz/fuzz_cli_audit.
 */
#include "config.h"

#include <string.h>

#include "cli_audit.h"
#include "cli_pure.h"

struct cli_audit_json {
	const char	*s;
	size_t		 len, p;
	const char	*why;
};

static void
cli_audit_json_ws(struct cli_audit_json *j)
{
	while (j->p < j->len && (j->s[j->p] == ' ' || j->s[j->p] == '\t' ||
	    j->s[j->p] == '\r' || j->s[j->p] == '\n'))
		j->p++;
}

static int
cli_audit_json_hex4(struct cli_audit_json *j, unsigned *v)
{
	if (cli_hex4(j->s + j->p, j->len - j->p, v) == -1)
		return -1;
	j->p += 4;
	return 0;
}

/* Appends code point cp as UTF-8 to out (room for 4 checked by caller). */
static size_t
cli_audit_json_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at j->p (its '"'), unescaped into out. Returns 0 or -1. */
static int
cli_audit_json_str(struct cli_audit_json *j, char *out, size_t outsize,
    size_t *outlen)
{
	unsigned cp, lo;
	size_t n = 0;
	char c;

	j->p++;
	for (;;) {
		if (j->p >= j->len) {
			j->why = "a string cut short (truncated line?)";
			return -1;
		}
		if (outsize - n < 5) {
			j->why = "a string too long";
			return -1;
		}
		c = j->s[j->p++];
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			j->why = "a control byte in a string";
			return -1;
		}
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (j->p >= j->len) {
			j->why = "a string cut short (truncated line?)";
			return -1;
		}
		c = j->s[j->p++];
		switch (c) {
		case '"': case '\\': case '/':
			out[n++] = c;
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u':
			if (cli_audit_json_hex4(j, &cp) == -1) {
				j->why = "a bad \\u escape";
				return -1;
			}
			if (cp >= 0xd800 && cp <= 0xdbff &&
			    j->len - j->p >= 6 &&
			    j->s[j->p] == '\\' && j->s[j->p + 1] == 'u') {
				j->p += 2;
				if (cli_audit_json_hex4(j, &lo) == -1) {
					j->why = "a bad \\u escape";
					return -1;
				}
				if (lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				else {
					/* a lone one: the next escape is
					   read on its own */
					cp = 0xfffd;
					j->p -= 6;
				}
			} else if (cp >= 0xdc80 && cp <= 0xdcff) {
				/* log_format json's byte that was not UTF-8
				   (surrogateescape, sealpost(8) LOG RECORDS) */
				out[n++] = (char)(cp & 0xff);
				break;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			n += cli_audit_json_utf8(out + n, cp);
			break;
		default:
			j->why = "an unknown escape in a string";
			return -1;
		}
	}
	*outlen = n;
	return 0;
}

/* A number, true, false or null at j->p, as its text. */
static int
cli_audit_json_word(struct cli_audit_json *j, const char **w, size_t *wlen)
{
	size_t p = j->p;
	char c;

	while (p < j->len) {
		c = j->s[p];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    c == '-' || c == '+' || c == '.' || c == 'E'))
			break;
		p++;
	}
	if (p == j->p) {
		j->why = j->p == j->len ? "an object cut short "
		    "(truncated line?)" : "a value that is not a string, "
		    "number, true, false, null or array";
		return -1;
	}
	*w = j->s + j->p;
	*wlen = p - j->p;
	c = j->s[j->p];
	if (!((c >= '0' && c <= '9') || c == '-' ||
	    (*wlen == 4 && memcmp(*w, "true", 4) == 0) ||
	    (*wlen == 5 && memcmp(*w, "false", 5) == 0) ||
	    (*wlen == 4 && memcmp(*w, "null", 4) == 0))) {
		j->why = "a bad literal";
		return -1;
	}
	j->p = p;
	return 0;
}

/* One scalar value into a pair key. */
static int
cli_audit_json_scalar(struct cli_audit_json *j, struct cli_audit_rec *rec,
    const char *key, size_t keylen)
{
	char val[CLI_AUDIT_LINE_MAX];
	const char *w;
	size_t vlen;

	if (j->p < j->len && j->s[j->p] == '"') {
		if (cli_audit_json_str(j, val, sizeof(val), &vlen) == -1)
			return -1;
		w = val;
	} else if (j->p < j->len && (j->s[j->p] == '{' || j->s[j->p] == '[')) {
		j->why = "a nested object or array";
		return -1;
	} else if (cli_audit_json_word(j, &w, &vlen) == -1)
		return -1;
	if (cli_audit_rec_add(rec, key, keylen, w, vlen) == -1) {
		j->why = "too many pairs";
		return -1;
	}
	return 0;
}

static int
cli_audit_json_known(const char *ev)
{
	static const char *const known[] = { "in", "in-rcpt", "out",
	    "queued", "bounce", "auth", "policy", "admin", "session" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(ev, known[i]) == 0)
			return 1;
	return 0;
}

int
cli_audit_json_parse(const char *s, size_t len, struct cli_audit_rec *rec,
    const char **why)
{
	struct cli_audit_json j = { s, len, 0, "" };
	char key[256];
	const char *v;
	size_t klen;
	int64_t t;

	rec->json = 1;
	cli_audit_json_ws(&j);
	if (j.p >= len || s[j.p] != '{') {
		*why = "not a JSON object";
		return -1;
	}
	j.p++;
	cli_audit_json_ws(&j);
	if (j.p < len && s[j.p] == '}')
		j.p++;
	else
		for (;;) {
			cli_audit_json_ws(&j);
			if (j.p >= len || s[j.p] != '"') {
				j.why = j.p >= len ? "an object cut short "
				    "(truncated line?)" : "a key that is not "
				    "a string";
				goto bad;
			}
			if (cli_audit_json_str(&j, key, sizeof(key),
			    &klen) == -1)
				goto bad;
			cli_audit_json_ws(&j);
			if (j.p >= len || s[j.p] != ':') {
				j.why = "no ':' after a key";
				goto bad;
			}
			j.p++;
			cli_audit_json_ws(&j);
			if (j.p < len && s[j.p] == '[') {
				j.p++;
				cli_audit_json_ws(&j);
				if (j.p < len && s[j.p] == ']')
					j.p++;
				else
					for (;;) {
						cli_audit_json_ws(&j);
						if (cli_audit_json_scalar(&j,
						    rec, key, klen) == -1)
							goto bad;
						cli_audit_json_ws(&j);
						if (j.p < len &&
						    s[j.p] == ',') {
							j.p++;
							continue;
						}
						if (j.p < len &&
						    s[j.p] == ']') {
							j.p++;
							break;
						}
						j.why = "an array cut short";
						goto bad;
					}
			} else if (cli_audit_json_scalar(&j, rec, key,
			    klen) == -1)
				goto bad;
			cli_audit_json_ws(&j);
			if (j.p < len && s[j.p] == ',') {
				j.p++;
				continue;
			}
			if (j.p < len && s[j.p] == '}') {
				j.p++;
				break;
			}
			j.why = "an object cut short (truncated line?)";
			goto bad;
		}
	cli_audit_json_ws(&j);
	if (j.p != len) {
		j.why = "text after the object";
		goto bad;
	}
	if ((v = cli_audit_get(rec, "event")) != NULL &&
	    strlen(v) < sizeof(rec->event) && cli_audit_json_known(v))
		memcpy(rec->event, v, strlen(v) + 1);
	if ((v = cli_audit_get(rec, "proc")) != NULL)
		(void)strlcpy(rec->proc, v, sizeof(rec->proc));
	if ((v = cli_audit_get(rec, "ts")) != NULL &&
	    cli_audit_time(v, strlen(v), &t) == strlen(v))
		rec->ts = t;
	return 0;
bad:
	*why = j.why;
	return -1;
}
