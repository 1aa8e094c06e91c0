"""The public mail corpus, which lives beside the repository (../shared/corpus), in CI as on a
developer's machine. Tests that read it call ``require_corpus()`` first: a missing corpus
skips them locally and fails them in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path in CORPUS.rglob("*") if path.is_file())


def require_corpus() -> None:
    if not CORPUS.is_dir():
        message = f"the corpus is missing: {CORPUS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def corpus_id(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()
