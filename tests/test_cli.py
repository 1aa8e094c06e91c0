"""The command line as a user runs it: a real process, its output, its exit codes."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage

import pytest

from child_observer import WINDOWS, stop
from conftest import ROOT

CHINESE_SUBJECT = "实验报告 镕"


@pytest.fixture
def start(start_observer):
    """Start the observer with its output in the given encoding (a console's code page); POP3
    on any free port unless the test says otherwise."""
    def start(*args: str, encoding: str = "utf-8") -> subprocess.Popen:
        if "--pop3-port" not in args and "--no-pop3" not in args:
            args = (*args, "--pop3-port", "0")
        return start_observer(*args, env={**os.environ, "PYTHONIOENCODING": encoding})

    return start


def chinese_message() -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = CHINESE_SUBJECT
    message["From"] = "学生 <a@example.com>"
    message["To"] = "b@example.com"
    message.set_content("你好，世界\n")
    return message


def test_jsonl_first_line_then_one_object_per_event(tmp_path, start):
    process = start("--jsonl", "--port", "0", "--hostname", "observer.test", encoding="cp936")
    first = json.loads(process.stdout.readline())
    assert first["event"] == "listening" and first["host"] == "127.0.0.1"
    assert first["port"] > 0 and first["fallback_reason"] is None
    with smtplib.SMTP("127.0.0.1", first["port"]) as client:
        client.send_message(chinese_message())
    lines = [json.loads(process.stdout.readline())]
    while lines[-1]["event"] != "disconnect":
        lines.append(json.loads(process.stdout.readline()))  # flushed at once: no deadlock
    stop(process)
    names = [line["event"] for line in lines]
    assert names[:3] == ["connect", "reply", "command"]
    assert lines[1] == {"event": "reply", "protocol": "smtp", "session": 1,
                        "time": lines[1]["time"], "code": 220,
                        "text": "observer.test ESMTP SMTP Observer ready", "state": "connected"}
    assert {line["protocol"] for line in lines} == {"smtp"}
    ehlo_reply = lines[3]
    assert ehlo_reply["code"] == 250 and "\nPIPELINING\n" in ehlo_reply["text"]
    message = next(line for line in lines if line["event"] == "message")
    assert message["envelope"]["mail_from"] == "a@example.com"
    assert message["envelope"]["rcpt_to"] == ["b@example.com"]
    assert message["complete"] is True and message["size"] > 100
    assert message["subject"] == CHINESE_SUBJECT  # UTF-8 despite a cp936 environment
    assert "你好，世界" in message["text"]
    assert lines[-1]["reason"] == "quit"


def test_no_gui_transcript_survives_a_cp437_console(start):
    process = start("--no-gui", "--port", "0", encoding="cp437")
    first = process.stdout.readline().decode("cp437")
    assert first.startswith("Listening on 127.0.0.1:")
    port = int(first.split(":")[1])
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("ideaPC")
        client.send_message(chinese_message())
    out, _ = stop(process)
    transcript = out.decode("cp437")
    assert "C: ehlo ideaPC" in transcript
    assert "S: 250-PIPELINING" in transcript
    assert "C: <message data:" in transcript
    subject = next(line for line in transcript.splitlines() if line.startswith("Subject:"))
    assert subject.endswith("???? ?")  # replaced, not a UnicodeEncodeError
    assert "--- session 1: disconnected (quit)" in transcript


def test_no_gui_transcript_in_a_chinese_console_keeps_the_chinese(start):
    process = start("--no-gui", "--port", "0", encoding="cp936")
    port = int(process.stdout.readline().decode("cp936").split(":")[1])
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(chinese_message())
    out, _ = stop(process)
    assert CHINESE_SUBJECT in out.decode("cp936")


def test_ctrl_c_with_a_client_connected_is_clean(start):
    process = start("--no-gui", "--port", "0")
    port = int(process.stdout.readline().decode().split(":")[1])
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert client.recv(100).startswith(b"220 ")
    out, _ = stop(process)
    assert "disconnected (server stopping)" in out.decode()
    client.close()


def test_an_explicit_port_in_use_exits_2_with_one_line(taken_port):
    port = taken_port
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--no-gui",
                           "--port", str(port)], capture_output=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    if os.name == "nt":  # first it says that it tries again for a while (test_windows.py)
        assert lines.pop(0).startswith(f"Port {port} is in use; trying again for 3 seconds")
    assert lines == [
        f"smtp_observer: cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(is another mail server or observer running?); try --port 2525"]


def test_listening_on_every_interface_warns(start):
    process = start("--no-gui", "--host", "0.0.0.0", "--port", "0")
    assert process.stdout.readline().startswith(b"Listening on 0.0.0.0:")
    assert process.stdout.readline().startswith(b"POP3 listening on 0.0.0.0:")
    warning = process.stdout.readline()
    assert b"anyone who can reach this computer" in warning and b"POP3" in warning
    stop(process)


@pytest.mark.parametrize("args", [["--port", "70000"], ["--timeout", "0"], ["--lang", "fr"],
                                  ["--jsonl-passwords"]])  # without --jsonl it would do nothing
def test_bad_arguments_are_usage_errors(args):
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--no-gui", *args],
                          capture_output=True, timeout=30)
    assert done.returncode == 2 and b"usage:" in done.stderr and b"Traceback" not in done.stderr


@pytest.mark.skipif(WINDOWS, reason="Windows always has a display: the window opens there")
def test_without_a_display_the_observer_runs_headless(start_observer):
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    process = start_observer("--port", "0", env=env)
    assert process.stdout.readline().startswith(b"The window cannot open (")
    assert process.stdout.readline().startswith(b"Listening on 127.0.0.1:")
    stop(process)


def test_a_recording_is_printed_as_json_lines():
    """--open FILE --jsonl (it ended in a NameError)."""
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--open",
                           str(ROOT / "assets" / "sessions" / "foxmail-7.2.jsonl"), "--jsonl"],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[0]["event"] == "listening"
    assert "message" in {record["event"] for record in records}
