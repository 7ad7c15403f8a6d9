"""ODF text, presentation and spreadsheet documents (ODT, ODP, ODS).

All three keep their text in ``content.xml`` as ``text:p``/``text:h``
paragraphs; presentations count ``draw:page`` elements against the page limit.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from search_index.extract.archive import iter_xml, open_archive
from search_index.extract.common import TOO_MANY_PAGES, ExtractionLimits, TextSink

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_PARAGRAPHS = frozenset({_TEXT + "p", _TEXT + "h"})
_BLOCKS = frozenset({_TABLE + "table-row", _DRAW + "page"})
_SPACE_COUNT = _TEXT + "c"
_MAX_SPACES = 100


def paragraph_text(element: Element) -> str:
    """The text of a paragraph, with ODF's space, tab and break elements."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == _TEXT + "s":
            try:
                count = int(child.get(_SPACE_COUNT, "1"))
            except ValueError:
                count = 1
            parts.append(" " * max(1, min(count, _MAX_SPACES)))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        elif tag in _PARAGRAPHS:
            parts.append("\n" + paragraph_text(child) + "\n")
        else:
            parts.append(paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    pages = 0
    depth = 0
    with open_archive(path, limits) as archive:
        for event, element in iter_xml(archive, "content.xml", events=("start", "end")):
            tag = element.tag
            if tag in _PARAGRAPHS:
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth == 0:
                    sink.add(paragraph_text(element) + "\n")
                    element.clear()
            elif event == "start" and tag == _DRAW + "page":
                pages += 1
                if pages > limits.max_pages:
                    return TOO_MANY_PAGES
            elif event == "end" and depth == 0 and tag in _BLOCKS:
                sink.add("\n")
                element.clear()
    return None
