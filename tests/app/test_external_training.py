"""External training: validation, verification, scans, permissions, providers' lists."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import Workbook
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from app.accounts.models import Role
from app.core.errors import PermissionDenied, ValidationError
from app.core.storage import get_store
from app.extensions import db
from app.materials import files
from app.materials.services import upload_from_bytes
from app.training import attestation, provider_import, records, register, teachers, validation
from app.training.models import Attestation, ExternalTraining, TrainingStatus
from app.training.validation import TrainingData
from content_store import StorageError
from tests.factories import docx_bytes, login, make_org, make_user, pdf_bytes, post_multipart

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    return make_org("МБОУ СОШ № 7")


@pytest.fixture
def teacher(org):  # type: ignore[no-untyped-def]
    return make_user(
        email="teacher@school.ru", name=("Смирнова", "Ольга", "Ивановна"), organization=org
    )


@pytest.fixture
def other_teacher(org):  # type: ignore[no-untyped-def]
    return make_user(email="other@school.ru", name=("Петров", "Пётр", "Петрович"), organization=org)


@pytest.fixture
def methodist():  # type: ignore[no-untyped-def]
    return make_user(Role.METHODIST, email="metod@imc.ru", name=("Орлова", "Вера", "Юрьевна"))


def today() -> date:
    return validation.today()


def data(**changes) -> TrainingData:  # type: ignore[no-untyped-def]
    values = {
        "provider": "ГАУ ДПО «Институт развития образования»",
        "programme": "Формирование функциональной грамотности",
        "hours": 72,
        "starts_on": today() - timedelta(days=40),
        "ends_on": today() - timedelta(days=20),
        "document_type": "удостоверение о повышении квалификации",
        "document_number": "772700012345",
    }
    values.update(changes)
    return TrainingData(**values)


def record_count() -> int:
    return db.session.execute(select(func.count()).select_from(ExternalTraining)).scalar_one()


def register_row(user) -> register.RegisterRow:  # type: ignore[no-untyped-def]
    query = register.register_select(
        register.RegisterFilters(), register.Thresholds.for_day(today())
    ).where(register.User.id == user.id)
    return register.to_row(db.session.execute(query).one())


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"provider": "  "}, "provider", "Укажите организацию"),
        ({"programme": ""}, "programme", "Укажите название программы"),
        ({"hours": None}, "hours", "Укажите объём обучения"),
        ({"hours": 0}, "hours", "от 1 до 2000 академических часов"),
        ({"hours": -36}, "hours", "от 1 до 2000 академических часов"),
        ({"hours": 100000}, "hours", "от 1 до 2000 академических часов"),
        ({"ends_on": None}, "ends_on", "Укажите дату окончания"),
        ({"ends_on": date.today() + timedelta(days=3)}, "ends_on", "позже сегодняшнего"),
        ({"starts_on": date(1985, 1, 1), "ends_on": date(1985, 2, 1)}, "ends_on", "раньше 1990"),
        ({"starts_on": date(1989, 12, 1)}, "starts_on", "раньше 1990"),
        ({"starts_on": date(2024, 5, 9), "ends_on": date(2024, 5, 1)},
         "starts_on", "Дата начала не может быть позже даты окончания"),
        ({"document_number": "9" * 101}, "document_number", "Не длиннее 100"),
    ],
)  # fmt: skip
def test_validation_messages_in_russian_and_nothing_written(teacher, changes, field, message):
    with pytest.raises(validation.TrainingInvalid) as caught:
        records.record_training(
            teacher, data(**changes), upload_from_bytes(PNG, "скан.png"), teacher
        )
    assert (field, caught.value.problems[0][1]) in caught.value.problems
    assert any(f == field and message in m for f, m in caught.value.problems)
    assert record_count() == 0
    assert list(get_store().iter_keys()) == []  # the scan is not stored for a refused record


def test_every_problem_is_reported_at_once():
    _, found = validation.problems(
        data(
            provider="", programme="", hours=-1,
            starts_on=date(2025, 5, 2), ends_on=date(2025, 5, 1),
        ),
        date(2026, 1, 1),
    )  # fmt: skip
    assert [f for f, _ in found] == ["provider", "programme", "hours", "starts_on"]


# --- the lifecycle -------------------------------------------------------------------------


def test_teacher_record_waits_and_only_verified_counts_in_register(teacher, methodist):
    record = records.record_training(teacher, data(), None, teacher)
    assert (record.status, record.source, record.created_by_id) == (
        "pending",
        "teacher",
        teacher.id,
    )
    assert register_row(teacher).status == register.RegisterStatus.NO_DATA
    assert register_row(teacher).hours_window == 0

    records.verify(record, methodist)
    assert record.status == TrainingStatus.VERIFIED and record.reviewed_by_id == methodist.id
    row = register_row(teacher)
    assert row.status == register.RegisterStatus.OK
    assert row.last_day == data().ends_on and row.hours_window == 72


def test_return_needs_a_comment_then_teacher_fixes_and_resubmits(teacher, methodist):
    record = records.record_training(teacher, data(hours=7200 // 100), None, teacher)
    with pytest.raises(ValidationError, match="Напишите педагогу"):
        records.return_record(record, methodist, "   ")
    assert record.status == TrainingStatus.PENDING
    records.return_record(record, methodist, "Приложите скан удостоверения.")
    assert record.status == TrainingStatus.RETURNED
    assert record.review_comment == "Приложите скан удостоверения."
    assert register_row(teacher).hours_window == 0
    with pytest.raises(ValidationError, match="ожидающую проверки"):
        records.verify(record, methodist)

    records.update_training(record, data(hours=36), upload_from_bytes(PNG, "скан.png"), teacher)
    assert record.status == TrainingStatus.PENDING and record.hours == 36
    assert record.scan_kind == "png" and record.reviewed_by_id is None
    records.verify(record, methodist)
    assert register_row(teacher).hours_window == 36


def test_methodist_entry_is_verified_at_once(teacher, methodist):
    record = records.record_training(teacher, data(), None, methodist)
    assert (record.status, record.source, record.reviewed_by_id) == (
        "verified",
        "methodist",
        methodist.id,
    )
    assert register_row(teacher).hours_window == 72
    with pytest.raises(ValidationError, match="уже учтено"):
        same = data(programme="  формирование   ФУНКЦИОНАЛЬНОЙ грамотности")
        records.record_training(teacher, same, None, methodist)


def test_pending_duplicate_of_a_verified_record_cannot_be_verified(teacher, methodist):
    pending = records.record_training(teacher, data(), None, teacher)
    records.record_training(teacher, data(document_number="другой"), None, methodist)
    with pytest.raises(ValidationError, match="уже учтено"):
        records.verify(pending, methodist)
    assert register_row(teacher).hours_window == 72  # counted once


def test_teacher_cannot_touch_verified_or_others_records(teacher, other_teacher, methodist):
    mine = records.record_training(teacher, data(), None, teacher)
    theirs = records.record_training(other_teacher, data(), None, other_teacher)
    with pytest.raises(PermissionDenied):
        records.update_training(theirs, data(hours=10), None, teacher)
    with pytest.raises(PermissionDenied):
        records.delete_training(theirs, teacher)
    with pytest.raises(PermissionDenied):
        records.verify(mine, teacher)
    with pytest.raises(PermissionDenied):
        records.record_training(other_teacher, data(), None, teacher)
    records.verify(mine, methodist)
    with pytest.raises(PermissionDenied):
        records.update_training(mine, data(hours=2000), None, teacher)
    with pytest.raises(PermissionDenied):
        records.delete_training(mine, teacher)
    records.delete_training(theirs, other_teacher)
    assert record_count() == 1


def test_methodist_actions_check_their_own_permission(tmp_path, teacher, other_teacher):
    """Called without any page in front: a teacher is refused by the action itself."""
    record = records.record_training(other_teacher, data(), None, other_teacher)
    path = tmp_path / "list.csv"
    path.write_text("ФИО;программа;организация;часы;дата окончания\n", encoding="utf-8")
    refused = [
        lambda: records.verify(record, teacher),
        lambda: records.return_record(record, teacher, "Нет скана"),
        lambda: records.queue_page(teacher, "open", 1, 30),
        lambda: attestation.set_attestation(other_teacher, "first", date(2024, 1, 1), teacher),
        lambda: provider_import.preview_import(path, 100, teacher),
        lambda: provider_import.apply_import(path, 100, teacher),
        lambda: teachers.find_teachers(teacher, "Петров"),
        lambda: teachers.get_teacher(other_teacher.id, teacher),
        lambda: records.get_record(record.id, teacher),
    ]
    for action in refused:
        with pytest.raises(PermissionDenied):
            action()
    db.session.expire_all()
    assert db.session.get(ExternalTraining, record.id).status == "pending"  # type: ignore[union-attr]
    assert db.session.get(Attestation, other_teacher.id) is None


def test_attestation_created_meanwhile_is_a_message_not_an_error(teacher, methodist, monkeypatch):
    """Two methodists save the first category of one teacher at once; the second is told."""
    real_get = db.session.get

    def get_then_other_saves(model, ident, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = real_get(model, ident, *args, **kwargs)
        if model is Attestation and found is None:
            with db.engine.begin() as conn:  # the other methodist's request commits first
                conn.execute(
                    Attestation.__table__.insert().values(
                        user_id=ident, category="first", granted_on=date(2023, 1, 1)
                    )
                )
        return found

    monkeypatch.setattr(db.session, "get", get_then_other_saves)
    with pytest.raises(ValidationError, match="Данные изменились"):
        attestation.set_attestation(teacher, "highest", date(2024, 3, 15), methodist)
    monkeypatch.undo()
    db.session.expire_all()
    saved = db.session.get(Attestation, teacher.id)
    assert saved is not None and saved.category == "first"


def test_an_edit_crossing_a_verification_is_refused(teacher, methodist):
    """The teacher's page was loaded while pending; a methodist verifies in between."""
    record = records.record_training(teacher, data(), None, teacher)
    with db.engine.begin() as conn:  # another request, another connection
        conn.execute(
            update(ExternalTraining)
            .where(ExternalTraining.id == record.id)
            .values(status=TrainingStatus.VERIFIED, reviewed_by_id=methodist.id)
        )
    assert record.status == TrainingStatus.PENDING  # the stale copy this request holds
    with pytest.raises(ValidationError, match="уже изменилась"):
        records.update_training(record, data(hours=2000), None, teacher)
    fresh = db.session.get(ExternalTraining, record.id)
    assert fresh is not None and fresh.hours == 72 and fresh.status == TrainingStatus.VERIFIED


def test_queue_lists_pending_first(teacher, other_teacher, methodist):
    returned = records.record_training(teacher, data(programme="Старая"), None, teacher)
    records.return_record(returned, methodist, "Нет скана")
    first = records.record_training(other_teacher, data(programme="Первая"), None, other_teacher)
    second = records.record_training(teacher, data(programme="Вторая"), None, teacher)
    records.record_training(teacher, data(programme="Учтённая"), None, methodist)
    ids = [r.id for r in db.session.execute(records.queue_query("open")).scalars()]
    assert ids == [first.id, second.id, returned.id]
    assert records.pending_count() == 2


# --- scans ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (EXE, "удостоверение.pdf"),
        (EXE, "скан.png"),
        (docx_bytes(), "скан.docx"),
        (b"hello", "скан.txt"),
    ],
)
def test_scan_must_be_pdf_jpg_or_png_by_content(teacher, content, name):
    with pytest.raises(ValidationError) as caught:
        records.record_training(teacher, data(), upload_from_bytes(content, name), teacher)
    assert caught.value.field == "scan"
    assert "Скан должен быть в формате PDF, JPG или PNG" in str(caught.value)
    assert record_count() == 0 and list(get_store().iter_keys()) == []


def test_real_png_and_pdf_are_stored_bytes_first(teacher):
    record = records.record_training(teacher, data(), upload_from_bytes(PNG, "скан.png"), teacher)
    assert (record.scan_kind, record.scan_content_type, record.scan_size) == (
        "png",
        "image/png",
        len(PNG),
    )
    assert get_store().exists(record.scan_key)
    # A PNG sent under a ".pdf" name is stored as what it is.
    renamed = upload_from_bytes(PNG, "скан.pdf")
    other = records.record_training(teacher, data(programme="Другая"), renamed, teacher)
    assert other.scan_kind == "png" and other.scan_name == "скан.png"
    real_pdf = upload_from_bytes(pdf_bytes(), "удостоверение.pdf")
    pdf = records.record_training(teacher, data(programme="Третья"), real_pdf, teacher)
    assert pdf.scan_kind == "pdf"


def test_scan_download_is_permission_checked(client, teacher, other_teacher, methodist):
    record = records.record_training(teacher, data(), upload_from_bytes(PNG, "скан.png"), teacher)
    login(client, teacher)
    response = client.get(f"/training/{record.id}/scan")
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    client.post("/logout")
    login(client, other_teacher)
    assert client.get(f"/training/{record.id}/scan").status_code == 404
    client.post("/logout")
    login(client, methodist)
    assert client.get(f"/training/{record.id}/scan").status_code == 200
    no_scan = records.record_training(teacher, data(programme="Без скана"), None, teacher)
    assert client.get(f"/training/{no_scan.id}/scan").status_code == 404


def test_scan_while_the_store_is_down_answers_503_in_russian(client, teacher, monkeypatch):
    record = records.record_training(teacher, data(), upload_from_bytes(PNG, "скан.png"), teacher)

    class DownStore:
        supports_presign = False

        def local_path(self, key):  # type: ignore[no-untyped-def]
            raise StorageError("connection refused by minio.internal:9000")

    monkeypatch.setattr(files, "get_store", lambda: DownStore())
    login(client, teacher)
    response = client.get(f"/training/{record.id}/scan")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Хранилище недоступно" in page and "Попробуйте позже" in page
    assert "minio.internal" not in page  # the store's own words stay in the log


# --- pages and permissions ------------------------------------------------------------------


def test_teacher_adds_a_record_with_a_scan_through_the_form(client, teacher):
    login(client, teacher)
    page = client.get("/training")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Моя карточка" in text and "Добавить обучение" in text
    fields = {
        "provider": "ЦНППМ Заречной области",
        "programme": "Наставничество в школе",
        "hours": "36",
        "starts_on": (today() - timedelta(days=10)).isoformat(),
        "ends_on": (today() - timedelta(days=2)).isoformat(),
        "document_type": "удостоверение о повышении квалификации",
        "document_number": "0001",
        "scan": FileStorage(io.BytesIO(EXE), filename="удостоверение.pdf"),
    }
    refused = post_multipart(client, "/training/new", fields)
    assert refused.status_code == 200
    assert "Скан должен быть в формате PDF, JPG или PNG" in refused.get_data(as_text=True)
    assert record_count() == 0
    fields["scan"] = FileStorage(io.BytesIO(PNG), filename="скан.png")
    response = post_multipart(client, "/training/new", fields)
    assert response.status_code == 302
    record = db.session.execute(select(ExternalTraining)).scalar_one()
    assert record.status == "pending" and record.scan_kind == "png"
    assert "Наставничество в школе" in client.get("/training").get_data(as_text=True)


def test_form_reports_bad_values_next_to_fields(client, teacher):
    login(client, teacher)
    response = client.post(
        "/training/new",
        data={
            "provider": "ИРО",
            "programme": "Программа",
            "hours": "-5",
            "starts_on": "2024-05-10",
            "ends_on": "2024-05-01",
        },
    )
    text = response.get_data(as_text=True)
    assert "Объём обучения должен быть от 1 до 2000" in text
    assert "Дата начала не может быть позже даты окончания" in text
    assert record_count() == 0


def test_teacher_edits_returned_record_and_sees_the_comment(client, teacher, methodist):
    record = records.record_training(teacher, data(), None, teacher)
    records.return_record(record, methodist, "Уточните номер удостоверения")
    login(client, teacher)
    assert "Уточните номер удостоверения" in client.get("/training").get_data(as_text=True)
    edit_page = client.get(f"/training/{record.id}/edit").get_data(as_text=True)
    assert "Уточните номер удостоверения" in edit_page
    response = client.post(
        f"/training/{record.id}/edit",
        data={
            "provider": "ИРО", "programme": "Программа", "hours": "24",
            "ends_on": (today() - timedelta(days=1)).isoformat(), "document_number": "772700099",
        },
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExternalTraining, record.id).status == "pending"  # type: ignore[union-attr]


def test_queue_verify_and_return_through_pages(client, teacher, methodist):
    a = records.record_training(
        teacher, data(programme="Первая"), upload_from_bytes(PNG, "a.png"), teacher
    )
    b = records.record_training(teacher, data(programme="Вторая"), None, teacher)
    login(client, methodist)
    page = client.get("/training/queue").get_data(as_text=True)
    assert "Первая" in page and "Вторая" in page and f"/training/{a.id}/scan" in page
    assert "Подтвердить" in page and "Вернуть" in page
    assert client.post(f"/training/{a.id}/verify").status_code == 302
    response = client.post(f"/training/{b.id}/return", data={"comment": ""}, follow_redirects=True)
    assert "Напишите педагогу" in response.get_data(as_text=True)
    client.post(f"/training/{b.id}/return", data={"comment": "Нет скана"})
    db.session.expire_all()
    assert db.session.get(ExternalTraining, a.id).status == "verified"  # type: ignore[union-attr]
    assert db.session.get(ExternalTraining, b.id).status == "returned"  # type: ignore[union-attr]


def test_methodist_enters_a_record_for_a_teacher(client, teacher, methodist):
    login(client, methodist)
    found = client.get("/training/add-for?q=смирнова").get_data(as_text=True)
    assert "Смирнова Ольга Ивановна" in found
    response = client.post(
        f"/training/add-for?teacher={teacher.id}",
        data={"provider": "ИРО", "programme": "Цифровая школа", "hours": "16",
              "ends_on": (today() - timedelta(days=3)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302 and response.location.endswith(
        f"/teachers/{teacher.id}/card"
    )
    record = db.session.execute(select(ExternalTraining)).scalar_one()
    assert (record.status, record.source) == ("verified", "methodist")


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.TEACHER, 404), (Role.MANAGER, 404), (Role.METHODIST, 200), (Role.ADMIN, 200)],
)
@pytest.mark.parametrize("url", ["/training/queue", "/training/import", "/training/add-for"])
def test_methodist_pages_are_hidden_from_others(client, role, expected, url):
    login(client, make_user(role, email=f"{role}@school.ru"))
    assert client.get(url).status_code == expected


def test_anonymous_is_sent_to_login(client, teacher):
    for url in ("/training", "/training/queue", f"/teachers/{teacher.id}/card"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_teacher_reaches_only_own_card_records_and_scans(client, teacher, other_teacher, methodist):
    theirs = records.record_training(
        other_teacher, data(), upload_from_bytes(PNG, "s.png"), other_teacher
    )
    login(client, teacher)
    assert client.get(f"/teachers/{teacher.id}/card").status_code == 200
    for url in (
        f"/teachers/{other_teacher.id}/card",
        f"/teachers/{other_teacher.id}/card.pdf",
        f"/training/{theirs.id}/edit",
        f"/training/{theirs.id}/scan",
        f"/teachers/{methodist.id}/card",
        "/teachers/999999/card",
    ):
        assert client.get(url).status_code == 404, url
    for url in (f"/training/{theirs.id}/delete", f"/training/{theirs.id}/verify",
                f"/teachers/{other_teacher.id}/attestation"):  # fmt: skip
        assert client.post(url, data={"category": "highest"}).status_code == 404, url
    assert record_count() == 1 and db.session.get(Attestation, other_teacher.id) is None


def test_manager_reads_cards_but_does_not_verify(client, teacher):
    record = records.record_training(teacher, data(), None, teacher)
    login(client, make_user(Role.MANAGER, email="boss@school.ru"))
    assert client.get(f"/teachers/{teacher.id}/card").status_code == 200
    assert client.post(f"/training/{record.id}/verify").status_code == 404
    assert client.get(f"/training/{record.id}/edit").status_code == 404


def test_nav_links_per_role(client, teacher, methodist):
    login(client, teacher)
    assert 'href="/training"' in client.get("/learning").get_data(as_text=True)
    client.post("/logout")
    login(client, methodist)
    page = client.get("/training/queue").get_data(as_text=True)
    assert "Внешнее обучение" in page
    assert client.get("/training").status_code == 302  # a methodist's "mine" is the queue


# --- attestation and the card page ----------------------------------------------------------


def test_methodist_sets_attestation(client, teacher, methodist):
    login(client, methodist)
    url = f"/teachers/{teacher.id}/attestation"
    refused = client.post(url, data={"category": "highest", "granted_on": ""})
    assert "Укажите дату, с которой установлена категория" in refused.get_data(as_text=True)
    assert db.session.get(Attestation, teacher.id) is None
    response = client.post(
        url, data={"category": "highest", "granted_on": "2024-03-15", "order_number": "112-к"}
    )
    assert response.status_code == 302
    saved = db.session.get(Attestation, teacher.id)
    assert saved is not None
    assert (saved.category, saved.granted_on) == ("highest", date(2024, 3, 15))
    card = client.get(f"/teachers/{teacher.id}/card").get_data(as_text=True)
    assert "Высшая квалификационная категория" in card and "15.03.2029" in card
    with pytest.raises(ValidationError, match="из списка"):
        attestation.set_attestation(teacher, "doctor", date(2024, 1, 1), methodist)
    attestation.set_attestation(teacher, "", None, methodist)
    assert db.session.get(Attestation, teacher.id).category == ""  # type: ignore[union-attr]


def test_card_shows_register_figures_and_all_trainings(client, teacher, methodist):
    records.record_training(teacher, data(programme="Подтверждённая", hours=72), None, methodist)
    pending = records.record_training(teacher, data(programme="Ждущая", hours=16), None, teacher)
    records.return_record(pending, methodist, "Скан нечитаемый")
    login(client, methodist)
    page = client.get(f"/teachers/{teacher.id}/card").get_data(as_text=True)
    assert "Смирнова Ольга Ивановна" in page and "МБОУ СОШ № 7" in page
    assert "Подтверждённая" in page and "Ждущая" in page and "Скан нечитаемый" in page
    assert "В норме" in page
    due = (data().ends_on.replace(year=data().ends_on.year + 3)).strftime("%d.%m.%Y")
    assert due in page
    card = teachers.teacher_card(teacher)
    assert card.hours_window == 72 and card.status == "ok"
    assert card.hours_by_year == {data().ends_on.year: 72}


def test_deactivated_teacher_card_uses_the_same_rules(teacher, methodist):
    records.record_training(teacher, data(), None, methodist)
    active = teachers.teacher_card(teacher)
    teacher.is_active_flag = False
    db.session.commit()
    inactive = teachers.teacher_card(teacher)
    assert (inactive.status, inactive.last_day, inactive.hours_window, inactive.hours_year) == (
        active.status, active.last_day, active.hours_window, active.hours_year,
    )  # fmt: skip


# --- providers' lists -----------------------------------------------------------------------

HEADER = (
    "ФИО;e-mail;программа;организация;часы;"
    "дата начала;дата окончания;вид документа;номер документа\n"
)


@pytest.fixture
def district(org, teacher, other_teacher):  # type: ignore[no-untyped-def]
    make_user(email="twin1@school.ru", name=("Кузнецова", "Анна", "Сергеевна"), organization=org)
    make_user(email="twin2@school.ru", name=("Кузнецова", "Анна", "Сергеевна"), organization=org)
    make_user(Role.METHODIST, email="m2@imc.ru", name=("Методистова", "Анна", "Ивановна"))


def csv_file(tmp_path, body: str, name: str = "list.csv"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


GOOD = (
    "Смирнова Ольга Ивановна;;Функциональная грамотность;ИРО;72;"
    "01.02.2025;28.02.2025;удостоверение;7701\n"
    ";other@school.ru;Функциональная грамотность;ИРО;72;01.02.2025;28.02.2025;удостоверение;7702\n"
)
BAD = (
    "Иванов Иван Иванович;;Функциональная грамотность;ИРО;72;01.02.2025;28.02.2025;;\n"
    "Кузнецова Анна Сергеевна;;Функциональная грамотность;ИРО;72;01.02.2025;28.02.2025;;\n"
    "смирнова ольга ивановна;;Наставничество;ИРО;семьдесят;01.02.2025;28.02.2025;;\n"
    ";other@school.ru;Наставничество;ИРО;-8;10.03.2025;01.03.2025;;\n"
    ";m2@imc.ru;Наставничество;ИРО;36;01.02.2025;28.02.2025;;\n"
    ";ghost@school.ru;Наставничество;ИРО;36;01.02.2025;31.02.2025;;\n"
    "Петров Пётр Петрович;teacher@school.ru;Наставничество;;36;;28.02.2025;;\n"
)


def test_import_preview_lists_every_rows_problems(tmp_path, district):
    preview = provider_import.build_import_preview(csv_file(tmp_path, GOOD + BAD), 100)
    by_line = {row.line: row for row in preview.rows}
    assert [r.action for r in preview.rows] == ["create"] * 2 + ["error"] * 7
    assert "не найден среди действующих педагогов" in by_line[4].errors[0]
    assert (
        "несколько педагогов" in by_line[5].errors[0] and "укажите e-mail" in by_line[5].errors[0]
    )
    assert by_line[6].teacher is not None  # case does not matter for the name
    assert by_line[6].errors == ["Часы «семьдесят» — нужно целое число академических часов."]
    assert any("от 1 до 2000" in e for e in by_line[7].errors)
    assert any("Дата начала не может быть позже даты окончания" in e for e in by_line[7].errors)
    assert "не педагог" in by_line[8].errors[0]
    assert any("не найден" in e for e in by_line[9].errors)
    assert any("«31.02.2025» не распознана" in e for e in by_line[9].errors)
    assert any("принадлежит педагогу Смирнова Ольга Ивановна" in e for e in by_line[10].errors)
    assert any("Укажите организацию" in e for e in by_line[10].errors)


def test_import_writes_valid_rows_verified_and_reimport_is_a_no_op(
    tmp_path, district, methodist, teacher
):
    claim = data(programme="Функциональная грамотность", starts_on=None, ends_on=date(2025, 2, 28))
    pending = records.record_training(teacher, claim, None, teacher)
    path = csv_file(tmp_path, GOOD + GOOD.splitlines(keepends=True)[0] + BAD)
    preview = provider_import.build_import_preview(path, 100)
    assert preview.rows[2].action == "skip" and "Повторяет строку 2" in preview.rows[2].notes[0]
    assert "неподтверждённая запись" in preview.rows[0].notes[0]
    result = provider_import.apply_import(path, 100, methodist)
    assert (result.created, result.skipped, result.errors) == (2, 1, 7)
    imported = list(
        db.session.execute(
            select(ExternalTraining).where(ExternalTraining.source == "import")
        ).scalars()
    )
    assert {(r.status, r.hours, r.ends_on, r.reviewed_by_id) for r in imported} == {
        ("verified", 72, date(2025, 2, 28), methodist.id)
    }
    assert register_row(teacher).hours_window == 72
    again = provider_import.apply_import(path, 100, methodist)
    assert (again.created, again.skipped) == (0, 3)
    assert record_count() == 3
    with pytest.raises(ValidationError, match="уже учтено"):
        records.verify(pending, methodist)


def test_import_is_all_or_nothing(tmp_path, district, methodist, monkeypatch):
    """The first row reaches the database, the second fails: neither stays."""
    path = csv_file(tmp_path, GOOD)
    real_add = db.session.add
    added: list[object] = []

    def add_then_fail(instance, *args, **kwargs):  # type: ignore[no-untyped-def]
        if added:
            raise RuntimeError("the database went away")
        real_add(instance, *args, **kwargs)
        db.session.flush()
        added.append(instance)

    monkeypatch.setattr(db.session, "add", add_then_fail)
    with pytest.raises(RuntimeError):
        provider_import.apply_import(path, 100, methodist)
    monkeypatch.undo()
    assert len(added) == 1
    assert record_count() == 0


def test_import_refuses_bad_files(tmp_path, district):
    with pytest.raises(ValidationError, match="нет обязательных столбцов"):
        path = tmp_path / "x.csv"
        path.write_text("ФИО;программа\nИванов Иван;X\n", encoding="utf-8")
        provider_import.build_import_preview(path, 100)
    with pytest.raises(ValidationError, match="больше 1 строк"):
        provider_import.build_import_preview(csv_file(tmp_path, GOOD), 1)
    with pytest.raises(ValidationError, match="CSV и XLSX"):
        provider_import.build_import_preview(csv_file(tmp_path, GOOD, "list.txt"), 100)
    cp1251 = tmp_path / "win.csv"
    cp1251.write_bytes((HEADER + GOOD).encode("cp1251"))
    assert [r.action for r in provider_import.build_import_preview(cp1251, 100).rows] == [
        "create",
        "create",
    ]


def test_import_xlsx_with_real_dates_and_numbers(tmp_path, district):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["e-mail", "Программа", "Организация", "Часы", "Дата начала", "Дата окончания"])
    sheet.append(
        [
            "TEACHER@school.ru",
            "Цифровая школа",
            "ЦНППМ",
            36,
            datetime(2025, 3, 1),
            datetime(2025, 3, 14),
        ]
    )
    sheet.append(
        ["other@school.ru", "Цифровая школа", "ЦНППМ", 36.0, "01.03.2025", "14.03.2025 г."]
    )
    sheet.append(["other@school.ru", "Цифровая школа", "ЦНППМ", 36.5, "01.03.2025", "15.03.2025"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    rows = provider_import.build_import_preview(path, 100).rows
    assert [r.action for r in rows] == ["create", "create", "error"]
    assert rows[0].values["ends_on"] == date(2025, 3, 14) and rows[1].values["hours"] == 36
    assert "целое число" in rows[2].errors[0]


def test_import_pages_preview_then_confirm(client, tmp_path, district, methodist):
    login(client, methodist)
    content = (HEADER + GOOD + BAD).encode("utf-8")
    response = post_multipart(
        client,
        "/training/import",
        {"file": FileStorage(io.BytesIO(content), filename="список.csv")},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "будет внесено: 2" in text and "с ошибками: 7" in text
    assert "несколько педагогов" in text and "не найден среди действующих педагогов" in text
    assert record_count() == 0  # the preview writes nothing
    done = client.post("/training/import/confirm")
    assert "Внесено и учтено в реестре записей: 2" in done.get_data(as_text=True)
    assert record_count() == 2
    assert list((Path(current_app.instance_path) / "imports").glob("training-*")) == []
    again = client.post("/training/import/confirm", follow_redirects=True)
    assert "Загрузите его ещё раз" in again.get_data(as_text=True)
    assert record_count() == 2


def test_import_pending_file_belongs_to_its_uploader(client, district, methodist):
    login(client, methodist)
    content = (HEADER + GOOD).encode("utf-8")
    upload = FileStorage(io.BytesIO(content), filename="a.csv")
    post_multipart(client, "/training/import", {"file": upload})
    with client.session_transaction() as sess:
        sess["training_import"] = {**sess["training_import"], "user": methodist.id + 1000}
    response = client.post("/training/import/confirm", follow_redirects=True)
    assert "Загрузите его ещё раз" in response.get_data(as_text=True)
    assert record_count() == 0


def test_import_page_shows_a_bad_list_beside_the_file_and_keeps_nothing(client, methodist):
    login(client, methodist)
    content = "ФИО;программа\nИванов Иван;Наставничество\n".encode()
    response = post_multipart(
        client, "/training/import", {"file": FileStorage(io.BytesIO(content), filename="a.csv")}
    )
    assert response.status_code == 200
    assert "нет обязательных столбцов" in response.get_data(as_text=True)
    assert list((Path(current_app.instance_path) / "imports").glob("training-*")) == []
    confirm = client.post("/training/import/confirm", follow_redirects=True)
    assert "Загрузите его ещё раз" in confirm.get_data(as_text=True)
    assert record_count() == 0
