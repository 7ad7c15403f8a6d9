"""The administration UI: people, organizations, subjects, methodical associations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts import directory
from app.accounts.models import MethodicalAssociation, Organization, Role, Subject, User
from app.core.errors import ValidationError
from app.extensions import db
from tests.factories import login, make_org, make_subject, make_user


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    login(client, make_user(Role.ADMIN, email="admin@school.ru", name=("Админов", "Пётр", "")))
    return client


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_user_list_search_is_case_insensitive_for_cyrillic(admin_client):
    make_user(email="a@school.ru", name=("Ёлкина", "Мария", "Ивановна"))
    make_user(email="b@school.ru", name=("Петров", "Олег", "Ильич"))
    page = text(admin_client.get("/admin/users", query_string={"q": "елкина"}))
    assert "Ёлкина Мария Ивановна" in page
    assert "Петров" not in page
    page = text(admin_client.get("/admin/users", query_string={"q": "ПЕТРОВ олег"}))
    assert "Петров Олег Ильич" in page
    assert "Ёлкина" not in page
    page = text(admin_client.get("/admin/users", query_string={"q": "b@school"}))
    assert "Петров" in page


def test_user_list_filters_and_paging(admin_client, app):
    school = make_org("Школа А")
    other = make_org("Школа Б")
    for n in range(30):
        make_user(
            email=f"t{n}@school.ru", name=("Учитель", f"Номер{n:02d}", ""), organization=school
        )
    make_user(
        Role.METHODIST, email="m@school.ru", name=("Методистова", "Вера", ""), organization=other
    )
    page1 = text(admin_client.get("/admin/users", query_string={"org": school.id}))
    assert page1.count("Учитель Номер") == app.config["USERS_PER_PAGE"]
    assert "Всего: 30" in page1
    page2 = text(admin_client.get("/admin/users", query_string={"org": school.id, "page": 2}))
    assert page2.count("Учитель Номер") == 30 - app.config["USERS_PER_PAGE"]
    methodists = text(admin_client.get("/admin/users", query_string={"role": "methodist"}))
    assert "Методистова" in methodists and "Учитель Номер" not in methodists
    # Unknown filter values are ignored, not errors.
    assert admin_client.get("/admin/users?role=boss&org=abc&page=-5&status=x").status_code == 200


def test_create_user_and_reject_duplicates_and_bad_email(admin_client):
    org = make_org()
    subject = make_subject("Химия")
    data = {
        "last_name": "Сидорова",
        "first_name": "Анна",
        "patronymic": "Олеговна",
        "email": "Sidorova@School.ru",
        "position": "учитель химии",
        "role": "teacher",
        "organization_id": str(org.id),
        "subject_ids": [str(subject.id)],
        "password": "start-pass-1",
    }
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.email == "sidorova@school.ru")).scalar_one()
    assert user.full_name == "Сидорова Анна Олеговна"
    assert [s.name for s in user.subjects] == ["Химия"]
    assert user.organization_id == org.id
    assert user.password_hash != "start-pass-1"

    before = count(User)
    response = admin_client.post("/admin/users/new", data={**data, "email": "SIDOROVA@school.ru"})
    assert "уже есть" in text(response)
    response = admin_client.post("/admin/users/new", data={**data, "email": "not-an-email"})
    assert "Некорректный адрес электронной почты" in text(response)
    response = admin_client.post(
        "/admin/users/new", data={**data, "email": "x@y.ru", "role": "god"}
    )
    assert response.status_code == 200
    assert count(User) == before


def test_edit_user_and_deactivate(admin_client):
    user = make_user(email="edit@school.ru")
    response = admin_client.post(
        f"/admin/users/{user.id}",
        data={
            "last_name": "Новая",
            "first_name": "Фамилия",
            "email": "edit@school.ru",
            "role": "methodist",
            "organization_id": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.role == Role.METHODIST and user.last_name == "Новая"
    admin_client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    db.session.refresh(user)
    assert not user.is_active
    inactive = text(admin_client.get("/admin/users", query_string={"status": "inactive"}))
    assert "Новая Фамилия" in inactive
    assert "Новая Фамилия" not in text(admin_client.get("/admin/users"))


def test_edit_user_to_taken_email_changes_nothing(admin_client):
    make_user(email="taken@school.ru")
    user = make_user(email="mine@school.ru")
    response = admin_client.post(
        f"/admin/users/{user.id}",
        data={"last_name": "Х", "first_name": "Y", "email": "taken@school.ru", "role": "teacher"},
    )
    assert "уже есть" in text(response)
    db.session.refresh(user)
    assert user.email == "mine@school.ru" and user.last_name == "Иванова"


def test_organizations_crud(admin_client):
    response = admin_client.post(
        "/admin/organizations/new",
        data={"full_name": "МБОУ «Лицей № 7»", "short_name": "Лицей № 7", "kind": "school"},
    )
    assert response.status_code == 302
    org = db.session.execute(select(Organization)).scalar_one()
    assert "Лицей № 7" in text(admin_client.get("/admin/organizations"))
    response = admin_client.post(
        "/admin/organizations/new",
        data={"full_name": "Другое", "short_name": "Лицей № 7", "kind": "school"},
    )
    assert "уже есть" in text(response)
    response = admin_client.post(
        "/admin/organizations/new", data={"full_name": "X", "short_name": "Y", "kind": "spaceport"}
    )
    assert response.status_code == 200
    assert count(Organization) == 1
    make_user(organization=org)
    response = admin_client.post(f"/admin/organizations/{org.id}/delete", follow_redirects=True)
    assert "Нельзя удалить организацию" in text(response)
    assert count(Organization) == 1


def test_subjects_crud(admin_client):
    admin_client.post("/admin/subjects", data={"name": "  Астрономия  "})
    subject = db.session.execute(select(Subject)).scalar_one()
    assert subject.name == "Астрономия"
    assert "уже есть" in text(admin_client.post("/admin/subjects", data={"name": "Астрономия"}))
    admin_client.post(f"/admin/subjects/{subject.id}", data={"name": "Астрономия и космос"})
    db.session.refresh(subject)
    assert subject.name == "Астрономия и космос"
    admin_client.post(f"/admin/subjects/{subject.id}/delete")
    assert count(Subject) == 0


def test_associations_crud_leader_is_member(admin_client):
    subject = make_subject("Математика")
    leader = make_user(email="lead@school.ru", name=("Лидерова", "Ольга", ""))
    member = make_user(email="mem@school.ru", name=("Членова", "Ирина", ""))
    response = admin_client.post(
        "/admin/associations/new",
        data={
            "name": "РМО математиков",
            "subject_id": str(subject.id),
            "leader_id": str(leader.id),
            "member_ids": [str(member.id)],
        },
    )
    assert response.status_code == 302
    association = db.session.execute(select(MethodicalAssociation)).scalar_one()
    assert {m.id for m in association.members} == {leader.id, member.id}
    page = text(admin_client.get("/admin/associations"))
    assert "РМО математиков" in page and "Лидерова Ольга" in page
    admin_client.post(f"/admin/associations/{association.id}/delete")
    assert count(MethodicalAssociation) == 0


def test_directory_service_rejects_blank_names():
    with pytest.raises(ValidationError):
        directory.save_subject("   ")
    with pytest.raises(ValidationError):
        directory.save_organization(directory.OrganizationData(full_name="", short_name="x"))


def test_user_input_is_escaped(admin_client):
    make_user(email="xss@school.ru", name=("<script>alert(1)</script>", "Имя", ""))
    page = text(admin_client.get("/admin/users"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
