"""The audit log: who changed which person or document, in the same transaction, admins only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import audit, create_app
from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.core.logging_setup import init_logging
from app.extensions import db
from config import TestConfig
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, login, make_user


@pytest.fixture(scope="module")
def audited_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on the suite's database with the journal and recorder set up by init_app."""
    fresh = create_app(
        TestConfig(instance_path=Path(tmp_path_factory.mktemp("audit-instance"))),
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    init_logging(fresh)  # both are no-ops once create_app calls them
    audit.init_app(fresh)
    fresh.test_client_class = IsolatedClient
    yield fresh
    with fresh.app_context():
        db.engine.dispose()


def entries(*actions: str) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if actions:
        query = query.where(AuditEntry.action.in_(actions))
    return list(db.session.execute(query).scalars())


def all_text() -> str:
    return "\n".join(
        " ".join(str(v) for v in (e.actor_name, e.action, e.target_name, e.details))
        for e in entries()
    )


def admin_client(audited_app: Flask):  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN, email="chief@rmk.ru", name=("Главная", "Ольга", "Ивановна"))
    client = audited_app.test_client()
    assert login(client, admin).status_code == 302
    return admin, client


def test_a_role_change_by_an_admin_is_recorded_with_actor_target_and_both_roles(audited_app):
    admin, client = admin_client(audited_app)
    teacher = make_user(email="pupkina@school.ru", name=("Пупкина", "Анна", "Петровна"))
    response = client.post(
        f"/admin/users/{teacher.id}",
        data={
            "last_name": "Пупкина",
            "first_name": "Анна",
            "patronymic": "Петровна",
            "email": "pupkina@school.ru",
            "role": "methodist",
            "organization_id": "",
        },
        headers={"X-Request-ID": "req-role-change-01"},
    )
    assert response.status_code == 302
    [entry] = entries("user.role")
    assert (entry.actor_id, entry.actor_name, entry.actor_role) == (
        admin.id,
        "Главная О.И.",
        "admin",
    )
    assert (entry.target_type, entry.target_id) == ("user", teacher.id)
    assert entry.target_name == "Пупкина Анна Петровна"
    assert json.loads(entry.details) == {"changes": {"role": ["teacher", "methodist"]}}
    assert entry.request_id == "req-role-change-01"
    # Only the role changed: no second "data changed" entry for the same save.
    assert entries("user.update") == []

    page = client.get("/admin/audit/", query_string={"action": "user.role"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Изменена роль" in html and "Пупкина Анна Петровна" in html
    assert "Педагог → Методист" in html


def test_deactivation_and_password_set_by_admin_are_recorded_without_the_hash(audited_app):
    admin, client = admin_client(audited_app)
    teacher = make_user(email="sidorov@school.ru", name=("Сидоров", "Пётр", "Ильич"))
    response = client.post(
        f"/admin/users/{teacher.id}/password", data={"password": "New-pass-2026"}
    )
    assert response.status_code == 302
    client.post(f"/admin/users/{teacher.id}/active", data={"active": "0"})
    client.post(f"/admin/users/{teacher.id}/active", data={"active": "1"})
    recorded = [(e.action, e.actor_id, e.target_id) for e in entries()]
    assert recorded[-3:] == [
        ("user.password", admin.id, teacher.id),
        ("user.deactivate", admin.id, teacher.id),
        ("user.activate", admin.id, teacher.id),
    ]
    [password_entry] = entries("user.password")
    assert json.loads(password_entry.details) == {"must_change_password": True}
    hashes = db.session.execute(select(User.password_hash, User.session_token)).all()
    text = all_text()
    for password_hash, token in hashes:
        assert password_hash not in text and password_hash.split("$")[-1] not in text
        assert token not in text
    assert "New-pass-2026" not in text and PASSWORD not in text


def test_created_users_are_recorded_and_a_cli_change_names_the_system(audited_app):
    teacher = make_user(email="new@school.ru", name=("Новикова", "Вера", "Олеговна"))
    [created] = entries("user.create")
    assert (created.actor_id, created.actor_role, created.target_id) == (None, "system", teacher.id)
    assert created.actor_name == "Система (командная строка, фоновые задачи)"
    details = json.loads(created.details)
    assert details == {
        "email": "new@school.ru",
        "must_change_password": False,
        "organization": None,
        "position": "учитель",
        "role": "teacher",
    }
    assert "password_hash" not in created.details


def test_a_document_issued_on_a_teachers_completion_names_the_system(audited_app):
    from app.courses.models import Certificate
    from tests.factories import make_course

    methodist = make_user(Role.METHODIST, email="m3@imc.ru")
    teacher = make_user(email="t3@school.ru", name=("Сидорова", "Анна", "Павловна"))
    course = make_course(methodist, modules=("opened",))
    client = audited_app.test_client()
    assert login(client, teacher).status_code == 302
    client.post(f"/courses/{course.id}/enrol")
    client.get(f"/courses/{course.id}/modules/{course.modules[0].id}")
    certificate = db.session.execute(select(Certificate)).scalar_one()
    [issue] = entries("certificate.issue")
    assert (issue.actor_id, issue.actor_name, issue.target_id) == (
        None,
        "Система (курс завершён)",
        certificate.id,
    )


def test_a_teachers_own_password_change_and_sign_in_are_not_audited(audited_app):
    teacher = make_user(email="self@school.ru")
    before = len(entries())
    client = audited_app.test_client()
    assert login(client, teacher).status_code == 302
    accounts_page = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Other-pass-77",
            "confirm": "Other-pass-77",
        },
    )
    assert accounts_page.status_code == 302
    client.post("/logout")
    assert len(entries()) == before


def test_a_rolled_back_change_leaves_no_entry(audited_app):
    teacher = make_user(email="rb@school.ru")
    before = len(entries())
    teacher.role = Role.ADMIN
    db.session.flush()
    assert len(entries()) == before + 1  # written with the change, in its transaction
    db.session.rollback()
    assert len(entries()) == before


def test_entries_cannot_be_changed_or_deleted_through_the_session(audited_app):
    make_user(email="ro@school.ru")
    [entry] = entries("user.create")
    entry.target_name = "подделка"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    [entry] = entries("user.create")
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.METHODIST, Role.MANAGER])
def test_only_admins_see_the_journal(audited_app, role):
    user = make_user(role, email=f"{role}@school.ru")
    client = audited_app.test_client()
    assert client.get("/admin/audit/").status_code == 302  # anonymous: to the login page
    assert login(client, user).status_code == 302
    assert client.get("/admin/audit/").status_code == 404


def test_journal_filters_by_actor_kind_and_date_and_pages(audited_app):
    admin, client = admin_client(audited_app)
    audited_app.config["AUDIT_PER_PAGE"] = 2
    try:
        for n in range(3):
            make_user(email=f"bulk{n}@school.ru", name=(f"Фамилия{n}", "Имя", "Отчество"))
        html = client.get("/admin/audit/", query_string={"action": "user.create"}).get_data(
            as_text=True
        )
        # The admin and three teachers were created: 4 entries, 2 pages.
        assert html.count('data-action="user.create"') == 2
        assert "Всего: 4" in html
        page2 = client.get("/admin/audit/", query_string={"action": "user.create", "page": 2})
        assert page2.get_data(as_text=True).count('data-action="user.create"') == 2
        by_admin = client.get("/admin/audit/", query_string={"actor": admin.id})
        assert "Записей нет." in by_admin.get_data(as_text=True)
        future = client.get("/admin/audit/", query_string={"from": "2999-01-01"})
        assert "Записей нет." in future.get_data(as_text=True)
        today = client.get("/admin/audit/", query_string={"from": "2000-01-01", "to": "2999-12-31"})
        assert today.get_data(as_text=True).count('data-action="user.create"') == 2
    finally:
        audited_app.config["AUDIT_PER_PAGE"] = 50


def test_documents_issued_duplicated_and_revoked_are_recorded(audited_app):
    from app.courses import enrolment, learning
    from app.courses.models import Certificate
    from tests.factories import make_course

    methodist = make_user(Role.METHODIST, email="m@imc.ru", name=("Орлова", "Вера", "Юрьевна"))
    teacher = make_user(email="t@school.ru", name=("Сидорова", "Анна", "Павловна"))
    course = make_course(methodist, modules=("opened",))
    enrolment.enrol_self(teacher, course)
    learning.record_module_open(teacher, course.modules[0])
    original = db.session.execute(select(Certificate)).scalar_one()
    client = audited_app.test_client()
    assert login(client, methodist).status_code == 302
    assert client.post(f"/certificates/{original.id}/duplicate").status_code == 302
    duplicate = db.session.execute(
        select(Certificate).where(Certificate.duplicate_of_id == original.id)
    ).scalar_one()
    url = f"/certificates/{duplicate.id}/revoke"
    assert client.post(url, data={"reason": "Ошибка в фамилии"}).status_code == 302

    recorded = [
        (e.action, e.actor_name, e.target_id, json.loads(e.details))
        for e in entries("certificate.issue", "certificate.duplicate", "certificate.revoke")
    ]
    issue, dup, revoke_original, revoke_duplicate = recorded
    assert issue[0] == "certificate.issue" and issue[2] == original.id
    # Issued by the platform when the course was completed (outside a request here).
    assert issue[1] == "Система (командная строка, фоновые задачи)"
    assert issue[3]["number"] == original.number and issue[3]["course"] == course.title
    assert dup[:3] == ("certificate.duplicate", "Орлова В.Ю.", duplicate.id)
    assert dup[3]["duplicate_of"] == original.number
    assert revoke_original[:3] == ("certificate.revoke", "Орлова В.Ю.", original.id)
    assert revoke_original[3] == {"reason": f"Выдан дубликат № {duplicate.number}"}
    assert revoke_duplicate[:3] == ("certificate.revoke", "Орлова В.Ю.", duplicate.id)
    assert revoke_duplicate[3] == {"reason": "Ошибка в фамилии"}


def test_external_training_verified_and_returned_by_a_methodist_are_recorded(audited_app):
    from datetime import date

    from app.training import records
    from app.training.validation import TrainingData

    methodist = make_user(Role.METHODIST, email="m2@imc.ru", name=("Орлова", "Вера", "Юрьевна"))
    teacher = make_user(email="t2@school.ru", name=("Смирнова", "Ольга", "Ивановна"))

    def own(programme: str):  # type: ignore[no-untyped-def]
        values = TrainingData(
            provider="ИРО",
            programme=programme,
            hours=36,
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 5, 20),
            document_type="удостоверение о повышении квалификации",
            document_number="772700012345" if programme.startswith("Ц") else "772700012346",
        )
        return records.record_training(teacher, values, None, teacher)

    first, second = own("Цифровая школа"), own("Функциональная грамотность")
    client = audited_app.test_client()
    assert login(client, methodist).status_code == 302
    assert client.post(f"/training/{first.id}/verify").status_code == 302
    url = f"/training/{second.id}/return"
    assert client.post(url, data={"comment": "Нет скана удостоверения"}).status_code == 302
    recorded = [
        (e.action, e.actor_id, e.target_id, e.target_name, json.loads(e.details))
        for e in entries("training.verify", "training.return")
    ]
    assert recorded == [
        (
            "training.verify",
            methodist.id,
            first.id,
            "Смирнова О.И.: Цифровая школа",
            {"changes": {"status": ["pending", "verified"]}},
        ),
        (
            "training.return",
            methodist.id,
            second.id,
            "Смирнова О.И.: Функциональная грамотность",
            {
                "changes": {"status": ["pending", "returned"]},
                "comment": "Нет скана удостоверения",
            },
        ),
    ]


def test_a_teacher_import_records_each_new_account_as_imported(audited_app):
    import io

    from werkzeug.datastructures import FileStorage

    from tests.factories import make_org, post_multipart

    make_org("МБОУ СОШ № 1")
    admin, client = admin_client(audited_app)
    content = (
        "ФИО;e-mail;организация;должность;предметы\n"
        "Иванова Мария Петровна;ivanova@school.ru;МБОУ СОШ № 1;учитель математики;\n"
        "Петров Пётр Ильич;petrov@school.ru;МБОУ СОШ № 1;учитель физики;\n"
    ).encode()
    file = FileStorage(io.BytesIO(content), filename="teachers.csv")
    assert post_multipart(client, "/admin/import", {"file": file}).status_code == 200
    assert client.post("/admin/import/confirm").status_code == 200
    recorded = [
        (e.action, e.actor_id, e.target_name, json.loads(e.details)["organization"])
        for e in entries("user.import", "user.create")
        if e.actor_id == admin.id
    ]
    assert recorded == [
        ("user.import", admin.id, "Иванова Мария Петровна", "МБОУ СОШ № 1"),
        ("user.import", admin.id, "Петров Пётр Ильич", "МБОУ СОШ № 1"),
    ]
    # Imported accounts must replace their temporary password at first sign-in.
    assert "must_change_password" in entries("user.import")[0].details
    assert json.loads(entries("user.import")[0].details)["must_change_password"] is True
