"""DOCX: the main document, then footnotes and endnotes, streamed."""

from __future__ import annotations

import zipfile

from search_index.extract.archive import iter_xml, local, open_archive
from search_index.extract.common import ExtractionLimits, TextSink
from search_index.extract.ooxml import content_type_parts

_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
)
_NOTE_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml",
)


def _document_text(archive: zipfile.ZipFile, name: str, sink: TextSink) -> None:
    for _, element in iter_xml(archive, name):
        if "wordprocessingml" not in element.tag:
            continue
        tag = local(element.tag)
        if tag == "t":
            sink.add(element.text or "")
        elif tag == "tab":
            sink.add("\t")
        elif tag in ("br", "cr"):
            sink.add("\n")
        elif tag == "p":
            sink.add("\n")
            element.clear()
        elif tag in ("tbl", "sdt", "body"):
            element.clear()


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    with open_archive(path, limits) as archive:
        parts = content_type_parts(archive)
        main = [name for name, kind in parts.items() if kind in _MAIN_TYPES]
        names = main or ["word/document.xml"]
        names += sorted(name for name, kind in parts.items() if kind in _NOTE_TYPES)
        for name in names:
            _document_text(archive, name, sink)
    return None
