"""What every pane of the observer's window draws with: the text tags and their colours, the
pure formatting of what Tk shows (sizes, clock times, safe display text), a read-only Text
with scrollbars and the calls that fill it, and a vertically scrolling frame.

gui.py (the window) and its panes (gui_mail.py...) import it; it imports no pane.
"""

from __future__ import annotations

import queue
import re
import time
import tkinter as tk
import weakref
from collections.abc import Iterator, Sequence
from tkinter import ttk
from typing import Any

import decoder
import gui_display

DISPLAY_LINE_LIMIT = 998  # RFC 5321 line length; Tk lays out a huge line very slowly
CONTINUATION_MARK = "↪ "  # starts the display lines a long line was split into

TAG_TIME = "time"
TAG_CLIENT = "client"
TAG_SERVER = "server"
TAG_REMARK = "remark"
# A line holding Chinese wraps by character, as Chinese text does; Tk's word wrap would break it
# only at its few ASCII spaces (leaving "1" at a line's end and "封邮件" on the next). Lines of
# English and protocol lines keep wrapping by word.
TAG_CHARACTER_WRAP = "character-wrap"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
TAG_MARKER = "marker"
TAG_ERROR = "error"
TAG_HEADER_NAME = "header_name"
TAG_NOTE = "note"
TAG_TLS = "tls"
TAG_ENCRYPTED = "encrypted"  # dialogue lines that travelled inside TLS
TAG_SELECTED = "selected"  # the dialogue line(s) the explanation panel explains

COLOURS = {
    TAG_TIME: "#8c959f",
    TAG_CLIENT: "#0b5cad",
    TAG_SERVER: "#1a7f37",
    TAG_REMARK: "#8250df",
    TAG_MARKER: "#6e7781",
    TAG_ERROR: "#cf222e",
    TAG_NOTE: "#9a6700",
    TAG_TLS: "#0a7b83",
}


# --------------------------------------------------------------------------------------------
# Pure formatting


def format_size(size: int) -> str:
    """A byte count for people: "512 B", "1.5 KB", "20.3 MB" (1024-based, as Windows shows)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


# Anchored at line starts: unanchored, the engine retried at every offset of every short line
# and took 7 ms for the 256 KB of base64 the raw view shows, on the Tk thread; now 1 ms.
_LONG_LINE = re.compile(f"^[^\\n]{{{DISPLAY_LINE_LIMIT + 1},}}", re.MULTILINE)


def _split_long_line(match: re.Match[str]) -> str:
    line = match.group()
    pieces = [line[i:i + DISPLAY_LINE_LIMIT] for i in range(0, len(line), DISPLAY_LINE_LIMIT)]
    return ("\n" + CONTINUATION_MARK).join(pieces)


def display_text(text: str) -> str:
    """Text a Tk Text widget shows well: "\\n" line ends (Tk draws "\\r" as a box), other
    control characters and U+2028/U+2029 escaped as the terminal shows them (Tk ends a string
    at a NUL and draws nothing for U+2028: what came after would be lost) and no line longer
    than DISPLAY_LINE_LIMIT (the rest goes on lines starting with CONTINUATION_MARK)."""
    text = decoder.printable_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    return _LONG_LINE.sub(_split_long_line, text)


def display_line(text: str) -> str:
    """A one-line field (a list row, a header, a file name) as the terminal shows it: CR, LF
    and every other control character escaped, so it cannot make lines of its own."""
    return decoder.printable_line(text)


# --------------------------------------------------------------------------------------------
# Widgets


def screen_of(widget: tk.Misc) -> tuple[tuple[int, int], float]:
    """The size in pixels and the DPI of the screen ``widget`` is on."""
    return ((widget.winfo_screenwidth(), widget.winfo_screenheight()),
            widget.winfo_fpixels("1i"))


def scrolled_text(parent: tk.Misc, *, horizontal: bool = False, **options: Any
                   ) -> tuple[ttk.Frame, tk.Text]:
    """A read-only Text with scrollbars in a frame."""
    frame = ttk.Frame(parent)
    text = tk.Text(frame, state="disabled", undo=False, borderwidth=0, **options)
    if options.get("wrap") == "word":
        text.tag_configure(TAG_CHARACTER_WRAP, wrap="char")
    add_scrollbars(frame, text, horizontal=horizontal)
    return frame, text


def wrap_tags(chars: str, tags: str | tuple[str, ...]) -> tuple[str, ...]:
    """The tags of a piece of text, with TAG_CHARACTER_WRAP when it holds Chinese."""
    tags = tuple(tags.split()) if isinstance(tags, str) else tags  # a str is a Tcl list
    return (*tags, TAG_CHARACTER_WRAP) if _CJK.search(chars) else tags


def add_scrollbars(frame: tk.Misc, widget: Any, *, horizontal: bool = False) -> None:
    """Grid ``widget`` (a child of ``frame``) with a vertical scrollbar, and a horizontal one
    under it, filling ``frame``."""
    vertical_bar = ttk.Scrollbar(frame, orient="vertical", command=widget.yview)
    widget.configure(yscrollcommand=vertical_bar.set)
    widget.grid(row=0, column=0, sticky="nsew")
    vertical_bar.grid(row=0, column=1, sticky="ns")
    if horizontal:
        horizontal_bar = ttk.Scrollbar(frame, orient="horizontal", command=widget.xview)
        widget.configure(xscrollcommand=horizontal_bar.set)
        horizontal_bar.grid(row=1, column=0, sticky="ew")
    frame.rowconfigure(0, weight=1)
    frame.columnconfigure(0, weight=1)


def replace_text(text: tk.Text, segments: Sequence[tuple[str, str]]) -> None:
    """Replace the content of a read-only Text with (chars, tag) pieces in one Tcl call."""
    text.configure(state="normal")
    text.delete("1.0", "end")
    if segments:
        text.insert("end", *[item for chars, tags in segments
                             for item in (chars, wrap_tags(chars, tags))])
    text.configure(state="disabled")


def append_text(text: tk.Text, chars: str) -> None:
    text.configure(state="normal")
    text.insert("end", chars)
    text.configure(state="disabled")


class ScrollableFrame:
    """A ``frame`` whose ``inner`` frame scrolls vertically (for the attachment cards).

    Not a Frame subclass, like every class here that keeps widgets: a widget object holding
    its child widgets forms a reference cycle (child.master), so the root would be freed by a
    garbage collection, on whatever thread runs it, and Tcl aborts off its own thread.
    """

    def __init__(self, parent: tk.Misc) -> None:
        self.frame = ttk.Frame(parent)
        background = ttk.Style(parent).lookup("TFrame", "background") or None
        self.canvas = tk.Canvas(self.frame, highlightthickness=0, borderwidth=0,
                                background=background)
        bar = ttk.Scrollbar(self.frame, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=bar.set)
        self.inner = ttk.Frame(self.canvas)
        window = self.canvas.create_window(0, 0, window=self.inner, anchor="nw")
        self.inner.bind("<Configure>", lambda _e: self.canvas.configure(
            scrollregion=self.canvas.bbox("all")))
        self.canvas.bind("<Configure>", lambda e: self.canvas.itemconfigure(window, width=e.width),
                         add=True)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        bar.grid(row=0, column=1, sticky="ns")
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)
        # A canvas has no wheel binding of its own, and the cards on it get the events anyway:
        # listen on the toplevel (every widget's bindtags hold it; unlike bind_all, its
        # bindings go when it is destroyed) and scroll when the pointer is over this frame.
        toplevel = self.frame.winfo_toplevel()
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):  # Windows; X11 up, down
            toplevel.bind(sequence, self._on_wheel, add=True)

    def _on_wheel(self, event: tk.Event) -> None:
        # Tk (8.6, X11 and Win32) delivers the wheel to the widget under the pointer. Asking
        # what lies under the pointer as well covers the canvas' own gaps between cards; on
        # Windows that answer is "" when another program's window is there (Wine's too).
        under = str(self.frame.tk.call("winfo", "containing", event.x_root, event.y_root))
        if not (self._holds(str(event.widget)) or self._holds(under)):
            return
        self.canvas.yview_scroll(2 * gui_display.wheel_direction(event), "units")

    def _holds(self, path: str) -> bool:
        return path == str(self.frame) or path.startswith(f"{self.frame}.")


# --------------------------------------------------------------------------------------------
# What the panes share with the window's worker thread


def current_jobs(finished: queue.Queue, generation: int) -> Iterator[Any]:
    """The jobs waiting in ``finished`` that ``generation`` asked for and that ran (each has
    ``generation`` and ``future``); jobs of an older display are dropped."""
    while True:
        try:
            job = finished.get_nowait()
        except queue.Empty:
            return
        if job.generation == generation and not job.future.cancelled():
            yield job


def call_weakly(method: weakref.WeakMethod, *args: Any) -> None:
    """Call a weakly held callback (a pane's way back to the window), unless it is gone."""
    function = method()
    if function is not None:
        function(*args)
