"""Real-world structure (issue 13): every inline text in order, attached mail, reports, broken
structure, x-uuencode. Each class is tested with a constructed message and, where the public
corpus (../shared/corpus/mikel-mail, MIT licence, read by path) has one, with real mail."""

from __future__ import annotations

import binascii
import io
import json
import re
import zipfile

import pytest
from corpus import CORPUS, require_corpus
from messages import (BOUNCE_ORIGINAL_SUBJECT, BOUNCE_STATUS, IPHONE_PICTURE_NAME, IPHONE_TEXTS,
                      base64_body, bounce_message, iphone_message, sample_picture)

import decoder
import words
from events import RemarkKind

MIKEL = CORPUS / "mikel-mail"


def wire(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("utf-8")


def mixed(*parts: list[str], boundary: str = "b", content_type: str = "multipart/mixed"
          ) -> list[str]:
    """A multipart's lines: its header, each part's lines after a boundary line, the close."""
    lines = [f'Content-Type: {content_type}; boundary="{boundary}"', ""]
    for part_lines in parts:
        lines += [f"--{boundary}", *part_lines]
    return lines + [f"--{boundary}--", ""]


def message(*body: str, subject: str = "test") -> bytes:
    return wire("From: a@example.com", f"Subject: {subject}",
                "Date: Tue, 2 Dec 2025 10:00:00 +0800", "Message-ID: <t@example.com>",
                "MIME-Version: 1.0", *body)


def text_part(text: str, subtype: str = "plain", *extra: str) -> list[str]:
    return [f"Content-Type: text/{subtype}; charset=utf-8", *extra, "", text]


def pdf_part(name: str = "a.pdf", data: bytes = b"%PDF-1.4 lost?") -> list[str]:
    return [f"Content-Type: application/pdf; name={name}", "Content-Transfer-Encoding: base64",
            "", base64_body(data).rstrip("\r\n")]


def kinds(decoded: decoder.DecodedMessage) -> list[tuple[str, str]]:
    return [(piece.part, piece.kind) for piece in decoded.body]


def read(name: str) -> decoder.DecodedMessage:
    require_corpus()
    return decoder.decode((MIKEL / name).read_bytes())


# --- 1. Every inline text part, in order, pictures between them --------------------------


def test_iphone_text_photo_text_shows_both_texts_and_the_photo_between():
    decoded = decoder.decode(iphone_message())
    assert kinds(decoded) == [("1.1", "plain"), ("1.2", "picture"), ("1.3", "plain")]
    first, second = (text.replace("\r\n", "\n") for text in IPHONE_TEXTS)
    assert decoded.text == first.rstrip("\n") + "\n\n" + second
    [photo] = decoded.attachments
    assert (photo.filename, photo.part, photo.image.format) == (IPHONE_PICTURE_NAME, "1.2", "JPEG")
    assert decoded.to_json()["text"] == decoded.text
    assert [piece["kind"] for piece in decoded.to_json()["body"]] == ["plain", "picture", "plain"]
    assert decoded.remark_texts() == []


def test_footer_appended_by_a_list_shows_after_the_alternative():
    raw = message(*mixed(mixed(text_part("Hello list."), text_part("<p>Hello <b>list</b>.</p>",
                                                                   "html"),
                               boundary="alt", content_type="multipart/alternative"),
                         text_part("--\nlab-list mailing list\nhttps://lists.example.edu/")))
    decoded = decoder.decode(raw)
    assert kinds(decoded) == [("1.1.1", "plain"), ("1.2", "plain")]
    assert decoded.text == "Hello list.\n\n--\nlab-list mailing list\nhttps://lists.example.edu/"
    assert decoded.html == "<p>Hello <b>list</b>.</p>"


def test_a_second_alternative_after_the_first_shows_too():
    alternative = mixed(text_part("part one"), text_part("<p>part one</p>", "html"),
                        boundary="a1", content_type="multipart/alternative")
    later = mixed(text_part("part two"), text_part("<p>part two</p>", "html"),
                  boundary="a2", content_type="multipart/alternative")
    decoded = decoder.decode(message(*mixed(alternative, later)))
    assert decoded.text == "part one\n\npart two"
    assert not decoded.text_from_html


def test_text_parts_with_a_file_name_or_attachment_disposition_are_not_inline():
    raw = message(*mixed(text_part("shown"),
                         text_part("a file", "plain", "Content-Disposition: inline; filename=n"),
                         text_part("another", "plain", "Content-Disposition: attachment")))
    decoded = decoder.decode(raw)
    assert decoded.text == "shown"
    assert [attachment.part for attachment in decoded.attachments] == ["1.2", "1.3"]


def test_apple_mail_rich_alternative_with_a_photo_wins_over_its_plain_text():
    """Apple Mail writes multipart/alternative: text/plain, then multipart/mixed with HTML, the
    photo and more HTML; readers show the rich one, photo between the texts."""
    rich = mixed(text_part("<div>before</div>", "html"),
                 ["Content-Type: image/png; name=p.png",
                  "Content-Disposition: inline; filename=p.png",
                  "Content-Transfer-Encoding: base64", "",
                  base64_body(sample_picture("PNG", (20, 10))).rstrip("\r\n")],
                 text_part("<div>after</div>", "html"), boundary="rich")
    decoded = decoder.decode(message(*mixed(text_part("before\n\nafter"), rich, boundary="alt",
                                            content_type="multipart/alternative")))
    assert kinds(decoded) == [("1.2.1", "html"), ("1.2.2", "picture"), ("1.2.3", "html")]
    assert decoded.text == "before\n\nafter" and decoded.text_from_html


def test_related_shows_its_start_part_only():
    related = mixed(["Content-Type: image/png", "Content-ID: <logo>",
                     "Content-Transfer-Encoding: base64", "",
                     base64_body(sample_picture("PNG", (4, 4))).rstrip("\r\n")],
                    [*text_part('<p>hi <img src="cid:logo" alt="logo"></p>', "html")[:1],
                     "Content-ID: <body>", "", '<p>hi <img src="cid:logo" alt="logo"></p>'],
                    boundary="rel", content_type='multipart/related; start="<body>"')
    decoded = decoder.decode(message(*related))
    assert kinds(decoded) == [("1.2", "html")]
    assert decoded.text == "hi [logo]"


# --- 2. An empty text part never hides the real body ----------------------------------------


@pytest.mark.parametrize("content_type", ["multipart/alternative", "multipart/mixed"])
def test_whitespace_only_plain_text_does_not_hide_the_html(content_type):
    raw = message(*mixed(text_part(" \r\n\r\n"), text_part("<p>The real body</p>", "html"),
                         content_type=content_type))
    decoded = decoder.decode(raw)
    assert decoded.text == "The real body" and decoded.text_from_html
    assert kinds(decoded) == [("1.2", "html")]


def test_an_empty_last_part_adds_nothing():
    decoded = decoder.decode(message(*mixed(text_part("body"), text_part(""))))
    assert decoded.text == "body" and kinds(decoded) == [("1.1", "plain")]


def test_a_message_whose_only_text_is_blank_keeps_it():
    decoded = decoder.decode(message("Content-Type: text/plain", "", "  "))
    assert decoded.text == "  " and kinds(decoded) == [("1", "plain")]


# --- 3. Attached mail --------------------------------------------------------------------


FORWARDED = ["From: =?utf-8?B?546L5LqU?= <wangwu@example.com>", "Subject: =?utf-8?B?5Lya6K6u?=",
             "Date: Mon, 1 Dec 2025 08:00:00 +0800", "Content-Type: text/plain; charset=utf-8",
             "", "See you at nine."]


@pytest.mark.parametrize("content_type", ["message/rfc822", "message/global", "message/news"])
def test_attached_mail_is_an_eml_attachment_named_after_its_subject(content_type):
    raw = message(*mixed(text_part("FYI"), [f"Content-Type: {content_type}", "", *FORWARDED]))
    decoded = decoder.decode(raw)
    [attached] = decoded.attachments
    node = next(part for part in decoded.parts if part.path == "1.2")
    assert attached.filename == "会议.eml" and attached.content_type == content_type
    assert attached.data == raw[node.body_start:node.body_end]
    assert attached.data.startswith(b"From: =?utf-8?B?546L5LqU?=")
    assert attached.data.endswith(b"See you at nine.")
    assert attached.message == decoder.AttachedMessage("会议", "王五 <wangwu@example.com>",
                                                        "Mon, 1 Dec 2025 08:00:00 +0800",
                                                        "See you at nine.")
    assert json.loads(json.dumps(attached.to_json()))["message"] == {
        "subject": "会议", "from": "王五 <wangwu@example.com>",
        "date": "Mon, 1 Dec 2025 08:00:00 +0800", "text": "See you at nine."}
    assert decoded.text == "FYI"  # the attached mail's text is not the body's
    assert (node.subject, node.from_) == ("会议", "王五 <wangwu@example.com>")
    opened = decoder.decode(attached.data)  # opened as a message of its own
    assert (opened.subject, opened.text) == ("会议", "See you at nine.")


def test_attached_mail_keeps_its_name_and_unsafe_subjects_make_safe_names():
    named = decoder.decode(message(*mixed(
        ["Content-Type: message/rfc822", 'Content-Disposition: attachment; filename="fw.eml"',
         "", *FORWARDED])))
    assert named.attachments[0].filename == "fw.eml"
    nameless = decoder.decode(message(*mixed(
        ["Content-Type: message/rfc822", "", "Subject: Re: a/b\\c: d?", "", "x"])))
    assert nameless.attachments[0].filename == "Re a b c d.eml"
    no_subject = decoder.decode(message(*mixed(["Content-Type: message/rfc822", "", "", "x"])))
    assert no_subject.attachments[0].filename == "part-1.1.eml"


def test_attached_mail_in_base64_is_listed_decoded():
    inner = "\r\n".join(FORWARDED).encode("utf-8")
    raw = message(*mixed(["Content-Type: message/rfc822", "Content-Transfer-Encoding: base64",
                          "", base64_body(inner).rstrip("\r\n")]))
    [attached] = decoder.decode(raw).attachments
    assert attached.data == inner


def test_rfc822_headers_part_is_an_attached_mail_without_text():
    raw = message(*mixed(text_part("returned"),
                         ["Content-Type: text/rfc822-headers", "", *FORWARDED[:3], ""]))
    decoded = decoder.decode(raw)
    [headers] = decoded.attachments
    assert (headers.filename, headers.content_type) == ("会议.eml", "text/rfc822-headers")
    assert headers.message == decoder.AttachedMessage("会议", "王五 <wangwu@example.com>",
                                                       "Mon, 1 Dec 2025 08:00:00 +0800", None)
    assert decoded.text == "returned"


def test_forwarded_mail_subject_and_from_show_in_the_tree():
    raw = message(*mixed(text_part("FYI"), ["Content-Type: message/rfc822", "", *FORWARDED]))
    lines = [decoder.describe_part(part) for part in decoder.decode(raw).parts]
    assert "Subject: '会议'" in lines[2] and "From: '王五 <wangwu@example.com>'" in lines[2]


def test_files_inside_an_attached_mail_show_when_it_is_opened():
    """As Thunderbird lists them: the attached mail is one attachment of the message that holds
    it, beside that message's own files; the files inside it (a mail attached to it too) are its
    own, with its own tree, when it is opened."""
    inner_mail = ["Subject: 作业", "Content-Type: text/plain; charset=utf-8", "", "Done."]
    forwarded = ["From: 王五 <wangwu@example.com>", "Subject: Fw: 作业", "MIME-Version: 1.0",
                 *mixed(text_part("Two files and a mail."), pdf_part("inner.pdf"),
                        ["Content-Type: image/png; name=inner.png",
                         "Content-Transfer-Encoding: base64", "",
                         base64_body(sample_picture("PNG", (4, 4))).rstrip("\r\n")],
                        ["Content-Type: message/rfc822", "", *inner_mail], boundary="i")]
    raw = message(*mixed(text_part("FYI"), ["Content-Type: message/rfc822", "", *forwarded],
                         pdf_part("outer.pdf"), boundary="o"))
    decoded = decoder.decode(raw)
    assert [(a.filename, a.part) for a in decoded.attachments] == [
        ("Fw 作业.eml", "1.2"), ("outer.pdf", "1.3")]
    assert decoded.text == "FYI"
    assert [part.path for part in decoded.parts] == [  # the tree shows what is inside
        "1", "1.1", "1.2", "1.2.1", "1.2.1.1", "1.2.1.2", "1.2.1.3", "1.2.1.4", "1.2.1.4.1",
        "1.3"]
    opened = decoder.decode(decoded.attachments[0].data)
    assert [(a.filename, a.part) for a in opened.attachments] == [
        ("inner.pdf", "1.2"), ("inner.png", "1.3"), ("作业.eml", "1.4")]
    assert opened.attachments[0].data == b"%PDF-1.4 lost?"
    assert [part.path for part in opened.parts] == ["1", "1.1", "1.2", "1.3", "1.4", "1.4.1"]
    assert (opened.subject, opened.text) == ("Fw: 作业", "Two files and a mail.")
    assert [piece.kind for piece in opened.body] == ["plain", "picture"]
    assert decoder.decode(opened.attachments[2].data).text == "Done."


def test_real_forwarded_mail_is_an_attachment_with_its_headers():
    decoded = read("attachment_emails/attachment_message_rfc822.eml")
    forwarded = next(a for a in decoded.attachments if a.content_type == "message/rfc822")
    assert forwarded.filename == "ForwardedMessage.eml"  # its own name is kept
    assert forwarded.message.subject == "Another PDF"
    assert forwarded.message.from_ == "Test Tester <xxxx@xxxx.com>"
    assert decoder.decode(forwarded.data).subject == "Another PDF"
    # the PDF inside it is its own, as Thunderbird lists it
    assert [attachment.filename for attachment in decoded.attachments] == ["ForwardedMessage.eml"]
    assert [attachment.filename for attachment in decoder.decode(forwarded.data).attachments] == [
        "broken.pdf"]


# --- 4. Reports ----------------------------------------------------------------------------


def test_bounce_shows_notice_status_fields_and_returned_mail():
    decoded = decoder.decode(bounce_message())
    assert kinds(decoded) == [("1.1", "plain"), ("1.2", "report")]
    assert "could not\nbe delivered" in decoded.text
    assert f"Action: failed\nStatus: {BOUNCE_STATUS}\n" in decoded.text
    assert decoded.text.index("could not") < decoded.text.index("Reporting-MTA: dns;")
    [returned] = decoded.attachments
    assert returned.filename == f"{BOUNCE_ORIGINAL_SUBJECT}.eml"
    assert returned.message.subject == BOUNCE_ORIGINAL_SUBJECT
    assert returned.message.text == "老师您好：实验报告见正文。\n"
    assert decoded.remark_texts() == []


def test_the_returned_mails_problems_are_its_own_shown_when_it_is_opened():
    """A reader shows the bounce's remarks with the bounce, and the returned mail's (a boundary
    that never appears, an unknown charset, a file lost in the broken multipart) when that mail
    is opened: its parts stay in the bounce's tree, its files in its own list."""
    broken = ('Content-Type: multipart/mixed; boundary="never"\r\n\r\n'
              "--elsewhere\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nhi\r\n"
              "--elsewhere\r\nContent-Type: application/pdf; name=lost.pdf\r\n\r\n%PDF-1.4\r\n"
              "X-Ignored: ").encode("ascii")
    raw = bounce_message().replace(
        b'Content-Type: text/plain; charset="gb2312"\r\nContent-Transfer-Encoding: base64\r\n'
        b"\r\n", broken)
    decoded = decoder.decode(raw)
    assert decoded.remark_texts("zh") == []  # the bounce itself is well formed
    assert [part.path for part in decoded.parts] == [
        "1", "1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.3.1", "1.3.1.1", "1.3.1.2"]
    [returned] = decoded.attachments
    assert returned.part == "1.3"
    opened = decoder.decode(returned.data)
    texts = opened.remark_texts("zh")
    assert [text.split("：")[0] for text in texts if "边界行从未出现" in text] == [
        "第 1 部分（multipart/mixed）"]
    assert any(text.startswith("第 1.1 部分（text/plain）：字符集 'x-unknown' 未知")
               for text in texts), texts
    assert [attachment.filename for attachment in opened.attachments] == ["lost.pdf"]


def test_a_forwarded_mails_problems_stay_with_it_but_the_outer_parts_own_are_said():
    forwarded = ["From: a@example.com", "Subject: Fw: x", "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=x-unknown", "", "inner"]
    raw = message(*mixed(["Content-Type: text/plain; charset=x-unknown-too", "", "outer"],
                         ["Content-Type: message/rfc822", "", *forwarded], boundary="o"))
    decoded = decoder.decode(raw)
    assert decoded.remark_texts() == [  # the outer text's own; the forwarded one's is its own
        "Part 1.1 (text/plain): charset 'x-unknown-too' is unknown; decoded as utf-8."]
    opened = decoder.decode(decoded.attachments[0].data)
    assert "Part 1 (text/plain): charset 'x-unknown' is unknown; decoded as utf-8." in (
        opened.remark_texts())


def test_feedback_report_shows_its_fields():
    """After the example of RFC 5965 Appendix B.2 (ARF), shortened."""
    raw = message(*mixed(
        text_part("This is an email abuse report for an email message received from IP "
                  "192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT."),
        ["Content-Type: message/feedback-report", "", "Feedback-Type: abuse",
         "User-Agent: SomeGenerator/1.0", "Version: 1", "Source-IP: 192.0.2.1", ""],
        ["Content-Type: message/rfc822", "Content-Disposition: inline", "",
         "From: <somespammer@example.net>", "Subject: Earn money", "", "Spam Spam Spam"],
        content_type="multipart/report; report-type=feedback-report"))
    decoded = decoder.decode(raw)
    assert kinds(decoded) == [("1.1", "plain"), ("1.2", "report")]
    assert "Feedback-Type: abuse\nUser-Agent: SomeGenerator/1.0" in decoded.text
    assert decoded.attachments[0].filename == "Earn money.eml"


def test_read_receipt_shows_its_fields():
    """After the example of RFC 8098 section 9 (MDN)."""
    raw = message(*mixed(
        text_part("The message sent on 1 Dec 2025 to teacher was displayed."),
        ["Content-Type: message/disposition-notification", "",
         "Reporting-UA: joes-pc.cs.example.com; Foomail 97.1",
         "Original-Recipient: rfc822;teacher@example.edu.cn",
         "Final-Recipient: rfc822;teacher@example.edu.cn",
         "Original-Message-ID: <lab-42@example.edu.cn>",
         "Disposition: manual-action/MDN-sent-manually; displayed", ""],
        ["Content-Type: text/rfc822-headers", "", "Subject: lab", "From: <s@example.edu.cn>", ""],
        content_type="multipart/report; report-type=disposition-notification"))
    decoded = decoder.decode(raw)
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in decoded.text
    assert decoded.attachments[0].message.subject == "lab"


def test_real_bounces_show_fields_and_returned_mail():
    decoded = read("multipart_report_emails/report_530.eml")
    assert "Status: 5.3.0" in decoded.text and "The original message was received" in decoded.text
    assert decoded.attachments[0].content_type == "text/rfc822-headers"
    assert decoded.attachments[0].filename == "Returned mail User unknown.eml"
    multiple = read("multipart_report_emails/multipart_report_multiple_status.eml")
    assert multiple.text is not None and "has restricted SMS e-mail" in multiple.text
    bounce = read("multipart_report_emails/multi_address_bounce1.eml")
    assert "Action: failed" in bounce.text
    assert bounce.attachments[0].message.subject == "Test of bounce email"


# --- 5. Broken structure loses nothing -------------------------------------------------------


def lost_remarks(decoded: decoder.DecodedMessage) -> list[str]:
    return [remark for remark in decoded.remark_texts() if "outside the MIME structure" in remark]


def test_nested_multipart_reusing_its_parents_boundary_loses_no_attachment():
    inner = ['Content-Type: multipart/alternative; boundary="X"', "", "--X", *text_part("plain"),
             "--X", *text_part("<p>html</p>", "html"), "--X--"]
    raw = message(*mixed(inner, pdf_part(), boundary="X"))
    decoded = decoder.decode(raw)
    [pdf] = decoded.attachments
    assert (pdf.filename, pdf.data, pdf.part) == ("a.pdf", b"%PDF-1.4 lost?", "1.4")
    assert any("reuses the boundary of part 1" in remark for remark in decoded.remark_texts())
    assert lost_remarks(decoded) == [
        "Part 1.4 (application/pdf) lies outside the MIME structure as parsed (after a closing "
        "boundary, or in a multipart whose boundary never appears); it was found by its "
        "boundary line --X."]
    assert [part.path for part in decoded.parts][-1] == "1.4"


def test_a_boundary_that_never_appears_still_yields_every_part():
    body = mixed(text_part("hello"), pdf_part("b.pdf"), boundary="Z")[2:]  # lines after header
    decoded = decoder.decode(message('Content-Type: multipart/mixed; boundary="Y"', "", *body))
    assert [(a.filename, a.data) for a in decoded.attachments] == [("b.pdf", b"%PDF-1.4 lost?")]
    assert decoded.text == "hello"
    assert len(lost_remarks(decoded)) == 2
    assert any("boundary line never appears" in remark for remark in decoded.remark_texts())


def test_a_missing_closing_boundary_keeps_the_last_attachment():
    raw = message(*mixed(text_part("hello"), pdf_part())[:-2])
    decoded = decoder.decode(raw)
    assert [(a.filename, a.data) for a in decoded.attachments] == [("a.pdf", b"%PDF-1.4 lost?")]
    assert any("closing boundary line is missing" in remark for remark in decoded.remark_texts())
    assert lost_remarks(decoded) == []


def test_boundary_like_lines_inside_a_text_part_are_not_parts():
    quoted = "--q\r\nContent-Type: application/pdf; name=q.pdf\r\n\r\nJVBER"
    decoded = decoder.decode(message(*mixed(text_part(quoted))))
    assert decoded.attachments == [] and lost_remarks(decoded) == []


def test_lost_parts_are_capped():
    many = [f"--Z\r\nContent-Type: application/octet-stream; name=f{n}.bin\r\n\r\nx"
            for n in range(decoder._MAX_LOST_PARTS + 5)]
    decoded = decoder.decode(message('Content-Type: multipart/mixed; boundary="Y"', "", *many))
    assert len(decoded.attachments) == decoder._MAX_LOST_PARTS
    assert any("the rest are not searched" in remark for remark in decoded.remark_texts())


def test_structure_remarks_have_chinese_with_the_same_placeholders():
    for kind in (RemarkKind.REUSED_BOUNDARY, RemarkKind.LOST_PART, RemarkKind.TOO_MANY_LOST_PARTS):
        text = words.REMARKS[kind]
        assert set(re.findall(r"{(\w+)}", text.en)) == set(re.findall(r"{(\w+)}", text.zh)), kind
        assert re.search(r"[\u4e00-\u9fff]", text.zh), kind


# --- 6. x-uuencode -------------------------------------------------------------------------


def uuencode(data: bytes, name: str) -> str:
    lines = [f"begin 644 {name}"]
    lines += [binascii.b2a_uu(data[pos:pos + 45]).decode("ascii").rstrip("\n")
              for pos in range(0, len(data), 45)]
    return "\r\n".join([*lines, "`", "end"])


def test_x_uuencode_attachment_decodes_to_the_valid_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("实验/readme.txt", "uuencode still works\n" * 40)
    data = buffer.getvalue()
    raw = message(*mixed(text_part("zip attached"),
                         ["Content-Type: application/zip; name=lab.zip",
                          "Content-Transfer-Encoding: x-uuencode", "", uuencode(data, "lab.zip")]))
    decoded = decoder.decode(raw)
    [archive] = decoded.attachments
    assert archive.data == data
    assert zipfile.ZipFile(io.BytesIO(archive.data)).read("实验/readme.txt").startswith(
        b"uuencode still works")
    assert decoded.text == "zip attached"


# --- Public real-world mail, reconstructed ----------------------------------------------------
# From CPython's test suite (Lib/test/test_email/data/msg_15.txt and msg_16.txt), PSF License
# Version 2: real mail of 2001, shortened where marked.

OUTLOOK_EXPRESS_MAC_REUSED_BOUNDARY = b"""\
Return-Path: <xx@xx.dk>
User-Agent: Microsoft-Outlook-Express-Macintosh-Edition/5.02.2106
Subject: XX
From: xx@xx.dk
To: XX
Message-ID: <xxxx>
MIME-version: 1.0
Content-Type: multipart/mixed;
   boundary="MS_Mac_OE_3071477847_720252_MIME_Part"

> Denne meddelelse er i MIME-format. Da dit postl

--MS_Mac_OE_3071477847_720252_MIME_Part
Content-Type: multipart/alternative;
   boundary="MS_Mac_OE_3071477847_720252_MIME_Part"


--MS_Mac_OE_3071477847_720252_MIME_Part
Content-Type: text/plain; charset="ISO-8859-1"
Content-Transfer-Encoding: quoted-printable

Some removed test.

--MS_Mac_OE_3071477847_720252_MIME_Part
Content-Type: text/html; charset="ISO-8859-1"
Content-Transfer-Encoding: quoted-printable

<HTML>
<HEAD>
<TITLE>Some removed HTML</TITLE>
</HEAD>
<BODY>
Some removed text.
</BODY>
</HTML>


--MS_Mac_OE_3071477847_720252_MIME_Part--


--MS_Mac_OE_3071477847_720252_MIME_Part
Content-Type: image/gif; name="xx.gif";
 x-mac-creator="6F676C65";
 x-mac-type="47494666"
Content-Disposition: attachment
Content-Transfer-Encoding: base64

Some removed base64 encoded chars.

--MS_Mac_OE_3071477847_720252_MIME_Part--

""".replace(b"\n", b"\r\n")


def test_real_outlook_express_mail_reusing_its_boundary_keeps_its_gif():
    decoded = decoder.decode(OUTLOOK_EXPRESS_MAC_REUSED_BOUNDARY)
    [gif] = decoded.attachments
    assert (gif.filename, gif.content_type, gif.disposition) == ("xx.gif", "image/gif",
                                                                 "attachment")
    assert gif.data == binascii.a2b_base64(b"Someremovedbase64encodedchar=")  # as readers repair it
    assert any("reuses the boundary of part 1" in remark for remark in decoded.remark_texts())
    assert len(lost_remarks(decoded)) == 1
    assert decoded.text.startswith("Some removed test.")


UCLA_BOUNCE = b"""\
Date: Sun, 23 Sep 2001 20:14:35 -0700 (PDT)
From: Internet Mail Delivery <postmaster@ucla.edu>
Subject: Delivery Notification: Delivery has failed
To: scr-admin@socal-raves.org
Message-id: <0GK500B04D0B8X@cougar.noc.ucla.edu>
MIME-version: 1.0
Content-Type: multipart/report; boundary="Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)"


--Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)
Content-Type: text/plain; charset=ISO-8859-1

This report relates to a message you sent with the following header fields:

  Subject: [scr] yeah for Ians!!

Your message cannot be delivered to the following recipients:

  Recipient address: jangel1@cougar.noc.ucla.edu
  Reason: recipient reached disk quota


--Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)
Content-Type: message/DELIVERY-STATUS

Original-envelope-id: 0GK500B4HD0888@cougar.noc.ucla.edu
Reporting-MTA: dns; cougar.noc.ucla.edu

Action: failed
Status: 5.0.0 (recipient reached disk quota)
Original-recipient: rfc822;jangel1@cougar.noc.ucla.edu
Final-recipient: rfc822;jangel1@cougar.noc.ucla.edu

--Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)
Content-Type: MESSAGE/RFC822

Return-path: scr-admin@socal-raves.org
Date: Sun, 23 Sep 2001 20:10:55 -0700
From: "Ian T. Henry" <henryi@oxy.edu>
Subject: [scr] yeah for Ians!!
To: SoCal Raves <scr@socal-raves.org>
MIME-version: 1.0
Content-Type: text/plain; charset=us-ascii

I always love to find more Ian's that are over 3 years old!!

Ian

--Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)--

""".replace(b"\n", b"\r\n")  # shortened: Received and list headers left out


def test_real_bounce_with_upper_case_types_shows_fields_and_returned_mail():
    decoded = decoder.decode(UCLA_BOUNCE)
    assert kinds(decoded) == [("1.1", "plain"), ("1.2", "report")]
    assert "Status: 5.0.0 (recipient reached disk quota)" in decoded.text
    [returned] = decoded.attachments
    assert returned.filename == "[scr] yeah for Ians!!.eml"
    assert returned.message.from_ == '"Ian T. Henry" <henryi@oxy.edu>'
    assert returned.message.text.startswith("I always love to find more Ian's")


def test_mail_nested_in_mail_is_copied_once():
    """A thousand-level chain of attached mail must not copy the message a thousand times: the
    outermost attached mail is listed, and each one inside shows when the one around it opens."""
    level = b"Subject: s\r\nContent-Type: message/rfc822\r\n\r\n"
    raw = level * 200 + b"Subject: end\r\n\r\n" + b"x" * 50_000
    decoded = decoder.decode(raw)
    [attached] = decoded.attachments
    assert attached.part == "1" and attached.data == raw[len(level):]
    [inner] = decoder.decode(attached.data).attachments
    assert inner.data == raw[2 * len(level):]
    # The tree shows every level down to Postfix's mime_nesting_limit (issue 14.2); below it,
    # headers only.
    assert max(part.depth for part in decoded.parts) == decoder.MIME_NESTING_LIMIT + 1


def test_a_part_after_an_early_closing_boundary_is_found():
    lines = mixed(text_part("hello"))  # ends "--b--", ""
    raw = message(*lines[:-1], "--b", *pdf_part(), "--b--", "")
    decoded = decoder.decode(raw)
    assert [(a.filename, a.data, a.part) for a in decoded.attachments] == [
        ("a.pdf", b"%PDF-1.4 lost?", "1.2")]
    assert len(lost_remarks(decoded)) == 1


def test_a_bad_charset_in_a_file_name_or_content_id_is_said_in_words():
    raw = message(*mixed(["Content-Type: application/pdf; name=\"=?bogus?B?xPq6ww==?=\"",
                          "Content-ID: <=?bogus?B?xPq6ww==?=>", "", "x"]))
    decoded = decoder.decode(raw)
    assert decoded.remark_texts("en") == [
        "Part 1.1 (application/pdf): file name: encoded word: charset 'bogus' is unknown; "
        "decoded as gb18030.",
        "Part 1.1 (application/pdf): Content-ID: encoded word: charset 'bogus' is unknown; "
        "decoded as gb18030."]
    assert decoded.remark_texts("zh") == [
        "第 1.1 部分（application/pdf）：文件名：编码字：字符集 'bogus' 未知；按 gb18030 解码。",
        "第 1.1 部分（application/pdf）：Content-ID：编码字：字符集 'bogus' 未知；"
        "按 gb18030 解码。"]
