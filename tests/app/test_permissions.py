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


# --- services check their own permission: no view can forget it ----------------------


def _account_actions(target, org, subject):  # type: ignore[no-untyped-def]
    from app.accounts import directory
    from app.accounts import services as accounts

    data = accounts.UserData(email="new@school.ru", last_name="Новая", first_name="Анна")
    return {
        "create_user": lambda actor: accounts.create_user(data, "pass-1234", actor=actor),
        "update_user": lambda actor: accounts.update_user(target, data, actor=actor),
        "set_password": lambda actor: accounts.set_password(target, "pass-1234", actor=actor),
        "set_active": lambda actor: accounts.set_active(target, False, actor=actor),
        "end_all_sessions": lambda actor: accounts.end_all_sessions(target, actor=actor),
        "save_organization": lambda actor: directory.save_organization(
            directory.OrganizationData(full_name="Новая школа", short_name="НШ"), actor=actor
        ),
        "delete_organization": lambda actor: directory.delete_organization(org, actor=actor),
        "save_subject": lambda actor: directory.save_subject("Астрономия", actor=actor),
        "delete_subject": lambda actor: directory.delete_subject(subject, actor=actor),
        "save_association": lambda actor: directory.save_association(
            directory.AssociationData(name="МО физиков"), actor=actor
        ),
    }


@pytest.mark.parametrize("role", [Role.TEACHER, Role.METHODIST, Role.MANAGER])
def test_account_services_refuse_non_admins_and_change_nothing(role):
    from app.core.errors import PermissionDenied

    org, subject = make_org(), make_subject()
    target = make_user(Role.TEACHER, email="target@school.ru", organization=org)
    actor = make_user(role, email="actor@school.ru")
    token = target.session_token
    for name, action in _account_actions(target, org, subject).items():
        with pytest.raises(PermissionDenied):
            action(actor)
        db.session.expire_all()
        assert target.session_token == token and target.is_active, name
    assert db.session.execute(select(User.email).order_by(User.email)).scalars().all() == [
        "actor@school.ru",
        "target@school.ru",
    ]


def test_inside_a_request_an_account_service_acts_for_the_signed_in_user(app):
    """A caller that passes no actor is checked against whoever is signed in."""
    from flask_login import login_user

    from app.accounts import services as accounts
    from app.core.errors import PermissionDenied

    teacher = make_user(Role.TEACHER, email="t@school.ru")
    target = make_user(Role.TEACHER, email="x@school.ru")
    with app.test_request_context("/"):
        with pytest.raises(PermissionDenied):  # anonymous
            accounts.set_active(target, False)
        login_user(teacher)
        with pytest.raises(PermissionDenied):
            accounts.set_active(target, False)
    db.session.refresh(target)
    assert target.is_active
    accounts.set_active(target, False)  # the console (no request) may
    db.session.refresh(target)
    assert not target.is_active


def test_materials_services_refuse_what_the_actor_may_not_do(tmp_path):
    from app.core.errors import NotFound, PermissionDenied
    from app.materials import bulk_import, catalog, collections
    from app.materials import services as materials
    from app.materials.models import Collection, Favourite
    from tests.factories import make_material

    teacher = make_user(Role.TEACHER, email="t@school.ru")
    other = make_user(Role.TEACHER, email="o@school.ru")
    manager = make_user(Role.MANAGER, email="h@school.ru")
    draft = make_material(other, action="draft")
    with pytest.raises(PermissionDenied):
        collections.save_collection("Моя коллекция", "", teacher)
    with pytest.raises(PermissionDenied):
        catalog.toggle_favourite(teacher, draft)  # someone else's draft
    with pytest.raises(PermissionDenied):
        catalog.review_page(teacher, 1)
    with pytest.raises(PermissionDenied):
        bulk_import.import_folder(tmp_path, teacher)
    with pytest.raises(PermissionDenied):
        materials.create_material(
            materials.MaterialData(title="Отчёт"),
            [materials.upload_from_bytes(b"%PDF-1.4", "a.pdf")],
            manager,
        )
    with pytest.raises(NotFound):
        materials.update_material(draft, materials.MaterialData(title="Чужое"), teacher)
    with pytest.raises(NotFound):
        materials.delete_material(draft, teacher)
    assert (
        db.session.execute(select(Collection.name).where(~Collection.is_experience_bank)).all()
        == []
    )
    assert db.session.execute(select(Favourite)).all() == []
    db.session.refresh(draft)
    assert draft.title == "Конспект урока математики"
