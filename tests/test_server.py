"""The real server on a loopback port, driven by smtplib and by raw sockets."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import types
from concurrent.futures.process import BrokenProcessPool

import psutil
import pytest

import decoder
import messages
import smtp_observer
from conftest import ROOT, remark_text


def raw_client(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert sock.recv(1024).startswith(b"220 ")
    return sock


def stopped_within(server: smtp_observer.ObserverServer, seconds: float) -> bool:
    """Call stop() from another thread, as the window does; True when it returned in time."""
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(seconds)
    return not stopper.is_alive()


def read_replies(sock: socket.socket, count: int) -> bytes:
    """Read until `count` final reply lines ("NNN " lines) have arrived."""
    data = b""
    while sum(1 for line in data.split(b"\r\n") if line[3:4] == b" ") < count:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_smtplib_sends_a_message_that_arrives_byte_exact(observer):
    body = (b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nnot the end\r\n"
            b". space\r\nlast line\r\n")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        assert client.ehlo("ideaPC")[0] == 250
        assert client.has_extn("pipelining") and client.has_extn("8bitmime")
        assert client.has_extn("size") and client.esmtp_features["size"] == "33554432"
        assert client.sendmail("a@example.com", ["b@example.com", "c@example.com"], body) == {}
    message = observer.wait_for("message")[0]
    assert message.raw == body
    assert message.envelope.mail_from == "a@example.com"
    assert message.envelope.rcpt_to == ("b@example.com", "c@example.com")
    assert (message.complete, message.accepted, message.number) == (True, True, 1)
    assert observer.wait_for("disconnect")[0].reason == "quit"


def test_transcript_shows_the_dialogue_in_order(observer):
    """The numbers explain themselves: 20 bytes on the wire, 19 once the stuffed dot is gone."""
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("ideaPC")
        # Spelled out: smtplib's casing differs by version ("mail FROM:"; 3.13: "mail from:").
        client.docmd("mail", "FROM:<a@example.com> size=19")
        client.docmd("rcpt", "TO:<b@example.com>")
        client.data(b"Subject: x\r\n\r\n.hi\r\n")
    observer.wait_for("disconnect")
    transcript = observer.transcript()
    assert transcript[0].startswith("--- session 1: 127.0.0.1:")
    expected = ["S: 220 observer.test ESMTP SMTP Observer ready", "C: ehlo ideaPC",
                "   note: EHLO ideaPC: the name is neither a fully qualified domain name nor an "
                "address literal such as [192.0.2.1], which RFC 5321 4.1.1.1 asks for; clients "
                "send the computer's name. Accepted, as most servers do.",
                "S: 250-observer.test Hello ideaPC", "S: 250-8BITMIME"]
    assert transcript[1:6] == expected
    after_ehlo = transcript[transcript.index("S: 250 HELP") + 1:]
    assert after_ehlo[:11] == [
        "C: mail FROM:<a@example.com> size=19", "S: 250 2.1.0 Sender <a@example.com> OK",
        "C: rcpt TO:<b@example.com>", "S: 250 2.1.5 Recipient <b@example.com> OK",
        "C: data", "S: 354 End data with <CR><LF>.<CR><LF>",
        "C: <message data: 20 bytes as sent, still dot-stuffed>",
        "C: .",
        "   note: 1 line(s) of the message begin with \".\": the client sent each with a second "
        "dot, and the server removed it (dot-stuffing, RFC 5321 4.5.2), so that only the line "
        "holding a lone \".\" ends the data.",
        "   note: MAIL FROM declared SIZE=19; the message, once the server removed the "
        "dot-stuffing, was exactly that many octets.",
        "S: 250 2.0.0 OK: message received (not stored, not forwarded)"]


def test_the_250_goes_out_before_decoding(observer, monkeypatch):
    replied = threading.Event()
    decoder_saw_the_reply: list[bool] = []

    def slow_decode(raw: bytes):
        decoder_saw_the_reply.append(replied.wait(10))
        return None

    monkeypatch.setattr(smtp_observer.decoder, "decode", slow_decode, raising=False)
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        assert client.data(b"Subject: order\r\n\r\nx\r\n")[0] == 250
        replied.set()
    observer.wait_for("message")
    assert decoder_saw_the_reply == [True]


def test_smtplib_auth_login_and_plain(observer):
    for mechanism in ("LOGIN", "PLAIN"):
        with smtplib.SMTP("127.0.0.1", observer.port) as client:
            client.ehlo("lab-pc.example.edu")
            client.user, client.password = "student", "secret"
            code, text = client.auth(mechanism, getattr(client, f"auth_{mechanism.lower()}"))
            assert (code, text) == (235, b"2.7.0 Authentication successful")
    observer.wait_for("disconnect", 2)
    remarks = [remark_text(e) for e in observer.named("remark")]
    assert [e.secret for e in observer.named("remark")] == ["secret", "secret"]
    assert sum("'student'" in r for r in remarks) == 2


def test_pipelined_commands_in_one_packet(observer):
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
    replies = read_replies(sock, 4)
    assert [line[:4] for line in replies.split(b"\r\n") if line[3:4] == b" "] == \
        [b"250 ", b"250 ", b"250 ", b"354 "]
    sock.sendall(b"Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    assert read_replies(sock, 2).startswith(b"250 ")
    sock.close()
    assert observer.wait_for("message")[0].raw == b"Subject: p\r\n\r\nbody\r\n"


def test_a_multiline_reply_comes_in_one_piece(observer):
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\n")
    time.sleep(0.2)  # let every segment the server wrote arrive before the one recv
    reply = sock.recv(65536)
    assert reply.startswith(b"250-") and reply.endswith(b"250 HELP\r\n")
    sock.close()


def test_long_line_and_binary_garbage_do_not_break_the_session(observer):
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO " + b"x" * 3000 + b"\r\n")
    assert read_replies(sock, 1).startswith(b"500 5.5.2 Line too long")
    sock.sendall(b"\x00\xff\xfe\x80garbage\r\n")
    assert read_replies(sock, 1).startswith(b"500 ")
    sock.sendall(b"NOOP\r\n")
    assert read_replies(sock, 1).startswith(b"250 ")
    sock.close()
    observer.wait_for("disconnect")
    # Every byte that is not UTF-8 or printable is shown escaped (issue 14.6: a NUL too).
    assert "C: \\x00\\xff\\xfe\\x80garbage" in observer.transcript()


def test_disconnect_in_the_middle_of_data_keeps_what_arrived(observer):
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
    read_replies(sock, 4)
    sock.sendall(b"Subject: cut\r\n\r\nhalf a mess")
    time.sleep(0.1)
    sock.close()
    message = observer.wait_for("message")[0]
    assert (message.complete, message.accepted) == (False, False)
    assert message.raw == b"Subject: cut\r\n\r\nhalf a mess"
    assert observer.wait_for("disconnect")[0].reason == "peer closed"


def test_a_reset_connection_is_a_plain_disconnect(observer):
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\n")
    read_replies(sock, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # linger 0: an RST, as when a client crashes
    assert observer.wait_for("disconnect")[0].reason in ("error", "peer closed")
    with smtplib.SMTP("127.0.0.1", observer.port) as client:  # and the server goes on
        assert client.noop()[0] == 250


def test_idle_timeout_says_421_and_closes(make_observer):
    observer = make_observer(timeout=0.3)
    sock = raw_client(observer.port)
    assert read_replies(sock, 1).startswith(b"421 4.4.2")
    assert sock.recv(100) == b""
    assert observer.wait_for("disconnect")[0].reason == "timeout"


def test_a_second_client_waits_until_the_first_quits(observer):
    first = raw_client(observer.port)
    second = socket.create_connection(("127.0.0.1", observer.port), timeout=10)
    second.settimeout(0.5)
    with pytest.raises(TimeoutError):
        second.recv(100)  # queued in the backlog: no greeting yet
    first.sendall(b"QUIT\r\n")
    read_replies(first, 1)
    second.settimeout(10)
    assert second.recv(100).startswith(b"220 ")
    second.sendall(b"QUIT\r\n")
    read_replies(second, 1)
    assert [e.session for e in observer.wait_for("disconnect", 2)] == [1, 2]


def test_stop_with_a_client_connected_is_clean(make_observer):
    observer = make_observer()
    sock = raw_client(observer.port)
    sock.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
    read_replies(sock, 4)
    sock.sendall(b"Subject: unfinished\r\n\r\n")
    time.sleep(0.1)
    assert stopped_within(observer.server, 5), "stop() hung on the connected client"
    assert observer.wait_for("disconnect")[0].reason == "server stopping"
    assert observer.wait_for("message")[0].raw == b"Subject: unfinished\r\n\r\n"
    assert not [t for t in threading.enumerate() if t.name == "smtp-observer-server"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", observer.port), timeout=2)
    observer.server.stop()  # a second stop is harmless


def test_oversized_message_is_read_then_refused(make_observer):
    observer = make_observer(max_size=1000)
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        client.mail("a@example.com")  # without SIZE=, so that the data itself is too big
        client.rcpt("b@example.com")
        assert client.data(b"x" * 5000)[0] == 552
        assert client.noop()[0] == 250
    message = observer.wait_for("message")[0]
    assert not message.accepted and "too big" in remark_text(message.reason)


def test_size_parameter_over_the_limit_is_refused_at_mail(make_observer):
    observer = make_observer(max_size=1000)
    with smtplib.SMTP("127.0.0.1", observer.port) as client:
        client.ehlo("x")
        assert client.mail("a@example.com", ["SIZE=5000"])[0] == 552


def test_fallback_from_a_taken_port(monkeypatch, taken_port):
    monkeypatch.setattr(smtp_observer, "SMTP_PORTS", smtp_observer.Ports("--port", taken_port, 0))
    events: list = []

    class Recorder:
        put = events.append

    server = smtp_observer.start_server(smtp_observer.ServerConfig(), Recorder())
    try:
        listening = events[0]
        assert listening.event == "listening" and listening.port not in (0, taken_port)
        reason = remark_text(listening.fallback_reason)
        assert reason.startswith(f"port {taken_port}: ") and "already in use" in reason
        chinese = remark_text(listening.fallback_reason, "zh")
        assert chinese.startswith(f"端口 {taken_port}：端口已被占用")
        assert "port 25 unavailable" in smtp_observer.listening_lines(listening)[0]
    finally:
        server.stop()


def test_an_explicit_port_that_is_taken_is_a_bind_error(taken_port):
    port = taken_port
    with pytest.raises(smtp_observer.BindError) as error:
        smtp_observer.start_server(smtp_observer.ServerConfig(port=port), [])
    assert str(error.value) == (f"cannot listen on 127.0.0.1:{port}: the port is already in use "
                                "(is another mail server or observer running?); try --port 2525")


def test_a_refused_port_is_explained_as_windows_or_linux_refuses_it():
    # Windows has no privileged ports: what refuses a port there (WSAEACCES) is another
    # program holding it exclusively, or a range Windows reserved.
    on_windows = remark_text(smtp_observer._bind_cause("127.0.0.1", OSError(10013, "denied"),
                                                       "win32"))
    assert "excludedportrange" in on_windows and "1024" not in on_windows
    on_linux = remark_text(smtp_observer._bind_cause("127.0.0.1", PermissionError(13, "denied"),
                                                     "linux"))
    assert "ports below 1024 need root" in on_linux and "administrator" not in on_linux


# --------------------------------------------------------------------------------------------
# Decoding large messages in a child process (what the window asks for)


def send_seed_message(port: int) -> bytes:
    raw = messages.outlook_seed_message()
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail(messages.SEED_FROM, [messages.SEED_TO], raw)
    return raw


def test_a_message_over_the_threshold_is_decoded_in_a_child(make_observer):
    observer = make_observer(decode_in_child_from=1000)
    raw = send_seed_message(observer.port)
    message = observer.wait_for("message")[0]
    assert message.raw == raw
    assert observer.server.messages_decoded_in_child == 1
    assert message.decoded == decoder.decode(raw)
    assert message.decoded.attachments[0].image is not None
    observer.wait_for("disconnect")
    assert observer.named("error") == []


def test_a_message_under_the_threshold_is_decoded_in_the_server(make_observer):
    observer = make_observer(decode_in_child_from=smtp_observer.WINDOW_DECODE_IN_CHILD_FROM)
    assert len(send_seed_message(observer.port)) < smtp_observer.WINDOW_DECODE_IN_CHILD_FROM
    assert observer.wait_for("message")[0].decoded is not None
    assert observer.server.messages_decoded_in_child == 0


def test_a_crashed_child_costs_no_message_and_is_replaced(make_observer):
    observer = make_observer(decode_in_child_from=1000)
    # The child has started (as long before the first large message as it is in the window):
    # two tasks at once in the pool's pipes hang under Wine 8, never on Windows.
    observer.server.child_decoder_warmed_up.result(timeout=60)
    crash = observer.server._start_child_decoder().submit(os._exit, 3)
    assert isinstance(crash.exception(timeout=30), BrokenProcessPool)
    raw = send_seed_message(observer.port)
    first = observer.wait_for("message")[0]
    assert first.decoded == decoder.decode(raw)
    error = observer.wait_for("error")[0]
    assert error.kind == "child-decoder-failed"
    assert error.values["error"].startswith("BrokenProcessPool")
    assert observer.server.messages_decoded_in_child == 0
    send_seed_message(observer.port)
    assert observer.wait_for("message", 2)[1].decoded == first.decoded
    assert observer.server.messages_decoded_in_child == 1


def test_the_child_decoder_ends_when_the_observer_is_killed():
    """Killed (Task Manager, a crash, Ctrl+Break before its handler is in place), the observer
    leaves no decoder behind: a python.exe on the lab PC waiting for work for ever."""
    observer = ("import os, queue, smtp_observer as so\n"
                "config = so.ServerConfig(hostname='observer.test', port=0,"
                " decode_in_child_from=1)\n"
                "server = so.start_server(config, queue.Queue())\n"
                # One task at a time: two at once in the pool's pipes hang under Wine 8.
                "server.child_decoder_warmed_up.result(timeout=60)\n"
                "decoder = server._start_child_decoder().submit(os.getpid)\n"
                "print(decoder.result(timeout=60), flush=True)\n"
                "input()\n")  # until it is killed
    process = subprocess.Popen([sys.executable, "-c", observer], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        pid = process.stdout.readline()
        assert pid.strip().isdigit(), pid
        child = psutil.Process(int(pid))
    finally:
        process.kill()
        process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not running(child)
    finally:  # failed, the test leaves no decoder behind either
        if running(child):
            child.kill()


def running(process: psutil.Process) -> bool:
    """True while ``process`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_main_decodes_large_messages_in_a_child_only_for_the_window(monkeypatch):
    configs: list[smtp_observer.ServerConfig] = []

    def start_server(config, events, **_):
        configs.append(config)
        return types.SimpleNamespace(stop=lambda: None, set_scenarios=None)

    window = types.SimpleNamespace(run=lambda events, **options: 0, WindowUnavailable=OSError)
    monkeypatch.setattr(smtp_observer, "start_server", start_server)
    monkeypatch.setattr(smtp_observer, "_load_gui", lambda lang: window)
    monkeypatch.setattr(smtp_observer, "run_headless", lambda server, events, show: 0)
    assert smtp_observer.main(["--port", "0"]) == 0
    assert smtp_observer.main(["--port", "0", "--no-gui"]) == 0
    assert [config.decode_in_child_from for config in configs] == [
        smtp_observer.WINDOW_DECODE_IN_CHILD_FROM, None]
