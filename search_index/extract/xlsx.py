"""XLSX: sheet names and cell values, row by row; shared strings resolved."""

from __future__ import annotations

import zipfile

from search_index.extract.archive import iter_xml, local, open_archive, read_xml_root
from search_index.extract.common import ExtractionLimits, TextSink
from search_index.extract.ooxml import content_type_parts, relationship_id, relationships

_SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _shared_strings(archive: zipfile.ZipFile, limit: int) -> list[str]:
    parts = content_type_parts(archive)
    names = [name for name, kind in parts.items() if kind == _SHARED_TYPE]
    name = names[0] if names else "xl/sharedStrings.xml"
    if name not in archive.namelist():
        return []
    strings: list[str] = []
    pieces: list[str] = []
    kept = 0
    for _, element in iter_xml(archive, name):
        tag = local(element.tag)
        if tag == "t":
            pieces.append(element.text or "")
        elif tag == "rPh":
            # Phonetic hints repeat the text; drop what they contributed.
            pieces.clear()
        elif tag == "si":
            text = "".join(pieces) if kept < limit else ""
            kept += len(text)
            strings.append(text)
            pieces.clear()
            element.clear()
    return strings


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    names = archive.namelist()
    if "xl/workbook.xml" not in names:
        return []
    targets = relationships(archive, "xl/workbook.xml")
    sheets: list[tuple[str, str]] = []
    for element in read_xml_root(archive, "xl/workbook.xml").iter():
        if local(element.tag) == "sheet":
            target = targets.get(relationship_id(element.attrib) or "")
            if target and target in names:
                sheets.append((element.get("name", ""), target))
    return sheets


def _sheet_text(archive: zipfile.ZipFile, name: str, shared: list[str], sink: TextSink) -> None:
    row: list[str] = []
    value: str | None = None
    inline: list[str] = []
    for _, element in iter_xml(archive, name):
        tag = local(element.tag)
        if tag == "v":
            value = element.text
        elif tag == "t":
            inline.append(element.text or "")
        elif tag == "c":
            kind = element.get("t", "n")
            text = ""
            if kind == "s" and value is not None:
                try:
                    text = shared[int(value)]
                except (ValueError, IndexError):
                    text = ""
            elif kind == "inlineStr":
                text = "".join(inline)
            elif value is not None:
                text = value
            if text:
                row.append(text)
            value = None
            inline.clear()
            element.clear()
        elif tag == "row":
            if row:
                sink.add("\t".join(row) + "\n")
            row.clear()
            element.clear()


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    with open_archive(path, limits) as archive:
        shared = _shared_strings(archive, limits.max_chars)
        for title, name in _sheets(archive):
            sink.add(title + "\n")
            _sheet_text(archive, name, shared, sink)
            sink.add("\n")
    return None
