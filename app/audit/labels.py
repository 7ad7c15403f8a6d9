"""Russian names of what the journal records."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.accounts.labels import role_labels
from app.core.labels import per_locale
from app.courses.labels import certificate_status_labels
from app.training.labels import training_status_labels


@per_locale
def action_labels() -> dict[str, str]:
    return {
        "user.create": _("Создан пользователь"),
        "user.import": _("Импорт педагога"),
        "user.update": _("Изменены данные пользователя"),
        "user.role": _("Изменена роль"),
        "user.deactivate": _("Учётная запись отключена"),
        "user.activate": _("Учётная запись включена"),
        "user.password": _("Пароль задан администратором"),
        "user.delete": _("Пользователь удалён"),
        "certificate.issue": _("Выдан документ"),
        "certificate.duplicate": _("Выдан дубликат"),
        "certificate.revoke": _("Документ отозван"),
        "training.record": _("Внесено внешнее обучение"),
        "training.verify": _("Внешнее обучение подтверждено"),
        "training.return": _("Внешнее обучение возвращено педагогу"),
        "training.delete": _("Запись о внешнем обучении удалена"),
    }


@per_locale
def field_labels() -> dict[str, str]:
    return {
        "email": _("E-mail"),
        "last_name": _("Фамилия"),
        "first_name": _("Имя"),
        "patronymic": _("Отчество"),
        "position": _("Должность"),
        "role": _("Роль"),
        "organization": _("Организация"),
        "subjects": _("Предметы"),
        "must_change_password": _("Сменить пароль при входе"),
        "number": _("Номер"),
        "course": _("Курс"),
        "hours": _("Часов"),
        "duplicate_of": _("Взамен"),
        "reason": _("Причина"),
        "programme": _("Программа"),
        "status": _("Статус"),
        "comment": _("Комментарий"),
    }


def _value_text(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    if isinstance(value, list):
        return ", ".join(_value_text(key, v) for v in value)
    if key == "role":
        return role_labels().get(str(value), str(value))
    if key == "status":
        labels = {**training_status_labels(), **certificate_status_labels()}
        return labels.get(str(value), str(value))
    return str(value)


def describe(details: dict[str, Any]) -> list[tuple[str, str]]:
    """Lines «Роль: Педагог → Администратор» and «Номер: ОМС-2026-00001»."""
    names = field_labels()
    lines = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, dict):
            for field, (old, new) in value.items():
                text = f"{_value_text(field, old)} → {_value_text(field, new)}"
                lines.append((names.get(field, field), text))
        else:
            lines.append((names.get(key, key), _value_text(key, value)))
    return lines
