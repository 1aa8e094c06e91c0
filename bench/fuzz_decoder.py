"""Fuzz decoder.decode() with mutated real-world mail, and time the hostile cases.

    python bench/fuzz_decoder.py --count 100000

Each input is a message from ../shared/corpus (or the seed-like Outlook message) with one to
three random mutations: truncation, flipped or inserted bytes, deleted or duplicated lines,
deleted boundary lines, swapped chunks, a header made huge. decode() promises never to raise;
an exception, or a remark saying decoding stopped on an internal error, counts as a failure
and is written to --failures DIR so it can be replayed. Afterwards the hostile inputs of the
issue are timed: 1,000 nested multiparts, a 1 MB header (and a 500 KB From: made of encoded
words, which the email package's header parser once took 11 s over), a 30,000 x 30,000 PNG.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import decoder  # noqa: E402
from corpus import CORPUS, corpus_files  # noqa: E402
from messages import outlook_seed_message  # noqa: E402
from test_decoder import nested_multipart  # noqa: E402

INTERNAL_ERROR = "internal error"


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if buffer:
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def _insert_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    noise = rng.choice([b"\r\n", b"\n", b"\r", b"=", b"--", b"\x00", b"=?", b"?=", b"\xff\xfe",
                        bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))])
    return data[:at] + noise + data[at:]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _delete_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 5)):
        if lines:
            del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def _duplicate_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if lines:
        at = rng.randrange(len(lines))
        lines[at:at] = lines[at: at + rng.randint(1, 20)] * rng.randint(1, 5)
    return b"".join(lines)


def _delete_boundaries(data: bytes, rng: random.Random) -> bytes:
    return b"".join(line for line in _lines(data)
                    if not (line.startswith(b"--") and rng.random() < 0.5))


def _swap_chunks(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 4:
        return data
    a, b = sorted(rng.sample(range(len(data)), 2))
    return data[b:] + data[a:b] + data[:a]


def _huge_header(data: bytes, rng: random.Random) -> bytes:
    filler = rng.choice([b"x", b"=?utf-8?B?5L2g?= ", b"\xe4\xbd\xa0", b"a\r\n "])
    return b"X-Fuzz: " + filler * rng.randint(1000, 20000) + b"\r\n" + data


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    _truncate, _flip_bytes, _insert_bytes, _delete_lines, _duplicate_lines,
    _delete_boundaries, _swap_chunks, _huge_header]


def mutated(seeds: list[bytes], rng: random.Random) -> bytes:
    data = rng.choice(seeds)
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(MUTATIONS)(data, rng)
    return data


def _load_seeds() -> list[bytes]:
    return [path.read_bytes() for path in corpus_files()] + [outlook_seed_message()]


def fuzz_slice(args: tuple[int, int, int]
               ) -> tuple[int, tuple[float, int], list[tuple[int, str]]]:
    """Decode `count` mutated messages from the seed `seed`; return the count, the slowest
    (seconds, input index) and the failures."""
    seed, start, count = args
    seeds = _load_seeds()
    failures = []
    slowest = (0.0, start)
    for index in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + index)
        data = mutated(seeds, rng)
        began = time.perf_counter()
        try:
            result = decoder.decode(data)
            problem = next((r for r in result.remark_texts() if INTERNAL_ERROR in r), None)
        except BaseException as exc:  # the promise under test is "never raises"
            problem = f"raised {exc!r}"
        slowest = max(slowest, (time.perf_counter() - began, index))
        if problem is not None:
            failures.append((index, problem))
    return count, slowest, failures


def run_fuzz(count: int, seed: int, jobs: int, failures_dir: Path | None) -> int:
    per_job = -(-count // jobs)
    slices = [(seed, start, min(per_job, count - start)) for start in range(0, count, per_job)]
    began = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        results = pool.map(fuzz_slice, slices)
    elapsed = time.perf_counter() - began
    done = sum(result[0] for result in results)
    failures = [failure for result in results for failure in result[2]]
    slowest, slowest_index = max(result[1] for result in results)
    print(f"decoded {done:,} mutated messages from {len(_load_seeds())} seeds in {elapsed:.0f} s "
          f"({jobs} processes); {len(failures)} failures; slowest {slowest * 1000:.0f} ms "
          f"(input {slowest_index}: python bench/fuzz_decoder.py --seed {seed} "
          f"--show {slowest_index})")
    if failures and failures_dir is not None:
        _write_failures(failures, seed, failures_dir)
    for index, problem in failures[:20]:
        print(f"  input {index}: {problem[:200]}")
    return 1 if failures else 0


def _write_failures(failures: list[tuple[int, str]], seed: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = _load_seeds()
    for index, _ in failures:
        data = mutated(seeds, random.Random(seed * 1_000_003 + index))
        (folder / f"failure-{seed}-{index}.eml").write_bytes(data)
    print(f"failing inputs written to {folder}")


def huge_png(side: int) -> bytes:
    """A valid PNG header and one IDAT of a `side` x `side` greyscale image, never decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))
    header = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def with_attachment(data: bytes, name: str) -> bytes:
    import base64
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (b'Subject: big picture\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain\r\n\r\nsee the picture\r\n--b\r\n"
            b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n\r\n'
            + encoded + b"--b--\r\n")


def time_hostile_cases() -> None:
    cases = {
        "1,000 nested multiparts": nested_multipart(1000),
        "a 1 MB header": b"Subject: " + b"x" * (1 << 20) + b"\r\n\r\nbody\r\n",
        "500 KB From: encoded words": b"From: " + b"=?utf-8?B?5L2g?= " * 30_000
        + b"<a@example.com>\r\n\r\nbody\r\n",
        "a 30,000 x 30,000 PNG": with_attachment(huge_png(30_000), "huge.png"),
    }
    for name, raw in cases.items():
        began = time.perf_counter()
        result = decoder.decode(raw)
        elapsed = time.perf_counter() - began
        images = [f"{a.image.width}x{a.image.height}" for a in result.attachments if a.image]
        print(f"{name:28} {elapsed:6.3f} s  parts {len(result.parts):5}  "
              f"remarks {len(result.remarks):2}  images {images}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=max(1, multiprocessing.cpu_count()))
    parser.add_argument("--failures", type=Path, default=None, metavar="DIR",
                        help="write failing inputs here")
    parser.add_argument("--show", type=int, metavar="INDEX",
                        help="write input INDEX of --seed to stdout (to replay it) and stop")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"the corpus is missing: {CORPUS}", file=sys.stderr)
        return 2
    if args.show is not None:
        sys.stdout.buffer.write(mutated(_load_seeds(),
                                        random.Random(args.seed * 1_000_003 + args.show)))
        return 0
    status = run_fuzz(args.count, args.seed, args.jobs, args.failures)
    time_hostile_cases()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
