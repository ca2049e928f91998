/*
 * test_sendmail_drop.c: unit tests for mta/cli/sendmail_drop.c, table
 * style: the maildrop header (doc/design.md §6) written for each kind of
 * command line and read back; headers that parse (every key, the order,
 * rcpt repeated, the message after "end"); and malformed ones: another
 * version, a missing or repeated key, keys out of order, an unknown
 * line, a control byte, CRLF, no end, a bad time (not a number, before
 * 2000-01-01, more than a day ahead), a missing or bad uid, bad flags,
 * sender or name, too many or too long operands, no recipient without -t, a
 * header past its bound; the writer's refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "cli/sendmail.h"

#define V	"sealpost-maildrop 1\n"
/* the parser's clock in every case, and a time line for it */
#define NOW	1765000000LL
#define T	"1765000000"

struct parse_case {
	const char	*in;
	int		 rc;		/* 0 or -1 */
	long long	 time;
	int		 extract;
	int		 dot_ends;
	const char	*sender;	/* NULL: no sender line */
	const char	*fullname;
	size_t		 nrcpt;
	const char	*rcpt0;		/* the first operand */
	const char	*rest;		/* the message after the header */
	const char	*why;		/* a word of the error */
};

static const struct parse_case parse_cases[] = {
	{ V "time 1765000000\nuid 1000\nflags -\nrcpt a@b\nend\nSubject: x\n\nhi\n", 0,
	    1765000000, 0, 1, NULL, "", 1, "a@b", "Subject: x\n\nhi\n", NULL },
	{ V "time 946684800\nuid 1000\nflags ti\nsender <>\nfullname The Robot\n"
	    "rcpt Jo <jo@x>, root\nrcpt b@c\nend\n", 0, 946684800, 1, 0, "",
	    "The Robot", 2, "Jo <jo@x>, root", "", NULL },
	{ V "time 1765000007\nuid 1000\nflags t\nend\nTo: a@b\n", 0, 1765000007, 1, 1, NULL, "", 0, NULL,
	    "To: a@b\n", NULL },
	{ V "time 1765000007\nuid 1000\nflags i\nsender <me@here>\nrcpt x\nend\n.\n", 0, 1765000007, 0, 0,
	    "me@here", "", 1, "x", ".\n", NULL },
	/* a message that looks like a header line is the message */
	{ V "time 1765000007\nuid 1000\nflags -\nrcpt x\nend\nend\nrcpt evil\n", 0, 1765000007, 0, 1,
	    NULL, "", 1, "x", "end\nrcpt evil\n", NULL },
	/* malformed */
	{ "", -1, 0, 0, 0, NULL, NULL, 0, NULL, NULL, "version" },
	{ "sealpost-maildrop 2\ntime " T "\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "version" },
	{ "sealpost-maildrop 1\r\ntime " T "\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0,
	    0, NULL, NULL, 0, NULL, NULL, "version" },
	{ V "time 1\r\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "control" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\n", -1, 0, 0, 0, NULL, NULL, 0, NULL,
	    NULL, "end" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\nen", -1, 0, 0, 0, NULL, NULL, 0, NULL,
	    NULL, "cut" },
	{ V "flags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL, NULL,
	    "time" },
	{ V "time " T "\nuid 1000\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL, NULL,
	    "flags" },
	{ V "time " T "\nuid 1000\ntime 2\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL,
	    0, NULL, NULL, "order" },
	{ V "time " T "\nuid 1000\nflags -\nflags t\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "order" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\nsender <x@y>\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "order" },
	{ V "flags -\ntime " T "\nuid 1000\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "order" },
	{ V "time " T "\nuid 1000\nflags -\nuid 0\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL,
	    0, NULL, NULL, "order" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt\nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL,
	    NULL, "unknown" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt \nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL,
	    NULL, "empty" },
	{ V "time -1\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "time" },
	{ V "time 1234567890123456789\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "time" },
	{ V "time \nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL,
	    NULL, "time" },
	{ V "time " T "\nuid 1000\nflags it\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "flags" },
	{ V "time " T "\nuid 1000\nflags x\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "flags" },
	{ V "time " T "\nuid 1000\nflags -\nsender x@y\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "sender" },
	{ V "time " T "\nuid 1000\nflags -\nsender <x y>\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "sender" },
	{ V "time " T "\nuid 1000\nflags -\nsender <<x>>\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "sender" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\x01\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "control" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\x7f\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "control" },
	{ V "time " T "\nuid 1000\nflags -\nend\n", -1, 0, 0, 0, NULL, NULL, 0, NULL, NULL,
	    "recipients" },
	{ V "time " T "\nuid 1000\nflags -\nrcpt a\nend \n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "unknown" },
	/* the time: from 2000-01-01 to a day ahead of the parser's clock */
	{ V "time 1765086400\nuid 1000\nflags -\nrcpt a\nend\n", 0, 1765086400,
	    0, 1, NULL, "", 1, "a", "", NULL },
	{ V "time 1765086401\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "ahead" },
	{ V "time 946684799\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "2000" },
	{ V "time 999999999999999999\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0,
	    0, 0, NULL, NULL, 0, NULL, NULL, "ahead" },
	{ V "time 1\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "2000" },
	{ V "time 01765000000\nuid 1000\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "number" },
	/* the uid line: present, a plain number */
	{ V "time " T "\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL, NULL, 0,
	    NULL, NULL, "uid" },
	{ V "time " T "\nuid -1\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "uid" },
	{ V "time " T "\nuid 4294967296\nflags -\nrcpt a\nend\n", -1, 0, 0, 0,
	    NULL, NULL, 0, NULL, NULL, "uid" },
	{ V "time " T "\nuid 01\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "uid" },
	{ V "time " T "\nuid \nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "uid" },
	{ V "uid 1000\ntime " T "\nflags -\nrcpt a\nend\n", -1, 0, 0, 0, NULL,
	    NULL, 0, NULL, NULL, "order" },
};

static void
test_parse(void **state)
{
	struct sendmail_drop *d;
	char err[256];
	size_t i, hlen, len;
	int rc;

	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];

		err[0] = '\0';
		hlen = 0;
		len = strlen(t->in);
		rc = sendmail_drop_parse(t->in, len, NOW, d, &hlen, err,
		    sizeof(err));
		if (rc != t->rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, t->rc,
			    err);
		if (rc == -1) {
			if (strstr(err, t->why) == NULL)
				fail_msg("case %zu: error '%s' lacks '%s'", i,
				    err, t->why);
			continue;
		}
		assert_int_equal(d->time, t->time);
		assert_int_equal(d->uid, 1000);
		assert_int_equal(d->extract, t->extract);
		assert_int_equal(d->dot_ends, t->dot_ends);
		assert_int_equal(d->have_sender, t->sender != NULL);
		if (t->sender != NULL)
			assert_string_equal(d->sender, t->sender);
		assert_string_equal(d->fullname, t->fullname);
		assert_int_equal(d->nrcpt, t->nrcpt);
		if (t->rcpt0 != NULL) {
			assert_int_equal(d->rcpt_len[0], strlen(t->rcpt0));
			assert_memory_equal(t->in + d->rcpt_off[0], t->rcpt0,
			    strlen(t->rcpt0));
		}
		assert_string_equal(t->in + hlen, t->rest);
	}
	free(d);
}

/* Bounds: 1,000 operands pass, 1,001 do not; one too long; the whole. */
static void
test_parse_bounds(void **state)
{
	struct sendmail_drop *d;
	struct buf b;
	char err[256], big[SENDMAIL_DROP_VALUE_MAX + 2];
	size_t i, hlen;

	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	buf_init(&b, 4 * SENDMAIL_DROP_HDR_MAX);
	assert_int_equal(buf_puts(&b, V "time " T "\nuid 0\nflags -\n"), 0);
	for (i = 0; i < SENDMAIL_RCPT_MAX; i++)
		assert_int_equal(buf_printf(&b, "rcpt u%zu@x\n", i), 0);
	assert_int_equal(buf_puts(&b, "end\n"), 0);
	assert_int_equal(sendmail_drop_parse(b.data, b.len, NOW, d, &hlen, err,
	    sizeof(err)), 0);
	assert_int_equal(d->nrcpt, SENDMAIL_RCPT_MAX);
	b.len -= 4;
	assert_int_equal(buf_puts(&b, "rcpt one@more\nend\n"), 0);
	assert_int_equal(sendmail_drop_parse(b.data, b.len, NOW, d, &hlen, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));

	buf_reset(&b);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, V "time " T "\nuid 0\nflags -\nrcpt %s\nend\n",
	    big), 0);
	assert_int_equal(sendmail_drop_parse(b.data, b.len, NOW, d, &hlen, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));

	/* a header of many long lines passes its bound before its end */
	buf_reset(&b);
	big[SENDMAIL_DROP_VALUE_MAX] = '\0';
	assert_int_equal(buf_puts(&b, V "time " T "\nuid 0\nflags -\n"), 0);
	for (i = 0; i < 80; i++)
		assert_int_equal(buf_printf(&b, "rcpt %s\n", big), 0);
	assert_int_equal(buf_puts(&b, "end\n"), 0);
	assert_true(b.len > SENDMAIL_DROP_HDR_MAX);
	assert_int_equal(sendmail_drop_parse(b.data, b.len, NOW, d, &hlen, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "octets"));
	buf_free(&b);
	free(d);
}

struct write_case {
	int		 extract;
	int		 dot_ends;
	const char	*sender;	/* NULL: no -f */
	const char	*fullname;
	const char	*rcpt[3];	/* NULL-terminated */
	long long	 when;
	const char	*want;		/* NULL: refused */
};

static const struct write_case write_cases[] = {
	{ 0, 1, NULL, "", { "a@b", NULL }, 1765000005,
	    V "time 1765000005\nuid 1000\nflags -\nrcpt a@b\nend\n" },
	{ 1, 0, "", "Ro Bot", { "Jo <jo@x>, root", "c", NULL }, 946684800,
	    V "time 946684800\nuid 1000\nflags ti\nsender <>\n"
	    "fullname Ro Bot\nrcpt Jo <jo@x>, root\nrcpt c\nend\n" },
	{ 1, 1, "me@here", "", { NULL }, 1765000009,
	    V "time 1765000009\nuid 1000\nflags t\nsender <me@here>\nend\n" },
	{ 0, 0, NULL, "", { "x", NULL }, 1765000009,
	    V "time 1765000009\nuid 1000\nflags i\nrcpt x\nend\n" },
	/* refused */
	{ 0, 1, NULL, "", { NULL }, 1, NULL },
	{ 0, 1, NULL, "", { "a\nrcpt evil", NULL }, 1, NULL },
	{ 0, 1, NULL, "", { "", NULL }, 1, NULL },
	{ 0, 1, NULL, "a\x01", { "a", NULL }, 1, NULL },
	{ 0, 1, "x y", "", { "a", NULL }, 1, NULL },
	{ 0, 1, NULL, "", { "a", NULL }, -1, NULL },
};

static void
test_write(void **state)
{
	struct sendmail_opts o;
	struct sendmail_drop *d;
	struct buf b;
	char err[256];
	size_t i, n, hlen;
	int rc;

	(void)state;
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	for (i = 0; i < sizeof(write_cases) / sizeof(write_cases[0]); i++) {
		const struct write_case *t = &write_cases[i];

		memset(&o, 0, sizeof(o));
		o.extract = t->extract;
		o.dot_ends = t->dot_ends;
		if (t->sender != NULL) {
			o.have_sender = 1;
			assert_true(strlcpy(o.sender, t->sender,
			    sizeof(o.sender)) < sizeof(o.sender));
		}
		assert_true(strlcpy(o.fullname, t->fullname,
		    sizeof(o.fullname)) < sizeof(o.fullname));
		for (n = 0; t->rcpt[n] != NULL; n++)
			;
		o.rcpt = (char *const *)t->rcpt;
		o.nrcpt = n;
		buf_init(&b, SENDMAIL_DROP_HDR_MAX);
		rc = sendmail_drop_write(&b, &o, t->when, 1000);
		if (t->want == NULL) {
			if (rc != -1)
				fail_msg("case %zu: written", i);
			buf_free(&b);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: refused", i);
		assert_int_equal(b.len, strlen(t->want));
		assert_memory_equal(b.data, t->want, b.len);
		/* and it reads back */
		assert_int_equal(sendmail_drop_parse(b.data, b.len, NOW, d,
		    &hlen, err, sizeof(err)), 0);
		assert_int_equal(hlen, b.len);
		assert_int_equal(d->nrcpt, n);
		assert_int_equal(d->uid, 1000);
		buf_free(&b);
	}
	/* a uid that is none */
	memset(&o, 0, sizeof(o));
	o.rcpt = (char *const *)write_cases[0].rcpt;
	o.nrcpt = 1;
	buf_init(&b, SENDMAIL_DROP_HDR_MAX);
	assert_int_equal(sendmail_drop_write(&b, &o, NOW, -1), -1);
	buf_free(&b);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
