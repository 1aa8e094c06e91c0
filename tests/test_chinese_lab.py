"""A Chinese lab sees no program-written English: every remark in Chinese, and a zh session with
the remarks Outlook's own dialogue provokes, read in the terminal (--no-gui --explain --lang
zh), the window's views and both reports. What stays as it is: the protocol lines (C:/S:), the
mail's own content, and names (commands, keywords, header fields, charsets, RFCs, addresses)."""

from __future__ import annotations

import base64
import html
import re
import socket
import string

import pytest

import decoder
import events
import gui
import gui_teaching
import report
import smtp_observer
import words
from test_server import read_replies

ZH = gui.LABELS["zh"]

# Lower-case words that are names, not English: codecs, encodings, a Windows command's words.
LOWER_NAMES = frozenset({
    "base64", "quoted", "printable", "ascii", "us", "utf", "gb2312", "gb18030", "gbk", "big5",
    "big5hkscs", "cp949", "cp874", "cp932", "cp1252", "latin", "windows", "email",
    "netsh", "int", "ipv4", "show", "excludedportrange", "protocol", "tcp", "root", "localhost",
    "winmail", "dat", "application", "ms", "tnef", "multipart", "related", "mixed", "text",
    "plain", "html", "image", "png", "jpeg", "message", "rfc822", "alternative", "bit", "7bit",
    "8bit", "binary", "inline", "attachment", "https", "http", "www", "ssl", "smtp", "pop3",
    "boundary",
})
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def english_words(text: str) -> list[str]:
    """The words of ``text`` that read as English prose: lower-case Latin words that are not
    names (names are capitalised or upper-case, or hold digits, or are listed above)."""
    found = []
    for token in re.split(r"[\s，。：；、（）“”‘’《》<>()\[\]{}'\",;:!?=|…—→·•]+", text):
        if any(mark in token for mark in "@/\\.=-_") or re.search(r"\d", token):
            continue  # addresses, paths, MIME types, file names, host names, options, codes,
            # settings (smtpd_junk_command_limit)
        for word in WORD.findall(token):
            if word.islower() and len(word) > 1 and word not in LOWER_NAMES:
                found.append(word)
    return found


def sample_values(template: str) -> dict[str, object]:
    """A value for each placeholder: a number where the template formats one, else a name."""
    values: dict[str, object] = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name:
            values[name] = 1234 if spec else "NAME"
    return values


@pytest.mark.parametrize("kind", list(events.RemarkKind), ids=str)
def test_every_remark_kind_reads_in_chinese(kind):
    template = words.REMARKS[kind]
    note = events.Note(kind, sample_values(template.en))
    chinese = words.note_text(note, "zh")
    assert re.search(r"[\u4e00-\u9fff]", chinese) or not english_words(chinese), chinese
    assert english_words(chinese) == [], chinese


def test_the_english_detector_finds_english_and_lets_names_be():
    assert english_words("TLS 握手失败（the handshake failed）") == ["the", "handshake", "failed"]
    assert english_words("首部 Message-ID：RFC 5322 §3.6，按 gb18030 解码，MAIL FROM:<a@b.cn>") == []


# --------------------------------------------------------------------------------------------
# One zh session, as Outlook 2013 sends its account test, with what provokes the remarks

SUBJECT = "=?gb2312?B?" + base64.b64encode("实验报告".encode("gb2312")).decode() + "?="
MESSAGE = (f"From: 学生 <a@example.com>\r\nSubject: {SUBJECT}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n"
           "\r\n" + base64.b64encode("老师您好：\r\n这是正文。\r\n".encode("gb2312")).decode()
           + "\r\n").encode("utf-8") + b"..\r\nbare\nline\r\n"


def outlook_like_session(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        read_replies(client, 1)
        for line in (b"EHLO ideaPC", b"AUTH LOGIN", base64.b64encode(b"student"),
                     base64.b64encode(b"s3cret"), b"MAIL FROM: <a@example.com> SIZE=10",
                     b"RCPT TO: <b@example.com>", b"DATA"):
            client.sendall(line + b"\r\n")
            read_replies(client, 1)
        client.sendall(MESSAGE + b".\r\n")
        read_replies(client, 1)
        client.sendall(b"NOOP\r\nQUIT\r\n")  # pipelined
        read_replies(client, 2)


@pytest.fixture(scope="module")
def session_events():
    observer = smtp_observer_running()
    try:
        outlook_like_session(observer.port)
        observer.wait_for("disconnect")
        observer.wait_for("message")
        return list(observer.seen)
    finally:
        observer.server.stop()


def smtp_observer_running():
    from conftest import RunningServer

    return RunningServer()


def protocol_and_content(seen: list) -> set[str]:
    """What the program did not write: the client's and server's lines, what they named, and
    the mail."""
    said: set[str] = set()
    for event in seen:
        if event.event == "command":
            said.add(event.line)
        elif event.event == "reply":
            said.update(events.reply_wire_lines(event.code, event.lines))
            said.update(event.lines)
        elif event.event == "remark":  # the values a remark names: user names, addresses
            said.update(str(value) for value in event.values.values())
        elif event.event == "message":
            said.update(event.raw.decode("utf-8", "replace").splitlines())
            decoded = event.decoded
            said.update(line for line in (decoded.text or "").splitlines() if line)
            said.update(value for value in (decoded.subject, decoded.from_) if value)
    return said


def leaks(text: str, not_ours: set[str]) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        for protocol in sorted(not_ours, key=len, reverse=True):
            if len(protocol) > 3 and protocol in line:
                line = line.replace(protocol, " ")
        if english_words(line):
            found.append((line, english_words(line)))
    return found


def test_the_session_provokes_the_remarks_of_outlooks_dialogue(session_events):
    kinds = {event.kind for event in session_events if event.event == "remark"}
    assert {"helo-name", "space-after-colon", "auth-decoded", "size-estimated", "dot-stuffing",
            "bare-lf-data", "8bit-undeclared", "pipelined"} <= kinds
    (message,) = [event for event in session_events if event.event == "message"]
    assert {"missing-date", "missing-message-id"} <= {r.kind for r in message.decoded.remarks}


def test_the_terminal_writes_no_english(session_events):
    transcript = smtp_observer.Transcript("zh", explain=True)
    text = "\n".join(line for event in session_events for line in transcript.lines(event)
                     if not line.startswith(("C: ", "S: ")))
    assert leaks(text, protocol_and_content(session_events)) == []


def test_the_reports_write_no_english(session_events):
    own = report.session_events(session_events, 1)
    not_ours = protocol_and_content(session_events)
    assert leaks(report.session_text(own, lang="zh"), not_ours) == []
    page = report.session_html(own, lang="zh")
    page = re.sub(r"(?s)<style.*?</style>|<img [^>]*>|<[^>]+>", "\n", page)
    assert leaks(html.unescape(page), not_ours) == []


def test_the_window_writes_no_english(session_events):
    not_ours = protocol_and_content(session_events)
    track = gui_teaching.SessionTrack(1, session_events[0].time)
    shown = []
    for event in session_events:
        shown += [line.text for line in gui.dialogue_lines(event, ZH)
                  if not line.text.startswith(("C: ", "S: "))]
        if event.session:
            explanation = gui_teaching.explain_entry(track.add(event), ZH, "zh")
            shown += [*explanation.paragraphs, *explanation.notes]
    (message,) = [event for event in session_events if event.event == "message"]
    shown += [chars for chars, tag in gui.body_segments(message, ZH) if tag == gui.TAG_NOTE]
    for part in message.decoded.parts:
        panes = gui_teaching.part_panes(part, decoder.part_xray(message.raw, part), ZH)
        shown.append(panes.summary)
    assert leaks("\n".join(shown), not_ours) == []
