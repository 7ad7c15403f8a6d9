"""Russian names of material enums and review actions."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.labels import per_locale
from app.materials.models import EducationLevel, MaterialStatus, MaterialType


@per_locale
def material_type_labels() -> dict[str, str]:
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


@per_locale
def level_labels() -> dict[str, str]:
    return {
        EducationLevel.PRESCHOOL: _("Дошкольное"),
        EducationLevel.PRIMARY: _("1–4 классы"),
        EducationLevel.BASIC: _("5–9 классы"),
        EducationLevel.SECONDARY: _("10–11 классы"),
        EducationLevel.VOCATIONAL: _("СПО"),
        EducationLevel.SUPPLEMENTARY: _("Дополнительное"),
    }


@per_locale
def status_labels() -> dict[str, str]:
    return {
        MaterialStatus.DRAFT: _("Черновик"),
        MaterialStatus.REVIEW: _("На экспертизе"),
        MaterialStatus.PUBLISHED: _("Опубликован"),
        MaterialStatus.RETURNED: _("Возвращён на доработку"),
        MaterialStatus.ARCHIVED: _("В архиве"),
    }


@per_locale
def action_labels() -> dict[str, str]:
    return {
        "submit": _("Отправить на экспертизу"),
        "withdraw": _("Отозвать с экспертизы"),
        "publish": _("Опубликовать"),
        "return": _("Вернуть на доработку"),
        "archive": _("Перенести в архив"),
    }
