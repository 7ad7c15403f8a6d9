"""Reading the journal: filters and pages (the writing is in ``recorder``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, select

from app import permissions
from app.audit.models import AuditEntry
from app.core.unit_of_work import check
from app.extensions import db


@dataclass(frozen=True)
class JournalFilters:
    actor_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _local_midnight_utc(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def journal_query(viewer: Any, filters: JournalFilters) -> Select[tuple[AuditEntry]]:
    """Newest first; dates are the office's local days, both ends included."""
    check(permissions.can_view_audit_log(viewer))
    query = select(AuditEntry)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _local_midnight_utc(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < _local_midnight_utc(filters.date_to + timedelta(1)))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def journal_page(viewer: Any, filters: JournalFilters, page: int):  # type: ignore[no-untyped-def]
    per_page = current_app.config.get("AUDIT_PER_PAGE", 50)
    query = journal_query(viewer, filters)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def actors(viewer: Any) -> list[tuple[int, str]]:
    """People who appear in the journal as actors, for the filter (latest name each)."""
    check(permissions.can_view_audit_log(viewer))
    rows = db.session.execute(
        select(AuditEntry.actor_id, func.max(AuditEntry.actor_name))
        .where(AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id)
        .order_by(func.max(AuditEntry.actor_name))
    ).all()
    return [(actor_id, name) for actor_id, name in rows]


def details_of(entry: AuditEntry) -> dict[str, Any]:
    try:
        value = json.loads(entry.details or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
