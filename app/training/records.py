"""Professional development taken elsewhere: a teacher's own records, a methodist's entry
for a teacher, and the methodists' verification queue.

A teacher records a course finished at a regional institute or a ЦНППМ; it waits
for a methodist (``pending``), who verifies it or returns it with a comment. Only
verified records count in the three-year register. A methodist may also enter a
record for any teacher; it is verified at once.

Every rule that depends on a record's current status is applied by a conditional
UPDATE/DELETE (``WHERE status IN …``), so a teacher's edit and a methodist's
verification that cross each other cannot leave verified data that nobody checked.
Each action checks its own permission and owns its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.orm import joinedload

from app import permissions
from app.accounts.models import Role, User
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, found, unit_of_work
from app.extensions import db
from app.materials.files import BytesRef
from app.materials.services import Upload
from app.training import scans
from app.training.models import ExternalTraining, TrainingStatus
from app.training.validation import TrainingData, refuse_duplicate, validate

RETURN_COMMENT_MAX = 5000
SOURCE_TEACHER, SOURCE_METHODIST, SOURCE_IMPORT = "teacher", "methodist", "import"
QUEUE_VIEWS = ("open", "pending", "returned", "verified")
UNVERIFIED = (TrainingStatus.PENDING, TrainingStatus.RETURNED)


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
        raise _changed_meanwhile()


# --- lookups ---------------------------------------------------------------------------------


def get_record(record_id: int, viewer: User) -> ExternalTraining:
    """A record ``viewer`` may see; any other is NotFound, so nothing leaks."""
    record = found(db.session.get(ExternalTraining, record_id))
    check(permissions.can_view_training(viewer, record))
    return record


def editable_record(record_id: int, viewer: User) -> ExternalTraining:
    record = get_record(record_id, viewer)
    check(permissions.can_edit_training(viewer, record))
    return record


def record_scan(record_id: int, viewer: User) -> BytesRef:
    return scans.scan_file(get_record(record_id, viewer))


def own_records(user: User) -> list[ExternalTraining]:
    return list(
        db.session.execute(
            select(ExternalTraining)
            .where(ExternalTraining.user_id == user.id)
            .order_by(ExternalTraining.ends_on.desc(), ExternalTraining.id.desc())
        ).scalars()
    )


# --- a teacher's record and a methodist's entry ----------------------------------------------


@unit_of_work()
def record_training(
    user: User, data: TrainingData, scan: Upload | None, actor: User
) -> ExternalTraining:
    """A teacher's own record (waits for a methodist) or a methodist's entry (verified at once)."""
    own = actor.id == user.id
    if own:
        check(
            permissions.can_record_own_training(actor),
            _("Вносить своё обучение может только педагог."),
        )
    else:
        check(permissions.can_verify_training(actor))
        if user.role != Role.TEACHER or not user.is_active:
            raise ValidationError(_("Обучение можно внести только действующему педагогу."))
    values = validate(data)
    refuse_duplicate(user.id, values["programme"], values["ends_on"], None)
    if scan is not None:
        values.update(scans.store_scan(scan))
    record = ExternalTraining(user_id=user.id, created_by_id=actor.id, **values)
    if own:
        record.status, record.source = TrainingStatus.PENDING, SOURCE_TEACHER
    else:
        record.status, record.source = TrainingStatus.VERIFIED, SOURCE_METHODIST
        record.reviewed_by_id, record.reviewed_at = actor.id, utcnow()
    db.session.add(record)
    return record


@unit_of_work()
def update_training(
    record: ExternalTraining, data: TrainingData, scan: Upload | None, actor: User
) -> ExternalTraining:
    """The teacher's edit re-submits the record (pending); a methodist's keeps its status."""
    check(permissions.can_edit_training(actor, record))
    values = validate(data)
    refuse_duplicate(record.user_id, values["programme"], values["ends_on"], record.id)
    if scan is not None:
        values.update(scans.store_scan(scan))
    if permissions.can_verify_training(actor):
        allowed: tuple[str, ...] = tuple(TrainingStatus)
    else:
        allowed = UNVERIFIED
        values.update(status=TrainingStatus.PENDING, reviewed_by_id=None, reviewed_at=None)
    _guarded_update(record, allowed, values)
    return record


def can_delete(user: User, record: ExternalTraining) -> bool:
    """Its teacher while it is not verified; a methodist always (the same as editing)."""
    return permissions.can_edit_training(user, record)


@unit_of_work()
def delete_training(record: ExternalTraining, actor: User) -> None:
    """Remove the row; the scan's bytes stay (keys are shared by content) for the orphan sweep."""
    check(can_delete(actor, record))
    statement = delete(ExternalTraining).where(ExternalTraining.id == record.id)
    if not permissions.can_verify_training(actor):
        statement = statement.where(ExternalTraining.status.in_(UNVERIFIED))
    result = db.session.execute(statement.execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _changed_meanwhile()


# --- the methodists' verification ------------------------------------------------------------


@unit_of_work()
def verify(record: ExternalTraining, actor: User) -> ExternalTraining:
    check(permissions.can_verify_training(actor))
    if record.status != TrainingStatus.PENDING:
        raise ValidationError(_("Подтвердить можно только запись, ожидающую проверки."))
    refuse_duplicate(record.user_id, record.programme, record.ends_on, record.id)
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


@unit_of_work()
def return_record(record: ExternalTraining, actor: User, comment: str) -> ExternalTraining:
    """Back to the teacher with a comment saying what to fix."""
    check(permissions.can_verify_training(actor))
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


def queue_view(view: str | None) -> str:
    return view if view in QUEUE_VIEWS else "open"


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
        statuses = list(UNVERIFIED)
    pending_first = case((ExternalTraining.status == TrainingStatus.PENDING, 0), else_=1)
    return query.where(ExternalTraining.status.in_(statuses)).order_by(
        pending_first, ExternalTraining.created_at, ExternalTraining.id
    )


def queue_page(viewer: User, view: str, page: int, per_page: int) -> Any:
    """One page of the queue (a Flask-SQLAlchemy pagination), for methodists only."""
    check(permissions.can_verify_training(viewer))
    return db.paginate(queue_query(view), page=page, per_page=per_page, error_out=False)


def pending_count() -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(ExternalTraining)
            .where(ExternalTraining.status == TrainingStatus.PENDING)
        ).scalar_one()
    )
