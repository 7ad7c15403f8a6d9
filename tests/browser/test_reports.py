"""A manager answers "who in school N is overdue?" in the browser and takes the XLSX away."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from app.accounts.models import Role
from app.courses import learning
from app.extensions import db
from app.training.models import ExternalTraining
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_course, make_org, make_user


def _external(user, ends_on: date, hours: int = 36) -> None:  # type: ignore[no-untyped-def]
    db.session.add(
        ExternalTraining(
            user_id=user.id, provider="ИРО", programme="=Формула в названии", hours=hours,
            ends_on=ends_on, status="verified", document_number="@123",
        )
    )  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")  # date columns come back from Excel as midnight
    return str(value)


def test_manager_filters_dashboard_opens_register_and_exports(page, tmp_path):
    school, other = make_org("МБОУ СОШ № 7"), make_org("Гимназия № 1")
    manager = make_user(
        Role.MANAGER, email="boss@school.ru", name=("Главная", "Галина", "Ивановна")
    )
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    names = [("Абрамова", "Анна", "Ивановна"), ("Белов", "Борис", "Петрович"),
             ("Волкова", "Вера", "Олеговна"), ("Гусев", "Григорий", "Ильич")]  # fmt: skip
    teachers = [
        make_user(email=f"t{n}@school.ru", name=name, organization=school)
        for n, name in enumerate(names)
    ]
    stranger = make_user(email="x@school.ru", name=("Жуков", "Иван", "Ильич"), organization=other)
    _external(teachers[0], date(2019, 9, 1))  # overdue
    _external(teachers[1], date(2024, 1, 15), 72)
    _external(stranger, date(2019, 1, 1))
    db.session.commit()
    course = make_course(methodist, title="Цифровая школа", hours=36, modules=("opened",))
    learning.complete_course(
        teachers[2].id, course.id, datetime(2026, 3, 31, 20, 59, 59, tzinfo=UTC)
    )
    learning.complete_course(stranger.id, course.id, datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    db.session.commit()

    sign_in(page, manager.email, PASSWORD)
    page.get_by_role("link", name="Отчёты", exact=True).click()
    assert page.get_by_role("heading", name="Сводка для руководителя").is_visible()
    page.get_by_label("Период с", exact=True).fill("2026-01-01")
    page.get_by_label("по", exact=True).fill("2026-06-30")
    page.get_by_label("Организация", exact=True).select_option(label="МБОУ СОШ № 7")
    page.get_by_role("button", name="Показать").click()
    assert page.locator("#fig-teachers").inner_text() == "4"
    assert page.locator("#fig-completions").inner_text() == "1"
    assert page.locator("#fig-hours").inner_text() == "36"
    # The charts are drawn (by the local Chart.js, within the CSP) and have their tables.
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 3")
    march = page.locator("#trainings-table tbody tr", has_text="март 2026")
    assert march.locator("td").last.inner_text() == "36"

    page.get_by_role("link", name="Реестр", exact=True).click()
    assert page.get_by_label("Организация", exact=True).input_value() == str(school.id)
    page.get_by_label("Статус", exact=True).select_option("overdue")
    page.get_by_role("button", name="Показать").click()
    assert page.locator("#report-table tbody tr").count() == 1
    page.get_by_label("Статус", exact=True).select_option("")
    page.get_by_role("button", name="Показать").click()
    body = page.locator("#report-table tbody tr")
    assert body.count() == 4
    screen = [
        [" ".join(cell.split()) for cell in row.locator("td").all_inner_texts()]
        for row in body.all()
    ]
    assert [row[0] for row in screen] == [" ".join(n) for n in names]
    assert all(row[1] == "МБОУ СОШ № 7" for row in screen)

    with page.expect_download() as info:
        page.get_by_role("link", name="Скачать XLSX").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(Path(saved)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = [
        " ".join(text.replace("▾", "").replace("(упорядочено)", "").split())
        for text in page.locator("#report-table thead th").all_inner_texts()
    ]
    assert list(rows[0]) == headers
    assert [[_cell(v) for v in row] for row in rows[1:]] == screen
