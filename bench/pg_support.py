"""Pieces the benchmarks share: a throw-away PostgreSQL database, bulk loading, a test client."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def folded(value: str) -> str:
    return value.casefold().replace("ё", "е")


class PgDatabase:
    """A new PostgreSQL database for this run, on the server of ``pg_url``; dropped at the end."""

    def __init__(self, pg_url: str, prefix: str, keep: bool) -> None:
        admin = make_url(pg_url)
        self.keep = keep
        self.created = False
        self.name = f"{prefix}_{os.getpid()}"
        self.admin_url = admin.render_as_string(hide_password=False)
        self.url = admin.set(database=self.name).render_as_string(hide_password=False)

    @property
    def dbapi_url(self) -> str:
        """The libpq form of the URL, for psycopg itself."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def _admin(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.created = True
        finally:
            engine.dispose()

    def drop(self) -> None:
        if not self.created:
            return
        if self.keep:
            log(f"kept database {self.url}")
            return
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            engine.dispose()


class PgLoader:
    """Bulk rows through psycopg: ``COPY`` from Python, or SQL run inside the server."""

    finish_label = "sequences, VACUUM ANALYZE, CHECKPOINT"

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url)
        try:
            # Foreign-key checks are triggers; the generated rows agree with each other.
            self.conn.execute("SET session_replication_role = replica")
            self.conn.commit()
        except psycopg.errors.InsufficientPrivilege:
            self.conn.rollback()
            log("not a superuser: loading with foreign-key checks on")
        self.conn.execute("SET maintenance_work_mem = '256MB'")
        self.conn.commit()

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        self.conn.commit()
        return count

    def run(self, sql: str, params: dict[str, Any] | None = None) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            count = cur.rowcount
        self.conn.commit()
        return count

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        row = self.conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        self.conn.commit()
        return row[0] if row else None

    @contextmanager
    def indexes_dropped(self, table: str) -> Iterator[None]:
        """Drop the secondary indexes, load, then build them again from their own definitions."""
        definitions = self.conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table),
        ).fetchall()
        for name, _definition in definitions:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.conn.commit()
        yield
        for _name, definition in definitions:
            self.conn.execute(definition)
        self.conn.commit()

    def finish(self, tables: Sequence[str]) -> None:
        import psycopg
        from psycopg import sql

        for table in tables:
            self.conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({name}, 'id'),"
                    " (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                ).format(name=sql.Literal(table), table=sql.Identifier(table))
            )
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        try:
            # Write the loaded pages out now rather than during the measurements.
            self.conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            log("not a superuser: no CHECKPOINT after the load")
        self.conn.autocommit = False

    def table_mb(self, table: str) -> float:
        value = self.scalar("SELECT pg_total_relation_size(%(t)s::regclass)", {"t": table})
        return float(value or 0) / 1024 / 1024

    def close(self) -> None:
        self.conn.close()


class BenchClient(FlaskClient):
    """Each request in an app context of its own, body read to the end, as a server does."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
