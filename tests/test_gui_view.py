"""The window's view of a message and of a lesson (issue 12): a picture opened large, the text
of a mail before its attachments.

Each test opens the real window (Xvfb on Linux, Win32 Tk under Windows) and acts as a user
does: a click, a key, a menu item.
"""

from __future__ import annotations

import tkinter as tk
from email.message import EmailMessage

import pytest
from gui_fixtures import observed_window, pictures_shown, send, wait_until
from test_gui_classroom import fully_visible_lines

import gui
import gui_display
import gui_mail
import messages

pytest_plugins = ["gui_plugin"]  # the fixtures root, window, events and lab_screens

BIG_PICTURE = (4000, 3000)  # larger than any lab screen


def press(root: tk.Tk, widget: tk.Misc, sequence: str) -> None:
    """A key pressed with ``widget`` focused (Tk hands key events to the focus)."""
    widget.focus_force()
    assert wait_until(root, lambda: root.focus_get() is widget)
    widget.event_generate(sequence)
    root.update()


def click(widget: tk.Misc, x: int = 5, y: int = 5) -> None:
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
