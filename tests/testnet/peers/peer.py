#!/usr/bin/env python3
"""Scripted SMTP peers for sealpost's test network.

One process serves one behaviour (a well-behaved ESMTP server, or one of the
ways a receiving MX or a man in the middle misbehaves) on one or more listen
addresses, until SIGTERM.  Every connection leaves one JSON line in
RECORD/events.jsonl when it closes, saying what the client did: whether it
negotiated TLS (version, cipher, SNI) and above all whether it ever sent
MAIL FROM outside TLS.  Accepted messages go to RECORD/mail/<n>.eml with
the envelope in RECORD/mail/<n>.json.

TLS runs over memory BIOs rather than asyncio's start_tls(), so that the
peer decides exactly which bytes reach the wire around the handshake
(injected plaintext, garbage instead of a ServerHello) and sees plaintext
the client pipelined after STARTTLS.  See README in this directory.

Standard library only (Python 3.11+).
"""

import argparse
import asyncio
import base64
import binascii
import datetime
import ipaddress
import json
import os
import re
import signal
import ssl
import sys
import time
from dataclasses import dataclass

MAX_COMMAND_LINE = 4096     # RFC 5321 §4.5.3.1.4 says 512; allow long parameters
MAX_MESSAGE_SIZE = 10 * 1024 * 1024
MAX_RECIPIENTS = 1000
IDLE_TIMEOUT = 300          # RFC 5321 §4.5.3.2.7
HANDSHAKE_TIMEOUT = 30
INJECTION_WINDOW = 0.5      # inject-after-220 withholds its first reply in TLS
MAX_RECORDED_COMMANDS = 1000
READ_SIZE = 65536

INJECTED_REPLY = b"250 2.0.0 injected\r\n"
GARBAGE = b"this is not a TLS ServerHello\r\n"

# Alerts a TLS client sends when its record layer is fed bytes that are not
# TLS (OpenSSL reason strings, e.g. SSLV3_ALERT_UNEXPECTED_MESSAGE).
RECORD_LAYER_ALERTS = ("ALERT_UNEXPECTED_MESSAGE", "ALERT_DECODE_ERROR",
                       "ALERT_RECORD_OVERFLOW", "ALERT_PROTOCOL_VERSION",
                       "ALERT_BAD_RECORD_MAC")


@dataclass(frozen=True)
class Behaviour:
    offer_starttls: bool = True
    starttls_refusal: str | None = None   # reply to STARTTLS instead of 220
    handshake: str = "tls"                # "tls", "inject" or "garbage"
    malformed_ehlo: bool = False          # broken multiline EHLO reply before TLS
    slow: bool = False                    # every reply waits --delay seconds
    rcpt_reply: str | None = None         # reply to every RCPT
    data_reply: str | None = None         # reply after the message was received
    rcpt_by_local: bool = False           # RCPT reply chosen by the local part
    auth: bool = False                    # AUTH in TLS, required for MAIL

    @property
    def needs_certificate(self):
        return self.offer_starttls and self.starttls_refusal is None \
            and self.handshake != "garbage"


NO_STARTTLS = Behaviour(offer_starttls=False,
                        starttls_refusal="502 5.5.1 Command not implemented")

BEHAVIOURS = {
    "good": Behaviour(),
    "nostarttls": NO_STARTTLS,
    "striptls": NO_STARTTLS,
    "starttls-454": Behaviour(
        starttls_refusal="454 4.7.0 TLS not available due to temporary reason"),
    "broken-handshake": Behaviour(handshake="garbage"),
    "inject-after-220": Behaviour(handshake="inject"),
    "slow": Behaviour(slow=True),
    "bad-multiline": Behaviour(malformed_ehlo=True),
    "rcpt-4xx": Behaviour(rcpt_reply="450 4.2.0 Mailbox busy"),
    "rcpt-5xx": Behaviour(rcpt_reply="550 5.1.1 No such user"),
    "data-4xx": Behaviour(data_reply="451 4.3.0 Try later"),
    "data-5xx": Behaviour(data_reply="554 5.6.0 Rejected"),
    "rcpt-mixed": Behaviour(rcpt_by_local=True),
    "auth": Behaviour(auth=True),
}

# auth: the one account it knows (RFC 4954); the password has a space in it
AUTH_USER = b"relay"
AUTH_PASSWORD = b"s3cret pass"

# rcpt-mixed: the reply to RCPT by the start of the local part
RCPT_BY_LOCAL = (("defer", "450 4.2.0 Mailbox busy"),
                 ("bounce", "550 5.1.1 No such user"))

ADDRESS = r'<((?:"(?:[^"\\]|\\.)*"|[^<>"])*)>'
MAIL_RE = re.compile(r"FROM:\s*" + ADDRESS + r"(?:\s+(.*))?$", re.IGNORECASE)
RCPT_RE = re.compile(r"TO:\s*" + ADDRESS + r"(?:\s+(.*))?$", re.IGNORECASE)
NOT_IMPLEMENTED = {"VRFY", "EXPN", "HELP", "ETRN", "AUTH", "BDAT", "TURN"}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="milliseconds")


def format_address(sockaddr):
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_listen(text):
    """'ADDR:PORT' or '[ADDR]:PORT' with a numeric address -> (addr, port)."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([0-9.]+):(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not ADDR:PORT or [ADDR]:PORT: {text}")
    addr = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a numeric address: {addr}") from None
    if port > 65535:
        raise argparse.ArgumentTypeError(f"bad port: {port}")
    return addr, port


def printable(data, limit=512):
    """Network bytes as a JSON-friendly string, cut at limit bytes."""
    text = data[:limit].decode("utf-8", "backslashreplace")
    return text + ("..." if len(data) > limit else "")


def parse_client_hello(data):
    """Server name from a TLS ClientHello record (RFC 8446 §4.1.2, RFC 6066
    §3): (True, name or None) if data starts with a ClientHello, else
    (False, None)."""
    try:
        if data[0] != 22 or data[5] != 1:       # handshake record, ClientHello
            return False, None
        body = data[9:9 + int.from_bytes(data[6:9], "big")]
        pos = 2 + 32                                        # version, random
        pos += 1 + body[pos]                                # session id
        pos += 2 + int.from_bytes(body[pos:pos + 2], "big")  # cipher suites
        pos += 1 + body[pos]                                # compression
        end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
        pos += 2
        while pos + 4 <= min(end, len(body)):
            ext_type = int.from_bytes(body[pos:pos + 2], "big")
            ext_len = int.from_bytes(body[pos + 2:pos + 4], "big")
            ext = body[pos + 4:pos + 4 + ext_len]
            pos += 4 + ext_len
            if ext_type == 0 and len(ext) >= 5 and ext[2] == 0:   # host_name
                name_len = int.from_bytes(ext[3:5], "big")
                return True, ext[5:5 + name_len].decode("ascii", "backslashreplace")
        return True, None
    except IndexError:
        return len(data) > 5 and data[0] == 22, None


def choked_on_injection(err, client_hello_seen):
    """Whether a failed handshake after an injected reply looks like the
    client fed the injected plaintext to its TLS layer: it sent its
    ClientHello, then hung up without a word (OpenSSL on "wrong version
    number"), sent an alert about the record layer, or got stuck.  A client
    that gives up before its ClientHello, or complains about our
    certificate, read our handshake flight correctly."""
    if not client_hello_seen:
        return False
    if isinstance(err, (HandshakeEOF, asyncio.TimeoutError)):
        return True
    return any(alert in str(err).upper() for alert in RECORD_LAYER_ALERTS)


class HandshakeEOF(ConnectionError):
    """The client closed the connection during the TLS handshake."""


class Channel:
    """A TCP connection that can switch to TLS in place (STARTTLS).

    Received plaintext collects in self.buf; callers consume it line by
    line.  Every read waits at most `timeout` seconds (TimeoutError)."""

    def __init__(self, reader, writer, timeout):
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.buf = bytearray()
        self.tls = None
        self.eof = False
        self.handshake_bytes = 0    # received from the client during the handshake
        self._incoming = self._outgoing = None

    async def read_raw(self, timeout=None):
        """Bytes as they come off the socket, b'' at end of stream.  A reset
        counts as end of stream: clients that close with unread data (say,
        TLS session tickets) cause one."""
        try:
            return await asyncio.wait_for(self.reader.read(READ_SIZE),
                                          timeout or self.timeout)
        except ConnectionResetError:
            return b""

    async def write_raw(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def fill(self, timeout=None):
        """Append more plaintext to buf; False at end of stream."""
        while not self.eof:
            raw = await self.read_raw(timeout)
            if not raw:
                self.eof = True
                break
            if self.tls is None:
                self.buf += raw
                return True
            self._incoming.write(raw)
            before = len(self.buf)
            self._decrypt()
            await self._flush_tls()
            if len(self.buf) > before:
                return True
        return False

    def _decrypt(self):
        while True:
            try:
                data = self.tls.read(READ_SIZE)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:      # close_notify
                self.eof = True
                return
            if not data:
                self.eof = True
                return
            self.buf += data

    async def _flush_tls(self):
        data = self._outgoing.read()
        if data:
            await self.write_raw(data)

    async def readline(self, limit):
        """The next line with its LF, at most limit bytes (a longer line comes
        back in pieces without LF); None at end of stream."""
        while True:
            end = self.buf.find(b"\n", 0, limit)
            if end >= 0 or len(self.buf) >= limit:
                size = end + 1 if end >= 0 else limit
                line = bytes(self.buf[:size])
                del self.buf[:size]
                return line
            if not await self.fill():
                return None

    async def write(self, data):
        if self.tls is None:
            await self.write_raw(data)
        else:
            self.tls.write(data)
            await self._flush_tls()

    async def start_tls(self, context):
        """Run the server side of a TLS handshake; return the SSLObject."""
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        try:
            await asyncio.wait_for(self._handshake(tls), HANDSHAKE_TIMEOUT)
        finally:
            try:
                await self._flush_tls()     # the last flight, or our alert
            except OSError:
                pass
        self.tls = tls
        self._decrypt()     # the client may have sent data with its Finished
        return tls

    async def _handshake(self, tls):
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                await self._flush_tls()
                raw = await self.read_raw()
                if not raw:
                    raise HandshakeEOF("connection closed during TLS handshake")
                self.handshake_bytes += len(raw)
                self._incoming.write(raw)

    async def close(self):
        try:
            if self.tls is not None:
                try:
                    self.tls.unwrap()
                except ssl.SSLError:
                    pass
                await self._flush_tls()
        except (OSError, ssl.SSLError):
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1)
        except (OSError, asyncio.TimeoutError):
            pass


class Session:
    """One SMTP server session and its record."""

    def __init__(self, peer, channel, listen, client):
        self.peer = peer
        self.behaviour = peer.behaviour
        self.chan = channel
        self.started = time.monotonic()
        self.helo = None
        self.mail_from = None
        self.mail_params = []
        self.rcpts = []
        self.injection_pending = False
        self.authenticated = False
        self.record = {
            "behaviour": peer.name,
            "listen": listen,
            "peer": client,
            "time": utc_now(),
            "helo": None,
            "starttls": False,
            "sni": None,
            "tls": False,
            "tls_version": None,
            "cipher": None,
            "tls_error": None,
            "pipelined_after_starttls": None,
            "injection_consumed": None,
            "cleartext_mail": False,
            "commands": [],
            "auth": [],
            "messages": 0,
            "end": None,
            "duration": None,
        }

    @property
    def phase(self):
        return "cleartext" if self.chan.tls is None else "tls"

    async def run(self):
        end = "error"
        try:
            await self.reply(f"220 {self.peer.hostname} ESMTP sealpost test peer")
            end = await self.command_loop()
        except asyncio.CancelledError:
            end = "shutdown"
        except asyncio.TimeoutError:
            end = "timeout"
        except (OSError, ssl.SSLError) as err:
            end = f"error: {err}"
        finally:
            self.record["end"] = end
            self.record["duration"] = round(time.monotonic() - self.started, 3)
            await self.chan.close()
            self.peer.write_event(self.record)

    async def command_loop(self):
        """Serve commands until the session ends; return why it ended."""
        while True:
            line = await self.chan.readline(MAX_COMMAND_LINE)
            if line is None:
                return "eof"
            if not line.endswith(b"\n"):
                await self.discard_rest_of_line()
                await self.reply("500 5.5.2 Error: line too long")
                continue
            text = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
            self.note_command(text)
            if self.injection_pending and await self.injected_reply_consumed():
                self.record["injection_consumed"] = True
                if self.chan.eof and not self.chan.buf:
                    return "eof"
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            if verb == "MAIL" and self.chan.tls is None:
                self.record["cleartext_mail"] = True
            handler = getattr(self, "smtp_" + verb.lower(), None) \
                if verb.isalpha() else None
            if handler is not None:
                end = await handler(arg.strip())
                if end:
                    return end
            elif verb in NOT_IMPLEMENTED:
                await self.reply("502 5.5.1 Error: command not implemented")
            else:
                await self.reply("500 5.5.2 Error: command not recognized")

    def note_command(self, text):
        commands = self.record["commands"]
        if len(commands) < MAX_RECORDED_COMMANDS:
            commands.append({"phase": self.phase, "command": text[:512]})

    async def discard_rest_of_line(self):
        while True:
            piece = await self.chan.readline(MAX_COMMAND_LINE)
            if piece is None or piece.endswith(b"\n"):
                return

    async def reply(self, *lines):
        """Send one reply; several lines make a multiline reply."""
        if self.behaviour.slow:
            await asyncio.sleep(self.peer.delay)
        wire = b"".join(
            (line[:3] + ("-" if i < len(lines) - 1 else " ") + line[4:]).encode()
            + b"\r\n" for i, line in enumerate(lines))
        await self.chan.write(wire)

    def reset_transaction(self):
        self.mail_from = None
        self.mail_params = []
        self.rcpts = []

    # SMTP commands.  A handler returns None to go on, or why the session ends.

    async def smtp_ehlo(self, arg):
        if not arg:
            return await self.reply("501 5.5.4 Syntax: EHLO hostname")
        self.helo = self.record["helo"] = arg
        self.reset_transaction()
        host = self.peer.hostname
        if self.behaviour.malformed_ehlo and self.chan.tls is None:
            # A continuation line without a code, and a last line whose code
            # differs from the first.  Written raw: reply() would fix it up.
            return await self.chan.write(
                f"250-{host}\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                f"ENHANCEDSTATUSCODES\r\n250-SIZE {MAX_MESSAGE_SIZE}\r\n"
                f"251 STARTTLS\r\n".encode())
        lines = [f"250 {host}", "250 PIPELINING", f"250 SIZE {MAX_MESSAGE_SIZE}",
                 "250 8BITMIME", "250 ENHANCEDSTATUSCODES"]
        if self.chan.tls is None and self.behaviour.offer_starttls:
            lines.append("250 STARTTLS")
        if self.chan.tls is not None:
            lines.append("250 REQUIRETLS")
            if self.behaviour.auth:
                lines.append("250 AUTH PLAIN LOGIN")
        await self.reply(*lines)

    async def smtp_helo(self, arg):
        if not arg:
            return await self.reply("501 5.5.4 Syntax: HELO hostname")
        self.helo = self.record["helo"] = arg
        self.reset_transaction()
        await self.reply(f"250 {self.peer.hostname}")

    async def smtp_starttls(self, arg):
        self.record["starttls"] = True
        if arg:
            return await self.reply("501 5.5.4 Syntax: STARTTLS")
        if self.chan.tls is not None:
            return await self.reply("503 5.5.1 Error: TLS already active")
        if self.behaviour.starttls_refusal:
            return await self.reply(self.behaviour.starttls_refusal)
        if self.chan.buf:
            # RFC 3207 §4.2 / CVE-2011-0411: plaintext pipelined after
            # STARTTLS must be discarded, never executed.  It was still sent
            # in the clear.
            pipelined = bytes(self.chan.buf)
            self.chan.buf.clear()
            self.record["pipelined_after_starttls"] = printable(pipelined)
            if re.search(rb"(?im)^MAIL\b", pipelined):
                self.record["cleartext_mail"] = True
        if self.behaviour.handshake == "garbage":
            await self.reply("220 2.0.0 Ready to start TLS")
            return await self.answer_handshake_with_garbage()
        if self.behaviour.handshake == "inject":
            # One write, so the injected reply shares the 220's segment.
            await self.chan.write(b"220 2.0.0 Ready to start TLS\r\n" + INJECTED_REPLY)
            self.record["injection_consumed"] = False
        else:
            await self.reply("220 2.0.0 Ready to start TLS")
        try:
            tls = await self.chan.start_tls(self.peer.tls_context)
        except (ssl.SSLError, HandshakeEOF, asyncio.TimeoutError) as err:
            self.record["tls_error"] = str(err) or type(err).__name__
            if self.behaviour.handshake == "inject":
                self.record["injection_consumed"] = choked_on_injection(
                    err, self.chan.handshake_bytes > 0)
            return "tls-failed"
        self.record.update(tls=True, tls_version=tls.version(), cipher=tls.cipher()[0],
                           sni=getattr(tls, "sni", None))
        self.helo = None            # RFC 3207 §4.2: forget what the client said
        self.authenticated = False
        self.reset_transaction()
        self.injection_pending = self.behaviour.handshake == "inject"

    async def answer_handshake_with_garbage(self):
        """Read the ClientHello, then answer it with bytes that are not TLS."""
        hello = b""
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        while len(hello) < 5 or len(hello) < 5 + int.from_bytes(hello[3:5], "big"):
            remaining = deadline - time.monotonic()
            try:
                chunk = await self.chan.read_raw(remaining) if remaining > 0 else b""
            except asyncio.TimeoutError:
                chunk = b""
            if not chunk:
                break
            hello += chunk
        is_hello, sni = parse_client_hello(hello)
        self.record["sni"] = sni
        self.record["tls_error"] = ("sent garbage instead of a ServerHello" if is_hello
                                    else "no ClientHello received")
        await self.chan.write_raw(GARBAGE)
        return "broken-handshake"

    async def injected_reply_consumed(self):
        """inject-after-220: before answering the first command after TLS,
        wait a moment.  A client that sends another command, or hangs up,
        before that reply came took the injected plaintext '250' for it
        (CVE-2011-0411 in the client direction)."""
        self.injection_pending = False
        if self.chan.buf:
            return True
        try:
            return not await self.chan.fill(INJECTION_WINDOW) or bool(self.chan.buf)
        except asyncio.TimeoutError:
            return False

    async def smtp_mail(self, arg):
        if self.helo is None:
            return await self.reply("503 5.5.1 Error: send HELO/EHLO first")
        if self.mail_from is not None:
            return await self.reply("503 5.5.1 Error: nested MAIL command")
        if self.behaviour.auth and not self.authenticated:
            return await self.reply("530 5.7.0 Authentication required")
        match = MAIL_RE.match(arg)
        if not match:
            return await self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
        params = (match.group(2) or "").split()
        for param in params:
            refusal = self.check_mail_param(param)
            if refusal:
                return await self.reply(refusal)
        self.mail_from, self.mail_params = match.group(1), params
        await self.reply("250 2.1.0 Ok")

    async def smtp_auth(self, arg):
        """AUTH PLAIN and LOGIN (RFC 4954, RFC 4616) for the auth behaviour:
        offered and accepted only inside TLS; every attempt is recorded as
        {phase, mechanism, user, ok}.  Other behaviours: 502, as before."""
        if not self.behaviour.auth:
            return await self.reply("502 5.5.1 Error: command not implemented")
        if self.helo is None:
            return await self.reply("503 5.5.1 Error: send HELO/EHLO first")
        if self.authenticated:
            return await self.reply("503 5.5.1 Error: already authenticated")
        if self.mail_from is not None:
            return await self.reply("503 5.5.1 Error: MAIL transaction in progress")
        mechanism, _, initial = arg.partition(" ")
        mechanism, initial = mechanism.upper(), initial.strip()
        entry = {"phase": self.phase, "mechanism": mechanism, "user": None,
                 "ok": False}
        self.record["auth"].append(entry)
        if self.chan.tls is None:
            return await self.reply("538 5.7.11 Encryption required for "
                                    "requested authentication mechanism")
        if mechanism == "PLAIN":
            if not initial:
                await self.reply("334 ")
                initial = await self.auth_response()
            decoded = self.auth_decode(initial)
            parts = decoded.split(b"\0") if decoded is not None else []
            if len(parts) != 3:
                return await self.auth_malformed(initial)
            user, password = parts[1], parts[2]
        elif mechanism == "LOGIN":
            if not initial:
                await self.reply("334 VXNlcm5hbWU6")      # "Username:"
                initial = await self.auth_response()
            user = self.auth_decode(initial)
            if user is None:
                return await self.auth_malformed(initial)
            await self.reply("334 UGFzc3dvcmQ6")          # "Password:"
            answer = await self.auth_response()
            password = self.auth_decode(answer)
            if password is None:
                return await self.auth_malformed(answer)
        else:
            return await self.reply("504 5.5.4 Unrecognized authentication type")
        entry["user"] = user.decode("utf-8", "backslashreplace")
        entry["ok"] = user == AUTH_USER and password == AUTH_PASSWORD
        if not entry["ok"]:
            return await self.reply("535 5.7.8 Authentication credentials invalid")
        self.authenticated = True
        await self.reply("235 2.7.0 Authentication successful")

    async def auth_response(self):
        """The client's next line in an AUTH exchange, without CRLF; None at
        end of stream.  Not recorded as a command."""
        line = await self.chan.readline(MAX_COMMAND_LINE)
        if line is None:
            return None
        return line.rstrip(b"\r\n").decode("ascii", "replace")

    @staticmethod
    def auth_decode(text):
        if text is None or text == "*":
            return None
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None

    async def auth_malformed(self, text):
        if text is None:
            return "eof"
        if text == "*":
            return await self.reply("501 5.7.0 Authentication aborted")
        return await self.reply("501 5.5.2 Cannot decode the AUTH response")

    def check_mail_param(self, param):
        """None if the MAIL parameter is fine, else the reply refusing it.
        Only what EHLO advertised is accepted."""
        key, _, value = param.partition("=")
        key = key.upper()
        if key == "SIZE":
            if not value.isdigit():
                return "501 5.5.4 Bad SIZE parameter"
            if int(value) > MAX_MESSAGE_SIZE:
                return "552 5.3.4 Message size exceeds fixed limit"
            return None
        if key == "BODY" and value.upper() in ("7BIT", "8BITMIME"):
            return None
        if key == "REQUIRETLS" and not value and self.chan.tls is not None:
            return None
        return f"555 5.5.4 Unsupported option: {param}"

    async def smtp_rcpt(self, arg):
        if self.mail_from is None:
            return await self.reply("503 5.5.1 Error: need MAIL command")
        match = RCPT_RE.match(arg)
        if not match or not match.group(1):
            return await self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
        if match.group(2):
            return await self.reply(f"555 5.5.4 Unsupported option: {match.group(2)}")
        if self.behaviour.rcpt_reply:
            return await self.reply(self.behaviour.rcpt_reply)
        if self.behaviour.rcpt_by_local:
            for prefix, refusal in RCPT_BY_LOCAL:
                if match.group(1).lower().startswith(prefix):
                    return await self.reply(refusal)
        if len(self.rcpts) >= MAX_RECIPIENTS:
            return await self.reply("452 4.5.3 Error: too many recipients")
        self.rcpts.append(match.group(1))
        await self.reply("250 2.1.5 Ok")

    async def smtp_data(self, arg):
        if arg:
            return await self.reply("501 5.5.4 Syntax: DATA")
        if self.mail_from is None:
            return await self.reply("503 5.5.1 Error: need MAIL command")
        if not self.rcpts:
            return await self.reply("554 5.5.1 Error: no valid recipients")
        await self.reply("354 End data with <CR><LF>.<CR><LF>")
        received = await self.read_message()
        if received is None:
            return "eof"
        message, size = received
        if size > MAX_MESSAGE_SIZE:
            await self.reply("552 5.3.4 Message size exceeds fixed limit")
        elif self.behaviour.data_reply:
            await self.reply(self.behaviour.data_reply)
        else:
            number = self.peer.store(message, self.envelope(message))
            self.record["messages"] += 1
            await self.reply(f"250 2.0.0 Ok: queued as {number}")
        self.reset_transaction()

    async def read_message(self):
        """(content, size) of the message up to <CRLF>.<CRLF>, dot-unstuffed;
        None at end of stream.  Content past the size limit is counted, not
        kept."""
        content = bytearray()
        size = 0
        tail = b"\r\n"          # last two bytes received, DATA's own CRLF
        while True:
            piece = await self.chan.readline(READ_SIZE)
            if piece is None:
                return None
            if tail == b"\r\n" and piece == b".\r\n":
                return bytes(content), size
            data = piece[1:] if tail.endswith(b"\n") and piece.startswith(b".") \
                else piece
            size += len(data)
            if size <= MAX_MESSAGE_SIZE:
                content += data
            tail = (tail + piece)[-2:]

    def envelope(self, message):
        lines = message.split(b"\n")[:-1]
        return {
            "mail_from": self.mail_from,
            "mail_params": self.mail_params,
            "requiretls": any(p.upper() == "REQUIRETLS" for p in self.mail_params),
            "rcpts": self.rcpts,
            "helo": self.helo,
            "tls": self.chan.tls is not None,
            "tls_version": self.record["tls_version"],
            "cipher": self.record["cipher"],
            "sni": self.record["sni"],
            "size": len(message),
            "bare_lf": any(not line.endswith(b"\r") for line in lines),
            "bare_cr": b"\r" in message.replace(b"\r\n", b""),
            "behaviour": self.peer.name,
            "listen": self.record["listen"],
            "peer": self.record["peer"],
            "time": utc_now(),
        }

    async def smtp_rset(self, arg):
        self.reset_transaction()
        await self.reply("250 2.0.0 Ok")

    async def smtp_noop(self, arg):
        await self.reply("250 2.0.0 Ok")

    async def smtp_quit(self, arg):
        await self.reply("221 2.0.0 Bye")
        return "quit"


class Peer:
    """The listening side: shared configuration, the record directory, the
    running sessions."""

    def __init__(self, args, tls_context):
        self.name = args.behaviour
        self.behaviour = BEHAVIOURS[args.behaviour]
        self.hostname = args.hostname
        self.delay = args.delay
        self.record_dir = args.record
        self.mail_dir = os.path.join(args.record, "mail")
        os.makedirs(self.mail_dir, exist_ok=True)
        self.next_message = 1 + max(
            (int(name[:-4]) for name in os.listdir(self.mail_dir)
             if name.endswith(".eml") and name[:-4].isdigit()), default=0)
        self.events = open(os.path.join(args.record, "events.jsonl"), "a",
                           encoding="utf-8")
        self.sessions = set()
        self.tls_context = tls_context

    async def handle(self, reader, writer):
        listen = format_address(writer.get_extra_info("sockname"))
        client = format_address(writer.get_extra_info("peername"))
        task = asyncio.current_task()
        self.sessions.add(task)
        try:
            await Session(self, Channel(reader, writer, IDLE_TIMEOUT),
                          listen, client).run()
        finally:
            self.sessions.discard(task)

    def write_event(self, record):
        self.events.write(json.dumps(record) + "\n")
        self.events.flush()

    def store(self, message, envelope):
        """Write message and envelope; return the message number.  The JSON
        sidecar appears (atomically) only after the .eml is complete."""
        number = self.next_message
        self.next_message += 1
        base = os.path.join(self.mail_dir, str(number))
        with open(base + ".eml", "wb") as f:
            f.write(message)
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(dict(envelope, n=number), f, indent=1)
            f.write("\n")
        os.rename(base + ".json.tmp", base + ".json")
        return number

    async def shutdown(self):
        for task in list(self.sessions):
            task.cancel()
        await asyncio.gather(*self.sessions, return_exceptions=True)
        self.events.close()


def make_tls_context(cert, key):
    """Server context, TLS 1.2 or later, remembering the client's SNI on
    the SSLObject as .sni."""
    def remember_sni(tls, server_name, _context):
        tls.sni = server_name

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.sni_callback = remember_sni
    return context


async def serve(args, tls_context):
    peer = Peer(args, tls_context)
    servers = [await asyncio.start_server(peer.handle, addr, port,
                                          reuse_address=True, backlog=512)
               for addr, port in args.listen]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    # Written once every listener is bound; port 0 shows here as the real port.
    ready = os.path.join(args.record, "ready")
    with open(ready + ".tmp", "w", encoding="utf-8") as f:
        for server in servers:
            for sock in server.sockets:
                f.write(format_address(sock.getsockname()) + "\n")
    os.rename(ready + ".tmp", ready)

    await stop.wait()
    for server in servers:
        server.close()
    await peer.shutdown()
    os.unlink(ready)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Scripted SMTP peer for sealpost's test network.")
    parser.add_argument("--behaviour", required=True, choices=sorted(BEHAVIOURS))
    parser.add_argument("--listen", required=True, action="append",
                        type=parse_listen, metavar="ADDR:PORT",
                        help="numeric address, IPv6 as [ADDR]:PORT; repeatable")
    parser.add_argument("--cert", metavar="CHAIN.pem",
                        help="server certificate chain, leaf first")
    parser.add_argument("--key", metavar="KEY.pem")
    parser.add_argument("--record", required=True, metavar="DIR",
                        help="where events.jsonl and mail/ are written")
    parser.add_argument("--hostname", required=True,
                        help="name in the banner and EHLO reply")
    parser.add_argument("--delay", type=float, default=30.0, metavar="SECONDS",
                        help="reply delay of the slow behaviour (default 30)")
    args = parser.parse_args(argv)
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")
    if BEHAVIOURS[args.behaviour].needs_certificate and not args.cert:
        parser.error(f"behaviour {args.behaviour} needs --cert and --key")
    return args


def main(argv=None):
    args = parse_args(argv)
    tls_context = None
    if args.cert:
        try:
            tls_context = make_tls_context(args.cert, args.key)
        except (OSError, ssl.SSLError) as err:
            print(f"peer.py: cannot load {args.cert} and {args.key}: {err}",
                  file=sys.stderr)
            return 1
    os.makedirs(args.record, exist_ok=True)
    try:
        asyncio.run(serve(args, tls_context))
    except (OSError, ssl.SSLError) as err:
        print(f"peer.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
