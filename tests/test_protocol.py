"""The SMTP state machine, driven line by line without a socket."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import remark_text
from smtp_observer import (AUTH_LINE_LIMIT, COMMAND_LINE_LIMIT, MAX_ERRORS, MAX_RECIPIENTS,
                           ServerConfig, SMTPSession)

REPLY_LINE = re.compile(rb"^(\d{3})([ -])(.*)$")


def parse_replies(wire: bytes) -> list[tuple[int, list[str]]]:
    """Split reply bytes into (code, lines) replies, checking the wire format as we go."""
    replies, lines = [], []
    assert wire == b"" or wire.endswith(b"\r\n")
    for raw in wire.split(b"\r\n")[:-1]:
        match = REPLY_LINE.match(raw)
        assert match, f"malformed reply line {raw!r}"
        lines.append(match[3].decode())
        if match[2] == b" ":
            replies.append((int(match[1]), lines))
            lines = []
    assert not lines, "a multi-line reply was not finished"
    return replies


class Dialogue:
    def __init__(self, **config) -> None:
        self.events: list = []
        self.session = SMTPSession(ServerConfig(hostname="obs.test", **config), 1,
                                   "127.0.0.1:4242", self.events.append)
        self.greeting = parse_replies(self.session.greeting())
        self.session.replies_written()

    def wire(self, data: bytes) -> bytes:
        """What the server sends back for `data`, as it goes over the wire (then written)."""
        wire = b"".join(self.session.receive(data))
        self.session.replies_written()
        return wire

    def send(self, data: bytes) -> list[tuple[int, list[str]]]:
        return parse_replies(self.wire(data))

    def cmd(self, line: str) -> tuple[int, str]:
        replies = self.send(line.encode() + b"\r\n")
        assert len(replies) == 1, replies
        code, lines = replies[0]
        return code, "\n".join(lines)

    def code(self, line: str) -> int:
        return self.cmd(line)[0]

    def remarks(self) -> list[str]:
        return [remark_text(e) for e in self.events if e.event == "remark"]

    def in_transaction(self) -> None:
        assert self.code("EHLO client.example") == 250
        assert self.code("MAIL FROM:<a@example.com>") == 250
        assert self.code("RCPT TO:<b@example.com>") == 250


@pytest.fixture
def dialogue() -> Dialogue:
    return Dialogue()


def test_greeting_names_the_host(dialogue):
    assert dialogue.greeting == [(220, ["obs.test ESMTP SMTP Observer ready"])]
    assert [e.event for e in dialogue.events] == ["connect", "reply"]


def test_ehlo_advertises_what_is_implemented_and_nothing_else(dialogue):
    code, text = dialogue.cmd("EHLO ideaPC")
    assert code == 250
    keywords = text.split("\n")
    assert keywords[0] == "obs.test Hello ideaPC"
    assert keywords[1:] == ["8BITMIME", "SIZE 33554432", "PIPELINING", "SMTPUTF8",
                            "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN", "HELP"]
    assert not {"STARTTLS", "CHUNKING", "DSN"} & set(keywords)


def test_ehlo_size_follows_the_configured_limit():
    assert "SIZE 1000" in Dialogue(max_size=1000).cmd("EHLO x")[1].split("\n")


@pytest.mark.parametrize("name", ["ideaPC", "DESKTOP7C66I2M", "[127.0.0.1]", "[IPv6:::1]",
                                  "mail.example.com"])
def test_helo_and_ehlo_accept_what_real_clients_send(name):
    assert Dialogue().code(f"EHLO {name}") == 250
    assert Dialogue().code(f"HELO {name}") == 250


@pytest.mark.parametrize("verb", ["HELO", "EHLO", "HELO ", "ehlo"])
def test_helo_without_a_name_is_a_syntax_error(dialogue, verb):
    assert dialogue.code(verb) == 501


def test_commands_are_case_insensitive(dialogue):
    assert dialogue.code("ehlo x") == 250
    assert dialogue.code("mail from:<a@b.example>") == 250
    assert dialogue.code("Rcpt To:<c@d.example>") == 250


def test_a_second_ehlo_resets_the_transaction(dialogue):
    dialogue.in_transaction()
    assert dialogue.code("EHLO again") == 250
    assert dialogue.code("DATA") == 503
    assert dialogue.code("MAIL FROM:<x@y.example>") == 250


@pytest.mark.parametrize("line", [
    "MAIL FROM: <a@b.example>",  # Outlook
    "MAIL FROM: <a@b.example> SIZE=300",  # Foxmail
    "MAIL FROM:<a@b.example> BODY=8BITMIME SIZE=1234",  # Thunderbird
    "MAIL FROM:<a@b.example> BODY=7BIT",
    "MAIL FROM:<a@b.example> SMTPUTF8",
    "MAIL FROM:<a@b.example> AUTH=<>",
    "MAIL FROM:<>",  # the null sender of bounces
    "MAIL FROM:<用户@例子.中国> SMTPUTF8",
    'MAIL FROM:<"john doe"@b.example>',
    "MAIL FROM:<@relay.example:a@b.example>",  # an obsolete source route
])
def test_mail_from_lines_real_clients_send(dialogue, line):
    dialogue.code("EHLO x")
    assert dialogue.code(line) == 250


def test_mail_from_reply_names_the_sender(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.cmd("MAIL FROM: <a@b.example>") == (250, "2.1.0 Sender <a@b.example> OK")


@pytest.mark.parametrize("line", ["MAIL FROM:<a b@c.example>", "MAIL FROM:<a@b.example",
                                  "MAIL FROM:<no-at-sign>", "MAIL FROM:<a@@b>", "MAIL TO:<a@b.c>",
                                  "MAIL", "MAIL FROM:"])
def test_malformed_mail_from_is_501(dialogue, line):
    dialogue.code("EHLO x")
    assert dialogue.code(line) == 501


def test_unknown_mail_parameter_is_555(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.code("MAIL FROM:<a@b.example> RET=FULL") == 555


def test_mail_parameters_after_helo_are_555(dialogue):
    dialogue.code("HELO x")
    assert dialogue.code("MAIL FROM:<a@b.example> SIZE=10") == 555


def test_size_over_the_limit_is_552_at_once():
    dialogue = Dialogue(max_size=1000)
    dialogue.code("EHLO x")
    assert dialogue.code("MAIL FROM:<a@b.example> SIZE=1001") == 552
    assert dialogue.code("MAIL FROM:<a@b.example> SIZE=1000") == 250


@pytest.mark.parametrize("param", ["SIZE=big", "BODY=9BIT"])
def test_bad_parameter_values_are_501(dialogue, param):
    dialogue.code("EHLO x")
    assert dialogue.code(f"MAIL FROM:<a@b.example> {param}") == 501


def test_mail_without_brackets_is_accepted_with_a_remark(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.code("mail from: a@b.example") == 250
    assert any("angle brackets" in remark for remark in dialogue.remarks())


def test_bracketed_mail_from_makes_no_remark(dialogue):
    dialogue.in_transaction()
    assert dialogue.remarks() == []


@pytest.mark.parametrize("line,expected", [
    ("MAIL FROM:<a@b.example>", 503),  # before HELO/EHLO
    ("RCPT TO:<a@b.example>", 503),
    ("DATA", 503),
])
def test_commands_out_of_order_before_helo(dialogue, line, expected):
    assert dialogue.code(line) == expected


def test_order_errors_name_the_broken_rule(dialogue):
    assert "HELO/EHLO first" in dialogue.cmd("MAIL FROM:<a@b.example>")[1]
    dialogue.code("EHLO x")
    assert dialogue.cmd("RCPT TO:<a@b.example>") == (
        503, "5.5.1 Need MAIL command first (RCPT before MAIL)")
    assert dialogue.cmd("DATA")[0] == 503
    dialogue.code("MAIL FROM:<a@b.example>")
    assert dialogue.cmd("DATA") == (503, "5.5.1 Need RCPT command first (DATA before RCPT)")
    assert dialogue.cmd("MAIL FROM:<a@b.example>")[0] == 503  # nested MAIL


@pytest.mark.parametrize("line", ["RCPT TO:<>", "RCPT TO:<a b@c>", "RCPT FROM:<a@b.example>",
                                  "RCPT TO:"])
def test_malformed_rcpt_is_501(dialogue, line):
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@b.example>")
    assert dialogue.code(line) == 501


def test_rcpt_to_postmaster_without_domain_is_allowed(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@b.example>")
    assert dialogue.code("RCPT TO:<Postmaster>") == 250


def test_rcpt_parameters_are_555(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@b.example>")
    assert dialogue.code("RCPT TO:<c@d.example> NOTIFY=NEVER") == 555


def test_more_than_100_recipients_is_452(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@b.example>")
    codes = [dialogue.code(f"RCPT TO:<r{i}@d.example>") for i in range(MAX_RECIPIENTS + 1)]
    assert codes == [250] * MAX_RECIPIENTS + [452]


def send_message(dialogue: Dialogue, body: bytes) -> list[tuple[int, list[str]]]:
    dialogue.in_transaction()
    assert dialogue.code("DATA") == 354
    return dialogue.send(body)


def test_data_ends_only_on_crlf_dot_crlf_and_is_unstuffed(dialogue):
    replies = send_message(dialogue, b"Subject: t\r\n\r\n..leading dot\r\n.\r\n")
    assert [code for code, _ in replies] == [250]
    assert dialogue.session.completed[0].raw == b"Subject: t\r\n\r\n.leading dot\r\n"


def test_an_empty_message_completes(dialogue):
    assert [c for c, _ in send_message(dialogue, b".\r\n")] == [250]
    assert dialogue.session.completed[0].raw == b""


def test_a_dot_stuffed_first_line_is_unstuffed(dialogue):
    send_message(dialogue, b"..first\r\n.\r\n")
    assert dialogue.session.completed[0].raw == b".first\r\n"


def test_bare_lf_dot_lf_does_not_end_the_data(dialogue):
    assert send_message(dialogue, b"Subject: t\n\nbody\n.\nmore\r\n") == []
    assert dialogue.send(b".\r\n")[0][0] == 250
    assert dialogue.session.completed[0].raw == b"Subject: t\n\nbody\n.\nmore\r\n"
    assert any("bare LF" in remark for remark in dialogue.remarks())


def test_the_terminator_may_arrive_split_across_reads(dialogue):
    send_message(dialogue, b"Subject: t\r\n\r\nbody\r")
    for piece in (b"\n", b".", b"\r"):
        assert dialogue.send(piece) == []
    assert dialogue.send(b"\n")[0][0] == 250
    assert dialogue.session.completed[0].raw == b"Subject: t\r\n\r\nbody\r\n"


def remark_numbers(dialogue: Dialogue, kind: str, words: str) -> list[int]:
    """The number at the start of each remark of ``kind`` that says ``words``."""
    return [event.values["count"] for event in dialogue.events
            if event.event == "remark" and event.kind == kind and words in remark_text(event)]


def send_data_in_pieces(dialogue: Dialogue, raw: bytes, cuts: list[int]) -> None:
    """Send ``raw`` (ending in CRLF) as DATA, dot-stuffed as a client does, cut after each
    number of octets in ``cuts``."""
    stuffed = (b"." + raw if raw.startswith(b".") else raw).replace(b"\r\n.", b"\r\n..")
    wire = stuffed + b".\r\n"
    dialogue.in_transaction()
    assert dialogue.code("DATA") == 354
    start = 0
    for cut in [*cuts, len(wire)]:
        dialogue.wire(wire[start:start + cut])
        start += cut
    assert dialogue.session.completed[0].raw == raw


@settings(max_examples=300)
@given(message=st.lists(st.sampled_from([b"\r\n", b"\r", b"\n", b"\r\n.", b".", b"x",
                                         b"y" * 450])).map(b"".join),
       cuts=st.lists(st.integers(min_value=1, max_value=8)))
def test_data_counted_piece_by_piece_is_counted_as_a_whole(message, cuts):
    """Dot-stuffing, bare line ends and long lines are found as each read arrives (a read may
    end inside a CRLF or a stuffed line's CRLF "."); they must be those of the whole message."""
    raw = message + b"\r\n"
    dialogue = Dialogue()
    send_data_in_pieces(dialogue, raw, cuts)
    stuffed_lines = (b"\r\n" + raw).count(b"\r\n.")
    assert remark_numbers(dialogue, "dot-stuffing", "begin with") == [stuffed_lines] * bool(
        stuffed_lines)
    bare_lf, bare_cr = raw.count(b"\n") - raw.count(b"\r\n"), raw.count(b"\r") - raw.count(b"\r\n")
    assert remark_numbers(dialogue, "bare-lf-data", "bare LF") == [bare_lf] * bool(bare_lf)
    assert remark_numbers(dialogue, "bare-cr-data", "bare CR") == [bare_cr] * bool(bare_cr)
    long_line = any(len(line) > 998 for line in re.split(rb"[\r\n]", raw))
    assert any(event.kind == "long-lines" for event in dialogue.events
               if event.event == "remark") == long_line


@pytest.mark.parametrize(("length", "flagged"), [(998, False), (999, True)])
def test_a_dot_stuffed_line_is_measured_without_its_second_dot(length, flagged):
    dialogue = Dialogue()
    send_data_in_pieces(dialogue, b"x\r\n." + b"y" * (length - 1) + b"\r\n", [700])
    assert any("longer than 998" in remark for remark in dialogue.remarks()) == flagged


def test_a_long_last_line_cut_off_by_a_disconnect_is_flagged(dialogue):
    send_message(dialogue, b"Subject: cut\r\n\r\n" + b"z" * 1500)
    dialogue.session.connection_lost("peer closed")
    assert any("longer than 998" in remark for remark in dialogue.remarks())


def test_data_over_the_limit_is_read_to_the_end_then_552():
    dialogue = Dialogue(max_size=100)
    dialogue.in_transaction()
    dialogue.code("DATA")
    for _ in range(10):
        assert dialogue.send(b"x" * 50 + b"\r\n") == []
    code, lines = dialogue.send(b".\r\n")[0]
    assert code == 552
    message = dialogue.session.completed[0]
    assert (message.accepted, message.raw) == (False, b"")
    assert message.reason.values["size"] == 520 and "520" in remark_text(message.reason)
    assert dialogue.code("NOOP") == 250  # the session goes on in step


def test_data_over_the_limit_in_one_read_is_552():
    dialogue = Dialogue(max_size=100)
    assert send_message(dialogue, b"y" * 200 + b"\r\n.\r\n")[0][0] == 552


def test_long_data_lines_are_accepted_and_flagged(dialogue):
    line = b"z" * 5000
    assert send_message(dialogue, line + b"\r\n.\r\n")[0][0] == 250
    assert dialogue.session.completed[0].raw == line + b"\r\n"
    assert any("longer than 998" in remark for remark in dialogue.remarks())


def test_8bit_data_without_body_8bitmime_is_flagged(dialogue):
    send_message(dialogue, "Subject: 你好\r\n\r\n正文\r\n.\r\n".encode())
    assert any("BODY=8BITMIME" in remark for remark in dialogue.remarks())


def test_8bit_data_with_body_8bitmime_is_not_flagged(dialogue):
    dialogue.code("EHLO lab-pc.example.edu")
    dialogue.code("MAIL FROM:<a@b.example> BODY=8BITMIME")
    dialogue.code("RCPT TO:<c@d.example>")
    dialogue.code("DATA")
    dialogue.send("Subject: 你好\r\n\r\n正文\r\n.\r\n".encode())
    assert dialogue.remarks() == []


def test_pipelined_commands_are_answered_in_order(dialogue):
    replies = dialogue.send(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
                            b"RCPT TO:<e@f.example>\r\nDATA\r\n")
    assert [code for code, _ in replies] == [250, 250, 250, 250, 354]
    replies = dialogue.send(b"Subject: x\r\n\r\nhi\r\n.\r\nRSET\r\nQUIT\r\n")
    assert [code for code, _ in replies] == [250, 250, 221]
    assert dialogue.session.completed[0].envelope.rcpt_to == ("c@d.example", "e@f.example")


def test_a_command_split_across_reads_is_reassembled(dialogue):
    assert dialogue.send(b"EH") == []
    assert dialogue.send(b"LO split") == []
    assert dialogue.send(b"\r\n")[0][0] == 250


def test_rset_noop_vrfy_expn_help(dialogue):
    dialogue.in_transaction()
    assert dialogue.code("RSET") == 250
    assert dialogue.code("DATA") == 503  # RSET ended the transaction
    assert dialogue.code("RSET now") == 501
    assert dialogue.code("NOOP") == 250
    assert dialogue.code("NOOP with argument") == 250
    assert dialogue.code("VRFY someone") == 252
    assert dialogue.code("VRFY") == 501
    assert dialogue.code("EXPN list") == 502
    code, text = dialogue.cmd("HELP")
    assert code == 214 and "MAIL" in text and "QUIT" in text


@pytest.mark.parametrize("verb", ["STARTTLS", "BDAT 10 LAST", "TURN", "ETRN x"])
def test_known_but_unimplemented_commands_are_502(dialogue, verb):
    dialogue.code("EHLO x")
    assert dialogue.code(verb) == 502


@pytest.mark.parametrize("line", ["FOO", "", "GET / HTTP/1.1", "MAILFROM:<a@b>"])
def test_unknown_commands_are_500(dialogue, line):
    assert dialogue.code(line) == 500


def test_quit_says_221_and_closes(dialogue):
    assert dialogue.cmd("QUIT") == (221, "2.0.0 obs.test closing connection")
    assert dialogue.session.closed and dialogue.session.close_reason == "quit"
    assert dialogue.send(b"NOOP\r\n") == []  # nothing is answered after QUIT


def test_binary_garbage_is_500_and_shown_escaped(dialogue):
    assert dialogue.send(b"\xff\xfe\x00\x01 junk\r\n")[0][0] == 500
    lines = [e.line for e in dialogue.events if e.event == "command"]
    assert lines == ["\\xff\\xfe\x00\x01 junk"]
    assert dialogue.code("NOOP") == 250


def test_a_command_line_over_512_octets_is_500_and_discarded(dialogue):
    long_line = b"NOOP " + b"a" * COMMAND_LINE_LIMIT + b"\r\n"
    assert [c for c, _ in dialogue.send(long_line)] == [500]
    assert dialogue.code("NOOP") == 250


def test_a_long_line_arriving_in_pieces_is_drained(dialogue):
    assert dialogue.send(b"NOOP " + b"a" * 600) == []
    assert dialogue.send(b"b" * 600) == []
    assert [c for c, _ in dialogue.send(b"c\r\nNOOP\r\n")] == [500, 250]


def test_a_512_octet_line_is_accepted(dialogue):
    line = b"NOOP " + b"a" * (COMMAND_LINE_LIMIT - 7) + b"\r\n"
    assert len(line) == COMMAND_LINE_LIMIT
    assert [c for c, _ in dialogue.send(line)] == [250]


def test_auth_lines_may_be_longer(dialogue):
    dialogue.code("EHLO x")
    token = base64.b64encode(b"\0user\0" + b"p" * 4000).decode()
    assert dialogue.code(f"AUTH PLAIN {token}") == 235
    assert len(token) > COMMAND_LINE_LIMIT
    assert len(token) < AUTH_LINE_LIMIT


def test_a_bare_lf_command_is_accepted_with_one_remark(dialogue):
    assert [c for c, _ in dialogue.send(b"EHLO x\nNOOP\n")] == [250, 250]
    assert len([r for r in dialogue.remarks() if "bare LF" in r]) == 1


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_auth_login_challenges_are_byte_exact(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.send(b"AUTH LOGIN\r\n") == [(334, ["VXNlcm5hbWU6"])]
    assert dialogue.send(b64("student").encode() + b"\r\n") == [(334, ["UGFzc3dvcmQ6"])]
    assert dialogue.wire(b64("secret").encode() + b"\r\n") == \
        b"235 2.7.0 Authentication successful\r\n"
    (auth,) = [e for e in dialogue.events if e.event == "remark" and e.kind == "auth-decoded"]
    # masked until asked for
    assert "'student'" in remark_text(auth) and "secret" not in remark_text(auth)
    assert auth.secret == "secret"
    commands = [e for e in dialogue.events if e.event == "command"]
    assert [e.answers_challenge for e in commands] == [False, False, True, True]


def test_auth_login_with_initial_response_skips_to_the_password(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.cmd(f"AUTH LOGIN {b64('student')}") == (334, "UGFzc3dvcmQ6")
    assert dialogue.code(b64("secret")) == 235


def test_auth_plain_with_and_without_initial_response(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.code("AUTH PLAIN " + b64("\0student\0secret")) == 235
    second = Dialogue()
    second.code("EHLO x")
    assert second.wire(b"AUTH PLAIN\r\n") == b"334 \r\n"
    assert second.code(b64("\0student\0secret")) == 235


def test_auth_cancel_bad_base64_and_other_mechanisms(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("AUTH LOGIN")
    assert dialogue.code("*") == 501
    assert dialogue.code("AUTH LOGIN !!!notbase64") == 501
    assert dialogue.code("AUTH PLAIN " + b64("no separators")) == 501
    for mechanism in ("NTLM", "CRAM-MD5", "XOAUTH2"):
        assert dialogue.code(f"AUTH {mechanism}") == 504
    assert any("Secure Password Authentication" in r for r in dialogue.remarks())
    assert dialogue.code("AUTH") == 501


def test_auth_state_rules(dialogue):
    assert dialogue.code("AUTH PLAIN " + b64("\0u\0p")) == 503  # before EHLO
    dialogue.code("HELO x")
    assert dialogue.code("AUTH PLAIN " + b64("\0u\0p")) == 503  # HELO has no AUTH
    dialogue.code("EHLO x")
    assert dialogue.code("AUTH PLAIN " + b64("\0u\0p")) == 235
    assert dialogue.code("AUTH PLAIN " + b64("\0u\0p")) == 503  # already authenticated


def test_mail_is_accepted_without_auth(dialogue):
    assert [c for c, _ in send_message(dialogue, b"x\r\n.\r\n")] == [250]


def test_twenty_errors_end_the_session_with_421(dialogue):
    replies = dialogue.send(b"BAD\r\n" * MAX_ERRORS)
    assert [c for c, _ in replies] == [500] * MAX_ERRORS + [421]
    assert dialogue.session.closed and dialogue.session.close_reason == "too many errors"


def test_idle_timeout_says_421(dialogue):
    assert parse_replies(dialogue.session.timed_out())[0][0] == 421
    assert dialogue.session.close_reason == "timeout"


def test_a_bug_in_a_command_costs_one_451_not_the_session(dialogue, monkeypatch):
    def broken(arg):
        raise ValueError("boom")
    monkeypatch.setitem(dialogue.session._commands, "NOOP", broken)
    assert dialogue.code("NOOP") == 451
    (error,) = [e for e in dialogue.events if e.event == "error"]
    assert (error.kind, error.values) == ("command-failed",
                                          {"error": "ValueError: boom", "line": "NOOP"})
    assert dialogue.code("EHLO x") == 250


def test_disconnect_in_data_keeps_what_arrived(dialogue):
    send_message(dialogue, b"Subject: cut\r\n\r\npart of the bo")
    dialogue.session.connection_lost("peer closed")
    message = dialogue.session.completed[0]
    assert (message.complete, message.accepted) == (False, False)
    assert message.raw == b"Subject: cut\r\n\r\npart of the bo"
    assert [e.complete for e in dialogue.events if e.event == "data"] == [False]


def test_every_reply_is_an_event_in_wire_order(dialogue):
    dialogue.in_transaction()
    codes = [e.code for e in dialogue.events if e.event == "reply"]
    assert codes == [220, 250, 250, 250]
    commands = [e.line for e in dialogue.events if e.event == "command"]
    assert commands == ["EHLO client.example", "MAIL FROM:<a@example.com>",
                        "RCPT TO:<b@example.com>"]


def test_an_idle_timeout_in_data_keeps_what_arrived(dialogue):
    send_message(dialogue, b"Subject: bare LF only\n\nno CRLF.CRLF will come\n.\n")
    assert parse_replies(dialogue.session.timed_out())[0][0] == 421
    message = dialogue.session.completed[0]
    assert (message.complete, message.raw) == (
        False, b"Subject: bare LF only\n\nno CRLF.CRLF will come\n.\n")


def test_a_too_long_auth_line_ends_the_exchange(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("AUTH LOGIN")
    assert dialogue.cmd("A" * (AUTH_LINE_LIMIT + 10)) == (
        500, "5.5.6 Authentication exchange line is too long")
    assert dialogue.code("QUIT") == 221  # a command again, not a user name


def test_recipients_over_the_limit_do_not_count_as_errors(dialogue):
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@b.example>")
    rcpts = b"".join(b"RCPT TO:<r%d@d.example>\r\n" % i for i in range(MAX_RECIPIENTS + 30))
    codes = [code for code, _ in dialogue.send(rcpts + b"DATA\r\n")]
    assert codes == [250] * MAX_RECIPIENTS + [452] * 30 + [354]
    assert not dialogue.session.closed


def test_a_size_that_is_not_ascii_digits_is_501(dialogue):
    dialogue.code("EHLO x")
    assert dialogue.code("MAIL FROM:<a@b.example> SIZE=²") == 501


def test_a_helo_name_with_control_characters_is_501(dialogue):
    assert dialogue.send(b"EHLO a\rb\r\n")[0][0] == 501
    assert dialogue.code("EHLO ab") == 250


def test_no_8bitmime_also_hides_smtputf8():
    keywords = Dialogue(scenarios=("no-8bitmime",)).cmd("EHLO x")[1].split("\n")
    assert "8BITMIME" not in keywords and "SMTPUTF8" not in keywords
