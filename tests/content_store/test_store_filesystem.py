"""What only the filesystem backend does: temp files, renames, tampering, paths."""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content_store import FilesystemStore, ObjectNotFound, StorageUnavailable, open_store
from content_store.base import key_for
from content_store.filesystem import TMP_DIR, TMP_SUFFIX

DATA = b"methodical recommendations\n" * 100


def tmp_files(store: FilesystemStore) -> list[str]:
    return os.listdir(Path(store.root) / TMP_DIR)


def test_objects_land_in_sharded_folders(fs_store: FilesystemStore) -> None:
    obj = fs_store.put(io.BytesIO(DATA))
    path = Path(fs_store.root, obj.key[:2], obj.key[3:5], obj.sha256)
    assert path.read_bytes() == DATA
    assert fs_store.local_path(obj.key) == str(path)
    assert tmp_files(fs_store) == []


def test_root_is_created_if_missing(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "файлы"
    with open_store(root.as_uri()) as store:
        assert isinstance(store, FilesystemStore)
        assert store.root == str(root)
        assert root.is_dir()
        store.check()


def test_verify_detects_tampered_bytes(fs_store: FilesystemStore) -> None:
    key = fs_store.put(io.BytesIO(DATA)).key
    path = Path(fs_store.local_path(key) or "")
    path.write_bytes(DATA.replace(b"methodical", b"METHODICAL"))
    assert fs_store.verify(key) is False

    path.unlink()
    with pytest.raises(ObjectNotFound):
        fs_store.verify(key)


def test_put_replaces_a_damaged_copy_of_another_size(fs_store: FilesystemStore) -> None:
    key = fs_store.put(io.BytesIO(DATA)).key
    Path(fs_store.local_path(key) or "").write_bytes(b"truncated")
    assert fs_store.put(io.BytesIO(DATA)).key == key
    assert fs_store.verify(key)


def test_put_of_existing_bytes_refreshes_modified(fs_store: FilesystemStore) -> None:
    key = fs_store.put(io.BytesIO(DATA)).key
    path = fs_store.local_path(key) or ""
    two_hours_ago = time.time() - 7200
    os.utime(path, (two_hours_ago, two_hours_ago))
    assert fs_store.stat(key).modified < datetime.now(UTC) - timedelta(hours=1)  # type: ignore[operator]

    again = fs_store.put(io.BytesIO(DATA))
    assert again.modified is not None
    assert again.modified > datetime.now(UTC) - timedelta(minutes=1)
    assert tmp_files(fs_store) == []


def test_listings_ignore_temp_files_and_strangers(fs_store: FilesystemStore) -> None:
    key = fs_store.put(io.BytesIO(DATA)).key
    root = Path(fs_store.root)
    (root / TMP_DIR / ("crashed-upload" + TMP_SUFFIX)).write_bytes(b"half an upl")
    (root / "README").write_text("not an object")
    (root / "zz").mkdir()
    (root / key[:2] / key[3:5] / "notes.txt").write_text("not an object either")
    (root / key[:2] / key[3:5] / ("f" * 64)).write_text("wrong shard for this digest")

    assert list(fs_store.iter_keys()) == [key]
    assert [obj.key for obj in fs_store.iter_objects()] == [key]


def test_purge_temp_removes_only_old_leftovers(fs_store: FilesystemStore) -> None:
    tmp = Path(fs_store.root) / TMP_DIR
    old = tmp / ("old" + TMP_SUFFIX)
    recent = tmp / ("recent" + TMP_SUFFIX)
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert fs_store.purge_temp(older_than=timedelta(hours=1)) == 1
    assert sorted(os.listdir(tmp)) == [recent.name]


def test_failed_source_leaves_no_temp_file(fs_store: FilesystemStore) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        fs_store.put(Broken())  # type: ignore[arg-type]
    assert tmp_files(fs_store) == []
    assert list(fs_store.iter_keys()) == []


def test_unusable_root_is_reported_as_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the storage folder should be")
    store = FilesystemStore(blocker)  # constructing must not fail: the app still starts

    with pytest.raises(StorageUnavailable):
        store.check()
    with pytest.raises(StorageUnavailable):
        store.put(io.BytesIO(DATA))
    with pytest.raises(StorageUnavailable):
        list(store.iter_keys())


def test_local_path_of_a_missing_object(fs_store: FilesystemStore) -> None:
    with pytest.raises(ObjectNotFound):
        fs_store.local_path(key_for("0" * 64))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file://server/share", "local absolute path"),
        ("file:relative/folder", "absolute path"),
        ("file:///srv/files?x=1", "no query"),
    ],
)
def test_bad_file_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_store(url)


def test_file_url_is_percent_decoded(tmp_path: Path) -> None:
    root = tmp_path / "материалы 2025"
    url = root.as_uri()
    assert "%D0%BC" in url
    with open_store(url) as store:
        assert isinstance(store, FilesystemStore)
        assert store.root == str(root)
