"""A Chinese lab sees no program-written English: every remark in Chinese, and a zh session with
the remarks Outlook's own dialogue provokes, read in the terminal (--no-gui --explain --lang
zh), the window's views and both reports. What stays as it is: the protocol lines (C:/S:), the
mail's own content, and names (commands, keywords, header fields, charsets, RFCs, addresses)."""

from __future__ import annotations

import base64
import contextlib


import email.errors
import email.message
import html
import io
import json
import os
import re
import socket
import string
import subprocess
import sys
from pathlib import Path

import pytest

import command_line
import decoder
import events
import explain
import gui
import gui_mail
import gui_teaching
import report
import smtp_observer
import words
from test_server import read_replies

ZH = gui.LABELS["zh"]
ROOT = Path(__file__).resolve().parent.parent

# Lower-case words that are names, not English: codecs, encodings, a Windows command's words.
LOWER_NAMES = frozenset({
    "base64", "quoted", "printable", "ascii", "us", "utf", "gb2312", "gb18030", "gbk", "big5",
    "big5hkscs", "cp949", "cp874", "cp932", "cp1252", "latin", "windows", "email",
    "py", "netsh", "int", "ipv4", "show", "excludedportrange", "protocol", "tcp", "root",
    "localhost",
    "winmail", "dat", "application", "ms", "tnef", "multipart", "related", "mixed", "text",
    "plain", "html", "image", "png", "jpeg", "message", "rfc822", "alternative", "bit", "7bit",
    "8bit", "binary", "inline", "attachment", "https", "http", "www", "ssl", "smtp", "pop3",
    "boundary",
})
# Capitalised words that are names: products, header fields, keys. Any other capitalised
# word is English (a sentence starts with one: "Listening on ...").
CAPITALISED_NAMES = frozenset({
    "Outlook", "Foxmail", "Thunderbird", "Microsoft", "Windows", "Linux", "Python", "Pillow",
    "Tk", "Tcl", "Wine", "Ctrl", "Alt", "Esc", "Enter", "Delete", "Postfix", "Exchange", "Gmail", "Base64",
    "From", "To", "Cc", "Bcc", "Subject", "Date", "Sender", "Received", "Return", "Path",
    "Reply", "Content", "Type", "Transfer", "Encoding", "Disposition", "Message", "Id",
    "Mime", "Version", "Smtp", "Observer", "SMTP", "QQ", "Express", "Username", "Password",
})
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def english_words(text: str) -> list[str]:
    """The words of ``text`` that read as English prose: lower-case or capitalised Latin words
    that are not names (names are upper-case, hold digits, or are listed above)."""
    found = []
    for token in re.split(r"[\s，。：；、（）“”‘’《》<>()\[\]{}'\",;:!?=|…—→·•]+", text):
        if any(mark in token for mark in "@/\\.=-_") or re.search(r"\d", token):
            continue  # addresses, paths, MIME types, file names, host names, options, codes,
            # settings (smtpd_junk_command_limit)
        for word in WORD.findall(token):
            if len(word) > 1 and (word.islower() and word not in LOWER_NAMES
                                  or word.istitle() and word not in CAPITALISED_NAMES):
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
    assert english_words("Listening on 127.0.0.1:25") == ["Listening", "on"]
    assert english_words("缺少 Date 首部；Outlook 和 Foxmail 都会发送，SMTP Observer 不保存") == []
    assert english_words("首部 Message-ID：RFC 5322 §3.6，按 gb18030 解码，MAIL FROM:<a@b.cn>") == []


# --------------------------------------------------------------------------------------------
# One zh session, as Outlook 2013 sends its account test, with what provokes the remarks

SUBJECT = "=?gb2312?B?" + base64.b64encode("实验报告".encode("gb2312")).decode() + "?="
# A readable Chinese body (gb2312, base64), and a second part that provokes the decoder's
# remarks: 8-bit bytes declared 7bit, a line that is one dot (dot-stuffed on the wire) and a
# bare LF.
MESSAGE = (f"From: 学生 <a@example.com>\r\nSubject: {SUBJECT}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"part\"\r\n\r\n--part\r\n"
           "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n"
           "\r\n" + base64.b64encode("老师您好：\r\n这是正文。\r\n".encode("gb2312")).decode()
           + "\r\n--part\r\nContent-Type: text/plain; charset=gb2312\r\n"
           "Content-Transfer-Encoding: 7bit\r\n\r\n").encode("utf-8") \
    + "..\r\n附言：这一行以单独的 LF 结束\n谢谢！\r\n".encode("gb2312") + b"--part--\r\n"


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
    assert {"missing-date", "missing-message-id", "bare-line-ends", "part-problem"} <= {
        r.kind for r in message.decoded.remarks}
    assert message.decoded.subject == "实验报告"
    assert message.decoded.text.split() == ["老师您好：", "这是正文。", ".",
                                            "附言：这一行以单独的", "LF", "结束", "谢谢！"]


def test_the_terminal_writes_no_english(session_events):
    transcript = smtp_observer.Transcript("zh", explain=True)
    text = "\n".join(line for event in session_events for line in transcript.lines(event)
                     if not line.startswith(("C: ", "S: ")))
    found = leaks(text, protocol_and_content(session_events))
    assert found == [], "\n".join(map(str, found))


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
    shown += [chars for chars, tag in gui_mail.body_segments(message, ZH) if tag == gui.TAG_NOTE]
    for part in message.decoded.parts:
        panes = gui_teaching.part_panes(part, decoder.part_xray(message.raw, part), ZH)
        shown.append(panes.summary)
    assert leaks("\n".join(shown), not_ours) == []


# --------------------------------------------------------------------------------------------
# --help and the usage errors

# Values that options take are names: --lang {en,zh}, --scenario slow.
OPTION_VALUES = {"{en,zh}", "'en', 'zh'", "en, zh", *explain.SCENARIOS}  # 3.12+: no quotes


def said_by_parse_args(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        smtp_observer.parse_args(list(argv))
    out, err = capsys.readouterr()
    return done.value.code, out + err


def test_help_writes_no_english(capsys):
    code, text = said_by_parse_args(capsys, "--lang", "zh", "--help")
    assert code == 0 and text.startswith("用法：smtp_observer.py [-h]")
    assert "\n选项：\n" in text and "显示本帮助信息并退出" in text
    # The example command lines are commands, not prose.
    commands = set(re.findall(r"py [-\w. ]+?(?=\s{2}|$)", text, re.M))
    found = leaks(text, commands | OPTION_VALUES)
    assert found == [], "\n".join(map(str, found))


@pytest.mark.parametrize("argv, said", [
    (["--port", "abc"], "错误：参数 --port：'abc' 不是有效的整数"),
    (["--lang", "zh", "--lang", "fr"], None),
    (["--scenario", "fast"], "错误：参数 --scenario：无效的取值 'fast'（可选："),
    (["--port"], "错误：参数 --port：需要一个值"),
    (["--lang"], "错误：参数 --lang：需要一个值"),
    (["extra"], "错误：无法识别的参数：extra"),
    (["--po", "25"], "错误：有歧义的选项：--po 可能是 --port, --pop3-port"),
    (["--no-gui=yes"], "错误：参数 --no-gui：此选项不带值，却给了 'yes'"),
    (["--port", "70000"], "错误：--port 必须在 0 到 65535 之间"),
    (["--tls-cert", "a.pem"], "错误：--tls-cert 和 --tls-key 必须一起使用"),
    (["--delay", "-1"], "错误：--delay 不能是负数"),
    (["--no-gui", "--jsonl-passwords"], "错误：--jsonl-passwords 只能与 --jsonl 一起使用"),
    (["--timeout", "0"], "错误：--max-size 和 --timeout 必须是正数"),
], ids=str)
def test_usage_errors_are_chinese(capsys, monkeypatch, argv, said):
    monkeypatch.setattr(smtp_observer.explain, "detect_language", lambda: "zh")
    code, text = said_by_parse_args(capsys, *argv)
    assert code == 2 and text.startswith("用法：smtp_observer.py [-h]")
    assert "usage" not in text and "error" not in text
    if said is not None:
        assert "smtp_observer.py：" + said in text
    typed = {word for value in argv for word in WORD.findall(value)}  # the user's own words
    assert [line for line, found in leaks(text, OPTION_VALUES) if set(found) - typed] == []


def test_every_option_and_argparse_word_has_both_languages():
    tables = [*smtp_observer.OPTION_HELP.values(), *command_line.ARGPARSE_WORDS.values(),
              *(text for _, text in command_line.ARGPARSE_ERRORS)]
    for text in tables:
        assert text.en and re.search(r"[\u4e00-\u9fff]", text.zh), text
        assert sample_values(text.en).keys() == sample_values(text.zh).keys(), text
    for pattern, text in command_line.ARGPARSE_ERRORS:  # each pattern reads its English back
        assert pattern.fullmatch(text.en.format_map(sample_values(text.en))), text.en
    parser_options = {name for name in re.findall(r"--[\w-]+", said_help("en")) if name != "--help"}
    assert parser_options == set(smtp_observer.OPTION_HELP)


def said_help(lang: str) -> str:
    with pytest.raises(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:
        smtp_observer.parse_args(["--lang", lang, "--help"])
    return out.getvalue()


def test_the_usage_lines_line_up_under_the_chinese_prefix():
    first, second = said_help("zh").splitlines()[:2]
    assert first.startswith("用法：smtp_observer.py [-h]") and second.lstrip().startswith("[")
    assert command_line.columns("用法：smtp_observer.py ") == len(second) - len(second.lstrip())


def test_help_wraps_chinese_by_the_columns_it_takes():
    lines = said_help("zh").splitlines()
    assert max(map(command_line.columns, lines)) <= 80
    assert command_line.wrap("监听的端口（默认 25，25 不可用时用 2525）", 20) == [
        "监听的端口（默认", "25，25 不可用时用", "2525）"]


def test_the_decoders_command_line_writes_no_english(capsys, tmp_path):
    """python decoder.py FILE --lang zh, as the README shows it, and its --help and errors."""
    with pytest.raises(SystemExit) as done:
        decoder.main(["--lang", "zh", "--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("用法：decoder.py") and "\n位置参数：\n" in help_text
    assert leaks(help_text, {"{en,zh}"}) == []
    saved = tmp_path / "mail.eml"
    saved.write_bytes(MESSAGE.replace(b"\r\n..", b"\r\n."))
    assert decoder.main([str(saved), "--lang", "zh"]) == 0
    report_text = capsys.readouterr().out
    assert "实验报告" in report_text and "这是正文。" in report_text
    found = leaks(report_text, {line for line in MESSAGE.decode("gb18030").splitlines()
                                if len(line) > 3})
    assert found == [], "\n".join(map(str, found))
    assert decoder.main([str(tmp_path / "none.eml"), "--lang", "zh"]) == 2
    assert capsys.readouterr().err.startswith("decoder.py：无法读取 ")
    with pytest.raises(SystemExit) as done:
        decoder.main(["--lang", "zh"])
    said = capsys.readouterr().err
    assert done.value.code == 2 and "decoder.py：错误：缺少以下参数：FILE" in said


# --------------------------------------------------------------------------------------------
# What goes wrong: the server's own errors and why it cannot start

def test_a_server_error_is_said_in_chinese_everywhere():
    error = events.ServerError(session=1, time=0.0, kind=events.RemarkKind.COMMAND_FAILED,
                               values={"error": "KeyError: 'x'", "line": "MAIL FROM:<a@b.cn>"})
    said = "\n".join([*smtp_observer.transcript_lines(error, "zh"),
                      *(line.text for line in gui.dialogue_lines(error, ZH)),
                      report.session_text([error], lang="zh")])
    assert "服务器处理命令 MAIL FROM:<a@b.cn> 时内部出错：KeyError: 'x'" in said
    assert leaks(said, {"KeyError: 'x'", "MAIL FROM:<a@b.cn>"}) == []
    assert error.to_json()["kind"] == "command-failed"
    assert error.to_json()["text"] == "the server failed on the command MAIL FROM:<a@b.cn>: " \
                                      "KeyError: 'x'"


@pytest.mark.parametrize("problem", ["missing certificate", "not a certificate", "file as folder"])
def test_why_the_observer_cannot_start_is_chinese(tmp_path, problem):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("x")
    argv = {"missing certificate": ["--tls-cert", str(tmp_path / "none.pem"),
                                    "--tls-key", str(tmp_path / "none.pem")],
            "not a certificate": ["--tls-cert", str(not_pem), "--tls-key", str(not_pem)],
            "file as folder": ["--report", str(not_pem / "reports")]}[problem]
    done = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--lang", "zh",
                           "--no-gui", "--port", "0", "--no-pop3", *argv],
                          capture_output=True, timeout=30,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})  # any code page
    said = done.stderr.decode("utf-8")
    assert done.returncode == 2 and said.startswith("smtp_observer：无法"), said
    assert "Traceback" not in said
    assert leaks(said.replace(str(tmp_path), " "), {"[SSL] PEM lib"}) == []


def test_file_errors_are_named_in_both_languages():
    note = words.os_error(FileNotFoundError(2, "No such file or directory"))
    assert (words.note_text(note, "zh"), words.note_text(note, "en")) == (
        "文件或文件夹不存在", "no such file or folder")
    assert words.os_error(OSError(5, "Input/output error")) == "Input/output error"


# --- The email package's defects, in the reader's words ------------------------------------

def _defect_classes() -> list[type]:
    return sorted((cls for cls in vars(email.errors).values()
                   if isinstance(cls, type) and issubclass(cls, email.errors.MessageDefect)),
                  key=lambda cls: cls.__name__)


@pytest.mark.parametrize("cls", _defect_classes(), ids=lambda cls: cls.__name__)
def test_every_email_defect_reads_in_plain_words_in_both_languages(cls):
    """Every defect class of email.errors gets our words, not the library's English prose nor
    its class name; the name stays in the note's values (JSON Lines), to look it up."""
    prose = "the library says something in english here"
    note = decoder._readable_defect(cls(prose))
    chinese, english = words.note_text(note, "zh"), words.note_text(note, "en")
    assert english_words(chinese) == [], chinese
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert cls.__name__ not in chinese + english
    assert note.to_json()["values"] == {"name": cls.__name__}
    assert "library says" not in chinese + english


def test_an_unknown_defect_class_falls_back_to_a_generic_sentence():
    class FutureDefect(email.errors.MessageDefect):
        pass

    note = decoder._readable_defect(FutureDefect("a sentence a newer Python may write"))
    assert words.note_text(note, "zh") == "email 包在邮件的结构中发现了问题"
    assert words.note_text(note, "en") == (
        "the email package found a problem in the message's structure")
    assert note.to_json()["values"] == {"name": "FutureDefect"}


def test_a_from_written_as_one_encoded_word_is_explained_in_chinese():
    """Python's email package (smtplib's send_message) encodes From: 学生 <student@example.com>
    as one RFC 2047 word: the parser finds no domain; the student reads why, in Chinese."""
    message = email.message.Message()
    message["From"] = "学生 <student@example.com>"
    message["To"] = "teacher@example.com"
    message["Subject"] = "实验"
    message.set_payload("你好", "utf-8")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib sends it
    assert b"From: =?utf-8?" in raw  # the whole field, address and all, is one encoded word
    texts = decoder.decode(raw).remark_texts("zh")
    from_texts = [text for text in texts if "From" in text]
    assert from_texts == ["首部 From：地址没有“@域名”部分：可能整个字段被写成了一个 "
                          "RFC 2047 编码字（Python 的 email 包遇到非 ASCII 的名字时就会这样），"
                          "地址因此藏在了编码里。"], texts
    assert all(english_words(text) == [] for text in texts), texts


def test_control_characters_in_a_header_are_explained_in_chinese():
    raw = (b"From: a\x01b <a@example.com>\r\nTo: b@example.com\r\nSubject: x\r\n"
           b"Date: Tue, 1 Dec 2026 17:30:00 +0800\r\nMessage-ID: <1@example.com>\r\n\r\nhi\r\n")
    texts = decoder.decode(raw).remark_texts("zh")
    assert any("含有控制字符" in text for text in texts), texts
    assert all("Defect" not in text for text in texts), texts
    assert all("non-printables" not in text for text in texts), texts


def test_a_boundary_that_never_appears_is_said_in_words_and_named_only_in_json_lines():
    raw = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n"
           b"Date: Tue, 1 Dec 2026 17:30:00 +0800\r\nMessage-ID: <1@example.com>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zzz\"\r\n\r\n"
           b"--other\r\nContent-Type: text/plain\r\n\r\nhi\r\n--other--\r\n")
    result = decoder.decode(raw)
    texts = result.remark_texts("zh")
    assert any(text.endswith("它的边界行从未出现，因此整体作为一块。") for text in texts), texts
    assert all(english_words(text) == [] and "Defect" not in text for text in texts), texts
    remarks = result.to_json()["remarks"]
    assert '"name": "StartBoundaryNotFoundDefect"' in json.dumps(remarks)  # to look it up
    assert all("Defect" not in remark["text"] for remark in remarks), remarks


def html_mail_with_pictures(*, inline_photo: bool) -> events.MessageReceived:
    """An HTML mail whose <img> has no alt text (Outlook's pasted pictures), maybe followed
    by a photo shown where it stands (the window's other way of laying out the body)."""
    html_part = ("Content-Type: text/html; charset=utf-8\r\n\r\n"
                 '<p>老师好：<img src="cid:image001.png@01DA">见图。</p>\r\n').encode("utf-8")
    if inline_photo:
        from messages import sample_picture

        photo = base64.b64encode(sample_picture("PNG", (4, 4))).decode("ascii")
        body = (b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n' + html_part
                + b"--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n"
                  b"Content-Transfer-Encoding: base64\r\n\r\n" + photo.encode("ascii")
                + b"\r\n--b--\r\n")
    else:
        body = html_part
    raw = (f"From: 学生 <a@example.com>\r\nSubject: {SUBJECT}\r\nMIME-Version: 1.0\r\n"
           ).encode("utf-8") + body
    envelope = events.Envelope("a@example.com", ("b@example.com",))
    return events.MessageReceived(
        session=1, time=0.0, number=1, envelope=envelope, raw=raw, complete=True, accepted=True, reason=None, decoded=decoder.decode(raw))


@pytest.mark.parametrize("inline_photo", [False, True], ids=["text", "text-and-photo"])
def test_a_picture_without_alt_text_is_named_in_chinese_in_the_window_and_reports(inline_photo):
    message = html_mail_with_pictures(inline_photo=inline_photo)
    assert [piece.kind for piece in message.decoded.body] == (
        ["html", "picture"] if inline_photo else ["html"])
    shown = {
        "window": "".join(chars for chars, _ in gui_mail.body_segments(message, ZH)),
        "report": report.session_text([message], lang="zh"),
        "page": html.unescape(report.session_html([message], lang="zh")),
        "decoder": decoder.format_report(message.decoded, "zh"),
    }
    for where, text in shown.items():
        assert "老师好：［图片］见图。" in text, where
        assert "\ufffc" not in text and "[image]" not in text and "[picture]" not in text, where
