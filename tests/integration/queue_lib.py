"""What the queue tests share (tests/integration/queue_cli, queue_ops):
submitting a message to a test sealpostd, running the sealpost CLI
against it, and reading its listing and log. Not a test itself."""

import json
import os
import pwd
import re
import smtplib
import subprocess
import time

import inbound_lib


def conf_lines(table, command_timeout="10s"):
    """A sealpostd of the test internet on 127.0.0.1:2525 whose deferred
    mail waits an hour (retry_min = retry_max = 1h), with the admin's
    table at table."""
    return ["hostname = sealpost.example",
            "listen = 127.0.0.1:2525 smtp",
            "local_domains = sealpost.example",
            "dns_resolver = %s" % os.environ["TESTNET_RESOLVER"],
            "tls_ca_file = %s" % os.environ["TESTNET_CA"],
            "retry_min = 1h", "retry_max = 1h", "queue_lifetime = 1d",
            "smtpout_connect_timeout = 3s",
            "smtpout_command_timeout = %s" % command_timeout,
            "tls_policy_file = %s" % table]


def send(rcpts, tag, sender, port=2525):
    """One message from sender to rcpts (a list) over SMTP on 127.0.0.1:
    returns its queue id. Raises when a recipient is refused."""
    body = ("Subject: %s\r\nFrom: <%s>\r\n\r\nbody of %s\r\n" %
            (tag, sender, tag))
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example",
                     timeout=20)
    try:
        s.ehlo()
        s.mail(sender)
        for r in rcpts:
            code, resp = s.rcpt(r)
            if code != 250:
                raise RuntimeError("RCPT %s: %d %r" % (r, code, resp))
        code, resp = s.data(body.encode())
        return re.search(rb"queued as ([A-Za-z0-9]+)",
                         resp).group(1).decode()
    finally:
        s.quit()


def cli(d, build, *args, user=None, argv0=None, timeout=60):
    """Runs sealpost -f d.conf args (as user, or under the name argv0):
    returns (exit code, stdout, stderr)."""
    exe = os.path.join(build, "sealpost")
    pre = []
    if argv0 is not None:
        link = os.path.join(d.dir, argv0)
        if not os.path.exists(link):
            os.symlink(exe, link)
        exe = link
    if user is not None:
        pw = pwd.getpwnam(user)
        pre = ["setpriv", "--reuid", str(pw.pw_uid), "--regid",
               str(pw.pw_gid), "--clear-groups"]
    p = subprocess.run(pre + [exe, "-f", d.conf] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def listing(d, build, *args):
    """sealpost queue --json [args] as {id: object}."""
    code, out, err = cli(d, build, "queue", "--json", *args)
    objs = {}
    for ln in out.splitlines():
        try:
            o = json.loads(ln)
        except ValueError:
            continue
        objs[o.get("id")] = o
    return objs


def states(obj):
    """The states of a listed message's recipients, in order."""
    return [r.get("state") for r in (obj or {}).get("recipients") or []]


def wait_for(cond, timeout=30, step=0.2):
    """Calls cond() until it returns something true (returned) or timeout
    seconds pass (then the last value)."""
    end = time.monotonic() + timeout
    v = cond()
    while not v and time.monotonic() < end:
        time.sleep(step)
        v = cond()
    return v


def out_lines(d, qid, result=None):
    """The out lines (doc/design.md §9) of message qid, as dicts."""
    return [kv for _, kv in inbound_lib.log_events(d, "out")
            if kv.get("id") == qid and
            (result is None or kv.get("result") == result)]
