"""The window's "Type SMTP" tab and its saved sessions, in a real Tk window under Xvfb."""

from __future__ import annotations

import queue
import tkinter as tk
from tkinter import ttk

import pytest
from gui_fixtures import observed_window, wait_until

import gui
import gui_console
import sessions
from events import MessageReceived

pytest_plugins = ["gui_plugin"]


def type_line(pane: gui_console.ConsolePane, text: str) -> None:
    """Type a line into the tab and press Enter, as a student does; wait for its reply."""
    pane.entry.delete(0, "end")
    pane.entry.insert(0, text)
    pane.entry.focus_force()
    pane.root.update()
    pane.entry.event_generate("<Return>")
    assert wait_until(pane.root, lambda: not pane._waiting, timeout=10), text


def test_a_mail_typed_in_the_console_tab_arrives_and_shows_in_the_dialogue(root, tmp_path,
                                                                           monkeypatch):
    with observed_window(root, lang="zh") as (window, server):
        pane = window.console
        assert wait_until(root, lambda: pane.observer_address("smtp") is not None)
        window.dialogue_tabs.select(pane.frame)
        pane.connect_button.invoke()
        assert wait_until(root, lambda: "S: 220 " in pane.transcript_text(), timeout=10)
        for line in ("EHLO ideaPC", "MAIL FROM: <alice@127.0.0.1>", "RCPT TO:<bob@127.0.0.1>",
                     "DATA"):
            type_line(pane, line)
        assert pane.state_label.cget("text") == gui_console.LABELS["zh"]["state_data"], pane.transcript_text()
        pane.send_sample()
        assert wait_until(root, lambda: "C> Subject: =?gb2312?B?xPq6ww==?=" in
                          pane.transcript_text())
        end = [b for b in pane.frame.winfo_children()[3].winfo_children()
               if str(b.cget("text")) == "结束邮件（CRLF.CRLF）"][0]
        end.invoke()  # the "end the mail" button sends the single "."
        assert wait_until(root, lambda: "邮件已被接受（250）" in pane.transcript_text(), timeout=10)
        type_line(pane, "QUIT")
        assert wait_until(root, lambda: not pane.connected, timeout=10)
        text = pane.transcript_text()

        # each reply with the explanation the dialogue gives; the mistake remarked at once
        assert "220：服务就绪" in text and "354：开始输入邮件" in text
        assert "错误：“MAIL FROM:”后面有空格" in text
        # the same session, from the server's side, in the observer's dialogue and message list
        assert wait_until(root, lambda: len(window.store), timeout=10)
        shown = next(iter(window.store)).event
        assert shown.decoded.subject == "您好"
        dialogue = window.dialogue_text.get("1.0", "end")
        assert "C: MAIL FROM: <alice@127.0.0.1>" in dialogue

        # history: Up brings back the last line typed
        pane.entry.focus_force()
        pane.entry.event_generate("<Up>")
        assert pane.entry.get() == "QUIT"

        # Session › Save session…, then File › Open session… shows the same in a new window
        path = gui_console.save_to(window, tmp_path / "lab.jsonl")
        assert path is not None
        recorded = gui_console.open_recording(window, path)
        try:
            recorded.root.update()
            assert wait_until(root, lambda: len(recorded.store), timeout=10)
            assert "lab.jsonl" in recorded.root.title() and "录制回放" in recorded.root.title()
            assert recorded.recording_banner.cget("text").startswith("录制的会话 lab.jsonl")
            assert recorded.console is None
            # the same lines, but for the live window's "listening on ..." (a recording is not)
            live = window.dialogue_text.get("2.0", "end")
            assert window.dialogue_text.get("1.0", "2.0").strip().endswith("observer.test")
            assert wait_until(root, lambda: recorded.dialogue_text.get("1.0", "end") == live,
                              timeout=10)
            again = next(iter(recorded.store)).event
            assert isinstance(again, MessageReceived) and again.raw == shown.raw
        finally:
            recorded.shutdown()
            recorded.root.destroy()


def test_every_reference_session_opens_in_the_window(root):
    window = gui.ObserverWindow(root, __import__("queue").Queue(), lang="zh", poll=False)
    try:
        for path in sessions.reference_sessions():
            shown = gui_console.open_recording(window, path)
            try:
                assert wait_until(root, lambda: len(shown.store), timeout=10), path
                ev = next(iter(shown.store)).event
                assert ev.decoded.attachments, path
                assert "录制回放" in shown.root.title()
            finally:
                shown.shutdown()
                shown.root.destroy()
    finally:
        window.shutdown()


def test_a_console_to_a_closed_port_says_so_and_the_window_lives_on(root):
    with observed_window(root, lang="en") as (window, _server):
        pane = window.console
        pane.target_var.set("other")
        pane.other_entry.delete(0, "end")
        pane.other_entry.insert(0, "127.0.0.1:1")
        pane.connect_button.invoke()
        assert wait_until(root, lambda: "Cannot connect to 127.0.0.1:1" in pane.transcript_text(),
                          timeout=15)
        assert not pane.connected and str(pane.connect_button.cget("state")) == "normal"
        pane.other_entry.delete(0, "end")
        pane.other_entry.insert(0, "nonsense")
        pane.connect_button.invoke()
        assert "Give the server as PORT or HOST:PORT" in pane.transcript_text()


def _answer_the_dialog(root, typed, key, seen):
    """Runs inside the dialog's own event loop: notes what it shows, types, presses ``key``."""
    def answer(tries=100):
        shown = [w for w in root.winfo_children() if isinstance(w, tk.Toplevel)
                 and w.winfo_viewable()]
        focus = root.focus_get()
        if tries and not (shown and focus and str(focus).startswith(str(shown[-1]))):
            root.after(100, answer, tries - 1)  # not on the screen, or not focused, yet
            return
        dialog = shown[-1]
        widgets, todo = [], [dialog]
        while todo:
            widget = todo.pop()
            widgets.append(widget)
            todo.extend(widget.winfo_children())
        seen["buttons"] = [w.cget("text") for w in widgets if isinstance(w, ttk.Button)]
        seen["focus"] = root.focus_get()
        seen["entry"] = next(w for w in widgets if isinstance(w, ttk.Entry))
        seen["initial"] = seen["entry"].get()
        seen["fits"] = (dialog.winfo_rootx() >= 0 and dialog.winfo_rooty() >= 0
                        and dialog.winfo_rootx() + dialog.winfo_width() <= root.winfo_screenwidth()
                        and dialog.winfo_rooty() + dialog.winfo_height()
                        <= root.winfo_screenheight())
        seen["entry"].delete(0, "end")
        seen["entry"].insert(0, typed)
        seen["entry"].event_generate(key)
    root.after(100, answer)


@pytest.mark.parametrize("lang, buttons", [("zh", ["确定", "取消"]), ("en", ["OK", "Cancel"])])
def test_the_report_asks_the_student_in_the_window_language(root, lang, buttons):
    window = gui.ObserverWindow(root, queue.Queue(), lang=lang, poll=False)
    try:
        seen = {}
        _answer_the_dialog(root, "  张三 2025001 ", "<Return>", seen)
        assert gui_console.ask_student(window) == "张三 2025001"  # Enter is OK
        assert sorted(seen["buttons"]) == sorted(buttons) and seen["fits"]
        assert seen["focus"] == seen["entry"] and seen["initial"] == ""
        _answer_the_dialog(root, "李四", "<Escape>", seen)
        assert gui_console.ask_student(window) is None  # Esc cancels, the name given stays
        assert seen["initial"] == "张三 2025001" and window.student == "张三 2025001"
    finally:
        window.shutdown()
