"""Upload checks by content: every allowed kind from real files, refusals, safe names.

Plain logic: nothing here needs the Flask app.
"""

from __future__ import annotations

import codecs
import io
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
import ttf_opensans
from docx import Document
from fpdf import FPDF
from odf.opendocument import (
    OpenDocumentPresentation,
    OpenDocumentSpreadsheet,
    OpenDocumentText,
)
from odf.text import P
from openpyxl import Workbook
from PIL import Image
from pptx import Presentation

from app.materials.file_types import (
    HEAD_SIZE,
    KINDS,
    UnsupportedFile,
    accepted_extensions,
    detect_kind,
    safe_filename,
)

FONT = Path(ttf_opensans.__file__).parent / "ttf" / "OpenSans-Regular.ttf"
RUSSIAN = "Методические рекомендации по организации урока: дроби, 5 класс"


# --- real files ------------------------------------------------------------------


def make_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("OpenSans", fname=str(FONT))
    pdf.set_font("OpenSans", size=14)
    pdf.cell(text=RUSSIAN)
    return bytes(pdf.output())


def make_docx() -> bytes:
    document = Document()
    document.add_paragraph(RUSSIAN)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["ФИО", "Школа"])
    workbook.active.append(["Иванова Мария Петровна", "МБОУ СОШ № 1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_pptx() -> bytes:
    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    slide.shapes.title.text = RUSSIAN
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def make_odf(factory) -> bytes:  # type: ignore[no-untyped-def]
    document = factory()
    if factory is OpenDocumentText:
        document.text.addElement(P(text=RUSSIAN))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def make_zip(files: dict[str, bytes] | None = None, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in (files or {"план.txt": RUSSIAN.encode(), "фото/1.txt": b"x"}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def make_mp4(brand: bytes = b"isom", compatible: tuple[bytes, ...] = (b"isom", b"avc1")) -> bytes:
    ftyp_body = brand + b"\x00\x00\x02\x00" + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(ftyp_body)) + b"ftyp" + ftyp_body
    mdat = struct.pack(">I", 8 + 64) + b"mdat" + bytes(range(64))
    return ftyp + mdat


def make_rtf() -> bytes:
    return (
        b"{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0 Times New Roman;}}"
        b"\\f0\\fs28 \\'cc\\'e5\\'f2\\'EE\\'E4\\'E8\\'F1\\'F2 \\par}"
    )


NOSTREAM = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_cfb(tree: dict[str, list[str] | None], shift: int = 9) -> bytes:
    """A minimal valid compound file (512- or 4096-byte sectors) with the given entries.

    ``tree`` maps root-level names to None (a stream) or to the names of the streams
    inside a storage. Sector 0 holds the FAT, the directory follows as one chain.
    """
    entries: list[list[object]] = [["Root Entry", 5, NOSTREAM, NOSTREAM, NOSTREAM]]

    def level(items: list[tuple[str, list[str] | None]]) -> int:
        first, previous = NOSTREAM, None
        for name, children in items:
            index = len(entries)
            entries.append([name, 2 if children is None else 1, NOSTREAM, NOSTREAM, NOSTREAM])
            if previous is None:
                first = index
            else:
                entries[previous][3] = index  # right sibling
            previous = index
            if children is not None:
                entries[index][4] = level([(child, None) for child in children])
        return first

    entries[0][4] = level(list(tree.items()))
    packed = b""
    for name, entry_type, left, right, child in entries:
        encoded = str(name).encode("utf-16-le")
        packed += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded) + 2,
            entry_type,
            1,
            left,
            right,
            child,
            b"",
            0,
            0,
            0,
            ENDOFCHAIN,
            0,
        )
    size = 1 << shift
    packed += b"\x00" * (-len(packed) % size)
    dir_sectors = len(packed) // size
    fat = [FATSECT] + [sector + 1 for sector in range(1, dir_sectors)] + [ENDOFCHAIN]
    fat += [NOSTREAM] * (size // 4 - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        OLE_MAGIC,
        b"",
        0x3E,
        3 if shift == 9 else 4,
        0xFFFE,
        shift,
        6,
        b"",
        0,
        1,  # FAT sectors
        1,  # first directory sector
        0,
        4096,
        ENDOFCHAIN,
        0,
        ENDOFCHAIN,
        0,
        0,
        *([NOSTREAM] * 108),
    )
    header += b"\x00" * (size - len(header))
    return header + struct.pack(f"<{size // 4}I", *fat) + packed


WORD_CFB = {"\x01CompObj": None, "WordDocument": None, "1Table": None}
EXCEL_CFB = {"Workbook": None, "\x05SummaryInformation": None}
POWERPOINT_CFB = {"PowerPoint Document": None, "Current User": None}


def detect(data: bytes, filename: str, tmp_path: Path | None = None):  # type: ignore[no-untyped-def]
    """detect_kind as the upload service calls it: the head and, optionally, the file."""
    path = None
    if tmp_path is not None:
        file = tmp_path / "upload.bin"
        file.write_bytes(data)
        path = str(file)
    return detect_kind(data[:HEAD_SIZE], filename, path=path)


def refusal(data: bytes, filename: str, tmp_path: Path | None = None) -> str:
    with pytest.raises(UnsupportedFile) as caught:
        detect(data, filename, tmp_path)
    return str(caught.value)


# --- every allowed kind ------------------------------------------------------------


SAMPLES = {
    "pdf": (make_pdf, "Рекомендации.pdf"),
    "docx": (make_docx, "План урока.docx"),
    "xlsx": (make_xlsx, "Список.xlsx"),
    "pptx": (make_pptx, "Презентация.pptx"),
    "odt": (lambda: make_odf(OpenDocumentText), "Конспект.odt"),
    "ods": (lambda: make_odf(OpenDocumentSpreadsheet), "Таблица.ods"),
    "odp": (lambda: make_odf(OpenDocumentPresentation), "Слайды.odp"),
    "zip": (make_zip, "Материалы.zip"),
    "jpg": (lambda: make_image("JPEG"), "Фото.jpg"),
    "png": (lambda: make_image("PNG"), "Схема.png"),
    "mp4": (make_mp4, "Урок.mp4"),
    "rtf": (make_rtf, "Положение.rtf"),
    "doc": (lambda: make_cfb(WORD_CFB), "Приказ.doc"),
    "xls": (lambda: make_cfb(EXCEL_CFB), "Отчёт.xls"),
    "ppt": (lambda: make_cfb(POWERPOINT_CFB), "Доклад.ppt"),
    "txt": (lambda: RUSSIAN.encode("utf-8"), "Заметки.txt"),
}


def test_samples_cover_every_kind() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("with_path", [False, True], ids=["head", "path"])
@pytest.mark.parametrize("code", list(SAMPLES))
def test_each_allowed_kind_is_detected(code: str, with_path: bool, tmp_path: Path) -> None:
    make, filename = SAMPLES[code]
    kind = detect(make(), filename, tmp_path if with_path else None)
    assert kind is KINDS[code]


def test_fpdf_output_really_holds_the_cyrillic_text() -> None:
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(make_pdf())).pages[0].extract_text()
    assert "Методические рекомендации" in text


def test_the_extension_is_case_insensitive() -> None:
    assert detect(make_pdf(), "ОТЧЁТ.PDF") is KINDS["pdf"]
    assert detect(make_image("JPEG"), "photo.JPEG") is KINDS["jpg"]


@pytest.mark.parametrize(
    ("brand", "compatible"),
    [
        (b"mp42", (b"mp42", b"isom")),
        (b"M4V ", (b"M4V ", b"M4A ", b"mp42")),
        (b"avc1", (b"avc1",)),
        (b"3gp5", (b"3gp5", b"isom")),  # a phone video that declares MP4 compatibility
    ],
)
def test_mp4_brands(brand: bytes, compatible: tuple[bytes, ...]) -> None:
    assert detect(make_mp4(brand, compatible), "видео.mp4") is KINDS["mp4"]


@pytest.mark.parametrize(
    ("brand", "compatible", "filename"),
    [
        (b"qt  ", (b"qt  ",), "ролик.mp4"),  # QuickTime MOV
        (b"heic", (b"mif1", b"heic"), "фото.jpg"),  # an iPhone photo
    ],
)
def test_other_iso_media_is_refused(brand: bytes, compatible: tuple, filename: str) -> None:
    assert "содержимое не соответствует расширению" in refusal(
        make_mp4(brand, compatible), filename
    )


# --- text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        RUSSIAN.encode("utf-8"),
        codecs.BOM_UTF8 + RUSSIAN.encode("utf-8"),
        RUSSIAN.encode("cp1251"),
        RUSSIAN.encode("koi8_r"),
        RUSSIAN.encode("utf-16"),  # with a BOM
        codecs.BOM_UTF16_BE + RUSSIAN.encode("utf-16-be"),
        ("Строка\r\n" * 20_000).encode("cp1251"),  # longer than the head
        b"Plain ASCII notes\n\tindented\n",
        b"<!doctype html><html><script>alert(1)</script></html>",  # served as text/plain
        "В формате %PDF-1.4 сохраняют сборники".encode(),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "cp1251",
        "koi8r",
        "utf16le-bom",
        "utf16be-bom",
        "long-cp1251",
        "ascii",
        "html",
        "mentions-pdf",
    ],
)
def test_text_named_txt_is_text(data: bytes) -> None:
    assert detect(data, "заметки.txt") is KINDS["txt"]


def test_utf8_cut_in_the_middle_of_a_letter_is_still_text() -> None:
    data = ("Ж" * HEAD_SIZE).encode()  # the head ends inside a two-byte letter
    assert detect_kind(data[: HEAD_SIZE - 1], "письмо.txt") is KINDS["txt"]


@pytest.mark.parametrize(
    "data",
    [
        RUSSIAN.encode("utf-16-le"),  # UTF-16 without a BOM has NUL bytes
        b"text\x00with\x00nul",
        bytes(range(1, 32)) * 50,  # control characters, no NUL
    ],
    ids=["utf16-no-bom", "nul", "controls"],
)
def test_binary_named_txt_is_refused(data: bytes) -> None:
    assert refusal(data, "заметки.txt") == (
        "Файл «заметки.txt» не похож на TXT: содержимое не соответствует расширению."
    )


def test_text_named_pdf_is_refused() -> None:
    message = refusal(RUSSIAN.encode(), "Рекомендации.pdf")
    assert message == (
        "Файл «Рекомендации.pdf» не похож на PDF: содержимое не соответствует расширению."
    )


# --- content that does not match ----------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HTML = b"<!DOCTYPE html><html><body><script>document.location='//evil'</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (EXE, "Рекомендации.pdf"),
        (EXE, "План.docx"),
        (EXE, "заметки.txt"),
        (ELF, "Отчёт.pdf"),
        (b"\xcf\xfa\xed\xfe" + b"\x07\x00\x00\x01" * 8, "Отчёт.pdf"),  # Mach-O
        (HTML, "Рекомендации.pdf"),
        (SVG, "Схема.png"),
        (HTML, "Презентация.pptx"),
        (b"<html><script>x()</script>%PDF-1.7\n", "polyglot.pdf"),  # markup before %PDF-
    ],
    ids=[
        "exe-pdf",
        "exe-docx",
        "exe-txt",
        "elf",
        "macho",
        "html-pdf",
        "svg-png",
        "html-pptx",
        "polyglot",
    ],
)
def test_content_that_does_not_match_is_refused(data: bytes, filename: str) -> None:
    assert "содержимое не соответствует расширению" in refusal(data, filename)


@pytest.mark.parametrize(
    "filename",
    [
        "страница.html",
        "страница.htm",
        "страница.xhtml",
        "рисунок.svg",
        "скрипт.js",
        "программа.exe",
        "установка.msi",
        "без расширения",
        "Рекомендации.pdf.exe",
    ],
)
def test_names_outside_the_list_are_refused_whatever_the_content(filename: str) -> None:
    for data in (make_pdf(), HTML, RUSSIAN.encode()):
        message = refusal(data, filename)
        assert message.startswith(f"Тип файла «{filename}» не поддерживается.")
        assert "Допустимы: PDF, DOC, DOCX, ODT, RTF, TXT" in message
        assert message.endswith("JPG, PNG, MP4, ZIP.")


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"", "Рекомендации.pdf") == "Файл «Рекомендации.pdf» пуст."


def test_an_unknown_binary_is_refused() -> None:
    noise = bytes((i * 7919 + 13) % 256 for i in range(4096))
    for filename in ("данные.pdf", "данные.doc", "данные.zip", "данные.txt", "данные.mp4"):
        assert "содержимое не соответствует расширению" in refusal(noise, filename)


# --- content decides ----------------------------------------------------------------


def test_a_pdf_named_doc_is_a_pdf() -> None:
    assert detect(make_pdf(), "Рекомендации.doc") is KINDS["pdf"]


def test_a_pdf_with_junk_before_the_signature_is_a_pdf() -> None:
    assert detect(b"\r\n\xef\xbb\xbf" + make_pdf(), "Рекомендации.pdf") is KINDS["pdf"]


def test_an_image_named_txt_is_an_image() -> None:
    assert detect(make_image("PNG"), "схема.txt") is KINDS["png"]


def test_rtf_saved_as_doc_is_rtf() -> None:
    assert detect(make_rtf(), "Положение.doc") is KINDS["rtf"]


def test_a_docx_renamed_to_zip_is_accepted_as_an_archive(tmp_path: Path) -> None:
    assert detect(make_docx(), "План.zip") is KINDS["zip"]
    assert detect(make_docx(), "План.zip", tmp_path) is KINDS["zip"]


@pytest.mark.parametrize(
    ("make", "filename", "code"),
    [
        (make_docx, "План.pdf", "docx"),
        (make_xlsx, "Список.docx", "xlsx"),
        (lambda: make_odf(OpenDocumentText), "Конспект.docx", "odt"),
    ],
)
def test_an_office_file_under_another_allowed_name_is_what_it_contains(
    make, filename: str, code: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert detect(make(), filename, tmp_path) is KINDS[code]


def test_a_plain_zip_named_docx_is_refused(tmp_path: Path) -> None:
    message = refusal(make_zip(), "План.docx", tmp_path)
    assert message == "Файл «План.docx» не похож на DOCX: содержимое не соответствует расширению."
    assert refusal(make_zip(), "План.pdf") == (
        "Файл «План.pdf» не похож на PDF: содержимое не соответствует расширению."
    )


def test_a_zip_with_content_types_but_no_office_part_is_just_a_zip(tmp_path: Path) -> None:
    data = make_zip({"[Content_Types].xml": b"<Types/>", "other/x.xml": b"<x/>"})
    assert detect(data, "архив.zip", tmp_path) is KINDS["zip"]
    assert "не похож на DOCX" in refusal(data, "архив.docx", tmp_path)


def test_an_odf_mimetype_other_than_the_three_is_not_accepted(tmp_path: Path) -> None:
    data = make_zip({"mimetype": b"application/vnd.oasis.opendocument.graphics"})
    assert "не похож на ODT" in refusal(data, "рисунок.odt", tmp_path)


# --- big containers seen only through their head --------------------------------------


def big_docx() -> bytes:
    """A DOCX whose central directory lies far beyond the head."""
    document = Document()
    document.add_paragraph(RUSSIAN)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/image1.bin", bytes(3 * HEAD_SIZE))
    data = buffer.getvalue()
    assert len(data) > 3 * HEAD_SIZE
    return data


def test_a_big_docx_is_recognised_from_its_head_and_from_its_path(tmp_path: Path) -> None:
    data = big_docx()
    assert detect(data, "План.docx") is KINDS["docx"]
    assert detect(data, "План.pdf") is KINDS["docx"]  # the local headers show word/
    assert detect(data, "План.pdf", tmp_path) is KINDS["docx"]


def test_a_big_odt_is_recognised_by_its_stored_mimetype_entry() -> None:
    buffer = io.BytesIO(make_odf(OpenDocumentText))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("Pictures/big.bin", bytes(3 * HEAD_SIZE))
    data = buffer.getvalue()
    assert len(data) > 3 * HEAD_SIZE
    assert detect(data, "Конспект.pdf") is KINDS["odt"]


def test_a_cut_zip_trusts_its_name_within_the_zip_family() -> None:
    filler = make_zip({"data.bin": bytes(3 * HEAD_SIZE)}, zipfile.ZIP_STORED)
    head = filler[:HEAD_SIZE]
    assert detect_kind(head, "Таблица.xlsx") is KINDS["xlsx"]  # the directory is out of sight
    assert "не похож на PDF" in refusal(head, "Таблица.pdf")


# --- old Office compound files ---------------------------------------------------------


def test_a_bare_ole_header_is_decided_by_the_extension() -> None:
    header = make_cfb(WORD_CFB)[:512]
    assert detect(header, "Приказ.doc") is KINDS["doc"]
    assert detect(header, "Отчёт.xls") is KINDS["xls"]
    assert detect(header, "Доклад.ppt") is KINDS["ppt"]
    for filename in ("Приказ.pdf", "Приказ.docx", "Архив.zip"):
        assert "содержимое не соответствует расширению" in refusal(header, filename)


def test_the_ole_directory_decides_when_it_can_be_read(tmp_path: Path) -> None:
    assert detect(make_cfb(WORD_CFB), "Отчёт.xls") is KINDS["doc"]
    assert detect(make_cfb(EXCEL_CFB), "Приказ.pdf", tmp_path) is KINDS["xls"]
    assert detect(make_cfb(POWERPOINT_CFB), "Доклад.doc") is KINDS["ppt"]


def test_compound_files_with_4096_byte_sectors(tmp_path: Path) -> None:
    data = make_cfb(POWERPOINT_CFB, shift=12)
    assert len(data) == 3 * 4096
    assert detect(data, "Доклад.doc") is KINDS["ppt"]
    assert detect(data, "Доклад.doc", tmp_path) is KINDS["ppt"]


def test_only_the_root_of_the_ole_directory_counts() -> None:
    # A workbook with an embedded Word document: WordDocument sits in a sub-storage.
    data = make_cfb({"Workbook": None, "MBD0001A2B3": ["WordDocument", "\x01CompObj"]})
    assert detect(data, "Отчёт.xls") is KINDS["xls"]
    assert detect(data, "Отчёт.doc") is KINDS["xls"]


def test_a_long_ole_directory_is_followed_through_the_fat(tmp_path: Path) -> None:
    tree: dict[str, list[str] | None] = {f"Stream{i}": None for i in range(10)}
    tree["WordDocument"] = None  # the last entry, in the third directory sector
    data = make_cfb(tree)
    assert len(data) == 512 * 5
    assert detect(data, "Приказ.xls") is KINDS["doc"]
    # Only the header, the FAT and the first directory sector in sight: the name decides.
    assert detect_kind(data[:1024], "Приказ.xls") is KINDS["xls"]
    assert detect_kind(data[:1024], "Приказ.xls", path=str(write(tmp_path, data))) is KINDS["doc"]


def write(tmp_path: Path, data: bytes) -> Path:
    file = tmp_path / "upload.bin"
    file.write_bytes(data)
    return file


def test_another_compound_file_is_refused_when_its_directory_is_read(tmp_path: Path) -> None:
    installer = make_cfb({"\x05SummaryInformation": None, "䡀㬿䏲䐸䖱": None})  # like an MSI
    assert "не похож на DOC" in refusal(installer, "Приказ.doc", tmp_path)


def test_a_password_protected_office_file_gets_its_own_message(tmp_path: Path) -> None:
    encrypted = make_cfb({"EncryptionInfo": None, "EncryptedPackage": None})
    assert refusal(encrypted, "План.docx", tmp_path) == (
        "Файл «План.docx» защищён паролем. Снимите пароль и загрузите файл снова."
    )


def test_a_broken_ole_directory_does_not_crash(tmp_path: Path) -> None:
    data = bytearray(make_cfb(WORD_CFB))
    struct.pack_into("<I", data, 0x30, 0x7FFFFFFF)  # the directory starts past the end
    assert detect(bytes(data), "Приказ.doc", tmp_path) is KINDS["doc"]
    data = bytearray(make_cfb(WORD_CFB))
    struct.pack_into("<I", data, 516, 1)  # a FAT loop: directory sector 1 points to itself
    assert detect(bytes(data), "Приказ.doc", tmp_path) is KINDS["doc"]


def test_the_error_names_the_file_safely() -> None:
    message = refusal(EXE, "../../отчёт\u202efdp.pdf")
    assert "\u202e" not in message
    assert "«отчётfdp.pdf»" in message


# --- the kinds themselves ---------------------------------------------------------------


def test_kinds_table() -> None:
    assert list(KINDS) == [
        "pdf", "doc", "docx", "odt", "rtf", "txt", "ppt", "pptx", "odp",
        "xls", "xlsx", "ods", "jpg", "png", "mp4", "zip",
    ]  # fmt: skip
    assert {code for code, kind in KINDS.items() if kind.inline} == {"pdf", "jpg", "png"}
    assert KINDS["txt"].mime == "text/plain; charset=utf-8"
    assert KINDS["docx"].label == "Документ Word (DOCX)"
    assert KINDS["pptx"].label == "Презентация PowerPoint (PPTX)"
    assert KINDS["mp4"].label == "Видео MP4"
    assert KINDS["zip"].label == "Архив ZIP"
    for code, kind in KINDS.items():
        assert kind.code == code
        assert kind.extensions[0] == f".{code}"
        assert all(ext == ext.lower() and ext.startswith(".") for ext in kind.extensions)
    with pytest.raises(AttributeError):
        KINDS["pdf"].inline = False  # type: ignore[misc]


def test_accepted_extensions() -> None:
    accepted = accepted_extensions().split(",")
    assert accepted[:3] == [".pdf", ".doc", ".docx"]
    assert {".jpeg", ".txt", ".mp4", ".zip", ".odp"} <= set(accepted)
    assert not {".html", ".svg", ".exe", ".js"} & set(accepted)
    assert len(accepted) == len(set(accepted))
    assert set(accepted) == {ext for kind in KINDS.values() for ext in kind.extensions}


# --- safe_filename ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("План урока.docx", "План урока.docx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("/home/user/Рекомендации (2024), ред. №2.pdf", "Рекомендации (2024), ред. №2.pdf"),
        ("отчёт\x00.pdf", "отчёт.pdf"),
        ("от\x07чёт\x1b[31m.pdf", "отчёт[31m.pdf"),
        ("отчёт\u202efdp.exe", "отчётfdp.exe"),
        ("\u2066отчёт\u2069\u200e\u200f\u061c.pdf", "отчёт.pdf"),
        ("о\u200bт\u200cч\u200dё\ufeffт.pdf", "отчёт.pdf"),
        ("  План \t\n  урока   .docx ", "План урока.docx"),
        ("...скрытый.pdf", "скрытый.pdf"),
        (". . .pdf", "файл.pdf"),
        (".pdf", "файл.pdf"),
        ("..", "файл"),
        ("", "файл"),
        ("\u202e\x00/", "файл"),
        ("Что такое ФГОС? Ответы: «да».pdf", "Что такое ФГОС_ Ответы_ «да».pdf"),
        ('a<b>c|d*e"f.txt', "a_b_c_d_e_f.txt"),
        ("отчёт.pdf.", "отчёт.pdf"),
        ("CON.txt", "_CON.txt"),
        ("Итоги... года.pdf", "Итоги... года.pdf"),
        ("Том 1. Введение", "Том 1. Введение"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_safe_filename_normalises_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Отчёт за йюль.pdf")
    assert decomposed != "Отчёт за йюль.pdf"
    assert safe_filename(decomposed) == "Отчёт за йюль.pdf"


def test_a_long_cyrillic_name_keeps_its_extension() -> None:
    name = "Ж" * 300 + ".docx"
    safe = safe_filename(name)
    assert len(safe) == 200
    assert safe == "Ж" * 195 + ".docx"
    short = safe_filename("Методика " * 40 + ".pdf", max_length=50)
    assert short.endswith("Методика М.pdf")
    assert len(short) == 50
    assert safe_filename("а" * 300) == "а" * 200
    assert safe_filename("файл.pdf", max_length=3) == "фай"


def test_safe_filename_is_idempotent() -> None:
    for raw in ("../../etc/passwd", "  . отчёт\u202e.pdf", "Ж" * 300 + ".docx", ""):
        once = safe_filename(raw)
        assert safe_filename(once) == once


def test_safe_filename_rejects_a_nonsense_limit() -> None:
    with pytest.raises(ValueError):
        safe_filename("x.pdf", max_length=0)


def _entry_offset(index: int, shift: int = 9) -> int:
    # make_cfb: header sector, FAT sector, then the directory from sector 1.
    size = 1 << shift
    return size * 2 + index * 128


@pytest.mark.parametrize(
    "damage",
    [
        "sibling_loop",
        "child_is_root",
        "huge_fat_count",
        "difat_loop",
        "entry_name_overflows",
        "cut_in_the_directory",
    ],
)
def test_hostile_compound_files_fall_back_to_the_name(damage: str, tmp_path: Path) -> None:
    data = bytearray(make_cfb(WORD_CFB))
    if damage == "sibling_loop":  # the last root entry's right sibling is the first one
        struct.pack_into("<I", data, _entry_offset(3) + 72, 1)
    elif damage == "child_is_root":  # a storage inside itself: an endless tree
        struct.pack_into("<I", data, _entry_offset(1) + 76, 0)
        data[_entry_offset(1) + 66] = 1
    elif damage == "huge_fat_count":
        struct.pack_into("<I", data, 0x2C, 0x7FFFFFFF)
    elif damage == "difat_loop":  # the DIFAT chain points back to its own sector
        struct.pack_into("<II", data, 0x44, 1, 0x7FFFFFFF)
    elif damage == "entry_name_overflows":  # a name length past its 64-byte field
        struct.pack_into("<H", data, _entry_offset(2) + 64, 0xFFFF)
    elif damage == "cut_in_the_directory":
        data = data[: _entry_offset(2)]
    started = time.monotonic()
    for path in (None, tmp_path):
        kind = detect_kind(bytes(data), "Приказ.doc", path=str(write(path, data)) if path else None)
        assert kind is KINDS["doc"], damage
    assert time.monotonic() - started < 5


def test_a_compound_file_with_a_thousand_root_entries_is_read(tmp_path: Path) -> None:
    tree: dict[str, list[str] | None] = {f"Stream{i}": None for i in range(40)}
    tree["PowerPoint Document"] = None
    data = make_cfb(tree, shift=12)
    assert detect(data, "Доклад.doc", tmp_path) is KINDS["ppt"]
