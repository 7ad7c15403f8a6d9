"""The methodists' course pages: who may open them, and a course's way from draft to documents."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.accounts import directory
from app.accounts.models import Role
from app.courses import authoring as courses
from app.courses import certificates, enrolment, learning
from app.courses.models import Certificate, Course, Enrollment, Module, ModuleFile, Question
from app.extensions import db
from tests.factories import (
    login,
    make_course,
    make_org,
    make_user,
    pdf_bytes,
    post_multipart,
)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def part(response, element_id: str) -> str:  # type: ignore[no-untyped-def]
    """The text of one element of a page (a table, a list), without the rest."""
    from lxml import html

    found = html.fromstring(text(response)).get_element_by_id(element_id)
    return " ".join(found.text_content().split())


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def client_for(app: Flask, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, user)
    return client


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    return make_org("МБОУ СОШ № 3")


@pytest.fixture
def methodist():  # type: ignore[no-untyped-def]
    return make_user(Role.METHODIST, email="m@school.ru", name=("Методистова", "Вера", "Ивановна"))


@pytest.fixture
def staff(app, methodist):  # type: ignore[no-untyped-def]
    return client_for(app, methodist)


# --- who may open what ---------------------------------------------------------------------


@pytest.fixture
def world(methodist, org):  # type: ignore[no-untyped-def]
    """A published course with a test, a teacher who completed it, and a document."""
    teacher = make_user(
        Role.TEACHER, email="t@school.ru", organization=org, name=("Сидорова", "Анна", "Павловна")
    )
    course = make_course(methodist, modules=("opened", "test"))
    opened, test = course.modules
    enrolment.enrol_self(teacher, course)
    learning.record_module_open(teacher, opened)
    attempt = learning.start_attempt(teacher, test)
    right = {
        str(q["id"]): [str(o["id"]) for o in q["options"] if o["correct"]]
        for q in attempt.questions
    }
    learning.submit_attempt(teacher, attempt.id, right)
    certificate = db.session.execute(select(Certificate)).scalar_one()
    return {
        "course": course,
        "module": test,
        "question": test.questions[0],
        "teacher": teacher,
        "certificate": certificate,
    }


PAGES: list[tuple[str, str, Callable[[dict], str]]] = [
    ("GET", "manage_list", lambda w: "/courses/manage"),
    ("GET", "course_new", lambda w: "/courses/new"),
    ("GET", "course_edit", lambda w: f"/courses/{w['course'].id}/edit"),
    ("GET", "builder", lambda w: f"/courses/{w['course'].id}/builder"),
    ("GET", "module_new", lambda w: f"/courses/{w['course'].id}/modules/new"),
    ("GET", "module_edit", lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/edit"),
    (
        "GET",
        "module_preview",
        lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/preview",
    ),
    ("GET", "enrollments", lambda w: f"/courses/{w['course'].id}/enrollments"),
    ("GET", "matrix", lambda w: f"/courses/{w['course'].id}/matrix"),
    ("GET", "matrix_export", lambda w: f"/courses/{w['course'].id}/matrix/export?format=csv"),
    ("GET", "history", lambda w: f"/courses/{w['course'].id}/users/{w['teacher'].id}/history"),
    ("GET", "register", lambda w: "/certificates"),
    ("GET", "register_export", lambda w: "/certificates/export?format=xlsx"),
    ("GET", "course_certificates_zip", lambda w: f"/courses/{w['course'].id}/certificates.zip"),
    ("POST", "course_new", lambda w: "/courses/new"),
    ("POST", "course_edit", lambda w: f"/courses/{w['course'].id}/edit"),
    ("POST", "course_status", lambda w: f"/courses/{w['course'].id}/status"),
    ("POST", "course_copy", lambda w: f"/courses/{w['course'].id}/copy"),
    ("POST", "module_new", lambda w: f"/courses/{w['course'].id}/modules/new"),
    ("POST", "module_edit", lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/edit"),
    ("POST", "module_move", lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/move"),
    (
        "POST",
        "module_delete",
        lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/delete",
    ),
    (
        "POST",
        "module_file_add",
        lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/files",
    ),
    (
        "POST",
        "question_add",
        lambda w: f"/courses/{w['course'].id}/modules/{w['module'].id}/questions",
    ),
    (
        "POST",
        "question_delete",
        lambda w: (
            f"/courses/{w['course'].id}/modules/{w['module'].id}"
            f"/questions/{w['question'].id}/delete"
        ),
    ),
    ("POST", "enrollments", lambda w: f"/courses/{w['course'].id}/enrollments"),
    (
        "POST",
        "enrollment_withdraw",
        lambda w: f"/courses/{w['course'].id}/enrollments/{w['teacher'].id}/withdraw",
    ),
    ("POST", "certificate_revoke", lambda w: f"/certificates/{w['certificate'].id}/revoke"),
    ("POST", "certificate_duplicate", lambda w: f"/certificates/{w['certificate'].id}/duplicate"),
]
PROGRESS_PAGES = {
    "matrix",
    "matrix_export",
    "history",
    "register",
    "register_export",
    "course_certificates_zip",
}
IDS = [f"{method} {name}" for method, name, _ in PAGES]


@pytest.mark.parametrize(("method", "name", "url"), PAGES, ids=IDS)
def test_teacher_gets_404_everywhere(app, world, method, name, url):
    client = client_for(app, world["teacher"])
    response = client.open(url(world), method=method, data={"status": "archived"})
    assert response.status_code == 404
    assert world["course"].status == "published"
    assert count(Certificate) == 1


@pytest.mark.parametrize(("method", "name", "url"), PAGES, ids=IDS)
def test_manager_reads_progress_and_register_only(app, world, method, name, url):
    manager = make_user(Role.MANAGER, email="boss@school.ru", name=("Начальникова", "Ольга", ""))
    client = client_for(app, manager)
    response = client.open(url(world), method=method, data={"status": "archived", "reason": "x"})
    expected = 200 if method == "GET" and name in PROGRESS_PAGES else 404
    assert response.status_code == expected
    assert count(Certificate, Certificate.status == "valid") == 1


@pytest.mark.parametrize(
    ("method", "name", "url"),
    [p for p in PAGES if p[0] == "GET"],
    ids=[i for i in IDS if i.startswith("GET")],
)
def test_methodist_opens_every_page(staff, world, method, name, url):
    assert staff.get(url(world)).status_code == 200


def test_signed_out_visitor_is_sent_to_login(client, world):
    response = client.get(f"/courses/{world['course'].id}/matrix")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/certificates/{world['certificate'].id}/revoke", data={"reason": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_methodist_who_is_not_an_author_sees_but_cannot_change(app, world):
    colleague = make_user(Role.METHODIST, email="m2@school.ru", name=("Коллегова", "Ия", ""))
    client = client_for(app, colleague)
    course = world["course"]
    page = text(client.get(f"/courses/{course.id}/builder"))
    assert "Изменять курс могут его авторы." in page
    assert client.get(f"/courses/{course.id}/edit").status_code == 404
    assert (
        client.post(f"/courses/{course.id}/status", data={"status": "archived"}).status_code == 404
    )
    # Copying makes a course of their own.
    response = client.post(f"/courses/{course.id}/copy")
    assert response.status_code == 302
    assert count(Course) == 2


# --- a course from draft to published -------------------------------------------------------


def _course_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Функциональная грамотность: читательская",
        "annotation": "Курс для учителей 5–9 классов.",
        "goals": "Научиться составлять задания.",
        "hours": "36",
        "format": "distance",
        "document_type": "qualification",
        "levels": ["basic"],
        "positions": "учителя русского языка",
        "enrol_opens_on": "2026-01-10",
        "enrol_closes_on": "2026-02-10",
        "starts_on": "2026-02-01",
        "ends_on": "2026-03-31",
        "sequential": "y",
    }
    data.update(changes)
    return data


def _module_form(title: str, criterion: str = "opened", **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": title,
        "content_html": f"<h2>{title}</h2><p>Текст модуля.</p>",
        "video_url": "",
        "hours": "4",
        "criterion": criterion,
        "required": "y",
        "pass_mark": "70",
        "max_attempts": "3",
        "shuffle": "y",
    }
    data.update(changes)
    return data


def _question(text_: str, options: list[tuple[str, bool]], multiple: bool = False) -> dict:
    data: dict[str, object] = {"question-text": text_}
    if multiple:
        data["question-multiple"] = "y"
    for n, (label, correct) in enumerate(options):
        data[f"question-options-{n}-text"] = label
        if correct:
            data[f"question-options-{n}-correct"] = "y"
    return data


def test_build_reorder_test_and_publish(staff, methodist):
    subject = directory.save_subject("Русский язык")
    response = staff.post("/courses/new", data=_course_form(subject_ids=[str(subject.id)]))
    assert response.status_code == 302
    course = db.session.execute(select(Course)).scalar_one()
    assert response.headers["Location"].endswith(f"/courses/{course.id}/builder")
    assert course.status == "draft" and course.hours == 36 and course.sequential
    assert [a.id for a in course.authors] == [methodist.id]
    assert [s.name for s in course.subjects] == ["Русский язык"]
    assert course.audience_levels == ["basic"] and course.document_type == "qualification"

    for title, criterion in [("Введение", "opened"), ("Практика", "studied"), ("Итог", "test")]:
        response = staff.post(
            f"/courses/{course.id}/modules/new", data=_module_form(title, criterion)
        )
        assert response.status_code == 302
    db.session.expire_all()
    first, second, test = course.modules
    assert [m.title for m in course.modules] == ["Введение", "Практика", "Итог"]

    # Reorder: "Практика" up, then "Введение" down past "Итог".
    staff.post(f"/courses/{course.id}/modules/{second.id}/move", data={"direction": "up"})
    staff.post(f"/courses/{course.id}/modules/{first.id}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [m.title for m in course.modules] == ["Практика", "Итог", "Введение"]
    page = text(staff.get(f"/courses/{course.id}/builder"))
    assert page.index("Практика") < page.index("Итог") < page.index("Введение")

    # A test without questions cannot be published.
    assert "в тесте модуля «Итог» нет вопросов" in page
    response = staff.post(
        f"/courses/{course.id}/status", data={"status": "published"}, follow_redirects=True
    )
    assert "Курс нельзя опубликовать" in text(response)
    db.session.expire_all()
    assert course.status == "draft"

    questions_url = f"/courses/{course.id}/modules/{test.id}/questions"
    response = staff.post(
        questions_url,
        data=_question(
            "Что такое текст?", [("Связное высказывание", True), ("", False), ("Слово", False)]
        ),
    )
    assert response.status_code == 302
    response = staff.post(
        questions_url,
        data=_question(
            "Выберите жанры", [("Эссе", True), ("Рецензия", True), ("Таблица", False)], True
        ),
    )
    assert response.status_code == 302
    # Shape errors stay on the page and add nothing.
    response = staff.post(
        questions_url, data=_question("Без верного", [("А", False), ("Б", False)])
    )
    assert response.status_code == 200 and "Отметьте верный ответ." in text(response)
    response = staff.post(questions_url, data=_question("Один вариант", [("А", True)]))
    assert "Нужно не меньше двух вариантов ответа." in text(response)
    response = staff.post(questions_url, data=_question("Два верных", [("А", True), ("Б", True)]))
    assert "верным может быть только один вариант" in text(response)
    db.session.expire_all()
    assert [q.text for q in test.questions] == ["Что такое текст?", "Выберите жанры"]
    assert [o.text for o in test.questions[0].options] == ["Связное высказывание", "Слово"]
    assert test.questions[1].multiple

    editor = text(staff.get(f"/courses/{course.id}/modules/{test.id}/edit"))
    assert "Связное высказывание" in editor and "option-correct" in editor
    preview = text(staff.get(f"/courses/{course.id}/modules/{test.id}/preview"))
    assert "Выберите жанры" in preview and "option-correct" not in preview
    assert "верный" not in preview

    response = staff.post(
        f"/courses/{course.id}/status", data={"status": "published"}, follow_redirects=True
    )
    assert "Курс опубликован" in text(response)
    db.session.expire_all()
    assert course.status == "published" and course.published_at is not None
    # A published course keeps its modules: there is no delete button and the POST is refused.
    page = text(staff.get(f"/courses/{course.id}/builder"))
    assert f"/modules/{first.id}/delete" not in page
    response = staff.post(f"/courses/{course.id}/modules/{first.id}/delete", follow_redirects=True)
    assert "только у курса-черновика" in text(response)
    assert count(Module, Module.course_id == course.id) == 3

    staff.post(f"/courses/{course.id}/status", data={"status": "archived"})
    db.session.expire_all()
    assert course.status == "archived"
    listing = text(staff.get("/courses/manage"))
    assert "Функциональная грамотность: читательская" in listing and "В архиве" in listing


def test_zero_hours_or_no_modules_show_the_reason_and_stay_draft(staff, methodist):
    staff.post("/courses/new", data=_course_form(title="Пустой курс", hours="10"))
    empty = db.session.execute(select(Course).where(Course.title == "Пустой курс")).scalar_one()
    page = text(staff.get(f"/courses/{empty.id}/builder"))
    assert "Курс нельзя опубликовать:" in page and "в курсе нет модулей" in page
    response = staff.post(
        f"/courses/{empty.id}/status", data={"status": "published"}, follow_redirects=True
    )
    assert "в курсе нет модулей" in text(response)

    zero = make_course(methodist, title="Без часов", hours=0, publish=False)
    page = text(staff.get(f"/courses/{zero.id}/builder"))
    assert "не указан объём в академических часах" in page
    response = staff.post(
        f"/courses/{zero.id}/status", data={"status": "published"}, follow_redirects=True
    )
    assert "Курс нельзя опубликовать: не указан объём" in text(response)
    db.session.expire_all()
    assert empty.status == "draft" and zero.status == "draft"


def test_course_form_errors_are_shown_next_to_their_fields(staff, app):
    response = staff.post("/courses/new", data=_course_form(title="  "))
    assert response.status_code == 200 and count(Course) == 0
    response = staff.post(
        "/courses/new", data=_course_form(starts_on="2026-05-01", ends_on="2026-04-01")
    )
    page = text(response)
    assert 'id="ends_on-errors"' in page and "заканчиваться раньше" in page
    assert count(Course) == 0
    app.config["ORGANIZATION_LICENSED"] = False
    try:
        page = text(staff.get("/courses/new"))
        assert 'value="qualification"' not in page
        response = staff.post("/courses/new", data=_course_form())
        assert 'id="document_type-errors"' in text(response) and count(Course) == 0
    finally:
        app.config["ORGANIZATION_LICENSED"] = True


def test_edit_course(staff, methodist):
    course = make_course(methodist, publish=False)
    other = make_user(Role.METHODIST, email="co@school.ru", name=("Соавторова", "Нина", ""))
    page = text(staff.get(f"/courses/{course.id}/edit"))
    assert course.title in page and "Соавторова Нина" in page
    response = staff.post(
        f"/courses/{course.id}/edit",
        data=_course_form(title="Новое название", author_ids=[str(methodist.id), str(other.id)]),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert course.title == "Новое название"
    assert {a.id for a in course.authors} == {methodist.id, other.id}


def test_copy_course_opens_the_copys_builder(staff, methodist):
    course = make_course(methodist, modules=("opened", "test"))
    response = staff.post(f"/courses/{course.id}/copy")
    copy = db.session.execute(select(Course).where(Course.id != course.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/courses/{copy.id}/builder")
    assert copy.status == "draft" and copy.copied_from_id == course.id
    assert [m.title for m in copy.modules] == [m.title for m in course.modules]
    assert count(Question) == 4
    assert "(копия)" in text(staff.get(f"/courses/{copy.id}/builder"))


def test_module_content_is_sanitized_and_bad_video_links_refused(staff, methodist):
    course = make_course(methodist, publish=False)
    hostile = (
        "<h2>Тема</h2><p onclick=\"steal()\">Текст</p><script>alert('x')</script>"
        '<a href="javascript:alert(1)">ссылка</a><a href="https://edu.ru/">сайт</a>'
        '<style>body{display:none}</style><img src="x" onerror="alert(2)">'
    )
    response = staff.post(
        f"/courses/{course.id}/modules/new", data=_module_form("Опасный", content_html=hostile)
    )
    assert response.status_code == 302
    module = db.session.execute(select(Module).where(Module.title == "Опасный")).scalar_one()
    for bad in ("<script", "javascript:", "onclick", "onerror", "<style", "alert("):
        assert bad not in module.content_html
    assert '<a href="https://edu.ru/"' in module.content_html
    preview = text(staff.get(f"/courses/{course.id}/modules/{module.id}/preview"))
    assert "<h2>Тема</h2>" in preview and "<script>alert" not in preview
    assert "javascript:" not in preview
    response = staff.post(
        f"/courses/{course.id}/modules/{module.id}/edit",
        data=_module_form("Опасный", video_url="javascript:alert(1)"),
    )
    assert response.status_code == 200
    assert 'id="video_url-errors"' in text(response)
    db.session.expire_all()
    assert module.video_url == ""


def test_module_links_published_materials_and_takes_files(staff, methodist):
    from tests.factories import make_material

    published = make_material(methodist, title="Памятка для учителя")
    draft = make_material(methodist, title="Черновик памятки", action="draft")
    course = make_course(methodist, publish=False)
    module = course.modules[0]
    page = text(staff.get(f"/courses/{course.id}/modules/{module.id}/edit"))
    assert "Памятка для учителя" in page and "Черновик памятки" not in page
    response = staff.post(
        f"/courses/{course.id}/modules/{module.id}/edit",
        data=_module_form("Модуль 1", material_ids=[str(published.id)]),
    )
    assert response.status_code == 302
    response = staff.post(
        f"/courses/{course.id}/modules/{module.id}/edit",
        data=_module_form("Модуль 1", material_ids=[str(draft.id)]),
    )
    assert response.status_code == 200  # not a choice on the page
    db.session.expire_all()
    assert [m.id for m in module.materials] == [published.id]

    response = post_multipart(
        staff,
        f"/courses/{course.id}/modules/{module.id}/files",
        {"upload-file": FileStorage(io.BytesIO(pdf_bytes("Handout")), "раздаточный материал.pdf")},
    )
    assert response.status_code == 302
    file = db.session.execute(select(ModuleFile)).scalar_one()
    assert file.original_name == "раздаточный материал.pdf" and file.kind == "pdf"
    page = text(staff.get(f"/courses/{course.id}/modules/{module.id}/edit"))
    assert "раздаточный материал.pdf" in page
    download = staff.get(f"/courses/{course.id}/modules/{module.id}/files/{file.id}/preview")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    response = post_multipart(
        staff,
        f"/courses/{course.id}/modules/{module.id}/files",
        {"upload-file": FileStorage(io.BytesIO(b"MZ\x90\x00 not a document"), "setup.exe")},
        follow_redirects=True,
    )
    assert count(ModuleFile) == 1 and "alert-danger" in text(response)
    staff.post(f"/courses/{course.id}/modules/{module.id}/files/{file.id}/remove")
    assert count(ModuleFile) == 0


# --- enrolment ----------------------------------------------------------------------------------


def test_enrol_organization_association_and_chosen_teachers_then_withdraw(staff, methodist, org):
    course = make_course(methodist)
    school = [
        make_user(email=f"s{n}@school.ru", organization=org, name=("Школьная", f"Ира{n}", ""))
        for n in range(3)
    ]
    inactive = make_user(email="gone@school.ru", organization=org, name=("Ушедшая", "Ада", ""))
    inactive.is_active_flag = False
    make_user(Role.METHODIST, email="mo@school.ru", organization=org)  # not a learner
    other_org = make_org("МБДОУ Детский сад № 5")
    kindergarten = [
        make_user(email=f"k{n}@school.ru", organization=other_org, name=("Садовая", f"Ника{n}", ""))
        for n in range(2)
    ]
    db.session.commit()
    association = directory.save_association(
        directory.AssociationData(
            name="РМО учителей начальных классов",
            member_ids=[school[0].id, kindergarten[0].id, kindergarten[1].id],
        )
    )
    url = f"/courses/{course.id}/enrollments"

    response = staff.post(
        url,
        data={"mode": "organization", "organization-organization_id": str(org.id)},
        follow_redirects=True,
    )
    assert "Записано: 3" in text(response)
    response = staff.post(
        url,
        data={"mode": "association", "association-association_id": str(association.id)},
        follow_redirects=True,
    )
    assert "Записано: 2" in text(response)  # school[0] was already enrolled
    assert count(Enrollment, Enrollment.active.is_(True)) == 5

    enrolled = part(staff.get(url), "enrolled")
    for person in school + kindergarten:
        assert person.full_name in enrolled
    assert "Ушедшая" not in enrolled and "Иванова Анна" not in enrolled  # inactive; a methodist

    staff.post(f"/courses/{course.id}/enrollments/{school[1].id}/withdraw")
    enrollment = enrolment.enrollment_of(school[1], course)
    assert enrollment is not None and not enrollment.active and enrollment.withdrawn_at
    matrix = part(staff.get(f"/courses/{course.id}/matrix"), "progress-matrix")
    assert school[1].full_name not in matrix and school[0].full_name in matrix

    # The picker offers teachers not (or no longer) enrolled, narrowed by organization.
    picker = text(staff.get(url, query_string={"org": org.id}))
    assert f'value="{school[1].id}"' in picker and f'value="{kindergarten[0].id}"' not in picker
    response = staff.post(
        f"{url}?org={org.id}",
        data={"mode": "teachers", "teachers-user_ids": [str(school[1].id), str(inactive.id)]},
        follow_redirects=True,
    )
    assert "Записано: 1" in text(response)
    response = staff.post(url, data={"mode": "teachers"})
    assert response.status_code == 200 and "Выберите хотя бы одного педагога." in text(response)
    assert count(Enrollment, Enrollment.active.is_(True)) == 5


def test_archived_course_refuses_enrolment(staff, methodist, org):
    course = make_course(methodist)
    courses.set_status(course, "archived", methodist)
    make_user(email="a@school.ru", organization=org)
    response = staff.post(
        f"/courses/{course.id}/enrollments",
        data={"mode": "organization", "organization-organization_id": str(org.id)},
        follow_redirects=True,
    )
    assert "Курс в архиве" in text(response) and count(Enrollment) == 0


# --- documents ------------------------------------------------------------------------------------


def test_register_search_filter_and_export(staff, world, methodist):
    other = make_course(methodist, title="Другой курс", modules=("opened",))
    second = make_user(email="p@school.ru", name=("Петров", "Пётр", "Петрович"))
    enrolment.enrol_self(second, other)
    learning.record_module_open(second, other.modules[0])
    page = text(staff.get("/certificates"))
    assert "Найдено документов: 2" in page and "Сидорова Анна Павловна" in page
    page = text(staff.get("/certificates", query_string={"q": "СИДОРОВА"}))
    assert "Найдено документов: 1" in page and "Петров" not in page
    page = text(staff.get("/certificates", query_string={"course": other.id}))
    assert "Найдено документов: 1" in page and "Петров Пётр Петрович" in page
    page = text(staff.get("/certificates", query_string={"status": "revoked"}))
    assert "Найдено документов: 0" in page
    response = staff.get("/certificates/export", query_string={"format": "csv", "q": "петров"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 2 and "Петров Пётр Петрович" in lines[1]
    assert staff.get("/certificates/export?format=pdf").status_code == 404


def test_revoke_needs_a_reason(staff, world):
    certificate = world["certificate"]
    url = f"/certificates/{certificate.id}/revoke"
    response = staff.post(url, data={"reason": "   "}, follow_redirects=True)
    assert "Укажите причину отзыва." in text(response)
    db.session.expire_all()
    assert certificate.status == "valid"
    response = staff.post(
        url, data={"reason": "Ошибка в ФИО", "next": "/certificates?status=revoked"}
    )
    assert response.headers["Location"] == "/certificates?status=revoked"
    db.session.expire_all()
    assert certificate.status == "revoked" and certificate.revoke_reason == "Ошибка в ФИО"
    page = text(staff.get("/certificates"))
    assert "Ошибка в ФИО" in page and "отозван" in page
    # An offsite `next` is ignored.
    response = staff.post(url, data={"reason": "ещё раз", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/certificates"


def test_duplicate_gets_a_new_number_and_revokes_the_original(staff, world):
    original = world["certificate"]
    response = staff.post(f"/certificates/{original.id}/duplicate", follow_redirects=True)
    duplicate = db.session.execute(
        select(Certificate).where(Certificate.id != original.id)
    ).scalar_one()
    assert f"Выдан дубликат № {duplicate.number}" in text(response)
    db.session.expire_all()
    assert original.status == "revoked" and duplicate.duplicate_of_id == original.id
    page = text(staff.get("/certificates"))
    assert duplicate.number in page and "дубликат" in page
    # Only a valid document gets a duplicate.
    response = staff.post(f"/certificates/{original.id}/duplicate", follow_redirects=True)
    assert "взамен действующего" in text(response)
    assert count(Certificate) == 2


def test_course_documents_as_one_zip(staff, world, methodist):
    course = world["course"]
    second = make_user(email="z@school.ru", name=("Зайцева", "Зоя", ""))
    enrolment.enrol_self(second, course)
    learning.record_module_open(second, course.modules[0])
    attempt = learning.start_attempt(second, course.modules[1])
    right = {
        str(q["id"]): [str(o["id"]) for o in q["options"] if o["correct"]]
        for q in attempt.questions
    }
    learning.submit_attempt(second, attempt.id, right)
    certificates.revoke(world["certificate"], methodist, "ошибка")
    response = staff.get(f"/courses/{course.id}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert ".zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        valid = db.session.execute(
            select(Certificate.number).where(Certificate.status == "valid")
        ).scalars()
        assert names == [f"{n}.pdf" for n in valid]
        assert archive.read(names[0]).startswith(b"%PDF")


def test_methodist_home_links_courses_and_review_queue(staff, methodist):
    from tests.factories import make_material

    make_course(methodist)
    make_course(methodist, title="Черновик", publish=False)
    make_material(methodist, title="На проверке", action="submit")
    page = text(staff.get("/home"))
    assert 'href="/courses/manage"' in page and 'href="/certificates"' in page
    assert 'href="/materials/review"' in page
    assert "Черновики курсов" in page and "Материалы на экспертизе" in page
