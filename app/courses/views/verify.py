"""The public check of a document: no sign-in, a throttle per client address.

``/verify/<number>`` says whether the document is valid and nothing about its
holder; with the check code printed on the document (``?code=…``, carried by
its QR link) the page shows the whole record.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

from app.core.http import client_address
from app.core.models import utcnow
from app.courses import dates, verification
from app.courses.views import bp
from app.courses.views.common import render

MAX_SHOWN_NUMBER = 80  # characters of an unknown number echoed back on /verify
VERIFY_ENDPOINTS = ("courses.verify_lookup", "courses.verify")


@bp.before_request
def _throttle_verify() -> None:
    if request.endpoint in VERIFY_ENDPOINTS and not verification.allow_request(client_address()):
        abort(429)


def _render(**context: object) -> str:
    return render("courses/learn/verify.html", today=dates.local_date(utcnow()), **context)


@bp.route("/verify", methods=["GET"])
def verify_lookup() -> str | Response:
    number = " ".join((request.args.get("number") or "").split())
    code = verification.normalize_code(request.args.get("code"))
    if number:
        return redirect(url_for("courses.verify", number=number, code=code or None))
    return _render(number="", code="", searched=False, result=None)


@bp.route("/verify/<number>")  # any characters, newlines included, but no slash
@bp.route("/verify/<path:number>")  # slashes too
def verify(number: str) -> tuple[str, int]:
    """Anyone holding a document (or its QR code) may check it."""
    code = request.args.get("code")
    result = verification.verify(number, code)
    shown = "".join(ch for ch in number if ch.isprintable()).strip()
    if len(shown) > MAX_SHOWN_NUMBER:
        shown = shown[:MAX_SHOWN_NUMBER] + "…"
    page = _render(
        number=shown,
        code=verification.normalize_code(code)[: verification.CODE_LENGTH],
        searched=True,
        result=result,
    )
    return page, (200 if result else 404)
