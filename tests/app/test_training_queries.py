"""How many SQL statements the training and report pages run: the same for 3 rows as for 20.

Each page is measured on a small and on a larger district; a count that grows with
the rows is an N+1 (Zulip's assert_database_query_count). The numbers include
loading the signed-in user and what the page layout asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.accounts.models import Organization, Role, Subject, User
from app.courses import learning
from app.courses.models import Enrollment, ModuleProgress
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from app.training.models import Attestation, ExternalTraining
from tests.factories import login, make_course, make_material, make_user

TODAY = date.today()
SIZES = [3, 20]


@dataclass
class District:
    teacher: User
    methodist: User
    manager: User
    course_id: int


def _teacher(n: int, organization: Organization, subject: Subject) -> User:
    """A teacher row without a password hash worth the name: these never sign in."""
    user = User(
        email=f"t{n}@many.ru",
        last_name=f"Учитель{n:02d}",
        first_name="Иван",
        patronymic="Петрович",
        position="учитель",
        role=Role.TEACHER,
        organization=organization,
        password_hash="!",
    )
    user.subjects.append(subject)
    user.refresh_search_text()
    db.session.add(user)
    return user


def _record(user: User, n: int, status: str, **extra: Any) -> None:
    db.session.add(
        ExternalTraining(
            user_id=user.id,
            provider=f"Институт {n}",
            programme=f"Программа {n}",
            hours=16 + n,
            starts_on=TODAY - timedelta(days=60 + n),
            ends_on=TODAY - timedelta(days=30 + n),
            status=status,
            document_type="удостоверение",
            document_number=f"N-{n}",
            **extra,
        )
    )


def build_district(size: int) -> District:
    """``size`` schools, teachers, records of each kind, completions, module opens."""
    methodist = make_user(Role.METHODIST, email="metod@many.ru", name=("Орлова", "Вера", "Юрьевна"))
    manager = make_user(Role.MANAGER, email="boss@many.ru", name=("Белова", "Нина", "Юрьевна"))
    org0 = Organization(full_name="Школа 0", short_name="Школа 0", kind="school")
    db.session.add(org0)
    db.session.flush()
    teacher = make_user(
        email="me@many.ru", name=("Смирнова", "Ольга", "Ивановна"), organization=org0
    )
    course = make_course(methodist, title="Курс для отчёта", modules=("opened",) * 3)
    subject = Subject(name="Математика")
    db.session.add(subject)
    teachers = []
    for n in range(size):
        org = Organization(full_name=f"Школа {n + 1}", short_name=f"Школа {n + 1}", kind="school")
        db.session.add(org)
        teachers.append(_teacher(n, org, subject))
    db.session.flush()
    now = datetime.now(UTC)
    for n, other in enumerate(teachers):
        _record(teacher, n, "verified" if n % 2 else "pending", scan_key=None)
        _record(other, n, "pending")
        _record(other, 100 + n, "returned", review_comment="Нет скана")
        _record(other, 200 + n, "verified", reviewed_by_id=methodist.id, reviewed_at=now)
        db.session.add(Attestation(user_id=other.id, category="first", granted_on=TODAY))
        db.session.add(
            Enrollment(user_id=other.id, course_id=course.id, enrolled_at=now - timedelta(days=3))
        )
        for module in course.modules:
            at = now - timedelta(days=2, minutes=n)
            db.session.add(
                AccessEvent(
                    kind=AccessKind.MODULE_OPEN,
                    user_id=other.id,
                    at=at,
                    module_id=module.id,
                    course_id=course.id,
                )
            )
            db.session.add(
                ModuleProgress(
                    user_id=other.id,
                    module_id=module.id,
                    course_id=course.id,
                    first_access_at=at,
                    last_access_at=at,
                    visits=1,
                )
            )
    db.session.commit()
    for other in teachers:
        learning.complete_course(other.id, course.id, now - timedelta(days=1))
    learning.complete_course(teacher.id, course.id, now - timedelta(days=1))
    for n, other in enumerate(teachers):
        material = make_material(
            methodist, title=f"Материал {n}", organization_id=other.organization_id
        )
        for kind in (AccessKind.MATERIAL_VIEW, AccessKind.FILE_DOWNLOAD):
            db.session.add(
                AccessEvent(
                    kind=kind,
                    user_id=other.id,
                    at=now - timedelta(hours=n + 1),
                    material_id=material.id,
                )
            )
    db.session.commit()
    return District(teacher, methodist, manager, course.id)


# (who, page, statements). Every count includes loading the signed-in user.
PAGES = [
    # completions, register row, attestation, school, subjects; the own records
    ("teacher", "/training", 7),
    # a page of records with their teachers and schools; its count; the pending count
    ("methodist", "/training/queue?view=open", 4),
    ("methodist", "/training/queue?view=returned", 4),
    ("methodist", "/training/queue?view=verified", 4),
    # the matching teachers with their schools
    ("methodist", "/training/add-for?q=учитель", 2),
    # the teacher with school and subjects; attestation (for the form); completions,
    # external records, register row; attestation (for the card: none set, asked again)
    ("methodist", "/teachers/{teacher}/card", 8),
    # Each report: the filter choices (organizations, subjects, associations), then
    # a count and one page of rows.
    # The dashboard: trainings on the platform and outside, uploads, downloads,
    # statuses by school, top courses and who started them, top materials.
    ("manager", "/reports/", 12),
    ("manager", "/reports/completions", 6),
    ("manager", "/reports/register", 7),  # and the status tabs' counts
    ("manager", "/reports/module-access?course={course}", 9),  # courses; modules: page, query
    ("manager", "/reports/materials", 6),
    ("manager", "/reports/organizations", 6),
]


@pytest.mark.parametrize("size", SIZES)
def test_list_pages_run_as_many_queries_for_3_rows_as_for_20(app, queries, size):
    district = build_district(size)
    clients = {}
    for role in ("teacher", "methodist", "manager"):
        clients[role] = app.test_client()
        login(clients[role], getattr(district, role))
    failures = []
    for role, url, expected in PAGES:
        url = url.format(teacher=district.teacher.id, course=district.course_id)
        try:
            with queries(expected):
                response = clients[role].get(url)
        except AssertionError as error:  # every page's count in one report, not the first
            failures.append(f"{url}: {error}")
            continue
        assert response.status_code == 200, url
    assert not failures, "\n".join(failures)
    page = clients["methodist"].get("/training/queue?view=returned").get_data(as_text=True)
    assert page.count('id="record-') == size  # the pages did list the rows counted
    report = clients["manager"].get("/reports/materials").get_data(as_text=True)
    assert all(f"Материал {n}" in report for n in range(size))
