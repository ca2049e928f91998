/*
 * conf_priv.h: what the two halves of the configuration parser share
 * (doc/design.md §5): conf.c (the keys, the reader, the checks across
 * keys, loading) and conf_value.c (one small parser per type of value).
 * Private to mta/lib/conf*.c.
 */
#ifndef SEALPOST_CONF_PRIV_H
#define SEALPOST_CONF_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

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

/*
 * Writes "fname:line: message" (or "fname: message" when line is 0) into
 * err. Returns -1.
 */
int	conf_err(char *err, size_t errlen, const char *fname, int line,
	    const char *fmt, ...) __attribute__((__format__(printf, 5, 6)));
/* A duration the way an admin writes it ("2h", "90s") into buf. */
void	conf_duration_text(char *buf, size_t size, uint64_t seconds);
/* Whether s is a valid DNS host name (LDH labels). Returns 1 or 0. */
int	conf_hostname_ok(const char *s);
/*
 * Parses v, the value of key k on line of fname, into c with the parser
 * of k's type. Returns 0, or -1 with "file:line: key: what is wrong;
 * what is allowed" in err.
 */
int	conf_set(struct conf *c, const struct conf_key *k, char *v,
	    const char *fname, int line, char *err, size_t errlen);

/*
 * conf_local.c: the keys of the local half, parsed from their text into
 * their fields. Each returns 0, or -1 with the message in err.
 */
int	conf_local_transport_parse(struct conf *c, char *err, size_t errlen);
int	conf_local_recipients_parse(struct conf *c, char *err, size_t errlen);
int	conf_auth_backend_parse(struct conf *c, char *err, size_t errlen);
int	conf_alias_parse(struct conf *c, char *err, size_t errlen);
/* Copies src into dst[0..size), or empties dst when it does not fit. */
void	conf_set_str(char *dst, size_t size, const char *src);

#endif
