#!/usr/bin/python3
"""A realistic waiting queue for bench/queue (and for tests that need one).

    queue_fill.py spool QUEUE_DIR N [--first K] [--seed S] [--owner USER]
    queue_fill.py smtp HOST PORT N [--first K] [--seed S] [--sessions C]
    queue_fill.py transport FILE [--seed S]
    queue_fill.py domains [--seed S]
    queue_fill.py count N [--first K] [--seed S]

Messages number 0, 1, 2, ...; message i is the same in every mode and run
for the same seed (its own random.Random), so that `--first K` adds
messages K..N-1 to a queue that already holds 0..K-1, and the sealpost
spool and the Postfix queue of one run hold the same senders, recipients
and sizes.  Each message has 1-3 recipients (60/25/15 %) over 200
destination domains, picked with Zipf-like weights (a few large domains,
many small ones, as in a real queue).  Each domain has one failure of its
own (RFC 8460 types such as tlsa-invalid, starttls-not-supported,
certificate-expired, ..., or a plain connection or greylisting failure);
one recipient in ten gets another one, so that the most common failure of
a domain is a count, not a constant.

spool: writes the messages into QUEUE_DIR (a sealpost spool's queue/, the
    daemon stopped), as the queue writes them: the content file ID (a
    Received header first) and the envelope ID.env, format version 3 of
    sealpost-envelope(5), both mode 0600, owned by USER (--owner, e.g.
    _sealpostq) when given.  Queue ids are the queue's own format (13 hex
    digits of the arrival in microseconds, 16 random hex digits).
    Arrivals are spread over the last two days.  About 85 % of the
    recipients are deferred (1-12 attempts, the last within the hour) with
    their domain's error line (code, status, failure type, MX, text as
    smtpout words them); the others are pending, without error.  Every
    recipient's next_retry is tomorrow, pending ones included (a pending
    recipient at 0 would be due at once): the runner leaves the whole
    queue alone, and a listing sees a queue at rest.
smtp: sends the same messages (content without the Received header) to
    an SMTP server, C sessions at once (default 8), MAIL, RCPT... and DATA
    pipelined (RFC 2920; the server must offer PIPELINING), every reply
    checked; prints how many were accepted.  For the Postfix reference.
transport: writes a Postfix transport map (texthash) that sends every
    domain to the retry service (error(8) in its deferring role) with the
    domain's reply as the reason, e.g.
        acme.example  retry:4.7.5 certificate of mx1.acme.example[...] ...
domains: prints every domain with its weight and failure (for a reader).
count: prints "messages M recipients R pending P deferred D domains X" of
    messages K..N-1 (what a listing of them must add up to).

Stdlib only; exits non-zero, saying why, on any error.
"""

import argparse
import os
import pwd
import random
import socket
import sys
import threading
import time

NDOMAINS = 200
DAY = 86400

# Words for the domain names; domain k is WORDS[k % len] with k // len
# appended from the second round on (acme.example, ..., acme1.example).
WORDS = (
    "acme", "bluefin", "cobalt", "dunmore", "elmstead", "fjord", "granite",
    "harbor", "ironwood", "juniper", "kestrel", "lakeside", "meridian",
    "northgate", "oakridge", "pinecrest", "quarry", "redwood", "summit",
    "tidewater", "upland", "vantage", "westbrook", "yarrow", "zephyr",
    "alder", "birch", "cedar", "delta", "ember", "falcon", "glacier",
    "heron", "indigo", "jasper", "kingfisher", "larch", "maple", "nimbus",
    "orchid",
)

# Failures: (weight, code, status, RFC 8460 type or "", reply template).
# The templates are smtpout's wording (mta/smtpout/smtpout_proto.c);
# {mx} is the MX name, {ip} its address.
FAILURES = (
    (16, 451, "4.7.5", "tlsa-invalid",
     "certificate of {mx}[{ip}] matches no TLSA record: 3 1 1 digest "
     "differs"),
    (14, 451, "4.7.0", "starttls-not-supported",
     "TLS is required, but was not offered by host {mx}[{ip}]"),
    (10, 451, "4.7.5", "certificate-expired",
     "certificate of {mx}[{ip}] has expired or is not yet valid"),
    (9, 451, "4.7.5", "certificate-host-mismatch",
     "certificate of {mx}[{ip}] does not match the name {mx}"),
    (8, 451, "4.7.5", "certificate-not-trusted",
     "certificate of {mx}[{ip}] is not trusted: the issuer is unknown"),
    (7, 451, "4.7.5", "validation-failure",
     "TLS handshake with {mx}[{ip}] failed: A TLS fatal alert has been "
     "received."),
    (4, 451, "4.7.5", "dnssec-invalid",
     "host {mx} not used: TLSA lookup failed: SERVFAIL"),
    (3, 451, "4.7.5", "dane-required",
     "host {mx} not used: no usable TLSA records under dane-only"),
    (2, 451, "4.7.5", "validation-failure",
     "host {mx} not used: not listed in the MTA-STS policy (enforce)"),
    (12, 451, "4.4.1", "",
     "connect to {mx}[{ip}]:25: Connection timed out"),
    (8, 450, "4.2.0", "",
     "host {mx}[{ip}] said: 450 4.2.0 Recipient address rejected: "
     "Greylisted, try again later"),
    (5, 451, "4.4.2", "",
     "conversation with {mx}[{ip}] timed out while reading the greeting"),
    (2, 451, "4.4.1", "",
     "no address for host {mx}: SERVFAIL"),
)

FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
    "sybil", "trent", "victor", "walter", "xena", "yusuf", "zoe",
)
SENDER_DOMAINS = ("corp.example", "mail.corp.example", "lists.corp.example",
                  "shop.corp.example")
HELOS = ("mail.corp.example", "relay1.corp.example", "relay2.corp.example",
         "app7.corp.example")
WORDS_BODY = ("the", "queue", "report", "invoice", "meeting", "order",
              "shipment", "update", "quarterly", "figures", "please",
              "review", "attached", "thanks", "regards", "schedule")


class Domain:
    """One destination domain: name, weight, MX, address, failure."""

    def __init__(self, k, seed):
        rng = random.Random("%s:domain:%d" % (seed, k))
        word = WORDS[k % len(WORDS)]
        self.name = "%s%s.example" % (word, "" if k < len(WORDS) else
                                      k // len(WORDS))
        # Zipf-like: the k-th largest domain gets 1 / (k + 1)^0.9
        self.weight = 1.0 / (k + 1) ** 0.9
        self.mx = "mx%d.%s" % (rng.randint(1, 2), self.name)
        self.ip = "198.51.100.%d" % rng.randint(1, 254) if k % 2 else \
            "203.0.113.%d" % rng.randint(1, 254)
        self.failure = pick_failure(rng)

    def reply(self, failure):
        """The reply text of failure for this domain's MX."""
        return failure[4].format(mx=self.mx, ip=self.ip)


def pick_failure(rng):
    total = sum(f[0] for f in FAILURES)
    x = rng.uniform(0, total)
    for f in FAILURES:
        x -= f[0]
        if x <= 0:
            return f
    return FAILURES[-1]


def domains(seed):
    return [Domain(k, seed) for k in range(NDOMAINS)]


class Message:
    """Message i: sender, recipients (address, domain, failure), size."""

    def __init__(self, i, seed, doms, cum, now):
        rng = random.Random("%s:msg:%d" % (seed, i))
        self.index = i
        if rng.random() < 0.02:
            self.sender = ""		# a bounce: the null sender
        else:
            self.sender = "%s%d@%s" % (rng.choice(FIRST_NAMES),
                                       rng.randint(1, 400),
                                       rng.choice(SENDER_DOMAINS))
        x = rng.random()
        n = 1 if x < 0.60 else 2 if x < 0.85 else 3
        self.rcpts = []
        seen = set()
        while len(self.rcpts) < n:
            d = doms[bisect(cum, rng.uniform(0, cum[-1]))]
            addr = "%s.%s%d@%s" % (rng.choice(FIRST_NAMES),
                                   rng.choice(FIRST_NAMES)[0],
                                   rng.randint(1, 9999), d.name)
            if addr in seen:
                continue
            seen.add(addr)
            f = d.failure if rng.random() >= 0.1 else pick_failure(rng)
            self.rcpts.append((addr, d, f, rng.random() < 0.15))
        # arrival in the last two days; ids sort by it
        self.arrival_us = int((now - rng.uniform(60, 2 * DAY)) * 1e6)
        self.arrival = self.arrival_us // 1000000
        self.rand_hex = "%016x" % rng.getrandbits(64)
        self.attempts = [rng.randint(1, 12) for _ in self.rcpts]
        self.last = [max(self.arrival, now - rng.randint(0, 3600))
                     for _ in self.rcpts]
        self.next = [now + DAY + rng.randint(0, 3600) for _ in self.rcpts]
        self.body_len = int(1500 * (8 ** rng.random()))	# 1.5-12 KB
        self.subject = " ".join(rng.choice(WORDS_BODY) for _ in range(4))
        self.helo = rng.choice(HELOS)
        self.client_ip = "192.0.2.%d" % rng.randint(1, 254)
        self.tls = rng.random() < 0.9
        self.body_seed = rng.getrandbits(32)

    def qid(self):
        return "%013x%s" % (self.arrival_us, self.rand_hex)

    def content(self, received):
        """The message as octets (CRLF lines), with a Received header
        first when received is true (as sealpost stores it)."""
        rng = random.Random(self.body_seed)
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                             time.gmtime(self.arrival))
        h = []
        if received:
            h.append("Received: from %s (%s [%s])\r\n"
                     "\tby sp.bench.test with ESMTPS id %s\r\n"
                     "\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384"
                     " bits=256);\r\n\t%s" %
                     (self.helo, self.helo, self.client_ip, self.qid(),
                      date))
        h.append("From: <%s>" % (self.sender or "MAILER-DAEMON@corp.example"))
        h.append("To: " + ", ".join("<%s>" % r[0] for r in self.rcpts))
        h.append("Subject: " + self.subject)
        h.append("Date: " + date)
        h.append("Message-ID: <%s.%d@corp.example>" % (self.rand_hex,
                                                       self.index))
        h.append("MIME-Version: 1.0")
        h.append("Content-Type: text/plain; charset=us-ascii")
        out = "\r\n".join(h) + "\r\n\r\n"
        body = []
        n = 0
        while n < self.body_len:
            line = " ".join(rng.choice(WORDS_BODY) for _ in range(11))
            body.append(line)
            n += len(line) + 2
        return (out + "\r\n".join(body) + "\r\n").encode("ascii")

    def envelope(self, content_size):
        """The envelope text, sealpost-envelope(5) version 3."""
        lines = [
            "sealpost-envelope 3",
            "id " + self.qid(),
            "arrival %d" % self.arrival,
            "size %d" % content_size,
            "from " + esc(self.sender),
            "body none",
            "smtputf8 0",
            "requiretls 0",
            "ret -",
            "envid -",
            "auth -",
            "client_ip " + self.client_ip,
            "client_helo " + esc(self.helo),
            "client_tls " + ("TLSv1.3:TLS_AES_256_GCM_SHA384"
                             if self.tls else "-"),
            "client_user -",
            "warned 0",
            "notice -",
            "tlsrequired_no 0",
        ]
        for k, (addr, d, f, pending) in enumerate(self.rcpts):
            if pending:
                lines.append("rcpt pending 0 0 %d - - %s" %
                             (self.next[k], esc(addr)))
                continue
            lines.append("rcpt deferred %d %d %d - - %s" %
                         (self.attempts[k], self.last[k], self.next[k],
                          esc(addr)))
            lines.append("error %d %d %s %s %s %s" %
                         (k, f[1], f[2], f[3] or "-", esc(d.mx),
                          esc(d.reply(f))))
        lines.append("end")
        return ("\n".join(lines) + "\n").encode("ascii")


def bisect(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def esc(s):
    """A string value of sealpost-envelope(5): %XX for every octet outside
    0x21..0x7e and for %; "-" for the empty string, %2D for "-"."""
    if s == "":
        return "-"
    if s == "-":
        return "%2D"
    out = []
    for b in s.encode("utf-8"):
        if b < 0x21 or b > 0x7e or b == 0x25:
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def messages(first, n, seed, now=None):
    """Yields messages first..n-1 (Message objects)."""
    doms = domains(seed)
    cum = []
    total = 0.0
    for d in doms:
        total += d.weight
        cum.append(total)
    if now is None:
        now = int(time.time())
    for i in range(first, n):
        yield Message(i, seed, doms, cum, now)


def write_spool(qdir, first, n, seed, owner=None, now=None):
    """Writes messages first..n-1 into the queue directory qdir; returns
    how many were written."""
    uid = gid = -1
    if owner:
        pw = pwd.getpwnam(owner)
        uid, gid = pw.pw_uid, pw.pw_gid
    count = 0
    for m in messages(first, n, seed, now):
        data = m.content(True)
        qid = m.qid()
        # content first, envelope last: the envelope is the commit record
        for name, blob in ((qid, data), (qid + ".env",
                                         m.envelope(len(data)))):
            fd = os.open(os.path.join(qdir, name),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                if uid != -1:
                    os.fchown(fd, uid, gid)
                view = memoryview(blob)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        count += 1
    return count


class SmtpError(Exception):
    pass


class Conn:
    """One SMTP session of the smtp mode, PIPELINING required."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=120)
        self.buf = b""
        self.expect(220, "greeting")
        self.sock.sendall(b"EHLO fill.bench.test\r\n")
        lines = self.reply("EHLO", 250)
        if not any(l[4:].upper().startswith(b"PIPELINING") for l in lines):
            raise SmtpError("the server does not offer PIPELINING")

    def reply(self, what, want):
        """Reads one reply; its lines; raises unless its code is want."""
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SmtpError("connection closed during " + what)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                break
        code = int(lines[-1][:3]) if lines[-1][:3].isdigit() else 0
        if code != want:
            raise SmtpError("%s: %s" % (what, lines[-1].decode("ascii",
                                                               "replace")))
        return lines

    def expect(self, want, what):
        self.reply(what, want)

    def send(self, m):
        cmds = ["MAIL FROM:<%s>" % m.sender]
        cmds += ["RCPT TO:<%s>" % r[0] for r in m.rcpts]
        cmds.append("DATA")
        self.sock.sendall(("\r\n".join(cmds) + "\r\n").encode("ascii"))
        self.expect(250, "MAIL")
        for r in m.rcpts:
            self.expect(250, "RCPT " + r[0])
        self.expect(354, "DATA")
        # our lines never start with a dot: no stuffing needed
        self.sock.sendall(m.content(False) + b".\r\n")
        self.expect(250, "end of data")

    def quit(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
            self.reply("QUIT", 221)
        finally:
            self.sock.close()


def send_smtp(host, port, first, n, seed, sessions):
    """Sends messages first..n-1 over `sessions` sessions; returns the
    number accepted; raises SmtpError on the first failure."""
    now = int(time.time())
    errors = []
    done = [0] * sessions

    def worker(k):
        try:
            c = Conn(host, port)
            for m in messages(first, n, seed, now):
                if m.index % sessions != k:
                    continue
                c.send(m)
                done[k] += 1
                if errors:
                    break
            c.quit()
        except (OSError, SmtpError) as e:
            errors.append("session %d: %s" % (k, e))

    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SmtpError("; ".join(errors[:3]))
    return sum(done)


def count(first, n, seed):
    """What messages first..n-1 hold: a dict of messages, recipients,
    pending, deferred and domains (distinct recipient domains)."""
    c = {"messages": 0, "recipients": 0, "pending": 0, "deferred": 0}
    doms = set()
    for m in messages(first, n, seed):
        c["messages"] += 1
        for (addr, d, f, pending) in m.rcpts:
            c["recipients"] += 1
            c["pending" if pending else "deferred"] += 1
            doms.add(d.name)
    c["domains"] = len(doms)
    return c


def write_transport(path, seed):
    with open(path, "w") as f:
        f.write("# bench/queue_fill.py transport (seed %s): every domain "
                "is deferred\n# by the retry service with its reply\n"
                % seed)
        for d in domains(seed):
            fl = d.failure
            f.write("%s\tretry:%s %s\n" % (d.name, fl[2], d.reply(fl)))


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seed", default="1")
    common.add_argument("--first", type=int, default=0)
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    sub = ap.add_subparsers(dest="mode", required=True)
    sp = sub.add_parser("spool", parents=[common])
    sp.add_argument("dir")
    sp.add_argument("n", type=int)
    sp.add_argument("--owner")
    sm = sub.add_parser("smtp", parents=[common])
    sm.add_argument("host")
    sm.add_argument("port", type=int)
    sm.add_argument("n", type=int)
    sm.add_argument("--sessions", type=int, default=8)
    st = sub.add_parser("transport", parents=[common])
    st.add_argument("file")
    sub.add_parser("domains", parents=[common])
    sc = sub.add_parser("count", parents=[common])
    sc.add_argument("n", type=int)
    a = ap.parse_args()
    try:
        if a.mode == "spool":
            print(write_spool(a.dir, a.first, a.n, a.seed, a.owner))
        elif a.mode == "smtp":
            print(send_smtp(a.host, a.port, a.first, a.n, a.seed,
                            max(1, a.sessions)))
        elif a.mode == "transport":
            write_transport(a.file, a.seed)
        elif a.mode == "count":
            print(" ".join("%s %d" % kv for kv in
                           count(a.first, a.n, a.seed).items()))
        else:
            for d in domains(a.seed):
                print("%-22s %.4f %-26s %s" % (d.name, d.weight,
                                               d.failure[3] or "-",
                                               d.reply(d.failure)))
    except (OSError, SmtpError, KeyError) as e:
        print("queue_fill.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
