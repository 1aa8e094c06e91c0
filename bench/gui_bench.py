"""The window under load: how long the Tk event loop stalls, and how soon a photo appears.

    python bench/gui_bench.py [--rounds 5]

Opens the real window (ObserverWindow, polling its queue with after() as in the app) fed by
the real server on a free loopback port, configured as main() configures it for the window
(large messages decoded in a child process). Without $DISPLAY it starts a private Xvfb
(Linux). A heartbeat after(5) callback timestamps itself; the gaps between its ticks are how
long Tk could not run anything. The workloads, each sent by smtplib from a client process (a
client thread would compete for the GIL and be measured as the window's stall):

  idle  the heartbeat alone, for its own overhead
  (a)   200 ~3 KB messages back to back in one session, until the window lists all 200
  (b)   one 20 MB message: a 4000x3000 JPEG (quality 90) and random bytes as a second
        attachment, until the photo is on screen; also the time from the 250 reply (when
        smtplib's data() returns) to the photo's PhotoImage being set on its label

Each workload runs --rounds times; the table gives the min, median and max of the rounds.
Targets: no stall over 50 ms, the photo within 1 s of the 250 (judged on the medians). Exits
1 if a target is missed.

Then memory over a long mixed run (--mixed-rounds rounds of 20 small mails, a mail with a
10 MB photo and a POP3 client fetching it), each time in a window process of its own
(tests/memory_window.py) so that one run's memory does not count in the other's: with the
window's memory budget at MIXED_BUDGET_MB (--memory-limit) and with none to speak of (as
before the window had one). The table gives each run's RSS at the end and at its peak, the
mail content the window holds, the rows whose content it released and its stalls, and the
ratios budget / none.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import poplib
import queue
import random
import smtplib
import statistics
import subprocess
import sys
import time
import tkinter as tk
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from functools import cache
from itertools import pairwise
from pathlib import Path

from PIL import Image, ImageChops

from harness import LOOPBACK, MAIL_FROM, RCPT_TO, text_message

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import gui  # noqa: E402
import smtp_observer  # noqa: E402
from gui_fixtures import virtual_display  # noqa: E402

HEARTBEAT_MS = 5
SMALL_MESSAGES = 200
BIG_MESSAGE_SIZE = 20_000_000
PHOTO_SIZE = (4000, 3000)
IDLE_SECONDS = 2.0
SETTLE_SECONDS = 0.3  # the heartbeat keeps running this long after a workload is done
WORKLOAD_TIMEOUT = 120.0
STALL_TARGET = 0.050
PICTURE_TARGET = 1.0

MIXED_ROUNDS = 10
MIXED_SMALL = 20  # small mails a round
MIXED_PHOTO_SIZE = 10_000_000
MIXED_BUDGET_MB = 100
NO_BUDGET_MB = 1_000_000  # --memory-limit as good as none: the window before it had one
MEMORY_WINDOW = ROOT / "tests" / "memory_window.py"

IDLE = "idle (heartbeat only)"
SMALL = f"(a) {SMALL_MESSAGES} x 3 KB messages"
BIG = "(b) 20 MB, 12 MP JPEG"

# --------------------------------------------------------------------------------------------
# The client, in its own process


def camera_photo() -> bytes:
    """A 4000x3000 JPEG at quality 90 that compresses like a photo (about 3 MB): gradients with
    sensor-like noise. Pure noise would make a JPEG twice the size of any camera's."""
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    noise = Image.effect_noise(PHOTO_SIZE, 10)
    flipped = gradient.transpose(Image.Transpose.ROTATE_180)
    photo = Image.merge("RGB", (ImageChops.add(gradient, noise, scale=2),
                                ImageChops.add(flipped, noise, scale=2), noise))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def big_message() -> bytes:
    return photo_message(BIG_MESSAGE_SIZE)


@cache
def photo_message(size: int) -> bytes:
    """A message of ``size`` bytes: a short text, the photo, and random bytes padding it."""
    message = EmailMessage()
    message["From"] = f"Bench Sender <{MAIL_FROM}>"
    message["To"] = f"Bench Receiver <{RCPT_TO}>"
    message["Subject"] = "The photo from the field trip"
    message["Date"] = "Mon, 01 Dec 2025 09:30:00 +0800"
    message["Message-ID"] = "<gui-bench.photo@bench.test>"
    message.set_content("The photo is attached.\n")
    message.add_attachment(camera_photo(), "image", "jpeg", filename="IMG_0001.jpg")
    without_padding = len(message.as_bytes(policy=policy.SMTP))
    padding = max(0, (size - without_padding) * 57 // 78)  # base64 in 78-octet lines
    message.add_attachment(random.Random(25).randbytes(padding), "application", "octet-stream",
                           filename="padding.bin")
    return message.as_bytes(policy=policy.SMTP)


def prepare_big_message() -> int:
    """Build the big message in the client process before anything is measured; its size."""
    return len(big_message())


def send_small_messages(port: int, count: int) -> None:
    messages = [text_message(index) for index in range(count)]
    with smtplib.SMTP(LOOPBACK, port, local_hostname="bench.client", timeout=60) as client:
        for message in messages:
            client.sendmail(MAIL_FROM, [RCPT_TO], message)


def send_mixed_run(smtp_port: int, pop3_port: int, rounds: int) -> int:
    """The long mixed run: each round MIXED_SMALL small mails, a mail with a photo, and a POP3
    client fetching that mail; the number of mails sent."""
    photo = photo_message(MIXED_PHOTO_SIZE)
    for _ in range(rounds):
        send_small_messages(smtp_port, MIXED_SMALL)
        with smtplib.SMTP(LOOPBACK, smtp_port, local_hostname="bench.client", timeout=60) as client:
            client.sendmail(MAIL_FROM, [RCPT_TO], photo)
        mailbox = poplib.POP3(LOOPBACK, pop3_port, timeout=60)
        try:
            mailbox.user("student")
            mailbox.pass_("lab")
            count, _ = mailbox.stat()
            mailbox.retr(count)
        finally:
            mailbox.quit()
    return rounds * (MIXED_SMALL + 1)


def send_big_message(port: int) -> float:
    """Send the big message; the perf_counter() at which its 250 reply arrived. On Linux,
    Windows and macOS that clock is the system's monotonic one, shared by every process."""
    message = big_message()
    with smtplib.SMTP(LOOPBACK, port, local_hostname="bench.client", timeout=60) as client:
        client.ehlo()
        client.mail(MAIL_FROM)
        client.rcpt(RCPT_TO)
        code, reply = client.data(message)
        replied = time.perf_counter()
        if code != 250:
            raise RuntimeError(f"the observer answered {code} {reply!r}")
    return replied


# --------------------------------------------------------------------------------------------
# Measuring the window


class Heartbeat:
    """An after() callback every HEARTBEAT_MS that timestamps itself: a gap between two ticks
    is a time Tk could not run it (plus the interval and Tk's own timer granularity)."""

    def __init__(self, root: tk.Tk) -> None:
        self._root = root
        self._ticks: list[float] = []
        self._tick()

    def _tick(self) -> None:
        self._ticks.append(time.perf_counter())
        self._root.after(HEARTBEAT_MS, self._tick)

    def restart(self) -> None:
        self._ticks = [time.perf_counter()]

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in pairwise(self._ticks)]


def run_loop_until(root: tk.Tk, done: Callable[[], bool], timeout: float) -> bool:
    """Run Tk's main loop, as the app does, until ``done()`` (checked every 10 ms) or until
    ``timeout`` seconds have passed; whether it is done."""
    deadline = time.perf_counter() + timeout

    def check() -> None:  # an exception here would go to the window's error line, not to us
        if done() or time.perf_counter() > deadline:
            root.quit()
        else:
            root.after(10, check)

    root.after(10, check)
    root.mainloop()
    return done()


def run_loop_for(root: tk.Tk, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    run_loop_until(root, lambda: time.perf_counter() >= deadline, seconds)


def photo_shown_at(window: gui.ObserverWindow) -> float | None:
    """When the shown message's picture was put on screen (perf_counter), if it was."""
    return next((card.photo_shown_at for card in window.message_pane.attachment_cards
                 if card.photo_shown_at is not None), None)


@dataclass
class Round:
    gaps: list[float]
    picture_delay: float | None = None  # from the 250 to the picture on screen

    @property
    def longest(self) -> float:
        return max(self.gaps)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.gaps, n=100)[98]


@dataclass
class Bench:
    root: tk.Tk
    window: gui.ObserverWindow
    port: int
    client: ProcessPoolExecutor
    heartbeat: Heartbeat
    rounds: dict[str, list[Round]] = field(default_factory=dict)

    def wait_for(self, name: str, send: Future | None, done: Callable[[], bool]) -> None:
        """Run the window until the client has finished and ``done()``."""
        def finished() -> bool:
            if send is not None and send.done() and send.exception() is not None:
                return True  # the client failed: send.result() below says how
            return (send is None or send.done()) and done()

        if not run_loop_until(self.root, finished, WORKLOAD_TIMEOUT):
            waiting_for = "the client" if send is not None and not send.done() else "the window"
            raise TimeoutError(f"{name}: still waiting for {waiting_for} after "
                               f"{WORKLOAD_TIMEOUT:g} s")
        if send is not None:
            send.result()  # raises what the client raised

    def record(self, name: str) -> Round:
        """The heartbeat gaps since the round started, after SETTLE_SECONDS more for what the
        window does once the workload is done."""
        run_loop_for(self.root, SETTLE_SECONDS)
        measured = Round(self.heartbeat.gaps())
        self.rounds.setdefault(name, []).append(measured)
        return measured

    def start_round(self) -> None:
        self.window.clear()
        run_loop_for(self.root, SETTLE_SECONDS)  # let the window redraw, unmeasured
        self.heartbeat.restart()

    def idle(self) -> None:
        self.start_round()
        deadline = time.perf_counter() + IDLE_SECONDS
        self.wait_for(IDLE, None, lambda: time.perf_counter() >= deadline)
        self.record(IDLE)

    def small_messages(self) -> None:
        self.start_round()
        send = self.client.submit(send_small_messages, self.port, SMALL_MESSAGES)
        listed = self.window.message_list.get_children
        self.wait_for(SMALL, send, lambda: len(listed()) >= SMALL_MESSAGES)
        self.record(SMALL)

    def big_message(self) -> None:
        self.start_round()
        send = self.client.submit(send_big_message, self.port)
        self.wait_for(BIG, send, lambda: photo_shown_at(self.window) is not None)
        picture_delay = photo_shown_at(self.window) - send.result()
        self.record(BIG).picture_delay = picture_delay


# --------------------------------------------------------------------------------------------
# Report


def min_median_max_ms(values: list[float]) -> str:
    ms = [value * 1000 for value in values]
    return f"{min(ms):.0f} / {statistics.median(ms):.0f} / {max(ms):.0f}"


def print_table(rounds: dict[str, list[Round]]) -> bool:
    """Print the results; True when every target is met (on the medians)."""
    print(f"\n{'workload':<26} {'rounds':>6}  {'longest gap ms':>16}  {'p99 gap ms':>14}  "
          f"{'250→picture ms':>16}")
    print(f"{'':<26} {'':>6}  {'min / med / max':>16}  {'min / med / max':>14}  "
          f"{'min / med / max':>16}")
    for name, measured in rounds.items():
        delays = [one.picture_delay for one in measured if one.picture_delay is not None]
        print(f"{name:<26} {len(measured):>6}  "
              f"{min_median_max_ms([one.longest for one in measured]):>16}  "
              f"{min_median_max_ms([one.p99 for one in measured]):>14}  "
              f"{min_median_max_ms(delays) if delays else '–':>16}")
    stall = max(statistics.median(one.longest for one in rounds[name]) for name in (SMALL, BIG))
    picture = statistics.median(one.picture_delay for one in rounds[BIG])
    stall_met, picture_met = stall <= STALL_TARGET, picture <= PICTURE_TARGET
    print(f"\ntarget: no stall over {STALL_TARGET * 1000:.0f} ms: "
          f"{'met' if stall_met else 'MISSED'} (median longest gap {stall * 1000:.0f} ms)")
    print(f"target: picture within {PICTURE_TARGET:g} s of the 250: "
          f"{'met' if picture_met else 'MISSED'} (median {picture * 1000:.0f} ms)")
    return stall_met and picture_met


# --------------------------------------------------------------------------------------------
# Memory over a long mixed run


def mixed_run(client: ProcessPoolExecutor, limit_mb: int, rounds: int) -> dict[str, float]:
    """The long mixed run against a window process with ``--memory-limit limit_mb``: what
    tests/memory_window.py measured once the window listed every mail."""
    window = subprocess.Popen([sys.executable, str(MEMORY_WINDOW), str(limit_mb)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        smtp_port, pop3_port = map(int, window.stdout.readline().split())
        sent = client.submit(send_mixed_run, smtp_port, pop3_port, rounds).result()
        window.stdin.write(f"{sent}\n")
        window.stdin.flush()
        pairs = window.stdout.readline().split()
        window.wait(timeout=WORKLOAD_TIMEOUT)
    finally:
        if window.poll() is None:
            window.kill()
            window.wait()
    return {name: float(value) for name, value in zip(pairs[::2], pairs[1::2], strict=True)}


def print_memory_table(rounds: int, measured: dict[str, dict[str, float]]) -> None:
    print(f"\nlong mixed run: {rounds} rounds of {MIXED_SMALL} small mails, a "
          f"{MIXED_PHOTO_SIZE / 1e6:g} MB photo mail and a POP3 fetch of it "
          f"({rounds * (MIXED_SMALL + 1)} mails), each in a window process of its own")
    columns = (("rss", "RSS end MB", 1e6), ("peak", "RSS peak MB", 1e6),
               ("held", "held MB", 1e6), ("released", "released", 1),
               ("longest_gap", "longest gap ms", 1), ("p99_gap", "p99 gap ms", 1))
    print(f"{'budget':<22}" + "".join(f"{title:>16}" for _, title, _ in columns))
    for name, values in measured.items():
        print(f"{name:<22}" + "".join(f"{values[key] / scale:>16.0f}"
                                      for key, _, scale in columns))
    with_budget, without = measured.values()
    print(f"{'ratio budget / none':<22}" + "".join(
        f"{with_budget[key] / without[key]:>16.2f}" if without[key] else f"{'–':>16}"
        for key, _, _ in columns))


# --------------------------------------------------------------------------------------------


def run(rounds: int, mixed_rounds: int) -> bool:
    events: queue.Queue = queue.Queue()
    config = smtp_observer.ServerConfig(
        host=LOOPBACK, port=0, hostname="observer.bench",
        decode_in_child_from=smtp_observer.WINDOW_DECODE_IN_CHILD_FROM)
    spawn = multiprocessing.get_context("spawn")
    with ExitStack() as stack:
        client = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
        size = client.submit(prepare_big_message)  # built while the window opens
        server = smtp_observer.start_server(config, events)
        stack.callback(server.stop)
        root = tk.Tk()
        stack.callback(root.destroy)
        window = gui.ObserverWindow(root, events)
        stack.callback(window.shutdown)
        bench = Bench(root, window, server.port, client, Heartbeat(root))
        run_loop_until(root, size.done, WORKLOAD_TIMEOUT)  # the window opens meanwhile
        print(f"big message: {size.result() / 1e6:.1f} MB; "
              f"window {root.winfo_width()}x{root.winfo_height()}")
        for workload in (bench.idle, bench.small_messages, bench.big_message):
            for _ in range(rounds):
                workload()
        met = print_table(bench.rounds)
        if mixed_rounds:
            measured = {f"--memory-limit {MIXED_BUDGET_MB}":
                        mixed_run(client, MIXED_BUDGET_MB, mixed_rounds),
                        "none": mixed_run(client, NO_BUDGET_MB, mixed_rounds)}
            print_memory_table(mixed_rounds, measured)
        return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mixed-rounds", type=int, default=MIXED_ROUNDS,
                        help="rounds of the long mixed run (0: none)")
    args = parser.parse_args()
    print(f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, Tk {tk.TkVersion}, "
          f"Pillow {Image.__version__}")
    with ExitStack() as stack:
        if not os.environ.get("DISPLAY") and os.name != "nt":
            stack.enter_context(virtual_display())
        met = run(args.rounds, args.mixed_rounds)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
