#!/usr/bin/env python3
"""Self-check of the test internet: prove with reference tools that every
fixture in $TESTNET_SCENARIOS is what its scenario says.

  dig +dnssec     MX/A/AAAA/TLSA/TXT answers, AD bit, SERVFAIL (unbound)
  posttls-finger  Postfix as the reference DANE client, per domain
  openssl s_client -dane_tlsa_rrdata   TLSA matching per MX address (v4, v6)
  openssl s_client -verify_hostname -CAfile   PKIX of MTA-STS MX hosts
  curl --cacert   MTA-STS policy fetches

Prints `ok - ...` / `not ok - ...` per check and ends with the single line
`N passed, N failed`; exit status 1 when anything failed.
Runs inside tests/testnet/run (needs the namespace's resolv.conf).
"""

import concurrent.futures
import json
import re
import os
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 20


def run(argv, inp=None, timeout=TIMEOUT):
    try:
        r = subprocess.run(argv, input=inp, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           text=True, errors="replace")
        return r.returncode, r.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return "timeout", out


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.res = doc["resolver"]
        self.ca = doc["ca"]

    # ---------------------------------------------------------- DNS --------
    def dig(self, name, rtype):
        """(rcode, ad, [rdata of rtype records in the answer])"""
        rc, out = run(["dig", "+dnssec", "+time=2", "+tries=2", "+nocookie",
                       "@" + self.res, name, rtype])
        if rc != 0:
            return "DIGFAIL", False, [out.strip()[-200:]]
        rcode, ad, rr = None, False, []
        in_answer = False
        for ln in out.splitlines():
            if "->>HEADER<<-" in ln:
                rcode = ln.split("status:")[1].split(",")[0].strip()
            elif ln.startswith(";; flags:"):
                ad = "ad" in ln.split(";")[2].split(":")[1].split()
            elif ln.startswith(";; ANSWER SECTION"):
                in_answer = True
            elif not ln.strip():
                in_answer = False
            elif in_answer and not ln.startswith(";"):
                f = ln.split(None, 4)
                if len(f) == 5 and f[3] == rtype:
                    rr.append(" ".join(f[4].split()))
        return rcode, ad, rr

    def dns(self, s, out):
        d, dn = s["domain"], s["dns"]
        rcode, ad, mx = self.dig(d, "MX")
        want = dn["mx_rcode"]
        out.append((rcode == want and ad == dn["mx_ad"],
                    "%s: MX rcode %s ad=%s (want %s ad=%s)" %
                    (d, rcode, ad, want, dn["mx_ad"])))
        if want != "NOERROR":
            return
        if dn["null_mx"]:
            out.append((mx == ["0 ."], "%s: null MX %s" % (d, mx)))
        elif dn["implicit_mx"]:
            out.append((mx == [], "%s: no MX RRset (implicit MX) %s" %
                        (d, mx)))
        else:
            exp = sorted("%d %s." % (m["pref"], m["host"]) for m in s["mx"])
            out.append((sorted(x.lower() for x in mx) == exp,
                        "%s: MX set %s" % (d, exp)))
        for m in s["mx"]:
            for rt, key in (("A", "ipv4"), ("AAAA", "ipv6")):
                rc, ad2, addrs = self.dig(m["host"], rt)
                ok = rc == "NOERROR" and sorted(addrs) == sorted(m[key])
                out.append((ok, "%s: %s %s -> %s" % (d, rt, m["host"],
                                                    m[key] or "none")))
            t = m["tlsa"]
            if not t:
                continue
            rc, ad2, rrs = self.dig(t["name"], "TLSA")
            if t["dnssec"] == "bogus":
                ok = rc == "SERVFAIL"
                what = "SERVFAIL"
            else:
                norm = sorted(self.tlsa_norm(x) for x in rrs)
                ok = (rc == "NOERROR" and ad2 == (t["dnssec"] == "secure")
                      and norm == sorted(self.tlsa_norm(x)
                                         for x in t["records"]))
                what = "%d records, %s" % (len(t["records"]), t["dnssec"])
            out.append((ok, "%s: TLSA %s %s (got %s ad=%s)" %
                        (d, t["name"], what, rc, ad2)))
        if s["sts"]:
            rc, _, txt = self.dig("_mta-sts." + d, "TXT")
            n = sum(1 for x in txt if x.strip('"').startswith("v=STSv1"))
            out.append((rc == "NOERROR" and n == s["sts"]["txt_records"],
                        "%s: %d STSv1 TXT record(s)" % (d, n)))
        if s.get("tlsrpt"):
            t = s["tlsrpt"]
            rc, ad2, txt = self.dig(t["name"], "TXT")
            got = [x.strip('"') for x in txt]
            out.append((rc == "NOERROR" and ad2 == dn["mx_ad"] and
                        got == [t["record"]], "%s: TXT %s %s (got %s ad=%s "
                        "%s)" % (d, t["name"], t["record"], rc, ad2, got)))

    @staticmethod
    def tlsa_norm(rd):
        f = rd.split()
        return "%s %s %s %s" % (f[0], f[1], f[2], "".join(f[3:]).lower())

    # ------------------------------------------------- posttls-finger ------
    def expected_pf(self, s):
        """What Postfix (-l dane, domain destination) must report, or None
        when this scenario has no posttls-finger check."""
        e = s["expect"]
        if s["dns"]["null_mx"]:
            return "nullmx"
        if s["dns"]["mx_rcode"] == "SERVFAIL":
            return "dns-error"
        first = next((m for m in s["mx"] if m["listening"]), None)
        if first is None:
            return None
        if any(m["tlsa"] and m["tlsa"]["dnssec"] == "bogus"
               for m in s["mx"]):
            return "tlsa-error"
        if first["peer"] in ("nostarttls", "striptls"):
            return "no-starttls"
        if first["peer"] not in ("good", "postfix"):
            return None
        if s["dane"] == "secure-usable" and not s["dns"]["mx_ad"]:
            # Postfix does no DANE under an insecure MX RRset (RFC 7672
            # 2.2.1 makes it a MAY): opportunistic TLS
            return "tls"
        if s["dane"] == "secure-usable" and e["policy"] == "dane":
            if e["result"] == "sent":
                return "verified"
            return {"certificate-host-mismatch": "untrusted:hostname mismatch",
                    }.get(e["failure"],
                          "untrusted:no matching DANE TLSA records")
        return "tls"

    def posttls_finger(self, s, out):
        want = self.expected_pf(s)
        if want is None:
            return
        rc, o = run(["posttls-finger", "-t5", "-T10", "-L", "summary",
                     "-l", "dane", "-P", "/etc/ssl/certs", s["domain"]])
        if want == "nullmx":
            ok = "nullMX" in o
        elif want == "dns-error":
            ok = "Destination address lookup failed" in o and \
                 "Name service error" in o
        elif want == "tlsa-error":
            ok = "TLSA lookup error" in o and "established" not in o
        elif want == "no-starttls":
            ok = "Connected to" in o and "> STARTTLS" not in o and \
                 "TLS connection established" not in o
        elif want == "verified":
            ok = "Verified TLS connection established" in o
        elif want == "tls":
            ok = "TLS connection established" in o
        else:
            reason = want.split(":", 1)[1]
            ok = ("Untrusted TLS connection established" in o and
                  reason in o and "Verified" not in o)
        detail = [ln.split(": ", 1)[-1] for ln in o.splitlines()
                  if "established" in ln or "failed" in ln or
                  "error" in ln][:2]
        out.append((ok, "%s: posttls-finger -l dane: %s%s" % (
            s["domain"], want, "" if ok else " GOT " + " | ".join(detail)
            or o[-300:])))
        if ok and want == "verified":
            self.peer_record(s, out)

    def peer_record(self, s, out):
        """The peer that posttls-finger reached logged the session."""
        m = next(m for m in s["mx"] if m["listening"])
        if m["peer"] != "good" or not m["record_dir"]:
            return
        path = os.path.join(m["record_dir"], "events.jsonl")
        evs = []
        for _ in range(20):
            try:
                with open(path) as f:
                    evs = [json.loads(x) for x in f if x.strip()]
            except (OSError, ValueError):
                evs = []
            if any(e.get("tls_version") for e in evs):
                break
            time.sleep(0.1)
        ok = any(e.get("tls_version") and not e.get("cleartext_mail")
                 for e in evs)
        out.append((ok, "%s: peer %s recorded a TLS session, no cleartext "
                    "MAIL" % (s["domain"], m["host"])))
        if m["sni_expected"]:
            snis = sorted(set(str(e.get("sni")) for e in evs))
            out.append((m["sni_expected"] in snis, "%s: peer recorded SNI "
                        "%s from posttls-finger (got %s)" % (
                            s["domain"], m["sni_expected"], snis)))

    # ------------------------------------------------------ openssl --------
    def s_client(self, addr, port, extra):
        return run(["openssl", "s_client", "-brief", "-starttls", "smtp",
                    "-name", "checker.test", "-connect",
                    "[%s]:%d" % (addr, port) if ":" in addr else
                    "%s:%d" % (addr, port),
                    "-verify_return_error"] + extra, inp="", timeout=10)

    def dane_s_client(self, s, out):
        if s["dane"] != "secure-usable":
            return
        for m in s["mx"]:
            t = m["tlsa"]
            if not (m["listening"] and m["starttls"] and t and
                    t["dnssec"] == "secure" and m["peer"] in
                    ("good", "postfix")):
                continue
            recs = [r for r in t["records"] if r.split()[0] in ("2", "3") and
                    r.split()[1] in ("0", "1") and r.split()[2] in
                    ("0", "1", "2")]
            # the records match unless DANE itself is what fails (an
            # MTA-STS refusal leaves them matching)
            want = s["expect"]["result"] == "sent" or \
                s["expect"]["policy"] == "mta-sts"
            args = ["-dane_ee_no_namechecks",
                    "-dane_tlsa_domain", m["address_name"],
                    "-servername", m["address_name"], "-no-CAfile",
                    "-no-CApath", "-no-CAstore"]
            for r in recs:
                args += ["-dane_tlsa_rrdata", r]
            for a in m["ipv4"] + m["ipv6"]:
                rc, o = self.s_client(a, m["port"], args)
                got = rc == 0 and "Verification: OK" in o
                out.append((got == want, "%s: s_client -dane_tlsa_rrdata "
                            "[%s]: %s" % (s["domain"], a, "match" if want
                                          else "no match")))

    PKIX_ERR = {"ok": None, "host-mismatch": ["hostname mismatch"],
                "expired": ["certificate has expired"],
                "untrusted": ["unable to get local issuer certificate",
                              "self-signed certificate in certificate chain"]}
    CERT_PKIX = {"pkix": "ok", "pkix-wrong-name": "host-mismatch",
                 "pkix-expired": "expired", "rogue": "untrusted"}

    def sts_mx_pkix(self, s, out):
        if not s["sts"]:
            return
        for m in s["mx"]:
            want = self.CERT_PKIX.get(m["cert"])
            if not (m["listening"] and m["starttls"] and want and
                    m["peer"] in ("good", "postfix")):
                continue
            for a in m["ipv4"] + m["ipv6"]:
                rc, o = self.s_client(a, m["port"], [
                    "-servername", m["host"], "-verify_hostname", m["host"],
                    "-CAfile", self.ca])
                err = self.PKIX_ERR[want]
                ok = (rc == 0 and "Verification: OK" in o) if err is None \
                    else (rc != 0 and any(x in o for x in err))
                out.append((ok, "%s: PKIX of MX %s [%s] with the test CA: "
                            "%s" % (s["domain"], m["host"], a, want)))

    def chain_shape(self, s, out):
        """The peer serves exactly the chain its cert kind says (e.g. the
        forged chain really carries the real TA, the TA-not-sent one not)."""
        for m in s["mx"]:
            if not (m["listening"] and m["starttls"] and m["peer"] in
                    ("good", "postfix") and m["chain_subjects"]):
                continue
            a = (m["ipv4"] + m["ipv6"])[0]
            rc, o = run(["openssl", "s_client", "-showcerts", "-starttls",
                         "smtp", "-servername", m["address_name"],
                         "-connect", "[%s]:%d" % (a, m["port"]) if ":" in a
                         else "%s:%d" % (a, m["port"])], inp="", timeout=10)
            # only the "Certificate chain" section: the session ticket's
            # hex dump later has lines like "    0010 - ... s:..." too
            chain = o.split("Certificate chain", 1)[-1].split("\n---\n", 1)[0]
            got = [ln.split("s:", 1)[1].split("CN = ", 1)[-1].strip()
                   for ln in chain.splitlines()
                   if re.match(r"^ *[0-9]+ s:", ln)]
            out.append((got == m["chain_subjects"], "%s: %s serves chain %s"
                        "%s" % (s["domain"], m["host"], m["chain_subjects"],
                                "" if got == m["chain_subjects"] else
                                " GOT %s" % got)))

    # -------------------------------------------------------- MTA-STS ------
    def sts_fetch(self, s, out):
        st = s["sts"]
        if not st:
            return
        with tempfile.NamedTemporaryFile() as body:
            rc, o = run(["curl", "-sS", "--cacert", self.ca, "--max-time",
                         "3", "-o", body.name, "-w",
                         "%{http_code} %{content_type} %{size_download}",
                         st["policy_url"]])
            data = open(body.name, "rb").read()
        last = o.strip().splitlines()[-1] if o.strip() else ""
        code, ctype, size = (last.split(" ") + ["", "", ""])[:3]
        serve, pc = st["serve"], st["policy_cert"]
        if pc != "pkix":
            want = "TLS failure (curl 60)"
            ok = rc == 60
        elif serve in ("ok", "two-txt"):
            want = "200 text/plain, the policy"
            ok = rc == 0 and code == "200" and ctype.startswith(
                "text/plain") and data.decode() == st["policy_text"]
        elif serve == "404":
            want = "404"
            ok = rc == 0 and code == "404"
        elif serve == "redirect":
            want = "301 (not followed)"
            ok = rc == 0 and code == "301"
        elif serve == "html":
            want = "200 text/html"
            ok = rc == 0 and code == "200" and ctype.startswith("text/html")
        elif serve == "oversized":
            want = "200, body > 64 KiB"
            ok = rc == 0 and code == "200" and len(data) > 65536
        elif serve == "trickle":
            want = "timeout after 3 s (curl 28)"
            ok = rc == 28 and len(data) < len(st["policy_text"])
        else:
            want, ok = "known serve mode", False
        out.append((ok, "%s: curl %s: %s%s" % (
            s["domain"], st["policy_url"], want,
            "" if ok else " GOT rc=%s %s" % (rc, o.strip()[-200:]))))
        # the policy's mx patterns vs the MX hosts (RFC 8461 4.1)
        if serve in ("ok",):
            for m in s["mx"]:
                hit = any(self.sts_match(p, m["host"]) for p in st["mx"])
                want_hit = s["expect"]["failure"] != "validation-failure"
                out.append((hit == want_hit, "%s: MX %s %s the policy mx "
                            "patterns" % (s["domain"], m["host"],
                                          "matches" if want_hit else
                                          "does not match")))

    @staticmethod
    def sts_match(pat, host):
        pat, host = pat.lower(), host.lower()
        if pat.startswith("*."):
            return "." in host and host.split(".", 1)[1] == pat[2:]
        return pat == host

    # -------------------------------------------------------- misc ---------
    def refused(self, s, out):
        for m in s["mx"]:
            if m["listening"]:
                continue
            for a in m["ipv4"] + m["ipv6"]:
                fam = socket.AF_INET6 if ":" in a else socket.AF_INET
                c = socket.socket(fam, socket.SOCK_STREAM)
                c.settimeout(3)
                try:
                    c.connect((a, m["port"]))
                    ok = False
                except ConnectionRefusedError:
                    ok = True
                except OSError:
                    ok = False
                finally:
                    c.close()
                out.append((ok, "%s: %s [%s]:%d refuses connections" % (
                    s["domain"], m["host"], a, m["port"])))

    def banner(self, s, out):
        """Peers without a posttls-finger check at least greet."""
        if self.expected_pf(s) is not None:
            return
        for m in s["mx"]:
            if not (m["listening"] and m["peer"]):
                continue
            for a in m["ipv4"] + m["ipv6"]:
                fam = socket.AF_INET6 if ":" in a else socket.AF_INET
                c = socket.socket(fam, socket.SOCK_STREAM)
                c.settimeout(5)
                try:
                    c.connect((a, m["port"]))
                    ok = True
                except OSError:
                    ok = False
                finally:
                    c.close()
                out.append((ok, "%s: peer '%s' listens on [%s]:%d" % (
                    s["domain"], m["peer"], a, m["port"])))

    def scenario(self, s):
        out = []
        for fn in (self.dns, self.posttls_finger, self.dane_s_client,
                   self.chain_shape, self.sts_mx_pkix, self.sts_fetch,
                   self.refused, self.banner):
            try:
                fn(s, out)
            except Exception as e:          # a broken check is a failure
                out.append((False, "%s: %s raised %r" % (
                    s["domain"], fn.__name__, e)))
        return out


def main():
    path = os.environ.get("TESTNET_SCENARIOS")
    if not path:
        print("check: TESTNET_SCENARIOS unset; run it as "
              "tests/testnet/run tests/testnet/check", file=sys.stderr)
        return 2
    with open(path) as f:
        doc = json.load(f)
    names = sys.argv[1:]
    scen = [s for s in doc["scenarios"] if not names or s["name"] in names]
    # posttls-finger reads main.cf: give it a minimal one of ours rather
    # than depend on the system's /etc/postfix
    pfconf = tempfile.mkdtemp(prefix="testnet-check-")
    with open(os.path.join(pfconf, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\ninet_protocols = all\n"
                "smtp_address_preference = any\n")
    os.environ["MAIL_CONFIG"] = pfconf
    ck = Checker(doc)
    t0 = time.time()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for s, res in zip(scen, pool.map(ck.scenario, scen)):
            if not res:
                res = [(False, "%s: no check applies" % s["domain"])]
            for ok, msg in res:
                print("%s - %s" % ("ok" if ok else "not ok", msg))
                passed += ok
                failed += not ok
            sys.stdout.flush()
    os.unlink(os.path.join(pfconf, "main.cf"))
    os.rmdir(pfconf)
    print("# %d scenarios checked in %.1fs" % (len(scen), time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
