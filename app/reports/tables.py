"""What each report shows: its columns and how a database row becomes a table row.

The page and the export read the same definitions, so a downloaded file holds
exactly the columns and rows on the screen (all pages of them). A row is a
dict keyed by column; ``Table.extras`` adds links and badges for the page
only (keys starting with ``_``, never read by an export).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from app.core.exports import Column
from app.materials.labels import status_labels
from app.training.register import RegisterRow, RegisterStatus, to_row

Row = dict[str, Any]


@dataclass
class Table:
    columns: list[Column]
    row: Callable[[Any], Row]
    # column key -> the sort key its header switches to
    sortable: dict[str, str] = field(default_factory=dict)
    # screen-only extras of a row: {"_links": {key: url}, "_badges": {key: css class}}
    extras: Callable[[Any], Row] | None = None

    def screen_row(self, record: Any) -> Row:
        row = self.row(record)
        if self.extras is not None:
            row.update(self.extras(record))
        return row


def full_name(last: str | None, first: str | None, patronymic: str | None) -> str:
    return " ".join(p for p in (last, first, patronymic) if p)


def teacher_link(user_id: int) -> str | None:
    """The teacher's personal card, where that page exists."""
    if "training.card" not in current_app.view_functions:
        return None
    return url_for("training.card", user_id=user_id)


def register_status_labels() -> dict[str, str]:
    return {
        RegisterStatus.OK: _("в норме"),
        RegisterStatus.DUE_SOON: _("скоро срок"),
        RegisterStatus.OVERDUE: _("просрочено"),
        RegisterStatus.NO_DATA: _("нет сведений"),
    }


STATUS_BADGES = {
    RegisterStatus.OK: "text-bg-success",
    RegisterStatus.DUE_SOON: "text-bg-warning",
    RegisterStatus.OVERDUE: "text-bg-danger",
    RegisterStatus.NO_DATA: "text-bg-secondary",
}


def attestation_labels() -> dict[str, str]:
    return {
        "conformity": _("соответствие занимаемой должности"),
        "first": _("первая"),
        "highest": _("высшая"),
        "methodist": _("педагог-методист"),
        "mentor": _("педагог-наставник"),
    }


def completion_kind_labels() -> dict[str, str]:
    return {"platform": _("Курс платформы"), "external": _("Внешнее обучение")}


def document_type_labels() -> dict[str, str]:
    return {
        "qualification": _("Удостоверение о повышении квалификации"),
        "participation": _("Сертификат участника"),
    }


# --- completions -------------------------------------------------------------------------


def completions_table(issuer: str) -> Table:
    kinds = completion_kind_labels()
    documents = document_type_labels()

    def row(r: Any) -> Row:
        document_type = documents.get(r.document_type or "", r.document_type or "")
        document = " ".join(p for p in (document_type, r.document_number) if p)
        return {
            "teacher": full_name(r.last_name, r.first_name, r.patronymic),
            "organization": r.organization,
            "kind": kinds.get(r.kind, r.kind),
            "programme": r.programme,
            "provider": issuer if r.kind == "platform" else r.provider,
            "starts_on": r.starts_on,
            "ends_on": r.ends_on,
            "hours": r.hours,
            "document": document or None,
        }

    return Table(
        columns=[
            Column("teacher", _("Педагог"), 36),
            Column("organization", _("Организация"), 28),
            Column("kind", _("Вид"), 18),
            Column("programme", _("Курс или программа"), 50),
            Column("provider", _("Где обучался"), 36),
            Column("starts_on", _("Начало"), 12, "date"),
            Column("ends_on", _("Окончание"), 12, "date"),
            Column("hours", _("Часы"), 8, "int"),
            Column("document", _("Документ"), 36),
        ],
        row=row,
        sortable={
            "teacher": "name",
            "organization": "organization",
            "programme": "programme",
            "ends_on": "date",
            "hours": "hours",
        },
        extras=lambda r: {"_links": {"teacher": teacher_link(r.user_id)}},
    )


# --- the register --------------------------------------------------------------------------


def register_table(year: int) -> Table:
    statuses = register_status_labels()
    categories = attestation_labels()

    def row(record: Any) -> Row:
        r: RegisterRow = to_row(record)
        return {
            "teacher": r.user.full_name,
            "organization": r.organization,
            "last_day": r.last_day,
            "due_day": r.due_day,
            "hours_window": r.hours_window,
            "hours_year": r.hours_year,
            "status": statuses.get(r.status, r.status),
            "attestation": categories.get(r.attestation_category or "") or None,
            "attestation_on": r.attestation_granted_on,
        }

    return Table(
        columns=[
            Column("teacher", _("Педагог"), 36),
            Column("organization", _("Организация"), 28),
            Column("last_day", _("Последнее обучение"), 14, "date"),
            Column("due_day", _("Следующее — не позднее"), 14, "date"),
            Column("hours_window", _("Часов за 3 года"), 10, "int"),
            Column("hours_year", _("Часов в %(year)d г.", year=year), 10, "int"),
            Column("status", _("Статус"), 14),
            Column("attestation", _("Категория"), 24),
            Column("attestation_on", _("Дата аттестации"), 14, "date"),
        ],
        row=row,
        sortable={
            "teacher": "name",
            "organization": "organization",
            "last_day": "last",
            "hours_window": "hours",
            "status": "status",
        },
        extras=lambda record: {
            "_links": {"teacher": teacher_link(record.User.id)},
            "_badges": {"status": STATUS_BADGES.get(record.status, "text-bg-light")},
        },
    )


# --- module access -------------------------------------------------------------------------


def module_access_table(numbers: dict[int, int]) -> Table:
    """``numbers``: each module's number in its course, as the teacher sees it."""

    def row(r: Any) -> Row:
        return {
            "module": f"{numbers.get(r.module_id, r.module_position)}. {r.module_title}",
            "teacher": full_name(r.last_name, r.first_name, r.patronymic),
            "organization": r.organization,
            "first_at": r.first_at,
            "last_at": r.last_at,
            "opens": r.opens,
        }

    return Table(
        columns=[
            Column("module", _("Модуль"), 40),
            Column("teacher", _("Педагог"), 36),
            Column("organization", _("Организация"), 28),
            Column("first_at", _("Первое открытие"), 18, "datetime"),
            Column("last_at", _("Последнее открытие"), 18, "datetime"),
            Column("opens", _("Открытий"), 10, "int"),
        ],
        row=row,
        sortable={
            "module": "module",
            "teacher": "name",
            "first_at": "first",
            "last_at": "last",
            "opens": "opens",
        },
        extras=lambda r: {"_links": {"teacher": teacher_link(r.user_id)}},
    )


# --- materials -----------------------------------------------------------------------------


def materials_table() -> Table:
    labels = status_labels()

    def row(r: Any) -> Row:
        return {
            "title": r.title,
            "organization": r.organization,
            "status": labels.get(r.status, r.status),
            "views": int(r.views),
            "downloads": int(r.downloads),
        }

    return Table(
        columns=[
            Column("title", _("Материал"), 60),
            Column("organization", _("Организация"), 28),
            Column("status", _("Состояние"), 16),
            Column("views", _("Просмотров"), 12, "int"),
            Column("downloads", _("Скачиваний"), 12, "int"),
        ],
        row=row,
        sortable={
            "title": "title",
            "organization": "organization",
            "views": "views",
            "downloads": "downloads",
        },
        extras=lambda r: {
            "_links": {"title": url_for("catalog.detail", material_id=r.material_id)}
        },
    )


def material_organizations_table() -> Table:
    def row(r: Any) -> Row:
        return {
            "organization": r.organization or _("без организации"),
            "views": int(r.views),
            "downloads": int(r.downloads),
            "downloaders": int(r.downloaders),
        }

    return Table(
        columns=[
            Column("organization", _("Организация скачивавших"), 36),
            Column("views", _("Просмотров"), 12, "int"),
            Column("downloads", _("Скачиваний"), 12, "int"),
            Column("downloaders", _("Скачивали, человек"), 14, "int"),
        ],
        row=row,
    )


# --- organizations -------------------------------------------------------------------------


def share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def organizations_table(status_on: date) -> Table:
    def row(r: Any) -> Row:
        teachers, hours = int(r.teachers), int(r.hours)
        return {
            "organization": r.organization or _("без организации"),
            "teachers": teachers,
            "ok": int(r.ok),
            "ok_share": share(int(r.ok), teachers),
            "due_soon": int(r.due_soon),
            "overdue": int(r.overdue),
            "no_data": int(r.no_data),
            "completions": int(r.completions),
            "hours": hours,
            "hours_per_teacher": round(hours / teachers, 1) if teachers else None,
        }

    on = status_on.strftime("%d.%m.%Y")
    return Table(
        columns=[
            Column("organization", _("Организация"), 36),
            Column("teachers", _("Педагогов"), 10, "int"),
            Column("ok", _("В норме на %(day)s", day=on), 12, "int"),
            Column("ok_share", _("Доля в норме, %"), 12, "int"),
            Column("due_soon", _("Скоро срок"), 10, "int"),
            Column("overdue", _("Просрочено"), 10, "int"),
            Column("no_data", _("Нет сведений"), 10, "int"),
            Column("completions", _("Прохождений за период"), 12, "int"),
            Column("hours", _("Часов за период"), 12, "int"),
            Column("hours_per_teacher", _("Часов на педагога"), 12, "float"),
        ],
        row=row,
        sortable={
            "organization": "name",
            "teachers": "teachers",
            "ok_share": "share",
            "overdue": "overdue",
            "completions": "completions",
            "hours_per_teacher": "hours_per_teacher",
        },
    )
