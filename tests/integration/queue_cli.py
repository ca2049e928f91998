"""The checks of tests/integration/queue_cli (run inside tests/testnet/run).

A real sealpostd whose queue holds real deferrals from the test internet:
450 to RCPT, no STARTTLS, a TLSA record that matches nothing, a smarthost
nobody listens on. `sealpost queue` must show each message and say why
it waits in TLS terms, as text and as JSON Lines; its filters and
--summary must select and count right; `mailq` is the same command; a
user outside the control group is refused.

Not executable on purpose: tests/run runs tests/integration/queue_cli.
"""

import json
import os
import pwd
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import queue_lib  # noqa: E402
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
SENDER = "alice@sealpost.example"
table = tempfile.mktemp(prefix="/tmp/queue_cli-table.")
d = None

CASES = [  # (scenario or domain, what the failure must say)
    ("peer-rcpt-4xx", None),
    ("nostarttls-plain", "starttls-not-supported"),
    ("dane-wrong-digest", "tlsa-invalid"),
    ("unreachable.example", None),
]


def conf_lines():
    return queue_lib.conf_lines(table)


def send(rcpt, tag):
    return queue_lib.send([rcpt], tag, SENDER)


def wait_deferred(qid, timeout=60):
    return (queue_lib.wait_for(
        lambda: queue_lib.out_lines(d, qid, "deferred"), timeout) or
        [{}])[0]


def wait_listed_deferred(qids, timeout=30):
    """Until sealpost queue --json shows every message of qids deferred
    (the queue has taken smtpout's results), or timeout seconds."""
    queue_lib.wait_for(lambda: all(
        queue_lib.states(o) == ["deferred"] for o in
        [queue_lib.listing(d, build).get(i) for i in qids]), timeout)


def cli(*args, user=None, argv0=None):
    return queue_lib.cli(d, build, *args, user=user, argv0=argv0)


def main():
    global d
    with open(table, "w") as f:
        f.write("unreachable.example encrypt relay=[127.0.0.99]\n")
    d = Daemon(build, "queue_cli", conf_lines())
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        return
    ids = {}
    for name, _ in CASES:
        dom = S[name]["domain"] if name in S else name
        try:
            ids[name] = send("user@%s" % dom, name)
        except Exception as e:
            tap.notok("%s: accepted" % name, repr(e))
    local = send("postmaster@sealpost.example", "local")
    for name, fail in CASES:
        kv = wait_deferred(ids.get(name, ""))
        tap.ok("%s: deferred (%s)" % (name, kv.get("failure") or
                                      kv.get("dsn")), kv, kv)
    # smtpout logs the out line before the queue has taken the result:
    # the listing says deferred once the queue has.
    wait_listed_deferred(list(ids.values()))

    # -- the text listing
    code, out, err = cli("queue")
    tap.ok("sealpost queue: exit 0", code == 0, err)
    tap.ok("... every message is listed, the local one too",
           all(i in out for i in list(ids.values()) + [local]), out[-2000:])
    for name, fail in CASES:
        if fail:
            blk = out[out.find(ids[name]):][:800] if ids[name] in out else ""
            tap.ok("... %s says why: %s" % (name, fail), fail in blk, blk)
    tap.ok("... and a summary line at the end",
           re.search(r"(?m)^-- .*\b%d\b" % (len(ids) + 1), out), out[-300:])

    # -- JSON Lines
    code, out, err = cli("queue", "--json")
    objs = []
    try:
        objs = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
    except ValueError as e:
        tap.notok("sealpost queue --json: every line is JSON", repr(e))
    byid = {o.get("id"): o for o in objs}
    tap.ok("sealpost queue --json: one object per message",
           code == 0 and set(byid) == set(ids.values()) | {local},
           out[:1500])
    o = byid.get(ids["dane-wrong-digest"], {})
    r = (o.get("recipients") or [{}])[0]
    tap.ok("... the DANE mismatch: deferred, tlsa-invalid, its mx, "
           "attempts 1", r.get("state") == "deferred" and
           r.get("failure") == "tlsa-invalid" and r.get("mx") and
           r.get("attempts") == 1 and o.get("from") == SENDER, o)
    o = byid.get(local, {})
    r = (o.get("recipients") or [{}])[0]
    tap.ok("... the local message: pending, never tried",
           r.get("state") == "pending" and r.get("attempts") == 0, o)

    # -- filters
    code, out, err = cli("queue", "--json", "--failure", "tlsa-invalid")
    got = [json.loads(ln)["id"] for ln in out.splitlines() if ln.strip()]
    tap.ok("--failure tlsa-invalid: only the DANE mismatch",
           code == 0 and got == [ids["dane-wrong-digest"]], out[:600])
    dom = S["nostarttls-plain"]["domain"]
    code, out, err = cli("queue", "--json", "--domain", dom)
    got = [json.loads(ln)["id"] for ln in out.splitlines() if ln.strip()]
    tap.ok("--domain %s: only its message" % dom,
           code == 0 and got == [ids["nostarttls-plain"]], out[:600])
    code, out, err = cli("queue", "--json", "--state", "pending")
    got = [json.loads(ln)["id"] for ln in out.splitlines() if ln.strip()]
    tap.ok("--state pending: only the local message",
           code == 0 and got == [local], out[:600])
    code, out, err = cli("queue", "--json", "--older-than", "1h")
    tap.ok("--older-than 1h: nothing", code == 0 and out.strip() == "",
           out[:300])

    # -- summary
    code, out, err = cli("queue", "--summary")
    tap.ok("--summary: a line per destination domain with its failure",
           code == 0 and S["dane-wrong-digest"]["domain"] in out and
           "tlsa-invalid" in out and "starttls-not-supported" in out,
           out[:1500])

    # -- mailq, refusals
    code, out, err = cli(argv0="mailq")
    tap.ok("mailq is sealpost queue", code == 0 and
           ids["dane-wrong-digest"] in out, err or out[:300])
    nobody = pwd.getpwnam("nobody").pw_name
    code, out, err = cli("queue", user=nobody)
    tap.ok("a user outside the control group is refused (exit 77)",
           code == 77 and out == "", (code, out, err))
    code, out, err = cli("queue", "--state", "bogus")
    tap.ok("an unknown state is a usage error (exit 64)", code == 64,
           (code, err))


try:
    main()
finally:
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        d.cleanup()
    if os.path.exists(table):
        os.unlink(table)
