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

    from app import extensions, security
    from app.i18n import init_i18n

    extensions.db.init_app(app)
    from app.services import db_support

    db_support.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).parent.parent / "migrations")
    )
    extensions.csrf.init_app(app)
    init_i18n(app)
    security.init_app(app)

    from app.services import health, indexing, storage

    storage.init_app(app)
    indexing.init_app(app)
    health.register_check("storage", storage.check)
    health.register_check("index", indexing.check)

    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.catalog import bp as catalog_bp
    from app.courses import bp as courses_bp
    from app.main import bp as main_bp
    from app.reports import bp as reports_bp
    from app.search import bp as search_bp
    from app.training import bp as training_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(catalog_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(training_bp)

    from app.errors import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_commands

    register_commands(app)

    from app import template_helpers

    template_helpers.init_app(app)
    if app.config["INDEX_WORKER_THREAD"]:
        app.extensions["index_worker_stop"] = indexing.start_worker_thread(app)
    return app
