"""Report: who opened which module of a course, when first and last, how often."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    func,
    select,
)

from app import permissions
from app.accounts.models import (
    Organization,
    User,
)
from app.core.unit_of_work import check, found
from app.courses.models import (
    Course,
    Module,
)
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from app.reports.queries.common import (
    ReportFilters,
    check_reader,
    course_modules,
    people_conditions,
)

MODULE_ACCESS_SORTS = ("module", "name", "first", "last", "opens")


def module_access_query(
    viewer: Any,
    course_id: int,
    filters: ReportFilters,
    module_id: int | None = None,
    sort: str = "module",
) -> Select[Any]:
    """Who opened which module of a course in the period: first and last open, how often.

    Module ids are fixed first, so PostgreSQL walks ``(module_id, user_id, at)`` module
    by module and groups in index order.
    """
    check_reader(viewer)
    check(permissions.can_view_course(viewer, found(db.session.get(Course, course_id))))
    period = filters.period
    module_ids = [m.id for m in course_modules(course_id)]
    if module_id is not None:
        module_ids = [m for m in module_ids if m == module_id]
    opens = (
        select(
            AccessEvent.module_id,
            AccessEvent.user_id,
            func.min(AccessEvent.at).label("first_at"),
            func.max(AccessEvent.at).label("last_at"),
            func.count().label("opens"),
        )
        .where(
            AccessEvent.module_id.in_(module_ids),
            AccessEvent.kind == AccessKind.MODULE_OPEN,
            AccessEvent.at >= period.start_utc,
            AccessEvent.at < period.end_utc,
            AccessEvent.user_id.is_not(None),
            *people_conditions(AccessEvent.user_id, filters),
        )
        .group_by(AccessEvent.module_id, AccessEvent.user_id)
        .subquery("opens")
    )
    name = (User.last_name, User.first_name, User.patronymic)
    module = (Module.position, Module.id)
    tail = (User.id, Module.id)
    orders: dict[str, tuple[Any, ...]] = {
        "module": (*module, *name),
        "name": (*name, *module),
        "first": (opens.c.first_at, *module, *name),
        "last": (opens.c.last_at.desc(), *module, *name),
        "opens": (opens.c.opens.desc(), *module, *name),
    }
    return (
        select(
            Module.id.label("module_id"),
            Module.position.label("module_position"),
            Module.title.label("module_title"),
            User.id.label("user_id"),
            User.last_name,
            User.first_name,
            User.patronymic,
            Organization.short_name.label("organization"),
            opens.c.first_at,
            opens.c.last_at,
            opens.c.opens,
        )
        .select_from(opens)
        .join(Module, Module.id == opens.c.module_id)
        .join(User, User.id == opens.c.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .order_by(*orders.get(sort, orders["module"]), *tail)
    )
