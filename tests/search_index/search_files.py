"""Test documents generated on the fly for the search_index tests.

Every file format is produced by its usual writer library (or by hand where
none exists offline, like Word 97), so no binaries live in the repository.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

RUSSIAN_TEXT = (
    "Методические рекомендации для учителей начальных классов. "
    "Дети изучают математику и русский язык по ФГОС."
)

# -- Word 97 (.doc) -----------------------------------------------------------
# LibreOffice is not available offline, so a minimal Word 97 file is written
# by hand: an OLE compound file holding a WordDocument stream (FIB + UTF-16
# text) and a 1Table stream (stylesheet, font table and the piece table).

_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_SECTOR = 512


def _compound_file(streams: dict[str, bytes]) -> bytes:
    names = list(streams)
    counts = [(len(streams[name]) + _SECTOR - 1) // _SECTOR for name in names]
    fat_sectors = 1
    while fat_sectors + 1 + sum(counts) > fat_sectors * 128:
        fat_sectors += 1
    fat = [_FATSECT] * fat_sectors
    directory_start = len(fat)
    fat.append(_ENDOFCHAIN)
    starts = []
    for count in counts:
        start = len(fat)
        starts.append(start)
        fat.extend(start + i + 1 if i < count - 1 else _ENDOFCHAIN for i in range(count))
    fat.extend([_FREESECT] * (fat_sectors * 128 - len(fat)))

    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into(
        "<IIIIIIII",
        header,
        40,
        0,
        fat_sectors,
        directory_start,
        0,
        4096,
        _ENDOFCHAIN,
        0,
        _ENDOFCHAIN,
    )
    struct.pack_into(
        "<109I", header, 76, *(list(range(fat_sectors)) + [_FREESECT] * (109 - fat_sectors))
    )

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        record = bytearray(128)
        record[: len(raw)] = raw
        struct.pack_into("<HBB", record, 64, len(raw), kind, 1)
        struct.pack_into("<III", record, 68, _NOSTREAM, right, child)
        struct.pack_into("<II", record, 116, start, size)
        return bytes(record)

    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    entries = [b""] * (len(names) + 1)
    entries[0] = entry("Root Entry", 5, order[0] + 1, _NOSTREAM, _ENDOFCHAIN, 0)
    for pos, i in enumerate(order):
        right = order[pos + 1] + 1 if pos + 1 < len(order) else _NOSTREAM
        entries[i + 1] = entry(names[i], 2, _NOSTREAM, right, starts[i], len(streams[names[i]]))
    entries += [entry("", 0, _NOSTREAM, _NOSTREAM, 0, 0)] * (4 - len(entries))
    out = bytearray(header) + struct.pack(f"<{len(fat)}I", *fat) + b"".join(entries)
    for name, count in zip(names, counts, strict=True):
        out += streams[name] + bytes(count * _SECTOR - len(streams[name]))
    return bytes(out)


def word97(text: str) -> bytes:
    body = (text.replace("\n", "\r") + "\r").encode("utf-16-le")
    chars = len(body) // 2
    text_at = 0x800
    word = bytearray(max(4096, text_at + len(body)))
    word[text_at : text_at + len(body)] = body
    table = bytearray()
    pairs = [(0, 0)] * 93

    stshi = struct.pack("<7H3H", 1, 10, 1, 0, 0, 0, 0, 0, 0, 0)
    std = struct.pack("<5H", 0, 0x11, 0, 0, 0) + struct.pack("<H", 6)
    std += "Normal".encode("utf-16-le") + b"\0\0"
    stsh = struct.pack("<H", len(stshi)) + stshi + struct.pack("<H", len(std)) + std
    pairs[1] = (len(table), len(stsh))
    table += stsh

    font = bytes([0, 0x26]) + struct.pack("<H", 400) + bytes(37) + "Arial".encode("utf-16-le")
    font += b"\0\0"
    font = bytes([len(font) - 1]) + font[1:]
    fonts = struct.pack("<HH", 1, 0) + font
    pairs[15] = (len(table), len(fonts))
    table += fonts

    clx = (
        struct.pack("<BI", 2, 16)
        + struct.pack("<II", 0, chars)
        + struct.pack("<HIH", 0, text_at, 0)
    )
    pairs[33] = (len(table), len(clx))
    table += clx
    table += bytes(max(0, 4096 - len(table)))

    fib = struct.pack("<6H", 0xA5EC, 0x00C1, 0, 0x0419, 0, (1 << 9) | (1 << 12))
    fib += struct.pack("<HIBBHHII", 0x00BF, 0, 0, 0, 0, 0, text_at, text_at + len(body))
    fib += struct.pack("<H", 14) + bytes(28)
    longs = [0] * 22
    longs[0], longs[3] = len(word), chars
    fib += struct.pack("<H", 22) + struct.pack("<22i", *longs)
    fib += struct.pack("<H", 93) + b"".join(struct.pack("<II", *pair) for pair in pairs)
    fib += struct.pack("<H", 0)
    word[: len(fib)] = fib
    return _compound_file({"WordDocument": bytes(word), "1Table": bytes(table)})


# -- other formats ---------------------------------------------------------------


def opensans_path() -> str:
    import ttf_opensans

    return str(Path(ttf_opensans.__file__).parent / "ttf" / "OpenSans-Regular.ttf")


def make_pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("OpenSans", fname=opensans_path())
    pdf.set_font("OpenSans", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Ячейка таблицы"
    table.cell(0, 1).text = "второй столбец"
    document.save(str(path))
    return path


def make_pptx(path: Path, slides: list[str]) -> Path:
    from pptx import Presentation

    presentation = Presentation()
    layout = presentation.slide_layouts[1]
    for number, text in enumerate(slides, 1):
        slide = presentation.slides.add_slide(layout)
        slide.shapes.title.text = f"Слайд {number}"
        slide.placeholders[1].text = text
    presentation.save(str(path))
    return path


def make_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Журнал"
    for row in rows:
        sheet.append(row)
    workbook.save(str(path))
    workbook.close()
    return path


def make_odt(path: Path, paragraphs: list[str]) -> Path:
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.text.addElement(odf_text.H(outlinelevel=1, text="Заголовок документа"))
    for paragraph in paragraphs:
        document.text.addElement(odf_text.P(text=paragraph))
    document.save(str(path))
    return path


def make_odp(path: Path, slides: list[str]) -> Path:
    from odf import draw, style
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentPresentation

    document = OpenDocumentPresentation()
    layout = style.PageLayout(name="layout")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="master", pagelayoutname=layout)
    document.masterstyles.addElement(master)
    for number, text in enumerate(slides, 1):
        page = draw.Page(name=f"page{number}", masterpagename=master)
        frame = draw.Frame(width="20cm", height="10cm", x="1cm", y="1cm")
        box = draw.TextBox()
        box.addElement(odf_text.P(text=text))
        frame.addElement(box)
        page.addElement(frame)
        document.presentation.addElement(page)
    document.save(str(path))
    return path


def make_ods(path: Path, rows: list[list[str]]) -> Path:
    from odf import table
    from odf import text as odf_text
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    sheet = table.Table(name="Лист1")
    for row in rows:
        table_row = table.TableRow()
        for value in row:
            cell = table.TableCell(valuetype="string")
            cell.addElement(odf_text.P(text=value))
            table_row.addElement(cell)
        sheet.addElement(table_row)
    document.spreadsheet.addElement(sheet)
    document.save(str(path))
    return path


def rtf_cp1251(text: str) -> bytes:
    """RTF with the text as cp1251 \\'xx escapes, plus one \\u-coded word."""
    escaped = "".join(
        f"\\'{byte:02x}" if byte >= 0x80 else chr(byte) for byte in text.encode("cp1251")
    )
    unicode_word = "".join(f"\\u{ord(ch)}?" for ch in "Ёлка")
    return (
        "{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0\\fcharset204 Times New Roman;}}"
        f"\\f0 {escaped}\\par {unicode_word}\\par}}"
    ).encode("ascii")


def zip_with(
    base: bytes, replace: dict[str, bytes], extra: dict[str, bytes] | None = None
) -> bytes:
    """A copy of a ZIP package with some members replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = replace.get(info.filename, source.read(info.filename))
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>
"""
