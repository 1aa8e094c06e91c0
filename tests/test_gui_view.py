"""The window's view of a message and of a lesson (issue 12): a picture opened large, the text
of a mail before its attachments, presentation mode (F11), the menus with their mnemonics,
shortcuts and Help windows, and the zoom reaching an attached mail's window.

Each test opens the real window (Xvfb on Linux, Win32 Tk under Windows) and acts as a user
does: a click, a key, a menu item.
"""

from __future__ import annotations

import queue
import time
import tkinter as tk
from email.message import EmailMessage
from tkinter import font as tkfont

import pytest
from gui_fixtures import (feed, observed_window, pictures_shown, pump_until, rows_in_view, send,
                          send_homework, wait_until)
from test_chinese_lab import english_words
from test_gui_classroom import fully_visible_lines, menu_command
from test_gui_teaching import pipelined_session, seed_message

import gui
import gui_console
import gui_display
import gui_mail
import messages
from events import Listening
from version import VERSION

pytest_plugins = ["gui_plugin"]  # the fixtures root, window, events and lab_screens

BIG_PICTURE = (2400, 1800)  # larger than any lab screen


def press(root: tk.Tk, widget: tk.Misc, sequence: str) -> None:
    """A key pressed with ``widget`` focused (Tk hands key events to the focus)."""
    widget.focus_force()
    assert wait_until(root, lambda: root.focus_get() is widget)
    widget.event_generate(sequence)
    root.update()


def click(widget: tk.Misc, x: int = 5, y: int = 5) -> None:
    """The pointer moved there, then a click (Win32 Tk finds a Text's tag under the pointer
    by the motion before the click)."""
    widget.event_generate("<Motion>", x=x, y=y)
    widget.event_generate("<Button-1>", x=x, y=y)
    widget.update()


def open_pictures(window: gui.ObserverWindow) -> list[gui_mail.PictureWindow]:
    return [shown for shown in window.message_pane.picture_windows if shown.is_open]



# --------------------------------------------------------------------------------------------
# A picture opened large


def test_a_clicked_thumbnail_opens_the_picture_fitted_to_the_screen_and_esc_closes_it(root):
    with observed_window(root) as (window, server):
        send(server.port, messages.picture_message(messages.sample_picture(size=BIG_PICTURE),
                                                   "campus.jpg"))
        assert wait_until(root, lambda: pictures_shown(window), timeout=10)
        card, = window.message_pane.attachment_cards
        assert str(card.picture.cget("cursor")) == "hand2"  # it says it can be clicked
        click(card.picture)
        shown, = open_pictures(window)
        assert wait_until(root, lambda: shown.photo is not None, timeout=10)
        root.update()
        top = shown.window
        assert top.title() == "campus.jpg"
        area = gui_display.work_area(*gui.screen_of(root))
        assert top.winfo_width() <= root.winfo_screenwidth()
        assert top.winfo_height() <= root.winfo_screenheight()
        photo = shown.photo
        assert photo.width() <= area[0] and photo.height() <= area[1]
        assert max(photo.width() / area[0], photo.height() / area[1]) > 0.97  # fills one side
        assert abs(photo.width() / photo.height() - 4 / 3) < 0.01  # aspect kept
        assert photo.width() > card.photo.width()  # larger than the thumbnail
        press(root, top, "<Escape>")
        assert not shown.is_open and open_pictures(window) == []


def test_a_clicked_picture_in_the_body_opens_large_too(root):
    with observed_window(root) as (window, server):
        send(server.port, messages.iphone_message(messages.sample_picture(size=(1600, 1200))))
        body = window.message_pane.body_text
        assert wait_until(root, lambda: body.image_names(), timeout=10)
        root.update()
        x, y, width, height = body.bbox(body.index(body.image_names()[0]))
        click(body, x + width // 2, y + height // 2)
        shown, = open_pictures(window)
        assert shown.window.title() == messages.IPHONE_PICTURE_NAME
        assert wait_until(root, lambda: shown.photo is not None, timeout=10)
        assert shown.photo.width() > width  # the large one, not the body's
        shown.window.destroy()  # the close button
        assert open_pictures(window) == []


# --------------------------------------------------------------------------------------------
# Presentation mode


def sashes(paned: tk.Misc) -> tuple[int, ...]:
    return tuple(paned.sashpos(index) for index in range(len(paned.panes()) - 1))


def layout(window: gui.ObserverWindow) -> dict[str, object]:
    left, right = map(window.root.nametowidget, window.panes.panes())
    return {"panes": window.panes.panes(), "left": left.panes(),
            "sashes": [sashes(paned) for paned in (window.panes, left, right,
                                                   window.message_pane.frame)],
            "zoom": window.zoom.step, "size": (window.root.winfo_width(),
                                              window.root.winfo_height()),
            "tab": window.dialogue_tabs.select()}


def test_f11_presents_the_dialogue_its_explanation_and_the_sequence_then_restores(window,
                                                                                   events):
    root = window.root
    feed(window, events, *pipelined_session(), seed_message())
    window.select_dialogue_line(2)
    window.zoom.zoom(+1)  # the teacher's own zoom is kept too
    window.dialogue_tabs.select(window.sequence_view.frame)
    root.update()
    before = layout(window)
    fixed = tkfont.nametofont("TkFixedFont", root)
    size_before = abs(int(fixed.cget("size")))

    press(root, window.dialogue_tabs, "<F11>")
    assert window.presentation.active
    for shown in (window.dialogue_text, window.explanation_text,
                  window.presentation_sequence.canvas):
        assert shown.winfo_viewable(), shown
    for hidden in (window.message_list, window.message_pane.body_text,
                   window.message_pane.raw_text, window.status_bar, window.state_strip.frame):
        assert not hidden.winfo_viewable(), hidden
    assert abs(int(fixed.cget("size"))) > size_before  # larger, for the back row
    canvas = window.presentation_sequence.canvas
    assert wait_until(root, lambda: canvas.find_withtag("arrow"))  # the session's arrows
    assert window.explanation_text.get("1.0", "end").strip()  # the selected line's explanation

    press(root, window.dialogue_text, "<F11>")
    assert not window.presentation.active
    for _ in range(3):  # and it stays so once Tk has laid the panes out
        root.update()
        assert layout(window) == before
    assert abs(int(fixed.cget("size"))) == size_before
    assert window.message_list.winfo_viewable() and window.status_bar.winfo_viewable()

    menu_command(root, gui.LABELS["en"]["menu_view"], gui.LABELS["en"]["presentation"])
    assert window.presentation.active
    press(root, window.dialogue_text, "<Escape>")  # Esc leaves it too
    assert not window.presentation.active
    root.update()
    assert layout(window)["sashes"] == before["sashes"]


# --------------------------------------------------------------------------------------------
# Menus, shortcuts and Help


def cascades(root: tk.Tk) -> dict[str, int]:
    menubar = root.nametowidget(root["menu"])
    return {menubar.entrycget(i, "label"): int(menubar.entrycget(i, "underline"))
            for i in range(menubar.index("end") + 1) if menubar.type(i) == "cascade"}


def test_menu_titles_carry_their_mnemonics(root, events):
    window = gui.ObserverWindow(root, events, poll=False)
    try:
        assert cascades(root) == {"File": 0, "Session": 0, "Scenarios": 1, "View": 0, "Help": 0}
    finally:
        window.shutdown()


def test_chinese_menu_titles_say_their_letter_as_chinese_programs_do(root, events):
    window = gui.ObserverWindow(root, events, lang="zh", poll=False)
    try:
        titles = cascades(root)
        assert titles == {"文件(F)": 3, "会话(S)": 3, "实验场景(C)": 5, "视图(V)": 3, "帮助(H)": 3}
        for title, underline in titles.items():
            assert title[underline] in "FSCVH"
    finally:
        window.shutdown()


def test_the_shortcuts_save_export_and_clear(root, tmp_path, monkeypatch):
    asked = []
    paths = iter([tmp_path / "mail.eml", tmp_path / "session.html"])
    monkeypatch.setattr(gui.filedialog, "asksaveasfilename",
                        lambda **options: asked.append(options["title"]) or str(next(paths)))
    monkeypatch.setattr(gui_console, "ask_text", lambda *_a, **_k: "张三 2025001")
    labels = gui.LABELS["en"]
    with observed_window(root) as (window, server):
        send(server.port, messages.gb2312_text_message("实验报告", "正文。\r\n"))
        assert wait_until(root, lambda: window.shown_message is not None, timeout=10)
        dialogue = window.dialogue_text
        press(root, dialogue, "<Control-s>")
        assert asked == [labels["save_message"]]
        assert (tmp_path / "mail.eml").read_bytes() == window.shown_message.raw
        press(root, dialogue, "<Control-e>")
        assert asked[1] == labels["export_title"].format(session=1)
        assert "张三 2025001" in (tmp_path / "session.html").read_text("utf-8")
        press(root, window.message_list, "<Control-L>")  # Caps Lock on
        assert window.message_list.get_children() == ()
        assert window.dialogue_text.get("1.0", "end").strip() == ""
    menus = root.nametowidget(root["menu"])
    accelerators = {menu.entrycget(i, "accelerator")
                    for menu in map(root.nametowidget, menus.winfo_children())
                    for i in range(menu.index("end") + 1) if menu.type(i) == "command"}
    assert {"Ctrl+S", "Ctrl+E", "Ctrl+L", "Ctrl++", "Ctrl+-", "Ctrl+0", "F11"} <= accelerators


def help_text(top: tk.Toplevel) -> str:
    texts = [widget for frame in top.winfo_children() for widget in frame.winfo_children()
             if isinstance(widget, tk.Text)]
    return texts[0].get("1.0", "end-1c")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_help_about_shows_the_version_and_the_other_help_windows(window_in, lang):
    window, root, events = window_in(lang)
    labels = gui.LABELS[lang]
    help_menu = labels["menu_help"]
    menu_command(root, help_menu, labels["help_about"])
    about = window.help_windows[-1]
    assert about.title() == labels["help_about"]
    assert f"SMTP Observer {VERSION}" in help_text(about)
    press(root, about, "<Escape>")
    assert not about.winfo_exists()

    menu_command(root, help_menu, labels["help_shortcuts"])
    shortcuts = help_text(window.help_windows[-1])
    for keys, what in [("Ctrl+S", labels["save_message"]), ("Ctrl+E", labels["export_session"]),
                       ("Ctrl+L", labels["clear"]), ("F11", labels["presentation"]),
                       ("Ctrl+F", labels["shortcut_search"])]:
        assert f"{keys}\t{what}" in shortcuts

    feed(window, events, Listening(session=0, time=time.time(), host="0.0.0.0", port=2525,
                                   requested_port=None, fallback_reason=None,
                                   hostname="observer.test", pop3_port=1110))
    menu_command(root, help_menu, labels["help_client_setup"])
    setup = help_text(window.help_windows[-1])
    assert "127.0.0.1 -Port 2525" in setup  # the PowerShell line, for this PC
    assert "1110" in setup.split("\n")[1] and "2525" in setup.split("\n")[2]
    if lang == "zh":  # a Chinese lab reads no program-written English in them
        for top in window.help_windows:
            if top.winfo_exists():
                assert english_words(help_text(top).replace(VERSION, "")) == [], top.title()


@pytest.fixture
def window_in(root, events):
    opened = []

    def open_window(lang: str) -> tuple[gui.ObserverWindow, tk.Tk, queue.Queue]:
        opened.append(gui.ObserverWindow(root, events, lang=lang, poll=False))
        return opened[-1], root, events

    yield open_window
    for window in opened:
        window.shutdown()


# --------------------------------------------------------------------------------------------
# The zoom reaches an attached mail's window


def test_the_zoom_reaches_the_attached_mail_window(root):
    with observed_window(root) as (window, server):
        send(server.port, messages.bounce_message())
        assert wait_until(root, lambda: window.message_pane.attachment_cards, timeout=10)
        card = next(card for card in window.message_pane.attachment_cards if card.open_button)
        card.open_button.invoke()
        attached, = window.message_pane.attached_windows
        text = attached.text
        assert pump_until(window, lambda: attached.decoded is not None)
        bold = tkfont.Font(root=root, name=text.tag_cget(gui.TAG_HEADER_NAME, "font"),
                           exists=True)
        plain = tkfont.nametofont("TkTextFont", root)
        sizes = abs(int(bold.cget("size"))), abs(int(plain.cget("size")))
        window.zoom.zoom(+3)
        assert abs(int(bold.cget("size"))) > sizes[0]
        assert abs(int(plain.cget("size"))) > sizes[1]
        assert bold.cget("weight") == "bold"
        window.zoom.reset()
        assert (abs(int(bold.cget("size"))), abs(int(plain.cget("size")))) == sizes


# --------------------------------------------------------------------------------------------
# On a lab screen (an Xvfb screen of its size: last, since under Windows it is skipped, and
# under Wine a window test after a skip that follows a test with the real server cannot start
# Tk: "Can't find a usable init.tcl", on main as well)


def one_picture_mail(lines: int) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = messages.SEED_FROM, messages.SEED_TO, "实验照片"
    mail["Date"], mail["Message-ID"] = "Mon, 1 Dec 2025 09:30:00 +0800", "<photo@example.edu.cn>"
    mail.set_content("老师您好：\n" + "".join(f"第 {n} 行：实验正文。\n" for n in range(1, lines)))
    mail.add_attachment(messages.sample_picture(size=(1600, 1200)), maintype="image",
                        subtype="jpeg", filename="照片.jpg")
    return mail.as_bytes().replace(b"\n", b"\r\n")


@pytest.mark.parametrize("screen_root", [(1366, 768)], indirect=True)
def test_with_one_picture_the_text_of_the_mail_comes_first(screen_root):
    """At 1366x768 the attachment area under the body left about 3 lines of the mail's text."""
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send(server.port, one_picture_mail(30))
        assert wait_until(root, lambda: pictures_shown(window), timeout=10)
        root.update()
        pane = window.message_pane
        body = pane.body_text
        first = int(body.search("老师您好", "1.0").split(".")[0])
        assert fully_visible_lines(body, first) >= 10
        # The picture is beside the text, whole, and a click away from its large view.
        card, = pane.attachment_cards
        canvas = pane.attachment_area.canvas
        assert card.picture.winfo_rootx() >= body.winfo_rootx() + body.winfo_width()
        assert (card.picture.winfo_rooty() + card.picture.winfo_height()
                <= canvas.winfo_rooty() + canvas.winfo_height())


@pytest.mark.parametrize("screen_root", [(1366, 768)], indirect=True)
def test_after_f11_and_back_the_list_shows_as_many_rows_as_before(screen_root):
    """An acceptance tester saw 6 rows of the message list before F11 and 5 after."""
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send_homework(server.port, 8)
        send(server.port, one_picture_mail(30))
        assert wait_until(root, lambda: pictures_shown(window), timeout=20)
        before = rows_in_view(window.message_list)
        assert before >= 5
        for _ in range(2):
            press(root, window.dialogue_tabs, "<F11>")
            assert window.presentation.active
            press(root, window.dialogue_text, "<F11>")
            assert not window.presentation.active
            assert [rows_in_view(window.message_list) for _ in range(3)] == [before] * 3


@pytest.mark.parametrize("screen_root", [(911, 512)], indirect=True)
def test_the_largest_zoom_leaves_the_window_usable_on_a_small_screen(screen_root):
    """At 911x512 the largest zoom left the dialogue, the list and the body no line in view
    and cut the 清空 button off."""
    root = screen_root
    with observed_window(root, lang="zh") as (window, server):
        send_homework(server.port, 4)
        send(server.port, one_picture_mail(30))
        assert wait_until(root, lambda: pictures_shown(window), timeout=20)
        for _ in range(len(gui_display.ZOOM_STEPS)):
            press(root, window.dialogue_text, "<Control-plus>")
        assert window.zoom.factor > 1.0  # it does zoom, up to what the screen allows
        for _ in range(3):
            root.update()
        tree = window.message_list

        def lines_in_view(text: tk.Text) -> int:  # whole display lines in the text's height
            linespace = tkfont.Font(root=root, font=text.cget("font")).metrics("linespace")
            return (text.winfo_height() - 2 * int(text.cget("pady"))) // linespace

        assert rows_in_view(tree) >= 2
        assert lines_in_view(window.dialogue_text) >= 2
        assert lines_in_view(window.message_pane.body_text) >= 2
        button = window.clear_button
        assert button.winfo_viewable()
        assert (button.winfo_rootx() + button.winfo_width()
                <= root.winfo_rootx() + root.winfo_width())


@pytest.mark.parametrize("screen_root", [(1366, 768)], indirect=True)
def test_the_text_of_a_mail_with_a_picture_comes_before_the_decoders_remarks(screen_root):
    """At 1366x768 the header block and the remarks put the text on the body's 11th line."""
    root = screen_root
    raw = one_picture_mail(30)
    raw = b"\r\n".join(line for line in raw.split(b"\r\n")
                       if not line.startswith((b"Date:", b"Message-ID:")))  # two remarks
    with observed_window(root, lang="zh") as (window, server):
        send(server.port, raw)
        assert wait_until(root, lambda: pictures_shown(window), timeout=10)
        root.update()
        body = window.message_pane.body_text
        shown = body.get("1.0", "end")
        assert shown.index("老师您好") < shown.index("解码提示：邮件没有 Date 首部")
        linespace = tkfont.Font(root=root, font=body.cget("font")).metrics("linespace")
        line_top = body.dlineinfo(body.search("老师您好", "1.0"))[1]
        assert line_top < 5 * linespace  # after Subject/Date, From/To and the envelope
