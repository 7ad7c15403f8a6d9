"""Objects in an S3 bucket (MinIO in production), through the ``minio`` client.

The module is named ``s3`` rather than ``minio`` so that it can never shadow the
client package it imports; the backend speaks plain S3 and the tests run it
against ``rclone serve s3``.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO

import certifi
import minio
import urllib3
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE, check_bucket_name

from content_store.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    MiB,
    Store,
    StoredObject,
    check_key,
    content_disposition,
    empty_stream,
    is_valid_key,
    sha256_of_key,
)
from content_store.errors import ObjectNotFound, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from urllib3 import BaseHTTPResponse

PART_SIZE = 8 * MiB  # S3's minimum is 5 MiB; an upload holds one part in memory
# Short enough that a dead server fails a request within seconds, long enough
# for a slow disk behind MinIO to answer.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 20.0
DEFAULT_REGION = "us-east-1"
# A second put of existing bytes re-uploads them when the stored copy is older
# than this: S3 has no portable "touch", and a fresh Last-Modified is what keeps
# an orphan sweep (which spares objects younger than an hour) off those bytes.
REFRESH_AFTER = timedelta(minutes=10)

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_URL_PARAMS = frozenset({"secure", "region", "connect_timeout", "read_timeout"})


class S3Store(Store):
    """A store in one S3 bucket, created on first write if missing.

    Network timeouts are short and retries few, so a dead server surfaces as
    ``StorageUnavailable`` within seconds instead of hanging a request. Uploads
    are spooled to a local temporary file (``TMPDIR`` chooses where) while they
    are hashed, because the key is known only after the last byte.
    """

    supports_presign = True

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        secure: bool = True,
        region: str = DEFAULT_REGION,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = 1,
        part_size: int = PART_SIZE,
        max_size: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        super().__init__(max_size=max_size, chunk_size=chunk_size)
        check_bucket_name(bucket, strict=True)
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE}")
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.region = region
        self.part_size = part_size
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=urllib3.Retry(
                total=retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)
            ),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        # With the region given, minio never asks the server for it, so
        # presigned URLs are computed offline.
        self._client = minio.Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )
        self._bucket_lock = threading.Lock()
        self._bucket_ready = False

    @classmethod
    def from_url(cls, url: str, *, max_size: int | None = None) -> S3Store:
        """``s3://KEY:SECRET@host:port/bucket?secure=false&region=us-east-1``.

        Key and secret are percent-decoded. Query parameters: ``secure`` (default
        true), ``region`` (default us-east-1), ``connect_timeout`` and
        ``read_timeout`` in seconds. Error messages never repeat the URL, which
        holds the secret.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() != "s3":
            raise ValueError("not an s3:// storage URL")
        hostport = parts.netloc.rpartition("@")[2]
        if not parts.hostname or not hostport:
            raise ValueError("S3 storage URL needs a host: s3://KEY:SECRET@host:port/bucket")
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError as exc:
            raise ValueError(f"S3 storage URL has an invalid port: {exc}") from None
        access_key = urllib.parse.unquote(parts.username) if parts.username else None
        secret_key = urllib.parse.unquote(parts.password) if parts.password else None
        if (access_key is None) != (secret_key is None):
            raise ValueError("S3 storage URL needs both KEY and SECRET (s3://KEY:SECRET@host/...)")
        bucket = parts.path.strip("/")
        if not bucket or "/" in bucket:
            raise ValueError("S3 storage URL must name exactly one bucket: s3://…@host:port/bucket")
        params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        unknown = sorted(set(params) - _URL_PARAMS)
        if unknown:
            raise ValueError(
                f"unknown S3 storage URL parameter(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_URL_PARAMS))}"
            )
        secure_value = params.get("secure", "true").lower()
        if secure_value not in _TRUE | _FALSE:
            raise ValueError(
                f"S3 storage URL parameter secure must be true or false, got {secure_value!r}"
            )
        try:
            return cls(
                hostport,
                bucket,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure_value in _TRUE,
                region=params.get("region") or DEFAULT_REGION,
                connect_timeout=_seconds(params, "connect_timeout", CONNECT_TIMEOUT),
                read_timeout=_seconds(params, "read_timeout", READ_TIMEOUT),
                max_size=max_size,
            )
        except ValueError as exc:
            raise ValueError(f"invalid S3 storage URL: {exc}") from None

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"S3Store({scheme}://{self.endpoint}/{self.bucket})"

    @contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate what minio and urllib3 raise into the store's errors."""
        try:
            yield
        except (S3Error, InvalidResponseError) as exc:
            status, code = _status_and_code(exc)
            if code == "NoSuchBucket":
                self._bucket_ready = False
            if key is not None and (code in _NOT_FOUND_CODES or status == 404):
                raise ObjectNotFound(key) from exc
            if code == "NoSuchBucket":
                raise _BucketMissing(f"S3 bucket {self.bucket!r} does not exist") from exc
            if status is not None and status >= 500:
                raise StorageUnavailable(f"S3 server error {status} ({code})") from exc
            raise StorageError(f"S3 refused the request: {status} ({code})") from exc
        except ServerError as exc:
            raise StorageUnavailable(f"S3 server error {exc.status_code}: {exc}") from exc
        except MinioException as exc:
            raise StorageError(f"S3 request failed: {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"cannot reach S3 at {self.endpoint}: {exc}") from exc

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock, self._errors():
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    # Another process created it between our two requests.
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_ready = True

    # -- writing ---------------------------------------------------------------

    @contextmanager
    def _spool(self) -> Iterator[BinaryIO]:
        try:
            spool = tempfile.TemporaryFile(prefix="content-store-", suffix=".part")  # noqa: SIM115
        except OSError as exc:
            raise StorageUnavailable(
                f"cannot create a temporary file for the upload: {exc}"
            ) from exc
        with spool:
            yield spool

    def _commit(self, spool: BinaryIO, key: str, size: int, content_type: str) -> StoredObject:
        self._ensure_bucket()
        existing = self._stat_or_none(key)
        fresh_enough = datetime.now(UTC) - REFRESH_AFTER
        if (
            existing is None
            or existing.size != size
            or existing.modified is None
            or existing.modified < fresh_enough
        ):
            spool.seek(0)
            with self._errors():
                # One part at a time: parallel parts would hold several
                # part_size buffers in memory per upload.
                self._client.put_object(
                    self.bucket,
                    key,
                    spool,
                    length=size,
                    content_type=content_type or DEFAULT_CONTENT_TYPE,
                    part_size=self.part_size,
                    num_parallel_uploads=1,
                )
        return replace(self.stat(key), content_type=content_type)

    def _stat_or_none(self, key: str) -> StoredObject | None:
        try:
            return self.stat(key)
        except ObjectNotFound:
            return None

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            with self._errors(key):
                self._client.remove_object(self.bucket, key)
        except ObjectNotFound:
            pass

    # -- reading ---------------------------------------------------------------

    def _open(self, key: str, offset: int, length: int | None) -> BinaryIO:
        # Knowing the size first turns a range past the end into an empty read
        # (servers answer 416, and minio reads length=0 as "everything").
        size = self.stat(key).size
        if offset >= size or length == 0:
            return empty_stream()
        if length is not None:
            length = min(length, size - offset)
        with self._errors(key):
            response = self._client.get_object(self.bucket, key, offset=offset, length=length or 0)
        return io.BufferedReader(_ResponseReader(response, self.endpoint))

    def stat(self, key: str) -> StoredObject:
        check_key(key)
        with self._errors(key):
            info = self._client.stat_object(self.bucket, key)
        return StoredObject(
            key=key,
            size=info.size or 0,
            sha256=sha256_of_key(key),
            content_type=info.content_type or DEFAULT_CONTENT_TYPE,
            modified=_utc(info.last_modified),
        )

    def iter_objects(self) -> Iterator[StoredObject]:
        try:
            with self._errors():
                for item in self._client.list_objects(self.bucket, recursive=True):
                    name = item.object_name
                    if item.is_dir or name is None or not is_valid_key(name):
                        continue
                    yield StoredObject(
                        key=name,
                        size=item.size or 0,
                        sha256=sha256_of_key(name),
                        content_type=item.content_type or DEFAULT_CONTENT_TYPE,
                        modified=_utc(item.last_modified),
                    )
        except _BucketMissing:
            return  # no bucket yet: nothing has been stored

    # -- operations ------------------------------------------------------------

    def check(self) -> None:
        try:
            with self._errors():
                exists = self._client.bucket_exists(self.bucket)
            if not exists:
                self._bucket_ready = False
                self._ensure_bucket()
        except StorageUnavailable:
            raise
        except StorageError as exc:
            # Bad credentials or a forbidden bucket make the store just as unusable.
            raise StorageUnavailable(str(exc)) from exc

    def presigned_url(
        self,
        key: str,
        expires: timedelta,
        download_name: str,
        content_type: str | None = None,
    ) -> str | None:
        check_key(key)
        headers = {"response-content-disposition": content_disposition(download_name)}
        if content_type:
            headers["response-content-type"] = content_type
        with self._errors(key):
            url = self._client.get_presigned_url(
                "GET", self.bucket, key, expires=expires, response_headers=headers
            )
        return url

    def close(self) -> None:
        self._http.clear()


class _BucketMissing(StorageError):
    """The bucket is gone; a listing then simply has nothing in it."""


def _status_and_code(exc: S3Error | InvalidResponseError) -> tuple[int | None, str | None]:
    """HTTP status and S3 error code of a failed request.

    Servers that send their XML error as ``text/xml`` (rclone does) reach us as
    ``InvalidResponseError``, which keeps status and body only in its message.
    """
    if isinstance(exc, S3Error):
        return exc.response.status, exc.code
    message = str(exc)
    status = re.search(r"Response code: (\d+)", message)
    code = re.search(r"<Code>([^<]+)</Code>", message)
    return (
        int(status.group(1)) if status else None,
        code.group(1) if code else None,
    )


class _ResponseReader(io.RawIOBase):
    """A urllib3 response as a raw stream whose ``close`` releases the connection."""

    def __init__(self, response: BaseHTTPResponse, endpoint: str) -> None:
        super().__init__()
        self._response = response
        self._endpoint = endpoint

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        try:
            return self._response.readinto(buffer)  # type: ignore[arg-type]
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(
                f"lost the connection to S3 at {self._endpoint} while reading: {exc}"
            ) from exc

    def close(self) -> None:
        if not self.closed:
            try:
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()


def _seconds(params: dict[str, str], name: str, default: float) -> float:
    if name not in params:
        return default
    try:
        value = float(params[name])
    except ValueError:
        raise ValueError(f"parameter {name} must be a number of seconds") from None
    if not value > 0:
        raise ValueError(f"parameter {name} must be positive")
    return value


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
