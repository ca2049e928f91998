/*
 * test_conf.c: sealpost.conf parsing and validation, table-style: good
 * files give the typed values, bad ones name the file, line and key, say
 * what is wrong and what is allowed (sealpost.conf(5), doc/design.md §5).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/conf.h"

static int
parse(struct conf *c, const char *text, char *err, size_t errlen)
{
	conf_defaults(c);
	return conf_parse_buf(c, "test.conf", text, strlen(text), err,
	    errlen);
}

static void
test_good_file(void **state)
{
	static const char text[] =
	    "# sealpost test\n"
	    "hostname = mx.example.org\n"
	    "\n"
	    "listen = 127.0.0.1:25 smtp, [::1]:587 submission,\n"
	    "    0.0.0.0:465 smtps\n"
	    "local_domains = Example.ORG example.net,example.com\n"
	    "relay_networks = 192.0.2.0/24 2001:db8::/32\n"
	    "message_size_limit = 10m\n"
	    "recipient_limit = 50\n"
	    "retry_min = 1m\n"
	    "retry_max = 2h\n"
	    "queue_lifetime = 3d\n"
	    "smtpin_tls = offered\n"
	    "tls_floor = verify\n"
	    "dns_resolver = [::1]:5353\n"
	    "relayhost = [smarthost.example.org]:587\n"
	    "tls_cert_file = /etc/a.pem /etc/b.pem\n"
	    "tls_key_file = /etc/a.key,/etc/b.key\n"
	    "policy_user = _policy\n"
	    "delay_warning_time = 4h\n"
	    "bounce_notice_recipient = hostmaster@example.org\n"
	    "smtpout_address_family = ipv6\n"
	    "relayhost_tls = encrypt\n"
	    "smtpout_destination_concurrency = 5\n"
	    "log_file = /var/log/sealpost.log\r\n";
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX] = "";
	struct sockaddr_in6 *s6;

	(void)state;
	assert_int_equal(parse(c, text, err, sizeof(err)), 0);
	assert_string_equal(c->hostname, "mx.example.org");
	assert_int_equal(c->nlisten, 3);
	assert_int_equal(c->listen[0].kind, CONF_LISTEN_SMTP);
	assert_int_equal(c->listen[1].kind, CONF_LISTEN_SUBMISSION);
	assert_int_equal(c->listen[2].kind, CONF_LISTEN_SMTPS);
	s6 = (struct sockaddr_in6 *)(void *)&c->listen[1].ss;
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 587);
	assert_int_equal(c->nlocal_domains, 3);
	assert_string_equal(c->local_domains[0], "example.org");
	assert_string_equal(c->local_domains[2], "example.com");
	assert_int_equal(c->nrelay_networks, 2);
	assert_int_equal(c->message_size_limit, 10 * 1024 * 1024);
	assert_int_equal(c->recipient_limit, 50);
	assert_int_equal(c->retry_min, 60);
	assert_int_equal(c->retry_max, 7200);
	assert_int_equal(c->queue_lifetime, 3 * 86400);
	assert_int_equal(c->delay_warning_time, 4 * 3600);
	assert_string_equal(c->bounce_notice_recipient,
	    "hostmaster@example.org");
	assert_int_equal(c->smtpout_address_family, CONF_AF_IPV6);
	assert_int_equal(c->relayhost_tls, CONF_TLS_FLOOR_ENCRYPT);
	assert_int_equal(c->smtpout_destination_concurrency, 5);
	assert_int_equal(c->smtpout_concurrency, 100);
	assert_int_equal(c->smtpin_tls, CONF_SMTPIN_TLS_OFFERED);
	assert_int_equal(c->tls_floor, CONF_TLS_FLOOR_VERIFY);
	assert_string_equal(c->relayhost, "[smarthost.example.org]:587");
	assert_int_equal(c->ntls_cert_file, 2);
	assert_string_equal(c->tls_key_file[1], "/etc/b.key");
	assert_string_equal(c->log_file, "/var/log/sealpost.log");
	assert_string_equal(c->policy_user, "_policy");
	test_free(c);
}

/*
 * Every key's line is remembered, for the checks after parsing (sealpostd
 * -n) to name it; a key that kept its default has none.
 */
static void
test_key_lines(void **state)
{
	static const char text[] =
	    "# lines\n"
	    "listen = 127.0.0.1:25 smtp,\n"
	    "    127.0.0.1:587 submission\n"
	    "\n"
	    "user = _u\n"
	    "tls_cert_file = /etc/ssl/a#1.pem\n"
	    "tls_key_file = /etc/ssl/a.key\n"
	    "\n"
	    "  # an indented comment after an empty line is a comment\n";
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX] = "";

	(void)state;
	if (parse(c, text, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(conf_key_line(c, "listen"), 2);
	assert_int_equal(conf_key_line(c, "user"), 5);
	assert_int_equal(conf_key_line(c, "tls_key_file"), 7);
	assert_int_equal(conf_key_line(c, "queue_user"), 0);
	assert_int_equal(conf_key_line(c, "no_such_key"), 0);
	/* a '#' inside a word is data: only " #" starts a (refused) comment */
	assert_string_equal(c->tls_cert_file[0], "/etc/ssl/a#1.pem");
	assert_int_equal(conf_key_error(c, "user", err, sizeof(err),
	    "no such user %s; create it", c->user), -1);
	assert_string_equal(err, "test.conf:5: user: no such user _u; create "
	    "it");
	(void)conf_key_error(c, "queue_user", err, sizeof(err), "x; y");
	assert_string_equal(err, "test.conf: queue_user: x; y");
	/* sealpostd -u replaces the directories: their lines no longer hold */
	assert_int_equal(parse(c, "listen = 127.0.0.1:25 smtp\n"
	    "spool_dir = /var/spool/x\n", err, sizeof(err)), 0);
	assert_int_equal(conf_key_line(c, "spool_dir"), 2);
	assert_int_equal(conf_devmode(c, "/tmp/dev"), 0);
	assert_int_equal(conf_key_line(c, "spool_dir"), 0);
	test_free(c);
}

static void
test_defaults(void **state)
{
	struct conf *c = test_malloc(sizeof(*c));

	(void)state;
	conf_defaults(c);
	assert_int_equal(c->smtpin_tls, CONF_SMTPIN_TLS_REQUIRED);
	assert_int_equal(c->tls_floor, CONF_TLS_FLOOR_ENCRYPT);
	assert_int_equal(c->recipient_limit, 100);
	assert_int_equal(c->nsmtpin_cleartext_networks, 2);
	assert_string_equal(c->user, SP_USER);
	assert_string_equal(c->queue_user, SP_QUEUE_USER);
	assert_string_equal(c->policy_user, SP_POLICY_USER);
	assert_int_equal(conf_key_line(c, "user"), 0);
	test_free(c);
}

struct bad_case {
	const char	*text;
	const char	*err;		/* expected message, file:line: ... */
};

static void
test_bad_files(void **state)
{
	static const struct bad_case cases[] = {
		/* unknown keys: the closest known key, Postfix's names */
		{ "listen = 127.0.0.1:25 smtp\nbogus_key = 1\n",
		    "test.conf:2: bogus_key: unknown key; sealpost.conf(5) "
		    "lists the keys" },
		{ "listen = 127.0.0.1:25 smtp\nrelay_host = [smart]:587\n",
		    "test.conf:2: relay_host: unknown key; did you mean "
		    "relayhost?" },
		{ "listen = 127.0.0.1:25 smtp\nHostname = mx.example.org\n",
		    "test.conf:2: Hostname: unknown key; did you mean "
		    "hostname?" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limt = 5\n",
		    "test.conf:2: recipient_limt: unknown key; did you mean "
		    "recipient_limit?" },
		{ "listen = 127.0.0.1:25 smtp\nsmtpd_banner = hello\n",
		    "test.conf:2: smtpd_banner: unknown key; sealpost.conf(5) "
		    "lists the keys" },
		{ "listen = 127.0.0.1:25 smtp\nmynetworks = 10.0.0.0/8\n",
		    "test.conf:2: mynetworks: unknown key; Postfix's "
		    "mynetworks is relay_networks in sealpost" },
		/* numbers, sizes and durations: units and range as written */
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = many\n",
		    "test.conf:2: recipient_limit: 'many' is not a number; "
		    "write a whole number, from 1 to 100000" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = 0\n",
		    "test.conf:2: recipient_limit: 0 is out of range; the "
		    "number must be from 1 to 100000" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = -5\n",
		    "test.conf:2: recipient_limit: '-5' is not a number" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "recipient_limit = 99999999999999999999999\n",
		    "test.conf:2: recipient_limit: 99999999999999999999999 is "
		    "out of range; the number must be from 1 to 100000" },
		{ "listen = 127.0.0.1:25 smtp\nmessage_size_limit = 5x\n",
		    "test.conf:2: message_size_limit: '5x' is not a size; "
		    "write a number of bytes with an optional suffix k, m or g "
		    "(KiB, MiB, GiB), from 1k to 4g" },
		{ "listen = 127.0.0.1:25 smtp\nmessage_size_limit = 8g\n",
		    "test.conf:2: message_size_limit: 8g is out of range; the "
		    "size must be from 1k to 4g" },
		{ "listen = 127.0.0.1:25 smtp\nretry_min = 5 min\n",
		    "test.conf:2: retry_min: '5 min' is not a duration; write "
		    "a number of seconds with an optional suffix s, m, h, d or "
		    "w, from 1s to 1w" },
		{ "listen = 127.0.0.1:25 smtp\nqueue_lifetime = 30s\n",
		    "test.conf:2: queue_lifetime: 30s is out of range; the "
		    "duration must be from 1m to 100d" },
		/* enumerations list their values */
		{ "# c\n\nlisten = 127.0.0.1:25 smtp\nsmtpin_tls = maybe\n",
		    "test.conf:4: smtpin_tls: 'maybe' is not a valid value; "
		    "use required or offered" },
		{ "listen = 127.0.0.1:25 smtp\ntls_floor = dane\n",
		    "test.conf:2: tls_floor: 'dane' is not a valid value; use "
		    "encrypt or verify" },
		/* comments after a value, indented keys */
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = 100 # per "
		    "message\n",
		    "test.conf:2: recipient_limit: a comment after the value; "
		    "comments go on a line of their own, with # in the first "
		    "column" },
		{ "listen = 127.0.0.1:25 smtp,\n    # and submission\n"
		    "    127.0.0.1:587 submission\n",
		    "test.conf:2: listen: a comment after the value; comments "
		    "go on a line of their own" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = 100\n"
		    "  message_size_limit = 10m\n",
		    "test.conf:3: message_size_limit: this line starts with "
		    "white space, so it continues the key on line 2; remove "
		    "the white space to set message_size_limit" },
		{ "\tlisten = 127.0.0.1:25 smtp\n",
		    "test.conf:1: listen: this line starts with white space, "
		    "so it would continue a key above it, but there is none; "
		    "remove the white space" },
		{ "   indented = 1\n",
		    "test.conf:1: continuation line without a key before it" },
		{ "listen = 127.0.0.1:25 smtp\n# note\n  more text\n",
		    "test.conf:3: continuation line without a key before it" },
		/* listen */
		{ "listen = 127.0.0.1 smtp\n",
		    "test.conf:1: listen: '127.0.0.1 smtp' is not "
		    "'address:port kind'; write entries such as 0.0.0.0:25 "
		    "smtp" },
		{ "listen = 127.0.0.1:25 pop3\n",
		    "test.conf:1: listen: '127.0.0.1:25 pop3': unknown kind "
		    "'pop3'; the kind is smtp, submission or smtps" },
		{ "listen = 127.0.0.1:25 smtp 127.0.0.1:587 submission\n",
		    "test.conf:1: listen: '127.0.0.1:25 smtp 127.0.0.1:587 "
		    "submission' is not 'address:port kind'; separate listen "
		    "entries with commas" },
		{ "listen = 127.0.0.1:99999 smtp\n", "test.conf:1: listen:" },
		{ "listen = ::1:25 smtp\n", "test.conf:1: listen: '::1:25 smtp'" },
		{ "listen = [::1] smtp\n", "test.conf:1: listen: '[::1] smtp'" },
		{ "listen = 127.0.0.1:25 smtp\nlisten = 127.0.0.1:26 smtp\n",
		    "test.conf:2: listen: set twice (first at line 1); set "
		    "each key once" },
		{ "hostname = x.example\n",
		    "test.conf: listen: no listener configured; add one, e.g. "
		    "listen = 0.0.0.0:25 smtp" },
		{ "listen =\n",
		    "test.conf:1: listen: no listener configured" },
		{ "listen = 127.0.0.1:25 smtp, 127.0.0.1:25 submission\n",
		    "test.conf:1: listen: 127.0.0.1:25 appears twice; listen "
		    "on each address and port once" },
		/* networks: the network meant */
		{ "listen = 127.0.0.1:25 smtp\nrelay_networks = 10.0.0.1/8\n",
		    "test.conf:2: relay_networks: '10.0.0.1/8' has bits set "
		    "beyond its prefix length; write the network, 10.0.0.0/8" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "smtpin_cleartext_networks = 2001:db8::1/32\n",
		    "test.conf:2: smtpin_cleartext_networks: '2001:db8::1/32' "
		    "has bits set beyond its prefix length; write the network, "
		    "2001:db8::/32" },
		{ "listen = 127.0.0.1:25 smtp\nrelay_networks = lan\n",
		    "test.conf:2: relay_networks: 'lan' is not an address or "
		    "network; write addresses or networks such as "
		    "192.0.2.0/24" },
		/* paths, names, host names */
		{ "listen = 127.0.0.1:25 smtp\nspool_dir = relative/dir\n",
		    "test.conf:2: spool_dir: 'relative/dir' is not an absolute "
		    "path; write a path that starts with /" },
		{ "listen = 127.0.0.1:25 smtp\nspool_dir =\n",
		    "test.conf:2: spool_dir: empty; write an absolute path" },
		{ "listen = 127.0.0.1:25 smtp\ntls_cert_file = cert.pem\n"
		    "tls_key_file = /k\n",
		    "test.conf:2: tls_cert_file: 'cert.pem' is not an absolute "
		    "path; write paths that start with /" },
		{ "listen = 127.0.0.1:25 smtp\nhostname = bad_host!\n",
		    "test.conf:2: hostname: 'bad_host!' is not a valid host "
		    "name; write a DNS name such as mail.example.org" },
		{ "listen = 127.0.0.1:25 smtp\nhostname\n",
		    "test.conf:2: hostname: no '=' after the key; write "
		    "'hostname = value'" },
		{ "listen = 127.0.0.1:25 smtp\n= 5\n",
		    "test.conf:2: '=' without a key before it; write 'key = "
		    "value'" },
		{ "listen = 127.0.0.1:25 smtp\nuser = Root;\n",
		    "test.conf:2: user: 'Root;' is not a valid user name; use "
		    "lower-case letters, digits, _ and -, not starting with -, "
		    "at most 63 characters" },
		{ "listen = 127.0.0.1:25 smtp\ncontrol_group = Mail Admins\n",
		    "test.conf:2: control_group: 'Mail Admins' is not a valid "
		    "group name" },
		{ "listen = 127.0.0.1:25 smtp\ndns_resolver = resolver.lan\n",
		    "test.conf:2: dns_resolver: 'resolver.lan' is not an IP "
		    "address with an optional port; write e.g. 127.0.0.1" },
		{ "listen = 127.0.0.1:25 smtp\nrelayhost = [smart:25\n",
		    "test.conf:2: relayhost: '[smart:25' is not host, "
		    "host:port, [host] or [host]:port" },
		{ "listen = 127.0.0.1:25 smtp\ntls_priority = a\x01z\n",
		    "test.conf:2: tls_priority: control character (byte 0x01) "
		    "in the value; use printable characters only" },
		/* across keys: the line of the key at fault */
		{ "listen = 127.0.0.1:25 smtp\nretry_min = 2h\nretry_max = 1h\n",
		    "test.conf:2: retry_min: 2h is larger than retry_max (1h); "
		    "retry_min must not be larger than retry_max" },
		{ "listen = 127.0.0.1:25 smtp\nbounce_notice_recipient = a@\n",
		    "test.conf:2: bounce_notice_recipient: \"a@\" is not an "
		    "address; a user name such as postmaster, or user@domain" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "bounce_notice_recipient = <postmaster>\n",
		    "test.conf:2: bounce_notice_recipient: \"<postmaster>\" is "
		    "not an address; a user name such as postmaster, or "
		    "user@domain" },
		{ "listen = 127.0.0.1:25 smtp\nsmtpout_address_family = v6\n",
		    "test.conf:2: smtpout_address_family: 'v6' is not a valid "
		    "value; use any, ipv4 or ipv6" },
		{ "listen = 127.0.0.1:25 smtp\nretry_max = 1m\n",
		    "test.conf:2: retry_max: 1m is smaller than retry_min "
		    "(5m); retry_max must not be smaller than retry_min" },
		{ "listen = 127.0.0.1:25 smtp\ntls_cert_file = /a /b\n"
		    "tls_key_file = /a\n",
		    "test.conf:3: tls_key_file: tls_cert_file has 2 files but "
		    "tls_key_file has 1; give one key per certificate, in the "
		    "same order" },
		{ "listen = 127.0.0.1:25 smtp\ntls_cert_file = /a\n",
		    "test.conf:2: tls_cert_file: tls_cert_file has 1 file but "
		    "tls_key_file is not set; set tls_key_file to their "
		    "private keys, in the same order" },
		{ "listen = 127.0.0.1:25 smtp\nqueue_user = _sealpost\n"
		    "user = _sealpost\n",
		    "test.conf:3: user: _sealpost is also queue_user; user, "
		    "queue_user and policy_user must be three different users "
		    "(only the queue may write the spool, only the policy "
		    "process its cache)" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "policy_user = " SP_QUEUE_USER "\n",
		    "test.conf:2: policy_user: " SP_QUEUE_USER " is also "
		    "queue_user; user, queue_user and policy_user must be "
		    "three different users" },
		{ "listen = 127.0.0.1:25 smtp\npolicy_user = Bad\n",
		    "test.conf:2: policy_user: 'Bad' is not a valid user "
		    "name" },
		/* local delivery (issue 12) */
		{ "listen = 127.0.0.1:25 smtp\nlocal_transport = lmtp:tcp:x\n",
		    "test.conf:2: local_transport: \"lmtp:tcp:x\": unknown "
		    "transport; allowed: none, maildir, lmtp:unix:/path or "
		    "lmtp:inet:host:port" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "local_transport = lmtp:unix:relative\n",
		    "test.conf:2: local_transport: \"lmtp:unix:relative\": the "
		    "socket must be an absolute path" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "local_transport = lmtp:inet:host\n",
		    "test.conf:2: local_transport: \"lmtp:inet:host\": no "
		    "port" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "local_transport = lmtp:inet:host:70000\n",
		    "test.conf:2: local_transport: \"lmtp:inet:host:70000\": no "
		    "port, or a port that is not 1 to 65535" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "local_transport = lmtp:inet:::1:24\n",
		    "test.conf:2: local_transport: \"lmtp:inet:::1:24\": no "
		    "host, or a host that is not a name or an address (an IPv6 "
		    "address goes in brackets)" },
		{ "listen = 127.0.0.1:25 smtp\nlocal_maildir = ../x\n",
		    "test.conf:2: local_maildir: \"../x\" is not a directory "
		    "below the home" },
		{ "listen = 127.0.0.1:25 smtp\nlocal_maildir = /abs\n",
		    "test.conf:2: local_maildir: \"/abs\" is not a directory "
		    "below the home" },
		/* the pickup kind: on unix:/path, and only there */
		{ "listen = 127.0.0.1:25 pickup\n",
		    "test.conf:1: listen: '127.0.0.1:25 pickup': the pickup kind "
		    "listens on unix:/path and only there" },
		{ "listen = unix:/tmp/p smtp\n",
		    "test.conf:1: listen: 'unix:/tmp/p smtp': the pickup kind "
		    "listens on unix:/path and only there" },
		{ "listen = unix:relative pickup\n",
		    "test.conf:1: listen: 'unix:relative pickup' is not "
		    "'address:port kind'" },
	};
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse(c, cases[i].text, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err,
			    cases[i].err);
	}
	test_free(c);
}

/* auth_backend: file:/path and dovecot:/path (issue 12, item 4). */
static void
test_auth_backend(void **state)
{
	static const char *const bad[] = {
		"auth_backend = dovecot:run/dovecot/auth-client\n",
		"auth_backend = dovecot:\n",
		"auth_backend = dovecot:/" "0123456789012345678901234567890123"
		    "4567890123456789012345678901234567890123456789012345678901"
		    "234567890123456\n",	/* 108 octets: over sun_path */
		"auth_backend = sasl:/x\n",
	};
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX], text[512];
	size_t i;
	int n;

	(void)state;
	assert_int_equal(parse(c, "listen = 127.0.0.1:25 smtp\n"
	    "auth_backend = dovecot:/run/dovecot/auth-client\n", err,
	    sizeof(err)), 0);
	assert_int_equal(c->auth_backend, CONF_AUTH_DOVECOT);
	assert_string_equal(c->auth_socket, "/run/dovecot/auth-client");
	assert_string_equal(c->auth_file, "");
	assert_int_equal(parse(c, "listen = 127.0.0.1:25 smtp\n"
	    "auth_backend = file:/etc/sealpost/passwd\n", err, sizeof(err)),
	    0);
	assert_int_equal(c->auth_backend, CONF_AUTH_FILE);
	assert_string_equal(c->auth_file, "/etc/sealpost/passwd");
	assert_string_equal(c->auth_socket, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = snprintf(text, sizeof(text), "listen = 127.0.0.1:25 smtp\n"
		    "%s", bad[i]);
		assert_true(n > 0 && (size_t)n < sizeof(text));
		err[0] = '\0';
		if (parse(c, text, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, bad[i]);
		if (strncmp(err, "test.conf:2: auth_backend: ", 27) != 0)
			fail_msg("case %zu: %s", i, err);
	}
	test_free(c);
}

/* What local delivery and the pickup kind accept (issue 12). */
static void
test_local_and_pickup(void **state)
{
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse(c, "listen = unix:/run/x/submit pickup, "
	    "127.0.0.1:25 smtp\nlocal_transport = lmtp:inet:[::1]:24\n",
	    err, sizeof(err)), 0);
	assert_int_equal(c->nlisten, 2);
	assert_int_equal(c->listen[0].kind, CONF_LISTEN_PICKUP);
	assert_int_equal(c->local_transport, CONF_LOCAL_LMTP);
	assert_int_equal(parse(c, "listen = 127.0.0.1:25 smtp\n"
	    "local_transport = lmtp:unix:/run/dovecot/lmtp\n"
	    "local_maildir = Mail/inbox/\n", err, sizeof(err)), 0);
	assert_int_equal(c->local_transport, CONF_LOCAL_LMTP);
	assert_string_equal(c->local_maildir, "Mail/inbox/");
	assert_int_equal(parse(c, "listen = 127.0.0.1:25 smtp\n"
	    "local_transport = maildir\n", err, sizeof(err)), 0);
	assert_int_equal(c->local_transport, CONF_LOCAL_MAILDIR);
	test_free(c);
}

static void
test_nul_and_cr_rejected(void **state)
{
	static const char withnul[] = "listen = 127.0.0.1:25 smtp\nhost\0name "
	    "= a\n";
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX];

	(void)state;
	conf_defaults(c);
	assert_int_equal(conf_parse_buf(c, "n.conf", withnul,
	    sizeof(withnul) - 1, err, sizeof(err)), -1);
	assert_string_equal(err, "n.conf:2: NUL or CR byte in the line; only a "
	    "CR right before the newline is allowed");
	assert_int_equal(parse(c, "listen = 127.0.0.1:25\r smtp\n", err,
	    sizeof(err)), -1);
	test_free(c);
}

static void
test_builtin_and_devmode(void **state)
{
	struct conf *c = test_malloc(sizeof(*c));
	char err[CONF_ERR_MAX];
	struct sockaddr_in *sin;

	(void)state;
	assert_int_equal(conf_load(c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c->nlisten, 1);
	sin = (struct sockaddr_in *)(void *)&c->listen[0].ss;
	assert_int_equal(ntohs(sin->sin_port), 2525);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_true(c->hostname[0] != '\0');
	assert_int_equal(conf_devmode(c, "/tmp/dev"), 0);
	assert_string_equal(c->spool_dir, "/tmp/dev/spool");
	assert_string_equal(c->run_dir, "/tmp/dev/run");
	assert_true(c->devmode);
	assert_int_equal(conf_devmode(c, "relative"), -1);
	assert_int_equal(conf_load(c, "/nonexistent/sealpost.conf", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/sealpost.conf: No such file "
	    "or directory");
	test_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_lines),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_local_and_pickup),
		cmocka_unit_test(test_auth_backend),
		cmocka_unit_test(test_nul_and_cr_rejected),
		cmocka_unit_test(test_builtin_and_devmode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
