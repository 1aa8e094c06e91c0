"""Tests for html_page.py: "Open HTML in browser" writes a page that runs no script and fetches
nothing, whatever the mail's HTML holds, and still shows the pictures sent inside the mail.
The hostile mail goes through the real server (smtplib) and decoder; headless Chromium opens
the page while a local web server stands in for the "remote" sites and counts what reaches it."""

from __future__ import annotations

import codecs
import http.server
import io
import re
import smtplib
import subprocess
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import require_program
from PIL import Image

import html_page

MAGENTA = (255, 0, 255)
CONTENT_ID = "picture.1@lab.example"
ORIGINAL_TITLE = "Original title"


def magenta_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 120), MAGENTA).save(buffer, "PNG")
    return buffer.getvalue()


def hostile_html(remote: str) -> str:
    """A mail's HTML that does everything a tracking or phishing mail does, against ``remote``."""
    return f"""<!DOCTYPE html>
<html><head><title>{ORIGINAL_TITLE}</title>
<meta http-equiv="refresh" content="1;url={remote}/refresh">
<base href="{remote}/">
<link rel="stylesheet" href="{remote}/style.css">
<link rel="preconnect" href="{remote}">
<style>
@import "{remote}/import.css";
body {{ background: url({remote}/background.png); }}
@font-face {{ font-family: Remote; src: url('{remote}/font.woff'); }}
p {{ font-family: Remote, sans-serif; }}
</style>
<script>document.title = "script ran";</script>
<script src="{remote}/remote.js"></script>
</head><body onload="document.title = 'onload ran'">
<p>Hello 你好, the text of the mail.</p>
<img src="{remote}/pixel.gif" width="1" height="1">
<img src="relative.png">
<p><img src="cid:{CONTENT_ID}" alt="inline picture"></p>
<META HTTP-EQUIV=Refresh CONTENT="0; URL={remote}/refresh-in-body">
<iframe src="{remote}/frame.html"></iframe>
</body></html>
"""


class CountingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"document.title = 'remote script ran';")

    def log_message(self, *args) -> None:
        pass


class RemoteSite(http.server.ThreadingHTTPServer):
    """The "remote" web: records every connection and request that reaches it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CountingHandler)
        self.paths: list[str] = []
        self.connections = 0

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True


@pytest.fixture
def remote_site():
    site = RemoteSite()
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture
def hostile_message(observer, remote_site):
    """The hostile mail (its HTML with an inline picture) as the observer decoded it."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@lab.example", "b@lab.example", "Hostile"
    mail.set_content(hostile_html(f"http://127.0.0.1:{remote_site.server_port}"),
                     subtype="html")
    mail.add_related(magenta_png(), "image", "png", cid=f"<{CONTENT_ID}>")
    with smtplib.SMTP("127.0.0.1", observer.port, timeout=10) as client:
        client.send_message(mail)
    message, = observer.wait_for("message")
    return message.decoded


def page_of(decoded, lang: str) -> str:
    return html_page.safe_page(decoded.html, html_page.pictures_by_content_id(decoded.attachments),
                               lang)


def chromium(*options: str, page: Path, profile: Path) -> str:
    done = subprocess.run(
        [require_program("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
         # time for the refresh (1 s) and the remote loads to happen if anything lets them
         "--virtual-time-budget=3000", *options, page.as_uri()],
        capture_output=True, timeout=120, check=False)
    return done.stdout.decode("utf-8", "replace")


def write(page: Path, text: str) -> Path:
    page.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))  # as the window writes it
    return page


# --- The page as text ----------------------------------------------------------------------


def test_the_policy_comes_first_in_the_head_and_the_page_says_it_is_utf8(hostile_message):
    page = page_of(hostile_message, "en")
    head = page[:page.index("</head>")]
    assert re.match(r'<!DOCTYPE html>\s*<html><head>\s*<meta http-equiv="Content-Security-Policy" '
                    r"content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline';",
                    head)
    assert '<meta charset="utf-8">' in head
    assert "Hello 你好" in page


def test_every_refresh_and_link_is_gone_and_the_picture_is_a_data_uri(hostile_message):
    page = page_of(hostile_message, "en")
    assert "refresh" not in page.lower().replace("refresh(es)", "")  # but in the banner
    assert not re.search("<(link|iframe)", page, re.IGNORECASE)
    assert "cid:" not in page
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}" alt="inline picture">',
                     page)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Blocked in this mail: 3 script(s), 9 piece(s) of remote content (pictures, style "
           "sheets, fonts, frames), 2 automatic refresh(es)."),
    ("zh", "这封邮件中已阻止：脚本 3 个，远程内容（图片、样式表、字体、框架）9 处，"
           "自动刷新（跳转）2 个。")])
def test_the_banner_counts_what_was_blocked_in_the_session_language(hostile_message, lang,
                                                                     expected):
    # scripts: two <script> and an onload; remote: the style sheet, the preconnect, @import,
    # the background, the font, the remote script, the pixel, relative.png (after <base>) and
    # the iframe
    page = page_of(hostile_message, lang)
    banner = page[page.index('<div id="smtp-observer-banner"'):]
    banner = banner[:banner.index("</div>")]
    assert expected in banner


@pytest.mark.parametrize("markup", [
    '<meta content="0;url=http://x/>" http-equiv="refresh">',  # ">" inside a quoted value
    "<meta http-equiv='&#82;efresh' content='0;url=http://x/'>",  # a character reference
    '<meta\nHTTP-EQUIV="REFRESH"\ncontent=0;url=http://x/>',
    '<div><meta http-equiv=refresh content="0;url=http://x/"/></div>',
    '<me<link rel=x>ta http-equiv=refresh content=0;url=http://x/>',  # cannot join into a tag
    '<svg><style><meta http-equiv=refresh content="0;url=http://x/"></style></svg>',
])
def test_a_refresh_however_written_does_not_survive(markup):
    page = html_page.safe_page(f"<p>before</p>{markup}<p>after</p>", {}, "en")
    body = page[page.index("</div>"):]
    assert not re.search(r"<meta[\s/][^>]*refresh", body, re.IGNORECASE)
    assert "<p>after</p>" in body


@pytest.mark.parametrize("markup", [  # a quote in a comment hides nothing from a browser
    '<!-- <a x=" --> <meta http-equiv=refresh content=0;url=http://x/> "',
    '<!-- <meta x=" --> <meta http-equiv=refresh content=0;url=http://x/> "'])
def test_a_refresh_after_a_quote_a_browser_does_not_see_goes_too(markup):
    page = html_page.safe_page(markup, {}, "en")  # with what the quote spans: safe, not pretty
    assert not re.search(r"<meta[\s/][^>]*refresh", page, re.IGNORECASE)


@pytest.mark.parametrize("markup", ["", "just text", "<p>no html or head", "<body>only</body>",
                                    "<meta", "<link href='x", "<img src=cid:", "\x00<\ud800>"])
def test_any_markup_gives_a_page_with_the_policy(markup):
    page = html_page.safe_page(markup, {"x": html_page.Picture("", b"")}, "zh")
    assert page.startswith('<html><head>\n<meta http-equiv="Content-Security-Policy"')


@pytest.mark.parametrize("markup", ['<a x="' * 200_000, '<meta x="' * 200_000,
                                    "<meta " * 200_000 + ">", "<a " + "<meta " * 200_000])
def test_markup_that_never_closes_its_tags_is_read_once(markup):
    """Each tag is read from where the one before ended: 200,000 unclosed tags (over 1 MB)
    would take hours if each were read to the end of the mail."""
    page = html_page.safe_page(markup, {}, "en")
    assert page.startswith("<html><head>")


def test_a_picture_is_found_by_its_percent_encoded_content_id_and_any_case():
    pictures = {"Logo 1@Lab": html_page.Picture("image/gif", b"GIF89a")}
    page = html_page.safe_page('<img src="CID:logo%201@lab"><img src="cid:other">', pictures,
                               "en")
    assert '<img src="data:image/gif;base64,R0lGODlh">' in page
    assert '<img src="cid:other">' in page  # no such part: left as it was (and blocked)


def test_the_tokenizer_ends_a_tag_where_a_browser_does():
    assert html_page.tag_end('<meta a="x>y" b=c>z', 5) == 18
    assert html_page.tag_end('<meta a=b"c>d">', 5) == 12  # a quote inside an unquoted value
    assert html_page.tag_end("<meta a = 'q>' >", 5) == 16
    assert html_page.tag_end('<meta a="never closed>', 5) == 22


# --- In a real browser ---------------------------------------------------------------------


def test_chromium_runs_no_script_and_fetches_nothing_but_shows_the_picture(
        hostile_message, remote_site, tmp_path):
    page = write(tmp_path / "safe.html", page_of(hostile_message, "en"))
    dom = chromium("--dump-dom", page=page, profile=tmp_path / "profile")
    # Each script would have set the title: the inline one, the onload and the remote one.
    assert re.search(r"<title>(.*?)</title>", dom).group(1) == html_page.WORDS["title"]("en")
    assert "remote script ran" not in dom
    assert "Hello 你好" in dom
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="inline picture">', dom)
    assert remote_site.connections == 0, remote_site.paths
    # The picture is drawn, not just named.
    shot = tmp_path / "shot.png"
    chromium("--window-size=900,700", f"--screenshot={shot}", page=page,
             profile=tmp_path / "profile")
    colours = Image.open(shot).convert("RGB").getcolors(900 * 700)
    assert sum(count for count, colour in colours if colour == MAGENTA) > 240 * 100
    assert remote_site.connections == 0, remote_site.paths


def test_without_the_safe_page_chromium_runs_the_script_and_fetches(hostile_message, remote_site,
                                                                    tmp_path):
    """The counter-test: the mail's HTML as it was (written byte for byte before issue 12)."""
    page = write(tmp_path / "raw.html", hostile_message.html)
    chromium("--dump-dom", page=page, profile=tmp_path / "profile")
    fetched = set(remote_site.paths)
    assert {"/pixel.gif", "/remote.js", "/style.css"} <= fetched, fetched
    assert fetched & {"/refresh", "/refresh-in-body"}, fetched
