"""Training pages: a teacher's own records, the methodists' queue and lists, the teacher's card.

Every page needs a signed-in user. The routes live by sub-area in the modules
below, all on this one blueprint, so endpoint names stay ``training.*``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

from app.training import labels

bp = Blueprint("training", __name__, template_folder="../templates")


@bp.before_request
@login_required
def require_login() -> None:
    return None


@bp.context_processor
def template_labels() -> dict[str, Any]:
    return {
        "training_status_labels": labels.training_status_labels,
        "register_status_labels": labels.register_status_labels,
        "attestation_labels": labels.attestation_labels,
        "source_labels": labels.source_labels,
    }


from app.training.views import card, own, queue  # noqa: E402,F401  - registers the routes on bp
