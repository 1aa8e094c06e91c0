"""Regression tests for issue 14: what an adversarial review (shared/docs/reviews/reliability.md)
broke. Each test failed before its fix. Where the issue is silent, the behaviour follows Postfix
or aiosmtpd, and the test name says which."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import poplib
import re
import random
import smtplib
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib

import child_observer
import messages
import pytest
from conftest import ROOT
from messages import broken_png, cut_png, picture_message
from PIL import Image

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


def test_a_pop3_session_report_is_named_pop3_and_gives_the_pop3_address(tmp_path):
    # It was "smtp-session-2-….html" and said the server listened on the SMTP port.
    folder = tmp_path / "reports"
    process = run_observer("--report", str(folder))
    try:
        smtp_port = port_of(process)
        pop3_line = process.stdout.readline().decode()
        pop3_port = int(re.search(r"127\.0\.0\.1:(\d+)", pop3_line)[1])
        client = poplib.POP3("127.0.0.1", pop3_port, timeout=10)
        client.user("student")
        client.pass_("secret")
        client.quit()
        pages = wait_for_files(folder, "*.txt", 1)
    finally:
        child_observer.stop(process)
    [page] = pages
    assert re.fullmatch(r"pop3-session-\d+-\d{8}-\d{6}\.txt", page.name), page.name
    assert page.with_suffix(".html").exists()
    text = page.read_text("utf-8-sig")
    assert text.startswith("POP3 session ")
    assert f"listening on 127.0.0.1:{pop3_port}" in text
    assert f":{smtp_port}" not in text


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


# --- 2, 3. Nesting: every container counted, in any case, and capped at 100 -------------------


def nested(depth: int, content_type: str = "multipart/mixed") -> bytes:
    """`depth` containers of `content_type`, each holding the next, around one text part."""
    head = b"Subject: deep\r\nFrom: a@example.com\r\n"
    if content_type.lower().startswith("message/"):
        return head + f"Content-Type: {content_type}\r\n\r\n".encode() * depth \
            + b"Subject: innermost\r\n\r\ninnermost text\r\n"
    opening = "".join(f'Content-Type: {content_type}; boundary="b{level}"\r\n\r\n--b{level}\r\n'
                      for level in range(depth))
    closing = "".join(f"\r\n--b{level}--" for level in reversed(range(depth)))
    return head + opening.encode() + b"Content-Type: text/plain\r\n\r\ninnermost text" \
        + closing.encode() + b"\r\n"


# The review's F2 on a Windows-sized stack: a deep multipart first (it used to raise the
# process-wide recursion limit for good), then message/rfc822 nested 8,000 deep and 1,000 deep.
DECODE_ON_A_SMALL_STACK = """
import sys, threading
sys.path.insert(0, sys.argv[1])
import decoder
from test_hardening import nested
threading.stack_size(2 << 20)  # python.exe's stack on Windows
limit = sys.getrecursionlimit()
def work():
    for raw in (nested(100), nested(8000, "message/rfc822"), nested(1000, "message/rfc822"),
                nested(1000, "Message/RFC822")):
        decoded = decoder.decode(raw)
        print(decoded.subject, len(decoded.parts), sys.getrecursionlimit() == limit, flush=True)
worker = threading.Thread(target=work)
worker.start()
worker.join()
"""


def test_deep_message_rfc822_nesting_cannot_crash_a_two_megabyte_stack():
    process = subprocess.run([sys.executable, "-c", DECODE_ON_A_SMALL_STACK, str(ROOT)],
                             capture_output=True, text=True, timeout=120,
                             cwd=ROOT / "tests")
    assert process.returncode == 0, (process.returncode, process.stderr[-2000:])
    assert process.stdout.splitlines() == [
        "deep 101 True",  # 100 multiparts and the text part, all decoded
        "deep 0 True",  # 8,000 containers: headers only
        "deep 102 True",  # 1,000 deep: decoded to the limit
        "deep 102 True",
    ]


@pytest.mark.parametrize("content_type", ["mUlTiPaRt/mixed", "MULTIPART/MIXED",
                                          "message/rfc822", "Message/Global"])
def test_nesting_in_any_case_is_capped_at_the_postfix_limit(content_type):
    decoded = decoder.decode(nested(1000, content_type))
    assert decoded.subject == "deep"  # used to be lost in a RecursionError
    assert len(decoded.parts) == decoder.MIME_NESTING_LIMIT + 2
    assert any("nested deeper than 100 levels (Postfix's mime_nesting_limit)" in remark
               for remark in decoded.remark_texts())
    assert not [remark for remark in decoded.remark_texts() if "error" in remark.lower()]


def test_mixed_case_multipart_is_counted_by_the_container_guard():
    # Review F5: "mUlTiPaRt" 6,000 deep kept the server thread busy for 28 s.
    decoded = decoder.decode(nested(6000, "mUlTiPaRt/mixed"))
    assert decoded.subject == "deep" and decoded.parts == []
    assert any("declares 6000 multipart or message parts" in remark
               for remark in decoded.remark_texts())


def test_decoding_leaves_the_recursion_limit_alone():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, whatever an earlier test did
    try:
        decoder.decode(nested(1000))
        assert sys.getrecursionlimit() == 1000
    finally:
        sys.setrecursionlimit(limit)


def test_containers_are_counted_across_the_slices_the_parser_is_fed_in():
    raw = b"x" * (decoder._FEED_SLICE - 4) + b"MultiPart/" + b"x" * 10 + b"message/" * 3
    assert decoder._count_containers(raw) == 4



# --- 6. Nothing a client sends drives the terminal -------------------------------------------

CONTROLS = ("\x1b", "\x07", "\r", "\x9b", "\x00")
# A window title (OSC 0), a clipboard write (OSC 52), a screen clear and a full reset, and a
# bare CR that would make the rest of the line overprint it as a server line.
HOSTILE_LINES = [
    b"NOOP \x1b]0;T1\x07 title",
    b"NOOP \x1b]52;c;aGVsbG8=\x07 clipboard",
    b"NOOP \x1b[2J\x1bc reset",
    b"NOOP spoof\rS: 250 this line was never sent",
    b"EHLO \x1b]0;T2\x07",
    b"EHLO lab-pc",
    b'MAIL FROM:<"\x1b]0;T3\x07"@example.com>',
    b"RCPT TO:<\x1bc@example.com>",
]
SUBJECT_WITH_NEWLINE = "=?utf-8?B?" + base64.b64encode(
    b"Hello\nInjected: line\r\x1b]0;T4\x07").decode() + "?="
HOSTILE_MESSAGE = (f"Subject: {SUBJECT_WITH_NEWLINE}\r\nFrom: a@example.com\r\n"
                   "Content-Type: text/plain\r\n"
                   f'Content-Disposition: attachment; filename="{SUBJECT_WITH_NEWLINE}"\r\n'
                   "\r\nbody\r\n").encode()


def hostile_session(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(line + b"\r\n" for line in HOSTILE_LINES))
        # Both addresses above are refused (501): a sender and a recipient that are not.
        sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
        sock.sendall(HOSTILE_MESSAGE + b".\r\nQUIT\r\n")
        while sock.recv(65536):
            pass


def assert_no_controls(lines: list[str]) -> None:
    for line in lines:
        assert not any(char in line for char in CONTROLS), repr(line)
        assert "\n" not in line, repr(line)


def test_the_transcript_escapes_every_control_character(observer):
    hostile_session(observer.port)
    observer.wait_for("disconnect")
    for lang, explain in (("en", False), ("en", True), ("zh", True)):
        transcript = smtp_observer.Transcript(lang, explain=explain)
        lines = [line for event in observer.seen for line in transcript.lines(event)]
        assert_no_controls(lines)
        assert "C: NOOP spoof\\rS: 250 this line was never sent" in lines
        assert "C: NOOP \\x1b]0;T1\\x07 title" in lines
        assert not any(line.startswith(("Injected", "S: 250 this")) for line in lines)
        assert "Subject:    Hello\\nInjected: line\\r\\x1b]0;T4\\x07" in lines


def test_the_text_report_escapes_every_control_character(observer):
    hostile_session(observer.port)
    observer.wait_for("disconnect")
    text = report.session_text(report.session_events(observer.seen, 1))
    assert_no_controls(text.splitlines())
    assert "NOOP spoof\\rS: 250" in text
    assert not any(line.startswith("Injected") for line in text.splitlines())


def test_no_gui_writes_no_control_bytes_to_the_terminal():
    process = run_observer("--explain")
    try:
        hostile_session(port_of(process))
        time.sleep(0.5)
    finally:
        out, _ = child_observer.stop(process)
    assert b"NOOP spoof\\rS: 250" in out
    for control in (b"\x1b", b"\x07", b"\xc2\x9b"):  # U+009B is CSI in UTF-8
        assert control not in out
    assert b"\r" not in out.replace(b"\r\n", b"")


# Every character str.splitlines() breaks a line at, beyond CR and LF: a decoded field holding
# one must not print a line of its own that starts at column 0 like "S: 250".
UNICODE_LINE_BREAKS = "\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"
FORGED_SUBJECT = "作业\u2028S: 250 2.0.0 伪造的应答\u2029C: QUIT"


def test_no_gui_escapes_every_line_break_str_splitlines_knows():
    subject = FORGED_SUBJECT + "".join(f"{char}C: NOOP" for char in UNICODE_LINE_BREAKS)
    encoded = "=?utf-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    # A UTF-8 console (Windows Terminal), so that the Chinese can be compared as it is.
    process = child_observer.start("--no-gui", "--port", "0", "--pop3-port", "0", "--explain",
                                   "--lang", "zh", env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        with smtplib.SMTP("127.0.0.1", port_of(process), timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"],
                            f"Subject: {encoded}\r\n\r\nline\u2028S: 250 two\r\n".encode())
        time.sleep(0.5)
    finally:
        out, _ = child_observer.stop(process)
    lines = out.decode("utf-8").splitlines()
    assert not any(line.startswith(("S: 250 2.0.0 伪造", "C: NOOP", "S: 250 two"))
                   for line in lines), lines
    assert lines.count("C: QUIT") == 1, lines  # smtplib's own
    escaped = decoder.printable_line(subject)
    assert "\\u2029C: QUIT\\u2028C: NOOP\\u2029C: NOOP\\x0bC: NOOP" in escaped
    assert "Subject:    " + escaped in lines, lines
    assert "line\\u2028S: 250 two" in lines, lines


def test_printable_line_escapes_unicode_line_separators():
    for char in UNICODE_LINE_BREAKS:
        assert len(decoder.printable_line(f"a{char}b").splitlines()) == 1
    assert decoder.printable_line("a\u2028b\u2029c") == "a\\u2028b\\u2029c"


def smtp_replies(port: int, *commands: bytes) -> list[bytes]:
    """The reply line to each command, in one session (after the greeting)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        replies = []
        for command in commands:
            sock.sendall(command + b"\r\n")
            while (line := reader.readline())[3:4] == b"-":
                pass
            replies.append(line)
        return replies


@pytest.mark.parametrize("command", [b"MAIL FROM:<a\x00@b.example>",
                                     b'MAIL FROM:<"\x1b]0;T\x07"@b.example>'])
def test_a_control_character_in_the_sender_gets_501_5_1_7_like_postfix(observer, command):
    helo, mail, retry = smtp_replies(observer.port, b"EHLO lab-pc", command,
                                     b"MAIL FROM:<a@b.example>")
    assert mail == b"501 5.1.7 Bad sender address syntax\r\n"
    assert retry.startswith(b"250 ")


@pytest.mark.parametrize("command", [b"RCPT TO:<x\x00y@z.example>", b"RCPT TO:<x\x1bc@z.example>"])
def test_a_control_character_in_a_recipient_gets_501_5_1_3_like_postfix(observer, command):
    *_, rcpt = smtp_replies(observer.port, b"EHLO lab-pc", b"MAIL FROM:<a@b.example>", command)
    assert rcpt == b"501 5.1.3 Bad recipient address syntax\r\n"


@pytest.mark.parametrize("name", [b"a\x00b", b"\xff\xfe", b"\x1b]0;T\x07", "张三-PC".encode("gbk")])
def test_helo_and_ehlo_answer_a_name_alike_and_echo_no_control_byte(observer, name):
    [helo] = smtp_replies(observer.port, b"HELO " + name)
    [ehlo] = smtp_replies(observer.port, b"EHLO " + name)
    assert helo[:4] == ehlo[:4]
    for reply in (helo, ehlo):
        assert not any(byte < 0x20 or byte >= 0x7f for byte in reply[:-2]), reply


# --- 7. JSON Lines never carry the AUTH password unless asked ---------------------------------

PASSWORD = "Real-Outlook-Pa55"


def jsonl_session(*options: str) -> list[bytes]:
    """A --jsonl observer's output for: AUTH PLAIN, a message whose subject and text hold
    U+2028, U+2029 and U+0085, QUIT."""
    process = child_observer.start("--jsonl", "--port", "0", "--pop3-port", "0", *options)
    try:
        port = json.loads(process.stdout.readline())["port"]
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.login("zhangsan", PASSWORD)
            subject = "=?utf-8?B?" + base64.b64encode(
                "a\u2028b\u2029c\u0085d".encode()).decode() + "?="
            client.sendmail("a@example.com", ["b@example.com"],
                            f"Subject: {subject}\r\n\r\nline\u2028two\r\n".encode())
        time.sleep(0.5)
    finally:
        out, _ = child_observer.stop(process)
    return out.splitlines()


def test_jsonl_leaves_the_auth_password_out():
    lines = jsonl_session()
    events = [json.loads(line) for line in lines]
    [auth] = [event for event in events
              if event["event"] == "remark" and event["kind"] == "auth-decoded"]
    assert "secret" not in auth and auth["values"]["user"] == "zhangsan"
    assert not any(PASSWORD.encode() in line for line in lines)


def test_jsonl_passwords_puts_it_in_when_asked():
    events = [json.loads(line) for line in jsonl_session("--jsonl-passwords")]
    [auth] = [event for event in events
              if event["event"] == "remark" and event["kind"] == "auth-decoded"]
    assert auth["secret"] == PASSWORD


def test_jsonl_is_one_event_per_line_even_for_str_splitlines():
    # Issue 14.8: the three line breaks JSON keeps raw made str.splitlines() see extra lines.
    lines = jsonl_session()
    text = b"\n".join(lines).decode("utf-8")
    assert len(text.splitlines()) == len(lines)
    [message] = [json.loads(line) for line in lines if b'"event":"message"' in line]
    assert message["subject"] == "a\u2028b\u2029c\u0085d"
    assert "\\u2028" in text and "\\u2029" in text and "\\u0085" in text


# --- 4. Tiny lines: the message costs a few times its size, whatever its line shape ------------

TINY_LINE_SHAPES = {"dots": b"..\r\n", "empty": b"\r\n", "letters": b"a\r\n",
                    "headers": b"a:b\r\n", "bare-cr": b"\r"}


def peak_memory(work) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("line", [b"..\r\n", b"\r\n", b"a\r\n"], ids=["dots", "empty", "letters"])
def test_data_of_tiny_lines_is_received_in_a_few_times_its_size(line):
    from test_protocol import Dialogue
    dialogue = Dialogue()
    dialogue.in_transaction()
    assert dialogue.code("DATA") == 354
    data = b"Subject: tiny\r\n\r\n" + line * (3_000_000 // len(line))
    chunks = [data[start : start + 65536] for start in range(0, len(data), 65536)]

    def receive() -> list:
        for chunk in chunks:
            assert dialogue.session.receive(chunk) == []
        return dialogue.send(b".\r\n")

    replies, peak = peak_memory(receive)
    assert replies[0][0] == 250
    [message] = dialogue.session.completed
    assert message.raw == data.replace(b"\r\n.", b"\r\n")  # dot-unstuffed, byte for byte
    # One int per stuffed dot and a join of millions of slices: 2.85 GB for 30 MB (review F3).
    assert peak < 4 * len(data)


@pytest.mark.parametrize("folds", [20_000, 750_000])
def test_a_header_folded_over_many_lines_is_decoded_in_a_few_times_its_size(folds):
    # 30 MB of "\r\n a" folds peaked at 1.8 GB; 3 MB at 190 MB in the parser alone.
    raw = b"Subject: w\r\nX-Long: a" + b"\r\n a" * folds + b"\r\n\r\nbody\r\n"
    decoded, peak = peak_memory(lambda: decoder.decode(raw))
    assert decoded.subject == "w"
    assert any("header has more than 10000 lines: only its first 10000 lines are decoded"
               in remark for remark in decoded.remark_texts())
    assert peak < max(4 * len(raw), 16_000_000)  # the first 10,000 lines cost a constant


@pytest.mark.parametrize("shape", TINY_LINE_SHAPES.values(), ids=TINY_LINE_SHAPES.keys())
def test_a_message_of_millions_of_lines_is_decoded_as_headers_only(shape):
    raw = b"Subject: tiny\r\nFrom: a@example.com\r\n\r\n" + shape * (6_000_000 // len(shape))
    decoded, peak = peak_memory(lambda: decoder.decode(raw))
    assert decoded.subject == "tiny" or shape == b"a:b\r\n"
    assert any("lines outside its base64 parts, more than 300000: only its headers are "
               "decoded" in remark for remark in decoded.remark_texts())
    assert decoded.text is None and decoded.parts == []
    assert peak < 2 * len(raw)  # the parser kept one string per line: 1.2 GB for 30 MB


def test_a_long_text_under_the_line_limit_is_still_decoded():
    text = b"a line of an ordinary long text body, as a log file would have it\r\n" * 200_000
    decoded = decoder.decode(b"Subject: long\r\n\r\n" + text)
    assert decoded.text.count("\n") == 200_000
    assert not any("lines outside" in remark for remark in decoded.remark_texts())


def test_base64_lines_do_not_count_toward_the_line_limit():
    body = base64.encodebytes(bytes(range(256)) * 120_000).replace(b"\n", b"\r\n")  # 400k lines
    raw = (b"Subject: photo\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
           b"\r\n--b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"--b--\r\n")
    decoded = decoder.decode(raw)
    assert decoded.attachments[0].data == bytes(range(256)) * 120_000


def test_base64_line_starts_are_found_where_the_regex_finds_them(monkeypatch):
    monkeypatch.setattr(decoder, "_FEED_SLICE", 37)  # many slice seams in short inputs
    rng = random.Random(14)
    for _ in range(2000):
        raw = bytes(rng.choice(b"AZaz09+/=\r\n.- ") for _ in range(rng.randrange(400)))
        finder, pos, found = decoder._Base64LineStarts(raw), 0, []
        while (start := finder.find(pos)) >= 0:
            match = decoder._BASE64_LINES.match(raw, start)
            found.append(match.span())
            pos = match.end()
        assert found == [match.span() for match in decoder._BASE64_LINES.finditer(raw)], raw


# --- 5. One slow client cannot hold the only slot ---------------------------------------------


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def drip(sock: socket.socket, data: bytes, pause: float) -> bool:
    """Send `data` a few bytes at a time; False when the server closed the connection first."""
    for start in range(0, len(data), 4):
        try:
            sock.sendall(data[start : start + 4])
        except OSError:
            return False
        time.sleep(pause)
    return True


def test_junk_commands_beyond_the_postfix_limit_count_as_errors():
    from test_protocol import Dialogue
    dialogue = Dialogue()
    replies = dialogue.send(b"NOOP\r\n" * smtp_observer.JUNK_COMMAND_LIMIT)
    assert [code for code, _ in replies] == [250] * smtp_observer.JUNK_COMMAND_LIMIT
    replies = dialogue.send(b"NOOP\r\nRSET\r\nVRFY x\r\nHELP\r\n" * 10_000)  # 10,000 were answered
    codes = [code for code, _ in replies]
    assert codes[-1] == 421 and len(codes) == smtp_observer.MAX_ERRORS + 1
    assert dialogue.session.closed
    assert [event.values for event in dialogue.events
            if event.event == "remark" and event.kind == smtp_observer.RemarkKind.JUNK_COMMANDS
            ] == [{"limit": 100, "errors": 20}]


def test_the_junk_count_starts_again_after_a_message_as_in_postfix():
    from test_protocol import Dialogue
    dialogue = Dialogue()
    for _ in range(3):  # 3 x 90 RSET and NOOP, with a message between
        assert {code for code, _ in dialogue.send(b"RSET\r\nNOOP\r\n" * 45)} == {250}
        dialogue.in_transaction()
        assert dialogue.code("DATA") == 354
        assert dialogue.send(b"Subject: x\r\n\r\nx\r\n.\r\n")[0][0] == 250
    assert not dialogue.session.closed


def test_a_command_dripped_byte_by_byte_meets_a_deadline(make_observer):
    # The timeout was per recv(): one byte every 2 s held the slot 21 s with --timeout 3.
    observer = make_observer(timeout=1.0)
    sock = socket.create_connection(("127.0.0.1", observer.port), timeout=10)
    assert sock.recv(1024).startswith(b"220 ")
    finished = drip(sock, b"EHLO a-client-that-types-very-slowly.example\r\n", 0.2)
    replies = read_all(sock)
    sock.close()
    assert not finished or b"250" not in replies
    assert b"421 4.4.2" in replies
    assert observer.wait_for("disconnect")[0].reason == "timeout"


def test_slow_data_meets_a_deadline_by_its_size(make_observer):
    # Postfix's smtpd_min_data_rate: one more second per 500 octets received.
    observer = make_observer(timeout=1.0)
    sock = socket.create_connection(("127.0.0.1", observer.port), timeout=10)
    sock.recv(1024)
    sock.sendall(b"EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
    time.sleep(0.2)
    drip(sock, b"Subject: slow\r\n\r\n" + b"x" * 400 + b"\r\n.\r\n", 0.1)  # 40 octets/s
    replies = read_all(sock)
    sock.close()
    assert b"421 4.4.2" in replies and b"250 2.0.0 OK" not in replies
    [message] = observer.wait_for("message")
    assert not message.complete and message.raw.startswith(b"Subject: slow")


def test_data_that_keeps_coming_is_not_cut_by_the_timeout(make_observer):
    observer = make_observer(timeout=1.0)
    sock = socket.create_connection(("127.0.0.1", observer.port), timeout=10)
    sock.recv(1024)
    sock.sendall(b"EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
    body = b"Subject: steady\r\n\r\n" + b"0123456789" * 4000 + b"\r\n"  # 40 KB over 2.5 s
    for start in range(0, len(body), 4000):
        sock.sendall(body[start : start + 4000])
        time.sleep(0.25)
    sock.sendall(b".\r\nQUIT\r\n")
    replies = read_all(sock)
    sock.close()
    assert b"250 2.0.0 OK" in replies and b"421" not in replies


def test_a_waiting_client_is_greeted_when_the_one_ahead_is_stuck(make_observer, monkeypatch):
    # Like Postfix under stress: the timeout drops to STRESS_TIMEOUT (10 s; 1 s here) while
    # another client waits, so Outlook, which gives up after a minute, still gets its 220.
    monkeypatch.setattr(smtp_observer, "STRESS_TIMEOUT", 1.0, raising=False)
    observer = make_observer(timeout=300.0)
    stuck = socket.create_connection(("127.0.0.1", observer.port), timeout=30)
    assert stuck.recv(1024).startswith(b"220 ")
    stuck.sendall(b"EHLO stuck\r\n")
    time.sleep(0.5)
    waiting = socket.create_connection(("127.0.0.1", observer.port), timeout=30)
    try:
        assert waiting.recv(1024).startswith(b"220 ")  # within 30 s: was 300
    finally:
        waiting.close()
    assert b"421 4.4.2 observer.test Timeout: another client is waiting" in read_all(stuck)
    stuck.close()
    observer.wait_for("disconnect")
    [remark] = [event for event in observer.named("remark")
                if event.kind == smtp_observer.RemarkKind.CLIENT_WAITING]
    assert remark.values == {"seconds": "1"}


# --- 8. The lower items -----------------------------------------------------------------------


def test_reports_written_in_the_same_second_never_overwrite_each_other(observer, tmp_path):
    with smtplib.SMTP("127.0.0.1", observer.port, timeout=10) as client:
        client.noop()
    observer.wait_for("disconnect")
    events = report.session_events(observer.seen, 1)
    first = report.write_session_report(tmp_path, events, lang="en")
    first_text = first[1].read_bytes()
    second = report.write_session_report(tmp_path, events, lang="zh")
    third = report.write_session_report(tmp_path, events, lang="en")
    assert len({*first, *second, *third}) == 6
    assert second[0].name == first[0].name.replace(".html", "-2.html")
    assert first[1].read_bytes() == first_text  # left as it was


def test_a_pipelining_remark_summarises_ten_thousand_verbs():
    from test_protocol import Dialogue
    dialogue = Dialogue()
    dialogue.send(b"EHLO x\r\n" + b"NOOP\r\n" * 9_998 + b"QUIT\r\n")
    [remark] = [event for event in dialogue.events if event.event == "remark"
                and event.kind == smtp_observer.RemarkKind.PIPELINED_UNADVERTISED]
    assert remark.values["count"] == 10_000
    assert remark.values["verbs"] == "EHLO NOOP×9998 QUIT"


def test_a_pipelining_remark_names_at_most_twelve_runs():
    verbs = ["EHLO", "MAIL", "RCPT", "RCPT", "DATA"] + ["NOOP", "RSET"] * 10
    assert smtp_observer._verb_summary(verbs) == (
        "EHLO MAIL RCPT×2 DATA NOOP RSET NOOP RSET NOOP RSET NOOP RSET …(+12)")


def all_zero_png(width: int, height: int) -> bytes:
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 3)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    chunk = messages._png_chunk
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def test_a_huge_all_zero_png_gets_a_placeholder_not_345_mb():
    data = all_zero_png(9000, 9000)  # 236 KB
    image, peak = peak_memory(lambda: decoder.thumbnail(data, (320, 240)))
    assert image is None
    assert peak < 20_000_000


def test_a_big_jpeg_photo_is_still_thumbnailed_through_draft_mode():
    photo = io.BytesIO()
    Image.new("RGB", (6000, 4500), (70, 140, 215)).save(photo, "JPEG")  # 27 Mpx
    image, peak = peak_memory(lambda: decoder.thumbnail(photo.getvalue(), (320, 240)))
    assert image.size == (320, 240)
    assert peak < 20_000_000  # decoded at 1/8 scale: 750x563
