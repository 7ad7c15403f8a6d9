"""The course list pages run a fixed number of queries, however many rows they show
(Zulip's assert_database_query_count): each page is measured with 3 and with 20 rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import directory
from app.accounts.models import Role
from app.courses import authoring, enrolment, learning
from app.extensions import db
from tests.factories import login, make_course, make_org, make_user

SIZES = [3, 20]
# Measured once the N+1s were gone (the catalog ran 23 for 20 courses, the methodist's
# list 25): the same for 3 rows and for 20.
CATALOG = 4  # the user, open courses, their subjects, which of them the user takes
MY_LEARNING = 9
MANAGE_LIST = 6
ENROLMENTS = 15
MATRIX = 12
REGISTER = 4


def client_for(app: Flask, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, user)
    return client


def teachers(n: int, orgs: list[Any]) -> list[Any]:
    return [
        make_user(
            email=f"t{i}@school.ru",
            organization=orgs[i % len(orgs)],
            name=(f"Учителева{i:02d}", "Анна", "Петровна"),
        )
        for i in range(n)
    ]


@pytest.fixture
def office():  # type: ignore[no-untyped-def]
    subject = directory.save_subject("Математика")
    orgs = [make_org(f"МБОУ СОШ № {n}") for n in (1, 2, 3)]
    methodist = make_user(Role.METHODIST, email="m@school.ru", name=("Методистова", "Вера", ""))
    colleague = make_user(Role.METHODIST, email="m2@school.ru", name=("Коллегова", "Ия", ""))
    return {"subject": subject, "orgs": orgs, "methodist": methodist, "colleague": colleague}


def courses_with_subjects(office, n: int) -> list[Any]:  # type: ignore[no-untyped-def]
    made = []
    for i in range(n):
        author = office["methodist"] if i % 2 else office["colleague"]
        course = make_course(author, title=f"Курс {i:02d}", modules=("opened",))
        data = authoring.CourseData(
            title=course.title, hours=36, subject_ids=[office["subject"].id],
            author_ids=[author.id],
        )  # fmt: skip
        authoring.update_course(course, data, author)
        made.append(course)
    return made


def finish(teacher, course) -> None:  # type: ignore[no-untyped-def]
    enrolment.enrol_self(teacher, course)
    learning.record_module_open(teacher, course.modules[0])


@pytest.mark.parametrize("n", SIZES)
def test_teacher_course_catalog(app, queries, office, n):
    courses = courses_with_subjects(office, n)
    [teacher] = teachers(1, office["orgs"])
    for course in courses[::2]:
        enrolment.enrol_self(teacher, course)
    client = client_for(app, teacher)
    db.session.expunge_all()
    with queries(CATALOG):
        html = client.get("/courses").get_data(as_text=True)
    assert html.count("course-card") >= n and "Математика" in html


@pytest.mark.parametrize("n", SIZES)
def test_my_learning(app, queries, office, n):
    courses = courses_with_subjects(office, n)
    [teacher] = teachers(1, office["orgs"])
    for i, course in enumerate(courses):
        if i % 2:
            finish(teacher, course)
        else:
            enrolment.enrol_self(teacher, course)
    client = client_for(app, teacher)
    db.session.expunge_all()
    with queries(MY_LEARNING):
        html = client.get("/learning").get_data(as_text=True)
    assert "Курс 00" in html and f"Курс {n - 1:02d}" in html


@pytest.mark.parametrize("n", SIZES)
def test_methodist_course_list(app, queries, office, n):
    courses = courses_with_subjects(office, n)
    for teacher, course in zip(teachers(n, office["orgs"]), courses, strict=True):
        finish(teacher, course)
    client = client_for(app, office["methodist"])
    db.session.expunge_all()
    with queries(MANAGE_LIST):
        html = client.get("/courses/manage").get_data(as_text=True)
    assert f"Курс {n - 1:02d}" in html


def one_course_with_learners(office, n: int) -> Any:  # type: ignore[no-untyped-def]
    course = make_course(office["methodist"], title="Большой курс", modules=("opened", "studied"))
    people = teachers(n, office["orgs"])
    admin = make_user(Role.ADMIN, email="a@school.ru", name=("Админова", "Ия", ""))
    enrolment.enrol_users(course, [p.id for p in people[::2]], office["methodist"])
    enrolment.enrol_users(course, [p.id for p in people[1::2]], admin)
    for person in people[::3]:
        learning.record_module_open(person, course.modules[0])
    return course


@pytest.mark.parametrize("n", SIZES)
def test_enrolments_page(app, queries, office, n):
    course = one_course_with_learners(office, n)
    client = client_for(app, office["methodist"])
    db.session.expunge_all()
    with queries(ENROLMENTS):
        html = client.get(f"/courses/{course.id}/enrollments").get_data(as_text=True)
    assert f"Учителева{n - 1:02d}" in html


@pytest.mark.parametrize("n", SIZES)
def test_progress_matrix(app, queries, office, n):
    course = one_course_with_learners(office, n)
    client = client_for(app, office["colleague"])
    db.session.expunge_all()
    with queries(MATRIX):
        html = client.get(f"/courses/{course.id}/matrix").get_data(as_text=True)
    assert f"Учителева{n - 1:02d}" in html


@pytest.mark.parametrize("n", SIZES)
def test_document_register(app, queries, office, n):
    courses = courses_with_subjects(office, 2)
    for i, teacher in enumerate(teachers(n, office["orgs"])):
        finish(teacher, courses[i % 2])
    client = client_for(app, office["methodist"])
    db.session.expunge_all()
    with queries(REGISTER):
        html = client.get("/certificates").get_data(as_text=True)
    assert html.count("/revoke") == n
