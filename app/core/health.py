"""Reachability of the parts the site depends on, for /healthz.

/healthz is public, so a report says only which part fails. The exception
behind a failure (a database error names the host, the port and the user) goes
to the log, where the operator looks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from app.extensions import db

log = logging.getLogger(__name__)

#: The one error text a public report shows; the cause is in the log.
UNAVAILABLE = "unavailable"


def _database() -> None:
    db.session.execute(text("SELECT 1"))


CHECKS: dict[str, Callable[[], None]] = {"database": _database}


def register_check(name: str, check: Callable[[], None]) -> None:
    CHECKS[name] = check


def check_all() -> dict[str, dict[str, Any]]:
    report: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception:  # a health check reports any failure, never raises
            if name == "database":
                db.session.rollback()
            log.warning("health check %r failed", name, exc_info=True)
            report[name] = {"ok": False, "error": UNAVAILABLE}
        else:
            report[name] = {"ok": True}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report
