"""A methodist builds a course in the browser, enrols a teacher and watches the progress matrix."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.courses import learning
from app.courses.models import Course
from app.extensions import db
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_org, make_user


def test_methodist_builds_publishes_enrols_and_sees_progress(page):
    org = make_org("МБОУ Лицей № 2")
    methodist = make_user(
        Role.METHODIST, email="metod@school.ru", name=("Кузнецова", "Ольга", "Ивановна")
    )
    teacher = make_user(
        Role.TEACHER, email="uchitel@school.ru", organization=org, name=("Орлова", "Дарья", "")
    )
    make_user(Role.TEACHER, email="other@school.ru", name=("Соколова", "Ева", ""))

    sign_in(page, methodist.email, PASSWORD)
    page.get_by_role("link", name="Создать курс").first.click()
    page.get_by_label("Название курса").fill("Цифровые инструменты учителя")
    page.get_by_label("Аннотация").fill("Облачные сервисы для урока.")
    page.get_by_label("Объём, академических часов").fill("16")
    page.get_by_label("Форма обучения").select_option("distance")
    page.get_by_label("Документ по окончании").select_option("participation")
    page.get_by_label("5–9 классы").check()
    page.get_by_role("button", name="Создать курс").click()
    expect(page.locator(".flash-messages")).to_contain_text("Курс создан")
    expect(page.locator("#course-status")).to_have_text("Черновик")
    expect(page.locator("#publication-problems")).to_contain_text("в курсе нет модулей")
    expect(page.get_by_role("button", name="Опубликовать")).to_be_disabled()

    page.get_by_role("link", name="Добавить модуль").click()
    page.get_by_label("Название модуля").fill("Облачные документы")
    page.get_by_label("Содержание (HTML)").fill(
        "<h2>Совместная работа</h2><p>Откройте документ.</p><script>alert(1)</script>"
    )
    page.get_by_label("Часов на модуль").fill("16")
    page.get_by_label("открыть", exact=True).check()
    page.get_by_role("button", name="Добавить модуль").click()
    expect(page.locator(".flash-messages")).to_contain_text("Модуль добавлен")
    page.get_by_role("link", name="Просмотр").first.click()
    expect(page.locator("#module-content h2")).to_have_text("Совместная работа")
    expect(page.locator("#module-content script")).to_have_count(0)

    page.get_by_role("link", name="К модулям курса").first.click()
    expect(page.locator("#module-list tbody tr")).to_have_count(1)
    expect(page.locator("#publication-problems")).to_have_count(0)
    page.get_by_role("button", name="Опубликовать").click()
    expect(page.locator("#course-status")).to_have_text("Опубликован")

    page.get_by_role("link", name="Слушатели", exact=True).first.click()
    page.get_by_label("Фильтр по организации").select_option(str(org.id))  # autosubmits
    page.wait_for_url("**org=*")
    page.get_by_label("Педагоги", exact=True).select_option(str(teacher.id))
    page.get_by_role("button", name="Записать выбранных").click()
    expect(page.locator(".flash-messages")).to_contain_text("Записано: 1")
    expect(page.locator("#enrolled")).to_contain_text("Орлова Дарья")

    # The teacher opens the module (the teacher's pages are exercised elsewhere).
    course = db.session.execute(select(Course)).scalar_one()
    learning.record_module_open(teacher, course.modules[0])

    page.get_by_role("link", name="Прогресс", exact=True).click()
    expect(page.locator("#matrix-total")).to_have_text("Педагогов: 1 · завершили курс: 1")
    row = page.locator("#progress-matrix tbody tr", has_text="Орлова Дарья")
    expect(row.locator(".matrix-cell")).to_have_attribute("data-state", "done")
    expect(row.locator(".cell-completed")).to_have_text(
        re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$")
    )
    row.get_by_role("link", name="Орлова Дарья").click()
    expect(page.locator("#access-history tbody tr")).to_have_count(1)
    expect(page.locator("#access-history")).to_contain_text("открыл модуль")
