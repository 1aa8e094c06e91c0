"""The contract between the rooms: the events a server tells the outside world, and the few
protocol facts every consumer needs to read them.

The server (smtp_observer.py) makes these events and puts them on a queue; the window (gui.py,
gui_teaching.py), the lab report (report.py), the transcript and JSON Lines read them. This
module imports no Tk and no sockets, and is never run as a script, so every room can import it
and all of them see the same classes (smtp_observer.py, run as a script, is ``__main__``: the
window must not import it).

Events are small frozen dataclasses. ``event`` names the kind (and is the JSON name); the
connection events (connect, command, reply, remark, disconnect) also carry ``protocol``, so
that a second protocol (POP3) can post the same events as SMTP does.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import decoder

PROTOCOL_SMTP = "smtp"
PROTOCOL_POP3 = "pop3"

# Where an SMTP session is: connected -> greeted -> mail -> rcpt -> data, and done once closed.
PROTOCOL_STATES = ("connected", "greeted", "mail", "rcpt", "data", "done")
STATE_DONE = PROTOCOL_STATES[-1]

# The reply after which the client's next line is an AUTH credential, not a command (RFC 4954 4).
AUTH_CHALLENGE = 334

# Where a POP3 session is (RFC 1939 3): AUTHORIZATION -> TRANSACTION -> UPDATE, done once closed
# without QUIT after logging on (no UPDATE then: nothing is removed).
POP3_STATES = ("authorization", "transaction", "update", "done")
POP3_OK = "+OK"
POP3_ERR = "-ERR"
POP3_CONTINUE = "+"  # a SASL challenge (RFC 5034 4): the client's next line is a credential


def states_of(protocol: str) -> tuple[str, ...]:
    """The states a session of `protocol` goes through, as the state strip shows them."""
    return POP3_STATES if protocol == PROTOCOL_POP3 else PROTOCOL_STATES


class DisconnectReason(str, enum.Enum):
    """Why a connection ended (the JSON value is the English phrase)."""

    QUIT = "quit"
    PEER_CLOSED = "peer closed"
    TIMEOUT = "timeout"
    TOO_MANY_ERRORS = "too many errors"
    ERROR = "error"
    SERVER_STOPPING = "server stopping"
    SCENARIO = "closed by the lab scenario"
    TLS_FAILED = "TLS handshake failed"

    def __str__(self) -> str:
        return self.value


class RemarkKind(str, enum.Enum):
    """What a remark says; words.REMARKS holds its words in each language (a test checks)."""

    # the server, about the dialogue
    SCENARIO_IN_FORCE = "scenario-in-force"
    SCENARIOS_NEXT = "scenarios-next"
    SCENARIOS_OFF = "scenarios-off"
    SCENARIO_DROP_IN_DATA = "scenario-drop-in-data"
    PIPELINED = "pipelined"
    PIPELINED_UNADVERTISED = "pipelined-unadvertised"
    TLS_FAILED = "tls-failed"
    TLS_INJECTION = "tls-injection"
    BARE_LF_COMMAND = "bare-lf-command"
    AUTH_INTEGRATED = "auth-integrated"
    AUTH_DECODED = "auth-decoded"
    AUTH_DECODED_IN_TLS = "auth-decoded-in-tls"
    NO_BRACKETS = "no-brackets"
    SPACE_AFTER_COLON = "space-after-colon"
    HELO_NAME = "helo-name"
    DOT_STUFFING = "dot-stuffing"
    SIZE_EXACT = "size-exact"
    SIZE_ESTIMATED = "size-estimated"
    BARE_LF_DATA = "bare-lf-data"
    BARE_CR_DATA = "bare-cr-data"
    LONG_LINES = "long-lines"
    EIGHT_BIT_UNDECLARED = "8bit-undeclared"
    CLIENT_WAITING = "client-waiting"  # cut short: another client waited for the only slot
    JUNK_COMMANDS = "junk-commands"  # past Postfix's smtpd_junk_command_limit
    # the decoder, about the message (decoder.py)
    HEADERS_ONLY = "headers-only"
    NESTING_CAPPED = "nesting-capped"  # deeper than Postfix's mime_nesting_limit
    TOO_MANY_LINES = "too-many-lines"  # the email parser keeps one string per line
    LONG_HEADER_BLOCK = "long-header-block"  # a header field folded over thousands of lines
    BARE_LINE_ENDS = "bare-line-ends"
    HEADER_PROBLEM = "header-problem"
    MISSING_FROM = "missing-from"
    MISSING_DATE = "missing-date"
    MISSING_MESSAGE_ID = "missing-message-id"
    HEADER_REPEATED = "header-repeated"
    HEADER_UNPARSABLE = "header-unparsable"
    PART_PROBLEM = "part-problem"
    PART_UNDECODABLE = "part-undecodable"
    BOUNDARY_NEEDS_QUOTES = "boundary-needs-quotes"
    PARTS_NOT_FOUND = "parts-not-found"
    CTE_READ_AS = "cte-read-as"
    CTE_UNKNOWN = "cte-unknown"
    RANGE_APPROXIMATE = "range-approximate"
    TNEF = "tnef"
    OUTLOOK_TEST = "outlook-test"
    OUTLOOK_TEST_WITHOUT = "outlook-test-without"
    INTERNAL_ERROR = "internal-error"
    REUSED_BOUNDARY = "reused-boundary"
    LOST_PART = "lost-part"
    TOO_MANY_LOST_PARTS = "too-many-lost-parts"
    # why a message was not accepted
    MESSAGE_TOO_BIG = "message-too-big"
    MESSAGE_INCOMPLETE = "message-incomplete"
    # why the server cannot listen
    PORT_UNUSABLE = "port-unusable"
    BIND_FAILED = "bind-failed"
    BIND_FAILED_ANY_PORT = "bind-failed-any-port"
    BIND_DENIED = "bind-denied"
    BIND_DENIED_WINDOWS = "bind-denied-windows"
    BIND_IN_USE = "bind-in-use"
    BIND_NOT_HERE = "bind-not-here"
    BIND_OTHER = "bind-other"
    # what else keeps the observer from starting, or it says at start-up
    TLS_CERTIFICATE_UNUSABLE = "tls-certificate-unusable"
    REPORT_FOLDER_UNUSABLE = "report-folder-unusable"
    WINDOW_UNAVAILABLE = "window-unavailable"
    REPORT_WRITTEN = "report-written"
    REPORT_NOT_WRITTEN = "report-not-written"
    # what went wrong inside the observer (ServerError), and why a file could not be used
    SERVER_FAILED = "server-failed"
    COMMAND_FAILED = "command-failed"
    DECODER_FAILED = "decoder-failed"
    CHILD_DECODER_FAILED = "child-decoder-failed"
    FILE_NOT_FOUND = "file-not-found"
    FILE_DENIED = "file-denied"
    NOT_A_FOLDER = "not-a-folder"
    IS_A_FOLDER = "is-a-folder"
    FILE_EXISTS = "file-exists"
    NOT_PEM = "not-pem"
    # parts of the decoder's sentences (values of the remarks above, and the X-ray's charset)
    PART = "part"
    DECODED_AS = "decoded-as"
    ENCODED_WORD = "encoded-word"
    FILE_NAME_PROBLEM = "file-name-problem"
    CONTENT_ID_PROBLEM = "content-id-problem"
    RAW_8BIT_HEADER = "raw-8bit-header"
    PARAM_8BIT = "param-8bit"
    PARAM_RFC2231 = "param-rfc2231"
    CHARSET_UNKNOWN = "charset-unknown"
    CHARSET_INVALID = "charset-invalid"
    CHARSET_CUT = "charset-cut"
    BASE64_REPAIRED = "base64-repaired"
    BASE64_SKIPPED = "base64-skipped"
    BODY_8BIT_IN_7BIT = "body-8bit-in-7bit"
    IMAGE_UNREADABLE = "image-unreadable"
    IMAGE_NOT_OPENED = "image-not-opened"
    IMAGE_CORRUPT = "image-corrupt"
    IMAGE_BOMB = "image-bomb"
    DEFECT_NO_BOUNDARY = "defect-no-boundary"
    DEFECT_START_BOUNDARY = "defect-start-boundary"
    DEFECT_CLOSE_BOUNDARY = "defect-close-boundary"
    DEFECT_FIRST_LINE = "defect-first-line"
    DEFECT_ENVELOPE_LINE = "defect-envelope-line"
    DEFECT_NO_SEPARATOR = "defect-no-separator"
    DEFECT_NO_PARTS = "defect-no-parts"
    DEFECT_MULTIPART_CTE = "defect-multipart-cte"
    DEFECT_UNDECODABLE = "defect-undecodable"
    DEFECT_BASE64_PADDING = "defect-base64-padding"
    DEFECT_BASE64_CHARACTERS = "defect-base64-characters"
    DEFECT_BASE64_LENGTH = "defect-base64-length"
    DEFECT_MALFORMED_HEADER = "defect-malformed-header"
    DEFECT_HEADER_MISSING_VALUE = "defect-header-missing-value"
    DEFECT_INVALID_DATE = "defect-invalid-date"
    DEFECT_NON_ASCII_LOCAL_PART = "defect-non-ascii-local-part"
    DEFECT_NON_PRINTABLE = "defect-non-printable"
    DEFECT_OBSOLETE_HEADER = "defect-obsolete-header"
    DEFECT_INVALID_HEADER = "defect-invalid-header"
    DEFECT_NO_DOMAIN = "defect-no-domain"
    DEFECT_BAD_ADDRESS = "defect-bad-address"
    DEFECT_NO_CLOSING_BRACKET = "defect-no-closing-bracket"
    DEFECT_UNCLOSED = "defect-unclosed"
    DEFECT_LOCAL_PART_DOTS = "defect-local-part-dots"
    DEFECT_ENCODED_WORD_SPACING = "defect-encoded-word-spacing"
    DEFECT_BAD_MESSAGE_ID = "defect-bad-message-id"
    DEFECT_BAD_PARAMETER = "defect-bad-parameter"
    DEFECT_HEADER_OTHER = "defect-header-other"
    DEFECT_OTHER = "defect-other"
    SUBSTITUTION = "substitution"
    LABELLED = "labelled"
    NO_LABEL = "no-label"
    SUPERSET_GB18030 = "superset-gb18030"
    SUPERSET_BIG5HKSCS = "superset-big5hkscs"
    SUPERSET_CP949 = "superset-cp949"
    SUPERSET_CP874 = "superset-cp874"
    SUPERSET_CP932 = "superset-cp932"
    SUPERSET_CP1252 = "superset-cp1252"
    # POP3 (pop3.py; their words are explain_pop3.REMARKS)
    POP3_PASSWORD = "pop3-password"  # PASS: the password went in the clear
    POP3_AUTH_PLAIN = "pop3-auth-plain"
    POP3_APOP = "pop3-apop"
    POP3_SPA = "pop3-spa"
    POP3_AFTER_STLS = "pop3-after-stls"
    UIDL_FIRST = "uidl-first"  # how "leave a copy on the server" works
    MAIL_LEFT = "mail-left"  # retrieved, not deleted
    MAIL_DELETED = "mail-deleted"
    AUTOLOGOUT = "autologout"

    def __str__(self) -> str:
        return self.value


def pop3_status_line(status: str, text: str) -> str:
    """A POP3 status line without its CRLF; a SASL challenge keeps its space (RFC 5034 4)."""
    return f"{status} {text}" if text or status == POP3_CONTINUE else status


def pop3_wire_lines(event: POP3Reply, body: str) -> list[str]:
    """A POP3 response's lines as they go over the wire (RFC 1939 3): the status line, the lines
    of a multi-line response (byte-stuffed) and the final "."; `body` stands for a message."""
    lines = [event.status_line]
    if event.lines is not None:
        lines += ["." + line if line.startswith(".") else line for line in event.lines]
    if event.body_size is not None:
        lines.append(body)
    return [*lines, "."] if event.multiline else lines


@dataclass(frozen=True, slots=True)
class Note:
    """Words for a person, as data: what is said (a kind) and the values it names. A value may
    be a Note itself (a part of a sentence, put in words in the same language)."""

    kind: RemarkKind
    values: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "values": note_values_json(self.values)}


def _note_json_text(note: Note | None) -> str | None:
    import words  # words imports this module

    return None if note is None else words.note_text(note, "en")


def note_values_json(values: Mapping[str, Any]) -> dict:
    return {name: value.to_json() if isinstance(value, Note) else _json_value(value)
            for name, value in values.items()}


def reply_wire_lines(code: int, lines: Sequence[str]) -> list[str]:
    """A reply's lines as they go over the wire (RFC 5321 4.2): "250-first", ..., "250 last"."""
    last = len(lines) - 1
    return [f"{code}{' ' if index == last else '-'}{line}"
            for index, line in enumerate(lines)] or [str(code)]


class Outbox:
    """Reply events waiting for their bytes to be written. A reply is recorded when it leaves,
    not when it is composed (as aiosmtpd's push() does): in the "slow" scenario the pause is the
    server's time, not the client's. Each entry makes the event for the time it is given."""

    def __init__(self, emit: Callable[[ServerEvent], None]) -> None:
        self._emit = emit
        self._writes: deque[list[Callable[[float], ServerEvent]]] = deque()

    def compose(self, make: Callable[[float], ServerEvent], *, same_write: bool = False) -> None:
        """A reply to be written next (or in the same write as the one before)."""
        if same_write and self._writes:
            self._writes[-1].append(make)
        else:
            self._writes.append([make])

    def written(self, writes: int | None = None) -> None:
        """The first ``writes`` writes (None: all) have gone out: record their replies now."""
        count = len(self._writes) if writes is None else min(writes, len(self._writes))
        for _ in range(count):
            for make in self._writes.popleft():
                self._emit(make(time=time.time()))


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope of one message: who the client says it is from and for."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    mail_params: tuple[str, ...] = ()  # the MAIL FROM parameters as sent, e.g. "SIZE=1234"

    def to_json(self) -> dict:
        return {"mail_from": self.mail_from, "rcpt_to": list(self.rcpt_to),
                "mail_params": list(self.mail_params)}


def _json_value(value: Any) -> Any:
    if isinstance(value, Note):
        return _note_json_text(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """Base of every event; ``event`` is the name consumers dispatch on (and the JSON name)."""

    event: ClassVar[str] = ""
    session: int  # 0 for events of the server itself
    time: float  # seconds since the epoch

    def to_json(self) -> dict:
        fields = {f.name: _json_value(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"event": self.event, **fields}


@dataclass(frozen=True, slots=True)
class ConnectionEvent(ServerEvent):
    """An event of one client connection, in the protocol it speaks ("smtp" or "pop3")."""

    protocol: str = field(default=PROTOCOL_SMTP, kw_only=True)


@dataclass(frozen=True, slots=True)
class Listening(ServerEvent):
    event: ClassVar[str] = "listening"
    host: str
    port: int
    requested_port: int | None  # None when the user gave no --port
    fallback_reason: Note | None  # why port 25 could not be used, when we fell back
    hostname: str  # the name the server greets with
    scenarios: tuple[str, ...] = ()  # the lab scenarios in force (see explain.SCENARIOS)
    pop3_port: int | None = None  # None when POP3 is not served
    pop3_fallback_reason: Note | None = None  # why port 110 could not be used, when we fell back
    pop3_unavailable: Note | None = None  # why POP3 could not listen at all (no --pop3-port)
    # What students type as the server in class mode (lan.addresses_to_type); () on loopback.
    lan_addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Connected(ConnectionEvent):
    event: ClassVar[str] = "connect"
    peer: str


@dataclass(frozen=True, slots=True)
class CommandReceived(ConnectionEvent):
    event: ClassVar[str] = "command"
    line: str  # as received, without CRLF; bytes that are not UTF-8 appear as \\xNN
    # The line answers an AUTH challenge (334): it is a credential in base64, not a command.
    answers_challenge: bool = False


@dataclass(frozen=True, slots=True)
class ReplySent(ConnectionEvent):
    """A reply, stamped when its bytes were written to the client."""

    event: ClassVar[str] = "reply"
    code: int
    lines: tuple[str, ...]  # the text of each reply line, without the code
    state: str  # the protocol state after this reply, one of PROTOCOL_STATES

    def to_json(self) -> dict:
        return {"event": self.event, "protocol": self.protocol, "session": self.session,
                "time": self.time, "code": self.code, "text": "\n".join(self.lines),
                "state": self.state}

    def wire_lines(self, body: str = "") -> list[str]:
        """The reply as it went over the wire (`body` is for POP3's messages: unused)."""
        return reply_wire_lines(self.code, self.lines)


@dataclass(frozen=True, slots=True)
class POP3Reply(ConnectionEvent):
    """A POP3 response (RFC 1939 3): +OK or -ERR and a text, maybe followed by lines and a ".";
    a RETR or TOP response carries a message, of which the event keeps only the size."""

    event: ClassVar[str] = "reply"
    status: str  # POP3_OK, POP3_ERR or POP3_CONTINUE
    text: str
    lines: tuple[str, ...] | None  # the lines of a multi-line response; None: one line
    state: str  # the protocol state after this response, one of POP3_STATES
    body_size: int | None = None  # octets of the message a RETR or TOP sent
    # The message of this run a RETR, TOP or DELE named (its number in the window's list).
    message_number: int | None = None
    verb: str | None = None  # the command answered; None for the greeting and a SASL step
    protocol: str = field(default=PROTOCOL_POP3, kw_only=True)

    @property
    def status_line(self) -> str:
        return pop3_status_line(self.status, self.text)

    @property
    def multiline(self) -> bool:
        return self.lines is not None or self.body_size is not None

    def wire_lines(self, body: str = "") -> list[str]:
        """The response as it went over the wire; `body` stands for a retrieved message."""
        return pop3_wire_lines(self, body)


@dataclass(frozen=True, slots=True)
class Remark(ConnectionEvent):
    """A teaching note about the dialogue (decoded AUTH credentials, bare LF, long lines...),
    as data: words.note_text() puts it in the reader's language."""

    event: ClassVar[str] = "remark"
    kind: RemarkKind
    values: Mapping[str, Any] = field(default_factory=dict)  # passwords appear masked here
    secret: str | None = None  # the decoded AUTH password; the window reveals it on request

    @property
    def note(self) -> Note:
        return Note(self.kind, self.values)

    def to_json(self) -> dict:
        import words  # words imports this module

        return {"event": self.event, "protocol": self.protocol, "session": self.session,
                "time": self.time, "kind": self.kind.value,
                "values": note_values_json(self.values), "text": words.note_text(self.note, "en"),
                "secret": self.secret}


@dataclass(frozen=True, slots=True)
class TLSStarted(ConnectionEvent):
    """The connection switched to TLS (STARTTLS); later lines are encrypted on the wire."""

    event: ClassVar[str] = "tls"
    version: str
    cipher: str


@dataclass(frozen=True, slots=True)
class DataReceived(ConnectionEvent):
    """The message data of one DATA command has arrived (before the server replies)."""

    event: ClassVar[str] = "data"
    size: int  # octets of message data as they came over the wire (still dot-stuffed)
    complete: bool  # False when the client went away before the final "."


@dataclass(frozen=True, slots=True)
class MessageReceived(ConnectionEvent):
    """One message with its envelope, raw bytes and decoded form (sent after the reply)."""

    event: ClassVar[str] = "message"
    number: int  # counts the messages of this run, from 1
    envelope: Envelope
    raw: bytes
    complete: bool
    accepted: bool  # False when the server refused it (too large) or it was incomplete
    reason: Note | None  # why it was not accepted
    decoded: decoder.DecodedMessage | None

    def to_json(self, *, with_raw: bool = False) -> dict:
        """The message as JSON; ``with_raw`` adds its bytes in base64 ("raw"), which is what
        from_json() needs to show it again (a saved session)."""
        decoded = self.decoded.to_json() if self.decoded is not None else {}
        # a saved session keeps the bytes, and the reason as data, to show them again
        raw = {"raw": base64.b64encode(self.raw).decode("ascii"),
               "reason_note": None if self.reason is None else self.reason.to_json()} \
            if with_raw else {}
        return {"event": self.event, "protocol": self.protocol, "session": self.session,
                "time": self.time, "number": self.number, "envelope": self.envelope.to_json(),
                "size": len(self.raw), "complete": self.complete, "accepted": self.accepted,
                "reason": _note_json_text(self.reason), **raw, **decoded}


@dataclass(frozen=True, slots=True)
class Disconnected(ConnectionEvent):
    event: ClassVar[str] = "disconnect"
    reason: DisconnectReason


@dataclass(frozen=True, slots=True)
class ServerError(ServerEvent):
    """Something went wrong inside the observer (a bug, the decoder's child process), as data:
    words.note_text() puts it in the reader's language; the exception's own text is a value."""

    event: ClassVar[str] = "error"
    kind: RemarkKind
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def note(self) -> Note:
        return Note(self.kind, self.values)

    def to_json(self) -> dict:
        import words  # words imports this module

        return {"event": self.event, "session": self.session, "time": self.time,
                "kind": self.kind.value, "values": note_values_json(self.values),
                "text": words.note_text(self.note, "en")}


EVENT_CLASSES: tuple[type[ServerEvent], ...] = (
    Listening, Connected, CommandReceived, ReplySent, POP3Reply, Remark, TLSStarted, DataReceived,
    MessageReceived, Disconnected, ServerError)


def _default_protocol(cls: type[ServerEvent]) -> str | None:
    found = [f.default for f in dataclasses.fields(cls) if f.name == "protocol"]
    return found[0] if found else None


# By JSON name and protocol: "reply" is ReplySent in SMTP and POP3Reply in POP3.
EVENTS_BY_NAME: Mapping[tuple[str, str | None], type[ServerEvent]] = {
    (cls.event, _default_protocol(cls)): cls for cls in EVENT_CLASSES}


class EventJSONError(ValueError):
    """A JSON object that is not an event this version knows (the message names what)."""


def from_json(data: Mapping[str, Any], *,
              decode: Callable[[bytes], decoder.DecodedMessage] | None = None) -> ServerEvent:
    """The event that to_json() wrote (a message's with_raw=True): the inverse of to_json.
    A message is decoded again from its raw bytes with `decode` (decoder.decode), since its
    decoded form is derived data; without `decode` it has none. Raises EventJSONError."""
    name, protocol = data.get("event"), data.get("protocol")
    cls = (EVENTS_BY_NAME.get((name, protocol)) or EVENTS_BY_NAME.get((name, PROTOCOL_SMTP))
           or EVENTS_BY_NAME.get((name, None)))
    if cls is None:
        raise EventJSONError(f"unknown event {name!r}")
    try:
        values = {f.name: _field_from_json(cls, f.name, data)
                  for f in dataclasses.fields(cls) if f.init and f.name in data or
                  f.name in _DERIVED_FIELDS.get(cls, ())}
        if cls is MessageReceived:
            raw = values["raw"]
            values["decoded"] = decode(raw) if decode is not None else None
        return cls(**values)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise EventJSONError(f"a {name!r} event that cannot be read: {error}") from None


# Fields whose JSON is not the field itself (see the to_json methods above).
_DERIVED_FIELDS: Mapping[type[ServerEvent], tuple[str, ...]] = {
    ReplySent: ("lines",), MessageReceived: ("raw", "reason")}


def _field_from_json(cls: type[ServerEvent], name: str, data: Mapping[str, Any]) -> Any:
    if cls is ReplySent and name == "lines":
        return tuple(data["text"].split("\n"))
    if cls is MessageReceived and name == "raw":
        return base64.b64decode(data["raw"], validate=True)
    if cls is MessageReceived and name == "reason":  # the text alone cannot be put in words
        return _note_from_json(data.get("reason_note"))
    value = data[name]
    if name == "envelope":
        return Envelope(value["mail_from"], tuple(value["rcpt_to"]),
                        tuple(value.get("mail_params", ())))
    if name == "values":
        return {key: _note_from_json(item) for key, item in value.items()}
    if name == "kind":
        return RemarkKind(value)
    if name == "reason" and cls is Disconnected:
        return DisconnectReason(value)
    return tuple(value) if isinstance(value, list) else value


def _note_from_json(value: Any) -> Any:
    """A remark's value: a Note (written as {"kind", "values"}) or a plain value."""
    if isinstance(value, dict) and set(value) == {"kind", "values"}:
        return Note(RemarkKind(value["kind"]),
                    {key: _note_from_json(item) for key, item in value["values"].items()})
    return tuple(value) if isinstance(value, list) else value
