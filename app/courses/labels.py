"""Russian names of course enums: one definition for the teacher's and the methodist's side."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.labels import per_locale
from app.courses.models import (
    CertificateStatus,
    CourseFormat,
    CourseStatus,
    Criterion,
    DocumentType,
)


@per_locale
def course_format_labels() -> dict[str, str]:
    return {
        CourseFormat.DISTANCE: _("дистанционный"),
        CourseFormat.BLENDED: _("очно-заочный"),
        CourseFormat.FULL_TIME: _("очный"),
    }


@per_locale
def document_type_labels() -> dict[str, str]:
    return {
        DocumentType.QUALIFICATION: _("Удостоверение о повышении квалификации"),
        DocumentType.PARTICIPATION: _("Сертификат участника"),
    }


@per_locale
def criterion_labels() -> dict[str, str]:
    return {
        Criterion.OPENED: _("открыть"),
        Criterion.STUDIED: _("изучить и подтвердить"),
        Criterion.TEST: _("пройти тест"),
    }


@per_locale
def course_status_labels() -> dict[str, str]:
    return {
        CourseStatus.DRAFT: _("Черновик"),
        CourseStatus.PUBLISHED: _("Опубликован"),
        CourseStatus.ARCHIVED: _("В архиве"),
    }


@per_locale
def certificate_status_labels() -> dict[str, str]:
    return {
        CertificateStatus.VALID: _("действителен"),
        CertificateStatus.REVOKED: _("отозван"),
    }
