"""A mail's HTML body as a page that is safe to open in a browser ("Open HTML in browser").

Written byte for byte, a mail's HTML ran its inline scripts and fetched its tracking pixel, its
remote scripts, style sheets and fonts, and followed its meta refresh (issue 12). The page built
here lets the browser do the blocking, which it does whatever the markup looks like: a
Content-Security-Policy meta is the first element of the page's own head, before any of the
mail's markup, so it governs all of it: no script runs, and nothing but data: pictures and
inline styles loads. What a policy cannot stop is taken out of the mail's markup: meta refresh
(a navigation, not a fetch), <link> (dns-prefetch and preconnect reach the network before
any policy applies) and frames (Chromium connects to a frame's site before it blocks it).
Pictures sent inside the mail (``cid:`` URLs, RFC 2392) become data: URIs. A banner at the
top says what was blocked, in the session's language.

The mail's markup is put after the page's head and banner as it is: a browser merges the mail's
own <html>, <head> and <body> into the page's (their attributes apply; the mail's <title>,
<style> and <base> still work where they stand). Pure: str in, str out, never raises.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import unquote

from explain import Text

# default-src 'none' also covers scripts (inline ones too), fonts, frames, objects and media.
# form-action and base-uri do not fall back to default-src: no form sends the student's input
# anywhere, and a <base> cannot point relative URLs elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                           "form-action 'none'; base-uri 'none'")

WORDS: dict[str, Text] = {
    "title": Text("SMTP Observer: the mail's HTML, shown safely",
                  "SMTP Observer：安全显示的邮件 HTML"),
    "blocked": Text("No script runs and nothing is loaded from the network; pictures sent inside "
                    "the mail are shown. Blocked in this mail: {scripts} script(s), {remote} "
                    "piece(s) of remote content (pictures, style sheets, fonts, frames), "
                    "{refresh} automatic refresh(es).",
                    "不运行任何脚本，也不从网络加载任何内容；随邮件发送的图片照常显示。"
                    "这封邮件中已阻止：脚本 {scripts} 个，远程内容（图片、样式表、字体、框架）"
                    "{remote} 处，自动刷新（跳转）{refresh} 个。"),
}

_BANNER_STYLE = ("all: initial; display: block !important; visibility: visible !important; "
                 "margin: 0 0 8px 0; padding: 8px 12px; background: #fff4ce; color: #3b2f00; "
                 "border-bottom: 2px solid #c9a400; font: 14px/1.5 'Microsoft YaHei', "
                 "'PingFang SC', 'Noto Sans CJK SC', sans-serif;")

_WHITESPACE = " \t\n\r\f"
_DOCTYPE = re.compile(r"\A\s*(<!doctype\b[^>]*>)", re.IGNORECASE)
_TAG_START = re.compile(r"<([a-zA-Z][^\s/>]*)")
_RISKY_TAG_START = re.compile(r"<(meta|link|iframe|frame)(?=[\s/>])", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))""", re.IGNORECASE)
_CSS_IMPORT_STRING = re.compile(r"""@import\s*["']""", re.IGNORECASE)
_CID_URL = re.compile(r"""\bcid:([^\s"'<>)]+)""", re.IGNORECASE)
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")
# Attributes that make a browser fetch their URL.
_FETCHING = frozenset({"src", "srcset", "background", "poster", "data", "lowsrc", "dynsrc",
                       "xlink:href"})
_LOCAL_URL = ("data:", "cid:", "#")
# Taken out (see _RISKY_TAG_START): Chromium connects to a frame's site although the policy
# then blocks the frame.
_REMOVED_TAGS = frozenset({"link", "iframe", "frame"})


class Picture(NamedTuple):
    """A part of the mail a ``cid:`` URL can name."""

    content_type: str
    data: bytes


class Blocked(NamedTuple):
    """What the page keeps the mail from doing, counted in its markup."""

    scripts: int
    remote: int  # pictures, style sheets and fonts from the network
    refresh: int


def pictures_by_content_id(parts: Iterable[object]) -> dict[str, Picture]:
    """The parts (decoder.Attachment) that have a Content-ID, by it without its <>."""
    pictures = {}
    for part in parts:
        content_id = (getattr(part, "content_id", None) or "").strip().strip("<>").strip()
        if content_id:
            pictures.setdefault(content_id, Picture(part.content_type, part.data))
    return pictures


def safe_page(mail_html: str, pictures: Mapping[str, Picture], lang: str) -> str:
    """The page to write (as UTF-8) for a mail's HTML body."""
    doctype = _DOCTYPE.match(mail_html)
    body, blocked = _defused(mail_html[doctype.end():] if doctype else mail_html)
    body = _CID_URL.sub(lambda match: _picture_uri(match, pictures), body)
    return "".join([
        doctype.group(1) + "\n" if doctype else "",
        '<html><head>\n',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n',
        '<meta charset="utf-8">\n',
        f"<title>{html.escape(WORDS['title'](lang))}</title>\n",
        "</head><body>\n",
        _banner(blocked, lang),
        body])


def _banner(blocked: Blocked, lang: str) -> str:
    said = WORDS["blocked"](lang).format(**blocked._asdict())
    return (f'<div id="smtp-observer-banner" role="note" lang="{"zh-CN" if lang == "zh" else "en"}"'
            f' style="{_BANNER_STYLE}"><b>{html.escape(WORDS["title"](lang))}</b><br>'
            f"{html.escape(said)}</div>\n")


def _defused(markup: str) -> tuple[str, Blocked]:
    """The mail's markup without its <meta http-equiv=refresh>, <link>, <iframe> and <frame>
    tags, and what the page blocks in it."""
    kept, refresh = _without_risky_tags(markup)
    scripts, remote = _counted(markup)
    return kept, Blocked(scripts, remote, refresh)


def _without_risky_tags(markup: str) -> tuple[str, int]:
    """The markup without the tags a policy cannot stop, and how many were refreshes. Every
    "<meta" counts, wherever it stands (a comment or a style sheet may not be one to a
    browser): one whose tag holds "refresh" or another tag's "<" goes, with all it spans."""
    kept: list[str] = []
    refresh = position = 0
    for match in _RISKY_TAG_START.finditer(markup):
        if match.start() < position:  # inside a tag taken out
            continue
        end = tag_end(markup, match.end())
        tag = markup[match.start():end]
        if match.group(1).lower() == "meta":
            if "refresh" in html.unescape(tag).lower():
                refresh += 1
            elif "<" not in tag[1:]:
                continue  # a charset, a viewport: harmless
        # A space where the tag was: what stood on either side cannot join into a new tag.
        kept += [markup[position:match.start()], " "]
        position = end
    kept.append(markup[position:])
    return "".join(kept), refresh


def _counted(markup: str) -> tuple[int, int]:
    """Scripts (elements, event handlers, javascript: URLs) and remote pictures, style sheets,
    fonts and frames in the markup, as the banner counts them."""
    scripts = remote = end = 0
    for match in _TAG_START.finditer(markup):
        if match.start() < end:  # inside the tag before (in a quoted value): text, no tag
            continue
        name = match.group(1).lower()
        end = tag_end(markup, match.end())
        attributes = _attributes(markup[match.end():end])
        scripts += (name == "script") + sum(
            key.startswith("on") or value.lstrip().lower().startswith("javascript:")
            for key, value in attributes)
        remote += sum((key in _FETCHING or key == "href" and name in _REMOVED_TAGS)
                      and _is_remote(value) for key, value in attributes)
    remote += sum(not value.lower().startswith(_LOCAL_URL) and bool(value.strip())
                  for value in (next(filter(None, found), "")
                                for found in _CSS_URL.findall(markup)))
    return scripts, remote + len(_CSS_IMPORT_STRING.findall(markup))


def tag_end(markup: str, index: int) -> int:
    """Where the tag whose attributes begin at ``index`` ends (after its ">"), as a browser's
    tokenizer finds it: a ">" inside a quoted attribute value does not end it, and a quote opens
    a value only just after "=". The end of ``markup`` when the tag is never closed."""
    state = "before name"
    while index < len(markup):
        char = markup[index]
        if state == "before value":
            if char in "\"'":
                close = markup.find(char, index + 1)
                if close < 0:
                    return len(markup)
                index, state = close + 1, "before name"
                continue
            if char not in _WHITESPACE:
                state = "unquoted" if char != ">" else state
        if char == ">":
            return index + 1
        if state == "unquoted":
            state = "before name" if char in _WHITESPACE else state
        elif state == "before value":
            pass
        elif char == "/":
            state = "before name"
        elif char in _WHITESPACE:
            state = "after name" if state == "name" else state
        elif char == "=" and state != "before name":
            state = "before value"
        else:
            state = "name"
        index += 1
    return len(markup)


def _attributes(text: str) -> list[tuple[str, str]]:
    """(name in lower case, value without quotes and with character references resolved)."""
    return [(name.lower(), html.unescape(value.strip("\"'")))
            for name, value in _ATTRIBUTE.findall(text)]


def _is_remote(url: str) -> bool:
    url = url.strip().lower()
    return bool(url) and not url.startswith(_LOCAL_URL)


def _picture_uri(match: re.Match[str], pictures: Mapping[str, Picture]) -> str:
    """The data: URI of the part a ``cid:`` URL names; the URL as it was if no part has it."""
    content_id = unquote(match.group(1))
    picture = pictures.get(content_id) or next(
        (found for key, found in pictures.items() if key.lower() == content_id.lower()), None)
    if picture is None:
        return match.group(0)
    media_type = picture.content_type if _MEDIA_TYPE.fullmatch(picture.content_type or "") \
        else "application/octet-stream"
    return f"data:{media_type};base64,{base64.b64encode(picture.data).decode('ascii')}"
