"""Logging: a request id on every line and on the 500 page; nothing personal or secret logged."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.core.logging_setup import get_handler, init_logging, redact
from app.extensions import db
from config import TestConfig
from tests.conftest import IsolatedClient
from tests.factories import make_user

HEX_ID = re.compile(r"[0-9a-f]{16}")


@pytest.fixture(scope="module")
def logged_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A second app on the suite's database with a view that fails (added before any request)."""
    instance = tmp_path_factory.mktemp("logging-instance")
    fresh = create_app(
        TestConfig(instance_path=Path(instance)),
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        PROPAGATE_EXCEPTIONS=False,  # answer with the 500 page, as production does
    )
    init_logging(fresh)  # a no-op once create_app calls it
    fresh.test_client_class = IsolatedClient

    @fresh.route("/boom")
    def boom() -> str:
        raise RuntimeError("broken while mailing anna.petrova@school.ru")

    yield fresh
    with fresh.app_context():
        db.engine.dispose()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the real handler writes, formatted and masked as in production."""
    handler = get_handler()
    buffer = io.StringIO()
    previous = handler._explicit
    handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_unhandled_error_is_logged_once_with_the_incident_number_shown(
    logged_app, caplog, log_output
):
    with caplog.at_level(logging.ERROR):
        response = logged_app.test_client().get("/boom")
    assert response.status_code == 500
    incident = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(incident)
    page = response.get_data(as_text=True)
    assert f'<code class="fs-5 user-select-all" data-incident>{incident}</code>' in page
    assert "Номер обращения" in page
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].request_id == incident
    assert errors[0].exc_info is not None
    lines = log_output.getvalue()
    assert f"ERROR [{incident}] app: Exception on /boom [GET]" in lines
    assert "RuntimeError: broken while mailing [e-mail]" in lines
    assert "anna.petrova@school.ru" not in lines


def test_a_proxy_request_id_becomes_the_incident_number(logged_app):
    response = logged_app.test_client().get("/boom", headers={"X-Request-ID": "proxy-abc-12345"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "proxy-abc-12345"
    assert "data-incident>proxy-abc-12345</code>" in response.get_data(as_text=True)


def test_a_safe_proxy_request_id_is_kept_and_an_unsafe_one_replaced(logged_app):
    client = logged_app.test_client()
    kept = client.get("/login", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c2e-0001"
    for hostile in (
        "short",
        "x" * 65,
        "id with spaces 123",
        "abc\u00e9defghij",
        "<script>1</script>",
    ):
        response = client.get("/login", headers={"X-Request-ID": hostile})
        assert HEX_ID.fullmatch(response.headers["X-Request-ID"]), hostile
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login").headers["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and first != second


def test_a_failed_login_logs_the_request_but_not_the_email_or_password(logged_app, log_output):
    with logged_app.app_context():
        make_user(email="olga.sidorova@school.ru")
    response = logged_app.test_client().post(
        "/login?email=olga.sidorova@school.ru",
        data={"email": "olga.sidorova@school.ru", "password": "Wrong-Pass-731"},
    )
    assert response.status_code == 200
    assert "Неверный" in response.get_data(as_text=True)
    incident = response.headers["X-Request-ID"]
    lines = log_output.getvalue()
    assert f"INFO [{incident}] app.core.logging_setup: POST /login 200" in lines
    assert "olga.sidorova" not in lines
    assert "Wrong-Pass-731" not in lines


def test_a_log_line_never_contains_a_password_or_secret(log_output):
    log = logging.getLogger("app.test")
    log.warning("connecting to postgresql+psycopg://metod:S3cr3t-Db@db.local:5432/metod")
    log.warning("storage s3://AKIAKEY:Storage-Secret-9@minio:9000/files unavailable")
    log.warning("form was %s", {"email": "a.b@c.ru", "password": "Form-Pass-1", "q": "дроби"})
    log.warning("headers %s", {"Authorization": "Bearer eyJtoken", "Cookie": "session=abc.def"})
    log.warning("GET /reset?token=Reset-Token-55&next=/ and /verify/ОМС-2026-00001?code=9f8e7d")
    try:
        raise ValueError("new_password=Trace-Pass-2 rejected")
    except ValueError:
        log.exception("failed")
    lines = log_output.getvalue()
    for secret in (
        "S3cr3t-Db",
        "Storage-Secret-9",
        "Form-Pass-1",
        "a.b@c.ru",
        "eyJtoken",
        "session=abc",
        "Reset-Token-55",
        "9f8e7d",
        "Trace-Pass-2",
    ):
        assert secret not in lines, secret
    # What is not secret stays readable.
    assert "postgresql+psycopg://metod:***@db.local:5432/metod" in lines
    assert "'q': 'дроби'" in lines
    assert "[-] app.test: connecting" in lines  # outside a request the id is "-"


def test_redact_is_idempotent_and_leaves_plain_text_alone():
    text = "Импорт: 12 педагогов, 0 ошибок; курс «Дроби» (36 ч.)"
    assert redact(text) == text
    once = redact("user ivan@mail.ru password=x1")
    assert redact(once) == once == "user [e-mail] password=***"
