"""Report: per organization, teachers by register status, completions and hours."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    case,
    cast,
    func,
    select,
    union,
    union_all,
)

from app.accounts.models import (
    Organization,
    User,
)
from app.courses.models import (
    CourseCompletion,
)
from app.reports.queries.common import (
    ZERO,
    ReportFilters,
    check_reader,
    people_conditions,
    status_day,
)
from app.training import register
from app.training.models import ExternalTraining, TrainingStatus
from app.training.register import RegisterStatus, Thresholds

ORGANIZATION_SORTS = ("name", "teachers", "share", "hours_per_teacher", "completions", "overdue")


def organizations_query(
    viewer: Any, filters: ReportFilters, on_day: date, sort: str = "name"
) -> Select[Any]:
    """Per organization: teachers and their register statuses (as of the end of the period),
    completions and hours in the period, hours per teacher. Teachers without an
    organization make one row of their own."""
    check_reader(viewer)
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
