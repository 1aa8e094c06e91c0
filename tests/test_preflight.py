"""preflight.py: what a lab PC without Pillow or tkinter shows instead of a traceback, and
how it knows that a console was opened just for the program (a double-click on Windows)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import child_observer
import command_line
import explain
import preflight
from conftest import ROOT, run_without

pytest_plugins = ["gui_plugin"]  # xdisplay


def test_without_pillow_the_script_names_the_pip_command():
    done = subprocess.run(run_without("PIL", ROOT / "smtp_observer.py", "--no-gui", "--lang",
                                      "en"), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"SMTP Observer needs Pillow, which is not installed for this Python "
        f"({sys.version_info.major}.{sys.version_info.minor}).", "",
        f"Install it from the folder {ROOT} with:", "",
        f"    {preflight.pip_install_command()}", "",
        "then start the observer again."]


def test_the_install_command_on_windows_uses_the_py_launcher():
    assert preflight.pip_install_command("win32") == "py -m pip install -r requirements.txt"


def test_without_tkinter_the_window_mode_runs_headless_and_says_how_to_get_it():
    # As on a Python installed without the "tcl/tk and IDLE" option.
    process = subprocess.Popen(
        run_without("tkinter", *child_observer.command(), "--port", "0", "--no-pop3", "--lang",
                    "zh"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        notice = process.stdout.readline().decode()
        assert notice.strip() == preflight.missing_tkinter_notice("zh")
        assert notice.startswith("窗口无法打开：这个 Python 没有 tkinter。")
        assert process.stdout.readline().decode().startswith("正在监听 127.0.0.1:")  # --lang zh
    finally:
        child_observer.stop(process)


def test_elsewhere_the_tkinter_notice_names_the_package():
    notice = preflight.missing_tkinter_notice("zh", platform="linux")
    assert "sudo apt install python3-tk" in notice and "--no-gui" in notice


def test_on_windows_the_tkinter_notice_names_the_installer_option():
    notice = preflight.missing_tkinter_notice("en", platform="win32")
    assert 'choose "Modify" and tick "tcl/tk and IDLE"' in notice
    assert "勾选“tcl/tk and IDLE”" in preflight.missing_tkinter_notice("zh", platform="win32")


@pytest.mark.parametrize(("argv", "window"), [
    ([], True), (["--port", "2525", "--host", "0.0.0.0"], True), (["--hostname", "x"], True),
    (["--no-gui"], False), (["--no"], False), (["--jsonl"], False), (["--json"], False),
    (["--report", "out"], False), (["--report=out"], False)])
def test_a_headless_command_line_gets_no_message_box(argv, window):
    assert preflight.wants_window(argv) is window


def test_the_language_asked_for_on_the_command_line(monkeypatch):
    monkeypatch.setattr(explain, "detect_language", lambda: "en")
    assert command_line.chosen_language(["--lang", "zh"]) == "zh"
    assert command_line.chosen_language(["--no-gui", "--lang=zh"]) == "zh"
    assert command_line.chosen_language(["--lang", "fr"]) == "en"
    assert command_line.chosen_language(["--lang"]) == "en"


# --------------------------------------------------------------------------------------------
# A console opened by a double-click (Windows)

NAMES = {1: "py.exe", 2: "cmd.exe", 3: "python.exe", 4: "WindowsTerminal.exe", 5: "PY.EXE"}


@pytest.mark.parametrize(("processes", "alone"), [
    ([100, 1], True),          # Explorer started py.exe in a new console, py.exe started us
    ([100], True),             # python.exe double-clicked directly
    ([100, 3, 5], True),       # a virtual environment's python.exe between py.exe and us
    ([100, 1, 2], False),      # typed in cmd.exe
    ([100, 1, 4], False),      # Windows Terminal's shell
    ([], False)])              # no console at all (pythonw)
def test_a_console_is_ours_when_only_python_launchers_share_it(processes, alone):
    assert preflight.only_launchers_share(processes, 100, NAMES.get) is alone


def test_the_console_check_asks_windows_only_on_windows(monkeypatch):
    monkeypatch.setattr(preflight, "console_process_ids", lambda: [os.getpid(), 1])
    monkeypatch.setattr(preflight, "process_image_name", NAMES.get)
    monkeypatch.setattr(preflight.os, "name", "nt")
    assert preflight.console_opened_for_us() is True
    monkeypatch.setattr(preflight.os, "name", "posix")
    assert preflight.console_opened_for_us() is False


def test_a_double_clicked_console_waits_for_enter(monkeypatch, capsys):
    monkeypatch.setattr(preflight, "console_opened_for_us", lambda: True)
    prompts = []
    monkeypatch.setattr("builtins.input", prompts.append)
    with pytest.raises(SystemExit) as stopped:
        preflight.stop("Pillow is missing", "zh", window=False)
    assert stopped.value.code == 1
    assert prompts == ["按回车键关闭此窗口。"]
    assert capsys.readouterr().err == "Pillow is missing\n"


def test_a_console_of_a_shell_does_not_wait(monkeypatch, capsys):
    monkeypatch.setattr(preflight, "console_opened_for_us", lambda: False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("waited for Enter"))
    with pytest.raises(SystemExit):
        preflight.stop("Pillow is missing", "en", window=False)
    assert capsys.readouterr().err == "Pillow is missing\n"


@pytest.mark.gui
def test_a_window_start_shows_a_message_box_and_does_not_wait(xdisplay):
    # In its own process: a Tk interpreter made and freed here breaks the next one under Wine.
    code = ("import builtins, sys, tkinter.messagebox, preflight; "
            "tkinter.messagebox.showerror = lambda title, text, **_: print(title, text); "
            "preflight.console_opened_for_us = lambda: True; "
            "builtins.input = lambda prompt: sys.exit('waited for Enter'); "
            "preflight.stop('Pillow is missing', 'zh', window=True)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                          cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, check=False)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stdout.decode("utf-8").splitlines() == ["SMTP 观察器无法启动 Pillow is missing"]
