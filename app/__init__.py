"""Application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from config import Config, load_config


def create_app(config: Config | str | None = None, **overrides: Any) -> Flask:
    """Build the app. ``config`` is a Config instance or a name; ``overrides`` win over both."""
    if not isinstance(config, Config):
        config = load_config(config)
    app = Flask(__name__, instance_path=config.INSTANCE_PATH, instance_relative_config=False)
    app.config.from_object(config)
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from app.core.logging_setup import init_logging

    init_logging(app)

    from app import extensions
    from app.accounts import security
    from app.core.i18n import init_i18n

    extensions.db.init_app(app)
    from app.core import db_support

    db_support.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).parent.parent / "migrations")
    )
    extensions.csrf.init_app(app)
    init_i18n(app)
    security.init_app(app)

    from app.core import health, storage
    from app.search import indexing

    storage.init_app(app)
    indexing.init_app(app)
    health.register_check("storage", storage.check)
    health.register_check("index", indexing.check)

    from app.accounts.views.admin import bp as admin_bp
    from app.accounts.views.auth import bp as auth_bp
    from app.courses.views import bp as courses_bp
    from app.home.views import bp as main_bp
    from app.materials.views import bp as catalog_bp
    from app.reports.views import bp as reports_bp
    from app.search.views import bp as search_bp
    from app.training.views import bp as training_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(catalog_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(training_bp)

    from app import audit

    audit.init_app(app)  # the change recorder, and its journal at /admin/audit

    from app.core.error_pages import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_commands

    register_commands(app)

    _register_template_globals(app)
    if app.config["INDEX_WORKER_THREAD"]:
        app.extensions["index_worker_stop"] = indexing.start_worker_thread(app)
    return app


def _register_template_globals(app: Flask) -> None:
    from flask_babel import get_locale

    from app import permissions
    from app.accounts.labels import organization_kind_labels, role_labels
    from app.core.template_filters import current_path, file_size, local_datetime, url_with
    from app.materials.labels import (
        action_labels,
        level_labels,
        material_type_labels,
        status_labels,
    )

    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals.update(
        perm=permissions,
        role_labels=role_labels,
        organization_kind_labels=organization_kind_labels,
        material_type_labels=material_type_labels,
        level_labels=level_labels,
        status_labels=status_labels,
        action_labels=action_labels,
        url_with=url_with,
        current_path=current_path,
        current_locale=lambda: str(get_locale()),
    )
