"""Exports to XLSX and CSV: formula injection, Cyrillic, Moscow time, numbers, streaming, memory.

Every file is read back the way a manager's Excel would see it: XLSX through
openpyxl's ``load_workbook``, CSV through the ``csv`` module after decoding
``utf-8-sig``. Plain logic: only the response tests use a (tiny, private) Flask app.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import textwrap
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask, has_request_context, request
from openpyxl import load_workbook

from app.core import exports
from app.core.exports import (
    CSV_BATCH_ROWS,
    XLSX_CHUNK_BYTES,
    Column,
    export_response,
    iter_csv,
    iter_xlsx,
    safe_cell,
)

ROOT = Path(__file__).resolve().parents[2]

INJECTIONS = ["=1+1", "+7 999", "-2", "@SUM(A1)", "\tx", "\rx"]
LAST_SECOND_OF_MARCH = datetime(2026, 3, 31, 20, 59, 59, tzinfo=UTC)  # 23:59:59 in Moscow
FIRST_SECOND_OF_APRIL = datetime(2026, 3, 31, 21, 0, 0, tzinfo=UTC)  # 00:00:00 in Moscow

COLUMNS = [
    Column("name", "ФИО педагога", 40),
    Column("school", "Образовательная организация", 30),
    Column("hours", "Часы", 8, "int"),
    Column("score", "Балл", 8, "float"),
    Column("issued", "Дата выдачи", 14, "date"),
    Column("opened_at", "Открыт", 18, "datetime"),
    Column("done", "Завершён", 10, "bool"),
    Column("note", "Примечание", 25),
]


def sample_rows() -> list[dict[str, object]]:
    return [
        {
            "name": "Иванова Мария Петровна",
            "school": "МБОУ «СОШ № 3»",
            "hours": 72,
            "score": 4.5,
            "issued": date(2026, 3, 31),
            "opened_at": LAST_SECOND_OF_MARCH,
            "done": True,
            "note": 'ёжик; «кавычки», "двойные"',
        },
        {
            "name": "Петров Пётр",
            "school": "МБДОУ «Детский сад № 7»",
            "hours": -2,
            "score": Decimal("-0.25"),
            "issued": FIRST_SECOND_OF_APRIL,  # a datetime in a date column: its Moscow date
            "opened_at": FIRST_SECOND_OF_APRIL,
            "done": False,
            "note": None,
        },
    ]


def injection_rows() -> list[dict[str, object]]:
    return [{"name": text, "note": "обычный текст"} for text in INJECTIONS]


INJECTION_COLUMNS = [Column("name", "ФИО"), Column("note", "Примечание")]


def read_csv(data: bytes, delimiter: str = ";") -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_xlsx(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))


# --- safe_cell and Column ---------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS)
def test_safe_cell_prefixes_formula_like_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Иванов", "1+1", " =1", "", "'=1", -2, 3.5, None, True])
def test_safe_cell_leaves_everything_else_alone(value):
    assert safe_cell(value) == value


def test_column_refuses_an_unknown_kind_or_width():
    with pytest.raises(ValueError, match="kind"):
        Column("x", "Икс", kind="money")
    with pytest.raises(ValueError, match="width"):
        Column("x", "Икс", width=0)


def test_bad_arguments_fail_before_any_byte():
    with pytest.raises(ValueError, match="delimiter"):
        iter_csv(COLUMNS, [], delimiter="|")
    with pytest.raises(ValueError, match="time zone"):
        iter_csv(COLUMNS, [], tz="Europe/Nowhere")
    with pytest.raises(ValueError, match="time zone"):
        iter_xlsx(COLUMNS, [], tz="Europe/Nowhere")
    with pytest.raises(ValueError, match="column"):
        iter_xlsx([], [])


# --- CSV ----------------------------------------------------------------------------


def test_csv_neutralises_formula_injection():
    data = b"".join(iter_csv(INJECTION_COLUMNS, injection_rows()))
    table = read_csv(data)
    assert table[0] == ["ФИО", "Примечание"]
    assert [row[0] for row in table[1:]] == ["'" + text for text in INJECTIONS]
    assert all(row[1] == "обычный текст" for row in table[1:])


def test_csv_is_utf8_with_bom_semicolons_and_crlf():
    data = b"".join(iter_csv(COLUMNS, sample_rows()))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 3 and data.count(b"\n") == 3
    header = data[3:].split(b"\r\n")[0].decode("utf-8")
    assert header == ";".join(column.title for column in COLUMNS)
    table = read_csv(data)
    assert table[1][0] == "Иванова Мария Петровна"
    assert table[1][1] == "МБОУ «СОШ № 3»"
    assert table[1][7] == 'ёжик; «кавычки», "двойные"'  # quoted, and survives
    assert table[2][7] == ""


def test_csv_with_commas_and_without_bom():
    data = b"".join(iter_csv(COLUMNS, sample_rows(), delimiter=",", bom=False))
    assert data.startswith("ФИО педагога,".encode())
    table = read_csv(data, delimiter=",")
    assert table[1][:4] == ["Иванова Мария Петровна", "МБОУ «СОШ № 3»", "72", "4.5"]
    assert table[2][3] == "-0.25"


def test_csv_numbers_stay_numbers_with_a_decimal_comma_for_semicolons():
    table = read_csv(b"".join(iter_csv(COLUMNS, sample_rows())))
    assert table[1][2:4] == ["72", "4,5"]
    # A negative number is a number, not text to neutralise.
    assert table[2][2:4] == ["-2", "-0,25"]


def test_csv_shows_moscow_time_bools_and_dates():
    table = read_csv(b"".join(iter_csv(COLUMNS, sample_rows())))
    assert table[1][4:7] == ["31.03.2026", "31.03.2026 23:59", "да"]
    assert table[2][4:7] == ["01.04.2026", "01.04.2026 00:00", "нет"]


def test_csv_display_zone_is_configurable():
    columns = [Column("at", "Когда", kind="datetime")]
    rows = [{"at": LAST_SECOND_OF_MARCH}]
    assert read_csv(b"".join(iter_csv(columns, rows, tz="UTC")))[1] == ["31.03.2026 20:59"]
    assert read_csv(b"".join(iter_csv(columns, rows, tz="Asia/Yekaterinburg")))[1] == [
        "01.04.2026 01:59"
    ]


def test_csv_text_column_writes_numbers_as_text_and_neutralises_them():
    columns = [Column("code", "Код")]
    table = read_csv(b"".join(iter_csv(columns, [{"code": -2}, {"code": 15}])))
    assert [row[0] for row in table[1:]] == ["'-2", "15"]


def test_csv_is_streamed_in_batches_and_reads_rows_lazily():
    consumed = 0

    def rows():
        nonlocal consumed
        for index in range(CSV_BATCH_ROWS * 2 + 1):
            consumed += 1
            yield (f"Педагог {index}", index)

    chunks = iter_csv([Column("name", "ФИО"), Column("n", "№", kind="int")], rows())
    header = next(chunks)
    assert consumed == 0
    assert header == "\ufeffФИО;№\r\n".encode()
    rest = list(chunks)
    assert len(rest) == 3
    assert rest[0].count(b"\r\n") == CSV_BATCH_ROWS
    assert rest[-1] == "Педагог 1000;1000\r\n".encode()


# --- rows of every shape ----------------------------------------------------------------


@dataclass
class Person:
    name: str
    hours: int


def test_rows_may_be_mappings_sequences_or_objects():
    columns = [Column("name", "ФИО"), Column("hours", "Часы", kind="int")]
    rows = [{"name": "Анна", "hours": 1}, ("Борис", 2), ["Вера", 3], Person("Глеб", 4)]
    table = read_csv(b"".join(iter_csv(columns, rows)))
    assert table[1:] == [["Анна", "1"], ["Борис", "2"], ["Вера", "3"], ["Глеб", "4"]]
    sheet = read_xlsx(b"".join(iter_xlsx(columns, rows))).active
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("Анна", 1),
        ("Борис", 2),
        ("Вера", 3),
        ("Глеб", 4),
    ]


def test_malformed_rows_are_refused():
    columns = [Column("name", "ФИО"), Column("hours", "Часы", kind="int")]
    with pytest.raises(ValueError, match="3 values for 2 columns"):
        b"".join(iter_csv(columns, [("Анна", 1, "лишнее")]))
    with pytest.raises(KeyError):
        b"".join(iter_csv(columns, [{"name": "Анна"}]))
    with pytest.raises(TypeError):
        b"".join(iter_xlsx(columns, ["Анна"]))


# --- XLSX -------------------------------------------------------------------------------


def test_xlsx_writes_formula_like_text_as_string_cells():
    data = b"".join(iter_xlsx(INJECTION_COLUMNS, injection_rows()))
    sheet = read_xlsx(data).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == INJECTIONS  # the original text, no quote
    assert all(cell.data_type == "s" for cell in cells)
    assert all(cell.quotePrefix for cell in cells)
    # Ordinary text needs no prefix.
    assert sheet["B2"].value == "обычный текст" and not sheet["B2"].quotePrefix


def test_xlsx_keeps_cyrillic_numbers_dates_and_bools():
    book = read_xlsx(b"".join(iter_xlsx(COLUMNS, sample_rows(), sheet_title="Реестр")))
    assert book.sheetnames == ["Реестр"]
    sheet = book.active
    assert [cell.value for cell in sheet[1]] == [column.title for column in COLUMNS]
    first, second = sheet[2], sheet[3]
    assert first[0].value == "Иванова Мария Петровна"
    assert first[1].value == "МБОУ «СОШ № 3»"
    assert first[7].value == 'ёжик; «кавычки», "двойные"'

    assert (first[2].value, first[2].data_type) == (72, "n")
    assert (first[3].value, first[3].data_type) == (4.5, "n")
    assert (second[2].value, second[2].data_type) == (-2, "n")  # a number, not neutralised
    assert (second[3].value, second[3].data_type) == (-0.25, "n")

    assert first[4].value == datetime(2026, 3, 31)
    assert first[4].number_format == "DD.MM.YYYY"
    assert first[5].value == datetime(2026, 3, 31, 23, 59, 59)  # shows 31.03.2026 23:59
    assert first[5].number_format == "DD.MM.YYYY HH:MM"
    assert second[4].value == datetime(2026, 4, 1)
    assert second[5].value == datetime(2026, 4, 1, 0, 0, 0)  # shows 01.04.2026 00:00
    assert all(cell.is_date for cell in (first[4], first[5], second[4], second[5]))

    assert (first[6].value, second[6].value) == ("да", "нет")
    assert second[7].value is None


def test_xlsx_header_is_bold_frozen_filtered_and_sized():
    book = read_xlsx(b"".join(iter_xlsx(COLUMNS, sample_rows())))
    sheet = book.active
    assert sheet.title == "Отчёт"
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H3"
    assert sheet.column_dimensions["A"].width == 40
    assert sheet.column_dimensions["C"].width == 8
    assert sheet.column_dimensions["H"].width == 25
    assert sheet.print_title_rows == "$1:$1"  # the header repeats on printed pages


def test_xlsx_of_no_rows_is_a_header():
    sheet = read_xlsx(b"".join(iter_xlsx(COLUMNS, []))).active
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:H1"


def test_xlsx_sheet_title_is_made_acceptable_to_excel():
    data = b"".join(iter_xlsx(COLUMNS, [], sheet_title="Итоги: 2025/2026 [все школы района]"))
    title = read_xlsx(data).sheetnames[0]
    assert title == "Итоги_ 2025_2026 _все школы рай"
    assert len(title) == 31


def test_xlsx_drops_characters_xml_cannot_carry():
    columns = [Column("text", "Текст")]
    sheet = read_xlsx(b"".join(iter_xlsx(columns, [{"text": "до\x01после"}, {"text": "\x02=1"}])))
    assert sheet.active["A2"].value == "допосле"
    assert (sheet.active["A3"].value, sheet.active["A3"].data_type) == ("=1", "s")


def test_xlsx_is_read_out_in_chunks_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rows = ({"name": f"Педагог {index}", "note": f"Заметка {index}"} for index in range(5000))
    chunks = list(iter_xlsx(INJECTION_COLUMNS, rows))
    assert len(chunks) > 1
    assert all(len(chunk) <= XLSX_CHUNK_BYTES for chunk in chunks)
    assert read_xlsx(b"".join(chunks)).active.max_row == 5001
    assert list(tmp_path.iterdir()) == []

    # The consumer goes away after the first chunk.
    rows = ({"name": f"Педагог {index}", "note": ""} for index in range(5000))
    stream = iter_xlsx(INJECTION_COLUMNS, rows)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


def test_xlsx_failing_row_leaves_no_temporary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def rows():
        yield {"name": "Анна", "note": ""}
        raise RuntimeError("база данных ушла")

    with pytest.raises(RuntimeError, match="база данных ушла"):
        b"".join(iter_xlsx(INJECTION_COLUMNS, rows()))
    assert list(tmp_path.iterdir()) == []


# --- memory -------------------------------------------------------------------------------

MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from datetime import UTC, date, datetime, timedelta
    from app.core.exports import Column, iter_csv, iter_xlsx

    COLUMNS = [
        Column("a", "ФИО", 30), Column("b", "Школа"), Column("c", "Часы", 8, "int"),
        Column("d", "Балл", 8, "float"), Column("e", "Дата", 12, "date"),
        Column("f", "Время", 18, "datetime"), Column("g", "Сдан", 6, "bool"),
        Column("h", "Примечание"),
    ]
    START = datetime(2026, 1, 1, tzinfo=UTC)

    def rows(count):
        for i in range(count):
            yield {
                "a": f"Иванова Мария Петровна {i}", "b": f"МБОУ «СОШ № {i % 50}»",
                "c": i, "d": i / 7, "e": date(2026, 3, 1), "f": START + timedelta(minutes=i),
                "g": i % 2 == 0, "h": "=1+1" if i % 10 == 0 else "обычная заметка",
            }

    def export(function, count):
        return sum(len(chunk) for chunk in function(COLUMNS, rows(count)))

    def peak_kib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    export(iter_xlsx, 1000)  # warm up: imports, caches, the first temporary files
    export(iter_csv, 1000)
    before = peak_kib()
    size = export(iter_xlsx, int(sys.argv[1])) + export(iter_csv, int(sys.argv[1]))
    print(peak_kib() - before, size)
    """
)


@pytest.mark.slow
def test_large_export_keeps_memory_flat():
    """50,000 rows × 8 columns in both formats: the peak RSS barely moves.

    The budget is 100 MB for 200,000 rows, so 25 MB for these 50,000; a
    streamed export needs a few MB, a workbook built in memory needs ~180 MB.
    Measured in a fresh process, where ``ru_maxrss`` is not some earlier
    test's high-water mark.
    """
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, "50000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    growth_kib, size = map(int, result.stdout.split())
    assert size > 5_000_000  # the export really happened
    assert growth_kib < 25 * 1024, f"peak RSS grew by {growth_kib / 1024:.1f} MB"


# --- the HTTP response --------------------------------------------------------------------


@pytest.fixture
def export_app() -> Flask:
    """A tiny app of its own: the response needs nothing of the platform."""
    app = Flask(__name__)

    @app.get("/export/<fmt>")
    def export(fmt: str):  # type: ignore[no-untyped-def]
        def rows():
            # Rows are read while the body streams, still inside the request.
            assert has_request_context() and request.path == f"/export/{fmt}"
            yield from sample_rows()

        delimiter = request.args.get("delimiter", ";")
        response = export_response(
            fmt, "Реестр удостоверений", COLUMNS, rows(), delimiter=delimiter
        )
        assert response.is_streamed
        return response

    return app


def test_xlsx_response(export_app):
    response = export_app.test_client().get("/export/xlsx", buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    encoded = urllib.parse.quote("Реестр удостоверений.xlsx", safe="")
    assert f"filename*=UTF-8''{encoded}" in disposition
    ascii_name = disposition.split('filename="')[1].split('"')[0]
    assert ascii_name.isascii() and ascii_name.endswith(".xlsx")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    sheet = read_xlsx(response.data).active
    assert sheet["A2"].value == "Иванова Мария Петровна"
    assert sheet["F3"].value == datetime(2026, 4, 1, 0, 0)


def test_csv_response(export_app):
    response = export_app.test_client().get("/export/csv?delimiter=,", buffered=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    encoded = urllib.parse.quote("Реестр удостоверений.csv", safe="")
    assert f"filename*=UTF-8''{encoded}" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = read_csv(response.data, delimiter=",")
    assert table[1][5] == "31.03.2026 23:59"
    assert table[2][5] == "01.04.2026 00:00"


def test_response_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="format"):
        export_response("pdf", "отчёт", COLUMNS, [])
    with pytest.raises(ValueError, match="format"):
        export_response("XLSX ", "отчёт", COLUMNS, [])


def test_response_outside_a_request_streams_too():
    response = export_response("csv", "отчёт", COLUMNS, sample_rows())
    assert response.is_streamed
    assert read_csv(b"".join(response.response))[1][0] == "Иванова Мария Петровна"  # type: ignore[arg-type]
    assert exports.FORMATS == ("xlsx", "csv")
