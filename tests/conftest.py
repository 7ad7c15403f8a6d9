"""Shared fixtures: one app per test session (SQLite or PostgreSQL), tables emptied per test.

The schema is built by the Alembic migrations themselves, so every test run
also proves that the migrations produce what the models expect.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from config import TestConfig

pytest_plugins = ["tests.support.environment"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server does.

    Tests hold an app context of their own; without this, requests would reuse
    it and share ``g`` and the database session with the test and each other,
    hiding exactly the bugs (cached users, stale rows) that matter here.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Buffered: the body is read and the app's iterator closed, as a server would.
        kwargs.setdefault("buffered", True)
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


def private_schema_url(url: str, schema: str) -> str:
    """The run's own schema in the shared database: parallel runs never touch each other."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    overrides: dict[str, object] = {}
    schema = f"pytest_{os.getpid()}"
    if ON_POSTGRES:
        overrides["SQLALCHEMY_DATABASE_URI"] = private_schema_url(TEST_DATABASE_URL, schema)
    else:
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'test.sqlite3'}"
    application = create_app(TestConfig(instance_path=Path(instance)), **overrides)
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.search.indexing import get_index

        get_index().create()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
        get_index().close()
    if ON_POSTGRES:
        drop_schema(TEST_DATABASE_URL, schema)


def empty_tables() -> None:
    db.session.remove()
    # DELETE, not TRUNCATE: on nearly empty tables it is many times faster on PostgreSQL.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def empty_store() -> None:
    from app.core.storage import get_store

    store = get_store()
    for key in list(store.iter_keys()):
        store.delete(key)


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """Every test runs inside an app context and leaves the database empty."""
    with app.app_context():
        yield
        empty_tables()
        empty_store()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


class QueryCounter:
    """Counts the SQL statements a block sends (Zulip's assert_database_query_count)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            self.statements.append(statement)

    def __call__(self, expected: int):  # type: ignore[no-untyped-def]
        """``with queries(7): client.get(...)`` fails unless exactly 7 statements ran."""
        from contextlib import contextmanager

        from sqlalchemy import event

        @contextmanager
        def block():  # type: ignore[no-untyped-def]
            engine = db.engine
            self.statements = []
            event.listen(engine, "before_cursor_execute", self._count)
            try:
                yield self
            finally:
                event.remove(engine, "before_cursor_execute", self._count)
            listing = "\n".join(f"  {s.splitlines()[0][:160]}" for s in self.statements)
            assert len(self.statements) == expected, (
                f"{len(self.statements)} queries, expected {expected}:\n{listing}"
            )

        return block()


@pytest.fixture
def queries(app: Flask) -> QueryCounter:
    return QueryCounter(app)


@pytest.fixture
def auth(client: FlaskClient):  # type: ignore[no-untyped-def]
    """``auth.login("methodist")`` signs the client in as a user of that role (flaskr)."""
    from tests.support.auth import AuthActions

    return AuthActions(client)
