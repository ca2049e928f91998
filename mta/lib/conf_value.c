/*
 * conf_value.c: the values of sealpost.conf, one small parser per type
 * (doc/design.md §5): strings, paths, names, host names, numbers with
 * their units, enumerations, lists (networks, domains, paths, listeners),
 * address and next hop. Each refuses a bad value with a message that
 * says what is allowed. Pure. Linked with conf.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "conf_priv.h"

static int	conf_set_err(const struct conf_set *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

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

int
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

void
conf_duration_text(char *buf, size_t size, uint64_t seconds)
{
	conf_number_text(buf, size, seconds, &conf_units_duration);
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

/*
 * unix:/path (an absolute path that fits sun_path) for the pickup kind
 * (doc/design.md §6). Returns 0 or -1.
 */
static int
conf_listen_unix(const char *addr, struct conf_listen *l)
{
	struct sockaddr_un *sun;
	const char *path = addr + 5;
	size_t plen = strlen(path);

	memset(&l->ss, 0, sizeof(l->ss));
	sun = (struct sockaddr_un *)(void *)&l->ss;
	if (path[0] != '/' || plen >= sizeof(sun->sun_path))
		return -1;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, plen + 1);
	l->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    plen + 1);
	return 0;
}

static int
conf_listen(const char *item, struct conf_listen *l)
{
	char addr[120];
	const char *sp;
	size_t alen;
	int n, isunix;

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
	isunix = strncmp(addr, "unix:", 5) == 0;
	if (strcmp(sp, "smtp") == 0)
		l->kind = CONF_LISTEN_SMTP;
	else if (strcmp(sp, "submission") == 0)
		l->kind = CONF_LISTEN_SUBMISSION;
	else if (strcmp(sp, "smtps") == 0)
		l->kind = CONF_LISTEN_SMTPS;
	else if (strcmp(sp, "pickup") == 0)
		l->kind = CONF_LISTEN_PICKUP;
	else
		return -2;
	/* local submission only on a UNIX socket, the network never on one */
	if (isunix != (l->kind == CONF_LISTEN_PICKUP))
		return -3;
	if (isunix) {
		if (conf_listen_unix(addr, l) == -1)
			return -1;
	} else {
		/*
		 * address:port with an explicit port: a listener needs one,
		 * and an IPv6 address needs brackets to tell its last group
		 * from the port.
		 */
		if (strrchr(addr, ':') == NULL || addr[alen - 1] == ']' ||
		    (addr[0] != '[' &&
		    strchr(addr, ':') != strrchr(addr, ':')))
			return -1;
		if ((n = conf_hostport(addr, &l->ss)) < 0)
			return -1;
		l->sslen = (socklen_t)n;
	}
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
		    "smtp, submission or smtps, or pickup on unix:/path", item,
		    kind);
	if (r == -3)
		return conf_set_err(x, "'%s': the pickup kind listens on "
		    "unix:/path and only there; write e.g. "
		    "unix:/run/sealpost/submit pickup", item);
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

int
conf_set(struct conf *c, const struct conf_key *k, char *v, const char *fname,
    int line, char *err, size_t errlen)
{
	const struct conf_set x = { c, k, fname, line, err, errlen };

	return conf_types[k->type].parse(&x, v);
}

