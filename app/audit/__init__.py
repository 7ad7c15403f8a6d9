"""The audit log: who changed which person, role or document, and when (152-ФЗ).

It sits above every domain: it reads their models, and none of them knows it
exists. Changes are caught by session events (``recorder``) and written in the
same transaction as the change itself, so a rolled-back change leaves no entry
and a committed one cannot lack its entry.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Start recording and serve the journal at /admin/audit/ (call from create_app)."""
    from app.audit import recorder
    from app.audit.views import bp
    from app.extensions import db

    recorder.install(db.session)
    if bp.name not in app.blueprints:
        app.register_blueprint(bp, url_prefix="/admin/audit")
