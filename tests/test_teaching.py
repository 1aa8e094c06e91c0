"""The teaching layer on the server side: explanations, remarks, lab scenarios, STARTTLS."""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import subprocess
import time

import pytest

import child_observer
import events
import explain
import gui_teaching
import smtp_observer
from conftest import ROOT, remark_text, require_program
from test_protocol import Dialogue, b64, send_message
from test_server import raw_client, read_replies, stopped_within

# -- the explanation tables cover everything the server can say


def test_every_reply_code_in_the_source_is_in_the_server_table():
    source = (ROOT / "smtp_observer.py").read_text(encoding="utf-8")
    codes = {int(code) for code in re.findall(r"Reply\((\d{3})", source)}
    if "Reply(AUTH_CHALLENGE" in source:
        codes.add(events.AUTH_CHALLENGE)
    assert codes == smtp_observer.SERVER_REPLY_CODES


@pytest.mark.parametrize("lang", explain.LANGUAGES)
def test_every_reply_code_has_an_explanation(lang):
    for code in smtp_observer.SERVER_REPLY_CODES:
        info = explain.REPLIES[code]
        assert info.meaning(lang) and info.next_step(lang)
        assert explain.REPLY_CLASSES[code // 100](lang)
    assert explain.REPLIES[250].meaning("zh") != explain.REPLIES[250].meaning("en")


@pytest.mark.parametrize("lang", explain.LANGUAGES)
def test_every_command_the_server_knows_has_an_explanation(lang):
    session = Dialogue().session
    for verb in [*session._commands, *smtp_observer.UNIMPLEMENTED_COMMANDS]:
        assert verb in explain.COMMANDS, verb
        assert explain.COMMANDS[verb].meaning(lang)
        assert explain.explain_command(f"{verb.lower()} x", lang) != explain.explain_command(
            "XYZZY", lang)


def test_every_ehlo_keyword_the_server_can_advertise_has_an_explanation():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _, text = Dialogue(tls_context=context).cmd("EHLO x")
    for keyword_line in text.split("\n")[1:]:
        assert explain.ehlo_keyword_info(keyword_line) is not None, keyword_line


def test_explain_reply_names_class_meaning_next_step_and_keywords():
    _, text = Dialogue().cmd("EHLO x")
    explanation = explain.explain_reply(250, text.split("\n"), "en")
    assert explanation.startswith("2yz positive completion")
    assert "RFC 2920" in explanation and "round trips" in explanation
    zh = explain.explain_reply(503, ["5.5.1 Need MAIL command first (RCPT before MAIL)"], "zh")
    assert "命令顺序错误" in zh and "增强状态码 5.5.1" in zh
    assert "334 challenge" in explain.explain_command("dXNlcg==", "en", answers_challenge=True)


# -- client-behaviour remarks: each shown by a session that has it, absent from a clean one


def remark_kinds(dialogue: Dialogue) -> list[str]:
    return [event.kind for event in dialogue.events if event.event == "remark"]


def clean_session() -> Dialogue:
    dialogue = Dialogue()
    dialogue.in_transaction()
    dialogue.code("DATA")
    dialogue.send(b"Date: Mon, 1 Dec 2025 09:30:00 +0800\r\nMessage-ID: <1@x>\r\n"
                  b"Subject: clean\r\n\r\nplain text\r\n.\r\n")
    dialogue.code("QUIT")
    return dialogue


def test_a_clean_session_has_no_remarks():
    assert remark_kinds(clean_session()) == []


def test_pipelined_commands_are_counted():
    dialogue = Dialogue()
    dialogue.code("EHLO lab-pc.example.edu")
    dialogue.send(b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
    (remark,) = [e for e in dialogue.events if e.event == "remark"]
    assert remark.kind == "pipelined"
    assert "3 commands in one go (MAIL RCPT DATA)" in remark_text(remark)
    assert "2 round trip(s) saved" in remark_text(remark)


def test_pipelining_without_the_extension_is_pointed_out():
    dialogue = Dialogue(scenarios=("no-pipelining",))
    dialogue.send(b"EHLO lab-pc.example.edu\r\nNOOP\r\n")
    last = [e for e in dialogue.events if e.event == "remark"][-1]
    assert "did not advertise it" in remark_text(last)


def test_declared_size_is_compared_with_the_real_size():
    dialogue = Dialogue()
    dialogue.code("EHLO lab-pc.example.edu")
    dialogue.code("MAIL FROM:<a@b.example> SIZE=300")
    dialogue.code("RCPT TO:<c@d.example>")
    dialogue.code("DATA")
    dialogue.send(b"Subject: s\r\n\r\nbody\r\n.\r\n")
    assert ("declared SIZE=300; the message, once the server removed the dot-stuffing, was 20 "
            "octets") in dialogue.remarks()[0]


def test_dot_stuffed_lines_are_explained():
    dialogue = Dialogue()
    send_message(dialogue, b"Subject: s\r\n\r\n..one\r\n...two\r\n.\r\n")
    (remark,) = [e for e in dialogue.events if e.event == "remark"]
    assert remark.kind == "dot-stuffing" and remark_text(remark).startswith("2 line(s)")


def test_bare_cr_is_remarked():
    dialogue = Dialogue()
    send_message(dialogue, b"Subject: s\r\n\r\nold mac\rline\r\n.\r\n")
    assert any("1 bare CR" in remark for remark in dialogue.remarks())


def test_auth_in_the_clear_masks_the_password_and_keeps_it_apart():
    dialogue = Dialogue()
    dialogue.code("EHLO lab-pc.example.edu")
    dialogue.code("AUTH PLAIN " + b64("\0student\0hunter2"))
    (remark,) = [e for e in dialogue.events if e.event == "remark"]
    assert remark.kind == "auth-decoded" and "hunter2" not in remark_text(remark)
    assert "'*******'" in remark_text(remark) and remark.secret == "hunter2"


def test_missing_date_and_message_id_are_remarked(observer):
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: bare\r\n\r\nx\r\n")
    observer.wait_for("message")
    (message,) = observer.named("message")
    missing = [r for r in message.decoded.remark_texts() if "Date" in r or "Message-ID" in r]
    assert [remark[:32] for remark in missing] == ["The message has no Date header: ",
                                                   "The message has no Message-ID he"]
    assert "RFC 5322 3.6 requires it" in missing[0] and "SHOULD" in missing[1]
    assert not [e for e in observer.named("remark") if "Date" in remark_text(e)]


# -- lab scenarios, driven by smtplib


def scenario(make_observer, *names: str, **config):
    return make_observer(scenarios=names, **config)


def test_reject_recipient(make_observer):
    observer = scenario(make_observer, "reject-recipient")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        client.mail("a@example.com")
        code, text = client.rcpt("b@example.com")
        assert (code, text[:5]) == (550, b"5.1.1")
    assert remark_text(observer.wait_for("remark")[0]) == "Lab scenario in force: reject-recipient"


def test_defer_recipient(make_observer):
    observer = scenario(make_observer, "defer-recipient")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        client.mail("a@example.com")
        assert client.rcpt("b@example.com")[:1] == (450,)


def test_require_auth(make_observer):
    observer = scenario(make_observer, "require-auth")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert client.mail("a@example.com")[0] == 530
        client.login("student", "secret")
        assert client.mail("a@example.com")[0] == 250


def test_too_large_refuses_at_mail_with_size_and_after_the_dot_without(make_observer):
    observer = scenario(make_observer, "too-large")
    big = b"Subject: big\r\n\r\n" + b"x" * 20000 + b"\r\n"
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert client.esmtp_features["size"] == "10240"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["b@example.com"], big)
        assert refused.value.smtp_code == 552
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        assert client.data(big)[0] == 552


def test_busy_greets_with_421_and_closes(make_observer):
    observer = scenario(make_observer, "busy")
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", observer.port)
    assert refused.value.smtp_code == 421
    assert observer.wait_for("disconnect")[0].reason == "closed by the lab scenario"


def test_slow_delays_every_reply(make_observer):
    observer = scenario(make_observer, "slow", delay=0.3)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        greeted = time.monotonic()
        client.noop()
        answered = time.monotonic()
    assert greeted - started >= 0.3 and answered - greeted >= 0.3


def test_slow_puts_the_delay_on_the_server_not_on_the_clients_round_trip(make_observer):
    """A reply is recorded when it is written, after the pause: the sequence view shows the
    pause as the server's time, and the client's round trip stays small."""
    observer = scenario(make_observer, "slow", delay=0.3)
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("lab-pc.example.edu")
        client.noop()
    observer.wait_for("disconnect")
    session = [event for event in observer.seen if event.session == 1]
    track = gui_teaching.SessionTrack(1, session[0].time)
    steps = [entry.step for entry in map(track.add, session) if entry.step is not None]
    greeting, *rest = steps
    assert greeting.kind == "reply" and greeting.elapsed >= 0.3
    replies = [step for step in rest if step.kind == "reply"]
    commands = [step for step in rest if step.kind == "command"]
    assert len(replies) == len(commands) == 3  # EHLO, NOOP, QUIT
    assert all(step.server_time >= 0.3 for step in replies)
    assert all(step.round_trip < 0.2 for step in commands)


def test_no_auth_hides_auth(make_observer):
    observer = scenario(make_observer, "no-auth")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN " + b64("\0u\0p"))[0] == 502
        assert client.mail("a@example.com", ["AUTH=<>"])[0] == 555


def test_no_pipelining_and_no_8bitmime_hide_their_extensions(make_observer):
    observer = scenario(make_observer, "no-pipelining", "no-8bitmime")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert not client.has_extn("pipelining") and not client.has_extn("8bitmime")
        assert client.has_extn("size") and client.has_extn("auth")
        assert client.mail("a@example.com", ["BODY=8BITMIME"])[0] == 555


def test_drop_in_data_hangs_up_after_1_kib(make_observer):
    observer = scenario(make_observer, "drop-in-data")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.data(b"Subject: long\r\n\r\n" + b"y" * 5000 + b"\r\n")
    message = observer.wait_for("message")[0]
    assert (message.complete, len(message.raw)) == (False, 1024)
    assert observer.wait_for("disconnect")[0].reason == "closed by the lab scenario"


def test_drop_in_data_lets_a_short_message_through(make_observer):
    observer = scenario(make_observer, "drop-in-data")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: short\r\n\r\nok\r\n")
    assert observer.wait_for("message")[0].accepted


def test_scenarios_switched_at_run_time_apply_to_the_next_connection(observer):
    with smtplib.SMTP("127.0.0.1", observer.port) as first:
        observer.server.set_scenarios(("reject-recipient",))
        first.ehlo("x")
        first.mail("a@example.com")
        assert first.rcpt("b@example.com")[0] == 250  # this session keeps its scenarios
    with smtplib.SMTP("127.0.0.1", observer.port) as second:
        second.ehlo("x")
        second.mail("a@example.com")
        assert second.rcpt("b@example.com")[0] == 550
    observer.wait_for("disconnect", 2)
    assert any(e.session == 0 and "reject-recipient" in remark_text(e)
               for e in observer.named("remark"))


# -- STARTTLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    openssl = require_program("openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, key, context


def trusting_client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
    return context


def test_starttls_with_smtplib(make_observer, certificate):
    observer = make_observer(tls_context=certificate[2])
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert client.has_extn("starttls")
        assert client.starttls(context=trusting_client_context())[0] == 220
        client.ehlo("x")
        assert not client.has_extn("starttls")
        client.login("student", "secret")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: secret\r\n\r\nx\r\n")
    (started,) = observer.wait_for("tls")
    assert started.version.startswith("TLSv1.") and started.cipher
    assert observer.wait_for("message")[0].raw == b"Subject: secret\r\n\r\nx\r\n"
    transcript = observer.transcript()
    tls_line = next(i for i, line in enumerate(transcript) if "TLS started" in line)
    assert "C: ehlo x" in transcript[tls_line:]  # the plaintext is still shown after TLS


def test_starttls_with_swaks(make_observer, certificate):
    swaks = require_program("swaks")
    observer = make_observer(tls_context=certificate[2])
    done = subprocess.run([swaks, "--server", f"127.0.0.1:{observer.port}", "--tls",
                           "--from", "a@example.com", "--to", "b@example.com"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout.decode()
    assert observer.wait_for("tls") and observer.wait_for("message")[0].accepted


def test_a_failed_handshake_is_a_remark_and_a_clean_disconnect(make_observer, certificate):
    observer = make_observer(tls_context=certificate[2])
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\n")
    read_replies(sock, 1)
    sock.sendall(b"STARTTLS\r\n")
    assert read_replies(sock, 1).startswith(b"220 2.0.0")
    sock.sendall(b"this is not a TLS ClientHello\r\n" * 4)
    assert observer.wait_for("disconnect")[0].reason == "TLS handshake failed"
    assert any(e.kind == "tls-failed" and "handshake failed" in remark_text(e)
               for e in observer.named("remark"))
    sock.close()
    with smtplib.SMTP("127.0.0.1", observer.port) as client:  # the server goes on
        assert client.noop()[0] == 250


def test_commands_injected_after_starttls_are_discarded(certificate):
    dialogue = Dialogue(tls_context=certificate[2])
    dialogue.code("EHLO x")
    assert [code for code, _ in dialogue.send(b"STARTTLS\r\nRSET\r\n")] == [220]
    assert dialogue.session.tls_requested
    assert any("discarded" in r and "RFC 3207" in r for r in dialogue.remarks())


def test_without_a_certificate_starttls_is_502():
    dialogue = Dialogue()
    dialogue.code("EHLO x")
    assert dialogue.code("STARTTLS") == 502


def test_starttls_resets_the_session(certificate):
    dialogue = Dialogue(tls_context=certificate[2])
    dialogue.in_transaction()
    dialogue.session.receive(b"RSET\r\n")
    assert dialogue.code("STARTTLS") == 220
    dialogue.session.tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    assert dialogue.code("MAIL FROM:<a@b.example>") == 503  # EHLO again first
    assert "STARTTLS" not in dialogue.cmd("EHLO x")[1]


# -- the command line


@pytest.fixture
def run_cli(start_observer):
    """Start ``smtp_observer.py --no-gui --port 0 --pop3-port 0 ARGS``; finish() stops it."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # not the code page of a Windows pipe
    return lambda *args: start_observer("--no-gui", "--port", "0", "--pop3-port", "0", *args,
                                        env=env)


def port_of(process: subprocess.Popen) -> int:
    return int(process.stdout.readline().decode().split(":")[1].split()[0])


def finish(process: subprocess.Popen) -> tuple[str, str]:
    out, err = child_observer.stop(process)
    return out.decode(), err.decode()


@pytest.mark.parametrize("lang,expected", [("en", "| Like HELO, but asks the server to list"),
                                           ("zh", "| 与 HELO 相同")])
def test_explain_prints_an_explanation_under_each_line(lang, expected, run_cli):
    process = run_cli("--explain", "--lang", lang)
    with smtplib.SMTP("127.0.0.1", port_of(process)) as client:
        client.ehlo("ideaPC")
    out, _ = finish(process)
    lines = out.splitlines()
    assert lines[lines.index("C: ehlo ideaPC") + 1].strip().startswith(expected.split(" ")[0])
    assert expected in out
    assert "RFC 2920" in out  # the PIPELINING keyword of the EHLO reply is explained


def test_scenarios_on_the_command_line_are_announced_and_combined(run_cli):
    process = run_cli("--scenario", "no-auth", "--scenario", "slow", "--delay", "0")
    port = port_of(process)
    process.stdout.readline()  # POP3 listening on ...
    announced = [process.stdout.readline().decode() for _ in range(2)]
    assert announced[0].startswith("Lab scenario no-auth: AUTH is not advertised")
    assert announced[1].startswith("Lab scenario slow:")
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("x")
        assert not client.has_extn("auth")
    out, _ = finish(process)
    assert "note: Lab scenario in force: no-auth, slow" in out


def test_report_folder_gets_one_html_and_one_text_file_per_session(tmp_path, run_cli):
    process = run_cli("--report", str(tmp_path / "reports"))
    port = port_of(process)
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: r\r\n\r\nx\r\n")
    deadline = time.monotonic() + 10
    while len(list((tmp_path / "reports").glob("*.html"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    _, err = finish(process)
    assert len(list((tmp_path / "reports").glob("*.html"))) == 2
    assert len(list((tmp_path / "reports").glob("*.txt"))) == 2
    assert err.count("Report written: ") == 2


def test_tls_options_must_come_together_and_must_load(tmp_path):
    import sys
    missing = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--no-gui",
                              "--tls-cert", "x.pem"], capture_output=True, timeout=30)
    assert missing.returncode == 2 and b"go together" in missing.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--no-gui",
                          "--port", "0", "--tls-cert", str(tmp_path / "no.pem"),
                          "--tls-key", str(tmp_path / "no.key")], capture_output=True,
                         timeout=30)
    assert bad.returncode == 2
    assert bad.stderr.decode().startswith("smtp_observer: cannot use the TLS certificate")
    assert b"Traceback" not in bad.stderr


def test_stop_ends_a_client_stuck_in_the_tls_handshake(make_observer, certificate):
    observer = make_observer(tls_context=certificate[2], timeout=60)
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\nSTARTTLS\r\n")
    read_replies(sock, 2)  # the client now says nothing: no ClientHello
    time.sleep(0.2)
    assert stopped_within(observer.server, 10), "stop() waited for the handshake's timeout"
    assert observer.wait_for("disconnect")[0].reason == "server stopping"
    sock.close()
