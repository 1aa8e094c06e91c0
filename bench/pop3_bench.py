"""POP3 RETR of a large message: the observer's time and memory beside a bare socket copy.

    python bench/pop3_bench.py [--megabytes 20] [--runs 3]

Runs ``smtp_observer.py --jsonl --port 0 --pop3-port 0``, sends one message of the given size
by SMTP, then retrieves it by POP3 (USER, PASS, RETR 1) ``--runs`` times, checking each copy
byte for byte. Beside it, in one run, the peer: the same dot-stuffed bytes sent by a bare
Python socket server in this process (what any POP3 server must at least do). Prints:

- RETR time, observer and peer, and their ratio;
- the observer's resident memory growth while it sends, as a multiple of the message size
  (sampled every 10 ms; psutil or Linux's /proc is needed, else it says so).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time

from harness import ObserverProcess, SMTPClient, dot_stuffed, rss_bytes

LINE = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"


def big_message(megabytes: int) -> bytes:
    lines = megabytes * 1024 * 1024 // len(LINE)
    # A line in a thousand starts with a dot, so that byte-stuffing has something to do.
    return b"Subject: big\r\n\r\n" + b"".join((b"." if index % 1000 == 0 else b"") + LINE
                                              for index in range(lines))


def read_until_end(sock: socket.socket) -> bytes:
    """A RETR response: everything up to the CRLF.CRLF that ends it."""
    chunks, tail = [], b""
    while not tail.endswith(b"\r\n.\r\n"):
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection in the middle of RETR")
        chunks.append(chunk)
        tail = (tail + chunk)[-5:]
    return b"".join(chunks)


def unstuff(response: bytes) -> bytes:
    body = response[response.index(b"\r\n") + 2:-3]
    lines = body.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


def retrieve(port: int) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.recv(1000)
        sock.sendall(b"USER bench\r\n")
        sock.recv(1000)
        sock.sendall(b"PASS bench\r\n")
        sock.recv(1000)
        started = time.perf_counter()
        sock.sendall(b"RETR 1\r\n")
        response = read_until_end(sock)
        elapsed = time.perf_counter() - started
        sock.sendall(b"QUIT\r\n")
    return elapsed, response


class PeakSampler:
    """The highest RSS of a process while it runs, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak = rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            rss = rss_bytes(self._pid)
            if rss is not None and self.peak is not None:
                self.peak = max(self.peak, rss)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def peer_retrieve(stuffed: bytes) -> float:
    """The same response from a bare socket server: the least a POP3 server does."""
    listener = socket.create_server(("127.0.0.1", 0))
    status = b"+OK %d octets\r\n" % len(stuffed)

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"+OK ready\r\n")
            for _ in range(2):  # USER, PASS
                connection.recv(1000)
                connection.sendall(b"+OK\r\n")
            connection.recv(1000)  # RETR 1
            connection.sendall(status + stuffed)
            connection.recv(1000)  # QUIT

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    elapsed, _ = retrieve(listener.getsockname()[1])
    thread.join()
    listener.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    message = big_message(args.megabytes)
    stuffed = dot_stuffed(message)  # the body of the RETR response, its final "." included
    observer = ObserverProcess()
    try:
        client = SMTPClient(observer.port)
        client.ehlo()
        client.send(stuffed)
        client.quit()
        observer.wait_for_messages(1, timeout=300)
        before = rss_bytes(observer.pid)
        times, peaks = [], []
        for _ in range(args.runs):
            with PeakSampler(observer.pid) as sampler:
                elapsed, response = retrieve(observer.pop3_port)
            if unstuff(response) != message:
                print("FAIL: the retrieved message differs from the one sent")
                return 1
            times.append(elapsed)
            peaks.append(sampler.peak)
        peer = statistics.median(peer_retrieve(stuffed) for _ in range(args.runs))
    finally:
        observer.stop()
    observer_time = statistics.median(times)
    print(f"message: {len(message):,} bytes, RETR {args.runs} times, medians")
    print(f"RETR time: observer {observer_time:.3f} s, bare socket {peer:.3f} s, "
          f"ratio {observer_time / peer:.2f}")
    if before is None or None in peaks:
        print("memory: cannot be measured here (no psutil, no /proc)")
    else:
        growth = max(peaks) - before
        print(f"memory: RSS {before / 2**20:.1f} MiB before RETR, peak {max(peaks) / 2**20:.1f}"
              f" MiB while sending: growth {growth / len(message):.2f} x the message size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
