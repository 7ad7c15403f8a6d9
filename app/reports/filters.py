"""Reading report filters from the query string.

Nothing a visitor types here ever causes an error page: an unreadable or
out-of-range date, a reversed or overlong period, an unknown organization,
sort key or format is replaced by something sensible, and a notice in Russian
says what was done.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.reports import queries as reports
from app.reports.queries import MAX_DAY, MAX_DAY_BUCKETS, MAX_PERIOD_YEARS, MIN_DAY, Period

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
EXPORT_FORMATS = ("xlsx", "csv")
MAX_DUE_MONTHS = 36


def show_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


@dataclass
class Parser:
    """Reads one request's arguments, collecting notices as it goes."""

    args: MultiDict[str, str]
    notices: list[str] = field(default_factory=list)

    def arg(self, name: str) -> str:
        """One argument, stripped, without control characters (PostgreSQL refuses NUL)."""
        raw = self.args.get(name, "")
        return "".join(ch for ch in raw if ch.isprintable()).strip()[:200]

    def text(self, name: str, limit: int = 100) -> str:
        return " ".join(self.arg(name).split())[:limit]

    def _date(self, name: str, label: str) -> date | None:
        raw = self.arg(name)
        if not raw:
            return None
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(raw, fmt).date()
            except ValueError:
                continue
            if not MIN_DAY <= value <= MAX_DAY:
                self.notices.append(
                    _(
                        "%(label)s %(value)s вне допустимого диапазона "
                        "(%(min)s — %(max)s) и не учтена.",
                        label=label,
                        value=show_date(value),
                        min=show_date(MIN_DAY),
                        max=show_date(MAX_DAY),
                    )
                )
                return None
            return value
        self.notices.append(
            _(
                "%(label)s «%(value)s» не распознана: укажите её в виде ДД.ММ.ГГГГ.",
                label=label,
                value=raw[:30],
            )
        )
        return None

    def period(self, today: date) -> Period:
        """``from``/``to``; by default from New Year to today."""
        start = self._date("from", _("Дата начала"))
        end = self._date("to", _("Дата окончания"))
        if end is None:
            end = today if start is None or start <= today else start
        if start is None:
            start = date(end.year, 1, 1)
        if start > end:
            start, end = end, start
            self.notices.append(
                _("Начало периода было позже его конца — даты переставлены местами.")
            )
        earliest = reports.max_period_start(end)
        if start < earliest:
            start = earliest
            self.notices.append(
                _(
                    "Период не может быть длиннее %(n)d лет — показаны %(n)d лет "
                    "с %(start)s по %(end)s.",
                    n=MAX_PERIOD_YEARS,
                    start=show_date(start),
                    end=show_date(end),
                )
            )
        return Period(start, end)

    def known_id(self, name: str, known: Collection[int], message: str) -> int | None:
        raw = self.arg(name)
        if not raw:
            return None
        if raw.isascii() and raw.isdigit() and int(raw) in known:
            return int(raw)
        self.notices.append(message)
        return None

    def choice(self, name: str, allowed: Iterable[str], default: str, message: str) -> str:
        raw = self.arg(name)
        if not raw:
            return default
        if raw in allowed:
            return raw
        self.notices.append(message)
        return default

    def sort(self, allowed: Iterable[str], default: str) -> str:
        raw = self.arg("sort")
        return self.choice(
            "sort",
            allowed,
            default,
            _(
                "Неизвестный порядок сортировки «%(value)s» — применён порядок по умолчанию.",
                value=raw[:30],
            ),
        )

    def export_format(self) -> str | None:
        raw = self.arg("format")
        if not raw:
            return None
        if raw in EXPORT_FORMATS:
            return raw
        self.notices.append(
            _("Неизвестный формат выгрузки «%(value)s»: доступны XLSX и CSV.", value=raw[:20])
        )
        return None

    def step(self, period: Period) -> str:
        default = "day" if period.days <= 31 else "month"
        step = self.choice(
            "step",
            ("day", "month"),
            default,
            _("Неизвестная группировка — данные сгруппированы по умолчанию."),
        )
        if step == "day" and period.days > MAX_DAY_BUCKETS:
            self.notices.append(
                _(
                    "По дням можно показать не больше %(n)d дней — "
                    "данные сгруппированы по месяцам.",
                    n=MAX_DAY_BUCKETS,
                )
            )
            step = "month"
        return step

    def due_months(self) -> int | None:
        raw = self.arg("due")
        if not raw:
            return None
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DUE_MONTHS:
            return int(raw)
        self.notices.append(
            _(
                "Срок «%(value)s» не учтён: укажите число месяцев от 1 до %(n)d.",
                value=raw[:10],
                n=MAX_DUE_MONTHS,
            )
        )
        return None


def people_filters(
    parser: Parser, options: reports.FilterOptions, today: date, *, period: bool = True
) -> reports.ReportFilters:
    """The filters shared by every report: period, organization, subject, association."""
    return reports.ReportFilters(
        period=parser.period(today) if period else Period(today, today),
        organization_id=parser.known_id(
            "org",
            {o.id for o in options.organizations},
            _("Организация не найдена — фильтр по организации не применён."),
        ),
        subject_id=parser.known_id(
            "subject",
            {s.id for s in options.subjects},
            _("Предмет не найден — фильтр по предмету не применён."),
        ),
        association_id=parser.known_id(
            "ma",
            {a.id for a in options.associations},
            _("Методическое объединение не найдено — фильтр не применён."),
        ),
    )


def presets(today: date) -> list[tuple[str, dict[str, Any]]]:
    """Ready-made periods: this year, last year, this month, last week."""
    from datetime import timedelta

    monday = today - timedelta(days=today.weekday())
    last_monday = monday - timedelta(days=7)
    month_start = date(today.year, today.month, 1)
    return [
        (_("Этот год"), {"from": date(today.year, 1, 1), "to": today}),
        (
            _("Прошлый год"),
            {"from": date(today.year - 1, 1, 1), "to": date(today.year - 1, 12, 31)},
        ),
        (_("Этот месяц"), {"from": month_start, "to": today}),
        (_("Прошлая неделя"), {"from": last_monday, "to": last_monday + timedelta(days=6)}),
    ]
