"""Regression tests for issue 14: what an adversarial review (shared/docs/reviews/reliability.md)
broke. Each test failed before its fix. Where the issue is silent, the behaviour follows Postfix
or aiosmtpd, and the test name says which."""

from __future__ import annotations

import smtplib
import subprocess
import time

import child_observer
import pytest
from messages import broken_png, cut_png, picture_message

import decoder
import report
import smtp_observer

BROKEN_PICTURES = [pytest.param(broken_png(), id="bad-chunk"), pytest.param(cut_png(), id="cut")]


# --- 1. A picture that cannot be decoded ------------------------------------------------------


@pytest.mark.parametrize("data", BROKEN_PICTURES)
def test_a_broken_picture_that_fits_the_box_has_no_thumbnail(data):
    # Pillow's thumbnail() returns the image undecoded when it already fits: the error used to
    # surface later, in the report writer or the window.
    assert decoder.thumbnail(data, (100, 100)) is None


@pytest.mark.parametrize("data", BROKEN_PICTURES)
def test_the_decoder_remarks_on_a_broken_picture(data):
    decoded = decoder.decode(picture_message(data))
    [attachment] = decoded.attachments
    assert attachment.image == decoder.ImageInfo("PNG", 10, 10)  # its header still reads
    assert any("Part 1.2 (image/png): corrupt image" in remark for remark in decoded.remark_texts())


@pytest.mark.parametrize("data", BROKEN_PICTURES)
def test_the_report_shows_a_placeholder_for_a_broken_picture(observer, data):
    with smtplib.SMTP("127.0.0.1", observer.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], picture_message(data))
    observer.wait_for("disconnect")
    events = report.session_events(observer.seen, 1)
    for lang in ("en", "zh"):
        page = report.session_html(events, lang=lang)
        assert report.label("picture_unreadable", lang) in page
        # the decoder's remark, in the report's language
        assert ("corrupt image" if lang == "en" else "图片已损坏") in page
    assert "corrupt image" in report.session_text(events)


def run_observer(*args: str) -> subprocess.Popen:
    return child_observer.start("--no-gui", "--port", "0", "--pop3-port", "0", *args)


def port_of(process: subprocess.Popen) -> int:
    return int(process.stdout.readline().decode().split(":")[1].split()[0])


def wait_for_files(folder, pattern: str, count: int, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    while len(found := sorted(folder.glob(pattern))) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_report_survives_a_broken_picture_and_a_cut_one(tmp_path):
    folder = tmp_path / "reports"
    process = run_observer("--report", str(folder))
    try:
        port = port_of(process)
        for data in (broken_png(), cut_png()):
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("a@example.com", ["b@example.com"], picture_message(data))
        pages = wait_for_files(folder, "*.html", 2)
        assert process.poll() is None, process.stderr.read().decode()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            assert client.noop()[0] == 250  # and it still serves
    finally:
        _, err = child_observer.stop(process)
    assert len(pages) == 2
    assert b"cannot write the report" not in err
    for page in pages:
        assert report.label("picture_unreadable", "en") in page.read_text("utf-8") \
            or report.label("picture_unreadable", "zh") in page.read_text("utf-8")


def test_a_report_that_fails_is_said_on_stderr_and_the_observer_goes_on(monkeypatch, capsys,
                                                                        tmp_path):
    def broken_writer(*args, **kwargs):
        raise SyntaxError("broken PNG file")

    monkeypatch.setattr(report, "write_session_report", broken_writer)
    reports = smtp_observer.SessionReports(tmp_path, "en")
    reports(smtp_observer.Connected(session=1, time=time.time(), peer="127.0.0.1:1"))
    reports(smtp_observer.Disconnected(session=1, time=time.time(), reason="quit"))
    err = capsys.readouterr().err
    assert "cannot write the report: SyntaxError: broken PNG file" in err
