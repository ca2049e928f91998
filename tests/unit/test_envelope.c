/*
 * test_envelope.c: unit tests for mta/envelope.c: round trips, the exact
 * text form, every truncation refused, every single-byte change refused
 * or read back consistently, malformed inputs, limits, the older
 * versions read, and the shared escape of envelope_esc.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/envelope.h"
#include "smtp/envelope_esc.h"

#define BUFSZ	8192

static void
xstrlcpy(char *dst, const char *src, size_t size)
{
	assert_true(strlcpy(dst, src, size) < size);
}

/* A sample using every field, escapes and error lines. */
static void
sample(struct envelope *e)
{
	struct envelope_rcpt *r;

	envelope_init(e);
	xstrlcpy(e->id, "0193AB4C5D6E7F80aa", sizeof(e->id));
	e->arrival = 1700000000;
	e->size = 4321;
	xstrlcpy(e->from, "alice@example.org", sizeof(e->from));
	e->body = ENVELOPE_BODY_8BITMIME;
	e->smtputf8 = 1;
	e->requiretls = 1;
	e->ret = ENVELOPE_RET_HDRS;
	xstrlcpy(e->envid, "QQ 314%159", sizeof(e->envid));
	xstrlcpy(e->auth, "<>", sizeof(e->auth));
	xstrlcpy(e->client_ip, "2001:db8::25", sizeof(e->client_ip));
	xstrlcpy(e->client_helo, "mx.example.org", sizeof(e->client_helo));
	xstrlcpy(e->client_tls, "TLSv1.3:TLS_AES_256_GCM_SHA384",
	    sizeof(e->client_tls));
	xstrlcpy(e->client_user, "-", sizeof(e->client_user));
	e->warned = 1700000300;
	e->notice = ENVELOPE_NOTICE_POSTMASTER;
	/* smtpin never sets it with requiretls; the format does not care */
	e->tlsrequired_no = 1;
	e->held = 1700000700;
	e->held_total = 3600;

	assert_non_null(r = envelope_add_rcpt(e, "bob@example.net"));
	r->notify = ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_DELAY;
	xstrlcpy(r->orcpt, "rfc822;bob@example.net", sizeof(r->orcpt));

	assert_non_null(r = envelope_add_rcpt(e, "carol@example.com"));
	r->state = ENVELOPE_RCPT_DEFERRED;
	r->attempts = 3;
	r->last_attempt = 1700000600;
	r->next_retry = 1700001800;
	r->notify = ENVELOPE_NOTIFY_NEVER;
	r->error.code = 451;
	xstrlcpy(r->error.dsn, "4.7.5", sizeof(r->error.dsn));
	xstrlcpy(r->error.text, "TLS: certificate name mismatch",
	    sizeof(r->error.text));
	xstrlcpy(r->failure, "certificate-host-mismatch", sizeof(r->failure));
	xstrlcpy(r->mx, "mx1.example.com", sizeof(r->mx));
	xstrlcpy(r->policy, "dane", sizeof(r->policy));

	assert_non_null(r = envelope_add_rcpt(e,
	    "\"a b\"@ex\xc3\xa4mple.org"));
	r->state = ENVELOPE_RCPT_SENT;
	r->attempts = 1;
	r->last_attempt = 1700000001;

	assert_non_null(r = envelope_add_rcpt(e, "dave@example.com"));
	r->state = ENVELOPE_RCPT_BOUNCED;
	r->attempts = 1;
	r->notify = ENVELOPE_NOTIFY_SUCCESS | ENVELOPE_NOTIFY_FAILURE |
	    ENVELOPE_NOTIFY_DELAY;
	r->error.code = 550;
	xstrlcpy(r->error.dsn, "5.1.1", sizeof(r->error.dsn));
	xstrlcpy(r->error.text, "5.1.1 <dave@example.com>: unknown user",
	    sizeof(r->error.text));
}

static const char golden[] =
    "sealpost-envelope 4\n"
    "id 0193AB4C5D6E7F80aa\n"
    "arrival 1700000000\n"
    "size 4321\n"
    "from alice@example.org\n"
    "body 8bitmime\n"
    "smtputf8 1\n"
    "requiretls 1\n"
    "ret hdrs\n"
    "envid QQ%20314%25159\n"
    "auth <>\n"
    "client_ip 2001:db8::25\n"
    "client_helo mx.example.org\n"
    "client_tls TLSv1.3:TLS_AES_256_GCM_SHA384\n"
    "client_user %2D\n"
    "warned 1700000300\n"
    "notice postmaster\n"
    "tlsrequired_no 1\n"
    "held 1700000700\n"
    "held_total 3600\n"
    "rcpt pending 0 0 0 success,delay rfc822;bob@example.net "
    "bob@example.net\n"
    "rcpt deferred 3 1700000600 1700001800 never - carol@example.com\n"
    "error 1 451 4.7.5 certificate-host-mismatch dane mx1.example.com "
    "TLS:%20certificate%20name%20mismatch\n"
    "rcpt sent 1 1700000001 0 - - \"a%20b\"@ex%C3%A4mple.org\n"
    "rcpt bounced 1 0 0 success,failure,delay - dave@example.com\n"
    "error 3 550 5.1.1 - - - 5.1.1%20<dave@example.com>:%20unknown%20user\n"
    "end\n";

static void
same_envelope(const struct envelope *a, const struct envelope *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_true(a->arrival == b->arrival);
	assert_true(a->size == b->size);
	assert_string_equal(a->from, b->from);
	assert_int_equal(a->body, b->body);
	assert_int_equal(a->smtputf8, b->smtputf8);
	assert_int_equal(a->requiretls, b->requiretls);
	assert_int_equal(a->ret, b->ret);
	assert_string_equal(a->envid, b->envid);
	assert_string_equal(a->auth, b->auth);
	assert_string_equal(a->client_ip, b->client_ip);
	assert_string_equal(a->client_helo, b->client_helo);
	assert_string_equal(a->client_tls, b->client_tls);
	assert_string_equal(a->client_user, b->client_user);
	assert_true(a->warned == b->warned);
	assert_int_equal(a->notice, b->notice);
	assert_int_equal(a->tlsrequired_no, b->tlsrequired_no);
	assert_true(a->held == b->held);
	assert_true(a->held_total == b->held_total);
	assert_int_equal(a->nrcpt, b->nrcpt);
	for (i = 0; i < a->nrcpt; i++) {
		const struct envelope_rcpt *x = &a->rcpt[i], *y = &b->rcpt[i];

		assert_string_equal(x->addr, y->addr);
		assert_int_equal(x->state, y->state);
		assert_int_equal(x->attempts, y->attempts);
		assert_true(x->last_attempt == y->last_attempt);
		assert_true(x->next_retry == y->next_retry);
		assert_int_equal(x->notify, y->notify);
		assert_string_equal(x->orcpt, y->orcpt);
		assert_int_equal(x->error.code, y->error.code);
		assert_string_equal(x->error.dsn, y->error.dsn);
		assert_string_equal(x->error.text, y->error.text);
		assert_string_equal(x->failure, y->failure);
		assert_string_equal(x->mx, y->mx);
		assert_string_equal(x->policy, y->policy);
	}
}

static void
test_roundtrip(void **state)
{
	struct envelope	 e, p;
	struct reason	 why;
	char		*buf = malloc(BUFSZ), *buf2 = malloc(BUFSZ);
	size_t		 len, len2;

	(void)state;
	assert_non_null(buf);
	assert_non_null(buf2);
	sample(&e);
	assert_int_equal(envelope_check(&e, &why), 0);
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
	if (len != sizeof(golden) - 1 || memcmp(buf, golden, len) != 0)
		fail_msg("text form differs:\n%.*s", (int)len, buf);
	if (envelope_parse(buf, len, &p, &why) != 0)
		fail_msg("parse: %s", why.text);
	same_envelope(&e, &p);
	assert_int_equal(envelope_write(&p, buf2, BUFSZ, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	envelope_free(&p);
	envelope_free(&p);	/* twice is fine */

	/* minimal: null sender, everything empty, one recipient */
	envelope_free(&e);
	xstrlcpy(e.id, "abcdefghijkl", sizeof(e.id));
	assert_non_null(envelope_add_rcpt(&e, "x@y"));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
	assert_non_null(strstr(buf, "from -\n"));
	assert_non_null(strstr(buf, "body none\nsmtputf8 0\nrequiretls 0\n"
	    "ret -\n"));
	assert_non_null(strstr(buf, "notice -\ntlsrequired_no 0\nheld 0\n"
	    "held_total 0\nrcpt"));
	assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
	same_envelope(&e, &p);
	envelope_free(&p);

	/*
	 * A version 1 file (before warned, notice, tlsrequired_no, held and
	 * held_total) is still read, with all of them zero, and written back
	 * as version 4.
	 */
	{
		static const char v1[] =
		    "sealpost-envelope 1\nid abcdefghijkl\narrival 5\n"
		    "size 0\nfrom -\nbody none\nsmtputf8 0\nrequiretls 0\n"
		    "ret -\nenvid -\nauth -\nclient_ip -\nclient_helo -\n"
		    "client_tls -\nclient_user -\n"
		    "rcpt pending 0 0 0 - - x@y\nend\n";

		if (envelope_parse(v1, sizeof(v1) - 1, &p, &why) != 0)
			fail_msg("version 1: %s", why.text);
		assert_true(p.warned == 0);
		assert_int_equal(p.notice, ENVELOPE_NOTICE_NONE);
		assert_int_equal(p.tlsrequired_no, 0);
		assert_true(p.held == 0 && p.held_total == 0);
		assert_int_equal(envelope_write(&p, buf, BUFSZ, &len), 0);
		assert_non_null(strstr(buf, "sealpost-envelope 4\n"));
		assert_non_null(strstr(buf, "client_user -\nwarned 0\n"
		    "notice -\ntlsrequired_no 0\nheld 0\nheld_total 0\n"
		    "rcpt"));
		envelope_free(&p);
	}

	/*
	 * A version 2 file (before tlsrequired_no, held and held_total) is
	 * still read, with them zero, and written back as version 4 with the
	 * rest unchanged.
	 */
	{
		static const char v2[] =
		    "sealpost-envelope 2\nid abcdefghijkl\narrival 5\n"
		    "size 0\nfrom -\nbody none\nsmtputf8 0\nrequiretls 1\n"
		    "ret -\nenvid -\nauth -\nclient_ip -\nclient_helo -\n"
		    "client_tls -\nclient_user -\nwarned 7\n"
		    "notice postmaster\n"
		    "rcpt pending 0 0 0 - - x@y\nend\n";
		static const char v4[] =
		    "sealpost-envelope 4\nid abcdefghijkl\narrival 5\n"
		    "size 0\nfrom -\nbody none\nsmtputf8 0\nrequiretls 1\n"
		    "ret -\nenvid -\nauth -\nclient_ip -\nclient_helo -\n"
		    "client_tls -\nclient_user -\nwarned 7\n"
		    "notice postmaster\ntlsrequired_no 0\nheld 0\n"
		    "held_total 0\n"
		    "rcpt pending 0 0 0 - - x@y\nend\n";

		if (envelope_parse(v2, sizeof(v2) - 1, &p, &why) != 0)
			fail_msg("version 2: %s", why.text);
		assert_int_equal(p.tlsrequired_no, 0);
		assert_int_equal(p.requiretls, 1);
		assert_true(p.warned == 7);
		assert_int_equal(p.notice, ENVELOPE_NOTICE_POSTMASTER);
		assert_int_equal(envelope_write(&p, buf, BUFSZ, &len), 0);
		assert_int_equal(len, sizeof(v4) - 1);
		assert_memory_equal(buf, v4, len);
		envelope_free(&p);
	}

	/*
	 * A version 3 file (before held, held_total and the policy source
	 * of an error line) is still read, with them zero and "", and
	 * written back as version 4 with the rest unchanged.
	 */
	{
		static const char v3[] =
		    "sealpost-envelope 3\nid abcdefghijkl\narrival 5\n"
		    "size 0\nfrom -\nbody none\nsmtputf8 0\nrequiretls 0\n"
		    "ret -\nenvid -\nauth -\nclient_ip -\nclient_helo -\n"
		    "client_tls -\nclient_user -\nwarned 0\n"
		    "notice -\ntlsrequired_no 1\n"
		    "rcpt deferred 2 9 99 - - x@y\n"
		    "error 0 451 4.7.5 validation-failure mx.y no%20TLSA\n"
		    "rcpt pending 0 0 0 - - z@y\nend\n";
		static const char v4[] =
		    "sealpost-envelope 4\nid abcdefghijkl\narrival 5\n"
		    "size 0\nfrom -\nbody none\nsmtputf8 0\nrequiretls 0\n"
		    "ret -\nenvid -\nauth -\nclient_ip -\nclient_helo -\n"
		    "client_tls -\nclient_user -\nwarned 0\n"
		    "notice -\ntlsrequired_no 1\nheld 0\nheld_total 0\n"
		    "rcpt deferred 2 9 99 - - x@y\n"
		    "error 0 451 4.7.5 validation-failure - mx.y no%20TLSA\n"
		    "rcpt pending 0 0 0 - - z@y\nend\n";

		if (envelope_parse(v3, sizeof(v3) - 1, &p, &why) != 0)
			fail_msg("version 3: %s", why.text);
		assert_int_equal(p.tlsrequired_no, 1);
		assert_true(p.held == 0 && p.held_total == 0);
		assert_int_equal(p.nrcpt, 2);
		assert_string_equal(p.rcpt[0].policy, "");
		assert_string_equal(p.rcpt[0].failure, "validation-failure");
		assert_string_equal(p.rcpt[0].mx, "mx.y");
		assert_string_equal(p.rcpt[0].error.text, "no TLSA");
		assert_int_equal(envelope_write(&p, buf, BUFSZ, &len), 0);
		assert_int_equal(len, sizeof(v4) - 1);
		assert_memory_equal(buf, v4, len);
		envelope_free(&p);
		/* and the version 4 text reads back to the same */
		assert_int_equal(envelope_parse(v4, sizeof(v4) - 1, &p, &why),
		    0);
		assert_string_equal(p.rcpt[0].policy, "");
		assert_string_equal(p.rcpt[0].mx, "mx.y");
		envelope_free(&p);
	}

	/* held, held_total and a policy source are read back */
	{
		e.held = 1;
		e.held_total = INT64_MAX;
		e.rcpt[0].error.code = 451;
		xstrlcpy(e.rcpt[0].policy, "mta-sts", sizeof(e.rcpt[0].policy));
		assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
		assert_non_null(strstr(buf, "tlsrequired_no 0\nheld 1\n"
		    "held_total 9223372036854775807\nrcpt"));
		assert_non_null(strstr(buf, "error 0 451 - - mta-sts - -\n"));
		assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
		same_envelope(&e, &p);
		envelope_free(&p);
		memset(e.rcpt[0].policy, 'a', ENVELOPE_POLICY_MAX);
		e.rcpt[0].policy[ENVELOPE_POLICY_MAX] = '\0';
		assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
		assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
		same_envelope(&e, &p);
		envelope_free(&p);
		e.rcpt[0].policy[0] = '\0';
		e.rcpt[0].error.code = 0;
		e.held = 0;
		e.held_total = 0;
	}

	/* the key is read back both ways */
	{
		e.tlsrequired_no = 1;
		assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
		assert_non_null(strstr(buf, "notice -\ntlsrequired_no 1\n"));
		assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
		assert_int_equal(p.tlsrequired_no, 1);
		envelope_free(&p);
		e.tlsrequired_no = 0;
	}

	/* every byte value survives in a string field */
	{
		char	all[256];
		int	i;

		for (i = 1; i < 256; i++)
			all[i - 1] = (char)i;
		all[255] = '\0';
		xstrlcpy(e.client_user, all, sizeof(e.client_user));
		assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
		assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
		assert_memory_equal(p.client_user, all, 256);
		envelope_free(&p);
	}
	envelope_free(&e);
	free(buf);
	free(buf2);
}

static void
test_write_sizes(void **state)
{
	struct envelope	 e;
	char		*buf = malloc(BUFSZ);
	size_t		 len, need;

	(void)state;
	assert_non_null(buf);
	sample(&e);
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &need), 0);
	assert_int_equal(envelope_write(&e, buf, need, &len), 0);
	assert_int_equal(len, need);
	assert_int_equal(envelope_write(&e, buf, need - 1, &len), -1);
	assert_int_equal(len, need);
	assert_int_equal(envelope_write(&e, buf, 0, &len), -1);
	assert_int_equal(len, need);
	assert_int_equal(envelope_write(&e, NULL, 0, &len), -1);
	assert_int_equal(len, need);

	/* invalid envelopes are not written */
	e.id[3] = '/';
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	assert_int_equal(len, 0);
	e.id[3] = '3';
	e.rcpt[0].state = (enum envelope_rcpt_state)9;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.rcpt[0].state = ENVELOPE_RCPT_PENDING;
	e.rcpt[0].notify = ENVELOPE_NOTIFY_NEVER | ENVELOPE_NOTIFY_DELAY;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.rcpt[0].notify = 0;
	xstrlcpy(e.rcpt[0].mx, "mx.example", sizeof(e.rcpt[0].mx));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.rcpt[0].mx[0] = '\0';
	xstrlcpy(e.rcpt[1].failure, "Bad Type", sizeof(e.rcpt[1].failure));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	xstrlcpy(e.rcpt[1].failure, "", sizeof(e.rcpt[1].failure));
	e.rcpt[1].error.code = 600;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.rcpt[1].error.code = 451;
	e.arrival = -1;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.arrival = 0;
	e.smtputf8 = 2;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.smtputf8 = 0;
	e.tlsrequired_no = 2;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.tlsrequired_no = -1;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.tlsrequired_no = 0;
	e.held = -1;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.held = 0;
	e.held_total = -1;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.held_total = INT64_MIN;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.held_total = 0;
	/* a policy source: [a-z0-9-], and only with an error */
	xstrlcpy(e.rcpt[1].policy, "Dane", sizeof(e.rcpt[1].policy));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	xstrlcpy(e.rcpt[1].policy, "mta sts", sizeof(e.rcpt[1].policy));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	memset(e.rcpt[1].policy, 'a', sizeof(e.rcpt[1].policy));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	xstrlcpy(e.rcpt[1].policy, "dane", sizeof(e.rcpt[1].policy));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
	xstrlcpy(e.rcpt[0].policy, "dane", sizeof(e.rcpt[0].policy));
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.rcpt[0].policy[0] = '\0';
	memset(e.envid, 'x', sizeof(e.envid));	/* unterminated */
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.envid[0] = '\0';
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), 0);
	e.nrcpt = 0;
	assert_int_equal(envelope_write(&e, buf, BUFSZ, &len), -2);
	e.nrcpt = 4;
	envelope_free(&e);
	free(buf);
}

static void
test_truncations(void **state)
{
	struct envelope	e;
	struct reason	why;
	size_t		n, len = sizeof(golden) - 1;
	char		*copy;

	(void)state;
	/* each prefix in its own exact-size heap block, so that ASan sees
	 * any read past the end */
	for (n = 0; n < len; n++) {
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, golden, n);
		if (envelope_parse(copy, n, &e, &why) != -1)
			fail_msg("prefix of %zu octets accepted", n);
		assert_int_equal(why.code, 451);
		assert_string_equal(why.dsn, "4.3.0");
		assert_int_equal(e.nrcpt, 0);
		assert_null(e.rcpt);
		free(copy);
	}
	assert_int_equal(envelope_parse(golden, len, &e, &why), 0);
	envelope_free(&e);
}

static void
test_corruptions(void **state)
{
	struct envelope	 e;
	struct reason	 why;
	size_t		 len = sizeof(golden) - 1, pos, out, accepted = 0;
	char		*buf = malloc(len), *buf2 = malloc(BUFSZ);
	int		 v;

	(void)state;
	assert_non_null(buf);
	assert_non_null(buf2);
	for (pos = 0; pos < len; pos++) {
		for (v = 0; v < 256; v++) {
			if ((char)v == golden[pos])
				continue;
			memcpy(buf, golden, len);
			buf[pos] = (char)v;
			if (envelope_parse(buf, len, &e, &why) == -1)
				continue;
			/* accepted: must read back to the very same bytes */
			accepted++;
			if (envelope_write(&e, buf2, BUFSZ, &out) != 0 ||
			    out != len || memcmp(buf, buf2, len) != 0)
				fail_msg("byte %zu := %d accepted but not "
				    "canonical", pos, v);
			envelope_free(&e);
		}
	}
	/* digits, letters of values and so on are legitimately accepted */
	assert_true(accepted > 0);
	free(buf);
	free(buf2);
}

struct bad_case {
	const char	*find;		/* in golden */
	const char	*replace;
	const char	*why;		/* substring of the reason text */
};

static const struct bad_case bad_cases[] = {
	{ "sealpost-envelope 4\n", "sealpost-envelope 5\n", "version" },
	{ "sealpost-envelope 4\n", "sealpost-envelope 0\n", "version" },
	{ "sealpost-envelope 4\n", "sealpost-envelope 04\n", "version" },
	/* a version 1 file has no warned, notice, tlsrequired_no, held and
	 * held_total lines, a version 2 file no tlsrequired_no, held and
	 * held_total lines, a version 3 file no held and held_total lines
	 * and no policy source in an error line */
	{ "sealpost-envelope 4\n", "sealpost-envelope 1\n",
	    "key warned is not in version 1" },
	{ "sealpost-envelope 4\n", "sealpost-envelope 2\n",
	    "key tlsrequired_no is not in version 2" },
	{ "sealpost-envelope 4\n", "sealpost-envelope 3\n",
	    "key held is not in version 3" },
	{ "sealpost-envelope 4\n", "sealpost-envelope\n", "not a sealpost" },
	{ "sealpost-envelope 4\n", "Sealpost-envelope 4\n", "not a sealpost" },
	{ "sealpost-envelope 4\n", "", "not a sealpost" },
	{ "tlsrequired_no 1\n", "", "missing key tlsrequired_no" },
	{ "tlsrequired_no 1", "tlsrequired_no 2", "bad value" },
	{ "tlsrequired_no 1", "tlsrequired_no 01", "bad value" },
	{ "tlsrequired_no 1", "tlsrequired_no yes", "bad value" },
	{ "tlsrequired_no 1", "tlsrequired_no -", "bad value" },
	{ "tlsrequired_no 1", "tlsrequired_no", "needs one value" },
	{ "tlsrequired_no 1", "TLSrequired_no 1", "unknown key" },
	{ "notice postmaster\ntlsrequired_no 1\n",
	    "tlsrequired_no 1\nnotice postmaster\n", "missing key notice" },
	/* held and held_total (version 4) */
	{ "held 1700000700\n", "", "missing key held" },
	{ "held_total 3600\n", "", "missing key held_total" },
	{ "held 1700000700\nheld_total 3600\n",
	    "held_total 3600\nheld 1700000700\n", "missing key held" },
	{ "held 1700000700\n", "held 1700000700\nheld 1700000700\n",
	    "duplicate key held" },
	{ "end\n", "held_total 0\nend\n", "duplicate key held_total" },
	{ "held 1700000700", "held -1", "bad value for held" },
	{ "held 1700000700", "held 01700000700", "bad value for held" },
	{ "held 1700000700", "held 17000007OO", "bad value for held" },
	{ "held 1700000700", "held 9223372036854775808", "bad value for held" },
	{ "held 1700000700", "held -", "bad value for held" },
	{ "held 1700000700", "held", "held needs one value" },
	{ "held 1700000700", "held 1 2", "held needs one value" },
	{ "held_total 3600", "held_total -3600", "bad value for held_total" },
	{ "held_total 3600", "held_total 03600", "bad value for held_total" },
	{ "held_total 3600", "held_total +3600", "bad value for held_total" },
	{ "held_total 3600", "held_total 3600.0", "bad value for held_total" },
	{ "held_total 3600", "held_total 18446744073709551615",
	    "bad value for held_total" },
	{ "held_total 3600", "Held_total 3600", "unknown key" },
	/* the policy source of an error line (version 4) */
	{ "mismatch dane mx1", "mismatch Dane mx1", "bad policy source" },
	{ "mismatch dane mx1", "mismatch dane_x mx1", "bad policy source" },
	{ "mismatch dane mx1", "mismatch dan%C3%A9 mx1", "bad policy source" },
	{ "mismatch dane mx1", "mismatch dane%20x mx1", "bad policy source" },
	{ "mismatch dane mx1",
	    "mismatch aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa mx1",
	    "bad policy source" },
	{ "mismatch dane mx1", "mismatch mx1", "error needs 7 fields" },
	{ "5.1.1 - - - 5.1.1", "5.1.1 - - 5.1.1", "error needs 7 fields" },
	{ "end\n", "tlsrequired_no 0\nend\n", "duplicate key tlsrequired_no" },
	{ "notice postmaster\n", "", "missing key notice" },
	{ "notice postmaster", "notice bounce", "bad value" },
	{ "warned 1700000300", "warned -5", "bad value" },
	{ "size 4321\n", "size 4321\ncolor red\n", "unknown key" },
	{ "size 4321\n", "size 4321\nsize 4321\n", "duplicate key size" },
	{ "size 4321\n", "", "missing key size" },
	{ "client_user %2D\n", "", "missing key client_user" },
	{ "end\n", "size 1\nend\n", "duplicate key size" },
	{ "end\n", "bogus 1\nend\n", "unknown key" },
	{ "arrival 1700000000\nsize 4321\n", "size 4321\narrival 1700000000\n",
	    "missing key arrival" },
	{ "arrival 1700000000", "arrival 01700000000", "bad value" },
	{ "arrival 1700000000", "arrival -1", "bad value" },
	{ "arrival 1700000000", "arrival 17x", "bad value" },
	{ "arrival 1700000000", "arrival 9223372036854775808", "bad value" },
	{ "arrival 1700000000", "arrival", "needs one value" },
	{ "arrival 1700000000", "arrival 1 2", "needs one value" },
	{ "size 4321", "size 18446744073709551616", "bad value" },
	{ "size 4321", "size 99999999999999999999", "bad value" },
	{ "size 4321", "size +4321", "bad value" },
	{ "smtputf8 1", "smtputf8 2", "bad value" },
	{ "body 8bitmime", "body 8BITMIME", "bad value" },
	{ "ret hdrs", "ret none", "bad value" },
	{ "id 0193AB4C5D6E7F80aa", "id 0193AB4C5D6", "bad value" },
	{ "id 0193AB4C5D6E7F80aa", "id 0193AB4C5D6E7F80aa0193AB4C5D6E7F80aa01234",
	    "bad value" },
	{ "id 0193AB4C5D6E7F80aa", "id 0193AB4C5D6E.F80aa", "bad value" },
	{ "id 0193AB4C5D6E7F80aa", "id -", "bad value" },
	/* escapes */
	{ "envid QQ%20314%25159", "envid QQ%20314%2", "bad value" },
	{ "envid QQ%20314%25159", "envid QQ%2g314", "bad value" },
	{ "envid QQ%20314%25159", "envid QQ%2a314", "bad value" },
	{ "envid QQ%20314%25159", "envid QQ%41314", "bad value" },
	{ "envid QQ%20314%25159", "envid QQ%00314", "bad value" },
	{ "envid QQ%20314%25159", "envid QQ 314", "needs one value" },
	{ "client_user %2D", "client_user %2d", "bad value" },
	{ "client_user %2D", "client_user %2D%2D", "bad value" },
	{ "client_helo mx.example.org",
	    "client_helo mx.\xc3\xa4xample.org", "non-ASCII" },
	{ "client_helo mx.example.org", "client_helo mx.\texample.org",
	    "control" },
	/* separators and line ends */
	{ "size 4321\n", "size  4321\n", "empty field" },
	{ "size 4321\n", "size 4321 \n", "empty field" },
	{ "size 4321\n", " size 4321\n", "empty field" },
	{ "size 4321\n", "size 4321\r\n", "control" },
	{ "size 4321\n", "size 4321\n\n", "empty field" },
	/* recipients */
	{ "rcpt pending 0 0 0", "rcpt waiting 0 0 0", "state" },
	{ "rcpt pending 0 0 0", "rcpt pending 00 0 0", "attempts" },
	{ "rcpt pending 0 0 0", "rcpt pending 4294967296 0 0", "attempts" },
	{ "rcpt pending 0 0 0", "rcpt pending 0 x 0", "last attempt" },
	{ "rcpt pending 0 0 0", "rcpt pending 0 0 -5", "next retry" },
	{ "success,delay", "delay,success", "notify" },
	{ "success,delay", "success,,delay", "notify" },
	{ "success,delay", "never,delay", "notify" },
	{ "success,delay", "SUCCESS,DELAY", "notify" },
	{ "success,delay", "", "empty field" },
	{ " bob@example.net\n", " -\n", "recipient address" },
	{ " bob@example.net\n", "\n", "fields" },
	{ " bob@example.net\n", " bob@example.net x\n", "fields" },
	{ "rcpt pending", "rcpt", "fields" },
	/* errors */
	{ "error 1 451", "error 0 451", "error index" },
	{ "error 1 451", "error 2 451", "error index" },
	{ "error 1 451", "error 01 451", "error index" },
	{ "error 1 451", "error 1 199", "error code" },
	{ "error 1 451", "error 1 600", "error code" },
	{ "error 1 451", "error 1 0", "error code" },
	{ "certificate-host-mismatch", "certificate_host_mismatch",
	    "error field" },
	{ "certificate-host-mismatch", "Certificate-host-mismatch",
	    "error field" },
	{ "error 1 451 4.7.5", "error 1 451", "fields" },
	{ "\"a%20b\"@ex%C3%A4mple.org\n", "\"a%20b\"@ex%C3%A4mple.org\n"
	    "error 2 250 2.0.0 - - - ok\nerror 2 250 2.0.0 - - - ok\n",
	    "not right after" },
	{ "rcpt pending", "error 0 451 - - - - x\nrcpt pending",
	    "not right after" },
	/* the end */
	{ "end\n", "end", "unterminated" },
	{ "end\n", "end \n", "empty field" },
	{ "end\n", "end x\n", "text after end" },
	{ "end\n", "end\n\n", "data after end" },
	{ "end\n", "end\nend\n", "data after end" },
	{ "end\n", "", "end of file" },
	{ "end\n", "End\n", "unknown key" },
};

static void
test_malformed(void **state)
{
	struct envelope	 e;
	struct reason	 why;
	char		*buf = malloc(BUFSZ);
	const char	*at;
	size_t		 i, pre, flen, rlen, len;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		at = strstr(golden, c->find);
		if (at == NULL)
			fail_msg("case %zu: \"%s\" not in golden", i, c->find);
		pre = (size_t)(at - golden);
		flen = strlen(c->find);
		rlen = strlen(c->replace);
		memcpy(buf, golden, pre);
		memcpy(buf + pre, c->replace, rlen);
		memcpy(buf + pre + rlen, at + flen,
		    sizeof(golden) - 1 - pre - flen);
		len = sizeof(golden) - 1 - flen + rlen;
		memset(&why, 0, sizeof(why));
		if (envelope_parse(buf, len, &e, &why) != -1)
			fail_msg("case %zu (%s -> %s) accepted", i, c->find,
			    c->replace);
		if (strstr(why.text, c->why) == NULL)
			fail_msg("case %zu (%s -> %s): \"%s\" lacks \"%s\"", i,
			    c->find, c->replace, why.text, c->why);
		assert_int_equal(why.code, 451);
		assert_null(e.rcpt);
	}
	/* no recipients at all */
	at = strstr(golden, "rcpt pending");
	pre = (size_t)(at - golden);
	memcpy(buf, golden, pre);
	memcpy(buf + pre, "end\n", 4);
	assert_int_equal(envelope_parse(buf, pre + 4, &e, &why), -1);
	assert_non_null(strstr(why.text, "no recipients"));
	/* a NUL byte */
	len = sizeof(golden) - 1;
	memcpy(buf, golden, len);
	buf[len - 2] = '\0';
	assert_int_equal(envelope_parse(buf, len, &e, &why), -1);
	assert_non_null(strstr(why.text, "control"));
	assert_int_equal(envelope_parse("", 0, &e, &why), -1);
	assert_int_equal(envelope_parse("", 0, &e, NULL), -1);
	free(buf);
}

static void
test_rcpt_limit(void **state)
{
	struct envelope	 e, p;
	struct reason	 why;
	char		 addr[32];
	char		*buf;
	size_t		 i, len, size = 64 * 1024 * 16;
	int		 n;

	(void)state;
	envelope_init(&e);
	xstrlcpy(e.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn", sizeof(e.id));
	assert_int_equal(envelope_id_valid(e.id, strlen(e.id)), 1);
	for (i = 0; i < ENVELOPE_RCPT_MAX; i++) {
		n = snprintf(addr, sizeof(addr), "u%zu@example.org", i);
		assert_true(n > 0 && (size_t)n < sizeof(addr));
		assert_non_null(envelope_add_rcpt(&e, addr));
	}
	assert_null(envelope_add_rcpt(&e, "one@too.many"));
	assert_int_equal(e.nrcpt, ENVELOPE_RCPT_MAX);
	buf = malloc(size);
	assert_non_null(buf);
	assert_int_equal(envelope_write(&e, buf, size, &len), 0);
	assert_int_equal(envelope_parse(buf, len, &p, &why), 0);
	assert_int_equal(p.nrcpt, ENVELOPE_RCPT_MAX);
	envelope_free(&p);
	/* one more rcpt line in the text */
	assert_true(len + 64 < size);
	memcpy(buf + len - 4, "rcpt pending 0 0 0 - - x@y\nend\n", 31);
	assert_int_equal(envelope_parse(buf, len + 27, &p, &why), -1);
	assert_non_null(strstr(why.text, "too many recipients"));
	free(buf);
	envelope_free(&e);

	/* address limits */
	envelope_init(&e);
	assert_null(envelope_add_rcpt(&e, ""));
	{
		char long_addr[ENVELOPE_ADDR_MAX + 2];

		memset(long_addr, 'a', sizeof(long_addr));
		long_addr[ENVELOPE_ADDR_MAX] = '\0';
		assert_non_null(envelope_add_rcpt(&e, long_addr));
		long_addr[ENVELOPE_ADDR_MAX] = 'a';
		long_addr[ENVELOPE_ADDR_MAX + 1] = '\0';
		assert_null(envelope_add_rcpt(&e, long_addr));
	}
	assert_int_equal(e.nrcpt, 1);
	envelope_free(&e);
}

static void
test_id_valid(void **state)
{
	static const struct {
		const char	*id;
		int		 ok;
	} c[] = {
		{ "abcdefghijkl", 1 }, { "abcdefghijk", 0 },
		{ "0123456789ABCDEFabcdef0123456789ABCDEFab", 1 },
		{ "0123456789ABCDEFabcdef0123456789ABCDEFabc", 0 },
		{ "abcdefghijk/", 0 }, { "../../etc/pas", 0 },
		{ "abcdefghij.k", 0 }, { "abcdefghij k", 0 },
		{ "abcdefghij-k", 0 }, { "abcdefghij\xc3\xa4", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (envelope_id_valid(c[i].id, strlen(c[i].id)) != c[i].ok)
			fail_msg("id case %zu", i);
	assert_int_equal(envelope_id_valid("abcdef\0hijkl", 12), 0);
	assert_string_equal(envelope_rcpt_state_name(ENVELOPE_RCPT_EXPIRED),
	    "expired");
	assert_null(envelope_rcpt_state_name((enum envelope_rcpt_state)5));
}

/* The escape and number spellings that the history shares. */
static void
test_esc(void **state)
{
	static const struct {
		const char	*plain;
		const char	*esc;
	} c[] = {
		{ "", "" },
		{ "-", "-" },		/* the envelope's "-" is its own */
		{ "a b", "a%20b" },
		{ "100%", "100%25" },
		{ "k=v\\", "k=v\\" },
		{ "\t\r\n\x01\x7f", "%09%0D%0A%01%7F" },
		{ "\xc3\xa4~!", "%C3%A4~!" },
	};
	static const struct {
		const char	*in;
		uint64_t	 max;
		int		 ok;
		uint64_t	 v;
	} num[] = {
		{ "0", 9, 0, 0 }, { "9", 9, 0, 9 }, { "10", 9, -1, 0 },
		{ "00", 9, -1, 0 }, { "", 9, -1, 0 }, { "-1", 9, -1, 0 },
		{ "+1", 9, -1, 0 }, { " 1", 9, -1, 0 }, { "1x", 9, -1, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -1, 0 },
		{ "100000000000000000000", UINT64_MAX, -1, 0 },
	};
	char		buf[64], small[4];
	size_t		i, n;
	uint64_t	v;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = envelope_esc_encode(c[i].plain, buf, sizeof(buf));
		if (n != strlen(c[i].esc) || memcmp(buf, c[i].esc, n) != 0)
			fail_msg("encode case %zu: %.*s", i, (int)n, buf);
		assert_int_equal(envelope_esc_encode(c[i].plain, NULL, 0), n);
		assert_int_equal(envelope_esc_decode(c[i].esc,
		    strlen(c[i].esc), buf, sizeof(buf)), 0);
		assert_string_equal(buf, c[i].plain);
	}
	/* the size bound counts the NUL */
	assert_int_equal(envelope_esc_decode("abc", 3, small, 4), 0);
	assert_int_equal(envelope_esc_decode("abcd", 4, small, 4), -1);
	assert_int_equal(envelope_esc_decode("", 0, small, 0), -1);
	assert_int_equal(envelope_esc_decode("%20%20%20", 9, small, 4), 0);
	assert_int_equal(envelope_esc_decode("%20%20%20%20", 12, small, 4),
	    -1);
	/* a cut escape is not written half */
	assert_int_equal(envelope_esc_encode("a b", small, 2), 5);
	/* non-canonical spellings */
	assert_int_equal(envelope_esc_decode("%41", 3, buf, sizeof(buf)), -1);
	assert_int_equal(envelope_esc_decode("%0a", 3, buf, sizeof(buf)), -1);
	assert_int_equal(envelope_esc_decode("%0", 2, buf, sizeof(buf)), -1);
	assert_int_equal(envelope_esc_decode("%00", 3, buf, sizeof(buf)), -1);
	assert_int_equal(envelope_esc_decode("a b", 3, buf, sizeof(buf)), -1);
	assert_int_equal(envelope_esc_decode("%", 1, buf, sizeof(buf)), -1);
	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		v = 12345;
		if (envelope_esc_number(num[i].in, strlen(num[i].in),
		    num[i].max, &v) != num[i].ok)
			fail_msg("number case %zu", i);
		assert_true(v == (num[i].ok == 0 ? num[i].v : 12345));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_sizes),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_corruptions),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_rcpt_limit),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_esc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
