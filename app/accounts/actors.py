"""Who an action acts for when the caller does not say.

Services take ``actor=None`` and ask :func:`acting_user`: inside a request that is the
signed-in user (an anonymous visitor holds no right), so a view that forgets to pass
the actor is still checked against the person who clicked; outside any request
(``flask`` commands, seeding) it is :data:`SYSTEM`, the operator at the console.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from app.permissions import SYSTEM


def acting_user(actor: Any = None) -> Any:
    if actor is not None:
        return actor
    if has_request_context():
        return current_user._get_current_object()
    return SYSTEM
