"""Reading uploaded CSV/XLSX lists row by row, for every import with a preview.

Streamed: a 100,000-row file costs no more memory than a small one, and a file
over the row limit is refused as soon as the limit is passed.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from app.core.errors import ValidationError

SUPPORTED_EXTENSIONS = (".csv", ".xlsx")


def cell(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _csv_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1251 (Excel's Russian default)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(64 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding=_csv_encoding(path), newline="") as fh:
        first_line = fh.readline()
        delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
        fh.seek(0)
        yield from csv.reader(fh, delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise ValidationError(_("Файл не является таблицей XLSX."))
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(_("Файл XLSX повреждён или не читается.")) from exc
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [cell(v) for v in row]
    finally:
        workbook.close()


def read_table(
    path: Path, max_rows: int, header_map: Callable[[Sequence[str]], dict[str, int]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of each data row; the first non-empty row is the header."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ValidationError(_("Поддерживаются только файлы CSV и XLSX."))
    if path.stat().st_size == 0:
        raise ValidationError(_("Файл пуст."))
    reader = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    header: dict[str, int] | None = None
    count = 0
    try:
        for line, cells in enumerate(reader, start=1):
            if not any(cell(c) for c in cells):
                continue
            if header is None:
                header = header_map(cells)
                continue
            count += 1
            if count > max_rows:
                raise ValidationError(
                    _("В файле больше %(n)d строк. Разделите список на части.", n=max_rows)
                )
            yield (
                line,
                {
                    column: cell(cells[index]) if index < len(cells) else ""
                    for column, index in header.items()
                },
            )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError(_("Файл CSV не читается: %(e)s", e=str(exc))) from exc
    if header is None:
        raise ValidationError(_("Файл пуст."))


@dataclass
class Preview:
    """Rows checked before an import; each has ``action``: create, skip or error."""

    rows: list[Any]

    @property
    def to_create(self) -> list[Any]:
        return [r for r in self.rows if r.action == "create"]

    @property
    def skipped(self) -> list[Any]:
        return [r for r in self.rows if r.action == "skip"]

    @property
    def with_errors(self) -> list[Any]:
        return [r for r in self.rows if r.action == "error"]
