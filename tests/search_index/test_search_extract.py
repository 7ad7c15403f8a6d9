"""Text extraction: every supported format, and files built to hurt."""

from __future__ import annotations

import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from search_files import (
    BILLION_LAUGHS,
    RUSSIAN_TEXT,
    make_docx,
    make_odp,
    make_ods,
    make_odt,
    make_pdf,
    make_pptx,
    make_xlsx,
    rtf_cp1251,
    word97,
    zip_with,
)

import search_index.extract as extract_module
from search_index import ExtractionLimits, extract_text
from search_index.extract import common
from tests.support.environment import require_tool

PARAGRAPHS = [RUSSIAN_TEXT, "Второй абзац: ёлка и ребёнок."]
#: A hostile file must be dealt with well within the default 30 s wall limit.
HOSTILE_SECONDS = 10.0


def timed(path: Path, kind: str, limits: ExtractionLimits | None = None) -> tuple[object, float]:
    started = time.monotonic()
    result = extract_text(str(path), kind, limits)
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("kind", "build"),
    [
        ("pdf", lambda p: make_pdf(p, PARAGRAPHS)),
        ("docx", lambda p: make_docx(p, PARAGRAPHS)),
        ("pptx", lambda p: make_pptx(p, PARAGRAPHS)),
        ("odt", lambda p: make_odt(p, PARAGRAPHS)),
        ("odp", lambda p: make_odp(p, PARAGRAPHS)),
    ],
)
def test_documents_yield_russian_text(tmp_path: Path, kind: str, build: Callable) -> None:
    path = build(tmp_path / f"doc.{kind}")
    result = extract_text(str(path), kind)
    assert result.status == "full", result.reason
    assert result.reason is None
    assert "Методические рекомендации для учителей" in result.text
    assert "ёлка и ребёнок" in result.text
    assert "ФГОС" in result.text


def test_docx_tables_are_extracted(tmp_path: Path) -> None:
    result = extract_text(str(make_docx(tmp_path / "t.docx", PARAGRAPHS)), "docx")
    assert "Ячейка таблицы" in result.text


def test_pptx_slides_keep_presentation_order(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "s.pptx", ["первый", "второй", "третий"])
    text = extract_text(str(path), "pptx").text
    assert text.index("первый") < text.index("второй") < text.index("третий")


def test_spreadsheets(tmp_path: Path) -> None:
    xlsx = make_xlsx(
        tmp_path / "a.xlsx", [["Предмет", "Часы"], ["Математика", 5], ["Русский язык", 4.5]]
    )
    result = extract_text(str(xlsx), "xlsx")
    assert result.status == "full"
    assert "Журнал" in result.text
    assert "Математика\t5" in result.text
    assert "Русский язык\t4.5" in result.text

    ods = make_ods(tmp_path / "a.ods", [["Предмет", "Часы"], ["Литература", "3"]])
    result = extract_text(str(ods), "ods")
    assert result.status == "full"
    assert "Литература" in result.text


def test_rtf_with_cp1251_escapes_and_unicode(write_file: Callable) -> None:
    result = extract_text(str(write_file("a.rtf", rtf_cp1251(RUSSIAN_TEXT))), "rtf")
    assert result.status == "full"
    assert RUSSIAN_TEXT in result.text
    assert "Ёлка" in result.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8-r"])
def test_txt_encodings(write_file: Callable, encoding: str) -> None:
    result = extract_text(str(write_file("a.txt", RUSSIAN_TEXT.encode(encoding))), "txt")
    assert result.status == "full"
    assert result.text == RUSSIAN_TEXT


def test_txt_short_koi8_and_cp1251_are_told_apart(write_file: Callable) -> None:
    for encoding in ("koi8-r", "cp1251"):
        text = "Привет, мир! Урок окончен."
        result = extract_text(str(write_file(f"{encoding}.txt", text.encode(encoding))), "txt")
        assert result.text == text, encoding


def test_doc_through_antiword_or_catdoc(write_file: Callable) -> None:
    require_tool("antiword", "catdoc")
    result = extract_text(str(write_file("a.doc", word97(RUSSIAN_TEXT))), "doc")
    assert result.status == "full", result.reason
    assert "Методические рекомендации" in " ".join(result.text.split())


def test_doc_without_tools_reports_missing_tool(
    write_file: Callable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = extract_text(str(write_file("a.doc", word97(RUSSIAN_TEXT))), "doc")
    assert result == common.ExtractionResult("", "failed", common.TOOL_MISSING)


def test_unsupported_and_missing(tmp_path: Path, write_file: Callable) -> None:
    exe = write_file("a.exe", b"MZ\x90\x00")
    assert extract_text(str(exe), "exe") == common.ExtractionResult(
        "", "failed", "формат не поддерживает извлечение текста"
    )
    assert extract_text(str(tmp_path / "absent.pdf"), "pdf").reason == common.NOT_FOUND


def test_character_limit_gives_partial_text(write_file: Callable) -> None:
    path = write_file("long.txt", ("слово " * 10_000).encode("utf-8"))
    result = extract_text(str(path), "txt", ExtractionLimits(max_chars=1000))
    assert result.status == "partial"
    assert result.reason == "превышен лимит символов — текст извлечён частично"
    assert len(result.text) == 1000


def test_file_size_limit(write_file: Callable) -> None:
    path = write_file("big.txt", b"a" * 5000)
    result = extract_text(str(path), "txt", ExtractionLimits(max_file_bytes=1000))
    assert result.status == "failed"
    assert result.reason == common.FILE_TOO_BIG


# -- the hostile set ------------------------------------------------------------


def _bomb(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return path


@pytest.mark.slow
def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.docx", 256 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    result, elapsed = timed(path, "docx")
    assert result.status == "failed"
    assert result.reason == "архив слишком большой после распаковки"
    assert elapsed < 3.0


def test_zip_entry_with_extreme_ratio_is_refused(tmp_path: Path) -> None:
    result, elapsed = timed(_bomb(tmp_path / "ratio.docx", 20 * 1024 * 1024), "docx")
    assert result.status == "failed"
    assert result.reason == common.ARCHIVE_RATIO
    assert elapsed < HOSTILE_SECONDS


def test_too_many_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.odt"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(50):
            archive.writestr(f"f{i}.xml", "<a/>")
    result = extract_text(str(path), "odt", ExtractionLimits(max_entries=20))
    assert result.reason == common.ARCHIVE_TOO_MANY


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_xml_entity_bomb(tmp_path: Path, kind: str) -> None:
    if kind == "docx":
        base = make_docx(tmp_path / "base.docx", PARAGRAPHS).read_bytes()
        member = "word/document.xml"
    else:
        base = make_odt(tmp_path / "base.odt", PARAGRAPHS).read_bytes()
        member = "content.xml"
    path = tmp_path / f"laughs.{kind}"
    path.write_bytes(zip_with(base, {member: BILLION_LAUGHS}))
    result, elapsed = timed(path, kind)
    assert result.status == "failed"
    assert result.reason == "файл содержит недопустимые XML-конструкции"
    assert elapsed < HOSTILE_SECONDS


def test_external_entity_is_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("СЕКРЕТ")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    base = make_docx(tmp_path / "base.docx", PARAGRAPHS).read_bytes()
    path = tmp_path / "xxe.docx"
    path.write_bytes(zip_with(base, {"word/document.xml": xxe}))
    result = extract_text(str(path), "docx")
    assert result.status == "failed"
    assert "СЕКРЕТ" not in result.text


def test_path_traversal_entries(tmp_path: Path) -> None:
    base = make_docx(tmp_path / "base.docx", PARAGRAPHS).read_bytes()
    for evil in ("../../etc/evil.xml", "/abs/evil.xml", "C:/evil.xml"):
        path = tmp_path / "evil.docx"
        path.write_bytes(zip_with(base, {}, {evil: b"<a/>"}))
        result, elapsed = timed(path, "docx")
        assert result.status == "failed", evil
        assert result.reason == "недопустимые имена файлов в архиве"
        assert elapsed < HOSTILE_SECONDS


PDF_LOOP = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox [0 0 100 100] >> endobj
4 0 obj << /Length 4 0 R >> stream
BT ET
endstream endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def test_pdf_reference_loop(write_file: Callable) -> None:
    result, elapsed = timed(write_file("loop.pdf", PDF_LOOP), "pdf")
    assert result.status in ("failed", "partial")
    assert result.reason
    assert elapsed < HOSTILE_SECONDS


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(tmp_path / "plain.pdf", PARAGRAPHS)
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="секрет", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    result, elapsed = timed(path, "pdf")
    assert result == common.ExtractionResult("", "failed", "документ зашифрован")
    assert elapsed < HOSTILE_SECONDS


def test_pdf_with_5000_pages_stops_at_page_limit(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(5000):
        writer.add_blank_page(200, 200)
    path = tmp_path / "pages.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    result, elapsed = timed(path, "pdf")
    assert result.status == "partial"
    assert result.reason == "превышен лимит страниц — текст извлечён частично"
    assert elapsed < HOSTILE_SECONDS


def _slow_pdf(tmp_path: Path) -> Path:
    """1,900 pages of Russian text: about 10 s to extract in full."""
    from pypdf import PdfReader, PdfWriter

    page = PdfReader(make_pdf(tmp_path / "one.pdf", [RUSSIAN_TEXT * 8])).pages[0]
    writer = PdfWriter()
    for _ in range(1900):
        writer.add_page(page)
    path = tmp_path / "slow.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def test_slow_extraction_stops_in_time_with_partial_text(tmp_path: Path) -> None:
    path = _slow_pdf(tmp_path)
    # All 1,900 pages take about 10 s; the child stops at 80% of the wall
    # limit counted from the parent's call, so even a start slowed by a
    # loaded machine leaves it time to hand back what it has.
    result, elapsed = timed(path, "pdf", ExtractionLimits(wall_seconds=3))
    assert result.status == "partial"
    assert result.reason == "превышен лимит времени — текст извлечён частично"
    assert "Методические рекомендации" in result.text
    # The parent kills at 3 s; a second more is scheduling on a busy machine.
    assert elapsed < 4.0


def test_the_child_counts_its_budget_from_the_parents_call(tmp_path: Path) -> None:
    import search_index.extract.pdf  # noqa: F401  (imported here, not on the clock)
    from search_index.extract import worker

    path = _slow_pdf(tmp_path)
    limits = ExtractionLimits(wall_seconds=10, cpu_seconds=10)
    # The parent called 6.5 s ago (a slow start): of its 8 s budget, 1.5 s is
    # left, against the 8 s the child would allow itself counting from now.
    started = time.monotonic()
    result = worker.run(str(path), "pdf", limits, started=started - 6.5)
    assert result.status == "partial"
    assert result.reason == "превышен лимит времени — текст извлечён частично"
    assert time.monotonic() - started < 5.0


def test_presentation_page_limit(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "s.pptx", [f"слайд номер {i}" for i in range(5)])
    result = extract_text(str(path), "pptx", ExtractionLimits(max_pages=2))
    assert result.status == "partial"
    assert result.reason == common.TOO_MANY_PAGES
    assert "слайд номер 1" in result.text
    assert "слайд номер 4" not in result.text


@pytest.mark.parametrize("kind", ["docx", "pdf", "xlsx", "odt", "pptx"])
def test_truncated_files(tmp_path: Path, kind: str) -> None:
    builders = {
        "docx": lambda p: make_docx(p, PARAGRAPHS * 50),
        "pdf": lambda p: make_pdf(p, PARAGRAPHS * 5),
        "xlsx": lambda p: make_xlsx(p, [["Урок", i] for i in range(200)]),
        "odt": lambda p: make_odt(p, PARAGRAPHS * 50),
        "pptx": lambda p: make_pptx(p, PARAGRAPHS * 3),
    }
    whole = builders[kind](tmp_path / f"whole.{kind}").read_bytes()
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(whole[: len(whole) // 2])
    result, elapsed = timed(path, kind)
    assert result.status in ("failed", "partial")
    assert result.reason
    assert elapsed < HOSTILE_SECONDS


def test_binary_garbage_as_text_and_office_formats(write_file: Callable) -> None:
    garbage = bytes(range(256)) * 64
    for kind in ("txt", "docx", "pdf", "rtf", "doc", "ods"):
        result = extract_text(str(write_file(f"g.{kind}", garbage)), kind)
        assert result.status == "failed", kind
        assert result.reason, kind


def test_password_protected_office_file(write_file: Callable) -> None:
    # Office encrypts OOXML by wrapping it in an OLE file with this stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le")
    result = extract_text(str(write_file("locked.docx", ole)), "docx")
    assert result == common.ExtractionResult("", "failed", "документ зашифрован")


# -- the child process -------------------------------------------------------------


def test_hung_child_is_killed_at_wall_limit(
    write_file: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        extract_module,
        "worker_command",
        lambda: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    started = time.monotonic()
    result = extract_text(str(write_file("a.txt", b"x")), "txt", ExtractionLimits(wall_seconds=1))
    assert result == common.ExtractionResult("", "failed", "превышен лимит времени")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import os; os.abort()", common.CRASHED),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", common.CPU_TIMEOUT),
        ("import sys; sys.stdout.write('not json')", common.CRASHED),
        ("raise MemoryError", common.CRASHED),
    ],
)
def test_crashed_child_is_a_failed_result(
    write_file: Callable, monkeypatch: pytest.MonkeyPatch, code: str, reason: str
) -> None:
    monkeypatch.setattr(extract_module, "worker_command", lambda: [sys.executable, "-c", code])
    result = extract_text(str(write_file("a.txt", b"x")), "txt")
    assert result.status == "failed"
    assert result.reason == reason


def test_cpu_limit_in_child(write_file: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    spin = "import resource; resource.setrlimit(resource.RLIMIT_CPU, (1, 2))\nwhile True: pass"
    monkeypatch.setattr(extract_module, "worker_command", lambda: [sys.executable, "-c", spin])
    result = extract_text(str(write_file("a.txt", b"x")), "txt", ExtractionLimits(wall_seconds=10))
    assert result.reason == "превышен лимит процессорного времени"


def test_memory_limit_in_real_worker(write_file: Callable) -> None:
    # 40 MB of text needs well over 160 MB once decoded; the child's address
    # space limit turns that into a MemoryError it reports.
    path = write_file("huge.txt", ("учитель " * 3_000_000).encode("utf-8"))
    result = extract_text(
        str(path), "txt", ExtractionLimits(memory_bytes=160 * 1024 * 1024, max_chars=50_000_000)
    )
    assert result.status == "failed"
    assert result.reason == "превышен лимит памяти"


def test_worker_output_is_json_roundtrip_for_odd_text(write_file: Callable) -> None:
    text = 'Кавычки " и \\ обратная черта, эмодзи 🙂, табуляция\tи перевод\nстроки'
    result = extract_text(str(write_file("odd.txt", text.encode("utf-8"))), "txt")
    assert result.text == text
