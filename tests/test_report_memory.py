"""--report holds at most one message at a time beyond the session's report text: a session of
many large messages peaks no higher than a session of one (it held every message until the
session ended: ten 30 MB photos took 2.15 GB). Measured as the observer process's peak resident
set size, read from the system, never timed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import child_observer
import psutil

MESSAGE_OCTETS = 2 * 2**20
MESSAGES = 10


def peak_rss(pid: int) -> int:
    """The process's peak resident set size so far: VmHWM on Linux, the peak working set on
    Windows."""
    if os.name == "nt":
        return psutil.Process(pid).memory_info().peak_wset
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def big_mail() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@lab.example", "b@lab.example", "data"
    mail.set_content("the measurements, attached")
    mail.add_attachment(os.urandom(MESSAGE_OCTETS * 3 // 4), maintype="application",
                        subtype="octet-stream", filename="data.bin")
    return mail.as_bytes()


def send_session(port: int, mail: bytes, count: int, reports: Path, written: int) -> None:
    """One session of ``count`` messages; back once its report is written."""
    with child_observer.connect(port) as client:
        for _ in range(count):
            client.sendmail("a@lab.example", ["b@lab.example"], mail)
    deadline = time.monotonic() + 300  # Windows CPython under Wine decodes slowly
    while len(list(reports.glob("*.html"))) < written:
        assert time.monotonic() < deadline, "no report written"
        time.sleep(0.2)


def test_the_peak_does_not_grow_with_the_number_of_messages_in_a_session(tmp_path):
    port = child_observer.free_port()
    # No POP3: its maildrop keeps messages (up to pop3.MAILDROP_OCTETS) for its clients.
    # Its transcript is not read: in a pipe it would fill the pipe and stop the observer.
    process = subprocess.Popen(
        [sys.executable, *child_observer.command(), "--port", str(port), "--no-pop3",
         "--no-gui", "--lang", "en", "--report", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        mail = big_mail()
        send_session(port, mail, MESSAGES // 2, tmp_path, written=1)
        after_half = peak_rss(process.pid)
        send_session(port, mail, MESSAGES, tmp_path, written=2)
        after_all = peak_rss(process.pid)
    finally:
        child_observer.stop(process, timeout=60)
    # Keeping the messages took their raw and decoded bytes, about twice what they were sent
    # as: the second session's peak was higher by (MESSAGES / 2) * 2 * len(mail). Now it holds
    # what the server decoding one message while the report takes in the one before needs,
    # however many there are.
    assert after_all - after_half < 3 * len(mail), (after_half, after_all, len(mail))
    reports = sorted(page.read_text(encoding="utf-8") for page in tmp_path.glob("*.html"))
    assert sorted(page.count('<h2 id="message-') for page in reports) == [MESSAGES // 2, MESSAGES]
