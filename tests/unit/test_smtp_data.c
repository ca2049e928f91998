/*
 * test_smtp_data.c: unit tests for mta/smtp_data.c: end of data, dot
 * unstuffing, SMTP smuggling variants, limits, and the same result for
 * every way of splitting the input and sizing the output buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_data.h"

#define OUTMAX	8192

struct run {
	char			out[OUTMAX];
	size_t			outlen;
	size_t			consumed;
	enum smtp_data_status	status;
	struct smtp_data	d;
};

enum chunking { CH_WHOLE, CH_BYTE, CH_RANDOM, CH_SPLIT };

/* Feeds in[0..len) in chunks chosen by mode (CH_RANDOM: LCG seeded with
 * arg; CH_SPLIT: two pieces at arg) with an out buffer of outsize. */
static void
drive(const char *in, size_t len, size_t maxs, size_t maxh,
    enum chunking mode, unsigned arg, size_t outsize, struct run *r)
{
	char			tmp[OUTMAX];
	size_t			pos = 0, end, used, wrote;
	unsigned		seed = arg * 2654435761u + 1;
	enum smtp_data_status	st = SMTP_DATA_MORE;

	memset(r, 0, sizeof(*r));
	smtp_data_init(&r->d, maxs, maxh);
	assert_true(outsize <= sizeof(tmp));
	while (pos < len && st != SMTP_DATA_DONE) {
		switch (mode) {
		case CH_WHOLE:
			end = len;
			break;
		case CH_BYTE:
			end = pos + 1;
			break;
		case CH_RANDOM:
			seed = seed * 1103515245u + 12345u;
			end = pos + 1 + (seed >> 16) % 17;
			break;
		default:
			end = pos < arg ? arg : len;
			break;
		}
		if (end > len)
			end = len;
		for (;;) {
			st = smtp_data_feed(&r->d, in + pos, end - pos, &used,
			    tmp, outsize, &wrote);
			assert_true(used <= end - pos);
			assert_true(wrote <= outsize);
			assert_true(r->outlen + wrote <= sizeof(r->out));
			memcpy(r->out + r->outlen, tmp, wrote);
			r->outlen += wrote;
			pos += used;
			if (st == SMTP_DATA_OUTFULL) {
				assert_true(pos < end);
				continue;
			}
			if (st == SMTP_DATA_MORE)
				assert_true(pos == end);
			else
				assert_int_equal(st, SMTP_DATA_DONE);
			break;
		}
	}
	r->consumed = pos;
	r->status = st;
}

static void
same_run(const struct run *a, const struct run *b, const char *what)
{
	if (a->status != b->status || a->consumed != b->consumed ||
	    a->outlen != b->outlen ||
	    memcmp(a->out, b->out, a->outlen) != 0 ||
	    a->d.size != b->d.size || a->d.written != b->d.written ||
	    a->d.header_size != b->d.header_size ||
	    a->d.lines != b->d.lines || a->d.flags != b->d.flags ||
	    a->d.reject != b->d.reject)
		fail_msg("%s: runs differ", what);
	{
		size_t la = 0, lb = 0;
		const char *ma = smtp_data_msgid(&a->d, &la);
		const char *mb = smtp_data_msgid(&b->d, &lb);

		if ((ma == NULL) != (mb == NULL) || la != lb ||
		    (ma != NULL && memcmp(ma, mb, la) != 0))
			fail_msg("%s: Message-ID differs", what);
	}
	if (smtp_data_tlsrequired_no(&a->d) !=
	    smtp_data_tlsrequired_no(&b->d))
		fail_msg("%s: TLS-Required differs", what);
}

/* Every chunking and output size gives the reference result. */
static void
all_chunkings(const char *in, size_t len, size_t maxs, size_t maxh,
    const struct run *ref)
{
	static const size_t	outsizes[] = { 2, 3, 5, 64, OUTMAX };
	struct run		*r = malloc(sizeof(*r));
	size_t			 o, k;
	unsigned		 s;

	assert_non_null(r);
	for (o = 0; o < sizeof(outsizes) / sizeof(outsizes[0]); o++) {
		drive(in, len, maxs, maxh, CH_WHOLE, 0, outsizes[o], r);
		same_run(ref, r, "whole");
		drive(in, len, maxs, maxh, CH_BYTE, 0, outsizes[o], r);
		same_run(ref, r, "byte by byte");
		for (s = 0; s < 20; s++) {
			drive(in, len, maxs, maxh, CH_RANDOM, s, outsizes[o],
			    r);
			same_run(ref, r, "random chunks");
		}
	}
	for (k = 0; k <= len; k++) {
		drive(in, len, maxs, maxh, CH_SPLIT, (unsigned)k, 2, r);
		same_run(ref, r, "split");
		drive(in, len, maxs, maxh, CH_SPLIT, (unsigned)k, OUTMAX, r);
		same_run(ref, r, "split");
	}
	free(r);
}

struct data_case {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 done;
	int		 code;		/* 0 accepted, else reply code */
	const char	*out;		/* checked if accepted */
	const char	*rest;		/* input left after the end */
	unsigned	 flags;		/* expected flags (all seen) */
};

#define BARE_CR	SMTP_DATA_F_BARE_CR
#define BARE_LF	SMTP_DATA_F_BARE_LF

static const struct data_case data_cases[] = {
	{ "simple", "Subject: x\r\n\r\nhello\r\n.\r\n", 0, 1, 0,
	    "Subject: x\r\n\r\nhello\r\n", "", 0 },
	{ "empty message", ".\r\n", 0, 1, 0, "", "", 0 },
	{ "pipelined rest", "a\r\n.\r\nQUIT\r\n", 0, 1, 0, "a\r\n",
	    "QUIT\r\n", 0 },
	{ "two ends", "a\r\n.\r\n.\r\n", 0, 1, 0, "a\r\n", ".\r\n", 0 },
	{ "dot-stuffed line", "a\r\n..b\r\n.\r\n", 0, 1, 0, "a\r\n.b\r\n",
	    "", 0 },
	{ "dot-stuffed lone dot", "a\r\n..\r\nb\r\n.\r\n", 0, 1, 0,
	    "a\r\n.\r\nb\r\n", "", 0 },
	{ "double stuffed", "...\r\n.\r\n", 0, 1, 0, "..\r\n", "", 0 },
	{ "leading dot first line", ".foo\r\n.\r\n", 0, 1, 0, "foo\r\n", "",
	    0 },
	{ "dot space", "a\r\n. \r\n.\r\n", 0, 1, 0, "a\r\n \r\n", "", 0 },
	{ "dot not at line start", "a.\r\nb .\r\n.\r\n", 0, 1, 0,
	    "a.\r\nb .\r\n", "", 0 },
	{ "no CRLF before dot", "abc.\r\n", 0, 0, 0, NULL, "", 0 },
	{ "incomplete", "abc\r\n.\r", 0, 0, 0, NULL, "", 0 },
	{ "incomplete 2", "abc\r\n.", 0, 0, 0, NULL, "", 0 },
	{ "8bit", "caf\xc3\xa9\r\n.\r\n", 0, 1, 0, "caf\xc3\xa9\r\n", "",
	    SMTP_DATA_F_8BIT },
	/* smuggling: none of these ends the message early */
	{ "LF.LF", "h: v\r\n\r\nbody\n.\nMAIL FROM:<e@x>\r\n.\r\nQUIT\r\n",
	    0, 1, 550, NULL, "QUIT\r\n", BARE_LF },
	{ "CRLF.LF", "body\r\n.\nMAIL FROM:<e@x>\r\n.\r\nQUIT\r\n", 0, 1, 550,
	    NULL, "QUIT\r\n", BARE_LF },
	{ "LF.CRLF", "body\n.\r\nMAIL FROM:<e@x>\r\n.\r\nQUIT\r\n", 0, 1, 550,
	    NULL, "QUIT\r\n", BARE_LF },
	{ "CR.CR", "body\r.\rMAIL FROM:<e@x>\r\n.\r\nQUIT\r\n", 0, 1, 550,
	    NULL, "QUIT\r\n", BARE_CR },
	{ "CRLF.CR", "body\r\n.\rMAIL FROM:<e@x>\r\n.\r\nQUIT\r\n", 0, 1, 550,
	    NULL, "QUIT\r\n", BARE_CR },
	{ "CRLF.CR CRLF", "body\r\n.\r\r\nX\r\n.\r\nQUIT\r\n", 0, 1, 550,
	    NULL, "QUIT\r\n", BARE_CR },
	{ "CR.CRLF", "body\r.\r\nX\r\n.\r\nQUIT\r\n", 0, 1, 550, NULL,
	    "QUIT\r\n", BARE_CR },
	{ "LF.LF only, no end", "body\n.\nQUIT\r\n", 0, 0, 0, NULL, "",
	    BARE_LF },
	{ "CRLF.LF only, no end", "body\r\n.\nQUIT\r\n", 0, 0, 0, NULL, "",
	    BARE_LF },
	{ "bare LF line", "a\nb\r\n.\r\n", 0, 1, 550, NULL, "", BARE_LF },
	{ "bare CR", "a\rb\r\n.\r\n", 0, 1, 550, NULL, "", BARE_CR },
	{ "CR CR LF", "abc\r\r\n.\r\n", 0, 1, 550, NULL, "", BARE_CR },
	{ "LF at start", "\n.\r\n.\r\n", 0, 1, 550, NULL, "", BARE_LF },
	{ "CR at start", "\r.\r\n.\r\n", 0, 1, 550, NULL, "", BARE_CR },
	{ "NUL", "bo\0dy\r\n.\r\n", 10, 1, 550, NULL, "",
	    SMTP_DATA_F_NUL },
	{ "NUL after dot", "a\r\n.\0\r\n.\r\n", 10, 1, 550, NULL, "",
	    SMTP_DATA_F_NUL },
	{ "both", "a\nb\0\r\n.\r\n", 9, 1, 550, NULL, "",
	    BARE_LF | SMTP_DATA_F_NUL },
};

static void
test_cases(void **state)
{
	struct run	*ref = malloc(sizeof(*ref));
	struct reason	 why;
	size_t		 i, len;

	(void)state;
	assert_non_null(ref);
	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		const struct data_case *c = &data_cases[i];

		len = c->len ? c->len : strlen(c->in);
		drive(c->in, len, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
		if ((ref->status == SMTP_DATA_DONE) != c->done)
			fail_msg("%s: done %d", c->name, ref->status);
		if (ref->d.flags != c->flags)
			fail_msg("%s: flags %x, want %x", c->name,
			    ref->d.flags, c->flags);
		if (len - ref->consumed != strlen(c->rest) ||
		    memcmp(c->in + ref->consumed, c->rest,
		    strlen(c->rest)) != 0)
			fail_msg("%s: wrong rest", c->name);
		assert_int_equal(smtp_data_done(&ref->d), c->done);
		if (!c->done) {
			assert_int_equal(smtp_data_result(&ref->d, &why), -1);
			assert_int_equal(why.code, 451);
		} else if (c->code == 0) {
			if (smtp_data_result(&ref->d, &why) != 0)
				fail_msg("%s: refused: %s", c->name, why.text);
			assert_int_equal(ref->outlen, strlen(c->out));
			assert_memory_equal(ref->out, c->out, ref->outlen);
			assert_true(ref->d.size == ref->outlen);
			assert_true(ref->d.written == ref->outlen);
		} else {
			assert_int_equal(smtp_data_result(&ref->d, &why), -1);
			if (why.code != c->code)
				fail_msg("%s: code %d", c->name, why.code);
			assert_string_equal(why.dsn, "5.6.0");
		}
		all_chunkings(c->in, len, 0, 0, ref);
	}
	free(ref);
}

static void
test_reply_texts(void **state)
{
	struct run	*r = malloc(sizeof(*r));
	struct reason	 why;

	(void)state;
	assert_non_null(r);
	drive("a\nb\r\n.\r\n", 8, 0, 0, CH_WHOLE, 0, OUTMAX, r);
	assert_int_equal(smtp_data_result(&r->d, &why), -1);
	assert_int_equal(why.code, 550);
	assert_string_equal(why.dsn, "5.6.0");
	assert_string_equal(why.text, "Message contains bare CR or LF");
	/* first problem wins; all are flagged */
	drive("a\0b\nc\r\n.\r\n", 10, 0, 0, CH_WHOLE, 0, OUTMAX, r);
	assert_int_equal(smtp_data_result(&r->d, &why), -1);
	assert_string_equal(why.text, "Message contains NUL byte");
	assert_int_equal(r->d.flags, SMTP_DATA_F_NUL | SMTP_DATA_F_BARE_LF);
	/* rejected: nothing written from the problem on, input consumed */
	drive("abc\ndef\r\nghi\r\n.\r\nNOOP\r\n", 23, 0, 0, CH_WHOLE, 0,
	    OUTMAX, r);
	assert_int_equal(r->status, SMTP_DATA_DONE);
	assert_int_equal(r->outlen, 3);
	assert_int_equal(r->consumed, 17);
	assert_true(r->d.size == 14);
	free(r);
}

/* A message of n lines of the given wire length (with CRLF). */
static size_t
mklines(char *buf, size_t size, size_t linelen, size_t n, int dot)
{
	size_t	p = 0, i;

	assert_true(n * linelen + 3 < size);
	for (i = 0; i < n; i++) {
		memset(buf + p, 'x', linelen - 2);
		if (dot)
			buf[p] = '.';
		p += linelen - 2;
		memcpy(buf + p, "\r\n", 2);
		p += 2;
	}
	memcpy(buf + p, ".\r\n", 3);
	return p + 3;
}

static void
test_line_length(void **state)
{
	char		*buf = malloc(4096);
	struct run	*r = malloc(sizeof(*r)), *ref = malloc(sizeof(*ref));
	struct reason	 why;
	size_t		 n;

	(void)state;
	assert_non_null(buf);
	assert_non_null(r);
	assert_non_null(ref);
	/* 1000 with CRLF ok */
	n = mklines(buf, 4096, 1000, 2, 0);
	drive(buf, n, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	assert_true(ref->d.lines == 2);
	all_chunkings(buf, n, 0, 0, ref);
	/* 1001 not */
	n = mklines(buf, 4096, 1001, 2, 0);
	drive(buf, n, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 550);
	assert_string_equal(why.dsn, "5.6.0");
	assert_string_equal(why.text,
	    "Message line too long (limit 1000 octets)");
	assert_int_equal(ref->d.flags, SMTP_DATA_F_LONG_LINE);
	assert_int_equal(ref->consumed, n);
	all_chunkings(buf, n, 0, 0, ref);
	/* the stuffing dot counts: it is on the wire */
	n = mklines(buf, 4096, 1000, 1, 1);
	drive(buf, n, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	assert_int_equal(ref->outlen, 999);
	n = mklines(buf, 4096, 1001, 1, 1);
	drive(buf, n, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	/* a line without CR/LF at all never ends but is flagged */
	memset(buf, 'y', 3000);
	drive(buf, 3000, 0, 0, CH_WHOLE, 0, OUTMAX, r);
	assert_int_equal(r->status, SMTP_DATA_MORE);
	assert_int_equal(r->d.reject, SMTP_DATA_REJ_LONG_LINE);
	/* writing stops at the octet past the limit however the line is
	 * split (the fast path once wrote the rest of its piece) */
	memcpy(buf + 1500, "\r\n.\r\n", 5);
	drive(buf, 1505, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(ref->d.reject, SMTP_DATA_REJ_LONG_LINE);
	assert_int_equal(ref->outlen, SMTP_DATA_LINE_MAX);
	all_chunkings(buf, 1505, 0, 0, ref);
	drive(buf, 1505, 700, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(ref->d.reject, SMTP_DATA_REJ_TOO_BIG);
	assert_int_equal(ref->outlen, 700);
	all_chunkings(buf, 1505, 700, 0, ref);
	drive(buf, 1505, 0, 600, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(ref->d.reject, SMTP_DATA_REJ_HDR_TOO_BIG);
	assert_int_equal(ref->outlen, 600);
	all_chunkings(buf, 1505, 0, 600, ref);
	free(buf);
	free(r);
	free(ref);
}

static void
test_size_limits(void **state)
{
	static const char	 msg[] = "Subject: hi\r\n\r\nbody\r\n..x\r\n.\r\n";
	struct run		*ref = malloc(sizeof(*ref));
	struct reason		 why;
	size_t			 len = sizeof(msg) - 1, size, hdr;

	(void)state;
	assert_non_null(ref);
	drive(msg, len, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	size = (size_t)ref->d.size;
	hdr = (size_t)ref->d.header_size;
	assert_int_equal(size, strlen("Subject: hi\r\n\r\nbody\r\n.x\r\n"));
	assert_int_equal(hdr, strlen("Subject: hi\r\n\r\n"));
	assert_true(ref->d.lines == 4);

	/* size: exactly the limit ok, one less not */
	drive(msg, len, size, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	all_chunkings(msg, len, size, 0, ref);
	drive(msg, len, size - 1, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 552);
	assert_string_equal(why.dsn, "5.3.4");
	assert_string_equal(why.text, "Message size exceeds fixed limit");
	assert_int_equal(ref->status, SMTP_DATA_DONE);
	assert_int_equal(ref->consumed, len);
	assert_true(ref->outlen < size);
	assert_true(ref->d.size == size);
	all_chunkings(msg, len, size - 1, 0, ref);

	/* header: exactly the limit ok, one less not */
	drive(msg, len, 0, hdr, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	all_chunkings(msg, len, 0, hdr, ref);
	drive(msg, len, 0, hdr - 1, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 552);
	assert_string_equal(why.dsn, "5.3.4");
	assert_string_equal(why.text, "Header section too large");
	all_chunkings(msg, len, 0, hdr - 1, ref);
	/* no empty line: everything is header */
	drive("a: b\r\nc: d\r\n.\r\n", 15, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_true(ref->d.header_size == 12);
	drive("a: b\r\nc: d\r\n.\r\n", 15, 0, 11, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	/* an empty first line: empty header section of 2 octets */
	drive("\r\nbody\r\n.\r\n", 11, 0, 2, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	assert_true(ref->d.header_size == 2);
	free(ref);
}

static void
test_api_edges(void **state)
{
	struct smtp_data	d;
	struct reason		why;
	char			out[16];
	size_t			used, wrote;

	(void)state;
	smtp_data_init(&d, 0, 0);
	/* out too small to guarantee progress */
	assert_int_equal(smtp_data_feed(&d, "a", 1, &used, out, 1, &wrote),
	    SMTP_DATA_ERROR);
	assert_int_equal(used, 0);
	/* empty input */
	assert_int_equal(smtp_data_feed(&d, "", 0, &used, out, sizeof(out),
	    &wrote), SMTP_DATA_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(wrote, 0);
	/* OUTFULL with exactly two octets of room: "\r\n" waits whole */
	assert_int_equal(smtp_data_feed(&d, "ab\r", 3, &used, out, 2,
	    &wrote), SMTP_DATA_MORE);
	assert_int_equal(wrote, 2);
	assert_int_equal(smtp_data_feed(&d, "\n.\r\nX", 5, &used, out, 2,
	    &wrote), SMTP_DATA_DONE);
	assert_int_equal(used, 4);
	assert_int_equal(wrote, 2);
	assert_memory_equal(out, "\r\n", 2);
	/* after DONE nothing more is consumed */
	assert_int_equal(smtp_data_feed(&d, "X", 1, &used, out, sizeof(out),
	    &wrote), SMTP_DATA_DONE);
	assert_int_equal(used, 0);
	assert_int_equal(smtp_data_result(&d, &why), 0);
	/* OUTFULL is returned when a byte does not fit */
	smtp_data_init(&d, 0, 0);
	assert_int_equal(smtp_data_feed(&d, "abc", 3, &used, out, 2, &wrote),
	    SMTP_DATA_OUTFULL);
	assert_int_equal(used, 2);
	assert_int_equal(wrote, 2);
}

/*
 * Random inputs over a small alphabet against a simple model: the end is
 * the first "\r\n.\r\n" in "\r\n" + input; the message is refused iff
 * the part before it has a CR not followed by LF, an LF not preceded by
 * CR, or a NUL; an accepted message is the lines with one leading dot
 * removed.
 */
static void
test_model(void **state)
{
	static const char	 alpha[] = { '\r', '\n', '.', 'a', '\0' };
	char			 in[64], pre[66], model[64];
	struct run		*r = malloc(sizeof(*r)), *b = malloc(sizeof(*b));
	unsigned		 seed = 7;
	size_t			 iter, len, i, end, mlen;
	int			 done, bad, bol;
	char			*hit;

	(void)state;
	assert_non_null(r);
	assert_non_null(b);
	for (iter = 0; iter < 30000; iter++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alpha[(seed >> 16) % sizeof(alpha)];
		}
		memcpy(pre, "\r\n", 2);
		memcpy(pre + 2, in, len);
		hit = NULL;
		for (i = 0; i + 5 <= len + 2 && hit == NULL; i++)
			if (memcmp(pre + i, "\r\n.\r\n", 5) == 0)
				hit = pre + i;
		done = hit != NULL;
		end = done ? (size_t)(hit - pre) + 3 : len;	/* in input */
		/* the message proper: in[0..msg) */
		bad = 0;
		for (i = 0; i < (done ? end - 3 : 0); i++) {
			if (in[i] == '\0' ||
			    (in[i] == '\r' && (i + 1 >= len || in[i + 1] != '\n')) ||
			    (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')))
				bad = 1;
		}
		drive(in, len, 0, 0, CH_WHOLE, 0, OUTMAX, r);
		if ((r->status == SMTP_DATA_DONE) != done || r->consumed != end)
			fail_msg("iter %zu: end %zu/%zu, model %d/%zu", iter,
			    r->consumed, len, done, end);
		if (done) {
			struct reason why;

			if ((smtp_data_result(&r->d, &why) == -1) != bad)
				fail_msg("iter %zu: verdict differs", iter);
		}
		if (done && !bad) {
			mlen = 0;
			bol = 1;
			for (i = 0; i < end - 3; i++) {
				if (!(bol && in[i] == '.'))
					model[mlen++] = in[i];
				bol = in[i] == '\n';
			}
			assert_int_equal(r->outlen, mlen);
			assert_memory_equal(r->out, model, mlen);
		}
		drive(in, len, 0, 0, CH_BYTE, 0, 2, b);
		same_run(r, b, "model byte by byte");
		drive(in, len, 0, 0, CH_RANDOM, (unsigned)iter, 3, b);
		same_run(r, b, "model random");
	}
	free(r);
	free(b);
}

/*
 * The first Message-ID field of the header section, unfolded, for the
 * log (doc/design.md §9): found however the input is split.
 */
static const struct msgid_case {
	const char	*in;
	const char	*msgid;		/* NULL: none */
} msgid_cases[] = {
	{ "Message-ID: <a@b.example>\r\n\r\nbody\r\n.\r\n", "<a@b.example>" },
	{ "message-id:<x@y>\r\n\r\n.\r\n", "<x@y>" },
	{ "MESSAGE-ID  :  <x@y>  \r\n\r\n.\r\n", "<x@y>" },
	{ "Subject: hi\r\nMessage-Id: <1@h>\r\nTo: a\r\n\r\n.\r\n",
	    "<1@h>" },
	/* folded: the line break and indentation become one space */
	{ "Message-ID:\r\n <folded@h>\r\n\r\n.\r\n", "<folded@h>" },
	{ "Message-ID: <a@\r\n\tb>\r\nX: y\r\n\r\n.\r\n", "<a@ b>" },
	/* only the first one */
	{ "Message-ID: <1@h>\r\nMessage-ID: <2@h>\r\n\r\n.\r\n", "<1@h>" },
	/* not a Message-ID field */
	{ "Message-IDX: <1@h>\r\n\r\n.\r\n", NULL },
	{ "X-Message-ID: <1@h>\r\n\r\n.\r\n", NULL },
	{ "Resent-Message-ID: <1@h>\r\n\r\n.\r\n", NULL },
	{ "Subject: x\r\n Message-ID: <fold@h>\r\n\r\n.\r\n", NULL },
	/* in the body it does not count */
	{ "Subject: x\r\n\r\nMessage-ID: <body@h>\r\n.\r\n", NULL },
	{ "\r\nMessage-ID: <body@h>\r\n.\r\n", NULL },
	/* a dot-stuffed header line */
	{ "..Message-ID: <1@h>\r\n\r\n.\r\n", NULL },
	/* header without a body and without an empty line */
	{ "Message-ID: <last@h>\r\n.\r\n", "<last@h>" },
	{ "Message-ID:\r\n\r\n.\r\n", "" },
	{ "Subject: none\r\n\r\n.\r\n", NULL },
};

static void
test_msgid(void **state)
{
	struct run *ref = malloc(sizeof(*ref));
	char big[600];
	const char *m;
	size_t i, len;

	(void)state;
	assert_non_null(ref);
	for (i = 0; i < sizeof(msgid_cases) / sizeof(msgid_cases[0]); i++) {
		const struct msgid_case *c = &msgid_cases[i];

		drive(c->in, strlen(c->in), 0, 0, CH_WHOLE, 0, OUTMAX, ref);
		assert_int_equal(ref->status, SMTP_DATA_DONE);
		m = smtp_data_msgid(&ref->d, &len);
		if (c->msgid == NULL) {
			if (m != NULL)
				fail_msg("msgid case %zu: got '%.*s'", i,
				    (int)len, m);
		} else if (m == NULL || len != strlen(c->msgid) ||
		    memcmp(m, c->msgid, len) != 0)
			fail_msg("msgid case %zu: got '%.*s'", i,
			    m ? (int)len : 4, m ? m : "none");
		all_chunkings(c->in, strlen(c->in), 0, 0, ref);
	}
	/* a long one is cut at SMTP_DATA_MSGID_MAX */
	len = (size_t)snprintf(big, sizeof(big), "Message-ID: <");
	memset(big + len, 'z', 400);
	len += 400;
	len += (size_t)snprintf(big + len, sizeof(big) - len, ">\r\n\r\n.\r\n");
	drive(big, len, 0, 0, CH_BYTE, 0, OUTMAX, ref);
	m = smtp_data_msgid(&ref->d, &len);
	assert_non_null(m);
	assert_int_equal(len, SMTP_DATA_MSGID_MAX);
	assert_int_equal(m[0], '<');
	free(ref);
}

/*
 * "TLS-Required: No" (RFC 8689 §5) in the header section: noted only
 * when there is exactly one such field and its value is No, the same
 * however the input is split (all_chunkings feeds every split point).
 */
static const struct tlsreq_case {
	const char	*name;
	const char	*in;
	int		 no;		/* smtp_data_tlsrequired_no */
	int		 code;		/* 0 accepted, else reply code */
} tlsreq_cases[] = {
	{ "present", "TLS-Required: No\r\n\r\nbody\r\n.\r\n", 1, 0 },
	{ "absent", "Subject: x\r\n\r\nbody\r\n.\r\n", 0, 0 },
	{ "empty message", ".\r\n", 0, 0 },
	{ "among others",
	    "From: a@b\r\nSubject: y\r\nTLS-Required: No\r\nTo: c@d\r\n"
	    "\r\nhi\r\n.\r\n", 1, 0 },
	{ "last field", "Subject: y\r\nTLS-Required: No\r\n\r\n.\r\n", 1, 0 },
	/* case: the name and the value are case-insensitive */
	{ "value no", "TLS-Required: no\r\n\r\n.\r\n", 1, 0 },
	{ "value NO", "TLS-Required: NO\r\n\r\n.\r\n", 1, 0 },
	{ "value nO", "TLS-Required: nO\r\n\r\n.\r\n", 1, 0 },
	{ "name lower", "tls-required: No\r\n\r\n.\r\n", 1, 0 },
	{ "name upper", "TLS-REQUIRED: No\r\n\r\n.\r\n", 1, 0 },
	/* white space and folding around the value */
	{ "no space", "TLS-Required:No\r\n\r\n.\r\n", 1, 0 },
	{ "spaces and tabs", "TLS-Required: \t No \t \r\n\r\n.\r\n", 1, 0 },
	{ "space before colon", "TLS-Required  :No\r\n\r\n.\r\n", 1, 0 },
	{ "folded before", "TLS-Required:\r\n No\r\n\r\n.\r\n", 1, 0 },
	{ "folded twice", "TLS-Required:\r\n \r\n\tNo\r\n\r\n.\r\n", 1, 0 },
	{ "folded after", "TLS-Required: No\r\n \r\nX: y\r\n\r\n.\r\n", 1,
	    0 },
	{ "folded inside the word", "TLS-Required: N\r\n o\r\n\r\n.\r\n", 0,
	    0 },
	{ "space inside the word", "TLS-Required: N o\r\n\r\n.\r\n", 0, 0 },
	{ "folded more text", "TLS-Required: No\r\n thanks\r\n\r\n.\r\n", 0,
	    0 },
	/* other values */
	{ "Yes", "TLS-Required: Yes\r\n\r\n.\r\n", 0, 0 },
	{ "empty value", "TLS-Required:\r\n\r\n.\r\n", 0, 0 },
	{ "blank value", "TLS-Required:  \r\n\r\n.\r\n", 0, 0 },
	{ "N", "TLS-Required: N\r\n\r\n.\r\n", 0, 0 },
	{ "None", "TLS-Required: None\r\n\r\n.\r\n", 0, 0 },
	{ "No;", "TLS-Required: No;\r\n\r\n.\r\n", 0, 0 },
	{ "No; comment", "TLS-Required: No; please\r\n\r\n.\r\n", 0, 0 },
	{ "No (comment)", "TLS-Required: No (please)\r\n\r\n.\r\n", 0, 0 },
	{ "quoted", "TLS-Required: \"No\"\r\n\r\n.\r\n", 0, 0 },
	{ "No,No", "TLS-Required: No, No\r\n\r\n.\r\n", 0, 0 },
	{ "8bit", "TLS-Required: No\xc2\xa0\r\n\r\n.\r\n", 0, 0 },
	/* more than one field: unclear, so not honoured */
	{ "two No", "TLS-Required: No\r\nTLS-Required: No\r\n\r\n.\r\n",
	    0, 0 },
	{ "No then Yes", "TLS-Required: No\r\nTLS-Required: Yes\r\n\r\n"
	    ".\r\n", 0, 0 },
	{ "Yes then No", "TLS-Required: Yes\r\nTLS-Required: No\r\n\r\n"
	    ".\r\n", 0, 0 },
	{ "three", "TLS-Required: No\r\nA: b\r\nTLS-Required: No\r\n"
	    "tls-required: no\r\n\r\n.\r\n", 0, 0 },
	/* other field names */
	{ "prefix", "X-TLS-Required: No\r\n\r\n.\r\n", 0, 0 },
	{ "suffix", "TLS-Required-X: No\r\n\r\n.\r\n", 0, 0 },
	{ "short", "TLS-Require: No\r\n\r\n.\r\n", 0, 0 },
	{ "no colon", "TLS-Required No\r\n\r\n.\r\n", 0, 0 },
	{ "old draft name", "RequireTLS: No\r\n\r\n.\r\n", 0, 0 },
	{ "space inside name", "TLS-Required : No\r\nTLS Required: No\r\n"
	    "\r\n.\r\n", 1, 0 },
	{ "in a folded line", "Subject: x\r\n TLS-Required: No\r\n\r\n.\r\n",
	    0, 0 },
	{ "in another value", "Subject: TLS-Required: No\r\n\r\n.\r\n", 0, 0 },
	{ "dot-stuffed", "..TLS-Required: No\r\n\r\n.\r\n", 0, 0 },
	/* only the header section counts */
	{ "in the body", "Subject: x\r\n\r\nTLS-Required: No\r\n.\r\n", 0,
	    0 },
	{ "empty header", "\r\nTLS-Required: No\r\n.\r\n", 0, 0 },
	{ "second one in the body", "TLS-Required: No\r\n\r\n"
	    "TLS-Required: Yes\r\n.\r\n", 1, 0 },
	/* a header without an empty line and without a body */
	{ "no body", "TLS-Required: No\r\n.\r\n", 1, 0 },
	/* next to a Message-ID, both found */
	{ "with Message-ID", "Message-ID: <1@h>\r\nTLS-Required: No\r\n"
	    "Message-ID: <2@h>\r\n\r\n.\r\n", 1, 0 },
	{ "Message-ID after", "TLS-Required: No\r\nMessage-ID:\r\n <1@h>\r\n"
	    "\r\n.\r\n", 1, 0 },
	/* refused messages: the flag is still the same for every split */
	{ "bare LF in value", "TLS-Required: No\nX: y\r\n\r\n.\r\n", 0, 550 },
	{ "bare CR in value", "TLS-Required: N\ro\r\n\r\n.\r\n", 0, 550 },
};

static void
test_tlsrequired(void **state)
{
	struct run	*ref = malloc(sizeof(*ref));
	struct reason	 why;
	char		 big[512];
	size_t		 i, len, hdr;

	(void)state;
	assert_non_null(ref);
	for (i = 0; i < sizeof(tlsreq_cases) / sizeof(tlsreq_cases[0]); i++) {
		const struct tlsreq_case *c = &tlsreq_cases[i];

		len = strlen(c->in);
		drive(c->in, len, 0, 0, CH_WHOLE, 0, OUTMAX, ref);
		assert_int_equal(ref->status, SMTP_DATA_DONE);
		if (smtp_data_tlsrequired_no(&ref->d) != c->no)
			fail_msg("tlsreq %s: got %d, want %d", c->name,
			    smtp_data_tlsrequired_no(&ref->d), c->no);
		if (c->code == 0) {
			if (smtp_data_result(&ref->d, &why) != 0)
				fail_msg("tlsreq %s: refused: %s", c->name,
				    why.text);
		} else if (smtp_data_result(&ref->d, &why) != -1 ||
		    why.code != c->code)
			fail_msg("tlsreq %s: not refused with %d", c->name,
			    c->code);
		all_chunkings(c->in, len, 0, 0, ref);
	}

	/*
	 * A header over smtpin_header_size_limit: the message is refused
	 * (552), so the flag is never used; it stays what the header says
	 * and the same for every split, also when the field lies beyond
	 * the limit.
	 */
	len = (size_t)snprintf(big, sizeof(big),
	    "Subject: %0200d\r\nTLS-Required: No\r\n\r\nbody\r\n.\r\n", 0);
	assert_true(len < sizeof(big));
	hdr = len - strlen("body\r\n.\r\n");
	drive(big, len, 0, hdr, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), 0);
	assert_int_equal(smtp_data_tlsrequired_no(&ref->d), 1);
	all_chunkings(big, len, 0, hdr, ref);
	drive(big, len, 0, hdr - 1, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 552);
	assert_string_equal(why.text, "Header section too large");
	assert_int_equal(smtp_data_tlsrequired_no(&ref->d), 1);
	all_chunkings(big, len, 0, hdr - 1, ref);
	drive(big, len, 0, 100, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 552);
	all_chunkings(big, len, 0, 100, ref);
	/* a message over the size limit likewise */
	drive(big, len, 100, 0, CH_WHOLE, 0, OUTMAX, ref);
	assert_int_equal(smtp_data_result(&ref->d, &why), -1);
	assert_int_equal(why.code, 552);
	all_chunkings(big, len, 100, 0, ref);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_reply_texts),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_api_edges),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_msgid),
		cmocka_unit_test(test_tlsrequired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
