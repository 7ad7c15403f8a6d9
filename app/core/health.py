"""Reachability of the parts the site depends on, for /healthz."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from app.extensions import db


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
        except Exception as exc:  # a health check reports any failure, never raises
            if name == "database":
                db.session.rollback()
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            report[name] = {"ok": True}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report
