/*
 * passwd_file.c: the local password file of SMTP AUTH, pure over the
 * text the caller read (doc/design.md §1.5): checking, lookup, and
 * verification with libxcrypt (crypt_rn, crypt_checksalt).  The format
 * and the replies are in passwd_file.h.  Linked by smtpin and sealpostd
 * (planned, issue 12).
 */
#include "config.h"

#include <crypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "passwd_file.h"

/*
 * What an unknown or locked login is checked against, so that it costs
 * what a real entry costs (the default yescrypt cost): the hash of a
 * password nobody knows; it never decides anything.
 */
#define PASSWD_FILE_DUMMY \
	"$y$j9T$3kWgFqNALYnwdB/lC5uOn1$" \
	"wnotq/iVN/Q5pg3i61fYLcGxMZpFr35fNgW6S2M8/D6"

/* The methods we take: yescrypt, bcrypt, sha512-crypt. */
static const char *const passwd_file_methods[] = {
	"$y$", "$2b$", "$2y$", "$6$", NULL
};

int
passwd_file_hash_ok(const char *hash, size_t hashlen, struct reason *why)
{
	char set[CRYPT_OUTPUT_SIZE];
	size_t i, n;
	int rc;

	if (hashlen > 0 && (hash[0] == '!' || hash[0] == '*'))
		return 0;		/* locked */
	if (hashlen == 0 || hashlen >= sizeof(set) ||
	    memchr(hash, '\0', hashlen) != NULL)
		return reason_set(why, 454, "4.7.0", "hash empty or malformed");
	for (i = 0; passwd_file_methods[i] != NULL; i++) {
		n = strlen(passwd_file_methods[i]);
		if (hashlen > n && memcmp(hash, passwd_file_methods[i], n) == 0)
			break;
	}
	if (passwd_file_methods[i] == NULL)
		return reason_set(why, 454, "4.7.0", "hash method not accepted "
		    "(yescrypt, bcrypt or sha512-crypt only)");
	memcpy(set, hash, hashlen);
	set[hashlen] = '\0';
	rc = crypt_checksalt(set);
	if (rc != CRYPT_SALT_OK)
		return reason_set(why, 454, "4.7.0", "hash refused by "
		    "crypt_checksalt (%s)", rc == CRYPT_SALT_INVALID ?
		    "invalid" : rc == CRYPT_SALT_METHOD_DISABLED ? "disabled" :
		    rc == CRYPT_SALT_METHOD_LEGACY ? "legacy" : "too cheap");
	return 1;
}

/* A login: 1..255 octets, no ':', no white space or control byte. */
static int
passwd_file_login_ok(const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	if (len == 0 || len > PASSWD_FILE_LOGIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || c == ':')
			return 0;
	}
	return 1;
}

/*
 * Parses one line (without LF) into *e.  Returns 1 for an entry, 0 for
 * a line to ignore, -1 with *why.
 */
static int
passwd_file_line(const char *p, size_t len, struct passwd_file_entry *e,
    struct reason *why)
{
	const char *c1, *c2;
	size_t i;

	if (len == 0 || p[0] == '#')
		return 0;
	if (len > PASSWD_FILE_LINE_MAX)
		return reason_set(why, 454, "4.7.0", "line too long");
	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return reason_set(why, 454, "4.7.0",
			    "control byte in line");
	if ((c1 = memchr(p, ':', len)) == NULL)
		return reason_set(why, 454, "4.7.0",
		    "expected login:hash[:extra]");
	e->login = p;
	e->loginlen = (size_t)(c1 - p);
	if (!passwd_file_login_ok(e->login, e->loginlen))
		return reason_set(why, 454, "4.7.0", "bad login");
	e->hash = c1 + 1;
	c2 = memchr(e->hash, ':', len - e->loginlen - 1);
	if (c2 == NULL) {
		e->hashlen = len - e->loginlen - 1;
		e->extra = p + len;
		e->extralen = 0;
	} else {
		e->hashlen = (size_t)(c2 - e->hash);
		e->extra = c2 + 1;
		e->extralen = len - (size_t)(e->extra - p);
	}
	if (memchr(e->hash, '\t', e->hashlen) != NULL ||
	    memchr(e->hash, ' ', e->hashlen) != NULL)
		return reason_set(why, 454, "4.7.0", "white space in hash");
	if (passwd_file_hash_ok(e->hash, e->hashlen, why) == -1)
		return -1;
	return 1;
}

/*
 * Walks the text: calls back for every entry (stop when the callback
 * returns non-zero).  Returns the callback's value, 0 at the end, or -1
 * with *lineno and *why for a bad line.
 */
static int
passwd_file_walk(const char *text, size_t len, size_t *lineno,
    int (*cb)(const struct passwd_file_entry *, void *), void *arg,
    struct reason *why)
{
	struct passwd_file_entry e;
	const char *p = text, *end = text + len, *nl;
	size_t n = 0, ll;
	int rc;

	while (p < end) {
		n++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			ll = (size_t)(end - p);	/* last line without LF */
		else
			ll = (size_t)(nl - p);
		memset(&e, 0, sizeof(e));
		e.lineno = n;
		if ((rc = passwd_file_line(p, ll, &e, why)) == -1) {
			*lineno = n;
			return -1;
		}
		if (rc == 1 && (rc = cb(&e, arg)) != 0) {
			*lineno = n;
			return rc;
		}
		p += ll + (nl != NULL ? 1 : 0);
	}
	return 0;
}

struct passwd_file_check_ctx {
	const char	*text;
	size_t		 len;
	long		 count;
	struct reason	*why;
};

static int
passwd_file_dup_cb(const struct passwd_file_entry *e, void *arg)
{
	const struct passwd_file_entry *first = arg;

	if (e->lineno < first->lineno && e->loginlen == first->loginlen &&
	    memcmp(e->login, first->login, e->loginlen) == 0)
		return 1;
	return e->lineno >= first->lineno ? 2 : 0;	/* 2: none before */
}

static int
passwd_file_check_cb(const struct passwd_file_entry *e, void *arg)
{
	struct passwd_file_check_ctx *c = arg;
	struct passwd_file_entry key = *e;
	size_t ln;

	/* a login that an earlier line has too (quadratic: small files) */
	if (passwd_file_walk(c->text, c->len, &ln, passwd_file_dup_cb, &key,
	    c->why) == 1) {
		(void)reason_set(c->why, 454, "4.7.0",
		    "login also on line %zu", ln);
		return -2;
	}
	c->count++;
	return 0;
}

long
passwd_file_check(const char *text, size_t len, size_t *lineno,
    struct reason *why)
{
	struct passwd_file_check_ctx c;

	*lineno = 0;
	c.text = text;
	c.len = len;
	c.count = 0;
	c.why = why;
	if (passwd_file_walk(text, len, lineno, passwd_file_check_cb, &c,
	    why) != 0)
		return -1;
	return c.count;
}

struct passwd_file_find_ctx {
	const char			*login;
	size_t				 loginlen;
	struct passwd_file_entry	*out;
};

static int
passwd_file_find_cb(const struct passwd_file_entry *e, void *arg)
{
	struct passwd_file_find_ctx *f = arg;

	if (e->loginlen != f->loginlen ||
	    memcmp(e->login, f->login, e->loginlen) != 0)
		return 0;
	*f->out = *e;
	return 1;
}

int
passwd_file_find(const char *text, size_t len, const char *login,
    size_t loginlen, struct passwd_file_entry *e, struct reason *why)
{
	struct passwd_file_find_ctx f;
	struct reason line;
	size_t ln;
	int rc;

	f.login = login;
	f.loginlen = loginlen;
	f.out = e;
	rc = passwd_file_walk(text, len, &ln, passwd_file_find_cb, &f, &line);
	if (rc == -1)
		(void)reason_set(why, 454, "4.7.0",
		    "password file: line %zu: %s", ln, line.text);
	return rc;
}

/* Compares in time that depends on len only. */
static int
passwd_file_ct_equal(const char *a, const char *b, size_t len)
{
	volatile unsigned char acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return acc == 0;
}

enum passwd_file_result
passwd_file_verify(const char *hash, size_t hashlen, const char *passwd,
    size_t passlen, struct reason *why)
{
	struct crypt_data data;
	char set[CRYPT_OUTPUT_SIZE], pw[PASSWD_FILE_PASS_MAX + 1];
	const char *out;
	enum passwd_file_result res = PASSWD_FILE_BAD;
	int ok;

	if ((ok = passwd_file_hash_ok(hash, hashlen, why)) == -1)
		return PASSWD_FILE_ERROR;
	if (ok == 0) {
		/* locked: the same work as a real entry, then no */
		(void)passwd_file_verify(PASSWD_FILE_DUMMY,
		    sizeof(PASSWD_FILE_DUMMY) - 1, passwd, passlen, NULL);
		(void)reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
		return PASSWD_FILE_BAD;
	}
	memset(&data, 0, sizeof(data));
	memcpy(set, hash, hashlen);
	set[hashlen] = '\0';
	if (passlen == 0 || passlen > PASSWD_FILE_PASS_MAX ||
	    memchr(passwd, '\0', passlen) != NULL) {
		/* cannot match; do the work anyway */
		pw[0] = '\0';
		out = crypt_rn("", set, &data, (int)sizeof(data));
		goto done;
	}
	memcpy(pw, passwd, passlen);
	pw[passlen] = '\0';
	out = crypt_rn(pw, set, &data, (int)sizeof(data));
	if (out == NULL) {
		res = PASSWD_FILE_ERROR;
		(void)reason_set(why, 454, "4.7.0", "crypt_rn failed");
		goto wipe;
	}
	if (strlen(out) == hashlen && passwd_file_ct_equal(out, set, hashlen))
		res = PASSWD_FILE_OK;
done:
	if (res == PASSWD_FILE_BAD)
		(void)reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
wipe:
	explicit_bzero(&data, sizeof(data));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(set, sizeof(set));
	return res;
}

enum passwd_file_result
passwd_file_auth(const char *text, size_t len, const char *login,
    size_t loginlen, const char *passwd, size_t passlen,
    struct passwd_file_entry *e, struct reason *why)
{
	struct passwd_file_entry ent;
	enum passwd_file_result res;
	int rc;

	rc = passwd_file_find(text, len, login, loginlen, &ent, why);
	if (rc == -1)
		return PASSWD_FILE_ERROR;
	if (rc == 0) {
		(void)passwd_file_verify(PASSWD_FILE_DUMMY,
		    sizeof(PASSWD_FILE_DUMMY) - 1, passwd, passlen, NULL);
		(void)reason_set(why, 535, "5.7.8",
		    "Authentication credentials invalid");
		return PASSWD_FILE_BAD;
	}
	res = passwd_file_verify(ent.hash, ent.hashlen, passwd, passlen, why);
	if (res == PASSWD_FILE_OK && e != NULL)
		*e = ent;
	return res;
}
