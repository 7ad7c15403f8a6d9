"""/healthz, error pages, language switch, static assets without CDN."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import ANY

from app.core import health
from tests.factories import login, make_user


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True


def test_healthz_names_the_failing_part(client, monkeypatch):
    def broken() -> None:
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "unavailable"
    assert "connection refused" not in response.get_data(as_text=True)


def test_healthz_does_not_reveal_the_database_address(tmp_path, caplog):
    from app import create_app
    from config import TestConfig

    url = "postgresql+psycopg://dbadmin:S3cretPass@db-host.invalid:5432/platform?connect_timeout=2"
    fresh = create_app(
        TestConfig(instance_path=tmp_path), SQLALCHEMY_DATABASE_URI=url, INDEX_WORKER_THREAD=False
    )
    with fresh.app_context():
        response = fresh.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "failing": ["database", "index"],
        "checks": {
            "database": {"ok": False, "error": "unavailable", "ms": ANY},
            "storage": {"ok": True, "ms": ANY},
            "index": {"ok": False, "error": "unavailable", "ms": ANY},
        },
    }
    answer = response.get_data(as_text=True)
    for secret in ("dbadmin", "S3cretPass", "db-host", "5432", "platform", "psycopg"):
        assert secret not in answer
    # The operator still finds the cause in the log.
    assert "health check 'database' failed" in caplog.text
    assert "db-host.invalid" in caplog.text


def test_404_page_is_russian(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_500_page_is_russian(tmp_path):
    from app import create_app
    from config import TestConfig

    fresh = create_app(
        TestConfig(instance_path=tmp_path),
        SQLALCHEMY_DATABASE_URI="sqlite://",
        PROPAGATE_EXCEPTIONS=False,
    )

    @fresh.route("/_boom_for_test")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    with fresh.app_context():
        response = fresh.test_client().get("/_boom_for_test")
        from app.extensions import db

        db.engine.dispose()
    assert response.status_code == 500
    assert "Внутренняя ошибка" in response.get_data(as_text=True)


def test_405_page(client):
    response = client.post("/home")
    assert response.status_code == 405
    assert "Метод не поддерживается" in response.get_data(as_text=True)


def test_language_switch_to_english_and_back(client):
    user = make_user()
    login(client, user)
    assert "Кабинет педагога" in client.get("/home").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/home"})
    assert response.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Teacher's desk" in page
    client.post("/language", data={"lang": "xx", "next": "https://evil.example"})
    assert '<html lang="en">' in client.get("/home").get_data(as_text=True)
    client.post("/language", data={"lang": "ru"})
    assert "Кабинет педагога" in client.get("/home").get_data(as_text=True)


def test_language_survives_login(client):
    client.post("/language", data={"lang": "en"})
    login(client, make_user())
    assert '<html lang="en">' in client.get("/home").get_data(as_text=True)


def test_assets_are_local(client):
    html = client.get("/login").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http:", "https:", "//")), url
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_templates_label_every_input():
    """Accessibility: every visible input in hand-written templates has a label."""
    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    for path in templates.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for match in re.finditer(r'<(input|select|textarea)\b[^>]*\bid="([^"]+)"', html):
            if 'type="hidden"' in match.group(0):
                continue
            assert f'for="{match.group(2)}"' in html, f"{path.name}: #{match.group(2)} has no label"
