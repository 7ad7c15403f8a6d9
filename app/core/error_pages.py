"""Error pages in the visitor's language; JSON for API-style requests."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as NotFoundPage

from app.core.errors import DomainError, StorageFailure, ValidationError
from app.core.http import safe_referrer
from app.core.logging_setup import ensure_request_id
from app.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(
    code: int, title: str, message: str, incident: str | None = None
) -> tuple[str | dict[str, str], int]:
    if _wants_json():
        body = {"error": title, "message": message}
        if incident:
            body["incident"] = incident
        return body, code
    page = render_template(
        "errors/error.html", code=code, title=title, message=message, incident=incident
    )
    return page, code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str | dict[str, str], int]:
        return _render(
            400,
            _("Форма устарела"),
            _(
                "Страница была открыта слишком давно или запрос пришёл не с нашего сайта. "
                "Обновите страницу и отправьте форму ещё раз."
            ),
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        """A refusal no view handled itself: the one place domain errors become answers."""
        db.session.rollback()
        if error.status_code == 404:
            return http_error(NotFoundPage())
        if isinstance(error, StorageFailure):
            # Forms show theirs beside the form (core.forms.submit); a download lands here.
            # The store's own words may name its host: they go to the log only.
            log.warning("storage unavailable: %s", error)
            return _render(
                503,
                _("Хранилище недоступно"),
                _("Файл сейчас не удаётся получить из хранилища. Попробуйте позже."),
            )
        back = safe_referrer()
        if (
            isinstance(error, ValidationError)
            and request.method == "POST"
            and back
            and not _wants_json()
        ):
            # A button on a page (publish, enrol, revoke): show why on the page it came from.
            flash(str(error), "danger")
            return redirect(back)
        return _render(error.status_code, _("Действие не выполнено"), str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str | dict[str, str], int]:
        code = error.code or 500
        titles = {
            400: (
                _("Неверный запрос"),
                _("Запрос не удалось обработать. Проверьте введённые данные."),
            ),
            403: (_("Доступ запрещён"), _("У вас нет прав для этого действия.")),
            404: (_("Страница не найдена"), _("Такой страницы нет или она вам недоступна.")),
            405: (_("Метод не поддерживается"), _("Это действие выполняется иначе.")),
            413: (
                _("Слишком большой запрос"),
                _("Файл или форма превышают допустимый размер."),
            ),
            429: (_("Слишком много запросов"), _("Подождите немного и повторите.")),
        }
        title, message = titles.get(code, (error.name, error.description or ""))
        return _render(code, title, message)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str | dict[str, str], int]:
        # Flask has already logged the traceback (app.log_exception) while this request's
        # id was set, so the log line and the page share one incident number.
        db.session.rollback()
        incident = ensure_request_id()
        if error.original_exception is None:
            # An abort(500) has no traceback for Flask to log: say so ourselves.
            app.logger.error("Internal error on %s [%s]", request.path, request.method)
        return _render(
            500,
            _("Внутренняя ошибка"),
            _(
                "Что-то пошло не так. Ошибка записана в журнал сервера; попробуйте повторить"
                " позже. Если она повторяется, сообщите администратору номер обращения."
            ),
            incident=incident,
        )
