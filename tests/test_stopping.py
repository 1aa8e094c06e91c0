"""SIGTERM and closing the console end the observer as Ctrl+C does (stopping.py): the window
closes, the server stops, the child decoder and multiprocessing's resource tracker end with
it, and --report writes the session that was still open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import child_observer
import messages
import psutil
import pytest

import stopping

pytest_plugins = ["gui_plugin"]  # x_server

CONSOLE_CLOSE_OBSERVER = Path(__file__).with_name("console_close_observer.py")
no_sigterm_on_windows = pytest.mark.skipif(
    os.name == "nt", reason="Windows sends no SIGTERM to another process: os.kill(pid, SIGTERM) "
                            "is TerminateProcess; closing the console is tested below instead")


def children_once_started(process: psutil.Process, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    while len(children := process.children(recursive=True)) < count:
        assert time.monotonic() < deadline, children
        time.sleep(0.2)
    return children


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie nobody has reaped yet has ended)."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def ended_cleanly(process: subprocess.Popen, timeout: float = 20) -> str:
    """The observer's stderr once it has ended by itself, with exit code 0."""
    try:
        _, err = process.communicate(timeout=timeout)
    finally:
        child_observer.end(process)
    text = err.decode("utf-8", "replace")
    assert process.returncode == 0, text
    assert "Traceback" not in text
    return text


@no_sigterm_on_windows
@pytest.mark.gui
def test_sigterm_closes_the_window_and_its_child_decoder_and_resource_tracker(x_server):
    port = child_observer.free_port()
    process = child_observer.start("--port", str(port), "--no-pop3", "--lang", "en",
                                   env={**os.environ, "DISPLAY": x_server})
    observer = psutil.Process(process.pid)
    # the child decoder (started with the window) and the resource tracker
    children = children_once_started(observer, 2)
    assert any("resource_tracker" in " ".join(child.cmdline()) for child in children)
    decoder_child, = (child for child in children if "spawn_main" in " ".join(child.cmdline()))
    with child_observer.connect(port) as client:
        client.sendmail("a@lab.example", ["b@lab.example"], messages.big_mail_with_a_picture())
    deadline = time.monotonic() + 30
    while sum(decoder_child.cpu_times()[:2]) < 0.05 and time.monotonic() < deadline:
        time.sleep(0.2)  # the child decodes the mail (its imports alone take less)
    process.send_signal(signal.SIGTERM)
    ended_cleanly(process)
    deadline = time.monotonic() + 5
    while running(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(children) == []


@no_sigterm_on_windows
def test_sigterm_ends_the_headless_observer_and_writes_the_open_session_report(tmp_path):
    port = child_observer.free_port()
    process = child_observer.start("--port", str(port), "--no-pop3", "--lang", "en", "--no-gui",
                                   "--report", str(tmp_path))
    client = child_observer.connect(port)
    client.ehlo("lab-pc")  # the session is still open when SIGTERM comes
    process.send_signal(signal.SIGTERM)
    err = ended_cleanly(process)
    client.close()
    assert "Report written" in err
    report, = tmp_path.glob("smtp-session-1-*.html")
    assert "lab-pc" in report.read_text(encoding="utf-8")


def test_closing_the_console_stops_the_observer_before_the_process_ends(tmp_path):
    """What Windows does when the console window is closed (see console_close_observer.py)."""
    port = child_observer.free_port()
    process = subprocess.Popen(
        [sys.executable, str(CONSOLE_CLOSE_OBSERVER), str(child_observer.OBSERVER),
         "--port", str(port), "--no-pop3", "--lang", "en", "--no-gui", "--report", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    client = child_observer.connect(port)
    client.ehlo("lab-pc")
    err = ended_cleanly(process)  # closes its stdin: the console window is closed
    client.close()
    # The observer stopped (its open session's report written) before the handler returned.
    assert err.index("Report written") < err.index("console handler returned True")
    assert len(list(tmp_path.glob("smtp-session-1-*.html"))) == 1


def test_ctrl_c_is_left_to_python_and_closing_waits_no_longer_than_windows_allows(monkeypatch):
    assert stopping.CONSOLE_CLOSE_WAIT < 5  # Windows ends the process after 5 seconds
    hold = stopping.ConsoleCloseHold()
    assert hold.on_console_event(0) is False  # CTRL_C_EVENT: Python's own handler takes it
    interrupted = []
    monkeypatch.setattr(stopping._thread, "interrupt_main", interrupted.append)
    monkeypatch.setattr(stopping, "CONSOLE_CLOSE_WAIT", 0.1)
    assert hold.on_console_event(stopping.CTRL_CLOSE_EVENT) is True  # nobody said stopped
    assert interrupted == [stopping.CONSOLE_SIGNALS[-1]]


def test_on_windows_the_console_handler_is_given_to_the_system_and_taken_back():
    callback = stopping._set_console_handler(lambda event: False)
    if os.name != "nt":
        assert callback is None  # no console events elsewhere: SIGTERM and SIGINT say it all
        return
    assert callback is not None
    stopping._remove_console_handler(callback)
