"""Protocol fuzzing: random client behaviour against the state machine and the real server.

Hypothesis draws sessions of valid, invalid, truncated, oversized and binary command lines,
pipelined batches, messages (dot-stuffed here, as RFC 5321 4.5.2 says) and disconnects at any
point, in the middle of a command or of DATA, by FIN or by RST. Each session runs against the
socket-free SMTPSession, its bytes cut into random pieces and with random lab scenarios in
force, and against the real server over loopback. Every session checks that:

- every reply is well formed: "ddd-text" CRLF lines ending with one "ddd text" CRLF line;
- every reply code is one that RFC 5321 4.3.2 (RFC 4954 for AUTH) allows for its command;
- every message whose data ended arrives byte-exact, and a cut one as a prefix of what was sent;
- nothing inside the server failed, and the server serves the next session.

CI runs few examples; for a long run, set SMTP_FUZZ_EXAMPLES (e.g. 5000).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import socket
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RunningServer
from smtp_observer import MAX_ERRORS, ServerConfig, SMTPSession

EXAMPLES = int(os.environ.get("SMTP_FUZZ_EXAMPLES", "500"))
MAX_SIZE = 2048  # small, so that some drawn messages are over the limit
# The lab scenarios the state machine test draws from: all but "slow", whose delays belong to
# the connection handler. They refuse commands, hang up at the greeting or mid-DATA.
SCENARIOS = ("reject-recipient", "defer-recipient", "require-auth", "too-large", "busy",
             "no-pipelining", "no-8bitmime", "no-auth", "drop-in-data")
HOSTNAME = "fuzz.test"

# --------------------------------------------------------------------------------------------
# What the RFCs allow

# Beyond each command's own list, RFC 5321 lets any command get 421 (service closing, 3.8),
# 500 (unrecognised or too long, 4.2.4), 501 (bad arguments, 4.2.2) and 451 (local error).
ANY_COMMAND = frozenset({421, 451, 500, 501})
# RFC 5321 4.3.2, with 503 (bad sequence) and 555 (parameters, RFC 5321 4.1.1.11) where the
# command has a sequence or parameters, 530 (authentication required, RFC 4954 6) for the
# transaction, and AUTH from RFC 4954 4 and 6, plus 502 where AUTH is not offered (5321 4.2.4).
COMMAND_REPLIES = {
    "HELO": {250, 502, 504, 550},
    "EHLO": {250, 502, 504, 550},
    "MAIL": {250, 451, 452, 455, 503, 530, 550, 552, 553, 555},
    "RCPT": {250, 251, 450, 451, 452, 455, 503, 530, 550, 551, 552, 553, 555},
    "DATA": {354, 450, 451, 452, 503, 530, 550, 552, 554},
    "RSET": {250},
    "VRFY": {250, 251, 252, 502, 504, 550, 551, 553},
    "EXPN": {250, 252, 500, 502, 504, 550},
    "HELP": {211, 214, 502, 504},
    "NOOP": {250},
    "QUIT": {221},
    "STARTTLS": {220, 454, 501, 502},  # RFC 3207 4; 502 where it is not offered
    "AUTH": {235, 334, 432, 454, 500, 501, 502, 503, 504, 530, 534, 535, 538},
}
UNKNOWN_COMMAND_REPLIES = {500, 502}  # 502: recognised but not implemented (RFC 5321 4.2.4)
AUTH_RESPONSE_REPLIES = {235, 334, 432, 454, 500, 501, 534, 535, 538}  # RFC 4954 4
END_OF_DATA_REPLIES = {250, 450, 451, 452, 550, 552, 554}
GREETING_REPLIES = {220, 421, 554}  # 421: the service is not available (RFC 5321 3.8)

REPLY_LINE = re.compile(rb"(\d{3})([ -])([^\r\n]*)")


def allowed_replies(line: bytes, after_challenge: bool) -> set[int]:
    if after_challenge:  # the line answers a 334: it is an AUTH response, not a command
        return AUTH_RESPONSE_REPLIES | ANY_COMMAND
    verb = line.rstrip(b"\r\n").partition(b" ")[0].decode("latin-1").upper()
    return COMMAND_REPLIES.get(verb, UNKNOWN_COMMAND_REPLIES) | ANY_COMMAND


class Wire:
    """Reply bytes from the server, checked line by line as they arrive."""

    def __init__(self) -> None:
        self._pending = b""
        self._lines: list[bytes] = []
        self.replies: list[int] = []

    def feed(self, data: bytes) -> None:
        self._pending += data
        *complete, self._pending = self._pending.split(b"\r\n")
        for line in complete:
            match = REPLY_LINE.fullmatch(line)
            assert match, f"malformed reply line {line!r}"
            assert not self._lines or self._lines[0][:3] == line[:3], "code changed mid-reply"
            self._lines.append(line)
            if match[2] == b" ":
                self.replies.append(int(match[1]))
                self._lines = []

    def assert_idle(self) -> None:
        assert self._pending == b"" and not self._lines, "an unfinished reply"


# --------------------------------------------------------------------------------------------
# Drawing sessions


@dataclass(frozen=True)
class Lines:
    """One write of command lines: a pipelined batch when there are several."""

    lines: tuple[bytes, ...]  # each ends in CRLF or a bare LF


@dataclass(frozen=True)
class Mail:
    """DATA, then, if the server says 354, the dot-stuffed message (or part of it)."""

    body: bytes  # the message as meant: every line ends in CRLF
    cut: float | None  # disconnect after this fraction of the data; None: send it all
    reset: bool  # disconnect by RST rather than FIN


@dataclass(frozen=True)
class Session:
    steps: tuple[Lines | Mail, ...]
    ending: str  # "quit", "close" or "reset"
    unfinished: bytes  # a command cut short before a close or reset
    piece: int  # the state machine gets the bytes in pieces of this many octets


def dot_stuff(body: bytes) -> bytes:
    """The data section for a CRLF-ended message: leading dots doubled, then the final dot."""
    stuffed = b"." + body if body.startswith(b".") else body
    return stuffed.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def _starts_data_or_quit(line: bytes) -> bool:
    verb, _, arg = line.decode("latin-1").partition(" ")
    return verb.upper() == "QUIT" or (verb.upper() == "DATA" and not arg.strip())


_hosts = st.sampled_from(["ideaPC", "[127.0.0.1]", "[IPv6:::1]", "mail.example.com", "", " "])
_addresses = st.sampled_from(["a@example.com", "", "postmaster", "用户@例子.中国",
                              '"john doe"@example.com', "@relay.example:a@b.example", "no-at",
                              "a@b@c", "<a@b.example", "a b@c.example"])
_mail_params = st.sampled_from(["", " SIZE=300", f" SIZE={MAX_SIZE * 10}", " SIZE=x",
                                " BODY=8BITMIME", " BODY=7BIT", " BODY=BINARYMIME", " SMTPUTF8",
                                " AUTH=<>", " RET=HDRS", " SIZE"])
_auth_arguments = st.sampled_from(["PLAIN", "LOGIN", "PLAIN AHN0dWRlbnQAc2VjcmV0",
                                   "LOGIN c3R1ZGVudA==", "CRAM-MD5", "NTLM", "", "PLAIN !!",
                                   "PLAIN =", "plain"])
_auth_responses = st.sampled_from(["c3R1ZGVudA==", "AHN0dWRlbnQAc2VjcmV0", "*", "no base64!",
                                   "=", "AGEAYgBj"])
_other_commands = st.sampled_from([
    "RSET", "RSET now", "NOOP", "NOOP hello", "VRFY", "VRFY root", "EXPN staff", "HELP",
    "HELP DATA", "STARTTLS", "BDAT 5 LAST", "TURN", "MAIL", "MAIL TO:<a@b.example>", "RCPT",
    "MAIL FROM:a@example.com", "RCPT TO:b@example.com", "XYZZY", "", "DATA now"])
_text_commands = st.one_of(
    st.builds("{} {}".format, st.sampled_from(["HELO", "EHLO", "ehlo"]), _hosts),
    st.builds("MAIL FROM:<{}>{}".format, _addresses, _mail_params),
    st.builds("RCPT TO:<{}>{}".format, _addresses, st.sampled_from(["", " NOTIFY=NEVER"])),
    st.builds("AUTH {}".format, _auth_arguments),
    _auth_responses,
    _other_commands,
    st.text(max_size=30),
).map(lambda text: text.replace("\n", "").encode("utf-8"))
_binary_commands = st.binary(max_size=40).map(lambda data: data.replace(b"\n", b""))
_oversized_commands = st.builds(
    lambda start, size: start + b"x" * size,
    st.sampled_from([b"EHLO ", b"NOOP ", b"AUTH PLAIN ", b""]),
    st.sampled_from([505, 506, 507, 600, 5000, 12280, 13000]))
_line_ends = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n"])
_command_lines = st.builds(
    bytes.__add__,
    st.one_of(_text_commands, _text_commands, _binary_commands, _oversized_commands)
    .filter(lambda line: not _starts_data_or_quit(line)),
    _line_ends)

_body_lines = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([b".", b"..", b".leading dot", b"", b". ", b"\n.", b"\r", b"x" * 1100,
                     b"y" * (MAX_SIZE + 1), b"caf\xc3\xa9", b"\xff\xfe\x00", b"\r\n.\r\n",
                     b"QUIT", b"Subject: x"]))
_bodies = st.lists(_body_lines, max_size=8).map(lambda lines: b"".join(
    line + b"\r\n" for line in lines))

_mails = st.builds(Mail, _bodies, st.one_of(st.none(), st.floats(0, 1)), st.booleans())
# A greeting and an envelope that are mostly valid, so that many sessions get to DATA.
_envelopes = st.builds(
    lambda verb, params, recipients: Lines((
        f"{verb} client.example\r\n".encode(), f"MAIL FROM:<a@example.com>{params}\r\n".encode(),
        *(f"RCPT TO:<{rcpt}>\r\n".encode() for rcpt in recipients))),
    st.sampled_from(["EHLO", "EHLO", "HELO"]),
    st.sampled_from(["", " SIZE=300", " BODY=8BITMIME", " SMTPUTF8", f" SIZE={MAX_SIZE + 1}"]),
    st.lists(st.sampled_from(["b@example.com", "postmaster", "用户@例子.中国"]), max_size=3))
_step_groups = st.one_of(
    st.lists(_command_lines, min_size=1, max_size=4).map(lambda lines: (Lines(tuple(lines)),)),
    _mails.map(lambda mail: (mail,)),
    st.tuples(_envelopes, _mails))
_sessions = st.builds(
    Session,
    st.lists(_step_groups, max_size=8).map(lambda groups: sum(groups, ())),
    st.sampled_from(["quit", "close", "reset"]),
    st.one_of(st.just(b""), _binary_commands, st.just(b"MAIL FROM:<a@b.exam")),
    st.sampled_from([1, 3, 17, 512, 1 << 16]))


# --------------------------------------------------------------------------------------------
# Running a session against either side


class Client:
    """What a drawn session needs from the server side: bytes out, replies in, a hang-up."""

    wire: Wire

    def send(self, data: bytes) -> None:
        raise NotImplementedError

    def next_reply(self) -> int | None:
        """The next reply, or None if the server closed the connection instead."""
        raise NotImplementedError

    def hang_up(self, reset: bool) -> None:
        raise NotImplementedError


@dataclass
class Sent:
    """A message as the client sent it, and what the server answered to its end."""

    body: bytes  # what the client meant to send
    data: bytes  # the dot-stuffed data it did send: all of it, or up to the hang-up
    reply: int | None  # None when either side hung up in the middle
    lossy: bool  # the server may have kept only part of `data` (an RST, or drop-in-data)


def unstuff(data: bytes) -> bytes:
    """RFC 5321 4.5.2 from the receiving side: drop one leading dot of every line."""
    return b"\r\n".join(line[1:] if line.startswith(b".") else line
                         for line in data.split(b"\r\n"))


class Dialogue:
    """The client's side of one session: each reply checked against what it answers."""

    def __init__(self, client: Client, may_drop_data: bool) -> None:
        self.client = client
        self.may_drop_data = may_drop_data  # the server may hang up mid-DATA (drop-in-data)
        self.last_reply = client.next_reply()
        assert self.last_reply in GREETING_REPLIES
        self.errors = 0
        self.closed = self.last_reply == 421  # the server ended the session (221, 421, hang-up)

    def answer(self, line: bytes) -> int | None:
        """The reply to a line just sent (or to the end of the data, for b"."); None if the
        server hung up instead, which only a drop-in-data scenario may do, and only in DATA."""
        reply = self.client.next_reply()
        if reply is None:
            assert line == b"." and self.may_drop_data, f"no reply to {line[:80]!r}"
            self.closed = True
            return None
        if line == b".":
            allowed = END_OF_DATA_REPLIES | ANY_COMMAND
        else:
            allowed = allowed_replies(line, self.last_reply == 334)
        assert reply in allowed, (line[:80], reply)
        self.last_reply = reply
        self.closed = reply in (221, 421)
        if reply >= 400 and reply != 421:
            self.errors += 1
            if self.errors == MAX_ERRORS:  # as Postfix's hard error limit: 421, then close
                assert self.client.next_reply() == 421
                self.closed = True
        return reply


def play(client: Client, session: Session, scenarios: tuple[str, ...] = ()
         ) -> tuple[list[Sent], bool]:
    """Drive one drawn session, checking each reply as it comes; return the messages sent
    and whether the server ended the session."""
    dialogue = Dialogue(client, "drop-in-data" in scenarios)
    sent: list[Sent] = []
    if dialogue.closed:
        return sent, True
    for step in session.steps:
        if isinstance(step, Lines):
            client.send(b"".join(step.lines))
            for line in step.lines:
                dialogue.answer(line)
                if dialogue.closed:
                    return sent, True
            continue
        client.send(b"DATA\r\n")
        if dialogue.answer(b"DATA") != 354:  # refused, or an AUTH response: no data follows
            if dialogue.closed:
                return sent, True
            continue
        data = dot_stuff(step.body)
        if step.cut is not None:  # hang up in the middle of DATA, before the final CRLF
            data = data[: int(step.cut * (len(data) - 1))]
            client.send(data)
            client.hang_up(step.reset)
            lossy = step.reset or dialogue.may_drop_data  # the server may have hung up first
            return [*sent, Sent(step.body, data, None, lossy)], False
        client.send(data)
        reply = dialogue.answer(b".")
        sent.append(Sent(step.body, data, reply, lossy=reply is None))
        if dialogue.closed:
            return sent, True
    if session.ending == "quit":
        client.send(b"QUIT\r\n")
        if dialogue.answer(b"QUIT") == 221 or dialogue.closed:
            return sent, True
    client.send(session.unfinished)
    client.hang_up(session.ending == "reset")
    return sent, False


def check_messages(sent: list[Sent], delivered: list, max_size: int) -> None:
    """``delivered``: the server's messages (raw, complete, accepted), in order."""
    assert len(delivered) == len(sent)
    for message, arrived in zip(sent, delivered, strict=True):
        if message.reply is not None:  # the data ended: 250 means byte-exact, 552 too large
            size = len(message.data) - len(b".\r\n")
            assert (arrived.complete, arrived.accepted) == (True, message.reply == 250)
            assert (message.reply == 250) == (size <= max_size)
            assert arrived.raw == (message.body if size <= max_size else b"")
            continue
        assert (arrived.complete, arrived.accepted) == (False, False)
        if message.lossy:  # a prefix of what was sent, or nothing if that was over the limit
            assert unstuff(message.data).startswith(arrived.raw)
        else:
            assert arrived.raw == (unstuff(message.data) if len(message.data) <= max_size
                                   else b"")


# --------------------------------------------------------------------------------------------
# Against the state machine


class StateMachineClient(Client):
    def __init__(self, piece: int, scenarios: tuple[str, ...]) -> None:
        self.events: list = []
        config = ServerConfig(hostname=HOSTNAME, max_size=MAX_SIZE, scenarios=scenarios)
        self.session = SMTPSession(config, 1, "127.0.0.1:4242", self.events.append)
        self.wire = Wire()
        self.wire.feed(self.session.greeting())
        self.session.replies_written()
        self.piece = piece
        self._read = 0

    def send(self, data: bytes) -> None:
        for start in range(0, len(data), self.piece):
            if self.session.closed:  # as the server does: it stops reading
                return
            self.wire.feed(b"".join(self.session.receive(data[start: start + self.piece])))
            self.session.replies_written()

    def next_reply(self) -> int | None:
        if self._read == len(self.wire.replies):
            assert self.session.closed, "no reply where one was due"
            return None
        self._read += 1
        return self.wire.replies[self._read - 1]

    def hang_up(self, reset: bool) -> None:
        self.session.connection_lost("peer closed")


@settings(max_examples=EXAMPLES, deadline=None)
@given(_sessions, st.one_of(st.just(()), st.lists(st.sampled_from(SCENARIOS), max_size=3)
                            .map(lambda names: tuple(dict.fromkeys(names)))))
def test_state_machine_survives_random_sessions(session, scenarios):
    client = StateMachineClient(session.piece, scenarios)
    sent, server_closed = play(client, session, scenarios)
    assert client._read == len(client.wire.replies), "more replies than commands"
    client.wire.assert_idle()
    assert client.session.closed
    if server_closed:
        assert client.session.close_reason != "peer closed"
    elif "drop-in-data" not in scenarios:  # with it, the server may have hung up first
        assert client.session.close_reason == "peer closed"
    check_messages(sent, client.session.completed, client.session.max_size)
    assert [e for e in client.events if e.event == "error"] == []
    replies = [e.code for e in client.events if e.event == "reply"]
    assert replies == client.wire.replies  # the transcript and the wire agree


# --------------------------------------------------------------------------------------------
# Against the real server


@pytest.fixture(scope="module")
def fuzz_server():
    # Decoding is off: it is decoder.py's business and its own tests'; here only the protocol.
    running = RunningServer(hostname=HOSTNAME, max_size=MAX_SIZE, decode=False)
    yield running
    running.server.stop()


class SocketClient(Client):
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.wire = Wire()
        self._read = 0

    def send(self, data: bytes) -> None:
        # Whole: the state machine test covers input cut into pieces, which TCP may join.
        self.sock.sendall(data)

    def next_reply(self) -> int | None:
        while self._read == len(self.wire.replies):
            data = self.sock.recv(65536)
            if not data:
                return None
            self.wire.feed(data)
        self._read += 1
        return self.wire.replies[self._read - 1]

    def hang_up(self, reset: bool) -> None:
        if reset:  # linger 0: close() sends an RST, as when a client crashes
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        self.sock.close()


def session_events(running: RunningServer) -> list:
    """The events of the session that is ending, up to and including its disconnect."""
    events = []
    while not events or events[-1].event != "disconnect":
        try:
            events.append(running.events.get(timeout=10))
        except queue.Empty:
            raise AssertionError(f"no disconnect; events so far {events}") from None
    return events


def _before_too_many_errors(session: Session) -> Session:
    """The session cut to fewer replies than MAX_ERRORS. Any reply may be an error, and the
    last one closes the connection while the client may still be writing: the RST that this
    causes could destroy the 421 before the client reads it. The state machine test covers it."""
    steps, replies = [], 1
    for step in session.steps:
        replies += len(step.lines) if isinstance(step, Lines) else 2
        if replies >= MAX_ERRORS:
            break
        steps.append(step)
    return dataclasses.replace(session, steps=tuple(steps))


@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_sessions.map(_before_too_many_errors))
def test_real_server_survives_random_sessions(fuzz_server, session):
    client = SocketClient(fuzz_server.port)
    try:
        sent, server_closed = play(client, session)
        if server_closed:
            assert client.sock.recv(100) == b"", "the server did not close after 221"
    finally:
        client.sock.close()
    client.wire.assert_idle()
    events = session_events(fuzz_server)
    check_messages(sent, [e for e in events if e.event == "message"], MAX_SIZE)
    assert [e.values for e in events if e.event == "error"] == []
    # The server is up: the next example (and this check) gets a greeting.
    with socket.create_connection(("127.0.0.1", fuzz_server.port), timeout=10) as probe:
        assert probe.recv(100).startswith(b"220 ")
        probe.sendall(b"QUIT\r\n")
    session_events(fuzz_server)
