"""What ends the observer as Ctrl+C does: the server stops, the child decoder and
multiprocessing's resource tracker end with it, and --report writes the open session's report.

- Ctrl+C (SIGINT); on Windows also Ctrl+Break and closing the console window, which Python
  reports as SIGBREAK (its default would end the process at once). These reach every process
  of the console (or of the terminal's process group), the child decoder too: it ignores them
  and ends when the observer says so.
- SIGTERM, what ``kill``, a service manager or a lab's management tool sends to the observer
  alone. Its default would end the observer at once and leave the child decoder and the
  resource tracker running.
- Closing the console window on Windows: the system ends the process as soon as its console
  handlers return, and Python's own handler returns at once (it only notes SIGBREAK for the main
  thread). console_close_held() keeps the close waiting until the observer has stopped.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

CONSOLE_SIGNALS = (signal.SIGINT, signal.SIGBREAK) if hasattr(signal, "SIGBREAK") \
    else (signal.SIGINT,)
STOP_SIGNALS = (*CONSOLE_SIGNALS, signal.SIGTERM)
# Windows gives a process 5 seconds after CTRL_CLOSE_EVENT before it ends it anyway.
CONSOLE_CLOSE_WAIT = 4.5  # seconds
# SetConsoleCtrlHandler's events that end the process when the handlers return.
CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT = 2, 5, 6
_ENDING_EVENTS = (CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT)


def ignore_console_signals() -> None:
    """In the child decoder: Ctrl+C and closing the console are its parent's business."""
    for number in CONSOLE_SIGNALS:
        signal.signal(number, signal.SIG_IGN)


class ConsoleCloseHold:
    """Turns a console event that would end the process into the stop signal, and holds the
    event (the process) until stopped() or CONSOLE_CLOSE_WAIT."""

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def on_console_event(self, event: int) -> bool:
        """SetConsoleCtrlHandler's handler (called on a thread of its own): True when it has
        handled the event, False to leave it to the next handler (Python's, for Ctrl+C)."""
        if event not in _ENDING_EVENTS:
            return False
        _thread.interrupt_main(CONSOLE_SIGNALS[-1])  # as Ctrl+Break: the main thread stops
        self._stopped.wait(CONSOLE_CLOSE_WAIT)
        return True

    def stopped(self) -> None:
        self._stopped.set()


@contextlib.contextmanager
def console_close_held() -> Iterator[ConsoleCloseHold]:
    """On Windows with a console, for the time of the with block: closing the console window
    (or logging off) stops the observer as Ctrl+Break does, and the process ends only once
    the block is left. Elsewhere it does nothing."""
    hold = ConsoleCloseHold()
    installed = _set_console_handler(hold.on_console_event)
    try:
        yield hold
    finally:
        hold.stopped()
        if installed is not None:
            _remove_console_handler(installed)


def _set_console_handler(handler: Callable[[int], bool]) -> object | None:
    """The installed ctypes callback (keep it: ctypes frees it otherwise); None elsewhere than
    on Windows."""
    if sys.platform != "win32":
        return None
    import ctypes  # only here: ctypes.windll exists on Windows alone
    from ctypes import wintypes

    callback = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)(handler)
    try:
        installed = ctypes.windll.kernel32.SetConsoleCtrlHandler(callback, True)
    except (AttributeError, OSError):
        return None
    return callback if installed else None


def _remove_console_handler(callback: object) -> None:
    import ctypes

    with contextlib.suppress(AttributeError, OSError):
        ctypes.windll.kernel32.SetConsoleCtrlHandler(callback, False)
