"""The course list, the course staff's home summary, and the lookups the course forms need.

Each list is read in a fixed number of queries, however many courses or people
there are: counts are grouped in SQL, never counted per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Role, User
from app.courses.models import (
    Certificate,
    Course,
    CourseCompletion,
    CourseStatus,
    Enrollment,
    Module,
)
from app.extensions import db
from app.materials.models import Material, MaterialStatus

EXPORT_BATCH = 500


@dataclass
class CourseOverview:
    course: Course
    modules: int
    enrolled: int
    completed: int


def _counts_by_course(query: Select[Any]) -> dict[int, int]:
    return {int(k): int(v) for k, v in db.session.execute(query).all()}


def course_overview() -> list[CourseOverview]:
    """Every course, newest first, with its authors and module, learner and completion counts."""
    courses = list(
        db.session.execute(
            select(Course)
            .order_by(Course.created_at.desc(), Course.id.desc())
            # Each row asks whether the visitor may run the course: its authors.
            .options(selectinload(Course.authors))
        ).scalars()
    )
    modules = _counts_by_course(select(Module.course_id, func.count()).group_by(Module.course_id))
    enrolled = _counts_by_course(
        select(Enrollment.course_id, func.count())
        .where(Enrollment.active.is_(True))
        .group_by(Enrollment.course_id)
    )
    completed = _counts_by_course(
        select(CourseCompletion.course_id, func.count())
        .join(
            Enrollment,
            (Enrollment.user_id == CourseCompletion.user_id)
            & (Enrollment.course_id == CourseCompletion.course_id)
            & Enrollment.active.is_(True),
        )
        .group_by(CourseCompletion.course_id)
    )
    return [
        CourseOverview(
            course=c,
            modules=modules.get(c.id, 0),
            enrolled=enrolled.get(c.id, 0),
            completed=completed.get(c.id, 0),
        )
        for c in courses
    ]


@dataclass(frozen=True)
class StaffSummary:
    drafts: int
    published: int
    archived: int
    learners: int  # active enrolments in published courses
    completions_since: int


def staff_summary(since: datetime) -> StaffSummary:
    by_status = _status_counts()
    learners = db.session.execute(
        select(func.count())
        .select_from(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.active.is_(True), Course.status == CourseStatus.PUBLISHED)
    ).scalar_one()
    recent = db.session.execute(
        select(func.count())
        .select_from(CourseCompletion)
        .where(CourseCompletion.completed_at >= since)
    ).scalar_one()
    return StaffSummary(
        drafts=by_status.get(CourseStatus.DRAFT, 0),
        published=by_status.get(CourseStatus.PUBLISHED, 0),
        archived=by_status.get(CourseStatus.ARCHIVED, 0),
        learners=int(learners),
        completions_since=int(recent),
    )


def _status_counts() -> dict[str, int]:
    return {
        str(status): int(n)
        for status, n in db.session.execute(
            select(Course.status, func.count()).group_by(Course.status)
        ).all()
    }


# --- lookups for the course forms -----------------------------------------------------------


def linkable_materials(keep_ids: Sequence[int] = (), limit: int = 500) -> list[tuple[int, str]]:
    """Published materials by title for a module's select, plus any already linked."""
    rows = list(
        db.session.execute(
            select(Material.id, Material.title)
            .where(Material.status == MaterialStatus.PUBLISHED)
            .order_by(Material.title, Material.id)
            .limit(limit)
        ).all()
    )
    seen = {row[0] for row in rows}
    missing = [i for i in keep_ids if i not in seen]
    if missing:
        rows += db.session.execute(
            select(Material.id, Material.title).where(Material.id.in_(missing))
        ).all()
        rows.sort(key=lambda r: (r[1].casefold(), r[0]))
    return [(int(i), str(t)) for i, t in rows]


def course_staff(keep_ids: Sequence[int] = ()) -> list[User]:
    """Active methodists (and anyone already listed) for a course's authors select."""
    query = select(User).order_by(User.last_name, User.first_name, User.id)
    condition = (User.role == Role.METHODIST) & User.is_active_flag.is_(True)
    if keep_ids:
        condition = condition | User.id.in_(list(keep_ids))
    return list(db.session.execute(query.where(condition)).scalars())


def register_rows(query: Select[Any]) -> Iterator[Certificate]:
    """The register's rows for an export, read in batches rather than all at once."""
    yield from db.session.execute(query.execution_options(yield_per=EXPORT_BATCH)).scalars()


def course_choices() -> list[tuple[int, str]]:
    """Every course by title, for the register's filter."""
    return [
        (int(i), str(t))
        for i, t in db.session.execute(
            select(Course.id, Course.title).order_by(Course.title, Course.id)
        ).all()
    ]


def enrollable_teachers(
    course: Course, organization_id: int | None = None, limit: int = 2000
) -> list[User]:
    """Active teachers not yet (actively) enrolled, optionally of one organization."""
    enrolled = select(Enrollment.user_id).where(
        Enrollment.course_id == course.id, Enrollment.active.is_(True)
    )
    query = (
        select(User)
        .options(joinedload(User.organization))
        .where(
            User.role == Role.TEACHER,
            User.is_active_flag.is_(True),
            User.id.not_in(enrolled),
        )
        .order_by(User.last_name, User.first_name, User.patronymic, User.id)
        .limit(limit)
    )
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    return list(db.session.execute(query).scalars())
