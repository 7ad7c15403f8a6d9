"""Full-text search for the platform: text extraction and a Whoosh index.

A plain library: it takes paths and dataclasses and returns dataclasses, and
never imports Flask or the application.
"""

from search_index.extract import ExtractionLimits, ExtractionResult, extract_text
from search_index.index import SearchIndex
from search_index.models import (
    Hit,
    IndexBusy,
    IndexDocument,
    IndexStatus,
    QueryError,
    SearchIndexError,
    SearchRequest,
    SearchResults,
)
from search_index.schema import FACET_FIELDS

__all__ = [
    "FACET_FIELDS",
    "ExtractionLimits",
    "ExtractionResult",
    "Hit",
    "IndexBusy",
    "IndexDocument",
    "IndexStatus",
    "QueryError",
    "SearchIndex",
    "SearchIndexError",
    "SearchRequest",
    "SearchResults",
    "extract_text",
]
