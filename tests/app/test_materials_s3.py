"""The materials bank on a real S3 server (rclone serve s3), as production runs on MinIO."""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

import content_store
from app.accounts.models import Role
from app.core.storage import get_store
from app.extensions import db
from app.materials.access_events import AccessEvent
from app.materials.models import Material, StoredFile
from content_store.s3 import S3Store
from tests.factories import docx_bytes, login, make_material, make_user, post_multipart
from tests.support.s3server import S3Server

NAME = "План урока «Дроби» 5 класс.docx"


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read(), dict(response.headers)


def filename_star(disposition: str) -> str:
    return urllib.parse.unquote(disposition.split("filename*=UTF-8''", 1)[1])


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(tmp_path_factory.mktemp("s3-materials")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_store(app: Flask, s3_server: S3Server) -> Iterator[S3Store]:
    """The app's content store swapped for a fresh bucket on the S3 server."""
    store = content_store.open_store(
        s3_server.url_for(f"m-{uuid.uuid4().hex[:16]}"), max_size=app.config["UPLOAD_MAX_BYTES"]
    )
    assert isinstance(store, S3Store)
    original = app.extensions["content_store"]
    mode = app.config["S3_DOWNLOAD_MODE"]
    app.extensions["content_store"] = store
    try:
        yield store
    finally:
        app.extensions["content_store"] = original
        app.config["S3_DOWNLOAD_MODE"] = mode
        try:
            for key in list(store.iter_keys()):
                store.delete(key)
        finally:
            store.close()


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    return {
        "methodist": make_user(Role.METHODIST, email="metod@imc.ru"),
        "teacher": make_user(Role.TEACHER, email="teacher@school.ru"),
    }


def upload(client, content: bytes, filename: str = NAME):  # type: ignore[no-untyped-def]
    return post_multipart(
        client,
        "/materials/new",
        {
            "title": "Дроби: конспект урока",
            "material_type": "lesson_plan",
            "action": "publish",
            "files": FileStorage(io.BytesIO(content), filename=filename),
        },
    )


def uploaded_through_the_site(app: Flask, people, content: bytes) -> StoredFile:  # type: ignore[no-untyped-def]
    methodist_client = app.test_client()
    login(methodist_client, people["methodist"])
    response = upload(methodist_client, content)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.execute(select(StoredFile)).scalar_one()


def test_upload_goes_to_the_bucket(app, s3_store, s3_server, people):
    content = docx_bytes("Конспект урока по теме «Дроби»")
    file = uploaded_through_the_site(app, people, content)
    assert file.original_name == NAME and file.size == len(content)
    assert list(s3_store.iter_keys()) == [file.storage_key]
    with s3_store.open(file.storage_key) as stream:
        assert stream.read() == content
    # It really is on the server's disk, not in the filesystem store.
    assert (s3_server.data_dir / s3_store.bucket / file.storage_key).read_bytes() == content
    assert get_store() is s3_store


def test_redirect_mode_hands_out_a_presigned_url(app, client, s3_store, people):
    content = docx_bytes("Скачивание по подписанной ссылке")
    file = uploaded_through_the_site(app, people, content)
    app.config["S3_DOWNLOAD_MODE"] = "redirect"
    login(client, people["teacher"])

    response = client.get(f"/files/{file.id}/download")
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urllib.parse.urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("http", s3_store.endpoint)
    assert "X-Amz-Signature=" in parts.query and "X-Amz-Expires=600" in parts.query

    status, body, headers = fetch(location)
    assert status == 200 and body == content
    assert headers["Content-Type"] == file.content_type
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert filename_star(disposition) == NAME

    # Counted once: at the redirect, not again when the store serves the bytes.
    db.session.refresh(file)
    assert file.download_count == 1 and file.material.download_count == 1
    assert count(AccessEvent, AccessEvent.kind == "file_download") == 1


def test_presigned_url_is_bound_to_its_signature(app, client, s3_store, people):
    file = uploaded_through_the_site(app, people, docx_bytes("подпись"))
    login(client, people["teacher"])
    location = client.get(f"/files/{file.id}/download").headers["Location"]
    tampered = location.replace("X-Amz-Expires=600", "X-Amz-Expires=604800")
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(tampered)
    assert refused.value.code == 403
    refused.value.close()


def test_stream_mode_serves_the_bytes_and_ranges(app, client, s3_store, people):
    content = docx_bytes("Потоковая отдача с диапазонами " * 50)
    file = uploaded_through_the_site(app, people, content)
    app.config["S3_DOWNLOAD_MODE"] = "stream"
    login(client, people["teacher"])
    url = f"/files/{file.id}/download"

    response = client.get(url)
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Length"] == str(len(content))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == f'"{file.sha256}"'
    assert response.headers["Content-Type"] == file.content_type
    assert filename_star(response.headers["Content-Disposition"]) == NAME
    assert response.headers["Content-Disposition"].startswith("attachment;")

    middle = client.get(url, headers={"Range": "bytes=100-1123"})
    assert middle.status_code == 206
    assert middle.data == content[100:1124]
    assert middle.headers["Content-Range"] == f"bytes 100-1123/{len(content)}"
    assert middle.headers["Content-Length"] == "1024"

    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == content[-10:]
    open_ended = client.get(url, headers={"Range": f"bytes={len(content) - 5}-"})
    assert open_ended.status_code == 206 and open_ended.data == content[-5:]

    beyond = client.get(url, headers={"Range": f"bytes={len(content) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(content)}"

    # The full download counted; seeking a player through ranges did not.
    db.session.refresh(file)
    assert file.download_count == 1 and file.material.download_count == 1
    assert count(AccessEvent, AccessEvent.kind == "file_download") == 1


def test_inline_view_is_streamed_even_in_redirect_mode(app, client, s3_store, people):
    from tests.factories import pdf_bytes

    content = pdf_bytes("Inline")
    material = make_material(people["methodist"], content=content, filename="схема.pdf")
    app.config["S3_DOWNLOAD_MODE"] = "redirect"
    login(client, people["teacher"])
    response = client.get(f"/files/{material.files[0].id}/view")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    db.session.refresh(material)
    assert material.download_count == 0


def test_stream_mode_vanished_object_is_a_404_page(app, client, s3_store, people):
    material = make_material(people["methodist"], content=docx_bytes("исчезнет из бакета"))
    file = material.files[0]
    s3_store.delete(file.storage_key)
    app.config["S3_DOWNLOAD_MODE"] = "stream"
    login(client, people["teacher"])
    response = client.get(f"/files/{file.id}/download")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)
    db.session.refresh(material)
    assert material.download_count == 0


def test_redirect_mode_vanished_object_is_a_404_page(app, client, s3_store, people):
    material = make_material(people["methodist"], content=docx_bytes("исчезнет до ссылки"))
    file = material.files[0]
    s3_store.delete(file.storage_key)
    app.config["S3_DOWNLOAD_MODE"] = "redirect"
    login(client, people["teacher"])
    response = client.get(f"/files/{file.id}/download")
    assert response.status_code == 404
    db.session.refresh(material)
    assert material.download_count == 0


def test_storage_check_on_s3(app, runner, s3_store, people):
    material = make_material(people["methodist"], content=docx_bytes("на S3"))
    key = material.files[0].storage_key
    orphan = s3_store.put(io.BytesIO(b"orphan on S3"), "text/plain").key
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0, result.output
    assert "Объектов в хранилище: 2; строк файлов в базе: 1" in result.output
    assert f"без строки в базе (моложе часа, не трогаем): {orphan}" in result.output
    s3_store.delete(key)
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1
    assert f"НЕТ БАЙТОВ: файл id={material.files[0].id} ссылается на {key}" in result.output
    assert count(Material) == 1
