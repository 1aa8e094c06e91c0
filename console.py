"""Typing SMTP (or POP3) by hand, the lab's classic telnet exercise, without telnet.

The Telnet client is off by default on Windows 10/11 and enabling it needs administrator
rights; this module is what a student uses instead. One role: a client that sends the lines a
person types and reads each reply, remarking on the common mistakes on the spot. No Tk: the
window's "Type SMTP" tab (gui_console.py) and ``smtp_observer.py --console`` both use it.

Three layers:

* ``ConsoleSession``: the line discipline, no socket. It knows whether the next line is a
  command, an AUTH credential or a line of the message (after a 354, until a single "."), what
  reply to wait for, and which mistakes a line shows (a space after the colon, no angle
  brackets, a command out of order).
* ``Connection``: the socket: connect, send a line, read one SMTP reply or POP3 response,
  switch to TLS after STARTTLS/STLS.
* ``run_terminal``: the terminal console over stdin (typed or piped) and stdout.

Everything a person reads is a ``Text(en, zh)`` pair in ``WORDS`` (a test checks both).
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import explain
import explain_pop3
from events import POP3_CONTINUE, POP3_ERR, POP3_OK, PROTOCOL_POP3, PROTOCOL_SMTP
from explain import Text

CONNECT_TIMEOUT = 10.0
REPLY_TIMEOUT = 30.0  # the 'slow' scenario waits a few seconds; a stuck server must not hang us
MAX_REPLY_LINES = 10_000  # a POP3 RETR of a large message is long; bounded all the same
MAX_LINE = 64 * 1024
HELPER_PREFIX = "!"  # "!b64 alice" is for the console; "!!x" sends "!x"
SAMPLE_FROM = "alice@127.0.0.1"
SAMPLE_TO = "bob@127.0.0.1"

# POP3 commands whose +OK is followed by lines and a "." (RFC 1939 5, RFC 2449 5).
_POP3_MULTILINE_ALWAYS = {"RETR", "TOP", "CAPA"}
_POP3_MULTILINE_WITHOUT_ARGUMENT = {"LIST", "UIDL"}


# --------------------------------------------------------------------------------------------
# Words

WORDS: dict[str, Text] = {
    "connected": Text("Connected to {host}:{port} ({protocol}). Type a command and press Enter; "
                      "{prefix}help lists the helpers.",
                      "已连接到 {host}:{port}（{protocol}）。输入一条命令后按回车发送；"
                      "输入 {prefix}help 查看辅助命令。"),
    "cannot_connect": Text("Cannot connect to {host}:{port}: {error}. Is the observer running, "
                           "and is this its port?",
                           "无法连接到 {host}:{port}：{error}。观察器是否已启动？端口是否正确？"),
    "closed": Text("The server closed the connection.", "服务器已关闭连接。"),
    "timeout": Text("No reply within {seconds:g} seconds; the connection is closed.",
                    "{seconds:g} 秒内没有收到应答，连接已关闭。"),
    "not_connected": Text("Not connected.", "未连接。"),
    "bad_target": Text("Give the server as PORT or HOST:PORT, e.g. 2525 or 127.0.0.1:2525.",
                       "请以“端口”或“主机:端口”的形式给出服务器，例如 2525 或 127.0.0.1:2525。"),
    "data_mode": Text("Now type the message: header lines, an empty line, the body; a line with "
                      "a single \".\" ends it ({prefix}sample inserts a sample message).",
                      "现在输入邮件内容：首部各行、一个空行、主体；单独一行“.”表示结束"
                      "（输入 {prefix}sample 可插入示例邮件）。"),
    "tls_started": Text("TLS started ({version}); the lines below are encrypted on the wire. "
                        "Send EHLO again: the server has forgotten the first one (RFC 3207 4.2).",
                        "TLS 已建立（{version}）；以下各行在线路上是加密的。请重新发送 EHLO："
                        "服务器已忘记 TLS 之前的会话状态（RFC 3207 §4.2）。"),
    "tls_failed": Text("The TLS handshake failed: {error}.", "TLS 握手失败：{error}。"),
    "help": Text(
        "Helpers (they are not sent):\n"
        "  {p}b64 TEXT         base64 of TEXT (a user name or a password for AUTH LOGIN)\n"
        "  {p}unb64 TEXT       decode base64, e.g. a 334 challenge\n"
        "  {p}plain USER PASS  the AUTH PLAIN command for USER and PASS\n"
        "  {p}sample           after DATA's 354: send a sample message with a gb2312 Subject\n"
        "  {p}end              end the mail: a line with a single \".\" (CRLF.CRLF)\n"
        "  {p}lf               send lines with a bare LF instead of CRLF (a mistake), again to undo\n"
        "  {p}{p}TEXT            sends {p}TEXT\n"
        "End of input (Ctrl+Z Enter on Windows, Ctrl+D elsewhere) closes the connection.",
        "辅助命令（不会发送给服务器）：\n"
        "  {p}b64 文本         文本的 base64 编码（AUTH LOGIN 的用户名或密码）\n"
        "  {p}unb64 文本       解码 base64，例如 334 应答中的提示\n"
        "  {p}plain 用户名 密码  生成 AUTH PLAIN 命令\n"
        "  {p}sample           在 DATA 的 354 应答之后：发送一封 gb2312 主题的示例邮件\n"
        "  {p}end              结束邮件：发送单独一行“.”（即 CRLF.CRLF）\n"
        "  {p}lf               改用单独的 LF 结束各行（演示错误），再输入一次恢复 CRLF\n"
        "  {p}{p}文本            发送 {p}文本\n"
        "输入结束（Windows 上按 Ctrl+Z 再回车，其他系统按 Ctrl+D）即关闭连接。"),
    "base64_of": Text("base64 of \"{text}\" (UTF-8): {encoded}",
                      "“{text}”（UTF-8）的 base64 编码：{encoded}"),
    "base64_decoded": Text("\"{encoded}\" decodes to: {text}", "“{encoded}” 解码为：{text}"),
    "not_base64": Text("\"{encoded}\" is not base64.", "“{encoded}” 不是 base64 编码。"),
    "auth_plain": Text("AUTH PLAIN for user \"{user}\": {command}  (base64 of NUL user NUL "
                       "password, RFC 4616)",
                       "用户“{user}”的 AUTH PLAIN 命令：{command}（即“NUL 用户名 NUL 密码”的 "
                       "base64 编码，RFC 4616）"),
    "helper_usage": Text("Usage: {usage}", "用法：{usage}"),
    "unknown_helper": Text("Unknown helper {name}; {prefix}help lists them.",
                           "没有辅助命令 {name}；输入 {prefix}help 查看。"),
    "sample_outside_data": Text("{prefix}sample is for the message itself: send DATA first and "
                                "wait for the 354.",
                                "{prefix}sample 用于输入邮件内容：请先发送 DATA 并等到 354 应答。"),
    "lf_on": Text("Lines now end with a bare LF, as a careless program (or nc on Linux) sends "
                  "them; watch the server's remark. {prefix}lf again to go back to CRLF.",
                  "各行现在以单独的 LF 结束，就像写得不规范的程序（或 Linux 上的 nc）那样；请留意"
                  "服务器的提示。再输入 {prefix}lf 恢复 CRLF。"),
    "lf_off": Text("Lines end with CRLF again, as RFC 5321 2.3.8 requires.",
                   "各行重新以 CRLF 结束，符合 RFC 5321 §2.3.8 的要求。"),
    # mistakes remarked on the spot
    "space_after_colon": Text(
        "Mistake: a space after \"{command}:\". RFC 5321 4.1.2 allows no space on either side "
        "of the colon: {command}:<{address}>. This server accepts it (Outlook and Foxmail send "
        "it); a strict server answers 501.",
        "错误：“{command}:”后面有空格。RFC 5321 §4.1.2 规定冒号两侧都不允许有空格，应写成 "
        "{command}:<{address}>。本服务器予以接受（Outlook 和 Foxmail 也这样发送），严格的服务器"
        "会以 501 应答。"),
    "no_brackets": Text(
        "Mistake: the address has no angle brackets. RFC 5321 4.1.2 wants {command}:<{address}>.",
        "错误：地址没有使用尖括号。RFC 5321 §4.1.2 要求写成 {command}:<{address}>。"),
    "bare_lf": Text(
        "Mistake (on purpose): this line ends with a bare LF, not CRLF (RFC 5321 2.3.8).",
        "错误（有意演示）：这一行以单独的 LF 结束，而不是 CRLF（RFC 5321 §2.3.8）。"),
    "non_ascii_command": Text(
        "This command has characters outside ASCII; SMTP commands are ASCII (RFC 5321 2.4) "
        "unless SMTPUTF8 was negotiated.",
        "此命令含有非 ASCII 字符；除非协商了 SMTPUTF8，SMTP 命令只能使用 ASCII（RFC 5321 §2.4）。"),
    "non_ascii_data": Text(
        "This line has non-ASCII characters, sent as UTF-8 bytes: declare BODY=8BITMIME in MAIL "
        "FROM, or encode the text (base64 or quoted-printable; in a header, an encoded word "
        "=?charset?B?...?=).",
        "此行含有非 ASCII 字符，将以 UTF-8 字节发送：应在 MAIL FROM 中声明 BODY=8BITMIME，或对"
        "文本进行编码（base64 或 quoted-printable；首部中使用编码字 =?字符集?B?...?=）。"),
    "dot_line": Text(
        "This line begins with \".\": the server removes the first dot (dot-stuffing, RFC 5321 "
        "4.5.2). To keep it, type two dots, as a mail client does.",
        "此行以“.”开头：服务器会删去第一个点（透明处理，RFC 5321 §4.5.2）。要保留它，请像邮件"
        "客户端那样输入两个点。"),
    "out_of_order": Text(
        "503: a command out of order. {command} needs {needs} first; the order is EHLO (or "
        "HELO), MAIL FROM, RCPT TO, DATA.",
        "503：命令顺序错误。{command} 之前需要先有 {needs}；正确的顺序是 EHLO（或 HELO）、"
        "MAIL FROM、RCPT TO、DATA。"),
    "mail_sent": Text("The message was accepted ({code}); send MAIL FROM for another one, or "
                      "QUIT.",
                      "邮件已被接受（{code}）；可以再用 MAIL FROM 发送下一封，或发送 QUIT。"),
    "credential": Text("(an AUTH credential: base64, not a command)",
                       "（这是 AUTH 的凭据：base64 编码，不是命令）"),
}

_NEEDS: dict[str, Text] = {
    "MAIL": Text("EHLO (or HELO)", "EHLO（或 HELO）"),
    "RCPT": Text("an accepted MAIL FROM", "被接受的 MAIL FROM"),
    "DATA": Text("an accepted RCPT TO", "被接受的 RCPT TO"),
    "AUTH": Text("EHLO, and no mail transaction under way", "EHLO，且不在邮件事务之中"),
    "STARTTLS": Text("EHLO, and TLS not yet started", "EHLO，且尚未启用 TLS"),
}
_NEEDS_DEFAULT = Text("the commands before it", "它前面的命令")


@dataclass(frozen=True, slots=True)
class Note:
    """Something the console tells the person: a key of WORDS and the values it names."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        values = {name: value(lang) if isinstance(value, Text) else value
                  for name, value in self.values.items()}
        return WORDS[self.key](lang).format(prefix=HELPER_PREFIX, **values)


# --------------------------------------------------------------------------------------------
# Helpers (also the window's buttons)


def base64_of(text: str) -> str:
    """What a student types for AUTH LOGIN: the base64 of the UTF-8 bytes of `text`."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def auth_plain_command(user: str, password: str) -> str:
    """AUTH PLAIN with its initial response: base64 of authzid NUL user NUL password (RFC 4616),
    the authzid left empty as every mail client does."""
    return "AUTH PLAIN " + base64_of(f"\0{user}\0{password}")


def sample_message(mail_from: str = SAMPLE_FROM, rcpt_to: str = SAMPLE_TO) -> list[str]:
    """A short message as a classic Chinese Outlook sends it: the Subject 您好 as a gb2312
    encoded word, the text in gb2312 and base64. The final "." is not included."""
    body = base64.encodebytes("您好！\r\n这是一封手工输入的邮件。\r\n".encode("gb2312"))
    return [f"From: <{mail_from}>", f"To: <{rcpt_to}>",
            "Subject: =?gb2312?B?xPq6ww==?=",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=\"gb2312\"",
            "Content-Transfer-Encoding: base64",
            "", *body.decode("ascii").splitlines()]


END_OF_MAIL = "."  # the line that ends the mail: on the wire CRLF.CRLF


def parse_target(text: str, default_host: str = "127.0.0.1") -> tuple[str, int] | None:
    """(host, port) from "2525", "127.0.0.1:2525", "[::1]:2525" or "localhost:25"; None if bad."""
    text = text.strip()
    match = re.fullmatch(r"(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})|(\d{1,5})", text)
    if match is None:
        return None
    host = match.group(1) or match.group(2) or default_host
    port = int(match.group(3) or match.group(4))
    return (host, port) if 0 < port < 65536 else None


# --------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply (`code`) or POP3 response (`status`), its lines as they came."""

    protocol: str
    wire: tuple[str, ...]  # the lines as received, without CRLF
    code: int | None = None  # SMTP
    status: str | None = None  # POP3: +OK, -ERR or "+" (a SASL challenge)

    @property
    def texts(self) -> tuple[str, ...]:
        """The text of each SMTP reply line without its code; POP3: the status line's text
        and the lines of a multi-line response (without the final ".")."""
        if self.protocol == PROTOCOL_SMTP:
            return tuple(line[4:] for line in self.wire)
        first = self.wire[0][len(self.status or ""):].lstrip(" ")
        rest = [line[1:] if line.startswith("..") else line for line in self.wire[1:-1]]
        return (first, *rest)

    def explain(self, lang: str) -> str:
        """The same explanation the window's dialogue gives for this reply."""
        if self.protocol == PROTOCOL_SMTP:
            return explain.explain_reply(self.code or 0, list(self.texts), lang)
        texts = self.texts
        return explain_pop3.explain_response(self.status or POP3_ERR, tuple(texts[1:]), lang,
                                             multiline=len(self.wire) > 1)


class ReplyError(Exception):
    """The server closed the connection or went silent; `note` says which, for a person."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.key)
        self.note = note


def smtp_reply_done(line: str) -> bool:
    """True for the last line of an SMTP reply ("250 OK" after "250-..." lines)."""
    return len(line) < 4 or line[3] != "-"


def smtp_code(line: str) -> int:
    return int(line[:3]) if line[:3].isdigit() else 0


def pop3_status(line: str) -> str:
    for status in (POP3_OK, POP3_ERR):
        if line == status or line.startswith(status + " "):
            return status
    return POP3_CONTINUE if line.startswith("+") else POP3_ERR


# --------------------------------------------------------------------------------------------
# The line discipline


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one typed line becomes: the bytes to send, whether a reply follows, the remarks."""

    wire: bytes
    expects_reply: bool
    notes: tuple[Note, ...] = ()
    multiline_reply: bool = False  # POP3: a +OK will be followed by lines and a "."


_ADDRESS_COMMAND = re.compile(r"(?i)^(MAIL FROM|RCPT TO):(\s*)(.*)$")


class ConsoleSession:
    """Where a hand-typed session is, without a socket: feed it each typed line (``outgoing``)
    and each reply (``received``); it says what to send and what to remark."""

    def __init__(self, protocol: str = PROTOCOL_SMTP) -> None:
        self.protocol = protocol
        self.in_data = False  # after a 354: lines are the message, until a single "."
        self.answering_challenge = False  # after a 334 (or POP3 "+"): the line is a credential
        self.bare_lf = False
        self.greeted = False
        self.mail_from: str | None = None
        self.rcpt_to: list[str] = []
        self._last_command = ""
        self._last_argument = ""

    # -- typed lines

    def outgoing(self, line: str) -> Outgoing:
        """The wire form of a typed line (no CR or LF in it) and the mistakes it shows."""
        notes: list[Note] = []
        if self.bare_lf:
            notes.append(Note("bare_lf"))
        wire = line.encode("utf-8") + (b"\n" if self.bare_lf else b"\r\n")
        if self.in_data:
            return Outgoing(wire, expects_reply=line == END_OF_MAIL,
                            notes=tuple(notes + self._data_notes(line)))
        if self.answering_challenge:
            self._last_command = ""
            return Outgoing(wire, expects_reply=True, notes=tuple(notes))
        verb, _, argument = line.strip().partition(" ")
        self._last_command, self._last_argument = verb.upper(), argument
        notes += self._command_notes(line)
        return Outgoing(wire, expects_reply=True, notes=tuple(notes),
                        multiline_reply=self._pop3_multiline(verb.upper(), argument))

    def _pop3_multiline(self, verb: str, argument: str) -> bool:
        if self.protocol != PROTOCOL_POP3:
            return False
        return verb in _POP3_MULTILINE_ALWAYS or (
            verb in _POP3_MULTILINE_WITHOUT_ARGUMENT and not argument.strip())

    def _command_notes(self, line: str) -> list[Note]:
        notes = []
        if not line.isascii():
            notes.append(Note("non_ascii_command"))
        match = _ADDRESS_COMMAND.match(line.strip()) if self.protocol == PROTOCOL_SMTP else None
        if match is None:
            return notes
        command = match.group(1).upper()
        address, _, _ = match.group(3).partition(" ")
        bare = address.strip("<>")
        if match.group(2):
            notes.append(Note("space_after_colon", {"command": command, "address": bare}))
        if address and not (address.startswith("<") and address.endswith(">")):
            notes.append(Note("no_brackets", {"command": command, "address": bare}))
        return notes

    def _data_notes(self, line: str) -> list[Note]:
        notes = []
        if not line.isascii():
            notes.append(Note("non_ascii_data"))
        if line.startswith(".") and line != END_OF_MAIL:
            notes.append(Note("dot_line"))
        return notes

    # -- replies

    def received(self, reply: Reply) -> list[Note]:
        """Follow the state from a reply to the last line sent; remarks for the person."""
        if self.protocol == PROTOCOL_POP3:
            self.answering_challenge = reply.status == POP3_CONTINUE
            return []
        code = reply.code or 0
        command = self._last_command
        self.answering_challenge = code == 334
        if self.in_data:
            self.in_data = False
            self.mail_from, self.rcpt_to = None, []
            return [Note("mail_sent", {"code": code})] if code == 250 else []
        if code == 354:
            self.in_data = True
            return [Note("data_mode")]
        if code == 503:
            return [Note("out_of_order", {"command": command or "?",
                                          "needs": _NEEDS.get(command, _NEEDS_DEFAULT)})]
        if code // 100 == 2:
            self._follow(command)
        return []

    def _follow(self, command: str) -> None:
        if command in ("EHLO", "HELO"):
            self.greeted, self.mail_from, self.rcpt_to = True, None, []
        elif command == "MAIL":
            self.mail_from = _address_of(self._last_argument)
        elif command == "RCPT":
            self.rcpt_to.append(_address_of(self._last_argument))
        elif command == "RSET":
            self.mail_from, self.rcpt_to = None, []

    def starts_tls(self, reply: Reply) -> bool:
        """True when the reply agrees to STARTTLS (SMTP 220) or STLS (POP3 +OK)."""
        if self.protocol == PROTOCOL_POP3:
            return self._last_command == "STLS" and reply.status == POP3_OK
        return self._last_command == "STARTTLS" and reply.code == 220

    def tls_started(self) -> None:
        self.greeted, self.mail_from, self.rcpt_to = False, None, []

    def sample(self) -> list[str]:
        return sample_message(self.mail_from or SAMPLE_FROM,
                              self.rcpt_to[0] if self.rcpt_to else SAMPLE_TO)


def _address_of(argument: str) -> str:
    """The address in "FROM:<a@b> SIZE=1" or "TO: a@b"."""
    _, _, rest = argument.partition(":")
    return rest.strip().split(" ", 1)[0].strip("<>") if rest.strip() else ""


# --------------------------------------------------------------------------------------------
# The socket


class Connection:
    """A client connection to an SMTP or POP3 server; the protocol is told by the greeting."""

    def __init__(self, host: str, port: int, *, timeout: float = REPLY_TIMEOUT) -> None:
        self.host, self.port = host, port
        self._timeout = timeout
        self._sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        self._sock.settimeout(timeout)
        self._file = self._sock.makefile("rb")
        self.protocol = PROTOCOL_SMTP
        self.tls_version: str | None = None

    def read_greeting(self) -> Reply:
        """The server's first line tells SMTP (220, 421, 554) from POP3 (+OK, -ERR)."""
        first = self._read_line()
        if first.startswith(("+", "-")):
            self.protocol = PROTOCOL_POP3
            return Reply(PROTOCOL_POP3, (first,), status=pop3_status(first))
        return self._smtp_reply(first)

    def send(self, wire: bytes) -> None:
        try:
            self._sock.sendall(wire)
        except (OSError, ValueError):  # ValueError: closed meanwhile by Disconnect
            raise ReplyError(Note("closed")) from None

    def read_reply(self, *, multiline: bool = False) -> Reply:
        first = self._read_line()
        if self.protocol == PROTOCOL_SMTP:
            return self._smtp_reply(first)
        status = pop3_status(first)
        lines = [first]
        if multiline and status == POP3_OK:
            while len(lines) < MAX_REPLY_LINES:
                lines.append(self._read_line())
                if lines[-1] == ".":
                    break
        return Reply(PROTOCOL_POP3, tuple(lines), status=status)

    def _smtp_reply(self, first: str) -> Reply:
        lines = [first]
        while not smtp_reply_done(lines[-1]) and len(lines) < MAX_REPLY_LINES:
            lines.append(self._read_line())
        return Reply(PROTOCOL_SMTP, tuple(lines), code=smtp_code(first))

    def _read_line(self) -> str:
        try:
            raw = self._file.readline(MAX_LINE)
        except socket.timeout:
            raise ReplyError(Note("timeout", {"seconds": self._timeout})) from None
        except (OSError, ValueError):  # ValueError: closed meanwhile by Disconnect
            raise ReplyError(Note("closed")) from None
        if not raw:
            raise ReplyError(Note("closed"))
        return raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")

    def start_tls(self) -> str:
        """Wrap the socket in TLS; a lab's self-signed certificate is accepted, since the point
        is to see what TLS hides, not to check who the server is."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self._file.close()
        self._sock = context.wrap_socket(self._sock, server_hostname=self.host)
        self._file = self._sock.makefile("rb")
        self.tls_version = self._sock.version() or "TLS"
        return self.tls_version

    def close(self) -> None:
        for closer in (self._file.close, self._sock.close):
            try:
                closer()
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# Helper commands ("!b64 alice")


@dataclass(frozen=True, slots=True)
class HelperResult:
    """What a helper line does: notes to show, and lines to send as if typed (for !sample, !end)."""

    notes: tuple[Note, ...] = ()
    send: tuple[str, ...] = ()


def run_helper(line: str, session: ConsoleSession) -> HelperResult:
    """A line starting with HELPER_PREFIX (and not with two of them)."""
    name, _, argument = line[len(HELPER_PREFIX):].partition(" ")
    name = name.lower()
    if name == "help":
        return HelperResult((Note("help", {"p": HELPER_PREFIX}),))
    if name == "b64":
        return HelperResult((Note("base64_of", {"text": argument,
                                                "encoded": base64_of(argument)}),))
    if name == "unb64":
        return HelperResult((_unbase64_note(argument.strip()),))
    if name == "plain":
        user, _, password = argument.partition(" ")
        if not user:
            return HelperResult((Note("helper_usage",
                                      {"usage": f"{HELPER_PREFIX}plain USER PASSWORD"}),))
        return HelperResult((Note("auth_plain", {"user": user,
                                                 "command": auth_plain_command(user, password)}),))
    if name == "sample":
        if not session.in_data:
            return HelperResult((Note("sample_outside_data"),))
        return HelperResult(send=tuple(session.sample()))
    if name == "end":
        return HelperResult(send=(END_OF_MAIL,))
    if name == "lf":
        session.bare_lf = not session.bare_lf
        return HelperResult((Note("lf_on" if session.bare_lf else "lf_off"),))
    return HelperResult((Note("unknown_helper", {"name": HELPER_PREFIX + name}),))


def _unbase64_note(encoded: str) -> Note:
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except ValueError:
        return Note("not_base64", {"encoded": encoded})
    return Note("base64_decoded", {"encoded": encoded,
                                   "text": decoded.decode("utf-8", "backslashreplace")})


def is_helper(line: str) -> bool:
    return line.startswith(HELPER_PREFIX) and not line.startswith(HELPER_PREFIX * 2)


def unescape(line: str) -> str:
    """"!!x" is sent as "!x"."""
    return line[1:] if line.startswith(HELPER_PREFIX * 2) else line


# --------------------------------------------------------------------------------------------
# The terminal console


class TerminalConsole:
    """``--console``: typed or piped lines from `stdin`, replies and explanations to `stdout`."""

    def __init__(self, connection: Connection, lang: str, out: TextIO, *,
                 echo: bool) -> None:
        self._connection = connection
        self._lang = lang
        self._out = out
        self._echo = echo  # piped input is not shown by the terminal: print it as "C: ..."
        self.session = ConsoleSession()

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def _note(self, note: Note) -> None:
        for line in note.text(self._lang).splitlines():
            self._print("   ! " + line)

    def _reply(self, reply: Reply) -> None:
        for line in reply.wire:
            self._print("S: " + line)
        for line in reply.explain(self._lang).splitlines():
            self._print("   | " + line)
        for note in self.session.received(reply):
            self._note(note)

    def start(self) -> None:
        greeting = self._connection.read_greeting()
        self.session.protocol = self._connection.protocol
        protocol = "POP3" if self._connection.protocol == PROTOCOL_POP3 else "SMTP"
        self._note(Note("connected", {"host": self._connection.host,
                                      "port": self._connection.port, "protocol": protocol}))
        self._reply(greeting)

    def line(self, typed: str) -> None:
        """One typed line (without its line end)."""
        if is_helper(typed):
            result = run_helper(typed, self.session)
            for note in result.notes:
                self._note(note)
            for line in result.send:
                self._send(line)
            return
        self._send(unescape(typed))

    def _send(self, line: str) -> None:
        out = self.session.outgoing(line)
        if self._echo:
            self._print(("C: " if not self.session.in_data else "C> ") + line)
        for note in out.notes:
            self._note(note)
        self._connection.send(out.wire)
        if not out.expects_reply:
            return
        reply = self._connection.read_reply(multiline=out.multiline_reply)
        starts_tls = self.session.starts_tls(reply)
        self._reply(reply)
        if starts_tls:
            self._start_tls()

    def _start_tls(self) -> None:
        try:
            version = self._connection.start_tls()
        except (OSError, ssl.SSLError) as error:
            raise ReplyError(Note("tls_failed", {"error": error})) from None
        self.session.tls_started()
        self._note(Note("tls_started", {"version": version}))


def run_terminal(target: str, lang: str, stdin: TextIO | None = None,
                 stdout: TextIO | None = None) -> int:
    """`smtp_observer.py --console [HOST:]PORT`: 0 after a normal end, 1 when the connection
    could not be made or was lost, 2 for a bad target."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    found = parse_target(target)
    if found is None:
        print(Note("bad_target").text(lang), file=sys.stderr)
        return 2
    host, port = found
    try:
        connection = Connection(host, port)
    except OSError as error:
        print(Note("cannot_connect", {"host": host, "port": port,
                                      "error": error.strerror or error}).text(lang),
              file=sys.stderr)
        return 1
    console = TerminalConsole(connection, lang, stdout, echo=not _is_tty(stdin))
    try:
        console.start()
        for raw in _lines(stdin):
            console.line(raw)
    except ReplyError as error:
        print("   ! " + error.note.text(lang), file=stdout, flush=True)
        return 1
    finally:
        connection.close()
    return 0


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _lines(stream: TextIO) -> Iterable[str]:
    """Typed lines without their line ends (CRLF from a Windows file too)."""
    for raw in stream:
        yield raw.rstrip("\r\n")
