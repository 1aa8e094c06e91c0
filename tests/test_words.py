"""Remarks are data (a kind and its values), put in words by one bilingual table (words.py)."""

from __future__ import annotations

import json
import pathlib
import string

import pytest

import events
import explain
import gui
import html_page
import report
import words
from conftest import remark_text
from test_protocol import Dialogue

TABLES = {"remarks": words.REMARKS, "window": gui.WORDS, "report": report.LABELS,
          "html page": html_page.WORDS,
          "scenarios": {f"{name}.{aspect}": getattr(info, aspect)
                        for name, info in explain.SCENARIOS.items()
                        for aspect in ("what", "expect")}}


def placeholders(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


def test_every_remark_kind_has_words_and_nothing_else_does():
    assert set(words.REMARKS) == set(events.RemarkKind)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        events.RemarkKind("no-such-remark")


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_both_languages_name_the_same_values(table):
    for key, text in TABLES[table].items():
        assert text.en and text.zh, key
        assert placeholders(text.zh) == placeholders(text.en), key


def test_a_remark_reads_in_the_chosen_language_and_json_keeps_kind_values_and_english():
    remark = events.Remark(session=1, time=0.0, kind=events.RemarkKind.DOT_STUFFING,
                           values={"count": 2})
    assert remark_text(remark, "en").startswith("2 line(s) of the message begin with")
    assert remark_text(remark, "zh").startswith("邮件中有 2 行以“.”开头")
    record = json.loads(json.dumps(remark.to_json()))
    assert (record["kind"], record["values"]) == ("dot-stuffing", {"count": 2})
    assert record["text"] == remark_text(remark, "en")


def test_a_note_inside_a_note_is_put_in_words_in_the_same_language():
    inner = events.Note(events.RemarkKind.SCENARIOS_OFF)
    outer = events.Note(events.RemarkKind.TLS_FAILED, {"error": inner})
    assert words.note_text(outer, "zh") == "TLS 握手失败（从下一个连接起关闭实验场景。），关闭连接。"
    assert outer.to_json()["values"]["error"] == {"kind": "scenarios-off", "values": {}}


def kinds(dialogue: Dialogue) -> list[str]:
    return [e.kind for e in dialogue.events if e.event == "remark"]


def test_outlooks_space_after_the_colon_is_remarked_and_accepted():
    dialogue = Dialogue()
    dialogue.code("EHLO lab-pc.example.edu")
    assert dialogue.code("MAIL FROM: <a@example.com>") == 250
    assert dialogue.code("RCPT TO: <b@example.com>") == 250
    remarks = [e for e in dialogue.events if e.event == "remark"]
    assert [(e.kind, e.values) for e in remarks] == [
        ("space-after-colon", {"command": "MAIL FROM"}),
        ("space-after-colon", {"command": "RCPT TO"})]
    assert "RFC 5321 4.1.2" in remark_text(remarks[0])
    assert remark_text(remarks[0], "zh").startswith("MAIL FROM: 后面有一个空格；RFC 5321 §4.1.2")


@pytest.mark.parametrize(("name", "remarked"), [
    ("ideaPC", True), ("localhost", True), ("lab-pc.example.edu", False),
    ("[192.0.2.1]", False), ("[IPv6:2001:db8::1]", False)])
def test_a_helo_name_that_is_no_domain_and_no_address_literal_is_remarked(name, remarked):
    dialogue = Dialogue()
    assert dialogue.code(f"EHLO {name}") == 250
    assert kinds(dialogue) == (["helo-name"] if remarked else [])


def test_smtp_and_pop3_name_the_user_and_password_alike():
    """One wording and one quote style for every credential remark: 用户名“…”，密码“…”."""
    values = {"mechanism": "PLAIN", "user": "stu01", "masked": "******", "length": 6,
              "timestamp": "<1.2@x>", "digest": "c4c5"}
    kinds = [events.RemarkKind.AUTH_DECODED, events.RemarkKind.AUTH_DECODED_IN_TLS,
             events.RemarkKind.POP3_PASSWORD, events.RemarkKind.POP3_AUTH_PLAIN]
    for kind in kinds:
        zh = words.note_text(events.Note(kind, values), "zh")
        en = words.note_text(events.Note(kind, values), "en")
        assert "用户名“stu01”，密码“******”" in zh, zh
        assert "user 'stu01', password '******'" in en, en
    apop = words.note_text(events.Note(events.RemarkKind.POP3_APOP, values), "zh")
    assert "用户名“stu01”" in apop and "口令" not in apop, apop


def test_a_password_is_called_one_thing_in_chinese():
    """密码, as Outlook's and Foxmail's Chinese menus call it; 口令 would be a second word."""
    root = pathlib.Path(__file__).resolve().parent.parent
    sources = {path.name: path.read_text(encoding="utf-8") for path in root.glob("*.py")}
    assert "密码" in sources["words.py"] and "密码" in sources["explain_pop3.py"]
    assert [name for name, source in sources.items() if "口令" in source] == []


def test_dot_stuffing_says_a_dot_went_before_each_such_line_not_every_line():
    zh = words.note_text(events.Note(events.RemarkKind.DOT_STUFFING, {"count": 1}), "zh")
    assert zh.startswith("邮件中有 1 行以“.”开头：客户端在每个这样的行前多加了一个点，"), zh


def test_the_data_line_and_the_size_say_which_bytes_they_count():
    """171 bytes of data and a 170-byte message: the data line says it is the bytes as sent,
    still dot-stuffed; SIZE says it counts the message once the dots are removed."""
    data = words.TERMINAL_WORDS["data"]
    assert data("zh").format(size=171) == "C: <邮件数据：线路上传送的 171 字节，仍带点填充>"
    assert data("en").format(size=171) == "C: <message data: 171 bytes as sent, still dot-stuffed>"
    size = words.note_text(events.Note(events.RemarkKind.SIZE_EXACT, {"declared": 170}), "zh")
    assert size == "MAIL FROM 声明了 SIZE=170；服务器去掉点填充后，邮件正好是这么多字节。"


def test_the_readme_says_json_lines_carry_english_text_whatever_the_language():
    """By design (programs read kind and values), and the README says so in both sections."""
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "an English `text`, whatever `--lang`" in readme
    usage = readme.split("## 使用说明", 1)[1].split("\n## ", 1)[0]
    assert "`--jsonl`" in usage and "英文的\n  `text`，不论 `--lang`" in usage
    remark = events.Remark(session=1, time=0.0, kind=events.RemarkKind.DOT_STUFFING,
                           values={"count": 1})
    assert remark.to_json()["text"].startswith("1 line(s) of the message begin with")
