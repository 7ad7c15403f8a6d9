"""The three-year professional-development register (273-ФЗ, art. 47).

Every teacher's trainings are platform completions plus verified external
records. Dates are local calendar dates stored at write time, and the status
thresholds are computed here in Python and passed to SQL as plain dates, so the
same query answers identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, case, func, literal, select, union_all

from app.accounts.models import (
    MethodicalAssociation,
    Organization,
    Role,
    User,
    association_members,
    user_subjects,
)
from app.courses.models import Certificate, Course, CourseCompletion
from app.extensions import db
from app.training.models import Attestation, ExternalTraining, TrainingStatus

PERIOD_YEARS = 3


class RegisterStatus(enum.StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NO_DATA = "no_data"


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def latest_last_day_due_by(day: date) -> date:
    """The latest last-training date whose deadline falls on or before ``day``.

    Mostly ``day`` minus three years; but a Feb 29 training is due on Feb 28, so
    when ``day`` is Feb 28 the leap day three years back counts as due too.
    """
    back = add_years(day, -PERIOD_YEARS)
    if (day.month, day.day) == (2, 28) and calendar.isleap(back.year):
        return date(back.year, 2, 29)
    return back


def due_date(last: date | None) -> date | None:
    return add_years(last, PERIOD_YEARS) if last else None


@dataclass(frozen=True)
class Thresholds:
    today: date
    overdue_before: date  # last training earlier than this: overdue
    soon_before: date  # last training on or before this (and not overdue): due soon
    window_start: date  # hours "over the last three years" count after this date

    @classmethod
    def for_day(cls, today: date, soon_months: int | None = None) -> Thresholds:
        months = (
            current_app.config["REGISTER_DUE_SOON_MONTHS"] if soon_months is None else soon_months
        )
        return cls(
            today=today,
            overdue_before=add_years(today, -PERIOD_YEARS),
            soon_before=latest_last_day_due_by(add_months(today, months)),
            window_start=add_years(today, -PERIOD_YEARS),
        )


def status_for(last: date | None, thresholds: Thresholds) -> RegisterStatus:
    if last is None:
        return RegisterStatus.NO_DATA
    if last < thresholds.overdue_before:
        return RegisterStatus.OVERDUE
    if last <= thresholds.soon_before:
        return RegisterStatus.DUE_SOON
    return RegisterStatus.OK


def trainings_union(until: date) -> Any:
    """(user_id, day, hours) of every training that counts, up to ``until``."""
    platform = select(
        CourseCompletion.user_id.label("user_id"),
        CourseCompletion.completed_on.label("day"),
        CourseCompletion.hours.label("hours"),
    ).where(CourseCompletion.completed_on <= until)
    external = select(
        ExternalTraining.user_id.label("user_id"),
        ExternalTraining.ends_on.label("day"),
        ExternalTraining.hours.label("hours"),
    ).where(ExternalTraining.status == TrainingStatus.VERIFIED, ExternalTraining.ends_on <= until)
    return union_all(platform, external).subquery("trainings")


@dataclass
class RegisterFilters:
    organization_id: int | None = None
    subject_id: int | None = None
    association_id: int | None = None
    status: str = ""
    due_within_months: int | None = None
    q: str = ""


def teachers_query(filters: RegisterFilters) -> Select[Any]:
    query = select(User.id).where(User.role == Role.TEACHER, User.is_active_flag.is_(True))
    if filters.organization_id:
        query = query.where(User.organization_id == filters.organization_id)
    if filters.subject_id:
        query = query.where(
            User.id.in_(
                select(user_subjects.c.user_id).where(
                    user_subjects.c.subject_id == filters.subject_id
                )
            )
        )
    if filters.association_id:
        query = query.where(
            User.id.in_(
                select(association_members.c.user_id).where(
                    association_members.c.association_id == filters.association_id
                )
            )
        )
    for word in (filters.q or "").casefold().replace("ё", "е").split()[:5]:
        query = query.where(User.search_text.contains(word, autoescape=True))
    return query


def register_select(filters: RegisterFilters, thresholds: Thresholds) -> Select[Any]:
    """One row per teacher: last training, hours over three years and this year, status."""
    trainings = trainings_union(thresholds.today)
    year_start = date(thresholds.today.year, 1, 1)
    per_user = (
        select(
            trainings.c.user_id,
            func.max(trainings.c.day).label("last_day"),
            func.sum(
                case((trainings.c.day > thresholds.window_start, trainings.c.hours), else_=0)
            ).label("hours_window"),
            func.sum(case((trainings.c.day >= year_start, trainings.c.hours), else_=0)).label(
                "hours_year"
            ),
        )
        .group_by(trainings.c.user_id)
        .subquery("per_user")
    )
    status = case(
        (per_user.c.last_day.is_(None), literal(RegisterStatus.NO_DATA.value)),
        (per_user.c.last_day < thresholds.overdue_before, literal(RegisterStatus.OVERDUE.value)),
        (per_user.c.last_day <= thresholds.soon_before, literal(RegisterStatus.DUE_SOON.value)),
        else_=literal(RegisterStatus.OK.value),
    ).label("status")
    query = (
        select(
            User,
            Organization.short_name.label("organization"),
            per_user.c.last_day,
            func.coalesce(per_user.c.hours_window, 0).label("hours_window"),
            func.coalesce(per_user.c.hours_year, 0).label("hours_year"),
            status,
            Attestation.category.label("attestation_category"),
            Attestation.granted_on.label("attestation_granted_on"),
        )
        .select_from(User)
        .outerjoin(per_user, per_user.c.user_id == User.id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(Attestation, Attestation.user_id == User.id)
        .where(User.id.in_(teachers_query(filters)))
    )
    if filters.status in set(RegisterStatus):
        query = query.where(status == filters.status)
    if filters.due_within_months is not None:
        # Due from today up to N months ahead: not overdue, and due by then.
        horizon = latest_last_day_due_by(add_months(thresholds.today, filters.due_within_months))
        query = query.where(
            and_(
                per_user.c.last_day >= thresholds.overdue_before,
                per_user.c.last_day <= horizon,
            )
        )
    return query


SORT_KEYS = ("name", "organization", "last", "hours", "status")


def sort_clause(query: Select[Any], key: str) -> Select[Any]:
    columns = {c.name: c for c in query.selected_columns}
    if key == "last":
        return query.order_by(columns["last_day"].asc().nulls_first(), User.last_name, User.id)
    if key == "hours":
        return query.order_by(columns["hours_window"].desc(), User.last_name, User.id)
    if key == "status":
        order = case(
            (columns["status"] == RegisterStatus.OVERDUE.value, 0),
            (columns["status"] == RegisterStatus.NO_DATA.value, 1),
            (columns["status"] == RegisterStatus.DUE_SOON.value, 2),
            else_=3,
        )
        return query.order_by(order, User.last_name, User.id)
    if key == "organization":
        return query.order_by(Organization.short_name, User.last_name, User.id)
    return query.order_by(User.last_name, User.first_name, User.id)


@dataclass
class RegisterRow:
    user: User
    organization: str | None
    last_day: date | None
    due_day: date | None
    hours_window: int
    hours_year: int
    status: str
    attestation_category: str | None
    attestation_granted_on: date | None


def to_row(record: Any) -> RegisterRow:
    return RegisterRow(
        user=record.User,
        organization=record.organization,
        last_day=record.last_day,
        due_day=due_date(record.last_day),
        hours_window=int(record.hours_window or 0),
        hours_year=int(record.hours_year or 0),
        status=record.status,
        attestation_category=record.attestation_category,
        attestation_granted_on=record.attestation_granted_on,
    )


def status_counts(filters: RegisterFilters, thresholds: Thresholds) -> dict[str, int]:
    base = register_select(RegisterFilters(**{**filters.__dict__, "status": ""}), thresholds)
    sub = base.subquery()
    rows = db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    counts = {s.value: 0 for s in RegisterStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


def status_by_organization(
    thresholds: Thresholds, filters: RegisterFilters
) -> list[dict[str, Any]]:
    """Per organization: teachers in each status (the dashboard's stacked bars)."""
    sub = register_select(
        RegisterFilters(**{**filters.__dict__, "status": ""}), thresholds
    ).subquery()
    rows = db.session.execute(
        select(sub.c.organization, sub.c.status, func.count())
        .group_by(sub.c.organization, sub.c.status)
        .order_by(sub.c.organization)
    ).all()
    table: dict[str, dict[str, Any]] = {}
    for organization, status, n in rows:
        name = organization or "—"
        entry = table.setdefault(
            name, {"organization": name, **{s.value: 0 for s in RegisterStatus}}
        )
        entry[status] = int(n)
    for entry in table.values():
        entry["total"] = sum(entry[s.value] for s in RegisterStatus)
        entry["ok_share"] = round(100 * entry["ok"] / entry["total"]) if entry["total"] else 0
    return list(table.values())


def teacher_trainings(
    user: User, until: date | None = None, external: list[ExternalTraining] | None = None
) -> list[dict[str, Any]]:
    """Every training of one teacher, newest first (for the personal card).

    ``external``: the teacher's external records when the caller has them loaded already.
    """
    platform = db.session.execute(
        select(CourseCompletion, Course.title, Certificate.number)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(
            Certificate,
            and_(Certificate.completion_id == CourseCompletion.id, Certificate.status == "valid"),
        )
        .where(CourseCompletion.user_id == user.id)
    ).all()
    items = [
        {
            "kind": "platform",
            "provider": current_app.config["CERTIFICATE_ISSUER"],
            "programme": title,
            "hours": completion.hours,
            "starts_on": None,
            "ends_on": completion.completed_on,
            "document": number or "",
            "status": TrainingStatus.VERIFIED.value,
        }
        for completion, title, number in platform
    ]
    if external is None:
        external = list(
            db.session.execute(
                select(ExternalTraining).where(ExternalTraining.user_id == user.id)
            ).scalars()
        )
    for record in external:
        items.append(
            {
                "kind": "external",
                "id": record.id,
                "provider": record.provider,
                "programme": record.programme,
                "hours": record.hours,
                "starts_on": record.starts_on,
                "ends_on": record.ends_on,
                "document": " ".join(
                    p for p in (record.document_type, record.document_number) if p
                ),
                "status": record.status,
                "has_scan": bool(record.scan_key),
                "review_comment": record.review_comment,
            }
        )
    items.sort(key=lambda item: item["ends_on"], reverse=True)
    if until is not None:
        items = [i for i in items if i["ends_on"] <= until]
    return items


def hours_by_year(items: list[dict[str, Any]]) -> dict[int, int]:
    years: dict[int, int] = {}
    for item in items:
        if item["status"] == TrainingStatus.VERIFIED.value:
            years[item["ends_on"].year] = years.get(item["ends_on"].year, 0) + item["hours"]
    return dict(sorted(years.items(), reverse=True))


def association_choices() -> list[MethodicalAssociation]:
    return list(
        db.session.execute(
            select(MethodicalAssociation).order_by(MethodicalAssociation.name)
        ).scalars()
    )
