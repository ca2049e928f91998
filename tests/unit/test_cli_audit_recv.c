/*
 * test_cli_audit_recv.c: `sealpost audit --message`'s pure parts
 * (mta/cli/cli_audit_recv.c, cli_audit_recv_fmt.c; doc/design.md §9):
 * one Received field of every form real MTAs write (sealpost, Postfix,
 * Exim, Sendmail, Google, Microsoft, OpenSMTPD, Dovecot's LMTP, qmail)
 * table-style, malformed and cut fields, dates, the header section
 * (folded fields, LF ends, mbox, no Received, a huge header, too many
 * fields, a field over the bound), the verdict and the report.
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

#include "cli/cli_audit_recv.h"
#include "lib/buf.h"

#define T_YES	CLI_AUDIT_RECV_TLS
#define T_NO	CLI_AUDIT_RECV_CLEAR
#define T_UNK	CLI_AUDIT_RECV_UNKNOWN
#define T_LOC	CLI_AUDIT_RECV_LOCAL
#define TS	1704103200	/* 2024-01-01T10:00:00Z */

struct hop_case {
	const char			*field;	/* after "Received:" */
	enum cli_audit_recv_tls		 tls;
	enum cli_audit_recv_form	 form;
	const char			*version;
	const char			*cipher;
	int				 bits;
	const char			*from, *from_ip, *by, *with;
	int64_t				 ts;
	int				 malformed;
};

static void
test_hop_table(void **state)
{
	static const struct hop_case cases[] = {
		/* sealpost's own (smtpin_data.c), TLS, cleartext, pickup */
		{ " from client.example ([192.0.2.7])\r\n\tby mx.example.org "
		    "(sealpost) with ESMTPS id 0123456789abcdef\r\n\t(using "
		    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
		    "bits)\r\n\tkey-exchange X25519)\r\n\t(No client "
		    "certificate requested)\r\n\tfor <a@example.org>;\r\n\t"
		    "Mon, 01 Jan 2024 10:00:00 +0000", T_YES,
		    CLI_AUDIT_RECV_F_USING, "TLSv1.3", "TLS_AES_256_GCM_SHA384",
		    256, "client.example", "192.0.2.7", "mx.example.org",
		    "ESMTPS", TS, 0 },
		{ " from client.example ([IPv6:2001:db8::7])\r\n\tby "
		    "mx.example.org (sealpost) with ESMTP id 0123\r\n\tfor "
		    "<a@example.org>;\r\n\tMon, 01 Jan 2024 10:00:00 +0000",
		    T_NO, CLI_AUDIT_RECV_F_NONE, "", "", -1, "client.example",
		    "IPv6:2001:db8::7", "mx.example.org", "ESMTP", TS, 0 },
		{ " from local (uid 1000)\r\n\tby mx.example.org (sealpost) "
		    "with ESMTP id 0123;\r\n\tMon, 01 Jan 2024 10:00:00 +0000",
		    T_LOC, CLI_AUDIT_RECV_F_NONE, "", "", -1, "local", "",
		    "mx.example.org", "ESMTP", TS, 0 },
		{ " from a.example ([192.0.2.1]) by b.example (sealpost) with "
		    "UTF8SMTPS id X; Mon, 1 Jan 2024 10:00:00 +0000", T_YES,
		    CLI_AUDIT_RECV_F_PROTO, "", "", -1, "a.example",
		    "192.0.2.1", "b.example", "UTF8SMTPS", TS, 0 },
		/* Postfix: TLS before by, the date with a comment */
		{ " from mail.example.net (mail.example.net [198.51.100.5])\n"
		    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
		    "(256/256 bits)\n\t key-exchange X25519 server-signature "
		    "RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client "
		    "certificate requested)\n\tby mx.example.com (Postfix) "
		    "with ESMTPS id 4T5r2Q1Zz3z9rxL\n\tfor <b@example.com>; "
		    "Mon,  1 Jan 2024 11:00:00 +0100 (CET)", T_YES,
		    CLI_AUDIT_RECV_F_USING, "TLSv1.3", "TLS_AES_256_GCM_SHA384",
		    256, "mail.example.net", "198.51.100.5", "mx.example.com",
		    "ESMTPS", TS, 0 },
		{ " from m.example.net (m.example.net [198.51.100.5])\n\t"
		    "(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 "
		    "(256/256 bits))\n\tby mx.example.com (Postfix) with ESMTP "
		    "id 4T5; Mon, 1 Jan 2024 10:00:00 +0000 (UTC)", T_YES,
		    CLI_AUDIT_RECV_F_USING, "TLSv1.2",
		    "ECDHE-RSA-AES256-GCM-SHA384", 256, "m.example.net",
		    "198.51.100.5", "mx.example.com", "ESMTP", TS, 0 },
		{ " from m.example.net (m.example.net [198.51.100.5])\n\tby "
		    "mx.example.com (Postfix) with ESMTP id 4T5r2Q1Zz3z9rxL\n"
		    "\tfor <b@example.com>; Mon, 1 Jan 2024 10:00:00 +0000 "
		    "(UTC)", T_NO, CLI_AUDIT_RECV_F_NONE, "", "", -1,
		    "m.example.net", "198.51.100.5", "mx.example.com", "ESMTP",
		    TS, 0 },
		{ " by mx.example.com (Postfix, from userid 1000)\n\tid "
		    "4T5r2Q1Zz3z9rxL; Mon, 1 Jan 2024 10:00:00 +0000 (UTC)",
		    T_LOC, CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "",
		    "mx.example.com", "", TS, 0 },
		/* Exim: GnuTLS today, OpenSSL's older form, local */
		{ " from mail.example.net ([198.51.100.5])\n\tby "
		    "mx.example.com with esmtps  (TLS1.3) tls "
		    "TLS_AES_256_GCM_SHA384\n\t(Exim 4.96)\n\t(envelope-from "
		    "<a@example.net>)\n\tid 1rKABC-000123-4x\n\tfor "
		    "b@example.com;\n\tMon, 01 Jan 2024 10:00:00 +0000", T_YES,
		    CLI_AUDIT_RECV_F_EXIM, "TLSv1.3", "TLS_AES_256_GCM_SHA384",
		    -1, "mail.example.net", "198.51.100.5", "mx.example.com",
		    "esmtps", TS, 0 },
		{ " from [198.51.100.5] (helo=mail.example.net)\n\tby "
		    "mx.example.com with esmtps (TLSv1.2:ECDHE-RSA-AES256-GCM-"
		    "SHA384:256)\n\t(Exim 4.92)\n\t(envelope-from "
		    "<a@example.net>)\n\tid 1rKABC-000123-4x; Mon, 01 Jan 2024 "
		    "10:00:00 +0000", T_YES, CLI_AUDIT_RECV_F_COLON, "TLSv1.2",
		    "ECDHE-RSA-AES256-GCM-SHA384", 256, "[198.51.100.5]", "",
		    "mx.example.com", "esmtps", TS, 0 },
		{ " from user by host.example.com with local (Exim 4.96)\n\t"
		    "(envelope-from <user@host.example.com>)\n\tid 1rK; Mon, "
		    "01 Jan 2024 10:00:00 +0000", T_LOC, CLI_AUDIT_RECV_F_NONE,
		    "", "", -1, "user", "", "host.example.com", "local", TS,
		    0 },
		/* Sendmail */
		{ " from mail.example.net (mail.example.net [198.51.100.5])\n"
		    "\tby mx.example.com (8.17.1/8.17.1) with ESMTPS id "
		    "401A0B0C012345\n\t(version=TLSv1.3 cipher="
		    "TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n\tfor "
		    "<b@example.com>; Mon, 1 Jan 2024 10:00:00 GMT", T_YES,
		    CLI_AUDIT_RECV_F_KV, "TLSv1.3", "TLS_AES_256_GCM_SHA384",
		    256, "mail.example.net", "198.51.100.5", "mx.example.com",
		    "ESMTPS", TS, 0 },
		{ " (from user@localhost)\n\tby host.example.com "
		    "(8.17.1/8.17.1/Submit) id 401A0B0C012346;\n\tMon, 1 Jan "
		    "2024 10:00:00 GMT", T_LOC, CLI_AUDIT_RECV_F_NONE, "", "",
		    -1, "", "", "host.example.com", "", TS, 0 },
		/* Google: inside, from outside, its own submission */
		{ " from mail-sor-f41.google.com (mail-sor-f41.google.com. "
		    "[209.85.220.41])\n        by mx.google.com with SMTPS id "
		    "a1sor5403716qkb.12.2024.01.01.02.00.00\n        for "
		    "<b@gmail.com>\n        (Google Transport Security);\n"
		    "        Mon, 01 Jan 2024 02:00:00 -0800 (PST)", T_YES,
		    CLI_AUDIT_RECV_F_PROTO, "", "", -1,
		    "mail-sor-f41.google.com", "209.85.220.41",
		    "mx.google.com", "SMTPS", TS, 0 },
		{ " from mail.example.net (mail.example.net. [198.51.100.5])\n"
		    "        by mx.google.com with ESMTPS id d1-20020a05\n"
		    "        for <b@gmail.com>\n        (version=TLS1_3 "
		    "cipher=TLS_AES_128_GCM_SHA256 bits=128/128);\n"
		    "        Mon, 01 Jan 2024 02:00:00 -0800 (PST)", T_YES,
		    CLI_AUDIT_RECV_F_KV, "TLSv1.3", "TLS_AES_128_GCM_SHA256",
		    128, "mail.example.net", "198.51.100.5", "mx.google.com",
		    "ESMTPS", TS, 0 },
		{ " by 2002:a05:6358:5295:b0:17b:a4e7:d5e6 with HTTP; Mon, 1 "
		    "Jan 2024 02:00:00 -0800 (PST)", T_LOC,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "",
		    "2002:a05:6358:5295:b0:17b:a4e7:d5e6", "HTTP", TS, 0 },
		/* Microsoft: TLS, cleartext, Exchange 2010's (TLS), mapi */
		{ " from BN8NAM12FT012.eop-nam12.prod.protection.outlook.com\n"
		    " (2603:10b6:408:e1:cafe::a1) by BN9P221CA0012.outlook."
		    "office365.com\n (2603:10b6:408:10a::15) with Microsoft "
		    "SMTP Server (version=TLS1_2,\n cipher=TLS_ECDHE_RSA_WITH_"
		    "AES_256_GCM_SHA384) id 15.20.7135.22 via Frontend\n "
		    "Transport; Mon, 1 Jan 2024 10:00:00 +0000", T_YES,
		    CLI_AUDIT_RECV_F_KV, "TLSv1.2",
		    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", -1,
		    "BN8NAM12FT012.eop-nam12.prod.protection.outlook.com", "",
		    "BN9P221CA0012.outlook.office365.com",
		    "Microsoft SMTP Server", TS, 0 },
		{ " from mail.example.net (198.51.100.5) by BN8NAM12FT012.mail."
		    "protection.outlook.com (10.13.182.111) with Microsoft "
		    "SMTP Server id 15.20.7135.22 via Frontend Transport; Mon, "
		    "1 Jan 2024 10:00:00 +0000", T_NO, CLI_AUDIT_RECV_F_NONE,
		    "", "", -1, "mail.example.net", "",
		    "BN8NAM12FT012.mail.protection.outlook.com",
		    "Microsoft SMTP Server", TS, 0 },
		{ " from mail.example.net (198.51.100.5) by ex.example.com "
		    "(10.0.0.1) with Microsoft SMTP Server (TLS) id "
		    "14.3.498.0; Mon, 1 Jan 2024 10:00:00 +0000", T_YES,
		    CLI_AUDIT_RECV_F_BARE, "", "", -1, "mail.example.net", "",
		    "ex.example.com", "Microsoft SMTP Server", TS, 0 },
		{ " from DM6PR.namprd.prod.outlook.com ([fe80::1]) by "
		    "DM6PR.namprd.prod.outlook.com ([fe80::1%4]) with mapi id "
		    "15.20.7135.22; Mon, 1 Jan 2024 10:00:00 +0000", T_UNK,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1,
		    "DM6PR.namprd.prod.outlook.com", "fe80::1",
		    "DM6PR.namprd.prod.outlook.com", "mapi", TS, 0 },
		/* OpenSMTPD: TLS, the local socket */
		{ " from mail.example.net (mail.example.net [198.51.100.5])\n"
		    "\tby mx.example.com (OpenSMTPD) with ESMTPS id 1a2b3c4d "
		    "(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)\n\tfor "
		    "<b@example.com>;\n\tMon, 1 Jan 2024 10:00:00 +0000 (UTC)",
		    T_YES, CLI_AUDIT_RECV_F_COLON, "TLSv1.3",
		    "TLS_AES_256_GCM_SHA384", 256, "mail.example.net",
		    "198.51.100.5", "mx.example.com", "ESMTPS", TS, 0 },
		{ " from localhost (localhost [local])\n\tby host.example.com "
		    "(OpenSMTPD) with ESMTPA id 5e6f7a8b\n\tfor "
		    "<b@example.com>;\n\tMon, 1 Jan 2024 10:00:00 +0000 (UTC)",
		    T_LOC, CLI_AUDIT_RECV_F_NONE, "", "", -1, "localhost", "",
		    "host.example.com", "ESMTPA", TS, 0 },
		/* Dovecot's LMTP; LMTP over TLS */
		{ " from mx.example.com\n\tby imap.example.com with LMTP\n\tid "
		    "AbCdEf0123 (envelope-from <a@example.net>)\n\tfor "
		    "<b@example.com>; Mon, 01 Jan 2024 10:00:00 +0000", T_LOC,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "mx.example.com", "",
		    "imap.example.com", "LMTP", TS, 0 },
		{ " from mx.example.com ([192.0.2.9]) by imap.example.com "
		    "(Dovecot) with LMTPS id x; Mon, 01 Jan 2024 10:00:00 "
		    "+0000", T_YES, CLI_AUDIT_RECV_F_PROTO, "", "", -1,
		    "mx.example.com", "192.0.2.9", "imap.example.com", "LMTPS",
		    TS, 0 },
		/* RFC 3848's names */
		{ " from a by b with ESMTPSA id x; 1 Jan 2024 10:00:00 +0000",
		    T_YES, CLI_AUDIT_RECV_F_PROTO, "", "", -1, "a", "", "b",
		    "ESMTPSA", TS, 0 },
		{ " from a by b with ESMTPA id x; 1 Jan 2024 10:00:00 +0000",
		    T_NO, CLI_AUDIT_RECV_F_NONE, "", "", -1, "a", "", "b",
		    "ESMTPA", TS, 0 },
		{ " from a by b with ESMTPX id x; 1 Jan 2024 10:00:00 +0000",
		    T_UNK, CLI_AUDIT_RECV_F_NONE, "", "", -1, "a", "", "b",
		    "ESMTPX", TS, 0 },
		/* qmail */
		{ " (qmail 12345 invoked by uid 89); 1 Jan 2024 10:00:00 -0000",
		    T_LOC, CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "", "", "",
		    TS, 0 },
		{ " from unknown (HELO mail.example.net) (198.51.100.5)\n  by "
		    "mx.example.com with SMTP; 1 Jan 2024 10:00:00 -0000", T_NO,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "unknown", "",
		    "mx.example.com", "SMTP", TS, 0 },
		/* says nothing */
		{ " from a.example by b.example; Mon, 1 Jan 2024 10:00:00 "
		    "+0000", T_UNK, CLI_AUDIT_RECV_F_NONE, "", "", -1,
		    "a.example", "", "b.example", "", TS, 0 },
		/* a date that does not parse is no malformed field */
		{ " from a by b with ESMTPS; yesterday", T_YES,
		    CLI_AUDIT_RECV_F_PROTO, "", "", -1, "a", "", "b", "ESMTPS",
		    -1, 0 },
		/* malformed and cut: never cleartext */
		{ " from a.example by b.example with ESMTP id X", T_UNK,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "a.example", "",
		    "b.example", "ESMTP", -1, 1 },
		{ " from a.example (a.example [192.0.2.1])\n\t(using TLSv1.3 "
		    "with cipher TLS_AES", T_YES, CLI_AUDIT_RECV_F_USING,
		    "TLSv1.3", "TLS_AES", -1, "a.example", "192.0.2.1", "", "",
		    -1, 1 },
		{ " from", T_UNK, CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "", "",
		    "", -1, 1 },
		{ "", T_UNK, CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "", "", "",
		    -1, 1 },
		{ " ; Mon, 1 Jan 2024 10:00:00 +0000", T_UNK,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "", "", "", "", TS, 1 },
		{ " from a.example by; Mon, 1 Jan 2024 10:00:00 +0000", T_UNK,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "a.example", "", "", "",
		    TS, 1 },
		{ " from a by b by c with SMTP; 1 Jan 2024 10:00:00 +0000",
		    T_UNK, CLI_AUDIT_RECV_F_NONE, "", "", -1, "a", "", "b",
		    "SMTP", TS, 1 },
		{ " from a \"by b with SMTP; 1 Jan 2024 10:00:00 +0000", T_UNK,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "a", "", "", "", TS, 1 },
		/* hostile bytes are cleaned, a bogus version is none */
		{ " from a\x1b[31m by b\xff with ESMTP (TLSv9x) (using "
		    "nonsense); 1 Jan 2024 10:00:00 +0000", T_NO,
		    CLI_AUDIT_RECV_F_NONE, "", "", -1, "a?[31m", "", "b?",
		    "ESMTP", TS, 0 },
	};
	struct cli_audit_recv_hop h;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = cli_audit_recv_hop(cases[i].field,
		    strlen(cases[i].field), &h);
		if (rc != (cases[i].malformed ? -1 : 0) ||
		    h.tls != cases[i].tls || h.form != cases[i].form ||
		    strcmp(h.version, cases[i].version) != 0 ||
		    strcmp(h.cipher, cases[i].cipher) != 0 ||
		    h.bits != cases[i].bits ||
		    strcmp(h.from, cases[i].from) != 0 ||
		    strcmp(h.from_ip, cases[i].from_ip) != 0 ||
		    strcmp(h.by, cases[i].by) != 0 ||
		    strcmp(h.with, cases[i].with) != 0 ||
		    h.ts != cases[i].ts ||
		    (h.malformed != NULL) != cases[i].malformed)
			fail_msg("case %zu: rc %d tls %d form %d version '%s' "
			    "cipher '%s' bits %d from '%s' ip '%s' by '%s' "
			    "with '%s' ts %lld malformed %s", i, rc, h.tls,
			    h.form, h.version, h.cipher, h.bits, h.from,
			    h.from_ip, h.by, h.with, (long long)h.ts,
			    h.malformed ? h.malformed : "-");
	}
}

static void
test_date(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 t;	/* -1: refused */
	} cases[] = {
		{ "Mon, 01 Jan 2024 10:00:00 +0000", TS },
		{ " 1 Jan 2024 10:00 +0000", TS },
		{ "Mon, 1 Jan 24 10:00:00 GMT", TS },
		{ "1 jan 2024 10:00:00 UT", TS },
		{ "Mon, 01 Jan 2024 02:00:00 -0800 (PST)", TS },
		{ "01 Jan 2024 05:00:00 EST", TS },
		{ "01 Jan 2024 10:00:00 Z", TS },
		{ "01 Jan 2024 10:00:00 +0000 (a (nested) comment)", TS },
		{ "Thu, 29 Feb 2024 23:59:60 +0000", 1709251200 },
		{ "1 Jan 1970 00:00:00 +0000", 0 },
		{ "", -1 },
		{ "Mon, 32 Jan 2024 10:00:00 +0000", -1 },
		{ "1 Foo 2024 10:00:00 +0000", -1 },
		{ "1 Jan 2024 24:00:00 +0000", -1 },
		{ "1 Jan 2024 10:00:00", -1 },
		{ "1 Jan 2024 10:00:00 +0000 junk", -1 },
		{ "1 Jan 2024 10:00:00 +00", -1 },
		{ "1 Jan 2024 10:00:00 +0000 (unclosed", -1 },
		{ "1 Jan 2024 10:0:00 +0000", -1 },
		{ "1 Jan 2024 10:00:00 ABCDEF", -1 },
	};
	size_t i;
	int64_t t;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = -1;
		rc = cli_audit_recv_date(cases[i].s, strlen(cases[i].s), &t);
		if (cases[i].t == -1 ? rc != -1 : rc != 0 || t != cases[i].t)
			fail_msg("date %zu '%s': rc %d t %lld", i, cases[i].s,
			    rc, (long long)t);
	}
}

static struct cli_audit_recv *
parse_ok(const char *msg, size_t len)
{
	struct cli_audit_recv *r;
	const char *why = NULL;

	r = malloc(sizeof(*r));
	assert_non_null(r);
	if (cli_audit_recv_parse(msg, len, r, &why) != 0)
		fail_msg("parse: %s", why);
	return r;
}

#define CHAIN \
	"Received: from mx.relay.example " \
	"(mx.relay.example [203.0.113.25])\r\n" \
	"\tby mx.sealpost.test (sealpost) with ESMTPS id 0001\r\n" \
	"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 " \
	"(256/256 bits)\r\n" \
	"\tkey-exchange X25519)\r\n" \
	"\tfor <alice@sealpost.test>;\r\n" \
	"\tMon, 01 Jan 2024 10:00:03 +0000\r\n" \
	"X-Other: Received: from fake by fake with ESMTP; x\r\n" \
	"Received: from a.example (a.example [198.51.100.5])\r\n" \
	"\tby mx.relay.example (Postfix) with ESMTP id 4T5\r\n" \
	"\tfor <alice@sealpost.test>; " \
	"Mon,  1 Jan 2024 10:00:02 +0000\r\n" \
	"RECEIVED: from b.example by a.example; " \
	"Mon, 1 Jan 2024 10:00:01 +0000\r\n" \
	"Received: by b.example (Postfix, from userid 1000)\r\n" \
	"\tid 4T4; Mon, 1 Jan 2024 10:00:00 +0000\r\n" \
	"Subject: x\r\n" \
	"\r\n" \
	"Received: from body by body with ESMTP; not a field\r\n"

static void
test_parse_chain(void **state)
{
	struct cli_audit_recv *r;
	struct cli_audit_recv_verdict v;

	(void)state;
	r = parse_ok(CHAIN, sizeof(CHAIN) - 1);
	assert_int_equal(r->nhops, 4);
	assert_int_equal(r->nreceived, 4);
	assert_int_equal(r->nbad, 0);
	assert_false(r->head_cut);
	assert_false(r->no_end);
	assert_int_equal(r->hop[0].tls, T_YES);
	assert_string_equal(r->hop[0].by, "mx.sealpost.test");
	assert_int_equal(r->hop[0].ts, TS + 3);
	assert_int_equal(r->hop[1].tls, T_NO);
	assert_int_equal(r->hop[2].tls, T_UNK);
	assert_int_equal(r->hop[3].tls, T_LOC);
	cli_audit_recv_verdict(r, &v);
	assert_int_equal(v.exit, 1);
	assert_int_equal(v.ntls, 1);
	assert_int_equal(v.nclear, 1);
	assert_int_equal(v.clear[0], 3);	/* oldest first */
	assert_int_equal(v.nunknown, 1);
	assert_int_equal(v.nlocal, 1);
	free(r);
}

static void
test_parse_forms(void **state)
{
	static const char lf[] = "From bob@example.net Mon Jan  1 10:00:00 "
	    "2024\nReceived: from a.example ([192.0.2.1])\n\tby b.example "
	    "with ESMTPS id 1;\n Mon, 1 Jan 2024 10:00:00 +0000\nSubject: "
	    "x\n\nbody\n";
	static const char none[] = "Subject: no Received\r\nFrom: a@b\r\n"
	    "\r\nbody\r\n";
	static const char bad[] = "Received: from a by b with ESMTPS; "
	    "1 Jan 2024 10:00:00 +0000\r\nnot a field\r\n\tstray\r\n"
	    "Subject: x\r\n\r\n";
	static const char noend[] = "Subject: x\r\nReceived: from a by b "
	    "with ESMTPS; 1 Jan 2024 10:00:00 +0000";
	static const char *const refused[] = { "", "hello world\r\n",
	    "\tindented: x\r\n", "\r\n\r\nbody", ": empty name\r\n",
	    "From only an mbox line", "na me: x\r\n" };
	struct cli_audit_recv *r;
	struct cli_audit_recv_verdict v;
	const char *why;
	size_t i;

	(void)state;
	r = parse_ok(lf, sizeof(lf) - 1);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(r->hop[0].tls, T_YES);
	assert_int_equal(r->hop[0].ts, TS);
	assert_string_equal(r->hop[0].from_ip, "192.0.2.1");
	cli_audit_recv_verdict(r, &v);
	assert_int_equal(v.exit, 0);
	free(r);

	r = parse_ok(none, sizeof(none) - 1);
	assert_int_equal(r->nhops, 0);
	cli_audit_recv_verdict(r, &v);
	assert_int_equal(v.exit, 2);
	free(r);

	r = parse_ok(bad, sizeof(bad) - 1);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(r->nbad, 2);
	free(r);

	r = parse_ok(noend, sizeof(noend) - 1);
	assert_int_equal(r->nhops, 1);
	assert_true(r->no_end);
	assert_false(r->head_cut);
	assert_int_equal(r->hop[0].ts, TS);
	free(r);

	r = malloc(sizeof(*r));
	assert_non_null(r);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		why = NULL;
		if (cli_audit_recv_parse(refused[i], strlen(refused[i]), r,
		    &why) != -1 || why == NULL)
			fail_msg("refused %zu parsed", i);
	}
	free(r);
}

/* A header of n Received fields, then filler to at least size octets. */
static char *
make_header(size_t n, size_t filler, size_t *len)
{
	struct buf b;
	size_t i;

	buf_init(&b, (size_t)64 * 1024 * 1024);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_printf(&b, "Received: from h%zu.example "
		    "by h%zu.example with ESMTP%s; Mon, 1 Jan 2024 10:00:00 "
		    "+0000\r\n", i + 1, i, i % 2 ? "S" : ""), 0);
	while (b.len < filler)
		assert_int_equal(buf_puts(&b, "X-Filler: "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "\r\n"), 0);
	assert_int_equal(buf_puts(&b, "\r\nbody\r\n"), 0);
	*len = b.len;
	return b.data;
}

static void
test_parse_bounds(void **state)
{
	struct cli_audit_recv *r;
	struct buf b;
	char *m;
	size_t len, i;

	(void)state;
	/* too many fields: the newest 100 are read, all are counted */
	m = make_header(150, 0, &len);
	r = parse_ok(m, len);
	assert_int_equal(r->nhops, CLI_AUDIT_RECV_HOPS_MAX);
	assert_int_equal(r->nreceived, 150);
	assert_string_equal(r->hop[0].from, "h1.example");
	free(r);
	free(m);

	/* a huge header: cut at the bound, what came before is read */
	m = make_header(2, 2 * CLI_AUDIT_RECV_HEAD_MAX, &len);
	r = parse_ok(m, len);
	assert_int_equal(r->nhops, 2);
	assert_true(r->head_cut);
	assert_true(r->no_end);
	free(r);
	free(m);

	/* a Received field the bound cuts is counted, not read */
	buf_init(&b, (size_t)2 * CLI_AUDIT_RECV_HEAD_MAX);
	assert_int_equal(buf_puts(&b, "Received: from a by b with ESMTPS; "
	    "1 Jan 2024 10:00:00 +0000\r\nReceived: from c by d"), 0);
	while (b.len < CLI_AUDIT_RECV_HEAD_MAX + 10)
		assert_int_equal(buf_puts(&b, "\r\n\t(a comment that goes "
		    "on and on and on and on)"), 0);
	r = parse_ok(b.data, b.len);
	assert_int_equal(r->nhops, 1);
	assert_int_equal(r->nreceived, 2);
	assert_true(r->head_cut);
	free(r);
	buf_free(&b);

	/* one field over CLI_AUDIT_RECV_FIELD_MAX: cut, malformed, not
	   cleartext */
	buf_init(&b, (size_t)CLI_AUDIT_RECV_HEAD_MAX);
	assert_int_equal(buf_puts(&b, "Received: from a by b with ESMTP"),
	    0);
	for (i = 0; b.len < 3 * CLI_AUDIT_RECV_FIELD_MAX; i++)
		assert_int_equal(buf_puts(&b, "\r\n\t(padding padding "
		    "padding padding padding)"), 0);
	assert_int_equal(buf_puts(&b, "; 1 Jan 2024 10:00:00 +0000\r\n\r\n"),
	    0);
	r = parse_ok(b.data, b.len);
	assert_int_equal(r->nhops, 1);
	assert_non_null(r->hop[0].malformed);
	assert_int_equal(r->hop[0].tls, T_UNK);
	assert_false(r->head_cut);
	free(r);
	buf_free(&b);
}

static void
test_fmt(void **state)
{
	static const char all_tls[] = "Received: from b by c with ESMTPS "
	    "(version=TLSv1.3 cipher=X bits=256); 1 Jan 2024 10:00:01 "
	    "+0000\r\nReceived: from a by b; 1 Jan 2024 10:00:00 +0000\r\n"
	    "Received: from \"\x1b]0;evil\x07\" by a with ESMTPS; x\r\n\r\n";
	struct cli_audit_recv *r;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1024 * 1024);
	r = parse_ok(all_tls, sizeof(all_tls) - 1);
	assert_int_equal(cli_audit_recv_fmt(&b, r, "msg\x1b.eml", 0), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	for (i = 0; i + 1 < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 && b.data[i] != '\n')
			fail_msg("a control byte at %zu: %s", i, b.data);
	assert_non_null(strstr(b.data, "msg?.eml: 3 Received fields, "
	    "oldest first"));
	assert_non_null(strstr(b.data, "hop 3   TLSv1.3"));
	assert_non_null(strstr(b.data, "hop 2   unknown"));
	assert_non_null(strstr(b.data, "verdict: encrypted on every hop "
	    "that says (2 of 3 said TLS); hops that say nothing: 1 (hop "
	    "2)"));
	buf_reset(&b);
	assert_int_equal(cli_audit_recv_fmt(&b, r, "m", 1), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_non_null(strstr(b.data, "{\"source\":\"m\",\"order\":"
	    "\"oldest first\",\"received\":3,\"read\":3,"));
	assert_non_null(strstr(b.data, "{\"hop\":3,\"tls\":\"yes\","
	    "\"version\":\"TLSv1.3\",\"cipher\":\"X\",\"bits\":256,"
	    "\"form\":\"version=\",\"from\":\"b\""));
	assert_non_null(strstr(b.data, "\"verdict\":{\"result\":"
	    "\"encrypted\",\"exit\":0,\"tls\":2,\"cleartext\":0,"
	    "\"unknown\":1,\"local\":0,\"cleartext_hops\":[],"
	    "\"silent_hops\":[2]}}\n"));
	for (i = 0; i + 1 < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 && b.data[i] != '\n')
			fail_msg("a control byte at %zu: %s", i, b.data);
	free(r);

	/* the fixture's chain: a cleartext hop named in the verdict */
	r = parse_ok(CHAIN, sizeof(CHAIN) - 1);
	buf_reset(&b);
	assert_int_equal(cli_audit_recv_fmt(&b, r, "chain", 0), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_non_null(strstr(b.data, "verdict: hop 3 was cleartext "
	    "(a.example -> mx.relay.example); hops that say nothing: 1 "
	    "(hop 2); local: 1 (hop 1)\n"));
	free(r);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hop_table),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_parse_chain),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_fmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
