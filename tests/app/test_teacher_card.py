"""The teacher's personal card as a PDF: what it says, who may get it, how it breaks pages."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from app.accounts.models import Role
from app.training import attestation, records, validation
from app.training.teacher_card import CardTraining, TeacherCardData, render_teacher_card
from app.training.validation import TrainingData
from tests.factories import login, make_org, make_subject, make_user


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def teacher():  # type: ignore[no-untyped-def]
    school = make_org("МБОУ Лицей № 4", full_name="Муниципальное бюджетное учреждение «Лицей № 4»")
    return make_user(
        email="t@school.ru",
        name=("Ёлкина", "Анастасия", "Юрьевна"),
        organization=school,
        subjects=[make_subject("Химия"), make_subject("Биология")],
    )


@pytest.fixture
def methodist():  # type: ignore[no-untyped-def]
    return make_user(Role.METHODIST, email="m@imc.ru", name=("Орлова", "Вера", "Юрьевна"))


def training(days_ago: int, programme: str, hours: int) -> TrainingData:
    ends_on = validation.today() - timedelta(days=days_ago)
    return TrainingData(
        provider="ГАУ ДПО «Институт развития образования»",
        programme=programme,
        hours=hours,
        starts_on=ends_on - timedelta(days=14),
        ends_on=ends_on,
        document_type="удостоверение",
        document_number="772700077",
    )


def test_card_pdf_from_the_site(client, teacher, methodist):
    records.record_training(
        teacher, training(30, "Школа современного учителя химии", 72), None, methodist
    )
    pending = records.record_training(
        teacher, training(10, "Цифровая лаборатория", 16), None, teacher
    )
    attestation.set_attestation(teacher, "first", date(2023, 4, 20), methodist, order_number="15-к")
    login(client, methodist)
    response = client.get(f"/teachers/{teacher.id}/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    text = text_of(response.data)
    assert "ЛИЧНАЯ КАРТОЧКА" in text
    assert "Ёлкина Анастасия Юрьевна" in text
    assert "Муниципальное бюджетное учреждение «Лицей № 4»" in text
    assert "Биология, Химия" in text
    assert "первая квалификационная категория" in text and "20 апреля 2023 г." in text
    assert "Состояние в норме" in text
    assert "За последние три года 72 академических часа" in text
    assert "Школа современного учителя химии" in text and "подтверждено" in text
    assert "Цифровая лаборатория" in text and "на проверке" in text  # listed, not counted
    assert pending.status == "pending"


def test_teacher_gets_own_card_pdf_only(client, teacher):
    other = make_user(email="o@school.ru", name=("Другая", "Учительница", ""))
    login(client, teacher)
    assert client.get(f"/teachers/{teacher.id}/card.pdf").status_code == 200
    assert client.get(f"/teachers/{other.id}/card.pdf").status_code == 404
    page = client.get("/training").get_data(as_text=True)
    assert f"/teachers/{teacher.id}/card" in page and "Моя карточка" in page


def test_card_of_a_teacher_without_data():
    data = TeacherCardData(
        teacher_id=1, full_name="Новикова Дарья", organization="", position="", subjects=(),
        attestation_category="", attestation_granted_on=None, attestation_valid_until=None,
        attestation_order="", status="no_data", last_day=None, due_day=None, hours_window=0,
        hours_year=0, hours_by_year={}, trainings=(), on=date(2026, 11, 22),
    )  # fmt: skip
    text = text_of(render_teacher_card(data))
    assert "Новикова Дарья" in text and "нет сведений" in text
    assert "без категории" in text and "Сведений об обучении нет." in text
    assert "0 академических часов" in text


def test_long_history_breaks_pages_and_repeats_the_heading():
    items = tuple(
        CardTraining(
            kind="external", provider=f"Организация {n}", programme=f"Программа номер {n} " * 6,
            hours=18 + n, starts_on=date(2000 + n % 25, 3, 1), ends_on=date(2000 + n % 25, 3, 20),
            document=f"удостоверение № {n}", status="verified",
        )
        for n in range(40)
    )  # fmt: skip
    data = TeacherCardData(
        teacher_id=1, full_name="Долгова Ирина Павловна", organization="Школа", position="учитель",
        subjects=("Физика",), attestation_category="highest",
        attestation_granted_on=date(2020, 1, 10), attestation_valid_until=date(2025, 1, 10),
        attestation_order="", status="overdue", last_day=date(2021, 3, 20),
        due_day=date(2024, 3, 20), hours_window=0, hours_year=0,
        hours_by_year={2021: 40}, trainings=items, on=date(2026, 11, 22), issuer="ИМК",
    )  # fmt: skip
    pdf = render_teacher_card(data)
    assert pdf == render_teacher_card(data)  # deterministic
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 3
    for page in reader.pages[1:]:
        assert "Программа, организация" in page.extract_text()  # the heading row repeats
    text = text_of(pdf)
    assert f"Лист 1 из {pages}" in text
    assert "Программа номер 39" in text and "срок прошёл" in text
    assert "10 января 2025 г. (срок истёк)" in text


def test_card_page_links_for_the_teacher(client, teacher):
    login(client, teacher)
    page = client.get(f"/teachers/{teacher.id}/card").get_data(as_text=True)
    assert "Ёлкина Анастасия Юрьевна" in page and "Нет сведений" in page
    assert f"/teachers/{teacher.id}/card.pdf" in page
    assert "Сохранить аттестацию" not in page  # only methodists set the category
