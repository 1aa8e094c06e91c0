"""The hand-typed console (console.py, --console): piped stdin against the real server."""

from __future__ import annotations

import base64
import os
import re
import string
import subprocess
import sys

import pytest

import console
import decoder
import explain
from conftest import ROOT
from events import PROTOCOL_POP3, PROTOCOL_SMTP

BY_HAND = """EHLO ideaPC
MAIL FROM: <alice@127.0.0.1>
RCPT TO:bob@127.0.0.1
DATA
!sample
.
QUIT
"""


def run_console(port: int, typed: str, lang: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "smtp_observer.py"), "--console", str(port), "--lang", lang,
         *extra], input=typed.encode("utf-8"), capture_output=True, env=env, timeout=60)
    # On Windows the console's text-mode stdout ends its lines with CRLF, as a terminal there
    # shows them; the protocol lines' own CRLF are not in its output.
    done.stdout = done.stdout.replace(b"\r\n", b"\n")
    return done


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_whole_mail_sent_by_hand_is_received_and_every_reply_explained(observer, lang):
    done = run_console(observer.port, BY_HAND, lang)
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr

    message = observer.wait_for("message")[0]
    assert message.accepted
    assert message.envelope.mail_from == "alice@127.0.0.1"
    assert message.envelope.rcpt_to == ("bob@127.0.0.1",)
    assert message.decoded.subject == "您好"
    assert "这是一封手工输入的邮件" in message.decoded.text

    # every reply the server sent is printed, followed by its explanation from explain.py
    replies = observer.wait_for("reply", 5)
    for reply in replies:
        wire = reply.wire_lines()
        explanation = explain.explain_reply(reply.code, reply.lines, lang).splitlines()
        block = ["S: " + line for line in wire] + ["   | " + line for line in explanation]
        assert "\n".join(block) in out, (reply.code, out)
    # the typed lines are echoed (piped input is not shown by a terminal)
    assert "C: MAIL FROM: <alice@127.0.0.1>" in out
    assert "C> Subject: =?gb2312?B?xPq6ww==?=" in out


def test_the_mistakes_are_remarked_on_the_spot_in_chinese(observer):
    typed = "MAIL FROM:<a@b.cn>\nEHLO lab.example\nMAIL FROM: <a@b.cn>\nRCPT TO:b@c.cn\n!lf\nNOOP\nQUIT\n"
    out = run_console(observer.port, typed, "zh").stdout.decode("utf-8")
    assert "503：命令顺序错误。MAIL 之前需要先有 EHLO（或 HELO）" in out
    assert "错误：“MAIL FROM:”后面有空格" in out
    assert "错误：地址没有使用尖括号。RFC 5321 §4.1.2 要求写成 RCPT TO:<b@c.cn>" in out
    assert "这一行以单独的 LF 结束" in out
    observer.wait_for("disconnect")
    # the server saw the bare LF as sent, and remarked it too
    assert any(event.event == "remark" and "LF" in str(event.to_json())
               for event in observer.seen)
    # no program-written English in a zh console (protocol tokens and server lines aside)
    for line in out.splitlines():
        if line.startswith("   ! "):
            words = re.findall(r"[A-Za-z]{4,}", line)
            assert set(words) <= {"EHLO", "HELO", "MAIL", "FROM", "RCPT", "DATA", "NOOP",
                                  "help", "QUIT", "SMTP", "Outlook", "Foxmail", "Linux", "CRLF"}, line


def test_out_of_order_data_and_the_english_remark(observer):
    out = run_console(observer.port, "HELO x.example\nDATA\nQUIT\n", "en").stdout.decode()
    assert "503: a command out of order. DATA needs an accepted RCPT TO first" in out


def test_pop3_is_spoken_on_the_observers_pop3_port(make_observer):
    observer = make_observer(serve_pop3=True, pop3_port=0)
    typed = "CAPA\nUSER alice\nPASS secret\nSTAT\nLIST\nQUIT\n"
    done = run_console(observer.pop3_port, typed, "zh")
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0
    assert "（POP3）" in out
    # a multi-line response is read to its "." before the next command is sent
    capa = out.split("C: CAPA", 1)[1].split("C: USER", 1)[0]
    assert "S: SASL PLAIN" in capa and "\nS: .\n" in capa
    assert "多行应答" in capa
    assert "S: +OK" in out.split("C: QUIT", 1)[1]


def test_helpers_base64_and_auth_plain_are_not_sent(observer):
    typed = "EHLO lab.example\n!b64 alice\n!unb64 VXNlcm5hbWU6\n!plain alice secret\n" \
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==\n!!NOOP\nQUIT\n"
    out = run_console(observer.port, typed, "en").stdout.decode()
    assert 'base64 of "alice" (UTF-8): YWxpY2U=' in out
    assert '"VXNlcm5hbWU6" decodes to: Username:' in out
    assert "AUTH PLAIN AGFsaWNlAHNlY3JldA==" in out
    assert "S: 235 2.7.0" in out
    observer.wait_for("disconnect")
    commands = [event.line for event in observer.named("command")]
    assert commands == ["EHLO lab.example", "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "!NOOP", "QUIT"]


def test_an_unreachable_port_is_one_clear_line(taken_port):
    with __import__("socket").socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = run_console(port, "QUIT\n", "zh")
    assert done.returncode == 1
    assert "无法连接到 127.0.0.1:" in done.stderr.decode("utf-8")
    assert b"Traceback" not in done.stderr
    assert run_console(0, "", "en").returncode == 2


def test_the_connection_closed_by_the_server_is_told(observer):
    out = run_console(observer.port, "QUIT\nNOOP\n", "en").stdout.decode()
    assert "The server closed the connection." in out


def test_the_line_discipline_without_a_socket():
    session = console.ConsoleSession()
    assert session.outgoing("EHLO x").wire == b"EHLO x\r\n"
    session.received(console.Reply(PROTOCOL_SMTP, ("354 go",), code=354))
    assert session.in_data
    assert not session.outgoing("Subject: x").expects_reply
    assert [n.key for n in session.outgoing(".hidden").notes] == ["dot_line"]
    assert session.outgoing(".").expects_reply
    session.received(console.Reply(PROTOCOL_SMTP, ("250 ok",), code=250))
    assert not session.in_data
    session.received(console.Reply(PROTOCOL_SMTP, ("334 VXNlcm5hbWU6",), code=334))
    assert session.answering_challenge and not session.outgoing("YWxpY2U=").notes
    pop3 = console.ConsoleSession(PROTOCOL_POP3)
    assert pop3.outgoing("LIST").multiline_reply and not pop3.outgoing("LIST 1").multiline_reply
    assert pop3.outgoing("RETR 1").multiline_reply and not pop3.outgoing("STAT").multiline_reply


def test_helpers_agree_with_the_server_side_decoding():
    assert console.base64_of("alice") == "YWxpY2U="
    command = console.auth_plain_command("张三", "密码")
    assert base64.b64decode(command.split()[-1]).decode() == "\0张三\0密码"
    raw = "\r\n".join(console.sample_message()).encode() + b"\r\n"
    decoded = decoder.decode(raw)
    assert decoded.subject == "您好"
    assert console.parse_target("2525") == ("127.0.0.1", 2525)
    assert console.parse_target("[::1]:25") == ("::1", 25)
    assert console.parse_target("lab-pc:110") == ("lab-pc", 110)
    assert console.parse_target("x:99999") is None and console.parse_target("a b") is None


def test_every_word_is_in_both_languages_with_the_same_placeholders():
    names = lambda text: {f[1] for f in string.Formatter().parse(text) if f[1]}  # noqa: E731
    for key, text in {**console.WORDS, **{k: v for k, v in console._NEEDS.items()}}.items():
        assert text.en and text.zh, key
        assert names(text.en) == names(text.zh), key
        assert re.search(r"[\u4e00-\u9fff]", text.zh), key
