"""Register arithmetic: the three-year window at its edges, verification, New Year in Moscow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.accounts.models import Role
from app.courses import learning
from app.extensions import db
from app.training import register
from app.training.models import ExternalTraining
from app.training.register import RegisterFilters, RegisterStatus, Thresholds
from tests.factories import make_course, make_org, make_user

TODAY = date(2026, 11, 22)


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    return make_org("МБОУ СОШ № 3")


def external(user, ends_on: date, hours: int = 36, status: str = "verified", starts_on=None):  # type: ignore[no-untyped-def]
    record = ExternalTraining(
        user_id=user.id, provider="ИРО", programme="Программа", hours=hours, ends_on=ends_on,
        starts_on=starts_on, status=status,
    )  # fmt: skip
    db.session.add(record)
    db.session.commit()
    return record


def rows(**filters) -> dict[str, register.RegisterRow]:  # type: ignore[no-untyped-def]
    thresholds = Thresholds.for_day(TODAY, soon_months=6)
    query = register.sort_clause(
        register.register_select(RegisterFilters(**filters), thresholds), "name"
    )
    return {r.user.email: r for r in map(register.to_row, db.session.execute(query))}


def test_window_edges_and_statuses(org):
    people = {
        "edge": date(2023, 11, 22),  # due exactly today: not yet overdue
        "late": date(2023, 11, 21),  # due yesterday
        "soon": date(2024, 5, 22),  # due in exactly six months
        "fine": date(2024, 5, 23),  # due six months and a day from now
    }
    for name, day in people.items():
        external(make_user(email=f"{name}@s.ru", organization=org), day)
    make_user(email="none@s.ru", organization=org)
    result = rows()
    assert result["edge@s.ru"].status == RegisterStatus.DUE_SOON
    assert result["edge@s.ru"].due_day == TODAY
    assert result["late@s.ru"].status == RegisterStatus.OVERDUE
    assert result["soon@s.ru"].status == RegisterStatus.DUE_SOON
    assert result["fine@s.ru"].status == RegisterStatus.OK
    assert result["none@s.ru"].status == RegisterStatus.NO_DATA
    # Hours "over the last three years": the edge day itself is outside the window.
    assert result["edge@s.ru"].hours_window == 0 and result["late@s.ru"].hours_window == 0
    assert result["soon@s.ru"].hours_window == 36


def test_unverified_records_are_ignored_and_overlaps_both_count(org):
    teacher = make_user(email="t@s.ru", organization=org)
    external(teacher, date(2026, 3, 1), hours=72, status="pending")
    external(teacher, date(2026, 4, 1), hours=16, status="returned")
    assert rows()["t@s.ru"].status == RegisterStatus.NO_DATA
    external(teacher, date(2026, 5, 10), hours=36, starts_on=date(2026, 5, 1))
    external(teacher, date(2026, 5, 12), hours=24, starts_on=date(2026, 5, 5))
    row = rows()["t@s.ru"]
    assert row.status == RegisterStatus.OK and row.last_day == date(2026, 5, 12)
    assert row.hours_window == 60 and row.hours_year == 60


def test_platform_completions_count_with_their_local_date(org):
    methodist = make_user(Role.METHODIST, email="m@s.ru")
    teacher = make_user(email="t@s.ru", organization=org)
    a = make_course(methodist, title="A", hours=36, modules=("opened",))
    b = make_course(methodist, title="B", hours=72, modules=("opened",))
    # 21:30 UTC on 31 Dec 2025 is already 1 Jan 2026 in Moscow.
    learning.complete_course(teacher.id, a.id, datetime(2025, 12, 31, 20, 30, tzinfo=UTC))
    learning.complete_course(teacher.id, b.id, datetime(2025, 12, 31, 21, 30, tzinfo=UTC))
    db.session.commit()
    row = rows()["t@s.ru"]
    assert row.last_day == date(2026, 1, 1)
    assert row.hours_year == 72 and row.hours_window == 108
    items = register.teacher_trainings(teacher)
    assert register.hours_by_year(items) == {2026: 72, 2025: 36}


def test_filters_and_due_within(org):
    other = make_org("Гимназия № 2")
    external(make_user(email="a@s.ru", organization=org), date(2024, 1, 10))
    external(make_user(email="b@s.ru", organization=other), date(2024, 1, 10))
    external(make_user(email="c@s.ru", organization=org), date(2025, 1, 10))
    assert set(rows(organization_id=org.id)) == {"a@s.ru", "c@s.ru"}
    assert set(rows(status="due_soon")) == {"a@s.ru", "b@s.ru"}
    assert set(rows(due_within_months=3)) == {"a@s.ru", "b@s.ru"}
    assert set(rows(due_within_months=1)) == set()
    counts = register.status_counts(RegisterFilters(), Thresholds.for_day(TODAY, 6))
    assert counts == {"ok": 1, "due_soon": 2, "overdue": 0, "no_data": 0}


def test_leap_day_deadline():
    assert register.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    thresholds = Thresholds.for_day(date(2027, 3, 1), soon_months=0)
    assert register.status_for(date(2024, 2, 29), thresholds) == RegisterStatus.OVERDUE
    thresholds = Thresholds.for_day(date(2027, 2, 28), soon_months=0)
    assert register.status_for(date(2024, 2, 29), thresholds) == RegisterStatus.DUE_SOON
