"""Courses from the teacher's side: tracking, criteria, locks, completion once, documents."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.errors import NotFound, PermissionDenied, ValidationError
from app.courses import authoring as courses
from app.courses import certificates, dates, enrolment, learning, my_learning
from app.courses.models import Attempt, Certificate, CourseCompletion, ModuleProgress
from app.extensions import db
from app.materials.access_events import AccessEvent
from tests.conftest import ON_POSTGRES
from tests.factories import make_course, make_org, make_user


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    org = make_org("МБОУ СОШ № 7")
    return {
        "methodist": make_user(Role.METHODIST, email="m@school.ru"),
        "teacher": make_user(
            Role.TEACHER,
            email="t@school.ru",
            organization=org,
            name=("Сидорова", "Анна", "Павловна"),
        ),
        "other": make_user(Role.TEACHER, email="o@school.ru", organization=org),
    }


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_opened_and_studied_criteria_complete_the_course_at_once(people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("opened", "studied"), hours=24)
    enrolment.enrol_self(teacher, course)
    first, second = course.modules
    learning.record_module_open(teacher, first)
    progress = learning.progress_by_module(teacher.id, course.id)
    assert progress[first.id].completed_at is not None
    with pytest.raises(ValidationError, match="Сначала откройте"):
        learning.confirm_studied(teacher, second)
    learning.record_module_open(teacher, second)
    assert count(CourseCompletion) == 0
    learning.confirm_studied(teacher, second)
    completion = db.session.execute(select(CourseCompletion)).scalar_one()
    assert completion.hours == 24
    document = db.session.execute(select(Certificate)).scalar_one()
    assert document.completed_on == dates.local_date(completion.completed_at)
    assert document.full_name == "Сидорова Анна Павловна"
    assert document.organization_name.endswith("«МБОУ СОШ № 7»")
    assert document.number.startswith(f"ОМС-{document.year}-")


def test_every_open_is_an_event_and_progress_counts_visits(people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("studied",))
    enrolment.enrol_self(teacher, course)
    module = course.modules[0]
    for _ in range(3):
        learning.record_module_open(teacher, module)
    row = db.session.execute(select(ModuleProgress)).scalar_one()
    assert row.visits == 3 and row.first_access_at <= row.last_access_at
    assert count(AccessEvent, AccessEvent.kind == "module_open") == 3


def test_not_enrolled_cannot_open(people):
    course = make_course(people["methodist"])
    with pytest.raises(NotFound):
        learning.record_module_open(people["teacher"], course.modules[0])


def test_sequence_lock(people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("studied", "opened"), sequential=True)
    enrolment.enrol_self(teacher, course)
    first, second = course.modules
    with pytest.raises(ValidationError, match="откроется после"):
        learning.record_module_open(teacher, second)
    learning.record_module_open(teacher, first)
    learning.confirm_studied(teacher, first)
    learning.record_module_open(teacher, second)
    assert count(CourseCompletion) == 1


def test_test_criterion_attempts_and_pass_mark(people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("test",))
    module = course.modules[0]
    module.max_attempts = 2
    db.session.commit()
    enrolment.enrol_self(teacher, course)
    attempt = learning.start_attempt(teacher, module)
    assert learning.start_attempt(teacher, module).id == attempt.id  # resumes the open one
    wrong = {
        str(q["id"]): [str(next(o["id"] for o in q["options"] if not o["correct"]))]
        for q in attempt.questions
    }
    failed = learning.submit_attempt(teacher, attempt.id, wrong)
    assert failed.score == 0 and failed.passed is False
    with pytest.raises(ValidationError, match="уже завершена"):
        learning.submit_attempt(teacher, attempt.id, wrong)
    second = learning.start_attempt(teacher, module)
    right = {
        str(q["id"]): [str(o["id"]) for o in q["options"] if o["correct"]] for q in second.questions
    }
    passed = learning.submit_attempt(teacher, second.id, right)
    assert passed.score == 100 and passed.passed
    assert count(CourseCompletion) == 1
    with pytest.raises(ValidationError):
        learning.start_attempt(teacher, module)
    # The attempt keeps the questions and answers as they were.
    stored = db.session.get(Attempt, second.id)
    assert stored.questions[0]["options"] and stored.answers


def test_forged_and_foreign_attempts(people):
    course = make_course(people["methodist"], modules=("test",))
    enrolment.enrol_self(people["teacher"], course)
    enrolment.enrol_self(people["other"], course)
    attempt = learning.start_attempt(people["teacher"], course.modules[0])
    with pytest.raises(NotFound):
        learning.submit_attempt(people["other"], attempt.id, {})
    with pytest.raises(NotFound):
        learning.submit_attempt(people["teacher"], 999999, {})


def test_zero_hours_or_no_modules_cannot_be_published(people):
    methodist = people["methodist"]
    empty = courses.create_course(courses.CourseData(title="Пустой", hours=10), methodist)
    with pytest.raises(ValidationError, match="нет модулей"):
        courses.set_status(empty, "published", methodist)
    zero = make_course(methodist, hours=0, publish=False)
    with pytest.raises(ValidationError, match="объём"):
        courses.set_status(zero, "published", methodist)


def test_content_is_sanitized(people):
    course = make_course(people["methodist"], publish=False)
    module = courses.update_module(
        course.modules[0],
        courses.ModuleData(
            title="M",
            content_html='<p onclick="x()">ok</p><script>alert(1)</script>'
            '<a href="javascript:alert(1)">link</a>',
        ),
        people["methodist"],
    )
    assert "script" not in module.content_html and "javascript:" not in module.content_html
    assert "onclick" not in module.content_html and "<p>ok</p>" in module.content_html
    with pytest.raises(ValidationError):
        courses.update_module(
            module,
            courses.ModuleData(title="M", video_url="javascript:alert(1)"),
            people["methodist"],
        )


def test_teacher_cannot_author(people):
    with pytest.raises(PermissionDenied):
        courses.create_course(courses.CourseData(title="X", hours=1), people["teacher"])


def test_registration_numbers_have_no_gaps(people):
    course = make_course(people["methodist"], modules=("opened",))
    numbers = []
    for n in range(5):
        teacher = make_user(email=f"t{n}@school.ru")
        enrolment.enrol_self(teacher, course)
        learning.record_module_open(teacher, course.modules[0])
    numbers = sorted(db.session.execute(select(Certificate.sequence)).scalars())
    assert numbers == [1, 2, 3, 4, 5]


def test_revocation_and_duplicate(people):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("opened",))
    enrolment.enrol_self(teacher, course)
    learning.record_module_open(teacher, course.modules[0])
    original = db.session.execute(select(Certificate)).scalar_one()
    with pytest.raises(PermissionDenied):
        certificates.revoke(original, teacher, "нет")
    duplicate = certificates.reissue_duplicate(original, people["methodist"])
    assert original.status == "revoked" and duplicate.status == "valid"
    assert duplicate.duplicate_of_id == original.id and duplicate.number != original.number
    assert duplicate.completed_on == original.completed_on
    with pytest.raises(ValidationError, match="причину"):
        certificates.revoke(duplicate, people["methodist"], " ")
    certificates.revoke(duplicate, people["methodist"], "ошибка в данных")
    assert certificates.find_by_number(duplicate.number).status == "revoked"
    assert certificates.find_by_number("ОМС-2026-<script>") is None
    assert certificates.find_by_number("") is None


def test_hours_arithmetic_across_new_year_in_moscow(people, app):
    teacher = people["teacher"]
    a = make_course(people["methodist"], title="A", hours=36, modules=("opened",))
    b = make_course(people["methodist"], title="B", hours=72, modules=("opened",))
    # 20:59:59 UTC on 31 Dec is still the old year in Moscow; 21:00:00 is the new one.
    learning.complete_course(teacher.id, a.id, datetime(2025, 12, 31, 20, 59, 59, tzinfo=UTC))
    learning.complete_course(teacher.id, b.id, datetime(2025, 12, 31, 21, 0, 0, tzinfo=UTC))
    db.session.commit()
    start25, end25 = dates.year_bounds(2025)
    start26, end26 = dates.year_bounds(2026)
    assert my_learning.hours_between(teacher.id, start25, end25) == 36
    assert my_learning.hours_between(teacher.id, start26, end26) == 72
    years = dict(db.session.execute(select(Certificate.course_title, Certificate.year)).all())
    assert years == {"A": 2025, "B": 2026}


def test_copy_course_keeps_modules_and_questions(people):
    course = make_course(people["methodist"], modules=("opened", "test"))
    copy = courses.copy_course(course, people["methodist"])
    assert copy.status == "draft" and copy.copied_from_id == course.id
    assert [m.title for m in copy.modules] == [m.title for m in course.modules]
    assert len(copy.modules[1].questions) == len(course.modules[1].questions)


@pytest.mark.skipif(not ON_POSTGRES, reason="real concurrency needs PostgreSQL")
def test_twenty_concurrent_completions_write_once(people, app):
    teacher = people["teacher"]
    course = make_course(people["methodist"], modules=("opened",))
    enrolment.enrol_self(teacher, course)
    teacher_id, course_id = teacher.id, course.id
    barrier = threading.Barrier(20, timeout=60)
    errors: list[BaseException] = []

    def complete() -> None:
        try:
            with app.app_context():
                barrier.wait()
                learning.complete_course(teacher_id, course_id, datetime.now(UTC))
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=complete) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert count(CourseCompletion) == 1
    assert count(Certificate) == 1


def test_concurrent_module_opens_complete_once(people, app):
    """Twenty requests finishing the last module at once, through the service (SQLite too)."""
    course = make_course(people["methodist"], modules=("opened",))
    teachers = [make_user(email=f"c{n}@school.ru") for n in range(4)]
    for teacher in teachers:
        enrolment.enrol_self(teacher, course)
    module_id = course.modules[0].id
    ids = [t.id for t in teachers]
    barrier = threading.Barrier(20, timeout=60)
    errors: list[BaseException] = []

    def open_module(user_id: int) -> None:
        try:
            with app.app_context():
                from app.accounts.models import User
                from app.courses.models import Module

                user = db.session.get(User, user_id)
                module = db.session.get(Module, module_id)
                db.session.commit()  # give the connection back: 20 threads, a pool of 15
                barrier.wait()
                learning.record_module_open(user, module)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_module, args=(ids[n % 4],)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert count(CourseCompletion) == 4
    assert sorted(db.session.execute(select(Certificate.sequence)).scalars()) == [1, 2, 3, 4]
    assert count(AccessEvent, AccessEvent.kind == "module_open") == 20
    assert db.session.execute(select(func.sum(ModuleProgress.visits))).scalar_one() == 20
