"""Tests for the encoding X-ray in decoder.py: header_words() splits a header value into its
RFC 2047 words and plain runs, part_xray() shows one MIME part as encoded bytes, decoded bytes
and text. The byte ranges must slice the raw message to exactly the encoded part."""

from __future__ import annotations

import base64
import email
import hashlib
import string

import pytest
from corpus import corpus_files, corpus_id, require_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages import (
    SEED_SUBJECT,
    SEED_TEXT,
    base64_body,
    encoded_word,
    outlook_seed_message,
    sample_picture,
    seed_html,
)

import decoder
import words

GB2312_SUBSTITUTION = ("labelled gb2312, decoded as gb18030 (a superset: Outlook and Foxmail "
                       "label GBK text gb2312)")
ZHU_RONGJI = "朱镕基"


def said(note, lang: str = "en") -> str | None:
    """The X-ray's charset sentence as a reader of ``lang`` sees it."""
    return words.note_text(note, lang) if note is not None else None  # 镕 is in GBK, not in GB2312


def gbk_word_labelled_gb2312(text: str) -> str:
    """What Outlook and Foxmail write: GBK bytes under a gb2312 label."""
    return f"=?gb2312?B?{base64.b64encode(text.encode('gbk')).decode('ascii')}?="


# --- header_words --------------------------------------------------------------------------


def test_a_gb2312_word_shows_its_octets_and_the_codec_really_used():
    [word] = decoder.header_words("=?gb2312?B?xPq6ww==?=")
    assert word.encoded == "=?gb2312?B?xPq6ww==?="
    assert (word.charset, word.encoding) == ("gb2312", "B")
    assert word.octets == b"\xc4\xfa\xba\xc3"
    assert decoder.hex_octets(word.octets) == "c4 fa ba c3"
    assert word.text == "您好"
    assert word.charset_used == "gb18030"
    assert said(word.substitution) == GB2312_SUBSTITUTION
    assert said(word.substitution, "zh") == ("标为 gb2312，按 gb18030 解码（超集：Outlook 和 Foxmail "
                                              "把 GBK 文本标为 gb2312）")


def test_q_words_decode_underscores_and_hex_escapes():
    [word] = decoder.header_words("=?utf-8?Q?caf=C3=A9_au_lait?=")
    assert word.encoding == "Q"
    assert word.octets == b"caf\xc3\xa9 au lait"
    assert word.text == "café au lait"
    assert (word.charset_used, word.substitution) == ("utf-8", None)


def test_plain_runs_between_words_are_kept_as_they_are():
    words = decoder.header_words("Re: =?gb2312?B?xPq6ww==?= (2) 老师")
    assert [word.encoded for word in words] == ["Re: ", "=?gb2312?B?xPq6ww==?=", " (2) 老师"]
    plain = words[2]
    assert (plain.charset, plain.charset_used, plain.encoding, plain.substitution) == (
        None, None, None, None)
    assert plain.text == " (2) 老师"
    assert plain.octets == " (2) 老师".encode()


def test_whitespace_between_adjacent_words_is_dropped():
    words = decoder.header_words("=?gb2312?B?xPq6ww==?= \t =?utf-8?Q?=E4=BD=A0?=\r\n =?gb2312?B?"
                                 "xPq6ww==?= after")
    assert [word.text for word in words] == ["您好", "你", "您好", " after"]


def test_a_character_split_across_two_words_shows_in_the_word_that_completes_it():
    first, second = decoder.header_words("=?utf-8?B?5L0=?= =?utf-8?B?oA==?=")
    assert (first.octets, second.octets) == (b"\xe4\xbd", b"\xa0")
    assert (first.text, second.text) == ("", "你")


def test_gbk_text_labelled_gb2312_keeps_every_character():
    [word] = decoder.header_words(gbk_word_labelled_gb2312(ZHU_RONGJI))
    assert word.octets == ZHU_RONGJI.encode("gbk")
    assert word.text == ZHU_RONGJI
    assert word.charset_used == "gb18030"


def test_unknown_charsets_and_bad_base64_degrade():
    [unknown] = decoder.header_words("=?x-unknown?B?5L2g?=")
    assert (unknown.text, unknown.charset_used) == ("你", "utf-8")
    assert said(unknown.substitution) == ("labelled x-unknown, decoded as utf-8 "
                                    "(charset 'x-unknown' is unknown)")
    [bad] = decoder.header_words("=?utf-8?B?5L2g!?=")
    assert bad.text == "你"


@pytest.mark.parametrize("label", sorted(decoder._CHARSET_SUPERSETS))
def test_every_superset_substitution_is_explained(label):
    [word] = decoder.header_words(f"=?{label}?B?QUJD?=")
    assert word.text == "ABC"
    assert word.substitution is not None and said(word.substitution).startswith(
        f"labelled {label}, ")


def test_the_words_of_each_seed_header_give_its_decoded_value():
    for header in decoder.decode(outlook_seed_message()).headers:
        words = decoder.header_words(header.raw)
        assert "".join(word.text for word in words).strip() == header.value, header.name
    subject = decoder.header_words(encoded_word(SEED_SUBJECT))
    assert "".join(word.text for word in subject) == SEED_SUBJECT


def test_hex_octets_cuts_off_long_data():
    assert decoder.hex_octets(b"") == ""
    assert decoder.hex_octets(bytes(range(4)), limit=4) == "00 01 02 03"
    assert decoder.hex_octets(bytes(range(10)), limit=4) == "00 01 02 03 …"


# --- part_xray on the seed message ---------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[bytes, decoder.DecodedMessage]:
    raw = outlook_seed_message()
    return raw, decoder.decode(raw)


def xray(seed: tuple[bytes, decoder.DecodedMessage], path: str) -> decoder.PartXray:
    raw, decoded = seed
    return decoder.part_xray(raw, next(node for node in decoded.parts if node.path == path))


def test_the_seed_text_part_is_gb2312_bytes_in_base64(seed):
    text = xray(seed, "1.1.1")
    assert text.encoded == base64_body(SEED_TEXT.encode("gb2312")).encode("ascii")
    assert text.decoded == SEED_TEXT.encode("gb2312")
    assert text.text == SEED_TEXT.replace("\r\n", "\n")
    assert text.charset_used == "gb18030"
    assert said(text.substitution) == GB2312_SUBSTITUTION
    assert not text.is_binary
    html = xray(seed, "1.1.2")
    assert html.encoded == base64_body(seed_html().encode("gb2312")).encode("ascii")
    assert "老师您好" in html.text


def test_the_seed_picture_is_binary_and_decodes_to_the_attachment(seed):
    _, decoded = seed
    picture = xray(seed, "1.2")
    assert picture.encoded == base64_body(sample_picture()).encode("ascii")
    assert picture.decoded == sample_picture()
    assert hashlib.sha256(picture.decoded).hexdigest() == decoded.attachments[0].sha256
    assert picture.is_binary
    assert (picture.text, picture.charset_used, picture.substitution) == (None, None, None)


def test_seed_containers_span_their_parts_and_decode_to_nothing(seed):
    raw, decoded = seed
    boundaries = {"1": email.message_from_bytes(raw).get_boundary(),
                  "1.1": email.message_from_bytes(raw).get_payload(0).get_boundary()}
    for path, boundary in boundaries.items():
        container = xray(seed, path)
        assert container.encoded.endswith(f"--{boundary}--".encode("ascii"))
        assert f"--{boundary}\r\n".encode("ascii") in container.encoded
        assert (container.decoded, container.text, container.is_binary) == (b"", None, False)
    assert xray(seed, "1").encoded.startswith(b"This is a multipart message in MIME format.")


def test_gbk_body_labelled_gb2312_keeps_every_character():
    raw = (b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + ZHU_RONGJI.encode("gbk") + b"\r\n")
    [part] = decoder.decode(raw).parts
    body = decoder.part_xray(raw, part)
    assert body.encoded == body.decoded == ZHU_RONGJI.encode("gbk") + b"\r\n"
    assert body.text == ZHU_RONGJI + "\n"
    assert said(body.substitution) == GB2312_SUBSTITUTION


def test_quoted_printable_bodies_are_undone():
    raw = (b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n")
    [part] = decoder.decode(raw).parts
    body = decoder.part_xray(raw, part)
    assert body.encoded == b"caf=C3=A9 =\r\nau lait\r\n"
    assert body.decoded == "café au lait\r\n".encode()
    assert body.text == "café au lait\n"


# --- part_xray on the public corpus ----------------------------------------------------------


def parsed_body(node: email.message.Message) -> bytes:
    """The body the email package found for a leaf, as it arrived (8-bit bodies come back from
    get_payload() decoded, so those are compared as bytes)."""
    payload = node.get_payload()
    return payload.encode("ascii") if payload.isascii() else node.get_payload(decode=True)


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p and corpus_id(p))
def test_corpus_xray_slices_exactly_the_encoded_part(path):
    require_corpus()
    raw = path.read_bytes()
    decoded = decoder.decode(raw)
    digests = {attachment.part: attachment.sha256 for attachment in decoded.attachments}
    parsed = list(decoder._parse(raw).walk())
    for node, parsed_node in zip(decoded.parts, parsed, strict=True):
        part = decoder.part_xray(raw, node)
        assert part.encoded == raw[node.body_start:node.body_end], node.path
        assert len(part.encoded) == node.encoded_size
        if not parsed_node.is_multipart():
            assert part.encoded == parsed_body(parsed_node), node.path
        if node.content_type.startswith(("multipart/", "message/")):
            continue  # shown as a span of parts, even one the parser could not split
        assert len(part.decoded) == node.decoded_size, node.path
        if node.path in digests:
            assert hashlib.sha256(part.decoded).hexdigest() == digests[node.path], node.path
        if node.charset_used is not None:
            assert part.charset_used == node.charset_used, node.path


# --- Robustness ----------------------------------------------------------------------------

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORD_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "+/=_-!", max_size=16)
CHARSETS = ["gb2312", "GBK", "utf-8", "utf-16", "utf-7", "iso-2022-jp", "big5", "x-unknown",
            "unicode_escape", "rot13", "base64", "idna", "punycode", "gb2312*zh", "\"utf-8\""]
encoded_words = st.builds(lambda charset, encoding, text: f"=?{charset}?{encoding}?{text}?=",
                          st.sampled_from(CHARSETS), st.sampled_from("BbQq"), WORD_TEXT)
header_values = st.lists(st.one_of(encoded_words, st.text(max_size=8),
                                   st.sampled_from([" ", "\t", "\r\n ", "=?", "?="])),
                         max_size=12).map("".join)


@FAST
@given(header_values)
def test_header_words_never_raise_and_add_up_to_the_decoded_value(value):
    words = decoder.header_words(value)
    assert all(isinstance(word, decoder.HeaderWord) for word in words)
    assert "".join(word.text for word in words) == decoder._decode_encoded_words(value)[0]
    for word in words:
        word.text.encode("utf-8")  # no lone surrogates: the window and JSON must take it


@FAST
@given(raw=st.binary(max_size=300), start=st.integers(-400, 400), end=st.integers(-400, 400),
       content_type=st.one_of(st.sampled_from(["text/plain", "text/html", "image/jpeg",
                                               "multipart/mixed", "message/rfc822",
                                               "application/pdf", "TEXT/PLAIN", ""]), st.text()),
       charset=st.one_of(st.none(), st.sampled_from(CHARSETS + ["", "'", " "]), st.text()),
       transfer_encoding=st.one_of(st.sampled_from(["base64", "quoted-printable", "x-uuencode",
                                                    "uue", "7bit", "8bit", "binary", "BASE64",
                                                    ""]), st.text()))
def test_part_xray_of_any_part_never_raises(raw, start, end, content_type, charset,
                                            transfer_encoding):
    node = decoder.Part("1", 0, content_type, charset, None, transfer_encoding, None, None,
                        0, 0, start, end)
    part = decoder.part_xray(raw, node)
    clamped = min(max(start, 0), len(raw))
    assert part.encoded == raw[clamped:max(clamped, min(end, len(raw)))]
    if part.text is not None:
        part.text.encode("utf-8")
