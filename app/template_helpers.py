"""Filters and globals available to every template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request
from flask_babel import format_datetime, get_locale

from app import permissions
from app.models import OrganizationKind, Role


def local_datetime(value: datetime | None, fmt: str = "dd.MM.yyyy HH:mm") -> str:
    """UTC in the database, the configured zone (Europe/Moscow by default) on screen."""
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def role_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        Role.TEACHER: _("Педагог"),
        Role.METHODIST: _("Методист"),
        Role.MANAGER: _("Руководитель"),
        Role.ADMIN: _("Администратор"),
    }


def organization_kind_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        OrganizationKind.SCHOOL: _("Школа"),
        OrganizationKind.KINDERGARTEN: _("Детский сад"),
        OrganizationKind.SUPPLEMENTARY: _("Дополнительное образование"),
        OrganizationKind.OTHER: _("Другое"),
    }


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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.globals.update(
        perm=permissions,
        role_labels=role_labels,
        organization_kind_labels=organization_kind_labels,
        url_with=url_with,
        current_locale=lambda: str(get_locale()),
    )
