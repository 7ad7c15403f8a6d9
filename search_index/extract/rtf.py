"""RTF via striprtf, with the file decoded in its declared ANSI code page."""

from __future__ import annotations

import re

from search_index.extract.common import CORRUPT, ExtractionFailed, ExtractionLimits, TextSink

_CODEPAGE_RE = re.compile(rb"\\ansicpg(\d{3,5})")


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    from striprtf.striprtf import rtf_to_text

    with open(path, "rb") as handle:
        data = handle.read(limits.max_file_bytes + 1)
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractionFailed(CORRUPT)
    match = _CODEPAGE_RE.search(data[:4096])
    encoding = f"cp{int(match.group(1))}" if match else "cp1251"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1251"
    # RTF itself is 7-bit; 8-bit bytes that slipped in raw belong to the
    # document's code page, which is also striprtf's fallback for \'xx escapes.
    text = data.decode(encoding, errors="replace")
    try:
        sink.add(rtf_to_text(text, encoding=encoding, errors="replace"))
    except (ValueError, OverflowError, IndexError, LookupError, RecursionError):
        raise ExtractionFailed(CORRUPT) from None
    return None
