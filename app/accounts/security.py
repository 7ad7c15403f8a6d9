"""Sign-in plumbing and the HTTP hardening Flask does not do by itself."""

from __future__ import annotations

import hmac

from flask import Flask, Response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from app.accounts.models import User
from app.extensions import db, login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def load_user(identity: str) -> User | None:
    """Resolve ``"<id>:<session token>"``; a rotated token means the cookie is dead."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def _without_nul(data: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict(
        [
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in data.items(multi=True)
        ]
    )


def strip_nul_characters() -> None:
    """NUL reaches no query and no row: PostgreSQL refuses it in text and would answer 500."""
    if "\x00" in request.query_string.decode("latin-1") or "%00" in request.full_path:
        request.__dict__["args"] = _without_nul(request.args)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = request.form
        if any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            request.__dict__["form"] = _without_nul(form)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Войдите, чтобы открыть эту страницу.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(strip_nul_characters)
    app.after_request(set_security_headers)
