"""The real POP3 server with real clients: Python's poplib, curl's pop3://, and the account
test of Outlook (logon to POP3, then a test message by SMTP, then Send/Receive)."""

from __future__ import annotations

import json
import os
import poplib
import smtplib
import socket
import ssl
import struct
import subprocess
import sys

import pytest

import smtp_observer
from conftest import ROOT, remark_text, require_program

DOTTED = (b"From: Student <a@example.com>\r\nTo: b@example.com\r\nSubject: dots\r\n\r\n"
          b".one dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n")


@pytest.fixture
def lab(make_observer):
    """The observer serving SMTP and POP3 on free ports."""
    return make_observer(serve_pop3=True, pop3_port=0)


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("a@example.com", ["b@example.com"], raw)


def logged_on(lab) -> poplib.POP3:
    client = poplib.POP3("127.0.0.1", lab.pop3_port, timeout=30)
    client.user("student")
    client.pass_("secret")
    return client


def message_of(lines: list[bytes]) -> bytes:
    """The message poplib retrieved, as bytes (poplib drops the CRLF of each line)."""
    return b"".join(line + b"\r\n" for line in lines)


def test_outlook_account_test_then_send_receive(lab):
    # Outlook's Test Account Settings: log on to the incoming server first...
    client = poplib.POP3("127.0.0.1", lab.pop3_port, timeout=30)
    assert client.getwelcome().startswith(b"+OK observer.test POP3")
    client.user("student@example.edu.cn")
    client.pass_("secret")
    assert client.stat() == (0, 0)
    client.uidl()
    client.quit()
    # ...then send the test message by SMTP.
    raw = (b"From: student@example.edu.cn\r\nTo: student@example.edu.cn\r\n"
           b"Subject: Microsoft Outlook Test Message\r\n\r\nThis is an e-mail message sent "
           b"automatically by Microsoft Outlook while testing the settings for your account."
           b"\r\n")
    send(lab.port, raw)
    lab.wait_for("message")
    # Send/Receive fetches it into the inbox.
    client = logged_on(lab)
    assert client.stat() == (1, len(raw))
    _, lines, octets = client.retr(1)
    assert message_of(lines) == raw and octets >= len(raw)
    client.dele(1)
    client.quit()
    assert lab.server.maildrop.snapshot() == ()


def test_every_command_with_poplib(lab):
    send(lab.port, DOTTED)
    send(lab.port, b"Subject: two\r\n\r\nline 1\r\nline 2\r\n")
    lab.wait_for("message", 2)
    client = poplib.POP3("127.0.0.1", lab.pop3_port, timeout=30)
    assert set(client.capa()) >= {"TOP", "UIDL", "USER", "RESP-CODES", "SASL",
                                  "IMPLEMENTATION"}
    assert "STLS" not in client.capa()
    client.apop("student", "secret")
    assert client.stat() == (2, len(DOTTED) + 32)
    _, listing, _ = client.list()
    assert listing == [b"1 %d" % len(DOTTED), b"2 32"]
    assert client.list(2) == b"+OK 2 32"
    uids = client.uidl()[1]
    assert [uid.split()[0] for uid in uids] == [b"1", b"2"]
    assert client.uidl(1) == b"+OK " + uids[0]
    assert message_of(client.retr(1)[1]) == DOTTED
    assert client.top(2, 1)[1] == [b"Subject: two", b"", b"line 1"]
    assert client.noop() == b"+OK"
    assert client.dele(2).startswith(b"+OK Message 2 marked")
    assert client.rset().startswith(b"+OK Maildrop has 2 messages")
    assert client.quit().startswith(b"+OK observer.test POP3 signing off")


@pytest.mark.parametrize("call, error", [
    (lambda client: client.retr(9), b"-ERR No such message (the maildrop has 1)"),
    (lambda client: client.list(0), b"-ERR No such message (the maildrop has 1)"),
    (lambda client: client.top(1, "x"), b"-ERR Syntax: TOP message-number lines"),
    (lambda client: client.user("again"), b"-ERR USER is not allowed in the TRANSACTION state"),
    (lambda client: client._shortcmd("XTND XLST"), b"-ERR Unknown command"),
])
def test_errors_cost_one_err_and_the_session_goes_on(lab, call, error):
    send(lab.port, DOTTED)
    lab.wait_for("message")
    client = logged_on(lab)
    with pytest.raises(poplib.error_proto) as refused:
        call(client)
    assert refused.value.args[0] == error
    assert client.stat()[0] == 1
    client.quit()


def test_transaction_commands_before_logon_are_refused(lab):
    client = poplib.POP3("127.0.0.1", lab.pop3_port, timeout=30)
    with pytest.raises(poplib.error_proto, match="STAT is not allowed in the AUTHORIZATION"):
        client.stat()
    with pytest.raises(poplib.error_proto, match="Send USER first"):
        client.pass_("secret")
    client.user("student")
    client.pass_("secret")
    client.quit()


def test_dele_rset_and_quit_across_sessions(lab):
    for number in range(3):
        send(lab.port, b"Subject: %d\r\n\r\nbody\r\n" % number)
    lab.wait_for("message", 3)
    client = logged_on(lab)
    uids = client.uidl()[1]
    client.dele(1)
    client.rset()
    client.dele(2)
    with pytest.raises(poplib.error_proto, match="already deleted"):
        client.retr(2)
    client.quit()
    again = logged_on(lab)
    assert again.uidl()[1] == [b"1 " + uids[0].split()[1], b"2 " + uids[2].split()[1]]
    assert message_of(again.retr(2)[1]) == b"Subject: 2\r\n\r\nbody\r\n"
    again.dele(1)
    again.sock.shutdown(socket.SHUT_RDWR)  # gone without QUIT: nothing is removed (RFC 1939 6)
    again.close()
    lab.wait_for("disconnect", 5)
    assert len(lab.server.maildrop.snapshot()) == 2


def test_uidl_is_stable_while_new_mail_arrives(lab):
    send(lab.port, DOTTED)
    lab.wait_for("message")
    first = logged_on(lab)
    uids = first.uidl()[1]
    first.quit()
    send(lab.port, DOTTED)
    lab.wait_for("message", 2)
    second = logged_on(lab)
    assert second.uidl()[1][0] == uids[0]
    assert len(set(second.uidl()[1])) == 2
    second.quit()


def test_a_20_mb_mail_is_retrieved_byte_exact(make_observer):
    lab = make_observer(serve_pop3=True, pop3_port=0, decode=False)
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    raw = b"Subject: big\r\n\r\n" + b"".join(
        (b"." if number % 1000 == 0 else b"") + line for number in range(20 * 1024 * 1024 // 78))
    send(lab.port, raw)
    lab.wait_for("message")
    client = logged_on(lab)
    _, lines, _ = client.retr(1)
    assert message_of(lines) == raw
    client.quit()


def test_a_client_that_disconnects_mid_retr(lab):
    raw = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n" * 1 + (b"y" * 76 + b"\r\n") * 60000
    send(lab.port, raw)
    lab.wait_for("message")
    sock = socket.create_connection(("127.0.0.1", lab.pop3_port), timeout=30)
    sock.recv(1000)
    sock.sendall(b"USER a\r\nPASS b\r\nRETR 1\r\n")
    received = b""
    while len(received) < 100000:
        received += sock.recv(65536)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset, in the middle of the message
    lab.wait_for("disconnect", 2)
    client = logged_on(lab)  # the server serves the next client, the maildrop is intact
    assert message_of(client.retr(1)[1]) == raw
    client.quit()
    assert lab.named("error") == []


def test_pop3_events_carry_the_protocol_and_a_masked_password(lab):
    client = logged_on(lab)
    client.quit()
    lab.wait_for("disconnect")
    pop3_events = [event for event in lab.seen if event.session == 1]
    assert {event.protocol for event in pop3_events if event.event != "disconnect"} == {"pop3"}
    commands = [event.line for event in lab.named("command")]
    assert commands == ["USER student", "PASS ******", "QUIT"]
    remark = lab.named("remark")[0]
    assert remark.secret == "secret" and "secret" not in remark_text(remark)


def test_session_numbers_are_shared_by_smtp_and_pop3(lab):
    send(lab.port, DOTTED)
    lab.wait_for("disconnect")
    logged_on(lab).quit()
    assert [event.session for event in lab.wait_for("disconnect", 2)] == [1, 2]


def test_pop3_port_is_in_the_listening_event(lab):
    listening = smtp_observer.Listening  # noqa: F841 (the class the event is)
    event = lab.events.queue[0] if lab.events.queue else lab.seen[0]
    assert event.event == "listening" and event.pop3_port == lab.pop3_port


def test_an_explicit_pop3_port_that_is_taken_is_a_bind_error(taken_port):
    with pytest.raises(smtp_observer.BindError) as error:
        smtp_observer.start_server(smtp_observer.ServerConfig(
            port=0, serve_pop3=True, pop3_port=taken_port), [])
    assert str(error.value) == (
        f"cannot listen on 127.0.0.1:{taken_port}: the port is already in use (is another mail "
        "server or observer running?); try --pop3-port 1110")


def test_without_pop3_port_a_taken_pop3_costs_only_pop3(monkeypatch, taken_port):
    monkeypatch.setattr(smtp_observer, "POP3_PORTS",
                        smtp_observer.Ports("--pop3-port", taken_port, taken_port))
    events: list = []
    server = smtp_observer.start_server(smtp_observer.ServerConfig(port=0, serve_pop3=True),
                                        type("Recorder", (), {"put": events.append}))
    try:
        listening = events[0]
        assert listening.pop3_port is None
        assert "already in use" in remark_text(listening.pop3_unavailable)
        assert smtp_observer.listening_lines(listening)[1].startswith("POP3 is not served: ")
        assert server.maildrop is None
        send(server.port, DOTTED)  # SMTP still works
    finally:
        server.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    openssl = require_program("openssl")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


def test_stls_with_poplib(make_observer, certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    lab = make_observer(serve_pop3=True, pop3_port=0, tls_context=context)
    client = poplib.POP3("127.0.0.1", lab.pop3_port, timeout=30)
    assert "STLS" in client.capa()
    client.stls(ssl._create_unverified_context())
    assert "STLS" not in client.capa()
    client.user("student")
    client.pass_("secret")
    client.quit()
    assert lab.wait_for("tls")[0].version.startswith("TLS")


def test_curl_lists_and_retrieves(lab):
    curl = require_program("curl")
    send(lab.port, DOTTED)
    lab.wait_for("message")
    base = f"pop3://127.0.0.1:{lab.pop3_port}"
    listing = subprocess.run([curl, "--silent", "--show-error", "--user", "student:secret",
                              base + "/"], capture_output=True, timeout=60)
    assert listing.returncode == 0, listing.stderr.decode()
    assert listing.stdout == b"1 %d\r\n" % len(DOTTED)
    message = subprocess.run([curl, "--silent", "--show-error", "--user", "student:secret",
                              base + "/1"], capture_output=True, timeout=60)
    assert message.returncode == 0, message.stderr.decode()
    assert message.stdout == DOTTED
    lab.wait_for("disconnect", 3)
    commands = [event.line.split(" ")[0] for event in lab.named("command")
                if event.protocol == "pop3"]
    assert "CAPA" in commands and "RETR" in commands


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--no-gui", *args],
                          capture_output=True, timeout=30)


def test_an_explicit_pop3_port_in_use_exits_2_with_one_line(taken_port):
    done = run_cli("--port", "0", "--pop3-port", str(taken_port))
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    if os.name == "nt":  # first it says that it tries again for a while (test_windows.py)
        assert lines.pop(0).startswith(f"Port {taken_port} is in use; trying again for")
    assert lines == [
        f"smtp_observer: cannot listen on 127.0.0.1:{taken_port}: the port is already in use "
        "(is another mail server or observer running?); try --pop3-port 1110"]


@pytest.mark.parametrize("args, expected", [(("--no-pop3",), None), (("--pop3-port", "0"), int)])
def test_the_jsonl_listening_line_has_pop3_port(args, expected):
    process = subprocess.Popen([sys.executable, str(ROOT / "smtp_observer.py"), "--jsonl",
                                "--port", "0", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        first = json.loads(process.stdout.readline())
    finally:
        process.terminate()  # our own child, by its Popen
        process.communicate(timeout=20)
    assert first["event"] == "listening"
    if expected is None:
        assert first["pop3_port"] is None
    else:
        assert isinstance(first["pop3_port"], int) and first["pop3_port"] > 0


def test_autologout_closes_without_a_response_and_removes_nothing(make_observer):
    lab = make_observer(serve_pop3=True, pop3_port=0, pop3_timeout=0.5)
    send(lab.port, DOTTED)
    lab.wait_for("message")
    with socket.create_connection(("127.0.0.1", lab.pop3_port), timeout=10) as sock:
        sock.recv(1000)
        sock.sendall(b"USER a\r\nPASS b\r\nDELE 1\r\n")
        received = b""
        while chunk := sock.recv(1000):  # until the server closes, after 0.5 s of silence
            received += chunk
    assert received.count(b"+OK") == 3  # the three answers, and nothing at the autologout
    assert lab.wait_for("disconnect", 2)[-1].reason == "timeout"
    assert len(lab.server.maildrop.snapshot()) == 1


def test_stop_with_a_pop3_client_connected_is_clean(lab):
    client = logged_on(lab)
    lab.server.stop()
    assert lab.wait_for("disconnect")[-1].reason == "server stopping"
    with pytest.raises((OSError, poplib.error_proto, EOFError)):
        client.stat()


@pytest.mark.parametrize("lang, title, note", [
    ("en", "POP3 session 2", "over the network in the clear"),
    ("zh", "POP3 会话 2", "明文"),
])
def test_a_pop3_session_report(lab, lang, title, note):
    import report

    send(lab.port, DOTTED)
    client = logged_on(lab)
    client.retr(1)
    client.quit()
    lab.wait_for("disconnect", 2)
    events = report.session_events(lab.seen, 2)
    text = report.session_text(events, lang=lang)
    assert text.startswith(title) and note in text
    assert "secret" not in text  # the password is masked in a report
    assert f"<message 1: {len(DOTTED):,}" in text or f"<第 1 封邮件：{len(DOTTED):,}" in text
    page = report.session_html(events, lang=lang)
    assert title in page and "RETR 1" in page and "secret" not in page
