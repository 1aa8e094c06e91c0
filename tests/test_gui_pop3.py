"""The window's POP3 dialogue tab, fed by the real server while poplib fetches the mail."""

from __future__ import annotations

import os
import poplib
import queue
import smtplib
import tkinter as tk
from pathlib import Path

import pytest
from gui_fixtures import grab_window, pump_until, tagged, text_of

import explain_pop3
import gui
import smtp_observer

pytest_plugins = ["gui_plugin"]

MESSAGE = b"Subject: lab\r\n\r\n.dot line\r\nbody\r\n"


@pytest.fixture
def lab(root: tk.Tk):
    """The window fed by the real server, SMTP and POP3 on free ports."""
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(smtp_observer.ServerConfig(
        port=0, hostname="observer.test", serve_pop3=True, pop3_port=0), events)
    window = gui.ObserverWindow(root, events, poll=False)
    try:
        yield window, server
    finally:
        window.shutdown()
        server.stop()


def fetch_and_delete(server: smtp_observer.ObserverServer) -> None:
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    client = poplib.POP3("127.0.0.1", server.pop3_server.port, timeout=10)
    client.user("student")
    client.pass_("secret")
    client.uidl()
    client.retr(1)
    client.dele(1)
    client.quit()


def pop3_lines(window: gui.ObserverWindow) -> list[str]:
    prefix_width = len(gui.dialogue_prefix(gui.format_clock(0), None))
    text = window.dialogues["pop3"].text
    return [line[prefix_width:] for line in text_of(text).splitlines()]


def click(window: gui.ObserverWindow, ending: str) -> None:
    """Click the first POP3 dialogue line that ends with `ending`, as a student does."""
    text = window.dialogues["pop3"].text
    number = next(number for number, line in enumerate(text_of(text).splitlines(), 1)
                  if line.endswith(ending))
    text.see(f"{number}.0")
    window.root.update()
    x, y, *_ = text.bbox(f"{number}.0")
    text.event_generate("<Button-1>", x=x + 2, y=y + 2)
    window.root.update()


def current_state(window: gui.ObserverWindow) -> str | None:
    current = gui.CURRENT_STATE_COLOURS["background"]
    return next((state for state, label in window.state_strip.state_labels.items()
                 if label.cget("background") == current), None)


def test_the_pop3_tab_shows_the_dialogue_and_the_smtp_tab_does_not(lab):
    window, server = lab
    fetch_and_delete(server)
    assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
    lines = pop3_lines(window)
    assert "C: USER student" in lines and "C: PASS ******" in lines
    assert "S: +OK 2 messages (4 octets)" not in lines  # sizes are the real ones
    assert any(line.startswith("S: +OK student's maildrop has 1 messages") for line in lines)
    retr = lines.index("C: RETR 1")
    assert lines[retr + 1:retr + 4] == [f"S: +OK {len(MESSAGE)} octets",
                                        f"S: <message 1: {len(MESSAGE)} B, dot-stuffed>",
                                        "S: ."]
    smtp = text_of(window.dialogue_text)
    assert "C: USER student" not in smtp
    assert "c: mail from:<a@example.com>" in smtp.lower()  # smtplib's case varies by version
    assert window.dialogue_tabs.select() == str(window.dialogues["pop3"].frame)
    assert [label.cget("text") for label in window.state_strip.state_labels.values()] == [
        "AUTHORIZATION", "TRANSACTION", "UPDATE", "done"]


def test_clicking_a_pop3_line_explains_it_and_shows_its_state(lab):
    window, server = lab
    fetch_and_delete(server)
    assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
    click(window, "C: UIDL")
    explained = text_of(window.explanation_text)
    assert explain_pop3.COMMANDS["UIDL"].meaning("en") in explained
    assert current_state(window) == "transaction"
    click(window, "C: PASS ******")
    assert current_state(window) == "authorization"  # until the +OK that answers it
    window.root.update()
    click(window, "leave a copy of messages on the server\" works.")
    assert explain_pop3.COMMANDS["UIDL"].meaning("en") in text_of(window.explanation_text)
    click(window, f"Connection #2 from {window.dialogues['pop3'].rows[2].event.peer}")
    assert gui.LABELS["en"]["explain_connect_pop3"] in text_of(window.explanation_text)
    click(window, "S: +OK observer.test POP3 signing off (1 deleted, 0 left)")
    assert current_state(window) == "update"
    assert tagged(window.dialogues["pop3"].text, gui.TAG_SELECTED)
    assert not tagged(window.dialogue_text, gui.TAG_SELECTED)


def test_the_password_of_pass_is_revealed_on_request(lab):
    window, server = lab
    fetch_and_delete(server)
    assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
    click(window, "(6 characters) over the network in the clear: anyone who captures the "
                  "packets can read the password. STLS (or POP3 over TLS on port 995) would "
                  "hide it.")
    assert "secret" not in text_of(window.explanation_text)
    window.show_password_button.invoke()
    assert "Password: secret" in text_of(window.explanation_text)


def test_the_sequence_view_draws_a_pop3_session(lab):
    window, server = lab
    fetch_and_delete(server)
    assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
    window.dialogue_tabs.select(window.sequence_view.frame)
    canvas = window.sequence_view.canvas
    assert pump_until(window, lambda: canvas.find_withtag("lifeline || note"))
    labels = [canvas.itemcget(item, "text") for item in canvas.find_all()
              if canvas.type(item) == "text"]
    assert any(label.startswith("RETR 1") for label in labels)
    assert any(label.startswith(f"+OK {len(MESSAGE)} octets") for label in labels)


@pytest.mark.parametrize("lang", ["zh"])
def test_a_zh_screenshot_of_the_pop3_tab(root, lang, tmp_path):
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(smtp_observer.ServerConfig(
        port=0, hostname="observer.test", serve_pop3=True, pop3_port=0), events)
    root.geometry("1366x768")
    window = gui.ObserverWindow(root, events, lang=lang, poll=False)
    try:
        fetch_and_delete(server)
        assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
        click(window, "C: UIDL")
        assert "唯一标识" in text_of(window.explanation_text)
        assert [label.cget("text") for label in window.state_strip.state_labels.values()][:3] == [
            "授权", "事务处理", "更新"]
        picture = grab_window(root)
        picture.save(tmp_path / "pop3-zh.png")
        if os.environ.get("SCREENSHOT_DIR"):  # to look at it
            picture.save(Path(os.environ["SCREENSHOT_DIR"]) / "pop3-zh.png")
        assert picture.size[0] >= 1000
    finally:
        window.shutdown()
        server.stop()


def test_the_message_list_says_what_pop3_did_with_each_message(lab):
    window, server = lab
    for number in range(3):
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"],
                            b"Subject: %d\r\n\r\nx\r\n" % number)
    client = poplib.POP3("127.0.0.1", server.pop3_server.port, timeout=10)
    client.user("student")
    client.pass_("secret")
    client.retr(1)
    client.dele(2)
    client.rset()
    client.dele(3)
    client.quit()
    assert pump_until(window, lambda: "C: QUIT" in pop3_lines(window))
    statuses = [window.message_list.set(item, "status")
                for item in window.message_list.get_children()]
    assert statuses == ["accepted · fetched by POP3", "accepted", "accepted · deleted by POP3"]
