"""The contract between the rooms (events.py): every event class is rendered by every renderer
(terminal transcript, window, report, JSON Lines), and an event a renderer does not know is
shown as such, never silently dropped."""

from __future__ import annotations

import ast
import dataclasses
import json
from typing import ClassVar

import pytest

import decoder
import events
import gui
import report
import smtp_observer
from conftest import ROOT

T0 = 1_764_553_800.0
RAW = b"Subject: hi\r\n\r\nhello\r\n"

SAMPLES: dict[type[events.ServerEvent], events.ServerEvent] = {
    events.Listening: events.Listening(
        session=0, time=T0, host="127.0.0.1", port=2525, requested_port=None,
        fallback_reason=None, hostname="observer.test", scenarios=("slow",)),
    events.Connected: events.Connected(session=1, time=T0, peer="127.0.0.1:50000"),
    events.CommandReceived: events.CommandReceived(session=1, time=T0, line="EHLO lab-pc"),
    events.ReplySent: events.ReplySent(session=1, time=T0, code=250,
                                       lines=("observer.test", "PIPELINING"), state="greeted"),
    events.POP3Reply: events.POP3Reply(session=2, time=T0, status="+OK", text="1 octets",
                                       lines=None, state="transaction", body_size=1,
                                       message_number=1),
    events.Remark: events.Remark(session=1, time=T0, kind=events.RemarkKind.BARE_LF_DATA,
                                 values={"count": 2}),
    events.TLSStarted: events.TLSStarted(session=1, time=T0, version="TLSv1.3",
                                         cipher="TLS_AES_256_GCM_SHA384"),
    events.DataReceived: events.DataReceived(session=1, time=T0, size=2048, complete=True),
    events.MessageReceived: events.MessageReceived(
        session=1, time=T0, number=1, envelope=events.Envelope("a@example.com",
                                                               ("b@example.com",)),
        raw=RAW, complete=True, accepted=True, reason=None, decoded=decoder.decode(RAW)),
    events.Disconnected: events.Disconnected(session=1, time=T0,
                                             reason=events.DisconnectReason.QUIT),
    events.ServerError: events.ServerError(
        session=0, time=T0, kind=events.RemarkKind.SERVER_FAILED, values={"error": "boom"}),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Unforeseen(events.ConnectionEvent):
    """An event a later version might add."""

    event: ClassVar[str] = "unforeseen"


UNFORESEEN = Unforeseen(session=1, time=T0)


def _concrete_subclasses(cls: type) -> set[type]:
    """The event classes below cls (dataclass(slots=True) leaves the class it replaced)."""
    found = set()
    for sub in cls.__subclasses__():
        if sub is not Unforeseen and "__slots__" in vars(sub):
            found |= {sub} | _concrete_subclasses(sub)
    return found - {events.ConnectionEvent}


def test_every_event_class_is_listed_and_has_a_sample():
    assert set(events.EVENT_CLASSES) == _concrete_subclasses(events.ServerEvent)
    assert set(SAMPLES) == set(events.EVENT_CLASSES)
    assert len(events.EVENTS_BY_NAME) == len(events.EVENT_CLASSES)  # names are unique


def _report_lines(event: events.ServerEvent) -> list[str]:
    if isinstance(event, events.Listening):
        return [value for _, value in report._summary_items(event, [], "en")]
    row = report._dialogue_row(event, 0.0, "en")
    return list(row.lines) if row is not None else []


def _window_lines(event: events.ServerEvent, lang: str) -> list[str]:
    return [line.text for line in gui.dialogue_lines(event, gui.LABELS[lang])]


@pytest.mark.parametrize("cls", events.EVENT_CLASSES, ids=lambda cls: cls.event)
def test_every_renderer_renders_every_event(cls):
    event = SAMPLES[cls]
    unknown_transcript = smtp_observer.transcript_lines(UNFORESEEN)
    unknown_window = _window_lines(UNFORESEEN, "en")
    unknown_report = _report_lines(UNFORESEEN)
    assert smtp_observer.transcript_lines(event) not in ([], unknown_transcript)
    assert _window_lines(event, "en") not in ([], unknown_window)
    assert _report_lines(event) not in ([], unknown_report)
    record = json.loads(json.dumps(event.to_json(), default=str))
    assert record["event"] == cls.event and record["session"] == event.session
    if isinstance(event, events.ConnectionEvent):
        assert record["protocol"] == ("pop3" if cls is events.POP3Reply else "smtp")


def test_an_unknown_event_is_shown_as_unknown_by_every_renderer():
    assert "unforeseen" in smtp_observer.transcript_lines(UNFORESEEN)[0]
    assert "unforeseen" in _window_lines(UNFORESEEN, "en")[0]
    assert "unforeseen" in _report_lines(UNFORESEEN)[0]
    assert json.loads(json.dumps(UNFORESEEN.to_json()))["event"] == "unforeseen"


def test_a_second_protocol_posts_the_same_events():
    command = events.CommandReceived(session=1, time=T0, line="USER student",
                                     protocol=events.PROTOCOL_POP3)
    assert command.to_json()["protocol"] == "pop3"
    assert smtp_observer.transcript_lines(command) == ["C: USER student"]


@pytest.mark.parametrize("module", ["gui.py", "gui_teaching.py", "report.py", "events.py"])
def test_the_window_and_the_report_never_import_the_server(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "smtp_observer" not in imported
    assert module == "events.py" or "events" in imported
