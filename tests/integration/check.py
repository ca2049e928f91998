"""The checks of tests/integration/check (run inside tests/testnet/run).

One real sealpostd (its policy process answers the DNS side) with
dns_resolver at the test internet's validating resolver and tls_ca_file
at its test CA; `sealpost check --json` on scenario domains of
$TESTNET_SCENARIOS, one per class of problem the catalogue models: the
report must hold an item naming that problem with the right verdict
(ok / warn / fail), and the exit status must be the worst verdict (0,
1, 2). Then `sealpost check --self` with this host's certificate being
the one a scenario's MX serves (its TLSA record is published) and a
tls_next_key_file whose key has no record: a warning that names the
next key, and the records to publish; with the next key published
(the current one again) no such warning.

Not executable on purpose: tests/run runs tests/integration/check.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
RESOLVER = os.environ["TESTNET_RESOLVER"]
SELF = "dane-ee-311"          # this host is its MX, with its certificate
OTHER = "dane-ee-312"         # whose key no record at SELF's MX names
d = None


def conf_lines(next_key):
    me = S[SELF]["mx"][0]
    return ["hostname = %s" % me["host"],
            "listen = 127.0.0.1:2525 smtp",
            "local_domains = %s" % S[SELF]["domain"],
            "dns_resolver = %s" % RESOLVER,
            "tls_ca_file = %s" % os.environ["TESTNET_CA"],
            "tls_cert_file = %s" % me["cert_file"],
            "tls_key_file = %s" % me["key_file"],
            "tls_next_key_file = %s" % next_key,
            "mta_sts_fetch_timeout = 4s"]


def cli(*args):
    p = subprocess.run([os.path.join(build, "sealpost"), "-f", d.conf] +
                       list(args), capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def finish():
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        if os.environ.get("SP_KEEP"):
            tap.diag("kept %s" % d.dir)
        else:
            d.cleanup()
    sys.exit(0)


def report(*args):
    rc, out, err = cli("check", "--json", "--timeout", "4", *args)
    reps = []
    for ln in out.splitlines():
        try:
            reps.append(json.loads(ln))
        except ValueError:
            tap.notok("check %s: a JSON line" % " ".join(args),
                      "%r\nstderr: %s" % (ln, err))
    return rc, reps, err


def show(reps):
    return "\n".join("%s %s: %s | %s" % (i["level"], i["what"], i["text"],
                                         i["fix"])
                     for r in reps for i in r["items"])


def has(reps, level, what, text):
    return any(i["level"] == level and what in i["what"] and
               text in i["text"] and (level == "ok" or i["fix"])
               for r in reps for i in r["items"])


# (scenario, exit status, [(level, words of the item, words of its text)])
# the testnet publishes no _smtp._tls record for these domains: a warning
# at least, so no scenario exits 0
CASES = [
    ("dane-ee-301", 1, [("ok", "TLSA mx.{d} 3 0 1", "matches the "
                         "certificate"),
                        ("ok", "mx.{d} 127.", "STARTTLS, TLSv1."),
                        ("warn", "TLS-RPT", "no _smtp._tls.{d} record")]),
    ("dane-wrong-digest", 2, [("fail", "TLSA mx.{d} 3 1 1", "does not "
                               "match the certificate")]),
    ("dane-ta-wrong-name", 2, [("fail", "TLSA mx.{d} 2 0 1",
                                "certificate-host-mismatch")]),
    ("dane-unusable-only", 1, [("warn", "TLSA mx.{d}", "only unusable"),
                               ("warn", "TLSA mx.{d} 0 0 1", "unusable "
                                "for SMTP")]),
    ("dane-tlsa-servfail", 2, [("fail", "TLSA mx.{d}", "dnssec-invalid")]),
    ("dane-bogus-delegation", 2, [("fail", "MX", "dnssec-invalid")]),
    ("sts-enforce-mx-not-listed", 2, [("fail", "MTA-STS mx mx.{d}",
                                       "not listed")]),
    ("sts-enforce-expired", 2, [("fail", "certificate mx.{d}", "expired")]),
    ("sts-enforce-unknown-ca", 2, [("fail", "certificate mx.{d}",
                                    "not valid for mx.{d}")]),
    ("sts-testing", 1, [("warn", "MTA-STS policy", "mode testing")]),
    ("sts-policy-404", 2, [("fail", "MTA-STS policy",
                            "sts-policy-fetch-error")]),
    ("nostarttls-plain", 2, [("fail", "mx.{d} 127.", "does not offer "
                              "STARTTLS")]),
    ("striptls-dane", 2, [("fail", "mx.{d} 127.", "does not offer "
                           "STARTTLS")]),
    ("plain-unsigned", 1, [("warn", "MX", "unsigned zone"),
                           ("warn", "MTA-STS", "strip TLS")]),
    ("sts-enforce", 1, [("ok", "MTA-STS policy", "mode enforce"),
                        ("ok", "certificate mx.{d}", "valid for mx.{d}")]),
    ("mx-fallback", 2, [("fail", "mx1.{d} 127.", "cannot connect"),
                        ("ok", "TLSA mx2.{d} 3 1 1", "matches")]),
]


def case_catalogue():
    for name, want_rc, items in CASES:
        if name not in S:
            tap.notok("%s: in the catalogue" % name)
            continue
        dom = S[name]["domain"]
        rc, reps, err = report(dom)
        tap.ok("check %s: exit %d" % (dom, want_rc), rc == want_rc,
               lambda: "exit %d\n%s\n%s" % (rc, show(reps), err))
        for level, what, text in items:
            what = what.replace("{d}", dom)
            text = text.replace("{d}", dom)
            tap.ok("check %s: %s %s: %s" % (dom, level, what, text),
                   has(reps, level, what, text), lambda: show(reps))
        tap.ok("check %s: the verdict is the worst item" % dom,
               reps and reps[0]["verdict"] ==
               ("ok", "warn", "fail")[want_rc] if want_rc < 3 else False,
               lambda: show(reps))


def case_text():
    dom = S["dane-wrong-digest"]["domain"]
    rc, out, err = cli("check", "--timeout", "4", dom)
    tap.ok("check %s (text): fail lines with fix lines" % dom,
           rc == 2 and "\nfail  TLSA mx.%s 3 1 1" % dom in out and
           "      fix: publish \"_25._tcp.mx.%s. IN TLSA 3 1 1 " % dom in out,
           out + err)
    rc, out, err = cli("check", "no_such..domain")
    tap.ok("check: a bad domain is a usage error", rc == 64, out + err)


def case_self():
    me = S[SELF]["mx"][0]
    other = S[OTHER]["mx"][0]["key_file"]
    rc, reps, err = report("--self")
    dom = S[SELF]["domain"]
    tap.ok("check --self: one report, for %s" % dom,
           len(reps) == 1 and reps[0]["domain"] == dom and reps[0]["self"],
           lambda: show(reps) + err)
    tap.ok("check --self: exit 1 (a warning)", rc == 1,
           lambda: "exit %d\n%s\n%s" % (rc, show(reps), err))
    tap.ok("check --self: the current key has its record",
           has(reps, "ok", "key %s" % me["cert_file"], "matches it"),
           lambda: show(reps))
    tap.ok("check --self: a warning names the next key",
           has(reps, "warn", "next key %s" % other,
               "(tls_next_key_file %s)" % other), lambda: show(reps))
    pub = reps[0]["publish"] if reps else []
    tap.ok("check --self: what to publish, current and next",
           len(pub) == 2 and all(p.startswith("_25._tcp.%s. IN TLSA 3 1 1 "
                                              % me["host"]) for p in pub)
           and "next %s" % other in pub[1], repr(pub))
    # the record sealpost tlsa prints for the current key is the one
    rc2, out, err2 = cli("tlsa")
    tap.ok("check --self: the current line is sealpost tlsa's",
           rc2 == 0 and pub and pub[0].split(" ;")[0].split()[-1] in out,
           out + err2 + repr(pub))
    # the next key is the current one: nothing to warn about
    d.write_conf(conf_lines(me["key_file"]))
    rc, reps, err = report("--self")
    tap.ok("check --self: a next key with a record gives no warning",
           has(reps, "ok", "next key %s" % me["key_file"], "matches it")
           and not any(i["what"].startswith("next key") and
                       i["level"] != "ok" for r in reps
                       for i in r["items"]), lambda: show(reps) + err)


def case_self_sts():
    """--self for several local domains: one report each; the MTA-STS
    policy host's certificate is judged (a wrong name fails)."""
    me = S[SELF]["mx"][0]
    bad = S["sts-policy-wrong-name"]["domain"]
    good = S["sts-enforce"]["domain"]
    d.write_conf([ln if not ln.startswith("local_domains") else
                  "local_domains = %s %s %s" % (S[SELF]["domain"], bad, good)
                  for ln in conf_lines(me["key_file"])])
    rc, reps, err = report("--self")
    tap.ok("check --self: a report per local domain, exit 2",
           rc == 2 and [r["domain"] for r in reps] ==
           [S[SELF]["domain"], bad, good],
           lambda: "exit %d\n%s\n%s" % (rc, show(reps), err))
    tap.ok("check --self: the policy host's wrong certificate fails",
           has(reps[1:2], "fail", "policy host mta-sts.%s" % bad,
               "not valid for mta-sts.%s" % bad), lambda: show(reps))
    tap.ok("check --self: a good policy host is ok",
           has(reps[2:3], "ok", "policy host mta-sts.%s" % good,
               "certificate valid"), lambda: show(reps))
    tap.ok("check --self: a domain this host is no MX of says so",
           has(reps[2:3], "warn", "self %s" % me["host"],
               "is not an MX of %s" % good), lambda: show(reps))


def main():
    global d
    d = Daemon(build, "check", conf_lines(S[OTHER]["mx"][0]["key_file"]))
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        finish()
    try:
        case_catalogue()
        case_text()
        case_self()
        case_self_sts()
    except Exception:  # noqa: BLE001 - reported, then the daemon stops
        import traceback
        tap.notok("no exception", traceback.format_exc())
    finish()


main()
