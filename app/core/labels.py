"""Label tables (enum value → words on the page), built once per language."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType

from flask_babel import get_locale


def per_locale(build: Callable[[], dict[str, str]]) -> Callable[[], Mapping[str, str]]:
    """Build a table of labels once per language, not on every call.

    A list page asks for labels once per row and field (20 cards, 500 gettext calls);
    translations do not change while the site runs. The table is read-only: it is shared.
    """
    tables: dict[str, Mapping[str, str]] = {}

    @functools.wraps(build)
    def labels() -> Mapping[str, str]:
        locale = str(get_locale())
        table = tables.get(locale)
        if table is None:
            table = tables[locale] = MappingProxyType(build())
        return table

    return labels
