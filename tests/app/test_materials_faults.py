"""The materials bank when things break: the store goes away, a commit fails,
two uploads race, bytes vanish. Bytes first, row second; nothing points nowhere."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage

import content_store
from app.accounts.models import Role, User
from app.core.storage import get_store
from app.extensions import db
from app.materials import services as materials
from app.materials.access_events import AccessEvent
from app.materials.models import Material, StoredFile
from content_store import Store
from tests.factories import docx_bytes, login, make_material, make_user, post_multipart
from tests.support.s3server import S3Server

TWO_HOURS = 2 * 60 * 60


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def upload(client, content: bytes, filename: str = "План урока.docx", **fields):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "title": "Материал при сбое",
        "material_type": "lesson_plan",
        "action": "publish",
        **fields,
    }
    data["files"] = FileStorage(io.BytesIO(content), filename=filename)
    return post_multipart(client, "/materials/new", data)


def make_old(store: Store, key: str) -> None:
    """Backdate a filesystem object, as if it had been written two hours ago."""
    path = store.local_path(key)
    assert path is not None
    past = time.time() - TWO_HOURS
    os.utime(path, (past, past))


@pytest.fixture
def methodist() -> User:
    return make_user(Role.METHODIST, email="metod@imc.ru", name=("Методистова", "Вера", ""))


@pytest.fixture
def teacher() -> User:
    return make_user(Role.TEACHER, email="teacher@school.ru")


@pytest.fixture
def s3(app: Flask, tmp_path: Path) -> Iterator[S3Server]:
    """The app on a private rclone S3 server that a test may stop and start again."""
    server = S3Server(tmp_path / "s3").start()
    store = content_store.open_store(server.url, max_size=app.config["UPLOAD_MAX_BYTES"])
    original = app.extensions["content_store"]
    app.extensions["content_store"] = store
    try:
        yield server
    finally:
        app.extensions["content_store"] = original
        try:
            server.start()
            for key in list(store.iter_keys()):
                store.delete(key)
        finally:
            store.close()
            server.stop()


# --- (a) the store is down during an upload ---------------------------------------


def test_upload_while_the_store_is_down_answers_503_and_saves_nothing(
    s3: S3Server, client, methodist
):
    login(client, methodist)
    s3.stop()

    started = time.monotonic()
    response = upload(client, docx_bytes("Пока хранилище лежит"))
    assert time.monotonic() - started < 10, "a dead store must fail fast, not hang the request"
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Хранилище файлов недоступно" in page
    assert "Материал не сохранён" in page
    # The form comes back filled in, so nothing the user typed is lost.
    assert "Материал при сбое" in page
    assert count(Material) == 0 and count(StoredFile) == 0

    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.get_json()
    assert "storage" in body["failing"] and "database" not in body["failing"]
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["storage"]["error"]

    s3.start()
    assert client.get("/healthz").status_code == 200
    # The same upload now succeeds: the outage left no state behind.
    response = upload(client, docx_bytes("Пока хранилище лежит"))
    assert response.status_code == 302
    file = db.session.execute(select(StoredFile)).scalar_one()
    assert get_store().exists(file.storage_key)
    assert list(get_store().iter_keys()) == [file.storage_key]


def test_download_while_the_store_is_down_answers_503_and_is_not_counted(
    s3: S3Server, app, client, methodist, teacher
):
    content = docx_bytes("Скачать при сбое")
    material = make_material(methodist, content=content)
    file_id = material.files[0].id
    login(client, teacher)
    mode, app.config["S3_DOWNLOAD_MODE"] = app.config["S3_DOWNLOAD_MODE"], "stream"
    try:
        s3.stop()
        response = client.get(f"/files/{file_id}/download")
        assert response.status_code == 503
        assert "Хранилище недоступно" in response.get_data(as_text=True)
        s3.start()
        response = client.get(f"/files/{file_id}/download")
        assert response.status_code == 200 and response.data == content
    finally:
        app.config["S3_DOWNLOAD_MODE"] = mode
    db.session.refresh(material)
    assert material.download_count == 1
    assert count(AccessEvent, AccessEvent.kind == "file_download") == 1


# --- (b) a crash between writing the object and committing the row -------------------


class CommitFault:
    """Makes the next commit of the database session fail, as a dropped connection would."""

    def __init__(self) -> None:
        self.armed = False
        self.fired = 0

    def arm(self) -> None:
        self.armed = True


@pytest.fixture
def commit_fault(monkeypatch: pytest.MonkeyPatch) -> CommitFault:
    session_class = type(db.session())
    real_commit = session_class.commit
    fault = CommitFault()

    def commit(self):  # type: ignore[no-untyped-def]
        if fault.armed:
            fault.armed = False
            fault.fired += 1
            raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))
        return real_commit(self)

    monkeypatch.setattr(session_class, "commit", commit)
    return fault


def test_a_failed_commit_leaves_only_an_orphan_that_storage_check_removes(
    runner, methodist, commit_fault
):
    kept = make_material(methodist, title="Сохранённый", content=docx_bytes("сохранён"))
    kept_key = kept.files[0].storage_key
    commit_fault.arm()

    content = docx_bytes("Потерянный при сбое коммита")
    with pytest.raises(OperationalError):
        materials.create_material(
            materials.MaterialData(title="Не сохранится", material_type="lesson_plan"),
            [materials.upload_from_bytes(content, "сбой.docx")],
            methodist,
            action="publish",
        )
    assert commit_fault.fired == 1
    # No row: the transaction was rolled back, the session is usable again.
    assert count(Material) == 1 and count(StoredFile) == 1
    # Bytes first: the object was written before the commit failed.
    store = get_store()
    orphan = next(key for key in store.iter_keys() if key != kept_key)
    with store.open(orphan) as stream:
        assert stream.read() == content

    # Young: it may belong to an upload still committing, so it is listed, never removed.
    result = runner.invoke(args=["storage-check", "--fix"])
    assert f"без строки в базе (моложе часа, не трогаем): {orphan}" in result.output
    assert "Удалено объектов-сирот: 0." in result.output
    assert result.exit_code == 0, result.output
    assert store.exists(orphan)

    # Old: an orphan to remove; the referenced object, just as old, stays.
    make_old(store, orphan)
    make_old(store, kept_key)
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1
    assert f"без строки в базе: {orphan}" in result.output
    assert kept_key not in result.output
    result = runner.invoke(args=["storage-check", "--fix"])
    assert result.exit_code == 0, result.output
    assert f"без строки в базе: {orphan} — удалён" in result.output
    assert "Удалено объектов-сирот: 1." in result.output
    assert list(store.iter_keys()) == [kept_key]
    assert runner.invoke(args=["storage-check"]).exit_code == 0


def test_a_failed_flush_writes_no_row_either(methodist):
    """A failure before the commit (an INSERT refused) behaves the same way."""
    from sqlalchemy import event

    content = docx_bytes("не записан")
    session = db.session()

    def refuse(*_args):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, ConnectionError("disk full"))

    event.listen(session, "before_flush", refuse)
    try:
        with pytest.raises(OperationalError):
            make_material(methodist, content=content)
    finally:
        event.remove(session, "before_flush", refuse)
    db.session.rollback()
    assert count(Material) == 0 and count(StoredFile) == 0
    (orphan,) = get_store().iter_keys()
    with get_store().open(orphan) as stream:
        assert stream.read() == content


# --- (c) two uploads of the same file at the same moment ------------------------------


def test_two_concurrent_uploads_of_the_same_file(app, client, methodist, teacher, monkeypatch):
    content = docx_bytes("Один и тот же файл от двух методистов")
    store = get_store()
    # Both uploads must have spooled their bytes before either makes them an object.
    barrier = threading.Barrier(2, timeout=15)
    real_commit = store._commit

    def commit_together(*args, **kwargs):  # type: ignore[no-untyped-def]
        barrier.wait()
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(store, "_commit", commit_together)
    actor_id = methodist.id
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(title: str) -> None:
        try:
            with app.app_context():
                actor = db.session.get(User, actor_id)
                material = materials.create_material(
                    materials.MaterialData(title=title, material_type="lesson_plan"),
                    [materials.upload_from_bytes(content, f"{title}.docx")],
                    actor,
                    action="publish",
                )
                results[title] = material.files[0].id
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("Первый", "Второй")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    monkeypatch.undo()

    assert count(Material) == 2
    rows = db.session.execute(select(StoredFile).order_by(StoredFile.id)).scalars().all()
    assert len(rows) == 2 and rows[0].storage_key == rows[1].storage_key
    assert list(store.iter_keys()) == [rows[0].storage_key]
    assert list(Path(store.root, ".tmp").iterdir()) == []  # no spool left behind
    login(client, teacher)
    assert len(results) == 2
    for file_id in results.values():
        response = client.get(f"/files/{file_id}/download")
        assert response.status_code == 200
        assert response.data == content


# --- (d) the bytes have vanished from under a row ---------------------------------------


def test_download_of_vanished_bytes_is_a_404_page(client, methodist, teacher):
    material = make_material(methodist, content=docx_bytes("исчезнет"))
    file = material.files[0]
    get_store().delete(file.storage_key)
    login(client, teacher)
    for url in (f"/files/{file.id}/download", f"/files/{file.id}/view"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Страница не найдена" in response.get_data(as_text=True)
    # The material page itself still opens.
    assert client.get(f"/materials/{material.id}").status_code == 200
    db.session.refresh(material)
    assert material.download_count == 0
    assert count(AccessEvent, AccessEvent.kind == "file_download") == 0
