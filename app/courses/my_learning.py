"""A teacher's own learning: the courses being taken and finished, and hours credited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.models import utcnow
from app.courses.dates import local_date, year_bounds
from app.courses.enrolment import enrolment_open
from app.courses.models import (
    Certificate,
    Course,
    CourseCompletion,
    CourseStatus,
    Enrollment,
    Module,
    ModuleProgress,
)
from app.extensions import db


@dataclass
class CourseCard:
    course: Course
    enrollment: Enrollment
    total_required: int
    done_required: int
    next_module: Module | None
    completion: CourseCompletion | None
    certificate: Certificate | None

    @property
    def percent(self) -> int:
        if not self.total_required:
            return 0
        return round(100 * self.done_required / self.total_required)


@dataclass
class Learning:
    current: list[CourseCard] = field(default_factory=list)
    completed: list[CourseCard] = field(default_factory=list)
    hours_this_year: int = 0
    hours_three_years: int = 0


def my_learning(user: User, now: datetime | None = None) -> Learning:
    """Everything on «Моё обучение», in a fixed number of queries however many courses."""
    now = now or utcnow()
    completed_courses = select(CourseCompletion.course_id).where(
        CourseCompletion.user_id == user.id
    )
    # A finished course stays in "my learning" even if the enrolment was later withdrawn.
    enrollments = list(
        db.session.execute(
            select(Enrollment)
            .where(
                Enrollment.user_id == user.id,
                (Enrollment.active.is_(True)) | Enrollment.course_id.in_(completed_courses),
            )
            .order_by(Enrollment.enrolled_at.desc())
            .options(selectinload(Enrollment.course).selectinload(Course.modules))
        ).scalars()
    )
    course_ids = [e.course_id for e in enrollments]
    completions = {
        c.course_id: c
        for c in db.session.execute(
            select(CourseCompletion).where(CourseCompletion.user_id == user.id)
        ).scalars()
    }
    documents = {
        c.course_id: c
        for c in db.session.execute(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at)
        ).scalars()
    }
    done = set(
        db.session.execute(
            select(ModuleProgress.module_id).where(
                ModuleProgress.user_id == user.id,
                ModuleProgress.course_id.in_(course_ids),
                ModuleProgress.completed_at.is_not(None),
            )
        ).scalars()
    )
    result = Learning()
    for enrollment in enrollments:
        course = enrollment.course
        required = course.required_modules
        card = CourseCard(
            course=course,
            enrollment=enrollment,
            total_required=len(required),
            done_required=sum(1 for m in required if m.id in done),
            next_module=next((m for m in course.modules if m.id not in done), None),
            completion=completions.get(course.id),
            certificate=documents.get(course.id),
        )
        (result.completed if card.completion else result.current).append(card)
    start, end = year_bounds(local_date(now).year)
    result.hours_this_year = hours_between(user.id, start, end)
    three_years_ago = now - timedelta(days=3 * 365 + 1)
    result.hours_three_years = hours_between(user.id, three_years_ago, now + timedelta(seconds=1))
    return result


def hours_between(user_id: int, start: datetime, end: datetime) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(CourseCompletion.hours), 0)).where(
                CourseCompletion.user_id == user_id,
                CourseCompletion.completed_at >= start,
                CourseCompletion.completed_at < end,
            )
        ).scalar_one()
    )


def open_courses(user: User) -> list[Course]:
    """Published courses open for enrolment today, newest first."""
    courses = db.session.execute(
        select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.published_at.desc(), Course.id.desc())
        .options(selectinload(Course.subjects))  # each card lists its subjects
    ).scalars()
    return [c for c in courses if enrolment_open(c)]


def enrolled_course_ids(user: User, course_ids: list[int]) -> set[int]:
    """Which of these courses ``user`` is actively enrolled in: one query for a whole list."""
    if not course_ids:
        return set()
    return set(
        db.session.execute(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user.id,
                Enrollment.course_id.in_(course_ids),
                Enrollment.active.is_(True),
            )
        ).scalars()
    )
