"""Importing teachers: preview of every row's problems, all-or-nothing write, idempotence."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts import teacher_import
from app.accounts.models import Role, User
from app.core.errors import ValidationError
from app.extensions import db
from tests.factories import login, make_org, make_subject, make_user, post_multipart

HEADER = "ФИО;e-mail;организация;должность;предметы\n"


@pytest.fixture
def district():  # type: ignore[no-untyped-def]
    make_org("МБОУ СОШ № 1")
    make_org("Гимназия № 3")
    make_subject("Математика")
    make_subject("Физика")
    make_user(email="existing@school.ru", name=("Старожилова", "Нина", "Ивановна"))


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    login(client, make_user(Role.ADMIN, email="admin@school.ru"))
    return client


def teachers() -> int:
    return db.session.execute(
        select(func.count()).select_from(User).where(User.role == Role.TEACHER)
    ).scalar_one()


def upload(client, content: bytes, name: str = "teachers.csv"):  # type: ignore[no-untyped-def]
    from werkzeug.datastructures import FileStorage

    return post_multipart(
        client, "/admin/import", {"file": FileStorage(io.BytesIO(content), filename=name)}
    )


GOOD_AND_BAD = (
    HEADER
    + "Иванова Мария Петровна;ivanova@school.ru;МБОУ СОШ № 1;учитель математики;Математика\n"
    + "Петров Пётр;petrov@school.ru;гимназия № 3;учитель физики;Физика, Математика\n"
    + "Сидоров Сидор;not-an-email;МБОУ СОШ № 1;учитель;\n"
    + "Кузнецова Анна;kuz@school.ru;Школа-призрак;учитель;\n"
    + "Иванова Мария Петровна;IVANOVA@school.ru;МБОУ СОШ № 1;учитель;\n"
    + "Орлова Ольга;orlova@school.ru;МБОУ СОШ № 1;учитель;Астрология\n"
    + "Старожилова Нина Ивановна;existing@school.ru;МБОУ СОШ № 1;учитель;\n"
    + "Одиноков;single@school.ru;МБОУ СОШ № 1;учитель;\n"
)


def test_preview_lists_every_row_problem_and_writes_nothing(admin_client, district):
    before = teachers()
    response = upload(admin_client, GOOD_AND_BAD.encode("utf-8"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "некорректный e-mail «not-an-email»" in page
    assert "неизвестная организация «Школа-призрак»" in page
    assert "e-mail повторяется (уже в строке 2)" in page
    assert "неизвестный предмет «Астрология»" in page
    assert "уже зарегистрирован" in page
    assert "Укажите фамилию и имя" in page
    assert "будет создано: 2" in page
    assert teachers() == before


def test_import_writes_valid_rows_and_reimport_changes_nothing(admin_client, district):
    before = teachers()
    upload(admin_client, GOOD_AND_BAD.encode("utf-8"))
    response = admin_client.post("/admin/import/confirm")
    page = response.get_data(as_text=True)
    assert "Создано учётных записей: 2" in page
    assert teachers() == before + 2
    petrov = db.session.execute(select(User).where(User.email == "petrov@school.ru")).scalar_one()
    assert petrov.organization.short_name == "Гимназия № 3"
    assert sorted(s.name for s in petrov.subjects) == ["Математика", "Физика"]
    assert petrov.must_change_password
    # The temporary password shown once actually works and leads to a password change.
    import re

    row = re.search(r"petrov@school.ru</td><td><code>([^<]+)</code>", page)
    assert row
    other = admin_client.application.test_client()
    response = other.post("/login", data={"email": "petrov@school.ru", "password": row.group(1)})
    assert response.headers["Location"] == "/account/password"

    upload(admin_client, GOOD_AND_BAD.encode("utf-8"))
    response = admin_client.post("/admin/import/confirm", follow_redirects=True)
    assert teachers() == before + 2


def test_confirm_without_preview_is_refused(admin_client, district):
    response = admin_client.post("/admin/import/confirm", follow_redirects=True)
    assert "Загрузите его ещё раз" in response.get_data(as_text=True)


def test_xlsx_and_cp1251_csv_are_read(admin_client, district, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ФИО", "E-mail", "Организация", "Должность", "Предметы"])
    sheet.append(["Белова Алла Юрьевна", "belova@school.ru", "МБОУ СОШ № 1", "учитель", "Физика"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(admin_client, buffer.getvalue(), "список.xlsx")
    assert "будет создано: 1" in response.get_data(as_text=True)

    cp1251 = (HEADER + "Зуева Зоя;zueva@school.ru;МБОУ СОШ № 1;учитель;\n").encode("cp1251")
    response = upload(admin_client, cp1251, "win.csv")
    assert "будет создано: 1" in response.get_data(as_text=True)
    assert "Зуева Зоя" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "Файл пуст"),
        (b"%PDF-1.4 not a table", "list.pdf", "только файлы CSV и XLSX"),
        (b"PK\x03\x04garbage", "broken.xlsx", "XLSX"),
        (b"not a zip at all", "fake.xlsx", "не является таблицей XLSX"),
        ("имя;почта\nа;б\n".encode(), "wrong.csv", "нет обязательных столбцов"),
    ],
)
def test_bad_files_get_clear_messages(admin_client, district, content, name, message):
    before = teachers()
    response = upload(admin_client, content, name)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert teachers() == before


def _huge_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for n in range(rows):
            fh.write(f"Ли Ан{n};t{n}@s.ru;МБОУ СОШ № 1;учитель;Математика\n")


def test_hundred_thousand_rows_refused_with_flat_memory(app, district, tmp_path):
    path = tmp_path / "huge.csv"
    _huge_csv(path, 100_000)
    assert path.stat().st_size > 4_000_000
    before = teachers()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError, match="больше 5000 строк"):
            teacher_import.build_preview(path, app.config["IMPORT_MAX_ROWS"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The preview of the allowed 5,000 rows is kept; the other 95,000 are never held.
    assert peak < 40 * 1024 * 1024
    assert teachers() == before


def test_hundred_thousand_rows_through_the_ui(admin_client, district, tmp_path):
    path = tmp_path / "huge.csv"
    _huge_csv(path, 100_000)
    response = upload(admin_client, path.read_bytes())
    assert "В файле больше 5000 строк" in response.get_data(as_text=True)
    assert teachers() == 1


def test_file_over_size_limit(admin_client, district, app):
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        response = upload(admin_client, (HEADER + "x;y;z;;\n" * 300).encode())
    finally:
        app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024
    assert "Файл больше" in response.get_data(as_text=True)


def test_failure_midway_writes_nothing(app, district, tmp_path, monkeypatch):
    path = tmp_path / "ok.csv"
    path.write_text(
        HEADER
        + "Первая Анна;first@school.ru;МБОУ СОШ № 1;учитель;\n"
        + "Вторая Анна;second@school.ru;МБОУ СОШ № 1;учитель;\n",
        encoding="utf-8",
    )
    calls = {"n": 0}
    original = teacher_import.generate_password

    def failing_password(length: int = 10) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash in the middle of an import")
        return original(length)

    monkeypatch.setattr(teacher_import, "generate_password", failing_password)
    before = teachers()
    with pytest.raises(RuntimeError):
        teacher_import.apply_import(path, 100)
    assert teachers() == before
