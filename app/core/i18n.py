"""Locale selection: Russian by default, English when the visitor chose it."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_translations

from app.extensions import babel


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return str(chosen)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def _translations() -> Any:
    """The request's catalogue, looked up once: a page calls ``_()`` some seventy times,
    and Flask-Babel's own lookup walks ``g`` and the locale selector on every call."""
    try:
        return g._page_translations
    except AttributeError:
        g._page_translations = translations = get_translations()
        return translations


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
