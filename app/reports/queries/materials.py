"""Report: views and downloads of materials, and by the organization of the people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    case,
    func,
    or_,
    select,
)

from app.accounts.models import (
    Organization,
    User,
)
from app.materials.access_events import AccessEvent, AccessKind
from app.materials.models import Material, MaterialStatus
from app.reports.queries.common import ZERO, ReportFilters, check_reader, material_conditions

MATERIAL_SORTS = ("downloads", "views", "title", "organization")


def _usage_conditions(filters: ReportFilters) -> list[Any]:
    period = filters.period
    return [
        AccessEvent.kind.in_([AccessKind.MATERIAL_VIEW, AccessKind.FILE_DOWNLOAD]),
        AccessEvent.at >= period.start_utc,
        AccessEvent.at < period.end_utc,
    ]


def _view_and_download_sums() -> tuple[Any, Any]:
    return (
        func.sum(case((AccessEvent.kind == AccessKind.MATERIAL_VIEW, 1), else_=0)),
        func.sum(case((AccessEvent.kind == AccessKind.FILE_DOWNLOAD, 1), else_=0)),
    )


def materials_query(viewer: Any, filters: ReportFilters, sort: str = "downloads") -> Select[Any]:
    """Views and downloads of each material in the period: every published material, and
    any other that was used in the period, filtered by the material's organization and
    subject. (The "used" test is an ``EXISTS``, so counting the rows skips the aggregate.)"""
    check_reader(viewer)
    views_sum, downloads_sum = _view_and_download_sums()
    usage = (
        select(AccessEvent.material_id, views_sum.label("views"), downloads_sum.label("downloads"))
        .where(AccessEvent.material_id.is_not(None), *_usage_conditions(filters))
        .group_by(AccessEvent.material_id)
        .subquery("usage")
    )
    used = (
        select(AccessEvent.id)
        .where(AccessEvent.material_id == Material.id, *_usage_conditions(filters))
        .exists()
    )
    views = func.coalesce(usage.c.views, ZERO)
    downloads = func.coalesce(usage.c.downloads, ZERO)
    orders: dict[str, tuple[Any, ...]] = {
        "downloads": (downloads.desc(), views.desc(), Material.sort_title),
        "views": (views.desc(), downloads.desc(), Material.sort_title),
        "title": (Material.sort_title,),
        "organization": (Organization.short_name.asc().nulls_last(), Material.sort_title),
    }
    return (
        select(
            Material.id.label("material_id"),
            Material.title,
            Material.status,
            Organization.short_name.label("organization"),
            views.label("views"),
            downloads.label("downloads"),
        )
        .select_from(Material)
        .outerjoin(usage, usage.c.material_id == Material.id)
        .outerjoin(Organization, Organization.id == Material.organization_id)
        .where(
            or_(Material.status == MaterialStatus.PUBLISHED, used),
            *material_conditions(filters, by_uploader=False),
        )
        .order_by(*orders.get(sort, orders["downloads"]), Material.id)
    )


def downloads_by_organization(viewer: Any, filters: ReportFilters) -> Select[Any]:
    """Views and downloads of the (filtered) materials by the organization of the person:
    summed per person first, then per organization."""
    check_reader(viewer)
    views_sum, downloads_sum = _view_and_download_sums()
    conditions = material_conditions(filters, by_uploader=False)
    per_user = select(
        AccessEvent.user_id, views_sum.label("views"), downloads_sum.label("downloads")
    ).where(
        AccessEvent.material_id.is_not(None),
        AccessEvent.user_id.is_not(None),
        *_usage_conditions(filters),
    )
    if conditions:
        per_user = per_user.where(
            AccessEvent.material_id.in_(select(Material.id).where(*conditions))
        )
    people = per_user.group_by(AccessEvent.user_id).subquery("per_user")
    downloads = func.sum(people.c.downloads)
    return (
        select(
            User.organization_id,
            Organization.short_name.label("organization"),
            func.sum(people.c.views).label("views"),
            downloads.label("downloads"),
            func.sum(case((people.c.downloads > ZERO, 1), else_=0)).label("downloaders"),
        )
        .select_from(people)
        .join(User, User.id == people.c.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .group_by(User.organization_id, Organization.short_name)
        .order_by(downloads.desc(), Organization.short_name.asc().nulls_last())
    )
