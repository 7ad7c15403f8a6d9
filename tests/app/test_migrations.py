"""Migrations go from empty to head and back down, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

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


def test_covering_index_is_built_concurrently_on_postgresql(tmp_path, capsys):
    """0006 must not block writes to the append-only events table on a live
    PostgreSQL: the SQL it emits (alembic's offline --sql mode, no server
    needed) builds and drops the index CONCURRENTLY, outside a transaction."""
    url = "postgresql+psycopg://platform@127.0.0.1:9/platform"
    fresh = create_app(
        TestConfig(instance_path=tmp_path), SQLALCHEMY_DATABASE_URI=url, INDEX_WORKER_THREAD=False
    )
    with fresh.app_context():
        capsys.readouterr()
        upgrade(revision="0005:0006", sql=True)
        downgrade(revision="0006:0005", sql=True)
        emitted = capsys.readouterr().out
    statements = [line.strip() for line in emitted.splitlines() if "INDEX" in line]
    builds = [s for s in statements if s.startswith("CREATE INDEX")]
    drops = [s for s in statements if s.startswith("DROP INDEX") and "IF EXISTS" not in s]
    assert len(builds) == 2 and len(drops) == 2, statements
    assert all(s.startswith("CREATE INDEX CONCURRENTLY") for s in builds), builds
    assert all(s.startswith("DROP INDEX CONCURRENTLY") for s in drops), drops
    assert "INCLUDE (material_id, user_id)" in builds[0]
    # Each concurrent build follows a COMMIT: it runs outside the migration's transaction.
    lines = [line.strip() for line in emitted.splitlines() if line.strip()]
    first_build = next(i for i, line in enumerate(lines) if line.startswith("CREATE INDEX"))
    assert "COMMIT;" in lines[:first_build]


def _new_postgres_database() -> tuple[str, str]:
    name = f"migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(TEST_DATABASE_URL).set(database=name)
    # The server of a Moscow office: the session's clock reads local time.
    url = url.update_query_dict({"options": "-c TimeZone=Europe/Moscow"})
    return name, url.render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _queued_task_times(url: str, tmp_path) -> list[datetime]:  # type: ignore[no-untyped-def]
    fresh = create_app(
        TestConfig(instance_path=tmp_path), SQLALCHEMY_DATABASE_URI=url, INDEX_WORKER_THREAD=False
    )
    with fresh.app_context():
        try:
            upgrade(revision="0002")
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    zone = conn.execute(text("SHOW TimeZone")).scalar()
                    assert zone == "Europe/Moscow"
                conn.execute(
                    text(
                        "INSERT INTO materials (title, sort_title, annotation, material_type,"
                        " keywords, authors, usage_terms, status, review_comment,"
                        " download_count, created_at, updated_at) VALUES ('Программа',"
                        " 'программа', '', 'other', '', '', '', 'published', '', 0,"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    )
                )
            upgrade(revision="0003")
            with db.engine.connect() as conn:
                row = conn.execute(
                    text("SELECT doc_id, created_at, available_at FROM index_tasks")
                ).one()
        finally:
            db.session.remove()
            db.engine.dispose()
    assert row[0].startswith("material:")
    return [row[1], row[2]]


def _assert_utc_now(values: list[datetime], started: datetime) -> None:
    finished = datetime.now(UTC).replace(tzinfo=None)
    for value in values:
        # Stored naive, meaning UTC: within the seconds the migration took,
        # not three hours ahead.
        assert started - timedelta(seconds=2) <= value <= finished + timedelta(seconds=2), value


def test_0003_queues_existing_materials_at_utc_time_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Moscow")
    time.tzset()
    try:
        started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        values = _queued_task_times(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    finally:
        monkeypatch.undo()
        time.tzset()
    _assert_utc_now([_naive(v) for v in values], started)


@pytest.mark.skipif(not ON_POSTGRES, reason="TEST_DATABASE_URL not set")
def test_0003_queues_existing_materials_at_utc_time_postgres(tmp_path):
    name, url = _new_postgres_database()
    try:
        started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        values = _queued_task_times(url, tmp_path)
    finally:
        _drop_postgres_database(name)
    _assert_utc_now(values, started)


def _naive(value: datetime | str) -> datetime:
    # SQLite hands back the stored text.
    return datetime.fromisoformat(value) if isinstance(value, str) else value
