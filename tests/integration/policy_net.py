"""The checks of tests/integration/policy_net (run inside tests/testnet/run).

One real sealpostd with dns_resolver at the test internet's validating
resolver and tls_ca_file at its test CA. For every DANE and MTA-STS
scenario of $TESTNET_SCENARIOS a message goes in with smtplib and its
`out` line must show the scenario's expected result, failure type and
policy (doc/design.md §8, §9); the peers must never see a cleartext MAIL.
Then: the MTA-STS cache across a restart and a changed TXT id, the
downgrade memory (learned, held, forgotten), REQUIRETLS, `sealpost
policy` (text and JSON) and a resolver off loopback (DANE off, logged).

Not executable on purpose: tests/run runs tests/integration/policy_net.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inbound_lib  # noqa: E402
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
SENDER = "alice@sealpost.example"
ONLY = os.environ.get("POLICY_ONLY", "")

RESOLVER = os.environ["TESTNET_RESOLVER"]
table = None
d = None


def conf_lines(resolver=RESOLVER, extra=()):
    return ["hostname = sealpost.example",
            "listen = 127.0.0.1:2525 smtp",
            "local_domains = sealpost.example",
            "dns_resolver = %s" % resolver,
            "tls_ca_file = %s" % os.environ["TESTNET_CA"],
            "retry_min = 1h", "retry_max = 1h", "queue_lifetime = 1d",
            "smtpout_connect_timeout = 3s",
            "smtpout_command_timeout = 10s",
            "mta_sts_fetch_timeout = 4s",
            # sessions end after each message, so that the peers write
            # their records at once
            "smtpout_reuse_time = 0s",
            "tls_policy_file = %s" % table] + list(extra)


def write_table(rows=()):
    with open(table, "w") as f:
        f.write("# tests/integration/policy_net\n" + "".join(
            r + "\n" for r in rows))


def start(resolver=RESOLVER):
    global d
    if d is None:
        d = Daemon(build, "policy_net", conf_lines(resolver))
    else:
        d.write_conf(conf_lines(resolver))
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        finish()


def finish():
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        if os.environ.get("SP_KEEP"):
            tap.diag("kept %s" % d.dir)
        else:
            d.cleanup()
    sys.exit(0)


SEQ = [0]


def send(rcpts, tag, mail_options=(), tls=False, headers=""):
    SEQ[0] += 1
    mid = "<%s.%d.%d@client.example>" % (tag, os.getpid(), SEQ[0])
    body = ("Subject: policy test %s\r\nMessage-ID: %s\r\nFrom: <%s>\r\n"
            "%s\r\nbody\r\n" % (tag, mid, SENDER, headers)).encode()
    return inbound_lib.smtp_submit(SENDER, rcpts, body, tls=tls,
                                   mail_options=mail_options)


def log_events(event):
    return [kv for _, kv in inbound_lib.log_events(d, event)]


def wait_out(qid, n=1, timeout=60):
    end = time.monotonic() + timeout
    while True:
        o = [kv for kv in log_events("out") if kv.get("id") == qid]
        if len(o) >= n or time.monotonic() > end:
            return o
        time.sleep(0.2)


def policy_lines(domain):
    return [kv for kv in log_events("policy") if kv.get("domain") == domain]


def peer_events(sc):
    ev = []
    for m in S[sc]["mx"]:
        rd = m.get("record_dir")
        p = os.path.join(rd, "events.jsonl") if rd else ""
        if p and os.path.exists(p):
            with open(p) as f:
                ev += [json.loads(ln) for ln in f if ln.strip()]
    return ev


def wait_events(sc, timeout=10):
    """The peers' session records, once one TLS session is recorded."""
    end = time.monotonic() + timeout
    while True:
        ev = peer_events(sc)
        if any(e.get("tls") for e in ev) or time.monotonic() > end:
            return ev
        time.sleep(0.2)


def cli(*args):
    p = subprocess.run([os.path.join(build, "sealpost"), "-f", d.conf] +
                       list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


# ---- every DANE and MTA-STS scenario ----------------------------------------

SKIP = {"null-mx", "dane-postfix"}   # delivery covers them
WANT_VERIFY = {"dane": ("dane-ee", "dane-ta"), "mta-sts": ("sts",)}


def case_catalogue():
    sent = []
    for name, sc in sorted(S.items()):
        if name in SKIP or name.startswith("peer-") or ONLY not in name:
            continue
        if not (name.startswith(("dane", "sts", "striptls", "nostarttls",
                                 "insecure", "secure", "plain", "ipv6",
                                 "mx-fallback", "no-mx"))):
            continue
        try:
            qid = send(["user@%s" % sc["domain"]], name)
        except Exception as e:
            tap.notok("%s: accepted" % name, repr(e))
            continue
        sent.append((name, qid))
    for name, qid in sent:
        exp = S[name]["expect"]
        o = wait_out(qid)
        kv = o[0] if o else {}
        res = kv.get("result")
        fail = kv.get("failure") or None
        okres = res in exp["result_any"]
        if res == "sent" and exp["result"] == "sent":
            fail_ok = True
            if exp.get("failure") and exp.get("policy") == "mta-sts-testing":
                fail_ok = fail in exp["failure_any"]
            elif exp.get("failure"):
                pl = policy_lines(S[name]["domain"])
                fail_ok = any(p.get("failure") in exp["failure_any"]
                              for p in pl)
        else:
            fail_ok = fail in exp["failure_any"] or (
                exp["failure"] is None and res == exp["result"])
        pol = exp.get("policy")
        pol_ok = pol is None or res != "sent" or kv.get("policy") == pol
        ver_ok = res != "sent" or pol not in WANT_VERIFY or \
            kv.get("verify") in WANT_VERIFY[pol]
        tap.ok("%s: result=%s failure=%s policy=%s verify=%s (want %s %s "
               "%s)" % (name, res, fail, kv.get("policy"), kv.get("verify"),
                        "|".join(exp["result_any"]),
                        "|".join(str(x) for x in exp["failure_any"]), pol),
               okres and fail_ok and pol_ok and ver_ok, kv or "no out line")
        ev = wait_events(name) if res == "sent" else peer_events(name)
        clear = [e for e in ev if e.get("cleartext_mail")]
        tap.ok("%s: the peer never saw MAIL in cleartext%s" % (
            name, " (and recorded the TLS session)" if res == "sent" else
            ""), not clear and (res != "sent" or any(e.get("tls")
                                                     for e in ev)),
               clear[:2] or ev[-2:])


def case_dane_ta_sni():
    """DANE: the SNI is the TLSA base domain (RFC 7672 §8.1)."""
    for name in ("dane-ee-311", "dane-cname-mx"):
        if name not in S or ONLY not in name:
            continue
        m = [x for x in S[name]["mx"] if x.get("sni_expected")]
        ev = [e for e in wait_events(name) if e.get("sni")]
        if not m:
            continue
        tap.ok("%s: SNI %s" % (name, m[0]["sni_expected"]),
               ev and all(e["sni"] == m[0]["sni_expected"] for e in ev),
               ev[:2])


# ---- the MTA-STS cache, restarts and a changed id ---------------------------

def sts_cache_file(domain):
    return os.path.join(d.dir, "data", "policy", "sts", domain)


def case_sts_cache():
    dom = S["sts-enforce"]["domain"]
    path = sts_cache_file(dom)
    tap.ok("the MTA-STS policy of %s is cached on disk" % dom,
           os.path.exists(path))
    if not os.path.exists(path):
        return
    with open(path) as f:
        text = f.read()
    tap.ok("... with the policy text as fetched", "mode: enforce" in text,
           text[:300])
    d.stop()
    start()
    qid = send(["user@%s" % dom], "sts-after-restart")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("after a restart %s is delivered under mta-sts from the cache"
           % dom, kv.get("result") == "sent" and
           kv.get("policy") == "mta-sts", kv)
    code, out, err = cli("policy", dom)
    tap.ok("sealpost policy says the policy came from the cache",
           code == 0 and "(cached)" in out, out + err)
    # a changed id: the TXT record's id no longer matches the cache
    d.stop()
    with open(path) as f:
        text = f.read()
    text2 = re.sub(r"(?m)^id .*$|^id=.*$", lambda m: m.group(0)[:3] +
                   "stale0id", text, count=1)
    if text2 == text:
        tap.notok("the cache file names the TXT id", text[:300])
        start()
        return
    with open(path, "w") as f:
        f.write(text2)
    start()
    code, out, err = cli("policy", dom)
    tap.ok("a TXT id that differs from the cached one fetches again",
           code == 0 and "(fetched)" in out, out + err)


# ---- the downgrade memory ---------------------------------------------------

def case_memory():
    dane_dom = S["dane-ee-311"]["domain"]
    mem = os.path.join(d.dir, "data", "policy", "memory")
    end = time.monotonic() + 5
    while time.monotonic() < end and not (
            os.path.exists(mem) and dane_dom in open(mem).read()):
        time.sleep(0.2)
    text = open(mem).read() if os.path.exists(mem) else ""
    tap.ok("the memory learned that %s was reached with DANE" % dane_dom,
           re.search(r"(?m)^%s dane " % re.escape(dane_dom), text),
           text[:400])
    # a domain remembered with DANE that now has no TLSA (unsigned zone)
    held = S["plain-unsigned"]["domain"]
    d.stop()
    with open(mem) as f:
        lines = [ln for ln in f if not ln.startswith(held + " ")]
    lines.append("%s dane %d %d\n" % (held, time.time() - 86400,
                                      time.time() - 60))
    with open(mem, "w") as f:
        f.write("".join(lines))
    start()
    qid = send(["user@%s" % held], "memory-held")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("%s, remembered with DANE, now unsigned: deferred dane-required"
           % held, kv.get("result") == "deferred" and
           kv.get("failure") == "dane-required" and
           kv.get("policy_src") == "memory", kv)
    tap.ok("... and the raise is logged",
           any(p.get("result") == "raised" and p.get("memory") == "dane"
               for p in policy_lines(held)), policy_lines(held))
    code, out, err = cli("policy", "--forget", held)
    tap.ok("sealpost policy --forget drops it", code == 0, out + err)
    code, out, err = cli("policy", "--forget", held)
    tap.ok("... a second --forget finds nothing (exit 1)",
           code != 0, (code, out, err))
    qid = send(["user@%s" % held], "memory-forgotten")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("after --forget %s is delivered under encrypt" % held,
           kv.get("result") == "sent" and kv.get("policy") == "encrypt", kv)


# ---- REQUIRETLS -------------------------------------------------------------

def case_requiretls():
    for name, want, dsn in (("dane-ee-311", "sent", None),
                            ("sts-enforce", "sent", None),
                            ("plain-unsigned", "bounced", "5.7.30"),
                            # DANE-verified, but Postfix 3.7 does not
                            # offer REQUIRETLS
                            ("dane-postfix", "bounced", "5.7.30")):
        try:
            qid = send(["user@%s" % S[name]["domain"]], "rt-" + name,
                       mail_options=("REQUIRETLS",), tls=True)
        except Exception as e:
            tap.notok("REQUIRETLS to %s accepted" % name, repr(e))
            continue
        o = wait_out(qid)
        kv = o[0] if o else {}
        tap.ok("REQUIRETLS to %s: %s%s" % (name, want, " " + dsn if dsn
                                          else ""),
               kv.get("result") == want and (dsn is None or
                                             kv.get("dsn") == dsn), kv)
        if want == "sent":
            end = time.monotonic() + 10
            while True:
                mails = [c["command"] for e in peer_events(name)
                         for c in e.get("commands", [])
                         if c["command"].startswith("MAIL FROM:")]
                if any(m.endswith(" REQUIRETLS") for m in mails) or \
                        time.monotonic() > end:
                    break
                time.sleep(0.2)
            tap.ok("... and the peer got MAIL with REQUIRETLS",
                   any(m.endswith(" REQUIRETLS") for m in mails), mails)


# ---- sealpost policy --------------------------------------------------------

def case_cli():
    dom = S["dane-and-sts"]["domain"]
    code, out, err = cli("policy", dom)
    tap.ok("sealpost policy %s: text with TLSA, MTA-STS and the verdict"
           % dom, code == 0 and "TLSA" in out and "3 1 1" in out and
           "mode enforce" in out and "dane (from dane)" in out, out + err)
    code, out, err = cli("policy", "--json", dom)
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    tap.ok("sealpost policy --json %s: one JSON object" % dom,
           j.get("domain") == dom and j.get("hosts") and
           j["hosts"][0].get("policy") == "dane" and
           j["mta_sts"].get("mode") == "enforce" and
           j["result"].get("status") == "deliver", out[:800] + err)
    bad = S["dane-tlsa-servfail"]["domain"]
    code, out, err = cli("policy", bad)
    tap.ok("sealpost policy %s says why the host is not used" % bad,
           code == 0 and "dnssec-invalid" in out and "defer" in out,
           out + err)


# ---- a resolver off loopback ------------------------------------------------

def udp_forwarder(listen, target):
    """A plain UDP/TCP DNS relay on a non-loopback address."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((listen, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((listen, 53))
    t.listen(16)

    def serve_udp():
        while True:
            q, a = u.recvfrom(4096)
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(5)
            try:
                c.sendto(q, (target, 53))
                u.sendto(c.recv(65535), a)
            except OSError:
                pass
            c.close()

    def serve_tcp():
        while True:
            s, _ = t.accept()
            try:
                c = socket.create_connection((target, 53), timeout=5)
                data = s.recv(65535)
                c.sendall(data)
                s.sendall(c.recv(65535))
                c.close()
            except OSError:
                pass
            s.close()
    threading.Thread(target=serve_udp, daemon=True).start()
    threading.Thread(target=serve_tcp, daemon=True).start()


def case_untrusted_resolver():
    addr = "10.53.0.53"
    r = subprocess.run(["ip", "addr", "add", addr + "/32", "dev", "lo"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        tap.notok("an address off loopback for the relay", r.stderr)
        return
    udp_forwarder(addr, RESOLVER)
    dom = S["dane-ee-302"]["domain"]
    # the memory would hold it to DANE: this is about the resolver
    code, out, err = cli("policy", "--forget", dom)
    tap.ok("sealpost policy --forget %s" % dom, code == 0, out + err)
    d.stop()
    start(resolver=addr)
    qid = send(["user@%s" % dom], "untrusted")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("resolver off loopback: %s goes under encrypt, not dane" % dom,
           kv.get("result") == "sent" and kv.get("policy") == "encrypt" and
           kv.get("verify") == "none", kv)
    tap.ok("... and its policy line says dnssec=untrusted-resolver",
           any(p.get("dnssec") == "untrusted-resolver"
               for p in policy_lines(dom)), policy_lines(dom))
    tap.ok("... and the start says DANE is off",
           "DANE is off" in d.log_text())


# ---- more of the MTA-STS cache -----------------------------------------------

def write_sts_cache(domain, sid, text, fetched=None):
    fetched = int(time.time() - 60) if fetched is None else fetched
    max_age = int(re.search(r"max_age: *(\d+)", text).group(1))
    data = ("sealpost-sts-cache 1\ndomain %s\nid %s\nfetched %d\n"
            "expires %d\npolicy %d\n" % (domain, sid, fetched,
                                          fetched + max_age, len(text)) +
            text)
    with open(sts_cache_file(domain), "w") as f:
        f.write(data)
    os.chmod(sts_cache_file(domain), 0o600)
    os.chown(sts_cache_file(domain), *owner_of(os.path.dirname(
        sts_cache_file(domain))))


def owner_of(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def enforce_text(mx):
    return ("version: STSv1\nmode: enforce\nmx: %s\nmax_age: 86400\n"
            % mx)


def case_sts_cache_rules():
    """RFC 8461 §5.1 from the sender's side: a cached enforce policy
    outlives a missing TXT record and a failed refresh; mode none
    replaces it."""
    gone = S["insecure-junk-tlsa"]
    failing = S["sts-policy-404"]
    none = S["sts-none"]
    d.stop()
    write_sts_cache(gone["domain"], "cached1", enforce_text(
        gone["mx"][0]["host"]))
    write_sts_cache(failing["domain"], "cached2", enforce_text(
        failing["mx"][0]["host"]))
    write_sts_cache(none["domain"], "cached3", enforce_text(
        none["mx"][0]["host"]))
    start()
    for sc, want, why in (
            (gone, "deferred", "no TXT record: the cached enforce policy "
             "still applies (the self-signed MX fails PKIX)"),
            (failing, "deferred", "TXT id changed, the fetch fails (404): "
             "the cached enforce policy stays"),
            (none, "sent", "TXT id changed, mode none fetched: it replaces "
             "the cached enforce policy")):
        qid = send(["user@%s" % sc["domain"]], "cache-" + sc["name"])
        o = wait_out(qid)
        kv = o[0] if o else {}
        good = kv.get("result") == want and (
            kv.get("policy") == "mta-sts" and
            kv.get("failure") == "certificate-not-trusted"
            if want == "deferred" else kv.get("policy") == "encrypt")
        tap.ok("%s: %s" % (sc["name"], why), good, kv)
    text = (open(sts_cache_file(none["domain"])).read()
            if os.path.exists(sts_cache_file(none["domain"])) else "")
    tap.ok("... and the mode none policy replaced the cached one on disk",
           "mode: none" in text and "cached3" not in text, text[:300])
    code, out, err = cli("policy", failing["domain"])
    tap.ok("sealpost policy %s: the cached policy and the failed fetch"
           % failing["domain"], code == 0 and "(cached)" in out and
           "sts-policy-fetch-error" in out, out + err)


def case_memory_age():
    dom = S["sts-two-records"]["domain"]
    testing = S["sts-testing"]["domain"]
    mem = os.path.join(d.dir, "data", "policy", "memory")
    d.stop()
    old = time.time() - 8 * 86400
    with open(mem) as f:
        lines = [ln for ln in f if not ln.startswith((dom + " ",
                                                      testing + " "))]
    lines.append("%s dane %d %d\n" % (dom, old - 86400, old))
    lines.append("%s mta-sts %d %d\n" % (testing, time.time() - 86400,
                                         time.time() - 60))
    with open(mem, "w") as f:
        f.write("".join(lines))
    start()
    qid = send(["user@%s" % testing], "memory-testing")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("%s remembered with MTA-STS, now publishing testing: the "
           "domain's word wins, sent" % testing,
           kv.get("result") == "sent" and
           kv.get("policy") == "mta-sts-testing", kv)
    qid = send(["user@%s" % dom], "memory-aged")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("a memory entry older than policy_memory_time (7 days) is gone:"
           " %s is sent under encrypt" % dom, kv.get("result") == "sent" and
           kv.get("policy") == "encrypt", kv)


def case_tls_required_no():
    dom = S["dane-wrong-digest"]["domain"]
    qid = send(["user@%s" % dom], "tlsreq-no", headers="TLS-Required: No\r\n")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("TLS-Required: No to %s (no TLSA matches): sent under encrypt, "
           "policy_src=tls-required-no" % dom,
           kv.get("result") == "sent" and kv.get("policy") == "encrypt" and
           kv.get("policy_src") == "tls-required-no" and
           kv.get("tls", "none") != "none", kv)
    qid = send(["user@%s" % dom], "tlsreq-no-rt", tls=True,
               mail_options=("REQUIRETLS",),
               headers="TLS-Required: No\r\n")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("... but with REQUIRETLS the header is ignored: deferred "
           "tlsa-invalid", kv.get("result") == "deferred" and
           kv.get("failure") == "tlsa-invalid", kv)
    clear = [e for e in peer_events("dane-wrong-digest")
             if e.get("cleartext_mail")]
    tap.ok("... and never cleartext", not clear, clear[:1])
    # a TLSA lookup that fails (SERVFAIL) is DANE's refusal too: lifted
    # for the domain's own MX, so that a TLS report about it arrives
    dom = S["dane-tlsa-servfail"]["domain"]
    qid = send(["user@%s" % dom], "tlsreq-no-servfail",
               headers="TLS-Required: No\r\n")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("TLS-Required: No to %s (TLSA SERVFAIL): sent under encrypt, "
           "policy_src=tls-required-no" % dom,
           kv.get("result") == "sent" and kv.get("policy") == "encrypt" and
           kv.get("policy_src") == "tls-required-no" and
           kv.get("tls", "none") != "none", kv)
    qid = send(["user@%s" % dom], "servfail-plain")
    o = wait_out(qid)
    kv = o[0] if o else {}
    tap.ok("... without the header: deferred dnssec-invalid",
           kv.get("result") == "deferred" and
           kv.get("failure") == "dnssec-invalid", kv)
    clear = [e for e in peer_events("dane-tlsa-servfail")
             if e.get("cleartext_mail")]
    tap.ok("... and never cleartext", not clear, clear[:1])


def case_table_match():
    named = S["sts-enforce-wrong-name"]
    other = S["sts-testing"]
    write_table(["%s verify match=.elsewhere.test" % named["domain"],
                 "%s verify match=nexthop" % other["domain"]])
    d.stop()
    start()
    for sc, want, fail in ((named, "sent", ""),
                           (other, "deferred", "certificate-host-mismatch")):
        qid = send(["user@%s" % sc["domain"]], "match-" + sc["name"])
        o = wait_out(qid)
        kv = o[0] if o else {}
        tap.ok("table verify match= for %s (certificate for "
               "wrong-name.elsewhere.test): %s %s" % (sc["name"], want, fail),
               kv.get("result") == want and kv.get("failure", "") == fail and
               kv.get("policy") == "verify" and
               kv.get("policy_src") == "table", kv)
    write_table()


def main():
    global table
    import tempfile
    table = tempfile.mktemp(prefix="/tmp/policy_net-table.")
    write_table()
    start()
    try:
        case_catalogue()
        case_dane_ta_sni()
        if not ONLY:
            case_cli()
            case_requiretls()
            case_sts_cache()
            case_sts_cache_rules()
            case_memory()
            case_memory_age()
            case_tls_required_no()
            case_table_match()
            case_untrusted_resolver()
    finally:
        os.unlink(table)
        finish()


main()
