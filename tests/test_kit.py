"""The Windows lab kit (tools/build_kit.py) built and run as a teacher would: the folder and
its zip, the Pillow wheels, the files Notepad and cmd.exe read, and the .pyz running the
observer: JSON Lines, a taken port, and the window decoding a big mail in its child process."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import psutil
import pytest
from PIL import ImageGrab

import child_observer
import messages
from conftest import ROOT, run_without

sys.path.insert(0, str(ROOT / "tools"))
import build_kit  # noqa: E402

pytest_plugins = ["gui_plugin"]  # x_server

KIT_FILES = {"smtp_observer.pyz", "SMTP Observer.pyw", "install.cmd", "README.txt",
             "使用说明.txt", "requirements.txt"}


def build(output: Path, *options: str) -> Path:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_kit.py"),
                           "--output", str(output), *options],
                          capture_output=True, encoding="utf-8", timeout=600, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    if done.returncode != 0 and "pip could not download" in done.stderr \
            and not os.environ.get("CI"):
        pytest.skip(f"no package index here: {done.stderr.strip()}")  # CI must build it all
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Built {output / build_kit.KIT_NAME} and ")
    return output / build_kit.KIT_NAME


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    """A kit without wheels (the program and documents are the same as in the full kit), in a
    folder whose path has Chinese and spaces, as on a lab PC's desktop."""
    return build(tmp_path_factory.mktemp("kit") / "桌面" / "SMTP 观察器", "--no-wheels")


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run ``command`` as from a console on a machine without a display."""
    without_display = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    return subprocess.run(command, capture_output=True, encoding="utf-8", timeout=60,
                          stdin=subprocess.DEVNULL, check=False,
                          env={**without_display, "PYTHONIOENCODING": "utf-8", **env})


# --------------------------------------------------------------------------------------------
# What the build makes


def test_the_kit_folder_and_its_zip_hold_the_same_files(kit):
    assert {path.name for path in kit.iterdir()} == KIT_FILES
    with zipfile.ZipFile(kit.with_suffix(".zip")) as archive:
        names = set(archive.namelist())
        assert names == {f"{build_kit.KIT_NAME}/{name}" for name in KIT_FILES}
        info = archive.getinfo(f"{build_kit.KIT_NAME}/使用说明.txt")
        assert info.flag_bits & 0x800  # the UTF-8 name flag: unzip tools show the Chinese name
        assert archive.read(info) == (kit / "使用说明.txt").read_bytes()


def test_the_program_holds_every_root_module_and_keeps_the_exit_code(kit):
    with zipfile.ZipFile(kit / "smtp_observer.pyz") as program:
        names = set(program.namelist())
        main = program.read("__main__.py").decode()
    modules = {path.name for path in ROOT.glob("*.py")}
    assert {"smtp_observer.py", "decoder.py", "gui.py", "preflight.py"} <= modules
    assert names == modules | {"__main__.py"}
    assert "raise SystemExit(smtp_observer.main())" in main


@pytest.mark.parametrize("name", ["README.txt", "使用说明.txt"])
def test_the_instructions_open_in_old_notepad(kit, name):
    data = (kit / name).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, CRLF
    assert data.count(b"\n") == data.count(b"\r\n") > 50
    text = data.decode("utf-8-sig")
    assert "@" not in text.replace("example", "")  # every placeholder filled in
    assert f"{build_kit.PYTHON_VERSIONS[0]}" in text and build_kit.PYTHON_VERSIONS[-1] in text
    for needed in ("install.cmd", "SMTP Observer.pyw", "Foxmail", "Thunderbird", "Outlook",
                   "--host 0.0.0.0", "tcl/tk and IDLE",
                   "netsh int ipv4 show excludedportrange protocol=tcp"):
        assert needed in text


def test_the_instructions_name_what_works_and_what_does_not(kit):
    chinese = (kit / "使用说明.txt").read_text(encoding="utf-8-sig")
    english = (kit / "README.txt").read_text(encoding="utf-8-sig")
    assert "不能使用：新版 Outlook" in chinese and "防火墙" in chinese and "管理员" in chinese
    assert "Do not work: the new Outlook" in english and "Windows Firewall" in english


def test_install_cmd_is_what_cmd_exe_can_read(kit):
    data = (kit / "install.cmd").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # a BOM would be part of the first command
    assert data.count(b"\n") == data.count(b"\r\n")
    before_chcp, _, after = data.partition(b"chcp 65001 >nul\r\n")
    assert after and before_chcp.isascii()  # no Chinese before the code page is UTF-8
    text = data.decode("utf-8")
    assert "py -3 -m pip install --user --no-index --find-links wheels -r requirements.txt" \
        in text
    assert 'pushd "%~dp0"' in text  # the kit's folder, wherever it was double-clicked from
    assert "python.org" in text and "tcl/tk and IDLE" in text and "没有找到 Python 启动器 py" \
        in text


@pytest.mark.skipif(os.name == "nt", reason="the Linux pass builds the whole kit; under Wine "
                                             "pip takes about a minute per wheel")
def test_the_full_kit_has_pillow_for_every_supported_windows_python(tmp_path):
    kit = build(tmp_path)
    wheels = sorted(path.name for path in (kit / "wheels").iterdir())
    for platform in build_kit.WINDOWS_PLATFORMS:
        for version in build_kit.PYTHON_VERSIONS:
            tag = build_kit.wheel_tag(version, platform)
            assert [name for name in wheels if name.endswith(tag)], (tag, wheels)
    assert all(name.lower().startswith("pillow-") for name in wheels)
    with zipfile.ZipFile(kit.with_suffix(".zip")) as archive:
        assert {name.rsplit("/", 1)[-1] for name in archive.namelist()
                if "/wheels/" in name and not name.endswith("/")} == set(wheels)


@pytest.mark.skipif(os.name != "nt", reason="cmd.exe runs install.cmd: Windows (winpy) only")
def test_install_cmd_without_python_says_where_to_get_it(kit):
    system = os.path.join(os.environ.get("SYSTEMROOT", r"C:\windows"), "system32")
    done = subprocess.run(["cmd", "/c", str(kit / "install.cmd")], capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=120,
                          env={**os.environ, "PATH": system})  # no py on PATH
    assert done.returncode == 1
    assert (b'The Python launcher "py" was not found. Install Python 3.10 or newer from '
            b"python.org") in done.stdout
    assert b"Press any key" in done.stdout or b"\xe8\xaf\xb7\xe6\x8c\x89" in done.stdout


# --------------------------------------------------------------------------------------------
# The program from the kit


def test_the_program_prints_json_lines_and_stops_on_ctrl_c(kit):
    process = child_observer.start("--jsonl", "--port", "0", "--no-pop3", "--hostname",
                                   "observer.test", program=kit / "smtp_observer.pyz")
    try:
        first = json.loads(process.stdout.readline())
        assert first["event"] == "listening" and first["port"] > 0
        message = EmailMessage()
        message["Subject"] = "实验 kit"
        message.set_content("你好")
        with smtplib.SMTP("127.0.0.1", first["port"]) as client:
            client.sendmail("a@example.com", ["b@example.com"], message.as_bytes())
        lines = [json.loads(process.stdout.readline())]
        while lines[-1]["event"] != "disconnect":
            lines.append(json.loads(process.stdout.readline()))
        received = next(line for line in lines if line["event"] == "message")
        assert received["subject"] == "实验 kit" and "你好" in received["text"]
    finally:
        child_observer.stop(process)  # exit code 0, no traceback


def test_the_program_exits_2_when_the_port_is_taken(kit, taken_port):
    done = run([sys.executable, str(kit / "smtp_observer.pyz"), "--no-gui", "--no-pop3",
                "--port", str(taken_port)])
    assert done.returncode == 2  # zipapp's own __main__.py would have ended with 0
    lines = done.stderr.splitlines()
    assert lines[-1].startswith(f"smtp_observer: cannot listen on 127.0.0.1:{taken_port}")
    assert len(lines) == (2 if os.name == "nt" else 1)  # Windows first retries for a while


def test_without_pillow_the_program_says_to_run_install_cmd(kit):
    # --no-gui: Tk works on Windows without a display, and a message box would wait for a click.
    done = run(run_without("PIL", kit / "smtp_observer.pyz", "--no-gui", "--lang", "zh"))
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("SMTP 观察器需要 Pillow，但这个 Python（")
    assert f"请双击文件夹 {kit.resolve()} 中的 install.cmd" in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def red_building_pixels(display: str) -> int:
    """How many pixels of the sample picture's red building are on the screen."""
    # Windows' Pillow grabs its own desktop (under Wine, drawn on the same X display).
    screen = ImageGrab.grab() if os.name == "nt" else ImageGrab.grab(xdisplay=display)
    screen = screen.convert("RGB")
    return sum(count for count, colour in screen.getcolors(2**24) if colour == (190, 50, 45))


def child_decoder(process: psutil.Process) -> psutil.Process:
    """The spawned child that decodes big mail (not multiprocessing's resource tracker)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for child in process.children():
            try:
                command_line = child.cmdline()
            except (psutil.AccessDenied, psutil.NoSuchProcess):
                # A child in its first moments has no command line to read yet (Windows under
                # Wine says "access denied"; Windows retries ERROR_PARTIAL_COPY in psutil), or
                # is already gone: look again.
                continue
            if "spawn_main" in " ".join(command_line):
                return child
        time.sleep(0.1)
    raise AssertionError(f"no child decoder: {process.children()}")


def settled_cpu_time(process: psutil.Process) -> float:
    """The process's CPU time once it has stopped using any (its imports done)."""
    previous = -1.0
    while True:
        times = process.cpu_times()
        now = times.user + times.system
        if now == previous:
            return now
        previous = now
        time.sleep(0.5)


@pytest.mark.gui
@pytest.mark.parametrize("start", ["smtp_observer.pyz", "SMTP Observer.pyw"])
def test_the_window_from_the_kit_decodes_a_big_mail_in_its_child(kit, x_server, start):
    port = free_port()
    process = child_observer.start("--port", str(port), "--no-pop3", "--lang", "en",
                                   program=kit / start, env={**os.environ, "DISPLAY": x_server})
    try:
        child = child_decoder(psutil.Process(process.pid))
        before = settled_cpu_time(child)
        assert red_building_pixels(x_server) == 0
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail("a@example.com", ["b@example.com"], messages.big_mail_with_a_picture())
        deadline = time.monotonic() + 30
        while red_building_pixels(x_server) < 1000 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert red_building_pixels(x_server) >= 1000  # the picture is shown in the window
        times = child.cpu_times()
        assert times.user + times.system > before  # the child decoded it
        assert process.poll() is None
    finally:
        child_observer.stop(process, timeout=30)  # closes the window as its close button does
    assert not child.is_running()

