"""pytest fixtures of the window tests; a test module asks for them with
``pytest_plugins = ["gui_plugin"]``.

One Xvfb serves the whole test run: Tk on X11 never closes a display connection, so once a
server it used has gone, the next Tk event loop hits the dead connection and Xlib ends the
process (exit 1, no message). $DISPLAY names it only while a module that uses ``xdisplay``
runs, so that the other tests still see a machine without a screen.
"""

from __future__ import annotations

import gc
import os
import queue
import sys
import tkinter as tk
from collections.abc import Iterator

import pytest
from gui_fixtures import virtual_display, xvfb_display

import gui


@pytest.fixture(scope="session")
def x_server() -> Iterator[str]:
    """The display the window tests use: the developer's own screen, else a private Xvfb.
    Windows has its desktop (under Wine, drawn on the $DISPLAY that winpy set up)."""
    if os.environ.get("DISPLAY") or sys.platform == "win32":
        yield os.environ.get("DISPLAY", "")
        return
    try:
        with virtual_display() as display:
            yield display
    except FileNotFoundError as missing:  # skip locally, but fail in CI
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(missing))


@pytest.fixture(scope="module")
def xdisplay(x_server: str) -> Iterator[str]:
    """$DISPLAY, set to x_server while the module's tests run."""
    previous = os.environ.get("DISPLAY")
    if x_server:
        os.environ["DISPLAY"] = x_server
    yield x_server
    if previous is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = previous


@pytest.fixture
def root(xdisplay: str) -> Iterator[tk.Tk]:
    root = tk.Tk()
    yield root
    root.destroy()
    # Free what a failed test left in reference cycles now, on the Tk thread: a collection
    # that happens to run on the server thread and frees a Tk interpreter makes Tcl abort.
    gc.collect()


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


@pytest.fixture
def window(root: tk.Tk, events: queue.Queue) -> Iterator[gui.ObserverWindow]:
    """The window, fed only by the test: it does not poll by itself; feed() drains it."""
    window = gui.ObserverWindow(root, events, poll=False)
    yield window
    window.shutdown()


LAB_SCREENS = ((1366, 768), (911, 512))  # a lab PC; the same laptop at 150 % without DPI awareness


@pytest.fixture(scope="session")
def lab_screens() -> Iterator[dict[tuple[int, int], str]]:
    """Screens of a lab's sizes, by size: the names of an Xvfb's screens for ``tk.Tk(
    screenName=...)``. Its own Xvfb, kept for the whole run (see the module's note); there
    is none on Windows, where the tests that need it are left to Linux CI."""
    if sys.platform == "win32":
        pytest.skip("the screen sizes are those of an Xvfb: checked on Linux")
    try:
        with xvfb_display(((640, 480), *LAB_SCREENS)) as display:
            yield {size: f"{display}.{number}" for number, size in enumerate(LAB_SCREENS, 1)}
    except FileNotFoundError as missing:  # skip locally, but fail in CI
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(missing))


@pytest.fixture
def screen_root(request, lab_screens) -> Iterator[tk.Tk]:
    """A Tk root on the Xvfb screen of the size the test is parametrised with."""
    name = lab_screens[request.param]
    root = tk.Tk(screenName=name)
    root.screen_name = name  # for grab_screen
    yield root
    root.destroy()
