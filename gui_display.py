"""How the window meets the screen it is shown on: sharp text on Windows at 125 % and 150 %
(DPI awareness, declared before Tk starts), and the window's first and smallest sizes taken
from the screen, so that the whole window, status bar included, fits a 911x512 screen (what a
program sees on a 1366x768 laptop at 150 %) and up.

Pure functions and one Windows call; gui.py puts the sizes on the window.
"""

from __future__ import annotations

import sys

LARGEST_FIRST_SIZE = (1280, 860)  # pixels: on a big screen, not a wall of empty panes
SMALLEST_SIZE = (640, 400)  # pixels: below this the panes hold nothing readable
# Pixels around the window at 100 %: its borders across; the title bar, menu bar and taskbar
# down (measured: 1280x800 lab screens keep 1240x690 for the window itself).
SCREEN_CHROME = (40, 110)
STANDARD_DPI = 96.0


def declare_dpi_awareness() -> bool:
    """On Windows, tell the system that the window draws at the screen's real resolution;
    otherwise Windows draws it at 96 DPI and stretches it, blurred, at 125 % and 150 %. Must
    run before ``tk.Tk()``. "System aware" (1), as IDLE does: Tk 8.6 does not redraw for a
    monitor of another DPI, which "per monitor" (2) would promise. True when declared."""
    if sys.platform != "win32":
        return False
    import ctypes  # only here: ctypes.windll exists on Windows alone
    try:
        ctypes.windll.shcore.SetProcessDpiAwareness(1)  # Windows 8.1 and later
        return True
    except (AttributeError, OSError):  # no shcore.dll
        pass
    try:
        return bool(ctypes.windll.user32.SetProcessDPIAware())  # Vista and later
    except (AttributeError, OSError):
        return False


def window_sizes(screen: tuple[int, int], dpi: float = STANDARD_DPI
                 ) -> tuple[tuple[int, int], tuple[int, int]]:
    """The window's first size and its smallest size (both without title and menu bar) on a
    screen of ``screen`` pixels at ``dpi``: the screen less its chrome, which grows with the
    DPI, and never more than LARGEST_FIRST_SIZE."""
    scale = max(1.0, dpi / STANDARD_DPI)
    width = max(1, min(LARGEST_FIRST_SIZE[0], int(screen[0] - SCREEN_CHROME[0] * scale)))
    height = max(1, min(LARGEST_FIRST_SIZE[1], int(screen[1] - SCREEN_CHROME[1] * scale)))
    return (width, height), (min(SMALLEST_SIZE[0], width), min(SMALLEST_SIZE[1], height))
