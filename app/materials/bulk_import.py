"""Bringing in a folder of files a methodical office already keeps on a shared drive.

Every supported file becomes a material; sub-folders become collections; a
manifest CSV may give each file's metadata. A file whose bytes are already in
the bank is skipped, so running the import again imports nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import permissions
from app.accounts import directory
from app.accounts.models import User
from app.core.errors import ValidationError
from app.core.unit_of_work import check, transaction
from app.extensions import db
from app.materials import collections, file_types
from app.materials import services as materials
from app.materials.labels import level_labels, material_type_labels
from app.materials.models import EducationLevel, MaterialType, StoredFile

MANIFEST_COLUMNS = {
    "file": ("файл", "file", "имя файла"),
    "title": ("название", "title"),
    "type": ("вид", "тип", "вид материала", "type"),
    "subjects": ("предметы", "предмет", "subjects"),
    "levels": ("уровни", "уровень", "уровни образования", "levels"),
    "authors": ("авторы", "автор", "authors"),
    "year": ("год", "year"),
    "keywords": ("ключевые слова", "keywords"),
    "annotation": ("аннотация", "annotation"),
    "organization": ("организация", "organization"),
}
TYPE_HINTS = [
    ("конспект", MaterialType.LESSON_PLAN),
    ("рекомендац", MaterialType.RECOMMENDATIONS),
    ("рабочая программа", MaterialType.WORK_PROGRAM),
    ("программа", MaterialType.WORK_PROGRAM),
    ("презентац", MaterialType.PRESENTATION),
    ("учебник", MaterialType.TEXTBOOK),
    ("опыт", MaterialType.EXPERIENCE),
    ("сборник", MaterialType.EXPERIENCE),
    ("положение", MaterialType.NORMATIVE),
    ("приказ", MaterialType.NORMATIVE),
    ("разработк", MaterialType.DEVELOPMENT),
]
KIND_TYPES = {"pptx": MaterialType.PRESENTATION, "ppt": MaterialType.PRESENTATION,
              "odp": MaterialType.PRESENTATION, "mp4": MaterialType.VIDEO}  # fmt: skip
GRADE = re.compile(r"(\d{1,2})\s*(?:-?\s*(?:й|ый|ой))?\s*класс", re.IGNORECASE)
YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


@dataclass
class ImportReport:
    imported: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unsupported: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ZipLimits:
    max_entries: int = 2000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ZipLimits:
        return cls(max_total_bytes=max(config["UPLOAD_MAX_BYTES"] * 5, 100 * 1024 * 1024))


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold().replace("ё", "е")


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """Rows of the manifest by file (relative path and bare name both match)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ValidationError(_("Файл описи пуст."))
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        for column, names in MANIFEST_COLUMNS.items():
            if _fold(title) in names:
                positions.setdefault(column, index)
    if "file" not in positions:
        raise ValidationError(_("В описи нет столбца «файл»."))
    rows: dict[str, dict[str, str]] = {}
    for cells in reader:
        row = {c: (cells[i].strip() if i < len(cells) else "") for c, i in positions.items()}
        if row["file"]:
            rows[_fold(row["file"].replace("\\", "/"))] = row
    return rows


def _guess_type(title: str, kind: str) -> str:
    folded = _fold(title)
    for hint, material_type in TYPE_HINTS:
        if hint in folded:
            return material_type
    return KIND_TYPES.get(kind, MaterialType.OTHER)


def _match_labels(value: str, labels: dict[str, str]) -> list[str]:
    by_label = {_fold(label): code for code, label in labels.items()}
    found = []
    for part in re.split(r"[;,]", value):
        key = _fold(part)
        if key in labels:
            found.append(key)
        elif key in by_label:
            found.append(by_label[key])
    return found


def _levels_from_title(title: str) -> list[str]:
    levels = []
    for grade in (int(m) for m in GRADE.findall(title)):
        if 1 <= grade <= 4:
            levels.append(EducationLevel.PRIMARY)
        elif 5 <= grade <= 9:
            levels.append(EducationLevel.BASIC)
        elif 10 <= grade <= 11:
            levels.append(EducationLevel.SECONDARY)
    return levels


def _metadata(rel: str, kind: str, row: dict[str, str] | None) -> materials.MaterialData:
    stem = PurePosixPath(rel).stem
    guessed_title = " ".join(re.sub(r"[_]+", " ", stem).split())
    row = row or {}
    title = row.get("title") or guessed_title
    subjects_by_name = {_fold(s.name): s for s in directory.list_subjects()}
    subject_ids = [
        subjects_by_name[_fold(name)].id
        for name in re.split(r"[;,]", row.get("subjects", ""))
        if _fold(name) in subjects_by_name
    ]
    if not row.get("subjects"):
        folded_title = _fold(title)
        subject_ids = [s.id for key, s in subjects_by_name.items() if key in folded_title]
    material_type = (_match_labels(row.get("type", ""), material_type_labels()) or [None])[0]
    levels = _match_labels(row.get("levels", ""), level_labels()) or _levels_from_title(title)
    year_text = row.get("year", "") or " ".join(YEAR.findall(stem))[:4]
    organization = directory.organization_lookup().get(_fold(row.get("organization", "")))
    return materials.MaterialData(
        title=title,
        material_type=material_type or _guess_type(title, kind),
        annotation=row.get("annotation", ""),
        subject_ids=subject_ids,
        levels=levels,
        keywords=row.get("keywords", ""),
        authors=row.get("authors", ""),
        organization_id=organization.id if organization else None,
        year=int(year_text) if year_text.isdigit() else None,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _already_imported(sha256: str) -> bool:
    return (
        db.session.execute(
            select(StoredFile.id).where(StoredFile.sha256 == sha256).limit(1)
        ).first()
        is not None
    )


def list_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.startswith((".", "~$"))
    )  # fmt: skip


def import_folder(
    folder: Path,
    actor: User,
    *,
    manifest: Path | None = None,
    publish: bool = False,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Each file is its own unit of work: a bad file is reported and the rest go on."""
    check(permissions.can_import_materials(actor))
    if not folder.is_dir():
        raise ValidationError(_("Папка %(path)s не найдена.", path=str(folder)))
    rows = read_manifest(manifest) if manifest else {}
    report = ImportReport()
    for path in list_files(folder):
        if on_file:
            on_file(path)
        rel = path.relative_to(folder).as_posix()
        if manifest is not None and path.resolve() == manifest.resolve():
            continue
        try:
            with path.open("rb") as fh:
                head = fh.read(materials.HEAD_BYTES)
            kind = file_types.detect_kind(head, path.name, path=str(path))
        except file_types.UnsupportedFile as exc:
            report.unsupported.append((rel, str(exc)))
            continue
        if _already_imported(_sha256(path)):
            report.skipped.append(rel)
            continue
        row = rows.get(_fold(rel)) or rows.get(_fold(path.name))
        parent = PurePosixPath(rel).parent
        try:
            with transaction(), path.open("rb") as fh:
                data = _metadata(rel, kind.code, row)
                if str(parent) != ".":
                    data.collection_ids = [collections.get_or_create(parent.parts[0], actor).id]
                material = materials.create_material(
                    data,
                    [materials.Upload(fh, path.name, str(path))],
                    actor,
                    action="publish" if publish else "draft",
                )
        except ValidationError as exc:  # rolled back by its unit; the next file goes on
            report.failed.append((rel, str(exc)))
            continue
        report.imported.append((rel, material.id))
    return report


def _entry_name(info: zipfile.ZipInfo) -> str:
    """ZIPs made on Russian Windows store names in CP866 without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("cp866")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def extract_zip(stream: IO[bytes], target: Path, limits: ZipLimits) -> None:
    """Extract safely: bounded count and size, no path leaving ``target``, no links."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise ValidationError(_("Файл не является архивом ZIP."), "file") from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_entries:
            raise ValidationError(_("В архиве больше %(n)d файлов.", n=limits.max_entries), "file")
        total = sum(i.file_size for i in infos)
        if total > limits.max_total_bytes:
            raise ValidationError(_("Архив слишком велик после распаковки."), "file")
        root = target.resolve()
        for info in infos:
            name = _entry_name(info)
            parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".")]
            if not parts or ".." in parts or name.startswith("/") or ":" in parts[0]:
                raise ValidationError(_("В архиве есть недопустимый путь: %(n)s", n=name), "file")
            if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                raise ValidationError(_("Архив похож на «zip-бомбу»."), "file")
            destination = root.joinpath(*parts)
            if not destination.resolve().is_relative_to(root):
                raise ValidationError(_("В архиве есть недопустимый путь: %(n)s", n=name), "file")
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                _copy_entry(archive, info, destination)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
                # Damaged entries, passwords and compression methods Python lacks (Deflate64).
                raise ValidationError(
                    _("Архив повреждён, защищён паролем или сжат неподдерживаемым способом."),
                    "file",
                ) from exc


def _copy_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path) -> None:
    written = 0
    with archive.open(info) as source, destination.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            written += len(chunk)
            if written > info.file_size:
                raise ValidationError(_("Архив повреждён."), "file")
            out.write(chunk)


def import_zip(stream: IO[bytes], actor: User, *, publish: bool, limits: ZipLimits) -> ImportReport:
    check(permissions.can_import_materials(actor))
    workdir = Path(tempfile.mkdtemp(prefix="zip-import-"))
    try:
        extract_zip(stream, workdir, limits)
        manifest = next(
            (p for p in workdir.rglob("*.csv") if _fold(p.stem) in ("опись", "manifest")), None
        )
        return import_folder(workdir, actor, manifest=manifest, publish=publish)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def find_actor(email: str | None) -> User:
    from app.accounts.models import Role

    query = select(User).where(User.is_active_flag.is_(True))
    if email:
        query = query.where(User.email == email.strip().lower())
    else:
        query = query.where(User.role.in_([Role.METHODIST, Role.ADMIN])).order_by(User.id)
    user = db.session.execute(query.limit(1)).scalar_one_or_none()
    if user is None:
        raise ValidationError(
            _("Пользователь %(email)s не найден.", email=email)
            if email
            else _("Нет ни одного методиста или администратора: укажите --by EMAIL.")
        )
    if not permissions.can_import_materials(user):
        raise ValidationError(_("Импортировать материалы может только методист или администратор."))
    return user
