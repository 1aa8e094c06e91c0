"""SMTP Observer: a simplified SMTP server that shows what a mail client says and sends.

Run ``python smtp_observer.py`` and point a mail client (Outlook, Foxmail, Thunderbird) at
127.0.0.1. The window shows the SMTP dialogue and the decoded mail; ``--no-gui`` prints the
same as a transcript and ``--jsonl`` as JSON Lines. Mail is never stored or forwarded.

The module has three layers, each usable without the next:

* events (events.py): small frozen dataclasses, the only thing the server tells the world;
* ``SMTPSession``: the protocol as a state machine, bytes in and reply bytes out, no socket;
* ``ObserverServer``: a ``socketserver.TCPServer`` serving one client at a time in a thread.

It never imports tkinter at module level: the GUI (gui.py) is loaded only when the window is
wanted, and it never imports this module (run as a script, this module is ``__main__``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import functools
import io
import itertools
import json
import multiprocessing
import os
import queue
import re
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import command_line
import explain
import explain_pop3
import lan
import pop3
import preflight
import sasl
import stopping
import words
from events import (AUTH_CHALLENGE, PROTOCOL_POP3, PROTOCOL_SMTP, STATE_DONE, CommandReceived,
                    Connected, DataReceived, Disconnected, DisconnectReason, Envelope, Listening,
                    MessageReceived, Note, Outbox, POP3Reply, Remark, RemarkKind, ReplySent,
                    ServerError, ServerEvent, TLSStarted, reply_wire_lines)
from explain import Text
from lines import LineTooLong, take_line
from words import Labels

if __name__ == "__main__":  # the decoder needs Pillow: say how to install it, not a traceback
    preflight.require_pillow()

import decoder  # noqa: E402

# --------------------------------------------------------------------------------------------
# The protocol

# RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF; RFC 4954 4 lets an
# AUTH line (initial response or continuation) carry up to 12,288.
COMMAND_LINE_LIMIT = 512
AUTH_LINE_LIMIT = 12288
TEXT_LINE_LIMIT = 998  # RFC 5322 2.1.1 / RFC 5321 4.5.3.1.6, without the CRLF
MAX_RECIPIENTS = 100  # RFC 5321 4.5.3.1.8: a server must accept at least 100
MAX_ERRORS = 20  # as Postfix's smtpd_hard_error_limit: then 421 and close
# As Postfix's smtpd_junk_command_limit: past this many NOOP, RSET, VRFY and HELP without a
# message delivered, each one more counts as an error (so 20 more close the connection).
JUNK_COMMAND_LIMIT = 100
JUNK_COMMANDS = frozenset({"NOOP", "RSET", "VRFY", "HELP"})
# Deadlines, as Postfix's smtpd_per_request_deadline: the timeout covers sending a reply and
# receiving the whole next command, however the bytes trickle in; DATA gets one more second
# per MIN_DATA_RATE octets received (Postfix's smtpd_min_data_rate). While another client
# waits for the only slot, the timeout is STRESS_TIMEOUT, as Postfix's under stress
# (STRESS_README), so that a waiting Outlook gets its 220 within its one-minute timeout.
MIN_DATA_RATE = 500  # octets per second
STRESS_TIMEOUT = 10.0  # seconds
WAITING_CLIENT_POLL = 1.0  # seconds between looks at the listen backlog while a client idles
DEFAULT_MAX_SIZE = 32 * 1024 * 1024
MIB = 1024 * 1024
DEFAULT_MEMORY_LIMIT_MB = 512  # of mail content the window holds (gui_list.DEFAULT_MEMORY_LIMIT)
DEFAULT_TIMEOUT = 300.0  # RFC 5321 4.5.3.2.7: the server timeout is at least 5 minutes
DEFAULT_DELAY = 3.0
# Parsing a 20 MB message with the email package holds the GIL in single C calls of up to 40
# ms and froze the window for 80-190 ms (shared/docs/tk-performance.md 5); a 1 MB message in a
# thread froze it for 6 ms, less than handing the message to a child process costs.
WINDOW_DECODE_IN_CHILD_FROM = 1024 * 1024
# How long stop() waits for the server thread to end after it has cut off the client.
STOP_WAIT = 5.0
TOO_LARGE_SCENARIO_SIZE = 10240  # the SIZE the "too-large" scenario advertises
DROP_IN_DATA_AFTER = 1024  # octets of DATA the "drop-in-data" scenario reads before it hangs up

END_OF_DATA = b"\r\n.\r\n"

# Challenges Thunderbird and Outlook compare byte for byte (base64 of "Username:", "Password:").
AUTH_LOGIN_USERNAME = "VXNlcm5hbWU6"
AUTH_LOGIN_PASSWORD = "UGFzc3dvcmQ6"

UNIMPLEMENTED_COMMANDS = frozenset({"BDAT", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML"})
# Every code a reply of this server can carry; explain.py has an entry for each.
SERVER_REPLY_CODES = frozenset(
    {214, 220, 221, 235, 250, 252, 334, 354, 421, 450, 451, 452, 500, 501, 502, 503, 504, 530,
     550, 552, 555})
MAIL_PARAMETERS = frozenset({"SIZE", "BODY", "SMTPUTF8", "AUTH"})
# Mechanisms real clients try first when the server offers them; named in the 504 remark.
WINDOWS_INTEGRATED_MECHANISMS = frozenset({"NTLM", "GSSAPI", "MSN"})

# Each line carries 2.0.0: RFC 2034 wants the enhanced code on every line of a 2yz reply.
HELP_LINES = (
    "2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP AUTH",
    "2.0.0 HELO|EHLO <your name>    MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME]",
    "2.0.0 RCPT TO:<address>        DATA (end the message with a line holding only '.')",
    "2.0.0 AUTH PLAIN|LOGIN         RSET  NOOP  QUIT  VRFY <user>  HELP",
)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int | None = None  # None: 25, falling back to 2525
    hostname: str = "smtp-observer"
    max_size: int = DEFAULT_MAX_SIZE
    timeout: float = DEFAULT_TIMEOUT
    decode: bool = True
    scenarios: tuple[str, ...] = ()  # lab scenarios (names of explain.SCENARIOS)
    delay: float = DEFAULT_DELAY  # seconds each reply waits in the "slow" scenario
    tls_context: ssl.SSLContext | None = None  # STARTTLS is offered only with one
    # Messages of at least this many octets are decoded in a child process, None: never. The
    # window needs it (its Tk thread would wait for the GIL); headless, a thread costs less.
    decode_in_child_from: int | None = None
    serve_pop3: bool = False  # the command line does, unless --no-pop3
    pop3_port: int | None = None  # None: 110, falling back to 1110
    pop3_timeout: float = pop3.AUTOLOGOUT
    # The maildrop's octets; with a window, never more than its --memory-limit (same process).
    maildrop_octets: int = pop3.MAILDROP_OCTETS


class Reply:
    """A reply as the server sends it: code and text lines (the wire form has the code on each)."""

    __slots__ = ("code", "lines")

    def __init__(self, code: int, *lines: str) -> None:
        self.code = code
        self.lines = lines

    def wire(self) -> bytes:
        return "".join(line + "\r\n" for line in reply_wire_lines(
            self.code, self.lines)).encode("utf-8")


_ADDRESS_RE = re.compile(
    r"""<(?:@[^:<>\s]+:)?                        # an obsolete source route, ignored (RFC 5321 C)
        (?P<address>"(?:[^"\\\r\n]|\\.)*"@[^<>\s]+  # a quoted local part may hold spaces
                   |[^<>\s"]*)>$""", re.VERBOSE)
_MAILBOX_RE = re.compile(r"""^(?:"(?:[^"\\\r\n]|\\.)*"|[^@"\s<>()\[\],;:\\]+)@[^@\s<>()\\,;:"]+$""")


def _parse_path(text: str) -> tuple[str | None, str, bool]:
    """Split ``<addr> PARAMS`` into (address or None if malformed, params, had brackets)."""
    text = text.strip()
    if not text.startswith("<"):
        address, _, params = text.partition(" ")
        return address or None, params, False
    end = text.find(">")
    if end < 0:
        return None, "", True
    match = _ADDRESS_RE.match(text[: end + 1])
    return (match["address"] if match else None), text[end + 1:], True


def _is_mailbox(address: str) -> bool:
    """A mailbox as RFC 5321 4.1.2 writes it; a control character (a NUL, an ESC) is no part
    of one, quoted or not, and the reply echoes the address."""
    return address.isprintable() and bool(_MAILBOX_RE.match(address))


# RFC 5321 4.1.1.1 and 2.3.5: a HELO/EHLO name is a fully qualified domain name, or else an
# address literal ("[192.0.2.1]", "[IPv6:...]").
_FQDN_RE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
                      r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?")
_ADDRESS_LITERAL_RE = re.compile(r"\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+|"
                                 r"[A-Za-z0-9-]*[A-Za-z0-9]:[!-Z^-~]+)\]", re.IGNORECASE)


def _is_client_name(name: str) -> bool:
    return bool(_FQDN_RE.fullmatch(name) or _ADDRESS_LITERAL_RE.fullmatch(name))


PIPELINED_VERBS_SHOWN = 12  # runs of verbs a pipelining remark names; then "…(+n)"


def _verb_summary(verbs: list[str]) -> str:
    """Verbs in order, a run of one verb as "NOOP×9998", at most PIPELINED_VERBS_SHOWN runs:
    10,000 pipelined NOOPs made a 50 KB remark (reliability review F12)."""
    runs = [(verb, len(list(group))) for verb, group in itertools.groupby(verbs)]
    shown = [verb if count == 1 else f"{verb}×{count}"
             for verb, count in runs[:PIPELINED_VERBS_SHOWN]]
    rest = sum(count for _, count in runs[PIPELINED_VERBS_SHOWN:])
    return " ".join(shown) + (f" …(+{rest})" if rest else "")


def escape_line(line: bytes) -> str:
    """A received line for the transcript: UTF-8 as text, any other byte as \\xNN."""
    return line.decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class _Transaction:
    mail_from: str
    mail_params: tuple[str, ...]
    body_8bit: bool
    declared_size: int | None
    rcpt_to: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CompletedMessage:
    """A message whose DATA has ended, waiting to be decoded once the reply has gone out."""

    envelope: Envelope
    raw: bytes
    complete: bool
    accepted: bool
    reason: Note | None  # why it was not accepted


class SMTPSession:
    """One client's SMTP session as a state machine: feed it bytes, send what it returns.

    It knows no socket: ``receive()`` takes whatever arrived (a command split across TCP
    segments, or many pipelined commands in one) and returns the reply bytes, one write for
    the whole batch. Events go to ``emit``. Finished messages wait in ``completed`` so the
    caller can send the 250 first and decode after.
    """

    def __init__(self, config: ServerConfig, number: int, peer: str,
                 emit: Callable[[ServerEvent], None]) -> None:
        self.config = config
        self.number = number
        self.peer = peer
        self._emit = emit
        self.closed = False
        self.close_reason: DisconnectReason | None = None
        self.completed: list[CompletedMessage] = []
        self._buffer = bytearray()
        self._discarding_long_line = False
        self._bare_lf_noted = False
        self._helo: str | None = None
        self._esmtp = False
        self._authenticated = False
        self._auth_step: Callable[[str], Reply] | None = None
        self._transaction: _Transaction | None = None
        self._data: bytearray | None = None  # not None while in DATA
        self._data_dropped = 0  # octets of DATA discarded because they were over the limit
        self._data_scan = _DataScan()
        self._errors = 0
        self._outbox = Outbox(emit)
        self._verb = ""  # the verb of the command being answered
        self._junk_commands = 0  # since the last message delivered
        self.tls_active = False
        self.tls_requested = False  # the caller must start TLS after sending the replies
        self._commands = {name[5:].upper(): getattr(self, name)
                          for name in dir(self) if name.startswith("smtp_")}

    # -- helpers for events and replies

    def _event(self, cls: type[ServerEvent], **fields) -> None:
        self._emit(cls(session=self.number, time=time.time(), **fields))

    def remark(self, kind: RemarkKind, secret: str | None = None, **values: object) -> None:
        self._event(Remark, kind=kind, values=values, secret=secret)

    @property
    def state(self) -> str:
        """Where the session is, as the state strip shows it (one of PROTOCOL_STATES)."""
        if self.closed:
            return STATE_DONE
        if self._data is not None:
            return "data"
        if self._transaction is not None:
            return "rcpt" if self._transaction.rcpt_to else "mail"
        return "connected" if self._helo is None else "greeted"

    def _send(self, reply: Reply) -> bytes:
        """The bytes of one write: the reply, and the 421 after too many errors. Their events
        wait in the outbox until the caller has written the bytes (replies_written)."""
        replies = [reply]
        self._outbox.compose(self._reply_event(reply))
        # 452 "too many recipients" is the client's cue to send the rest later (RFC 5321
        # 4.5.3.1.10), not an error of its own.
        if reply.code not in (421, 452) and (reply.code >= 400 or self._junk_over_limit()):
            self._errors += 1
            if self._errors >= MAX_ERRORS:
                replies.append(self._close(
                    Reply(421, f"4.7.0 {self.config.hostname} Too many errors, closing"),
                    DisconnectReason.TOO_MANY_ERRORS))
                self._outbox.compose(self._reply_event(replies[-1]), same_write=True)
        return b"".join(each.wire() for each in replies)

    def _reply_event(self, reply: Reply) -> Callable[[float], ReplySent]:
        """The reply's event, but for the time it leaves (the state is the one it brings)."""
        return functools.partial(ReplySent, session=self.number, code=reply.code,
                                 lines=reply.lines, state=self.state)

    def replies_written(self, writes: int | None = None) -> None:
        """The bytes of the first ``writes`` writes (None: all) went out: record them now."""
        self._outbox.written(writes)

    def _junk_over_limit(self) -> bool:
        """Whether the command being answered is junk beyond JUNK_COMMAND_LIMIT."""
        if self._verb not in JUNK_COMMANDS:
            return False
        self._junk_commands += 1
        if self._junk_commands == JUNK_COMMAND_LIMIT + 1:
            self.remark(RemarkKind.JUNK_COMMANDS, limit=JUNK_COMMAND_LIMIT, errors=MAX_ERRORS)
        return self._junk_commands > JUNK_COMMAND_LIMIT

    def _close(self, reply: Reply, reason: DisconnectReason) -> Reply:
        self.closed = True
        self.close_reason = reason
        return reply

    # -- what the connection calls

    def _scenario(self, name: str) -> bool:
        return name in self.config.scenarios

    @property
    def max_size(self) -> int:
        return TOO_LARGE_SCENARIO_SIZE if self._scenario("too-large") else self.config.max_size

    def greeting(self) -> bytes:
        self._event(Connected, peer=self.peer)
        if self.config.scenarios:
            self.remark(RemarkKind.SCENARIO_IN_FORCE, names=", ".join(self.config.scenarios))
        if self._scenario("busy"):
            # A greeting carries no enhanced status code (RFC 2034).
            return self._send(self._close(Reply(
                421, f"{self.config.hostname} Service not available: busy (lab scenario busy), "
                "try again later"), DisconnectReason.SCENARIO))
        return self._send(Reply(220, f"{self.config.hostname} ESMTP SMTP Observer ready"))

    def receive(self, chunk: bytes) -> list[bytes]:
        """Take bytes from the client; return the replies to send, in order, one item each."""
        self._buffer += chunk
        if self._data is None:
            self._remark_on_pipelining()
        replies = []
        while self._buffer and not self.closed:
            if self._data is not None:
                if not self._take_data():
                    break
                replies.append(self._send(self._end_data()))
                continue
            line = self._take_line()
            if line is None:
                break
            replies.append(self._send(self._reply_to(line)))
        return replies

    def _remark_on_pipelining(self) -> None:
        """Name the commands that arrived together, before their replies went out."""
        verbs = []
        for line in bytes(self._buffer).split(b"\n")[:-1]:
            verbs.append(escape_line(line.split(b" ", 1)[0].strip().upper()))
            if verbs[-1] == "DATA":
                break  # what follows DATA is message data, sent after the 354
        if len(verbs) < 2 or self._auth_step is not None:
            return
        advertised = self._esmtp and not self._scenario("no-pipelining")
        self.remark(RemarkKind.PIPELINED if advertised else RemarkKind.PIPELINED_UNADVERTISED,
                    count=len(verbs), verbs=_verb_summary(verbs), saved=len(verbs) - 1)

    def tls_started(self, version: str, cipher: str) -> None:
        self.tls_active = True
        self._event(TLSStarted, version=version, cipher=cipher)

    def tls_failed(self, error: str) -> None:
        self.remark(RemarkKind.TLS_FAILED, error=error)
        self.closed = True
        self.close_reason = DisconnectReason.TLS_FAILED

    def timed_out(self, client_waiting: bool = False) -> bytes:
        """The deadline passed; `client_waiting`: it was the short one, as another client waits."""
        if self._data is not None:  # keep what arrived, as when the connection drops
            self._finish_data(complete=False)
        if client_waiting:
            self.remark(RemarkKind.CLIENT_WAITING, seconds=f"{STRESS_TIMEOUT:g}")
            return self._send(self._close(Reply(
                421, f"4.4.2 {self.config.hostname} Timeout: another client is waiting, closing"),
                DisconnectReason.TIMEOUT))
        return self._send(self._close(
            Reply(421, f"4.4.2 {self.config.hostname} Idle timeout, closing"),
            DisconnectReason.TIMEOUT))

    def connection_lost(self, reason: DisconnectReason) -> None:
        """The connection ended without QUIT: keep whatever part of a message had arrived."""
        if self._data is not None:
            self._finish_data(complete=False)
        self.closed = True
        self.close_reason = self.close_reason or reason

    # -- command lines

    def _line_limit(self) -> int:
        if self._auth_step is not None or self._buffer[:5].upper() == b"AUTH ":
            return AUTH_LINE_LIMIT
        return COMMAND_LINE_LIMIT

    def _take_line(self) -> bytes | LineTooLong | None:
        """Cut one line off the buffer; None when it is incomplete. Drains over-long lines."""
        line, self._discarding_long_line = take_line(self._buffer, self._line_limit(),
                                                     self._discarding_long_line)
        if not isinstance(line, bytes):
            return line
        if line.endswith(b"\r"):
            return line[:-1]
        if not self._bare_lf_noted:
            self._bare_lf_noted = True
            self.remark(RemarkKind.BARE_LF_COMMAND)
        return line

    def _reply_to(self, line: bytes | LineTooLong) -> Reply:
        self._verb = ""
        if isinstance(line, LineTooLong):
            self._event(CommandReceived, line=f"<a line longer than {line.limit} octets>",
                        answers_challenge=self._auth_step is not None)
            if self._auth_step is not None:  # RFC 4954 4: the exchange ends here
                self._auth_step = None
                return Reply(500, "5.5.6 Authentication exchange line is too long")
            return Reply(500, "5.5.2 Line too long")
        text = escape_line(line)
        self._event(CommandReceived, line=text, answers_challenge=self._auth_step is not None)
        try:
            if self._auth_step is not None:
                step, self._auth_step = self._auth_step, None
                return step(text)
            verb, _, arg = text.partition(" ")
            self._verb = verb.upper()
            handler = self._commands.get(verb.upper())
            if handler is not None:
                return handler(arg.strip())
            if verb.upper() in UNIMPLEMENTED_COMMANDS:
                return Reply(502, f"5.5.1 {verb.upper()} is not implemented here")
            return Reply(500, "5.5.2 Command not recognized")
        except Exception as exc:  # a bug here must cost one reply, not the session
            self._event(ServerError, kind=RemarkKind.COMMAND_FAILED,
                        values={"error": f"{type(exc).__name__}: {exc}", "line": text[:80]})
            return Reply(451, "4.3.0 Internal server error, please retry")

    # -- session commands

    def _greeted(self, arg: str, *, esmtp: bool) -> str | None:
        """The greeting for a valid HELO/EHLO name (the reply echoes it: no control bytes)."""
        if not arg or not arg.isprintable():
            return None
        if not _is_client_name(arg):
            self.remark(RemarkKind.HELO_NAME, verb="EHLO" if esmtp else "HELO", name=arg)
        self._helo = arg
        self._esmtp = esmtp
        self._transaction = None
        return f"{self.config.hostname} Hello {arg}"

    def smtp_HELO(self, arg: str) -> Reply:
        greeting = self._greeted(arg, esmtp=False)
        if greeting is None:
            return Reply(501, "Syntax: HELO hostname")
        return Reply(250, greeting)

    def smtp_EHLO(self, arg: str) -> Reply:
        greeting = self._greeted(arg, esmtp=True)
        if greeting is None:
            return Reply(501, "Syntax: EHLO hostname")
        return Reply(250, greeting, *self._extensions())

    def _extensions(self) -> list[str]:
        """The EHLO keywords: what is implemented, less what the lab scenarios hide."""
        keywords = [] if self._scenario("no-8bitmime") else ["8BITMIME"]
        keywords.append(f"SIZE {self.max_size}")
        if not self._scenario("no-pipelining"):
            keywords.append("PIPELINING")
        if not self._scenario("no-8bitmime"):  # RFC 6531 3.1: SMTPUTF8 needs 8BITMIME
            keywords.append("SMTPUTF8")
        keywords.append("ENHANCEDSTATUSCODES")
        if self.config.tls_context is not None and not self.tls_active:
            keywords.append("STARTTLS")
        if not self._scenario("no-auth"):
            keywords += ["AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN"]
        return [*keywords, "HELP"]

    def smtp_STARTTLS(self, arg: str) -> Reply:
        if self.config.tls_context is None:
            return Reply(502, "5.5.1 STARTTLS is not offered (start the observer "
                         "with --tls-cert and --tls-key)")
        if arg:
            return Reply(501, "5.5.4 Syntax: STARTTLS")
        if self.tls_active:
            return Reply(503, "5.5.1 TLS is already active")
        if self._buffer:
            self.remark(RemarkKind.TLS_INJECTION, octets=len(self._buffer))
            del self._buffer[:]
        # RFC 3207 4.2: after TLS starts, the session begins again, EHLO included.
        self._helo, self._esmtp, self._authenticated, self._transaction = None, False, False, None
        self.tls_requested = True
        return Reply(220, "2.0.0 Ready to start TLS")

    def smtp_NOOP(self, arg: str) -> Reply:
        return Reply(250, "2.0.0 OK")

    def smtp_RSET(self, arg: str) -> Reply:
        if arg:
            return Reply(501, "5.5.4 Syntax: RSET")
        self._transaction = None
        return Reply(250, "2.0.0 OK")

    def smtp_QUIT(self, arg: str) -> Reply:
        return self._close(Reply(221, f"2.0.0 {self.config.hostname} closing connection"),
                           DisconnectReason.QUIT)

    def smtp_VRFY(self, arg: str) -> Reply:
        if not arg:
            return Reply(501, "5.5.4 Syntax: VRFY <address>")
        return Reply(252, "2.5.0 Cannot VRFY user, but will accept the message")

    def smtp_EXPN(self, arg: str) -> Reply:
        return Reply(502, "5.5.1 EXPN is not implemented here")

    def smtp_HELP(self, arg: str) -> Reply:
        return Reply(214, *HELP_LINES)

    # -- AUTH (RFC 4954): any credentials are accepted; the point is to see them

    def smtp_AUTH(self, arg: str) -> Reply:
        mechanism, _, initial = arg.partition(" ")
        mechanism = mechanism.upper()
        if self._scenario("no-auth"):
            return Reply(502, "5.5.1 AUTH is not offered (lab scenario no-auth)")
        if not self._esmtp:
            return Reply(503, "5.5.1 Send EHLO first")
        if self._authenticated:
            return Reply(503, "5.5.1 Already authenticated")
        if self._transaction is not None:
            return Reply(503, "5.5.1 AUTH is not allowed during a mail transaction")
        if mechanism == "PLAIN":
            return self._auth_plain(initial) if initial else self._challenge(
                "", self._auth_plain)
        if mechanism == "LOGIN":
            if initial:
                return self._auth_login_user(initial)
            return self._challenge(AUTH_LOGIN_USERNAME, self._auth_login_user)
        if not mechanism:
            return Reply(501, "5.5.4 Syntax: AUTH mechanism [initial-response]")
        if mechanism in WINDOWS_INTEGRATED_MECHANISMS:
            self.remark(RemarkKind.AUTH_INTEGRATED, mechanism=mechanism)
        return Reply(504, "5.5.4 Unrecognized authentication type")

    def _challenge(self, text: str, step: Callable[[str], Reply]) -> Reply:
        self._auth_step = step
        return Reply(AUTH_CHALLENGE, text)

    def _auth_cancelled_or_undecodable(self, response: str) -> Reply | None:
        if response.strip() == "*":
            return Reply(501, "5.7.0 Authentication cancelled")
        if sasl.decode_response(response) is None:
            return Reply(501, "5.5.2 Cannot decode the response (it must be base64)")
        return None

    def _auth_plain(self, response: str) -> Reply:
        refused = self._auth_cancelled_or_undecodable(response)
        if refused:
            return refused
        fields = sasl.decode_response(response).split(b"\x00")
        if len(fields) != 3:
            return Reply(501, "5.5.2 AUTH PLAIN wants authzid NUL user NUL password")
        return self._authenticated_as("PLAIN", fields[1], fields[2])

    def _auth_login_user(self, response: str) -> Reply:
        refused = self._auth_cancelled_or_undecodable(response)
        if refused:
            return refused
        user = sasl.decode_response(response)
        return self._challenge(AUTH_LOGIN_PASSWORD,
                               lambda reply: self._auth_login_password(user, reply))

    def _auth_login_password(self, user: bytes, response: str) -> Reply:
        refused = self._auth_cancelled_or_undecodable(response)
        if refused:
            return refused
        return self._authenticated_as("LOGIN", user, sasl.decode_response(response))

    def _authenticated_as(self, mechanism: str, user: bytes, password: bytes) -> Reply:
        self._authenticated = True
        secret = escape_line(password)
        self.remark(RemarkKind.AUTH_DECODED_IN_TLS if self.tls_active else RemarkKind.AUTH_DECODED,
                    secret=secret, mechanism=mechanism, user=escape_line(user),
                    masked="*" * len(secret), length=len(secret))
        return Reply(235, "2.7.0 Authentication successful")

    # -- the mail transaction

    def smtp_MAIL(self, arg: str) -> Reply:
        if self._helo is None:
            return Reply(503, "5.5.1 Send HELO/EHLO first")
        if self._transaction is not None:
            return Reply(503, "5.5.1 Nested MAIL command (send RSET first)")
        if self._scenario("require-auth") and not self._authenticated:
            return Reply(530, "5.7.0 Authentication required (lab scenario "
                         "require-auth)")
        path = self._strip_keyword(arg, "FROM:")
        if path is None:
            return Reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
        address, params, bracketed = _parse_path(path)
        if address is None or (address and not _is_mailbox(address)):
            return Reply(501, "5.1.7 Bad sender address syntax")
        if not bracketed:
            self._remark_missing_brackets("MAIL FROM", address)
        refusal, body_8bit, declared = self._check_mail_params(params.split())
        if refusal is not None:
            return refusal
        self._transaction = _Transaction(address, tuple(params.split()), body_8bit, declared)
        return Reply(250, f"2.1.0 Sender <{address}> OK")

    def _check_mail_params(self, params: list[str]) -> tuple[Reply | None, bool, int | None]:
        """Check MAIL parameters: (refusal or None, BODY=8BITMIME given, SIZE= value)."""
        body_8bit, declared = False, None
        for param in params:
            key, _, value = param.partition("=")
            key = key.upper()
            if not self._esmtp or key not in self._mail_parameters():
                return Reply(555, f"5.5.4 Unsupported parameter {key}"), False, None
            if key == "SIZE":
                if not (value.isascii() and value.isdigit()):
                    return Reply(501, "5.5.4 SIZE wants a number"), False, None
                declared = int(value)
                if declared > self.max_size:
                    return Reply(552, "5.3.4 Message size exceeds the limit of "
                                 f"{self.max_size} octets"), False, None
            elif key == "BODY":
                if value.upper() not in ("7BIT", "8BITMIME"):
                    return Reply(501, "5.5.4 BODY must be 7BIT or 8BITMIME"), False, None
                body_8bit = value.upper() == "8BITMIME"
        return None, body_8bit, declared

    def _mail_parameters(self) -> set[str]:
        """MAIL FROM parameters of the extensions advertised (RFC 1870, 6152, 6531, 4954)."""
        hidden = {"BODY": "no-8bitmime", "AUTH": "no-auth"}
        return {key for key in MAIL_PARAMETERS
                if key not in hidden or not self._scenario(hidden[key])}

    def smtp_RCPT(self, arg: str) -> Reply:
        if self._transaction is None:
            return Reply(503, "5.5.1 Need MAIL command first (RCPT before MAIL)")
        path = self._strip_keyword(arg, "TO:")
        if path is None:
            return Reply(501, "5.5.4 Syntax: RCPT TO:<address>")
        address, params, bracketed = _parse_path(path)
        if not address or not (_is_mailbox(address) or address.lower() == "postmaster"):
            return Reply(501, "5.1.3 Bad recipient address syntax")
        if params.strip():
            return Reply(555, f"5.5.4 Unsupported parameter {params.split()[0]}")
        if len(self._transaction.rcpt_to) >= MAX_RECIPIENTS:
            return Reply(452, "4.5.3 Too many recipients")
        if not bracketed:
            self._remark_missing_brackets("RCPT TO", address)
        if self._scenario("reject-recipient"):
            return Reply(550, f"5.1.1 <{address}>: no such user here (lab scenario "
                         "reject-recipient)")
        if self._scenario("defer-recipient"):
            return Reply(450, f"4.2.0 <{address}>: mailbox busy, try again later "
                         "(lab scenario defer-recipient)")
        self._transaction.rcpt_to.append(address)
        return Reply(250, f"2.1.5 Recipient <{address}> OK")

    def _strip_keyword(self, arg: str, keyword: str) -> str | None:
        """The path after "FROM:" or "TO:", or None when the keyword is not there."""
        if arg[: len(keyword)].upper() != keyword:
            return None
        path = arg[len(keyword):]
        if path[:1].isspace() and path.strip():
            verb = {"FROM:": "MAIL FROM", "TO:": "RCPT TO"}[keyword]
            self.remark(RemarkKind.SPACE_AFTER_COLON, command=verb)
        return path

    def _remark_missing_brackets(self, command: str, address: str) -> None:
        self.remark(RemarkKind.NO_BRACKETS, command=command, address=address)

    # -- DATA

    def smtp_DATA(self, arg: str) -> Reply:
        if arg:
            return Reply(501, "5.5.4 Syntax: DATA")
        if self._transaction is None:
            return Reply(503, "5.5.1 Need MAIL command first (DATA before MAIL)")
        if not self._transaction.rcpt_to:
            return Reply(503, "5.5.1 Need RCPT command first (DATA before RCPT)")
        # Start with the CRLF that ended the DATA line, so that an empty message (".") and a
        # dot-stuffed first line look like every other line: "\r\n." at a line start.
        self._data = bytearray(b"\r\n")
        self._data_dropped = 0
        self._data_scan = _DataScan()
        return Reply(354, "End data with <CR><LF>.<CR><LF>")

    def _take_data(self) -> bool:
        """Move buffered bytes into the message; True when the final "." has arrived."""
        data = self._data
        # The terminator may straddle two reads: look back over the bytes already taken.
        look_from = max(len(data) - len(END_OF_DATA) + 1, 0)
        data += self._buffer
        del self._buffer[:]
        # Base64 has no ".": looking for one (memchr) first is ten times faster than find().
        end = data.find(END_OF_DATA, look_from) if data.find(b".", look_from) >= 0 else -1
        if self._scenario("drop-in-data") and len(data) - 2 > DROP_IN_DATA_AFTER \
                and not 0 <= end - 2 <= DROP_IN_DATA_AFTER:
            self._drop_in_data(data)
            return False
        if end < 0:
            self._drop_data_over_limit(data)
            # What may be the start of the final "." stays unscanned, as look_from does.
            self._data_scan.scan(data, len(data) - len(END_OF_DATA) + 1)
            return False
        self._buffer[:0] = data[end + len(END_OF_DATA):]  # pipelined after the final "."
        del data[end + 2:]
        return True

    def _drop_data_over_limit(self, data: bytearray) -> None:
        """Past the size limit, keep counting but stop keeping: only the look-back tail stays."""
        tail = len(END_OF_DATA) - 1
        if self._data_dropped + len(data) - 2 > self.max_size:
            self._data_dropped += len(data) - tail
            del data[:-tail]
            self._data_scan = _DataScan()  # its offsets were into what is gone

    def _drop_in_data(self, data: bytearray) -> None:
        del data[2 + DROP_IN_DATA_AFTER:]
        self._data_scan = _DataScan()  # it may have counted beyond what is kept
        self.remark(RemarkKind.SCENARIO_DROP_IN_DATA, octets=DROP_IN_DATA_AFTER)
        self.connection_lost(DisconnectReason.SCENARIO)

    def _end_data(self) -> Reply:
        message = self._finish_data(complete=True)
        if not message.accepted:
            return Reply(552, f"5.3.4 {words.note_text(message.reason, 'en')}")
        self._junk_commands = 0  # as Postfix: the count starts again after mail is delivered
        return Reply(250, "2.0.0 OK: message received (not stored, not forwarded)")

    def _finish_data(self, *, complete: bool) -> CompletedMessage:
        data, self._data = self._data, None
        transaction, self._transaction = self._transaction, None
        size = self._data_dropped + len(data) - 2
        self._event(DataReceived, size=size, complete=complete)
        too_large = size > self.max_size
        scan = self._data_scan
        scan.scan(data, len(data))
        self._remark_on_stuffing(scan.stuffed_lines)
        raw = b"" if too_large else _unstuff(data, scan.stuffed_lines)
        del data  # the message is all that is kept: at most two copies of it at once
        if raw:
            self._remark_on_data(raw, scan, transaction)
        if transaction.declared_size is not None and complete:
            self._remark_on_declared_size(transaction.declared_size, len(raw) or size)
        reason = None
        if too_large:
            reason = Note(RemarkKind.MESSAGE_TOO_BIG, {"size": size, "limit": self.max_size})
        elif not complete:
            reason = Note(RemarkKind.MESSAGE_INCOMPLETE)
        envelope = Envelope(transaction.mail_from, tuple(transaction.rcpt_to),
                            transaction.mail_params)
        message = CompletedMessage(envelope, raw, complete, reason is None, reason)
        self.completed.append(message)
        return message

    def _remark_on_stuffing(self, stuffed_lines: int) -> None:
        if stuffed_lines:
            self.remark(RemarkKind.DOT_STUFFING, count=stuffed_lines)

    def _remark_on_declared_size(self, declared: int, actual: int) -> None:
        if declared == actual:
            self.remark(RemarkKind.SIZE_EXACT, declared=declared)
        else:
            self.remark(RemarkKind.SIZE_ESTIMATED, declared=declared, actual=actual)

    def _remark_on_data(self, raw: bytes, scan: _DataScan, transaction: _Transaction) -> None:
        if scan.bare_lf:
            self.remark(RemarkKind.BARE_LF_DATA, count=scan.bare_lf)
        if scan.bare_cr:
            self.remark(RemarkKind.BARE_CR_DATA, count=scan.bare_cr)
        if scan.long_line and _has_long_line(raw):
            self.remark(RemarkKind.LONG_LINES, limit=TEXT_LINE_LIMIT)
        if not raw.isascii() and not transaction.body_8bit:
            self.remark(RemarkKind.EIGHT_BIT_UNDECLARED)


# Found before bare LFs and CRs are counted: one search costs less than half of two counts.
_BARE_LF_RE = re.compile(rb"\n(?<!\r\n)")
_BARE_CR_RE = re.compile(rb"\r(?!\n)")


@dataclass(slots=True)
class _DataScan:
    """The dot-stuffing, bare line ends and long lines of one message's data, found piece by
    piece as it arrives. Counted over a whole 20 MB message at its end, they took C calls of
    about 10 ms, each holding the GIL, back to back: the window's Tk thread froze for 45-65
    ms. Between pieces the server thread waits in recv(), and the Tk thread gets its turn.

    Offsets are into the DATA buffer, which starts with the CRLF that ended the DATA line.
    """

    scanned: int = 2  # data[2:scanned] is counted
    stuffed_lines: int = 0  # lines that begin with a dot the client added (dot-stuffing)
    bare_lf: int = 0
    bare_cr: int = 0
    line_start: int = 2  # where the line not ended yet began
    # A line of the data is longer than TEXT_LINE_LIMIT. In the message a dot-stuffed line is
    # one octet shorter than in the data: a hint, to be confirmed on the message.
    long_line: bool = False

    def scan(self, data: bytearray, stop: int) -> None:
        """Count data[scanned:stop]. A CR is judged by the octet after it, so data[stop] must
        have arrived, unless stop is the end of the data."""
        start = self.scanned
        if stop <= start:
            return
        self.scanned = stop
        # A stuffed dot's CRLF may lie before start; its dot must lie before stop.
        self.stuffed_lines += data.count(b"\r\n.", start - 2, stop)
        if _BARE_LF_RE.search(data, start, stop):
            self.bare_lf += data.count(b"\n", start, stop) - data.count(b"\r\n", start - 1, stop)
        if _BARE_CR_RE.search(data, start, stop):
            self.bare_cr += data.count(b"\r", start, stop) - data.count(b"\r\n", start, stop + 1)
        if not self.long_line:
            self._measure_lines(data, stop)

    def _measure_lines(self, data: bytearray, stop: int) -> None:
        """Look for a long line among the lines ended before stop and in the one not ended."""
        last_break = max(data.rfind(b"\n", self.line_start, stop),
                         data.rfind(b"\r", self.line_start, stop))
        if last_break >= 0:
            self.long_line = _has_long_line(data, self.line_start, last_break)
            self.line_start = last_break + 1
        self.long_line = self.long_line or stop - self.line_start > TEXT_LINE_LIMIT


def _has_long_line(raw: bytes | bytearray, start: int = 0, stop: int | None = None) -> bool:
    """Whether a run of more than TEXT_LINE_LIMIT octets in raw[start:stop] holds neither CR
    nor LF.

    Such a run covers a whole aligned block of half the limit, so only blocks without a line
    break need a closer look. (A regex tried at every offset took 2 s on a 20 MB message.)
    """
    stop = len(raw) if stop is None else stop
    step = TEXT_LINE_LIMIT // 2
    for block in range(start, stop, step):
        block_end = min(block + step, stop)
        if raw.find(b"\n", block, block_end) >= 0 or raw.find(b"\r", block, block_end) >= 0:
            continue
        low, high = max(block - TEXT_LINE_LIMIT, start), min(block_end + TEXT_LINE_LIMIT, stop)
        line_start = max(raw.rfind(b"\n", low, block), raw.rfind(b"\r", low, block), low - 1) + 1
        line_ends = [end for end in (raw.find(b"\n", block_end, high),
                                     raw.find(b"\r", block_end, high)) if end >= 0]
        if min(line_ends, default=high) - line_start > TEXT_LINE_LIMIT:
            return True
    return False


def _unstuff(data: bytearray, stuffed_lines: int) -> bytes:
    """Undo dot-stuffing (RFC 5321 4.5.2) of data that begins with a CRLF, and drop that CRLF.
    One replace() at memchr speed: a list of the dots' offsets and a join of the slices between
    them cost 2.8 GB and 20 s on 30 MB of ".." lines (reliability review F3)."""
    if not stuffed_lines:
        return bytes(memoryview(data)[2:])
    unstuffed = data.replace(b"\r\n.", b"\r\n")
    del unstuffed[:2]  # cheap at the front of a bytearray
    return bytes(unstuffed)


# --------------------------------------------------------------------------------------------
# The server

FALLBACK_PORT = 2525
SMTP_PORT = 25


class StartupError(Exception):
    """The observer cannot start as asked; ``note`` says why in words a user can act on."""

    def __init__(self, note: Note) -> None:
        super().__init__(words.note_text(note, "en"))
        self.note = note


class BindError(StartupError):
    """The server could not listen."""


def format_peer(address: tuple) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# Winsock reports its own numbers (WSAEACCES, WSAEADDRINUSE, WSAEADDRNOTAVAIL) in errno.
_ACCESS_DENIED = {errno.EACCES, 10013}
_ADDRESS_IN_USE = {errno.EADDRINUSE, 10048}
_ADDRESS_NOT_HERE = {errno.EADDRNOTAVAIL, 10049}


def _bind_cause(host: str, error: OSError, platform: str = sys.platform) -> Note:
    """Say why binding failed in words a student can act on."""
    if isinstance(error, PermissionError) or error.errno in _ACCESS_DENIED:
        # Windows has no privileged ports: any user may bind 25
        return Note(RemarkKind.BIND_DENIED_WINDOWS if platform == "win32"
                    else RemarkKind.BIND_DENIED)
    if error.errno in _ADDRESS_IN_USE:
        return Note(RemarkKind.BIND_IN_USE)
    if isinstance(error, socket.gaierror) or error.errno in _ADDRESS_NOT_HERE:
        return Note(RemarkKind.BIND_NOT_HERE, {"host": host})
    return Note(RemarkKind.BIND_OTHER, {"error": error.strerror or str(error)})


def _bind_failure(host: str, port: int, error: OSError, ports: Ports) -> Note:
    kind = RemarkKind.BIND_FAILED if port != ports.fallback else RemarkKind.BIND_FAILED_ANY_PORT
    return Note(kind, {"address": f"{host}:{port}", "cause": _bind_cause(host, error),
                       "option": ports.option, "port": ports.fallback})


class ObserverServer(socketserver.TCPServer):
    """Serves one SMTP client at a time; a second one waits in the listen backlog.

    Everything it has to say goes on ``events``; it never prints and knows no UI. With POP3,
    the messages it accepts go to ``maildrop``, and ``pop3_server`` serves them.
    """

    thread_name = "smtp-observer-server"
    protocol = PROTOCOL_SMTP

    # On Windows SO_REUSEADDR would let a second process bind the same port and steal
    # connections; SO_EXCLUSIVEADDRUSE (set in server_bind) is the safe equivalent there.
    allow_reuse_address = os.name != "nt"
    request_queue_size = 16

    def __init__(self, config: ServerConfig, port: int, events: queue.Queue, *,
                 maildrop: pop3.Maildrop | None = None,
                 session_numbers: Iterator[int] | None = None) -> None:
        self.config = config
        self.events = events
        self.maildrop = maildrop
        self.pop3_server: POP3Server | None = None
        self.stopping = False
        # Shared with the POP3 server: a session number names one connection in every view.
        self._session_numbers = session_numbers or itertools.count(1)
        self._message_numbers = itertools.count(1)
        self._client: socket.socket | None = None
        self._client_lock = threading.Lock()
        self._stopping_event = threading.Event()
        self._thread: threading.Thread | None = None
        # Made on first use, or at start() when the config asks for it; afterwards only the
        # server thread uses it, and stop() closes it once that thread has ended.
        self._child_decoder: ProcessPoolExecutor | None = None
        self.messages_decoded_in_child = 0  # how often the child did it (tests read this)
        self.child_decoder_warmed_up: Future | None = None  # set by start() (tests wait for it)
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, port), SessionHandler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def server_bind(self) -> None:
        if os.name == "nt":
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        if self.address_family == socket.AF_INET6:
            # "::" should serve IPv4 clients too; Windows makes IPv6 sockets v6-only by default.
            with contextlib.suppress(OSError, AttributeError):
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def get_request(self) -> tuple[socket.socket, tuple]:
        connection, address = super().get_request()
        # Replies go out whole in one send; without this, delayed ACKs stall each session.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        self.post(ServerError(session=0, time=time.time(), kind=RemarkKind.SERVER_FAILED,
                              values={"error": f"{type(error).__name__}: {error}"}))

    def post(self, event: ServerEvent) -> None:
        self.events.put(event)

    def new_session(self, peer: str) -> SMTPSession:
        return SMTPSession(self.config, next(self._session_numbers), peer, self.post)

    def start(self) -> None:
        if self.config.decode_in_child_from is not None:
            # If the child cannot be started now, the first large message tries again and says
            # why it failed: no reason not to serve.
            with contextlib.suppress(OSError):
                # Start the child and its imports now, not when the first large message waits.
                self.child_decoder_warmed_up = self._start_child_decoder().submit(
                    decoder.decode, b"")
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        if self.pop3_server is not None:
            self.pop3_server.start()

    def stop(self) -> None:
        """Stop serving and close every socket; safe from any thread, more than once."""
        if self.stopping:
            return
        self.stopping = True
        self._stopping_event.set()
        if self.pop3_server is not None:
            self.pop3_server.stop()
        # A synchronous server's shutdown() waits for the current client: end it first.
        with self._client_lock:
            if self._client is not None:
                _abort(self._client)
        if self._thread is not None:
            # shutdown() itself waits without a limit: wait here for a bounded time instead, so
            # that a client the abort did not wake cannot hang closing the window or Ctrl+C.
            threading.Thread(target=self.shutdown, name=f"{self.thread_name}-shutdown",
                             daemon=True).start()
            self._thread.join(STOP_WAIT)
        self._close_child_decoder()
        self.server_close()

    def client_waiting(self) -> bool:
        """Whether another client has connected and waits in the listen backlog (the
        listening socket is readable then); select() works on sockets on Windows too."""
        with contextlib.suppress(OSError, ValueError):  # closed by stop()
            return bool(select.select([self.socket], [], [], 0)[0])
        return False

    def wait_unless_stopping(self, seconds: float) -> bool:
        """Pause (the "slow" scenario); True when the server began stopping meanwhile."""
        return self._stopping_event.wait(seconds)

    def set_scenarios(self, names: tuple[str, ...]) -> None:
        """Lab scenarios for the connections that come next (the current one keeps its own)."""
        self.config = dataclasses.replace(self.config, scenarios=tuple(names))
        if names:
            remark = Remark(session=0, time=time.time(), kind=RemarkKind.SCENARIOS_NEXT,
                            values={"names": ", ".join(names)})
        else:
            remark = Remark(session=0, time=time.time(), kind=RemarkKind.SCENARIOS_OFF)
        self.post(remark)

    def track_client(self, connection: socket.socket | None) -> None:
        with self._client_lock:
            self._client = connection
        if connection is not None and self.stopping:
            _abort(connection)

    def deliver(self, session: SMTPSession) -> None:
        """Decode the session's finished messages (their replies have gone out) and post them."""
        while session.completed:
            message = session.completed.pop(0)
            decoded = self._decode(session.number, message.raw)
            number = next(self._message_numbers)
            if self.maildrop is not None and message.accepted and message.complete:
                self.maildrop.add(number, message.raw)
            self.post(MessageReceived(
                session=session.number, time=time.time(), number=number,
                envelope=message.envelope, raw=message.raw, complete=message.complete,
                accepted=message.accepted, reason=message.reason, decoded=decoded))

    def _decode(self, session_number: int, raw: bytes) -> decoder.DecodedMessage | None:
        if not (self.config.decode and raw):
            return None
        threshold = self.config.decode_in_child_from
        if threshold is not None and len(raw) >= threshold:
            decoded = self._decode_in_child(session_number, raw)
            if decoded is not None:
                return decoded
        try:
            return decoder.decode(raw)
        except Exception as error:  # decode() promises not to raise; the message must not be lost
            self.post(ServerError(session=session_number, time=time.time(),
                                  kind=RemarkKind.DECODER_FAILED,
                                  values={"error": f"{type(error).__name__}: {error}"}))
            return None

    def _decode_in_child(self, session_number: int,
                         raw: bytes) -> decoder.DecodedMessage | None:
        """decode(raw) in the child process, waited for here: the GIL is free meanwhile, and
        the message still comes before its session's disconnect. None when the child failed."""
        try:
            decoded = self._start_child_decoder().submit(decoder.decode, raw).result()
        except Exception as error:  # decode() never raises: the pool, pickling or the child did
            if isinstance(error, BrokenExecutor):  # a broken pool takes no more work: replace it
                self._close_child_decoder()
            self.post(ServerError(session=session_number, time=time.time(),
                                  kind=RemarkKind.CHILD_DECODER_FAILED,
                                  values={"error": f"{type(error).__name__}: {error}"}))
            return None
        self.messages_decoded_in_child += 1
        return decoded

    def _start_child_decoder(self) -> ProcessPoolExecutor:
        """The child process that decodes large messages, started if it is not running."""
        if self._child_decoder is None:
            # spawn, as Windows always does: forking a process that runs Tk and threads is
            # unsafe. Ctrl+C (Ctrl+Break) reaches the child too (same console or process group):
            # it ignores it, and ends when stop() says so, without a KeyboardInterrupt traceback.
            self._child_decoder = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=start_child_decoder)
        return self._child_decoder

    def _close_child_decoder(self) -> None:
        if self._child_decoder is not None:
            self._child_decoder.shutdown(cancel_futures=True)
            self._child_decoder = None


def start_child_decoder() -> None:
    """In the child decoder: Ctrl+C is its parent's business (see _start_child_decoder), and
    it ends when its parent does, however that ends. An observer killed (Task Manager, a crash,
    Ctrl+Break before its handler is in place) closes nothing that the pool's worker waits on:
    it would wait for work for ever, a python.exe left behind on the lab PC."""
    stopping.ignore_console_signals()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_after, args=(parent,), daemon=True).start()


def _exit_after(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # its process handle on Windows, the end of a pipe elsewhere
    os._exit(0)


def _abort(connection: socket.socket) -> None:
    """End a connection that another thread is reading: shutdown() wakes that thread on Linux,
    closing it wakes it on Windows, where Winsock does not end a wait on shutdown alone."""
    with contextlib.suppress(OSError):  # the peer may have closed it already
        connection.shutdown(socket.SHUT_RDWR)
    if os.name == "nt":  # on Linux the reader may still use the descriptor: it closes it itself
        connection.close()


class POP3Server(ObserverServer):
    """Serves one POP3 client at a time from the maildrop the SMTP server fills."""

    thread_name = "pop3-observer-server"
    protocol = PROTOCOL_POP3

    def new_session(self, peer: str) -> pop3.POP3Session:
        return pop3.POP3Session(self.config, next(self._session_numbers), peer, self.maildrop,
                                self.post)

    def deliver(self, session: pop3.POP3Session) -> None:
        """POP3 receives no messages."""


class SessionHandler(socketserver.BaseRequestHandler):
    """Carries one connection's bytes between its socket and its session (SMTP or POP3)."""

    server: ObserverServer

    def handle(self) -> None:
        server = self.server
        session = server.new_session(format_peer(self.client_address))
        server.track_client(self.request)
        self.connection: socket.socket = self.request  # replaced by its TLS wrapper on STARTTLS
        try:
            self._converse(session)
        except OSError:
            session.connection_lost(self._lost_reason(DisconnectReason.ERROR))
        finally:
            server.track_client(None)
            if self.connection is not self.request:  # socketserver closes only the original
                self.connection.close()
            server.deliver(session)
            server.post(Disconnected(session=session.number, time=time.time(),
                                     reason=session.close_reason or DisconnectReason.ERROR,
                                     protocol=server.protocol))

    def _lost_reason(self, otherwise: DisconnectReason) -> DisconnectReason:
        return DisconnectReason.SERVER_STOPPING if self.server.stopping else otherwise

    def _converse(self, session: SMTPSession) -> None:
        connection = self.connection
        timeout = session.config.timeout
        connection.settimeout(timeout)  # for sending: sendall's total
        deadline = _RequestDeadline(timeout)
        self._send(connection, session, [session.greeting()])
        while not session.closed:
            chunk = self._receive(connection, session, deadline)
            connection.settimeout(timeout)
            if chunk is None:
                connection.sendall(session.timed_out(client_waiting=deadline.shortened))
                session.replies_written()
                return
            if not chunk:
                session.connection_lost(self._lost_reason(DisconnectReason.PEER_CLOSED))
                return
            replies = session.receive(chunk)
            deadline.received(len(chunk), request_complete=bool(replies))
            self._send(connection, session, replies)
            self.server.deliver(session)
            if session.tls_requested:
                connection = self.connection = self._start_tls(connection, session)

    def _receive(self, connection: socket.socket, session: SMTPSession,
                 deadline: _RequestDeadline) -> bytes | None:
        """The next bytes from the client, or None when its deadline has passed. Waits in
        short steps to see whether another client is waiting for the only slot."""
        while True:
            remaining = deadline.remaining(in_data=session.state == "data",
                                           client_waiting=self.server.client_waiting())
            if remaining <= 0:
                return None
            connection.settimeout(min(remaining, WAITING_CLIENT_POLL))
            try:
                return connection.recv(65536)
            except TimeoutError:
                continue

    def _send(self, connection: socket.socket, session: SMTPSession,
              replies: Iterable[bytes]) -> None:
        """Send replies: together, or one by one after a pause in the "slow" scenario; each
        is recorded once it is written, so that its time is when it left."""
        if "slow" not in session.config.scenarios:
            _send_together(connection, replies)
            session.replies_written()
            return
        for reply in replies:
            if self.server.wait_unless_stopping(session.config.delay):
                return
            connection.sendall(reply)
            session.replies_written(1)

    def _start_tls(self, connection: socket.socket, session: SMTPSession) -> socket.socket:
        session.tls_requested = False
        # wrap_socket takes the socket over: track the wrapper before the handshake, so that
        # stop() can end a client that never finishes it.
        secure = session.config.tls_context.wrap_socket(connection, server_side=True,
                                                        do_handshake_on_connect=False)
        self.server.track_client(secure)
        try:
            secure.do_handshake()
        except (ssl.SSLError, OSError) as error:
            if self.server.stopping:
                session.connection_lost(DisconnectReason.SERVER_STOPPING)
            else:
                session.tls_failed(str(error))
            return secure
        session.tls_started(secure.version() or "", secure.cipher()[0])
        return secure


class _RequestDeadline:
    """When the client must have sent its next whole request (see STRESS_TIMEOUT): `timeout`
    after the reply to its last one, plus a second per MIN_DATA_RATE octets of DATA, and only
    STRESS_TIMEOUT while another client waits."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._start = time.monotonic()
        self._octets = 0  # received since the last complete request
        self.shortened = False  # the last remaining() was shortened for a waiting client

    def received(self, octets: int, *, request_complete: bool) -> None:
        if request_complete:  # its reply is being sent: the next request's time starts
            self._start, self._octets = time.monotonic(), 0
        else:
            self._octets += octets

    def remaining(self, *, in_data: bool, client_waiting: bool) -> float:
        self.shortened = client_waiting and self._timeout > STRESS_TIMEOUT
        limit = STRESS_TIMEOUT if self.shortened else self._timeout
        if in_data:
            limit += self._octets / MIN_DATA_RATE
        return self._start + limit - time.monotonic()


def _send_together(connection: socket.socket, pieces: Iterable[bytes]) -> None:
    """Send pieces in writes of up to SEND_PIECE octets: pipelined replies go out in one, and
    a 20 MB message retrieved by POP3 in pieces, never copied whole."""
    pending = bytearray()
    for piece in pieces:
        pending += piece
        if len(pending) >= pop3.SEND_PIECE:
            connection.sendall(pending)
            pending.clear()
    if pending:
        connection.sendall(pending)


@dataclass(frozen=True, slots=True)
class Ports:
    """Where a protocol listens without an explicit port, and the option that names one."""

    option: str
    default: int
    fallback: int


SMTP_PORTS = Ports("--port", SMTP_PORT, FALLBACK_PORT)
POP3_PORTS = Ports("--pop3-port", pop3.POP3_PORT, pop3.POP3_FALLBACK_PORT)


# On Windows, SO_EXCLUSIVEADDRUSE refuses a port while the last session's connection on it
# closes (TIME_WAIT), so a quick restart finds its own port "in use": try again for a while.
BIND_RETRY_SECONDS = 3.0 if os.name == "nt" else 0.0
BIND_RETRY_INTERVAL = 0.25
RetryNotice = Callable[[int, float], None]  # told (port, seconds) when a port is tried again


def _bind(host: str, requested: int | None, ports: Ports, make: Callable[[int], ObserverServer],
          on_retry: RetryNotice) -> tuple[ObserverServer, Note | None]:
    """Bind the requested port; without one, fall back from the default port and say why."""
    port = ports.default if requested is None else requested
    try:
        return _bind_retrying(make, port, on_retry), None
    except OSError as error:
        if requested is not None:
            raise BindError(_bind_failure(host, port, error, ports)) from None
        fallback_reason = Note(RemarkKind.PORT_UNUSABLE,
                               {"port": port, "cause": _bind_cause(host, error)})
    try:
        return _bind_retrying(make, ports.fallback, on_retry), fallback_reason
    except OSError as error:
        raise BindError(_bind_failure(host, ports.fallback, error, ports)) from None


def _bind_retrying(make: Callable[[int], ObserverServer], port: int,
                   on_retry: RetryNotice) -> ObserverServer:
    """make(port), tried again for BIND_RETRY_SECONDS while the port is in use."""
    deadline: float | None = None
    while True:
        try:
            return make(port)
        except OSError as error:
            if error.errno not in _ADDRESS_IN_USE or BIND_RETRY_SECONDS <= 0:
                raise
            if deadline is None:
                deadline = time.monotonic() + BIND_RETRY_SECONDS
                on_retry(port, BIND_RETRY_SECONDS)
            elif time.monotonic() >= deadline:
                raise
        time.sleep(BIND_RETRY_INTERVAL)


def _bind_pop3(config: ServerConfig, server: ObserverServer, events: queue.Queue,
               on_retry: RetryNotice) -> tuple[Note | None, Note | None]:
    """Give `server` a POP3 companion: (why it fell back from 110, why there is none).

    Without --pop3-port, POP3 that cannot listen costs only POP3: SMTP is what the observer
    is for, and a second observer on the same PC still serves SMTP."""
    config = dataclasses.replace(config, timeout=config.pop3_timeout, scenarios=())
    server.maildrop = pop3.Maildrop(max_octets=config.maildrop_octets)

    def make(port: int) -> ObserverServer:
        return POP3Server(config, port, events, maildrop=server.maildrop,
                          session_numbers=server._session_numbers)

    try:
        server.pop3_server, fallback_reason = _bind(config.host, config.pop3_port, POP3_PORTS,
                                                    make, on_retry)
    except BindError as error:
        if config.pop3_port is not None:
            raise
        server.maildrop = None
        return None, error.note
    return fallback_reason, None


def start_server(config: ServerConfig, events: queue.Queue,
                 on_retry: RetryNotice = lambda port, seconds: None) -> ObserverServer:
    """Bind, announce the address as the first event, and serve in a daemon thread."""
    server, fallback_reason = _bind(config.host, config.port, SMTP_PORTS,
                                    lambda port: ObserverServer(config, port, events), on_retry)
    pop3_fallback_reason = pop3_unavailable = None
    if config.serve_pop3:
        try:
            pop3_fallback_reason, pop3_unavailable = _bind_pop3(config, server, events,
                                                                on_retry)
        except BindError:
            server.server_close()
            raise
    pop3_port = server.pop3_server.port if server.pop3_server is not None else None
    server.post(Listening(session=0, time=time.time(), host=config.host, port=server.port,
                          requested_port=config.port, fallback_reason=fallback_reason,
                          hostname=config.hostname, scenarios=config.scenarios,
                          pop3_port=pop3_port, pop3_fallback_reason=pop3_fallback_reason,
                          pop3_unavailable=pop3_unavailable,
                          lan_addresses=lan.addresses_to_type(config.host)))
    server.start()
    return server


# --------------------------------------------------------------------------------------------
# Headless output: the same events as the window, as a transcript or as JSON Lines


def listening_lines(event: Listening, lang: str = "en") -> list[str]:
    said = Labels(words.TERMINAL_WORDS, lang)
    address = f"{event.host}:{event.port}"
    if event.fallback_reason:
        lines = [said["listening_fallback"].format(address=address,
                                                   reason=fallback_text(event, lang)),
                 said["set_port"].format(port=event.port)]
    else:
        lines = [said["listening"].format(address=address)]
    lines += pop3_listening_lines(event, said)
    if event.host in ("0.0.0.0", "::"):
        lines.append(said["every_interface_pop3" if event.pop3_port else "every_interface"])
    if event.lan_addresses:
        lines.append(said["lan_addresses"].format(
            addresses=said["or"].join(event.lan_addresses), port=event.port))
    lines += [said["scenario"].format(name=name, what=explain.SCENARIOS[name].what(lang))
              for name in event.scenarios]
    return lines


def fallback_text(event: Listening, lang: str) -> str:
    """Why port 25 could not be used, in words."""
    return words.note_text(event.fallback_reason, lang)


def pop3_listening_lines(event: Listening, said: Labels) -> list[str]:
    if event.pop3_unavailable:
        return [said["pop3_unavailable"].format(
            reason=words.note_text(event.pop3_unavailable, said.lang))]
    if event.pop3_port is None:
        return []
    address = f"{event.host}:{event.pop3_port}"
    if not event.pop3_fallback_reason:
        return [said["pop3_listening"].format(address=address)]
    return [said["pop3_listening_fallback"].format(
                address=address, reason=words.note_text(event.pop3_fallback_reason, said.lang)),
            said["pop3_set_port"].format(port=event.pop3_port)]


def transcript_lines(event: ServerEvent, lang: str = "en") -> list[str]:
    """The --no-gui transcript of one event, in the seed's "C: ..." / "S: ..." style; what the
    program says in ``lang``, what the client and server said as it was, with every control
    character escaped (decoder.printable_line): what a client sends must not drive the
    terminal or print a line that looks like the server's."""
    return [decoder.printable_line(line) for line in _transcript_lines(event, lang)]


def _transcript_lines(event: ServerEvent, lang: str) -> list[str]:
    said = Labels(words.TERMINAL_WORDS, lang)
    clock = time.strftime("%H:%M:%S", time.localtime(event.time))
    match event:
        case Listening():
            return [*listening_lines(event, lang), said["press_ctrl_c"]]
        case Connected():
            return [said["connected"].format(session=event.session, peer=event.peer,
                                             clock=clock, protocol=_protocol_name(event))]
        case CommandReceived():
            return [f"C: {event.line}"]
        case ReplySent() | POP3Reply():
            body = said["pop3_body"].format(number=event.message_number, size=event.body_size) \
                if isinstance(event, POP3Reply) and event.body_size is not None else ""
            return ["S: " + line for line in event.wire_lines(body)]
        case DataReceived():
            if not event.complete:
                return [said["data_incomplete"].format(size=event.size)]
            return [said["data"].format(size=event.size), "C: ."]
        case Remark():
            return [said["note"].format(text=words.note_text(event.note, lang))]
        case MessageReceived():
            return message_summary(event, lang)
        case Disconnected():
            return [said["disconnected"].format(
                session=event.session, protocol=_protocol_name(event), clock=clock,
                reason=words.disconnect_reason(event.reason, lang))]
        case TLSStarted():
            return [said["tls"].format(session=event.session, version=event.version,
                                       cipher=event.cipher)]
        case ServerError():
            return [said["error"].format(text=words.note_text(event.note, lang))]
    return [said["unknown_event"].format(name=event.event)]


def _protocol_name(event: Connected | Disconnected) -> str:
    """ " (POP3)" for a POP3 session; SMTP sessions, the observer's first job, go unnamed."""
    return " (POP3)" if event.protocol == PROTOCOL_POP3 else ""


def message_summary(event: MessageReceived, lang: str = "en") -> list[str]:
    said = Labels(words.TERMINAL_WORDS, lang)
    envelope = event.envelope
    state = said["accepted"] if event.accepted else said["not_accepted"].format(
        reason=words.refusal(event, lang))
    lines = [said["message"].format(number=event.number, session=event.session,
                                    size=len(event.raw), state=state),
             said["envelope"].format(mail_from=envelope.mail_from, rcpt_to=", ".join(
                 f"<{rcpt}>" for rcpt in envelope.rcpt_to))]
    if event.decoded is not None:
        lines += decoder.format_report(event.decoded, lang).splitlines()
    lines.append("=" * 40)
    return lines


class Transcript:
    """Prints the --no-gui transcript in ``lang``; with ``explain``, explains each line under it."""

    def __init__(self, lang: str = "en", *, explain: bool = False) -> None:
        self._lang = lang
        self._explain = explain

    def __call__(self, event: ServerEvent) -> None:
        for line in self.lines(event):
            print(line)

    def lines(self, event: ServerEvent) -> list[str]:
        lines = transcript_lines(event, self._lang)
        if self._explain:
            lines += ["      | " + decoder.printable_line(line)
                      for line in self._explanation(event).splitlines()]
        return lines

    def _explanation(self, event: ServerEvent) -> str:
        if isinstance(event, CommandReceived):
            return explain_pop3.explain_command_event(event, self._lang)
        if isinstance(event, (ReplySent, POP3Reply)):
            return explain_pop3.explain_reply_event(event, self._lang)
        return ""


PROGRAM_SAYS = Text("smtp_observer: {text}", "smtp_observer：{text}")


def say_error(text: str, lang: str) -> None:
    """An error line on stderr, named by the program as argparse names its own."""
    print(PROGRAM_SAYS(lang).format(text=text), file=sys.stderr)


class SessionReports:
    """--report DIR: write each session's lab report when it ends (only on request)."""

    def __init__(self, directory: Path, lang: str, student: str | None = None) -> None:
        self._directory = directory
        self._lang = lang
        self._student = student
        self._listening: list[ServerEvent] = []
        # each session's events so far, a message as its report.ReportedMessage
        self._sessions: dict[int, list] = {}

    def __call__(self, event: ServerEvent) -> None:
        if isinstance(event, Listening):
            self._listening = [event]
        if event.session == 0:
            return
        if isinstance(event, MessageReceived):
            import report  # only when reports were asked for

            # Kept as its report, not as the message: memory holds one message at a time.
            event = report.reported_message(event, self._lang)
        self._sessions.setdefault(event.session, []).append(event)
        if isinstance(event, Disconnected):
            self._write(self._listening + self._sessions.pop(event.session))

    def _write(self, events: list[ServerEvent]) -> None:
        import report  # only when reports were asked for

        try:
            paths = report.write_session_report(self._directory, events, lang=self._lang,
                                                student=self._student)
        except Exception as error:  # a report must never end the observer (review F1)
            failure = Note(RemarkKind.REPORT_NOT_WRITTEN, {
                "error": words.os_error(error) if isinstance(error, OSError)
                else f"{type(error).__name__}: {error}"})
            say_error(words.note_text(failure, self._lang), self._lang)
            return
        written = Note(RemarkKind.REPORT_WRITTEN, {"paths": ", ".join(map(str, paths))})
        print(words.note_text(written, self._lang), file=sys.stderr)


# JSON allows U+2028, U+2029 and U+0085 raw in strings, but str.splitlines() (and JavaScript
# before ES2019) ends a line at them: escaped, one event is always one line to every reader.
_LINE_BREAKS_JSON_KEEPS = ("\u2028", "\u2029", "\u0085")


class JsonLines:
    """--jsonl: prints each event as one JSON object on one line.

    The decoded AUTH password (a remark's ``secret``) is left out unless asked for: students
    type real passwords into Outlook, and JSON Lines end up in files and chat messages. The
    window masks it until asked, and reports never show it."""

    def __init__(self, include_passwords: bool = False) -> None:
        self._include_passwords = include_passwords

    def __call__(self, event: ServerEvent) -> None:
        record = event.to_json()
        if not self._include_passwords:
            record.pop("secret", None)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        for separator in _LINE_BREAKS_JSON_KEEPS:
            line = line.replace(separator, f"\\u{ord(separator):04x}")
        print(line)


def _prepare_stdout(jsonl: bool) -> None:
    # A Windows console or pipe defaults to cp936/cp437: JSON Lines are always UTF-8, and
    # the transcript replaces what the console cannot show instead of raising.
    if isinstance(sys.stdout, io.TextIOWrapper):
        if jsonl:
            sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace",
                                   line_buffering=True)
        else:
            sys.stdout.reconfigure(errors="replace", line_buffering=True)


def run_headless(server: ObserverServer, events: queue.Queue,
                 show: Callable[[ServerEvent], None]) -> int:
    """Show events until Ctrl+C, or until nobody reads the output any more; then stop the
    server and show what was still queued."""
    # Ctrl+C sets a flag instead of raising KeyboardInterrupt, which could land in the middle
    # of showing an event: that event was lost, or its JSON line cut in two.
    interrupted = threading.Event()
    previous_handlers = {number: signal.signal(number, lambda *_: interrupted.set())
                         for number in stopping.STOP_SIGNALS}
    try:
        with _until_the_reader_goes_away():
            while not interrupted.is_set():
                try:
                    show(events.get(timeout=0.25))  # the timeout lets the loop see the flag
                except queue.Empty:
                    continue
    finally:
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
        server.stop()
    with _until_the_reader_goes_away():
        while not events.empty():
            show(events.get_nowait())
    return 0


@contextlib.contextmanager
def _until_the_reader_goes_away() -> Iterator[None]:
    """End quietly when the output's reader has gone (``--jsonl | head``, a closed script):
    a closed pipe is BrokenPipeError, on Windows often OSError EINVAL."""
    try:
        yield
    except OSError:
        # Python flushes stdout once more at exit: the null device lets that succeed instead
        # of printing "Exception ignored ... BrokenPipeError".
        with contextlib.suppress(OSError, ValueError, AttributeError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)


# --------------------------------------------------------------------------------------------
# Command line


def default_hostname() -> str:
    """The machine's name, if it is a valid SMTP domain (no DNS lookup: that can hang)."""
    name = socket.gethostname()
    return name if re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", name) \
        else "smtp-observer"


# Windows first: python.org's installer puts the "py" launcher on PATH, not "python".
USAGE_EXAMPLES = Text("""\
examples (Windows: py; Linux and macOS: python3):
  py -m pip install -r requirements.txt       install Pillow (once)
  py smtp_observer.py                         the window
  py smtp_observer.py --no-gui --explain      the dialogue, explained, in the console
  py smtp_observer.py --port 2525 --scenario slow
  py smtp_observer.py --host 0.0.0.0          a whole lab sends to this PC
  py smtp_observer.pyz                        the same from the lab kit (tools/build_kit.py)\
""", """\
示例（Windows 用 py；Linux 和 macOS 用 python3）：
  py -m pip install -r requirements.txt       安装 Pillow（一次即可）
  py smtp_observer.py                         打开窗口
  py smtp_observer.py --no-gui --explain      在控制台中显示对话及其讲解
  py smtp_observer.py --port 2525 --scenario slow
  py smtp_observer.py --host 0.0.0.0          整个机房都向这台电脑发信
  py smtp_observer.pyz                        从实验套件运行，效果相同""")
DESCRIPTION = Text(
    "A simplified SMTP server that shows the SMTP dialogue and the decoded\n"
    "mail. It never stores or forwards mail.",
    "一个简化的 SMTP 服务器，显示 SMTP 对话和解码后的邮件。\n"
    "它从不保存或转发邮件。")
SCENARIOS_HEADING = Text("lab scenarios (--scenario NAME):", "实验场景（--scenario 名称）：")

# Each option's help, in both languages (argparse's own words are in command_line.py).
OPTION_HELP: dict[str, Text] = {
    "--host": Text("address to listen on (default 127.0.0.1; 0.0.0.0 serves the LAN)",
                   "监听的地址（默认 127.0.0.1；0.0.0.0 为整个局域网服务）"),
    "--port": Text("port to listen on (default 25, or 2525 if 25 is not available; "
                   "0 picks any free port)",
                   "监听的端口（默认 25，25 不可用时用 2525；0 表示任选一个空闲端口）"),
    "--hostname": Text("the name the server greets with (default: this computer's name)",
                       "服务器问候时使用的名字（默认：本机的计算机名）"),
    "--max-size": Text(f"largest message accepted (default {DEFAULT_MAX_SIZE})",
                       f"接受的最大邮件字节数（默认 {DEFAULT_MAX_SIZE}）"),
    "--memory-limit": Text(f"megabytes (MiB) of received mail the window holds at most; past "
                           f"it the oldest messages' content is released, their rows and "
                           f"dialogue stay (default {DEFAULT_MEMORY_LIMIT_MB})",
                           f"窗口最多保存的已收邮件的兆字节数（MiB）；超过时释放最早邮件的内容，"
                           f"它们在列表中的一行和对话仍然保留（默认 {DEFAULT_MEMORY_LIMIT_MB}）"),
    "--timeout": Text(f"how long a client has for each whole command before the server says "
                      f"421 and closes (default {DEFAULT_TIMEOUT:g}; POP3's autologout "
                      f"{pop3.AUTOLOGOUT:g})",
                      f"客户端发完每条完整命令的时限（秒），超时服务器发出 421 并关闭连接"
                      f"（默认 {DEFAULT_TIMEOUT:g}；POP3 的自动注销时限为 {pop3.AUTOLOGOUT:g}）"),
    "--pop3-port": Text("port of the POP3 server, from which mail clients fetch the messages "
                        "of this run (default 110, or 1110 if 110 is not available; 0 picks "
                        "any free port)",
                        "POP3 服务器的端口，邮件客户端从这里收取本次运行收到的邮件（默认 110，"
                        "110 不可用时用 1110；0 表示任选一个空闲端口）"),
    "--no-pop3": Text("do not serve POP3", "不提供 POP3 服务"),
    "--no-gui": Text("print the dialogue and the decoded mail instead of opening a window",
                     "不打开窗口，而是在控制台中打印对话和解码后的邮件"),
    "--jsonl": Text("print one JSON object per event (UTF-8); implies --no-gui",
                    "每个事件打印一个 JSON 对象（UTF-8）；隐含 --no-gui"),
    "--jsonl-passwords": Text("with --jsonl, include decoded AUTH passwords (left out by "
                              "default)",
                              "与 --jsonl 一起使用时，包含解码出的 AUTH 密码（默认不包含）"),
    "--lang": Text("language of the window, the explanations and the reports (default: the "
                   "system's)",
                   "窗口、讲解和报告的语言（默认：跟随系统）"),
    "--explain": Text("with --no-gui, explain each command and reply under it",
                      "与 --no-gui 一起使用时，在每条命令和应答下面给出讲解"),
    "--scenario": Text("a lab scenario (may be repeated; listed below)",
                       "一个实验场景（可重复使用；见下面的列表）"),
    "--delay": Text(f"the pause before each reply in the 'slow' scenario (default "
                    f"{DEFAULT_DELAY:g})",
                    f"slow 场景中每条应答之前暂停的秒数（默认 {DEFAULT_DELAY:g}）"),
    "--tls-cert": Text("a PEM certificate: offer STARTTLS (with --tls-key)",
                       "PEM 格式的证书：提供 STARTTLS（与 --tls-key 一起使用）"),
    "--tls-key": Text("the PEM private key of --tls-cert", "--tls-cert 的 PEM 格式私钥"),
    "--report": Text("headless: write an HTML and a text report of each session to DIR",
                     "无窗口运行时：把每个会话的 HTML 报告和文本报告写入 DIR 文件夹"),
    "--student": Text("the student's name and number, printed at the top of each report",
                      "学生的姓名和学号，印在每份报告的顶部"),
    "--open": Text("show a saved session (Session > Save session..., or assets/sessions/) "
                   "instead of starting a server; with --no-gui print it, with --report write "
                   "its reports",
                   "不启动服务器，而是显示一个保存下来的会话（会话 › 保存会话…，或 assets/sessions/）；"
                   "加 --no-gui 时打印出来，加 --report 时写出它的报告"),
    "--console": Text("type SMTP (or POP3) by hand to a server, e.g. this observer's port; lines "
                      "come from the keyboard or a pipe, and each reply is explained (no server "
                      "is started)",
                      "手工向一个服务器（例如本观察器的端口）输入 SMTP（或 POP3）命令；命令来自键盘或"
                      "管道，每条应答都有讲解（不启动服务器）"),
}

# Usage errors of our own (argparse's are in command_line.py).
TLS_PAIR_ERROR = Text("--tls-cert and --tls-key go together",
                      "--tls-cert 和 --tls-key 必须一起使用")
# Without --jsonl it would do nothing: a user who asked for the passwords is told so.
JSONL_PASSWORDS_ERROR = Text("--jsonl-passwords works only with --jsonl",
                             "--jsonl-passwords 只能与 --jsonl 一起使用")
NEGATIVE_DELAY_ERROR = Text("--delay must not be negative", "--delay 不能是负数")
PORT_RANGE_ERROR = Text("{option} must be between 0 and 65535", "{option} 必须在 0 到 65535 之间")
NOT_POSITIVE_ERROR = Text("--max-size and --timeout must be positive",
                          "--max-size 和 --timeout 必须是正数")
MEMORY_LIMIT_ERROR = Text("--memory-limit must be a positive number of megabytes",
                          "--memory-limit 必须是正的兆字节数")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    lang = command_line.chosen_language(argv)
    parser = command_line.Parser(
        lang, prog="smtp_observer.py", description=DESCRIPTION,
        epilog=SCENARIOS_HEADING(lang) + "\n" + explain.scenario_table(lang)
               + "\n\n" + USAGE_EXAMPLES(lang))
    option = parser.option
    option("--host", default="127.0.0.1", help=OPTION_HELP["--host"])
    option("--port", type=int, default=None, help=OPTION_HELP["--port"])
    option("--hostname", default=None, help=OPTION_HELP["--hostname"])
    option("--max-size", type=int, default=DEFAULT_MAX_SIZE, metavar="BYTES",
           help=OPTION_HELP["--max-size"])
    option("--memory-limit", type=int, default=DEFAULT_MEMORY_LIMIT_MB, metavar="MB",
           help=OPTION_HELP["--memory-limit"])
    option("--timeout", type=float, default=None, metavar="SECONDS",
           help=OPTION_HELP["--timeout"])
    option("--pop3-port", type=int, default=None, metavar="N", help=OPTION_HELP["--pop3-port"])
    for name in ("--no-pop3", "--no-gui", "--jsonl", "--jsonl-passwords"):
        option(name, action="store_true", help=OPTION_HELP[name])
    option("--lang", choices=explain.LANGUAGES, default=None, help=OPTION_HELP["--lang"])
    option("--explain", action="store_true", help=OPTION_HELP["--explain"])
    option("--scenario", action="append", default=[], choices=sorted(explain.SCENARIOS),
           metavar="NAME", help=OPTION_HELP["--scenario"])
    option("--delay", type=float, default=DEFAULT_DELAY, metavar="SECONDS",
           help=OPTION_HELP["--delay"])
    option("--tls-cert", type=Path, metavar="FILE", help=OPTION_HELP["--tls-cert"])
    option("--tls-key", type=Path, metavar="FILE", help=OPTION_HELP["--tls-key"])
    option("--report", type=Path, metavar="DIR", help=OPTION_HELP["--report"])
    option("--student", default=None, metavar="\"NAME NUMBER\"", help=OPTION_HELP["--student"])
    option("--open", type=Path, metavar="FILE", help=OPTION_HELP["--open"])
    option("--console", metavar="[HOST:]PORT", help=OPTION_HELP["--console"])
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.fail(TLS_PAIR_ERROR)
    if args.jsonl_passwords and not args.jsonl:
        parser.fail(JSONL_PASSWORDS_ERROR)
    if args.delay < 0:
        parser.fail(NEGATIVE_DELAY_ERROR)
    for name, port in (("--port", args.port), ("--pop3-port", args.pop3_port)):
        if port is not None and not 0 <= port <= 65535:
            parser.fail(PORT_RANGE_ERROR, option=name)
    if args.max_size <= 0 or (args.timeout is not None and args.timeout <= 0):
        parser.fail(NOT_POSITIVE_ERROR)
    if args.memory_limit <= 0:
        parser.fail(MEMORY_LIMIT_ERROR)
    return args


def _load_gui(lang: str):
    """The window module, or None (with the reason printed) when Tk cannot be used here."""
    try:
        import gui
    except ImportError as error:
        if preflight.is_missing_tkinter(error):
            print(preflight.missing_tkinter_notice(lang))
        else:
            print(words.note_text(Note(RemarkKind.WINDOW_UNAVAILABLE, {"error": str(error)}),
                                  lang))
        return None
    return gui


def _tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise StartupError(Note(RemarkKind.TLS_CERTIFICATE_UNUSABLE, {
            "cert": str(cert), "key": str(key),
            "error": words.os_error(error)})) from None
    return context


def _report_directory(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StartupError(Note(RemarkKind.REPORT_FOLDER_UNUSABLE, {
            "directory": str(directory), "error": words.os_error(error)})) from None
    return directory


BIND_RETRY_NOTICE = explain.Text(
    "Port {port} is in use; trying again for {seconds:g} seconds (after a restart, Windows "
    "keeps the last session's port for a moment)...",
    "端口 {port} 正被占用，{seconds:g} 秒内继续尝试"
    "（刚重启时，Windows 会把上一次会话的端口再保留一会儿）……")


def _retry_notice(lang: str) -> RetryNotice:
    def notice(port: int, seconds: float) -> None:
        if sys.stderr is not None:  # None under pythonw
            print(BIND_RETRY_NOTICE(lang).format(port=port, seconds=seconds), file=sys.stderr,
                  flush=True)
    return notice


def _headless_consumer(args: argparse.Namespace, lang: str) -> Callable[[ServerEvent], None]:
    printer = (JsonLines(include_passwords=args.jsonl_passwords) if args.jsonl
               else Transcript(lang, explain=args.explain))
    if args.report is None:
        return printer
    reports = SessionReports(args.report, lang, args.student)

    def show(event: ServerEvent) -> None:
        printer(event)
        reports(event)

    return show


# Said in a message box when there is no console (pythonw.exe, a double-clicked .pyw): running
# headless there would be an invisible server holding the port until the user logs off.
NO_CONSOLE_FOR_OUTPUT = explain.Text(
    "SMTP Observer was started without a console (pythonw or a .pyw file), so --no-gui, "
    "--jsonl and --report have nowhere to show the dialogue. Run it in a command prompt: "
    "py smtp_observer.py --no-gui",
    "SMTP Observer 是在没有控制台的情况下启动的（pythonw 或 .pyw 文件），--no-gui、--jsonl 和 "
    "--report 无处显示对话。请在命令提示符中运行：py smtp_observer.py --no-gui")
NO_CONSOLE_NO_WINDOW = explain.Text(
    "The window cannot open ({reason}), and without a console (pythonw or a .pyw file) the "
    "observer has nowhere else to show the dialogue. Install Python from python.org with "
    "\"tcl/tk and IDLE\" ticked, or run it in a command prompt: py smtp_observer.py --no-gui",
    "窗口无法打开（{reason}），而没有控制台（pythonw 或 .pyw 文件）时观察器也无处显示对话。"
    "请从 python.org 安装 Python 并勾选“tcl/tk and IDLE”，或在命令提示符中运行："
    "py smtp_observer.py --no-gui")
TKINTER_MISSING = explain.Text("Python's tkinter is missing", "Python 缺少 tkinter")


def _refuse_without_console(text: str, lang: str) -> int:
    """Tell a user who has no console why nothing runs; the exit code of a start-up error."""
    if not preflight.message_box(preflight.TITLE(lang), text) and sys.stderr is not None:
        say_error(text, lang)
    return 2


def open_recording(args: argparse.Namespace, lang: str) -> int:
    """--open FILE: show a saved session in the window, or print it (--no-gui, --explain) and
    write its reports (--report), as if it had just happened; no server is started."""
    import sessions

    try:
        recording = sessions.load(args.open)
    except sessions.SessionFileError as error:
        print(f"smtp_observer: {error.text(lang)}", file=sys.stderr)
        return 2
    gui = None if args.no_gui or args.jsonl or args.report else _load_gui(lang)
    if gui is not None:
        try:
            return gui.run(queue.Queue(), stop_server=lambda: None, lang=lang,
                           recording=recording, memory_limit=args.memory_limit * MIB)
        except gui.WindowUnavailable as error:
            print(sessions.WORDS["no_window"](lang).format(error=error))
    if sys.stdout is None:  # pythonw: nowhere to print it
        return _refuse_without_console(NO_CONSOLE_FOR_OUTPUT(lang), lang)
    _prepare_stdout(args.jsonl)
    if not args.jsonl:
        print(recording.banner(lang))
    if args.report is not None:
        try:
            _report_directory(args.report)
        except StartupError as error:
            print(f"smtp_observer: {error}", file=sys.stderr)
            return 2
    printer = (JsonLines(include_passwords=args.jsonl_passwords) if args.jsonl
               else Transcript(lang, explain=args.explain))
    reports = SessionReports(args.report, lang, args.student) if args.report is not None else None
    for event in recording.events:
        # "Listening on ..." would read as live: the banner above says what this is instead
        if args.jsonl or not isinstance(event, Listening):
            printer(event)
        if reports is not None:
            reports(event)
    return 0


def maildrop_octets(memory_limit: int, *, window: bool) -> int:
    """The POP3 maildrop's bound: with a window in the same process, within its memory limit
    too, so that the mail the process holds stays near that limit."""
    return min(pop3.MAILDROP_OCTETS, memory_limit) if window else pop3.MAILDROP_OCTETS


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lang = args.lang or explain.detect_language()
    if args.console is not None:
        if sys.stdout is None:  # pythonw: no terminal to type in
            return _refuse_without_console(NO_CONSOLE_FOR_OUTPUT(lang), lang)
        import console

        _prepare_stdout(jsonl=False)
        return console.run_terminal(args.console, lang)
    if args.open is not None:
        return open_recording(args, lang)
    wants_window = not (args.no_gui or args.jsonl or args.report)
    gui = _load_gui(lang) if wants_window else None
    if gui is None and sys.stdout is None:
        text = (NO_CONSOLE_NO_WINDOW(lang).format(reason=TKINTER_MISSING(lang)) if wants_window
                else NO_CONSOLE_FOR_OUTPUT(lang))
        return _refuse_without_console(text, lang)
    if gui is None:
        _prepare_stdout(args.jsonl)
    events: queue.Queue = queue.Queue()
    try:
        tls_context = _tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        if args.report is not None:
            _report_directory(args.report)
        decode_in_child_from = WINDOW_DECODE_IN_CHILD_FROM if gui is not None else None
        config = ServerConfig(host=args.host, port=args.port,
                              hostname=args.hostname or default_hostname(),
                              max_size=args.max_size, timeout=args.timeout or DEFAULT_TIMEOUT,
                              scenarios=tuple(dict.fromkeys(args.scenario)), delay=args.delay,
                              tls_context=tls_context, decode_in_child_from=decode_in_child_from,
                              serve_pop3=not args.no_pop3, pop3_port=args.pop3_port,
                              pop3_timeout=args.timeout or pop3.AUTOLOGOUT,
                              maildrop_octets=maildrop_octets(args.memory_limit * MIB,
                                                              window=gui is not None))
        server = start_server(config, events, on_retry=_retry_notice(lang))
    except StartupError as error:
        text = words.note_text(error.note, lang)
        say_error(text, lang)
        if gui is not None:
            gui.show_fatal(text, lang)
        return 2
    with stopping.console_close_held():
        if gui is not None:
            try:
                return gui.run(events, stop_server=server.stop, lang=lang,
                               set_scenarios=server.set_scenarios, scenarios=config.scenarios,
                               stop_signals=stopping.STOP_SIGNALS,
                               memory_limit=args.memory_limit * MIB)
            except gui.WindowUnavailable as error:
                if sys.stdout is None:
                    server.stop()
                    return _refuse_without_console(
                        NO_CONSOLE_NO_WINDOW(lang).format(reason=error), lang)
                print(words.note_text(Note(RemarkKind.WINDOW_UNAVAILABLE,
                                           {"error": str(error)}), lang))
                _prepare_stdout(jsonl=False)
        return run_headless(server, events, _headless_consumer(args, lang))


if __name__ == "__main__":
    raise SystemExit(main())
