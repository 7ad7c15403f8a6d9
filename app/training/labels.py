"""The Russian names of statuses, categories and sources, for the training pages."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.labels import per_locale
from app.training.models import AttestationCategory, TrainingStatus
from app.training.records import SOURCE_IMPORT, SOURCE_METHODIST, SOURCE_TEACHER
from app.training.register import RegisterStatus


@per_locale
def training_status_labels() -> dict[str, str]:
    return {
        TrainingStatus.PENDING: _("На проверке"),
        TrainingStatus.VERIFIED: _("Подтверждено"),
        TrainingStatus.RETURNED: _("Возвращено на доработку"),
    }


@per_locale
def register_status_labels() -> dict[str, str]:
    return {
        RegisterStatus.OK: _("В норме"),
        RegisterStatus.DUE_SOON: _("Подходит срок"),
        RegisterStatus.OVERDUE: _("Срок прошёл"),
        RegisterStatus.NO_DATA: _("Нет сведений"),
    }


@per_locale
def attestation_labels() -> dict[str, str]:
    return {
        AttestationCategory.NONE: _("Без категории"),
        AttestationCategory.CONFORMITY: _("Соответствие занимаемой должности"),
        AttestationCategory.FIRST: _("Первая квалификационная категория"),
        AttestationCategory.HIGHEST: _("Высшая квалификационная категория"),
        AttestationCategory.METHODIST: _("Педагог-методист"),
        AttestationCategory.MENTOR: _("Педагог-наставник"),
    }


@per_locale
def source_labels() -> dict[str, str]:
    return {
        SOURCE_TEACHER: _("внесено педагогом"),
        SOURCE_METHODIST: _("внесено методистом"),
        SOURCE_IMPORT: _("из списка организации"),
    }
