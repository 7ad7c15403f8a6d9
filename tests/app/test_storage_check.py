"""``flask storage-check``: the file store checked against the database, the source of truth."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import consistency
from app.core.storage import get_store
from app.extensions import db
from app.materials import services as materials
from app.materials.models import StoredFile
from content_store import FilesystemStore, Store
from tests.factories import docx_bytes, make_course, make_material, make_user, pdf_bytes

TWO_HOURS = 2 * 60 * 60


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def backdate(store: Store, key: str, seconds: float = TWO_HOURS) -> None:
    path = store.local_path(key)
    assert path is not None
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.fixture
def methodist():  # type: ignore[no-untyped-def]
    return make_user(Role.METHODIST, email="metod@imc.ru")


def test_clean_state_exits_0(runner, methodist):
    make_material(methodist, title="Первый", content=docx_bytes("первый"))
    make_material(methodist, title="Второй", content=pdf_bytes(), filename="план.pdf")
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0, result.output
    assert "Объектов в хранилище: 2; строк файлов в базе: 2" in result.output
    assert "Ссылок на отсутствующие или повреждённые файлы нет." in result.output


def test_empty_store_and_database_are_consistent(runner):
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0, result.output
    assert "Объектов в хранилище: 0; строк файлов в базе: 0" in result.output


def test_old_orphan_is_listed_then_removed_with_fix(runner, methodist):
    kept = make_material(methodist, content=docx_bytes("на месте"))
    kept_key = kept.files[0].storage_key
    store = get_store()
    orphan = store.put(io.BytesIO(b"bytes nobody references"), "text/plain").key
    backdate(store, orphan)
    backdate(store, kept_key)

    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1
    assert f"  без строки в базе: {orphan}\n" in result.output
    assert "удалён" not in result.output and store.exists(orphan)

    result = runner.invoke(args=["storage-check", "--fix"])
    assert result.exit_code == 0, result.output
    assert f"без строки в базе: {orphan} — удалён" in result.output
    assert "Удалено объектов-сирот: 1." in result.output
    assert not store.exists(orphan)
    assert list(store.iter_keys()) == [kept_key]

    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0 and "без строки" not in result.output


def test_young_orphan_is_listed_but_spared(runner):
    store = get_store()
    orphan = store.put(io.BytesIO(b"an upload still committing"), "text/plain").key
    backdate(store, orphan, seconds=50 * 60)
    result = runner.invoke(args=["storage-check", "--fix"])
    assert result.exit_code == 0, result.output
    assert f"без строки в базе (моложе часа, не трогаем): {orphan}" in result.output
    assert "Удалено объектов-сирот: 0." in result.output
    assert store.exists(orphan)


def test_missing_bytes_are_reported_and_not_fixed(runner, methodist):
    material = make_material(methodist, content=docx_bytes("пропадёт"))
    file = material.files[0]
    get_store().delete(file.storage_key)
    for args in (["storage-check"], ["storage-check", "--fix"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, result.output
        assert f"НЕТ БАЙТОВ: файл id={file.id} ссылается на {file.storage_key}" in result.output
        assert "Ссылок на отсутствующие" not in result.output
    # --fix never "repairs" the database by dropping rows.
    assert count(StoredFile) == 1
    db.session.refresh(file)
    assert file.storage_key and file.is_current


def test_every_row_sharing_missing_bytes_is_named(runner, methodist):
    content = docx_bytes("общие байты")
    a = make_material(methodist, title="А", content=content)
    b = make_material(methodist, title="Б", content=content)
    get_store().delete(a.files[0].storage_key)
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1
    for file in (a.files[0], b.files[0]):
        assert f"НЕТ БАЙТОВ: файл id={file.id} " in result.output


def test_tampered_object_is_a_checksum_mismatch(runner, methodist):
    material = make_material(methodist, content=docx_bytes("испортят"))
    file = material.files[0]
    path = Path(get_store().local_path(file.storage_key) or "")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    path.write_bytes(bytes(data))

    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1, result.output
    assert f"КОНТРОЛЬНАЯ СУММА НЕ СОВПАДАЕТ: файл id={file.id}, {file.storage_key}" in result.output
    # --fix does not touch damaged bytes either: they are referenced.
    result = runner.invoke(args=["storage-check", "--fix"])
    assert result.exit_code == 1 and "КОНТРОЛЬНАЯ СУММА" in result.output
    assert path.read_bytes() == bytes(data)
    # --no-verify skips re-hashing, so it cannot see the damage.
    result = runner.invoke(args=["storage-check", "--no-verify"])
    assert result.exit_code == 0, result.output


def test_fix_spares_an_orphan_referenced_during_the_scan(methodist, monkeypatch):
    """An upload may commit a row for an old orphan's bytes between scan and delete."""
    content = docx_bytes("возрождённый сирота")
    store = get_store()
    orphan = store.put(io.BytesIO(content), "application/octet-stream").key
    backdate(store, orphan)
    real_iter = store.iter_objects

    def scan_then_upload() -> Iterator:  # type: ignore[type-arg]
        yield from list(real_iter())
        make_material(methodist, title="Тот же файл", content=content)

    monkeypatch.setattr(store, "iter_objects", scan_then_upload)
    report = consistency.check_storage(fix=True)
    assert report.orphans == [orphan] and report.removed == []
    assert store.exists(orphan)
    assert db.session.execute(select(StoredFile.storage_key)).scalar_one() == orphan


def _orphan_then(upload_during_scan, monkeypatch):  # type: ignore[no-untyped-def]
    """An old orphan; the store's listing runs ``upload_during_scan`` after it is read."""
    store = get_store()
    content = pdf_bytes("Reused upload")
    orphan = store.put(io.BytesIO(content), "application/octet-stream").key
    backdate(store, orphan)
    real_iter = store.iter_objects

    def scan_then_upload() -> Iterator:  # type: ignore[type-arg]
        yield from list(real_iter())
        upload_during_scan(content)

    monkeypatch.setattr(store, "iter_objects", scan_then_upload)
    return store, orphan


def test_fix_spares_an_orphan_that_a_module_file_took_during_the_scan(methodist, monkeypatch):
    from app.courses import authoring
    from app.courses.models import ModuleFile

    course = make_course(methodist, modules=("opened",), publish=False)
    module = course.modules[0]

    def attach(content: bytes) -> None:
        upload = materials.upload_from_bytes(content, "раздаточный материал.pdf")
        authoring.add_module_file(module, upload, methodist)

    store, orphan = _orphan_then(attach, monkeypatch)
    report = consistency.check_storage(fix=True)
    assert report.orphans == [orphan] and report.removed == []
    assert store.exists(orphan)
    assert db.session.execute(select(ModuleFile.storage_key)).scalar_one() == orphan


def test_fix_spares_an_orphan_that_a_training_scan_took_during_the_scan(monkeypatch):
    from datetime import date

    from app.training import records
    from app.training.models import ExternalTraining
    from app.training.validation import TrainingData

    teacher = make_user(Role.TEACHER, email="pedagog@school.ru")

    def record(content: bytes) -> None:
        data = TrainingData(
            provider="ГАУ ДПО «Институт развития образования»",
            programme="Формирование функциональной грамотности",
            hours=72,
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 20),
            document_type="удостоверение о повышении квалификации",
            document_number="772700012345",
        )
        scan = materials.upload_from_bytes(content, "удостоверение.pdf")
        records.record_training(teacher, data, scan, teacher)

    store, orphan = _orphan_then(record, monkeypatch)
    report = consistency.check_storage(fix=True)
    assert report.orphans == [orphan] and report.removed == []
    assert store.exists(orphan)
    assert db.session.execute(select(ExternalTraining.scan_key)).scalar_one() == orphan


def test_fix_purges_old_upload_leftovers(runner):
    store = get_store()
    assert isinstance(store, FilesystemStore)
    tmp = Path(store.root, ".tmp")
    old = tmp / "0123456789abcdef0123456789abcdef.part"
    fresh = tmp / "fedcba9876543210fedcba9876543210.part"
    old.write_bytes(b"half an upload from a crashed worker")
    fresh.write_bytes(b"an upload in progress")
    past = time.time() - TWO_HOURS
    os.utime(old, (past, past))
    try:
        result = runner.invoke(args=["storage-check", "--fix"])
        assert result.exit_code == 0, result.output
        assert not old.exists() and fresh.exists()
    finally:
        fresh.unlink(missing_ok=True)
        old.unlink(missing_ok=True)


def test_unreachable_store_is_a_clear_error(app: Flask, runner, tmp_path):
    gone = FilesystemStore(tmp_path / "disk")
    (tmp_path / "disk" / ".tmp").rmdir()
    (tmp_path / "disk").rmdir()
    original = app.extensions["content_store"]
    app.extensions["content_store"] = gone
    try:
        result = runner.invoke(args=["storage-check"])
    finally:
        app.extensions["content_store"] = original
    assert result.exit_code == 1
    assert "Хранилище недоступно" in result.output
    assert "Traceback" not in result.output


def test_deleting_a_draft_leaves_its_bytes_as_an_orphan(methodist):
    material = make_material(methodist, content=docx_bytes("для отчёта"), action="draft")
    key = material.files[0].storage_key
    report = consistency.check_storage()
    assert report.ok and (report.objects, report.rows) == (1, 1)
    materials.delete_material(material, methodist)
    report = consistency.check_storage()
    assert not report.ok and report.young_orphans == [key] and report.rows == 0


def test_module_files_and_training_scans_are_references_not_orphans(app, runner):
    """Bytes behind module files and external-training scans must survive --fix."""
    import os
    import time
    from datetime import date

    from app.accounts.models import Role
    from app.core.storage import get_store
    from app.courses import authoring as course_service
    from app.materials import services as material_service
    from app.training.models import ExternalTraining
    from tests.factories import make_course, make_user, pdf_bytes

    methodist = make_user(Role.METHODIST, email="scan-m@school.ru")
    teacher = make_user(email="scan-t@school.ru")
    course = make_course(methodist, publish=False)
    module_file = course_service.add_module_file(
        course.modules[0],
        material_service.upload_from_bytes(pdf_bytes("module"), "m.pdf"),
        methodist,
    )
    (scan,) = material_service.store_uploads(
        [material_service.upload_from_bytes(pdf_bytes("scan"), "s.pdf")]
    )
    db.session.add(
        ExternalTraining(
            user_id=teacher.id,
            provider="ИРО",
            programme="П",
            hours=36,
            ends_on=date(2026, 1, 1),
            scan_key=scan.obj.key,
        )
    )
    db.session.commit()
    store = get_store()
    old = time.time() - 3 * 3600
    for key in (module_file.storage_key, scan.obj.key):
        os.utime(store.local_path(key), (old, old))
    result = runner.invoke(args=["storage-check", "--fix"])
    assert result.exit_code == 0, result.output
    assert store.exists(module_file.storage_key) and store.exists(scan.obj.key)
