"""Role × action matrices: who reaches what, and what outsiders are told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import permissions
from app.accounts.models import Role, User
from app.extensions import db
from tests.factories import login, make_org, make_subject, make_user

ROLES = [Role.TEACHER, Role.METHODIST, Role.MANAGER, Role.ADMIN]

ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/import",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/organizations/{org}",
    "/admin/subjects",
    "/admin/subjects/{subject}",
    "/admin/associations",
    "/admin/associations/new",
]

ADMIN_ACTIONS = [
    ("/admin/users/{user}/active", {"active": "0"}),
    ("/admin/users/{user}/password", {"password": "hacked-pass-1"}),
    ("/admin/organizations/{org}/delete", {}),
    ("/admin/subjects/{subject}/delete", {}),
    (
        "/admin/users/new",
        {
            "email": "x@school.ru",
            "last_name": "Х",
            "first_name": "Х",
            "role": "admin",
            "password": "pass-1234x",
        },
    ),
]


@pytest.fixture
def objects():  # type: ignore[no-untyped-def]
    org = make_org()
    subject = make_subject()
    target = make_user(email="target@school.ru", organization=org)
    return {"user": target.id, "org": org.id, "subject": subject.id}


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.TEACHER, 404),
        (Role.METHODIST, 404),
        (Role.MANAGER, 404),
        (Role.ADMIN, 200),
    ],
)
def test_admin_pages_matrix(client, objects, url, role, expected):
    if role is not None:
        login(client, make_user(role, email=f"{role}@school.ru"))
    response = client.get(url.format(**objects))
    assert response.status_code == expected
    if expected == 302:
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("url", "data"), ADMIN_ACTIONS)
@pytest.mark.parametrize("role", [Role.TEACHER, Role.METHODIST, Role.MANAGER])
def test_admin_actions_refused_and_nothing_changes(client, objects, url, data, role):
    login(client, make_user(role, email=f"{role}@school.ru"))
    before = db.session.execute(select(User.email, User.is_active_flag, User.password_hash)).all()
    response = client.post(url.format(**objects), data=data)
    assert response.status_code == 404
    db.session.expire_all()
    after = db.session.execute(select(User.email, User.is_active_flag, User.password_hash)).all()
    assert sorted(before) == sorted(after)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reaches_its_home(client, role):
    login(client, make_user(role, email=f"{role}@school.ru"))
    titles = {
        Role.TEACHER: "Кабинет педагога",
        Role.METHODIST: "Кабинет методиста",
        Role.MANAGER: "Кабинет руководителя",
        Role.ADMIN: "Кабинет администратора",
    }
    assert titles[role] in client.get("/home").get_data(as_text=True)


def test_admin_link_only_for_admins(client):
    login(client, make_user(Role.METHODIST, email="m@school.ru"))
    assert "/admin/users" not in client.get("/home").get_data(as_text=True)


def test_missing_object_is_404_for_admin(client):
    login(client, make_user(Role.ADMIN))
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/organizations/999999").status_code == 404


class _Anon:
    is_authenticated = False
    is_active = False


@pytest.mark.parametrize(
    ("role", "manage", "view_other"),
    [
        (Role.TEACHER, False, False),
        (Role.METHODIST, False, True),
        (Role.MANAGER, False, True),
        (Role.ADMIN, True, True),
    ],
)
def test_predicates(role, manage, view_other):
    user = make_user(role, email=f"{role}@school.ru")
    other = make_user(email="other@school.ru")
    assert permissions.can_manage_users(user) is manage
    assert permissions.can_manage_directory(user) is manage
    assert permissions.can_import_teachers(user) is manage
    assert permissions.can_view_user(user, user) is True
    assert permissions.can_view_user(user, other) is view_other
    visible = set(db.session.execute(permissions.visible_users(user, select(User.id))).scalars())
    assert (other.id in visible) is view_other
    assert user.id in visible


def test_predicates_refuse_anonymous_and_inactive():
    anon = _Anon()
    assert not permissions.can_manage_users(anon)
    assert list(db.session.execute(permissions.visible_users(anon, select(User.id)))) == []
    admin = make_user(Role.ADMIN)
    admin.is_active_flag = False
    assert not permissions.can_manage_users(admin)


def test_admin_cannot_deactivate_self(client):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = client.post(
        f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "Нельзя отключить собственную учётную запись" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_active
