"""Russian names of account enums, for pages and exports."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

from flask_babel import get_locale
from flask_babel import gettext as _

from app.accounts.models import OrganizationKind, Role


def per_locale(build: Callable[[], dict[str, str]]) -> Callable[[], Mapping[str, str]]:
    """Build a table of labels once per language, not on every call.

    A list page asks for labels once per row and field (20 cards, 500 gettext calls);
    translations do not change while the site runs. The table is read-only: it is shared.
    """
    tables: dict[str, Mapping[str, str]] = {}

    @functools.wraps(build)
    def labels() -> Mapping[str, str]:
        locale = str(get_locale())
        table = tables.get(locale)
        if table is None:
            table = tables[locale] = MappingProxyType(build())
        return table

    return labels


@per_locale
def role_labels() -> dict[str, str]:
    return {
        Role.TEACHER: _("Педагог"),
        Role.METHODIST: _("Методист"),
        Role.MANAGER: _("Руководитель"),
        Role.ADMIN: _("Администратор"),
    }


@per_locale
def organization_kind_labels() -> dict[str, str]:
    return {
        OrganizationKind.SCHOOL: _("Школа"),
        OrganizationKind.KINDERGARTEN: _("Детский сад"),
        OrganizationKind.SUPPLEMENTARY: _("Дополнительное образование"),
        OrganizationKind.OTHER: _("Другое"),
    }
