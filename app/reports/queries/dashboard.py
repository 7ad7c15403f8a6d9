"""The dashboard: trainings and materials by month or day, statuses, courses, top materials;
and the key figures of the manager's home page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    func,
    or_,
    select,
)

from app.accounts.models import (
    Organization,
)
from app.courses.models import (
    Course,
    CourseCompletion,
    Enrollment,
    ModuleProgress,
)
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from app.materials.models import Material
from app.reports.queries.common import (
    Bucket,
    Period,
    ReportFilters,
    bucket_days,
    bucket_index,
    bucket_instants,
    buckets,
    check_reader,
    material_conditions,
    people_conditions,
    status_day,
)
from app.training import register
from app.training.models import ExternalTraining, TrainingStatus
from app.training.register import RegisterFilters, RegisterStatus, Thresholds

TOP_COURSES = 10
TOP_MATERIALS = 10


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
    days = bucket_days(items)
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
    instants = bucket_instants(items)
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
    instants = bucket_instants(items)
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


def build_dashboard(
    viewer: Any, filters: ReportFilters, on_day: date, step: str = "month"
) -> Dashboard:
    check_reader(viewer)
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


def home_figures(viewer: Any, on_day: date) -> HomeFigures:
    """The manager's home page: this year's completions and hours, the register today."""
    check_reader(viewer)
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
