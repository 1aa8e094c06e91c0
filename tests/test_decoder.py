"""Tests for decoder.py: what a reader sees in mail from Outlook, Foxmail and Thunderbird, the
charsets Chinese clients really use, attachments and pictures, the MIME tree with the byte range
of every part, remarks instead of crashes, the command line, and the public corpus."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest
from corpus import CORPUS, corpus_files, corpus_id, require_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages import (
    SEED_ATTACHMENT_NAME,
    SEED_FROM,
    SEED_FROM_NAME,
    SEED_SUBJECT,
    SEED_TEXT,
    SEED_TO,
    base64_body,
    encoded_word,
    outlook_seed_message,
    sample_picture,
)
from PIL import Image

import decoder
from events import Note, RemarkKind

DECODER_SCRIPT = Path(decoder.__file__).resolve()
INTERNAL_ERROR = "internal error"


# --- Helpers -------------------------------------------------------------------------------


def wire(*lines: str | bytes) -> bytes:
    """Lines joined with CRLF, as a message arrives after DATA; str lines must be ASCII."""
    return b"\r\n".join(line.encode("ascii") if isinstance(line, str) else line
                        for line in lines)


def picture(image_format: str = "PNG", size: tuple[int, int] = (40, 30), mode: str = "RGB",
            **save_options) -> bytes:
    image = Image.new(mode, size, "red" if mode != "P" else 1)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def part(decoded: decoder.DecodedMessage, path: str) -> decoder.Part:
    return next(node for node in decoded.parts if node.path == path)


def body_bytes(raw: bytes, node: decoder.Part) -> bytes:
    return raw[node.body_start:node.body_end]


def no_internal_error(decoded: decoder.DecodedMessage) -> bool:
    return not any(INTERNAL_ERROR in remark or "could not be decoded" in remark
                   for remark in decoded.remark_texts())


def single_part(body: bytes, content_type: str, *, cte: str = "8bit",
                headers: tuple[str | bytes, ...] = ()) -> bytes:
    """A one-part message with the usual headers."""
    return wire("From: <a@example.com>", "To: <b@example.com>", "Subject: test",
                "Date: Mon, 1 Dec 2025 10:00:00 +0800", "Message-ID: <1@example.com>",
                "MIME-Version: 1.0", f"Content-Type: {content_type}",
                f"Content-Transfer-Encoding: {cte}", *headers, "", "") + body


def with_attachment(attachment_headers: list[str | bytes], data: bytes,
                    boundary: str = "b1") -> bytes:
    """multipart/mixed: a text part, then one base64 attachment with the given headers."""
    return wire(
        "From: <a@example.com>", "Subject: attachment", "Date: Mon, 1 Dec 2025 10:00:00 +0800",
        "Message-ID: <2@example.com>", "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
        f"--{boundary}", "Content-Type: text/plain; charset=us-ascii", "", "see attachment",
        f"--{boundary}", *attachment_headers, "Content-Transfer-Encoding: base64", "",
        base64_body(data) + f"--{boundary}--", "",
    )


# --- The clients a lab sees ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_picture() -> bytes:
    return sample_picture()


@pytest.fixture(scope="module")
def seed(seed_picture: bytes) -> tuple[bytes, decoder.DecodedMessage]:
    raw = outlook_seed_message(seed_picture)
    return raw, decoder.decode(raw)


def test_outlook_2013_headers_and_bodies(seed):
    raw, decoded = seed
    assert decoded.subject == SEED_SUBJECT
    assert decoded.from_ == f"{SEED_FROM_NAME} <{SEED_FROM}>"
    assert decoded.to == f"<{SEED_TO}>"
    assert decoded.date == "Mon, 1 Dec 2025 09:30:00 +0800"
    assert decoded.message_id == "<000001db43a2$5c8e1f30$15aa5d90$@example.edu.cn>"
    assert decoded.cc is None
    assert decoded.text == SEED_TEXT.replace("\r\n", "\n")
    assert "<p class=MsoNormal>学生 张三</p>" in decoded.html
    assert not decoded.text_from_html and not decoded.outlook_test
    assert decoded.remark_texts() == []
    mailer = [header.value for header in decoded.headers if header.name == "X-Mailer"]
    assert mailer == ["Microsoft Outlook 15.0"]


def test_outlook_2013_jpeg_attachment_with_gb2312_word_name(seed, seed_picture):
    raw, decoded = seed
    [attachment] = decoded.attachments
    assert attachment.filename == SEED_ATTACHMENT_NAME
    assert (attachment.content_type, attachment.disposition, attachment.part) == (
        "image/jpeg", "attachment", "1.2")
    assert attachment.data == seed_picture
    assert attachment.size == len(seed_picture)
    assert attachment.sha256 == sha256(seed_picture)
    assert attachment.image == decoder.ImageInfo("JPEG", 640, 480)


@pytest.mark.parametrize("line_end", ["\r\n", "\n"])
def test_outlook_2013_mime_tree_and_byte_ranges(seed_picture, line_end):
    raw = outlook_seed_message(seed_picture).replace(b"\r\n", line_end.encode())
    decoded = decoder.decode(raw)

    def base64_bytes(data: bytes) -> bytes:
        return base64_body(data).replace("\r\n", line_end).encode("ascii")

    assert [(node.path, node.depth, node.content_type) for node in decoded.parts] == [
        ("1", 0, "multipart/mixed"), ("1.1", 1, "multipart/alternative"),
        ("1.1.1", 2, "text/plain"), ("1.1.2", 2, "text/html"), ("1.2", 1, "image/jpeg")]
    jpeg = part(decoded, "1.2")
    assert body_bytes(raw, jpeg) == base64_bytes(seed_picture)
    assert (jpeg.encoded_size, jpeg.decoded_size) == (jpeg.body_end - jpeg.body_start,
                                                      len(seed_picture))
    assert (jpeg.transfer_encoding, jpeg.filename) == ("base64", SEED_ATTACHMENT_NAME)
    plain = part(decoded, "1.1.1")
    assert body_bytes(raw, plain) == base64_bytes(SEED_TEXT.encode("gb2312"))
    assert (plain.charset, plain.charset_used) == ("gb2312", "gb18030")
    root = part(decoded, "1")
    assert raw[root.body_start:].startswith(b"This is a multipart message in MIME format.")
    assert body_bytes(raw, root).endswith(b"_01DB43A2.5C8E1F30--")
    inner = part(decoded, "1.1")
    assert body_bytes(raw, inner).endswith(b"----=_NextPart_001_0002_01DB43A2.5C8E1F30--")


FOXMAIL_TEXT = "老师好！\r\n朱镕基总理的讲话见附件截图。\r\n"  # 镕 is GBK, not GB2312
FOXMAIL_NAME = "讲话截图.png"


@pytest.fixture(scope="module")
def foxmail_picture() -> bytes:
    return picture("PNG", (120, 90))


@pytest.fixture(scope="module")
def foxmail(foxmail_picture: bytes) -> tuple[bytes, decoder.DecodedMessage]:
    outer, inner = "----=_001_NextPart572182624333_=----", "----=_002_NextPart572182624333_=----"
    html = f"<html><body><div>{FOXMAIL_TEXT.replace(chr(13) + chr(10), '<br>')}</div></body></html>"
    html_qp = "".join(f"={byte:02X}" if byte > 126 or byte == 61 else chr(byte)
                      for byte in html.encode("gbk"))
    raw = wire(
        "Date: Mon, 1 Dec 2025 10:20:31 +0800",
        f'From: "{encoded_word("李四", "GB2312")}" <lisi@foxmail.com>',
        "To: teacher <teacher@example.edu.cn>",
        f"Subject: {encoded_word('关于朱镕基的报告', 'gbk').replace('gbk', 'GB2312')}",
        "X-Priority: 3", "X-Has-Attach: yes", "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0", "Message-ID: <202512011020313751234@foxmail.com>",
        "Content-Type: multipart/mixed;", f'\tboundary="{outer}"', "",
        "This is a multi-part message in MIME format.", "",
        f"--{outer}", "Content-Type: multipart/alternative;", f'\tboundary="{inner}"', "", "",
        f"--{inner}", "Content-Type: text/plain;", '\tcharset="GB2312"',
        "Content-Transfer-Encoding: base64", "", base64_body(FOXMAIL_TEXT.encode("gbk")),
        f"--{inner}", "Content-Type: text/html;", '\tcharset="GB2312"',
        "Content-Transfer-Encoding: quoted-printable", "", html_qp, "",
        f"--{inner}--", "",
        f"--{outer}", "Content-Type: application/octet-stream;",
        f'\tname="{encoded_word(FOXMAIL_NAME, "GB2312")}"', "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment;", f'\tfilename="{encoded_word(FOXMAIL_NAME, "GB2312")}"',
        "", base64_body(foxmail_picture), f"--{outer}--", "",
    )
    return raw, decoder.decode(raw)


def test_foxmail_gbk_text_labelled_gb2312_decodes_as_gb18030(foxmail):
    raw, decoded = foxmail
    assert decoded.subject == "关于朱镕基的报告"
    assert decoded.from_ == '"李四" <lisi@foxmail.com>'
    assert decoded.text == FOXMAIL_TEXT.replace("\r\n", "\n")
    assert "朱镕基总理的讲话见附件截图。" in decoded.html
    assert "\ufffd" not in decoded.text + decoded.html + decoded.subject
    assert part(decoded, "1.1.1").charset_used == part(decoded, "1.1.2").charset_used == "gb18030"
    assert decoded.remark_texts() == []


def test_foxmail_png_sent_as_octet_stream_is_recognised_by_content(foxmail, foxmail_picture):
    raw, decoded = foxmail
    [attachment] = decoded.attachments
    assert attachment.filename == FOXMAIL_NAME
    assert attachment.content_type == "application/octet-stream"
    assert attachment.sha256 == sha256(foxmail_picture)
    assert attachment.image == decoder.ImageInfo("PNG", 120, 90)
    assert body_bytes(raw, part(decoded, "1.2")) == base64_body(foxmail_picture).encode("ascii")


THUNDERBIRD_BODY = (
    "老师好，\r\n\r\n"
    "这是一段很长的文字，Thunderbird 在发送时把它折成了几行， \r\n"
    "读者看到的是一整段。 \r\n"
    "Second sentence.\r\n"
    "> quoted line that was \r\n"
    "> flowed too\r\n"
    "\r\n"
    "-- \r\n"
    "王五\r\n"
)


def test_thunderbird_format_flowed_utf8_8bit():
    raw = single_part(THUNDERBIRD_BODY.encode("utf-8"),
                      "text/plain; charset=UTF-8; format=flowed", cte="8bit",
                      headers=("User-Agent: Mozilla Thunderbird", "Content-Language: zh-CN"))
    decoded = decoder.decode(raw)
    assert decoded.text == (
        "老师好，\n\n"
        "这是一段很长的文字，Thunderbird 在发送时把它折成了几行， "
        "读者看到的是一整段。 Second sentence.\n"
        "> quoted line that was flowed too\n\n"
        "-- \n王五\n"
    )
    assert ("Content-Language", "zh-CN") in [(h.name, h.value) for h in decoded.headers]
    node = part(decoded, "1")
    assert (node.charset_used, node.transfer_encoding) == ("utf-8", "8bit")
    assert body_bytes(raw, node) == THUNDERBIRD_BODY.encode("utf-8")
    assert decoded.remark_texts() == []


def test_format_flowed_delsp_removes_the_soft_break_space():
    raw = single_part(b"abc \r\ndef\r\n", "text/plain; charset=us-ascii; format=flowed; delsp=yes")
    assert decoder.decode(raw).text == "abcdef\n"


# --- Headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw_value", "expected"), [
    ("=?gb2312?B?xPq6ww==?=", "您好"),
    ("=?GB2312?Q?=C4=FA=BA=C3_world?=", "您好 world"),
    ("=?utf-8?B?5L2g?= =?utf-8?B?5aW9?=", "你好"),  # whitespace between words is dropped
    ("=?utf-8?B?5L2g5Q==?= =?utf-8?B?pb0=?=", "你好"),  # a character split across two words
    ("Re: =?utf-8?Q?caf=C3=A9?= time", "Re: café time"),
    ('"=?gb2312?B?1cXI/Q==?=" <z@example.com>', '"张三" <z@example.com>'),
    ("=?utf-8*zh?B?5L2g?=", "你"),  # RFC 2231 language suffix
    ("plain\r\n folded\r\n\tline", "plain folded\tline"),
    ("=?gb2312?B?xPq6ww?=", "您好"),  # missing padding
])
def test_header_words_are_decoded_and_unfolded(raw_value, expected):
    decoded = decoder.decode(wire(f"Subject: {raw_value}", "", "body"))
    assert decoded.subject == expected
    assert decoded.headers[0] == decoder.HeaderField(
        "Subject", raw_value.replace("\r\n", ""), expected)


def test_unknown_word_charset_falls_back_with_one_remark():
    decoded = decoder.decode(wire(
        "Subject: =?NONE?B?VEVTVA=?= and =?NONE?B?VEVTVA=?=", "", "body"))
    assert decoded.subject == "TEST and TEST"
    complaints = [remark for remark in decoded.remark_texts() if "'none' is unknown" in remark]
    assert complaints == ["Header Subject: encoded word: charset 'none' is unknown; "
                          "decoded as utf-8."]


@pytest.mark.parametrize(("raw_subject", "expected", "codec"), [
    ("实验".encode(), "实验", "utf-8"),
    ("朱镕基".encode("gbk"), "朱镕基", "gb18030"),
    (b"caf\xe9 \xff", "café ÿ", "latin-1"),
])
def test_8bit_header_bytes_decode_as_utf8_then_gb18030_then_latin1(raw_subject, expected, codec):
    decoded = decoder.decode(wire(b"Subject: " + raw_subject, "", "body"))
    assert decoded.subject == expected
    assert any(remark.startswith("Header Subject: raw 8-bit bytes") and
               remark.endswith(f"decoded as {codec}.") for remark in decoded.remark_texts())


def test_missing_headers_are_none_not_errors():
    decoded = decoder.decode(b"Subject: hi\r\n\r\nbody\r\n")
    assert (decoded.from_, decoded.to, decoded.cc, decoded.date, decoded.message_id) == (
        None, None, None, None, None)
    assert [remark.kind for remark in decoded.remarks] == [
        "missing-from", "missing-date", "missing-message-id"]
    assert decoded.remark_texts()[1].startswith("The message has no Date header: RFC 5322 3.6 "
                                                "requires it")
    assert decoded.remark_texts("zh")[2].startswith("邮件没有 Message-ID 首部")


def test_outlook_account_test_message_is_labelled():
    raw = wire(
        "From: Teacher <teacher@example.edu.cn>", "To: Teacher <teacher@example.edu.cn>",
        "Subject: Microsoft Outlook Test Message", "MIME-Version: 1.0",
        'Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: 8bit", "",
        "<html><body>This is an email message sent automatically by Microsoft Outlook while "
        "testing the settings for your account.</body></html>")
    decoded = decoder.decode(raw)
    assert decoded.outlook_test
    assert decoded.date is None and decoded.message_id is None
    assert decoded.text.startswith("This is an email message sent automatically")
    assert decoded.text_from_html
    assert any("Test Account Settings" in remark and "without Date, Message-ID" in remark
               for remark in decoded.remark_texts())


def test_chinese_outlooks_account_test_message_is_labelled_too():
    subject = base64.b64encode("Microsoft Outlook 测试消息".encode("gb2312")).decode("ascii")
    decoded = decoder.decode(wire(
        "From: =?gb2312?B?1cXI/Q==?= <zhangsan@example.edu.cn>", f"Subject: =?gb2312?B?{subject}?=",
        "MIME-Version: 1.0", 'Content-Type: text/plain; charset="gb2312"', "", "test"))
    assert decoded.subject == "Microsoft Outlook 测试消息"
    assert decoded.outlook_test


def test_repeated_single_fields_show_the_first_with_a_remark():
    decoded = decoder.decode(wire("Subject: one", "Subject: two", "", "body"))
    assert decoded.subject == "one"
    assert "Header Subject appears 2 times; the first one is shown." in decoded.remark_texts()


# --- Charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "text", "encoding", "codec"), [
    *[(label, "朱镕基·——", "gbk", "gb18030")
      for label in ("gb2312", "GBK", "x-gbk", "cp936", "euc-cn", '"GB2312"')],
    ("ks_c_5601-1987", "똠방각하", "cp949", "cp949"),  # 똠 is not in EUC-KR
    ("windows-874", "ราคา 100€", "cp874", "cp874"),  # windows-874 is unknown to Python
    ("big5", "香港𡃁仔", "big5hkscs", "big5hkscs"),
    ("shift_jis", "①テスト", "cp932", "cp932"),
    ("iso-8859-1", "“quoted” – café", "cp1252", "cp1252"),  # WHATWG: windows-1252
])
def test_labels_decode_with_the_superset_clients_mean(label, text, encoding, codec):
    decoded = decoder.decode(single_part(text.encode(encoding), f"text/plain; charset={label}"))
    assert decoded.text == text
    assert part(decoded, "1").charset_used == codec
    assert not any("charset" in remark or "labelled" in remark for remark in decoded.remark_texts())


@pytest.mark.parametrize(("label", "body", "codec", "problem"), [
    ("x-unknown", "héllo".encode(), "utf-8", "charset 'x-unknown' is unknown"),
    ("us-ascii", "朱镕基".encode("gbk"), "gb18030", "text labelled us-ascii is not valid us-ascii"),
    ("utf-8", b"\x80abc\xff", "latin-1", "text labelled utf-8 is not valid utf-8"),
    ("base64", b"abc", "utf-8", "charset 'base64' is unknown"),  # a codec, but not for text
])
def test_wrong_or_unknown_labels_fall_back_with_a_remark(label, body, codec, problem):
    decoded = decoder.decode(single_part(body, f"text/plain; charset={label}"))
    assert decoded.text == body.decode(codec)
    assert part(decoded, "1").charset_used == codec
    assert f"Part 1 (text/plain): {problem}; decoded as {codec}." in decoded.remark_texts()


def test_text_without_charset_is_ascii_and_8bit_falls_back():
    assert part(decoder.decode(single_part(b"hello", "text/plain")), "1").charset_used == "ascii"
    decoded = decoder.decode(single_part("你好".encode(), "text/plain"))
    assert decoded.text == "你好"


def test_decoded_text_never_holds_lone_surrogates():
    decoded = decoder.decode(single_part(b"+2AA-", "text/plain; charset=utf-7"))
    decoded.text.encode("utf-8")
    json.dumps(decoded.to_json(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("encoding, body, text", [
    ("quoted-printable", b"caf\xe9 =41", "caf\u00e9 A"), ("base64", b"aGVs\xe9bG8=", "hello")])
def test_a_charset_name_holding_a_nul_with_8bit_bytes_still_decodes_the_part(encoding, body, text):
    """The email package decodes such a body by its charset and raises ValueError for a
    name holding a NUL (found by the mutated-corpus test): the part was lost."""
    raw = (b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b'Content-Type: text/plain; charset="\x00x"\r\nContent-Transfer-Encoding: '
           + encoding.encode() + b"\r\n\r\n" + body + b"\r\n--b--\r\n")
    decoded = decoder.decode(raw)
    assert decoded.text.strip() == text
    assert not [remark for remark in decoded.remark_texts() if "could not be decoded" in remark]


@pytest.mark.parametrize("disposition, filename", [
    # a NUL in the charset name: the codec registry raises ValueError, not LookupError
    (b"attachment; filename*=iso-8859-1\x00''caf%E9.txt", "caf\u00e9.txt"),
    # a last parameter cut to "filename*": the email package's parser raises IndexError
    (b"attachment;\r\n\tfilename*0*=utf-8''%E3%81%8B.txt;\r\n\tfilename*", "\u304b.txt"),
], ids=["nul-in-charset", "cut-off-parameter"])
def test_a_disposition_the_email_parser_fails_on_costs_neither_the_part_nor_its_name(
        disposition, filename):
    raw = (b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: application/octet-stream\r\nContent-Disposition: " + disposition
           + b"\r\n\r\nhello\r\n--b--\r\n")
    decoded = decoder.decode(raw)
    assert [(found.filename, found.size) for found in decoded.attachments] == [(filename, 5)]
    assert not [remark for remark in decoded.remark_texts()
                if "could not be decoded" in remark or "internal error" in remark]


# --- Attachments and file names ------------------------------------------------------------


@pytest.mark.parametrize(("headers", "expected"), [
    (["Content-Type: text/plain", "Content-Disposition: attachment; filename=\"a b.txt\""],
     "a b.txt"),
    (["Content-Type: text/plain",
      "Content-Disposition: attachment; filename*=utf-8''%E4%BD%A0%E5%A5%BD.txt"], "你好.txt"),
    (["Content-Type: text/plain", "Content-Disposition: attachment;",
      " filename*0*=gb2312''%C4%FA; filename*1*=%BA%C3; filename*2=.txt"], "您好.txt"),
    (["Content-Type: text/plain", "Content-Disposition: attachment; filename=old.txt;",
      " filename*=utf-8''new.txt"], "new.txt"),
    (["Content-Type: application/pdf; name=\"=?gb2312?B?xPq6ww==?=.pdf\""], "您好.pdf"),
    (["Content-Type: text/plain", "Content-Disposition: attachment; filename=This is a.txt"],
     "This is a.txt"),  # Apple Mail leaves names with spaces unquoted
    ([b"Content-Type: text/plain",
      b'Content-Disposition: attachment; filename="' + "朱镕基.txt".encode("gbk") + b'"'],
     "朱镕基.txt"),  # raw GBK bytes, as old Foxmail versions send
])
def test_file_names(headers, expected):
    decoded = decoder.decode(with_attachment(headers, b"data"))
    [attachment] = decoded.attachments
    assert attachment.filename == expected
    assert part(decoded, "1.2").filename == expected
    assert attachment.data == b"data"


@pytest.mark.parametrize(("content_type", "data", "expected"), [
    ("image/png", picture("PNG"), "part-1.2.png"),
    ("application/octet-stream", picture("JPEG"), "part-1.2.jpg"),  # named by its content
    ("application/pdf", b"%PDF-1.4", "part-1.2.pdf"),
    ("application/x-whatever-this-is", b"?", "part-1.2.bin"),
])
def test_nameless_parts_get_a_generated_name(content_type, data, expected):
    headers = [f"Content-Type: {content_type}"]
    [attachment] = decoder.decode(with_attachment(headers, data)).attachments
    assert attachment.filename == expected
    assert attachment.disposition is None


def test_inline_picture_in_nested_related_counts_as_attachment():
    logo = picture("GIF", (16, 8), mode="P", transparency=0)
    raw = wire(
        "Subject: newsletter", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="m"',
        "", "--m", 'Content-Type: multipart/alternative; boundary="a"', "",
        "--a", "Content-Type: text/plain; charset=utf-8", "", "text version",
        "--a", 'Content-Type: multipart/related; boundary="r"; type="text/html"', "",
        "--r", "Content-Type: text/html; charset=utf-8", "",
        '<p>Hello <img src="cid:logo@x" alt="logo"></p>',
        "--r", "Content-Type: image/gif", "Content-ID: <logo@x>",
        "Content-Disposition: inline", "Content-Transfer-Encoding: base64", "",
        base64_body(logo) + "--r--", "--a--", "--m--", "")
    decoded = decoder.decode(raw)
    [attachment] = decoded.attachments
    assert (attachment.part, attachment.content_id, attachment.disposition) == (
        "1.1.2.2", "<logo@x>", "inline")
    assert attachment.image == decoder.ImageInfo("GIF", 16, 8)
    assert decoded.text == "text version"
    assert decoded.html == '<p>Hello <img src="cid:logo@x" alt="logo"></p>'


def test_corrupt_image_is_a_remark():
    headers = ["Content-Type: image/jpeg; name=broken.jpg"]
    decoded = decoder.decode(with_attachment(headers, b"\xff\xd8\xff\xe0 not really"))
    [attachment] = decoded.attachments
    assert attachment.image is None
    assert any(remark.startswith("Part 1.2 (image/jpeg): ") and "corrupt" in remark
               for remark in decoded.remark_texts())


def test_non_image_attachment_is_not_measured_and_not_remarked():
    headers = ["Content-Type: application/zip; name=a.zip"]
    decoded = decoder.decode(with_attachment(headers, b"PK\x03\x04 zip"))
    assert decoded.attachments[0].image is None
    assert not any("Part 1.2" in remark for remark in decoded.remark_texts())


def test_decompression_bomb_sizes_are_measured_from_the_header_only(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    headers = ["Content-Type: image/png"]
    large = decoder.decode(with_attachment(headers, picture("PNG", (40, 40))))
    assert large.attachments[0].image == decoder.ImageInfo("PNG", 40, 40)
    assert any("decompression-bomb limit" in remark for remark in large.remark_texts())
    bomb = decoder.decode(with_attachment(headers, picture("PNG", (100, 100))))
    # Past twice the limit Image.open refuses the file; the size still comes from its header.
    assert bomb.attachments[0].image == decoder.ImageInfo("PNG", 100, 100)
    assert any("100x100 pixels is over Pillow's decompression-bomb limit" in remark
               for remark in bomb.remark_texts())


def test_huge_png_header_is_never_decoded():
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    ihdr = (100_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
    headers = ["Content-Type: image/png"]
    decoded = decoder.decode(with_attachment(headers, png))
    assert decoded.attachments[0].image == decoder.ImageInfo("PNG", 100_000, 100_000)
    assert any("100000x100000 pixels is over Pillow's decompression-bomb limit" in remark
               for remark in decoded.remark_texts())
    assert decoder.thumbnail(png, (100, 100)) is None


def test_forwarded_message_is_decoded_recursively():
    raw = wire(
        "Subject: Fw: report", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="o"',
        "", "--o", "Content-Type: text/plain; charset=utf-8", "", "See below.",
        "--o", "Content-Type: message/rfc822", 'Content-Disposition: attachment; filename="r.eml"',
        "", "Subject: =?utf-8?B?5oql5ZGK?=", "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="i"', "",
        "--i", "Content-Type: text/plain; charset=utf-8", "", "inner text",
        "--i", "Content-Type: image/png; name=chart.png", "Content-Transfer-Encoding: base64",
        "", base64_body(picture("PNG", (8, 8))) + "--i--", "--o--", "")
    decoded = decoder.decode(raw)
    assert decoded.text == "See below."
    assert [(node.path, node.content_type) for node in decoded.parts] == [
        ("1", "multipart/mixed"), ("1.1", "text/plain"), ("1.2", "message/rfc822"),
        ("1.2.1", "multipart/mixed"), ("1.2.1.1", "text/plain"), ("1.2.1.2", "image/png")]
    [attached] = decoded.attachments  # the chart inside it shows when it is opened
    [chart] = decoder.decode(attached.data).attachments
    assert (chart.filename, chart.part, chart.image.width) == ("chart.png", "1.2", 8)
    assert (attached.filename, attached.part, attached.content_type) == (
        "r.eml", "1.2", "message/rfc822")
    assert attached.message == decoder.AttachedMessage("报告", None, None, "inner text")
    forwarded = part(decoded, "1.2")
    assert (forwarded.subject, forwarded.from_) == ("报告", None)
    assert attached.data == body_bytes(raw, forwarded)
    assert (forwarded.filename, forwarded.decoded_size) == ("r.eml", len("inner text") + chart.size)
    assert body_bytes(raw, forwarded).startswith(b"Subject: =?utf-8?B?5oql5ZGK?=")
    assert body_bytes(raw, part(decoded, "1.2.1.1")) == b"inner text"


def test_tnef_winmail_dat_is_explained():
    headers = ['Content-Type: application/ms-tnef; name="winmail.dat"']
    decoded = decoder.decode(with_attachment(headers, b"\x78\x9f\x3e\x22 tnef"))
    assert decoded.attachments[0].filename == "winmail.dat"
    assert any("Compose messages in HTML" in remark and "Rich Text" in remark
               for remark in decoded.remark_texts())


# --- Transfer encodings, defects and remarks -----------------------------------------------


@pytest.mark.parametrize(("cte", "body", "text", "remark"), [
    ("quoted-printable", b"caf=C3=A9 =\r\nend", "café end", None),
    ("Quoted printable", b"caf=C3=A9", "café", "'quoted printable' is read as quoted-printable"),
    ("base64;", b"5L2g5aW9", "你好", "'base64;' is read as base64"),
    ("7-bit", b"plain", "plain", "unknown Content-Transfer-Encoding '7-bit'"),
    ("binary", "二进制".encode(), "二进制", None),
])
def test_transfer_encodings(cte, body, text, remark):
    decoded = decoder.decode(single_part(body, "text/plain; charset=utf-8", cte=cte))
    assert decoded.text == text
    if remark is None:
        assert decoded.remark_texts() == []
    else:
        assert any(remark in line for line in decoded.remark_texts())


@pytest.mark.parametrize(("encoded", "remark"), [
    ("5L2g5aW9\r\n5L2", "bad base64 padding or length (cut off?), repaired"),
    ("5L2g5aW\r\n", "bad base64 padding or length (cut off?), repaired"),
    ("5L2g*5aW9\r\n", "characters outside the base64 alphabet or after its padding (skipped)"),
])
def test_bad_base64_is_repaired_with_a_remark(encoded, remark):
    decoded = decoder.decode(single_part(encoded.encode(), "text/plain; charset=utf-8",
                                         cte="base64"))
    assert decoded.text.startswith("你")
    assert f"Part 1 (text/plain): {remark}." in decoded.remark_texts()


def test_truncated_message_keeps_what_arrived():
    raw = outlook_seed_message()
    cut = raw[: len(raw) * 2 // 3]  # in the middle of the JPEG
    decoded = decoder.decode(cut)
    assert decoded.subject == SEED_SUBJECT and decoded.text == SEED_TEXT.replace("\r\n", "\n")
    assert any("closing boundary line is missing" in remark for remark in decoded.remark_texts())
    jpeg = part(decoded, "1.2")
    assert jpeg.body_end == len(cut) and part(decoded, "1").body_end == len(cut)


def test_last_part_of_a_cut_off_multipart_ends_before_the_final_line_break():
    """The parser takes the final line break off the last part even with no boundary after
    it. With raw 8-bit bytes in quoted-printable, get_payload() returns decoded text, so only
    the scan of the raw bytes can place the end."""
    body = "café=\r\n raw 8-bit".encode()
    raw = wire("Subject: cut", "Content-Type: multipart/mixed; boundary=b", "", "--b",
               "Content-Type: text/plain; charset=utf-8",
               "Content-Transfer-Encoding: quoted-printable", "", body, "")
    decoded = decoder.decode(raw)
    assert decoded.text == "café raw 8-bit"
    assert body_bytes(raw, part(decoded, "1.1")) == body
    assert part(decoded, "1").body_end == len(raw)


def test_bare_lf_line_ends_are_remarked():
    decoded = decoder.decode(b"Subject: lf\n\nline one\nline two\n")
    assert decoded.text == "line one\nline two\n"
    assert any("bare LF line ends" in remark for remark in decoded.remark_texts())


def test_outlook_express_unquoted_boundary_is_read_like_a_mail_reader():
    boundary = "----=_NextPart_000_0093_01C81419.EB75E850"
    raw = wire("Subject: oe", "MIME-Version: 1.0",
               f"Content-Type: multipart/alternative; boundary={boundary}", "",
               f"--{boundary}", "Content-Type: text/plain; charset=iso-8859-1", "", "Hello",
               f"--{boundary}", "Content-Type: text/html; charset=iso-8859-1", "",
               "<p>Hello</p>", f"--{boundary}--", "")
    decoded = decoder.decode(raw)
    assert (decoded.text, decoded.html) == ("Hello", "<p>Hello</p>")
    assert any("boundary parameter has characters that need quotes" in remark
               for remark in decoded.remark_texts())


def test_control_characters_cannot_reach_the_console():
    decoded = decoder.decode(single_part(b"red \x1b[31m alert", "text/plain"))
    assert decoded.text == "red \x1b[31m alert"
    assert "red \\x1b[31m alert" in decoder.format_report(decoded)


def test_an_internal_bug_becomes_a_remark_and_keeps_the_headers(monkeypatch):
    def broken(*args):
        raise RuntimeError("bug")
    monkeypatch.setattr(decoder._Decoding, "_walk", broken)
    decoded = decoder.decode(outlook_seed_message())
    assert decoded.subject == SEED_SUBJECT
    assert any("internal error (RuntimeError('bug'))" in remark
               for remark in decoded.remark_texts())


@pytest.mark.parametrize("raw", [b"", b"\r\n", b"no headers at all", b"\xff" * 100,
                                 b"Content-Type: multipart/mixed\r\n\r\n--\r\n"])
def test_odd_inputs_decode(raw):
    decoded = decoder.decode(raw)
    assert no_internal_error(decoded)
    json.dumps(decoded.to_json())


# --- HTML to text --------------------------------------------------------------------------


@pytest.mark.parametrize(("html", "text"), [
    ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ("a<br>b<br/><br>c", "a\nb\n\nc"),
    ("<ul><li>x</li><li>y</li></ul>", "• x\n• y"),
    ("<head><title>T</title><style>p {}</style></head><body><script>x()</script>Hi</body>",
     "Hi"),
    ("Tom &amp; Jerry&nbsp;&lt;3 &#20320;&#x597d;", "Tom & Jerry <3 你好"),
    ("<p class=MsoNormal>line 1<o:p></o:p></p><p class=MsoNormal>line 2</p>", "line 1\nline 2"),
    ("<div>  lots   of\n spaces </div><div>next</div>", "lots of spaces\nnext"),
    ('<img src="cid:x" alt="Logo"><img src="t.gif" width="1" height="1">', "[Logo]"),
    # no alt text: a mark, not a word; the renderers say "picture" in the reader's language
    ('<p>Hi <img src="cid:image001.png@01DA"><img alt=" "></p>', "Hi \ufffc\ufffc"),
    ("<pre>  keep\n   this</pre>", "keep\n   this"),
    ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
])
def test_html_to_text(html, text):
    assert decoder.html_to_text(html) == text


@pytest.mark.parametrize(("lang", "word"), [("en", "[picture]"), ("zh", "［图片］")])
def test_a_picture_without_alt_text_is_named_in_the_readers_language(lang, word):
    raw = wire("From: a@example.com", "Subject: logo", "MIME-Version: 1.0",
               'Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: 8bit", "",
               '<p>Our school<img src="cid:logo@x"> and <img src="cid:badge@x" alt="校徽"></p>'
               .encode("utf-8"))
    decoded = decoder.decode(raw)
    assert decoded.text == "Our school\ufffc and [校徽]"  # decode() speaks no language
    assert decoded.to_json()["text"] == decoded.text
    assert f"Our school{word} and [校徽]" in decoder.format_report(decoded, lang)


def test_html_to_text_keeps_the_text_before_a_section_the_parser_rejects():
    # Python 3.10-3.12 raise AssertionError on "<![foo[" (newer versions read it as a comment)
    assert decoder.html_to_text("before<![foo[ bar ]]>after").startswith("before")


# --- JSON, report, thumbnails --------------------------------------------------------------


def test_to_json_has_the_contract_keys_and_no_bytes(seed):
    raw, decoded = seed
    data = decoded.to_json()
    assert set(data) == {"subject", "from", "to", "cc", "date", "message_id", "text", "html",
                         "text_from_html", "outlook_test", "body", "headers", "attachments",
                         "parts", "remarks"}
    assert data["body"] == [{"part": "1.1.1", "kind": "plain", "text": decoded.text}]
    assert data["from"] == decoded.from_
    assert data["headers"][0] == {"name": "From", "value": decoded.from_}
    assert data["attachments"] == [{
        "filename": SEED_ATTACHMENT_NAME, "content_type": "image/jpeg", "content_id": None,
        "disposition": "attachment", "size": decoded.attachments[0].size,
        "sha256": decoded.attachments[0].sha256, "part": "1.2",
        "width": 640, "height": 480, "format": "JPEG"}]
    assert data["parts"][4]["body_start"] == part(decoded, "1.2").body_start
    assert json.loads(json.dumps(data)) == data


def test_attachment_json_has_image_fields_only_for_images():
    headers = ["Content-Type: application/zip; name=a.zip"]
    [attachment] = decoder.decode(with_attachment(headers, b"PK")).attachments
    assert "width" not in attachment.to_json() and "format" not in attachment.to_json()


def test_report_shows_headers_text_attachments_tree_and_remarks(seed):
    raw, decoded = seed
    decoded.remarks.append(Note(RemarkKind.TOO_MANY_LOST_PARTS, {"count": 100}))
    report = decoder.format_report(decoded)
    assert f"Subject:    {SEED_SUBJECT}" in report
    assert "Cc:         (none)" in report
    assert "这是用 Outlook 发送的实验邮件" in report
    assert f"  {SEED_ATTACHMENT_NAME}  image/jpeg" in report and "JPEG 640x480" in report
    jpeg = part(decoded, "1.2")
    assert "    1.2 image/jpeg  base64  attachment" in report
    assert f"bytes {jpeg.body_start}-{jpeg.body_end}" in report
    assert "  - More than 100 parts lie outside the MIME structure" in report
    chinese = decoder.format_report(decoded, "zh")
    assert "--- 解码提示（1）---" in chinese and "  - 超过 100 个部分不在 MIME 结构内" in chinese
    assert f"字节 {jpeg.body_start}-{jpeg.body_end}" in chinese


@pytest.mark.parametrize(("data", "mode"), [
    (picture("JPEG", (800, 600)), "RGB"),
    (picture("PNG", (800, 600), mode="RGBA"), "RGBA"),
    (picture("GIF", (800, 600), mode="P", transparency=0), "RGBA"),
    (picture("BMP", (800, 600), mode="L"), "RGB"),
])
def test_thumbnail_keeps_aspect_and_gives_tk_modes(data, mode):
    image = decoder.thumbnail(data, (200, 200))
    assert (image.size, image.mode) == ((200, 150), mode)


@pytest.mark.parametrize("data", [b"", b"not an image", picture("JPEG")[:40]])
def test_thumbnail_of_unreadable_data_is_none(data):
    assert decoder.thumbnail(data, (100, 100)) is None


# --- Command line --------------------------------------------------------------------------


def run_cli(*args: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([sys.executable, str(DECODER_SCRIPT), *args], capture_output=True,
                          env=environment, timeout=60, check=False)


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "outlook.eml"
    path.write_bytes(outlook_seed_message())
    return path


def test_cli_json_is_utf8_even_on_a_cp437_console(seed_file):
    result = run_cli(str(seed_file), "--json", encoding="cp437")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.decode("utf-8"))
    assert data["subject"] == SEED_SUBJECT
    assert data["attachments"][0]["filename"] == SEED_ATTACHMENT_NAME


@pytest.mark.parametrize("encoding", ["cp437", "cp936"])
def test_cli_report_survives_a_narrow_console(seed_file, encoding):
    result = run_cli(str(seed_file), encoding=encoding)
    assert result.returncode == 0, result.stderr
    report = result.stdout.decode(encoding)
    assert "--- MIME tree ---" in report and "JPEG 640x480" in report
    if encoding == "cp936":
        assert SEED_SUBJECT in report
    assert result.stderr == b""


def test_cli_missing_file_is_one_line_and_exit_2(tmp_path):
    result = run_cli(str(tmp_path / "missing.eml"), encoding="utf-8")
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_main_in_process(seed_file, capsys):
    assert decoder.main([str(seed_file)]) == 0
    assert SEED_SUBJECT in capsys.readouterr().out


# --- The public corpus ---------------------------------------------------------------------


def readable_text_expected(raw: bytes) -> bool:
    """Whether the stdlib finds a non-blank text/plain or text/html part a reader would see:
    not an attachment, and not inside a forwarded message or delivery report."""
    from email import message_from_bytes, policy

    def visible(node) -> bool:
        if node.is_multipart():
            return node.get_content_maintype() == "multipart" and any(
                visible(child) for child in node.get_payload())
        if node.get_content_type() not in ("text/plain", "text/html") or node.is_attachment():
            return False
        return bool(node.get_payload(decode=True).strip())

    return visible(message_from_bytes(raw, policy=policy.default))


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p and corpus_id(p))
def test_corpus_message_decodes(path):
    require_corpus()
    raw = path.read_bytes()
    decoded = decoder.decode(raw)
    assert no_internal_error(decoded), decoded.remark_texts()
    if readable_text_expected(raw):
        assert decoded.text and decoded.text.strip()
    json.dumps(decoded.to_json(), ensure_ascii=False).encode("utf-8")
    for node in decoded.parts:
        assert 0 <= node.body_start <= node.body_end <= len(raw)
    for attachment in decoded.attachments:
        node = part(decoded, attachment.part)
        located = not any(f"Part {node.path} " in remark for remark in decoded.remark_texts())
        if node.transfer_encoding == "base64" and located:
            assert sha256(base64.b64decode(body_bytes(raw, node))) == attachment.sha256


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p and corpus_id(p))
def test_corpus_byte_ranges_are_in_step_with_the_parsed_tree(path):
    """Each leaf's byte range slices the raw message to exactly the body the parser found."""
    require_corpus()
    raw = path.read_bytes()
    decoded = decoder.decode(raw)
    parsed = list(decoder._parse(raw).walk())
    assert [node.get_content_type() for node in parsed] == [
        node.content_type for node in decoded.parts]
    for node, parsed_node in zip(decoded.parts, parsed, strict=True):
        if parsed_node.is_multipart():
            continue
        payload = parsed_node.get_payload()  # as it arrived, unless get_payload() decoded 8-bit
        expected = (payload.encode("ascii") if payload.isascii()
                    else parsed_node.get_payload(decode=True))
        assert body_bytes(raw, node) == expected, node.path


def test_corpus_spot_checks():
    require_corpus()
    mail = CORPUS / "mikel-mail"

    def decode(name: str) -> decoder.DecodedMessage:
        return decoder.decode((mail / name).read_bytes())

    assert decode("multi_charset/japanese_shift_jis.eml").text.startswith("あいうえお")
    assert decode("multi_charset/ks_c_5601-1987.eml").text.strip() == "스티해"
    assert decode("multi_charset/japanese_iso_2022.eml").subject == "まみむめも"
    assert decode("mime_emails/raw_email_with_illegal_boundary.eml").text.startswith(
        "Hello\nThis is an outlook test")
    [name] = decode("multi_charset/japanese_attachment_long_name.eml").attachments
    assert name.filename == "かきくけこ" * 5 + ".txt"


# --- Properties ----------------------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sound(raw: bytes, decoded: decoder.DecodedMessage) -> None:
    assert isinstance(decoded, decoder.DecodedMessage)
    assert no_internal_error(decoded), decoded.remark_texts()
    assert len(decoded.remark_texts()) == len(set(decoded.remark_texts()))
    for node in decoded.parts:
        assert 0 <= node.body_start <= node.body_end <= len(raw)
    json.dumps(decoded.to_json(), ensure_ascii=False).encode("utf-8")


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw):
    assert_sound(raw, decoder.decode(raw))


@FAST
@given(st.lists(st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=b\r\n", b"Content-Type: message/rfc822\r\n",
    b"Content-Type: message/delivery-status\r\n", b"Content-Type: text/plain; charset=gb2312\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Subject: =?gb2312?B?xPq6ww==?=\r\n", b"\r\n", b"--b\r\n", b"--b--\r\n", b"\n", b"\r",
    b"xPq6ww==\r\n", b"=C4=FA\r\n", b"From x\r\n", b" folded\r\n", "朱镕基".encode("gbk"),
]), max_size=40))
def test_mime_shaped_noise_never_raises(pieces):
    raw = b"".join(pieces)
    assert_sound(raw, decoder.decode(raw))


def mutate(raw: bytes, data: st.DataObject) -> bytes:
    kind = data.draw(st.sampled_from(["truncate", "flip", "drop boundaries", "insert"]))
    if kind == "truncate":
        return raw[: data.draw(st.integers(0, len(raw)))]
    if kind == "flip":
        mutable = bytearray(raw)
        for _ in range(data.draw(st.integers(1, 8))):
            if mutable:
                mutable[data.draw(st.integers(0, len(mutable) - 1))] = data.draw(
                    st.integers(0, 255))
        return bytes(mutable)
    if kind == "drop boundaries":
        lines = raw.split(b"\n")
        keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
        return b"\n".join(line for line, kept in zip(lines, keep, strict=True)
                          if kept or not line.startswith(b"--"))
    position = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.sampled_from([b"\r\n", b"\n", b"\r", b"--", b"\r\n\r\n", b"=", b"\xff"]))
    return raw[:position] + junk + raw[position:]


@FAST
@given(st.data())
def test_mutated_corpus_messages_never_raise(data):
    require_corpus()
    path = data.draw(st.sampled_from(corpus_files()), label="file")
    raw = mutate(path.read_bytes(), data)
    assert_sound(raw, decoder.decode(raw))


def nested_multipart(depth: int) -> bytes:
    """`depth` multiparts, each holding the next, around one text part."""
    inner = b"Content-Type: text/plain\r\n\r\ninnermost text\r\n"
    for level in range(depth):
        boundary = b"level%d" % level
        inner = (b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--'
                 + boundary + b"\r\n" + inner + b"\r\n--" + boundary + b"--\r\n")
    return b"Subject: deep\r\n" + inner


def test_a_thousand_nested_multiparts_decode_to_the_nesting_limit_without_errors():
    # Issue 14.2: as Postfix's mime_nesting_limit, parts below level 100 keep only headers.
    decoded = decoder.decode(nested_multipart(1000))
    assert len(decoded.parts) == decoder.MIME_NESTING_LIMIT + 2
    assert decoded.parts[-1].depth == decoder.MIME_NESTING_LIMIT + 1
    assert decoded.text is None  # the innermost text lies beyond the limit
    assert not [remark for remark in decoded.remark_texts() if "error" in remark.lower()]
    assert any("nested deeper than 100 levels" in remark for remark in decoded.remark_texts())


def test_more_multiparts_than_a_reader_shows_are_decoded_as_headers_only():
    decoded = decoder.decode(nested_multipart(5000))
    assert decoded.subject == "deep" and decoded.text is None
    assert any("declares 5000 multipart or message parts" in remark
               for remark in decoded.remark_texts())


def test_a_one_megabyte_header_decodes():
    words = "=?utf-8?B?5L2g5aW9?= " * 50_000
    raw = f"Subject: {'x' * (1 << 20)}\r\nX-Words: {words}\r\n\r\nbody\r\n".encode()
    decoded = decoder.decode(raw)
    assert decoded.subject == "x" * (1 << 20)
    assert decoded.headers[1].value.startswith("你好你好")
    assert decoded.text == "body\n"


# --- Long base64 bodies, decoded from the raw bytes ----------------------------------------

LONG_DATA = bytes(range(256)) * 1500  # 384 KB: its base64 is a run long enough to skip the parser


def long_attachment(data: bytes = LONG_DATA) -> bytes:
    return with_attachment(["Content-Type: application/pdf; name=long.pdf"], data)


def with_line_in_the_middle(raw: bytes, line: bytes) -> bytes:
    middle = raw.index(b"\r\n", len(raw) // 2) + 2
    return raw[:middle] + line + b"\r\n" + raw[middle:]


LONG_BASE64_MESSAGES = {
    "attachment": long_attachment(),
    "bare LF": long_attachment().replace(b"\r\n", b"\n"),
    "a bad line in the middle": with_line_in_the_middle(long_attachment(), b"not base64!"),
    "an 8-bit byte in the middle": with_line_in_the_middle(long_attachment(), b"\xe4"),
    "cut off": long_attachment()[: len(long_attachment()) * 2 // 3],
    "base64 lines in 7bit text": single_part(base64_body(LONG_DATA).encode(), "text/plain"),
    "a delivery-status block": wire(
        "Subject: report", 'Content-Type: multipart/report; boundary="r"', "", "--r",
        "Content-Type: message/delivery-status", "", "Reporting-MTA: dns; mx.example.com",
        base64_body(LONG_DATA) + "Action: failed", "--r--", ""),
}


def decoded_json_and_data(raw: bytes) -> tuple[dict, list[bytes]]:
    decoded = decoder.decode(raw)
    return decoded.to_json(), [attachment.data for attachment in decoded.attachments]


@pytest.mark.parametrize("raw", LONG_BASE64_MESSAGES.values(), ids=LONG_BASE64_MESSAGES.keys())
def test_long_base64_runs_decode_as_if_the_parser_had_read_them(raw, monkeypatch):
    assert list(decoder._base64_runs(raw))  # the parser gets a placeholder line instead
    from_raw_bytes = decoded_json_and_data(raw)
    monkeypatch.setattr(decoder, "_MIN_RUN", len(raw) + 1)
    assert decoded_json_and_data(raw) == from_raw_bytes


def test_a_long_base64_attachment_is_decoded_in_less_memory_than_the_message():
    data = LONG_DATA * 8
    raw = long_attachment(data)
    tracemalloc.start()
    try:
        decoded = decoder.decode(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert decoded.attachments[0].data == data and not decoded.remark_texts()
    assert peak < len(raw)  # through the parser, its lines and their join were 2.4x the message
