"""What only the S3 backend does: presigned URLs, buckets, URLs, and outages."""

from __future__ import annotations

import io
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import content_store.s3
from content_store import (
    StorageError,
    StorageUnavailable,
    content_disposition,
    key_for,
    open_store,
)
from content_store.base import MiB
from content_store.s3 import S3Store
from tests.support.s3server import S3Server

DATA = "Методические рекомендации по проведению урока\n".encode() * 50


def download(url: str) -> tuple[bytes, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


def test_presigned_url_downloads_with_the_cyrillic_name(s3_store: S3Store) -> None:
    key = s3_store.put(io.BytesIO(DATA), "text/plain").key
    name = 'План урока "Дроби" №1.docx'
    url = s3_store.presigned_url(key, timedelta(minutes=5), name, content_type="application/msword")
    assert url is not None

    body, headers = download(url)
    assert body == DATA
    assert headers["Content-Type"] == "application/msword"
    disposition = headers["Content-Disposition"]
    assert disposition == content_disposition(name)
    assert disposition.startswith('attachment; filename="Plan uroka _Drobi_ No1.docx"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert urllib.parse.unquote(encoded) == name


def test_presigned_url_without_content_type_keeps_the_stored_one(s3_store: S3Store) -> None:
    key = s3_store.put(io.BytesIO(DATA), "text/plain").key
    url = s3_store.presigned_url(key, timedelta(minutes=5), "notes.txt")
    assert url is not None
    body, headers = download(url)
    assert body == DATA
    assert headers["Content-Disposition"].endswith("filename*=UTF-8''notes.txt")


def test_the_bucket_is_created_on_first_write(s3_server: S3Server) -> None:
    with open_store(s3_server.url_for("created-lazily")) as store:
        assert list(store.iter_keys()) == []
        assert not store.exists(key_for("0" * 64))
        assert not (s3_server.data_dir / "created-lazily").exists()

        key = store.put(io.BytesIO(DATA)).key
        assert (s3_server.data_dir / "created-lazily").is_dir()
        assert list(store.iter_keys()) == [key]


def test_recent_duplicates_are_not_uploaded_again(
    s3_store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads: list[str] = []
    real_put_object = s3_store._client.put_object

    def counting_put_object(bucket: str, key: str, *args: Any, **kwargs: Any) -> Any:
        uploads.append(key)
        return real_put_object(bucket, key, *args, **kwargs)

    monkeypatch.setattr(s3_store._client, "put_object", counting_put_object)
    key = s3_store.put(io.BytesIO(DATA)).key
    s3_store.put(io.BytesIO(DATA))
    assert uploads == [key]

    # An old copy is written again: that is how its Last-Modified gets refreshed.
    monkeypatch.setattr(content_store.s3, "REFRESH_AFTER", timedelta(0))
    s3_store.put(io.BytesIO(DATA))
    assert uploads == [key, key]
    assert list(s3_store.iter_keys()) == [key]


@pytest.mark.parametrize(
    ("url", "endpoint", "bucket", "secure", "region"),
    [
        ("s3://k:s@minio.local:9000/files", "minio.local:9000", "files", True, "us-east-1"),
        (
            "s3://k:s@127.0.0.1:9000/files?secure=false&region=eu-central-1",
            "127.0.0.1:9000",
            "files",
            False,
            "eu-central-1",
        ),
        ("s3://minio.local/files/", "minio.local", "files", True, "us-east-1"),
    ],
)
def test_s3_urls(url: str, endpoint: str, bucket: str, secure: bool, region: str) -> None:
    with open_store(url) as store:
        assert isinstance(store, S3Store)
        assert (store.endpoint, store.bucket, store.secure, store.region) == (
            endpoint,
            bucket,
            secure,
            region,
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://key:s3cr3t-value@host:9000", "exactly one bucket"),
        ("s3://key:s3cr3t-value@host:9000/a/b", "exactly one bucket"),
        ("s3://key:s3cr3t-value@host:9000/files?secure=maybe", "secure must be true or false"),
        ("s3://key:s3cr3t-value@host:9000/files?sceure=false", "unknown S3 storage URL parameter"),
        ("s3://key:s3cr3t-value@host:9000/files?read_timeout=soon", "must be a number"),
        ("s3://key:s3cr3t-value@host:9000/files?connect_timeout=0", "must be positive"),
        ("s3://key:s3cr3t-value@host:99999/files", "invalid port"),
        ("s3://key:s3cr3t-value@/files", "needs a host"),
        ("s3://key@host:9000/files", "both KEY and SECRET"),
        ("s3://key:s3cr3t-value@host:9000/Not_A_Bucket", "invalid S3 storage URL"),
    ],
)
def test_bad_s3_urls_fail_clearly_without_echoing_the_secret(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        open_store(url)
    assert "s3cr3t-value" not in str(raised.value)


def test_repr_hides_credentials() -> None:
    with open_store("s3://key:topsecret@host:9000/files?secure=false") as store:
        assert repr(store) == "S3Store(http://host:9000/files)"


def test_percent_encoded_credentials(tmp_path: Path) -> None:
    server = S3Server(tmp_path, access_key="key/with+chars", secret_key="p@ss:w/rd%").start()
    try:
        assert "p%40ss%3Aw%2Frd%25@" in server.url
        with open_store(server.url) as store:
            store.check()
            assert store.put(io.BytesIO(DATA)).size == len(DATA)
    finally:
        server.stop()


def test_wrong_credentials_make_the_store_unavailable(s3_server: S3Server) -> None:
    url = s3_server.url_for("files").replace(s3_server.secret_key, "wrong-secret")
    with open_store(url) as store:
        with pytest.raises(StorageUnavailable, match="403"):
            store.check()
        with pytest.raises(StorageError, match="403"):
            store.put(io.BytesIO(DATA))


# -- outages -----------------------------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[S3Server]:
    """A server of the test's own, free to be stopped without hurting the others."""
    server = S3Server(tmp_path).start()
    yield server
    server.stop()


OPERATIONS: dict[str, Callable[[S3Store, str], object]] = {
    "put": lambda store, key: store.put(io.BytesIO(b"bytes written during the outage")),
    "open": lambda store, key: store.open(key),
    "stat": lambda store, key: store.stat(key),
    "exists": lambda store, key: store.exists(key),
    "delete": lambda store, key: store.delete(key),
    "verify": lambda store, key: store.verify(key),
    "iter_keys": lambda store, key: list(store.iter_keys()),
    "check": lambda store, key: store.check(),
}


def test_a_stopped_server_fails_fast_and_recovers(own_server: S3Server) -> None:
    with S3Store.from_url(own_server.url) as store:
        key = store.put(io.BytesIO(DATA)).key
        own_server.stop()

        for name, operation in OPERATIONS.items():
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                operation(store, key)
            assert time.monotonic() - started < 5, name

        # Signing is local work: download links can still be handed out.
        assert store.presigned_url(key, timedelta(minutes=5), "a.txt") is not None

        own_server.start()
        store.check()
        with store.open(key) as stream:
            assert stream.read() == DATA
        new = store.put(io.BytesIO(b"after the restart"))
        assert sorted(store.iter_keys()) == sorted([key, new.key])


def test_a_server_dying_mid_download_fails_the_read(own_server: S3Server) -> None:
    with S3Store.from_url(own_server.url) as store:
        key = store.put(io.BytesIO(b"x" * (24 * MiB))).key
        with store.open(key) as stream:
            assert stream.read(MiB) == b"x" * MiB
            own_server.kill()
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                while stream.read(MiB):
                    pass
            assert time.monotonic() - started < 5

        own_server.start()
        assert store.verify(key)


def test_a_hung_server_times_out() -> None:
    # Accepts connections (the kernel's backlog does) but never answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        url = f"s3://key:secret@127.0.0.1:{port}/files?secure=false&read_timeout=1"
        with open_store(url) as store:
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                store.check()
            assert time.monotonic() - started < 5


# -- the test server helper itself -------------------------------------------


def test_s3_server_refuses_a_port_held_by_someone_else(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        server = S3Server(tmp_path, port=squatter.getsockname()[1])
        with pytest.raises(RuntimeError, match="address already in use"):
            server.start()
        assert not server.running


def test_s3_server_restarts_on_its_port_with_its_data(own_server: S3Server) -> None:
    url = own_server.url
    with open_store(url) as store:
        key = store.put(io.BytesIO(DATA)).key
        own_server.restart()
        assert own_server.url == url
        assert store.verify(key)
