"""The window's "手工会话 / Type SMTP" tab, and its saved sessions (save, open, samples).

The tab is a client of the observer's own server (or of any HOST:PORT): the student types a
line, the console (console.py, the same line discipline as ``--console``) sends it, and the
reply appears at once with its explanation, while the observer's dialogue shows the same
session from the server's side. The socket work runs on a worker thread; only the Tk thread
touches widgets: it polls the worker's queue with ``after()``.

Saved sessions (sessions.py) are opened in a window of their own, marked as a recording, fed
with the saved events as if they had just happened.
"""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog, messagebox, ttk
from typing import Any

import console
import sessions
from events import PROTOCOL_POP3, Listening
from explain import LANGUAGES, Text
from words import Labels

POLL_MS = 50
HISTORY_LIMIT = 200
MAX_TRANSCRIPT_LINES = 5000  # the oldest lines go: memory stays bounded

TAG_CLIENT, TAG_SERVER, TAG_EXPLAIN, TAG_NOTE = "client", "server", "explain", "note"
COLOURS = {TAG_CLIENT: "#0b5cad", TAG_SERVER: "#1a7f37", TAG_EXPLAIN: "#57606a",
           TAG_NOTE: "#8250df"}
BANNER_COLOURS = {"background": "#fff3cd", "foreground": "#664d03"}

WORDS: dict[str, Text] = {
    "console_tab": Text("Type SMTP", "手工会话"),
    "target": Text("Server:", "服务器："),
    "target_smtp": Text("this observer's SMTP", "本观察器 SMTP"),
    "target_pop3": Text("its POP3", "本观察器 POP3"),
    "target_other": Text("HOST:PORT", "其他 主机:端口"),
    "connect": Text("Connect", "连接"),
    "disconnect": Text("Disconnect", "断开"),
    "send": Text("Send", "发送"),
    "helper_base64": Text("base64…", "base64 编码…"),
    "helper_plain": Text("AUTH PLAIN…", "AUTH PLAIN…"),
    "helper_end": Text("End the mail (CRLF.CRLF)", "结束邮件（CRLF.CRLF）"),
    "helper_sample": Text("Sample message", "插入示例邮件"),
    "helper_lf": Text("bare LF", "单独 LF"),
    "ask_base64_title": Text("base64", "base64 编码"),
    "ask_base64": Text("Text to encode (a user name or a password):",
                       "要编码的文本（用户名或密码）："),
    "ask_user": Text("User name:", "用户名："),
    "ask_password": Text("Password:", "密码："),
    "ok": Text("OK", "确定"),
    "cancel": Text("Cancel", "取消"),
    "state_idle": Text("Not connected. Choose a server and press Connect.",
                       "未连接。请选择服务器，然后单击“连接”。"),
    "state_connecting": Text("Connecting…", "正在连接…"),
    "state_command": Text("Type a command and press Enter (Up/Down: history).",
                          "输入一条命令后按回车（↑/↓：历史命令）。"),
    "state_waiting": Text("Waiting for the reply…", "正在等待应答…"),
    "state_data": Text("Typing the message: a line with a single \".\" ends it.",
                       "正在输入邮件内容：单独一行“.”表示结束。"),
    "no_observer": Text("The observer is not listening yet; give HOST:PORT.",
                        "观察器尚未开始监听；请给出 主机:端口。"),
    "open_session": Text("Open session…", "打开会话…"),
    "save_session": Text("Save session…", "保存会话…"),
    "sample_sessions": Text("Sample sessions", "示例会话"),
    "filetype_session": Text("Saved sessions", "保存的会话"),
    "nothing_to_save": Text("There is no session to save yet.", "还没有可保存的会话。"),
    "student_title": Text("Lab report", "实验报告"),
    "student_prompt": Text("Your name and student number, printed at the top of the report:",
                           "你的姓名和学号（将印在报告开头）："),
    "recording_status": Text("Recording: nothing here is live", "录制回放：并非实时连接"),
    "recording_title": Text("Recording: {name} — SMTP Observer", "录制回放：{name} — SMTP Observer"),
}
LABELS: dict[str, Labels] = {lang: Labels(WORDS, lang) for lang in LANGUAGES}


# --------------------------------------------------------------------------------------------
# The worker: one connection, off the Tk thread


@dataclass(frozen=True, slots=True)
class _Job:
    wire: bytes
    expects_reply: bool
    multiline: bool
    starts_tls: bool
    quits: bool  # QUIT: the server closes the connection after its reply


class ConsoleWorker:
    """Connects, then sends each job and reads its reply; posts what happened to `results`:
    ("connected", protocol, greeting), ("reply", Reply), ("tls", version), ("note", Note) and
    finally ("closed", Note | None)."""

    def __init__(self, host: str, port: int, results: queue.Queue) -> None:
        self._host, self._port = host, port
        self._results = results
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._connection: console.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="console", daemon=True)
        self._thread.start()

    def submit(self, job: _Job) -> None:
        self._jobs.put(job)

    def close(self) -> None:
        self._jobs.put(None)
        connection = self._connection
        if connection is not None:
            connection.close()  # wakes a read that waits for a reply

    def _run(self) -> None:
        try:
            self._connection = console.Connection(self._host, self._port)
        except OSError as error:
            self._results.put(("closed", console.Note(
                "cannot_connect", {"host": self._host, "port": self._port,
                                   "error": error.strerror or error})))
            return
        try:
            greeting = self._connection.read_greeting()
            self._results.put(("connected", self._connection.protocol, greeting))
            while (job := self._jobs.get()) is not None:
                if not self._do(job):
                    break
        except console.ReplyError as error:
            self._results.put(("closed", error.note))
            return
        finally:
            self._connection.close()
        self._results.put(("closed", None))

    def _do(self, job: _Job) -> bool:
        """Send a job and read its reply; False once the server ends the connection."""
        connection = self._connection
        connection.send(job.wire)
        if not job.expects_reply:
            return True
        reply = connection.read_reply(multiline=job.multiline)
        self._results.put(("reply", reply))
        if job.quits or reply.code == 421:  # RFC 5321 3.8: 421 closes the channel
            raise console.ReplyError(console.Note("closed"))
        agreed = reply.code == 220 or reply.status == console.POP3_OK
        if job.starts_tls and agreed:
            try:
                self._results.put(("tls", connection.start_tls()))
            except OSError as error:
                raise console.ReplyError(console.Note("tls_failed", {"error": error})) from None
        return True


# --------------------------------------------------------------------------------------------
# The tab


class ConsolePane:
    """The "Type SMTP" tab of an ObserverWindow (`window` gives root, lang and the events
    received, from which the observer's own ports are read)."""

    def __init__(self, parent: tk.Misc, window: Any) -> None:
        self.window = window
        self.root: tk.Misc = window.root
        self.lang: str = window.lang
        self.labels = LABELS[self.lang]
        self.session = console.ConsoleSession()
        self._worker: ConsoleWorker | None = None
        self._results: queue.Queue = queue.Queue()
        self._poll_id: str | None = None
        self._waiting = False
        self._history: list[str] = []
        self._history_index = 0
        self.frame = ttk.Frame(parent, padding=4)
        self._build()
        self._show_state()

    # -- building

    def _build(self) -> None:
        labels, frame = self.labels, self.frame
        frame.columnconfigure(0, weight=1)
        frame.rowconfigure(2, weight=1)
        target = ttk.Frame(frame)
        target.grid(row=0, column=0, sticky="ew")
        ttk.Label(target, text=labels["target"]).pack(side="left")
        self.target_var = tk.StringVar(master=self.root, value="smtp")
        for value in ("smtp", "pop3", "other"):
            ttk.Radiobutton(target, text=labels["target_" + value], value=value,
                            variable=self.target_var).pack(side="left", padx=(4, 0))
        self.other_entry = ttk.Entry(target, width=15)
        self.other_entry.insert(0, "127.0.0.1:25")
        self.other_entry.pack(side="left", padx=(2, 0))
        buttons = ttk.Frame(frame)
        buttons.grid(row=1, column=0, sticky="ew", pady=(4, 0))
        self.connect_button = ttk.Button(buttons, text=labels["connect"], command=self.connect)
        self.disconnect_button = ttk.Button(buttons, text=labels["disconnect"],
                                            command=self.disconnect)
        self.connect_button.pack(side="left")
        self.disconnect_button.pack(side="left", padx=(4, 8))
        self.state_label = ttk.Label(buttons, anchor="w")
        self.state_label.pack(side="left", fill="x", expand=True)

        box = ttk.Frame(frame)
        box.grid(row=2, column=0, sticky="nsew", pady=4)
        box.rowconfigure(0, weight=1)
        box.columnconfigure(0, weight=1)
        self.transcript = tk.Text(box, wrap="word", height=10, state="disabled",
                                  font="TkFixedFont")
        scroll = ttk.Scrollbar(box, orient="vertical", command=self.transcript.yview)
        self.transcript.configure(yscrollcommand=scroll.set)
        self.transcript.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        for tag, colour in COLOURS.items():
            self.transcript.tag_configure(tag, foreground=colour)
        self.transcript.tag_configure(TAG_EXPLAIN, font="TkTextFont", lmargin1=24, lmargin2=24)
        self.transcript.tag_configure(TAG_NOTE, font="TkTextFont", lmargin1=12, lmargin2=24)

        helpers = ttk.Frame(frame)
        helpers.grid(row=3, column=0, sticky="ew")
        for key, command in (("helper_base64", self.insert_base64),
                             ("helper_plain", self.insert_auth_plain),
                             ("helper_end", self.end_mail),
                             ("helper_sample", self.send_sample)):
            ttk.Button(helpers, text=labels[key], command=command).pack(side="left", padx=(0, 4))
        self.bare_lf_var = tk.BooleanVar(master=self.root, value=False)
        ttk.Checkbutton(helpers, text=labels["helper_lf"], variable=self.bare_lf_var,
                        command=self._on_bare_lf).pack(side="left")

        line = ttk.Frame(frame)
        line.grid(row=4, column=0, sticky="ew", pady=(4, 0))
        line.columnconfigure(0, weight=1)
        self.entry = ttk.Entry(line, font="TkFixedFont")
        self.entry.grid(row=0, column=0, sticky="ew")
        self.send_button = ttk.Button(line, text=labels["send"], command=self.send_typed)
        self.send_button.grid(row=0, column=1, padx=(4, 0))
        self.entry.bind("<Return>", lambda _e: self.send_typed())
        self.entry.bind("<KP_Enter>", lambda _e: self.send_typed())
        self.entry.bind("<Up>", lambda _e: self._recall(-1))
        self.entry.bind("<Down>", lambda _e: self._recall(1))

    # -- connecting

    @property
    def connected(self) -> bool:
        return self._worker is not None

    def observer_address(self, protocol: str) -> tuple[str, int] | None:
        """This window's own server, from its newest Listening event."""
        listening = [ev for ev in getattr(self.window, "_received", [])
                     if isinstance(ev, Listening)]
        if not listening:
            return None
        ev = listening[-1]
        host = "127.0.0.1" if ev.host in ("0.0.0.0", "", "::") else ev.host
        port = ev.pop3_port if protocol == "pop3" else ev.port
        return (host, port) if port else None

    def connect(self) -> None:
        if self.connected:
            return
        choice = self.target_var.get()
        if choice == "other":
            target = console.parse_target(self.other_entry.get())
            if target is None:
                self._note(console.Note("bad_target"))
                return
        else:
            target = self.observer_address(choice)
            if target is None:
                self._add(self.labels["no_observer"] + "\n", TAG_NOTE)
                return
        self.session = console.ConsoleSession()
        self.session.bare_lf = self.bare_lf_var.get()
        self._results = queue.Queue()
        self._worker = ConsoleWorker(*target, self._results)
        self._waiting = True
        self._show_state(self.labels["state_connecting"])
        self._schedule_poll()

    def disconnect(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def close(self) -> None:
        """The window is closing: end the connection and the polling."""
        if self._poll_id is not None:
            self.root.after_cancel(self._poll_id)
            self._poll_id = None
        self.disconnect()
        self._worker = None
        self.window = None  # the window holds this pane: no cycle left for the collector

    # -- typing

    def send_typed(self) -> str:
        text = self.entry.get()
        if not self.connected or self._waiting:
            self.root.bell()
            return "break"
        self.entry.delete(0, "end")
        if text and (not self._history or self._history[-1] != text):
            self._history = (self._history + [text])[-HISTORY_LIMIT:]
        self._history_index = len(self._history)
        if console.is_helper(text):
            result = console.run_helper(text, self.session)
            self.bare_lf_var.set(self.session.bare_lf)
            for note in result.notes:
                self._note(note)
            self.send_lines(result.send)
        else:
            self.send_lines([console.unescape(text)])
        return "break"

    def send_lines(self, lines: Any) -> None:
        """Send lines as if typed one after the other (they need no reply between them)."""
        for text in lines:
            if not self.connected or self._waiting:
                return
            out = self.session.outgoing(text)
            self._add(("C> " if self.session.in_data else "C: ") + text + "\n", TAG_CLIENT)
            for note in out.notes:
                self._note(note)
            verb = text.split(" ", 1)[0].upper()
            command = not self.session.in_data and not self.session.answering_challenge
            self._worker.submit(_Job(out.wire, out.expects_reply, out.multiline_reply,
                                     starts_tls=command and verb in ("STARTTLS", "STLS"),
                                     quits=command and verb == "QUIT"))
            self._waiting = out.expects_reply
        self._show_state()

    def _recall(self, step: int) -> str:
        if not self._history:
            return "break"
        self._history_index = max(0, min(len(self._history), self._history_index + step))
        text = self._history[self._history_index] \
            if self._history_index < len(self._history) else ""
        self.entry.delete(0, "end")
        self.entry.insert(0, text)
        return "break"

    # -- helper buttons

    def insert_base64(self) -> None:
        text = ask_text(self.root, self.lang, self.labels["ask_base64_title"],
                        self.labels["ask_base64"])
        if text is not None:
            self._note(console.Note("base64_of", {"text": text,
                                                  "encoded": console.base64_of(text)}))
            self.entry.delete(0, "end")
            self.entry.insert(0, console.base64_of(text))

    def insert_auth_plain(self) -> None:
        user = ask_text(self.root, self.lang, "AUTH PLAIN", self.labels["ask_user"])
        if user is None:
            return
        password = ask_text(self.root, self.lang, "AUTH PLAIN", self.labels["ask_password"],
                            show="*")
        if password is not None:
            self.entry.delete(0, "end")
            self.entry.insert(0, console.auth_plain_command(user, password))

    def end_mail(self) -> None:
        self.send_lines([console.END_OF_MAIL])

    def send_sample(self) -> None:
        if not self.session.in_data:
            self._note(console.Note("sample_outside_data"))
            return
        self.send_lines(self.session.sample())

    def _on_bare_lf(self) -> None:
        self.session.bare_lf = self.bare_lf_var.get()
        self._note(console.Note("lf_on" if self.session.bare_lf else "lf_off"))

    # -- results from the worker (Tk thread)

    def _schedule_poll(self) -> None:
        self._poll_id = self.root.after(POLL_MS, self.poll)

    def poll(self) -> None:
        self._poll_id = None
        while True:
            try:
                result = self._results.get_nowait()
            except queue.Empty:
                break
            self._take(result)
        if self._worker is not None:
            self._schedule_poll()

    def _take(self, result: tuple) -> None:
        kind = result[0]
        if kind == "connected":
            _, protocol, greeting = result
            self.session.protocol = protocol
            self._note(console.Note("connected", {
                "host": self._worker._host, "port": self._worker._port,
                "protocol": "POP3" if protocol == PROTOCOL_POP3 else "SMTP"}))
            self._show_reply(greeting)
        elif kind == "reply":
            self._show_reply(result[1])
        elif kind == "tls":
            self.session.tls_started()
            self._note(console.Note("tls_started", {"version": result[1]}))
        elif kind == "closed":
            if result[1] is not None:
                self._note(result[1])
            self._worker = None
            self._waiting = False
        self._show_state()

    def _show_reply(self, reply: console.Reply) -> None:
        self._waiting = False
        self._add("".join(f"S: {line}\n" for line in reply.wire), TAG_SERVER)
        self._add(reply.explain(self.lang) + "\n", TAG_EXPLAIN)
        for note in self.session.received(reply):
            self._note(note)

    def _note(self, note: console.Note) -> None:
        self._add("! " + note.text(self.lang) + "\n", TAG_NOTE)

    def _add(self, text: str, tag: str) -> None:
        widget = self.transcript
        widget.configure(state="normal")
        widget.insert("end", text, tag)
        lines = int(widget.index("end-1c").split(".")[0])
        if lines > MAX_TRANSCRIPT_LINES:
            widget.delete("1.0", f"{lines - MAX_TRANSCRIPT_LINES}.0")
        widget.configure(state="disabled")
        widget.see("end")

    def _show_state(self, text: str | None = None) -> None:
        if text is None:
            key = ("state_idle" if not self.connected else "state_waiting" if self._waiting
                   else "state_data" if self.session.in_data else "state_command")
            text = self.labels[key]
        self.state_label.configure(text=text)
        self.disconnect_button.configure(state="normal" if self.connected else "disabled")
        self.connect_button.configure(state="disabled" if self.connected else "normal")

    def transcript_text(self) -> str:
        return self.transcript.get("1.0", "end-1c")


# --------------------------------------------------------------------------------------------
# A line of text asked in the window's language


def ask_text(parent: tk.Misc, lang: str, title: str, prompt: str, *, initial: str = "",
             show: str = "") -> str | None:
    """The line the user types in a small modal dialog; None when they cancel.

    Not ``simpledialog.askstring``: its buttons say "OK" and "Cancel" in a zh session too.
    Enter is OK, Esc and the window's close box are Cancel; the dialog stays on the screen.
    """
    labels = LABELS[lang]
    dialog = tk.Toplevel(parent)
    dialog.withdraw()
    dialog.title(title)
    dialog.resizable(False, False)
    dialog.transient(parent.winfo_toplevel())
    answer: list[str] = []
    screen_width, screen_height = parent.winfo_screenwidth(), parent.winfo_screenheight()
    frame = ttk.Frame(dialog, padding=12)
    frame.pack(fill="both", expand=True)
    ttk.Label(frame, text=prompt, wraplength=min(420, screen_width - 60),
              justify="left").pack(anchor="w")
    entry = ttk.Entry(frame, width=40, show=show)
    entry.insert(0, initial)
    entry.select_range(0, "end")
    entry.pack(fill="x", pady=(6, 10))
    buttons = ttk.Frame(frame)
    buttons.pack(anchor="e")

    def close(ok: bool) -> None:
        if ok:
            answer.append(entry.get())
        dialog.grab_release()
        dialog.destroy()

    ok_button = ttk.Button(buttons, text=labels["ok"], default="active",
                           command=lambda: close(True))
    cancel_button = ttk.Button(buttons, text=labels["cancel"], command=lambda: close(False))
    ok_button.pack(side="left", padx=(0, 6))
    cancel_button.pack(side="left")
    dialog.bind("<Return>", lambda _e: close(True))
    dialog.bind("<KP_Enter>", lambda _e: close(True))
    dialog.bind("<Escape>", lambda _e: close(False))
    dialog.protocol("WM_DELETE_WINDOW", lambda: close(False))
    dialog.update_idletasks()
    width = min(dialog.winfo_reqwidth(), screen_width)
    height = min(dialog.winfo_reqheight(), screen_height)
    top = parent.winfo_toplevel()
    x = top.winfo_rootx() + (top.winfo_width() - width) // 2
    y = top.winfo_rooty() + (top.winfo_height() - height) // 3
    dialog.geometry(f"+{max(0, min(x, screen_width - width))}"
                    f"+{max(0, min(y, screen_height - height))}")
    dialog.deiconify()
    dialog.wait_visibility()
    dialog.grab_set()
    entry.focus_force()
    dialog.wait_window()
    return answer[0] if answer else None


# --------------------------------------------------------------------------------------------
# Saved sessions in the window


def ask_student(window: Any) -> str | None:
    """The student's name and number for a report (remembered for the next export); None when
    the student cancels, "" when they leave it empty."""
    labels = LABELS[window.lang]
    answer = ask_text(window.root, window.lang, labels["student_title"], labels["student_prompt"],
                      initial=getattr(window, "student", ""))
    if answer is not None:
        window.student = answer.strip()
        return window.student
    return None


def extend_menus(window: Any, file_menu: tk.Menu, session_menu: tk.Menu,
                 help_menu: tk.Menu) -> None:
    """File › Open session…, Session › Save session… and Help › Sample sessions."""
    labels = LABELS[window.lang]
    file_menu.insert_command(0, label=labels["open_session"], command=lambda: ask_open(window))
    session_menu.insert_command(0, label=labels["save_session"], command=lambda: ask_save(window))
    samples = tk.Menu(help_menu, tearoff=False)
    for path in sessions.reference_sessions():
        samples.add_command(label=_sample_label(path, window.lang),
                            command=lambda path=path: open_recording(window, path))
    help_menu.add_cascade(label=labels["sample_sessions"], menu=samples)


def _sample_label(path: Path, lang: str) -> str:
    try:
        title = sessions.load(path).title
    except sessions.SessionFileError:
        return path.stem
    return title.get(lang) or title.get("en") or path.stem


def ask_save(window: Any) -> Path | None:
    labels = LABELS[window.lang]
    received = sessions.sessions_of(window._received)
    if not any(ev.session for ev in received):
        messagebox.showinfo(labels["save_session"], labels["nothing_to_save"],
                            parent=window.root)
        return None
    name = filedialog.asksaveasfilename(
        parent=window.root, title=labels["save_session"], defaultextension=sessions.SUFFIX,
        initialfile="smtp-session" + sessions.SUFFIX,
        filetypes=[(labels["filetype_session"], "*" + sessions.SUFFIX)])
    if not name:
        return None
    return save_to(window, Path(name))


def save_to(window: Any, path: Path) -> Path | None:
    try:
        sessions.save(path, sessions.sessions_of(window._received))
    except sessions.SessionFileError as error:
        window.report_error(error.text(window.lang))
        messagebox.showerror(LABELS[window.lang]["save_session"], error.text(window.lang),
                             parent=window.root)
        return None
    return path


def ask_open(window: Any) -> None:
    labels = LABELS[window.lang]
    name = filedialog.askopenfilename(
        parent=window.root, title=labels["open_session"],
        filetypes=[(labels["filetype_session"], "*" + sessions.SUFFIX), ("*", "*")])
    if name:
        open_recording(window, Path(name))


def open_recording(window: Any, path: Path) -> Any:
    """Show a saved session in a new window of the same kind, marked as a recording."""
    try:
        recording = sessions.load(path)
    except sessions.SessionFileError as error:
        messagebox.showerror(LABELS[window.lang]["open_session"], error.text(window.lang),
                             parent=window.root)
        return None
    top = tk.Toplevel(window.root)
    return show_recording(type(window), top, recording, window.lang, on_close=top.destroy)


def show_recording(window_class: Callable[..., Any], root: tk.Misc,
                   recording: sessions.Recording, lang: str, *,
                   on_close: Callable[[], None] | None = None, poll: bool = True,
                   **options: Any) -> Any:
    """An ObserverWindow in `root` that replays `recording`: its sessions go through the
    window's own queue, as the server's would; the banner and the title say it is recorded."""
    feed: queue.Queue = queue.Queue()
    shown = window_class(root, feed, lang=lang, poll=poll, on_close=on_close,
                         recording=recording, **options)
    for ev in recording.events:
        if isinstance(ev, Listening):
            shown._received.append(ev)  # for the reports; the title stays "recording"
        else:
            feed.put(ev)
    return shown


def mark_recording(window: Any, recording: sessions.Recording) -> None:
    """The banner above the window and its title say that what it shows is a recording."""
    root = window.root
    root.title(LABELS[window.lang]["recording_title"].format(name=recording.path.name))
    banner = tk.Label(root, anchor="w", justify="left", padx=8, pady=4,
                      text=recording.banner(window.lang), **BANNER_COLOURS)
    banner.grid(row=0, column=0, sticky="ew")
    # the "about" of a reference session is a paragraph: wrap it to the window's width
    banner.bind("<Configure>", lambda event: banner.configure(wraplength=max(event.width - 16, 200)))
    window.address_label.configure(text=LABELS[window.lang]["recording_status"])
    window.recording_banner = banner
