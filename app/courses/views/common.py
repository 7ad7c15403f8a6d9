"""What the course pages share: the visitor, the labels every template uses, small
request parsers, and the one answer to a storage failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import abort, current_app, flash, render_template, request
from flask_login import current_user

from app.core.errors import ValidationError
from app.core.forms import submit
from app.courses.labels import (
    certificate_status_labels,
    course_format_labels,
    course_status_labels,
    criterion_labels,
    document_type_labels,
)
from app.courses.wording import date_label, days_left_phrase, hours_phrase

P = ParamSpec("P")
T = TypeVar("T")

EXPORT_FORMATS = ("xlsx", "csv")


def user() -> Any:
    return current_user._get_current_object()


def render(template: str, **context: Any) -> str:
    return render_template(
        template,
        format_labels=course_format_labels(),
        document_labels=document_type_labels(),
        criterion_labels=criterion_labels(),
        course_status_labels=course_status_labels(),
        certificate_status_labels=certificate_status_labels(),
        hours_phrase=hours_phrase,
        days_left=days_left_phrase,
        date_label=date_label,
        **context,
    )


class Outcome:
    """Stands in for a form in ``core.forms.submit`` on pages with buttons, not fields:
    a refusal (``ValidationError``) is flashed and remembered, NotFound still answers 404.
    """

    domain_error: ValidationError | None = None

    @property
    def refused(self) -> bool:
        return self.domain_error is not None


def perform(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T | None, bool]:
    """Run a service action from a button: (its result, whether it was refused)."""
    outcome = Outcome()
    result = submit(outcome, action, *args, **kwargs)
    return result, outcome.refused


def query_id(name: str) -> int | None:
    """An optional id from the query string (a filter); anything odd is no filter."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def form_id(value: str | None) -> int:
    """A required id from a posted field, or 404."""
    if value is None or not value.isdigit() or len(value) > 18:
        abort(404)
    return int(value)


def export_format() -> str:
    fmt = request.args.get("format", "")
    if fmt not in EXPORT_FORMATS:
        abort(404)
    return fmt


def timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def flash_form_errors(form: Any) -> None:
    for field in form:
        for error in field.errors:
            label = getattr(field.label, "text", "")
            flash(f"{label}: {error}" if label else str(error), "danger")
