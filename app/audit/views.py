"""«Журнал действий»: administrators only; anyone else gets 404."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from app import permissions
from app.audit import services
from app.audit.labels import action_labels, describe
from app.core.http import page_arg
from app.extensions import login_manager

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.before_request
def require_admin() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not permissions.can_view_audit_log(current_user):
        abort(404)
    return None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/")
def journal() -> str:
    labels = action_labels()
    action = request.args.get("action", "")
    filters = services.JournalFilters(
        actor_id=request.args.get("actor", type=int),
        action=action if action in labels else "",
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )
    return render_template(
        "audit/journal.html",
        pagination=services.journal_page(current_user, filters, page_arg()),
        filters=filters,
        actors=services.actors(current_user),
        action_labels=labels,
        describe=describe,
        details_of=services.details_of,
    )
