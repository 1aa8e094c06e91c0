"""The program's own words about what it saw, in both languages: the remarks of the server and
of the decoder, as Text(en, zh) templates keyed by their kind.

A remark is data (events.Note: a kind and the values it names); it becomes words only here,
in the reader's language. Names stay as they are in both languages: commands, EHLO keywords,
header field names, charsets, RFC numbers, addresses. Chinese follows the textbook terms
(应答, 首部, 主体, 内容传送编码, 身份验证) and full-width punctuation. A test checks that every
kind has both languages and that both name the same values.
"""

from __future__ import annotations

from collections.abc import Mapping

import explain_pop3
from events import Note, RemarkKind
from explain import Text

K = RemarkKind

REMARKS: dict[RemarkKind, Text] = {
    # -- the server, about the dialogue
    K.SCENARIO_IN_FORCE: Text(
        "Lab scenario in force: {names}",
        "实验场景生效：{names}"),
    K.SCENARIOS_NEXT: Text(
        "Lab scenarios for the next connection: {names}",
        "下一个连接的实验场景：{names}"),
    K.SCENARIOS_OFF: Text(
        "Lab scenarios switched off for the next connection.",
        "从下一个连接起关闭实验场景。"),
    K.SCENARIO_DROP_IN_DATA: Text(
        "The server hangs up after {octets} octets of DATA (lab scenario drop-in-data).",
        "服务器在收到 {octets} 字节的 DATA 后挂断（实验场景 drop-in-data）。"),
    K.PIPELINED: Text(
        "The client sent {count} commands in one go ({verbs}) before any reply: {saved} round "
        "trip(s) saved (RFC 2920 PIPELINING).",
        "客户端在收到任何应答之前一次发送了 {count} 条命令（{verbs}）：节省了 {saved} 次往返"
        "（RFC 2920 PIPELINING）。"),
    K.PIPELINED_UNADVERTISED: Text(
        "The client sent {count} commands in one go ({verbs}) before any reply: {saved} round "
        "trip(s) saved (RFC 2920 PIPELINING), although the server did not advertise it.",
        "客户端在收到任何应答之前一次发送了 {count} 条命令（{verbs}）：节省了 {saved} 次往返"
        "（RFC 2920 PIPELINING），尽管服务器并没有通告这一扩展。"),
    K.TLS_FAILED: Text(
        "The TLS handshake failed ({error}); closing the connection.",
        "TLS 握手失败（{error}），关闭连接。"),
    K.TLS_INJECTION: Text(
        "The client sent {octets} octets after STARTTLS before TLS began; they were discarded, "
        "as RFC 3207 4.2 requires (a man in the middle could have injected them).",
        "客户端在 STARTTLS 之后、TLS 开始之前又发送了 {octets} 字节；按 RFC 3207 §4.2 的要求已将其"
        "丢弃（这些字节可能是中间人注入的）。"),
    K.BARE_LF_COMMAND: Text(
        "The client ended a command with a bare LF; SMTP lines end with CRLF (accepted here, "
        "as most servers do).",
        "客户端用单独的 LF 结束了一条命令；SMTP 的行应以 CRLF 结束（本服务器与多数服务器一样予以接受）。"),
    K.AUTH_INTEGRATED: Text(
        "The client asked for {mechanism}: in Outlook, switch off 'Require logon using Secure "
        "Password Authentication (SPA)'.",
        "客户端请求 {mechanism} 身份验证：在 Outlook 中请取消勾选“要求使用安全密码验证(SPA)进行登录”。"),
    K.AUTH_DECODED: Text(
        "AUTH {mechanism} decoded: user '{user}', password '{masked}' ({length} characters). "
        "Base64 is an encoding, not encryption: anyone on the network path can read both.",
        "AUTH {mechanism} 解码结果：用户名“{user}”，密码“{masked}”（{length} 个字符）。"
        "base64 只是编码而不是加密：网络路径上的任何人都能读到这两项。"),
    K.AUTH_DECODED_IN_TLS: Text(
        "AUTH {mechanism} decoded: user '{user}', password '{masked}' ({length} characters). "
        "TLS protects them on the wire, but the server still reads both in clear.",
        "AUTH {mechanism} 解码结果：用户名“{user}”，密码“{masked}”（{length} 个字符）。"
        "TLS 保护了线路上的传输，但服务器仍能读到明文。"),
    K.NO_BRACKETS: Text(
        "{command} without angle brackets: accepted, but RFC 5321 wants {command}:<{address}>; "
        "mail clients always send the brackets.",
        "{command} 没有使用尖括号：本服务器接受，但 RFC 5321 要求写成 {command}:<{address}>；"
        "邮件客户端总会带上尖括号。"),
    K.SPACE_AFTER_COLON: Text(
        "{command}: is followed by a space; RFC 5321 4.1.2 allows no space on either side of "
        "the colon ({command}:<address>). Accepted here, as most servers do; Outlook and "
        "Foxmail send it.",
        "{command}: 后面有一个空格；RFC 5321 §4.1.2 规定冒号两侧都不允许有空格（{command}:<地址>）。"
        "本服务器与多数服务器一样予以接受；Outlook 和 Foxmail 都会这样发送。"),
    K.HELO_NAME: Text(
        "{verb} {name}: the name is neither a fully qualified domain name nor an address "
        "literal such as [192.0.2.1], which RFC 5321 4.1.1.1 asks for; clients send the "
        "computer's name. Accepted, as most servers do.",
        "{verb} {name}：这个名字既不是完全限定域名，也不是 [192.0.2.1] 这样的地址字面量，"
        "而 RFC 5321 §4.1.1.1 要求是二者之一；客户端发送的是计算机名。本服务器与多数服务器一样予以接受。"),
    K.DOT_STUFFING: Text(
        "{count} line(s) of the message begin with \".\": the client sent each with a second "
        "dot, and the server removed it (dot-stuffing, RFC 5321 4.5.2), so that only the line "
        "holding a lone \".\" ends the data.",
        "邮件中有 {count} 行以“.”开头：客户端在每一行前多加了一个点，服务器再把它去掉"
        "（点填充，RFC 5321 §4.5.2），这样只有单独一个“.”的行才表示数据结束。"),
    K.SIZE_EXACT: Text(
        "MAIL FROM declared SIZE={declared:,}; the message was exactly that.",
        "MAIL FROM 声明了 SIZE={declared:,}；邮件的大小正好如此。"),
    K.SIZE_ESTIMATED: Text(
        "MAIL FROM declared SIZE={declared:,}; the message was {actual:,} octets (RFC 1870 "
        "lets a client estimate).",
        "MAIL FROM 声明了 SIZE={declared:,}；邮件实际为 {actual:,} 字节（RFC 1870 允许客户端估计）。"),
    K.BARE_LF_DATA: Text(
        "The message has {count} bare LF line end(s); SMTP wants CRLF. A bare LF.LF does not "
        "end the data: only CRLF.CRLF does.",
        "邮件中有 {count} 个单独的 LF 行结束符；SMTP 要求 CRLF。单独的 LF.LF 不会结束数据，"
        "只有 CRLF.CRLF 才会。"),
    K.BARE_CR_DATA: Text(
        "The message has {count} bare CR(s) not followed by LF; SMTP lines end with CRLF.",
        "邮件中有 {count} 个后面没有 LF 的单独 CR；SMTP 的行应以 CRLF 结束。"),
    K.LONG_LINES: Text(
        "The message has lines longer than {limit} octets, the limit of RFC 5322; accepted as "
        "they are.",
        "邮件中有超过 {limit} 字节的行，超出了 RFC 5322 的限制；按原样接受。"),
    K.EIGHT_BIT_UNDECLARED: Text(
        "The message has 8-bit bytes but MAIL FROM did not say BODY=8BITMIME.",
        "邮件中含有 8 位字节，但 MAIL FROM 没有声明 BODY=8BITMIME。"),
    # -- the POP3 server, about its dialogue
    **explain_pop3.REMARKS,
}


class Labels(dict[str, str]):
    """A table of Text pairs in one language (``lang``), for code that looks words up by key."""

    def __init__(self, table: Mapping[str, Text], lang: str) -> None:
        super().__init__((key, text(lang)) for key, text in table.items())
        self.lang = lang


def note_text(note: Note, lang: str) -> str:
    """A remark in words, in ``lang``; values that are remarks themselves are put in words too."""
    return REMARKS[note.kind](lang).format_map(_shown_values(note.values, lang))


def _shown_values(values: Mapping[str, object], lang: str) -> dict[str, object]:
    return {name: note_text(value, lang) if isinstance(value, Note) else value
            for name, value in values.items()}
