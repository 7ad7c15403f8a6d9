"""A teacher takes a course in the browser: enrol, modules, test, document, verification."""

from __future__ import annotations

import re
import time
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Role
from app.courses.models import Certificate, ModuleProgress
from app.extensions import db
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_course, make_org, make_user


def _seconds_on(module_id: int, timeout: float = 10.0) -> int:
    """The time credited for a module, waiting for the browser's beacon to arrive."""
    deadline = time.monotonic() + timeout
    seconds = 0
    while time.monotonic() < deadline:
        db.session.expire_all()
        seconds = (
            db.session.execute(
                select(ModuleProgress.seconds).where(ModuleProgress.module_id == module_id)
            ).scalar_one_or_none()
            or 0
        )
        if seconds:
            break
        time.sleep(0.2)
    db.session.rollback()
    return seconds


def test_teacher_enrols_learns_passes_and_verifies_the_document(page, tmp_path):
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    teacher = make_user(
        Role.TEACHER,
        email="t@school.ru",
        organization=make_org("МБОУ СОШ № 5"),
        name=("Смирнова", "Елена", "Васильевна"),
    )
    course = make_course(
        methodist,
        title="Функциональная грамотность",
        modules=("opened", "studied", "test"),
        hours=24,
    )
    first, second, third = course.modules

    sign_in(page, teacher.email, PASSWORD)
    page.get_by_role("navigation", name="Основное меню").get_by_role(
        "link", name="Курсы", exact=True
    ).click()
    card = page.locator(".course-card", has_text="Функциональная грамотность")
    card.get_by_role("button", name=re.compile("^Записаться")).click()
    assert page.get_by_text("Вы записаны на курс «Функциональная грамотность».").is_visible()
    assert page.locator(".course-progress").get_attribute("aria-valuenow") == "0"

    # The first module counts when opened; time on it is reported by the beacon.
    page.get_by_role("link", name="Модуль 1", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Модуль 1"
    page.wait_for_timeout(1600)
    page.get_by_role("link", name="Модуль 2 →").click()
    assert _seconds_on(first.id) >= 1

    page.get_by_role("button", name="Я изучил(а) материал").click()
    assert page.get_by_text("Модуль «Модуль 2» отмечен как изученный.").is_visible()
    assert page.locator(".course-progress").get_attribute("aria-valuenow") == "67"
    done = page.locator(f'.module-item[data-module="{second.id}"]')
    assert done.get_attribute("data-state") == "completed"

    page.get_by_role("link", name="Модуль 3", exact=True).click()
    page.get_by_role("link", name="Начать тест").click()
    questions = page.locator("fieldset.question")
    assert questions.count() == len(third.questions)
    for n in range(questions.count()):
        questions.nth(n).get_by_label("Верно", exact=True).check()
    page.get_by_role("button", name="Отправить ответы").click()
    assert page.locator("#attempt-score").inner_text() == "100%"
    assert page.get_by_text("Поздравляем! Курс «Функциональная грамотность» завершён.").is_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Скачать PDF").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = " ".join(page_.extract_text() for page_ in PdfReader(Path(saved)).pages)
    number = db.session.execute(select(Certificate.number)).scalar_one()
    db.session.rollback()
    assert download.suggested_filename == f"{number}.pdf"
    assert number in text and "Смирнова Елена Васильевна" in text

    # The number alone says only that the document is valid; its printed code opens it.
    page.goto(f"/verify/{number}")
    assert "Документ действителен" in page.locator("#verify-status").inner_text()
    assert page.get_by_text("Смирнова Елена Васильевна").count() == 0
    [code] = re.findall(r"Код проверки\s*([A-Z2-7]{10})", text)
    page.locator("#verify-code").fill(code.lower())
    page.get_by_role("button", name="Проверить").click()
    assert "Документ действителен" in page.locator("#verify-status").inner_text()
    assert page.get_by_text("Функциональная грамотность").is_visible()
    assert page.get_by_text("Смирнова Елена Васильевна").is_visible()
    assert page.get_by_text("t@school.ru").count() == 0

    page.get_by_role("link", name="Моё обучение").first.click()
    assert page.locator("#hours-this-year").inner_text() == "24"
    documents = page.locator("#documents > li")
    assert documents.count() == 1 and number in documents.inner_text()
