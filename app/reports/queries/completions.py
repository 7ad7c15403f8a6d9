"""Report: who completed what in the period (platform courses and verified external training)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    cast,
    literal_column,
    null,
    select,
    union_all,
)

from app.accounts.models import (
    Organization,
    User,
)
from app.courses.models import (
    Certificate,
    CertificateStatus,
    Course,
    CourseCompletion,
)
from app.reports.queries.common import ReportFilters, check_reader, people_conditions
from app.training.models import ExternalTraining, TrainingStatus

COMPLETION_KINDS = ("platform", "external")
COMPLETION_SORTS = ("date", "name", "organization", "programme", "hours")


def completions_query(
    viewer: Any, filters: ReportFilters, kind: str = "", sort: str = "date"
) -> Select[Any]:
    """Platform completions (with their valid document) and verified external records
    that ended in the period, one row each."""
    check_reader(viewer)
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
