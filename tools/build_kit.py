"""Build the Windows lab kit: a folder a teacher copies onto 40 lab PCs from a USB stick or a
share, and sets up on each one offline, without administrator rights.

    python tools/build_kit.py [--output DIR] [--no-wheels]

makes ``DIR/smtp-observer-kit/`` (default DIR: dist/) and ``DIR/smtp-observer-kit.zip``:

- ``smtp_observer.pyz``: every root module of the program in one zipapp, run by
  tools/kit/pyz_main.py (which keeps the exit code and checks for Pillow first);
- ``wheels/``: Pillow (requirements.txt) for 64- and 32-bit Windows and every CPython in
  PYTHON_VERSIONS, fetched now with pip (a .pyd cannot be imported from a zip, so Pillow is
  installed on each PC instead); ``--no-wheels`` leaves them out (a kit for tests only);
- ``install.cmd``, ``SMTP Observer.pyw``, ``README.txt``, ``使用说明.txt`` from tools/kit/,
  written with the line ends and encodings that Windows' cmd.exe and old Notepad need.

Files are copied with shutil.copyfile: copy2 calls CopyFile2 on Windows, which Wine lacks.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import zipapp
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "tools" / "kit"
KIT_NAME = "smtp-observer-kit"
PROGRAM = "smtp_observer.pyz"

# The CPython versions the README supports, 3.10 to the newest release: a lab PC may have
# any of them, and each needs its own Pillow wheel. Add the next one when it is released.
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
WINDOWS_PLATFORMS = ("win_amd64", "win32")  # 64-bit and 32-bit python.org builds

# Read by people in Notepad: UTF-8 with a BOM (Notepad before Windows 10 1903 takes a file
# without one for the ANSI code page) and CRLF line ends (it shows LF-only files as one line).
NOTEPAD_FILES = ("README.txt", "使用说明.txt")
# cmd.exe reads a batch file in the console's code page, line by line: no BOM (it would run
# as part of the first command), CRLF (LF-only files make labels and gotos fail).
BATCH_FILES = ("install.cmd",)
PYTHON_FILES = ("SMTP Observer.pyw",)


class BuildError(Exception):
    """The kit cannot be built; the message says why in one line."""


def program_modules(root: Path = ROOT) -> list[Path]:
    """The program: every module at the project's root (tests, tools and bench are not)."""
    return sorted(root.glob("*.py"))


def build_program(target: Path, root: Path = ROOT) -> None:
    """smtp_observer.pyz: the root modules plus our own __main__.py."""
    with tempfile.TemporaryDirectory() as staging:
        for module in program_modules(root):
            shutil.copyfile(module, Path(staging) / module.name)
        shutil.copyfile(SOURCES / "pyz_main.py", Path(staging) / "__main__.py")
        zipapp.create_archive(staging, target, compressed=True)


def substitute(text: str) -> str:
    return text.replace("@OLDEST@", PYTHON_VERSIONS[0]).replace("@NEWEST@", PYTHON_VERSIONS[-1])


def write_documents(kit: Path) -> None:
    for name in NOTEPAD_FILES:
        text = substitute((SOURCES / name).read_text(encoding="utf-8"))
        (kit / name).write_text(text, encoding="utf-8-sig", newline="\r\n")
    for name in BATCH_FILES:
        text = substitute((SOURCES / name).read_text(encoding="utf-8"))
        (kit / name).write_text(text, encoding="utf-8", newline="\r\n")
    for name in PYTHON_FILES:
        shutil.copyfile(SOURCES / name, kit / name)
    shutil.copyfile(ROOT / "requirements.txt", kit / "requirements.txt")


def wheel_tag(version: str, platform: str) -> str:
    """The end of the name of a CPython wheel for ``version`` on ``platform``."""
    abi = "cp" + version.replace(".", "")
    return f"-{abi}-{abi}-{platform}.whl"


def fetch_wheels(wheels: Path, requirements: Path) -> None:
    """pip download, once per Python version and platform: pip picks the newest Pillow that
    has a wheel for each (an old Python may get an older Pillow)."""
    wheels.mkdir()
    for platform in WINDOWS_PLATFORMS:
        for version in PYTHON_VERSIONS:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                       "--platform", platform, "--python-version", version,
                       "--implementation", "cp", "--dest", str(wheels), "-r", str(requirements)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise BuildError(f"pip could not download the wheels for Python {version} "
                                 f"({platform}): {last_line}. Without a connection to the "
                                 "package index, --no-wheels builds a kit without them.")
            if not any(path.name.endswith(wheel_tag(version, platform))
                       for path in wheels.iterdir()):
                raise BuildError(f"no Pillow wheel for Python {version} ({platform}) was found")


def zip_folder(folder: Path, target: Path) -> None:
    """The folder itself is the zip's one top-level entry, so unpacking gives the folder.
    Non-ASCII names (使用说明.txt) are stored as UTF-8 with the flag that says so."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            archive.write(path, path.relative_to(folder.parent).as_posix())


def build(output: Path, *, wheels: bool = True) -> Path:
    """Build the kit folder and its zip in ``output``; returns the folder."""
    output.mkdir(parents=True, exist_ok=True)
    kit = output / KIT_NAME
    if kit.exists():
        shutil.rmtree(kit)
    kit.mkdir()
    build_program(kit / PROGRAM)
    write_documents(kit)
    if wheels:
        fetch_wheels(kit / "wheels", ROOT / "requirements.txt")
    zip_folder(kit, output / f"{KIT_NAME}.zip")
    return kit


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "dist",
                        help="where to put the kit folder and its zip (default: dist/)")
    parser.add_argument("--no-wheels", action="store_true",
                        help="leave out the Pillow wheels (no download; the kit then needs "
                             "internet on each PC): for tests")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a redirected Windows console is cp936 or cp1252
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        kit = build(args.output, wheels=not args.no_wheels)
    except (BuildError, OSError) as error:
        print(f"build_kit: {error}", file=sys.stderr)
        return 1
    archive = kit.with_suffix(".zip")
    print(f"Built {kit} and {archive} ({archive.stat().st_size / 2**20:.1f} MiB)")
    if args.no_wheels:
        print("Without wheels: install.cmd cannot install Pillow offline from this kit.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
