/*
 * cli_check_json.c: a small JSON reader (RFC 8259) for `sealpost check`,
 * which reads the policy process's explanation of a domain (`sealpost
 * policy --json`, doc/design.md §8) as a tree: objects, arrays,
 * strings, integers, true, false and null, at most CLI_CHECK_JSON_DEPTH
 * deep and CLI_CHECK_JSON_NODES values; strings are unescaped into one
 * arena (a \u0000 or a lone surrogate is refused), numbers must be
 * integers that fit in a long long. The text holds names and records from
 * DNS, so every malformed input is refused, never trusted.
 * Pure: no I/O. Linked by the sealpost binary, tests/unit/test_cli_check
 * and tests/fuzz/fuzz_cli_check.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli_check.h"
#include "cli_pure.h"

struct cli_check_jp {
	const char		*s;
	size_t			 len, p;
	struct cli_check_json	*doc;
	const char		*why;
};

static void
cli_check_jp_ws(struct cli_check_jp *j)
{
	while (j->p < j->len && (j->s[j->p] == ' ' || j->s[j->p] == '\t' ||
	    j->s[j->p] == '\r' || j->s[j->p] == '\n'))
		j->p++;
}

static int
cli_check_jp_fail(struct cli_check_jp *j, const char *why)
{
	if (j->why == NULL)
		j->why = why;
	return -1;
}

/* A new node of type t; its index, or -1. */
static int
cli_check_jp_node(struct cli_check_jp *j, int type)
{
	struct cli_check_json *d = j->doc;
	struct cli_check_jnode *n;

	if (d->nn == d->max)
		return cli_check_jp_fail(j, "too many values");
	n = &d->n[d->nn];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->child = n->next = -1;
	n->key = n->str = "";
	return (int)d->nn++;
}

static int
cli_check_jp_hex4(struct cli_check_jp *j, unsigned *v)
{
	if (cli_hex4(j->s + j->p, j->len - j->p, v) == -1)
		return -1;
	j->p += 4;
	return 0;
}

/*
 * A string at j->p (its opening quote), unescaped into the arena; *out
 * points at it, NUL-terminated. The arena has room: the unescaped form
 * is never longer than the quoted one, whose quotes pay for the NUL.
 */
static int
cli_check_jp_string(struct cli_check_jp *j, const char **out)
{
	struct cli_check_json *d = j->doc;
	char *o = d->arena + d->used;
	size_t k = 0;
	unsigned cp, lo;
	unsigned char c;

	if (j->p >= j->len || j->s[j->p] != '"')
		return cli_check_jp_fail(j, "a string was expected");
	j->p++;
	for (;;) {
		if (j->p >= j->len)
			return cli_check_jp_fail(j, "unterminated string");
		c = (unsigned char)j->s[j->p++];
		if (c == '"')
			break;
		if (c < 0x20)
			return cli_check_jp_fail(j, "a control byte in a "
			    "string");
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		if (j->p >= j->len)
			return cli_check_jp_fail(j, "unterminated string");
		c = (unsigned char)j->s[j->p++];
		switch (c) {
		case '"': case '\\': case '/':
			o[k++] = (char)c;
			continue;
		case 'b': o[k++] = '\b'; continue;
		case 'f': o[k++] = '\f'; continue;
		case 'n': o[k++] = '\n'; continue;
		case 'r': o[k++] = '\r'; continue;
		case 't': o[k++] = '\t'; continue;
		case 'u':
			break;
		default:
			return cli_check_jp_fail(j, "a bad escape in a string");
		}
		if (cli_check_jp_hex4(j, &cp) == -1)
			return cli_check_jp_fail(j, "a bad \\u escape");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return cli_check_jp_fail(j, "a lone surrogate");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (j->len - j->p < 6 || j->s[j->p] != '\\' ||
			    j->s[j->p + 1] != 'u')
				return cli_check_jp_fail(j, "a lone surrogate");
			j->p += 2;
			if (cli_check_jp_hex4(j, &lo) == -1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return cli_check_jp_fail(j, "a lone surrogate");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0)
			return cli_check_jp_fail(j, "a NUL in a string");
		/* 6 or 12 escaped bytes give at most 4: room enough */
		if (cp < 0x80)
			o[k++] = (char)cp;
		else if (cp < 0x800) {
			o[k++] = (char)(0xc0 | (cp >> 6));
			o[k++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			o[k++] = (char)(0xe0 | (cp >> 12));
			o[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			o[k++] = (char)(0x80 | (cp & 0x3f));
		} else {
			o[k++] = (char)(0xf0 | (cp >> 18));
			o[k++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			o[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			o[k++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	o[k] = '\0';
	d->used += k + 1;
	*out = o;
	return 0;
}

static int
cli_check_jp_number(struct cli_check_jp *j, long long *v)
{
	unsigned long long u = 0;
	int neg = 0, digits = 0;
	unsigned d;

	if (j->p < j->len && j->s[j->p] == '-') {
		neg = 1;
		j->p++;
	}
	if (j->p < j->len && j->s[j->p] == '0' && j->p + 1 < j->len &&
	    j->s[j->p + 1] >= '0' && j->s[j->p + 1] <= '9')
		return cli_check_jp_fail(j, "a number with a leading zero");
	while (j->p < j->len && j->s[j->p] >= '0' && j->s[j->p] <= '9') {
		d = (unsigned)(j->s[j->p++] - '0');
		if (u > ((unsigned long long)LLONG_MAX - d) / 10)
			return cli_check_jp_fail(j, "a number too large");
		u = u * 10 + d;
		digits++;
	}
	if (digits == 0)
		return cli_check_jp_fail(j, "a value was expected");
	if (j->p < j->len && (j->s[j->p] == '.' || j->s[j->p] == 'e' ||
	    j->s[j->p] == 'E'))
		return cli_check_jp_fail(j, "a number that is not an integer");
	*v = neg ? -(long long)u : (long long)u;
	return 0;
}

static int
cli_check_jp_word(struct cli_check_jp *j, const char *w)
{
	size_t n = strlen(w);

	if (j->len - j->p < n || memcmp(j->s + j->p, w, n) != 0)
		return cli_check_jp_fail(j, "a value was expected");
	j->p += n;
	return 0;
}

/* A value at j->p; its node index, or -1. */
static int
cli_check_jp_value(struct cli_check_jp *j, int depth)
{
	struct cli_check_jnode *n;
	const char *key;
	int idx, child, last;
	char c;

	cli_check_jp_ws(j);
	if (j->p >= j->len)
		return cli_check_jp_fail(j, "the text ends where a value was "
		    "expected");
	c = j->s[j->p];
	if (c == '{' || c == '[') {
		if (depth >= CLI_CHECK_JSON_DEPTH)
			return cli_check_jp_fail(j, "nested too deep");
		if ((idx = cli_check_jp_node(j, c == '{' ? CLI_CHECK_JT_OBJ :
		    CLI_CHECK_JT_ARR)) == -1)
			return -1;
		j->p++;
		last = -1;
		cli_check_jp_ws(j);
		if (j->p < j->len && j->s[j->p] == (c == '{' ? '}' : ']')) {
			j->p++;
			return idx;
		}
		for (;;) {
			key = NULL;
			if (c == '{') {
				cli_check_jp_ws(j);
				if (cli_check_jp_string(j, &key) == -1)
					return -1;
				cli_check_jp_ws(j);
				if (j->p >= j->len || j->s[j->p] != ':')
					return cli_check_jp_fail(j, "':' was "
					    "expected");
				j->p++;
			}
			if ((child = cli_check_jp_value(j, depth + 1)) == -1)
				return -1;
			if (key != NULL)
				j->doc->n[child].key = key;
			if (last == -1)
				j->doc->n[idx].child = child;
			else
				j->doc->n[last].next = child;
			last = child;
			cli_check_jp_ws(j);
			if (j->p < j->len && j->s[j->p] == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->len && j->s[j->p] == (c == '{' ? '}' :
			    ']')) {
				j->p++;
				return idx;
			}
			return cli_check_jp_fail(j, c == '{' ? "',' or '}' "
			    "was expected" : "',' or ']' was expected");
		}
	}
	if (c == '"') {
		if ((idx = cli_check_jp_node(j, CLI_CHECK_JT_STR)) == -1 ||
		    cli_check_jp_string(j, &j->doc->n[idx].str) == -1)
			return -1;
		return idx;
	}
	if (c == 't' || c == 'f' || c == 'n') {
		if ((idx = cli_check_jp_node(j, c == 'n' ? CLI_CHECK_JT_NULL :
		    CLI_CHECK_JT_BOOL)) == -1 || cli_check_jp_word(j,
		    c == 't' ? "true" : c == 'f' ? "false" : "null") == -1)
			return -1;
		j->doc->n[idx].num = c == 't';
		return idx;
	}
	if ((idx = cli_check_jp_node(j, CLI_CHECK_JT_NUM)) == -1)
		return -1;
	n = &j->doc->n[idx];
	if (cli_check_jp_number(j, &n->num) == -1)
		return -1;
	return idx;
}

int
cli_check_json_parse(struct cli_check_json *doc, const char *text,
    size_t len, const char **why)
{
	struct cli_check_jp j;

	memset(doc, 0, sizeof(*doc));
	*why = NULL;
	if (len > CLI_CHECK_JSON_MAX) {
		*why = "the text is too long";
		return -1;
	}
	/* every value takes at least one byte of the text */
	doc->max = len < CLI_CHECK_JSON_NODES ? len + 1 : CLI_CHECK_JSON_NODES;
	if ((doc->n = reallocarray(NULL, doc->max, sizeof(*doc->n))) ==
	    NULL ||
	    (doc->arena = malloc(len + 1)) == NULL) {
		cli_check_json_free(doc);
		*why = "out of memory";
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.s = text;
	j.len = len;
	j.doc = doc;
	if (cli_check_jp_value(&j, 0) == 0) {
		cli_check_jp_ws(&j);
		if (j.p == j.len)
			return 0;
		j.why = "text after the value";
	}
	*why = j.why != NULL ? j.why : "malformed";
	cli_check_json_free(doc);
	return -1;
}

void
cli_check_json_free(struct cli_check_json *doc)
{
	free(doc->n);
	free(doc->arena);
	memset(doc, 0, sizeof(*doc));
}

const struct cli_check_jnode *
cli_check_json_root(const struct cli_check_json *doc)
{
	return doc->nn > 0 ? &doc->n[0] : NULL;
}

const struct cli_check_jnode *
cli_check_json_first(const struct cli_check_json *doc,
    const struct cli_check_jnode *n)
{
	if (n == NULL || (n->type != CLI_CHECK_JT_OBJ &&
	    n->type != CLI_CHECK_JT_ARR) || n->child < 0)
		return NULL;
	return &doc->n[n->child];
}

const struct cli_check_jnode *
cli_check_json_next(const struct cli_check_json *doc,
    const struct cli_check_jnode *n)
{
	return n == NULL || n->next < 0 ? NULL : &doc->n[n->next];
}

const struct cli_check_jnode *
cli_check_json_get(const struct cli_check_json *doc,
    const struct cli_check_jnode *obj, const char *key)
{
	const struct cli_check_jnode *c;

	if (obj == NULL || obj->type != CLI_CHECK_JT_OBJ)
		return NULL;
	for (c = cli_check_json_first(doc, obj); c != NULL;
	    c = cli_check_json_next(doc, c))
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *
cli_check_json_str(const struct cli_check_json *doc,
    const struct cli_check_jnode *obj, const char *key)
{
	const struct cli_check_jnode *c = cli_check_json_get(doc, obj, key);

	return c != NULL && c->type == CLI_CHECK_JT_STR ? c->str : "";
}

long long
cli_check_json_num(const struct cli_check_json *doc,
    const struct cli_check_jnode *obj, const char *key, long long dflt)
{
	const struct cli_check_jnode *c = cli_check_json_get(doc, obj, key);

	return c != NULL && (c->type == CLI_CHECK_JT_NUM ||
	    c->type == CLI_CHECK_JT_BOOL) ? c->num : dflt;
}
