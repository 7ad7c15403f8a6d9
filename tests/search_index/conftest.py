"""Fixtures for the search_index library tests (no Flask here)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for entry in (ROOT, HERE):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from search_index import SearchIndex  # noqa: E402


@pytest.fixture(autouse=True)
def _app_context() -> Iterator[None]:
    """Replaces the suite-wide autouse fixture of the same name: library tests
    run without a Flask application or database."""
    yield


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    search_index = SearchIndex(str(tmp_path / "index"), lock_timeout=2.0)
    yield search_index
    search_index.close()


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
