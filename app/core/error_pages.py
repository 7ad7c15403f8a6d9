"""Error pages in the visitor's language; JSON for API-style requests."""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as NotFoundPage

from app.core.errors import DomainError, ValidationError
from app.core.http import safe_referrer
from app.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(code: int, title: str, message: str) -> tuple[str | dict[str, str], int]:
    if _wants_json():
        return {"error": title, "message": message}, code
    return render_template("errors/error.html", code=code, title=title, message=message), code


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
        db.session.rollback()
        return _render(
            500,
            _("Внутренняя ошибка"),
            _("Что-то пошло не так. Мы уже знаем об ошибке; попробуйте повторить позже."),
        )
