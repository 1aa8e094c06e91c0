"""The window's received mail: ``MessageStore`` holds the messages within a memory budget (no
Tk: tested without a display) and ``MessageListPane`` is the list a user sees (a row per
message, bold until shown, following the newest; search, sort, delete, a context menu).

The store keeps, for every message, what its row shows and what a search looks at, for the
whole run; the message's content (its raw bytes, decoded text and attachments) only while the
content of all the messages held stays within the budget. Past it the oldest messages'
content is released: their rows stay, marked, and their dialogue stays (the window sees to
that). Delete and Clear free what they held.

gui.py (the window) builds the pane and decides what showing a message means; this module
imports no other pane and never imports gui.
"""

from __future__ import annotations

import bisect
import sys
import tkinter as tk
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import count
from tkinter import font as tkfont
from tkinter import ttk

from events import MessageReceived
from explain import Text
from gui_widgets import COLOURS, TAG_NOTE, add_scrollbars, display_line, format_clock, format_size
from words import Labels, refusal

MIB = 1024 * 1024
M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter
LARGE_BLOCK = MIB
DEFAULT_MEMORY_LIMIT = 512 * MIB  # bytes of message content the window holds at most
SEARCH_TEXT_CHARS = 20_000  # of a message's decoded text, kept for the search for the run
SEARCH_DELAY_MS = 150  # after the last key typed: one filter for a word, not one per letter
SEARCH_WIDTH = 24  # characters of the search box
MESSAGE_LIST_ROWS = 6  # a class's mails: the newest few in view at 1366x768

TAG_NEW = "new"  # a row not shown yet (bold)
TAG_PROBLEM = "problem"  # refused, incomplete or with decoder remarks
TAG_RELEASED = "released"  # its content was released (memory limit)
RELEASED_COLOUR = "#6e7781"
SORT_ARROWS = {False: " ▲", True: " ▼"}  # ascending, descending

WORDS: dict[str, Text] = {
    "messages": Text("Messages", "邮件列表"),
    "col_number": Text("#", "序号"),
    "col_time": Text("Time", "时间"),
    "col_from": Text("From", "发件人"),
    "col_subject": Text("Subject", "主题"),
    "col_size": Text("Size", "大小"),
    "col_status": Text("Status", "状态"),
    "status_accepted": Text("accepted", "已接受"),
    "status_refused": Text("refused: {reason}", "已拒绝：{reason}"),
    "status_incomplete": Text("incomplete", "不完整"),
    "status_pop3_retrieved": Text("{status} · fetched by POP3", "{status} · 已被 POP3 取走"),
    "status_pop3_deleted": Text("{status} · deleted by POP3", "{status} · 已被 POP3 删除"),
    "status_released": Text("content released (memory limit)", "内容已释放（内存上限）"),
    "search": Text("Search:", "搜索："),
    "search_count": Text("{shown} of {total}", "{shown} / {total} 封"),
    "search_none": Text("No message matches", "没有匹配的邮件"),
    "delete_message": Text("Delete", "删除"),
    "save_listed": Text("Save as…", "另存为…"),
    "released_note": Text(
        "The content of message #{number} was released to keep the window within its memory "
        "limit ({limit}); its row and its dialogue stay. Start the observer with a larger "
        "--memory-limit to keep more mail.",
        "为了不超过窗口的内存上限（{limit}），第 {number} 封邮件的内容已被释放；它在列表中的一行"
        "和它的对话仍然保留。若要保留更多邮件，请用更大的 --memory-limit 启动观察器。"),
}
COLUMNS = ("number", "time", "from", "subject", "size", "status")
# What a column must show whole, beside its heading with a sort arrow (measured in the fonts
# of the moment, so at any DPI and zoom). From and Subject share what the pane has beyond.
COLUMN_SAMPLES = {"number": "9999", "time": "88:88:88", "from": "张三 <zhangsan@",
                  "subject": "第一次实验报告：SMTP", "size": "1023.9 KB"}
STRETCHING = ("from", "subject")
COLUMN_PADDING = 12  # pixels around a cell's text


# --------------------------------------------------------------------------------------------
# The store


def free_large_blocks_at_once() -> bool:
    """On Linux (glibc), give every block of LARGE_BLOCK bytes or more a mapping of its own,
    returned to the system when it is freed. By itself glibc raises that threshold after the
    first such block is freed (up to 32 MiB), so the next mails' bytes come from the heap and
    their room stays with the process once they are released: 30 mails with a 10 MB picture
    left the window at 450 MB with a 200 MB budget, and at 356 MB with this. Windows maps
    blocks this large by itself. True when set; call it before the mail arrives."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: the C library of a Linux process

    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK))
    except (OSError, AttributeError):  # not glibc (musl has it too, and ignores it)
        return False



def message_status(ev: MessageReceived, labels: Labels) -> str:
    if not ev.complete:
        return labels["status_incomplete"]
    if not ev.accepted:
        return labels["status_refused"].format(reason=refusal(ev, labels.lang))
    return labels["status_accepted"]


def has_problem(ev: MessageReceived) -> bool:
    """True when the message list should flag the message."""
    decoded = ev.decoded
    return not (ev.complete and ev.accepted and decoded is not None and not decoded.remarks)


def content_bytes(ev: MessageReceived) -> int:
    """About how much memory the message's content takes: its raw bytes, the decoded text
    (twice: the whole text and its pieces), the HTML and the attachments' bytes."""
    decoded = ev.decoded
    held = len(ev.raw)
    if decoded is not None:
        held += sum(sys.getsizeof(text) for text in (decoded.text, decoded.html) if text)
        held += sum(sys.getsizeof(piece.text) for piece in decoded.body)
        held += sum(len(attachment.data) for attachment in decoded.attachments)
    return held


def without_content(ev: MessageReceived) -> MessageReceived:
    """The event with neither raw bytes nor decoded form: what the dialogue and the events
    kept for Export hold of a message whose content was released or deleted."""
    return replace(ev, raw=b"", decoded=None)


def search_text(ev: MessageReceived) -> str:
    """What a search looks in, case-folded: subject, sender, recipients (of the headers and the
    envelope), attachment names and the start of the decoded text."""
    decoded = ev.decoded
    fields = [ev.envelope.mail_from, *ev.envelope.rcpt_to]
    if decoded is not None:
        fields += [decoded.subject, decoded.from_, decoded.to, decoded.cc,
                   *(attachment.filename for attachment in decoded.attachments),
                   (decoded.text or "")[:SEARCH_TEXT_CHARS]]
    return "\n".join(field for field in fields if field).casefold()


@dataclass(slots=True, eq=False)
class ListedMessage:
    """One message of the list: what its row shows and a search finds (kept for the run),
    and its event with the content until that is released."""

    key: int  # the row's own number: unique in the window even when a recording repeats one
    number: int
    session: int
    time: float
    sender: str
    subject: str
    size: int
    status: str  # accepted, refused: why, incomplete (in the window's language)
    problem: bool
    searched: str
    event: MessageReceived | None  # None once its content is released
    held: int  # content_bytes() of the event while it is held
    pop3_fate: str | None = None  # a label key: fetched or deleted by a POP3 client

    @property
    def released(self) -> bool:
        return self.event is None


class MessageStore:
    """The window's messages, oldest first, holding at most ``budget`` bytes of content
    (content_bytes) beside the newest message, which is always held whole."""

    def __init__(self, labels: Labels, budget: int = DEFAULT_MEMORY_LIMIT) -> None:
        self.labels = labels
        self.budget = budget
        self.bytes_held = 0
        self._messages: dict[int, ListedMessage] = {}  # by key, oldest first
        self._keys = count(1)

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[ListedMessage]:
        return iter(list(self._messages.values()))

    def add(self, ev: MessageReceived) -> tuple[ListedMessage, list[ListedMessage]]:
        """Keep ``ev``; the new entry, and the older ones whose content was released for it."""
        decoded = ev.decoded
        sender = (decoded.from_ if decoded is not None else None) or ev.envelope.mail_from
        listed = ListedMessage(
            next(self._keys), ev.number, ev.session, ev.time, sender,
            (decoded.subject if decoded is not None else None) or "", len(ev.raw),
            message_status(ev, self.labels), has_problem(ev), search_text(ev), ev,
            content_bytes(ev))
        self._messages[listed.key] = listed
        self.bytes_held += listed.held
        return listed, self._release_oldest()

    def _release_oldest(self) -> list[ListedMessage]:
        released = []
        held = (listed for listed in list(self._messages.values())[:-1] if not listed.released)
        while self.bytes_held > self.budget:
            oldest = next(held, None)
            if oldest is None:  # only the newest is left: a message is never cut
                break
            self._drop_content(oldest)
            released.append(oldest)
        return released

    def _drop_content(self, listed: ListedMessage) -> None:
        self.bytes_held -= listed.held
        listed.event, listed.held = None, 0

    def get(self, key: int) -> ListedMessage | None:
        return self._messages.get(key)

    def newest(self) -> ListedMessage | None:
        return self._messages[next(reversed(self._messages))] if self._messages else None

    def find(self, session: int, number: int) -> ListedMessage | None:
        """The message ``number`` of ``session`` (the message a dialogue line tells of)."""
        return next((listed for listed in reversed(self._messages.values())
                     if listed.number == number and listed.session == session), None)

    def delete(self, key: int) -> ListedMessage | None:
        listed = self._messages.pop(key, None)
        if listed is not None:
            self._drop_content(listed)
        return listed

    def clear(self) -> None:
        self._messages.clear()
        self.bytes_held = 0

    def matching(self, query: str) -> set[int]:
        """The keys of the messages whose subject, sender, recipients or text hold ``query``
        (ignoring case); every key for an empty query."""
        wanted = query.strip().casefold()
        return {key for key, listed in self._messages.items() if wanted in listed.searched}

    def status_text(self, listed: ListedMessage) -> str:
        """The Status column: how it arrived and what POP3 did with it, or that its content
        was released (the row's grey says it too)."""
        if listed.released:
            return self.labels["status_released"]
        if listed.pop3_fate is not None:
            return self.labels[listed.pop3_fate].format(status=listed.status)
        return listed.status


@dataclass(frozen=True, slots=True)
class _Reversed:
    """A sort key that orders the other way round (for bisect in a descending list)."""

    value: object

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value


def sort_key(column: str, store: MessageStore) -> Callable[[ListedMessage], object]:
    """What the rows are sorted by for ``column``: what it shows (the status as shown)."""
    return {"number": lambda listed: (listed.number, listed.key),
            "time": lambda listed: (listed.time, listed.key),
            "from": lambda listed: listed.sender.casefold(),
            "subject": lambda listed: listed.subject.casefold(),
            "size": lambda listed: listed.size,
            "status": store.status_text}[column]


# --------------------------------------------------------------------------------------------
# The pane


class MessageListPane:
    """The message list: a search box over a table of the store's messages, sortable by each
    column. New rows are bold until shown; while the newest message is the one chosen (or none
    is), the list follows each new one.

    It calls ``on_select(listed)`` when the user chooses a row, ``on_delete(listed)`` for the
    Delete key or the context menu's Delete and ``on_save(listed)`` for its Save. Holds no
    reference to the window (weak callbacks, as DialoguePane).
    """

    def __init__(self, parent: tk.Misc, labels: Labels, store: MessageStore,
                 bold_font: tkfont.Font, *,
                 on_select: Callable[[ListedMessage], None],
                 on_delete: Callable[[ListedMessage], None],
                 on_save: Callable[[ListedMessage], None]) -> None:
        self.labels = labels
        self.store = store
        self._callbacks = {name: weakref.WeakMethod(method) for name, method in
                           (("select", on_select), ("delete", on_delete), ("save", on_save))}
        self.following = True
        self._sorted_by: tuple[str, bool] | None = None  # column, descending
        self._query: str | None = None  # what the search box looks for, case-folded
        self._shown_keys: set[int] | None = None  # the messages it finds; None: no search
        self._search_id: str | None = None
        self.frame = ttk.Labelframe(parent, padding=2)
        # The search box sits in the frame's title line: every pixel of height goes to rows.
        self.frame.configure(labelwidget=self._build_search(self.frame))
        table = ttk.Frame(self.frame)
        self.tree = self._build_tree(table, bold_font)
        self.fit_columns()
        # Size and Status stay reachable when the column is narrow (a 125 % laptop).
        add_scrollbars(table, self.tree, horizontal=True)
        table.pack(fill="both", expand=True)
        self.menu = tk.Menu(self.tree, tearoff=False)
        self.menu.add_command(label=labels["save_listed"], command=self._save_selected)
        self.menu.add_command(label=labels["delete_message"], accelerator="Delete",
                              command=self.delete_selected)

    def _build_search(self, parent: tk.Misc) -> ttk.Frame:
        """The title line: "Messages", the search box and how many rows it finds."""
        bar = ttk.Frame(parent)
        ttk.Label(bar, text=self.labels["messages"]).pack(side="left")
        ttk.Label(bar, text=self.labels["search"]).pack(side="left", padx=(16, 4))
        self.search_entry = ttk.Entry(bar, width=SEARCH_WIDTH)
        self.search_entry.pack(side="left")
        self.count_label = ttk.Label(bar)
        self.count_label.pack(side="left", padx=(8, 0))
        # Bindings, not a variable trace: Tk forgets them with the entry, while a trace would
        # keep this pane, and through it the root, alive after the window is destroyed.
        for typed in ("<KeyRelease>", "<<Paste>>", "<<Cut>>"):
            self.search_entry.bind(typed, lambda _e: self._search_soon(), add=True)
        self.search_entry.bind("<Escape>", lambda _e: self.search(""))
        self.search_entry.bind("<Return>", lambda _e: self.search_now())
        return bar

    def _build_tree(self, parent: tk.Misc, bold_font: tkfont.Font) -> ttk.Treeview:
        tree = ttk.Treeview(parent, columns=COLUMNS, show="headings",
                            height=MESSAGE_LIST_ROWS, selectmode="browse")
        for column in COLUMNS:
            tree.heading(column, text=self.labels[f"col_{column}"], anchor="w",
                         command=lambda column=column: self.sort_by(column))
            tree.column(column, stretch=column in STRETCHING)
        tree.tag_configure(TAG_PROBLEM, foreground=COLOURS[TAG_NOTE])
        tree.tag_configure(TAG_RELEASED, foreground=RELEASED_COLOUR)
        tree.tag_configure(TAG_NEW, font=bold_font)
        tree.bind("<<TreeviewSelect>>", self._on_selected)
        tree.bind("<Delete>", lambda _e: self.delete_selected())
        for button in ("<Button-3>", "<Button-2>" if sys.platform == "darwin" else None):
            if button:
                tree.bind(button, self._open_menu)
        return tree

    def fit_columns(self) -> None:
        """Widths for the fonts as they are now (again after a zoom): no heading clipped, and
        a number, time, size and status whole."""
        heading = tkfont.nametofont("TkHeadingFont", self.tree)
        cell = tkfont.nametofont("TkDefaultFont", self.tree)
        samples = {**COLUMN_SAMPLES, "status": max(
            (self.labels["status_pop3_retrieved"].format(status=self.labels["status_accepted"]),
             self.labels["status_released"]), key=cell.measure)}
        for column in COLUMNS:
            width = COLUMN_PADDING + max(
                heading.measure(self.labels[f"col_{column}"] + SORT_ARROWS[True]),
                cell.measure(samples[column]))
            self.tree.column(column, width=width, minwidth=min(width, 4 * COLUMN_PADDING))

    # ---- rows

    def _values(self, listed: ListedMessage) -> tuple[object, ...]:
        return (listed.number, format_clock(listed.time), display_line(listed.sender),
                display_line(listed.subject), format_size(listed.size),
                self.store.status_text(listed))

    def _tags(self, listed: ListedMessage, new: bool) -> tuple[str, ...]:
        return tuple(tag for tag, wanted in ((TAG_PROBLEM, listed.problem and not listed.released),
                                             (TAG_RELEASED, listed.released), (TAG_NEW, new))
                     if wanted)

    def add(self, listed: ListedMessage) -> bool:
        """A row for a new message, in its sorted place (hidden when the search does not find
        it); True when the list follows it: it is now the selected row, for the caller to show."""
        iid = str(listed.key)
        self.tree.insert("", self._sorted_index(listed), iid=iid, values=self._values(listed),
                         tags=self._tags(listed, new=not self.following))
        shown = self._query is None or self._query in listed.searched
        if shown and self._shown_keys is not None:
            self._shown_keys.add(listed.key)
        elif not shown:
            self.tree.detach(iid)
        self._show_count()
        if self.following and shown:
            self.tree.selection_set(iid)
            self.tree.see(iid)
            return True
        return False

    def _sorted_index(self, listed: ListedMessage) -> int | str:
        """Where a new row goes among the rows in view: at the end in arrival order."""
        if self._sorted_by is None:
            return "end"
        column, descending = self._sorted_by
        key = sort_key(column, self.store)
        rows = [key(self.store.get(int(iid))) for iid in self.tree.get_children()]
        if descending:
            return bisect.bisect_left([_Reversed(row) for row in rows], _Reversed(key(listed)))
        return bisect.bisect_right(rows, key(listed))

    def mark(self, listed: ListedMessage) -> None:
        """Show the row of ``listed`` again: its status (released, POP3) has changed."""
        iid = str(listed.key)
        if self.tree.exists(iid):
            new = TAG_NEW in self.tree.item(iid, "tags")
            self.tree.item(iid, values=self._values(listed), tags=self._tags(listed, new))

    def mark_seen(self, listed: ListedMessage) -> None:
        iid = str(listed.key)
        if self.tree.exists(iid):
            self.tree.item(iid, tags=self._tags(listed, new=False))

    def delete(self, listed: ListedMessage) -> None:
        """Remove its row; the row that took its place (or the one before) becomes the
        selected one when it was."""
        iid = str(listed.key)
        if not self.tree.exists(iid):
            return
        rows = self.tree.get_children()
        was_selected = iid in self.tree.selection()
        index = rows.index(iid) if iid in rows else 0
        self.tree.delete(iid)
        if self._shown_keys is not None:
            self._shown_keys.discard(listed.key)
        self._show_count()
        rows = self.tree.get_children()
        if was_selected and rows:
            self.select(self.store.get(int(rows[min(index, len(rows) - 1)])))

    def clear(self) -> None:
        self.tree.delete(*self.tree.get_children())
        self.following = True
        if self._shown_keys is not None:
            self._shown_keys = set()
        self._show_count()

    def select(self, listed: ListedMessage | None) -> None:
        """Choose the row of ``listed``, as a click does (when a search has not hidden it)."""
        if listed is not None and str(listed.key) in self.tree.get_children():
            self.tree.selection_set(str(listed.key))
            self.tree.see(str(listed.key))

    def selected(self) -> ListedMessage | None:
        selection = self.tree.selection()
        return self.store.get(int(selection[0])) if selection else None

    def shown_rows(self) -> list[ListedMessage]:
        """The messages of the rows in view (not hidden by the search), top to bottom."""
        return [self.store.get(int(iid)) for iid in self.tree.get_children()]

    def _on_selected(self, _event: tk.Event) -> None:
        listed = self.selected()
        if listed is None:
            return
        self.following = listed is self.store.newest()
        self._call("select", listed)

    def _call(self, name: str, listed: ListedMessage | None) -> None:
        method = self._callbacks[name]()
        if method is not None:
            method(listed)

    # ---- delete and the context menu

    def delete_selected(self) -> str:
        listed = self.selected()
        if listed is not None:
            self._call("delete", listed)
        return "break"

    def _save_selected(self) -> None:
        listed = self.selected()
        if listed is not None and not listed.released:
            self._call("save", listed)

    def _open_menu(self, event: tk.Event) -> None:
        iid = self.tree.identify_row(event.y)
        if not iid:
            return
        self.tree.selection_set(iid)
        self.tree.focus(iid)
        listed = self.store.get(int(iid))
        self.menu.entryconfigure(0, state="disabled" if listed.released else "normal")
        try:
            self.menu.tk_popup(event.x_root, event.y_root)
        finally:
            self.menu.grab_release()

    # ---- search and sort

    def focus_search(self) -> str:
        self.search_entry.focus_set()
        self.search_entry.select_range(0, "end")
        return "break"

    def search(self, query: str) -> None:
        """Look for ``query`` as if it had been typed in the search box."""
        self.search_entry.delete(0, "end")
        self.search_entry.insert(0, query)
        self.search_now()

    def _search_soon(self) -> None:
        if self._search_id is not None:
            self.tree.after_cancel(self._search_id)
        self._search_id = self.tree.after(SEARCH_DELAY_MS, self.search_now)

    def search_now(self) -> None:
        """Show only the rows that match the search box (all of them when it is empty)."""
        if self._search_id is not None:
            self.tree.after_cancel(self._search_id)
            self._search_id = None
        query = self.search_entry.get().strip().casefold()
        self._query = query or None
        self._shown_keys = self.store.matching(query) if query else None
        selected = self.tree.selection()
        self._lay_out()
        self._show_count()
        rows = self.tree.get_children()
        if selected and selected[0] not in rows:  # the message shown is hidden: not shown on
            self.tree.selection_remove(*selected)
            if rows:  # the first match is, or nothing
                self.tree.selection_set(rows[0])
                self.tree.see(rows[0])
            else:
                self._call("select", None)

    def sort_by(self, column: str) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        descending = self._sorted_by == (column, False)
        self._sorted_by = (column, descending)
        for name in COLUMNS:
            arrow = SORT_ARROWS[descending] if name == column else ""
            self.tree.heading(name, text=self.labels[f"col_{name}"] + arrow)
        self._lay_out()

    def _lay_out(self) -> None:
        """Put the shown rows in the sorted order and take the others out of the list (they
        stay in the tree, detached, for the next search)."""
        messages = list(self.store)
        if self._sorted_by is not None:
            column, descending = self._sorted_by
            messages.sort(key=sort_key(column, self.store), reverse=descending)
        shown = [listed for listed in messages
                 if self._shown_keys is None or listed.key in self._shown_keys]
        hidden = [str(listed.key) for listed in messages
                  if self._shown_keys is not None and listed.key not in self._shown_keys]
        if hidden:
            self.tree.detach(*hidden)
        for index, listed in enumerate(shown):
            self.tree.move(str(listed.key), "", index)
        selection = self.tree.selection()
        if selection:
            self.tree.see(selection[0])

    def _show_count(self) -> None:
        if self._shown_keys is None:
            self.count_label.configure(text="")
            return
        shown = len(self.tree.get_children())
        self.count_label.configure(text=self.labels["search_count"].format(
            shown=shown, total=len(self.store)) if shown else self.labels["search_none"])

    def close(self) -> None:
        if self._search_id is not None:
            self.tree.after_cancel(self._search_id)
            self._search_id = None
