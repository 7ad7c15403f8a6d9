"""PPTX: slide text in presentation order, up to the page limit."""

from __future__ import annotations

import re
import zipfile

from search_index.extract.archive import iter_xml, local, open_archive, read_xml_root
from search_index.extract.common import TOO_MANY_PAGES, ExtractionLimits, TextSink
from search_index.extract.ooxml import relationship_id, relationships

_SLIDE_RE = re.compile(r"^ppt/slides/slide(\d+)\.xml$")


def slide_order(archive: zipfile.ZipFile) -> list[str]:
    names = archive.namelist()
    ordered: list[str] = []
    if "ppt/presentation.xml" in names:
        targets = relationships(archive, "ppt/presentation.xml")
        root = read_xml_root(archive, "ppt/presentation.xml")
        for element in root.iter():
            if local(element.tag) == "sldId":
                target = targets.get(relationship_id(element.attrib) or "")
                if target and target in names and target not in ordered:
                    ordered.append(target)
    if not ordered:
        found = [(int(m.group(1)), name) for name in names if (m := _SLIDE_RE.match(name))]
        ordered = [name for _, name in sorted(found)]
    return ordered


def _slide_text(archive: zipfile.ZipFile, name: str, sink: TextSink) -> None:
    for _, element in iter_xml(archive, name):
        tag = local(element.tag)
        if tag == "t":
            sink.add(element.text or "")
        elif tag == "br":
            sink.add("\n")
        elif tag == "p":
            sink.add("\n")
            element.clear()


def extract(path: str, sink: TextSink, limits: ExtractionLimits) -> str | None:
    with open_archive(path, limits) as archive:
        slides = slide_order(archive)
        for name in slides[: limits.max_pages]:
            _slide_text(archive, name, sink)
            sink.add("\n")
    return TOO_MANY_PAGES if len(slides) > limits.max_pages else None
