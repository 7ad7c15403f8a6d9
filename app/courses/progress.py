"""Read-side queries for course staff: the progress matrix, access history and summaries.

Everything here reads ``ModuleProgress`` (one row per teacher and module) and
``CourseCompletion``, aggregating in SQL; raw ``AccessEvent`` rows are read only
for one teacher's history in one course. A page of the matrix costs a fixed
number of queries whatever the size of the course.

"Learners" of a course are its active enrolments: the matrix, the totals, the
enrolment list and the course overview all count the same people.

The functions take a course the caller already looked up through ``lookups``,
which checked who is asking; ``learner_in_course`` checks the learner the same way.
The course list, the home summary and the form lookups live in ``overview``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import permissions
from app.accounts.models import User
from app.core.unit_of_work import check, found
from app.courses.models import (
    Attempt,
    Course,
    CourseCompletion,
    Enrollment,
    Module,
    ModuleFile,
    ModuleProgress,
)
from app.extensions import db
from app.materials.access_events import AccessEvent

EXPORT_BATCH = 500


# --- the progress matrix ---------------------------------------------------------------


@dataclass(frozen=True)
class ProgressCell:
    first_access_at: datetime | None
    completed_at: datetime | None
    visits: int = 0
    seconds: int = 0


@dataclass
class MatrixRow:
    user: User
    cells: dict[int, ProgressCell]
    completed_at: datetime | None
    enrolled_at: datetime | None = None


@dataclass(frozen=True)
class ModuleTotals:
    opened: int = 0
    completed: int = 0


@dataclass
class Matrix:
    rows: list[MatrixRow]
    total: int
    modules: list[Module]
    pagination: Pagination | None = None
    totals: dict[int, ModuleTotals] = field(default_factory=dict)
    completed: int = 0  # learners (in the filter) who completed the course


def _learners(course: Course, organization_id: int | None = None) -> Select[Any]:
    """``select(User)`` of the course's active learners, in name order."""
    query = select(User).join(
        Enrollment,
        (Enrollment.user_id == User.id)
        & (Enrollment.course_id == course.id)
        & Enrollment.active.is_(True),
    )
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    return query.order_by(User.last_name, User.first_name, User.patronymic, User.id)


def _rows_for(course: Course, users: Sequence[User]) -> list[MatrixRow]:
    """Matrix rows for these users: three queries, grouped per cell in Python."""
    ids = [u.id for u in users]
    if not ids:
        return []
    cells: dict[int, dict[int, ProgressCell]] = {user_id: {} for user_id in ids}
    progress = db.session.execute(
        select(
            ModuleProgress.user_id,
            ModuleProgress.module_id,
            ModuleProgress.first_access_at,
            ModuleProgress.completed_at,
            ModuleProgress.visits,
            ModuleProgress.seconds,
        ).where(ModuleProgress.course_id == course.id, ModuleProgress.user_id.in_(ids))
    )
    for user_id, module_id, first, completed, visits, seconds in progress:
        cells[user_id][module_id] = ProgressCell(first, completed, visits or 0, seconds or 0)
    completions = dict(
        db.session.execute(
            select(CourseCompletion.user_id, CourseCompletion.completed_at).where(
                CourseCompletion.course_id == course.id, CourseCompletion.user_id.in_(ids)
            )
        ).all()
    )
    enrolled = dict(
        db.session.execute(
            select(Enrollment.user_id, Enrollment.enrolled_at).where(
                Enrollment.course_id == course.id, Enrollment.user_id.in_(ids)
            )
        ).all()
    )
    return [
        MatrixRow(
            user=user,
            cells=cells[user.id],
            completed_at=completions.get(user.id),
            enrolled_at=enrolled.get(user.id),
        )
        for user in users
    ]


def module_totals(course: Course, organization_id: int | None = None) -> dict[int, ModuleTotals]:
    """Per module: how many learners (in the filter) opened it and completed it."""
    query = (
        select(
            ModuleProgress.module_id,
            func.count(ModuleProgress.first_access_at),
            func.count(ModuleProgress.completed_at),
        )
        .join(
            Enrollment,
            (Enrollment.user_id == ModuleProgress.user_id)
            & (Enrollment.course_id == ModuleProgress.course_id)
            & Enrollment.active.is_(True),
        )
        .where(ModuleProgress.course_id == course.id)
        .group_by(ModuleProgress.module_id)
    )
    if organization_id:
        query = query.join(User, User.id == ModuleProgress.user_id).where(
            User.organization_id == organization_id
        )
    return {
        module_id: ModuleTotals(int(opened), int(completed))
        for module_id, opened, completed in db.session.execute(query)
    }


def completed_count(course: Course, organization_id: int | None = None) -> int:
    query = (
        select(func.count())
        .select_from(CourseCompletion)
        .join(
            Enrollment,
            (Enrollment.user_id == CourseCompletion.user_id)
            & (Enrollment.course_id == CourseCompletion.course_id)
            & Enrollment.active.is_(True),
        )
        .where(CourseCompletion.course_id == course.id)
    )
    if organization_id:
        query = query.join(User, User.id == CourseCompletion.user_id).where(
            User.organization_id == organization_id
        )
    return int(db.session.execute(query).scalar_one())


def matrix(
    course: Course, organization_id: int | None = None, page: int = 1, per_page: int = 50
) -> Matrix:
    """One page of learners × modules, with totals over every learner in the filter."""
    pagination = db.paginate(
        _learners(course, organization_id).options(joinedload(User.organization)),
        page=max(1, page),
        per_page=per_page,
        error_out=False,
        max_per_page=per_page,
    )
    return Matrix(
        rows=_rows_for(course, list(pagination.items)),
        total=int(pagination.total or 0),
        modules=list(course.modules),
        pagination=pagination,
        totals=module_totals(course, organization_id),
        completed=completed_count(course, organization_id),
    )


def matrix_rows_for_export(
    course: Course, organization_id: int | None = None, batch: int = EXPORT_BATCH
) -> Iterator[MatrixRow]:
    """Every row of the matrix (all pages, same filter and order), in batches."""
    ids = list(
        db.session.execute(_learners(course, organization_id).with_only_columns(User.id)).scalars()
    )
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        loaded = {
            u.id: u
            for u in db.session.execute(
                select(User).options(joinedload(User.organization)).where(User.id.in_(chunk))
            ).scalars()
        }
        yield from _rows_for(course, [loaded[i] for i in chunk if i in loaded])


# --- one teacher in one course ------------------------------------------------------------


def access_history(course: Course, user: User) -> list[AccessEvent]:
    """Every access fact of ``user`` in ``course``, oldest first."""
    return list(
        db.session.execute(
            select(AccessEvent)
            .where(AccessEvent.course_id == course.id, AccessEvent.user_id == user.id)
            .order_by(AccessEvent.at, AccessEvent.id)
        ).scalars()
    )


@dataclass
class HistoryEntry:
    event: AccessEvent
    module: Module | None
    file: ModuleFile | None


def history_entries(course: Course, user: User) -> list[HistoryEntry]:
    """The access history with each event's module and file resolved (one more query)."""
    events = access_history(course, user)
    modules = {m.id: m for m in course.modules}
    file_ids = {e.module_file_id for e in events if e.module_file_id}
    files = (
        {
            f.id: f
            for f in db.session.execute(
                select(ModuleFile).where(ModuleFile.id.in_(file_ids))
            ).scalars()
        }
        if file_ids
        else {}
    )
    return [
        HistoryEntry(
            event=e,
            module=modules.get(e.module_id) if e.module_id else None,
            file=files.get(e.module_file_id) if e.module_file_id else None,
        )
        for e in events
    ]


def attempts_in_course(course: Course, user: User) -> list[Attempt]:
    """The teacher's test attempts in the course, by module order and attempt number."""
    return list(
        db.session.execute(
            select(Attempt)
            .join(Module, Module.id == Attempt.module_id)
            .where(Module.course_id == course.id, Attempt.user_id == user.id)
            .order_by(Module.position, Attempt.number)
        ).scalars()
    )


def learner_in_course(course: Course, user_id: int, actor: User) -> tuple[User, Enrollment]:
    """A learner of the course (active or withdrawn) whom ``actor`` may look at, or NotFound."""
    learner = found(db.session.get(User, user_id))
    check(permissions.can_view_learner(actor, learner))
    enrollment = found(
        db.session.execute(
            select(Enrollment).where(
                Enrollment.course_id == course.id, Enrollment.user_id == learner.id
            )
        ).scalar_one_or_none()
    )
    return learner, enrollment


def completion_of(course: Course, user: User) -> CourseCompletion | None:
    return db.session.execute(
        select(CourseCompletion).where(
            CourseCompletion.course_id == course.id, CourseCompletion.user_id == user.id
        )
    ).scalar_one_or_none()


# --- enrolments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrollmentSummary:
    enrolled: int = 0
    started: int = 0
    completed: int = 0
    withdrawn: int = 0


def enrollment_summary(course: Course) -> EnrollmentSummary:
    counts = dict(
        db.session.execute(
            select(Enrollment.active, func.count())
            .where(Enrollment.course_id == course.id)
            .group_by(Enrollment.active)
        ).all()
    )
    started = db.session.execute(
        select(func.count(func.distinct(ModuleProgress.user_id)))
        .join(
            Enrollment,
            (Enrollment.user_id == ModuleProgress.user_id)
            & (Enrollment.course_id == ModuleProgress.course_id)
            & Enrollment.active.is_(True),
        )
        .where(ModuleProgress.course_id == course.id)
    ).scalar_one()
    return EnrollmentSummary(
        enrolled=int(counts.get(True, 0)),
        started=int(started),
        completed=completed_count(course),
        withdrawn=int(counts.get(False, 0)),
    )


@dataclass
class EnrollmentRow:
    enrollment: Enrollment
    user: User
    enrolled_by: User | None
    percent: int
    completed_at: datetime | None


@dataclass
class EnrollmentPage:
    rows: list[EnrollmentRow]
    pagination: Pagination


def enrollment_page(
    course: Course, organization_id: int | None = None, page: int = 1, per_page: int = 50
) -> EnrollmentPage:
    """Active enrolments in name order, with progress over the required modules."""
    query = (
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user).joinedload(User.organization))
        .where(Enrollment.course_id == course.id, Enrollment.active.is_(True))
        .order_by(User.last_name, User.first_name, User.patronymic, User.id)
    )
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    pagination = db.paginate(
        query, page=max(1, page), per_page=per_page, error_out=False, max_per_page=per_page
    )
    enrollments: list[Enrollment] = list(pagination.items)
    user_ids = [e.user_id for e in enrollments]
    required = [m.id for m in course.required_modules]
    done: dict[int, int] = {}
    if user_ids and required:
        done = dict(
            db.session.execute(
                select(ModuleProgress.user_id, func.count())
                .where(
                    ModuleProgress.course_id == course.id,
                    ModuleProgress.user_id.in_(user_ids),
                    ModuleProgress.module_id.in_(required),
                    ModuleProgress.completed_at.is_not(None),
                )
                .group_by(ModuleProgress.user_id)
            ).all()
        )
    completions: dict[int, datetime] = {}
    if user_ids:
        completions = dict(
            db.session.execute(
                select(CourseCompletion.user_id, CourseCompletion.completed_at).where(
                    CourseCompletion.course_id == course.id,
                    CourseCompletion.user_id.in_(user_ids),
                )
            ).all()
        )
    actor_ids = {e.enrolled_by_id for e in enrollments if e.enrolled_by_id}
    actors = (
        {u.id: u for u in db.session.execute(select(User).where(User.id.in_(actor_ids))).scalars()}
        if actor_ids
        else {}
    )
    rows = []
    for enrollment in enrollments:
        completed_at = completions.get(enrollment.user_id)
        if completed_at is not None:
            percent = 100
        elif required:
            percent = round(100 * done.get(enrollment.user_id, 0) / len(required))
        else:
            percent = 0
        rows.append(
            EnrollmentRow(
                enrollment=enrollment,
                user=enrollment.user,
                enrolled_by=actors.get(enrollment.enrolled_by_id or 0),
                percent=percent,
                completed_at=completed_at,
            )
        )
    return EnrollmentPage(rows=rows, pagination=pagination)
