"""The program's own words about what it saw, in both languages: the remarks of the server and
of the decoder, as Text(en, zh) templates keyed by their kind.

A remark is data (events.Note: a kind and the values it names); it becomes words only here,
in the reader's language. Names stay as they are in both languages: commands, EHLO keywords,
header field names, charsets, RFC numbers, addresses. Chinese follows the textbook terms
(应答, 首部, 主体, 内容传送编码, 身份验证) and full-width punctuation. A test checks that every
kind has both languages and that both name the same values.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import explain_pop3
from events import DisconnectReason, MessageReceived, Note, RemarkKind
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
        "邮件中有 {count} 行以“.”开头：客户端在每个这样的行前多加了一个点，服务器再把它去掉"
        "（点填充，RFC 5321 §4.5.2），这样只有单独一个“.”的行才表示数据结束。"),
    K.SIZE_EXACT: Text(
        "MAIL FROM declared SIZE={declared:,}; the message, once the server removed the "
        "dot-stuffing, was exactly that many octets.",
        "MAIL FROM 声明了 SIZE={declared:,}；服务器去掉点填充后，邮件正好是这么多字节。"),
    K.SIZE_ESTIMATED: Text(
        "MAIL FROM declared SIZE={declared:,}; the message, once the server removed the "
        "dot-stuffing, was {actual:,} octets (RFC 1870 lets a client estimate).",
        "MAIL FROM 声明了 SIZE={declared:,}；服务器去掉点填充后，邮件实际为 {actual:,} 字节"
        "（RFC 1870 允许客户端估计）。"),
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
    K.CLIENT_WAITING: Text(
        "Another client was waiting, and this one sent no complete command for {seconds} s: "
        "the observer serves one client at a time, so it closed this connection (as Postfix "
        "shortens its timeouts under load).",
        "另一个客户端正在等待，而这个客户端 {seconds} 秒内没有发来完整的命令：观察器一次只服务"
        "一个客户端，所以关闭了这个连接（与 Postfix 在负载高时缩短超时相同）。"),
    K.JUNK_COMMANDS: Text(
        "More than {limit} NOOP, RSET, VRFY or HELP commands without a message: each further "
        "one counts as an error, and {errors} errors close the connection (as Postfix's "
        "smtpd_junk_command_limit).",
        "没有发送邮件却发了超过 {limit} 个 NOOP、RSET、VRFY 或 HELP 命令：之后每个都算作一次"
        "错误，累计 {errors} 次错误将关闭连接（与 Postfix 的 smtpd_junk_command_limit 相同）。"),
    # -- the decoder, about the message
    K.HEADERS_ONLY: Text(
        "The message declares {containers} multipart or message parts, more than {limit}: only "
        "its headers are decoded, so that the observer stays responsive.",
        "邮件声明了 {containers} 个多部分主体或 message 部分，超过 {limit} 个：只解码它的首部，"
        "以免观察器失去响应。"),
    K.TOO_MANY_LINES: Text(
        "The message has {lines} lines outside its base64 parts, more than {limit}: only its "
        "headers are decoded, so that the observer stays responsive and its memory bounded.",
        "这封邮件在 base64 部分之外有 {lines} 行，超过 {limit} 行：只解码它的首部，"
        "以免观察器失去响应、占用过多内存。"),
    K.LONG_HEADER_BLOCK: Text(
        "The message's header has more than {limit} lines: only its first {limit} lines are "
        "decoded, and not its body, so that the observer's memory stays bounded.",
        "邮件的首部超过 {limit} 行：只解码首部的前 {limit} 行，不解码主体，"
        "以免观察器占用过多内存。"),
    K.NESTING_CAPPED: Text(
        "{where}: nested deeper than {limit} levels (Postfix's mime_nesting_limit): only its "
        "headers are decoded, its body is left as it is",
        "{where}：嵌套超过 {limit} 层（与 Postfix 的 mime_nesting_limit 相同），只解码它的首部，"
        "主体保持原样"),
    K.BARE_LINE_ENDS: Text(
        "The message has bare {ends} line ends (SMTP and RFC 5322 require CRLF); mail servers "
        "may treat them differently.",
        "邮件中有单独的 {ends} 行结束符（SMTP 和 RFC 5322 要求 CRLF）；不同的邮件服务器可能处理得不一样。"),
    K.HEADER_PROBLEM: Text("Header {name}: {problem}.", "首部 {name}：{problem}。"),
    K.MISSING_FROM: Text(
        "The message has no From header: RFC 5322 3.6 requires it.",
        "邮件没有 From 首部：RFC 5322 §3.6 要求必须有。"),
    K.MISSING_DATE: Text(
        "The message has no Date header: RFC 5322 3.6 requires it; a submission server would "
        "add it. (Outlook's account test message has none.)",
        "邮件没有 Date 首部：RFC 5322 §3.6 要求必须有；邮件提交服务器会补上它。"
        "（Outlook 的账户测试邮件就没有。）"),
    K.MISSING_MESSAGE_ID: Text(
        "The message has no Message-ID header: RFC 5322 3.6 says it SHOULD be there; a "
        "submission server would add it.",
        "邮件没有 Message-ID 首部：RFC 5322 §3.6 规定应当（SHOULD）有；邮件提交服务器会补上它。"),
    K.HEADER_REPEATED: Text(
        "Header {name} appears {count} times; the first one is shown.",
        "首部 {name} 出现了 {count} 次；显示的是第一个。"),
    K.HEADER_UNPARSABLE: Text(
        "Header {name}: the email package cannot parse it ({error}).",
        "首部 {name}：email 包无法解析它（{error}）。"),
    K.PART_PROBLEM: Text("{where}: {problem}.", "{where}：{problem}。"),
    K.PART: Text("Part {path} ({content_type})", "第 {path} 部分（{content_type}）"),
    K.PART_UNDECODABLE: Text(
        "Part {path} could not be decoded ({error}).",
        "第 {path} 部分无法解码（{error}）。"),
    K.BOUNDARY_NEEDS_QUOTES: Text(
        "{where}: the boundary parameter has characters that need quotes (RFC 2046); it is "
        "read as mail readers do.",
        "{where}：boundary 参数中有需要加引号的字符（RFC 2046）；按邮件阅读程序的方式读取。"),
    K.PARTS_NOT_FOUND: Text(
        "{where}: its parts could not all be found in the raw bytes; their byte ranges are "
        "approximate.",
        "{where}：原始字节中找不到它的全部部分；它们的字节范围是近似的。"),
    K.CTE_READ_AS: Text(
        "{where}: Content-Transfer-Encoding {declared!r} is read as {token}.",
        "{where}：Content-Transfer-Encoding {declared!r} 按 {token} 读取。"),
    K.CTE_UNKNOWN: Text(
        "{where}: unknown Content-Transfer-Encoding {declared!r}; the body is taken as it is.",
        "{where}：未知的 Content-Transfer-Encoding {declared!r}；主体按原样接受。"),
    K.RANGE_APPROXIMATE: Text(
        "{where}: it could not be found exactly in the raw bytes; its byte range is approximate.",
        "{where}：在原始字节中无法准确找到它；它的字节范围是近似的。"),
    K.TNEF: Text(
        "{where} is winmail.dat (application/ms-tnef): Outlook's rich-text format, which other "
        "mail programs cannot show. In Outlook choose File > Options > Mail > Compose messages "
        "in HTML (or Plain Text), or turn off \"Send Outlook Rich Text format\" for that "
        "recipient.",
        "{where} 是 winmail.dat（application/ms-tnef）：Outlook 的 RTF 格式，其他邮件程序无法显示。"
        "请在 Outlook 中选择 文件 > 选项 > 邮件 > 使用此格式撰写邮件：HTML（或纯文本），"
        "或对该收件人关闭“发送 Outlook RTF 格式”。"),
    K.OUTLOOK_TEST: Text(
        "This is the message Outlook sends from \"Test Account Settings\".",
        "这是 Outlook 的“测试账户设置”发送的邮件。"),
    K.OUTLOOK_TEST_WITHOUT: Text(
        "This is the message Outlook sends from \"Test Account Settings\"; Outlook sends it "
        "without {missing}.",
        "这是 Outlook 的“测试账户设置”发送的邮件；Outlook 发送它时不带 {missing}。"),
    K.INTERNAL_ERROR: Text(
        "Decoding stopped early because of an internal error ({error}).",
        "由于内部错误，解码提前停止（{error}）。"),
    K.REUSED_BOUNDARY: Text(
        "Part {path} ({content_type}) reuses the boundary of part {parent} (RFC 2046 5.1.1 "
        "forbids it): its first closing boundary line also closes part {parent}.",
        "第 {path} 部分（{content_type}）重复使用了第 {parent} 部分的边界（RFC 2046 §5.1.1 禁止）："
        "它的第一个结束边界行同时结束了第 {parent} 部分。"),
    K.LOST_PART: Text(
        "Part {path} ({content_type}) lies outside the MIME structure as parsed (after a "
        "closing boundary, or in a multipart whose boundary never appears); it was found by "
        "its boundary line --{boundary}.",
        "第 {path} 部分（{content_type}）不在解析出的 MIME 结构内"
        "（在结束边界之后，或在边界从未出现的多部分主体中）；已按它的边界行 --{boundary} 找回。"),
    K.TOO_MANY_LOST_PARTS: Text(
        "More than {count} parts lie outside the MIME structure; the rest are not searched.",
        "超过 {count} 个部分不在 MIME 结构内；其余的不再查找。"),
    # -- why a message was not accepted
    K.MESSAGE_TOO_BIG: Text(
        "Message too big: {size:,} octets, the limit is {limit:,}; the data was read and "
        "discarded",
        "邮件太大：{size:,} 字节，上限是 {limit:,} 字节；数据已读取并丢弃"),
    K.MESSAGE_INCOMPLETE: Text(
        "The client disconnected before the end of the data",
        "客户端在数据结束之前断开了连接"),
    # -- why the server cannot listen
    K.PORT_UNUSABLE: Text("port {port}: {cause}", "端口 {port}：{cause}"),
    K.BIND_FAILED: Text("cannot listen on {address}: {cause}; try {option} {port}",
                        "无法在 {address} 上监听：{cause}；请试试 {option} {port}"),
    K.BIND_FAILED_ANY_PORT: Text(
        "cannot listen on {address}: {cause}; try {option} 0 for any free port",
        "无法在 {address} 上监听：{cause}；请用 {option} 0 选任意一个空闲端口"),
    K.BIND_DENIED: Text(
        "permission denied (ports below 1024 need root, or another program holds the port "
        "exclusively)",
        "权限不够（1024 以下的端口需要 root 权限，或另一个程序独占了这个端口）"),
    K.BIND_DENIED_WINDOWS: Text(
        "permission denied (another program holds the port exclusively, or Windows reserves "
        "it: netsh int ipv4 show excludedportrange protocol=tcp)",
        "权限不够（另一个程序独占了这个端口，或 Windows 保留了它："
        "netsh int ipv4 show excludedportrange protocol=tcp）"),
    K.BIND_IN_USE: Text(
        "the port is already in use (is another mail server or observer running?)",
        "端口已被占用（是否有另一个邮件服务器或观察器正在运行？）"),
    K.BIND_NOT_HERE: Text("{host} is not an address of this computer",
                          "{host} 不是这台计算机的地址"),
    K.BIND_OTHER: Text("{error}", "{error}"),
    # -- what else keeps the observer from starting, or it says at start-up
    K.TLS_CERTIFICATE_UNUSABLE: Text(
        "cannot use the TLS certificate {cert} and key {key}: {error}",
        "无法使用 TLS 证书 {cert} 和私钥 {key}：{error}"),
    K.REPORT_FOLDER_UNUSABLE: Text("cannot create the report folder {directory}: {error}",
                                   "无法创建报告文件夹 {directory}：{error}"),
    K.WINDOW_UNAVAILABLE: Text("The window cannot open ({error}); running headless instead.",
                               "窗口无法打开（{error}）；改为在终端中运行。"),
    K.REPORT_WRITTEN: Text("Report written: {paths}", "报告已写入：{paths}"),
    K.REPORT_NOT_WRITTEN: Text("cannot write the report: {error}", "无法写入报告：{error}"),
    # -- what went wrong inside the observer (the exception's own words stay as Python wrote them)
    K.SERVER_FAILED: Text("the server failed: {error}", "服务器内部出错：{error}"),
    K.COMMAND_FAILED: Text("the server failed on the command {line}: {error}",
                           "服务器处理命令 {line} 时内部出错：{error}"),
    K.DECODER_FAILED: Text("the decoder failed: {error}", "解码器出错：{error}"),
    K.CHILD_DECODER_FAILED: Text(
        "decoding in a child process failed ({error}); decoding in the server instead",
        "在子进程中解码失败（{error}）；改在服务器进程中解码"),
    # -- why a file or folder could not be used
    K.FILE_NOT_FOUND: Text("no such file or folder", "文件或文件夹不存在"),
    K.FILE_DENIED: Text("permission denied", "没有权限"),
    K.NOT_A_FOLDER: Text("a file stands where a folder is needed", "需要文件夹的地方是一个文件"),
    K.IS_A_FOLDER: Text("it is a folder, not a file", "这是一个文件夹，不是文件"),
    K.FILE_EXISTS: Text("a file of that name exists", "已有同名文件"),
    K.NOT_PEM: Text("not a PEM certificate and its private key ({reason})",
                    "不是一对匹配的 PEM 证书和私钥（{reason}）"),
    # -- parts of the decoder's sentences
    K.DECODED_AS: Text("{problem}; decoded as {codec}", "{problem}；按 {codec} 解码"),
    K.ENCODED_WORD: Text("encoded word: {problem}", "编码字：{problem}"),
    K.FILE_NAME_PROBLEM: Text("file name: {problem}", "文件名：{problem}"),
    K.CONTENT_ID_PROBLEM: Text("Content-ID: {problem}", "Content-ID：{problem}"),
    K.RAW_8BIT_HEADER: Text(
        "raw 8-bit bytes instead of RFC 2047 encoded words (allowed only with SMTPUTF8, RFC "
        "6532); decoded as {codec}",
        "使用了原始 8 位字节而不是 RFC 2047 编码字（只有 SMTPUTF8 才允许，RFC 6532）；按 {codec} 解码"),
    K.PARAM_8BIT: Text(
        "parameter {name} has raw 8-bit bytes; decoded as {codec}",
        "参数 {name} 中有原始 8 位字节；按 {codec} 解码"),
    K.PARAM_RFC2231: Text("parameter {name}*: {problem}", "参数 {name}*：{problem}"),
    K.CHARSET_UNKNOWN: Text("charset {charset!r} is unknown", "字符集 {charset!r} 未知"),
    K.CHARSET_INVALID: Text(
        "text labelled {charset} is not valid {charset}",
        "标为 {charset} 的文本并不是有效的 {charset}"),
    K.CHARSET_CUT: Text(
        "text labelled {charset} ends in the middle of a character (cut off?)",
        "标为 {charset} 的文本在一个字符的中间结束（被截断了？）"),
    K.BASE64_REPAIRED: Text(
        "bad base64 padding or length (cut off?), repaired",
        "base64 的填充或长度有误（被截断了？），已修复"),
    K.BASE64_SKIPPED: Text(
        "characters outside the base64 alphabet or after its padding (skipped)",
        "有 base64 字母表以外或填充之后的字符（已跳过）"),
    K.BODY_8BIT_IN_7BIT: Text(
        "the body has 8-bit bytes, but its transfer encoding is 7bit (declared, or by default)",
        "主体中有 8 位字节，但它的内容传送编码是 7bit（声明的或默认的）"),
    K.IMAGE_UNREADABLE: Text(
        "Pillow cannot read this image (corrupt, or a format it does not know)",
        "Pillow 无法读取这张图片（已损坏，或是它不认识的格式）"),
    K.IMAGE_NOT_OPENED: Text("image not opened: {error}", "图片未打开：{error}"),
    K.IMAGE_CORRUPT: Text("corrupt image ({error})", "图片已损坏（{error}）"),
    K.IMAGE_BOMB: Text(
        "{width}x{height} pixels is over Pillow's decompression-bomb limit: measured from its "
        "header, never decoded",
        "{width}x{height} 像素超过了 Pillow 的解压炸弹限制：只从图片首部读取尺寸，从不解码"),
    K.DEFECT_NO_BOUNDARY: Text(
        "multipart without a boundary parameter, so it cannot be split into parts",
        "多部分主体没有 boundary 参数，因此无法拆分成各个部分"),
    K.DEFECT_START_BOUNDARY: Text(
        "its boundary line never appears, so it is one block",
        "它的边界行从未出现，因此整体作为一块"),
    K.DEFECT_CLOSE_BOUNDARY: Text(
        "the closing boundary line is missing (cut off?)", "缺少结束边界行（被截断了？）"),
    K.DEFECT_FIRST_LINE: Text(
        "the first header line starts with whitespace", "第一行首部以空白字符开头"),
    K.DEFECT_ENVELOPE_LINE: Text(
        "a 'From ' envelope line among the headers", "首部中夹着一行“From ”信封行"),
    K.DEFECT_NO_SEPARATOR: Text(
        "no blank line after the headers; the body starts at the first line that is not a "
        "header",
        "首部之后没有空行；主体从第一个不是首部的行开始"),
    K.DEFECT_NO_PARTS: Text(
        "declared multipart but it has no parts", "声明为多部分主体，但没有任何部分"),
    K.DEFECT_MULTIPART_CTE: Text(
        "a multipart must be 7bit, 8bit or binary, but declares another "
        "Content-Transfer-Encoding",
        "多部分主体的内容传送编码只能是 7bit、8bit 或 binary，但它声明了别的 Content-Transfer-Encoding"),
    K.DEFECT_UNDECODABLE: Text("bytes that cannot be decoded", "有无法解码的字节"),
    K.DEFECT_BASE64_PADDING: Text("bad base64 padding (repaired)", "base64 填充有误（已修复）"),
    K.DEFECT_BASE64_CHARACTERS: Text(
        "characters outside the base64 alphabet (skipped)", "有 base64 字母表以外的字符（已跳过）"),
    K.DEFECT_BASE64_LENGTH: Text(
        "base64 text of impossible length (cut off?); the incomplete last group was dropped",
        "base64 文本的长度不可能（被截断了？）；丢弃了不完整的最后一组"),
    # The header defects of email.headerregistry, in words a student reads. The email
    # package's class name is no word a student reads: it stays in the note's values ("name"
    # in JSON Lines), to look it up.
    K.DEFECT_MALFORMED_HEADER: Text(
        "a header line that is not \"Name: value\"",
        "有一行首部不是“名字: 值”的格式"),
    K.DEFECT_HEADER_MISSING_VALUE: Text(
        "the field is empty, but it needs a value",
        "这个首部字段是空的，但它必须有值"),
    K.DEFECT_INVALID_DATE: Text(
        "the date is not in the RFC 5322 form (as in \"Tue, 1 Dec 2026 17:30:00 +0800\")",
        "日期不符合 RFC 5322 规定的格式（星期、日、月、年、时间和时区）"),
    K.DEFECT_NON_ASCII_LOCAL_PART: Text(
        "the part of the address before @ is not ASCII, which only SMTPUTF8 mail allows "
        "(RFC 6532)",
        "地址中 @ 之前的部分含有非 ASCII 字符，只有 SMTPUTF8 邮件才允许（RFC 6532）"),
    K.DEFECT_NON_PRINTABLE: Text(
        "the field holds control characters (non-printable ASCII), which RFC 5322 does not "
        "allow in a header",
        "这个首部字段中含有控制字符（不可打印的 ASCII 字符），RFC 5322 不允许首部中出现它们"),
    K.DEFECT_OBSOLETE_HEADER: Text(
        "the field uses an old syntax that RFC 5322 section 4 still accepts but no longer "
        "writes",
        "这个首部字段使用了旧的语法，RFC 5322 第 4 节仍然接受，但已不再这样写"),
    K.DEFECT_INVALID_HEADER: Text(
        "the field does not follow the syntax of RFC 5322 or MIME; it is shown as received",
        "这个首部字段不符合 RFC 5322 或 MIME 的语法；按收到的原样显示"),
    K.DEFECT_NO_DOMAIN: Text(
        "an address without \"@domain\": perhaps the whole field was written as one RFC 2047 "
        "encoded word (as Python's email package does with a non-ASCII name), which hides "
        "the address inside the encoding",
        "地址没有“@域名”部分：可能整个字段被写成了一个 RFC 2047 编码字（Python 的 email 包遇到"
        "非 ASCII 的名字时就会这样），地址因此藏在了编码里"),
    K.DEFECT_BAD_ADDRESS: Text(
        "one of the addresses is not a valid address",
        "其中有一个地址不是合法的地址"),
    K.DEFECT_NO_CLOSING_BRACKET: Text(
        "an address or id opens \"<\" but never closes it with \">\"",
        "地址或标识以“<”开始，却没有用“>”结束"),
    K.DEFECT_UNCLOSED: Text(
        "the field ends inside a quoted string, a comment or a group that was never closed",
        "首部字段在引号串、注释或地址组内部就结束了，它们没有闭合"),
    K.DEFECT_LOCAL_PART_DOTS: Text(
        "the part of the address before @ has a dot at its start or end, or two dots in a row",
        "地址中 @ 之前的部分以点开头或结尾，或者有两个相连的点"),
    K.DEFECT_ENCODED_WORD_SPACING: Text(
        "an RFC 2047 encoded word is not separated from the words around it by a space, or "
        "holds a space itself",
        "RFC 2047 编码字与前后的词之间没有空格分隔，或者编码字内部含有空格"),
    K.DEFECT_BAD_MESSAGE_ID: Text(
        "the id is not in the form <left@right> of RFC 5322",
        "这个标识不是 RFC 5322 规定的 <左部@右部> 形式"),
    K.DEFECT_BAD_PARAMETER: Text(
        "a parameter (such as the charset or the file name) is written wrongly",
        "有一个参数（如字符集或文件名）写法有误"),
    K.DEFECT_HEADER_OTHER: Text(
        "the email package found a problem in this field",
        "email 包在这个首部字段中发现了问题"),
    K.DEFECT_OTHER: Text(
        "the email package found a problem in the message's structure",
        "email 包在邮件的结构中发现了问题"),
    K.SUBSTITUTION: Text("{labelled}, decoded as {codec} ({reason})",
                         "{labelled}，按 {codec} 解码（{reason}）"),
    K.LABELLED: Text("labelled {charset}", "标为 {charset}"),
    K.NO_LABEL: Text("no charset label (us-ascii)", "没有字符集标签（us-ascii）"),
    K.SUPERSET_GB18030: Text(
        "a superset: Outlook and Foxmail label GBK text gb2312",
        "超集：Outlook 和 Foxmail 把 GBK 文本标为 gb2312"),
    K.SUPERSET_BIG5HKSCS: Text(
        "a superset: Big5 with the Hong Kong characters that Big5 mail often holds",
        "超集：带有香港字符的 Big5，Big5 邮件中常有这些字符"),
    K.SUPERSET_CP949: Text(
        "a superset: Windows' Korean code page, in which mail labelled EUC-KR is written",
        "超集：Windows 的韩文代码页，标为 EUC-KR 的邮件实际用它书写"),
    K.SUPERSET_CP874: Text(
        "a superset: Windows' Thai code page, in which mail labelled TIS-620 is written",
        "超集：Windows 的泰文代码页，标为 TIS-620 的邮件实际用它书写"),
    K.SUPERSET_CP932: Text(
        "a superset: Windows' Japanese code page, with the NEC and IBM characters",
        "超集：Windows 的日文代码页，含 NEC 和 IBM 字符"),
    K.SUPERSET_CP1252: Text(
        "a superset: readers decode ISO-8859-1 as windows-1252, as the WHATWG Encoding "
        "Standard says",
        "超集：按 WHATWG 编码标准，阅读程序把 ISO-8859-1 按 windows-1252 解码"),
    # -- the POP3 server, about its dialogue
    **explain_pop3.REMARKS,
}


_FILE_ERRORS: dict[type[OSError], RemarkKind] = {
    FileNotFoundError: K.FILE_NOT_FOUND, PermissionError: K.FILE_DENIED,
    NotADirectoryError: K.NOT_A_FOLDER, IsADirectoryError: K.IS_A_FOLDER,
    FileExistsError: K.FILE_EXISTS,
}


def os_error(error: OSError) -> Note | str:
    """Why a file or folder could not be used, as a remark when it is one we can say in both
    languages, else as the system said it (Windows says it in its own language)."""
    for cls, kind in _FILE_ERRORS.items():
        if isinstance(error, cls):
            return Note(kind)
    if isinstance(error, ssl.SSLError):
        return Note(K.NOT_PEM, {"reason": error.reason or error.strerror or str(error)})
    return str(error.strerror or error)


class Labels(dict[str, str]):
    """A table of Text pairs in one language (``lang``), for code that looks words up by key."""

    def __init__(self, table: Mapping[str, Text], lang: str) -> None:
        super().__init__((key, text(lang)) for key, text in table.items())
        self.lang = lang


# Where a picture of an HTML body without alt text stands in the decoded text: U+FFFC OBJECT
# REPLACEMENT CHARACTER, Unicode's mark for an object in running text (the decoder speaks no
# language; JSON Lines keep the mark). What a person reads says "picture", as Foxmail's and QQ
# Mail's text views do ([图片]).
PICTURE_MARK = "\ufffc"
PICTURE_WORD = Text("[picture]", "［图片］")


def pictures_said(text: str, lang: str) -> str:
    """`text` with each PICTURE_MARK as the word "picture" in `lang`."""
    return text.replace(PICTURE_MARK, PICTURE_WORD(lang))


def note_text(note: Note, lang: str) -> str:
    """A remark in words, in ``lang``; values that are remarks themselves are put in words too."""
    return REMARKS[note.kind](lang).format_map(_shown_values(note.values, lang))


def _shown_values(values: Mapping[str, object], lang: str) -> dict[str, object]:
    return {name: note_text(value, lang) if isinstance(value, Note) else value
            for name, value in values.items()}


# The decoder's own report (python decoder.py FILE, and the transcript's message block).
DECODER_WORDS: dict[str, Text] = {
    "none": Text("(none)", "（无）"),
    "outlook_test": Text("(Outlook's account test message)", "（Outlook 的账户测试邮件）"),
    "text": Text("--- Text ---", "--- 正文 ---"),
    "text_from_html": Text("--- Text (rendered from the HTML body) ---",
                           "--- 正文（由 HTML 主体转换而来）---"),
    "no_text": Text("(no text body)", "（没有文本主体）"),
    "attachments": Text("--- Attachments ({count}) ---", "--- 附件（{count}）---"),
    "attachment": Text("{name}  {type}  {size:,} bytes{picture}  (part {part})",
                       "{name}  {type}  {size:,} 字节{picture}  （第 {part} 部分）"),
    "mime_tree": Text("--- MIME tree ---", "--- MIME 结构 ---"),
    "remarks": Text("--- Remarks ({count}) ---", "--- 解码提示（{count}）---"),
    "charset": Text("charset={charset}", "字符集={charset}"),
    "charset_used": Text("charset={charset} (decoded as {used})",
                         "字符集={charset}（按 {used} 解码）"),
    "sizes": Text("{encoded:,} B encoded, {decoded:,} B decoded",
                  "编码后 {encoded:,} 字节，解码后 {decoded:,} 字节"),
    "byte_range": Text("bytes {start}-{end}", "字节 {start}-{end}"),
}


# The protocol states (SMTP, then POP3's of RFC 1939), as the state strip and reports name them.
STATE_NAMES: dict[str, Text] = {
    "connected": Text("connected", "已连接"),
    "greeted": Text("greeted", "已问候"),
    "mail": Text("mail", "MAIL"),
    "rcpt": Text("rcpt", "RCPT"),
    "data": Text("data", "DATA"),
    "done": Text("done", "结束"),
    "authorization": Text("AUTHORIZATION", "授权"),
    "transaction": Text("TRANSACTION", "事务处理"),
    "update": Text("UPDATE", "更新"),
}

DISCONNECT_REASONS: dict[DisconnectReason, Text] = {
    DisconnectReason.QUIT: Text("quit", "QUIT 正常结束"),
    DisconnectReason.PEER_CLOSED: Text("closed by the client", "客户端关闭了连接"),
    DisconnectReason.TIMEOUT: Text("idle timeout", "空闲超时"),
    DisconnectReason.TOO_MANY_ERRORS: Text("too many errors", "错误过多"),
    DisconnectReason.ERROR: Text("network error", "网络错误"),
    DisconnectReason.SERVER_STOPPING: Text("server stopping", "服务器正在停止"),
    DisconnectReason.SCENARIO: Text("closed by the lab scenario", "实验场景关闭了连接"),
    DisconnectReason.TLS_FAILED: Text("TLS handshake failed", "TLS 握手失败"),
}


def state_name(state: str, lang: str) -> str:
    name = STATE_NAMES.get(state)
    return name(lang) if name is not None else state


def disconnect_reason(reason: DisconnectReason | str, lang: str) -> str:
    words = DISCONNECT_REASONS.get(reason)
    return words(lang) if words is not None else str(reason)


def refusal(message: MessageReceived, lang: str) -> str:
    """Why a message event was not accepted, in words ("" when it was)."""
    return note_text(message.reason, lang) if message.reason is not None else ""


# The terminal (--no-gui): the frame around the dialogue and the messages.
TERMINAL_WORDS: dict[str, Text] = {
    "listening": Text("Listening on {address}", "正在监听 {address}"),
    "listening_fallback": Text("Listening on {address} (port 25 unavailable: {reason})",
                               "正在监听 {address}（25 端口不可用：{reason}）"),
    "set_port": Text("NOTE: set your mail client's SMTP server port to {port}.",
                     "注意：请把邮件客户端的 SMTP 服务器端口设为 {port}。"),
    "pop3_unavailable": Text("POP3 is not served: {reason}", "不提供 POP3 服务：{reason}"),
    "pop3_listening": Text("POP3 listening on {address}", "POP3 正在监听 {address}"),
    "pop3_listening_fallback": Text("POP3 listening on {address} (port 110 unavailable: "
                                    "{reason})",
                                    "POP3 正在监听 {address}（110 端口不可用：{reason}）"),
    "pop3_set_port": Text("NOTE: set your mail client's incoming (POP3) server port to {port}.",
                          "注意：请把邮件客户端的接收（POP3）服务器端口设为 {port}。"),
    "every_interface": Text(
        "WARNING: listening on every network interface: anyone who can reach this computer "
        "can connect and send mail to the observer.",
        "警告：正在所有网络接口上监听：能访问这台计算机的任何人都可以连接并向观察器发送邮件。"),
    "every_interface_pop3": Text(
        "WARNING: listening on every network interface: anyone who can reach this computer "
        "can connect and send mail to the observer, and read that mail by POP3.",
        "警告：正在所有网络接口上监听：能访问这台计算机的任何人都可以连接并向观察器发送邮件，"
        "还能用 POP3 读取这些邮件。"),
    "lan_addresses": Text("Students set the SMTP server in their mail client to {addresses}, "
                          "port {port}.",
                          "学生在邮件客户端中把 SMTP 服务器设为 {addresses}，端口 {port}。"),
    "or": Text(" or ", " 或 "),
    "scenario": Text("Lab scenario {name}: {what}", "实验场景 {name}：{what}"),
    "press_ctrl_c": Text("Press Ctrl+C to stop.", "按 Ctrl+C 停止。"),
    "connected": Text("--- session {session}{protocol}: {peer} connected at {clock} ---",
                      "--- 会话 {session}{protocol}：{peer} 于 {clock} 连接 ---"),
    "disconnected": Text("--- session {session}{protocol}: disconnected ({reason}) at {clock} ---",
                         "--- 会话 {session}{protocol}：于 {clock} 断开（{reason}）---"),
    "pop3_body": Text("<message {number}: {size:,} bytes, dot-stuffed>",
                      "<邮件 {number}：{size:,} 字节，已做点填充>"),
    # The data as it came over the wire: the message is this less the dots of dot-stuffing.
    "data": Text("C: <message data: {size:,} bytes as sent, still dot-stuffed>",
                 "C: <邮件数据：线路上传送的 {size:,} 字节，仍带点填充>"),
    "data_incomplete": Text(
        "C: <message data: {size:,} bytes as sent, incomplete: the connection ended before the "
        "final \".\">",
        "C: <邮件数据：线路上传送的 {size:,} 字节，不完整：在最后的“.”之前连接就结束了>"),
    "note": Text("   note: {text}", "   提示：{text}"),
    "tls": Text(
        "--- session {session}: TLS started ({version}, {cipher}); a packet capture now sees "
        "only ciphertext, the lines below are what TLS carries ---",
        "--- 会话 {session}：TLS 已开始（{version}，{cipher}）；此后抓包只能看到密文，"
        "下面是 TLS 里传送的内容 ---"),
    "error": Text("ERROR: {text}", "错误：{text}"),
    "unknown_event": Text("<an event this version cannot show: {name}>",
                          "<本版本无法显示的事件：{name}>"),
    "accepted": Text("accepted", "已接受"),
    "not_accepted": Text("NOT accepted: {reason}", "未被接受：{reason}"),
    "message": Text("=== message {number} (session {session}): {size:,} bytes, {state} ===",
                    "=== 邮件 {number}（会话 {session}）：{size:,} 字节，{state} ==="),
    "envelope": Text("Envelope: from <{mail_from}> to {rcpt_to}",
                     "信封：发件人 <{mail_from}>，收件人 {rcpt_to}"),
}
