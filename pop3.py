"""POP3: the other half of the lab. A mail client fetches the messages this run received.

RFC 1939 (the protocol and its three states), RFC 2449 (CAPA, RESP-CODES, the 255-octet
command line), RFC 2595 (STLS) and RFC 5034 (AUTH PLAIN). Any user name and password are
accepted: the point is to see them, as with SMTP AUTH.

Two layers, like smtp_observer's SMTP:

* ``Maildrop``: this run's accepted messages, in memory only, shared by the SMTP thread (which
  adds) and the POP3 thread (which reads and, after QUIT, removes);
* ``POP3Session``: the protocol as a state machine, bytes in and reply bytes out, no socket.

The server that carries a session's bytes is smtp_observer's (one handler for both protocols).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import sasl
from events import (POP3_CONTINUE, POP3_ERR, POP3_OK, POP3_STATES, PROTOCOL_POP3,
                    CommandReceived, Connected, DisconnectReason, Outbox, POP3Reply, Remark,
                    RemarkKind, ServerEvent, TLSStarted, pop3_status_line)
from lines import LineTooLong, take_line

POP3_PORT = 110
POP3_FALLBACK_PORT = 1110
COMMAND_LINE_LIMIT = 255  # RFC 2449 4: a command line is at most 255 octets with its CRLF
# RFC 5034 4 keeps AUTH's initial response within those 255; a continuation line may be longer.
SASL_LINE_LIMIT = 12288
AUTOLOGOUT = 600.0  # RFC 1939 3: the autologout timer is at least 10 minutes
SEND_PIECE = 64 * 1024  # a RETR goes out in pieces of this many octets, never copied whole
# The maildrop's bounds: a class fetches far fewer; a server left running keeps the newest.
MAILDROP_MESSAGES = 1000
MAILDROP_OCTETS = 256 * 1024 * 1024

OK, ERR, CONTINUE = POP3_OK, POP3_ERR, POP3_CONTINUE

AUTHORIZATION, TRANSACTION, UPDATE, DONE = POP3_STATES

IMPLEMENTATION = "SMTP-Observer"
SASL_MECHANISMS = ("PLAIN",)
# Mechanisms Outlook asks for when "Secure Password Authentication (SPA)" is ticked.
WINDOWS_INTEGRATED_MECHANISMS = frozenset({"NTLM", "GSSAPI", "MSN"})
_APOP_DIGEST = re.compile(r"[0-9a-fA-F]{32}")


# --------------------------------------------------------------------------------------------
# The maildrop


@dataclass(frozen=True, slots=True)
class StoredMessage:
    number: int  # the message's number in this run, as the window lists it
    uid: str  # RFC 1939 7 UIDL: unique and stable, and never reused by a later run
    raw: bytes  # as received over SMTP (dot-stuffing undone)


class Maildrop:
    """The messages of this run a POP3 client can fetch. Memory only: nothing is written.

    It keeps the newest MAILDROP_MESSAGES messages and MAILDROP_OCTETS octets, dropping the
    oldest first, so that a headless observer left running for days stays bounded (the
    window's list keeps what it shows either way)."""

    def __init__(self, run_id: str | None = None, *, max_messages: int = MAILDROP_MESSAGES,
                 max_octets: int = MAILDROP_OCTETS) -> None:
        self._lock = threading.Lock()
        self._messages: deque[StoredMessage] = deque()
        self._octets = 0
        self._max_messages = max_messages
        self._max_octets = max_octets
        # A client that "leaves a copy on the server" remembers UIDs across runs: the run's
        # start time in them keeps message 1 of today from looking like message 1 of last week.
        self._run_id = run_id or format(time.time_ns() // 1_000_000, "x")

    def add(self, number: int, raw: bytes) -> StoredMessage:
        message = StoredMessage(number, f"{self._run_id}.{number}", raw)
        with self._lock:
            self._messages.append(message)
            self._octets += len(raw)
            while len(self._messages) > 1 and (len(self._messages) > self._max_messages
                                               or self._octets > self._max_octets):
                self._octets -= len(self._messages.popleft().raw)
        return message

    def snapshot(self) -> tuple[StoredMessage, ...]:
        with self._lock:
            return tuple(self._messages)

    def remove(self, uids: Iterable[str]) -> None:
        gone = set(uids)
        with self._lock:
            self._messages = deque(message for message in self._messages
                                   if message.uid not in gone)
            self._octets = sum(len(message.raw) for message in self._messages)


# --------------------------------------------------------------------------------------------
# Reply bytes


def dot_stuffed(raw: bytes, piece: int = SEND_PIECE) -> Iterator[bytes]:
    """A message as a multi-line response body (RFC 1939 3): every line that begins with "."
    gets a second one, then the terminating ".". In pieces: a 20 MB mail is never copied whole."""
    view = memoryview(raw)
    at_line_start = True
    for start in range(0, len(raw), piece):
        chunk = bytes(view[start:start + piece])
        if at_line_start and chunk.startswith(b"."):
            yield b"."
        yield chunk.replace(b"\n.", b"\n..")
        at_line_start = chunk.endswith(b"\n")
    yield b".\r\n" if not raw or raw.endswith(b"\r\n") else b"\r\n.\r\n"


def top_of(raw: bytes, lines: int) -> bytes:
    """The header, the blank line and the first `lines` lines of the body (RFC 1939 7 TOP)."""
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        return raw
    end = header_end + 4
    for _ in range(lines):
        next_end = raw.find(b"\n", end)
        if next_end < 0:
            return raw
        end = next_end + 1
    return raw[:end]


@dataclass(slots=True)
class Response:
    """One response: the status line, the lines of a multi-line response, and the message
    bytes a RETR or TOP sends (dot-stuffed on the way out)."""

    status: str  # OK, ERR or CONTINUE
    text: str
    lines: tuple[str, ...] | None = None  # a multi-line response: LIST, UIDL, CAPA, AUTH
    body: bytes | None = None  # a message or part of one: RETR, TOP
    message_number: int | None = None  # the message of this run: RETR, TOP, DELE
    verb: str | None = None  # the command it answers

    def wire(self) -> Iterator[bytes]:
        yield (pop3_status_line(self.status, self.text) + "\r\n").encode("utf-8")
        if self.lines is not None:
            # RFC 1939 3: a line of a multi-line response that begins with "." gets another.
            yield "".join(("." + line if line.startswith(".") else line) + "\r\n"
                          for line in self.lines).encode("utf-8") + b".\r\n"
        if self.body is not None:
            yield from dot_stuffed(self.body)


# --------------------------------------------------------------------------------------------
# The session


class POP3Session:
    """One client's POP3 session as a state machine: feed it bytes, send what it returns.

    ``receive()`` returns an iterator of byte pieces to send in order; a retrieved message is
    produced piece by piece as the caller sends it. Events go to ``emit``.
    """

    def __init__(self, config, number: int, peer: str, maildrop: Maildrop,
                 emit: Callable[[ServerEvent], None]) -> None:
        self.config = config  # hostname, timeout and tls_context are read
        self.number = number
        self.peer = peer
        self._maildrop = maildrop
        self._emit = emit
        self._outbox = Outbox(emit)
        self.closed = False
        self.close_reason: str | None = None
        self.tls_active = False
        self.tls_requested = False  # the caller must start TLS after sending the replies
        self._buffer = bytearray()
        self._discarding_long_line = False
        self._phase = AUTHORIZATION
        self._user: str | None = None  # after USER, waiting for PASS
        self._sasl_step: Callable[[str], Response] | None = None
        self._messages: tuple[StoredMessage, ...] = ()  # the maildrop as it was at login
        self._deleted: set[int] = set()  # message numbers of this session, from 1
        self._retrieved: set[int] = set()
        self._timestamp = f"<{os.getpid()}.{time.time_ns()}@{config.hostname}>"
        self._commands = {name[5:]: getattr(self, name)
                          for name in dir(self) if name.startswith("pop3_")}

    # -- events

    def _event(self, cls: type[ServerEvent], **fields) -> None:
        self._emit(cls(session=self.number, time=time.time(), protocol=PROTOCOL_POP3, **fields))

    def remark(self, kind: RemarkKind, secret: str | None = None, **values: object) -> None:
        """A remark (its words: explain_pop3.REMARKS, through words.REMARKS)."""
        self._event(Remark, kind=kind, values=values, secret=secret)

    @property
    def state(self) -> str:
        return DONE if self.closed and self._phase != UPDATE else self._phase

    # -- what the connection calls

    def greeting(self) -> bytes:
        self._event(Connected, peer=self.peer)
        # RFC 1939 7: the timestamp in angle brackets is what APOP digests with the password.
        return b"".join(self._send(Response(OK, f"{self.config.hostname} POP3 SMTP-Observer "
                                                 f"ready {self._timestamp}")))

    def receive(self, chunk: bytes) -> Iterator[bytes]:
        """Take bytes from the client; return the pieces of the responses, in order."""
        self._buffer += chunk
        while self._buffer and not self.closed and not self.tls_requested:
            line = self._take_line()
            if line is None:
                break
            yield from self._handle_line(line)

    def tls_started(self, version: str, cipher: str) -> None:
        self.tls_requested = False
        self.tls_active = True
        self._event(TLSStarted, version=version, cipher=cipher)

    def tls_failed(self, error: str) -> None:
        self.remark(RemarkKind.TLS_FAILED, error=error)
        self.closed = True
        self.close_reason = DisconnectReason.TLS_FAILED

    def timed_out(self, client_waiting: bool = False) -> bytes:
        """RFC 1939 3: autologout closes without a response and without the UPDATE state
        (also when it came early because another client waits: no response can say so)."""
        self.remark(RemarkKind.AUTOLOGOUT)
        self.closed = True
        self.close_reason = DisconnectReason.TIMEOUT
        return b""

    def connection_lost(self, reason: str) -> None:
        """No QUIT: RFC 1939 6 says the messages marked as deleted stay in the maildrop."""
        self.closed = True
        self.close_reason = self.close_reason or reason

    # -- lines

    def _line_limit(self) -> int:
        return SASL_LINE_LIMIT if self._sasl_step is not None else COMMAND_LINE_LIMIT

    def _take_line(self) -> bytes | LineTooLong | None:
        """Cut one line off the buffer; None when it is incomplete. Drains over-long lines."""
        line, self._discarding_long_line = take_line(self._buffer, self._line_limit(),
                                                     self._discarding_long_line)
        if not isinstance(line, bytes):
            return line
        return line[:-1] if line.endswith(b"\r") else line

    def _handle_line(self, line: bytes | LineTooLong) -> Iterator[bytes]:
        if isinstance(line, LineTooLong):
            self._event(CommandReceived, line=f"<a line longer than {line.limit} octets>")
            self._sasl_step = None
            return self._send(Response(ERR, f"Line too long (at most {line.limit} octets)"))
        text = line.decode("utf-8", "backslashreplace")
        if self._sasl_step is not None:
            step, self._sasl_step = self._sasl_step, None
            self._event(CommandReceived, line=text, answers_challenge=True)
            return self._send(step(text))
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        self._event(CommandReceived, line=_masked(verb, text))
        response = self._dispatch(verb, arg)
        response.verb = verb if verb in self._commands else None
        return self._send(response)

    def _dispatch(self, verb: str, arg: str) -> Response:
        handler = self._commands.get(verb)
        previous_user, self._user = self._user, None  # PASS must follow USER directly
        if handler is None:
            return Response(ERR, "Unknown command")
        allowed = _COMMAND_STATES[verb]
        if self._phase not in allowed:
            return Response(ERR, f"{verb} is not allowed in the {self._phase.upper()} state")
        if verb in _WITHOUT_ARGUMENT and arg.strip():
            return Response(ERR, f"Syntax: {verb} takes no argument")
        if verb == "PASS":
            return self.pop3_PASS(arg, previous_user)
        return handler(arg)

    def _send(self, response: Response) -> Iterator[bytes]:
        """The pieces of a response; its event waits until the caller has written them."""
        self._outbox.compose(functools.partial(
            POP3Reply, session=self.number, protocol=PROTOCOL_POP3, status=response.status,
            text=response.text, lines=response.lines,
            body_size=None if response.body is None else len(response.body),
            message_number=response.message_number, verb=response.verb, state=self.state))
        return response.wire()

    def replies_written(self, writes: int | None = None) -> None:
        """The first ``writes`` responses (None: all) have gone out: record them now."""
        self._outbox.written(writes)

    def _close(self, response: Response, reason: str) -> Response:
        self.closed = True
        self.close_reason = reason
        return response

    # -- AUTHORIZATION (RFC 1939 4 and 7, RFC 5034)

    def pop3_CAPA(self, arg: str) -> Response:
        return Response(OK, "Capability list follows", tuple(self._capabilities()))

    def _capabilities(self) -> list[str]:
        capabilities = ["TOP", "UIDL", "USER", "RESP-CODES", "SASL " + " ".join(SASL_MECHANISMS)]
        if self.config.tls_context is not None and not self.tls_active \
                and self._phase == AUTHORIZATION:
            capabilities.append("STLS")
        return [*capabilities, f"IMPLEMENTATION {IMPLEMENTATION}"]

    def pop3_USER(self, arg: str) -> Response:
        if not arg.strip():
            return Response(ERR, "Syntax: USER name")
        if not arg.strip().isprintable():  # the reply echoes the name: no NUL, no ESC
            return Response(ERR, "Control characters are not allowed in a user name")
        self._user = arg.strip()
        return Response(OK, f"{self._user} is welcome here; now PASS")

    def pop3_PASS(self, arg: str, user: str | None = None) -> Response:
        if user is None:
            return Response(ERR, "Send USER first")
        if not arg:
            return Response(ERR, "Syntax: PASS password")
        self.remark(RemarkKind.POP3_PASSWORD, secret=arg, user=user, masked="*" * len(arg),
                   length=len(arg))
        return self._logged_in(user)

    def pop3_APOP(self, arg: str) -> Response:
        name, _, digest = arg.strip().rpartition(" ")
        if not name or not _APOP_DIGEST.fullmatch(digest):
            return Response(ERR, "Syntax: APOP name digest (32 hexadecimal digits)")
        self.remark(RemarkKind.POP3_APOP, user=name, digest=digest.lower(),
                   timestamp=self._timestamp)
        return self._logged_in(name)

    def pop3_AUTH(self, arg: str) -> Response:
        mechanism, _, initial = arg.strip().partition(" ")
        mechanism = mechanism.upper()
        if not mechanism:  # what Outlook and old clients send to list the mechanisms
            return Response(OK, "Supported mechanisms follow", SASL_MECHANISMS)
        if mechanism != "PLAIN":
            if mechanism in WINDOWS_INTEGRATED_MECHANISMS:
                self.remark(RemarkKind.POP3_SPA, mechanism=mechanism)
            return Response(ERR, f"Unrecognized authentication type {mechanism}")
        if initial:
            return self._auth_plain(initial)
        self._sasl_step = self._auth_plain
        return Response(CONTINUE, "")

    def _auth_plain(self, response: str) -> Response:
        if response.strip() == "*":
            return Response(ERR, "Authentication cancelled")
        credentials = sasl.plain_credentials(response)
        if credentials is None:
            return Response(ERR, "AUTH PLAIN wants base64 of authzid NUL user NUL password")
        user, password = credentials
        self.remark(RemarkKind.POP3_AUTH_PLAIN, secret=password, user=user,
                   masked="*" * len(password), length=len(password))
        return self._logged_in(user)

    def _logged_in(self, user: str) -> Response:
        self._phase = TRANSACTION
        self._messages = self._maildrop.snapshot()
        count, size = self._totals()
        return Response(OK, f"{user}'s maildrop has {count} messages ({size} octets)")

    def pop3_STLS(self, arg: str) -> Response:
        if self.config.tls_context is None:
            return Response(ERR, "STLS is not offered (start the observer with --tls-cert "
                                   "and --tls-key)")
        if self.tls_active:
            return Response(ERR, "TLS is already active")
        if self._buffer:
            self.remark(RemarkKind.POP3_AFTER_STLS, octets=len(self._buffer))
            del self._buffer[:]
        self.tls_requested = True
        return Response(OK, "Begin TLS negotiation")

    def pop3_QUIT(self, arg: str) -> Response:
        if self._phase != TRANSACTION:
            return self._close(Response(OK, f"{self.config.hostname} POP3 signing off"),
                               DisconnectReason.QUIT)
        self._phase = UPDATE
        self._remark_on_what_stays()
        gone = [self._messages[number - 1].uid for number in self._deleted]
        self._maildrop.remove(gone)
        left = len(self._maildrop.snapshot())
        signing_off = f"{self.config.hostname} POP3 signing off ({len(gone)} deleted, {left} left)"
        return self._close(Response(OK, signing_off), DisconnectReason.QUIT)

    # -- TRANSACTION (RFC 1939 5 and 7)

    def _totals(self) -> tuple[int, int]:
        kept = [message for number, message in enumerate(self._messages, 1)
                if number not in self._deleted]
        return len(kept), sum(len(message.raw) for message in kept)

    def _message(self, arg: str) -> tuple[int, StoredMessage] | Response:
        """The message an argument names, or the -ERR that says why there is none."""
        if not (arg.isascii() and arg.isdigit()):
            return Response(ERR, "Syntax: a message number is required")
        number = int(arg)
        if not 1 <= number <= len(self._messages):
            return Response(ERR, f"No such message (the maildrop has {len(self._messages)})")
        if number in self._deleted:
            return Response(ERR, f"Message {number} is already deleted")
        return number, self._messages[number - 1]

    def _listing(self, arg: str, describe: Callable[[StoredMessage], str]) -> Response:
        if arg.strip():
            found = self._message(arg.strip())
            if isinstance(found, Response):
                return found
            return Response(OK, f"{found[0]} {describe(found[1])}")
        count, size = self._totals()
        return Response(OK, f"{count} messages ({size} octets)", tuple(
            f"{number} {describe(message)}" for number, message in enumerate(self._messages, 1)
            if number not in self._deleted))

    def pop3_STAT(self, arg: str) -> Response:
        return Response(OK, "{} {}".format(*self._totals()))

    def pop3_LIST(self, arg: str) -> Response:
        return self._listing(arg, lambda message: str(len(message.raw)))

    def pop3_UIDL(self, arg: str) -> Response:
        if not self._retrieved:
            self.remark(RemarkKind.UIDL_FIRST)
        return self._listing(arg, lambda message: message.uid)

    def pop3_RETR(self, arg: str) -> Response:
        found = self._message(arg.strip())
        if isinstance(found, Response):
            return found
        number, message = found
        self._retrieved.add(number)
        return Response(OK, f"{len(message.raw)} octets", body=message.raw,
                        message_number=message.number)

    def pop3_TOP(self, arg: str) -> Response:
        which, _, lines = arg.strip().partition(" ")
        lines = lines.strip()
        if not (lines.isascii() and lines.isdigit()):
            return Response(ERR, "Syntax: TOP message-number lines")
        found = self._message(which)
        if isinstance(found, Response):
            return found
        return Response(OK, "Top of message follows", body=top_of(found[1].raw, int(lines)),
                        message_number=found[1].number)

    def pop3_DELE(self, arg: str) -> Response:
        found = self._message(arg.strip())
        if isinstance(found, Response):
            return found
        self._deleted.add(found[0])
        return Response(OK, f"Message {found[0]} marked as deleted (removed at QUIT)",
                        message_number=found[1].number)

    def pop3_RSET(self, arg: str) -> Response:
        self._deleted.clear()
        count, size = self._totals()
        return Response(OK, f"Maildrop has {count} messages ({size} octets)")

    def pop3_NOOP(self, arg: str) -> Response:
        return Response(OK, "")

    # -- remarks

    def _remark_on_what_stays(self) -> None:
        if self._deleted:
            self.remark(RemarkKind.MAIL_DELETED, count=len(self._deleted))
        elif self._retrieved:
            self.remark(RemarkKind.MAIL_LEFT, count=len(self._retrieved))

def _masked(verb: str, line: str) -> str:
    """A command line for the views: PASS shows its password as stars (a remark reveals it)."""
    if verb != "PASS":
        return line
    password = line[5:]
    return line[:5] + "*" * len(password)


# Which state each command belongs to (RFC 1939 4-6, RFC 2449 5, RFC 2595 4, RFC 5034 4).
_COMMAND_STATES: dict[str, tuple[str, ...]] = {
    "USER": (AUTHORIZATION,), "PASS": (AUTHORIZATION,), "APOP": (AUTHORIZATION,),
    "AUTH": (AUTHORIZATION,), "STLS": (AUTHORIZATION,),
    "CAPA": (AUTHORIZATION, TRANSACTION), "QUIT": (AUTHORIZATION, TRANSACTION),
    "STAT": (TRANSACTION,), "LIST": (TRANSACTION,), "UIDL": (TRANSACTION,),
    "RETR": (TRANSACTION,), "TOP": (TRANSACTION,), "DELE": (TRANSACTION,),
    "RSET": (TRANSACTION,), "NOOP": (TRANSACTION,),
}
POP3_COMMANDS = tuple(_COMMAND_STATES)
_WITHOUT_ARGUMENT = frozenset({"CAPA", "STLS", "QUIT", "STAT", "RSET", "NOOP"})
