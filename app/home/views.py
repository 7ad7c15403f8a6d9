from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.core import health
from app.core.http import safe_next_url
from app.home import dashboard

bp = Blueprint("main", __name__, template_folder="templates")


@bp.route("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@login_required
def home() -> str:
    role = current_user.role if current_user.role in set(Role) else Role.TEACHER
    context = dashboard.home_context(current_user._get_current_object())
    return render_template(f"main/home_{role}.html", **context)


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    report = health.check_all()
    status = 200 if all(part["ok"] for part in report.values()) else 503
    body = {"status": "ok" if status == 200 else "unavailable", "checks": report}
    if status != 200:
        body["failing"] = [name for name, part in report.items() if not part["ok"]]
    return jsonify(body), status
