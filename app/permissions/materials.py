"""Who may upload, review, see and download materials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_

from app.accounts.models import Role
from app.materials.models import Material, MaterialStatus, StoredFile
from app.permissions.accounts import _active

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
