"""Make assets/screenshot.png (shown in the README): the window after the seed-like Outlook
message has arrived through the real server.

    python tools/screenshot.py [--lang zh|en] [--output PATH]

Without $DISPLAY it starts a private Xvfb (Linux). The message comes from
tests/messages.py, the same one the screenshot test sends.
"""

from __future__ import annotations

import argparse
import os
import sys
import tkinter as tk
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gui_fixtures import grab_window, observed_window, show_seed_message, virtual_display  # noqa: E402


def take_screenshot(output: Path, lang: str) -> None:
    root = tk.Tk()
    try:
        with observed_window(root, lang=lang) as (window, server):
            show_seed_message(root, window, server.port)
            output.parent.mkdir(parents=True, exist_ok=True)
            grab_window(root).save(output)
    finally:
        root.destroy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("zh", "en"), default="zh",
                        help="labels of the window (default: zh, as the lab PCs show)")
    parser.add_argument("--output", type=Path, default=ROOT / "assets" / "screenshot.png")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        if not os.environ.get("DISPLAY"):
            stack.enter_context(virtual_display())
        take_screenshot(args.output, args.lang)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
