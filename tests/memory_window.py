"""The observer's window in a process of its own, for measuring its memory: the real server
(with POP3, and large messages decoded in a child, as ``smtp_observer.py`` runs it) feeding
the real ObserverWindow with a budget of LIMIT_MB.

    python tests/memory_window.py COUNT LIMIT_MB

Prints the SMTP port, then, once the window lists COUNT messages and shows the newest one's
pictures, one line "rss BYTES peak BYTES held BYTES released N" and exits.
"""

from __future__ import annotations

import queue
import sys
import tkinter as tk
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import gui  # noqa: E402
import gui_list  # noqa: E402
import smtp_observer  # noqa: E402
from gui_fixtures import pictures_shown  # noqa: E402
from process_memory import peak_rss, rss  # noqa: E402

TIMEOUT_MS = 600_000


def main() -> int:
    count, limit_mb = int(sys.argv[1]), int(sys.argv[2])
    gui_list.free_large_blocks_at_once()  # as gui.run() does
    events: queue.Queue = queue.Queue()
    server = smtp_observer.start_server(smtp_observer.ServerConfig(
        host="127.0.0.1", port=0, hostname="observer.test", serve_pop3=True, pop3_port=0,
        decode_in_child_from=smtp_observer.WINDOW_DECODE_IN_CHILD_FROM,
        maildrop_octets=smtp_observer.maildrop_octets(limit_mb * smtp_observer.MIB, window=True)),
        events)
    root = tk.Tk()
    window = gui.ObserverWindow(root, events, memory_limit=limit_mb * smtp_observer.MIB)
    print(server.port, flush=True)

    def done() -> bool:
        newest = window.store.newest()
        return (len(window.store) >= count and window.shown_message is not None
                and newest.event is window.shown_message and pictures_shown(window))

    def check() -> None:
        if done():
            released = sum(listed.released for listed in window.store)
            print(f"rss {rss()} peak {peak_rss()} held {window.store.bytes_held} "
                  f"released {released}", flush=True)
            root.quit()
        else:
            root.after(100, check)

    root.after(100, check)
    root.after(TIMEOUT_MS, root.quit)
    root.mainloop()
    window.shutdown()
    server.stop()
    root.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
