"""The checks of tests/integration/audit_only (run inside tests/testnet/run).

One real sealpostd with dns_resolver at the test internet's validating
resolver and tls_ca_file at its test CA, and an administrator's table
(tls_policy_file) that says audit-only for some scenario domains
(doc/design.md §8):
 - dane-wrong-digest (one DANE-EE record that matches nothing): without
   the entry deferred tlsa-invalid; with `audit-only` sent over TLS,
   out line result=sent would_defer=tlsa-invalid verify=none, the peer
   saw TLS and no cleartext MAIL;
 - plain-signed (no TLSA) under `dane-only audit-only`: the policy
   refuses the host (dane-required), audit-only tries it: sent over TLS,
   would_defer=dane-required;
 - nostarttls-dane (DANE, no STARTTLS) under `audit-only`: still
   deferred starttls-not-supported, the peer saw no MAIL;
 - nostarttls-plain under `cleartext-ok audit-only`: sent in cleartext,
   out line tls=none verify=none would_defer=starttls-not-supported;
 - the policy log line says audit=audit-only; `sealpost policy` (text and
   JSON) shows it.

Not executable on purpose: tests/run runs tests/integration/audit_only.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inbound_lib  # noqa: E402
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
SENDER = "alice@sealpost.example"
RESOLVER = os.environ["TESTNET_RESOLVER"]
table = tempfile.mktemp(prefix="/tmp/audit_only-table.")
d = None


def conf_lines():
    return ["hostname = sealpost.example",
            "listen = 127.0.0.1:2525 smtp",
            "local_domains = sealpost.example",
            "dns_resolver = %s" % RESOLVER,
            "tls_ca_file = %s" % os.environ["TESTNET_CA"],
            "retry_min = 1h", "retry_max = 1h", "queue_lifetime = 1d",
            "smtpout_connect_timeout = 3s",
            "smtpout_command_timeout = 10s",
            "mta_sts_fetch_timeout = 4s",
            "smtpout_reuse_time = 0s",
            "tls_policy_file = %s" % table]


def write_table(rows=()):
    with open(table, "w") as f:
        f.write("# tests/integration/audit_only\n" + "".join(
            r + "\n" for r in rows))


def start():
    global d
    if d is None:
        d = Daemon(build, "audit_only", conf_lines())
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        finish()


FINISHED = [False]


def finish():
    if FINISHED[0]:
        sys.exit(0)
    FINISHED[0] = True
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        if os.environ.get("SP_KEEP"):
            tap.diag("kept %s" % d.dir)
        else:
            d.cleanup()
    if os.path.exists(table):
        os.unlink(table)
    sys.exit(0)


SEQ = [0]


def send(rcpt, tag):
    SEQ[0] += 1
    mid = "<%s.%d.%d@client.example>" % (tag, os.getpid(), SEQ[0])
    body = ("Subject: audit-only %s\r\nMessage-ID: %s\r\nFrom: <%s>\r\n"
            "\r\nbody\r\n" % (tag, mid, SENDER)).encode()
    return inbound_lib.smtp_submit(SENDER, [rcpt], body)


def log_events(event):
    return [kv for _, kv in inbound_lib.log_events(d, event)]


def out_line(qid, timeout=60):
    end = time.monotonic() + timeout
    while True:
        o = [kv for kv in log_events("out") if kv.get("id") == qid]
        if o or time.monotonic() > end:
            return o[0] if o else {}
        time.sleep(0.2)


def peer_events(sc):
    ev = []
    for m in S[sc]["mx"]:
        rd = m.get("record_dir")
        p = os.path.join(rd, "events.jsonl") if rd else ""
        if p and os.path.exists(p):
            with open(p) as f:
                ev += [json.loads(ln) for ln in f if ln.strip()]
    return ev


def wait_peer(sc, n, timeout=10):
    """The peer's session records, once there are at least n."""
    end = time.monotonic() + timeout
    while True:
        ev = peer_events(sc)
        if len(ev) >= n or time.monotonic() > end:
            return ev
        time.sleep(0.2)


def cli(*args):
    p = subprocess.run([os.path.join(build, "sealpost"), "-f", d.conf] +
                       list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def dom(sc):
    return S[sc]["domain"]


def send_one(sc, tag):
    try:
        return out_line(send("user@%s" % dom(sc), tag))
    except Exception as e:
        tap.notok("%s: accepted" % tag, repr(e))
        return {}


def main():
    for sc in ("dane-wrong-digest", "plain-signed", "nostarttls-dane",
               "nostarttls-plain"):
        if sc not in S:
            tap.notok("the catalogue has %s" % sc)
            finish()
    write_table()
    start()

    # without the entry: the verdict is enforced
    kv = send_one("dane-wrong-digest", "no-entry")
    tap.ok("dane-wrong-digest without an entry: deferred tlsa-invalid, no "
           "would_defer", kv.get("result") == "deferred" and
           kv.get("failure") == "tlsa-invalid" and
           "would_defer" not in kv, kv)
    before = len(peer_events("dane-wrong-digest"))

    write_table(["%s audit-only" % dom("dane-wrong-digest"),
                 "%s dane-only audit-only" % dom("plain-signed"),
                 "%s audit-only" % dom("nostarttls-dane"),
                 "%s cleartext-ok audit-only" % dom("nostarttls-plain")])
    d.stop()
    start()

    kv = send_one("dane-wrong-digest", "audit-dane")
    tap.ok("dane-wrong-digest under audit-only: sent over TLS, "
           "would_defer=tlsa-invalid, verify=none, policy=dane",
           kv.get("result") == "sent" and
           kv.get("would_defer") == "tlsa-invalid" and
           kv.get("tls", "none") != "none" and
           kv.get("verify") == "none" and kv.get("policy") == "dane" and
           kv.get("policy_src") == "dane" and kv.get("failure", "") == "",
           kv)
    ev = wait_peer("dane-wrong-digest", before + 1)[before:]
    clear = [e for e in ev if e.get("cleartext_mail")]
    tap.ok("... the peer recorded the TLS session and never saw MAIL in "
           "cleartext", ev and any(e.get("tls") for e in ev) and not clear,
           ev[-2:])

    kv = send_one("plain-signed", "audit-dane-only")
    tap.ok("plain-signed under dane-only audit-only (refused: no TLSA): "
           "sent over TLS, would_defer=dane-required",
           kv.get("result") == "sent" and
           kv.get("would_defer") == "dane-required" and
           kv.get("tls", "none") != "none" and
           kv.get("policy") == "dane-only" and
           kv.get("verify") == "none", kv)
    clear = [e for e in peer_events("plain-signed")
             if e.get("cleartext_mail")]
    tap.ok("... never cleartext", not clear, clear[:1])

    kv = send_one("nostarttls-dane", "audit-nostarttls")
    tap.ok("nostarttls-dane under audit-only: still deferred "
           "starttls-not-supported (never cleartext)",
           kv.get("result") == "deferred" and
           kv.get("failure") == "starttls-not-supported" and
           "would_defer" not in kv, kv)
    clear = [e for e in peer_events("nostarttls-dane")
             if e.get("cleartext_mail")]
    tap.ok("... the peer saw no MAIL", not clear, clear[:1])

    kv = send_one("nostarttls-plain", "audit-cleartext")
    tap.ok("nostarttls-plain under cleartext-ok audit-only: sent in "
           "cleartext, tls=none verify=none "
           "would_defer=starttls-not-supported, policy=encrypt",
           kv.get("result") == "sent" and kv.get("tls") == "none" and
           kv.get("verify") == "none" and
           kv.get("would_defer") == "starttls-not-supported" and
           kv.get("policy") == "encrypt" and
           kv.get("policy_src") == "floor", kv)

    pl = [kv for kv in log_events("policy")
          if kv.get("domain") == dom("dane-wrong-digest")]
    tap.ok("the policy line says audit=audit-only",
           any(p.get("audit") == "audit-only" for p in pl), pl[-2:])
    pl = [kv for kv in log_events("policy")
          if kv.get("domain") == dom("nostarttls-plain")]
    tap.ok("... and audit=audit-only+cleartext-ok with cleartext-ok",
           any(p.get("audit") == "audit-only+cleartext-ok" for p in pl),
           pl[-2:])

    code, out, err = cli("policy", dom("plain-signed"))
    tap.ok("sealpost policy shows audit-only and the host used anyway",
           code == 0 and "audit-only" in out and
           "would_defer=dane-required" in out, out + err)
    code, out, err = cli("policy", "--json", dom("dane-wrong-digest"))
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    tap.ok("sealpost policy --json: audit_only true",
           j.get("audit_only") is True and j.get("hosts") and
           j["hosts"][0].get("audit_only") is True, out[:800] + err)


try:
    main()
finally:
    finish()
