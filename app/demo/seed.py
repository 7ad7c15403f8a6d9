"""Seeding the demo district, step by step (``flask seed-demo``).

Deterministic and idempotent: running it again finds what exists and adds
only what is missing. Each step lives beside its data: ``district`` (people),
``bank`` (materials), ``courses``, ``training`` (external training records).
"""

from __future__ import annotations

from app.demo.bank import seed_materials
from app.demo.courses import COURSES, seed_courses
from app.demo.district import ASSOCIATIONS, EMAIL_DOMAIN, STAFF, SUBJECTS, seed_district
from app.demo.report import DEMO_PASSWORD, SeedReport
from app.demo.training import PROVIDERS, seed_external_training

__all__ = [
    "ASSOCIATIONS",
    "COURSES",
    "DEMO_PASSWORD",
    "EMAIL_DOMAIN",
    "PROVIDERS",
    "STAFF",
    "SUBJECTS",
    "SeedReport",
    "seed_demo",
]


def seed_demo() -> SeedReport:
    report = SeedReport()
    teachers = seed_district(report)
    report.lines.append(seed_materials(teachers))
    report.lines.append(seed_courses(teachers))
    report.lines.append(seed_external_training(teachers))
    return report
