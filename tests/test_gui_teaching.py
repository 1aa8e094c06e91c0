"""The window's teaching layer: explained dialogue, state strip, sequence view, encoding X-ray,
lab scenarios, STARTTLS and the session export. Pure parts (gui_teaching) first, then the real
window under a private Xvfb, fed by hand-made events and by the real server."""

from __future__ import annotations

import email.policy
import html
import queue
import smtplib
import threading
import tkinter as tk
from email.message import EmailMessage

import pytest
from gui_fixtures import (dialogue_line_number, dialogue_lines, feed, observed_window,
                          pump_until, tagged, text_of, wait_until)

import decoder
import events
import explain
import gui
import gui_console
import gui_display
import gui_teaching as teaching
import messages
import pop3
import smtp_observer as so

pytest_plugins = ["gui_plugin"]  # the fixtures xdisplay, root, events and window

T0 = 1_764_553_800.0
EN, ZH = gui.LABELS["en"], gui.LABELS["zh"]

# --------------------------------------------------------------------------------------------
# Events of one session at chosen times (seconds after T0)


def connect(at: float = 0.0, session: int = 1) -> so.Connected:
    return so.Connected(session=session, time=T0 + at, peer="127.0.0.1:50000")


def command(line: str, at: float = 0.0, session: int = 1,
            answers_challenge: bool = False) -> so.CommandReceived:
    return so.CommandReceived(session=session, time=T0 + at, line=line,
                              answers_challenge=answers_challenge)


def reply(code: int, *lines: str, at: float = 0.0, state: str = "greeted",
          session: int = 1) -> so.ReplySent:
    return so.ReplySent(session=session, time=T0 + at, code=code, lines=lines, state=state)


def data(size: int, at: float = 0.0, complete: bool = True) -> so.DataReceived:
    return so.DataReceived(session=1, time=T0 + at, size=size, complete=complete)


def tls(at: float = 0.0) -> so.TLSStarted:
    return so.TLSStarted(session=1, time=T0 + at, version="TLSv1.3",
                         cipher="TLS_AES_256_GCM_SHA384")


def auth_remark(at: float = 0.0) -> so.Remark:
    return so.Remark(session=1, time=T0 + at, kind=so.RemarkKind.AUTH_DECODED,
                     secret="s3cret-pw", values={"mechanism": "LOGIN", "user": "student",
                                                 "masked": "*********", "length": 9})


def seed_message(raw: bytes | None = None) -> so.MessageReceived:
    raw = messages.outlook_seed_message() if raw is None else raw
    return so.MessageReceived(
        session=1, time=T0 + 0.035, number=1,
        envelope=so.Envelope(messages.SEED_FROM, (messages.SEED_TO,)), raw=raw, complete=True,
        accepted=True, reason=None, decoded=decoder.decode(raw))


def pipelined_session() -> list:
    """A session whose client pipelines MAIL, RCPT and DATA (RFC 2920)."""
    return [
        connect(0.0), reply(220, "observer.test ESMTP", at=0.001, state="connected"),
        command("EHLO lab-pc", at=0.010), reply(250, "observer.test", "PIPELINING", at=0.012),
        command("MAIL FROM:<a@example.com>", at=0.020),
        command("RCPT TO:<b@example.com>", at=0.020), command("DATA", at=0.020),
        reply(250, "2.1.0 OK", at=0.021, state="mail"),
        reply(250, "2.1.5 OK", at=0.022, state="rcpt"),
        reply(354, "End data with <CR><LF>.<CR><LF>", at=0.023, state="data"),
        data(1234, at=0.030), reply(250, "2.0.0 OK", at=0.040),
        command("QUIT", at=0.050), reply(221, "Bye", at=0.051, state="done"),
        so.Disconnected(session=1, time=T0 + 0.052, reason="quit"),
    ]


def track_of(events) -> tuple[teaching.SessionTrack, list[teaching.DialogueEntry]]:
    track = teaching.SessionTrack(1, T0)
    return track, [track.add(ev) for ev in events]


# --------------------------------------------------------------------------------------------
# Pure: sessions, sizes and timing


def milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def test_replies_are_paired_with_the_lines_they_answer_even_when_pipelined():
    track, _ = track_of(pipelined_session())
    times = [(step.kind, milliseconds(step.server_time), milliseconds(step.round_trip),
              step.pipelined) for step in track.steps]
    assert times == [("reply", None, None, False),  # the greeting answers nothing
                     ("command", None, 9.0, False), ("reply", 2.0, None, False),
                     ("command", None, 8.0, False),  # waited for the EHLO reply
                     ("command", None, None, True), ("command", None, None, True),
                     ("reply", 1.0, None, False), ("reply", 2.0, None, False),
                     ("reply", 3.0, None, False),
                     ("data", None, None, False), ("reply", 10.0, None, False),
                     ("command", None, 10.0, False), ("reply", 1.0, None, False)]
    assert track.state == "done"


@pytest.mark.parametrize("lines", [("observer.test", "PIPELINING", "HELP"), ("Bye",), ()])
def test_octet_counts_match_the_wire(lines):
    event = events.ReplySent(session=1, time=0.0, code=250, lines=lines, state="greeted")
    assert teaching.reply_octets(event) == len(so.Reply(250, *lines).wire())
    for response in (pop3.Response(pop3.OK, "Capability list follows", lines),
                     pop3.Response(pop3.OK, "6 octets", body=b"x\r\ny\r\n")):
        pop3_event = events.POP3Reply(
            session=1, time=0.0, status=response.status, text=response.text,
            lines=response.lines, state="transaction",
            body_size=None if response.body is None else len(response.body))
        assert teaching.reply_octets(pop3_event) == len(b"".join(response.wire()))
    assert teaching.command_octets("MAIL FROM:<张三@例子.中国>") == len(
        "MAIL FROM:<张三@例子.中国>\r\n".encode())


def test_a_503_names_the_broken_rule_until_the_next_reply():
    rule = "5.5.1 Need MAIL command first (RCPT before MAIL)"
    track, entries = track_of([connect(), reply(220, "hi", state="connected"),
                               command("RCPT TO:<b@example.com>"), reply(503, rule),
                               command("MAIL FROM:<a@example.com>"),
                               reply(250, "OK", state="mail")])
    assert entries[3].broken_rule == f"503 {rule}"
    assert entries[4].broken_rule == f"503 {rule}"  # the client has not answered it yet
    assert (entries[5].broken_rule, entries[5].state) == (None, "mail")
    assert track.broken_rule is None


def test_encryption_and_time_since_the_session_began():
    _, entries = track_of([connect(), command("AUTH LOGIN", at=0.5),
                           reply(334, "VXNlcm5hbWU6", at=0.501), command("c3R1ZGVudA==", at=1.0),
                           reply(235, "OK", at=1.001), tls(at=2.0), command("NOOP", at=2.5)])
    assert [entry.encrypted for entry in entries] == [False] * 6 + [True]
    assert entries[6].elapsed == pytest.approx(2.5)
    assert gui.dialogue_prefix("10:00:00", 2.5) == "10:00:00   +2.500  "


@pytest.mark.parametrize(("seconds", "shown"), [(0.00004, "0.0 ms"), (0.0034, "3.4 ms"),
                                                (0.25, "250 ms"), (3.0, "3.00 s")])
def test_format_duration(seconds, shown):
    assert teaching.format_duration(seconds) == shown


def test_a_long_reply_label_keeps_the_count_of_its_further_lines():
    step = teaching.WireStep("reply", reply(250, "observer.test Hello lab-pc and more", "A", "B"),
                             0, 0.0)
    label = teaching.step_label(step, EN, 24)
    assert label.endswith("… (+2 lines)") and len(label) <= 24


# --------------------------------------------------------------------------------------------
# Pure: explanations come from explain.py, in the window's language


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explanations_of_commands_and_replies(lang):
    labels = gui.LABELS[lang]
    _, entries = track_of([connect(), command("EHLO lab-pc", at=0.25),
                           reply(250, "observer.test", "PIPELINING", "SIZE 10240", at=0.26)])
    ehlo = teaching.explain_entry(entries[1], labels, lang)
    assert "RFC 5321 §4.1.1.1" in ehlo.paragraphs[0]
    assert ehlo.paragraphs[0] == explain.explain_command("EHLO lab-pc", lang)
    assert labels["note_elapsed"].format(elapsed="+0.250", session=1) in ehlo.notes
    keywords = teaching.explain_entry(entries[2], labels, lang)
    assert explain.EHLO_KEYWORDS["PIPELINING"].meaning(lang) in "\n".join(keywords.paragraphs)
    assert any("10 ms" in note for note in keywords.notes)  # its round trip


def test_the_connection_names_the_protocol_as_the_textbook_does():
    _, (entry,) = track_of([connect()])
    assert "220 问候开始了 SMTP（简单邮件传送协议）对话" in teaching.explain_entry(
        entry, gui.LABELS["zh"], "zh").paragraphs[0]


def test_explanations_of_auth_data_data_and_tls_lines():
    _, entries = track_of([connect(), reply(334, "VXNlcm5hbWU6"),
                           command("c3R1ZGVudA==", answers_challenge=True),
                           data(2048), tls(), command("EHLO again")])
    assert teaching.explain_entry(entries[2], EN, "en").paragraphs == (
        explain.explain_command("x", "en", answers_challenge=True),)
    data_explained = teaching.explain_entry(entries[3], EN, "en").paragraphs
    assert "2,048 octets" in data_explained[0]
    assert "dot-stuffing" in data_explained[1]
    assert teaching.explain_entry(entries[4], EN, "en").paragraphs == (
        explain.explain_command("STARTTLS", "en"),)
    assert EN["note_encrypted"] in teaching.explain_entry(entries[5], EN, "en").notes


def test_an_auth_password_is_shown_only_when_asked():
    _, (_, entry) = track_of([connect(), auth_remark()])
    assert teaching.can_reveal_secret(entry)
    hidden = "\n".join(teaching.explain_entry(entry, EN, "en").paragraphs)
    shown = "\n".join(teaching.explain_entry(entry, EN, "en", reveal_secret=True).paragraphs)
    assert "s3cret-pw" not in hidden
    assert "Password: s3cret-pw" in shown and "not encryption" in shown


# --------------------------------------------------------------------------------------------
# Pure: the encoding X-ray


def test_the_mime_tree_of_the_seed_message():
    ev = seed_message()
    rows = {row.iid: row for row in teaching.part_rows(ev.decoded.parts)}
    text_part = rows["part:1.1.1"]
    assert (text_part.parent, text_part.values[0]) == ("part:1.1", "text/plain")
    assert text_part.values[1:3] == ("gb2312 → gb18030", "base64")
    assert rows["part:1.2"].values[3:5] == ("attachment", messages.SEED_ATTACHMENT_NAME)
    headers = {row.text: row for row in teaching.header_rows(ev.decoded.headers, EN)}
    assert headers["Subject"].values[4] == messages.SEED_SUBJECT
    assert "To" not in headers  # nothing encoded in it


def test_the_mime_tree_names_an_attached_mails_subject_and_sender():
    rows = {row.iid: row for row in teaching.part_rows(decoder.decode(
        messages.bounce_message()).parts)}
    assert rows["part:1.3"].values[4] == "实验报告 · 张三 <zhangsan@example.edu.cn>"


def test_an_encoded_header_word_as_sent_as_bytes_and_as_text():
    header = decoder.HeaderField("Subject", "=?gb2312?B?xPq6ww==?= world", "您好 world")
    panes = teaching.header_panes(header, EN)
    assert panes.encoded.text.splitlines() == ["=?gb2312?B?xPq6ww==?=", " world"]
    assert panes.octets.text.splitlines()[0] == "c4 fa ba c3"
    assert panes.text.text.splitlines() == ["您好", " world"]
    assert "gb18030" in panes.summary


# --------------------------------------------------------------------------------------------
# The real window


def click_line(window: gui.ObserverWindow, line: int) -> None:
    """Click the dialogue's ``line`` as a student does (it is scrolled into view first)."""
    text = window.dialogue_text
    text.see(f"{line}.0")
    # A real click also makes the window the active one, so that keys go to it; on Win32 Tk
    # a generated click does not (and Tk sends a generated key to the focus).
    text.focus_force()
    window.root.update()
    x, y, *_ = text.bbox(f"{line}.0")
    text.event_generate("<Button-1>", x=x + 2, y=y + 2)
    text.event_generate("<ButtonRelease-1>", x=x + 2, y=y + 2)
    window.root.update()


def selected_lines(window: gui.ObserverWindow) -> list[str]:
    """The selected dialogue lines without their clocks."""
    prefix_width = len(gui.dialogue_prefix(gui.format_clock(0), None))
    return [line[prefix_width:] for selected in tagged(window.dialogue_text, gui.TAG_SELECTED)
            for line in selected.splitlines()]


def explanation(window: gui.ObserverWindow) -> str:
    return text_of(window.explanation_text)


def current_state(window: gui.ObserverWindow) -> str | None:
    """The state the strip highlights."""
    current = gui.CURRENT_STATE_COLOURS["background"]
    return next((state for state, label in window.state_strip.state_labels.items()
                 if label.cget("background") == current), None)


def show_sequence(window: gui.ObserverWindow) -> tk.Canvas:
    """Bring the sequence view into view and wait until it is drawn at its size."""
    window.dialogue_tabs.select(window.sequence_view.frame)
    canvas = window.sequence_view.canvas
    assert wait_until(window.root, lambda: canvas.find_withtag("lifeline || note"))
    return canvas


def canvas_texts(canvas: tk.Canvas, tags: str) -> list[str]:
    return [canvas.itemcget(item, "text") for item in canvas.find_withtag(tags)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_selecting_a_dialogue_line_explains_it(root, events, lang):
    window = gui.ObserverWindow(root, events, lang=lang, poll=False)
    try:
        feed(window, events, *pipelined_session()[:4])
        assert explanation(window) == gui.LABELS[lang]["explain_hint"]
        click_line(window, dialogue_line_number(window, "C: EHLO lab-pc"))
        assert "RFC 5321 §4.1.1.1" in explanation(window)
        assert explain.explain_command("EHLO lab-pc", lang) in explanation(window)

        click_line(window, dialogue_line_number(window, "S: 250 PIPELINING"))  # the 2nd line
        assert selected_lines(window) == ["S: 250-observer.test", "S: 250 PIPELINING"]
        assert explain.EHLO_KEYWORDS["PIPELINING"].meaning(lang) in explanation(window)
        # The explanation of the clicked keyword is highlighted and in view.
        highlighted, = tagged(window.explanation_text, gui.TAG_SELECTED)
        assert highlighted.startswith(explain.keyword_heading("PIPELINING", lang))
        assert window.explanation_text.bbox(window.explanation_text.tag_ranges(
            gui.TAG_SELECTED)[0])
    finally:
        window.shutdown()


def test_up_down_and_escape_move_and_clear_the_selection(window, events):
    feed(window, events, *pipelined_session())
    click_line(window, dialogue_line_number(window, "C: EHLO lab-pc"))
    window.dialogue_text.event_generate("<Down>")
    window.root.update()
    assert selected_lines(window) == ["S: 250-observer.test", "S: 250 PIPELINING"]
    window.dialogue_text.event_generate("<Down>")  # past both lines of that reply
    window.dialogue_text.event_generate("<Up>")
    window.dialogue_text.event_generate("<Up>")
    window.root.update()
    assert selected_lines(window) == ["C: EHLO lab-pc"]
    assert window.state_strip.session_label.cget("text") == "Connection #1: (at the selected line)"
    window.dialogue_text.event_generate("<Escape>")
    window.root.update()
    assert selected_lines(window) == []
    assert explanation(window) == EN["explain_hint"]
    assert window.state_strip.session_label.cget("text") == "Connection #1:"


def test_a_503_names_the_broken_rule_in_the_strip(window, events):
    rule = "5.5.1 Need MAIL command first (RCPT before MAIL)"
    feed(window, events, connect(), reply(220, "hi", state="connected"), command("EHLO x"),
         reply(250, "observer.test"), command("RCPT TO:<b@example.com>"), reply(503, rule))
    strip = window.state_strip
    assert strip.rule_label.winfo_ismapped()
    assert strip.rule_label.cget("text") == f"Rule broken: 503 {rule}"
    assert strip.rule_label.cget("foreground") == gui.RULE_COLOURS["foreground"]
    assert current_state(window) == "greeted"
    feed(window, events, command("MAIL FROM:<a@example.com>"), reply(250, "OK", state="mail"))
    assert not strip.rule_label.winfo_ismapped()
    click_line(window, dialogue_line_number(window, f"S: 503 {rule}"))  # history: at that line
    assert strip.rule_label.winfo_ismapped() and current_state(window) == "greeted"
    assert "Bad sequence of commands" in explanation(window)


def test_the_state_strip_follows_a_real_smtplib_session(root):
    with observed_window(root) as (window, server):
        client = smtplib.SMTP("127.0.0.1", server.port, local_hostname="lab-pc", timeout=10)
        try:
            assert wait_until(root, lambda: current_state(window) == "connected")
            assert window.state_strip.session_label.cget("text") == "Connection #1:"
            client.ehlo()
            assert wait_until(root, lambda: current_state(window) == "greeted")
            assert client.docmd("RCPT", "TO:<teacher@example.com>")[0] == 503
            assert wait_until(root, lambda: window.state_strip.rule_label.winfo_ismapped())
            assert "(RCPT before MAIL)" in window.state_strip.rule_label.cget("text")
            client.mail("student@example.com")
            assert wait_until(root, lambda: current_state(window) == "mail")
            assert not window.state_strip.rule_label.winfo_ismapped()
            client.rcpt("teacher@example.com")
            assert wait_until(root, lambda: current_state(window) == "rcpt")
            client.putcmd("DATA")
            assert client.getreply()[0] == 354
            assert wait_until(root, lambda: current_state(window) == "data")
            client.send(b"Subject: strip\r\n\r\nhello\r\n.\r\n")
            assert client.getreply()[0] == 250
            assert wait_until(root, lambda: current_state(window) == "greeted")
        finally:
            client.quit()
        assert wait_until(root, lambda: current_state(window) == "done")


def test_an_auth_password_is_masked_until_revealed(root):
    with observed_window(root) as (window, server):
        with smtplib.SMTP("127.0.0.1", server.port, local_hostname="lab-pc.example.edu",
                          timeout=10) as c:
            c.login("student", "s3cret-pw")
        assert wait_until(root, lambda: any("AUTH PLAIN decoded" in line
                                            for line in dialogue_lines(window)))
        assert "s3cret-pw" not in text_of(window.dialogue_text)
        remark, = tagged(window.dialogue_text, gui.TAG_REMARK)
        assert "'*********'" in remark
        click_line(window, dialogue_line_number(window, remark.splitlines()[0][-20:]))
        assert "s3cret-pw" not in explanation(window)
        assert window.show_password_button.winfo_ismapped()
        window.show_password_button.invoke()
        root.update()
        assert "Password: s3cret-pw" in explanation(window)
        assert "base64 is an encoding, not encryption" in explanation(window)
        assert not window.show_password_button.winfo_ismapped()


def test_the_sequence_view_draws_an_arrow_per_line_with_octets_and_round_trips(window, events):
    feed(window, events, *pipelined_session())
    canvas = show_sequence(window)
    assert len(canvas.find_withtag("arrow&&command")) == 5
    assert len(canvas.find_withtag("arrow&&reply")) == 7
    assert len(canvas.find_withtag("arrow&&data")) == 1
    assert canvas_texts(canvas, "label&&command") == [
        "EHLO lab-pc", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA", "QUIT"]
    assert canvas_texts(canvas, "bytes&&command") == ["13 B", "27 B", "25 B", "6 B", "6 B"]
    assert canvas_texts(canvas, "bytes&&data") == ["1,234 B"]
    assert canvas_texts(canvas, "bytes&&reply")[:2] == ["25 B", "35 B"]
    assert canvas_texts(canvas, "rtt&&reply") == [f"server {ms} ms" for ms in
                                                  ("2.0", "1.0", "2.0", "3.0", "10", "1.0")]
    assert canvas_texts(canvas, "rtt&&command") == ["RTT 9.0 ms", "RTT 8.0 ms", "RTT 10 ms"]
    # Client lines go right, replies left.
    for item in canvas.find_withtag("arrow&&command"):
        x1, _, x2, _ = canvas.coords(item)
        assert x1 < x2
    for item in canvas.find_withtag("arrow&&reply"):
        x1, _, x2, _ = canvas.coords(item)
        assert x1 > x2


def test_the_sequence_view_adds_new_arrows_and_caps_a_flood(window, events):
    feed(window, events, *pipelined_session()[:4])
    canvas = show_sequence(window)
    first_arrows = canvas.find_withtag("arrow")
    feed(window, events, *[command(f"NOOP {n}", at=1 + n / 1000) for n in range(600)])
    arrows = canvas.find_withtag("arrow")
    assert arrows[:len(first_arrows)] == first_arrows  # drawn once, not again
    assert len(arrows) == teaching.MAX_SEQUENCE_STEPS
    assert canvas_texts(canvas, "capped") == [
        f"Only the first {teaching.MAX_SEQUENCE_STEPS} of 603 lines are drawn."]


def test_the_sequence_view_shows_the_session_of_the_selected_line(window, events):
    second = [connect(session=2), reply(220, "hi", state="connected", session=2),
              command("EHLO two", session=2)]
    feed(window, events, *pipelined_session(), *second)
    canvas = show_sequence(window)
    assert canvas_texts(canvas, "label&&command") == ["EHLO two"]  # the newest session
    click_line(window, dialogue_line_number(window, "C: QUIT"))
    assert "QUIT" in canvas_texts(canvas, "label&&command")
    assert window.state_strip.session_label.cget("text").startswith("Connection #1:")


def test_starttls_shows_a_marker_and_marks_what_follows_as_encrypted(window, events):
    feed(window, events, connect(), reply(220, "hi", state="connected"), command("STARTTLS"),
         reply(220, "2.0.0 Ready to start TLS", state="connected"), tls(at=0.1),
         command("EHLO lab-pc", at=0.2), reply(250, "observer.test", at=0.21))
    marker, = tagged(window.dialogue_text, gui.TAG_TLS)
    assert marker == ("TLS started: TLSv1.3 TLS_AES_256_GCM_SHA384; a packet capture now "
                      "sees only ciphertext")
    encrypted = window.dialogue_text.get(*window.dialogue_text.tag_ranges(gui.TAG_ENCRYPTED)[:2])
    assert encrypted.startswith("C: EHLO lab-pc")
    assert "STARTTLS" not in "".join(tagged(window.dialogue_text, gui.TAG_ENCRYPTED))
    click_line(window, dialogue_line_number(window, "C: EHLO lab-pc"))
    assert EN["note_encrypted"] in explanation(window)
    click_line(window, dialogue_line_number(window, marker))
    assert explain.explain_command("STARTTLS", "en") in explanation(window)
    assert canvas_texts(show_sequence(window), "label&&tls") == [
        "TLS started (TLSv1.3): encrypted from here on"]


def test_the_line_map_stays_right_when_the_dialogue_is_trimmed(window, events, monkeypatch):
    monkeypatch.setattr(gui, "MAX_DIALOGUE_LINES", 60)
    monkeypatch.setattr(gui, "DIALOGUE_TRIM_LINES", 20)
    feed(window, events, connect())
    for n in range(40):
        feed(window, events, command(f"NOOP {n}"), reply(250, f"first {n}", f"second {n}"))
    lines = int(window.dialogue_text.index("end-1c").split(".")[0]) - 1
    assert lines <= 60
    assert len(window.dialogues["smtp"].rows) == lines
    click_line(window, 1)  # whatever the first line is now, its own event is explained
    first = dialogue_lines(window)[0]
    assert selected_lines(window)[0] == first
    if first.startswith("S: 250 second"):  # the rest of a reply whose first line went
        assert explanation(window).startswith("S: 250-first")
    else:
        assert explanation(window).startswith(first)
    click_line(window, lines)
    assert explanation(window).startswith("S: 250-first 39 …")


def test_the_x_ray_of_the_seed_outlook_message(window, events):
    ev = seed_message()
    feed(window, events, ev)
    window.message_tabs.select(window.xray.frame)
    window.root.update()
    assert window.xray.selected() == "part:1.1.1"  # the text part, selected by itself
    texts, titles = window.xray.texts, window.xray.titles
    part = next(part for part in ev.decoded.parts if part.path == "1.1.1")
    first_base64_line = ev.raw[part.body_start:part.body_end].split(b"\r\n")[0].decode()
    assert text_of(texts["encoded"]).startswith(first_base64_line)
    assert f"bytes {part.body_start:,}–{part.body_end:,}" in titles["encoded"].cget("text")
    gb2312 = messages.SEED_TEXT.encode("gb2312")
    assert gb2312[:4].hex(" ") in text_of(texts["octets"])  # 老师 = c0 cf ca a6
    assert text_of(texts["text"]).startswith("老师您好：\n")
    assert "gb18030" in titles["text"].cget("text")
    assert "gb18030" in window.xray.summary_label.cget("text")

    subject = next(index for index, header in enumerate(ev.decoded.headers)
                   if header.name == "Subject")
    window.select_xray_row(f"header:{subject}")
    window.root.update()
    assert text_of(texts["encoded"]) == messages.encoded_word(messages.SEED_SUBJECT)
    assert text_of(texts["octets"]).startswith(
        messages.SEED_SUBJECT.encode("gb2312")[:4].hex(" "))  # 实验 = ca b5 d1 e9
    assert text_of(texts["text"]) == messages.SEED_SUBJECT


def test_the_x_ray_of_an_encoded_subject_shows_its_bytes(window, events):
    raw = messages.gb2312_text_message("您好", "正文\r\n")
    ev = seed_message(raw)
    feed(window, events, ev)
    subject = next(index for index, header in enumerate(ev.decoded.headers)
                   if header.name == "Subject")
    window.message_tabs.select(window.xray.frame)
    window.select_xray_row(f"header:{subject}")
    window.root.update()
    assert text_of(window.xray.texts["encoded"]) == "=?gb2312?B?xPq6ww==?="
    assert text_of(window.xray.texts["octets"]) == "c4 fa ba c3"
    assert text_of(window.xray.texts["text"]) == "您好"


def test_a_large_part_is_x_rayed_off_the_tk_thread(window, events, monkeypatch):
    payload = bytes(range(256)) * 4096  # 1 MiB; 1.4 MB in base64
    message = EmailMessage()
    message["Subject"] = "big"
    message.set_content("see the attachment")
    message.add_attachment(payload, maintype="application", subtype="octet-stream",
                           filename="big.bin")
    ev = seed_message(message.as_bytes(policy=email.policy.SMTP))
    threads = []
    real_part_xray = decoder.part_xray

    def part_xray(raw, part):
        threads.append(threading.current_thread())
        return real_part_xray(raw, part)

    monkeypatch.setattr(decoder, "part_xray", part_xray)
    feed(window, events, ev)
    window.message_tabs.select(window.xray.frame)
    big = next(part for part in ev.decoded.parts if part.filename == "big.bin")
    window.select_xray_row(f"part:{big.path}")
    window.root.update()
    assert window.xray.summary_label.cget("text") in (EN["xray_loading"], "")
    assert pump_until(window, lambda: text_of(window.xray.texts["octets"]))
    assert threads[-1] is not threading.main_thread()
    octets = text_of(window.xray.texts["octets"])
    assert octets.startswith("00 01 02 03")
    assert octets.endswith("The first 4,096 of 1,048,576 bytes are shown.")
    assert EN["xray_not_text"] in text_of(window.xray.texts["text"])
    assert len(text_of(window.xray.texts["encoded"])) < teaching.XRAY_PANE_LIMIT + 100


def test_the_scenarios_menu_tells_the_server_and_the_status_bar(root, events):
    chosen: list[tuple[str, ...]] = []
    window = gui.ObserverWindow(root, events, poll=False, set_scenarios=chosen.append,
                                scenarios=("slow",))
    try:
        menu = window.scenario_menu
        labels = [menu.entrycget(i, "label") for i in range(menu.index("end") + 1)]
        # the names lab sheets cite, each with its caption
        assert labels == [f"{name} ({info.caption.en})" for name, info in explain.SCENARIOS.items()]
        index = {name: labels.index(explain.scenario_label(name, "en"))
                 for name in explain.SCENARIOS}
        assert window.scenario_label.cget("text") == "Scenario: slow"
        menu.invoke(index["reject-recipient"])
        assert chosen == [("reject-recipient", "slow")]
        assert window.scenario_label.cget("text") == "Scenario: reject-recipient, slow"
        assert explain.SCENARIOS["reject-recipient"].what("en") in explanation(window)
        assert explain.SCENARIOS["reject-recipient"].expect("en") in explanation(window)
        menu.invoke(index["slow"])
        menu.invoke(index["reject-recipient"])
        assert chosen[-1] == ()
        assert window.scenario_label.cget("text") == EN["status_no_scenario"]
        feed(window, events, so.Listening(session=0, time=T0, host="127.0.0.1", port=2525,
                                          requested_port=None, fallback_reason=None,
                                          hostname="observer.test", scenarios=("busy",)))
        assert window.scenario_label.cget("text") == "Scenario: busy"  # what the server has
    finally:
        window.shutdown()


def test_without_the_server_the_scenarios_cannot_be_chosen(window):
    menu = window.scenario_menu
    assert {str(menu.entrycget(i, "state")) for i in range(menu.index("end") + 1)} == {
        "disabled"}


def test_run_hands_the_scenarios_to_the_window(xdisplay, monkeypatch):
    handed = {}

    class ClosedAtOnce(gui.ObserverWindow):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            handed.update(kwargs)
            self.root.after(50, self.root.tk.call, self.root.protocol("WM_DELETE_WINDOW"))

    monkeypatch.setattr(gui, "ObserverWindow", ClosedAtOnce)

    def set_scenarios(names: tuple[str, ...]) -> None:
        pass

    assert gui.run(queue.Queue(), stop_server=lambda: None, lang="en",
                   set_scenarios=set_scenarios, scenarios=("busy",)) == 0
    assert handed["set_scenarios"] is set_scenarios and handed["scenarios"] == ("busy",)


def test_export_writes_the_session_report_only_when_asked(window, events, monkeypatch,
                                                           tmp_path):
    feed(window, events, *pipelined_session()[:-3], seed_message(), *pipelined_session()[-3:])
    asked = []

    def ask(**options):
        asked.append(options)
        return str(tmp_path / "report.html")

    monkeypatch.setattr(gui.filedialog, "asksaveasfilename", ask)
    students = []  # the export asks for the student's name and number first

    def ask_student(parent, lang, title, prompt, **options):
        students.append(options.get("initial"))
        return "张三 2024001"

    monkeypatch.setattr(gui_console, "ask_text", ask_student)
    assert list(tmp_path.iterdir()) == []
    window.state_strip.export_button.invoke()
    assert asked[0]["initialfile"].endswith(".html")
    assert ("*.txt" in str(asked[0]["filetypes"])) and asked[0]["defaultextension"] == ".html"
    report_html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert messages.SEED_SUBJECT in html.unescape(report_html)

    monkeypatch.setattr(gui.filedialog, "asksaveasfilename",
                        lambda **_: str(tmp_path / "report.txt"))
    window.state_strip.export_button.invoke()
    report_text = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert "EHLO lab-pc" in report_text
    assert "学生（姓名 学号）: 张三 2024001" in report_text or \
        "Student (name and number): 张三 2024001" in report_text
    assert "张三 2024001" in report_html
    assert students == ["", "张三 2024001"]  # the second export offers the name given before

    monkeypatch.setattr(gui_console, "ask_text", lambda *_a, **_k: None)
    monkeypatch.setattr(gui.filedialog, "asksaveasfilename", lambda **_: pytest.fail("asked"))
    window.state_strip.export_button.invoke()  # cancelling the name cancels the export


def test_clear_forgets_the_sessions(window, events):
    feed(window, events, *pipelined_session(), seed_message())
    click_line(window, dialogue_line_number(window, "C: QUIT"))
    window.clear_button.invoke()
    window.root.update()
    assert window.dialogues["smtp"].rows == [] and window._received == []
    assert window.state_strip.session_label.cget("text") == EN["strip_none"]
    assert str(window.state_strip.export_button.cget("state")) == "disabled"
    assert explanation(window) == EN["explain_hint"]
    assert window.xray.tree.get_children() == ()


def test_the_window_fits_a_lab_pc_screen(window, events):
    """At the size a 1280x800 screen gets, every area keeps room to show something."""
    (width, height), _smallest = gui_display.window_sizes((1280, 800))
    assert height + 110 <= 800
    window.root.geometry(f"{width}x{height}")
    feed(window, events, *pipelined_session(), seed_message())
    window.root.update()
    line = 16  # pixels, about one line of text
    for area, lines in ((window.dialogue_text, 8), (window.explanation_text, 3),
                        (window.message_pane.raw_text, 3), (window.message_pane.body_text, 3),
                        (window.message_list, 2), (window.message_pane.attachment_area.canvas, 5)):
        assert area.winfo_height() >= lines * line, area
    strip = window.state_strip
    assert strip.export_button.winfo_rootx() + strip.export_button.winfo_width() <= (
        window.root.winfo_rootx() + width)
