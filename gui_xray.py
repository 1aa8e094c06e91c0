"""The encoding X-ray pane of the observer's window: the MIME tree and the encoded headers of
the shown message, and for the row chosen in it three panes side by side: as sent, the bytes
after transfer decoding, and the text (gui_teaching.py makes what they show).

A large part is X-rayed on the window's worker thread; ``take_results`` (the window's poll)
shows it when it is done.
"""

from __future__ import annotations

import queue
import tkinter as tk
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from tkinter import ttk
from typing import Any

import decoder
import gui_teaching
from events import MessageReceived
from gui_teaching import XrayPanes, XrayRow
from gui_widgets import (COLOURS, TAG_NOTE, call_weakly, current_jobs, display_line, display_text,
                         replace_text, scrolled_text)
from words import Labels

XRAY_WORKER_THRESHOLD = 256 * 1024  # encoded bytes; a larger part is X-rayed on the worker


@dataclass(frozen=True, slots=True)
class _PartXray:
    """A finished X-ray of a large part, handed from the worker thread to the Tk thread."""

    generation: int  # which selection in the X-ray tree asked for it; older ones are dropped
    part: Any
    future: Future


class XrayPane:
    """The X-ray of the shown message, a tab of the window's message notebook (``frame``).

    ``show`` a message, ``clear``, ``take_results`` of the worker, ``close``; ``on_tab_shown``
    when its tab comes into view. Holds no reference to the window: it reports a worker's
    failure to ``report_error`` (held weakly).
    """

    PANES = ("encoded", "octets", "text")  # the fields of gui_teaching.XrayPanes, in order

    def __init__(self, notebook: ttk.Notebook, labels: Labels, worker: ThreadPoolExecutor, *,
                 report_error: Callable[[BaseException], None]) -> None:
        self.labels = labels
        self._notebook = notebook
        self._worker = worker
        # Weak: the window holds the pane (see gui_widgets.ScrollableFrame).
        self._report_error = weakref.WeakMethod(report_error)
        self.message: MessageReceived | None = None
        self._jobs: queue.Queue[_PartXray] = queue.Queue()
        self._generation = 0
        self.frame = ttk.Frame(notebook)
        split = ttk.PanedWindow(self.frame, orient="vertical")
        split.pack(fill="both", expand=True)
        split.add(self._build_tree(split, labels), weight=1)
        split.add(self._build_panes(split), weight=2)
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._on_selected())
        self.show_note(labels["xray_hint"])

    def _build_tree(self, parent: tk.Misc, labels: Labels) -> ttk.Frame:
        frame = ttk.Frame(parent)
        # "encoding" is wide enough for its zh heading, the textbook's 内容传送编码.
        widths = {"type": 140, "charset": 135, "encoding": 95, "disposition": 80, "name": 80,
                  "sizes": 120}
        self.tree = ttk.Treeview(frame, columns=gui_teaching.XRAY_COLUMNS, height=6,
                                 selectmode="browse")
        self.tree.heading("#0", text=labels["xray_col_part"], anchor="w")
        self.tree.column("#0", width=90, minwidth=50, stretch=False)
        for column in gui_teaching.XRAY_COLUMNS:
            self.tree.heading(column, text=labels[f"xray_col_{column}"], anchor="w")
            self.tree.column(column, width=widths[column], minwidth=40, stretch=column == "name")
        vertical = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        horizontal = ttk.Scrollbar(frame, orient="horizontal", command=self.tree.xview)
        self.tree.configure(yscrollcommand=vertical.set, xscrollcommand=horizontal.set)
        self.tree.grid(row=0, column=0, sticky="nsew")
        vertical.grid(row=0, column=1, sticky="ns")
        horizontal.grid(row=1, column=0, sticky="ew")
        frame.rowconfigure(0, weight=1)
        frame.columnconfigure(0, weight=1)
        return frame

    def _build_panes(self, parent: tk.Misc) -> ttk.Frame:
        frame = ttk.Frame(parent)
        self.summary_label = ttk.Label(frame, anchor="w", justify="left",
                                       foreground=COLOURS[TAG_NOTE])
        self.summary_label.pack(fill="x", pady=(2, 2))
        # Keep the summary wrapped to the width it has, however the window is sized.
        self.summary_label.bind("<Configure>", lambda e: self.summary_label.configure(
            wraplength=max(e.width - 8, 100)))
        side_by_side = ttk.PanedWindow(frame, orient="horizontal")
        side_by_side.pack(fill="both", expand=True)
        self.titles: dict[str, ttk.Label] = {}
        self.texts: dict[str, tk.Text] = {}
        for name in self.PANES:
            box = ttk.Frame(side_by_side)
            self.titles[name] = ttk.Label(box, anchor="w", justify="left")
            self.titles[name].pack(fill="x")
            self.titles[name].bind("<Configure>", lambda e, label=self.titles[name]:
                                   label.configure(wraplength=max(e.width - 4, 60)))
            font = "TkTextFont" if name == "text" else "TkFixedFont"
            text_frame, self.texts[name] = scrolled_text(
                box, wrap="word" if name == "text" else "char", font=font, width=24, height=8)
            self.texts[name].tag_configure(TAG_NOTE, foreground=COLOURS[TAG_NOTE])
            text_frame.pack(fill="both", expand=True)
            side_by_side.add(box, weight=1)
        return frame

    def show_tree(self, rows: Sequence[XrayRow]) -> None:
        self.tree.delete(*self.tree.get_children())
        for row in rows:
            values = [display_line(value) if isinstance(value, str) else value
                      for value in row.values]
            self.tree.insert(row.parent, "end", iid=row.iid, text=display_line(row.text),
                             values=values, open=True)

    def selected(self) -> str | None:
        selection = self.tree.selection()
        return selection[0] if selection else None

    def show_panes(self, panes: XrayPanes) -> None:
        for name in self.PANES:
            pane = getattr(panes, name)
            self.titles[name].configure(text=pane.title)
            segments = [(display_text(pane.text), "")]
            if pane.note:
                segments.append(("\n" + pane.note, TAG_NOTE))
            replace_text(self.texts[name], segments)
        self.summary_label.configure(text=panes.summary)

    def show_note(self, note: str) -> None:
        """Empty panes with ``note`` above them (a hint, or "Decoding…")."""
        empty = gui_teaching.XrayPane("", "")
        self.show_panes(XrayPanes(empty, empty, empty, note))

    # ---- what the window asks of it

    @property
    def in_view(self) -> bool:
        return self._notebook.select() == str(self.frame)

    def show(self, ev: MessageReceived | None, without: str = "xray_hint") -> None:
        """The MIME tree of ``ev``; without one (None), the label ``without`` says why."""
        self.message = ev
        self._generation += 1
        decoded = ev.decoded if ev is not None else None
        if decoded is None:
            self.show_tree([])
            self.show_note(self.labels["xray_undecodable" if ev is not None else without])
            return
        self.show_tree(gui_teaching.part_rows(decoded.parts)
                       + gui_teaching.header_rows(decoded.headers, self.labels))
        self.show_note(self.labels["xray_hint"])
        if self.in_view:
            self._select_first_text_part()

    def on_tab_shown(self) -> None:
        if self.in_view and self.selected() is None:
            self._select_first_text_part()

    def clear(self) -> None:
        self.message = None
        self._generation += 1
        self.show_tree([])
        self.show_note(self.labels["xray_hint"])

    def take_results(self, _deadline: float) -> None:
        """Show the X-ray of a large part once the worker has made it (one at a time)."""
        for job in current_jobs(self._jobs, self._generation):
            error = job.future.exception()
            if error is not None:
                call_weakly(self._report_error, error)
                self.show_note("")
            else:
                self.show_panes(gui_teaching.part_panes(job.part, job.future.result(),
                                                        self.labels))

    def close(self) -> None:
        self._generation += 1  # a job still running is dropped

    def select_row(self, iid: str) -> None:
        """Select a row of the tree ("part:1.1.1", "header:2"), as a click does."""
        self.tree.selection_set(iid)
        self.tree.see(iid)

    # ---- choosing a row

    def _select_first_text_part(self) -> None:
        """Start the X-ray where a student looks first: the text a reader sees."""
        ev = self.message
        if ev is None or ev.decoded is None or not ev.decoded.parts:
            return
        parts = ev.decoded.parts
        first = next((part for part in parts if part.charset_used is not None), parts[0])
        self.select_row(gui_teaching.part_iid(first.path))

    def _on_selected(self) -> None:
        self._generation += 1
        iid, ev = self.selected(), self.message
        if iid is None or ev is None or ev.decoded is None:
            return
        kind, _, key = iid.partition(":")
        if kind == "header":
            self.show_panes(gui_teaching.header_panes(ev.decoded.headers[int(key)], self.labels))
        elif kind == "part":
            part = next(part for part in ev.decoded.parts if part.path == key)
            self._show_part(ev.raw, part)
        else:
            self.show_note(self.labels["xray_hint"])

    def _show_part(self, raw: bytes, part: Any) -> None:
        if part.encoded_size <= XRAY_WORKER_THRESHOLD:
            self.show_panes(gui_teaching.part_panes(part, decoder.part_xray(raw, part),
                                                    self.labels))
        else:  # a 15 MB picture takes tens of milliseconds to decode: not on the Tk thread
            self.show_note(self.labels["xray_loading"])
            finished = self._jobs  # the callback must not hold the pane (see gui_mail)
            future = self._worker.submit(decoder.part_xray, raw, part)
            job = _PartXray(self._generation, part, future)
            future.add_done_callback(lambda _f: finished.put(job))
