"""Plurals and dates in both languages, chosen by Babel (the English UI used to say
«36 академических часов»); the printed document stays Russian.
"""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import Role
from app.courses import enrolment, learning
from app.courses.models import Certificate
from app.courses.wording import date_label, days_left_phrase, hours_phrase
from app.extensions import db
from tests.factories import login, make_course, make_org, make_user

HOURS = [
    ("ru", 1, "1 академический час"),
    ("ru", 2, "2 академических часа"),
    ("ru", 4, "4 академических часа"),
    ("ru", 5, "5 академических часов"),
    ("ru", 11, "11 академических часов"),
    ("ru", 12, "12 академических часов"),
    ("ru", 21, "21 академический час"),
    ("ru", 36, "36 академических часов"),
    ("ru", 72, "72 академических часа"),
    ("ru", 111, "111 академических часов"),
    ("en", 1, "1 academic hour"),
    ("en", 2, "2 academic hours"),
    ("en", 21, "21 academic hours"),
    ("en", 36, "36 academic hours"),
]


@pytest.mark.parametrize(("locale", "hours", "phrase"), HOURS)
def test_hours_in_both_languages(app: Flask, locale, hours, phrase):
    with app.test_request_context(), force_locale(locale):
        assert hours_phrase(hours) == phrase


@pytest.mark.parametrize(
    ("locale", "days", "phrase"),
    [
        ("ru", 1, "остался 1 день"),
        ("ru", 3, "осталось 3 дня"),
        ("ru", 5, "осталось 5 дней"),
        ("ru", 21, "остался 21 день"),
        ("ru", 0, "последний день"),
        ("ru", -1, "срок прошёл"),
        ("en", 1, "1 day left"),
        ("en", 3, "3 days left"),
        ("en", 0, "last day"),
    ],
)
def test_days_left_in_both_languages(app: Flask, locale, days, phrase):
    today = date(2026, 3, 10)
    with app.test_request_context(), force_locale(locale):
        assert days_left_phrase(date.fromordinal(today.toordinal() + days), today) == phrase


def test_dates_in_both_languages(app: Flask):
    with app.test_request_context():
        with force_locale("ru"):
            assert date_label(date(2026, 3, 12)) == "12.03.2026"
        with force_locale("en"):
            assert date_label(date(2026, 3, 12)) == "3/12/26"
        assert date_label(None) == ""


@pytest.fixture
def teacher_with_document():  # type: ignore[no-untyped-def]
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    teacher = make_user(Role.TEACHER, email="t@school.ru", organization=make_org("МБОУ СОШ № 3"))
    make_course(methodist, title="Открытый курс", hours=36)
    done = make_course(methodist, title="Пройденный курс", hours=72, modules=("opened",))
    enrolment.enrol_self(teacher, done)
    learning.record_module_open(teacher, done.modules[0])
    return teacher, db.session.execute(select(Certificate)).scalar_one()


def test_the_english_catalog_says_academic_hours(client, teacher_with_document):
    teacher, _document = teacher_with_document
    login(client, teacher)
    html = client.get("/courses").get_data(as_text=True)
    assert "36 академических часов" in html
    client.post("/language", data={"lang": "en", "next": "/courses"})
    html = client.get("/courses").get_data(as_text=True)
    assert "36 academic hours" in html and "академических" not in html
    html = client.get("/learning").get_data(as_text=True)
    assert "72 academic hours" in html and "академических" not in html


def test_the_printed_document_stays_russian_in_the_english_ui(client, teacher_with_document):
    teacher, document = teacher_with_document
    login(client, teacher)
    client.post("/language", data={"lang": "en"})
    pdf = client.get(f"/certificates/{document.id}/pdf").data
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert "72 академических часа" in " ".join(text.split())
    assert "academic" not in text
