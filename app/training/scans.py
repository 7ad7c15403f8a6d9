"""Scans of training documents: accepted by their content, only as PDF, JPG or PNG.

Bytes first, row second: ``store_scan`` writes the bytes (their checksum known)
and returns the row's scan fields; the caller commits the row that points at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import NotFound, StorageFailure, ValidationError
from app.materials import file_types
from app.materials import services as materials
from app.materials.files import BytesRef
from app.materials.services import Upload
from app.training.models import ExternalTraining

SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
SCAN_KINDS = ("pdf", "jpg", "png")
SCAN_MAX_MB_DEFAULT = 20


def scan_format_message() -> str:
    return _("Скан должен быть в формате PDF, JPG или PNG.")


def _scan_limit() -> int:
    return int(current_app.config.get("TRAINING_SCAN_MAX_BYTES", SCAN_MAX_MB_DEFAULT * 1024 * 1024))


def store_scan(upload: Upload) -> dict[str, Any]:
    """Check that the upload is a PDF, JPG or PNG by content, write it; the row's scan fields."""
    name = file_types.safe_filename(upload.filename or "")
    if Path(name).suffix.lower() not in SCAN_EXTENSIONS:
        raise ValidationError(scan_format_message(), "scan")
    stream = upload.stream
    if not stream.seekable():
        raise ValidationError(_("Файл не удалось прочитать."), "scan")
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise ValidationError(_("Файл скана пуст."), "scan")
    limit = _scan_limit()
    if size > limit:
        raise ValidationError(
            _("Скан больше допустимых %(mb)d МБ.", mb=limit // (1024 * 1024)), "scan"
        )
    head = stream.read(file_types.HEAD_SIZE)
    stream.seek(0)
    try:
        kind = file_types.detect_kind(head, name, path=upload.local_path)
    except file_types.UnsupportedFile as exc:
        raise ValidationError(f"{exc} {scan_format_message()}", "scan") from exc
    if kind.code not in SCAN_KINDS:
        raise ValidationError(scan_format_message(), "scan")
    try:
        (stored,) = materials.store_uploads([upload])
    except StorageFailure:
        raise  # shown above the form, with its 503
    except ValidationError as exc:
        raise ValidationError(str(exc), "scan") from exc
    if Path(name).suffix.lower() not in kind.extensions:
        name = f"{Path(name).stem}{kind.extensions[0]}"  # a PNG sent as ".pdf" is served as PNG
    return {
        "scan_key": stored.obj.key,
        "scan_name": name[:255],
        "scan_kind": kind.code,
        "scan_content_type": kind.mime,
        "scan_size": stored.obj.size,
        "scan_sha256": stored.obj.sha256,
    }


def scan_file(record: ExternalTraining) -> BytesRef:
    """The scan, as ``files.file_response`` serves it."""
    if not record.scan_key:
        raise NotFound()
    return BytesRef(
        storage_key=record.scan_key,
        sha256=record.scan_sha256,
        size=record.scan_size,
        kind=record.scan_kind,
        content_type=record.scan_content_type,
        original_name=record.scan_name or "скан",
    )
