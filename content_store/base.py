"""The store interface and the logic every backend shares.

Objects are content-addressed: the key of a byte string is ``ab/cd/<sha256 hex>``
where ``ab`` and ``cd`` are the first four hex digits of its SHA-256. Sharding keeps
directories (and S3 listings) small; content addressing makes a second upload of
the same bytes free and lets a checker verify any object against its own key.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self

from content_store.errors import InvalidKey, ObjectNotFound, ObjectTooLarge, StorageUnavailable

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MiB = 1024 * 1024
CHUNK_SIZE = MiB
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# The backreferences tie the shard directories to the digest itself, so a key
# can only name the one place its bytes belong.
_KEY_RE = re.compile(r"\A([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})\Z")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store knows about one object.

    ``modified`` is UTC-aware; it is ``None`` only where a backend cannot tell.
    ``content_type`` is best effort when read back (``stat``/``iter_objects``): the
    database, not the store, is the record of a file's type.
    """

    key: str
    size: int
    sha256: str
    content_type: str
    modified: datetime | None


def key_for(sha256_hex: str) -> str:
    """The key under which bytes with this SHA-256 (lowercase hex) are stored."""
    return check_key(f"{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}")


def is_valid_key(key: object) -> bool:
    return isinstance(key, str) and _KEY_RE.match(key) is not None


def check_key(key: object) -> str:
    """Return ``key`` unchanged if well formed, else raise ``InvalidKey``."""
    if isinstance(key, str) and _KEY_RE.match(key):
        return key
    raise InvalidKey(key)


def sha256_of_key(key: str) -> str:
    return check_key(key).rsplit("/", 1)[1]


def copy_stream(
    source: BinaryIO,
    target: BinaryIO,
    *,
    limit: int | None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[int, str]:
    """Copy ``source`` into ``target`` chunk by chunk; return (size, sha256 hex).

    Raises ``ObjectTooLarge`` on the first chunk that crosses ``limit``, so an
    oversized upload costs at most ``limit + chunk_size`` bytes of reading.
    Errors from reading ``source`` propagate untouched: they are the caller's
    (a client that disconnected), not the store's.
    """
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = source.read(chunk_size)
        if not chunk:
            break
        size += len(chunk)
        if limit is not None and size > limit:
            raise ObjectTooLarge(limit)
        digest.update(chunk)
        try:
            target.write(chunk)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write the upload to local disk: {exc}") from exc
    try:
        target.flush()
    except OSError as exc:
        raise StorageUnavailable(f"cannot write the upload to local disk: {exc}") from exc
    return size, digest.hexdigest()


class Store(ABC):
    """A content-addressed object store.

    Subclasses supply a spool (where an upload lands while it is hashed) and the
    step that makes a spooled upload an object; the base owns chunked copying,
    hashing, the size limit, key checking and verification.
    """

    supports_presign: bool = False

    def __init__(self, *, max_size: int | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        if max_size is not None and max_size < 0:
            raise ValueError("max_size must be >= 0 or None")
        if chunk_size <= 0:
            raise ValueError("chunk_size must be > 0")
        self.max_size = max_size
        self.chunk_size = chunk_size

    # -- writing ---------------------------------------------------------------

    def put(
        self,
        stream: BinaryIO,
        content_type: str = DEFAULT_CONTENT_TYPE,
        *,
        max_size: int | None = None,
    ) -> StoredObject:
        """Store the bytes read from ``stream`` and describe the stored object.

        ``max_size`` overrides the store's default limit for this call. Storing
        bytes that are already present keeps one copy, returns the same key and
        refreshes the object's ``modified`` time, so an orphan sweep that spares
        recent objects cannot remove bytes a caller has just been handed.
        """
        limit = self.max_size if max_size is None else max_size
        if limit is not None and limit < 0:
            raise ValueError("max_size must be >= 0 or None")
        with self._spool() as spool:
            size, sha256 = copy_stream(stream, spool, limit=limit, chunk_size=self.chunk_size)
            return self._commit(spool, key_for(sha256), size, content_type)

    @abstractmethod
    def _spool(self) -> AbstractContextManager[BinaryIO]:
        """A writable temporary file for one upload, removed on exit if still there."""

    @abstractmethod
    def _commit(self, spool: BinaryIO, key: str, size: int, content_type: str) -> StoredObject:
        """Make the fully written ``spool`` the object ``key`` (or reuse an existing copy)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""

    # -- reading ---------------------------------------------------------------

    def open(self, key: str, offset: int = 0, length: int | None = None) -> BinaryIO:
        """A readable, closeable stream of ``length`` bytes from ``offset``.

        ``length=None`` reads to the end; a range past the end yields fewer bytes
        (none when ``offset`` is at or beyond the end) rather than an error.
        """
        check_key(key)
        if offset < 0:
            raise ValueError("offset must be >= 0")
        if length is not None and length < 0:
            raise ValueError("length must be >= 0 or None")
        return self._open(key, offset, length)

    @abstractmethod
    def _open(self, key: str, offset: int, length: int | None) -> BinaryIO: ...

    @abstractmethod
    def stat(self, key: str) -> StoredObject:
        """Describe the object or raise ``ObjectNotFound``."""

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def iter_keys(self) -> Iterator[str]:
        """Keys of all stored objects (never temporary files), in key order."""
        for obj in self.iter_objects():
            yield obj.key

    @abstractmethod
    def iter_objects(self) -> Iterator[StoredObject]:
        """All stored objects with size and ``modified``, in key order."""

    def verify(self, key: str) -> bool:
        """Re-hash the stored bytes: ``True`` if they still match the key.

        Raises ``ObjectNotFound`` for a missing object, so a checker can tell
        missing bytes from damaged ones.
        """
        expected = sha256_of_key(key)
        digest = hashlib.sha256()
        with self.open(key) as stream:
            while chunk := stream.read(self.chunk_size):
                digest.update(chunk)
        return digest.hexdigest() == expected

    # -- operations ------------------------------------------------------------

    @abstractmethod
    def check(self) -> None:
        """Raise ``StorageUnavailable`` unless the backend is reachable and usable."""

    def presigned_url(
        self,
        key: str,
        expires: timedelta,
        download_name: str,
        content_type: str | None = None,
    ) -> str | None:
        """A time-limited URL that downloads the object directly, or ``None``.

        Backends that cannot hand out such URLs return ``None`` and the caller
        streams the bytes itself.
        """
        check_key(key)
        return None

    def local_path(self, key: str) -> str | None:
        """A filesystem path holding the object's bytes, or ``None`` if there is none."""
        check_key(key)
        return None

    def purge_temp(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove upload leftovers (from crashed processes) older than ``older_than``.

        Returns how many were removed. Backends that keep no leftovers return 0.
        """
        return 0

    def close(self) -> None:  # noqa: B027 - a hook: only some backends hold connections
        """Release connections held by the store; it must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class RangeReader(io.RawIOBase):
    """Reads at most ``remaining`` bytes of a raw stream, then reports end of file."""

    def __init__(self, raw: io.RawIOBase, remaining: int | None) -> None:
        super().__init__()
        self._raw = raw
        self._remaining = remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._remaining is not None:
            if self._remaining <= 0:
                return 0
            view = view[: self._remaining]
        try:
            count = self._raw.readinto(view) or 0
        except OSError as exc:
            raise StorageUnavailable(f"cannot read stored object: {exc}") from exc
        if self._remaining is not None:
            self._remaining -= count
        return count

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()


def empty_stream() -> BinaryIO:
    return io.BytesIO(b"")


# A fallback name for the plain ``filename=`` parameter: clients that ignore
# ``filename*`` (RFC 6266 lets them) then save "Plan uroka.docx" rather than
# "____ _____.docx" or nothing at all.
_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,\-\[\]]+")


def _transliterate(text: str) -> str:
    out = []
    for char in text:
        latin = _CYRILLIC_TO_LATIN.get(char.lower())
        if latin is None:
            out.append(char)
        elif char.isupper():
            out.append(latin.capitalize())
        else:
            out.append(latin)
    return "".join(out)


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition value that keeps a non-ASCII ``filename`` intact.

    ``filename*`` (RFC 5987/6266) carries the exact UTF-8 name; ``filename``
    carries an ASCII transliteration for old clients.
    """
    # Control characters (CR/LF above all) would let a name inject headers.
    name = "".join(ch for ch in filename if unicodedata.category(ch) != "Cc")
    name = name.replace("/", "_").replace("\\", "_").strip() or "download"
    ascii_name = unicodedata.normalize("NFKD", _transliterate(name))
    ascii_name = ascii_name.encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE_ASCII.sub("_", ascii_name).strip()
    if not any(ch.isalnum() for ch in ascii_name.rsplit(".", 1)[0]):
        suffix = ascii_name.rsplit(".", 1)[1] if "." in ascii_name else ""
        ascii_name = f"download.{suffix}" if suffix.isalnum() else "download"
    encoded = urllib.parse.quote(name, safe="")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
