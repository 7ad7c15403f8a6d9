from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.core.http import page_arg
from app.search import services as search_service

bp = Blueprint("search", __name__, template_folder="templates")


@bp.route("/search")
@login_required
def index() -> str:
    user = current_user._get_current_object()
    page = search_service.search(
        user,
        request.args.get("q", ""),
        search_service.parse_filters(request.args, user),
        request.args.get("sort", "relevance"),
        min(page_arg(), 500),
    )
    return render_template("search/index.html", result=page)
