"""Fixtures shared by the tests: the real server on a free loopback port, and its events."""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import child_observer  # noqa: E402
import smtp_observer  # noqa: E402
import words  # noqa: E402


def remark_text(event, lang: str = "en") -> str:
    """A remark event as a reader of ``lang`` sees it."""
    return words.note_text(getattr(event, "note", event), lang)


class RunningServer:
    """The real ObserverServer on 127.0.0.1:<free port>, with helpers to read its events."""

    def __init__(self, **config) -> None:
        self.events: queue.Queue = queue.Queue()
        config = {"hostname": "observer.test", "port": 0, **config}
        self.server = smtp_observer.start_server(smtp_observer.ServerConfig(**config),
                                                 self.events)
        self.port = self.server.port
        pop3_server = self.server.pop3_server
        self.pop3_port = pop3_server.port if pop3_server is not None else None
        self.seen: list[smtp_observer.ServerEvent] = []

    def wait_for(self, name: str, count: int = 1, timeout: float = 10.0) -> list:
        """Collect events until `count` events named `name` have arrived; return those."""
        deadline = time.monotonic() + timeout
        while len(self.named(name)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {count} {name!r} events; "
                                     f"saw {[e.event for e in self.seen]}")
            try:
                self.seen.append(self.events.get(timeout=remaining))
            except queue.Empty:
                continue
        return self.named(name)

    def named(self, name: str) -> list:
        return [event for event in self.seen if event.event == name]

    def transcript(self, session: int = 1) -> list[str]:
        """The session's dialogue as --no-gui prints it."""
        return [line for event in self.seen if event.session == session
                for line in smtp_observer.transcript_lines(event)]


@pytest.fixture
def observer():
    running = RunningServer()
    yield running
    running.server.stop()


@pytest.fixture
def make_observer():
    started: list[RunningServer] = []

    def make(**config) -> RunningServer:
        started.append(RunningServer(**config))
        return started[-1]

    yield make
    for running in started:
        running.server.stop()


@pytest.fixture
def start_observer():
    """child_observer.start(), and every observer started ends with the test, even a failed one."""
    started: list[subprocess.Popen] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        started.append(child_observer.start(*args, env=env))
        return started[-1]

    yield start
    for process in started:
        child_observer.end(process)


@pytest.fixture
def taken_port():
    """A loopback port that another socket is listening on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def running_under_wine() -> bool:
    """True in the Windows pass under Wine (../shared/tools/winpy), where Wine's own gaps show."""
    if os.name != "nt":
        return False
    import ctypes
    return hasattr(ctypes.windll.ntdll, "wine_get_version")


def require_program(name: str) -> str:
    """The path of an external client; a missing one skips locally but fails in CI.
    They are Linux programs (from Debian's packages): the Windows pass skips their tests."""
    if os.name == "nt":
        pytest.skip(f"{name} is a Linux program here: its tests run in the Linux pass")
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_without(module: str, target: Path, *args: str) -> list[str]:
    """The command line that runs ``target`` (a script or a .pyz) as __main__ with ``module``
    missing, as on a Python where it was never installed: ``sys.modules[module] = None``
    makes ``import module`` raise ImportError. (Not a virtual environment: venv.create copies
    python.exe with CopyFile2, which Wine lacks, on the Windows pass.)"""
    code = (f"import runpy, sys; sys.modules[{module!r}] = None; "
            f"sys.argv = {[str(target), *args]!r}; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    return [sys.executable, "-c", code]
