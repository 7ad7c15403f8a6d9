"""Reporting to management: the dashboard and the reports, aggregated in SQL.

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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union,
    union_all,
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
from app.courses.models import (
    Certificate,
    CertificateStatus,
    Course,
    CourseCompletion,
    Enrollment,
    Module,
    ModuleProgress,
)
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from app.materials.models import Material, MaterialStatus, material_subjects
from app.training import register
from app.training.models import ExternalTraining, TrainingStatus
from app.training.register import RegisterFilters, RegisterStatus, Thresholds

MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2099, 12, 31)
MAX_PERIOD_YEARS = 5
MAX_DAY_BUCKETS = 92
TOP_COURSES = 10
TOP_MATERIALS = 10
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


def _instants(items: list[Bucket]) -> list[datetime]:
    return [b.start_utc for b in items] + [items[-1].end_utc]


def _days(items: list[Bucket]) -> list[date]:
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


# --- the dashboard ------------------------------------------------------------------------


@dataclass
class TrainingBucket:
    bucket: Bucket
    platform_count: int = 0
    platform_hours: int = 0
    external_count: int = 0
    external_hours: int = 0

    @property
    def count(self) -> int:
        return self.platform_count + self.external_count

    @property
    def hours(self) -> int:
        return self.platform_hours + self.external_hours


@dataclass
class MaterialBucket:
    bucket: Bucket
    uploaded: int = 0
    downloads: int = 0


@dataclass
class CourseActivity:
    course_id: int
    title: str
    completions: int
    enrolments: int
    started: int


@dataclass
class TopMaterial:
    material_id: int
    title: str
    organization: str | None
    downloads: int


@dataclass
class Figures:
    teachers: int = 0
    ok: int = 0
    completions: int = 0
    hours: int = 0
    uploaded: int = 0
    downloads: int = 0

    @property
    def ok_share(self) -> int | None:
        return round(100 * self.ok / self.teachers) if self.teachers else None


@dataclass
class Dashboard:
    period: Period
    step: str
    status_on: date
    figures: Figures
    trainings: list[TrainingBucket]
    statuses: list[dict[str, Any]]
    courses: list[CourseActivity]
    materials: list[MaterialBucket]
    top_materials: list[TopMaterial]
    status_totals: dict[str, int] = field(default_factory=dict)


def trainings_by_bucket(filters: ReportFilters, items: list[Bucket]) -> list[TrainingBucket]:
    """Platform completions (by ``completed_on``) and verified external records (by
    ``ends_on``) in each bucket: count and hours."""
    days = _days(items)
    result = [TrainingBucket(b) for b in items]
    platform = select(
        bucket_index(CourseCompletion.completed_on, days).label("b"),
        CourseCompletion.hours.label("hours"),
    ).where(
        CourseCompletion.completed_on >= days[0],
        CourseCompletion.completed_on < days[-1],
        *people_conditions(CourseCompletion.user_id, filters),
    )
    external = select(
        bucket_index(ExternalTraining.ends_on, days).label("b"),
        ExternalTraining.hours.label("hours"),
    ).where(
        ExternalTraining.status == TrainingStatus.VERIFIED,
        ExternalTraining.ends_on >= days[0],
        ExternalTraining.ends_on < days[-1],
        *people_conditions(ExternalTraining.user_id, filters),
    )
    for source, attrs in ((platform, "platform"), (external, "external")):
        sub = source.subquery()
        rows = db.session.execute(
            select(sub.c.b, func.count(), func.coalesce(func.sum(sub.c.hours), 0)).group_by(sub.c.b)
        ).all()
        for index, count, hours in rows:
            setattr(result[index], f"{attrs}_count", int(count))
            setattr(result[index], f"{attrs}_hours", int(hours))
    return result


def _events_by_bucket(kind: str, filters: ReportFilters, items: list[Bucket]) -> dict[int, int]:
    instants = _instants(items)
    sub = (
        select(bucket_index(AccessEvent.at, instants).label("b"))
        .where(
            AccessEvent.kind == kind,
            AccessEvent.at >= instants[0],
            AccessEvent.at < instants[-1],
            *people_conditions(AccessEvent.user_id, filters),
        )
        .subquery()
    )
    rows = db.session.execute(select(sub.c.b, func.count()).group_by(sub.c.b)).all()
    return {int(index): int(count) for index, count in rows}


def materials_by_bucket(filters: ReportFilters, items: list[Bucket]) -> list[MaterialBucket]:
    """Materials uploaded (the material's organization and subject) and files downloaded
    (by people of the organization, subject, association) in each bucket."""
    instants = _instants(items)
    result = [MaterialBucket(b) for b in items]
    uploads = (
        select(bucket_index(Material.created_at, instants).label("b"))
        .where(
            Material.created_at >= instants[0],
            Material.created_at < instants[-1],
            *material_conditions(filters, by_uploader=True),
        )
        .subquery()
    )
    for index, count in db.session.execute(
        select(uploads.c.b, func.count()).group_by(uploads.c.b)
    ).all():
        result[index].uploaded = int(count)
    for index, count in _events_by_bucket(AccessKind.FILE_DOWNLOAD, filters, items).items():
        result[index].downloads = count
    return result


def course_activity(filters: ReportFilters, limit: int = TOP_COURSES) -> list[CourseActivity]:
    """The most active courses of the period: completions, then enrolments; and how many
    learners opened their first module of the course in the period."""
    period = filters.period
    completions = (
        select(CourseCompletion.course_id, func.count().label("n"))
        .where(
            CourseCompletion.completed_on >= period.start,
            CourseCompletion.completed_on <= period.end,
            *people_conditions(CourseCompletion.user_id, filters),
        )
        .group_by(CourseCompletion.course_id)
        .subquery()
    )
    enrolments = (
        select(Enrollment.course_id, func.count().label("n"))
        .where(
            Enrollment.enrolled_at >= period.start_utc,
            Enrollment.enrolled_at < period.end_utc,
            *people_conditions(Enrollment.user_id, filters),
        )
        .group_by(Enrollment.course_id)
        .subquery()
    )
    done = func.coalesce(completions.c.n, 0)
    enrolled = func.coalesce(enrolments.c.n, 0)
    top = db.session.execute(
        select(Course.id, Course.title, done.label("done"), enrolled.label("enrolled"))
        .outerjoin(completions, completions.c.course_id == Course.id)
        .outerjoin(enrolments, enrolments.c.course_id == Course.id)
        .where(or_(completions.c.n.is_not(None), enrolments.c.n.is_not(None)))
        .order_by(done.desc(), enrolled.desc(), Course.title, Course.id)
        .limit(limit)
    ).all()
    ids = [row.id for row in top]
    started: dict[int, int] = {}
    if ids:
        firsts = (
            select(
                ModuleProgress.course_id,
                ModuleProgress.user_id,
                func.min(ModuleProgress.first_access_at).label("first"),
            )
            .where(
                ModuleProgress.course_id.in_(ids),
                *people_conditions(ModuleProgress.user_id, filters),
            )
            .group_by(ModuleProgress.course_id, ModuleProgress.user_id)
            .subquery()
        )
        started = dict(
            db.session.execute(
                select(firsts.c.course_id, func.count())
                .where(firsts.c.first >= period.start_utc, firsts.c.first < period.end_utc)
                .group_by(firsts.c.course_id)
            ).all()
        )
    return [
        CourseActivity(
            course_id=row.id,
            title=row.title,
            completions=int(row.done),
            enrolments=int(row.enrolled),
            started=int(started.get(row.id, 0)),
        )
        for row in top
    ]


def top_materials(filters: ReportFilters, limit: int = TOP_MATERIALS) -> list[TopMaterial]:
    period = filters.period
    counts = (
        select(AccessEvent.material_id, func.count().label("n"))
        .where(
            AccessEvent.kind == AccessKind.FILE_DOWNLOAD,
            AccessEvent.at >= period.start_utc,
            AccessEvent.at < period.end_utc,
            AccessEvent.material_id.is_not(None),
            *people_conditions(AccessEvent.user_id, filters),
        )
        .group_by(AccessEvent.material_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Material.id, Material.title, Organization.short_name, counts.c.n)
        .join(counts, counts.c.material_id == Material.id)
        .outerjoin(Organization, Organization.id == Material.organization_id)
        .order_by(counts.c.n.desc(), Material.sort_title, Material.id)
        .limit(limit)
    ).all()
    return [TopMaterial(r[0], r[1], r[2], int(r[3])) for r in rows]


def build_dashboard(filters: ReportFilters, on_day: date, step: str = "month") -> Dashboard:
    items = buckets(filters.period, step)
    trainings = trainings_by_bucket(filters, items)
    materials = materials_by_bucket(filters, items)
    status_on = status_day(filters.period, on_day)
    statuses = register.status_by_organization(
        Thresholds.for_day(status_on), filters.register_filters()
    )
    totals = {s.value: sum(entry[s.value] for entry in statuses) for s in RegisterStatus}
    figures = Figures(
        teachers=sum(totals.values()),
        ok=totals[RegisterStatus.OK.value],
        completions=sum(t.count for t in trainings),
        hours=sum(t.hours for t in trainings),
        uploaded=sum(m.uploaded for m in materials),
        downloads=sum(m.downloads for m in materials),
    )
    return Dashboard(
        period=filters.period,
        step=step,
        status_on=status_on,
        figures=figures,
        trainings=trainings,
        statuses=statuses,
        courses=course_activity(filters),
        materials=materials,
        top_materials=top_materials(filters),
        status_totals=totals,
    )


@dataclass
class HomeFigures:
    year: int
    teachers: int
    ok_share: int | None
    overdue: int
    due_soon: int
    completions: int
    hours: int


def home_figures(on_day: date) -> HomeFigures:
    """The manager's home page: this year's completions and hours, the register today."""
    counts = register.status_counts(RegisterFilters(), Thresholds.for_day(on_day))
    teachers = sum(counts.values())
    period = Period(date(on_day.year, 1, 1), on_day)
    trainings = trainings_by_bucket(ReportFilters(period), buckets(period, "month"))
    return HomeFigures(
        year=on_day.year,
        teachers=teachers,
        ok_share=round(100 * counts[RegisterStatus.OK.value] / teachers) if teachers else None,
        overdue=counts[RegisterStatus.OVERDUE.value],
        due_soon=counts[RegisterStatus.DUE_SOON.value],
        completions=sum(t.count for t in trainings),
        hours=sum(t.hours for t in trainings),
    )


# --- report: completions ------------------------------------------------------------------

COMPLETION_KINDS = ("platform", "external")
COMPLETION_SORTS = ("date", "name", "organization", "programme", "hours")


def completions_query(filters: ReportFilters, kind: str = "", sort: str = "date") -> Select[Any]:
    """Platform completions (with their valid document) and verified external records
    that ended in the period, one row each."""
    period = filters.period
    platform = (
        select(
            literal_column("'platform'", String).label("kind"),
            CourseCompletion.id.label("record_id"),
            User.id.label("user_id"),
            User.last_name,
            User.first_name,
            User.patronymic,
            Organization.short_name.label("organization"),
            cast(null(), String).label("provider"),
            Course.title.label("programme"),
            Certificate.started_on.label("starts_on"),
            CourseCompletion.completed_on.label("ends_on"),
            CourseCompletion.hours.label("hours"),
            Certificate.document_type.label("document_type"),
            Certificate.number.label("document_number"),
        )
        .select_from(CourseCompletion)
        .join(User, User.id == CourseCompletion.user_id)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(
            Certificate,
            and_(
                Certificate.completion_id == CourseCompletion.id,
                Certificate.status == CertificateStatus.VALID,
            ),
        )
        .where(
            CourseCompletion.completed_on >= period.start,
            CourseCompletion.completed_on <= period.end,
            *people_conditions(CourseCompletion.user_id, filters),
        )
    )
    external = (
        select(
            literal_column("'external'", String).label("kind"),
            ExternalTraining.id.label("record_id"),
            User.id.label("user_id"),
            User.last_name,
            User.first_name,
            User.patronymic,
            Organization.short_name.label("organization"),
            ExternalTraining.provider.label("provider"),
            ExternalTraining.programme.label("programme"),
            ExternalTraining.starts_on.label("starts_on"),
            ExternalTraining.ends_on.label("ends_on"),
            ExternalTraining.hours.label("hours"),
            ExternalTraining.document_type.label("document_type"),
            ExternalTraining.document_number.label("document_number"),
        )
        .select_from(ExternalTraining)
        .join(User, User.id == ExternalTraining.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(
            ExternalTraining.status == TrainingStatus.VERIFIED,
            ExternalTraining.ends_on >= period.start,
            ExternalTraining.ends_on <= period.end,
            *people_conditions(ExternalTraining.user_id, filters),
        )
    )
    parts = {"platform": platform, "external": external}
    chosen = [parts[kind]] if kind in parts else list(parts.values())
    rows = (union_all(*chosen) if len(chosen) > 1 else chosen[0]).subquery("completions")
    c = rows.c
    name = (c.last_name, c.first_name, c.patronymic)
    tail = (c.kind, c.record_id)
    orders: dict[str, tuple[Any, ...]] = {
        "date": (c.ends_on.desc(), *name),
        "name": (*name, c.ends_on.desc()),
        "organization": (c.organization.asc().nulls_last(), *name, c.ends_on.desc()),
        "programme": (c.programme, c.ends_on.desc(), *name),
        "hours": (c.hours.desc(), c.ends_on.desc(), *name),
    }
    return select(rows).order_by(*orders.get(sort, orders["date"]), *tail)


# --- report: the register -------------------------------------------------------------------


def register_query(filters: RegisterFilters, on_day: date, sort: str = "name") -> Select[Any]:
    key = sort if sort in register.SORT_KEYS else "name"
    return register.sort_clause(register.register_select(filters, Thresholds.for_day(on_day)), key)


# --- report: module access --------------------------------------------------------------------

MODULE_ACCESS_SORTS = ("module", "name", "first", "last", "opens")


def module_access_query(
    course_id: int,
    filters: ReportFilters,
    module_id: int | None = None,
    sort: str = "module",
) -> Select[Any]:
    """Who opened which module of a course in the period: first and last open, how often.

    Module ids are fixed first, so PostgreSQL walks ``(module_id, user_id, at)`` module
    by module and groups in index order.
    """
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


# --- report: materials usage ------------------------------------------------------------------

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


def materials_query(filters: ReportFilters, sort: str = "downloads") -> Select[Any]:
    """Views and downloads of each material in the period: every published material, and
    any other that was used in the period, filtered by the material's organization and
    subject. (The "used" test is an ``EXISTS``, so counting the rows skips the aggregate.)"""
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


def downloads_by_organization(filters: ReportFilters) -> Select[Any]:
    """Views and downloads of the (filtered) materials by the organization of the person:
    summed per person first, then per organization."""
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


# --- report: organizations ---------------------------------------------------------------------

ORGANIZATION_SORTS = ("name", "teachers", "share", "hours_per_teacher", "completions", "overdue")


def organizations_query(filters: ReportFilters, on_day: date, sort: str = "name") -> Select[Any]:
    """Per organization: teachers and their register statuses (as of the end of the period),
    completions and hours in the period, hours per teacher. Teachers without an
    organization make one row of their own."""
    period = filters.period
    status_on = status_day(period, on_day)
    reg = register.register_select(
        filters.register_filters(), Thresholds.for_day(status_on)
    ).subquery("reg")
    org_key = func.coalesce(reg.c.organization_id, ZERO)

    def status_sum(status: RegisterStatus) -> Any:
        return func.sum(case((reg.c.status == status.value, 1), else_=0))

    people = (
        select(
            org_key.label("org_key"),
            func.count().label("teachers"),
            status_sum(RegisterStatus.OK).label("ok"),
            status_sum(RegisterStatus.DUE_SOON).label("due_soon"),
            status_sum(RegisterStatus.OVERDUE).label("overdue"),
            status_sum(RegisterStatus.NO_DATA).label("no_data"),
        )
        .group_by(org_key)
        .subquery("people")
    )
    platform = select(
        CourseCompletion.user_id.label("user_id"), CourseCompletion.hours.label("hours")
    ).where(
        CourseCompletion.completed_on >= period.start,
        CourseCompletion.completed_on <= period.end,
        *people_conditions(CourseCompletion.user_id, filters),
    )
    external = select(
        ExternalTraining.user_id.label("user_id"), ExternalTraining.hours.label("hours")
    ).where(
        ExternalTraining.status == TrainingStatus.VERIFIED,
        ExternalTraining.ends_on >= period.start,
        ExternalTraining.ends_on <= period.end,
        *people_conditions(ExternalTraining.user_id, filters),
    )
    trainings = union_all(platform, external).subquery("trainings")
    training_org = func.coalesce(User.organization_id, ZERO)
    done = (
        select(
            training_org.label("org_key"),
            func.count().label("completions"),
            func.sum(trainings.c.hours).label("hours"),
        )
        .select_from(trainings)
        .join(User, User.id == trainings.c.user_id)
        .group_by(training_org)
        .subquery("done")
    )
    keys = union(select(people.c.org_key), select(done.c.org_key)).subquery("keys")
    teachers = func.coalesce(people.c.teachers, 0)
    ok = func.coalesce(people.c.ok, 0)
    hours = func.coalesce(done.c.hours, 0)
    completions = func.coalesce(done.c.completions, 0)
    share = case((teachers > 0, cast(ok, Float) / teachers), else_=None)
    per_teacher = case((teachers > 0, cast(hours, Float) / teachers), else_=None)
    name = (Organization.short_name.asc().nulls_last(),)
    orders: dict[str, tuple[Any, ...]] = {
        "name": name,
        "teachers": (teachers.desc(), *name),
        "share": (share.asc().nulls_last(), *name),
        "hours_per_teacher": (per_teacher.asc().nulls_last(), *name),
        "completions": (completions.desc(), *name),
        "overdue": (func.coalesce(people.c.overdue, 0).desc(), *name),
    }
    query = (
        select(
            Organization.id.label("organization_id"),
            Organization.short_name.label("organization"),
            teachers.label("teachers"),
            ok.label("ok"),
            func.coalesce(people.c.due_soon, 0).label("due_soon"),
            func.coalesce(people.c.overdue, 0).label("overdue"),
            func.coalesce(people.c.no_data, 0).label("no_data"),
            completions.label("completions"),
            hours.label("hours"),
        )
        .select_from(keys)
        .outerjoin(people, people.c.org_key == keys.c.org_key)
        .outerjoin(done, done.c.org_key == keys.c.org_key)
        .outerjoin(Organization, Organization.id == keys.c.org_key)
        .order_by(*orders.get(sort, orders["name"]), keys.c.org_key)
    )
    if filters.organization_id:
        query = query.where(keys.c.org_key == filters.organization_id)
    return query
