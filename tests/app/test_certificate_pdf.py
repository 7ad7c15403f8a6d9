"""The certificate PDF: its text, its QR code, its layout with long texts, and the Russian forms.

Plain logic: nothing here needs the Flask app. The QR code is decoded with zxing-cpp, both
from the image embedded in the PDF and, where poppler's pdftoppm is installed, from the
rendered page as a phone would see it.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app.courses import certificate_pdf
from app.courses.certificate_pdf import (
    CertificateData,
    hours_phrase,
    render_certificate,
    russian_date,
)
from tests.support.environment import require_tool

MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MM = 72 / 25.4  # PDF points in a millimetre
PAGE_H_PT = 210 * MM
VERIFY_URL = "http://127.0.0.1:5000/verify/%D0%9E%D0%9C%D0%A1-2026-00042"

LONG_TITLE = (
    "Проектирование и реализация рабочих программ по учебным предметам в условиях перехода "
    "на обновлённые ФГОС и ФОП: методические, организационные и цифровые аспекты работы "
    "учителя в 2025/2026 учебном году"
)[:200]
LONG_ORGANIZATION = (
    "Муниципальное автономное общеобразовательное учреждение «Средняя общеобразовательная "
    "школа № 12 с углублённым изучением отдельных предметов имени Героя Советского Союза "
    "И. И. Иванова» Заречного муниципального округа Энской области"
)
LONG_ISSUER = (
    "Муниципальное казённое учреждение «Информационно-методический центр» Управления "
    "образования Администрации Заречного муниципального округа Энской области — Отдел "
    "методического сопровождения и ресурсный центр дистанционного обучения"
)


def certificate(**changes: object) -> CertificateData:
    data = CertificateData(
        number="ОМС-2026-00042",
        document_type="qualification",
        full_name="Иванова Мария Петровна",
        organization="МБОУ «Средняя общеобразовательная школа № 3 г. Заречного»",
        course_title="Формирование функциональной грамотности на уроках математики в 5–9 классах",
        hours=72,
        started_on=date(2026, 1, 12),
        completed_on=date(2026, 3, 20),
        issued_on=date(2026, 3, 25),
        issuer="Отдел методического сопровождения Управления образования "
        "Заречного муниципального округа",
        city="г. Заречный",
        verify_url=VERIFY_URL,
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def only_page(pdf: bytes):  # type: ignore[no-untyped-def]
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def words(pdf: bytes) -> str:
    """The page's text with every run of whitespace (line breaks included) made one space."""
    return " ".join(only_page(pdf).extract_text().split())


def squeezed(text: str) -> str:
    return "".join(text.split())


def decode_qr(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


# --- the Russian forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "phrase"),
    [
        (0, "0 академических часов"),
        (1, "1 академический час"),
        (2, "2 академических часа"),
        (4, "4 академических часа"),
        (5, "5 академических часов"),
        (11, "11 академических часов"),
        (12, "12 академических часов"),
        (14, "14 академических часов"),
        (21, "21 академический час"),
        (22, "22 академических часа"),
        (25, "25 академических часов"),
        (72, "72 академических часа"),
        (101, "101 академический час"),
        (111, "111 академических часов"),
        (112, "112 академических часов"),
        (144, "144 академических часа"),
    ],
)
def test_hours_phrase_agrees_with_the_number(hours: int, phrase: str) -> None:
    assert hours_phrase(hours) == phrase


def test_hours_phrase_refuses_negative_hours() -> None:
    with pytest.raises(ValueError):
        hours_phrase(-1)


@pytest.mark.parametrize(("month", "name"), list(enumerate(MONTHS, start=1)))
def test_russian_date_names_every_month_in_the_genitive(month: int, name: str) -> None:
    assert russian_date(date(2026, month, 12)) == f"12 {name} 2026 г."


def test_russian_date_does_not_pad_the_day() -> None:
    assert russian_date(date(2025, 9, 1)) == "1 сентября 2025 г."


# --- what the document says -------------------------------------------------------------------


def test_qualification_certificate_states_everything() -> None:
    data = certificate()
    text = words(render_certificate(data))

    for expected in (
        "УДОСТОВЕРЕНИЕ",
        "о повышении квалификации",
        "Настоящее удостоверение подтверждает, что",
        "Иванова Мария Петровна",
        "МБОУ «Средняя общеобразовательная школа № 3 г. Заречного»",
        "освоил(а) дополнительную профессиональную программу повышения квалификации",
        "«Формирование функциональной грамотности на уроках математики в 5–9 классах»",
        "Объём: 72 академических часа",
        "Сроки обучения: с 12 января 2026 г. по 20 марта 2026 г.",
        "№ ОМС-2026-00042",
        "Регистрационный номер ОМС-2026-00042",
        "Дата выдачи 25 марта 2026 г.",
        "г. Заречный",
        "Отдел методического сопровождения Управления образования Заречного муниципального округа",
        "Проверить подлинность:",
        "Руководитель",
    ):
        assert expected in text, expected
    assert VERIFY_URL in squeezed(text)
    assert "ДУБЛИКАТ" not in text
    assert "СЕРТИФИКАТ" not in text


def test_participation_certificate_uses_its_own_wording() -> None:
    text = words(render_certificate(certificate(document_type="participation", hours=8)))

    assert "СЕРТИФИКАТ участника" in text
    assert "Настоящий сертификат подтверждает, что" in text
    assert "принял(а) участие в обучении по программе" in text
    assert "Объём: 8 академических часов" in text
    assert "Сроки проведения: с 12 января 2026 г. по 20 марта 2026 г." in text
    assert "УДОСТОВЕРЕНИЕ" not in text
    assert "повышения квалификации" not in text


def test_without_a_start_date_only_the_completion_date_is_given() -> None:
    text = words(render_certificate(certificate(started_on=None, hours=1)))

    assert "Объём: 1 академический час" in text
    assert "Дата завершения: 20 марта 2026 г." in text
    assert "Сроки" not in text
    assert "12 января" not in text


def test_a_one_day_course_gives_one_date() -> None:
    one_day = date(2026, 3, 20)
    text = words(render_certificate(certificate(started_on=one_day, document_type="participation")))

    assert "Дата проведения: 20 марта 2026 г." in text
    assert " с 20 марта" not in text


def test_a_duplicate_is_marked() -> None:
    text = words(render_certificate(certificate(duplicate=True)))

    assert "ДУБЛИКАТ" in text
    assert "Иванова Мария Петровна" in text


def test_empty_organization_is_left_out() -> None:
    text = words(render_certificate(certificate(organization="")))

    assert "Иванова Мария Петровна освоил(а)" in text


def test_issuer_and_city_may_be_left_unset() -> None:
    text = words(render_certificate(certificate(issuer="", city="")))

    assert text.startswith("УДОСТОВЕРЕНИЕ о повышении квалификации")
    assert "г. Заречный" not in text
    assert "Иванова Мария Петровна" in text


def test_document_metadata_names_the_certificate() -> None:
    reader = PdfReader(io.BytesIO(render_certificate(certificate())))

    assert reader.metadata is not None
    assert reader.metadata.title == "Удостоверение № ОМС-2026-00042"
    assert reader.metadata["/CreationDate"].startswith("D:20260325")


@pytest.mark.parametrize(
    "changes",
    [
        {"document_type": "diploma"},
        {"started_on": date(2026, 3, 21)},
        {"full_name": "  "},
        {"verify_url": ""},
    ],
)
def test_inconsistent_data_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_certificate(certificate(**changes))


# --- the QR code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [VERIFY_URL, "https://metodcabinet.example.ru/verify/ОМС-2026-00042"],
    ids=["percent-encoded", "cyrillic"],
)
def test_qr_code_in_the_pdf_decodes_to_the_verify_url(url: str) -> None:
    page = only_page(render_certificate(certificate(verify_url=url)))

    [embedded] = page.images
    [result] = decode_qr(embedded.image)
    assert result.text == url
    assert result.ec_level == "M"


def test_qr_code_is_about_35_mm_wide() -> None:
    page = only_page(render_certificate(certificate()))

    operations = ContentStream(page.get_contents(), page.pdf).operations
    draws = [i for i, (_, operator) in enumerate(operations) if operator == b"Do"]
    assert len(draws) == 1
    operands, operator = operations[draws[0] - 1]
    assert operator == b"cm"
    width, height = float(operands[0]) / MM, float(operands[3]) / MM
    assert 33 <= width <= 37
    assert width == pytest.approx(height)


def test_qr_code_reads_from_the_printed_page(tmp_path: Path) -> None:
    require_tool("pdftoppm")
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(certificate(duplicate=True)))

    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", pdf, tmp_path / "page"],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as page:
        assert page.width > page.height  # landscape
        results = decode_qr(page)
    assert [r.text for r in results] == [VERIFY_URL]


# --- the layout ---------------------------------------------------------------------------------


def text_runs(pdf: bytes) -> list[tuple[str, float, float]]:
    """Every piece of text with where it starts: (text, x, y), in points from the bottom left."""
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):  # type: ignore[no-untyped-def]
        if text.strip():
            runs.append((text.strip(), cm[4] + tm[4], cm[5] + tm[5]))

    only_page(pdf).extract_text(visitor_text=visit)
    return runs


def test_page_is_a4_landscape_small_and_reproducible() -> None:
    data = certificate(duplicate=True)
    pdf = render_certificate(data)

    box = only_page(pdf).mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert len(pdf) < 200_000
    assert render_certificate(data) == pdf


def test_long_texts_wrap_and_stay_above_the_signature_band() -> None:
    data = certificate(
        full_name="Константинопольская-Задунайская Александра Вячеславовна",
        organization=LONG_ORGANIZATION,
        course_title=LONG_TITLE,
        issuer=LONG_ISSUER,
        duplicate=True,
    )
    assert len(LONG_TITLE) == 200
    pdf = render_certificate(data)

    text = words(pdf)
    for expected in (data.full_name, LONG_ORGANIZATION, f"«{LONG_TITLE}»", LONG_ISSUER):
        assert expected in text
    assert "Объём: 72 академических часа" in text

    runs = text_runs(pdf)
    title_lines = [r for r in runs if r[0] in f"«{LONG_TITLE}»"]
    assert len(title_lines) >= 2  # wrapped

    band_top = PAGE_H_PT - certificate_pdf.BAND_TOP * MM
    content_left = certificate_pdf.CONTENT_X * MM - 0.5
    [facts] = [r for r in runs if r[0].startswith("Объём:")]
    assert facts[2] > band_top + 3  # the last line of the statement clears the band's rule
    for piece, x, y in runs:
        assert 11 * MM < y < PAGE_H_PT - 11 * MM, piece  # inside the frame
        if y > band_top:  # centred lines starting inside the margin end inside it too
            assert x >= content_left, piece


def test_a_very_long_title_is_shrunk_to_fit() -> None:
    title = " ".join([LONG_TITLE] * 2)
    pdf = render_certificate(certificate(course_title=title, organization=LONG_ORGANIZATION))

    assert f"«{title}»" in words(pdf)
    band_top = PAGE_H_PT - certificate_pdf.BAND_TOP * MM
    [facts] = [r for r in text_runs(pdf) if r[0].startswith("Объём:")]
    assert facts[2] > band_top + 3


def test_the_module_does_not_need_flask() -> None:
    module = Path(certificate_pdf.__file__)
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('certificate_pdf', {str(module)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['certificate_pdf'] = module\n"
        "spec.loader.exec_module(module)\n"
        "assert 'flask' not in sys.modules, 'flask was imported'\n"
        "print(module.hours_phrase(3))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 академических часа"
