"""SMTP Observer side by side with aiosmtpd, Postfix's smtp-sink and a bare discard socket.

    python bench/bench.py [--rounds 5] [--sessions 1000] [--messages 2000] [--big-mb 20]

Every server runs as its own process on a free loopback port, in the same run, and the same
client drives each one. The workloads:

  (a) sequential sessions, one ~3 KB message each          -> sessions/s
  (b) one session carrying many ~3 KB messages             -> messages/s
  (c) one big message with a base64 image attachment       -> s from the DATA command to the
      250 reply, and for the observer to its decoded "message" event on stdout
  (d) the server's peak RSS during (c), above its RSS just before

The observer runs as users run it headless (``--jsonl``, decoding on, stdout a pipe the
benchmark drains), and its (a) and (b) times end only when the last message event has come
out of that pipe. aiosmtpd+email parses each message with the stdlib email package before
its 250, as a decoding peer must. The observer's DATA→event time is set against a bare stdlib
parse of the same bytes in this process (``message_from_bytes`` with ``policy.default``, then
``get_content()`` of every leaf). smtp-sink (Debian package ``postfix``) is skipped when it is
not installed. Loopback machines are noisy: the table gives the median and the best of the
rounds, and the targets are ratios of medians from the same run. Exits 1 if a target is missed.

Install smtp-sink without starting a mail daemon (Debian, as root):

    printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get install -y --no-install-recommends postfix && rm /usr/sbin/policy-rc.d
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness import (LOOPBACK, MAIL_FROM, RCPT_TO, ObserverProcess, PeakRSS, PeerProcess,
                     ServerProcess, SMTPClient, SmtpSinkProcess, dot_stuffed, find_smtp_sink,
                     image_message, stdlib_parse, text_message)

OBSERVER = "SMTP Observer --jsonl"
AIOSMTPD_EMAIL = "aiosmtpd + email parse"
AIOSMTPD_SINK = "aiosmtpd Sink"
SMTP_SINK = "Postfix smtp-sink"
DISCARD = "raw TCP discard"
EVENT_TIMEOUT = 300.0

SESSIONS = "(a) sessions/s"
MESSAGES = "(b) messages/s"
DATA_TO_REPLY = "(c) DATA→250 s"
DATA_TO_EVENT = "(c) DATA→event s"
RSS_GROWTH = "(d) RSS peak-idle MB"
REFERENCE = "reference"  # what no server measured: the stdlib parse, the message size
STDLIB_PARSE = "stdlib parse s"
MESSAGE_MB = "message MB"
HIGHER_IS_BETTER = {SESSIONS, MESSAGES}


@dataclass
class Workloads:
    small: list[bytes]  # dot-stuffed DATA sections of the ~3 KB messages
    big: bytes  # the big message as sent, dot-stuffed
    big_raw: bytes  # the same before stuffing, for the stdlib reference


@dataclass
class Results:
    """Every round's value of every metric, per server."""

    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, server: str, metric: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(server, {}).setdefault(metric, []).append(value)

    def median(self, server: str, metric: str) -> float | None:
        found = self.values.get(server, {}).get(metric)
        return statistics.median(found) if found else None

    def cell(self, server: str, metric: str) -> str:
        """"median [best]": best is the highest rate or the lowest time/size."""
        found = self.values.get(server, {}).get(metric)
        if not found:
            return "–"
        best = max(found) if metric in HIGHER_IS_BETTER else min(found)
        return f"{_number(statistics.median(found))} [{_number(best)}]"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


# --------------------------------------------------------------------------------------------
# The workloads through SMTP


def run_sessions(server: ServerProcess, small: list[bytes], count: int) -> float:
    """(a): ``count`` sequential sessions, one message each; seconds until all reported."""
    reported = server.messages_seen() + count
    start = time.perf_counter()
    for index in range(count):
        client = SMTPClient(server.port)
        client.ehlo()
        client.send(small[index % len(small)])
        client.quit()
    return _until_reported(server, reported, time.perf_counter()) - start


def run_one_session(server: ServerProcess, small: list[bytes], count: int) -> float:
    """(b): one session carrying ``count`` messages; seconds until all reported."""
    reported = server.messages_seen() + count
    start = time.perf_counter()
    client = SMTPClient(server.port)
    client.ehlo()
    for index in range(count):
        client.send(small[index % len(small)])
    client.quit()
    return _until_reported(server, reported, time.perf_counter()) - start


def _until_reported(server: ServerProcess, count: int, client_done: float) -> float:
    reported = server.wait_for_messages(count, EVENT_TIMEOUT)
    return client_done if reported is None else max(client_done, reported)


def run_big(server: ServerProcess, big: bytes) -> tuple[float, float | None, int | None]:
    """(c) and (d): (DATA→250 s, DATA→message event s or None, peak RSS growth or None)."""
    reported = server.messages_seen() + 1
    client = SMTPClient(server.port)
    client.ehlo()
    client.expect(f"MAIL FROM:<{MAIL_FROM}>\r\nRCPT TO:<{RCPT_TO}>\r\n".encode(), (250, 250))
    with PeakRSS(server.pid) as memory:
        start = time.perf_counter()
        client.expect(b"DATA\r\n", (354,))
        client.expect(big, (250,))
        replied = time.perf_counter()
        event = server.wait_for_messages(reported, EVENT_TIMEOUT)
    client.quit()
    return replied - start, None if event is None else event - start, memory.growth


# --------------------------------------------------------------------------------------------
# The same bytes into a socket that only reads: what loopback alone costs


def _discard(port: int, payload: bytes) -> None:
    """Send ``payload``, then wait until the peer has read it all and closed."""
    with socket.create_connection((LOOPBACK, port)) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass


_ENVELOPE = (f"MAIL FROM:<{MAIL_FROM}>\r\nRCPT TO:<{RCPT_TO}>\r\nDATA\r\n").encode()


def discard_sessions(server: ServerProcess, small: list[bytes], count: int) -> float:
    start = time.perf_counter()
    for index in range(count):
        _discard(server.port, b"EHLO bench.client\r\n" + _ENVELOPE + small[index % len(small)]
                 + b"QUIT\r\n")
    return time.perf_counter() - start


def discard_one_session(server: ServerProcess, small: list[bytes], count: int) -> float:
    payload = b"".join([b"EHLO bench.client\r\n",
                        *(_ENVELOPE + small[index % len(small)] for index in range(count)),
                        b"QUIT\r\n"])
    start = time.perf_counter()
    _discard(server.port, payload)
    return time.perf_counter() - start


def discard_big(server: ServerProcess, big: bytes) -> tuple[float, None, int | None]:
    with PeakRSS(server.pid) as memory:
        start = time.perf_counter()
        _discard(server.port, b"DATA\r\n" + big)
        elapsed = time.perf_counter() - start
    return elapsed, None, memory.growth


# --------------------------------------------------------------------------------------------
# Rounds


@dataclass
class Contender:
    name: str
    start: Callable[[], ServerProcess]
    discard_only: bool = False


def contenders(with_smtp_sink: bool) -> list[Contender]:
    found = [Contender(OBSERVER, ObserverProcess),
             Contender(AIOSMTPD_EMAIL, lambda: PeerProcess("aiosmtpd-email")),
             Contender(AIOSMTPD_SINK, lambda: PeerProcess("aiosmtpd-sink"))]
    program = find_smtp_sink() if with_smtp_sink else None
    if program is not None:
        found.append(Contender(SMTP_SINK, lambda: SmtpSinkProcess(program)))
    found.append(Contender(DISCARD, lambda: PeerProcess("discard"), discard_only=True))
    return found


def measure(contender: Contender, workloads: Workloads, args: argparse.Namespace,
            results: Results) -> None:
    server = contender.start()
    try:
        if contender.discard_only:
            sessions = discard_sessions(server, workloads.small, args.sessions)
            messages = discard_one_session(server, workloads.small, args.messages)
            to_reply, to_event, growth = discard_big(server, workloads.big)
        else:
            run_sessions(server, workloads.small, 3)  # warm up: imports, caches, first decode
            sessions = run_sessions(server, workloads.small, args.sessions)
            messages = run_one_session(server, workloads.small, args.messages)
            to_reply, to_event, growth = run_big(server, workloads.big)
    finally:
        server.stop()
    if isinstance(server, ObserverProcess) and (server.errors or server.stderr_text):
        # Decoding that failed would make the observer look faster than it is: say so.
        print(f"  ! the observer reported {len(server.errors)} error event(s) "
              f"{server.errors[:1]}; its stderr: {server.stderr_text[-500:]!r}", file=sys.stderr)
    results.add(contender.name, SESSIONS, args.sessions / sessions)
    results.add(contender.name, MESSAGES, args.messages / messages)
    results.add(contender.name, DATA_TO_REPLY, to_reply)
    results.add(contender.name, DATA_TO_EVENT, to_event)
    results.add(contender.name, RSS_GROWTH, None if growth is None else growth / 1e6)


def time_stdlib_parse(raw: bytes) -> float:
    start = time.perf_counter()
    stdlib_parse(raw)
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True)
class Target:
    label: str
    numerator: tuple[str, str]  # (server, metric)
    denominator: tuple[str, str]
    goal: float
    at_least: bool  # True: the ratio must be >= goal; False: <= goal


def targets() -> list[Target]:
    return [
        Target("(a) sessions/s, observer / aiosmtpd+email", (OBSERVER, SESSIONS),
               (AIOSMTPD_EMAIL, SESSIONS), 2.0, True),
        Target("(b) messages/s, observer / aiosmtpd+email", (OBSERVER, MESSAGES),
               (AIOSMTPD_EMAIL, MESSAGES), 2.0, True),
        Target("(c) DATA→250, observer / smtp-sink", (OBSERVER, DATA_TO_REPLY),
               (SMTP_SINK, DATA_TO_REPLY), 2.0, False),
        Target("(c) DATA→event, observer / bare stdlib parse", (OBSERVER, DATA_TO_EVENT),
               (REFERENCE, STDLIB_PARSE), 1.3, False),
        Target("(d) RSS peak-idle, observer / message size", (OBSERVER, RSS_GROWTH),
               (REFERENCE, MESSAGE_MB), 4.0, False),
    ]


def print_report(results: Results, args: argparse.Namespace, workloads: Workloads,
                 servers: list[str], load: tuple[str, str]) -> bool:
    big_mb = len(workloads.big_raw) / 1e6
    results.add(REFERENCE, MESSAGE_MB, big_mb)
    print(f"\nPython {platform.python_version()} on {platform.system()}, {os.cpu_count()} CPUs; "
          f"load average {load[0]} before, {load[1]} after")
    print(f"{args.rounds} rounds; (a) {args.sessions} sessions, (b) {args.messages} messages "
          f"of ~{len(workloads.small[0]) / 1000:.1f} KB, (c) one {big_mb:.1f} MB message; "
          "each cell: median [best]\n")
    metrics = [SESSIONS, MESSAGES, DATA_TO_REPLY, DATA_TO_EVENT, RSS_GROWTH]
    table = [["server", *metrics],
             *([server, *(results.cell(server, metric) for metric in metrics)]
               for server in servers)]
    widths = [max(len(row[column]) for row in table) for column in range(len(metrics) + 1)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"\nbare stdlib parse of the same {big_mb:.1f} MB in the benchmark process: "
          f"{results.cell(REFERENCE, STDLIB_PARSE)} s\n")
    all_met = True
    for target in targets():
        top, bottom = results.median(*target.numerator), results.median(*target.denominator)
        if top is None or bottom is None:
            print(f"{target.label:<58} not measured")
            continue
        ratio = top / bottom
        met = ratio >= target.goal if target.at_least else ratio <= target.goal
        all_met &= met
        sign = "≥" if target.at_least else "≤"
        print(f"{target.label:<58} {ratio:5.2f}x  goal {sign} {target.goal:.1f}x  "
              f"{'met' if met else 'MISSED'}")
    return all_met


def _load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=1000, help="(a): sessions per round")
    parser.add_argument("--messages", type=int, default=2000, help="(b): messages per round")
    parser.add_argument("--message-kb", type=float, default=3.0, help="size of (a)/(b) mail")
    parser.add_argument("--big-mb", type=float, default=20.0, help="(c): the big message")
    parser.add_argument("--no-smtp-sink", action="store_true", help="leave smtp-sink out")
    parser.add_argument("--only", action="append", default=None, metavar="SERVER",
                        help="measure only servers whose name contains this (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    small_raw = [text_message(index, int(args.message_kb * 1000)) for index in range(100)]
    big_raw = image_message(int(args.big_mb * 1e6))
    workloads = Workloads([dot_stuffed(raw) for raw in small_raw], dot_stuffed(big_raw), big_raw)
    lineup = contenders(not args.no_smtp_sink)
    if args.only:
        lineup = [c for c in lineup if any(part.lower() in c.name.lower() for part in args.only)]
    results = Results()
    load_before = _load_average()
    for round_number in range(args.rounds):
        results.add(REFERENCE, STDLIB_PARSE, time_stdlib_parse(big_raw))
        # Rotate the order so that no server always runs first, or after the same neighbour.
        shift = round_number % len(lineup)
        for contender in lineup[shift:] + lineup[:shift]:
            print(f"round {round_number + 1}/{args.rounds}: {contender.name}", file=sys.stderr)
            measure(contender, workloads, args, results)
    met = print_report(results, args, workloads, [c.name for c in lineup],
                       (load_before, _load_average()))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
