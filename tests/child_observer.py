"""The observer as a child process that a test can stop as a user would, on Linux and Windows.

Linux: SIGINT, what Ctrl+C sends. Windows: Ctrl+C cannot be sent to another process at all,
and Ctrl+Break only through a console that both processes share (GenerateConsoleCtrlEvent), which
a test run may lack: Wine gives none (ERROR_INVALID_ACCESS), nor does a CI service. So on Windows
the child runs this file, which starts the observer as ``python smtp_observer.py ARGS`` would and
raises SIGBREAK, what Ctrl+Break and closing the console deliver, in that process once its stdin
closes: the observer's own signal handling runs, with no console needed.
"""

from __future__ import annotations

import os
import runpy
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

OBSERVER = Path(__file__).resolve().parents[1] / "smtp_observer.py"
WINDOWS = os.name == "nt"


def start(*args: str, env: dict[str, str] | None = None,
          program: Path = OBSERVER) -> subprocess.Popen:
    """``python smtp_observer.py ARGS`` (or another ``program``: the kit's .pyz or .pyw), its
    output in pipes; stop it with stop()."""
    return subprocess.Popen([sys.executable, *command(program), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def command(program: Path = OBSERVER) -> list[str]:
    """What follows ``python`` to run ``program`` so that interrupt() can stop it."""
    return [__file__, str(program)] if WINDOWS else [str(program)]


def interrupt(process: subprocess.Popen) -> None:
    """What Ctrl+C (on Windows: Ctrl+Break) in the observer's console does."""
    if WINDOWS:
        process.stdin.close()
    else:
        process.send_signal(signal.SIGINT)


def stop(process: subprocess.Popen, timeout: float = 20) -> tuple[bytes, bytes]:
    """Interrupt the observer and collect its output; it must end cleanly, with exit code 0."""
    interrupt(process)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        end(process)
    assert process.returncode == 0, err.decode(errors="replace")
    assert b"Traceback" not in err
    return out, err


def end(process: subprocess.Popen) -> None:
    """Make sure the process is gone (after a failed test too): no observer left behind."""
    if process.poll() is None:
        process.kill()
        process.communicate(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def connect(port: int, timeout: float = 30) -> smtplib.SMTP:
    """An SMTP client connected to the observer on ``port`` once it listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=120)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _run_observer_until_stdin_closes() -> None:
    def break_when_stdin_closes() -> None:
        sys.stdin.buffer.read()
        signal.raise_signal(signal.SIGBREAK)

    threading.Thread(target=break_when_stdin_closes, daemon=True).start()
    sys.argv = sys.argv[1:]
    sys.path[0] = str(Path(sys.argv[0]).parent)  # as if the observer had been started itself
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    _run_observer_until_stdin_closes()
