"""The progress matrix, its exports and a teacher's history, against hand-made known timestamps.

Times are written in UTC and shown in Moscow time (UTC+3): 21:30 UTC on 4 March
is 00:30 on 5 March on screen, in the sheets, and in the history.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from lxml import html
from openpyxl import load_workbook
from sqlalchemy import event

from app.accounts.models import Role
from app.courses import authoring as courses
from app.courses import enrolment, learning, overview, progress
from app.courses.views import manage_progress as views_manage
from app.extensions import db
from app.materials.services import upload_from_bytes
from tests.factories import login, make_org, make_user, pdf_bytes


class Clock:
    """Stands in for ``utcnow`` in the learning service."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, month: int, day: int, hour: int, minute: int, second: int = 0) -> None:
        self.now = datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    clock = Clock()
    monkeypatch.setattr(learning, "utcnow", clock)
    return clock


def _answers(attempt, right: bool) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {
        str(q["id"]): [str(o["id"]) for o in q["options"] if o["correct"] == right][:1]
        for q in attempt.questions
    }


@pytest.fixture
def world(clock):  # type: ignore[no-untyped-def]
    school1, school2 = make_org("Школа № 1"), make_org("Школа № 2")
    methodist = make_user(Role.METHODIST, email="m@school.ru", name=("Методистова", "Вера", ""))
    a = make_user(email="a@school.ru", organization=school1, name=("Алексеева", "Анна", ""))
    b = make_user(email="b@school.ru", organization=school1, name=("Борисова", "Бела", ""))
    v = make_user(email="v@school.ru", organization=school2, name=("Васильева", "Вера", ""))
    g = make_user(email="g@school.ru", organization=school2, name=("Григорьева", "Галя", ""))
    course = courses.create_course(courses.CourseData(title="Курс", hours=24), methodist)
    m1, m2, m3, m4 = (
        courses.add_module(
            course, courses.ModuleData(title=title, criterion=crit, required=req), methodist
        )
        for title, crit, req in [
            ("Введение", "opened", True),
            ("Практикум", "studied", True),
            ("Итоги", "opened", True),
            ("Тест по выбору", "test", False),
        ]
    )
    courses.add_question(
        m4, courses.QuestionData(text="2+2?", options=[("4", True), ("5", False)]), methodist
    )
    handout = courses.add_module_file(
        m2, upload_from_bytes(pdf_bytes("Handout"), "практикум.pdf"), methodist
    )
    courses.set_status(course, "published", methodist)
    other = courses.create_course(courses.CourseData(title="Другой", hours=6), methodist)
    other_module = courses.add_module(other, courses.ModuleData(title="Чужой"), methodist)
    courses.set_status(other, "published", methodist)

    clock.at(3, 1, 6, 0)
    enrolment.enrol_users(course, [a.id, b.id, v.id, g.id], methodist)
    enrolment.enrol_users(other, [a.id], methodist)

    clock.at(3, 2, 7, 15)
    learning.record_module_open(a, m1)  # opened: completes at once
    clock.at(3, 2, 7, 40)
    open_m2 = learning.record_module_open(a, m2)
    clock.at(3, 2, 7, 42)
    learning.record_module_download(a, m2, handout)
    clock.at(3, 2, 7, 46)
    learning.record_time(a, open_m2, 300)
    clock.at(3, 2, 8, 0)
    learning.record_module_open(a, other_module)  # another course: not in this history
    clock.at(3, 3, 12, 0)
    learning.record_module_open(a, m1)  # a second visit keeps the first access
    clock.at(3, 3, 12, 5)
    learning.confirm_studied(a, m2)
    clock.at(3, 4, 21, 30)
    learning.record_module_open(a, m3)  # the last required module: the course is complete
    clock.at(3, 5, 8, 0)
    learning.record_module_open(a, m4)
    clock.at(3, 5, 8, 2)
    failed = learning.start_attempt(a, m4)
    clock.at(3, 5, 8, 5)
    learning.submit_attempt(a, failed.id, _answers(failed, right=False))
    clock.at(3, 5, 8, 7)
    second = learning.start_attempt(a, m4)
    clock.at(3, 5, 8, 10)
    learning.submit_attempt(a, second.id, _answers(second, right=True))

    clock.at(3, 5, 21, 10)
    learning.record_module_open(b, m2)  # studied: opened, not completed
    clock.at(3, 6, 9, 0)
    learning.record_module_open(v, m1)
    return {
        "course": course,
        "modules": [m1, m2, m3, m4],
        "people": [a, b, v, g],
        "orgs": [school1, school2],
        "methodist": methodist,
    }


# What the screen (Moscow time) must say: name -> module index -> (first access, completed).
EXPECTED = {
    "Алексеева Анна": {
        0: ("02.03.2026 10:15", "02.03.2026 10:15"),
        1: ("02.03.2026 10:40", "03.03.2026 15:05"),
        2: ("05.03.2026 00:30", "05.03.2026 00:30"),
        3: ("05.03.2026 11:00", "05.03.2026 11:10"),
    },
    "Борисова Бела": {1: ("06.03.2026 00:10", "")},
    "Васильева Вера": {0: ("06.03.2026 12:00", "06.03.2026 12:00")},
    "Григорьева Галя": {},
}
COURSE_DONE = {"Алексеева Анна": "05.03.2026 00:30"}
ORGS = {
    "Алексеева Анна": "Школа № 1",
    "Борисова Бела": "Школа № 1",
    "Васильева Вера": "Школа № 2",
    "Григорьева Галя": "Школа № 2",
}


def expected_rows(names: list[str]) -> list[list[str]]:
    rows = []
    for name in names:
        row = [name, ORGS[name]]
        for index in range(4):
            row += list(EXPECTED[name].get(index, ("", "")))
        rows.append([*row, COURSE_DONE.get(name, "")])
    return rows


def screen_rows(page: str) -> list[list[str]]:
    """The matrix table as text: name, organization, then first/completed per module."""
    tree = html.fromstring(page)
    rows = []
    for tr in tree.get_element_by_id("progress-matrix").xpath("./tbody/tr[@data-user-id]"):
        name = " ".join(tr.xpath("./th")[0].text_content().split())
        cells = tr.xpath("./td")
        row = [name, cells[0].text_content().strip()]
        for td in cells[1:-1]:
            first = td.xpath(".//*[@class='cell-first']")
            done = td.xpath(".//*[@class='cell-completed']")
            row.append(first[0].text_content().strip() if first else "")
            row.append(done[0].text_content().strip() if done else "")
        last = cells[-1].text_content().strip()
        rows.append([*row, "" if last == "—" else last])
    return rows


def xlsx_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))

    def show(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%d.%m.%Y %H:%M")
        return str(value)

    return [str(v) for v in values[0]], [[show(v) for v in row] for row in values[1:]]


def csv_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    reader = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    return reader[0], reader[1:]


@pytest.fixture
def staff(app, world):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, world["methodist"])
    return client


# --- the matrix ---------------------------------------------------------------------------


def test_matrix_service_has_exact_cells(world):
    course, (m1, m2, m3, m4) = world["course"], world["modules"]
    table = progress.matrix(course)
    assert table.total == 4 and [m.id for m in table.modules] == [m1.id, m2.id, m3.id, m4.id]
    assert [r.user.last_name for r in table.rows] == [
        "Алексеева",
        "Борисова",
        "Васильева",
        "Григорьева",
    ]
    a, b, v, g = table.rows
    assert a.cells[m1.id].first_access_at == datetime(2026, 3, 2, 7, 15, tzinfo=UTC)
    assert a.cells[m1.id].visits == 2
    assert a.cells[m2.id].completed_at == datetime(2026, 3, 3, 12, 5, tzinfo=UTC)
    assert a.cells[m2.id].seconds == 300
    assert a.completed_at == datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
    assert set(b.cells) == {m2.id} and b.cells[m2.id].completed_at is None
    assert set(v.cells) == {m1.id} and g.cells == {} and g.completed_at is None
    assert table.completed == 1
    totals = {module_id: (t.opened, t.completed) for module_id, t in table.totals.items()}
    assert totals == {m1.id: (2, 2), m2.id: (2, 1), m3.id: (1, 1), m4.id: (1, 1)}


def test_matrix_page_shows_which_modules_each_teacher_opened_and_when(staff, world):
    course = world["course"]
    page = staff.get(f"/courses/{course.id}/matrix").get_data(as_text=True)
    assert screen_rows(page) == expected_rows(list(EXPECTED))
    assert "Педагогов: 4 · завершили курс: 1" in page
    tree = html.fromstring(page)
    totals = " ".join(tree.get_element_by_id("matrix-totals").text_content().split())
    assert "открыли: 2 завершили: 2" in totals
    # Each name leads to the teacher's history.
    a = world["people"][0]
    assert f'href="/courses/{course.id}/users/{a.id}/history"' in page


def test_organization_filter(staff, world):
    course, (school1, school2) = world["course"], world["orgs"]
    table = progress.matrix(course, organization_id=school2.id)
    assert [r.user.last_name for r in table.rows] == ["Васильева", "Григорьева"]
    assert table.total == 2 and table.completed == 0
    assert table.totals[world["modules"][0].id] == progress.ModuleTotals(opened=1, completed=1)
    assert world["modules"][1].id not in table.totals
    page = staff.get(f"/courses/{course.id}/matrix", query_string={"org": school2.id})
    assert screen_rows(page.get_data(as_text=True)) == expected_rows(
        ["Васильева Вера", "Григорьева Галя"]
    )
    page = staff.get(f"/courses/{course.id}/matrix", query_string={"org": school1.id})
    assert [r[0] for r in screen_rows(page.get_data(as_text=True))] == [
        "Алексеева Анна",
        "Борисова Бела",
    ]
    # Rubbish in the filter is ignored rather than an error.
    assert staff.get(f"/courses/{course.id}/matrix?org=abc&page=-3").status_code == 200


def test_paging_and_export_of_all_pages(staff, world, monkeypatch):
    course = world["course"]
    monkeypatch.setattr(views_manage, "MATRIX_PER_PAGE", 3)
    first = staff.get(f"/courses/{course.id}/matrix").get_data(as_text=True)
    second = staff.get(f"/courses/{course.id}/matrix", query_string={"page": 2})
    on_screen = screen_rows(first) + screen_rows(second.get_data(as_text=True))
    assert [r[0] for r in on_screen] == list(EXPECTED)
    assert "Педагогов: 4" in first  # the total counts every page
    for fmt, read in (("xlsx", xlsx_rows), ("csv", csv_rows)):
        response = staff.get(f"/courses/{course.id}/matrix/export", query_string={"format": fmt})
        _header, rows = read(response.data)
        assert rows == on_screen


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("org_index", [None, 0, 1])
def test_export_rows_equal_screen_rows(staff, world, fmt, org_index):
    course = world["course"]
    args = {} if org_index is None else {"org": world["orgs"][org_index].id}
    screen = screen_rows(
        staff.get(f"/courses/{course.id}/matrix", query_string=args).get_data(as_text=True)
    )
    response = staff.get(
        f"/courses/{course.id}/matrix/export", query_string={"format": fmt, **args}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    header, rows = (xlsx_rows if fmt == "xlsx" else csv_rows)(response.data)
    assert rows == screen
    assert header[:4] == [
        "ФИО",
        "Организация",
        "1. Введение: первое обращение",
        "1. Введение: завершён",
    ]
    assert header[-1] == "Курс завершён" and len(header) == 2 + 2 * 4 + 1


def test_export_format_must_be_known(staff, world):
    course = world["course"]
    assert staff.get(f"/courses/{course.id}/matrix/export?format=pdf").status_code == 404
    assert staff.get(f"/courses/{course.id}/matrix/export").status_code == 404


def test_matrix_costs_the_same_queries_for_4_or_64_teachers(app, world, clock):
    course, (m1, *_rest) = world["course"], world["modules"]
    methodist = world["methodist"]
    client = app.test_client()
    login(client, methodist)

    def statements(action) -> int:  # type: ignore[no-untyped-def]
        seen: list[str] = []

        def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            action()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(seen)

    def service() -> None:
        db.session.expire_all()
        progress.matrix(course)

    def view() -> None:
        assert client.get(f"/courses/{course.id}/matrix").status_code == 200

    small = statements(service), statements(view)
    extra = [
        make_user(
            email=f"x{n}@school.ru",
            organization=world["orgs"][n % 2],
            name=(f"Яковлева{n:02d}", "Яна", ""),
        )
        for n in range(60)
    ]
    enrolment.enrol_users(course, [u.id for u in extra], methodist)
    for user in extra:
        learning.record_module_open(user, m1)
    large = statements(service), statements(view)
    assert large == small
    assert small[0] <= 9  # course and modules reloaded, count, page, 3 per-page, 2 totals


# --- one teacher's history ------------------------------------------------------------------


def test_access_history_is_ordered_and_complete(staff, world):
    course, (m1, m2, m3, m4) = world["course"], world["modules"]
    a = world["people"][0]
    events = progress.access_history(course, a)
    assert [(e.kind, e.module_id) for e in events] == [
        ("module_open", m1.id),
        ("module_open", m2.id),
        ("module_download", m2.id),
        ("module_time", m2.id),
        ("module_open", m1.id),
        ("module_studied", m2.id),
        ("module_open", m3.id),
        ("module_open", m4.id),
        ("test_submitted", m4.id),
        ("test_submitted", m4.id),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert all(e.course_id == course.id for e in events)

    page = staff.get(f"/courses/{course.id}/users/{a.id}/history").get_data(as_text=True)
    tree = html.fromstring(page)
    rows = [
        [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        for tr in tree.get_element_by_id("access-history").xpath("./tbody/tr")
    ]
    assert rows == [
        ["02.03.2026 10:15:00", "открыл модуль", "Введение", "—"],
        ["02.03.2026 10:40:00", "открыл модуль", "Практикум", "—"],
        ["02.03.2026 10:42:00", "скачал файл", "Практикум", "практикум.pdf"],
        ["02.03.2026 10:46:00", "время на странице: 5 мин", "Практикум", "—"],
        ["03.03.2026 15:00:00", "открыл модуль", "Введение", "—"],
        ["03.03.2026 15:05:00", "подтвердил(а) изучение", "Практикум", "—"],
        ["05.03.2026 00:30:00", "открыл модуль", "Итоги", "—"],
        ["05.03.2026 11:00:00", "открыл модуль", "Тест по выбору", "—"],
        ["05.03.2026 11:05:00", "сдал(а) попытку теста", "Тест по выбору", "—"],
        ["05.03.2026 11:10:00", "сдал(а) попытку теста", "Тест по выбору", "—"],
    ]
    attempts = [
        [" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
        for tr in tree.get_element_by_id("attempts").xpath("./tbody/tr")
    ]
    # (An attempt's start is stamped by the model's own clock, so only its end is known here.)
    assert [[row[0], row[1], *row[3:]] for row in attempts] == [
        ["Тест по выбору", "1", "05.03.2026 11:05", "0 %", "не сдан"],
        ["Тест по выбору", "2", "05.03.2026 11:10", "100 %", "сдан"],
    ]
    summary = " ".join(tree.get_element_by_id("learner-summary").text_content().split())
    assert "курс завершён 05.03.2026 00:30" in summary


def test_history_of_someone_never_enrolled_is_404(staff, world):
    stranger = make_user(email="s@school.ru")
    course = world["course"]
    assert staff.get(f"/courses/{course.id}/users/{stranger.id}/history").status_code == 404
    assert staff.get(f"/courses/{course.id}/users/999999/history").status_code == 404
    g = world["people"][3]
    page = staff.get(f"/courses/{course.id}/users/{g.id}/history").get_data(as_text=True)
    assert "Педагог ещё не открывал модули курса." in page


def test_enrollment_summary_and_list(staff, world):
    course = world["course"]
    b = world["people"][1]
    enrolment.withdraw(course, b.id, world["methodist"])
    summary = progress.enrollment_summary(course)
    assert summary == progress.EnrollmentSummary(enrolled=3, started=2, completed=1, withdrawn=1)
    listing = progress.enrollment_page(course)
    assert [(r.user.last_name, r.percent) for r in listing.rows] == [
        ("Алексеева", 100),
        ("Васильева", 33),
        ("Григорьева", 0),
    ]
    assert listing.rows[0].enrolled_by.id == world["methodist"].id
    by_title = {o.course.title: o for o in overview.course_overview()}
    assert (by_title["Курс"].modules, by_title["Курс"].enrolled, by_title["Курс"].completed) == (
        4,
        3,
        1,
    )
