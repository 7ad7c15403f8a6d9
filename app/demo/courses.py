"""Demo courses (``courses.toml``) with enrolments and progress at past dates."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.demo.district import staff_member
from app.extensions import db


def _course(spec: dict[str, Any]) -> dict[str, Any]:
    """The shape the seeding below reads: modules and questions as tuples."""
    return {
        **spec,
        "modules": [
            (m["title"], m["criterion"], m["content_html"]) for m in spec.get("modules", [])
        ],
        "questions": [
            (q["text"], q["multiple"], [(o["text"], o["correct"]) for o in q["options"]])
            for q in spec.get("questions", [])
        ],
    }


with Path(__file__).with_name("courses.toml").open("rb") as _fh:
    COURSES = [_course(spec) for spec in tomllib.load(_fh)["courses"]]


def seed_courses(teachers: list[User]) -> str:
    """Three published courses with enrolments and realistic progress at past dates."""
    from datetime import UTC, datetime, timedelta

    from app.courses import authoring as courses
    from app.courses import enrolment, learning
    from app.courses.models import Course, Enrollment, ModuleProgress
    from app.materials.access_events import AccessEvent, AccessKind

    methodist = staff_member("methodist")
    existing = set(db.session.execute(select(Course.title)).scalars())
    added = 0
    rng = random.Random(7)  # noqa: S311 - deterministic demo data
    base = datetime(2026, 10, 20, 7, 0, tzinfo=UTC)
    for n, spec in enumerate(COURSES):
        if spec["title"] in existing:
            continue
        course = courses.create_course(
            courses.CourseData(
                title=spec["title"], annotation=spec["annotation"], goals=spec["goals"],
                hours=spec["hours"], document_type=spec["document_type"],
            ),
            methodist,
        )  # fmt: skip
        for title, criterion, html in spec["modules"]:
            module = courses.add_module(
                course,
                courses.ModuleData(title=title, criterion=criterion, content_html=html),
                methodist,
            )
            if criterion == "test":
                for text, multiple, options in spec["questions"]:
                    courses.add_question(
                        module, courses.QuestionData(text, options, multiple), methodist
                    )
        courses.set_status(course, "published", methodist)
        db.session.refresh(course)
        cohort = teachers[n * 7 : n * 7 + 18]
        enrolment.enrol_users(course, [t.id for t in cohort], methodist)
        started = base - timedelta(days=120 - n * 25)
        for k, teacher in enumerate(cohort):
            enrolled_at = started + timedelta(hours=k * 5)
            db.session.execute(
                Enrollment.__table__.update()
                .where(Enrollment.course_id == course.id, Enrollment.user_id == teacher.id)
                .values(enrolled_at=enrolled_at)
            )
            # A third finished, a third is midway, the rest have not started.
            reached = len(course.modules) if k % 3 == 0 else (1 if k % 3 == 1 else 0)
            moment = enrolled_at
            for module in course.modules[:reached]:
                moment += timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600))
                db.session.add(
                    AccessEvent(kind=AccessKind.MODULE_OPEN, user_id=teacher.id,
                                course_id=course.id, module_id=module.id, at=moment)
                )  # fmt: skip
                seconds = rng.randint(300, 2400)
                db.session.add(
                    AccessEvent(kind=AccessKind.MODULE_TIME, user_id=teacher.id,
                                course_id=course.id, module_id=module.id, seconds=seconds,
                                at=moment + timedelta(seconds=seconds))
                )  # fmt: skip
                db.session.add(
                    ModuleProgress(user_id=teacher.id, module_id=module.id, course_id=course.id,
                                   first_access_at=moment, last_access_at=moment, visits=1,
                                   seconds=seconds,
                                   completed_at=moment + timedelta(seconds=seconds))
                )  # fmt: skip
            if reached == len(course.modules):
                learning.complete_course(teacher.id, course.id, moment + timedelta(minutes=40))
            db.session.commit()
        added += 1
    return f"Курсов добавлено: {added}."
