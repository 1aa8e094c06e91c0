"""What each POP3 line means, for a learner: commands, responses, CAPA capabilities and the
three states, zh and en, with the RFC section of each. Pure data and lookups, like explain.py
(whose Text and CommandInfo it uses); a test walks every table in both languages.
"""

from __future__ import annotations

import explain
from events import POP3_ERR, PROTOCOL_POP3, RemarkKind, ServerEvent
from explain import CommandInfo, Text

COMMANDS: dict[str, CommandInfo] = {
    "USER": CommandInfo("RFC 1939 §7", Text(
        "Gives the user name of the maildrop (the mailbox) to log on to; PASS follows. "
        "Both travel in the clear unless the connection uses TLS.",
        "给出要登录的邮箱（maildrop）的用户名，接着发送 PASS。没有 TLS 时两者都以明文传送。")),
    "PASS": CommandInfo("RFC 1939 §7", Text(
        "Gives the password, in the clear: anyone who captures the packets can read it. "
        "It may only follow a successful USER.",
        "给出密码，而且是明文：任何抓包的人都能读到。它只能紧跟在成功的 USER 之后。")),
    "APOP": CommandInfo("RFC 1939 §7", Text(
        "Logs on without sending the password: the client sends the user name and the MD5 "
        "digest of the greeting's <timestamp> followed by the password. MD5 is weak today; "
        "TLS is the real protection.",
        "不发送密码而登录：客户端发送用户名，以及问候中 <时间戳> 后接密码的 MD5 摘要。"
        "MD5 如今已不安全，真正的保护是 TLS。")),
    "AUTH": CommandInfo("RFC 5034 §4", Text(
        "Logs on with a SASL mechanism (here PLAIN: base64 of user and password, an "
        "encoding, not encryption). Without an argument it asks for the list of mechanisms.",
        "用 SASL 机制登录（这里是 PLAIN：用户名和密码的 base64，只是编码而不是加密）。"
        "不带参数时表示询问服务器支持哪些机制。")),
    "STLS": CommandInfo("RFC 2595 §4", Text(
        "Asks to switch the connection to TLS before logging on; from then on a packet "
        "capture sees only ciphertext, the password included.",
        "请求在登录前把连接升级为 TLS；之后抓包只能看到密文，密码也不例外。")),
    "CAPA": CommandInfo("RFC 2449 §5", Text(
        "Asks the server which extensions it supports; the answer is a list ending with a "
        "line holding only \".\".",
        "询问服务器支持哪些扩展功能；应答是一个列表，以只含“.”的一行结束。")),
    "STAT": CommandInfo("RFC 1939 §5", Text(
        "Asks how many messages the maildrop holds and their total size in octets (messages "
        "marked as deleted are not counted).",
        "询问邮箱里有多少封邮件、总共多少字节（已标记删除的不计）。")),
    "LIST": CommandInfo("RFC 1939 §5", Text(
        "Lists each message's number and size in octets; with a number, just that message.",
        "列出每封邮件的编号和字节数；带编号时只列出那一封。")),
    "UIDL": CommandInfo("RFC 1939 §7", Text(
        "Lists each message's unique id, which stays the same across sessions. A client "
        "that \"leaves a copy on the server\" compares these ids with the ones it has "
        "already downloaded and fetches only the new messages.",
        "列出每封邮件的唯一标识（UID），它在不同会话中保持不变。设置了“在服务器上保留邮件副本”的"
        "客户端用它与已下载过的标识比较，只下载新邮件。")),
    "RETR": CommandInfo("RFC 1939 §5", Text(
        "Retrieves one whole message: headers, a blank line and the body, exactly as it "
        "arrived by SMTP; lines that begin with \".\" get a second dot on the wire, and a "
        "line holding only \".\" ends it.",
        "取回一整封邮件：首部、一个空行和主体，与经 SMTP 到达时完全相同；以“.”开头的行在线路上"
        "会多加一个点，最后以只含“.”的一行结束。")),
    "TOP": CommandInfo("RFC 1939 §7", Text(
        "Retrieves a message's headers and the first n lines of its body: a client can show "
        "the subject list without downloading every attachment.",
        "取回一封邮件的首部和主体的前 n 行：客户端不必下载附件就能显示主题列表。")),
    "DELE": CommandInfo("RFC 1939 §5", Text(
        "Marks a message as deleted. Nothing is removed yet: RSET can undo it, and only QUIT "
        "(the UPDATE state) really removes it.",
        "把一封邮件标记为删除。此时还没有真正删除：RSET 可以撤销，只有 QUIT（进入更新状态）"
        "才真正删除。")),
    "RSET": CommandInfo("RFC 1939 §5", Text(
        "Unmarks every message marked as deleted in this session.",
        "取消本次会话中所有的删除标记。")),
    "NOOP": CommandInfo("RFC 1939 §5", Text(
        "Does nothing; the server answers +OK. Clients use it to keep the connection alive.",
        "什么也不做，服务器回答 +OK。客户端用它保持连接。")),
    "QUIT": CommandInfo("RFC 1939 §6", Text(
        "Ends the session. After logging on it moves the server to the UPDATE state: the "
        "messages marked with DELE are removed now. A connection that just drops removes "
        "nothing.",
        "结束会话。登录后发送 QUIT 会让服务器进入更新状态：此时才删除用 DELE 标记的邮件。"
        "连接直接断开则什么也不删除。")),
}

SASL_RESPONSE = CommandInfo("RFC 5034 §4", Text(
    "Not a command: the client's answer to the \"+ \" challenge, in base64 (for PLAIN: "
    "authorization id, user name and password separated by NUL bytes). \"*\" would cancel.",
    "这不是命令，而是客户端对“+ ”质询的回答，用 base64 编码（PLAIN 中是授权标识、用户名和密码，"
    "以 NUL 字节分隔）。发送“*”可以取消。"))

UNKNOWN_COMMAND = CommandInfo("RFC 1939 §3", Text(
    "Not a POP3 command the server knows; it answers -ERR and the session goes on.",
    "服务器不认识的 POP3 命令；它回答 -ERR，会话继续。"))

RESPONSES: dict[str, CommandInfo] = {
    "+OK": CommandInfo("RFC 1939 §3", Text(
        "Positive response: the command succeeded. POP3 has no reply codes, only +OK and "
        "-ERR; the text after them is for people (RESP-CODES may add a code in brackets).",
        "肯定应答：命令成功。POP3 没有应答码，只有 +OK 和 -ERR；后面的文字是给人看的"
        "（RESP-CODES 扩展可以在方括号里加一个代码）。")),
    "-ERR": CommandInfo("RFC 1939 §3", Text(
        "Negative response: the command failed (unknown command, wrong state, bad argument, "
        "no such message...). The session goes on; the text says why.",
        "否定应答：命令失败（未知命令、状态不对、参数错误、没有这封邮件……）。会话继续，"
        "后面的文字说明原因。")),
    "+": CommandInfo("RFC 5034 §4", Text(
        "A SASL challenge: the server waits for the next piece of the login, in base64 "
        "(for PLAIN the challenge is empty).",
        "SASL 质询：服务器等待登录的下一部分（base64 编码）；PLAIN 的质询是空的。")),
}

MULTILINE = Text(
    "A multi-line response: the lines after +OK end with a line holding only \".\"; a line "
    "of the content that begins with \".\" gets a second dot (byte-stuffing), which the "
    "client removes.",
    "多行应答：+OK 之后的各行以只含“.”的一行结束；内容中以“.”开头的行会多加一个点"
    "（字节填充），客户端再去掉它。")

CAPABILITIES: dict[str, CommandInfo] = {
    "TOP": CommandInfo("RFC 2449 §6.1", Text(
        "The server implements TOP.", "服务器实现了 TOP 命令。")),
    "UIDL": CommandInfo("RFC 2449 §6.5", Text(
        "The server implements UIDL: clients can leave a copy of the mail on the server.",
        "服务器实现了 UIDL：客户端可以在服务器上保留邮件副本。")),
    "USER": CommandInfo("RFC 2449 §6.2", Text(
        "USER and PASS are accepted (the password goes in the clear without TLS).",
        "接受 USER 和 PASS 登录（没有 TLS 时密码以明文传送）。")),
    "SASL": CommandInfo("RFC 2449 §6.3, RFC 5034", Text(
        "The SASL mechanisms AUTH accepts (here PLAIN).",
        "AUTH 命令接受的 SASL 机制（这里是 PLAIN）。")),
    "RESP-CODES": CommandInfo("RFC 2449 §6.4", Text(
        "A -ERR may carry a code in square brackets, such as [IN-USE] or [AUTH], that a "
        "client can act on.",
        "-ERR 后面可以带方括号里的代码，如 [IN-USE] 或 [AUTH]，客户端可以据此处理。")),
    "STLS": CommandInfo("RFC 2595 §4", Text(
        "The connection can be switched to TLS with STLS before logging on.",
        "登录前可以用 STLS 把连接升级为 TLS。")),
    "IMPLEMENTATION": CommandInfo("RFC 2449 §6.9", Text(
        "The name of the server software, for people; clients must not act on it.",
        "服务器软件的名称，给人看的；客户端不应据此改变行为。")),
}

STATES: dict[str, Text] = {
    "authorization": Text(
        "AUTHORIZATION: the client has connected and must log on (USER/PASS, APOP or AUTH).",
        "授权状态：客户端已连接，必须先登录（USER/PASS、APOP 或 AUTH）。"),
    "transaction": Text(
        "TRANSACTION: logged on; the client lists, retrieves and marks messages for deletion.",
        "事务处理状态：已登录；客户端可以列出、取回邮件，并标记要删除的邮件。"),
    "update": Text(
        "UPDATE: after QUIT the server removes the messages marked as deleted and closes.",
        "更新状态：收到 QUIT 后，服务器删除已标记的邮件并关闭连接。"),
    "done": Text("The connection has ended.", "连接已结束。"),
}

REMARKS: dict[RemarkKind, Text] = {
    RemarkKind.POP3_PASSWORD: Text(
        "USER and PASS sent user '{user}', password '{masked}' ({length} characters) over "
        "the network in the clear: anyone who captures the packets can read the password. "
        "STLS (or POP3 over TLS on port 995) would hide it.",
        "USER 和 PASS 以明文在网络上传送了用户名“{user}”，密码“{masked}”（{length} 个字符）："
        "任何抓包的人都能读到密码。使用 STLS（或端口 995 上基于 TLS 的 POP3）可以隐藏它。"),
    RemarkKind.POP3_AUTH_PLAIN: Text(
        "AUTH PLAIN decoded: user '{user}', password '{masked}' ({length} characters). "
        "Base64 is an encoding, not encryption: anyone on the network path can read both.",
        "AUTH PLAIN 解码结果：用户名“{user}”，密码“{masked}”（{length} 个字符）。"
        "base64 只是编码而不是加密：线路上的任何人都能读到两者。"),
    RemarkKind.POP3_APOP: Text(
        "APOP: user '{user}' sent the MD5 digest {digest} of the greeting's timestamp "
        "{timestamp} and the password, not the password itself (any digest is accepted here).",
        "APOP：用户名“{user}”发送的是问候中的时间戳 {timestamp} 加上密码的 MD5 摘要 {digest}，"
        "而不是密码本身（这里接受任何摘要）。"),
    RemarkKind.POP3_SPA: Text(
        "The client asked for {mechanism}: in Outlook, switch off 'Require logon using Secure "
        "Password Authentication (SPA)' for the incoming server.",
        "客户端请求 {mechanism} 认证：请在 Outlook 的接收服务器设置中取消勾选"
        "“要求使用安全密码验证(SPA)进行登录”。"),
    RemarkKind.UIDL_FIRST: Text(
        "The client asked for UIDL before retrieving anything: it compares the unique ids with "
        "those it downloaded before and fetches only new messages. This is how \"leave a copy "
        "of messages on the server\" works.",
        "客户端在取信之前先发送 UIDL：它把唯一标识与以前下载过的比较，只取新邮件。"
        "“在服务器上保留邮件副本”就是这样实现的。"),
    RemarkKind.MAIL_LEFT: Text(
        "The client retrieved {count} message(s) and deleted none: the mail stays on the "
        "server (\"leave a copy on the server\").",
        "客户端取回了 {count} 封邮件，但没有删除：邮件留在服务器上（“在服务器上保留副本”）。"),
    RemarkKind.MAIL_DELETED: Text(
        "QUIT removed {count} message(s) marked with DELE from the maildrop (the UPDATE "
        "state): a POP3 client normally downloads and deletes. The window's list keeps them.",
        "QUIT 使服务器进入更新状态，删除了 {count} 封用 DELE 标记的邮件：POP3 客户端通常是下载后"
        "删除。窗口的邮件列表中仍保留它们。"),
    RemarkKind.AUTOLOGOUT: Text(
        "Autologout: the client was idle too long. The connection closes without the UPDATE "
        "state, so messages marked as deleted stay in the maildrop (RFC 1939 3).",
        "自动退出：客户端空闲太久。连接在不进入更新状态的情况下关闭，已标记删除的邮件仍留在邮箱中"
        "（RFC 1939 第 3 节）。"),
    RemarkKind.POP3_AFTER_STLS: Text(
        "The client sent {octets} octets after STLS before TLS began; they were discarded, as "
        "RFC 2595 4 requires (a man in the middle could have injected them).",
        "客户端在 STLS 之后、TLS 开始之前又发送了 {octets} 个字节；按 RFC 2595 第 4 节的要求"
        "它们被丢弃了（可能是中间人注入的）。"),
}


def command_info(line: str, *, answers_challenge: bool = False) -> CommandInfo:
    """What a POP3 client line asks for; `answers_challenge` after a "+ " challenge."""
    if answers_challenge:
        return SASL_RESPONSE
    return COMMANDS.get(line.split(" ", 1)[0].upper(), UNKNOWN_COMMAND)


def capability_info(line: str) -> CommandInfo | None:
    """The capability on one line of a CAPA response ("SASL PLAIN", "IMPLEMENTATION ...")."""
    return CAPABILITIES.get(line.split(" ", 1)[0].upper())


def explain_command(line: str, lang: str, *, answers_challenge: bool = False) -> str:
    return explain.describe(command_info(line, answers_challenge=answers_challenge), lang)


def explain_response(status: str, lines: tuple[str, ...], lang: str, *,
                     multiline: bool = False) -> str:
    parts = [explain.describe(RESPONSES.get(status, RESPONSES[POP3_ERR]), lang)]
    if multiline:
        parts.append(MULTILINE(lang))
    parts += [explain.keyword_heading(line, lang) + explain.describe(found, lang)
              for line in lines if (found := capability_info(line)) is not None]
    return "\n".join(parts)


def explain_command_event(event: ServerEvent, lang: str) -> str:
    """A command event of either protocol, explained."""
    if event.protocol != PROTOCOL_POP3:
        return explain.explain_command(event.line, lang,
                                       answers_challenge=event.answers_challenge)
    return explain_command(event.line, lang, answers_challenge=event.answers_challenge)


def explain_reply_event(event: ServerEvent, lang: str) -> str:
    """A reply event of either protocol (ReplySent or POP3Reply), explained."""
    if event.protocol != PROTOCOL_POP3:
        return explain.explain_reply(event.code, event.lines, lang)
    return explain_response(event.status, event.lines or (), lang, multiline=event.multiline)
