"""Helpers of the inbound integration tests (tests/integration/inbound and
tests/integration/durability): TAP output, the private network namespace,
a real sealpostd in a temporary directory, a raw SMTP client with a
timeout on every operation, and readers of the spool (queue files and
envelopes, sealpost-envelope(5)) and of the audit log lines (doc/design.md §9).

Python standard library only.  Not executable on purpose: tests/run runs
every executable file in tests/integration.
"""

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HOSTNAME = "mx.inbound.test"
ID_RE = re.compile(r"^[A-Za-z0-9]{12,40}$")
QUEUED_RE = re.compile(r"queued as ([A-Za-z0-9]+)")


# ---- TAP ------------------------------------------------------------------

class Tap:
    """TAP lines on stdout; thread-safe.  A Tap made with buffered=True
    keeps its lines until flush_into() (for checks done in threads)."""

    def __init__(self, buffered=False):
        self.fails = 0
        self.passes = 0
        self.lock = threading.Lock()
        self.buffered = buffered
        self.lines = []

    def _out(self, text):
        with self.lock:
            if self.buffered:
                self.lines.append(text)
            else:
                sys.stdout.write(text + "\n")
                sys.stdout.flush()

    def ok(self, what, cond=True, diag=None):
        """Prints ok/not ok for cond; on failure also the diag text (a
        string or a callable returning one).  Returns bool(cond)."""
        what = " ".join(str(what).split())
        if cond:
            self.passes += 1
            self._out("ok - " + what)
        else:
            self.fails += 1
            self._out("not ok - " + what)
            if callable(diag):
                try:
                    diag = diag()
                except Exception:  # noqa: BLE001 - diagnostics only
                    diag = traceback.format_exc()
            if diag:
                self.diag(diag)
        return bool(cond)

    def notok(self, what, diag=None):
        return self.ok(what, False, diag)

    def skip(self, what, why):
        self._out("ok - %s # SKIP %s" % (what, why))

    def diag(self, text):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "backslashreplace")
        lines = str(text).splitlines() or [""]
        self._out("\n".join("#   " + ln for ln in lines[:200]))

    def flush_into(self, other):
        with self.lock:
            lines, self.lines = self.lines, []
        with other.lock:
            for ln in lines:
                sys.stdout.write(ln + "\n")
            sys.stdout.flush()
        other.fails += self.fails
        other.passes += self.passes
        self.fails = self.passes = 0


def short(b, n=300):
    """A printable, bounded rendering of bytes for diagnostics."""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    r = repr(b[:n])
    return r + ("... (%d octets)" % len(b) if len(b) > n else "")


# ---- environment ----------------------------------------------------------

def private_ns(tap):
    """Re-executes this script in new network and mount namespaces with
    loopback up (like sp_private_ns in tests/lib.sh), so that 127.0.0.0/8
    and ::1 are ours alone and nothing leaves the machine."""
    if os.geteuid() != 0:
        tap.notok("%s must run as root (it starts the real daemon)"
                  % os.path.basename(sys.argv[0]))
        sys.exit(1)
    if os.environ.get("SP_INBOUND_NS") != "1":
        env = dict(os.environ, SP_INBOUND_NS="1")
        argv = ["unshare", "--net", "--mount", "--", sys.executable,
                os.path.abspath(sys.argv[0])] + sys.argv[1:]
        sys.stdout.flush()
        os.execvpe("unshare", argv, env)
    try:
        if os.readlink("/proc/self/ns/net") == os.readlink("/proc/1/ns/net"):
            tap.notok("running in a private network namespace",
                      "SP_INBOUND_NS is set but this is the host's network "
                      "namespace: unset it")
            sys.exit(1)
    except OSError:
        pass
    r = subprocess.run(["ip", "link", "set", "lo", "up"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        tap.notok("bring up lo in the namespace", r.stdout)
        sys.exit(1)
    subprocess.run(["mount", "--make-rprivate", "/"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0" + (
        ":" + os.environ["ASAN_OPTIONS"] if os.environ.get("ASAN_OPTIONS")
        else "")


def require_users(tap):
    import grp
    import pwd
    for u in ("_sealpost", "_sealpostq", "_sealpostp"):
        try:
            pwd.getpwnam(u)
        except KeyError:
            tap.notok("user %s exists (run ./runtests)" % u)
            sys.exit(1)
    try:
        grp.getgrnam("sealpost")
    except KeyError:
        tap.notok("group sealpost exists (run ./runtests)")
        sys.exit(1)


LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def log_events(daemon, event):
    """Every `event k=v ...` line (doc/design.md §9) of daemon's log as
    (time string, dict)."""
    out = []
    pat = re.compile(r"(?:^|: )%s ((?:[a-z0-9_]+=).*)$" % event)
    for ln in daemon.log_text().splitlines():
        m = pat.search(ln)
        if m:
            ts = LOG_TS.match(ln)
            out.append((ts.group(1) if ts else "",
                        parse_kv(" " + m.group(1))))
    return out


def testnet_setup(tap):
    """For a test run inside tests/testnet/run: no LeakSanitizer (it
    cannot run in the chroots, which have no /proc; the other sanitizers
    report to daemon.log, which check_sanitizers reads), the paths, the
    users, and the scenarios. Returns (top, build, scenarios by name)."""
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0" + (
        ":" + os.environ["ASAN_OPTIONS"] if os.environ.get("ASAN_OPTIONS")
        else "")
    if not os.environ.get("TESTNET_DIR"):
        tap.notok("runs inside tests/testnet/run (TESTNET_DIR is not set)")
        sys.exit(1)
    top, build = build_paths(tap)
    require_users(tap)
    with open(os.environ["TESTNET_SCENARIOS"]) as f:
        net = json.load(f)
    return top, build, {s["name"]: s for s in net["scenarios"]}


def build_paths(tap):
    top = os.environ.get("top_srcdir") or os.path.abspath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    build = os.environ.get("builddir") or os.path.join(top, "build")
    for p in ("sealpostd", "sealpost", "libexec/smtpin", "libexec/queue"):
        if not os.access(os.path.join(build, p), os.X_OK):
            tap.notok("built program %s/%s exists (set builddir)" % (build, p))
            sys.exit(1)
    return top, build


# ---- the daemon -------------------------------------------------------------

def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and _ppid(int(d)) == pid:
            out.append(int(d))
    return out


class Daemon:
    """One sealpostd with its own directory, configuration and log."""

    def __init__(self, build, name, conf_lines):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="/tmp/sealpost-%s." % name)
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "sealpost.conf")
        self.logpath = os.path.join(self.dir, "daemon.log")
        self.spool = os.path.join(self.dir, "spool")
        self.queue = os.path.join(self.spool, "queue")
        self.incoming = os.path.join(self.spool, "incoming")
        self.cert = os.path.join(self.dir, "data", "tls", "selfsigned.crt")
        self.proc = None
        self.known_pids = set()
        self.write_conf(conf_lines)

    def write_conf(self, lines):
        base = ["# written by %s" % os.path.basename(sys.argv[0]),
                "spool_dir = %s/spool" % self.dir,
                "run_dir = %s/run" % self.dir,
                "data_dir = %s/data" % self.dir]
        with open(self.conf, "w") as f:
            f.write("\n".join(base + list(lines)) + "\n")

    def start(self, timeout=15):
        """Starts sealpostd -d; returns (True, "") once `sealpost status`
        answers, or (False, why)."""
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "sealpostd"), "-d", "-f", self.conf,
             "-L", os.path.join(self.build, "libexec")],
            stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False, "sealpostd exited with %s:\n%s" % (
                    self.proc.returncode, self.log_text()[-3000:])
            st = self.status()
            if st and all(v[1] == "running" for v in st.values()):
                return True, ""
            time.sleep(0.05)
        return False, "no answer from sealpost status within %ds:\n%s" % (
            timeout, self.log_text()[-3000:])

    def status(self):
        """{name: (pid, state, restarts)} from `sealpost status` (which
        exits 1 when some process is restarting or not responding), or {}
        when it cannot answer."""
        try:
            r = subprocess.run([os.path.join(self.build, "sealpost"), "-f",
                                self.conf, "status"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=5)
        except subprocess.TimeoutExpired:
            return {}
        if r.returncode not in (0, 1):
            return {}
        st = {}
        for ln in r.stdout.decode(errors="replace").splitlines()[1:]:
            f = ln.split()
            if len(f) >= 6 and f[1].isdigit() and f[4].isdigit():
                st[f[0]] = (int(f[1]), " ".join(f[5:]), int(f[4]))
                if int(f[1]):
                    self.known_pids.add(int(f[1]))
        return st

    def pid_of(self, name):
        v = self.status().get(name)
        return v[0] if v and v[1] == "running" else None

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "backslashreplace")
        except OSError:
            return ""

    def log_bytes(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stop(self, timeout=10):
        """SIGTERM to the master; returns its exit status (None if it had
        to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill(self):
        """SIGKILL to the master and every child it had (by pid)."""
        if self.proc is not None and self.proc.poll() is None:
            pids = set(_children(self.proc.pid)) | self.known_pids
            pids.discard(self.proc.pid)
            try:
                self.proc.kill()
            except OSError:
                pass
            self.proc.wait()
            for p in pids:
                try:
                    if _ppid(p) in (self.proc.pid, 1):
                        os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        self.proc = None

    def leftovers(self):
        """Pids of processes still running from this configuration."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if self.conf.encode() in cmd or (
                    int(d) in self.known_pids and cmd):
                out.append(int(d))
        return out

    def cleanup(self):
        self.kill()
        for p in self.leftovers():
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if os.environ.get("SP_KEEP"):
            sys.stderr.write("kept %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- spool -----------------------------------------------------------

    def queue_names(self, sub="queue"):
        try:
            return set(os.listdir(os.path.join(self.spool, sub)))
        except OSError:
            return set()

    def queue_ids(self):
        return {n for n in self.queue_names() if ID_RE.match(n)}

    def read_queued(self, qid):
        """(content bytes, envelope bytes); None for what is missing."""
        if not ID_RE.match(qid or ""):
            return None, None
        out = []
        for name in (qid, qid + ".env"):
            try:
                with open(os.path.join(self.queue, name), "rb") as f:
                    out.append(f.read())
            except OSError:
                out.append(None)
        return tuple(out)

    def check_sanitizers(self, tap):
        text = self.log_text()
        bad = [ln for ln in text.splitlines() if re.search(
            r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
            r"runtime error:", ln)]
        if bad:
            i = text.find(bad[0])
            tap.notok("no sanitizer report in daemon.log", text[i:i + 4000])
        else:
            tap.ok("no sanitizer report in daemon.log")


# ---- log lines ------------------------------------------------------------

_KV_RE = re.compile(r' ([a-z0-9_]+)=("(?:[^"\\]|\\.)*"|[^ "]*)')


def parse_kv(line):
    """The key=value pairs of one audit line (log_escape quoting undone)."""
    kv = {}
    for m in _KV_RE.finditer(line):
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\x([0-9a-f]{2})|\\(.)',
                       lambda m2: chr(int(m2.group(1), 16)) if m2.group(1)
                       else m2.group(2), v[1:-1])
        kv[m.group(1)] = v
    return kv


def in_lines(log_text):
    """Every `in ...` audit line as (line, dict)."""
    out = []
    for ln in log_text.splitlines():
        m = re.search(r"(?:^|: )(in (?:[a-z_]+=.*))$", ln)
        if m:
            out.append((ln, parse_kv(" " + m.group(1)[3:])))
    return out


def find_in_line(daemon, qid, timeout=3.0):
    end = time.monotonic() + timeout
    while True:
        for ln, kv in in_lines(daemon.log_text()):
            if kv.get("id") == qid:
                return ln, kv
        if time.monotonic() > end:
            return None, None
        time.sleep(0.05)


# ---- envelopes (sealpost-envelope(5)) ---------------------------------------

ENV_KEYS = ["sealpost-envelope", "id", "arrival", "size", "from", "body",
            "smtputf8", "requiretls", "ret", "envid", "auth", "client_ip",
            "client_helo", "client_tls", "client_user", "warned", "notice",
            "tlsrequired_no", "held", "held_total"]
# the keys each version lacks are the last ones (sealpost-envelope(5))
ENV_VERSION_KEYS = {"1": len(ENV_KEYS) - 5, "2": len(ENV_KEYS) - 3,
                    "3": len(ENV_KEYS) - 2, "4": len(ENV_KEYS)}


class EnvError(Exception):
    pass


def env_unescape(s):
    if s == "-":
        return b""
    out = bytearray()
    i = 0
    b = s.encode("ascii")
    while i < len(b):
        if b[i:i + 1] == b"%":
            h = b[i + 1:i + 3]
            if not re.match(rb"^[0-9A-F]{2}$", h):
                raise EnvError("bad escape in %r" % s)
            out.append(int(h, 16))
            i += 3
        else:
            if not 0x21 <= b[i] <= 0x7e:
                raise EnvError("unescaped octet in %r" % s)
            out.append(b[i])
            i += 1
    return bytes(out)


def parse_env(data):
    """Parses an envelope strictly enough to see that it is whole.
    Returns {"key": value-string, ..., "rcpt": [dict, ...]}; raises
    EnvError."""
    if data is None:
        raise EnvError("missing")
    if not data.endswith(b"\n"):
        raise EnvError("does not end with a newline")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise EnvError("not US-ASCII")
    lines = text[:-1].split("\n")
    if lines[-1] != "end":
        raise EnvError("last line is %r, not 'end'" % lines[-1])
    env = {"rcpt": []}
    version = lines[0][len("sealpost-envelope "):]
    keys = ENV_KEYS[:ENV_VERSION_KEYS.get(version, len(ENV_KEYS))]
    for i, k in enumerate(keys):
        if i >= len(lines) - 1:
            raise EnvError("missing line %r" % k)
        f = lines[i].split(" ")
        if len(f) != 2 or f[0] != k or f[1] == "":
            raise EnvError("line %d is %r, expected %r VALUE" % (
                i + 1, lines[i], k))
        env[k] = f[1]
    if env["sealpost-envelope"] not in ENV_VERSION_KEYS:
        raise EnvError("version %r" % env["sealpost-envelope"])
    for ln in lines[len(keys):-1]:
        f = ln.split(" ")
        if f[0] == "rcpt":
            if len(f) != 8 or "" in f:
                raise EnvError("bad rcpt line %r" % ln)
            env["rcpt"].append({
                "state": f[1], "attempts": f[2], "last": f[3], "next": f[4],
                "notify": f[5], "orcpt": env_unescape(f[6]).decode(
                    "utf-8", "surrogateescape"),
                "addr": env_unescape(f[7]).decode("utf-8", "surrogateescape"),
                "raw": ln})
        elif f[0] == "error":
            # version 4 added the policy source after the failure type
            want = 8 if env["sealpost-envelope"] == "4" else 7
            if len(f) != want or not env["rcpt"]:
                raise EnvError("bad error line %r" % ln)
        else:
            raise EnvError("unexpected line %r" % ln)
    if not env["rcpt"]:
        raise EnvError("no rcpt line")
    for k in ("from", "envid", "auth", "client_helo", "client_tls",
              "client_user", "client_ip"):
        env[k + "_dec"] = env_unescape(env[k]).decode("utf-8",
                                                      "surrogateescape")
    return env


def split_received(content):
    """Splits queued content into (received header bytes incl. its CRLFs,
    rest).  Returns (None, content) if it does not start with Received."""
    if content is None or not content[:9].lower() == b"received:":
        return None, content
    i = 0
    while True:
        j = content.find(b"\r\n", i)
        if j < 0:
            return None, content
        i = j + 2
        if content[i:i + 1] not in (b" ", b"\t"):
            return content[:i], content[i:]


def unfold(hdr):
    return " ".join(hdr.decode("utf-8", "replace").split())


# ---- SMTP client ------------------------------------------------------------

class Closed(Exception):
    """The server closed the connection (or reset it)."""


class Timeout(Exception):
    """No (complete) reply within the time allowed."""


class Fail(Exception):
    """A step of a scenario got something else than expected."""


class Reply:
    def __init__(self, code, texts, raw):
        self.code = code
        self.texts = texts          # text of each line, after "CODE[ -]"
        self.raw = raw
        m = re.match(r"^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)", texts[0])
        self.dsn = m.group(0).strip() if m and int(m.group(1)) == \
            code // 100 else None
        self.text = texts[0][len(m.group(0)):] if self.dsn else texts[0]

    def matches(self, code, dsn=None, text=None):
        if isinstance(code, (tuple, list, set)):
            if self.code not in code:
                return False
        elif isinstance(code, int) and code < 10:
            if self.code // 100 != code:
                return False
        elif self.code != code:
            return False
        if dsn is not None:
            if isinstance(dsn, (tuple, list, set)):
                if not any(self._dsn_ok(d) for d in dsn):
                    return False
            elif not self._dsn_ok(dsn):
                return False
        if text is not None and text not in self.text:
            return False
        return True

    def _dsn_ok(self, d):
        if self.dsn is None:
            return False
        if d.endswith("."):
            return self.dsn.startswith(d)
        return self.dsn == d

    def qid(self):
        m = QUEUED_RE.search(self.texts[-1])
        return m.group(1) if m else None

    def __str__(self):
        return self.raw.decode("utf-8", "backslashreplace").rstrip("\r\n")


def client_ctx(cafile=None, maxver=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(cafile=cafile)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if maxver:
        ctx.maximum_version = maxver
    return ctx


class Client:
    """A line-level SMTP client.  Every operation has a deadline; every
    line sent and received is kept for diagnostics."""

    def __init__(self, port, src="127.0.0.1", host="127.0.0.1",
                 implicit_tls=False, timeout=5.0, ctx=None, banner=True):
        self.timeout = timeout
        self.log = []
        self.buf = b""
        self.tls = None
        self.port = port
        self.src = src
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.bind((src, 0))
            s.connect((host, port))
        except OSError:
            s.close()
            raise
        self.sock = s
        self._note("-- connect %s -> %s:%d%s" % (src, host, port,
                                                 " (TLS)" if implicit_tls
                                                 else ""))
        if implicit_tls:
            self.start_tls(ctx)
        self.banner = self.reply() if banner else None

    def _note(self, s):
        self.log.append(s)
        if len(self.log) > 60:
            del self.log[:len(self.log) - 60]

    def transcript(self):
        return "\n".join(self.log)

    def start_tls(self, ctx=None):
        """TLS handshake on the connection (after a 220 to STARTTLS, or at
        once for port 465).  Fails if the server sent anything that is
        still unread."""
        if self.buf:
            raise Fail("server sent %s before the TLS handshake" %
                       short(self.buf))
        ctx = ctx or client_ctx()
        self.sock.settimeout(self.timeout)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)
        except (ssl.SSLError, OSError) as e:
            self._note("-- TLS handshake failed: %s" % e)
            raise
        self.tls = (self.sock.version(), self.sock.cipher()[0],
                    self.sock.cipher()[2])
        self._note("-- TLS %s %s" % self.tls[:2])

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._note("C: " + short(data, 200))
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed("send: %s" % e)
        except socket.timeout:
            raise Timeout("send did not complete within %.1fs" %
                          self.timeout)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("no complete reply (have %s)" % short(self.buf))
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout("no complete reply within the time allowed "
                          "(have %s)" % short(self.buf))
        except (ConnectionResetError, ssl.SSLError, OSError) as e:
            raise Closed("recv: %s (have %s)" % (e, short(self.buf)))
        if not d:
            raise Closed("connection closed by the server (have %s)" %
                         short(self.buf))
        self.buf += d

    def reply(self, timeout=None):
        """Reads one (multiline) reply."""
        deadline = time.monotonic() + (timeout or self.timeout)
        texts = []
        raw = b""
        code = None
        while True:
            while b"\n" not in self.buf:
                self._fill(deadline)
            line, _, self.buf = self.buf.partition(b"\n")
            raw += line + b"\n"
            if not line.endswith(b"\r"):
                self._note("S: " + short(raw))
                raise Fail("reply line not ended by CRLF: %s" % short(line))
            line = line[:-1]
            m = re.match(rb"^([2-5][0-5][0-9])([ -]|$)(.*)$", line, re.S)
            if not m:
                self._note("S: " + short(raw))
                raise Fail("malformed reply line %s" % short(line))
            if code is not None and int(m.group(1)) != code:
                raise Fail("reply code changed inside a multiline reply: %s"
                           % short(raw))
            code = int(m.group(1))
            texts.append(m.group(3).decode("utf-8", "backslashreplace"))
            if m.group(2) != b"-":
                break
        r = Reply(code, texts, raw)
        self._note("S: " + str(r).replace("\r\n", " | "))
        return r

    def cmd(self, line, timeout=None):
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.reply(timeout)

    def expect(self, line, code, dsn=None, text=None, timeout=None):
        """Sends line (None: only reads) and checks the reply; raises Fail
        with the reply otherwise.  Returns the reply."""
        r = self.cmd(line, timeout) if line is not None else \
            self.reply(timeout)
        if not r.matches(code, dsn, text):
            raise Fail("%s: expected %s%s%s, got: %s" % (
                short(line, 80) if line is not None else "reply", code,
                " " + str(dsn) if dsn else "",
                " %r" % text if text else "", r))
        return r

    def quiet(self, seconds):
        """Waits seconds; returns whatever arrived (b"" is good)."""
        end = time.monotonic() + seconds
        got = self.buf
        self.buf = b""
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                break
            except OSError:
                break
            if not d:
                break
            got += d
        if got:
            self._note("S (unexpected): " + short(got))
        return got

    def wait_closed(self, timeout=3.0):
        """True if the server closes the connection within timeout (any
        data before the close is recorded and returned in self.extra)."""
        end = time.monotonic() + timeout
        self.extra = self.buf
        self.buf = b""
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, ssl.SSLError, OSError):
                return True
            if not d:
                return True
            self.extra += d
        return False

    def ehlo(self, name="client.example"):
        r = self.expect("EHLO " + name, 250)
        return [t.split(" ")[0].upper() for t in r.texts[1:]], r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stuff(msg):
    """Dot-stuffs a message (which must end with CRLF) and appends the
    end of data."""
    assert msg.endswith(b"\r\n")
    return re.sub(rb"(^|\r\n)\.", rb"\1..", msg) + b".\r\n"


def smtp_submit(sender, rcpts, body, port=2525, src="127.0.0.1",
                tls=False, mail_options=()):
    """Submits one message with smtplib to 127.0.0.1:port (from src,
    STARTTLS without a certificate check when tls) and returns its queue
    id; any reply but 250 raises RuntimeError naming the step."""
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example",
                     timeout=20, source_address=(src, 0))
    try:
        s.ehlo()
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s.starttls(context=ctx)
            s.ehlo()
        code, resp = s.mail(sender, list(mail_options))
        if code != 250:
            raise RuntimeError("MAIL: %d %r" % (code, resp))
        for r in rcpts:
            code, resp = s.rcpt(r)
            if code != 250:
                raise RuntimeError("RCPT %s: %d %r" % (r, code, resp))
        code, resp = s.data(body)
        if code != 250:
            raise RuntimeError("DATA: %d %r" % (code, resp))
        return re.search(rb"queued as ([A-Za-z0-9]+)",
                         resp).group(1).decode()
    finally:
        try:
            s.quit()
        except Exception:  # noqa: BLE001 - the message is in or not
            pass


def make_msg(marker, sender="sender@client.example",
             to="user@inbound.test", body_lines=None, extra=b""):
    if isinstance(marker, str):
        marker = marker.encode()
    lines = [b"From: <" + sender.encode() + b">",
             b"To: <" + to.encode() + b">",
             b"Subject: inbound test " + marker,
             b"Message-ID: <" + marker + b"@client.example>",
             b"Date: Thu, 26 Nov 2026 12:00:00 +0000"]
    msg = b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n"
    if body_lines is None:
        body_lines = [b"marker " + marker, b".a line with a leading dot",
                      b"..two dots", b".", b"", b"last line"]
    msg += b"".join(ln + b"\r\n" for ln in body_lines)
    return msg


def transaction(c, sender, rcpts, msg, mail_params="", rcpt_params=""):
    """MAIL, RCPT..., DATA, message.  Raises Fail on any other reply than
    250/250/354; returns the reply to the end of data."""
    c.expect("MAIL FROM:<%s>%s" % (sender, mail_params), 250, "2.1.0")
    for r in rcpts:
        c.expect("RCPT TO:<%s>%s" % (r, rcpt_params), 250, "2.1.5")
    c.expect("DATA", 354)
    c.send(stuff(msg))
    return c.reply(timeout=max(c.timeout, 15))
