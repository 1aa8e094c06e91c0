"""The observer as ``python smtp_observer.py ARGS`` runs it, whose console is "closed" once its
stdin closes: the handler the observer gave SetConsoleCtrlHandler (stopping.py) gets
CTRL_CLOSE_EVENT on a thread of its own, as Windows calls it, and the process ends as soon as
the handler returns, as Windows ends it. A test cannot close a real console (Wine and CI have
none), and stopping.py installs the handler on Windows only: this stands in for both."""

from __future__ import annotations

import os
import runpy
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import stopping  # noqa: E402

handlers: list = []


def capture(handler):
    handlers.append(handler)
    return handler


def close_the_console_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    returned = handlers[0](stopping.CTRL_CLOSE_EVENT)
    print(f"console handler returned {returned}", file=sys.stderr, flush=True)
    os._exit(0)  # what Windows does once the handler has returned


if __name__ == "__main__":
    stopping._set_console_handler = capture
    stopping._remove_console_handler = lambda callback: None
    # not a daemon: the interpreter waits for it, so the process ends only where Windows ends it
    threading.Thread(target=close_the_console_when_stdin_closes).start()
    sys.argv = sys.argv[1:]
    sys.path[0] = str(Path(sys.argv[0]).parent)
    runpy.run_path(sys.argv[0], run_name="__main__")
