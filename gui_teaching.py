"""What the window's teaching views show, worked out without Tk: what a dialogue line means,
where its session stood, the arrows of the sequence view and the panes of the encoding X-ray.

gui.py owns the widgets and puts these results into them. Like gui.py, this module reads
events (events.py) by their ``event`` name; it imports neither tkinter nor
smtp_observer. The explanations themselves come from explain.py's tables; only the window's
own words are here, in WORDS (gui.WORDS includes them).
"""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import decoder
import explain
import explain_pop3
from events import PROTOCOL_POP3, PROTOCOL_SMTP, STATE_DONE, RemarkKind, ServerEvent, states_of
from explain import Text
from words import STATE_NAMES, Labels, note_text

BAD_SEQUENCE = 503  # its text names the rule the client broke, e.g. "(RCPT before MAIL)"

MAX_SEQUENCE_STEPS = 500  # arrows drawn per session; a flood of thousands would take seconds
XRAY_PANE_LIMIT = 256 * 1024  # characters (or bytes of encoded text) in one X-ray pane
XRAY_HEX_LIMIT = 4096  # bytes shown in hex
HEX_ROW = 8  # bytes a row: as wide as the X-ray's middle pane

WORDS: dict[str, Text] = {
    "explanation": Text("Explanation", "解释"),
    "explain_hint": Text("Click a line of the SMTP or POP3 dialogue to see what it means. Up "
                         "and Down move from line to line; Esc goes back to following the "
                         "newest connection.",
                         "点击 SMTP 或 POP3 对话中的一行，查看它的含义。上下方向键逐行移动；"
                         "按 Esc 回到跟随最新连接。"),
    "explain_listening": Text("The server waits here for mail clients: a client whose SMTP "
                              "server is set to this address and port connects, and the dialogue "
                              "begins.",
                              "服务器在这里等待邮件客户端：SMTP 服务器设置为此地址和端口的客户端连接进来后，对话就开始了。"),
    "explain_connect": Text("A mail client opened a TCP connection. The server speaks first: its "
                            "220 greeting starts the SMTP (Simple Mail Transfer Protocol) "
                            "dialogue.",
                            "邮件客户端建立了 TCP 连接。服务器先开口：它的 220 问候开始了 SMTP"
                            "（简单邮件传送协议）对话。"),
    "explain_disconnect": Text("The TCP connection ended. A message counts as sent only after "
                               "its final \".\" got a 250 reply.",
                               "TCP 连接已结束。只有最后的“.”得到 250 应答，邮件才算发送成功。"),
    "explain_connect_pop3": Text(
        "A mail client connected to the POP3 server (port 110) to fetch mail. The server speaks "
        "first: its +OK greeting starts the POP3 dialogue in the AUTHORIZATION state; the text "
        "in angle brackets is the timestamp APOP uses.",
        "邮件客户端连接到 POP3 服务器（110 端口）来收信。服务器先开口：它的 +OK 问候开始了 POP3 对话，"
        "处于授权状态；尖括号里的文字是 APOP 要用的时间戳。"),
    "explain_disconnect_pop3": Text(
        "The TCP connection ended. Only a QUIT after logging on (the UPDATE state) removes the "
        "messages marked with DELE; a connection that just ends removes nothing.",
        "TCP 连接已结束。只有登录后的 QUIT（进入更新状态）才会删除用 DELE 标记的邮件；"
        "直接断开的连接什么也不删除。"),
    "explain_message": Text("The message is shown on the right: its body and attachments, and "
                            "under Encoding X-ray how each part and header was encoded.",
                            "右边显示这封邮件：正文和附件；“编码透视”中可以看到每个部分和首部是如何编码的。"),
    "explain_data": Text("After the 354 the client sent {octets} octets of message data: the "
                         "headers, a blank line and the body, as they came over the wire (still "
                         "dot-stuffed).",
                         "收到 354 之后，客户端发送了 {octets} 字节的邮件数据：首部、一个空行和主体，即线路上传送的原样（仍带点填充）。"),
    "explain_data_incomplete": Text("The connection ended after {octets} octets of message data, "
                                    "before the final \".\": the message is incomplete.",
                                    "收到 {octets} 字节的邮件数据后、在最后的“.”之前连接就断开了：邮件不完整。"),
    "note_elapsed": Text("{elapsed} s after connection #{session} began.",
                         "连接 #{session} 开始后 {elapsed} 秒。"),
    "note_round_trip": Text("Round trip: this line arrived {duration} after the server's last "
                            "reply left: the reply crossed the network, the client reacted, and "
                            "this line crossed back.",
                            "往返时间：服务器发出上一条应答 {duration} 后，这一行到达：应答经网络到达客户端，客户端作出反应，这一行再经网络返回。"),
    "note_pipelined": Text("Pipelined: the client sent this line without waiting for a reply "
                           "(RFC 2920).",
                           "流水线：客户端没有等待应答就发出了这一行（RFC 2920）。"),
    "note_server_time": Text("The server sent this reply {duration} after the line it answers "
                             "arrived.",
                             "服务器收到该命令 {duration} 后发出此应答。"),
    "note_encrypted": Text("Inside TLS: a packet capture shows only ciphertext for this line.",
                           "在 TLS 之内：抓包只能看到这一行的密文。"),
    "show_password": Text("Show password", "显示密码"),
    "password_revealed": Text("Password: {secret}\nThe server only had to decode base64 to read "
                              "it: base64 is an encoding, not encryption.",
                              "密码：{secret}\n服务器只需解码 base64 就能读到它：base64 只是编码，不是加密。"),
    "mark_tls": Text("TLS started: {version} {cipher}; a packet capture now sees only ciphertext",
                     "TLS 已启动：{version} {cipher}；此后抓包只能看到密文"),
    "sequence": Text("Sequence", "时序图"),
    "sequence_client": Text("Client", "客户端"),
    "sequence_server": Text("Server", "服务器"),
    "sequence_title": Text("Connection #{session}", "连接 #{session}"),
    "sequence_data": Text("message data … \".\"", "邮件数据 … “.”"),
    "sequence_tls": Text("TLS started ({version}): encrypted from here on",
                         "TLS 已启动（{version}）：此后内容加密"),
    "sequence_more_lines": Text(" (+{count} lines)", "（另 {count} 行）"),
    "sequence_round_trip": Text("RTT {duration}", "往返 {duration}"),
    "sequence_server_time": Text("server {duration}", "服务器 {duration}"),
    "sequence_capped": Text("Only the first {shown} of {count} lines are drawn.",
                            "只画出了 {count} 行中的前 {shown} 行。"),
    "sequence_empty": Text("The sequence of the selected (or newest) connection is drawn here.",
                           "这里画出所选（或最新）连接的时序图。"),
    **{f"state_{state}": name for state, name in STATE_NAMES.items()},
    "password_revealed_clear": Text("Password: {secret}\nIt went over the network as it is: PASS "
                                    "sends the password in the clear.",
                                    "密码：{secret}\n它就这样以明文在网络上传送：PASS 命令发送的是明文密码。"),
    "strip_session": Text("Connection #{session}:", "连接 #{session}："),
    "strip_at_line": Text("(at the selected line)", "（所选行时）"),
    "strip_none": Text("No connection yet", "尚无连接"),
    "strip_rule": Text("Rule broken: {reply}", "违反规则：{reply}"),
    "export_session": Text("Export session…", "导出会话…"),
    "export_title": Text("Export connection #{session}", "导出连接 #{session}"),
    "filetype_html": Text("HTML report", "HTML 报告"),
    "filetype_text": Text("Text report", "文本报告"),
    "menu_session": Text("Session", "会话"),
    "menu_scenarios": Text("Scenarios", "实验场景"),
    "status_scenarios": Text("Scenario: {names}", "实验场景：{names}"),
    "status_no_scenario": Text("No lab scenario", "未启用实验场景"),
    "scenario_expect": Text("What the clients do: ", "客户端的表现："),
    "scenario_on": Text("On: takes effect from the next connection.", "已开启：从下一个连接开始生效。"),
    "scenario_off": Text("Off from the next connection.", "已关闭：从下一个连接开始生效。"),
    "message_tab": Text("Message", "邮件"),
    "xray_tab": Text("Encoding X-ray", "编码透视"),
    "xray_col_part": Text("Part", "部分"),
    "xray_col_type": Text("Type", "类型"),
    "xray_col_charset": Text("Charset", "字符集"),
    "xray_col_encoding": Text("Encoding", "内容传送编码"),
    "xray_col_disposition": Text("Disposition", "内容处置"),
    "xray_col_name": Text("Name", "名称"),
    "xray_col_sizes": Text("Encoded → decoded", "编码后 → 解码后"),
    "xray_headers": Text("Encoded headers", "编码的首部"),
    "xray_hint": Text("Select a part or an encoded header above: it is shown as sent, as bytes "
                      "and as text.",
                      "在上面选择一个部分或编码的首部：下面并排显示它传送时的样子、字节和文本。"),
    "xray_undecodable": Text("This message could not be decoded, so it has no MIME tree.",
                             "无法解码此邮件，因此没有 MIME 结构树。"),
    "xray_sent": Text("As sent ({encoding}): bytes {start}–{end} of the message",
                      "传送原样（{encoding}）：邮件的第 {start}–{end} 字节"),
    "xray_octets": Text("Bytes after transfer decoding ({count} B)", "解码后的字节（{count} B）"),
    "xray_text": Text("Text, decoded as {charset}", "文本，按 {charset} 解码"),
    "xray_no_text": Text("Text", "文本"),
    "xray_not_text": Text("Not text: the bytes are all there is.", "不是文本：只有字节。"),
    "xray_charset": Text("Charset label {label}, decoded as {used}.", "字符集标签 {label}，按 {used} 解码。"),
    "xray_substitution": Text("Charset: {substitution}.", "字符集：{substitution}。"),
    "xray_separator": Text("; ", "；"),
    "xray_binary": Text("{type} is binary data: the middle pane shows its bytes in hex.",
                        "{type} 是二进制数据：中间一栏以十六进制显示它的字节。"),
    "xray_container": Text("{type} is a container: its body holds the parts below it in the "
                           "tree, between boundary lines.",
                           "{type} 是容器：它的主体由边界行分隔成树中位于它下面的各子部分。"),
    "xray_hex_limit": Text("The first {shown} of {size} bytes are shown.",
                           "只显示 {size} 字节中的前 {shown} 字节。"),
    "xray_more": Text("… {count} more not shown.", "……还有 {count} 未显示。"),
    "xray_loading": Text("Decoding…", "正在解码…"),
    "xray_header_sent": Text("As sent: the {name} header", "传送原样：{name} 首部"),
    "xray_header_octets": Text("Bytes of each encoded word", "每个编码字的字节"),
    "xray_header_text": Text("Text", "文本"),
}

# --------------------------------------------------------------------------------------------
# Timing and sizes


def format_elapsed(seconds: float) -> str:
    """Seconds since the session began, as the dialogue shows them: "+0.012", "+1234"."""
    return f"+{seconds:.3f}" if seconds < 1000 else f"+{seconds:.0f}"


def format_duration(seconds: float) -> str:
    """A round trip for people: "0.4 ms", "12 ms", "3.00 s" (switching where rounding would
    otherwise show "10.0 ms" or "1000 ms")."""
    milliseconds = seconds * 1000
    if milliseconds < 9.95:
        return f"{milliseconds:.1f} ms"
    if milliseconds < 999.5:
        return f"{milliseconds:.0f} ms"
    return f"{seconds:.2f} s"


def command_octets(line: str) -> int:
    """The size of a client line on the wire: its UTF-8 bytes and CRLF."""
    return len(line.encode("utf-8")) + 2


def reply_octets(ev: ServerEvent) -> int:
    """The size of a reply on the wire: each line and its CRLF, and a retrieved message."""
    octets = sum(len(line.encode()) + 2 for line in ev.wire_lines())
    body_size = getattr(ev, "body_size", None)
    # The message, not the empty line that stands for it (dot-stuffing adds a little more).
    return octets if body_size is None else octets - 2 + body_size


def reply_text(ev: ServerEvent) -> str:
    """A reply on one line, e.g. "503 5.5.1 Need MAIL command first (RCPT before MAIL)"."""
    return " ".join((str(ev.code), *ev.lines))


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


# --------------------------------------------------------------------------------------------
# Sessions: what each dialogue line stood for when it arrived


@dataclass(frozen=True, slots=True)
class WireStep:
    """One arrow of the sequence view, or (kind "tls") the point where TLS begins."""

    kind: str  # "command" and "data" go from client to server, "reply" back
    event: ServerEvent
    octets: int
    elapsed: float  # seconds since the session began
    # A reply: seconds since the line it answers arrived (the server's own time).
    server_time: float | None = None
    # A client line: seconds since the server's last reply left, when the client waited for
    # it (network there and back plus the client's reaction); None when pipelined.
    round_trip: float | None = None
    pipelined: bool = False


@dataclass(frozen=True, slots=True)
class DialogueEntry:
    """The event behind one or more dialogue lines, and its session as it was then."""

    event: ServerEvent
    session: int = 0  # 0 for the server's own lines (listening, errors)
    elapsed: float | None = None
    encrypted: bool = False  # travelled inside TLS
    state: str | None = None  # the protocol state after this line
    broken_rule: str | None = None  # the last reply, when it was a 503
    step: WireStep | None = None


class SessionTrack:
    """What the window knows about one session, brought up to date event by event."""

    def __init__(self, number: int, started: float, protocol: str = PROTOCOL_SMTP) -> None:
        self.number = number
        self.started = started
        self.protocol = protocol
        self.steps: list[WireStep] = []
        self.state = states_of(protocol)[0]
        self.broken_rule: str | None = None
        self.encrypted = False
        self._last_reply_time: float | None = None  # None again once a client line used it
        # Arrival times of the client's lines still waiting for their reply. Replies come in
        # the order of the lines they answer, pipelined or not (RFC 2920 3.1).
        self._unanswered: deque[float] = deque()

    def add(self, ev: ServerEvent) -> DialogueEntry:
        elapsed = max(0.0, ev.time - self.started)
        encrypted = self.encrypted
        step = self._wire_step(ev, elapsed)
        if step is not None:
            self.steps.append(step)
        self._advance(ev)
        return DialogueEntry(ev, self.number, elapsed, encrypted, self.state,
                             self.broken_rule, step)

    def _wire_step(self, ev: ServerEvent, elapsed: float) -> WireStep | None:
        if ev.event == "command":
            pipelined = self._last_reply_time is None
            round_trip = None if pipelined else max(0.0, ev.time - self._last_reply_time)
            self._last_reply_time = None
            self._unanswered.append(ev.time)
            return WireStep("command", ev, command_octets(ev.line), elapsed,
                            round_trip=round_trip, pipelined=pipelined)
        if ev.event == "data":
            self._last_reply_time = None
            self._unanswered.append(ev.time)
            return WireStep("data", ev, ev.size, elapsed)
        if ev.event == "reply":
            asked = self._unanswered.popleft() if self._unanswered else None  # None: greeting
            self._last_reply_time = ev.time
            server_time = None if asked is None else max(0.0, ev.time - asked)
            return WireStep("reply", ev, reply_octets(ev), elapsed,
                            server_time=server_time)
        if ev.event == "tls":
            return WireStep("tls", ev, 0, elapsed)
        return None

    def _advance(self, ev: ServerEvent) -> None:
        if ev.event == "reply":
            self.state = ev.state
            self.broken_rule = reply_text(ev) if _is_bad_sequence(ev) else None
        elif ev.event == "tls":
            self.encrypted = True
        elif ev.event == "disconnect":
            self.state = STATE_DONE


def _is_bad_sequence(ev: ServerEvent) -> bool:
    return ev.protocol == PROTOCOL_SMTP and ev.code == BAD_SEQUENCE


def step_label(step: WireStep, labels: Labels, width: int) -> str:
    """The text on a sequence arrow, at most ``width`` characters: the line itself, a reply's
    first line and how many more it has, or what the step is."""
    ev = step.event
    if step.kind == "command":
        return shorten(ev.line, width)
    if step.kind == "reply":
        first, *more = ev.wire_lines("…")
        suffix = labels["sequence_more_lines"].format(count=len(more)) if more else ""
        return shorten(first.replace("-", " ", 1) if first[:3].isdigit() else first,
                       width - len(suffix)) + suffix
    if step.kind == "data":
        return shorten(labels["sequence_data"], width)
    return shorten(labels["sequence_tls"].format(version=ev.version), width)


# --------------------------------------------------------------------------------------------
# Explanations


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the explanation panel shows under the line it explains."""

    paragraphs: tuple[str, ...]
    notes: tuple[str, ...] = ()  # timing and encryption, in a quieter colour


# The table entry behind each kind of remark the server makes, where explain.py has one.
_REMARK_BACKGROUND: dict[RemarkKind, explain.CommandInfo] = {
    RemarkKind.AUTH_DECODED: explain.COMMANDS["AUTH"],
    RemarkKind.AUTH_DECODED_IN_TLS: explain.COMMANDS["AUTH"],
    RemarkKind.AUTH_INTEGRATED: explain.COMMANDS["AUTH"],
    RemarkKind.DOT_STUFFING: explain.COMMANDS["DATA"],
    RemarkKind.TLS_FAILED: explain.COMMANDS["STARTTLS"],
    RemarkKind.TLS_INJECTION: explain.COMMANDS["STARTTLS"],
    RemarkKind.PIPELINED: explain.EHLO_KEYWORDS["PIPELINING"],
    RemarkKind.PIPELINED_UNADVERTISED: explain.EHLO_KEYWORDS["PIPELINING"],
    RemarkKind.SIZE_EXACT: explain.EHLO_KEYWORDS["SIZE"],
    RemarkKind.SIZE_ESTIMATED: explain.EHLO_KEYWORDS["SIZE"],
    RemarkKind.EIGHT_BIT_UNDECLARED: explain.EHLO_KEYWORDS["8BITMIME"],
    RemarkKind.HELO_NAME: explain.COMMANDS["EHLO"],
    RemarkKind.SPACE_AFTER_COLON: explain.COMMANDS["MAIL"],
    RemarkKind.NO_BRACKETS: explain.COMMANDS["MAIL"],
    RemarkKind.POP3_PASSWORD: explain_pop3.COMMANDS["PASS"],
    RemarkKind.POP3_AUTH_PLAIN: explain_pop3.COMMANDS["AUTH"],
    RemarkKind.POP3_SPA: explain_pop3.COMMANDS["AUTH"],
    RemarkKind.POP3_APOP: explain_pop3.COMMANDS["APOP"],
    RemarkKind.POP3_AFTER_STLS: explain_pop3.COMMANDS["STLS"],
    RemarkKind.UIDL_FIRST: explain_pop3.COMMANDS["UIDL"],
    RemarkKind.MAIL_LEFT: explain_pop3.CAPABILITIES["UIDL"],
    RemarkKind.MAIL_DELETED: explain_pop3.COMMANDS["DELE"],
    RemarkKind.AUTOLOGOUT: explain_pop3.COMMANDS["QUIT"],
}
# The remarks that show a password (masked), and the words that reveal it on request.
_SECRET_KINDS = {RemarkKind.AUTH_DECODED: "password_revealed",
                 RemarkKind.AUTH_DECODED_IN_TLS: "password_revealed",
                 RemarkKind.POP3_AUTH_PLAIN: "password_revealed",
                 RemarkKind.POP3_PASSWORD: "password_revealed_clear"}


def can_reveal_secret(entry: DialogueEntry) -> bool:
    """An AUTH remark whose password the window masks until asked."""
    ev = entry.event
    return ev.event == "remark" and ev.kind in _SECRET_KINDS and bool(ev.secret)


def explain_entry(entry: DialogueEntry, labels: Labels, lang: str, *,
                  reveal_secret: bool = False) -> Explanation:
    """What a dialogue line means, in the window's language; the password of an AUTH remark
    only when ``reveal_secret``."""
    return Explanation(tuple(_paragraphs(entry, labels, lang, reveal_secret)),
                       tuple(_notes(entry, labels)))


def _paragraphs(entry: DialogueEntry, labels: Labels, lang: str, reveal_secret: bool
                ) -> list[str]:
    ev = entry.event
    if ev.event == "command":
        return [explain_pop3.explain_command_event(ev, lang)]
    if ev.event == "reply":
        return explain_pop3.explain_reply_event(ev, lang).split("\n")
    if ev.event == "remark":
        background = _REMARK_BACKGROUND.get(ev.kind)
        paragraphs = [explain.describe(background, lang)] if background else []
        if reveal_secret and can_reveal_secret(entry):
            paragraphs.append(labels[_SECRET_KINDS[ev.kind]].format(secret=ev.secret))
        return paragraphs
    if ev.event == "data":
        key = "explain_data" if ev.complete else "explain_data_incomplete"
        return [labels[key].format(octets=f"{ev.size:,}"), explain.explain_command("DATA", lang)]
    if ev.event == "tls":
        return [explain.explain_command("STARTTLS", lang)]
    key = {"listening": "explain_listening", "connect": "explain_connect",
           "disconnect": "explain_disconnect", "message": "explain_message"}.get(ev.event)
    if key in ("explain_connect", "explain_disconnect") and ev.protocol == PROTOCOL_POP3:
        key += "_pop3"
    return [labels[key]] if key else []


def _notes(entry: DialogueEntry, labels: Labels) -> list[str]:
    notes = []
    if entry.elapsed is not None:
        notes.append(labels["note_elapsed"].format(elapsed=format_elapsed(entry.elapsed),
                                                   session=entry.session))
    notes += _timing_notes(entry.step, labels)
    if entry.encrypted:
        notes.append(labels["note_encrypted"])
    return notes


def _timing_notes(step: WireStep | None, labels: Labels) -> list[str]:
    if step is None:
        return []
    if step.server_time is not None:
        return [labels["note_server_time"].format(duration=format_duration(step.server_time))]
    if step.round_trip is not None:
        return [labels["note_round_trip"].format(duration=format_duration(step.round_trip))]
    return [labels["note_pipelined"]] if step.pipelined else []


def sequence_timing(step: WireStep, labels: Labels) -> str | None:
    """What the sequence view writes beside an arrow: the server's time or the round trip."""
    if step.server_time is not None:
        return labels["sequence_server_time"].format(duration=format_duration(step.server_time))
    if step.round_trip is not None:
        return labels["sequence_round_trip"].format(duration=format_duration(step.round_trip))
    return None


def explain_scenario(name: str, active: bool, labels: Labels, lang: str) -> Explanation:
    info = explain.SCENARIOS[name]
    return Explanation((info.what(lang), labels["scenario_expect"] + info.expect(lang)),
                       (labels["scenario_on" if active else "scenario_off"],))


# --------------------------------------------------------------------------------------------
# Encoding X-ray

XRAY_COLUMNS = ("type", "charset", "encoding", "disposition", "name", "sizes")
HEADERS_ROW = "headers"


@dataclass(frozen=True, slots=True)
class XrayRow:
    """One row of the X-ray's tree: a MIME part, or a header with encoded words."""

    iid: str  # "part:1.2", "header:3" (index in DecodedMessage.headers) or HEADERS_ROW
    parent: str  # "" for a top-level row
    text: str
    values: tuple[str, ...]  # one per XRAY_COLUMNS


def part_iid(path: str) -> str:
    return f"part:{path}"


def header_iid(index: int) -> str:
    return f"header:{index}"


def _same_codec(label: str, used: str) -> bool:
    try:
        return codecs.lookup(label).name == codecs.lookup(used).name
    except LookupError:
        return label.lower() == used.lower()


def charset_cell(label: str | None, used: str | None) -> str:
    """The label, and the codec really used when it is another: "gb2312 → gb18030"."""
    if label and used and not _same_codec(label, used):
        return f"{label} → {used}"
    return label or used or ""


def sizes_cell(encoded: int, decoded: int) -> str:
    return f"{encoded:,} → {decoded:,} B"


def part_rows(parts: Sequence[Any]) -> list[XrayRow]:
    """The MIME tree, parents before children (decoder.DecodedMessage.parts is in that order)."""
    rows = []
    for part in parts:
        parent = part_iid(part.path.rpartition(".")[0]) if "." in part.path else ""
        rows.append(XrayRow(part_iid(part.path), parent, part.path, (
            part.content_type, charset_cell(part.charset, part.charset_used),
            part.transfer_encoding, part.disposition or "", name_cell(part),
            sizes_cell(part.encoded_size, part.decoded_size))))
    return rows


def name_cell(part: Any) -> str:
    """A part's file name and, for an attached mail, its own Subject and From."""
    return " · ".join(value for value in (part.filename, part.subject, part.from_) if value)


def _shown_words(value: str) -> list[Any]:
    """The header's words for the X-ray; whitespace between encoded words is not shown, as
    RFC 2047 6.2 says readers ignore it."""
    return [word for word in decoder.header_words(value)
            if word.encoding is not None or word.text.strip()]


def header_rows(headers: Sequence[Any], labels: Labels) -> list[XrayRow]:
    """A row under HEADERS_ROW for each header that holds RFC 2047 encoded words."""
    rows = []
    for index, header in enumerate(headers):
        if "=?" not in header.raw:
            continue
        words = [word for word in _shown_words(header.raw) if word.encoding is not None]
        if not words:
            continue
        charsets = dict.fromkeys(charset_cell(word.charset, word.charset_used) for word in words)
        encodings = dict.fromkeys(word.encoding for word in words)
        rows.append(XrayRow(header_iid(index), HEADERS_ROW, header.name, (
            "RFC 2047", ", ".join(charsets), ", ".join(encodings), "", header.value,
            sizes_cell(len(header.raw.encode()), sum(len(word.octets) for word in words)))))
    if rows:
        rows.insert(0, XrayRow(HEADERS_ROW, "", labels["xray_headers"],
                               ("",) * len(XRAY_COLUMNS)))
    return rows


@dataclass(frozen=True, slots=True)
class XrayPane:
    title: str
    text: str
    note: str | None = None  # what was left out, or why the pane is empty


@dataclass(frozen=True, slots=True)
class XrayPanes:
    """The three panes side by side, and a sentence about the charset under them."""

    encoded: XrayPane
    octets: XrayPane
    text: XrayPane
    summary: str = ""


def _more_note(hidden: int, labels: Labels) -> str | None:
    return labels["xray_more"].format(count=f"{hidden:,}") if hidden > 0 else None


def _encoded_pane(title: str, encoded: bytes, labels: Labels) -> XrayPane:
    """Encoded text as it came; bytes that are not UTF-8 (an 8bit part) appear as \\xNN."""
    shown = encoded[:XRAY_PANE_LIMIT]
    return XrayPane(title, shown.decode("utf-8", "backslashreplace"),
                    _more_note(len(encoded) - len(shown), labels))


def _hex_rows(data: bytes) -> str:
    """decoder.hex_octets of the first XRAY_HEX_LIMIT bytes, in rows of HEX_ROW bytes."""
    octets = decoder.hex_octets(data, XRAY_HEX_LIMIT).split(" ")
    return "\n".join(" ".join(octets[i:i + HEX_ROW]) for i in range(0, len(octets), HEX_ROW))


def _hex_pane(title: str, data: bytes, labels: Labels) -> XrayPane:
    note = None
    if len(data) > XRAY_HEX_LIMIT:
        note = labels["xray_hex_limit"].format(shown=f"{XRAY_HEX_LIMIT:,}", size=f"{len(data):,}")
    return XrayPane(title, _hex_rows(data), note)


def _text_pane(title: str, text: str, labels: Labels) -> XrayPane:
    shown = text[:XRAY_PANE_LIMIT]
    return XrayPane(title, shown, _more_note(len(text) - len(shown), labels))


def _sent_title(part: Any, labels: Labels) -> str:
    return labels["xray_sent"].format(encoding=part.transfer_encoding,
                                      start=f"{part.body_start:,}", end=f"{part.body_end:,}")


def _is_container(part: Any) -> bool:
    return part.content_type.startswith(("multipart/", "message/"))


def part_panes(part: Any, xray: Any, labels: Labels) -> XrayPanes:
    """A node of the MIME tree from ``decoder.part_xray``: as sent, its bytes in hex, and its
    text; a multipart or message/* node only as sent (its parts have rows of their own)."""
    encoded = _encoded_pane(_sent_title(part, labels), xray.encoded, labels)
    if _is_container(part):
        empty = XrayPane("", "")
        return XrayPanes(encoded, empty, empty,
                         labels["xray_container"].format(type=part.content_type))
    octets = _hex_pane(labels["xray_octets"].format(count=f"{len(xray.decoded):,}"),
                       xray.decoded, labels)
    if xray.text is None:
        text = XrayPane(labels["xray_no_text"], "", labels["xray_not_text"])
        summary = labels["xray_binary"].format(type=part.content_type)
    else:
        text = _text_pane(labels["xray_text"].format(charset=xray.charset_used), xray.text,
                          labels)
        key = "xray_substitution" if xray.substitution else "xray_charset"
        substitution = note_text(xray.substitution, labels.lang) if xray.substitution else None
        summary = labels[key].format(label=part.charset or "us-ascii", used=xray.charset_used,
                                     substitution=substitution)
    return XrayPanes(encoded, octets, text, summary)


def header_panes(header: Any, labels: Labels) -> XrayPanes:
    """A header's words, one a line in each pane, so that each word's row lines up:
    ``=?gb2312?B?xPq6ww==?=`` | ``c4 fa ba c3`` | ``您好``."""
    words = _shown_words(header.raw)
    substitutions = labels["xray_separator"].join(dict.fromkeys(note_text(word.substitution, labels.lang)
                                            for word in words if word.substitution))
    return XrayPanes(
        XrayPane(labels["xray_header_sent"].format(name=header.name),
                 "\n".join(word.encoded for word in words)),
        XrayPane(labels["xray_header_octets"],
                 "\n".join(decoder.hex_octets(word.octets, XRAY_HEX_LIMIT) for word in words)),
        XrayPane(labels["xray_header_text"], "\n".join(word.text for word in words)),
        labels["xray_substitution"].format(substitution=substitutions) if substitutions else "")
