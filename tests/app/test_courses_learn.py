"""The teacher's course pages through HTTP: enrol, learn, pass a test, get and check a document."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import Role
from app.core.models import utcnow
from app.courses import authoring as courses
from app.courses import certificates, dates, enrolment, learning
from app.courses.models import Attempt, Certificate, CourseCompletion, ModuleProgress
from app.extensions import db
from app.materials import services as materials
from app.materials.access_events import AccessEvent
from tests.factories import login, make_course, make_material, make_org, make_user, pdf_bytes


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    org = make_org("МБОУ СОШ № 3")
    return {
        "methodist": make_user(Role.METHODIST, email="m@school.ru"),
        "manager": make_user(Role.MANAGER, email="h@school.ru"),
        "teacher": make_user(
            Role.TEACHER,
            email="t@school.ru",
            organization=org,
            name=("Кузнецова", "Ольга", "Игоревна"),
        ),
        "other": make_user(Role.TEACHER, email="o@school.ru", organization=org),
    }


def sign_in(client, user) -> None:  # type: ignore[no-untyped-def]
    """Sign out whoever is signed in, then sign ``user`` in."""
    client.post("/logout")
    assert login(client, user).status_code == 302


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def module_url(course, module) -> str:  # type: ignore[no-untyped-def]
    return f"/courses/{course.id}/modules/{module.id}"


def right_answers(attempt: Attempt) -> dict[str, list[str]]:
    return {
        f"q{q['id']}": [str(o["id"]) for o in q["options"] if o["correct"]]
        for q in attempt.questions
    }


def latest_attempt(user) -> Attempt:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.execute(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id.desc()).limit(1)
    ).scalar_one()


def completed_course(people, **kwargs):  # type: ignore[no-untyped-def]
    """A course the teacher has completed (one 'opened' module), and its document."""
    course = make_course(people["methodist"], modules=("opened",), **kwargs)
    enrolment.enrol_self(people["teacher"], course)
    learning.record_module_open(people["teacher"], course.modules[0])
    return course, db.session.execute(select(Certificate)).scalar_one()


# --- the whole way ------------------------------------------------------------------


def test_enrol_learn_pass_and_download_the_document(client, people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("opened", "studied", "test"), hours=36)
    opened, studied, tested = course.modules
    sign_in(client, teacher)

    html = page(client.get("/courses"))
    assert course.title in html and "36 академических часов" in html
    assert "Записаться" in html and "Вы записаны" not in html

    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{course.id}")
    assert "Вы записаны" in page(client.get("/courses"))
    html = page(client.get(f"/courses/{course.id}"))
    assert 'aria-valuenow="0"' in html and "пройти тест" in html

    html = page(client.get(module_url(course, opened)))
    assert "Содержание 1" in html and 'id="module-tracking"' in html
    assert "js/module_tracking.js" in html
    assert 'aria-valuenow="33"' in page(client.get(f"/courses/{course.id}"))

    html = page(client.get(module_url(course, studied)))
    assert "Я изучил(а) материал" in html
    response = client.post(f"{module_url(course, studied)}/studied")
    assert response.status_code == 302
    assert 'aria-valuenow="67"' in page(client.get(f"/courses/{course.id}"))

    assert "Начать тест" in page(client.get(module_url(course, tested)))
    html = page(client.get(f"{module_url(course, tested)}/attempt"))
    attempt = latest_attempt(teacher)
    for question in attempt.questions:
        assert question["text"] in html
        assert f'name="q{question["id"]}"' in html and 'type="radio"' in html
    assert f'name="attempt_id" value="{attempt.id}"' in html
    # Reloading resumes the same attempt.
    client.get(f"{module_url(course, tested)}/attempt")
    assert count(Attempt) == 1

    response = client.post(
        f"{module_url(course, tested)}/attempt",
        data={"attempt_id": str(attempt.id), **right_answers(attempt)},
    )
    assert response.status_code == 302
    html = page(client.get(response.headers["Location"]))
    assert "100%" in html and "Тест сдан" in html and "Поздравляем" in html
    assert count(CourseCompletion) == 1
    certificate = db.session.execute(select(Certificate)).scalar_one()
    assert certificate.number in html and "Скачать PDF" in html

    html = page(client.get(f"/courses/{course.id}"))
    assert 'aria-valuenow="100"' in html and certificate.number in html

    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote(certificate.number) in disposition

    html = page(client.get("/learning"))
    assert certificate.number in html and course.title in html
    assert re.search(r'id="hours-this-year">\s*36\s*<', html)
    assert re.search(r'id="hours-three-years">\s*36\s*<', html)


def test_home_page_shows_my_learning(client, people):
    course = make_course(people["methodist"], modules=("opened", "studied"))
    enrolment.enrol_self(people["teacher"], course)
    sign_in(client, people["teacher"])
    html = page(client.get("/home"))
    assert "Моё обучение" in html and course.title in html
    assert 'value="0"' in html  # the progress element
    assert "Часов в этом году: 0" in html


def test_failed_test_then_attempts_run_out(client, people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("test",))
    module = course.modules[0]
    module.max_attempts = 1
    db.session.commit()
    enrolment.enrol_self(teacher, course)
    sign_in(client, teacher)
    client.get(f"{module_url(course, module)}/attempt")
    attempt = latest_attempt(teacher)
    response = client.post(
        f"{module_url(course, module)}/attempt", data={"attempt_id": str(attempt.id)}
    )
    html = page(client.get(response.headers["Location"]))
    assert "0%" in html and "Тест не сдан" in html and "Осталось попыток: 0" in html
    assert "Пройти ещё раз" not in html
    # Posting the same attempt again changes nothing and says why.
    response = client.post(
        f"{module_url(course, module)}/attempt",
        data={"attempt_id": str(attempt.id), **right_answers(attempt)},
        follow_redirects=True,
    )
    assert "Эта попытка уже завершена" in page(response)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == 0
    assert "Попытки закончились" in page(client.get(module_url(course, module)))
    response = client.get(f"{module_url(course, module)}/attempt", follow_redirects=True)
    assert "Попытки закончились" in page(response)
    assert count(Attempt) == 1


# --- who may see what -------------------------------------------------------------------


def test_not_enrolled_gets_404_on_modules_and_files(client, people):
    course = make_course(people["methodist"], modules=("opened", "test"))
    first, second = course.modules
    file = courses.add_module_file(
        first, materials.upload_from_bytes(pdf_bytes(), "памятка.pdf"), people["methodist"]
    )
    for user in (people["teacher"], people["methodist"]):
        sign_in(client, user)
        assert client.get(module_url(course, first)).status_code == 404
        assert client.get(f"{module_url(course, first)}/files/{file.id}").status_code == 404
        assert client.get(f"{module_url(course, second)}/attempt").status_code == 404
        assert client.post(f"{module_url(course, first)}/studied").status_code == 404
    assert count(AccessEvent) == 0


def test_draft_course_is_hidden_from_teachers(client, people):
    draft = make_course(people["methodist"], publish=False)
    sign_in(client, people["teacher"])
    assert client.get(f"/courses/{draft.id}").status_code == 404
    assert client.post(f"/courses/{draft.id}/enrol").status_code == 404
    assert draft.title not in page(client.get("/courses"))
    sign_in(client, people["methodist"])
    assert client.get(f"/courses/{draft.id}").status_code == 200


def test_module_of_another_course_is_404(client, people):
    one = make_course(people["methodist"], title="Первый")
    two = make_course(people["methodist"], title="Второй")
    enrolment.enrol_self(people["teacher"], one)
    sign_in(client, people["teacher"])
    assert client.get(f"/courses/{one.id}/modules/{two.modules[0].id}").status_code == 404
    assert client.get(f"/courses/{one.id}/modules/999999").status_code == 404


def test_locked_module_redirects_with_a_message(client, people):
    course = make_course(people["methodist"], modules=("studied", "opened"), sequential=True)
    first, second = course.modules
    enrolment.enrol_self(people["teacher"], course)
    sign_in(client, people["teacher"])
    html = page(client.get(f"/courses/{course.id}"))
    assert "🔒" in html and f'href="{module_url(course, second)}"' not in html
    response = client.get(module_url(course, second))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/courses/{course.id}")
    html = page(client.get(response.headers["Location"]))
    assert "откроется после завершения предыдущих" in html
    assert count(AccessEvent, AccessEvent.module_id == second.id) == 0
    client.get(module_url(course, first))
    client.post(f"{module_url(course, first)}/studied")
    assert client.get(module_url(course, second)).status_code == 200


def test_teacher_never_sees_another_teachers_attempt_or_document(client, people):
    teacher, other = people["teacher"], people["other"]
    course = make_course(people["methodist"], modules=("test",))
    module = course.modules[0]
    enrolment.enrol_self(teacher, course)
    enrolment.enrol_self(other, course)
    attempt = learning.start_attempt(teacher, module)
    learning.submit_attempt(teacher, attempt.id, {})
    second = learning.start_attempt(teacher, module)
    sign_in(client, other)
    assert client.get(f"{module_url(course, module)}/attempts/{attempt.id}").status_code == 404
    response = client.post(
        f"{module_url(course, module)}/attempt",
        data={"attempt_id": str(second.id), **right_answers(second)},
    )
    assert response.status_code == 404
    for forged in ("999999", "abc", "", "-1"):
        response = client.post(f"{module_url(course, module)}/attempt", data={"attempt_id": forged})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Attempt, second.id).finished_at is None

    _, document = completed_course(people, title="Другой курс")
    assert client.get(f"/certificates/{document.id}/pdf").status_code == 404
    assert client.get("/certificates/999999/pdf").status_code == 404
    assert document.number not in page(client.get("/learning"))
    sign_in(client, people["manager"])
    assert client.get(f"/certificates/{document.id}/pdf").status_code == 200


def test_attempt_of_another_module_is_404(client, people):
    course = make_course(people["methodist"], modules=("test", "test"))
    first, second = course.modules
    enrolment.enrol_self(people["teacher"], course)
    attempt = learning.start_attempt(people["teacher"], first)
    sign_in(client, people["teacher"])
    response = client.post(
        f"{module_url(course, second)}/attempt", data={"attempt_id": str(attempt.id)}
    )
    assert response.status_code == 404
    assert client.get(f"{module_url(course, second)}/attempts/{attempt.id}").status_code == 404


def test_staff_see_the_list_but_cannot_enrol(client, people):
    course = make_course(people["methodist"])
    sign_in(client, people["methodist"])
    html = page(client.get("/courses"))
    assert course.title in html and "Записаться" not in html
    response = client.post(f"/courses/{course.id}/enrol", follow_redirects=True)
    assert "Записываться на курсы могут педагоги" in page(response)
    assert "Записаться" not in page(client.get(f"/courses/{course.id}"))


def test_closed_enrolment(client, people):
    course = make_course(people["methodist"])
    course.enrol_closes_on = dates.local_date(utcnow()) - timedelta(days=1)
    db.session.commit()
    sign_in(client, people["teacher"])
    assert course.title not in page(client.get("/courses"))
    html = page(client.get(f"/courses/{course.id}"))
    assert "Запись на этот курс сейчас закрыта" in html
    response = client.post(f"/courses/{course.id}/enrol", follow_redirects=True)
    assert "Запись на этот курс сейчас закрыта" in page(response)
    assert not enrolment.enrollment_of(people["teacher"], course)


# --- module content and files -------------------------------------------------------------


def test_module_page_shows_sanitized_content_video_materials_and_files(client, people):
    methodist = people["methodist"]
    material = make_material(methodist, title="Памятка по оцениванию")
    course = make_course(methodist, modules=("studied", "opened"), publish=False)
    module = courses.update_module(
        course.modules[0],
        courses.ModuleData(
            title="Модуль с содержанием",
            criterion="studied",
            content_html="<h2>Раздел</h2><script>alert(1)</script><p onclick='x()'>Текст</p>",
            video_url="https://video.example.org/lesson",
            material_ids=[material.id],
        ),
        methodist,
    )
    file = courses.add_module_file(
        module, materials.upload_from_bytes(pdf_bytes("module"), "Памятка.pdf"), methodist
    )
    courses.set_status(course, "published", methodist)
    enrolment.enrol_self(people["teacher"], course)
    sign_in(client, people["teacher"])

    html = page(client.get(module_url(course, module)))
    assert "<h2>Раздел</h2>" in html and "Текст" in html
    assert "<script>alert" not in html and "onclick" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag
    assert "style=" not in html
    assert re.search(
        r'<a [^>]*href="https://video.example.org/lesson" target="_blank" rel="noopener', html
    )
    assert f'href="/materials/{material.id}"' in html
    second = course.modules[1]
    assert f'href="{module_url(course, second)}"' in html  # next module

    response = client.get(f"{module_url(course, module)}/files/{file.id}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    assert count(AccessEvent, AccessEvent.kind == "module_download") == 1
    assert client.get(f"{module_url(course, module)}/files/999999").status_code == 404


# --- the time beacon -------------------------------------------------------------------------


def _open_event(user, module) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(
        select(AccessEvent.id)
        .where(
            AccessEvent.user_id == user.id,
            AccessEvent.module_id == module.id,
            AccessEvent.kind == "module_open",
        )
        .order_by(AccessEvent.id.desc())
        .limit(1)
    ).scalar_one()


def _seconds(user, module) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.execute(
        select(ModuleProgress.seconds).where(
            ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id
        )
    ).scalar_one()


def test_time_beacon(client, people):
    teacher, other = people["teacher"], people["other"]
    course = make_course(people["methodist"], modules=("studied",))
    module = course.modules[0]
    enrolment.enrol_self(teacher, course)
    enrolment.enrol_self(other, course)
    sign_in(client, teacher)
    html = page(client.get(module_url(course, module)))
    event_id = _open_event(teacher, module)
    assert f'data-event="{event_id}"' in html and 'data-url="/courses/track"' in html
    # The page was opened a minute ago.
    db.session.execute(
        update(AccessEvent)
        .where(AccessEvent.id == event_id)
        .values(at=utcnow() - timedelta(seconds=60))
    )
    db.session.commit()

    response = client.post("/courses/track", data={"event": str(event_id), "seconds": "20"})
    assert response.status_code == 204 and response.data == b""
    assert _seconds(teacher, module) == 20
    # Never more than has passed since the page was opened (60 s plus a little slack).
    assert client.post(
        "/courses/track", data={"event": str(event_id), "seconds": "100000"}
    ).status_code in (204,)
    assert 60 <= _seconds(teacher, module) <= 63

    learning.record_module_open(other, module)
    foreign = _open_event(other, module)
    for bad in (
        {"event": str(foreign), "seconds": "5"},
        {"event": "999999", "seconds": "5"},
        {"event": "abc", "seconds": "5"},
        {"event": str(event_id), "seconds": "-5"},
        {"event": str(event_id), "seconds": "x"},
        {"seconds": "5"},
        {"event": str(event_id)},
    ):
        assert client.post("/courses/track", data=bad).status_code == 404, bad
    assert _seconds(other, module) == 0
    assert client.get("/courses/track").status_code == 405


def test_time_beacon_takes_the_csrf_token_from_the_form(client, people, csrf_enabled):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("studied",))
    module = course.modules[0]
    enrolment.enrol_self(teacher, course)
    client.get("/login")
    login_page = page(client.get("/login"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    login(client, teacher, csrf_token=token)
    html = page(client.get(module_url(course, module)))
    token = re.search(r'data-csrf="([^"]+)"', html).group(1)
    event_id = _open_event(teacher, module)
    assert (
        client.post("/courses/track", data={"event": str(event_id), "seconds": "1"}).status_code
        == 400
    )
    # What navigator.sendBeacon sends: multipart FormData with the token inside.
    response = client.post(
        "/courses/track",
        data={"csrf_token": token, "event": str(event_id), "seconds": "1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 204


# --- verification --------------------------------------------------------------------------


def test_verify_valid_document_shows_only_what_the_document_shows(client, people):
    _, document = completed_course(people, title="Цифровая школа", hours=16)
    code = certificates.check_code(document.number)
    for url in (f"/verify/{document.number}", f"/verify/{quote(document.number)}"):
        response = client.get(url, query_string={"code": code})
        assert response.status_code == 200
        html = page(response)
        assert "Документ действителен" in html
        assert "Кузнецова Ольга Игоревна" in html and "Цифровая школа" in html
        assert "16 академических часов" in html and "МБОУ СОШ № 3" in html
        assert "t@school.ru" not in html and "@" not in html.split("<main", 1)[1]
    response = client.get(
        "/verify", query_string={"number": f"  {document.number} ", "code": code.lower()}
    )
    assert response.status_code == 302
    html = page(client.get(response.headers["Location"]))
    assert "Документ действителен" in html and "Кузнецова Ольга Игоревна" in html


def test_verify_revoked_document(client, people):
    _, document = completed_course(people)
    certificates.revoke(document, people["methodist"], "Секретная причина отзыва")
    response = client.get(f"/verify/{quote(document.number)}")
    assert response.status_code == 200
    html = page(response)
    assert "Документ отозван" in html and "Документ действителен" not in html
    assert document.revoked_at is not None
    assert "Секретная причина" not in html and "t@school.ru" not in html
    sign_in(client, people["teacher"])
    html = page(client.get("/learning"))
    assert "отозван" in html and f"/certificates/{document.id}/pdf" not in html


@pytest.mark.parametrize(
    "raw",
    [
        "ОМС-2026-99999",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%00",
        "a%0Ab",
        "x" * 5000,
        "a/b/c",
        "%27%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
        "..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_verify_unknown_or_odd_numbers_answer_404_with_a_message(client, people, raw):
    completed_course(people)
    response = client.get(f"/verify/{raw}")
    assert response.status_code == 404
    html = page(response)
    assert "не найден" in html and "Проверка документа" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    main = html.split("<main", 1)[1]
    assert "\x00" not in main
    assert len(html) < 20000
    assert "t@school.ru" not in html


def test_verify_needs_no_login_and_has_a_form(client):
    response = client.get("/verify")
    assert response.status_code == 200
    html = page(response)
    assert 'name="number"' in html and 'for="verify-number"' in html


def test_learn_pages_have_no_inline_scripts_or_styles(client, people):
    course, document = completed_course(people)
    sign_in(client, people["teacher"])
    urls = [
        "/courses",
        f"/courses/{course.id}",
        module_url(course, course.modules[0]),
        "/learning",
        "/home",
        f"/verify/{quote(document.number)}",
    ]
    for url in urls:
        html = page(client.get(url))
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {url}"
        assert "style=" not in html and "onclick=" not in html, url
