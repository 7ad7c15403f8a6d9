"""Every report and table leaves the site through here, as XLSX or CSV.

Managers open these files in Excel, so two things matter beyond the data:

* Formula injection. A text cell that starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return could run as a formula when the file is opened
  (OWASP "CSV Injection"). CSV cells get a leading ``'``; XLSX cells are
  written as typed string cells with the ``quotePrefix`` style and keep their
  text unchanged. Numbers are numbers: ``-2`` given in an ``int`` column is a
  number, ``"-2"`` given as text is neutralised.
* Memory. Exports are streamed: CSV in batches of rows, XLSX through
  openpyxl's write-only mode into a temporary file that is then read out in
  chunks, so a 200,000-row register costs the same memory as a 20-row one.

Rows may be mappings (read by ``Column.key``), sequences (read by position) or
any other object (read by attribute ``Column.key``). Timestamps are stored in
UTC and shown in the display zone (Europe/Moscow unless told otherwise)::

    columns = [Column("name", "ФИО", 40), Column("hours", "Часы", 8, "int"),
               Column("issued_at", "Выдано", 18, "datetime")]
    return export_response("xlsx", "реестр-удостоверений", columns, rows)
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Response, has_request_context, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from content_store import content_disposition

Row = Mapping[str, object] | Sequence[object] | object

DISPLAY_TZ = "Europe/Moscow"
KINDS = ("text", "int", "float", "date", "datetime", "bool")
FORMATS = ("xlsx", "csv")
CSV_DELIMITERS = (";", ",", "\t")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SHEET_TITLE = "Отчёт"

# A cell starting with one of these may be taken for a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TRUE_TEXT = "да"
FALSE_TEXT = "нет"

CSV_DATE_FORMAT = "%d.%m.%Y"
CSV_DATETIME_FORMAT = "%d.%m.%Y %H:%M"
XLSX_DATE_FORMAT = "DD.MM.YYYY"
XLSX_DATETIME_FORMAT = "DD.MM.YYYY HH:MM"

CSV_BATCH_ROWS = 500
XLSX_CHUNK_BYTES = 64 * 1024
XLSX_SPOOL_BYTES = 1024 * 1024  # small workbooks never touch the disk
EXCEL_MAX_CELL_CHARS = 32767
EXCEL_MAX_SHEET_TITLE = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]\x00-\x1f]")


@dataclass(frozen=True)
class Column:
    """One column of an export.

    ``kind`` says how values are written: ``int``/``float`` as numbers,
    ``date``/``datetime`` as dates in the display zone (a datetime in a
    ``date`` column shows its local date), ``bool`` as «да»/«нет» (ints count
    by truth), ``text`` as text (numbers included). Whatever the kind,
    ``None`` is an empty cell, a ``bool`` is «да»/«нет», a date or datetime is
    a date, and a string is text.
    """

    key: str
    title: str
    width: int = 20
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {KINDS}")
        if self.width <= 0:
            raise ValueError(f"column width must be positive, got {self.width}")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could take ``text`` for a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def safe_cell(value: object) -> object:
    """``value`` made safe for a text cell: formula-like strings get a leading ``'``.

    This is the OWASP rule for CSV (and for any spreadsheet cell that cannot be
    typed as a string). Anything that is not a string is returned unchanged.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


# --- values ---------------------------------------------------------------------


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """A UTC moment as naive wall-clock time in ``zone``, to the second.

    A naive datetime is taken to be UTC: that is how the database stores them.
    Microseconds are dropped (floored), so 23:59:59.999 never rounds into the
    next day in Excel's floating-point serial dates.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _plain(value: object, kind: str, zone: tzinfo) -> object:
    """Reduce a value to None, str, int, float, Decimal, date or naive local datetime."""
    if value is None:
        return None
    if isinstance(value, bool):
        return TRUE_TEXT if value else FALSE_TEXT
    if isinstance(value, datetime):
        local = _local(value, zone)
        return local.date() if kind == "date" else local
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal):
        if kind == "bool":
            return TRUE_TEXT if value else FALSE_TEXT
        if kind == "text":
            return str(value)
        if isinstance(value, float | Decimal) and not math.isfinite(value):
            return None  # Excel cannot hold NaN or infinity
        return value
    if isinstance(value, str):
        return value
    return str(value)


def _validate_columns(columns: Sequence[Column]) -> tuple[Column, ...]:
    columns = tuple(columns)
    if not columns:
        raise ValueError("an export needs at least one column")
    for column in columns:
        if not isinstance(column, Column):
            raise TypeError(f"expected Column, got {type(column).__name__}")
    return columns


def _row_values(row: Row, columns: tuple[Column, ...]) -> list[object]:
    """The raw values of one row, in column order."""
    if isinstance(row, Mapping):
        return [row[column.key] for column in columns]
    if isinstance(row, str | bytes):
        raise TypeError("a row must be a mapping, a sequence or an object, not a string")
    if isinstance(row, Sequence):
        if len(row) != len(columns):
            raise ValueError(f"row has {len(row)} values for {len(columns)} columns")
        return list(row)
    return [getattr(row, column.key) for column in columns]


def _plain_rows(
    rows: Iterable[Row], columns: tuple[Column, ...], zone: tzinfo
) -> Iterator[list[object]]:
    kinds = [column.kind for column in columns]
    for row in rows:
        values = _row_values(row, columns)
        yield [_plain(value, kind, zone) for value, kind in zip(values, kinds, strict=True)]


# --- CSV ------------------------------------------------------------------------


def _csv_text(value: object, decimal_sep: str) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(CSV_DATE_FORMAT)
    if isinstance(value, int):
        return str(value)
    text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    return text.replace(".", decimal_sep)


def iter_csv(
    columns: Sequence[Column],
    rows: Iterable[Row],
    *,
    delimiter: str = ";",
    bom: bool = True,
    tz: str = DISPLAY_TZ,
) -> Iterator[bytes]:
    """Stream a CSV file as UTF-8 chunks: header first, then every ``CSV_BATCH_ROWS`` rows.

    ``;`` is what Russian Excel expects and goes with a decimal comma; with
    ``,`` or a tab the decimal point is ``.``. Lines end in CRLF. The BOM makes
    Excel read the file as UTF-8. Arguments are checked here, before the first
    chunk; ``rows`` is read lazily as the chunks are consumed.
    """
    columns = _validate_columns(columns)
    if delimiter not in CSV_DELIMITERS:
        raise ValueError(f"unsupported CSV delimiter {delimiter!r}; use one of {CSV_DELIMITERS}")
    return _csv_chunks(columns, rows, delimiter, bom, _zone(tz))


def _csv_chunks(
    columns: tuple[Column, ...], rows: Iterable[Row], delimiter: str, bom: bool, zone: tzinfo
) -> Iterator[bytes]:
    decimal_sep = "," if delimiter == ";" else "."
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate(0)
        return data

    if bom:
        buffer.write("\ufeff")
    writer.writerow([safe_cell(column.title) for column in columns])
    yield drain()
    pending = 0
    for values in _plain_rows(rows, columns, zone):
        writer.writerow([_csv_text(value, decimal_sep) for value in values])
        pending += 1
        if pending == CSV_BATCH_ROWS:
            yield drain()
            pending = 0
    if pending:
        yield drain()


# --- XLSX -----------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no ``\\ / * ? : [ ]``, no edge apostrophes, 31 characters."""
    cleaned = _SHEET_TITLE_FORBIDDEN.sub("_", title).strip().strip("'").strip()
    return cleaned[:EXCEL_MAX_SHEET_TITLE] or DEFAULT_SHEET_TITLE


def _xlsx_text(ws: WriteOnlyWorksheet, text: str) -> object:
    """A text cell: XML-illegal control characters dropped, formula-like text typed as string."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_MAX_CELL_CHARS]
    if not is_formula_like(text):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl would make "=…" a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _xlsx_date(ws: WriteOnlyWorksheet, value: date, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format  # set first, so openpyxl keeps it
    cell.value = value
    return cell


def _xlsx_value(ws: WriteOnlyWorksheet, value: object) -> object:
    if isinstance(value, str):
        return _xlsx_text(ws, value)
    if isinstance(value, datetime):
        return _xlsx_date(ws, value, XLSX_DATETIME_FORMAT)
    if isinstance(value, date):
        return _xlsx_date(ws, value, XLSX_DATE_FORMAT)
    return value  # None or a number


def iter_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Row],
    *,
    sheet_title: str = DEFAULT_SHEET_TITLE,
    tz: str = DISPLAY_TZ,
) -> Iterator[bytes]:
    """Stream an XLSX workbook in ``XLSX_CHUNK_BYTES`` chunks.

    One sheet: a bold header row, column widths, the header frozen, an
    autofilter over the data. The workbook is written in openpyxl's write-only
    mode to a temporary file (removed afterwards, also when the consumer stops
    early or a row fails), which is then read out. All of ``rows`` is consumed
    before the first chunk, since a ZIP cannot be sent before it is finished.
    """
    columns = _validate_columns(columns)
    return _xlsx_chunks(columns, rows, _sheet_title(sheet_title), _zone(tz))


def _xlsx_chunks(
    columns: tuple[Column, ...], rows: Iterable[Row], sheet_title: str, zone: tzinfo
) -> Iterator[bytes]:
    with tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES) as out:
        _write_workbook(out, columns, rows, sheet_title, zone)
        out.seek(0)
        while chunk := out.read(XLSX_CHUNK_BYTES):
            yield chunk


def _write_workbook(
    out: tempfile.SpooledTemporaryFile[bytes],
    columns: tuple[Column, ...],
    rows: Iterable[Row],
    sheet_title: str,
    zone: tzinfo,
) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    try:
        # Widths, panes and print titles must be set before the first row.
        for index, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"

        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", column.title))
            cell.data_type = "s"
            cell.font = bold
            cell.quotePrefix = is_formula_like(str(cell.value))
            header.append(cell)
        ws.append(header)

        count = 0
        for values in _plain_rows(rows, columns, zone):
            ws.append([_xlsx_value(ws, value) for value in values])
            count += 1
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
        wb.save(out)
    finally:
        _discard_sheet_file(ws)


def _discard_sheet_file(ws: WriteOnlyWorksheet) -> None:
    """Remove the temporary file openpyxl streams the sheet's rows into.

    A successful save removes it already; after a failure (a bad row, a full
    disk) openpyxl would leave it until the process exits.
    """
    writer = getattr(ws, "_writer", None)
    path = getattr(writer, "out", None)
    if not isinstance(path, str) or not os.path.exists(path):
        return
    with suppress(Exception):
        ws.close()  # closes the file handle openpyxl holds
    with suppress(OSError):
        os.remove(path)


# --- HTTP -----------------------------------------------------------------------


def export_response(
    fmt: str,
    filename_stem: str,
    columns: Sequence[Column],
    rows: Iterable[Row],
    *,
    delimiter: str = ";",
    tz: str = DISPLAY_TZ,
    sheet_title: str = DEFAULT_SHEET_TITLE,
) -> Response:
    """A streamed download of ``rows`` as ``<filename_stem>.xlsx`` or ``.csv``.

    ``fmt`` is ``"xlsx"`` or ``"csv"``; anything else (and any bad argument) is
    a ``ValueError`` raised here, before a response exists. Inside a request
    the body keeps the request context while it streams, so ``rows`` may be a
    lazy database result.
    """
    body: Iterator[bytes]
    if fmt == "csv":
        body = iter_csv(columns, rows, delimiter=delimiter, tz=tz)
        content_type = CSV_MIMETYPE
    elif fmt == "xlsx":
        body = iter_xlsx(columns, rows, sheet_title=sheet_title, tz=tz)
        content_type = XLSX_MIMETYPE
    else:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
    if has_request_context():
        body = stream_with_context(body)
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(f"{filename_stem}.{fmt}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
