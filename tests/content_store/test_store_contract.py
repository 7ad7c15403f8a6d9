"""The behaviour every backend promises, run against each real backend."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from content_store import (
    FilesystemStore,
    InvalidKey,
    ObjectNotFound,
    ObjectTooLarge,
    Store,
    StoredObject,
)
from content_store.base import CHUNK_SIZE, MiB

DATA = bytes(range(100))


def expected_key(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def read_all(store: Store, key: str, offset: int = 0, length: int | None = None) -> bytes:
    with store.open(key, offset, length) as stream:
        return stream.read()


def test_put_returns_a_content_addressed_sharded_key(store: Store) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    obj = store.put(io.BytesIO(DATA), "text/plain")

    digest = hashlib.sha256(DATA).hexdigest()
    assert obj.key == f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert (obj.size, obj.sha256, obj.content_type) == (len(DATA), digest, "text/plain")
    assert obj.modified is not None and obj.modified.tzinfo is not None
    assert before <= obj.modified <= datetime.now(UTC) + timedelta(seconds=2)


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, None, DATA),
        (10, None, DATA[10:]),
        (10, 5, DATA[10:15]),
        (0, 0, b""),
        (95, 50, DATA[95:]),
        (99, None, DATA[99:]),
        (100, None, b""),
        (500, None, b""),
        (500, 3, b""),
    ],
)
def test_open_reads_the_requested_range(
    store: Store, offset: int, length: int | None, expected: bytes
) -> None:
    key = store.put(io.BytesIO(DATA)).key
    assert read_all(store, key, offset, length) == expected


def test_open_stream_reads_in_pieces_and_closes(store: Store) -> None:
    key = store.put(io.BytesIO(DATA * 1000)).key
    stream = store.open(key, offset=3)
    pieces = []
    while piece := stream.read(4096):
        assert len(piece) <= 4096
        pieces.append(piece)
    stream.close()
    assert stream.closed
    assert b"".join(pieces) == (DATA * 1000)[3:]


def test_closing_a_stream_before_the_end_is_fine(store: Store) -> None:
    key = store.put(io.BytesIO(DATA * 50_000)).key
    with store.open(key) as stream:
        assert stream.read(10) == DATA[:10]
    # The connection (S3) was released, not leaked: the store keeps working.
    assert read_all(store, key, 0, 3) == DATA[:3]


@pytest.mark.parametrize(("offset", "length"), [(-1, None), (0, -1)])
def test_open_refuses_negative_ranges(store: Store, offset: int, length: int | None) -> None:
    key = store.put(io.BytesIO(DATA)).key
    with pytest.raises(ValueError, match="must be >= 0"):
        store.open(key, offset, length)


def test_missing_objects(store: Store) -> None:
    key = expected_key(b"never stored")
    with pytest.raises(ObjectNotFound):
        store.open(key)
    with pytest.raises(ObjectNotFound):
        store.stat(key)
    with pytest.raises(KeyError):  # ObjectNotFound is also a KeyError
        store.verify(key)
    assert store.exists(key) is False
    store.delete(key)  # idempotent


def test_stat_describes_the_object(store: Store) -> None:
    put = store.put(io.BytesIO(DATA), "application/pdf")
    info = store.stat(put.key)
    assert isinstance(info, StoredObject)
    assert (info.key, info.size, info.sha256) == (put.key, put.size, put.sha256)
    assert info.modified is not None and info.modified.utcoffset() == timedelta(0)
    assert info.content_type  # best effort: backends need not remember it


def test_delete_is_idempotent(store: Store) -> None:
    key = store.put(io.BytesIO(DATA)).key
    assert store.exists(key)
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    assert list(store.iter_keys()) == []


def test_iter_keys_and_objects_list_every_object_in_key_order(store: Store) -> None:
    assert list(store.iter_keys()) == []
    blobs = [b"first", b"second" * 1000, b""]
    keys = sorted(store.put(io.BytesIO(blob)).key for blob in blobs)

    assert list(store.iter_keys()) == keys
    objects = list(store.iter_objects())
    assert [obj.key for obj in objects] == keys
    sizes = {expected_key(blob): len(blob) for blob in blobs}
    assert {obj.key: obj.size for obj in objects} == sizes
    for obj in objects:
        assert obj.modified is not None
        assert abs(datetime.now(UTC) - obj.modified) < timedelta(minutes=1)
        assert obj.sha256 == obj.key.rsplit("/", 1)[1]


def test_zero_byte_objects_are_allowed(store: Store) -> None:
    obj = store.put(io.BytesIO(b""))
    assert obj.size == 0
    assert obj.key == expected_key(b"")
    assert read_all(store, obj.key) == b""
    assert store.verify(obj.key)


def test_same_bytes_are_stored_once(store: Store) -> None:
    first = store.put(io.BytesIO(DATA), "text/plain")
    second = store.put(io.BytesIO(DATA), "text/csv")
    assert first.key == second.key
    assert second.content_type == "text/csv"  # the caller's type, not the stored one
    assert list(store.iter_keys()) == [first.key]
    assert read_all(store, first.key) == DATA


def test_identical_concurrent_puts_store_one_intact_object(
    store: Store, pattern_stream: Callable[..., Any]
) -> None:
    size = 3 * CHUNK_SIZE + 123
    barrier = threading.Barrier(2)
    streams = [pattern_stream(size, seed=7, barrier=barrier) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(store.put, streams))

    assert results[0].key == results[1].key
    assert results[0].sha256 == streams[0].sha256
    assert list(store.iter_keys()) == [results[0].key]
    assert store.stat(results[0].key).size == size
    assert store.verify(results[0].key)


def test_size_limit_is_enforced_while_streaming(
    store: Store, pattern_stream: Callable[..., Any]
) -> None:
    limit = 3 * MiB
    source = pattern_stream(64 * MiB)
    with pytest.raises(ObjectTooLarge) as raised:
        store.put(source, max_size=limit)

    assert raised.value.limit == limit
    # Stopped at the first chunk past the limit instead of draining the stream.
    assert source.bytes_read <= limit + CHUNK_SIZE
    assert list(store.iter_keys()) == []
    if isinstance(store, FilesystemStore):
        assert os.listdir(Path(store.root) / ".tmp") == []


def test_store_wide_limit_and_per_call_override(make_store: Callable[..., Store]) -> None:
    store = make_store(max_size=10)
    assert store.put(io.BytesIO(b"x" * 10)).size == 10  # the limit itself is allowed
    with pytest.raises(ObjectTooLarge):
        store.put(io.BytesIO(b"x" * 11))
    assert store.put(io.BytesIO(b"y" * 11), max_size=20).size == 11
    with pytest.raises(ValueError, match="max_size"):
        store.put(io.BytesIO(b"z"), max_size=-1)


def test_large_file_round_trips(store: Store, pattern_stream: Callable[..., Any]) -> None:
    # 40 MiB is several 16 MiB parts: on S3 this goes through multipart upload.
    source = pattern_stream(40 * MiB + 17, seed=40)
    obj = store.put(source, "video/mp4")
    assert obj.size == source.size
    assert obj.sha256 == source.sha256

    digest = hashlib.sha256()
    with store.open(obj.key) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    assert digest.hexdigest() == source.sha256
    assert store.verify(obj.key)
    tail = read_all(store, obj.key, offset=obj.size - 17)
    assert len(tail) == 17


BAD_KEYS = [
    "../etc/passwd",
    "/etc/passwd",
    "ab/cd/../../../etc/passwd",
    "",
    "ab/cd/" + "0" * 64,  # shards that do not match the digest
    "00/00/" + "0" * 63,  # digest too short
    "00/00/" + "0" * 64 + "\n",
    "00/00/" + "0" * 60 + "\x00000",
    "AB/CD/ABCD" + "0" * 60,  # upper case is not how keys are written
    "00\\00\\" + "0" * 64,
    "00/00/" + "0" * 64 + "/x",
    "/00/00/" + "0" * 64,
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize(
    "call",
    [
        lambda store, key: store.open(key),
        lambda store, key: store.stat(key),
        lambda store, key: store.exists(key),
        lambda store, key: store.delete(key),
        lambda store, key: store.verify(key),
        lambda store, key: store.local_path(key),
        lambda store, key: store.presigned_url(key, timedelta(minutes=5), "a.txt"),
    ],
    ids=["open", "stat", "exists", "delete", "verify", "local_path", "presigned_url"],
)
def test_malformed_keys_are_refused(
    store: Store, key: str, call: Callable[[Store, str], object]
) -> None:
    with pytest.raises(InvalidKey) as raised:
        call(store, key)
    assert isinstance(raised.value, ValueError)


def test_verify_accepts_intact_objects(store: Store) -> None:
    key = store.put(io.BytesIO(DATA)).key
    assert store.verify(key) is True


def test_check_passes_on_a_working_backend(store: Store) -> None:
    store.check()


def test_local_path_only_on_the_filesystem(store: Store) -> None:
    key = store.put(io.BytesIO(DATA)).key
    path = store.local_path(key)
    if isinstance(store, FilesystemStore):
        assert path is not None
        assert Path(path).read_bytes() == DATA
        assert store.presigned_url(key, timedelta(minutes=5), "a.txt") is None
        assert store.supports_presign is False
    else:
        assert path is None
        assert store.supports_presign is True


def test_a_second_store_on_the_same_location_sees_the_objects(
    make_store: Callable[..., Store],
) -> None:
    key = make_store().put(io.BytesIO(DATA)).key
    assert read_all(make_store(), key) == DATA
