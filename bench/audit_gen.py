#!/usr/bin/env python3
"""bench/audit_gen.py: the logs of bench/audit (see bench/README).

usage: audit_gen.py LINES SEALPOST_LOG POSTFIX_LOG [SEED]

Makes one month of a small host's mail traffic, deterministic for a seed,
and writes it twice:
  SEALPOST_LOG  sealpostd's log_file form (doc/design.md §9): in, session
                (one per connection), queued, out, policy, bounce lines
                (and a few lines in words), about
                LINES lines in all, each ending in seq=N (per process);
  POSTFIX_LOG   the same messages as a Postfix 3.7 mail.log (syslog form):
                smtpd connect/TLS/client=/disconnect, cleanup message-id,
                qmgr from=/removed, smtp TLS and to= status=, bounce.
The traffic: messages over 30 days, 1-3 recipients each (mostly 1) over
5,000 destination domains (a few big ones, a long tail), inbound TLS 1.3
mostly, some TLS 1.2 and cleartext, 3 % of sessions refused; outbound 8 %
of attempts deferred first (a TLS or policy failure on some domains:
RFC 8460 types), 1 % bounced, policies from DANE, MTA-STS and the floor.
Prints "messages recipients sealpost_lines postfix_lines" on stdout.
Python standard library only.
"""

import random
import sys
import time
import zlib

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
FAILS = ["tlsa-invalid", "certificate-expired", "certificate-host-mismatch",
         "sts-policy-fetch-error", "starttls-not-supported",
         "validation-failure", "dnssec-invalid"]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    want = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    start = 1796428800 - 30 * 86400      # 2026-11-05T00:00:00Z
    span = 30 * 86400
    ndom = 5000
    doms = ["d%d.example%d.test" % (i, i % 7) for i in range(ndom)]
    weights = [1.0 / (i + 1) ** 0.9 for i in range(ndom)]
    policy = {}
    for i, d in enumerate(doms):
        r = rnd.random()
        policy[d] = ("cleartext-ok", "table", "none") if r < 0.005 else \
            ("dane", "dane", "dane-ee") if r < 0.15 else \
            ("mta-sts", "mta-sts", "sts") if r < 0.35 else \
            ("encrypt", "floor", "none")
    dh = {d: zlib.crc32(d.encode()) for d in doms}
    cw = []
    acc = 0.0
    for w in weights:
        acc += w
        cw.append(acc)
    faildom = set(rnd.sample(doms, 150))
    clients = ["198.51.%d.%d" % (i // 250, i % 250 + 1) for i in range(2000)]

    sp = open(sys.argv[2], "w")
    pf = open(sys.argv[3], "w")
    spn = pfn = msgs = rcpts = 0
    sp_buf, pf_buf = [], []
    stamp_cache = {}
    seqs = {}

    def spa(line):
        # a sealpost line ends in seq=N, numbered per process (proc[pid])
        # from 1 as sealpostd writes it (doc/design.md §9)
        tag = line[line.index(" ") + 1:line.index("]: ") + 1]
        n = seqs.get(tag, 0) + 1
        seqs[tag] = n
        sp_buf.append("%s seq=%d\n" % (line[:-1], n))

    def stamps(t):
        s = stamp_cache.get(t)
        if s is None:
            tm = time.gmtime(t)
            s = (time.strftime("%Y-%m-%dT%H:%M:%S+0000", tm),
                 "%s %2d %s" % (MONTHS[tm.tm_mon - 1], tm.tm_mday,
                                time.strftime("%H:%M:%S", tm)))
            if len(stamp_cache) > 100000:
                stamp_cache.clear()
            stamp_cache[t] = s
        return s

    # about 4.45 sealpost lines per message (its session line included)
    total = max(1, int(want / 4.45))
    t = start
    step = span / total
    seq = 0
    for m in range(total):
        if spn >= want:
            break
        t = start + int(m * step)
        iso, sysl = stamps(t)
        seq += 1
        qid = "%013x%016x" % (t, seq * 2654435761 % (1 << 64))
        pqid = "%X" % (seq * 40503 % (1 << 40) + 0x1000000)
        cl = clients[int(rnd.paretovariate(1.2)) % len(clients)]
        r = rnd.random()
        tls = "TLSv1.3" if r < 0.85 else "TLSv1.2" if r < 0.95 else "none"
        spid = 1000 + seq % 5000
        pf_buf.append("%s mx postfix/smtpd[%d]: connect from "
                      "client.example[%s]\n" % (sysl, spid, cl))
        if tls != "none":
            pf_buf.append("%s mx postfix/smtpd[%d]: Anonymous TLS "
                          "connection established from client.example[%s]:"
                          " %s with cipher TLS_AES_256_GCM_SHA384 (256/256 "
                          "bits)\n" % (sysl, spid, cl, tls))
        ciph = " cipher=TLS_AES_256_GCM_SHA384 kx=X25519" \
            if tls != "none" else ""
        if rnd.random() < 0.03:
            spa("%s smtpin[%d]: in client=%s port=25 "
                          "listener=smtp helo=client.example tls=%s "
                          "result=rejected reason=\"550 5.1.1 no such "
                          "user\"\n" % (iso, spid, cl, tls))
            spa("%s smtpin[%d]: session client=%s port=25 listener=smtp "
                "tls=%s%s helo=client.example msgs=0 rejected=1 "
                "result=quit\n" % (iso, spid, cl, tls, ciph))
            pf_buf.append("%s mx postfix/smtpd[%d]: NOQUEUE: reject: RCPT "
                          "from client.example[%s]: 550 5.1.1 <nobody@"
                          "host.test>: Recipient address rejected: User "
                          "unknown in local recipient table; "
                          "from=<a@client.example> to=<nobody@host.test> "
                          "proto=ESMTP helo=<client.example>\n"
                          % (sysl, spid, cl))
            pf_buf.append("%s mx postfix/smtpd[%d]: disconnect from "
                          "client.example[%s] ehlo=1 mail=1 rcpt=0/1 "
                          "quit=1 commands=3/4\n" % (sysl, spid, cl))
            spn += 2
            pfn += 3 + (tls != "none")
            continue
        n = 1 if rnd.random() < 0.75 else 2 if rnd.random() < 0.7 else 3
        rl = [rnd.choices(doms, cum_weights=cw)[0] for _ in range(n)]
        size = 1500 + rnd.randrange(30000)
        rc = " ".join("rcpt=user%d@%s" % (i, d) for i, d in enumerate(rl))
        spa("%s smtpin[%d]: in id=%s client=%s port=25 "
                      "listener=smtp helo=client.example tls=%s%s "
                      "from=sender@client.example nrcpt=%d %s "
                      "msgid=\"<%s@client.example>\" size=%d "
                      "result=accepted\n"
                      % (iso, spid, qid, cl, tls,
                         " cipher=TLS_AES_256_GCM_SHA384 kx=X25519"
                         if tls != "none" else "", n, rc, qid, size))
        spa("%s queue[900]: queued id=%s size=%d nrcpt=%d "
                      "via=\"smtpin[%d]\"\n" % (iso, qid, size, n, spid))
        spa("%s smtpin[%d]: session client=%s port=25 listener=smtp "
            "tls=%s%s helo=client.example msgs=1 rejected=0 result=quit\n"
            % (iso, spid, cl, tls, ciph))
        spn += 3
        pf_buf.append("%s mx postfix/smtpd[%d]: %s: client=client.example"
                      "[%s]\n" % (sysl, spid, pqid, cl))
        pf_buf.append("%s mx postfix/cleanup[%d]: %s: message-id=<%s@"
                      "client.example>\n" % (sysl, spid + 1, pqid, qid))
        pf_buf.append("%s mx postfix/qmgr[900]: %s: from=<sender@"
                      "client.example>, size=%d, nrcpt=%d (queue active)\n"
                      % (sysl, pqid, size, n))
        pf_buf.append("%s mx postfix/smtpd[%d]: disconnect from "
                      "client.example[%s] ehlo=2%s mail=1 rcpt=%d data=1 "
                      "quit=1 commands=%d\n"
                      % (sysl, spid, cl, " starttls=1" if tls != "none"
                         else "", n, 6 + n))
        pfn += 5 + (tls != "none")
        msgs += 1
        bounced = False
        for i, d in enumerate(rl):
            rcpts += 1
            pol, src, ver = policy[d]
            ip = "203.0.%d.%d" % (dh[d] % 250, 1 + dh[d] % 200)
            tries = []
            if d in faildom and rnd.random() < 0.5 or rnd.random() < 0.06:
                f = FAILS[dh[d] % len(FAILS)] if d in faildom else \
                    "" if rnd.random() < 0.7 else "starttls-not-supported"
                tries.append(("deferred", f))
            if rnd.random() < 0.01:
                tries.append(("bounced", ""))
                bounced = True
            else:
                tries.append(("sent", ""))
            for a, (res, f) in enumerate(tries):
                tt = t + 1 + a * 900
                iso2, sysl2 = stamps(tt)
                dsn = {"sent": "2.0.0", "deferred": "4.7.5",
                       "bounced": "5.1.1"}[res]
                spa(
                    "%s smtpout[%d]: out id=%s rcpt=user%d@%s domain=%s "
                    "mx=mx.%s ip=%s policy=%s policy_src=%s %s "
                    "verify=%s result=%s dsn=%s failure=%s reply=\"%s\" "
                    "delay=%d attempt=%d\n"
                    % (iso2, 2000 + seq % 7, qid, i, d, d, d, ip, pol, src,
                       "tls=none" if pol == "cleartext-ok" else
                       "tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 "
                       "cert_sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f"
                       "1b2b0b822cd15d6c15b0f00a08",
                       ver if res == "sent" else "none", res, dsn,
                       f if f else '""',
                       "250 2.0.0 Ok: queued as 4ABC" if res == "sent" else
                       "550 5.1.1 no such user" if res == "bounced" else
                       "451 4.7.5 TLS: " + (f or "timeout"),
                       tt - t, a + 1))
                spn += 1
                if pol != "cleartext-ok":
                    pf_buf.append(
                        "%s mx postfix/smtp[%d]: %s TLS connection "
                        "established to mx.%s[%s]:25: TLSv1.3 with cipher "
                        "TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
                        % (sysl2, 2000 + seq % 7, "Verified" if ver !=
                           "none" else "Trusted", d, ip))
                    pfn += 1
                pf_buf.append(
                    "%s mx postfix/smtp[%d]: %s: to=<user%d@%s>, relay=mx.%s"
                    "[%s]:25, delay=%d, delays=0.1/0/0.3/0.2, dsn=%s, "
                    "status=%s (%s)\n"
                    % (sysl2, 2000 + seq % 7, pqid, i, d, d, ip, tt - t, dsn,
                       res, "250 2.0.0 Ok: queued as 4ABC" if res == "sent"
                       else "host mx.%s[%s] said: 550 5.1.1 no such user "
                       "(in reply to RCPT TO command)" % (d, ip)
                       if res == "bounced" else "TLS is required, but "
                       "was not offered by host mx.%s[%s]" % (d, ip)))
                pfn += 1
        if bounced:
            bqid = qid[:-1] + "b"
            spa("%s queue[900]: bounce id=%s bounce_id=%s "
                          "kind=failure to=sender@client.example nrcpt=1\n"
                          % (iso, qid, bqid))
            pf_buf.append("%s mx postfix/bounce[3000]: %s: sender "
                          "non-delivery notification: %sB\n"
                          % (sysl, pqid, pqid))
            spn += 1
            pfn += 1
        pf_buf.append("%s mx postfix/qmgr[900]: %s: removed\n"
                      % (stamps(t + 1)[1], pqid))
        pfn += 1
        if seq % 500 == 0:
            d = rnd.choice(doms)
            if rnd.random() < 0.3:
                spa("%s policy[901]: policy domain=%s src=memory "
                              "memory=dane result=raised was=encrypt "
                              "policy=dane mx=mx.%s\n" % (iso, d, d))
            elif rnd.random() < 0.5:
                spa("%s policy[901]: policy domain=%s src=dane "
                              "result=failed failure=dnssec-invalid "
                              "detail=\"TLSA lookup of _25._tcp.mx.%s: "
                              "SERVFAIL\"\n" % (iso, d, d))
            else:
                spa("%s policy[901]: policy domain=%s "
                              "src=mta-sts mode=enforce id=2026%05d "
                              "max_age=604800 result=ok\n" % (iso, d, seq))
            spn += 1
        if seq % 20000 == 0:
            spa("%s sealpostd[1]: reload: configuration read\n"
                          % iso)
            spn += 1
        if len(sp_buf) > 20000:
            sp.write("".join(sp_buf))
            pf.write("".join(pf_buf))
            sp_buf, pf_buf = [], []
    sp.write("".join(sp_buf))
    pf.write("".join(pf_buf))
    sp.close()
    pf.close()
    print(msgs, rcpts, spn, pfn)


if __name__ == "__main__":
    main()
