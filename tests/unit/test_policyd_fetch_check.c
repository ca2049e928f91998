/*
 * test_policyd_fetch_check.c: the pure decisions of the MTA-STS policy
 * fetch (mta/policyd/policyd_fetch_check.c, doc/design.md §8, RFC 8461
 * §3.3): the policy host's name, the CURLOPT_RESOLVE entry, the media
 * type, and how each way a transfer ends is judged and called.
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>

#include "policyd/policyd_fetch.h"

struct host_case {
	const char	*domain;
	const char	*host;		/* NULL: refused */
};

static void
test_host(void **state)
{
	static const struct host_case cases[] = {
		{ "example.com", "mta-sts.example.com" },
		{ "Example.COM.", "mta-sts.example.com" },
		{ "sts-enforce.test", "mta-sts.sts-enforce.test" },
		{ "a", "mta-sts.a" },
		{ "1.2.3.4", "mta-sts.1.2.3.4" },
		{ "xn--bcher-kva.example", "mta-sts.xn--bcher-kva.example" },
		{ "", NULL },
		{ ".", NULL },
		{ "..", NULL },
		{ ".example.com", NULL },
		{ "example..com", NULL },
		{ "example.com..", NULL },
		{ "-example.com", NULL },
		{ "example-.com", NULL },
		{ "ex_ample.com", NULL },
		{ "example.com:443", NULL },
		{ "example.com/x", NULL },
		{ "example.com,127.0.0.1", NULL },
		{ "[::1]", NULL },
		{ "exa mple.com", NULL },
		{ "ex\xc3\xa4mple.com", NULL },
		{ "example.com\n", NULL },
		{ "user@example.com", NULL },
		{ "*.example.com", NULL },
	};
	char host[POLICYD_FETCH_HOST_MAX + 1];
	size_t i;
	int rv;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rv = policyd_fetch_host(cases[i].domain, host, sizeof(host));
		if (cases[i].host == NULL) {
			if (rv != -1)
				fail_msg("accepted '%s' as '%s'",
				    cases[i].domain, host);
			continue;
		}
		if (rv != 0)
			fail_msg("refused '%s'", cases[i].domain);
		assert_string_equal(host, cases[i].host);
	}
	assert_int_equal(policyd_fetch_host(NULL, host, sizeof(host)), -1);
}

static void
test_host_lengths(void **state)
{
	char dom[300], host[POLICYD_FETCH_HOST_MAX + 1];
	size_t i;

	(void)state;
	/* a 63-octet label passes, 64 does not */
	memset(dom, 'a', 63);
	(void)strlcpy(dom + 63, ".test", sizeof(dom) - 63);
	assert_int_equal(policyd_fetch_host(dom, host, sizeof(host)), 0);
	memset(dom, 'a', 64);
	(void)strlcpy(dom + 64, ".test", sizeof(dom) - 64);
	assert_int_equal(policyd_fetch_host(dom, host, sizeof(host)), -1);
	/* mta-sts. + 245 octets = 253 passes; 246 does not */
	for (i = 0; i < 245; i++)
		dom[i] = (i % 60 == 59) ? '.' : 'b';
	dom[245] = '\0';
	assert_int_equal(policyd_fetch_host(dom, host, sizeof(host)), 0);
	assert_int_equal(strlen(host), 253);
	dom[245] = 'b';
	dom[246] = '\0';
	assert_int_equal(policyd_fetch_host(dom, host, sizeof(host)), -1);
	/* with its trailing dot it is still 245 */
	dom[245] = '.';
	assert_int_equal(policyd_fetch_host(dom, host, sizeof(host)), 0);
	/* a buffer too small is refused, never overrun */
	assert_int_equal(policyd_fetch_host("example.com", host, 19), -1);
	assert_int_equal(policyd_fetch_host("example.com", host, 20), 0);
	assert_string_equal(host, "mta-sts.example.com");
}

static struct ipc_plan_addr
addr(const char *s)
{
	struct ipc_plan_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.addr) == 1)
		a.family = AF_INET6;
	else
		fail_msg("bad test address %s", s);
	return a;
}

static void
test_resolve(void **state)
{
	struct ipc_plan_addr a[4];
	char out[POLICYD_FETCH_RESOLVE_LEN(19, 4)];
	const char *h = "mta-sts.example.com";

	(void)state;
	a[0] = addr("127.44.3.1");
	a[1] = addr("fd00:5ea1::443");
	a[2] = addr("192.0.2.1");
	a[3] = addr("::ffff:255.255.255.255");
	assert_int_equal(policyd_fetch_resolve(h, a, 4, out, sizeof(out)), 4);
	assert_string_equal(out, "mta-sts.example.com:443:127.44.3.1,"
	    "[fd00:5ea1::443],192.0.2.1,"
	    "[::ffff:255.255.255.255]");
	assert_int_equal(policyd_fetch_resolve(h, a, 1, out, sizeof(out)), 1);
	assert_string_equal(out, "mta-sts.example.com:443:127.44.3.1");
	/* an address of another family is skipped */
	a[0].family = 12345;
	assert_int_equal(policyd_fetch_resolve(h, a, 2, out, sizeof(out)), 1);
	assert_string_equal(out, "mta-sts.example.com:443:[fd00:5ea1::443]");
	assert_int_equal(policyd_fetch_resolve(h, a, 1, out, sizeof(out)), 0);
	/* too small: refused, not cut */
	a[0] = addr("127.44.3.1");
	assert_int_equal(policyd_fetch_resolve(h, a, 2, out, 40), -1);
	assert_int_equal(policyd_fetch_resolve(h, a, 1, out, 10), -1);
}

struct media_case {
	const char	*ctype;
	int		 ok;
};

static void
test_media(void **state)
{
	static const struct media_case cases[] = {
		{ "text/plain", 1 },
		{ "TEXT/PLAIN", 1 },
		{ "Text/Plain; charset=utf-8", 1 },
		{ "text/plain;charset=us-ascii", 1 },
		{ "text/plain ; charset=utf-8", 1 },
		{ " text/plain", 1 },
		{ "text/plain\t", 1 },
		{ "text/html", 0 },
		{ "text/plainx", 0 },
		{ "text/plain-x", 0 },
		{ "text/plai", 0 },
		{ "text/", 0 },
		{ "", 0 },
		{ "application/octet-stream", 0 },
		{ "text/plain, text/html", 0 },
		{ "xtext/plain", 0 },
		{ "text /plain", 0 },
		{ NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policyd_fetch_media_ok(cases[i].ctype) != cases[i].ok)
			fail_msg("'%s': want %d", cases[i].ctype != NULL ?
			    cases[i].ctype : "(null)", cases[i].ok);
	assert_int_equal(policyd_fetch_answer_ok(200, "text/plain"), 1);
	assert_int_equal(policyd_fetch_answer_ok(200, "text/html"), 0);
	assert_int_equal(policyd_fetch_answer_ok(404, "text/plain"), 0);
	assert_int_equal(policyd_fetch_answer_ok(301, "text/plain"), 0);
	assert_int_equal(policyd_fetch_answer_ok(204, "text/plain"), 0);
	assert_int_equal(policyd_fetch_answer_ok(0, NULL), 0);
}

struct judge_case {
	const char	*what;
	int		 curl;
	long		 http;
	const char	*ctype;
	long		 verify;
	int		 tls_done, stopped, over, nomem;
	const char	*errbuf;
	int		 status;
	const char	*detail;	/* exact */
};

static void
test_judge(void **state)
{
	static const struct judge_case cases[] = {
		{ "a policy", CURLE_OK, 200, "text/plain", 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_OK, "ok" },
		{ "with charset", CURLE_OK, 200, "text/plain; charset=utf-8",
		    0, 1, 0, 0, 0, "", POLICYD_FETCH_OK, "ok" },
		{ "404 read whole", CURLE_OK, 404, "text/html", 0, 1, 0, 0, 0,
		    "", POLICYD_FETCH_ERROR, "HTTP 404" },
		{ "404 stopped", CURLE_WRITE_ERROR, 404, "text/html", 0, 1, 1,
		    0, 0, "Failure writing output", POLICYD_FETCH_ERROR,
		    "HTTP 404" },
		{ "301", CURLE_OK, 301, "text/html", 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "redirect refused (HTTP 301)" },
		{ "308 stopped", CURLE_WRITE_ERROR, 308, NULL, 0, 1, 1, 0, 0,
		    "", POLICYD_FETCH_ERROR, "redirect refused (HTTP 308)" },
		{ "500", CURLE_OK, 500, "text/plain", 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "HTTP 500" },
		{ "204", CURLE_OK, 204, NULL, 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "HTTP 204" },
		{ "html", CURLE_WRITE_ERROR, 200, "text/html", 0, 1, 1, 0, 0,
		    "", POLICYD_FETCH_ERROR, "Content-Type text/html" },
		{ "no type, empty body", CURLE_OK, 200, NULL, 0, 1, 0, 0, 0,
		    "", POLICYD_FETCH_ERROR, "no Content-Type" },
		{ "hostile type", CURLE_WRITE_ERROR, 200,
		    "x/\x1b[31m\r\nInjected: yes", 0, 1, 1, 0, 0, "",
		    POLICYD_FETCH_ERROR,
		    "Content-Type x/?[31m??Injected: yes" },
		{ "long type", CURLE_WRITE_ERROR, 200,
		    "application/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaa", 0, 1, 1, 0, 0, "",
		    POLICYD_FETCH_ERROR,
		    "Content-Type application/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaa" },	/* 64 octets of it */
		{ "over, chunked", CURLE_WRITE_ERROR, 200, "text/plain", 0, 1,
		    0, 1, 0, "", POLICYD_FETCH_ERROR,
		    "body over 65536 bytes" },
		{ "over, Content-Length", CURLE_FILESIZE_EXCEEDED, 200,
		    "text/plain", 0, 1, 0, 0, 0, "Maximum file size exceeded",
		    POLICYD_FETCH_ERROR, "body over 65536 bytes" },
		{ "404 over the size", CURLE_FILESIZE_EXCEEDED, 404,
		    "text/html", 0, 1, 0, 0, 0, "", POLICYD_FETCH_ERROR,
		    "HTTP 404" },
		{ "out of memory", CURLE_WRITE_ERROR, 200, "text/plain", 0, 1,
		    0, 0, 1, "", POLICYD_FETCH_ERROR, "out of memory" },
		{ "unknown CA", CURLE_PEER_FAILED_VERIFICATION, 0, NULL,
		    GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, 0, 0, 0,
		    0, "server certificate verification failed",
		    POLICYD_FETCH_WEBPKI, "certificate not trusted" },
		{ "CURLE_SSL_CACERT", CURLE_SSL_CACERT, 0, NULL,
		    GNUTLS_CERT_INVALID, 0, 0, 0, 0, "", POLICYD_FETCH_WEBPKI,
		    "certificate not trusted" },
		{ "wrong name", CURLE_PEER_FAILED_VERIFICATION, 0, NULL, 0, 0,
		    0, 0, 0, "SSL: certificate subject name (x) does not match",
		    POLICYD_FETCH_WEBPKI,
		    "certificate does not name the policy host" },
		{ "expired", CURLE_PEER_FAILED_VERIFICATION, 0, NULL,
		    GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, 0, 0, 0, 0, "",
		    POLICYD_FETCH_WEBPKI, "certificate expired" },
		{ "expired, curl's own check", CURLE_PEER_FAILED_VERIFICATION,
		    0, NULL, GNUTLS_CERT_EXPIRED, 0, 0, 0, 0, "",
		    POLICYD_FETCH_WEBPKI, "certificate expired" },
		{ "not yet valid", CURLE_PEER_FAILED_VERIFICATION, 0, NULL,
		    GNUTLS_CERT_INVALID | GNUTLS_CERT_NOT_ACTIVATED, 0, 0, 0, 0,
		    "", POLICYD_FETCH_WEBPKI, "certificate not yet valid" },
		{ "rogue and expired", CURLE_PEER_FAILED_VERIFICATION, 0, NULL,
		    GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED |
		    GNUTLS_CERT_SIGNER_NOT_FOUND, 0, 0, 0, 0, "",
		    POLICYD_FETCH_WEBPKI, "certificate not trusted" },
		{ "issuer", CURLE_SSL_ISSUER_ERROR, 0, NULL, 0, 0, 0, 0, 0, "",
		    POLICYD_FETCH_WEBPKI, "certificate not trusted" },
		{ "CA file gone", CURLE_SSL_CACERT_BADFILE, 0, NULL, 0, 0, 0, 0,
		    0, "", POLICYD_FETCH_ERROR, "CA file copy unusable" },
		{ "refused", CURLE_COULDNT_CONNECT, 0, NULL, 0, 0, 0, 0, 0,
		    "Failed to connect", POLICYD_FETCH_ERROR,
		    "cannot connect to port 443" },
		{ "trickle", CURLE_OPERATION_TIMEDOUT, 200, "text/plain", 0, 1,
		    0, 0, 0, "Operation timed out", POLICYD_FETCH_ERROR,
		    "timeout after 5 s" },
		{ "no handshake", CURLE_OPERATION_TIMEDOUT, 0, NULL, 0, 0, 0, 0,
		    0, "", POLICYD_FETCH_ERROR, "connect timeout after 3 s" },
		{ "handshake", CURLE_SSL_CONNECT_ERROR, 0, NULL, 0, 0, 0, 0, 0,
		    "gnutls_handshake() failed: \x01\xff", POLICYD_FETCH_ERROR,
		    "TLS handshake failed: gnutls_handshake() failed: ??" },
		{ "empty reply", CURLE_GOT_NOTHING, 0, NULL, 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "empty reply" },
		{ "reset", CURLE_RECV_ERROR, 0, NULL, 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "connection broken" },
		{ "cut", CURLE_PARTIAL_FILE, 200, "text/plain", 0, 1, 0, 0, 0,
		    "", POLICYD_FETCH_ERROR, "body cut short" },
		{ "junk", CURLE_WEIRD_SERVER_REPLY, 0, NULL, 0, 1, 0, 0, 0, "",
		    POLICYD_FETCH_ERROR, "malformed HTTP reply" },
		{ "resolver", CURLE_COULDNT_RESOLVE_HOST, 0, NULL, 0, 0, 0, 0,
		    0, "", POLICYD_FETCH_ERROR, "no address given" },
		{ "write error, no response", CURLE_WRITE_ERROR, 0, NULL, 0, 0,
		    0, 0, 0, "", POLICYD_FETCH_ERROR, "no HTTP response" },
		{ "write error not ours", CURLE_WRITE_ERROR, 200, "text/plain",
		    0, 1, 0, 0, 0, "", POLICYD_FETCH_ERROR,
		    "transfer stopped" },
		{ "other", CURLE_UNSUPPORTED_PROTOCOL, 0, NULL, 0, 0, 0, 0, 0,
		    "Protocol \"http\" not supported", POLICYD_FETCH_ERROR,
		    "curl error 1: Protocol \"http\" not supported" },
	};
	struct policyd_fetch_outcome o;
	char detail[POLICYD_FETCH_DETAIL_MAX];
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.curl = cases[i].curl;
		o.http = cases[i].http;
		o.ctype = cases[i].ctype;
		o.verify = cases[i].verify;
		o.tls_done = cases[i].tls_done;
		o.stopped = cases[i].stopped;
		o.over = cases[i].over;
		o.nomem = cases[i].nomem;
		o.timeout_s = 5;
		o.connect_s = 3;
		o.errbuf = cases[i].errbuf;
		memset(detail, 'X', sizeof(detail));
		st = policyd_fetch_judge(&o, detail, sizeof(detail));
		if (st != cases[i].status ||
		    strcmp(detail, cases[i].detail) != 0)
			fail_msg("%s: got %d '%s', want %d '%s'", cases[i].what,
			    st, detail, cases[i].status, cases[i].detail);
	}
}

static void
test_judge_small(void **state)
{
	struct policyd_fetch_outcome o;
	char detail[8];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.curl = CURLE_WRITE_ERROR;
	o.http = 200;
	o.ctype = "text/html; charset=utf-8";
	o.stopped = 1;
	/* cut, NUL-terminated, never past the buffer */
	assert_int_equal(policyd_fetch_judge(&o, detail, sizeof(detail)),
	    POLICYD_FETCH_ERROR);
	assert_string_equal(detail, "Content");
	o.errbuf = NULL;
	o.curl = CURLE_SSL_CONNECT_ERROR;
	o.http = 0;
	assert_int_equal(policyd_fetch_judge(&o, detail, sizeof(detail)),
	    POLICYD_FETCH_ERROR);
	assert_string_equal(detail, "TLS han");
	assert_int_equal(policyd_fetch_judge(&o, detail, 0),
	    POLICYD_FETCH_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_host_lengths),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_media),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
