"""Saved sessions: the events of a run in one file, to show again later as if just happened.

The file (``.jsonl``, documented in docs/session-format.md) is JSON Lines in UTF-8:

* line 1, the header: ``{"format": "smtp-observer-session", "version": 1, "saved": "<ISO 8601>",
  "title": {"en": ..., "zh": ...}, "about": {"en": ..., "zh": ...}}``; ``title`` and ``about``
  are optional: a reference session's name, and what it is and how it was made;
* then one event per line, exactly as ``events.py`` writes it (``to_json``); a message event
  carries its raw bytes in base64 (``"raw"``), from which it is decoded again when opened.

A reader refuses a file whose version is newer than ``VERSION`` with one clear line rather
than guessing. One role: writing and reading these files; no Tk, no sockets.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import decoder
import events
from events import MessageReceived, ServerEvent
from explain import Text

FORMAT = "smtp-observer-session"
VERSION = 1
SUFFIX = ".jsonl"

WORDS: dict[str, Text] = {
    "cannot_read": Text("Cannot read {path}: {error}", "无法读取 {path}：{error}"),
    "not_a_session": Text("{path} is not a saved session of SMTP Observer.",
                          "{path} 不是 SMTP Observer 保存的会话文件。"),
    "newer": Text("{path} was saved by a newer SMTP Observer (session format {version}; this "
                  "one reads up to {supported}): please update the program.",
                  "{path} 是由较新版本的 SMTP Observer 保存的（会话格式 {version}，本版本最高只能"
                  "读取 {supported}）：请更新程序。"),
    "bad_line": Text("{path}, line {line}: {error}", "{path} 第 {line} 行：{error}"),
    "cannot_write": Text("Cannot save the session to {path}: {error}",
                         "无法把会话保存到 {path}：{error}"),
    "no_window": Text("The window cannot open ({error}); printing the session instead.",
                      "窗口无法打开（{error}），改为在终端中显示会话。"),
    "recording": Text("Recording {name}, saved {saved}: shown as it happened; nothing here is "
                      "live.",
                      "录制的会话 {name}（保存于 {saved}）：按原样重现，并非实时连接。"),
}


class SessionFileError(Exception):
    """A session file that cannot be read or written; ``text(lang)`` is one line for a person."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(WORDS[key]("en").format(**values))
        self.key, self.values = key, values

    def text(self, lang: str) -> str:
        return WORDS[self.key](lang).format(**self.values)


@dataclass(frozen=True, slots=True)
class Recording:
    """A saved session file, read back."""

    path: Path
    saved: str  # when it was saved, ISO 8601
    events: tuple[ServerEvent, ...]
    about: Mapping[str, str] = field(default_factory=dict)  # {"en": ..., "zh": ...}
    title: Mapping[str, str] = field(default_factory=dict)  # a reference session's name

    def banner(self, lang: str) -> str:
        """The line that marks everything shown from this file as a recording."""
        line = WORDS["recording"](lang).format(name=self.path.name, saved=self.saved)
        about = self.about.get(lang) or self.about.get("en")
        return f"{line}\n{about}" if about else line


def header(about: Mapping[str, str] | None = None,
           title: Mapping[str, str] | None = None) -> dict:
    saved = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return {"format": FORMAT, "version": VERSION, "saved": saved,
            **({"title": dict(title)} if title else {}),
            **({"about": dict(about)} if about else {})}


def event_line(event: ServerEvent) -> str:
    data = event.to_json(with_raw=True) if isinstance(event, MessageReceived) else event.to_json()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def dumps(session_events: Iterable[ServerEvent], about: Mapping[str, str] | None = None,
          title: Mapping[str, str] | None = None) -> str:
    lines = [json.dumps(header(about, title), ensure_ascii=False, separators=(",", ":"))]
    lines += [event_line(event) for event in session_events]
    return "\n".join(lines) + "\n"


def save(path: Path, session_events: Iterable[ServerEvent],
         about: Mapping[str, str] | None = None, title: Mapping[str, str] | None = None) -> None:
    """Write the events to `path` (UTF-8, LF line ends); raises SessionFileError."""
    try:
        Path(path).write_text(dumps(session_events, about, title), encoding="utf-8",
                              newline="\n")
    except OSError as error:
        raise SessionFileError("cannot_write", path=path,
                               error=error.strerror or error) from None


def load(path: Path) -> Recording:
    """Read a saved session; messages are decoded again from their raw bytes.
    Raises SessionFileError with one line that says what is wrong."""
    path = Path(path)
    try:
        with path.open("r", encoding="utf-8") as file:
            return _read(path, file)
    except OSError as error:
        raise SessionFileError("cannot_read", path=path, error=error.strerror or error) from None
    except UnicodeDecodeError:
        raise SessionFileError("not_a_session", path=path) from None


def _read(path: Path, file: Iterable[str]) -> Recording:
    lines = iter(file)
    first = _json(next(lines, ""))
    if not isinstance(first, dict) or first.get("format") != FORMAT:
        raise SessionFileError("not_a_session", path=path)
    version = first.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SessionFileError("newer", path=path, version=version, supported=VERSION)
    read: list[ServerEvent] = []
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        data = _json(line)
        try:
            if not isinstance(data, dict):
                raise events.EventJSONError("not a JSON object")
            read.append(events.from_json(data, decode=decoder.decode))
        except events.EventJSONError as error:
            raise SessionFileError("bad_line", path=path, line=number, error=error) from None
    about, title = (first.get(key) if isinstance(first.get(key), dict) else {}
                    for key in ("about", "title"))
    return Recording(path, str(first.get("saved", "?")), tuple(read), about, title)


def _json(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def sessions_of(received: Sequence[ServerEvent]) -> list[ServerEvent]:
    """What a save writes of the window's events: the last Listening and each session."""
    listening = [event for event in received if isinstance(event, events.Listening)][-1:]
    return listening + [event for event in received if event.session != 0]


REFERENCE_DIRECTORY = Path(__file__).resolve().parent / "assets" / "sessions"


def reference_sessions() -> list[Path]:
    """The reference sessions of real clients that ship with the program (Help › Sample sessions)."""
    return sorted(REFERENCE_DIRECTORY.glob("*" + SUFFIX))
