"""Write assets/sessions/*.jsonl: reference sessions of classic Outlook 2013, Foxmail 7.2 and
Thunderbird, for a teacher to demonstrate on a PC without these clients (Help › Sample sessions).

Each session is made by driving the real server with a scripted client that sends, line by line
and waiting for each reply, what that client is documented to send; the server's events are
saved as Session › Save session… saves them. They are reconstructions, and each file says so and
from which sources (its "about"). Run: python tools/make_reference_sessions.py
"""

from __future__ import annotations

import base64
import io
import queue
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

import sessions  # noqa: E402
import smtp_observer  # noqa: E402
from events import Disconnected, ServerEvent  # noqa: E402


@dataclass(frozen=True)
class Script:
    name: str
    title: dict[str, str]
    about: dict[str, str]
    commands: tuple[str, ...]  # before DATA (AUTH exchanges included)
    message: bytes


def picture(image_format: str, size: tuple[int, int]) -> bytes:
    """A tiny picture: a blue sky over green grass (small enough for the kit)."""
    image = Image.new("RGB", size, (90, 150, 220))
    image.paste((60, 140, 60), (0, size[1] * 2 // 3, size[0], size[1]))
    out = io.BytesIO()
    image.save(out, format=image_format, **({"quality": 70} if image_format == "JPEG" else {}))
    return out.getvalue()


def b64_lines(data: bytes) -> list[str]:
    return base64.encodebytes(data).decode("ascii").splitlines()


def word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def outlook_2013() -> Script:
    outer, inner = ("----=_NextPart_000_0005_01D9A1B2.3C4D5E60",
                    "----=_NextPart_001_0006_01D9A1B2.3C4D5E60")
    text = "您好！\r\n\r\n这是用 Outlook 2013 发送的实验邮件，附件是一张照片。\r\n"
    html = ("<html><head><meta http-equiv=Content-Type content=\"text/html; charset=gb2312\">"
            "</head><body><p>您好！</p><p>这是用 Outlook 2013 发送的实验邮件，附件是一张照片。"
            "</p></body></html>")
    name = word("照片.jpg", "gb2312")
    lines = [
        "From: \"alice\" <alice@127.0.0.1>", "To: <bob@127.0.0.1>",
        "Subject: =?gb2312?B?xPq6ww==?=", "Date: Tue, 14 Mar 2023 10:21:07 +0800",
        "Message-ID: <000501d9a1b2$3c4d5e60$b4e81b20$@127.0.0.1>", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed;", f"\tboundary=\"{outer}\"",
        "X-Mailer: Microsoft Outlook 15.0", "Thread-Index: AdmhsjxNXmC06BsgQ1aJxw==",
        "Content-Language: zh-cn", "", "This is a multipart message in MIME format.", "",
        f"--{outer}", "Content-Type: multipart/alternative;", f"\tboundary=\"{inner}\"", "", "",
        f"--{inner}", "Content-Type: text/plain;", "\tcharset=\"gb2312\"",
        "Content-Transfer-Encoding: base64", "", *b64_lines(text.encode("gb2312")),
        f"--{inner}", "Content-Type: text/html;", "\tcharset=\"gb2312\"",
        "Content-Transfer-Encoding: base64", "", *b64_lines(html.encode("gb2312")),
        f"--{inner}--", "", f"--{outer}", "Content-Type: image/jpeg;", f"\tname=\"{name}\"",
        "Content-Transfer-Encoding: base64", "Content-Disposition: attachment;",
        f"\tfilename=\"{name}\"", "", *b64_lines(picture("JPEG", (48, 32))), f"--{outer}--", ""]
    return Script(
        "outlook-2013",
        {"en": "Classic Outlook 2013: gb2312 base64, a JPEG with a Chinese name",
         "zh": "经典 Outlook 2013：gb2312 + base64，带中文名的 JPEG 附件"},
        {"en": "Reconstructed, not captured: the command lines and the message layout follow the "
               "lab report this project started from (EHLO ideaPC, MAIL FROM: <alice@127.0.0.1> "
               "with a space after the colon, no SIZE=, no AUTH, a gb2312 base64 text and "
               "Subject =?gb2312?B?xPq6ww==?=) and Outlook's documented MIME layout "
               "(multipart/mixed around multipart/alternative, ----=_NextPart_ boundaries, "
               "X-Mailer: Microsoft Outlook 15.0, RFC 2047 encoded words in quoted file names). "
               "The picture is a tiny stand-in.",
         "zh": "重构而非抓包：命令行和邮件结构依据本项目起源的实验报告（EHLO ideaPC、冒号后带空格的 "
               "MAIL FROM: <alice@127.0.0.1>、没有 SIZE=、没有 AUTH、gb2312 的 base64 正文和主题 "
               "=?gb2312?B?xPq6ww==?=）以及 Outlook 公开的 MIME 结构（multipart/mixed 包着 "
               "multipart/alternative、----=_NextPart_ 边界、X-Mailer: Microsoft Outlook 15.0、"
               "引号中的 RFC 2047 编码字文件名）。图片是一张很小的替身。"},
        ("EHLO ideaPC", "MAIL FROM: <alice@127.0.0.1>", "RCPT TO: <bob@127.0.0.1>"),
        "\r\n".join(lines).encode("ascii"))


def foxmail_72() -> Script:
    outer, inner = ("----=_001_NextPart572182624333_=----", "----=_002_NextPart572182624333_=----")
    # 镕 and 堃 are in GBK but not in GB2312: Foxmail labels such text GB2312 all the same.
    text = "老师好：\r\n\r\n朱镕基和王堃的例子在附件里。\r\n\r\n张三\r\n"
    html = "<html><body><p>老师好：</p><p>朱镕基和王堃的例子在附件里。</p><p>张三</p></body></html>"
    name = word("网络拓扑.bmp", "GB2312")
    lines = [
        "Date: Wed, 15 Mar 2023 09:05:12 +0800", "From: \"zhangsan\" <zhangsan@lab.test>",
        "To: \"teacher\" <teacher@lab.test>", f"Subject: {word('实验二', 'GB2312')}",
        "X-Priority: 3", "X-GUID: 7E3B0C61-94A2-4F5D-8C1E-2A9D1E6B7F01", "X-Has-Attach: yes",
        "X-Mailer: Foxmail 7.2.25.228[cn]", "Mime-Version: 1.0",
        "Message-ID: <202303150905121283201@lab.test>",
        "Content-Type: multipart/mixed;", f"\tboundary=\"{outer}\"", "",
        "This is a multi-part message in MIME format.", "", f"--{outer}",
        "Content-Type: multipart/alternative;", f"\tboundary=\"{inner}\"", "", f"--{inner}",
        "Content-Type: text/plain;", "\tcharset=\"GB2312\"", "Content-Transfer-Encoding: base64",
        "", *b64_lines(text.encode("gbk")), "", f"--{inner}", "Content-Type: text/html;",
        "\tcharset=\"GB2312\"", "Content-Transfer-Encoding: quoted-printable", "",
        *_quoted_printable(html.encode("gbk")), "", f"--{inner}--", "", f"--{outer}",
        "Content-Type: application/octet-stream;", f"\tname=\"{name}\"",
        "Content-Transfer-Encoding: base64", "Content-Disposition: attachment;",
        f"\tfilename=\"{name}\"", "", *b64_lines(picture("BMP", (16, 12))), "",
        f"--{outer}--", ""]
    user, password = "zhangsan@lab.test", "lab2023"
    return Script(
        "foxmail-7.2",
        {"en": "Foxmail 7.2: AUTH LOGIN, GB2312 labels on GBK text, a BMP as octet-stream",
         "zh": "Foxmail 7.2：AUTH LOGIN，标为 GB2312 的 GBK 文本，application/octet-stream 的 BMP"},
        {"en": "Reconstructed, not captured, from what Foxmail 7.2 is documented and reported to "
               "send: AUTH LOGIN (user and password base64 after 334 VXNlcm5hbWU6 / "
               "UGFzc3dvcmQ6), MAIL FROM: with a space after the colon, charset=\"GB2312\" on "
               "text with GBK-only characters (镕, 堃), HTML in quoted-printable, an attachment "
               "as application/octet-stream with an RFC 2047 file name in quotes, and Foxmail's "
               "X-Mailer, X-GUID, X-Has-Attach and ----=_001_NextPart boundaries. The picture is "
               "a tiny stand-in.",
         "zh": "重构而非抓包，依据 Foxmail 7.2 公开资料和用户报告中的发送内容：AUTH LOGIN（在 334 "
               "VXNlcm5hbWU6 / UGFzc3dvcmQ6 之后分别发送 base64 的用户名和密码）、冒号后带空格的 "
               "MAIL FROM:、正文含 GBK 独有字符（镕、堃）却标为 charset=\"GB2312\"、HTML 用 "
               "quoted-printable、附件为 application/octet-stream 且文件名是引号中的 RFC 2047 编码字，"
               "以及 Foxmail 的 X-Mailer、X-GUID、X-Has-Attach 首部和 ----=_001_NextPart 边界。"
               "图片是一张很小的替身。"},
        ("EHLO zhangsan-PC", "AUTH LOGIN", base64.b64encode(user.encode()).decode(),
         base64.b64encode(password.encode()).decode(), "MAIL FROM: <zhangsan@lab.test>",
         "RCPT TO: <teacher@lab.test>"),
        "\r\n".join(lines).encode("ascii"))


def _quoted_printable(data: bytes) -> list[str]:
    import quopri

    return quopri.encodestring(data).decode("ascii").splitlines()


def thunderbird() -> Script:
    boundary = "------------Wq5vF0sB2mLx8rT3nY1cK7eD"
    text = ("老师好，\r\n\r\n这是 Thunderbird 发送的实验邮件：正文是 8 位的 UTF-8，没有经过 base64 "
            "编码，\r\n所以 MAIL FROM 声明了 BODY=8BITMIME。附件名用 RFC 2231 编码。\r\n\r\n"
            "-- \r\n李四\r\n")
    filename = "实验截图.png"
    lines = [
        "Message-ID: <5b1c2d3e-4f60-7182-93a4-b5c6d7e8f901@lab.test>",
        "Date: Thu, 16 Mar 2023 14:30:45 +0800", "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird", "Content-Language: zh-CN", "To: teacher@lab.test",
        "From: lisi <lisi@lab.test>", f"Subject: {word('实验三：8BITMIME', 'UTF-8')}",
        "Content-Type: multipart/mixed;", f" boundary=\"{boundary}\"", "",
        "This is a multi-part message in MIME format.", f"--{boundary}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit", "", text, f"--{boundary}",
        f"Content-Type: image/png; name=\"{word(filename, 'UTF-8')}\"",
        "Content-Disposition: attachment;",
        f" filename*=UTF-8''{quote(filename.encode('utf-8'))}",
        "Content-Transfer-Encoding: base64", "", *b64_lines(picture("PNG", (40, 30))), "",
        f"--{boundary}--", ""]
    message = "\r\n".join(lines).encode("utf-8")
    plain = base64.b64encode(b"\0lisi@lab.test\0lab2023").decode()
    return Script(
        "thunderbird",
        {"en": "Thunderbird: AUTH PLAIN, 8-bit UTF-8 with BODY=8BITMIME, an RFC 2231 file name",
         "zh": "Thunderbird：AUTH PLAIN，声明 BODY=8BITMIME 的 8 位 UTF-8 正文，RFC 2231 文件名"},
        {"en": "Reconstructed, not captured, from Thunderbird's documented behaviour and its "
               "source (SmtpClient.jsm, the MIME composer): EHLO with an address literal when "
               "the PC has no domain name, AUTH PLAIN with the initial response on one line, "
               "MAIL FROM:<...> BODY=8BITMIME SIZE=n one command at a time, text/plain UTF-8 "
               "format=flowed in 8bit, and the attachment name both as an RFC 2047 name= and as "
               "an RFC 2231 filename*=. The picture is a tiny stand-in.",
         "zh": "重构而非抓包，依据 Thunderbird 的公开行为和源代码（SmtpClient.jsm、MIME 组装部分）："
               "电脑没有域名时 EHLO 使用地址字面量、AUTH PLAIN 把初始响应放在同一行、逐条发送 "
               "MAIL FROM:<...> BODY=8BITMIME SIZE=n、正文为 8bit 的 UTF-8 format=flowed 文本，附件名"
               "同时以 RFC 2047 的 name= 和 RFC 2231 的 filename*= 给出。图片是一张很小的替身。"},
        ("EHLO [127.0.0.1]", f"AUTH PLAIN {plain}",
         f"MAIL FROM:<lisi@lab.test> BODY=8BITMIME SIZE={len(message)}",
         "RCPT TO:<teacher@lab.test>"),
        message)


def drive(script: Script) -> list[ServerEvent]:
    """Send the script to a fresh real server, line by line; return the server's events."""
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(
        smtp_observer.ServerConfig(port=0, hostname="lab-observer"), events)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            replies = sock.makefile("rb")
            read_reply(replies)
            for line in (*script.commands, "DATA"):
                sock.sendall(line.encode("ascii") + b"\r\n")
                read_reply(replies)
            stuffed = b"\r\n".join(b"." + line if line.startswith(b".") else line
                                   for line in script.message.split(b"\r\n"))
            sock.sendall(stuffed.rstrip(b"\r\n") + b"\r\n.\r\n")
            read_reply(replies)
            sock.sendall(b"QUIT\r\n")
            read_reply(replies)
        seen = []
        deadline = time.monotonic() + 10
        while not any(isinstance(ev, Disconnected) for ev in seen):
            seen.append(events.get(timeout=max(0.1, deadline - time.monotonic())))
        return seen
    finally:
        server.stop()


def read_reply(replies) -> None:
    while True:
        line = replies.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return


def main() -> int:
    directory = ROOT / "assets" / "sessions"
    directory.mkdir(parents=True, exist_ok=True)
    for script in (outlook_2013(), foxmail_72(), thunderbird()):
        path = directory / (script.name + sessions.SUFFIX)
        sessions.save(path, drive(script), about=script.about, title=script.title)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
