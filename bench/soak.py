"""Soak: many sequential sessions against the headless observer, some dropped mid-DATA.

    python bench/soak.py [--sessions 10000] [--drop-every 10]

Runs ``smtp_observer.py --jsonl --port 0`` (decoding on) and sends one ~3 KB message per
session. Every ``--drop-every``-th session hangs up halfway through its data instead, by FIN
or by RST in turn. Then it checks, and exits 1 if any check fails:

- memory: the server's RSS at the end is at most 1.1x its RSS after the first 1,000 sessions;
- leaks: the server has as many threads as after the first 1,000 sessions, and no socket but
  its listening ones (SMTP and POP3);
- delivery: a "message" event for every session, found by the recipient each one used;
  complete and of the exact size for the sessions that finished, incomplete for the others.

Thread and socket counts need psutil or Linux's /proc; without them those checks are skipped.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from dataclasses import dataclass

from harness import (MAIL_FROM, ObserverProcess, SMTPClient, dot_stuffed, open_sockets,
                     rss_bytes, text_message, thread_count)

MEMORY_CHECKPOINT = 1000
RSS_GROWTH_LIMIT = 1.1
EVENT_TIMEOUT = 120.0


@dataclass
class Snapshot:
    rss: int | None
    threads: int | None
    sockets: list[str] | None

    @classmethod
    def of(cls, pid: int) -> Snapshot:
        return cls(rss_bytes(pid), thread_count(pid), open_sockets(pid))


@dataclass
class Delivered:
    complete: bool
    accepted: bool
    size: int


def recipient(index: int) -> str:
    return f"soak-{index}@bench.test"


def unstuffed_size(data: bytes) -> int:
    """The size of dot-stuffed data once the server has removed the stuffing dots."""
    return len(data) - data.count(b"\r\n.") - data.startswith(b".")


def send_session(port: int, index: int, stuffed: bytes, drop: str | None) -> int:
    """One session; ``drop`` is None to finish it, or "fin"/"rst" to hang up mid-DATA.
    Returns the size of the message the server should report."""
    client = SMTPClient(port)
    client.ehlo()
    if drop is None:
        client.send(stuffed, recipient(index))
        client.quit()
        return unstuffed_size(stuffed[: -len(b".\r\n")])
    client.expect(f"MAIL FROM:<{MAIL_FROM}>\r\nRCPT TO:<{recipient(index)}>\r\nDATA\r\n"
                  .encode(), (250, 250, 354))
    half = stuffed[: len(stuffed) // 2]
    client.sock.sendall(half)
    if drop == "rst":  # linger 0: close() sends an RST, as when a client crashes
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    client.close()
    return unstuffed_size(half)


def run(args: argparse.Namespace) -> list[str]:
    """Run the soak; return the failed checks."""
    stuffed = [dot_stuffed(text_message(index)) for index in range(100)]
    delivered: dict[int, Delivered] = {}
    sizes: list[int] = []  # what each session's message event should say

    def on_message(line: bytes) -> None:
        event = json.loads(line)
        index = int(event["envelope"]["rcpt_to"][0].split("@")[0].removeprefix("soak-"))
        delivered[index] = Delivered(event["complete"], event["accepted"], event["size"])

    server = ObserverProcess(on_message=on_message)
    failures: list[str] = []
    dropped: dict[int, str] = {}
    start = time.perf_counter()
    try:
        for index in range(args.sessions):
            drop = None
            if index % args.drop_every == args.drop_every - 1:
                drop = "rst" if len(dropped) % 2 else "fin"
                dropped[index] = drop
            sizes.append(send_session(server.port, index, stuffed[index % len(stuffed)], drop))
            if index + 1 == MEMORY_CHECKPOINT:
                server.wait_for_messages(MEMORY_CHECKPOINT, EVENT_TIMEOUT)
                checkpoint = Snapshot.of(server.pid)
        server.wait_for_messages(args.sessions, EVENT_TIMEOUT)
        elapsed = time.perf_counter() - start
        time.sleep(0.5)  # let the last session's disconnect finish
        end = Snapshot.of(server.pid)
    finally:
        server.stop()
    print(f"{args.sessions} sessions ({len(dropped)} dropped mid-DATA) in {elapsed:.1f} s, "
          f"{args.sessions / elapsed:.0f} sessions/s")
    failures += check_memory(checkpoint, end)
    failures += check_leaks(checkpoint, end)
    failures += check_delivery(sizes, dropped, delivered)
    if server.errors:
        failures.append(f"{len(server.errors)} error events, e.g. {server.errors[0][:200]}")
    return failures


def check_memory(checkpoint: Snapshot, end: Snapshot) -> list[str]:
    if checkpoint.rss is None or end.rss is None:
        print("RSS: not measurable here (install psutil)")
        return []
    ratio = end.rss / checkpoint.rss
    print(f"RSS after {MEMORY_CHECKPOINT} sessions {checkpoint.rss / 1e6:.1f} MB, at the end "
          f"{end.rss / 1e6:.1f} MB: {ratio:.3f}x (limit {RSS_GROWTH_LIMIT}x)")
    return [] if ratio <= RSS_GROWTH_LIMIT else [f"RSS grew {ratio:.3f}x"]


def check_leaks(checkpoint: Snapshot, end: Snapshot) -> list[str]:
    failures = []
    if checkpoint.threads is not None and end.threads is not None:
        print(f"threads: {checkpoint.threads} after {MEMORY_CHECKPOINT} sessions, "
              f"{end.threads} at the end")
        if end.threads > checkpoint.threads:
            failures.append(f"threads grew from {checkpoint.threads} to {end.threads}")
    if end.sockets is not None:
        print(f"sockets at the end: {end.sockets}")
        # The SMTP and the POP3 listening sockets, and nothing else.
        if len(end.sockets) != 2 or any(" " in socket and "LISTEN" not in socket
                                        for socket in end.sockets):
            failures.append(f"sockets other than the two listening ones: {end.sockets}")
    return failures


def check_delivery(sizes: list[int], dropped: dict[int, str],
                   delivered: dict[int, Delivered]) -> list[str]:
    missing = [index for index in range(len(sizes)) if index not in delivered]
    wrong = []
    for index, message in delivered.items():
        if index not in dropped:
            right = (message.complete, message.accepted, message.size) == (True, True,
                                                                           sizes[index])
        elif dropped[index] == "fin":  # a FIN loses nothing: all that was sent is there
            right = (message.complete, message.accepted, message.size) == (False, False,
                                                                           sizes[index])
        else:  # an RST may drop what the server had not read yet
            right = not message.complete and message.size <= sizes[index]
        if not right:
            wrong.append(index)
    print(f"messages: {len(delivered)} of {len(sizes)} reported, {len(missing)} missing, "
          f"{len(wrong)} wrong")
    failures = []
    if missing:
        failures.append(f"no message event for sessions {missing[:10]}...")
    if wrong:
        failures.append(f"wrong message events for sessions {wrong[:10]}...")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--drop-every", type=int, default=10,
                        help="hang up mid-DATA in every N-th session")
    args = parser.parse_args(argv)
    if args.sessions < MEMORY_CHECKPOINT:
        parser.error(f"--sessions must be at least {MEMORY_CHECKPOINT}")
    failures = run(args)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print("soak: " + ("FAILED" if failures else "all checks passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
