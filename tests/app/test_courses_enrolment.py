"""Who runs a course's enrolment: its authors and administrators, as for editing it.

Before the fix any methodist could enrol and withdraw people on any course while
only its authors could edit it.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import permissions
from app.accounts import directory
from app.accounts.models import Role
from app.core.errors import NotFound, PermissionDenied
from app.courses import enrolment
from app.courses.models import Enrollment
from app.extensions import db
from tests.factories import login, make_course, make_org, make_user


def client_for(app: Flask, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, user)
    return client


def active_enrolments() -> list[tuple[int, int]]:
    return sorted(
        db.session.execute(
            select(Enrollment.course_id, Enrollment.user_id).where(Enrollment.active.is_(True))
        ).all()
    )


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    org = make_org("МБОУ СОШ № 7")
    author = make_user(Role.METHODIST, email="author@school.ru", name=("Авторова", "Ия", ""))
    colleague = make_user(Role.METHODIST, email="other@school.ru", name=("Коллегова", "Ия", ""))
    admin = make_user(Role.ADMIN, email="admin@school.ru", name=("Админова", "Ия", ""))
    manager = make_user(Role.MANAGER, email="boss@school.ru", name=("Начальникова", "Ия", ""))
    enrolled = make_user(email="t1@school.ru", organization=org, name=("Учителева", "Ия", ""))
    free = make_user(email="t2@school.ru", organization=org, name=("Свободная", "Ия", ""))
    course = make_course(author)
    enrolment.enrol_users(course, [enrolled.id], author)
    association = directory.save_association(
        directory.AssociationData(name="РМО учителей математики", member_ids=[free.id])
    )
    return {
        "course": course,
        "org": org,
        "association": association,
        "author": author,
        "colleague": colleague,
        "admin": admin,
        "manager": manager,
        "enrolled": enrolled,
        "free": free,
    }


@pytest.mark.parametrize(
    ("who", "may"),
    [("author", True), ("admin", True), ("colleague", False), ("manager", False), ("free", False)],
)
def test_enrolment_follows_editing(world, who, may):
    user, course = world[who], world["course"]
    assert permissions.can_manage_enrollments(user, course) is may
    assert permissions.can_edit_course(user, course) is may


def test_another_methodist_gets_404_on_the_enrolment_pages_and_changes_nothing(app, world):
    client = client_for(app, world["colleague"])
    course = world["course"]
    url = f"/courses/{course.id}/enrollments"
    before = active_enrolments()
    assert before == [(course.id, world["enrolled"].id)]

    assert client.get(url).status_code == 404
    posts = [
        {"mode": "teachers", "teachers-user_ids": [str(world["free"].id)]},
        {"mode": "organization", "organization-organization_id": str(world["org"].id)},
        {"mode": "association", "association-association_id": str(world["association"].id)},
    ]
    for data in posts:
        assert client.post(url, data=data).status_code == 404, data["mode"]
    withdraw = f"{url}/{world['enrolled'].id}/withdraw"
    assert client.post(withdraw).status_code == 404

    db.session.expire_all()
    assert active_enrolments() == before
    assert db.session.execute(select(func.count()).select_from(Enrollment)).scalar_one() == 1
    # The course list and the builder offer no enrolment buttons to them.
    assert url not in client.get("/courses/manage").get_data(as_text=True)
    assert url not in client.get(f"/courses/{course.id}/builder").get_data(as_text=True)


def test_the_services_refuse_another_methodist_themselves(world):
    course, colleague = world["course"], world["colleague"]
    actions = [
        lambda: enrolment.enrol_users(course, [world["free"].id], colleague),
        lambda: enrolment.enrol_organization(course, world["org"].id, colleague),
        lambda: enrolment.enrol_association(course, world["association"].id, colleague),
        lambda: enrolment.withdraw(course, world["enrolled"].id, colleague),
    ]
    for action in actions:
        with pytest.raises(PermissionDenied):
            action()
    db.session.expire_all()
    assert active_enrolments() == [(course.id, world["enrolled"].id)]


@pytest.mark.parametrize("who", ["author", "admin"])
def test_the_author_and_an_administrator_run_enrolment(app, world, who):
    client = client_for(app, world[who])
    course = world["course"]
    url = f"/courses/{course.id}/enrollments"
    assert client.get(url).status_code == 200
    response = client.post(
        url, data={"mode": "teachers", "teachers-user_ids": [str(world["free"].id)]}
    )
    assert response.status_code == 302
    response = client.post(f"{url}/{world['enrolled'].id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert active_enrolments() == [(course.id, world["free"].id)]


def test_an_unknown_organization_or_association_is_404(app, world):
    client = client_for(app, world["author"])
    url = f"/courses/{world['course'].id}/enrollments"
    with pytest.raises(NotFound):
        enrolment.enrol_organization(world["course"], 999_999, world["author"])
    assert client.post(f"{url}/999999/withdraw").status_code == 404
    assert client.post(f"{url}/{world['free'].id}/withdraw").status_code == 404
