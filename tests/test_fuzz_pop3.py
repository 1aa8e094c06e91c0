"""POP3 fuzzing: random client lines against the state machine and the real server.

Hypothesis draws sessions of valid, invalid, oversized and binary POP3 lines (commands in
every state, message numbers that exist, are deleted, zero, huge or not numbers, SASL
exchanges), cut into random pieces. Every session checks that:

- every line gets exactly one response, and each is well formed: "+OK", "-ERR" or "+ " and
  CRLF, a multi-line one ending with a line holding only ".";
- a retrieved message arrives byte-exact once its byte-stuffing is undone;
- the maildrop changes only after QUIT in the TRANSACTION state, by the messages marked;
- nothing inside the server failed, and the real server serves the next session.

CI runs few examples; for a long run, set SMTP_FUZZ_EXAMPLES (e.g. 5000).
"""

from __future__ import annotations

import os
import poplib
import queue
import socket
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pop3
from conftest import RunningServer

EXAMPLES = int(os.environ.get("SMTP_FUZZ_EXAMPLES", "300"))
MESSAGES = (b"Subject: one\r\n\r\n.dot\r\n..two\r\nend\r\n", b"Subject: two\r\n\r\nbody\r\n",
            b"no header end", b".\r\n.\r\n")
VERBS = ("USER", "PASS", "APOP", "AUTH", "STLS", "CAPA", "QUIT", "STAT", "LIST", "UIDL", "RETR",
         "TOP", "DELE", "RSET", "NOOP", "XTND", "")
NUMBERS = ("1", "2", "3", "4", "5", "0", "-1", "99999999999999999999", "x", "１", "")

_argument = st.one_of(st.sampled_from(NUMBERS),
                      st.tuples(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS))
                      .map(" ".join),
                      st.sampled_from(("PLAIN", "PLAIN AHN0dWRlbnQAc2VjcmV0", "LOGIN", "NTLM",
                                       "student", "student " + "0" * 32, "*", "=")),
                      st.text(max_size=20))
_command = st.builds(lambda verb, arg, lower: ((verb.lower() if lower else verb)
                                               + (" " + arg if arg else "")).encode(),
                     st.sampled_from(VERBS), _argument, st.booleans())
# Commands on the messages, with numbers that mostly exist: where the maildrop is read.
_on_message = st.builds(lambda verb, number: f"{verb} {number}".encode(),
                        st.sampled_from(("RETR", "TOP", "DELE", "LIST", "UIDL", "RSET")),
                        st.sampled_from(("1", "2", "3", "4", "1 0", "1 2", "3 1", "4 9", "0",
                                         "5", "x")))
_line = st.one_of(_on_message, _on_message, _command, _command, st.binary(max_size=40),
                  st.integers(250, 400).map(lambda size: b"NOOP " + b"x" * size))
_LOGIN = [(b"USER student", b"\r\n"), (b"PASS secret", b"\r\n")]
# Most sessions log on first: the TRANSACTION state is where the messages are.
_session = st.tuples(st.builds(lambda login, lines: (_LOGIN if login else []) + lines,
                               st.integers(0, 3).map(bool),
                               st.lists(st.tuples(_line, st.sampled_from((b"\r\n", b"\n"))),
                                        max_size=25)),
                     st.integers(1, 64))


def _config() -> SimpleNamespace:
    return SimpleNamespace(hostname="fuzz.test", timeout=600.0, tls_context=None)


class Reader:
    """Reads responses from the bytes a server sent, checking their form."""

    def __init__(self, data: bytes) -> None:
        self._lines = data.split(b"\r\n")
        assert self._lines.pop() == b"", "the output ends in the middle of a line"
        self._index = 0

    def line(self) -> bytes:
        assert self._index < len(self._lines), "a response is missing"
        self._index += 1
        return self._lines[self._index - 1]

    def response(self, reply) -> bytes | None:
        """One response, as its event describes it; the unstuffed body of a multi-line one."""
        status = self.line()
        assert status == reply.status_line.encode()
        assert status.startswith((b"+OK", b"-ERR", b"+ "))
        if not reply.multiline:
            return None
        lines = []
        while (line := self.line()) != b".":
            lines.append(line[1:] if line.startswith(b".") else line)
        return b"".join(line + b"\r\n" for line in lines)

    def finished(self) -> bool:
        return self._index == len(self._lines)


def _maildrop() -> pop3.Maildrop:
    drop = pop3.Maildrop("fuzz")
    for number, raw in enumerate(MESSAGES, 1):
        drop.add(number, raw)
    return drop


def _expected_body(raw: bytes) -> bytes:
    """What a client reads back for `raw`: a final CRLF is added when it has none."""
    return raw if raw.endswith(b"\r\n") or not raw else raw + b"\r\n"


@settings(max_examples=EXAMPLES, deadline=None)
@given(_session)
def test_state_machine_gives_one_well_formed_response_per_line(session):
    lines, piece = session
    drop = _maildrop()
    events: list = []
    machine = pop3.POP3Session(_config(), 1, "fuzz", drop, events.append)
    output = machine.greeting()
    data = b"".join(line + end for line, end in lines)
    for start in range(0, len(data), piece):
        output += b"".join(machine.receive(data[start:start + piece]))
    machine.replies_written()
    replies = [event for event in events if event.event == "reply"]
    commands = [event for event in events if event.event == "command"]
    assert len(replies) == len(commands) + 1  # the greeting answers nothing
    reader = Reader(output)
    by_number = {message.number: message.raw for message in drop.snapshot()}
    for reply in replies:
        body = reader.response(reply)
        if reply.body_size is not None and reply.text.endswith(" octets"):  # RETR
            assert body == _expected_body(by_number[reply.message_number])
    assert reader.finished()
    removed = set(range(1, 5)) - {message.number for message in drop.snapshot()}
    if removed:
        assert replies[-1].state == pop3.UPDATE and machine.closed


@pytest.fixture(scope="module")
def fuzz_server():
    running = RunningServer(serve_pop3=True, pop3_port=0, decode=False)
    for raw in MESSAGES[:2]:
        running.server.maildrop.add(0, raw)
    yield running
    running.server.stop()


@settings(max_examples=max(EXAMPLES // 10, 1), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_session)
def test_real_server_survives_random_sessions(fuzz_server, session):
    lines, _ = session
    with socket.create_connection(("127.0.0.1", fuzz_server.pop3_port), timeout=10) as sock:
        sock.recv(1000)
        sock.sendall(b"".join(line + end for line, end in lines))
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    client = poplib.POP3("127.0.0.1", fuzz_server.pop3_port, timeout=10)
    client.user("next")
    client.pass_("client")
    client.quit()
    while True:
        try:
            fuzz_server.seen.append(fuzz_server.events.get_nowait())
        except queue.Empty:
            break
    assert fuzz_server.named("error") == []
