"""Before the observer starts: is what it needs there? If not, one clear message, where the
user is looking, saying how to get it, instead of a traceback in a console that flashes.

- Pillow missing (``require_pillow``): exit code 1 after a message box when a window was
  wanted and Tk works, else a message on the console; a console that was opened just for
  this program (a double-clicked .py or .pyz on Windows) waits for Enter before it closes.
- tkinter missing in window mode (``missing_tkinter_notice``): what to install; the caller
  runs headless instead.

Standard library only, and nothing here imports Pillow or tkinter at module level: this
module is what runs when they are missing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import contextlib

from command_line import chosen_language
from explain import Text

# Processes that share a console with the program they start: the py launcher, and the
# python.exe of a virtual environment, which starts the real one.
PYTHON_LAUNCHERS = frozenset({"py.exe", "pyw.exe", "python.exe", "pythonw.exe"})
HEADLESS_OPTIONS = ("--no-gui", "--jsonl", "--report")

TITLE = Text("SMTP Observer cannot start", "SMTP 观察器无法启动")
MISSING_PILLOW = Text(
    "SMTP Observer needs Pillow, which is not installed for this Python ({python}).",
    "SMTP 观察器需要 Pillow，但这个 Python（{python}）没有安装它。")
INSTALL_FROM_KIT = Text(
    "Double-click install.cmd in the folder {folder} once (it installs Pillow from the kit, "
    "without internet), then start the observer again.",
    "请双击文件夹 {folder} 中的 install.cmd（它从安装包里安装 Pillow，不需要联网），"
    "然后重新启动观察器。")
INSTALL_WITH_PIP = Text(
    "Install it from the folder {folder} with:\n\n    {command}\n\nthen start the observer "
    "again.",
    "请在文件夹 {folder} 中运行：\n\n    {command}\n\n然后重新启动观察器。")
PRESS_ENTER = Text("Press Enter to close this window.", "按回车键关闭此窗口。")
MISSING_TKINTER = Text(
    "The window cannot open: this Python has no tkinter. {how} Running in the console "
    "instead (as with --no-gui).",
    "窗口无法打开：这个 Python 没有 tkinter。{how}现在改为在命令行窗口中运行（同 --no-gui）。")
GET_TKINTER = {
    "win32": Text('Run the Python installer from python.org again, choose "Modify" and tick '
                  '"tcl/tk and IDLE".',
                  "请重新运行 python.org 的 Python 安装程序，选择“Modify”，"
                  "勾选“tcl/tk and IDLE”。"),
    "linux": Text("Install it with the system's package manager (Debian, Ubuntu: "
                  "sudo apt install python3-tk).",
                  "请用系统的软件包管理器安装（Debian、Ubuntu：sudo apt install python3-tk）。"),
}


# --------------------------------------------------------------------------------------------
# Pillow


def require_pillow(argv: Sequence[str] | None = None) -> None:
    """Return if Pillow can be imported; else tell the user how to install it and exit 1."""
    try:
        import PIL.Image  # noqa: F401  (what decoder imports)
    except ImportError:
        argv = sys.argv[1:] if argv is None else argv
        lang = chosen_language(list(argv))
        stop(missing_pillow_message(lang), lang, window=wants_window(argv))


def missing_pillow_message(lang: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    kit = kit_folder()
    if kit is not None:
        how = INSTALL_FROM_KIT(lang).format(folder=kit)
    else:
        folder = Path(__file__).resolve().parent
        how = INSTALL_WITH_PIP(lang).format(folder=folder, command=pip_install_command())
    return MISSING_PILLOW(lang).format(python=python) + "\n\n" + how


def pip_install_command(platform: str = sys.platform) -> str:
    # python.org's installer puts "py" on PATH, not "python" (that one opens the Store).
    launcher = "py" if platform == "win32" else "python3"
    return f"{launcher} -m pip install -r requirements.txt"


def kit_folder() -> Path | None:
    """The lab kit's folder when running from its smtp_observer.pyz, else None."""
    here = Path(__file__).resolve().parent
    return here.parent if here.suffix == ".pyz" else None


# --------------------------------------------------------------------------------------------
# tkinter


def missing_tkinter_notice(lang: str, platform: str = sys.platform) -> str:
    how = GET_TKINTER["win32" if platform == "win32" else "linux"](lang)
    return MISSING_TKINTER(lang).format(how=how)


def is_missing_tkinter(error: ImportError) -> bool:
    return error.name in ("tkinter", "_tkinter")


# --------------------------------------------------------------------------------------------
# The command line, before argparse (which lives with the program that cannot be imported)


def wants_window(argv: Sequence[str]) -> bool:
    """False when the arguments ask for a headless run (argparse also takes a unique prefix
    of an option, such as --no or --json)."""
    for argument in argv:
        name = argument.split("=", 1)[0]
        if len(name) > 3 and any(option.startswith(name) for option in HEADLESS_OPTIONS):
            return False
    return True


# --------------------------------------------------------------------------------------------
# Saying it


def stop(message: str, lang: str, *, window: bool) -> NoReturn:
    """Show ``message`` where the user will see it, then exit with code 1."""
    if sys.stderr is not None:  # None under pythonw.exe
        print(message, file=sys.stderr, flush=True)
    shown = window and message_box(TITLE(lang), message)
    if not shown and console_opened_for_us():
        with contextlib.suppress(EOFError, OSError):
            input(PRESS_ENTER(lang))
    raise SystemExit(1)


def message_box(title: str, message: str) -> bool:
    """An error box: Tk's, else (a pythonw start without tkinter) Windows' own. False when
    neither can be shown."""
    try:
        import tkinter
        from tkinter import messagebox

        root = tkinter.Tk()
    except Exception:  # no tkinter (ImportError) or no display (TclError)
        return sys.stderr is None and _windows_message_box(title, message)
    root.withdraw()
    try:
        messagebox.showerror(title, message, parent=root)
    finally:
        root.destroy()
    return True


def _windows_message_box(title: str, message: str) -> bool:
    if os.name != "nt":
        return False
    import ctypes

    error_icon = 0x10
    ctypes.windll.user32.MessageBoxW(None, message, title, error_icon)
    return True


def console_opened_for_us() -> bool:
    """True on Windows when this program's console was opened for it alone (a double-clicked
    .py or .pyz: Explorer started the py launcher in a new console): that console closes as
    soon as the program ends, taking any message with it. In cmd.exe, PowerShell or Windows
    Terminal the shell shares the console, and it stays."""
    if os.name != "nt":
        return False
    return only_launchers_share(console_process_ids(), os.getpid(), process_image_name)


def only_launchers_share(process_ids: Sequence[int], own_id: int,
                         image_name: Callable[[int], str]) -> bool:
    """Whether the console's processes are this one and Python launchers only."""
    others = [pid for pid in process_ids if pid != own_id]
    return own_id in process_ids and all(
        image_name(pid).lower() in PYTHON_LAUNCHERS for pid in others)


def console_process_ids() -> list[int]:
    """The processes attached to this console (GetConsoleProcessList); [] without one."""
    import ctypes

    capacity = 16
    ids = (ctypes.c_uint32 * capacity)()
    count = ctypes.WinDLL("kernel32").GetConsoleProcessList(ids, capacity)
    return list(ids[:count]) if 0 < count <= capacity else []


def process_image_name(pid: int) -> str:
    """The file name of a process's program ("py.exe"), or "" when it cannot be read."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32")
    kernel32.OpenProcess.restype = wintypes.HANDLE
    query_limited_information = 0x1000
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ""
    try:
        size = wintypes.DWORD(1024)
        buffer = ctypes.create_unicode_buffer(size.value)
        if not kernel32.QueryFullProcessImageNameW(wintypes.HANDLE(handle), 0, buffer,
                                                   ctypes.byref(size)):
            return ""
        return buffer.value.replace("/", "\\").rsplit("\\", 1)[-1]
    finally:
        kernel32.CloseHandle(wintypes.HANDLE(handle))
