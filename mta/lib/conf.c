/*
 * conf.c: sealpost.conf parser and validator (see conf.h, sealpost.conf(5),
 * doc/design.md §5): the keys, the reader of lines, the checks that
 * concern several keys, loading. Two tables drive it: one row per key here
 * says its type, where it goes and its limits, and one row per type in
 * conf_value.c names the small function that parses a value of that type,
 * so that a new key is one line here plus its man page text. Every message has the one form
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
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conf_priv.h"

const char conf_builtin[] =
    "# built-in configuration: loopback only, for trying sealpost out\n"
    "listen = 127.0.0.1:2525 smtp\n";

static const char *const conf_smtpin_tls_names[] = { "required", "offered",
    NULL };
static const char *const conf_tls_floor_names[] = { "encrypt", "verify",
    NULL };
static const char *const conf_af_names[] = { "any", "ipv4", "ipv6", NULL };
static const char *const conf_no_yes_names[] = { "no", "yes", NULL };
static const char *const conf_log_format_names[] = { "text", "json", NULL };

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
	{ "log_format", CONF_T_ENUM, CONF_F(log_format), 0, 0, 0,
	    conf_log_format_names },
	{ "audit_chain", CONF_T_ENUM, CONF_F(audit_chain), 0, 0, 0,
	    conf_no_yes_names },
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
	{ "tls_next_key_file", CONF_T_PATHS,
	    CONF_L(tls_next_key_file, ntls_next_key_file), 0, NULL },
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
	{ "delay_warning_time", CONF_T_DURATION, CONF_F(delay_warning_time),
	    0, 100 * 86400, 0, NULL },
	{ "bounce_size_limit", CONF_T_SIZE, CONF_F(bounce_size_limit), 0,
	    (size_t)1 << 30, 0, NULL },
	{ "bounce_notice_recipient", CONF_T_STRING,
	    CONF_F(bounce_notice_recipient), 0, 0, 0, NULL },
	{ "queue_active_limit", CONF_T_UINT, CONF_F(queue_active_limit), 0,
	    1000000, 1, NULL },
	{ "relayhost_tls", CONF_T_ENUM, CONF_F(relayhost_tls), 0, 0, 0,
	    conf_tls_floor_names },
	{ "smtpout_concurrency", CONF_T_UINT, CONF_F(smtpout_concurrency), 0,
	    10000, 1, NULL },
	{ "smtpout_destination_concurrency", CONF_T_UINT,
	    CONF_F(smtpout_destination_concurrency), 0, 10000, 1, NULL },
	{ "smtpout_address_family", CONF_T_ENUM,
	    CONF_F(smtpout_address_family), 0, 0, 0, conf_af_names },
	{ "local_transport", CONF_T_STRING, CONF_F(local_transport_text), 0,
	    0, 0, NULL },
	{ "local_lmtp_connect_timeout", CONF_T_DURATION,
	    CONF_F(local_lmtp_connect_timeout), 0, 3600, 1, NULL },
	{ "local_lmtp_command_timeout", CONF_T_DURATION,
	    CONF_F(local_lmtp_command_timeout), 0, 3600, 1, NULL },
	{ "local_lmtp_data_timeout", CONF_T_DURATION,
	    CONF_F(local_lmtp_data_timeout), 0, 3600, 1, NULL },
	{ "local_maildir", CONF_T_STRING, CONF_F(local_maildir), 0, 0, 0,
	    NULL },
	{ "local_min_uid", CONF_T_UINT, CONF_F(local_min_uid), 0, 2147483647,
	    0, NULL },
	{ "local_recipients", CONF_T_STRING, CONF_F(local_recipients_text), 0,
	    0, 0, NULL },
	{ "smtpout_connect_timeout", CONF_T_DURATION,
	    CONF_F(smtpout_connect_timeout), 0, 3600, 1, NULL },
	{ "smtpout_command_timeout", CONF_T_DURATION,
	    CONF_F(smtpout_command_timeout), 0, 3600, 1, NULL },
	{ "smtpout_data_timeout", CONF_T_DURATION,
	    CONF_F(smtpout_data_timeout), 0, 3600, 1, NULL },
	{ "smtpout_data_done_timeout", CONF_T_DURATION,
	    CONF_F(smtpout_data_done_timeout), 0, 3600, 1, NULL },
	{ "smtpout_reuse_time", CONF_T_DURATION, CONF_F(smtpout_reuse_time),
	    0, 3600, 0, NULL },
	{ "smtpout_reuse_limit", CONF_T_UINT, CONF_F(smtpout_reuse_limit), 0,
	    100000, 1, NULL },
	{ "smtpout_auth_file", CONF_T_PATH, CONF_F(smtpout_auth_file), 0, 0,
	    0, NULL },
	{ "auth_backend", CONF_T_STRING, CONF_F(auth_backend_text), 0, 0, 0,
	    NULL },
	{ "smtpin_auth_on_smtp", CONF_T_ENUM, CONF_F(smtpin_auth_on_smtp), 0,
	    0, 0, conf_no_yes_names },
	{ "auth_fail_window", CONF_T_DURATION, CONF_F(auth_fail_window), 0,
	    86400, 1, NULL },
	{ "auth_fail_max_per_ip", CONF_T_UINT, CONF_F(auth_fail_max_per_ip),
	    0, 100000, 0, NULL },
	{ "auth_fail_max_per_login", CONF_T_UINT,
	    CONF_F(auth_fail_max_per_login), 0, 100000, 0, NULL },
	{ "auth_fail_delay", CONF_T_DURATION, CONF_F(auth_fail_delay), 0, 60,
	    0, NULL },
	{ "auth_fail_delay_max", CONF_T_DURATION, CONF_F(auth_fail_delay_max),
	    0, 300, 0, NULL },
	{ "sender_login_file", CONF_T_PATH, CONF_F(sender_login_file), 0, 0,
	    0, NULL },
	{ "alias_file", CONF_T_PATH, CONF_F(alias_file), 0, 0, 0, NULL },
	{ "alias_file_allow", CONF_T_STRING, CONF_F(alias_file_allow_text), 0,
	    0, 0, NULL },
	{ "virtual_alias_file", CONF_T_PATH, CONF_F(virtual_alias_file), 0, 0,
	    0, NULL },
	{ "virtual_alias_domains", CONF_T_DOMAINS,
	    CONF_L(virtual_alias_domains, nvirtual_alias_domains), 0, NULL },
	{ "recipient_delimiter", CONF_T_STRING, CONF_F(recipient_delimiter),
	    0, 0, 0, NULL },
	{ "alias_expansion_limit", CONF_T_UINT, CONF_F(alias_expansion_limit),
	    0, 100000, 1, NULL },
	{ "default_privs", CONF_T_NAME, CONF_F(default_privs), 0, 0, 0, NULL },
	{ "policy_memory_time", CONF_T_DURATION, CONF_F(policy_memory_time),
	    0, 3650 * 86400, 0, NULL },
	{ "mta_sts_fetch_timeout", CONF_T_DURATION,
	    CONF_F(mta_sts_fetch_timeout), 0, 600, 1, NULL },
	{ "dkim_key_file", CONF_T_PATH, CONF_F(dkim_key_file), 0, 0, 0, NULL },
	{ "dkim_selector", CONF_T_HOSTNAME, CONF_F(dkim_selector), 0, 0, 0,
	    NULL },
	{ "dkim_domain", CONF_T_HOSTNAME, CONF_F(dkim_domain), 0, 0, 0, NULL },
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
	{ "2bounce_notice_recipient", "bounce_notice_recipient" },
	{ "qmgr_message_active_limit", "queue_active_limit" },
	{ "default_destination_concurrency_limit",
	    "smtpout_destination_concurrency" },
	{ "smtp_connect_timeout", "smtpout_connect_timeout" },
	{ "smtp_sasl_password_maps", "smtpout_auth_file" },
	{ "smtp_address_preference", "smtpout_address_family" },
};


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
	case CONF_LISTEN_PICKUP:
		return "pickup";
	}
	return "?";
}

void
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
	    "+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:"
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
	c->retry_max = 3600;
	c->queue_lifetime = 5 * 86400;
	c->delay_warning_time = 0;
	c->bounce_size_limit = 50000;
	conf_set_str(c->bounce_notice_recipient,
	    sizeof(c->bounce_notice_recipient), "postmaster");
	c->queue_active_limit = 20000;
	c->relayhost_tls = CONF_TLS_FLOOR_VERIFY;
	c->smtpout_concurrency = 100;
	c->smtpout_destination_concurrency = 20;
	c->smtpout_address_family = CONF_AF_ANY;
	c->local_transport = CONF_LOCAL_NONE;
	conf_set_str(c->local_transport_text, sizeof(c->local_transport_text),
	    "none");
	c->local_lmtp_connect_timeout = 30;
	c->local_lmtp_command_timeout = 300;
	c->local_lmtp_data_timeout = 600;
	conf_set_str(c->local_maildir, sizeof(c->local_maildir), "Maildir");
	c->local_min_uid = 1000;
	conf_set_str(c->local_recipients_text, sizeof(c->local_recipients_text),
	    "passwd");
	c->local_rcpt_passwd = 1;
	c->policy_memory_time = 7 * 86400;
	c->mta_sts_fetch_timeout = 60;
	conf_set_str(c->dkim_selector, sizeof(c->dkim_selector), "sealpost");
	c->smtpout_connect_timeout = 30;
	c->smtpout_command_timeout = 300;
	c->smtpout_data_timeout = 180;
	c->smtpout_data_done_timeout = 600;
	c->smtpout_reuse_time = 5;
	c->smtpout_reuse_limit = 100;
	/* SMTP AUTH (doc/design.md §6): off until auth_backend is set */
	c->auth_backend = CONF_AUTH_NONE;
	c->auth_fail_window = 600;
	c->auth_fail_max_per_ip = 10;
	c->auth_fail_max_per_login = 20;
	c->auth_fail_delay = 1;
	c->auth_fail_delay_max = 15;
	/* aliases (doc/design.md §12): /etc/aliases, no |cmd or /file */
	conf_set_str(c->alias_file, sizeof(c->alias_file), "/etc/aliases");
	conf_set_str(c->recipient_delimiter, sizeof(c->recipient_delimiter),
	    "+");
	c->alias_expansion_limit = 1000;
	conf_set_str(c->default_privs, sizeof(c->default_privs), "nobody");
	/* listen: an explicit file must say where to listen; see validate. */
}

int
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

void
conf_key_order(const struct conf *c, const char *const *keys, size_t i,
    size_t j, size_t *first, size_t *later)
{
	*first = i;
	*later = j;
	if (conf_key_line(c, keys[i]) > conf_key_line(c, keys[j])) {
		*first = j;
		*later = i;
	}
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
	{
		const char *bnr = c->bounce_notice_recipient, *at;
		size_t k;

		at = strchr(bnr, '@');
		for (k = 0; bnr[k] != '\0'; k++)
			if ((unsigned char)bnr[k] <= ' ' || bnr[k] == '<' ||
			    bnr[k] == '>' || (unsigned char)bnr[k] >= 0x7f)
				break;
		if (bnr[0] == '\0' || bnr[k] != '\0' || bnr[0] == '@' ||
		    (at != NULL && (at[1] == '\0' || strchr(at + 1, '@'))))
			return conf_key_error(c, "bounce_notice_recipient",
			    err, errlen, "\"%s\" is not an address; a user "
			    "name such as postmaster, or user@domain", bnr);
	}
	{
		/* a path below the recipient's home, never above it */
		const char *md = c->local_maildir, *p;
		int bad = md[0] == '\0' || md[0] == '/';

		for (p = md; !bad && *p != '\0'; p = strchr(p, '/') ?
		    strchr(p, '/') + 1 : p + strlen(p))
			if (strncmp(p, "..", 2) == 0 && (p[2] == '/' ||
			    p[2] == '\0'))
				bad = 1;
		if (bad)
			return conf_key_error(c, "local_maildir", err, errlen,
			    "\"%s\" is not a directory below the home; write "
			    "it relative, e.g. Maildir", md);
	}
	if (conf_local_transport_parse(c, err, errlen) == -1 ||
	    conf_local_recipients_parse(c, err, errlen) == -1)
		return -1;
	if (conf_auth_backend_parse(c, err, errlen) == -1)
		return -1;
	if (conf_alias_parse(c, err, errlen) == -1)
		return -1;
	if (c->retry_min > c->retry_max) {
		conf_duration_text(lo, sizeof(lo), c->retry_min);
		conf_duration_text(hi, sizeof(hi), c->retry_max);
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
			conf_key_order(c, users, i, j, &a, &b);
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
	struct buf text;
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
		buf_init(&text, CONF_FILE_MAX);
		if (buf_read_fd(&text, fd) == -1) {
			close(fd);
			buf_free(&text);
			return conf_err(err, errlen, path, 0, "%s",
			    errno == ENOBUFS ? "grew past the limit while read" :
			    strerror(errno));
		}
		close(fd);
		rv = conf_parse_buf(c, path, text.data != NULL ? text.data : "",
		    text.len, err, errlen);
		buf_free(&text);
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
