"""What every report shares: local time and its buckets, the filters, paging, streaming.

Time. Events are stored in UTC; reports group them by local days and months
(``TIMEZONE``, Europe/Moscow by default). The boundaries of every bucket are
computed here in Python (local midnights turned into UTC instants through
zoneinfo) and handed to SQL as plain parameters of a ``CASE`` (a binary search,
so a row costs a handful of comparisons whatever the number of buckets). No
dialect's date functions are used, so SQLite and PostgreSQL answer identically.
Completions and external trainings carry local calendar dates already and are
bucketed by those.

Who is counted. Facts (completions, hours, downloads, module opens) count for
whoever did them, narrowed by the person's organization, subject and
methodical association; register figures (teachers, statuses) cover the
active teachers the register covers (``register.teachers_query``).

Every function takes explicit arguments (filters, the day the report is made
for) and returns plain data or a ``Select`` that the caller pages or streams:
rows are never loaded wholesale into Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Integer,
    Select,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from app import permissions
from app.accounts.models import (
    MethodicalAssociation,
    Organization,
    Subject,
    User,
    association_members,
    user_subjects,
)
from app.core.unit_of_work import check
from app.courses.models import (
    Course,
    Module,
)
from app.extensions import db
from app.materials.models import Material, material_subjects
from app.training import register
from app.training.register import RegisterFilters

MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2099, 12, 31)
MAX_PERIOD_YEARS = 5
MAX_DAY_BUCKETS = 92
EXPORT_BATCH = 1000
# Constants written into the SQL text, not bound: PostgreSQL must see the same
# expression in SELECT and GROUP BY.
ZERO = literal_column("0", Integer)


# --- time -----------------------------------------------------------------------------


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_midnight(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant at which ``day`` begins in the local zone."""
    return datetime.combine(day, time(), tzinfo=tz or zone()).astimezone(UTC)


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone()).date()


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive: the first instant after the period."""
        return local_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def add_months(day: date, months: int) -> date:
    return register.add_months(day, months)


def max_period_start(end: date) -> date:
    """The earliest start a period ending on ``end`` may have (``MAX_PERIOD_YEARS`` long)."""
    return register.add_years(end, -MAX_PERIOD_YEARS) + timedelta(days=1)


@dataclass(frozen=True)
class Bucket:
    """One day or month of a period: local dates (clipped to the period) and UTC bounds."""

    first: date
    last: date
    start_utc: datetime
    end_utc: datetime
    step: str  # "month" or "day"


def buckets(period: Period, step: str) -> list[Bucket]:
    tz = zone()
    firsts: list[date] = []
    day = period.start
    while day <= period.end:
        firsts.append(day)
        if step == "day":
            day = day + timedelta(days=1)
        else:
            day = add_months(date(day.year, day.month, 1), 1)
    ends = [*firsts[1:], period.end + timedelta(days=1)]
    return [
        Bucket(
            first=first,
            last=end - timedelta(days=1),
            start_utc=local_midnight(first, tz),
            end_utc=local_midnight(end, tz),
            step=step,
        )
        for first, end in zip(firsts, ends, strict=True)
    ]


def bucket_index(column: Any, boundaries: Sequence[Any]) -> ColumnElement[int]:
    """Which bucket a value falls in, as a binary-search ``CASE``.

    ``boundaries`` are ``b0 < b1 < … < bn``; bucket ``i`` is ``[b_i, b_{i+1})``. The
    caller restricts rows to ``[b0, bn)``. The comparisons bind the boundaries with
    the column's own type, so UTC datetimes are stored and compared alike on both
    databases.
    """

    def node(lo: int, hi: int) -> Any:
        if hi - lo == 1:
            return literal_column(str(lo), Integer)
        mid = (lo + hi) // 2
        return case((column < boundaries[mid], node(lo, mid)), else_=node(mid, hi))

    if len(boundaries) < 2:
        raise ValueError("at least one bucket is needed")
    return node(0, len(boundaries) - 1)


def bucket_instants(items: list[Bucket]) -> list[datetime]:
    return [b.start_utc for b in items] + [items[-1].end_utc]


def bucket_days(items: list[Bucket]) -> list[date]:
    return [b.first for b in items] + [items[-1].last + timedelta(days=1)]


# --- filters --------------------------------------------------------------------------


@dataclass
class ReportFilters:
    period: Period
    organization_id: int | None = None
    subject_id: int | None = None
    association_id: int | None = None

    def register_filters(self, **extra: Any) -> RegisterFilters:
        return RegisterFilters(
            organization_id=self.organization_id,
            subject_id=self.subject_id,
            association_id=self.association_id,
            **extra,
        )

    @property
    def narrows_people(self) -> bool:
        return bool(self.organization_id or self.subject_id or self.association_id)


def people_conditions(user_id: Any, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """Conditions on a user-id column: the person's organization, subject, association."""
    conditions: list[ColumnElement[bool]] = []
    if filters.organization_id:
        conditions.append(
            user_id.in_(select(User.id).where(User.organization_id == filters.organization_id))
        )
    if filters.subject_id:
        conditions.append(
            user_id.in_(
                select(user_subjects.c.user_id).where(
                    user_subjects.c.subject_id == filters.subject_id
                )
            )
        )
    if filters.association_id:
        conditions.append(
            user_id.in_(
                select(association_members.c.user_id).where(
                    association_members.c.association_id == filters.association_id
                )
            )
        )
    return conditions


def material_conditions(filters: ReportFilters, *, by_uploader: bool) -> list[Any]:
    """A material's own organization and subject; the association through its uploader."""
    conditions: list[Any] = []
    if filters.organization_id:
        conditions.append(Material.organization_id == filters.organization_id)
    if filters.subject_id:
        conditions.append(
            Material.id.in_(
                select(material_subjects.c.material_id).where(
                    material_subjects.c.subject_id == filters.subject_id
                )
            )
        )
    if by_uploader and filters.association_id:
        conditions.append(
            Material.uploaded_by_id.in_(
                select(association_members.c.user_id).where(
                    association_members.c.association_id == filters.association_id
                )
            )
        )
    return conditions


@dataclass
class FilterOptions:
    organizations: list[Organization]
    subjects: list[Subject]
    associations: list[MethodicalAssociation]


def check_reader(viewer: Any) -> None:
    """The first line of every report: only those who may read reports get an answer."""
    check(permissions.can_view_reports(viewer))


def filter_options() -> FilterOptions:
    return FilterOptions(
        organizations=list(
            db.session.execute(select(Organization).order_by(Organization.short_name)).scalars()
        ),
        subjects=list(db.session.execute(select(Subject).order_by(Subject.name)).scalars()),
        associations=register.association_choices(),
    )


def course_options(user: Any) -> list[Course]:
    query = permissions.visible_courses(user, select(Course)).order_by(Course.title, Course.id)
    return list(db.session.execute(query).scalars())


def course_modules(course_id: int) -> list[Module]:
    return list(
        db.session.execute(
            select(Module).where(Module.course_id == course_id).order_by(Module.position, Module.id)
        ).scalars()
    )


def status_day(period: Period, day: date) -> date:
    """The register is read as of the end of the period, never later than today."""
    return min(period.end, day)


# --- paging and streaming ---------------------------------------------------------------


@dataclass
class Page:
    """One page of rows; the attributes the ``pager`` macro reads."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)


def count_rows(query: Select[Any]) -> int:
    sub = query.order_by(None).subquery()
    return int(db.session.execute(select(func.count()).select_from(sub)).scalar_one())


def paginate(query: Select[Any], page: int, per_page: int) -> Page:
    """LIMIT/OFFSET in SQL; a page past the end shows the last one."""
    total = count_rows(query)
    last = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), last)
    items = list(db.session.execute(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def stream(query: Select[Any]) -> Iterator[Any]:
    """Every row of ``query`` in batches (a server-side cursor on PostgreSQL)."""
    yield from db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
