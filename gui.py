"""The observer's window: the live SMTP dialogue, the mail received, its body and pictures,
and the teaching views: each line explained, the protocol state, a sequence diagram, the
encoding X-ray and the lab scenarios.

``run(events, stop_server=...)`` opens the window; the server thread only puts events on
``events`` and this module drains the queue on the Tk thread with ``after()`` in bounded
batches. The events are those of events.py, dispatched on ``ev.event``; it never imports
smtp_observer (run as a script that module is ``__main__``).

The window is made of panes, each in a module of its own or a class here: the dialogue
(``DialoguePane``), the message shown (gui_mail.py: raw content, body, pictures,
attachments), the encoding X-ray (gui_xray.py), the sequence view; gui_menus.py makes the
menus and the Help windows, gui_display.py fits the window to the screen and zooms it. Each
pane shows, clears and closes itself; the window hands them events and loops over them. The
panes scale pictures and X-ray large parts on the window's one worker thread (decoder is
pure); only ``ImageTk.PhotoImage`` is made on the Tk thread.

Nothing received is written anywhere unless the user asks: the Save buttons, "Export
session…" (report.py writes the report) and the "open HTML" button (a temporary file, removed
when the window closes) are the only writers.

The formatting of what the widgets show is done by pure functions (the first half of this
module, and gui_teaching.py for the teaching views), so it is testable without a display;
``ObserverWindow`` only puts their results into widgets.
"""

from __future__ import annotations

import codecs
import logging
import os
import queue
import signal
import sys
import tempfile
import threading
import time
import tkinter as tk
import traceback
import weakref
import webbrowser
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from tkinter import filedialog, messagebox, ttk
from tkinter import font as tkfont
from typing import Any


import explain
from events import (POP3_OK, POP3_STATES, PROTOCOL_POP3, PROTOCOL_SMTP, CommandReceived,
                    Connected, Disconnected, Listening, MessageReceived, ServerEvent, states_of)
from explain import Text, detect_language
import gui_console
import gui_display
import gui_list
import gui_mail
import gui_menus
import gui_teaching
import gui_xray
import html_page
import report
from gui_list import ListedMessage, message_status, without_content
from words import Labels, disconnect_reason, note_text
from gui_teaching import DialogueEntry, Explanation, SessionTrack, WireStep
from gui_widgets import (COLOURS, TAG_CHARACTER_WRAP, TAG_CLIENT, TAG_ENCRYPTED, TAG_ERROR,
                         TAG_HEADER_NAME, TAG_MARKER, TAG_NOTE, TAG_REMARK, TAG_SELECTED,
                         TAG_SERVER, TAG_TIME, TAG_TLS, display_text, format_clock, format_size, replace_text, screen_of,
                         scrolled_text, wrap_tags)

POP3_UPDATE = POP3_STATES[2]  # after QUIT in TRANSACTION: the marked messages are removed

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Limits (measured in /work/shared/docs/tk-performance.md)

POLL_INTERVAL_MS = 50
MAX_EVENTS_PER_POLL = 50
MAX_SECONDS_PER_POLL = 0.020
MAX_DIALOGUE_LINES = 10_000
DIALOGUE_TRIM_LINES = 1_000  # removed at once, so trimming happens rarely
LEFT_SHARE = 0.42  # of the window's width: the dialogue column, at first
BODY_SHARE = 0.55  # of the right column's height at least: the message, at first
EVERY_INTERFACE = ("0.0.0.0", "::")  # listening addresses that serve the whole network
STOP_SERVER_TIMEOUT = 5.0  # seconds the window waits for stop_server before it goes anyway
ELAPSED_WIDTH = 8  # columns of the dialogue's "+12.345" (seconds since the session began)

BANNER_COLOURS = {"background": "#fff3cd", "foreground": "#664d03"}
BACKGROUNDS = {TAG_ENCRYPTED: "#e3f4f1", TAG_SELECTED: "#cfe2ff"}
CURRENT_STATE_COLOURS = {"background": "#0b5cad", "foreground": "#ffffff"}
LATER_STATE_COLOURS = {"foreground": "#8c959f"}
SASH_COLOUR = "#b6bcc4"
SASH_THICKNESS = 6  # pixels
RULE_COLOURS = {"background": "#ffebe9", "foreground": "#cf222e"}

# Fonts that have Chinese glyphs, best first; without one Tk draws boxes (checked on Xvfb).
UI_FONTS = {
    # A Chinese Windows may list YaHei only under its localized name.
    "win32": ("Microsoft YaHei UI", "Microsoft YaHei", "微软雅黑"),
    "linux": ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Droid Sans Fallback"),
}
MONO_FONTS = {
    "win32": ("Consolas",),  # Tk on Windows finds CJK glyphs in a fallback font itself
    "linux": ("Noto Sans Mono CJK SC", "WenQuanYi Micro Hei Mono"),
}

# --------------------------------------------------------------------------------------------
# Labels

WORDS: dict[str, Text] = {
    "title": Text("SMTP Observer", "SMTP Observer"),
    "title_listening": Text("SMTP Observer — listening on {address}",
                            "SMTP Observer — 正在监听 {address}"),
    "title_fallback": Text("SMTP Observer — listening on {address} (port 25 unavailable)",
                           "SMTP Observer — 正在监听 {address}（25 端口不可用）"),
    "dialogue": Text("SMTP dialogue", "SMTP服务器工作日志"),
    "dialogue_pop3": Text("POP3 dialogue", "POP3服务器工作日志"),
    "clear": Text("Clear", "清空"),
    "menu_view": Text("View", "视图"),
    "zoom_in": Text("Larger text", "放大文字"),
    "zoom_out": Text("Smaller text", "缩小文字"),
    "zoom_reset": Text("Normal text size", "恢复正常大小"),
    "status_zoom": Text("Text {percent}%", "文字 {percent}%"),
    "status_starting": Text("Starting…", "正在启动…"),
    "status_listening": Text("Listening on {address}", "正在监听 {address}"),
    "status_listening_pop3": Text("SMTP on {address}, POP3 on port {pop3_port}",
                                  "SMTP：{address}，POP3：{pop3_port} 端口"),
    "pop3_fallback_banner": Text(
        "Port 110 could not be used ({reason}). POP3 listens on port {port} instead: enter this "
        "port as the incoming (POP3) server's port in the mail client.",
        "无法使用 110 端口（{reason}），POP3 已改为监听 {port} 端口：请在邮件客户端的接收服务器（POP3）"
        "设置中填写此端口。"),
    "pop3_unavailable_banner": Text(
        "POP3 is not served ({reason}): mail clients cannot fetch mail from the observer. Start "
        "it with --pop3-port and a free port.",
        "POP3 服务没有启动（{reason}）：邮件客户端无法从观察器收信。请用 --pop3-port 指定一个空闲端口"
        "重新启动。"),
    "status_idle": Text("No client connected", "没有客户端连接"),
    "status_connected": Text("Client {peer} connected", "客户端 {peer} 已连接"),
    "status_counts": Text("Connections: {connections}   Commands: {commands}   Messages: "
                          "{messages}",
                          "连接：{connections}   命令：{commands}   邮件：{messages}"),
    "fallback_banner": Text("Port 25 could not be used ({reason}). Listening on port {port} "
                            "instead: enter this port in the mail client's SMTP settings.",
                            "无法使用 25 端口（{reason}），已改为监听 {port} 端口：请在邮件客户端的 SMTP 设置中填写此端口。"),
    "every_interface_banner": Text("Listening on every network interface: anyone who can reach "
                                   "this computer can connect and send mail to the observer.",
                                   "正在所有网络接口上监听：能访问这台计算机的任何人都可以连接并向观察器发送邮件。"),
    "mark_listening": Text("Listening on {address} as {hostname}", "正在监听 {address}，主机名 {hostname}"),
    "mark_listening_pop3": Text("POP3 listening on {address}", "POP3 正在监听 {address}"),
    "mark_connect": Text("Connection #{session} from {peer}", "连接 #{session} 来自 {peer}"),
    "mark_disconnect": Text("Connection #{session} closed ({reason})",
                            "连接 #{session} 已关闭（{reason}）"),
    "mark_data": Text("Message data received: {size} as sent, still dot-stuffed",
                      "收到邮件数据：线路上传送的 {size}，仍带点填充"),
    "mark_pop3_body": Text("<message {number}: {size}, dot-stuffed>",
                           "<第 {number} 封邮件：{size}，已做点填充>"),
    "mark_data_incomplete": Text("Message data incomplete: {size} before the connection ended",
                                 "邮件数据不完整：连接断开前收到 {size}"),
    "mark_message": Text("Message #{number} ({size}): {status}", "邮件 #{number}（{size}）：{status}"),
    "error": Text("Error: {text}", "错误：{text}"),
    "unknown_event": Text("Unknown event from the server: {name}", "服务器发来未知事件：{name}"),
    "internal_error": Text("Internal error in the window: {text}", "窗口内部错误：{text}"),
    "save_failed": Text("Could not save {path}: {error}", "无法保存 {path}：{error}"),
    "html_failed": Text("Could not open the HTML in a browser: {error}", "无法在浏览器中打开 HTML：{error}"),
    "no_browser": Text("no browser could be started", "无法启动浏览器"),
    "fatal_title": Text("SMTP Observer cannot start", "SMTP Observer 无法启动"),
    **gui_mail.WORDS,
    "released_raw": Text("Content released (memory limit)", "内容已释放（内存上限）"),
    "export_without_content": Text(
        "The report of connection #{session} has the dialogue of message #{numbers} but not "
        "its content: the window no longer holds it (deleted, or released for the memory "
        "limit).",
        "连接 #{session} 的报告中有第 {numbers} 封邮件的对话，但没有它的内容：窗口已不再保存它"
        "（已删除，或因内存上限而释放）。"),
    **gui_menus.WORDS,
    **gui_teaching.WORDS,
    **gui_list.WORDS,
}
LABELS: dict[str, Labels] = {lang: Labels(WORDS, lang) for lang in explain.LANGUAGES}

# --------------------------------------------------------------------------------------------
# Language and fonts

def pick_font_family(available: Iterable[str], preferred: Sequence[str]) -> str | None:
    """The first of ``preferred`` that is installed (case-insensitive), spelled as installed."""
    installed = {family.lower(): family for family in available}
    for family in preferred:
        if family.lower() in installed:
            return installed[family.lower()]
    return None


def _platform_key() -> str:
    return "win32" if sys.platform == "win32" else "linux"


def configure_fonts(root: tk.Misc) -> None:
    """Point Tk's named fonts at CJK-capable families; keep Tk's defaults when none is there."""
    available = tkfont.families(root)
    ui_family = pick_font_family(available, UI_FONTS[_platform_key()])
    mono_family = pick_font_family(available, MONO_FONTS[_platform_key()])
    if ui_family:
        for name in ("TkDefaultFont", "TkTextFont", "TkHeadingFont", "TkMenuFont",
                     "TkCaptionFont", "TkTooltipFont"):
            tkfont.nametofont(name, root).configure(family=ui_family)
    if mono_family:
        tkfont.nametofont("TkFixedFont", root).configure(family=mono_family)


# --------------------------------------------------------------------------------------------
# Pure formatting






def reply_wire_lines(ev: ServerEvent, labels: Labels) -> list[str]:
    """A reply as it went over the wire: "S: 250-first", ..., "S: 250 last", or a POP3
    response, a retrieved message standing as one line."""
    size = getattr(ev, "body_size", None)
    body = "" if size is None else labels["mark_pop3_body"].format(
        number=ev.message_number, size=format_size(size))
    return ["S: " + line for line in ev.wire_lines(body)]


def listening_address(ev: Listening, port: int | None = None) -> str:
    """Where clients connect (to ``port``, else SMTP's): in class mode the addresses students
    type (lan.py)."""
    return ", ".join(f"{host}:{port or ev.port}" for host in ev.lan_addresses or (ev.host,))


# Each entry turns one event into (tag, text) for the dialogue; text may span lines.
_DIALOGUE_FORMATS: dict[str, Callable[[ServerEvent, Labels], tuple[str, str]]] = {
    "listening": lambda ev, t: (TAG_MARKER, "\n".join(
        [t["mark_listening"].format(address=listening_address(ev), hostname=ev.hostname)]
        + ([t["mark_listening_pop3"].format(address=listening_address(ev, ev.pop3_port))]
           if ev.pop3_port is not None else []))),
    "connect": lambda ev, t: (TAG_MARKER, t["mark_connect"].format(
        session=ev.session, peer=ev.peer)),
    "command": lambda ev, t: (TAG_CLIENT, f"C: {ev.line}"),
    "reply": lambda ev, t: (TAG_SERVER, "\n".join(reply_wire_lines(ev, t))),
    "remark": lambda ev, t: (TAG_REMARK, note_text(ev.note, t.lang)),
    "data": lambda ev, t: (TAG_MARKER, t["mark_data" if ev.complete else "mark_data_incomplete"]
                           .format(size=format_size(ev.size))),
    "message": lambda ev, t: (TAG_MARKER, t["mark_message"].format(
        number=ev.number, size=format_size(len(ev.raw)), status=message_status(ev, t))),
    "disconnect": lambda ev, t: (TAG_MARKER, t["mark_disconnect"].format(
        session=ev.session, reason=disconnect_reason(ev.reason, t.lang))),
    "tls": lambda ev, t: (TAG_TLS, t["mark_tls"].format(version=ev.version, cipher=ev.cipher)),
    "error": lambda ev, t: (TAG_ERROR, t["error"].format(text=note_text(ev.note, t.lang))),
}


@dataclass(frozen=True, slots=True)
class DialogueLine:
    clock: str  # "HH:MM:SS", or blanks of that width on the further lines of one event
    text: str
    tag: str


def dialogue_lines(ev: ServerEvent, labels: Labels) -> list[DialogueLine]:
    """The dialogue lines for one event, e.g. "C: EHLO pc" or the lines of a 250 reply."""
    formatter = _DIALOGUE_FORMATS.get(ev.event)
    if formatter is None:
        tag, text = TAG_ERROR, labels["unknown_event"].format(name=ev.event)
    else:
        tag, text = formatter(ev, labels)
    clock = format_clock(ev.time)
    lines = display_text(text).split("\n")
    return [DialogueLine(clock if i == 0 else " " * len(clock), line, tag)
            for i, line in enumerate(lines)]


def dialogue_prefix(clock: str, elapsed: float | None) -> str:
    """What comes before a dialogue line: the clock and, in a session, the seconds since the
    session began ("+0.012"); blanks of the same width on the further lines of one event."""
    shown = gui_teaching.format_elapsed(elapsed) if elapsed is not None else ""
    return f"{clock} {shown:>{ELAPSED_WIDTH}}  "












# --------------------------------------------------------------------------------------------
# Widgets






class StateStrip:
    """Where a session stands: connected → greeted → mail → rcpt → data → done, the rule a 503
    reply names, and the button that exports the session. Holds no reference to the window."""

    def __init__(self, parent: tk.Misc, labels: Labels, on_export: Callable[[], None]) -> None:
        self.labels = labels
        self.frame = ttk.Frame(parent, padding=(6, 3))
        self.session_label = ttk.Label(self.frame)
        self.session_label.pack(side="left", padx=(0, 6))
        self.state_labels: dict[str, tk.Label] = {}
        self._arrows: list[ttk.Label] = []
        self._protocol = ""
        self._show_states(PROTOCOL_SMTP)
        label = next(iter(self.state_labels.values()))
        self._plain_colours = {"background": label.cget("background"),
                               "foreground": label.cget("foreground")}
        self.rule_label = tk.Label(self.frame, padx=6, pady=1, **RULE_COLOURS)
        self.export_button = ttk.Button(self.frame, text=labels["export_session"],
                                        command=on_export, state="disabled")
        self.export_button.pack(side="right")
        self.show(None)

    def _show_states(self, protocol: str) -> None:
        """The chain of states of `protocol`: SMTP's, or AUTHORIZATION → TRANSACTION → UPDATE."""
        if protocol == self._protocol:
            return
        for widget in [*self.state_labels.values(), *self._arrows]:
            widget.destroy()
        self.state_labels.clear()
        self._arrows.clear()
        for index, state in enumerate(states_of(protocol)):
            if index:
                self._arrows.append(ttk.Label(self.frame, text="→"))
                self._arrows[-1].pack(side="left")
            label = tk.Label(self.frame, text=self.labels[f"state_{state}"], padx=6, pady=1)
            label.pack(side="left", padx=2)
            self.state_labels[state] = label
        self._protocol = protocol
        if hasattr(self, "rule_label"):  # keep the rule after the states
            self.rule_label.pack_forget()

    def show(self, session: int | None, state: str | None = None,
             broken_rule: str | None = None, at_line: bool = False,
             protocol: str = PROTOCOL_SMTP) -> None:
        """Show ``session`` in ``state`` (as of the selected line when ``at_line``)."""
        labels = self.labels
        self._show_states(protocol)
        states = states_of(protocol)
        if session is None:
            self.session_label.configure(text=labels["strip_none"])
        else:
            caption = labels["strip_session"].format(session=session)
            self.session_label.configure(
                text=f"{caption} {labels['strip_at_line']}" if at_line else caption)
        current = states.index(state) if state in states else -1
        for index, label in enumerate(self.state_labels.values()):
            colours = (CURRENT_STATE_COLOURS if index == current
                       else self._plain_colours if index < current
                       else {**self._plain_colours, **LATER_STATE_COLOURS})
            label.configure(**colours)
        if broken_rule:
            self.rule_label.configure(text=labels["strip_rule"].format(reply=broken_rule))
            self.rule_label.pack(side="left", padx=(12, 0))
        else:
            self.rule_label.pack_forget()
        self.export_button.configure(state="disabled" if session is None else "normal")


class SequenceView:
    """The sequence diagram of one session on a Canvas: the client's and the server's columns,
    one arrow per line with its size in octets, and each reply's round trip.

    Arrows only ever get added to a session, so ``show`` draws just the new ones, and draws
    everything again only for another session or width. Canvas items carry tags: "arrow",
    "label", "bytes", "time" and "rtt", plus the step's kind ("command", "reply", "data" or,
    for the line where TLS starts, "tls").
    """

    SLANT = 8  # pixels an arrow drops from sender to receiver: a line takes time to travel

    def __init__(self, parent: tk.Misc, labels: Labels) -> None:
        self.labels = labels
        self.frame = ttk.Frame(parent)
        self.canvas = tk.Canvas(self.frame, background="#ffffff", highlightthickness=0,
                                width=420, height=300)
        bar = ttk.Scrollbar(self.frame, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=bar.set)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        bar.grid(row=0, column=1, sticky="ns")
        self.frame.rowconfigure(0, weight=1)
        self.frame.columnconfigure(0, weight=1)
        self._track: SessionTrack | None = None
        self._width = 0
        self._drawn = 0
        self.fit_to_font()
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):  # Windows; X11 up, down
            self.canvas.bind(sequence, lambda event: self.canvas.yview_scroll(
                2 * gui_display.wheel_direction(event), "units"))

    def fit_to_font(self) -> None:
        """Measure the font the drawing uses (again after a zoom: the next show draws anew)."""
        font = tkfont.nametofont("TkDefaultFont", self.canvas)
        self._line_height = font.metrics("linespace")
        self._char_width = font.measure("0")
        self._time_width = font.measure(gui_teaching.format_elapsed(999.999) + "  ")
        self._rtt_width = max(font.measure(self.labels[key].format(duration="999 ms"))
                              for key in ("sequence_round_trip", "sequence_server_time"))
        self._width = 0  # the next show() draws everything at the new size

    def show(self, track: SessionTrack | None) -> None:
        """Bring the drawing up to date with ``track`` (None: no session yet)."""
        width = self.canvas.winfo_width()
        if width <= 1:  # not laid out yet; its first <Configure> brings it back here
            return
        if track is not self._track or width != self._width:
            self._start(track, width)
        if track is None:
            return
        following = self.canvas.yview()[1] >= 1.0
        new_steps = track.steps[self._drawn:gui_teaching.MAX_SEQUENCE_STEPS]
        for step in new_steps:
            self._draw_step(step, self._drawn)
            self._drawn += 1
        self._draw_end(len(track.steps))
        if new_steps and following:
            self.canvas.yview_moveto(1.0)

    def clear(self) -> None:
        """No session: the drawing says so."""
        self._start(None, self._width)

    def close(self) -> None:
        """Let go of the session drawn (its track holds the session's events)."""
        self._track = None

    @property
    def _client_x(self) -> int:
        return self._time_width + 30

    @property
    def _server_x(self) -> int:
        return max(self._width - self._rtt_width - 24, self._client_x + 120)

    def _step_y(self, index: int) -> int:
        """Where the arrow of the index-th step starts; its label sits above, its size below."""
        return (4 * self._line_height + 8) + index * (2 * self._line_height + 12)

    def _start(self, track: SessionTrack | None, width: int) -> None:
        canvas, labels = self.canvas, self.labels
        canvas.delete("all")
        self._track, self._width, self._drawn = track, width, 0
        line = self._line_height
        if track is None:
            canvas.create_text(12, 12, text=labels["sequence_empty"], anchor="nw",
                               fill=COLOURS[TAG_MARKER], tags=("note",))
            return
        canvas.create_text(12, 8, text=labels["sequence_title"].format(session=track.number),
                           anchor="nw", fill=COLOURS[TAG_MARKER])
        for x, key, colour in ((self._client_x, "sequence_client", COLOURS[TAG_CLIENT]),
                               (self._server_x, "sequence_server", COLOURS[TAG_SERVER])):
            canvas.create_text(x, 2 * line + 12, text=labels[key], anchor="s", fill=colour)
            canvas.create_line(x, 2 * line + 16, x, 2 * line + 16, fill="#afb8c1", dash=(3, 3),
                               tags=("lifeline",))

    def _draw_step(self, step: WireStep, index: int) -> None:
        canvas, kind = self.canvas, step.kind
        y = self._step_y(index)
        middle = (self._client_x + self._server_x) // 2
        if kind == "tls":  # a line across the whole diagram, so its label may be as wide
            label = gui_teaching.step_label(step, self.labels, self._width // self._char_width - 4)
            canvas.create_line(self._client_x - 24, y, self._server_x + 24, y, dash=(6, 3),
                               fill=COLOURS[TAG_TLS], width=2, tags=("tls",))
            canvas.create_text(middle, y - 3, text=label, anchor="s", fill=COLOURS[TAG_TLS],
                               tags=("label", "tls"))
            return
        label = gui_teaching.step_label(
            step, self.labels, (self._server_x - self._client_x) // self._char_width)
        reply = kind == "reply"
        colour = COLOURS[TAG_SERVER if reply else TAG_CLIENT]
        start, end = ((self._server_x, self._client_x) if reply
                      else (self._client_x, self._server_x))
        canvas.create_line(start, y, end, y + self.SLANT, arrow="last", fill=colour,
                           width=3 if kind == "data" else 1, tags=("arrow", kind))
        canvas.create_text(middle, y - 2, text=label, anchor="s", fill=colour,
                           tags=("label", kind))
        canvas.create_text(middle, y + self.SLANT // 2 + 3, text=f"{step.octets:,} B",
                           anchor="n", fill=COLOURS[TAG_TIME], tags=("bytes", kind))
        canvas.create_text(6, y, text=gui_teaching.format_elapsed(step.elapsed), anchor="w",
                           fill=COLOURS[TAG_TIME], tags=("time", kind))
        timing = gui_teaching.sequence_timing(step, self.labels)
        if timing is not None:
            canvas.create_text(self._server_x + 8, y, text=timing, anchor="w", fill=colour,
                               tags=("rtt", kind))

    def _draw_end(self, steps: int) -> None:
        """Lengthen the lifelines to the last arrow, say what was left out, set the scroll area."""
        canvas = self.canvas
        bottom = self._step_y(self._drawn)
        for lifeline in canvas.find_withtag("lifeline"):
            x, top, *_ = canvas.coords(lifeline)
            canvas.coords(lifeline, x, top, x, bottom)
        canvas.delete("capped")
        if steps > self._drawn:
            canvas.create_text(12, bottom, anchor="nw", fill=COLOURS[TAG_NOTE], tags=("capped",),
                               text=self.labels["sequence_capped"].format(
                                   shown=self._drawn, count=steps))
        canvas.configure(scrollregion=(0, 0, self._width, bottom + 2 * self._line_height))


class DialoguePane:
    """One protocol's dialogue: a Text of its C:/S: lines, each tied to the event behind it.

    Clicking a line, or Up and Down, selects an event (all of its lines) and calls
    ``on_select(pane, entry, index of the line in the event)``; Esc calls ``on_escape``. Lines are
    queued by ``add`` and inserted together by ``flush``. Holds no reference to the window.
    """

    def __init__(self, parent: tk.Misc,
                 on_select: Callable[[DialoguePane, DialogueEntry, int], None],
                 on_escape: Callable[[], None]) -> None:
        self.frame, self.text = scrolled_text(parent, wrap="word", font="TkFixedFont",
                                               width=64, height=16)
        text = self.text
        for tag, colour in COLOURS.items():
            text.tag_configure(tag, foreground=colour)
        self.fit_to_font()
        for tag, colour in BACKGROUNDS.items():
            text.tag_configure(tag, background=colour)
        text.tag_raise(TAG_SELECTED)
        text.bind("<Button-1>", self._on_click, add=True)
        text.bind("<Up>", lambda _e: self.move_selection(-1))
        text.bind("<Down>", lambda _e: self.move_selection(+1))
        text.bind("<Escape>", lambda _e: on_escape())
        # Weak: the window holds the pane, and a cycle would leave the root to a garbage
        # collection on any thread (see ScrollableFrame).
        self._on_select = weakref.WeakMethod(on_select)
        self._pending: list[str] = []  # insert() arguments: text, tags, text, tags...
        self._pending_rows: list[DialogueEntry | None] = []  # one per pending line
        # The event behind each line: rows[n - 1] is line n of the Text (None for the window's
        # own error lines); trimmed together with the Text.
        self.rows: list[DialogueEntry | None] = []
        self._follow = True  # the newest lines are in view: keep them there

    def fit_to_font(self) -> None:
        """Wrapped lines start under the text, not under the clock, at any font size."""
        indent = tkfont.nametofont("TkFixedFont", self.text).measure(dialogue_prefix("", None))
        for tag in COLOURS:
            self.text.tag_configure(tag, lmargin2=indent)

    def add(self, entry: DialogueEntry, lines: Sequence[DialogueLine]) -> None:
        for index, line in enumerate(lines):
            prefix = dialogue_prefix(line.clock, entry.elapsed if index == 0 else None)
            tags = wrap_tags(line.text, (line.tag, TAG_ENCRYPTED) if entry.encrypted
                              else line.tag)
            # Tk takes a wrapped line's wrap mode from its first character: the clock's.
            clock_tags = (TAG_TIME, TAG_CHARACTER_WRAP) if TAG_CHARACTER_WRAP in tags else TAG_TIME
            self._pending += [prefix, clock_tags, line.text + "\n", tags]
            self._pending_rows.append(entry)

    def add_error(self, message: str) -> None:
        lines = display_text(message).split("\n")
        self._pending += [dialogue_prefix(format_clock(time.time()), None), TAG_TIME,
                          "\n".join(lines) + "\n", TAG_ERROR]
        self._pending_rows += [None] * len(lines)  # the window's own lines: nothing to explain

    def flush(self) -> bool:
        """Insert the queued lines, keeping at most MAX_DIALOGUE_LINES; False when that
        trimmed the selected lines away."""
        if not self._pending:
            return True
        text = self.text
        self._follow = self._end_visible()
        text.configure(state="normal")
        text.insert("end", *self._pending)
        self._pending.clear()
        self.rows += self._pending_rows
        self._pending_rows.clear()
        lines = int(text.index("end-1c").split(".")[0])
        selection_kept = True
        if lines > MAX_DIALOGUE_LINES:
            first_kept = lines - MAX_DIALOGUE_LINES + DIALOGUE_TRIM_LINES
            had_selection = bool(text.tag_ranges(TAG_SELECTED))
            text.delete("1.0", f"{first_kept}.0")
            del self.rows[:first_kept - 1]
            selection_kept = not had_selection or bool(text.tag_ranges(TAG_SELECTED))
        text.configure(state="disabled")
        if self._follow:
            text.see("end")
        return selection_kept

    def _end_visible(self) -> bool:
        """Whether the user still looks at the newest lines (has not scrolled up).

        Not yview(): its fractions are estimates until Tk has measured every new line, and
        read 0.98 at the very end. bbox() lays out just the visible lines, so it is exact.
        """
        if not self.text.winfo_viewable():  # e.g. minimised or another tab: keep doing that
            return self._follow
        return bool(self.text.bbox("end-1c"))

    def _on_click(self, event: tk.Event) -> None:
        self.text.focus_set()  # for Up, Down and Esc
        self.select_line(int(self.text.index(f"@{event.x},{event.y}").split(".")[0]))

    def select_line(self, line: int) -> None:
        """Highlight the event shown on ``line`` (all of its lines) and report it."""
        rows = self.rows
        entry = rows[line - 1] if 1 <= line <= len(rows) else None
        if entry is None:
            return
        first, last = line, line
        while first > 1 and rows[first - 2] is entry:
            first -= 1
        while last < len(rows) and rows[last] is entry:
            last += 1
        text = self.text
        text.tag_remove(TAG_SELECTED, "1.0", "end")
        text.tag_add(TAG_SELECTED, f"{first}.0", f"{last + 1}.0")
        text.see(f"{last}.0")
        text.see(f"{first}.0")
        on_select = self._on_select()
        if on_select is not None:
            on_select(self, entry, line - first)

    def move_selection(self, step: int) -> str:
        ranges = self.text.tag_ranges(TAG_SELECTED)
        if ranges:
            edge = str(ranges[0] if step < 0 else ranges[-1])
            line = int(edge.split(".")[0]) + (step if step < 0 else 0)  # the end is "next.0"
            self.select_line(line)
        return "break"  # not the Text's own cursor movement

    def unselect(self) -> None:
        self.text.tag_remove(TAG_SELECTED, "1.0", "end")

    def follow(self) -> None:
        """Bring the newest lines into view and keep them there as more come."""
        self._follow = True
        self.text.see("end")

    def show_message(self, session: int, number: int) -> None:
        """Scroll to the line of message ``number`` of ``session`` (when it is still there)."""
        line = next((line for line, entry in enumerate(self.rows, 1)
                     if entry is not None and entry.session == session
                     and entry.event.event == "message" and entry.event.number == number), None)
        if line is not None:
            self._follow = False  # new lines must not pull it away, in view or not
            self.text.see(f"{line}.0")

    def clear(self) -> None:
        replace_text(self.text, [])
        self.rows.clear()

    def replace_event(self, old: ServerEvent, new: ServerEvent) -> None:
        """Tie the lines of ``old`` to ``new`` instead (the same event without its content)."""
        replaced: dict[int, DialogueEntry] = {}
        for index, entry in enumerate(self.rows):
            if entry is not None and entry.event is old:
                self.rows[index] = replaced.setdefault(id(entry), replace(entry, event=new))

    def close(self) -> None:
        """Drop the lines not inserted yet."""
        self._pending.clear()
        self._pending_rows.clear()


class ObserverWindow:
    """The observer's window, built into ``root``; fed by the server's event queue.

    ``poll=False`` leaves the draining to the caller (tests call ``pump()``). ``on_close`` is
    called after the window has stopped its own work when the user closes it; without it the
    root is destroyed. ``set_scenarios`` (the server's) is called with the lab scenarios the
    user ticks in the Scenarios menu; ``scenarios`` are the ones in force at the start.
    """

    def __init__(self, root: tk.Tk, events: queue.Queue, *, lang: str = "en", poll: bool = True,
                 on_close: Callable[[], None] | None = None,
                 set_scenarios: Callable[[tuple[str, ...]], None] | None = None,
                 scenarios: tuple[str, ...] = (), recording: Any = None,
                 memory_limit: int = gui_list.DEFAULT_MEMORY_LIMIT) -> None:
        self.root = root
        self.recording = recording  # a sessions.Recording this window replays, or None
        self.console: gui_console.ConsolePane | None = None
        self.lang = lang
        self.labels = LABELS[lang]
        self._events = events
        self._on_close = on_close
        self._set_scenarios = set_scenarios
        self._closed = False
        self._poll_id: str | None = None
        self._sequence_resize_id: str | None = None
        self.dialogues: dict[str, DialoguePane] = {}  # by protocol: an SMTP and a POP3 tab
        self._pop3_marked: dict[int, set[int]] = {}  # by POP3 session: messages DELE marked
        self._selected_entry: DialogueEntry | None = None
        self._tracks: dict[int, SessionTrack] = {}  # by session number, oldest first
        self._received: list[ServerEvent] = []  # every event, for exporting a session
        self.store = gui_list.MessageStore(LABELS[lang], memory_limit)
        self._shown: ListedMessage | None = None  # the message in the message view
        self._newest_to_show: ListedMessage | None = None
        self._message_session: int | None = None  # the session of the message chosen in the list
        self._counts = {"connections": 0, "commands": 0, "messages": 0}
        # Scales pictures and X-rays large parts, off the Tk thread.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="window-worker")
        self._temp_files: list[Path] = []
        self._sashes_placed = False
        self._listening: Listening | None = None
        self._tab_before_presenting: str | None = None

        root.report_callback_exception = self._report_callback_exception
        root.title(self.labels["title"])
        root.protocol("WM_DELETE_WINDOW", self._on_delete_window)
        configure_fonts(root)
        self._scenario_vars = {name: tk.BooleanVar(master=root, value=name in scenarios)
                               for name in explain.SCENARIOS}
        self._build_widgets()
        self.zoom = gui_display.FontZoom(root, [self._bold_font], self._on_zoomed)
        # Presenting: the dialogue, its explanation and the sequence view beside them.
        self.presentation = gui_display.Presentation(
            root, self.zoom, hidden=[self._right_column, self.message_pane.raw_box,
                                     self.state_strip.frame, self.status_bar, self.fallback_banner],
            added=[(self.panes, self.presentation_sequence.frame)],
            on_change=self._on_presentation)
        if recording is not None:
            gui_console.mark_recording(self, recording)
        self._update_status()
        self._show_scenarios_in_status()
        if poll:
            self._schedule_poll()

    # ---- building

    def _build_widgets(self) -> None:
        root, labels = self.root, self.labels
        first, smallest = gui_display.window_sizes(*screen_of(root))
        root.geometry("{}x{}".format(*first))
        root.minsize(*smallest)
        root.rowconfigure(2, weight=1)
        root.columnconfigure(0, weight=1)
        self._build_fonts()

        self.fallback_banner = tk.Label(root, anchor="w", justify="left", padx=8, pady=4,
                                        **BANNER_COLOURS)
        self.state_strip = StateStrip(root, labels, self.export_session)
        self.state_strip.frame.grid(row=1, column=0, sticky="ew")
        self.panes = ttk.PanedWindow(root, orient="horizontal")
        self.panes.grid(row=2, column=0, sticky="nsew", padx=4)
        left = ttk.PanedWindow(self.panes, orient="vertical")
        right = self._right_column = ttk.PanedWindow(self.panes, orient="vertical")
        self.panes.add(left, weight=1)
        self.panes.add(right, weight=1)

        left.add(self._build_dialogue_tabs(left), weight=3)
        left.add(self._build_explanation(left), weight=1)
        right.add(self._build_message_list(right), weight=1)
        right.add(self._build_message_tabs(right, left), weight=5)
        left.add(self.message_pane.raw_box, weight=2)
        self._build_status_bar()
        self._build_menu()
        self.presentation_sequence = SequenceView(self.panes, self.labels)  # added when presenting
        self.presentation_sequence.canvas.bind("<Configure>", self._on_sequence_resized, add=True)
        right.bind("<Configure>", lambda _e: self._place_first_sashes(right), add=True)

    def _place_first_sashes(self, right: ttk.PanedWindow) -> None:
        """Once the panes have their size, split them as a lesson needs, whatever the screen:
        the dialogue column LEFT_SHARE of the width; the message list its gui_list.MESSAGE_LIST_ROWS
        rows when the message under it keeps BODY_SHARE of the height, else less. After this
        the user's sashes rule (the panes' weights share out a new window size)."""
        width, height = self.panes.winfo_width(), right.winfo_height()
        if width <= 1 or height <= 1 or self._sashes_placed:
            return
        self._sashes_placed = True
        self.panes.sashpos(0, int(width * LEFT_SHARE))
        wanted = right.panes()[0]
        wanted_height = self.root.nametowidget(wanted).winfo_reqheight()
        right.sashpos(0, min(wanted_height, int(height * (1 - BODY_SHARE))))

    def _build_status_bar(self) -> None:
        labels = self.labels
        status = self.status_bar = ttk.Frame(self.root, padding=(6, 2))
        status.grid(row=3, column=0, sticky="ew")
        self.address_label = ttk.Label(status, text=labels["status_starting"])
        self.connection_label = ttk.Label(status, text=labels["status_idle"])
        self.scenario_label = ttk.Label(status)
        self.counts_label = ttk.Label(status)
        self.address_label.pack(side="left")
        ttk.Separator(status, orient="vertical").pack(side="left", fill="y", padx=10)
        self.connection_label.pack(side="left")
        ttk.Separator(status, orient="vertical").pack(side="left", fill="y", padx=10)
        self.scenario_label.pack(side="left")
        self.zoom_label = ttk.Label(status)
        self.zoom_label.pack(side="left", padx=(10, 0))
        # Beside the count of messages it empties (the list's rows are worth more at 768 px).
        self.clear_button = ttk.Button(status, text=labels["clear"], command=self.clear)
        self.clear_button.pack(side="right", padx=(8, 0))
        self.counts_label.pack(side="right")

    def _build_menu(self) -> None:
        menubar = gui_menus.build_menus(self)
        # Without the server's set_scenarios the menu could change nothing: show it disabled.
        state = "normal" if self._set_scenarios is not None else "disabled"
        for name, variable in self._scenario_vars.items():
            self.scenario_menu.add_checkbutton(
                label=explain.scenario_label(name, self.lang), variable=variable, state=state,
                command=lambda name=name: self._on_scenario_toggled(name))
        self.root.configure(menu=menubar)

    @property
    def bold_font(self) -> tkfont.Font:
        """The window's bold text font (the zoom scales it with the named fonts)."""
        return self._bold_font

    def _build_fonts(self) -> None:
        text_font = tkfont.nametofont("TkTextFont", self.root)
        self._bold_font = text_font.copy()  # kept: Tk deletes a Font's font when it is collected
        self._bold_font.configure(weight="bold")
        style = ttk.Style(self.root)
        self._fit_rows_to_font()
        # Sashes a teacher can see and grab: a wider, darker stripe between the panes.
        style.configure("TPanedwindow", background=SASH_COLOUR)
        style.configure("Sash", sashthickness=SASH_THICKNESS)

    def _fit_rows_to_font(self) -> None:
        """Treeview rows do not follow their font by themselves: set their height from it."""
        line_height = tkfont.nametofont("TkDefaultFont", self.root).metrics("linespace")
        ttk.Style(self.root).configure("Treeview", rowheight=line_height + 6)

    def _on_zoomed(self) -> None:
        """Fit what is measured from the fonts to their new size."""
        self._fit_rows_to_font()
        self.list_pane.fit_columns()
        for pane in self.dialogues.values():
            pane.fit_to_font()
        for view in (self.sequence_view, self.presentation_sequence):
            view.fit_to_font()
        self._refresh_sequence()
        self._show_zoom_in_status()

    def _on_presentation(self, presenting: bool) -> None:
        """The dialogue, not the sequence view, in the dialogue's place while presenting (the
        sequence view is beside it then); the tab the user had, after."""
        tabs = self.dialogue_tabs
        if presenting:
            self._tab_before_presenting = tabs.select()
            if tabs.select() == str(self.sequence_view.frame):
                track = self._focus_track()
                protocol = track.protocol if track is not None else PROTOCOL_SMTP
                tabs.select(self.dialogues.get(protocol, self.dialogues[PROTOCOL_SMTP]).frame)
        elif self._tab_before_presenting is not None:
            tabs.select(self._tab_before_presenting)
            self._tab_before_presenting = None
        self._refresh_sequence()

    def _show_zoom_in_status(self) -> None:
        factor = self.zoom.factor
        self.zoom_label.configure(text="" if factor == 1.0 else self.labels["status_zoom"].format(
            percent=round(factor * 100)))

    def _build_dialogue_tabs(self, parent: tk.Misc) -> ttk.Notebook:
        self.dialogue_tabs = ttk.Notebook(parent)
        for protocol, title in ((PROTOCOL_SMTP, "dialogue"), (PROTOCOL_POP3, "dialogue_pop3")):
            pane = self.dialogues[protocol] = DialoguePane(
                self.dialogue_tabs, self._on_dialogue_selected, self._resume_following)
            self.dialogue_tabs.add(pane.frame, text=self.labels[title])
        self.sequence_view = SequenceView(self.dialogue_tabs, self.labels)
        self.dialogue_tabs.add(self.sequence_view.frame, text=self.labels["sequence"])
        if self.recording is None:  # a recording has no server to type to
            self.console = gui_console.ConsolePane(self.dialogue_tabs, self)
            self.dialogue_tabs.add(self.console.frame,
                                   text=gui_console.LABELS[self.lang]["console_tab"])
        self.dialogue_tabs.bind("<<NotebookTabChanged>>", lambda _e: self._refresh_sequence())
        self.sequence_view.canvas.bind("<Configure>", self._on_sequence_resized, add=True)
        return self.dialogue_tabs

    def _build_explanation(self, parent: tk.Misc) -> ttk.Labelframe:
        box = ttk.Labelframe(parent, text=self.labels["explanation"], padding=2)
        self.show_password_button = ttk.Button(box, text=self.labels["show_password"],
                                               command=self._reveal_secret)  # packed when needed
        # By word, so that RFC numbers, commands and base64 stay whole in Chinese text too
        # (Tk breaks a run without spaces that is longer than the line by character).
        frame, self.explanation_text = scrolled_text(box, wrap="word", font="TkTextFont",
                                                      width=64, height=7)
        self.explanation_text.tag_configure(TAG_HEADER_NAME, font=self._bold_font)
        self.explanation_text.tag_configure(TAG_NOTE, foreground=COLOURS[TAG_NOTE])
        self.explanation_text.tag_configure(TAG_SELECTED, background=BACKGROUNDS[TAG_SELECTED])
        frame.pack(fill="both", expand=True)
        self._show_explanation_hint()
        return box

    def _build_message_list(self, parent: tk.Misc) -> ttk.Labelframe:
        self.list_pane = gui_list.MessageListPane(
            parent, self.labels, self.store, self._bold_font, on_select=self._on_message_selected,
            on_delete=self.delete_message, on_save=self._save_listed)
        self.message_list = self.list_pane.tree
        for key in ("<Control-f>", "<Control-F>"):
            self.root.bind(key, lambda _e: self.list_pane.focus_search(), add=True)
        return self.list_pane.frame

    def _build_message_tabs(self, parent: tk.Misc, raw_parent: tk.Misc) -> ttk.Notebook:
        """The message area: the seed's body and attachments, and the encoding X-ray."""
        self.message_tabs = ttk.Notebook(parent)
        self.message_pane = gui_mail.MessagePane(
            raw_parent, self.message_tabs, self.labels, self._worker, self._bold_font,
            save_bytes=self._save_bytes, open_html=self._open_html,
            report_error=self._report_worker_error)
        self.message_tabs.add(self.message_pane.frame, text=self.labels["message_tab"])
        self.xray = gui_xray.XrayPane(self.message_tabs, self.labels, self._worker,
                                      report_error=self._report_worker_error)
        self.message_tabs.add(self.xray.frame, text=self.labels["xray_tab"])
        self.message_tabs.bind("<<NotebookTabChanged>>", lambda _e: self.xray.on_tab_shown())
        return self.message_tabs

    # ---- the event loop

    def _poll(self) -> None:
        self._poll_id = None
        try:
            self.pump()
        finally:
            if not self._closed:
                self._schedule_poll()

    def _schedule_poll(self) -> None:
        if self._events.empty():
            self._poll_id = self.root.after(POLL_INTERVAL_MS, self._poll)
        else:  # more waiting: come back once Tk is idle (it draws and takes input first)
            self._poll_id = self.root.after_idle(self._poll)

    def pump(self, max_events: int = MAX_EVENTS_PER_POLL) -> int:
        """Handle up to ``max_events`` queued events (and finished thumbnails) once, for at most
        about MAX_SECONDS_PER_POLL; return the number of events handled."""
        deadline = time.perf_counter() + MAX_SECONDS_PER_POLL
        handled = 0
        while handled < max_events and time.perf_counter() < deadline:
            try:
                ev = self._events.get_nowait()
            except queue.Empty:
                break
            handled += 1
            try:
                self.handle_event(ev)
            except Exception as exc:  # one bad event must not stop the window
                log.exception("handling a %r event", ev.event)
                self._append_dialogue_error(self._internal_error_text(exc))
        self._flush_dialogue()
        if self._newest_to_show is not None:
            self._show_message(self._newest_to_show)
            self._newest_to_show = None
        for pane in (self.message_pane, self.xray):
            pane.take_results(deadline)
        if handled:
            self._update_status()
            self._refresh_session_views()
        return handled

    def handle_event(self, ev: ServerEvent) -> None:
        self._received.append(ev)
        entry = self._dialogue_entry(ev)
        lines = dialogue_lines(ev, self.labels)
        for pane in self._panes_for(ev):
            pane.add(entry, lines)
        handler = getattr(self, f"on_{ev.event}", None)
        if handler is not None:
            handler(ev)

    def _show_dialogue_of(self, protocol: str) -> None:
        """Bring the new connection's dialogue into view, unless the user is looking at a
        selected line or at the sequence view."""
        current = self.dialogue_tabs.select()
        showing_dialogue = any(current == str(pane.frame) for pane in self.dialogues.values())
        if self._selected_entry is None and showing_dialogue and protocol in self.dialogues:
            self.dialogue_tabs.select(self.dialogues[protocol].frame)

    def _panes_for(self, ev: ServerEvent) -> list[DialoguePane]:
        """The dialogue of the event's protocol; the server's own events go to every one."""
        if not ev.session:
            return list(self.dialogues.values())
        return [self.dialogues.get(getattr(ev, "protocol", PROTOCOL_SMTP),
                                   self.dialogues[PROTOCOL_SMTP])]

    def _dialogue_entry(self, ev: ServerEvent) -> DialogueEntry:
        """The event with its session's state, keeping the session's track up to date."""
        if not ev.session:
            return DialogueEntry(ev)
        track = self._tracks.get(ev.session)
        if track is None:  # normally at "connect"; later after a Clear in mid-session
            track = self._tracks[ev.session] = SessionTrack(ev.session, ev.time,
                                                            getattr(ev, "protocol", PROTOCOL_SMTP))
        return track.add(ev)

    # ---- event handlers (the dialogue line is already queued by handle_event)

    def on_listening(self, ev: Listening) -> None:
        self._listening = ev
        for name, variable in self._scenario_vars.items():  # what the server really has
            variable.set(name in ev.scenarios)
        self._show_scenarios_in_status()
        address = listening_address(ev)
        status = "status_listening" if ev.pop3_port is None else "status_listening_pop3"
        self.address_label.configure(text=self.labels[status].format(address=address,
                                                                     pop3_port=ev.pop3_port))
        title = "title_listening" if ev.fallback_reason is None else "title_fallback"
        self.root.title(self.labels[title].format(address=address))
        banners = []
        if ev.fallback_reason is not None:
            banners.append(self.labels["fallback_banner"].format(
                reason=note_text(ev.fallback_reason, self.lang), port=ev.port))
        if ev.pop3_fallback_reason is not None:
            banners.append(self.labels["pop3_fallback_banner"].format(
                reason=note_text(ev.pop3_fallback_reason, self.lang), port=ev.pop3_port))
        if ev.pop3_unavailable is not None:
            banners.append(self.labels["pop3_unavailable_banner"].format(
                reason=note_text(ev.pop3_unavailable, self.lang)))
        if ev.host in EVERY_INTERFACE:
            banners.append(self.labels["every_interface_banner"])
        if banners:
            self.fallback_banner.configure(text="\n".join(banners))
            self.fallback_banner.grid(row=0, column=0, sticky="ew")

    def on_connect(self, ev: Connected) -> None:
        self._counts["connections"] += 1
        self._show_dialogue_of(ev.protocol)
        self.connection_label.configure(text=self.labels["status_connected"].format(peer=ev.peer))

    def on_command(self, ev: CommandReceived) -> None:
        self._counts["commands"] += 1

    def on_disconnect(self, ev: Disconnected) -> None:
        self.connection_label.configure(text=self.labels["status_idle"])

    def on_reply(self, ev: ServerEvent) -> None:
        """A POP3 client's RETR, and QUIT after DELE, show in the message list: the mail went
        on to the client's inbox, or left the maildrop (the list keeps it)."""
        if ev.protocol != PROTOCOL_POP3 or ev.status != POP3_OK:
            return
        marked = self._pop3_marked.setdefault(ev.session, set())
        if ev.verb == "RETR":
            self._show_pop3_fate(ev.message_number, "status_pop3_retrieved")
        elif ev.verb == "DELE":
            marked.add(ev.message_number)
        elif ev.verb == "RSET":
            marked.clear()
        elif ev.verb == "QUIT" and ev.state == POP3_UPDATE:
            for number in sorted(self._pop3_marked.pop(ev.session)):
                self._show_pop3_fate(number, "status_pop3_deleted")

    def _show_pop3_fate(self, number: int | None, key: str) -> None:
        listed = next((listed for listed in reversed(list(self.store)) if listed.number == number),
                      None)
        if listed is not None:
            listed.pop3_fate = key
            self.list_pane.mark(listed)

    def on_message(self, ev: MessageReceived) -> None:
        self._counts["messages"] += 1
        listed, released = self.store.add(ev)
        for old in released:
            self._forget_content(old)
        if self.list_pane.add(listed):
            self._newest_to_show = listed  # shown once per batch, however many arrived

    def _forget_content(self, listed: ListedMessage) -> None:
        """After the store let go of a message's content (released or deleted): the other
        holders of its event (the dialogue, the events kept for Export) keep it without its
        content, and the views let it go, so that the memory is really freed."""
        self.list_pane.mark(listed)
        if self._newest_to_show is listed:
            self._newest_to_show = None
        if self._shown is listed:
            self._show_message(listed)  # the note instead of the content
        for index, ev in enumerate(self._received):
            if isinstance(ev, MessageReceived) and ev.session == listed.session \
                    and ev.number == listed.number and ev.raw:
                self._received[index] = emptied = without_content(ev)
                for pane in self.dialogues.values():
                    pane.replace_event(ev, emptied)
                if self._selected_entry is not None and self._selected_entry.event is ev:
                    self._selected_entry = replace(self._selected_entry, event=emptied)

    # ---- dialogue

    def _flush_dialogue(self) -> None:
        trimmed = [not pane.flush() for pane in self.dialogues.values()]
        if any(trimmed) and self._selected_entry is not None:
            self._clear_selection()  # its lines were trimmed away

    def _append_dialogue_error(self, message: str) -> None:
        self.dialogues[PROTOCOL_SMTP].add_error(message)

    def report_error(self, message: str) -> None:
        """Show a problem of the window itself (not of the server) in the dialogue."""
        self._append_dialogue_error(message)
        self._flush_dialogue()

    def _report_worker_error(self, exc: BaseException) -> None:
        self.report_error(self._internal_error_text(exc))

    def _internal_error_text(self, exc: BaseException) -> str:
        summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return self.labels["internal_error"].format(text=summary)

    def _report_callback_exception(self, exc_type: type[BaseException], exc: BaseException,
                                   tb: Any) -> None:
        log.error("error in a Tk callback", exc_info=(exc_type, exc, tb))
        self.report_error(self._internal_error_text(exc))

    def client_setup_address(self) -> tuple[str, int, int | None]:
        """The host, SMTP port and POP3 port (None: not served) a mail client on this PC is
        given (Help › Setting up a mail client); the usual ones until the server listens."""
        ev = self._listening
        if ev is None:
            return "127.0.0.1", 25, 110
        host = "127.0.0.1" if ev.host in (*EVERY_INTERFACE, "", "localhost") else ev.host
        return host, ev.port, ev.pop3_port

    # ---- status bar

    def _update_status(self) -> None:
        self.counts_label.configure(text=self.labels["status_counts"].format(**self._counts))

    def _show_scenarios_in_status(self) -> None:
        active = self.active_scenarios
        self.scenario_label.configure(
            text=self.labels["status_scenarios"].format(names=", ".join(active)) if active
            else self.labels["status_no_scenario"],
            foreground=COLOURS[TAG_NOTE] if active else "")

    # ---- lab scenarios

    @property
    def active_scenarios(self) -> tuple[str, ...]:
        return tuple(name for name, variable in self._scenario_vars.items() if variable.get())

    def _on_scenario_toggled(self, name: str) -> None:
        """Tell the server (for its next connection) and show what the scenario does."""
        if self._set_scenarios is not None:
            self._set_scenarios(self.active_scenarios)
        self._show_scenarios_in_status()
        self._clear_selection()
        active = self._scenario_vars[name].get()
        self._show_explanation(name, gui_teaching.explain_scenario(name, active, self.labels,
                                                                   self.lang))

    # ---- selecting a dialogue line and explaining it

    @property
    def dialogue_text(self) -> tk.Text:
        """The SMTP dialogue's Text (the POP3 one is self.dialogues[PROTOCOL_POP3].text)."""
        return self.dialogues[PROTOCOL_SMTP].text

    def select_dialogue_line(self, line: int, protocol: str = PROTOCOL_SMTP) -> None:
        """Select the event shown on ``line`` of a dialogue (all of its lines), explain it,
        and show its session in the state strip and the sequence view."""
        self.dialogues[protocol].select_line(line)

    def _on_dialogue_selected(self, selected: DialoguePane, entry: DialogueEntry,
                              index: int) -> None:
        for pane in self.dialogues.values():  # one selection in the window, not one per tab
            if pane is not selected:
                pane.unselect()
        self._selected_entry = entry
        self._explain_entry(entry)
        self._point_at_reply_line(entry, index)
        self._refresh_session_views()
        if entry.event.event == "message":
            self._select_message(entry.event)

    def _resume_following(self) -> None:
        """Esc: back to the newest lines and the newest session, following them again."""
        self._message_session = None
        self._clear_selection()
        for pane in self.dialogues.values():
            pane.follow()

    def _clear_selection(self) -> None:
        for pane in self.dialogues.values():
            pane.unselect()
        self._selected_entry = None
        self._show_explanation_hint()
        self._refresh_session_views()

    def _explain_entry(self, entry: DialogueEntry, *, reveal_secret: bool = False) -> None:
        first, *more = dialogue_lines(entry.event, self.labels)
        title = first.text + (" …" if more else "")  # the rest is highlighted in the dialogue
        explanation = gui_teaching.explain_entry(entry, self.labels, self.lang,
                                                 reveal_secret=reveal_secret)
        self._show_explanation(title, explanation)
        if gui_teaching.can_reveal_secret(entry) and not reveal_secret:
            self.show_password_button.pack(anchor="w", before=self.explanation_text.master)

    def _point_at_reply_line(self, entry: DialogueEntry, index: int) -> None:
        """Bring the explanation of the clicked line of a reply (an EHLO keyword) into view."""
        ev = entry.event
        if ev.event != "reply":
            return
        # The lines after a POP3 status line are its content; an SMTP reply's first line is
        # the greeting, its other lines EHLO keywords.
        lines = (ev.lines or ()) if ev.protocol == PROTOCOL_POP3 else ev.lines[1:]
        if not 0 < index <= len(lines):
            return
        text = self.explanation_text
        found = text.search(explain.keyword_heading(lines[index - 1], self.lang), "1.0",
                            stopindex="end")
        if found:
            text.tag_add(TAG_SELECTED, f"{found} linestart", f"{found} lineend")
            text.yview(f"{found} linestart")  # its whole paragraph, not just its first line

    def _reveal_secret(self) -> None:
        if self._selected_entry is not None:
            self._explain_entry(self._selected_entry, reveal_secret=True)

    def _show_explanation(self, title: str, explanation: Explanation) -> None:
        self.show_password_button.pack_forget()
        segments = [(display_text(title) + "\n", TAG_HEADER_NAME)]
        segments += [(display_text(paragraph) + "\n", "") for paragraph in explanation.paragraphs]
        segments += [(display_text(note) + "\n", TAG_NOTE) for note in explanation.notes]
        replace_text(self.explanation_text, segments)

    def _show_explanation_hint(self) -> None:
        self.show_password_button.pack_forget()
        replace_text(self.explanation_text, [(self.labels["explain_hint"], TAG_NOTE)])

    def _select_message(self, ev: MessageReceived) -> None:
        self.list_pane.select(self.store.find(ev.session, ev.number))

    # ---- the session of the selected line or message (or the newest): state strip, sequence
    # view and Export

    def _focus_track(self) -> SessionTrack | None:
        entry = self._selected_entry
        session = entry.session if entry is not None else self._message_session
        if session in self._tracks:
            return self._tracks[session]
        return self._tracks[next(reversed(self._tracks))] if self._tracks else None

    def _refresh_session_views(self) -> None:
        entry = self._selected_entry
        if entry is not None and entry.session:
            self.state_strip.show(entry.session, entry.state, entry.broken_rule, at_line=True,
                                  protocol=getattr(entry.event, "protocol", PROTOCOL_SMTP))
        else:
            track = self._focus_track()
            if track is None:
                self.state_strip.show(None)
            else:
                self.state_strip.show(track.number, track.state, track.broken_rule,
                                      protocol=track.protocol)
        self._refresh_sequence()

    def _refresh_sequence(self) -> None:
        """Draw the sequence view, only while it is the tab in view."""
        self._sequence_resize_id = None
        if self.dialogue_tabs.select() == str(self.sequence_view.frame):
            self.sequence_view.show(self._focus_track())
        if self.presentation.active:
            self.presentation_sequence.show(self._focus_track())

    def _on_sequence_resized(self, _event: tk.Event) -> None:
        """Draw again for the new width once a sash drag pauses: all 500 arrows take 25 ms."""
        self._cancel(self._sequence_resize_id)
        self._sequence_resize_id = self.root.after(100, self._refresh_sequence)

    # ---- showing one message

    def _on_message_selected(self, listed: ListedMessage | None) -> None:
        """Show the message chosen in the list; None: the search hid it and found none."""
        if listed is None:
            self._show_message(None)
            return
        if listed not in (self._shown, self._newest_to_show):
            self._show_message(listed)
        following = self.list_pane.following
        # An older message brings up its session; the newest follows the newest session.
        self._message_session = None if following else listed.session
        if not following:
            self.dialogues[PROTOCOL_SMTP].show_message(listed.session, listed.number)
        self._refresh_session_views()

    def _show_message(self, listed: ListedMessage | None) -> None:
        """Show ``listed`` in the message view: its content, or a note when that was released;
        nothing when None."""
        self._shown = listed
        if listed is None:
            self.message_pane.clear()
        elif listed.event is not None:
            self.list_pane.mark_seen(listed)
            self.message_pane.show(listed.event)
        else:
            self.list_pane.mark_seen(listed)
            self.message_pane.show_note(self.labels["released_note"].format(
                number=listed.number, limit=format_size(self.store.budget)),
                self.labels["released_raw"])
        self.xray.show(listed.event if listed is not None else None,
                       "xray_hint" if listed is None else "released_raw")

    @property
    def shown_message(self) -> MessageReceived | None:
        return self._shown.event if self._shown is not None else None

    # ---- user actions

    def _save_bytes(self, data: bytes, suggested_name: str, title: str) -> None:
        """Write ``data`` where the user chooses; the only way received mail reaches the disk."""
        path = filedialog.asksaveasfilename(parent=self.root, title=title,
                                            initialfile=suggested_name)
        if path:
            self._write_file(path, data)

    def _write_file(self, path: str, data: bytes) -> None:
        try:
            Path(path).write_bytes(data)
        except OSError as exc:
            message = self.labels["save_failed"].format(path=path, error=exc.strerror or exc)
            self.report_error(message)
            messagebox.showerror(self.labels["title"], message, parent=self.root)

    def export_session(self) -> None:
        """Write the lab report of the selected (or newest) session, as HTML or text."""
        track = self._focus_track()
        if track is None:
            return
        events = report.session_events(self._received, track.number)
        labels = self.labels
        gone = [str(ev.number) for ev in events if isinstance(ev, MessageReceived)
                and not self._holds_content(ev)]
        if gone:
            self.report_error(labels["export_without_content"].format(
                session=track.number, numbers=", ".join(gone)))
        student = gui_console.ask_student(self)
        if student is None:
            return
        path = filedialog.asksaveasfilename(
            parent=self.root, title=labels["export_title"].format(session=track.number),
            initialfile=report.report_basename(events) + ".html", defaultextension=".html",
            filetypes=[(labels["filetype_html"], "*.html"), (labels["filetype_text"], "*.txt")])
        if not path:
            return
        if path.lower().endswith(".txt"):  # as --report writes it: Notepad shows the Chinese
            data = report.notepad_text_bytes(report.session_text(events, lang=self.lang,
                                                                 student=student))
        else:
            data = report.session_html(events, lang=self.lang, student=student).encode(
                "utf-8", "backslashreplace")
        self._write_file(path, data)

    def _open_html(self) -> None:
        """Write the HTML body as a safe page (html_page.py: no script, nothing remote) to a
        temporary file (only now, on request) and open a browser."""
        ev = self.shown_message
        if ev is None or ev.decoded is None or not ev.decoded.html:
            return
        page = html_page.safe_page(ev.decoded.html,
                                   html_page.pictures_by_content_id(ev.decoded.attachments),
                                   self.lang)
        try:
            with tempfile.NamedTemporaryFile("wb", prefix="smtp-observer-", suffix=".html",
                                             delete=False) as file:
                self._temp_files.append(Path(file.name))
                # A UTF-8 BOM outranks the HTML's own <meta charset> (e.g. gb2312) in browsers.
                file.write(codecs.BOM_UTF8 + page.encode("utf-8", "replace"))
            opened = open_in_browser(Path(file.name))
        except OSError as exc:
            self._report_html_failed(exc.strerror or str(exc))
        else:
            if not opened:
                self._report_html_failed(self.labels["no_browser"])

    def _report_html_failed(self, error: str) -> None:
        message = self.labels["html_failed"].format(error=error)
        self.report_error(message)
        messagebox.showerror(self.labels["title"], message, parent=self.root)

    def delete_message(self, listed: ListedMessage) -> None:
        """Delete a message from the window (not from the POP3 maildrop: a client can still
        fetch it); its dialogue stays, without the content, as for a released message."""
        self.store.delete(listed.key)
        self.message_pane.close_windows(listed.session, listed.number)  # its pictures too
        self._forget_content(listed)
        self.list_pane.delete(listed)  # selects the row taking its place, if any
        if self._shown is listed:  # none did
            self._show_message(None)
        self._update_status()

    def _holds_content(self, ev: MessageReceived) -> bool:
        listed = self.store.find(ev.session, ev.number)
        return listed is not None and not listed.released

    def _save_listed(self, listed: ListedMessage) -> None:
        if listed.event is not None:
            self._save_bytes(listed.event.raw, f"message-{listed.number}.eml",
                             self.labels["save_message"])

    def clear(self) -> None:
        """Forget the messages, the dialogue and the sessions received so far (nothing is
        stored elsewhere)."""
        self.store.clear()
        self._newest_to_show = None
        self._message_session = None
        self._shown = None
        self.message_pane.close_windows()  # the pictures and attached mails opened from them
        for pane in self._panes():
            pane.clear()
        self._tracks.clear()
        self._received.clear()
        self._clear_selection()
        self._counts.update(connections=0, commands=0, messages=0)
        self._update_status()

    def _panes(self) -> list[Any]:
        """Every pane of the window: each clears and closes itself."""
        return [self.list_pane, *self.dialogues.values(), self.message_pane, self.xray,
                self.sequence_view, self.presentation_sequence]

    def select_xray_row(self, iid: str) -> None:
        """Select a row of the X-ray tree ("part:1.1.1", "header:2"), as a click does."""
        self.xray.select_row(iid)

    # ---- closing

    def _cancel(self, after_id: str | None) -> None:
        if after_id is not None:
            self.root.after_cancel(after_id)

    def shutdown(self) -> None:
        """Stop polling and the workers and remove temporary files; leaves the root alive."""
        if self._closed:
            return
        self._closed = True
        for after_id in (self._poll_id, self._sequence_resize_id):
            self._cancel(after_id)
        self._poll_id = self._sequence_resize_id = None
        for pane in self._panes():
            pane.close()
        self._worker.shutdown(wait=False, cancel_futures=True)
        if self.console is not None:
            self.console.close()
        # Break the cycle root -> window -> root, so that the root is freed on this thread
        # rather than by a garbage collection that may run on any thread (Tcl aborts then).
        del self.root.report_callback_exception
        for path in self._temp_files:
            try:
                path.unlink(missing_ok=True)
            except OSError:  # e.g. a browser on Windows still has it open
                log.warning("could not remove %s", path)

    def _on_delete_window(self) -> None:
        self.shutdown()
        if self._on_close is not None:
            self._on_close()
        else:
            self.root.destroy()


def open_in_browser(path: Path) -> bool:
    """Open a local HTML file with the default browser; False when none could be started.
    On Windows ShellExecute gets the path itself: it does not decode a percent-encoded
    file: URL, which fails when %TEMP% holds Chinese (the user 张三). Raises OSError."""
    if sys.platform == "win32":
        os.startfile(str(path))  # raises OSError (e.g. no program for .html)
        return True
    return webbrowser.open(path.as_uri())


# --------------------------------------------------------------------------------------------
# Entry points


class WindowUnavailable(Exception):
    """Tk cannot open a window here, e.g. no display; the caller can run headless instead."""


def run(events: queue.Queue, *, stop_server: Callable[[], None], lang: str | None = None,
        set_scenarios: Callable[[tuple[str, ...]], None] | None = None,
        scenarios: tuple[str, ...] = (), stop_signals: Sequence[int] = (signal.SIGINT,),
        recording: Any = None, memory_limit: int = gui_list.DEFAULT_MEMORY_LIMIT) -> int:
    """Show the window until the user closes it; then stop the server. Returns the exit code.
    ``set_scenarios`` and ``scenarios`` are handed to ObserverWindow (its Scenarios menu);
    ``stop_signals`` (Ctrl+C in the terminal that started the window) close it too; with
    ``recording`` (a sessions.Recording) the window replays it instead. ``memory_limit`` is
    the bytes of mail content the window holds at most (gui_list.MessageStore)."""
    gui_display.declare_dpi_awareness()
    gui_list.free_large_blocks_at_once()
    try:
        root = tk.Tk()
    except tk.TclError as error:
        raise WindowUnavailable(str(error)) from None
    closing: list[bool] = []

    def close() -> None:
        if closing:
            return
        closing.append(True)
        root.withdraw()  # looks closed at once; the server may take a moment to stop
        stopper = threading.Thread(target=_stop_logged, args=(stop_server,), name="stop-server",
                                   daemon=True)
        stopper.start()
        _destroy_when_stopped(root, stopper, time.monotonic() + STOP_SERVER_TIMEOUT)

    if recording is not None:
        gui_console.show_recording(ObserverWindow, root, recording, lang or detect_language(),
                                   on_close=close, memory_limit=memory_limit)
    else:
        ObserverWindow(root, events, lang=lang or detect_language(), on_close=close,
                       set_scenarios=set_scenarios, scenarios=scenarios,
                       memory_limit=memory_limit)
    # Ctrl+C in the terminal that started the window closes it like the close button does.
    previous_handlers = {number: signal.signal(number, lambda *_: root.after_idle(close))
                         for number in stop_signals}
    try:
        root.mainloop()
    finally:
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
    return 0


def _stop_logged(stop_server: Callable[[], None]) -> None:
    try:
        stop_server()
    except Exception:
        log.exception("stopping the server failed")


def _destroy_when_stopped(root: tk.Tk, stopper: threading.Thread, deadline: float) -> None:
    if stopper.is_alive() and time.monotonic() < deadline:
        root.after(POLL_INTERVAL_MS, _destroy_when_stopped, root, stopper, deadline)
    else:
        root.destroy()


def show_fatal(message: str, lang: str | None = None) -> None:
    """Tell the user why the observer cannot start (before any window exists)."""
    labels = LABELS[lang or detect_language()]
    gui_display.declare_dpi_awareness()
    try:
        root = tk.Tk()
    except tk.TclError:  # no display: the log is all we have
        log.error("%s", message)
        return
    root.withdraw()
    try:
        messagebox.showerror(labels["fatal_title"], message, parent=root)
    finally:
        root.destroy()
