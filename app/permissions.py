"""Who may do what: the one place that decides.

Each rule is a predicate (``can_*``) and, where lists are involved, a query
filter (``visible_*``) so pages, exports and searches apply the same rule.
Objects a user may not see are reported as missing (404) by the callers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_, select

from app.accounts.models import Role, User
from app.courses.models import Certificate, Course, CourseStatus, Enrollment
from app.materials.models import Material, MaterialStatus, StoredFile
from app.training.models import ExternalTraining, TrainingStatus

STAFF_ROLES = (Role.METHODIST, Role.MANAGER, Role.ADMIN)


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user: Any) -> bool:
    return _active(user) and user.role == Role.ADMIN


def can_manage_users(user: Any) -> bool:
    return is_admin(user)


def can_manage_directory(user: Any) -> bool:
    """Organizations, subjects and methodical associations."""
    return is_admin(user)


def can_import_teachers(user: Any) -> bool:
    return is_admin(user)


def can_view_user(user: Any, target: User) -> bool:
    if not _active(user):
        return False
    return user.id == target.id or user.role in STAFF_ROLES


def can_edit_user(user: Any, target: User) -> bool:
    return is_admin(user)


def can_deactivate_user(user: Any, target: User) -> bool:
    # An admin cannot lock themselves out.
    return is_admin(user) and user.id != target.id


def visible_users(user: Any, query: Select[Any]) -> Select[Any]:
    """Restrict a ``select(User)`` to the people ``user`` may list."""
    if not _active(user):
        return query.where(false())
    if user.role in STAFF_ROLES:
        return query
    return query.where(User.id == user.id)


# --- materials bank -----------------------------------------------------------

REVIEWER_ROLES = (Role.METHODIST, Role.ADMIN)
UPLOADER_ROLES = (Role.TEACHER, Role.METHODIST, Role.ADMIN)
AUTHOR_EDITABLE = (MaterialStatus.DRAFT, MaterialStatus.RETURNED)


def _is_author(user: Any, material: Material) -> bool:
    return material.uploaded_by_id is not None and material.uploaded_by_id == user.id


def is_reviewer(user: Any) -> bool:
    return _active(user) and user.role in REVIEWER_ROLES


def can_upload_material(user: Any) -> bool:
    return _active(user) and user.role in UPLOADER_ROLES


def can_publish_directly(user: Any) -> bool:
    return is_reviewer(user)


def can_manage_collections(user: Any) -> bool:
    return is_reviewer(user)


def can_import_materials(user: Any) -> bool:
    return is_reviewer(user)


def can_view_material(user: Any, material: Material) -> bool:
    """Published: everyone signed in. Otherwise: its author and the reviewers."""
    if not _active(user):
        return False
    if material.status == MaterialStatus.PUBLISHED:
        return True
    return is_reviewer(user) or _is_author(user, material)


def can_edit_material(user: Any, material: Material) -> bool:
    if is_reviewer(user):
        return True
    return _active(user) and _is_author(user, material) and material.status in AUTHOR_EDITABLE


def can_delete_material(user: Any, material: Material) -> bool:
    if material.status == MaterialStatus.PUBLISHED:
        return False
    if is_reviewer(user):
        return True
    return _active(user) and _is_author(user, material) and material.status in AUTHOR_EDITABLE


# Lifecycle: action -> (statuses it starts from, status it leads to).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((MaterialStatus.DRAFT, MaterialStatus.RETURNED), MaterialStatus.REVIEW),
    "withdraw": ((MaterialStatus.REVIEW,), MaterialStatus.DRAFT),
    "publish": (
        (MaterialStatus.DRAFT, MaterialStatus.REVIEW, MaterialStatus.ARCHIVED),
        MaterialStatus.PUBLISHED,
    ),
    "return": ((MaterialStatus.REVIEW,), MaterialStatus.RETURNED),
    "archive": ((MaterialStatus.PUBLISHED,), MaterialStatus.ARCHIVED),
}
REVIEWER_ACTIONS = ("publish", "return", "archive")


def can_transition(user: Any, material: Material, action: str) -> bool:
    rule = TRANSITIONS.get(action)
    if rule is None or material.status not in rule[0] or not _active(user):
        return False
    if action in REVIEWER_ACTIONS:
        return is_reviewer(user)
    return is_reviewer(user) or _is_author(user, material)


def allowed_actions(user: Any, material: Material) -> list[str]:
    return [action for action in TRANSITIONS if can_transition(user, material, action)]


def can_download_file(user: Any, file: StoredFile) -> bool:
    """Every file, including earlier versions, follows its material's visibility."""
    if not can_view_material(user, file.material):
        return False
    return file.is_current or is_reviewer(user) or _is_author(user, file.material)


def visible_materials(user: Any, query: Select[Any]) -> Select[Any]:
    """Restrict a ``select(Material)``: published for all; own and queued work as above."""
    if not _active(user):
        return query.where(false())
    if is_reviewer(user):
        return query
    return query.where(
        or_(Material.status == MaterialStatus.PUBLISHED, Material.uploaded_by_id == user.id)
    )


def visible_statuses(user: Any) -> list[str]:
    """Statuses a user may find in search, whatever they type."""
    if is_reviewer(user):
        return [s.value for s in MaterialStatus]
    return [MaterialStatus.PUBLISHED.value]


# --- courses ------------------------------------------------------------------------

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
    return is_course_staff(user)


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

REPORT_READERS = (Role.MANAGER, Role.METHODIST, Role.ADMIN)


def can_view_reports(user: Any) -> bool:
    """District-wide reports and dashboards. A per-organization head would be one more rule
    here plus a narrower ``visible_teachers``."""
    return _active(user) and user.role in REPORT_READERS


def visible_teachers(user: Any, query: Select[Any]) -> Select[Any]:
    """Restrict a query selecting from ``User`` to the teachers whose data ``user`` may see."""
    if not _active(user):
        return query.where(false())
    if user.role in REPORT_READERS:
        return query
    return query.where(User.id == user.id)


def can_view_teacher_card(user: Any, teacher: User) -> bool:
    return _active(user) and (user.id == teacher.id or user.role in REPORT_READERS)


def can_record_own_training(user: Any) -> bool:
    return _active(user) and user.role == Role.TEACHER


def can_verify_training(user: Any) -> bool:
    return _active(user) and user.role in (Role.METHODIST, Role.ADMIN)


def can_view_training(user: Any, record: ExternalTraining) -> bool:
    return _active(user) and (record.user_id == user.id or user.role in REPORT_READERS)


def can_edit_training(user: Any, record: ExternalTraining) -> bool:
    """Its teacher while it is not verified; a methodist always."""
    if can_verify_training(user):
        return True
    return _active(user) and record.user_id == user.id and record.status != TrainingStatus.VERIFIED
