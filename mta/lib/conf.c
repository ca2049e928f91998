/*
 * conf.c: sealpost.conf parser and validator (see conf.h, sealpost.conf(5),
 * doc/design.md §5). Two tables drive it: one row per key says its type,
 * where it goes and its limits, and one row per type names the small
 * function that parses a value of that type, so that a new key is one line
 * here plus its man page text. Every message has the one form
 * "file:line: key: what is wrong; what is allowed": an admin fixes the line
 * without opening the manual.
 * Linked by sealpostd, every child process and the CLI.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

const char conf_builtin[] =
    "# built-in configuration: loopback only, for trying sealpost out\n"
    "listen = 127.0.0.1:2525 smtp\n";

enum conf_type {
	CONF_T_STRING,		/* free text without control bytes */
	CONF_T_PATH,		/* absolute path, or empty where allowed */
	CONF_T_NAME,		/* user or group name */
	CONF_T_HOSTNAME,	/* DNS name */
	CONF_T_UINT,
	CONF_T_SIZE,		/* bytes, suffix k m g */
	CONF_T_DURATION,	/* seconds, suffix s m h d w */
	CONF_T_ENUM,
	CONF_T_NETS,
	CONF_T_DOMAINS,
	CONF_T_LISTEN,
	CONF_T_PATHS,
	CONF_T_HOSTPORT,	/* IP literal with optional port */
	CONF_T_NEXTHOP,		/* host, [host], with optional :port */
	CONF_T_COUNT
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* field in struct conf */
	size_t		 size;		/* field size, or element size */
	size_t		 countoff;	/* lists: where the count goes */
	size_t		 max;		/* lists: elements; numbers: maximum */
	size_t		 min;		/* numbers: minimum; paths: 1 =
					   required */
	const char *const *names;	/* enums */
};

static const char *const conf_smtpin_tls_names[] = { "required", "offered",
    NULL };
static const char *const conf_tls_floor_names[] = { "encrypt", "verify",
    NULL };

#define CONF_F(f)	offsetof(struct conf, f), \
			sizeof(((struct conf *)0)->f)
#define CONF_L(f, n)	offsetof(struct conf, f), \
			sizeof(((struct conf *)0)->f[0]), \
			offsetof(struct conf, n), \
			sizeof(((struct conf *)0)->f) / \
			sizeof(((struct conf *)0)->f[0])

static const struct conf_key conf_keys[] = {
	{ "hostname", CONF_T_HOSTNAME, CONF_F(hostname), 0, 0, 0, NULL },
	{ "spool_dir", CONF_T_PATH, CONF_F(spool_dir), 0, 0, 1, NULL },
	{ "run_dir", CONF_T_PATH, CONF_F(run_dir), 0, 0, 1, NULL },
	{ "data_dir", CONF_T_PATH, CONF_F(data_dir), 0, 0, 1, NULL },
	{ "log_file", CONF_T_PATH, CONF_F(log_file), 0, 0, 0, NULL },
	{ "user", CONF_T_NAME, CONF_F(user), 0, 0, 0, NULL },
	{ "queue_user", CONF_T_NAME, CONF_F(queue_user), 0, 0, 0, NULL },
	{ "policy_user", CONF_T_NAME, CONF_F(policy_user), 0, 0, 0, NULL },
	{ "control_group", CONF_T_NAME, CONF_F(control_group), 0, 0, 0,
	    NULL },
	{ "listen", CONF_T_LISTEN, CONF_L(listen, nlisten), 0, NULL },
	{ "tls_cert_file", CONF_T_PATHS,
	    CONF_L(tls_cert_file, ntls_cert_file), 0, NULL },
	{ "tls_key_file", CONF_T_PATHS, CONF_L(tls_key_file, ntls_key_file),
	    0, NULL },
	{ "tls_priority", CONF_T_STRING, CONF_F(tls_priority), 0, 0, 0,
	    NULL },
	{ "smtpin_tls", CONF_T_ENUM, CONF_F(smtpin_tls), 0, 0, 0,
	    conf_smtpin_tls_names },
	{ "smtpin_cleartext_networks", CONF_T_NETS,
	    CONF_L(smtpin_cleartext_networks, nsmtpin_cleartext_networks), 0,
	    NULL },
	{ "smtpin_processes", CONF_T_UINT, CONF_F(smtpin_processes), 0, 64,
	    0, NULL },
	{ "smtpin_max_connections", CONF_T_UINT,
	    CONF_F(smtpin_max_connections), 0, 1000000, 1, NULL },
	{ "smtpin_max_connections_per_ip", CONF_T_UINT,
	    CONF_F(smtpin_max_connections_per_ip), 0, 1000000, 1, NULL },
	{ "smtpin_max_errors", CONF_T_UINT, CONF_F(smtpin_max_errors), 0,
	    1000, 1, NULL },
	{ "smtpin_max_commands", CONF_T_UINT, CONF_F(smtpin_max_commands), 0,
	    10000000, 10, NULL },
	{ "smtpin_command_timeout", CONF_T_DURATION,
	    CONF_F(smtpin_command_timeout), 0, 3600, 1, NULL },
	{ "smtpin_data_timeout", CONF_T_DURATION,
	    CONF_F(smtpin_data_timeout), 0, 86400, 1, NULL },
	{ "smtpin_session_timeout", CONF_T_DURATION,
	    CONF_F(smtpin_session_timeout), 0, 7 * 86400, 1, NULL },
	{ "smtpin_header_size_limit", CONF_T_SIZE,
	    CONF_F(smtpin_header_size_limit), 0, (size_t)1 << 30, 1024, NULL },
	{ "queue_min_free", CONF_T_SIZE, CONF_F(queue_min_free), 0,
	    (size_t)1 << 40, 0, NULL },
	{ "local_domains", CONF_T_DOMAINS,
	    CONF_L(local_domains, nlocal_domains), 0, NULL },
	{ "relay_networks", CONF_T_NETS,
	    CONF_L(relay_networks, nrelay_networks), 0, NULL },
	{ "message_size_limit", CONF_T_SIZE, CONF_F(message_size_limit), 0,
	    (size_t)1 << 32, 1024, NULL },
	{ "recipient_limit", CONF_T_UINT, CONF_F(recipient_limit), 0, 100000,
	    1, NULL },
	{ "dns_resolver", CONF_T_HOSTPORT, CONF_F(dns_resolver), 0, 0, 0,
	    NULL },
	{ "tls_ca_file", CONF_T_PATH, CONF_F(tls_ca_file), 0, 0, 0, NULL },
	{ "tls_floor", CONF_T_ENUM, CONF_F(tls_floor), 0, 0, 0,
	    conf_tls_floor_names },
	{ "tls_policy_file", CONF_T_PATH, CONF_F(tls_policy_file), 0, 0, 0,
	    NULL },
	{ "relayhost", CONF_T_NEXTHOP, CONF_F(relayhost), 0, 0, 0, NULL },
	{ "retry_min", CONF_T_DURATION, CONF_F(retry_min), 0, 7 * 86400, 1,
	    NULL },
	{ "retry_max", CONF_T_DURATION, CONF_F(retry_max), 0, 7 * 86400, 1,
	    NULL },
	{ "queue_lifetime", CONF_T_DURATION, CONF_F(queue_lifetime), 0,
	    100 * 86400, 60, NULL },
};
#undef CONF_F
#undef CONF_L

#define CONF_NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))
#define CONF_LINE_MAX	8192

/* struct conf keeps one line number per row of conf_keys. */
typedef char conf_keys_fit_key_line[CONF_NKEYS <= CONF_KEYS_MAX ? 1 : -1];

/*
 * Postfix's names for what sealpost has under another name: the admins
 * who run sealpost come from Postfix, and main.cf habits are the likeliest
 * unknown keys. Only names whose meaning carries over are listed.
 */
static const struct {
	const char	*postfix;
	const char	*ours;
} conf_postfix_names[] = {
	{ "myhostname", "hostname" },
	{ "mynetworks", "relay_networks" },
	{ "mydestination", "local_domains" },
	{ "queue_directory", "spool_dir" },
	{ "inet_interfaces", "listen" },
	{ "smtpd_tls_cert_file", "tls_cert_file" },
	{ "smtpd_tls_key_file", "tls_key_file" },
	{ "smtpd_tls_security_level", "smtpin_tls" },
	{ "smtpd_recipient_limit", "recipient_limit" },
	{ "smtpd_timeout", "smtpin_command_timeout" },
	{ "smtpd_client_connection_count_limit",
	    "smtpin_max_connections_per_ip" },
	{ "smtp_tls_security_level", "tls_floor" },
	{ "smtp_tls_CAfile", "tls_ca_file" },
	{ "smtp_tls_policy_maps", "tls_policy_file" },
	{ "maximal_queue_lifetime", "queue_lifetime" },
	{ "minimal_backoff_time", "retry_min" },
	{ "maximal_backoff_time", "retry_max" },
};

/* One value being set: what conf_set hands to the parser of its type. */
struct conf_set {
	struct conf		*c;
	const struct conf_key	*k;
	const char		*fname;
	int			 line;
	char			*err;
	size_t			 errlen;
};

/*
 * The parser of a type: the whole value, or, for lists, one entry into
 * the element at field. Each returns 0 or -1 with the message in x->err.
 */
typedef int	conf_parse_fn(const struct conf_set *x, char *value);
typedef int	conf_item_fn(const struct conf_set *x, char *item, void *field);

static int	conf_err(char *, size_t, const char *, int, const char *, ...)
		    __attribute__((__format__(printf, 5, 6)));
static int	conf_set_err(const struct conf_set *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

const char *
conf_listen_kind_name(enum conf_listen_kind k)
{
	switch (k) {
	case CONF_LISTEN_SMTP:
		return "smtp";
	case CONF_LISTEN_SUBMISSION:
		return "submission";
	case CONF_LISTEN_SMTPS:
		return "smtps";
	}
	return "?";
}

static void
conf_set_str(char *dst, size_t size, const char *src)
{
	if (strlcpy(dst, src, size) >= size)
		dst[0] = '\0';
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	conf_set_str(c->path, sizeof(c->path), "<built-in>");
	conf_set_str(c->hostname, sizeof(c->hostname), "");
	conf_set_str(c->spool_dir, sizeof(c->spool_dir), SP_SPOOL);
	conf_set_str(c->run_dir, sizeof(c->run_dir), SP_RUNDIR);
	conf_set_str(c->data_dir, sizeof(c->data_dir), SP_DATADIR);
	conf_set_str(c->user, sizeof(c->user), SP_USER);
	conf_set_str(c->queue_user, sizeof(c->queue_user), SP_QUEUE_USER);
	conf_set_str(c->policy_user, sizeof(c->policy_user), SP_POLICY_USER);
	conf_set_str(c->control_group, sizeof(c->control_group), SP_GROUP);
	conf_set_str(c->tls_priority, sizeof(c->tls_priority),
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:"
	    "+CHACHA20-POLY1305:+AES-256-GCM:+AES-128-GCM:-MAC-ALL:+AEAD:"
	    "-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA");
	c->smtpin_tls = CONF_SMTPIN_TLS_REQUIRED;
	(void)netaddr_parse("127.0.0.0/8", &c->smtpin_cleartext_networks[0]);
	(void)netaddr_parse("::1", &c->smtpin_cleartext_networks[1]);
	c->nsmtpin_cleartext_networks = 2;
	(void)netaddr_parse("127.0.0.0/8", &c->relay_networks[0]);
	(void)netaddr_parse("::1", &c->relay_networks[1]);
	c->nrelay_networks = 2;
	c->smtpin_max_connections = 1000;
	c->smtpin_max_connections_per_ip = 50;
	c->smtpin_max_errors = 10;
	c->smtpin_max_commands = 1000;
	c->smtpin_command_timeout = 300;
	c->smtpin_data_timeout = 600;
	c->smtpin_session_timeout = 3600;
	c->smtpin_header_size_limit = 256 * 1024;
	c->queue_min_free = 100 * 1024 * 1024;
	c->message_size_limit = 25 * 1024 * 1024;
	c->recipient_limit = 100;
	conf_set_str(c->dns_resolver, sizeof(c->dns_resolver), "127.0.0.1:53");
	conf_set_str(c->tls_ca_file, sizeof(c->tls_ca_file),
	    "/etc/ssl/certs/ca-certificates.crt");
	c->tls_floor = CONF_TLS_FLOOR_ENCRYPT;
	c->retry_min = 300;
	c->retry_max = 4000;
	c->queue_lifetime = 5 * 86400;
	/* listen: an explicit file must say where to listen; see validate. */
}

static int
conf_err(char *err, size_t errlen, const char *fname, int line,
    const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A message cut short still names file, line and key: no check. */
	if (line > 0)
		(void)snprintf(err, errlen, "%s:%d: %s", fname, line, msg);
	else
		(void)snprintf(err, errlen, "%s: %s", fname, msg);
	return -1;
}

/* An error about the value being set: "file:line: key: message". */
static int
conf_set_err(const struct conf_set *x, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* cut short: fine */
	va_end(ap);
	return conf_err(x->err, x->errlen, x->fname, x->line, "%s: %s",
	    x->k->name, msg);
}

/* The row of key in conf_keys, or -1. */
static int
conf_key_index(const char *key)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

int
conf_key_line(const struct conf *c, const char *key)
{
	int i = conf_key_index(key);

	return i < 0 ? 0 : c->key_line[i];
}

int
conf_key_error(const struct conf *c, const char *key, char *err,
    size_t errlen, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* cut short: fine */
	va_end(ap);
	return conf_err(err, errlen, c->path, conf_key_line(c, key), "%s: %s",
	    key, msg);
}

static int
conf_hostname_ok(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-')
			return 0;
		if (ch == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return s[len - 1] != '-';
}

/*
 * How numbers of a type are written: the noun for messages, the unit
 * suffixes and their factors, and how to write one (for "what is allowed").
 */
struct conf_units {
	const char	*noun;
	const char	*suffixes;	/* NULL: plain numbers */
	const uint64_t	*factors;
	const char	*how;
};

static const uint64_t conf_size_factors[] = { 1024, 1024 * 1024,
    1024 * 1024 * 1024 };
static const uint64_t conf_duration_factors[] = { 1, 60, 3600, 86400,
    7 * 86400 };
static const struct conf_units conf_units_number = { "number", NULL, NULL,
    "a whole number" };
static const struct conf_units conf_units_size = { "size", "kmg",
    conf_size_factors, "a number of bytes with an optional suffix k, m or g "
    "(KiB, MiB, GiB)" };
static const struct conf_units conf_units_duration = { "duration", "smhdw",
    conf_duration_factors, "a number of seconds with an optional suffix s, "
    "m, h, d or w" };

/*
 * Parses a number with an optional unit suffix. Returns 0 with *out set,
 * -1 when v is not written as a number of its kind, -2 when it is out of
 * [min, max] (or of any integer).
 */
static int
conf_number(const char *v, const struct conf_units *u, uint64_t min,
    uint64_t max, uint64_t *out)
{
	char digits[32];
	const char *p, *errstr;
	size_t n = strlen(v);
	uint64_t val, f = 1;
	long long ll;

	if (n == 0 || n >= sizeof(digits))
		return n == 0 ? -1 : strspn(v, "0123456789") == n ? -2 : -1;
	memcpy(digits, v, n + 1);
	if (u->suffixes != NULL && !isdigit((unsigned char)digits[n - 1])) {
		p = strchr(u->suffixes, tolower((unsigned char)digits[n - 1]));
		if (p == NULL)
			return -1;
		f = u->factors[p - u->suffixes];
		digits[--n] = '\0';
	}
	if (n == 0 || strspn(digits, "0123456789") != n)
		return -1;
	ll = strtonum(digits, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -2;
	val = (uint64_t)ll;
	if (val > UINT64_MAX / f)
		return -2;
	val *= f;
	if (val < min || val > max)
		return -2;
	*out = val;
	return 0;
}

/*
 * Writes v the way an admin writes it: with the largest unit that divides
 * it exactly (4294967296 is "4g", 604800 is "1w", 4000 is "4000s").
 */
static void
conf_number_text(char *buf, size_t size, uint64_t v,
    const struct conf_units *u)
{
	size_t i;
	int n = -1;

	if (u->suffixes != NULL && v != 0)
		for (i = strlen(u->suffixes); i-- > 0 && n < 0;)
			if (v % u->factors[i] == 0)
				n = snprintf(buf, size, "%llu%c",
				    (unsigned long long)(v / u->factors[i]),
				    u->suffixes[i]);
	if (n < 0)
		n = snprintf(buf, size, "%llu", (unsigned long long)v);
	if (n < 0 || (size_t)n >= size)
		(void)strlcpy(buf, "?", size);	/* cannot happen: 32 bytes */
}

/* ---- one small parser per type (conf_types below) ---------------------- */

static int
conf_parse_string(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;
	const char *p;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return conf_set_err(x, "control character (byte "
			    "0x%02x) in the value; use printable characters "
			    "only", (unsigned)(unsigned char)*p);
	if (strlcpy(field, v, x->k->size) >= x->k->size)
		return conf_set_err(x, "value too long (%zu bytes); at most "
		    "%zu bytes", strlen(v), x->k->size - 1);
	return 0;
}

static int
conf_parse_path(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;

	if (*v == '\0' && x->k->min == 0) {
		field[0] = '\0';
		return 0;
	}
	if (*v == '\0')
		return conf_set_err(x, "empty; write an absolute path (this "
		    "key cannot be empty)");
	if (*v != '/')
		return conf_set_err(x, "'%s' is not an absolute path; write a "
		    "path that starts with /", v);
	if (strpbrk(v, " \t") != NULL)
		return conf_set_err(x, "'%s' contains white space; write one "
		    "path without white space", v);
	if (strlcpy(field, v, x->k->size) >= x->k->size)
		return conf_set_err(x, "path too long (%zu bytes); at most %zu "
		    "bytes", strlen(v), x->k->size - 1);
	return 0;
}

static int
conf_parse_name(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;
	size_t n = strlen(v);

	if (n == 0 || n >= x->k->size || v[0] == '-' ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		return conf_set_err(x, "'%s' is not a valid %s name; use "
		    "lower-case letters, digits, _ and -, not starting with -, "
		    "at most %zu characters", v,
		    strstr(x->k->name, "group") != NULL ? "group" : "user",
		    x->k->size - 1);
	if (strlcpy(field, v, x->k->size) >= x->k->size)
		return -1;	/* cannot happen: n < size above */
	return 0;
}

static int
conf_parse_hostname(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;

	if (!conf_hostname_ok(v) || strlcpy(field, v, x->k->size) >=
	    x->k->size)
		return conf_set_err(x, "'%s' is not a valid host name; write a "
		    "DNS name such as mail.example.org (letters, digits, "
		    "hyphens and dots)", v);
	return 0;
}

/* Shared by the three number types: range and units in the admin's terms. */
static int
conf_parse_number(const struct conf_set *x, char *v,
    const struct conf_units *u)
{
	char *field = (char *)x->c + x->k->off;
	char lo[32], hi[32];
	uint64_t num;
	int r;

	r = conf_number(v, u, x->k->min, x->k->max, &num);
	if (r < 0) {
		conf_number_text(lo, sizeof(lo), x->k->min, u);
		conf_number_text(hi, sizeof(hi), x->k->max, u);
		if (r == -2)
			return conf_set_err(x, "%s is out of range; the %s "
			    "must be from %s to %s", v, u->noun, lo, hi);
		return conf_set_err(x, "'%s' is not a %s; write %s, from %s to "
		    "%s", v, u->noun, u->how, lo, hi);
	}
	if (x->k->size == sizeof(uint64_t))
		*(uint64_t *)(void *)field = num;
	else
		*(unsigned *)(void *)field = (unsigned)num;
	return 0;
}

static int
conf_parse_uint(const struct conf_set *x, char *v)
{
	return conf_parse_number(x, v, &conf_units_number);
}

static int
conf_parse_size(const struct conf_set *x, char *v)
{
	return conf_parse_number(x, v, &conf_units_size);
}

static int
conf_parse_duration(const struct conf_set *x, char *v)
{
	return conf_parse_number(x, v, &conf_units_duration);
}

static int
conf_parse_enum(const struct conf_set *x, char *v)
{
	const char *const *names = x->k->names;
	char allowed[256] = "";
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0) {
			*(int *)(void *)((char *)x->c + x->k->off) = (int)i;
			return 0;
		}
	/* "a, b or c" */
	for (i = 0; names[i] != NULL; i++) {
		if (i > 0 && strlcat(allowed, names[i + 1] == NULL ? " or " :
		    ", ", sizeof(allowed)) >= sizeof(allowed))
			break;
		if (strlcat(allowed, names[i], sizeof(allowed)) >=
		    sizeof(allowed))
			break;
	}
	return conf_set_err(x, "'%s' is not a valid value; use %s", v,
	    allowed);
}

static int
conf_hostport(const char *v, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon, *end, *errstr;
	size_t hlen;
	long long port = 53;

	memset(ss, 0, sizeof(*ss));
	if (v[0] == '[') {
		if ((end = strchr(v, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - v - 1);
		v++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strchr(v, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			/* bare IPv6 without port */
			colon = NULL;
		}
		hlen = colon ? (size_t)(colon - v) : strlen(v);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (colon != NULL) {
		port = strtonum(colon + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	if (inet_pton(AF_INET, host,
	    &((struct sockaddr_in *)(void *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)(void *)ss)->sin_port =
		    htons((uint16_t)port);
		return (int)sizeof(struct sockaddr_in);
	}
	if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)(void *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)(void *)ss)->sin6_port =
		    htons((uint16_t)port);
		return (int)sizeof(struct sockaddr_in6);
	}
	return -1;
}

/*
 * Splits the next list item off *p. Items are separated by commas and white
 * space; listen entries ("address:port kind") only by commas. Returns NULL
 * at the end of the list.
 */
static char *
conf_next_item(char **p, int commas_only)
{
	char *s = *p, *start, *end;

	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	start = s;
	while (*s != '\0' && *s != ',' &&
	    (commas_only || !isspace((unsigned char)*s)))
		s++;
	end = s;
	if (*s != '\0')
		s++;
	*end = '\0';
	*p = s;
	while (end > start && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return start;
}

/* Accepts host, host:port, [host] and [host]:port (host a name or an IP). */
static int
conf_nexthop_ok(const char *v)
{
	char host[CONF_DOMAIN_MAX];
	const char *hend, *rest, *errstr;
	size_t hlen;
	struct sockaddr_storage ss;

	if (v[0] == '[') {
		if ((hend = strchr(v, ']')) == NULL)
			return 0;
		hlen = (size_t)(hend - v - 1);
		v++;
		rest = hend + 1;
	} else {
		rest = strchr(v, ':');
		hlen = rest ? (size_t)(rest - v) : strlen(v);
		if (rest == NULL)
			rest = v + hlen;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return 0;
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (!conf_hostname_ok(host) && conf_hostport(host, &ss) < 0)
		return 0;
	if (*rest == '\0')
		return 1;
	if (*rest != ':')
		return 0;
	(void)strtonum(rest + 1, 1, 65535, &errstr);
	return errstr == NULL;
}

static int
conf_listen(const char *item, struct conf_listen *l)
{
	char addr[80];
	const char *sp;
	size_t alen;
	int n;

	sp = strpbrk(item, " \t");
	if (sp == NULL)
		return -1;
	alen = (size_t)(sp - item);
	if (alen >= sizeof(addr))
		return -1;
	memcpy(addr, item, alen);
	addr[alen] = '\0';
	while (isspace((unsigned char)*sp))
		sp++;
	if (strcmp(sp, "smtp") == 0)
		l->kind = CONF_LISTEN_SMTP;
	else if (strcmp(sp, "submission") == 0)
		l->kind = CONF_LISTEN_SUBMISSION;
	else if (strcmp(sp, "smtps") == 0)
		l->kind = CONF_LISTEN_SMTPS;
	else
		return -2;
	/*
	 * address:port with an explicit port: a listener needs one, and an
	 * IPv6 address needs brackets to tell its last group from the port.
	 */
	if (strrchr(addr, ':') == NULL || addr[alen - 1] == ']' ||
	    (addr[0] != '[' && strchr(addr, ':') != strrchr(addr, ':')))
		return -1;
	if ((n = conf_hostport(addr, &l->ss)) < 0)
		return -1;
	l->sslen = (socklen_t)n;
	if (strlcpy(l->text, addr, sizeof(l->text)) >= sizeof(l->text))
		return -1;
	return 0;
}

static int
conf_parse_hostport(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;
	struct sockaddr_storage ss;

	if (conf_hostport(v, &ss) < 0 ||
	    strlcpy(field, v, x->k->size) >= x->k->size)
		return conf_set_err(x, "'%s' is not an IP address with an "
		    "optional port; write e.g. 127.0.0.1, 127.0.0.1:53 or "
		    "[::1]:53 (an address, not a host name)", v);
	return 0;
}

static int
conf_parse_nexthop(const struct conf_set *x, char *v)
{
	char *field = (char *)x->c + x->k->off;

	if (*v != '\0' && !conf_nexthop_ok(v))
		return conf_set_err(x, "'%s' is not host, host:port, [host] or "
		    "[host]:port; write e.g. [smtp.example.net]:587", v);
	if (strlcpy(field, v, x->k->size) >= x->k->size)
		return conf_set_err(x, "value too long (%zu bytes); at most "
		    "%zu bytes", strlen(v), x->k->size - 1);
	return 0;
}

/*
 * The network an admin meant by an address with host bits set
 * ("10.0.0.1/8" is 10.0.0.0/8), into buf; or "" when item is no such thing.
 */
static void
conf_net_meant(const char *item, char *buf, size_t size)
{
	char host[64], text[INET6_ADDRSTRLEN];
	const char *slash = strchr(item, '/'), *errstr;
	unsigned char a[16];
	size_t hlen;
	int af, max, prefix, i, n;

	buf[0] = '\0';
	if (slash == NULL || (hlen = (size_t)(slash - item)) == 0 ||
	    hlen >= sizeof(host))
		return;
	memcpy(host, item, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, a) == 1) {
		af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		af = AF_INET6;
		max = 128;
	} else
		return;
	prefix = (int)strtonum(slash + 1, 0, max, &errstr);
	if (errstr != NULL)
		return;
	for (i = 0; i < max / 8; i++) {
		if (prefix >= (i + 1) * 8)
			continue;
		a[i] &= prefix > i * 8 ? (unsigned char)(0xff <<
		    (8 - (prefix - i * 8))) : 0;
	}
	if (inet_ntop(af, a, text, sizeof(text)) == NULL)
		return;
	n = snprintf(buf, size, "%s/%d", text, prefix);
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
}

static int
conf_item_net(const struct conf_set *x, char *item, void *field)
{
	char meant[INET6_ADDRSTRLEN + 8];

	if (netaddr_parse(item, field) == 0)
		return 0;
	conf_net_meant(item, meant, sizeof(meant));
	if (meant[0] != '\0')
		return conf_set_err(x, "'%s' has bits set beyond its prefix "
		    "length; write the network, %s", item, meant);
	return conf_set_err(x, "'%s' is not an address or network; write "
	    "addresses or networks such as 192.0.2.0/24, 2001:db8::/32 or "
	    "127.0.0.1", item);
}

static int
conf_item_domain(const struct conf_set *x, char *item, void *field)
{
	size_t i;

	if (!conf_hostname_ok(item))
		return conf_set_err(x, "'%s' is not a valid domain; write DNS "
		    "names such as example.org", item);
	for (i = 0; item[i] != '\0'; i++)
		item[i] = (char)tolower((unsigned char)item[i]);
	if (strlcpy(field, item, x->k->size) >= x->k->size)
		return -1;	/* cannot happen: at most 253 bytes */
	return 0;
}

static int
conf_item_path(const struct conf_set *x, char *item, void *field)
{
	if (*item != '/')
		return conf_set_err(x, "'%s' is not an absolute path; write "
		    "paths that start with /", item);
	if (strlcpy(field, item, x->k->size) >= x->k->size)
		return conf_set_err(x, "path too long (%zu bytes); at most %zu "
		    "bytes", strlen(item), x->k->size - 1);
	return 0;
}

static int
conf_item_listen(const struct conf_set *x, char *item, void *field)
{
	const char *kind;
	int r;

	if ((r = conf_listen(item, field)) == 0)
		return 0;
	kind = strpbrk(item, " \t");
	if (kind != NULL)
		kind += strspn(kind, " \t");
	if (r == -2 && strpbrk(kind, " \t") != NULL)
		return conf_set_err(x, "'%s' is not 'address:port kind'; "
		    "separate listen entries with commas", item);
	if (r == -2)
		return conf_set_err(x, "'%s': unknown kind '%s'; the kind is "
		    "smtp, submission or smtps", item, kind);
	return conf_set_err(x, "'%s' is not 'address:port kind'; write "
	    "entries such as 0.0.0.0:25 smtp or [::]:587 submission, "
	    "separated by commas", item);
}

static int	conf_parse_list(const struct conf_set *, char *);

/* The parser of every type; lists have an item parser too. */
static const struct {
	conf_parse_fn	*parse;
	conf_item_fn	*item;
} conf_types[CONF_T_COUNT] = {
	[CONF_T_STRING] = { conf_parse_string, NULL },
	[CONF_T_PATH] = { conf_parse_path, NULL },
	[CONF_T_NAME] = { conf_parse_name, NULL },
	[CONF_T_HOSTNAME] = { conf_parse_hostname, NULL },
	[CONF_T_UINT] = { conf_parse_uint, NULL },
	[CONF_T_SIZE] = { conf_parse_size, NULL },
	[CONF_T_DURATION] = { conf_parse_duration, NULL },
	[CONF_T_ENUM] = { conf_parse_enum, NULL },
	[CONF_T_NETS] = { conf_parse_list, conf_item_net },
	[CONF_T_DOMAINS] = { conf_parse_list, conf_item_domain },
	[CONF_T_LISTEN] = { conf_parse_list, conf_item_listen },
	[CONF_T_PATHS] = { conf_parse_list, conf_item_path },
	[CONF_T_HOSTPORT] = { conf_parse_hostport, NULL },
	[CONF_T_NEXTHOP] = { conf_parse_nexthop, NULL },
};

/* Lists replace the default wholesale; each entry goes to its type's item. */
static int
conf_parse_list(const struct conf_set *x, char *v)
{
	const struct conf_key *k = x->k;
	size_t *count = (size_t *)(void *)((char *)x->c + k->countoff);
	char *item, *p = v;

	*count = 0;
	while ((item = conf_next_item(&p, k->type == CONF_T_LISTEN)) != NULL) {
		if (*count >= k->max)
			return conf_set_err(x, "too many entries; at most %zu",
			    k->max);
		if (conf_types[k->type].item(x, item,
		    (char *)x->c + k->off + *count * k->size) == -1)
			return -1;
		(*count)++;
	}
	return 0;
}

static int
conf_set(struct conf *c, const struct conf_key *k, char *v, const char *fname,
    int line, char *err, size_t errlen)
{
	const struct conf_set x = { c, k, fname, line, err, errlen };

	return conf_types[k->type].parse(&x, v);
}

/* ---- unknown keys: the closest known one ------------------------------- */

/*
 * Optimal string alignment distance (Levenshtein with transpositions):
 * the number of single-character edits from a to b. Both at most 63 bytes.
 */
static size_t
conf_distance(const char *a, const char *b)
{
	unsigned char d[64][64];
	size_t la = strlen(a), lb = strlen(b), i, j, v;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = (size_t)d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if ((size_t)d[i - 1][j] + 1 < v)
				v = (size_t)d[i - 1][j] + 1;
			if ((size_t)d[i][j - 1] + 1 < v)
				v = (size_t)d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    (size_t)d[i - 2][j - 2] + 1 < v)
				v = (size_t)d[i - 2][j - 2] + 1;
			d[i][j] = (unsigned char)v;
		}
	return d[la][lb];
}

/*
 * The message for an unknown key: sealpost's name for a Postfix name, or
 * the closest key when it is a typo away (one edit for short names, two
 * from 5 characters, three from 11), or where the keys are listed.
 */
static int
conf_unknown_key(const char *key, const char *fname, int line, char *err,
    size_t errlen)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX, n = strlen(key), limit;

	for (i = 0; i < sizeof(conf_postfix_names) /
	    sizeof(conf_postfix_names[0]); i++)
		if (strcmp(key, conf_postfix_names[i].postfix) == 0)
			return conf_err(err, errlen, fname, line, "%s: unknown "
			    "key; Postfix's %s is %s in sealpost", key, key,
			    conf_postfix_names[i].ours);
	if (n < 64) {
		/* keys are lower case: "Hostname" is one typo from hostname */
		limit = n <= 4 ? 1 : n <= 10 ? 2 : 3;
		for (i = 0; i < CONF_NKEYS; i++) {
			d = conf_distance(key, conf_keys[i].name);
			if (d < bestd) {
				bestd = d;
				best = conf_keys[i].name;
			}
		}
		if (best != NULL && bestd <= limit)
			return conf_err(err, errlen, fname, line, "%s: unknown "
			    "key; did you mean %s?", key, best);
	}
	return conf_err(err, errlen, fname, line, "%s: unknown key; "
	    "sealpost.conf(5) lists the keys", key);
}

/* ---- checks that concern more than one key ----------------------------- */

static int
conf_validate(struct conf *c, char *err, size_t errlen)
{
	static const char *const users[] = { "user", "queue_user",
	    "policy_user" };
	const char *names[3] = { c->user, c->queue_user, c->policy_user };
	char lo[32], hi[32];
	size_t i, j, a, b;

	if (c->ntls_cert_file != c->ntls_key_file) {
		if (conf_key_line(c, "tls_key_file") == 0)
			return conf_key_error(c, "tls_cert_file", err, errlen,
			    "tls_cert_file has %zu file%s but tls_key_file is "
			    "not set; set tls_key_file to their private keys, "
			    "in the same order", c->ntls_cert_file,
			    c->ntls_cert_file == 1 ? "" : "s");
		return conf_key_error(c, "tls_key_file", err, errlen,
		    "tls_cert_file has %zu file%s but tls_key_file has %zu; "
		    "give one key per certificate, in the same order",
		    c->ntls_cert_file, c->ntls_cert_file == 1 ? "" : "s",
		    c->ntls_key_file);
	}
	if (c->retry_min > c->retry_max) {
		conf_number_text(lo, sizeof(lo), c->retry_min,
		    &conf_units_duration);
		conf_number_text(hi, sizeof(hi), c->retry_max,
		    &conf_units_duration);
		if (conf_key_line(c, "retry_min") == 0)
			return conf_key_error(c, "retry_max", err, errlen,
			    "%s is smaller than retry_min (%s); retry_max must "
			    "not be smaller than retry_min", hi, lo);
		return conf_key_error(c, "retry_min", err, errlen, "%s is "
		    "larger than retry_max (%s); retry_min must not be larger "
		    "than retry_max", lo, hi);
	}
	if (c->nlisten == 0)
		return conf_key_error(c, "listen", err, errlen, "no listener "
		    "configured; add one, e.g. listen = 0.0.0.0:25 smtp");
	for (i = 0; i < c->nlisten; i++)
		for (j = i + 1; j < c->nlisten; j++)
			if (c->listen[i].sslen == c->listen[j].sslen &&
			    memcmp(&c->listen[i].ss, &c->listen[j].ss,
			    c->listen[i].sslen) == 0)
				return conf_key_error(c, "listen", err, errlen,
				    "%s appears twice; listen on each address "
				    "and port once", c->listen[i].text);
	/*
	 * Three users, so that only the queue writes the spool and only the
	 * policy process its cache (doc/design.md §2). The message names the
	 * key set later in the file: the one that made the clash.
	 */
	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++) {
			if (strcmp(names[i], names[j]) != 0)
				continue;
			a = i;
			b = j;
			if (conf_key_line(c, users[i]) >
			    conf_key_line(c, users[j])) {
				a = j;
				b = i;
			}
			return conf_key_error(c, users[b], err, errlen,
			    "%s is also %s; user, queue_user and policy_user "
			    "must be three different users (only the queue may "
			    "write the spool, only the policy process its "
			    "cache)", names[b], users[a]);
		}
	return 0;
}

/* ---- the reader: lines, continuation lines, comments -------------------- */

struct conf_reader {
	struct conf	*c;
	const char	*fname;
	char		*err;
	size_t		 errlen;
	char		 logical[CONF_LINE_MAX];	/* key line + rest */
	size_t		 llen;
	int		 have;		/* logical holds a key line */
	int		 keyline;	/* the line of its key */
	int		 hashline;	/* first line with a comment, or 0 */
};

/*
 * A '#' after white space inside a key's lines, or first on a continuation
 * line: a comment where sealpost allows none (sealpost.conf(5): comments
 * are lines of their own). A '#' inside a word (/etc/ssl/a#1.pem) is data.
 */
static int
conf_has_comment(const char *ln, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (ln[i] == '#' && (ln[i - 1] == ' ' || ln[i - 1] == '\t'))
			return 1;
	return 0;
}

/*
 * The known key that an indented line sets ("  relayhost = x"), or NULL:
 * such a line was meant as a key of its own, not as a continuation.
 */
static const char *
conf_indented_key(const char *ln, size_t n)
{
	char word[64];
	size_t i = 0, w;
	int k;

	while (i < n && (ln[i] == ' ' || ln[i] == '\t'))
		i++;
	for (w = 0; i < n && w + 1 < sizeof(word) &&
	    strchr("abcdefghijklmnopqrstuvwxyz0123456789_", ln[i]) != NULL &&
	    ln[i] != '\0'; i++)
		word[w++] = ln[i];
	word[w] = '\0';
	while (i < n && (ln[i] == ' ' || ln[i] == '\t'))
		i++;
	if (w == 0 || i >= n || ln[i] != '=' || (k = conf_key_index(word)) < 0)
		return NULL;
	return conf_keys[k].name;
}

/* Sets the key of the logical line in r (its lines are all read). */
static int
conf_reader_key(struct conf_reader *r)
{
	char *key, *val, *eq, *end;
	size_t n;
	int i;

	r->logical[r->llen] = '\0';
	r->have = 0;
	key = r->logical;
	while (isspace((unsigned char)*key))
		key++;
	if ((eq = strchr(key, '=')) == NULL) {
		n = strspn(key, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
		if (n == 0)
			return conf_err(r->err, r->errlen, r->fname, r->keyline,
			    "expected 'key = value'");
		key[n] = '\0';
		return conf_err(r->err, r->errlen, r->fname, r->keyline,
		    "%s: no '=' after the key; write '%s = value'", key, key);
	}
	*eq = '\0';
	val = eq + 1;
	end = key + strlen(key);
	while (end > key && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*val))
		val++;
	end = val + strlen(val);
	while (end > val && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*key == '\0')
		return conf_err(r->err, r->errlen, r->fname, r->keyline,
		    "'=' without a key before it; write 'key = value'");
	if ((i = conf_key_index(key)) < 0)
		return conf_unknown_key(key, r->fname, r->keyline, r->err,
		    r->errlen);
	if (r->c->key_line[i] != 0)
		return conf_err(r->err, r->errlen, r->fname, r->keyline,
		    "%s: set twice (first at line %d); set each key once, "
		    "continuing a long value on indented lines", key,
		    r->c->key_line[i]);
	if (r->hashline != 0)
		return conf_err(r->err, r->errlen, r->fname, r->hashline,
		    "%s: a comment after the value; comments go on a line of "
		    "their own, with # in the first column", key);
	r->c->key_line[i] = r->keyline;
	return conf_set(r->c, &conf_keys[i], val, r->fname, r->keyline,
	    r->err, r->errlen);
}

int
conf_parse_buf(struct conf *c, const char *fname, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct conf_reader rd, *r = &rd;
	const char *ikey;
	size_t pos = 0, i, n;
	int lineno = 0, cont;

	if (strlcpy(c->path, fname, sizeof(c->path)) >= sizeof(c->path))
		return conf_err(err, errlen, fname, 0, "file name too long");
	memset(c->key_line, 0, sizeof(c->key_line));
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->fname = fname;
	r->err = err;
	r->errlen = errlen;

	while (pos < len) {
		const char *ln = text + pos;

		for (n = 0; pos + n < len && text[pos + n] != '\n'; n++)
			;
		pos += n + (pos + n < len);
		lineno++;
		for (i = 0; i < n; i++)
			if (ln[i] == '\0' || (ln[i] == '\r' && i + 1 != n))
				return conf_err(err, errlen, fname, lineno,
				    "NUL or CR byte in the line; only a CR "
				    "right before the newline is allowed");
		if (n > 0 && ln[n - 1] == '\r')
			n--;
		cont = n > 0 && (ln[0] == ' ' || ln[0] == '\t');
		if (cont && (ikey = conf_indented_key(ln, n)) != NULL) {
			if (r->have)
				return conf_err(err, errlen, fname, lineno,
				    "%s: this line starts with white space, so "
				    "it continues the key on line %d; remove "
				    "the white space to set %s", ikey,
				    r->keyline, ikey);
			return conf_err(err, errlen, fname, lineno, "%s: this "
			    "line starts with white space, so it would "
			    "continue a key above it, but there is none; "
			    "remove the white space", ikey);
		}
		if (cont && r->have) {
			if (r->llen + 1 + n >= sizeof(r->logical))
				return conf_err(err, errlen, fname, lineno,
				    "line too long with its continuation "
				    "lines; at most %zu bytes",
				    sizeof(r->logical) - 1);
			if (r->hashline == 0 && conf_has_comment(ln, n))
				r->hashline = lineno;
			r->logical[r->llen++] = ' ';
			memcpy(r->logical + r->llen, ln, n);
			r->llen += n;
			continue;
		}
		if (r->have && conf_reader_key(r) == -1)
			return -1;
		if (cont) {
			/*
			 * A continuation of a comment or blank line: junk,
			 * unless it is an indented comment itself.
			 */
			for (i = 0; i < n && isspace((unsigned char)ln[i]); i++)
				;
			if (i < n && ln[i] != '#')
				return conf_err(err, errlen, fname, lineno,
				    "continuation line without a key before "
				    "it; an indented line continues the key "
				    "above it: remove the white space, or move "
				    "the line under its key");
			continue;
		}
		if (n == 0 || ln[0] == '#')
			continue;
		if (n >= sizeof(r->logical))
			return conf_err(err, errlen, fname, lineno, "line too "
			    "long; at most %zu bytes", sizeof(r->logical) - 1);
		memcpy(r->logical, ln, n);
		r->llen = n;
		r->keyline = lineno;
		r->hashline = conf_has_comment(ln, n) ? lineno : 0;
		r->have = 1;
	}
	if (r->have && conf_reader_key(r) == -1)
		return -1;
	return conf_validate(c, err, errlen);
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	ssize_t r;
	size_t got = 0;
	int fd, rv;

	conf_defaults(c);
	if (path == NULL) {
		rv = conf_parse_buf(c, "<built-in>", conf_builtin,
		    sizeof(conf_builtin) - 1, err, errlen);
	} else {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return conf_err(err, errlen, path, 0, "%s",
			    strerror(errno));
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_size > CONF_FILE_MAX) {
			close(fd);
			return conf_err(err, errlen, path, 0,
			    "not a regular file of at most %d bytes",
			    CONF_FILE_MAX);
		}
		if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
			close(fd);
			return conf_err(err, errlen, path, 0, "out of memory");
		}
		while (got < (size_t)st.st_size) {
			r = read(fd, text + got, (size_t)st.st_size - got);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		close(fd);
		rv = conf_parse_buf(c, path, text, got, err, errlen);
		free(text);
	}
	if (rv == 0 && c->hostname[0] == '\0') {
		char hn[CONF_DOMAIN_MAX];

		if (gethostname(hn, sizeof(hn)) == -1 ||
		    !conf_hostname_ok(hn))
			return conf_key_error(c, "hostname", err, errlen,
			    "not set, and the system's host name is not a "
			    "valid DNS name; set hostname to this host's DNS "
			    "name");
		(void)strlcpy(c->hostname, hn, sizeof(c->hostname));
	}
	return rv;
}

static int
conf_join(char *dst, size_t size, const char *dir, const char *leaf)
{
	int n = snprintf(dst, size, "%s/%s", dir, leaf);

	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
conf_devmode(struct conf *c, const char *dir)
{
	static const char *const keys[] = { "spool_dir", "run_dir",
	    "data_dir" };
	size_t i;
	int k;

	if (dir[0] != '/' ||
	    conf_join(c->spool_dir, sizeof(c->spool_dir), dir, "spool") ||
	    conf_join(c->run_dir, sizeof(c->run_dir), dir, "run") ||
	    conf_join(c->data_dir, sizeof(c->data_dir), dir, "data"))
		return -1;
	/* the file's lines no longer say where these are */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((k = conf_key_index(keys[i])) >= 0)
			c->key_line[k] = 0;
	c->devmode = 1;
	return 0;
}
