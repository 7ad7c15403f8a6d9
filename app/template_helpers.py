"""Filters and globals available to every template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request
from flask_babel import format_datetime, get_locale

from app import permissions
from app.models import (
    CertificateStatus,
    CourseFormat,
    CourseStatus,
    Criterion,
    DocumentType,
    EducationLevel,
    MaterialStatus,
    MaterialType,
    OrganizationKind,
    Role,
)


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


def material_type_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        MaterialType.DEVELOPMENT: _("Методическая разработка"),
        MaterialType.LESSON_PLAN: _("Конспект урока"),
        MaterialType.RECOMMENDATIONS: _("Методические рекомендации"),
        MaterialType.WORK_PROGRAM: _("Рабочая программа"),
        MaterialType.PRESENTATION: _("Презентация"),
        MaterialType.TEXTBOOK: _("Электронный учебник"),
        MaterialType.EXPERIENCE: _("Сборник / опыт работы"),
        MaterialType.NORMATIVE: _("Нормативный документ"),
        MaterialType.VIDEO: _("Видеоматериал"),
        MaterialType.OTHER: _("Другое"),
    }


def level_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        EducationLevel.PRESCHOOL: _("Дошкольное"),
        EducationLevel.PRIMARY: _("1–4 классы"),
        EducationLevel.BASIC: _("5–9 классы"),
        EducationLevel.SECONDARY: _("10–11 классы"),
        EducationLevel.VOCATIONAL: _("СПО"),
        EducationLevel.SUPPLEMENTARY: _("Дополнительное"),
    }


def status_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        MaterialStatus.DRAFT: _("Черновик"),
        MaterialStatus.REVIEW: _("На экспертизе"),
        MaterialStatus.PUBLISHED: _("Опубликован"),
        MaterialStatus.RETURNED: _("Возвращён на доработку"),
        MaterialStatus.ARCHIVED: _("В архиве"),
    }


def action_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "submit": _("Отправить на экспертизу"),
        "withdraw": _("Отозвать с экспертизы"),
        "publish": _("Опубликовать"),
        "return": _("Вернуть на доработку"),
        "archive": _("Перенести в архив"),
    }


def course_format_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        CourseFormat.DISTANCE: _("дистанционный"),
        CourseFormat.BLENDED: _("очно-заочный"),
        CourseFormat.FULL_TIME: _("очный"),
    }


def document_type_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        DocumentType.QUALIFICATION: _("Удостоверение о повышении квалификации"),
        DocumentType.PARTICIPATION: _("Сертификат участника"),
    }


def criterion_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        Criterion.OPENED: _("открыть"),
        Criterion.STUDIED: _("изучить и подтвердить"),
        Criterion.TEST: _("пройти тест"),
    }


def course_status_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        CourseStatus.DRAFT: _("Черновик"),
        CourseStatus.PUBLISHED: _("Опубликован"),
        CourseStatus.ARCHIVED: _("В архиве"),
    }


def certificate_status_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        CertificateStatus.VALID: _("действителен"),
        CertificateStatus.REVOKED: _("отозван"),
    }


def file_size(num: int | None) -> str:
    from flask_babel import format_decimal
    from flask_babel import gettext as _

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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals.update(
        perm=permissions,
        role_labels=role_labels,
        organization_kind_labels=organization_kind_labels,
        material_type_labels=material_type_labels,
        level_labels=level_labels,
        status_labels=status_labels,
        action_labels=action_labels,
        url_with=url_with,
        current_path=current_path,
        current_locale=lambda: str(get_locale()),
    )
