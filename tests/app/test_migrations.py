"""Migrations go from empty to head and back down, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


def _roundtrip(url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fresh = create_app(TestConfig(instance_path=tmp_path), SQLALCHEMY_DATABASE_URI=url)
    with fresh.app_context():
        try:
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()


def test_migrations_roundtrip_sqlite(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path / 'migrations.sqlite3'}", tmp_path)


@pytest.mark.skipif(not ON_POSTGRES, reason="TEST_DATABASE_URL not set")
def test_migrations_roundtrip_postgres(tmp_path):
    name = f"migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        _roundtrip(url, tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_models_match_migrations(app):
    """Autogenerate finds nothing to do: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
