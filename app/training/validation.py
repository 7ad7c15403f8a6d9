"""What a record of training taken elsewhere must look like, and when two records are one.

Used by the teacher's and the methodist's forms (``records``) and by the providers'
lists (``provider_import``), so a row of a list is held to the same rules as a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import ValidationError
from app.core.models import utcnow
from app.courses.dates import local_date
from app.extensions import db
from app.training.models import ExternalTraining, TrainingStatus

MIN_DAY = date(1990, 1, 1)
MAX_HOURS = 2000
LIMITS = {"provider": 500, "programme": 1000, "document_type": 200, "document_number": 100}


def today() -> date:
    """The local (Europe/Moscow by default) calendar date."""
    return local_date(utcnow())


@dataclass
class TrainingData:
    provider: str
    programme: str
    hours: int | None
    starts_on: date | None
    ends_on: date | None
    document_type: str = ""
    document_number: str = ""


class TrainingInvalid(ValidationError):
    """One or more fields are wrong; ``problems`` holds (field, message) for each of them."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


def clean_line(value: str | None) -> str:
    return " ".join((value or "").split())


def normalize_programme(value: str) -> str:
    """The programme title as compared for duplicates: spacing, case, ё and quotes ignored."""
    text = clean_line(value).casefold().replace("ё", "е")
    return re.sub(r"[«»\"'“”„]", "", text)


def problems(data: TrainingData, on: date) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Cleaned values and every problem found, each as (field, Russian message)."""
    found: list[tuple[str, str]] = []
    values: dict[str, Any] = {
        "provider": clean_line(data.provider),
        "programme": clean_line(data.programme),
        "document_type": clean_line(data.document_type),
        "document_number": clean_line(data.document_number),
        "hours": data.hours,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
    }
    if not values["provider"]:
        found.append(("provider", _("Укажите организацию, в которой проходило обучение.")))
    if not values["programme"]:
        found.append(("programme", _("Укажите название программы обучения.")))
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            found.append((name, _("Не длиннее %(n)d символов.", n=limit)))
    hours = data.hours
    if hours is None:
        found.append(("hours", _("Укажите объём обучения в академических часах.")))
    elif isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        found.append(
            (
                "hours",
                _(
                    "Объём обучения должен быть от 1 до %(max)d академических часов.",
                    max=MAX_HOURS,
                ),
            )
        )
    starts, ends = data.starts_on, data.ends_on
    if ends is None:
        found.append(("ends_on", _("Укажите дату окончания обучения.")))
    elif ends > on:
        found.append(
            (
                "ends_on",
                _(
                    "Дата окончания не может быть позже сегодняшнего дня: "
                    "внесите обучение, когда оно завершится."
                ),
            )
        )
    elif ends < MIN_DAY:
        found.append(("ends_on", _("Дата окончания не может быть раньше 1990 года.")))
    if starts is not None:
        if starts < MIN_DAY:
            found.append(("starts_on", _("Дата начала не может быть раньше 1990 года.")))
        elif starts > on:
            found.append(("starts_on", _("Дата начала не может быть позже сегодняшнего дня.")))
        elif ends is not None and starts > ends:
            found.append(("starts_on", _("Дата начала не может быть позже даты окончания.")))
    return values, found


def validate(data: TrainingData, on: date | None = None) -> dict[str, Any]:
    values, found = problems(data, on or today())
    if found:
        raise TrainingInvalid(found)
    return values


def verified_duplicate(
    user_id: int, programme: str, ends_on: date, exclude_id: int | None = None
) -> ExternalTraining | None:
    """A verified record of the same teacher, programme and end date (the same training)."""
    query = select(ExternalTraining).where(
        ExternalTraining.user_id == user_id,
        ExternalTraining.ends_on == ends_on,
        ExternalTraining.status == TrainingStatus.VERIFIED,
    )
    if exclude_id is not None:
        query = query.where(ExternalTraining.id != exclude_id)
    key = normalize_programme(programme)
    for record in db.session.execute(query).scalars():
        if normalize_programme(record.programme) == key:
            return record
    return None


def refuse_duplicate(user_id: int, programme: str, ends_on: date, exclude_id: int | None) -> None:
    if verified_duplicate(user_id, programme, ends_on, exclude_id) is not None:
        raise ValidationError(
            _(
                "Это обучение уже учтено: есть подтверждённая запись с той же программой "
                "и датой окончания."
            ),
            "programme",
        )
