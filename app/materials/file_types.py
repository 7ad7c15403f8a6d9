"""What an uploaded file really is: the allowed kinds, content sniffing, safe file names.

A material's file is accepted by its CONTENT, not by its name: a PDF renamed to
``.doc`` is still a PDF, and a program or a web page renamed to ``.pdf`` is refused.
The caller reads the first bytes of the upload (``HEAD_SIZE``, or the whole file if
it is shorter) and hands them to :func:`detect_kind` together with the user's file
name and, when the upload is already on disk, its path (containers such as ZIP and
the old Office compound files are then inspected through their directories).

Plain logic: no Flask here, the messages are final Russian text for the user.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass

import olefile

__all__ = [
    "HEAD_SIZE",
    "KINDS",
    "FileKind",
    "UnsupportedFile",
    "accepted_extensions",
    "detect_kind",
    "safe_filename",
]

HEAD_SIZE = 64 * 1024  # how many leading bytes callers pass to detect_kind


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str  # shown to users
    mime: str  # the content type to serve the file with
    inline: bool  # may be previewed in the browser; everything else is an attachment
    extensions: tuple[str, ...]  # lower case, with the dot; the first one is canonical


KINDS: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "PDF", "application/pdf", True, (".pdf",)),
        FileKind("doc", "Документ Word (DOC)", "application/msword", False, (".doc",)),
        FileKind(
            "docx",
            "Документ Word (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            False,
            (".docx",),
        ),
        FileKind(
            "odt",
            "Документ OpenDocument (ODT)",
            "application/vnd.oasis.opendocument.text",
            False,
            (".odt",),
        ),
        FileKind("rtf", "Документ RTF", "application/rtf", False, (".rtf",)),
        FileKind("txt", "Текст (TXT)", "text/plain; charset=utf-8", False, (".txt",)),
        FileKind(
            "ppt",
            "Презентация PowerPoint (PPT)",
            "application/vnd.ms-powerpoint",
            False,
            (".ppt",),
        ),
        FileKind(
            "pptx",
            "Презентация PowerPoint (PPTX)",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            False,
            (".pptx",),
        ),
        FileKind(
            "odp",
            "Презентация OpenDocument (ODP)",
            "application/vnd.oasis.opendocument.presentation",
            False,
            (".odp",),
        ),
        FileKind("xls", "Таблица Excel (XLS)", "application/vnd.ms-excel", False, (".xls",)),
        FileKind(
            "xlsx",
            "Таблица Excel (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            False,
            (".xlsx",),
        ),
        FileKind(
            "ods",
            "Таблица OpenDocument (ODS)",
            "application/vnd.oasis.opendocument.spreadsheet",
            False,
            (".ods",),
        ),
        FileKind("jpg", "Изображение JPEG", "image/jpeg", True, (".jpg", ".jpeg")),
        FileKind("png", "Изображение PNG", "image/png", True, (".png",)),
        FileKind("mp4", "Видео MP4", "video/mp4", False, (".mp4", ".m4v")),
        FileKind("zip", "Архив ZIP", "application/zip", False, (".zip",)),
    )
}

_BY_EXTENSION: dict[str, FileKind] = {
    ext: kind for kind in KINDS.values() for ext in kind.extensions
}
_ALLOWED_LIST = ", ".join(code.upper() for code in KINDS)


class UnsupportedFile(ValueError):
    """The upload is refused; ``str(exc)`` is a Russian sentence for the user."""


def accepted_extensions() -> str:
    """The value of ``<input type="file" accept="...">``: ``.pdf,.doc,.docx,...``."""
    return ",".join(_BY_EXTENSION)


# --- file names ----------------------------------------------------------------

_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")
_WINDOWS_RESERVED_CHARS = re.compile(r'[<>:"|?*]')
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
_DEFAULT_STEM = "файл"


def _drop_invisible(text: str) -> str:
    # Cc: NUL and the other control characters; Cf: bidi controls (U+202A-U+202E,
    # U+2066-U+2069, U+200E/U+200F, U+061C), zero-width characters, BOM, soft hyphen;
    # Cs: lone surrogates (file names decoded with surrogateescape).
    # Line/paragraph separators and tabs become spaces and are collapsed later.
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\t\n\r\v\f" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cf", "Cs"):
            kept.append(char)
    return "".join(kept)


def _split_extension(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot > 0 and _EXTENSION.fullmatch(name[dot:]):
        return name[:dot], name[dot:]
    if dot == 0 and _EXTENSION.fullmatch(name):  # ".pdf": an extension with no name
        return "", name
    return name, ""


def safe_filename(name: str, *, max_length: int = 200) -> str:
    """A file name that is safe to store, show and offer for download.

    Keeps Cyrillic and ordinary punctuation; drops directory components, control,
    bidi and zero-width characters; replaces the characters Windows forbids
    (``<>:"|?*``) with ``_``; collapses whitespace; strips leading dots and spaces
    (and trailing ones, which Windows drops). The result has at most ``max_length``
    characters and keeps the extension; a name with nothing left becomes
    ``файл`` plus the extension.
    """
    if max_length < 1:
        raise ValueError("max_length must be positive")
    text = _drop_invisible(unicodedata.normalize("NFC", name or ""))
    text = _SEPARATORS.split(text)[-1]  # "../../etc/passwd" -> "passwd", "C:\x\y.pdf" -> "y.pdf"
    text = _WINDOWS_RESERVED_CHARS.sub("_", text)
    text = _WHITESPACE.sub(" ", text).lstrip(" ").rstrip(" .")
    stem, extension = _split_extension(text)
    stem = stem.strip(" .")
    if stem.split(".")[0].upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    if not stem:
        stem = _DEFAULT_STEM
    if len(extension) >= max_length:  # absurd limits: keep what fits
        return (stem + extension)[:max_length]
    stem = stem[: max_length - len(extension)].rstrip(" .") or _DEFAULT_STEM
    return (stem + extension)[:max_length]


def _extension_of(safe_name: str) -> str:
    return _split_extension(safe_name)[1].lower()


# --- messages ------------------------------------------------------------------


def _unsupported(name: str) -> UnsupportedFile:
    return UnsupportedFile(f"Тип файла «{name}» не поддерживается. Допустимы: {_ALLOWED_LIST}.")


def _mismatch(name: str, expected: FileKind) -> UnsupportedFile:
    return UnsupportedFile(
        f"Файл «{name}» не похож на {expected.code.upper()}: "
        "содержимое не соответствует расширению."
    )


# --- content sniffing ----------------------------------------------------------

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
_MP4_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
        b"mp41", b"mp42", b"mp71", b"avc1", b"av01", b"hvc1", b"dash", b"mmp4", b"msnv",
        b"MSNV", b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"XAVC", b"NDAS",
    }
)  # fmt: skip
_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # universal binary (and Java classes)
)
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|\?xml)", re.I)


def _is_executable(head: bytes) -> bool:
    if head.startswith(b"MZ"):  # DOS/Windows; the header always holds zero bytes
        return b"\x00" in head[:64]
    return head.startswith(b"\x7fELF") or head.startswith(_MACHO_MAGICS)


def _is_mp4(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size > 4096:
        return False
    box = head[8:size]
    brands = {box[i : i + 4] for i in range(0, len(box) - 3, 4) if i != 4}  # skip the version
    return bool(brands & _MP4_BRANDS)


_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f\v\x1a")


def _mostly_printable(text: str) -> bool:
    if not text:
        return True
    bad = sum(
        1
        for char in text
        if char == "\ufffd"
        or (unicodedata.category(char) == "Cc" and char not in _TEXT_CONTROLS_ALLOWED)
    )
    return bad <= len(text) // 100  # up to 1% of stray bytes, none in short files


def _decode_prefix(data: bytes, encoding: str) -> str | None:
    """Decode a prefix of a file; a sequence cut at the end of the prefix is fine."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _looks_like_text(head: bytes) -> bool:
    if head.startswith(codecs.BOM_UTF8):
        text = _decode_prefix(head[len(codecs.BOM_UTF8) :], "utf-8")
        return text is not None and _mostly_printable(text)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_prefix(head, "utf-16")
        return text is not None and _mostly_printable(text)
    if b"\x00" in head:
        return False
    text = _decode_prefix(head, "utf-8")
    if text is not None:
        return _mostly_printable(text)
    # Legacy Russian encodings: every high byte is a letter or a sign in both, so
    # what tells text from binary is the absence of stray control characters.
    return any(
        _mostly_printable(head.decode(encoding, errors="replace"))
        for encoding in ("cp1251", "koi8_r")
    )


# --- ZIP containers ------------------------------------------------------------

_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_PARTS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"))
_ZIP_BASED = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp", "zip"})
_MAX_ENTRIES = 100_000


@dataclass
class _ZipListing:
    names: list[str]
    mimetype: bytes | None
    complete: bool  # read from the central directory, not guessed from the head


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    RuntimeError,  # encrypted entry
    ValueError,
    NotImplementedError,  # unsupported compression
)


def _listing_from_archive(source: str | io.BytesIO) -> _ZipListing | None:
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            mimetype = None
            info = next((i for i in infos if i.filename == "mimetype"), None)
            if info is not None and info.file_size <= 256:
                mimetype = archive.read(info)
    except _ZIP_ERRORS:
        return None
    return _ZipListing([i.filename for i in infos], mimetype, complete=True)


def _listing_from_head(head: bytes) -> _ZipListing:
    """Walk the local file headers present in the head of a (possibly cut) archive."""
    names: list[str] = []
    mimetype = None
    pos = 0
    while len(names) < _MAX_ENTRIES and head.startswith(b"PK\x03\x04", pos):
        if pos + 30 > len(head):
            break
        flags, method = struct.unpack_from("<HH", head, pos + 6)
        size = struct.unpack_from("<I", head, pos + 18)[0]
        name_len, extra_len = struct.unpack_from("<HH", head, pos + 26)
        raw_name = head[pos + 30 : pos + 30 + name_len]
        if len(raw_name) < name_len:
            break
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        names.append(name)
        start = pos + 30 + name_len + extra_len
        if name == "mimetype" and method == zipfile.ZIP_STORED and size <= 256:
            mimetype = head[start : start + size]
        if flags & 0x08 or size == 0xFFFFFFFF:  # size unknown here: find the next header
            pos = head.find(b"PK\x03\x04", start)
            if pos < 0:
                break
        else:
            pos = start + size
    return _ZipListing(names, mimetype, complete=False)


def _zip_listing(head: bytes, path: str | None) -> _ZipListing:
    listing = _listing_from_archive(path) if path else None
    if listing is None and len(head) < HEAD_SIZE:  # the head may be the whole file
        listing = _listing_from_archive(io.BytesIO(head))
    return listing or _listing_from_head(head)


def _zip_content_kind(listing: _ZipListing) -> str | None:
    if listing.mimetype is not None:
        code = _ODF_MIMETYPES.get(listing.mimetype.strip())
        if code:
            return code
    if "[Content_Types].xml" in listing.names:
        for prefix, code in _OOXML_PARTS:
            if any(name.startswith(prefix) for name in listing.names):
                return code
    return None


def _zip_kind(head: bytes, path: str | None, name: str, expected: FileKind) -> FileKind:
    if expected.code == "zip":  # any archive named .zip is an archive, even a renamed .docx
        return expected
    listing = _zip_listing(head, path)
    code = _zip_content_kind(listing)
    if code:
        return KINDS[code]
    if not listing.complete and expected.code in _ZIP_BASED:
        return expected  # cannot see the directory: trust the name within the ZIP family
    raise _mismatch(name, expected)


# --- OLE2 compound files (DOC, XLS, PPT) ---------------------------------------

_OLE_ROOT_STREAMS = {
    "worddocument": "doc",
    "workbook": "xls",
    "book": "xls",  # Excel 5/95
    "powerpoint document": "ppt",
}


def _ole_root_names(head: bytes, path: str | None) -> tuple[set[str], bool]:
    """Lower-cased names of the entries at the root of a compound file.

    Returns the names found and whether the directory could be read. Only the
    root matters: an embedded Word document inside a workbook lives deeper down.
    The directory is read by olefile, from the file when it is on disk, else
    from the head (all of a small file; a cut one usually fails to parse and
    the name decides).
    """
    try:
        with contextlib.ExitStack() as stack:
            source = stack.enter_context(open(path, "rb")) if path else io.BytesIO(head)
            # A structure olefile finds incorrect (a cut sector, a bad chain)
            # fails the parse instead of yielding part of a directory.
            ole = stack.enter_context(
                olefile.OleFileIO(source, raise_defects=olefile.DEFECT_INCORRECT)
            )
            # A forged name length leaves the field's NUL padding in the name.
            return {kid.name.split("\x00", 1)[0].lower() for kid in ole.root.kids}, True
    except Exception:  # a hostile or cut file may break the parser in any way
        return set(), False


def _ole_kind(head: bytes, path: str | None, name: str, expected: FileKind) -> FileKind:
    names, complete = _ole_root_names(head, path)
    found = {code for stream, code in _OLE_ROOT_STREAMS.items() if stream in names}
    if expected.code in found:
        return expected
    if found:
        return KINDS[sorted(found)[0]]  # content decides: a Word file named .xls is a DOC
    if "encryptedpackage" in names:
        raise UnsupportedFile(
            f"Файл «{name}» защищён паролем. Снимите пароль и загрузите файл снова."
        )
    if not complete and expected.code in ("doc", "xls", "ppt"):
        return expected  # cannot see the directory: trust the name within the family
    raise _mismatch(name, expected)


# --- the entry point -----------------------------------------------------------


def detect_kind(head: bytes, filename: str, *, path: str | None = None) -> FileKind:
    """The kind of an upload, decided by its content; raises :class:`UnsupportedFile`.

    ``head`` is the first ``HEAD_SIZE`` bytes of the file (or all of it);
    ``filename`` is the user's name for it; ``path``, when given, is the whole file
    on disk, used to read the directories of ZIP and compound (DOC/XLS/PPT) files.

    The name must carry an allowed extension. When the content is an allowed kind,
    the content wins (a PDF named ``.doc`` is a PDF); otherwise the file is refused.
    Plain text has no signature, so it is accepted only under ``.txt``.
    """
    name = safe_filename(filename)
    expected = _BY_EXTENSION.get(_extension_of(name))
    if expected is None:
        raise _unsupported(name)
    if not head:
        raise UnsupportedFile(f"Файл «{name}» пуст.")

    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if _is_executable(head):
        raise _mismatch(name, expected)
    if head.startswith(_PNG_MAGIC):
        return KINDS["png"]
    if head.startswith(_JPEG_MAGIC):
        return KINDS["jpg"]
    if _is_mp4(head):
        return KINDS["mp4"]
    if head.startswith(b"{\\rtf"):
        return KINDS["rtf"]
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(head, path, name, expected)
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(head, path, name, expected)
    if expected.code == "txt" and _looks_like_text(head):
        return expected  # even if it mentions "%PDF-" or holds HTML: it is served as text
    pdf_at = head.find(b"%PDF-", 0, 1024)
    if pdf_at > 0 and not _MARKUP.search(head[:pdf_at]) and not _looks_like_text(head):
        return KINDS["pdf"]  # some generators put junk before the signature
    raise _mismatch(name, expected)
