"""The message pane of the observer's window: the mail chosen in the message list, as
received (the raw content, in the left column) and as a reader sees it (its headers, its text
with the pictures where they stand, its attachments as cards with thumbnails; an attached mail
opens in a window of its own).

Pictures are scaled on the window's worker thread and only ``ImageTk.PhotoImage`` is made on
the Tk thread: ``MessagePane.take_results`` (called by the window's poll) shows the finished
thumbnails. The formatting of what the pane shows is done by the pure functions of the first
half of this module.
"""

from __future__ import annotations

import queue
import re
import time
import tkinter as tk
import unicodedata
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from tkinter import ttk
from tkinter import font as tkfont
from typing import Any

from PIL import ImageTk

import decoder
import gui_display
from events import MessageReceived
from explain import Text
from gui_widgets import (COLOURS, TAG_ERROR, TAG_HEADER_NAME, TAG_MARKER, TAG_NOTE,
                         ScrollableFrame, append_text, call_weakly, current_jobs, display_line,
                         display_text, format_size, replace_text, screen_of, scrolled_text)
from words import Labels, pictures_said, refusal

RAW_VIEW_LIMIT = 256 * 1024  # bytes of raw content inserted at once (2-3 ms)
BODY_VIEW_LIMIT = 256 * 1024  # characters of decoded body text shown
THUMBNAIL_MAX = (800, 600)
THUMBNAIL_MAX_MANY = (400, 300)  # when a message has more pictures than MANY_PICTURES
MANY_PICTURES = 4
THUMBNAIL_MIN = (120, 90)  # never scale a picture below this to fit a tiny pane
CARD_MIN_WIDTH = 170  # pixels: the attachment area has as many columns as such cards fit
# Of the message pane's width, at first: the attachment area beside the body, so that the text
# of the mail keeps the pane's height (at 1366x768 it had 3 lines above the pictures).
ATTACHMENTS_SHARE = 0.34
ATTACHMENTS_SHARE_MANY = 0.5  # several pictures: room for two columns of them
HEADER_SEPARATOR = "    "  # between From, To, Cc and Date on their one line
PICTURE_IN_TEXT_MAX = (480, 360)  # pixels: a picture shown inside the body text
TAG_GAP = "gap"  # the thin line between the header block and the text
TAG_PICTURE = "picture"  # a picture's place in the body text, until its thumbnail is there
TAG_PICTURE_SHOWN = "picture-shown"  # a picture in the body text: a click opens it large

WORDS: dict[str, Text] = {
    "raw": Text("Received content", "接收的邮件内容"),
    "body": Text("Body", "正文"),
    "attachments": Text("Attachments", "附件"),
    "attachments_count": Text("Attachments ({count})", "附件（{count}）"),
    "save_message": Text("Save message as…", "邮件另存为…"),
    "save_attachment": Text("Save as…", "另存为…"),
    "show_all": Text("Show all ({size})", "显示全部（{size}）"),
    "raw_truncated": Text("Showing the first {shown} of {size}", "仅显示前 {shown}，共 {size}"),
    "raw_loading": Text("Loading… {percent}%", "正在加载… {percent}%"),
    "open_html": Text("Open HTML in browser", "在浏览器中打开 HTML"),
    "header_subject": Text("Subject: ", "主题："),
    "header_from": Text("From: ", "发件人："),
    "header_to": Text("To: ", "收件人："),
    "header_cc": Text("Cc: ", "抄送："),
    "header_date": Text("Date: ", "日期："),
    "envelope": Text("Envelope: MAIL FROM {mail_from} → RCPT TO {rcpt_to}",
                     "信封：MAIL FROM {mail_from} → RCPT TO {rcpt_to}"),
    "body_from_html": Text("This message has only an HTML body; it is shown here as text.",
                           "此邮件只有 HTML 正文，这里显示的是它的文本。"),
    "body_truncated": Text("… {count} more characters not shown; save the message to see all.",
                           "……还有 {count} 个字符未显示；保存邮件可查看全部。"),
    "no_text_body": Text("(no text body)", "（没有文本正文）"),
    "undecodable": Text("This message could not be decoded; its raw content is shown as "
                        "received.",
                        "无法解码此邮件；“接收的邮件内容”中显示的是收到的原文。"),
    "refused": Text("The server refused this message: {reason}", "服务器拒绝了此邮件：{reason}"),
    "incomplete": Text("The client went away before the end of the message.", "客户端在邮件结束前断开了连接。"),
    "outlook_test": Text("This is Outlook's account test message.", "这是 Outlook 的账户测试邮件。"),
    "decoder_remark": Text("Decoder: {remark}", "解码提示：{remark}"),
    "image_loading": Text("Scaling the picture…", "正在缩放图片…"),
    "image_unreadable": Text("This picture cannot be shown (broken, cut short, or too many "
                             "pixels to preview).", "无法显示此图片（已损坏、不完整或像素太多无法预览）。"),
    "picture_in_text": Text("[picture: {name}]", "［图片：{name}］"),
    "open_attached": Text("Open", "打开"),
    "open_picture_hint": Text("Click a picture to see it large (Esc closes it).",
                              "单击图片可查看大图（按 Esc 关闭）。"),
    "attached_title": Text("Attached mail: {name}", "附带的邮件：{name}"),
    "attached_tree": Text("MIME tree", "MIME 结构树"),
    "attached_decoding": Text("Decoding the attached mail…", "正在解码附带的邮件…"),
}


# --------------------------------------------------------------------------------------------
# Pure formatting


def raw_chunks(raw: bytes, size: int = RAW_VIEW_LIMIT) -> Iterator[bytes]:
    """``raw`` in pieces of at most ``size`` bytes, each ending at a line end when it can."""
    start = 0
    while start < len(raw):
        end = min(start + size, len(raw))
        if end < len(raw):
            line_end = raw.rfind(b"\n", start, end)
            if line_end >= start:
                end = line_end + 1
        yield raw[start:end]
        start = end


def raw_display_text(chunk: bytes) -> str:
    """Received bytes as text; bytes that are not UTF-8 appear as \\xNN, as in the dialogue."""
    return display_text(chunk.decode("utf-8", "backslashreplace"))


def format_addresses(addresses: Sequence[str]) -> str:
    return ", ".join(f"<{address}>" for address in addresses)


def body_segments(ev: MessageReceived, labels: Labels) -> list[tuple[str, str]]:
    """The body view of a message event as (text, tag) pieces: headers, notes, the text, then
    the decoder's remarks (at 1366x768 they pushed the text of a mail with a picture down to
    the body's eleventh line)."""
    decoded = ev.decoded
    segments = header_segments(decoded, labels) if decoded is not None else []
    envelope = labels["envelope"].format(mail_from=format_addresses([ev.envelope.mail_from]),
                                         rcpt_to=format_addresses(ev.envelope.rcpt_to))
    segments.append((envelope + "\n", TAG_MARKER))
    segments += [(f"• {note}\n", TAG_NOTE) for note in message_notes(ev, labels)]
    segments.append(("\n", TAG_GAP))
    segments += _body_text_segments(decoded, labels)
    remarks = decoder_notes(decoded, labels)
    if remarks:
        segments.append(("\n\n", ""))
        segments += [(f"• {remark}\n", TAG_NOTE) for remark in remarks]
    return segments


def header_segments(decoded: Any, labels: Labels) -> list[tuple[str, str]]:
    """Subject, Date, From, To and Cc of a decoded message, as body-view pieces in two
    (wrapped) lines, Subject and Date, then From, To and Cc: the mail's text starts high in
    the view."""
    segments: list[tuple[str, str]] = []
    for line in ((("header_subject", decoded.subject), ("header_date", decoded.date)),
                 (("header_from", decoded.from_), ("header_to", decoded.to),
                  ("header_cc", decoded.cc))):
        fields = [(key, value) for key, value in line if value]
        for index, (key, value) in enumerate(fields, 1):
            end = "\n" if index == len(fields) else HEADER_SEPARATOR
            segments += [(labels[key], TAG_HEADER_NAME),
                         (display_text(display_line(value)) + end, "")]
    return segments


def picture_tag(part: str) -> str:
    """The Text tag that marks where the picture of MIME part `part` stands in the body."""
    return f"picture-{part}"


def message_notes(ev: MessageReceived, labels: Labels) -> list[str]:
    """What a student should notice about a message before reading it."""
    notes = []
    if not ev.complete:
        notes.append(labels["incomplete"])
    elif not ev.accepted:
        notes.append(labels["refused"].format(reason=refusal(ev, labels.lang)))
    decoded = ev.decoded
    if decoded is None:
        notes.append(labels["undecodable"])
        return notes
    if decoded.outlook_test:
        notes.append(labels["outlook_test"])
    if decoded.text_from_html:
        notes.append(labels["body_from_html"])
    return notes


def decoder_notes(decoded: Any, labels: Labels) -> list[str]:
    """What the decoder remarked (repairs, guesses): shown after the mail's text."""
    if decoded is None:
        return []
    return [labels["decoder_remark"].format(remark=remark)
            for remark in decoded.remark_texts(labels.lang)]


def _body_text_segments(decoded: Any, labels: Labels) -> list[tuple[str, str]]:
    if decoded is None:
        return []
    if any(piece.kind == "picture" for piece in decoded.body):
        return _body_piece_segments(decoded, labels)
    if not decoded.text:
        return [(labels["no_text_body"], TAG_MARKER)]
    shown = decoded.text[:BODY_VIEW_LIMIT]
    segments = [(display_text(pictures_said(shown, labels.lang)), "")]
    hidden = len(decoded.text) - len(shown)
    if hidden:
        segments.append(("\n" + labels["body_truncated"].format(count=hidden), TAG_NOTE))
    return segments


def _body_piece_segments(decoded: Any, labels: Labels) -> list[tuple[str, str]]:
    """The texts of the body with a marked place for each picture between them, where its
    thumbnail goes (see `picture_tag`), within BODY_VIEW_LIMIT characters."""
    names = {attachment.part: attachment.filename for attachment in decoded.attachments}
    segments: list[tuple[str, str]] = []
    room = BODY_VIEW_LIMIT
    for piece in decoded.body:
        if piece.kind == "picture":
            marker = labels["picture_in_text"].format(name=names.get(piece.part, piece.part))
            segments += [(marker, f"{TAG_PICTURE} {picture_tag(piece.part)}"), ("\n\n", "")]
            continue
        text = piece.text.rstrip("\n")
        segments.append((display_text(pictures_said(text[:room], labels.lang)) + "\n\n", ""))
        room -= min(room, len(text))
        if room == 0:
            segments.append((labels["body_truncated"].format(count=len(text)), TAG_NOTE))
            break
    return segments


def show_picture_in_text(text: tk.Text, part: str, photo: ImageTk.PhotoImage) -> bool:
    """Put `photo` where the picture of `part` is marked in `text`; False if it is not marked."""
    marked = text.tag_ranges(picture_tag(part))
    if not marked:
        return False
    text.configure(state="normal")
    text.delete(marked[0], marked[1])
    text.image_create(marked[0], image=photo, padx=2, pady=4)
    for tag in (TAG_PICTURE_SHOWN, picture_tag(part)):  # a click on it opens it large
        text.tag_add(tag, marked[0])
    text.configure(state="disabled")
    return True


def picture_in_text_box(text: tk.Text) -> tuple[int, int]:
    """The box a picture inside a body text is scaled into: small enough that the lines
    around it stay in view (at 1366x768 the body shows a handful of lines), within limits."""
    width = max(THUMBNAIL_MIN[0], min(PICTURE_IN_TEXT_MAX[0], text.winfo_width() - 40))
    height = max(THUMBNAIL_MIN[1], min(PICTURE_IN_TEXT_MAX[1], text.winfo_height() * 3 // 5))
    return width, height


def attachment_caption(attachment: Any) -> str:
    """Name, type, size and (for a picture) its dimensions, e.g. "a.png · image/png · 2.0 KB"."""
    parts = [display_line(attachment.filename), display_line(attachment.content_type),
             format_size(attachment.size)]
    if attachment.message is not None and attachment.message.from_:
        parts.append(display_line(attachment.message.from_))
    if attachment.image is not None:
        parts.append(f"{attachment.image.width}×{attachment.image.height}")
    return " · ".join(parts)


def is_picture(attachment: Any) -> bool:
    """Shown as a picture: the decoder could open it, or its type says it is one."""
    return attachment.image is not None or attachment.content_type.startswith("image/")


_UNSAFE_FILENAME_CHARS = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


# Windows' device names: "CON", "nul.png" or "COM1.tar.gz" open the device, not a file.
_RESERVED_FILE_STEMS = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{number}" for device in ("COM", "LPT") for number in "0123456789¹²³"])
MAX_FILENAME_BYTES = 200  # NTFS and ext4 allow 255; leave room for the dialog's " (2)"
MAX_EXTENSION_CHARS = 16


def safe_filename(name: str, fallback: str) -> str:
    """A name the Save dialog can propose on Windows and Linux: no folders, no reserved
    characters or device names, no invisible format characters (a right-to-left override
    makes "x\u202egnp.exe" look like "xexe.png"), at most 200 bytes with the extension kept."""
    visible = "".join(char for char in name if unicodedata.category(char) != "Cf")
    cleaned = _UNSAFE_FILENAME_CHARS.sub("_", visible).strip(" .")
    stem, dot, extension = cleaned.partition(".")
    if stem.rstrip(" ").upper() in _RESERVED_FILE_STEMS:
        cleaned = f"{stem}_{dot}{extension}"
    return _cut_to_bytes(cleaned, MAX_FILENAME_BYTES) or fallback


def _cut_to_bytes(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    base, dot, extension = name.rpartition(".")
    if not dot or len(extension) > MAX_EXTENSION_CHARS:
        base, extension = name, ""
    kept = limit - len(extension.encode("utf-8")) - len(dot)
    base = base.encode("utf-8")[:kept].decode("utf-8", "ignore").rstrip(" .")
    return base + dot + extension


def picture_columns(pictures: int, width: int | None = None) -> int:
    """Columns of the attachment area's grid: side by side, so that several pictures are in
    view at once (a class compares them), yet each wide enough to see what it shows (at
    least CARD_MIN_WIDTH of the area's ``width``)."""
    wanted = 1 if pictures <= 1 else 2 if pictures <= MANY_PICTURES else 3
    return wanted if width is None else max(1, min(wanted, width // CARD_MIN_WIDTH))


def fitted_size(size: tuple[int, int], area: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit ``area`` with its aspect kept, never enlarged."""
    scale = min(1.0, area[0] / max(1, size[0]), area[1] / max(1, size[1]))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def fit_box(cap: tuple[int, int], available: tuple[int, int]) -> tuple[int, int]:
    """The box a picture is scaled into: the free space, within THUMBNAIL_MIN and ``cap``."""
    return (min(cap[0], max(THUMBNAIL_MIN[0], available[0])),
            min(cap[1], max(THUMBNAIL_MIN[1], available[1])))


# --------------------------------------------------------------------------------------------
# Widgets


class AttachmentCard:
    """One attachment in the attachment area: a picture (when it is one), caption, Save button."""

    def __init__(self, parent: tk.Misc, attachment: Any, labels: Labels,
                 on_save: Callable[[Any], None],
                 on_open: Callable[[Any], None] | None = None,
                 on_view: Callable[[Any], None] | None = None) -> None:
        self.attachment = attachment
        self.photo: ImageTk.PhotoImage | None = None  # kept here: Tk drops an unreferenced one
        # perf_counter() when the photo was set: bench/gui_bench.py times 250 -> picture by it.
        self.photo_shown_at: float | None = None
        self.frame = ttk.Frame(parent, padding=(4, 6))
        self.picture: ttk.Label | None = None
        if is_picture(attachment):
            self.picture = ttk.Label(self.frame, text=labels["image_loading"])
            self.picture.pack(anchor="w")
            if not self.wants_thumbnail:  # its type says picture, but the decoder could not open it
                self.show_unreadable(labels)
            elif on_view is not None:  # a click opens it large
                self.picture.configure(cursor="hand2")
                self.picture.bind("<Button-1>", lambda _e: on_view(attachment))
        # The caption wraps to the picture's width (fit_caption), its buttons under it: cards
        # lie side by side in the attachment area's grid.
        self.caption = ttk.Label(self.frame, text=attachment_caption(attachment))
        self.caption.pack(anchor="w")
        row = ttk.Frame(self.frame)
        row.pack(anchor="w", fill="x")
        self.save_button = ttk.Button(row, text=labels["save_attachment"],
                                      command=lambda: on_save(attachment))
        self.save_button.pack(side="left")
        self.open_button: ttk.Button | None = None
        if attachment.message is not None and on_open is not None:  # an attached mail
            self.open_button = ttk.Button(row, text=labels["open_attached"],
                                          command=lambda: on_open(attachment))
            self.open_button.pack(side="left", padx=(8, 0))

    @property
    def wants_thumbnail(self) -> bool:
        return self.attachment.image is not None

    def fit_caption(self, width: int) -> None:
        self.caption.configure(wraplength=width)

    def show_photo(self, photo: ImageTk.PhotoImage) -> None:
        assert self.picture is not None
        self.picture.configure(image=photo, text="")
        self.photo = photo
        self.photo_shown_at = time.perf_counter()

    def show_unreadable(self, labels: Labels) -> None:
        assert self.picture is not None
        self.picture.configure(image="", text=labels["image_unreadable"],
                               foreground=COLOURS[TAG_ERROR])
        self.photo = None


ATTACHED_WINDOW_OFFSET = 32  # pixels right of and below the main window's corner


class AttachedMessageWindow:
    """An attached mail opened as a message of its own (as Thunderbird opens an .eml): its
    headers, its text with its pictures where they stand, its attachments (a picture shown, a
    click opens it large; each saves, and an attached mail in it opens in turn) and its MIME
    tree; Esc closes it, as it closes a picture. It is decoded and its pictures scaled on the
    window's worker; this window polls for them."""

    def __init__(self, root: tk.Tk, attachment: Any, labels: Labels, worker: ThreadPoolExecutor,
                 on_save: Callable[[Any], None], bold_font: tkfont.Font) -> None:
        self.labels = labels
        self._root = root
        self._worker = worker
        self._on_save = on_save
        self._bold_font = bold_font  # the window's, which the zoom scales
        self.decoded: Any = None
        self.photos: list[ImageTk.PhotoImage] = []  # kept here: Tk drops unreferenced ones
        self.opened: list[AttachedMessageWindow] = []
        self.owner: tuple[int, int] | None = None  # the message it was opened from
        self.window = tk.Toplevel(root)
        self.window.title(labels["attached_title"].format(
            name=display_line(attachment.filename)))
        screen, dpi = screen_of(root)
        (width, height), smallest = gui_display.window_sizes(screen, dpi)
        size = (min(width, 900), min(height, 640))
        near = (root.winfo_rootx() + ATTACHED_WINDOW_OFFSET,
                root.winfo_rooty() + ATTACHED_WINDOW_OFFSET)  # over the main window
        self.window.geometry("{}x{}+{}+{}".format(
            *size, *gui_display.window_place(screen, size, near, dpi)))
        self.window.minsize(*smallest)
        frame, self.text = scrolled_text(self.window, wrap="word", font="TkTextFont", padx=8,
                                          pady=6)
        self.text.tag_configure(TAG_HEADER_NAME, font=bold_font)
        for tag in (TAG_MARKER, TAG_NOTE):
            self.text.tag_configure(tag, foreground=COLOURS[tag])
        self.text.tag_configure("tree", font="TkFixedFont")
        text = self.text  # a picture in it opens large on a click, as in the main window
        text.tag_bind(TAG_PICTURE_SHOWN, "<Button-1>", self._on_picture_clicked)
        text.tag_bind(TAG_PICTURE_SHOWN, "<Enter>", lambda _e: text.configure(cursor="hand2"))
        text.tag_bind(TAG_PICTURE_SHOWN, "<Leave>", lambda _e: text.configure(cursor=""))
        self.picture_windows: list[PictureWindow] = []
        frame.pack(fill="both", expand=True)
        self.window.bind("<Escape>", lambda _e: self.window.destroy())  # as a picture window
        replace_text(self.text, [(labels["attached_decoding"], TAG_MARKER)])
        when_done(self.window, worker.submit(decoder.decode, attachment.data), self._show)
        self.window.focus_set()  # for Esc

    def _show(self, future: Future) -> None:
        self.decoded = decoded = future.result()
        labels = self.labels
        segments = header_segments(decoded, labels) + [("\n", "")]
        segments += _body_text_segments(decoded, labels) + [("\n", "")]
        segments += [(f"• {remark}\n", TAG_NOTE) for remark in decoded.remark_texts(labels.lang)]
        replace_text(self.text, segments)
        self._add_attachment_rows(decoded.attachments)
        tree = "\n".join(decoder.describe_part(part, labels.lang) for part in decoded.parts)
        append_text(self.text, "\n" + labels["attached_tree"] + "\n")
        self.text.configure(state="normal")
        self.text.insert("end", display_text(tree) + "\n", "tree")
        self.text.configure(state="disabled")
        box = picture_in_text_box(self.text)
        for attachment in decoded.attachments:
            if self.text.tag_ranges(picture_tag(attachment.part)):
                when_done(self.window,
                          self._worker.submit(decoder.thumbnail, attachment.data, box),
                          lambda done, part=attachment.part: self._show_picture(part, done))

    def _add_attachment_rows(self, attachments: Sequence[Any]) -> None:
        append_text(self.text, self.labels["attachments_count"].format(
            count=len(attachments)) + "\n")
        self.text.configure(state="normal")
        for attachment in attachments:
            if attachment.image is not None and not self.text.tag_ranges(
                    picture_tag(attachment.part)):  # shown here, as on the main window's cards
                self.text.insert("end", "  ")
                self.text.insert("end", self.labels["picture_in_text"].format(
                    name=display_line(attachment.filename)),
                    f"{TAG_PICTURE} {picture_tag(attachment.part)}")
                self.text.insert("end", "\n")
            self.text.insert("end", "  " + attachment_caption(attachment) + "  ")
            self.text.window_create("end", window=ttk.Button(
                self.text, text=self.labels["save_attachment"],
                command=lambda attachment=attachment: self._on_save(attachment)))
            if attachment.message is not None:
                self.text.window_create("end", window=ttk.Button(
                    self.text, text=self.labels["open_attached"],
                    command=lambda attachment=attachment: self.open(attachment)))
            self.text.insert("end", "\n")
        self.text.configure(state="disabled")

    def open(self, attachment: Any) -> None:
        self.opened.append(AttachedMessageWindow(self._root, attachment, self.labels,
                                                 self._worker, self._on_save, self._bold_font))

    def _on_picture_clicked(self, event: tk.Event) -> None:
        """Open the picture clicked large, in a window of its own."""
        tags = self.text.tag_names(f"@{event.x},{event.y}")
        attachment = next((attachment for attachment in self.decoded.attachments
                           if attachment.image is not None
                           and picture_tag(attachment.part) in tags), None)
        if attachment is not None:
            self.picture_windows = [window for window in self.picture_windows if window.is_open]
            self.picture_windows.append(PictureWindow(self._root, attachment, self.labels,
                                                      self._worker))

    def _show_picture(self, part: str, future: Future) -> None:
        image = future.result() if future.exception() is None else None
        if image is None:
            return
        try:
            photo = ImageTk.PhotoImage(image, master=self.window)
        except (tk.TclError, OSError, ValueError):
            return
        if show_picture_in_text(self.text, part, photo):
            self.photos.append(photo)


def when_done(window: tk.Misc, future: Future, then: Callable[[Future], None]) -> None:
    """Call ``then(future)`` on the Tk thread once the worker has finished ``future``, unless
    ``window`` has been closed by then (a window of its own polls for its few jobs)."""
    if not window.winfo_exists():
        return
    if future.done():
        then(future)
    else:
        window.after(40, when_done, window, future, then)


class PictureWindow:
    """A picture opened large: a window of its own, titled with the file name, the picture
    fitted to the screen's work area (aspect kept, never enlarged); Esc closes it. It is
    scaled on the worker, as the thumbnails are."""

    def __init__(self, root: tk.Misc, attachment: Any, labels: Labels,
                 worker: ThreadPoolExecutor) -> None:
        self.photo: ImageTk.PhotoImage | None = None  # kept here: Tk drops an unreferenced one
        self.owner: tuple[int, int] | None = None  # the message it was opened from
        self.window = tk.Toplevel(root, background="#202020")
        self.window.title(display_line(attachment.filename))
        (screen_width, _), _dpi = screen = screen_of(root)
        area = gui_display.work_area(*screen)
        image = attachment.image
        self.size = fitted_size((image.width, image.height), area)
        self.window.geometry("{}x{}+{}+0".format(*self.size, (screen_width - self.size[0]) // 2))
        self.label = tk.Label(self.window, text=labels["image_loading"], background="#202020",
                              foreground="#ffffff", borderwidth=0)
        self.label.pack(fill="both", expand=True)
        self.window.bind("<Escape>", lambda _e: self.close())
        # Its picture goes with it, while Tk is alive: a PhotoImage freed later, by a garbage
        # collection after the root is gone, calls into a deleted Tcl interpreter.
        self.window.bind("<Destroy>", self._on_destroy)
        self._unreadable = labels["image_unreadable"]
        when_done(self.window, worker.submit(decoder.thumbnail, attachment.data, self.size),
                  self._show)
        self.window.focus_set()  # for Esc

    def _show(self, future: Future) -> None:
        image = future.result() if future.exception() is None else None
        try:
            self.photo = None if image is None else ImageTk.PhotoImage(image, master=self.window)
        except (tk.TclError, OSError, ValueError):
            self.photo = None
        if self.photo is None:
            self.label.configure(text=self._unreadable)
        else:
            self.label.configure(image=self.photo, text="")

    def _on_destroy(self, event: tk.Event) -> None:
        if event.widget is self.window:  # its label is gone already
            self.photo = None

    @property
    def is_open(self) -> bool:
        return bool(self.window.winfo_exists())

    def close(self) -> None:
        if self.is_open:
            self.window.destroy()


@dataclass(frozen=True, slots=True)
class _Thumbnail:
    """A finished thumbnail job, handed from the worker thread to the Tk thread."""

    generation: int  # which display of a message asked for it; older ones are dropped
    card_index: int
    future: Future


class MessagePane:
    """The message shown: its raw content (``raw_box``, placed by the window in its left
    column), and its body over its attachments (``frame``, the window's Message tab).

    ``show`` a message, ``clear``, ``take_results`` of the worker (thumbnails), ``close``.
    Holds no reference to the window: it calls back (weakly) ``save_bytes(data, name, title)``,
    ``open_html()`` and ``report_error(exception)``.
    """

    def __init__(self, raw_parent: tk.Misc, parent: tk.Misc, labels: Labels,
                 worker: ThreadPoolExecutor, bold_font: tkfont.Font, *,
                 save_bytes: Callable[[bytes, str, str], None], open_html: Callable[[], None],
                 report_error: Callable[[BaseException], None]) -> None:
        self.labels = labels
        self._root = raw_parent.winfo_toplevel()
        self._worker = worker
        self._bold_font = bold_font
        self._gap_font = tkfont.Font(root=self._root, size=3)  # a thin line, not a blank one
        # Weak: the window holds the pane, and a cycle would leave the root to a garbage
        # collection on any thread (see ScrollableFrame).
        self._save_bytes = weakref.WeakMethod(save_bytes)
        self._open_html = weakref.WeakMethod(open_html)
        self._report_error = weakref.WeakMethod(report_error)
        self.message: MessageReceived | None = None
        self._raw_loader_id: str | None = None
        self._raw_rest: Iterator[bytes] = iter(())  # raw content not inserted yet
        self._raw_shown = 0  # bytes of raw content inserted
        self._refit_id: str | None = None
        self.attachment_cards: list[AttachmentCard] = []
        self._thumbnails: queue.Queue[_Thumbnail] = queue.Queue()
        self._thumbnail_generation = 0
        self._thumbnail_box: tuple[int, int] | None = None
        self._body_photos: list[ImageTk.PhotoImage] = []  # pictures inside the body text
        self.attached_windows: list[AttachedMessageWindow] = []
        self.picture_windows: list[PictureWindow] = []  # the pictures opened large
        self._attachment_sash: int | None = None  # the body/attachments sash, while hidden
        self._attachment_sash_pending = False
        self.raw_box = self._build_raw(raw_parent)
        # The attachment area joins the body's pane only for a message that has attachments.
        self.frame = ttk.PanedWindow(parent, orient="horizontal")
        self.frame.add(self._build_body(self.frame), weight=2)
        self._build_attachments(self.frame)
        self.frame.bind("<Configure>", lambda _e: self._place_attachment_sash(), add=True)

    # ---- building

    def _build_raw(self, parent: tk.Misc) -> ttk.Labelframe:
        labels = self.labels
        box = ttk.Labelframe(parent, text=labels["raw"], padding=2)
        bar = ttk.Frame(box)
        bar.pack(fill="x")
        self.save_message_button = ttk.Button(bar, text=labels["save_message"],
                                              command=self.save_message, state="disabled")
        self.show_all_button = ttk.Button(bar, command=self._show_all_raw)  # packed when needed
        self.raw_info_label = ttk.Label(bar)
        self.save_message_button.pack(side="left")
        self.raw_info_label.pack(side="left", padx=8)
        frame, self.raw_text = scrolled_text(box, horizontal=True, wrap="none",
                                             font="TkFixedFont", width=64, height=9)
        frame.pack(fill="both", expand=True, pady=(2, 0))
        return box

    def _build_body(self, parent: tk.Misc) -> ttk.Frame:
        # Its title and button share one row: every line of height goes to the mail's text.
        box = ttk.Frame(parent, padding=2)
        bar = ttk.Frame(box)
        bar.pack(fill="x")
        ttk.Label(bar, text=self.labels["body"], font=self._bold_font).pack(side="left")
        self.open_html_button = ttk.Button(bar, text=self.labels["open_html"],
                                           command=lambda: call_weakly(self._open_html),
                                           state="disabled")
        self.open_html_button.pack(side="right")
        frame, self.body_text = scrolled_text(box, wrap="word", font="TkTextFont",
                                              width=60, height=9)
        self.body_text.tag_configure(TAG_HEADER_NAME, font=self._bold_font)
        self.body_text.tag_configure(TAG_GAP, font=self._gap_font)
        for tag in (TAG_MARKER, TAG_NOTE):
            self.body_text.tag_configure(tag, foreground=COLOURS[tag])
        # Bound once, on the tag every shown picture has: a binding per message would keep
        # each message's attachments alive in Tk's table of Python callbacks.
        body = self.body_text
        body.tag_bind(TAG_PICTURE_SHOWN, "<Button-1>", self._on_body_picture_clicked)
        body.tag_bind(TAG_PICTURE_SHOWN, "<Enter>", lambda _e: body.configure(cursor="hand2"))
        body.tag_bind(TAG_PICTURE_SHOWN, "<Leave>", lambda _e: body.configure(cursor=""))
        frame.pack(fill="both", expand=True, pady=(2, 0))
        return box

    def _build_attachments(self, parent: tk.Misc) -> ttk.Labelframe:
        self.attachments_box = ttk.Labelframe(parent, text=self.labels["attachments"], padding=2)
        self.attachment_area = ScrollableFrame(self.attachments_box)
        self.attachment_area.canvas.configure(height=260)
        self.attachment_area.canvas.bind("<Configure>", self._on_attachment_area_resized,
                                         add=True)
        self.attachment_area.frame.pack(fill="both", expand=True)
        return self.attachments_box

    # ---- what the window asks of it

    def show(self, ev: MessageReceived) -> None:
        self.message = ev
        self._show_raw(ev.raw)
        decoded = ev.decoded
        replace_text(self.body_text, body_segments(ev, self.labels))
        has_html = decoded is not None and bool(decoded.html)
        self.open_html_button.configure(state="normal" if has_html else "disabled")
        self.save_message_button.configure(state="normal")
        self._show_attachments(decoded.attachments if decoded is not None else [])

    def clear(self) -> None:
        self._cancel_timers()
        self.message = None
        for text in (self.raw_text, self.body_text):
            replace_text(text, [])
        self._show_attachments([])
        self.raw_info_label.configure(text="")
        self._offer_show_all(False)
        for button in (self.save_message_button, self.open_html_button):
            button.configure(state="disabled")

    def show_note(self, note: str, raw_info: str) -> None:
        """Instead of a message: ``note`` where its body would be, ``raw_info`` over the empty
        raw view (a message whose content the window no longer holds)."""
        self.clear()
        replace_text(self.body_text, [(note, TAG_NOTE)])
        self.raw_info_label.configure(text=raw_info)

    def take_results(self, deadline: float) -> None:
        """Show finished thumbnails: at least one per call, more while time is left."""
        for job in current_jobs(self._thumbnails, self._thumbnail_generation):
            self._show_thumbnail(self.attachment_cards[job.card_index], job.future)
            if time.perf_counter() >= deadline:
                return

    def close(self) -> None:
        """Stop its timers and let go of its pictures while Tk is alive (a PhotoImage freed
        after the root is gone calls into a deleted Tcl interpreter)."""
        self._cancel_timers()
        for window in self.picture_windows:
            window.close()
        for card in self.attachment_cards:
            card.frame.destroy()
        self.attachment_cards = []
        self._body_photos = []
        for attached in self.attached_windows:
            attached.photos.clear()

    def _cancel_timers(self) -> None:
        for after_id in (self._raw_loader_id, self._refit_id):
            if after_id is not None:
                self._root.after_cancel(after_id)
        self._raw_loader_id = self._refit_id = None

    # ---- the raw content

    def _show_raw(self, raw: bytes) -> None:
        if self._raw_loader_id is not None:
            self._root.after_cancel(self._raw_loader_id)
            self._raw_loader_id = None
        chunks = raw_chunks(raw)
        first = next(chunks, b"")
        replace_text(self.raw_text, [(raw_display_text(first), "")])
        truncated = len(first) < len(raw)
        size = format_size(len(raw))
        self.raw_info_label.configure(text=self.labels["raw_truncated"].format(
            shown=format_size(len(first)), size=size) if truncated else size)
        self.show_all_button.configure(text=self.labels["show_all"].format(size=size))
        self._offer_show_all(truncated)
        self._raw_rest, self._raw_shown = chunks, len(first)

    def _offer_show_all(self, offer: bool) -> None:
        if offer:
            self.show_all_button.pack(side="left", padx=(8, 0), before=self.raw_info_label)
        else:
            self.show_all_button.pack_forget()

    def _show_all_raw(self) -> None:
        """Insert the rest of the raw content a slice per tick, so the window stays live."""
        self._offer_show_all(False)
        self._load_next_raw_chunk()

    def _load_next_raw_chunk(self) -> None:
        total = len(self.message.raw)
        chunk = next(self._raw_rest, None)
        if chunk is None:
            self._raw_loader_id = None
            self.raw_info_label.configure(text=format_size(total))
            return
        append_text(self.raw_text, raw_display_text(chunk))
        self._raw_shown += len(chunk)
        self.raw_info_label.configure(text=self.labels["raw_loading"].format(
            percent=100 * self._raw_shown // total))
        self._raw_loader_id = self._root.after(1, self._load_next_raw_chunk)

    # ---- attachments and thumbnails

    def _show_attachments(self, attachments: Sequence[Any]) -> None:
        for card in self.attachment_cards:
            card.frame.destroy()
        self.attachment_cards = [
            AttachmentCard(self.attachment_area.inner, attachment, self.labels,
                           self._save_attachment, self._open_attached, self.open_picture)
            for attachment in attachments]
        self._body_photos = []
        title = "attachments_count" if attachments else "attachments"
        self.attachments_box.configure(text=self.labels[title].format(count=len(attachments)))
        self._give_attachments_room(bool(attachments))
        self._grid_attachment_cards()
        self.attachment_area.canvas.yview_moveto(0)
        self._request_thumbnails()

    def _on_body_picture_clicked(self, event: tk.Event) -> None:
        """Open the picture clicked in the body large (its card's attachment)."""
        tags = self.body_text.tag_names(f"@{event.x},{event.y}")
        card = next((card for card in self.attachment_cards
                     if card.wants_thumbnail and picture_tag(card.attachment.part) in tags), None)
        if card is not None:
            self.open_picture(card.attachment)

    def _give_attachments_room(self, room: bool) -> None:
        """Show the attachment area beside the body, or give its room to the body."""
        panes = self.frame
        shown = str(self.attachments_box) in map(str, panes.panes())
        if room and not shown:
            panes.add(self.attachments_box, weight=1)
            self._attachment_sash_pending = True
            self._place_attachment_sash()
        elif not room and shown:
            if not self._attachment_sash_pending:  # where the user left it, for next time
                self._attachment_sash = panes.sashpos(0)
            panes.forget(self.attachments_box)

    def _place_attachment_sash(self) -> None:
        """Split the body and the attachments where the user last did, else by
        ATTACHMENTS_SHARE (of several pictures, ATTACHMENTS_SHARE_MANY); before the pane has its
        size (the first message), once it has (its <Configure>)."""
        if not self._attachment_sash_pending:
            return
        panes = self.frame
        panes.update_idletasks()
        width = panes.winfo_width()
        if width > 1 and len(panes.panes()) > 1:
            self._attachment_sash_pending = False
            share = ATTACHMENTS_SHARE if self._picture_count() <= 1 else ATTACHMENTS_SHARE_MANY
            panes.sashpos(0, self._attachment_sash or round(width * (1 - share)))
            panes.update_idletasks()  # the area's size, for pictures scaled once, to fit it
            if self._thumbnail_box is None:
                self._request_thumbnails()

    def _grid_attachment_cards(self) -> None:
        """Lay the cards out in rows of as many cards as fit the area's width."""
        columns = self._columns()
        for index, card in enumerate(self.attachment_cards):
            card.frame.grid(row=index // columns, column=index % columns, sticky="nw")

    def _picture_count(self) -> int:
        return sum(card.wants_thumbnail for card in self.attachment_cards)

    def _columns(self) -> int:
        width = self.attachment_area.canvas.winfo_width()
        return picture_columns(self._picture_count(), width if width > 1 else None)

    def _current_thumbnail_box(self) -> tuple[int, int] | None:
        """The size pictures are scaled into; None while the area has no size yet."""
        canvas = self.attachment_area.canvas
        if canvas.winfo_width() <= 1 or self._attachment_sash_pending:  # not laid out yet
            return None
        pictures = self._picture_count()
        cap = THUMBNAIL_MAX if pictures <= MANY_PICTURES else THUMBNAIL_MAX_MANY
        # Leave room for the card padding, the caption (two lines) and the button under it.
        caption_height = tkfont.nametofont("TkDefaultFont", self._root).metrics("linespace") * 2
        button_height = self.save_message_button.winfo_reqheight()
        return fit_box(cap, (canvas.winfo_width() // self._columns() - 16,
                             canvas.winfo_height() - caption_height - button_height - 16))

    def _request_thumbnails(self) -> None:
        """Ask the worker for thumbnails of the shown pictures, sized to the attachment area
        (or, before the area has a size, leave that to _on_attachment_area_resized)."""
        self._thumbnail_generation += 1
        self._thumbnail_box = self._current_thumbnail_box()
        if self._thumbnail_box is None:
            return
        self._grid_attachment_cards()  # as many columns as the area's width holds now
        for card in self.attachment_cards:
            card.fit_caption(self._thumbnail_box[0])
        # The callback runs on the worker thread and must not hold the pane: the last
        # reference to a Tk object dropped there makes Tcl abort the process.
        finished = self._thumbnails
        for index, card in enumerate(self.attachment_cards):
            if card.wants_thumbnail:
                future = self._worker.submit(decoder.thumbnail, card.attachment.data,
                                             self._thumbnail_box)
                job = _Thumbnail(self._thumbnail_generation, index, future)
                future.add_done_callback(lambda _f, job=job: finished.put(job))

    def _show_thumbnail(self, card: AttachmentCard, future: Future) -> None:
        error = future.exception()
        image = future.result() if error is None else None
        if error is not None:
            call_weakly(self._report_error, error)
        if image is None:
            card.show_unreadable(self.labels)
            return
        try:
            card.show_photo(ImageTk.PhotoImage(image, master=self._root))
            self._show_body_picture(card.attachment.part, image)
        except (tk.TclError, OSError, ValueError) as exc:
            call_weakly(self._report_error, exc)
            card.show_unreadable(self.labels)

    def _show_body_picture(self, part: str, image: Any) -> None:
        """Put a picture where it stands in the body text, once, scaled to the text's width
        (from the card's thumbnail, which is at most THUMBNAIL_MAX)."""
        if not self.body_text.tag_ranges(picture_tag(part)):
            return
        smaller = image.copy()
        smaller.thumbnail(picture_in_text_box(self.body_text))
        photo = ImageTk.PhotoImage(smaller, master=self._root)
        if show_picture_in_text(self.body_text, part, photo):
            self._body_photos.append(photo)

    def _on_attachment_area_resized(self, _event: tk.Event) -> None:
        """Fit the pictures to the area's first size at once, and to a new size once the user
        has finished dragging a sash."""
        if not any(card.wants_thumbnail for card in self.attachment_cards):
            return
        if self._thumbnail_box is None:
            self._request_thumbnails()
        elif self._current_thumbnail_box() != self._thumbnail_box:
            if self._refit_id is not None:
                self._root.after_cancel(self._refit_id)
            self._refit_id = self._root.after(300, self._refit_pictures)

    def _refit_pictures(self) -> None:
        self._refit_id = None
        self._request_thumbnails()

    # ---- saving and opening

    def save_message(self) -> None:
        ev = self.message
        if ev is not None:
            call_weakly(self._save_bytes, ev.raw, f"message-{ev.number}.eml",
                  self.labels["save_message"])

    def _save_attachment(self, attachment: Any) -> None:
        name = safe_filename(attachment.filename, fallback=f"attachment-{attachment.part}")
        call_weakly(self._save_bytes, attachment.data, name, self.labels["save_attachment"])

    def _owner(self) -> tuple[int, int] | None:
        """The message (session, number) a window opened now comes from."""
        return None if self.message is None else (self.message.session, self.message.number)

    def open_picture(self, attachment: Any) -> PictureWindow:
        """Open a picture large, in a window of its own."""
        self.picture_windows = [window for window in self.picture_windows if window.is_open]
        self.picture_windows.append(PictureWindow(self._root, attachment, self.labels,
                                                  self._worker))
        self.picture_windows[-1].owner = self._owner()
        return self.picture_windows[-1]

    def _open_attached(self, attachment: Any) -> None:
        """Open an attached mail in a window of its own."""
        self.attached_windows.append(AttachedMessageWindow(
            self._root, attachment, self.labels, self._worker, self._save_attachment,
            self._bold_font))
        self.attached_windows[-1].owner = self._owner()

    def close_windows(self, session: int | None = None, number: int | None = None) -> None:
        """Close the pictures and attached mails opened from message ``number`` of
        ``session`` (deleted), or from any message (all cleared)."""
        for window in (*self.picture_windows, *self.attached_windows):
            if session is None or window.owner == (session, number):
                if window.window.winfo_exists():
                    window.window.destroy()
        self.picture_windows = [window for window in self.picture_windows if window.is_open]
        self.attached_windows = [window for window in self.attached_windows
                                 if window.window.winfo_exists()]

