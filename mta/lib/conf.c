/*
 * conf.c: sealpost.conf parser and validator (see conf.h, sealpost.conf(5)).
 * The parser is table-driven: one row per key says its type, where it goes
 * and its limits, so that a new key is one line here plus its man page text.
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
	CT_STRING,	/* free text without control bytes */
	CT_PATH,	/* absolute path, or empty where allowed */
	CT_NAME,	/* user or group name */
	CT_HOSTNAME,	/* DNS name */
	CT_UINT,
	CT_SIZE,	/* bytes, suffix k m g */
	CT_DURATION,	/* seconds, suffix s m h d w */
	CT_ENUM,
	CT_NETS,
	CT_DOMAINS,
	CT_LISTEN,
	CT_PATHS,
	CT_HOSTPORT,	/* IP literal with optional port */
	CT_NEXTHOP,	/* host, [host], with optional :port */
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* field in struct conf */
	size_t		 size;		/* field size, or element size */
	size_t		 countoff;	/* lists: where the count goes */
	size_t		 max;		/* lists: elements; numbers: maximum */
	size_t		 min;		/* numbers: minimum; paths: 1 = required */
	const char *const *names;	/* enums */
};

static const char *const conf_smtpin_tls_names[] = { "required", "offered",
    NULL };
static const char *const conf_tls_floor_names[] = { "encrypt", "verify",
    NULL };

#define F(f)	offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define L(f, n)	offsetof(struct conf, f), sizeof(((struct conf *)0)->f[0]), \
		offsetof(struct conf, n), \
		sizeof(((struct conf *)0)->f) / sizeof(((struct conf *)0)->f[0])

static const struct conf_key conf_keys[] = {
	{ "hostname", CT_HOSTNAME, F(hostname), 0, 0, 0, NULL },
	{ "spool_dir", CT_PATH, F(spool_dir), 0, 0, 1, NULL },
	{ "run_dir", CT_PATH, F(run_dir), 0, 0, 1, NULL },
	{ "data_dir", CT_PATH, F(data_dir), 0, 0, 1, NULL },
	{ "log_file", CT_PATH, F(log_file), 0, 0, 0, NULL },
	{ "user", CT_NAME, F(user), 0, 0, 0, NULL },
	{ "queue_user", CT_NAME, F(queue_user), 0, 0, 0, NULL },
	{ "control_group", CT_NAME, F(control_group), 0, 0, 0, NULL },
	{ "listen", CT_LISTEN, L(listen, nlisten), 0, NULL },
	{ "tls_cert_file", CT_PATHS, L(tls_cert_file, ntls_cert_file), 0,
	    NULL },
	{ "tls_key_file", CT_PATHS, L(tls_key_file, ntls_key_file), 0, NULL },
	{ "tls_priority", CT_STRING, F(tls_priority), 0, 0, 0, NULL },
	{ "smtpin_tls", CT_ENUM, F(smtpin_tls), 0, 0, 0,
	    conf_smtpin_tls_names },
	{ "smtpin_cleartext_networks", CT_NETS,
	    L(smtpin_cleartext_networks, nsmtpin_cleartext_networks), 0,
	    NULL },
	{ "smtpin_processes", CT_UINT, F(smtpin_processes), 0, 64, 0, NULL },
	{ "smtpin_max_connections", CT_UINT, F(smtpin_max_connections), 0,
	    1000000, 1, NULL },
	{ "smtpin_max_connections_per_ip", CT_UINT,
	    F(smtpin_max_connections_per_ip), 0, 1000000, 1, NULL },
	{ "smtpin_max_errors", CT_UINT, F(smtpin_max_errors), 0, 1000, 1,
	    NULL },
	{ "smtpin_max_commands", CT_UINT, F(smtpin_max_commands), 0,
	    10000000, 10, NULL },
	{ "smtpin_command_timeout", CT_DURATION, F(smtpin_command_timeout),
	    0, 3600, 1, NULL },
	{ "smtpin_data_timeout", CT_DURATION, F(smtpin_data_timeout), 0,
	    86400, 1, NULL },
	{ "smtpin_session_timeout", CT_DURATION, F(smtpin_session_timeout),
	    0, 7 * 86400, 1, NULL },
	{ "smtpin_header_size_limit", CT_SIZE, F(smtpin_header_size_limit),
	    0, (size_t)1 << 30, 1024, NULL },
	{ "queue_min_free", CT_SIZE, F(queue_min_free), 0, (size_t)1 << 40,
	    0, NULL },
	{ "local_domains", CT_DOMAINS, L(local_domains, nlocal_domains), 0,
	    NULL },
	{ "relay_networks", CT_NETS, L(relay_networks, nrelay_networks), 0,
	    NULL },
	{ "message_size_limit", CT_SIZE, F(message_size_limit), 0,
	    (size_t)1 << 32, 1024, NULL },
	{ "recipient_limit", CT_UINT, F(recipient_limit), 0, 100000, 1,
	    NULL },
	{ "dns_resolver", CT_HOSTPORT, F(dns_resolver), 0, 0, 0, NULL },
	{ "tls_ca_file", CT_PATH, F(tls_ca_file), 0, 0, 0, NULL },
	{ "tls_floor", CT_ENUM, F(tls_floor), 0, 0, 0, conf_tls_floor_names },
	{ "tls_policy_file", CT_PATH, F(tls_policy_file), 0, 0, 0, NULL },
	{ "relayhost", CT_NEXTHOP, F(relayhost), 0, 0, 0, NULL },
	{ "retry_min", CT_DURATION, F(retry_min), 0, 7 * 86400, 1, NULL },
	{ "retry_max", CT_DURATION, F(retry_max), 0, 7 * 86400, 1, NULL },
	{ "queue_lifetime", CT_DURATION, F(queue_lifetime), 0, 100 * 86400,
	    60, NULL },
};
#undef F
#undef L

#define CONF_NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))
#define CONF_LINE_MAX	8192

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
	if (line > 0)
		(void)snprintf(err, errlen, "%s:%d: %s", fname, line, msg);
	else
		(void)snprintf(err, errlen, "%s: %s", fname, msg);
	return -1;
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

/* Parses a number with an optional unit suffix; units: {suffix, factor}. */
static int
conf_number(const char *v, const char *suffixes, const uint64_t *factors,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char digits[32];
	const char *p, *errstr;
	size_t n = strlen(v);
	uint64_t val, f = 1;
	long long ll;

	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, v, n + 1);
	if (suffixes != NULL && !isdigit((unsigned char)digits[n - 1])) {
		p = strchr(suffixes, tolower((unsigned char)digits[n - 1]));
		if (p == NULL)
			return -1;
		f = factors[p - suffixes];
		digits[--n] = '\0';
	}
	if (n == 0 || !isdigit((unsigned char)digits[0]))
		return -1;
	ll = strtonum(digits, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	val = (uint64_t)ll;
	if (f != 0 && val > UINT64_MAX / f)
		return -1;
	val *= f;
	if (val < min || val > max)
		return -1;
	*out = val;
	return 0;
}

static int
conf_parse_hostport(const char *v, struct sockaddr_storage *ss)
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
	if (!conf_hostname_ok(host) && conf_parse_hostport(host, &ss) < 0)
		return 0;
	if (*rest == '\0')
		return 1;
	if (*rest != ':')
		return 0;
	(void)strtonum(rest + 1, 1, 65535, &errstr);
	return errstr == NULL;
}

static int
conf_parse_listen(const char *item, struct conf_listen *l)
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
	if ((n = conf_parse_hostport(addr, &l->ss)) < 0)
		return -1;
	l->sslen = (socklen_t)n;
	if (strlcpy(l->text, addr, sizeof(l->text)) >= sizeof(l->text))
		return -1;
	return 0;
}

static int
conf_set(struct conf *c, const struct conf_key *k, char *v, const char *fname,
    int line, char *err, size_t errlen)
{
	static const uint64_t size_f[] = { 1024, 1024 * 1024,
	    1024 * 1024 * 1024 };
	static const uint64_t dur_f[] = { 1, 60, 3600, 86400, 7 * 86400 };
	char *field = (char *)c + k->off, *item, *p;
	size_t *count = (size_t *)(void *)((char *)c + k->countoff);
	uint64_t num;
	size_t i;
	int r;

	switch (k->type) {
	case CT_STRING:
		for (p = v; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return conf_err(err, errlen, fname, line,
				    "%s: control character in value", k->name);
		if (strlcpy(field, v, k->size) >= k->size)
			return conf_err(err, errlen, fname, line,
			    "%s: value too long (at most %zu bytes)", k->name,
			    k->size - 1);
		return 0;
	case CT_PATH:
		if (*v == '\0' && k->min == 0) {
			field[0] = '\0';
			return 0;
		}
		if (*v != '/')
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not an absolute path", k->name, v);
		if (strpbrk(v, " \t") != NULL)
			return conf_err(err, errlen, fname, line,
			    "%s: path contains white space", k->name);
		if (strlcpy(field, v, k->size) >= k->size)
			return conf_err(err, errlen, fname, line,
			    "%s: path too long", k->name);
		return 0;
	case CT_NAME:
		if (*v == '\0' || strlen(v) >= k->size ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    strlen(v) || v[0] == '-')
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not a valid user or group name",
			    k->name, v);
		(void)strlcpy(field, v, k->size);
		return 0;
	case CT_HOSTNAME:
		if (!conf_hostname_ok(v))
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not a valid host name", k->name, v);
		(void)strlcpy(field, v, k->size);
		return 0;
	case CT_UINT:
	case CT_SIZE:
	case CT_DURATION:
		r = conf_number(v, k->type == CT_SIZE ? "kmg" :
		    k->type == CT_DURATION ? "smhdw" : NULL,
		    k->type == CT_SIZE ? size_f : dur_f, k->min, k->max, &num);
		if (r == -1)
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not a %s between %zu and %zu",
			    k->name, v, k->type == CT_SIZE ? "size" :
			    k->type == CT_DURATION ? "duration" : "number",
			    k->min, k->max);
		if (k->size == sizeof(uint64_t))
			*(uint64_t *)(void *)field = num;
		else
			*(unsigned *)(void *)field = (unsigned)num;
		return 0;
	case CT_ENUM:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(v, k->names[i]) == 0) {
				*(int *)(void *)field = (int)i;
				return 0;
			}
		return conf_err(err, errlen, fname, line,
		    "%s: '%s' is not one of the allowed values", k->name, v);
	case CT_HOSTPORT: {
		struct sockaddr_storage ss;

		if (conf_parse_hostport(v, &ss) < 0 ||
		    strlcpy(field, v, k->size) >= k->size)
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not an IP address with optional port",
			    k->name, v);
		return 0;
	}
	case CT_NEXTHOP:
		if (*v != '\0' && !conf_nexthop_ok(v))
			return conf_err(err, errlen, fname, line,
			    "%s: '%s' is not host, [host] or [host]:port",
			    k->name, v);
		if (strlcpy(field, v, k->size) >= k->size)
			return conf_err(err, errlen, fname, line,
			    "%s: value too long", k->name);
		return 0;
	case CT_NETS:
	case CT_DOMAINS:
	case CT_PATHS:
	case CT_LISTEN:
		break;
	}

	/* Lists replace the default wholesale. */
	*count = 0;
	p = v;
	while ((item = conf_next_item(&p, k->type == CT_LISTEN)) != NULL) {
		if (*count >= k->max)
			return conf_err(err, errlen, fname, line,
			    "%s: too many entries (at most %zu)", k->name,
			    k->max);
		field = (char *)c + k->off + *count * k->size;
		switch (k->type) {
		case CT_NETS:
			if (netaddr_parse(item,
			    (struct netaddr_net *)(void *)field) == -1)
				return conf_err(err, errlen, fname, line,
				    "%s: '%s' is not an address or network "
				    "(host bits must be zero)", k->name, item);
			break;
		case CT_DOMAINS:
			if (!conf_hostname_ok(item))
				return conf_err(err, errlen, fname, line,
				    "%s: '%s' is not a valid domain", k->name,
				    item);
			for (i = 0; item[i] != '\0'; i++)
				item[i] = (char)tolower((unsigned char)item[i]);
			(void)strlcpy(field, item, k->size);
			break;
		case CT_PATHS:
			if (*item != '/' || strlcpy(field, item, k->size) >=
			    k->size)
				return conf_err(err, errlen, fname, line,
				    "%s: '%s' is not an absolute path", k->name,
				    item);
			break;
		case CT_LISTEN:
			r = conf_parse_listen(item,
			    (struct conf_listen *)(void *)field);
			if (r == -2)
				return conf_err(err, errlen, fname, line,
				    "%s: '%s': kind must be smtp, submission "
				    "or smtps", k->name, item);
			if (r < 0)
				return conf_err(err, errlen, fname, line,
				    "%s: '%s' is not 'address:port kind'",
				    k->name, item);
			break;
		default:
			break;
		}
		(*count)++;
	}
	return 0;
}

/* The line that set key, or 0 when it kept its default. */
static int
conf_line_of(const int *lines, const char *key)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			return lines[i];
	return 0;
}

/* Checks that concern more than one key; lines[] are where keys were set. */
static int
conf_validate(struct conf *c, const char *fname, const int *lines,
    char *err, size_t errlen)
{
	size_t i, j;

	if (c->ntls_cert_file != c->ntls_key_file)
		return conf_err(err, errlen, fname,
		    conf_line_of(lines, "tls_key_file"),
		    "tls_cert_file has %zu entries but tls_key_file has %zu; "
		    "they must pair up", c->ntls_cert_file, c->ntls_key_file);
	if (c->retry_min > c->retry_max)
		return conf_err(err, errlen, fname,
		    conf_line_of(lines, "retry_min"),
		    "retry_min (%us) is larger than retry_max (%us)",
		    c->retry_min, c->retry_max);
	if (c->nlisten == 0)
		return conf_err(err, errlen, fname,
		    conf_line_of(lines, "listen"),
		    "listen: no listener configured");
	for (i = 0; i < c->nlisten; i++)
		for (j = i + 1; j < c->nlisten; j++)
			if (c->listen[i].sslen == c->listen[j].sslen &&
			    memcmp(&c->listen[i].ss, &c->listen[j].ss,
			    c->listen[i].sslen) == 0)
				return conf_err(err, errlen, fname,
				    conf_line_of(lines, "listen"),
				    "listen: %s appears twice",
				    c->listen[i].text);
	if (strcmp(c->user, c->queue_user) == 0)
		return conf_err(err, errlen, fname,
		    conf_line_of(lines, "queue_user"),
		    "user and queue_user must differ (only the queue may "
		    "write the spool)");
	return 0;
}

int
conf_parse_buf(struct conf *c, const char *fname, const char *text,
    size_t len, char *err, size_t errlen)
{
	char logical[CONF_LINE_MAX], *key, *val, *eq, *end;
	int seen[CONF_NKEYS];
	size_t pos = 0, llen = 0, i;
	int lineno = 0, keyline = 0, have = 0;

	memset(seen, 0, sizeof(seen));
	if (strlcpy(c->path, fname, sizeof(c->path)) >= sizeof(c->path))
		return conf_err(err, errlen, fname, 0, "file name too long");

	for (;;) {
		const char *ln = text + pos;
		size_t n = 0;
		int eof = pos >= len, cont;

		if (!eof) {
			while (pos + n < len && text[pos + n] != '\n')
				n++;
			pos += n + (pos + n < len);
			lineno++;
			for (i = 0; i < n; i++)
				if (ln[i] == '\0' || (ln[i] == '\r' &&
				    i + 1 != n))
					return conf_err(err, errlen, fname,
					    lineno, "NUL or CR byte in line");
			if (n > 0 && ln[n - 1] == '\r')
				n--;
		}
		cont = !eof && n > 0 && (ln[0] == ' ' || ln[0] == '\t');
		/* A continuation of a comment or blank line is junk too. */
		if (cont && have) {
			if (llen + 1 + n >= sizeof(logical))
				return conf_err(err, errlen, fname, lineno,
				    "line too long");
			logical[llen++] = ' ';
			memcpy(logical + llen, ln, n);
			llen += n;
			continue;
		}
		if (have) {
			const struct conf_key *k = NULL;

			logical[llen] = '\0';
			if ((eq = strchr(logical, '=')) == NULL)
				return conf_err(err, errlen, fname, keyline,
				    "expected 'key = value'");
			*eq = '\0';
			key = logical;
			val = eq + 1;
			while (isspace((unsigned char)*key))
				key++;
			end = key + strlen(key);
			while (end > key && isspace((unsigned char)end[-1]))
				*--end = '\0';
			while (isspace((unsigned char)*val))
				val++;
			end = val + strlen(val);
			while (end > val && isspace((unsigned char)end[-1]))
				*--end = '\0';
			for (i = 0; i < CONF_NKEYS; i++)
				if (strcmp(conf_keys[i].name, key) == 0) {
					k = &conf_keys[i];
					break;
				}
			if (k == NULL)
				return conf_err(err, errlen, fname, keyline,
				    "unknown key '%s'", key);
			if (seen[i])
				return conf_err(err, errlen, fname, keyline,
				    "duplicate key '%s' (first set at line %d)",
				    key, seen[i]);
			seen[i] = keyline;
			if (conf_set(c, k, val, fname, keyline, err,
			    errlen) == -1)
				return -1;
			have = 0;
		}
		if (eof)
			break;
		if (cont) {
			/* continuation of nothing: blank-ish unless text */
			for (i = 0; i < n; i++)
				if (!isspace((unsigned char)ln[i]))
					break;
			if (i < n && ln[i] != '#')
				return conf_err(err, errlen, fname, lineno,
				    "continuation line without a key before "
				    "it");
			continue;
		}
		if (n == 0 || ln[0] == '#')
			continue;
		if (n >= sizeof(logical))
			return conf_err(err, errlen, fname, lineno,
			    "line too long");
		memcpy(logical, ln, n);
		llen = n;
		keyline = lineno;
		have = 1;
	}
	return conf_validate(c, fname, seen, err, errlen);
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
			return conf_err(err, errlen, c->path, 0,
			    "hostname: not set and the system host name is "
			    "not a valid DNS name; set hostname");
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
	if (dir[0] != '/' ||
	    conf_join(c->spool_dir, sizeof(c->spool_dir), dir, "spool") ||
	    conf_join(c->run_dir, sizeof(c->run_dir), dir, "run") ||
	    conf_join(c->data_dir, sizeof(c->data_dir), dir, "data"))
		return -1;
	c->devmode = 1;
	return 0;
}
