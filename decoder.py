"""Decode a received mail the way a reader would see it.

``decode(raw)`` is a pure function from the bytes of a message (as received in DATA, after
dot-unstuffing) to a :class:`DecodedMessage`. It never raises, never does I/O and never writes
to disk: bad input degrades to remarks. It imports neither tkinter nor smtp_observer.

How it works: the email package (policy.default) parses the MIME tree; this module then walks
that tree in step with its own scan of the raw bytes (the email package gives no offsets), so
every part knows where its encoded body lies; long base64 bodies reach the parser as placeholder
lines and are decoded straight from the raw bytes (see ``_base64_runs``). Text is decoded
through our own charset table, because mail clients label text with charsets narrower than the
text really is (see ``_CHARSET_SUPERSETS``), and headers are re-decoded from ``raw_items()``
for the same reason.

Charset choices: GB2312/GBK labels decode as GB18030, Big5 as Big5-HKSCS, KS C 5601 / EUC-KR as
CP949, Shift_JIS as CP932, windows-874 / TIS-620 as CP874, and ISO-8859-1 as windows-1252 (the
WHATWG practice). US-ASCII stays strict ASCII: 8-bit bytes under that label (or under no label)
mean the label is wrong, so the text goes down the UTF-8, GB18030, Latin-1 fallback chain, which
is what unlabelled Chinese mail needs.

Run as a script, ``python decoder.py FILE.eml [--json]`` decodes a saved message offline.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import hashlib
import json
import os
import re
import sys
import threading
import urllib.parse
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from email import errors, headerregistry, policy
from email.feedparser import FeedParser
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image, UnidentifiedImageError

import words
from events import Note, RemarkKind
from explain import Text


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header line as it arrived (unfolded) and as a reader sees it."""

    name: str
    raw: str  # the value as received, folding removed, 8-bit bytes decoded as in `value`
    value: str  # RFC 2047 words decoded


@dataclass(frozen=True, slots=True)
class HeaderWord:
    """One run of a header value, for the encoding X-ray: an RFC 2047 encoded word such as
    "=?gb2312?B?xPq6ww==?=", or the plain text between words (see `header_words`)."""

    encoded: str  # the run as it came
    charset: str | None  # the word's charset label; None for plain text
    charset_used: str | None  # the codec really used (our superset table, or a fallback)
    encoding: str | None  # "B" or "Q"; None for plain text
    octets: bytes  # the bytes the word carries (of plain text: its UTF-8, or its raw bytes)
    text: str
    substitution: Note | None = None  # for a student, when charset_used is not the label


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # Pillow's format name: "JPEG", "PNG", "BMP", "GIF", ...
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class AttachedMessage:
    """What a reader first sees of a mail attached to another (message/rfc822, message/global,
    message/news, text/rfc822-headers): its decoded headers and the text it shows."""

    subject: str | None
    from_: str | None
    date: str | None
    text: str | None  # None for headers only (text/rfc822-headers)

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "from": self.from_, "date": self.date, "text": self.text}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part a reader would see as a file: attachments, inline pictures, attached mail."""

    filename: str
    content_type: str
    content_id: str | None
    disposition: str | None  # "attachment", "inline" or None when the part has no header
    data: bytes
    size: int
    sha256: str
    image: ImageInfo | None
    part: str  # path of the part in the MIME tree, e.g. "1.2"
    message: AttachedMessage | None = None  # an attached mail: decode(data) opens it whole

    def to_json(self) -> dict[str, Any]:
        """The JSON form: everything but the bytes; width, height and format only for images."""
        fields: dict[str, Any] = {
            "filename": self.filename,
            "content_type": self.content_type,
            "content_id": self.content_id,
            "disposition": self.disposition,
            "size": self.size,
            "sha256": self.sha256,
            "part": self.part,
        }
        if self.image is not None:
            image = self.image
            fields.update(width=image.width, height=image.height, format=image.format)
        if self.message is not None:
            fields["message"] = self.message.to_json()
        return fields


@dataclass(frozen=True, slots=True)
class BodyPiece:
    """One thing a reader sees in the body, in the order the mail shows it (see
    DecodedMessage.body): a text part, the fields of a report, or an inline picture."""

    part: str  # path of the part in the MIME tree; a picture's bytes are the attachment's
    kind: str  # "plain", "html" (`text` is its rendering), "report" (status fields), "picture"
    text: str  # "" for a picture; line ends "\n"


@dataclass(frozen=True, slots=True)
class Part:
    """One node of the MIME tree, with where its encoded body lies in the raw message."""

    path: str  # "1" is the message itself, "1.2" its second child, ...
    depth: int
    content_type: str
    charset: str | None  # the label the message gave
    charset_used: str | None  # the codec we really decoded text with
    transfer_encoding: str
    disposition: str | None
    filename: str | None
    encoded_size: int
    decoded_size: int  # of a multipart or message/*: the sum over the parts inside
    body_start: int  # byte offsets of the encoded body in the raw message: raw[start:end]
    body_end: int
    subject: str | None = None  # of an attached mail (message/rfc822 and kin): its own headers
    from_: str | None = None


@dataclass(frozen=True, slots=True)
class PartXray:
    """One part of the MIME tree as the encoding X-ray shows it (see `part_xray`): the bytes
    that came over the wire, the bytes they encode, and the text those bytes are."""

    encoded: bytes  # raw[part.body_start:part.body_end], exactly as received
    decoded: bytes  # with the Content-Transfer-Encoding undone; b"" for multipart and message/*
    text: str | None  # text/* only: decoded by its charset (line ends "\n"), as decode() does
    charset_used: str | None  # the codec that decoded `text`
    substitution: Note | None  # why charset_used is not the charset label, for a student
    is_binary: bool  # `decoded` is not text (a picture, a PDF...): show it as hex


@dataclass(slots=True)
class DecodedMessage:
    headers: list[HeaderField] = field(default_factory=list)
    subject: str | None = None
    from_: str | None = None
    to: str | None = None
    cc: str | None = None
    date: str | None = None
    message_id: str | None = None
    # every text piece of `body`, in order; line ends are "\n"; a picture of an HTML body
    # without alt text is words.PICTURE_MARK, which the renderers put in words
    text: str | None = None
    html: str | None = None
    text_from_html: bool = False  # True when `text` holds a rendering of an HTML body
    body: list[BodyPiece] = field(default_factory=list)  # what a reader sees, in order
    attachments: list[Attachment] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    remarks: list[Note] = field(default_factory=list)  # words.note_text() puts them in words
    outlook_test: bool = False  # Outlook's "Microsoft Outlook Test Message" account test

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (no bytes) for --json and the server's --jsonl message event."""
        return {
            "subject": self.subject,
            "from": self.from_,
            "to": self.to,
            "cc": self.cc,
            "date": self.date,
            "message_id": self.message_id,
            "text": self.text,
            "html": self.html,
            "text_from_html": self.text_from_html,
            "outlook_test": self.outlook_test,
            "body": [asdict(piece) for piece in self.body],
            "headers": [{"name": header.name, "value": header.value} for header in self.headers],
            "attachments": [attachment.to_json() for attachment in self.attachments],
            "parts": [asdict(part) for part in self.parts],
            "remarks": [{**remark.to_json(), "text": words.note_text(remark, "en")}
                        for remark in self.remarks],
        }

    def remark_texts(self, lang: str = "en") -> list[str]:
        return [words.note_text(remark, lang) for remark in self.remarks]


# --- Charsets ------------------------------------------------------------------------------

# Labels (lower case, "_" written "-") that clients put on text of a wider charset: decode with
# the superset. Outlook and Foxmail label GBK text gb2312, and Python's gb2312 codec turns the
# GBK-only 镕 into U+FFFD and maps 0xA1A4/0xA1AA to other characters than Windows shows.
_CHARSET_SUPERSETS = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn",
         "csgb2312", "gb-2312-80"),
        "gb18030",
    ),
    **dict.fromkeys(("big5", "x-big5", "cn-big5", "csbig5"), "big5hkscs"),
    **dict.fromkeys(("ks-c-5601-1987", "ks-c-5601", "ksc5601", "euc-kr", "cseuckr"), "cp949"),
    **dict.fromkeys(("windows-874", "tis-620"), "cp874"),
    **dict.fromkeys(("shift-jis", "sjis", "x-sjis", "ms-kanji", "csshiftjis"), "cp932"),
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1"), "cp1252"),
}
# Why each superset above is used, as the X-ray tells a student (see `part_xray`).
_SUPERSET_REASONS = {
    "gb18030": RemarkKind.SUPERSET_GB18030,
    "big5hkscs": RemarkKind.SUPERSET_BIG5HKSCS,
    "cp949": RemarkKind.SUPERSET_CP949,
    "cp874": RemarkKind.SUPERSET_CP874,
    "cp932": RemarkKind.SUPERSET_CP932,
    "cp1252": RemarkKind.SUPERSET_CP1252,
}
_FALLBACK_CODECS = ("utf-8", "gb18030")  # then latin-1, which decodes any bytes
_LONGEST_CHARACTER = 4  # bytes, in UTF-8 and GB18030


class _Text(NamedTuple):
    text: str
    codec: str  # the Python codec that decoded it
    problem: Note | None  # why the label was not used (the caller adds "decoded as <codec>")


# Python codecs that are not charsets of mail: a label naming one is treated as unknown.
_NOT_MAIL_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna",
                                "undefined", "charmap", "rot-13"})


def _strict_decode(data: bytes, codec: str) -> str:
    """Decode or raise LookupError/ValueError; lone surrogates count as failure, since utf-7
    can produce them and no console or JSON encoder accepts them."""
    if codecs.lookup(codec).name in _NOT_MAIL_CHARSETS:
        raise LookupError(codec)
    text = data.decode(codec)
    if not text.isascii():
        text.encode("utf-8")
    return text


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return _strict_decode(data, codec)
    except (LookupError, ValueError):
        return None


def _cut_off_at(error: ValueError, length: int) -> int | None:
    """Where the incomplete last character starts, if that is all that failed to decode."""
    if (isinstance(error, UnicodeDecodeError) and error.end == length
            and error.start >= length - _LONGEST_CHARACTER):
        return error.start
    return None


def _charset_codec(label: str | None) -> tuple[str, str]:
    """The label as compared (lower case, unquoted; RFC 2045's us-ascii when there is none)
    and the codec to decode it with."""
    name = (label or "").strip().strip("\"'").lower() or "us-ascii"
    return name, _CHARSET_SUPERSETS.get(name.replace("_", "-"), name)


def _decode_bytes(data: bytes, label: str | None, may_be_cut_off: bool = False) -> _Text:
    """Decode text labelled `label` (None: RFC 2045's us-ascii), falling back when it fails.
    A body `may_be_cut_off` (the connection dropped): then an incomplete last character is
    replaced, as readers do, rather than the whole text going down the fallback chain."""
    name, codec = _charset_codec(label)
    try:
        return _Text(_strict_decode(data, codec), codecs.lookup(codec).name, None)
    except LookupError:
        problem = Note(RemarkKind.CHARSET_UNKNOWN, {"charset": name})
    except ValueError as error:
        problem = Note(RemarkKind.CHARSET_INVALID, {"charset": name})
        cut_at = _cut_off_at(error, len(data)) if may_be_cut_off else None
        if cut_at is not None and (text := _try_decode(data[:cut_at], codec)) is not None:
            return _Text(text + "\ufffd", codecs.lookup(codec).name,
                         Note(RemarkKind.CHARSET_CUT, {"charset": name}))
    for fallback in _FALLBACK_CODECS:
        if (text := _try_decode(data, fallback)) is not None:
            return _Text(text, fallback, problem)
    return _Text(data.decode("latin-1"), "latin-1", problem)


def _substitution(label: str | None, decoded: _Text) -> Note | None:
    """A sentence for a student when `decoded` was not decoded with the codec its label names:
    a superset of the label, or a fallback because the label was unknown or wrong."""
    name, codec = _charset_codec(label)
    if decoded.problem is None and codec == name:
        return None
    labelled = (Note(RemarkKind.LABELLED, {"charset": name}) if label and label.strip()
                else Note(RemarkKind.NO_LABEL))
    # a test checks every superset
    reason = decoded.problem or Note(_SUPERSET_REASONS[codec])
    return Note(RemarkKind.SUBSTITUTION,
                {"labelled": labelled, "codec": decoded.codec, "reason": reason})


def _decoded_as(decoded: _Text) -> Note:
    return Note(RemarkKind.DECODED_AS, {"problem": decoded.problem, "codec": decoded.codec})


def _decode_8bit(value: str) -> tuple[str, str | None]:
    """Decode raw 8-bit bytes in a parsed header value (the parser keeps them as surrogates) as
    UTF-8 (RFC 6532), else GB18030, else Latin-1. Returns the text and the codec, or None when
    the value was plain ASCII."""
    if value.isascii():
        return value, None
    decoded = _decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
    return decoded.text, decoded.codec


# --- Headers -------------------------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# RFC 2047 encoded word; the charset may carry an RFC 2231 "*language" suffix. Only printable
# ASCII is allowed inside, which keeps stray 8-bit text out of the base64/QP decoders.
_ENCODED_WORD = re.compile(
    r"=\?([\x21-\x29\x2b-\x3e\x40-\x7e]+)(?:\*[\x21-\x3e\x40-\x7e]*)?"
    r"\?([bBqQ])\?([\x21-\x3e\x40-\x7e]*)\?="
)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


class _HeaderText(NamedTuple):
    raw: str  # unfolded, 8-bit bytes decoded
    value: str  # encoded words decoded too
    complaints: list[Note]


def _b64decode_lenient(encoded: bytes) -> bytes:
    """Decode base64 as mail readers do: skip stray characters, repair the padding, and drop a
    lone trailing character (six bits make no byte) instead of failing."""
    data = _NOT_BASE64.sub(b"", encoded)
    if len(data) % 4 == 1:
        data = data[:-1]
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


def _decode_base64(encoded: bytes, start: int = 0, end: int | None = None
                   ) -> tuple[bytes, list[Note]]:
    """Decode the base64 body encoded[start:end], and say what was wrong with it. It is read in
    place, so that a large body is decoded straight from the raw message (see `_base64_runs`);
    and binascii skips line breaks itself, which spares the split-and-join copies that
    get_payload(decode=True) makes."""
    end = len(encoded) if end is None else end
    try:
        data = binascii.a2b_base64(memoryview(encoded)[start:end])
    except binascii.Error:
        return _b64decode_lenient(encoded[start:end]), [Note(RemarkKind.BASE64_REPAIRED)]
    line_breaks = encoded.count(b"\n", start, end) + encoded.count(b"\r", start, end)
    significant = end - start - line_breaks
    tail = encoded[max(start, end - 16) : end].rstrip(b"\r\n")
    padding = len(tail) - len(tail.rstrip(b"="))
    if significant % 4 or len(data) != significant // 4 * 3 - padding:
        return data, [Note(RemarkKind.BASE64_SKIPPED)]
    return data, []


def _word_octets(word: re.Match[str]) -> bytes:
    """The bytes an encoded word carries, its "B" (base64) or "Q" encoding undone."""
    if word[2] in "bB":
        return _b64decode_lenient(word[3].encode("ascii"))
    return binascii.a2b_qp(word[3].encode("ascii"), header=True)


def _word_runs(value: str) -> Iterator[str | list[re.Match[str]]]:
    """`value` cut into plain runs and groups of adjacent encoded words in one charset, also
    inside quotes and next to other text, as Outlook and Foxmail write file names. Whitespace
    between adjacent words is dropped (RFC 2047 6.2). The words of a group are decoded together,
    because clients split a multibyte character across two words more often than RFC 2047
    allows."""
    group: list[re.Match[str]] = []  # not empty exactly when the last run was a word
    end = 0
    for word in _ENCODED_WORD.finditer(value):
        gap = value[end : word.start()]
        follows_word = bool(group) and (not gap or gap.isspace())
        if group and not (follows_word and word[1].lower() == group[0][1].lower()):
            yield group
            group = []
        if gap and not follows_word:
            yield gap
        group.append(word)
        end = word.end()
    if group:
        yield group
    if end < len(value):
        yield value[end:]


def _decode_encoded_words(value: str) -> tuple[str, list[Note]]:
    """Decode the RFC 2047 words in `value` (see `_word_runs`); return the text and complaints."""
    if "=?" not in value:  # no encoded word, as in most values
        return value, []
    pieces: list[str] = []
    complaints: list[Note] = []
    for run in _word_runs(value):
        if isinstance(run, str):
            pieces.append(run)
            continue
        decoded = _decode_bytes(b"".join(_word_octets(word) for word in run), run[0][1])
        pieces.append(decoded.text)
        if decoded.problem:
            complaints.append(Note(RemarkKind.ENCODED_WORD, {"problem": _decoded_as(decoded)}))
    return "".join(pieces), complaints


def _plain_octets(text: str) -> bytes:
    """The bytes of plain header text: UTF-8, or the raw bytes where the parser kept 8-bit bytes
    as surrogates (lone surrogates of other origin are written as UTF-8 would)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _shares_of_text(octets: list[bytes], decoded: _Text) -> list[str]:
    """Each word's share of the text its group decoded to: the characters that end in its bytes,
    so a character split across two words shows in the word that completes it. Should the codec
    have no incremental decoder that agrees, the first word takes all the text."""
    try:
        incremental = codecs.getincrementaldecoder(decoded.codec)()
        shares = [incremental.decode(data) for data in octets]
        shares[-1] += incremental.decode(b"", final=True)
        if "".join(shares) == decoded.text:
            return shares
    except Exception:  # e.g. rot-13: b"".decode() "succeeds" with it, but it is not a text codec
        pass
    return [decoded.text] + [""] * (len(octets) - 1)


def _group_words(group: list[re.Match[str]]) -> list[HeaderWord]:
    """The HeaderWords of adjacent encoded words in one charset, decoded together as in
    HeaderField.value."""
    octets = [_word_octets(word) for word in group]
    label = group[0][1]
    decoded = _decode_bytes(b"".join(octets), label)
    substitution = _substitution(label, decoded)
    return [
        HeaderWord(word[0], word[1], decoded.codec, word[2].upper(), data, text, substitution)
        for word, data, text in zip(group, octets, _shares_of_text(octets, decoded), strict=True)
    ]


def header_words(value: str) -> list[HeaderWord]:
    """The runs of one header value (as HeaderField.raw: unfolded, 8-bit bytes decoded): each
    RFC 2047 encoded word and each plain run between them, for the encoding X-ray. Joined, their
    texts give HeaderField.value (before its surrounding whitespace is stripped).

    Pure and total: a bad word degrades as in decode(); even a bug here only costs the split,
    and the whole value comes back as one plain run."""
    try:
        words: list[HeaderWord] = []
        for run in _word_runs(value):
            if isinstance(run, str):
                words.append(HeaderWord(run, None, None, None, _plain_octets(run), run))
            else:
                words += _group_words(run)
        return words
    except Exception:
        return [HeaderWord(value, None, None, None, _plain_octets(value), value)]


def hex_octets(data: bytes, limit: int = 4096) -> str:
    """Bytes as the X-ray shows them, "c4 fa ba c3"; past `limit` bytes cut off with "…"."""
    shown = data[: max(limit, 0)].hex(" ")
    return shown + " …" if len(data) > limit else shown


def _unfold(value: str) -> str:
    """`value` without its line breaks (most values have none, and `in` finds that soonest)."""
    return _LINE_BREAK.sub("", value) if "\n" in value or "\r" in value else value


def _decode_header_value(raw_value: str) -> _HeaderText:
    """Unfold a header value as parsed (8-bit bytes as surrogates) and decode it."""
    raw, codec = _decode_8bit(_unfold(raw_value))
    complaints = []
    if codec is not None:
        complaints.append(Note(RemarkKind.RAW_8BIT_HEADER, {"codec": codec}))
    value, word_complaints = _decode_encoded_words(raw)
    return _HeaderText(raw.strip(), value.strip(), complaints + word_complaints)


# A parameter: name = quoted string (possibly unterminated) or anything up to the next ";".
# Taking unquoted values up to ";" reads Outlook Express's boundary=----=_NextPart_... and Apple
# Mail's filename=This is a test.txt the way mail readers do.
# A quoted string is matched as runs of plain characters between escapes: sre takes a run in
# one step, where an alternation per character cost a step and a branch each.
_PARAMETER = re.compile(r';\s*([^\s=;]+)\s*=\s*("[^"\\]*(?:\\.[^"\\]*)*"?|[^;]*)', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_RFC2231_NAME = re.compile(r"([^*]+)\*(?:(\d+)(\*)?)?\Z")  # name*, name*0, name*0*


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value.strip()
    inner = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
    return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner


def _join_rfc2231(segments: list[tuple[int, bool, str]]) -> _Text:
    """Join RFC 2231 continuations (number, %-encoded?, text) into one decoded value."""
    segments.sort(key=lambda segment: segment[0])
    data = bytearray()
    charset = None
    for index, (_, encoded, text) in enumerate(segments):
        if encoded and index == 0 and text.count("'") >= 2:
            charset, _, text = text.split("'", 2)
        raw = text.encode("ascii", "surrogateescape")
        data += urllib.parse.unquote_to_bytes(raw) if encoded else raw
    return _decode_bytes(bytes(data), charset or None)


def _parse_params(header_value: str | None) -> tuple[dict[str, str], list[Note]]:
    """The parameters of a Content-Type / Content-Disposition value as parsed (lower-case names
    → decoded text, RFC 2231 continuations joined; RFC 2047 words are left to the caller), and
    complaints about their charsets."""
    if not header_value:
        return {}, []
    params: dict[str, str] = {}
    rfc2231: dict[str, list[tuple[int, bool, str]]] = {}
    complaints: list[Note] = []
    for match in _PARAMETER.finditer(_unfold(header_value)):
        name, value = match[1].lower(), _unquote(match[2])
        extended = _RFC2231_NAME.match(name)
        if extended:
            number, star = extended[2], extended[3]
            encoded = number is None or star is not None
            rfc2231.setdefault(extended[1], []).append((int(number or 0), encoded, value))
            continue
        text, codec = _decode_8bit(value)
        if codec is not None:
            complaints.append(Note(RemarkKind.PARAM_8BIT, {"name": name, "codec": codec}))
        params.setdefault(name, text)
    for name, segments in rfc2231.items():  # RFC 2231 values win over plain ones (RFC 6266)
        decoded = _join_rfc2231(segments)
        params[name] = decoded.text
        if decoded.problem:
            complaints.append(Note(RemarkKind.PARAM_RFC2231,
                                   {"name": name, "problem": _decoded_as(decoded)}))
    return params, complaints


def _raw_header(part: Message, name: str) -> str | None:
    """The first `name` header of `part` as it arrived (folded, 8-bit bytes as surrogates)."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return value
    return None


class _LenientMessage(EmailMessage):
    """EmailMessage that reads the boundary parameter the way mail readers do.

    policy.default's header parser ends an unquoted value at the first special character, so
    Outlook Express's ``boundary=----=_NextPart_000_...`` becomes "----" and every part is lost.
    The feed parser asks ``get_boundary()``, so overriding it here fixes the parse itself.
    """

    def get_boundary(self, failobj: Any = None) -> Any:
        params, _ = _content_type_params(self)
        return _lenient_boundary(params) or super().get_boundary(failobj)


def _content_type_params(part: Message) -> tuple[dict[str, str], list[Note]]:
    """`_parse_params` of a part's Content-Type (not to be changed by the caller), parsed once
    while the header stays the same: the feed parser asks a multipart for its boundary, and the
    walk then reads every parameter."""
    raw_value = _raw_header(part, "content-type")
    memo = part.__dict__.get("_content_type_params")
    if memo is None or memo[0] is not raw_value:
        memo = part.__dict__["_content_type_params"] = (raw_value, *_parse_params(raw_value))
    return memo[1], memo[2]


def _lenient_boundary(params: dict[str, str]) -> str:
    """The boundary as mail readers read it, from the Content-Type's parameters (see
    `_parse_params`); "" when there is none."""
    return params.get("boundary", "").rstrip()


# --- Finding parts in the raw bytes --------------------------------------------------------
# These mirror email.feedparser: lines end in CRLF, CR or LF; a header block is the run of
# lines that match its headerRE; a boundary line is "--" boundary ["--"] [ \t]* at a line start;
# the line break before a boundary belongs to the boundary (RFC 2046).

_HEADER_BLOCK = re.compile(
    rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n|\Z))*"
)
_LINE_BREAK_BEFORE_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?=[\r\n])")


class _BoundaryLine(NamedTuple):
    start: int
    content_end: int  # where the line break (if any) starts
    end: int  # after the line break
    closing: bool


def _line_break_length(raw: bytes, pos: int, stop: int) -> int:
    if raw.startswith(b"\r\n", pos, stop):
        return 2
    return 1 if pos < stop and raw[pos] in b"\r\n" else 0


def _strip_line_break(raw: bytes, start: int, end: int) -> int:
    """`end` moved back over one line break that ends raw[start:end], if there is one."""
    if end - start >= 2 and raw.startswith(b"\r\n", end - 2, end):
        return end - 2
    return end - 1 if end > start and raw[end - 1] in b"\r\n" else end


def _body_start(raw: bytes, start: int, stop: int) -> int:
    """Where the body begins for headers that begin at raw[start] (end of the blank line)."""
    headers_end = _HEADER_BLOCK.match(raw, start, stop).end()
    return headers_end + _line_break_length(raw, headers_end, stop)


_BOUNDARY_LINE_REST = re.compile(rb"(--)?[ \t]*(\r\n|\r|\n|\Z)")  # after "--" boundary


def _boundary_lines(raw: bytes, boundary: str, start: int, stop: int
                    ) -> Iterator[_BoundaryLine]:
    """Yield the boundary lines in raw[start:stop] in order; linear (bytes.find)."""
    try:
        delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # a decoded RFC 2231 boundary can never match raw lines
        return
    pos = start
    while (found := raw.find(delimiter, pos, stop)) != -1:
        match = None
        if found == start or raw[found - 1] in b"\r\n":
            match = _BOUNDARY_LINE_REST.match(raw, found + len(delimiter), stop)
        if match is None:
            pos = found + 1
            continue
        yield _BoundaryLine(found, match.start(2), match.end(), match[1] is not None)
        pos = match.end()


def _multipart_spans(
    raw: bytes, boundary: str, start: int, stop: int
) -> tuple[list[tuple[int, int]], int]:
    """The [start, end) spans of the parts of a multipart body raw[start:stop], and the end of
    its closing boundary (or `stop` when it has none). Like the feed parser, a boundary line
    that directly follows another one opens no part."""
    spans: list[tuple[int, int]] = []
    lines = _boundary_lines(raw, boundary, start, stop)
    line = next(lines, None)
    while line is not None and not line.closing:
        part_start = line.end
        line = next(lines, None)
        while line is not None and line.start == part_start:
            part_start = line.end
            line = next(lines, None)
        if line is None:
            # No closing boundary. At the end of the message the parser still takes the last
            # line break off the part; a `stop` inside the message is already such a break.
            end = _strip_line_break(raw, part_start, stop) if stop == len(raw) else stop
            spans.append((part_start, end))
            return spans, stop
        spans.append((part_start, _strip_line_break(raw, part_start, line.start)))
    return spans, (line.content_end if line is not None else stop)


def _header_block_spans(raw: bytes, start: int, stop: int) -> list[tuple[int, int]]:
    """The spans of the header blocks of a message/delivery-status body (blank-line separated)."""
    spans = []
    pos = start
    while True:
        if pos < stop and raw[pos] in b"\r\n":  # an empty block
            block_end = pos
        else:
            blank = _LINE_BREAK_BEFORE_BLANK_LINE.search(raw, pos, stop)
            block_end = blank.end() if blank else stop
        spans.append((pos, block_end))
        pos = block_end + _line_break_length(raw, block_end, stop)
        if pos >= stop:
            return spans


# --- HTML to text --------------------------------------------------------------------------

_PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl"}
)
_LINE_TAGS = frozenset(
    {"div", "tr", "li", "dt", "dd", "hr", "address", "article", "aside", "center", "figure",
     "footer", "form", "header", "main", "nav", "section", "caption"}
)
_INVISIBLE_TAGS = frozenset({"head", "script", "style", "title", "template"})
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


class _HTMLText(HTMLParser):
    """Collects the text of an HTML document with its paragraphs and line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._pieces: list[str] = []
        self._pending_newlines = 0
        self._invisible_depth = 0
        self._pre_depth = 0

    def text(self) -> str:
        text = "".join(self._pieces).replace("\xa0", " ")
        return re.sub(r" +\n", "\n", text).strip()

    def _break(self, newlines: int) -> None:
        self._pending_newlines = max(self._pending_newlines, newlines)

    def _emit(self, text: str) -> None:
        if self._pending_newlines and self._pieces:
            self._pieces.append("\n" * self._pending_newlines)
        self._pending_newlines = 0
        if not self._pre_depth and (not self._pieces or self._pieces[-1].endswith("\n")):
            text = text.lstrip(" ")
        if text:
            self._pieces.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a <head> or <style> left open ends where the body begins
            self._invisible_depth = 0
        elif tag in _INVISIBLE_TAGS:
            self._invisible_depth += 1
        elif self._invisible_depth:
            return
        elif tag == "br":
            self._emit("\n")
        elif tag == "img":
            self._emit_image(dict(attrs))
        elif tag == "li":
            self._break(1)
            self._emit("• ")
        elif tag == "p" and ("class", "MsoNormal") in attrs:
            self._break(1)  # Word/Outlook write one spacing-free <p class=MsoNormal> per line
        elif tag in _PARAGRAPH_TAGS:
            self._break(2)
        elif tag in _LINE_TAGS:
            self._break(1)
        elif tag in ("td", "th"):
            self._emit(" ")
        if tag == "pre":
            self._pre_depth += 1

    def _emit_image(self, attrs: dict[str, str | None]) -> None:
        """A reader sees the picture: show it as [alt text], else as words.PICTURE_MARK (the
        renderers say "picture" in the reader's language), but skip tracking pixels."""
        if attrs.get("width") in ("0", "1") or attrs.get("height") in ("0", "1"):
            return
        alt = (attrs.get("alt") or "").strip()
        self._emit(f"[{alt}]" if alt else words.PICTURE_MARK)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._invisible_depth = max(0, self._invisible_depth - 1)
        elif tag in _LINE_TAGS or tag == "p":  # the next <p> (not MsoNormal) adds the blank line
            self._break(1)
        elif tag in _PARAGRAPH_TAGS:
            self._break(2)
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._invisible_depth:
            return
        text = data if self._pre_depth else _HTML_SPACE.sub(" ", data)
        if text.strip(" ") or (text and self._pieces and not self._pending_newlines):
            self._emit(text)


def html_to_text(html: str) -> str:
    """A readable plain-text rendering of an HTML body: tags, scripts and styles dropped,
    paragraphs and line breaks kept, entities decoded."""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # _markupbase rejects some malformed <![...]> sections; keep the rest
        pass
    return re.sub(r"\n{3,}", "\n\n", parser.text())


# --- Text bodies ---------------------------------------------------------------------------


def _normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unflow(text: str, delsp: bool) -> str:
    """Join the soft line breaks of RFC 3676 format=flowed text, as Thunderbird shows it."""
    lines: list[str] = []
    paragraph: tuple[int, str] | None = None  # (quote depth, text so far) of an open paragraph
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        flowed = content.endswith(" ") and content != "-- "  # "-- " starts a signature
        if flowed and delsp:
            content = content[:-1]
        if paragraph is not None and paragraph[0] == depth:
            content = paragraph[1] + content
        elif paragraph is not None:
            lines.append(_quoted(*paragraph))
        paragraph = (depth, content)
        if not flowed:
            lines.append(_quoted(*paragraph))
            paragraph = None
    if paragraph is not None:
        lines.append(_quoted(*paragraph))
    return "\n".join(lines)


def _quoted(depth: int, text: str) -> str:
    return ">" * depth + (" " if depth and text else "") + text


# --- Images --------------------------------------------------------------------------------

_IMAGE_FORMATS = ("BMP", "PNG", "JPEG", "GIF", "WEBP", "TIFF", "ICO")
_IMAGE_EXTENSIONS = {"JPEG": ".jpg", "MPO": ".jpg", "TIFF": ".tif"}
# warnings.catch_warnings() swaps process-wide state; decode() (server thread) and thumbnail()
# (a GUI worker) may run at once, and overlapping swaps would leave the filters broken.
_WARNINGS_LOCK = threading.Lock()


def _open_image(data: bytes) -> Image.Image:
    """Image.open, which reads only the header; Pillow's warnings (DecompressionBombWarning
    among them: callers check the size themselves) are kept off the console."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Image.open(BytesIO(data), formats=_IMAGE_FORMATS)


def _too_many_pixels(size: tuple[int, int]) -> bool:
    limit = Image.MAX_IMAGE_PIXELS
    return limit is not None and size[0] * size[1] > limit


def _measure_image(data: bytes, labelled_image: bool) -> tuple[ImageInfo | None, Note | None]:
    """Format and size of an image, read from its header only, and a problem worth a remark."""
    try:
        with _open_image(data) as image:
            info = ImageInfo(image.format or "?", image.width, image.height)
            broken = _broken_image(image)
        if broken:
            return info, broken
    except UnidentifiedImageError:
        return None, (Note(RemarkKind.IMAGE_UNREADABLE)
                      if labelled_image else None)
    except Image.DecompressionBombError as exc:
        info = _header_without_bomb_check(data)
        if info is None:
            return None, Note(RemarkKind.IMAGE_NOT_OPENED, {"error": str(exc)})
    except Exception as exc:  # plugins raise OSError, ValueError, ... on corrupt headers
        return None, Note(RemarkKind.IMAGE_CORRUPT, {"error": f"{type(exc).__name__}: {exc}"})
    if _too_many_pixels((info.width, info.height)):
        return info, Note(RemarkKind.IMAGE_BOMB, {"width": info.width, "height": info.height})
    return info, None


def _broken_image(image: Image.Image) -> Note | None:
    """Why a picture whose header reads well cannot be shown, or None. Image.verify() walks
    the chunks of a PNG and checks their CRCs without decoding pixels, so a PNG cut short (a
    client that dropped mid-DATA) or with a broken chunk is found here cheaply; other formats
    verify less, and their thumbnail fails later and shows a placeholder."""
    try:
        image.verify()
    except Exception as exc:  # plugins raise SyntaxError, OSError, struct.error...
        return Note(RemarkKind.IMAGE_CORRUPT, {"error": f"{type(exc).__name__}: {exc}"})
    return None


def _header_without_bomb_check(data: bytes) -> ImageInfo | None:
    """Format and size of an image Image.open refused as a decompression bomb: its format
    plugin alone reads the header (as Image.open does before its check) and decodes nothing."""
    for image_format in _IMAGE_FORMATS:
        factory, accept = Image.OPEN.get(image_format, (None, None))
        if factory is None or (accept is not None and not accept(data[:16])):
            continue
        try:
            with factory(BytesIO(data), "") as image:
                return ImageInfo(image.format or image_format, image.width, image.height)
        except Exception:  # not this format after all, or a corrupt header
            continue
    return None


THUMBNAIL_PIXEL_BUDGET = 24_000_000  # pixels after JPEG draft: a 6000x4000 photo, 72 MB in RGB


def thumbnail(data: bytes, max_size: tuple[int, int]) -> Image.Image | None:
    """A thumbnail (aspect kept) in RGB or RGBA for Tk, or None if the data cannot be shown.

    Decodes pixels, so call it off the Tk thread. Never raises."""
    try:
        image = _open_image(data)
        if image.format == "JPEG":
            image.draft("RGB", max_size)  # let the JPEG decoder scale down by up to 8x
        # Other formats decode every pixel before they can be scaled (a 236 KB all-zero
        # 9000x9000 PNG cost 345 MB): past a budget, a placeholder instead.
        if _too_many_pixels(image.size) or image.width * image.height > THUMBNAIL_PIXEL_BUDGET:
            return None
        image.thumbnail(max_size)
        # thumbnail() returns early, without decoding, when the picture already fits: decode
        # here, so that a broken or cut picture is None and not an error in the caller's hands.
        image.load()
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        mode = "RGBA" if has_alpha else "RGB"
        return image if image.mode == mode else image.convert(mode)
    except Exception:
        return None


# --- Parts ---------------------------------------------------------------------------------

_BODY_TYPES = ("text/plain", "text/html")
_CONTAINER_MAINTYPES = ("multipart", "message")
_DECODING_ENCODINGS = frozenset({"base64", "quoted-printable", "x-uuencode", "uuencode", "uue",
                                 "x-uue"})
_IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})
_CTE_SEPARATORS = re.compile(r"[\s_]+")  # as in "quoted printable" or "quoted_printable"
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/ms-tnef": ".dat",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
}
_CONFIRM = 64  # bytes compared at each end of a body to confirm where the parser found it
_SIMPLE_SUBTYPE = re.compile(r"[a-z0-9]{1,5}\Z")

_DEFECT_TEXTS: dict[type[errors.MessageDefect], RemarkKind] = {
    errors.NoBoundaryInMultipartDefect: RemarkKind.DEFECT_NO_BOUNDARY,
    errors.StartBoundaryNotFoundDefect: RemarkKind.DEFECT_START_BOUNDARY,
    errors.CloseBoundaryNotFoundDefect: RemarkKind.DEFECT_CLOSE_BOUNDARY,
    errors.FirstHeaderLineIsContinuationDefect: RemarkKind.DEFECT_FIRST_LINE,
    errors.MisplacedEnvelopeHeaderDefect: RemarkKind.DEFECT_ENVELOPE_LINE,
    errors.MissingHeaderBodySeparatorDefect: RemarkKind.DEFECT_NO_SEPARATOR,
    errors.MultipartInvariantViolationDefect: RemarkKind.DEFECT_NO_PARTS,
    errors.InvalidMultipartContentTransferEncodingDefect: RemarkKind.DEFECT_MULTIPART_CTE,
    errors.UndecodableBytesDefect: RemarkKind.DEFECT_UNDECODABLE,
    errors.InvalidBase64PaddingDefect: RemarkKind.DEFECT_BASE64_PADDING,
    errors.InvalidBase64CharactersDefect: RemarkKind.DEFECT_BASE64_CHARACTERS,
    errors.InvalidBase64LengthDefect: RemarkKind.DEFECT_BASE64_LENGTH,
    errors.MalformedHeaderDefect: RemarkKind.DEFECT_MALFORMED_HEADER,
    errors.HeaderMissingRequiredValue: RemarkKind.DEFECT_HEADER_MISSING_VALUE,
    errors.InvalidDateDefect: RemarkKind.DEFECT_INVALID_DATE,
    errors.NonASCIILocalPartDefect: RemarkKind.DEFECT_NON_ASCII_LOCAL_PART,
    errors.NonPrintableDefect: RemarkKind.DEFECT_NON_PRINTABLE,
    errors.ObsoleteHeaderDefect: RemarkKind.DEFECT_OBSOLETE_HEADER,
    errors.InvalidHeaderDefect: RemarkKind.DEFECT_INVALID_HEADER,
    errors.HeaderDefect: RemarkKind.DEFECT_HEADER_OTHER,
    errors.MessageDefect: RemarkKind.DEFECT_OTHER,
}
# InvalidHeaderDefect covers many problems; the header parser's usual messages, by their start.
_INVALID_HEADER_TEXTS: tuple[tuple[str, RemarkKind], ...] = (
    ("addr-spec local part with no domain", RemarkKind.DEFECT_NO_DOMAIN),
    ("invalid address in", RemarkKind.DEFECT_BAD_ADDRESS),
    ("invalid mailbox in", RemarkKind.DEFECT_BAD_ADDRESS),
    ("null addr-spec", RemarkKind.DEFECT_BAD_ADDRESS),
    ("local-part is not", RemarkKind.DEFECT_BAD_ADDRESS),
    ("missing trailing '>'", RemarkKind.DEFECT_NO_CLOSING_BRACKET),
    ("end of header", RemarkKind.DEFECT_UNCLOSED),
    ("end of input", RemarkKind.DEFECT_UNCLOSED),
    ("invalid leading '.'", RemarkKind.DEFECT_LOCAL_PART_DOTS),
    ("invalid trailing '.'", RemarkKind.DEFECT_LOCAL_PART_DOTS),
    ("invalid repeated '.'", RemarkKind.DEFECT_LOCAL_PART_DOTS),
    ("missing whitespace before encoded word", RemarkKind.DEFECT_ENCODED_WORD_SPACING),
    ("whitespace inside encoded word", RemarkKind.DEFECT_ENCODED_WORD_SPACING),
    ("missing trailing whitespace after encoded-word", RemarkKind.DEFECT_ENCODED_WORD_SPACING),
    ("invalid msg-id", RemarkKind.DEFECT_BAD_MESSAGE_ID),
    ("msg-id with no id-right", RemarkKind.DEFECT_BAD_MESSAGE_ID),
    ("invalid parameter", RemarkKind.DEFECT_BAD_PARAMETER),
    ("parameter ", RemarkKind.DEFECT_BAD_PARAMETER),
    ("inconsistent rfc2231", RemarkKind.DEFECT_BAD_PARAMETER),
    ("missing required charset/lang", RemarkKind.DEFECT_BAD_PARAMETER),
    ("quoted string value for extended parameter", RemarkKind.DEFECT_BAD_PARAMETER),
    ("section number has", RemarkKind.DEFECT_BAD_PARAMETER),
)

_SINGLE_FIELDS = {  # header → DecodedMessage attribute; RFC 5322 allows each at most once
    "subject": "subject",
    "from": "from_",
    "to": "to",
    "cc": "cc",
    "date": "date",
    "message-id": "message_id",
}
# RFC 5322 3.6: required, required, SHOULD
_EXPECTED_FIELDS = {"From": RemarkKind.MISSING_FROM, "Date": RemarkKind.MISSING_DATE,
                    "Message-ID": RemarkKind.MISSING_MESSAGE_ID}
# Header defects not worth a remark: raw 8-bit bytes (_decode_header_value reports and decodes
# them itself) and obsolete syntax (RFC 5322 section 4: accept it).
_UNREMARKED_HEADER_DEFECTS = (errors.UndecodableBytesDefect, errors.NonASCIILocalPartDefect,
                              errors.ObsoleteHeaderDefect)
# Outlook and Foxmail write '"=?gb2312?B?...?=" <addr>'; readers decode the quoted word, and so
# do we, so the parser's complaints about it would be noise on every such message.
_QUOTED_WORD_COMPLAINTS = ("encoded word inside quoted string",
                           "missing trailing whitespace after encoded-word")
# The subject of Outlook's account test message, as English and Chinese Outlook write it.
OUTLOOK_TEST_SUBJECTS = frozenset({"microsoft outlook test message", "microsoft outlook 测试消息"})


# Parts whose body a reader shows as text: the fields of a delivery, feedback or read report.
_REPORT_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status",
                           "message/feedback-report", "message/disposition-notification",
                           "message/global-disposition-notification"})
# Mail attached to mail (RFC 2046, 6532, 5537): listed as an .eml attachment that opens.
_ATTACHED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/news",
                                     "message/global-headers"})
_MESSAGE_BODY_TYPES = _REPORT_TYPES | _ATTACHED_MESSAGE_TYPES  # read by _read_message_body
_HEADERS_TYPES = frozenset({"text/rfc822-headers"})  # a returned message's headers (RFC 6522)
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MAX_NAME_CHARS = 120


def _message_filename(subject: str | None, path: str) -> str:
    """An attached mail's file name, as readers make it: its Subject plus .eml."""
    name = " ".join(_UNSAFE_IN_NAME.sub(" ", subject or "").split())[:_MAX_NAME_CHARS]
    name = name.strip(" .")
    return f"{name}.eml" if name else f"part-{path}.eml"


def _encodable(value: Any) -> Any:
    """A remark's value as any console or JSON encoder takes it: labels and exception texts may
    carry lone surrogates, also inside a remark given as a value (a part's problem)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, Note):
        return Note(value.kind, {name: _encodable(inner) for name, inner in value.values.items()})
    return value


def _readable_defect(defect: errors.MessageDefect) -> Note:
    """A defect in the reader's words, never the email package's English prose: by its class
    (or the nearest class the table knows), an InvalidHeaderDefect by its usual messages."""
    name = type(defect).__name__
    if isinstance(defect, errors.InvalidHeaderDefect):
        message = str(defect).lower()
        for start, kind in _INVALID_HEADER_TEXTS:
            if message.startswith(start):
                return Note(kind, {"name": name})
    kind = next((_DEFECT_TEXTS[cls] for cls in type(defect).__mro__ if cls in _DEFECT_TEXTS),
                RemarkKind.DEFECT_OTHER)
    return Note(kind, {"name": name})


class _PartHeaders(NamedTuple):
    content_type: str
    params: dict[str, str]  # of Content-Type
    disposition: str | None
    filename: str | None
    content_id: str | None
    complaints: list[Note]


def _read_part_headers(part: Message) -> _PartHeaders:
    type_params, type_complaints = _content_type_params(part)
    disposition_params, disposition_complaints = _parse_params(
        _raw_header(part, "content-disposition")
    )
    complaints = type_complaints + disposition_complaints
    filename = None
    raw_name = disposition_params.get("filename") or type_params.get("name")
    if raw_name:
        filename, name_complaints = _decode_encoded_words(raw_name.strip())
        filename = filename.strip() or None
        complaints += [Note(RemarkKind.FILE_NAME_PROBLEM, {"problem": complaint})
                       for complaint in name_complaints]
    content_id = None
    raw_content_id = _raw_header(part, "content-id")
    if raw_content_id is not None:
        content_id_text = _decode_header_value(raw_content_id)
        content_id = content_id_text.value or None
        complaints += [Note(RemarkKind.CONTENT_ID_PROBLEM, {"problem": complaint})
                       for complaint in content_id_text.complaints]
    return _PartHeaders(
        part.get_content_type(),
        type_params,
        part.get_content_disposition() or None,
        filename,
        content_id,
        complaints,
    )


def _declared_transfer_encoding(part: Message) -> str:
    """The Content-Transfer-Encoding exactly as get_payload() compares it ("" when absent)."""
    return str(part.get("content-transfer-encoding", "")).lower()


def _stored_payload(part: Message) -> str:
    """A leaf's body as the parser stored it, stray 8-bit bytes as surrogate escapes.
    get_payload() would first decode those bytes by the part's charset, and raise ValueError
    for a charset name that the codec registry refuses (one holding a NUL)."""
    payload = part._payload
    return payload if isinstance(payload, str) else ""


def _transfer_decode(part: Message, transfer_encoding: str) -> tuple[bytes, list[Note]]:
    """The body of a leaf with its Content-Transfer-Encoding (as `_prepare_transfer_encoding`
    reports it) undone, and what was wrong with it."""
    if transfer_encoding == "base64":
        # Stray 8-bit bytes are skipped here like any stray character.
        return _decode_base64(_stored_payload(part).encode("ascii", "ignore"))
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return b"", []
    if transfer_encoding == "7bit" and not data.isascii():
        return data, [Note(RemarkKind.BODY_8BIT_IN_7BIT)]
    return data, []


def _parsed_body(part: Message, transfer_encoding: str, data: bytes) -> bytes | str | None:
    """A leaf's body as the parser found it, still transfer-encoded; None when it holds 8-bit
    bytes, whose length tells nothing."""
    if transfer_encoding not in _DECODING_ENCODINGS:
        return data  # an identity encoding: the decoded body is the raw body
    payload = _stored_payload(part)
    return payload if payload.isascii() else None


def _generated_name(path: str, content_type: str, image: ImageInfo | None) -> str:
    if image is not None:
        extension = _IMAGE_EXTENSIONS.get(image.format, "." + image.format.lower())
    else:
        subtype = content_type.partition("/")[2]
        extension = _EXTENSIONS.get(content_type) or (
            "." + subtype if _SIMPLE_SUBTYPE.match(subtype) else ".bin"
        )
    return f"part-{path}{extension}"


_CACHED_HEADER_LENGTH = 4096  # longer values are parsed each time rather than kept
_PARSED_HEADER_LENGTH = 16384  # characters of a header the email package's parser reads


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str) -> Any:
    return policy.default.header_fetch_parse(name, value)


class _HeaderCachingPolicy(policy.EmailPolicy):
    """policy.default, but each header value is parsed into its header object once.

    Reading a part asks for its Content-Type a dozen times (type, charset, filename, body
    lookup...), and policy.default builds a new header object, even a new header class, on
    each ask: that was two thirds of decode()'s time on a small message. Header objects are
    immutable, so one can serve every ask.

    The structured parser's time grows with the square of the number of encoded words (it
    splits the rest of the value at each one): a 500 KB From: full of them took 11 s. So it
    sees at most the first _PARSED_HEADER_LENGTH characters; what the reader is shown is
    decoded from the raw value by this module, in linear time.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        # The parser hands RFC 2231 charset names to the codec registry, which raises
        # ValueError (the parser catches only LookupError) for a name holding a NUL. The
        # reader is shown the raw value, decoded by this module.
        value = value[:_PARSED_HEADER_LENGTH].replace("\x00", "\ufffd")
        try:
            if len(value) > _CACHED_HEADER_LENGTH:
                return super().header_fetch_parse(name, value)
            return _parsed_header(name, value)
        except Exception:  # noqa: BLE001 - the parser has gaps (a cut-off RFC 2231 parameter
            # raises IndexError); the part is still read, its parameters the older way.
            return _UnparsedHeader(name, value)


class _UnparsedHeader(headerregistry.UnstructuredHeader, headerregistry.BaseHeader):
    """A header the structured parser failed on, kept as its text."""


_POLICY = _HeaderCachingPolicy()  # the settings of policy.default


# The feed parser keeps a body as a list of line strings, then joins them: for a 15 MB base64
# attachment that is 200,000 strings (27 MB), a 15 MB copy and most of the parse time. So each
# long run of lines made of base64 letters only reaches the parser as one placeholder line, and
# the decoder reads a base64 body from the raw bytes (any other body gets its text back: see
# `_Decoding._base64_in_raw`). The parse stays the same: wherever they stand, such lines and
# the placeholder alike are no header line (which has a ":" or leading white space), no
# boundary line ("--") and not blank; and no raw bytes can look like a placeholder, since the
# parser sees them as ASCII with 8-bit bytes as surrogates, never private-use characters.

_FEED_SLICE = 1 << 20
_MIN_RUN = 256 << 10  # bytes; shorter bodies cost the parser little
# A line feed, then lines of base64 letters up to the last letter before any other byte, the
# first line at least 16 letters long: so anchored, the search fails at once in text. A literal
# first byte makes it four times faster in text; runs after a bare CR (which SMTP forbids) are
# left to the parser.
_BASE64_LINES = re.compile(rb"\n[A-Za-z0-9+/=]{16}(?:[A-Za-z0-9+/=\r\n]*[A-Za-z0-9+/=])?")
# A line break right after another makes a blank line (CR LF is one line break). Two searches
# with a literal first byte are three times faster than one that alternates.
_BASE64_LETTERS_AS_A = bytes.maketrans(
    b"BCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", b"A" * 64)
_BASE64_LINE_START = b"\n" + b"A" * 16
_BLANK_LINE_OPENINGS = (re.compile(rb"\n[\r\n]"), re.compile(rb"\r\r"))
_PLACEHOLDER_LINE = "\ue000{}-{}\ue000"  # the raw byte range [start, end) of the run
_PLACEHOLDER = re.compile("\ue000([0-9]+)-([0-9]+)\ue000")
_ESCAPED_8BIT = re.compile("[\udc80-\udcff]")  # how the parser keeps 8-bit bytes


def _base64_runs(raw: bytes) -> Iterator[tuple[int, int]]:
    """The [start, end) of each run of at least _MIN_RUN bytes of whole lines of base64 letters,
    from the start of its first line to the end of the text of its last one. A run with a blank
    line in it is left to the parser: in a delivery-status, blank lines separate header blocks.
    Linear in the size of `raw`."""
    if len(raw) < _MIN_RUN:
        return
    line_starts = _Base64LineStarts(raw)
    pos = 0
    while (candidate := line_starts.find(pos)) >= 0:
        lines = _BASE64_LINES.match(raw, candidate)
        pos = lines.end()
        start = lines.start() + 1  # after the line feed
        if pos - start < _MIN_RUN:
            continue
        end = _whole_lines_end(raw, start, pos)
        if end - start >= _MIN_RUN and not _has_blank_line(raw, start, end):
            yield start, end


class _Base64LineStarts:
    """Finds where a line feed is followed by 16 base64 letters (where _BASE64_LINES can match)
    with bytes.find() in a copy of a slice with every letter mapped to "A". A regex search stops
    at each line feed: 1.7 s on 30 MB of empty lines (reliability review F3), against 0.05 s."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._start = 0  # the slice of raw that `_window` holds, translated
        self._window = b""

    def find(self, pos: int) -> int:
        """The first such line feed at pos or after, or -1."""
        reach = len(_BASE64_LINE_START) - 1  # a match may begin this close to a slice's end
        while True:
            window_end = self._start + len(self._window)
            if not self._start <= pos or pos + reach >= window_end:
                self._start = pos
                self._window = self._raw[pos : pos + _FEED_SLICE + reach].translate(
                    _BASE64_LETTERS_AS_A)
                window_end = self._start + len(self._window)
            found = self._window.find(_BASE64_LINE_START, pos - self._start)
            if found >= 0:
                return self._start + found
            if window_end >= len(self._raw):
                return -1
            pos = window_end - reach


def _whole_lines_end(raw: bytes, start: int, end: int) -> int:
    """`end`, or the end of the text of the last whole line in raw[start:end] when the line at
    `end` goes on with other bytes."""
    if end == len(raw) or raw[end] in b"\r\n":
        return end
    last_line = max(raw.rfind(b"\n", start, end), raw.rfind(b"\r", start, end)) + 1
    return _strip_line_break(raw, start, last_line) if last_line > start else start


def _has_blank_line(raw: bytes, start: int, end: int) -> bool:
    """Whether the lines of raw[start:end] (the last one without its line break) include a blank
    one."""
    return raw[end - 1] in b"\r\n" or any(
        blank.search(raw, start, end) for blank in _BLANK_LINE_OPENINGS
    )


def _parser_input(raw: bytes, runs: Iterable[tuple[int, int]]) -> Iterator[str]:
    """`raw` as text for the parser, with a placeholder line for each of `runs`."""
    pos = 0
    for start, end in runs:
        yield from _parser_text(raw, pos, start)
        yield _PLACEHOLDER_LINE.format(start, end)
        pos = end
    yield from _parser_text(raw, pos, len(raw))


def _parser_text(raw: bytes, start: int, end: int) -> Iterator[str]:
    """raw[start:end] as BytesFeedParser gives it to the parser (8-bit bytes as surrogates), in
    slices, as Parser.parse() feeds it: that spares the whole-message copies of parsebytes()."""
    for pos in range(start, end, _FEED_SLICE):
        yield raw[pos : min(pos + _FEED_SLICE, end)].decode("ascii", "surrogateescape")


# As Postfix's mime_nesting_limit: a part nested deeper than this (multipart and message/*
# levels together) keeps its headers, and its body is left undecoded. The feed parser and the
# tree walk recurse a few frames per level, so the cap also keeps decoding inside the default
# recursion limit and a 1-2 MB thread stack (python.exe's on Windows): nothing deeper is parsed.
MIME_NESTING_LIMIT = 100


class _NestingCappedParser(FeedParser):
    """FeedParser that parses a part nested deeper than MIME_NESTING_LIMIT as headers only: its
    body, to the parent's next boundary, stays one string, whatever its Content-Type says."""

    def _parse_headers(self, lines: list[str]) -> None:
        super()._parse_headers(lines)
        # _parsegen() reads this flag right after the headers of each part.
        self._headersonly = len(self._msgstack) > MIME_NESTING_LIMIT + 1
        if self._headersonly:
            self._cur.nesting_capped = True


def _parse(raw: bytes, runs: Iterable[tuple[int, int]] = ()) -> EmailMessage:
    """Parse with policy.default (and the lenient boundary), each of `runs` (see `_base64_runs`)
    given to the parser as a placeholder line."""
    parser = _NestingCappedParser(_factory=_LenientMessage, policy=_POLICY)
    for text in _parser_input(raw, runs):
        parser.feed(text)
    return parser.close()


# The email parser keeps one string (and one call) per line: 30 MB of empty lines cost 1.2 GB
# and 10 s. A message with more lines than this outside its base64 runs (a 30 MB text body of
# 100-character lines has 300,000) is decoded as headers only, as the container guard does.
_MAX_PARSER_LINES = 300_000


_FEW_LINES = _MAX_PARSER_LINES // 2  # fewer lines than this: no need to look closer


class _LineEnds(NamedTuple):
    lf: int
    cr: int
    crlf: int

    @classmethod
    def count(cls, raw: bytes, start: int = 0, end: int | None = None) -> _LineEnds:
        end = len(raw) if end is None else end
        return cls(raw.count(b"\n", start, end), raw.count(b"\r", start, end),
                   raw.count(b"\r\n", start, end))

    @property
    def lines(self) -> int:
        """Line breaks as the email parser sees them: CRLF, a bare CR and a bare LF end one."""
        return self.lf + self.cr - self.crlf


def _parser_lines(raw: bytes, line_ends: _LineEnds, runs: Iterable[tuple[int, int]]) -> int:
    """How many lines the parser would see: each base64 run becomes one placeholder line."""
    lines = line_ends.lines
    for start, end in runs:
        lines -= _LineEnds.count(raw, start, end).lines - 1
    return lines


# A header block is read from at most this many lines: the regular expression keeps state for
# each line it repeats over, the parser and its header_factory several objects per line, folded
# lines included (a 30 MB field folded 7.5 million times peaked at 1.8 GB). Real header blocks,
# Received and DKIM chains included, stay under a few hundred lines; past this many, the lines
# up to it are decoded alone (Postfix, too, cuts a header at its header_size_limit).
_MAX_HEADER_LINES = 10_000
_LINE_END = re.compile(rb"\r\n|\r|\n")
_HEADER_LINE_START = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")


def _header_block(raw: bytes) -> tuple[int, bool]:
    """Where the top-level header block ends, within its first _MAX_HEADER_LINES lines, and
    True when it goes on past them."""
    window = len(raw)
    for number, line_end in enumerate(_LINE_END.finditer(raw), 1):
        if number == _MAX_HEADER_LINES:
            window = line_end.end()
            break
    end = _HEADER_BLOCK.match(raw, 0, window).end()  # matches at least the empty string
    return end, end == window < len(raw) and bool(_HEADER_LINE_START.match(raw, end))


def _parse_header_block(raw: bytes) -> EmailMessage:
    """The top-level header fields alone, without reading the body (headersonly=True would
    still keep one string per line of it), from at most _MAX_HEADER_LINES lines."""
    end, _ = _header_block(raw)
    return BytesParser(_class=_LenientMessage, policy=_POLICY).parsebytes(
        raw[:end], headersonly=True)


def _placeholders_span(payload: str) -> tuple[int, int] | None:
    """The raw byte range of a body that holds placeholder lines, or None. A body is a stretch
    of the parser's input, whose text is the raw bytes one for one around the placeholders."""
    placeholders = list(_PLACEHOLDER.finditer(payload))
    if not placeholders:
        return None
    first, last = placeholders[0], placeholders[-1]
    return int(first[1]) - first.start(), int(last[2]) + len(payload) - last.end()


def _preferred_alternative(options: list[list[BodyPiece]]) -> list[BodyPiece]:
    """Of the pieces of each alternative, those a reader shows: the first with plain text, as
    this observer prefers, unless a later, richer one shows pictures that it lacks (as Apple
    Mail's text-photo-text mail does); without plain text, the last one with any text (the
    richest, RFC 2046 5.1.4); a blank text/plain never wins."""
    if not options:
        return []
    shows = [_what_pieces_show(pieces) for pieces in options]
    plain = next((index for index, (has_plain, _, _) in enumerate(shows) if has_plain), None)
    richest = next((index for index in reversed(range(len(options)))
                    if shows[index][1] or shows[index][2]), len(options) - 1)
    if plain is None or (shows[richest][2] and not shows[plain][2]):
        return options[richest]
    return options[plain]


def _what_pieces_show(pieces: list[BodyPiece]) -> tuple[bool, bool, bool]:
    """Whether `pieces` show plain text, any text, pictures (in one pass: it runs per part)."""
    plain = text = pictures = False
    for piece in pieces:
        if piece.kind == "picture":
            pictures = True
        elif not _is_blank(piece.text):
            text = True
            plain = plain or piece.kind == "plain"
    return plain, text, pictures


def _related_start(part: Message, children: list[Message]) -> Message | None:
    """The start part of a multipart/related (RFC 2387): named by its start parameter, or the
    first one."""
    start = _content_type_params(part)[0].get("start", "").strip()
    if start:
        for child in children:
            if str(child.get("content-id", "")).strip() == start:
                return child
    return children[0] if children else None


def _is_blank(text: str) -> bool:
    """Whether `text` is empty or white space only (as `not text.strip()`, without the copy)."""
    return not text or text.isspace()


def _joined_text(pieces: list[BodyPiece]) -> tuple[str | None, bool]:
    """The text pieces joined as one text, a blank line between them, and whether one of them
    is a rendering of HTML."""
    texts = [piece for piece in pieces if piece.kind != "picture"]
    if not texts:
        return None, False
    from_html = any(piece.kind == "html" for piece in texts)
    leading = [piece.text.rstrip("\n") for piece in texts[:-1]]
    return "\n\n".join([*leading, texts[-1].text]), from_html


# The token of a line that may be a boundary line: "--" token (ending in "--" when closing).
_BOUNDARY_TOKEN = re.compile(rb"[!-~][ -~]*")
_CONTENT_HEADER = re.compile(rb"^content-(?:type|disposition)[ \t]*:", re.MULTILINE | re.I)
_MAX_LOST_PARTS = 100


def _next_boundary_like_line(raw: bytes, start: int, stop: int) -> tuple[bytes, int] | None:
    """The token of the first boundary-like line that starts in raw[start:stop], and the end
    of the line (after its line feed). Found with bytes.find: a regular expression anchored at
    line starts cost more than all the rest of this search on an everyday message."""
    pos = start
    while (found := raw.find(b"--", pos, stop)) != -1:
        pos = found + 1
        line_feed = raw.find(b"\n", found, stop)
        if (found and raw[found - 1] not in b"\r\n") or line_feed == -1:
            continue
        token = raw[found + 2 : line_feed].rstrip(b"\r").rstrip(b" \t")
        if _BOUNDARY_TOKEN.fullmatch(token):
            return token, line_feed + 1
    return None


def _may_hide_parts(multipart: Message) -> bool:
    """Whether a multipart may hide parts from the parser: it has defects (no boundary line, no
    closing one, no parts), or lines that start with "--" in its epilogue."""
    return bool(multipart.defects) or "\n--" in "\n" + (multipart.epilogue or "")


def _has_content_headers(raw: bytes, start: int, stop: int) -> bool:
    """Whether a header block starts at raw[start] and has a Content-Type or -Disposition."""
    headers_end = _HEADER_BLOCK.match(raw, start, stop).end()
    return _CONTENT_HEADER.search(raw, start, headers_end) is not None


def _lost_part_end(raw: bytes, boundary: str, start: int, stop: int) -> int:
    """Where a part that begins at raw[start] ends: before its next boundary line, or `stop`."""
    line = next(_boundary_lines(raw, boundary, start, stop), None)
    return stop if line is None else _strip_line_break(raw, start, line.start)


# Remarks about where this message's own MIME tree stops, wherever in it that is (also inside
# an attached mail); the other remarks about an attached mail's insides are its own.
_TREE_REMARKS = frozenset({RemarkKind.NESTING_CAPPED})


class _Decoding:
    """One run of decode(): the raw bytes, the result as it is filled in, and the remarks."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.result = DecodedMessage()
        self._remarks: dict[tuple[RemarkKind, str], Note] = {}  # insertion-ordered, no twins
        self._texts: dict[Message, str] = {}  # decoded text of the parts a reader sees inline
        self._placeholders = False  # whether some runs reached the parser as placeholder lines
        # For what a reader sees (see `_pieces`) and for finding lost parts (`_find_lost_parts`):
        self._paths: dict[Message, tuple[str, str]] = {}  # part → its path and content type
        self._named: set[str] = set()  # paths of parts with a file name
        self._pictures: set[str] = set()  # paths of pictures shown where they stand
        self._report_texts: dict[str, str] = {}
        self._header_starts: set[int] = set()
        self._children: dict[str, int] = {}  # path of a container → its number of children
        self._boundaries: dict[str, str] = {}  # boundary → path of the first multipart with it
        self._open_boundaries: dict[str, str] = {}  # the same, for the multiparts being walked
        self._lost: list[Message] = []
        self._broken_multipart = False  # a multipart with defects, or "--" lines in its epilogue
        # Attached mails around the part being walked: a reader lists the outermost one alone
        # (the rest show when it is opened), so only its bytes are copied, also of a hostile
        # thousand levels of Fw: Fw: Fw:.
        self._attached_depth = 0
        self._attached_paths: list[str] = []  # of every attached mail (message/rfc822 and kin)
        self._unread_spans: list[tuple[int, int]] = []  # bodies past MIME_NESTING_LIMIT

    def remark(self, kind: RemarkKind, **values: Any) -> None:
        if self._attached_depth and kind not in _TREE_REMARKS:
            return  # about an attached mail's insides: its own remarks, when it is opened
        # Exception texts and labels may carry surrogates; keep the remark encodable anywhere.
        values = {name: _encodable(value) for name, value in values.items()}
        self._remarks.setdefault((kind, repr(values)), Note(kind, values))

    def finish(self) -> DecodedMessage:
        self.result.remarks = list(self._remarks.values())
        return self.result

    def run(self) -> None:
        line_ends = _LineEnds.count(self.raw)
        self._check_line_ends(line_ends)
        lines = line_ends.lines
        runs = []
        if lines > _FEW_LINES:
            runs = list(_base64_runs(self.raw))
            lines = _parser_lines(self.raw, line_ends, runs)
        # With fewer lines than the limit, the header block cannot go on past it; and walking
        # the lines to find out cost a tenth of decoding an everyday 3 KB message.
        header_cut = line_ends.lines >= _MAX_HEADER_LINES and _header_block(self.raw)[1]
        if header_cut:
            self.remark(RemarkKind.LONG_HEADER_BLOCK, limit=_MAX_HEADER_LINES)
        if lines > _MAX_PARSER_LINES:
            self.remark(RemarkKind.TOO_MANY_LINES, lines=lines, limit=_MAX_PARSER_LINES)
        if lines > _MAX_PARSER_LINES or header_cut:
            self._read_headers(_parse_header_block(self.raw))
            return
        if lines <= _FEW_LINES:
            runs = list(_base64_runs(self.raw))
        self._placeholders = bool(runs)
        message = _parse(self.raw, runs)
        self._read_headers(message)
        self._walk(message, "1", 0, 0, len(self.raw))
        self._find_lost_parts()
        self._pick_bodies(message)
        self._recognise_outlook_test()

    def run_headers_only(self, containers: int) -> None:
        self.remark(RemarkKind.HEADERS_ONLY, containers=containers, limit=_MAX_CONTAINERS)
        self._read_headers(_parse_header_block(self.raw))

    def _check_line_ends(self, line_ends: _LineEnds) -> None:
        bare = [name for name, count in (("LF", line_ends.lf), ("CR", line_ends.cr))
                if count > line_ends.crlf]
        if bare:
            self.remark(RemarkKind.BARE_LINE_ENDS, ends="/".join(bare))

    # Headers

    def _read_headers(self, message: Message) -> None:
        counts: dict[str, int] = {}
        first: dict[str, tuple[str, str]] = {}  # of each single field, its first name and value
        for name, raw_value in message.raw_items():
            decoded = _decode_header_value(raw_value)
            for complaint in decoded.complaints:
                self.remark(RemarkKind.HEADER_PROBLEM, name=name, problem=complaint)
            self.result.headers.append(HeaderField(name, decoded.raw, decoded.value))
            key = name.lower()
            counts[key] = counts.get(key, 0) + 1
            if key in _SINGLE_FIELDS and counts[key] == 1:
                setattr(self.result, _SINGLE_FIELDS[key], decoded.value)
                first[key] = name, raw_value
        for name, missing in _EXPECTED_FIELDS.items():
            if name.lower() not in counts:
                self.remark(missing)
        for key in _SINGLE_FIELDS:
            if counts.get(key, 0) > 1:
                self.remark(RemarkKind.HEADER_REPEATED, name=key.title(), count=counts[key])
            if key in counts:
                self._remark_header_defects(message, *first[key])

    def _remark_header_defects(self, message: Message, name: str, raw_value: str) -> None:
        """The email package's complaints about a structured field (dates, addresses), the
        first one of its name (as message[name] parses it, without looking for it again)."""
        try:
            header = message.policy.header_fetch_parse(name, raw_value)
        except Exception as exc:  # the header parser has had bugs on hostile input
            self.remark(RemarkKind.HEADER_UNPARSABLE, name=name.lower().title(), error=repr(exc))
            return
        for defect in header.defects:
            if not (isinstance(defect, _UNREMARKED_HEADER_DEFECTS)
                    or str(defect) in _QUOTED_WORD_COMPLAINTS):
                self.remark(RemarkKind.HEADER_PROBLEM, name=header.name,
                            problem=_readable_defect(defect))

    # The MIME tree

    def _walk(self, part: Message, path: str, depth: int, start: int, stop: int) -> int:
        """Record `part`, whose headers begin at raw[start] and which ends at `stop`, and the
        parts inside it; return its decoded size."""
        headers = _read_part_headers(part)
        where = Note(RemarkKind.PART, {"path": path, "content_type": headers.content_type})
        self._paths[part] = path, headers.content_type
        self._header_starts.add(start)
        if headers.filename is not None:
            self._named.add(path)
        for complaint in headers.complaints:
            self.remark(RemarkKind.PART_PROBLEM, where=where, problem=complaint)
        body_start = _body_start(self.raw, start, stop)
        multipart = headers.content_type.startswith("multipart/")
        opened = self._open_boundary(path, headers) if multipart else None
        if getattr(part, "nesting_capped", False):
            self.remark(RemarkKind.NESTING_CAPPED, where=where, limit=MIME_NESTING_LIMIT)
            self._unread_spans.append((body_start, stop))  # no lost parts are sought there
        if part.is_multipart():
            decoded_size = self._walk_container(part, path, depth, headers, where, body_start, stop)
        else:
            decoded_size = self._walk_leaf(part, path, depth, headers, where, body_start, stop)
        if opened is not None:
            del self._open_boundaries[opened]
        if multipart:
            self._broken_multipart |= _may_hide_parts(part)
        for defect in part.defects:  # complete now: decoding a leaf adds some
            self.remark(RemarkKind.PART_PROBLEM, where=where, problem=_readable_defect(defect))
        return decoded_size

    def _walk_container(
        self, part: Message, path: str, depth: int, headers: _PartHeaders, where: Note,
        body_start: int, stop: int,
    ) -> int:
        spans, body_end = self._child_spans(part, headers, where, body_start, stop)
        index, attachment_index = len(self.result.parts), len(self.result.attachments)
        attached_mail = headers.content_type in _ATTACHED_MESSAGE_TYPES
        listed = attached_mail and not self._attached_depth
        self._attached_depth += attached_mail
        if attached_mail:
            self._attached_paths.append(path)
        decoded_size = 0
        children = part.get_payload()
        self._children[path] = len(children)
        for number, child in enumerate(children, 1):
            child_path = f"{path}.{number}"
            child_start, child_stop = spans[number - 1] if number <= len(spans) else (stop, stop)
            try:
                decoded_size += self._walk(child, child_path, depth + 1, child_start, child_stop)
            except Exception as exc:
                self.remark(RemarkKind.PART_UNDECODABLE, path=child_path, error=repr(exc))
        self._attached_depth -= attached_mail
        if attached_mail:
            # A reader (Thunderbird) lists an attached mail as one file; the files inside it
            # show when it is opened (decode() of its bytes). Its parts stay in the tree.
            del self.result.attachments[attachment_index:]
        transfer_encoding = _declared_transfer_encoding(part).strip() or "7bit"
        attached = None
        if headers.content_type in _MESSAGE_BODY_TYPES:
            attached = self._read_message_body(part, path, headers, where, transfer_encoding,
                                               (body_start, body_end), listed)
        self.result.parts.insert(index, Part(
            path, depth, headers.content_type, headers.params.get("charset"), None,
            transfer_encoding, headers.disposition, headers.filename,
            body_end - body_start, decoded_size, body_start, body_end,
            *((attached.subject, attached.from_) if attached is not None else ()),
        ))
        return decoded_size

    def _open_boundary(self, path: str, headers: _PartHeaders) -> str | None:
        """Note the boundary of a multipart being walked, and remark when it is its parent's;
        return it when the caller must forget it after the children."""
        boundary = _lenient_boundary(headers.params)
        self._boundaries.setdefault(boundary, path)
        parent = self._open_boundaries.get(boundary)
        if parent is not None:
            self.remark(RemarkKind.REUSED_BOUNDARY, path=path,
                                   content_type=headers.content_type, parent=parent)
            return None
        self._open_boundaries[boundary] = path
        return boundary

    def _read_message_body(
        self, part: Message, path: str, headers: _PartHeaders, where: Note,
        transfer_encoding: str, span: tuple[int, int], listed: bool,
    ) -> AttachedMessage | None:
        """A report's fields as text, or an attached mail (returned), `listed` as an attachment
        or not (inside another attached mail)."""
        if headers.content_type in _REPORT_TYPES:
            data = _undo_transfer_encoding(self.raw[span[0] : span[1]], transfer_encoding)
            text = _decode_bytes(data, headers.params.get("charset") or "utf-8").text
            self._report_texts[path] = _normalise_line_ends(text)
            return None
        children = part.get_payload()
        attached = self._attached_message(children[0] if children else Message(), True)
        if listed:
            data = _undo_transfer_encoding(self.raw[span[0] : span[1]], transfer_encoding)
            self._add_attachment(path, headers, where, data, attached)
        return attached

    def _attached_message(self, message: Message, with_text: bool) -> AttachedMessage:
        """The headers a reader lists for an attached mail, and the text it shows."""
        fields = []
        for name in ("subject", "from", "date"):
            raw_value = _raw_header(message, name)
            fields.append(None if raw_value is None else _decode_header_value(raw_value).value)
        text = _joined_text(self._shown(self._pieces(message)))[0] if with_text else None
        return AttachedMessage(*fields, text)

    def _child_spans(
        self, part: Message, headers: _PartHeaders, where: Note, body_start: int, stop: int
    ) -> tuple[list[tuple[int, int]], int]:
        """Where each child of a container lies in the raw bytes, and where the container ends."""
        content_type = headers.content_type
        if content_type == "message/delivery-status":
            spans, body_end = _header_block_spans(self.raw, body_start, stop), stop
        elif content_type.startswith("multipart/"):
            strict = EmailMessage.get_boundary(part)
            boundary = _lenient_boundary(headers.params) or strict  # as part.get_boundary()
            if boundary != strict:
                self.remark(RemarkKind.BOUNDARY_NEEDS_QUOTES, where=where)
            spans, body_end = _multipart_spans(self.raw, boundary or "", body_start, stop)
        else:  # message/rfc822 and the other message/* types: one message fills the body
            spans, body_end = [(body_start, stop)], stop
        if len(spans) != len(part.get_payload()):
            self.remark(RemarkKind.PARTS_NOT_FOUND, where=where)
        return spans, body_end

    def _walk_leaf(
        self, part: Message, path: str, depth: int, headers: _PartHeaders, where: Note,
        body_start: int, body_end: int,
    ) -> int:
        transfer_encoding = self._prepare_transfer_encoding(part, where)
        data, parsed = self._read_body(part, transfer_encoding, where)
        body_end = self._parsed_body_end(parsed, where, body_start, body_end)
        charset_used = None
        if headers.content_type in _BODY_TYPES and headers.disposition != "attachment":
            charset_used = self._decode_inline_text(part, headers, where, data)
        attached = self._add_leaf_attachment(path, headers, where, data)
        self.result.parts.append(Part(
            path, depth, headers.content_type, headers.params.get("charset"), charset_used,
            transfer_encoding, headers.disposition, headers.filename,
            body_end - body_start, len(data), body_start, body_end,
            *((attached.subject, attached.from_) if attached is not None else ()),
        ))
        return len(data)

    def _add_leaf_attachment(self, path: str, headers: _PartHeaders, where: Note, data: bytes
                             ) -> AttachedMessage | None:
        """List a leaf that a reader shows as a file or a picture; return the attached mail's
        headers of a text/rfc822-headers part."""
        if headers.content_type in _HEADERS_TYPES:
            attached = self._attached_message(_parse(data), False)
            self._add_attachment(path, headers, where, data, attached)
            return attached
        maintype = headers.content_type.partition("/")[0]  # as get_content_maintype(), unparsed
        if (headers.disposition == "attachment" or headers.filename is not None
                or maintype not in ("text", *_CONTAINER_MAINTYPES)):
            attachment = self._add_attachment(path, headers, where, data)
            if ((attachment.image is not None or headers.content_type.startswith("image/"))
                    and headers.disposition != "attachment"):
                self._pictures.add(path)
        return None

    def _prepare_transfer_encoding(self, part: Message, where: Note) -> str:
        """The transfer encoding to report; a misspelt known one ("quoted printable",
        "base64;") is written back so that get_payload(decode=True) decodes it."""
        declared = _declared_transfer_encoding(part)
        token = _CTE_SEPARATORS.sub("-", declared.partition(";")[0].strip()) or "7bit"
        if token in _DECODING_ENCODINGS and token != declared:
            part.replace_header("Content-Transfer-Encoding", token)
            self.remark(RemarkKind.CTE_READ_AS, where=where, declared=declared, token=token)
        elif token not in _DECODING_ENCODINGS | _IDENTITY_ENCODINGS:
            self.remark(RemarkKind.CTE_UNKNOWN, where=where, declared=declared)
        return token

    def _base64_in_raw(self, part: Message, transfer_encoding: str) -> tuple[int, int] | None:
        """Where a base64 body that reached the parser as placeholder lines lies in the raw
        bytes, to be decoded from there. Any other body with placeholders (another transfer
        encoding, or 8-bit bytes, which get_payload() decodes by the charset first) gets its
        text back, to be read as the parser would have given it."""
        if not self._placeholders:
            return None
        # As stored: get_payload() fails to encode a placeholder among 8-bit bytes.
        payload = _stored_payload(part)
        span = _placeholders_span(payload)
        if span is None or (transfer_encoding == "base64" and not _ESCAPED_8BIT.search(payload)):
            return span
        part.set_payload(self.raw[span[0] : span[1]].decode("ascii", "surrogateescape"))
        return None

    def _read_body(self, part: Message, transfer_encoding: str, where: Note
                   ) -> tuple[bytes, bytes | str | memoryview | None]:
        """A leaf's body decoded, and as the parser found it (see `_parsed_body`)."""
        in_raw = self._base64_in_raw(part, transfer_encoding)
        if in_raw is None:
            data, problems = _transfer_decode(part, transfer_encoding)
            parsed = _parsed_body(part, transfer_encoding, data)
        else:
            data, problems = _decode_base64(self.raw, *in_raw)
            parsed = memoryview(self.raw)[in_raw[0] : in_raw[1]]
        for problem in problems:
            self.remark(RemarkKind.PART_PROBLEM, where=where, problem=problem)
        return data, parsed

    def _parsed_body_end(
        self, parsed: bytes | str | memoryview | None, where: Note, body_start: int, body_end: int
    ) -> int:
        """Where the body the parser found (see `_parsed_body`) ends, if the raw bytes confirm
        it; else the scanned end and a remark. The scan may differ by the line break that the
        parser leaves on, or takes off, the last part before the end of a message or
        delivery-status, and on a multipart whose boundary never appears."""
        if parsed is None:
            return body_end
        parsed_end = body_start + len(parsed)
        if parsed_end == body_end or self._confirms(parsed, body_start, parsed_end):
            return parsed_end
        self.remark(RemarkKind.RANGE_APPROXIMATE, where=where)
        return body_end

    def _confirms(self, encoded: bytes | str | memoryview, start: int, end: int) -> bool:
        """Whether raw[start:end] begins and ends like `encoded` (a body of length end-start)."""
        if end > len(self.raw):
            return False
        head, tail = encoded[:_CONFIRM], encoded[-_CONFIRM:]
        if isinstance(encoded, str):
            head, tail = head.encode("ascii"), tail.encode("ascii")
        return self.raw.startswith(head, start, end) and self.raw.endswith(tail, start, end)

    def _decode_inline_text(
        self, part: Message, headers: _PartHeaders, where: Note, data: bytes
    ) -> str:
        """Decode a text part a reader would see inline; return the codec used."""
        decoded = _decode_bytes(data, headers.params.get("charset"), may_be_cut_off=True)
        if decoded.problem:
            self.remark(RemarkKind.PART_PROBLEM, where=where, problem=_decoded_as(decoded))
        text = _normalise_line_ends(decoded.text)
        params = headers.params
        if headers.content_type == "text/plain" and params.get("format", "").lower() == "flowed":
            text = _unflow(text, delsp=params.get("delsp", "").lower() == "yes")
        self._texts[part] = text
        return decoded.codec

    def _add_attachment(self, path: str, headers: _PartHeaders, where: Note, data: bytes,
                        attached: AttachedMessage | None = None) -> Attachment:
        image = None
        if attached is not None:
            filename = headers.filename or _message_filename(attached.subject, path)
        else:
            image, problem = _measure_image(data, headers.content_type.startswith("image/"))
            if problem:
                self.remark(RemarkKind.PART_PROBLEM, where=where, problem=problem)
            filename = headers.filename or _generated_name(path, headers.content_type, image)
        if headers.content_type == "application/ms-tnef" or filename.lower() == "winmail.dat":
            self.remark(RemarkKind.TNEF, where=where)
        attachment = Attachment(
            filename, headers.content_type, headers.content_id, headers.disposition, data,
            len(data), hashlib.sha256(data).hexdigest(), image, path, attached,
        )
        self.result.attachments.append(attachment)
        return attachment

    # What a reader sees

    def _pick_bodies(self, message: EmailMessage) -> None:
        """What a reader sees: every inline text and picture in order (`body`, `text`), and the
        HTML body that "open in browser" shows."""
        result = self.result
        pieces = self._pieces(message)
        for lost in self._lost:
            pieces += self._pieces(lost)
        result.body = self._shown(pieces)
        result.text, result.text_from_html = _joined_text(result.body)
        result.html = self._first_html(message)

    def _first_html(self, part: Message) -> str | None:
        """The HTML body, as get_body(("html",)) picks it (the first inline text/html, in a
        multipart/related its start part's, not inside an attached mail), from what the walk
        recorded: get_body() parses each part's headers again, which cost more than this."""
        if part not in self._paths:
            return None
        content_type = self._paths[part][1]
        if content_type == "text/html":
            return self._texts.get(part)
        if not content_type.startswith("multipart/") or not part.is_multipart():
            return None
        children = part.get_payload()
        if content_type == "multipart/related":
            start = _related_start(part, children)
            children = [start] if start is not None else []
        return next((html for child in children
                     if (html := self._first_html(child)) is not None), None)

    def _pieces(self, part: Message) -> list[BodyPiece]:
        """What a reader shows of `part`, in order; an HTML piece still holds its source."""
        if part not in self._paths:  # not walked: decoding stopped early
            return []
        path, content_type = self._paths[part]
        if content_type in _REPORT_TYPES:
            return [BodyPiece(path, "report", self._report_texts.get(path, ""))]
        if content_type.startswith("multipart/"):
            return self._multipart_pieces(part, content_type) if part.is_multipart() else []
        if part in self._texts:
            return [BodyPiece(path, "html" if content_type == "text/html" else "plain",
                              self._texts[part])]
        return [BodyPiece(path, "picture", "")] if path in self._pictures else []

    def _multipart_pieces(self, part: Message, content_type: str) -> list[BodyPiece]:
        """Of an alternative, the one a reader picks; of a related, its start part; of any other
        multipart (mixed, report, digest, unknown), each inline text (one without a file
        name) and picture, in order."""
        children = part.get_payload()
        if content_type == "multipart/alternative":
            return _preferred_alternative([self._pieces(child) for child in children])
        if content_type == "multipart/related":
            start = _related_start(part, children)
            return self._pieces(start) if start is not None else []
        return [piece for child in children for piece in self._pieces(child)
                if piece.kind == "picture" or piece.part not in self._named]

    def _shown(self, pieces: list[BodyPiece]) -> list[BodyPiece]:
        """`pieces` as the body shows them: HTML rendered as text, and text pieces that are
        only white space left out (unless all are: then the first stays, as the body)."""
        shown = [replace(piece, text=html_to_text(piece.text)) if piece.kind == "html" else piece
                 for piece in pieces]
        texts = [piece for piece in shown if piece.kind != "picture"]
        blank = {id(piece) for piece in texts[1:] if _is_blank(piece.text)}
        if texts and _is_blank(texts[0].text) and len(blank) < len(texts) - 1:
            blank.add(id(texts[0]))
        return [piece for piece in shown if id(piece) not in blank]

    # Parts outside the structure

    def _find_lost_parts(self) -> None:
        """Find the parts a permissive reader finds but the parser did not (a nested multipart
        that reuses its parent's boundary, a boundary that never appears): in the bytes no leaf
        part holds, a boundary-like line followed by Content-* headers starts one."""
        if not self._broken_multipart:
            return  # the well-formed mail of every day: nothing to search
        for gap_start, gap_end in self._uncovered_spans():
            pos = gap_start
            while (line := _next_boundary_like_line(self.raw, pos, gap_end)) is not None:
                token_bytes, pos = line
                if (token_bytes.endswith(b"--") or pos in self._header_starts
                        or not _has_content_headers(self.raw, pos, gap_end)):
                    continue
                if len(self._lost) == _MAX_LOST_PARTS:
                    self.remark(RemarkKind.TOO_MANY_LOST_PARTS, count=_MAX_LOST_PARTS)
                    return
                token = token_bytes.decode("ascii")
                pos = self._walk_lost_part(token, pos, _lost_part_end(self.raw, token, pos,
                                                                      gap_end))

    def _uncovered_spans(self) -> Iterator[tuple[int, int]]:
        """The stretches of the raw bytes outside every leaf body (headers, boundary lines,
        preambles and epilogues, and the body of a multipart the parser could not split)."""
        leaves = sorted([*((part.body_start, part.body_end) for part in self.result.parts
                           if part.content_type.partition("/")[0] not in _CONTAINER_MAINTYPES),
                         *self._unread_spans])
        pos = 0
        for start, end in leaves:
            if start > pos:
                yield pos, start
            pos = max(pos, end)
        if pos < len(self.raw):
            yield pos, len(self.raw)

    def _walk_lost_part(self, boundary: str, start: int, stop: int) -> int:
        """Walk a lost part as a child of the multipart that uses its boundary (else of the
        innermost one around it), insert it after that one's parts; return `stop`."""
        owner = self._lost_part_owner(boundary, start)
        self._children[owner.path] = number = self._children.get(owner.path, 0) + 1
        path = f"{owner.path}.{number}"
        message = _parse(self.raw[start:stop])
        parts = self.result.parts
        first_new, listed = len(parts), len(self.result.attachments)
        # Lost inside an attached mail: it stays in the tree, but its remarks and files are
        # that mail's own, shown when it is opened (as the parts found by the parser).
        inside = any(path.startswith(mail + ".") for mail in self._attached_paths)
        self._attached_depth += inside
        self._walk(message, path, owner.depth + 1, start, stop)
        new_parts = parts[first_new:]
        del parts[first_new:]
        after = max(index for index, part in enumerate(parts)
                    if part.path == owner.path or part.path.startswith(owner.path + "."))
        parts[after + 1 : after + 1] = new_parts
        self._lost.append(message)
        self.remark(RemarkKind.LOST_PART, path=path, content_type=message.get_content_type(),
                               boundary=boundary)
        if inside:
            self._attached_depth -= 1
            del self.result.attachments[listed:]
        return stop

    def _lost_part_owner(self, boundary: str, start: int) -> Part:
        path = self._boundaries.get(boundary)
        owner = next((part for part in self.result.parts if part.path == path), None)
        if owner is not None:
            return owner
        around = [part for part in self.result.parts
                  if part.content_type.startswith("multipart/")
                  and part.body_start <= start <= part.body_end]
        return max(around, key=lambda part: part.depth, default=self.result.parts[0])

    def _recognise_outlook_test(self) -> None:
        result = self.result
        if " ".join((result.subject or "").split()).lower() not in OUTLOOK_TEST_SUBJECTS:
            return
        result.outlook_test = True
        missing = [name for name, value in (("Date", result.date),
                                            ("Message-ID", result.message_id)) if value is None]
        if missing:
            self.remark(RemarkKind.OUTLOOK_TEST_WITHOUT, missing=", ".join(missing))
        else:
            self.remark(RemarkKind.OUTLOOK_TEST)


# The parser's time grows with the number of parts, so a message declaring more containers
# (multipart and message/* parts, counted in any case) than a mail reader would ever show is
# decoded as headers only.
_MAX_CONTAINERS = 1100


def decode(raw: bytes) -> DecodedMessage:
    """Decode a received message. Pure and total: any problem, even a bug here, becomes a
    remark, and whatever was decoded before it is returned."""
    containers = _containers_over_limit(raw)
    if containers is not None:
        return _decode_with(raw, lambda decoding: decoding.run_headers_only(containers))
    return _decode_with(raw, _Decoding.run)


def _containers_over_limit(raw: bytes) -> int | None:
    """The containers `raw` may declare (see `_count_containers`) when they are more than
    _MAX_CONTAINERS, else None. Each one is written with a slash, in at least 8 bytes
    ("message/"): a message too short for more, or with no more slashes than that (most mail
    under 70 KB), is not lowered and searched."""
    if (len(raw) < (_MAX_CONTAINERS + 1) * len(b"message/")
            or raw.count(b"/") <= _MAX_CONTAINERS):
        return None
    containers = _count_containers(raw)
    return containers if containers > _MAX_CONTAINERS else None


def _count_containers(raw: bytes) -> int:
    """How often "multipart/" and "message/" appear, in any case: a bound on the containers.
    Counted in slices, lowered one at a time (lowering it whole would copy the message)."""
    count = 0
    overlap = len(b"multipart/") - 1
    for start in range(0, len(raw), _FEED_SLICE):
        piece = raw[start : start + _FEED_SLICE + overlap].lower()
        # Each match is counted in the slice it starts in.
        count += piece.count(b"multipart/", 0, _FEED_SLICE + overlap)
        count += piece.count(b"message/", 0, _FEED_SLICE + len(b"message/") - 1)
    return count


def _decode_with(raw: bytes, run: Callable[[_Decoding], None]) -> DecodedMessage:
    decoding = _Decoding(raw)
    try:
        run(decoding)
    except Exception as exc:
        decoding.remark(RemarkKind.INTERNAL_ERROR, error=repr(exc))
    return decoding.finish()


# --- Encoding X-ray ------------------------------------------------------------------------


def _undo_transfer_encoding(encoded: bytes, transfer_encoding: str) -> bytes:
    """`encoded` with its transfer encoding undone by the code decode() uses. The parser holds a
    body as ASCII text with 8-bit bytes as surrogates, so a bare message carrying just these
    bytes decodes exactly as the part did inside its message (base64 repairs included)."""
    if transfer_encoding not in _DECODING_ENCODINGS:
        return encoded  # 7bit, 8bit, binary, or unknown: taken as it is, as decode() does
    carrier = Message()
    carrier["Content-Transfer-Encoding"] = transfer_encoding
    carrier.set_payload(encoded.decode("ascii", "surrogateescape"))
    return _transfer_decode(carrier, transfer_encoding)[0]


def part_xray(raw: bytes, part: Part) -> PartXray:
    """The X-ray of one node of ``decode(raw).parts``: its encoded body as it came over the wire,
    the bytes after its Content-Transfer-Encoding, and for text/* parts the text by the same
    charset rules as decode(). A multipart or message/* node has no bytes of its own: its
    `encoded` is its whole span, `decoded` is empty and `text` None (even when the parser could
    not split it into parts, which decode() remarks on).

    Slices once and decodes only this part, so it is quick on a 20 MB message. Pure; never
    raises, whatever the Part says."""
    start = min(max(part.body_start, 0), len(raw))
    encoded = raw[start : min(max(part.body_end, start), len(raw))]
    maintype = part.content_type.partition("/")[0].lower()
    if maintype in _CONTAINER_MAINTYPES:
        return PartXray(encoded, b"", None, None, None, is_binary=False)
    decoded = _undo_transfer_encoding(encoded, part.transfer_encoding.lower())
    if maintype != "text":
        return PartXray(encoded, decoded, None, None, None, is_binary=True)
    text = _decode_bytes(decoded, part.charset, may_be_cut_off=True)
    return PartXray(encoded, decoded, _normalise_line_ends(text.text), text.codec,
                    _substitution(part.charset, text), is_binary=False)


# --- Report --------------------------------------------------------------------------------

# U+2028 and U+2029 are line breaks to str.splitlines() and to many editors: a decoded field
# holding one could print a line of its own (say "S: 250 ...") at column 0.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable_text(text: str) -> str:
    """Control characters and line separators shown as \\xNN or \\uNNNN, so a message cannot
    drive the console (ANSI escapes) or forge lines; LF and tab stay."""
    return _CONTROL_CHARS.sub(lambda match: _escaped_char(match[0]), text)


_LINE_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_CONTROLS = {"\r": "\\r", "\n": "\\n"}


def printable_line(text: str) -> str:
    """One line for a terminal or a text report: every control character escaped, CR and LF
    as \\r and \\n (a bare CR would let "NOOP x\\rS: 250" look like a server line), the
    others as \\xNN (ESC sequences set the title, the clipboard, clear the screen), U+2028 and
    U+2029 as \\u2028 and \\u2029: no character str.splitlines() breaks at is left. Tabs stay.
    Postfix writes such bytes to its log as "?"; here they stay readable."""
    return _LINE_CONTROL_CHARS.sub(
        lambda match: _NAMED_CONTROLS.get(match[0]) or _escaped_char(match[0]), text)


def describe_part(part: Part, lang: str = "en") -> str:
    """One line of the MIME tree: indented by depth, with type, charset, sizes and byte range."""
    said = words.Labels(words.DECODER_WORDS, lang)
    details = [f"{part.path} {part.content_type}"]
    if part.charset:
        key = "charset_used" if part.charset_used else "charset"
        details.append(said[key].format(charset=part.charset, used=part.charset_used))
    details.append(part.transfer_encoding)
    if part.disposition:
        details.append(part.disposition)
    if part.filename:
        details.append(repr(part.filename))
    details += [f"{name}: {value!r}" for name, value in (("Subject", part.subject),
                                                          ("From", part.from_)) if value]
    details.append(said["sizes"].format(encoded=part.encoded_size, decoded=part.decoded_size))
    details.append(said["byte_range"].format(start=part.body_start, end=part.body_end))
    return "  " * (part.depth + 1) + "  ".join(details)


def _describe_attachment(attachment: Attachment, said: words.Labels) -> str:
    image = attachment.image
    picture = f"  {image.format} {image.width}x{image.height}" if image is not None else ""
    return "  " + said["attachment"].format(name=attachment.filename,
                                            type=attachment.content_type,
                                            size=attachment.size, picture=picture,
                                            part=attachment.part)


def summary_fields(decoded: DecodedMessage) -> list[tuple[str, str | None]]:
    """The header fields a report leads with, by name, decoded (None when absent)."""
    return [("Subject", decoded.subject), ("From", decoded.from_), ("To", decoded.to),
            ("Cc", decoded.cc), ("Date", decoded.date), ("Message-ID", decoded.message_id)]


def format_report(decoded: DecodedMessage, lang: str = "en") -> str:
    """The human-readable report of a decoded message (CLI and the server's --no-gui mode), in
    ``lang``; header field names stay as they are. Only the text body keeps its line breaks: a
    header field, a file name or a remark with a newline in it (an encoded word can carry one)
    cannot print lines of its own."""
    said = words.Labels(words.DECODER_WORDS, lang)
    head = [f"{name + ':':<12}{value if value is not None else said['none']}"
            for name, value in summary_fields(decoded)]
    if decoded.outlook_test:
        head.append(" " * 12 + said["outlook_test"])
    head += ["", said["text_from_html" if decoded.text_from_html else "text"]]
    text = (words.pictures_said(decoded.text.rstrip(), lang) if decoded.text is not None
            else said["no_text"])
    tail = ["", said["attachments"].format(count=len(decoded.attachments))]
    tail += [_describe_attachment(attachment, said) for attachment in decoded.attachments]
    tail += ["", said["mime_tree"]] + [describe_part(part, lang) for part in decoded.parts]
    tail += ["", said["remarks"].format(count=len(decoded.remarks))]
    tail += [f"  - {remark}" for remark in decoded.remark_texts(lang)]
    return "\n".join([*map(printable_line, head), printable_text(text),
                      *map(printable_line, tail)])


def _reconfigure_stdout(**settings: str) -> None:
    reconfigure = getattr(sys.stdout, "reconfigure", None)  # absent when stdout is replaced
    if reconfigure is not None:
        reconfigure(**settings)


# The command line's words (argparse's own are in command_line.py).
CLI_WORDS: dict[str, Text] = {
    "description": Text("Decode a saved mail the way a reader would see it.",
                        "像阅读者看到的那样解码一封保存下来的邮件。"),
    "file": Text("a message file (.eml)", "一个邮件文件（.eml）"),
    "json": Text("print JSON (UTF-8) instead", "改为打印 JSON（UTF-8）"),
    "lang": Text("language of the report (default: the system's)",
                 "报告的语言（默认：跟随系统）"),
    "unreadable": Text("decoder.py: cannot read {file}: {error}",
                       "decoder.py：无法读取 {file}：{error}"),
}


def main(argv: list[str] | None = None) -> int:
    import command_line  # only for the command line: the decoder itself speaks no language

    lang = command_line.chosen_language(argv)
    parser = command_line.Parser(lang, prog="decoder.py",
                                 description=CLI_WORDS["description"], epilog="")
    parser.argument("file", type=Path, metavar="FILE", help=CLI_WORDS["file"])
    parser.option("--json", action="store_true", help=CLI_WORDS["json"])
    parser.option("--lang", choices=("en", "zh"), default=None, help=CLI_WORDS["lang"])
    args = parser.parse_args(argv)
    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(CLI_WORDS["unreadable"](lang).format(file=args.file, error=exc.strerror or exc),
              file=sys.stderr)
        return 2
    decoded = decode(raw)
    try:
        if args.json:
            _reconfigure_stdout(encoding="utf-8")
            print(json.dumps(decoded.to_json(), ensure_ascii=False, indent=2))
        else:
            _reconfigure_stdout(errors="replace")  # a cp936/cp437 console cannot show all
            print(format_report(decoded, lang))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, more) stopped early; point stdout at nothing so that the flush
        # at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
