"""What seeding reports, and the published demo password."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "demo2026"  # noqa: S105 - published demo credentials, not a secret


@dataclass
class SeedReport:
    lines: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
