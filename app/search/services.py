"""Searching the bank: the full index when it answers, a simple SQL search when it does not.

What a user may find is decided by ``app.permissions``, never by the query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app import permissions
from app.accounts.models import Organization, Subject, User
from app.extensions import db
from app.materials.labels import level_labels, material_type_labels, status_labels
from app.materials.models import Collection, Material
from app.search.indexing import get_index
from search_index import QueryError, SearchRequest

log = logging.getLogger(__name__)

PER_PAGE = 20
MAX_QUERY_CHARS = 500
FILTER_ARGS = {  # URL argument -> index facet field
    "subject": "subject",
    "type": "type",
    "level": "level",
    "org": "organization",
    "collection": "collection",
    "year": "year",
    "status": "status",
}
SORTS = ("relevance", "date", "downloads")


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    q: str
    mode: str  # "full" | "simple" | "empty"
    materials: list[Material] = field(default_factory=list)
    snippets: dict[int, Markup] = field(default_factory=dict)
    titles: dict[int, Markup] = field(default_factory=dict)
    total: int = 0
    total_is_exact: bool = True
    page: int = 1
    per_page: int = PER_PAGE
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    suggestion: str | None = None
    message: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def clean_query(raw: str) -> str:
    """Drop NUL, lone surrogates and control characters; bound the length."""
    text = "".join(
        ch for ch in raw if ch.isprintable() or ch == " " if not 0xD800 <= ord(ch) <= 0xDFFF
    )
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def parse_filters(args: MultiDict[str, str], user: User) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    allowed_status = set(permissions.visible_statuses(user))
    for arg, fieldname in FILTER_ARGS.items():
        values = [v for v in args.getlist(arg) if v and len(v) <= 40][:20]
        if fieldname == "status":
            values = [v for v in values if v in allowed_status]
        if values:
            filters[fieldname] = values
    return filters


def _labels() -> dict[str, dict[str, str]]:
    return {
        "subject": {str(i): n for i, n in db.session.execute(select(Subject.id, Subject.name))},
        "organization": {
            str(i): n
            for i, n in db.session.execute(select(Organization.id, Organization.short_name))
        },
        "collection": {
            str(i): n for i, n in db.session.execute(select(Collection.id, Collection.name))
        },
        "type": dict(material_type_labels()),
        "level": dict(level_labels()),
        "status": dict(status_labels()),
    }


def _facets(
    raw: dict[str, list[tuple[str, int]]], filters: dict[str, list[str]]
) -> dict[str, list[FacetValue]]:
    labels = _labels()
    result: dict[str, list[FacetValue]] = {}
    for fieldname, values in raw.items():
        names = labels.get(fieldname, {})
        items = [
            FacetValue(v, names.get(v, v), n, v in filters.get(fieldname, []))
            for v, n in values
            if n > 0 or v in filters.get(fieldname, [])
        ]
        if fieldname == "year":
            items.sort(key=lambda f: f.value, reverse=True)
        result[fieldname] = items
    return result


def search(user: User, q: str, filters: dict[str, list[str]], sort: str, page: int) -> SearchPage:
    q = clean_query(q)
    sort = sort if sort in SORTS else "relevance"
    result = SearchPage(q=q, mode="full", filters=filters, sort=sort, page=page)
    if not q and not filters:
        result.mode = "empty"
        return result
    facet_fields = [
        f for f in FILTER_ARGS.values() if f != "status" or permissions.is_reviewer(user)
    ]
    request = SearchRequest(
        q=q,
        filters=filters,
        restrict={"status": permissions.visible_statuses(user)},
        kinds=["material"],
        sort=sort,  # type: ignore[arg-type]
        page=page,
        per_page=PER_PAGE,
        facets=facet_fields,
    )
    index = get_index()
    try:
        if not index.exists():
            raise RuntimeError("the search index is missing")
        found = index.search(request)
    except QueryError as exc:
        result.message = str(exc)
        return result
    except Exception:
        log.exception("full-text search failed; answering from the database")
        return simple_search(user, q, page, sort, result)
    ids = [int(hit.id.split(":", 1)[1]) for hit in found.hits if hit.kind == "material"]
    by_id = _visible_by_id(user, ids)
    result.materials = [by_id[i] for i in ids if i in by_id]
    for hit in found.hits:
        material_id = int(hit.id.split(":", 1)[1])
        # The library escapes everything and adds only <mark>.
        result.snippets[material_id] = Markup(hit.snippet_html)  # noqa: S704
        result.titles[material_id] = Markup(hit.title_html)  # noqa: S704
    result.total = found.total
    result.total_is_exact = found.total_is_exact
    result.facets = _facets(found.facets, filters)
    result.suggestion = found.suggestion
    return result


def _visible_by_id(user: User, ids: list[int]) -> dict[int, Material]:
    """The database re-checks every hit: a stale index never shows what the user may not see."""
    if not ids:
        return {}
    query = permissions.visible_materials(user, select(Material).where(Material.id.in_(ids)))
    query = query.where(Material.status.in_(permissions.visible_statuses(user)))
    query = query.options(selectinload(Material.subjects))
    return {m.id: m for m in db.session.execute(query).scalars()}


def simple_search(user: User, q: str, page: int, sort: str, result: SearchPage) -> SearchPage:
    """Word-by-word matching on titles, annotations, keywords and authors."""
    result.mode = "simple"
    result.message = _(
        "Поиск временно работает в упрощённом режиме: ищутся только слова из названий, "
        "аннотаций и ключевых слов, без учёта форм слова."
    )
    query = select(Material).where(Material.status.in_(permissions.visible_statuses(user)))
    query = permissions.visible_materials(user, query)
    for word in q.casefold().replace("ё", "е").split()[:10]:
        word = word.strip("\"'()-")
        if word and word not in ("или", "or"):
            query = query.where(Material.search_text.contains(word, autoescape=True))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order: Any = (
        Material.download_count.desc() if sort == "downloads" else Material.published_at.desc()
    )
    rows = db.session.execute(
        query.options(selectinload(Material.subjects))
        .order_by(order, Material.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).scalars()
    result.materials = list(rows)
    result.total = int(total)
    for material in result.materials:
        result.titles[material.id] = escape(material.title)
        result.snippets[material.id] = escape(material.annotation[:300])
    return result
