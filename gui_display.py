"""How the window meets the screen it is shown on: sharp text on Windows at 125 % and 150 %
(DPI awareness, declared before Tk starts); the window's first and smallest sizes taken from
the screen, so that the whole window, status bar included, fits a 911x512 screen (what a
program sees on a 1366x768 laptop at 150 %) and up; and the zoom that makes every font larger
for a projector.

gui.py puts the sizes on the window and builds the zoom into it.
"""

from __future__ import annotations

import sys
import tkinter as tk
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from tkinter import font as tkfont
from tkinter import ttk

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
    area = work_area(screen, dpi)
    width, height = min(LARGEST_FIRST_SIZE[0], area[0]), min(LARGEST_FIRST_SIZE[1], area[1])
    return (width, height), (min(SMALLEST_SIZE[0], width), min(SMALLEST_SIZE[1], height))


def work_area(screen: tuple[int, int], dpi: float = STANDARD_DPI) -> tuple[int, int]:
    """What a window's content can have of a screen of ``screen`` pixels at ``dpi``: the
    screen less its chrome (borders, title and menu bar, taskbar), which grows with the DPI."""
    scale = max(1.0, dpi / STANDARD_DPI)
    return (max(1, int(screen[0] - SCREEN_CHROME[0] * scale)),
            max(1, int(screen[1] - SCREEN_CHROME[1] * scale)))


def window_place(screen: tuple[int, int], size: tuple[int, int], near: tuple[int, int],
                 dpi: float = STANDARD_DPI) -> tuple[int, int]:
    """Where a window of ``size`` (without title and borders) opens on a screen of ``screen``
    pixels: at ``near``, moved up and left as far as its chrome and the taskbar need for the
    whole of it to stay on the screen (Windows cascades new windows down past the taskbar)."""
    area = work_area(screen, dpi)
    return max(0, min(near[0], area[0] - size[0])), max(0, min(near[1], area[1] - size[1]))


# --------------------------------------------------------------------------------------------
# Zoom: every font of the window larger or smaller together, for the back row of a classroom

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5, 3.0)  # of each font's own size
NAMED_FONTS = ("TkDefaultFont", "TkTextFont", "TkFixedFont", "TkHeadingFont", "TkMenuFont",
               "TkCaptionFont", "TkSmallCaptionFont", "TkIconFont", "TkTooltipFont")
# Every key, mouse-wheel and keypad spelling of the three commands (X11 sends Button-4/5 for
# the wheel; "equal" is the plus key without Shift).
ZOOM_IN_SEQUENCES = ("<Control-plus>", "<Control-equal>", "<Control-KP_Add>")
ZOOM_OUT_SEQUENCES = ("<Control-minus>", "<Control-KP_Subtract>")
ZOOM_RESET_SEQUENCES = ("<Control-0>", "<Control-KP_0>")
WHEEL_SEQUENCES = ("<Control-MouseWheel>", "<Control-Button-4>", "<Control-Button-5>")


def wheel_direction(event: tk.Event) -> int:
    """-1 for the mouse wheel turned up (away from the user), +1 down: X11 sends buttons 4
    and 5, Windows and macOS a signed delta."""
    return -1 if event.num == 4 or event.delta > 0 else 1


# The largest zoom keeps two rows of the list and two lines of the dialogue and the body in
# view, and the status bar's buttons, at this factor on a screen this high (1366x768: 2.5;
# measured): a lower screen gets a smaller largest zoom, in proportion (911x512: 1.5).
LARGEST_ZOOM_AT = (2.5, 768)


def largest_zoom_step(screen_height: int) -> int:
    """The largest of ZOOM_STEPS that leaves the window usable on a screen this high (never
    below 1.0: the window as it is made)."""
    factor, height = LARGEST_ZOOM_AT
    usable = factor * screen_height / height
    return max([ZOOM_STEPS.index(1.0)]
               + [step for step, scale in enumerate(ZOOM_STEPS) if scale <= usable])


def scaled_size(size: int, factor: float) -> int:
    """A Tk font size times ``factor``: points when positive, pixels when negative."""
    scaled = max(1, round(abs(size) * factor))
    return scaled if size >= 0 else -scaled


class FontZoom:
    """Scales Tk's named fonts, and the window's own ``fonts``, by one factor, so that every
    widget that names them (dialogue, explanation, lists, body, raw content, X-ray, sequence
    view, menus) grows together; ``on_change`` then fits what is measured from them (row
    heights, indents, drawings). Ctrl+plus, Ctrl+minus, Ctrl+0 and Ctrl+wheel on ``root``.
    It stops at the largest zoom that leaves the window usable on the screen."""

    def __init__(self, root: tk.Tk, fonts: Sequence[tkfont.Font],
                 on_change: Callable[[], None]) -> None:
        """``on_change``: a bound method (held weakly)."""
        self._fonts = [tkfont.nametofont(name, root) for name in NAMED_FONTS
                       if name in tkfont.names(root)] + list(fonts)
        self._base_sizes = [int(font.cget("size")) for font in self._fonts]
        # Weak: the window holds its zoom; a cycle would leave the root to a garbage
        # collection on whatever thread runs it, and Tcl aborts off its own thread.
        self._on_change = weakref.WeakMethod(on_change)
        self.step = ZOOM_STEPS.index(1.0)
        self.largest_step = largest_zoom_step(root.winfo_screenheight())
        bindings = ((ZOOM_IN_SEQUENCES, lambda _e: self.zoom(+1)),
                    (ZOOM_OUT_SEQUENCES, lambda _e: self.zoom(-1)),
                    (ZOOM_RESET_SEQUENCES, lambda _e: self.reset()),
                    (WHEEL_SEQUENCES, self._on_wheel))
        for sequences, handler in bindings:
            for sequence in sequences:
                root.bind(sequence, handler, add=True)
        # The Text and Treeview classes scroll on any wheel event, Ctrl held or not: not here.
        for widget_class in ("Text", "Treeview"):
            for sequence in WHEEL_SEQUENCES:
                root.bind_class(widget_class, sequence, lambda _e: None)

    @property
    def factor(self) -> float:
        return ZOOM_STEPS[self.step]

    def zoom(self, steps: int) -> str:
        self.show_step(self.step + steps)
        return "break"

    def reset(self) -> str:
        self._show(ZOOM_STEPS.index(1.0))
        return "break"

    def _on_wheel(self, event: tk.Event) -> str:
        return self.zoom(-wheel_direction(event))

    def show_step(self, step: int) -> None:
        """Scale to ZOOM_STEPS[step] (kept within the steps this screen allows)."""
        self._show(min(self.largest_step, max(0, step)))

    def _show(self, step: int) -> None:
        if step == self.step:
            return
        self.step = step
        for font, size in zip(self._fonts, self._base_sizes, strict=True):
            font.configure(size=scaled_size(size, self.factor))
        on_change = self._on_change()
        if on_change is not None:
            on_change()


# --------------------------------------------------------------------------------------------
# Presentation mode: for the projector, what the class watches alone and larger

PRESENTATION_ZOOM_STEPS = 2  # steps of ZOOM_STEPS up from the zoom in force (1.0 -> 1.3)


@dataclass
class _Layout:
    """What presentation mode changes, as it was before: restored exactly on leaving."""

    zoom_step: int
    panes: dict[ttk.PanedWindow, list[tuple[str, int]]]  # each pane's name and weight
    sashes: dict[ttk.PanedWindow, list[int]]
    gridded: list[tk.Misc]  # the hidden widgets that were gridded (the others were not shown)


class Presentation:
    """F11 (or ``toggle``): only what a class watches, PRESENTATION_ZOOM_STEPS larger (the
    window keeps its size and place: the teacher has maximised it for the projector, or not);
    F11 or Esc: the window exactly as it was (panes, sashes, zoom).

    ``hidden``: widgets taken away; a pane of a ttk.PanedWindow is forgotten and put back at
    its place with its weight, a gridded widget is grid_remove()d. ``added``: (paned window,
    widget) panes that are there only while presenting. ``on_change(presenting)`` (a bound
    method, held weakly) is called after each switch.
    """

    def __init__(self, root: tk.Tk, zoom: FontZoom, hidden: Sequence[tk.Misc],
                 added: Sequence[tuple[ttk.PanedWindow, tk.Misc]],
                 on_change: Callable[[bool], None]) -> None:
        self._root = root
        self._zoom = zoom
        self._hidden = list(hidden)
        self._added = list(added)
        self._on_change = weakref.WeakMethod(on_change)
        self._saved: _Layout | None = None
        root.bind("<F11>", lambda _e: self.toggle(), add=True)
        root.bind("<Escape>", lambda _e: self.leave(), add=True)

    @property
    def active(self) -> bool:
        return self._saved is not None

    def toggle(self) -> str:
        if self.active:
            self.leave()
        else:
            self.enter()
        return "break"

    def _paned_windows(self) -> list[ttk.PanedWindow]:
        """Every paned window whose panes or sashes presenting changes, outermost first."""
        found = [paned for paned, _widget in self._added]
        found += [widget.master for widget in self._hidden
                  if isinstance(widget.master, ttk.PanedWindow) and widget.master not in found]
        return found

    def enter(self) -> None:
        if self.active:
            return
        panes = self._paned_windows()
        self._saved = _Layout(
            zoom_step=self._zoom.step,
            panes={paned: [(name, int(paned.pane(name, "weight"))) for name in paned.panes()]
                   for paned in panes},
            sashes={paned: [paned.sashpos(index) for index in range(len(paned.panes()) - 1)]
                    for paned in _all_paned_windows(self._root)},
            gridded=[widget for widget in self._hidden if widget.winfo_manager() == "grid"])
        for widget in self._hidden:
            if widget.master in panes:
                widget.master.forget(widget)
            elif widget.winfo_manager() == "grid":
                widget.grid_remove()
        for paned, widget in self._added:
            paned.add(widget, weight=1)
        self._zoom.show_step(self._zoom.step + PRESENTATION_ZOOM_STEPS)
        self._changed(True)

    def leave(self) -> None:
        saved = self._saved
        if saved is None:
            return
        self._saved = None
        for paned, widget in self._added:
            paned.forget(widget)
        for paned, entries in saved.panes.items():
            for index, (name, weight) in enumerate(entries):
                present = list(map(str, paned.panes()))
                if name in present:
                    continue
                if index < len(present):
                    paned.insert(index, name, weight=weight)
                else:
                    paned.add(name, weight=weight)
        for widget in saved.gridded:
            widget.grid()
        self._zoom.show_step(saved.zoom_step)
        # The panes put back get their sizes over a few layout passes, nested ones last (the
        # message's body and attachments in a tab of the right column): set the sashes again
        # after each pass until they stay.
        for _attempt in range(4):
            self._root.update_idletasks()
            moved = [(paned, index, position) for paned, positions in saved.sashes.items()
                     for index, position in enumerate(positions)
                     if paned.sashpos(index) != position]
            if not moved:
                break
            for paned, index, position in moved:
                paned.sashpos(index, position)
        self._changed(False)

    def _changed(self, presenting: bool) -> None:
        on_change = self._on_change()
        if on_change is not None:
            on_change(presenting)


def _all_paned_windows(widget: tk.Misc) -> list[ttk.PanedWindow]:
    """The ttk paned windows in ``widget``, outermost first: a pane taken away and put back
    (the right column) lays out the paned windows inside it anew, so all their sashes are
    kept, not only those of the panes presenting changes."""
    found = []
    for child in widget.winfo_children():
        if isinstance(child, ttk.PanedWindow):
            found.append(child)
        found += _all_paned_windows(child)
    return found
