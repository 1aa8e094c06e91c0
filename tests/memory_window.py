"""The observer's window in a process of its own, for measuring its memory and stalls: the
real server (with POP3, and large messages decoded in a child, as ``smtp_observer.py`` runs it)
feeding the real ObserverWindow with a budget of LIMIT_MB (--memory-limit).

    python tests/memory_window.py LIMIT_MB

Prints "SMTP_PORT POP3_PORT". Then the caller sends mail and writes a line COUNT on stdin:
once the window lists COUNT messages and shows the newest (with its pictures), it prints one
line of "name value" pairs - rss, peak (bytes), held (bytes of mail content), released
(messages), longest_gap and p99_gap (ms without a turn of Tk's event loop, from a heartbeat
every HEARTBEAT_MS) - and exits. Used by tests/test_gui_list.py and bench/gui_bench.py.
"""

from __future__ import annotations

import queue
import statistics
import sys
import threading
import time
import tkinter as tk
from itertools import pairwise
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import gui  # noqa: E402
import gui_list  # noqa: E402
import smtp_observer  # noqa: E402
from gui_fixtures import pictures_shown  # noqa: E402
from process_memory import peak_rss, rss  # noqa: E402

HEARTBEAT_MS = 5
CHECK_MS = 100
TIMEOUT_MS = 900_000


def wanted_count(lines: queue.Queue) -> None:
    lines.put(int(sys.stdin.readline()))


def main() -> int:
    limit = int(sys.argv[1]) * smtp_observer.MIB
    gui_list.free_large_blocks_at_once()  # as gui.run() does
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(smtp_observer.ServerConfig(
        host="127.0.0.1", port=0, hostname="observer.test", serve_pop3=True, pop3_port=0,
        decode_in_child_from=smtp_observer.WINDOW_DECODE_IN_CHILD_FROM,
        maildrop_octets=smtp_observer.maildrop_octets(limit, window=True)), events)
    root = tk.Tk()
    window = gui.ObserverWindow(root, events, memory_limit=limit)
    print(server.port, server.pop3_server.port, flush=True)
    counts: queue.Queue = queue.Queue()
    threading.Thread(target=wanted_count, args=(counts,), daemon=True).start()
    ticks: list[float] = []
    wanted: list[int] = []

    def beat() -> None:
        ticks.append(time.perf_counter())
        root.after(HEARTBEAT_MS, beat)

    def done() -> bool:
        newest = window.store.newest()
        return (len(window.store) >= wanted[0] and newest is not None
                and window.shown_message is newest.event
                and (pictures_shown(window) or not window.message_pane.attachment_cards))

    def check() -> None:
        if not wanted and not counts.empty():
            wanted.append(counts.get())
        if wanted and done():
            gaps = [(later - earlier) * 1000 for earlier, later in pairwise(ticks)]
            released = sum(listed.released for listed in window.store)
            print(f"rss {rss()} peak {peak_rss()} held {window.store.bytes_held} "
                  f"released {released} longest_gap {max(gaps):.0f} "
                  f"p99_gap {statistics.quantiles(gaps, n=100)[98]:.0f}", flush=True)
            root.quit()
        else:
            root.after(CHECK_MS, check)

    beat()
    root.after(CHECK_MS, check)
    root.after(TIMEOUT_MS, root.quit)
    root.mainloop()
    window.shutdown()
    server.stop()
    root.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
