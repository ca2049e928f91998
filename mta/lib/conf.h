/*
 * conf.h: sealpost.conf, parsed into a typed struct (sealpost.conf(5),
 * doc/design.md §5). `key = value` lines, `#` comments on lines of their
 * own, lists separated by commas and/or white space (listen entries by
 * commas), a line that starts with white space continues the previous one.
 * Unknown keys, duplicate keys and bad values are errors reported as
 * `file:line: key: what is wrong; what is allowed`. The line of every key
 * is kept in the struct so that later checks (sealpostd's, of users,
 * directories and TLS files) name it too.
 * Linked by sealpostd, every child process and the CLI.
 */
#ifndef SEALPOST_CONF_H
#define SEALPOST_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "netaddr.h"

#define CONF_PATH_MAX		256
#define CONF_NAME_MAX		64
#define CONF_DOMAIN_MAX		256
#define CONF_MAX_LISTEN		16
#define CONF_MAX_CERTS		8
#define CONF_MAX_NETS		64
#define CONF_MAX_DOMAINS	64
#define CONF_ERR_MAX		1024	/* file:line: key: two paths, advice */
#define CONF_FILE_MAX		(1024 * 1024)
#define CONF_KEYS_MAX		96	/* room for the line of each key */

enum conf_listen_kind {
	CONF_LISTEN_SMTP,		/* port 25: STARTTLS offered */
	CONF_LISTEN_SUBMISSION,		/* 587: STARTTLS before AUTH/MAIL */
	CONF_LISTEN_SMTPS,		/* 465: implicit TLS (RFC 8314) */
	CONF_LISTEN_PICKUP,		/* unix:/path: local submission by
					   sendmail(8), doc/design.md §6 */
};

/*
 * The pickup socket sealpostd always opens in run_dir, besides the
 * listeners of `listen` (doc/design.md §3): sendmail(8) finds it there.
 */
#define CONF_PICKUP_SOCKET	"pickup"

enum conf_smtpin_tls {
	CONF_SMTPIN_TLS_REQUIRED,
	CONF_SMTPIN_TLS_OFFERED,
};

enum conf_tls_floor {
	CONF_TLS_FLOOR_ENCRYPT,
	CONF_TLS_FLOOR_VERIFY,
};

enum conf_address_family {
	CONF_AF_ANY,
	CONF_AF_IPV4,
	CONF_AF_IPV6,
};

/* Who checks SMTP AUTH passwords (doc/design.md §6); auth_backend. */
enum conf_auth_backend {
	CONF_AUTH_NONE,		/* unset: AUTH is offered nowhere */
	CONF_AUTH_FILE,		/* file:PATH, lib/passwd_file.h */
	CONF_AUTH_DOVECOT,	/* dovecot:PATH, Dovecot's auth-client socket */
};

/* How mail for local_domains is delivered (doc/design.md §12). */
enum conf_local_transport {
	CONF_LOCAL_NONE,	/* not at all: local recipients wait */
	CONF_LOCAL_MAILDIR,	/* into ~user/local_maildir */
	CONF_LOCAL_LMTP,	/* LMTP to local_lmtp_path or _host:_port */
};

/* alias_file_allow: what an alias file may name besides addresses
   (doc/design.md §12); the values of smtp/aliases.h's ALIASES_ALLOW_*. */
#define CONF_ALIAS_ALLOW_COMMANDS	0x01	/* "|command" */
#define CONF_ALIAS_ALLOW_FILES		0x02	/* "/file" */
#define CONF_ALIAS_ALLOW_INCLUDED	0x04	/* ... in :include: too */

struct conf_listen {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	enum conf_listen_kind	kind;
	char			text[120];	/* as written, for logs */
};

struct conf {
	char			path[CONF_PATH_MAX];	/* "<built-in>" if none */
	char			hostname[CONF_DOMAIN_MAX];
	char			spool_dir[CONF_PATH_MAX];
	char			run_dir[CONF_PATH_MAX];
	char			data_dir[CONF_PATH_MAX];
	char			log_file[CONF_PATH_MAX];
	int			log_format;	/* 0 text, 1 json (§9) */
	int			audit_chain;	/* 0 no, 1 yes: prev= (§9) */
	char			user[CONF_NAME_MAX];
	char			queue_user[CONF_NAME_MAX];
	char			policy_user[CONF_NAME_MAX];
	char			control_group[CONF_NAME_MAX];
	struct conf_listen	listen[CONF_MAX_LISTEN];
	size_t			nlisten;
	char			tls_cert_file[CONF_MAX_CERTS][CONF_PATH_MAX];
	size_t			ntls_cert_file;
	char			tls_key_file[CONF_MAX_CERTS][CONF_PATH_MAX];
	size_t			ntls_key_file;
	/* the key (or certificate) of the next rollover, per certificate:
	   read only by `sealpost check --self` (doc/design.md §8) */
	char			tls_next_key_file[CONF_MAX_CERTS][CONF_PATH_MAX];
	size_t			ntls_next_key_file;
	char			tls_priority[512];
	enum conf_smtpin_tls	smtpin_tls;
	struct netaddr_net	smtpin_cleartext_networks[CONF_MAX_NETS];
	size_t			nsmtpin_cleartext_networks;
	unsigned		smtpin_processes;	/* 0: one per core */
	unsigned		smtpin_max_connections;	/* all processes */
	unsigned		smtpin_max_connections_per_ip;
	unsigned		smtpin_max_errors;	/* per session */
	unsigned		smtpin_max_commands;	/* per session */
	unsigned		smtpin_command_timeout;	/* seconds */
	unsigned		smtpin_data_timeout;	/* seconds, whole DATA */
	unsigned		smtpin_session_timeout;	/* seconds */
	uint64_t		smtpin_header_size_limit;	/* bytes */
	uint64_t		queue_min_free;		/* bytes */
	char			local_domains[CONF_MAX_DOMAINS][CONF_DOMAIN_MAX];
	size_t			nlocal_domains;
	struct netaddr_net	relay_networks[CONF_MAX_NETS];
	size_t			nrelay_networks;
	uint64_t		message_size_limit;	/* bytes */
	unsigned		recipient_limit;
	char			dns_resolver[80];	/* address[:port] */
	char			tls_ca_file[CONF_PATH_MAX];
	enum conf_tls_floor	tls_floor;
	char			tls_policy_file[CONF_PATH_MAX];
	char			relayhost[CONF_DOMAIN_MAX + 16];
	unsigned		retry_min;		/* seconds */
	unsigned		retry_max;		/* seconds */
	unsigned		queue_lifetime;		/* seconds */
	unsigned		delay_warning_time;	/* seconds, 0 = off */
	uint64_t		bounce_size_limit;	/* bytes returned */
	char			bounce_notice_recipient[CONF_DOMAIN_MAX];
	unsigned		queue_active_limit;	/* messages in memory */
	enum conf_tls_floor	relayhost_tls;
	unsigned		smtpout_concurrency;	/* sessions in all */
	unsigned		smtpout_destination_concurrency;
	enum conf_address_family smtpout_address_family;
	unsigned		smtpout_connect_timeout;	/* seconds */
	unsigned		smtpout_command_timeout;	/* seconds */
	unsigned		smtpout_data_timeout;		/* seconds */
	unsigned		smtpout_data_done_timeout;	/* seconds */
	unsigned		smtpout_reuse_time;	/* idle, seconds */
	unsigned		smtpout_reuse_limit;	/* messages */
	char			smtpout_auth_file[CONF_PATH_MAX];
	unsigned		policy_memory_time;	/* seconds, 0 = off */
	unsigned		mta_sts_fetch_timeout;	/* seconds */
	/* the DKIM key of sealpost tlsrpt's report mails (RFC 8460 §3,
	   doc/design.md §8): "" none; d= dkim_domain, else hostname's */
	char			dkim_key_file[CONF_PATH_MAX];
	char			dkim_selector[64];
	char			dkim_domain[CONF_DOMAIN_MAX];
	enum conf_local_transport local_transport;
	char			local_maildir[CONF_PATH_MAX];	/* relative
							   to the home */
	/* local_transport as written; conf_validate parses it into
	   local_transport and the three below (doc/design.md §12) */
	char			local_transport_text[CONF_PATH_MAX + 16];
	char			local_lmtp_path[CONF_PATH_MAX];	/* lmtp:unix:
							   "" for inet */
	char			local_lmtp_host[CONF_DOMAIN_MAX]; /* lmtp:inet:
							   name or address,
							   no brackets */
	unsigned		local_lmtp_port;
	unsigned		local_lmtp_connect_timeout;	/* seconds */
	unsigned		local_lmtp_command_timeout;	/* seconds */
	unsigned		local_lmtp_data_timeout;	/* seconds */
	unsigned		local_min_uid;	/* no Maildir below it */
	/* local_recipients as written; conf_validate fills the three
	   below (doc/design.md §6) */
	char			local_recipients_text[CONF_PATH_MAX + 32];
	int			local_rcpt_any;		/* no RCPT check */
	int			local_rcpt_passwd;	/* users >= min uid */
	char			local_rcpt_file[CONF_PATH_MAX];
	/* SMTP AUTH on submission (doc/design.md §6, issue 12) */
	char			auth_backend_text[CONF_PATH_MAX + 16];
	enum conf_auth_backend	auth_backend;	/* from auth_backend_text */
	char			auth_file[CONF_PATH_MAX];	/* file:PATH */
	char			auth_socket[CONF_PATH_MAX];	/* dovecot:PATH */
	int			smtpin_auth_on_smtp;	/* 0 no, 1 yes */
	unsigned		auth_fail_window;	/* seconds */
	unsigned		auth_fail_max_per_ip;	/* 0: no limit */
	unsigned		auth_fail_max_per_login; /* 0: no limit */
	unsigned		auth_fail_delay;	/* seconds */
	unsigned		auth_fail_delay_max;	/* seconds */
	char			sender_login_file[CONF_PATH_MAX];
	/* aliases in local delivery (doc/design.md §12, issue 12) */
	char			alias_file[CONF_PATH_MAX];	/* "" none */
	char			alias_file_allow_text[64];
	unsigned		alias_file_allow;	/* ALIASES_ALLOW_*,
							   from the text */
	char			virtual_alias_file[CONF_PATH_MAX];
	char			virtual_alias_domains[CONF_MAX_DOMAINS]
				    [CONF_DOMAIN_MAX];
	size_t			nvirtual_alias_domains;
	char			recipient_delimiter[2];	/* "" none */
	unsigned		alias_expansion_limit;
	char			default_privs[CONF_NAME_MAX];

	/*
	 * The line that set each key, 0 while it has its default; indexed
	 * in the order of conf.c's key table: use conf_key_line().
	 */
	int			key_line[CONF_KEYS_MAX];

	/* Not from the file: set by sealpostd -u (development mode). */
	int			devmode;
};

/* The built-in configuration used when no file exists (README quick start). */
extern const char conf_builtin[];

/* Fills every key with its documented default. Pure. */
void	conf_defaults(struct conf *);
/*
 * Parses len bytes of configuration text named fname (for messages) over
 * the values already in *c (normally conf_defaults), and records the line
 * of every key it sets (conf_key_line). Returns 0, or -1 with
 * "fname:line: key: what is wrong; what is allowed" in err (the first
 * error; "fname: key: ..." when the key at fault kept its default). Pure.
 */
int	conf_parse_buf(struct conf *c, const char *fname, const char *text,
	    size_t len, char *err, size_t errlen);
/*
 * Loads a configuration: defaults, then the file at path (or conf_builtin
 * when path is NULL), then the host name from gethostname(2) when the file
 * sets none. Returns 0 or -1 with the message in err.
 */
int	conf_load(struct conf *c, const char *path, char *err, size_t errlen);
/*
 * Development mode: no chroot, no user switch, spool, run and data
 * directories under dir. Returns 0, or -1 if dir is too long.
 */
int	conf_devmode(struct conf *c, const char *dir);
/* The keyword for a listener kind ("smtp", "submission", "smtps",
   "pickup"). */
const char *conf_listen_kind_name(enum conf_listen_kind);
/*
 * The line of the file that set key, or 0 when the key kept its default
 * (or was replaced by sealpostd -u). An unknown key name returns 0. Pure.
 */
int	conf_key_line(const struct conf *c, const char *key);
/*
 * Of keys[i] and keys[j], which two settings clash, sets *first to the
 * index of the one set earlier and *later to the one set later in the
 * file (the one that made the clash, which a message should name). Pure.
 */
void	conf_key_order(const struct conf *c, const char *const *keys,
	    size_t i, size_t j, size_t *first, size_t *later);
/*
 * Formats an error about key in the one form of every configuration
 * message: "file:line: key: message", or "file: key: message" when the key
 * kept its default. message should read "what is wrong; what is allowed".
 * Always returns -1, for `return conf_key_error(...)`.
 */
int	conf_key_error(const struct conf *c, const char *key, char *err,
	    size_t errlen, const char *fmt, ...)
	    __attribute__((__format__(printf, 5, 6)));

#endif
