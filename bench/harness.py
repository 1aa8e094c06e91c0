"""What bench.py and soak.py share: test messages, a lean SMTP client, the servers under test
as child processes, and measurements of those processes.

The client is a raw socket rather than smtplib so that it costs the same small, fixed amount
for every server: the differences in the table are the servers'. It pipelines as RFC 2920
allows (MAIL, RCPT and DATA in one write) and checks every reply code it waits for.

Dev tooling only: it imports psutil when it is installed, and measures what it can without it.
"""

from __future__ import annotations

import base64
import contextlib
import email
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import policy
from pathlib import Path

try:
    import psutil
except ImportError:  # a dev dependency: without it, Linux still measures through /proc
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"
MAIL_FROM = "sender@bench.test"
RCPT_TO = "receiver@bench.test"
START_TIMEOUT = 30.0

# --------------------------------------------------------------------------------------------
# Messages


def dot_stuffed(message: bytes) -> bytes:
    """The DATA section for ``message`` (which ends in CRLF): leading dots doubled, final dot."""
    if message.startswith(b"."):
        message = b"." + message
    return message.replace(b"\r\n.", b"\r\n..") + b".\r\n"


_TEXT_PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog; Größe, naïve café, 你好世界. "
    "SMTP moves the envelope first and the message after it, one dot ending the data.\n")


def text_message(index: int, size: int = 3000) -> bytes:
    """A ~``size``-byte multipart/alternative mail (UTF-8 quoted-printable text and HTML),
    the shape a desktop client sends for a short note; ``index`` makes each one unique."""
    paragraphs = _TEXT_PARAGRAPH * max(1, (size - 1100) // 2 // 170)
    text = email.message.EmailMessage(policy=policy.SMTP)
    text["From"] = f"Bench Sender <{MAIL_FROM}>"
    text["To"] = f"Bench Receiver <{RCPT_TO}>"
    text["Subject"] = f"Benchmark message {index} – Größe"
    text["Date"] = "Mon, 01 Dec 2025 09:30:00 +0800"
    text["Message-ID"] = f"<bench.{index}@bench.test>"
    text.set_content(paragraphs, cte="quoted-printable")
    html = "".join(f"<p>{line}</p>\n" for line in paragraphs.splitlines())
    text.add_alternative(f"<html><body>\n{html}</body></html>\n", subtype="html",
                         cte="quoted-printable")
    return text.as_bytes()


def image_message(size: int) -> bytes:
    """A ~``size``-byte mail: a short text and a PNG of noise as a base64 attachment (the
    same bytes on every run; noise, so that the PNG is as large as its pixels)."""
    from PIL import Image  # the observer's own dependency, imported only where it is needed

    pixels_wanted = size * 57 // 78 // 3  # base64 in 76-character lines: 78 octets per 57
    width = 2000
    height = max(1, pixels_wanted // width)
    noise = random.Random(25).randbytes(width * height * 3)
    buffer = _BytesSink()
    Image.frombytes("RGB", (width, height), noise).save(buffer, "PNG", compress_level=0)
    boundary = "----=_bench_boundary_0001"
    head = (f"From: <{MAIL_FROM}>\r\nTo: <{RCPT_TO}>\r\nSubject: A picture\r\n"
            "Date: Mon, 01 Dec 2025 09:30:00 +0800\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "The picture is attached.\r\n\r\n"
            f"--{boundary}\r\nContent-Type: image/png; name=noise.png\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=noise.png\r\n\r\n")
    body = base64.encodebytes(buffer.getvalue()).replace(b"\n", b"\r\n")
    return head.encode("ascii") + body + f"\r\n--{boundary}--\r\n".encode("ascii")


class _BytesSink:
    """A write-only BytesIO that keeps the pieces: joining once copies the image only once."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self._pieces)


def stdlib_parse(raw: bytes) -> None:
    """Decode ``raw`` the bare stdlib way: the modern parser plus the content of every leaf."""
    message = email.message_from_bytes(raw, policy=policy.default)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()


# --------------------------------------------------------------------------------------------
# The client


class SMTPReplyError(Exception):
    """A server answered with a code the client did not expect."""


class SMTPClient:
    """One SMTP session over a raw socket; each method is one round trip."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = bytearray()
        self.expect(b"", (220,))

    def expect(self, data: bytes, codes: tuple[int, ...]) -> None:
        """Send ``data`` in one write and read one final reply per expected code."""
        if data:
            self.sock.sendall(data)
        got = self._read_replies(len(codes))
        if got != list(codes):
            raise SMTPReplyError(f"expected {codes}, got {got} after {bytes(data[:60])!r}")

    def _read_replies(self, count: int) -> list[int]:
        codes: list[int] = []
        pending = self._pending
        while len(codes) < count:
            end = pending.find(b"\r\n")
            if end < 0:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SMTPReplyError(f"connection closed; replies so far {codes}")
                pending += chunk
                continue
            if pending[3:4] == b" ":  # the last line of a reply; "250-" lines continue it
                codes.append(int(pending[:3]))
            del pending[: end + 2]
        return codes

    def ehlo(self) -> None:
        self.expect(b"EHLO bench.client\r\n", (250,))

    def send(self, stuffed: bytes, recipient: str = RCPT_TO) -> None:
        """Send one message whose DATA section (dot-stuffed, with its final dot) is given."""
        self.expect(f"MAIL FROM:<{MAIL_FROM}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode(),
                    (250, 250, 354))
        self.expect(stuffed, (250,))

    def quit(self) -> None:
        self.expect(b"QUIT\r\n", (221,))
        self.close()

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------------------------
# Servers as child processes


def free_port() -> int:
    """A port that was free a moment ago, for servers that cannot be told to pick one."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {START_TIMEOUT} s")


class ServerProcess:
    """A server under test, running as a child process listening on ``port``."""

    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port

    @property
    def pid(self) -> int:
        return self.process.pid

    def messages_seen(self) -> int:
        """How many messages the server has reported decoded (0 if it reports nothing)."""
        return 0

    def wait_for_messages(self, count: int, timeout: float) -> float | None:
        """When the server's own report of the ``count``-th message arrived (perf_counter);
        None for a server that reports nothing beyond its SMTP replies."""
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            # Ctrl+C lets the observer close its sockets and print what it has left to say.
            self.process.send_signal(signal.SIGINT if os.name != "nt" else signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._exited()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def _exited(self) -> None:
        """Called once the process has ended, before its pipes are closed."""


def _first_line(process: subprocess.Popen) -> bytes:
    """The child's first line of output, or an error carrying its stderr (if piped)."""
    line = process.stdout.readline()
    if not line:
        process.wait(START_TIMEOUT)
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise RuntimeError(f"the server exited with {process.returncode}: {stderr}")
    return line


_MESSAGE_EVENT = b'{"event":"message"'
_ERROR_EVENT = b'{"event":"error"'
_PORT_RE = re.compile(rb'"port":(\d+)')
_POP3_PORT_RE = re.compile(rb'"pop3_port":(\d+)')


class ObserverProcess(ServerProcess):
    """``smtp_observer.py --jsonl --port 0``, its stdout drained by a thread.

    The thread notes when each "message" event arrives (the decoded mail, as a consumer gets
    it) and keeps "error" events; ``on_message`` may also see each message line.
    """

    def __init__(self, on_message: Callable[[bytes], None] | None = None) -> None:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "smtp_observer.py"), "--jsonl", "--port", "0",
             "--pop3-port", "0", "--hostname", "observer.bench"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            bufsize=1 << 20)
        self.first_line = _first_line(process)
        match = _PORT_RE.search(self.first_line)
        if match is None:
            process.kill()
            raise RuntimeError("the observer's first line named no port")
        super().__init__(process, int(match[1]))
        pop3 = _POP3_PORT_RE.search(self.first_line)
        self.pop3_port = int(pop3[1]) if pop3 else None
        self.message_times: list[float] = []
        self.errors: list[str] = []
        self._on_message = on_message
        self._arrived = threading.Condition()
        self._stderr: list[bytes] = []
        self._drainers = [threading.Thread(target=self._drain, daemon=True),
                          threading.Thread(target=self._drain_stderr, daemon=True)]
        for drainer in self._drainers:
            drainer.start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            if line.startswith(_MESSAGE_EVENT):
                arrived = time.perf_counter()
                if self._on_message is not None:
                    self._on_message(line)
                with self._arrived:
                    self.message_times.append(arrived)
                    self._arrived.notify_all()
            elif line.startswith(_ERROR_EVENT):
                self.errors.append(line.decode("utf-8", "replace").strip())

    def _drain_stderr(self) -> None:
        self._stderr.extend(self.process.stderr)

    def messages_seen(self) -> int:
        return len(self.message_times)

    def wait_for_messages(self, count: int, timeout: float) -> float:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.message_times) >= count, timeout):
                raise TimeoutError(f"{len(self.message_times)} of {count} message events "
                                   f"after {timeout} s; errors: {self.errors[:3]}")
            return self.message_times[count - 1]

    def _exited(self) -> None:
        for drainer in self._drainers:
            drainer.join(10)

    @property
    def stderr_text(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")


class PeerProcess(ServerProcess):
    """One of the peers in peer_servers.py (aiosmtpd, the discard socket)."""

    def __init__(self, kind: str) -> None:
        process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "peer_servers.py"), kind],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        super().__init__(process, int(_first_line(process)))


class SmtpSinkProcess(ServerProcess):
    """Postfix's smtp-sink, a C server that reads and discards, on a free port."""

    def __init__(self, program: str) -> None:
        port = free_port()
        user = ["-u", "nobody"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        process = subprocess.Popen([program, *user, f"{LOOPBACK}:{port}", "16"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        wait_until_listening(port, process)
        super().__init__(process, port)


def find_smtp_sink() -> str | None:
    """smtp-sink's path (Debian puts it in /usr/sbin, which is not always on PATH)."""
    return shutil.which("smtp-sink") or shutil.which("smtp-sink", path="/usr/sbin:/usr/bin")


# --------------------------------------------------------------------------------------------
# Measuring a process


def _proc_status_number(pid: int, field: str) -> int | None:
    """A number from /proc/PID/status (memory fields are in kB), or None off Linux."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_bytes(pid: int) -> int | None:
    """The process's resident set size now, or None where it cannot be measured."""
    if psutil is not None:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(pid).memory_info().rss
    kilobytes = _proc_status_number(pid, "VmRSS")
    return None if kilobytes is None else kilobytes * 1024


class PeakRSS:
    """The peak RSS of a process over a ``with`` block.

    On Linux the kernel keeps the peak exactly: reset it on entry (clear_refs 5) and read
    VmHWM on exit. Elsewhere a thread samples the RSS every millisecond with psutil.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.idle: int | None = None
        self.peak: int | None = None
        self._kernel_peak = False
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> PeakRSS:
        self.idle = rss_bytes(self.pid)
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as clear_refs:
                clear_refs.write("5")
            self._kernel_peak = True
        except OSError:
            self.peak = self.idle
            if psutil is not None and self.idle is not None:
                self._sampling.set()
                self._sampler = threading.Thread(target=self._sample, daemon=True)
                self._sampler.start()
        return self

    def _sample(self) -> None:
        while self._sampling.is_set():
            current = rss_bytes(self.pid)
            if current is not None and current > self.peak:
                self.peak = current
            time.sleep(0.001)

    def __exit__(self, *exc_info) -> None:
        if self._kernel_peak:
            kilobytes = _proc_status_number(self.pid, "VmHWM")
            self.peak = None if kilobytes is None else kilobytes * 1024
        elif self._sampler is not None:
            self._sampling.clear()
            self._sampler.join()

    @property
    def growth(self) -> int | None:
        if self.peak is None or self.idle is None:
            return None
        return self.peak - self.idle


def thread_count(pid: int) -> int | None:
    if psutil is not None:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(pid).num_threads()
    return _proc_status_number(pid, "Threads")


def open_sockets(pid: int) -> list[str] | None:
    """The process's TCP sockets as "state local->remote" strings, or None if unknowable."""
    if psutil is not None:
        with contextlib.suppress(psutil.Error):
            return sorted(f"{c.status} {c.laddr}->{c.raddr or '-'}"
                          for c in psutil.Process(pid).net_connections("tcp"))
    try:
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return None
    return sorted(target for target in targets if target.startswith("socket:"))
