"""Enrolment: teachers enrol themselves; a course's authors enrol people, groups and schools.

Every action checks ``permissions.can_manage_enrollments`` itself (or
``can_take_courses`` for self-enrolment), so a page cannot forget to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app import permissions
from app.accounts.models import MethodicalAssociation, Organization, Role, User
from app.core.db_support import upsert
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.unit_of_work import check, found, unit_of_work
from app.courses.dates import local_date
from app.courses.models import Course, CourseStatus, Enrollment
from app.extensions import db


def enrolment_open(course: Course, today: date | None = None) -> bool:
    today = today or local_date(utcnow())
    if course.status != CourseStatus.PUBLISHED:
        return False
    if course.enrol_opens_on and today < course.enrol_opens_on:
        return False
    return not (course.enrol_closes_on and today > course.enrol_closes_on)


def _active_count(course: Course) -> int:
    return int(
        db.session.execute(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.course_id == course.id, Enrollment.active.is_(True))
        ).scalar_one()
    )


def _enrol(course: Course, users: Iterable[User], actor: User) -> int:
    user_ids = [u.id for u in users if u.is_active and u.role == Role.TEACHER]
    if not user_ids:
        return 0
    now = utcnow()
    before = _active_count(course)
    for user_id in user_ids:
        stmt = upsert(Enrollment).values(
            course_id=course.id,
            user_id=user_id,
            enrolled_at=now,
            enrolled_by_id=actor.id,
            active=True,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["course_id", "user_id"],
            set_={"active": True, "withdrawn_at": None},
        )
        db.session.execute(stmt)
    return _active_count(course) - before


@unit_of_work()
def enrol_self(user: User, course: Course) -> None:
    if not permissions.can_take_courses(user):
        # The course is visible to staff, so the refusal reveals nothing: say why.
        raise ValidationError(_("Записываться на курсы могут педагоги."))
    if not enrolment_open(course):
        raise ValidationError(_("Запись на этот курс сейчас закрыта."))
    _enrol(course, [user], user)


@unit_of_work()
def enrol_users(course: Course, user_ids: Sequence[int], actor: User) -> int:
    """Enrol the chosen teachers; the number newly enrolled."""
    check(permissions.can_manage_enrollments(actor, course))
    if course.status == CourseStatus.ARCHIVED:
        raise ValidationError(_("Курс в архиве: записывать на него нельзя."))
    users = db.session.execute(select(User).where(User.id.in_(list(user_ids)))).scalars()
    return _enrol(course, users, actor)


@unit_of_work()
def enrol_organization(course: Course, organization_id: int, actor: User) -> int:
    """Every teacher of one organization."""
    check(permissions.can_manage_enrollments(actor, course))
    organization = found(db.session.get(Organization, organization_id))
    teachers = db.session.execute(
        select(User.id).where(User.organization_id == organization.id, User.role == Role.TEACHER)
    ).scalars()
    return enrol_users(course, list(teachers), actor)


@unit_of_work()
def enrol_association(course: Course, association_id: int, actor: User) -> int:
    """Every member of one methodical association."""
    check(permissions.can_manage_enrollments(actor, course))
    association = found(db.session.get(MethodicalAssociation, association_id))
    return enrol_users(course, [m.id for m in association.members], actor)


@unit_of_work()
def withdraw(course: Course, user_id: int, actor: User) -> User:
    """End a learner's active enrolment; NotFound unless they are enrolled; returns them."""
    check(permissions.can_manage_enrollments(actor, course))
    learner = found(db.session.get(User, user_id))
    found(enrollment_of(learner, course))
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.user_id == user_id)
        .values(active=False, withdrawn_at=utcnow())
    )
    return learner


def enrollment_of(user: User, course: Course) -> Enrollment | None:
    return db.session.execute(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
    ).scalar_one_or_none()
