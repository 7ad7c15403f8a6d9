"""Chart descriptions for ``static/js/charts.js``.

Each chart is a small JSON object put into a ``data-chart`` attribute (the CSP
allows no inline script); the script turns it into a Chart.js chart. Every
chart has its numbers in a table beneath it as well.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from app.reports.queries import Bucket, Dashboard
from app.reports.tables import register_status_labels
from app.training.register import RegisterStatus

BLUE, GREEN, ORANGE, RED, GREY, TEAL = (
    "#0d6efd", "#198754", "#fd7e14", "#dc3545", "#adb5bd", "#20c997",
)  # fmt: skip
STATUS_COLOURS = {
    RegisterStatus.OK: GREEN,
    RegisterStatus.DUE_SOON: ORANGE,
    RegisterStatus.OVERDUE: RED,
    RegisterStatus.NO_DATA: GREY,
}


def bucket_label(bucket: Bucket, *, short: bool = False) -> str:
    if bucket.step == "day":
        return format_date(bucket.first, "dd.MM" if short else "dd.MM.yyyy")
    return format_date(bucket.first, "LLL yyyy" if short else "LLLL yyyy")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trainings_chart(dashboard: Dashboard) -> dict[str, Any]:
    rows = dashboard.trainings
    return {
        "type": "bar",
        "labels": [bucket_label(r.bucket, short=True) for r in rows],
        "stacked": True,
        "axes": {"y": _("Часы"), "y1": _("Прохождений")},
        "datasets": [
            {
                "label": _("Часы: курсы платформы"),
                "data": [r.platform_hours for r in rows],
                "color": BLUE,
                "stack": "hours",
            },
            {
                "label": _("Часы: внешнее обучение"),
                "data": [r.external_hours for r in rows],
                "color": TEAL,
                "stack": "hours",
            },
            {
                "label": _("Прохождений всего"),
                "data": [r.count for r in rows],
                "color": ORANGE,
                "type": "line",
                "axis": "y1",
            },
        ],
    }


def statuses_chart(dashboard: Dashboard) -> dict[str, Any]:
    labels = register_status_labels()
    rows = dashboard.statuses
    return {
        "type": "bar",
        "horizontal": True,
        "stacked": True,
        "percent": True,
        "labels": [_short(r["organization"]) for r in rows],
        "axes": {"y": "", "x": _("Доля педагогов, %")},
        "datasets": [
            {
                "label": labels[status],
                "data": [
                    round(100 * r[status.value] / r["total"], 1) if r["total"] else 0 for r in rows
                ],
                "color": STATUS_COLOURS[status],
            }
            for status in RegisterStatus
        ],
    }


def courses_chart(dashboard: Dashboard) -> dict[str, Any]:
    rows = dashboard.courses
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [_short(r.title) for r in rows],
        "datasets": [
            {"label": _("Завершили"), "data": [r.completions for r in rows], "color": GREEN},
            {"label": _("Записались"), "data": [r.enrolments for r in rows], "color": BLUE},
            {"label": _("Начали обучение"), "data": [r.started for r in rows], "color": ORANGE},
        ],
    }


def materials_chart(dashboard: Dashboard) -> dict[str, Any]:
    rows = dashboard.materials
    return {
        "type": "bar",
        "labels": [bucket_label(r.bucket, short=True) for r in rows],
        "axes": {"y": _("Загружено"), "y1": _("Скачиваний")},
        "datasets": [
            {"label": _("Загружено материалов"), "data": [r.uploaded for r in rows], "color": BLUE},
            {
                "label": _("Скачиваний"),
                "data": [r.downloads for r in rows],
                "color": ORANGE,
                "type": "line",
                "axis": "y1",
            },
        ],
    }


def top_materials_chart(dashboard: Dashboard) -> dict[str, Any]:
    rows = dashboard.top_materials
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [_short(r.title) for r in rows],
        "datasets": [
            {"label": _("Скачиваний"), "data": [r.downloads for r in rows], "color": BLUE},
        ],
    }


def dashboard_charts(dashboard: Dashboard) -> dict[str, dict[str, Any]]:
    return {
        "trainings": trainings_chart(dashboard),
        "statuses": statuses_chart(dashboard),
        "courses": courses_chart(dashboard),
        "materials": materials_chart(dashboard),
        "top_materials": top_materials_chart(dashboard),
    }
