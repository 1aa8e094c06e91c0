"""What each SMTP line means, for a learner: commands, reply codes and EHLO keywords, zh and en.

Pure data and lookups: no Tk, no sockets. The window shows these beside the dialogue and
``--no-gui --explain`` prints them under each line. Every reply code the server can send and
every command it knows has an entry in both languages (a test walks both tables together), and
so has every other code of RFC 5321 §4.2.3, RFC 4954 and RFC 7504, which students meet when
they try the same client against a real mail server.
"""

from __future__ import annotations

import locale
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

LANGUAGES = ("en", "zh")
LANG_CHINESE = 0x04  # the primary language id of Chinese in a Windows LANGID


@dataclass(frozen=True, slots=True)
class Text:
    """One piece of explanation in both languages."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class CommandInfo:
    rfc: str  # where a student reads it up, e.g. "RFC 5321 §4.1.1.1"
    meaning: Text


@dataclass(frozen=True, slots=True)
class ReplyInfo:
    meaning: Text
    next_step: Text


# The words explain.py puts between the table entries.
_COLON = Text(": ", "：")
_SEMICOLON = Text("; ", "；")
_FULL_STOP = Text(".", "。")
_NEXT = Text("Next: ", "下一步：")
_ENHANCED_CODE = Text("Enhanced status code {code}", "增强状态码 {code}")
_CLASS = Text("class", "类别")
_SUBJECT = Text("subject", "主题")
_DETAIL = Text("detail", "细节")


def cite(rfc: str, lang: str) -> str:
    """The reference after a sentence: " (RFC 3207)", or "（RFC 3207）" after Chinese text."""
    return f"（{rfc}）" if lang == "zh" else f" ({rfc})"


def describe(info: CommandInfo, lang: str) -> str:
    """An entry's meaning followed by where to read it up."""
    return info.meaning(lang) + cite(info.rfc, lang)


COMMANDS: dict[str, CommandInfo] = {
    "HELO": CommandInfo("RFC 5321 §4.1.1.1", Text(
        "The client starts a basic SMTP session (no extensions) and gives its name: its fully "
        "qualified domain name, or an address literal such as [127.0.0.1] when it has none.",
        "客户端发送 HELO，开始一个不使用扩展的基本 SMTP 会话，并附上自己的主机名：应为完整的域名，"
        "没有域名时用方括号中的 IP 地址，例如 [127.0.0.1]。")),
    "EHLO": CommandInfo("RFC 5321 §4.1.1.1", Text(
        "Like HELO, but asks the server to list the SMTP extensions it supports (ESMTP). "
        "It also clears any mail transaction in progress.",
        "与 HELO 相同，但同时请服务器列出它支持的 SMTP 扩展（ESMTP），并清除进行中的邮件事务。")),
    "MAIL": CommandInfo("RFC 5321 §4.1.1.2", Text(
        "Starts a mail transaction and gives the envelope sender (where bounces go). "
        "Parameters may follow: SIZE= (RFC 1870), BODY=8BITMIME (RFC 6152), "
        "SMTPUTF8 (RFC 6531), AUTH= (RFC 4954).",
        "开始一个邮件事务，给出信封发件人（退信会发往这里）。后面可以带参数：SIZE=（RFC 1870）、"
        "BODY=8BITMIME（RFC 6152）、SMTPUTF8（RFC 6531）、AUTH=（RFC 4954）。")),
    "RCPT": CommandInfo("RFC 5321 §4.1.1.3", Text(
        "Names one envelope recipient; the client repeats it for every recipient. The "
        "envelope, not the To: header, decides where the mail goes (Bcc works this way).",
        "给出一个信封收件人；每个收件人发一次。决定邮件去向的是信封，而不是首部中的 To:"
        "（密送 Bcc 就是这样实现的）。")),
    "DATA": CommandInfo("RFC 5321 §4.1.1.4", Text(
        "Asks to send the message itself. After 354 the client sends the header, a blank "
        "line and the body, and ends with a line holding only \".\" (lines that begin with "
        "\".\" get a second dot, which the server removes: dot-stuffing, RFC 5321 §4.5.2).",
        "请求发送邮件本身。收到 354 后，客户端发送首部（信头）、一个空行和主体，最后以只含“.”的"
        "一行结束（以“.”开头的行会被多加一个点，服务器再去掉它：这叫点填充，见 RFC 5321 §4.5.2）。")),
    "RSET": CommandInfo("RFC 5321 §4.1.1.5", Text(
        "Abandons the current mail transaction; the session stays open.",
        "放弃当前的邮件事务，会话仍然保持。")),
    "VRFY": CommandInfo("RFC 5321 §4.1.1.6", Text(
        "Asks whether a mailbox exists. Most servers no longer tell (spammers used it), "
        "and answer 252.",
        "询问某个邮箱是否存在。由于曾被垃圾邮件发送者利用，现在多数服务器不再如实回答，只应答 252。")),
    "EXPN": CommandInfo("RFC 5321 §4.1.1.7", Text(
        "Asks for the members of a mailing list; usually switched off for privacy.",
        "请求列出邮件列表的成员；出于隐私考虑通常被关闭。")),
    "HELP": CommandInfo("RFC 5321 §4.1.1.8", Text(
        "Asks the server for help text about its commands.",
        "请求服务器给出命令的帮助信息。")),
    "NOOP": CommandInfo("RFC 5321 §4.1.1.9", Text(
        "Does nothing; clients use it to check that the connection still works.",
        "什么也不做；客户端用它检查连接是否仍然可用。")),
    "QUIT": CommandInfo("RFC 5321 §4.1.1.10", Text(
        "Ends the session: the server answers 221 and closes the connection.",
        "结束会话：服务器应答 221 并关闭连接。")),
    "AUTH": CommandInfo("RFC 4954 §4", Text(
        "Authenticates the client with a SASL mechanism. PLAIN (RFC 4616) sends the user name "
        "and the password together in one base64 string. LOGIN sends them one after the "
        "other; mail clients such as Outlook use it, but it is not a standard SASL mechanism "
        "(the IANA SASL registry marks it obsolete). Base64 is an encoding, not encryption: "
        "without TLS anyone on the path can read them.",
        "用 SASL 机制进行身份验证。PLAIN（RFC 4616）把用户名和密码放在同一个 base64 串中发送；"
        "LOGIN 先后分别发送用户名和密码，Outlook 等邮件客户端使用它，但它不是标准的 SASL 机制"
        "（IANA 的 SASL 机制注册表把它标为已废弃）。base64 只是编码而不是加密：没有 TLS 时，"
        "线路上的任何人都能读到。")),
    "STARTTLS": CommandInfo("RFC 3207 §4", Text(
        "Asks to switch this same connection to TLS; the client sends it after EHLO has "
        "listed STARTTLS. After the 220 reply both sides run the TLS handshake, forget what "
        "they learnt before it, and the client sends EHLO again (RFC 3207 §4.2); from then on "
        "a packet capture sees only ciphertext. The other way is implicit TLS on port 465 "
        "(RFC 8314): TLS starts as soon as the connection opens, before the greeting. That is "
        "the SSL setting with port 465 in QQ Mail and 163 Mail.",
        "请求把这条连接升级为 TLS；客户端在 EHLO 应答列出 STARTTLS 之后发送它。收到 220 应答后，"
        "双方进行 TLS 握手并丢弃此前得到的一切信息，客户端重新发送 EHLO（RFC 3207 §4.2）；"
        "此后抓包只能看到密文。另一种方式是端口 465 上的隐式 TLS（RFC 8314）：连接一建立就先进行"
        " TLS 握手，然后才有问候。QQ 邮箱和 163 邮箱设置中的“SSL，端口 465”就是这种方式。")),
    "BDAT": CommandInfo("RFC 3030", Text(
        "Sends the message in counted chunks instead of DATA (the CHUNKING extension).",
        "以带长度的数据块发送邮件，代替 DATA（CHUNKING 扩展）。")),
}
for _verb, _rfc in (("TURN", "RFC 821 §4.1.1"), ("ETRN", "RFC 1985"), ("ATRN", "RFC 2645"),
                    ("SEND", "RFC 821 §4.1.1"), ("SOML", "RFC 821 §4.1.1"),
                    ("SAML", "RFC 821 §4.1.1")):
    COMMANDS[_verb] = CommandInfo(_rfc, Text(
        f"{_verb} is an old or rarely used command that this server does not implement.",
        f"{_verb} 是一个很少使用或已过时的命令，本服务器没有实现。"))

AUTH_RESPONSE = CommandInfo("RFC 4954 §4", Text(
    "Not a command: the client's answer to a 334 challenge, in base64 (a user name or a "
    "password, or both for PLAIN). \"*\" would cancel.",
    "这不是命令，而是客户端对 334 质询的回答，用 base64 编码（用户名或密码；PLAIN 则两者都有）。"
    "发送“*”可以取消。"))

UNKNOWN_COMMAND = CommandInfo("RFC 5321 §4.2.4", Text(
    "Not an SMTP command the server knows; it answers 500.",
    "服务器不认识的 SMTP 命令；它应答 500。"))

LINE_TOO_LONG = CommandInfo("RFC 5321 §4.5.3.1.4", Text(
    "A line longer than SMTP allows: a command line may be at most 512 octets, counting the "
    "command word and the CRLF. The server does not read it as a command and answers 500.",
    "一个超过 SMTP 允许长度的行：命令行（包括命令字和 CRLF）最多 512 个字节。服务器不把它当作"
    "命令，应答 500。"))
# How the server shows such a line in the dialogue, in place of its content.
_LINE_TOO_LONG_SHOWN = re.compile(r"<a line longer than \d+ octets>")

REPLY_CLASSES: dict[int, Text] = {  # RFC 5321 §4.2.1: the first digit
    2: Text("2yz positive completion reply: the requested action is done (in a greeting: the "
            "service is ready).",
            "2yz 肯定完成应答：请求的操作已完成（在问候中表示服务已就绪）。"),
    3: Text("3yz positive intermediate reply: accepted so far; the server waits for more.",
            "3yz 肯定中间应答：到目前为止已被接受，服务器在等待更多内容。"),
    4: Text("4yz transient negative completion reply: not done this time, but the same "
            "command may succeed later; a mail client keeps the mail and tries again.",
            "4yz 暂时性否定应答：这次没有完成，但同样的命令稍后可能成功；邮件客户端会保留这封邮件并重试。"),
    5: Text("5yz permanent negative completion reply: not done; do not repeat the same "
            "command unchanged.",
            "5yz 永久性否定应答：操作没有完成；不要原样重复这条命令。"),
}

REPLY_SECOND_DIGITS: dict[int, Text] = {  # RFC 5321 §4.2.1: the second digit
    0: Text("Second digit 0 (x0z, syntax): a syntax error, or a command that is not "
            "implemented or fits no other group.",
            "第二位 0（x0z，语法）：语法错误，或命令没有实现、不属于其他类别。"),
    1: Text("Second digit 1 (x1z, information): the answer to a request for information, "
            "such as status or help.",
            "第二位 1（x1z，信息）：对状态、帮助等信息请求的应答。"),
    2: Text("Second digit 2 (x2z, connections): about the transmission channel, its opening "
            "and closing.",
            "第二位 2（x2z，连接）：与传输通道（连接的建立和关闭）有关。"),
    3: Text("Second digit 3 (x3z): RFC 5321 gives it no meaning.",
            "第二位 3（x3z）：RFC 5321 没有规定其含义。"),
    4: Text("Second digit 4 (x4z): RFC 5321 gives it no meaning.",
            "第二位 4（x4z）：RFC 5321 没有规定其含义。"),
    5: Text("Second digit 5 (x5z, mail system): the state of the receiving mail system for "
            "the requested action.",
            "第二位 5（x5z，邮件系统）：接收方邮件系统对所请求操作的状态。"),
}

# RFC 3463 §3.1-3.2: the class (first number) and the subject (second number) of x.y.z.
ENHANCED_CLASSES: dict[str, Text] = {
    "2": Text("success", "成功"),
    "4": Text("persistent transient failure", "持续性暂时失败"),
    "5": Text("permanent failure", "永久性失败"),
}
ENHANCED_SUBJECTS: dict[str, Text] = {
    "0": Text("other or undefined status", "其他或未定义状态"),
    "1": Text("addressing status", "地址状态"),
    "2": Text("mailbox status", "邮箱状态"),
    "3": Text("mail system status", "邮件系统状态"),
    "4": Text("network and routing status", "网络和路由状态"),
    "5": Text("mail delivery protocol status", "邮件传送协议状态"),
    "6": Text("message content or media status", "内容或媒体状态"),
    "7": Text("security or policy status", "安全或策略状态"),
}
# RFC 3463 §3.3-3.10 (and RFC 4954 §6 for X.5.6, X.7.8-X.7.12): "subject.detail" -> detail.
ENHANCED_DETAILS: dict[str, Text] = {
    "0.0": Text("other undefined status: nothing more specific to say", "其他未定义状态：没有更具体的信息"),
    "1.0": Text("other address status", "其他地址状态"),
    "1.1": Text("bad destination mailbox address: no such mailbox", "目的邮箱地址错误：邮箱不存在"),
    "1.2": Text("bad destination system address", "目的系统地址错误"),
    "1.3": Text("bad destination mailbox address syntax", "目的邮箱地址语法错误"),
    "1.4": Text("destination mailbox address ambiguous", "目的邮箱地址不明确"),
    "1.5": Text("destination address valid", "目的地址有效"),
    "1.6": Text("destination mailbox has moved, no forwarding address",
                "目的邮箱已迁移，没有转发地址"),
    "1.7": Text("bad sender's mailbox address syntax", "发件人邮箱地址语法错误"),
    "1.8": Text("bad sender's system address", "发件人系统地址错误"),
    "2.0": Text("other or undefined mailbox status", "其他或未定义的邮箱状态"),
    "2.1": Text("mailbox disabled, not accepting messages", "邮箱已停用，不接收邮件"),
    "2.2": Text("mailbox full", "邮箱已满"),
    "2.3": Text("message length exceeds administrative limit", "邮件长度超过管理限制"),
    "2.4": Text("mailing list expansion problem", "邮件列表展开出错"),
    "3.0": Text("other or undefined mail system status", "其他或未定义的邮件系统状态"),
    "3.1": Text("mail system full", "邮件系统已满"),
    "3.2": Text("system not accepting network messages", "系统不接收网络邮件"),
    "3.3": Text("system not capable of selected features", "系统不支持所选功能"),
    "3.4": Text("message too big for system", "邮件对系统来说太大"),
    "3.5": Text("system incorrectly configured", "系统配置错误"),
    "4.0": Text("other or undefined network or routing status", "其他或未定义的网络或路由状态"),
    "4.1": Text("no answer from host", "主机没有应答"),
    "4.2": Text("bad connection", "连接不良"),
    "4.3": Text("directory server failure", "目录服务器故障"),
    "4.4": Text("unable to route", "无法路由"),
    "4.5": Text("mail system congestion", "邮件系统拥塞"),
    "4.6": Text("routing loop detected", "检测到路由环路"),
    "4.7": Text("delivery time expired", "投递时间已过期"),
    "5.0": Text("other or undefined protocol status", "其他或未定义的协议状态"),
    "5.1": Text("invalid command", "无效命令"),
    "5.2": Text("syntax error", "语法错误"),
    "5.3": Text("too many recipients", "收件人太多"),
    "5.4": Text("invalid command arguments", "无效的命令参数"),
    "5.5": Text("wrong protocol version", "协议版本错误"),
    "5.6": Text("authentication exchange line is too long (RFC 4954)",
                "身份验证交换中的行太长（RFC 4954）"),
    "6.0": Text("other or undefined media error", "其他或未定义的媒体错误"),
    "6.1": Text("media not supported", "不支持的媒体"),
    "6.2": Text("conversion required and prohibited", "需要转换但被禁止"),
    "6.3": Text("conversion required but not supported", "需要转换但不支持"),
    "6.4": Text("conversion with loss performed", "已进行有损转换"),
    "6.5": Text("conversion failed", "转换失败"),
    "7.0": Text("other or undefined security status", "其他或未定义的安全状态"),
    "7.1": Text("delivery not authorized, message refused", "未获投递授权，邮件被拒绝"),
    "7.2": Text("mailing list expansion prohibited", "禁止展开邮件列表"),
    "7.3": Text("security conversion required but not possible", "需要安全转换但无法进行"),
    "7.4": Text("security features not supported", "不支持所需的安全功能"),
    "7.5": Text("cryptographic failure", "加密处理失败"),
    "7.6": Text("cryptographic algorithm not supported", "不支持该加密算法"),
    "7.7": Text("message integrity failure", "邮件完整性校验失败"),
    "7.8": Text("authentication credentials invalid (RFC 4954)", "身份验证凭据无效（RFC 4954）"),
    "7.9": Text("authentication mechanism is too weak (RFC 4954)",
                "身份验证机制太弱（RFC 4954）"),
    "7.11": Text("encryption required for the requested authentication mechanism (RFC 4954)",
                 "所请求的身份验证机制要求加密（RFC 4954）"),
    "7.12": Text("a password transition is needed (RFC 4954)", "需要进行密码转换（RFC 4954）"),
}
# Whole codes whose detail means more than the subject.detail pair does.
ENHANCED_CODES: dict[str, Text] = {
    "2.7.0": Text("authentication succeeded (RFC 4954)", "身份验证成功（RFC 4954）"),
}

REPLIES: dict[int, ReplyInfo] = {
    211: ReplyInfo(Text("System status, or system help reply.", "系统状态或系统帮助应答。"),
                   Text("Nothing to do: it is information.", "无需处理：这是一条信息。")),
    214: ReplyInfo(Text("Help message, for a human reader.", "帮助信息，是给人看的。"),
                   Text("Nothing to do.", "无需处理。")),
    220: ReplyInfo(Text("Service ready: the server greets the client with its name. A greeting "
                        "carries no enhanced status code (RFC 2034).",
                        "服务就绪：服务器向客户端问候，并给出自己的名字。问候中没有增强状态码"
                        "（RFC 2034）。"),
                   Text("The client sends EHLO (or HELO).", "客户端接着发送 EHLO（或 HELO）。")),
    221: ReplyInfo(Text("Service closing the transmission channel.",
                        "服务正在关闭传输通道。"),
                   Text("The session is over; the server closes the TCP connection.",
                        "会话结束；服务器关闭 TCP 连接。")),
    235: ReplyInfo(Text("Authentication succeeded.", "身份验证成功。"),
                   Text("The client goes on with MAIL FROM.", "客户端接着发送 MAIL FROM。")),
    250: ReplyInfo(Text("Requested mail action okay, completed.", "请求的邮件操作已完成。"),
                   Text("The client sends the next command.", "客户端发送下一条命令。")),
    251: ReplyInfo(Text("User not local; the server will forward the mail to the address it "
                        "names.",
                        "用户不在本地；服务器会把邮件转发到它给出的地址。"),
                   Text("Nothing to do: the server takes care of it.", "无需处理：由服务器负责转发。")),
    252: ReplyInfo(Text("Cannot verify the user, but will accept mail for it.",
                        "无法验证该用户，但会接受发给它的邮件。"),
                   Text("Send the mail; delivery will tell.", "直接发信即可。")),
    334: ReplyInfo(Text("Authentication challenge (base64): the server waits for the next "
                        "piece of the login, e.g. VXNlcm5hbWU6 is base64 for \"Username:\".",
                        "身份验证质询（base64）：服务器等待登录的下一部分，例如 VXNlcm5hbWU6 是"
                        "“Username:”的 base64 编码。"),
                   Text("The client answers with one base64 line (\"*\" cancels).",
                        "客户端用一行 base64 回答（发送“*”则取消）。")),
    354: ReplyInfo(Text("Start mail input; end with <CRLF>.<CRLF>.",
                        "开始输入邮件；以 <CRLF>.<CRLF> 结束。"),
                   Text("The client sends the message (header, blank line, body), then a line "
                        "with only \".\".",
                        "客户端发送邮件（首部、空行、主体），然后发送只含“.”的一行。")),
    421: ReplyInfo(Text("Service not available, closing the transmission channel: the server "
                        "is busy or overloaded, the client was idle too long or made too many "
                        "errors, or the server is shutting down.",
                        "服务不可用，正在关闭传输通道：服务器繁忙或过载、客户端空闲太久或出错太多，"
                        "或者服务器正在关闭。"),
                   Text("Connect again later; a mail client keeps the mail and retries by itself.",
                        "稍后重新连接；邮件客户端会保留邮件并自动重试。")),
    432: ReplyInfo(Text("A password transition is needed (RFC 4954).",
                        "需要进行密码转换（RFC 4954）。"),
                   Text("Authenticate once with PLAIN over TLS, then the mechanism asked for.",
                        "先在 TLS 保护下用 PLAIN 验证一次，再使用所要求的机制。")),
    450: ReplyInfo(Text("Mailbox unavailable for now: busy, or blocked for a while by a policy "
                        "such as greylisting.",
                        "邮箱暂时不可用：邮箱忙，或被灰名单等策略暂时阻止。"),
                   Text("Keep the mail and try again later.", "保留邮件，稍后重试。")),
    451: ReplyInfo(Text("Local error in processing: the server had a problem.",
                        "处理时发生本地错误：服务器出了问题。"),
                   Text("Try again later.", "稍后重试。")),
    452: ReplyInfo(Text("Insufficient system storage, or too many recipients.",
                        "系统存储空间不足，或收件人太多。"),
                   Text("Try again later: the condition is temporary.",
                        "稍后重试：这种情况是暂时的。")),
    454: ReplyInfo(Text("Temporary authentication failure (RFC 4954), or TLS not available for "
                        "now (RFC 3207).",
                        "暂时的身份验证失败（RFC 4954），或暂时无法使用 TLS（RFC 3207）。"),
                   Text("Try again later.", "稍后重试。")),
    455: ReplyInfo(Text("Server unable to accommodate the parameters of MAIL FROM or RCPT TO "
                        "for now.",
                        "服务器暂时无法满足 MAIL FROM 或 RCPT TO 的参数。"),
                   Text("Try again later, or without the parameter.", "稍后重试，或去掉该参数。")),
    500: ReplyInfo(Text("Syntax error: command unrecognized (this includes a line too long "
                        "to be a command).",
                        "语法错误：无法识别的命令（包括长得不能作为命令的行）。"),
                   Text("Check the spelling of the command; SMTP lines end with CRLF.",
                        "检查命令拼写；SMTP 的行以 CRLF 结尾。")),
    501: ReplyInfo(Text("Syntax error in parameters or arguments.", "参数语法错误。"),
                   Text("Correct the argument of the command this answers; the HELP reply "
                        "shows the forms.",
                        "改正所应答命令的参数；HELP 命令的应答列出了正确的格式。")),
    502: ReplyInfo(Text("Command not implemented by this server.", "本服务器没有实现该命令。"),
                   Text("Do without it.", "不要使用这条命令。")),
    503: ReplyInfo(Text("Bad sequence of commands: the command came at the wrong point of the "
                        "dialogue.",
                        "命令顺序错误：这条命令出现在对话中不该出现的位置。"),
                   Text("Follow the order EHLO, (AUTH), MAIL, RCPT, DATA.",
                        "按 EHLO、（AUTH）、MAIL、RCPT、DATA 的顺序发送。")),
    504: ReplyInfo(Text("Command parameter not implemented (e.g. an AUTH mechanism).",
                        "命令参数没有实现（例如某种 AUTH 机制）。"),
                   Text("Use a mechanism that EHLO advertised (here PLAIN or LOGIN).",
                        "使用 EHLO 应答中列出的机制（这里是 PLAIN 或 LOGIN）。")),
    521: ReplyInfo(Text("This host does not accept mail (RFC 7504).",
                        "这台主机不接受邮件（RFC 7504）。"),
                   Text("Do not retry: it never will.", "不要重试：它永远不会接受。")),
    530: ReplyInfo(Text("Authentication required before sending mail.",
                        "发信前必须先进行身份验证。"),
                   Text("Authenticate with AUTH, then send MAIL FROM again.",
                        "先用 AUTH 进行身份验证，再发送 MAIL FROM。")),
    534: ReplyInfo(Text("The authentication mechanism is too weak (RFC 4954).",
                        "身份验证机制太弱（RFC 4954）。"),
                   Text("Use a stronger mechanism from the EHLO reply.",
                        "改用 EHLO 应答中列出的更强的机制。")),
    535: ReplyInfo(Text("Authentication credentials invalid: wrong user name or password "
                        "(RFC 4954).",
                        "身份验证凭据无效：用户名或密码错误（RFC 4954）。"),
                   Text("Check the user name and password; QQ Mail and 163 Mail want the "
                        "authorization code from their web settings, not the login password.",
                        "检查用户名和密码；QQ 邮箱和 163 邮箱要求填写网页设置中生成的授权码，"
                        "而不是登录密码。")),
    538: ReplyInfo(Text("Encryption is required for the requested authentication mechanism "
                        "(RFC 4954).",
                        "所请求的身份验证机制要求加密（RFC 4954）。"),
                   Text("Start TLS first (STARTTLS, or port 465), then AUTH.",
                        "先启用 TLS（STARTTLS 或端口 465），再发送 AUTH。")),
    550: ReplyInfo(Text("Mailbox unavailable: no such user, or refused by policy.",
                        "邮箱不可用：用户不存在，或被策略拒绝。"),
                   Text("Do not retry this recipient; the client reports it to the sender.",
                        "不要再试这个收件人；客户端会告诉发件人。")),
    551: ReplyInfo(Text("User not local; the reply names the address to try instead.",
                        "用户不在本地；应答中给出了应改用的地址。"),
                   Text("Send to the address the reply names.", "把邮件发给应答中给出的地址。")),
    552: ReplyInfo(Text("Exceeded storage allocation: the message is too large.",
                        "超出存储空间限制：邮件过大。"),
                   Text("Send a smaller message (see SIZE in the EHLO reply).",
                        "发送更小的邮件（见 EHLO 应答中的 SIZE）。")),
    553: ReplyInfo(Text("Mailbox name not allowed.", "邮箱名不合法（不被允许）。"),
                   Text("Correct the address.", "改正地址。")),
    554: ReplyInfo(Text("Transaction failed (or, as a greeting, no service here).",
                        "事务失败（如果出现在问候中，表示这里不提供服务）。"),
                   Text("Do not retry unchanged.", "不要原样重试。")),
    555: ReplyInfo(Text("MAIL FROM/RCPT TO parameter not recognized or not implemented.",
                        "MAIL FROM/RCPT TO 的参数无法识别或没有实现。"),
                   Text("Send the command without that parameter.", "去掉该参数后重发命令。")),
    556: ReplyInfo(Text("The recipient's domain does not accept mail (RFC 7504).",
                        "收件人的域不接受邮件（RFC 7504）。"),
                   Text("Do not retry: the address cannot receive mail.",
                        "不要重试：这个地址收不到邮件。")),
}


@dataclass(frozen=True, slots=True)
class ReplyCase:
    """What one reply of this server means beyond its code: it is recognised by words of its
    text (``markers``), and replaces the code's meaning (when given) and its next step."""

    markers: tuple[str, ...]
    next_step: Text
    meaning: Text | None = None


_NO_ARGUMENT = Text("This command takes no argument: send it alone.",
                    "这条命令不带参数：单独发送命令即可。")

# The replies whose next step depends on what was answered (RFC 5321 §4.2.3 lists codes, not
# situations). Every 501 and 503 this server sends has its own case (a test reads the source).
REPLY_CASES: dict[int, tuple[ReplyCase, ...]] = {
    220: (ReplyCase(("Ready to start TLS",), meaning=Text(
              "Ready to start TLS: the server agrees to STARTTLS.",
              "准备开始 TLS：服务器同意 STARTTLS。"), next_step=Text(
              "Both sides now run the TLS handshake on this connection; then SMTP starts again "
              "from the beginning and the client sends EHLO again (RFC 3207 §4.2).",
              "双方接着在这条连接上进行 TLS 握手；然后 SMTP 从头开始，客户端重新发送 EHLO"
              "（RFC 3207 §4.2）。")),),
    452: (ReplyCase(("Too many recipients",), meaning=Text(
              "Too many recipients for one transaction (a server must accept at least 100, "
              "RFC 5321 §4.5.3.1.8).",
              "一个事务中的收件人太多（服务器至少要接受 100 个，RFC 5321 §4.5.3.1.8）。"),
              next_step=Text(
              "This recipient was not accepted: send it and the rest in another transaction "
              "after this one (RFC 5321 §4.5.3.1.10).",
              "这个收件人没有被接受：本次事务结束后，把它和其余收件人放到另一个事务中发送"
              "（RFC 5321 §4.5.3.1.10）。")),),
    500: (ReplyCase(("Authentication exchange line is too long",), meaning=Text(
              "A line of the AUTH exchange was too long; the exchange is over (RFC 4954 §4).",
              "身份验证交换中的一行太长，本次身份验证交换结束（RFC 4954 §4）。"), next_step=Text(
              "Start AUTH again if needed.", "如有需要，重新发送 AUTH。")),
          ReplyCase(("Line too long",), meaning=Text(
              "The line is too long to be a command: an SMTP command line may be at most 512 "
              "octets, counting the command word and the CRLF (RFC 5321 §4.5.3.1.4).",
              "这一行太长，不能作为命令：SMTP 命令行（包括命令字和 CRLF）最多 512 个字节"
              "（RFC 5321 §4.5.3.1.4）。"), next_step=Text(
              "The server did nothing with this line; send commands shorter than 512 octets.",
              "服务器没有执行这一行；命令行要短于 512 个字节。")),),
    501: (ReplyCase(("Authentication cancelled",), meaning=Text(
              "The client answered the challenge with \"*\": it cancelled the AUTH exchange "
              "(RFC 4954 §4).",
              "客户端用“*”回答质询，取消了身份验证（RFC 4954 §4）。"), next_step=Text(
              "The client is not authenticated: it may start AUTH again, or send mail "
              "without it where the server allows that.",
              "客户端没有通过身份验证：可以重新发送 AUTH，或在服务器允许时不验证直接发信。")),
          ReplyCase(("Cannot decode the response",), next_step=Text(
              "The AUTH exchange is over: start it again and answer each 334 challenge with "
              "one line of base64.",
              "本次身份验证已结束：重新发送 AUTH，并用一行 base64 回答每个 334 质询。")),
          ReplyCase(("AUTH PLAIN wants",), next_step=Text(
              "Send AUTH PLAIN again with the base64 of authzid NUL user NUL password (the "
              "authzid may be empty).",
              "重新发送 AUTH PLAIN，附上“授权身份 NUL 用户名 NUL 密码”的 base64 编码"
              "（授权身份可以为空）。")),
          ReplyCase(("Syntax: HELO", "Syntax: EHLO"), next_step=Text(
              "Send it with the client's name: a domain name, or an address literal such as "
              "[127.0.0.1].",
              "带上客户端的名字重发：域名，或方括号中的 IP 地址，例如 [127.0.0.1]。")),
          ReplyCase(("Bad sender address",), next_step=Text(
              "Correct the sender address: MAIL FROM:<name@example.com>.",
              "改正发件人地址：MAIL FROM:<name@example.com>。")),
          ReplyCase(("Bad recipient address",), next_step=Text(
              "Correct the recipient address: RCPT TO:<name@example.com>.",
              "改正收件人地址：RCPT TO:<name@example.com>。")),
          ReplyCase(("Syntax: MAIL",), next_step=Text(
              "Write it as MAIL FROM:<address>.", "写成 MAIL FROM:<地址> 的形式。")),
          ReplyCase(("Syntax: RCPT",), next_step=Text(
              "Write it as RCPT TO:<address>.", "写成 RCPT TO:<地址> 的形式。")),
          ReplyCase(("SIZE wants a number",), next_step=Text(
              "Give SIZE= the size of the message in octets, e.g. SIZE=2048.",
              "SIZE= 后面写邮件的字节数，例如 SIZE=2048。")),
          ReplyCase(("BODY must be",), next_step=Text(
              "Use BODY=7BIT or BODY=8BITMIME.", "使用 BODY=7BIT 或 BODY=8BITMIME。")),
          ReplyCase(("Syntax: AUTH",), next_step=Text(
              "Name a mechanism: AUTH PLAIN or AUTH LOGIN.",
              "写出一种机制：AUTH PLAIN 或 AUTH LOGIN。")),
          ReplyCase(("Syntax: VRFY",), next_step=Text(
              "Give VRFY a user name or an address.", "VRFY 后面要写用户名或地址。")),
          ReplyCase(("Syntax: STARTTLS", "Syntax: RSET", "Syntax: DATA"),
                    next_step=_NO_ARGUMENT)),
    503: (ReplyCase(("TLS is already active",), next_step=Text(
              "TLS is already on for this connection: do not send STARTTLS again; go on with "
              "EHLO or MAIL FROM.",
              "这条连接已经在使用 TLS：不要再发送 STARTTLS，继续发送 EHLO 或 MAIL FROM。")),
          ReplyCase(("Already authenticated",), next_step=Text(
              "The client is already authenticated, and AUTH is allowed once per session "
              "(RFC 4954 §4): go on with MAIL FROM.",
              "客户端已经通过身份验证，每个会话只允许一次 AUTH（RFC 4954 §4）：继续发送 MAIL FROM。")),
          ReplyCase(("AUTH is not allowed during a mail transaction",), next_step=Text(
              "Finish the mail (or send RSET) first, then AUTH (RFC 4954 §4).",
              "先结束这封邮件（或发送 RSET），再发送 AUTH（RFC 4954 §4）。")),
          ReplyCase(("Send EHLO first",), next_step=Text(
              "Send EHLO first: AUTH is an extension, and only EHLO turns extensions on.",
              "先发送 EHLO：AUTH 是扩展命令，只有 EHLO 之后才能使用扩展。")),
          ReplyCase(("Send HELO/EHLO first",), next_step=Text(
              "Greet with EHLO first, then send MAIL FROM.",
              "先用 EHLO 问候，再发送 MAIL FROM。")),
          ReplyCase(("Nested MAIL",), next_step=Text(
              "A transaction is already open: finish it with DATA, or send RSET, before a new "
              "MAIL FROM.",
              "已经有一个事务在进行：先用 DATA 完成它或发送 RSET，再发送新的 MAIL FROM。")),
          ReplyCase(("Need MAIL command first",), next_step=Text(
              "Send MAIL FROM first, then RCPT TO and DATA.",
              "先发送 MAIL FROM，再发送 RCPT TO 和 DATA。")),
          ReplyCase(("Need RCPT command first",), next_step=Text(
              "At least one RCPT TO must be accepted before DATA.",
              "DATA 之前至少要有一个 RCPT TO 被接受。"))),
}


def reply_info(code: int, lines: Sequence[str]) -> ReplyInfo | None:
    """The meaning and next step of one reply: its own case where it has one, else its code's."""
    info = REPLIES.get(code)
    text = " ".join(lines)
    for case in REPLY_CASES.get(code, ()):  # each of these codes has a REPLIES entry
        if any(marker in text for marker in case.markers):
            return ReplyInfo(case.meaning or info.meaning, case.next_step)
    return info


EHLO_KEYWORDS: dict[str, CommandInfo] = {
    "8BITMIME": CommandInfo("RFC 6152", Text(
        "The server accepts 8-bit message bodies: a client that declares BODY=8BITMIME may "
        "send UTF-8 or GBK text unencoded. Thunderbird does; Outlook and Foxmail encode "
        "Chinese text as base64 or quoted-printable anyway.",
        "服务器接受 8 位的邮件主体：客户端声明 BODY=8BITMIME 后，可以不经编码直接发送 UTF-8 或 GBK "
        "文本。Thunderbird 就是这样发送的；Outlook 和 Foxmail 则总是把中文编码为 base64 或 "
        "quoted-printable（QP）。")),
    "SIZE": CommandInfo("RFC 1870", Text(
        "The largest message the server accepts, in octets; the client may declare its size "
        "with MAIL FROM:<...> SIZE=n and be refused before sending.",
        "服务器接受的最大邮件字节数；客户端可以在 MAIL FROM:<...> SIZE=n 中预先声明大小，"
        "太大时在发送前就会被拒绝。")),
    "PIPELINING": CommandInfo("RFC 2920", Text(
        "The client may send several commands (MAIL, RCPT..., DATA) without waiting for each "
        "reply, saving round trips.",
        "客户端可以连续发送多条命令（MAIL、RCPT…、DATA）而不必逐条等待应答，从而减少往返次数。")),
    "SMTPUTF8": CommandInfo("RFC 6531", Text(
        "Addresses and header fields may be UTF-8, e.g. 用户@例子.中国.",
        "地址和首部字段可以使用 UTF-8，例如 用户@例子.中国。")),
    "ENHANCEDSTATUSCODES": CommandInfo("RFC 2034, RFC 3463", Text(
        "Replies carry a class.subject.detail code such as 2.1.0 after the three digits "
        "(every 2yz, 4yz and 5yz reply but the greeting and the replies to HELO and EHLO).",
        "应答在三位数字后面带有“类别.主题.细节”形式的增强状态码，例如 2.1.0"
        "（2yz、4yz、5yz 应答都带，问候和对 HELO、EHLO 的应答除外）。")),
    "AUTH": CommandInfo("RFC 4954", Text(
        "The authentication mechanisms the server offers: here PLAIN (RFC 4616) and LOGIN "
        "(not a standard SASL mechanism and obsolete in the IANA registry, but what Outlook "
        "uses).",
        "服务器提供的身份验证机制：这里是 PLAIN（RFC 4616）和 LOGIN（不是标准的 SASL 机制，"
        "在 IANA 注册表中标为已废弃，但 Outlook 使用它）。")),
    "AUTH=PLAIN": CommandInfo("draft-myers-smtp-auth", Text(
        "The same list in the syntax of the drafts before the AUTH standard, which Outlook "
        "Express and early Outlook versions look for.",
        "同一列表在 AUTH 标准之前的草案中的写法，Outlook Express 和早期 Outlook 会查找它。")),
    "HELP": CommandInfo("RFC 1869, IANA", Text(
        "The server answers the HELP command (RFC 5321 §4.1.1.8); HELP is one of the first "
        "EHLO keywords, registered with IANA by RFC 1869.",
        "服务器支持 HELP 命令（RFC 5321 §4.1.1.8）；HELP 是最早的 EHLO 关键字之一，"
        "由 RFC 1869 在 IANA 注册。")),
    "STARTTLS": CommandInfo("RFC 3207", Text(
        "The connection can be switched to TLS with STARTTLS (then the client sends EHLO "
        "again).",
        "可以用 STARTTLS 把这条连接升级为 TLS（之后客户端重新发送 EHLO）。")),
    "CHUNKING": CommandInfo("RFC 3030", Text(
        "The client may send the message with BDAT chunks.", "客户端可以用 BDAT 分块发送邮件。")),
    "DSN": CommandInfo("RFC 3461", Text(
        "Delivery status notifications can be requested (NOTIFY=, RET=).",
        "可以请求投递状态通知（NOTIFY=、RET=）。")),
}


def command_info(line: str, *, answers_challenge: bool = False) -> CommandInfo:
    """What a client line asks for; `answers_challenge` when the last reply was 334."""
    if answers_challenge:
        return AUTH_RESPONSE
    if _LINE_TOO_LONG_SHOWN.fullmatch(line):
        return LINE_TOO_LONG
    return COMMANDS.get(line.split(" ", 1)[0].upper(), UNKNOWN_COMMAND)


def ehlo_keyword_info(keyword_line: str) -> CommandInfo | None:
    """The EHLO keyword on one line of a 250 reply ("SIZE 33554432", "AUTH=PLAIN LOGIN")."""
    word = keyword_line.split(" ", 1)[0].upper()
    return EHLO_KEYWORDS.get("AUTH=PLAIN" if word.startswith("AUTH=") else word)


def keyword_heading(keyword_line: str, lang: str) -> str:
    """How the explanation of a reply starts the paragraph of one of its EHLO keywords."""
    return keyword_line + _COLON(lang)


def explain_command(line: str, lang: str, *, answers_challenge: bool = False) -> str:
    return describe(command_info(line, answers_challenge=answers_challenge), lang)


def explain_enhanced_code(text: str, lang: str) -> str | None:
    """Explain an RFC 3463 code at the start of a reply text, e.g. "5.1.3 Bad address":
    its class, its subject and, where RFC 3463 or RFC 4954 defines it, its detail."""
    code = text.split(" ", 1)[0]
    parts = code.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or (
            parts[0] not in ENHANCED_CLASSES):
        return None
    klass, subject, detail = parts
    pieces = [(_CLASS, klass, ENHANCED_CLASSES[klass]),
              (_SUBJECT, subject, ENHANCED_SUBJECTS.get(subject, ENHANCED_SUBJECTS["0"]))]
    detail_text = ENHANCED_CODES.get(code) or ENHANCED_DETAILS.get(f"{subject}.{detail}")
    if detail_text is not None:
        pieces.append((_DETAIL, detail, detail_text))
    named = _SEMICOLON(lang).join(f"{label(lang)} {digit} {words(lang)}"
                                  for label, digit, words in pieces)
    return (_ENHANCED_CODE(lang).format(code=code) + cite("RFC 3463", lang) + _COLON(lang)
            + named + _FULL_STOP(lang))


def explain_reply(code: int, lines: tuple[str, ...] | list[str], lang: str) -> str:
    """The class, second digit, meaning and next step of a reply, its enhanced status code,
    and each EHLO keyword it lists."""
    parts = [REPLY_CLASSES[code // 100](lang)] if code // 100 in REPLY_CLASSES else []
    if code // 10 % 10 in REPLY_SECOND_DIGITS:
        parts.append(REPLY_SECOND_DIGITS[code // 10 % 10](lang))
    info = reply_info(code, lines)
    if info is not None:
        parts += [f"{code}{_COLON(lang)}{info.meaning(lang)}", _NEXT(lang) + info.next_step(lang)]
    enhanced = explain_enhanced_code(lines[0], lang) if lines else None
    if enhanced:
        parts.append(enhanced)
    if code == 250 and len(lines) > 1:
        for keyword_line in lines[1:]:
            keyword = ehlo_keyword_info(keyword_line)
            if keyword is not None:
                parts.append(keyword_heading(keyword_line, lang) + describe(keyword, lang))
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """A lab scenario: a short caption for menus, what the server does differently, and what
    clients are expected to do."""

    caption: Text
    what: Text
    expect: Text


SCENARIOS: dict[str, ScenarioInfo] = {
    "reject-recipient": ScenarioInfo(
        Text("refuse every recipient", "拒收所有收件人"),
        Text("Every RCPT TO is refused with 550 5.1.1 (no such user).",
             "每个 RCPT TO 都以 550 5.1.1（用户不存在）拒绝。"),
        Text("A permanent failure: Outlook reports the message undeliverable, Thunderbird shows "
             "the server's 5.1.1 reply and asks you to check the recipient, Foxmail reports "
             "the send as failed with the reply. None of them retries.",
             "永久性否定应答：Outlook 报告邮件无法投递，Thunderbird 显示服务器的 5.1.1 应答并请你检查"
             "收件人，Foxmail 报告发送失败并附上应答。它们都不会重试。")),
    "defer-recipient": ScenarioInfo(
        Text("defer every recipient, as greylisting does", "暂时拒绝收件人，模拟灰名单"),
        Text("Every RCPT TO is deferred with 450 4.2.0 (mailbox busy, try again later).",
             "每个 RCPT TO 都以 450 4.2.0（邮箱忙，请稍后再试）暂时拒绝。"),
        Text("A transient failure, as real servers send for greylisting (RFC 6647): they defer "
             "the first attempt from an unknown sender and accept the same mail when it is "
             "retried minutes later, which most spam software never does. Outlook keeps the "
             "mail in the Outbox and tries again at the next Send/Receive; Thunderbird shows "
             "the server's reply and keeps the message open (Send Later would queue it in the "
             "Outbox); Foxmail reports the send as failed.",
             "暂时性否定应答。真实的服务器用它实现灰名单（RFC 6647）：对陌生发件人的第一次投递暂时拒绝，"
             "几分钟后同一封邮件重试时再接受，而大多数垃圾邮件程序从不重试。Outlook 把邮件留在发件箱，"
             "下次发送/接收时再试；Thunderbird 显示服务器的应答，邮件仍在写信窗口中（选择“稍后发送”"
             "则留在发件箱）；Foxmail 报告发送失败。")),
    "require-auth": ScenarioInfo(
        Text("require authentication", "要求身份验证"),
        Text("MAIL FROM before a successful AUTH is refused with 530 5.7.0.",
             "在身份验证成功之前发送 MAIL FROM 会被 530 5.7.0 拒绝。"),
        Text("A client without \"My outgoing server (SMTP) requires authentication\" (Outlook) "
             "or set to no authentication (Thunderbird, Foxmail) fails; switch it on and watch "
             "AUTH LOGIN carry the base64 user name and password.",
             "没有勾选“我的发送服务器(SMTP)要求验证”（Outlook）或设置为不验证（Thunderbird、Foxmail）"
             "的客户端会失败；打开身份验证后，可以看到 AUTH LOGIN 用 base64 传送用户名和密码。")),
    "too-large": ScenarioInfo(
        Text("a size limit of 10 KiB", "邮件大小上限 10 KiB"),
        Text("SIZE is advertised as 10240 octets; larger mail gets 552 (at MAIL FROM when the "
             "client declares SIZE=, otherwise after the final \".\").",
             "EHLO 应答中声明 SIZE 为 10240 字节；更大的邮件会得到 552（客户端用 SIZE= 声明大小时在 "
             "MAIL FROM 阶段，否则在最后的“.”之后）。"),
        Text("Clients that declare SIZE= (Foxmail, Thunderbird) are refused before sending any "
             "data; Outlook declares no size, so it sends the whole message and is refused "
             "after the final \".\". Attach a picture to see it. Each reports the message as "
             "too large.",
             "声明 SIZE= 的客户端（Foxmail、Thunderbird）在发送数据之前就被拒绝；Outlook 不声明大小，"
             "所以会发送整封邮件，在最后的“.”之后才被拒绝。附上一张图片即可看到。客户端都会报告邮件过大。")),
    "busy": ScenarioInfo(
        Text("server busy", "服务器繁忙"),
        Text("Instead of 220 the server greets with 421 (service not available: busy) and "
             "closes the connection.",
             "服务器不发送 220，而是直接发送 421（服务不可用：服务器繁忙）并关闭连接。"),
        Text("Clients report that the server is unavailable and keep the mail to retry later.",
             "客户端报告服务器不可用，并保留邮件以便稍后重试。")),
    "slow": ScenarioInfo(
        Text("slow replies", "应答缓慢"),
        Text("Every reply is delayed by --delay seconds (default 3).",
             "每个应答都延迟 --delay 秒（默认 3 秒）。"),
        Text("Watch the client wait: the sequence view shows each round trip. RFC 5321 "
             "§4.5.3.2 asks clients to wait minutes: 5 for the greeting, MAIL and RCPT, 2 for "
             "the 354 after DATA, 3 for each block of data and 10 after the final \".\". "
             "Outlook instead gives up after its own server timeout (a slider on the Advanced "
             "tab, one minute by default): with a longer delay it reports a timeout.",
             "观察客户端的等待：时序图显示每一次往返。RFC 5321 §4.5.3.2 建议客户端等待的是几分钟："
             "问候、MAIL 和 RCPT 各 5 分钟，DATA 之后的 354 为 2 分钟，每个数据块 3 分钟，最后的“.”"
             "之后 10 分钟。Outlook 则按自己的服务器超时放弃（“高级”选项卡中的滑块，默认一分钟）："
             "延迟更长时，它会报告超时。")),
    "no-auth": ScenarioInfo(
        Text("no AUTH offered", "不提供身份验证"),
        Text("AUTH is not advertised in the EHLO reply (and AUTH gets 502).",
             "EHLO 应答中不列出 AUTH（发送 AUTH 会得到 502）。"),
        Text("A client set to authenticate reports that the server does not support it "
             "(Thunderbird says so plainly); one set to no authentication sends as usual.",
             "设置为需要身份验证的客户端会报告服务器不支持身份验证（Thunderbird 会直接说明）；"
             "不验证的客户端照常发送。")),
    "no-pipelining": ScenarioInfo(
        Text("no PIPELINING", "不提供 PIPELINING"),
        Text("PIPELINING is not advertised.", "EHLO 应答中不列出 PIPELINING。"),
        Text("Only a client that pipelines changes: it now waits for each reply, so compare "
             "the round trips in the sequence view with a normal session. Thunderbird sends "
             "one command at a time anyway and shows no difference; watch whether your "
             "Outlook or Foxmail does (the observer remarks pipelined commands).",
             "只有使用流水线的客户端会有变化：它改为逐条等待应答，可以在时序图中与正常会话比较往返次数。"
             "Thunderbird 本来就逐条发送命令，看不出区别；Outlook 和 Foxmail 是否使用流水线，"
             "请自己观察（观察器会提示流水线发送的命令）。")),
    "no-8bitmime": ScenarioInfo(
        Text("no 8BITMIME", "不提供 8BITMIME"),
        Text("8BITMIME is not advertised.", "EHLO 应答中不列出 8BITMIME。"),
        Text("Only a client that sends 8-bit text changes: Thunderbird, which normally sends "
             "Chinese text unencoded with BODY=8BITMIME, now encodes it as base64 or "
             "quoted-printable. Outlook and Foxmail always encode Chinese text that way and "
             "show no difference. Compare the raw content with a normal session.",
             "只有发送 8 位文本的客户端会有变化：Thunderbird 平时用 BODY=8BITMIME 直接发送未编码的中文，"
             "现在改为 base64 或 quoted-printable（QP）编码。Outlook 和 Foxmail 本来就这样编码中文，"
             "看不出区别。请与正常会话比较原始内容。")),
    "drop-in-data": ScenarioInfo(
        Text("hang up during DATA", "DATA 中途断开"),
        Text("The server closes the connection after the first 1 KiB of DATA.",
             "服务器在收到 DATA 的前 1 KiB 后关闭连接。"),
        Text("The client reports a lost connection and keeps the mail; the observer shows "
             "what had arrived as an incomplete message.",
             "客户端报告连接中断并保留邮件；观察器把已收到的部分显示为不完整的邮件。")),
}


def scenario_label(name: str, lang: str) -> str:
    """A scenario as menus and --help show it: its id (what lab sheets cite) and its caption."""
    caption = SCENARIOS[name].caption(lang)
    return f"{name}（{caption}）" if lang == "zh" else f"{name} ({caption})"


def scenario_table(lang: str) -> str:
    """Every scenario with its caption, one a line (for --help)."""
    width = max(map(len, SCENARIOS)) + 2
    return "\n".join(f"  {name:<{width}}{info.caption(lang)}" for name, info in SCENARIOS.items())


def language_from_locale_name(name: str) -> str:
    """ "zh" for a Chinese locale name (POSIX "zh_CN.UTF-8", Windows "Chinese_China")."""
    return "zh" if name.lower().startswith(("zh", "chinese")) else "en"


def _windows_ui_language() -> str | None:
    """The language of the Windows user interface, or None when it cannot be asked."""
    import ctypes  # only here: ctypes.windll exists on Windows alone

    try:
        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()
    except (AttributeError, OSError):
        return None
    return "zh" if lang_id & 0x3FF == LANG_CHINESE else "en"


def detect_language() -> str:
    """ "zh" when the user's system speaks Chinese, else "en"."""
    if sys.platform == "win32":
        language = _windows_ui_language()
        if language is not None:
            return language
    # The POSIX precedence for the language of messages, then what Python set LC_CTYPE from.
    for name in (os.environ.get("LC_ALL"), os.environ.get("LC_MESSAGES"),
                 os.environ.get("LANG"), locale.getlocale()[0]):
        if name:
            return language_from_locale_name(name)
    return "en"
