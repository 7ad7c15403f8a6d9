"""Who may manage people, the directory and imports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from app.accounts.models import Role, User

STAFF_ROLES = (Role.METHODIST, Role.MANAGER, Role.ADMIN)


class SystemActor:
    """The operator at the console (``flask`` commands, seeding): no person, and every right.

    Account actions take it when no one is signed in because no request is running;
    within a request they act for the signed-in user instead (see ``accounts.actors``).
    """

    id = None
    role = "system"
    is_authenticated = True
    is_active = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_system(user: Any) -> bool:
    return user is SYSTEM


def is_admin(user: Any) -> bool:
    return is_system(user) or (_active(user) and user.role == Role.ADMIN)


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


def can_view_audit_log(user: Any) -> bool:
    """The journal names people and what was done to them: administrators only (152-ФЗ)."""
    return is_admin(user)
