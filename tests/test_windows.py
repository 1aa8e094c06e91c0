"""What a Windows lab PC does differently, tested here: the real behaviour where it runs on
any system, and the Windows-only branches with os.name / sys.platform faked where it cannot
(../shared/tools/winpy runs them for real under Wine)."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gui_fixtures import feed, tagged

import decoder
import gui
import gui_mail
import gui_console
import messages
import smtp_observer as so
from conftest import ROOT

pytest_plugins = ["gui_plugin"]  # the fixtures window and events


def seed_session() -> list[so.ServerEvent]:
    """A session in which the seed's Outlook message (Chinese, with an HTML body) arrived."""
    raw = messages.outlook_seed_message()
    return [so.Connected(session=1, time=time.time(), peer="127.0.0.1:50000"),
            so.CommandReceived(session=1, time=time.time(), line="EHLO lab-pc"),
            so.MessageReceived(session=1, time=time.time(), number=1,
                               envelope=so.Envelope(messages.SEED_FROM, (messages.SEED_TO,)),
                               raw=raw, complete=True, accepted=True, reason=None,
                               decoded=decoder.decode(raw)),
            so.Disconnected(session=1, time=time.time(), reason="quit")]


# --------------------------------------------------------------------------------------------
# A reader that goes away


@pytest.mark.parametrize("mode", ["--jsonl", "--no-gui"])
def test_output_whose_reader_went_away_ends_quietly_with_exit_0(mode):
    # `smtp_observer.py --jsonl | head -1`: the reader closes its end of the pipe.
    process = subprocess.Popen([sys.executable, str(ROOT / "smtp_observer.py"), mode,
                                "--port", "0", "--no-pop3", "--lang", "en"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    first = process.stdout.readline().decode()
    port = int(first.split('"port":')[1].split(",")[0]) if mode == "--jsonl" \
        else int(first.split(":")[1].split()[0])
    process.stdout.close()
    with socket.create_connection(("127.0.0.1", port), timeout=10):  # events to print
        try:
            process.wait(timeout=20)
        finally:
            process.kill()  # only if it did not end by itself: the assert below says so
    assert process.returncode == 0
    assert process.stderr.read() == b""  # no traceback, no "Exception ignored"


# --------------------------------------------------------------------------------------------
# The window's files


@pytest.mark.parametrize(("name", "safe"), [
    ("CON", "CON_"), ("nul.png", "nul_.png"), ("COM1.jpg", "COM1_.jpg"), ("aux", "aux_"),
    ("lpt9.tar.gz", "lpt9_.tar.gz"), ("CONIN$", "CONIN$_"), ("con .txt", "con _.txt"),
    ("Console.png", "Console.png"), ("COM10.png", "COM10.png"),
    ("x\u202egnp.exe", "xgnp.exe"),  # shown as "xexe.png" with the right-to-left override
    ("照片\u200b.jpg", "照片.jpg")])
def test_save_as_names_are_safe_on_windows(name, safe):
    assert gui_mail.safe_filename(name, fallback="fallback") == safe


@pytest.mark.parametrize("name", ["a" * 300 + ".png", "张" * 100 + ".jpg", "b" * 250])
def test_long_save_as_names_are_cut_to_200_bytes_keeping_the_extension(name):
    safe = gui_mail.safe_filename(name, fallback="fallback")
    assert 190 <= len(safe.encode("utf-8")) <= gui_mail.MAX_FILENAME_BYTES
    assert safe[:5] == name[:5] and safe.endswith(name[-4:] if "." in name else name[-1])


def test_a_chinese_windows_that_lists_only_the_localized_yahei_uses_it():
    installed = ["Consolas", "微软雅黑", "宋体"]
    assert gui.pick_font_family(installed, gui.UI_FONTS["win32"]) == "微软雅黑"


def test_on_windows_the_html_is_opened_by_its_path_not_a_file_url(monkeypatch):
    started = []
    monkeypatch.setattr(gui.sys, "platform", "win32")
    monkeypatch.setattr(gui.os, "startfile", started.append, raising=False)
    monkeypatch.setattr(gui.webbrowser, "open", lambda url: pytest.fail(f"opened {url}"))
    path = Path("C:/Users/张三/AppData/Local/Temp/smtp-observer-1.html")
    assert gui.open_in_browser(path) is True
    assert started == [str(path)]  # ShellExecute cannot read "%E5%BC%A0%E4%B8%89"


@pytest.mark.gui
@pytest.mark.parametrize(("browser", "reason"), [
    (lambda path: False, "no browser could be started"),
    (lambda path: (_ for _ in ()).throw(FileNotFoundError(2, "The system cannot find the file "
                                                            "specified")),
     "The system cannot find the file specified")])
def test_a_browser_that_does_not_open_is_reported(window, events, monkeypatch, browser, reason):
    boxes = []
    monkeypatch.setattr(gui, "open_in_browser", browser)
    monkeypatch.setattr(gui.messagebox, "showerror", lambda title, text, **_: boxes.append(text))
    feed(window, events, *seed_session())
    window.message_pane.open_html_button.invoke()
    expected = f"Could not open the HTML in a browser: {reason}"
    assert boxes == [expected]
    assert expected in tagged(window.dialogue_text, gui.TAG_ERROR)


@pytest.mark.gui
def test_the_exported_text_report_is_utf8_with_bom_and_crlf(window, events, monkeypatch,
                                                           tmp_path):
    feed(window, events, *seed_session())
    monkeypatch.setattr(gui.filedialog, "asksaveasfilename",
                        lambda **_: str(tmp_path / "报告.txt"))
    # the export asks for the student's name and number first (gui_console.ask_student)
    monkeypatch.setattr(gui_console, "ask_text", lambda *_a, **_k: "张三 2024001")
    window.state_strip.export_button.invoke()
    data = (tmp_path / "报告.txt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") > 5
    assert messages.SEED_SUBJECT in data.decode("utf-8-sig")


# --------------------------------------------------------------------------------------------
# Binding


def config_for(port: int) -> so.ServerConfig:
    return so.ServerConfig(host="127.0.0.1", port=port, hostname="observer.test")


def test_a_port_in_use_is_tried_again_for_a_while_on_windows(monkeypatch):
    monkeypatch.setattr(so, "BIND_RETRY_SECONDS", 5.0)  # as on Windows
    retries = []
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    threading.Timer(0.6, holder.close).start()  # the last session's port comes free
    started = time.monotonic()
    server = so.start_server(config_for(port), queue.Queue(),
                             on_retry=lambda *args: retries.append(args))
    try:
        assert server.port == port and 0.5 < time.monotonic() - started < 5
        assert retries == [(port, 5.0)]
    finally:
        server.stop()


def test_a_port_that_stays_in_use_exits_2_after_the_retry_says_so(monkeypatch, capsys,
                                                                  taken_port):
    monkeypatch.setattr(so, "BIND_RETRY_SECONDS", 0.5)
    started = time.monotonic()
    assert so.main(["--no-gui", "--port", str(taken_port), "--lang", "zh"]) == 2
    assert time.monotonic() - started >= 0.5
    assert capsys.readouterr().err.splitlines() == [
        f"端口 {taken_port} 正被占用，0.5 秒内继续尝试"
        "（刚重启时，Windows 会把上一次会话的端口再保留一会儿）……",
        f"smtp_observer：无法在 127.0.0.1:{taken_port} 上监听：端口已被占用"
        "（是否有另一个邮件服务器或观察器正在运行？）；请试试 --port 2525"]  # --lang zh


def test_elsewhere_a_port_in_use_is_not_tried_again(capsys, taken_port):
    assert (3.0 if os.name == "nt" else 0.0) == so.BIND_RETRY_SECONDS
    assert so.main(["--no-gui", "--port", str(taken_port)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == (2 if os.name == "nt" else 1)
