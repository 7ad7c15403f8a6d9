"""Objects as files under one root folder: ``<root>/ab/cd/<sha256 hex>``.

An upload is written to ``<root>/.tmp/`` (same filesystem, so the final
``os.replace`` is an atomic rename), fsynced, then renamed into place: a reader
never sees half an object, and a crash leaves only a temporary file that
``purge_temp`` removes later.
"""

from __future__ import annotations

import io
import os
import secrets
import stat as stat_module
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from content_store.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    RangeReader,
    Store,
    StoredObject,
    check_key,
    is_valid_key,
    sha256_of_key,
)
from content_store.errors import InvalidKey, ObjectNotFound, StorageUnavailable

TMP_DIR = ".tmp"
TMP_SUFFIX = ".part"
_SHARD_CHARS = frozenset("0123456789abcdef")


class FilesystemStore(Store):
    """A store in a local folder; created if missing."""

    supports_presign = False

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_size: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        super().__init__(max_size=max_size, chunk_size=chunk_size)
        self.root = os.path.abspath(os.fspath(root))
        self._tmp = os.path.join(self.root, TMP_DIR)
        # A missing disk must not stop the application from starting: check()
        # reports it to /healthz and put() raises StorageUnavailable.
        with suppress(OSError):
            os.makedirs(self._tmp, exist_ok=True)

    @classmethod
    def from_url(cls, url: str, *, max_size: int | None = None) -> FilesystemStore:
        """``file:///absolute/path`` (percent-encoded, so Cyrillic folders work)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() != "file":
            raise ValueError(f"not a file:// storage URL: {url!r}")
        if parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"file storage URL must name a local absolute path (file:///path), got {url!r}"
            )
        if parts.query or parts.fragment:
            raise ValueError(f"file storage URL takes no query or fragment: {url!r}")
        path = urllib.request.url2pathname(parts.path)
        if not os.path.isabs(path):
            raise ValueError(f"file storage URL must hold an absolute path, got {url!r}")
        return cls(path, max_size=max_size)

    def __repr__(self) -> str:
        return f"FilesystemStore({self.root!r})"

    def _path(self, key: str) -> str:
        check_key(key)
        path = os.path.join(self.root, *key.split("/"))
        # The key pattern already rules out escapes; this guards the pattern.
        if os.path.commonpath([self.root, path]) != self.root:
            raise InvalidKey(key)
        return path

    # -- writing ---------------------------------------------------------------

    @contextmanager
    def _spool(self) -> Iterator[BinaryIO]:
        path = os.path.join(self._tmp, secrets.token_hex(16) + TMP_SUFFIX)
        try:
            os.makedirs(self._tmp, exist_ok=True)
            spool = open(path, "xb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise StorageUnavailable(f"cannot write to storage folder {self.root}: {exc}") from exc
        try:
            with spool:
                yield spool
        finally:
            # Gone already when _commit renamed it; anything else must not mask
            # the exception that brought us here.
            with suppress(OSError):
                os.unlink(path)

    def _commit(self, spool: BinaryIO, key: str, size: int, content_type: str) -> StoredObject:
        target = self._path(key)
        directory = os.path.dirname(target)
        try:
            os.fsync(spool.fileno())
            os.makedirs(directory, exist_ok=True)
            if not self._refresh_existing(target, size):
                os.replace(spool.name, target)
                _fsync_directory(directory)
            info = os.stat(target)
        except OSError as exc:
            raise StorageUnavailable(f"cannot store object {key}: {exc}") from exc
        return StoredObject(key, size, sha256_of_key(key), content_type, _mtime(info))

    @staticmethod
    def _refresh_existing(target: str, size: int) -> bool:
        """Touch an existing copy of the same size instead of writing it again.

        A copy of another size can only be a damaged one, which the new bytes
        replace. A concurrent delete between the checks just means we write.
        """
        try:
            if os.stat(target).st_size != size:
                return False
            os.utime(target)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        # Empty shard folders stay: removing them would race with a put that
        # has just created one and is about to rename into it.
        try:
            os.unlink(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            raise StorageUnavailable(f"cannot delete object {key}: {exc}") from exc

    # -- reading ---------------------------------------------------------------

    def _open(self, key: str, offset: int, length: int | None) -> BinaryIO:
        path = self._path(key)
        try:
            raw = open(path, "rb", buffering=0)  # noqa: SIM115 - the caller closes the stream
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read object {key}: {exc}") from exc
        try:
            if offset:
                raw.seek(offset)
        except OSError as exc:
            raw.close()
            raise StorageUnavailable(f"cannot read object {key}: {exc}") from exc
        return io.BufferedReader(RangeReader(raw, length))

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read object {key}: {exc}") from exc
        if not stat_module.S_ISREG(info.st_mode):
            raise ObjectNotFound(key)
        return StoredObject(
            key, info.st_size, sha256_of_key(key), DEFAULT_CONTENT_TYPE, _mtime(info)
        )

    def iter_keys(self) -> Iterator[str]:
        if not os.path.isdir(self.root):
            raise StorageUnavailable(f"storage folder {self.root} is missing")
        for first in _names(self.root, dirs=True):
            if len(first) != 2 or not _SHARD_CHARS.issuperset(first):
                continue
            for second in _names(os.path.join(self.root, first), dirs=True):
                for name in _names(os.path.join(self.root, first, second), dirs=False):
                    key = f"{first}/{second}/{name}"
                    if is_valid_key(key):
                        yield key

    def iter_objects(self) -> Iterator[StoredObject]:
        for key in self.iter_keys():
            try:
                yield self.stat(key)
            except ObjectNotFound:
                continue  # deleted while we were listing

    def local_path(self, key: str) -> str | None:
        path = self._path(key)
        if not os.path.isfile(path):
            raise ObjectNotFound(key)
        return path

    # -- operations ------------------------------------------------------------

    def check(self) -> None:
        try:
            os.makedirs(self._tmp, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root} is not usable: {exc}") from exc
        if not os.access(self._tmp, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"storage folder {self.root} is not writable")

    def purge_temp(self, older_than: timedelta = timedelta(hours=1)) -> int:
        # An upload in progress keeps its file's mtime fresh, so age alone is safe.
        cutoff = datetime.now(UTC).timestamp() - older_than.total_seconds()
        removed = 0
        try:
            entries = list(os.scandir(self._tmp))
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StorageUnavailable(f"cannot list {self._tmp}: {exc}") from exc
        for entry in entries:
            if not entry.name.endswith(TMP_SUFFIX):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StorageUnavailable(f"cannot remove {entry.path}: {exc}") from exc
        return removed


def _names(directory: str, *, dirs: bool) -> list[str]:
    """Sorted names of subfolders (or regular files) of ``directory``; none if it vanished."""
    try:
        with os.scandir(directory) as entries:
            return sorted(
                entry.name
                for entry in entries
                if (entry.is_dir(follow_symlinks=True) if dirs else entry.is_file())
            )
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise StorageUnavailable(f"cannot list {directory}: {exc}") from exc


def _fsync_directory(directory: str) -> None:
    # Without this a power cut can lose the rename even though the file's bytes were synced.
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mtime(info: os.stat_result) -> datetime:
    return datetime.fromtimestamp(info.st_mtime, tz=UTC)
