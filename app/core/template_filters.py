"""Filters and globals every template may use, whatever the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from flask_babel import format_datetime
from flask_babel import gettext as _


def local_datetime(value: datetime | None, fmt: str = "dd.MM.yyyy HH:mm") -> str:
    """UTC in the database, the configured zone (Europe/Moscow by default) on screen."""
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def file_size(num: int | None) -> str:
    from flask_babel import format_decimal

    if num is None:
        return "—"
    units = [_("Б"), _("КБ"), _("МБ"), _("ГБ")]
    value = float(num)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            return f"{format_decimal(round(value, 1))} {unit}"
        value /= 1024
    return str(num)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments replaced (for paging and sorting links)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    from urllib.parse import urlencode

    query = urlencode(args, doseq=True)
    return f"{request.path}?{query}" if query else request.path


def current_path() -> str:
    """Where the language switch returns to: the current page, without control characters."""
    path = request.full_path if request.query_string else request.path
    return "".join(ch for ch in path if ch.isprintable())[:2000]
