"""The district's directory: organizations, subjects, methodical associations.

Changes are administrators' actions: each checks ``can_manage_directory`` for its actor
and runs in one unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import permissions
from app.accounts.actors import acting_user
from app.accounts.models import (
    MethodicalAssociation,
    Organization,
    OrganizationKind,
    Subject,
    User,
    association_members,
)
from app.core.errors import ValidationError
from app.core.unit_of_work import check, found, unit_of_work
from app.extensions import db


def _flush(message: str, field: str) -> None:
    """A duplicate name becomes a message on its field; the unit of work rolls back."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise ValidationError(message, field) from exc


def _allowed(actor: Any) -> None:
    check(permissions.can_manage_directory(acting_user(actor)))


def get(model: type[Any], object_id: int, actor: Any = None) -> Any:
    """An organization, subject or association to edit, or ``NotFound``."""
    _allowed(actor)
    return found(db.session.get(model, object_id))


def _clean(value: str, field: str, label: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError(_("Заполните поле «%(label)s».", label=label), field)
    return value


@dataclass
class OrganizationData:
    full_name: str
    short_name: str
    kind: str = OrganizationKind.SCHOOL
    municipality: str = ""


@unit_of_work()
def save_organization(
    data: OrganizationData, org: Organization | None = None, actor: Any = None
) -> Organization:
    _allowed(actor)
    org = org or Organization()
    if data.kind not in set(OrganizationKind):
        raise ValidationError(_("Неизвестный тип организации."), "kind")
    org.full_name = _clean(data.full_name, "full_name", _("Полное название"))
    org.short_name = _clean(data.short_name, "short_name", _("Краткое название"))
    org.kind = data.kind
    org.municipality = " ".join((data.municipality or "").split())
    db.session.add(org)
    _flush(_("Организация с таким названием уже есть."), "short_name")
    return org


@unit_of_work()
def delete_organization(org: Organization, actor: Any = None) -> None:
    _allowed(actor)
    users = db.session.execute(
        select(func.count(User.id)).where(User.organization_id == org.id)
    ).scalar_one()
    if users:
        raise ValidationError(_("Нельзя удалить организацию: в ней %(n)d пользователей.", n=users))
    db.session.delete(org)


@unit_of_work()
def save_subject(name: str, subject: Subject | None = None, actor: Any = None) -> Subject:
    _allowed(actor)
    subject = subject or Subject()
    subject.name = _clean(name, "name", _("Название"))
    db.session.add(subject)
    _flush(_("Такой предмет уже есть."), "name")
    return subject


@unit_of_work()
def delete_subject(subject: Subject, actor: Any = None) -> None:
    _allowed(actor)
    db.session.delete(subject)


@dataclass
class AssociationData:
    name: str
    subject_id: int | None = None
    leader_id: int | None = None
    description: str = ""
    member_ids: Iterable[int] = ()


@unit_of_work()
def save_association(
    data: AssociationData, association: MethodicalAssociation | None = None, actor: Any = None
) -> MethodicalAssociation:
    _allowed(actor)
    association = association or MethodicalAssociation()
    association.name = _clean(data.name, "name", _("Название"))
    association.description = (data.description or "").strip()
    association.subject = db.session.get(Subject, data.subject_id) if data.subject_id else None
    if data.subject_id and association.subject is None:
        raise ValidationError(_("Предмет не найден."), "subject_id")
    association.leader = db.session.get(User, data.leader_id) if data.leader_id else None
    if data.leader_id and association.leader is None:
        raise ValidationError(_("Руководитель не найден."), "leader_id")
    member_ids = set(data.member_ids)
    if association.leader is not None:
        member_ids.add(association.leader.id)
    members = (
        list(db.session.execute(select(User).where(User.id.in_(member_ids))).scalars())
        if member_ids
        else []
    )
    if len(members) != len(member_ids):
        raise ValidationError(_("Участник не найден."), "member_ids")
    association.members = members
    db.session.add(association)
    _flush(_("Методическое объединение с таким названием уже есть."), "name")
    return association


@unit_of_work()
def delete_association(association: MethodicalAssociation, actor: Any = None) -> None:
    _allowed(actor)
    db.session.delete(association)


def list_organizations() -> list[Organization]:
    return list(
        db.session.execute(select(Organization).order_by(Organization.short_name)).scalars()
    )


def list_subjects() -> list[Subject]:
    return list(db.session.execute(select(Subject).order_by(Subject.name)).scalars())


def list_associations() -> list[MethodicalAssociation]:
    return list(
        db.session.execute(
            select(MethodicalAssociation).order_by(MethodicalAssociation.name)
        ).scalars()
    )


def list_associations_with_counts() -> list[tuple[MethodicalAssociation, int]]:
    """Associations with their subject, leader and member count: three queries for any number."""
    members = (
        select(func.count())
        .select_from(association_members)
        .where(association_members.c.association_id == MethodicalAssociation.id)
        .correlate(MethodicalAssociation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(MethodicalAssociation, members)
        .options(
            selectinload(MethodicalAssociation.subject),
            selectinload(MethodicalAssociation.leader),
        )
        .order_by(MethodicalAssociation.name)
    ).all()
    return [(association, int(count)) for association, count in rows]


def organization_lookup() -> dict[str, Organization]:
    """Organizations by case-folded short and full name (SQLite cannot fold Cyrillic)."""
    lookup: dict[str, Organization] = {}
    for org in list_organizations():
        lookup[" ".join(org.full_name.split()).casefold()] = org
        lookup[" ".join(org.short_name.split()).casefold()] = org
    return lookup


def subject_lookup() -> dict[str, Subject]:
    return {" ".join(s.name.split()).casefold(): s for s in list_subjects()}
