"""Helpers shared by the OOXML formats (DOCX, PPTX, XLSX): package parts and
relationships, read with the same safe XML reader as the content."""

from __future__ import annotations

import posixpath
import zipfile

from search_index.extract.archive import local, read_xml_root

_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_ID_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


def relationship_id(attributes: dict[str, str]) -> str | None:
    return attributes.get(_REL_ID) or attributes.get(_REL_ID_STRICT)


def content_type_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name (without the leading slash) → content type, from overrides."""
    if "[Content_Types].xml" not in archive.namelist():
        return {}
    root = read_xml_root(archive, "[Content_Types].xml")
    parts: dict[str, str] = {}
    for element in root.iter():
        if local(element.tag) == "Override":
            name = element.get("PartName", "").lstrip("/")
            if name:
                parts[name] = element.get("ContentType", "")
    return parts


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → target part name for ``part``."""
    folder, filename = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", filename + ".rels")
    if rels_name not in archive.namelist():
        return {}
    root = read_xml_root(archive, rels_name)
    targets: dict[str, str] = {}
    for element in root.iter():
        if local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
            continue
        target = element.get("Target", "")
        rel_id = element.get("Id", "")
        if not target or not rel_id:
            continue
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        targets[rel_id] = resolved
    return targets
