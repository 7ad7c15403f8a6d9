"""Logging: a request id in every line, nothing personal or secret in any line.

Every request gets an id (a proxy's ``X-Request-ID`` when it is a short safe
token, else a fresh one). It is returned as a response header, stamped on every
log record made while the request runs, and shown on the 500 page as the
incident number, so a user's report leads to the one traceback in the log.

What must never reach a log line (152-ФЗ, and secrets): e-mail addresses,
passwords, tokens and check codes in query strings, Authorization and Cookie
headers, passwords inside database and storage URLs. Our own lines carry the
path without the query string and never a form body; the formatter masks the
rest in whatever any library writes, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import default_handler
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
NO_REQUEST = "-"

LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

_MASK = "***"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@host in any URL (database, S3, SMTP): keep the user, hide the secret.
    (re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.I), rf"\g<head>{_MASK}@"),
    # Headers that carry credentials, as a dict repr or as raw "Name: value" text.
    (
        re.compile(
            r"(?P<head>['\"]?(?:authorization|cookie|set-cookie|x-api-key)['\"]?\s*[:=]\s*)"
            r"(?P<quote>['\"]?)[^'\"\r\n]*(?P=quote)",
            re.I,
        ),
        rf"\g<head>\g<quote>{_MASK}\g<quote>",
    ),
    # key=value pairs whose key names a secret (query strings, form dumps, reprs).
    (
        re.compile(
            r"(?P<head>\b(?:[a-z_]*password[a-z_]*|passwd|token|csrf_token|secret|api_key"
            r"|check|code|email)['\"]?\s*[=:]\s*)(?P<quote>['\"]?)[^&\s,'\")}]+(?P=quote)",
            re.I,
        ),
        rf"\g<head>\g<quote>{_MASK}\g<quote>",
    ),
    # Any e-mail address left anywhere in the line.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), "[e-mail]"),
)


def redact(text: str) -> str:
    """``text`` with secrets and personal data masked (idempotent)."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id() -> str:
    if has_request_context():
        return str(g.get("request_id", NO_REQUEST))
    return NO_REQUEST


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks the whole text: message, traceback and stack."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the moment (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self._explicit: Any = None

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return self._explicit if self._explicit is not None else sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self._explicit = value


_handler: StderrHandler | None = None
_factory_installed = False


def _install_record_factory() -> None:
    """Every record, whoever makes it, carries the request id (caplog's too)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def get_handler() -> StderrHandler:
    """The one handler on the root logger (one per process, whatever number of apps)."""
    global _handler
    if _handler is None:
        _handler = StderrHandler()
        _handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    return _handler


def _request_id_from(header: str | None, trusted: bool) -> str:
    if trusted and header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(8)


def ensure_request_id() -> str:
    """The request's id, assigned now if a handler before ours already failed."""
    request_id = g.get("request_id")
    if not request_id:
        trusted = bool(current_app.config.get("TRUST_REQUEST_ID", True))
        request_id = _request_id_from(request.headers.get(REQUEST_ID_HEADER), trusted)
        g.request_id = request_id
    return str(request_id)


def init_logging(app: Flask) -> None:
    """Call from create_app before the blueprints; a second call changes nothing."""
    if app.extensions.get("logging_setup"):
        return
    app.extensions["logging_setup"] = True
    _install_record_factory()
    get_handler()
    # Flask's own stderr handler would print every app line a second time, unmasked.
    app.logger.removeHandler(default_handler)
    level = str(app.config.get("LOG_LEVEL", "INFO")).upper()
    app.logger.setLevel(level)
    logging.getLogger("app").setLevel(level)
    trusted = bool(app.config.get("TRUST_REQUEST_ID", True))
    log_requests = bool(app.config.get("LOG_REQUESTS", True))

    def assign_request_id() -> None:
        g.request_id = _request_id_from(request.headers.get(REQUEST_ID_HEADER), trusted)
        g.request_started = time.perf_counter()

    # The request id must exist before any other hook can fail: ours runs first.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    @app.after_request
    def return_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = ensure_request_id()
        if log_requests:
            started = g.get("request_started")
            elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
            # The path only: query strings may carry tokens, check codes or search words.
            log.info(
                "%s %s %s %.0f ms", request.method, request.path, response.status_code, elapsed
            )
        return response
