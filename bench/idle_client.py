#!/usr/bin/env python3
"""Holds many idle SMTP connections open (helper of bench/idle-memory).

    idle_client.py HOST PORT COUNT banner|tls

Opens COUNT connections to HOST:PORT one after the other and leaves each
idle: "banner" right after reading the 220 greeting, "tls" after EHLO,
STARTTLS and a finished TLS handshake (no certificate check).  Prints
"ready N" on stdout once all are open, then waits until stdin reaches
end-of-file (or SIGTERM) and closes them.  Exits non-zero, saying why, if
a connection fails; stdlib only.
"""

import resource
import signal
import socket
import ssl
import sys
import time

TIMEOUT = 30.0


def read_reply(sock):
    """Reads one (possibly multi-line) SMTP reply; returns its lines."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        data += chunk
        lines = data.split(b"\r\n")
        for line in lines[:-1]:
            if len(line) >= 4 and line[3:4] == b" ":
                return [l.decode("latin-1") for l in lines[:-1]]


def expect(sock, code):
    lines = read_reply(sock)
    if not lines[-1].startswith(code):
        raise ConnectionError("unexpected reply: " + " | ".join(lines))
    return lines


def open_one(host, port, mode, tls_ctx):
    sock = socket.create_connection((host, port), timeout=TIMEOUT)
    expect(sock, "220")
    if mode == "tls":
        sock.sendall(b"EHLO idle.bench.test\r\n")
        lines = expect(sock, "250")
        if not any(l[4:].upper().startswith("STARTTLS") for l in lines):
            raise ConnectionError("no STARTTLS in the EHLO reply")
        sock.sendall(b"STARTTLS\r\n")
        expect(sock, "220")
        sock = tls_ctx.wrap_socket(sock, server_hostname=None)
    sock.settimeout(None)
    return sock


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in ("banner", "tls"):
        sys.exit(__doc__.split("\n\n")[1])
    host, port, count, mode = (sys.argv[1], int(sys.argv[2]),
                               int(sys.argv[3]), sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 64
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit(f"idle_client: RLIMIT_NOFILE hard limit {hard} < {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    socks = []
    start = time.monotonic()
    for i in range(count):
        try:
            socks.append(open_one(host, port, mode, ctx))
        except (OSError, ConnectionError) as e:
            sys.exit(f"idle_client: connection {i + 1} of {count} to "
                     f"{host}:{port}: {e}")
    print(f"ready {len(socks)} {time.monotonic() - start:.1f}s", flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
