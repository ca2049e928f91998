/*
 * test_conf.c: sealpost.conf parsing and validation, table-style: good
 * files give the typed values, bad ones name the file and line.
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
	assert_int_equal(c->smtpin_tls, CONF_SMTPIN_TLS_OFFERED);
	assert_int_equal(c->tls_floor, CONF_TLS_FLOOR_VERIFY);
	assert_string_equal(c->relayhost, "[smarthost.example.org]:587");
	assert_int_equal(c->ntls_cert_file, 2);
	assert_string_equal(c->tls_key_file[1], "/etc/b.key");
	assert_string_equal(c->log_file, "/var/log/sealpost.log");
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
		{ "listen = 127.0.0.1:25 smtp\nbogus_key = 1\n",
		    "test.conf:2: unknown key 'bogus_key'" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = many\n",
		    "test.conf:2: recipient_limit: 'many' is not a number" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = 0\n",
		    "test.conf:2: recipient_limit: '0' is not a number" },
		{ "listen = 127.0.0.1:25 smtp\nrecipient_limit = -5\n",
		    "test.conf:2: recipient_limit:" },
		{ "listen = 127.0.0.1:25 smtp\n"
		    "recipient_limit = 99999999999999999999999\n",
		    "test.conf:2: recipient_limit:" },
		{ "# c\n\nlisten = 127.0.0.1:25 smtp\nsmtpin_tls = maybe\n",
		    "test.conf:4: smtpin_tls: 'maybe' is not one of" },
		{ "listen = 127.0.0.1 smtp\n",
		    "test.conf:1: listen: '127.0.0.1 smtp' is not" },
		{ "listen = 127.0.0.1:25 pop3\n",
		    "test.conf:1: listen: '127.0.0.1:25 pop3': kind must" },
		{ "listen = 127.0.0.1:99999 smtp\n", "test.conf:1: listen:" },
		{ "listen = ::1:25 smtp\n", "test.conf:1: listen: '::1:25 smtp'" },
		{ "listen = [::1] smtp\n", "test.conf:1: listen: '[::1] smtp'" },
		{ "listen = 127.0.0.1:25 smtp\nlisten = 127.0.0.1:26 smtp\n",
		    "test.conf:2: duplicate key 'listen' (first set at line 1)"
		},
		{ "listen = 127.0.0.1:25 smtp\nrelay_networks = 10.0.0.1/8\n",
		    "test.conf:2: relay_networks: '10.0.0.1/8' is not" },
		{ "listen = 127.0.0.1:25 smtp\nspool_dir = relative/dir\n",
		    "test.conf:2: spool_dir: 'relative/dir' is not an absolute" },
		{ "listen = 127.0.0.1:25 smtp\nhostname = bad_host!\n",
		    "test.conf:2: hostname: 'bad_host!' is not a valid" },
		{ "listen = 127.0.0.1:25 smtp\nhostname\n",
		    "test.conf:2: expected 'key = value'" },
		{ "   indented = 1\n",
		    "test.conf:1: continuation line without a key" },
		{ "listen = 127.0.0.1:25 smtp\nretry_min = 2h\nretry_max = 1h\n",
		    "test.conf:2: retry_min (7200s) is larger than retry_max" },
		{ "listen = 127.0.0.1:25 smtp\ntls_cert_file = /a /b\n"
		    "tls_key_file = /a\n",
		    "test.conf:3: tls_cert_file has 2 entries but tls_key_file" },
		{ "hostname = x.example\n",
		    "test.conf: listen: no listener configured" },
		{ "listen = 127.0.0.1:25 smtp, 127.0.0.1:25 submission\n",
		    "test.conf:1: listen: 127.0.0.1:25 appears twice" },
		{ "listen = 127.0.0.1:25 smtp\nqueue_user = _sealpost\n"
		    "user = _sealpost\n",
		    "test.conf:2: user and queue_user must differ" },
		{ "listen = 127.0.0.1:25 smtp\ndns_resolver = resolver.lan\n",
		    "test.conf:2: dns_resolver: 'resolver.lan' is not an IP" },
		{ "listen = 127.0.0.1:25 smtp\nrelayhost = [smart:25\n",
		    "test.conf:2: relayhost:" },
		{ "listen = 127.0.0.1:25 smtp\nmessage_size_limit = 5x\n",
		    "test.conf:2: message_size_limit: '5x' is not a size" },
		{ "listen = 127.0.0.1:25 smtp\ntls_priority = a\x01z\n",
		    "test.conf:2: tls_priority: control character" },
		{ "listen = 127.0.0.1:25 smtp\nuser = Root;\n",
		    "test.conf:2: user: 'Root;' is not a valid" },
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
	assert_string_equal(err, "n.conf:2: NUL or CR byte in line");
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
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_nul_and_cr_rejected),
		cmocka_unit_test(test_builtin_and_devmode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
