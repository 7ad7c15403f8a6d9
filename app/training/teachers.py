"""Finding a teacher, and the data of the teacher's personal card (page and PDF)."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import permissions
from app.accounts.models import Role, User
from app.core.unit_of_work import check, found
from app.extensions import db
from app.training import register
from app.training.attestation import ATTESTATION_YEARS, attestation_of
from app.training.models import ExternalTraining, TrainingStatus
from app.training.teacher_card import CardTraining, TeacherCardData
from app.training.validation import clean_line, today

MAX_QUERY_WORDS = 5


def find_teachers(viewer: User, q: str, limit: int = 30) -> list[User]:
    """Active teachers whose name or e-mail contains every word of ``q`` (methodists)."""
    check(permissions.can_verify_training(viewer))
    words = clean_line(q).casefold().replace("ё", "е").split()[:MAX_QUERY_WORDS]
    if not words:
        return []
    query = (
        select(User)
        .options(joinedload(User.organization))
        .where(User.role == Role.TEACHER, User.is_active_flag.is_(True))
    )
    for word in words:
        query = query.where(User.search_text.contains(word, autoescape=True))
    return list(
        db.session.execute(
            query.order_by(User.last_name, User.first_name, User.id).limit(limit)
        ).scalars()
    )


def get_teacher(user_id: int, viewer: User) -> User:
    """A teacher whose card ``viewer`` may see (others: NotFound, so nothing leaks)."""
    teacher = found(
        db.session.execute(
            select(User)
            .options(joinedload(User.organization), selectinload(User.subjects))
            .where(User.id == user_id, User.role == Role.TEACHER)
        ).scalar_one_or_none()
    )
    check(permissions.can_view_teacher_card(viewer, teacher))
    return teacher


def teacher_card(
    teacher: User, on: date | None = None, *, records: list[ExternalTraining] | None = None
) -> TeacherCardData:
    """Everything the personal card shows, as plain values (for the page and the PDF).

    ``records``: the teacher's external records, when the page shows them as well.
    """
    on = on or today()
    thresholds = register.Thresholds.for_day(on)
    items = register.teacher_trainings(teacher, external=records)
    row = db.session.execute(
        register.register_select(register.RegisterFilters(), thresholds).where(
            User.id == teacher.id
        )
    ).first()
    if row is not None:
        reg = register.to_row(row)
        last, status = reg.last_day, reg.status
        hours_window, hours_year = reg.hours_window, reg.hours_year
    else:  # a deactivated teacher is outside the register; the same rules, applied here
        counted = [
            i for i in items if i["status"] == TrainingStatus.VERIFIED and i["ends_on"] <= on
        ]
        last = max((i["ends_on"] for i in counted), default=None)
        status = register.status_for(last, thresholds).value
        hours_window = sum(i["hours"] for i in counted if i["ends_on"] > thresholds.window_start)
        hours_year = sum(i["hours"] for i in counted if i["ends_on"].year == on.year)
    trainings = tuple(
        CardTraining(
            kind=item["kind"],
            record_id=item.get("id"),
            provider=item["provider"],
            programme=item["programme"],
            hours=int(item["hours"]),
            starts_on=item["starts_on"],
            ends_on=item["ends_on"],
            document=item["document"],
            status=item["status"],
            has_scan=item.get("has_scan", False),
            review_comment=item.get("review_comment", ""),
        )
        for item in items
    )
    attestation = attestation_of(teacher)
    category = attestation.category if attestation else ""
    granted_on = attestation.granted_on if attestation and category else None
    return TeacherCardData(
        teacher_id=teacher.id,
        full_name=teacher.full_name,
        organization=(teacher.organization.full_name if teacher.organization else ""),
        position=teacher.position or "",
        subjects=tuple(s.name for s in teacher.subjects),
        attestation_category=category,
        attestation_granted_on=granted_on,
        attestation_valid_until=(
            register.add_years(granted_on, ATTESTATION_YEARS) if granted_on else None
        ),
        attestation_order=(attestation.order_number if attestation and category else ""),
        status=status,
        last_day=last,
        due_day=register.due_date(last),
        hours_window=hours_window,
        hours_year=hours_year,
        hours_by_year=register.hours_by_year(items),
        trainings=trainings,
        on=on,
        issuer=current_app.config.get("CERTIFICATE_ISSUER", ""),
    )
