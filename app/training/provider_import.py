"""Providers' lists of graduates: a CSV or XLSX from an institute, checked row by row.

The preview writes nothing; applying writes every valid, new row in one transaction,
verified at once (the provider vouches for them), so a failure writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import permissions
from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.core import table_files
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, unit_of_work
from app.extensions import db
from app.training.models import ExternalTraining, TrainingStatus
from app.training.records import SOURCE_IMPORT
from app.training.validation import (
    TrainingData,
    clean_line,
    normalize_programme,
    problems,
    today,
)

IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("фио", "ф.и.о.", "ф. и. о.", "педагог", "слушатель", "full name", "name"),
    "email": ("e-mail", "email", "эл. почта", "электронная почта", "почта"),
    "programme": (
        "программа",
        "название программы",
        "наименование программы",
        "программа обучения",
        "programme",
    ),
    "provider": (
        "организация",
        "организация, проводившая обучение",
        "образовательная организация",
        "учреждение",
        "provider",
    ),
    "hours": ("часы", "часов", "кол-во часов", "количество часов", "объём", "объем", "hours"),
    "starts_on": ("дата начала", "начало", "начало обучения", "starts on"),
    "ends_on": ("дата окончания", "окончание", "окончание обучения", "дата завершения", "ends on"),
    "document_type": ("вид документа", "документ", "document type"),
    "document_number": (
        "номер документа",
        "номер",
        "регистрационный номер",
        "рег. номер",
        "document number",
    ),
}
REQUIRED_IMPORT_COLUMNS = ("programme", "provider", "hours", "ends_on")

_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


@dataclass
class ImportRow:
    line: int
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    action: str = "create"  # create | skip | error
    teacher: User | None = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportPreview(table_files.Preview):
    rows: list[ImportRow]


@dataclass
class ImportResult:
    created: int
    skipped: int
    errors: int


def _import_header(cells: Sequence[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(cells):
        key = table_files.cell(title).casefold().rstrip(":*").strip()
        for column, names in IMPORT_COLUMNS.items():
            if key in names and column not in positions:
                positions[column] = index
    missing = [IMPORT_COLUMNS[c][0] for c in REQUIRED_IMPORT_COLUMNS if c not in positions]
    if "name" not in positions and "email" not in positions:
        missing.insert(0, _("ФИО или e-mail"))
    if missing:
        raise ValidationError(
            _(
                "В первой строке файла нет обязательных столбцов: %(names)s. Ожидаются столбцы: "
                "ФИО или e-mail, программа, организация, часы, дата начала, дата окончания, "
                "вид документа, номер документа.",
                names=", ".join(missing),
            )
        )
    return positions


def read_import_rows(path: Path, max_rows: int) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of each data row; refuses files over ``max_rows``."""
    return table_files.read_table(path, max_rows, _import_header)


def parse_day(text: str) -> date | None:
    """``14.03.2025``, ``2025-03-14`` (and Excel's ``2025-03-14 00:00:00``), ``14.03.2025 г.``"""
    text = clean_line(text).removesuffix("г.").removesuffix("г").strip()
    if " " in text and text.split(" ", 1)[1].replace(":", "").isdigit():
        text = text.split(" ", 1)[0]  # a time of day, as XLSX date cells give it
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_hours(text: str) -> int | None:
    text = clean_line(text).replace(",", ".").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or value != int(value):
        return None
    return int(value)


def _name_key(name: str) -> str:
    return clean_line(name).casefold().replace("ё", "е")


def _names_of(user: User) -> set[str]:
    return {_name_key(user.full_name), _name_key(f"{user.last_name} {user.first_name}")}


class _Teachers:
    """Active teachers, looked up by e-mail or by exact full name."""

    def __init__(self) -> None:
        self.by_email: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = {}
        for user in db.session.execute(
            select(User).where(User.role == Role.TEACHER, User.is_active_flag.is_(True))
        ).scalars():
            self.by_email[user.email.lower()] = user
            self.by_name.setdefault(_name_key(user.full_name), []).append(user)

    def find(self, row: ImportRow) -> User | None:
        name, email = row.cells.get("name", ""), row.cells.get("email", "")
        if email:
            try:
                normalized = accounts.normalize_email(email)
            except ValidationError:
                row.errors.append(_("Некорректный e-mail «%(email)s».", email=email))
                return None
            user = self.by_email.get(normalized)
            if user is None:
                other = accounts.find_user_by_email(normalized)
                if other is not None and other.role != Role.TEACHER:
                    row.errors.append(
                        _("Пользователь с e-mail «%(email)s» — не педагог.", email=email)
                    )
                elif other is not None:
                    row.errors.append(_("Учётная запись «%(email)s» отключена.", email=email))
                else:
                    row.errors.append(_("Педагог с e-mail «%(email)s» не найден.", email=email))
                return None
            if name and _name_key(name) not in _names_of(user):
                row.errors.append(
                    _(
                        "E-mail «%(email)s» принадлежит педагогу %(who)s, "
                        "а в строке указано «%(name)s».",
                        email=email,
                        who=user.full_name,
                        name=name,
                    )
                )
                return None
            return user
        if not name:
            row.errors.append(_("Не указаны ни ФИО, ни e-mail педагога."))
            return None
        found = self.by_name.get(_name_key(name), [])
        if not found:
            row.errors.append(
                _("Педагог «%(name)s» не найден среди действующих педагогов.", name=name)
            )
            return None
        if len(found) > 1:
            row.errors.append(
                _(
                    "Найдено несколько педагогов с ФИО «%(name)s» (%(n)d) — укажите e-mail.",
                    name=name,
                    n=len(found),
                )
            )
            return None
        return found[0]


def _existing_keys(user_ids: set[int]) -> dict[tuple[int, str, date], str]:
    """(teacher, programme, end date) of every record of these teachers, with its status."""
    keys: dict[tuple[int, str, date], str] = {}
    ids = sorted(user_ids)
    for start in range(0, len(ids), 500):
        for user_id, programme, ends_on, status in db.session.execute(
            select(
                ExternalTraining.user_id,
                ExternalTraining.programme,
                ExternalTraining.ends_on,
                ExternalTraining.status,
            ).where(ExternalTraining.user_id.in_(ids[start : start + 500]))
        ):
            key = (user_id, normalize_programme(programme), ends_on)
            if keys.get(key) != TrainingStatus.VERIFIED:
                keys[key] = status
    return keys


def build_import_preview(path: Path, max_rows: int, on: date | None = None) -> ImportPreview:
    """Check every row: the teacher, hours, dates, duplicates; nothing is written."""
    on = on or today()
    teachers = _Teachers()
    rows: list[ImportRow] = []
    for line, cells in read_import_rows(path, max_rows):
        row = ImportRow(line, cells)
        row.teacher = teachers.find(row)
        hours = None
        if cells.get("hours"):
            hours = parse_hours(cells["hours"])
            if hours is None:
                row.errors.append(
                    _("Часы «%(v)s» — нужно целое число академических часов.", v=cells["hours"])
                )
        days: dict[str, date | None] = {}
        for column, label in (("starts_on", _("начала")), ("ends_on", _("окончания"))):
            days[column] = None
            if cells.get(column):
                days[column] = parse_day(cells[column])
                if days[column] is None:
                    row.errors.append(
                        _(
                            "Дата %(which)s «%(v)s» не распознана: ожидается ДД.ММ.ГГГГ.",
                            which=label,
                            v=cells[column],
                        )
                    )
        data = TrainingData(
            provider=cells.get("provider", ""),
            programme=cells.get("programme", ""),
            hours=hours,
            starts_on=days["starts_on"],
            ends_on=days["ends_on"],
            document_type=cells.get("document_type", ""),
            document_number=cells.get("document_number", ""),
        )
        values, found = problems(data, on)
        unparsed = {
            "hours": bool(cells.get("hours")) and hours is None,
            "starts_on": bool(cells.get("starts_on")) and days["starts_on"] is None,
            "ends_on": bool(cells.get("ends_on")) and days["ends_on"] is None,
        }
        # A value that did not parse is reported once, above, not again as "missing".
        row.errors.extend(message for name, message in found if not unparsed.get(name))
        row.values = values
        if row.errors:
            row.action = "error"
        rows.append(row)
    _mark_duplicates(rows)
    return ImportPreview(rows)


def _mark_duplicates(rows: list[ImportRow]) -> None:
    ready = [r for r in rows if r.action == "create" and r.teacher is not None]
    existing = _existing_keys({r.teacher.id for r in ready if r.teacher is not None})
    seen: dict[tuple[int, str, date], int] = {}
    for row in ready:
        assert row.teacher is not None
        key = (row.teacher.id, normalize_programme(row.values["programme"]), row.values["ends_on"])
        status = existing.get(key)
        if status == TrainingStatus.VERIFIED:
            row.action = "skip"
            row.notes.append(_("Уже учтено в реестре — строка будет пропущена."))
        elif key in seen:
            row.action = "skip"
            row.notes.append(_("Повторяет строку %(line)d — будет пропущена.", line=seen[key]))
        else:
            seen[key] = row.line
            if status is not None:
                row.notes.append(
                    _(
                        "У педагога есть такая же неподтверждённая запись: "
                        "после импорта верните её как дубликат."
                    )
                )


def preview_import(path: Path, max_rows: int, actor: User) -> ImportPreview:
    """The preview a methodist sees before applying the list."""
    check(permissions.can_verify_training(actor))
    try:
        return build_import_preview(path, max_rows)
    except ValidationError as error:
        # Whatever is wrong with the list is shown beside the file field of the form.
        raise ValidationError(str(error), "file") from error


@unit_of_work()
def apply_import(path: Path, max_rows: int, actor: User) -> ImportResult:
    """Write every valid, new row in one transaction (verified); any failure writes nothing."""
    check(permissions.can_verify_training(actor))
    preview = build_import_preview(path, max_rows)
    now = utcnow()
    for row in preview.to_create:
        assert row.teacher is not None
        db.session.add(
            ExternalTraining(
                user_id=row.teacher.id,
                **row.values,
                status=TrainingStatus.VERIFIED,
                source=SOURCE_IMPORT,
                created_by_id=actor.id,
                reviewed_by_id=actor.id,
                reviewed_at=now,
            )
        )
    return ImportResult(len(preview.to_create), len(preview.skipped), len(preview.with_errors))
