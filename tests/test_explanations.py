"""What the explanations tell a student, checked against the RFCs and the Chinese textbook terms
(谢希仁《计算机网络》): each test reads the text a student sees under a line of the dialogue."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys

import pytest

import explain
import gui
import report
import smtp_observer
from conftest import ROOT, remark_text
from test_protocol import Dialogue, b64

SOURCE = (ROOT / "smtp_observer.py").read_text(encoding="utf-8")


def reply_texts(code: int) -> list[str]:
    """The text of every reply with this code that the server's source can send."""
    return re.findall(rf'Reply\({code}, f?"([^"]*)"', SOURCE)


def explained(code: int, text: str, lang: str) -> str:
    return explain.explain_reply(code, [text], lang)


def every_text() -> list[explain.Text]:
    """Every piece of explanation explain.py holds."""
    texts = [info.meaning for table in (explain.COMMANDS, explain.EHLO_KEYWORDS)
             for info in table.values()]
    texts += [explain.AUTH_RESPONSE.meaning, explain.UNKNOWN_COMMAND.meaning,
              explain.LINE_TOO_LONG.meaning]
    texts += [part for info in explain.REPLIES.values() for part in (info.meaning, info.next_step)]
    texts += [part for cases in explain.REPLY_CASES.values() for case in cases
              for part in (case.meaning, case.next_step) if part is not None]
    for table in (explain.REPLY_CLASSES, explain.REPLY_SECOND_DIGITS, explain.ENHANCED_CLASSES,
                  explain.ENHANCED_SUBJECTS, explain.ENHANCED_DETAILS, explain.ENHANCED_CODES):
        texts += table.values()
    texts += [part for info in explain.SCENARIOS.values()
              for part in (info.caption, info.what, info.expect)]
    return texts


# -- the words of Chinese textbooks, with full-width punctuation


def test_chinese_texts_use_the_textbook_terms():
    zh = "\n".join(text.zh for text in every_text())
    for wrong in ("回复", "认证", "传输编码", "暂缓", "正文", "已接收"):
        assert wrong not in zh, wrong
    assert zh.count("信头") == 1 and "首部（信头）" in zh  # once, beside the textbook's word
    assert "肯定完成应答" in explain.REPLY_CLASSES[2].zh
    assert "肯定中间应答" in explain.REPLY_CLASSES[3].zh
    assert "暂时性否定应答" in explain.REPLY_CLASSES[4].zh
    assert "永久性否定应答" in explain.REPLY_CLASSES[5].zh
    assert "身份验证" in explain.COMMANDS["AUTH"].meaning.zh
    assert "主体" in explain.COMMANDS["DATA"].meaning.zh


def test_the_window_and_the_report_use_the_textbook_terms_too():
    zh = "\n".join([text.zh for text in gui.WORDS.values()]
                   + [text.zh for text in report.LABELS.values()])
    for wrong in ("回复", "信头", "认证", "传输编码", "已接收"):
        assert wrong not in zh, wrong
    assert gui.WORDS["status_accepted"].zh == "已接受"
    assert gui.WORDS["xray_col_encoding"].zh == "内容传送编码"


def test_chinese_text_is_followed_by_full_width_punctuation():
    cjk = "[\u4e00-\u9fff\u3002\uff0c\uff1a\uff1b\uff09\u201d]"  # 汉字 and 。，：；）”
    for text in every_text():
        own_words = re.sub("“[^”]*”", "“”", text.zh)  # a client's label is quoted as it reads
        assert not re.search(cjk + r" ?[(),:;]", own_words), text.zh
    for line in explain.explain_reply(501, ["5.7.0 Authentication cancelled"], "zh").split("\n"):
        assert not re.search(cjk + r" ?[(),:;]", line), line
    assert explain.explain_command("HELO ideaPC", "zh").endswith("。（RFC 5321 §4.1.1.1）")
    assert explain.explain_command("HELO ideaPC", "en").endswith(". (RFC 5321 §4.1.1.1)")


def test_every_scenario_has_a_caption_in_both_languages():
    for name, info in explain.SCENARIOS.items():
        assert info.caption.en and info.caption.zh and info.caption.en != info.caption.zh
        assert explain.scenario_label(name, "zh") == f"{name}（{info.caption.zh}）"
    assert explain.scenario_label("busy", "en") == "busy (server busy)"


@pytest.mark.parametrize("lang", explain.LANGUAGES)
def test_help_lists_each_scenario_with_its_caption(lang):
    result = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--lang", lang,
                             "--help"], capture_output=True, text=True, encoding="utf-8",
                            timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    for name, info in explain.SCENARIOS.items():
        assert re.search(rf"^  {name} +{re.escape(info.caption(lang))}$", result.stdout, re.M)


def test_help_is_in_the_systems_language_without_lang():
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    result = subprocess.run([sys.executable, str(ROOT / "smtp_observer.py"), "--help"],
                            capture_output=True, text=True, encoding="utf-8", timeout=60,
                            env={**environment, "LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "utf-8"})
    # On Windows the user interface language decides, not LANG (explain.detect_language).
    expected = "zh" if sys.platform != "win32" else explain.detect_language()
    assert explain.SCENARIOS["busy"].caption(expected) in result.stdout


# -- reply codes: both digits, and the enhanced status code in full


@pytest.mark.parametrize("code,digit,zh_word", [(214, "x1z", "信息"), (221, "x2z", "连接"),
                                                (421, "x2z", "连接"), (250, "x5z", "邮件系统"),
                                                (354, "x5z", "邮件系统"), (500, "x0z", "语法"),
                                                (503, "x0z", "语法")])
def test_the_second_digit_of_a_reply_code_is_explained(code, digit, zh_word):
    second = explain.explain_reply(code, ["x"], "zh").split("\n")[1]
    assert second.startswith(f"第二位 {str(code)[1]}（{digit}，{zh_word}）")
    assert f"({digit}, " in explain.explain_reply(code, ["x"], "en").split("\n")[1]


def test_every_enhanced_code_the_server_sends_has_class_subject_and_detail():
    codes = set(re.findall(r'Reply\(\d{3}, f?"(\d\.\d{1,3}\.\d{1,3}) ', SOURCE))
    codes |= {line.split(" ", 1)[0] for line in smtp_observer.HELP_LINES}
    assert {"5.1.1", "5.3.4", "5.5.1", "5.5.2", "5.5.4", "5.5.6", "5.7.0", "2.1.5"} <= codes
    for code in codes:
        zh = explain.explain_enhanced_code(f"{code} text", "zh")
        klass, subject, detail = code.split(".")
        assert zh.startswith(f"增强状态码 {code}（RFC 3463）：类别 {klass} ")
        assert f"；主题 {subject} " in zh and f"；细节 {detail} " in zh, zh
        en = explain.explain_enhanced_code(f"{code} text", "en")
        assert f"; detail {detail} " in en, en


def test_enhanced_codes_read_as_rfc_3463_defines_them():
    assert "bad destination mailbox address" in explain.explain_enhanced_code("5.1.1 x", "en")
    assert "目的邮箱地址错误" in explain.explain_enhanced_code("5.1.1 x", "zh")
    assert "message too big for system" in explain.explain_enhanced_code("5.3.4 x", "en")
    assert "class 4 persistent transient failure" in explain.explain_enhanced_code(
        "4.2.0 x", "en")
    assert "mailbox disabled" in explain.explain_enhanced_code("4.2.1 x", "en")
    for not_a_code in ("24.1.1 x", "45.0.0 x", "3.0.0 x", "2.0 x"):  # classes are 2, 4, 5 only
        assert explain.explain_enhanced_code(not_a_code, "en") is None


def test_every_reply_code_a_student_meets_on_a_real_server_is_explained():
    rfc_5321 = {211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502,
                503, 504, 550, 551, 552, 553, 554, 555}  # §4.2.3
    rfc_4954 = {235, 334, 432, 454, 530, 534, 535, 538}
    rfc_7504 = {521, 556}
    for code in rfc_5321 | rfc_4954 | rfc_7504:
        for lang in explain.LANGUAGES:
            assert explained(code, "x", lang).count("\n") >= 3, code  # class, digit, meaning, next
    assert "授权码" in explained(535, "5.7.8 Error: authentication failed", "zh")
    assert "身份验证凭据无效" in explained(535, "5.7.8 Error: authentication failed", "zh")


# -- each reply explained for what it answers


@pytest.mark.parametrize("code", [501, 503])
def test_every_501_and_503_the_server_sends_has_its_own_next_step(code):
    texts = reply_texts(code)
    assert len(texts) >= 6
    generic = explain.REPLIES[code].next_step("en")
    for text in texts:
        assert explain.reply_info(code, [text]).next_step("en") != generic, text


def test_the_next_step_follows_what_was_answered():
    dialogue = Dialogue()
    dialogue.code("EHLO ideaPC")
    assert dialogue.cmd("AUTH LOGIN")[0] == 334
    code, text = dialogue.cmd("*")
    assert (code, text) == (501, "5.7.0 Authentication cancelled")
    assert "下一步：客户端没有通过身份验证" in explained(code, text, "zh")
    assert "MAIL FROM:<" not in explained(code, text, "en")
    dialogue.code("AUTH PLAIN " + b64("\0student\0secret"))
    code, text = dialogue.cmd("AUTH PLAIN " + b64("\0student\0secret"))
    assert "once per session" in explained(code, text, "en")
    code, text = dialogue.cmd("RCPT TO:<b@example.com>")
    assert "Send MAIL FROM first" in explained(code, text, "en")


def test_tls_already_active_is_not_explained_as_the_mail_order():
    dialogue = Dialogue(tls_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    dialogue.code("EHLO x")
    assert dialogue.code("STARTTLS") == 220
    dialogue.session.tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    dialogue.code("EHLO x")
    code, text = dialogue.cmd("STARTTLS")
    assert "不要再发送 STARTTLS" in explained(code, text, "zh")


def test_after_starttls_comes_the_handshake_then_a_new_ehlo():
    dialogue = Dialogue(tls_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    dialogue.code("EHLO x")
    code, text = dialogue.cmd("STARTTLS")
    zh = explained(code, text, "zh")
    assert "下一步：双方接着在这条连接上进行 TLS 握手" in zh and "重新发送 EHLO" in zh
    assert "RFC 3207 §4.2" in explained(code, text, "en")
    greeting_code, greeting = dialogue.greeting[0]
    assert "下一步：客户端接着发送 EHLO" in explained(greeting_code, greeting[0], "zh")


def test_starttls_is_explained_after_ehlo_with_implicit_tls_as_the_other_way():
    for lang in explain.LANGUAGES:
        text = explain.explain_command("STARTTLS", lang)
        assert "EHLO" in text and "RFC 3207 §4.2" in text
        assert "465" in text and "RFC 8314" in text
    assert "QQ 邮箱和 163 邮箱" in explain.explain_command("STARTTLS", "zh")


def test_421_includes_a_busy_server():
    assert "busy or overloaded" in explained(421, "x", "en")
    assert "服务器繁忙或过载" in explained(421, "x", "zh")


def test_an_over_long_line_is_explained_by_the_512_octet_limit():
    dialogue = Dialogue()
    dialogue.code("EHLO x")
    code, text = dialogue.cmd("NOOP " + "x" * 600)
    command = [event for event in dialogue.events if event.event == "command"][-1]
    for explanation in (explain.explain_command(command.line, "en"), explained(code, text, "en")):
        assert "512 octets" in explanation and "RFC 5321 §4.5.3.1.4" in explanation
    assert "最多 512 个字节" in explain.explain_command(command.line, "zh")


def test_452_sends_the_rest_in_another_transaction_only_for_too_many_recipients():
    dialogue = Dialogue()
    dialogue.in_transaction()
    for number in range(99):
        dialogue.code(f"RCPT TO:<r{number}@example.com>")
    code, text = dialogue.cmd("RCPT TO:<one-too-many@example.com>")
    assert code == 452
    assert "another transaction" in explained(code, text, "en")
    assert "another transaction" not in explained(452, "4.3.1 Insufficient system storage", "en")


def test_214_help_lines_carry_2_0_0_and_the_greeting_no_enhanced_code():
    dialogue = Dialogue()
    dialogue.code("EHLO x")
    code, text = dialogue.cmd("HELP")
    assert code == 214 and all(line.startswith("2.0.0 ") for line in text.split("\n"))
    busy = Dialogue(scenarios=("busy",))
    [(code, [greeting])] = busy.greeting
    assert code == 421 and not re.match(r"\d\.\d+\.\d+ ", greeting)
    assert greeting.startswith("obs.test ")
    assert "no enhanced status code (RFC 2034)" in explain.REPLIES[220].meaning("en")


# -- AUTH and credentials


def test_login_is_not_called_a_standard_mechanism():
    for info in (explain.COMMANDS["AUTH"], explain.EHLO_KEYWORDS["AUTH"]):
        assert "RFC 4616" in info.meaning("en") and "obsolete" in info.meaning("en")
        assert "已废弃" in info.meaning("zh") and "不是标准的 SASL 机制" in info.meaning("zh")


def auth_remark(dialogue: Dialogue) -> str:
    dialogue.code("AUTH PLAIN " + b64("\0student\0hunter2"))
    return remark_text([event for event in dialogue.events if event.event == "remark"][-1])


def test_the_auth_remark_says_who_can_read_the_password_with_and_without_tls():
    clear = Dialogue(tls_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    clear.code("EHLO x")
    assert "anyone on the network path can read both" in auth_remark(clear)
    inside = Dialogue(tls_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    inside.code("EHLO x")
    inside.code("STARTTLS")
    inside.session.tls_started("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    inside.code("EHLO x")
    remark = auth_remark(inside)
    assert "anyone on the network path" not in remark
    assert "TLS protects them on the wire, but the server still reads both" in remark


# -- EHLO keywords


def test_the_help_keyword_cites_rfc_1869_and_iana():
    assert explain.EHLO_KEYWORDS["HELP"].rfc == "RFC 1869, IANA"
    assert "RFC 1869" in explain.explain_reply(250, ["obs.test", "HELP"], "en")


def test_8bitmime_says_which_clients_send_8bit():
    meaning = explain.EHLO_KEYWORDS["8BITMIME"].meaning
    assert "Thunderbird does; Outlook and Foxmail encode" in meaning("en")
    assert "quoted-printable（QP）" in meaning("zh")


# -- lab scenarios


def test_defer_recipient_sends_an_enhanced_code_that_matches_its_words():
    dialogue = Dialogue(scenarios=("defer-recipient",))
    dialogue.code("EHLO x")
    dialogue.code("MAIL FROM:<a@example.com>")
    code, text = dialogue.cmd("RCPT TO:<b@example.com>")
    assert (code, text.split(" ")[0]) == (450, "4.2.0")
    assert "mailbox busy" in text
    assert "mailbox disabled" not in explained(code, text, "en")
    info = explain.SCENARIOS["defer-recipient"]
    assert "450 4.2.0" in info.what("en") and "450 4.2.0" in info.what("zh")
    assert "greylisting (RFC 6647)" in info.expect("en")
    assert "灰名单（RFC 6647）" in info.expect("zh")
    assert "发件箱" in info.expect("zh") and "未发送邮件夹" not in info.expect("zh")


def test_no_8bitmime_and_no_pipelining_say_which_clients_change():
    eight_bit = explain.SCENARIOS["no-8bitmime"].expect
    assert "Only a client that sends 8-bit text changes: Thunderbird" in eight_bit("en")
    assert "Outlook and Foxmail always encode" in eight_bit("en")
    assert "Outlook 和 Foxmail 本来就这样编码中文，看不出区别" in eight_bit("zh")
    pipelining = explain.SCENARIOS["no-pipelining"].expect
    assert "Only a client that pipelines changes" in pipelining("en")
    assert "Thunderbird sends one command at a time anyway" in pipelining("en")
    assert "Thunderbird 本来就逐条发送命令" in pipelining("zh")


def test_slow_names_the_rfc_timeouts_beside_outlooks_minute():
    expect = explain.SCENARIOS["slow"].expect
    assert "RFC 5321 §4.5.3.2" in expect("en") and "one minute by default" in expect("en")
    assert "5 for the greeting, MAIL and RCPT" in expect("en")
    assert "RFC 5321 §4.5.3.2" in expect("zh") and "默认一分钟" in expect("zh")


def test_require_auth_names_outlooks_checkbox_as_it_reads():
    expect = explain.SCENARIOS["require-auth"].expect
    assert "My outgoing server (SMTP) requires authentication" in expect("en")
    assert "我的发送服务器(SMTP)要求验证" in expect("zh")
