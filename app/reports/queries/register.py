"""Report: the three-year register of professional development, and its status counts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select

from app.reports.queries.common import check_reader
from app.training import register
from app.training.register import RegisterFilters, Thresholds

REGISTER_SORTS = register.SORT_KEYS


def register_query(
    viewer: Any, filters: RegisterFilters, on_day: date, sort: str = "name"
) -> Select[Any]:
    check_reader(viewer)
    key = sort if sort in REGISTER_SORTS else "name"
    return register.sort_clause(register.register_select(filters, Thresholds.for_day(on_day)), key)


def register_counts(viewer: Any, filters: RegisterFilters, on_day: date) -> dict[str, int]:
    """Teachers in each status under the same filters (the page's tabs)."""
    check_reader(viewer)
    return register.status_counts(filters, Thresholds.for_day(on_day))
