"""Speed and memory of decoder.decode() against the bare stdlib parse, on a 20 MB message.

Not a test: run it by hand and read the numbers.

    python bench/decode_bench.py [--rounds N]
    python bench/decode_bench.py --against REV [--pairs N]

The message is what a class sends when someone attaches a phone photo: multipart/mixed with a
GB2312 text body, an HTML body, a ~15 MB base64 PNG of random noise (incompressible, so the
bytes are real) and an octet-stream attachment that pads the whole to 20 MB. The baseline is
what decode() cannot avoid: email.message_from_bytes(raw, policy=policy.default) and
get_content() of every leaf. Goal: decode() at most 1.3x the baseline's time, and a peak at most
4x the message size.

It also times the everyday case, a ~3 KB text-and-HTML note (bench/harness.py's text_message),
decoded many times over: microseconds per decode() beside the bare parse.

With --against REV it compares, instead, decode() of that note with the decoder.py of an older
revision of this repository (``git show REV:decoder.py``, imported under another name beside
today's modules), in one process: batches of decodes alternate between the two, and each
side's median CPU time per decode is reported, with the ratio (goal for issue 13, against
0c3b716: <= 1.00). Twice: the same note over and over, as above, and a round of 2048 notes
that differ in Subject, Message-ID and boundary, as a server sees them, so that no cache
carries one decode's work over to the next.
"""

from __future__ import annotations

import argparse
import email
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from email import policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import decoder  # noqa: E402  (the project is a folder of scripts, not a package)
from harness import text_message  # noqa: E402

SMALL_ROUNDS = 2000  # decodes of the 3 KB message per timing
BATCH = 20  # decodes per timing in the comparison with an older decoder
DISTINCT_NOTES = 2048  # more than the decoder's cache of parsed header values holds
# CPU time of this process, which other processes on a shared machine do not inflate; Windows
# counts it in 15.6 ms ticks, too coarse for a batch, so there the wall clock.
CLOCK = time.perf_counter if sys.platform == "win32" else time.process_time

MESSAGE_SIZE = 20_000_000
IMAGE_BASE64_SIZE = 15_000_000


def noise_png(encoded_size: int) -> bytes:
    """A PNG of random pixels whose base64 form is about `encoded_size` bytes."""
    side = int((encoded_size * 3 / 4 / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def build_message() -> bytes:
    message = EmailMessage()
    message["Subject"] = "大附件测试"
    message["From"] = "学生 <student@example.com>"
    message["To"] = "teacher@example.com"
    message["Date"] = "Mon, 1 Dec 2025 09:30:00 +0800"
    message["Message-ID"] = "<bench@example.com>"
    message.set_content("您好，照片在附件里。\n" * 20_000, charset="gb2312", cte="base64")
    message.add_alternative("<p>您好，照片在附件里。</p>\n" * 10_000, subtype="html")
    message.add_attachment(noise_png(IMAGE_BASE64_SIZE), "image", "png", filename="photo.png")
    without_padding = len(message.as_bytes(policy=policy.SMTP))
    padding = max(0, (MESSAGE_SIZE - without_padding) * 3 // 4)
    message.add_attachment(os.urandom(padding), "application", "octet-stream",
                           filename="padding.bin")
    return message.as_bytes(policy=policy.SMTP)


def bare_parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()
    return message


def timings(function: Callable[[bytes], object], raw: bytes, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        function(raw)
        seconds.append(time.perf_counter() - start)
    return seconds


def peak_bytes(function: Callable[[bytes], object], raw: bytes) -> int:
    tracemalloc.start()
    try:
        function(raw)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def small_message_timings(rounds: int) -> None:
    """Microseconds per call on a ~3 KB message, best of `rounds` timings of SMALL_ROUNDS calls."""
    raw = text_message(0)
    results = {}
    for name, function in (("bare parse", bare_parse), ("decode()", decoder.decode)):
        per_call = [sum(timings(function, raw, SMALL_ROUNDS)) / SMALL_ROUNDS
                    for _ in range(rounds)]
        results[name] = min(per_call)
        print(f"{len(raw) / 1000:.1f} KB {name:<11} best {min(per_call) * 1e6:.0f} us  "
              f"median {statistics.median(per_call) * 1e6:.0f} us per message")
    print(f"ratio (best): decode() / bare parse = "
          f"{results['decode()'] / results['bare parse']:.2f}x on the 3 KB message")


def decoder_at(revision: str) -> ModuleType:
    """decoder.py as it was at `revision`, imported as a module of its own name (it imports
    today's words, events and explain)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:decoder.py"],
                            capture_output=True, check=True).stdout
    name = "decoder_at_" + "".join(char if char.isalnum() else "_" for char in revision)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return module


def paired_medians(functions: Sequence[Callable[[bytes], object]], messages: Sequence[bytes],
                   pairs: int) -> list[float]:
    """Each function's median CPU seconds per call over `pairs` batches of BATCH calls, the
    functions taking turns batch by batch (which goes first alternates), on the same
    messages: a change in the machine's load falls on both alike."""
    samples: list[list[float]] = [[] for _ in functions]
    for number in range(pairs):
        batch = [messages[(number * BATCH + index) % len(messages)] for index in range(BATCH)]
        order = range(len(functions)) if number % 2 else reversed(range(len(functions)))
        for which in order:
            function = functions[which]
            start = CLOCK()
            for raw in batch:
                function(raw)
            samples[which].append((CLOCK() - start) / BATCH)
    return [statistics.median(seconds) for seconds in samples]


def compare_with(revision: str, pairs: int) -> None:
    """decode() of the 3 KB note today and at `revision`, side by side."""
    older = decoder_at(revision)
    same = [text_message(0)]
    distinct = [text_message(index) for index in range(DISTINCT_NOTES)]
    for function in (older.decode, decoder.decode):  # warm up: caches, the adaptive interpreter
        for raw in distinct[:100]:
            function(raw)
    for label, messages in (("the same note", same),
                            (f"{DISTINCT_NOTES} distinct notes", distinct)):
        then, now = paired_medians((older.decode, decoder.decode), messages, pairs)
        print(f"{len(same[0]) / 1000:.1f} KB note, {label}: decode() at {revision} "
              f"{then * 1e6:.0f} us, today {now * 1e6:.0f} us per message "
              f"(median of {pairs} batches of {BATCH}); ratio today / {revision} = "
              f"{now / then:.3f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="REV",
                        help="compare decode() of the 3 KB note with decoder.py at REV")
    parser.add_argument("--pairs", type=int, default=200,
                        help="batches per decoder in the comparison (default 200)")
    args = parser.parse_args()
    if args.against:
        compare_with(args.against, args.pairs)
        return 0
    rounds = args.rounds
    raw = build_message()
    decoded = decoder.decode(raw)
    image = next(attachment.image for attachment in decoded.attachments if attachment.image)
    print(f"message: {len(raw) / 1e6:.1f} MB, image {image.format} {image.width}x{image.height}, "
          f"remarks: {decoded.remarks or 'none'}")
    results = {}
    for name, function in (("bare parse", bare_parse), ("decode()", decoder.decode)):
        seconds = timings(function, raw, rounds)
        results[name] = statistics.median(seconds)
        peak = peak_bytes(function, raw)
        print(f"{name:<11} min {min(seconds):.3f} s  median {statistics.median(seconds):.3f} s  "
              f"peak {peak / 1e6:.1f} MB = {peak / len(raw):.2f}x message")
    print(f"ratio (median): decode() / bare parse = "
          f"{results['decode()'] / results['bare parse']:.2f}x (goal <= 1.3x)")
    small_message_timings(rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
