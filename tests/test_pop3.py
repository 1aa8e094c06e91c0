"""The POP3 state machine (pop3.POP3Session), driven line by line without a socket."""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
from pathlib import Path
from types import SimpleNamespace

import pytest

import explain_pop3
import pop3
from conftest import remark_text

DOTTED = (b"From: a@example.com\r\nSubject: dots\r\n\r\n.one dot\r\n..two dots\r\n.\r\n"
          b"after a lone dot\r\n")
PLAIN = b"Subject: plain\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"


class Client:
    """One POP3 session over a shared maildrop; `say` returns the server's bytes."""

    def __init__(self, maildrop: pop3.Maildrop, *, tls: bool = False, piece: int = 0) -> None:
        self.events: list = []
        config = SimpleNamespace(hostname="observer.test", timeout=600.0,
                                 tls_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER) if tls
                                 else None)
        self.session = pop3.POP3Session(config, 1, "127.0.0.1:5000", maildrop,
                                        self.events.append)
        self.piece = piece  # >0: bytes arrive in pieces of this size
        self.greeting = self.session.greeting()
        self.session.replies_written()

    def send(self, data: bytes) -> bytes:
        """What the server sends back for `data` (then written: its events are recorded)."""
        pieces = [data] if not self.piece else [data[start:start + self.piece]
                                                 for start in range(0, len(data), self.piece)]
        wire = b"".join(b"".join(self.session.receive(piece)) for piece in pieces)
        self.session.replies_written()
        return wire

    def say(self, line: str | bytes) -> bytes:
        return self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def login(self) -> bytes:
        self.say("USER student")
        return self.say("PASS secret")

    def named(self, name: str) -> list:
        return [event for event in self.events if event.event == name]

    def remarks(self, kind: str) -> list:
        return [event for event in self.named("remark") if event.kind == kind]


def unstuff(body: bytes) -> bytes:
    """What a client makes of a multi-line response body: the message (RFC 1939 3)."""
    assert body.endswith(b"\r\n.\r\n")
    lines = body[:-3].split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


@pytest.fixture
def maildrop() -> pop3.Maildrop:
    drop = pop3.Maildrop("run1")
    drop.add(1, DOTTED)
    drop.add(2, PLAIN)
    return drop


@pytest.fixture
def client(maildrop) -> Client:
    return Client(maildrop)


def test_greeting_carries_an_apop_timestamp(client):
    assert re.fullmatch(rb"\+OK observer\.test POP3 SMTP-Observer ready <[^<>@]+@observer\.test>"
                        rb"\r\n", client.greeting)
    assert client.named("connect")[0].protocol == "pop3"
    assert client.named("reply")[0].state == pop3.AUTHORIZATION


def test_capa_lists_the_capabilities_in_both_states(client):
    capa = client.say("CAPA")
    assert capa == (b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\n"
                    b"SASL PLAIN\r\nIMPLEMENTATION SMTP-Observer\r\n.\r\n")
    client.login()
    assert client.say("CAPA") == capa


def test_capa_offers_stls_with_a_certificate_until_logged_on(maildrop):
    client = Client(maildrop, tls=True)
    assert b"\r\nSTLS\r\n" in client.say("CAPA")
    client.login()
    assert b"STLS" not in client.say("CAPA")
    assert client.say("STLS").startswith(b"-ERR STLS is not allowed in the TRANSACTION")


def test_stls_without_a_certificate_is_refused(client):
    assert client.say("STLS").startswith(b"-ERR STLS is not offered")
    assert not client.session.tls_requested


def test_stls_discards_what_the_client_sent_before_tls_began(maildrop):
    client = Client(maildrop, tls=True)
    assert client.send(b"STLS\r\nUSER injected\r\n") == b"+OK Begin TLS negotiation\r\n"
    assert client.session.tls_requested
    assert "discarded" in remark_text(client.remarks("pop3-after-stls")[0])
    client.session.tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert client.say("STLS") == b"-ERR TLS is already active\r\n"
    assert b"STLS" not in client.say("CAPA")


def test_user_and_pass_log_on_with_any_password(client):
    assert client.say("USER student") == b"+OK student is welcome here; now PASS\r\n"
    assert client.say("PASS my secret") == (
        b"+OK student's maildrop has 2 messages (%d octets)\r\n" % (len(DOTTED) + len(PLAIN)))
    assert client.session.state == pop3.TRANSACTION
    commands = [event.line for event in client.named("command")]
    assert commands == ["USER student", "PASS *********"]
    remark = client.remarks("pop3-password")[0]
    assert remark.secret == "my secret" and "my secret" not in remark_text(remark)
    assert "'*********'" in remark_text(remark) and "clear" in remark_text(remark)


@pytest.mark.parametrize("lines, reply", [
    (["PASS secret"], b"-ERR Send USER first\r\n"),
    (["USER a", "NOOP", "PASS secret"], b"-ERR Send USER first\r\n"),
    (["USER a", "PASS"], b"-ERR Syntax: PASS password\r\n"),
    (["USER"], b"-ERR Syntax: USER name\r\n"),
    # The NUL used to come back as a space: "+OK a b is welcome here".
    ([b"USER a\x00b"], b"-ERR Control characters are not allowed in a user name\r\n"),
    ([b"USER \x1b]0;T\x07"], b"-ERR Control characters are not allowed in a user name\r\n"),
    (["APOP student"], b"-ERR Syntax: APOP name digest (32 hexadecimal digits)\r\n"),
    (["APOP student 1234"], b"-ERR Syntax: APOP name digest (32 hexadecimal digits)\r\n"),
])
def test_bad_logons_get_one_err_and_the_session_stays_in_authorization(client, lines, reply):
    for line in lines[:-1]:
        client.say(line)
    assert client.say(lines[-1]) == reply
    assert client.session.state == pop3.AUTHORIZATION and not client.session.closed
    assert client.login().startswith(b"+OK")


def test_apop_shows_the_digest_not_a_password(client):
    timestamp = re.search(rb"<[^>]+>", client.greeting)[0]
    digest = hashlib.md5(timestamp + b"secret").hexdigest()
    assert client.say(f"APOP student {digest}").startswith(b"+OK student's maildrop has 2")
    remark = client.remarks("pop3-apop")[0]
    assert digest in remark_text(remark) and timestamp.decode() in remark_text(remark)
    assert remark.secret is None


def test_auth_without_a_mechanism_lists_plain(client):
    assert client.say("AUTH") == b"+OK Supported mechanisms follow\r\nPLAIN\r\n.\r\n"


def test_auth_plain_with_an_initial_response(client):
    token = base64.b64encode(b"\x00student\x00p\xc3\xa4ss").decode()
    assert client.say(f"AUTH PLAIN {token}").startswith(b"+OK student's maildrop")
    remark = client.remarks("pop3-auth-plain")[0]
    text = remark_text(remark)
    assert remark.secret == "päss" and "'student'" in text and "'****'" in text


def test_auth_plain_with_a_challenge_and_a_long_response(client):
    assert client.say("AUTH plain") == b"+ \r\n"
    token = base64.b64encode(b"\x00student\x00" + b"p" * 300).decode()  # over 255 octets
    assert client.say(token).startswith(b"+OK student's maildrop")
    assert client.named("command")[-1].line == token


@pytest.mark.parametrize("answer, reply", [
    ("*", b"-ERR Authentication cancelled\r\n"),
    ("not base64!", b"-ERR AUTH PLAIN wants base64 of authzid NUL user NUL password\r\n"),
    (base64.b64encode(b"no nul bytes").decode(),
     b"-ERR AUTH PLAIN wants base64 of authzid NUL user NUL password\r\n"),
])
def test_auth_plain_refusals_cost_one_err(client, answer, reply):
    client.say("AUTH PLAIN")
    assert client.say(answer) == reply
    assert client.say("NOOP") == b"-ERR NOOP is not allowed in the AUTHORIZATION state\r\n"


def test_auth_with_spa_names_the_outlook_setting(client):
    assert client.say("AUTH NTLM") == b"-ERR Unrecognized authentication type NTLM\r\n"
    assert "SPA" in remark_text(client.remarks("pop3-spa")[0])
    assert client.say("AUTH CRAM-MD5") == b"-ERR Unrecognized authentication type CRAM-MD5\r\n"


@pytest.mark.parametrize("command", ["STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1",
                                     "RSET", "NOOP"])
def test_transaction_commands_are_refused_before_logon(client, command):
    verb = command.split()[0]
    assert client.say(command) == (
        f"-ERR {verb} is not allowed in the AUTHORIZATION state\r\n".encode())


@pytest.mark.parametrize("command", ["USER x", "PASS x", "APOP x " + "0" * 32, "AUTH PLAIN"])
def test_logon_commands_are_refused_after_logon(client, command):
    client.login()
    verb = command.split()[0]
    assert client.say(command) == (
        f"-ERR {verb} is not allowed in the TRANSACTION state\r\n".encode())


def test_stat_list_and_uidl(client):
    client.login()
    sizes = (len(DOTTED), len(PLAIN))
    assert client.say("STAT") == b"+OK 2 %d\r\n" % sum(sizes)
    assert client.say("LIST") == b"+OK 2 messages (%d octets)\r\n1 %d\r\n2 %d\r\n.\r\n" % (
        sum(sizes), *sizes)
    assert client.say("LIST 2") == b"+OK 2 %d\r\n" % sizes[1]
    assert client.say("UIDL") == b"+OK 2 messages (%d octets)\r\n1 run1.1\r\n2 run1.2\r\n.\r\n" % (
        sum(sizes))
    assert client.say("UIDL 1") == b"+OK 1 run1.1\r\n"


@pytest.mark.parametrize("command, reply", [
    ("LIST 3", b"-ERR No such message (the maildrop has 2)\r\n"),
    ("LIST 0", b"-ERR No such message (the maildrop has 2)\r\n"),
    ("RETR", b"-ERR Syntax: a message number is required\r\n"),
    ("RETR one", b"-ERR Syntax: a message number is required\r\n"),
    ("RETR -1", b"-ERR Syntax: a message number is required\r\n"),
    ("RETR \xb2", b"-ERR Syntax: a message number is required\r\n"),
    ("DELE 99999999999999999999", b"-ERR No such message (the maildrop has 2)\r\n"),
    ("TOP 1", b"-ERR Syntax: TOP message-number lines\r\n"),
    ("TOP 1 x", b"-ERR Syntax: TOP message-number lines\r\n"),
    ("TOP 3 0", b"-ERR No such message (the maildrop has 2)\r\n"),
    ("UIDL 7", b"-ERR No such message (the maildrop has 2)\r\n"),
    ("XTND XMIT", b"-ERR Unknown command\r\n"),
    ("STAT 1", b"-ERR Syntax: STAT takes no argument\r\n"),
    ("RSET all", b"-ERR Syntax: RSET takes no argument\r\n"),
    ("NOOP x", b"-ERR Syntax: NOOP takes no argument\r\n"),
    ("QUIT now", b"-ERR Syntax: QUIT takes no argument\r\n"),
    ("CAPA x", b"-ERR Syntax: CAPA takes no argument\r\n"),
    ("", b"-ERR Unknown command\r\n"),
])
def test_bad_arguments_get_one_err(client, command, reply):
    client.login()
    assert client.say(command) == reply
    assert client.say("NOOP") == b"+OK\r\n"


def test_retr_is_byte_exact_and_dot_stuffed(client):
    client.login()
    response = client.say("RETR 1")
    status, _, body = response.partition(b"\r\n")
    assert status == b"+OK %d octets" % len(DOTTED)
    assert b"\r\n..one dot\r\n...two dots\r\n..\r\n" in body
    assert unstuff(body) == DOTTED
    reply = client.named("reply")[-1]
    assert (reply.body_size, reply.message_number) == (len(DOTTED), 1)


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64])
def test_dot_stuffing_in_pieces_matches_dot_stuffing_at_once(piece):
    raw = b".starts with a dot\r\n" + DOTTED * 5 + b".\r\n"
    whole = b"".join(pop3.dot_stuffed(raw))
    assert b"".join(pop3.dot_stuffed(raw, piece)) == whole
    assert unstuff(whole) == raw


def test_a_message_without_a_final_crlf_gets_one_before_the_dot():
    assert b"".join(pop3.dot_stuffed(b"Subject: x\r\n\r\nno end")) == (
        b"Subject: x\r\n\r\nno end\r\n.\r\n")
    assert b"".join(pop3.dot_stuffed(b"")) == b".\r\n"


@pytest.mark.parametrize("lines, expected", [
    (0, b"Subject: plain\r\n\r\n"),
    (2, b"Subject: plain\r\n\r\nline 1\r\nline 2\r\n"),
    (99, PLAIN),
])
def test_top_sends_the_header_and_n_lines(client, lines, expected):
    client.login()
    response = client.say(f"TOP 2 {lines}")
    assert response == b"+OK Top of message follows\r\n" + expected + b".\r\n"


def test_dele_marks_rset_unmarks_and_quit_removes(client, maildrop):
    client.login()
    assert client.say("DELE 1") == b"+OK Message 1 marked as deleted (removed at QUIT)\r\n"
    assert client.say("DELE 1") == b"-ERR Message 1 is already deleted\r\n"
    assert client.say("RETR 1") == b"-ERR Message 1 is already deleted\r\n"
    assert client.say("STAT") == b"+OK 1 %d\r\n" % len(PLAIN)
    assert client.say("LIST") == b"+OK 1 messages (%d octets)\r\n2 %d\r\n.\r\n" % (
        len(PLAIN), len(PLAIN))
    assert client.say("RSET") == b"+OK Maildrop has 2 messages (%d octets)\r\n" % (
        len(DOTTED) + len(PLAIN))
    assert client.say("RETR 1").startswith(b"+OK")
    client.say("DELE 2")
    assert len(maildrop.snapshot()) == 2  # nothing removed before QUIT
    assert client.say("QUIT") == b"+OK observer.test POP3 signing off (1 deleted, 1 left)\r\n"
    assert client.session.closed and client.session.close_reason == "quit"
    assert client.named("reply")[-1].state == pop3.UPDATE
    assert [message.uid for message in maildrop.snapshot()] == ["run1.1"]
    assert "1 message(s)" in remark_text(client.remarks("mail-deleted")[0])
    # The next session numbers what is left from 1; its UID stays.
    again = Client(maildrop)
    again.login()
    assert again.say("UIDL") == b"+OK 1 messages (%d octets)\r\n1 run1.1\r\n.\r\n" % len(DOTTED)


def test_quit_before_logon_removes_nothing(client, maildrop):
    assert client.say("QUIT") == b"+OK observer.test POP3 signing off\r\n"
    assert client.named("reply")[-1].state == pop3.DONE
    assert len(maildrop.snapshot()) == 2


def test_a_dropped_connection_or_autologout_removes_nothing(maildrop):
    dropped = Client(maildrop)
    dropped.login()
    dropped.say("DELE 1")
    dropped.session.connection_lost("peer closed")
    idle = Client(maildrop)
    idle.login()
    idle.say("DELE 2")
    assert idle.session.timed_out() == b""  # RFC 1939 3: no response
    assert idle.session.close_reason == "timeout"
    assert "UPDATE" in remark_text(idle.remarks("autologout")[0])
    assert len(maildrop.snapshot()) == 2


def test_mail_that_arrives_during_a_session_shows_at_the_next_logon(client, maildrop):
    client.login()
    maildrop.add(3, PLAIN)
    assert client.say("STAT").startswith(b"+OK 2 ")
    client.say("QUIT")
    later = Client(maildrop)
    later.login()
    assert later.say("UIDL 3") == b"+OK 3 run1.3\r\n"


def test_uids_differ_between_runs():
    first, second = pop3.Maildrop(), pop3.Maildrop("other")
    assert first.add(1, PLAIN).uid != second.add(1, PLAIN).uid
    assert re.fullmatch(r"[\x21-\x7e]{1,70}", first.add(2, PLAIN).uid)  # RFC 1939 §7


def test_remarks_on_uidl_first_and_mail_left_on_the_server(client):
    client.login()
    client.say("UIDL")
    client.say("RETR 2")
    client.say("UIDL")
    client.say("QUIT")
    assert len(client.remarks("uidl-first")) == 1
    assert "leave a copy" in remark_text(client.remarks("mail-left")[0])
    assert not client.remarks("mail-deleted")


@pytest.mark.parametrize("piece", [0, 1, 100])
def test_a_line_over_255_octets_costs_one_err(maildrop, piece):
    client = Client(maildrop, piece=piece)
    client.login()
    assert client.say("LIST " + "0" * 248 + "1") == (
        b"-ERR Line too long (at most 255 octets)\r\n")
    # 255 octets with the CRLF: still a command
    assert client.say("LIST " + "0" * 247 + "1") == b"+OK 1 %d\r\n" % len(DOTTED)
    assert client.say("STAT").startswith(b"+OK 2 ")


def test_pipelined_commands_are_answered_in_order(client):
    response = client.send(b"USER a\r\nPASS b\r\nSTAT\r\nQUIT\r\nNOOP\r\n")
    assert [line.split(b" ")[0] for line in response.split(b"\r\n")[:-1]] == [b"+OK"] * 4
    assert client.session.closed


def test_bare_lf_and_lower_case_commands_are_accepted(client):
    assert client.send(b"user a\npass b\nstat\n").count(b"+OK") == 3


def test_bytes_that_are_not_utf8_are_shown_escaped(client):
    assert client.say(b"US\xffER a") == b"-ERR Unknown command\r\n"
    assert client.named("command")[-1].line == "US\\xffER a"


# --------------------------------------------------------------------------------------------
# The explanations (explain_pop3): every line the server knows, in both languages

def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _infos() -> list:
    return [*explain_pop3.COMMANDS.values(), *explain_pop3.RESPONSES.values(),
            *explain_pop3.CAPABILITIES.values(), explain_pop3.SASL_RESPONSE,
            explain_pop3.UNKNOWN_COMMAND]


def test_every_command_response_and_capability_is_explained_in_both_languages(maildrop):
    assert set(explain_pop3.COMMANDS) == set(pop3.POP3_COMMANDS)
    assert set(explain_pop3.RESPONSES) == {pop3.OK, pop3.ERR, pop3.CONTINUE}
    client = Client(maildrop, tls=True)
    capabilities = client.say("CAPA").decode().split("\r\n")[1:-2]
    assert {line.split(" ")[0] for line in capabilities} == set(explain_pop3.CAPABILITIES)
    for info in _infos():
        assert info.rfc.startswith("RFC ") and info.meaning.en and _has_chinese(info.meaning.zh)
    assert set(explain_pop3.STATES) == set(pop3.POP3_STATES)
    for text in [*explain_pop3.STATES.values(), explain_pop3.MULTILINE]:
        assert text.en and _has_chinese(text.zh)


def test_every_remark_has_both_languages_with_the_same_placeholders():
    source = (Path(pop3.__file__)).read_text(encoding="utf-8")
    used = set(re.findall(r"self\.remark\(RemarkKind\.(\w+)", source))
    assert used == {kind.name for kind in explain_pop3.REMARKS} | {"TLS_FAILED"}
    for text in explain_pop3.REMARKS.values():
        fields = [set(re.findall(r"{(\w+)", side)) for side in (text.en, text.zh)]
        assert fields[0] == fields[1] and _has_chinese(text.zh)


def test_a_capa_line_is_explained_under_the_response():
    explained = explain_pop3.explain_response("+OK", ("UIDL", "SASL PLAIN"), "zh", multiline=True)
    assert "多行应答" in explained and "UIDL：" in explained and "SASL PLAIN：" in explained
    assert explain_pop3.explain_command("uidl", "en").endswith("(RFC 1939 §7)")
    assert explain_pop3.explain_command("AQID", "zh",
                                        answers_challenge=True).startswith("这不是命令")


def test_the_maildrop_keeps_the_newest_messages_within_its_bounds():
    drop = pop3.Maildrop("run", max_messages=3, max_octets=100)
    for number in range(1, 6):
        drop.add(number, b"x" * 10)
    assert [message.number for message in drop.snapshot()] == [3, 4, 5]
    drop.add(6, b"y" * 90)  # 120 octets: the oldest go until 100 are left
    assert [message.number for message in drop.snapshot()] == [5, 6]
    drop.add(7, b"z" * 500)  # larger than the bound: kept alone, so that it can be fetched
    assert [message.uid for message in drop.snapshot()] == ["run.7"]
    drop.remove(["run.7"])
    drop.add(8, b"w" * 60)
    assert [message.number for message in drop.snapshot()] == [8]
