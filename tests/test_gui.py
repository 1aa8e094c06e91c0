"""gui.py: the pure formatters without a display, then the real window under a private Xvfb,
fed by fake events and by the real server (smtplib, swaks), and a screenshot."""

from __future__ import annotations

import base64
import ctypes
import hashlib
import io
import os
import queue
import socket
import string
import subprocess
import sys
import threading
import tkinter as tk
import weakref
from pathlib import Path
from tkinter import font as tkfont

import pytest
from conftest import require_program, running_under_wine
from gui_fixtures import (dialogue_lines, feed, grab_window, observed_window, pictures_fitted,
                          pictures_shown, pump_until, send, show_seed_message, tagged, text_of,
                          wait_until)
from PIL import Image, ImageStat

import decoder
from events import Note, RemarkKind
import events
import explain
import gui
import gui_widgets
import gui_mail
import html_page
import messages
import smtp_observer as so

pytest_plugins = ["gui_plugin"]  # the fixtures xdisplay, root, events and window

T0 = 1_764_553_800.0  # 2025-12-01 01:50 UTC; the tests compare clocks via gui.format_clock
TOO_LARGE = Note(RemarkKind.MESSAGE_TOO_BIG, {"size": 20000, "limit": 10240})
PORT_25_DENIED = Note(RemarkKind.PORT_UNUSABLE, {"port": 25, "cause": Note(RemarkKind.BIND_DENIED)})
EN = gui.LABELS["en"]

# --------------------------------------------------------------------------------------------
# Events and decoded messages, built by hand


def command(line: str, session: int = 1) -> so.CommandReceived:
    return so.CommandReceived(session=session, time=T0, line=line)


def reply(code: int, *lines: str, session: int = 1) -> so.ReplySent:
    return so.ReplySent(session=session, time=T0, code=code, lines=lines, state="greeted")


def listening(fallback_reason: Note | None = None, port: int = 2525,
              host: str = "127.0.0.1") -> so.Listening:
    return so.Listening(session=0, time=T0, host=host, port=port, requested_port=None,
                        fallback_reason=fallback_reason, hostname="observer.test")


def attachment(filename: str, content_type: str, data: bytes,
               image: decoder.ImageInfo | None = None) -> decoder.Attachment:
    return decoder.Attachment(filename=filename, content_type=content_type, content_id=None,
                              disposition="attachment", data=data, size=len(data),
                              sha256=hashlib.sha256(data).hexdigest(), image=image, part="1.2")


def picture_attachment(size: tuple[int, int] = (1000, 750)) -> decoder.Attachment:
    data = messages.sample_picture("PNG", size)
    return attachment("campus.png", "image/png", data, decoder.ImageInfo("PNG", *size))


def message(decoded: decoder.DecodedMessage | None, *, raw: bytes = b"Subject: x\r\n\r\nhi\r\n",
            number: int = 1, accepted: bool = True, complete: bool = True,
            reason: str | None = None) -> so.MessageReceived:
    return so.MessageReceived(
        session=1, time=T0, number=number,
        envelope=so.Envelope("student@example.com", ("teacher@example.com",)), raw=raw,
        complete=complete, accepted=accepted, reason=reason, decoded=decoded)


def decoded_message(**fields) -> decoder.DecodedMessage:
    defaults = {"subject": "实验报告", "from_": "张三 <zhangsan@example.edu.cn>",
                "to": "teacher@example.edu.cn", "date": "Mon, 1 Dec 2025 09:30:00 +0800",
                "text": "老师您好：\n这是正文。\n"}
    return decoder.DecodedMessage(**{**defaults, **fields})


# --------------------------------------------------------------------------------------------
# Pure formatting: no display needed


@pytest.mark.parametrize(("size", "shown"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"),
                                             (256 * 1024, "256.0 KB"),
                                             (20 * 1024 * 1024 + 300_000, "20.3 MB")])
def test_format_size(size, shown):
    assert gui.format_size(size) == shown


def test_display_text_uses_lf_and_splits_lines_longer_than_998_chars():
    long_line = "A" * 2500
    shown = gui.display_text(f"Subject: x\r\n{long_line}\r\nend\rCR")
    lines = shown.split("\n")
    assert lines[0] == "Subject: x"
    assert lines[1:4] == ["A" * 998, gui_widgets.CONTINUATION_MARK + "A" * 998,
                          gui_widgets.CONTINUATION_MARK + "A" * 504]
    assert lines[4:] == ["end", "CR"]
    assert "\r" not in shown


def test_raw_chunks_end_at_line_ends_and_cover_every_byte():
    raw = b"".join(b"line %05d\r\n" % n for n in range(5000)) + b"X" * 300 + b"\r\n" + b"Y" * 900
    chunks = list(gui_mail.raw_chunks(raw, size=1000))
    assert b"".join(chunks) == raw
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])


def test_raw_chunks_cut_a_line_without_line_ends():
    assert list(gui_mail.raw_chunks(b"Z" * 2500, size=1000)) == [b"Z" * 1000, b"Z" * 1000, b"Z" * 500]


def test_raw_display_text_shows_bytes_that_are_not_utf8_as_escapes():
    assert gui_mail.raw_display_text("中文 ".encode() + b"\xd6\xd0\r\n") == "中文 \\xd6\\xd0\n"


@pytest.mark.parametrize(("code", "lines", "wire"), [
    (250, ("observer.test", "SIZE 10485760", "HELP"),
     ["S: 250-observer.test", "S: 250-SIZE 10485760", "S: 250 HELP"]),
    (221, ("Bye",), ["S: 221 Bye"]),
    (354, (), ["S: 354"]),
])
def test_reply_wire_lines_look_like_the_wire(code, lines, wire):
    reply = events.ReplySent(session=1, time=T0, code=code, lines=lines, state="greeted")
    assert gui.reply_wire_lines(reply, gui.LABELS["en"]) == wire


@pytest.mark.parametrize(("fields", "wire"), [
    ({"status": "+OK", "text": "2 320", "lines": None}, ["S: +OK 2 320"]),
    ({"status": "+OK", "text": "Capability list follows", "lines": ("TOP", ".odd")},
     ["S: +OK Capability list follows", "S: TOP", "S: ..odd", "S: ."]),
    ({"status": "+OK", "text": "0 messages", "lines": ()}, ["S: +OK 0 messages", "S: ."]),
    ({"status": "+", "text": "", "lines": None}, ["S: + "]),
    ({"status": "+OK", "text": "120 octets", "lines": None, "body_size": 120,
      "message_number": 3}, ["S: +OK 120 octets", "S: <message 3: 120 B, dot-stuffed>", "S: ."]),
])
def test_pop3_responses_look_like_the_wire(fields, wire):
    reply = events.POP3Reply(session=1, time=T0, state="transaction", **fields)
    assert gui.reply_wire_lines(reply, gui.LABELS["en"]) == wire


def test_dialogue_lines_prefix_tag_and_time_each_event():
    clock = gui.format_clock(T0)
    ehlo = gui.dialogue_lines(reply(250, "observer.test", "HELP"), EN)
    assert ehlo == [gui.DialogueLine(clock, "S: 250-observer.test", gui.TAG_SERVER),
                    gui.DialogueLine(" " * len(clock), "S: 250 HELP", gui.TAG_SERVER)]
    assert gui.dialogue_lines(command("MAIL FROM:<a@b>"), EN) == [
        gui.DialogueLine(clock, "C: MAIL FROM:<a@b>", gui.TAG_CLIENT)]
    remark = so.Remark(session=1, time=T0, kind=so.RemarkKind.AUTH_DECODED,
                       values={"mechanism": "PLAIN", "user": "student", "masked": "***",
                               "length": 3}, secret="abc")
    (line,) = gui.dialogue_lines(remark, EN)
    assert line.tag == gui.TAG_REMARK and line.text.startswith("AUTH PLAIN decoded: user")
    assert gui.dialogue_lines(remark, gui.LABELS["zh"])[0].text.startswith("AUTH PLAIN 解码结果")
    connect = so.Connected(session=3, time=T0, peer="127.0.0.1:50000")
    assert gui.dialogue_lines(connect, EN)[0].text == "Connection #3 from 127.0.0.1:50000"
    error = so.ServerError(session=0, time=T0, kind=so.RemarkKind.SERVER_FAILED,
                           values={"error": "boom"})
    assert gui.dialogue_lines(error, EN)[0] == gui.DialogueLine(clock, "Error: the server failed: boom",
                                                                gui.TAG_ERROR)


def test_dialogue_lines_of_data_message_and_disconnect():
    data = so.DataReceived(session=1, time=T0, size=2048, complete=False)
    assert gui.dialogue_lines(data, EN)[0].text == (
        "Message data incomplete: 2.0 KB before the connection ended")
    refused = message(None, raw=b"x" * 10, accepted=False, reason=TOO_LARGE)
    assert gui.dialogue_lines(refused, EN)[0].text == (
        "Message #1 (10 B): refused: Message too big: 20,000 octets, the limit is 10,240; the "
        "data was read and discarded")
    gone = so.Disconnected(session=2, time=T0, reason=so.DisconnectReason.QUIT)
    assert gui.dialogue_lines(gone, EN)[0].text == "Connection #2 closed (quit)"
    assert gui.dialogue_lines(gone, gui.LABELS["zh"])[0].text == "连接 #2 已关闭（QUIT 正常结束）"


def test_an_unknown_event_is_shown_not_dropped():
    class Starttls(so.ServerEvent):  # an event a newer server might send
        event = "starttls"

    line, = gui.dialogue_lines(Starttls(session=1, time=T0), EN)
    assert (line.text, line.tag) == ("Unknown event from the server: starttls", gui.TAG_ERROR)


def test_body_segments_put_headers_envelope_and_notes_above_the_text_and_remarks_below():
    ev = message(decoded_message(remarks=[Note(RemarkKind.BASE64_REPAIRED)]))
    segments = gui_mail.body_segments(ev, EN)
    text = "".join(chars for chars, _tag in segments)
    assert text.startswith("Subject: 实验报告    Date: Mon, 1 Dec 2025 09:30:00 +0800\n"
                           "From: 张三 <zhangsan@example.edu.cn>    To: teacher@example.edu.cn\n")
    assert ("Envelope: MAIL FROM <student@example.com> → RCPT TO <teacher@example.com>\n"
            in text)
    assert ("• Decoder: bad base64 padding or length (cut off?), repaired\n",
            gui.TAG_NOTE) in segments
    chinese = gui_mail.body_segments(ev, gui.LABELS["zh"])
    assert any(chars.startswith("• ") and "base64 的填充或长度有误" in chars
               for chars, _tag in chinese)
    # The mail's text first, the decoder's remarks after it.
    assert text.index("老师您好：\n这是正文。\n") < text.index("• Decoder: bad base64")
    assert text.endswith("• Decoder: bad base64 padding or length (cut off?), repaired\n")
    assert ("Subject: ", gui.TAG_HEADER_NAME) in segments


def test_body_segments_explain_undecodable_refused_and_html_only_messages():
    undecodable = gui_mail.body_segments(message(None, accepted=False, reason=TOO_LARGE), EN)
    notes = [chars for chars, tag in undecodable if tag == gui.TAG_NOTE]
    assert notes == ["• The server refused this message: Message too big: 20,000 octets, the "
                     "limit is 10,240; the data was read and discarded\n",
                     "• " + EN["undecodable"] + "\n"]
    html_only = message(decoded_message(text="Hello", html="<p>Hello</p>", text_from_html=True))
    assert ("• " + EN["body_from_html"] + "\n", gui.TAG_NOTE) in gui_mail.body_segments(html_only, EN)


def test_body_text_is_limited_to_256_kib():
    ev = message(decoded_message(text="x" * (gui_mail.BODY_VIEW_LIMIT + 10)))
    *_, (shown, _), (note, tag) = gui_mail.body_segments(ev, EN)
    assert shown.replace("\n", "").replace(gui_widgets.CONTINUATION_MARK, "") == "x" * gui_mail.BODY_VIEW_LIMIT
    assert (note, tag) == ("\n" + EN["body_truncated"].format(count=10), gui.TAG_NOTE)


def test_attachment_caption_has_name_type_size_and_dimensions():
    assert gui_mail.attachment_caption(picture_attachment((40, 30))).startswith("campus.png · image/png")
    assert gui_mail.attachment_caption(picture_attachment((40, 30))).endswith(" · 40×30")
    report = attachment("报告.pdf", "application/pdf", b"%PDF" * 512)
    assert gui_mail.attachment_caption(report) == "报告.pdf · application/pdf · 2.0 KB"
    assert not gui_mail.is_picture(report)
    assert gui_mail.is_picture(attachment("broken.png", "image/png", b"not a png"))


@pytest.mark.parametrize(("name", "safe"), [("校园风景.jpg", "校园风景.jpg"),
                                            ('..\\evil/"a":b?.exe', "_evil__a__b_.exe"),
                                            ("", "fallback"), (" . ", "fallback")])
def test_safe_filename(name, safe):
    assert gui_mail.safe_filename(name, fallback="fallback") == safe


def test_fit_box_stays_between_the_minimum_and_the_cap():
    assert gui_mail.fit_box((800, 600), (500, 1000)) == (500, 600)
    assert gui_mail.fit_box((800, 600), (5000, 5000)) == (800, 600)
    assert gui_mail.fit_box((400, 300), (10, 10)) == gui_mail.THUMBNAIL_MIN


@pytest.mark.parametrize(("variable", "value", "language"), [
    ("LANG", "zh_CN.UTF-8", "zh"), ("LANG", "zh_TW.Big5", "zh"), ("LANG", "en_GB.UTF-8", "en"),
    ("LC_ALL", "zh_CN.GB18030", "zh"),
])
def test_detect_language_from_the_posix_locale(monkeypatch, variable, value, language):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv(variable, value)
    assert gui.detect_language() == language


@pytest.mark.parametrize(("lang_id", "language"), [(0x0804, "zh"), (0x0404, "zh"),
                                                   (0x0409, "en")])
def test_detect_language_asks_windows_for_its_ui_language(monkeypatch, lang_id, language):
    class Kernel32:
        @staticmethod
        def GetUserDefaultUILanguage() -> int:  # noqa: N802 (the Windows API's name)
            return lang_id

    class WinDLL:
        kernel32 = Kernel32()

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", WinDLL(), raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8" if language == "zh" else "zh_CN.UTF-8")
    assert gui.detect_language() == language


def test_locale_names_of_windows_count_as_chinese():
    assert explain.language_from_locale_name("Chinese (Simplified)_China") == "zh"
    assert explain.language_from_locale_name("English_United States") == "en"


def test_pick_font_family_prefers_the_first_installed_one():
    installed = ["DejaVu Sans", "wenquanyi micro hei", "Noto Sans CJK SC"]
    assert gui.pick_font_family(installed, gui.UI_FONTS["linux"]) == "Noto Sans CJK SC"
    assert gui.pick_font_family(installed[:2], gui.UI_FONTS["linux"]) == "wenquanyi micro hei"
    assert gui.pick_font_family(["Arial"], gui.UI_FONTS["win32"]) is None


def test_both_languages_have_the_same_labels_and_placeholders():
    def placeholders(labels):
        return {key: sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)
                for key, text in labels.items()}

    assert placeholders(gui.LABELS["zh"]) == placeholders(gui.LABELS["en"])
    assert gui.LABELS["zh"]["dialogue"] == "SMTP服务器工作日志"  # the seed's names
    assert (gui.LABELS["zh"]["raw"], gui.LABELS["zh"]["body"], gui.LABELS["zh"]["attachments"]) \
        == ("接收的邮件内容", "正文", "附件")


# --------------------------------------------------------------------------------------------
# The real window


def test_dialogue_shows_the_exchange_in_order_client_and_server_in_their_colours(window, events):
    feed(window, events, listening(port=2525),
         so.Connected(session=1, time=T0, peer="127.0.0.1:50000"),
         reply(220, "observer.test ESMTP SMTP Observer"), command("EHLO lab-pc"),
         reply(250, "observer.test", "SIZE 10485760", "HELP"),
         so.Remark(session=1, time=T0, kind=so.RemarkKind.BARE_LF_DATA, values={"count": 1}),
         command("QUIT"),
         reply(221, "Bye"), so.Disconnected(session=1, time=T0, reason="quit"))
    assert dialogue_lines(window) == [
        "Listening on 127.0.0.1:2525 as observer.test", "Connection #1 from 127.0.0.1:50000",
        "S: 220 observer.test ESMTP SMTP Observer", "C: EHLO lab-pc",
        "S: 250-observer.test", "S: 250-SIZE 10485760", "S: 250 HELP",
        "The message has 1 bare LF line end(s); SMTP wants CRLF. A bare LF.LF does not end the "
        "data: only CRLF.CRLF does.", "C: QUIT", "S: 221 Bye", "Connection #1 closed (quit)"]
    shown = text_of(window.dialogue_text).splitlines()
    assert shown[0] == (gui.format_clock(T0) + " " * 11
                        + "Listening on 127.0.0.1:2525 as observer.test")
    assert shown[3] == gui.format_clock(T0) + "   +0.000  C: EHLO lab-pc"  # since the connect
    text = window.dialogue_text
    assert tagged(text, gui.TAG_CLIENT) == ["C: EHLO lab-pc", "C: QUIT"]
    assert [line[:36] for line in tagged(text, gui.TAG_REMARK)] == [
        "The message has 1 bare LF line end(s)"[:36]]
    assert text.tag_cget(gui.TAG_CLIENT, "foreground") != text.tag_cget(gui.TAG_SERVER,
                                                                        "foreground")
    assert window.counts_label.cget("text") == "Connections: 1   Commands: 2   Messages: 0"
    assert window.connection_label.cget("text") == EN["status_idle"]
    assert str(text.cget("state")) == "disabled"


def test_connection_state_and_address_in_the_status_bar(window, events):
    feed(window, events, listening(port=2626),
         so.Connected(session=1, time=T0, peer="10.0.0.7:51000"))
    assert window.address_label.cget("text") == "Listening on 127.0.0.1:2626"
    assert window.connection_label.cget("text") == "Client 10.0.0.7:51000 connected"
    assert window.root.title() == "SMTP Observer — listening on 127.0.0.1:2626"
    assert not window.fallback_banner.winfo_ismapped()


def test_the_port_25_fallback_is_shown_in_a_banner_and_the_title(window, events):
    feed(window, events, listening(fallback_reason=PORT_25_DENIED))
    assert window.fallback_banner.winfo_ismapped()
    assert "permission denied" in window.fallback_banner.cget("text")
    assert "2525" in window.fallback_banner.cget("text")
    assert window.root.title() == (
        "SMTP Observer — listening on 127.0.0.1:2525 (port 25 unavailable)")


def test_listening_on_every_interface_is_a_warning_banner(window, events):
    feed(window, events, listening(host="0.0.0.0", port=2626))
    assert window.fallback_banner.winfo_ismapped()
    assert window.fallback_banner.cget("text") == EN["every_interface_banner"]


def test_one_pump_handles_a_bounded_batch(window, events):
    for n in range(10_000):
        events.put(command(f"NOOP {n}"))
    assert window.pump() == gui.MAX_EVENTS_PER_POLL
    assert window.pump(max_events=10) == 10
    assert events.qsize() == 10_000 - gui.MAX_EVENTS_PER_POLL - 10


def test_the_after_loop_drains_a_flood_of_events(root, events):
    window = gui.ObserverWindow(root, events)  # polls with after() by itself
    try:
        for n in range(3_000):
            events.put(command(f"NOOP {n}"))
        assert wait_until(root, lambda: events.empty(), timeout=10)
        root.update()
        assert dialogue_lines(window)[-1] == "C: NOOP 2999"
    finally:
        window.shutdown()


def test_the_dialogue_follows_new_lines_unless_scrolled_up(window, events):
    text = window.dialogue_text

    def newest_line_in_view() -> bool:
        return bool(text.bbox("end-1c"))

    feed(window, events, *[command(f"NOOP {n}") for n in range(200)])
    assert newest_line_in_view()
    text.yview_moveto(0)  # what dragging the scrollbar up does
    window.root.update()
    feed(window, events, command("NOOP after scrolling up"))
    assert text.yview()[0] == 0.0 and not newest_line_in_view()
    text.yview_moveto(1.0)
    window.root.update()
    feed(window, events, *[command(f"RSET {n}") for n in range(50)])
    assert newest_line_in_view()


def test_a_message_shows_body_headers_and_its_picture_scaled_to_fit(window, events):
    picture = picture_attachment((1000, 750))
    pdf = attachment("报告.pdf", "application/pdf", b"%PDF-1.4" * 100)
    raw = b"Subject: =?gb2312?B?yrXR6bGouOY=?=\r\n\r\nbody\r\n"
    feed(window, events, message(decoded_message(attachments=[picture, pdf]), raw=raw))
    body = text_of(window.message_pane.body_text)
    assert body.startswith("Subject: 实验报告    Date: Mon, 1 Dec 2025 09:30:00 +0800\n"
                           "From: 张三 <zhangsan@example.edu.cn>    To: ")
    assert "老师您好：\n这是正文。" in body
    assert text_of(window.message_pane.raw_text) == "Subject: =?gb2312?B?yrXR6bGouOY=?=\n\nbody\n"
    assert window.message_pane.raw_info_label.cget("text") == "44 B"
    assert not window.message_pane.show_all_button.winfo_ismapped()
    assert window.message_list.item(window.message_list.get_children()[0], "values")[1:] == (
        gui.format_clock(T0), "张三 <zhangsan@example.edu.cn>", "实验报告", "44 B", "accepted")
    assert str(window.message_pane.save_message_button.cget("state")) == "normal"
    assert str(window.message_pane.open_html_button.cget("state")) == "disabled"

    assert pump_until(window, lambda: pictures_fitted(window))  # to the area's settled size
    picture_card, pdf_card = window.message_pane.attachment_cards
    photo = picture_card.photo
    area = window.message_pane.attachment_area.canvas
    assert photo.width() <= min(area.winfo_width(), 800)
    assert photo.height() <= min(area.winfo_height(), 600)
    assert abs(photo.width() / photo.height() - 1000 / 750) < 0.02  # aspect kept
    assert picture_card.picture.cget("image") == (str(photo),)
    assert picture_card.caption.cget("text") == "campus.png · image/png · " + \
        gui.format_size(picture.size) + " · 1000×750"
    assert pdf_card.picture is None
    assert pdf_card.caption.cget("text") == "报告.pdf · application/pdf · 800 B"
    assert window.message_pane.attachments_box.cget("text") == "Attachments (2)"


def test_pictures_are_fitted_again_when_a_sash_is_dragged(window, events):
    feed(window, events, message(decoded_message(attachments=[picture_attachment((1000, 750))])))
    assert pump_until(window, lambda: pictures_fitted(window))
    card, = window.message_pane.attachment_cards
    area = window.message_pane.attachment_area.canvas

    # The area beside the body made wider (the body keeps a quarter): the picture is fitted
    # to the area's width, and it grows with it.
    first, first_width = card.photo, area.winfo_width()
    body_and_area = window.message_pane.frame
    body_and_area.sashpos(0, body_and_area.winfo_width() // 4)
    assert pump_until(window, lambda: area.winfo_width() > first_width
                      and card.photo is not first and pictures_fitted(window))
    wider = card.photo
    assert wider.width() > first.width()
    assert wider.width() <= area.winfo_width() and wider.height() <= area.winfo_height()

    # The right column made narrower than the picture now is: it shrinks to the area's width,
    # never below THUMBNAIL_MIN (a pane narrower than that scrolls instead).
    panes, wider_width = window.panes, area.winfo_width()
    around_area = panes.winfo_width() - panes.sashpos(0) - wider_width
    narrower = max(wider.width() // 2, gui_mail.THUMBNAIL_MIN[0] + 40)
    panes.sashpos(0, panes.winfo_width() - around_area - narrower)
    assert pump_until(window, lambda: area.winfo_width() < wider_width
                      and card.photo is not wider and pictures_fitted(window))
    assert card.photo.width() < wider.width()
    assert card.photo.width() <= max(area.winfo_width(), gui_mail.THUMBNAIL_MIN[0])
    assert abs(card.photo.width() / card.photo.height() - 1000 / 750) < 0.02


def test_the_mouse_wheel_scrolls_the_attachment_area(window, events):
    pictures = [picture_attachment((400, 300)) for _ in range(12)]
    feed(window, events, message(decoded_message(attachments=pictures)))
    # Until the area has its final size (the body gives it its share once it is laid
    # out), the pictures are fitted again and the cards move under the pointer.
    assert pump_until(window, lambda: pictures_fitted(window))
    area = window.message_pane.attachment_area.canvas
    inner = window.message_pane.attachment_area.inner
    assert wait_until(window.root, lambda: inner.winfo_height() > area.winfo_height())  # it scrolls
    turn_wheel(window.message_pane.attachment_cards[0].caption, down=True)
    assert wait_until(window.root, lambda: area.yview()[0] > 0)
    turn_wheel(window.message_pane.body_text, down=False)
    window.root.update()
    assert area.yview()[0] > 0  # the wheel over another pane leaves it alone


def turn_wheel(widget: tk.Widget, *, down: bool) -> None:
    """The mouse wheel turned with the pointer over ``widget``, as each system reports it."""
    where = {"rootx": widget.winfo_rootx() + 5, "rooty": widget.winfo_rooty() + 5, "x": 5, "y": 5}
    if sys.platform == "win32":
        widget.focus_force()  # Win32 Tk hands a wheel event, like a key, to the focus
        widget.event_generate("<MouseWheel>", delta=-120 if down else 120, **where)
    else:
        widget.event_generate("<Button-5>" if down else "<Button-4>", **where)  # X11's wheel


def test_problems_are_shown_in_the_window(window, events):
    broken = attachment("broken.png", "image/png", b"\x89PNG not really")
    feed(window, events, message(decoded_message(attachments=[broken],
                                                 remarks=[Note(RemarkKind.BASE64_SKIPPED)])))
    assert "• Decoder: characters outside the base64 alphabet" in text_of(window.message_pane.body_text)
    card, = window.message_pane.attachment_cards
    assert card.picture.cget("text") == EN["image_unreadable"]
    item = window.message_list.get_children()[0]
    assert window.message_list.item(item, "tags") == ("problem",)

    feed(window, events, message(None, number=2, raw=b"\xff\xfe garbage"))
    assert EN["undecodable"] in text_of(window.message_pane.body_text)
    assert text_of(window.message_pane.raw_text) == "\\xff\\xfe garbage"
    assert window.message_pane.attachment_cards == []


def test_a_picture_the_thumbnailer_cannot_open_is_reported(window, events, monkeypatch):
    monkeypatch.setattr(decoder, "thumbnail", lambda data, max_size: None)
    feed(window, events, message(decoded_message(attachments=[picture_attachment((50, 40))])))
    card, = window.message_pane.attachment_cards
    assert pump_until(window, lambda: card.picture.cget("text") == EN["image_unreadable"])
    assert card.photo is None


@pytest.mark.parametrize("data", [messages.broken_png(), messages.cut_png()],
                         ids=["bad-chunk", "cut"])
def test_a_broken_picture_shows_a_placeholder_and_the_window_goes_on(window, events, data):
    # Issue 14.1: the card stayed "Scaling the picture…" and the batch's status was not updated.
    broken = attachment("broken.png", "image/png", data, decoder.ImageInfo("PNG", 10, 10))
    feed(window, events, message(decoded_message(attachments=[broken])))
    card, = window.message_pane.attachment_cards
    assert pump_until(window, lambda: card.picture.cget("text") == EN["image_unreadable"])
    assert "Internal error" not in text_of(window.dialogue_text)


def test_large_raw_content_shows_256_kib_first_and_all_on_request(window, events):
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    raw = b"Subject: big\r\n\r\n" + line * 14_000 + b"L" * 3000  # about 1 MB
    feed(window, events, message(decoded_message(), raw=raw))
    shown = text_of(window.message_pane.raw_text)
    assert len(shown.encode()) <= gui_mail.RAW_VIEW_LIMIT
    assert window.message_pane.raw_info_label.cget("text") == "Showing the first 256.0 KB of 1.0 MB"
    assert window.message_pane.show_all_button.winfo_ismapped()
    assert window.message_pane.show_all_button.cget("text") == "Show all (1.0 MB)"

    window.message_pane.show_all_button.invoke()
    assert wait_until(window.root, lambda: window.message_pane.raw_info_label.cget("text") == "1.0 MB")
    everything = text_of(window.message_pane.raw_text)
    assert not window.message_pane.show_all_button.winfo_ismapped()
    assert everything.replace("\n" + gui_widgets.CONTINUATION_MARK, "") == raw.decode().replace(
        "\r\n", "\n")
    assert max(len(line) for line in everything.split("\n")) <= gui_widgets.DISPLAY_LINE_LIMIT + 2


def test_saving_writes_only_what_the_user_asks_for(window, events, monkeypatch, tmp_path):
    picture = picture_attachment((20, 10))
    feed(window, events, message(decoded_message(attachments=[picture]), raw=b"raw bytes\r\n"))
    asked = []

    def ask(**options):
        asked.append(options["initialfile"])
        return str(tmp_path / options["initialfile"])

    monkeypatch.setattr(gui.filedialog, "asksaveasfilename", ask)
    assert list(tmp_path.iterdir()) == []
    window.message_pane.attachment_cards[0].save_button.invoke()
    window.message_pane.save_message_button.invoke()
    assert asked == ["campus.png", "message-1.eml"]
    assert (tmp_path / "campus.png").read_bytes() == picture.data
    assert (tmp_path / "message-1.eml").read_bytes() == b"raw bytes\r\n"

    monkeypatch.setattr(gui.filedialog, "asksaveasfilename", lambda **_: "")  # cancelled
    window.message_pane.save_message_button.invoke()
    assert len(list(tmp_path.iterdir())) == 2


def test_a_failed_save_is_reported(window, events, monkeypatch, tmp_path):
    feed(window, events, message(decoded_message()))
    monkeypatch.setattr(gui.filedialog, "asksaveasfilename",
                        lambda **_: str(tmp_path / "missing-folder" / "m.eml"))
    shown = []
    monkeypatch.setattr(gui.messagebox, "showerror", lambda title, text, **_: shown.append(text))
    window.message_pane.save_message_button.invoke()
    assert shown and shown[0].startswith("Could not save")
    assert tagged(window.dialogue_text, gui.TAG_ERROR) == shown


def test_open_html_writes_a_temporary_file_only_on_click(window, events, monkeypatch):
    opened = []  # how each system opens it: the test below and test_windows.py
    monkeypatch.setattr(gui, "open_in_browser", lambda path: opened.append(path) or True)
    html = '<html><head><meta charset="gb2312"></head><body>你好</body></html>'
    feed(window, events, message(decoded_message(html=html)))
    assert opened == []
    window.message_pane.open_html_button.invoke()
    path, = opened
    page = path.read_bytes()
    assert page.startswith(b"\xef\xbb\xbf")  # outranks the mail's gb2312: the text is Unicode
    assert page.decode("utf-8-sig") == html_page.safe_page(html, {}, "en")  # tests/test_html_page
    assert "你好" in page.decode("utf-8-sig")
    window.shutdown()
    assert not path.exists()


def test_elsewhere_than_windows_the_html_is_opened_as_a_file_url(monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(gui.sys, "platform", "linux")
    monkeypatch.setattr(gui.webbrowser, "open", lambda url: opened.append(url) or True)
    assert gui.open_in_browser(tmp_path / "报告.html") is True
    assert opened == [(tmp_path / "报告.html").as_uri()]


def test_selecting_an_older_message_shows_it_and_stops_following(window, events):
    feed(window, events, message(decoded_message(subject="first"), number=1),
         message(decoded_message(subject="second"), number=2))
    assert text_of(window.message_pane.body_text).startswith("Subject: second")
    first, second = window.message_list.get_children()
    window.message_list.selection_set(first)
    window.root.update()
    assert text_of(window.message_pane.body_text).startswith("Subject: first")
    feed(window, events, message(decoded_message(subject="third"), number=3))
    assert text_of(window.message_pane.body_text).startswith("Subject: first")  # the user's choice stays
    third = window.message_list.get_children()[-1]
    window.message_list.selection_set(third)
    window.root.update()
    feed(window, events, message(decoded_message(subject="fourth"), number=4))
    assert text_of(window.message_pane.body_text).startswith("Subject: fourth")


def test_clear_forgets_messages_and_dialogue(window, events):
    feed(window, events, command("EHLO x"),
         message(decoded_message(attachments=[picture_attachment((30, 20))])))
    window.clear_button.invoke()
    window.root.update()
    assert window.message_list.get_children() == ()
    assert text_of(window.dialogue_text) == text_of(window.message_pane.body_text) == ""
    assert text_of(window.message_pane.raw_text) == ""
    assert window.message_pane.attachment_cards == []
    assert str(window.message_pane.save_message_button.cget("state")) == "disabled"
    assert window.counts_label.cget("text") == "Connections: 0   Commands: 0   Messages: 0"


def test_an_exception_in_a_callback_is_shown_in_the_window(window):
    def broken() -> None:
        raise ValueError("something odd")

    window.root.after(0, broken)
    assert wait_until(window.root, lambda: tagged(window.dialogue_text, gui.TAG_ERROR))
    assert tagged(window.dialogue_text, gui.TAG_ERROR)[0].endswith(
        "Internal error in the window: ValueError: something odd")


@pytest.mark.xfail(running_under_wine(), strict=True,
                   reason="Wine: ships no Microsoft YaHei (every Windows 10/11 has it), so Tk "
                          "keeps its default family")
def test_chinese_labels_and_a_cjk_font(root, events):
    window = gui.ObserverWindow(root, events, lang="zh", poll=False)
    try:
        feed(window, events, listening(fallback_reason=PORT_25_DENIED))
        assert "端口 25：权限不够" in window.fallback_banner.cget("text")
        assert window.root.title() == "SMTP Observer — 正在监听 127.0.0.1:2525（25 端口不可用）"
        assert window.clear_button.cget("text") == "清空"
        assert window.message_list.heading("subject", "text") == "主题"
        family = tkfont.nametofont("TkDefaultFont", root).actual("family")
        # CI installs fonts-wqy-microhei; Windows 10/11 have YaHei.
        assert family in gui.UI_FONTS["win32" if sys.platform == "win32" else "linux"]
    finally:
        window.shutdown()


def test_closing_the_window_stops_the_server_and_run_returns_0(xdisplay, monkeypatch):
    events: queue.Queue = queue.Queue()
    server = so.start_server(so.ServerConfig(host="127.0.0.1", port=0), events)
    stopped_from = []

    def stop_server() -> None:
        stopped_from.append(threading.current_thread())
        server.stop()

    roots = []

    class ClosedByTheUser(gui.ObserverWindow):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            roots.append(weakref.ref(self.root))
            # What the window manager does when the user clicks the close box.
            self.root.after(200, self.root.tk.call, self.root.protocol("WM_DELETE_WINDOW"))

    monkeypatch.setattr(gui, "ObserverWindow", ClosedByTheUser)
    try:
        assert gui.run(events, stop_server=stop_server, lang="en") == 0
    finally:
        server.stop()
    assert len(stopped_from) == 1 and stopped_from[0] is not threading.main_thread()
    # Freed at once, not left in a reference cycle for a garbage collection that may run on
    # the server's thread: Tcl aborts the process when a Tk is freed off its own thread.
    assert roots[0]() is None
    with pytest.raises(OSError):  # nobody listens any more
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_show_fatal_shows_a_message_box(xdisplay, monkeypatch):
    shown = []
    monkeypatch.setattr(gui.messagebox, "showerror",
                        lambda title, text, **_: shown.append((title, text)))
    gui.show_fatal("port 2525 is in use", lang="zh")
    assert shown == [("SMTP Observer 无法启动", "port 2525 is in use")]


# --------------------------------------------------------------------------------------------
# End to end: the real server, real clients, the window's own after() loop


def test_smtplib_gb2312_message_end_to_end(root):
    with observed_window(root) as (window, server):
        text = "同学们好：\r\n请观察 SMTP 对话。\r\n"
        send(server.port, messages.gb2312_text_message("第一次实验", text))
        assert wait_until(root, lambda: window.message_list.get_children(), timeout=10)
        assert wait_until(root, lambda: "Connection #1 closed (quit)" in dialogue_lines(window))
        assert window.dialogue_text.bbox("end-1c")  # it followed the dialogue to the end
        lines = dialogue_lines(window)
        assert lines[0] == f"Listening on 127.0.0.1:{server.port} as observer.test"
        assert lines[1].startswith("Connection #1 from 127.0.0.1:")
        clients = [line for line in lines if line.startswith("C: ")]
        assert clients[0] == "C: ehlo lab-pc"
        # smtplib's casing differs by version ("mail FROM:"; 3.13: "mail from:").
        assert clients[1].casefold().startswith("c: mail from:<student@example.com>")
        assert [line.casefold() for line in clients[2:]] == [
            "c: rcpt to:<teacher@example.com>", "c: data", "c: quit"]
        assert lines.index("C: data") + 1 == lines.index(
            next(line for line in lines if line.startswith("S: 354")))
        body = text_of(window.message_pane.body_text)
        assert body.startswith("Subject: 第一次实验    Date: ")
        assert "同学们好：\n请观察 SMTP 对话。" in body


def test_swaks_attachment_is_shown_as_a_picture(root, tmp_path):
    swaks = require_program("swaks")
    picture = tmp_path / "campus.png"
    picture.write_bytes(messages.sample_picture("PNG", (900, 600)))
    with observed_window(root) as (window, server):
        done = subprocess.run(
            [swaks, "--server", f"127.0.0.1:{server.port}", "--from", "student@example.com",
             "--to", "teacher@example.com", "--header", "Subject: swaks picture",
             "--body", "see the picture", "--attach-type", "image/png", "--attach",
             f"@{picture}"], capture_output=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
        assert wait_until(root, lambda: pictures_shown(window), timeout=10)
        card, = window.message_pane.attachment_cards
        assert card.caption.cget("text").startswith("campus.png · image/png · ")
        assert card.caption.cget("text").endswith(" · 900×600")
        assert abs(card.photo.width() / card.photo.height() - 1.5) < 0.02
        assert "see the picture" in text_of(window.message_pane.body_text)
        assert "C: DATA" in dialogue_lines(window)


def test_screenshot_of_the_seed_like_outlook_message(root, tmp_path):
    with observed_window(root, lang="zh") as (window, server):
        show_seed_message(root, window, server.port)
        shot = save_screenshot(root, tmp_path)
        assert text_of(window.message_pane.body_text).startswith(f"主题：{messages.SEED_SUBJECT}    日期：")
        assert "这是用 Outlook 发送的实验邮件" in text_of(window.message_pane.body_text)
        card, = window.message_pane.attachment_cards
        assert card.caption.cget("text").startswith(messages.SEED_ATTACHMENT_NAME + " · image/jpeg")

        # The picture's region on screen holds the picture, not an empty label.
        label = card.picture
        left = label.winfo_rootx() - root.winfo_rootx()
        top = label.winfo_rooty() - root.winfo_rooty()
        region = shot.crop((left, top, left + card.photo.width(), top + card.photo.height()))
        assert len(region.getcolors(maxcolors=100_000) or ()) > 20  # not uniform
        expected = Image.open(io.BytesIO(messages.sample_picture())).resize(region.size)
        for shown_mean, expected_mean in zip(ImageStat.Stat(region).mean,
                                             ImageStat.Stat(expected).mean, strict=True):
            assert abs(shown_mean - expected_mean) < 12


def save_screenshot(root: tk.Tk, tmp_path: Path) -> Image.Image:
    """Grab the window, save it under tmp_path and $GUI_SHOT_DIR (if set) to look at."""
    shot = grab_window(root)
    shot.save(tmp_path / "seed-outlook.png")
    if os.environ.get("GUI_SHOT_DIR"):
        Path(os.environ["GUI_SHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        shot.save(Path(os.environ["GUI_SHOT_DIR"]) / "seed-outlook.png")
    return shot


# --------------------------------------------------------------------------------------------
# Real-world structure (issue 13): pictures where they stand, attached mail opened


def test_iphone_photo_stands_between_its_two_texts(window, events):
    raw = messages.iphone_message()
    feed(window, events, message(decoder.decode(raw), raw=raw))
    first, second = (text.split("\r\n")[0] for text in messages.IPHONE_TEXTS)
    body = text_of(window.message_pane.body_text)
    assert first in body and second in body
    # Its place: the marker until the thumbnail is ready (which may be at once), then the picture.
    assert "[picture: IMG_0412.JPG]" in body or window.message_pane.body_text.image_names()
    assert pump_until(window, lambda: window.message_pane.body_text.image_names())
    [image] = window.message_pane.body_text.image_names()
    where = window.message_pane.body_text.index(image)
    assert window.message_pane.body_text.compare(where, ">", window.message_pane.body_text.search(first, "1.0"))
    assert window.message_pane.body_text.compare(where, "<", window.message_pane.body_text.search(second, "1.0"))
    assert "[picture:" not in text_of(window.message_pane.body_text)
    photo_width = int(window.message_pane.body_text.tk.call("image", "width",
                                               window.message_pane.body_text.image_cget(image, "image")))
    assert photo_width <= min(gui_mail.PICTURE_IN_TEXT_MAX[0], window.message_pane.body_text.winfo_width())


def test_bounce_shows_its_status_and_opens_the_returned_mail(window, events):
    raw = messages.bounce_message()
    feed(window, events, message(decoder.decode(raw), raw=raw))
    body = text_of(window.message_pane.body_text)
    assert "could not\nbe delivered" in body and f"Status: {messages.BOUNCE_STATUS}" in body
    [card] = window.message_pane.attachment_cards
    assert card.caption.cget("text").startswith("实验报告.eml · message/rfc822 · ")
    card.open_button.invoke()
    [opened] = window.message_pane.attached_windows
    assert pump_until(window, lambda: opened.decoded is not None)
    shown = text_of(opened.text)
    assert shown.startswith("Subject: 实验报告    Date: Tue, 2 Dec 2025 09:14:58 +0800\n"
                            "From: 张三 <zhangsan@example.edu.cn>    To: ")
    assert "老师您好：实验报告见正文。" in shown
    assert "1 text/plain  charset=gb2312 (decoded as gb18030)" in shown  # its own MIME tree
    assert opened.window.title() == "Attached mail: 实验报告.eml"
    opened.window.destroy()


def test_the_attached_mail_shows_its_pictures_a_click_opens_one_and_esc_closes_it(window,
                                                                                  events):
    inner = messages.picture_message(messages.sample_picture("PNG", (200, 150)), "photo.png")
    raw = ("From: a@example.com\r\nTo: b@example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="o"\r\n\r\n'
           "--o\r\nContent-Type: text/plain\r\n\r\nforwarded\r\n"
           '--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; '
           'filename="fwd.eml"\r\n\r\n').encode() + inner + b"\r\n--o--\r\n"
    feed(window, events, message(decoder.decode(raw), raw=raw))
    [card] = window.message_pane.attachment_cards
    card.open_button.invoke()
    [opened] = window.message_pane.attached_windows
    assert pump_until(window, lambda: opened.text.image_names())
    [image] = opened.text.image_names()  # the picture itself, not a line to save it
    assert "[picture:" not in text_of(opened.text)
    assert int(opened.text.tk.call("image", "width", opened.text.image_cget(image, "image"))) > 100
    opened.text.see(image)
    window.root.update()
    x, y, width, height = opened.text.bbox(image)
    opened.text.event_generate("<Motion>", x=x + width // 2, y=y + height // 2)  # Win32 Tk
    opened.text.event_generate("<Button-1>", x=x + width // 2, y=y + height // 2)
    [large] = opened.picture_windows
    assert pump_until(window, lambda: large.photo is not None)
    assert large.window.title() == "photo.png"
    large.close()
    opened.text.focus_force()
    assert wait_until(window.root, lambda: window.root.focus_get() is opened.text)
    opened.text.event_generate("<Escape>")
    window.root.update()
    assert not opened.window.winfo_exists()


# --------------------------------------------------------------------------------------------
# Control characters a decoded field carries are shown, never obeyed (issue 14.6 for the window)


def encoded_subject(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def test_the_window_shows_a_nul_in_a_subject_and_a_body_escaped(root):
    # Tk ends a string at a NUL: the list showed only "前", the body only "body".
    message = (f"Subject: {encoded_subject('前' + chr(0) + '后 NUL test')}\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n"
               "body\x00after\r\nline\u2028two\r\n").encode()
    with observed_window(root) as (window, server):
        send(server.port, message)
        assert wait_until(root, lambda: window.message_list.get_children(), timeout=10)
        [item] = window.message_list.get_children()
        assert window.message_list.set(item, "subject") == "前\\x00后 NUL test"
        body = text_of(window.message_pane.body_text)
        assert body.startswith("Subject: 前\\x00后 NUL test")
        assert "body\\x00after\nline\\u2028two" in body
        assert "\x00" not in body


def test_the_window_shows_cr_lf_and_escapes_in_a_subject_on_one_line(root):
    subject = "\x1b[2J\x1b[31m清屏\x07\x08\x08\r\nX-Injected: yes"
    message = (f"Subject: {encoded_subject(subject)}\r\n\r\nbody\r\n").encode()
    with observed_window(root) as (window, server):
        send(server.port, message)
        assert wait_until(root, lambda: window.message_list.get_children(), timeout=10)
        [item] = window.message_list.get_children()
        shown = "\\x1b[2J\\x1b[31m清屏\\x07\\x08\\x08\\r\\nX-Injected: yes"
        assert window.message_list.set(item, "subject") == shown
        lines = text_of(window.message_pane.body_text).split("\n")
        assert not any(line.startswith("X-Injected") for line in lines), lines
        assert lines[0].startswith("Subject: " + shown)


def display_line_starts(text: tk.Text, line: int) -> list[str]:
    """Where each display line of line ``line`` of a Text begins, as the window shows it."""
    starts, start = [], f"{line}.0"
    while text.compare(start, "<", f"{line}.end"):
        starts.append(start)
        start = text.index(f"{start} + 1 display lines display linestart")
        if not text.compare(starts[-1], "<", start):
            break
    return starts


def display_lines_of(text: tk.Text, line: int) -> list[str]:
    """Line ``line`` of a Text as the window shows it: one string per display line."""
    starts = display_line_starts(text, line)
    ends = [*starts[1:], f"{line}.end"]
    return [text.get(start, end) for start, end in zip(starts, ends, strict=True)]


def display_line_is_full(text: tk.Text, start: str, next_start: str) -> bool:
    """True if the display line beginning at ``start`` has no room left for the character
    that begins the next one (at ``next_start``): it wrapped where the pane ends, whatever
    the font's widths."""
    x, _y, width, _height, _baseline = text.dlineinfo(start)
    right = text.winfo_width() - sum(int(text.cget(option)) for option in
                                     ("borderwidth", "highlightthickness", "padx"))
    return x + width + text.bbox(next_start)[2] > right


def test_a_chinese_remark_wraps_by_character_an_english_line_by_word(root, events):
    """In zh the window's Chinese sentences wrap where the pane ends, not at their few ASCII
    spaces (which left "1" at the end of a line and "封邮件…" on the next); protocol lines,
    English, still wrap between words."""
    window = gui.ObserverWindow(root, events, lang="zh", poll=False)
    try:
        english = "observer.test " + " ".join(["keyword"] * 30)
        feed(window, events, listening(),
             so.Connected(session=1, time=T0, peer="127.0.0.1:50000"),
             so.Remark(session=1, time=T0, kind=so.RemarkKind.SIZE_ESTIMATED,
                       values={"declared": 1759, "actual": 1760}),
             reply(250, english))
        text = window.dialogue_text
        text.configure(width=40)
        root.update()
        rows = text_of(text).splitlines()
        chinese_line = next(n for n, row in enumerate(rows, 1) if "MAIL FROM 声明了" in row)
        english_line = next(n for n, row in enumerate(rows, 1) if "keyword" in row)
        assert gui.TAG_CHARACTER_WRAP in text.tag_names(f"{chinese_line}.0")
        assert gui.TAG_CHARACTER_WRAP in text.tag_names(f"{chinese_line}.end - 1 chars")
        assert text.tag_cget(gui.TAG_CHARACTER_WRAP, "wrap") == "char"
        assert gui.TAG_CHARACTER_WRAP not in text.tag_names(f"{english_line}.0")
        # What the reader sees: the Chinese line's display lines are full, the last aside.
        chinese = display_line_starts(text, chinese_line)
        assert len(chinese) > 1, display_lines_of(text, chinese_line)
        # Word wrap broke such a line only after its spaces ("…实际为 " / "1,760 字节（RFC 1870 "),
        # leaving lines half empty; by character, a line breaks where the pane ends (which
        # character that is depends on the font: under Wine it is the "1" of "1,760").
        assert all(display_line_is_full(text, start, after) for start, after in
                   zip(chinese[:-1], chinese[1:], strict=True)), (
            display_lines_of(text, chinese_line))
        # The explanation pane (its hint, in Chinese) wraps by character too; the raw source
        # pane does not wrap at all.
        assert gui.TAG_CHARACTER_WRAP in window.explanation_text.tag_names("1.0")
        assert window.explanation_text.tag_cget(gui.TAG_CHARACTER_WRAP, "wrap") == "char"
        assert gui.TAG_CHARACTER_WRAP not in window.message_pane.raw_text.tag_names()
        # English breaks between words: no display line ends inside "keyword".
        for row in display_lines_of(text, english_line)[:-1]:
            assert row.endswith(" ") or row.endswith("keyword"), row
    finally:
        window.shutdown()
