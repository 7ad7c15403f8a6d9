"""Every list page of accounts, materials, search and home runs a fixed number of queries.

Zulip's assert_database_query_count: the number is written down once the N+1 is gone,
and it must be the same for a small and a larger district. Each page is also checked
to list what was seeded, so a count measured on an empty page proves nothing.
"""

from __future__ import annotations

import re

import pytest

from app.accounts import directory
from app.accounts.models import Role
from app.courses.enrolment import enrol_self
from app.materials import catalog
from app.materials import collections as collection_service
from app.search import indexing
from tests.factories import login, make_course, make_material, make_org, make_subject, make_user

# (role, url) -> SQL statements for the request, whatever the number of rows.
EXPECTED = {
    ("teacher", "/materials"): 9,
    ("teacher", "/materials/mine"): 4,
    ("teacher", "/materials/favourites"): 5,
    ("teacher", "/collections"): 3,
    ("teacher", "/search?q=Методичка"): 6,
    ("teacher", "/home"): 12,
    ("methodist", "/materials"): 9,
    ("methodist", "/materials/mine"): 4,
    ("methodist", "/materials/review"): 4,
    ("methodist", "/search?q=Методичка"): 6,
    ("methodist", "/home"): 10,
    ("admin", "/admin/users?q=author"): 5,
    ("admin", "/admin/organizations"): 3,
    ("admin", "/admin/subjects"): 2,
    ("admin", "/admin/associations"): 4,
    ("admin", "/home"): 6,
    ("manager", "/home"): 10,
}


def seed(n: int) -> dict[str, object]:
    """A district of ``n`` of everything a list page shows, each row with its own relations."""
    subjects = [make_subject(f"Предмет {i}") for i in range(3)]
    methodist = make_user(Role.METHODIST, email="methodist@x.ru")
    teacher = make_user(
        Role.TEACHER, email="teacher@x.ru", organization=make_org("Гимназия педагога")
    )
    people = {
        "teacher": teacher,
        "methodist": methodist,
        "admin": make_user(Role.ADMIN, email="admin@x.ru"),
        "manager": make_user(Role.MANAGER, email="manager@x.ru"),
    }
    for i in range(n):
        org = make_org(f"Школа {i + 1}")
        collection = collection_service.save_collection(f"Коллекция {i}", "", methodist)
        published = make_material(
            methodist,
            title=f"Методичка {i}",
            subject_ids=[subjects[i % 3].id, subjects[(i + 1) % 3].id],
            levels=["primary", "basic"],
            organization_id=org.id,
            collection_ids=[collection.id],
            year=2020 + i % 5,
        )
        catalog.toggle_favourite(teacher, published)
        make_material(teacher, title=f"Черновик {i}", action="draft")
        author = make_user(Role.TEACHER, email=f"author{i}@x.ru", organization=org)
        make_material(author, title=f"На экспертизе {i}", action="submit")
        member = make_user(
            Role.TEACHER, email=f"member{i}@x.ru", organization=org, subjects=subjects
        )
        directory.save_association(
            directory.AssociationData(
                name=f"МО {i}", subject_id=subjects[i % 3].id, leader_id=member.id,
                member_ids=[teacher.id, author.id],
            )
        )  # fmt: skip
        enrol_self(teacher, make_course(methodist, title=f"Курс {i}"))
    indexing.drain()
    return people


def listed(role: str, url: str, html: str) -> int | None:
    """How many seeded rows the page shows; None for a page of figures, not of rows."""
    if url == "/home":
        if role == "teacher":  # the three current courses, then a link to all of them
            return len(re.findall(r'id="home-course-\d+">Курс \d+<', html))
        if role == "manager":  # teachers per organization
            return len(re.findall(r"<td>Школа \d+</td>", html))
        return None
    if url == "/admin/subjects":
        return len(re.findall(r">Предмет \d+<", html))
    patterns = {
        "/materials": r">Методичка \d+<",
        "/materials/mine": r">Черновик \d+<" if role == "teacher" else r">Методичка \d+<",
        "/materials/favourites": r">Методичка \d+<",
        "/materials/review": r">На экспертизе \d+<",
        "/collections": r">Коллекция \d+<",
        "/search?q=Методичка": r'<h2 class="h5 card-title mb-1"><a href="/materials/\d+">',
        "/admin/users?q=author": r">author\d+@x\.ru<",
        "/admin/organizations": r">Школа \d+<",
        "/admin/associations": r">МО \d+<",
    }
    return len(re.findall(patterns[url], html))


def expected_rows(role: str, url: str, n: int) -> int | None:
    if url == "/home":
        return {"teacher": min(n, 3), "manager": n}.get(role)
    return 3 if url == "/admin/subjects" else n


@pytest.mark.parametrize("n", [3, 9])
def test_list_pages_run_the_same_queries_for_any_number_of_rows(app, queries, n):
    people = seed(n)
    clients = {}
    for role, user in people.items():
        clients[role] = app.test_client()
        login(clients[role], user)
    wrong = []
    for (role, url), expected in EXPECTED.items():
        try:
            with queries(expected):
                response = clients[role].get(url)
        except AssertionError as error:  # gather every page's count, then fail once
            wrong.append(f"{role} {url}: {str(error).splitlines()[0]}")
            continue
        assert response.status_code == 200, (role, url)
        html = response.get_data(as_text=True)
        assert listed(role, url, html) == expected_rows(role, url, n), (role, url)
        if (role, url) == ("teacher", "/home") and n > 3:
            assert f"Все текущие курсы ({n})" in html
    assert not wrong, "\n".join(wrong)
