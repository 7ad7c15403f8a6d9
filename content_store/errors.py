"""Errors raised by every store backend.

Backends translate their own exceptions (``OSError``, urllib3's ``MaxRetryError``,
minio's ``S3Error``/``InvalidResponseError``) into these, so callers handle one
vocabulary whichever backend the ``STORAGE_URL`` picked.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class: the store could not do what was asked."""


class StorageUnavailable(StorageError):
    """The backend cannot be reached or cannot work right now; retrying later may help."""


class ObjectNotFound(StorageError, KeyError):
    """No object is stored under the key.

    It is also a ``KeyError`` so that mapping-style callers (``except KeyError``) keep working.
    """

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the key; a sentence reads better in logs.
        return f"no object stored under key {self.key!r}"


class ObjectTooLarge(StorageError):
    """The stream is longer than the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"object exceeds the size limit of {limit} bytes")
        self.limit = limit


class InvalidKey(StorageError, ValueError):
    """The key is not of the form ``ab/cd/<sha256 hex>`` and is refused."""

    def __init__(self, key: object) -> None:
        super().__init__(f"invalid object key {key!r}: expected 'ab/cd/<64 hex digits of sha256>'")
        self.key = key
