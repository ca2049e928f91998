/*
 * test_cli_audit.c: table tests of the pure half of `sealpost audit`
 * (mta/cli/cli_audit_line.c, cli_audit_json.c, cli_audit_agg.c,
 * cli_audit_fmt.c; doc/design.md §9): the line forms (log_file, syslog,
 * journalctl short-iso, JSON), values with log_escape's escaping undone,
 * malformed and truncated lines, the JSON reader, the times of --since
 * and --until, the counters over a small log, the filters, the caps, and
 * the report in both forms, the session records (one per connection)
 * counted by TLS version and listener, malformed ones skipped.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cli_audit.h"
#include "lib/buf.h"
#include "lib/log.h"

#define REF	INT64_C(1796475600)	/* 2026-12-05T13:00:00Z */
#define T1	INT64_C(1796474485)	/* 2026-12-05T12:41:25Z */

/* cli_policy.c's only call outside the pure code it links for us. */
int
cli_connect(struct cli *cli)
{
	(void)cli;
	fail_msg("cli_connect called by a pure function");
	return -1;
}

static struct cli_audit_rec rec;

static enum cli_audit_parse
parse(const char *line, int64_t ref, const char **why)
{
	return cli_audit_parse_line(line, strlen(line), ref, &rec, why);
}

static void
test_lines(void **state)
{
	static const struct {
		const char		*line;
		int64_t			 ref;
		enum cli_audit_parse	 want;
		const char		*event, *proc;
		int64_t			 ts;
		const char		*key, *val;	/* a pair to check */
		const char		*why;		/* part of it, BAD */
	} cases[] = {
		/* log_file */
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: in id=A1 "
		    "client=127.0.0.1 port=25 listener=smtp tls=none "
		    "result=accepted", REF, CLI_AUDIT_P_REC, "in", "smtpin",
		    T1, "client", "127.0.0.1", NULL },
		{ "2026-12-05T13:41:25+0100 smtpin[1]: in id=A1", REF,
		    CLI_AUDIT_P_REC, "in", "smtpin", T1, "id", "A1", NULL },
		/* escaping undone */
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out id=B "
		    "reply=\"250 2.0.0 \\\"ok\\\" \\\\ \\x01\\xc3\\xa9\" "
		    "failure=\"\"", REF, CLI_AUDIT_P_REC, "out", "smtpout",
		    T1, "reply", "250 2.0.0 \"ok\" \\ \x01\xc3\xa9", NULL },
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out id=B "
		    "failure=\"\" x=1", REF, CLI_AUDIT_P_REC, "out", "smtpout",
		    T1, "failure", "", NULL },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: in id=B x=1 "
		    "truncated=1", REF, CLI_AUDIT_P_REC, "in", "smtpin", T1,
		    "truncated", "1", NULL },
		/* syslog (journalctl's default), year from ref */
		{ "Dec  5 12:41:25 mx smtpout[600]: out id=C domain=a.test",
		    REF, CLI_AUDIT_P_REC, "out", "smtpout", T1, "domain",
		    "a.test", NULL },
		{ "Dec 31 23:00:00 mx policy[1]: policy domain=d.test "
		    "result=ok", INT64_C(1798765200), CLI_AUDIT_P_REC,
		    "policy", "policy", INT64_C(1798758000), "result", "ok",
		    NULL },
		{ "Dec  5 12:41:25 mx sealpost/smtpin: in id=D", REF,
		    CLI_AUDIT_P_REC, "in", "sealpost/smtpin", T1, "id", "D",
		    NULL },
		/* journalctl -o short-iso, also with +00:00 and fractions */
		{ "2026-12-05T12:41:25+0000 mx smtpin[1]: in id=E", REF,
		    CLI_AUDIT_P_REC, "in", "smtpin", T1, "id", "E", NULL },
		{ "2026-12-05T12:41:25.123456+00:00 mx queue[2]: queued id=F "
		    "size=1", REF, CLI_AUDIT_P_REC, "queued", "queue", T1,
		    "size", "1", NULL },
		/* lines in words, journalctl's own, empty */
		{ "2026-12-05T12:41:25+0000 sealpostd[1]: warning: smtpin "
		    "exited", REF, CLI_AUDIT_P_OTHER, "", "sealpostd", T1,
		    NULL, NULL, NULL },
		{ "Dec  5 12:41:25 mx sealpostd[1]: started", REF,
		    CLI_AUDIT_P_OTHER, "", "sealpostd", T1, NULL, NULL, NULL },
		{ "-- Boot 0123456789abcdef --", REF, CLI_AUDIT_P_OTHER, "",
		    "", -1, NULL, NULL, NULL },
		{ "", REF, CLI_AUDIT_P_OTHER, "", "", -1, NULL, NULL, NULL },
		/* JSON alone, and after a syslog prefix */
		{ "{\"ts\":\"2026-12-05T12:41:25Z\",\"proc\":\"smtpout\","
		    "\"pid\":600,\"seq\":3,\"event\":\"out\",\"domain\":"
		    "\"a.test\",\"failure\":\"\",\"ok\":true,\"n\":null}", REF,
		    CLI_AUDIT_P_REC, "out", "smtpout", T1, "pid", "600",
		    NULL },
		{ "Dec  5 12:41:25 mx smtpin[1]: {\"event\":\"in\","
		    "\"rcpt\":[\"a@x\",\"b@y\"],\"s\":\"\\u00e9\\ud83d"
		    "\\ude00\\n\"}", REF, CLI_AUDIT_P_REC, "in", "smtpin", T1,
		    "s", "\xc3\xa9\xf0\x9f\x98\x80\n", NULL },
		{ "{\"event\":\"out\",\"r\":\"a\\udcff\\udc80\\ud800x"
		    "\\ud800\\u00e9\"}",
		    REF, CLI_AUDIT_P_REC, "out", "", -1, "r",
		    "a\xff\x80\xef\xbf\xbdx\xef\xbf\xbd\xc3\xa9", NULL },
		{ "{\"event\":\"hello\",\"a\":1}", REF, CLI_AUDIT_P_OTHER, "",
		    "", -1, "a", "1", NULL },
		{ " { \"event\" : \"auth\" , \"a\" : -1.5e3 } ", REF,
		    CLI_AUDIT_P_BAD, "", "", -1, NULL, NULL, "no time" },
		{ "{ \"event\" : \"auth\" , \"a\" : -1.5e3 } ", REF,
		    CLI_AUDIT_P_REC, "auth", "", -1, "a", "-1.5e3", NULL },
		/* session records (smtpin, one per connection) */
		{ "2026-12-05T12:41:25+0000 smtpin[27367]: session "
		    "client=192.0.2.7 port=25 listener=smtp tls=TLSv1.3 "
		    "cipher=TLS_AES_256_GCM_SHA384 kx=X25519 helo=\"\" "
		    "msgs=0 rejected=0 result=quit", REF, CLI_AUDIT_P_REC,
		    "session", "smtpin", T1, "msgs", "0", NULL },
		{ "2026-12-05T12:41:25+0000 smtpin[1]: session client=local "
		    "uid=1000 listener=pickup tls=none helo=h msgs=1 "
		    "rejected=0 result=quit", REF, CLI_AUDIT_P_REC, "session",
		    "smtpin", T1, "uid", "1000", NULL },
		{ "{\"event\":\"session\",\"ts\":\"2026-12-05T12:41:25Z\","
		    "\"proc\":\"smtpin\",\"pid\":5,\"seq\":9,"
		    "\"client\":\"192.0.2.8\",\"port\":587,\"msgs\":2,"
		    "\"rejected\":1,\"result\":\"timeout\",\"reason\":"
		    "\"421 4.4.2 Error: timeout exceeded\"}", REF,
		    CLI_AUDIT_P_REC, "session", "smtpin", T1, "reason",
		    "421 4.4.2 Error: timeout exceeded", NULL },
		{ "2026-12-05T12:41:25+0000 smtpin[1]: session client=a "
		    "result=refused reason=\"421 4.7.0 Too many\\x0a\"",
		    REF, CLI_AUDIT_P_REC, "session", "smtpin", T1, "reason",
		    "421 4.7.0 Too many\n", NULL },
		/* malformed session records */
		{ "2026-12-05T12:41:25+0000 smtpin[6]: session", REF,
		    CLI_AUDIT_P_BAD, "session", "", T1, NULL, NULL,
		    "without key=value" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: session client=a "
		    "result=error reason=\"TLS handshake", REF, CLI_AUDIT_P_BAD,
		    "session", "", T1, NULL, NULL, "cut short" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: session client=a msgs",
		    REF, CLI_AUDIT_P_BAD, "session", "", T1, NULL, NULL,
		    "not key=value" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: session helo=\"\\xZZ\"",
		    REF, CLI_AUDIT_P_BAD, "session", "", T1, NULL, NULL,
		    "" },
		{ "{\"event\":\"session\",\"msgs\":{\"a\":1}}", REF,
		    CLI_AUDIT_P_BAD, "", "", -1, NULL, NULL, "nested" },
		/* a word that only starts like the event is no record */
		{ "2026-12-05T12:41:25+0000 smtpin[6]: sessions 3", REF,
		    CLI_AUDIT_P_OTHER, "", "smtpin", T1, NULL, NULL, NULL },
		/* malformed and truncated */
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out id=B "
		    "reply=\"250 ok", REF, CLI_AUDIT_P_BAD, "out", "", T1,
		    NULL, NULL, "cut short" },
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out reply=\"a\\", REF,
		    CLI_AUDIT_P_BAD, "out", "", T1, NULL, NULL, "cut short" },
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out reply=\"\\q\"",
		    REF, CLI_AUDIT_P_BAD, "out", "", T1, NULL, NULL,
		    "unknown escape" },
		{ "2026-12-05T12:41:25+0000 smtpout[6]: out reply=\"a\"b",
		    REF, CLI_AUDIT_P_BAD, "out", "", T1, NULL, NULL,
		    "no space" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: in id=A garbage", REF,
		    CLI_AUDIT_P_BAD, "in", "", T1, NULL, NULL,
		    "not key=value" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: in id=a\"b", REF,
		    CLI_AUDIT_P_BAD, "in", "", T1, NULL, NULL, "bad byte" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: in", REF,
		    CLI_AUDIT_P_BAD, "in", "", T1, NULL, NULL,
		    "without key=value" },
		{ "2026-12-05T12:41:25+0000 smtpin[6]: in =x", REF,
		    CLI_AUDIT_P_BAD, "in", "", T1, NULL, NULL,
		    "not key=value" },
		{ "garbage line", REF, CLI_AUDIT_P_BAD, "", "", -1, NULL,
		    NULL, "no time" },
		{ "2026-12-05T12:4", REF, CLI_AUDIT_P_BAD, "", "", -1, NULL,
		    NULL, "no time" },
		{ "2026-13-05T12:41:25+0000 smtpin[6]: in id=A", REF,
		    CLI_AUDIT_P_BAD, "", "", -1, NULL, NULL, "no time" },
		{ "2026-12-05T12:41:25+0000", REF, CLI_AUDIT_P_BAD, "", "",
		    T1, NULL, NULL, "nothing after" },
		{ "2026-12-05T12:41:25+0000 a b c", REF, CLI_AUDIT_P_BAD, "",
		    "", T1, NULL, NULL, "no process tag" },
		{ "Dec 45 12:41:25 mx smtpin[1]: in id=D", REF,
		    CLI_AUDIT_P_BAD, "", "", -1, NULL, NULL, "no time" },
		{ "{\"event\":\"out\",\"domain\":\"a.", REF, CLI_AUDIT_P_BAD,
		    "", "", -1, NULL, NULL, "cut short" },
		{ "{\"event\":\"out\",\"domain\":", REF, CLI_AUDIT_P_BAD, "",
		    "", -1, NULL, NULL, "cut short" },
		{ "{\"event\":\"out\",\"x\":{\"a\":1}}", REF, CLI_AUDIT_P_BAD,
		    "", "", -1, NULL, NULL, "nested" },
		{ "{\"event\":\"out\",\"x\":[[1]]}", REF, CLI_AUDIT_P_BAD, "",
		    "", -1, NULL, NULL, "nested" },
		{ "{\"event\":\"out\"} x", REF, CLI_AUDIT_P_BAD, "", "", -1,
		    NULL, NULL, "after the object" },
		{ "{\"event\":\"out\",\"a\":tru}", REF, CLI_AUDIT_P_BAD, "",
		    "", -1, NULL, NULL, "bad literal" },
		{ "{\"event\":\"out\",\"a\":\"\\x\"}", REF, CLI_AUDIT_P_BAD,
		    "", "", -1, NULL, NULL, "unknown escape" },
		{ "{\"event\":\"out\",\"a\":\"\\u12\"}", REF, CLI_AUDIT_P_BAD,
		    "", "", -1, NULL, NULL, "\\u" },
		{ "{event:1}", REF, CLI_AUDIT_P_BAD, "", "", -1, NULL, NULL,
		    "not a string" },
	};
	enum cli_audit_parse r;
	const char *why, *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = parse(cases[i].line, cases[i].ref, &why);
		if (r != cases[i].want)
			fail_msg("case %zu (%s): %d, not %d (%s)", i,
			    cases[i].line, r, cases[i].want, why);
		if (r == CLI_AUDIT_P_BAD) {
			assert_non_null(strstr(why, cases[i].why));
			continue;
		}
		assert_string_equal(rec.event, cases[i].event);
		assert_string_equal(rec.proc, cases[i].proc);
		if (rec.ts != cases[i].ts)
			fail_msg("case %zu: ts %lld", i, (long long)rec.ts);
		if (cases[i].key != NULL) {
			v = cli_audit_get(&rec, cases[i].key);
			assert_non_null(v);
			assert_string_equal(v, cases[i].val);
		}
	}
}

/* Every value log_escape writes reads back the same. */
static void
test_escape_roundtrip(void **state)
{
	char val[256], esc[1100], line[1200];
	const char *why, *v;
	size_t i, n;
	int len;

	(void)state;
	for (i = 0; i < 256; i++)
		val[i] = (char)(255 - i);
	for (n = 1; n <= 256; n += 51) {
		(void)log_escape(esc, sizeof(esc), val + 256 - n, n - 1);
		len = snprintf(line, sizeof(line),
		    "2026-12-05T12:41:25+0000 x[1]: out v=%s", esc);
		assert_true(len > 0 && (size_t)len < sizeof(line));
		assert_int_equal(parse(line, REF, &why), CLI_AUDIT_P_REC);
		v = cli_audit_get(&rec, "v");
		assert_non_null(v);
		assert_int_equal(rec.kv[0].vallen, n - 1);
		assert_memory_equal(v, val + 256 - n, n - 1);
	}
}

static void
test_time_arg(void **state)
{
	static const struct {
		const char	*arg;
		int		 until;
		int		 ok;
		int64_t		 t;
	} cases[] = {
		{ "2026-12-05", 0, 0, INT64_C(1796428800) },
		{ "2026-12-05", 1, 0, INT64_C(1796428800) + 86399 },
		{ "2026-12-05T12:41:25Z", 0, 0, T1 },
		{ "2026-12-05T13:41:25+01:00", 1, 0, T1 },
		{ "2026-12-05T12:41:25", 0, 0, T1 },
		{ "2026-02-29", 0, -1, 0 },
		{ "2028-02-29", 0, 0, INT64_C(1835395200) },
		{ "2026-12-5", 0, -1, 0 },
		{ "2026-12-05T12:41:25Zx", 0, -1, 0 },
		{ "yesterday", 0, -1, 0 },
		{ "", 0, -1, 0 },
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 0;
		if (cli_audit_time_arg(cases[i].arg, cases[i].until, &t) !=
		    cases[i].ok)
			fail_msg("%s: not %d", cases[i].arg, cases[i].ok);
		if (cases[i].ok == 0 && t != cases[i].t)
			fail_msg("%s: %lld", cases[i].arg, (long long)t);
	}
}

/* A small log: inbound, outbound, policy, the rest. */
static const char *const audit_log[] = {
	"2026-12-05T10:00:00+0000 smtpin[1]: in id=M1 client=192.0.2.1 "
	    "port=25 listener=smtp tls=none from=a@b nrcpt=2 rcpt=x@a.test "
	    "rcpt=y@b.test size=1 result=accepted",
	"2026-12-05T10:00:01+0000 smtpin[1]: in id=M2 client=192.0.2.1 "
	    "port=25 listener=smtp tls=none from=a@b nrcpt=1 rcpt=x@a.test "
	    "size=1 result=accepted",
	"2026-12-05T10:00:02+0000 smtpin[1]: in id=M3 client=192.0.2.2 "
	    "port=25 listener=smtp tls=TLSv1.3 cipher=X kx=Y from=a@b "
	    "nrcpt=1 rcpt=x@a.test size=1 result=accepted",
	"2026-12-05T10:00:03+0000 smtpin[1]: in client=192.0.2.3 port=587 "
	    "listener=submission tls=none result=rejected "
	    "reason=\"530 5.7.0 Must issue a STARTTLS command first\"",
	"2026-12-05T10:00:04+0000 queue[2]: queued id=M1 size=1 nrcpt=2 "
	    "via=\"smtpin[1]\"",
	"2026-12-05T10:01:00+0000 smtpout[3]: out id=M1 rcpt=x@a.test "
	    "domain=a.test mx=mx.a.test ip=192.0.2.9 policy=dane "
	    "policy_src=dane tls=TLSv1.3 cipher=X verify=dane-ee "
	    "result=sent dsn=2.0.0 failure=\"\" delay=60 attempt=1",
	"2026-12-05T10:01:01+0000 smtpout[3]: out id=M1 rcpt=y@b.test "
	    "domain=B.test mx=mx.b.test policy=mta-sts policy_src=mta-sts "
	    "tls=TLSv1.2 verify=none result=deferred dsn=4.7.5 "
	    "failure=certificate-host-mismatch delay=61 attempt=1",
	"2026-12-05T11:01:01+0000 smtpout[3]: out id=M1 rcpt=y@b.test "
	    "domain=b.test mx=mx.b.test policy=mta-sts policy_src=mta-sts "
	    "tls=TLSv1.3 verify=sts result=sent dsn=2.0.0 failure=\"\" "
	    "delay=3661 attempt=2",
	"2026-12-05T10:02:00+0000 smtpout[3]: out id=M2 rcpt=x@c.test "
	    "domain=c.test mx=mx.c.test policy=cleartext-ok policy_src=table "
	    "tls=none verify=none result=sent dsn=2.0.0 failure=\"\" "
	    "delay=1 attempt=1",
	"2026-12-05T10:02:00+0000 local[4]: out id=M3 rcpt=x@local.test "
	    "domain=local.test mx=local policy=local tls=local result=sent "
	    "dsn=2.0.0 reply=\"250 ok\" delay=0 attempt=1",
	"2026-12-05T10:03:00+0000 policy[5]: policy domain=a.test "
	    "src=memory memory=dane result=raised was=encrypt policy=dane "
	    "mx=mx.a.test",
	"2026-12-05T10:03:01+0000 policy[5]: policy domain=d.test src=dane "
	    "result=failed failure=dnssec-invalid detail=\"SERVFAIL\"",
	"2026-12-05T10:04:00+0000 queue[2]: bounce id=M2 bounce_id=M9 "
	    "kind=failure to=a@b nrcpt=1",
	"2026-12-05T10:04:01+0000 smtpin[1]: auth client=192.0.2.3 "
	    "port=587 listener=submission mech=PLAIN login=u result=fail",
	"2026-12-05T10:04:02+0000 queue[2]: admin op=hold id=M2 "
	    "by=\"uid 0 (root)\" result=done text=\"\"",
	"2026-12-05T10:04:03+0000 sealpostd[1]: warning: words",
	"2026-12-05T10:04:04+0000 smtpin[1]: in id=M5 reply=\"cut",
};

static struct cli_audit audit;

static void
feed(const struct cli_audit_filter *f, size_t max_domains)
{
	const char *why;
	size_t i;
	enum cli_audit_parse r;

	assert_int_equal(cli_audit_init(&audit, f, max_domains), 0);
	for (i = 0; i < sizeof(audit_log) / sizeof(audit_log[0]); i++) {
		r = parse(audit_log[i], REF, &why);
		if (r == CLI_AUDIT_P_REC)
			cli_audit_add(&audit, &rec);
		else
			cli_audit_note(&audit, r == CLI_AUDIT_P_BAD, "log",
			    i + 1, why);
	}
}

static uint64_t
tally(const struct cli_audit_tally *t, const char *name, int col)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->row[i].name, name) == 0)
			return t->row[i].v[col];
	return 0;
}

static const struct cli_audit_dom *
dom(const char *name)
{
	size_t i;

	for (i = 0; i < audit.domslots; i++)
		if (audit.doms[i].used && strcmp(audit.doms[i].name, name) == 0)
			return &audit.doms[i];
	return NULL;
}

static void
test_agg(void **state)
{
	struct cli_audit_filter f = { -1, -1, NULL, NULL };
	const struct cli_audit_dom *d;
	struct cli_audit_dom **v;
	size_t n;

	(void)state;
	feed(&f, 0);
	assert_int_equal(audit.lines, 17);
	assert_int_equal(audit.records, 15);
	assert_int_equal(audit.other, 1);
	assert_int_equal(audit.bad, 1);
	assert_string_equal(audit.bad_line[0].where, "log:17");
	assert_int_equal(audit.events[0], 4);
	assert_int_equal(audit.events[2], 5);
	/* inbound */
	assert_int_equal(tally(&audit.in_tls, "none", 0), 2);
	assert_int_equal(tally(&audit.in_tls, "none", 1), 1);
	assert_int_equal(tally(&audit.in_tls, "none", 2), 3);
	assert_int_equal(tally(&audit.in_tls, "TLSv1.3", 0), 1);
	assert_int_equal(tally(&audit.in_listener, "smtp", 0), 3);
	assert_int_equal(tally(&audit.in_listener, "smtp", 3), 2);
	assert_int_equal(tally(&audit.in_listener, "submission", 1), 1);
	assert_int_equal(audit.clients_total, 3);
	assert_int_equal(audit.nclients, 2);
	/* outbound */
	assert_int_equal(tally(&audit.out_result, "sent", 0), 4);
	assert_int_equal(tally(&audit.out_result, "deferred", 0), 1);
	assert_int_equal(tally(&audit.out_verify, "dane-ee", 0), 1);
	assert_int_equal(tally(&audit.out_verify, "sts", 0), 1);
	assert_int_equal(tally(&audit.out_verify, "none", 0), 2);
	assert_int_equal(tally(&audit.out_verify, "local", 0), 1);
	assert_int_equal(tally(&audit.out_src, "mta-sts", 0), 2);
	assert_int_equal(tally(&audit.out_src, "local", 0), 1);
	/* domains, any case into one */
	d = dom("b.test");
	assert_non_null(d);
	assert_int_equal(d->result[0], 1);
	assert_int_equal(d->result[1], 1);
	assert_int_equal(d->fail[CLI_AUDIT_F_HOST], 1);
	assert_int_equal(d->first, INT64_C(1796464861));
	assert_int_equal(d->last, INT64_C(1796464861) + 3600);
	assert_string_equal(d->policy_src, "mta-sts");
	d = dom("a.test");
	assert_non_null(d);
	assert_string_equal(d->policy_src, "dane");
	assert_int_equal(d->downgrades, 1);
	assert_non_null(dom("d.test"));
	assert_int_equal(dom("c.test")->cleartext, 1);
	/* downgrade events */
	assert_int_equal(audit.ev_total, 4);
	assert_int_equal(audit.ev_count[CLI_AUDIT_EV_RAISED], 1);
	assert_int_equal(audit.ev_count[CLI_AUDIT_EV_POLICY], 1);
	assert_int_equal(audit.ev_count[CLI_AUDIT_EV_TLS], 1);
	assert_int_equal(audit.ev_count[CLI_AUDIT_EV_CLEAR], 1);
	assert_string_equal(audit.ev[1].domain, "c.test");
	/* the rest */
	assert_int_equal(audit.queued, 1);
	assert_int_equal(tally(&audit.bounce, "failure", 0), 1);
	assert_int_equal(tally(&audit.auth, "fail", 0), 1);
	assert_int_equal(tally(&audit.admin, "hold", 0), 1);
	v = cli_audit_domains(&audit, &n);
	assert_non_null(v);
	assert_int_equal(n, 5);
	assert_string_equal(v[0]->name, "b.test");	/* most out lines */
	free(v);
	cli_audit_free(&audit);
}

static void
test_filters(void **state)
{
	static const struct {
		struct cli_audit_filter	f;
		uint64_t		records, filtered, in, out;
	} cases[] = {
		{ { -1, -1, "b.test", NULL }, 15, 12, 1, 2 },
		{ { -1, -1, "A.TEST", NULL }, 15, 10, 3, 1 },
		{ { -1, -1, NULL, "M2" }, 15, 11, 1, 1 },
		{ { -1, -1, NULL, "M9" }, 15, 14, 0, 0 },
		{ { INT64_C(1796464860), INT64_C(1796464920), NULL, NULL },
		    15, 11, 0, 4 },
		{ { INT64_C(1796468400), -1, NULL, NULL }, 15, 14, 0, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		feed(&cases[i].f, 0);
		if (audit.records != cases[i].records ||
		    audit.filtered != cases[i].filtered ||
		    audit.events[0] != cases[i].in ||
		    audit.events[2] != cases[i].out)
			fail_msg("case %zu: %llu %llu %llu %llu", i,
			    (unsigned long long)audit.records,
			    (unsigned long long)audit.filtered,
			    (unsigned long long)audit.events[0],
			    (unsigned long long)audit.events[2]);
		cli_audit_free(&audit);
	}
}

/* Past max_domains, domains add to "(other)"; events keep the last. */
static void
test_caps(void **state)
{
	struct cli_audit_filter f = { -1, -1, NULL, NULL };
	struct buf b;
	char line[256];
	const char *why;
	size_t i;
	int n;

	(void)state;
	assert_int_equal(cli_audit_init(&audit, &f, 3), 0);
	for (i = 0; i < 100; i++) {
		n = snprintf(line, sizeof(line), "2026-12-05T10:00:00+0000 "
		    "smtpout[3]: out id=M%zu domain=d%zu.test tls=none "
		    "result=sent", i, i);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(parse(line, REF, &why), CLI_AUDIT_P_REC);
		cli_audit_add(&audit, &rec);
	}
	assert_int_equal(audit.ndoms, 3);
	assert_int_equal(audit.dom_other.result[0], 97);
	assert_int_equal(audit.ev_total, 100);
	assert_string_equal(audit.ev[99 % CLI_AUDIT_EVENTS_MAX].domain,
	    "d99.test");
	/* the report counts domains, not the "(other)" row */
	buf_init(&b, 1 << 20);
	assert_int_equal(cli_audit_fmt(&b, &audit, 0), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	if (strstr(b.data, "\nDomains (out and policy lines): 3 kept apart, "
	    "more under \"(other)\"; at most 3 kept apart\n") == NULL)
		fail_msg("no domain count in:\n%s", b.data);
	buf_free(&b);
	for (i = 0; i < 2000; i++) {
		n = snprintf(line, sizeof(line), "2026-12-05T10:00:00+0000 "
		    "smtpin[3]: in client=192.0.%zu.%zu tls=none "
		    "result=rejected", i / 256, i % 256);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(parse(line, REF, &why), CLI_AUDIT_P_REC);
		cli_audit_add(&audit, &rec);
	}
	assert_int_equal(audit.nclients, CLI_AUDIT_CLIENTS_MAX);
	assert_int_equal(audit.clients_other, 2000 - CLI_AUDIT_CLIENTS_MAX);
	cli_audit_free(&audit);
}

static const char *
str(struct buf *b)
{
	assert_int_equal(buf_append(b, "", 1), 0);
	b->len--;
	return b->data;
}

static void
test_fmt(void **state)
{
	static const char *const text_has[] = {
		"sealpost audit: 17 lines: 15 records, 1 other lines, "
		    "1 malformed (skipped)\n",
		"  from 2026-12-05T10:00:00Z to 2026-12-05T11:01:01Z\n",
		"  malformed: log:17: a quoted value cut short",
		"Inbound (in lines): 3 messages accepted, 2 cleartext "
		    "(66.7%), 1 refused\n",
		"  none                      2          1          3\n",
		"           2  192.0.2.1\n",
		"  result:     sent 4 deferred 1 bounced 0 expired 0\n",
		"  verify:     dane-ee 1 dane-ta 0 sts 1 pkix 0 fingerprint 0 "
		    "none 2 local 1\n",
		"  b.test                             1       1      0 "
		    "mta-sts    2026-12-05T10:01:01Z 2026-12-05T11:01:01Z "
		    "certificate-host-mismatch 1\n",
		"Downgrade events: 4 (raised by memory 1, policy failures 1, "
		    "TLS/DANE/STS failures 1, cleartext 1)\n",
		"cleartext     c.test policy=cleartext-ok result=sent id=M2\n",
		"raised        a.test memory=dane was=encrypt\n",
	};
	static const char *const json_has[] = {
		"{\"lines\":17,\"records\":15,\"other\":1,\"malformed\":1,",
		"\"malformed_lines\":[{\"where\":\"log:17\",\"why\":",
		"\"tls\":[{\"name\":\"none\",\"accepted\":2,\"refused\":1,"
		    "\"recipients\":3}",
		"\"cleartext_clients\":[{\"client\":\"192.0.2.1\","
		    "\"lines\":2,\"sessions\":0},",
		"\"sessions\":0,\"cleartext_sessions\":0,\"session_tls\":[],"
		    "\"session_listeners\":[],",
		"\"verify\":{\"dane-ee\":1,\"dane-ta\":0,\"sts\":1,\"pkix\":0,"
		    "\"fingerprint\":0,\"none\":2,\"local\":1}",
		"{\"domain\":\"b.test\",\"sent\":1,\"deferred\":1,",
		"\"failures\":{\"certificate-host-mismatch\":1}",
		"\"downgrades\":{\"total\":4,\"raised\":1,\"policy-failed\":1,"
		    "\"tls-failure\":1,\"cleartext\":1,\"last\":[",
		"\"filter\":{\"domain\":null,\"id\":null,\"since\":null,"
		    "\"until\":null}",
	};
	struct cli_audit_filter f = { -1, -1, NULL, NULL };
	struct buf b;
	const char *s;
	size_t i;

	(void)state;
	feed(&f, 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(cli_audit_fmt(&b, &audit, 0), 0);
	s = str(&b);
	for (i = 0; i < sizeof(text_has) / sizeof(text_has[0]); i++)
		if (strstr(s, text_has[i]) == NULL)
			fail_msg("text lacks <%s>:\n%s", text_has[i], s);
	buf_reset(&b);
	assert_int_equal(cli_audit_fmt(&b, &audit, 1), 0);
	s = str(&b);
	for (i = 0; i < sizeof(json_has) / sizeof(json_has[0]); i++)
		if (strstr(s, json_has[i]) == NULL)
			fail_msg("json lacks <%s>:\n%s", json_has[i], s);
	assert_int_equal(s[strlen(s) - 1], '\n');
	buf_free(&b);
	cli_audit_free(&audit);
	/* an empty report */
	assert_int_equal(cli_audit_init(&audit, &f, 0), 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(cli_audit_fmt(&b, &audit, 1), 0);
	assert_non_null(strstr(str(&b), "\"domains\":[]"));
	buf_reset(&b);
	assert_int_equal(cli_audit_fmt(&b, &audit, 0), 0);
	assert_non_null(strstr(str(&b), "from - to -"));
	buf_free(&b);
	cli_audit_free(&audit);
}

/*
 * Session records (one per inbound connection): by TLS version and by
 * listener, beside the in lines; cleartext clients count sessions too;
 * malformed session lines are skipped and named.
 */
static const char *const session_log[] = {
	"2026-12-05T10:00:00+0000 smtpin[1]: session client=192.0.2.1 "
	    "port=25 listener=smtp tls=TLSv1.3 cipher=C kx=X25519 helo=a "
	    "msgs=2 rejected=0 result=quit",
	"2026-12-05T10:00:01+0000 smtpin[1]: session client=192.0.2.1 "
	    "port=25 listener=smtp tls=TLSv1.3 cipher=C kx=X25519 helo=\"\" "
	    "msgs=0 rejected=0 result=quit",
	"2026-12-05T10:00:02+0000 smtpin[1]: session client=192.0.2.2 "
	    "port=25 listener=smtp tls=none helo=\"\" msgs=0 rejected=0 "
	    "result=closed",
	"2026-12-05T10:00:03+0000 smtpin[1]: session client=192.0.2.2 "
	    "port=25 listener=smtp tls=none helo=b msgs=0 rejected=1 "
	    "result=quit",
	"2026-12-05T10:00:04+0000 smtpin[1]: session client=192.0.2.3 "
	    "port=25 listener=smtp tls=none helo=\"\" msgs=0 rejected=1 "
	    "result=refused reason=\"421 4.7.0 Too many connections\"",
	"{\"event\":\"session\",\"ts\":\"2026-12-05T10:00:05Z\",\"proc\":"
	    "\"smtpin\",\"pid\":2,\"seq\":4,\"client\":\"192.0.2.4\","
	    "\"port\":587,\"listener\":\"submission\",\"tls\":\"TLSv1.2\","
	    "\"helo\":\"c\",\"auth\":\"u\",\"msgs\":1,\"rejected\":0,"
	    "\"result\":\"timeout\"}",
	"2026-12-05T10:00:06+0000 smtpin[1]: session client=local uid=0 "
	    "listener=pickup tls=none helo=d msgs=3 rejected=0 result=quit",
	/* a value that is no count: a session without a message */
	"2026-12-05T10:00:07+0000 smtpin[1]: session client=192.0.2.2 "
	    "port=25 listener=smtp tls=none msgs=x result=error",
	"2026-12-05T10:00:08+0000 smtpin[1]: in id=M1 client=192.0.2.2 "
	    "port=25 listener=smtp tls=none result=accepted nrcpt=1",
	/* malformed: skipped, never counted */
	"2026-12-05T10:00:09+0000 smtpin[1]: session client=192.0.2.9 "
	    "reason=\"cut",
	"2026-12-05T10:00:10+0000 smtpin[1]: session",
};

static void
test_sessions(void **state)
{
	static const struct {
		int		 listener;	/* else by tls */
		const char	*name;
		uint64_t	 v[4];	/* sessions, no message, msgs, refused */
	} rows[] = {
		{ 0, "TLSv1.3", { 2, 1, 2, 0 } },
		{ 0, "none", { 4, 4, 0, 1 } },
		{ 0, "TLSv1.2", { 1, 0, 1, 0 } },
		{ 0, "local (pickup)", { 1, 0, 3, 0 } },
		{ 1, "smtp", { 6, 5, 2, 1 } },
		{ 1, "submission", { 1, 0, 1, 0 } },
		{ 1, "pickup", { 1, 0, 3, 0 } },
	};
	static const char *const text_has[] = {
		"Inbound sessions (session lines): 8 sessions, 3 cleartext "
		    "(37.5%), 5 without a message, 1 refused at connect\n",
		"  tls                sessions no message   messages    "
		    "refused\n",
		"  TLSv1.3                   2          1          2          "
		    "0\n",
		"  none                      4          4          0          "
		    "1\n",
		"  smtp                      6          5          2          "
		    "1\n",
		"  top cleartext clients (1 in lines and 3 sessions with "
		    "tls=none from 1 clients):\n",
		"             1          3  192.0.2.2\n",
		"  malformed: log:10: a quoted value cut short",
		"  malformed: log:11: an event without key=value pairs",
	};
	static const char *const json_has[] = {
		"\"session\":8,",
		"\"sessions\":8,\"cleartext_sessions\":3,\"session_tls\":["
		    "{\"name\":\"TLSv1.3\",\"sessions\":2,\"no_message\":1,"
		    "\"messages\":2,\"refused\":0},",
		"\"session_listeners\":[{\"name\":\"smtp\",\"sessions\":6,"
		    "\"no_message\":5,\"messages\":2,\"refused\":1},",
		"{\"client\":\"192.0.2.2\",\"lines\":1,\"sessions\":3}",
	};
	struct cli_audit_filter f = { -1, -1, NULL, NULL };
	const struct cli_audit_tally *t;
	enum cli_audit_parse r;
	const char *why, *s;
	struct buf b;
	size_t i;
	int c;

	(void)state;
	assert_int_equal(cli_audit_init(&audit, &f, 0), 0);
	for (i = 0; i < sizeof(session_log) / sizeof(session_log[0]); i++) {
		r = parse(session_log[i], REF, &why);
		if (r == CLI_AUDIT_P_REC)
			cli_audit_add(&audit, &rec);
		else
			cli_audit_note(&audit, r == CLI_AUDIT_P_BAD, "log",
			    i + 1, why);
	}
	assert_int_equal(audit.bad, 2);
	assert_int_equal(audit.events[8], 8);
	assert_int_equal(audit.events[0], 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		t = rows[i].listener ? &audit.sess_listener : &audit.sess_tls;
		for (c = 0; c < 4; c++)
			if (tally(t, rows[i].name, c) != rows[i].v[c])
				fail_msg("row %zu (%s) column %d: %llu", i,
				    rows[i].name, c, (unsigned long long)
				    tally(t, rows[i].name, c));
	}
	/* the refused one is no cleartext client */
	assert_int_equal(audit.clients_sessions, 3);
	assert_int_equal(audit.clients_total, 1);
	assert_int_equal(audit.nclients, 1);
	buf_init(&b, 1 << 20);
	assert_int_equal(cli_audit_fmt(&b, &audit, 0), 0);
	s = str(&b);
	for (i = 0; i < sizeof(text_has) / sizeof(text_has[0]); i++)
		if (strstr(s, text_has[i]) == NULL)
			fail_msg("text lacks <%s>:\n%s", text_has[i], s);
	buf_reset(&b);
	assert_int_equal(cli_audit_fmt(&b, &audit, 1), 0);
	s = str(&b);
	for (i = 0; i < sizeof(json_has) / sizeof(json_has[0]); i++)
		if (strstr(s, json_has[i]) == NULL)
			fail_msg("json lacks <%s>:\n%s", json_has[i], s);
	buf_free(&b);
	cli_audit_free(&audit);
	/* without session lines, no sessions part (as before them) */
	feed(&f, 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(cli_audit_fmt(&b, &audit, 0), 0);
	assert_null(strstr(str(&b), "Inbound sessions"));
	assert_null(strstr(str(&b), "sessions with tls=none"));
	buf_free(&b);
	cli_audit_free(&audit);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_escape_roundtrip),
		cmocka_unit_test(test_time_arg),
		cmocka_unit_test(test_agg),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_sessions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
