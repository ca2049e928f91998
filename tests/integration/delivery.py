"""The checks of tests/integration/delivery (run inside tests/testnet/run).

One real sealpostd (its real users and chroots) with dns_resolver at the
test internet's validating resolver and tls_ca_file at its test CA; mail
goes in with smtplib from loopback and out to the scenario domains of
$TESTNET_SCENARIOS. What is asserted is what an admin would see: the
`out` and `bounce` log lines (doc/design.md §9), the spool, the peers'
records (events.jsonl: never a cleartext MAIL), the mail the peers got.

Not executable on purpose: tests/run runs tests/integration/delivery.
"""

import email
import email.policy
import glob
import json
import os
import re
import signal
import smtplib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inbound_lib  # noqa: E402
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
SENDER = "alice@sealpost.example"


def mx_host(name, i=0):
    return S[name]["mx"][i]


# ---- the daemon -------------------------------------------------------------

d = None
table = None


def conf_lines(extra=()):
    return ["hostname = sealpost.example",
            "listen = 127.0.0.1:2525 smtp",
            "local_domains = sealpost.example",
            "dns_resolver = %s" % os.environ["TESTNET_RESOLVER"],
            "tls_ca_file = %s" % os.environ["TESTNET_CA"],
            "retry_min = 3s", "retry_max = 6s", "queue_lifetime = 1h",
            "smtpout_connect_timeout = 3s",
            "smtpout_command_timeout = 10s",
            "smtpout_destination_concurrency = 2",
            "delay_warning_time = 5s",
            "bounce_notice_recipient = postmaster@no-such-domain-here.test",
            "tls_policy_file = %s" % table] + list(extra)


def write_table():
    """The admin's table: smarthost routes with verify and cleartext-ok
    to a peer without STARTTLS (sealpost-policy(7))."""
    global table
    table = os.path.join(os.environ["TESTNET_DIR"], "sealpost.table")
    rows = [
        "# tests/integration/delivery",
        "smart-ok.example verify relay=[%s]" % mx_host("sts-enforce")["host"],
        "smart-wrongname.example verify relay=[%s]"
        % mx_host("sts-enforce-wrong-name")["host"],
        "smart-rogue.example verify relay=[%s]"
        % mx_host("sts-enforce-unknown-ca")["host"],
        "legacy.example cleartext-ok relay=[%s]"
        % mx_host("nostarttls-plain")["host"],
        "legacy-tls.example cleartext-ok relay=[%s]"
        % mx_host("plain-signed")["host"],
        "legacy-454.example cleartext-ok relay=[%s]"
        % mx_host("peer-starttls-454")["host"],
        "legacy-broken.example cleartext-ok relay=[%s]"
        % mx_host("peer-broken-handshake")["host"],
    ]
    with open(table, "w") as f:
        f.write("\n".join(rows) + "\n")


def start(extra=()):
    global d
    if d is None:
        d = Daemon(build, "delivery", conf_lines(extra))
    else:
        d.write_conf(conf_lines(extra))
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        finish()
    return d


def finish():
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        d.cleanup()
    tap.done() if hasattr(tap, "done") else None
    sys.exit(0)


# ---- sending and watching ---------------------------------------------------

SEQ = [0]


def make_message(tag, extra_body=b""):
    SEQ[0] += 1
    mid = "<%s.%d.%d@client.example>" % (tag, os.getpid(), SEQ[0])
    body = (b"Subject: delivery test " + tag.encode() + b"\r\n"
            b"Message-ID: " + mid.encode() + b"\r\n"
            b"From: Alice <" + SENDER.encode() + b">\r\n"
            b"Date: Sat, 05 Dec 2026 06:00:00 +0000\r\n"
            b"\r\n"
            b"line one\r\n"
            b".a line that starts with a dot\r\n"
            b"..two dots\r\n"
            b".\r\n"
            b"the line above was a single dot\r\n" + extra_body +
            b"last line\r\n")
    return mid, body


def send(rcpts, tag, extra_body=b"", sender=SENDER, mail_options=(),
         rcpt_options=()):
    """Sends one message; returns (queue id, Message-ID, content)."""
    mid, body = make_message(tag, extra_body)
    s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example",
                     timeout=20)
    try:
        s.ehlo()
        code, resp = s.mail(sender, list(mail_options))
        if code != 250:
            raise RuntimeError("MAIL: %d %r" % (code, resp))
        for r in rcpts:
            code, resp = s.rcpt(r, list(rcpt_options))
            if code != 250:
                raise RuntimeError("RCPT %s: %d %r" % (r, code, resp))
        code, resp = s.data(body)
        if code != 250:
            raise RuntimeError("DATA: %d %r" % (code, resp))
        m = re.search(rb"queued as ([A-Za-z0-9]+)", resp)
        return m.group(1).decode(), mid, body
    finally:
        try:
            s.quit()
        except Exception:
            pass


def log_events(event):
    """Every `event k=v ...` line of the log as (time string, dict)."""
    return inbound_lib.log_events(d, event)


def outs(qid, rcpt=None):
    return [kv for _, kv in log_events("out") if kv.get("id") == qid and
            (rcpt is None or kv.get("rcpt") == rcpt)]


def wait_out(qid, rcpt=None, n=1, timeout=40):
    end = time.monotonic() + timeout
    while True:
        o = outs(qid, rcpt)
        if len(o) >= n or time.monotonic() > end:
            return o
        time.sleep(0.2)


def wait_gone(qid, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if qid not in d.queue_ids():
            return True
        time.sleep(0.2)
    return False


def peer_events(scenario, i=0):
    rd = S[scenario]["mx"][i].get("record_dir")
    out = []
    if rd and os.path.exists(os.path.join(rd, "events.jsonl")):
        with open(os.path.join(rd, "events.jsonl")) as f:
            for ln in f:
                try:
                    out.append(json.loads(ln))
                except ValueError:
                    pass
    return out


def peer_mail(scenario, mid, i=0):
    """Messages the peer stored with this Message-ID (bytes)."""
    rd = S[scenario]["mx"][i].get("record_dir") or ""
    found = []
    for p in glob.glob(os.path.join(rd, "mail", "*.eml")) + glob.glob(
            os.path.join(rd, "maildir", "new", "*")):
        with open(p, "rb") as f:
            data = f.read()
        if mid.encode() in data:
            found.append(data)
    return found


def strip_received(data):
    """The message without the Received (and Postfix's X-Original-To,
    Delivered-To and Return-Path) header fields the hops added at the
    top."""
    lines = data.split(b"\r\n") if b"\r\n" in data else data.split(b"\n")
    i = 0
    while i < len(lines):
        ln = lines[i].lower()
        if ln.startswith((b"received:", b"delivered-to:", b"return-path:",
                          b"x-original-to:")):
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        break
    return b"\r\n".join(lines[i:])


def no_cleartext(scenario, what):
    ev = [e for i in range(len(S[scenario]["mx"]))
          for e in peer_events(scenario, i)]
    bad = [e for e in ev if e.get("cleartext_mail")]
    tap.ok("%s: the peer saw no MAIL in cleartext (%d connections)"
           % (what, len(ev)), not bad, bad[:1])


# ---- the cases ----------------------------------------------------------------

def case_postfix_end_to_end():
    sc = "dane-postfix"
    rcpt = "bob@%s" % S[sc]["domain"]
    qid, mid, body = send([rcpt], "postfix")
    o = wait_out(qid, rcpt)
    kv = o[0] if o else {}
    tap.ok("to Postfix: one out line, result=sent", kv.get("result") ==
           "sent", o)
    tap.ok("... with the TLS facts (tls, cipher, mx, ip, cert_sha256, "
           "policy=dane, policy_src=dane, verify=dane-ee, attempt=1)",
           kv.get("tls", "none").startswith("TLSv1.") and
           kv.get("cipher") and kv.get("mx") == mx_host(sc)["host"] and
           kv.get("ip") and re.match(r"^[0-9a-f]{64}$",
                                     kv.get("cert_sha256", "")) and
           kv.get("policy") == "dane" and kv.get("policy_src") == "dane"
           and kv.get("verify") == "dane-ee" and kv.get("attempt") == "1",
           kv)
    got = []
    end = time.monotonic() + 15
    while not got and time.monotonic() < end:
        got = peer_mail(sc, mid)
        time.sleep(0.2)
    stored = got[0] if got else b""
    want = strip_received(body)
    have = strip_received(stored.replace(b"\r\n", b"\n").replace(
        b"\n", b"\r\n"))
    tap.ok("Postfix stored the message byte for byte apart from Received",
           have == want, (have[:600], want[:600]))
    rec = b"\n".join(ln for ln in stored.splitlines()
                     if ln.lower().startswith(b"received:") or
                     ln.startswith((b"\t", b" ")))
    tap.ok("... and its Received header says TLS", b"TLS" in rec, rec[:400])
    tap.ok("the message left the queue", wait_gone(qid))


# (scenario, expected result, acceptable failure types, why)
PEER_CASES = [
    ("plain-signed", "sent", [""], "signed zone, rogue certificate: encrypt"),
    ("plain-unsigned", "sent", [""], "unsigned zone: encrypt"),
    ("nostarttls-plain", "deferred", ["starttls-not-supported"],
     "no STARTTLS: the floor forbids cleartext"),
    ("striptls-dane", "deferred", ["starttls-not-supported"],
     "STARTTLS stripped"),
    ("peer-starttls-454", "deferred", ["starttls-not-supported"],
     "454 to STARTTLS"),
    ("peer-broken-handshake", "deferred", ["validation-failure"],
     "a broken handshake"),
    ("peer-inject-after-220", None, ["", "validation-failure"],
     "plaintext injected after the 220 to STARTTLS"),
    ("peer-bad-multiline", "deferred",
     ["", "starttls-not-supported", "validation-failure"],
     "a malformed multi-line EHLO reply"),
    ("peer-rcpt-4xx", "deferred", [""], "450 to RCPT"),
    ("peer-rcpt-5xx", "bounced", [""], "550 to RCPT"),
    ("peer-data-4xx", "deferred", [""], "451 after DATA"),
    ("peer-data-5xx", "bounced", [""], "554 after DATA"),
    ("peer-slow", "sent", [""], "every reply 5 s late"),
    ("mx-fallback", "sent", [""], "the first MX refuses, the second takes"),
    ("no-mx-implicit", "sent", [""], "no MX: the domain's A is the MX"),
    ("dane-cname-mx", "sent", [""], "the MX host is a CNAME"),
    ("ipv6-only", "sent", [""], "an IPv6-only MX"),
    ("insecure-junk-tlsa", "sent", [""], "unsigned zone, junk TLSA"),
]


def case_peers():
    sent = []
    for sc, want, fails, why in PEER_CASES:
        if sc not in S:
            tap.notok("scenario %s exists in the test internet" % sc)
            continue
        rcpt = "user@%s" % S[sc]["domain"]
        try:
            qid, mid, _ = send([rcpt], sc)
        except Exception as e:
            tap.notok("%s: accepted by smtpin" % sc, repr(e))
            continue
        sent.append((sc, want, fails, why, qid, rcpt, mid))
    for sc, want, fails, why, qid, rcpt, mid in sent:
        o = wait_out(qid, rcpt, timeout=60)
        kv = o[0] if o else {}
        res = kv.get("result")
        okres = res in (["sent", "deferred"] if want is None else [want])
        tap.ok("%s (%s): result=%s, failure=%s" % (
            sc, why, want or "sent or deferred", "|".join(f or "none"
                                                          for f in fails)),
            okres and kv.get("failure", "") in fails, kv)
        if res == "deferred":
            tap.ok("%s: deferred with a 4xx status" % sc,
                   kv.get("dsn", "").startswith("4."), kv)
        if sc == "mx-fallback":
            tap.ok("mx-fallback: delivered by the second MX",
                   kv.get("mx") == S[sc]["mx"][1]["host"], kv)
        if sc == "ipv6-only":
            tap.ok("ipv6-only: connected over IPv6", ":" in kv.get("ip", ""),
                   kv)
        if res == "sent":
            i = 1 if sc == "mx-fallback" else 0
            tap.ok("%s: the peer has the message" % sc,
                   len(peer_mail(sc, mid, i)) == 1)
        no_cleartext(sc, sc)


def case_dns():
    cases = [
        ("null-mx", "user@%s" % S["null-mx"]["domain"], "bounced",
         "5.1.10"),
        ("nxdomain", "user@no-such-domain-here.test", "bounced", "5.1.2"),
        ("servfail", "user@%s" % S["dane-bogus-delegation"]["domain"],
         "deferred", "4.4.3"),
    ]
    qids = []
    for what, rcpt, want, dsn in cases:
        qid, mid, _ = send([rcpt], what)
        qids.append((what, rcpt, want, dsn, qid))
    for what, rcpt, want, dsn, qid in qids:
        o = wait_out(qid, rcpt)
        kv = o[0] if o else {}
        tap.ok("%s: result=%s dsn=%s" % (what, want, dsn),
               kv.get("result") == want and kv.get("dsn") == dsn, kv)
        if want == "bounced":
            b = wait_bounce(qid, kind="failure")
            tap.ok("%s: a bounce to the sender was committed" % what,
                   b is not None and b.get("to") == SENDER, b)


def wait_bounce(qid, timeout=20, kind=None):
    """The first bounce line about qid (of that kind, when given)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for _, kv in log_events("bounce"):
            if kv.get("id") == qid and kind in (None, kv.get("kind")):
                return kv
        time.sleep(0.2)
    return None


def case_table():
    cases = [
        ("smart-ok.example", "sent", "", "verify"),
        ("smart-wrongname.example", "deferred",
         "certificate-host-mismatch", "verify"),
        ("smart-rogue.example", "deferred", "certificate-not-trusted",
         "verify"),
        ("legacy.example", "sent", "", "cleartext-ok"),
    ]
    qids = []
    for dom, want, fail, pol in cases:
        qid, mid, _ = send(["carol@" + dom], dom)
        qids.append((dom, want, fail, pol, qid))
    for dom, want, fail, pol, qid in qids:
        o = wait_out(qid)
        kv = o[0] if o else {}
        tap.ok("table %s: result=%s failure=%s policy=%s policy_src=table"
               % (dom, want, fail or "none", pol),
               kv.get("result") == want and kv.get("failure", "") == fail
               and kv.get("policy") == pol and
               kv.get("policy_src") == "table", kv)
        if dom == "smart-ok.example":
            tap.ok("verify: verify=pkix on the out line",
                   kv.get("verify") == "pkix", kv)
        if dom == "legacy.example":
            tap.ok("cleartext-ok: tls=none, the one case that may",
                   kv.get("tls") == "none", kv)
    # cleartext-ok: TLS when offered; cleartext only without STARTTLS or
    # when it is refused; a failed handshake is not retried in clear
    more = [("legacy-tls.example", "sent", "plain-signed"),
            ("legacy-454.example", "sent", "peer-starttls-454"),
            ("legacy-broken.example", "deferred", "peer-broken-handshake")]
    sent = [(dom, want, sc, send(["dan@" + dom], dom)[0])
            for dom, want, sc in more]
    for dom, want, sc, qid in sent:
        o = wait_out(qid)
        kv = o[0] if o else {}
        tap.ok("cleartext-ok %s: result=%s" % (dom, want),
               kv.get("result") == want and kv.get("policy") ==
               "cleartext-ok", kv)
        if dom == "legacy-tls.example":
            tap.ok("... STARTTLS offered: the message went over TLS",
                   kv.get("tls", "none").startswith("TLSv1."), kv)
        if dom == "legacy-454.example":
            tap.ok("... STARTTLS refused (454): cleartext, logged tls=none",
                   kv.get("tls") == "none", kv)
        if dom == "legacy-broken.example":
            tap.ok("... a handshake that fails is not retried without TLS: "
                   "no cleartext MAIL at the peer",
                   kv.get("failure") == "validation-failure" and not any(
                       e.get("cleartext_mail") for e in peer_events(sc)),
                   kv)


def dsn_of(bounce_kv):
    """The delivery-status part of the DSN a bounce line names, as text,
    and the whole message, parsed by Python's email package."""
    content, env = d.read_queued(bounce_kv["bounce_id"])
    msg = email.message_from_bytes(content or b"",
                                   policy=email.policy.default)
    ds = [p for p in msg.walk()
          if p.get_content_type() == "message/delivery-status"]
    return (ds[0].as_string() if ds else ""), msg, env


def case_delay_warning():
    """delay_warning_time = 5s: one warning (Action: delayed) per message,
    to the sender, while delivery goes on."""
    sc = "nostarttls-plain"
    rcpt = "erin@%s" % S[sc]["domain"]
    qid, mid, _ = send([rcpt], "delay")
    end = time.monotonic() + 30
    b = None
    while time.monotonic() < end and b is None:
        b = next((kv for _, kv in log_events("bounce")
                  if kv.get("id") == qid and kv.get("kind") == "delay"),
                 None)
        time.sleep(0.3)
    tap.ok("delay_warning_time: a delay warning goes to the sender",
           b is not None and b.get("to") == SENDER, b)
    if b is None:
        return
    text, msg, _ = dsn_of(b)
    tap.ok("... a delivery-status report with Action: delayed and "
           "Will-Retry-Until", re.search(r"(?i)action:\s*delayed", text)
           and re.search(r"(?i)will-retry-until:", text), text[:1000])
    wait_out(qid, rcpt, n=len(outs(qid, rcpt)) + 1, timeout=15)
    n = len([1 for _, kv in log_events("bounce")
             if kv.get("id") == qid and kv.get("kind") == "delay"])
    tap.ok("... once only, while the attempts go on (%d warnings, %d "
           "attempts)" % (n, len(outs(qid, rcpt))), n == 1 and
           len(outs(qid, rcpt)) >= 3)
    f = [ln for ln in read_env_lines(qid) if ln.startswith("warned ")]
    tap.ok("... and the envelope records it", f and f[0] != "warned 0", f)


def case_null_sender():
    """A bounce that fails goes to the postmaster once; when that copy
    fails too it is dropped with a log line."""
    qid, mid, _ = send(["x@no-such-domain-here.test"], "nullsender",
                       sender="")
    o = wait_out(qid)
    tap.ok("null sender to NXDOMAIN: bounced", o and o[0].get("result") ==
           "bounced", o)
    b = wait_bounce(qid)
    tap.ok("... never a bounce to <>: a copy goes to the postmaster "
           "(bounce_notice_recipient)",
           b is not None and b.get("kind") == "postmaster" and
           b.get("to") == "postmaster@no-such-domain-here.test", b)
    tap.ok("... and no failure notice at all",
           not [kv for _, kv in log_events("bounce") if kv.get("id") == qid
                and kv.get("kind") != "postmaster"])
    if b is None:
        return
    copy = b["bounce_id"]
    o = wait_out(copy)
    tap.ok("the postmaster's copy fails too (NXDOMAIN)",
           o and o[0].get("result") == "bounced", o)
    end = time.monotonic() + 15
    dropped = False
    while time.monotonic() < end and not dropped:
        dropped = any(copy in ln and "dropped" in ln
                      for ln in d.log_text().splitlines())
        time.sleep(0.2)
    tap.ok("... and is dropped with a log line, not bounced again",
           dropped and wait_bounce(copy, timeout=1) is None)
    tap.ok("... and leaves the queue", wait_gone(copy) and wait_gone(qid))


def case_concurrency():
    """smtpout_destination_concurrency = 2: twelve messages to one domain
    never use more than two connections at once."""
    sc = "plain-unsigned"
    sent = [send(["c%d@%s" % (i, S[sc]["domain"])], "conc%d" % i)
            for i in range(12)]
    for qid, _, _ in sent:
        wait_out(qid)
    time.sleep(7)	# idle connections close after smtpout_reuse_time
    mids = {m for _, m, _ in sent}
    ev = [e for e in peer_events(sc) if e.get("messages")]
    spans = []
    for e in ev:
        t0 = time.mktime(time.strptime(e["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        frac = float("0" + e["time"][19:].split("+")[0].rstrip("Z")) \
            if e["time"][19:20] == "." else 0.0
        spans.append((t0 + frac, t0 + frac + float(e.get("duration", 0))))
    most = 0
    for a, _ in spans:
        most = max(most, sum(1 for x, y in spans if x <= a < y))
    got = sum(1 for m in mids if peer_mail(sc, m))
    tap.ok("twelve messages to one domain all arrive (%d)" % got, got == 12)
    tap.ok("... over at most 2 connections at once "
           "(smtpout_destination_concurrency = 2; seen %d)" % most,
           1 <= most <= 2, spans)


def case_reload():
    """The table is read again on SIGHUP: legacy.example loses its
    cleartext-ok, and its mail is then deferred, not sent in clear."""
    with open(table) as f:
        rows = f.read()
    with open(table, "w") as f:
        f.write(rows.replace("legacy.example cleartext-ok",
                             "legacy.example encrypt"))
    mark = len(d.log_text())
    d.proc.send_signal(signal.SIGHUP)
    end = time.monotonic() + 10
    while time.monotonic() < end and "reload" not in d.log_text()[mark:]:
        time.sleep(0.2)
    time.sleep(1)	# the new policy process, linked to smtpout
    qid, mid, _ = send(["carol@legacy.example"], "reload")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("after SIGHUP the changed table applies: legacy.example now "
           "needs encrypt and is deferred (starttls-not-supported)",
           kv.get("result") == "deferred" and kv.get("policy") == "encrypt"
           and kv.get("failure") == "starttls-not-supported", kv)
    # a broken table on reload: the running configuration stays
    with open(table, "w") as f:
        f.write(rows + "broken.example bogus\n")
    mark = len(d.log_text())
    d.proc.send_signal(signal.SIGHUP)
    end = time.monotonic() + 10
    while time.monotonic() < end and "keeping the running" not in \
            d.log_text()[mark:]:
        time.sleep(0.2)
    tail = d.log_text()[mark:]
    tap.ok("a reload with a broken table keeps the running configuration "
           "and names the line", "keeping the running configuration" in
           tail and "sealpost.table:%d: unknown requirement" % (
               rows.count("\n") + 1) in tail,
           tail[-600:])
    with open(table, "w") as f:
        f.write(rows)
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(1)


def case_notify_success():
    """NOTIFY=SUCCESS: a next hop without DSN (peer.py) gets the message
    and sealpost sends the success notice (Action: relayed); one with DSN
    (Postfix) gets NOTIFY along and sealpost sends none."""
    sc = "plain-signed"
    r1 = "frank@%s" % S[sc]["domain"]
    q1, _, _ = send([r1], "notify1", rcpt_options=("NOTIFY=SUCCESS",))
    r2 = "gina@%s" % S["dane-postfix"]["domain"]
    q2, _, _ = send([r2], "notify2", rcpt_options=("NOTIFY=SUCCESS",))
    o1, o2 = wait_out(q1, r1), wait_out(q2, r2)
    tap.ok("NOTIFY=SUCCESS: both sent", o1 and o1[0].get("result") ==
           "sent" and o2 and o2[0].get("result") == "sent", (o1, o2))
    b = wait_bounce(q1, kind="success")
    tap.ok("... to a hop without DSN: a success notice to the sender",
           b is not None and b.get("to") == SENDER, b)
    if b is not None:
        text, msg, _ = dsn_of(b)
        tap.ok("... a delivery-status report with Action: relayed, "
               "Status: 2.0.0 and the Remote-MTA",
               re.search(r"(?i)action:\s*relayed", text) and
               "2.0.0" in text and mx_host(sc)["host"] in text,
               text[:1000])
    tap.ok("... to a hop with DSN (Postfix): none from sealpost",
           wait_gone(q2) and wait_bounce(q2, timeout=2) is None)


def case_odd_recipients():
    """Recipient domains the policy process cannot look up do not stop
    delivery for the others: an address literal goes to that address, a
    huge UTF-8 ORCPT is left out rather than the message."""
    sc = "plain-signed"
    ip = S[sc]["mx"][0]["ipv4"][0]
    qid, mid, _ = send(["lit@[%s]" % ip], "literal")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("an address literal recipient is delivered to that address, "
           "over TLS", kv.get("result") == "sent" and kv.get("ip") == ip and
           kv.get("tls", "none").startswith("TLSv1."), kv)
    sc2 = "dane-postfix"
    orcpt = "utf-8;" + "\u00e9" * 240		# 480 octets of UTF-8
    mark = len(d.log_text())
    qid, mid, _ = send(["hal@%s" % S[sc2]["domain"]], "orcpt",
                       mail_options=("SMTPUTF8",),
                       rcpt_options=("ORCPT=" + orcpt,))
    o = wait_out(qid)
    kv = o[0] if o else {}
    after = d.log_text()[mark:]
    tap.ok("a 480-octet UTF-8 ORCPT to a DSN server: sent without it, "
           "smtpout does not crash", kv.get("result") == "sent" and
           "ORCPT of hal@" in after and not re.search(
               r"smtpout#0 \(pid \d+\) (exited|killed)", after),
           (kv, after[-800:]))
    # and the plan channel still serves a normal domain afterwards
    qid, mid, _ = send(["ivy@%s" % S["plain-unsigned"]["domain"]], "after")
    o = wait_out(qid)
    tap.ok("... and the next message to a normal domain is delivered",
           o and o[0].get("result") == "sent", o)


def env_path(qid):
    return os.path.join(d.queue, qid + ".env")


def read_env_lines(qid):
    with open(env_path(qid)) as f:
        return f.read().split("\n")


def rcpt_fields(qid):
    for ln in read_env_lines(qid):
        if ln.startswith("rcpt "):
            return ln.split(" ")
    return None


def case_backoff_restart_expiry():
    sc = "nostarttls-plain"
    rcpt = "dave@%s" % S[sc]["domain"]
    qid, mid, _ = send([rcpt], "backoff")
    o = wait_out(qid, rcpt, n=3, timeout=40)
    tap.ok("backoff: three attempts logged", len(o) >= 3, o)
    times = [ts for ts, kv in log_events("out") if kv.get("id") == qid]
    secs = [time.mktime(time.strptime(t, "%Y-%m-%dT%H:%M:%S"))
            for t in times[:3]]
    if len(secs) == 3:
        g1, g2 = secs[1] - secs[0], secs[2] - secs[1]
        tap.ok("backoff follows retry_min=3s then doubles (capped at "
               "retry_max=6s): gaps %ds, %ds" % (g1, g2),
               3 <= g1 <= 5 and 6 <= g2 <= 8, (g1, g2))
    tap.ok("attempt numbers count up: %s" % [kv.get("attempt") for kv in
                                              o[:3]],
           [kv.get("attempt") for kv in o[:3]] == ["1", "2", "3"])
    # a restart keeps the next attempt: stop right after an attempt
    d.stop()
    f = rcpt_fields(qid)
    nxt, last = int(f[4]), int(f[3])
    tap.ok("the envelope keeps the deferral: state deferred, next-retry "
           "= last-attempt + 6 s", f[1] == "deferred" and nxt - last == 6,
           f)
    # make it wait: next-retry 8 s from now
    lines = read_env_lines(qid)
    later = int(time.time()) + 8
    for i, ln in enumerate(lines):
        if ln.startswith("rcpt "):
            x = ln.split(" ")
            x[4] = str(later)
            lines[i] = " ".join(x)
    with open(env_path(qid), "w") as fh:
        fh.write("\n".join(lines))
    before = len(outs(qid))
    start()
    time.sleep(4)
    tap.ok("after a restart no attempt is made before next-retry (no "
           "retry storm)", len(outs(qid)) == before)
    o = wait_out(qid, rcpt, n=before + 1, timeout=20)
    tap.ok("... and the attempt comes when it is due",
           len(o) == before + 1 and int(time.time()) >= later - 1)
    # expiry: pretend the message arrived two hours ago (lifetime 1h)
    d.stop()
    lines = read_env_lines(qid)
    for i, ln in enumerate(lines):
        if ln.startswith("arrival "):
            lines[i] = "arrival %d" % (int(time.time()) - 7200)
        if ln.startswith("rcpt "):
            x = ln.split(" ")
            x[4] = "0"
            lines[i] = " ".join(x)
    with open(env_path(qid), "w") as fh:
        fh.write("\n".join(lines))
    n0 = len(outs(qid))
    start()
    o = wait_out(qid, rcpt, n=n0 + 1, timeout=20)
    kv = o[-1] if len(o) > n0 else {}
    tap.ok("after queue_lifetime the attempt is logged result=expired",
           kv.get("result") == "expired", kv)
    b = wait_bounce(qid, kind="failure")
    tap.ok("an expiry bounce goes to the sender", b is not None and
           b.get("to") == SENDER and b.get("kind") == "failure", b)
    tap.ok("the expired message left the queue", wait_gone(qid))
    if b is None:
        return
    content, env = d.read_queued(b["bounce_id"])
    msg = email.message_from_bytes(content or b"",
                                   policy=email.policy.default)
    tap.ok("the bounce is a multipart/report of report-type "
           "delivery-status (Python's email package)",
           msg.get_content_type() == "multipart/report" and
           msg.get_param("report-type") == "delivery-status",
           (content or b"")[:500])
    ds = [p for p in msg.walk()
          if p.get_content_type() == "message/delivery-status"]
    text = ds[0].as_string() if ds else ""
    tap.ok("its delivery-status names the recipient, Action: failed and "
           "the TLS failure starttls-not-supported",
           rcpt in text and re.search(r"(?i)action:\s*failed", text) and
           "starttls-not-supported" in text, text[:1500])
    tap.ok("the bounce has the null sender",
           env is not None and b"\nfrom -\n" in env, env)


def pid_of(role):
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"/" + role.encode()) or (
                cmd and cmd[0] == role.encode()):
            if d.conf.encode() in b" ".join(cmd):
                return int(p)
    return None


def case_crash(role):
    sc = "plain-signed"
    n = 30
    sent = []
    for i in range(n):
        # while the queue restarts smtpin answers 451: a client retries
        end = time.monotonic() + 20
        while True:
            try:
                qid, mid, _ = send(["u%d@%s" % (i, S[sc]["domain"])],
                                   "crash-%s-%d" % (role, i))
                break
            except (smtplib.SMTPResponseException, RuntimeError) as e:
                if time.monotonic() > end or "4" != str(
                        getattr(e, "smtp_code", "4"))[:1]:
                    raise
                time.sleep(0.3)
        sent.append((qid, mid))
        if i == n // 3:
            p = pid_of(role)
            if p:
                os.kill(p, signal.SIGKILL)
    end = time.monotonic() + 60
    while time.monotonic() < end and any(q in d.queue_ids()
                                         for q, _ in sent):
        time.sleep(0.3)
    left = [q for q, _ in sent if q in d.queue_ids()]
    tap.ok("kill -9 %s during deliveries: every message left the queue "
           "(%d of %d)" % (role, n - len(left), n), not left, left)
    missing = [m for _, m in sent if not peer_mail(sc, m)]
    tap.ok("... and every one reached the peer at least once (lost: %d)"
           % len(missing), not missing, missing[:5])


def main():
    write_table()
    start()
    only = os.environ.get("DELIVERY_ONLY", "")
    for fn in (case_postfix_end_to_end, case_peers, case_dns, case_table,
               case_reload, case_delay_warning, case_null_sender,
               case_notify_success, case_odd_recipients, case_concurrency,
               case_backoff_restart_expiry):
        if only and only not in fn.__name__:
            continue
        try:
            fn()
        except Exception as e:
            import traceback
            tap.notok("%s ran to its end" % fn.__name__,
                      traceback.format_exc())
    for role in ("smtpout", "queue"):
        if only and only not in "crash":
            continue
        try:
            case_crash(role)
        except Exception:
            import traceback
            tap.notok("crash test %s ran to its end" % role,
                      traceback.format_exc())
    finish()


try:
    main()
except SystemExit:
    raise
except Exception:
    import traceback
    tap.notok("delivery test ran to its end", traceback.format_exc())
    finish()
