"""Materials: creating, editing, versioning files, and the review lifecycle.

Bytes first, row second: every upload is written to the store (and its checksum
known) before the rows that reference it are committed. A failed commit leaves
at most an orphan object, which ``storage-check`` finds and removes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import permissions
from app.accounts.models import Organization, Subject, User
from app.core.errors import NotFound, PermissionDenied, StorageFailure, ValidationError
from app.core.models import utcnow
from app.core.storage import get_store
from app.core.unit_of_work import check, found, unit_of_work
from app.extensions import db
from app.materials import file_types
from app.materials.models import (
    Collection,
    EducationLevel,
    Material,
    MaterialStatus,
    MaterialType,
    Review,
    StoredFile,
)
from content_store import ObjectTooLarge, StorageError, StoredObject

HEAD_BYTES = 64 * 1024
MIN_YEAR, MAX_YEAR = 1950, 2100


@dataclass
class MaterialData:
    title: str
    material_type: str = MaterialType.OTHER
    annotation: str = ""
    subject_ids: Sequence[int] = ()
    levels: Sequence[str] = ()
    keywords: str = ""
    authors: str = ""
    organization_id: int | None = None
    year: int | None = None
    usage_terms: str = ""
    collection_ids: Sequence[int] = ()


@dataclass
class Upload:
    """A file as it arrives: a readable stream and the name the user gave it."""

    stream: BinaryIO
    filename: str
    local_path: str | None = None


@dataclass
class _Stored:
    obj: StoredObject
    kind: file_types.FileKind
    name: str


@dataclass
class ImportedFile:
    material: Material
    files: list[StoredFile] = field(default_factory=list)


def _clean_line(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def _validate(data: MaterialData) -> dict[str, object]:
    title = _clean_line(data.title, 500)
    if not title:
        raise ValidationError(_("Укажите название материала."), "title")
    if data.material_type not in set(MaterialType):
        raise ValidationError(_("Выберите вид материала из списка."), "material_type")
    levels = list(dict.fromkeys(data.levels))
    if any(level not in set(EducationLevel) for level in levels):
        raise ValidationError(_("Неизвестный уровень образования."), "levels")
    if data.year is not None and not MIN_YEAR <= data.year <= MAX_YEAR:
        raise ValidationError(
            _("Год должен быть от %(a)d до %(b)d.", a=MIN_YEAR, b=MAX_YEAR), "year"
        )
    subject_ids = list(dict.fromkeys(data.subject_ids))
    subjects = (
        list(db.session.execute(select(Subject).where(Subject.id.in_(subject_ids))).scalars())
        if subject_ids
        else []
    )
    if len(subjects) != len(subject_ids):
        raise ValidationError(_("Предмет не найден."), "subject_ids")
    collection_ids = list(dict.fromkeys(data.collection_ids))
    collections = (
        list(
            db.session.execute(
                select(Collection).where(Collection.id.in_(collection_ids))
            ).scalars()
        )
        if collection_ids
        else []
    )
    if len(collections) != len(collection_ids):
        raise ValidationError(_("Коллекция не найдена."), "collection_ids")
    organization = None
    if data.organization_id:
        organization = db.session.get(Organization, data.organization_id)
        if organization is None:
            raise ValidationError(_("Организация не найдена."), "organization_id")
    return {
        "title": title,
        "material_type": data.material_type,
        "annotation": (data.annotation or "").strip()[:20000],
        "subjects": subjects,
        "levels": levels,
        "keywords": _clean_line(data.keywords, 1000),
        "authors": _clean_line(data.authors, 1000),
        "organization": organization,
        "year": data.year,
        "usage_terms": _clean_line(data.usage_terms, 1000),
        "collections": collections,
    }


def _apply(material: Material, values: dict[str, object]) -> None:
    material.set_title(str(values["title"]))
    material.material_type = str(values["material_type"])
    material.annotation = str(values["annotation"])
    material.subjects = values["subjects"]  # type: ignore[assignment]
    material.levels = values["levels"]  # type: ignore[assignment]
    material.keywords = str(values["keywords"])
    material.authors = str(values["authors"])
    material.organization = values["organization"]  # type: ignore[assignment]
    material.year = values["year"]  # type: ignore[assignment]
    material.usage_terms = str(values["usage_terms"])
    material.collections = values["collections"]  # type: ignore[assignment]
    material.refresh_search_text()


def _read_head(upload: Upload) -> bytes:
    stream = upload.stream
    if not stream.seekable():
        raise ValidationError(_("Файл не удалось прочитать."))
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return head


def _detect(upload: Upload) -> tuple[file_types.FileKind, str]:
    name = file_types.safe_filename(upload.filename or "")
    try:
        kind = file_types.detect_kind(_read_head(upload), name, path=upload.local_path)
    except file_types.UnsupportedFile as exc:
        raise ValidationError(str(exc), "files") from exc
    return kind, name


def _store(upload: Upload, kind: file_types.FileKind, name: str) -> _Stored:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    upload.stream.seek(0)
    try:
        obj = get_store().put(upload.stream, kind.mime, max_size=limit)
    except ObjectTooLarge as exc:
        raise ValidationError(
            _(
                "Файл «%(name)s» больше допустимых %(mb)d МБ.",
                name=name,
                mb=limit // (1024 * 1024),
            ),
            "files",
        ) from exc
    except StorageError as exc:
        current_app.logger.warning("store refused an upload: %s", exc)
        raise StorageFailure(
            _("Хранилище файлов недоступно. Материал не сохранён; попробуйте позже.")
        ) from exc
    return _Stored(obj, kind, name)


def store_uploads(uploads: Sequence[Upload]) -> list[_Stored]:
    """Check every file's type first, then write the bytes; nothing is written for a bad set."""
    detected = [(upload, *_detect(upload)) for upload in uploads]
    return [_store(upload, kind, name) for upload, kind, name in detected]


def _file_row(stored: _Stored, actor: User | None) -> StoredFile:
    return StoredFile(
        storage_key=stored.obj.key,
        sha256=stored.obj.sha256,
        size=stored.obj.size,
        kind=stored.kind.code,
        content_type=stored.kind.mime,
        original_name=stored.name,
        uploaded_by=actor,
    )


def _record(material: Material, actor: User | None, to_status: str, comment: str = "") -> None:
    material.reviews.append(
        Review(actor=actor, from_status=material.status or "", to_status=to_status, comment=comment)
    )
    material.status = to_status
    if to_status == MaterialStatus.PUBLISHED:
        material.published_at = utcnow()
        material.review_comment = ""
    elif to_status == MaterialStatus.RETURNED:
        material.review_comment = comment


@unit_of_work()
def create_material(
    data: MaterialData,
    uploads: Sequence[Upload],
    actor: User,
    *,
    action: str = "draft",
    created_at: datetime | None = None,
) -> Material:
    """Create a material with its files. ``action``: draft, submit or publish."""
    check(permissions.can_upload_material(actor), _("Недостаточно прав для загрузки материалов."))
    if action == "publish":
        check(
            permissions.can_publish_directly(actor),
            _("Публиковать материалы может только методист."),
        )
    if action not in ("draft", "submit", "publish"):
        raise ValidationError(_("Неизвестное действие."))
    values = _validate(data)
    if not uploads:
        raise ValidationError(_("Приложите хотя бы один файл."), "files")
    stored = store_uploads(uploads)

    material = Material(uploaded_by=actor, status="", created_at=created_at or utcnow())
    _apply(material, values)
    if material.organization is None:
        material.organization = actor.organization
    for item in stored:
        material.files.append(_file_row(item, actor))
    _record(material, actor, MaterialStatus.DRAFT)
    if action == "submit":
        _record(material, actor, MaterialStatus.REVIEW)
    elif action == "publish":
        _record(material, actor, MaterialStatus.PUBLISHED)
    db.session.add(material)
    db.session.flush()
    for row in material.files:
        row.lineage_id = row.id
    return material


@unit_of_work()
def update_material(material: Material, data: MaterialData, actor: User) -> Material:
    _check_editable(actor, material)
    _apply(material, _validate(data))
    return material


def _check_editable(actor: User, material: Material) -> None:
    if not permissions.can_edit_material(actor, material):
        raise NotFound()


def file_of(material: Material, file_id: int) -> StoredFile:
    """A file of ``material`` by its id; any other file is ``NotFound``."""
    file = db.session.get(StoredFile, file_id)
    if file is None or file.material_id != material.id:
        raise NotFound()
    return file


@unit_of_work()
def add_files(material: Material, uploads: Sequence[Upload], actor: User) -> list[StoredFile]:
    _check_editable(actor, material)
    if not uploads:
        raise ValidationError(_("Выберите файл."), "files")
    rows = [_file_row(item, actor) for item in store_uploads(uploads)]
    material.files.extend(rows)
    db.session.flush()
    for row in rows:
        row.lineage_id = row.id
    return rows


@unit_of_work()
def replace_file(
    material: Material, file: StoredFile, upload: Upload | None, actor: User
) -> StoredFile:
    """A new version of ``file``; the earlier one stays, downloadable from the history."""
    _check_editable(actor, material)
    if file.material_id != material.id:
        raise NotFound()
    if upload is None:
        raise ValidationError(_("Выберите файл."), "files")
    if not file.is_current:
        raise ValidationError(_("Заменить можно только текущую версию файла."))
    (stored,) = store_uploads([upload])
    row = _file_row(stored, actor)
    row.lineage_id = file.lineage_id or file.id
    row.version = file.version + 1
    file.is_current = False
    file.superseded_at = utcnow()
    material.files.append(row)
    return row


@unit_of_work()
def remove_file(material: Material, file: StoredFile, actor: User) -> None:
    """Retire a file (all its versions stay in the history); a material keeps at least one."""
    _check_editable(actor, material)
    if file.material_id != material.id:
        raise NotFound()
    if file.is_current and len(material.current_files) <= 1:
        raise ValidationError(_("У материала должен остаться хотя бы один файл."))
    file.is_current = False
    file.superseded_at = utcnow()


@unit_of_work()
def change_status(material: Material, actor: User, action: str, comment: str = "") -> Material:
    if not permissions.can_view_material(actor, material):
        raise NotFound()
    if not permissions.can_transition(actor, material, action):
        raise PermissionDenied(_("Это действие сейчас недоступно для материала."))
    comment = (comment or "").strip()[:5000]
    if action == "return" and not comment:
        raise ValidationError(_("Напишите автору, что нужно исправить."), "comment")
    if action == "publish" and not material.current_files:
        raise ValidationError(_("Нельзя опубликовать материал без файлов."))
    _record(material, actor, permissions.TRANSITIONS[action][1], comment)
    return material


@unit_of_work()
def delete_material(material: Material, actor: User) -> None:
    if not permissions.can_delete_material(actor, material):
        raise NotFound()
    db.session.delete(material)


def get_material(material_id: int, user: User) -> Material:
    material = found(db.session.get(Material, material_id))
    check(permissions.can_view_material(user, material))
    return material


def get_editable(material_id: int, user: User) -> Material:
    material = get_material(material_id, user)
    _check_editable(user, material)
    return material


def get_file(file_id: int, user: User) -> StoredFile:
    file = found(db.session.get(StoredFile, file_id))
    check(permissions.can_download_file(user, file))
    return file


def upload_from_bytes(content: bytes, filename: str) -> Upload:
    return Upload(io.BytesIO(content), filename)


EXPERIENCE_BANK_NAME = "Банк передового педагогического опыта"


@unit_of_work()
def experience_bank() -> Collection:
    """The bank of advanced pedagogical experience (made by a migration; recreated if lost)."""
    bank = db.session.execute(
        select(Collection).where(Collection.is_experience_bank.is_(True)).limit(1)
    ).scalar_one_or_none()
    if bank is None:
        bank = Collection(
            name=EXPERIENCE_BANK_NAME,
            description="Опыт работы педагогов округа, прошедший экспертизу.",
            is_experience_bank=True,
        )
        db.session.add(bank)
    return bank
