"""Hostile clients (issue 14, items 4 and 5): what tiny-line messages and stuck clients cost.

    python bench/hostile.py [--size 30] [--against OTHER_CHECKOUT ...] [--only NAME ...]

Starts ``smtp_observer.py --jsonl --port 0`` of this checkout (and of each ``--against``
checkout, e.g. a worktree of an older commit, side by side in one run) as a child process,
a fresh one per case, and measures over 127.0.0.1:

- lines-dots, lines-empty, lines-letters, lines-folded: a message of ``--size`` MB of "..",
  empty or "a" lines, or of " a" lines that fold one header field. Seconds from the final "." to the 250 and to the decoded message event, and the
  observer's peak memory above its idle memory, also as a multiple of the message size
  (goal: under 2 s and under 4x);
- stuck-silent, stuck-drip: a client says EHLO and then nothing, or one byte every 2 s; a
  second client connects 0.5 s later: seconds until it gets its 220 (Outlook gives up after
  60 s). Bounded at 120 s;
- noop-flood: 10,000 NOOPs in one write: how many got 250 before the server closed.

Numbers, never pass/fail: compare the columns. Peak memory is exact on Linux (VmHWM) and
sampled with psutil elsewhere. Every loop is bounded; only the processes started here are
ended.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness import LOOPBACK, ROOT, PeakRSS, ServerProcess

STUCK_BOUND = 120.0  # seconds a waiting client waits for its 220 here at most
_PORT_RE = re.compile(rb'"port":(\d+)')


class Observer(ServerProcess):
    """One observer of a checkout, as a child process; its JSON Lines read by a thread."""

    def __init__(self, root: Path) -> None:
        script = root / "smtp_observer.py"
        extra = ["--no-pop3"] if "--no-pop3" in script.read_text("utf-8") else []
        process = subprocess.Popen(
            [sys.executable, str(script), "--jsonl", "--port", "0", *extra],
            cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        match = _PORT_RE.search(process.stdout.readline())
        super().__init__(process, int(match[1]) if match else 0)
        if match is None:
            self.stop()
            raise RuntimeError(f"the observer of {root} named no port")
        self.message_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith(b'{"event":"message"'):
                self.message_at = time.perf_counter()

    def wait_for_message(self, bound: float = STUCK_BOUND) -> float | None:
        deadline = time.monotonic() + bound
        while self.message_at is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.message_at

    def _exited(self) -> None:
        self._reader.join(10)


class Client:
    """A raw socket and a reader of whole replies."""

    def __init__(self, port: int, timeout: float = STUCK_BOUND) -> None:
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self._buffer = b""

    def reply(self) -> bytes:
        """The next whole reply (b"" when the server closed first)."""
        while (end := re.search(rb"(?:^|\r\n)\d{3} [^\r\n]*\r\n", self._buffer)) is None:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self._buffer += chunk
        reply, self._buffer = self._buffer[: end.end()], self._buffer[end.end():]
        return reply.lstrip(b"\r\n")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def lines_case(line: bytes, head: bytes = b"Subject: lines\r\n\r\n"
               ) -> Callable[[Path, int], dict]:
    def run(root: Path, megabytes: int) -> dict:
        data = head + line * (megabytes * 1_000_000 // len(line))
        observer = Observer(root)
        try:
            client = Client(observer.port)
            client.reply()
            client.send(b"EHLO bench\r\nMAIL FROM:<a@bench.test>\r\nRCPT TO:<b@bench.test>\r\n"
                        b"DATA\r\n")
            for _ in range(4):
                client.reply()
            with PeakRSS(observer.pid) as memory:
                client.send(data)
                sent = time.perf_counter()
                client.send(b".\r\n")
                reply = client.reply()
                accepted = time.perf_counter() - sent
                arrived = observer.wait_for_message()
            client.close()
        finally:
            observer.stop()
        decoded = None if arrived is None else arrived - sent
        growth, peak = memory.growth, memory.peak
        return {"reply": reply[:3].decode(), "250 after s": round(accepted, 2),
                "message after s": None if decoded is None else round(decoded, 2),
                "peak MB": None if peak is None else round(peak / 1e6),
                "growth MB": None if growth is None else round(growth / 1e6),
                "growth x size": None if growth is None else round(growth / len(data), 1)}
    return run


def stuck_case(drip: bool) -> Callable[[Path, int], dict]:
    def run(root: Path, _megabytes: int) -> dict:
        observer = Observer(root)
        stop = threading.Event()
        stuck = Client(observer.port)
        try:
            stuck.reply()
            stuck.send(b"EHLO stuck\r\n")
            stuck.reply()
            if drip:
                threading.Thread(target=_drip, args=(stuck, stop), daemon=True).start()
            time.sleep(0.5)
            start = time.perf_counter()
            try:
                waiting = Client(observer.port)
                greeting = waiting.reply()
                waiting.close()
            except OSError:
                greeting = b""
            waited = time.perf_counter() - start
        finally:
            stop.set()
            stuck.close()
            observer.stop()
        greeted = greeting.startswith(b"220")
        return {"220 after s": round(waited, 1) if greeted else f"none in {STUCK_BOUND:g}"}
    return run


def _drip(client: Client, stop: threading.Event) -> None:
    """A byte every 2 s of a command that never ends (the review's slowloris)."""
    while not stop.wait(2.0):
        try:
            client.send(b"N")
        except OSError:
            return


def noop_flood(root: Path, _megabytes: int) -> dict:
    observer = Observer(root)
    try:
        client = Client(observer.port, timeout=30)
        client.reply()
        client.send(b"NOOP\r\n" * 10_000)
        codes = []
        while len(codes) < 10_000 and (reply := client.reply()):
            codes.append(reply[:3])
        client.close()
    finally:
        observer.stop()
    return {"NOOPs answered 250": codes.count(b"250"),
            "then": codes[-1].decode() if codes and codes[-1] != b"250" else "-"}


CASES: dict[str, Callable[[Path, int], dict]] = {
    "lines-dots": lines_case(b"..\r\n"),
    "lines-empty": lines_case(b"\r\n"),
    "lines-letters": lines_case(b"a\r\n"),
    # one header field folded millions of times: "X-Long: a" then " a" lines, no blank line
    "lines-folded": lines_case(b" a\r\n", head=b"Subject: w\r\nX-Long: a\r\n"),
    "stuck-silent": stuck_case(drip=False),
    "stuck-drip": stuck_case(drip=True),
    "noop-flood": noop_flood,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30, help="megabytes of lines (default 30)")
    parser.add_argument("--against", type=Path, action="append", default=[],
                        help="another checkout to measure side by side (may be repeated)")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="cases to run")
    args = parser.parse_args()
    roots = [ROOT, *(path.resolve() for path in args.against)]
    for name in args.only or CASES:
        for root in roots:
            result = CASES[name](root, args.size)
            label = "this checkout" if root == ROOT else str(root)
            print(f"{name:14} {label:28} {json.dumps(result, ensure_ascii=False)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
