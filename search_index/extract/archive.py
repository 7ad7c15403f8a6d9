"""Safe access to OOXML/ODF containers: check the ZIP before inflating anything,
then stream its XML with DTDs (and so entity expansion) refused."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from search_index.extract.common import (
    ARCHIVE_PATHS,
    ARCHIVE_RATIO,
    ARCHIVE_TOO_BIG,
    ARCHIVE_TOO_MANY,
    CORRUPT,
    ENCRYPTED,
    MIB,
    XML_FORBIDDEN,
    ExtractionFailed,
    ExtractionLimits,
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def _unsafe_name(name: str) -> bool:
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE_RE.match(name):
        return True
    parts = name.replace("\\", "/").split("/")
    return ".." in parts


def open_archive(path: str, limits: ExtractionLimits) -> zipfile.ZipFile:
    """Open a ZIP container after checking every central-directory entry.

    Declared sizes are what ``zipfile`` later enforces while inflating (a
    stream longer than declared fails its CRC/length check), so bounding them
    here bounds the work.
    """
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith(_OLE_MAGIC):
        # Password-protected Office files are OLE containers around an
        # encrypted package, not ZIP archives.
        if _ENCRYPTED_PACKAGE in head:
            raise ExtractionFailed(ENCRYPTED)
        raise ExtractionFailed(CORRUPT)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ExtractionFailed(CORRUPT) from None
    try:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ExtractionFailed(ARCHIVE_TOO_MANY)
        total = 0
        for info in infos:
            if _unsafe_name(info.filename):
                raise ExtractionFailed(ARCHIVE_PATHS)
            if info.flag_bits & 0x1:
                raise ExtractionFailed(ENCRYPTED)
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                raise ExtractionFailed(ARCHIVE_TOO_BIG)
            if info.file_size > MIB and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise ExtractionFailed(ARCHIVE_RATIO)
    except BaseException:
        archive.close()
        raise
    return archive


def member_names(archive: zipfile.ZipFile) -> set[str]:
    return {posixpath.normpath(info.filename) for info in archive.infolist()}


def open_member(archive: zipfile.ZipFile, name: str) -> IO[bytes]:
    try:
        return archive.open(name)
    except KeyError:
        raise ExtractionFailed(CORRUPT) from None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, ValueError):
        raise ExtractionFailed(CORRUPT) from None


def iter_xml(
    archive: zipfile.ZipFile, name: str, events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, Element]]:
    """Stream (event, element) pairs from an XML member.

    Any DOCTYPE is refused outright: OOXML and ODF never need one, and refusing
    it rules out entity expansion (billion laughs) and external entities.
    """
    with open_member(archive, name) as stream:
        try:
            yield from iterparse(stream, events=events, forbid_dtd=True)
        except DefusedXmlException:
            raise ExtractionFailed(XML_FORBIDDEN) from None
        except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError):
            raise ExtractionFailed(CORRUPT) from None


def read_xml_root(archive: zipfile.ZipFile, name: str, max_bytes: int = 16 * MIB) -> Element:
    """Parse a small XML member (relationships, manifests) completely."""
    info = archive.getinfo(name) if name in archive.namelist() else None
    if info is None:
        raise ExtractionFailed(CORRUPT)
    if info.file_size > max_bytes:
        raise ExtractionFailed(ARCHIVE_TOO_BIG)
    root: Element | None = None
    for event, element in iter_xml(archive, name, events=("start", "end")):
        if root is None and event == "start":
            root = element
    if root is None:
        raise ExtractionFailed(CORRUPT)
    return root


def local(tag: str) -> str:
    """The tag name without its namespace."""
    return tag.rpartition("}")[2]
