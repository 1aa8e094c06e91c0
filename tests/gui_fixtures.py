"""Helpers for opening the real window without a screen and driving it; used by the window
tests (whose fixtures are in gui_plugin.py) and tools/screenshot.py."""

from __future__ import annotations

import os
import queue
import shutil
import smtplib
import subprocess
import sys
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PIL import Image, ImageGrab

import gui
import messages
import smtp_observer


@contextmanager
def virtual_display(size: tuple[int, int] = (1280, 1024)) -> Iterator[str]:
    """A private Xvfb of ``size`` as $DISPLAY for the duration; raises FileNotFoundError
    without Xvfb."""
    previous = os.environ.get("DISPLAY")
    with xvfb_display((size,)) as display:
        os.environ["DISPLAY"] = display
        try:
            yield display
        finally:
            if previous is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = previous


@contextmanager
def xvfb_display(screens: tuple[tuple[int, int], ...] = ((1280, 1024),)) -> Iterator[str]:
    """A private Xvfb's display name (":N") for the duration, $DISPLAY left alone; raises
    FileNotFoundError without Xvfb. Its screens have the sizes ``screens``: ":N.1" is the
    second (``tk.Tk(screenName=":N.1")``).

    ``-displayfd`` makes Xvfb pick a free display number itself and write it to the pipe
    once it accepts clients, so two runs at once never race for ":99".
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise FileNotFoundError("no $DISPLAY and no Xvfb (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    screen_options = [option for number, (width, height) in enumerate(screens)
                      for option in ("-screen", str(number), f"{width}x{height}x24")]
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), *screen_options, "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    try:
        if not number:
            raise RuntimeError(f"Xvfb exited with {process.wait(timeout=5)} before it was ready")
        yield ":" + number
    finally:
        process.terminate()  # only our own Xvfb, by its Popen
        process.wait(timeout=5)


def wait_until(root: tk.Misc, condition: Callable[[], object], timeout: float = 5.0) -> bool:
    """Run the Tk event loop until ``condition()`` is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def grab_screen(bbox: tuple[int, int, int, int], screen: str | None = None) -> Image.Image:
    """A screenshot of part of the screen: the X display on Linux (or its ``screen``, such as
    ":5.1"), the desktop on Windows (whose Pillow has no ``xdisplay``; under Wine the desktop
    is drawn on the X display)."""
    if sys.platform == "win32":
        return ImageGrab.grab(bbox=bbox)
    return ImageGrab.grab(bbox=bbox, xdisplay=screen or os.environ["DISPLAY"])


def grab_window(root: tk.Tk) -> Image.Image:
    """A screenshot of the window as it is on the (virtual) screen."""
    root.update()
    x, y = root.winfo_rootx(), root.winfo_rooty()
    return grab_screen((x, y, x + root.winfo_width(), y + root.winfo_height()))


@contextmanager
def observed_window(root: tk.Tk, *, lang: str = "en", poll: bool = True
                    ) -> Iterator[tuple[gui.ObserverWindow, smtp_observer.ObserverServer]]:
    """The real window fed by the real server on a free loopback port."""
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(
        smtp_observer.ServerConfig(host="127.0.0.1", port=0, hostname="observer.test"), events)
    try:
        # The Scenarios menu acts on this server, as in smtp_observer.run_window.
        window = gui.ObserverWindow(root, events, lang=lang, poll=poll,
                                    set_scenarios=server.set_scenarios)
        try:
            yield window, server
        finally:
            window.shutdown()
    finally:
        server.stop()


def send(port: int, message: bytes, *, sender: str = "student@example.com",
         recipients: tuple[str, ...] = ("teacher@example.com",)) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="lab-pc", timeout=10) as client:
        client.sendmail(sender, list(recipients), message)


def send_homework(port: int, count: int, body: str = "正文。\r\n") -> None:
    """``count`` small mails with gb2312 subjects 作业 0, 作业 1..., as a class sends them."""
    for number in range(count):
        send(port, messages.gb2312_text_message(f"作业 {number}", body))


def rows_in_view(tree: Any) -> int:
    """How many rows of a Treeview are on screen now."""
    tree.update()
    return sum(1 for row in tree.get_children() if tree.bbox(row))


def dialogue_line_number(window: gui.ObserverWindow, text: str) -> int:
    """The number of the first dialogue line that ends with ``text`` (its clock left out)."""
    lines = window.dialogue_text.get("1.0", "end-1c").split("\n")
    return next(number for number, line in enumerate(lines, 1) if line.endswith(text))


def pictures_shown(window: gui.ObserverWindow) -> bool:
    """True once every picture of the shown message has been scaled and put on screen."""
    cards = [card for card in window.message_pane.attachment_cards if card.wants_thumbnail]
    return bool(cards) and all(card.photo is not None for card in cards)


def pictures_fitted(window: gui.ObserverWindow) -> bool:
    """True once every picture of the shown message is on screen at the size the attachment
    area has now: the area has its size (Win32 Tk may give it after the first pictures were
    scaled), no re-fit is waiting for a sash to stop, and each picture fills its box as far
    as its aspect lets it (thumbnails never enlarge a picture)."""
    pane = window.message_pane
    box = pane._current_thumbnail_box()
    if box is None or pane._refit_id is not None or not pictures_shown(window):
        return False
    return all(_fills(card.photo, card.attachment.image, box)
               for card in pane.attachment_cards if card.wants_thumbnail)


def _fills(photo: Any, image: Any, box: tuple[int, int]) -> bool:
    """True if ``photo``, a thumbnail of ``image``, is as large as ``box`` lets it be."""
    most_width, most_height = min(box[0], image.width), min(box[1], image.height)
    width, height = photo.width(), photo.height()
    return width <= most_width and height <= most_height and (
        width == most_width or height == most_height)


def show_seed_message(root: tk.Tk, window: gui.ObserverWindow, port: int) -> None:
    """Send the seed-like Outlook message and wait until its picture is on screen, fitted
    to the attachment area's settled size."""
    send(port, messages.outlook_seed_message(), sender=messages.SEED_FROM,
         recipients=(messages.SEED_TO,))
    if not wait_until(root, lambda: pictures_fitted(window), timeout=10):
        raise AssertionError("the attachment's picture was not fitted to its area within 10 s")


# --------------------------------------------------------------------------------------------
# Helpers for tests that drive the window with events


def feed(window: gui.ObserverWindow, events: queue.Queue, *items) -> None:
    for item in items:
        events.put(item)
    while window.pump():
        pass
    window.root.update()


def pump_until(window: gui.ObserverWindow, condition: Callable[[], object]) -> bool:
    """Drain the window's queues (it does not poll by itself here) until ``condition()``."""
    def pumped_then_checked() -> bool:
        window.pump()
        return bool(condition())

    return wait_until(window.root, pumped_then_checked)


def text_of(widget: tk.Text) -> str:
    return widget.get("1.0", "end-1c")


def dialogue_lines(window: gui.ObserverWindow) -> list[str]:
    """The dialogue without its clocks and times since the session began."""
    prefix_width = len(gui.dialogue_prefix(gui.format_clock(0), None))
    return [line[prefix_width:] for line in text_of(window.dialogue_text).splitlines()]


def tagged(widget: tk.Text, tag: str) -> list[str]:
    ranges = widget.tag_ranges(tag)
    return [widget.get(start, end).rstrip("\n")
            for start, end in zip(ranges[::2], ranges[1::2], strict=True)]
