/*
 * conf_local.c: the checks of the keys of the local half (doc/design.md
 * §5, §6, §12): local_transport, local_recipients, auth_backend and the
 * alias keys, each parsed from its text into the fields the processes
 * use, with a message naming the key when it is wrong. Private to
 * mta/lib/conf*.c (conf_priv.h); called by conf.c's conf_validate.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "conf_priv.h"

/*
 * local_transport: none, maildir, lmtp:unix:/path or lmtp:inet:host:port
 * (host a DNS name or an address, an IPv6 one in brackets), parsed into
 * local_transport and local_lmtp_* (doc/design.md §12). Returns 0, or -1
 * with the message in err.
 */
int
conf_local_transport_parse(struct conf *c, char *err, size_t errlen)
{
	static const char allowed[] = "none, maildir, lmtp:unix:/path or "
	    "lmtp:inet:host:port (an IPv6 address in brackets)";
	const char *t = c->local_transport_text, *h, *colon, *end, *bad;
	const char *errstr;
	struct in6_addr a6;
	size_t n, i;

	c->local_lmtp_path[0] = c->local_lmtp_host[0] = '\0';
	c->local_lmtp_port = 0;
	if (strcmp(t, "none") == 0) {
		c->local_transport = CONF_LOCAL_NONE;
		return 0;
	}
	if (strcmp(t, "maildir") == 0) {
		c->local_transport = CONF_LOCAL_MAILDIR;
		return 0;
	}
	c->local_transport = CONF_LOCAL_LMTP;
	if (strncmp(t, "lmtp:unix:", 10) == 0) {
		t += 10;
		if (t[0] != '/' || strchr(t, ' ') != NULL ||
		    strlen(t) >= sizeof(c->local_lmtp_path) ||
		    strlen(t) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return conf_key_error(c, "local_transport", err,
			    errlen, "\"%s\": the socket must be an absolute "
			    "path of at most %zu bytes; allowed: %s",
			    c->local_transport_text, sizeof(((struct
			    sockaddr_un *)0)->sun_path) - 1, allowed);
		conf_set_str(c->local_lmtp_path, sizeof(c->local_lmtp_path),
		    t);
		return 0;
	}
	bad = "unknown transport";
	if (strncmp(t, "lmtp:inet:", 10) != 0)
		goto fail;
	h = t + 10;
	if (h[0] == '[') {
		bad = "an IPv6 address in brackets that does not parse";
		if ((end = strchr(h, ']')) == NULL || end[1] != ':')
			goto fail;
		n = (size_t)(end - h - 1);
		if (n == 0 || n >= sizeof(c->local_lmtp_host))
			goto fail;
		memcpy(c->local_lmtp_host, h + 1, n);
		c->local_lmtp_host[n] = '\0';
		if (inet_pton(AF_INET6, c->local_lmtp_host, &a6) != 1)
			goto fail;
		colon = end + 1;
	} else {
		bad = "no port";
		if ((colon = strrchr(h, ':')) == NULL)
			goto fail;
		bad = "no host, or a host that is not a name or an address "
		    "(an IPv6 address goes in brackets)";
		if (colon == h ||
		    (size_t)(colon - h) >= sizeof(c->local_lmtp_host))
			goto fail;
		n = (size_t)(colon - h);
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
			    h[i] != '-' && h[i] != '_')
				goto fail;
		memcpy(c->local_lmtp_host, h, n);
		c->local_lmtp_host[n] = '\0';
	}
	bad = "no port, or a port that is not 1 to 65535";
	c->local_lmtp_port = (unsigned)strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		goto fail;
	return 0;
fail:
	c->local_lmtp_host[0] = '\0';
	c->local_lmtp_port = 0;
	return conf_key_error(c, "local_transport", err, errlen, "\"%s\": %s; "
	    "allowed: %s", c->local_transport_text, bad, allowed);
}

/*
 * local_recipients: who exists in local_domains at RCPT time
 * (doc/design.md §6): "any" alone, or "passwd" and/or one "file:/path",
 * separated by spaces or commas. Fills local_rcpt_any, local_rcpt_passwd
 * and local_rcpt_file. Returns 0, or -1 with the message in err.
 */
int
conf_local_recipients_parse(struct conf *c, char *err, size_t errlen)
{
	static const char allowed[] = "any, or passwd and/or file:/path";
	const char *t = c->local_recipients_text, *w;
	size_t n;
	int any = 0;

	c->local_rcpt_any = c->local_rcpt_passwd = 0;
	c->local_rcpt_file[0] = '\0';
	for (;;) {
		t += strspn(t, " ,\t");
		if (*t == '\0')
			break;
		w = t;
		n = strcspn(t, " ,\t");
		t += n;
		if (n == 3 && strncmp(w, "any", 3) == 0)
			any = 1;
		else if (n == 6 && strncmp(w, "passwd", 6) == 0)
			c->local_rcpt_passwd = 1;
		else if (n > 6 && strncmp(w, "file:/", 6) == 0 &&
		    n - 5 < sizeof(c->local_rcpt_file) &&
		    c->local_rcpt_file[0] == '\0') {
			memcpy(c->local_rcpt_file, w + 5, n - 5);
			c->local_rcpt_file[n - 5] = '\0';
		} else
			return conf_key_error(c, "local_recipients", err,
			    errlen, "\"%.*s\" is not allowed (%s; one file "
			    "at most)", (int)n, w, allowed);
	}
	if (any && (c->local_rcpt_passwd || c->local_rcpt_file[0] != '\0'))
		return conf_key_error(c, "local_recipients", err, errlen,
		    "\"any\" stands alone");
	if (!any && !c->local_rcpt_passwd && c->local_rcpt_file[0] == '\0')
		return conf_key_error(c, "local_recipients", err, errlen,
		    "empty; allowed: %s", allowed);
	c->local_rcpt_any = any;
	return 0;
}

/*
 * auth_backend: empty (AUTH offered nowhere), file:/absolute/path or
 * dovecot:/absolute/path, Dovecot's auth-client socket, which the master
 * connects to for smtpin (doc/design.md §6; it must fit a sun_path).
 * Also checks that auth_fail_delay is not above auth_fail_delay_max.
 * Fills auth_backend, auth_file and auth_socket. Returns 0, or -1 with
 * the message in err. Pure: the file itself is checked by whoever reads
 * it, the socket by whoever connects (Dovecot may start after us).
 */
int
conf_auth_backend_parse(struct conf *c, char *err, size_t errlen)
{
	const char *t = c->auth_backend_text;

	c->auth_backend = CONF_AUTH_NONE;
	c->auth_file[0] = '\0';
	c->auth_socket[0] = '\0';
	if (c->auth_fail_delay > c->auth_fail_delay_max)
		return conf_key_error(c, conf_key_line(c, "auth_fail_delay") ?
		    "auth_fail_delay" : "auth_fail_delay_max", err, errlen,
		    "auth_fail_delay (%us) is above auth_fail_delay_max (%us); "
		    "the first delay must not exceed the longest",
		    c->auth_fail_delay, c->auth_fail_delay_max);
	if (t[0] == '\0')
		return 0;
	if (strncmp(t, "file:", 5) == 0) {
		if (t[5] != '/' || strlcpy(c->auth_file, t + 5,
		    sizeof(c->auth_file)) >= sizeof(c->auth_file)) {
			c->auth_file[0] = '\0';
			return conf_key_error(c, "auth_backend", err, errlen,
			    "\"%s\": not an absolute path of at most %d "
			    "octets; write file:/etc/sealpost/passwd", t,
			    CONF_PATH_MAX - 1);
		}
		c->auth_backend = CONF_AUTH_FILE;
		return 0;
	}
	if (strncmp(t, "dovecot:", 8) == 0) {
		/* 108: sizeof(sun_path) on Linux, with its NUL */
		if (t[8] != '/' || strlen(t + 8) >= 108 ||
		    strlcpy(c->auth_socket, t + 8, sizeof(c->auth_socket)) >=
		    sizeof(c->auth_socket)) {
			c->auth_socket[0] = '\0';
			return conf_key_error(c, "auth_backend", err, errlen,
			    "\"%s\": not an absolute socket path of at most "
			    "107 octets; write "
			    "dovecot:/run/dovecot/auth-client", t);
		}
		c->auth_backend = CONF_AUTH_DOVECOT;
		return 0;
	}
	return conf_key_error(c, "auth_backend", err, errlen, "\"%s\": "
	    "unknown backend; allowed: file:/path (a password file), "
	    "dovecot:/path (Dovecot's auth-client socket)", t);
}

/*
 * The alias keys (doc/design.md §12): alias_file_allow into its flags
 * (commands, files, included; included alone means nothing), and not
 * with local_transport = lmtp, where the local process runs as user and
 * cannot become the alias file's owner; recipient_delimiter one
 * character that can be part of a local part; no domain both local and
 * virtual; default_privs not root.
 * Returns 0, or -1 with the message in err.
 */
int
conf_alias_parse(struct conf *c, char *err, size_t errlen)
{
	char text[sizeof(c->alias_file_allow_text)], *p, *w;
	const char *d = c->recipient_delimiter;
	size_t i, j;

	c->alias_file_allow = 0;
	(void)strlcpy(text, c->alias_file_allow_text, sizeof(text));
	for (p = text; (w = strsep(&p, ", \t")) != NULL;) {
		if (*w == '\0')
			continue;
		if (strcmp(w, "commands") == 0)
			c->alias_file_allow |= CONF_ALIAS_ALLOW_COMMANDS;
		else if (strcmp(w, "files") == 0)
			c->alias_file_allow |= CONF_ALIAS_ALLOW_FILES;
		else if (strcmp(w, "included") == 0)
			c->alias_file_allow |= CONF_ALIAS_ALLOW_INCLUDED;
		else
			return conf_key_error(c, "alias_file_allow", err,
			    errlen, "\"%s\" is not a kind of target; allowed: "
			    "commands, files, included (or nothing)", w);
	}
	if ((c->alias_file_allow & (CONF_ALIAS_ALLOW_COMMANDS |
	    CONF_ALIAS_ALLOW_FILES)) != 0 &&
	    c->local_transport == CONF_LOCAL_LMTP)
		return conf_key_error(c, "alias_file_allow", err, errlen,
		    "commands and files need local_transport = maildir (with "
		    "lmtp the local process cannot become the alias file's "
		    "owner); leave it empty");
	if (d[0] != '\0' && (strchr("@<>()[]\\,;:\"/|", d[0]) != NULL ||
	    (unsigned char)d[0] <= ' ' || (unsigned char)d[0] >= 0x7f))
		return conf_key_error(c, "recipient_delimiter", err, errlen,
		    "\"%s\" cannot separate a user from an extension; one "
		    "character such as + or -, or empty for none", d);
	for (i = 0; i < c->nvirtual_alias_domains; i++)
		for (j = 0; j < c->nlocal_domains; j++)
			if (strcmp(c->virtual_alias_domains[i],
			    c->local_domains[j]) == 0)
				return conf_key_error(c,
				    "virtual_alias_domains", err, errlen,
				    "%s is in local_domains too; a domain is "
				    "either local (its users and aliases) or "
				    "virtual (its virtual aliases only)",
				    c->local_domains[j]);
	if (strcmp(c->default_privs, "root") == 0)
		return conf_key_error(c, "default_privs", err, errlen, "commands "
		    "and files of aliases never run as root; name an "
		    "unprivileged user such as nobody");
	return 0;
}
