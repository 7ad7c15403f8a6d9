"""Full-text search for the platform: text extraction and a Whoosh index.

A plain library: it takes paths and dataclasses and returns dataclasses, and
never imports Flask, the application or ``content_store``.

    result = extract_text("/path/file.pdf", "pdf")      # never raises, never hangs
    index = SearchIndex(instance_dir / "search")
    index.apply(upserts=[IndexDocument(...)], deletes=["material:7"])
    index.rebuild(all_documents(), procs=os.cpu_count())  # atomic swap
    page = index.search(SearchRequest(q="методические рекомендации",
                                      restrict={"status": ["published"]}))

``QueryError`` carries a Russian message for the user; ``IndexBusy`` means the
write lock stayed taken (retry later: nothing was written).
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
