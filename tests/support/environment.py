"""Skips for a missing tool or server: a skip on a developer's machine, a failure in CI.

A developer without chromium or antiword still runs the rest of the suite; CI
(``CI=true``) must not report green while whole test files quietly skipped.
Used as a pytest plugin (``pytest_plugins = ["tests.support.environment"]`` in
tests/conftest.py) it also stops the session at once when ``TEST_DATABASE_URL``
is set but no PostgreSQL answers there. No Flask here.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

ENVIRONMENT_PREFIX = "[environment] "

_INSTALL_HINTS = {
    "antiword": "apt-get install antiword",
    "catdoc": "apt-get install catdoc",
    "pdftoppm": "apt-get install poppler-utils",
    "pdftotext": "apt-get install poppler-utils",
    "chromium": "apt-get install chromium",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def environment_missing(reason: str) -> NoReturn:
    """Skip locally; fail under CI, where the environment is part of what is tested."""
    if in_ci():
        pytest.fail(f"CI=true, and the test environment is incomplete: {reason}", pytrace=False)
    pytest.skip(ENVIRONMENT_PREFIX + reason)


def require_tool(*names: str) -> str:
    """The path of the first of ``names`` found on PATH; otherwise skip (fail under CI)."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    hints = "; ".join(_INSTALL_HINTS.get(name, name) for name in names)
    wanted = " or ".join(names)
    environment_missing(f"{wanted} is not installed ({hints})")


def postgres_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be used, or None when it answers."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any failure means the same thing here: no database
        return f"PostgreSQL at {shown} is not reachable ({type(exc).__name__})"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        problem = postgres_problem(url)
        if problem:
            # Every database test would error one by one; one clear line instead.
            pytest.exit(f"TEST_DATABASE_URL is set, but {problem}", returncode=1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under CI, a skip marked as an environment one (a ``skipif`` mark whose reason
    starts with ``[environment]``) becomes a failure."""
    outcome = yield
    report = outcome.get_result()
    if not (in_ci() and report.skipped and isinstance(report.longrepr, tuple)):
        return
    reason = str(report.longrepr[2])
    if ENVIRONMENT_PREFIX.strip() in reason:
        report.outcome = "failed"
        report.longrepr = f"CI=true, and the test environment is incomplete: {reason}"
