"""Who may build, run, take and see courses and their documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select

from app.accounts.models import Role, User
from app.courses.models import Certificate, Course, CourseStatus, Enrollment
from app.permissions.accounts import _active

COURSE_STAFF = (Role.METHODIST, Role.ADMIN)
PROGRESS_READERS = (Role.METHODIST, Role.ADMIN, Role.MANAGER)


def is_course_staff(user: Any) -> bool:
    return _active(user) and user.role in COURSE_STAFF


def organization_licensed() -> bool:
    """Only a licensed organization issues удостоверения о повышении квалификации."""
    from flask import current_app

    return bool(current_app.config.get("ORGANIZATION_LICENSED", False))


def can_create_course(user: Any) -> bool:
    return is_course_staff(user)


def can_edit_course(user: Any, course: Course) -> bool:
    if not is_course_staff(user):
        return False
    return (
        user.role == Role.ADMIN
        or any(a.id == user.id for a in course.authors)
        or (course.created_by_id == user.id)
    )


def can_view_course(user: Any, course: Course) -> bool:
    if not _active(user):
        return False
    if user.role in PROGRESS_READERS:
        return True
    return course.status == CourseStatus.PUBLISHED or (
        course.status == CourseStatus.ARCHIVED and is_enrolled(user, course)
    )


def is_enrolled(user: Any, course: Course) -> bool:
    from app.extensions import db

    return (
        db.session.execute(
            select(Enrollment.id).where(
                Enrollment.course_id == course.id,
                Enrollment.user_id == user.id,
                Enrollment.active.is_(True),
            )
        ).first()
        is not None
    )


def can_take_courses(user: Any) -> bool:
    return _active(user) and user.role == Role.TEACHER


def can_manage_enrollments(user: Any, course: Course) -> bool:
    """Who enrols and withdraws people: the same people who may change the course.

    Enrolment is part of running a course, so it follows editing (its authors, its
    creator, administrators); other methodists see the course but do not run it.
    """
    return can_edit_course(user, course)


def can_view_progress(user: Any, course: Course) -> bool:
    return _active(user) and user.role in PROGRESS_READERS


def can_view_learner(user: Any, learner: User) -> bool:
    """Someone's progress, attempts and documents: their own, or the office's."""
    return _active(user) and (user.id == learner.id or user.role in PROGRESS_READERS)


def can_view_certificate(user: Any, certificate: Certificate) -> bool:
    return _active(user) and (certificate.user_id == user.id or user.role in PROGRESS_READERS)


def can_manage_certificates(user: Any) -> bool:
    return is_course_staff(user)


def visible_courses(user: Any, query: Select[Any]) -> Select[Any]:
    if not _active(user):
        return query.where(false())
    if user.role in PROGRESS_READERS:
        return query
    return query.where(Course.status == CourseStatus.PUBLISHED)


# --- reporting and the register ------------------------------------------------------
