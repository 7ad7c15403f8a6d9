"""The public check of a document (152-ФЗ): the number alone tells only whether the
document is valid; the check code printed on it opens the record; the pages are throttled.
"""

from __future__ import annotations

import re
import subprocess
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts.models import Role
from app.courses import certificates, enrolment, learning, verification
from app.courses.models import Certificate
from app.extensions import db
from tests.factories import login, make_course, make_org, make_user

PERSONAL = ("Кузнецова", "Ольга Игоревна", "МБОУ СОШ № 3", "Цифровая школа", "16 академических")


@pytest.fixture
def document():  # type: ignore[no-untyped-def]
    """A document issued to a teacher for a 16-hour course she completed."""
    org = make_org("МБОУ СОШ № 3")
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    teacher = make_user(
        Role.TEACHER,
        email="t@school.ru",
        organization=org,
        name=("Кузнецова", "Ольга", "Игоревна"),
    )
    course = make_course(methodist, title="Цифровая школа", hours=16, modules=("opened",))
    enrolment.enrol_self(teacher, course)
    learning.record_module_open(teacher, course.modules[0])
    certificate = db.session.execute(select(Certificate)).scalar_one()
    return {"certificate": certificate, "teacher": teacher, "methodist": methodist}


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def main_part(response) -> str:  # type: ignore[no-untyped-def]
    return page(response).split("<main", 1)[1]


def printed_text(client, document) -> str:  # type: ignore[no-untyped-def]
    """The text of the PDF the teacher downloads, as pdftotext reads it."""
    login(client, document["teacher"])
    response = client.get(f"/certificates/{document['certificate'].id}/pdf")
    assert response.status_code == 200
    client.post("/logout")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=response.data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode()


def test_the_number_alone_says_valid_and_nothing_about_the_holder(client, document):
    number = document["certificate"].number
    response = client.get(f"/verify/{quote(number)}")
    assert response.status_code == 200
    html = main_part(response)
    assert "Документ действителен" in html and number in html
    for secret in PERSONAL:
        assert secret not in html, secret


@pytest.mark.parametrize("code", ["AAAAAAAAAA", "WSRWLDUC3", "", "<script>", "x" * 500])
def test_a_wrong_code_shows_no_name(client, document, code):
    number = document["certificate"].number
    response = client.get(f"/verify/{quote(number)}", query_string={"code": code})
    assert response.status_code == 200
    html = main_part(response)
    assert "Документ действителен" in html
    for secret in PERSONAL:
        assert secret not in html, secret
    assert "<script>" not in html


def test_a_revoked_document_without_its_code_shows_only_that_it_is_revoked(client, document):
    certificate = document["certificate"]
    certificates.revoke(certificate, document["methodist"], "Ошибка в данных")
    html = main_part(client.get(f"/verify/{quote(certificate.number)}"))
    assert "Документ отозван" in html and "отозван" in html
    for secret in PERSONAL:
        assert secret not in html, secret


def test_the_printed_code_and_qr_link_open_the_whole_record(client, document):
    certificate = document["certificate"]
    text = printed_text(client, document)
    [code] = re.findall(r"Код проверки\s+([A-Z2-7]{10})\b", text)
    assert f"?code={code}" in text.replace("\n", "").replace(" ", "")

    response = client.get(f"/verify/{quote(certificate.number)}", query_string={"code": code})
    assert response.status_code == 200
    html = main_part(response)
    assert "Документ действителен" in html
    assert "Кузнецова Ольга Игоревна" in html and "МБОУ СОШ № 3" in html
    assert "Цифровая школа" in html and "16 академических часов" in html
    issued = certificate.completed_on.strftime("%d.%m.%Y")
    assert issued in html
    # Typed by hand: small letters, a dash in the middle.
    typed = f"{code[:5].lower()}-{code[5:]}"
    response = client.get("/verify", query_string={"number": certificate.number, "code": typed})
    assert response.status_code == 302
    assert "Кузнецова Ольга Игоревна" in page(client.get(response.headers["Location"]))


def test_the_check_code_is_an_hmac_of_the_number_under_the_secret_key(app: Flask):
    # Pinned: printed documents carry these codes, so the derivation must not drift.
    assert verification.check_code("ОМС-2026-00001") == "WSRWLDUC35"
    assert verification.code_matches("ОМС-2026-00001", "wsrwl-duc35")
    assert not verification.code_matches("ОМС-2026-00002", "WSRWLDUC35")
    assert not verification.code_matches("ОМС-2026-00001", "")
    app.config["SECRET_KEY"] = "other-secret"
    try:
        assert verification.check_code("ОМС-2026-00001") == "LZTINCN37X"
    finally:
        app.config["SECRET_KEY"] = "test-secret-key"


def test_the_form_has_an_optional_code_field(client):
    html = page(client.get("/verify"))
    assert 'name="number"' in html and 'name="code"' in html and 'for="verify-code"' in html
    assert re.search(r'<input[^>]*name="code"[^>]*>', html)
    assert "required" not in re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)


def test_the_31st_request_in_a_minute_gets_429(client, document, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(verification.time, "time", lambda: now[0])
    url = f"/verify/{quote(document['certificate'].number)}"
    for n in range(30):
        assert client.get(url).status_code == 200, n
    response = client.get(url)
    assert response.status_code == 429
    assert "Слишком много запросов" in page(response)
    assert client.get("/verify").status_code == 429
    # Another address has its own count; the next minute starts afresh.
    assert client.get(url, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    now[0] += 60
    assert client.get(url).status_code == 200
