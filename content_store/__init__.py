"""Storing and reading file bytes, on a local folder or in S3 (MinIO).

A plain library: it takes plain values and returns plain dataclasses, and never
imports Flask, the application or the search index. The application picks the
backend by URL::

    store = open_store("file:///srv/metodcabinet/files", max_size=200 * 1024 * 1024)
    obj = store.put(upload_stream, "application/pdf")      # StoredObject(key="ab/cd/…", …)
    with store.open(obj.key) as stream:
        ...
"""

from __future__ import annotations

import urllib.parse

from content_store.base import Store, StoredObject, content_disposition, is_valid_key, key_for
from content_store.errors import (
    InvalidKey,
    ObjectNotFound,
    ObjectTooLarge,
    StorageError,
    StorageUnavailable,
)
from content_store.filesystem import FilesystemStore

__all__ = [
    "FilesystemStore",
    "InvalidKey",
    "ObjectNotFound",
    "ObjectTooLarge",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "StoredObject",
    "content_disposition",
    "is_valid_key",
    "key_for",
    "open_store",
]


def open_store(url: str, *, max_size: int | None = None) -> Store:
    """The store a URL names.

    ``file:///absolute/path`` keeps objects in a local folder;
    ``s3://KEY:SECRET@host:port/bucket?secure=false&region=us-east-1`` keeps them
    in an S3 bucket (``secure`` defaults to true, ``region`` to us-east-1).
    ``max_size`` is the default upload limit in bytes (``None``: no limit).
    Nothing is contacted here; ``Store.check()`` does that.
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme == "file":
        return FilesystemStore.from_url(url, max_size=max_size)
    if scheme == "s3":
        # Imported on demand: a filesystem-only deployment need not load minio.
        from content_store.s3 import S3Store

        return S3Store.from_url(url, max_size=max_size)
    shown = f"{scheme!r}" if scheme else "none"
    raise ValueError(
        f"unsupported storage URL scheme {shown}: use file:///absolute/path "
        "or s3://KEY:SECRET@host:port/bucket"
    )
