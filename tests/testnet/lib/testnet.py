#!/usr/bin/env python3
"""Generator and process manager of the test internet (tests/testnet).

  testnet.py up     generate PKI, signed DNS tree, nginx and unbound
                    configuration and scenarios.json into $TESTNET_DIR, then
                    start nsd (root, test., children), unbound, nginx and the
                    SMTP peers; record every pid in $TESTNET_DIR/run/pids
  testnet.py down   stop exactly the processes recorded by `up`

Python standard library only; everything else is a Debian binary (nsd,
unbound, ldns-keygen, ldns-signzone, certtool, nginx).  Must run inside the
private network and mount namespace made by tests/testnet/run.
"""

import base64
import concurrent.futures
import datetime
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios as SC  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TESTNET = os.path.dirname(HERE)

ROOT_NS = "127.53.0.1"       # nsd serving "."
TEST_NS = "127.53.0.2"       # nsd serving "test."
CHILD_NS = "127.53.0.3"      # nsd serving every zone below test.
RESOLVER = "127.53.0.53"     # unbound, validating, trust anchor = our root
HTTPS_V4 = "127.44.3.1"      # nginx: every mta-sts.<domain> host, by SNI
HTTPS_V6 = "fd00:5ea1::443"
V6_PREFIX = "fd00:5ea1::"
SIG_DAYS = 14                # signatures valid now-1 day .. now+SIG_DAYS
TTL = 300
POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8)


def log(msg):
    print("testnet: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("error: " + msg)
    sys.exit(1)


def sh(argv, cwd=None, inp=None):
    r = subprocess.run(argv, cwd=cwd, input=inp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv),
                           r.returncode, r.stderr.strip()[-2000:]))
    return r.stdout


def pmap(fn, items):
    return list(POOL.map(fn, items))


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def utc(delta_days=0):
    return (datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(days=delta_days))


# ---------------------------------------------------------------- PKI ------

def der_tlv(buf, off):
    """(tag, content start, end) of the DER TLV at off."""
    tag, ln = buf[off], buf[off + 1]
    off += 2
    if ln & 0x80:
        n = ln & 0x7f
        ln = int.from_bytes(buf[off:off + n], "big")
        off += n
    return tag, off, off + ln


def spki_of(cert_der):
    """DER SubjectPublicKeyInfo of a DER certificate."""
    _, c, _ = der_tlv(cert_der, 0)
    _, t, tend = der_tlv(cert_der, c)
    fields, off = [], t
    while off < tend:
        tag, _, e = der_tlv(cert_der, off)
        fields.append((tag, off, e))
        off = e
    i = 1 if fields[0][0] == 0xa0 else 0
    _, s, e = fields[i + 5]
    return cert_der[s:e]


def pem_to_der(pem):
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split(
        "-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def tlsa_data(cert_pem, selector, mtype):
    der = pem_to_der(cert_pem)
    data = der if selector == 0 else spki_of(der)
    if mtype == 0:
        return data.hex()
    return (hashlib.sha256 if mtype == 1 else hashlib.sha512)(data).hexdigest()


class PKI:
    """Certificates made with certtool, ECDSA P-256, fresh at each start."""

    def __init__(self, d):
        self.d = d
        self.cn = {}
        os.makedirs(d, exist_ok=True)

    def path(self, name, ext):
        return os.path.join(self.d, name + "." + ext)

    def read(self, name):
        with open(self.path(name, "pem")) as f:
            return f.read()

    def make(self, name, cn, sans=(), issuer=None, ca=False, start=-1,
             end=365):
        key = self.path(name, "key")
        self.cn[name] = cn
        sh(["certtool", "--generate-privkey", "--key-type=ecdsa",
            "--curve=secp256r1", "--no-text", "--outfile", key])
        os.chmod(key, 0o600)
        fmt = "%Y-%m-%d %H:%M:%S UTC"
        t = ['cn = "%s"' % cn,
             'serial = %d' % random.getrandbits(63),
             'activation_date = "%s"' % utc(start).strftime(fmt),
             'expiration_date = "%s"' % utc(end).strftime(fmt)]
        if ca:
            t += ["ca", "cert_signing_key", "crl_signing_key"]
        else:
            t += ["tls_www_server", "signing_key"]
            t += ['dns_name = "%s"' % s for s in sans]
        tmpl = self.path(name, "tmpl")
        write(tmpl, "\n".join(t) + "\n")
        out = self.path(name, "pem")
        if issuer is None:
            sh(["certtool", "--generate-self-signed", "--no-text",
                "--load-privkey", key, "--template", tmpl, "--outfile", out])
        else:
            sh(["certtool", "--generate-certificate", "--no-text",
                "--load-privkey", key, "--template", tmpl,
                "--load-ca-certificate", self.path(issuer, "pem"),
                "--load-ca-privkey", self.path(issuer, "key"),
                "--outfile", out])
        os.unlink(tmpl)

    def cas(self):
        self.make("ca", "Testnet Public Root CA", ca=True, end=3650)
        self.make("rogue-ca", "Rogue CA", ca=True, end=3650)
        self.make("dane-root", "Testnet DANE Root CA", ca=True, end=3650)
        self.make("ca-int", "Testnet Public Intermediate CA", issuer="ca",
                  ca=True, end=3650)
        self.make("dane-int", "Testnet DANE Intermediate CA",
                  issuer="dane-root", ca=True, end=3650)

    # kind -> (issuer, name override, start, end, chain members after leaf)
    KINDS = {
        "pkix": ("ca-int", None, -1, 365, ["ca-int"]),
        "pkix-wrong-name": ("ca-int", "wrong-name.elsewhere.test", -1, 365,
                            ["ca-int"]),
        "pkix-expired": ("ca-int", None, -30, -1, ["ca-int"]),
        "rogue": ("rogue-ca", None, -1, 365, ["rogue-ca"]),
        "selfsigned": (None, None, -1, 365, []),
        "ee-odd": (None, "not-this-host.elsewhere.test", -30, -1, []),
        "dane-ta1": ("dane-int", None, -1, 365, ["dane-int"]),
        "dane-ta2": ("dane-int", None, -1, 365, ["dane-int", "dane-root"]),
        "dane-ta2-noroot": ("dane-int", None, -1, 365, ["dane-int"]),
        "dane-ta-wrong-name": ("dane-int", "wrong-name.elsewhere.test", -1,
                               365, ["dane-int", "dane-root"]),
        "forged": ("rogue-ca", None, -1, 365, ["rogue-ca", "dane-root"]),
    }

    def leaf(self, name, host, kind):
        """Make leaf `name` of `kind` for `host`; write NAME.chain.pem."""
        issuer, other, start, end, chain = self.KINDS[kind]
        cn = other or host
        self.make(name, cn, sans=[cn], issuer=issuer, start=start, end=end)
        text = self.read(name) + "".join(self.read(c) for c in chain)
        write(self.path(name, "chain.pem"), text)
        return (self.path(name, "chain.pem"), self.path(name, "key"),
                [cn] + [self.cn[c] for c in chain])


# ---------------------------------------------------------------- DNS ------

class Zone:
    def __init__(self, name, kind):
        self.name = name          # absolute, ends with "."
        # signed | unsigned | bogus-ds | expired | tlsa-badsig
        self.kind = kind
        self.rrs = []
        self.keybase = None
        self.decoy = None

    @property
    def signed(self):
        return self.kind != "unsigned"

    def add(self, owner, rtype, rdata):
        self.rrs.append("%s\t%d\tIN\t%s\t%s" % (owner, TTL, rtype, rdata))

    def fname(self):
        return "root" if self.name == "." else self.name.rstrip(".")

    def ds(self, which=None):
        with open((which or self.keybase) + ".ds") as f:
            return [ln.split(None, 3)[3].strip() if ln.split()[1] == "IN"
                    else ln.split(None, 4)[4].strip()
                    for ln in f if ln.strip()]


def keygen(zone_name, d):
    out = sh(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone_name], cwd=d)
    return os.path.join(d, out.strip())


def sign(zone, d):
    src = os.path.join(d, zone.fname() + ".zone")
    dst = src + ".signed"
    if not zone.signed:
        shutil.copy(src, dst)
        return
    if zone.kind == "expired":
        inc, exp = utc(-30), utc(-1)
    else:
        inc, exp = utc(-1), utc(SIG_DAYS)
    sh(["ldns-signzone", "-o", zone.name, "-f", dst,
        "-i", inc.strftime("%Y%m%d%H%M%S"), "-e", exp.strftime("%Y%m%d%H%M%S"),
        src, zone.keybase])
    if zone.kind == "tlsa-badsig":
        lines = open(dst).read().split("\n")
        n = 0
        for i, ln in enumerate(lines):
            f = ln.split()
            if len(f) > 5 and f[3] == "RRSIG" and f[4] == "TLSA":
                sig = bytearray(base64.b64decode("".join(f[12:])))
                sig[10] ^= 0x55
                lines[i] = "\t".join(f[:12] + [base64.b64encode(
                    bytes(sig)).decode()])
                n += 1
        if not n:
            raise RuntimeError("no TLSA RRSIG to break in " + zone.name)
        write(dst, "\n".join(lines))


# ---------------------------------------------------------- generator ------

class Net:
    def __init__(self, d):
        self.d = d
        self.pki = PKI(os.path.join(d, "pki"))
        self.dnsdir = os.path.join(d, "dns")
        self.zones = {}
        self.scen = []          # resolved scenario dicts (scenarios.json)
        self.peers = []         # (kind, name, argv-ish dict)
        self.v6 = [HTTPS_V6]
        self.sts_hosts = []     # dicts for nginx
        self.certjobs = []      # (name, host, kind)

    def zone(self, name, kind="signed"):
        if name not in self.zones:
            self.zones[name] = Zone(name, kind)
        return self.zones[name]

    def zone_of(self, fqdn):
        best = None
        for z in self.zones:
            if z == "." or fqdn == z or fqdn.endswith("." + z):
                if best is None or len(z) > len(best):
                    best = z
        return self.zones[best]

    def cert(self, host, kind):
        host = host.rstrip(".")
        name = "host-%s-%s" % (host, kind)
        if (name, host, kind) not in self.certjobs:
            self.certjobs.append((name, host, kind))
        return name

    def build(self):
        stamp = utc().strftime("%Y%m%d%H%M%S")
        self.zone(".")
        self.zone("test.")
        self.zone("insecure-hosts.test.", "unsigned")
        self.zone("signed-hosts.test.", "signed")
        for i, s in enumerate(SC.SCENARIOS, 1):
            self.zone(s["name"] + ".test.", s["zone"])
        for i, s in enumerate(SC.SCENARIOS, 1):
            self.scenario(i, s, stamp)

    def scenario(self, idx, s, stamp):
        dom = s["name"] + ".test."
        z = self.zones[dom]
        exp = s["expect"]
        if isinstance(exp, tuple):
            exp = dict(zip(("result", "failure", "policy", "tls_required"),
                           exp))
        exp = dict(exp)
        exp["failure_any"] = (s["failure_any"] if s["failure_any"]
                              is not None else [exp["failure"]])
        exp["result_any"] = s["result_any"] or [exp["result"]]
        dns_ok = s["zone"] not in ("bogus-ds", "expired")
        out = dict(name=s["name"], domain=dom.rstrip("."), zone=s["zone"],
                   dane=s["dane"], mx=[], sts=None, tlsrpt=None, expect=exp,
                   notes=s["notes"],
                   dns=dict(mx_rcode="NOERROR" if dns_ok else "SERVFAIL",
                            mx_ad=z.signed and dns_ok,
                            null_mx=s["null_mx"], implicit_mx=s["no_mx"]))
        if s["null_mx"]:
            z.add(dom, "MX", "0 .")
        for h, hd in enumerate(s["mx"], 1):
            lab = hd["label"]
            fq = dom if lab == "@" else (lab if lab.endswith(".")
                                         else lab + "." + dom)
            hz = self.zone_of(fq)
            if not s["no_mx"]:
                z.add(dom, "MX", "%d %s" % (hd["pref"], fq))
            addr_name = fq
            if hd["cname"]:
                addr_name = hd["cname"] + "." + dom
                hz.add(fq, "CNAME", addr_name)
            v4 = ["127.25.%d.%d" % (idx, h)] if hd["v4"] else []
            v6 = ["%s25:%d:%d" % (V6_PREFIX, idx, h)] if hd["v6"] else []
            for a in v4:
                hz.add(addr_name, "A", a)
            for a in v6:
                hz.add(addr_name, "AAAA", a)
                self.v6.append(a)
            tls_name = addr_name       # TLSA base domain, SNI, cert name
            certname = self.cert(tls_name, hd["cert"])
            recs = []
            for t in hd["tlsa"]:
                u, sel, m, src = t.split()
                recs.append(dict(u=int(u), s=int(sel), m=int(m), src=src))
            tlsa_owner = "_25._tcp." + tls_name
            if hd["cname"]:
                # the original name gets a wrong record; the expanded one
                # (which RFC 7672 2.2.2 says to try first) the right ones
                hz.add("_25._tcp." + fq, "TLSA", "3 1 1 " + junk())
            hzs = hz.signed and hz.kind not in ("bogus-ds", "expired")
            if hz.kind == "tlsa-badsig":
                tlsa_state = "bogus"
            elif not hz.signed:
                tlsa_state = "insecure"
            elif not hzs:
                tlsa_state = "bogus"
            else:
                tlsa_state = "secure"
            usable = sum(1 for r in recs if r["u"] in (2, 3) and
                         r["s"] in (0, 1) and r["m"] in (0, 1, 2))
            mxd = dict(host=fq.rstrip("."), pref=hd["pref"],
                       address_name=addr_name.rstrip("."),
                       ipv4=v4, ipv6=v6, port=25,
                       peer=hd["peer"] if hd["listen"] else None,
                       listening=hd["listen"],
                       starttls=hd["peer"] not in ("nostarttls", "striptls",
                                                   "starttls-454"),
                       cert=hd["cert"], cert_file=None, key_file=None,
                       tlsa=dict(name=tlsa_owner.rstrip("."),
                                 dnssec=tlsa_state, records=[],
                                 usable=usable, _recs=recs,
                                 _certname=certname) if recs else None,
                       sni_expected=None, record_dir=None,
                       peer_delay=hd["delay"])
            out["mx"].append(mxd)
            if hd["listen"] and hd["peer"]:
                self.peers.append(mxd)
        if s["sts"]:
            st = s["sts"]
            pol_host = "mta-sts." + dom
            z.add(pol_host, "A", HTTPS_V4)
            z.add(pol_host, "AAAA", HTTPS_V6)
            if st["serve"] == "two-txt":
                z.add("_mta-sts." + dom, "TXT", '"v=STSv1; id=%sa;"' % stamp)
                z.add("_mta-sts." + dom, "TXT", '"v=STSv1; id=%sb;"' % stamp)
            else:
                z.add("_mta-sts." + dom, "TXT", '"v=STSv1; id=%s;"' % stamp)
            mxs = [p.format(d=dom.rstrip(".")) for p in
                   (st["mx"] or [m["host"] for m in out["mx"]])]
            policy = "version: STSv1\nmode: %s\n%smax_age: 86400\n" % (
                st["mode"], "".join("mx: %s\n" % m for m in mxs))
            url = "https://%s/.well-known/mta-sts.txt" % pol_host.rstrip(".")
            out["sts"] = dict(mode=st["mode"], mx=mxs, policy_host=pol_host
                              .rstrip("."), policy_url=url,
                              serve=st["serve"], policy_cert=st["policy_cert"],
                              policy_text=policy,
                              txt_records=2 if st["serve"] == "two-txt"
                              else 1)
            self.sts_hosts.append(dict(host=pol_host.rstrip("."),
                                       serve=st["serve"], policy=policy,
                                       cert=self.cert(pol_host,
                                                      st["policy_cert"])))
        if s["tlsrpt"]:
            # RFC 8460 §3: one TXT record at _smtp._tls.<domain>
            rec = "v=TLSRPTv1; rua=%s" % s["tlsrpt"]
            z.add("_smtp._tls." + dom, "TXT", '"%s"' % rec)
            out["tlsrpt"] = dict(name="_smtp._tls." + dom.rstrip("."),
                                 record=rec)
            # RFC 8460 §4.3: under DANE the policy domain is the TLSA
            # base domain of each MX host: the same record there
            for m in out["mx"]:
                n = m["address_name"] + "."
                self.zone_of(n).add("_smtp._tls." + n, "TXT", '"%s"' % rec)
        for m in out["mx"]:
            if s["dane"] == "secure-usable" and m["tlsa"]:
                m["sni_expected"] = m["address_name"]
            elif out["sts"] and out["sts"]["mode"] != "none" and \
                    out["sts"]["serve"] in ("ok",):
                m["sni_expected"] = m["host"]
        self.scen.append(out)

    def write_zones(self):
        serial = int(time.time())
        names = list(self.zones)
        # the SOA/NS first; delegations added to the parents
        for n in names:
            z = self.zones[n]
            if n == ".":
                head = [". %d IN SOA a.root-servers. hostmaster.test. "
                        "%d 1800 900 604800 60" % (TTL, serial),
                        ". %d IN NS a.root-servers." % TTL,
                        "a.root-servers. %d IN A %s" % (TTL, ROOT_NS)]
            elif n == "test.":
                head = ["test. %d IN SOA ns.test. hostmaster.test. "
                        "%d 1800 900 604800 60" % (TTL, serial),
                        "test. %d IN NS ns.test." % TTL,
                        "ns.test. %d IN A %s" % (TTL, TEST_NS),
                        "ns2.test. %d IN A %s" % (TTL, CHILD_NS)]
            else:
                head = ["%s %d IN SOA ns2.test. hostmaster.test. "
                        "%d 1800 900 604800 60" % (n, TTL, serial),
                        "%s %d IN NS ns2.test." % (n, TTL)]
            z.rrs[:0] = head
        root, test = self.zones["."], self.zones["test."]
        root.add("test.", "NS", "ns.test.")
        root.add("ns.test.", "A", TEST_NS)
        for ds in test.ds():
            root.add("test.", "DS", ds)
        for n, z in self.zones.items():
            if n in (".", "test."):
                continue
            test.add(n, "NS", "ns2.test.")
            if z.signed:
                for ds in z.ds(z.decoy if z.kind == "bogus-ds" else None):
                    test.add(n, "DS", ds)
        for z in self.zones.values():
            write(os.path.join(self.dnsdir, z.fname() + ".zone"),
                  "\n".join(z.rrs) + "\n")

    def gen(self):
        d = self.d
        for sub in ("pki", "dns", "run", "log", "peers", "nginx/www",
                    "nginx/tmp", "unbound"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        self.build()
        t0 = time.time()
        # keys and CA certificates in parallel
        signed = [z for z in self.zones.values() if z.signed]
        futs = [POOL.submit(keygen, z.name, self.dnsdir) for z in signed]
        decoys = [z for z in signed if z.kind == "bogus-ds"]
        dfuts = [POOL.submit(keygen, z.name, self.dnsdir) for z in decoys]
        self.pki.cas()
        for z, f in zip(signed, futs):
            z.keybase = f.result()
        for z, f in zip(decoys, dfuts):
            z.decoy = f.result()
        files = dict(zip([j[0] for j in self.certjobs],
                         pmap(lambda j: self.pki.leaf(*j), self.certjobs)))
        t1 = time.time()
        # TLSA rdata now that certificates exist
        for s in self.scen:
            for m in s["mx"]:
                m["cert_file"], m["key_file"], m["chain_subjects"] = files[
                    self.cert(m["address_name"], m["cert"])]
                t = m["tlsa"]
                if not t:
                    continue
                leaf = self.pki.read(t.pop("_certname"))
                srcs = {"leaf": leaf, "int": self.pki.read("dane-int"),
                        "root": self.pki.read("dane-root")}
                right = 0
                for r in t.pop("_recs"):
                    if r["src"] == "junk":
                        data = junk(64 if r["m"] == 2 else 32)
                    elif r["src"].endswith("~"):
                        # the right digest with its last hex digit changed
                        data = tlsa_data(srcs[r["src"][:-1]], r["s"],
                                         r["m"])
                        data = data[:-1] + ("1" if data[-1] == "0" else "0")
                    else:
                        data = tlsa_data(srcs[r["src"]], r["s"], r["m"])
                    rd = "%d %d %d %s" % (r["u"], r["s"], r["m"], data)
                    t["records"].append(rd)
                    self.zone_of(t["name"] + ".").add(t["name"] + ".",
                                                      "TLSA", rd)
                    right += r["src"] != "junk" and \
                        not r["src"].endswith("~")
                t["matching"] = right
        self.write_zones()
        pmap(lambda z: sign(z, self.dnsdir), list(self.zones.values()))
        t2 = time.time()
        log("pki+keys %.2fs, zones signed %.2fs" % (t1 - t0, t2 - t1))
        self.write_dns_conf()
        self.write_nginx()
        self.write_json()

    def write_dns_conf(self):
        d = self.d
        groups = {"root": (ROOT_NS, ["."]), "tld": (TEST_NS, ["test."]),
                  "child": (CHILD_NS, [n for n in self.zones
                                       if n not in (".", "test.")])}
        for g, (ip, zs) in groups.items():
            conf = ["server:", "  ip-address: %s" % ip, "  port: 53",
                    "  do-ip6: no", "  server-count: 1", '  username: ""',
                    '  chroot: ""', '  database: ""', "  verbosity: 1",
                    '  zonesdir: "%s"' % self.dnsdir,
                    '  zonelistfile: "%s/nsd-%s.zonelist"' % (self.dnsdir, g),
                    '  xfrdfile: "%s/nsd-%s.xfrd"' % (self.dnsdir, g),
                    '  pidfile: "%s/run/nsd-%s.pid"' % (d, g),
                    '  logfile: "%s/log/nsd-%s.log"' % (d, g),
                    "  hide-version: yes", "  tcp-count: 200",
                    "remote-control:", "  control-enable: no"]
            for n in zs:
                conf += ["zone:", '  name: "%s"' % n,
                         '  zonefile: "%s.zone.signed"' %
                         self.zones[n].fname()]
            write(os.path.join(self.dnsdir, "nsd-%s.conf" % g),
                  "\n".join(conf) + "\n")
        ub = os.path.join(d, "unbound")
        write(os.path.join(ub, "root.hints"),
              ". 3600000 NS a.root-servers.\n"
              "a.root-servers. 3600000 A %s\n" % ROOT_NS)
        write(os.path.join(ub, "root.ds"), "".join(
            ". %d IN DS %s\n" % (TTL, ds) for ds in self.zones["."].ds()))
        write(os.path.join(ub, "unbound.conf"), """server:
  interface: %(r)s
  port: 53
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "%(ub)s"
  pidfile: "%(d)s/run/unbound.pid"
  logfile: "%(d)s/log/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  log-servfail: yes
  num-threads: 1
  root-hints: "%(ub)s/root.hints"
  trust-anchor-file: "%(ub)s/root.ds"
  local-zone: "test." nodefault
  module-config: "validator iterator"
  harden-dnssec-stripped: yes
  cache-max-negative-ttl: 5
  serve-expired: no
  prefetch: no
remote-control:
  control-enable: no
""" % dict(r=RESOLVER, ub=ub, d=d))
        write(os.path.join(d, "resolv.conf"),
              "nameserver %s\noptions trust-ad edns0 timeout:2 attempts:2\n"
              % RESOLVER)
        write(os.path.join(d, "hosts"),
              "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n")

    def write_nginx(self):
        d = self.d
        www = os.path.join(d, "nginx", "www")
        listen = ("    listen %s:443 ssl%%s;\n    listen [%s]:443 ssl%%s;\n"
                  % (HTTPS_V4, HTTPS_V6))
        srv = ["  server {\n" + listen % (" default_server",
                                          " default_server") +
               "    ssl_reject_handshake on;\n  }\n"]
        for h in self.sts_hosts:
            root = os.path.join(www, h["host"])
            wk = os.path.join(root, ".well-known", "mta-sts.txt")
            serve = h["serve"]
            loc = ""
            if serve == "404":
                pass
            elif serve == "redirect":
                loc = ("      return 301 https://mta-sts.sts-enforce.test"
                       "/.well-known/mta-sts.txt;\n")
            else:
                body = h["policy"]
                if serve == "oversized":
                    pad = "x-padding: " + "a" * 1000 + "\n"
                    body += pad * 205
                write(wk, body)
                if serve == "html":
                    loc = "      types { }\n      default_type text/html;\n"
                elif serve == "trickle":
                    loc = "      limit_rate 1;\n"
            chain, key = (self.pki.path(h["cert"], "chain.pem"),
                          self.pki.path(h["cert"], "key"))
            srv.append("  server {\n" + listen % ("", "") +
                       "    server_name %s;\n    ssl_certificate %s;\n"
                       "    ssl_certificate_key %s;\n    root %s;\n"
                       "    location = /.well-known/mta-sts.txt {\n%s    }\n"
                       "  }\n" % (h["host"], chain, key, root, loc))
        tmp = os.path.join(d, "nginx", "tmp")
        write(os.path.join(d, "nginx", "nginx.conf"), """\
user nobody nogroup;
worker_processes 1;
daemon off;
pid %(d)s/run/nginx.pid;
error_log %(d)s/log/nginx-error.log warn;
events { worker_connections 512; }
http {
  access_log %(d)s/log/nginx-access.log;
  client_body_temp_path %(t)s/body;
  proxy_temp_path %(t)s/proxy;
  fastcgi_temp_path %(t)s/fastcgi;
  uwsgi_temp_path %(t)s/uwsgi;
  scgi_temp_path %(t)s/scgi;
  types { text/plain txt; }
  default_type application/octet-stream;
  sendfile off;
  server_tokens off;
  ssl_protocols TLSv1.2 TLSv1.3;
%(s)s}
""" % dict(d=d, t=tmp, s="".join(srv)))

    def write_json(self):
        for s in self.scen:
            for m in s["mx"]:
                if m["peer"]:
                    m["record_dir"] = os.path.join(self.d, "peers", m["host"])
        doc = {
            "about": "sealpost test internet scenarios; see "
                     "tests/testnet/README for every field",
            "generated": utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dir": self.d,
            "resolver": RESOLVER,
            "ca": self.pki.path("ca", "pem"),
            "ca_intermediate": self.pki.path("ca-int", "pem"),
            "rogue_ca": self.pki.path("rogue-ca", "pem"),
            "dane_root": self.pki.path("dane-root", "pem"),
            "dane_intermediate": self.pki.path("dane-int", "pem"),
            "root_trust_anchor": os.path.join(self.d, "unbound", "root.ds"),
            "dns_servers": {"root": ROOT_NS, "test.": TEST_NS,
                            "children": CHILD_NS},
            "https": {"ipv4": HTTPS_V4, "ipv6": HTTPS_V6},
            "signatures_valid_days": SIG_DAYS,
            "scenarios": self.scen,
        }
        write(os.path.join(self.d, "scenarios.json"),
              json.dumps(doc, indent=1) + "\n")


def junk(n=32):
    return os.urandom(n).hex()


# ------------------------------------------------------------ processes ----

def ns_private():
    """True when this process is in a network and mount namespace other
    than the ones tests/testnet/run was started in (it passes them in
    TESTNET_OUTER_NET/MNT; /proc/1/ns of the host may be unreadable and,
    inside run's PID namespace, pid 1 is run itself)."""
    for k in ("net", "mnt"):
        mine = os.readlink("/proc/self/ns/" + k)
        outer = os.environ.get("TESTNET_OUTER_" + k.upper())
        if not outer or outer == mine:
            return False
    return True


class Procs:
    def __init__(self, d):
        self.d = d
        self.file = os.path.join(d, "run", "pids")

    def record(self, kind, name, pid):
        with open(self.file, "a") as f:
            f.write("%s %s %s\n" % (kind, name, pid))

    def spawn(self, name, argv, logname=None):
        logf = open(os.path.join(self.d, "log", (logname or name) + ".out"),
                    "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        self.record("proc", name, p.pid)
        return p

    def entries(self):
        try:
            with open(self.file) as f:
                return [ln.strip().split(None, 2) for ln in f
                        if ln.strip()]
        except FileNotFoundError:
            return []


def wait_ready(endpoints, timeout, procs):
    """Wait until every endpoint listens.  An endpoint is (addr, port, who)
    probed by a TCP connect, or (path, None, who): a file that appears once
    the process listens (peer.py's ready file; probing would add a
    connection to the peer's record)."""
    deadline = time.time() + timeout
    pending = list(endpoints)
    while pending:
        left = []
        for (addr, port, who) in pending:
            if port is None:
                if not os.path.exists(addr):
                    left.append((addr, port, who))
                continue
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(0.5)
            try:
                s.connect((addr, port))
            except OSError:
                left.append((addr, port, who))
            finally:
                s.close()
        pending = left
        if not pending:
            return
        for name, p in procs:
            if p is not None and p.poll() is not None:
                die("%s exited early (status %s); see %s/log/" %
                    (name, p.returncode, os.environ.get("TESTNET_DIR")))
        if time.time() > deadline:
            die("not listening after %ds: %s" % (timeout, ", ".join(
                "%s %s" % (w, a if p is None else "[%s]:%d" % (a, p))
                for a, p, w in pending)))
        time.sleep(0.05)


def listen_args(m):
    return (["%s:%d" % (a, m["port"]) for a in m["ipv4"]] +
            ["[%s]:%d" % (a, m["port"]) for a in m["ipv6"]])


def peers_dir():
    return os.environ.get("TESTNET_PEERS") or os.path.join(TESTNET, "peers")


def up(d):
    t0 = time.time()
    if not ns_private():
        die("refusing to start: not inside a private network+mount "
            "namespace (use tests/testnet/run)")
    if os.path.exists(os.path.join(d, "run", "pids")):
        die("%s already has a running testnet (run down first)" % d)
    os.chmod(d, 0o755)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    net = Net(d)
    net.gen()
    t1 = time.time()
    batch = "".join("addr replace %s/128 dev lo nodad\n" % a
                    for a in sorted(set(net.v6)))
    subprocess.run(["ip", "-6", "-batch", "-"], input=batch, text=True,
                   check=True)
    pr = Procs(d)
    # resolv.conf and hosts of the namespace point at the test resolver
    for f in ("resolv.conf", "hosts"):
        if f == "hosts" and not os.path.exists("/etc/hosts"):
            continue
        subprocess.run(["mount", "--bind", os.path.join(d, f), "/etc/" + f],
                       check=True)
        pr.record("mount", "/etc/" + f, 0)
    started, eps = [], []
    for g, ip in (("root", ROOT_NS), ("tld", TEST_NS), ("child", CHILD_NS)):
        started.append(("nsd-" + g, pr.spawn("nsd-" + g, [
            "nsd", "-d", "-c", os.path.join(d, "dns", "nsd-%s.conf" % g)])))
        eps.append((ip, 53, "nsd-" + g))
    started.append(("unbound", pr.spawn("unbound", [
        "unbound", "-d", "-c", os.path.join(d, "unbound", "unbound.conf")])))
    eps.append((RESOLVER, 53, "unbound"))
    started.append(("nginx", pr.spawn("nginx", [
        "nginx", "-p", os.path.join(d, "nginx"), "-e",
        os.path.join(d, "log", "nginx-error.log"),
        "-c", os.path.join(d, "nginx", "nginx.conf")])))
    eps += [(HTTPS_V4, 443, "nginx"), (HTTPS_V6, 443, "nginx")]
    pdir = peers_dir()
    pf_exe = os.path.join(pdir, "postfix-peer")

    def pf_start(m):
        argv = [pf_exe, "start", "--dir", m["record_dir"], "--cert",
                m["cert_file"], "--key", m["key_file"], "--hostname",
                m["host"]]
        for a in listen_args(m):
            argv += ["--listen", a]
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return r.returncode, r.stdout

    pf_jobs = []
    for m in net.peers:
        os.makedirs(m["record_dir"], exist_ok=True)
        if m["peer"] == "postfix":
            # postfix-peer start returns once its master listens (about a
            # second): run it in a thread while the python peers start
            pr.record("postfix", m["host"], m["record_dir"])
            pf_jobs.append((m, POOL.submit(pf_start, m)))
            eps += [(a, m["port"], "postfix " + m["host"])
                    for a in m["ipv4"] + m["ipv6"]]
            continue
        argv = [sys.executable, os.path.join(pdir, "peer.py"),
                "--behaviour", m["peer"], "--cert", m["cert_file"],
                "--key", m["key_file"], "--record", m["record_dir"],
                "--hostname", m["host"]]
        for a in listen_args(m):
            argv += ["--listen", a]
        if m["peer_delay"] is not None:
            argv += ["--delay", str(m["peer_delay"])]
        started.append(("peer " + m["host"],
                        pr.spawn("peer-" + m["host"], argv)))
        eps.append((os.path.join(m["record_dir"], "ready"), None,
                    "peer " + m["host"]))
    for m, fut in pf_jobs:
        rc, text = fut.result()
        if rc:
            die("postfix-peer start for %s failed: %s" % (m["host"],
                                                         text[-2000:]))
        # postfix-peer stop finds the master by queue/pid/master.pid, which
        # may appear after start returned: wait for it so down can stop it
        pidf = os.path.join(m["record_dir"], "queue", "pid", "master.pid")
        queue = os.path.realpath(os.path.join(m["record_dir"], "queue"))
        deadline = time.time() + 5
        while True:
            try:
                with open(pidf) as f:
                    pid = int(f.read().split()[0])
                if os.readlink("/proc/%d/cwd" % pid) == queue:
                    break
            except (OSError, ValueError, IndexError):
                pass
            if time.time() > deadline:
                die("postfix peer %s: no live master in %s" % (m["host"],
                                                              pidf))
            time.sleep(0.02)
    t_spawn = time.time()
    wait_ready(eps, 12, started)
    log("spawned in %.1fs, all listening after %.1fs more" %
        (t_spawn - t1, time.time() - t_spawn))
    # the resolver must validate our root before anyone uses it
    deadline = time.time() + 5
    while True:
        r = subprocess.run(["dig", "+dnssec", "+time=1", "+tries=1",
                            "@" + RESOLVER, "test.", "SOA"],
                           stdout=subprocess.PIPE, text=True)
        if " ad" in r.stdout.split("flags:")[1].split(";")[0] \
                if "flags:" in r.stdout else False:
            break
        if time.time() > deadline:
            die("unbound does not validate test. SOA:\n" + r.stdout)
        time.sleep(0.1)
    lines = ["%-34s %-16s %s" % (m["host"], m["peer"], " ".join(
        listen_args(m))) for m in net.peers]
    lines += ["%-34s %-16s %s:443 [%s]:443" % (h["host"], "https-" +
              h["serve"], HTTPS_V4, HTTPS_V6) for h in net.sts_hosts]
    write(os.path.join(d, "services.txt"), "\n".join(lines) + "\n")
    env = {"TESTNET_DIR": d, "TESTNET_RESOLVER": RESOLVER,
           "TESTNET_CA": net.pki.path("ca", "pem"),
           "TESTNET_ROGUE_CA": net.pki.path("rogue-ca", "pem"),
           "TESTNET_SCENARIOS": os.path.join(d, "scenarios.json")}
    write(os.path.join(d, "env"), "".join(
        "export %s='%s'\n" % kv for kv in env.items()))
    t2 = time.time()
    print("testnet up in %.1fs (generate %.1fs) in %s" % (t2 - t0, t1 - t0,
                                                          d))
    print("  resolver  %s:53 (unbound, trust anchor %s/unbound/root.ds)" %
          (RESOLVER, d))
    print("  dns       root %s, test. %s, children %s (nsd)" %
          (ROOT_NS, TEST_NS, CHILD_NS))
    print("  https     %s:443 [%s]:443 (nginx, %d mta-sts hosts)" %
          (HTTPS_V4, HTTPS_V6, len(net.sts_hosts)))
    print("  smtp      %d peers on 127.25.N.H:25 / [%s25:N:H]:25" %
          (len(net.peers), V6_PREFIX))
    print("  ca        %s" % env["TESTNET_CA"])
    print("  scenarios %s (%d)" % (env["TESTNET_SCENARIOS"], len(net.scen)))
    print("  services  %s/services.txt, logs %s/log/" % (d, d))
    sys.stdout.flush()


def down(d):
    pr = Procs(d)
    ents = pr.entries()
    pids = []
    for kind, name, val in ents:
        if kind == "postfix":
            exe = os.path.join(peers_dir(), "postfix-peer")
            r = subprocess.run([exe, "stop", "--dir", val],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode or r.stdout.strip():
                log("postfix-peer stop --dir %s: %s" % (val, r.stdout.strip()))
        elif kind == "proc":
            pid = int(val)
            try:
                os.killpg(pid, signal.SIGTERM)   # leader of its own session
                pids.append(pid)
            except ProcessLookupError:
                pass
    deadline = time.time() + 3
    for pid in pids:
        while time.time() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.02)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
                log("killed %d with SIGKILL" % pid)
            except ProcessLookupError:
                pass
    for kind, name, val in ents:
        if kind == "mount":
            subprocess.run(["umount", name], stderr=subprocess.DEVNULL)
    if ents:
        os.rename(pr.file, pr.file + ".stopped")


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("up", "down"):
        die("usage: testnet.py up|down   (with TESTNET_DIR set)")
    d = os.environ.get("TESTNET_DIR")
    if not d or not os.path.isdir(d):
        die("TESTNET_DIR must name an existing directory")
    d = os.path.abspath(d)
    try:
        (up if sys.argv[1] == "up" else down)(d)
    except RuntimeError as e:
        die(str(e))


if __name__ == "__main__":
    main()
