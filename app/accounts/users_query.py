"""Searching and filtering the list of people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app import permissions
from app.accounts.models import Role, User
from app.extensions import db


@dataclass
class UserFilters:
    q: str = ""
    organization_id: int | None = None
    role: str = ""
    status: str = "active"  # active | inactive | all

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> UserFilters:
        org = args.get("org", "")
        role = args.get("role", "")
        status = args.get("status", "active")
        return cls(
            q=" ".join(args.get("q", "").split())[:100],
            organization_id=int(org) if org.isdigit() else None,
            role=role if role in set(Role) else "",
            status=status if status in ("active", "inactive", "all") else "active",
        )


def build(filters: UserFilters) -> Select[Any]:
    query = select(User).order_by(User.last_name, User.first_name, User.id)
    if filters.q:
        for word in filters.q.casefold().replace("ё", "е").split():
            query = query.where(User.search_text.contains(word, autoescape=True))
    if filters.organization_id is not None:
        query = query.where(User.organization_id == filters.organization_id)
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.status == "active":
        query = query.where(User.is_active_flag.is_(True))
    elif filters.status == "inactive":
        query = query.where(User.is_active_flag.is_(False))
    return query


def page(actor: Any, filters: UserFilters, number: int, per_page: int) -> Pagination:
    """One page of the people ``actor`` may list, each with their organization loaded."""
    query = permissions.visible_users(actor, build(filters)).options(
        selectinload(User.organization)
    )
    return db.paginate(query, page=number, per_page=per_page, error_out=False)


def active_people(roles: tuple[str, ...]) -> list[User]:
    """Choices for a list of people, with their organizations (shown beside the names)."""
    return list(
        db.session.execute(
            select(User)
            .where(User.is_active_flag.is_(True), User.role.in_(roles))
            .options(selectinload(User.organization))
            .order_by(User.last_name, User.first_name)
        ).scalars()
    )


def users_per_organization() -> dict[int, int]:
    rows = db.session.execute(
        select(User.organization_id, func.count(User.id))
        .where(User.organization_id.is_not(None))
        .group_by(User.organization_id)
    ).all()
    return dict(rows)
