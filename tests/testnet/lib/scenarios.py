"""The scenario catalogue of the test internet (tests/testnet).

Each scenario is one destination domain `<name>.test.` with its own zone,
MX hosts, TLS fixtures and the outcome sealpost must reach (doc/design.md §8).
The generator (testnet.py) turns these declarations into zones, keys,
certificates, nginx server blocks and SMTP peers, and writes the resolved
result (addresses, TLSA rdata, paths) into $TESTNET_DIR/scenarios.json.

Vocabulary used below (also documented in tests/testnet/README):

zone      signed | unsigned | bogus-ds (DS in parent matches no key) |
          expired (RRSIGs expired) | tlsa-badsig (only the TLSA RRSIGs broken)
cert      which certificate chain a peer presents:
          pkix            leaf by the public test CA (chain leaf+intermediate)
          pkix-wrong-name same CA, SAN is another name
          pkix-expired    same CA, validity ended yesterday
          rogue           leaf for the right name by the rogue CA
          selfsigned      self-signed leaf, right name
          ee-odd          self-signed, wrong name and expired (DANE-EE must
                          ignore both, RFC 7672 §3.1.1)
          dane-ta1        leaf by the DANE intermediate, chain leaf+int
          dane-ta2        leaf by the DANE intermediate, chain leaf+int+root
          dane-ta2-noroot as dane-ta2 but the root (the TA) is not sent
          dane-ta-wrong-name  dane-ta2 chain, leaf SAN is another name
          forged          leaf by the rogue CA + rogue CA + real DANE root
tlsa      list of "U S M SOURCE": SOURCE is leaf | int | root (the DANE
          intermediate/root) | junk (random digest), or one of the first
          three with "~" (leaf~: its right data with the last hex digit
          changed)
"""

# Expected outcome shortcuts: (result, failure, policy, tls_required)
SENT_DANE = ("sent", None, "dane", True)
SENT_STS = ("sent", None, "mta-sts", True)
SENT_ENC = ("sent", None, "encrypt", True)

GOOD_EE = ["3 1 1 leaf"]

# Each entry: name -> dict.  Keys:
#   zone, mx (list of host dicts), sts (dict or None), dane (summary),
#   expect (tuple above or dict), notes
# Host dict keys: label (relative to the domain, "@" for the apex, or an
#   absolute name ending in "."), pref, v4 (bool), v6 (bool), peer, cert,
#   tlsa (list), listen (bool), cname (label of the CNAME target or None)
SCENARIOS = []


def sc(name, mx, expect, dane, zone="signed", sts=None, notes="",
       failure_any=None, result_any=None, null_mx=False, no_mx=False,
       tlsrpt=None):
    SCENARIOS.append(dict(name=name, zone=zone, mx=mx, expect=expect,
                          dane=dane, sts=sts, notes=notes,
                          failure_any=failure_any, result_any=result_any,
                          null_mx=null_mx, no_mx=no_mx, tlsrpt=tlsrpt))


def host(label="mx", pref=10, peer="good", cert="selfsigned", tlsa=None,
         v4=True, v6=False, listen=True, cname=None, delay=None):
    return dict(label=label, pref=pref, peer=peer, cert=cert,
                tlsa=list(tlsa or []), v4=v4, v6=v6, listen=listen,
                cname=cname, delay=delay)


# ---- DANE-EE, every selector and matching type -------------------------
for s in (0, 1):
    for m in (0, 1, 2):
        sc("dane-ee-3%d%d" % (s, m),
           [host(tlsa=["3 %d %d leaf" % (s, m)])], SENT_DANE,
           "secure-usable",
           notes="DANE-EE(3) %s %s; self-signed leaf" %
                 (("Cert", "SPKI")[s], ("Full", "SHA2-256", "SHA2-512")[m]))
sc("dane-ee-ignores-name-and-dates",
   [host(cert="ee-odd", tlsa=["3 1 1 leaf"])], SENT_DANE, "secure-usable",
   notes="DANE-EE: leaf has a wrong name and is expired; RFC 7672 3.1.1 "
         "says neither is checked")

# ---- DANE-TA --------------------------------------------------------------
sc("dane-ta1-211", [host(cert="dane-ta1", tlsa=["2 1 1 int"])], SENT_DANE,
   "secure-usable", notes="DANE-TA(2) SPKI SHA-256 of the issuing "
   "intermediate (TA one level above the leaf); chain leaf+int")
sc("dane-ta1-201", [host(cert="dane-ta1", tlsa=["2 0 1 int"])], SENT_DANE,
   "secure-usable", notes="DANE-TA(2) Cert SHA-256 of the intermediate")
sc("dane-ta2-201", [host(cert="dane-ta2", tlsa=["2 0 1 root"])], SENT_DANE,
   "secure-usable", notes="DANE-TA(2) Cert SHA-256 of the root (TA two "
   "levels above the leaf); chain leaf+int+root")
sc("dane-ta2-212", [host(cert="dane-ta2", tlsa=["2 1 2 root"])], SENT_DANE,
   "secure-usable", notes="DANE-TA(2) SPKI SHA-512 of the root")
sc("dane-ta2-200", [host(cert="dane-ta2", tlsa=["2 0 0 root"])], SENT_DANE,
   "secure-usable", notes="DANE-TA(2) full root certificate")
sc("dane-ta-wrong-name",
   [host(cert="dane-ta-wrong-name", tlsa=["2 0 1 root"])],
   ("deferred", "certificate-host-mismatch", "dane", True), "secure-usable",
   failure_any=["certificate-host-mismatch", "validation-failure"],
   notes="chain verifies to the TA but the leaf names another host: DANE-TA "
         "requires the name check (libgnutls-dane 3.7.9 skips it)")
sc("dane-forged-chain", [host(cert="forged", tlsa=["2 0 1 root"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable",
   failure_any=["tlsa-invalid", "validation-failure",
                "certificate-not-trusted"],
   notes="leaf from the rogue CA, with the real TA certificate appended to "
         "the chain; nothing chains to the TA (libgnutls-dane 3.7.9 "
         "accepts this)")
sc("dane-ta-not-sent", [host(cert="dane-ta2-noroot", tlsa=["2 0 1 root"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable",
   failure_any=["tlsa-invalid", "validation-failure",
                "certificate-not-trusted"],
   notes="DANE-TA digest of the root, but the server sends only leaf+int: "
         "the TA cannot be found (RFC 7672 3.1.2: servers MUST send it)")

# ---- TLSA RRset shapes ----------------------------------------------------
sc("dane-mixed-rrset",
   [host(cert="rogue", tlsa=["0 0 1 junk", "1 1 1 junk", "3 1 1 junk",
                             "4 1 1 junk", "3 7 1 junk", "3 1 9 junk",
                             "2 0 1 junk", "3 1 1 leaf"])],
   SENT_DANE, "secure-usable",
   notes="unusable (PKIX-TA/EE, unknown usage/selector/mtype) and wrong "
         "records plus one right DANE-EE record")
sc("dane-digest-off-by-one", [host(tlsa=["3 1 1 leaf~"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable",
   failure_any=["tlsa-invalid", "validation-failure"],
   notes="the right DANE-EE digest with its last hex digit changed: "
         "deferred, never delivered")
sc("dane-wrong-ee-right-ta",
   [host(cert="dane-ta1", tlsa=["3 1 1 junk", "2 1 1 int"])], SENT_DANE,
   "secure-usable",
   notes="a DANE-EE record that matches nothing next to a DANE-TA record "
         "that does: any usable record that matches is enough")
sc("dane-unusable-only",
   [host(cert="rogue", tlsa=["0 0 1 junk", "1 1 1 junk", "4 0 1 junk",
                             "3 7 1 junk", "3 1 9 junk"])],
   SENT_ENC, "secure-unusable",
   notes="only unusable records (usages 0/1 are unusable for SMTP, RFC "
         "7672 3.1.3): mandatory unauthenticated TLS. A client that treats "
         "PKIX usages as usable defers (the junk digests never match)")
sc("dane-wrong-digest", [host(tlsa=["3 1 1 junk"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable",
   failure_any=["tlsa-invalid", "validation-failure"],
   notes="one usable DANE-EE record whose digest matches nothing")

# ---- DNSSEC failures ------------------------------------------------------
sc("dane-tlsa-servfail", [host(tlsa=GOOD_EE)], ("deferred", "dnssec-invalid",
   "dane", True), "bogus", zone="tlsa-badsig",
   notes="MX and A are secure; the TLSA RRSIG is corrupted so the "
         "validating resolver answers SERVFAIL for the TLSA query only: "
         "never downgrade")
sc("dane-bogus-delegation", [host(tlsa=GOOD_EE)],
   ("deferred", "dnssec-invalid", None, True), "bogus", zone="bogus-ds",
   notes="the DS in test. matches no DNSKEY of the zone: everything in it "
         "is bogus (SERVFAIL), so even the MX lookup fails")
sc("dane-expired-sigs", [host(tlsa=GOOD_EE)],
   ("deferred", "dnssec-invalid", None, True), "bogus", zone="expired",
   notes="the zone's RRSIGs expired yesterday: SERVFAIL for everything")

# ---- an unsigned domain, its MX host at a signed provider --------------------
sc("insecure-mx-secure-host",
   [host(label="mx.signed-hosts.test.", cert="rogue", tlsa=["3 1 1 leaf"])],
   SENT_DANE, "secure-usable", zone="unsigned",
   notes="unsigned domain whose MX host lives in the signed zone "
         "signed-hosts.test with a TLSA record: DANE applies to the host "
         "(RFC 7672 2.2.1 allows it under an insecure MX RRset)")

# ---- insecure ---------------------------------------------------------------
sc("insecure-junk-tlsa", [host(cert="rogue", tlsa=["3 1 1 junk"])],
   SENT_ENC, "insecure", zone="unsigned",
   notes="unsigned zone with a TLSA record that matches nothing: TLSA "
         "from an insecure zone must be ignored")
sc("secure-mx-insecure-host",
   [host(label="mx.insecure-hosts.test.", cert="rogue",
         tlsa=["3 1 1 junk"])],
   SENT_ENC, "insecure",
   notes="signed domain whose MX host is in the unsigned zone "
         "insecure-hosts.test (with a junk TLSA): no DANE (RFC 7672 2.2.2)")
sc("dane-cname-mx",
   [host(cname="real", tlsa=["3 1 1 leaf"])], SENT_DANE, "secure-usable",
   notes="MX host mx.<domain> is a CNAME to real.<domain>; the right TLSA "
         "is at _25._tcp.real.<domain> (the CNAME-expanded name, tried "
         "first per RFC 7672 2.2.2), a wrong one at _25._tcp.mx.<domain>")
sc("mx-fallback",
   [host(label="mx1", pref=10, tlsa=GOOD_EE, listen=False, peer=None),
    host(label="mx2", pref=20, tlsa=GOOD_EE)],
   SENT_DANE, "secure-usable",
   notes="first MX refuses connections (nothing listens), second is good")
sc("null-mx", [], ("bounced", None, None, False), "none", null_mx=True,
   notes="MX 0 . (RFC 7505): bounce at once with 5.1.10")
sc("no-mx-implicit", [host(label="@", tlsa=GOOD_EE)], SENT_DANE,
   "secure-usable", no_mx=True,
   notes="no MX RRset: the domain itself is the implicit MX (A record), "
         "TLSA at _25._tcp.<domain>")
sc("plain-signed", [host(cert="rogue")], SENT_ENC, "none",
   notes="signed zone, no TLSA, no MTA-STS: the encrypt floor; any "
         "certificate will do")
sc("plain-unsigned", [host(cert="rogue")], SENT_ENC, "insecure",
   zone="unsigned", notes="unsigned zone, no TLSA, no MTA-STS: encrypt")

# ---- no STARTTLS / STRIPTLS -----------------------------------------------
sc("nostarttls-plain", [host(peer="nostarttls")],
   ("deferred", "starttls-not-supported", "encrypt", True), "none",
   notes="peer does not offer STARTTLS, no TLSA: the floor still "
         "forbids cleartext")
sc("nostarttls-dane", [host(peer="nostarttls", tlsa=GOOD_EE)],
   ("deferred", "starttls-not-supported", "dane", True), "secure-usable",
   notes="peer does not offer STARTTLS although TLSA exists")
sc("striptls-dane", [host(peer="striptls", tlsa=GOOD_EE)],
   ("deferred", "starttls-not-supported", "dane", True), "secure-usable",
   notes="man in the middle removed STARTTLS from EHLO; DNS says DANE")

# ---- IPv6 -------------------------------------------------------------------
sc("ipv6-dual-stack", [host(v6=True, tlsa=GOOD_EE)], SENT_DANE,
   "secure-usable", notes="MX host with A and AAAA, peer on both")
sc("ipv6-only", [host(v4=False, v6=True, tlsa=GOOD_EE)], SENT_DANE,
   "secure-usable", notes="MX host with only an AAAA record")

# ---- MTA-STS ----------------------------------------------------------------
def sts(mode="enforce", mx=None, serve="ok", policy_cert="pkix"):
    return dict(mode=mode, mx=mx, serve=serve, policy_cert=policy_cert)


sc("sts-enforce", [host(cert="pkix")], SENT_STS, "insecure",
   zone="unsigned", sts=sts(),
   notes="MTA-STS enforce, MX listed, PKIX certificate for the MX name")
sc("sts-enforce-signed", [host(cert="pkix", v6=True)], SENT_STS, "none",
   sts=sts(), notes="as sts-enforce, in a signed zone without TLSA, dual "
   "stack MX")
sc("sts-enforce-wildcard", [host(label="mail", cert="pkix")], SENT_STS,
   "insecure", zone="unsigned", sts=sts(mx=["*.{d}"]),
   notes="policy mx: *.<domain>; MX host mail.<domain>")
sc("sts-enforce-mx-not-listed", [host(cert="pkix")],
   ("deferred", "validation-failure", "mta-sts", True), "insecure",
   zone="unsigned", sts=sts(mx=["mx.elsewhere.test"]),
   failure_any=["validation-failure", "certificate-host-mismatch"],
   notes="the only MX is not matched by the policy's mx patterns")
sc("sts-enforce-wrong-name", [host(cert="pkix-wrong-name")],
   ("deferred", "certificate-host-mismatch", "mta-sts", True), "insecure",
   zone="unsigned", sts=sts(), notes="MX certificate names another host")
sc("sts-enforce-expired", [host(cert="pkix-expired")],
   ("deferred", "certificate-expired", "mta-sts", True), "insecure",
   zone="unsigned", sts=sts(), notes="MX certificate expired yesterday")
sc("sts-enforce-unknown-ca", [host(cert="rogue")],
   ("deferred", "certificate-not-trusted", "mta-sts", True), "insecure",
   zone="unsigned", sts=sts(), notes="MX certificate from the rogue CA")
sc("sts-testing", [host(cert="pkix-wrong-name")],
   {"result": "sent", "failure": "certificate-host-mismatch",
    "policy": "mta-sts-testing", "tls_required": True}, "insecure",
   zone="unsigned", sts=sts(mode="testing"),
   notes="testing mode: deliver over TLS anyway, report the failure")
sc("sts-none", [host(cert="rogue")], SENT_ENC, "insecure", zone="unsigned",
   sts=sts(mode="none"), notes="mode none: as if no policy")
sc("sts-policy-404", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-policy-fetch-error",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(serve="404"), notes="policy host answers 404: no policy; MX "
   "cert is rogue so a client that invents a policy defers")
sc("sts-policy-redirect", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-policy-fetch-error",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(serve="redirect"),
   notes="policy host answers 301 to a valid enforce policy elsewhere; "
         "redirects MUST NOT be followed (RFC 8461 3.3)")
sc("sts-policy-html", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-policy-fetch-error",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(serve="html"), failure_any=["sts-policy-fetch-error",
                                       "sts-policy-invalid"],
   notes="valid enforce policy text served as text/html: must be refused")
sc("sts-policy-oversized", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-policy-fetch-error",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(serve="oversized"), failure_any=["sts-policy-fetch-error",
                                            "sts-policy-invalid"],
   notes="valid enforce policy padded with extension lines to 200 KiB "
         "(> 64 KiB cap)")
sc("sts-policy-trickle", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-policy-fetch-error",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(serve="trickle"),
   notes="policy body trickles at 1 byte/s (nginx limit_rate): the fetch "
         "must time out")
sc("sts-policy-wrong-name", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-webpki-invalid",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(policy_cert="pkix-wrong-name"),
   notes="policy host certificate names another host")
sc("sts-policy-untrusted-ca", [host(cert="rogue")],
   {"result": "sent", "failure": "sts-webpki-invalid",
    "policy": "encrypt", "tls_required": True}, "insecure", zone="unsigned",
   sts=sts(policy_cert="rogue"),
   notes="policy host certificate from the rogue CA")
sc("sts-two-records", [host(cert="rogue")], SENT_ENC, "insecure",
   zone="unsigned", sts=sts(serve="two-txt"),
   failure_any=[None, "sts-policy-invalid"],
   notes="two TXT records start with v=STSv1: no policy (RFC 8461 3.1) "
         "although the policy host serves a valid enforce policy")
sc("insecure-mx-dane-sts-unlisted",
   [host(label="mx2.signed-hosts.test.", cert="rogue",
         tlsa=["3 1 1 leaf"])],
   ("deferred", "validation-failure", "mta-sts", True), "secure-usable",
   zone="unsigned", sts=sts(mx=["mx.elsewhere.test"]),
   notes="as insecure-mx-secure-host, but the domain's MTA-STS policy in "
         "enforce mode does not list the host: the MX name was never "
         "authenticated, so MTA-STS still chooses the hosts")
sc("striptls-sts", [host(peer="striptls", cert="pkix")],
   ("deferred", "starttls-not-supported", "mta-sts", True), "insecure",
   zone="unsigned", sts=sts(),
   notes="MTA-STS enforce, STARTTLS stripped by a man in the middle")
sc("dane-and-sts", [host(cert="rogue", tlsa=["3 1 1 leaf"])], SENT_DANE,
   "secure-usable", sts=sts(),
   notes="both DANE and MTA-STS enforce; the certificate passes DANE-EE but "
         "not PKIX: DANE wins (RFC 8461 2)")

sc("dane-fails-sts-valid", [host(cert="pkix", tlsa=["3 1 1 junk"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable", sts=sts(),
   failure_any=["tlsa-invalid", "validation-failure"],
   notes="DANE and MTA-STS enforce; the certificate is PKIX-valid for the "
         "MX, but the only TLSA record matches nothing: MTA-STS never "
         "overrides a failing DANE (RFC 8461 2)")
sc("striptls-dane-unusable",
   [host(peer="striptls", cert="rogue", tlsa=["0 0 1 junk", "1 1 1 junk"])],
   ("deferred", "starttls-not-supported", "encrypt", True),
   "secure-unusable",
   notes="only unusable TLSA records (TLS mandatory, unauthenticated) and "
         "STARTTLS stripped by a man in the middle: no cleartext")

# ---- a real MTA as peer -----------------------------------------------------
sc("dane-postfix", [host(peer="postfix", tlsa=["3 1 1 leaf"], v6=True)],
   SENT_DANE, "secure-usable",
   notes="Postfix (tests/testnet/peers/postfix-peer) as the receiving MTA")

# ---- SMTP-level peer behaviours (encrypt floor, PKIX certificate) -----------
# (behaviour, expect, failure_any, result_any, peer --delay, note)
for beh, exp, fail_any, res_any, delay, note in (
        ("starttls-454", ("deferred", "starttls-not-supported", "encrypt",
                          True), None, None, None,
         "STARTTLS answered 454 4.7.0"),
        ("broken-handshake", ("deferred", "validation-failure", "encrypt",
                              True), None, None, None,
         "STARTTLS answered 220, then bytes that are not TLS instead of a "
         "ServerHello"),
        ("rcpt-4xx", ("deferred", None, "encrypt", True), None, None, None,
         "every RCPT TO answered 450 4.2.0 (over TLS)"),
        ("rcpt-5xx", ("bounced", None, "encrypt", True), None, None, None,
         "every RCPT TO answered 550 5.1.1 (over TLS)"),
        ("data-4xx", ("deferred", None, "encrypt", True), None, None, None,
         "end of DATA answered 451 4.3.0"),
        ("data-5xx", ("bounced", None, "encrypt", True), None, None, None,
         "end of DATA answered 554 5.6.0"),
        ("slow", SENT_ENC, None, None, 5,
         "every reply waits 5 s (peer --delay), within RFC 5321 timeouts"),
        ("bad-multiline", ("deferred", None, "encrypt", True),
         [None, "starttls-not-supported", "validation-failure"], None, None,
         "malformed multi-line EHLO reply before TLS (a continuation line "
         "without a code, last line 251 instead of 250): a protocol error, "
         "never a reason to skip STARTTLS"),
        ("inject-after-220", SENT_ENC, [None, "validation-failure"],
         ["sent", "deferred"], None,
         "'250 injected' sent in cleartext right after the 220 to STARTTLS "
         "(CVE-2011-0411 class): the client must discard it (then sent) or "
         "fail the handshake (then deferred); the peer records "
         "injection_consumed=true if it was taken as the EHLO reply")):
    sc("peer-" + beh, [host(peer=beh, cert="pkix", delay=delay)], exp, "none",
       failure_any=fail_any, result_any=res_any,
       notes="SMTP peer behaviour '%s': %s" % (beh, note))

# ---- TLS reporting (RFC 8460): a _smtp._tls TXT record ----------------------
# Last in the catalogue, so that no other scenario's addresses move. The
# reports go to the local domain of tests/integration/tlsrpt, which has no
# DNS: sealpost tlsrpt submits them through the pickup socket and they are
# delivered locally on the same host.
TLSRPT_RUA = "mailto:tlsrpt@tlsrpt-reports.example"
sc("tlsrpt-dane", [host(tlsa=GOOD_EE)], SENT_DANE, "secure-usable",
   tlsrpt=TLSRPT_RUA,
   notes="as dane-ee-311, with a TLS-RPT record: each delivery is a "
         "successful session of the domain's tlsa policy")
sc("tlsrpt-dane-mismatch", [host(tlsa=["3 1 1 junk"])],
   ("deferred", "tlsa-invalid", "dane", True), "secure-usable",
   tlsrpt=TLSRPT_RUA,
   notes="as dane-wrong-digest, with a TLS-RPT record: each attempt is a "
         "failed session (tlsa-invalid) of the domain's tlsa policy")
sc("tlsrpt-sts-testing-clear", [host(peer="nostarttls", cert="pkix")],
   {"result": "deferred", "failure": "starttls-not-supported",
    "policy": "mta-sts-testing", "tls_required": True}, "insecure",
   zone="unsigned", sts=sts(mode="testing"), tlsrpt=TLSRPT_RUA,
   notes="MTA-STS testing, the MX offers no STARTTLS, a TLS-RPT record: "
         "the floor defers it; where the table says cleartext-ok, the "
         "table decides and the cleartext session is a failed session "
         "(starttls-not-supported) under no-policy-found")
