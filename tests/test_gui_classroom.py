"""The window in a classroom (issue 12): sharp on Windows at 125 % and 150 %, the whole window
on a lab screen from 911x512 up, the mail's text and the list of mails with room to read.

The screen tests open the real window on Xvfb screens of a lab's sizes (gui_plugin's
``lab_screens``) and send mail through the real server with smtplib.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tkinter as tk
from email.message import EmailMessage
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk

import pytest
from gui_fixtures import (feed, grab_screen, observed_window, pictures_fitted, rows_in_view, send,
                          send_homework, wait_until)
from test_gui_teaching import pipelined_session, seed_message

import gui
import gui_display
import gui_list
import gui_widgets
import messages

pytest_plugins = ["gui_plugin"]  # the fixtures screen_root and xdisplay

TASKBAR_AND_TITLE_BAR = 70  # pixels Windows takes above and below the window; Xvfb draws none


# --------------------------------------------------------------------------------------------
# DPI awareness (Windows), with the platform faked


class FakeDll:
    def __init__(self, calls: list[str], *functions: str) -> None:
        for name in functions:
            setattr(self, name, lambda *args, name=name: calls.append(f"{name}{args}") or 0)


def test_windows_is_told_the_window_is_dpi_aware(monkeypatch):
    calls: list[str] = []
    windll = type("WinDLL", (), {})()
    windll.shcore = FakeDll(calls, "SetProcessDpiAwareness")
    windll.user32 = FakeDll(calls, "SetProcessDPIAware")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", windll, raising=False)
    assert gui_display.declare_dpi_awareness()
    assert calls == ["SetProcessDpiAwareness(1,)"]  # system aware, as IDLE; nothing more


def test_windows_without_shcore_falls_back_to_set_process_dpi_aware(monkeypatch):
    calls: list[str] = []
    windll = type("WinDLL", (), {})()  # Windows 7: no shcore.dll
    windll.user32 = FakeDll(calls, "SetProcessDPIAware")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", windll, raising=False)
    monkeypatch.setattr(windll.user32, "SetProcessDPIAware", lambda: calls.append("user32") or 1)
    assert gui_display.declare_dpi_awareness()
    assert calls == ["user32"]


def test_no_dpi_call_off_windows(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delattr(ctypes, "windll", raising=False)
    assert not gui_display.declare_dpi_awareness()


def test_the_window_declares_dpi_awareness_before_tk_starts(monkeypatch):
    """Windows fixes a process's DPI mode at its first window: after tk.Tk() it is too late."""
    order: list[str] = []
    monkeypatch.setattr(gui_display, "declare_dpi_awareness", lambda: order.append("dpi"))

    def no_display(*_args, **_kwargs):
        order.append("tk")
        raise tk.TclError("no display name and no $DISPLAY environment variable")

    monkeypatch.setattr(gui.tk, "Tk", no_display)
    with pytest.raises(gui.WindowUnavailable):
        gui.run(None, stop_server=lambda: None, lang="zh")
    assert order == ["dpi", "tk"]


# --------------------------------------------------------------------------------------------
# Sizes from the screen


@pytest.mark.parametrize("screen", [(911, 512), (1093, 614), (1366, 768), (1280, 800)])
def test_the_first_size_leaves_room_for_title_menu_and_taskbar(screen):
    (width, height), (least_width, least_height) = gui_display.window_sizes(screen)
    assert width + 40 <= screen[0] and height + 110 <= screen[1]
    assert least_width <= width and least_height <= height  # minsize never pushes it off


def test_a_large_or_sharper_screen_gets_a_bounded_window():
    assert gui_display.window_sizes((1920, 1080))[0] == gui_display.LARGEST_FIRST_SIZE
    # At 150 % (144 DPI) the title bar, menu bar and taskbar are half as tall again.
    assert gui_display.window_sizes((1366, 768), dpi=144)[0][1] <= 768 - 165


def test_a_window_opened_near_the_screens_corner_moves_to_stay_on_it():
    # A main window dragged to the bottom right of a 1366x768 screen: the attached-mail window
    # opens over it as far as the screen allows, title bar and taskbar left room.
    assert gui_display.window_place((1366, 768), (900, 640), (1000, 500)) == (1366 - 40 - 900, 18)
    assert gui_display.window_place((1366, 768), (900, 640), (100, 10)) == (100, 10)
    assert gui_display.window_place((911, 512), (871, 402), (-50, 300)) == (0, 0)
    assert gui_display.window_place((1366, 768), (900, 600), (1000, 500), dpi=144) == (406, 3)


# --------------------------------------------------------------------------------------------
# The real window on lab screens


def mail_with_lines(count: int) -> bytes:
    text = "老师您好：\r\n" + "".join(f"第 {number} 行：实验正文。\r\n" for number in range(1, count))
    return messages.gb2312_text_message("实验报告", text)


def fully_visible_lines(text: tk.Text, first_line: int) -> int:
    """How many display lines from ``first_line`` on are wholly in view."""
    text.update_idletasks()
    count = 0
    while (info := text.dlineinfo(f"{first_line + count}.0")) is not None:
        if info[1] + info[3] > text.winfo_height():
            break
        count += 1
    return count


def save_shot(root: tk.Tk, name: str) -> Path | None:
    """A screenshot of the screen for a person to look at, when GUI_SHOT_DIR says where."""
    folder = os.environ.get("GUI_SHOT_DIR")
    if not folder:
        return None
    root.update()
    path = Path(folder) / name
    grab_screen((0, 0, root.winfo_screenwidth(), root.winfo_screenheight()),
                screen=root.screen_name).save(path)
    return path


@pytest.mark.parametrize("screen_root", [(911, 512)], indirect=True)
def test_the_whole_window_fits_a_911x512_screen(screen_root):
    """A 1366x768 laptop at 150 % with a program that is not DPI aware; the status bar (and
    its Clear button) used to be pushed off the bottom by a fixed minsize(800, 500)."""
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send(server.port, mail_with_lines(20))
        assert wait_until(root, lambda: window.shown_message is not None, timeout=10)
        root.update()
        save_shot(root, "classroom-zh-911x512.png")
        status_bar = window.counts_label.master
        assert status_bar.winfo_viewable() and status_bar.winfo_height() > 0
        bottom = status_bar.winfo_rooty() + status_bar.winfo_height()
        assert bottom <= 512 - TASKBAR_AND_TITLE_BAR
        assert root.winfo_rootx() + root.winfo_width() <= 911
        clear = window.clear_button
        assert clear.winfo_viewable()
        assert clear.winfo_rootx() + clear.winfo_width() <= root.winfo_rootx() + root.winfo_width()
        assert root.wm_minsize()[1] <= root.winfo_height()
        # Every area still shows something.
        for area in (window.dialogue_text, window.message_pane.body_text, window.message_list):
            assert area.winfo_height() >= 60, area


@pytest.mark.parametrize("screen_root", [(911, 512), (1366, 768)], indirect=True)
def test_an_attached_mail_opens_over_the_window_and_within_the_screen(screen_root):
    root = screen_root
    screen, dpi = gui_widgets.screen_of(root)
    with observed_window(root, lang="zh") as (window, server):
        send(server.port, messages.bounce_message())
        assert wait_until(root, lambda: window.shown_message is not None, timeout=10)
        root.geometry(f"+{screen[0] // 3}+{screen[1] // 3}")  # dragged towards the corner
        root.update()
        [card] = window.message_pane.attachment_cards
        card.open_button.invoke()
        [opened] = window.message_pane.attached_windows
        assert wait_until(root, lambda: opened.decoded is not None, timeout=10)
        attached = opened.window
        attached.update()
        save_shot(root, f"attached-zh-{screen[0]}x{screen[1]}.png")
        assert attached.winfo_rootx() + attached.winfo_width() <= screen[0] - 40
        assert attached.winfo_rooty() + attached.winfo_height() <= screen[1] - TASKBAR_AND_TITLE_BAR
        # Over the main window (not in the screen's corner), as far as the screen allows.
        size = (attached.winfo_width(), attached.winfo_height())
        near = (root.winfo_rootx() + 32, root.winfo_rooty() + 32)
        assert (attached.winfo_rootx(), attached.winfo_rooty()) == gui_display.window_place(
            screen, size, near, dpi)
        if screen == (1366, 768):  # room to spare: not in the corner, where Tk puts it alone
            assert attached.winfo_rootx() > 0 and attached.winfo_rooty() > 0
        assert attached.wm_minsize() == gui_display.window_sizes(screen, dpi)[1]


@pytest.mark.parametrize("screen_root", [(1366, 768)], indirect=True)
def test_at_1366x768_the_mail_text_and_six_mails_are_in_view(screen_root):
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send_homework(server.port, 5, "短信。\r\n")
        send(server.port, mail_with_lines(30))
        assert wait_until(root, lambda: window._counts["messages"] == 6, timeout=10)
        assert wait_until(root, lambda: "第 1 行" in window.message_pane.body_text.get("1.0", "end"))
        root.update()
        save_shot(root, "classroom-zh-1366x768.png")
        assert rows_in_view(window.message_list) == 6
        horizontal = [bar for bar in window.message_list.master.winfo_children()
                      if isinstance(bar, ttk.Scrollbar) and str(bar.cget("orient")) == "horizontal"]
        assert horizontal and horizontal[0].winfo_viewable()
        body = window.message_pane.body_text
        first = int(body.search("老师您好", "1.0").split(".")[0])
        assert first <= 6  # the header block is compact: the text starts near the top
        assert fully_visible_lines(body, first) >= 12
        # A mail with no attachments leaves no empty attachment area.
        assert not window.message_pane.attachments_box.winfo_ismapped()
        # The sashes are stripes one can see.
        list_box = window.message_list.master.master
        tabs = window.message_tabs
        gap_top = list_box.winfo_rooty() + list_box.winfo_height()
        assert tabs.winfo_rooty() - gap_top >= gui.SASH_THICKNESS
        pixel = grab_screen((0, 0, 1366, 768), screen=root.screen_name).getpixel(
            (tabs.winfo_rootx() + 40, gap_top + gui.SASH_THICKNESS // 2))
        assert "#%02x%02x%02x" % pixel[:3] == gui.SASH_COLOUR
        window.message_pane.body_text.focus_force()  # Tk hands key events to the focus
        for _ in range(3):  # 150 %, for the back row: a screenshot to look at
            window.message_pane.body_text.event_generate("<Control-plus>")
        save_shot(root, "classroom-zh-1366x768-zoom150.png")


def five_pictures_message() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = messages.SEED_FROM, messages.SEED_TO, "五张照片"
    mail.set_content("老师，五张实验照片。\n")
    for number in range(5):
        mail.add_attachment(messages.sample_picture(size=(400, 300)), maintype="image",
                            subtype="jpeg", filename=f"照片{number + 1}.jpg")
    return mail.as_bytes().replace(b"\n", b"\r\n")


@pytest.mark.parametrize("screen_root", [(1366, 768)], indirect=True)
def test_several_pictures_lie_side_by_side(screen_root):
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send(server.port, five_pictures_message())
        assert wait_until(root, lambda: pictures_fitted(window), timeout=10)
        save_shot(root, "classroom-zh-1366x768-pictures.png")
        assert window.message_pane.attachments_box.winfo_ismapped()
        cards = window.message_pane.attachment_cards
        assert len(cards) == 5
        first_row = [card for card in cards if card.frame.winfo_y() == cards[0].frame.winfo_y()]
        assert len(first_row) >= 2
        canvas = window.message_pane.attachment_area.canvas
        for card in first_row:  # each picture of the first row wholly in view
            picture = card.picture
            assert picture.winfo_rootx() + picture.winfo_width() <= (
                canvas.winfo_rootx() + canvas.winfo_width())
            assert picture.winfo_rooty() + picture.winfo_height() <= (
                canvas.winfo_rooty() + canvas.winfo_height())


# --------------------------------------------------------------------------------------------
# Zoom for the back row


ZOOMED_FONTS = ("TkDefaultFont", "TkTextFont", "TkFixedFont", "TkHeadingFont", "TkMenuFont")


def font_sizes(root: tk.Tk, window: gui.ObserverWindow) -> dict[str, int]:
    """The fonts' sizes as set (points or pixels); what they draw at is rounded to pixels."""
    sizes = {name: abs(int(tkfont.nametofont(name, root).cget("size")))
             for name in ZOOMED_FONTS}
    sizes["bold"] = abs(int(window._bold_font.cget("size")))
    return sizes


def row_height(root: tk.Tk) -> int:
    return int(ttk.Style(root).lookup("Treeview", "rowheight"))


def wheel_up_with_ctrl(widget: tk.Misc) -> None:
    if widget.tk.call("tk", "windowingsystem") == "x11":
        widget.event_generate("<Control-Button-4>", x=5, y=5)
    else:
        widget.event_generate("<Control-MouseWheel>", delta=120, x=5, y=5)


def menu_command(root: tk.Tk, menu_label: str, item_label: str) -> None:
    """Choose ``menu_label`` > ``item_label`` in the window's menu bar, as a click does."""
    menubar = root.nametowidget(root["menu"])
    index = next(i for i in range(menubar.index("end") + 1)
                 if menubar.type(i) == "cascade"
                 and menubar.entrycget(i, "label").startswith(menu_label))  # zh: "视图(V)"
    menu = root.nametowidget(menubar.entrycget(index, "menu"))
    menu.invoke(item_label)


def test_ctrl_plus_minus_zero_and_the_wheel_scale_every_font_together(root, events):
    window = gui.ObserverWindow(root, events, lang="zh", poll=False)
    try:
        feed(window, events, *pipelined_session(), seed_message())
        window.dialogue_tabs.select(window.sequence_view.frame)
        canvas = window.sequence_view.canvas
        assert wait_until(root, lambda: canvas.find_withtag("arrow"))
        before, rows_before = font_sizes(root, window), row_height(root)
        arrow_gap_before = window.sequence_view._step_y(1) - window.sequence_view._step_y(0)
        body = window.message_pane.body_text
        body.focus_force()
        body.event_generate("<Control-plus>")
        root.update()
        larger = font_sizes(root, window)
        assert all(larger[name] > before[name] for name in before), (before, larger)
        assert row_height(root) > rows_before  # the lists' rows grow with their font
        assert window.sequence_view._step_y(1) - window.sequence_view._step_y(0) > arrow_gap_before
        assert window.zoom_label.cget("text") == "文字 115%"

        wheel_up_with_ctrl(window.dialogue_text)
        root.update()
        assert all(size > larger[name] for name, size in font_sizes(root, window).items())
        for _ in range(4):
            body.event_generate("<Control-minus>")
        root.update()
        assert all(size < before[name] for name, size in font_sizes(root, window).items())
        body.event_generate("<Control-0>")
        root.update()
        assert font_sizes(root, window) == before and row_height(root) == rows_before
        assert window.zoom_label.cget("text") == ""

        labels = gui.LABELS["zh"]
        menu_command(root, labels["menu_view"], labels["zoom_in"])
        root.update()
        assert font_sizes(root, window)["TkFixedFont"] > before["TkFixedFont"]
        menu_command(root, labels["menu_view"], labels["zoom_reset"])
        assert font_sizes(root, window) == before
    finally:
        window.shutdown()


# --------------------------------------------------------------------------------------------
# Views that follow each other


def wheel_down(widget: tk.Misc) -> None:
    if widget.tk.call("tk", "windowingsystem") == "x11":
        widget.event_generate("<Button-5>", x=5, y=5)
    else:
        widget.event_generate("<MouseWheel>", delta=-120, x=5, y=5)


def connect_and_quit(port: int) -> None:
    import smtplib
    with smtplib.SMTP("127.0.0.1", port, local_hostname="lab-pc", timeout=10) as client:
        client.ehlo()


def test_an_older_message_brings_up_its_session_and_esc_follows_again(root, tmp_path,
                                                                       monkeypatch):
    labels = gui.LABELS["en"]
    with observed_window(root, lang="en") as (window, server):
        send(server.port, messages.gb2312_text_message("第一封", "一。\r\n"))
        send(server.port, messages.gb2312_text_message("第二封", "二。\r\n"))
        connect_and_quit(server.port)
        connect_and_quit(server.port)
        assert wait_until(root, lambda: window._counts["connections"] == 4
                          and "(quit)" in window.dialogue_text.get("end-2l", "end"), timeout=10)
        strip = window.state_strip.session_label
        assert strip.cget("text") == labels["strip_session"].format(session=4)

        first = window.message_list.get_children()[0]
        window.message_list.selection_set(first)
        root.update()
        assert strip.cget("text") == labels["strip_session"].format(session=1)
        dialogue = window.dialogue_text
        marker = dialogue.search("Message #1 (", "1.0")
        assert marker and dialogue.bbox(marker)  # its line is in view...
        assert not dialogue.bbox("end-1c")  # ...and the newest lines are not
        saved = []
        monkeypatch.setattr(gui.filedialog, "asksaveasfilename",
                            lambda **options: saved.append(options["title"]) or
                            str(tmp_path / "session.html"))
        import gui_console  # the export asks for the student's name and number first

        monkeypatch.setattr(gui_console, "ask_text", lambda *_a, **_k: "")
        window.export_session()
        assert saved == [labels["export_title"].format(session=1)]
        assert "第一封" in (tmp_path / "session.html").read_text("utf-8")
        window.dialogue_tabs.select(window.sequence_view.frame)
        canvas = window.sequence_view.canvas
        assert wait_until(root, lambda: canvas.find_withtag("arrow"))
        titles = [canvas.itemcget(item, "text") for item in canvas.find_all()
                  if canvas.type(item) == "text"]
        assert labels["sequence_title"].format(session=1) in titles
        canvas.yview_moveto(0)
        wheel_down(canvas)
        root.update()
        assert canvas.yview()[0] > 0  # the wheel scrolls the sequence view

        # New mail while an older one is shown: bold until it is shown.
        send(server.port, messages.gb2312_text_message("第三封", "三。\r\n"))
        assert wait_until(root, lambda: len(window.message_list.get_children()) == 3, timeout=10)
        newest = window.message_list.get_children()[-1]
        assert gui_list.TAG_NEW in window.message_list.item(newest, "tags")
        assert window.shown_message.number == 1  # the teacher's choice stays on screen

        window.dialogue_tabs.select(window.dialogues["smtp"].frame)
        root.update()
        assert not dialogue.bbox("end-1c")  # still on the chosen message's session
        dialogue.focus_force()
        assert wait_until(root, lambda: root.focus_get() is dialogue)  # Tk hands keys to the focus
        dialogue.event_generate("<Escape>")
        root.update()
        assert dialogue.bbox("end-1c")  # Esc: the newest lines
        assert strip.cget("text") == labels["strip_session"].format(session=5)
        connect_and_quit(server.port)
        assert wait_until(root, lambda: window._counts["connections"] == 6
                          and "#6 closed" in dialogue.get("end-2l", "end"), timeout=10)
        assert dialogue.bbox("end-1c")  # and it follows them again
        assert strip.cget("text") == labels["strip_session"].format(session=6)

        window.message_list.selection_set(newest)
        root.update()
        assert gui_list.TAG_NEW not in window.message_list.item(newest, "tags")
        # The newest selected again: the list follows new mail once more.
        send(server.port, messages.gb2312_text_message("第四封", "四。\r\n"))
        assert wait_until(root, lambda: window.shown_message is not None
                          and window.shown_message.number == 4, timeout=10)
