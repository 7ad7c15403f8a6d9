"""Sign-in, sessions that really end, throttling, redirects, CSRF and headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import LoginAttempt, Role, Subject, User
from app.core.models import utcnow
from app.extensions import db
from tests.factories import PASSWORD, login, make_user

WRONG = "Неверный адрес электронной почты или пароль."


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def cookie_value(client, name: str) -> str | None:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_login_success_redirects_home_and_records_last_login(client):
    user = make_user()
    assert user.last_login_at is None
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert "Кабинет педагога" in page(client.get("/home"))
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_email_is_case_insensitive(client):
    user = make_user(email="Teacher@School.ru")
    assert user.email == "teacher@school.ru"
    response = client.post("/login", data={"email": "TEACHER@school.RU", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("email_kind", ["wrong_password", "unknown_email"])
def test_failed_login_gives_one_message_that_does_not_say_which_part(client, email_kind):
    user = make_user()
    email = user.email if email_kind == "wrong_password" else "nobody@school.ru"
    response = client.post("/login", data={"email": email, "password": "not-the-password1"})
    assert response.status_code == 200
    assert WRONG in page(response)
    assert client.get("/home").status_code == 302


def test_inactive_account_cannot_sign_in(client):
    user = make_user()
    accounts.set_active(user, False)
    response = login(client, user)
    assert response.status_code == 200
    assert "Учётная запись отключена" in page(response)
    assert client.get("/home").status_code == 302


def test_throttling_per_account(client, app):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        client.post("/login", data={"email": user.email, "password": "bad-password-1"})
    # Even the right password is refused while the account is throttled.
    response = login(client, user)
    assert response.status_code == 200
    text = page(response)
    assert "Слишком много неудачных попыток входа" in text
    assert "мин." in text
    assert client.get("/home").status_code == 302


def test_throttling_per_address_across_accounts(client, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for n in range(limit):
        client.post("/login", data={"email": f"guess{n}@school.ru", "password": "x1234567"})
    user = make_user()
    response = login(client, user)
    assert "Слишком много неудачных попыток входа" in page(response)


def test_throttle_window_expires(app):
    user = make_user()
    old = utcnow() - timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        db.session.add(LoginAttempt(email=user.email, address="10.0.0.1", at=old))
    db.session.commit()
    assert accounts.authenticate(user.email, PASSWORD, "10.0.0.1").id == user.id
    # A success clears the account's failures.
    assert db.session.query(LoginAttempt).filter_by(email=user.email).count() == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users?role=teacher", "/admin/users?role=teacher"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("javascript:alert(1)", "/home"),
        ("http:/evil.example", "/home"),
    ],
)
def test_next_accepts_only_local_paths(client, target, expected):
    user = make_user(Role.ADMIN)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_session_cookie_flags(client):
    user = make_user()
    response = login(client, user, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
    assert "Expires=" in session_cookie  # a permanent session with a bounded lifetime


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path}")
    config = ProductionConfig(instance_path=tmp_path)
    assert config.SESSION_COOKIE_SECURE is True
    assert config.REMEMBER_COOKIE_SECURE is True


def _copied_session(app, client, user):  # type: ignore[no-untyped-def]
    """Sign in and return a second client holding a copy of the cookies."""
    login(client, user, remember="y")
    thief = app.test_client()
    for name in ("session", "remember_token"):
        value = cookie_value(client, name)
        if value:
            thief.set_cookie(name, value)
    assert thief.get("/home").status_code == 200
    return thief


def test_copied_cookies_die_on_logout(app, client):
    user = make_user()
    thief = _copied_session(app, client, user)
    client.post("/logout")
    assert client.get("/home").status_code == 302
    assert thief.get("/home").status_code == 302


def test_copied_remember_cookie_alone_dies_on_logout(app, client):
    user = make_user()
    login(client, user, remember="y")
    remember = cookie_value(client, "remember_token")
    assert remember
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", remember)
    assert only_remember.get("/home").status_code == 200
    client.post("/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember)
    assert fresh.get("/home").status_code == 302


def test_copied_cookies_die_on_password_change_but_this_session_lives(app, client):
    user = make_user()
    thief = _copied_session(app, client, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-pass-2",
            "confirm": "brand-new-pass-2",
        },
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    assert thief.get("/home").status_code == 302


def test_copied_cookies_die_on_deactivation(app, client):
    user = make_user()
    thief = _copied_session(app, client, user)
    accounts.set_active(db.session.get(User, user.id), False)
    assert thief.get("/home").status_code == 302
    assert client.get("/home").status_code == 302


def test_admin_setting_password_ends_sessions_and_forces_change(app, client):
    admin = make_user(Role.ADMIN, email="admin@school.ru")
    teacher = make_user(email="t@school.ru")
    teacher_client = app.test_client()
    login(teacher_client, teacher)
    login(client, admin)
    response = client.post(f"/admin/users/{teacher.id}/password", data={"password": "temp-pass-77"})
    assert response.status_code == 302
    assert teacher_client.get("/home").status_code == 302
    again = app.test_client()
    response = login(again, teacher, password="temp-pass-77")
    assert response.headers["Location"] == "/account/password"


def test_change_password_rejects_wrong_current_and_weak_new(client):
    user = make_user()
    login(client, user)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong-one-1",
            "new_password": "abc12345x",
            "confirm": "abc12345x",
        },
    )
    assert "Текущий пароль указан неверно" in page(response)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "12345678", "confirm": "12345678"},
    )
    assert "буквы, и цифры" in page(response)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "abc12345x", "confirm": "abc12345y"},
    )
    assert "Пароли не совпадают" in page(response)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_form_without_csrf_token_gets_russian_400(client, csrf_enabled):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Форма устарела" in page(response)
    assert client.get("/home").status_code == 302


def test_login_with_csrf_token_works(client, csrf_enabled):
    import re

    user = make_user()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page(client.get("/login"))
    )
    assert token
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Sec-Fetch-Site at all: older browsers, scripts, <img src=/logout>
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
    ids=["no-header", "cross-site", "same-site", "none", "same-origin"],
)
def test_get_logout_never_signs_out(client, headers):
    login(client, make_user())
    response = client.get("/logout", headers=headers)
    assert response.status_code == 200
    assert "Выйти из системы?" in page(response)
    assert client.get("/home").status_code == 200


def test_logout_is_a_post_with_a_csrf_token(client, csrf_enabled):
    import re

    user = make_user()
    form = page(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token[1]})
    assert client.get("/home").status_code == 200

    assert client.post("/logout").status_code == 400  # no token: refused, still signed in
    assert client.get("/home").status_code == 200

    confirm = page(client.get("/logout"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm)
    assert token
    response = client.post("/logout", data={"csrf_token": token[1]})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/home").status_code == 302


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts(client):
    import re

    user = make_user(Role.ADMIN)
    pages = {"/login": page(client.get("/login"))}  # signed in, /login only redirects
    login(client, user)
    for url in ("/home", "/admin/users", "/admin/import"):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = page(response)
    for url, html in pages.items():
        tags = re.findall(r"<script[^>]*>", html)
        assert tags, url  # the pages do load scripts: each one must come from a file
        for tag in tags:
            assert "src=" in tag, f"inline script on {url}"
        assert "onclick=" not in html and "style=" not in html


def test_request_size_limit(client, app):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/login", data=big, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "Слишком большой запрос" in page(response)


def test_session_lifetime_is_bounded(app):
    assert app.permanent_session_lifetime <= timedelta(days=1)
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=31)


@pytest.mark.parametrize(
    "url",
    ["/admin/users?q=%00", "/search?q=%00", "/materials?subject=%00", "/login?next=%00"],
)
def test_nul_in_query_strings_is_harmless(client, url):
    login(client, make_user(Role.ADMIN, email="nul-admin@school.ru"))
    assert client.get(url).status_code in (200, 302)


def test_nul_in_form_values_is_stripped(client):
    admin = make_user(Role.ADMIN, email="nul@school.ru")
    login(client, admin)
    client.post("/admin/subjects", data={"name": "Химия\x00"})
    names = db.session.execute(select(Subject.name)).scalars().all()
    assert names == ["Химия"]


# --- password hashes ------------------------------------------------------------------


def test_production_config_hashes_with_argon2id_at_owasp_parameters(monkeypatch):
    from flask import Flask

    from app.accounts import passwords
    from config import load_config

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setenv("STORAGE_URL", "file:///tmp/unused")
    production = Flask("production-config")
    production.config.from_object(load_config("production"))
    with production.app_context():
        stored = passwords.hash_password("Пароль-2024")
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.verify_password(stored, "Пароль-2024")
        assert not passwords.verify_password(stored, "Пароль-2025")
        assert not passwords.needs_rehash(stored)


def test_tests_hash_with_cheap_argon2id(app):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


@pytest.mark.parametrize(
    "method", ["scrypt", "pbkdf2:sha256:1000"], ids=["werkzeug-scrypt", "werkzeug-pbkdf2"]
)
def test_an_old_scheme_hash_is_replaced_at_sign_in(client, method):
    from werkzeug.security import generate_password_hash

    user = make_user()
    user.password_hash = generate_password_hash(PASSWORD, method=method)
    token = user.session_token
    db.session.commit()
    old = user.password_hash

    assert login(client, user, "wrong-pass-1").status_code == 200
    db.session.refresh(user)
    assert user.password_hash == old  # a failed sign-in changes nothing

    assert login(client, user).status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert user.session_token == token  # the migration signs no one out
    client.post("/logout")
    assert login(client, user).status_code == 302  # and the new hash verifies


def test_an_argon2_hash_with_other_parameters_is_replaced_at_sign_in(client):
    from argon2 import PasswordHasher

    user = make_user()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=16, parallelism=2).hash(PASSWORD)
    db.session.commit()
    assert login(client, user).status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_an_unreadable_hash_refuses_sign_in_without_an_error(client):
    user = make_user()
    user.password_hash = "md5$whatever"
    db.session.commit()
    response = login(client, user)
    assert response.status_code == 200
    assert WRONG in page(response)
