"""Russian names of account enums, for pages and exports."""

from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import OrganizationKind, Role
from app.core.labels import per_locale


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
