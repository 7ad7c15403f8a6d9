"""Running a service action from a form: its refusal becomes a message beside the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import flash

from app.core.errors import ValidationError

P = ParamSpec("P")
T = TypeVar("T")


def submit(form: Any, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """Call ``action``; on ``ValidationError`` put its message on the form and return None.

    ``NotFound`` and ``PermissionDenied`` pass through to the error handlers (404).
    """
    try:
        return action(*args, **kwargs)
    except ValidationError as error:
        show_error(form, error)
        return None


def show_error(form: Any, error: ValidationError) -> None:
    """Each message beside its field; one without a field on top of the page.

    An error may carry several ``problems`` — (field, message) pairs — when a service
    checks a whole record at once."""
    for name, message in getattr(error, "problems", None) or [(error.field, str(error))]:
        field = getattr(form, name or "", None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "danger")
    form.domain_error = error


def form_status(form: Any) -> int:
    """The status to answer a re-shown form with: 503 when storage failed, else 200."""
    error = getattr(form, "domain_error", None)
    return error.form_status if error is not None else 200
