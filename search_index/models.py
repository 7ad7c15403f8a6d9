"""Plain values passed into and out of the search index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from search_index.schema import FACET_FIELDS

SortOrder = Literal["relevance", "date", "downloads"]


class SearchIndexError(Exception):
    """Base class for the library's errors."""


class IndexBusy(SearchIndexError):
    """Another writer held the index lock for longer than the wait bound."""


class QueryError(SearchIndexError):
    """The query cannot be run; ``str(error)`` is a message for the user (Russian)."""


@dataclass(slots=True)
class IndexDocument:
    """One searchable record: a material now, a course later.

    ``filters`` maps value fields (``subject``, ``type``, ``level``,
    ``organization``, ``collection``, ``year``, ``status``) to their values;
    values are matched exactly, as given.
    """

    id: str
    kind: str
    title: str
    annotation: str = ""
    keywords: str = ""
    authors: str = ""
    body: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    created: datetime | None = None
    downloads: int = 0


@dataclass(slots=True)
class SearchRequest:
    """What to search for.

    ``filters`` are the user's facet choices (OR within a field, AND across
    fields); ``restrict`` is the caller's permission restriction, always
    ANDed and never taken from ``q``; ``kinds`` limits document kinds.
    """

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    restrict: dict[str, list[str]] = field(default_factory=dict)
    kinds: list[str] | None = None
    sort: SortOrder = "relevance"
    page: int = 1
    per_page: int = 20
    facets: list[str] = field(default_factory=lambda: list(FACET_FIELDS))


@dataclass(slots=True)
class Hit:
    id: str
    kind: str
    score: float
    #: Title and snippet are HTML-escaped with matches wrapped in <mark>.
    title_html: str
    snippet_html: str


@dataclass(slots=True)
class SearchResults:
    hits: list[Hit]
    total: int
    #: Totals and facet counts are exact (they come from document sets, not
    #: from scoring) except when a phrase so common that checking its word
    #: positions would be slow was matched by its words alone.
    total_is_exact: bool
    #: field → [(value, count)], most frequent first; selected values are
    #: always listed, even with a zero count.
    facets: dict[str, list[tuple[str, int]]]
    #: A corrected query string ("did you mean"), or None.
    suggestion: str | None
    page: int
    per_page: int


@dataclass(slots=True)
class IndexStatus:
    """Health of the index folder; ``check()`` never raises."""

    ok: bool
    doc_count: int
    generation: str | None
    detail: str | None = None
