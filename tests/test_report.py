"""Tests for report.py: the lab report of a real session (the seed Outlook message sent with
smtplib after AUTH LOGIN) as HTML and as text, the files it writes, and the page as headless
Chromium draws it."""

from __future__ import annotations

import base64
import codecs
import html
import io
import re
import smtplib
import subprocess
import time
from pathlib import Path

import pytest
from conftest import require_program
from messages import (
    BOUNCE_STATUS,
    IPHONE_TEXTS,
    SEED_ATTACHMENT_NAME,
    SEED_FROM,
    SEED_SUBJECT,
    SEED_TO,
    bounce_message,
    iphone_message,
    outlook_seed_message,
)
from PIL import Image, ImageStat

import decoder
import explain
import report
import smtp_observer

USER = "zhangsan"
PASSWORD = "S3cret-Pass!"
MARKUP = "<script>alert('x')</script> & more"  # a NOOP argument: must come out escaped
SKY = (70, 140, 215)  # the sky of messages.sample_picture(), to find its thumbnail on screen


def send_seed_message(observer) -> list:
    """One session: EHLO, AUTH LOGIN, a NOOP with markup in it, the seed message, QUIT."""
    with smtplib.SMTP("127.0.0.1", observer.port, timeout=10) as client:
        client.ehlo("lab-pc")
        client.user, client.password = USER, PASSWORD
        client.auth("LOGIN", client.auth_login)
        client.docmd("NOOP", MARKUP)
        client.sendmail(SEED_FROM, [SEED_TO], outlook_seed_message())
    observer.wait_for("message")
    observer.wait_for("disconnect")
    return report.session_events(observer.seen, 1)


@pytest.fixture
def session(observer) -> list:
    return send_seed_message(observer)


def named(events: list, name: str) -> list:
    return [event for event in events if event.event == name]


def thumbnails(page: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(data)))
            for data in re.findall(r'src="data:image/(?:png|jpeg);base64,([^"]+)"', page)]


# --- The HTML page -------------------------------------------------------------------------


def test_the_page_is_self_contained_and_escaped(session):
    page = report.session_html(session)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert all(link.startswith(("data:", "#"))
               for link in re.findall(r'(?:src|href)="([^"]*)"', page))
    assert "<script" not in page.lower()
    assert html.escape(f"NOOP {MARKUP}") in page


def test_the_page_shows_the_decoded_chinese_message(session):
    page = report.session_html(session, lang="zh")
    [message] = named(session, "message")
    assert f"<dd>{SEED_SUBJECT}</dd>" in page
    assert "老师您好：" in page
    assert SEED_ATTACHMENT_NAME in page
    assert "JPEG 640×480" in page
    for part in message.decoded.parts:
        assert html.escape(decoder.describe_part(part, "zh")) in page
    assert f"&lt;{SEED_TO}&gt;" in page


def test_the_picture_is_embedded_as_a_thumbnail(session):
    [thumbnail] = thumbnails(report.session_html(session))
    thumbnail.verify()  # a whole, readable picture
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 240))


def test_the_dialogue_has_timings_wire_lines_states_and_data(session):
    page = report.session_html(session)
    times = re.findall(r'<td class="time">\+(\d+\.\d{3}) s</td>', page)
    assert len(times) == len([event for event in session if event.event != "listening"])
    assert [float(value) for value in times] == sorted(float(value) for value in times)
    assert "250-8BITMIME\n" in page and "250 HELP" in page
    assert "state: greeted" in page and "state: done" in page
    [data] = named(session, "data")
    assert f"&lt;message data: {data.size:,} bytes as sent, still dot-stuffed&gt;" in page
    assert f"Connected from {named(session, 'connect')[0].peer}" in page
    assert "Disconnected (quit)" in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explanations_are_in_the_chosen_language(session, lang):
    page = report.session_html(session, lang=lang)
    for meaning in (explain.COMMANDS["EHLO"].meaning, explain.COMMANDS["DATA"].meaning,
                    explain.AUTH_RESPONSE.meaning, explain.REPLIES[354].meaning,
                    explain.EHLO_KEYWORDS["PIPELINING"].meaning):
        assert html.escape(meaning(lang)) in page
    assert html.escape(report.LABELS["dialogue"](lang)) in page
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page


def test_the_listening_event_gives_the_server_and_its_scenarios(make_observer):
    observer = make_observer(scenarios=("no-pipelining",))
    page = report.session_html(send_seed_message(observer))
    assert f"observer.test listening on 127.0.0.1:{observer.port}" in page
    assert html.escape(explain.SCENARIOS["no-pipelining"].what("en")) in page


# --- Credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_password_never_appears(session, lang):
    [auth] = [remark for remark in named(session, "remark") if remark.kind == "auth-decoded"]
    assert auth.secret == PASSWORD  # the session really carried it
    encoded = base64.b64encode(PASSWORD.encode()).decode("ascii")
    for export in (report.session_html(session, lang=lang),
                   report.session_text(session, lang=lang)):
        assert PASSWORD not in export
        assert encoded not in export
        assert report.label("masked", lang, length=len(encoded)) in html.unescape(export)


def test_only_credential_lines_are_masked():
    def masked(line: str, answers_challenge: bool = False) -> str:
        return report._masked_command(line, answers_challenge, "en")

    assert masked("AUTH PLAIN AHVzZXIAcGFzcw==") == (
        "AUTH PLAIN [16 characters of base64 credentials, masked in the report]")
    assert masked("AUTH LOGIN") == "AUTH LOGIN"
    assert masked("dXNlcg==", answers_challenge=True).startswith("[8 characters")
    assert masked("*", answers_challenge=True) == "*"  # cancels: no secret in it
    assert masked("MAIL FROM:<a@example.com>") == "MAIL FROM:<a@example.com>"


# --- The text transcript -------------------------------------------------------------------


def test_the_text_transcript_explains_each_line_and_reports_each_message(session):
    text = report.session_text(session)
    lines = text.splitlines()
    greeting = next(index for index, line in enumerate(lines) if "S→C 220 " in line)
    assert re.match(r" *\+\d+\.\d{3} s  S→C 220 observer\.test", lines[greeting])
    assert lines[greeting + 1].strip() == explain.REPLY_CLASSES[2]("en")
    assert any(line.strip() == explain.explain_command("EHLO", "en") for line in lines)
    [message] = named(session, "message")
    assert f"=== Message {message.number}: {len(message.raw):,} bytes, accepted ===" in text
    assert decoder.format_report(message.decoded) in text
    assert f"MAIL FROM: <{SEED_FROM}>" in text


def test_a_session_still_open_says_so():
    start = time.time()
    events = [smtp_observer.Connected(session=4, time=start, peer="192.0.2.7:50000"),
              smtp_observer.CommandReceived(session=4, time=start + 1.5, line="NOOP")]
    text = report.session_text(events, lang="en")
    assert "Duration: 1.500 s so far (the session was still open)" in text
    assert "  +1.500 s  C→S NOOP" in text


def test_long_text_is_cut_and_undecoded_messages_are_said_to_be():
    body = "长" * (report.BODY_LIMIT + 10)
    raw = ("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    envelope = smtp_observer.Envelope("a@example.com", ("b@example.com",))
    start = time.time()
    events = [smtp_observer.MessageReceived(
        session=2, time=start, number=number, envelope=envelope, raw=raw, complete=True,
        accepted=True, reason=None, decoded=decoded)
        for number, decoded in ((1, decoder.decode(raw)), (2, None))]
    page = report.session_html(events, lang="en")
    assert "长" * report.BODY_LIMIT + "</pre>" in page
    assert (f"The text has {len(body):,} characters; the first {report.BODY_LIMIT:,} are "
            "shown.") in page
    assert "The message was not decoded." in page


# --- Picking sessions, naming and writing files --------------------------------------------


def test_session_events_picks_one_session_after_the_listening_event(make_observer):
    observer = make_observer()
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", observer.port, timeout=10) as client:
            client.noop()
    observer.wait_for("disconnect", 2)
    [listening] = named(observer.seen, "listening")
    second = report.session_events(observer.seen, 2)
    assert second[0] is listening
    assert [event.session for event in second[1:]] == [2] * (len(second) - 1)
    assert [event.event for event in second[1:]] == [
        "connect", "reply", "command", "reply", "command", "reply", "disconnect"]
    assert report.session_text(observer.seen).startswith("SMTP session 1\n")


def test_report_basename_is_the_session_and_its_local_start_time():
    start = time.mktime((2026, 11, 29, 19, 30, 12, 0, 0, -1))
    listening = smtp_observer.Listening(session=0, time=start - 60, host="127.0.0.1", port=25,
                                        requested_port=None, fallback_reason=None,
                                        hostname="lab")
    connect = smtp_observer.Connected(session=3, time=start, peer="127.0.0.1:5000")
    assert report.report_basename([listening, connect]) == "smtp-session-3-20261129-193012"
    assert report.report_basename([]) == "smtp-session"


def test_write_session_report_writes_html_and_a_notepad_friendly_text(session, tmp_path):
    directory = tmp_path / "reports"
    page, transcript = report.write_session_report(directory, session, lang="zh")
    base = report.report_basename(session)
    assert (page, transcript) == (directory / f"{base}.html", directory / f"{base}.txt")
    assert re.fullmatch(r"smtp-session-1-\d{8}-\d{6}", base)
    assert SEED_SUBJECT in page.read_text(encoding="utf-8")
    expected = report.session_text(session, lang="zh").replace("\n", "\r\n")
    assert transcript.read_bytes() == codecs.BOM_UTF8 + expected.encode("utf-8")


# --- In a real browser ---------------------------------------------------------------------


def screenshot(chromium: str, page: Path, directory: Path, height: int) -> Image.Image:
    shot = directory / f"shot-{height}.png"
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={directory / 'profile'}",
         f"--window-size=1200,{height}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, timeout=120, check=False)
    assert shot.is_file(), done.stderr.decode(errors="replace")[-2000:]
    return Image.open(shot).convert("RGB")


def sky_pixels(image: Image.Image) -> int:
    """Pixels the colour of the sample picture's sky (give or take JPEG and colour profiles)."""
    return sum(count for count, colour in image.getcolors(image.width * image.height)
               if all(abs(channel - sky) <= 16 for channel, sky in zip(colour, SKY, strict=True)))


def test_the_report_renders_in_headless_chromium(session, tmp_path):
    chromium = require_program("chromium")
    page, _ = report.write_session_report(tmp_path, session, lang="zh")
    top = screenshot(chromium, page, tmp_path, height=1600)
    assert top.size == (1200, 1600)
    assert ImageStat.Stat(top.convert("L")).stddev[0] > 20, "the page looks blank"
    # The whole page (it is about 3,200 pixels high): the thumbnail is drawn, so the data: URI
    # works in a real browser.
    whole = screenshot(chromium, page, tmp_path, height=5000)
    assert sky_pixels(whole) > 20_000


def message_events(*raws: bytes) -> list:
    envelope = smtp_observer.Envelope("a@example.com", ("b@example.com",))
    return [smtp_observer.MessageReceived(
        session=2, time=time.time(), number=number, envelope=envelope, raw=raw, complete=True,
        accepted=True, reason=None, decoded=decoder.decode(raw))
        for number, raw in enumerate(raws, 1)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pictures_stand_between_the_texts_and_attached_mail_is_named(lang):
    page = report.session_html(message_events(iphone_message(), bounce_message()), lang=lang)
    first, second = (text.split("\r\n")[0] for text in IPHONE_TEXTS)
    picture = page.index('<p class="inline-picture"><img src="data:image/jpeg;base64,')
    assert page.index(html.escape(first)) < picture < page.index(html.escape(second))
    assert f"Status: {BOUNCE_STATUS}" in page
    attached = {"en": "Attached mail: 实验报告, from 张三 &lt;zhangsan@example.edu.cn&gt;",
                "zh": "附带的邮件：实验报告，发件人 张三 &lt;zhangsan@example.edu.cn&gt;"}
    assert attached[lang] in page
