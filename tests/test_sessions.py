"""Saved sessions (sessions.py, events.from_json, --open) and the reference sessions."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys

import pytest

import events
import sessions
import smtp_observer
from conftest import ROOT
from events import MessageReceived, Remark


def record_a_session(observer) -> list[events.ServerEvent]:
    """A real session: AUTH PLAIN, a gb2312 message, QUIT; the events as the window keeps them."""
    message = ("From: <alice@127.0.0.1>\r\nTo: <bob@127.0.0.1>\r\n"
               "Subject: =?gb2312?B?xPq6ww==?=\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n"
               "\r\nxPq6w6Oh\r\n").encode("ascii")
    with smtplib.SMTP("127.0.0.1", observer.port, local_hostname="ideaPC", timeout=10) as client:
        client.login("alice", "secret")
        client.sendmail("alice@127.0.0.1", ["bob@127.0.0.1"], message)
    observer.wait_for("disconnect")
    return list(observer.seen)


def test_save_then_open_gives_the_same_events_and_the_same_transcript(observer, tmp_path):
    recorded = record_a_session(observer)
    path = tmp_path / "lab.jsonl"
    sessions.save(path, recorded)

    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["format"] == "smtp-observer-session" and first["version"] == sessions.VERSION
    loaded = sessions.load(path).events
    assert loaded == tuple(recorded)  # dataclass equality: every field, raw bytes, decoded form
    message = next(ev for ev in loaded if isinstance(ev, MessageReceived))
    assert message.decoded.subject == "您好" and message.raw.endswith(b"xPq6w6Oh\r\n")
    assert any(isinstance(ev, Remark) and ev.secret == "secret" for ev in loaded)

    # the terminal shows the opened file exactly as it showed the live session
    live = [line for ev in recorded if ev.session
            for line in smtp_observer.Transcript("zh", explain=True).lines(ev)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--open", str(path),
                           "--no-gui", "--explain", "--lang", "zh"],
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode("utf-8").splitlines()
    assert out[0].startswith("录制的会话 lab.jsonl（保存于 ")
    assert out[1:] == live


def test_open_writes_the_reports_with_the_students_name(tmp_path):
    reference = sessions.REFERENCE_DIRECTORY / "outlook-2013.jsonl"
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--open",
                           str(reference), "--report", str(tmp_path), "--lang", "zh",
                           "--student", "张三 2024001"],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    text = next(tmp_path.glob("*.txt")).read_text(encoding="utf-8")
    for report in (html, text):
        assert "张三 2024001" in report
        assert "Subject: =?gb2312?B?xPq6ww==?=" in report  # the encoded header, as it came


@pytest.mark.parametrize("version, expected", [
    (sessions.VERSION + 1, "was saved by a newer SMTP Observer (session format 2; this one reads "
                           "up to 1): please update the program."),
    ("x", "was saved by a newer SMTP Observer")])
def test_a_newer_format_is_refused_with_one_clear_line(tmp_path, version, expected):
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps({"format": sessions.FORMAT, "version": version}) + "\n"
                    + json.dumps({"event": "hologram", "session": 1, "time": 0}) + "\n")
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--open", str(path),
                           "--no-gui", "--lang", "en"], capture_output=True, timeout=60)
    assert done.returncode == 2
    err = done.stderr.decode().strip()
    assert expected in err and len(err.splitlines()) == 1 and b"Traceback" not in done.stderr


@pytest.mark.parametrize("content, expected", [
    (b"", "is not a saved session"), (b"\xff\xfe junk", "is not a saved session"),
    (b'{"format": "smtp-observer-session", "version": 1}\n{"event": "reply"}\n',
     "line 2: a 'reply' event that cannot be read"),
    (b'{"format": "smtp-observer-session", "version": 1}\n[1]\n', "line 2: not a JSON object"),
])
def test_a_broken_file_is_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "broken.jsonl"
    path.write_bytes(content)
    with pytest.raises(sessions.SessionFileError) as raised:
        sessions.load(path)
    assert expected in raised.value.text("en")
    assert raised.value.text("zh") != raised.value.text("en")


def test_every_reference_session_opens_and_shows_what_its_client_sends():
    found = {path.stem: sessions.load(path) for path in sessions.reference_sessions()}
    assert set(found) == {"outlook-2013", "foxmail-7.2", "thunderbird"}
    for name, recording in found.items():
        assert recording.about["en"].startswith("Reconstructed") and "重构" in recording.about["zh"]
        assert recording.title["zh"] and recording.path.stat().st_size < 20_000
        messages = [ev for ev in recording.events if isinstance(ev, MessageReceived)]
        assert len(messages) == 1 and messages[0].accepted, name
        assert messages[0].decoded.subject, name
    commands = {name: [ev.line for ev in rec.events if ev.event == "command"]
                for name, rec in found.items()}
    outlook = next(ev for ev in found["outlook-2013"].events if isinstance(ev, MessageReceived))
    assert commands["outlook-2013"][:2] == ["EHLO ideaPC", "MAIL FROM: <alice@127.0.0.1>"]
    assert b"Subject: =?gb2312?B?xPq6ww==?=" in outlook.raw and outlook.decoded.subject == "您好"
    assert [a.filename for a in outlook.decoded.attachments] == ["照片.jpg"]
    assert outlook.decoded.attachments[0].content_type == "image/jpeg"

    foxmail = next(ev for ev in found["foxmail-7.2"].events if isinstance(ev, MessageReceived))
    assert commands["foxmail-7.2"][1:2] == ["AUTH LOGIN"]
    assert "镕" in foxmail.decoded.text and b'charset="GB2312"' in foxmail.raw
    assert [(a.filename, a.content_type) for a in foxmail.decoded.attachments] == [
        ("网络拓扑.bmp", "application/octet-stream")]

    thunderbird = next(ev for ev in found["thunderbird"].events if isinstance(ev, MessageReceived))
    assert commands["thunderbird"][1].startswith("AUTH PLAIN ")
    assert "BODY=8BITMIME" in thunderbird.envelope.mail_params
    assert b"format=flowed" in thunderbird.raw and "李四" in thunderbird.decoded.text
    assert b"filename*=UTF-8''" in thunderbird.raw
    assert [a.filename for a in thunderbird.decoded.attachments] == ["实验截图.png"]


def test_from_json_is_the_inverse_of_to_json_for_every_event_kind(observer):
    recorded = record_a_session(observer)
    kinds = {type(ev) for ev in recorded}
    assert {events.Listening, events.Connected, events.CommandReceived, events.ReplySent,
            events.Remark, events.DataReceived, MessageReceived, events.Disconnected} <= kinds
    import decoder

    for ev in recorded:
        data = ev.to_json(with_raw=True) if isinstance(ev, MessageReceived) else ev.to_json()
        assert events.from_json(json.loads(json.dumps(data)), decode=decoder.decode) == ev
    with pytest.raises(events.EventJSONError):
        events.from_json({"event": "hologram"})
