"""The lab report: one SMTP session as a self-contained HTML page and as a plain-text transcript.

What a student hands in: the dialogue with its timings and what each line means (explain.py),
then every message of the session as decoder.py sees it: envelope, headers, text, attachments
with thumbnails, the MIME tree and the decoder's remarks. The window's "Export session" and
``smtp_observer.py --report DIR`` call this module, and only on request:
``write_session_report`` is the one function here that writes anything.

Events (events.py) are told apart by their ``event`` name; this module imports neither
smtp_observer (run as a script it is ``__main__``) nor tkinter. A report is meant to be handed
on, so it never shows a password: it does not read ``Remark.secret``, and it masks the base64
lines that carry AUTH credentials.

The HTML needs no network and no JavaScript: the style is inline and the pictures are data:
URIs. Making the thumbnails decodes pictures, so call ``session_html`` off the Tk thread.
"""

from __future__ import annotations

import base64
import codecs
import html
import io
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
import decoder
from events import PROTOCOL_POP3, Envelope, ServerEvent
from explain import SCENARIOS, Text
from explain_pop3 import explain_command_event, explain_reply_event
from words import disconnect_reason, note_text, pictures_said, refusal, state_name

BODY_LIMIT = 256 * 1024  # characters of message text in a report, as the window shows
RAW_LIMIT = 64 * 1024  # octets of a message's raw source in a report (pictures make it long)
THUMBNAIL_SIZE = (320, 240)
THUMBNAIL_JPEG_QUALITY = 85

LABELS: dict[str, Text] = {
    "title": Text("SMTP session {number}", "SMTP 会话 {number}"),
    "title_pop3": Text("POP3 session {number}", "POP3 会话 {number}"),
    "pop3_body": Text("<message {number}: {size} bytes, dot-stuffed>",
                      "<第 {number} 封邮件：{size} 字节，已做点填充>"),
    "client": Text("Client", "客户端"),
    "started": Text("Started", "开始时间"),
    "duration": Text("Duration", "时长"),
    "still_open": Text("{seconds} so far (the session was still open)",
                       "{seconds}（导出时会话尚未结束）"),
    "server": Text("Server", "服务器"),
    "server_value": Text("{hostname} listening on {host}:{port}",
                         "{hostname}，监听 {host}:{port}"),
    "scenarios": Text("Lab scenarios", "实验场景"),
    "dialogue": Text("Dialogue", "对话"),
    "col_time": Text("Time", "时间"),
    "col_direction": Text("Dir.", "方向"),
    "col_line": Text("Line", "内容"),
    "col_explanation": Text("Explanation", "解释"),
    "connected": Text("Connected from {peer}", "客户端 {peer} 已连接"),
    "disconnected": Text("Disconnected ({reason})", "连接断开（{reason}）"),
    "data": Text("<message data: {size} bytes as sent, still dot-stuffed{incomplete}>",
                 "<邮件数据：线路上传送的 {size} 字节，仍带点填充{incomplete}>"),
    "data_incomplete": Text(", incomplete: the client went away", "，不完整：客户端中途断开"),
    "data_explanation": Text(
        "The message itself: headers, a blank line and the body, ended by a line holding only "
        "\".\" (RFC 5321 4.1.1.4). It is decoded below.",
        "邮件本身：首部、一个空行和主体，以只含“.”的一行结束（RFC 5321 §4.1.1.4）。"
        "解码结果见下文。"),
    "tls": Text("TLS started: {version}, {cipher}", "已启用 TLS：{version}，{cipher}"),
    "tls_explanation": Text(
        "From here on the lines travel encrypted: a packet capture sees only ciphertext.",
        "此后的内容都经过加密传输：抓包只能看到密文。"),
    "note": Text("Note: {text}", "提示：{text}"),
    "error": Text("Server error: {text}", "服务器错误：{text}"),
    "unknown_event": Text("An event this version cannot show: {name}",
                          "本版本无法显示的事件：{name}"),
    "state": Text("state: {state}", "状态：{state}"),
    "message_received": Text("Message {number} received (below)", "收到邮件 {number}（见下文）"),
    "masked": Text("[{length} characters of base64 credentials, masked in the report]",
                   "[{length} 个字符的 base64 登录凭据，报告中已隐去]"),
    "message": Text("Message {number}: {size} bytes, {status}",
                    "邮件 {number}：{size} 字节，{status}"),
    "bytes": Text("{size} bytes", "{size} 字节"),
    "accepted": Text("accepted", "已接受"),
    "not_accepted": Text("NOT accepted: {reason}", "未被接受：{reason}"),
    "envelope": Text("Envelope", "信封"),
    "headers": Text("Headers", "首部"),
    "none": Text("(none)", "（无）"),
    "outlook_test": Text("This is Outlook's account test message.",
                         "这是 Outlook 的账户测试邮件。"),
    "text": Text("Text", "正文"),
    "text_from_html": Text("Text (rendered from the HTML body)", "正文（由 HTML 正文转换而来）"),
    "no_text": Text("(no text body)", "（没有文本正文）"),
    "text_cut": Text("The text has {length} characters; the first {limit} are shown.",
                     "正文共 {length} 个字符，这里只显示前 {limit} 个。"),
    "attachments": Text("Attachments ({count})", "附件（{count}）"),
    "col_name": Text("Name", "文件名"),
    "col_type": Text("Type", "类型"),
    "col_size": Text("Size", "大小"),
    "col_picture": Text("Picture", "图片"),
    "picture_unreadable": Text("(the picture cannot be shown: its data is broken or cut "
                               "short, or it has too many pixels to preview)",
                               "（无法显示图片：数据已损坏或不完整，或像素太多无法预览）"),
    "part": Text("MIME part {path}", "MIME 部分 {path}"),
    "attached_mail": Text("Attached mail: {subject}, from {sender}",
                          "附带的邮件：{subject}，发件人 {sender}"),
    "mime_tree": Text("MIME tree", "MIME 结构树"),
    "decoder_remarks": Text("Decoder remarks ({count})", "解码提示（{count}）"),
    "not_decoded": Text("The message was not decoded.", "这封邮件没有被解码。"),
    "exported": Text("Exported by SMTP Observer on {time}.", "由 SMTP Observer 于 {time} 导出。"),
    "student": Text("Student (name and number)", "学生（姓名 学号）"),
    "raw_headers": Text("Header lines as sent (still encoded)", "首部原文（编码形式，未解码）"),
    "raw_source": Text("Raw source", "邮件原文"),
    "raw_cut": Text("The message has {size} bytes; the first {limit} are shown.",
                    "邮件共 {size} 字节，这里只显示前 {limit} 字节。"),
}


def label(key: str, lang: str, **values: object) -> str:
    return LABELS[key](lang).format(**values)


# --------------------------------------------------------------------------------------------
# Picking a session's events


def session_events(events: Iterable[ServerEvent], session: int) -> list[ServerEvent]:
    """The events of one session, in arrival order, after the listening event if there is one
    (it tells the server's address and lab scenarios)."""
    listening: list[ServerEvent] = []
    chosen: list[ServerEvent] = []
    for event in events:
        if event.event == "listening":
            listening = [event]
        elif event.session == session:
            chosen.append(event)
    return listening + chosen


def _split(events: Sequence[ServerEvent]) -> tuple[ServerEvent | None, list[ServerEvent]]:
    """The listening event (or None) and the events of the session the first other event is
    from; events of any other session are left out."""
    listening = next((event for event in events if event.event == "listening"), None)
    own = [event for event in events if event.event != "listening"]
    if not own:
        return listening, []
    return listening, [event for event in own if event.session == own[0].session]


def report_basename(events: Sequence[ServerEvent]) -> str:
    """The file name, without extension, for a session's report: "smtp-session-3-20261129-193012"
    (the protocol, the session number and when it began, in local time)."""
    _, own = _split(events)
    if not own:
        return "smtp-session"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(own[0].time))
    protocol = "pop3" if _is_pop3(own) else "smtp"
    return f"{protocol}-session-{own[0].session}-{stamp}"


def _is_pop3(own: Sequence[ServerEvent]) -> bool:
    """True when a session's events are POP3's."""
    return any(getattr(event, "protocol", None) == PROTOCOL_POP3 for event in own)


# --------------------------------------------------------------------------------------------
# What a report shows, apart from how


@dataclass(frozen=True, slots=True)
class DialogueRow:
    """One line of the dialogue as the report shows it."""

    offset: float  # seconds since the session began
    kind: str  # "client", "server", "note", "marker" or "error": the style of the row
    direction: str  # "C→S", "S→C" or ""
    lines: tuple[str, ...]  # what was said, as on the wire (a reply has a line per wire line)
    explanation: str = ""  # may hold line breaks
    state: str | None = None  # the protocol state after a reply


def _clock(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f} s"


def _offset(seconds: float) -> str:
    """Time since the session began, e.g. "+0.012 s"."""
    return "+" + _seconds(seconds)


def _summary_items(listening: ServerEvent | None, own: list[ServerEvent],
                   lang: str, student: str | None = None) -> list[tuple[str, str]]:
    """The facts at the top of a report, as (label, value) pairs."""
    items = [(label("student", lang), student)] if student else []
    connect = next((event for event in own if event.event == "connect"), None)
    if connect is not None:
        items.append((label("client", lang), connect.peer))
    if own:
        start, last = own[0].time, own[-1].time
        duration = _seconds(last - start)
        if own[-1].event != "disconnect":
            duration = label("still_open", lang, seconds=duration)
        items += [(label("started", lang), _clock(start)), (label("duration", lang), duration)]
    if listening is not None:
        port = listening.pop3_port if _is_pop3(own) else listening.port
        items.append((label("server", lang), label(
            "server_value", lang, hostname=listening.hostname, host=listening.host, port=port)))
        if listening.scenarios:
            items.append((label("scenarios", lang),
                           "; ".join(_scenario(name, lang) for name in listening.scenarios)))
    return items


def _scenario(name: str, lang: str) -> str:
    info = SCENARIOS.get(name)
    return f"{name}: {info.what(lang)}" if info is not None else name


def _masked_command(line: str, answers_challenge: bool, lang: str) -> str:
    """A command line with the AUTH credentials in it (base64: as good as clear text) masked:
    an answer to a 334 challenge, or the initial response after AUTH <mechanism>."""
    if answers_challenge:
        return line if line.strip() == "*" else label("masked", lang, length=len(line))
    verb, _, rest = line.partition(" ")
    mechanism, _, response = rest.strip().partition(" ")
    if verb.upper() != "AUTH" or not response.strip():
        return line
    return f"{verb} {mechanism} {label('masked', lang, length=len(response.strip()))}"


def _wire_lines(event: ServerEvent, lang: str) -> tuple[str, ...]:
    """A reply as it went over the wire: "250-first", ..., "250 last", or a POP3 response."""
    size = getattr(event, "body_size", None)
    body = "" if size is None else label("pop3_body", lang, number=event.message_number,
                                         size=f"{size:,}")
    return tuple(event.wire_lines(body))


def _dialogue(own: list[ServerEvent], lang: str) -> list[DialogueRow]:
    rows = []
    start = own[0].time if own else 0.0
    for event in own:
        row = _dialogue_row(event, event.time - start, lang)
        if row is not None:
            rows.append(row)
    return rows


def _dialogue_row(event: ServerEvent, offset: float, lang: str) -> DialogueRow | None:
    """The row of one event; None for the listening event (the summary shows it)."""
    name = event.event
    if name == "command":
        answers_challenge = event.answers_challenge
        return DialogueRow(offset, "client", "C→S",
                           (_masked_command(event.line, answers_challenge, lang),),
                           explain_command_event(event, lang))
    if name == "reply":
        return DialogueRow(offset, "server", "S→C", _wire_lines(event, lang),
                           explain_reply_event(event, lang), event.state)
    if name == "data":
        incomplete = "" if event.complete else label("data_incomplete", lang)
        return DialogueRow(offset, "client", "C→S", (label(
            "data", lang, size=f"{event.size:,}", incomplete=incomplete),),
            label("data_explanation", lang))
    if name == "remark":  # the password is masked in the values, and .secret is not read
        return DialogueRow(offset, "note", "", (label("note", lang,
                                                      text=note_text(event.note, lang)),))
    if name == "tls":
        return DialogueRow(offset, "marker", "", (label(
            "tls", lang, version=event.version, cipher=event.cipher),),
            label("tls_explanation", lang))
    if name == "connect":
        return DialogueRow(offset, "marker", "", (label("connected", lang, peer=event.peer),))
    if name == "message":
        return DialogueRow(offset, "marker", "",
                           (label("message_received", lang, number=event.number),))
    if name == "disconnect":
        return DialogueRow(offset, "marker", "",
                           (label("disconnected", lang,
                                  reason=disconnect_reason(event.reason, lang)),))
    if name == "error":
        text = note_text(event.note, lang)
        return DialogueRow(offset, "error", "", (label("error", lang, text=text),))
    if name == "listening":
        return None
    return DialogueRow(offset, "error", "", (label("unknown_event", lang, name=name),))


def _message_heading(event: ServerEvent, lang: str) -> str:
    status = (label("accepted", lang) if event.accepted
              else label("not_accepted", lang, reason=refusal(event, lang)))
    return label("message", lang, number=event.number, size=f"{len(event.raw):,}", status=status)


def _envelope_items(envelope: Envelope) -> list[tuple[str, str]]:
    sender = f"<{envelope.mail_from}>" + "".join(f" {p}" for p in envelope.mail_params)
    return [("MAIL FROM", sender),
            ("RCPT TO", ", ".join(f"<{recipient}>" for recipient in envelope.rcpt_to))]


def _shown_text(decoded: decoder.DecodedMessage, lang: str) -> tuple[str, str | None]:
    """The message text for a report (at most BODY_LIMIT characters), and a note if cut."""
    text = (pictures_said(decoded.text.rstrip(), lang) if decoded.text is not None
            else label("no_text", lang))
    if len(text) <= BODY_LIMIT:
        return text, None
    return text[:BODY_LIMIT], label("text_cut", lang, length=f"{len(text):,}",
                                    limit=f"{BODY_LIMIT:,}")


# --------------------------------------------------------------------------------------------
# Plain text


def _title(own: Sequence[ServerEvent], lang: str) -> str:
    """ "SMTP session 3", or "POP3 session 4" when the session's events are POP3's."""
    return label("title_pop3" if _is_pop3(own) else "title", lang,
                 number=own[0].session if own else "?")


def session_text(events: Sequence[ServerEvent], *, lang: str = "en",
                 student: str | None = None) -> str:
    """The plain-text transcript of a session: each line with its time and, under it, what it
    means; then decoder.format_report() of each message and its raw source. `student` is the
    student's name and number, shown first."""
    listening, own = _split(events)
    lines = [_title(own, lang), ""]
    lines += [f"{name}: {value}" for name, value in _summary_items(listening, own, lang, student)]
    lines += ["", f"=== {label('dialogue', lang)} ==="]
    for row in _dialogue(own, lang):
        lines += _text_row(row, lang)
    # What a client sent goes into a file a student opens with `type` or `cat`: no control
    # character may reach the terminal (the message's own report is escaped by the decoder).
    lines = [decoder.printable_line(line) for line in lines]
    for event in own:
        if event.event == "message":
            lines += ["", _text_message(event, lang)]
    return "\n".join(lines) + "\n"


_TEXT_INDENT = " " * 16  # under the line: past "  +0.012 s  C→S "


def _text_row(row: DialogueRow, lang: str) -> list[str]:
    head = f"{_offset(row.offset):>10}  {row.direction:3} "
    lines = [head + row.lines[0]] + [_TEXT_INDENT + line for line in row.lines[1:]]
    explanation = row.explanation.splitlines()
    if row.state is not None:
        explanation.append(label("state", lang, state=state_name(row.state, lang)))
    return lines + [_TEXT_INDENT + "  " + line for line in explanation]


def _text_message(event: ServerEvent | ReportedMessage, lang: str) -> str:
    if isinstance(event, ReportedMessage):
        return event.text
    lines = [f"=== {_message_heading(event, lang)} ==="]
    lines += [f"{name}: {value}" for name, value in _envelope_items(event.envelope)]
    lines = [decoder.printable_line(line) for line in lines]
    lines.append("")
    lines.append(decoder.format_report(event.decoded, lang) if event.decoded is not None
                 else label("not_decoded", lang))
    headers, source, cut = _raw_parts(event.raw, lang)
    lines += ["", f"--- {label('raw_headers', lang)} ---", headers,
              "", f"--- {label('raw_source', lang)} ---", source]
    if cut:
        lines.append(cut)
    return "\n".join(lines)


def _raw_parts(raw: bytes, lang: str) -> tuple[str, str, str | None]:
    """The header block as it came (encoded words and all: decoding them by hand is the lab's
    task), the raw source (cut at RAW_LIMIT) and the note that says so when cut."""
    shown = raw[:RAW_LIMIT].decode("utf-8", "backslashreplace").replace("\r\n", "\n")
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    cut = label("raw_cut", lang, size=f"{len(raw):,}", limit=f"{RAW_LIMIT:,}") \
        if len(raw) > RAW_LIMIT else None
    return headers.decode("utf-8", "backslashreplace").replace("\r\n", "\n"), shown, cut


# --------------------------------------------------------------------------------------------
# HTML

_STYLE = """
body { font-family: "Segoe UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
       "WenQuanYi Micro Hei", system-ui, sans-serif; font-size: 15px; line-height: 1.45;
       color: #1f2328; background: #fff; margin: 0; }
main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 16px; margin: 20px 0 6px; }
code, pre, .line { font-family: Consolas, "Noto Sans Mono CJK SC", "WenQuanYi Micro Hei Mono",
       "DejaVu Sans Mono", monospace; font-size: 13.5px; }
pre, .line, .about, .explanation { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
dl.facts dt { font-weight: 600; color: #57606a; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; background: #f6f8fa; font-weight: 600; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; }
table.dialogue { table-layout: fixed; }
table.dialogue col.time { width: 6.5em; }
table.dialogue col.direction { width: 3.6em; }
table.dialogue col.line { width: 44%; }
td.time, td.direction { white-space: nowrap; color: #57606a; font-size: 13px; }
tr.client td.line { color: #0b5cad; }
tr.server td.line { color: #1a7f37; }
tr.note td { background: #f5f0ff; color: #6639ba; }
tr.marker td { background: #f6f8fa; color: #57606a; }
tr.error td { background: #ffebe9; color: #cf222e; }
td.explanation { color: #424a53; font-size: 13.5px; }
.state { display: inline-block; margin-top: 3px; padding: 0 6px; border-radius: 8px;
         background: #ddf4ff; color: #0969da; font-size: 12px; }
pre.text { background: #f6f8fa; border: 1px solid #d0d7de; padding: 10px 12px; }
pre.tree { background: #f6f8fa; padding: 8px 12px; }
.note { color: #9a6700; }
td.picture img { display: block; max-width: 100%; height: auto; }
p.inline-picture { margin: 8px 0; }
p.inline-picture img { display: block; max-width: 100%; height: auto; }
@media print {
  body { font-size: 10.5pt; }
  tr, img, pre.tree { break-inside: avoid; }
}
"""


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def session_html(events: Sequence[ServerEvent], *, lang: str = "en",
                 student: str | None = None) -> str:
    """One session as a self-contained HTML page (inline style, pictures as data: URIs)."""
    listening, own = _split(events)
    title = _title(own, lang)
    sections = [f"<h1>{escape(title)}</h1>",
                _html_facts(_summary_items(listening, own, lang, student)),
                _html_dialogue(_dialogue(own, lang), lang)]
    sections += [_html_message(event, lang) for event in own if event.event == "message"]
    sections.append(f'<p class="note">{escape(label("exported", lang, time=_clock(time.time())))}'
                    "</p>")
    return ('<!DOCTYPE html>\n'
            f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            "<body>\n<main>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n")


def _html_facts(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in items)
    return f'<dl class="facts">{rows}</dl>'


def _html_dialogue(rows: list[DialogueRow], lang: str) -> str:
    head = "".join(f"<th>{escape(label(key, lang))}</th>" for key in
                   ("col_time", "col_direction", "col_line", "col_explanation"))
    body = "\n".join(_html_dialogue_row(row, lang) for row in rows)
    return (f"<h2>{escape(label('dialogue', lang))}</h2>\n<table class=\"dialogue\">"
            '<colgroup><col class="time"><col class="direction"><col class="line"><col>'
            f"</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>")


def _html_dialogue_row(row: DialogueRow, lang: str) -> str:
    line = escape("\n".join(row.lines))
    if row.state is not None:
        state = label("state", lang, state=state_name(row.state, lang))
        line += f'\n<span class="state">{escape(state)}</span>'
    cells = (f'<td class="time">{escape(_offset(row.offset))}</td>'
             f'<td class="direction">{escape(row.direction)}</td>')
    # What went over the wire is monospaced; notes and markers about it are not.
    line_class = "line" if row.direction else "about"
    if row.explanation:
        cells += (f'<td class="{line_class}">{line}</td>'
                  f'<td class="explanation">{escape(row.explanation)}</td>')
    else:
        cells += f'<td class="{line_class}" colspan="2">{line}</td>'
    return f'<tr class="{row.kind}">{cells}</tr>'


@dataclass(frozen=True, slots=True)
class ReportedMessage:
    """A message as its report shows it (HTML and text, in one language), made when it
    arrived: --report keeps this for a session still open instead of the message, its raw
    bytes and its decoded parts (ten 30 MB photos in one session held 2.15 GB). It stands in
    for the message event in session_html() and session_text()."""

    session: int
    time: float
    number: int
    html: str
    text: str
    event: str = "message"


def reported_message(event: ServerEvent, lang: str) -> ReportedMessage:
    """The report's part for one message event (decodes thumbnails: off the Tk thread)."""
    return ReportedMessage(event.session, event.time, event.number,
                           _html_message(event, lang), _text_message(event, lang))


def _html_message(event: ServerEvent | ReportedMessage, lang: str) -> str:
    if isinstance(event, ReportedMessage):
        return event.html
    parts = [f'<h2 id="message-{event.number}">{escape(_message_heading(event, lang))}</h2>',
             f"<h3>{escape(label('envelope', lang))}</h3>",
             _html_facts(_envelope_items(event.envelope))]
    decoded = event.decoded
    if decoded is None:
        parts.append(f"<p>{escape(label('not_decoded', lang))}</p>")
        return "<section>\n" + "\n".join(parts) + "\n</section>"
    none = label("none", lang)
    parts += [f"<h3>{escape(label('headers', lang))}</h3>",
              _html_facts([(name, none if value is None else value)
                            for name, value in decoder.summary_fields(decoded)])]
    if decoded.outlook_test:
        parts.append(f'<p class="note">{escape(label("outlook_test", lang))}</p>')
    text, cut_note = _shown_text(decoded, lang)
    heading = label("text_from_html" if decoded.text_from_html else "text", lang)
    parts.append(f"<h3>{escape(heading)}</h3>")
    if cut_note is None and any(piece.kind == "picture" for piece in decoded.body):
        attachments = {attachment.part: attachment for attachment in decoded.attachments}
        parts += [_html_body_piece(piece, attachments, lang) for piece in decoded.body]
    else:
        parts.append(f'<pre class="text">{escape(text)}</pre>')
    if cut_note:
        parts.append(f'<p class="note">{escape(cut_note)}</p>')
    parts += [_html_attachments(decoded.attachments, lang),
              f"<h3>{escape(label('mime_tree', lang))}</h3>",
              '<pre class="tree">' + escape("\n".join(decoder.describe_part(part, lang)
                                                      for part in decoded.parts))
              + "</pre>",
              f"<h3>{escape(label('decoder_remarks', lang, count=len(decoded.remarks)))}</h3>",
              "<ul>" + "".join(f"<li>{escape(remark)}</li>"
                               for remark in decoded.remark_texts(lang))
              + "</ul>"]
    return "<section>\n" + "\n".join(parts + _html_raw(event.raw, lang)) + "\n</section>"


def _html_raw(raw: bytes, lang: str) -> list[str]:
    headers, source, cut = _raw_parts(raw, lang)
    return [f"<h3>{escape(label('raw_headers', lang))}</h3>",
            f'<pre class="text">{escape(headers)}</pre>',
            f"<h3>{escape(label('raw_source', lang))}</h3>",
            f'<pre class="text">{escape(source)}</pre>',
            *([f'<p class="note">{escape(cut)}</p>'] if cut else [])]


def _html_body_piece(piece: decoder.BodyPiece, attachments: dict[str, decoder.Attachment],
                     lang: str) -> str:
    """A text of the body, or a picture where it stands between them."""
    if piece.kind != "picture":
        return f'<pre class="text">{escape(pictures_said(piece.text.rstrip(), lang))}</pre>'
    attachment = attachments.get(piece.part)
    uri = _thumbnail_uri(attachment.data) if attachment is not None else None
    if uri is None:
        return f'<p class="note">{escape(label("picture_unreadable", lang))}</p>'
    return f'<p class="inline-picture"><img src="{uri}" alt="{escape(attachment.filename)}"></p>'


def _html_attachments(attachments: list[decoder.Attachment], lang: str) -> str:
    heading = f"<h3>{escape(label('attachments', lang, count=len(attachments)))}</h3>"
    if not attachments:
        return heading
    head = "".join(f"<th>{escape(label(key, lang))}</th>"
                   for key in ("col_name", "col_type", "col_size", "col_picture"))
    rows = "\n".join(_html_attachment(attachment, lang) for attachment in attachments)
    return f"{heading}\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"


def _html_attachment(attachment: decoder.Attachment, lang: str) -> str:
    size = escape(label("bytes", lang, size=f"{attachment.size:,}"))
    picture = ""
    if attachment.image is not None:
        image = attachment.image
        size += f"<br>{escape(image.format)} {image.width}×{image.height}"
        uri = _thumbnail_uri(attachment.data)
        if uri is not None:
            picture = f'<img src="{uri}" alt="{escape(attachment.filename)}">'
        else:
            picture = escape(label("picture_unreadable", lang))
    part = escape(label("part", lang, path=attachment.part))
    if attachment.message is not None:
        mail = attachment.message
        part += "<br>" + escape(label("attached_mail", lang, subject=mail.subject or "—",
                                      sender=mail.from_ or "—"))
    return (f"<tr><td>{escape(attachment.filename)}<br><small>{part}</small></td>"
            f"<td>{escape(attachment.content_type)}</td><td>{size}</td>"
            f'<td class="picture">{picture}</td></tr>')


def _thumbnail_uri(data: bytes) -> str | None:
    """A thumbnail of a picture as a data: URI (PNG when it has transparency, else JPEG), or
    None when the picture cannot be shown."""
    image = decoder.thumbnail(data, THUMBNAIL_SIZE)
    if image is None:
        return None
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG", optimize=True)
        media_type = "image/png"
    else:
        image.save(buffer, "JPEG", quality=THUMBNAIL_JPEG_QUALITY)
        media_type = "image/jpeg"
    return f"data:{media_type};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


# --------------------------------------------------------------------------------------------
# Writing


def write_session_report(directory: Path, events: Sequence[ServerEvent], *,
                         lang: str, student: str | None = None) -> list[Path]:
    """Write ``<basename>.html`` and ``<basename>.txt`` for a session into `directory` (made if
    missing) and return their paths. The text file is UTF-8 with a BOM and CRLF line ends on
    every system, so that Notepad on an older Windows lab PC shows the Chinese and the lines;
    the HTML says its charset itself. OSError goes to the caller; a stray lone surrogate is
    written as \\udcxx rather than costing the report."""
    directory.mkdir(parents=True, exist_ok=True)
    page_text = session_html(events, lang=lang, student=student)
    transcript_text = session_text(events, lang=lang, student=student)
    base = report_basename(events)
    # Never overwrite: two observers writing to one folder in the same second did (reliability
    # review F11). The name is claimed by creating the .html (open mode "x", atomic on
    # Windows too); the next free one is "<base>-2", "-3"...
    for number in itertools.count(1):
        stem = base if number == 1 else f"{base}-{number}"
        page, transcript = directory / f"{stem}.html", directory / f"{stem}.txt"
        if transcript.exists():
            continue
        try:
            file = page.open("x", encoding="utf-8", errors="backslashreplace", newline="\n")
        except FileExistsError:
            continue
        with file:
            file.write(page_text)
        transcript.write_bytes(notepad_text_bytes(transcript_text))
        return [page, transcript]
    raise AssertionError("itertools.count() never ends")


def notepad_text_bytes(text: str) -> bytes:
    """A text report as a file: UTF-8 with a BOM and CRLF line ends, so that Notepad on an
    older Windows lab PC shows the Chinese and the lines (the window's export writes the same)."""
    return codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8", "backslashreplace")
