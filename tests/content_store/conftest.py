"""Fixtures for the content_store library: one contract, two real backends.

``store`` is parametrised over a filesystem store on ``tmp_path`` and an S3
store on a real ``rclone serve s3`` (one server per session, a fresh bucket per
test so listings never see another test's objects).
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from content_store import FilesystemStore, Store, open_store
from content_store.s3 import S3Store
from tests.support.s3server import S3Server

BACKENDS = ["filesystem", "s3"]

StoreFactory = Callable[..., Store]


class PatternStream(io.RawIOBase):
    """``size`` pseudo-random bytes produced on the fly, never held whole.

    Records how much was read and the SHA-256 of what was handed out, so a test
    can compare without keeping the bytes. ``barrier`` (if given) is awaited on
    the first read and at end of stream, to line concurrent uploads up.
    """

    def __init__(
        self, size: int, *, seed: int = 0, barrier: threading.Barrier | None = None
    ) -> None:
        super().__init__()
        self.size = size
        self.bytes_read = 0
        self._random = random.Random(seed)
        self._digest = hashlib.sha256()
        self._barrier = barrier

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._barrier is not None and self.bytes_read in (0, self.size):
            self._barrier.wait(timeout=30)
        remaining = self.size - self.bytes_read
        count = remaining if size is None or size < 0 else min(size, remaining)
        if count <= 0:
            return b""
        chunk = self._random.randbytes(count)
        self.bytes_read += count
        self._digest.update(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def pattern_stream() -> type[PatternStream]:
    return PatternStream


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("s3server")).start()
    yield server
    server.stop()


def _bucket_name() -> str:
    return f"t-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def fs_root(tmp_path: Path) -> Path:
    return tmp_path / "objects"


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, fs_root: Path) -> Iterator[StoreFactory]:
    """Builds stores of the parametrised backend, all sharing one root or bucket."""
    created: list[Store] = []
    if request.param == "filesystem":
        url = fs_root.as_uri()
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        url = server.url_for(_bucket_name())

    def factory(*, max_size: int | None = None) -> Store:
        store = open_store(url, max_size=max_size)
        created.append(store)
        return store

    yield factory
    for store in created:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()


@pytest.fixture
def fs_store(fs_root: Path) -> Iterator[FilesystemStore]:
    with FilesystemStore(fs_root) as store:
        yield store


@pytest.fixture
def s3_store(s3_server: S3Server) -> Iterator[S3Store]:
    with S3Store.from_url(s3_server.url_for(_bucket_name())) as store:
        yield store
