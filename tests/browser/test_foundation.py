"""Each role signs in through the real form; the teacher import preview shows row errors."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_org, make_subject, make_user

HOMES = {
    Role.TEACHER: "Кабинет педагога",
    Role.METHODIST: "Кабинет методиста",
    Role.MANAGER: "Кабинет руководителя",
    Role.ADMIN: "Кабинет администратора",
}


@pytest.mark.parametrize("role", list(HOMES))
def test_role_signs_in_and_sees_home(page, role):
    user = make_user(role, email=f"{role}@school.ru", organization=make_org())
    sign_in(page, user.email, PASSWORD)
    page.wait_for_url("**/home")
    assert page.get_by_role("heading", level=1).inner_text() == HOMES[role]
    assert page.locator("html").get_attribute("lang") == "ru"
    # Signing out through the header menu ends the session.
    page.get_by_role("button", name=user.short_name).click()
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login")
    page.goto("/home")
    assert "/login" in page.url


def test_wrong_password_message(page):
    user = make_user()
    sign_in(page, user.email, "wrong-password-1")
    assert page.get_by_text("Неверный адрес электронной почты или пароль.").is_visible()


def test_import_preview_shows_row_errors(page, tmp_path):
    make_org("МБОУ СОШ № 1")
    make_subject("Математика")
    admin = make_user(Role.ADMIN, email="admin@school.ru")
    csv_path = tmp_path / "педагоги.csv"
    csv_path.write_text(
        "ФИО;e-mail;организация;должность;предметы\n"
        "Иванова Мария Петровна;ivanova@school.ru;МБОУ СОШ № 1;учитель;Математика\n"
        "Сидоров Сидор;not-an-email;МБОУ СОШ № 1;учитель;\n"
        "Кузнецова Анна;kuz@school.ru;Школа-призрак;учитель;\n",
        encoding="utf-8",
    )
    sign_in(page, admin.email, PASSWORD)
    page.goto("/admin/import")
    page.get_by_label("Файл CSV или XLSX").set_input_files(str(csv_path))
    page.get_by_role("button", name="Проверить файл").click()
    table = page.locator("#import-preview")
    assert table.locator("tr[data-action=error]").count() == 2
    assert "некорректный e-mail «not-an-email»" in table.inner_text()
    assert "неизвестная организация «Школа-призрак»" in table.inner_text()
    page.get_by_role("button", name="Импортировать педагогов: 1").click()
    assert page.get_by_text("Создано учётных записей: 1").is_visible()
    assert page.locator("code").count() == 1


def test_language_switch_in_browser(page):
    user = make_user()
    sign_in(page, user.email, PASSWORD)
    page.wait_for_url("**/home")
    with page.expect_navigation():
        page.get_by_label("Язык").select_option("en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Teacher's desk"
    with page.expect_navigation():
        page.get_by_label("Language").select_option("ru")
    assert page.get_by_role("heading", level=1).inner_text() == "Кабинет педагога"
