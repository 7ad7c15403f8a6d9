"""Every kind of row that points at stored bytes, registered by the domain that owns it.

The consistency check asks this registry, never a list of models, so a new kind of
file (an event's handout, a contest entry) is protected from the orphan sweep by
registering it beside its model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select

from app.extensions import db

# name -> a query selecting (id, storage_key) of every referencing row
_SOURCES: dict[str, Callable[[], Select[Any]]] = {}


def register(name: str, query: Callable[[], Select[Any]]) -> None:
    _SOURCES[name] = query


def references(key: str | None = None) -> list[tuple[int, str]]:
    """(row id, key) of every referencing row, or only of those pointing at ``key``."""
    rows: list[tuple[int, str]] = []
    for make_query in _SOURCES.values():
        query = make_query()
        column = query.selected_columns[1]
        query = query.where(column.is_not(None))
        if key is not None:
            query = query.where(column == key)
        rows.extend((int(i), str(k)) for i, k in db.session.execute(query))
    return rows


def is_referenced(key: str) -> bool:
    return bool(references(key))


def kinds() -> list[str]:
    return sorted(_SOURCES)
