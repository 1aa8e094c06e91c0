"""What each SMTP line means, for a learner: commands, reply codes and EHLO keywords, zh and en.

Pure data and lookups: no Tk, no sockets. The window shows these beside the dialogue and
``--no-gui --explain`` prints them under each line. Every reply code the server can send and
every command it knows has an entry in both languages (a test walks both tables together).
"""

from __future__ import annotations

import locale
import os
import sys
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
    rfc: str
    meaning: Text


@dataclass(frozen=True, slots=True)
class ReplyInfo:
    meaning: Text
    next_step: Text


COMMANDS: dict[str, CommandInfo] = {
    "HELO": CommandInfo("RFC 5321 4.1.1.1", Text(
        "The client names itself and starts a plain SMTP session (no extensions).",
        "客户端报上自己的名字，开始一个不使用扩展的基本 SMTP 会话。")),
    "EHLO": CommandInfo("RFC 5321 4.1.1.1", Text(
        "Like HELO, but asks the server to list the SMTP extensions it supports (ESMTP). "
        "It also clears any mail transaction in progress.",
        "与 HELO 相同，但同时请服务器列出它支持的 SMTP 扩展（ESMTP），并清除进行中的邮件事务。")),
    "MAIL": CommandInfo("RFC 5321 4.1.1.2", Text(
        "Starts a mail transaction and gives the envelope sender (where bounces go). "
        "Parameters may follow: SIZE= (RFC 1870), BODY=8BITMIME (RFC 6152), "
        "SMTPUTF8 (RFC 6531), AUTH= (RFC 4954).",
        "开始一个邮件事务，给出信封发件人（退信会发往这里）。后面可以带参数：SIZE=（RFC 1870）、"
        "BODY=8BITMIME（RFC 6152）、SMTPUTF8（RFC 6531）、AUTH=（RFC 4954）。")),
    "RCPT": CommandInfo("RFC 5321 4.1.1.3", Text(
        "Names one envelope recipient; the client repeats it for every recipient. The "
        "envelope, not the To: header, decides where the mail goes (Bcc works this way).",
        "给出一个信封收件人；每个收件人发一次。决定邮件去向的是信封而不是信头里的 To:"
        "（密送 Bcc 就是这样实现的）。")),
    "DATA": CommandInfo("RFC 5321 4.1.1.4", Text(
        "Asks to send the message itself. After 354 the client sends the headers, a blank "
        "line and the body, and ends with a line holding only \".\" (lines that begin with "
        "\".\" get a second dot, which the server removes: dot-stuffing, 4.5.2).",
        "请求发送邮件本身。收到 354 后，客户端发送信头、一个空行和正文，最后以只含“.”的一行结束"
        "（以“.”开头的行会被多加一个点，服务器再去掉它：这叫点填充，见 4.5.2）。")),
    "RSET": CommandInfo("RFC 5321 4.1.1.5", Text(
        "Abandons the current mail transaction; the session stays open.",
        "放弃当前的邮件事务，会话仍然保持。")),
    "VRFY": CommandInfo("RFC 5321 4.1.1.6", Text(
        "Asks whether a mailbox exists. Most servers no longer tell (spammers used it), "
        "and answer 252.",
        "询问某个邮箱是否存在。由于曾被垃圾邮件发送者利用，现在多数服务器不再回答，只回 252。")),
    "EXPN": CommandInfo("RFC 5321 4.1.1.7", Text(
        "Asks for the members of a mailing list; usually switched off for privacy.",
        "请求列出邮件列表的成员；出于隐私考虑通常被关闭。")),
    "HELP": CommandInfo("RFC 5321 4.1.1.8", Text(
        "Asks the server for help text about its commands.",
        "请求服务器给出命令的帮助信息。")),
    "NOOP": CommandInfo("RFC 5321 4.1.1.9", Text(
        "Does nothing; clients use it to check that the connection is alive.",
        "什么也不做；客户端用它检查连接是否还活着。")),
    "QUIT": CommandInfo("RFC 5321 4.1.1.10", Text(
        "Ends the session: the server answers 221 and closes the connection.",
        "结束会话：服务器回答 221 并关闭连接。")),
    "AUTH": CommandInfo("RFC 4954 4", Text(
        "Logs in with a SASL mechanism. PLAIN and LOGIN send the user name and password in "
        "base64, which is an encoding, not encryption: without TLS anyone on the path can "
        "read them.",
        "用 SASL 机制登录。PLAIN 和 LOGIN 以 base64 发送用户名和密码；base64 只是编码而不是加密，"
        "没有 TLS 时线路上的任何人都能读到。")),
    "STARTTLS": CommandInfo("RFC 3207", Text(
        "Asks to switch the connection to TLS before anything else is sent; from then on a "
        "packet capture sees only ciphertext.",
        "请求把连接升级为 TLS；之后抓包只能看到密文。")),
    "BDAT": CommandInfo("RFC 3030", Text(
        "Sends the message in counted chunks instead of DATA (the CHUNKING extension).",
        "以带长度的数据块发送邮件，代替 DATA（CHUNKING 扩展）。")),
}
for _verb, _rfc in (("TURN", "RFC 821 4.1.1"), ("ETRN", "RFC 1985"), ("ATRN", "RFC 2645"),
                    ("SEND", "RFC 821 4.1.1"), ("SOML", "RFC 821 4.1.1"),
                    ("SAML", "RFC 821 4.1.1")):
    COMMANDS[_verb] = CommandInfo(_rfc, Text(
        f"{_verb} is an old or rarely used command that this server does not implement.",
        f"{_verb} 是一个很少使用或已过时的命令，本服务器没有实现。"))

AUTH_RESPONSE = CommandInfo("RFC 4954 4", Text(
    "Not a command: the client's answer to a 334 challenge, in base64 (a user name or a "
    "password, or both for PLAIN). \"*\" would cancel.",
    "这不是命令，而是客户端对 334 质询的回答，用 base64 编码（用户名或密码；PLAIN 则两者都有）。"
    "发送“*”可以取消。"))

UNKNOWN_COMMAND = CommandInfo("RFC 5321 4.2.4", Text(
    "Not an SMTP command the server knows; it answers 500.",
    "服务器不认识的 SMTP 命令；它回答 500。"))

REPLY_CLASSES: dict[int, Text] = {
    2: Text("2yz positive completion: the command succeeded.",
            "2yz 肯定完成：命令成功。"),
    3: Text("3yz positive intermediate: go on, the server waits for more.",
            "3yz 肯定中间：继续，服务器在等待更多内容。"),
    4: Text("4yz transient failure: try again later; a mail client keeps the mail queued.",
            "4yz 暂时失败：稍后重试；邮件客户端会保留这封邮件。"),
    5: Text("5yz permanent failure: do not repeat the same command unchanged.",
            "5yz 永久失败：不要原样重复这条命令。"),
}

ENHANCED_SUBJECTS: dict[str, Text] = {  # RFC 3463 3: the middle number of x.y.z
    "0": Text("other or undefined", "其他或未定义"),
    "1": Text("addressing", "地址"),
    "2": Text("mailbox", "邮箱"),
    "3": Text("mail system", "邮件系统"),
    "4": Text("network and routing", "网络与路由"),
    "5": Text("mail delivery protocol", "邮件传送协议"),
    "6": Text("message content or media", "邮件内容或媒体"),
    "7": Text("security or policy", "安全或策略"),
}

REPLIES: dict[int, ReplyInfo] = {
    214: ReplyInfo(Text("Help message.", "帮助信息。"),
                   Text("Nothing to do: it is for a human.", "无需处理：这是给人看的。")),
    220: ReplyInfo(Text("Service ready: the server greets the client.",
                        "服务就绪：服务器向客户端问候。"),
                   Text("The client sends EHLO (or HELO).", "客户端接着发送 EHLO（或 HELO）。")),
    221: ReplyInfo(Text("Closing the connection.", "正在关闭连接。"),
                   Text("The session is over.", "会话结束。")),
    235: ReplyInfo(Text("Authentication succeeded.", "认证成功。"),
                   Text("The client goes on with MAIL FROM.", "客户端接着发送 MAIL FROM。")),
    250: ReplyInfo(Text("Requested action okay, completed.", "请求的操作完成。"),
                   Text("The client sends the next command.", "客户端发送下一条命令。")),
    252: ReplyInfo(Text("Cannot verify the user, but will accept mail for it.",
                        "无法验证该用户，但会接收发给它的邮件。"),
                   Text("Send the mail; delivery will tell.", "直接发信即可。")),
    334: ReplyInfo(Text("Authentication challenge (base64): the server waits for the next "
                        "piece of the login, e.g. VXNlcm5hbWU6 is base64 for \"Username:\".",
                        "认证质询（base64）：服务器等待登录的下一部分，例如 VXNlcm5hbWU6 是"
                        "“Username:”的 base64。"),
                   Text("The client answers with one base64 line.",
                        "客户端用一行 base64 回答。")),
    354: ReplyInfo(Text("Start mail input; end with <CRLF>.<CRLF>.",
                        "开始输入邮件；以 <CRLF>.<CRLF> 结束。"),
                   Text("The client sends the message, then a line with only \".\".",
                        "客户端发送邮件内容，然后发送只含“.”的一行。")),
    421: ReplyInfo(Text("Service not available, closing the connection (idle too long, "
                        "too many errors, or the server is shutting down).",
                        "服务不可用，正在关闭连接（空闲太久、错误太多或服务器正在关闭）。"),
                   Text("Connect again later; a mail client retries by itself.",
                        "稍后重新连接；邮件客户端会自动重试。")),
    450: ReplyInfo(Text("Mailbox unavailable for now (busy or greylisted).",
                        "邮箱暂时不可用（忙或被灰名单延迟）。"),
                   Text("Keep the mail and try again later.", "保留邮件，稍后重试。")),
    451: ReplyInfo(Text("Local error in processing: the server had a problem.",
                        "处理时发生本地错误：服务器出了问题。"),
                   Text("Try again later.", "稍后重试。")),
    452: ReplyInfo(Text("Insufficient system storage, or too many recipients.",
                        "系统存储不足，或收件人太多。"),
                   Text("Send the remaining recipients in another transaction.",
                        "把其余收件人放到另一个事务中发送。")),
    500: ReplyInfo(Text("Syntax error: command unrecognized, or the line is too long.",
                        "语法错误：无法识别的命令，或命令行太长。"),
                   Text("Check the spelling of the command; SMTP lines end with CRLF.",
                        "检查命令拼写；SMTP 的行以 CRLF 结尾。")),
    501: ReplyInfo(Text("Syntax error in parameters or arguments.", "参数语法错误。"),
                   Text("Fix the argument, e.g. MAIL FROM:<name@example.com>.",
                        "改正参数，例如 MAIL FROM:<name@example.com>。")),
    502: ReplyInfo(Text("Command not implemented by this server.", "本服务器没有实现该命令。"),
                   Text("Do without it.", "不要使用这条命令。")),
    503: ReplyInfo(Text("Bad sequence of commands: the order of the dialogue was broken.",
                        "命令顺序错误：对话的顺序被打乱了。"),
                   Text("Follow EHLO, MAIL, RCPT, DATA in that order.",
                        "按 EHLO、MAIL、RCPT、DATA 的顺序发送。")),
    504: ReplyInfo(Text("Command parameter not implemented (e.g. an AUTH mechanism).",
                        "命令参数没有实现（例如某种 AUTH 机制）。"),
                   Text("Use one that EHLO advertised (AUTH PLAIN or LOGIN here).",
                        "使用 EHLO 中列出的方式（这里是 AUTH PLAIN 或 LOGIN）。")),
    530: ReplyInfo(Text("Authentication required before sending mail.", "发信前必须先认证。"),
                   Text("Log in with AUTH, then send MAIL FROM again.",
                        "先用 AUTH 登录，再发送 MAIL FROM。")),
    550: ReplyInfo(Text("Mailbox unavailable: no such user, or refused by policy.",
                        "邮箱不可用：用户不存在，或被策略拒绝。"),
                   Text("Do not retry this recipient; the client reports it to the sender.",
                        "不要再试这个收件人；客户端会告诉发件人。")),
    552: ReplyInfo(Text("Exceeded storage allocation: the message is too large.",
                        "超出存储分配：邮件太大。"),
                   Text("Send a smaller message (see SIZE in the EHLO reply).",
                        "发送更小的邮件（见 EHLO 回复中的 SIZE）。")),
    553: ReplyInfo(Text("Mailbox name not allowed.", "邮箱名不允许。"),
                   Text("Correct the address.", "改正地址。")),
    554: ReplyInfo(Text("Transaction failed (or, as a greeting, no service here).",
                        "事务失败（如果出现在问候中，表示这里不提供服务）。"),
                   Text("Do not retry unchanged.", "不要原样重试。")),
    555: ReplyInfo(Text("MAIL FROM/RCPT TO parameter not recognized or not implemented.",
                        "MAIL FROM/RCPT TO 的参数无法识别或没有实现。"),
                   Text("Send the command without that parameter.", "去掉该参数后重发命令。")),
}

EHLO_KEYWORDS: dict[str, CommandInfo] = {
    "8BITMIME": CommandInfo("RFC 6152", Text(
        "The server accepts 8-bit message bodies (BODY=8BITMIME), so UTF-8 or GBK text need "
        "not be base64 or quoted-printable encoded.",
        "服务器接受 8 位邮件正文（BODY=8BITMIME），UTF-8 或 GBK 文本不必再用 base64 或 QP 编码。")),
    "SIZE": CommandInfo("RFC 1870", Text(
        "The largest message the server accepts, in octets; the client may declare its size "
        "with MAIL FROM:<...> SIZE=n and be refused before sending.",
        "服务器接受的最大邮件字节数；客户端可以在 MAIL FROM:<...> SIZE=n 中预先声明大小，"
        "太大时在发送前就会被拒绝。")),
    "PIPELINING": CommandInfo("RFC 2920", Text(
        "The client may send several commands (MAIL, RCPT..., DATA) without waiting for each "
        "reply, saving round trips.",
        "客户端可以连续发送多条命令（MAIL、RCPT…、DATA）而不必逐条等待回复，从而减少往返次数。")),
    "SMTPUTF8": CommandInfo("RFC 6531", Text(
        "Addresses and headers may be UTF-8, e.g. 用户@例子.中国.",
        "地址和信头可以使用 UTF-8，例如 用户@例子.中国。")),
    "ENHANCEDSTATUSCODES": CommandInfo("RFC 2034, RFC 3463", Text(
        "Replies carry a class.subject.detail code such as 2.1.0 after the three digits.",
        "回复在三位数字后面带有“类别.主题.细节”形式的代码，例如 2.1.0。")),
    "AUTH": CommandInfo("RFC 4954", Text(
        "The login mechanisms the server offers (here PLAIN and LOGIN).",
        "服务器提供的登录机制（这里是 PLAIN 和 LOGIN）。")),
    "AUTH=PLAIN": CommandInfo("pre-standard AUTH draft", Text(
        "The same list in the old draft syntax, which Outlook Express and early Outlook "
        "versions look for.",
        "同一列表的旧草案写法，Outlook Express 和早期 Outlook 会查找它。")),
    "HELP": CommandInfo("RFC 5321 4.1.1.8", Text(
        "The server answers the HELP command.", "服务器支持 HELP 命令。")),
    "STARTTLS": CommandInfo("RFC 3207", Text(
        "The connection can be switched to TLS with STARTTLS.",
        "可以用 STARTTLS 把连接升级为 TLS。")),
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
    return COMMANDS.get(line.split(" ", 1)[0].upper(), UNKNOWN_COMMAND)


def ehlo_keyword_info(keyword_line: str) -> CommandInfo | None:
    """The EHLO keyword on one line of a 250 reply ("SIZE 33554432", "AUTH=PLAIN LOGIN")."""
    word = keyword_line.split(" ", 1)[0].upper()
    return EHLO_KEYWORDS.get("AUTH=PLAIN" if word.startswith("AUTH=") else word)


def explain_command(line: str, lang: str, *, answers_challenge: bool = False) -> str:
    info = command_info(line, answers_challenge=answers_challenge)
    return f"{info.meaning(lang)} ({info.rfc})"


def explain_enhanced_code(text: str, lang: str) -> str | None:
    """Explain an RFC 3463 code at the start of a reply text, e.g. "5.1.3 Bad address"."""
    code = text.split(" ", 1)[0]
    parts = code.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or parts[0] not in "245":
        return None
    subject = ENHANCED_SUBJECTS.get(parts[1], ENHANCED_SUBJECTS["0"])
    label = "增强状态码" if lang == "zh" else "enhanced status code"
    return f"{label} {code}: {subject(lang)} (RFC 3463)"


def explain_reply(code: int, lines: tuple[str, ...] | list[str], lang: str) -> str:
    """The class, meaning and next step of a reply, and each EHLO keyword it lists."""
    parts = [REPLY_CLASSES[code // 100](lang)] if code // 100 in REPLY_CLASSES else []
    info = REPLIES.get(code)
    if info is not None:
        parts += [f"{code}: {info.meaning(lang)}", ("下一步：" if lang == "zh" else "Next: ")
                  + info.next_step(lang)]
    enhanced = explain_enhanced_code(lines[0], lang) if lines else None
    if enhanced:
        parts.append(enhanced)
    if code == 250 and len(lines) > 1:
        for keyword_line in lines[1:]:
            keyword = ehlo_keyword_info(keyword_line)
            if keyword is not None:
                parts.append(f"{keyword_line}: {keyword.meaning(lang)} ({keyword.rfc})")
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """A lab scenario: what the server does differently, and what clients are expected to do."""

    what: Text
    expect: Text


SCENARIOS: dict[str, ScenarioInfo] = {
    "reject-recipient": ScenarioInfo(
        Text("Every RCPT TO is refused with 550 5.1.1 (no such user).",
             "每个 RCPT TO 都以 550 5.1.1（用户不存在）拒绝。"),
        Text("A permanent failure: Outlook reports the message undeliverable, Thunderbird shows "
             "the server's 5.1.1 reply and asks you to check the recipient, Foxmail reports "
             "the send as failed with the reply. None of them retries.",
             "永久失败：Outlook 报告邮件无法投递，Thunderbird 显示服务器的 5.1.1 回复并请你检查收件人，"
             "Foxmail 报告发送失败并附上回复。它们都不会重试。")),
    "defer-recipient": ScenarioInfo(
        Text("Every RCPT TO is deferred with 450 4.2.1 (try again later).",
             "每个 RCPT TO 都以 450 4.2.1（稍后再试）暂缓。"),
        Text("A transient failure: the mail stays in the Outbox (Outlook) or Unsent folder "
             "(Thunderbird, Foxmail), and the client tries again at the next send.",
             "暂时失败：邮件留在发件箱（Outlook）或未发送邮件夹（Thunderbird、Foxmail）中，"
             "客户端在下次发送时再试。")),
    "require-auth": ScenarioInfo(
        Text("MAIL FROM before a successful AUTH is refused with 530 5.7.0.",
             "在 AUTH 成功之前发送 MAIL FROM 会被 530 5.7.0 拒绝。"),
        Text("A client without \"My outgoing server requires authentication\" (Outlook) or with "
             "authentication \"None\" (Thunderbird) fails; switch it on and watch AUTH LOGIN "
             "carry the base64 user name and password.",
             "没有勾选“我的发送服务器要求验证”（Outlook）或认证方式为“无”（Thunderbird）的客户端会失败；"
             "打开验证后，可以看到 AUTH LOGIN 用 base64 传送用户名和密码。")),
    "too-large": ScenarioInfo(
        Text("SIZE is advertised as 10240 octets; larger mail gets 552 (at MAIL FROM when the "
             "client declares SIZE=, otherwise after the final \".\").",
             "EHLO 中声明 SIZE 为 10240 字节；更大的邮件会得到 552（客户端用 SIZE= 声明时在 MAIL FROM "
             "阶段，否则在最后的“.”之后）。"),
        Text("Clients that use SIZE= (Foxmail, Thunderbird) are refused before sending any data; "
             "attach a picture to see it. Each reports the message as too large.",
             "使用 SIZE= 的客户端（Foxmail、Thunderbird）在发送数据之前就被拒绝；附上一张图片即可看到。"
             "客户端都会报告邮件太大。")),
    "busy": ScenarioInfo(
        Text("The server greets with 421 (service not available) and closes the connection.",
             "服务器以 421（服务不可用）问候后立即关闭连接。"),
        Text("Clients report that the server is unavailable and keep the mail to retry later.",
             "客户端报告服务器不可用，并保留邮件以便稍后重试。")),
    "slow": ScenarioInfo(
        Text("Every reply is delayed by --delay seconds (default 3).",
             "每个回复都延迟 --delay 秒（默认 3 秒）。"),
        Text("Watch the client wait: the sequence view shows each round trip. With a delay "
             "longer than the client's server timeout (Outlook: a slider, one minute by "
             "default) the client gives up.",
             "观察客户端的等待：时序图显示每一次往返。延迟超过客户端的服务器超时"
             "（Outlook 中的滑块，默认一分钟）时，客户端会放弃。")),
    "no-auth": ScenarioInfo(
        Text("AUTH is not advertised in the EHLO reply (and AUTH gets 502).",
             "EHLO 回复中不列出 AUTH（发送 AUTH 会得到 502）。"),
        Text("A client set to authenticate reports that the server does not support it "
             "(Thunderbird says so plainly); one set to no authentication sends as usual.",
             "设置为需要验证的客户端会报告服务器不支持验证（Thunderbird 会直接说明）；"
             "不验证的客户端照常发送。")),
    "no-pipelining": ScenarioInfo(
        Text("PIPELINING is not advertised.", "EHLO 回复中不列出 PIPELINING。"),
        Text("The client waits for each reply before the next command: compare the number of "
             "round trips in the sequence view with a pipelined session.",
             "客户端每发一条命令都等待回复：在时序图中比较与流水线会话的往返次数。")),
    "no-8bitmime": ScenarioInfo(
        Text("8BITMIME is not advertised.", "EHLO 回复中不列出 8BITMIME。"),
        Text("Clients no longer send BODY=8BITMIME and encode non-ASCII text as base64 or "
             "quoted-printable instead; compare the raw content with a normal session.",
             "客户端不再发送 BODY=8BITMIME，而是把非 ASCII 文本编码为 base64 或 quoted-printable；"
             "与正常会话比较原始内容。")),
    "drop-in-data": ScenarioInfo(
        Text("The server closes the connection after the first 1 KiB of DATA.",
             "服务器在收到 DATA 的前 1 KiB 后关闭连接。"),
        Text("The client reports a lost connection and keeps the mail; the observer shows "
             "what had arrived as an incomplete message.",
             "客户端报告连接中断并保留邮件；观察器把已收到的部分显示为不完整的邮件。")),
}


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
