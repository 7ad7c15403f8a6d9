"""Numbers and dates in the visitor's language: Babel chooses the plural form and the
date pattern, so Russian gets «2 академических часа» and English "2 academic hours".
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, ngettext
from flask_babel import gettext as _


def hours_phrase(hours: int) -> str:
    return ngettext("%(num)d академический час", "%(num)d академических часов", hours)


def days_left_phrase(ends_on: date | None, today: date) -> str:
    if ends_on is None:
        return ""
    days = (ends_on - today).days
    if days < 0:
        return _("срок прошёл")
    if days == 0:
        return _("последний день")
    return ngettext("остался %(num)d день", "осталось %(num)d дней", days)


def date_label(value: date | None) -> str:
    """A calendar date as the locale writes it briefly: 12.03.2026, 3/12/26."""
    return format_date(value, "short") if value else ""
