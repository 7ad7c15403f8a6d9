"""Who may read reports, teacher cards and external training records."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, User
from app.permissions.accounts import _active
from app.training.models import ExternalTraining, TrainingStatus

REPORT_READERS = (Role.MANAGER, Role.METHODIST, Role.ADMIN)


def can_view_reports(user: Any) -> bool:
    """District-wide reports and dashboards."""
    return _active(user) and user.role in REPORT_READERS


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
