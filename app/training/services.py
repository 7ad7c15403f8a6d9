"""Professional development taken elsewhere: records, verification, attestation, providers' lists.

A teacher records a course finished at a regional institute or a ЦНППМ; it waits
for a methodist (``pending``), who verifies it or returns it with a comment. Only
verified records count in the three-year register. A methodist may also enter a
record for any teacher, or import a provider's list of graduates; both are verified
at once.

Bytes first, row second: a scan is written to the content store (its checksum
known) before the row that references it is committed. Scans are accepted by their
content, and only as PDF, JPG or PNG.

Every rule that depends on a record's current status is applied by a conditional
UPDATE/DELETE (``WHERE status IN …``), so a teacher's edit and a methodist's
verification that cross each other cannot leave verified data that nobody checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import permissions
from app.accounts import services as accounts
from app.accounts.models import Role, User
from app.core import table_files
from app.core.errors import NotFound, PermissionDenied, StorageFailure, ValidationError
from app.core.models import utcnow
from app.courses.learning import local_date
from app.extensions import db
from app.materials import file_types
from app.materials import services as materials
from app.materials.files import BytesRef
from app.materials.services import Upload
from app.training import register
from app.training.models import Attestation, AttestationCategory, ExternalTraining, TrainingStatus
from app.training.teacher_card import CardTraining, TeacherCardData

MIN_DAY = date(1990, 1, 1)
MAX_HOURS = 2000
LIMITS = {"provider": 500, "programme": 1000, "document_type": 200, "document_number": 100}
SCAN_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
SCAN_KINDS = ("pdf", "jpg", "png")
SCAN_MAX_MB_DEFAULT = 20
RETURN_COMMENT_MAX = 5000
ATTESTATION_YEARS = 5  # a category (and a conformity attestation) holds for five years
SOURCE_TEACHER, SOURCE_METHODIST, SOURCE_IMPORT = "teacher", "methodist", "import"


def today() -> date:
    """The local (Europe/Moscow by default) calendar date."""
    return local_date(utcnow())


def scan_format_message() -> str:
    return _("Скан должен быть в формате PDF, JPG или PNG.")


# --- validation --------------------------------------------------------------------------


@dataclass
class TrainingData:
    provider: str
    programme: str
    hours: int | None
    starts_on: date | None
    ends_on: date | None
    document_type: str = ""
    document_number: str = ""


class TrainingInvalid(ValidationError):
    """One or more fields are wrong; ``problems`` holds (field, message) for each of them."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


def _clean_line(value: str | None) -> str:
    return " ".join((value or "").split())


def normalize_programme(value: str) -> str:
    """The programme title as compared for duplicates: spacing, case, ё and quotes ignored."""
    text = _clean_line(value).casefold().replace("ё", "е")
    return re.sub(r"[«»\"'“”„]", "", text)


def problems(data: TrainingData, on: date) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Cleaned values and every problem found, each as (field, Russian message)."""
    found: list[tuple[str, str]] = []
    values: dict[str, Any] = {
        "provider": _clean_line(data.provider),
        "programme": _clean_line(data.programme),
        "document_type": _clean_line(data.document_type),
        "document_number": _clean_line(data.document_number),
        "hours": data.hours,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
    }
    if not values["provider"]:
        found.append(("provider", _("Укажите организацию, в которой проходило обучение.")))
    if not values["programme"]:
        found.append(("programme", _("Укажите название программы обучения.")))
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            found.append((name, _("Не длиннее %(n)d символов.", n=limit)))
    hours = data.hours
    if hours is None:
        found.append(("hours", _("Укажите объём обучения в академических часах.")))
    elif isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        found.append(
            (
                "hours",
                _(
                    "Объём обучения должен быть от 1 до %(max)d академических часов.",
                    max=MAX_HOURS,
                ),
            )
        )
    starts, ends = data.starts_on, data.ends_on
    if ends is None:
        found.append(("ends_on", _("Укажите дату окончания обучения.")))
    elif ends > on:
        found.append(
            (
                "ends_on",
                _(
                    "Дата окончания не может быть позже сегодняшнего дня: "
                    "внесите обучение, когда оно завершится."
                ),
            )
        )
    elif ends < MIN_DAY:
        found.append(("ends_on", _("Дата окончания не может быть раньше 1990 года.")))
    if starts is not None:
        if starts < MIN_DAY:
            found.append(("starts_on", _("Дата начала не может быть раньше 1990 года.")))
        elif starts > on:
            found.append(("starts_on", _("Дата начала не может быть позже сегодняшнего дня.")))
        elif ends is not None and starts > ends:
            found.append(("starts_on", _("Дата начала не может быть позже даты окончания.")))
    return values, found


def validate(data: TrainingData, on: date | None = None) -> dict[str, Any]:
    values, found = problems(data, on or today())
    if found:
        raise TrainingInvalid(found)
    return values


def _verified_duplicate(
    user_id: int, programme: str, ends_on: date, exclude_id: int | None = None
) -> ExternalTraining | None:
    """A verified record of the same teacher, programme and end date (the same training)."""
    query = select(ExternalTraining).where(
        ExternalTraining.user_id == user_id,
        ExternalTraining.ends_on == ends_on,
        ExternalTraining.status == TrainingStatus.VERIFIED,
    )
    if exclude_id is not None:
        query = query.where(ExternalTraining.id != exclude_id)
    key = normalize_programme(programme)
    for record in db.session.execute(query).scalars():
        if normalize_programme(record.programme) == key:
            return record
    return None


def _refuse_duplicate(user_id: int, programme: str, ends_on: date, exclude_id: int | None) -> None:
    if _verified_duplicate(user_id, programme, ends_on, exclude_id) is not None:
        raise ValidationError(
            _(
                "Это обучение уже учтено: есть подтверждённая запись с той же программой "
                "и датой окончания."
            ),
            "programme",
        )


# --- scans ---------------------------------------------------------------------------------


def _scan_limit() -> int:
    return int(current_app.config.get("TRAINING_SCAN_MAX_BYTES", SCAN_MAX_MB_DEFAULT * 1024 * 1024))


def _store_scan(upload: Upload) -> dict[str, Any]:
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
        raise
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


# --- records -------------------------------------------------------------------------------


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _changed_meanwhile() -> ValidationError:
    return ValidationError(
        _("Запись уже изменилась: её проверил методист или она удалена. Обновите страницу.")
    )


def _guarded_update(
    record: ExternalTraining, allowed: Iterable[str], values: dict[str, Any]
) -> None:
    result = db.session.execute(
        update(ExternalTraining)
        .where(ExternalTraining.id == record.id, ExternalTraining.status.in_(list(allowed)))
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise _changed_meanwhile()
    _commit()


def record_training(
    user: User, data: TrainingData, scan: Upload | None, actor: User
) -> ExternalTraining:
    """A teacher's own record (waits for a methodist) or a methodist's entry (verified at once)."""
    own = actor.id == user.id
    if own:
        if not permissions.can_record_own_training(actor):
            raise PermissionDenied(_("Вносить своё обучение может только педагог."))
    elif not permissions.can_verify_training(actor):
        raise NotFound()
    elif user.role != Role.TEACHER or not user.is_active:
        raise ValidationError(_("Обучение можно внести только действующему педагогу."))
    values = validate(data)
    _refuse_duplicate(user.id, values["programme"], values["ends_on"], None)
    if scan is not None:
        values.update(_store_scan(scan))
    record = ExternalTraining(user_id=user.id, created_by_id=actor.id, **values)
    if own:
        record.status, record.source = TrainingStatus.PENDING, SOURCE_TEACHER
    else:
        record.status, record.source = TrainingStatus.VERIFIED, SOURCE_METHODIST
        record.reviewed_by_id, record.reviewed_at = actor.id, utcnow()
    db.session.add(record)
    _commit()
    return record


def update_training(
    record: ExternalTraining, data: TrainingData, scan: Upload | None, actor: User
) -> ExternalTraining:
    """The teacher's edit re-submits the record (pending); a methodist's keeps its status."""
    if not permissions.can_edit_training(actor, record):
        raise NotFound()
    values = validate(data)
    _refuse_duplicate(record.user_id, values["programme"], values["ends_on"], record.id)
    if scan is not None:
        values.update(_store_scan(scan))
    if permissions.can_verify_training(actor):
        allowed: tuple[str, ...] = tuple(TrainingStatus)
    else:
        allowed = (TrainingStatus.PENDING, TrainingStatus.RETURNED)
        values.update(status=TrainingStatus.PENDING, reviewed_by_id=None, reviewed_at=None)
    _guarded_update(record, allowed, values)
    return record


def can_delete(user: User, record: ExternalTraining) -> bool:
    """Its teacher while it is not verified; a methodist always (the same as editing)."""
    return permissions.can_edit_training(user, record)


def delete_training(record: ExternalTraining, actor: User) -> None:
    """Remove the row; the scan's bytes stay (keys are shared by content) for the orphan sweep."""
    if not can_delete(actor, record):
        raise NotFound()
    statement = delete(ExternalTraining).where(ExternalTraining.id == record.id)
    if not permissions.can_verify_training(actor):
        statement = statement.where(
            ExternalTraining.status.in_([TrainingStatus.PENDING, TrainingStatus.RETURNED])
        )
    result = db.session.execute(statement.execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise _changed_meanwhile()
    _commit()


def verify(record: ExternalTraining, actor: User) -> ExternalTraining:
    if not permissions.can_verify_training(actor):
        raise NotFound()
    if record.status != TrainingStatus.PENDING:
        raise ValidationError(_("Подтвердить можно только запись, ожидающую проверки."))
    _refuse_duplicate(record.user_id, record.programme, record.ends_on, record.id)
    _guarded_update(
        record,
        (TrainingStatus.PENDING,),
        {
            "status": TrainingStatus.VERIFIED,
            "reviewed_by_id": actor.id,
            "reviewed_at": utcnow(),
            "review_comment": "",
        },
    )
    return record


def return_record(record: ExternalTraining, actor: User, comment: str) -> ExternalTraining:
    """Back to the teacher with a comment saying what to fix."""
    if not permissions.can_verify_training(actor):
        raise NotFound()
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Напишите педагогу, что нужно исправить."), "comment")
    if len(comment) > RETURN_COMMENT_MAX:
        raise ValidationError(
            _("Комментарий не длиннее %(n)d символов.", n=RETURN_COMMENT_MAX), "comment"
        )
    if record.status != TrainingStatus.PENDING:
        raise ValidationError(_("Вернуть можно только запись, ожидающую проверки."))
    _guarded_update(
        record,
        (TrainingStatus.PENDING,),
        {
            "status": TrainingStatus.RETURNED,
            "reviewed_by_id": actor.id,
            "reviewed_at": utcnow(),
            "review_comment": comment,
        },
    )
    return record


def get_record(record_id: int, user: User) -> ExternalTraining:
    record = db.session.get(ExternalTraining, record_id)
    if record is None or not permissions.can_view_training(user, record):
        raise NotFound()
    return record


def own_records(user: User) -> list[ExternalTraining]:
    return list(
        db.session.execute(
            select(ExternalTraining)
            .where(ExternalTraining.user_id == user.id)
            .order_by(ExternalTraining.ends_on.desc(), ExternalTraining.id.desc())
        ).scalars()
    )


QUEUE_VIEWS = ("open", "pending", "returned", "verified")


def queue_query(view: str = "open") -> Select[Any]:
    """Records for methodists: ``open`` is pending (oldest first) then returned ones."""
    query = select(ExternalTraining).options(
        joinedload(ExternalTraining.user).joinedload(User.organization)
    )
    if view == "verified":
        return query.where(ExternalTraining.status == TrainingStatus.VERIFIED).order_by(
            ExternalTraining.reviewed_at.desc().nulls_last(), ExternalTraining.id.desc()
        )
    if view in (TrainingStatus.PENDING, TrainingStatus.RETURNED):
        statuses = [view]
    else:
        statuses = [TrainingStatus.PENDING, TrainingStatus.RETURNED]
    pending_first = case((ExternalTraining.status == TrainingStatus.PENDING, 0), else_=1)
    return query.where(ExternalTraining.status.in_(statuses)).order_by(
        pending_first, ExternalTraining.created_at, ExternalTraining.id
    )


def pending_count() -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(ExternalTraining)
            .where(ExternalTraining.status == TrainingStatus.PENDING)
        ).scalar_one()
    )


def find_teachers(q: str, limit: int = 30) -> list[User]:
    """Active teachers whose name or e-mail contains every word of ``q``."""
    words = _clean_line(q).casefold().replace("ё", "е").split()[:5]
    if not words:
        return []
    query = (
        select(User)
        .options(joinedload(User.organization))
        .where(User.role == Role.TEACHER, User.is_active_flag.is_(True))
    )
    for word in words:
        query = query.where(User.search_text.contains(word, autoescape=True))
    return list(
        db.session.execute(
            query.order_by(User.last_name, User.first_name, User.id).limit(limit)
        ).scalars()
    )


def get_teacher(user_id: int, viewer: User) -> User:
    """A teacher whose card ``viewer`` may see (others: NotFound, so nothing leaks)."""
    teacher = db.session.get(User, user_id)
    if (
        teacher is None
        or teacher.role != Role.TEACHER
        or not permissions.can_view_teacher_card(viewer, teacher)
    ):
        raise NotFound()
    return teacher


# --- attestation ---------------------------------------------------------------------------


def attestation_of(user: User) -> Attestation | None:
    return db.session.get(Attestation, user.id)


def set_attestation(
    teacher: User,
    category: str,
    granted_on: date | None,
    actor: User,
    order_number: str = "",
) -> Attestation:
    """A teacher's current qualification category (methodists); ``""`` clears it."""
    if not permissions.can_verify_training(actor):
        raise NotFound()
    if teacher.role != Role.TEACHER:
        raise NotFound()
    if category not in set(AttestationCategory):
        raise ValidationError(_("Выберите категорию из списка."), "category")
    order_number = _clean_line(order_number)
    if len(order_number) > 100:
        raise ValidationError(_("Не длиннее %(n)d символов.", n=100), "order_number")
    if category == AttestationCategory.NONE:
        granted_on, order_number = None, ""
    elif granted_on is None:
        raise ValidationError(_("Укажите дату, с которой установлена категория."), "granted_on")
    elif granted_on > today():
        raise ValidationError(_("Дата не может быть позже сегодняшнего дня."), "granted_on")
    elif granted_on < MIN_DAY:
        raise ValidationError(_("Дата не может быть раньше 1990 года."), "granted_on")
    attestation = db.session.get(Attestation, teacher.id)
    if attestation is None:
        attestation = Attestation(user_id=teacher.id)
        db.session.add(attestation)
    attestation.category = category
    attestation.granted_on = granted_on
    attestation.order_number = order_number
    try:
        db.session.commit()
    except IntegrityError as exc:  # another methodist created it a moment ago
        db.session.rollback()
        raise ValidationError(_("Данные изменились, пока вы их вводили. Повторите.")) from exc
    return attestation


# --- the teacher's card ---------------------------------------------------------------------


def teacher_card(teacher: User, on: date | None = None) -> TeacherCardData:
    """Everything the personal card shows, as plain values (for the page and the PDF)."""
    on = on or today()
    thresholds = register.Thresholds.for_day(on)
    items = register.teacher_trainings(teacher)
    row = db.session.execute(
        register.register_select(register.RegisterFilters(), thresholds).where(
            User.id == teacher.id
        )
    ).first()
    if row is not None:
        reg = register.to_row(row)
        last, status = reg.last_day, reg.status
        hours_window, hours_year = reg.hours_window, reg.hours_year
    else:  # a deactivated teacher is outside the register; the same rules, applied here
        counted = [
            i for i in items if i["status"] == TrainingStatus.VERIFIED and i["ends_on"] <= on
        ]
        last = max((i["ends_on"] for i in counted), default=None)
        status = register.status_for(last, thresholds).value
        hours_window = sum(i["hours"] for i in counted if i["ends_on"] > thresholds.window_start)
        hours_year = sum(i["hours"] for i in counted if i["ends_on"].year == on.year)
    records = {r.id: r for r in own_records(teacher)}
    trainings = []
    for item in items:
        record = records.get(item.get("id")) if item["kind"] == "external" else None
        trainings.append(
            CardTraining(
                kind=item["kind"],
                record_id=record.id if record else None,
                provider=item["provider"],
                programme=item["programme"],
                hours=int(item["hours"]),
                starts_on=item["starts_on"],
                ends_on=item["ends_on"],
                document=item["document"],
                status=item["status"],
                has_scan=bool(record and record.scan_key),
                review_comment=record.review_comment if record else "",
            )
        )
    attestation = attestation_of(teacher)
    category = attestation.category if attestation else ""
    granted_on = attestation.granted_on if attestation and category else None
    return TeacherCardData(
        teacher_id=teacher.id,
        full_name=teacher.full_name,
        organization=(teacher.organization.full_name if teacher.organization else ""),
        position=teacher.position or "",
        subjects=tuple(s.name for s in teacher.subjects),
        attestation_category=category,
        attestation_granted_on=granted_on,
        attestation_valid_until=(
            register.add_years(granted_on, ATTESTATION_YEARS) if granted_on else None
        ),
        attestation_order=(attestation.order_number if attestation and category else ""),
        status=status,
        last_day=last,
        due_day=register.due_date(last),
        hours_window=hours_window,
        hours_year=hours_year,
        hours_by_year=register.hours_by_year(items),
        trainings=tuple(trainings),
        on=on,
        issuer=current_app.config.get("CERTIFICATE_ISSUER", ""),
    )


# --- providers' lists -----------------------------------------------------------------------

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
    text = _clean_line(text).removesuffix("г.").removesuffix("г").strip()
    if " " in text and text.split(" ", 1)[1].replace(":", "").isdigit():
        text = text.split(" ", 1)[0]  # a time of day, as XLSX date cells give it
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_hours(text: str) -> int | None:
    text = _clean_line(text).replace(",", ".").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")) or value != int(value):
        return None
    return int(value)


def _name_key(name: str) -> str:
    return _clean_line(name).casefold().replace("ё", "е")


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


def apply_import(path: Path, max_rows: int, actor: User) -> ImportResult:
    """Write every valid, new row in one transaction (verified); any failure writes nothing."""
    if not permissions.can_verify_training(actor):
        raise NotFound()
    preview = build_import_preview(path, max_rows)
    now = utcnow()
    try:
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
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(len(preview.to_create), len(preview.skipped), len(preview.with_errors))
