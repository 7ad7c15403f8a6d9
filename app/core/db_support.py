"""What differs between SQLite and PostgreSQL, kept in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from app.extensions import db


def upsert(table: Any) -> Any:
    """``INSERT … ON CONFLICT`` for the current database (both dialects have it)."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; the timeout makes writers queue.
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints only: a power cut may lose the last
    # transactions but never corrupts the file, and a download no longer waits ~9 ms.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and ":memory:" not in str(engine.url):
            event.listen(engine, "connect", _sqlite_pragmas)
