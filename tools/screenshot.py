"""Make the screenshots the README shows: the window after the seed-like Outlook message has
arrived through the real server, and its teaching views.

    python tools/screenshot.py [--lang zh|en] [--view VIEW] [--output PATH]
    python tools/screenshot.py --all [--lang zh|en]

VIEW is one of: window (assets/screenshot.png), explain (the explanation of the EHLO reply's
PIPELINING line, assets/explain.png), xray (the X-ray of the text part, assets/xray.png),
sequence (the sequence view of the session, assets/sequence.png), scenarios (the Scenarios
menu with each scenario's caption, assets/scenarios.png), console (the "Type SMTP" tab
after a few typed lines, assets/console.png), zoomed (the window two zoom steps larger,
assets/zoomed.png) and presentation (F11, assets/presentation.png); --all makes them all.
Without $DISPLAY it starts a private Xvfb (Linux) of the size --screen WxH (default 1366x768,
a lab PC's screen; 911x512 is what a 1366x768 screen at 150 % gives a program); on Windows
the window opens on the desktop. The message comes from tests/messages.py, the same one the screenshot test sends.
"""

from __future__ import annotations

import argparse
import os
import sys
import tkinter as tk
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import gui  # noqa: E402
from gui_fixtures import (dialogue_line_number, grab_screen, observed_window,  # noqa: E402
                          show_seed_message, virtual_display, wait_until)

ASSETS = ROOT / "assets"


def grab(root: tk.Tk, *widgets: tk.Misc | str) -> Image.Image:
    """A screenshot of the smallest rectangle that holds ``widgets`` (or Tk path names)."""
    root.update()
    boxes = []
    for widget in widgets:
        x, y, width, height = (int(root.tk.call("winfo", query, str(widget)))
                               for query in ("rootx", "rooty", "width", "height"))
        boxes.append((x, y, x + width, y + height))
    left, top = min(box[0] for box in boxes), min(box[1] for box in boxes)
    right, bottom = max(box[2] for box in boxes), max(box[3] for box in boxes)
    return grab_screen((left, top, right, bottom))


def window_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The whole window with its menu bar: X11 Tk draws that in a clone ".#..." of the menu,
    above the root, where tkinter has no widget object for it."""
    menubar_clones = [name for name in root.tk.call("winfo", "children", ".")
                      if str(name).startswith(".#")]
    return grab(root, root, *menubar_clones)


def explain_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The state strip, the dialogue with the EHLO reply selected, and its explanation (the
    left column's width of them: the strip spans the window)."""
    window.select_dialogue_line(dialogue_line_number(window, "250-PIPELINING"))
    explanation = window.explanation_text.master.master
    shot = grab(root, window.state_strip.frame, window.dialogue_tabs, explanation)
    return shot.crop((0, 0, window.dialogue_tabs.winfo_width(), shot.height))


def xray_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The X-ray tab with the gb2312 text part selected."""
    window.message_tabs.select(window.xray.frame)
    window.select_xray_row("part:1.1.1")
    wait_until(root, lambda: window.xray.summary_label.cget("text"))
    return grab(root, window.message_tabs)


def sequence_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The sequence view of the session, from its start."""
    window.dialogue_tabs.select(window.sequence_view.frame)
    canvas = window.sequence_view.canvas
    wait_until(root, lambda: canvas.find_withtag("arrow"))  # drawn once it has its size
    canvas.yview_moveto(0)
    return grab(root, window.dialogue_tabs)


def scenarios_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The Scenarios menu opened under its menu-bar entry, each scenario with its caption, and
    the window's top left corner around it."""
    menu = window.scenario_menu
    menu.post(root.winfo_rootx() + 40, root.winfo_rooty())
    try:
        wait_until(root, menu.winfo_ismapped)
        left, top = root.winfo_rootx(), root.winfo_rooty()
        right = max(menu.winfo_rootx() + menu.winfo_width(), left + 400)
        bottom = menu.winfo_rooty() + menu.winfo_height()
        root.update()
        return grab_screen((left, top, right + 8, bottom + 8))
    finally:
        menu.unpost()


def console_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The whole window with the "Type SMTP" tab after a few typed lines and a mistake."""
    pane = window.console
    window.dialogue_tabs.select(pane.frame)
    pane.connect_button.invoke()
    wait_until(root, lambda: pane.connected and not pane._waiting, timeout=10)
    for line in ("EHLO ideaPC", "MAIL FROM: <alice@127.0.0.1>", "RCPT TO:bob@127.0.0.1", "DATA"):
        pane.entry.insert(0, line)
        pane.send_typed()
        wait_until(root, lambda: not pane._waiting, timeout=10)
    pane.entry.insert(0, "Subject: =?gb2312?B?xPq6ww==?=")
    return window_view(root, window)


def zoomed_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """The window two zoom steps larger (Ctrl+plus twice), as read from the back row."""
    window.zoom.zoom(2)
    root.update()
    return window_view(root, window)


def presentation_view(root: tk.Tk, window: gui.ObserverWindow) -> Image.Image:
    """Presentation mode (F11): the dialogue, its explanation and the sequence view, large,
    with the EHLO reply's PIPELINING line explained."""
    window.presentation.toggle()
    root.update()
    window.select_dialogue_line(dialogue_line_number(window, "250-PIPELINING"))
    root.update()
    return window_view(root, window)


VIEWS: dict[str, tuple[Callable[[tk.Tk, gui.ObserverWindow], Image.Image], str]] = {
    "window": (window_view, "screenshot.png"),
    "explain": (explain_view, "explain.png"),
    "xray": (xray_view, "xray.png"),
    "sequence": (sequence_view, "sequence.png"),
    "scenarios": (scenarios_view, "scenarios.png"),
    "console": (console_view, "console.png"),
    "zoomed": (zoomed_view, "zoomed.png"),
    "presentation": (presentation_view, "presentation.png"),
}


def take_screenshot(view: str, output: Path, lang: str) -> None:
    """Open the window at the lab PCs' size, send it the seed message, and save ``view``."""
    make, _ = VIEWS[view]
    root = tk.Tk()
    try:
        with observed_window(root, lang=lang) as (window, server):
            show_seed_message(root, window, server.port)
            wait_until(root, lambda: window.counts_label.cget("text").endswith("1"))
            output.parent.mkdir(parents=True, exist_ok=True)
            make(root, window).save(output)
    finally:
        root.destroy()
    print(f"wrote {output}")


def screen_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WxH: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("zh", "en"), default="zh",
                        help="labels of the window (default: zh, as the lab PCs show)")
    parser.add_argument("--view", choices=tuple(VIEWS), default="window",
                        help="what to show (default: the whole window)")
    parser.add_argument("--output", type=Path, help="where to save it (default: in assets/)")
    parser.add_argument("--all", action="store_true", help="make every view, in assets/")
    parser.add_argument("--screen", default="1366x768", type=screen_size,
                        help="the private Xvfb's size WxH (default: 1366x768, a lab PC's)")
    args = parser.parse_args(argv)
    if args.all and args.output:
        parser.error("--all writes to assets/; leave out --output")
    views = tuple(VIEWS) if args.all else (args.view,)
    with ExitStack() as stack:
        if not os.environ.get("DISPLAY") and sys.platform != "win32":
            stack.enter_context(virtual_display(args.screen))
        for view in views:
            take_screenshot(view, args.output or ASSETS / VIEWS[view][1], args.lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
