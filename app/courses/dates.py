"""Local calendar dates of the district: events are stored in UTC, people live in one zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_date(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """A local calendar year as UTC instants: Moscow's New Year is 21:00 UTC on Dec 31."""
    zone = local_zone()
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end
