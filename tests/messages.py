"""Test messages shared by the tests and tools/screenshot.py.

``outlook_seed_message()`` is shaped like what the seed's Outlook 2013 sent (and what lab PCs
still send): multipart/mixed > multipart/alternative, a gb2312 base64 text and HTML body, a
gb2312 RFC 2047 subject and a JPEG attachment whose name is a gb2312 RFC 2047 word. Lines end
in CRLF, as on the wire; pass the bytes to ``smtplib.SMTP.sendmail`` unchanged.
"""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from email.message import EmailMessage

from PIL import Image, ImageDraw

SEED_FROM_NAME = "张三"
SEED_FROM = "zhangsan@example.edu.cn"
SEED_TO = "teacher@example.edu.cn"
SEED_SUBJECT = "实验报告：观察 SMTP 协议"
SEED_TEXT = ("老师您好：\r\n\r\n这是用 Outlook 发送的实验邮件，附件是校园的照片。\r\n\r\n"
             "学生 张三\r\n")
SEED_ATTACHMENT_NAME = "校园风景.jpg"
SEED_PICTURE_SIZE = (640, 480)

_OUTER_BOUNDARY = "----=_NextPart_000_0001_01DB43A2.5C8E1F30"
_INNER_BOUNDARY = "----=_NextPart_001_0002_01DB43A2.5C8E1F30"


def sample_picture(image_format: str = "JPEG", size: tuple[int, int] = SEED_PICTURE_SIZE
                   ) -> bytes:
    """A small landscape (sky, sun, lawn, a red building): the same bytes on every run, and
    far from uniform, so a screenshot can tell the picture from an empty area."""
    width, height = size
    image = Image.new("RGB", size, (70, 140, 215))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 160, 70))
    draw.ellipse((width * 3 // 4, height // 10, width * 9 // 10, height // 10 + width * 3 // 20),
                 fill=(250, 210, 60))
    draw.rectangle((width // 6, height // 3, width // 2, height * 5 // 6), fill=(190, 50, 45))
    for column in range(4):
        left = width // 6 + 12 + column * (width // 12)
        draw.rectangle((left, height // 2, left + width // 24, height // 2 + height // 12),
                       fill=(240, 240, 220))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def encoded_word(text: str, charset: str = "gb2312") -> str:
    """``text`` as one RFC 2047 "B" encoded word, the way Outlook writes non-ASCII headers."""
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def base64_body(data: bytes) -> str:
    """Base64 in 76-character CRLF lines (RFC 2045)."""
    return base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")


def seed_html(text: str = SEED_TEXT) -> str:
    paragraphs = "".join(f"<p class=MsoNormal>{line}</p>\r\n" for line in text.splitlines()
                         if line)
    return ("<html><head><meta http-equiv=Content-Type content=\"text/html; charset=gb2312\">"
            f"</head>\r\n<body lang=ZH-CN>\r\n{paragraphs}</body></html>\r\n")


def outlook_seed_message(picture: bytes | None = None) -> bytes:
    """The seed-like Outlook message (see the module docstring); ``picture`` is the JPEG."""
    picture = sample_picture() if picture is None else picture
    name = encoded_word(SEED_ATTACHMENT_NAME)
    lines = [
        f"From: {encoded_word(SEED_FROM_NAME)} <{SEED_FROM}>",
        f"To: <{SEED_TO}>",
        f"Subject: {encoded_word(SEED_SUBJECT)}",
        "Date: Mon, 1 Dec 2025 09:30:00 +0800",
        "Message-ID: <000001db43a2$5c8e1f30$15aa5d90$@example.edu.cn>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{_OUTER_BOUNDARY}"',
        "X-Mailer: Microsoft Outlook 15.0",
        "Thread-Index: AdtDolyOHzAVql2QQqM7x5p1Lk8wXw==",
        "Content-Language: zh-cn",
        "",
        "This is a multipart message in MIME format.",
        "",
        f"--{_OUTER_BOUNDARY}",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{_INNER_BOUNDARY}"',
        "",
        "",
        f"--{_INNER_BOUNDARY}",
        "Content-Type: text/plain;",
        '\tcharset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        base64_body(SEED_TEXT.encode("gb2312")),
        f"--{_INNER_BOUNDARY}",
        "Content-Type: text/html;",
        '\tcharset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        base64_body(seed_html().encode("gb2312")),
        f"--{_INNER_BOUNDARY}--",
        "",
        f"--{_OUTER_BOUNDARY}",
        "Content-Type: image/jpeg;",
        f'\tname="{name}"',
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment;",
        f'\tfilename="{name}"',
        "",
        base64_body(picture),
        f"--{_OUTER_BOUNDARY}--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def gb2312_text_message(subject: str, text: str, *, sender: str = SEED_FROM,
                        recipient: str = SEED_TO) -> bytes:
    """A one-part text/plain message in gb2312 (base64), as Foxmail sends plain mail."""
    lines = [
        f"From: <{sender}>",
        f"To: <{recipient}>",
        f"Subject: {encoded_word(subject)}",
        "Date: Mon, 1 Dec 2025 10:00:00 +0800",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        base64_body(text.encode("gb2312")),
    ]
    return "\r\n".join(lines).encode("ascii")



def _png_chunk(name: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + name + data
            + struct.pack(">I", zlib.crc32(name + data)))


def _png_head_and_pixels(size: tuple[int, int]) -> tuple[bytes, bytes]:
    """The signature and IHDR of an RGB PNG, and its compressed rows (a grey ramp)."""
    width, height = size
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width * 3))
                    for y in range(height))
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return head, zlib.compress(rows)


def broken_png(size: tuple[int, int] = (10, 10)) -> bytes:
    """A PNG whose header reads well but whose pixels do not (Pillow: "broken PNG file"): half
    an IDAT, then a chunk whose name is no name, as in reliability review F1."""
    head, pixels = _png_head_and_pixels(size)
    return (head + _png_chunk(b"IDAT", pixels[: len(pixels) // 2])
            + b"\x00\x00\x00\x05\x00\x01\x02\x03" + b"x" * 12)


def cut_png(size: tuple[int, int] = (10, 10)) -> bytes:
    """A PNG cut short in its pixel data, as a client that drops mid-DATA leaves it."""
    head, pixels = _png_head_and_pixels(size)
    return (head + _png_chunk(b"IDAT", pixels))[: len(head) + 8 + len(pixels) // 2]

def picture_message(data: bytes, filename: str = "picture.png") -> bytes:
    """A text body and one picture attachment, CRLF lines, ready for sendmail()."""
    return (f"From: a@example.com\r\nTo: b@example.com\r\nSubject: picture\r\n"
            f"Date: Mon, 30 Nov 2026 10:00:00 +0800\r\nMessage-ID: <p@example.com>\r\n"
            f"MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            f"--b\r\nContent-Type: text/plain\r\n\r\nsee the picture\r\n"
            f"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{filename}"\r\n\r\n'
            f"{base64_body(data)}\r\n--b--\r\n").encode("ascii")


IPHONE_TEXTS = ("老师好，这是实验楼的照片：\r\n",
                "照片下面还有一段话：明天的实验照常进行。\r\n\r\n发自我的 iPhone\r\n")
IPHONE_PICTURE_NAME = "IMG_0412.JPG"


def iphone_message(picture: bytes | None = None) -> bytes:
    """Shaped like iPhone Mail's "text – photo – text": multipart/mixed with a text/plain part,
    the photo inline where it was placed (Content-Disposition: inline with a file name), and a
    second text/plain part, as Apple Mail and iOS Mail send it."""
    photo = picture if picture is not None else sample_picture(size=(320, 240))
    boundary = "Apple-Mail-7E2C1B0A-5D4F-4B9A-9C1E-2F3A4B5C6D7E"
    first, second = (base64_body(text.encode("utf-8")) for text in IPHONE_TEXTS)
    return "\r\n".join([
        f"From: {encoded_word('李四', 'utf-8')} <lisi@example.edu.cn>",
        f"To: <{SEED_TO}>", f"Subject: {encoded_word('实验楼照片', 'utf-8')}",
        "Date: Tue, 2 Dec 2025 10:15:00 +0800",
        "Message-Id: <7E2C1B0A-0001@example.edu.cn>", "Mime-Version: 1.0 (1.0)",
        "X-Mailer: iPhone Mail (21F90)",
        f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
        f"--{boundary}", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64", "", first,
        f"--{boundary}",
        f'Content-Type: image/jpeg; name="{IPHONE_PICTURE_NAME}"; x-apple-part-url=A1B2C3D4',
        f'Content-Disposition: inline; filename="{IPHONE_PICTURE_NAME}"',
        "Content-Transfer-Encoding: base64", "", base64_body(photo),
        f"--{boundary}", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64", "", second,
        f"--{boundary}--", "",
    ]).encode("ascii")


BOUNCE_ORIGINAL_SUBJECT = "实验报告"
BOUNCE_STATUS = "5.1.1"


def bounce_message() -> bytes:
    """A delivery-status notification as Postfix writes it (RFC 3464, RFC 6522): the
    human-readable part, the status fields, and the returned message as message/rfc822."""
    boundary = "8A3F21C04E.1764641700/mail.example.edu.cn"
    original = "\r\n".join([
        f"From: {encoded_word(SEED_FROM_NAME)} <{SEED_FROM}>", "To: <nobody@example.edu.cn>",
        f"Subject: {encoded_word(BOUNCE_ORIGINAL_SUBJECT)}",
        "Date: Tue, 2 Dec 2025 09:14:58 +0800", "Message-ID: <lab-42@example.edu.cn>",
        "MIME-Version: 1.0", 'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64", "",
        base64_body("老师您好：实验报告见正文。\r\n".encode("gb2312")).rstrip("\r\n"),
    ])
    return "\r\n".join([
        "From: MAILER-DAEMON@mail.example.edu.cn (Mail Delivery System)",
        f"To: <{SEED_FROM}>", "Subject: Undelivered Mail Returned to Sender",
        "Date: Tue, 2 Dec 2025 09:15:00 +0800", "Message-Id: <20251202011500.8A3F21C04E@mail>",
        "Auto-Submitted: auto-replied", "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"', "",
        "This is a MIME-encapsulated message.", "",
        f"--{boundary}", "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii", "",
        "This is the mail system at host mail.example.edu.cn.", "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients. It's attached below.", "",
        "<nobody@example.edu.cn>: host mx.example.edu.cn[192.0.2.25] said: 550 5.1.1",
        "    <nobody@example.edu.cn>: Recipient address rejected: User unknown", "",
        f"--{boundary}", "Content-Description: Delivery report",
        "Content-Type: message/delivery-status", "",
        "Reporting-MTA: dns; mail.example.edu.cn", "X-Postfix-Queue-ID: 8A3F21C04E",
        "Arrival-Date: Tue,  2 Dec 2025 09:14:58 +0800 (CST)", "",
        "Final-Recipient: rfc822; nobody@example.edu.cn",
        "Original-Recipient: rfc822;nobody@example.edu.cn", "Action: failed",
        f"Status: {BOUNCE_STATUS}", "Remote-MTA: dns; mx.example.edu.cn",
        "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.edu.cn>: Recipient address",
        "    rejected: User unknown", "",
        f"--{boundary}", "Content-Description: Undelivered Message",
        "Content-Type: message/rfc822", "", original, "",
        f"--{boundary}--", "",
    ]).encode("ascii")


def big_mail_with_a_picture() -> bytes:
    """Over 1 MiB (so the window decodes it in its child process): 3 MiB of noise attached,
    and a picture a screenshot can find."""
    message = EmailMessage()
    message["Subject"] = "big mail"
    message["From"] = "a@example.com"
    message["To"] = "b@example.com"
    message.set_content("a campus photo and the raw data")
    message.add_attachment(sample_picture("PNG", (600, 400)), maintype="image",
                           subtype="png", filename="campus.png")
    message.add_attachment(os.urandom(3 * 2**20), maintype="application",
                           subtype="octet-stream", filename="data.bin")
    return message.as_bytes()
