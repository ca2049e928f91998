"""The checks of tests/integration/queue_ops (run inside tests/testnet/run).

A real sealpostd whose queue holds real deferrals from the test internet
(450 to RCPT, no STARTTLS, a TLSA record that matches nothing), and
messages being delivered right now to a peer that takes 5 s per reply.
Each command is used as an admin would: sealpost show (text, JSON,
--body), hold and release (held messages are not tried; the hold
survives a restart), flush and requeue (tried now; requeue makes the
policy process resolve the domain again, flush does not), delete
--domain / --all with its count, delete --bounce (the sender gets a DSN);
hold, delete, delete --bounce and flush while the message is being
delivered (the attempt in progress finishes, exactly one copy arrives,
nothing is lost); bad ids and an unknown id; a user outside the control
group; and every operation in the log with who asked.

Not executable on purpose: tests/run runs tests/integration/queue_ops.
"""

import json
import os
import re
import smtplib
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inbound_lib  # noqa: E402
import queue_lib  # noqa: E402
from queue_lib import listing, states, wait_for  # noqa: E402
from inbound_lib import Daemon, Tap, testnet_setup  # noqa: E402

tap = Tap()
top, build, S = testnet_setup(tap)
SENDER = "alice@sealpost.example"
table = tempfile.mktemp(prefix="/tmp/queue_ops-table.")
d = None


def conf_lines():
    return queue_lib.conf_lines(table, "20s")


def cli(*args, user=None):
    return queue_lib.cli(d, build, *args, user=user)


def dom(name):
    return S[name]["domain"]


def send(names, tag):
    return queue_lib.send(["user@%s" % dom(n) for n in names], tag, SENDER)


def show_json(qid, *more):
    code, out, err = cli("show", "--json", qid, *more)
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, {}, err or out


def attempts(qid):
    """The attempts of each listed recipient of qid ([] when not listed)."""
    o = listing(d, build).get(qid) or {}
    return [r.get("attempts") for r in o.get("recipients") or []]


def admin_lines(qid, op):
    return [kv for _, kv in inbound_lib.log_events(d, "admin")
            if kv.get("id") == qid and kv.get("op") == op]


def policy_lines(domain):
    return [kv for _, kv in inbound_lib.log_events(d, "policy")
            if kv.get("domain") == domain]


def deferred_set():
    """One message deferred by each peer; returns {name: id}."""
    ids = {}
    for name in ("peer-rcpt-4xx", "nostarttls-plain", "dane-wrong-digest"):
        ids[name] = send([name], name)
    for name, qid in ids.items():
        tap.ok("%s: deferred" % name, wait_for(
            lambda: states(listing(d, build).get(qid)) == ["deferred"], 60),
            listing(d, build).get(qid))
    return ids


def check_show(ids):
    qid = ids["dane-wrong-digest"]
    code, out, err = cli("show", qid)
    tap.ok("sealpost show: exit 0", code == 0, err)
    tap.ok("... the sender, the recipient, the header",
           SENDER in out and "user@%s" % dom("dane-wrong-digest") in out and
           "Subject: dane-wrong-digest" in out, out[:2000])
    tap.ok("... the failure with the policy that demanded it",
           "tlsa-invalid (dane)" in out, out[:2000])
    tap.ok("... no body without --body", "body of dane-wrong-digest"
           not in out, out[-500:])
    code, out, err = cli("show", "--body", qid)
    tap.ok("sealpost show --body: the body too",
           code == 0 and "body of dane-wrong-digest" in out, out[-500:])
    code, o, err = show_json(qid)
    r = (o.get("recipients") or [{}])[0]
    h = (r.get("history") or [{}])[0]
    tap.ok("sealpost show --json: the recipient's last failure",
           code == 0 and o.get("id") == qid and o.get("from") == SENDER and
           r.get("state") == "deferred" and r.get("failure") ==
           "tlsa-invalid" and r.get("policy") == "dane", o)
    tap.ok("... its attempt history with the TLS facts of the attempt",
           len(r.get("history") or []) == 1 and h.get("attempt") == 1 and
           h.get("result") == "deferred" and h.get("failure") ==
           "tlsa-invalid" and h.get("policy_src") == "dane" and
           h.get("tls") == "TLSv1.3" and h.get("cert") and h.get("ip") and
           h.get("mx"), r.get("history"))
    tap.ok("... the header as a string",
           "Subject: dane-wrong-digest" in (o.get("header") or ""), o)
    code, o, err = show_json(ids["nostarttls-plain"])
    h = (((o.get("recipients") or [{}])[0]).get("history") or [{}])[0]
    tap.ok("... a peer without STARTTLS: no TLS session in the history",
           h.get("failure") == "starttls-not-supported" and
           h.get("tls") == "none", h)
    tap.ok("... show is logged with who asked", any(
        kv.get("by", "").startswith("uid 0") for kv in
        admin_lines(qid, "show")), inbound_lib.log_events(d, "admin"))


def check_bad_ids(ids):
    known = ids["peer-rcpt-4xx"]
    for bad, what in (("../x", "a path"), ("A" * 41, "overlong"),
                      ("ABC-DEF-123456", "not letters and digits"),
                      ("", "empty"), ("0123456789a\n", "a newline")):
        code, out, err = cli("hold", bad)
        tap.ok("hold %s id: exit 65 and a clear error" % what,
               code == 65 and "not a queue id" in err, (code, out, err))
    tap.ok("... and nothing reached the queue process",
           not any(kv.get("op") == "hold" for _, kv in
                   inbound_lib.log_events(d, "admin")),
           inbound_lib.log_events(d, "admin"))
    code, out, err = cli("show", "ZZZZZZZZZZZZZZZZ")
    tap.ok("show of an unknown id: exit 66, no such message",
           code == 66 and "no such message" in err, (code, out, err))
    code, out, err = cli("flush", "ZZZZZZZZZZZZZZZZ", known)
    tap.ok("flush of an unknown and a known id: exit 66, the known one "
           "is flushed all the same", code == 66 and
           "no such message" in err and known in out, (code, out, err))
    code, out, err = cli("hold", known, user="nobody")
    tap.ok("a user outside the control group is refused (exit 77)",
           code == 77 and out == "", (code, out, err))
    code, out, err = cli("delete")
    tap.ok("delete without ids, --domain or --all: usage (exit 64)",
           code == 64, (code, err))


def check_hold_release(ids):
    qid = ids["peer-rcpt-4xx"]
    # the flush of check_bad_ids tried it again: wait for that attempt
    tap.ok("the flush of a known id with an unknown one: tried again",
           wait_for(lambda: attempts(qid) == [2] and states(
               listing(d, build).get(qid)) == ["deferred"], 30),
           listing(d, build).get(qid))
    before = attempts(qid)
    code, out, err = cli("hold", qid)
    tap.ok("hold: exit 0, held", code == 0 and qid in out and "held" in out,
           (code, out, err))
    o = listing(d, build).get(qid)
    tap.ok("... the listing shows it held", states(o) == ["held"] and
           o.get("held"), o)
    tap.ok("... --state held lists it alone", list(
        listing(d, build, "--state", "held")) == [qid],
        listing(d, build, "--state", "held"))
    code, out, err = cli("hold", qid)
    tap.ok("hold again: nothing to do, exit 0",
           code == 0 and "already held" in out, (code, out, err))
    code, out, err = cli("flush", qid)
    tap.ok("flush of a held message: nothing to do, says release",
           code == 0 and "release" in out, (code, out, err))
    kv = (admin_lines(qid, "hold") or [{}])[0]
    tap.ok("... the hold is logged with who asked",
           kv.get("by", "").startswith("uid 0") and
           kv.get("result") == "done", kv)
    # the hold is in the envelope: a restart keeps it
    d.stop()
    okay, why = d.start()
    tap.ok("sealpostd starts again", okay, why)
    o = listing(d, build).get(qid)
    tap.ok("... still held after the restart, not tried",
           states(o) == ["held"] and attempts(qid) == before, o)
    code, out, err = cli("release", qid)
    tap.ok("release: exit 0, tried now", code == 0 and "released" in out,
           (code, out, err))
    tap.ok("... an attempt follows at once (retry_min is 1 h)", wait_for(
        lambda: attempts(qid) == [before[0] + 1] and
        states(listing(d, build).get(qid)) == ["deferred"], 30),
        listing(d, build).get(qid))
    code, out, err = cli("release", qid)
    tap.ok("release again: nothing to do (not held)",
           code == 0 and "not held" in out, (code, out, err))


def check_flush_requeue(ids):
    qid = ids["nostarttls-plain"]
    domain = dom("nostarttls-plain")
    before = attempts(qid)
    code, out, err = cli("flush", qid)
    tap.ok("flush: exit 0", code == 0 and qid in out, (code, out, err))
    tap.ok("... tried at once", wait_for(
        lambda: attempts(qid) == [before[0] + 1] and
        states(listing(d, build).get(qid)) == ["deferred"], 30),
        listing(d, build).get(qid))
    tap.ok("... a flush forgets no plan", "plans of %s forgotten" % domain
           not in d.log_text(), d.log_text()[-1500:])
    code, o, err = show_json(qid)
    hist = ((o.get("recipients") or [{}])[0]).get("history") or []
    tap.ok("... show has both attempts in its history",
           [h.get("attempt") for h in hist][-2:] == [before[0],
                                                     before[0] + 1], hist)
    qid = ids["dane-wrong-digest"]
    domain = dom("dane-wrong-digest")
    before, npol = attempts(qid), len(policy_lines(domain))
    code, out, err = cli("requeue", qid)
    tap.ok("requeue: exit 0", code == 0 and qid in out, (code, out, err))
    tap.ok("... tried at once", wait_for(
        lambda: attempts(qid) == [before[0] + 1] and
        states(listing(d, build).get(qid)) == ["deferred"], 30),
        listing(d, build).get(qid))
    text = d.log_text()
    tap.ok("... smtpout and the policy process forgot its plans",
           "smtpout: plans of %s forgotten (requeue)" % domain in text and
           "policy: plans of %s forgotten (requeue)" % domain in text,
           text[-1500:])
    tap.ok("... and its domain resolved afresh (a new policy line)",
           len(policy_lines(domain)) > npol, policy_lines(domain))


def peer_copies(name, tag):
    """How many copies of the message tagged tag the peer stored."""
    rd = next(m for m in S[name]["mx"] if m.get("record_dir"))["record_dir"]
    n = 0
    try:
        for f in os.listdir(os.path.join(rd, "mail")):
            if f.endswith(".eml"):
                with open(os.path.join(rd, "mail", f), "rb") as fh:
                    if ("Subject: %s\r\n" % tag).encode() in fh.read():
                        n += 1
    except OSError:
        pass
    return n


def check_active():
    """Operations while each message is with the slow peer."""
    names = ["peer-slow", "peer-rcpt-4xx"]
    tags = {op: "active-" + op for op in ("hold", "delete", "bounce",
                                          "flush")}
    ids = {op: send(names, tag) for op, tag in tags.items()}
    # the 450 comes at once; the slow peer takes some 45 s
    tap.ok("four messages to the slow peer are being delivered", wait_for(
        lambda: all(states(listing(d, build).get(i)) == ["active", "active"]
                    and queue_lib.out_lines(d, i, "deferred")
                    for i in ids.values()), 30),
        (listing(d, build), [queue_lib.out_lines(d, i) for i in
                             ids.values()]))
    res = {}
    for op, args in (("hold", ["hold"]), ("delete", ["delete"]),
                     ("bounce", ["delete", "--bounce"]),
                     ("flush", ["flush"])):
        res[op] = cli(*(args + ["--json", ids[op]]))
    for op, (code, out, err) in res.items():
        try:
            o = json.loads(out.splitlines()[0])
        except (ValueError, IndexError):
            o = {}
        tap.ok("%s during the delivery: exit 0, applies once the attempt "
               "in progress ends" % op, code == 0 and o.get("id") ==
               ids[op] and o.get("result") == "later", (code, out, err))
    done = wait_for(lambda: all(queue_lib.out_lines(d, i, "sent")
                                for i in ids.values()), 90, 1)
    tap.ok("... every attempt in progress ends (sent to the slow peer)",
           done, [queue_lib.out_lines(d, i) for i in ids.values()])
    time.sleep(1)
    for op, tag in tags.items():
        tap.ok("... %s: the slow peer has exactly one copy" % op,
               peer_copies("peer-slow", tag) == 1,
               peer_copies("peer-slow", tag))
    lst = wait_for(lambda: (lambda L: L if ids["delete"] not in L and
                            ids["bounce"] not in L else None)(
                                listing(d, build)), 15) or listing(d, build)
    o = lst.get(ids["hold"])
    tap.ok("... hold: the rest is held", o and states(o) == ["held"] and
           o["recipients"][0]["address"].endswith(dom("peer-rcpt-4xx")), o)
    tap.ok("... delete: gone", ids["delete"] not in lst, lst.keys())
    tap.ok("... delete --bounce: gone", ids["bounce"] not in lst,
           lst.keys())
    bounces = [o for o in lst.values() if o.get("from") == "" and
               [r.get("address") for r in o.get("recipients") or []] ==
               [SENDER]]
    tap.ok("... delete --bounce: one DSN to the sender, none for delete",
           len(bounces) == 1, [(o.get("id"), o.get("from")) for o in
                                lst.values()])
    if bounces:
        code, out, err = cli("show", "--body", bounces[0]["id"])
        tap.ok("... the DSN says an administrator deleted it",
               "deleted from the queue by the administrator" in out and
               "user@%s" % dom("peer-rcpt-4xx") in out, out[-3000:])
    tap.ok("... flush: the rest is tried again as soon as the attempt "
           "ended", wait_for(lambda: len(queue_lib.out_lines(
               d, ids["flush"], "deferred")) >= 2, 30),
           queue_lib.out_lines(d, ids["flush"]))
    kv = (admin_lines(ids["delete"], "delete") or [{}])[0]
    tap.ok("... the delete is logged with who asked and 'later'",
           kv.get("by", "").startswith("uid 0") and
           kv.get("result") == "later", kv)
    return ids


def check_delete(ids):
    qid = ids["nostarttls-plain"]
    code, out, err = cli("delete", "--domain", dom("nostarttls-plain"))
    tap.ok("delete --domain: exit 0, a count of 1",
           code == 0 and re.search(r"\b1 message\b.*deleted", out + err),
           (code, out, err))
    lst = listing(d, build)
    tap.ok("... that message is gone, the others stay",
           qid not in lst and ids["dane-wrong-digest"] in lst, lst.keys())
    n = len(lst)
    code, out, err = cli("delete", "--all")
    tap.ok("delete --all: exit 0, the count of what was there",
           code == 0 and re.search(r"\b%d messages\b.*deleted" % n,
                                   out + err), (code, out, err, n))
    tap.ok("... the queue is empty", wait_for(
        lambda: not listing(d, build), 15), listing(d, build))
    tap.ok("... and so is the spool directory", wait_for(
        lambda: not os.listdir(d.queue), 15), os.listdir(d.queue))


def check_selection_bound():
    """delete --bounce --all over more than one batch (the queue takes
    100 messages at a time) fails what was queued when it began, and not
    the bounces it makes meanwhile."""
    n = 130
    s = smtplib.SMTP("127.0.0.1", 2525, local_hostname="client.example",
                     timeout=60)
    try:
        s.ehlo()
        for i in range(n):
            s.sendmail(SENDER, ["postmaster@sealpost.example"],
                       "Subject: many %d\r\n\r\nbody\r\n" % i)
    finally:
        s.quit()
    tap.ok("%d messages for a local recipient wait (local delivery is a "
           "later part)" % n, wait_for(lambda: len(listing(d, build)) == n,
                                       30), len(listing(d, build)))
    code, out, err = cli("delete", "--bounce", "--all")
    tap.ok("delete --bounce --all: exit 0, %d bounced" % n,
           code == 0 and "sealpost: %d messages bounced" % n in out + err,
           (code, out, err))
    dsns = lambda: [o for o in listing(d, build).values()  # noqa: E731
                    if o.get("from") == ""]
    tap.ok("... one DSN for each, to the sender, and no DSN bounced in "
           "turn", wait_for(lambda: len(dsns()) == n and all(
               states(o) == ["pending"] and o["recipients"][0]["address"]
               == SENDER for o in dsns()), 30) and
           len(listing(d, build)) == n,
           [(o.get("from"), states(o)) for o in
            listing(d, build).values()][:20])
    code, out, err = cli("delete", "--all")
    tap.ok("delete --all: the %d DSNs" % n, code == 0 and
           "sealpost: %d messages deleted" % n in out + err,
           (code, out, err))


def main():
    global d
    with open(table, "w") as f:
        f.write("")
    d = Daemon(build, "queue_ops", conf_lines())
    okay, why = d.start()
    if not okay:
        tap.notok("sealpostd starts", why)
        return
    ids = deferred_set()
    check_show(ids)
    check_bad_ids(ids)
    check_hold_release(ids)
    check_flush_requeue(ids)
    check_active()
    check_delete(ids)
    check_selection_bound()


try:
    main()
finally:
    if d is not None:
        d.stop()
        d.check_sanitizers(tap)
        d.cleanup()
    if os.path.exists(table):
        os.unlink(table)
