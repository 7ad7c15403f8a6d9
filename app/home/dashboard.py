"""What each role's home page shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.accounts.models import MethodicalAssociation, Organization, Role, Subject, User
from app.courses import my_learning
from app.extensions import db


def _count(model: Any, *conditions: Any) -> int:
    return int(
        db.session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()
    )


def home_context(user: User) -> dict[str, Any]:
    context: dict[str, Any] = {"user": user}
    if user.role in (Role.ADMIN, Role.MANAGER, Role.METHODIST):
        context["figures"] = {
            "teachers": _count(User, User.role == Role.TEACHER, User.is_active_flag.is_(True)),
            "organizations": _count(Organization),
            "subjects": _count(Subject),
            "associations": _count(MethodicalAssociation),
            "inactive": _count(User, User.is_active_flag.is_(False)),
        }
    if user.role == Role.MANAGER:
        rows = db.session.execute(
            select(Organization.short_name, func.count(User.id))
            .outerjoin(
                User, (User.organization_id == Organization.id) & (User.role == Role.TEACHER)
            )
            .group_by(Organization.id, Organization.short_name)
            .order_by(Organization.short_name)
        ).all()
        context["teachers_by_org"] = rows
    if user.role == Role.TEACHER:
        context["learning"] = my_learning.my_learning(user)
    return context
