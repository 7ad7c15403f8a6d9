"""PDF via pypdf, which caps stream inflation itself; the worker's memory and
time limits cover whatever it does not."""

from __future__ import annotations

import logging

from search_index.extract.common import (
    CORRUPT,
    CORRUPT_PARTIAL,
    ENCRYPTED,
    TOO_MANY_PAGES,
    ExtractionFailed,
    ExtractionLimits,
    TextSink,
)

# Broken files make pypdf log a line per problem; the outcome is reported
# through the result instead.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

_BROKEN = (Exception, RecursionError)


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(path, strict=False)
    except _BROKEN:
        raise ExtractionFailed(CORRUPT) from None
    if reader.is_encrypted:
        # Files protected only against editing open with the empty password;
        # anything needing a real password cannot be read.
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError):
            raise ExtractionFailed(ENCRYPTED) from None
        except _BROKEN:
            raise ExtractionFailed(ENCRYPTED) from None
        if not opened:
            raise ExtractionFailed(ENCRYPTED)
    try:
        page_count = len(reader.pages)
    except _BROKEN:
        raise ExtractionFailed(CORRUPT) from None
    for number in range(min(page_count, limits.max_pages)):
        try:
            text = reader.pages[number].extract_text()
        except _BROKEN:
            if sink:
                return CORRUPT_PARTIAL
            raise ExtractionFailed(CORRUPT) from None
        sink.add(text)
        sink.add("\n\n")
    return TOO_MANY_PAGES if page_count > limits.max_pages else None
