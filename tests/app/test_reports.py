"""Reports for management, checked against a small hand-computed district.

The district (period 1 March – 30 April 2026, Moscow time, register as of 30 April):

    school А: Алексеева (ok), Борисов (ok), Егоров (overdue, last 2019)
    school Б: Васильева (ok), Григорьев (due soon, last 1 June 2023), Дмитриева (no data)

    platform completions   Алексеева «Курс один» 31.03 (20:59:59 UTC — still March in Moscow)
                           Борисов   «Курс один» 01.04 (21:00:00 UTC on 31.03 — April in Moscow)
                           Васильева «Курс два»  15.04
                           Алексеева «Курс два»  27.02 (before the period)
    external (verified)    Васильева 10.03, 24 h; Борисов 10.01.2025; Григорьев 01.06.2023;
                           Егоров 01.05.2019   — and one of Борисов's still pending (ignored)

Every figure below is worked out by hand from this table, and the same tests run on
SQLite and on PostgreSQL (``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from app.accounts.models import MethodicalAssociation, Role
from app.core.errors import NotFound, PermissionDenied
from app.courses import learning
from app.courses.models import Enrollment, ModuleProgress
from app.extensions import db
from app.materials import services as materials
from app.materials.access_events import AccessEvent, AccessKind
from app.materials.models import Material
from app.reports import queries as reports
from app.reports.queries import Period, ReportFilters
from app.training.models import Attestation, ExternalTraining
from app.training.register import RegisterFilters
from tests.factories import docx_bytes, login, make_course, make_org, make_subject, make_user

PERIOD = Period(date(2026, 3, 1), date(2026, 4, 30))
ON_DAY = date(2026, 4, 30)
ARGS = "from=2026-03-01&to=2026-04-30"
FORMULA_PROGRAMME = '=HYPERLINK("http://evil.example/","Нажмите")'
FORMULA_NUMBER = "+7-123"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class District:
    a: Any
    b: Any
    math: Any
    physics: Any
    ma: Any
    t1: Any
    t2: Any
    t3: Any
    t4: Any
    t5: Any
    t6: Any
    methodist: Any
    manager: Any
    c1: Any
    c2: Any
    mat_x: Any
    mat_y: Any
    mat_z: Any


def external(user, ends_on, hours, status="verified", **extra):  # type: ignore[no-untyped-def]
    record = ExternalTraining(
        user_id=user.id,
        provider=extra.pop("provider", "ИРО"),
        programme=extra.pop("programme", "Программа"),
        hours=hours,
        ends_on=ends_on,
        status=status,
        **extra,
    )
    db.session.add(record)
    return record


def event(kind, user, at, **refs):  # type: ignore[no-untyped-def]
    db.session.add(AccessEvent(kind=kind, user_id=user.id, at=at, **refs))


def material(actor, title, org, subject, created_at):  # type: ignore[no-untyped-def]
    return materials.create_material(
        materials.MaterialData(
            title=title,
            material_type="lesson_plan",
            organization_id=org.id if org else None,
            subject_ids=[subject.id] if subject else [],
        ),
        [materials.upload_from_bytes(docx_bytes(title), "файл.docx")],
        actor,
        action="publish",
        created_at=created_at,
    )


@pytest.fixture
def district() -> District:
    a, b = make_org("Школа А"), make_org("Школа Б")
    math, physics = make_subject("Математика"), make_subject("Физика")
    t1 = make_user(
        email="t1@s.ru", name=("Алексеева", "Анна", "Ивановна"), organization=a, subjects=[math]
    )
    t2 = make_user(
        email="t2@s.ru", name=("Борисов", "Борис", "Петрович"), organization=a, subjects=[physics]
    )
    t3 = make_user(
        email="t3@s.ru", name=("Васильева", "Вера", "Сергеевна"), organization=b, subjects=[math]
    )
    t4 = make_user(email="t4@s.ru", name=("Григорьев", "Глеб", "Олегович"), organization=b)
    t5 = make_user(email="t5@s.ru", name=("Дмитриева", "Дарья", "Андреевна"), organization=b)
    t6 = make_user(email="t6@s.ru", name=("Егоров", "Егор", "Ильич"), organization=a)
    methodist = make_user(Role.METHODIST, email="m@s.ru", name=("Методист", "Мария", "Ивановна"))
    manager = make_user(Role.MANAGER, email="boss@s.ru", name=("Начальник", "Нина", "Юрьевна"))
    ma = MethodicalAssociation(name="МО учителей математики", subject_id=math.id)
    ma.members.append(t1)
    db.session.add(ma)
    db.session.add(Attestation(user_id=t1.id, category="highest", granted_on=date(2024, 5, 1)))
    db.session.commit()

    c1 = make_course(methodist, title="Курс один", hours=36, modules=("opened",) * 3)
    c2 = make_course(methodist, title="Курс два", hours=72, modules=("opened",))
    m1, m2, m3 = c1.modules
    for user, course, at in (
        (t1, c1, utc(2026, 3, 1, 10)),
        (t2, c1, utc(2026, 2, 20, 10)),
        (t3, c2, utc(2026, 4, 1, 10)),
    ):
        db.session.add(Enrollment(user_id=user.id, course_id=course.id, enrolled_at=at))
    db.session.commit()
    for user, course, at in (
        (t1, c1, utc(2026, 3, 31, 20, 59, 59)),
        (t2, c1, utc(2026, 3, 31, 21, 0, 0)),
        (t3, c2, utc(2026, 4, 15, 10)),
        (t1, c2, utc(2026, 2, 27, 10)),
    ):
        learning.complete_course(user.id, course.id, at)
    db.session.commit()

    external(t3, date(2026, 3, 10), 24, programme=FORMULA_PROGRAMME,
             document_type="Удостоверение", document_number=FORMULA_NUMBER,
             starts_on=date(2026, 3, 1))  # fmt: skip
    external(t2, date(2026, 4, 20), 16, status="pending")
    external(t2, date(2025, 1, 10), 36)
    external(t4, date(2023, 6, 1), 72)
    external(t6, date(2019, 5, 1), 72)

    # Module opens; a download of a module file is not an "open".
    for user, module, at in (
        (t1, m1, utc(2026, 3, 2, 8)),
        (t1, m1, utc(2026, 3, 5, 9)),
        (t1, m2, utc(2026, 3, 31, 20, 59, 59)),
        (t2, m1, utc(2026, 2, 28, 20, 59, 59)),  # 23:59:59 on 28 Feb in Moscow: outside
        (t2, m1, utc(2026, 2, 28, 21, 0, 0)),  # 00:00 on 1 March: inside
        (t3, m3, utc(2026, 4, 30, 20, 59, 59)),  # last second of the period
        (t3, m3, utc(2026, 4, 30, 21, 0, 0)),  # 1 May: outside
    ):
        event(AccessKind.MODULE_OPEN, user, at, module_id=module.id, course_id=c1.id)
    event(AccessKind.MODULE_DOWNLOAD, t1, utc(2026, 3, 3), module_id=m1.id, course_id=c1.id)
    for user, module, first in (
        (t1, m1, utc(2026, 3, 2, 8)),
        (t2, m1, utc(2026, 2, 28, 20, 59, 59)),
        (t3, m3, utc(2026, 4, 30, 20, 59, 59)),
    ):
        db.session.add(
            ModuleProgress(
                user_id=user.id, module_id=module.id, course_id=c1.id,
                first_access_at=first, last_access_at=first, visits=1,
            )
        )  # fmt: skip
    db.session.commit()

    mat_x = material(methodist, "Задачи по алгебре", a, math, utc(2026, 3, 31, 20, 59, 59))
    mat_y = material(methodist, "Опыты по физике", b, physics, utc(2026, 3, 31, 21, 0, 0))
    mat_z = material(methodist, "=1+2 формула", None, None, utc(2025, 6, 1))
    for kind, user, mat, at in (
        (AccessKind.FILE_DOWNLOAD, t1, mat_x, utc(2026, 3, 10)),
        (AccessKind.FILE_DOWNLOAD, methodist, mat_z, utc(2026, 3, 15)),
        (AccessKind.FILE_DOWNLOAD, t3, mat_x, utc(2026, 4, 2)),
        (AccessKind.FILE_DOWNLOAD, t3, mat_x, utc(2026, 4, 3)),
        (AccessKind.FILE_DOWNLOAD, t1, mat_y, utc(2026, 4, 10)),
        (AccessKind.FILE_DOWNLOAD, t2, mat_y, utc(2026, 4, 30, 20, 59, 59)),
        (AccessKind.FILE_DOWNLOAD, t2, mat_y, utc(2026, 4, 30, 21, 0, 0)),  # May
        (AccessKind.MATERIAL_VIEW, t1, mat_x, utc(2026, 3, 9)),
        (AccessKind.MATERIAL_VIEW, t3, mat_y, utc(2026, 3, 20)),
        (AccessKind.MATERIAL_VIEW, t3, mat_y, utc(2026, 3, 21)),
    ):
        event(kind, user, at, material_id=mat.id)
    db.session.commit()
    return District(
        a, b, math, physics, ma, t1, t2, t3, t4, t5, t6, methodist, manager, c1, c2,
        mat_x, mat_y, mat_z,
    )  # fmt: skip


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """The site believes it is 30 April 2026 (the register's statuses depend on today)."""
    monkeypatch.setattr(reports, "today", lambda now=None: ON_DAY)
    return ON_DAY


@pytest.fixture
def manager_client(client, district):  # type: ignore[no-untyped-def]
    login(client, district.manager)
    return client


def filters(**kwargs: Any) -> ReportFilters:
    return ReportFilters(PERIOD, **kwargs)


def rows_of(query) -> list[Any]:  # type: ignore[no-untyped-def]
    return list(db.session.execute(query))


# --- time buckets --------------------------------------------------------------------


def test_month_boundary_in_moscow_time():
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    months = reports.buckets(period, "month")
    assert [(b.first, b.last) for b in months] == [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
    ]
    assert months[1].start_utc == utc(2026, 3, 31, 21)
    assert period.start_utc == utc(2026, 2, 28, 21) and period.end_utc == utc(2026, 4, 30, 21)
    teacher = make_user()
    event(AccessKind.FILE_DOWNLOAD, teacher, utc(2026, 3, 31, 20, 59, 59))
    event(AccessKind.FILE_DOWNLOAD, teacher, utc(2026, 3, 31, 21, 0, 0))
    event(AccessKind.FILE_DOWNLOAD, teacher, utc(2026, 3, 31, 21, 0, 1))
    db.session.commit()
    result = reports.materials_by_bucket(ReportFilters(period), months)
    assert [m.downloads for m in result] == [1, 2]
    days = reports.buckets(Period(date(2026, 3, 30), date(2026, 4, 2)), "day")
    result = reports.materials_by_bucket(ReportFilters(Period(days[0].first, days[-1].last)), days)
    assert [m.downloads for m in result] == [0, 1, 2, 0]


def test_partial_months_and_binary_case_cover_every_bucket():
    period = Period(date(2025, 1, 15), date(2026, 2, 10))
    months = reports.buckets(period, "month")
    assert len(months) == 14
    assert months[0].first == date(2025, 1, 15) and months[-1].last == date(2026, 2, 10)
    teacher = make_user()
    for b in months:  # one event on the first and one on the last second of every bucket
        event(AccessKind.FILE_DOWNLOAD, teacher, b.start_utc)
        event(AccessKind.FILE_DOWNLOAD, teacher, b.end_utc - timedelta(seconds=1))
    db.session.commit()
    result = reports.materials_by_bucket(ReportFilters(period), months)
    assert [m.downloads for m in result] == [2] * 14


# --- the dashboard ---------------------------------------------------------------------


def test_dashboard_numbers(district):
    data = reports.build_dashboard(district.manager, filters(), ON_DAY, "month")
    assert [(t.platform_count, t.platform_hours, t.external_count, t.external_hours)
            for t in data.trainings] == [(1, 36, 1, 24), (2, 108, 0, 0)]  # fmt: skip
    f = data.figures
    assert (f.teachers, f.ok, f.ok_share, f.completions, f.hours) == (6, 3, 50, 4, 168)
    assert (f.uploaded, f.downloads) == (2, 6)
    assert [(m.uploaded, m.downloads) for m in data.materials] == [(1, 2), (1, 4)]
    by_org = {s["organization"]: s for s in data.statuses}
    assert {k: by_org["Школа А"][k] for k in ("ok", "due_soon", "overdue", "no_data")} == {
        "ok": 2, "due_soon": 0, "overdue": 1, "no_data": 0,
    }  # fmt: skip
    assert {k: by_org["Школа Б"][k] for k in ("ok", "due_soon", "overdue", "no_data")} == {
        "ok": 1, "due_soon": 1, "overdue": 0, "no_data": 1,
    }  # fmt: skip
    assert [(c.title, c.completions, c.enrolments, c.started) for c in data.courses] == [
        ("Курс один", 2, 1, 2),
        ("Курс два", 1, 1, 0),
    ]
    assert [(m.title, m.downloads) for m in data.top_materials] == [
        ("Задачи по алгебре", 3),
        ("Опыты по физике", 2),
        ("=1+2 формула", 1),
    ]


def test_dashboard_filtered_by_organization_subject_and_association(district):
    data = reports.build_dashboard(
        district.manager, filters(organization_id=district.a.id), ON_DAY, "month"
    )
    f = data.figures
    assert (f.teachers, f.ok, f.completions, f.hours) == (3, 2, 2, 72)
    assert [(m.uploaded, m.downloads) for m in data.materials] == [(1, 1), (0, 2)]
    assert [s["organization"] for s in data.statuses] == ["Школа А"]
    data = reports.build_dashboard(
        district.manager, filters(subject_id=district.math.id), ON_DAY, "month"
    )
    assert (data.figures.teachers, data.figures.completions, data.figures.hours) == (2, 3, 132)
    data = reports.build_dashboard(
        district.manager, filters(association_id=district.ma.id), ON_DAY, "month"
    )
    assert (data.figures.teachers, data.figures.completions, data.figures.hours) == (1, 1, 36)
    assert [(c.title, c.completions, c.enrolments, c.started) for c in data.courses] == [
        ("Курс один", 1, 1, 1)
    ]


def test_dashboard_by_day(district):
    period = Period(date(2026, 3, 30), date(2026, 4, 2))
    data = reports.build_dashboard(district.manager, ReportFilters(period), ON_DAY, "day")
    assert [(t.bucket.first, t.count, t.hours) for t in data.trainings] == [
        (date(2026, 3, 30), 0, 0),
        (date(2026, 3, 31), 1, 36),
        (date(2026, 4, 1), 1, 36),
        (date(2026, 4, 2), 0, 0),
    ]
    assert [m.uploaded for m in data.materials] == [0, 1, 1, 0]


def test_dashboard_page_shows_figures_charts_and_tables(manager_client, district):
    response = manager_client.get(f"/reports/?{ARGS}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="fig-completions">4<' in html and 'id="fig-hours">168<' in html
    assert 'id="fig-ok-share">50%<' in html and 'id="fig-downloads">6<' in html
    assert html.count("data-chart='") == 5
    assert "март 2026" in html and "апрель 2026" in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html
    assert "<script>" not in html  # the CSP allows no inline script
    filtered = manager_client.get(f"/reports/?{ARGS}&org={district.a.id}").get_data(as_text=True)
    assert 'id="fig-completions">2<' in filtered and 'id="fig-teachers">3<' in filtered


def test_manager_home_links_the_dashboard(manager_client, district, fixed_today):
    html = manager_client.get("/home").get_data(as_text=True)
    assert "/reports/" in html and 'id="home-reports"' in html


# --- the reports ---------------------------------------------------------------------------


def test_completions_report(district):
    result = rows_of(reports.completions_query(district.manager, filters()))
    assert [(r.last_name, r.kind, r.programme, r.ends_on, r.hours) for r in result] == [
        ("Васильева", "platform", "Курс два", date(2026, 4, 15), 72),
        ("Борисов", "platform", "Курс один", date(2026, 4, 1), 36),
        ("Алексеева", "platform", "Курс один", date(2026, 3, 31), 36),
        ("Васильева", "external", FORMULA_PROGRAMME, date(2026, 3, 10), 24),
    ]
    first = result[2]
    assert first.starts_on == date(2026, 3, 1) and first.document_number.startswith("ОМС-2026-")
    assert result[3].document_number == FORMULA_NUMBER
    assert (
        len(rows_of(reports.completions_query(district.manager, filters(), kind="external"))) == 1
    )
    by_name = rows_of(
        reports.completions_query(
            district.manager, filters(organization_id=district.b.id), "", "name"
        )
    )
    assert [(r.last_name, r.ends_on) for r in by_name] == [
        ("Васильева", date(2026, 4, 15)),
        ("Васильева", date(2026, 3, 10)),
    ]
    by_hours = rows_of(reports.completions_query(district.manager, filters(), sort="hours"))
    assert [r.hours for r in by_hours] == [72, 36, 36, 24]


def test_register_report(district):
    query = reports.register_query(district.manager, RegisterFilters(), ON_DAY, "name")
    result = {r.User.last_name: r for r in rows_of(query)}
    assert {name: r.status for name, r in result.items()} == {
        "Алексеева": "ok", "Борисов": "ok", "Васильева": "ok",
        "Григорьев": "due_soon", "Дмитриева": "no_data", "Егоров": "overdue",
    }  # fmt: skip
    assert (result["Алексеева"].hours_year, result["Алексеева"].hours_window) == (108, 108)
    assert (result["Борисов"].hours_year, result["Борисов"].hours_window) == (36, 72)
    assert result["Григорьев"].last_day == date(2023, 6, 1)
    due = reports.register_query(district.manager, RegisterFilters(due_within_months=2), ON_DAY)
    assert [r.User.last_name for r in rows_of(due)] == ["Григорьев"]
    due = reports.register_query(district.manager, RegisterFilters(due_within_months=1), ON_DAY)
    assert rows_of(due) == []


def test_module_access_report(district):
    query = reports.module_access_query(district.manager, district.c1.id, filters())
    result = [(r.module_title, r.last_name, r.first_at, r.last_at, r.opens) for r in rows_of(query)]
    assert result == [
        ("Модуль 1", "Алексеева", utc(2026, 3, 2, 8), utc(2026, 3, 5, 9), 2),
        ("Модуль 1", "Борисов", utc(2026, 2, 28, 21), utc(2026, 2, 28, 21), 1),
        ("Модуль 2", "Алексеева", utc(2026, 3, 31, 20, 59, 59), utc(2026, 3, 31, 20, 59, 59), 1),
        ("Модуль 3", "Васильева", utc(2026, 4, 30, 20, 59, 59), utc(2026, 4, 30, 20, 59, 59), 1),
    ]
    module3 = district.c1.modules[2].id
    only = rows_of(
        reports.module_access_query(district.manager, district.c1.id, filters(), module3)
    )
    assert [r.last_name for r in only] == ["Васильева"]
    week = ReportFilters(Period(date(2026, 3, 2), date(2026, 3, 8)))
    assert [(r.last_name, r.opens) for r in rows_of(
        reports.module_access_query(district.manager, district.c1.id, week, sort="opens")
    )] == [("Алексеева", 2)]  # fmt: skip
    by_org = rows_of(
        reports.module_access_query(
            district.manager, district.c1.id, filters(organization_id=district.b.id)
        )
    )
    assert [r.last_name for r in by_org] == ["Васильева"]


def test_materials_report(district):
    result = rows_of(reports.materials_query(district.manager, filters()))
    assert [(r.title, r.views, r.downloads) for r in result] == [
        ("Задачи по алгебре", 1, 3),
        ("Опыты по физике", 2, 2),
        ("=1+2 формула", 0, 1),
    ]
    assert [
        r.title
        for r in rows_of(
            reports.materials_query(district.manager, filters(organization_id=district.a.id))
        )
    ] == ["Задачи по алгебре"]
    assert [
        r.title
        for r in rows_of(
            reports.materials_query(district.manager, filters(subject_id=district.physics.id))
        )
    ] == ["Опыты по физике"]
    by_views = rows_of(reports.materials_query(district.manager, filters(), "views"))
    assert by_views[0].title == "Опыты по физике"
    by_org = rows_of(reports.downloads_by_organization(district.manager, filters()))
    assert [(r.organization, r.views, r.downloads, r.downloaders) for r in by_org] == [
        ("Школа А", 1, 3, 2),
        ("Школа Б", 2, 2, 1),
        (None, 0, 1, 1),
    ]
    only_x = rows_of(
        reports.downloads_by_organization(district.manager, filters(organization_id=district.a.id))
    )
    assert [(r.organization, r.views, r.downloads) for r in only_x] == [
        ("Школа Б", 0, 2),
        ("Школа А", 1, 1),
    ]


def test_organizations_report(district):
    result = rows_of(reports.organizations_query(district.manager, filters(), ON_DAY, "name"))
    assert [
        (r.organization, r.teachers, r.ok, r.due_soon, r.overdue, r.no_data, r.completions, r.hours)
        for r in result
    ] == [
        ("Школа А", 3, 2, 0, 1, 0, 2, 72),
        ("Школа Б", 3, 1, 1, 0, 1, 2, 96),
    ]
    by_share = rows_of(reports.organizations_query(district.manager, filters(), ON_DAY, "share"))
    assert [r.organization for r in by_share] == ["Школа Б", "Школа А"]
    one = rows_of(
        reports.organizations_query(
            district.manager, filters(organization_id=district.b.id), ON_DAY
        )
    )
    assert [r.organization for r in one] == ["Школа Б"]


# --- pages and exports -------------------------------------------------------------------


class TableReader(HTMLParser):
    """The text of every cell of ``<table id=…>``'s body, row by row."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.depth = 1
        elif self.depth and tag == "table":
            self.depth += 1
        if not self.depth:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def screen_rows(html: str, table_id: str = "report-table") -> list[list[str]]:
    reader = TableReader(table_id)
    reader.feed(html)
    return reader.rows


def normal(value: object) -> str:
    """A cell as text, the same whether read from the page, a CSV or an XLSX file."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    text = " ".join(str(value).replace("\xa0", " ").split())
    if text == "—":
        return ""
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # CSV neutralises formula-like text with a leading apostrophe
    try:
        number = float(text.replace(" ", "").replace(",", "."))
    except ValueError:
        return text
    return f"{number:g}"


def xlsx_rows(data: bytes) -> tuple[list[str], list[list[Any]], Any]:
    sheet = load_workbook(io.BytesIO(data)).active

    def value(cell: Any) -> Any:
        if isinstance(cell.value, datetime) and "H" not in cell.number_format.upper():
            return cell.value.date()  # a date column: Excel keeps dates as midnight
        return cell.value

    rows = [[value(c) for c in row] for row in sheet.iter_rows()]
    return [str(c) for c in rows[0]], rows[1:], sheet


def csv_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return rows[0], rows[1:]


REPORT_URLS = [
    f"/reports/completions?{ARGS}",
    "/reports/register",
    f"/reports/materials?{ARGS}",
    f"/reports/organizations?{ARGS}",
]


@pytest.mark.parametrize("url", REPORT_URLS)
def test_exports_equal_the_screen(manager_client, district, fixed_today, url):
    html = manager_client.get(url).get_data(as_text=True)
    screen = [[normal(c) for c in row] for row in screen_rows(html)]
    assert screen and all(len(r) == len(screen[0]) for r in screen)
    joiner = "&" if "?" in url else "?"
    response = manager_client.get(f"{url}{joiner}format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    header, rows, _sheet = xlsx_rows(response.data)
    assert [[normal(c) for c in row] for row in rows] == screen
    response = manager_client.get(f"{url}{joiner}format=csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    csv_header, rows_csv = csv_rows(response.data)
    assert csv_header == header
    assert [[normal(c) for c in row] for row in rows_csv] == screen


def test_module_access_page_and_export(manager_client, district):
    url = f"/reports/module-access?{ARGS}&course={district.c1.id}"
    html = manager_client.get(url).get_data(as_text=True)
    screen = screen_rows(html)
    assert [row[:2] for row in screen] == [
        ["1. Модуль 1", "Алексеева Анна Ивановна"],
        ["1. Модуль 1", "Борисов Борис Петрович"],
        ["2. Модуль 2", "Алексеева Анна Ивановна"],
        ["3. Модуль 3", "Васильева Вера Сергеевна"],
    ]
    # Local (Moscow) time on the screen and in the file.
    assert screen[1][3] == "01.03.2026 00:00" and screen[3][4] == "30.04.2026 23:59"
    _header, rows, _sheet = xlsx_rows(manager_client.get(url + "&format=xlsx").data)
    assert [[normal(c) for c in r] for r in rows] == [[normal(c) for c in r] for r in screen]
    assert rows[0][3] == datetime(2026, 3, 2, 11, 0)
    html = manager_client.get(f"/reports/module-access?{ARGS}").get_data(as_text=True)
    assert "Выберите курс" in html


def test_exports_are_safe_against_formulas_and_keep_cyrillic(manager_client, district):
    url = f"/reports/completions?{ARGS}&kind=external"
    header, rows, sheet = xlsx_rows(manager_client.get(url + "&format=xlsx").data)
    assert header[0] == "Педагог" and "Курс или программа" in header
    assert rows[0][0] == "Васильева Вера Сергеевна"
    programme_col = header.index("Курс или программа") + 1
    document_col = header.index("Документ") + 1
    cell = sheet.cell(row=2, column=programme_col)
    assert cell.value == FORMULA_PROGRAMME and cell.data_type == "s"
    assert sheet.cell(row=2, column=document_col).value == f"Удостоверение {FORMULA_NUMBER}"
    header_csv, rows_csv = csv_rows(manager_client.get(url + "&format=csv").data)
    assert rows_csv[0][header_csv.index("Курс или программа")] == "'" + FORMULA_PROGRAMME
    assert rows_csv[0][0] == "Васильева Вера Сергеевна"
    # A material whose title starts with "=" is text in the materials export too.
    header, rows, sheet = xlsx_rows(
        manager_client.get(f"/reports/materials?{ARGS}&format=xlsx").data
    )
    titles = [r[0] for r in rows]
    assert "=1+2 формула" in titles
    assert sheet.cell(row=titles.index("=1+2 формула") + 2, column=1).data_type == "s"


def test_export_holds_every_page(app, manager_client, district):
    app.config["REPORTS_PER_PAGE"] = 3
    try:
        url = f"/reports/completions?{ARGS}"
        first = screen_rows(manager_client.get(url).get_data(as_text=True))
        second = screen_rows(manager_client.get(url + "&page=2").get_data(as_text=True))
        assert (len(first), len(second)) == (3, 1)
        _h, rows, _s = xlsx_rows(manager_client.get(url + "&page=2&format=xlsx").data)
        assert [[normal(c) for c in r] for r in rows] == [
            [normal(c) for c in r] for r in first + second
        ]
    finally:
        app.config.pop("REPORTS_PER_PAGE")


def test_materials_breakdown_export(manager_client, district):
    url = f"/reports/materials?{ARGS}"
    assert 'id="by-org-table"' not in manager_client.get(url).get_data(as_text=True)
    screen = screen_rows(
        manager_client.get(url + "&part=organizations").get_data(as_text=True), "by-org-table"
    )
    assert screen[0][:3] == ["Школа А", "1", "3"]
    _h, rows, _s = xlsx_rows(manager_client.get(url + "&part=organizations&format=xlsx").data)
    assert [[normal(c) for c in r] for r in rows] == [[normal(c) for c in r] for r in screen]


def test_register_page_filters(manager_client, district, fixed_today):
    html = manager_client.get(f"/reports/register?org={district.b.id}&due=2").get_data(as_text=True)
    assert [r[0] for r in screen_rows(html)] == ["Григорьев Глеб Олегович"]
    html = manager_client.get("/reports/register?status=overdue").get_data(as_text=True)
    assert [r[0] for r in screen_rows(html)] == ["Егоров Егор Ильич"]
    html = manager_client.get("/reports/register?sort=hours").get_data(as_text=True)
    assert screen_rows(html)[0][0] == "Алексеева Анна Ивановна"
    assert "высшая" in html


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "report",
    [
        lambda d, who: reports.build_dashboard(who, filters(), ON_DAY),
        lambda d, who: reports.home_figures(who, ON_DAY),
        lambda d, who: reports.completions_query(who, filters()),
        lambda d, who: reports.register_query(who, RegisterFilters(), ON_DAY),
        lambda d, who: reports.register_counts(who, RegisterFilters(), ON_DAY),
        lambda d, who: reports.module_access_query(who, d.c1.id, filters()),
        lambda d, who: reports.materials_query(who, filters()),
        lambda d, who: reports.downloads_by_organization(who, filters()),
        lambda d, who: reports.organizations_query(who, filters(), ON_DAY),
    ],
    ids=[
        "dashboard", "home", "completions", "register", "register-counts",
        "module-access", "materials", "materials-by-org", "organizations",
    ],
)  # fmt: skip
def test_every_report_service_checks_the_reader_itself(district, report):
    """No page in front: the report answers a teacher with a refusal, a methodist with data."""
    with pytest.raises(PermissionDenied):
        report(district, district.t1)
    assert report(district, district.methodist) is not None


def test_module_access_of_a_missing_course_is_not_found(district):
    with pytest.raises(NotFound):
        reports.module_access_query(district.manager, 999_999, filters())


ALL_URLS = [
    "/reports/",
    *REPORT_URLS,
    "/reports/module-access",
    *(u + ("&" if "?" in u else "?") + "format=xlsx" for u in REPORT_URLS),
    "/reports/register?format=csv",
    f"/reports/materials?{ARGS}&part=organizations&format=csv",
]


@pytest.mark.parametrize("url", ALL_URLS)
def test_teacher_gets_404_everywhere(client, district, url):
    login(client, district.t1)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/reports/", "/reports/register?format=xlsx"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.METHODIST, Role.ADMIN, Role.MANAGER])
def test_office_roles_see_reports(client, role):
    login(client, make_user(role, email=f"{role}@s.ru"))
    assert client.get("/reports/").status_code == 200


def test_teacher_has_no_reports_link(client, district):
    login(client, district.t1)
    assert "/reports/" not in client.get("/home").get_data(as_text=True)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("from=2026-04-30&to=2026-03-01", "даты переставлены"),
        ("from=1926-01-01&to=2026-04-30", "вне допустимого диапазона"),
        ("from=2000-01-01&to=2099-12-31", "не может быть длиннее"),
        ("from=30.02.2026", "не распознана"),
        ("from=<script>&to=9999-99-99", "не распознана"),
        (f"{ARGS}&sort=drop+table", "Неизвестный порядок сортировки"),
        (f"{ARGS}&org=999999", "Организация не найдена"),
        (f"{ARGS}&org=abc", "Организация не найдена"),
        (f"{ARGS}&subject=-1", "Предмет не найден"),
        (f"{ARGS}&ma=1e9", "Методическое объединение не найдено"),
        (f"{ARGS}&format=pdf", "Неизвестный формат выгрузки"),
        (f"{ARGS}&kind=other", "Неизвестный вид обучения"),
    ],
)
def test_bad_input_gives_a_page_with_a_message(manager_client, district, query, notice):
    response = manager_client.get(f"/reports/completions?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="report-notices"' in html and notice in html


def test_reversed_dates_are_swapped_not_refused(manager_client, district):
    html = manager_client.get("/reports/completions?from=2026-04-30&to=2026-03-01").get_data(
        as_text=True
    )
    assert len(screen_rows(html)) == 4


def test_a_hundred_years_is_bounded(manager_client, district):
    html = manager_client.get("/reports/?from=2000-01-01&to=2099-12-31&step=day").get_data(
        as_text=True
    )
    assert "не может быть длиннее 5 лет" in html and "сгруппированы по месяцам" in html
    assert 'value="2095-01-01"' in html and 'value="2099-12-31"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/reports/?org=abc&subject=1.5&ma=&step=year&from=2026-13-01",
        "/reports/register?status=lost&due=1000&sort=nope&q=%00%27--&org=0",
        "/reports/register?due=-3&page=-1",
        "/reports/module-access?course=999999&module=1",
        "/reports/module-access?course=abc",
        f"/reports/module-access?{ARGS}&course=1&course=2&module=xyz&sort=zzz",
        "/reports/materials?sort=%3Dcmd&page=99999&part=nothing",
        "/reports/organizations?sort=share&from=0001-01-01&to=9999-12-31",
        "/reports/completions?page=100000&from=2026-03-01",
        "/reports/?course=1&from=2026-01-01&to=2026-01-31",
        "/reports/completions?org=%C2%B2&subject=%D9%A3&from=%00",
        "/reports/register?due=%C2%B2&q=" + "я" * 5000,
    ],
)
def test_garbage_never_breaks_a_page(manager_client, district, url):
    assert manager_client.get(url).status_code == 200


def test_module_access_unknown_ids(manager_client, district):
    html = manager_client.get(f"/reports/module-access?{ARGS}&course=999999").get_data(as_text=True)
    assert "Курс не найден" in html
    other_course_module = district.c2.modules[0].id
    html = manager_client.get(
        f"/reports/module-access?{ARGS}&course={district.c1.id}&module={other_course_module}"
    ).get_data(as_text=True)
    assert "Модуль не найден" in html and len(screen_rows(html)) == 4


def test_a_page_past_the_end_shows_the_last_one(manager_client, district):
    html = manager_client.get(f"/reports/completions?{ARGS}&page=500").get_data(as_text=True)
    assert len(screen_rows(html)) == 4


def test_no_material_bucket_for_untouched_material(district):
    """Draft materials nobody used stay out of the materials report."""
    db.session.execute(
        update(Material).where(Material.id == district.mat_z.id).values(status="draft")
    )
    db.session.commit()
    titles = [r.title for r in rows_of(reports.materials_query(district.manager, filters()))]
    assert "=1+2 формула" in titles  # used in the period, so it stays
    week = ReportFilters(Period(date(2026, 4, 1), date(2026, 4, 7)))
    assert "=1+2 формула" not in [
        r.title for r in rows_of(reports.materials_query(district.manager, week))
    ]


def test_csv_with_a_comma_separator(manager_client, district):
    data = manager_client.get(f"/reports/organizations?{ARGS}&format=csv&sep=comma").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=","))
    assert rows[0][:2] == ["Организация", "Педагогов"]
    assert [r[0] for r in rows[1:]] == ["Школа А", "Школа Б"]
    assert rows[1][-1] == "24.0"  # hours per teacher: a decimal point goes with a comma
